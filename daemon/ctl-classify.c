/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl-classify.c - `vigilctl classify`: label posts from JSONL or plain
 * lines, explain the labels, or measure the rules on labelled data.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vigilctl.h"

#define LINE_MAX_BYTES (1u << 20)   /* longer input lines are rejected */
#define READ_CHUNK (1u << 20)

struct reader {
	FILE *f;
	char *buf;
	size_t cap, start, end;
	unsigned long lineno;
	bool eof;
};

/* Next line without its newline; *toolong when it exceeded the limit
 * (its bytes are skipped). Returns false at the end of input. */
static bool
reader_next(struct reader *r, const char **line, size_t *len, bool *toolong)
{
	*toolong = false;
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		size_t n;

		if (nl || (r->eof && r->end > r->start)) {
			n = nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
			*line = r->buf + r->start;
			*len = n;
			r->start += n + (nl != NULL);
			r->lineno++;
			if (n && (*line)[n - 1] == '\r')
				(*len)--;
			return true;
		}
		if (r->eof)
			return false;
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->end == r->cap) {  /* the line is too long: skip it */
			*toolong = true;
			r->end = 0;
			continue;
		}
		n = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
		r->end += n;
		if (n == 0)
			r->eof = true;
		if (*toolong && (nl = memchr(r->buf, '\n', r->end))) {
			r->start = (size_t)(nl - r->buf) + 1;
			r->lineno++;
			*line = NULL;
			*len = 0;
			return true;
		}
	}
}

enum mode { MODE_JSON, MODE_LINES, MODE_EXPLAIN, MODE_EVAL, MODE_NORMALIZED };

struct counts {
	unsigned long tp, fp, fn, tn;
};

struct run {
	vigil_classifier *c;
	vigil_classification *res;
	enum mode mode;
	bool lines;              /* input is plain text lines */
	const char *split;       /* --split: only rows with orig.split == it */
	const char *name;
	const char *about;       /* clinician of --target names, or NULL */
	bool rejected;
	struct counts cat[VIGIL_CATEGORY_COUNT + 1];  /* + "any" vs abuse */
	unsigned long benign, benign_flagged, rows;
	char errbuf[VIGIL_ERRBUF_SIZE];
};

static void
reject(struct run *run, unsigned long lineno, const char *why)
{
	ctl_error("%s:%lu: %s", run->name, lineno, why);
	run->rejected = true;
}

static void
print_labels(const vigil_classification *res)
{
	bool first = true;

	for (int i = 0; i < VIGIL_CATEGORY_COUNT; i++) {
		if (!vigil_classification_label(res, i))
			continue;
		if (!first)
			putchar(',');
		fputs(vigil_category_name(i), stdout);
		first = false;
	}
	putchar('\n');
}

static void
explain(const struct run *run, const char *id, const char *text, size_t len)
{
	const vigil_classification *res = run->res;
	size_t n = vigil_classification_matches(res);

	printf("%s:", id);
	for (int i = 0; i < VIGIL_CATEGORY_COUNT; i++)
		printf(" %s=%d%s", vigil_category_name(i),
		       vigil_classification_score(res, i),
		       vigil_classification_label(res, i) ? "*" : "");
	printf("\n  %.*s\n", (int)len, text);
	for (size_t i = 0; i < n; i++) {
		vigil_category cat;
		const char *rule;
		size_t s, e;
		int w;

		vigil_classification_match(res, i, &cat, &rule, &w, &s, &e);
		if (w)
			printf("  %+5d", w);
		else  /* inside a reported quotation: counted for nothing */
			printf("  quote");
		printf(" %-8s %-28s [%zu,%zu) %.*s[%.*s]%.*s\n",
		       vigil_category_name(cat), rule, s, e, (int)s, text,
		       (int)(e - s), text + s, (int)(len - e), text + e);
	}
}

static void
count(struct run *run, json_t *labels)
{
	bool any_true = false, any_pred = false, all_zero = true;

	for (int i = 0; i < VIGIL_CATEGORY_COUNT; i++) {
		json_t *v = json_object_get(labels, vigil_category_name(i));
		bool pred = vigil_classification_label(run->res, i);

		any_pred |= pred;
		if (!json_is_integer(v)) {
			all_zero = false;
			continue;
		}
		if (json_integer_value(v)) {
			all_zero = false;
			any_true = true;
			pred ? run->cat[i].tp++ : run->cat[i].fn++;
		} else {
			pred ? run->cat[i].fp++ : run->cat[i].tn++;
		}
	}
	if (all_zero) {
		run->benign++;
		run->benign_flagged += any_pred;
	}
	/* "abuse" (any of our labels) where the source marks abuse. */
	{
		json_t *v = json_object_get(labels, "abuse");
		struct counts *c = &run->cat[VIGIL_CATEGORY_COUNT];
		if (json_is_integer(v))
			any_true = json_integer_value(v) != 0;
		else if (!all_zero && !any_true)
			return;
		if (any_true)
			any_pred ? c->tp++ : c->fn++;
		else
			any_pred ? c->fp++ : c->tn++;
	}
}

