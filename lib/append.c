/* SPDX-License-Identifier: Apache-2.0 */
/*
 * append.c - batches of entries appended in one transaction with their
 * blobs and a signed checkpoint; entry 0; key rotation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger-int.h"

#define BODY_MAX (64u << 20)

VIGIL_EXPORT vigil_error
vigil_batch_new(vigil_batch **out)
{
	vigil_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return VIGIL_E_NOMEM;
	*out = b;
	return VIGIL_OK;
}

static void
batch_clear(vigil_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		json_decref(b->entries[i].body);
		free(b->entries[i].jcs);
	}
	for (size_t i = 0; i < b->nblobs; i++)
		free(b->blobs[i].data);
	b->n = 0;
	b->nblobs = 0;
}

VIGIL_EXPORT void
vigil_batch_free(vigil_batch *b)
{
	if (!b)
		return;
	batch_clear(b);
	free(b->entries);
	free(b->blobs);
	free(b);
}

VIGIL_EXPORT size_t
vigil_batch_count(const vigil_batch *b)
{
	return b->n;
}

vigil_error
batch_add_json(vigil_batch *b, const char *kind, json_t *body, char *errbuf)
{
	struct vbuf bytes;
	vigil_error r;

	if (!json_is_object(body) || !entry_kind_known(kind)) {
		json_decref(body);
		return vigil_fail(errbuf, VIGIL_E_INVAL, "entry of kind '%s': bad kind or body",
				  kind);
	}
	/* Serialise now, as the entry's "body" member (one level down):
	 * refused here what could not be appended, and not done twice. */
	vbuf_init(&bytes, BODY_MAX);
	r = jcs_serialize_nested(body, 1, &bytes, errbuf);
	if (r == VIGIL_OK && b->n == b->alloc) {
		size_t alloc = b->alloc ? b->alloc * 2 : 16;
		struct batch_entry *p = realloc(b->entries, alloc * sizeof(*p));

		if (p) {
			b->entries = p;
			b->alloc = alloc;
		} else {
			r = VIGIL_E_NOMEM;
		}
	}
	if (r == VIGIL_OK && !(b->entries[b->n].jcs = vbuf_take(&bytes, &b->entries[b->n].jcs_len)))
		r = VIGIL_E_NOMEM;
	if (r != VIGIL_OK) {
		vbuf_free(&bytes);
		json_decref(body);
		return r;
	}
	snprintf(b->entries[b->n].kind, sizeof(b->entries[b->n].kind), "%s", kind);
	b->entries[b->n++].body = body;
	return VIGIL_OK;
}

void
batch_drop_last(vigil_batch *b)
{
	b->n--;
	json_decref(b->entries[b->n].body);
	free(b->entries[b->n].jcs);
}

VIGIL_EXPORT vigil_error
vigil_batch_add(vigil_batch *b, const char *kind, const char *body_json,
		char *errbuf)
{
	json_error_t jerr;
	json_t *body;

	if (!kind || !entry_kind_known(kind) || strcmp(kind, "key") == 0)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "kind '%s' cannot be appended this way", kind ? kind : "");
	body = json_loads(body_json, JSON_REJECT_DUPLICATES, &jerr);
	if (!body)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "body: invalid JSON at byte %d: %s",
				  jerr.position, jerr.text);
	return batch_add_json(b, kind, body, errbuf);
}

VIGIL_EXPORT vigil_error
vigil_batch_add_blob(vigil_batch *b, const void *data, size_t size, char hex_out[65])
{
	struct batch_blob *bl;
	uint8_t h[32];

	if (b->nblobs == b->blobs_alloc) {
		size_t alloc = b->blobs_alloc ? b->blobs_alloc * 2 : 16;
		struct batch_blob *p = realloc(b->blobs, alloc * sizeof(*p));

		if (!p)
			return VIGIL_E_NOMEM;
		b->blobs = p;
		b->blobs_alloc = alloc;
	}
	bl = &b->blobs[b->nblobs];
	bl->data = malloc(size ? size : 1);
	if (!bl->data)
		return VIGIL_E_NOMEM;
	if (size)
		memcpy(bl->data, data, size);
	bl->size = size;
	vigil_sha256(data, size, h);
	vigil_hex(h, 32, bl->hex);
	b->nblobs++;
	if (hex_out)
		memcpy(hex_out, bl->hex, 65);
	return VIGIL_OK;
}

