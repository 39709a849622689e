/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-classify.c - the normaliser, the rule parser, scoring, thresholds,
 * the doxxing detectors and the classification JSON.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "vigil-private.h"

/* ------------------------------------------------------------------ */
/* Normaliser                                                          */
/* ------------------------------------------------------------------ */

static const struct {
	const char *in;
	const char *out;
} norm_cases[] = {
	{ "I will KILL you", " i will kill you " },
	{ "k1ll", " kill " },                          /* leetspeak */
	{ "sh00t the quack", " shoot the quack " },
	{ "r4pe", " rape " },
	{ "d!ck", " dick " },
	{ "$hit", " shit " },
	{ "ur an 1d10t", " ur an idiot " },           /* a digit first, leet after */
	{ "5h1t", " shit " },
	{ "n!99er ni99a", " nigger nigga " },        /* runs of leet, 9 for g */
	{ "9am 1990 b4", " 9am 1990 b4 " },          /* still numbers */
	{ "1st 4chan 5am 10am 2nd", " 1st 4chan 5am 10am 2nd " },  /* numbers */
	{ "k i l l", " kill " },                       /* spaced out */
	{ "k.i.l.l", " kill " },
	{ "d-i-e", " die " },
	{ "k i l l  d r  m o r a l e s", " kill dr morales " },
	{ "diiie", " die " },                          /* stretched */
	{ "nooooo wayyyy", " no way " },
	{ "kill", " kill " },                          /* doubles stay */
	{ "ki\xe2\x80\x8bll", " kill " },              /* zero-width space */
	{ "k\xc2\xadill", " kill " },                  /* soft hyphen */
	{ "\xd0\xba\xd1\x96ll", " kill " },            /* Cyrillic ка, і */
	{ "\xce\xba\xce\xb9ll", " kill " },            /* Greek κ, ι */
	{ "\xef\xbd\x8b\xef\xbd\x89\xef\xbd\x8c\xef\xbd\x8c", " kill " }, /* full width */
	{ "\xf0\x9d\x90\xa4\xf0\x9d\x90\xa2\xf0\x9d\x90\xa5\xf0\x9d\x90\xa5", " kill " }, /* math bold */
	{ "Cr\xc3\xa8ve", " creve " },                 /* accents dropped */
	{ "I'll", " ill " },                           /* apostrophes join */
	{ "don\xe2\x80\x99t", " dont " },
	{ "\xf0\x9f\x94\xaa for you", " knife for you " },   /* emoji */
	{ "\xf0\x9f\x97\xa1\xef\xb8\x8f for Dr. Singh", " knife for dr singh " },
	{ "\xf0\x9f\x8d\x86", " dick " },
	{ "ok \xf0\x9f\x98\x82\xf0\x9f\xa4\xa3", " ok lol lol " },      /* laughter */
	{ "nice \xf0\x9f\x98\x89\xf0\x9f\x91\x80", " nice wink eyes " },  /* a leer */
	{ "\xf0\x9f\x8d\x92\xf0\x9f\x98\x88", " cherries smirk " },  /* 🍒 😈 */
	{ "(((Dr. Katz)))", " echoparens dr katz " },  /* the antisemitic echo */
	{ "(((them))) again", " echoparens them again " },
	{ "so who's that (((them)))", " so whos that echoparens them " }, /* across 16 bytes */
	{ "f(x) ((a)) (((", " f x a " },             /* no echo: two, unclosed */
	{ "(((((LISTEN))))) ((((x)))", " listen x " },   /* emphasis: five, four */
	{ "((( ))) ((( ! )))", " " },
	{ "(((", " " },
	{ "@DrYang", " @dryang " },                    /* handles */
	{ "#MAGA", " maga " },                         /* hashtags */
	{ "*really*", " really " },                    /* emphasis, not a mask */
	{ "call 555-212-4433", " call 555 212 4433 " },
	{ "covid19", " covid19 " },
	{ "\xc2\xbc cup", " 1 4 cup " },                /* one code point, two words */
	{ "", " " },
	{ "!!! ...", " " },
};

START_TEST(test_normalize)
{
	struct norm n;

	norm_init(&n);
	ck_assert_int_eq(norm_run(&n, norm_cases[_i].in, strlen(norm_cases[_i].in),
				  NULL), VIGIL_OK);
	ck_assert_str_eq(n.text, norm_cases[_i].out);
	norm_free(&n);
}
END_TEST

/* Every output byte maps to a byte of the input, in order. */
START_TEST(test_normalize_offsets)
{
	const char *in = norm_cases[_i].in;
	size_t len = strlen(in);
	struct norm n;

	norm_init(&n);
	ck_assert_int_eq(norm_run(&n, in, len, NULL), VIGIL_OK);
	for (size_t i = 0; i < n.len; i++) {
		ck_assert_uint_le(n.start[i], len);
		if (i > 0)
			ck_assert_uint_ge(n.start[i], n.start[i - 1]);
	}
	ck_assert_uint_eq(n.start[n.len], len);
	norm_free(&n);
}
END_TEST

/* Whether norm_run() and `ref` fold `in` alike: text, offsets, digits. */
static bool
same_norm(struct norm *a, const struct norm *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len + 1) == 0 &&
	       memcmp(a->start, b->start, (a->len + 1) * sizeof(*a->start)) == 0 &&
	       a->ndigits == b->ndigits && a->invalid == b->invalid;
}

static void
check_fast_path(struct norm *a, struct norm *b, const char *in, size_t len)
{
	ck_assert_int_eq(norm_run(a, in, len, NULL), VIGIL_OK);
	ck_assert_int_eq(norm_run_bytes(b, in, len, NULL), VIGIL_OK);
	if (!same_norm(a, b))
		ck_abort_msg("fast path differs on \"%.*s\": \"%s\" vs \"%s\"",
			     (int)len, in, a->text, b->text);
}

/* k random parts, one after another, into buf (large enough for k of the
 * longest); returns the length. */
static size_t
random_text(char *buf, const char *const *parts, size_t nparts, size_t k, unsigned *seed)
{
	size_t len = 0;

	for (size_t j = 0; j < k; j++) {
		const char *w = parts[(size_t)rand_r(seed) % nparts];
		size_t wl = strlen(w);

		memcpy(buf + len, w, wl);
		len += wl;
	}
	return len;
}

/* The ASCII path and the general one (which non-ASCII posts take) place
 * the space after a word alike: where its last character ends, not after
 * the symbols dropped behind it, so "bitch!" spans "bitch" on both. Where
 * the two fold a text to the same words, offsets and digits agree too
 * (they may still join single letters differently: "e 'o.b"). */
START_TEST(test_normalize_paths_agree)
{
	static const struct {
		const char *in;
		size_t space;   /* index in the output of the space checked */
		uint32_t at;    /* its start */
	} cases[] = {
		{ "you@ x", 4, 3 }, { "you! x", 4, 3 }, { "hi!! there", 3, 2 },
		{ "you#", 4, 3 }, { "a real bitch! ok", 13, 12 }, { "123!! x", 4, 3 },
		{ "k1ll you!", 9, 8 }, { "f** x", 2, 1 },
	};
	static const char *const parts[] = {
		"a", "b", "k", "i", "l", "e", "s", "o", "x", "I", "K", " ", " ",
		"  ", ".", "-", "'", "`", "*", "#", "@", "$", "!", "|", "+", "0",
		"1", "3", "4", "7", "9", ",", "?", "ll", "iii", "kill", "you",
		"f*ck", "sh1t",
	};
	struct norm a, b;
	char buf[512];
	unsigned seed = 5;
	size_t same = 0;

	norm_init(&a);
	norm_init(&b);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(cases); i++) {
		size_t len = strlen(cases[i].in);

		ck_assert_int_eq(norm_run(&a, cases[i].in, len, NULL), VIGIL_OK);
		ck_assert_int_eq(norm_run_general(&b, cases[i].in, len, NULL), VIGIL_OK);
		ck_assert_msg(same_norm(&a, &b), "paths differ on \"%s\"", cases[i].in);
		ck_assert_uint_gt(b.len, cases[i].space);
		ck_assert_int_eq(b.text[cases[i].space], ' ');
		ck_assert_msg(b.start[cases[i].space] == cases[i].at,
			      "\"%s\": the space at %zu starts at %u, want %u",
			      cases[i].in, cases[i].space, b.start[cases[i].space],
			      cases[i].at);
	}
	for (int it = 0; it < 50000; it++) {
		size_t len = random_text(buf, parts, VIGIL_ARRAY_SIZE(parts),
					 1 + (size_t)rand_r(&seed) % 12, &seed);

		ck_assert_int_eq(norm_run(&a, buf, len, NULL), VIGIL_OK);
		ck_assert_int_eq(norm_run_general(&b, buf, len, NULL), VIGIL_OK);
		if (a.len != b.len || memcmp(a.text, b.text, a.len) != 0)
			continue;  /* single letters joined differently */
		same++;
		if (!same_norm(&a, &b))
			ck_abort_msg("paths place offsets differently on \"%.*s\" (\"%s\")",
				     (int)len, buf, a.text);
	}
	ck_assert_uint_gt(same, 40000);
	norm_free(&a);
	norm_free(&b);
}
END_TEST

