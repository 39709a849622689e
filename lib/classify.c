/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify.c - the classifier: load rules, scan a post once, score the
 * five categories and say which rules fired where.
 *
 * A post is normalised (normalize.c), scanned by one automaton
 * (automaton.c) and by the doxxing detectors (doxx.c). Each rule fires at
 * most once per post; a category's score is the sum of the positive
 * weights of its rules that fired, capped at 1000, plus the negative ones
 * (context), floored at 0. It is a label when the score reaches the
 * category's threshold.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "vigil-private.h"

#define ENGINE_NAME "vigil-classify"
#define RULES_FILE_MAX (4u << 20)
#define DEFAULT_THRESHOLD 500

/* A way of naming a clinician: " jane roe " as normalised. */
struct target {
	char *clinician;
	char *words;      /* with a space at each end */
	size_t len;
	uint32_t nwords;
};

/* A rules or model file as loaded, parsed again when the classifier
 * wakes: the compiled-in text, or the bytes read from disk (not read
 * again: what is parsed is what the engine's hash names). */
struct source {
	char *name;
	const char *data;
	size_t len;
	char *own;        /* data, when read from disk */
};

struct vigil_classifier {
	/* Asleep (ac NULL), rs and model are empty. */
	struct ruleset rs;
	struct automaton *ac;
	struct model *model;      /* NULL when the rules came without one */
	struct source *src;
	size_t nsrc, asrc;
	int threshold[CAT_N];
	char engine[128];
	struct target *targets;   /* sorted by clinician */
	size_t ntargets, atargets;
};

/* A match of the model (model.c) rather than of a rule. */
#define MODEL_RULE UINT32_MAX
static const char *const model_ids[CAT_N] = {
	"model.threat", "model.sexual", "model.doxxing", "model.hate", "model.insult",
};

struct cmatch {
	int cat;
	uint32_t rule;    /* or MODEL_RULE */
	int weight;
	size_t start, end;
	bool quoted;      /* inside a reported quotation: counted for nothing */
};

/* Reported quotations a post may have marked for scoring, and the hits
 * its quote rules may try to find them (reported()). */
#define QUOTED_MAX 32
#define QUOTE_STEPS 100000
#define CHAIN_STEPS 65536  /* hits a rule may try (first_chain()) */

struct link {
	uint32_t hit;
	uint32_t next;   /* UINT32_MAX ends the list */
};

struct vigil_classification {
	int scores[CAT_N];
	unsigned labels;
	const vigil_classifier *c;   /* of the last run, for rule names */
	struct cmatch *m;
	size_t nm, am;
	uint8_t *mask;               /* per rule: elements with a hit */
	uint32_t *touched;           /* rules whose mask is not zero, and
				      * room for one more (candidates()) */
	uint32_t *head;              /* per rule << 3 | element: first link */
	struct link *link;           /* hits filed under rule elements */
	size_t nrules, nlink;
	uint32_t *seen;              /* per literal: the run that last saw it */
	size_t nlits;
	uint32_t run;                /* runs since seen[] was cleared */
	struct norm norm;
	struct hits hits;
	struct model_scratch ms;
};

const char *
vigil_category_name(vigil_category cat)
{
	return (unsigned)cat < CAT_N ? category_names[cat] : NULL;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Read one rules file, or every *.rules file (and the *.model) of a
 * directory in name order; the bytes also go to `all` for the hash. */
static int
rules_filter(const struct dirent *d)
{
	return ends_with(d->d_name, ".rules") || ends_with(d->d_name, ".model");
}

/* Add a source; own (the bytes read from disk) is the classifier's
 * from now on, even on failure. */
static vigil_error
add_source(vigil_classifier *c, const char *name, const char *data, size_t len,
	   char *own, char *errbuf)
{
	struct source *s;

	if (c->nsrc == c->asrc) {
		size_t a = c->asrc ? c->asrc * 2 : 4;
		struct source *v = realloc(c->src, a * sizeof(*v));

		if (!v) {
			free(own);
			return vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
		}
		c->src = v;
		c->asrc = a;
	}
	s = &c->src[c->nsrc];
	*s = (struct source){ strdup(name), data, len, own };
	if (!s->name) {
		free(own);
		return vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
	}
	c->nsrc++;
	return VIGIL_OK;
}

/* Parse every source: rules, or the model when a name ends in .model
 * (one per classifier); then index the rules and build the automaton. */
static vigil_error
build(vigil_classifier *c, char *errbuf)
{
	vigil_error r = VIGIL_OK;

	for (size_t i = 0; i < c->nsrc && r == VIGIL_OK; i++) {
		const struct source *s = &c->src[i];

		if (!ends_with(s->name, ".model"))
			r = ruleset_parse(&c->rs, s->name, s->data, s->len, errbuf);
		else if (c->model)
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "%s: a second model", s->name);
		else
			r = model_parse(&c->model, s->name, s->data, s->len, errbuf);
	}
	if (r == VIGIL_OK)
		r = ruleset_finish(&c->rs, errbuf);
	if (r == VIGIL_OK && automaton_build(c->rs.pats, c->rs.npats, &c->ac) != VIGIL_OK)
		r = vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory building automaton");
	return r;
}