struct tail {
	uint64_t size;
	uint8_t hash[32];
	int64_t time_ms;
};

static vigil_error
read_tail(vigil_ledger *l, struct tail *t, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	int rc;

	r = ledger_stmt(l, "SELECT seq, hash, time FROM entries ORDER BY seq DESC LIMIT 1",
			   &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	memset(t, 0, sizeof(*t));
	t->time_ms = INT64_MIN;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *time = (const char *)sqlite3_column_text(st, 2);

		t->size = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) != 32 || !time ||
		    !vigil_parse_time(time, &t->time_ms))
			r = vigil_fail(errbuf, VIGIL_E_CORRUPT, "%s: seq %" PRIu64
				       ": stored hash or time unreadable", l->path, t->size - 1);
		else
			memcpy(t->hash, sqlite3_column_blob(st, 1), 32);
	} else if (rc != SQLITE_DONE) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	}
	ledger_stmt_done(l, st);
	return r;
}

/* Bring l->range up to `size` entries, checking it against the newest
 * checkpoint so that we never sign a tree inconsistent with it. */
static vigil_error
ensure_range(vigil_ledger *l, uint64_t size, char *errbuf)
{
	uint8_t (*leaves)[32] = NULL, root[32];
	sqlite3_stmt *st = NULL;
	uint64_t cp_size = 0;
	bool have_cp = false;
	vigil_error r;
	int rc;

	if (l->range_ok && l->range.size == size)
		return VIGIL_OK;
	r = ledger_stmt(l, "SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1",
			   &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 32) {
		cp_size = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(root, sqlite3_column_blob(st, 1), 32);
		have_cp = true;
	}
	ledger_stmt_done(l, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_sqlite_error(l->db, rc, l->path, errbuf);
	if (have_cp && cp_size > size)
		return vigil_fail(errbuf, VIGIL_E_CORRUPT,
				  "%s: ledger has %" PRIu64 " entries but a checkpoint was signed for %"
				  PRIu64 "; refusing to append (run vigilctl verify)",
				  l->path, size, cp_size);
	r = ledger_leaves(l, size, &leaves);
	if (r != VIGIL_OK)
		return vigil_fail(errbuf, r, "%s: reading leaf hashes: %s", l->path,
				  vigil_strerror(r));
	merkle_range_init(&l->range);
	for (uint64_t i = 0; i < size; i++) {
		if (have_cp && i == cp_size) {
			uint8_t now[32];

			merkle_range_root(&l->range, now);
			if (sodium_memcmp(now, root, 32) != 0)
				goto mismatch;
		}
		merkle_range_append(&l->range, leaves[i]);
	}
	if (have_cp && cp_size == size) {
		uint8_t now[32];

		merkle_range_root(&l->range, now);
		if (sodium_memcmp(now, root, 32) != 0)
			goto mismatch;
	}
	free(leaves);
	l->range_ok = true;
	return VIGIL_OK;
mismatch:
	free(leaves);
	return vigil_fail(errbuf, VIGIL_E_CORRUPT,
			  "%s: stored entries do not match the checkpoint signed for size %"
			  PRIu64 "; refusing to append (run vigilctl verify)", l->path, cp_size);
}

static vigil_clock_fn clock_fn;
static void *clock_data;

VIGIL_EXPORT void
vigil_set_clock(vigil_clock_fn clock, void *userdata)
{
	clock_fn = clock;
	clock_data = userdata;
}

int64_t
vigil_clock_ms(void)
{
	return clock_fn ? clock_fn(clock_data) : vigil_now_ms();
}

/* Derived columns: clinician, of_seq, platform, post_id. */
static void
bind_derived(sqlite3_stmt *ins, const char *kind, json_t *body)
{
	const char *clin = NULL, *platform = NULL, *post_id = NULL;
	json_t *of = json_object_get(body, "of");

	if (strcmp(kind, "capture") == 0) {
		clin = json_string_value(json_object_get(body, "clinician"));
		platform = json_string_value(json_object_get(body, "platform"));
		post_id = json_string_value(json_object_get(json_object_get(body, "post"), "id"));
	} else if (strcmp(kind, "registration") == 0) {
		clin = json_string_value(json_object_get(json_object_get(body, "clinician"), "id"));
	}
	if (clin)
		sqlite3_bind_text(ins, 9, clin, -1, SQLITE_TRANSIENT);
	if (json_is_integer(of))
		sqlite3_bind_int64(ins, 10, json_integer_value(of));
	if (platform)
		sqlite3_bind_text(ins, 11, platform, -1, SQLITE_TRANSIENT);
	if (post_id)
		sqlite3_bind_text(ins, 12, post_id, -1, SQLITE_TRANSIENT);
}

/* The entry's canonical bytes. Its members in RFC 8785 order are body,
 * key, kind, prev, seq, time, v; all but body are ASCII that needs no
 * escaping (hex, a known kind, a timestamp), so the body serialised when it
 * was queued is spliced in, not serialised again. */
static vigil_error
entry_bytes(const vigil_ledger *l, const struct tail *t, const char *time, const char *kind,
	    const char *body, size_t body_len, struct vbuf *out)
{
	char prev_hex[65];
	vigil_error r;

	vigil_hex(t->hash, 32, prev_hex);
	r = vbuf_add(out, "{\"body\":", 8);
	if (r == VIGIL_OK)
		r = vbuf_add(out, body, body_len);
	if (r == VIGIL_OK)
		r = vbuf_printf(out, ",\"key\":\"%s\",\"kind\":\"%s\",\"prev\":\"%s\",\"seq\":%"
				PRIu64 ",\"time\":\"%s\",\"v\":1}", l->current_id, kind, prev_hex,
				t->size, time);
	return r;
}

static vigil_error
insert_entry(vigil_ledger *l, sqlite3_stmt *ins, struct tail *t, const char *time,
	     const char *kind, json_t *body, const char *jcs, size_t jcs_len, char *errbuf)
{
	uint8_t sig[64], hash[32], leaf[32];
	struct vbuf bytes, own;
	vigil_error r = VIGIL_OK;
	int rc;

	vbuf_init(&own, BODY_MAX);
	if (!jcs) {
		r = jcs_serialize_nested(body, 1, &own, errbuf);
		jcs = own.data;
		jcs_len = own.len;
	}
	vbuf_init(&bytes, BODY_MAX + 4096);
	if (r == VIGIL_OK)
		r = entry_bytes(l, t, time, kind, jcs, jcs_len, &bytes);
	vbuf_free(&own);
	if (r != VIGIL_OK)
		goto out;
	key_sign(l->key, bytes.data, bytes.len, sig);
	vigil_sha256(bytes.data, bytes.len, hash);
	merkle_leaf_hash(bytes.data, bytes.len, leaf);
	sqlite3_reset(ins);
	sqlite3_clear_bindings(ins);
	sqlite3_bind_int64(ins, 1, (sqlite3_int64)t->size);
	sqlite3_bind_blob(ins, 2, bytes.data, (int)bytes.len, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 3, sig, 64, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 4, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 5, leaf, 32, SQLITE_STATIC);
	sqlite3_bind_text(ins, 6, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, time, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 8, l->current_id, -1, SQLITE_STATIC);
	bind_derived(ins, kind, body);
	rc = sqlite3_step(ins);
	if (rc != SQLITE_DONE) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
		goto out;
	}
	merkle_range_append(&l->range, leaf);
	memcpy(t->hash, hash, 32);
	t->size++;
out:
	vbuf_free(&bytes);
	return r;
}

