/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c - the rule language.
 *
 *   # comment
 *   define kill = kill* | murder* | end you | shoot*
 *   rule threat.kill-you threat 600: $kill ..3 $target
 *
 * A `define` names a set of alternatives (repeating it adds more). A rule
 * has an id, a category, a weight (-1000..1000) and a pattern: elements
 * joined by `..N` (the next element starts within N words after this one
 * ends) or `~N` (within N words, either order). An element is a list of
 * alternatives split by `|`: a phrase of words (a trailing `*` matches
 * longer words, a lone `*` stands for one to three words, `@` for any
 * @handle), a `$define`, or a detector (`%phone`, `%address`,
 * `%email`, `%personal_email`, `%plate`, `%date`, `%idnum`,
 * `%spelled_phone`, `%time`, and `%clinician`: a name or handle of the
 * clinician the post is about, see vigil_classifier_add_target(); and
 * `%quote`, a quotation, see quote.c). Words go through the same
 * normaliser as posts.
 *
 *   rule threat.ctx-idiom threat -700 reach 0: dead tired | killing it
 *
 * A context (a negative weight) lowers only the evidence it reaches: the
 * words its hits cover and `reach N` words either side. `reach 0` is for
 * idioms, which explain their own words and nothing else; `reach post`
 * for the topic of the whole post. Without one, threat and doxxing
 * contexts reach REACH_NEAR (50) words, the others the whole post.
 *
 *   rule threat.ctx-lawful threat -600 reach 5 uncapped: lawsuit
 *
 * Evidence is capped at 1000 before a context takes its share, so a
 * context frames all that it reaches: what a post reports or quotes
 * counts for nothing however strong ("she said she would kill me").
 * An `uncapped` context offers another reading of some words instead
 * (lawful action: "you'll pay ... see you in court"): it is set against
 * the evidence before the cap, so it explains a weak threat but not a
 * death wish that several rules and the model agree on ("I'm reporting
 * you to the college. I hope you die").
 *
 *   rule threat.hunt-schedule threat 500 firm: hunting ~25 %time ~10 alone
 *
 * `firm` evidence is written for the context it appears in (a person
 * hunted on a schedule is not a hunting trip): no context explains it
 * away, though in a reported quotation it still counts for nothing.
 *
 *   quote reported.wrote: she wrote | he said ..3 %quote
 *
 * A `quote` rule has an id and a pattern with a %quote element, and no
 * category or weight: when it matches, the post reports what someone else
 * wrote, and the rules whose match reaches into that quotation count for
 * nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

#define RULE_LINE_MAX 16384
enum { NAME_RULE, NAME_DEFINE };  /* ruleset.names[] */
#define RULE_MAX_ELEMS 8

const char *const category_names[CAT_N] = {
	"threat", "sexual", "doxxing", "hate", "insult",
};

static const char *const det_names[DET_N] = {
	[DET_PHONE] = "phone", [DET_SPELLED_PHONE] = "spelled_phone",
	[DET_ADDRESS] = "address", [DET_EMAIL] = "email",
	[DET_PERSONAL_EMAIL] = "personal_email", [DET_PLATE] = "plate",
	[DET_DATE] = "date", [DET_IDNUM] = "idnum", [DET_TIME] = "time",
	[DET_CLINICIAN] = "clinician", [DET_QUOTE] = "quote",
};

struct rdefine {
	char *name;
	struct element set;
};

int
category_from_name(const char *name)
{
	for (int i = 0; i < CAT_N; i++)
		if (strcmp(category_names[i], name) == 0)
			return i;
	return -1;
}

void
ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	for (size_t i = 0; i < DET_N; i++)
		rs->det_lit[i] = UINT32_MAX;
	norm_init(&rs->scratch);
}

void
ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nlits; i++)
		free(rs->lits[i].text);
	for (size_t i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];
		for (size_t k = 0; k < r->nelem; k++)
			free(r->elem[k].lits);
		free(r->elem);
		free(r->op);
		free(r->dist);
		free(r->id);
	}
	for (size_t i = 0; i < rs->npats; i++)
		free(rs->pats[i].text);
	for (size_t i = 0; i < rs->nlits && rs->comp; i++)
		free(rs->comp[i]);
	free(rs->elem_off);
	free(rs->elem_code);
	free(rs->full);
	free(rs->comp);
	free(rs->ncomp);
	free(rs->litflags);
	for (size_t i = 0; i < rs->ndefs; i++) {
		free(rs->defs[i].name);
		free(rs->defs[i].set.lits);
	}
	if (rs->vocab) {
		free(rs->vocab->ids);
		free(rs->vocab->lens);
		free(rs->vocab->words);
		free(rs->vocab->wtab);
		free(rs->vocab->itab);
	}
	free(rs->vocab);
	free(rs->defs);
	free(rs->hash);
	free(rs->names[NAME_RULE]);
	free(rs->names[NAME_DEFINE]);
	free(rs->pats);
	free(rs->rules);
	free(rs->lits);
	norm_free(&rs->scratch);
	ruleset_init(rs);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

