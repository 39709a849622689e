/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch-state.c - the watcher's working state in SQLite: registrations,
 * per-source cursors and counters, the duplicate check, re-checks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "watch-int.h"

static vigil_error
stmt(vigil_watch *w, const char *sql, sqlite3_stmt **st, char *errbuf)
{
	int rc = sqlite3_prepare_v2(w->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_error(w->db, rc, "state", errbuf);
	return VIGIL_OK;
}

/* A statement the watcher runs for every post, compiled on first use and
 * kept until vigil_watch_free(). */
static sqlite3_stmt *
cached(vigil_watch *w, sqlite3_stmt **slot, const char *sql)
{
	if (!*slot && sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot,
					 NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(*slot);
	sqlite3_clear_bindings(*slot);
	return *slot;
}

void
watch_state_free(vigil_watch *w)
{
	sqlite3_finalize(w->q_captured);
	sqlite3_finalize(w->q_recheck);
	w->q_captured = w->q_recheck = NULL;
}

static json_t *
str_array(char **list, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

static json_t *
clinician_json(const vigil_conf_clinician *k)
{
	return json_pack("{s:s, s:s, s:o, s:o}", "id", k->id, "name", k->name ? k->name : k->id,
			 "aliases", str_array(k->aliases, k->n_aliases), "handles",
			 str_array(k->handles, k->n_handles));
}

/* Queue a registration entry and remember its digest. */
static vigil_error
register_one(vigil_batch *b, json_t *clin, const char *change, char *errbuf)
{
	json_t *body = json_pack("{s:O, s:s}", "clinician", clin, "change", change);

	if (!body)
		return VIGIL_E_NOMEM;
	log_info("Clinician %s %s", json_string_value(json_object_get(clin, "id")), change);
	return batch_add_json(b, "registration", body, errbuf);
}

vigil_error
watch_register_clinicians(vigil_watch *w, char *errbuf)
{
	sqlite3_stmt *get = NULL, *put = NULL, *all = NULL, *del = NULL;
	vigil_batch *b = NULL;
	char (*digests)[65] = NULL;
	const char **ids = NULL;
	size_t nq = 0;
	uint64_t first = 0;
	vigil_error r;

	r = vigil_batch_new(&b);
	if (r == VIGIL_OK)
		r = stmt(w, "SELECT digest FROM registrations WHERE clinician = ?", &get, errbuf);
	if (r == VIGIL_OK)
		r = stmt(w, "INSERT OR REPLACE INTO registrations (clinician, digest, seq) VALUES (?,?,?)",
			 &put, errbuf);
	if (r == VIGIL_OK)
		r = stmt(w, "SELECT clinician FROM registrations", &all, errbuf);
	if (r == VIGIL_OK)
		r = stmt(w, "DELETE FROM registrations WHERE clinician = ?", &del, errbuf);
	digests = calloc(w->cfg->n_clinicians + 1, sizeof(*digests));
	ids = calloc(w->cfg->n_clinicians + 1, sizeof(*ids));
	if (r == VIGIL_OK && (!digests || !ids))
		r = VIGIL_E_NOMEM;
	for (size_t i = 0; r == VIGIL_OK && i < w->cfg->n_clinicians; i++) {
		const vigil_conf_clinician *k = &w->cfg->clinicians[i];
		json_t *clin = clinician_json(k);
		struct vbuf canon;
		uint8_t h[32];
		const char *old = NULL;

		if (!clin) {
			r = VIGIL_E_NOMEM;
			break;
		}
		vbuf_init(&canon, 1 << 20);
		r = jcs_serialize(clin, &canon, errbuf);
		if (r == VIGIL_OK) {
			vigil_sha256(canon.data, canon.len, h);
			vigil_hex(h, 32, digests[nq]);
			sqlite3_reset(get);
			sqlite3_bind_text(get, 1, k->id, -1, SQLITE_STATIC);
			if (sqlite3_step(get) == SQLITE_ROW)
				old = (const char *)sqlite3_column_text(get, 0);
			if (!old || strcmp(old, digests[nq]) != 0) {
				r = register_one(b, clin, old ? "updated" : "added", errbuf);
				ids[nq++] = k->id;
			}
		}
		vbuf_free(&canon);
		json_decref(clin);
	}
	/* Clinicians registered before but no longer configured. */
	while (r == VIGIL_OK && sqlite3_step(all) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(all, 0);
		json_t *clin;

		if (!id || vigil_config_clinician(w->cfg, id))
			continue;
		clin = json_pack("{s:s}", "id", id);
		r = clin ? register_one(b, clin, "removed", errbuf) : VIGIL_E_NOMEM;
		json_decref(clin);
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, id, -1, SQLITE_TRANSIENT);
		if (r == VIGIL_OK && sqlite3_step(del) != SQLITE_DONE)
			r = ledger_sqlite_error(w->db, SQLITE_ERROR, "state", errbuf);
	}
	if (r == VIGIL_OK && vigil_batch_count(b) > 0) {
		uint64_t size;

		r = vigil_ledger_append(w->ledger, b, &first, &size, errbuf);
		if (r == VIGIL_OK)
			w->appended_unwitnessed += size - first;
	}
	for (size_t i = 0; r == VIGIL_OK && i < nq; i++) {
		sqlite3_reset(put);
		sqlite3_bind_text(put, 1, ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 2, digests[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(put, 3, (sqlite3_int64)(first + i));
		if (sqlite3_step(put) != SQLITE_DONE)
			r = ledger_sqlite_error(w->db, SQLITE_ERROR, "state", errbuf);
	}
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	sqlite3_finalize(all);
	sqlite3_finalize(del);
	vigil_batch_free(b);
	free(digests);
	free(ids);
	return r;
}

vigil_error
watch_load_sources(vigil_watch *w, char *errbuf)
{
	sqlite3_stmt *ins = NULL, *get = NULL;
	vigil_error r;

	r = stmt(w, "INSERT INTO sources (name, platform, clinician) VALUES (?1, ?2, ?3) "
		 "ON CONFLICT (name) DO UPDATE SET platform = ?2, clinician = ?3", &ins, errbuf);
	if (r == VIGIL_OK)
		r = stmt(w, "SELECT cursor, next_poll_ms FROM sources WHERE name = ?", &get, errbuf);
	for (size_t i = 0; r == VIGIL_OK && i < w->n_sources; i++) {
		struct wsource *s = &w->sources[i];

		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, s->conf->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, s->conf->src.platform, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, s->conf->clinician, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			r = ledger_sqlite_error(w->db, SQLITE_ERROR, "state", errbuf);
			break;
		}
		sqlite3_reset(get);
		sqlite3_bind_text(get, 1, s->conf->name, -1, SQLITE_STATIC);
		if (sqlite3_step(get) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(get, 0);

			free(s->cursor);
			s->cursor = c ? strdup(c) : NULL;
			s->next_ms = sqlite3_column_int64(get, 1);
		}
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(get);
	return r;
}

vigil_error
watch_save_source(vigil_watch *w, struct wsource *s, const char *cursor, bool ok,
		  const char *error, uint64_t captures, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	int64_t now = vigil_now_ms();
	vigil_error r;
	int rc;

	r = ledger_stmt(w->ledger, "UPDATE sources SET cursor = coalesce(?2, cursor), "
			"last_poll_ms = ?3, last_ok_ms = CASE WHEN ?4 THEN ?3 ELSE last_ok_ms END, "
			"next_poll_ms = ?5, captures = captures + ?6, errors = errors + (NOT ?4), "
			"last_error = CASE WHEN ?4 THEN last_error ELSE ?7 END WHERE name = ?1", &st,
			errbuf);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_text(st, 1, s->conf->name, -1, SQLITE_STATIC);
	if (cursor)
		sqlite3_bind_text(st, 2, cursor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, ok);
	sqlite3_bind_int64(st, 5, s->next_ms);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)captures);
	if (error)
		sqlite3_bind_text(st, 7, error, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = ledger_sqlite_error(w->db, rc, "state: saving the cursor", errbuf);
	ledger_stmt_done(w->ledger, st);
	return r;
}

vigil_error
watch_set_cursor(struct wsource *s, const char *cursor)
{
	char *c = strdup(cursor);

	if (!c)
		return VIGIL_E_NOMEM;
	free(s->cursor);
	s->cursor = c;
	return VIGIL_OK;
}

vigil_error
watch_store_source(vigil_watch *w, struct wsource *s, const char *cursor, bool ok,
		   const char *error, uint64_t captures)
{
	vigil_error r = watch_save_source(w, s, cursor, ok, error, captures, NULL);

	if (r == VIGIL_OK && cursor)
		r = watch_set_cursor(s, cursor);
	return r;
}

bool
watch_already_captured(vigil_watch *w, const vigil_post *p, const char *clinician)
{
	sqlite3_stmt *st = cached(w, &w->q_captured,
		"SELECT 1 FROM entries WHERE kind = 'capture' AND platform = ? AND post_id = ? "
		"AND clinician IS ? LIMIT 1");
	bool found;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, p->platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, clinician, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

vigil_error
watch_add_recheck(vigil_watch *w, uint64_t seq, const char *source, const char *post_id,
		  char *errbuf)
{
	int64_t now = vigil_now_ms();
	vigil_error r = VIGIL_OK;
	sqlite3_stmt *st;
	int rc;

	if (w->cfg->recheck_window == 0)
		return VIGIL_OK;
	st = cached(w, &w->q_recheck, "INSERT OR IGNORE INTO rechecks (seq, source, post_id, "
		    "captured_ms, next_ms) VALUES (?,?,?,?,?)");
	if (!st)
		return ledger_sqlite_error(w->db, sqlite3_errcode(w->db), "state: re-checks", errbuf);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, post_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now + (int64_t)w->cfg->recheck_interval * 1000);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = ledger_sqlite_error(w->db, rc, "state: re-checks", errbuf);
	sqlite3_reset(st);
	return r;
}

bool
watch_due_recheck(vigil_watch *w, const char *name, int64_t now, uint64_t *seq, char **post_id)
{
	sqlite3_stmt *st = NULL;
	bool found = false;

	if (stmt(w, "SELECT seq, post_id FROM rechecks WHERE done = 0 AND source = ? AND next_ms <= ? "
		 "ORDER BY next_ms LIMIT 1", &st, NULL) != VIGIL_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		*post_id = strdup((const char *)sqlite3_column_text(st, 1));
		found = *post_id != NULL;
	}
	sqlite3_finalize(st);
	return found;
}

vigil_error
watch_recheck_done(vigil_watch *w, uint64_t seq, bool finished, int64_t now)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;

	/* Past the window, or deleted: no more checks. */
	r = stmt(w, "UPDATE rechecks SET next_ms = ?2, done = (?3 OR captured_ms + ?4 < ?2) "
		 "WHERE seq = ?1", &st, NULL);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, now + (int64_t)w->cfg->recheck_interval * 1000);
	sqlite3_bind_int(st, 3, finished);
	sqlite3_bind_int64(st, 4, (int64_t)w->cfg->recheck_window * 1000);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = ledger_sqlite_error(w->db, SQLITE_ERROR, "state", NULL);
	sqlite3_finalize(st);
	return r;
}

bool
watch_recheck_text(vigil_watch *w, uint64_t seq, char hex[65])
{
	sqlite3_stmt *st = NULL;
	bool found = false;

	if (stmt(w, "SELECT text_sha256 FROM rechecks WHERE seq = ?", &st, NULL) != VIGIL_OK)
		return false;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT &&
	    sqlite3_column_bytes(st, 0) == 64) {
		memcpy(hex, sqlite3_column_text(st, 0), 64);
		hex[64] = '\0';
		found = true;
	}
	sqlite3_finalize(st);
	return found;
}

