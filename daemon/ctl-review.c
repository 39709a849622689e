/* SPDX-License-Identifier: Apache-2.0 */
/* ctl-review.c - vigilctl annotate and queue: the review workflow. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigilctl.h"

bool
ctl_parse_seq(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9') {
		ctl_error("'%s' is not a seq number", s);
		return false;
	}
	*out = v;
	return true;
}

int
cmd_annotate(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "text", required_argument, NULL, 't' },
		{ "reference", required_argument, NULL, 'r' },
		{ "by", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *status = NULL, *text = NULL, *ref = NULL, *by = NULL;
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_ledger *l = NULL;
	uint64_t of, seq;
	vigil_error r;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': status = optarg; break;
		case 't': text = optarg; break;
		case 'r': ref = optarg; break;
		case 'b': by = optarg; break;
		default: return ctl_usage(ctl_find("annotate"));
		}
	}
	if (!status || optind + 1 != argc)
		return ctl_usage(ctl_find("annotate"));
	if (!ctl_parse_seq(argv[optind], &of))
		return EXIT_USAGE;
	if (!by)
		by = getenv("USER");
	if (ctl_open(ctl, 0, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	r = vigil_annotate(l, of, status, by, text, ref, &seq, errbuf);
	vigil_ledger_close(l);
	if (r != VIGIL_OK)
		return ctl_fail(r, errbuf, "annotate");
	printf("annotated seq %" PRIu64 " as %s: entry %" PRIu64 "\n", of, status, seq);
	return EXIT_OK;
}

#define QUEUE_TEXT_MAX 400

/* Ledger text on a terminal: on one line (line breaks and tabs become
 * spaces), control characters (C0, DEL, C1: terminal escapes) shown as
 * '?', cut after `max` bytes on a character boundary with " ...". */
void
ctl_put_text(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && (i < max || ((unsigned char)s[i] & 0xc0) == 0x80); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\r' || c == '\t')
			putchar(' ');
		else if (c < 0x20 || c == 0x7f)
			putchar('?');
		else if (c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f) {
			putchar('?');
			i++;
		} else {
			putchar(c);
		}
	}
	if (s[i])
		fputs(" ...", stdout);
}

int
cmd_queue(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "clinician", required_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
		{ "reveal", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *clinician = NULL, *label = NULL;
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	const vigil_queue_item *it;
	vigil_ledger *l = NULL;
	vigil_queue *q = NULL;
	bool reveal = false;
	vigil_error r;
	size_t n;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': clinician = optarg; break;
		case 'l': label = optarg; break;
		case 'r': reveal = true; break;
		default: return ctl_usage(ctl_find("queue"));
		}
	}
	if (optind != argc)
		return ctl_usage(ctl_find("queue"));
	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	r = vigil_review_queue(l, clinician, label, reveal, &q, errbuf);
	vigil_ledger_close(l);
	if (r != VIGIL_OK)
		return ctl_fail(r, errbuf, "queue");
	it = vigil_queue_items(q, &n);
	for (size_t i = 0; i < n; i++) {
		printf("seq %" PRIu64 "\tscore %u\t[%s]\t%s ", it[i].seq, it[i].max_score,
		       it[i].labels, it[i].platform);
		ctl_put_text(it[i].author, 200);
		printf("\t%s\t%s\n    ", it[i].clinician, it[i].time);
		ctl_put_text(it[i].text, reveal ? SIZE_MAX : QUEUE_TEXT_MAX);
		putchar('\n');
	}
	printf("%zu capture%s awaiting review%s\n", n, n == 1 ? "" : "s",
	       reveal || n == 0 ? "" : " (matched words masked; --reveal shows them)");
	vigil_queue_free(q);
	return EXIT_OK;
}
