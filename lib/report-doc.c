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

struct builder {
	struct doc *d;
	const vigil_report *r;
	vigil_error e;
};

static struct blk *
add(struct builder *b, enum blk_type type, unsigned flags, const char *text,
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

static void
addf(struct builder *b, enum blk_type type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
addf(struct builder *b, enum blk_type type, const char *fmt, ...)
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
		add(b, type, 0, s, NULL);
	free(s);
}

static void
kv(struct builder *b, const char *key, const char *value, unsigned flags)
{
	add(b, BLK_KV, flags, key, value && *value ? value : "(none)");
}

static void
kv_link(struct builder *b, const char *key, const char *url)
{
	struct blk *k = add(b, BLK_KV, 0, key, *url ? url : "(none)");

	if (k && url_linkable(url) && !(k->href = strdup(url)))
		b->e = VIGIL_E_NOMEM;
}

/* A row of n cells (ROW) or a table header (TABLE) with widths. */
static void
row(struct builder *b, enum blk_type type, size_t n, ...)
{
	struct blk *k = add(b, type, 0, NULL, NULL);
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
static void
short_time(const char *rfc, char out[32])
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
front_page(struct builder *b)
{
	const vigil_report *r = b->r;
	char s[256], fp[80];

	if (r->clinician)
		addf(b, BLK_H1, "Evidence of online harassment of %s",
		     r->clinician_name ? r->clinician_name : r->clinician);
	else
		addf(b, BLK_H1, "Evidence of online harassment of clinicians");
	add(b, BLK_P, 0, "This report presents posts kept as evidence in a signed, "
	    "hash-chained ledger. Every post is quoted exactly as it was captured; nothing "
	    "in the ledger is ever changed, and reviews and later observations are recorded "
	    "as new entries. Appendix B explains how anyone can check that the evidence has "
	    "not been altered.", NULL);
	if (r->clinician) {
		snprintf(s, sizeof(s), "%s (clinician id %s)",
			 r->clinician_name ? r->clinician_name : r->clinician, r->clinician);
		kv(b, "Person targeted", s, 0);
	}
	snprintf(s, sizeof(s), "captures recorded from %s to %s",
		 r->since[0] ? r->since : r->first[0] ? r->first : "-",
		 r->until[0] ? r->until : r->last[0] ? r->last : "-");
	kv(b, "Period", s, 0);
	kv(b, "Report generated", r->generated, 0);
	snprintf(s, sizeof(s), "UTC%s%s", strcmp(vigil_tz_name(r->tz), "UTC") ? " and " : "",
		 strcmp(vigil_tz_name(r->tz), "UTC") ? vigil_tz_name(r->tz) : "");
	kv(b, "Times shown in", s, 0);
	snprintf(s, sizeof(s), "%zu captured posts: %zu incidents (labelled by the classifier, or not classified), "
		 "%" PRIu64 " marked false positive by a reviewer, %" PRIu64 " not labelled",
		 r->ncaps, r->nincidents, r->nfalse, r->nunlabelled);
	kv(b, "Posts", s, 0);
	snprintf(s, sizeof(s), "%zu", r->noffenders);
	kv(b, "Distinct harassing accounts", s, 0);
	snprintf(s, sizeof(s), "%s, signed checkpoint over %" PRIu64 " entries", r->origin,
		 r->checkpoint_size);
	kv(b, "Ledger", s, 0);
	fingerprint(r->key_id, fp);
	kv(b, "Ledger key fingerprint", fp, BLK_MONO);

	add(b, BLK_H2, 0, "Incidents by label", NULL);
	row(b, BLK_TABLE, 2, "70", "30");
	row(b, BLK_ROW, 2, "Label", "Incidents");
	b->d->b[b->d->n - 1].flags |= BLK_HEAD;
	for (int k = 0; k <= RPT_NCAT + 1; k++) {
		if (k >= RPT_NCAT && r->labels[k].n == 0)
			continue;
		snprintf(s, sizeof(s), "%" PRIu64, r->labels[k].n);
		row(b, BLK_ROW, 2, r->labels[k].name, s);
	}
	add(b, BLK_TEND, 0, NULL, NULL);
	add(b, BLK_H2, 0, "Incidents by platform", NULL);
	row(b, BLK_TABLE, 2, "70", "30");
	row(b, BLK_ROW, 2, "Platform", "Incidents");
	b->d->b[b->d->n - 1].flags |= BLK_HEAD;
	for (size_t i = 0; i < r->nplatforms; i++) {
		snprintf(s, sizeof(s), "%" PRIu64, r->platforms[i].n);
		row(b, BLK_ROW, 2, r->platforms[i].name, s);
	}
	add(b, BLK_TEND, 0, NULL, NULL);
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
severe_and_accounts(struct builder *b)
{
	const vigil_report *r = b->r;
	char seq[32], score[16], labels[256], ex[400], handles[512], n[24], top[16];
	char first[32], last[32];

	add(b, BLK_H2, 0, "Most severe incidents", NULL);
	row(b, BLK_TABLE, 6, "7", "8", "13", "13", "21", "38");
	row(b, BLK_ROW, 6, "Seq", "Score", "Labels", "Platform", "Account", "Text (excerpt)");
	b->d->b[b->d->n - 1].flags |= BLK_HEAD;
	for (size_t i = 0; i < r->nsevere; i++) {
		const struct rpt_capture *c = &r->caps[r->severe[i]];

		snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
		snprintf(score, sizeof(score), "%d", c->max_score);
		labels_of(c, labels, sizeof(labels));
		rpt_excerpt(c->text, 160, ex, sizeof(ex));
		row(b, BLK_ROW, 6, seq, score, labels, c->platform,
		    *c->author_handle ? c->author_handle : c->author_id, ex);
	}
	add(b, BLK_TEND, 0, NULL, NULL);
	add(b, BLK_H2, 0, "Harassing accounts", NULL);
	add(b, BLK_SMALL, 0, "Accounts are identified by the platform's stable account id, "
	    "which survives changes of handle; every handle seen for the account is listed. "
	    "Ranked by number of incidents, then by the highest score.", NULL);
	row(b, BLK_TABLE, 7, "11", "19", "24", "9", "9", "14", "14");
	row(b, BLK_ROW, 7, "Platform", "Stable account id", "Handles seen", "Incidents",
	    "Top score", "First post (UTC)", "Last post (UTC)");
	b->d->b[b->d->n - 1].flags |= BLK_HEAD;
	for (size_t i = 0; i < r->noffenders; i++) {
		const vigil_offender *o = &r->offenders[i];
		size_t m = 0;

		handles[0] = '\0';
		for (size_t h = 0; h < o->nhandles && m < sizeof(handles); h++)
			m += (size_t)snprintf(handles + m, sizeof(handles) - m, "%s%s", h ? ", " : "",
					      o->handles[h]);
		snprintf(n, sizeof(n), "%" PRIu64, o->count);
		snprintf(top, sizeof(top), "%u", o->max_score);
		short_time(o->first, first);
		short_time(o->last, last);
		row(b, BLK_ROW, 7, o->platform, o->author_id, handles, n, top, first, last);
	}
	add(b, BLK_TEND, 0, NULL, NULL);
}

static void
timeline_and_bursts(struct builder *b)
{
	const vigil_report *r = b->r;
	char win[80], n[24], peak[24], med[24], thr[24], accts[1024], t0[32], t1[32];

	add(b, BLK_BREAK, 0, NULL, NULL);
	add(b, BLK_H2, 0, "Timeline", NULL);
	add(b, BLK_CHART, 0, NULL, NULL);
	add(b, BLK_SMALL, 0, "Incidents per day of the post (UTC), each counted once under "
	    "its highest-scoring label.", NULL);
	add(b, BLK_H2, 0, "Bursts (pile-ons)", NULL);
	add(b, BLK_SMALL, 0, "Posts mentioning the clinician are counted per hour. The normal "
	    "rate is the median hourly count over the period (empty hours included) and its "
	    "spread the median absolute deviation (MAD). An hour is part of a burst when its "
	    "count is above the median and at least the larger of 5 and "
	    "median + 5 x 1.4826 x MAD; consecutive such hours form one window.", NULL);
	if (r->nbursts == 0) {
		add(b, BLK_P, 0, "No burst was found in this period.", NULL);
		return;
	}
	row(b, BLK_TABLE, 6, "26", "8", "9", "11", "11", "35");
	row(b, BLK_ROW, 6, "Window (UTC)", "Posts", "Peak/h", "Median/h", "Threshold",
	    "Accounts involved");
	b->d->b[b->d->n - 1].flags |= BLK_HEAD;
	for (size_t i = 0; i < r->nbursts; i++) {
		const vigil_burst *u = &r->bursts[i];
		size_t m = 0, shown = u->naccounts < MAX_ACCOUNTS_LISTED ? u->naccounts
			: MAX_ACCOUNTS_LISTED;

		short_time(u->start, t0);
		short_time(u->end, t1);
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
		row(b, BLK_ROW, 6, win, n, peak, med, thr, accts);
	}
	add(b, BLK_TEND, 0, NULL, NULL);
}

/* "deleted at <times>: detail" and "reported at <times> by X: text". */
static void
followups(struct builder *b, const struct rpt_capture *c)
{
	char when[200], *s = NULL;
	size_t i;
	json_t *j;

	json_array_foreach(c->obs, i, j) {
		json_t *body = json_object_get(j, "body");
		int64_t ms = 0;

		vigil_parse_time(jstr(j, "time", NULL), &ms);
		rpt_times(b->r, ms, when, sizeof(when));
		if (asprintf(&s, "%s at %s%s%s", jstr(body, "status", NULL), when,
			     *jstr(body, "detail", NULL) ? ": " : "", jstr(body, "detail", NULL)) < 0)
			s = NULL;
		kv(b, "Observed later", s, 0);
		free(s);
	}
	json_array_foreach(c->ann, i, j) {
		json_t *body = json_object_get(j, "body");
		const char *ref = jstr(body, "reference", NULL);
		int64_t ms = 0;

		vigil_parse_time(jstr(j, "time", NULL), &ms);
		rpt_times(b->r, ms, when, sizeof(when));
		if (asprintf(&s, "%s at %s by %s (seq %" JSON_INTEGER_FORMAT ")%s%s%s%s",
			     jstr(body, "status", NULL), when,
			     *jstr(body, "by", NULL) ? jstr(body, "by", NULL) : "(unnamed)",
			     json_integer_value(json_object_get(j, "seq")),
			     *jstr(body, "text", NULL) ? ": " : "", jstr(body, "text", NULL),
			     *ref ? "; case reference " : "", ref) < 0)
			s = NULL;
		kv(b, "Review", s, 0);
		free(s);
	}
}

#define QUOTES_PER_RULE 3

/* The quoted text of one match, widened to whole characters. */
static void
quote_match(const struct rpt_capture *c, size_t len, json_t *m, char *out, size_t size,
	    size_t *start, size_t *end)
{
	json_int_t s0 = json_integer_value(json_object_get(m, "start"));
	json_int_t s1 = json_integer_value(json_object_get(m, "end"));
	char frag[128];

	*start = s0 < 0 ? 0 : (size_t)s0;
	*end = s1 < 0 ? 0 : (size_t)s1;
	utf8_widen(c->text, len, start, end);
	snprintf(frag, sizeof(frag), "%.*s", (int)(*end - *start), c->text + *start);
	rpt_excerpt(frag, 80, out, size);
}

/* One row per rule: how often it matched, and its first few matches. */
static void
rules_fired(struct builder *b, const struct rpt_capture *c)
{
	size_t len = strlen(c->text), n = json_array_size(c->matches);

	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(c->matches, i);
		const char *cat = jstr(m, "category", NULL), *rule = jstr(m, "rule", NULL);
		char s[1024], quote[200];
		size_t count = 0, shown = 0, used, start, end;
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(jstr(json_array_get(c->matches, k), "rule", NULL), rule) == 0 &&
			       strcmp(jstr(json_array_get(c->matches, k), "category", NULL), cat) == 0;
		if (seen)
			continue;
		for (size_t k = i; k < n; k++)
			count += strcmp(jstr(json_array_get(c->matches, k), "rule", NULL), rule) == 0 &&
				 strcmp(jstr(json_array_get(c->matches, k), "category", NULL), cat) == 0;
		used = (size_t)snprintf(s, sizeof(s), "%s: rule %s matched %zu time%s:", cat, rule,
					count, count == 1 ? "" : "s");
		for (size_t k = i; k < n && shown < QUOTES_PER_RULE && used < sizeof(s); k++) {
			json_t *mk = json_array_get(c->matches, k);

			if (strcmp(jstr(mk, "rule", NULL), rule) != 0 ||
			    strcmp(jstr(mk, "category", NULL), cat) != 0)
				continue;
			quote_match(c, len, mk, quote, sizeof(quote), &start, &end);
			used += (size_t)snprintf(s + used, sizeof(s) - used, "%s \"%s\" (bytes %zu-%zu)",
						 shown++ ? "," : "", quote, start, end);
		}
		if (count > shown && used < sizeof(s))
			snprintf(s + used, sizeof(s) - used, " and %zu more", count - shown);
		kv(b, "Rule fired", s, 0);
	}
}

static void
incident(struct builder *b, size_t n, const struct rpt_capture *c)
{
	char s[512], id[40];
	size_t m = 0;
	int64_t ms;
	struct blk *k;

	snprintf(id, sizeof(id), "seq-%" PRIu64, c->seq);
	k = add(b, BLK_SECTION, 0, NULL, NULL);
	if (k && !(k->id = strdup(id)))
		b->e = VIGIL_E_NOMEM;
	addf(b, BLK_H3, "Incident %zu of %zu: ledger entry %" PRIu64, n + 1, b->r->nincidents,
	     c->seq);
	kv(b, "Platform", c->platform, 0);
	kv_link(b, "Post URL", c->url);
	kv(b, "Post id", c->post_id, 0);
	kv(b, "Author handle", c->author_handle, 0);
	kv(b, "Author name", c->author_name, 0);
	kv(b, "Stable account id", c->author_id, 0);
	if (*c->author_url)
		kv_link(b, "Author profile", c->author_url);
	if (*c->created_at && vigil_parse_time(c->created_at, &ms)) {
		rpt_times(b->r, ms, s, sizeof(s));
		kv(b, "Posted", s, 0);
	}
	rpt_times(b->r, c->time_ms, s, sizeof(s));
	kv(b, "Captured", s, 0);
	s[0] = '\0';
	for (size_t i = 0; i < json_array_size(c->labels) && m < sizeof(s); i++) {
		const char *l = json_string_value(json_array_get(c->labels, i));
		int sc = -1;

		for (int cat = 0; cat < RPT_NCAT; cat++)
			if (strcmp(l, rpt_categories[cat]) == 0)
				sc = c->scores[cat];
		m += (size_t)snprintf(s + m, sizeof(s) - m, sc >= 0 ? "%s%s (score %d/1000)" : "%s%s",
				      i ? ", " : "", l, sc);
	}
	kv(b, "Labels", c->classified ? s : "not classified", 0);
	rules_fired(b, c);
	kv(b, "Classifier", c->engine, 0);
	followups(b, c);
	snprintf(s, sizeof(s), "%" PRIu64, c->seq);
	kv(b, "Ledger seq", s, 0);
	kv(b, "Entry SHA-256", c->hash, BLK_MONO);
	if (*c->payload)
		kv(b, "Raw platform data SHA-256", c->payload, BLK_MONO);
	add(b, BLK_SMALL, 0, "Full text as captured:", NULL);
	add(b, BLK_POST, 0, c->text, NULL);
	add(b, BLK_SEND, 0, NULL, NULL);
}

static void
appendix(struct builder *b)
{
	char fp[80];

	fingerprint(b->r->key_id, fp);
	add(b, BLK_BREAK, 0, NULL, NULL);
	add(b, BLK_H2, 0, "Appendix A. How the evidence was collected and kept", NULL);
	add(b, BLK_P, 0, "vigil fetches posts that mention the clinician from each platform's "
	    "interface, or takes them from a person who hands them in (manual captures). For each "
	    "post it stores the text and author as the platform reported them, and the platform's "
	    "raw response byte for byte, identified by its SHA-256 hash. A rule-based classifier "
	    "labels the text; its name, version and the rules that fired are stored with the post.",
	    NULL);
	add(b, BLK_P, 0, "Every capture, review and later observation (a post deleted or edited "
	    "on the platform) is an entry in an append-only ledger. Each entry names the hash of "
	    "the entry before it and is signed with the ledger's Ed25519 key; signed checkpoints "
	    "commit to the whole ledger with a Merkle tree (RFC 9162). The database refuses "
	    "changes and deletions, so a review never alters the evidence it concerns.", NULL);
	add(b, BLK_H2, 0, "Appendix B. How to verify this evidence", NULL);
	add(b, BLK_P, 0, "Ask for the export bundle that goes with this report (a folder or "
	    ".tar file). Its VERIFY.md gives commands that need only openssl, sha256sum and "
	    "python3; vigilctl verify-bundle makes the same checks. In plain words:", NULL);
	add(b, BLK_LI, 0, "The checkpoint file is signed by the ledger key. Compare the key's "
	    "fingerprint with the one printed below, obtained from this report or another "
	    "trusted channel.", NULL);
	add(b, BLK_LI, 0, "Each entry in the bundle is exactly the signed text, its signature "
	    "is valid, and its proof shows it is part of the signed checkpoint at its position "
	    "(seq). The entry SHA-256 printed with each incident identifies it.", NULL);
	add(b, BLK_LI, 0, "Consecutive entries are chained: each names the hash of the one "
	    "before it, and their recording times never go back.", NULL);
	add(b, BLK_LI, 0, "Every raw platform file in the bundle has the SHA-256 and size "
	    "that its entry records.", NULL);
	add(b, BLK_LI, 0, "Every signing key is introduced by an entry signed by the key "
	    "before it, back to the ledger's first entry.", NULL);
	kv(b, "Ledger key fingerprint", fp, BLK_MONO);
	kv(b, "Checkpoint root (base64)", b->r->root_b64, BLK_MONO);
	add(b, BLK_BREAK, 0, NULL, NULL);
	add(b, BLK_H2, 0, "Appendix C. Certification by the custodian of the records", NULL);
	addf(b, BLK_P, "I certify that I am the custodian of the vigil ledger %s, or am otherwise "
	     "qualified to make this statement; that the records in this report were made at or "
	     "near the time of the events they record, by an automated process kept in the "
	     "regular course of activity; that the ledger is signed with the key whose "
	     "fingerprint is %s; and that this report is a true presentation of those records "
	     "as of %s.", b->r->origin, fp, b->r->generated);
	add(b, BLK_SIGN, 0, "Name", NULL);
	add(b, BLK_SIGN, 0, "Title and organisation", NULL);
	add(b, BLK_SIGN, 0, "Signature", NULL);
	add(b, BLK_SIGN, 0, "Date and place", NULL);
}

vigil_error
report_doc(const vigil_report *r, struct doc *d)
{
	struct builder b = { d, r, VIGIL_OK };

	memset(d, 0, sizeof(*d));
	front_page(&b);
	severe_and_accounts(&b);
	timeline_and_bursts(&b);
	add(&b, BLK_BREAK, 0, NULL, NULL);
	add(&b, BLK_H2, 0, "Incidents", NULL);
	add(&b, BLK_P, 0, "One section per incident, in the order they were captured. The text "
	    "is shown in full and unmasked: it is the evidence.", NULL);
	for (size_t i = 0; b.e == VIGIL_OK && i < r->nincidents; i++)
		incident(&b, i, &r->caps[r->incidents[i]]);
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