static vigil_error
load_one(vigil_classifier *c, const char *path, char *errbuf)
{
	char *data = NULL;
	size_t len = 0;
	vigil_error r;

	r = vigil_read_file(path, RULES_FILE_MAX, &data, &len, errbuf);
	if (r == VIGIL_OK)
		r = add_source(c, path, data, len, data, errbuf);
	return r;
}

static vigil_error
load_path(vigil_classifier *c, const char *path, char *errbuf)
{
	struct dirent **names = NULL;
	struct stat st;
	vigil_error r = VIGIL_OK;
	int n;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		n = scandir(path, &names, rules_filter, alphasort);
		if (n < 0)
			return vigil_fail(errbuf, VIGIL_E_IO, "Failed to read '%s'", path);
		if (n == 0)
			r = vigil_fail(errbuf, VIGIL_E_NOTFOUND, "'%s': no *.rules files",
				       path);
		for (int i = 0; i < n; i++) {
			char *p = NULL;
			if (r == VIGIL_OK && asprintf(&p, "%s/%s", path, names[i]->d_name) < 0)
				r = vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
			if (r == VIGIL_OK)
				r = load_one(c, p, errbuf);
			free(p);
			free(names[i]);
		}
		free(names);
		return r;
	}
	return load_one(c, path, errbuf);
}

vigil_error
vigil_classifier_new(const char *rules_path, vigil_classifier **out,
		     char *errbuf)
{
	vigil_classifier *c;
	struct vbuf all;
	uint8_t sha[32];
	char hex[65];
	vigil_error r = VIGIL_OK;

	c = calloc(1, sizeof(*c));
	if (!c)
		return vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
	ruleset_init(&c->rs);
	vbuf_init(&all, RULES_FILE_MAX * 4);
	if (rules_path)
		r = load_path(c, rules_path, errbuf);
	for (size_t i = 0; !rules_path && i < rules_default_n && r == VIGIL_OK; i++)
		r = add_source(c, rules_default[i].name, rules_default[i].text,
			       rules_default[i].len, NULL, errbuf);
	if (r == VIGIL_OK)
		r = build(c, errbuf);
	for (size_t i = 0; i < c->nsrc && r == VIGIL_OK; i++)
		if (vbuf_add(&all, c->src[i].data, c->src[i].len) != VIGIL_OK)
			r = vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
	if (r != VIGIL_OK)
		goto out;
	vigil_sha256(all.data ? all.data : "", all.len, sha);
	vigil_hex(sha, sizeof(sha), hex);
	snprintf(c->engine, sizeof(c->engine), "%s %s rules sha256:%s", ENGINE_NAME,
		 VIGIL_VERSION, hex);
	for (int i = 0; i < CAT_N; i++)
		c->threshold[i] = DEFAULT_THRESHOLD;
	*out = c;
	c = NULL;
out:
	vbuf_free(&all);
	vigil_classifier_free(c);
	return r;
}

/* The compiled-in rules and model are read only to load them, and again
 * to wake: give back their pages (clean pages of the library's file, read
 * from it again when touched). 1.1 MB of text, which an idle vigild
 * would otherwise keep resident. */
static void
release_defaults(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps <= 0)
		return;
	for (size_t i = 0; i < rules_default_n; i++) {
		uintptr_t s = (uintptr_t)rules_default[i].text;
		uintptr_t e = s + rules_default[i].len;

		s = (s + (uintptr_t)ps - 1) & ~((uintptr_t)ps - 1);
		e &= ~((uintptr_t)ps - 1);
		if (e > s)
			(void)madvise((void *)s, e - s, MADV_DONTNEED);
	}
}

