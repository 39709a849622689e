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

/* FNV-1a over n bytes, from h (FNV_BASIS to start): the hash of the
 * open-addressing tables (literals, rule-phrase words, posts seen). */
#define FNV_BASIS 2166136261u
static inline uint32_t
fnv1a(uint32_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 16777619u;
	return h;
}

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
/* Is `word` one of the space-separated words of `list`? */
bool vigil_has_word(const char *list, const char *word);
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
const char *text_at(json_t *o, const char *a, const char *b);

/* review.c */
/* Clamp [*start, *end) to len bytes of UTF-8 text and widen it to whole
 * characters. */
void utf8_widen(const char *s, size_t len, size_t *start, size_t *end);

/* jcs.c: RFC 8785 canonical JSON for vigil's value types. */
/* Serialise `value` canonically; rejects reals and |n| >= 2^53. */
vigil_error jcs_serialize(const json_t *value, struct vbuf *out, char *errbuf);
/* The same for a value that will sit `depth` levels inside another (the
 * nesting limit counts from the outermost value). */
vigil_error jcs_serialize_nested(const json_t *value, int depth, struct vbuf *out,
				 char *errbuf);
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
/* The first failed check of a verification: what verify.c and bundle.c
 * report, into the failure fields of their result and errbuf. */
struct check_failure {
	bool *failed;
	bool *has_seq;
	uint64_t *failed_seq;
	char *check;        /* 48 bytes */
};
vigil_error check_vfail(const struct check_failure *f, char *errbuf, uint64_t seq,
			const char *check, const char *fmt, va_list ap);


/* config.c */
/* vigil_config_load() on `size` bytes in memory, named `name` in messages
 * (the fuzz target's way in). */
vigil_error config_load_buffer(const char *name, const char *data, size_t size,
			       vigil_config **out, vigil_conf_problem_fn problem, void *userdata,
			       char *errbuf);

/* ingest.c */
/* A capture entry for a post fetched by a connector; its payload bytes are
 * the blob, byte for byte. */
vigil_error ingest_post(vigil_batch *batch, const vigil_classifier *classifier,
			const vigil_post *post, const char *source, const char *clinician,
			char *errbuf);

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
/* Take back the entry added last. */
void batch_drop_last(vigil_batch *batch);

/* jdoc.c: a fast, strict, read-only JSON reader (a token tape). */
enum jtype { JNULL, JFALSE, JTRUE, JNUMBER, JSTRING, JARRAY, JOBJECT };
struct jtok {
	uint8_t type;
	uint32_t start, len;   /* the value's bytes in the original text */
	uint32_t count;        /* arrays: elements; objects: members */
	uint32_t next;         /* index of the token after this value */
};
struct jdoc {
	const char *text;      /* the caller's text, not owned */
	size_t len;
	char *copy;            /* strings unescaped and NUL-terminated here */
	struct jtok *tok;      /* tok[0] is the root; object members are
				* a key token followed by the value */
	size_t n, alloc;
};
typedef int32_t jref;          /* a token index; JNONE: absent */
#define JNONE ((jref)-1)
/* `text` must outlive the document (spans point into it). */
vigil_error jdoc_parse(const char *text, size_t len, struct jdoc **out,
		       char *errbuf);
void jdoc_free(struct jdoc *d);
/* jdoc_free(), wiping the document's copy of the text first: for answers
 * that hold tokens. */
