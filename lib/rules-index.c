/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules-index.c - turn parsed rules into what the scanner needs: the
 * automaton's patterns (with variants for stretched letters), the index
 * from a literal to the rule elements that hold it, and the vocabulary that
 * resolves masked words.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "kill you" -> "kil you": a run of three letters or more in a post folds
 * to one, so a rule word with a double letter also needs the single form.
 * Words that would drop below four letters keep their double: "butt" is
 * not "but", nor "thee" "the" (rules spell out short ones, like "kil"). Returns
 * false when nothing changes. */
static bool
collapse_doubles(const char *in, char *out)
{
	const char *w = in;
	char *o = out;
	bool changed = false;

	while (*w) {
		const char *end = strchr(w + 1, ' ');
		size_t wl = end ? (size_t)(end - w) : strlen(w), dbl = 0;

		for (size_t i = 2; i < wl; i++)
			dbl += w[i] == w[i - 1] && w[i] >= 'a' && w[i] <= 'z';
		for (size_t i = 0; i < wl; i++) {
			if (i >= 2 && w[i] == w[i - 1] && w[i] >= 'a' &&
			    w[i] <= 'z' && wl - 1 - dbl >= 4) {
				changed = true;
				continue;
			}
			*o++ = w[i];
		}
		w += wl;
	}
	*o = '\0';
	return changed;
}

/* Real words that stretched-letter variants of rule words would
 * otherwise become ("noose" -> "nose", "coons" -> "cons"). */
static bool
real_word(const char *variant)
{
	static const char *const words[] = {
		" nose", " cons", " cone", " bred", " slot", " refuge", " refuges",
		" tens", " whop", " striping", " shot", " weds", " hops", " pres",
	};

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(words); i++)
		if (strcmp(words[i], variant) == 0)
			return true;
	return false;
}

static vigil_error
pattern_add(struct ruleset *rs, size_t *apats, const char *text, uint32_t lit,
	    bool prefix)
{
	struct pattern *p;

	if (rs->npats == *apats) {
		size_t a = *apats ? *apats * 2 : 512;
		p = realloc(rs->pats, a * sizeof(*p));
		if (!p)
			return VIGIL_E_NOMEM;
		rs->pats = p;
		*apats = a;
	}
	p = &rs->pats[rs->npats];
	p->text = strdup(text);
	if (!p->text)
		return VIGIL_E_NOMEM;
	p->lit = lit;
	p->len = (uint32_t)strlen(text);
	p->prefix = prefix;
	p->nwords = rs->lits[lit].nwords;
	rs->npats++;
	return VIGIL_OK;
}

static vigil_error
build_patterns(struct ruleset *rs)
{
	char **sorted = NULL, *variant = NULL;
	size_t apats = 0, maxlen = 0;
	vigil_error r = VIGIL_OK;

	sorted = calloc(rs->nlits + 1, sizeof(char *));
	if (!sorted)
		return VIGIL_E_NOMEM;
	for (size_t i = 0; i < rs->nlits; i++) {
		sorted[i] = rs->lits[i].text;
		if (strlen(sorted[i]) > maxlen)
			maxlen = strlen(sorted[i]);
	}
	qsort(sorted, rs->nlits, sizeof(char *), cmp_str);
	variant = malloc(maxlen + 1);
	if (!variant) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < rs->nlits && r == VIGIL_OK; i++) {
		const char *t = rs->lits[i].text;
		char *key = variant;

		if (rs->lits[i].det != DET_NONE || rs->lits[i].nparts)
			continue;
		/* The variant matches whole words only: "kil" for "kill*" is
		 * fine, "niger*" for "nigger*" is not. */
		r = pattern_add(rs, &apats, t, i, rs->lits[i].prefix);
		if (r == VIGIL_OK && collapse_doubles(t, variant) && !real_word(variant) &&
		    !bsearch(&key, sorted, rs->nlits, sizeof(char *), cmp_str))
			r = pattern_add(rs, &apats, variant, i, false);
	}
out:
	free(variant);
	free(sorted);
	return r;
}

static vigil_error
index_add(uint32_t **v, size_t *n, uint32_t lit, uint32_t what)
{
	uint32_t *p = realloc(v[lit], (n[lit] + 1) * sizeof(*p));

	if (!p)
		return VIGIL_E_NOMEM;
	v[lit] = p;
	p[n[lit]++] = what;
	return VIGIL_OK;
}