bool
watch_recheck_labels(vigil_watch *w, uint64_t seq, char *out, size_t size)
{
	sqlite3_stmt *st = NULL;
	bool found = false;

	if (stmt(w, "SELECT labels FROM rechecks WHERE seq = ?", &st, NULL) != VIGIL_OK)
		return false;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
		found = true;
	}
	sqlite3_finalize(st);
	return found;
}

vigil_error
watch_recheck_set_text(vigil_watch *w, uint64_t seq, const char *hex, const char *labels,
		       char *errbuf)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	int rc;

	r = stmt(w, "UPDATE rechecks SET text_sha256 = ?2, labels = coalesce(?3, labels) "
		 "WHERE seq = ?1", &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
	if (labels)
		sqlite3_bind_text(st, 3, labels, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = ledger_sqlite_error(w->db, rc, "state: re-checks", errbuf);
	sqlite3_finalize(st);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_source_statuses(vigil_ledger *l, vigil_source_status **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	vigil_source_status *list = NULL;
	size_t count = 0;
	vigil_error r;

	r = ledger_prepare(l, "SELECT name, platform, clinician, cursor, last_poll_ms, last_ok_ms, "
			   "next_poll_ms, captures, errors, last_error FROM sources ORDER BY name",
			   &st, NULL);
	if (r != VIGIL_OK)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW) {
		vigil_source_status *p = realloc(list, (count + 1) * sizeof(*p)), *s;
		const char *t;

		if (!p) {
			r = VIGIL_E_NOMEM;
			break;
		}
		list = p;
		s = &list[count++];
		memset(s, 0, sizeof(*s));
#define COPY(field, col) \
		snprintf(s->field, sizeof(s->field), "%s", \
			 (t = (const char *)sqlite3_column_text(st, col)) ? t : "")
		COPY(name, 0);
		COPY(platform, 1);
		COPY(clinician, 2);
		COPY(cursor, 3);
		COPY(last_error, 9);
#undef COPY
		s->last_poll_ms = sqlite3_column_int64(st, 4);
		s->last_ok_ms = sqlite3_column_int64(st, 5);
		s->next_poll_ms = sqlite3_column_int64(st, 6);
		s->captures = (uint64_t)sqlite3_column_int64(st, 7);
		s->errors = (uint64_t)sqlite3_column_int64(st, 8);
	}
	sqlite3_finalize(st);
	if (r != VIGIL_OK) {
		free(list);
		return r;
	}
	*out = list;
	*n = count;
	return VIGIL_OK;
}
