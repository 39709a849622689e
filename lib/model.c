/* SPDX-License-Identifier: Apache-2.0 */
/*
 * model.c - a linear model over the words of the normalised text, beside
 * the rules: logistic regression per category on TF-IDF weighted words
 * and word pairs, trained on labelled posts (contrib/train-model.py).
 *
 * The rules judge the phrases someone wrote down; they reach little past
 * them ("we know where you park" is a threat, "nice car, be a shame if
 * its brakes..." only when a rule names brakes). The model scores every
 * word it has weights for, so a post phrased in a way no rule foresaw
 * can still score. It counts only where it is confident: from a
 * probability `from` (0.6 in the default model) up to 1 it adds 0..1000
 * to the category's score, as a match named model.CATEGORY whose span is
 * the word or pair that weighed most. Contexts of the rules (lawful
 * action, reported speech, clinical words) then lower it as they lower a
 * rule's score.
 *
 * A model file, text, one record per line ('#' starts a comment):
 *
 *   model 1
 *   categories threat sexual ...      the columns below, each once
 *   bias B...                         one per category
 *   from P                            0 < P < 1
 *   f IDF W... WORD [WORD]            a word or a pair of words
 *
 * A word is what the normaliser writes: no space or control byte. Each
 * word of a pair is a feature too (a pair in N posts has its words in
 * N posts: the trainer's threshold on posts keeps them). The
 * score of a post is bias + the sum over its features of W times
 * (1 + ln count) * IDF, the vector scaled to unit length first; the
 * probability is the logistic of that (what scikit-learn's
 * TfidfVectorizer(sublinear_tf) and LogisticRegression compute).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

#define MODEL_WORD_MAX 64      /* bytes in a word of a feature */
#define MODEL_FEATURES_MAX (1u << 20)

struct mslot {
	uint32_t h;          /* key_hash() of the key */
	uint32_t f;          /* 1 + feature; 0 when free */
};

struct model {
	size_t nfeat;
	char *arena;         /* the keys, "word" or "word word", each
			      * NUL-terminated */
	size_t alen, acap;
	uint32_t *koff;      /* [feature]: where its key starts in arena */
	uint16_t *klen;
	float *idf;          /* [feature] */
	float *w;            /* [feature * CAT_N + cat] */
	uint8_t *topic;      /* [feature]: weighs up every category of a
			      * model of several ("dr"): says what a post is
			      * about, not why it is abusive, so never the
			      * span shown, nor enough for a match alone */
	double bias[CAT_N];
	bool has[CAT_N];
	double from;
	struct mslot *tab;   /* features by key_hash(), open addressing */
	size_t tcap;
	size_t afeat;
};

void
model_free(struct model *m)
{
	if (!m)
		return;
	free(m->arena);
	free(m->koff);
	free(m->klen);
	free(m->idf);
	free(m->w);
	free(m->topic);
	free(m->tab);
	free(m);
}

/* The hash of a word pair from the hashes of its words, so a scan
 * hashes each word of a post once. */
static inline uint32_t
pair_hash(uint32_t h1, uint32_t h2)
{
	uint32_t h = h1 * 0x9e3779b1u ^ h2;

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

static inline const char *
key(const struct model *m, size_t f)
{
	return m->arena + m->koff[f];
}

static uint32_t
key_hash(const char *k, size_t len)
{
	const char *sp = memchr(k, ' ', len);

	if (!sp)
		return fnv1a(FNV_BASIS, k, len);
	return pair_hash(fnv1a(FNV_BASIS, k, (size_t)(sp - k)),
			 fnv1a(FNV_BASIS, sp + 1, len - (size_t)(sp - k) - 1));
}

/* The feature with key k[0..len) and hash h, or UINT32_MAX. */
static uint32_t
find(const struct model *m, uint32_t h, const char *k, size_t len)
{
	size_t mask = m->tcap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct mslot *x = &m->tab[i];

		if (!x->f)
			return UINT32_MAX;
		if (x->h == h && m->klen[x->f - 1] == len) {
			const char *kf = key(m, x->f - 1);
			size_t j = 0;

			while (j < len && kf[j] == k[j])  /* short: no call */
				j++;
			if (j == len)
				return x->f - 1;
		}
	}
}