bool
element_has(const struct element *e, uint32_t lit)
{
	return bsearch(&lit, e->lits, e->n, sizeof(uint32_t), cmp_u32) != NULL;
}

static vigil_error
set_add(struct element *e, uint32_t lit)
{
	uint32_t *p;

	for (size_t i = 0; i < e->n; i++)
		if (e->lits[i] == lit)
			return VIGIL_OK;
	p = realloc(e->lits, (e->n + 1) * sizeof(uint32_t));
	if (!p)
		return VIGIL_E_NOMEM;
	e->lits = p;
	e->lits[e->n++] = lit;
	return VIGIL_OK;
}

static uint32_t
literal_hash(const char *text, bool prefix, int det)
{
	return fnv1a(FNV_BASIS ^ (uint32_t)prefix ^ (uint32_t)det << 1, text, strlen(text));
}

/* Grow the open-addressing table of literal ids to twice nlits. */
static bool
hash_grow(struct ruleset *rs)
{
	size_t cap = rs->hcap ? rs->hcap * 2 : 1024;
	uint32_t *t;

	while (cap < (rs->nlits + 1) * 2)  /* the table may have been dropped */
		cap *= 2;
	t = malloc(cap * sizeof(uint32_t));

	if (!t)
		return false;
	memset(t, 0xff, cap * sizeof(uint32_t));
	for (uint32_t i = 0; i < rs->nlits; i++) {
		const struct literal *l = &rs->lits[i];
		size_t k = literal_hash(l->text, l->prefix, l->det) & (cap - 1);

		while (t[k] != UINT32_MAX)
			k = (k + 1) & (cap - 1);
		t[k] = i;
	}
	free(rs->hash);
	rs->hash = t;
	rs->hcap = cap;
	return true;
}

uint32_t
ruleset_intern(struct ruleset *rs, const char *text, bool prefix, int det)
{
	struct literal *l;
	uint8_t nw = 0;
	size_t k;

	if ((rs->nlits + 1) * 2 > rs->hcap && !hash_grow(rs))
		return UINT32_MAX;
	k = literal_hash(text, prefix, det) & (rs->hcap - 1);
	for (; rs->hash[k] != UINT32_MAX; k = (k + 1) & (rs->hcap - 1)) {
		l = &rs->lits[rs->hash[k]];
		if (l->prefix == prefix && l->det == det && strcmp(l->text, text) == 0)
			return rs->hash[k];
	}
	if (rs->nlits == rs->alits) {
		size_t a = rs->alits ? rs->alits * 2 : 256;
		l = realloc(rs->lits, a * sizeof(*l));
		if (!l)
			return UINT32_MAX;
		rs->lits = l;
		rs->alits = a;
	}
	l = &rs->lits[rs->nlits];
	l->text = strdup(text);
	if (!l->text)
		return UINT32_MAX;
	for (const char *p = text; *p; p++)
		nw += *p == ' ';
	l->prefix = prefix;
	l->nwords = nw;
	l->det = (uint8_t)det;
	l->positive = 0;
	l->nparts = 0;
	l->dword = -1;
	rs->hash[k] = (uint32_t)rs->nlits;
	return (uint32_t)rs->nlits++;
}

/* The names of rules (NAME_RULE) and defines (NAME_DEFINE), each in an
 * open-addressing table of indices (ruleset.names). */
static const char *
name_of(const struct ruleset *rs, int kind, uint32_t i)
{
	return kind == NAME_RULE ? rs->rules[i].id : rs->defs[i].name;
}

static uint32_t
name_find(const struct ruleset *rs, int kind, const char *name)
{
	const uint32_t *t = rs->names[kind];
	size_t mask = rs->ncap[kind] - 1;

	if (!t)
		return UINT32_MAX;
	for (size_t k = fnv1a(FNV_BASIS, name, strlen(name)) & mask; t[k] != UINT32_MAX;
	     k = (k + 1) & mask)
		if (strcmp(name_of(rs, kind, t[k]), name) == 0)
			return t[k];
	return UINT32_MAX;
}