/* The ASCII path folds runs of letters 16 bytes at a time; it must agree
 * with the same path a byte at a time, offsets included, on random
 * strings (runs of every length and alignment, stretched letters, leet,
 * masks, handles, apostrophes, non-ASCII) and on every post of the
 * classifier's test data at every alignment. */
START_TEST(test_normalize_fast_path)
{
	static const char *const parts[] = {
		/* Few letters, often: repeats across symbols ("ll'l"). */
		"a", "a", "A", "l", "l", "L", "'", "'", "`", "a", "l", "@",
		"b", "k", "i", "e", "s", "o", "x", "I", "K", "E", "Z",
		" ", " ", " ", "  ", ".", ",", "-", "'", "`", "*", "#", "@", "$",
		"!", "|", "+", "0", "1", "3", "4", "7", "9", "\t", "ll", "iii",
		"kill", "KILL", "fuck", "you", "f*ck", "sh1t", "aaaa",
		"abcdefghijklmnopqrstuvwxyz", "\xc3\xa9", "\xe2\x80\x99",
		"\xf0\x9f\x94\xaa",
	};
	struct norm a, b;
	char buf[1024], path[4096];
	unsigned seed = 3;
	size_t lines = 0;
	FILE *f;

	norm_init(&a);
	norm_init(&b);
	/* The comparison sees one offset off. */
	check_fast_path(&a, &b, "killing", 7);
	b.start[3]++;
	ck_assert(!same_norm(&a, &b));
	for (int it = 0; it < 50000; it++) {
		size_t len = random_text(buf, parts, VIGIL_ARRAY_SIZE(parts),
					 1 + (size_t)rand_r(&seed) % 40, &seed);

		check_fast_path(&a, &b, buf, len);
	}
	snprintf(path, sizeof(path), "%s/data/classify-extra.jsonl", VIGIL_TEST_DIR);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(path, sizeof(path), f)) {
		json_t *o = json_loads(path, 0, NULL);
		const char *t = json_string_value(json_object_get(o, "text"));
		size_t tl = t ? strlen(t) : 0;

		ck_assert_ptr_nonnull(t);
		for (size_t off = 0; off < 16 && off <= tl; off++)
			check_fast_path(&a, &b, t + off, tl - off);
		json_decref(o);
		lines++;
	}
	fclose(f);
	ck_assert_uint_gt(lines, 100);
	norm_free(&a);
	norm_free(&b);
}
END_TEST

START_TEST(test_normalize_invalid_utf8)
{
	struct norm n;

	norm_init(&n);
	ck_assert_int_eq(norm_run(&n, "ab\xff\xfe" "cd", 6, NULL), VIGIL_OK);
	ck_assert(n.invalid);
	ck_assert_str_eq(n.text, " ab cd ");
	ck_assert_int_eq(norm_run(&n, "fine", 4, NULL), VIGIL_OK);
	ck_assert(!n.invalid);
	norm_free(&n);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char *
write_rules(const char *text)
{
	char *path = strdup("/tmp/vigil-test-rules-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static vigil_classifier *
classifier_from(const char *text)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_classifier *c = NULL;
	char *path = write_rules(text);
	vigil_error r = vigil_classifier_new(path, &c, errbuf);

	unlink(path);
	free(path);
	ck_assert_msg(r == VIGIL_OK, "rules: %s", errbuf);
	return c;
}

/* Classify and return the result (caller frees). */
static vigil_classification *
classify(const vigil_classifier *c, const char *text)
{
	vigil_classification *res = NULL;

	ck_assert_int_eq(vigil_classification_new(&res), VIGIL_OK);
	ck_assert_int_eq(vigil_classify(c, text, strlen(text), res, NULL), VIGIL_OK);
	return res;
}

/* Classify text with a classifier made from rules, and check one
 * category's score. */
static void
check_score(const char *rules, const char *text, vigil_category cat, int want)
{
	vigil_classifier *c = classifier_from(rules);
	vigil_classification *res = classify(c, text);

	ck_assert_msg(vigil_classification_score(res, cat) == want,
		      "%s: %s %d, expected %d", text, vigil_category_name(cat),
		      vigil_classification_score(res, cat), want);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}

/* The original text a rule matched, or NULL if it did not fire. */
static char *
matched(const vigil_classification *res, const char *text, const char *rule)
{
	for (size_t i = 0; i < vigil_classification_matches(res); i++) {
		const char *id;
		size_t s, e;

		vigil_classification_match(res, i, NULL, &id, NULL, &s, &e);
		if (strcmp(id, rule) == 0)
			return strndup(text + s, e - s);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Rule parser                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_rules_good)
{
	vigil_classifier *c = classifier_from(
		"# a comment\n"
		"\n"
		"define harm = kill* | hurt | smash * face\n"
		"define harm = stab\n"
		"rule t.one threat 600: $harm ..3 you | @\n"
		"rule t.two threat -200: kill ..1 time\r\n"
		"rule d.phone doxxing 400: %phone\n"
		"rule s.word sexual 300: nudes\n");

	ck_assert_ptr_nonnull(strstr(vigil_classifier_engine(c),
				     "vigil-classify " VIGIL_TEST_VERSION " rules sha256:"));
	ck_assert_uint_eq(strlen(strstr(vigil_classifier_engine(c), "sha256:") + 7), 64);
	vigil_classifier_free(c);
}
END_TEST

static const struct {
	const char *text;
	const char *error;
} bad_rules[] = {
	{ "rule a threat 100: x\nrule b nosuch 100: y\n", ":2: unknown category 'nosuch'" },
	{ "rule a threat 2000: x\n", ":1: weight 2000 not in" },
	{ "rule a threat 0: x\n", ":1: weight 0 not in" },
	{ "rule a threat 100 x\n", ":1: expected 'rule ID CATEGORY WEIGHT [reach N|post] [firm] [uncapped]: PATTERN'" },
	{ "rule a threat 100 reach 0: x\n", ":1: reach is for context (a negative weight)" },
	{ "rule a threat -100 reach far: x\n", ":1: reach 'far' is not a number of words (0..1000) or 'post'" },
	{ "rule a threat -100 reach 1001: x\n", ":1: reach '1001' is not" },
	{ "rule a threat -100 reach -1: x\n", ":1: reach '-1' is not" },
	{ "rule a threat -100 reach 3 4: x\n", ":1: expected 'rule ID" },
	{ "rule a threat -100 near 3: x\n", ":1: expected 'rule ID" },
	{ "rule a threat 100 uncapped: x\n", ":1: uncapped is for context (a negative weight)" },
	{ "rule a threat -100 uncapped reach 3: x\n", ":1: expected 'rule ID" },
	{ "rule a threat -100 reach 3 uncapped uncapped: x\n", ":1: expected 'rule ID" },
	{ "rule a threat -100 uncappedx: x\n", ":1: expected 'rule ID" },
	{ "rule a threat -100 firm: x\n", ":1: firm is for evidence (a positive weight)" },
	{ "rule a threat 100 uncapped firm: x\n", ":1: uncapped is for context" },
	{ "rule a threat 100: $nope\n", ":1: unknown define '$nope'" },
	{ "define v = take | took ..2 my pen\n", ":1: '..2' in define 'v': a define holds alternatives" },
	{ "# c\ndefine v = a ~3 b\n", ":2: '~3' in define 'v'" },
	{ "rule a threat 100: x || y\n", ":1: empty alternative" },
	{ "rule a threat 100: %teleport\n", ":1: unknown detector '%teleport'" },
	{ "rule a threat 100: x\nrule a threat 100: y\n", ":2: duplicate rule id 'a'" },
	{ "rule a threat 100: x ..0 y\n", ":1: distance must be 1..50" },
	{ "rule a threat 100: ki*ll\n", ":1: '*' must stand alone" },
	{ "rule a threat 100: * kill\n", ":1: '*' must stand" },
	{ "rule a threat 100: !!!\n", ":1: '!!!' has no letters or digits" },
	{ "frobnicate\n", ":1: expected 'rule', 'quote' or 'define'" },
	{ "rule a threat 100: x\nquote q: said ..2 you\n", ":2: a quote rule needs a %quote element" },
	{ "quote q threat 500: %quote\n", ":1: expected 'quote ID: PATTERN'" },
	{ "quote q:\n", ":1: empty element" },
	{ "define = x\n", ":1: expected 'define NAME = ALTERNATIVES'" },
	{ "rule a threat 100: \xff\n", ": not valid UTF-8" },
	{ "# only a comment\n", "no rules" },
};

START_TEST(test_rules_bad)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_classifier *c = (vigil_classifier *)0x1;  /* sentinel */
	char *path = write_rules(bad_rules[_i].text);
	vigil_error r = vigil_classifier_new(path, &c, errbuf);

	ck_assert_int_eq(r, VIGIL_E_PARSE);
	ck_assert_ptr_eq(c, (vigil_classifier *)0x1);  /* untouched */
	ck_assert_msg(strstr(errbuf, bad_rules[_i].error), "got '%s', want '%s'",
		      errbuf, bad_rules[_i].error);
	if (bad_rules[_i].error[0] == ':')
		ck_assert_msg(strncmp(errbuf, path, strlen(path)) == 0,
			      "'%s' does not name the file", errbuf);
	unlink(path);
	free(path);
}
END_TEST

/* Many rules and defines (their names are hashed, the tables grow): a
 * define extended far from where it began, used by the last rule, and a
 * duplicate id found among hundreds. */
START_TEST(test_rules_many)
{
	size_t cap = 200000, n = 0;
	char *text = malloc(cap), errbuf[VIGIL_ERRBUF_SIZE];
	vigil_classifier *c;
	vigil_classification *res;
	char *path;

	for (int i = 0; i < 700; i++)
		n += (size_t)snprintf(text + n, cap - n, "define d%d = w%dx\n", i, i);
	n += (size_t)snprintf(text + n, cap - n, "define d3 = zebra\n");
	for (int i = 0; i < 900; i++)
		n += (size_t)snprintf(text + n, cap - n, "rule r%d insult %d: $d%d\n", i,
				      100 + i % 800, i % 700);
	n += (size_t)snprintf(text + n, cap - n, "rule last threat 600: $d3 ..2 you\n");
	c = classifier_from(text);
	res = classify(c, "a zebra, you");
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), 600);
	vigil_classification_free(res);
	vigil_classifier_free(c);

	snprintf(text + n, cap - n, "rule r512 threat 1: x\n");
	path = write_rules(text);
	c = NULL;
	ck_assert_int_eq(vigil_classifier_new(path, &c, errbuf), VIGIL_E_PARSE);
	ck_assert_msg(strstr(errbuf, ":1603: duplicate rule id 'r512'"), "got '%s'", errbuf);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

START_TEST(test_rules_long_line)
{
	char *text = malloc(20000), errbuf[VIGIL_ERRBUF_SIZE];
	vigil_classifier *c = NULL;
	char *path;

	memset(text, 'x', 19999);
	text[19999] = '\0';
	memcpy(text, "rule a threat 1: ", 17);
	path = write_rules(text);
	ck_assert_int_eq(vigil_classifier_new(path, &c, errbuf), VIGIL_E_PARSE);
	ck_assert_ptr_nonnull(strstr(errbuf, ":1: line longer than"));
	unlink(path);
	free(path);
	free(text);
}
END_TEST

START_TEST(test_rules_missing_file)
{
	char errbuf[VIGIL_ERRBUF_SIZE];
	vigil_classifier *c = NULL;

	ck_assert_int_eq(vigil_classifier_new("/nonexistent/x.rules", &c, errbuf),
			 VIGIL_E_NOTFOUND);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(errbuf, "/nonexistent/x.rules"));
}
END_TEST

