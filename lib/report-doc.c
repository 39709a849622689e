/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-doc.c - the police report as a list of blocks (headings, key and
 * value rows, tables, the evidence text, the chart), so that the HTML and
 * the PDF say exactly the same thing.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report-int.h"

#define MAX_ACCOUNTS_LISTED 10

struct blk *
doc_add(struct doc_builder *b, enum blk_type type, unsigned flags, const char *text,
    const char *value)
{
	struct blk *k;

	if (b->e != VIGIL_OK)
		return NULL;
	if (b->d->n == b->d->alloc) {
		size_t na = b->d->alloc ? b->d->alloc * 2 : 256;

		k = realloc(b->d->b, na * sizeof(*k));
		if (!k) {
			b->e = VIGIL_E_NOMEM;
			return NULL;
		}
		b->d->b = k;
		b->d->alloc = na;
	}
	k = &b->d->b[b->d->n++];
	memset(k, 0, sizeof(*k));
	k->type = type;
	k->flags = flags;
	if ((text && !(k->text = strdup(text))) || (value && !(k->value = strdup(value))))
		b->e = VIGIL_E_NOMEM;
	return k;
}

void
doc_addf(struct doc_builder *b, enum blk_type type, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		b->e = VIGIL_E_NOMEM;
	}
	va_end(ap);
	if (s)
		doc_add(b, type, 0, s, NULL);
	free(s);
}

void
doc_kv(struct doc_builder *b, const char *key, const char *value, unsigned flags)
{
	doc_add(b, BLK_KV, flags, key, value && *value ? value : "(none)");
}

void
doc_kv_link(struct doc_builder *b, const char *key, const char *url)
{
	struct blk *k = doc_add(b, BLK_KV, 0, key, *url ? url : "(none)");

	if (k && url_linkable(url) && !(k->href = strdup(url)))
		b->e = VIGIL_E_NOMEM;
}

/* A row of n cells (ROW) or a table header (TABLE) with widths. */
void
doc_row(struct doc_builder *b, enum blk_type type, size_t n, ...)
{
	struct blk *k = doc_add(b, type, 0, NULL, NULL);
	va_list ap;

	if (!k)
		return;
	k->cells = calloc(n, sizeof(*k->cells));
	if (!k->cells) {
		b->e = VIGIL_E_NOMEM;
		return;
	}
	k->ncells = n;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *s = va_arg(ap, const char *);

		if (!(k->cells[i] = strdup(s ? s : "")))
			b->e = VIGIL_E_NOMEM;
	}
	va_end(ap);
}

/* "2026-11-20 08:12" (UTC) from an RFC 3339 time, for narrow columns. */
/* Mark the row just added as the table's header. */
static void
head_row(struct doc_builder *b)
{
	if (b->e == VIGIL_OK && b->d->n > 0)
		b->d->b[b->d->n - 1].flags |= BLK_HEAD;
}