/* Put name i in its table, which has room. */
static void
name_put(struct ruleset *rs, int kind, uint32_t i)
{
	const char *name = name_of(rs, kind, i);
	size_t mask = rs->ncap[kind] - 1, k = fnv1a(FNV_BASIS, name, strlen(name)) & mask;

	while (rs->names[kind][k] != UINT32_MAX)
		k = (k + 1) & mask;
	rs->names[kind][k] = i;
}

/* Index name i, the last added of its kind (n of them): the table grows
 * to keep at most half its slots used, and takes all the names again. */
static bool
name_add(struct ruleset *rs, int kind, uint32_t i, size_t n)
{
	size_t cap = rs->ncap[kind];
	uint32_t *t;

	if (n * 2 <= cap) {
		name_put(rs, kind, i);
		return true;
	}
	cap = cap ? cap * 2 : 256;
	while (n * 2 > cap)
		cap *= 2;
	t = malloc(cap * sizeof(uint32_t));
	if (!t)
		return false;
	memset(t, 0xff, cap * sizeof(uint32_t));
	free(rs->names[kind]);
	rs->names[kind] = t;
	rs->ncap[kind] = cap;
	for (uint32_t j = 0; j < n; j++)
		name_put(rs, kind, j);
	return true;
}

static struct rdefine *
define_find(struct ruleset *rs, const char *name)
{
	uint32_t i = name_find(rs, NAME_DEFINE, name);

	return i == UINT32_MAX ? NULL : &rs->defs[i];
}

static struct rdefine *
define_get(struct ruleset *rs, const char *name)
{
	struct rdefine *d = define_find(rs, name);

	if (d)
		return d;
	if (rs->ndefs == rs->adefs) {
		size_t a = rs->adefs ? rs->adefs * 2 : 32;
		d = realloc(rs->defs, a * sizeof(*d));
		if (!d)
			return NULL;
		rs->defs = d;
		rs->adefs = a;
	}
	d = &rs->defs[rs->ndefs];
	memset(d, 0, sizeof(*d));
	d->name = strdup(name);
	if (!d->name)
		return NULL;
	rs->ndefs++;
	if (!name_add(rs, NAME_DEFINE, (uint32_t)rs->ndefs - 1, rs->ndefs)) {
		free(d->name);
		rs->ndefs--;
		return NULL;
	}
	return d;
}

struct pctx {
	struct ruleset *rs;
	const char *file;
	unsigned line;
	char *errbuf;
};

#define PFAIL(p, ...) \
	vigil_fail((p)->errbuf, VIGIL_E_PARSE, "%s:%u: " __VA_ARGS__)

/* Normalise and intern one phrase. UINT32_MAX - 1 when it holds no
 * word (errbuf set), UINT32_MAX when out of memory. */
static uint32_t
phrase_intern(struct pctx *p, const char *alt, bool prefix)
{
	struct norm *sc = &p->rs->scratch;

	if (norm_run(sc, alt, strlen(alt), NULL) != VIGIL_OK)
		return UINT32_MAX;
	if (sc->len < 3) {
		PFAIL(p, "'%s' has no letters or digits", p->file, p->line, alt);
		return UINT32_MAX - 1;
	}
	sc->text[sc->len - 1] = '\0';  /* drop the end space */
	return ruleset_intern(p->rs, sc->text, prefix, DET_NONE);
}

/* "smash * face": parts joined by gaps of one to LIT_GAP_MAX words. */
static vigil_error
parse_gapped(struct pctx *p, char *alt, bool prefix, struct element *e)
{
	uint32_t part[LIT_MAX_PARTS], id;
	char key[RULE_LINE_MAX + 8], *s = alt;
	size_t np = 0;

	for (;;) {
		char *star = strstr(s, " * "), *end = star ? star : s + strlen(s);
		char save = *end;

		if (strchr(s, '*') && (!star || strchr(s, '*') < star))
			return PFAIL(p, "'*' must stand alone or end a phrase in '%s'",
				     p->file, p->line, alt);
		if (np == LIT_MAX_PARTS)
			return PFAIL(p, "more than %d parts in '%s'", p->file, p->line,
				     LIT_MAX_PARTS, alt);
		*end = '\0';
		id = phrase_intern(p, s, star ? false : prefix);
		*end = save;
		if (id == UINT32_MAX - 1)
			return VIGIL_E_PARSE;
		if (id == UINT32_MAX)
			return VIGIL_E_NOMEM;
		part[np++] = id;
		if (!star)
			break;
		s = star + 3;
	}
	if (np < 2)
		return PFAIL(p, "'*' must stand between words in '%s'", p->file,
			     p->line, alt);
	key[0] = '\0';
	for (size_t i = 0; i < np; i++) {
		size_t kl = strlen(key);
		snprintf(key + kl, sizeof(key) - kl, "%s%s", i ? " *" : "",
			 p->rs->lits[part[i]].text);
	}
	id = ruleset_intern(p->rs, key, prefix, DET_NONE);
	if (id == UINT32_MAX)
		return VIGIL_E_NOMEM;
	p->rs->lits[id].nparts = (uint8_t)np;
	memcpy(p->rs->lits[id].part, part, np * sizeof(uint32_t));
	return set_add(e, id);
}

