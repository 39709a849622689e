/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil-private.h - prototypes shared inside libvigil, grouped by file.
 * Nothing here is exported.
 */
#ifndef VIGIL_PRIVATE_H
#define VIGIL_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vigil.h"

#define VIGIL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* error.c */
/* Format a message into errbuf (if not NULL) and return err. */
vigil_error vigil_fail(char *errbuf, vigil_error err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* log.c */
void vigil_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...) vigil_log(VIGIL_LOG_ERR, __VA_ARGS__)
#define log_warn(...) vigil_log(VIGIL_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) vigil_log(VIGIL_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) vigil_log(VIGIL_LOG_INFO, __VA_ARGS__)
#define log_debug(...) vigil_log(VIGIL_LOG_DEBUG, __VA_ARGS__)

/* buf.c: a growable byte buffer with a hard maximum (curl's dynbuf). */
struct vbuf {
	char *data;     /* always NUL-terminated when not NULL */
	size_t len;
	size_t alloc;
	size_t max;     /* VIGIL_E_TOOBIG past this many bytes */
};
void vbuf_init(struct vbuf *b, size_t max);
void vbuf_free(struct vbuf *b);
void vbuf_reset(struct vbuf *b);
vigil_error vbuf_add(struct vbuf *b, const void *data, size_t len);
vigil_error vbuf_addc(struct vbuf *b, char c);
vigil_error vbuf_adds(struct vbuf *b, const char *s);
vigil_error vbuf_printf(struct vbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand the data over (caller frees); the buffer is left empty. */
char *vbuf_take(struct vbuf *b, size_t *len);

/* util.c */
void vigil_hex(const uint8_t *in, size_t len, char *out);  /* out: 2*len+1 */
bool vigil_unhex(const char *in, uint8_t *out, size_t len); /* exact length */
bool vigil_is_hex(const char *s, size_t len);
/* Standard base64 with padding; out must hold vigil_b64_len(len) bytes. */
size_t vigil_b64_len(size_t len);
void vigil_b64(const uint8_t *in, size_t len, char *out);
/* Decode standard padded base64; returns false if malformed or not exactly
 * `max`-bounded. *outlen receives the decoded length. */
bool vigil_unb64(const char *in, size_t inlen, uint8_t *out, size_t max,
		 size_t *outlen);
void vigil_sha256(const void *data, size_t len, uint8_t out[32]);
/* RFC 3339 UTC with milliseconds, e.g. 2026-11-22T12:36:59.778Z. */
void vigil_format_time(int64_t ms, char out[32]);
/* Parse RFC 3339 (any offset, optional fraction) into ms since the epoch. */
bool vigil_parse_time(const char *s, int64_t *ms);
int64_t vigil_now_ms(void);
bool vigil_utf8_valid(const char *s, size_t len);
/* Read a whole file of at most max bytes. */
vigil_error vigil_read_file(const char *path, size_t max, char **data,
			    size_t *len, char *errbuf);
/* Write a file atomically (temp file, fsync, rename, fsync dir). */
vigil_error vigil_write_file(const char *path, const void *data, size_t len,
			     int mode, char *errbuf);
vigil_error vigil_fsync_dir(const char *path);

/* escape.c: text for HTML and CSV readers. */
/* HTML-escape s (&, <, >, ", ') so it is safe as text and in attributes. */
vigil_error html_text(struct vbuf *b, const char *s);
/* CSV field per RFC 4180: always quoted, quotes doubled, a leading
 * apostrophe before = + - TAB CR, or @ with a '(' later (no formulas in
 * spreadsheets); a line ends in CRLF after the last field. */
vigil_error csv_field(struct vbuf *b, const char *s, bool last);
/* True if url is an absolute http(s) address with no space or control. */
bool url_linkable(const char *url);
/* The string member o.a (or o.a.b when b is not NULL), or "". */
const char *jstr(json_t *o, const char *a, const char *b);

/* review.c */
/* Clamp [*start, *end) to len bytes of UTF-8 text and widen it to whole
 * characters. */
void utf8_widen(const char *s, size_t len, size_t *start, size_t *end);

/* jcs.c: RFC 8785 canonical JSON for vigil's value types. */
/* Serialise `value` canonically; rejects reals and |n| >= 2^53. */
vigil_error jcs_serialize(const json_t *value, struct vbuf *out, char *errbuf);
/* Parse `bytes` strictly (no duplicate keys) and check they are canonical. */
vigil_error jcs_parse_canonical(const char *bytes, size_t len, json_t **out,
				char *errbuf);

/* merkle.c: RFC 9162 Merkle trees over 32-byte leaf hashes. */
#define MERKLE_MAX_PROOF 64
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[32]);
void merkle_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);
void merkle_empty_root(uint8_t out[32]);
/* Root over n leaf hashes (recursive definition; for tests and subsets). */
void merkle_root(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32]);
/* Compact range: the O(log n) state needed to append and get the root. */
struct merkle_range {
	uint64_t size;
	uint8_t stack[64][32];  /* perfect subtree roots, largest first */
	unsigned depth;
};
void merkle_range_init(struct merkle_range *r);
void merkle_range_append(struct merkle_range *r, const uint8_t leaf[32]);
void merkle_range_root(const struct merkle_range *r, uint8_t out[32]);
/* Proofs against a full array of leaf hashes. path receives up to
 * MERKLE_MAX_PROOF hashes; *pathlen their number. */
