/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-incident.c - one section of the report per incident: where and
 * by whom it was posted, when (UTC and local), the labels and the rules
 * that fired, what was observed and decided later, and how to find the
 * entry in the ledger; then the full text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

/* "deleted at <times>: detail" and "reported at <times> by X: text". */
static void
followups(struct doc_builder *b, const struct rpt_capture *c)
{
	char when[200], *s = NULL;
	size_t i;
	json_t *j;

	json_array_foreach(c->obs, i, j) {
		json_t *body = json_object_get(j, "body");
		int64_t ms = 0;

		vigil_parse_time(text_at(j, "time", NULL), &ms);
		rpt_times(b->r, ms, when, sizeof(when));
		if (asprintf(&s, "%s at %s%s%s", text_at(body, "status", NULL), when,
			     *text_at(body, "detail", NULL) ? ": " : "", text_at(body, "detail", NULL)) < 0)
			s = NULL;
		doc_kv(b, "Observed later", s, 0);
		free(s);
	}
	json_array_foreach(c->ann, i, j) {
		json_t *body = json_object_get(j, "body");
		const char *ref = text_at(body, "reference", NULL);
		int64_t ms = 0;

		vigil_parse_time(text_at(j, "time", NULL), &ms);
		rpt_times(b->r, ms, when, sizeof(when));
		if (asprintf(&s, "%s at %s by %s (seq %" JSON_INTEGER_FORMAT ")%s%s%s%s",
			     text_at(body, "status", NULL), when,
			     *text_at(body, "by", NULL) ? text_at(body, "by", NULL) : "(unnamed)",
			     json_integer_value(json_object_get(j, "seq")),
			     *text_at(body, "text", NULL) ? ": " : "", text_at(body, "text", NULL),
			     *ref ? "; case reference " : "", ref) < 0)
			s = NULL;
		doc_kv(b, "Review", s, 0);
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
rules_fired(struct doc_builder *b, const struct rpt_capture *c)
{
	size_t len = strlen(c->text), n = json_array_size(c->matches);

	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(c->matches, i);
		const char *cat = text_at(m, "category", NULL), *rule = text_at(m, "rule", NULL);
		char s[1024], quote[200];
		size_t count = 0, shown = 0, used, start, end;
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(text_at(json_array_get(c->matches, k), "rule", NULL), rule) == 0 &&
			       strcmp(text_at(json_array_get(c->matches, k), "category", NULL), cat) == 0;
		if (seen)
			continue;
		for (size_t k = i; k < n; k++)
			count += strcmp(text_at(json_array_get(c->matches, k), "rule", NULL), rule) == 0 &&
				 strcmp(text_at(json_array_get(c->matches, k), "category", NULL), cat) == 0;
		used = (size_t)snprintf(s, sizeof(s), "%s: rule %s matched %zu time%s:", cat, rule,
					count, count == 1 ? "" : "s");
		for (size_t k = i; k < n && shown < QUOTES_PER_RULE && used < sizeof(s); k++) {
			json_t *mk = json_array_get(c->matches, k);

			if (strcmp(text_at(mk, "rule", NULL), rule) != 0 ||
			    strcmp(text_at(mk, "category", NULL), cat) != 0)
				continue;
			quote_match(c, len, mk, quote, sizeof(quote), &start, &end);
			used += (size_t)snprintf(s + used, sizeof(s) - used, "%s \"%s\" (bytes %zu-%zu)",
						 shown++ ? "," : "", quote, start, end);
		}
		if (count > shown && used < sizeof(s))
			snprintf(s + used, sizeof(s) - used, " and %zu more", count - shown);
		doc_kv(b, "Rule fired", s, 0);
	}
}

void
doc_incident(struct doc_builder *b, size_t n, const struct rpt_capture *c)
{
	char s[512], id[40];
	size_t m = 0;
	int64_t ms;
	struct blk *k;

	snprintf(id, sizeof(id), "seq-%" PRIu64, c->seq);
	k = doc_add(b, BLK_SECTION, 0, NULL, NULL);
	if (k && !(k->id = strdup(id)))
		b->e = VIGIL_E_NOMEM;
	doc_addf(b, BLK_H3, "Incident %zu of %zu: ledger entry %" PRIu64, n + 1, b->r->nincidents,
	     c->seq);
	doc_kv(b, "Platform", c->platform, 0);
	doc_kv_link(b, "Post URL", c->url);
	doc_kv(b, "Post id", c->post_id, 0);
	doc_kv(b, "Author handle", c->author_handle, 0);
	doc_kv(b, "Author name", c->author_name, 0);
	doc_kv(b, "Stable account id", c->author_id, 0);
	if (*c->author_url)
		doc_kv_link(b, "Author profile", c->author_url);
	if (*c->created_at && vigil_parse_time(c->created_at, &ms)) {
		rpt_times(b->r, ms, s, sizeof(s));
		doc_kv(b, "Posted", s, 0);
	}
	rpt_times(b->r, c->time_ms, s, sizeof(s));
	doc_kv(b, "Captured", s, 0);
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
	doc_kv(b, "Labels", c->classified ? s : "not classified", 0);
	rules_fired(b, c);
	doc_kv(b, "Classifier", c->engine, 0);
	followups(b, c);
	snprintf(s, sizeof(s), "%" PRIu64, c->seq);
	doc_kv(b, "Ledger seq", s, 0);
	doc_kv(b, "Entry SHA-256", c->hash, BLK_MONO);
	if (*c->payload)
		doc_kv(b, "Raw platform data SHA-256", c->payload, BLK_MONO);
	doc_add(b, BLK_SMALL, 0, "Full text as captured:", NULL);
	doc_add(b, BLK_POST, 0, c->text, NULL);
	doc_add(b, BLK_SEND, 0, NULL, NULL);
}
