/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify.c - the classifier at work: scan a post once, score the five
 * categories and say which rules fired where (the classifier object,
 * its loading and sleep, is classifier.c).
 *
 * A post is normalised (normalize.c), scanned by one automaton
 * (automaton.c) and by the doxxing detectors (doxx.c). Each rule fires at
 * most once per post; a category's score is the sum of the positive
 * weights of its rules that fired, capped at 1000, plus the negative ones
 * (context), floored at 0; or, when more, the evidence that no context
 * reaches (a context explains what is near it: see rules.c), capped at
 * 1000. It is a label when the score reaches the category's threshold.
 */
#include <stdlib.h>
#include <string.h>

#include "classifier.h"

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
	uint32_t ws, we;  /* words a context covers (context_words()), or
			   * evidence's own (unexplained()) */
	bool alone;       /* evidence no context reaches (unexplained()) */
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
	uint32_t *space;             /* offsets of the post's spaces (word_at()) */
	size_t nspace, aspace;
};

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
	free(r->space);
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
	res->m[res->nm++] = (struct cmatch){
		.cat = cat, .rule = rule, .weight = weight, .start = s, .end = e,
		.ws = 0, .we = UINT32_MAX,  /* all: until context_words() */
	};
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

/* The word at normalised offset o: spaces before it, found in the
 * post's space offsets (made once, when first needed). -1 when out of
 * memory. */
static int64_t
word_at(vigil_classification *res, size_t o)
{
	const struct norm *n = &res->norm;
	size_t lo = 0, hi;

	if (!res->nspace) {
		size_t k = 0;

		if (res->aspace < n->len + 1) {
			uint32_t *v = realloc(res->space, (n->len + 1) * sizeof(*v));
			if (!v)
				return -1;
			res->space = v;
			res->aspace = n->len + 1;
		}
		for (const char *p = n->text, *end = n->text + n->len;
		     (p = memchr(p, ' ', (size_t)(end - p))) != NULL; p++)
			res->space[k++] = (uint32_t)(p - n->text);
		res->space[k++] = UINT32_MAX;  /* so nspace is not 0 */
		res->nspace = k;
	}
	hi = res->nspace - 1;
	while (lo < hi) {  /* the first space at or after o */
		size_t mid = lo + (hi - lo) / 2;

		if (res->space[mid] < o)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int64_t)lo;
}

/* The words context rule k covers: every place it fires, first to last
 * ("hunting" twice in a post covers both; "%phone ~8 clinic" each phone
 * near a clinic word, not one far from it), within the steps a chain
 * may take. unexplained() lets it reach rule->reach words beyond.
 * Returns false when out of memory. */
static bool
context_words(vigil_classification *res, const struct rule *rule, uint32_t k,
	      struct cmatch *m)
{
	size_t steps = CHAIN_STEPS;

	m->ws = UINT32_MAX;
	m->we = 0;
	for (uint32_t l = res->head[k << 3]; l != UINT32_MAX; l = res->link[l].next) {
		const struct hit *x = &res->hits.v[res->link[l].hit];
		uint32_t s = UINT32_MAX, e = 0;
		int64_t ws, we;

		if (rule->nelem == 1) {
			m->ws = x->wstart < m->ws ? x->wstart : m->ws;
			m->we = x->wend > m->we ? x->wend : m->we;
			continue;
		}
		if (!chain(res, rule, k, 0, NULL, 0, x, &steps, &s, &e))
			continue;
		ws = word_at(res, s);
		we = word_at(res, e > s ? e - 1 : s);
		if (ws < 0 || we < 0)
			return false;
		m->ws = (uint32_t)ws < m->ws ? (uint32_t)ws : m->ws;
		m->we = (uint32_t)we > m->we ? (uint32_t)we : m->we;
	}
	return true;
}

/* The evidence for category cat that no context of it reaches (each
 * context rule has a reach in words, see rules.c), in the densest
 * stretch of REACH_NEAR words: a context explains away what is near it,
 * not a threat sixty words on ("... the news report on hunting season.
 * [...] I will kill you"), and weak evidence scattered over a long post
 * does not add up. No context reaches firm evidence. -1 when out of
 * memory. */