static bool
split_matches(const struct run *run, json_t *row)
{
	json_t *s = json_object_get(json_object_get(row, "orig"), "split");

	return !run->split || (json_is_string(s) && strcmp(json_string_value(s),
							   run->split) == 0);
}

static void
one_line(struct run *run, unsigned long lineno, const char *line, size_t len)
{
	json_t *row = NULL, *id = NULL, *text;
	const char *t = line;
	char *idtext = NULL, *out = NULL;
	json_error_t jerr;
	size_t tlen = len;
	vigil_error r;

	if (!run->lines) {
		if (len == 0)
			return;
		row = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
		if (!row || !json_is_object(row)) {
			snprintf(run->errbuf, sizeof(run->errbuf), "invalid JSON: %s",
				 row ? "not an object" : jerr.text);
			reject(run, lineno, run->errbuf);
			goto out;
		}
		text = json_object_get(row, "text");
		if (!json_is_string(text)) {
			reject(run, lineno, "no \"text\" string member");
			goto out;
		}
		if (run->mode == MODE_EVAL && !split_matches(run, row))
			goto out;
		id = json_object_get(row, "id");
		t = json_string_value(text);
		tlen = json_string_length(text);
	}
	r = vigil_classify_about(run->c, run->about, t, tlen, run->res, run->errbuf);
	if (r != VIGIL_OK) {
		reject(run, lineno, run->errbuf);
		if (run->mode == MODE_LINES)
			putchar('\n');  /* keep one output line per input line */
		goto out;
	}
	switch (run->mode) {
	case MODE_LINES:
		print_labels(run->res);
		break;
	case MODE_EXPLAIN:
		idtext = id ? json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		if (!idtext && asprintf(&idtext, "line %lu", lineno) < 0)
			idtext = NULL;
		explain(run, idtext ? idtext : "?", t, tlen);
		break;
	case MODE_EVAL:
		run->rows++;
		count(run, json_object_get(row, "labels"));
		break;
	case MODE_JSON:
		idtext = json_dumps(id ? id : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
		out = vigil_classification_json(run->res, false);
		if (!idtext || !out) {
			reject(run, lineno, "out of memory");
			break;
		}
		printf("{\"id\":%s,%s\n", idtext, out + 1);
		break;
	case MODE_NORMALIZED: {
		size_t nlen;
		const char *nt = vigil_classification_normalized(run->res, &nlen);
		json_t *o = json_pack("{s:O,s:s%}", "id", id ? id : json_null(),
				      "normalized", nt, nlen);

		out = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!out) {
			reject(run, lineno, "out of memory");
			break;
		}
		puts(out);
		break;
	}
	}
out:
	free(idtext);
	free(out);
	json_decref(row);
}

