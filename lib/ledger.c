/* SPDX-License-Identifier: Apache-2.0 */
/* ledger.c - opening the SQLite ledger, migrations, reading entries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ledger-int.h"

extern const char *const vigil_migrations[];
extern const char *const vigil_migrations_names[];

vigil_error
ledger_sqlite_error(sqlite3 *db, int rc, const char *what, char *errbuf)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	vigil_error r;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		r = VIGIL_E_FULL;
		msg = "disk full";
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		r = VIGIL_E_BUSY;
		msg = "database is locked by another process";
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		r = VIGIL_E_CORRUPT;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		r = VIGIL_E_IO;
		break;
	case SQLITE_NOMEM:
		r = VIGIL_E_NOMEM;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		r = VIGIL_E_PERM;
		break;
	default:
		r = VIGIL_E_DB;
	}
	return vigil_fail(errbuf, r, "%s: %s", what, msg);
}

sqlite3 *
ledger_db(vigil_ledger *ledger)
{
	return ledger->db;
}

static vigil_error
exec(vigil_ledger *l, const char *sql, char *errbuf)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_error(l->db, rc, l->path, errbuf);
	return VIGIL_OK;
}

vigil_error
ledger_prepare(vigil_ledger *l, const char *sql, sqlite3_stmt **stmt,
	       char *errbuf)
{
	int rc = sqlite3_prepare_v2(l->db, sql, -1, stmt, NULL);

	if (rc != SQLITE_OK)
		return ledger_sqlite_error(l->db, rc, l->path, errbuf);
	return VIGIL_OK;
}

vigil_error
ledger_stmt(vigil_ledger *l, const char *sql, sqlite3_stmt **stmt, char *errbuf)
{
	struct ledger_stmt_slot *free_slot = NULL;
	int rc;

	for (size_t i = 0; i < LEDGER_STMT_SLOTS; i++) {
		struct ledger_stmt_slot *s = &l->stmts[i];

		if (s->sql == sql && !s->busy) {
			s->busy = true;
			*stmt = s->st;
			return VIGIL_OK;
		}
		if (!s->sql && !free_slot)
			free_slot = s;
	}
	if (!free_slot)  /* all kept, or this one in use: an ordinary statement */
		return ledger_prepare(l, sql, stmt, errbuf);
	rc = sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
	if (rc != SQLITE_OK)
		return ledger_sqlite_error(l->db, rc, l->path, errbuf);
	free_slot->sql = sql;
	free_slot->st = *stmt;
	free_slot->busy = true;
	return VIGIL_OK;
}

void
ledger_stmt_done(vigil_ledger *l, sqlite3_stmt *stmt)
{
	if (!stmt)
		return;
	for (size_t i = 0; i < LEDGER_STMT_SLOTS; i++)
		if (l->stmts[i].st == stmt) {
			/* Reset now: a statement left mid-result would hold its read
			 * transaction open. */
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			l->stmts[i].busy = false;
			return;
		}
	sqlite3_finalize(stmt);
}

void
ledger_stmt_release(vigil_ledger *l)
{
	for (size_t i = 0; i < LEDGER_STMT_SLOTS; i++)
		if (l->stmts[i].sql && !l->stmts[i].busy) {
			sqlite3_finalize(l->stmts[i].st);
			l->stmts[i].sql = NULL;
			l->stmts[i].st = NULL;
		}
}