void
doc_short_time(const char *rfc, char out[32])
{
	int64_t ms;
	time_t t;
	struct tm tm;

	if (!vigil_parse_time(rfc, &ms)) {
		snprintf(out, 32, "%s", rfc);
		return;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

static void
fingerprint(const char *id, char out[80])
{
	size_t n = 0;

	for (int i = 0; i < 64; i += 4) {
		memcpy(out + n, id + i, 4);
		n += 4;
		if (i + 4 < 64)
			out[n++] = ' ';
	}
	out[n] = '\0';
}

static void
front_page(struct doc_builder *b)
{
	const vigil_report *r = b->r;
	char s[256], fp[80];

	if (r->clinician)
		doc_addf(b, BLK_H1, "Evidence of online harassment of %s",
		     r->clinician_name ? r->clinician_name : r->clinician);
	else
		doc_addf(b, BLK_H1, "Evidence of online harassment of clinicians");
	doc_add(b, BLK_P, 0, "This report presents posts kept as evidence in a signed, "
	    "hash-chained ledger. Every post is quoted exactly as it was captured; nothing "
	    "in the ledger is ever changed, and reviews and later observations are recorded "
	    "as new entries. Appendix B explains how anyone can check that the evidence has "
	    "not been altered.", NULL);
	if (r->clinician) {
		snprintf(s, sizeof(s), "%s (clinician id %s)",
			 r->clinician_name ? r->clinician_name : r->clinician, r->clinician);
		doc_kv(b, "Person targeted", s, 0);
	}
	snprintf(s, sizeof(s), "captures recorded from %s to %s",
		 r->since[0] ? r->since : r->first[0] ? r->first : "-",
		 r->until[0] ? r->until : r->last[0] ? r->last : "-");
	doc_kv(b, "Period", s, 0);
	doc_kv(b, "Report generated", r->generated, 0);
	snprintf(s, sizeof(s), "UTC%s%s", strcmp(vigil_tz_name(r->tz), "UTC") ? " and " : "",
		 strcmp(vigil_tz_name(r->tz), "UTC") ? vigil_tz_name(r->tz) : "");
	doc_kv(b, "Times shown in", s, 0);
	snprintf(s, sizeof(s), "%zu captured posts: %zu incidents (labelled by the classifier, or not classified), "
		 "%" PRIu64 " marked false positive by a reviewer, %" PRIu64 " not labelled",
		 r->ncaps, r->nincidents, r->nfalse, r->nunlabelled);
	doc_kv(b, "Posts", s, 0);
	snprintf(s, sizeof(s), "%zu", r->noffenders);
	doc_kv(b, "Distinct harassing accounts", s, 0);
	snprintf(s, sizeof(s), "%s, signed checkpoint over %" PRIu64 " entries", r->origin,
		 r->checkpoint_size);
	doc_kv(b, "Ledger", s, 0);
	fingerprint(r->key_id, fp);
	doc_kv(b, "Ledger key fingerprint", fp, BLK_MONO);

	doc_add(b, BLK_H2, 0, "Incidents by label", NULL);
	doc_row(b, BLK_TABLE, 2, "70", "30");
	doc_row(b, BLK_ROW, 2, "Label", "Incidents");
	head_row(b);
	for (int k = 0; k <= RPT_NCAT + 1; k++) {
		if (k >= RPT_NCAT && r->labels[k].n == 0)
			continue;
		snprintf(s, sizeof(s), "%" PRIu64, r->labels[k].n);
		doc_row(b, BLK_ROW, 2, r->labels[k].name, s);
	}
	doc_add(b, BLK_TEND, 0, NULL, NULL);
	doc_add(b, BLK_H2, 0, "Incidents by platform", NULL);
	doc_row(b, BLK_TABLE, 2, "70", "30");
	doc_row(b, BLK_ROW, 2, "Platform", "Incidents");
	head_row(b);
	for (size_t i = 0; i < r->nplatforms; i++) {
		snprintf(s, sizeof(s), "%" PRIu64, r->platforms[i].n);
		doc_row(b, BLK_ROW, 2, r->platforms[i].name, s);
	}
	doc_add(b, BLK_TEND, 0, NULL, NULL);
}

static void
labels_of(const struct rpt_capture *c, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(c->labels) && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "",
				      json_string_value(json_array_get(c->labels, i)));
}

static void
severe_and_accounts(struct doc_builder *b)
{
	const vigil_report *r = b->r;
	char seq[32], score[16], labels[256], ex[400], handles[512], n[24], top[16];
	char first[32], last[32];

	doc_add(b, BLK_H2, 0, "Most severe incidents", NULL);
	doc_row(b, BLK_TABLE, 6, "7", "8", "13", "13", "21", "38");
	doc_row(b, BLK_ROW, 6, "Seq", "Score", "Labels", "Platform", "Account", "Text (excerpt)");
	head_row(b);
	for (size_t i = 0; i < r->nsevere; i++) {
		const struct rpt_capture *c = &r->caps[r->severe[i]];

		snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
		snprintf(score, sizeof(score), "%d", c->max_score);
		labels_of(c, labels, sizeof(labels));
		rpt_excerpt(c->text, 160, ex, sizeof(ex));
		doc_row(b, BLK_ROW, 6, seq, score, labels, c->platform,
		    *c->author_handle ? c->author_handle : c->author_id, ex);
	}
	doc_add(b, BLK_TEND, 0, NULL, NULL);
	doc_add(b, BLK_H2, 0, "Harassing accounts", NULL);
	doc_add(b, BLK_SMALL, 0, "Accounts are identified by the platform's stable account id, "
	    "which survives changes of handle; every handle seen for the account is listed. "
	    "Ranked by number of incidents, then by the highest score.", NULL);
	doc_row(b, BLK_TABLE, 7, "11", "19", "24", "9", "9", "14", "14");
	doc_row(b, BLK_ROW, 7, "Platform", "Stable account id", "Handles seen", "Incidents",
	    "Top score", "First post (UTC)", "Last post (UTC)");
	head_row(b);
	for (size_t i = 0; i < r->noffenders; i++) {
		const vigil_offender *o = &r->offenders[i];
		size_t m = 0;

		handles[0] = '\0';
		for (size_t h = 0; h < o->nhandles && m < sizeof(handles); h++)
			m += (size_t)snprintf(handles + m, sizeof(handles) - m, "%s%s", h ? ", " : "",
					      o->handles[h]);
		snprintf(n, sizeof(n), "%" PRIu64, o->count);
		snprintf(top, sizeof(top), "%u", o->max_score);
		doc_short_time(o->first, first);
		doc_short_time(o->last, last);
		doc_row(b, BLK_ROW, 7, o->platform, o->author_id, handles, n, top, first, last);
	}
	doc_add(b, BLK_TEND, 0, NULL, NULL);
}

static void
timeline_and_bursts(struct doc_builder *b)
{
	const vigil_report *r = b->r;
	char win[80], n[24], peak[24], med[24], thr[24], accts[1024], t0[32], t1[32];

	doc_add(b, BLK_BREAK, 0, NULL, NULL);
	doc_add(b, BLK_H2, 0, "Timeline", NULL);
	doc_add(b, BLK_CHART, 0, NULL, NULL);
	doc_add(b, BLK_SMALL, 0, "Incidents per day of the post (UTC), each counted once under "
	    "its highest-scoring label.", NULL);
	doc_add(b, BLK_H2, 0, "Bursts (pile-ons)", NULL);
	doc_add(b, BLK_SMALL, 0, "Posts mentioning the clinician are counted per hour. The normal "
	    "rate is the median hourly count over the period (empty hours included) and its "
	    "spread the median absolute deviation (MAD). An hour is part of a burst when its "
	    "count is above the median and at least the larger of 5 and "
	    "median + 5 x 1.4826 x MAD; consecutive such hours form one window.", NULL);
	if (r->nbursts == 0) {
		doc_add(b, BLK_P, 0, "No burst was found in this period.", NULL);
		return;
	}
	doc_row(b, BLK_TABLE, 6, "26", "8", "9", "11", "11", "35");
	doc_row(b, BLK_ROW, 6, "Window (UTC)", "Posts", "Peak/h", "Median/h", "Threshold",
	    "Accounts involved");
	head_row(b);
	for (size_t i = 0; i < r->nbursts; i++) {
		const vigil_burst *u = &r->bursts[i];
		size_t m = 0, shown = u->naccounts < MAX_ACCOUNTS_LISTED ? u->naccounts
			: MAX_ACCOUNTS_LISTED;

		doc_short_time(u->start, t0);
		doc_short_time(u->end, t1);
		snprintf(win, sizeof(win), "%s to %s", t0, t1);
		snprintf(n, sizeof(n), "%" PRIu64, u->count);
		snprintf(peak, sizeof(peak), "%" PRIu64, u->peak);
		snprintf(med, sizeof(med), "%.1f", u->median);
		snprintf(thr, sizeof(thr), "%.1f", u->threshold);
		accts[0] = '\0';
		for (size_t k = 0; k < shown && m < sizeof(accts); k++)
			m += (size_t)snprintf(accts + m, sizeof(accts) - m, "%s%s", k ? "; " : "",
					      u->accounts[k]);
		if (shown < u->naccounts && m < sizeof(accts))
			snprintf(accts + m, sizeof(accts) - m, "; and %zu more",
				 u->naccounts - shown);
		doc_row(b, BLK_ROW, 6, win, n, peak, med, thr, accts);
	}
	doc_add(b, BLK_TEND, 0, NULL, NULL);
}

static void
appendix(struct doc_builder *b)
{
	char fp[80];

	fingerprint(b->r->key_id, fp);
	doc_add(b, BLK_BREAK, 0, NULL, NULL);
	doc_add(b, BLK_H2, 0, "Appendix A. How the evidence was collected and kept", NULL);
	doc_add(b, BLK_P, 0, "vigil fetches posts that mention the clinician from each platform's "
	    "interface, or takes them from a person who hands them in (manual captures). For each "
	    "post it stores the text and author as the platform reported them, and the platform's "
	    "raw response byte for byte, identified by its SHA-256 hash. A rule-based classifier "
	    "labels the text; its name, version and the rules that fired are stored with the post.",
	    NULL);
	doc_add(b, BLK_P, 0, "Every capture, review and later observation (a post deleted or edited "
	    "on the platform) is an entry in an append-only ledger. Each entry names the hash of "
	    "the entry before it and is signed with the ledger's Ed25519 key; signed checkpoints "
	    "commit to the whole ledger with a Merkle tree (RFC 9162). The database refuses "
	    "changes and deletions, so a review never alters the evidence it concerns.", NULL);
	doc_add(b, BLK_H2, 0, "Appendix B. How to verify this evidence", NULL);
	doc_add(b, BLK_P, 0, "Ask for the export bundle that goes with this report (a folder or "
	    ".tar file). Its VERIFY.md gives commands that need only openssl, sha256sum and "
	    "python3; vigilctl verify-bundle makes the same checks. In plain words:", NULL);
	doc_add(b, BLK_LI, 0, "The checkpoint file is signed by the ledger key. Compare the key's "
	    "fingerprint with the one printed below, obtained from this report or another "
	    "trusted channel.", NULL);
	doc_add(b, BLK_LI, 0, "Each entry in the bundle is exactly the signed text, its signature "
	    "is valid, and its proof shows it is part of the signed checkpoint at its position "
	    "(seq). The entry SHA-256 printed with each incident identifies it.", NULL);
	doc_add(b, BLK_LI, 0, "Consecutive entries are chained: each names the hash of the one "
	    "before it, and their recording times never go back.", NULL);
	doc_add(b, BLK_LI, 0, "Every raw platform file in the bundle has the SHA-256 and size "
	    "that its entry records.", NULL);
	doc_add(b, BLK_LI, 0, "Every signing key is introduced by an entry signed by the key "
	    "before it, back to the ledger's first entry.", NULL);
	doc_kv(b, "Ledger key fingerprint", fp, BLK_MONO);
	doc_kv(b, "Checkpoint root (base64)", b->r->root_b64, BLK_MONO);
	doc_add(b, BLK_BREAK, 0, NULL, NULL);
	doc_add(b, BLK_H2, 0, "Appendix C. Certification by the custodian of the records", NULL);
	doc_addf(b, BLK_P, "I certify that I am the custodian of the vigil ledger %s, or am otherwise "
	     "qualified to make this statement; that the records in this report were made at or "
	     "near the time of the events they record, by an automated process kept in the "
	     "regular course of activity; that the ledger is signed with the key whose "
	     "fingerprint is %s; and that this report is a true presentation of those records "
	     "as of %s.", b->r->origin, fp, b->r->generated);
	doc_add(b, BLK_SIGN, 0, "Name", NULL);
	doc_add(b, BLK_SIGN, 0, "Title and organisation", NULL);
	doc_add(b, BLK_SIGN, 0, "Signature", NULL);
	doc_add(b, BLK_SIGN, 0, "Date and place", NULL);
}

vigil_error
report_doc(const vigil_report *r, struct doc *d)
{
	struct doc_builder b = { d, r, VIGIL_OK };

	memset(d, 0, sizeof(*d));
	front_page(&b);
	severe_and_accounts(&b);
	timeline_and_bursts(&b);
	doc_add(&b, BLK_BREAK, 0, NULL, NULL);
	doc_add(&b, BLK_H2, 0, "Incidents", NULL);
	doc_add(&b, BLK_P, 0, "One section per incident, in the order they were captured. The text "
	    "is shown in full and unmasked: it is the evidence.", NULL);
	for (size_t i = 0; b.e == VIGIL_OK && i < r->nincidents; i++)
		doc_incident(&b, i, &r->caps[r->incidents[i]]);
	appendix(&b);
	if (b.e != VIGIL_OK)
		doc_free(d);
	return b.e;
}

void
doc_free(struct doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct blk *k = &d->b[i];

		free(k->text);
		free(k->value);
		free(k->href);
		free(k->id);
		for (size_t c = 0; c < k->ncells; c++)
			free(k->cells[c]);
		free(k->cells);
	}
	free(d->b);
	memset(d, 0, sizeof(*d));
}
