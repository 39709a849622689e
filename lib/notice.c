/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notice.c - a notice for a platform's reporting channel, in the shape of
 * a notice under Article 16(2) of the EU Digital Services Act: (a) why the
 * content is illegal or violates the terms, (b) its exact electronic
 * location (URL), (c) the notifier's name and e-mail address, (d) a
 * statement of good faith. Built from a report's captures.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

#define NOTICE_MAX ((size_t)256 << 20)

static const char good_faith[] =
	"I confirm my bona fide belief that the information and allegations contained in "
	"this notice are accurate and complete.";

static const char *const explanations[RPT_NCAT] = {
	"threatens violence or other harm against a named health professional (criminal "
	"threats; the platform's rules against violent threats)",
	"sexual harassment of a named person: unwanted sexual remarks or requests (the "
	"platform's rules against sexual harassment)",
	"discloses or threatens to disclose private information such as a home address or "
	"personal contact details (doxxing; privacy and data protection law)",
	"attacks a person on the basis of a protected characteristic (illegal hate speech; "
	"the platform's hateful conduct rules)",
	"targeted abuse and insults aimed at a named person (the platform's rules against "
	"harassment and bullying)",
};

static bool
selected(const struct rpt_capture *c, const vigil_notice_options *o)
{
	if (strcmp(c->platform, o->platform) != 0)
		return false;
	if (!o->seqs)
		return c->incident;
	for (size_t i = 0; i < o->nseqs; i++)
		if (o->seqs[i] == c->seq)
			return true;
	return false;
}

static json_t *
item_json(const vigil_report *r, const struct rpt_capture *c)
{
	json_t *cats = json_array(), *why = json_array(), *v;
	size_t i;

	json_array_foreach(c->labels, i, v) {
		for (int k = 0; k < RPT_NCAT; k++) {
			if (strcmp(json_string_value(v), rpt_categories[k]) == 0) {
				json_array_append_new(cats, json_string(rpt_categories[k]));
				json_array_append_new(why, json_string(explanations[k]));
			}
		}
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:o, s:o, s:s, s:{s:s, s:I, s:s}}",
			 "url", c->url, "post_id", c->post_id, "account_id", c->author_id,
			 "account_handle", c->author_handle,
			 "account_name", *c->author_name ? c->author_name : NULL,
			 "posted_at", *c->created_at ? c->created_at : c->time,
			 "categories", cats, "explanation", why, "text", c->text,
			 "evidence", "ledger", r->origin, "seq", (json_int_t)c->seq,
			 "entry_sha256", c->hash);
}

static vigil_error
check_seqs(const vigil_report *r, const vigil_notice_options *o, char *errbuf)
{
	for (size_t i = 0; o->seqs && i < o->nseqs; i++) {
		const struct rpt_capture *c = rpt_find(r, o->seqs[i]);

		if (!c)
			return vigil_fail(errbuf, VIGIL_E_NOTFOUND, "seq %" PRIu64 ": not a capture "
					  "in this report", o->seqs[i]);
		if (strcmp(c->platform, o->platform) != 0)
			return vigil_fail(errbuf, VIGIL_E_INVAL, "seq %" PRIu64 " is on %s, not %s",
					  o->seqs[i], c->platform, o->platform);
	}
	return VIGIL_OK;
}

/* Ledger text in a plain-text notice: each line break starts a new line
 * with `indent` (so a post cannot forge the notice's own structure), and
 * other control characters (C0, DEL, C1: terminal escapes) become '?'. */
static vigil_error
add_text(struct vbuf *b, const char *s, const char *indent)
{
	vigil_error e = VIGIL_OK;

	for (; e == VIGIL_OK && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			e = indent ? vbuf_printf(b, "\n%s", indent) : vbuf_addc(b, ' ');
		else if (c == '\r')
			continue;
		else if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f) {
			e = vbuf_addc(b, '?');
			s++;
		} else
			e = vbuf_addc(b, c < 0x20 && c != '\t' ? '?' : c == 0x7f ? '?' : (char)c);
	}
	return e;
}

static vigil_error
text_item(struct vbuf *b, const vigil_report *r, size_t n, json_t *it)
{
	json_t *cats = json_object_get(it, "categories"), *why = json_object_get(it, "explanation");
	vigil_error e;
	size_t i;

	static const char *const fields[][2] = {
		{ "  Location (URL): ", "url" }, { "\n  Post id: ", "post_id" },
		{ "\n  Account: ", "account_handle" }, { " (stable account id ", "account_id" },
		{ ", display name ", "account_name" }, { ")\n  Posted: ", "posted_at" },
	};

	e = vbuf_printf(b, "Item %zu\n", n);
	for (i = 0; e == VIGIL_OK && i < VIGIL_ARRAY_SIZE(fields); i++) {
		const char *v = text_at(it, fields[i][1], NULL);

		if (i == 4 && !*v)
			continue;
		e = vbuf_adds(b, fields[i][0]);
		if (e == VIGIL_OK)
			e = add_text(b, v, NULL);
	}
	if (e == VIGIL_OK)
		e = vbuf_adds(b, "\n  Category of violation:");
	for (i = 0; e == VIGIL_OK && i < json_array_size(cats); i++)
		e = vbuf_printf(b, "%s %s", i ? "," : "", json_string_value(json_array_get(cats, i)));
	if (e == VIGIL_OK)
		e = vbuf_adds(b, json_array_size(cats) ? "\n  Why it is illegal or violates the "
			      "terms of service:\n" : " (none labelled; see the text)\n");
	for (i = 0; e == VIGIL_OK && i < json_array_size(why); i++)
		e = vbuf_printf(b, "    - %s\n", json_string_value(json_array_get(why, i)));
	if (e == VIGIL_OK)
		e = vbuf_adds(b, "  Text as captured:\n    | ");
	if (e == VIGIL_OK)
		e = add_text(b, text_at(it, "text", NULL), "    | ");
	if (e == VIGIL_OK)
		e = vbuf_printf(b, "\n  Evidence: ledger %s, entry %" JSON_INTEGER_FORMAT
				", SHA-256 %s\n\n", r->origin,
				json_integer_value(json_object_get(json_object_get(it, "evidence"),
								   "seq")),
				text_at(json_object_get(it, "evidence"), "entry_sha256", NULL));
	return e;
}