START_TEST(test_default_rules)
{
	char errbuf[VIGIL_ERRBUF_SIZE];
	vigil_classifier *c = NULL;

	ck_assert_int_eq(vigil_classifier_new(NULL, &c, errbuf), VIGIL_OK);
	ck_assert_ptr_nonnull(strstr(vigil_classifier_engine(c), " rules sha256:"));
	/* The compiled-in rules' hash is computed when they are embedded:
	 * the same as hashing the rules directory they came from. */
	{
		vigil_classifier *d = NULL;
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/../rules", VIGIL_TEST_DIR);
		ck_assert_msg(vigil_classifier_new(dir, &d, errbuf) == VIGIL_OK, "%s", errbuf);
		ck_assert_str_eq(vigil_classifier_engine(c), vigil_classifier_engine(d));
		vigil_classifier_free(d);
	}
	/* When the dense states' rows lead past state 65,535 the scan goes
	 * to 32-bit table entries, a slower scan nobody would notice:
	 * rules/en.rules says how to stay under. */
	{
		bool narrow;
		size_t ns = classifier_states(c, &narrow);

		ck_assert_msg(narrow, "the default rules compile to %zu automaton states, "
			      "and the scan table is no longer 16-bit", ns);
		printf("default rules: %zu automaton states (16-bit scan table)\n", ns);
	}
	vigil_classifier_free(c);
	vigil_classifier_free(NULL);
	vigil_classification_free(NULL);
}
END_TEST

/* Automata past the old 16-bit limits: state numbers above 32,767 in the
 * 16-bit table; past 65,536 states, still the 16-bit table when the
 * states past 65,535 are deep (long words: the dense rows never lead
 * there); the 32-bit one when they are children of dense states (many
 * short words). Words added last get the highest state numbers; each
 * must still be found, with its span, and a word that is no rule word
 * must find nothing. */
static void
random_word(char *w, size_t len, uint32_t *seed)
{
	for (size_t i = 0; i < len; i++) {
		*seed = *seed * 1103515245u + 12345u;
		w[i] = (char)('a' + (*seed >> 16) % 26);
	}
	w[len] = '\0';
}

START_TEST(test_large_automaton)
{
	static const struct { size_t nwords, wlen; bool narrow, over; } sizes[] = {
		{ 3600, 12, true, false },   /* about 40,000 states */
		{ 6600, 12, true, true },    /* about 72,000, deep */
		{ 40000, 5, false, true },   /* about 100,000, shallow */
	};
	size_t nwords = sizes[_i].nwords, wlen = sizes[_i].wlen;
	size_t cap = nwords * 16 + 4096, len = 0;
	char *text = malloc(cap), word[16], post[64];
	uint32_t seed = 7;
	vigil_classifier *c;
	bool narrow;
	size_t ns;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, cap - len, "rule t.kill threat 600: kill* ..2 you\n");
	for (size_t i = 0; i < nwords; i++) {
		if (i % 500 == 0)
			len += (size_t)snprintf(text + len, cap - len, "%sdefine w = ",
						i ? "\n" : "");
		random_word(word, wlen, &seed);
		len += (size_t)snprintf(text + len, cap - len, "%s%s", i % 500 ? " | " : "", word);
	}
	snprintf(text + len, cap - len, "\nrule i.word insult 600: $w\n");
	c = classifier_from(text);
	ns = classifier_states(c, &narrow);
	ck_assert_msg(narrow == sizes[_i].narrow &&
		      (sizes[_i].over ? ns > 65536 : ns > 32768 && ns <= 65536),
		      "%zu words: %zu states, narrow %d", nwords, ns, narrow);

	seed = 7;
	for (size_t i = 0; i < nwords; i++) {
		vigil_classification *res;
		char *m;

		random_word(word, wlen, &seed);
		if (i % 97 != 0 && i + 3 < nwords)
			continue;  /* a sample, and the last words */
		snprintf(post, sizeof(post), "I will kill you, %s!", word);
		res = classify(c, post);
		ck_assert_msg(vigil_classification_label(res, VIGIL_INSULT),
			      "word %zu (%s) not found among %zu states", i, word, ns);
		ck_assert(vigil_classification_label(res, VIGIL_THREAT));
		m = matched(res, post, "i.word");
		ck_assert_str_eq(m, word);
		free(m);
		vigil_classification_free(res);
	}
	{
		vigil_classification *res = classify(c, "you are zzzzqqqq today");

		ck_assert_int_eq(vigil_classification_score(res, VIGIL_INSULT), 0);
		vigil_classification_free(res);
	}
	vigil_classifier_free(c);
	free(text);
}
END_TEST

/* Words spelled out together are cut back into rule words; spans still
 * point into the original. Spelled-out words that are no rule words stay
 * whole and flag nothing. */