/* Add one alternative (a phrase, $name or %detector) to set `e`. */
static vigil_error
parse_alt(struct pctx *p, char *alt, struct element *e)
{
	size_t n = strlen(alt);
	bool prefix = false;
	vigil_error r;

	while (n && isspace((unsigned char)alt[n - 1]))
		alt[--n] = '\0';
	while (*alt && isspace((unsigned char)*alt))
		alt++, n--;
	if (n == 0)
		return PFAIL(p, "empty alternative", p->file, p->line);
	if (alt[0] == '$') {
		struct rdefine *d = define_find(p->rs, alt + 1);
		if (!d)
			return PFAIL(p, "unknown define '%s'", p->file, p->line, alt);
		for (size_t i = 0; i < d->set.n; i++)
			if ((r = set_add(e, d->set.lits[i])) != VIGIL_OK)
				return r;
		return VIGIL_OK;
	}
	if (alt[0] == '%') {
		for (int k = 1; k < DET_N; k++) {
			if (strcmp(det_names[k], alt + 1) == 0) {
				uint32_t id = ruleset_intern(p->rs, alt, false, k);
				if (id == UINT32_MAX)
					return VIGIL_E_NOMEM;
				p->rs->det_lit[k] = id;
				return set_add(e, id);
			}
		}
		return PFAIL(p, "unknown detector '%s'", p->file, p->line, alt);
	}
	if (alt[n - 1] == '*' && (n == 1 || alt[n - 2] != ' ')) {
		prefix = true;
		alt[--n] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		if (alt[i] == '$' || alt[i] == '%')
			return PFAIL(p, "'%c' inside a phrase in '%s'", p->file,
				     p->line, alt[i], alt);
	if (strchr(alt, '*'))
		return parse_gapped(p, alt, prefix, e);
	if (strcmp(alt, "@") == 0) {  /* any @handle */
		uint32_t id = ruleset_intern(p->rs, " @", true, DET_NONE);
		return id == UINT32_MAX ? VIGIL_E_NOMEM : set_add(e, id);
	}
	{
		uint32_t id = phrase_intern(p, alt, prefix);
		if (id == UINT32_MAX - 1)
			return VIGIL_E_PARSE;
		if (id == UINT32_MAX)
			return VIGIL_E_NOMEM;
		return set_add(e, id);
	}
}

/* Parse "a | b | $c" into e. */
static vigil_error
parse_element(struct pctx *p, char *s, struct element *e)
{
	char *save = NULL, *alt;
	vigil_error r;

	if (strstr(s, "||") || s[strspn(s, " \t")] == '|')
		return PFAIL(p, "empty alternative", p->file, p->line);
	for (alt = strtok_r(s, "|", &save); alt; alt = strtok_r(NULL, "|", &save))
		if ((r = parse_alt(p, alt, e)) != VIGIL_OK)
			return r;
	if (e->n == 0)
		return PFAIL(p, "empty element", p->file, p->line);
	qsort(e->lits, e->n, sizeof(uint32_t), cmp_u32);
	return VIGIL_OK;
}

/* Find the next operator (..N or ~N, surrounded by spaces) in s. */
static char *
next_op(char *s, int *op, int *dist, char **after)
{
	for (char *q = s; *q; q++) {
		char *d;
		long v;

		if (q > s && !isspace((unsigned char)q[-1]))
			continue;
		if (q[0] == '.' && q[1] == '.')
			d = q + 2, *op = OP_AFTER;
		else if (q[0] == '~')
			d = q + 1, *op = OP_NEAR;
		else
			continue;
		if (!isdigit((unsigned char)*d))
			continue;
		v = strtol(d, after, 10);
		if (**after && !isspace((unsigned char)**after))
			continue;
		*dist = v > 50 ? 51 : (int)v;
		return q;
	}
	return NULL;
}

/* The element of a quote rule that holds %quote, or -1. */
static int
quote_element(const struct ruleset *rs, const struct rule *rule)
{
	for (size_t k = 0; k < rule->nelem; k++)
		for (size_t j = 0; j < rule->elem[k].n; j++)
			if (rs->lits[rule->elem[k].lits[j]].det == DET_QUOTE)
				return (int)k;
	return -1;
}

/* A reach in words: 0..REACH_MAX, digits only. */
static int
parse_reach(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > REACH_MAX)
			return -1;
	}
	*out = v;
	return 0;
}