/* For each literal: the rule elements that hold it (one flat array,
 * read for every hit of a post), and the phrases with gaps that begin
 * with it. */
static vigil_error
build_index(struct ruleset *rs)
{
	size_t n = rs->nlits ? rs->nlits : 1, total = 0;
	vigil_error r = VIGIL_OK;

	rs->comp = calloc(n, sizeof(uint32_t *));
	rs->ncomp = calloc(n, sizeof(size_t));
	rs->elem_off = calloc(n + 1, sizeof(uint32_t));
	rs->full = malloc(rs->nrules ? rs->nrules : 1);
	rs->litflags = calloc(n, 1);
	if (!rs->comp || !rs->ncomp || !rs->elem_off || !rs->full || !rs->litflags)
		return VIGIL_E_NOMEM;
	for (size_t k = 0; k < rs->nrules; k++) {
		const struct rule *ru = &rs->rules[k];

		rs->full[k] = (uint8_t)((1u << ru->nelem) - 1);
		for (size_t el = 0; el < ru->nelem; el++) {
			for (size_t j = 0; j < ru->elem[el].n; j++)
				rs->elem_off[ru->elem[el].lits[j] + 1]++;
			total += ru->elem[el].n;
		}
	}
	for (size_t l = 0; l < rs->nlits; l++)
		rs->elem_off[l + 1] += rs->elem_off[l];
	rs->elem_code = malloc((total ? total : 1) * sizeof(uint32_t));
	if (!rs->elem_code)
		return VIGIL_E_NOMEM;
	{
		uint32_t *fill = calloc(n, sizeof(uint32_t));

		if (!fill)
			return VIGIL_E_NOMEM;
		for (uint32_t k = 0; k < rs->nrules; k++) {
			const struct rule *ru = &rs->rules[k];

			for (uint32_t el = 0; el < ru->nelem; el++)
				for (size_t j = 0; j < ru->elem[el].n; j++) {
					uint32_t lit = ru->elem[el].lits[j];
					rs->elem_code[rs->elem_off[lit] + fill[lit]++] = k << 3 | el;
				}
		}
		free(fill);
	}
	for (uint32_t i = 0; i < rs->nlits && r == VIGIL_OK; i++) {
		if (rs->lits[i].dword >= 0)
			rs->litflags[i] |= LIT_F_DWORD;
		if (rs->lits[i].nparts) {
			r = index_add(rs->comp, rs->ncomp, rs->lits[i].part[0], i);
			rs->litflags[rs->lits[i].part[0]] |= LIT_F_COMP;
		}
	}
	return r;
}

/* Does a chain of hits for parts k.. of l follow hit `prev`? */
static bool
gap_chain(const struct literal *l, size_t k, const struct hits *h,
	  size_t n, const struct hit *prev, const struct hit **last)
{
	if (k == l->nparts) {
		*last = prev;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		const struct hit *x = &h->v[i];
		if (x->lit == l->part[k] && x->wstart >= prev->wend + 2 &&
		    x->wstart <= prev->wend + 1 + LIT_GAP_MAX &&
		    gap_chain(l, k + 1, h, n, x, last))
			return true;
	}
	return false;
}

vigil_error
ruleset_gapped(const struct ruleset *rs, struct hits *h)
{
	size_t n = h->n;

	for (size_t i = 0; i < n; i++) {
		uint32_t lit = h->v[i].lit;

		if (!(rs->litflags[lit] & LIT_F_COMP))
			continue;  /* nearly every hit */
		for (size_t j = 0; j < rs->ncomp[lit]; j++) {
			const struct literal *l = &rs->lits[rs->comp[lit][j]];
			const struct hit *last = NULL;
			struct hit first = h->v[i];
			vigil_error r;

			if (!gap_chain(l, 1, h, n, &first, &last))
				continue;
			r = hits_add(h, rs->comp[lit][j], first.wstart, last->wend,
				     first.s, last->e);
			if (r != VIGIL_OK)
				return r;
		}
	}
	return VIGIL_OK;
}

#define PIECE_MAX 24  /* longest piece; normalize.c cuts no longer runs */

/* The slot of word[0..len) in v->wtab: where it is, or the free slot
 * where it would go. */