void jdoc_wipe_free(struct jdoc *d);
jref jd_get(const struct jdoc *d, jref obj, const char *key);
/* A dotted member path such as "author.did". */
jref jd_path(const struct jdoc *d, jref v, const char *path);
jref jd_index(const struct jdoc *d, jref arr, size_t index);
/* A string's decoded text (borrowed), or NULL if v is not a string. */
const char *jd_str(const struct jdoc *d, jref v);
bool jd_num(const struct jdoc *d, jref v, double *out);
static inline bool
jd_is(const struct jdoc *d, jref v, enum jtype t)
{
	return v != JNONE && d->tok[v].type == t;
}
static inline size_t
jd_count(const struct jdoc *d, jref v)
{
	return v == JNONE ? 0 : d->tok[v].count;
}
#define jd_gets(d, obj, key) jd_str((d), jd_get((d), (obj), (key)))
#define jd_paths(d, obj, path) jd_str((d), jd_path((d), (obj), (path)))
/* Iterate over an array's elements: i counts, v is each element. */
#define jd_foreach(d, arr, i, v) \
	for ((i) = 0, (v) = jd_is((d), (arr), JARRAY) ? (arr) + 1 : JNONE; \
	     (i) < jd_count((d), (arr)) && jd_is((d), (arr), JARRAY); \
	     (i)++, (v) = (jref)(d)->tok[(v)].next)

/* html.c */
/* Text never outgrows this: a NUL byte (1) becomes U+FFFD (3). */
#define HTML_TEXT_MAX(len) ((len) * 3 + 64)
vigil_error html_to_text(const char *html, size_t len, struct vbuf *out);

/* http.c: one transfer on libcurl. */
/* Initialise libcurl, once, with memory functions that wipe what they
 * free; before any other libcurl call that allocates (curl_easy_init()). */