/* "rule ID CATEGORY WEIGHT: PATTERN", or with `quote` set
 * "quote ID: PATTERN" (a pattern with a %quote element: what it matches
 * inside that quotation counts for nothing). */
static vigil_error
parse_rule(struct pctx *p, char *s, bool quote)
{
	struct ruleset *rs = p->rs;
	struct rule rule = { .qelem = -1 };
	char id[128], cat[32], *colon, *rest, *op_at, *after;
	int weight = 0, consumed = 0, op, dist;
	vigil_error r = VIGIL_OK;
	const char *usage = quote ? "expected 'quote ID: PATTERN'" :
				    "expected 'rule ID CATEGORY WEIGHT [reach N|post] [firm] [uncapped]: PATTERN'";

	colon = strchr(s, ':');
	if (!colon)
		return PFAIL(p, "%s", p->file, p->line, usage);
	*colon = '\0';
	if (quote) {
		if (sscanf(s, "%127s %n", id, &consumed) != 1 || s[consumed] != '\0')
			return PFAIL(p, "%s", p->file, p->line, usage);
		rule.cat = -1;
	} else {
		char how[16];
		int n2 = 0;

		if (sscanf(s, "%127s %31s %d %n", id, cat, &weight, &consumed) != 3)
			return PFAIL(p, "%s", p->file, p->line, usage);
		rule.cat = category_from_name(cat);
		if (rule.cat < 0)
			return PFAIL(p, "unknown category '%s'", p->file, p->line, cat);
		if (weight < -1000 || weight > 1000 || weight == 0)
			return PFAIL(p, "weight %d not in -1000..1000 or zero", p->file,
				     p->line, weight);
		rule.reach = rule.cat == CAT_THREAT || rule.cat == CAT_DOXXING ?
			     REACH_NEAR : REACH_POST;
		if (sscanf(s + consumed, "reach %15s %n", how, &n2) == 1) {
			if (weight > 0)
				return PFAIL(p, "reach is for context (a negative weight)",
					     p->file, p->line);
			if (strcmp(how, "post") == 0)
				rule.reach = REACH_POST;
			else if (parse_reach(how, &rule.reach) != 0)
				return PFAIL(p, "reach '%s' is not a number of words (0..%d) or 'post'",
					     p->file, p->line, how, REACH_MAX);
			consumed += n2;
		}
		n2 = 0;
		if (sscanf(s + consumed, "firm %n", &n2) == 0 && n2 > 0) {
			if (weight < 0)
				return PFAIL(p, "firm is for evidence (a positive weight)",
					     p->file, p->line);
			rule.firm = true;
			consumed += n2;
		}
		n2 = 0;
		if (sscanf(s + consumed, "uncapped %n", &n2) == 0 && n2 > 0) {
			if (weight > 0)
				return PFAIL(p, "uncapped is for context (a negative weight)",
					     p->file, p->line);
			rule.uncapped = true;
			consumed += n2;
		}
		if (s[consumed] != '\0')
			return PFAIL(p, "%s", p->file, p->line, usage);
	}
	if (name_find(rs, NAME_RULE, id) != UINT32_MAX)
		return PFAIL(p, "duplicate rule id '%s'", p->file, p->line, id);
	rule.weight = weight;
	rule.elem = calloc(RULE_MAX_ELEMS, sizeof(*rule.elem));
	rule.op = calloc(RULE_MAX_ELEMS, 1);
	rule.dist = calloc(RULE_MAX_ELEMS, 1);
	rule.id = strdup(id);
	if (!rule.elem || !rule.op || !rule.dist || !rule.id) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	rest = colon + 1;
	for (;;) {
		if (rule.nelem == RULE_MAX_ELEMS) {
			r = PFAIL(p, "more than %d elements", p->file, p->line,
				  RULE_MAX_ELEMS);
			goto out;
		}
		op_at = next_op(rest, &op, &dist, &after);
		if (op_at)
			*op_at = '\0';
		r = parse_element(p, rest, &rule.elem[rule.nelem++]);
		if (r != VIGIL_OK)
			goto out;
		if (!op_at)
			break;
		if (dist < 1 || dist > 50) {
			r = PFAIL(p, "distance must be 1..50", p->file, p->line);
			goto out;
		}
		rule.op[rule.nelem - 1] = (uint8_t)op;
		rule.dist[rule.nelem - 1] = (uint8_t)dist;
		rest = after;
	}
	if (quote && (rule.qelem = quote_element(rs, &rule)) < 0) {
		r = PFAIL(p, "a quote rule needs a %%quote element", p->file, p->line);
		goto out;
	}
	if (rs->nrules == rs->arules) {
		size_t a = rs->arules ? rs->arules * 2 : 128;
		struct rule *v = realloc(rs->rules, a * sizeof(*v));
		if (!v) {
			r = VIGIL_E_NOMEM;
			goto out;
		}
		rs->rules = v;
		rs->arules = a;
	}
	rs->rules[rs->nrules++] = rule;
	if (!name_add(rs, NAME_RULE, (uint32_t)rs->nrules - 1, rs->nrules)) {
		rs->nrules--;
		r = VIGIL_E_NOMEM;
		goto out;
	}
	return VIGIL_OK;
out:
	for (size_t k = 0; k < rule.nelem; k++)
		free(rule.elem[k].lits);
	free(rule.elem);
	free(rule.op);
	free(rule.dist);
	free(rule.id);
	return r;
}