/* Asleep, a classifier keeps only its sources, thresholds and targets:
 * the parsed rules (1.8 MB of heap with the default rules), the model
 * and the automaton are made again when it wakes, in some 40 ms. */
void
classifier_sleep(vigil_classifier *c)
{
	automaton_free(c->ac);
	c->ac = NULL;
	ruleset_free(&c->rs);
	ruleset_init(&c->rs);
	model_free(c->model);
	c->model = NULL;
	release_defaults();
}

size_t
classifier_states(const vigil_classifier *c, bool *narrow)
{
	*narrow = c->ac && automaton_narrow(c->ac);
	return c->ac ? automaton_states(c->ac) : 0;
}

vigil_error
classifier_wake(vigil_classifier *c, char *errbuf)
{
	vigil_error r;

	if (c->ac)
		return VIGIL_OK;
	r = build(c, errbuf);  /* it parsed before: only memory fails */
	if (r != VIGIL_OK)
		classifier_sleep(c);  /* never half awake */
	return r;
}

void
vigil_classifier_free(vigil_classifier *c)
{
	if (!c)
		return;
	automaton_free(c->ac);
	model_free(c->model);
	ruleset_free(&c->rs);
	for (size_t i = 0; i < c->nsrc; i++) {
		free(c->src[i].name);
		free(c->src[i].own);
	}
	free(c->src);
	for (size_t i = 0; i < c->ntargets; i++) {
		free(c->targets[i].clinician);
		free(c->targets[i].words);
	}
	free(c->targets);
	free(c);
}

const char *
vigil_classifier_engine(const vigil_classifier *c)
{
	return c->engine;
}

vigil_error
vigil_classifier_set_threshold(vigil_classifier *c, const char *category,
			       int threshold)
{
	int cat = category ? category_from_name(category) : -1;

	if (cat < 0 || threshold < 1 || threshold > 1000)
		return VIGIL_E_INVAL;
	c->threshold[cat] = threshold;
	return VIGIL_OK;
}

/* The first target of `clinician`, or ntargets. */
static size_t
target_first(const vigil_classifier *c, const char *clinician)
{
	size_t lo = 0, hi = c->ntargets;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(c->targets[mid].clinician, clinician) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static vigil_error
target_insert(vigil_classifier *c, const char *clinician, const char *words,
	      size_t len)
{
	size_t at = target_first(c, clinician);
	struct target t = { 0 };

	for (size_t i = at; i < c->ntargets &&
	     strcmp(c->targets[i].clinician, clinician) == 0; i++)
		if (c->targets[i].len == len && memcmp(c->targets[i].words, words, len) == 0)
			return VIGIL_OK;
	if (c->ntargets == c->atargets) {
		size_t a = c->atargets ? c->atargets * 2 : 16;
		struct target *v = realloc(c->targets, a * sizeof(*v));
		if (!v)
			return VIGIL_E_NOMEM;
		c->targets = v;
		c->atargets = a;
	}
	t.clinician = strdup(clinician);
	t.words = strndup(words, len);
	if (!t.clinician || !t.words) {
		free(t.clinician);
		free(t.words);
		return VIGIL_E_NOMEM;
	}
	t.len = len;
	for (size_t i = 1; i < len; i++)
		t.nwords += words[i] == ' ';
	memmove(&c->targets[at + 1], &c->targets[at],
		(c->ntargets - at) * sizeof(*c->targets));
	c->targets[at] = t;
	c->ntargets++;
	return VIGIL_OK;
}

static bool
is_title(const char *w, size_t len)
{
	static const char *const titles[] = {
		"dr", "doctor", "dre", "docteur", "docteure", "prof", "professor",
		"professeur", "professeure", "mr", "mrs", "ms", "mme", "m", "mlle",
		"nurse", "pr",
	};

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(titles); i++)
		if (strlen(titles[i]) == len && memcmp(titles[i], w, len) == 0)
			return true;
	return false;
}