static int
unexplained(vigil_classification *res, int cat)
{
	const struct rule *rules = res->c->rs.rules;
	const int64_t R = REACH_NEAR;
	int best = 0;

	for (size_t i = 0; i < res->nm; i++) {
		struct cmatch *m = &res->m[i];
		int64_t ws, we;
		bool near = false, firm;

		if (m->cat != cat || m->quoted || m->weight <= 0)
			continue;
		firm = m->rule != MODEL_RULE && rules[m->rule].firm;
		ws = word_at(res, m->start);
		we = word_at(res, m->end > m->start ? m->end - 1 : m->start);
		if (ws < 0 || we < 0)
			return -1;
		for (size_t j = 0; j < res->nm && !near && !firm; j++) {
			const struct cmatch *x = &res->m[j];
			int64_t r;

			if (x->cat != cat || x->quoted || x->weight >= 0)
				continue;  /* a context: a rule, never the model */
			r = rules[x->rule].reach;
			near = r == REACH_POST ||
			       ((int64_t)x->ws <= we + r && ws <= (int64_t)x->we + r);
		}
		if (near)
			continue;
		m->ws = (uint32_t)ws;  /* evidence: its own words */
		m->we = (uint32_t)we;
		m->alone = true;
	}
	for (size_t i = 0; i < res->nm; i++) {
		const struct cmatch *m = &res->m[i];
		int sum = 0;

		if (m->cat != cat || !m->alone)
			continue;
		for (size_t j = 0; j < res->nm; j++) {
			const struct cmatch *x = &res->m[j];

			if (x->cat == cat && x->alone &&
			    (int64_t)x->ws <= (int64_t)m->we + R &&
			    (int64_t)m->ws <= (int64_t)x->we + R)
				sum += x->weight;
		}
		best = sum > best ? sum : best;
	}
	return best;
}

/* Run every rule whose elements all have hits, and score. */
static vigil_error
score(const vigil_classifier *c, vigil_classification *res)
{
	const struct ruleset *rs = &c->rs;
	const struct norm *n = &res->norm;
	int pos[CAT_N] = { 0 }, neg[CAT_N] = { 0 }, uneg[CAT_N] = { 0 };
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
		else if (r == VIGIL_OK && first_chain(res, rule, k, &s, &e)) {
			r = match_add(res, rule->cat, k, rule->weight, s, e);  /* offsets below */
			if (r == VIGIL_OK && rule->weight < 0 &&
			    !context_words(res, rule, k, &res->m[res->nm - 1]))
				r = VIGIL_E_NOMEM;
		}
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
		if (m->quoted)
			continue;
		if (m->weight > 0)
			pos[m->cat] += m->weight;
		else if (m->rule != MODEL_RULE && rs->rules[m->rule].uncapped)
			uneg[m->cat] = m->weight < uneg[m->cat] ? m->weight : uneg[m->cat];
		else
			neg[m->cat] += m->weight;
	}
	/* Evidence for a category saturates at 1000 before context takes
	 * its share, so "I will kill you" quoted in a report still drops;
	 * an uncapped context (lawful action) takes its share before, so
	 * it lowers a weak threat and not a death wish; unless the
	 * evidence no context reaches scores more on its own. */
	for (int i = 0; i < CAT_N; i++) {
		int ev = pos[i] + uneg[i];
		int sum = (ev > 1000 ? 1000 : ev) + neg[i];

		if ((neg[i] < 0 || uneg[i] < 0) && pos[i] > 0) {
			int alone = unexplained(res, i);

			if (alone < 0)
				return VIGIL_E_NOMEM;
			alone = alone > 1000 ? 1000 : alone;
			sum = alone > sum ? alone : sum;
		}

		res->scores[i] = sum < 0 ? 0 : sum;
		if (res->scores[i] >= c->threshold[i])
			res->labels |= 1u << i;
	}
	for (size_t i = 0; i < res->nm; i++) {
		res->m[i].start = n->start[res->m[i].start];
		res->m[i].end = n->start[res->m[i].end];
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
	res->nspace = 0;
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