static double
ratio(unsigned long a, unsigned long b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void
print_eval(const struct run *run)
{
	double macro = 0;

	printf("%-8s %6s %6s %6s %6s %6s %6s %6s\n", "category", "P", "R", "F1",
	       "TP", "FP", "FN", "TN");
	for (int i = 0; i <= VIGIL_CATEGORY_COUNT; i++) {
		const struct counts *c = &run->cat[i];
		double p = ratio(c->tp, c->tp + c->fp), rc = ratio(c->tp, c->tp + c->fn);
		double f = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;

		if (c->tp + c->fp + c->fn + c->tn == 0)
			continue;
		printf("%-8s %6.3f %6.3f %6.3f %6lu %6lu %6lu %6lu\n",
		       i < VIGIL_CATEGORY_COUNT ? vigil_category_name(i) : "any",
		       p, rc, f, c->tp, c->fp, c->fn, c->tn);
		if (i == VIGIL_CATEGORY_COUNT) {
			/* Macro-F1 over the two classes abusive / not abusive. */
			double pn = ratio(c->tn, c->tn + c->fn), rn = ratio(c->tn, c->tn + c->fp);
			double fn = pn + rn > 0 ? 2 * pn * rn / (pn + rn) : 0;
			macro = (f + fn) / 2;
			printf("%-8s %6s %6s %6.3f\n", "macro", "", "", macro);
		}
	}
	printf("rows %lu, benign %lu, benign flagged %lu (%.1f%%)\n", run->rows,
	       run->benign, run->benign_flagged,
	       100.0 * ratio(run->benign_flagged, run->benign));
}

int
cmd_classify(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lines", no_argument, NULL, 'l' },
		{ "explain", no_argument, NULL, 'x' },
		{ "rules", required_argument, NULL, 'r' },
		{ "eval", required_argument, NULL, 'e' },
		{ "split", required_argument, NULL, 's' },
		{ "threshold", required_argument, NULL, 't' },
		{ "target", required_argument, NULL, 'T' },
		{ "normalized", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct run run = { .mode = MODE_JSON, .name = "<stdin>" };
	struct reader rd = { 0 };
	const char *rules = NULL, *eval = NULL, *line;
	char *thresholds[VIGIL_CATEGORY_COUNT] = { 0 };
	char **targets = NULL;
	size_t nthr = 0, ntargets = 0, len;
	bool explain_mode = false, normalized = false, toolong;
	int c, rc = EXIT_OK;
	vigil_error r;

	(void)ctl;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': run.lines = true; break;
		case 'x': explain_mode = true; break;
		case 'n': normalized = true; break;
		case 'r': rules = optarg; break;
		case 'e': eval = optarg; break;
		case 's': run.split = optarg; break;
		case 't':
			if (nthr == VIGIL_CATEGORY_COUNT)
				return ctl_usage(ctl_find("classify"));
			thresholds[nthr++] = optarg;
			break;
		case 'T': {
			char **v = realloc(targets, (ntargets + 1) * sizeof(*v));
			if (!v) {
				free(targets);
				return ctl_fail(VIGIL_E_NOMEM, NULL, "classify");
			}
			targets = v;
			targets[ntargets++] = optarg;
			break;
		}
		default:
			free(targets);
			return ctl_usage(ctl_find("classify"));
		}
	}
	if (optind + 1 < argc || (eval && (optind < argc || run.lines || explain_mode)) ||
	    (normalized && (eval || run.lines || explain_mode))) {
		free(targets);
		return ctl_usage(ctl_find("classify"));
	}
	run.mode = eval ? MODE_EVAL : normalized ? MODE_NORMALIZED :
		   explain_mode ? MODE_EXPLAIN :
		   run.lines ? MODE_LINES : MODE_JSON;
	r = vigil_classifier_new(rules, &run.c, run.errbuf);
	if (r != VIGIL_OK) {
		free(targets);
		return ctl_fail(r, run.errbuf, "Failed to load rules");
	}
	for (size_t i = 0; i < ntargets; i++) {
		if (vigil_classifier_add_target(run.c, "", targets[i]) != VIGIL_OK) {
			ctl_error("--target '%s': no words to match", targets[i]);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	run.about = ntargets ? "" : NULL;
	for (size_t i = 0; i < nthr; i++) {
		char *eq = strchr(thresholds[i], '=');
		if (eq)
			*eq = '\0';
		if (!eq || vigil_classifier_set_threshold(run.c, thresholds[i],
							  atoi(eq + 1)) != VIGIL_OK) {
			ctl_error("--threshold wants CATEGORY=1..1000");
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (vigil_classification_new(&run.res) != VIGIL_OK) {
		rc = ctl_fail(VIGIL_E_NOMEM, NULL, "classify");
		goto out;
	}
	if (eval || optind < argc) {
		run.name = eval ? eval : argv[optind];
		rd.f = fopen(run.name, "re");
		if (!rd.f) {
			ctl_error("Failed to open '%s': %s", run.name, strerror(errno));
			rc = EXIT_RUNTIME;
			goto out;
		}
	} else {
		rd.f = stdin;
	}
	rd.cap = LINE_MAX_BYTES + 1;
	rd.buf = malloc(rd.cap);
	if (!rd.buf) {
		rc = ctl_fail(VIGIL_E_NOMEM, NULL, "classify");
		goto out;
	}
	while (reader_next(&rd, &line, &len, &toolong)) {
		if (toolong) {
			snprintf(run.errbuf, sizeof(run.errbuf),
				 "line longer than %u bytes, skipped", LINE_MAX_BYTES);
			reject(&run, rd.lineno, run.errbuf);
			if (run.mode == MODE_LINES)
				putchar('\n');
			continue;
		}
		one_line(&run, rd.lineno, line, len);
	}
	if (ferror(rd.f)) {
		ctl_error("Failed to read '%s': %s", run.name, strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (run.mode == MODE_EVAL)
		print_eval(&run);
	if (fflush(stdout) != 0) {
		ctl_error("Failed to write output: %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	rc = run.rejected ? EXIT_INPUT : EXIT_OK;
out:
	if (rd.f && rd.f != stdin)
		fclose(rd.f);
	free(rd.buf);
	free(targets);
	vigil_classification_free(run.res);
	vigil_classifier_free(run.c);
	return rc;
}