vigil_error
vigil_classifier_add_target(vigil_classifier *c, const char *clinician,
			    const char *name)
{
	struct norm n;
	const char *w;
	size_t wl;
	vigil_error r;

	if (!clinician || !name)
		return VIGIL_E_INVAL;
	norm_init(&n);
	r = norm_run(&n, name, strlen(name), NULL);
	if (r == VIGIL_OK && n.len < 3)
		r = VIGIL_E_INVAL;  /* nothing left to match: " " */
	if (r == VIGIL_OK)
		r = target_insert(c, clinician, n.text, n.len);
	/* "Dr. Jane Roe" is also "Jane Roe", but "Dr Roe" stays whole. */
	w = n.text + 1;
	wl = r == VIGIL_OK ? strcspn(w, " ") : 0;
	if (wl && is_title(w, wl) && wl + 1 < n.len - 1 &&
	    strchr(w + wl + 1, ' ') != n.text + n.len - 1)
		r = target_insert(c, clinician, w + wl, n.len - wl - 1);
	norm_free(&n);
	return r;
}

/* Hits for the clinician's names in the normalised text. */
static vigil_error
target_scan(const vigil_classifier *c, const char *clinician,
	    const struct norm *n, struct hits *h)
{
	uint32_t lit = c->rs.det_lit[DET_CLINICIAN];

	if (lit == UINT32_MAX || !clinician)
		return VIGIL_OK;
	for (size_t i = target_first(c, clinician); i < c->ntargets &&
	     strcmp(c->targets[i].clinician, clinician) == 0; i++) {
		const struct target *t = &c->targets[i];
		const char *at = n->text, *end = n->text + n->len;

		while ((at = memmem(at, (size_t)(end - at), t->words, t->len))) {
			size_t s = (size_t)(at - n->text);
			uint32_t w = 0;
			vigil_error r;

			for (size_t k = 0; k <= s; k++)
				w += n->text[k] == ' ';
			r = hits_add(h, lit, w, w + t->nwords - 1, (uint32_t)s + 1,
				     (uint32_t)(s + t->len - 1));
			if (r != VIGIL_OK)
				return r;
			at += t->len - 1;  /* the closing space opens the next */
		}
	}
	return VIGIL_OK;
}

int
vigil_classifier_threshold(const vigil_classifier *c, vigil_category cat)
{
	return (unsigned)cat < CAT_N ? c->threshold[cat] : -1;
}

vigil_error
vigil_classification_new(vigil_classification **out)
{
	vigil_classification *r = calloc(1, sizeof(*r));

	if (!r)
		return VIGIL_E_NOMEM;
	norm_init(&r->norm);
	*out = r;
	return VIGIL_OK;
}

void
vigil_classification_free(vigil_classification *r)
{
	if (!r)
		return;
	norm_free(&r->norm);
	model_scratch_free(&r->ms);
	free(r->hits.v);
	free(r->m);
	free(r->mask);
	free(r->touched);
	free(r->head);
	free(r->link);
	free(r->seen);
	free(r);
}

/* Is hit x placed right for element k of a rule, after `prev`? */
static bool
placed(const struct rule *rule, size_t k, const struct hit *prev,
       const struct hit *x)
{
	uint32_t d = rule->dist[k - 1];

	if (x->wstart > prev->wend)
		return x->wstart - prev->wend <= d;
	if (rule->op[k - 1] == OP_NEAR && prev->wstart > x->wend)
		return prev->wstart - x->wend <= d;
	return false;
}

/* Try to complete elements k.. of rule `rk` after hit `prev`, walking
 * the hits filed under each element; widens [*s, *e). With `fix`, the
 * element fk may only be that hit. Each hit tried costs one of *steps:
 * gives up when none are left. */
static bool
chain(const vigil_classification *res, const struct rule *rule, uint32_t rk,
      size_t k, const struct hit *prev, size_t fk, const struct hit *fix,
      size_t *steps, uint32_t *s, uint32_t *e)
{
	if (k == rule->nelem)
		return true;
	for (uint32_t l = res->head[rk << 3 | k]; l != UINT32_MAX; l = res->link[l].next) {
		const struct hit *x = &res->hits.v[res->link[l].hit];

		if (fix && k == fk)
			x = fix;
		if (steps && !*steps)
			return false;
		if (steps)
			(*steps)--;
		if ((k == 0 || placed(rule, k, prev, x)) &&
		    chain(res, rule, rk, k + 1, x, fk, fix, steps, s, e)) {
			if (x->s < *s)
				*s = x->s;
			if (x->e > *e)
				*e = x->e;
			return true;
		}
		if (fix && k == fk)
			break;  /* the one hit allowed there */
	}
	return false;
}