START_TEST(test_spaced_words)
{
	static const struct {
		const char *text;
		int cat;           /* -1: no label */
		const char *span;  /* a match starts here, in the text */
	} cases[] = {
		{ "the midwife is a b i t c h and a liar", VIGIL_INSULT, "b i t c h" },
		{ "k i l l y o u doctor", VIGIL_THREAT, "k i l l" },
		/* Two-letter words of rule phrases cut too. */
		{ "gonna put u i n t h e g r o u n d doc", VIGIL_THREAT, "i n t h e" },
		{ "f u c k y o u doc", VIGIL_INSULT, "f u c k" },
		{ "s k i l l s matter", -1, NULL },
		{ "a s s e s s m e n t due", -1, NULL },
		{ "i s l a n d life", -1, NULL },
	};
	char errbuf[VIGIL_ERRBUF_SIZE];
	vigil_classifier *c = NULL;
	vigil_classification *res = NULL;

	ck_assert_int_eq(vigil_classifier_new(NULL, &c, errbuf), VIGIL_OK);
	ck_assert_int_eq(vigil_classification_new(&res), VIGIL_OK);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(cases); i++) {
		const char *t = cases[i].text;
		bool found = false;

		ck_assert_int_eq(vigil_classify(c, t, strlen(t), res, errbuf), VIGIL_OK);
		for (int cat = 0; cat < VIGIL_CATEGORY_COUNT; cat++)
			ck_assert_msg(vigil_classification_label(res, cat) == (cat == cases[i].cat),
				      "'%s': %s %s", t, vigil_category_name(cat),
				      vigil_classification_label(res, cat) ? "flagged" : "missed");
		for (size_t m = 0; cases[i].span && m < vigil_classification_matches(res); m++) {
			size_t start, end;

			ck_assert_int_eq(vigil_classification_match(res, m, NULL, NULL, NULL,
								    &start, &end), VIGIL_OK);
			found |= start == (size_t)(strstr(t, cases[i].span) - t) && end > start;
		}
		ck_assert_msg(!cases[i].span || found, "'%s': no match starts at '%s'", t,
			      cases[i].span);
	}
	/* Leet letters in the run: "a", then "tr@nny" (it was "atranny"). */
	{
		const char *t = "Dr. Nguyen is a t r @ n n y and everyone knows";

		ck_assert_int_eq(vigil_classify(c, t, strlen(t), res, errbuf), VIGIL_OK);
		ck_assert(vigil_classification_label(res, VIGIL_HATE));
	}
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Matching, scoring and thresholds                                    */
/* ------------------------------------------------------------------ */

static const char scoring_rules[] =
	"define you = you | your | @\n"
	"rule t.kill threat 400: kill* | stabbed ..2 $you\n"
	"rule t.will threat 300: will | gonna ..3 kill*\n"
	"rule t.near threat 200: knife ~2 $you\n"
	"rule t.gap threat 250: smash * face\n"
	"rule t.ctx threat -500: kill* ..1 time | it\n"
	"rule t.shot threat 400: shot ..1 $you\n"
	"rule i.word insult 600: idiot | fuck | shit\n"
	"rule i.more insult 600: moron\n"
	"rule s.word sexual 300: nudes\n";

static const struct {
	const char *text;
	int threat, insult, sexual;
} scoring[] = {
	{ "I will kill you", 700, 0, 0 },
	{ "I will k i l l you", 700, 0, 0 },
	{ "kill you", 400, 0, 0 },
	{ "kill the lights, you", 0, 0, 0 },       /* too far apart */
	{ "you kill", 0, 0, 0 },                    /* ..N is ordered */
	{ "a knife for you", 200, 0, 0 },
	{ "you, the knife", 200, 0, 0 },             /* ~N is not */
	{ "I will smash your stupid face", 250, 0, 0 },
	{ "I will smash face", 0, 0, 0 },            /* '*' needs a word */
	{ "I will kill time", 0, 0, 0 },             /* clamped at 0 */
	{ "idiot moron", 0, 1000, 0 },               /* clamped at 1000 */
	{ "you f*ck", 0, 600, 0 },                   /* mask resolved */
	{ "sh*t you", 0, 600, 0 },                   /* "shit" before "shot" */
	{ "sh0t you", 400, 0, 0 },
	{ "send nudes", 0, 0, 300 },
	{ "stabbbbed @someone", 400, 0, 0 },        /* stretched double */
	{ "but @someone", 0, 0, 0 },                 /* not "butt" */
};

START_TEST(test_scoring)
{
	vigil_classifier *c = classifier_from(scoring_rules);
	vigil_classification *res = classify(c, scoring[_i].text);

	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), scoring[_i].threat);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_INSULT), scoring[_i].insult);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_SEXUAL), scoring[_i].sexual);
	ck_assert_int_eq(vigil_classification_label(res, VIGIL_THREAT),
			 scoring[_i].threat >= 500);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* How far a context reaches: `reach 0` only the evidence it overlaps,
 * threat and doxxing contexts 50 words by default, the others and
 * `reach post` the whole post. */
#define FAR " la la la la la la la la la la la la la la la la la la la la" \
	    " la la la la la la la la la la la la la la la la la la la la" \
	    " la la la la la la la la la la la la la la la la la la la la "
static const char reach_rules[] =
	"define you = you | your\n"
	"rule t.kill threat 600: kill* ..2 $you\n"
	"rule t.idiom threat -700 reach 0: killing it\n"
	"rule t.hunt threat -700: hunting\n"
	"rule t.topic threat -700 reach post: survey\n"
	"rule t.few threat -700 reach 3: hunt\n"
	"rule s.word sexual 600: nudes\n"
	"rule s.ctx sexual -700: clinic\n"
	"rule d.cell doxxing 600: cell ..2 %phone\n"
	"rule d.ctx doxxing -700 reach 0: %phone ~3 office\n";

static const struct {
	const char *text;
	int threat, sexual, doxxing;
} reaching[] = {
	{ "killing it today, then kill you", 600, 0, 0 },    /* idiom elsewhere */
	{ "killing it, you", 0, 0, 0 },                      /* overlaps it */
	{ "hunting season opens, I will kill you", 0, 0, 0 },
	{ "hunting season opens." FAR "I will kill you", 600, 0, 0 },
	{ "I will kill you." FAR "hunting season opens", 600, 0, 0 },
	{ "hunting." FAR "hunting, kill you", 0, 0, 0 },     /* every hit reaches */
	{ "a survey." FAR "I will kill you", 0, 0, 0 },      /* reach post */
	{ "hunt la la kill you", 0, 0, 0 },                  /* reach 3 */
	{ "hunt la la la la kill you", 600, 0, 0 },
	{ "the clinic." FAR "send nudes", 0, 0, 0 },         /* sexual: post */
	{ "the clinic, send nudes", 0, 0, 0 },
	{ "office 555-123-4567, her cell 555-987-6543", 0, 0, 600 },
	/* a two-part context covers each place it fires, and only those */
	{ "office 555-123-4567." FAR "her cell 555-987-6543", 0, 0, 600 },
	{ "her cell 555-987-6543 office, office 555-123-4567", 0, 0, 0 },
};

