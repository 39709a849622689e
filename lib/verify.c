/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.c - check a whole ledger: canonical bytes, seq numbering, the prev
 * chain, time order, signatures and the key chain, every stored checkpoint
 * (the newest must cover every entry), a checkpoint held by a second party,
 * and every blob an entry refers to.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger-int.h"

struct vstate {
	vigil_ledger *l;
	vigil_verify_result *res;
	char *errbuf;
	uint8_t prev_hash[32];
	int64_t prev_time;
	uint8_t cur_pub[32];       /* key in force for the next entry */
	char cur_id[65];
	uint8_t signer_pub[32];    /* key that signed the last entry seen */
	char origin[32];
	struct merkle_range range;
	sqlite3_stmt *cps;         /* stored checkpoints, ascending size */
	bool cp_pending;           /* cps holds an unchecked row */
	uint64_t last_cp_size;     /* size of the last checkpoint proven */
	sqlite3_stmt *blobref;
	const char *held;          /* held checkpoint text, or NULL */
	struct checkpoint held_cp;
};

static vigil_error
fail_seq(struct vstate *s, uint64_t seq, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static vigil_error
fail_seq(struct vstate *s, uint64_t seq, const char *check, const char *fmt, ...)
{
	const struct check_failure f = {
		&s->res->failed, &s->res->has_seq, &s->res->failed_seq, s->res->check,
	};
	vigil_error r;
	va_list ap;

	va_start(ap, fmt);
	r = check_vfail(&f, s->errbuf, seq, check, fmt, ap);
	va_end(ap);
	return r;
}

static bool
decode_key(json_t *body, const char *member, uint8_t *out, size_t len)
{
	const char *s = json_string_value(json_object_get(body, member));
	size_t n;

	return s && vigil_unb64(s, strlen(s), out, len, &n) && n == len;
}

/* Key entries: introduce a key with a valid proof of possession. */
static vigil_error
check_key_entry(struct vstate *s, uint64_t seq, struct entry_head *h,
		uint8_t new_pub[32])
{
	json_t *prev = json_object_get(h->body, "previous");
	char id[65], msg[80];
	uint8_t proof[64];

	if (!decode_key(h->body, "public_key", new_pub, 32))
		return fail_seq(s, seq, "key entry", "public_key is not 32 bytes of base64");
	if (!decode_key(h->body, "proof", proof, 64))
		return fail_seq(s, seq, "key entry", "proof is not 64 bytes of base64");
	vigil_key_id(new_pub, id);
	snprintf(msg, sizeof(msg), "vigil key v1 %s", id);
	if (!key_verify(new_pub, msg, strlen(msg), proof))
		return fail_seq(s, seq, "key entry", "proof of possession is invalid");
	if (seq == 0) {
		if (!json_is_null(prev))
			return fail_seq(s, seq, "key chain", "entry 0 must have previous null");
		return VIGIL_OK;
	}
	if (!json_is_string(prev) || strcmp(json_string_value(prev), s->cur_id) != 0)
		return fail_seq(s, seq, "key chain", "previous does not name the current key %.16s",
				s->cur_id);
	return VIGIL_OK;
}

/* A referenced blob must be stored, with the recorded size and hash. */
static vigil_error
check_blobref(struct vstate *s, uint64_t seq, json_t *ref)
{
	const char *hex = json_string_value(json_object_get(ref, "sha256"));
	json_int_t size = json_integer_value(json_object_get(ref, "size"));
	uint8_t h[32];
	char got[65];
	int rc;

	sqlite3_reset(s->blobref);
	sqlite3_bind_text(s->blobref, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->blobref);
	if (rc == SQLITE_DONE)
		return fail_seq(s, seq, "blob", "blob %s is missing", hex);
	if (rc != SQLITE_ROW)
		return ledger_sqlite_error(s->l->db, rc, s->l->path, s->errbuf);
	if (sqlite3_column_bytes(s->blobref, 0) != size)
		return fail_seq(s, seq, "blob", "blob %s has %d bytes, the entry says %lld",
				hex, sqlite3_column_bytes(s->blobref, 0), (long long)size);
	vigil_sha256(sqlite3_column_blob(s->blobref, 0), (size_t)size, h);
	vigil_hex(h, 32, got);
	if (strcmp(got, hex) != 0)
		return fail_seq(s, seq, "blob", "blob %s: content has SHA-256 %s", hex, got);
	s->res->blobs++;
	return VIGIL_OK;
}

static vigil_error
check_blobs_of(struct vstate *s, uint64_t seq, struct entry_head *h)
{
	json_t *payload = json_object_get(h->body, "payload");
	json_t *att = json_object_get(h->body, "attachments");
	vigil_error r = VIGIL_OK;

	if (json_is_object(payload))
		r = check_blobref(s, seq, payload);
	for (size_t i = 0; r == VIGIL_OK && i < json_array_size(att); i++)
		r = check_blobref(s, seq, json_array_get(att, i));
	return r;
}

/* Compare the tree so far with every stored checkpoint of this size, and
 * with the held checkpoint. */
static vigil_error
check_checkpoints(struct vstate *s)
{
	uint8_t root[32];
	int rc;

	merkle_range_root(&s->range, root);
	while (s->cp_pending &&
	       (uint64_t)sqlite3_column_int64(s->cps, 0) == s->range.size) {
		const char *note = (const char *)sqlite3_column_text(s->cps, 1);
		uint64_t size = s->range.size;
		struct checkpoint cp;

		if (!note || note_parse(note, strlen(note), &cp, NULL) != VIGIL_OK ||
		    cp.size != size)
			return fail_seq(s, size - 1, "checkpoint",
					"stored checkpoint for size %" PRIu64 " is malformed", size);
		if (strcmp(cp.origin, s->origin) != 0)
			return fail_seq(s, size - 1, "checkpoint",
					"checkpoint for size %" PRIu64 " names another ledger", size);
		if (sodium_memcmp(cp.root, root, 32) != 0 ||
		    sqlite3_column_bytes(s->cps, 2) != 32 ||
		    sodium_memcmp(sqlite3_column_blob(s->cps, 2), root, 32) != 0)
			return fail_seq(s, size - 1, "checkpoint",
					"tree of the first %" PRIu64 " entries does not match the checkpoint signed for that size",
					size);
		if (!note_verify(note, &cp, s->signer_pub))
			return fail_seq(s, size - 1, "checkpoint",
					"signature on the checkpoint for size %" PRIu64 " is invalid", size);
		s->res->checkpoints++;
		s->last_cp_size = size;
		rc = sqlite3_step(s->cps);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return ledger_sqlite_error(s->l->db, rc, s->l->path, s->errbuf);
		s->cp_pending = rc == SQLITE_ROW;
	}
	if (s->held && s->held_cp.size == s->range.size) {
		if (strcmp(s->held_cp.origin, s->origin) != 0)
			return fail_seq(s, UINT64_MAX, "held checkpoint",
					"it names ledger '%s', this is '%s'", s->held_cp.origin,
					s->origin);
		if (s->range.size == 0 || sodium_memcmp(s->held_cp.root, root, 32) != 0)
			return fail_seq(s, s->range.size ? s->range.size - 1 : UINT64_MAX,
					"held checkpoint",
					"the ledger does not extend the held checkpoint (size %" PRIu64
					"): entries were rewritten", s->held_cp.size);
		if (!note_verify(s->held, &s->held_cp, s->signer_pub))
			return fail_seq(s, s->range.size - 1, "held checkpoint",
					"signature is not by the ledger's key at that size");
		s->held = NULL;  /* proven */
	}
	return VIGIL_OK;
}

static vigil_error
check_entry(struct vstate *s, uint64_t seq, const uint8_t *bytes, size_t len,
	    const uint8_t *sig, int siglen)
{
	char prev_hex[65], detail[VIGIL_ERRBUF_SIZE] = "";
	uint8_t hash[32], leaf[32], new_pub[32];
	struct entry_head h;
	json_t *e = NULL;
	vigil_error r;
	int64_t t;

	r = jcs_parse_canonical((const char *)bytes, len, &e, detail);
	if (r != VIGIL_OK)
		return fail_seq(s, seq, "canonical JSON", "%s", detail);
	if (entry_head_parse(e, &h, detail) != VIGIL_OK) {
		r = fail_seq(s, seq, "entry format", "%s", detail);
		goto out;
	}
	if (h.seq != seq) {
		r = fail_seq(s, seq, "seq", "entry says seq %" PRIu64 " but is stored at %" PRIu64,
			     h.seq, seq);
		goto out;
	}
	vigil_hex(s->prev_hash, 32, prev_hex);
	if (strcmp(h.prev, prev_hex) != 0) {
		r = fail_seq(s, seq, "prev", "prev is not the hash of entry %" PRIu64 " %s",
			     seq - 1, seq ? "" : "(must be 64 zeros)");
		goto out;
	}
	vigil_parse_time(h.time, &t);
	if (t < s->prev_time) {
		r = fail_seq(s, seq, "time", "time %s is earlier than the previous entry's", h.time);
		goto out;
	}
	if (strcmp(h.kind, "key") == 0) {
		r = check_key_entry(s, seq, &h, new_pub);
		if (r != VIGIL_OK)
			goto out;
		if (seq == 0) {
			memcpy(s->cur_pub, new_pub, 32);
			vigil_key_id(new_pub, s->cur_id);
			note_origin(new_pub, s->origin);
		}
	} else if (seq == 0) {
		r = fail_seq(s, seq, "key chain", "entry 0 must be a key entry");
		goto out;
	}
	if (strcmp(h.key, s->cur_id) != 0) {
		r = fail_seq(s, seq, "key", "signed by key %.16s, but the key in force is %.16s",
			     h.key, s->cur_id);
		goto out;
	}
	if (siglen != 64 || !key_verify(s->cur_pub, bytes, len, sig)) {
		r = fail_seq(s, seq, "signature", "Ed25519 signature is invalid");
		goto out;
	}
	memcpy(s->signer_pub, s->cur_pub, 32);
	if (strcmp(h.kind, "key") == 0) {
		memcpy(s->cur_pub, new_pub, 32);
		vigil_key_id(new_pub, s->cur_id);
		s->res->keys++;
	}
	r = check_blobs_of(s, seq, &h);
	if (r != VIGIL_OK)
		goto out;
	vigil_sha256(bytes, len, hash);
	merkle_leaf_hash(bytes, len, leaf);
	memcpy(s->prev_hash, hash, 32);
	s->prev_time = t;
	merkle_range_append(&s->range, leaf);
	s->res->entries++;
	r = check_checkpoints(s);
out:
	json_decref(e);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_ledger_verify(vigil_ledger *l, const char *held_checkpoint,
		    vigil_verify_result *result, char *errbuf)
{
	struct vstate s;
	vigil_verify_result res;
	sqlite3_stmt *st = NULL;
	vigil_error r;
	uint64_t expect = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&res, 0, sizeof(res));
	s.l = l;
	s.res = &res;
	s.errbuf = errbuf;
	s.prev_time = INT64_MIN;
	merkle_range_init(&s.range);
	if (held_checkpoint) {
		char detail[VIGIL_ERRBUF_SIZE] = "";

		if (note_parse(held_checkpoint, strlen(held_checkpoint), &s.held_cp,
			       detail) != VIGIL_OK) {
			r = fail_seq(&s, UINT64_MAX, "held checkpoint", "%s", detail);
			goto out;
		}
		s.held = held_checkpoint;
	}
	r = ledger_prepare(l, "SELECT size, note, root FROM checkpoints ORDER BY size", &s.cps,
			   errbuf);
	if (r == VIGIL_OK)
		r = ledger_prepare(l, "SELECT data FROM blobs WHERE sha256 = ?", &s.blobref, errbuf);
	if (r == VIGIL_OK)
		r = ledger_prepare(l, "SELECT seq, bytes, sig FROM entries ORDER BY seq", &st, errbuf);
	if (r != VIGIL_OK)
		goto out;
	rc = sqlite3_step(s.cps);
	s.cp_pending = rc == SQLITE_ROW;
	if (s.cp_pending && sqlite3_column_int64(s.cps, 0) < 1) {
		r = fail_seq(&s, UINT64_MAX, "checkpoint", "a checkpoint of size 0 is stored");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);

		if (seq != expect) {
			r = fail_seq(&s, expect, "seq", "entry %" PRIu64 " is missing (next stored is %" PRIu64 ")",
				     expect, seq);
			goto out;
		}
		r = check_entry(&s, seq, sqlite3_column_blob(st, 1),
				(size_t)sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 2),
				sqlite3_column_bytes(st, 2));
		if (r != VIGIL_OK)
			goto out;
		expect++;
	}
	if (rc != SQLITE_DONE) {
		r = ledger_sqlite_error(l->db, rc, l->path, errbuf);
		goto out;
	}
	if (expect == 0) {
		r = fail_seq(&s, 0, "seq", "the ledger has no entries");
		goto out;
	}
	if (s.cp_pending) {
		r = fail_seq(&s, UINT64_MAX, "truncation",
			     "a checkpoint was signed for %lld entries but the ledger has %" PRIu64
			     ": entries were removed", (long long)sqlite3_column_int64(s.cps, 0), expect);
		goto out;
	}
	if (s.held) {
		r = fail_seq(&s, UINT64_MAX, "held checkpoint",
			     "the held checkpoint covers %" PRIu64 " entries but the ledger has only %"
			     PRIu64 ": it was truncated or is another ledger", s.held_cp.size, expect);
		goto out;
	}
	if (s.range.size != s.last_cp_size) {
		r = fail_seq(&s, s.last_cp_size, "checkpoint",
			     "entries %" PRIu64 "..%" PRIu64 " are not covered by any signed checkpoint",
			     s.last_cp_size, expect - 1);
		goto out;
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(s.cps);
	sqlite3_finalize(s.blobref);
	if (result)
		*result = res;
	return r;
}