static vigil_error
check_target(json_t *body, uint64_t size, char *errbuf)
{
	json_t *of = json_object_get(body, "of");

	if (!json_is_integer(of))
		return VIGIL_OK;
	if (json_integer_value(of) < 0 || (uint64_t)json_integer_value(of) >= size)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "of: no entry with seq %lld",
				  (long long)json_integer_value(of));
	return VIGIL_OK;
}

/* The whole append; `allow_key` admits key entries (genesis, rotation);
 * `hook` writes working state in the same transaction. */
static vigil_error
append(vigil_ledger *l, vigil_batch *b, bool allow_key, ledger_append_hook hook, void *ctx,
       uint64_t *first_seq, uint64_t *new_size, char *errbuf)
{
	static const char insert_sql[] =
		"INSERT INTO entries (seq, bytes, sig, hash, leaf, kind, time, key_id, "
		"clinician, of_seq, platform, post_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		/* observations and annotations inherit their target's clinician */
		"coalesce(?9, (SELECT clinician FROM entries WHERE seq = ?10)), ?10, ?11, ?12)";
	sqlite3_stmt *ins = NULL, *blob = NULL, *cp = NULL;
	struct merkle_range saved;
	char time[32], *note = NULL;
	uint8_t root[32];
	struct tail t;
	uint64_t first;
	int64_t now;
	vigil_error r;
	int rc;

	if (!l->key)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "%s: opened read-only", l->path);
	if (b->n == 0)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "empty batch");
	for (size_t i = 0; i < b->n; i++)
		if (!allow_key && strcmp(b->entries[i].kind, "key") == 0)
			return vigil_fail(errbuf, VIGIL_E_INVAL, "key entries come only from rotation");
	/* Evidence is always written with synchronous=FULL, whatever the
	 * connection uses for working state. */
	ledger_run(l, "PRAGMA synchronous = FULL");
	rc = ledger_run(l, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
		goto relax;
	}
	saved = l->range;
	r = read_tail(l, &t, errbuf);
	if (r == VIGIL_OK && t.size > 0) {
		char id[65];

		/* Another process may have rotated the key meanwhile. */
		r = ledger_load_keys(l, errbuf);
		vigil_key_id(vigil_key_public(l->key), id);
		if (r == VIGIL_OK && strcmp(id, l->current_id) != 0)
			r = vigil_fail(errbuf, VIGIL_E_KEY,
				       "%s: the ledger's key changed; reopen it", l->path);
	}
	if (r == VIGIL_OK)
		r = ensure_range(l, t.size, errbuf);
	if (r == VIGIL_OK)
		r = ledger_stmt(l, insert_sql, &ins, errbuf);
	if (r != VIGIL_OK)
		goto fail;
	first = t.size;
	now = vigil_clock_ms();
	if (t.size > 0 && now < t.time_ms) {
		/* The clock stepped back: say so, and keep time non-decreasing. */
		char seen[32], detail[160];
		json_t *body;

		vigil_format_time(now, seen);
		vigil_format_time(t.time_ms, time);
		snprintf(detail, sizeof(detail),
			 "system clock read %s, earlier than the previous entry's %s", seen, time);
		body = json_pack("{s:s}", "detail", detail);
		r = body ? insert_entry(l, ins, &t, time, "clock", body, NULL, 0, errbuf)
			 : VIGIL_E_NOMEM;
		json_decref(body);
		if (r != VIGIL_OK)
			goto fail;
		log_warn("%s: %s", l->path, detail);
	}
	vigil_format_time(now < t.time_ms ? t.time_ms : now, time);
	for (size_t i = 0; i < b->n; i++) {
		r = check_target(b->entries[i].body, t.size, errbuf);
		if (r == VIGIL_OK)
			r = insert_entry(l, ins, &t, time, b->entries[i].kind,
					 b->entries[i].body, b->entries[i].jcs,
					 b->entries[i].jcs_len, errbuf);
		if (r != VIGIL_OK)
			goto fail;
	}
	r = ledger_stmt(l, "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?,?,?)",
			   &blob, errbuf);
	for (size_t i = 0; r == VIGIL_OK && i < b->nblobs; i++) {
		sqlite3_reset(blob);
		sqlite3_bind_text(blob, 1, b->blobs[i].hex, -1, SQLITE_STATIC);
		sqlite3_bind_int64(blob, 2, (sqlite3_int64)b->blobs[i].size);
		sqlite3_bind_blob(blob, 3, b->blobs[i].data, (int)b->blobs[i].size, SQLITE_STATIC);
		rc = sqlite3_step(blob);
		if (rc != SQLITE_DONE)
			r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	}
	if (r != VIGIL_OK)
		goto fail;
	merkle_range_root(&l->range, root);
	r = note_sign(l->key, l->origin, t.size, root, &note);
	if (r == VIGIL_OK)
		r = ledger_stmt(l, "INSERT INTO checkpoints (size, root, note, time) "
				   "VALUES (?,?,?,?)", &cp, errbuf);
	if (r != VIGIL_OK)
		goto fail;
	sqlite3_bind_int64(cp, 1, (sqlite3_int64)t.size);
	sqlite3_bind_blob(cp, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(cp, 3, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(cp, 4, time, -1, SQLITE_STATIC);
	rc = sqlite3_step(cp);
	if (rc != SQLITE_DONE) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
		goto fail;
	}
	if (hook) {
		r = hook(ctx, first, t.size, errbuf);
		if (r != VIGIL_OK)
			goto fail;
	}
	rc = ledger_run(l, "COMMIT");
	if (rc != SQLITE_OK) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
		goto fail;
	}
	ledger_stmt_done(l, ins);
	ledger_stmt_done(l, blob);
	ledger_stmt_done(l, cp);
	free(note);
	batch_clear(b);
	if (l->state_relaxed)
		ledger_run(l, "PRAGMA synchronous = NORMAL");
	if (first_seq)
		*first_seq = first;
	if (new_size)
		*new_size = t.size;
	return VIGIL_OK;