START_TEST(test_reach)
{
	vigil_classifier *c = classifier_from(reach_rules);
	vigil_classification *res = classify(c, reaching[_i].text);

	ck_assert_msg(vigil_classification_score(res, VIGIL_THREAT) == reaching[_i].threat &&
		      vigil_classification_score(res, VIGIL_SEXUAL) == reaching[_i].sexual &&
		      vigil_classification_score(res, VIGIL_DOXXING) == reaching[_i].doxxing,
		      "%s: threat %d sexual %d doxxing %d", reaching[_i].text,
		      vigil_classification_score(res, VIGIL_THREAT),
		      vigil_classification_score(res, VIGIL_SEXUAL),
		      vigil_classification_score(res, VIGIL_DOXXING));
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* Evidence is capped at 1000 before a context takes its share; an
 * uncapped context (lawful action) takes it before the cap, and only the
 * strongest uncapped one counts: a death wish that several rules agree
 * on stands next to a complaint, a lone "you'll pay" does not. No
 * context explains firm evidence away. */
static const char uncapped_rules[] =
	"rule t.wish threat 600: hope you die\n"
	"rule t.die threat 500: you die\n"
	"rule t.pay threat 500: youll pay\n"
	"rule t.said threat -700: she said\n"
	"rule t.court threat -600 reach 15 uncapped: in court\n"
	"rule t.college threat -500 uncapped: the college\n"
	"rule t.prey threat 500 firm: my prey\n"
	"rule t.hunt threat -700 reach post: hunting\n"
	"quote q.wrote: she wrote ..3 %quote\n";

static const struct {
	const char *text;
	int threat;
} uncapping[] = {
	{ "I hope you die", 1000 },
	{ "she said I hope you die", 300 },                    /* 1000 - 700 */
	{ "I hope you die, see you in court", 500 },            /* 1100 - 600 */
	{ "see you in court and at the college. I hope you die", 500 },
	{ "You'll pay. See you in court", 0 },
	{ "You'll pay. See you in court and at the college", 0 },
	{ "she said I hope you die, see you in court", 0 },    /* 1000 - 600 - 700 */
	/* firm evidence: no context explains it, a quotation still does */
	{ "hunting season: my prey is the night nurse", 500 },
	{ "hunting season: I hope you die", 300 },
	{ "hunting season: my prey, I hope you die", 500 },
	{ "she wrote \"my prey\"", 0 },
};

START_TEST(test_uncapped)
{
	check_score(uncapped_rules, uncapping[_i].text, VIGIL_THREAT, uncapping[_i].threat);
}
END_TEST

/* Quotations the post reports: a match that reaches into one counts for
 * nothing, context too, one outside counts, and a quotation nobody is
 * said to have written is not reported. */
static const char quote_rules[] =
	"define you = you | your | @\n"
	"rule t.kill threat 600: kill* ..2 $you\n"
	"rule i.word insult 600: idiot\n"
	"rule t.ctx threat -200: police\n"
	"quote q.wrote: she | he | someone ..1 wrote | said ..3 %quote\n"
	"quote q.after: %quote ..2 he wrote\n";

static const struct {
	const char *text;
	int threat, insult;
	size_t quoted;   /* matches counted for nothing */
} quoting[] = {
	{ "She wrote: \"I will kill you\"", 0, 0, 1 },
	{ "she wrote \u201cI will kill you, idiot\u201d", 0, 0, 2 },   /* curly */
	{ "il wrote \u00abkill you\u00bb", 600, 0, 0 },               /* no sayer */
	{ "someone said \u00abkill you\u00bb", 0, 0, 1 },              /* guillemets */
	{ "someone said 'kill you' to her", 0, 0, 1 },                  /* single */
	{ "\"kill you,\" he wrote", 0, 0, 1 },                          /* after */
	{ "I wrote \"kill you\"", 600, 0, 0 },                          /* first person */
	{ "she wrote \"hi\", I will kill you", 600, 0, 0 },             /* outside */
	{ "kill \"you,\" he wrote", 0, 0, 1 },                          /* ends inside */
	{ "she wrote \"kill\" you", 0, 0, 1 },                           /* starts inside */
	{ "she said \"kill you\" and I wrote: \"idiot\"", 0, 600, 1 }, /* one reported */
	{ "she said \"kill you\" then someone wrote \"idiot\"", 0, 0, 2 }, /* two */
	{ "she wrote \"kill you\", police", 0, 0, 1 },                 /* context outside */
	{ "she wrote \"police\", I will kill you", 600, 0, 1 },        /* context inside */
	{ "she said don't kill you, it's idiot", 600, 600, 0 },         /* apostrophes */
	{ "she said \"kill you", 600, 0, 0 },                           /* never closed */
	{ "she said \"\" kill you", 600, 0, 0 },                        /* empty */
};

START_TEST(test_quotes)
{
	vigil_classifier *c = classifier_from(quote_rules);
	vigil_classification *res = classify(c, quoting[_i].text);
	size_t quoted = 0;

	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), quoting[_i].threat);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_INSULT), quoting[_i].insult);
	for (size_t i = 0; i < vigil_classification_matches(res); i++) {
		int w = -1;

		ck_assert_int_eq(vigil_classification_match(res, i, NULL, NULL, &w, NULL, NULL),
				 VIGIL_OK);
		quoted += w == 0;
	}
	ck_assert_msg(quoted == quoting[_i].quoted, "'%s': %zu matches quoted, want %zu",
		      quoting[_i].text, quoted, quoting[_i].quoted);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* A mark with no closing mark within QUOTE_MAX bytes (2048) of it stops
 * no later quotation of its kind: the reported one opens inside the
 * first mark's reach and closes beyond it. */
START_TEST(test_quote_far)
{
	vigil_classifier *c = classifier_from(quote_rules);
	char text[4096];
	vigil_classification *res;
	size_t n;

	memset(text, 0, sizeof(text));
	memcpy(text, "'tis", 4);
	for (n = 4; n < 2030; n++)
		text[n] = n % 3 ? 'a' : ' ';
	memcpy(text + 2030, " she said 'kill you' and \"idiot", 32);
	ck_assert_int_eq(strchr(text + 2030, '\'') - text, 2040);
	res = classify(c, text);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), 0);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_INSULT), 600);  /* unclosed */
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* Thousands of reported quotations: the first ones are still found and
 * discounted (the quote rules' search is bounded, not skipped). */
START_TEST(test_quote_many)
{
	vigil_classifier *c = classifier_from(quote_rules);
	static const char unit[] = "\"a,\" he wrote ";
	char *text = malloc(5000 * (sizeof(unit) - 1) + 64);
	vigil_classification *res;
	size_t n;

	ck_assert_ptr_nonnull(text);
	n = (size_t)sprintf(text, "she said \"kill you\" ");
	for (int i = 0; i < 5000; i++, n += sizeof(unit) - 1)
		memcpy(text + n, unit, sizeof(unit) - 1);
	text[n] = '\0';
	res = classify(c, text);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), 0);
	vigil_classification_free(res);
	vigil_classifier_free(c);
	free(text);
}
END_TEST

