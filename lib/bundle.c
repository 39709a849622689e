/* SPDX-License-Identifier: Apache-2.0 */
/* bundle.c - verify an export bundle offline: the checks of spec 3.1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bundle-int.h"

#define ENTRIES_MAX ((size_t)4 << 30)
#define BLOB_MAX ((size_t)1 << 30)
#define KEYS_MAX 4096

struct bkey {
	char id[65];
	uint8_t pub[32];
};

struct bstate {
	struct source src;
	vigil_bundle_result *res;
	char *errbuf;
	struct checkpoint cp;
	char *note;
	struct bkey keys[KEYS_MAX];   /* keys introduced by key entries, in order */
	uint64_t key_seq[KEYS_MAX];   /* seq of the key entry introducing each */
	size_t nkeys;
	char filed_ok[65];            /* last key whose keys/ files were checked */
	bool have_prev;
	uint64_t prev_seq;
	uint8_t prev_hash[32];
	int64_t prev_time;
};

static vigil_error
bfail(struct bstate *s, uint64_t seq, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static vigil_error
bfail(struct bstate *s, uint64_t seq, const char *check, const char *fmt, ...)
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

/* keys/<id>.pub must hold that key; .pem, if present, the same key. */
static vigil_error
read_key_file(struct bstate *s, uint64_t seq, const char *id, uint8_t pub[32])
{
	char rel[96], *data = NULL, *pem = NULL, id2[65], expect[128];
	size_t len, n;
	vigil_error r;

	snprintf(rel, sizeof(rel), "keys/%s.pub", id);
	r = source_read(&s->src, rel, 256, &data, &len, NULL);
	if (r != VIGIL_OK)
		return bfail(s, seq, "keys", "%s is missing", rel);
	/* One line: the base64 key and a newline. */
	if (len == 0 || data[len - 1] != '\n' || !vigil_unb64(data, len - 1, pub, 32, &n) ||
	    n != 32) {
		free(data);
		return bfail(s, seq, "keys", "%s is not one line of 32 bytes in base64", rel);
	}
	free(data);
	vigil_key_id(pub, id2);
	if (strcmp(id, id2) != 0)
		return bfail(s, seq, "keys", "%s holds key %.16s, not the key it is named after",
			     rel, id2);
	snprintf(rel, sizeof(rel), "keys/%s.pem", id);
	if (source_read(&s->src, rel, 1024, &pem, &len, NULL) != VIGIL_OK)
		return bfail(s, seq, "keys", "%s is missing", rel);
	key_pem(pub, expect);
	n = strlen(expect);
	r = len == n && memcmp(pem, expect, n) == 0 ? VIGIL_OK
		: bfail(s, seq, "keys", "%s does not hold the key of %s.pub", rel, id);
	free(pem);
	return r;
}

static vigil_error
check_blob(struct bstate *s, uint64_t seq, json_t *ref)
{
	const char *hex = json_string_value(json_object_get(ref, "sha256"));
	json_int_t size = json_integer_value(json_object_get(ref, "size"));
	char rel[80], got[65], *data = NULL;
	uint8_t h[32];
	size_t len;

	snprintf(rel, sizeof(rel), "blobs/%s", hex);
	if (source_read(&s->src, rel, BLOB_MAX, &data, &len, NULL) != VIGIL_OK)
		return bfail(s, seq, "blob", "%s is missing", rel);
	vigil_sha256(data, len, h);
	free(data);
	vigil_hex(h, 32, got);
	if (strcmp(got, hex) != 0)
		return bfail(s, seq, "blob", "%s has SHA-256 %s", rel, got);
	if ((json_int_t)len != size)
		return bfail(s, seq, "blob", "%s has %zu bytes, the entry says %lld", rel, len,
			     (long long)size);
	s->res->blobs++;
	return VIGIL_OK;
}

/* Keys and signature: the entry must be signed by the key in force. */
static vigil_error
check_keys(struct bstate *s, uint64_t seq, struct entry_head *h, const uint8_t *bytes,
	   size_t len, const uint8_t sig[64])
{
	uint8_t pub[32], signer[32], proof[64];
	const char *pk, *pr;
	char id[65], msg[80];
	size_t n;

	if (s->nkeys == 0 && (seq != 0 || strcmp(h->kind, "key") != 0))
		return bfail(s, seq, "key chain", "the bundle must start with key entry 0");
	if (strcmp(h->kind, "key") == 0) {
		json_t *prev = json_object_get(h->body, "previous");

		pk = json_string_value(json_object_get(h->body, "public_key"));
		pr = json_string_value(json_object_get(h->body, "proof"));
		if (!pk || !vigil_unb64(pk, strlen(pk), pub, 32, &n) || n != 32 ||
		    !pr || !vigil_unb64(pr, strlen(pr), proof, 64, &n) || n != 64)
			return bfail(s, seq, "key entry", "malformed public_key or proof");
		vigil_key_id(pub, id);
		snprintf(msg, sizeof(msg), "vigil key v1 %s", id);
		if (!key_verify(pub, msg, strlen(msg), proof))
			return bfail(s, seq, "key entry", "proof of possession is invalid");
		if (s->nkeys == 0 ? !json_is_null(prev)
		    : !json_is_string(prev) || strcmp(json_string_value(prev), s->keys[s->nkeys - 1].id))
			return bfail(s, seq, "key chain", "previous does not name the key before it");
		if (s->nkeys == KEYS_MAX)
			return bfail(s, seq, "key chain", "more than %d keys", KEYS_MAX);
		if (s->nkeys == 0)
			memcpy(signer, pub, 32);
		else
			memcpy(signer, s->keys[s->nkeys - 1].pub, 32);
	} else {
		memcpy(signer, s->keys[s->nkeys - 1].pub, 32);
	}
	vigil_key_id(signer, id);
	if (strcmp(h->key, id) != 0)
		return bfail(s, seq, "key", "signed by %.16s, but the key in force is %.16s "
			     "(is a key entry missing?)", h->key, id);
	if (strcmp(s->filed_ok, h->key) != 0) {
		uint8_t filed[32];
		vigil_error r = read_key_file(s, seq, h->key, filed);

		if (r != VIGIL_OK)
			return r;
		if (memcmp(filed, signer, 32) != 0)
			return bfail(s, seq, "keys", "keys/%s.pub differs from the key entry", h->key);
		memcpy(s->filed_ok, h->key, 65);
	}
	if (!key_verify(signer, bytes, len, sig))
		return bfail(s, seq, "signature", "Ed25519 signature is invalid");
	if (strcmp(h->kind, "key") == 0) {
		memcpy(s->keys[s->nkeys].pub, pub, 32);
		vigil_key_id(pub, s->keys[s->nkeys].id);
		s->key_seq[s->nkeys++] = seq;
	}
	return VIGIL_OK;
}

static vigil_error
decode_field(json_t *row, const char *name, uint8_t *out, size_t max, size_t *len)
{
	json_t *v = json_object_get(row, name);

	if (!json_is_string(v) ||
	    !vigil_unb64(json_string_value(v), json_string_length(v), out, max, len))
		return VIGIL_E_PARSE;
	return VIGIL_OK;
}

static vigil_error
check_line(struct bstate *s, const char *line, size_t linelen, uint64_t lineno)
{
	uint8_t sig[64], leaf[32], path[MERKLE_MAX_PROOF][32], *bytes = NULL;
	char detail[VIGIL_ERRBUF_SIZE] = "", prev_hex[65];
	json_t *row, *seqv, *proof, *e = NULL;
	struct entry_head h;
	size_t len, n, pathlen;
	uint64_t seq;
	vigil_error r = VIGIL_OK;
	int64_t t;

	row = json_loadb(line, linelen, JSON_REJECT_DUPLICATES, NULL);
	seqv = json_object_get(row, "seq");
	if (!json_is_integer(seqv) || json_integer_value(seqv) < 0) {
		r = bfail(s, UINT64_MAX, "entries.jsonl",
			  "line %" PRIu64 ": not an object with an integer seq", lineno);
		goto out;
	}
	seq = (uint64_t)json_integer_value(seqv);
	if (s->have_prev && seq <= s->prev_seq) {
		r = bfail(s, seq, "order", "line %" PRIu64 ": seq not ascending", lineno);
		goto out;
	}
	if (seq >= s->cp.size) {
		r = bfail(s, seq, "checkpoint", "seq is beyond the checkpoint's size %" PRIu64,
			  s->cp.size);
		goto out;
	}
	proof = json_object_get(row, "proof");
	len = json_string_length(json_object_get(row, "entry"));
	bytes = malloc(len + 1);
	if (!bytes) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	if (decode_field(row, "entry", bytes, len + 1, &len) != VIGIL_OK) {
		r = bfail(s, seq, "entries.jsonl", "entry is not base64");
		goto out;
	}
	if (decode_field(row, "sig", sig, 64, &n) != VIGIL_OK || n != 64) {
		r = bfail(s, seq, "signature", "sig is not 64 bytes of base64");
		goto out;
	}
	if (!json_is_array(proof) || json_array_size(proof) > MERKLE_MAX_PROOF) {
		r = bfail(s, seq, "inclusion proof", "proof is not a list of hashes");
		goto out;
	}
	pathlen = json_array_size(proof);
	for (size_t i = 0; i < pathlen; i++) {
		json_t *p = json_array_get(proof, i);

		if (!json_is_string(p) ||
		    !vigil_unb64(json_string_value(p), json_string_length(p), path[i], 32, &n) ||
		    n != 32) {
			r = bfail(s, seq, "inclusion proof", "proof hash %zu is not 32 bytes of base64", i);
			goto out;
		}
	}
	if (jcs_parse_canonical((const char *)bytes, len, &e, detail) != VIGIL_OK) {
		r = bfail(s, seq, "canonical JSON", "%s", detail);
		goto out;
	}
	if (entry_head_parse(e, &h, detail) != VIGIL_OK) {
		r = bfail(s, seq, "entry format", "%s", detail);
		goto out;
	}
	if (h.seq != seq) {
		r = bfail(s, seq, "seq", "the entry says seq %" PRIu64, h.seq);
		goto out;
	}
	r = check_keys(s, seq, &h, bytes, len, sig);
	if (r != VIGIL_OK)
		goto out;
	merkle_leaf_hash(bytes, len, leaf);
	if (!merkle_verify_inclusion(leaf, seq, s->cp.size, path, pathlen, s->cp.root)) {
		r = bfail(s, seq, "inclusion proof", "does not lead to the checkpoint's root");
		goto out;
	}
	vigil_parse_time(h.time, &t);
	if (seq == 0 || (s->have_prev && seq == s->prev_seq + 1)) {
		if (seq == 0)
			memset(s->prev_hash, 0, 32);
		vigil_hex(s->prev_hash, 32, prev_hex);
		if (strcmp(prev_hex, h.prev) != 0) {
			r = bfail(s, seq, "prev", "prev is not the hash of entry %" PRIu64, seq - 1);
			goto out;
		}
		if (seq > 0 && t < s->prev_time) {
			r = bfail(s, seq, "time", "time goes back from entry %" PRIu64, seq - 1);
			goto out;
		}
	}
	{
		json_t *payload = json_object_get(h.body, "payload");
		json_t *att = json_object_get(h.body, "attachments");

		if (json_is_object(payload))
			r = check_blob(s, seq, payload);
		for (size_t i = 0; r == VIGIL_OK && i < json_array_size(att); i++)
			r = check_blob(s, seq, json_array_get(att, i));
		if (r != VIGIL_OK)
			goto out;
	}
	vigil_sha256(bytes, len, s->prev_hash);
	s->prev_time = t;
	s->prev_seq = seq;
	s->have_prev = true;
	s->res->entries++;
out:
	json_decref(e);
	json_decref(row);
	free(bytes);
	return r;
}

/* keys/ holds only <key id>.pub and <key id>.pem files. */
static bool
key_file_named_well(const char *name, void *userdata)
{
	char *bad = userdata;
	size_t n = strlen(name);

	if (n == 68 && vigil_is_hex(name, 64) &&
	    (strcmp(name + 64, ".pub") == 0 || strcmp(name + 64, ".pem") == 0))
		return true;
	snprintf(bad, 128, "%s", name);
	return false;
}

/* The key that signed entry size-1: the newest key introduced before it. */
static const struct bkey *
checkpoint_key(struct bstate *s)
{
	const struct bkey *k = NULL;

	for (size_t i = 0; i < s->nkeys; i++)
		if (i == 0 || s->key_seq[i] < s->cp.size - 1)
			k = &s->keys[i];
	return k;
}

VIGIL_EXPORT vigil_error
vigil_bundle_verify(const char *path, const char *expected_key_id,
		    vigil_bundle_result *result, char *errbuf)
{
	struct bstate *s = calloc(1, sizeof(*s));
	vigil_bundle_result res;
	char *entries = NULL, detail[VIGIL_ERRBUF_SIZE] = "";
	const struct bkey *ck;
	size_t len, nlen;
	uint64_t lineno = 0;
	vigil_error r;

	memset(&res, 0, sizeof(res));
	if (!s)
		return VIGIL_E_NOMEM;
	s->res = &res;
	s->errbuf = errbuf;
	r = source_open(&s->src, path, detail);
	if (r == VIGIL_E_PARSE || r == VIGIL_E_TOOBIG) {
		r = bfail(s, UINT64_MAX, "bundle", "%s", detail);
		goto out;
	} else if (r != VIGIL_OK) {
		vigil_fail(errbuf, r, "%s", detail);
		goto out;
	}
	if (source_read(&s->src, "checkpoint.txt", 8192, &s->note, &nlen, detail) != VIGIL_OK ||
	    note_parse(s->note, nlen, &s->cp, detail) != VIGIL_OK) {
		r = bfail(s, UINT64_MAX, "checkpoint", "checkpoint.txt: %s", detail);
		goto out;
	}
	res.checkpoint_size = s->cp.size;
	{
		char bad[128] = "";

		if (source_list(&s->src, "keys", key_file_named_well, bad) == VIGIL_E_VERIFY) {
			r = bfail(s, UINT64_MAX, "keys", "keys/%s: the name is not a key id", bad);
			goto out;
		}
	}
	if (source_read(&s->src, "entries.jsonl", ENTRIES_MAX, &entries, &len, detail) != VIGIL_OK) {
		r = bfail(s, UINT64_MAX, "entries.jsonl", "%s", detail);
		goto out;
	}
	for (const char *p = entries, *end = entries + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (l > 0) {
			r = check_line(s, p, l, lineno);
			if (r != VIGIL_OK)
				goto out;
		}
		p += l + 1;
	}
	if (res.entries == 0) {
		r = bfail(s, UINT64_MAX, "entries.jsonl", "no entries");
		goto out;
	}
	/* Check 1, once the key chain is known. */
	ck = checkpoint_key(s);
	if (!ck || !note_verify(s->note, &s->cp, ck->pub)) {
		r = bfail(s, UINT64_MAX, "checkpoint",
			  "signature is not valid under the key in force at entry %" PRIu64,
			  s->cp.size - 1);
		goto out;
	}
	{
		uint8_t filed[32];
		char origin[32];

		note_origin(s->keys[0].pub, origin);
		if (strcmp(origin, s->cp.origin) != 0) {
			r = bfail(s, UINT64_MAX, "checkpoint", "origin '%s' is not this ledger's '%s'",
				  s->cp.origin, origin);
			goto out;
		}
		r = read_key_file(s, UINT64_MAX, ck->id, filed);
		if (r != VIGIL_OK)
			goto out;
	}
	memcpy(res.key_id, ck->id, 65);
	if (expected_key_id && strcmp(expected_key_id, ck->id) != 0) {
		r = bfail(s, UINT64_MAX, "expected key",
			  "the checkpoint is signed by %s, not by the expected %s", ck->id,
			  expected_key_id);
		goto out;
	}
out:
	free(entries);
	if (s) {
		free(s->note);
		source_close(&s->src);
		free(s);
	}
	if (result)
		*result = res;
	return r;
}