static size_t
piece_slot(const struct norm_vocab *v, const char *word, size_t len)
{
	size_t i = fnv1a(FNV_BASIS, word, len) & (v->wcap - 1);

	while (v->wtab[i]) {
		const char *w = v->words + v->wtab[i];

		if (strncmp(w, word, len) == 0 && w[len] == '\0')
			break;
		i = (i + 1) & (v->wcap - 1);
	}
	return i;
}

bool
norm_vocab_piece(const struct norm_vocab *v, const char *word, size_t len)
{
	return v->wcap && len >= 2 && len <= PIECE_MAX &&
	       v->wtab[piece_slot(v, word, len)] != 0;
}

/* The words of the positive literals, for norm_vocab_piece(). */
static vigil_error
build_pieces(struct norm_vocab *v, const struct literal *lits, size_t nlits)
{
	size_t bytes = 1, nw = 0, used = 1;

	for (size_t i = 0; i < nlits; i++)
		if (lits[i].positive && lits[i].det == DET_NONE) {
			bytes += strlen(lits[i].text) + 1;
			for (const char *t = lits[i].text; *t; t++)
				nw += *t == ' ';
		}
	for (v->wcap = 16; v->wcap < 2 * nw; v->wcap *= 2)
		;
	v->words = malloc(bytes);
	v->wtab = calloc(v->wcap, sizeof(uint32_t));
	if (!v->words || !v->wtab)
		return VIGIL_E_NOMEM;
	for (size_t i = 0; i < nlits; i++) {
		const char *t = lits[i].text;

		if (!lits[i].positive || lits[i].det != DET_NONE)
			continue;
		while (*t) {
			size_t len = strcspn(t, " "), k = 0, slot;

			while (k < len && t[k] >= 'a' && t[k] <= 'z')
				k++;
			if (k == len && len >= 2 && len <= PIECE_MAX &&
			    !v->wtab[slot = piece_slot(v, t, len)]) {
				memcpy(v->words + used, t, len);
				v->words[used + len] = '\0';
				v->wtab[slot] = (uint32_t)used;
				used += len + 1;
			}
			t += len;
			t += *t == ' ';
		}
	}
	return VIGIL_OK;
}

static vigil_error
build_vocab(struct ruleset *rs)
{
	struct norm_vocab *v = calloc(1, sizeof(*v));

	if (!v)
		return VIGIL_E_NOMEM;
	rs->vocab = v;
	v->lits = rs->lits;
	for (size_t k = 0; k < rs->nrules; k++) {
		const struct rule *r = &rs->rules[k];
		for (size_t e = 0; r->weight > 0 && e < r->nelem; e++)
			for (size_t j = 0; j < r->elem[e].n; j++)
				rs->lits[r->elem[e].lits[j]].positive = 1;
	}
	v->ids = calloc(rs->nlits ? rs->nlits : 1, sizeof(uint32_t));
	v->lens = calloc(rs->nlits ? rs->nlits : 1, 1);
	if (!v->ids || !v->lens)
		return VIGIL_E_NOMEM;
	for (uint32_t i = 0; i < rs->nlits; i++) {
		const struct literal *l = &rs->lits[i];
		size_t len = strlen(l->text) - 1;

		if (l->positive && l->det == DET_NONE && !l->nparts && l->nwords == 1 &&
		    len >= 3 && len < 64) {
			v->lens[v->n] = (uint8_t)len;
			v->ids[v->n++] = i;
		}
	}
	for (v->icap = 16; v->icap < 2 * v->n; v->icap *= 2)
		;
	v->itab = calloc(v->icap, sizeof(uint32_t));
	if (!v->itab)
		return VIGIL_E_NOMEM;
	for (size_t k = 0; k < v->n; k++) {
		size_t i = fnv1a(FNV_BASIS, v->lits[v->ids[k]].text + 1, v->lens[k]) &
			   (v->icap - 1);

		while (v->itab[i])
			i = (i + 1) & (v->icap - 1);
		v->itab[i] = (uint32_t)k + 1;
	}
	return build_pieces(v, rs->lits, rs->nlits);
}

static void
shrink(void **array, size_t n, size_t size)
{
	void *p = n ? realloc(*array, n * size) : NULL;

	if (p)
		*array = p;  /* on failure the larger block stays: still valid */
}