START_TEST(test_thresholds)
{
	vigil_classifier *c = classifier_from(scoring_rules);
	vigil_classification *res;

	ck_assert_int_eq(vigil_classifier_threshold(c, VIGIL_THREAT), 500);
	res = classify(c, "kill you");
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	ck_assert_int_eq(vigil_classifier_set_threshold(c, "threat", 400), VIGIL_OK);
	ck_assert_int_eq(vigil_classify(c, "kill you", 8, res, NULL), VIGIL_OK);
	ck_assert(vigil_classification_label(res, VIGIL_THREAT));
	ck_assert_int_eq(vigil_classifier_set_threshold(c, "threat", 401), VIGIL_OK);
	ck_assert_int_eq(vigil_classify(c, "kill you", 8, res, NULL), VIGIL_OK);
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	ck_assert_int_eq(vigil_classifier_set_threshold(c, "nosuch", 400), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_classifier_set_threshold(c, "threat", 0), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_classifier_set_threshold(c, "threat", 1001), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_classifier_set_threshold(c, NULL, 400), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_classifier_threshold(c, VIGIL_CATEGORY_COUNT), -1);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* A clinician's names count as the target, only in posts about them. */
START_TEST(test_targets)
{
	vigil_classifier *c = classifier_from(
		"rule threat.t threat 600: shoot ..2 you | %clinician\n");
	vigil_classification *res;
	const char *text = "someone should shoot J4ne   Roe tonight";
	size_t s = 0, e = 0;

	ck_assert_int_eq(vigil_classifier_add_target(c, "jroe", "Dr. Jane Roe"), VIGIL_OK);
	ck_assert_int_eq(vigil_classifier_add_target(c, "jroe", "Dr Roe"), VIGIL_OK);
	ck_assert_int_eq(vigil_classifier_add_target(c, "asmith", "Anna Smith"), VIGIL_OK);
	ck_assert_int_eq(vigil_classifier_add_target(c, "x", "..."), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_classifier_add_target(c, NULL, "Jane"), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_classification_new(&res), VIGIL_OK);

	/* Without the title, obfuscated, spans in the original text. */
	ck_assert_int_eq(vigil_classify_about(c, "jroe", text, strlen(text), res, NULL),
			 VIGIL_OK);
	ck_assert(vigil_classification_label(res, VIGIL_THREAT));
	ck_assert_int_eq(vigil_classification_match(res, 0, NULL, NULL, NULL, &s, &e),
			 VIGIL_OK);
	ck_assert_int_eq(s, 15);
	ck_assert_int_eq(e, 31);
	/* Not about anyone, or about someone else: no target. */
	ck_assert_int_eq(vigil_classify(c, text, strlen(text), res, NULL), VIGIL_OK);
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	ck_assert_int_eq(vigil_classify_about(c, "asmith", text, strlen(text), res, NULL),
			 VIGIL_OK);
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	ck_assert_int_eq(vigil_classify_about(c, "nobody", text, strlen(text), res, NULL),
			 VIGIL_OK);
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	/* "Dr Roe" is whole: "Roe" alone is not her ("roe v wade"). */
	text = "shoot roe";
	ck_assert_int_eq(vigil_classify_about(c, "jroe", text, strlen(text), res, NULL),
			 VIGIL_OK);
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	text = "shoot dr roe, shoot dr roe";
	ck_assert_int_eq(vigil_classify_about(c, "jroe", text, strlen(text), res, NULL),
			 VIGIL_OK);
	ck_assert(vigil_classification_label(res, VIGIL_THREAT));
	/* A name inside a longer word is not the name. */
	text = "shoot janeroe";
	ck_assert_int_eq(vigil_classify_about(c, "jroe", text, strlen(text), res, NULL),
			 VIGIL_OK);
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* Spans are byte offsets in the original text, through obfuscation. */
static const struct {
	const char *text;
	const char *rule;
	const char *span;
} spans[] = {
	{ "Well I will k1ll you!", "t.kill", "k1ll you" },
	{ "so: k i l l   you", "t.kill", "k i l l   you" },
	{ "\xd0\xba\xd1\x96ll you", "t.kill", "\xd0\xba\xd1\x96ll you" },
	{ "ki\xe2\x80\x8bll you", "t.kill", "ki\xe2\x80\x8bll you" },
	{ "\xef\xbd\x8b\xef\xbd\x89\xef\xbd\x8c\xef\xbd\x8c @doc", "t.kill",
	  "\xef\xbd\x8b\xef\xbd\x89\xef\xbd\x8c\xef\xbd\x8c @doc" },
	{ "I'll smash ur ugly face, ok", "t.gap", "smash ur ugly face" },
	{ "\xf0\x9f\x94\xaa\xef\xb8\x8f for you", "t.near", "\xf0\x9f\x94\xaa\xef\xb8\x8f for you" },
	{ "hey f*ck off", "i.word", "f*ck" },
};

START_TEST(test_spans)
{
	vigil_classifier *c = classifier_from(scoring_rules);
	vigil_classification *res = classify(c, spans[_i].text);
	char *got = matched(res, spans[_i].text, spans[_i].rule);

	ck_assert_msg(got != NULL, "%s did not fire on '%s'", spans[_i].rule, spans[_i].text);
	/* The span may take in invisible characters after a word. */
	ck_assert_msg(strncmp(got, spans[_i].span, strlen(spans[_i].span)) == 0 &&
		      strlen(got) <= strlen(spans[_i].span) + 3,
		      "span '%s', want '%s'", got, spans[_i].span);
	free(got);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

START_TEST(test_classify_errors)
{
	vigil_classifier *c = classifier_from(scoring_rules);
	vigil_classification *res = classify(c, "kill you");
	char errbuf[VIGIL_ERRBUF_SIZE] = "";

	ck_assert_int_eq(vigil_classify(c, "kill \xff you", 10, res, errbuf), VIGIL_E_PARSE);
	ck_assert_ptr_nonnull(strstr(errbuf, "UTF-8"));
	ck_assert_int_eq(vigil_classification_matches(res), 0);
	ck_assert(!vigil_classification_label(res, VIGIL_THREAT));
	ck_assert_int_eq(vigil_classification_match(res, 0, NULL, NULL, NULL, NULL, NULL),
			 VIGIL_E_NOTFOUND);
	/* Text with NUL bytes is classified, not cut short. */
	ck_assert_int_eq(vigil_classify(c, "x\0kill you", 10, res, NULL), VIGIL_OK);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), 400);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* Groups of digits: a comma and a space end a number ("apt 1207, 55
 * Lakeshore Blvd" is a unit and then an address; without them "1207 55"
 * reads as one number, whose later groups start no detector), and
 * France's social-security number is an identity number. */
static const char digit_rules[] =
	"rule d.addr doxxing 600: %address\n"
	"rule d.phone doxxing 300: %phone\n"
	"rule d.id doxxing 200: %idnum\n";

static const struct {
	const char *text;
	int doxxing;
} digit_groups[] = {
	{ "apt 1207, 55 Lakeshore Blvd", 600 },
	{ "unit 5; 123 Main Street", 600 },
	{ "apt 1207 55 Lakeshore Blvd", 0 },
	{ "apt 1207,55 Lakeshore Blvd", 0 },
	{ "call 1 800 555 0199", 300 },
	/* France's social-security number, 15 and 13 digits; not 14 */
	{ "secu : 1 76 04 13 055 218 42", 200 },
	{ "secu : 2 85 11 75 112 034", 200 },
	{ "secu : 2 85 11 75 112 03", 0 },
};

START_TEST(test_digit_groups)
{
	check_score(digit_rules, digit_groups[_i].text, VIGIL_DOXXING, digit_groups[_i].doxxing);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Doxxing detectors (through the default rules)                       */
/* ------------------------------------------------------------------ */

static const struct {
	const char *text;
	bool doxxing;
} doxx[] = {
	{ "Dr. Singh's cell is 555-212-4433, blow it up", true },
	{ "her home phone: five five five one two one two", true },
	{ "Here's Nurse Bailey's home address: 12 Aspen Court", true },
	{ "Dr. Yang's private gmail: lyang.md.personal@gmail.com", true },
	{ "Dr. Yang's private gmail: lyang.md.personal@gmail.com. Flood it", true },  /* full stop */
	{ "Dr. Ahmed drives a red Tesla, plate ABC 4521", true },
	{ "she was born on March 12 1980, her birthday is coming", true },
	{ "his SIN is 123 456 789", true },
	{ "Dr. Morales's son plays soccer at Riverside Park every Saturday", true },
	{ "Dr Roy walks her dog alone at 6am on Elm St every day", true },
	{ "Nurse Ana's licence plate is BXTR 442, silver Civic", true },
	{ "Dr. Lee walks her dog at 6:30 every day", true },  /* h:mm */
	{ "her plate is G72 KLM, red Mazda", true },  /* Quebec plate */
	{ "she takes vitamin b12 and folate daily", false },
	{ "Dr. Lee, age 41, had her license suspended in 2019", false },
	{ "parked by gate 14, the registration desk is in room 210", false },
	{ "Dr Wu lives at 14 impasse des Lilas", true },

	{ "Dr Patel jogs the canal path at 5:45 most mornings", true },
	{ "Grand rounds start at 7:45 in the auditorium, all welcome", false },
	{ "she walks in at 25:99 every day, lol", false },
	{ "Dr. Ahmed's clinic at 200 Park Ave is accepting new patients", false },
	{ "Book with Dr. Foster's office: 555-0199", false },
	{ "Call the clinic at (555) 212-4433 to book an appointment", false },
	{ "Dr. Lee's office e-mail is info@lakeviewclinic.ca", false },
	{ "I walked 5 km in 2020 and it was fine", false },
	/* UK and international numbers, UK street words */
	{ "Nurse Tamsin's personal mobile is 07700 900417, ring her", true },
	{ "Dr Hart's mobile: 07700 900 862", true },
	{ "Dr Hart's personal number +44 7700 900417", true },
	{ "le cell perso de la Dre Roy : +33 6 39 98 12 34", true },
	{ "GP Dr Qureshi lives at 31 Foxglove Mews, Leeds", true },
	{ "98 civic lx stick green with shitty paint", false },
	{ "lol at like 10 9995 128514", false },  /* not +44 */
	/* a home told by its look, records, a spelled-out e-mail */
	{ "Nurse Lam's house is the yellow one with green shutters, three doors down from the gas station", true },
	{ "here's the property record for Dr. Sandhu's place, the street address is right there", true },
	{ "her personal e-mail is mtorres.rn at gmail dot com", true },
	{ "The staff wellness gym is open 5am-10pm. Free spin classes Mon/Wed/Fri at 6am.", false },
	{ "Someone posted a nurse's home address here. It's been removed and the account banned.", false },
};

START_TEST(test_doxx)
{
	char errbuf[VIGIL_ERRBUF_SIZE];
	vigil_classifier *c = NULL;
	vigil_classification *res;

	ck_assert_int_eq(vigil_classifier_new(NULL, &c, errbuf), VIGIL_OK);
	res = classify(c, doxx[_i].text);
	ck_assert_msg(vigil_classification_label(res, VIGIL_DOXXING) == doxx[_i].doxxing,
		      "'%s': doxxing score %d", doxx[_i].text,
		      vigil_classification_score(res, VIGIL_DOXXING));
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

START_TEST(test_json)
{
	vigil_classifier *c = classifier_from(scoring_rules);
	const char *text = "I will kill you, idiot";
	json_t *o = classifier_json(c, NULL, text, strlen(text)), *m;
	vigil_classification *res = classify(c, text);
	char *s;

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "engine")),
			 vigil_classifier_engine(c));
	ck_assert(json_is_integer(json_object_get(json_object_get(o, "scores"), "threat")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "scores"),
							      "threat")), 700);
	ck_assert_int_eq(json_object_size(json_object_get(o, "scores")), 5);
	ck_assert_int_eq(json_array_size(json_object_get(o, "labels")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "labels"), 0)),
			 "threat");
	m = json_array_get(json_object_get(o, "matches"), 0);
	ck_assert(json_is_integer(json_object_get(m, "start")));
	ck_assert(json_is_integer(json_object_get(m, "end")));
	ck_assert_ptr_nonnull(json_object_get(m, "category"));
	ck_assert_ptr_nonnull(json_object_get(m, "rule"));
	/* The text form has no engine unless asked, and integer scores. */
	s = vigil_classification_json(res, false);
	ck_assert_ptr_null(strstr(s, "engine"));
	ck_assert_ptr_nonnull(strstr(s, "\"scores\":{\"threat\":700,\"sexual\":0,"
				     "\"doxxing\":0,\"hate\":0,\"insult\":600}"));
	free(s);
	s = vigil_classification_json(res, true);
	ck_assert_ptr_nonnull(strstr(s, "\"engine\":\"vigil-classify "));
	free(s);
	json_decref(o);
	/* Invalid UTF-8 from a caller is still judged, not dropped. */
	o = classifier_json(c, NULL, "kill \xff you", 10);
	ck_assert_ptr_nonnull(o);
	json_decref(o);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* A classifier put to sleep (its rules, model and automaton freed, as
 * vigild does during a long wait) refuses to classify, and once woken
 * judges exactly as before, under the same engine string. */
