/* SPDX-License-Identifier: Apache-2.0 */
/* report-csv.c - one RFC 4180 line per capture in a report. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report-int.h"

#define CSV_MAX ((size_t)1 << 30)

static const char *const columns[] = {
	"seq", "entry_sha256", "captured", "posted", "clinician", "platform", "post_id", "url",
	"author_id", "author_handle", "author_name", "labels", "max_score", "incident",
	"review_status", "observations", "text",
};

static vigil_error
csv_row(struct vbuf *b, const struct rpt_capture *c)
{
	char seq[24], score[16], labels[256] = "", obs[512] = "";
	const char *f[VIGIL_ARRAY_SIZE(columns)];
	size_t n = 0, i;
	json_t *j;
	vigil_error e = VIGIL_OK;

	snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
	snprintf(score, sizeof(score), "%d", c->max_score);
	json_array_foreach(c->labels, i, j)
		if (n < sizeof(labels))
			n += (size_t)snprintf(labels + n, sizeof(labels) - n, "%s%s", i ? " " : "",
					      json_string_value(j));
	n = 0;
	json_array_foreach(c->obs, i, j)
		if (n < sizeof(obs))
			n += (size_t)snprintf(obs + n, sizeof(obs) - n, "%s%s %s", i ? "; " : "",
					      text_at(json_object_get(j, "body"), "status", NULL),
					      text_at(j, "time", NULL));
	f[0] = seq, f[1] = c->hash, f[2] = c->time, f[3] = c->created_at;
	f[4] = c->clinician, f[5] = c->platform, f[6] = c->post_id, f[7] = c->url;
	f[8] = c->author_id, f[9] = c->author_handle, f[10] = c->author_name;
	f[11] = labels, f[12] = score, f[13] = c->incident ? "yes" : "no";
	f[14] = c->status ? c->status : "", f[15] = obs, f[16] = c->text;
	for (i = 0; e == VIGIL_OK && i < VIGIL_ARRAY_SIZE(columns); i++)
		e = csv_field(b, f[i], i + 1 == VIGIL_ARRAY_SIZE(columns));
	return e;
}

VIGIL_EXPORT vigil_error
vigil_report_csv(const vigil_report *r, char **out, size_t *len, char *errbuf)
{
	struct vbuf b;
	vigil_error e = VIGIL_OK;

	vbuf_init(&b, CSV_MAX);
	for (size_t i = 0; e == VIGIL_OK && i < VIGIL_ARRAY_SIZE(columns); i++)
		e = csv_field(&b, columns[i], i + 1 == VIGIL_ARRAY_SIZE(columns));
	for (size_t i = 0; e == VIGIL_OK && i < r->ncaps; i++)
		e = csv_row(&b, &r->caps[i]);
	if (e != VIGIL_OK) {
		vbuf_free(&b);
		return vigil_fail(errbuf, e, "report.csv: %s", vigil_strerror(e));
	}
	*out = vbuf_take(&b, len);
	return VIGIL_OK;
}