int
ledger_run(vigil_ledger *l, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ledger_stmt(l, sql, &st, NULL) != VIGIL_OK)
		return sqlite3_errcode(l->db);
	rc = sqlite3_step(st);
	ledger_stmt_done(l, st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static vigil_error
migrate(vigil_ledger *l, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	int version = 0, latest = 0, rc;

	while (vigil_migrations[latest])
		latest++;
	r = ledger_prepare(l, "PRAGMA user_version", &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return ledger_sqlite_error(l->db, rc, l->path, errbuf);
	if (version > latest)
		return vigil_fail(errbuf, VIGIL_E_DB,
				  "%s: schema version %d is newer than this vigil (%d)",
				  l->path, version, latest);
	if (version == latest)
		return VIGIL_OK;
	if (l->flags & VIGIL_OPEN_READONLY)
		return vigil_fail(errbuf, VIGIL_E_DB,
				  "%s: schema version %d needs migrating; open it read-write once",
				  l->path, version);
	for (int i = version; i < latest; i++) {
		char pragma[64];

		r = exec(l, "BEGIN IMMEDIATE", errbuf);
		if (r != VIGIL_OK)
			return r;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", i + 1);
		r = exec(l, vigil_migrations[i], errbuf);
		if (r == VIGIL_OK)
			r = exec(l, pragma, errbuf);
		if (r == VIGIL_OK)
			r = exec(l, "COMMIT", errbuf);
		if (r != VIGIL_OK) {
			sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
		log_info("%s: applied migration %s", l->path, vigil_migrations_names[i]);
	}
	return VIGIL_OK;
}

static vigil_error
integrity_check(vigil_ledger *l, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	int rc;

	r = ledger_prepare(l, "PRAGMA integrity_check(1)", &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	} else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		r = vigil_fail(errbuf, VIGIL_E_CORRUPT, "%s: database is corrupt: %s",
			       l->path, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return r;
}

/* Public key introduced by the newest key entry, and the first key. */
vigil_error
ledger_load_keys(vigil_ledger *l, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	int rc;
	bool first = true;

	l->have_keys = false;
	r = ledger_stmt(l, "SELECT seq, bytes FROM entries WHERE kind = 'key' AND "
			   "(seq = 0 OR seq = (SELECT max(seq) FROM entries WHERE kind = 'key')) "
			   "ORDER BY seq", &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *bytes = (const char *)sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		json_t *e = json_loadb(bytes ? bytes : "", (size_t)len, 0, NULL);
		const char *pk = json_string_value(json_object_get(json_object_get(e, "body"),
								   "public_key"));
		uint8_t pub[32];
		size_t n;

		if (!pk || !vigil_unb64(pk, strlen(pk), pub, 32, &n) || n != 32) {
			json_decref(e);
			r = vigil_fail(errbuf, VIGIL_E_CORRUPT, "%s: seq %lld: unreadable key entry",
				       l->path, (long long)sqlite3_column_int64(st, 0));
			goto out;
		}
		json_decref(e);
		if (first && sqlite3_column_int64(st, 0) == 0) {
			memcpy(l->first_pub, pub, 32);
			note_origin(pub, l->origin);
		}
		first = false;
		memcpy(l->current_pub, pub, 32);
		vigil_key_id(pub, l->current_id);
		l->have_keys = true;
	}
	if (rc != SQLITE_DONE)
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
out:
	ledger_stmt_done(l, st);
	return r;
}

/* The key file must hold the ledger's current key. A rotation that was
 * committed but whose key file was not yet renamed is completed here. */
static vigil_error
load_signing_key(vigil_ledger *l, char *errbuf)
{
	char id[65], *pending = NULL;
	vigil_key *k = NULL;
	vigil_error r;

	r = vigil_key_load(l->key_path, &k, errbuf);
	if (r != VIGIL_OK)
		return r;
	vigil_key_id(vigil_key_public(k), id);
	if (!l->have_keys || strcmp(id, l->current_id) == 0) {
		l->key = k;
		return VIGIL_OK;
	}
	if (asprintf(&pending, "%s.new", l->key_path) < 0) {
		vigil_key_free(k);
		return VIGIL_E_NOMEM;
	}
	vigil_key_free(k);
	k = NULL;
	if (vigil_key_load(pending, &k, NULL) == VIGIL_OK) {
		vigil_key_id(vigil_key_public(k), id);
		if (strcmp(id, l->current_id) == 0 && rename(pending, l->key_path) == 0) {
			vigil_fsync_dir(l->key_path);
			log_notice("%s: completed an interrupted key rotation", l->key_path);
			l->key = k;
			free(pending);
			return VIGIL_OK;
		}
		vigil_key_free(k);
	}
	free(pending);
	return vigil_fail(errbuf, VIGIL_E_KEY,
			  "Key file '%s' does not hold the ledger's current key %.16s",
			  l->key_path, l->current_id);
}

#define OPEN_TRIES 20             /* connections to an existing ledger, */
#define OPEN_PAUSE_NS 100000000L  /* 0.1 s apart: 2 s in all */

/* Connect l->db and set it up, up to the first read of the ledger. On
 * failure l->db is closed. */
static vigil_error
connect_db(vigil_ledger *l, int oflags, bool exists, char *errbuf)
{
	int rc = sqlite3_open_v2(l->path, &l->db, oflags, NULL);
	vigil_error r;

	if (rc != SQLITE_OK) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
		goto fail;
	}
	sqlite3_extended_result_codes(l->db, 0);
	sqlite3_busy_timeout(l->db, 10000);
	if (!exists)
		chmod(l->path, 0600);
	r = exec(l, l->flags & VIGIL_OPEN_READONLY ? "PRAGMA query_only = 1"
		 : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", errbuf);
	if (r == VIGIL_OK)
		r = exec(l, "PRAGMA cache_size = -8192", errbuf);  /* 8 MiB */
	if (r == VIGIL_OK)
		r = integrity_check(l, errbuf);
	if (r == VIGIL_OK)
		return VIGIL_OK;
fail:
	sqlite3_close_v2(l->db);
	l->db = NULL;
	return r;
}

VIGIL_EXPORT vigil_error
vigil_ledger_open(const char *db_path, const char *key_path, unsigned flags,
		  vigil_ledger **out, char *errbuf)
{
	const struct timespec pause = { 0, OPEN_PAUSE_NS };
	vigil_ledger *l;
	vigil_error r;
	struct stat st;
	bool exists;
	int oflags;

	if (!db_path || (!key_path && !(flags & VIGIL_OPEN_READONLY)) ||
	    ((flags & VIGIL_OPEN_READONLY) && (flags & VIGIL_OPEN_CREATE)))
		return vigil_fail(errbuf, VIGIL_E_INVAL, "vigil_ledger_open: bad arguments");
	exists = stat(db_path, &st) == 0;
	if (!exists && !(flags & VIGIL_OPEN_CREATE))
		return vigil_fail(errbuf, VIGIL_E_NOTFOUND,
				  "No ledger at '%s' (create one with 'vigilctl init')", db_path);
	l = calloc(1, sizeof(*l));
	if (!l)
		return VIGIL_E_NOMEM;
	l->flags = flags;
	l->path = strdup(db_path);
	l->key_path = key_path ? strdup(key_path) : NULL;
	if (!l->path || (key_path && !l->key_path)) {
		r = VIGIL_E_NOMEM;
		goto fail;
	}
	oflags = SQLITE_OPEN_FULLMUTEX | (flags & VIGIL_OPEN_READONLY
		 ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	/* An existing ledger that cannot be opened for a moment is tried
	 * again. When root opens a ledger that a daemon user owns (vigilctl
	 * as root beside vigild), SQLite creates the -shm and -wal files as
	 * root and only then gives them to the ledger's owner: a daemon
	 * opening it in between is refused ("unable to open database file").
	 * Only the connection is retried, not what follows (a key file that
	 * cannot be read fails at once); one that stays refused fails after
	 * OPEN_TRIES, with the last reason. */
	for (int t = 1;; t++) {
		r = connect_db(l, oflags, exists, errbuf);
		if (r != VIGIL_E_IO || !exists || t == OPEN_TRIES)
			break;
		nanosleep(&pause, NULL);
	}
	if (r == VIGIL_OK)
		r = migrate(l, errbuf);
	if (r == VIGIL_OK)
		r = ledger_load_keys(l, errbuf);
	if (r != VIGIL_OK)
		goto fail;
	if (!(flags & VIGIL_OPEN_READONLY)) {
		if (!l->have_keys && (flags & VIGIL_OPEN_CREATE))
			r = ledger_genesis(l, errbuf);
		else if (!l->have_keys)
			r = vigil_fail(errbuf, VIGIL_E_CORRUPT,
				       "%s: ledger has no key entry 0", db_path);
		else
			r = load_signing_key(l, errbuf);
		if (r != VIGIL_OK)
			goto fail;
	}
	*out = l;
	return VIGIL_OK;
fail:
	vigil_ledger_close(l);
	return r;
}

VIGIL_EXPORT void
vigil_ledger_close(vigil_ledger *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < LEDGER_STMT_SLOTS; i++)
		sqlite3_finalize(l->stmts[i].st);
	if (l->db)
		sqlite3_close_v2(l->db);
	vigil_key_free(l->key);
	free(l->path);
	free(l->key_path);
	free(l);
}

VIGIL_EXPORT vigil_error
vigil_ledger_size(vigil_ledger *l, uint64_t *size)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	int rc;

	r = ledger_prepare(l, "SELECT coalesce(max(seq) + 1, 0) FROM entries", &st, NULL);
	if (r != VIGIL_OK)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*size = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = ledger_sqlite_error(l->db, rc, l->path, NULL);
	sqlite3_finalize(st);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_ledger_key_id(vigil_ledger *l, char out[65])
{
	if (!l->have_keys)
		return VIGIL_E_NOTFOUND;
	memcpy(out, l->current_id, 65);
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_ledger_origin(vigil_ledger *l, char out[32])
{
	if (!l->have_keys)
		return VIGIL_E_NOTFOUND;
	memcpy(out, l->origin, 32);
	return VIGIL_OK;
}

/* Fill e from a row (seq, bytes, sig, kind, time); bytes are copied. */
static vigil_error
row_entry(sqlite3_stmt *st, vigil_entry *e)
{
	const void *bytes = sqlite3_column_blob(st, 1);
	int len = sqlite3_column_bytes(st, 1);
	const void *sig = sqlite3_column_blob(st, 2);

	e->seq = (uint64_t)sqlite3_column_int64(st, 0);
	snprintf(e->kind, sizeof(e->kind), "%s",
		 sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "");
	snprintf(e->time, sizeof(e->time), "%s",
		 sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "");
	memset(e->sig, 0, 64);
	if (sig && sqlite3_column_bytes(st, 2) == 64)
		memcpy(e->sig, sig, 64);
	e->bytes = malloc((size_t)len + 1);
	if (!e->bytes)
		return VIGIL_E_NOMEM;
	if (len)
		memcpy(e->bytes, bytes, (size_t)len);
	e->bytes[len] = '\0';
	e->len = (size_t)len;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_ledger_get(vigil_ledger *l, uint64_t seq, vigil_entry **out)
{
	sqlite3_stmt *st = NULL;
	vigil_entry *e;
	vigil_error r;
	int rc;

	r = ledger_stmt(l, "SELECT seq, bytes, sig, kind, time FROM entries WHERE seq = ?",
			&st, NULL);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = VIGIL_E_NOTFOUND;
	} else if (rc != SQLITE_ROW) {
		r = ledger_sqlite_error(l->db, rc, l->path, NULL);
	} else if (!(e = calloc(1, sizeof(*e)))) {
		r = VIGIL_E_NOMEM;
	} else if ((r = row_entry(st, e)) != VIGIL_OK) {
		free(e);
	} else {
		*out = e;
	}
	ledger_stmt_done(l, st);
	return r;
}

VIGIL_EXPORT void
vigil_entry_free(vigil_entry *e)
{
	if (!e)
		return;
	free(e->bytes);
	free(e);
}

VIGIL_EXPORT vigil_error
vigil_ledger_foreach(vigil_ledger *l, uint64_t from, uint64_t to,
		     vigil_entry_fn fn, void *userdata)
{
	sqlite3_stmt *st = NULL;
	vigil_entry e;
	vigil_error r;
	int rc;

	r = ledger_prepare(l, "SELECT seq, bytes, sig, kind, time FROM entries "
			   "WHERE seq >= ? AND seq < ? ORDER BY seq", &st, NULL);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, to > INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stop;

		r = row_entry(st, &e);
		if (r != VIGIL_OK)
			goto out;
		stop = fn(&e, userdata);
		free(e.bytes);
		if (stop)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = ledger_sqlite_error(l->db, rc, l->path, NULL);
out:
	sqlite3_finalize(st);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_ledger_blob(vigil_ledger *l, const char *sha256_hex, void **data,
		  size_t *size)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	int rc;

	r = ledger_prepare(l, "SELECT data FROM blobs WHERE sha256 = ?", &st, NULL);
	if (r != VIGIL_OK)
		return r;
	sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		void *p = malloc(n ? (size_t)n : 1);

		if (!p) {
			r = VIGIL_E_NOMEM;
		} else {
			if (n)
				memcpy(p, sqlite3_column_blob(st, 0), (size_t)n);
			*data = p;
			*size = (size_t)n;
		}
	} else if (rc == SQLITE_DONE) {
		r = VIGIL_E_NOTFOUND;
	} else {
		r = ledger_sqlite_error(l->db, rc, l->path, NULL);
	}
	sqlite3_finalize(st);
	return r;
}

vigil_error
ledger_leaves(vigil_ledger *l, uint64_t n, uint8_t (**leaves)[32])
{
	sqlite3_stmt *st = NULL;
	uint8_t (*out)[32];
	uint64_t i = 0;
	vigil_error r;
	int rc;

	out = malloc((n ? n : 1) * 32);
	if (!out)
		return VIGIL_E_NOMEM;
	r = ledger_prepare(l, "SELECT seq, leaf FROM entries WHERE seq < ? ORDER BY seq",
			   &st, NULL);
	if (r != VIGIL_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((uint64_t)sqlite3_column_int64(st, 0) != i ||
		    sqlite3_column_bytes(st, 1) != 32) {
			r = VIGIL_E_CORRUPT;
			goto fail;
		}
		memcpy(out[i++], sqlite3_column_blob(st, 1), 32);
	}
	if (rc != SQLITE_DONE) {
		r = ledger_sqlite_error(l->db, rc, l->path, NULL);
		goto fail;
	}
	if (i != n) {
		r = VIGIL_E_CORRUPT;
		goto fail;
	}
	sqlite3_finalize(st);
	*leaves = out;
	return VIGIL_OK;
fail:
	sqlite3_finalize(st);
	free(out);
	return r;
}