static vigil_error
match_add(vigil_classification *res, int cat, uint32_t rule, int weight,
	  size_t s, size_t e)
{
	if (res->nm == res->am) {
		size_t a = res->am ? res->am * 2 : 16;
		struct cmatch *m = realloc(res->m, a * sizeof(*m));
		if (!m)
			return VIGIL_E_NOMEM;
		res->m = m;
		res->am = a;
	}
	res->m[res->nm++] = (struct cmatch){ cat, rule, weight, s, e, false };
	return VIGIL_OK;
}

static vigil_error
scratch_size(const struct ruleset *rs, vigil_classification *res)
{
	uint8_t *m;
	uint32_t *t, *h;

	if (res->nlits < rs->nlits || res->run == UINT32_MAX) {
		free(res->seen);
		res->seen = calloc(rs->nlits ? rs->nlits : 1, sizeof(uint32_t));
		if (!res->seen) {
			res->nlits = 0;
			return VIGIL_E_NOMEM;
		}
		res->nlits = rs->nlits;
		res->run = 0;
	}
	res->run++;
	if (res->nrules >= rs->nrules)
		return VIGIL_OK;
	m = calloc(rs->nrules, 1);
	t = malloc((rs->nrules + 1) * sizeof(uint32_t));
	h = malloc(rs->nrules * 8 * sizeof(uint32_t));
	if (!m || !t || !h) {
		free(m);
		free(t);
		free(h);
		return VIGIL_E_NOMEM;
	}
	memset(h, 0xff, rs->nrules * 8 * sizeof(uint32_t));
	free(res->mask);
	free(res->touched);
	free(res->head);
	res->mask = m;
	res->touched = t;
	res->head = h;
	res->nrules = rs->nrules;
	return VIGIL_OK;
}

/* File every hit under the rule elements that hold its literal; note the
 * rules touched, in the order first touched. Only rules with a hit for
 * every element can fire. A literal found again adds nothing to the
 * masks (a fifth of the hits on the public texts). The arrays are read
 * through locals: stores to the byte masks may alias anything, and would
 * make the compiler reload them every time. */
static vigil_error
candidates(const struct ruleset *rs, vigil_classification *res, size_t *nt)
{
	size_t nl = 0, nfull = 0, ntouched = 0;
	vigil_error r = scratch_size(rs, res);
	const struct hit *hv = res->hits.v;
	const size_t nh = res->hits.n;
	const uint32_t *elem_off = rs->elem_off, *elem_code = rs->elem_code;
	const uint8_t *full = rs->full;
	uint8_t *mask = res->mask;
	uint32_t *touched = res->touched, *head = res->head, *seen = res->seen;
	const uint32_t run = res->run;

	*nt = 0;
	if (r != VIGIL_OK)
		return r;
	for (size_t i = 0; i < nh; i++) {
		uint32_t lit = hv[i].lit;

		if (seen[lit] == run)
			continue;
		seen[lit] = run;
		for (uint32_t j = elem_off[lit], je = elem_off[lit + 1]; j < je; j++) {
			uint32_t code = elem_code[j], k = code >> 3;

			touched[ntouched] = k;
			ntouched += !mask[k];
			mask[k] |= (uint8_t)(1u << (code & 7));
		}
	}
	*nt = ntouched;
	for (size_t t = 0; t < ntouched; t++)
		nfull += mask[touched[t]] == full[touched[t]];
	/* Second pass, only when some rule can fire: file the hits, last
	 * first, so each list runs in text order. */
	for (size_t i = nh; nfull && i-- > 0;) {
		uint32_t lit = hv[i].lit;
		size_t nel = elem_off[lit + 1] - elem_off[lit];

		if (res->nlink < nl + nel) {
			size_t a = (nl + nel) * 2;
			struct link *v = realloc(res->link, a * sizeof(*v));
			if (!v)
				return VIGIL_E_NOMEM;
			res->link = v;
			res->nlink = a;
		}
		for (uint32_t j = elem_off[lit], je = elem_off[lit + 1]; j < je; j++) {
			uint32_t code = elem_code[j], k = code >> 3;

			if (mask[k] != full[k])
				continue;
			res->link[nl] = (struct link){ (uint32_t)i, head[code] };
			head[code] = (uint32_t)nl++;
		}
	}
	return VIGIL_OK;
}