/* The hash of the keys; VIGIL_E_EXISTS with *dup set when a key is
 * there twice. */
static vigil_error
index_features(struct model *m, size_t *dup)
{
	size_t cap = 64;

	while (cap < m->nfeat * 2)
		cap *= 2;
	m->tab = calloc(cap, sizeof(*m->tab));
	if (!m->tab)
		return VIGIL_E_NOMEM;
	m->tcap = cap;
	for (size_t f = 0; f < m->nfeat; f++) {
		uint32_t h = key_hash(key(m, f), m->klen[f]);
		size_t i = h & (cap - 1);

		while (m->tab[i].f) {
			uint32_t g = m->tab[i].f - 1;

			if (m->klen[g] == m->klen[f] &&
			    memcmp(key(m, g), key(m, f), m->klen[f]) == 0) {
				*dup = f;
				return VIGIL_E_EXISTS;
			}
			i = (i + 1) & (cap - 1);
		}
		m->tab[i] = (struct mslot){ h, (uint32_t)f + 1 };
	}
	return VIGIL_OK;
}

/* Split line[0..len) at spaces and tabs into at most max fields. */
static size_t
fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

/* A number of the file: finite, and small enough that no sum over a
 * post's features can overflow. */
#define MODEL_NUMBER_MAX 1e6

/* Exact powers of ten: a mantissa of 15 digits or fewer times or over
 * one of these is rounded once, so equals strtod()'s result. */
static const double exact10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The numbers the trainer writes ("-0.269217", "1.2e-05"), without
 * strtod() (a third of the time to load the model); false when s is of
 * another form, for strtod() to judge. */
static bool
number_fast(const char *s, double *v)
{
	uint64_t mant = 0;
	int digits = 0, exp10 = 0, e = 0;
	bool neg = *s == '-', eneg = false;

	s += neg;
	if (!(*s >= '0' && *s <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		mant = mant * 10 + (uint64_t)(*s - '0');
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		for (; *s >= '0' && *s <= '9'; s++, digits++, exp10--)
			mant = mant * 10 + (uint64_t)(*s - '0');
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		eneg = *s == '-';
		s += *s == '-' || *s == '+';
		if (!(*s >= '0' && *s <= '9'))
			return false;
		for (; *s >= '0' && *s <= '9' && e < 1000; s++)
			e = e * 10 + (*s - '0');
		exp10 += eneg ? -e : e;
	}
	if (*s || digits > 15 || exp10 < -22 || exp10 > 22)
		return false;
	*v = exp10 < 0 ? (double)mant / exact10[-exp10] : (double)mant * exact10[exp10];
	if (neg)
		*v = -*v;
	return true;
}

static bool
number(const char *s, double *v)
{
	char *end;

	if (number_fast(s, v))
		return fabs(*v) <= MODEL_NUMBER_MAX;
	errno = 0;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*v) &&
	       fabs(*v) <= MODEL_NUMBER_MAX;
}

static bool
good_word(const char *w)
{
	size_t n = strlen(w);

	if (n == 0 || n > MODEL_WORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] <= 0x20 || (unsigned char)w[i] == 0x7f)
			return false;
	return true;
}

