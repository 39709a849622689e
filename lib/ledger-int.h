/* SPDX-License-Identifier: Apache-2.0 */
/* ledger-int.h - the ledger handle, shared by ledger.c, append.c, verify.c. */
#ifndef VIGIL_LEDGER_INT_H
#define VIGIL_LEDGER_INT_H

#include <sqlite3.h>

#include "vigil-private.h"

/* A statement the ledger runs on every append, compiled once. */
struct ledger_stmt_slot {
	const char *sql;            /* a string literal, compared by address */
	sqlite3_stmt *st;
	bool busy;
};

#define LEDGER_STMT_SLOTS 16

struct vigil_ledger {
	sqlite3 *db;
	char *path;
	char *key_path;
	unsigned flags;
	vigil_key *key;             /* NULL when read-only */
	bool have_keys;             /* key entries loaded */
	uint8_t first_pub[32];      /* key of entry 0: names the ledger */
	uint8_t current_pub[32];    /* key introduced by the newest key entry */
	char current_id[65];
	char origin[32];            /* vigil.ledger/<16 hex> */
	bool state_relaxed;         /* working state written with synchronous=NORMAL */
	bool range_ok;              /* `range` matches the stored entries */
	struct merkle_range range;
	struct ledger_stmt_slot stmts[LEDGER_STMT_SLOTS];
};

struct batch_entry {
	char kind[16];
	json_t *body;
	char *jcs;                  /* the body's canonical bytes, made when queued */
	size_t jcs_len;
};

struct batch_blob {
	char hex[65];
	size_t size;
	uint8_t *data;
};

struct vigil_batch {
	struct batch_entry *entries;
	size_t n, alloc;
	struct batch_blob *blobs;
	size_t nblobs, blobs_alloc;
};

/* ledger.c */
/* Like ledger_prepare(), for `sql` a string literal run often: the
 * statement is kept compiled; give it back with ledger_stmt_done(), never
 * sqlite3_finalize(). */
vigil_error ledger_stmt(vigil_ledger *l, const char *sql, sqlite3_stmt **stmt, char *errbuf);
void ledger_stmt_done(vigil_ledger *l, sqlite3_stmt *stmt);
/* Finalize the kept statements not in use (a long wait ahead). */
void ledger_stmt_release(vigil_ledger *l);
/* Run `sql`, a string literal of one statement with no result (BEGIN,
 * COMMIT, a PRAGMA), kept compiled; returns the SQLite result code. */
int ledger_run(vigil_ledger *l, const char *sql);
vigil_error ledger_prepare(vigil_ledger *l, const char *sql, sqlite3_stmt **stmt,
			   char *errbuf);
vigil_error ledger_load_keys(vigil_ledger *l, char *errbuf);

/* append.c */
/* Create the key (if the key file is absent) and entry 0. */
vigil_error ledger_genesis(vigil_ledger *l, char *errbuf);
/* Write non-evidence state without fsync per statement (see append.c). */
void ledger_relax_state_writes(vigil_ledger *l);
/* Working state that must be stored with a batch or not at all (a source's
 * cursor, re-checks, alerts): run inside the append's transaction after
 * the entries, with the seq of the first new entry and the new size. An
 * error rolls the whole append back. */
typedef vigil_error (*ledger_append_hook)(void *ctx, uint64_t first, uint64_t size,
					  char *errbuf);
/* vigil_ledger_append() with `hook` (may be NULL) run before COMMIT. */
vigil_error ledger_append_with(vigil_ledger *l, vigil_batch *b, ledger_append_hook hook,
			       void *ctx, uint64_t *first_seq, uint64_t *new_size,
			       char *errbuf);

#endif