vigil_error merkle_inclusion_proof(const uint8_t (*leaves)[32], uint64_t n,
				   uint64_t index, uint8_t (*path)[32],
				   size_t *pathlen);
bool merkle_verify_inclusion(const uint8_t leaf[32], uint64_t index,
			     uint64_t size, const uint8_t (*path)[32],
			     size_t pathlen, const uint8_t root[32]);
vigil_error merkle_consistency_proof(const uint8_t (*leaves)[32], uint64_t n,
				     uint64_t m, uint8_t (*path)[32],
				     size_t *pathlen);
bool merkle_verify_consistency(uint64_t size1, uint64_t size2,
			       const uint8_t root1[32], const uint8_t root2[32],
			       const uint8_t (*path)[32], size_t pathlen);
/* A tree kept in memory level by level, for many proofs over one size. */
struct merkle_tree;
vigil_error merkle_tree_new(const uint8_t (*leaves)[32], uint64_t n,
			    struct merkle_tree **out);
void merkle_tree_free(struct merkle_tree *t);
void merkle_tree_root(const struct merkle_tree *t, uint8_t out[32]);
vigil_error merkle_tree_inclusion(const struct merkle_tree *t, uint64_t index,
				  uint8_t (*path)[32], size_t *pathlen);

/* key.c */
/* Sign `len` bytes; sig receives 64 bytes. */
void key_sign(const vigil_key *key, const void *msg, size_t len,
	      uint8_t sig[64]);
bool key_verify(const uint8_t pub[32], const void *msg, size_t len,
		const uint8_t sig[64]);
/* SPKI PEM text of a raw Ed25519 public key; out must hold 128 bytes. */
void key_pem(const uint8_t pub[32], char out[128]);

/* note.c: checkpoints as C2SP signed notes. */
struct checkpoint {
	char origin[64];
	uint64_t size;
	uint8_t root[32];
	uint8_t hint[4];
	uint8_t sig[64];
	size_t body_len;  /* bytes of the note covered by the signature */
};
void note_origin(const uint8_t first_key_pub[32], char out[32]);
void note_key_hint(const char *origin, const uint8_t pub[32], uint8_t out[4]);
/* Build and sign a note; caller frees the string. */
vigil_error note_sign(const vigil_key *key, const char *origin, uint64_t size,
		      const uint8_t root[32], char **out);
/* Parse a note strictly; does not check the signature. */
vigil_error note_parse(const char *text, size_t len, struct checkpoint *cp,
		       char *errbuf);
bool note_verify(const char *text, const struct checkpoint *cp,
		 const uint8_t pub[32]);

/* entry.c: reading entry members once parsed. */
struct entry_head {
	int64_t v;
	uint64_t seq;
	const char *prev;   /* borrowed from the json_t */
	const char *time;
	const char *key;
	const char *kind;
	json_t *body;
};
/* Check the shape of a parsed entry (members, types, kind-specific body).
 * On failure errbuf names the member. */
vigil_error entry_head_parse(json_t *entry, struct entry_head *h,
			     char *errbuf);
bool entry_kind_known(const char *kind);

/* ledger.c, append.c */
struct sqlite3;
struct sqlite3 *ledger_db(vigil_ledger *ledger);
vigil_error ledger_sqlite_error(struct sqlite3 *db, int rc, const char *what,
				char *errbuf);
/* Load all leaf hashes 0..n-1 (caller frees). */
vigil_error ledger_leaves(vigil_ledger *ledger, uint64_t n,
			  uint8_t (**leaves)[32]);
/* Now in ms, from the clock vigil_set_clock() installed (reports use it
 * too, so golden files stay fixed). */
int64_t vigil_clock_ms(void);
/* Add a parsed body (ownership of `body` passes to the batch). */
vigil_error batch_add_json(vigil_batch *batch, const char *kind, json_t *body,
			   char *errbuf);

#endif /* VIGIL_PRIVATE_H */
