/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-model.c - read one clinician's captures for a period, with every
 * later observation and annotation about them, once; the renderers, the
 * pattern finders and the notice all work from this model.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger-int.h"
#include "report-int.h"

#define REPORT_MAX_CAPTURES 2000000
#define REPORT_SEVERE 10

const char *const rpt_categories[RPT_NCAT] = {
	"threat", "sexual", "doxxing", "hate", "insult",
};

static const char period_sql[] =
	"kind = 'capture' AND (?1 IS NULL OR clinician = ?1) AND "
	"(?2 IS NULL OR time >= ?2) AND (?3 IS NULL OR time < ?3)";

static void
bind_period(sqlite3_stmt *st, const vigil_report *r)
{
	if (r->clinician)
		sqlite3_bind_text(st, 1, r->clinician, -1, SQLITE_STATIC);
	if (r->since[0])
		sqlite3_bind_text(st, 2, r->since, -1, SQLITE_STATIC);
	if (r->until[0])
		sqlite3_bind_text(st, 3, r->until, -1, SQLITE_STATIC);
}

static int
category_index(const char *name)
{
	for (int i = 0; i < RPT_NCAT; i++)
		if (name && strcmp(name, rpt_categories[i]) == 0)
			return i;
	return -1;
}

/* Fill the borrowed fields of a capture from its parsed entry. */
static void
capture_fields(struct rpt_capture *c)
{
	json_t *body = json_object_get(c->entry, "body");
	json_t *cls = json_object_get(body, "classification");
	json_t *scores = json_object_get(cls, "scores");
	size_t i;

	c->clinician = text_at(body, "clinician", NULL);
	c->platform = text_at(body, "platform", NULL);
	c->post_id = text_at(body, "post", "id");
	c->url = text_at(body, "post", "url");
	c->created_at = text_at(body, "post", "created_at");
	c->text = text_at(body, "post", "text");
	c->author_id = text_at(body, "author", "id");
	c->author_handle = text_at(body, "author", "handle");
	c->author_name = text_at(body, "author", "name");
	c->author_url = text_at(body, "author", "url");
	c->payload = text_at(body, "payload", "sha256");
	c->classified = json_is_object(cls);
	c->engine = text_at(cls, "engine", NULL);
	c->labels = json_object_get(cls, "labels");
	c->matches = json_object_get(cls, "matches");
	c->max_score = 0;
	c->primary = -1;
	for (i = 0; i < RPT_NCAT; i++) {
		json_t *v = json_object_get(scores, rpt_categories[i]);

		c->scores[i] = json_is_integer(v) ? (int)json_integer_value(v) : -1;
		if (c->scores[i] > c->max_score)
			c->max_score = c->scores[i];
	}
	for (i = 0; i < json_array_size(c->labels); i++) {
		int k = category_index(json_string_value(json_array_get(c->labels, i)));

		if (k >= 0 && (c->primary < 0 || c->scores[k] > c->scores[c->primary]))
			c->primary = k;
	}
	if (!*c->created_at || !vigil_parse_time(c->created_at, &c->event_ms))
		c->event_ms = c->time_ms;
}

static vigil_error
load_captures(vigil_ledger *l, vigil_report *r, char *errbuf)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	vigil_error e;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT seq, bytes, lower(hex(hash)), time FROM entries "
		 "WHERE %s ORDER BY seq", period_sql);
	e = ledger_prepare(l, sql, &st, errbuf);
	if (e != VIGIL_OK)
		return e;
	bind_period(st, r);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rpt_capture *c;

		if (r->ncaps == alloc) {
			size_t na = alloc ? alloc * 2 : 256;

			if (na > REPORT_MAX_CAPTURES) {
				e = vigil_fail(errbuf, VIGIL_E_TOOBIG, "more than %d captures in the "
					       "period; narrow it with --since/--until",
					       REPORT_MAX_CAPTURES);
				break;
			}
			c = realloc(r->caps, na * sizeof(*c));
			if (!c) {
				e = VIGIL_E_NOMEM;
				break;
			}
			r->caps = c;
			alloc = na;
		}
		c = &r->caps[r->ncaps];
		memset(c, 0, sizeof(*c));
		c->seq = (uint64_t)sqlite3_column_int64(st, 0);
		c->entry = json_loadb(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
				      0, NULL);
		snprintf(c->hash, sizeof(c->hash), "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(c->time, sizeof(c->time), "%s", (const char *)sqlite3_column_text(st, 3));
		if (!json_is_object(c->entry) || !vigil_parse_time(c->time, &c->time_ms)) {
			json_decref(c->entry);
			e = vigil_fail(errbuf, VIGIL_E_CORRUPT, "seq %" PRIu64 ": stored entry is "
				       "not JSON (run vigilctl verify)", c->seq);
			break;
		}
		c->obs = json_array();
		c->ann = json_array();
		r->ncaps++;
		capture_fields(c);
	}
	if (e == VIGIL_OK && rc != SQLITE_DONE)
		e = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	sqlite3_finalize(st);
	return e;
}