fail:
	ledger_stmt_done(l, ins);
	ledger_stmt_done(l, blob);
	ledger_stmt_done(l, cp);
	free(note);
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->range = saved;
	l->range_ok = false;
relax:
	if (l->state_relaxed)
		ledger_run(l, "PRAGMA synchronous = NORMAL");
	return r;
}

void
ledger_relax_state_writes(vigil_ledger *l)
{
	/* Working state (cursors, re-checks, alerts) may lose its last
	 * writes on power loss; evidence may not. WAL with NORMAL keeps the
	 * database consistent either way. */
	l->state_relaxed = true;
	sqlite3_exec(l->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

VIGIL_EXPORT vigil_error
vigil_ledger_append(vigil_ledger *l, vigil_batch *b, uint64_t *first_seq,
		    uint64_t *new_size, char *errbuf)
{
	return append(l, b, false, NULL, NULL, first_seq, new_size, errbuf);
}

vigil_error
ledger_append_with(vigil_ledger *l, vigil_batch *b, ledger_append_hook hook, void *ctx,
		   uint64_t *first_seq, uint64_t *new_size, char *errbuf)
{
	return append(l, b, false, hook, ctx, first_seq, new_size, errbuf);
}

/* The body of a key entry introducing `k`. */
static json_t *
key_body(const vigil_key *k, const char *previous)
{
	char id[65], msg[80], pub64[64], proof64[100];
	uint8_t proof[64];

	vigil_key_id(vigil_key_public(k), id);
	snprintf(msg, sizeof(msg), "vigil key v1 %s", id);
	key_sign(k, msg, strlen(msg), proof);
	vigil_b64(vigil_key_public(k), 32, pub64);
	vigil_b64(proof, 64, proof64);
	return json_pack("{s:s, s:s?, s:s}", "public_key", pub64, "previous", previous,
			 "proof", proof64);
}

vigil_error
ledger_genesis(vigil_ledger *l, char *errbuf)
{
	vigil_batch *b = NULL;
	vigil_key *k = NULL;
	vigil_error r;

	r = vigil_key_load(l->key_path, &k, errbuf);
	if (r == VIGIL_E_NOTFOUND) {
		r = vigil_key_generate(&k);
		if (r == VIGIL_OK)
			r = vigil_key_save(k, l->key_path, errbuf);
		if (r == VIGIL_OK)
			log_notice("Created signing key '%s'", l->key_path);
	}
	if (r != VIGIL_OK)
		goto out;
	l->key = k;
	memcpy(l->first_pub, vigil_key_public(k), 32);
	memcpy(l->current_pub, vigil_key_public(k), 32);
	vigil_key_id(l->current_pub, l->current_id);
	note_origin(l->first_pub, l->origin);
	l->have_keys = true;
	r = vigil_batch_new(&b);
	if (r == VIGIL_OK)
		r = batch_add_json(b, "key", key_body(k, NULL), errbuf);
	if (r == VIGIL_OK)
		r = append(l, b, true, NULL, NULL, NULL, NULL, errbuf);
out:
	vigil_batch_free(b);
	if (r != VIGIL_OK) {
		l->have_keys = false;
		if (l->key != k)
			vigil_key_free(k);
	}
	return r;
}

VIGIL_EXPORT vigil_error
vigil_ledger_rotate_key(vigil_ledger *l, char new_id[65], char *errbuf)
{
	char *pending = NULL, id[65];
	vigil_batch *b = NULL;
	vigil_key *k = NULL;
	vigil_error r;

	if (!l->key)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "%s: opened read-only", l->path);
	if (asprintf(&pending, "%s.new", l->key_path) < 0)
		return VIGIL_E_NOMEM;
	/* A leftover from a rotation that never committed holds no key the
	 * ledger knows; replace it. */
	unlink(pending);
	r = vigil_key_generate(&k);
	if (r == VIGIL_OK)
		r = vigil_key_save(k, pending, errbuf);
	if (r == VIGIL_OK)
		r = vigil_batch_new(&b);
	if (r == VIGIL_OK)
		r = batch_add_json(b, "key", key_body(k, l->current_id), errbuf);
	if (r == VIGIL_OK)
		r = append(l, b, true, NULL, NULL, NULL, NULL, errbuf);
	if (r != VIGIL_OK) {
		unlink(pending);
		goto out;
	}
	/* Committed: from now on the ledger expects the new key. */
	if (rename(pending, l->key_path) < 0) {
		r = vigil_fail(errbuf, VIGIL_E_IO,
			       "Rotated, but failed to install '%s' as '%s': %s (it is completed on next open)",
			       pending, l->key_path, strerror(errno));
		goto out;
	}
	vigil_fsync_dir(l->key_path);
	vigil_key_free(l->key);
	l->key = k;
	k = NULL;
	r = ledger_load_keys(l, errbuf);
	vigil_key_id(vigil_key_public(l->key), id);
	if (r == VIGIL_OK)
		memcpy(new_id, id, 65);
out:
	vigil_key_free(k);
	vigil_batch_free(b);
	free(pending);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_ledger_checkpoint(vigil_ledger *l, char **note_out, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	vigil_error r;
	uint64_t size;
	int rc;

	r = vigil_ledger_size(l, &size);
	if (r != VIGIL_OK)
		return vigil_fail(errbuf, r, "%s: %s", l->path, vigil_strerror(r));
	r = ledger_prepare(l, "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
			   &st, errbuf);
	if (r != VIGIL_OK)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(st, 0) == size) {
		char *note = strdup((const char *)sqlite3_column_text(st, 1));

		r = note ? VIGIL_OK : VIGIL_E_NOMEM;
		if (note)
			*note_out = note;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		r = vigil_fail(errbuf, VIGIL_E_CORRUPT,
			       "%s: no checkpoint signed for the ledger's size %" PRIu64
			       " (run vigilctl verify)", l->path, size);
	} else {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
	}
	sqlite3_finalize(st);
	return r;
}