static vigil_error
notice_text(const vigil_report *r, const vigil_notice_options *o, json_t *items,
	    struct vbuf *b)
{
	const char *who = r->clinician_name ? r->clinician_name : r->clinician ? r->clinician : "";
	vigil_error e;
	size_t i;
	json_t *it;

	e = vbuf_printf(b, "NOTICE OF ILLEGAL CONTENT AND TERMS OF SERVICE VIOLATIONS\n"
			"(submitted as a notice under Article 16 of the EU Digital Services Act, "
			"Regulation (EU) 2022/2065)\n\n"
			"To: %s - notice and action / trust and safety\nDate: %s\n"
			"Notifier: %s <%s>\nConcerning: harassment of %s%s%s%s, a health "
			"professional\nItems: %zu\n\n"
			"1. Exact locations of the content and why it is illegal or violates "
			"your terms\n\n", o->platform, r->generated, o->reporter_name,
			o->reporter_email, who, r->clinician ? " (id " : "",
			r->clinician ? r->clinician : "", r->clinician ? ")" : "",
			json_array_size(items));
	json_array_foreach(items, i, it) {
		if (e == VIGIL_OK)
			e = text_item(b, r, i + 1, it);
	}
	if (e == VIGIL_OK)
		e = vbuf_printf(b, "2. Evidence\n\nEach item is kept in a signed, hash-chained "
				"evidence ledger (%s, key fingerprint %s). A verifiable export "
				"bundle is available on request.\n\n3. Notifier\n\nName: %s\nE-mail: "
				"%s\n\n4. Statement of good faith\n\n%s\n", r->origin, r->key_id,
				o->reporter_name, o->reporter_email, good_faith);
	return e;
}

VIGIL_EXPORT vigil_error
vigil_notice(const vigil_report *r, const vigil_notice_options *o, char **out, size_t *len,
	     char *errbuf)
{
	struct vbuf b;
	json_t *items = NULL, *doc = NULL;
	char *s = NULL;
	vigil_error e;

	if (!o || !o->platform || !o->reporter_name || !*o->reporter_name ||
	    !o->reporter_email || !strchr(o->reporter_email, '@'))
		return vigil_fail(errbuf, VIGIL_E_INVAL, "notice: a platform, the reporter's name "
				  "and e-mail address are required");
	e = check_seqs(r, o, errbuf);
	if (e != VIGIL_OK)
		return e;
	items = json_array();
	for (size_t i = 0; items && i < r->ncaps; i++) {
		if (selected(&r->caps[i], o) &&
		    json_array_append_new(items, item_json(r, &r->caps[i])) != 0)
			e = VIGIL_E_NOMEM;
	}
	if (!items)
		e = VIGIL_E_NOMEM;
	if (e == VIGIL_OK && json_array_size(items) == 0)
		e = vigil_fail(errbuf, VIGIL_E_NOTFOUND, "no incidents on platform '%s' in the "
			       "report", o->platform);
	if (e != VIGIL_OK)
		goto out;
	vbuf_init(&b, NOTICE_MAX);
	if (o->json) {
		doc = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s?, s:s?}, s:O, s:{s:s, s:s}, "
				"s:s}", "notice", "EU DSA Article 16", "platform", o->platform,
				"date", r->generated, "notifier", "name", o->reporter_name, "email",
				o->reporter_email, "concerning", "clinician", r->clinician, "name",
				r->clinician_name, "items", items, "evidence", "ledger", r->origin,
				"key_id", r->key_id, "good_faith_statement", good_faith);
		s = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
		e = s ? vbuf_adds(&b, s) : VIGIL_E_NOMEM;
		if (e == VIGIL_OK)
			e = vbuf_addc(&b, '\n');
	} else {
		e = notice_text(r, o, items, &b);
	}
	if (e == VIGIL_OK)
		*out = vbuf_take(&b, len);
	else
		vigil_fail(errbuf, e, "notice: %s", vigil_strerror(e));
	vbuf_free(&b);
out:
	free(s);
	json_decref(doc);
	json_decref(items);
	return e;
}