const struct rpt_capture *
rpt_find(const vigil_report *r, uint64_t seq)
{
	size_t lo = 0, hi = r->ncaps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->caps[mid].seq == seq)
			return &r->caps[mid];
		if (r->caps[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Observations and annotations about the captures, at any later time. */
static vigil_error
load_followups(vigil_ledger *l, vigil_report *r, char *errbuf)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	vigil_error e;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT bytes, of_seq FROM entries WHERE kind IN "
		 "('observation', 'annotation') AND of_seq IN (SELECT seq FROM entries WHERE %s) "
		 "ORDER BY seq", period_sql);
	e = ledger_prepare(l, sql, &st, errbuf);
	if (e != VIGIL_OK)
		return e;
	bind_period(st, r);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rpt_capture *c = (struct rpt_capture *)rpt_find(r,
			(uint64_t)sqlite3_column_int64(st, 1));
		json_t *j = json_loadb(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
				       0, NULL);
		const char *kind = text_at(j, "kind", NULL);

		if (!c || !j) {
			json_decref(j);
			continue;
		}
		if (strcmp(kind, "observation") == 0) {
			json_array_append_new(c->obs, j);
		} else {
			const char *status = text_at(j, "body", "status");

			if (strcmp(status, "note") != 0)
				c->status = status;
			json_array_append_new(c->ann, j);
		}
	}
	if (rc != SQLITE_DONE)
		e = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	sqlite3_finalize(st);
	return e;
}

static vigil_error
load_identity(vigil_ledger *l, vigil_report *r, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	struct checkpoint cp;
	char *note = NULL;
	vigil_error e;

	e = vigil_ledger_key_id(l, r->key_id);
	if (e == VIGIL_OK)
		e = vigil_ledger_origin(l, r->origin);
	if (e == VIGIL_OK)
		e = vigil_ledger_checkpoint(l, &note, errbuf);
	if (e == VIGIL_OK)
		e = note_parse(note, strlen(note), &cp, errbuf);
	free(note);
	if (e != VIGIL_OK)
		return e;
	r->checkpoint_size = cp.size;
	vigil_b64(cp.root, 32, r->root_b64);
	if (!r->clinician)
		return VIGIL_OK;
	e = ledger_prepare(l, "SELECT bytes FROM entries WHERE kind = 'registration' AND "
			   "clinician = ?1 ORDER BY seq DESC LIMIT 1", &st, errbuf);
	if (e != VIGIL_OK)
		return e;
	sqlite3_bind_text(st, 1, r->clinician, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_t *j = json_loadb(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
				       0, NULL);
		const char *name = text_at(json_object_get(j, "body"), "clinician", "name");

		if (*name && !(r->clinician_name = strdup(name)))
			e = VIGIL_E_NOMEM;
		json_decref(j);
	}
	sqlite3_finalize(st);
	return e;
}