static vigil_error
add_feature(struct model *m, double idf, const double *w, const char *w1,
	    const char *w2)
{
	size_t l1 = strlen(w1), l2 = w2 ? strlen(w2) : 0, kl = l1 + (w2 ? 1 + l2 : 0);
	char *k;

	if (m->alen + kl + 1 > m->acap) {
		size_t a = m->acap ? m->acap * 2 : 65536;
		char *v;

		while (a < m->alen + kl + 1)
			a *= 2;
		v = realloc(m->arena, a);
		if (!v)
			return VIGIL_E_NOMEM;
		m->arena = v;
		m->acap = a;
	}
	if (m->nfeat == m->afeat) {
		size_t a = m->afeat ? m->afeat * 2 : 1024;
		uint32_t *ov = realloc(m->koff, a * sizeof(*ov));
		uint16_t *lv;
		float *iv, *wv;

		if (!ov)
			return VIGIL_E_NOMEM;
		m->koff = ov;
		lv = realloc(m->klen, a * sizeof(*lv));
		if (!lv)
			return VIGIL_E_NOMEM;
		m->klen = lv;
		iv = realloc(m->idf, a * sizeof(*iv));
		if (!iv)
			return VIGIL_E_NOMEM;
		m->idf = iv;
		wv = realloc(m->w, a * CAT_N * sizeof(*wv));
		if (!wv)
			return VIGIL_E_NOMEM;
		m->w = wv;
		m->afeat = a;
	}
	k = m->arena + m->alen;
	memcpy(k, w1, l1);
	if (w2) {
		k[l1] = ' ';
		memcpy(k + l1 + 1, w2, l2);
	}
	k[kl] = '\0';
	m->koff[m->nfeat] = (uint32_t)m->alen;
	m->alen += kl + 1;
	m->klen[m->nfeat] = (uint16_t)kl;
	m->idf[m->nfeat] = (float)idf;
	for (int c = 0; c < CAT_N; c++)
		m->w[m->nfeat * CAT_N + c] = (float)w[c];
	m->nfeat++;
	return VIGIL_OK;
}

#define FAIL(...) do {							\
		r = vigil_fail(errbuf, VIGIL_E_PARSE, __VA_ARGS__);	\
		goto out;						\
	} while (0)

