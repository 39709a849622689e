/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classifier.c - the classifier object: its rules and model loaded from
 * the compiled-in default or from disk and hashed for the engine string,
 * put to sleep and woken again, its thresholds, and the clinicians'
 * names it looks for. Judging a post is classify.c.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "classifier.h"

#define ENGINE_NAME "vigil-classify"
#define RULES_FILE_MAX (4u << 20)
#define DEFAULT_THRESHOLD 500

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

/* Read one rules file, or every *.rules file (and the *.model) of a
 * directory in name order, as the classifier's sources. */
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
	crypto_hash_sha256_state st;
	uint8_t sha[32];
	char hex[65];
	vigil_error r = VIGIL_OK;

	c = calloc(1, sizeof(*c));
	if (!c)
		return vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
	ruleset_init(&c->rs);
	if (rules_path)
		r = load_path(c, rules_path, errbuf);
	for (size_t i = 0; !rules_path && i < rules_default_n && r == VIGIL_OK; i++)
		r = add_source(c, rules_default[i].name, rules_default[i].text,
			       rules_default[i].len, NULL, errbuf);
	if (r == VIGIL_OK)
		r = build(c, errbuf);
	if (r != VIGIL_OK)
		goto out;
	/* The hash of every source's bytes, in order, as one text; for the
	 * compiled-in sources computed when they were (4 ms of a 45 ms
	 * start otherwise). */
	if (rules_path) {
		crypto_hash_sha256_init(&st);
		for (size_t i = 0; i < c->nsrc; i++)
			crypto_hash_sha256_update(&st, (const unsigned char *)c->src[i].data,
						  c->src[i].len);
		crypto_hash_sha256_final(&st, sha);
		vigil_hex(sha, sizeof(sha), hex);
	} else {
		snprintf(hex, sizeof(hex), "%s", rules_default_sha256);
	}
	snprintf(c->engine, sizeof(c->engine), "%s %s rules sha256:%s", ENGINE_NAME,
		 VIGIL_VERSION, hex);
	for (int i = 0; i < CAT_N; i++)
		c->threshold[i] = DEFAULT_THRESHOLD;
	*out = c;
	c = NULL;
out:
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
vigil_error
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