void http_global_init(void);
struct http_options {
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response;
	const char *user_agent;
	const char *ca_file;          /* CA certificates to trust instead of the
				       * system's (PEM), or NULL */
};
struct http_request {
	char *url;
	const char *method;           /* NULL: GET */
	struct curl_slist *headers;   /* may hold secrets: wiped on clear */
	char *body;                   /* POST body, may hold secrets */
	size_t body_len;
};
struct http_response {
	long status;                  /* 0: no response */
	struct vbuf body;
	struct vbuf headers;          /* "name: value\r\n" of the last response */
	vigil_error error;            /* transport outcome */
	char message[VIGIL_ERRBUF_SIZE];
};
struct http_xfer {
	void *easy;                   /* CURL * */
	struct http_request req;
	struct http_response resp;
	char curl_error[256];
	bool toobig;
};
/* https, or http to a loopback host only. */
vigil_error http_check_url(const char *url, char *errbuf);
bool http_host_is_loopback(const char *host);
void http_request_clear(struct http_request *req);
/* Set method and URL (printf format); clears headers and body. */
vigil_error http_request_url(struct http_request *req, const char *method,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
vigil_error http_request_header(struct http_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Take ownership of body (it is wiped and freed on clear). */
void http_request_body(struct http_request *req, char *body, size_t len);
/* Percent-encode for a query value; caller frees. */
char *http_escape(const char *s);
void http_response_init(struct http_response *resp, size_t max);
void http_response_clear(struct http_response *resp);
/* Value of the last header `name` (case-insensitive), copied into buf. */
const char *http_header(const struct http_response *resp, const char *name,
			char *buf, size_t size);
/* The Location of a redirect, printable and without its query, in buf;
 * NULL if there is none. */
const char *http_redirect_target(const struct http_response *resp, char *buf,
				 size_t size);
/* The Content-Type (printable) in buf when the response says it is not
 * JSON (application/json, text/json, +json); NULL otherwise. */
const char *http_not_json(const struct http_response *resp, char *buf,
			  size_t size);
void http_xfer_init(struct http_xfer *x, size_t max_response);
/* Create the easy handle for x->req; the caller adds it to a multi handle
 * or calls http_xfer_perform(). */
vigil_error http_xfer_prepare(struct http_xfer *x, const struct http_options *o,
			      char *errbuf);
/* The TLS settings of every curl easy handle (https, smtps, STARTTLS):
 * peer and host verification on, against the CAs in `ca_file` (PEM)
 * instead of the system's unless it is NULL, and OpenSSL set to wipe the
 * plaintext it receives (SSL_OP_CLEANSE_PLAINTEXT). After
 * http_global_init(). */
void http_set_tls(void *easy, const char *ca_file);
/* Record the outcome of a finished transfer (code is a CURLcode). */
void http_xfer_done(struct http_xfer *x, int code);
vigil_error http_xfer_perform(struct http_xfer *x, const struct http_options *o,
			      char *errbuf);
void http_xfer_clear(struct http_xfer *x);

/* ratelimit.c */
enum rl_style { RL_MASTODON, RL_BLUESKY, RL_X, RL_REDDIT, RL_YOUTUBE };
struct rl_state {
	unsigned failures;            /* consecutive failed requests */
	int64_t next_ms;              /* no request before this time */
};
struct rl_info {
	bool has_remaining;
	double remaining;
	double limit;
	int64_t reset_ms;             /* 0: unknown */
	int64_t retry_after_ms;       /* 0: none given */
};
/* Read a platform's rate-limit headers. */
void rl_parse(enum rl_style style, const struct http_response *resp,
	      int64_t now_ms, struct rl_info *info);
/* Retry-After: delay seconds or an HTTP date; 0 if absent or malformed. */
int64_t rl_retry_after(const char *value, int64_t now_ms);
/* Delay before attempt `failures` (1, 2, ...): exponential with jitter. */
int64_t rl_backoff_ms(unsigned failures, uint32_t random);
/* Classify a finished response, update `st` and say when the next request
 * may be made. Returns VIGIL_OK for 2xx, otherwise the error to report
 * with a message in errbuf. `what` names the request for messages. */
vigil_error rl_account(enum rl_style style, struct rl_state *st,
		       const struct http_response *resp, int64_t now_ms,
		       const char *what, char *errbuf);

/* post.c */
vigil_post *post_new(const char *platform);
/* Set a string member from `s` (NULL or "" leave it NULL). */
vigil_error post_set(char **field, const char *s);
vigil_error post_setf(char **field, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* RFC 3339 time in any offset -> UTC; false if malformed. */
vigil_error post_set_time(vigil_post *p, const char *rfc3339);
vigil_error post_set_html(char **field, const char *html);
vigil_error post_add_attachment(vigil_post *p, const char *url,
				const char *type);
vigil_error post_set_payload(vigil_post *p, const char *bytes, size_t len);
/* Borrowed string member of obj, or NULL. */
const char *jstr(const json_t *obj, const char *key);

/* connector.c: the table every platform fills, and the walk. */
struct walk {
	char *since;    /* mark of the newest post stored before this walk */
	char *top;      /* mark of the newest post of this walk */
	char *next;     /* platform page token to continue the walk */
};
struct parsed_page {
	vigil_post **posts;
	size_t n, alloc;
	char *top;      /* mark of the first (newest) item on the page */
	char *next;     /* next (older) page token, or NULL */
	bool reached;   /* the page reached walk->since */
};
/* A mark is "<key>" or "<key> <RFC 3339 time>". True if an item with this
 * key and time (ms, or INT64_MIN) is at or older than `since`. */
bool mark_reached(const char *since, const char *key, int64_t time_ms);
char *mark_make(const char *key, const char *time);
/* Takes the post, also on failure; a post without an id or an author is
 * dropped with a warning. */
vigil_error page_add(struct parsed_page *pp, vigil_post *post);
void parsed_page_clear(struct parsed_page *pp);
/* Parse a page body; *items is the array at `path` (JNONE if absent).
 * Each item's raw bytes are its token's span in resp->body. On failure
 * errbuf says where. Free *doc with jdoc_free(). */
vigil_error page_load(const struct http_response *resp, const char *const *path,
		      const char *what, struct jdoc **doc, jref *items,
		      char *errbuf);
/* Parse a whole answer (an existence check's) as JSON; errbuf names
 * `what` and says whether it was not JSON at all. */
/* The outcome of parsing an existence check's post into *current: a
 * post that does not parse exists all the same, with *current NULL. */
vigil_error exists_current(vigil_error r, vigil_post **current);
vigil_error answer_load(const struct http_response *resp, const char *what,
			struct jdoc **doc, char *errbuf);

struct connector {
	const char *name;
	enum rl_style rl;
	/* Check the source's options and secret; fill defaults. */
	vigil_error (*setup)(vigil_source *src, char *errbuf);
	/* NULL when the platform needs no login step. */
	bool (*needs_auth)(const vigil_source *src);
	vigil_error (*auth_request)(vigil_source *src, struct http_request *req,
				    char *errbuf);
	vigil_error (*auth_parse)(vigil_source *src,
				  const struct http_response *resp,
				  char *errbuf);
	/* True if the response says the session expired (log in again). */
	bool (*auth_expired)(vigil_source *src, const struct http_response *resp);
	vigil_error (*page_request)(vigil_source *src, const struct walk *w,
				    struct http_request *req, char *errbuf);
	vigil_error (*page_parse)(vigil_source *src, const struct walk *w,
				  const struct http_response *resp,
				  struct parsed_page *out, char *errbuf);
	vigil_error (*exists_request)(vigil_source *src, const char *id,
				      struct http_request *req, char *errbuf);
	/* Sets *exists; when the post is there and the answer carries it,
	 * *current is the post as it reads now (parsed as a page item is,
	 * its payload the whole answer), else NULL. */
	vigil_error (*exists_parse)(vigil_source *src, const char *id,
				    const struct http_response *resp,
				    bool *exists, vigil_post **current,
				    char *errbuf);
};

struct vigil_source {
	const struct connector *conn;
	char *base_url, *auth_url, *query, *account, *channel, *video;
	bool search;
	char *secret;                 /* token file contents (secret memory) */
	size_t secret_len;
	char *bearer;                 /* session token from auth (secret memory) */
	char *refresh;                /* Bluesky refresh token (secret memory) */
	char *did;                    /* Bluesky account DID */
	char *session_file;           /* Bluesky session cache, or NULL */
	char *ca_file;                /* CA certificates (PEM), or NULL */
	int64_t bearer_expires_ms;
	unsigned page_size;
	struct http_options http;
	char *user_agent;             /* a platform's own, or NULL: vigil's */
	struct rl_state rl;
	bool busy;
};

extern const struct connector conn_mastodon, conn_bluesky, conn_x,
	conn_reddit, conn_youtube;
const struct connector *connector_find(const char *name);
/* Decode and encode opaque cursors. */
vigil_error walk_decode(const char *cursor, struct walk *w, char *errbuf);
void walk_clear(struct walk *w);
/* Does this stored cursor hold a walk that has pages left? */
bool walk_in_progress(const char *cursor);
/* The page result of one parsed page of walk `w`. */
vigil_error walk_advance(const struct walk *w, struct parsed_page *pp,
			 vigil_page **out);
/* Append "?name=value" or "&name=value" (value percent-encoded) to q;
 * a NULL value adds nothing. */
vigil_error query_add(struct vbuf *q, const char *name, const char *value);
/* Set req to GET base_url + path + query. */
vigil_error req_get(struct http_request *req, const vigil_source *src,
		    const char *path, const struct vbuf *query);
/* Mark from a key and an RFC 3339 time, for client-side stops. */
/* Secret strings live in sodium_malloc() memory (out of core dumps,
 * wiped on free): each of these returns one, or NULL; free it with
 * secret_free() (NULL is a no-op), never with free(). */
char *secret_alloc(size_t size);
char *secret_strndup(const char *s, size_t n);
char *secret_strdup(const char *s);
char *secret_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void secret_free(char *s);
/* Read a secret file: bounded, refused if group/other may read it; read
 * into secret memory without a stdio buffer. */
vigil_error secret_read(const char *path, char **out, size_t *len,
			char *errbuf);
/* Value of "key=value" line in a secret, in secret memory. */
char *secret_field(const char *secret, const char *key);
/* A heap string that held a secret: wiped, then free()d. NULL is a no-op. */
void wipe_free(char *s);
/* Zero the calling thread's vector registers, where copies of secrets
 * linger (x86-64; elsewhere nothing yet). Before a thread sleeps. */
void secret_wipe_registers(void);
/* normalize.c: folded text with a map back to original byte offsets. */
#define NORM_MAX (16u << 20)  /* longest text normalised, in bytes */
struct nunit;
struct literal;
struct hits;
/* Single-word rule literals that may resolve a masked word ("f*ck"). */
struct norm_vocab {
	const struct literal *lits;
	uint32_t *ids;
	uint8_t *lens;    /* word length of each, without the leading space */
	size_t n;
	/* Every word of two letters or more in a positive rule literal,
	 * phrases included ("in the ground": in, the, ground): the pieces a
	 * word spelled out letter by letter may be cut into. A set, open
	 * addressing; wtab[] holds offsets into words[] (whose first byte is
	 * not used), 0 when free. */
	char *words;      /* each NUL-terminated */
	uint32_t *wtab;
	size_t wcap;
	/* The one-word literals of ids[] again, for norm_vocab_word(): open
	 * addressing on the word, 1 + index into ids[], 0 when free. */
	uint32_t *itab;
	size_t icap;
};
struct norm {
	char *text;       /* " word word ", NUL-terminated */
	uint32_t *start;  /* per text byte: first original byte it came from;
			   * start[len] is the original length, and the space
			   * after a word starts where the word ends */
	size_t len;
	size_t alloc;
	struct nunit *units;
	size_t nunits;
	bool invalid;     /* the input held bytes that are not UTF-8 */
	size_t ndigits;   /* digits in text */
};
void norm_init(struct norm *n);
void norm_free(struct norm *n);
/* Normalise `text`; masked words ("f*ck") are resolved against `vocab`
 * (may be NULL). Buffers are reused between calls. */
vigil_error norm_run(struct norm *n, const char *text, size_t len,
		     const struct norm_vocab *vocab);
/* norm_run() without its fast paths, for the tests that compare them:
 * general, every text through the units (what non-ASCII text takes; on
 * ASCII text it places offsets as the fast path does, and may only join
 * single letters split by symbols differently); bytes, the ASCII path a
 * byte at a time (what its 16-byte letter runs must agree with, byte for
 * byte). */
vigil_error norm_run_general(struct norm *n, const char *text, size_t len,
			     const struct norm_vocab *vocab);
vigil_error norm_run_bytes(struct norm *n, const char *text, size_t len,
			   const struct norm_vocab *vocab);
/* Index of the first text byte whose original start is >= orig. */
size_t norm_to_text_offset(const struct norm *n, size_t orig);

/* rules.c: rule files. */
enum { CAT_THREAT, CAT_SEXUAL, CAT_DOXXING, CAT_HATE, CAT_INSULT, CAT_N };
enum det_kind {
	DET_NONE, DET_PHONE, DET_SPELLED_PHONE, DET_ADDRESS, DET_EMAIL,
	DET_PERSONAL_EMAIL, DET_PLATE, DET_DATE, DET_IDNUM, DET_TIME,
	DET_CLINICIAN, DET_QUOTE, DET_N,
};
#define LIT_MAX_PARTS 4
#define LIT_GAP_MAX 3   /* words a '*' in a phrase may stand for */
struct literal {
	char *text;       /* normalised, with a leading space: " kill you" */
	uint8_t prefix;   /* matches longer words too ("kill*") */
	uint8_t nwords;
	uint8_t det;      /* enum det_kind; DET_NONE for words */
	uint8_t positive; /* used by a rule with a positive weight */
	int8_t dword;     /* a digit spelled out ("five"): its value, else -1 */
	uint8_t nparts;   /* a phrase with gaps ("smash * face"): its parts */
	uint32_t part[LIT_MAX_PARTS];
};
/* struct ruleset's litflags: what the hit loops ask of a literal, in one
 * byte each (5 KB for the default rules, where struct literal is 170 KB). */
#define LIT_F_DWORD 1u  /* a digit spelled out (dword >= 0) */
#define LIT_F_COMP 2u   /* starts a phrase with gaps (ncomp > 0) */
struct element {
	uint32_t *lits;   /* sorted literal ids */
	size_t n;
};
enum { OP_AFTER, OP_NEAR };
struct rule {
	char *id;
	int cat;          /* -1 for a quote rule */
	int weight;       /* 0 for a quote rule */
	int qelem;        /* a quote rule: its element holding %quote; else -1 */
	size_t nelem;
	struct element *elem;
	uint8_t *op;      /* nelem - 1 operators */
	uint8_t *dist;    /* nelem - 1 word distances */
	uint32_t reach;   /* context: words it reaches, REACH_POST for all */
	bool uncapped;    /* context: set against evidence before its cap */
	bool firm;        /* evidence: no context explains it away */
};
#define REACH_MAX 1000          /* the most a rule may say */
#define REACH_POST UINT32_MAX   /* `reach post`: the whole post */
#define REACH_NEAR 50           /* threat and doxxing contexts by default */
struct pattern {          /* one string for the automaton */
	char *text;       /* " kill you": leading space, no trailing one */
	uint32_t len;
	uint32_t lit;
	uint8_t prefix;
	uint8_t nwords;
};
struct ruleset {
	struct literal *lits;
	size_t nlits, alits;
	struct rule *rules;
	size_t nrules, arules;
	struct pattern *pats;
	size_t npats;
	uint32_t **comp;      /* per literal: phrases with gaps it starts */
	size_t *ncomp;
	uint8_t *litflags;    /* per literal: LIT_F_*, read for every hit */
	uint8_t *full;        /* per rule: the element mask of a complete match */
	uint32_t *elem_off;   /* per literal: its codes are elem_code[off[l]..off[l+1]) */
	uint32_t *elem_code;  /* rule << 3 | element, where each literal is used */
	uint32_t det_lit[DET_N]; /* literal id of each detector, or UINT32_MAX */
	struct norm_vocab *vocab;
	uint32_t *hash;       /* literal ids by text, open addressing */
	size_t hcap;
	struct rdefine *defs;
	size_t ndefs, adefs;
	uint32_t *names[2];   /* rule ids, define names: open addressing */
	size_t ncap[2];
	struct norm scratch;
};
extern const char *const category_names[CAT_N];
int category_from_name(const char *name);
void ruleset_init(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);
/* Add the rules in `text`; errbuf names file and line on failure. */
vigil_error ruleset_parse(struct ruleset *rs, const char *file,
			  const char *text, size_t len, char *errbuf);
/* Index rules and build the automaton's pattern list. */
vigil_error ruleset_finish(struct ruleset *rs, char *errbuf);
bool element_has(const struct element *e, uint32_t lit);
/* Find or add a literal; its id, or UINT32_MAX when out of memory. */
uint32_t ruleset_intern(struct ruleset *rs, const char *text, bool prefix,
			int det);
/* Add hits for phrases with gaps whose parts were all found. */
vigil_error ruleset_gapped(const struct ruleset *rs, struct hits *h);
/* Replace '*' in word[0..len) by the letters of a rule word, if one fits. */
void norm_vocab_unmask(const struct norm_vocab *v, char *word, size_t len);
/* Is word[0..len) a rule word (or does a rule prefix word start it)? */
bool norm_vocab_word(const struct norm_vocab *v, const char *word, size_t len);
/* Is word[0..len) one of the words of a rule phrase (two letters or more)? */
bool norm_vocab_piece(const struct norm_vocab *v, const char *word, size_t len);

/* model.c: a linear model over the words of the normalised text. */
struct model;
struct mfeat {
	uint32_t f, count;
	uint32_t s, e;         /* first place, normalised text [s, e) */
	double v;              /* its TF-IDF value */
};
struct model_scratch {
	uint64_t *seen;        /* per feature: run << 32 | index in f[] */
	size_t nseen;
	uint32_t run;
	struct mfeat *f;
	size_t nf, af;
};
struct model_out {
	double p;              /* the probability, for a category it has */
	int weight;            /* 0..1000 added to the score; 0 below `from` */
	uint32_t s, e;         /* the feature that weighed most, normalised */
};
/* Parse a model file; errbuf names file and line on failure. */
vigil_error model_parse(struct model **out, const char *file, const char *data,
			size_t len, char *errbuf);
void model_free(struct model *m);
/* Score the normalised text of a post for each category. */
vigil_error model_score(const struct model *m, const struct norm *n,
			struct model_scratch *sc, struct model_out out[CAT_N]);
void model_scratch_free(struct model_scratch *sc);

/* automaton.c: Aho-Corasick over normalised text. */
struct hit {
	uint32_t lit;
	uint32_t wstart, wend; /* word indices, inclusive */
	uint32_t s, e;         /* normalised text offsets, [s, e) */
};
struct hits {
	struct hit *v;
	size_t n, alloc;
};
struct automaton;
vigil_error automaton_build(const struct pattern *pats, size_t npats,
			    struct automaton **out);
void automaton_free(struct automaton *a);
size_t automaton_states(const struct automaton *a);
/* Whether the scan table has 16-bit entries, the faster scan: while the
 * dense states and their children number under 65,536, however many
 * deeper states there are. */
bool automaton_narrow(const struct automaton *a);
/* Append every literal found in n->text to h. */
vigil_error automaton_scan(const struct automaton *a, const struct norm *n,
			   struct hits *h);
/* Append a hit; grows the array (to at most 2^20 hits) when full. */
vigil_error hits_grow(struct hits *h);
static inline vigil_error
hits_add(struct hits *h, uint32_t lit, uint32_t ws, uint32_t we, uint32_t s,
	 uint32_t e)
{
	if (h->n == h->alloc) {
		vigil_error r = hits_grow(h);

		if (r != VIGIL_OK)
			return r;
	}
	h->v[h->n++] = (struct hit){ lit, ws, we, s, e };
	return VIGIL_OK;
}

/* doxx.c: detectors for private information that are not words. */
/* Append detector hits (phone numbers, addresses, e-mail, plates, dates,
 * identity numbers) for the detectors the rules use. */
/* Add the literals the detectors need to find in the automaton. */
vigil_error doxx_prepare(struct ruleset *rs);
vigil_error doxx_scan(const struct ruleset *rs, const char *orig, size_t len,
		      const struct norm *n, struct hits *h);
/* Word index of normalised text offset `pos`. */
uint32_t doxx_word_at(const struct norm *n, size_t pos);

/* quote.c: a %quote hit for each quotation in the post. */
vigil_error quote_scan(const struct ruleset *rs, const char *orig, size_t len,
		       const struct norm *n, struct hits *h);

/* rules-default.c: generated from the rules files at build time. */
struct rules_source {
	const char *name;
	const char *text;
	size_t len;
};
extern const struct rules_source rules_default[];
extern const size_t rules_default_n;
extern const char rules_default_sha256[];  /* of all their bytes, in order */

/* fetcher.c */
/* Close the connections kept open for reuse, when no transfer runs (a long
 * wait ahead: servers close idle connections long before the next poll). */
void fetcher_drop_connections(vigil_fetcher *f);

/* classify.c */
/* vigil_classify(); when not strict, invalid UTF-8 is judged as it is and
 * an overlong text by its first NORM_MAX bytes. */
vigil_error classify_run(const vigil_classifier *c, const char *clinician,
			 const char *text, size_t len,
			 vigil_classification *res, bool strict, char *errbuf);
const char *classification_engine(const vigil_classification *r);

/* classifier.c */
/* A long wait ahead: free the automaton, the parsed rules and the model
 * (all but the sources, thresholds and targets). classifier_wake() makes
 * them again from the same bytes, in some 40 ms; a classifier asleep
 * refuses to classify. */
void classifier_sleep(vigil_classifier *c);
vigil_error classifier_wake(vigil_classifier *c, char *errbuf);
/* The automaton's states, and whether it scans with 16-bit entries; 0
 * when asleep. */
size_t classifier_states(const vigil_classifier *c, bool *narrow);

/* classify-json.c */
json_t *classifier_json(const vigil_classifier *c, const char *clinician,
			const char *text, size_t len);

#endif /* VIGIL_PRIVATE_H */