/* Find hits for every element of rule k in place; their span. Within
 * CHAIN_STEPS hits tried: a post can hold many hits of each element and
 * none placed right ("kill x x x x" thousands of times, then "you" as
 * many), and the walk is quadratic in them (510 KB took 2.1 s; a 16 MiB
 * post would have taken most of an hour). Past the bound the rule does
 * not fire. */
static bool
first_chain(const vigil_classification *res, const struct rule *rule,
	    uint32_t k, uint32_t *s, uint32_t *e)
{
	size_t steps = CHAIN_STEPS;

	*s = UINT32_MAX;
	*e = 0;
	return chain(res, rule, k, 0, NULL, 0, NULL, &steps, s, e);
}

/* Quote rule k: each quotation it reports, as a span of the normalised
 * text, into q[*nq..QUOTED_MAX), within *steps (see chain()). A chain
 * pinned to a quotation far into the post walks every hit before it, for
 * each quotation: without a bound, a post of "she said "a"" repeated
 * took seconds. Past the bound, quotations are not reported, and count. */
static void
reported(const vigil_classification *res, const struct ruleset *rs, uint32_t k,
	 struct hit *q, size_t *nq, size_t *steps)
{
	const struct rule *rule = &rs->rules[k];
	const size_t fk = (size_t)rule->qelem;

	for (uint32_t l = res->head[k << 3 | fk]; l != UINT32_MAX && *nq < QUOTED_MAX;
	     l = res->link[l].next) {
		const struct hit *x = &res->hits.v[res->link[l].hit];
		uint32_t s = UINT32_MAX, e = 0;

		if (x->lit == rs->det_lit[DET_QUOTE] &&
		    chain(res, rule, k, 0, NULL, fk, x, steps, &s, &e))
			q[(*nq)++] = *x;
	}
}

/* Run every rule whose elements all have hits, and score. */
static vigil_error
score(const vigil_classifier *c, vigil_classification *res)
{
	const struct ruleset *rs = &c->rs;
	const struct norm *n = &res->norm;
	int pos[CAT_N] = { 0 }, neg[CAT_N] = { 0 };
	struct hit q[QUOTED_MAX];
	size_t nt, nq = 0, steps = QUOTE_STEPS;
	vigil_error r;

	r = candidates(rs, res, &nt);
	for (size_t t = 0; t < nt; t++) {
		uint32_t k = res->touched[t], s = 0, e = 0;
		const struct rule *rule;

		if (res->mask[k] != rs->full[k]) {
			res->mask[k] = 0;  /* only complete rules filed hits */
			continue;
		}
		res->mask[k] = 0;
		rule = &rs->rules[k];
		if (r == VIGIL_OK && rule->qelem >= 0)
			reported(res, rs, k, q, &nq, &steps);
		else if (r == VIGIL_OK && first_chain(res, rule, k, &s, &e))
			r = match_add(res, rule->cat, k, rule->weight, s, e);  /* offsets below */
		for (size_t el = 0; el < rule->nelem; el++)
			res->head[k << 3 | el] = UINT32_MAX;
	}
	if (r == VIGIL_OK && c->model) {
		struct model_out mo[CAT_N];

		r = model_score(c->model, n, &res->ms, mo);
		for (int i = 0; i < CAT_N && r == VIGIL_OK; i++)
			if (mo[i].weight > 0)
				r = match_add(res, i, MODEL_RULE, mo[i].weight, mo[i].s, mo[i].e);
	}
	if (r != VIGIL_OK)
		return r;
	/* A match that reaches into a reported quotation counts for
	 * nothing: "Dr. X said the patient was "going to die"", "someone
	 * replied "hope u get raped" to Dr. X". Context too: the words
	 * someone else wrote neither make a label nor unmake one ("she said
	 * "get well soon". I hope she dies"), and a context that reaches
	 * into one ("wrote: "I will") is about what is already discounted. */
	for (size_t i = 0; i < res->nm; i++) {
		struct cmatch *m = &res->m[i];

		for (size_t j = 0; j < nq && !m->quoted; j++)
			m->quoted = q[j].s < m->end && m->start < q[j].e;
		if (!m->quoted && m->weight > 0)
			pos[m->cat] += m->weight;
		else if (!m->quoted)
			neg[m->cat] += m->weight;
		m->start = n->start[m->start];
		m->end = n->start[m->end];
	}
	/* Evidence for a category saturates at 1000 before context takes
	 * its share, so "I will kill you" quoted in a report still drops. */
	for (int i = 0; i < CAT_N; i++) {
		int sum = (pos[i] > 1000 ? 1000 : pos[i]) + neg[i];

		res->scores[i] = sum < 0 ? 0 : sum;
		if (res->scores[i] >= c->threshold[i])
			res->labels |= 1u << i;
	}
	return VIGIL_OK;
}