static vigil_error
parse_define(struct pctx *p, char *s)
{
	char name[64];
	int consumed = 0;
	struct element e = { 0 };
	struct rdefine *d;
	vigil_error r;

	if (sscanf(s, "%63[A-Za-z0-9_] = %n", name, &consumed) != 1 || !consumed)
		return PFAIL(p, "expected 'define NAME = ALTERNATIVES'", p->file,
			     p->line);
	{
		int op, dist;
		char *after, *at = next_op(s + consumed, &op, &dist, &after);

		if (at)  /* else "a ..2 b" would be the phrase "a 2 b" */
			return PFAIL(p, "'%.*s' in define '%s': a define holds "
				     "alternatives; '..N' and '~N' join the elements "
				     "of a rule", p->file, p->line,
				     (int)(after - at), at, name);
	}
	r = parse_element(p, s + consumed, &e);
	if (r != VIGIL_OK)
		goto out;
	d = define_get(p->rs, name);
	if (!d) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < e.n && r == VIGIL_OK; i++)
		r = set_add(&d->set, e.lits[i]);
	if (r == VIGIL_OK)
		qsort(d->set.lits, d->set.n, sizeof(uint32_t), cmp_u32);
out:
	free(e.lits);
	return r;
}

vigil_error
ruleset_parse(struct ruleset *rs, const char *file, const char *text,
	      size_t len, char *errbuf)
{
	struct pctx p = { rs, file, 0, errbuf };
	char line[RULE_LINE_MAX];
	size_t i = 0;
	vigil_error r = VIGIL_OK;

	if (!vigil_utf8_valid(text, len))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "%s: not valid UTF-8", file);
	while (i < len && r == VIGIL_OK) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		char *s;

		p.line++;
		if (n >= sizeof(line))
			return PFAIL(&p, "line longer than %d bytes", file, p.line,
				     RULE_LINE_MAX - 1);
		if (memchr(text + i, '\0', n))
			return PFAIL(&p, "NUL byte", file, p.line);
		memcpy(line, text + i, n);
		line[n] = '\0';
		i += n + 1;
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		s = line + strspn(line, " \t");
		if (*s == '#' || *s == '\0')
			continue;
		if (strncmp(s, "rule", 4) == 0 && isspace((unsigned char)s[4]))
			r = parse_rule(&p, s + 5, false);
		else if (strncmp(s, "quote", 5) == 0 && isspace((unsigned char)s[5]))
			r = parse_rule(&p, s + 6, true);
		else if (strncmp(s, "define", 6) == 0 && isspace((unsigned char)s[6]))
			r = parse_define(&p, s + 7);
		else
			r = PFAIL(&p, "expected 'rule', 'quote' or 'define'", file, p.line);
	}
	return r;
}
