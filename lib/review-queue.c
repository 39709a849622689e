/* SPDX-License-Identifier: Apache-2.0 */
/*
 * review-queue.c - captures awaiting review: those with no annotation
 * other than a `note`, most severe first, their matched spans masked.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"

#define QUEUE_MAX_ITEMS 2000000

struct vigil_queue {
	vigil_queue_item *items;
	size_t n, alloc;
	json_t *keep;           /* owns every string the items point to */
};

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Seqs of captures with an annotation other than `note`, sorted. */
static vigil_error
reviewed_seqs(vigil_ledger *l, const char *clinician, uint64_t **out, size_t *n,
	      char *errbuf)
{
	sqlite3_stmt *st = NULL;
	uint64_t *v = NULL;
	size_t alloc = 0;
	vigil_error r;
	int rc;

	*n = 0;
	r = ledger_prepare(l, "SELECT of_seq, bytes FROM entries WHERE kind = 'annotation' "
			   "AND (?1 IS NULL OR clinician = ?1)", &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	if (clinician)
		sqlite3_bind_text(st, 1, clinician, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *j = json_loadb(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
				       0, NULL);
		bool note = strcmp(text_at(json_object_get(j, "body"), "status", NULL), "note") == 0;

		json_decref(j);
		if (note)
			continue;
		if (*n == alloc) {
			uint64_t *p = realloc(v, (alloc = alloc ? alloc * 2 : 64) * sizeof(*p));

			if (!p) {
				r = VIGIL_E_NOMEM;
				break;
			}
			v = p;
		}
		v[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
	}
	if (r == VIGIL_OK && rc != SQLITE_DONE)
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	sqlite3_finalize(st);
	if (r != VIGIL_OK) {
		free(v);
		return r;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), u64_cmp);
	*out = v;
	return VIGIL_OK;
}

static const char *
keep(vigil_queue *q, const char *s)
{
	json_t *j = json_stringn_nocheck(s, strlen(s));

	if (!j || json_array_append_new(q->keep, j) != 0)
		return NULL;
	return json_string_value(j);
}

/* `text` with the matches of `cls` masked (or whole), as a new string. */
static char *
masked_text(const char *text, json_t *cls, bool reveal)
{
	json_t *matches = json_object_get(cls, "matches");
	size_t n = json_array_size(matches);
	vigil_span *spans;
	char *masked = NULL;

	if (reveal || n == 0)
		return strdup(text);
	spans = calloc(n, sizeof(*spans));
	if (!spans)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_int_t s = json_integer_value(json_object_get(json_array_get(matches, i), "start"));
		json_int_t e = json_integer_value(json_object_get(json_array_get(matches, i), "end"));

		spans[i].start = s < 0 ? 0 : (size_t)s;
		spans[i].end = e < 0 ? 0 : (size_t)e;
	}
	if (vigil_mask_text(text, strlen(text), spans, n, &masked) != VIGIL_OK)
		masked = NULL;
	free(spans);
	return masked;
}

/* Fold the labels and scores of classification `cls` into the item: its
 * labels into lab (space-separated, each once), its highest score into
 * max_score. True when it has `label` (or label is NULL). */
static bool
fold_classification(vigil_queue_item *it, json_t *cls, const char *label, char *lab,
		    size_t size)
{
	const char *key;
	bool has = !label;
	size_t i, n = strlen(lab);
	json_t *v;

	json_array_foreach(json_object_get(cls, "labels"), i, v) {
		const char *l = json_string_value(v);

		if (!l)
			continue;
		has |= label && strcmp(l, label) == 0;
		if (!vigil_has_word(lab, l) && n < size)
			n += (size_t)snprintf(lab + n, size - n, "%s%s", n ? " " : "", l);
	}
	json_object_foreach(json_object_get(cls, "scores"), key, v)
		if (json_is_integer(v) && json_integer_value(v) > (json_int_t)it->max_score)
			it->max_score = (unsigned)json_integer_value(v);
	return has;
}

/* Queue capture `seq` (`body`) unless `label` filters it out. `edits`
 * (NULL if this ledger has no such table) yields the texts and
 * classifications the post was edited into: the item is as severe as its
 * worst version, has the labels of every version, and shows the last. */