vigil_error
classify_run(const vigil_classifier *c, const char *clinician,
	     const char *text, size_t len, vigil_classification *res,
	     bool strict, char *errbuf)
{
	vigil_error r;

	if (!strict && len > NORM_MAX) {  /* judge the first NORM_MAX bytes */
		len = NORM_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	res->nm = 0;
	res->hits.n = 0;
	res->labels = 0;
	memset(res->scores, 0, sizeof(res->scores));
	res->c = c;
	r = norm_run(&res->norm, text, len, c->rs.vocab);
	if (r == VIGIL_E_TOOBIG)
		return vigil_fail(errbuf, r, "text longer than %u bytes", NORM_MAX);
	if (r != VIGIL_OK)
		return vigil_fail(errbuf, r, "out of memory");
	if (strict && res->norm.invalid)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "text is not valid UTF-8");
	if (!c->ac)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "classifier asleep (classifier_wake)");
	r = automaton_scan(c->ac, &res->norm, &res->hits);
	if (r == VIGIL_OK)
		r = doxx_scan(&c->rs, text, len, &res->norm, &res->hits);
	if (r == VIGIL_OK)
		r = quote_scan(&c->rs, text, len, &res->norm, &res->hits);
	if (r == VIGIL_OK)
		r = target_scan(c, clinician, &res->norm, &res->hits);
	if (r == VIGIL_OK)
		r = ruleset_gapped(&c->rs, &res->hits);
	if (r == VIGIL_OK)
		r = score(c, res);
	if (r != VIGIL_OK) {
		res->nm = 0;
		return vigil_fail(errbuf, r, "out of memory");
	}
	return VIGIL_OK;
}

vigil_error
vigil_classify(const vigil_classifier *c, const char *text, size_t len,
	       vigil_classification *res, char *errbuf)
{
	return classify_run(c, NULL, text, len, res, true, errbuf);
}

vigil_error
vigil_classify_about(const vigil_classifier *c, const char *clinician,
		     const char *text, size_t len, vigil_classification *res,
		     char *errbuf)
{
	return classify_run(c, clinician, text, len, res, true, errbuf);
}

int
vigil_classification_score(const vigil_classification *r, vigil_category cat)
{
	return (unsigned)cat < CAT_N ? r->scores[cat] : 0;
}

bool
vigil_classification_label(const vigil_classification *r, vigil_category cat)
{
	return (unsigned)cat < CAT_N && (r->labels & (1u << cat));
}

size_t
vigil_classification_matches(const vigil_classification *r)
{
	return r->nm;
}

vigil_error
vigil_classification_match(const vigil_classification *r, size_t i,
			   vigil_category *cat, const char **rule, int *weight,
			   size_t *start, size_t *end)
{
	const struct cmatch *m;

	if (i >= r->nm)
		return VIGIL_E_NOTFOUND;
	m = &r->m[i];
	if (cat)
		*cat = (vigil_category)m->cat;
	if (rule)
		*rule = m->rule == MODEL_RULE ? model_ids[m->cat] : r->c->rs.rules[m->rule].id;
	if (weight)
		*weight = m->quoted ? 0 : m->weight;
	if (start)
		*start = r->m[i].start;
	if (end)
		*end = r->m[i].end;
	return VIGIL_OK;
}

const char *
vigil_classification_normalized(const vigil_classification *r, size_t *len)
{
	if (len)
		*len = r->norm.text ? r->norm.len : 0;
	return r->norm.text ? r->norm.text : "";
}

const char *
classification_engine(const vigil_classification *r)
{
	return r->c ? r->c->engine : NULL;
}
