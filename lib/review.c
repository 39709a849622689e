/* SPDX-License-Identifier: Apache-2.0 */
/*
 * review.c - the review workflow: annotations appended as new entries (a
 * review never rewrites evidence), the queue of captures awaiting review,
 * and masking of matched spans so reviewers need not read every slur.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"


static const char *const statuses[] = {
	"reviewed", "false_positive", "escalated", "reported", "note",
};

static bool
is_cont(const char *s, size_t i)
{
	return ((unsigned char)s[i] & 0xc0) == 0x80;
}

void
utf8_widen(const char *s, size_t len, size_t *start, size_t *end)
{
	if (*end > len)
		*end = len;
	if (*start > *end)
		*start = *end;
	while (*start > 0 && is_cont(s, *start))
		(*start)--;
	while (*end < len && is_cont(s, *end))
		(*end)++;
}

static int
span_cmp(const void *a, const void *b)
{
	const vigil_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

VIGIL_EXPORT vigil_error
vigil_mask_text(const char *text, size_t len, const vigil_span *spans, size_t nspans,
		char **out)
{
	vigil_span *v = NULL;
	char *m;
	size_t i = 0, o = 0;

	m = malloc(len + 1);
	if (!m || (nspans && !(v = malloc(nspans * sizeof(*v))))) {
		free(m);
		return VIGIL_E_NOMEM;
	}
	for (size_t k = 0; k < nspans; k++) {
		v[k] = spans[k];
		utf8_widen(text, len, &v[k].start, &v[k].end);
	}
	if (nspans)
		qsort(v, nspans, sizeof(*v), span_cmp);
	for (size_t k = 0; k < nspans; k++) {
		size_t start = v[k].start, end = v[k].end;

		/* Merge overlapping spans into one run. */
		while (k + 1 < nspans && v[k + 1].start < end) {
			k++;
			if (v[k].end > end)
				end = v[k].end;
		}
		while (i < start)
			m[o++] = text[i++];
		/* Keep the run's first character whole. */
		if (i < end) {
			m[o++] = text[i++];
			while (i < end && is_cont(text, i))
				m[o++] = text[i++];
		}
		while (i < end) {
			if (isspace((unsigned char)text[i])) {
				m[o++] = text[i++];
				continue;
			}
			m[o++] = '*';
			i++;
			while (i < end && is_cont(text, i))
				i++;
		}
	}
	while (i < len)
		m[o++] = text[i++];
	m[o] = '\0';
	free(v);
	*out = m;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_annotate(vigil_ledger *l, uint64_t of, const char *status, const char *by,
	       const char *text, const char *reference, uint64_t *seq_out, char *errbuf)
{
	vigil_entry *target = NULL;
	vigil_batch *b = NULL;
	json_t *body = NULL;
	uint64_t first;
	bool known = false;
	vigil_error r;

	for (size_t i = 0; status && i < VIGIL_ARRAY_SIZE(statuses); i++)
		known |= strcmp(status, statuses[i]) == 0;
	if (!known)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "status '%s': expected reviewed, "
				  "false_positive, escalated, reported or note", status ? status : "");
	if ((by && !vigil_utf8_valid(by, strlen(by))) || (text && !vigil_utf8_valid(text, strlen(text))) ||
	    (reference && !vigil_utf8_valid(reference, strlen(reference))))
		return vigil_fail(errbuf, VIGIL_E_INVAL, "annotation of seq %" PRIu64 ": by, text "
				  "and reference must be UTF-8", of);
	r = vigil_ledger_get(l, of, &target);
	if (r == VIGIL_E_NOTFOUND)
		return vigil_fail(errbuf, r, "seq %" PRIu64 ": no such entry", of);
	if (r != VIGIL_OK)
		return vigil_fail(errbuf, r, "seq %" PRIu64 ": %s", of, vigil_strerror(r));
	if (strcmp(target->kind, "capture") != 0) {
		r = vigil_fail(errbuf, VIGIL_E_INVAL, "seq %" PRIu64 " is a %s entry, not a capture",
			       of, target->kind);
		goto out;
	}
	body = json_pack("{s:I, s:s, s:s, s:s, s:s?}", "of", (json_int_t)of, "by", by ? by : "",
			 "status", status, "text", text ? text : "", "reference", reference);
	if (!body) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	r = vigil_batch_new(&b);
	if (r == VIGIL_OK) {
		r = batch_add_json(b, "annotation", body, errbuf);
		body = NULL;
	}
	if (r == VIGIL_OK)
		r = vigil_ledger_append(l, b, &first, NULL, errbuf);
	if (r == VIGIL_OK && seq_out)
		*seq_out = first;
out:
	json_decref(body);
	vigil_batch_free(b);
	vigil_entry_free(target);
	return r;
}