START_TEST(test_sleep_wake)
{
	static const char *texts[] = {
		"I will kill you, idiot", "k.i.l.l yourself doc", "see you in court",
		"your home address is 12 Main Street", "thank you for the flu shot",
		"Dr. Ames won't see Christmas if she keeps this up.",  /* the model */
	};
	char errbuf[VIGIL_ERRBUF_SIZE] = "", engine[128];
	vigil_classifier *c = NULL;
	char *before[VIGIL_ARRAY_SIZE(texts)];
	vigil_classification *res = NULL;

	ck_assert_int_eq(vigil_classifier_new(NULL, &c, errbuf), VIGIL_OK);
	ck_assert_int_eq(vigil_classification_new(&res), VIGIL_OK);
	snprintf(engine, sizeof(engine), "%s", vigil_classifier_engine(c));
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(texts); i++) {
		ck_assert_int_eq(vigil_classify(c, texts[i], strlen(texts[i]), res, errbuf), VIGIL_OK);
		before[i] = vigil_classification_json(res, true);
	}
	for (int round = 0; round < 3; round++) {
		classifier_sleep(c);
		classifier_sleep(c);  /* twice is harmless */
		ck_assert_int_eq(vigil_classify(c, texts[0], strlen(texts[0]), res, errbuf),
				 VIGIL_E_INVAL);
		ck_assert_ptr_nonnull(strstr(errbuf, "asleep"));
		ck_assert_int_eq(classifier_wake(c, errbuf), VIGIL_OK);
		ck_assert_int_eq(classifier_wake(c, errbuf), VIGIL_OK);
		ck_assert_str_eq(vigil_classifier_engine(c), engine);
		for (size_t i = 0; i < VIGIL_ARRAY_SIZE(texts); i++) {
			char *after;

			ck_assert_int_eq(vigil_classify(c, texts[i], strlen(texts[i]), res, errbuf),
					 VIGIL_OK);
			after = vigil_classification_json(res, true);
			ck_assert_str_eq(after, before[i]);
			free(after);
		}
	}
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(texts); i++)
		free(before[i]);
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The linear model (model.c)                                          */
/* ------------------------------------------------------------------ */

/* A directory holding a rules file and, if not NULL, m.model: a
 * classifier loads both from it. Caller removes it (rmdir_model()). */
static char *
model_dir(const char *model)
{
	char *dir = strdup("/tmp/vigil-test-model-XXXXXX"), path[256];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.rules", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("rule z.never insult 100: zzyzx\n", f);
	fclose(f);
	if (model) {
		snprintf(path, sizeof(path), "%s/m.model", dir);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(model, f);
		fclose(f);
	}
	return dir;
}

static void
rmdir_model(char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/a.rules", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/m.model", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/n.model", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
}

#define MODEL_HEAD "model 1\ncategories threat\nbias -1\nfrom 0.5\n"
static const char tiny_model[] =
	"# a comment\n" MODEL_HEAD
	"f 2 3 kill\n"
	"f 1 1 you\n"
	"f 1 2 kill you\n";

/* The arithmetic of lib/model.c's comment, worked by hand:
 * "i kill you" has kill (2), you (1) and "kill you" (1), so
 * z = -1 + (2*3 + 1*1 + 1*2) / sqrt(6) = 2.674, p = 0.9355, and the
 * model adds (p - 0.5) / 0.5 * 1000 = 871 with "kill" the span shown.
 * "kill kill you": kill counts (1 + ln 2) * 2, so p = 0.9299, 860.
 * "you" alone: p = 0.5 exactly, not above `from`: nothing. */
START_TEST(test_model_score)
{
	static const struct {
		const char *text;
		int score;
		const char *span;
	} cases[] = {
		{ "I kill you", 871, "kill" },
		{ "Kill, kill YOU", 860, "Kill" },
		{ "you", 0, NULL },
		{ "someone else entirely", 0, NULL },
		{ "you kill", 788, "kill" },  /* no pair: -1 + 7/sqrt(5), p 0.894 */
	};
	char *dir = model_dir(tiny_model), errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_classifier *c = NULL;

	ck_assert_msg(vigil_classifier_new(dir, &c, errbuf) == VIGIL_OK, "%s", errbuf);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(cases); i++) {
		vigil_classification *res = classify(c, cases[i].text);
		char *span = matched(res, cases[i].text, "model.threat");
		int want = cases[i].score;

		ck_assert_msg(vigil_classification_score(res, VIGIL_THREAT) == want,
			      "'%s': threat %d, want %d", cases[i].text,
			      vigil_classification_score(res, VIGIL_THREAT), want);
		if (cases[i].span)
			ck_assert_str_eq(span ? span : "(none)", cases[i].span);
		else
			ck_assert_ptr_null(span);
		free(span);
		vigil_classification_free(res);
	}
	vigil_classifier_free(c);
	rmdir_model(dir);
}
END_TEST

/* A word that weighs up every category ("dr") says whom a post is about:
 * alone it makes no match, though it lifts p over `from` (p = 0.88 for
 * "dr" in both categories); beside "kill" it is never the span. */
START_TEST(test_model_topic)
{
	static const char model[] =
		"model 1\ncategories threat insult\nbias 0 0\nfrom 0.5\n"
		"f 1 2 2 dr\n"
		"f 1 3 -1 kill\n";
	char *dir = model_dir(model), errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_classifier *c = NULL;
	vigil_classification *res;
	char *span;

	ck_assert_msg(vigil_classifier_new(dir, &c, errbuf) == VIGIL_OK, "%s", errbuf);
	res = classify(c, "Dr Roe");
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), 0);
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_INSULT), 0);
	vigil_classification_free(res);
	/* z = (2 + 3) / sqrt(2) for threat: p 0.972, 943; insult has
	 * dr (+2) and kill (-1), p 0.671, but only the topic word to show. */
	res = classify(c, "Dr Roe kill");
	span = matched(res, "Dr Roe kill", "model.threat");
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), 943);
	ck_assert_str_eq(span ? span : "(none)", "kill");
	ck_assert_int_eq(vigil_classification_score(res, VIGIL_INSULT), 0);
	free(span);
	vigil_classification_free(res);
	vigil_classifier_free(c);
	rmdir_model(dir);
}
END_TEST

