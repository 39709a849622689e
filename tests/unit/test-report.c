/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Review and report tests: masking, annotations that never rewrite
 * evidence, the review queue, time zones, offenders and bursts, the HTML
 * report against a golden file and with hostile text, the PDF, the CSV and
 * the platform notice. Set VIGIL_UPDATE_GOLDEN=1 to rewrite the golden.
 */
#include <check.h>
#include <inttypes.h>

#include "report-int.h"
#include "report-fixture.h"
#include "testutil.h"

#define GOLDEN_HTML VIGIL_TEST_DIR "/golden/report-jroe.html"

static char *dir, *db, *key;
static vigil_ledger *ledger;

static int64_t
fixed_clock(void *userdata)
{
	(void)userdata;
	return 1796000000000LL; /* 2026-11-30T00:53:20Z */
}

static void
setup(void)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";

	dir = test_tmpdir();
	db = test_path(dir, "vigil.db");
	key = test_path(dir, "signing.key");
	ck_assert_msg(report_fixture(db, key, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_msg(vigil_ledger_open(db, key, 0, &ledger, errbuf) == VIGIL_OK, "%s", errbuf);
	/* Later than the fixture's clock: no clock-step entries. */
	vigil_set_clock(fixed_clock, NULL);
}

static void
teardown(void)
{
	vigil_ledger_close(ledger);
	vigil_set_clock(NULL, NULL);
	free(db);
	free(key);
	test_rmdir(dir);
}

static vigil_report *
build(const char *clinician, const char *tz)
{
	vigil_report_options o = { .clinician = clinician, .tz = tz };
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_report *r = NULL;

	ck_assert_msg(vigil_report_build(ledger, &o, &r, errbuf) == VIGIL_OK, "%s", errbuf);
	return r;
}

/* ---- masking ---- */

START_TEST(test_mask_table)
{
	static const struct {
		const char *text;
		vigil_span spans[3];
		size_t n;
		const char *want;
	} cases[] = {
		{ "you idiot", { { 4, 9 } }, 1, "you i****" },
		{ "abcdefghij", { { 3, 8 }, { 0, 5 } }, 2, "a*******ij" },
		{ "Maple Crescent 14B", { { 0, 14 } }, 1, "M**** ******** 14B" },
		/* a span starting inside a character is widened to it */
		{ "x\xc3\xa9\xc3\xa9 y", { { 2, 5 } }, 1, "x\xc3\xa9* y" },
		{ "go \xf0\x9f\x98\x88\xf0\x9f\x98\x88 now", { { 3, 11 } }, 1, "go \xf0\x9f\x98\x88* now" },
		{ "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d ok", { { 1, 7 } }, 1, "\xd7\xa9*** ok" },
		{ "abc", { { 1, 100 } }, 1, "ab*" },
		{ "abc", { { 50, 100 } }, 1, "abc" },
		{ "abc", { { 2, 1 } }, 1, "abc" },
		{ "abc", { { 0, 0 } }, 0, "abc" },
		{ "a b c d", { { 0, 1 }, { 2, 3 }, { 4, 7 } }, 3, "a b c *" },
	};

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(cases); i++) {
		char *out = (char *)0x1;

		ck_assert_int_eq(vigil_mask_text(cases[i].text, strlen(cases[i].text), cases[i].spans,
						 cases[i].n, &out), VIGIL_OK);
		ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: got '%s'", i, out);
		ck_assert(vigil_utf8_valid(out, strlen(out)));
		free(out);
	}
}
END_TEST

START_TEST(test_utf8_widen_and_links)
{
	const char *s = "a\xe2\x82\xac" "b";
	size_t a = 2, b = 3;

	utf8_widen(s, strlen(s), &a, &b);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 4);
	ck_assert(url_linkable("https://x.example/a?b=c"));
	ck_assert(url_linkable("HTTP://x.example/"));
	ck_assert(!url_linkable("javascript:alert(1)"));
	ck_assert(!url_linkable("https://x.example/a b"));
	ck_assert(!url_linkable("data:text/html,<script>"));
	ck_assert(!url_linkable(""));
}
END_TEST

/* ---- review workflow ---- */

static char *
entry_bytes(uint64_t seq)
{
	vigil_entry *e = NULL;
	char *s;

	ck_assert_int_eq(vigil_ledger_get(ledger, seq, &e), VIGIL_OK);
	s = strdup(e->bytes);
	vigil_entry_free(e);
	return s;
}