vigil_error
ruleset_finish(struct ruleset *rs, char *errbuf)
{
	vigil_error r;

	if (rs->nrules == 0)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "no rules");
	r = doxx_prepare(rs);
	if (r == VIGIL_OK)
		r = build_vocab(rs);
	if (r == VIGIL_OK)
		r = build_index(rs);
	if (r == VIGIL_OK)
		r = build_patterns(rs);
	if (r != VIGIL_OK)
		return vigil_fail(errbuf, r, "out of memory building rules");
	/* Nothing is interned after this: the table goes, and the arrays grown
	 * by doubling give back what they do not use (a classifier lives as
	 * long as the daemon). */
	free(rs->hash);
	rs->hash = NULL;
	rs->hcap = 0;
	shrink((void **)&rs->lits, rs->nlits, sizeof(*rs->lits));
	rs->alits = rs->nlits;
	rs->vocab->lits = rs->lits;  /* the block may have moved */
	shrink((void **)&rs->pats, rs->npats, sizeof(*rs->pats));
	shrink((void **)&rs->rules, rs->nrules, sizeof(*rs->rules));
	rs->arules = rs->nrules;
	return VIGIL_OK;
}

/* Does rule word `w` (its text after the leading space) fit the masked
 * word? Exact words must have the same length; prefix words may be
 * shorter but must cover every '*'. */
static bool
unmask_fits(const struct literal *l, size_t wl, const char *word, size_t len)
{
	const char *w = l->text + 1;

	if (wl > len || (!l->prefix && wl != len))
		return false;
	if (memchr(word + wl, '*', len - wl))
		return false;
	for (size_t i = 0; i < wl; i++)
		if (word[i] != '*' && word[i] != w[i])
			return false;
	return memchr(word, '*', wl) != NULL;
}

/* Is word[0..len) a one-word rule literal (exact: prefix or not), or,
 * with `prefix`, a prefix literal ("kill*")? */
static bool
vocab_has(const struct norm_vocab *v, const char *word, size_t len, bool prefix)
{
	size_t i = fnv1a(FNV_BASIS, word, len) & (v->icap - 1);

	for (; v->itab[i]; i = (i + 1) & (v->icap - 1)) {
		size_t k = v->itab[i] - 1;
		const struct literal *l = &v->lits[v->ids[k]];

		if (v->lens[k] == len && memcmp(l->text + 1, word, len) == 0 &&
		    (!prefix || l->prefix))
			return true;
	}
	return false;
}

/* A rule word, or a word a prefix literal starts: one look-up per
 * length, not a walk over every rule word (which libFuzzer's comparison
 * tracing made the whole cost of the normaliser's fuzz target). */
bool
norm_vocab_word(const struct norm_vocab *v, const char *word, size_t len)
{
	if (!v->icap || len < 3)
		return false;
	if (len < 64 && vocab_has(v, word, len, false))
		return true;
	for (size_t l = 3; l < len && l < 64; l++)
		if (vocab_has(v, word, l, true))
			return true;
	return false;
}

/* Words people mask out of habit, tried before the rule words: "sh*t"
 * is "shit" before it is the rule word "shot", "s**t" "shit" before
 * "slut". Only the same length. */
static const char *const masked_first[] = {
	"shit", "shits", "shitty", "fuck", "fucks", "fucked", "fucker",
	"fuckers", "fucking", "fuckin", "cunt", "cunts", "bitch", "bitches",
	"dick", "dicks", "cock", "cocks", "tits", "twat", "slut", "sluts",
	"whore", "whores", "piss", "pissed", "crap", "damn", "ass", "asses",
	"asshole", "assholes", "bastard", "bastards",
};

void
norm_vocab_unmask(const struct norm_vocab *v, char *word, size_t len)
{
	size_t known = 0;

	for (size_t i = 0; i < len; i++)
		known += word[i] != '*';
	if (known < 2)
		return;
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(masked_first); i++) {
		const char *w = masked_first[i];
		size_t k = 0;

		if (strlen(w) != len)
			continue;
		while (k < len && (word[k] == '*' || word[k] == w[k]))
			k++;
		if (k == len) {
			memcpy(word, w, len);
			return;
		}
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct literal *l = &v->lits[v->ids[i]];
		size_t wl = v->lens[i];

		if (wl > len || (wl < len && !l->prefix))
			continue;
		if (unmask_fits(l, wl, word, len)) {
			memcpy(word, l->text + 1, wl);
			return;
		}
	}
}
