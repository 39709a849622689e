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

/* The capture's text with its matches masked (or whole), kept by q. */
static const char *
item_text(vigil_queue *q, json_t *body, bool reveal)
{
	json_t *matches = json_object_get(json_object_get(body, "classification"), "matches");
	const char *text = text_at(body, "post", "text"), *kept;
	size_t n = json_array_size(matches);
	vigil_span *spans;
	char *masked = NULL;

	if (reveal || n == 0)
		return keep(q, text);
	spans = calloc(n, sizeof(*spans));
	if (!spans)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_int_t s = json_integer_value(json_object_get(json_array_get(matches, i), "start"));
		json_int_t e = json_integer_value(json_object_get(json_array_get(matches, i), "end"));

		spans[i].start = s < 0 ? 0 : (size_t)s;
		spans[i].end = e < 0 ? 0 : (size_t)e;
	}
	kept = vigil_mask_text(text, strlen(text), spans, n, &masked) == VIGIL_OK
		? keep(q, masked) : NULL;
	free(masked);
	free(spans);
	return kept;
}

static vigil_error
add_item(vigil_queue *q, uint64_t seq, const char *time, json_t *body, const char *label,
	 bool reveal)
{
	json_t *cls = json_object_get(body, "classification");
	json_t *labels = json_object_get(cls, "labels"), *v;
	vigil_queue_item *it;
	const char *key;
	char lab[512] = "";
	size_t i, n = 0;
	bool has = !label;

	json_array_foreach(labels, i, v) {
		has |= label && strcmp(json_string_value(v), label) == 0;
		if (n < sizeof(lab))
			n += (size_t)snprintf(lab + n, sizeof(lab) - n, "%s%s", i ? " " : "",
					      json_string_value(v));
	}
	if (!has)
		return VIGIL_OK;
	if (q->n == q->alloc) {
		size_t na = q->alloc ? q->alloc * 2 : 64;

		if (na > QUEUE_MAX_ITEMS)
			return VIGIL_E_TOOBIG;
		it = realloc(q->items, na * sizeof(*it));
		if (!it)
			return VIGIL_E_NOMEM;
		q->items = it;
		q->alloc = na;
	}
	it = &q->items[q->n];
	memset(it, 0, sizeof(*it));
	it->seq = seq;
	json_object_foreach(json_object_get(cls, "scores"), key, v)
		if (json_is_integer(v) && json_integer_value(v) > (json_int_t)it->max_score)
			it->max_score = (unsigned)json_integer_value(v);
	it->time = keep(q, time);
	it->clinician = text_at(body, "clinician", NULL);
	it->platform = text_at(body, "platform", NULL);
	it->author = *text_at(body, "author", "handle") ? text_at(body, "author", "handle")
		: text_at(body, "author", "id");
	it->url = text_at(body, "post", "url");
	it->labels = keep(q, lab);
	it->text = item_text(q, body, reveal);
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
	sqlite3_stmt *st = NULL;
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
			     json_object_get(j, "body"), label, reveal);
	}
	if (r == VIGIL_OK && rc != SQLITE_DONE)
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	if (r == VIGIL_OK && q->n)
		qsort(q->items, q->n, sizeof(*q->items), item_cmp);
out:
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