static const struct {
	const char *text;
	const char *error;
} bad_models[] = {
	{ "categories threat\n", "m.model:1: expected 'model 1' first" },
	{ "model 2\n", "m.model:1: expected 'model 1' first" },
	{ "model 1\ncategories threat nosuch\n", "m.model:2: unknown category 'nosuch'" },
	{ "model 1\ncategories threat threat\n", "m.model:2: category 'threat' twice" },
	{ "model 1\nf 1 1 kill\n", "m.model:2: 'f' before 'categories'" },
	{ "model 1\ncategories threat\nbias x\n", "m.model:3: 'x' is not a number" },
	{ "model 1\ncategories threat\nbias nan\n", "m.model:3: 'nan' is not a number" },
	{ "model 1\ncategories threat\nbias 1e7\n", "m.model:3: '1e7' is not a number within +-1e6" },
	{ "model 1\ncategories threat\nbias 1 2\n", "m.model:3: 'bias' wants 1 numbers" },
	{ "model 1\ncategories threat\nbias 0\nfrom 1.5\n",
	  "m.model:4: 'from' wants a probability" },
	{ MODEL_HEAD "f 1 2\n", "m.model:5: 'f' wants 2 numbers and one or two words" },
	{ MODEL_HEAD "f 1 2 a b c\n", "m.model:5: 'f' wants 2 numbers" },
	{ MODEL_HEAD "f 0 2 kill\n", "m.model:5: idf '0' must be above 0" },
	{ MODEL_HEAD "f 1 2 k\001ll\n", "m.model:5: a word must be 1 to 64 bytes" },
	{ MODEL_HEAD "frob 1\n", "m.model:5: unknown record 'frob'" },
	{ MODEL_HEAD "f 1 1 kill\nf 1 2 kill\n", "m.model: feature 'kill' given twice" },
	{ MODEL_HEAD "f 1 1 kill\nf 1 2 kill you\n",
	  "m.model: feature 'kill you': each of its words must be a feature too" },
	{ "model 1\ncategories threat\nbias 0\n", "'categories', 'bias' and 'from' are required" },
	{ "# nothing\n", "m.model: empty model" },
	{ "model 1\n\xff\n", "m.model: not UTF-8 text" },
};

START_TEST(test_model_bad)
{
	char *dir = model_dir(bad_models[_i].text), errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_classifier *c = NULL;

	ck_assert_int_eq(vigil_classifier_new(dir, &c, errbuf), VIGIL_E_PARSE);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(errbuf, bad_models[_i].error), "got '%s', want '%s'",
		      errbuf, bad_models[_i].error);
	rmdir_model(dir);
}
END_TEST

/* The model is part of what judged a post: the engine's hash covers it;
 * one model per classifier. */
START_TEST(test_model_engine)
{
	char *a = model_dir(tiny_model), *b = model_dir(NULL), *two = model_dir(tiny_model);
	char errbuf[VIGIL_ERRBUF_SIZE] = "", path[256];
	vigil_classifier *ca = NULL, *cb = NULL, *c2 = NULL;
	FILE *f;

	ck_assert_int_eq(vigil_classifier_new(a, &ca, errbuf), VIGIL_OK);
	ck_assert_int_eq(vigil_classifier_new(b, &cb, errbuf), VIGIL_OK);
	ck_assert_str_ne(vigil_classifier_engine(ca), vigil_classifier_engine(cb));
	{
		/* The hash names the files' bytes in name order, as one text. */
		char both[512], hex[65];
		uint8_t sha[32];

		snprintf(both, sizeof(both), "%s%s", "rule z.never insult 100: zzyzx\n",
			 tiny_model);
		vigil_sha256(both, strlen(both), sha);
		vigil_hex(sha, sizeof(sha), hex);
		ck_assert_str_eq(strstr(vigil_classifier_engine(ca), "sha256:") + 7, hex);
	}
	snprintf(path, sizeof(path), "%s/n.model", two);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(tiny_model, f);
	fclose(f);
	ck_assert_int_eq(vigil_classifier_new(two, &c2, errbuf), VIGIL_E_PARSE);
	ck_assert_ptr_nonnull(strstr(errbuf, "n.model: a second model"));
	vigil_classifier_free(ca);
	vigil_classifier_free(cb);
	rmdir_model(a);
	rmdir_model(b);
	rmdir_model(two);
}
END_TEST

/* A model read from disk sleeps and wakes with the automaton, from the
 * bytes read at load (the file is not read again). */
START_TEST(test_model_sleep_wake)
{
	char *dir = model_dir(tiny_model), errbuf[VIGIL_ERRBUF_SIZE] = "", path[256];
	vigil_classifier *c = NULL;
	vigil_classification *res;

	ck_assert_int_eq(vigil_classifier_new(dir, &c, errbuf), VIGIL_OK);
	snprintf(path, sizeof(path), "%s/m.model", dir);
	unlink(path);  /* gone from disk: waking must not need it */
	for (int round = 0; round < 2; round++) {
		res = classify(c, "I kill you");
		ck_assert_int_eq(vigil_classification_score(res, VIGIL_THREAT), 871);
		vigil_classification_free(res);
		classifier_sleep(c);
		ck_assert_int_eq(classifier_wake(c, errbuf), VIGIL_OK);
	}
	vigil_classifier_free(c);
	rmdir_model(dir);
}
END_TEST

/* The default model catches what no default rule names, and says where.
 * (The sentence is one the default model of session 20 scores 684 and no
 * rule matches; a retrained model may need another.) */
START_TEST(test_model_default)
{
	static const char text[] = "Dr. Ames won't see Christmas if she keeps this up.";
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_classifier *c = NULL;
	vigil_classification *res;
	char *span;
	size_t n = 0;

	ck_assert_int_eq(vigil_classifier_new(NULL, &c, errbuf), VIGIL_OK);
	res = classify(c, text);
	ck_assert(vigil_classification_label(res, VIGIL_THREAT));
	for (size_t i = 0; i < vigil_classification_matches(res); i++) {
		const char *id;
		vigil_classification_match(res, i, NULL, &id, NULL, NULL, NULL);
		n += strncmp(id, "model.", 6) != 0;
	}
	ck_assert_uint_eq(n, 0);  /* the model alone */
	/* Where: one word of the post, its strongest feature ("won't"
	 * in session 20's model, "see" in session 22's). */
	span = matched(res, text, "model.threat");
	ck_assert_ptr_nonnull(span);
	ck_assert(span[0] != '\0' && strchr(span, ' ') == NULL);
	ck_assert_ptr_nonnull(strstr(text, span));
	free(span);
	ck_assert_str_eq(vigil_classification_normalized(res, NULL),
			 " dr ames wont see christmas if she keeps this up ");
	vigil_classification_free(res);
	vigil_classifier_free(c);
}
END_TEST

START_TEST(test_category_names)
{
	ck_assert_str_eq(vigil_category_name(VIGIL_THREAT), "threat");
	ck_assert_str_eq(vigil_category_name(VIGIL_INSULT), "insult");
	ck_assert_ptr_null(vigil_category_name(VIGIL_CATEGORY_COUNT));
	ck_assert_ptr_null(vigil_category_name((vigil_category)-1));
}
END_TEST

static Suite *
classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("normalize");

	tcase_add_loop_test(tc, test_normalize, 0, VIGIL_ARRAY_SIZE(norm_cases));
	tcase_add_loop_test(tc, test_normalize_offsets, 0, VIGIL_ARRAY_SIZE(norm_cases));
	tcase_add_test(tc, test_normalize_invalid_utf8);
	tcase_add_test(tc, test_normalize_fast_path);
	tcase_add_test(tc, test_normalize_paths_agree);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_test(tc, test_rules_good);
	tcase_add_loop_test(tc, test_rules_bad, 0, VIGIL_ARRAY_SIZE(bad_rules));
	tcase_add_loop_test(tc, test_quotes, 0, VIGIL_ARRAY_SIZE(quoting));
	tcase_add_test(tc, test_quote_far);
	tcase_add_loop_test(tc, test_reach, 0, VIGIL_ARRAY_SIZE(reaching));
	tcase_add_loop_test(tc, test_uncapped, 0, VIGIL_ARRAY_SIZE(uncapping));
	tcase_add_loop_test(tc, test_digit_groups, 0, VIGIL_ARRAY_SIZE(digit_groups));
	tcase_add_test(tc, test_quote_many);
	tcase_add_test(tc, test_rules_long_line);
	tcase_add_test(tc, test_rules_many);
	tcase_add_test(tc, test_rules_missing_file);
	tcase_add_test(tc, test_default_rules);
	tcase_add_loop_test(tc, test_large_automaton, 0, 2);
	tcase_add_test(tc, test_spaced_words);
	suite_add_tcase(s, tc);

	tc = tcase_create("scoring");
	tcase_add_loop_test(tc, test_scoring, 0, VIGIL_ARRAY_SIZE(scoring));
	tcase_add_test(tc, test_thresholds);
	tcase_add_test(tc, test_targets);
	tcase_add_loop_test(tc, test_spans, 0, VIGIL_ARRAY_SIZE(spans));
	tcase_add_test(tc, test_classify_errors);
	tcase_add_loop_test(tc, test_doxx, 0, VIGIL_ARRAY_SIZE(doxx));
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_add_test(tc, test_model_score);
	tcase_add_test(tc, test_model_topic);
	tcase_add_loop_test(tc, test_model_bad, 0, VIGIL_ARRAY_SIZE(bad_models));
	tcase_add_test(tc, test_model_engine);
	tcase_add_test(tc, test_model_sleep_wake);
	tcase_add_test(tc, test_model_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_sleep_wake);
	tcase_add_test(tc, test_category_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(classify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
