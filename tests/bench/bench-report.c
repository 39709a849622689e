/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-report - how long one clinician's report takes: a ledger of
 * CAPTURES classified captures (default 10000) over 60 days from 500
 * accounts, 90% of them labelled (so about 9,000 incident sections), then
 * the model (vigil_report_build), the HTML and the PDF.
 * Targets: HTML under 5 s, PDF under 20 s for 10,000 captures.
 * Usage: bench-report [CAPTURES]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report-int.h"
#include "report-fixture.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
fail(const char *what, vigil_error r, const char *errbuf)
{
	fprintf(stderr, "bench-report: %s: %s\n", what, errbuf[0] ? errbuf : vigil_strerror(r));
	return 1;
}

int
main(int argc, char **argv)
{
	static const char *const threat[] = { "threat:hurt", "insult:idiot", NULL };
	static const char *const insult[] = { "insult:idiot", NULL };
	static const char *const plain[] = { NULL };
	char dir[] = "/tmp/vigil-bench-report-XXXXXX", db[64], key[64], pdf[64];
	char errbuf[VIGIL_ERRBUF_SIZE] = "", id[32], author[32], when[80], text[400];
	vigil_report_options o = { .clinician = "jroe", .tz = "America/Toronto" };
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	vigil_report *rep = NULL;
	vigil_ledger *l = NULL;
	vigil_batch *b = NULL;
	char *html = NULL, cmd[128];
	size_t len;
	double t0, t_ingest, t_model, t_html, t_pdf;
	vigil_error r;

	if (vigil_init() != VIGIL_OK || !mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/vigil.db", dir);
	snprintf(key, sizeof(key), "%s/signing.key", dir);
	snprintf(pdf, sizeof(pdf), "%s/report.pdf", dir);
	r = vigil_ledger_open(db, key, VIGIL_OPEN_CREATE, &l, errbuf);
	if (r == VIGIL_OK)
		r = vigil_batch_new(&b);
	if (r != VIGIL_OK)
		return fail(db, r, errbuf);
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		unsigned long day = i * 60 / n, sec = (i * 7919) % 86400;

		snprintf(id, sizeof(id), "p%lu", i);
		snprintf(author, sizeof(author), "acct%lu", (i * 31) % 500);
		snprintf(when, sizeof(when), "2026-%02lu-%02luT%02lu:%02lu:%02lu.000Z", 9 + day / 30,
			 day % 30 + 1, sec / 3600, sec / 60 % 60, sec % 60);
		snprintf(text, sizeof(text), "Post %lu about Dr Roe: %s, and some ordinary words "
			 "about clinics, waiting times and the weather. \xf0\x9f\x98\xa1 "
			 "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", i, i % 10 == 0 ? "I will hurt you, idiot" :
			 i % 10 == 1 ? "nothing more" : "what an idiot");
		r = fixture_capture(b, "jroe", i % 3 ? "mastodon" : "bluesky", id, when, text, author,
				    author, i % 10 == 0 ? threat : i % 10 == 1 ? plain : insult, errbuf);
		if (r == VIGIL_OK && vigil_batch_count(b) == 1000)
			r = vigil_ledger_append(l, b, NULL, NULL, errbuf);
		if (r != VIGIL_OK)
			return fail("append", r, errbuf);
	}
	if (vigil_batch_count(b) && (r = vigil_ledger_append(l, b, NULL, NULL, errbuf)) != VIGIL_OK)
		return fail("append", r, errbuf);
	t_ingest = now() - t0;

	t0 = now();
	r = vigil_report_build(l, &o, &rep, errbuf);
	t_model = now() - t0;
	if (r != VIGIL_OK)
		return fail("report", r, errbuf);
	t0 = now();
	r = vigil_report_html(rep, &html, &len, errbuf);
	t_html = now() - t0;
	if (r != VIGIL_OK)
		return fail("html", r, errbuf);
	t0 = now();
	r = vigil_report_pdf(rep, pdf, errbuf);
	t_pdf = now() - t0;
	if (r != VIGIL_OK)
		return fail("pdf", r, errbuf);
	printf("captures           %lu (%zu incidents)\n", n, rep->nincidents);
	printf("ledger build       %.2f s\n", t_ingest);
	printf("report model       %.2f s\n", t_model);
	printf("HTML               %.2f s (model + render %.2f s; %zu bytes)  target < 5 s\n",
	       t_html, t_model + t_html, len);
	printf("PDF                %.2f s (model + render %.2f s)  target < 20 s\n", t_pdf,
	       t_model + t_pdf);
	free(html);
	vigil_report_free(rep);
	vigil_batch_free(b);
	vigil_ledger_close(l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