vigil_error
model_parse(struct model **out, const char *file, const char *data,
	    size_t len, char *errbuf)
{
	struct model *m = calloc(1, sizeof(*m));
	int col[CAT_N];
	size_t ncol = 0, lineno = 0, dup = 0;
	bool header = false, bias = false, from = false;
	char *copy = NULL;
	vigil_error r = VIGIL_OK;

	if (!m)
		return vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
	if (memchr(data, '\0', len) || !vigil_utf8_valid(data, len))
		FAIL("%s: not UTF-8 text", file);
	copy = malloc(len + 1);  /* split into lines in place */
	if (!copy) {
		r = vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(copy, data, len);
	copy[len] = '\0';
	for (size_t at = 0; at < len;) {
		char *line = copy + at, *nl = memchr(line, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - line) : len - at;
		char *f[2 + CAT_N + 2], *hash;
		size_t nf;

		lineno++;
		line[ll] = '\0';
		at += ll + 1;
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		if (ll && line[ll - 1] == '\r' && !hash)
			line[ll - 1] = '\0';
		nf = fields(line, f, VIGIL_ARRAY_SIZE(f));
		if (nf == 0)
			continue;
		if (nf > VIGIL_ARRAY_SIZE(f))
			FAIL("%s:%zu: too many fields", file, lineno);
		if (!header) {
			if (strcmp(f[0], "model") != 0 || nf != 2 || strcmp(f[1], "1") != 0)
				FAIL("%s:%zu: expected 'model 1' first", file, lineno);
			header = true;
		} else if (strcmp(f[0], "categories") == 0) {
			if (ncol)
				FAIL("%s:%zu: 'categories' given twice", file, lineno);
			if (nf < 2 || nf > 1 + CAT_N)
				FAIL("%s:%zu: 'categories' wants 1 to %d names", file, lineno, CAT_N);
			for (size_t i = 1; i < nf; i++) {
				int c = category_from_name(f[i]);

				if (c < 0)
					FAIL("%s:%zu: unknown category '%s'", file, lineno, f[i]);
				if (m->has[c])
					FAIL("%s:%zu: category '%s' twice", file, lineno, f[i]);
				m->has[c] = true;
				col[ncol++] = c;
			}
		} else if ((f[0][0] == 'f' && !f[0][1]) || strcmp(f[0], "bias") == 0 ||
			   strcmp(f[0], "from") == 0) {
			double v[1 + CAT_N], w[CAT_N] = { 0 };
			bool is_f = f[0][0] == 'f' && !f[0][1];
			size_t nnum = strcmp(f[0], "from") == 0 ? 1 : is_f ? 1 + ncol : ncol;

			if (!ncol && strcmp(f[0], "from") != 0)
				FAIL("%s:%zu: '%s' before 'categories'", file, lineno, f[0]);
			if (nf < 1 + nnum + is_f || nf > 1 + nnum + 2 * is_f)
				FAIL("%s:%zu: '%s' wants %zu numbers%s", file, lineno, f[0],
				     nnum, is_f ? " and one or two words" : "");
			for (size_t i = 0; i < nnum; i++)
				if (!number(f[1 + i], &v[i]))
					FAIL("%s:%zu: '%s' is not a number within +-1e6", file,
					     lineno, f[1 + i]);
			if (strcmp(f[0], "from") == 0) {
				if (from)
					FAIL("%s:%zu: 'from' given twice", file, lineno);
				if (!(v[0] > 0 && v[0] < 1))
					FAIL("%s:%zu: 'from' wants a probability between 0 and 1",
					     file, lineno);
				m->from = v[0];
				from = true;
			} else if (!is_f) {
				if (bias)
					FAIL("%s:%zu: 'bias' given twice", file, lineno);
				for (size_t i = 0; i < ncol; i++)
					m->bias[col[i]] = v[i];
				bias = true;
			} else {
				const char *w2 = nf == 4 + ncol ? f[3 + ncol] : NULL;

				if (!(v[0] > 0))
					FAIL("%s:%zu: idf '%s' must be above 0", file, lineno, f[1]);
				if (!good_word(f[2 + ncol]) || (w2 && !good_word(w2)))
					FAIL("%s:%zu: a word must be 1 to %d bytes, no space or control",
					     file, lineno, MODEL_WORD_MAX);
				if (m->nfeat == MODEL_FEATURES_MAX)
					FAIL("%s:%zu: more than %u features", file, lineno,
					     MODEL_FEATURES_MAX);
				for (size_t i = 0; i < ncol; i++)
					w[col[i]] = v[1 + i];
				if (add_feature(m, v[0], w, f[2 + ncol], w2) != VIGIL_OK) {
					r = vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
					goto out;
				}
			}
		} else {
			FAIL("%s:%zu: unknown record '%s'", file, lineno, f[0]);
		}
	}
	if (!header)
		FAIL("%s: empty model (no 'model 1' line)", file);
	if (!ncol || !bias || !from)
		FAIL("%s: 'categories', 'bias' and 'from' are required", file);
	r = index_features(m, &dup);
	if (r == VIGIL_E_EXISTS)
		FAIL("%s: feature '%s' given twice", file, key(m, dup));
	if (r != VIGIL_OK) {
		r = vigil_fail(errbuf, r, "out of memory");
		goto out;
	}
	m->topic = calloc(m->nfeat ? m->nfeat : 1, 1);
	if (!m->topic) {
		r = vigil_fail(errbuf, VIGIL_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t f = 0; f < m->nfeat && ncol > 1; f++) {
		m->topic[f] = 1;
		for (int c = 0; c < CAT_N; c++)
			if (m->has[c] && !(m->w[f * CAT_N + c] > 0))
				m->topic[f] = 0;
	}
	/* A scan looks a pair up only after both its words. */
	for (size_t f = 0; f < m->nfeat; f++) {
		const char *k = key(m, f), *sp = memchr(k, ' ', m->klen[f]);
		size_t l1 = sp ? (size_t)(sp - k) : 0, l2 = m->klen[f] - l1 - 1;

		if (sp && (find(m, key_hash(k, l1), k, l1) == UINT32_MAX ||
			   find(m, key_hash(sp + 1, l2), sp + 1, l2) == UINT32_MAX))
			FAIL("%s: feature '%s': each of its words must be a feature too",
			     file, k);
	}
	*out = m;
	m = NULL;
out:
	free(copy);
	model_free(m);
	return r;
}
#undef FAIL

void
model_scratch_free(struct model_scratch *sc)
{
	free(sc->seen);
	free(sc->f);
	memset(sc, 0, sizeof(*sc));
}

/* Count feature f, seen at normalised text [s, e). */
static vigil_error
note(struct model_scratch *sc, uint32_t f, uint32_t s, uint32_t e)
{
	if (sc->seen[f] >> 32 == sc->run) {
		sc->f[(uint32_t)sc->seen[f]].count++;
		return VIGIL_OK;
	}
	if (sc->nf == sc->af) {
		size_t a = sc->af ? sc->af * 2 : 64;
		struct mfeat *v = realloc(sc->f, a * sizeof(*v));

		if (!v)
			return VIGIL_E_NOMEM;
		sc->f = v;
		sc->af = a;
	}
	sc->seen[f] = (uint64_t)sc->run << 32 | sc->nf;
	sc->f[sc->nf++] = (struct mfeat){ f, 1, s, e, 0 };
	return VIGIL_OK;
}

vigil_error
model_score(const struct model *m, const struct norm *n,
	    struct model_scratch *sc, struct model_out out[CAT_N])
{
	const char *t = n->text;
	size_t ps = 0, pe = 0;   /* the word before, [ps, pe), if a feature */
	uint32_t ph = 0;
	double norm2 = 0, z[CAT_N];

	memset(out, 0, CAT_N * sizeof(*out));
	if (sc->nseen < m->nfeat || sc->run == UINT32_MAX) {
		free(sc->seen);
		sc->seen = calloc(m->nfeat ? m->nfeat : 1, sizeof(*sc->seen));
		if (!sc->seen) {
			sc->nseen = 0;
			return VIGIL_E_NOMEM;
		}
		sc->nseen = m->nfeat;
		sc->run = 0;
	}
	sc->run++;
	sc->nf = 0;
	for (size_t i = 1; i < n->len;) {
		size_t s = i, e = i;
		uint32_t f, h;
		vigil_error r;

		while (e < n->len && t[e] != ' ')
			e++;
		if (e == s) {
			i++;
			continue;
		}
		h = fnv1a(FNV_BASIS, t + s, e - s);
		f = find(m, h, t + s, e - s);
		i = e + 1;
		if (f == UINT32_MAX) {
			/* A pair is a feature only if both its words are:
			 * both were in the posts that had the pair. */
			pe = 0;
			continue;
		}
		if ((r = note(sc, f, (uint32_t)s, (uint32_t)e)) != VIGIL_OK)
			return r;
		if (pe && pe + 1 == s) {
			f = find(m, pair_hash(ph, h), t + ps, e - ps);
			if (f != UINT32_MAX &&
			    (r = note(sc, f, (uint32_t)ps, (uint32_t)e)) != VIGIL_OK)
				return r;
		}
		ps = s;
		pe = e;
		ph = h;
	}
	for (int c = 0; c < CAT_N; c++)
		z[c] = 0;
	for (size_t k = 0; k < sc->nf; k++) {
		struct mfeat *x = &sc->f[k];
		const float *w = &m->w[(size_t)x->f * CAT_N];

		x->v = x->count == 1 ? m->idf[x->f] :
		       (1.0 + log((double)x->count)) * m->idf[x->f];
		norm2 += x->v * x->v;
		for (int c = 0; c < CAT_N; c++)
			z[c] += x->v * w[c];
	}
	for (int c = 0; c < CAT_N; c++) {
		double p, best = 0;
		size_t bf = SIZE_MAX;

		if (!m->has[c])
			continue;
		p = 1.0 / (1.0 + exp(-(m->bias[c] + (norm2 > 0 ? z[c] / sqrt(norm2) : 0))));
		out[c].p = p;
		if (p <= m->from)
			continue;
		/* The span shown: the feature that weighed most, never a
		 * topic word. With none but topic words weighing up, the
		 * post says whom it is about, not why it would be abusive
		 * ("send nudes dr x" is not a threat for its "dr"): no
		 * match. */
		for (size_t k = 0; k < sc->nf; k++) {
			double v = sc->f[k].v * m->w[(size_t)sc->f[k].f * CAT_N + c];

			if (m->topic[sc->f[k].f])
				continue;
			if (v > best) {
				best = v;
				bf = k;
			}
		}
		if (bf == SIZE_MAX)
			continue;  /* the bias alone: nothing in the post to show */
		out[c].weight = (int)lround((p - m->from) / (1.0 - m->from) * 1000.0);
		out[c].s = sc->f[bf].s;
		out[c].e = sc->f[bf].e;
	}
	return VIGIL_OK;
}