static bool
in_queue(const vigil_queue *q, uint64_t seq, const vigil_queue_item **found)
{
	size_t n;
	const vigil_queue_item *it = vigil_queue_items(q, &n);

	for (size_t i = 0; i < n; i++) {
		if (it[i].seq == seq) {
			if (found)
				*found = &it[i];
			return true;
		}
	}
	return false;
}

START_TEST(test_annotate_appends_only)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "", *before, *after;
	uint64_t size0, size1, seq = 777;
	vigil_queue *q = NULL;
	const vigil_queue_item *it;

	before = entry_bytes(6);
	ck_assert_int_eq(vigil_ledger_size(ledger, &size0), VIGIL_OK);
	ck_assert_int_eq(vigil_annotate(ledger, 6, "bogus", NULL, NULL, NULL, &seq, errbuf),
			 VIGIL_E_INVAL);
	ck_assert_ptr_nonnull(strstr(errbuf, "bogus"));
	ck_assert_int_eq(vigil_annotate(ledger, 1, "reviewed", NULL, NULL, NULL, &seq, errbuf),
			 VIGIL_E_INVAL);
	ck_assert_ptr_nonnull(strstr(errbuf, "seq 1"));
	ck_assert_int_eq(vigil_annotate(ledger, 9999, "reviewed", NULL, NULL, NULL, &seq, NULL),
			 VIGIL_E_NOTFOUND);
	ck_assert_int_eq(vigil_annotate(ledger, 6, "note", "me", "bad \xff", NULL, &seq, NULL),
			 VIGIL_E_INVAL);
	ck_assert_uint_eq(seq, 777);

	/* A note leaves the capture in the queue; a review takes it out. */
	ck_assert_int_eq(vigil_annotate(ledger, 6, "note", "me", "first look", NULL, &seq, errbuf),
			 VIGIL_OK);
	ck_assert_uint_eq(seq, size0);
	ck_assert_int_eq(vigil_review_queue(ledger, "jroe", NULL, false, &q, errbuf), VIGIL_OK);
	ck_assert(in_queue(q, 6, NULL));
	ck_assert(!in_queue(q, 3, NULL));  /* reported */
	ck_assert(!in_queue(q, 9, NULL));  /* false positive */
	ck_assert(!in_queue(q, 24, NULL)); /* another clinician */
	vigil_queue_free(q);
	ck_assert_int_eq(vigil_annotate(ledger, 6, "escalated", "me", "to security",
					"SEC-1", &seq, errbuf), VIGIL_OK);
	ck_assert_int_eq(vigil_review_queue(ledger, NULL, NULL, false, &q, errbuf), VIGIL_OK);
	ck_assert(!in_queue(q, 6, NULL));
	ck_assert(in_queue(q, 24, &it));
	vigil_queue_free(q);

	after = entry_bytes(6);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(vigil_ledger_size(ledger, &size1), VIGIL_OK);
	ck_assert_uint_eq(size1, size0 + 2);
	free(before);
	free(after);
	ck_assert_int_eq(vigil_ledger_verify(ledger, NULL, &(vigil_verify_result){ 0 }, errbuf),
			 VIGIL_OK);
}
END_TEST