static int
severity_cmp(const void *a, const void *b, void *userdata)
{
	const vigil_report *r = userdata;
	const struct rpt_capture *x = &r->caps[*(const size_t *)a], *y = &r->caps[*(const size_t *)b];

	if (x->max_score != y->max_score)
		return x->max_score > y->max_score ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static vigil_error
count_platform(vigil_report *r, const char *name)
{
	struct rpt_count *p;

	for (size_t i = 0; i < r->nplatforms; i++) {
		if (strcmp(r->platforms[i].name, name) == 0) {
			r->platforms[i].n++;
			return VIGIL_OK;
		}
	}
	p = realloc(r->platforms, (r->nplatforms + 1) * sizeof(*p));
	if (!p)
		return VIGIL_E_NOMEM;
	r->platforms = p;
	p[r->nplatforms].name = name;
	p[r->nplatforms++].n = 1;
	return VIGIL_OK;
}

static vigil_error
summarise(vigil_report *r)
{
	vigil_error e = VIGIL_OK;

	r->incidents = calloc(r->ncaps + 1, sizeof(*r->incidents));
	r->severe = calloc(REPORT_SEVERE, sizeof(*r->severe));
	if (!r->incidents || !r->severe)
		return VIGIL_E_NOMEM;
	for (int k = 0; k < RPT_NCAT; k++)
		r->labels[k].name = rpt_categories[k];
	r->labels[RPT_NCAT].name = "other";
	r->labels[RPT_NCAT + 1].name = "not classified";
	for (size_t i = 0; e == VIGIL_OK && i < r->ncaps; i++) {
		struct rpt_capture *c = &r->caps[i];

		if (c->status && strcmp(c->status, "false_positive") == 0) {
			r->nfalse++;
			continue;
		}
		/* Unclassified captures (e.g. a screenshot handed in) stay in. */
		if (c->classified && json_array_size(c->labels) == 0) {
			r->nunlabelled++;
			continue;
		}
		c->incident = true;
		r->incidents[r->nincidents++] = i;
		for (size_t j = 0; j < json_array_size(c->labels); j++) {
			int k = category_index(json_string_value(json_array_get(c->labels, j)));

			r->labels[k < 0 ? RPT_NCAT : k].n++;
		}
		if (!c->classified)
			r->labels[RPT_NCAT + 1].n++;
		e = count_platform(r, c->platform);
	}
	if (r->ncaps) {
		memcpy(r->first, r->caps[0].time, sizeof(r->first));
		memcpy(r->last, r->caps[r->ncaps - 1].time, sizeof(r->last));
	}
	if (e == VIGIL_OK && r->nincidents) {
		size_t *tmp = malloc(r->nincidents * sizeof(*tmp));

		if (!tmp)
			return VIGIL_E_NOMEM;
		memcpy(tmp, r->incidents, r->nincidents * sizeof(*tmp));
		qsort_r(tmp, r->nincidents, sizeof(*tmp), severity_cmp, r);
		r->nsevere = r->nincidents < REPORT_SEVERE ? r->nincidents : REPORT_SEVERE;
		memcpy(r->severe, tmp, r->nsevere * sizeof(*tmp));
		free(tmp);
	}
	return e;
}

static vigil_error
parse_bound(const char *in, char out[32], const char *what, char *errbuf)
{
	int64_t ms;

	if (!in)
		return VIGIL_OK;
	if (!vigil_parse_time(in, &ms))
		return vigil_fail(errbuf, VIGIL_E_INVAL, "%s '%s': not an RFC 3339 time", what, in);
	vigil_format_time(ms, out);
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_report_build(vigil_ledger *l, const vigil_report_options *o, vigil_report **out,
		   char *errbuf)
{
	static const vigil_report_options none = { 0 };
	vigil_report *r;
	vigil_error e;

	if (!o)
		o = &none;
	r = calloc(1, sizeof(*r));
	if (!r)
		return VIGIL_E_NOMEM;
	r->keep = json_array();
	e = r->keep ? VIGIL_OK : VIGIL_E_NOMEM;
	if (e == VIGIL_OK && o->clinician && !(r->clinician = strdup(o->clinician)))
		e = VIGIL_E_NOMEM;
	if (e == VIGIL_OK)
		e = parse_bound(o->since, r->since, "since", errbuf);
	if (e == VIGIL_OK)
		e = parse_bound(o->until, r->until, "until", errbuf);
	if (e == VIGIL_OK)
		e = vigil_tz_load(o->tz, &r->tz, errbuf);
	if (e != VIGIL_OK)
		goto out;
	vigil_format_time(vigil_clock_ms(), r->generated);
	/* One read transaction: captures and follow-ups agree. */
	sqlite3_exec(l->db, "SAVEPOINT report", NULL, NULL, NULL);
	e = load_identity(l, r, errbuf);
	if (e == VIGIL_OK)
		e = load_captures(l, r, errbuf);
	if (e == VIGIL_OK)
		e = load_followups(l, r, errbuf);
	sqlite3_exec(l->db, "RELEASE report", NULL, NULL, NULL);
	if (e == VIGIL_OK)
		e = summarise(r);
	if (e == VIGIL_OK)
		e = rpt_offenders(r);
	if (e == VIGIL_OK)
		e = rpt_bursts(r);
out:
	if (e != VIGIL_OK) {
		vigil_report_free(r);
		return e;
	}
	*out = r;
	return VIGIL_OK;
}

VIGIL_EXPORT void
vigil_report_free(vigil_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncaps; i++) {
		json_decref(r->caps[i].entry);
		json_decref(r->caps[i].obs);
		json_decref(r->caps[i].ann);
	}
	for (size_t i = 0; i < r->noffenders; i++)
		free((void *)r->offenders[i].handles);
	for (size_t i = 0; i < r->nbursts; i++)
		free((void *)r->bursts[i].accounts);
	free(r->caps);
	free(r->incidents);
	free(r->severe);
	free(r->platforms);
	free(r->offenders);
	free(r->bursts);
	free(r->clinician);
	free(r->clinician_name);
	vigil_tz_free(r->tz);
	json_decref(r->keep);
	free(r);
}

void
rpt_times(const vigil_report *r, int64_t ms, char *out, size_t size)
{
	char utc[32], local[96];
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(utc, sizeof(utc), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (strcmp(vigil_tz_name(r->tz), "UTC") == 0) {
		snprintf(out, size, "%s", utc);
		return;
	}
	vigil_tz_format(r->tz, ms, local, sizeof(local));
	snprintf(out, size, "%s; %s %s", utc, local, vigil_tz_name(r->tz));
}

void
rpt_excerpt(const char *text, size_t max, char *out, size_t size)
{
	size_t n = 0, i = 0;

	if (max >= size)
		max = size - 4;
	for (; text[i] && n < max; i++)
		out[n++] = text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ? ' ' : text[i];
	/* Never cut a character in two. */
	while (n > 0 && text[i] && ((unsigned char)text[i] & 0xc0) == 0x80) {
		i--;
		n--;
	}
	if (text[i]) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}