static vigil_error
add_item(vigil_queue *q, uint64_t seq, const char *time, json_t *body, sqlite3_stmt *edits,
	 const char *label, bool reveal)
{
	vigil_queue_item item = { .seq = seq };
	char lab[512] = "", *text, *now = NULL;
	vigil_queue_item *it;
	bool has;

	has = fold_classification(&item, json_object_get(body, "classification"), label, lab,
				  sizeof(lab));
	if (edits) {
		sqlite3_reset(edits);
		sqlite3_bind_int64(edits, 1, (sqlite3_int64)seq);
		while (sqlite3_step(edits) == SQLITE_ROW) {
			json_t *cls = json_loads((const char *)sqlite3_column_text(edits, 1), 0, NULL);

			has |= fold_classification(&item, cls, label, lab, sizeof(lab));
			free(now);
			now = masked_text((const char *)sqlite3_column_text(edits, 0), cls, reveal);
			json_decref(cls);
			if (!now) {
				sqlite3_reset(edits);
				return VIGIL_E_NOMEM;
			}
		}
		sqlite3_reset(edits);
	}
	if (!has) {
		free(now);
		return VIGIL_OK;
	}
	if (q->n == q->alloc) {
		size_t na = q->alloc ? q->alloc * 2 : 64;

		if (na > QUEUE_MAX_ITEMS || !(it = realloc(q->items, na * sizeof(*it)))) {
			free(now);
			return na > QUEUE_MAX_ITEMS ? VIGIL_E_TOOBIG : VIGIL_E_NOMEM;
		}
		q->items = it;
		q->alloc = na;
	}
	it = &q->items[q->n];
	*it = item;
	it->time = keep(q, time);
	it->clinician = text_at(body, "clinician", NULL);
	it->platform = text_at(body, "platform", NULL);
	it->author = *text_at(body, "author", "handle") ? text_at(body, "author", "handle")
		: text_at(body, "author", "id");
	it->url = text_at(body, "post", "url");
	it->labels = keep(q, lab);
	text = masked_text(text_at(body, "post", "text"), json_object_get(body, "classification"),
			   reveal);
	if (text && now) {
		char *both = NULL;

		if (asprintf(&both, "%s [edited on the platform; now reads: %s]", text, now) < 0)
			both = NULL;
		free(text);
		text = both;
	}
	it->text = text ? keep(q, text) : NULL;
	free(text);
	free(now);
	if (!it->time || !it->labels || !it->text)
		return VIGIL_E_NOMEM;
	q->n++;
	return VIGIL_OK;
}

static int
item_cmp(const void *a, const void *b)
{
	const vigil_queue_item *x = a, *y = b;

	if (x->max_score != y->max_score)
		return x->max_score > y->max_score ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

VIGIL_EXPORT vigil_error
vigil_review_queue(vigil_ledger *l, const char *clinician, const char *label, bool reveal,
		   vigil_queue **out, char *errbuf)
{
	sqlite3_stmt *st = NULL, *edits = NULL;
	uint64_t *done = NULL;
	size_t ndone = 0;
	vigil_queue *q;
	vigil_error r;
	int rc = SQLITE_DONE;

	q = calloc(1, sizeof(*q));
	if (!q || !(q->keep = json_array())) {
		free(q);
		return VIGIL_E_NOMEM;
	}
	r = reviewed_seqs(l, clinician, &done, &ndone, errbuf);
	if (r == VIGIL_OK)
		r = ledger_prepare(l, "SELECT seq, bytes, time FROM entries WHERE kind = 'capture' "
				   "AND (?1 IS NULL OR clinician = ?1) ORDER BY seq", &st, errbuf);
	if (r != VIGIL_OK)
		goto out;
	/* What vigild saw posts edited into (working state; a ledger from
	 * before migration 5, opened read-only, has none). */
	if (sqlite3_prepare_v2(l->db, "SELECT text, classification FROM edits WHERE capture = ? "
			       "ORDER BY seq", -1, &edits, NULL) != SQLITE_OK)
		edits = NULL;
	if (clinician)
		sqlite3_bind_text(st, 1, clinician, -1, SQLITE_STATIC);
	while (r == VIGIL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		json_t *j;

		if (ndone && bsearch(&seq, done, ndone, sizeof(*done), u64_cmp))
			continue;
		j = json_loadb(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), 0, NULL);
		if (!j || json_array_append_new(q->keep, j) != 0) {
			r = vigil_fail(errbuf, VIGIL_E_CORRUPT, "seq %" PRIu64 ": stored entry is not "
				       "JSON (run vigilctl verify)", seq);
			break;
		}
		r = add_item(q, seq, (const char *)sqlite3_column_text(st, 2),
			     json_object_get(j, "body"), edits, label, reveal);
	}
	if (r == VIGIL_OK && rc != SQLITE_DONE)
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	if (r == VIGIL_OK && q->n)
		qsort(q->items, q->n, sizeof(*q->items), item_cmp);
out:
	sqlite3_finalize(edits);
	sqlite3_finalize(st);
	free(done);
	if (r != VIGIL_OK) {
		vigil_queue_free(q);
		return r;
	}
	*out = q;
	return VIGIL_OK;
}

VIGIL_EXPORT const vigil_queue_item *
vigil_queue_items(const vigil_queue *q, size_t *n)
{
	*n = q->n;
	return q->items;
}

VIGIL_EXPORT void
vigil_queue_free(vigil_queue *q)
{
	if (!q)
		return;
	json_decref(q->keep);
	free(q->items);
	free(q);
}