START_TEST(test_queue_order_mask_filter)
{
	const vigil_queue_item *items, *it;
	vigil_queue *q = NULL;
	size_t n;

	ck_assert_int_eq(vigil_review_queue(ledger, "jroe", NULL, false, &q, NULL), VIGIL_OK);
	items = vigil_queue_items(q, &n);
	ck_assert_uint_gt(n, 10);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_ge(items[i - 1].max_score, items[i].max_score);
	ck_assert(in_queue(q, 4, &it));   /* only a note so far */
	ck_assert_str_eq(it->text, "what's under the coat, doc? send p*** \xf0\x9f\x98\x88\xf0\x9f\x94\xa5");
	ck_assert(in_queue(q, 5, &it));
	ck_assert_ptr_nonnull(strstr(it->text, "M**** ********, 14B"));
	ck_assert(in_queue(q, 6, &it));
	ck_assert_ptr_nonnull(strstr(it->text, "v***** i****"));
	vigil_queue_free(q);

	ck_assert_int_eq(vigil_review_queue(ledger, "jroe", NULL, true, &q, NULL), VIGIL_OK);
	ck_assert(in_queue(q, 4, &it));
	ck_assert_ptr_nonnull(strstr(it->text, "send pics"));
	vigil_queue_free(q);

	ck_assert_int_eq(vigil_review_queue(ledger, NULL, "doxxing", false, &q, NULL), VIGIL_OK);
	items = vigil_queue_items(q, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(items[0].seq, 5);
	vigil_queue_free(q);
	vigil_queue_free(NULL);
}
END_TEST

/* ---- time zones ---- */

START_TEST(test_tz)
{
	struct vigil_tz *tz = (struct vigil_tz *)0x1;
	char errbuf[VIGIL_ERRBUF_SIZE] = "", s[96];

	ck_assert_int_eq(vigil_tz_load("America/Toronto", &tz, errbuf), VIGIL_OK);
	vigil_tz_format(tz, 1795162323000LL, s, sizeof(s)); /* 2026-11-20T08:12:03Z */
	ck_assert_str_eq(s, "2026-11-20 03:12:03 EST (UTC-05:00)");
	vigil_tz_format(tz, 1782907200000LL, s, sizeof(s)); /* 2026-07-01T12:00:00Z */
	ck_assert_str_eq(s, "2026-07-01 08:00:00 EDT (UTC-04:00)");
	vigil_tz_free(tz);
	ck_assert_int_eq(vigil_tz_load("Asia/Kolkata", &tz, NULL), VIGIL_OK);
	vigil_tz_format(tz, 1795162323000LL, s, sizeof(s));
	ck_assert_str_eq(s, "2026-11-20 13:42:03 IST (UTC+05:30)");
	vigil_tz_free(tz);
	tz = (struct vigil_tz *)0x1;
	ck_assert_int_eq(vigil_tz_load("../../etc/passwd", &tz, errbuf), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_tz_load("Nowhere/Atlantis", &tz, errbuf), VIGIL_E_INVAL);
	ck_assert_ptr_nonnull(strstr(errbuf, "Nowhere/Atlantis"));
	ck_assert_ptr_eq(tz, (struct vigil_tz *)0x1);
}
END_TEST

/* ---- patterns ---- */

START_TEST(test_offenders_and_bursts)
{
	vigil_report *r = build("jroe", NULL);
	const vigil_offender *o;
	const vigil_burst *b;
	size_t n, i;

	n = vigil_report_offenders(r, &o);
	ck_assert_uint_eq(n, 8);
	for (i = 0; i < n && strcmp(o[i].author_id, "109876") != 0; i++)
		;
	ck_assert_uint_lt(i, n);
	ck_assert_uint_eq(o[i].count, 2);
	ck_assert_uint_eq(o[i].nhandles, 2);
	ck_assert_str_eq(o[i].handles[0], "angryvax@med.example");
	ck_assert_str_eq(o[i].handles[1], "angryvax2@med.example");
	ck_assert_uint_eq(o[i].max_score, 1000);
	for (i = 0; i < n; i++)
		ck_assert_str_ne(o[i].author_id, "109878"); /* false positive only */
	for (i = 1; i < n; i++)
		ck_assert(o[i - 1].count >= o[i].count);

	n = vigil_report_bursts(r, &b);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(b[0].start, "2026-11-23T14:00:00.000Z");
	ck_assert_str_eq(b[0].end, "2026-11-23T15:00:00.000Z");
	ck_assert_uint_eq(b[0].count, 12);
	ck_assert_uint_eq(b[0].naccounts, 4);
	ck_assert_str_eq(b[0].accounts[0], "x pile0 (pile0)");
	ck_assert(b[0].threshold >= 5.0);
	vigil_report_free(r);
	vigil_report_free(NULL);
}
END_TEST

/* ---- the HTML report ---- */

static bool
update_mode(void)
{
	const char *u = getenv("VIGIL_UPDATE_GOLDEN");

	return u && *u == '1';
}

START_TEST(test_html_golden)
{
	vigil_report *r = build("jroe", "America/Toronto");
	char errbuf[VIGIL_ERRBUF_SIZE] = "", *html = NULL, *want = NULL;
	size_t len, wlen;
	FILE *f;

	ck_assert_msg(vigil_report_html(r, &html, &len, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_uint_eq(len, strlen(html));
	if (update_mode()) {
		f = fopen(GOLDEN_HTML, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(html, 1, len, f);
		fclose(f);
	} else {
		ck_assert_int_eq(vigil_read_file(GOLDEN_HTML, 1 << 24, &want, &wlen, NULL), VIGIL_OK);
		ck_assert_msg(wlen == len && memcmp(want, html, len) == 0,
			      "report differs from %s (VIGIL_UPDATE_GOLDEN=1 to accept)", GOLDEN_HTML);
	}
	free(want);
	free(html);
	vigil_report_free(r);
}
END_TEST

START_TEST(test_html_hostile_text)
{
	vigil_report *r = build("jroe", NULL);
	char *html = NULL, *longtext, *p;
	size_t len;

	ck_assert_int_eq(vigil_report_html(r, &html, &len, NULL), VIGIL_OK);
	/* No markup from the ledger survives: no script, img or link at all. */
	ck_assert_ptr_null(strcasestr(html, "<script"));
	ck_assert_ptr_null(strcasestr(html, "<img"));
	ck_assert_ptr_null(strcasestr(html, "<link"));
	ck_assert_ptr_null(strstr(html, "<b>"));
	ck_assert_ptr_null(strstr(html, "</div></section><!--"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x "
					   "onerror=alert(2)&gt; quack &amp; &quot;friends&quot;"));
	ck_assert_ptr_nonnull(strstr(html, "Display &lt;b&gt;Name&lt;/b&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "Reported to police &lt;script&gt;x&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "script-src 'none'"));
	/* Resources: only plain links may name a web address. */
	for (p = html; (p = strstr(p, "http")); p++) {
		bool link = p - html > 6 && strncmp(p - 6, "href=\"", 6) == 0;
		bool text = p > html && (p[-1] == '>' || p[-1] == ' ' || p[-1] == ';');

		ck_assert_msg(link || text, "unexpected address at: %.60s", p - 10);
	}
	ck_assert_ptr_null(strstr(html, "href=\"https://leak"));
	ck_assert_ptr_null(strstr(html, "src=\""));
	/* RTL, emoji and the very long post are there, whole. */
	ck_assert_ptr_nonnull(strstr(html, "\xd7\x90\xd7\xaa \xd7\x94\xd7\xa8\xd7\x95\xd7\xa4\xd7\x90\xd7\x94"));
	ck_assert_ptr_nonnull(strstr(html, "<div class=post dir=auto>"));
	ck_assert_ptr_nonnull(strstr(html, "send pics \xf0\x9f\x98\x88\xf0\x9f\x94\xa5"));
	longtext = malloc(30001);
	for (size_t i = 0; i < 30000; i++)
		longtext[i] = "quack, you are a quack and a fraud "[i % 35];
	longtext[30000] = '\0';
	ck_assert_ptr_nonnull(strstr(html, longtext));
	ck_assert_ptr_nonnull(strstr(html, "insult: rule insult.word matched 1715 times"));
	ck_assert(vigil_utf8_valid(html, len));
	free(longtext);
	free(html);
	vigil_report_free(r);
}
END_TEST

START_TEST(test_report_sections)
{
	vigil_report *r = build("jroe", "Asia/Kolkata");
	char *html = NULL;
	size_t len;

	ck_assert_int_eq(vigil_report_html(r, &html, &len, NULL), VIGIL_OK);
	ck_assert_ptr_nonnull(strstr(html, "Dr. Jane Roe (clinician id jroe)"));
	ck_assert_ptr_nonnull(strstr(html, "<svg viewBox"));
	ck_assert_ptr_nonnull(strstr(html, "Incident 1 of 19: ledger entry 3"));
	ck_assert_ptr_nonnull(strstr(html, "deleted at 2026-11-25"));
	ck_assert_ptr_nonnull(strstr(html, "case reference SPVM-2026-0042"));
	ck_assert_ptr_nonnull(strstr(html, "2026-11-20 08:12:03 UTC; 2026-11-20 13:42:03 IST (UTC+05:30) Asia/Kolkata"));
	ck_assert_ptr_nonnull(strstr(html, "Appendix C. Certification"));
	ck_assert_ptr_nonnull(strstr(html, "2026-11-23 14:00 to 2026-11-23 15:00"));
	ck_assert_ptr_null(strstr(html, "Incident 20 of"));     /* false positive left out */
	ck_assert_ptr_null(strstr(html, "Dr Martin"));          /* another clinician */
	free(html);
	vigil_report_free(r);
}
END_TEST

START_TEST(test_report_build_errors)
{
	vigil_report_options o = { .clinician = "jroe", .since = "yesterday" };
	char errbuf[VIGIL_ERRBUF_SIZE] = "", *html = NULL, *pdf = test_path(dir, "empty.pdf");
	vigil_report *r = (vigil_report *)0x1;
	size_t len;

	ck_assert_int_eq(vigil_report_build(ledger, &o, &r, errbuf), VIGIL_E_INVAL);
	ck_assert_ptr_nonnull(strstr(errbuf, "since 'yesterday'"));
	o.since = NULL;
	o.tz = "Mars/Olympus";
	ck_assert_int_eq(vigil_report_build(ledger, &o, &r, errbuf), VIGIL_E_INVAL);
	ck_assert_ptr_eq(r, (vigil_report *)0x1);
	/* A period with nothing in it still makes a report. */
	o.tz = NULL;
	o.since = "2030-01-01T00:00:00Z";
	ck_assert_int_eq(vigil_report_build(ledger, &o, &r, errbuf), VIGIL_OK);
	ck_assert_uint_eq(r->ncaps, 0);
	ck_assert_int_eq(vigil_report_html(r, &html, &len, errbuf), VIGIL_OK);
	ck_assert_ptr_nonnull(strstr(html, "no incidents in this period"));
	ck_assert_ptr_nonnull(strstr(html, "No burst was found"));
	free(html);
	ck_assert_int_eq(vigil_report_pdf(r, pdf, errbuf), VIGIL_OK);
	vigil_report_free(r);
	free(pdf);
}
END_TEST

START_TEST(test_pdf_and_csv)
{
	vigil_report *r = build("jroe", NULL);
	char errbuf[VIGIL_ERRBUF_SIZE] = "", *pdf = test_path(dir, "r.pdf"), *data, *csv;
	size_t len;

	ck_assert_msg(vigil_report_pdf(r, pdf, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_int_eq(vigil_read_file(pdf, 1 << 26, &data, &len, NULL), VIGIL_OK);
	ck_assert_uint_gt(len, 10000);
	ck_assert_int_eq(memcmp(data, "%PDF-", 5), 0);
	free(data);
	ck_assert_int_eq(vigil_report_pdf(r, "/nonexistent/dir/r.pdf", errbuf), VIGIL_E_IO);
	ck_assert_int_eq(vigil_report_csv(r, &csv, &len, NULL), VIGIL_OK);
	ck_assert_ptr_nonnull(strstr(csv, "\"seq\",\"entry_sha256\""));
	ck_assert_ptr_nonnull(strstr(csv, "quack & \"\"friends\"\""));
	ck_assert_ptr_nonnull(strstr(csv, "\"9\","));
	free(csv);
	{
		struct vbuf b;

		vbuf_init(&b, 1024);
		ck_assert_int_eq(csv_field(&b, "=HYPERLINK(\"http://x\")", false), VIGIL_OK);
		ck_assert_int_eq(csv_field(&b, "-1", false), VIGIL_OK);
		ck_assert_int_eq(csv_field(&b, "@SUM(A1)", false), VIGIL_OK);
		ck_assert_int_eq(csv_field(&b, "@handle hi", false), VIGIL_OK);
		ck_assert_int_eq(csv_field(&b, "a=b", true), VIGIL_OK);
		ck_assert_str_eq(b.data, "\"'=HYPERLINK(\"\"http://x\"\")\",\"'-1\",\"'@SUM(A1)\","
				 "\"@handle hi\",\"a=b\"\r\n");
		csv = vbuf_take(&b, NULL);
	}
	free(csv);
	free(pdf);
	vigil_report_free(r);
}
END_TEST

/* ---- the notice ---- */

START_TEST(test_notice)
{
	vigil_report *r = build("jroe", NULL);
	vigil_notice_options o = { .platform = "mastodon", .reporter_name = "Security Office",
				   .reporter_email = "security@hospital.example" };
	char errbuf[VIGIL_ERRBUF_SIZE] = "", *out = NULL;
	uint64_t seqs[] = { 7 }, wrong[] = { 4 };
	json_t *j, *items;
	size_t len;

	ck_assert_int_eq(vigil_notice(r, &o, &out, &len, errbuf), VIGIL_OK);
	ck_assert_ptr_nonnull(strstr(out, "Article 16"));
	ck_assert_ptr_nonnull(strstr(out, "Location (URL): https://mastodon.example/angryvax@med.example/m1"));
	ck_assert_ptr_nonnull(strstr(out, "stable account id 109876"));
	ck_assert_ptr_nonnull(strstr(out, "bona fide belief"));
	ck_assert_ptr_nonnull(strstr(out, "Security Office <security@hospital.example>"));
	ck_assert_ptr_null(strstr(out, "comedian")); /* false positive left out */
	free(out);

	/* A post cannot forge the notice's structure or drive a terminal. */
	o.platform = "x";
	ck_assert_int_eq(vigil_notice(r, &o, &out, &len, errbuf), VIGIL_OK);
	ck_assert_ptr_nonnull(strstr(out, "    | idiot\n    | Item 99\n    |   Location (URL): "
				      "https://forged.example/?[2J?]0;pwned??31m done\n"));
	ck_assert_ptr_null(strstr(out, "\nItem 99"));
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_null(strstr(out, "\xc2\x9b"));
	free(out);
	o.platform = "mastodon";

	o.json = true;
	o.seqs = seqs;
	o.nseqs = 1;
	ck_assert_int_eq(vigil_notice(r, &o, &out, &len, errbuf), VIGIL_OK);
	j = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	items = json_object_get(j, "items");
	ck_assert_uint_eq(json_array_size(items), 1);
	ck_assert_ptr_nonnull(strstr(text_at(json_array_get(items, 0), "text", NULL),
				     "<script>alert(1)</script>"));
	ck_assert_str_eq(text_at(json_array_get(items, 0), "account_id", NULL), "109876");
	ck_assert_str_eq(text_at(j, "notice", NULL), "EU DSA Article 16");
	json_decref(j);
	free(out);

	out = (char *)0x1;
	o.seqs = wrong;
	ck_assert_int_eq(vigil_notice(r, &o, &out, &len, errbuf), VIGIL_E_INVAL);
	ck_assert_ptr_nonnull(strstr(errbuf, "seq 4 is on bluesky"));
	o.seqs = NULL;
	o.reporter_email = "nobody";
	ck_assert_int_eq(vigil_notice(r, &o, &out, &len, errbuf), VIGIL_E_INVAL);
	o.reporter_email = "a@b.example";
	o.platform = "youtube";
	ck_assert_int_eq(vigil_notice(r, &o, &out, &len, errbuf), VIGIL_E_NOTFOUND);
	ck_assert_ptr_eq(out, (char *)0x1);
	vigil_report_free(r);
}
END_TEST

START_TEST(test_ledger_refuses_invalid_utf8)
{
	vigil_batch *b = NULL;
	static const char *const w[] = { "insult:x", NULL };

	ck_assert_int_eq(vigil_batch_new(&b), VIGIL_OK);
	ck_assert_int_ne(fixture_capture(b, "jroe", "x", "bad", "2026-11-20T00:00:00.000Z",
					 "bad \xc3\x28 text", "1", "h", w, NULL), VIGIL_OK);
	ck_assert_uint_eq(vigil_batch_count(b), 0);
	vigil_batch_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report");
	TCase *pure = tcase_create("pure"), *tc = tcase_create("ledger");
	SRunner *sr;
	int failed;

	if (vigil_init() != VIGIL_OK)
		return EXIT_FAILURE;
	tcase_add_test(pure, test_mask_table);
	tcase_add_test(pure, test_utf8_widen_and_links);
	tcase_add_test(pure, test_tz);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_annotate_appends_only);
	tcase_add_test(tc, test_queue_order_mask_filter);
	tcase_add_test(tc, test_offenders_and_bursts);
	tcase_add_test(tc, test_html_golden);
	tcase_add_test(tc, test_html_hostile_text);
	tcase_add_test(tc, test_report_sections);
	tcase_add_test(tc, test_report_build_errors);
	tcase_add_test(tc, test_pdf_and_csv);
	tcase_add_test(tc, test_notice);
	tcase_add_test(tc, test_ledger_refuses_invalid_utf8);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
