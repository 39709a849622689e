/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil.h - the public interface of libvigil.
 *
 * libvigil keeps evidence of online harassment of clinicians in an
 * append-only, hash-chained, Ed25519-signed ledger (schema/evidence-format.md),
 * classifies posts and fetches them from platforms. Programs (vigild,
 * vigilctl) use only this header.
 *
 * Conventions:
 * - Every fallible function returns a vigil_error; VIGIL_OK is 0.
 * - Where a function takes `char *errbuf`, it may be NULL; otherwise it must
 *   point to VIGIL_ERRBUF_SIZE bytes and receives a one-line message naming
 *   the file, line, field or seq at fault. It is written only on failure.
 * - Output parameters are written only on success.
 * - Objects come in _new/_free (or _open/_close) pairs; _free(NULL) is a
 *   no-op. Strings returned through `char **` are the caller's to free().
 * - The library never prints and never exits; it logs through the handler
 *   installed with vigil_log_set_handler().
 */
#ifndef VIGIL_H
#define VIGIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VIGIL_EXPORT __attribute__((visibility("default")))
#else
#define VIGIL_EXPORT
#endif

/* ------------------------------------------------------------------ */
/* Errors (error.c). Values are only ever appended, never renumbered.  */
/* ------------------------------------------------------------------ */

typedef enum vigil_error {
	VIGIL_OK = 0,
	VIGIL_E_NOMEM = 1,     /* out of memory */
	VIGIL_E_INVAL = 2,     /* invalid argument or option */
	VIGIL_E_IO = 3,        /* a file could not be read or written */
	VIGIL_E_DB = 4,        /* database error */
	VIGIL_E_CORRUPT = 5,   /* database or file is corrupt */
	VIGIL_E_VERIFY = 6,    /* an evidence check failed */
	VIGIL_E_KEY = 7,       /* signing key missing, malformed or mismatched */
	VIGIL_E_PERM = 8,      /* unsafe or insufficient permissions */
	VIGIL_E_FULL = 9,      /* disk full */
	VIGIL_E_BUSY = 10,     /* database locked by another process */
	VIGIL_E_PARSE = 11,    /* malformed input (JSON, UTF-8, rules, config) */
	VIGIL_E_NOTFOUND = 12, /* no such entry, file or object */
	VIGIL_E_TOOBIG = 13,   /* input exceeds a size limit */
	VIGIL_E_EXISTS = 14,   /* would overwrite something that exists */
	VIGIL_E_HTTP = 15,     /* HTTP error status from a server */
	VIGIL_E_NET = 16,      /* network error (connect, DNS, reset, timeout) */
	VIGIL_E_TLS = 17,      /* TLS error, or plain http to a non-loopback host */
	VIGIL_E_RATELIMIT = 18,/* rate limited; retry later */
	VIGIL_E_AUTH = 19,     /* authentication failed or token rejected */
} vigil_error;

#define VIGIL_ERRBUF_SIZE 512

/* A static English description of err; never NULL. */
VIGIL_EXPORT const char *vigil_strerror(vigil_error err);

/* The library's version string, e.g. "0.1.0". */
VIGIL_EXPORT const char *vigil_version(void);

/* Standard padded base64 of len bytes into out (outsize bytes, NUL-
 * terminated); returns false if out is too small. */
VIGIL_EXPORT bool vigil_base64(const void *in, size_t len, char *out,
			       size_t outsize);

/* ------------------------------------------------------------------ */
/* Logging (log.c)                                                     */
/* ------------------------------------------------------------------ */

/* Priorities as syslog(3) numbers them. */
enum vigil_log_priority {
	VIGIL_LOG_ERR = 3,
	VIGIL_LOG_WARNING = 4,
	VIGIL_LOG_NOTICE = 5,
	VIGIL_LOG_INFO = 6,
	VIGIL_LOG_DEBUG = 7,
};

typedef void (*vigil_log_handler)(int priority, const char *message,
				  void *userdata);

/* Install the process-wide log handler (NULL: discard all messages).
 * Messages above `max_priority` are not formatted at all. */
VIGIL_EXPORT void vigil_log_set_handler(vigil_log_handler handler,
					void *userdata);
VIGIL_EXPORT void vigil_log_set_priority(int max_priority);

/* ------------------------------------------------------------------ */
/* Signing keys (key.c)                                                */
/* ------------------------------------------------------------------ */

/* An Ed25519 key pair whose secret half lives in sodium_malloc() memory
 * (guarded, locked, excluded from core dumps) and is wiped on free. */
typedef struct vigil_key vigil_key;

/* Call once before any other function; safe to call again. */
VIGIL_EXPORT vigil_error vigil_init(void);

VIGIL_EXPORT vigil_error vigil_key_generate(vigil_key **out);
/* Deterministic key from a 32-byte seed (tests and golden files). */
VIGIL_EXPORT vigil_error vigil_key_from_seed(const uint8_t seed[32],
					     vigil_key **out);
/* Load a key file (32 raw seed bytes). Refuses a file that group or others
 * may read or write, or of the wrong length. */
VIGIL_EXPORT vigil_error vigil_key_load(const char *path, vigil_key **out,
					char *errbuf);
/* Write a key file with mode 0600; fails with VIGIL_E_EXISTS if `path`
 * exists. The file is fsync()ed before this returns. */
VIGIL_EXPORT vigil_error vigil_key_save(const vigil_key *key,
					const char *path, char *errbuf);
VIGIL_EXPORT void vigil_key_free(vigil_key *key);
/* The 32-byte raw public key; owned by `key`. */
VIGIL_EXPORT const uint8_t *vigil_key_public(const vigil_key *key);
/* Key id: hex SHA-256 of the raw public key, NUL-terminated. */
VIGIL_EXPORT void vigil_key_id(const uint8_t public_key[32], char out[65]);

/* ------------------------------------------------------------------ */
/* The ledger (ledger.c, append.c, verify.c)                           */
/* ------------------------------------------------------------------ */

typedef struct vigil_ledger vigil_ledger;

enum vigil_open_flags {
	VIGIL_OPEN_READONLY = 1 << 0, /* no appends; no signing key needed */
	VIGIL_OPEN_CREATE = 1 << 1,   /* create database and key if absent */
};

/* Open (and migrate) the ledger in `db_path`. `key_path` names the signing
 * key file; it may be NULL with VIGIL_OPEN_READONLY. With VIGIL_OPEN_CREATE
 * a missing database is created together with its key (written with mode
 * 0600) and entry 0. Runs PRAGMA integrity_check. */
VIGIL_EXPORT vigil_error vigil_ledger_open(const char *db_path,
					   const char *key_path,
					   unsigned flags,
					   vigil_ledger **out,
					   char *errbuf);
VIGIL_EXPORT void vigil_ledger_close(vigil_ledger *ledger);

/* Replace the process-wide clock (milliseconds since the epoch) that stamps
 * entries, for deterministic tests; NULL restores the system clock. */
typedef int64_t (*vigil_clock_fn)(void *userdata);
VIGIL_EXPORT void vigil_set_clock(vigil_clock_fn clock, void *userdata);

/* Number of entries. */
VIGIL_EXPORT vigil_error vigil_ledger_size(vigil_ledger *ledger,
					   uint64_t *size);
/* Key id (hex) of the current signing key, into out[65]. */
VIGIL_EXPORT vigil_error vigil_ledger_key_id(vigil_ledger *ledger,
					     char out[65]);
/* The ledger's origin line, "vigil.ledger/<16 hex>", into out[32]. */
VIGIL_EXPORT vigil_error vigil_ledger_origin(vigil_ledger *ledger,
					     char out[32]);

/* A batch of entries appended in one transaction. */
typedef struct vigil_batch vigil_batch;

VIGIL_EXPORT vigil_error vigil_batch_new(vigil_batch **out);
VIGIL_EXPORT void vigil_batch_free(vigil_batch *batch);
VIGIL_EXPORT size_t vigil_batch_count(const vigil_batch *batch);
/* Queue an entry of `kind` with `body_json` (a JSON object, no floats).
 * vigil fills v, seq, prev, time and key at append time. */
VIGIL_EXPORT vigil_error vigil_batch_add(vigil_batch *batch, const char *kind,
					 const char *body_json, char *errbuf);
/* Queue a blob; its hex SHA-256 goes to hex_out[65] when not NULL. */
VIGIL_EXPORT vigil_error vigil_batch_add_blob(vigil_batch *batch,
					      const void *data, size_t size,
					      char hex_out[65]);

/* Append the batch in one transaction, together with a signed checkpoint
 * for the new size. Returns only after COMMIT: on VIGIL_OK every entry is
 * durably stored; on error nothing of the batch is. `first_seq` and
 * `new_size` may be NULL. The batch is emptied on success. */
VIGIL_EXPORT vigil_error vigil_ledger_append(vigil_ledger *ledger,
					     vigil_batch *batch,
					     uint64_t *first_seq,
					     uint64_t *new_size,
					     char *errbuf);

/* Append a `key` entry for a freshly generated key, signed by the current
 * key, and install the new key in the key file (the old secret is wiped).
 * The new key id goes to new_id[65]. */
VIGIL_EXPORT vigil_error vigil_ledger_rotate_key(vigil_ledger *ledger,
						 char new_id[65],
						 char *errbuf);

/* The latest signed checkpoint note (spec 1.4), NUL-terminated; the caller
 * frees it. */
VIGIL_EXPORT vigil_error vigil_ledger_checkpoint(vigil_ledger *ledger,
						 char **note_out,
						 char *errbuf);

/* One stored entry. */
typedef struct vigil_entry {
	uint64_t seq;
	char kind[16];
	char time[32];
	uint8_t sig[64];
	size_t len;     /* length of `bytes` */
	char *bytes;    /* canonical entry bytes, NUL-terminated */
} vigil_entry;

VIGIL_EXPORT vigil_error vigil_ledger_get(vigil_ledger *ledger, uint64_t seq,
					  vigil_entry **out);
VIGIL_EXPORT void vigil_entry_free(vigil_entry *entry);

/* Call `fn` for every entry with from <= seq < to, in order. A non-zero
 * return from fn stops the walk early (still VIGIL_OK). The entry passed to
 * fn is valid only during the call. */
typedef int (*vigil_entry_fn)(const vigil_entry *entry, void *userdata);
VIGIL_EXPORT vigil_error vigil_ledger_foreach(vigil_ledger *ledger,
					      uint64_t from, uint64_t to,
					      vigil_entry_fn fn,
					      void *userdata);

/* Read a blob by hex SHA-256; *data is the caller's to free(). */
VIGIL_EXPORT vigil_error vigil_ledger_blob(vigil_ledger *ledger,
					   const char *sha256_hex,
					   void **data, size_t *size);

/* Results of a verification. */
typedef struct vigil_verify_result {
	uint64_t entries;      /* entries checked */
	uint64_t checkpoints;  /* checkpoints checked */
	uint64_t blobs;        /* blobs checked */
	uint64_t keys;         /* key entries seen */
	bool failed;           /* a check failed */
	bool has_seq;          /* failed_seq names the first failing entry */
	uint64_t failed_seq;
	char check[48];        /* short name of the failing check */
} vigil_verify_result;

/* Check the whole ledger: canonical bytes, seq numbering, prev chain, time
 * order, signatures and key chain, every stored checkpoint, every blob.
 * With `held_checkpoint` (a note held by a second party) also prove that
 * the ledger extends it. Returns VIGIL_E_VERIFY on a failed check, with
 * the first failing seq and check in `result` and errbuf. */
VIGIL_EXPORT vigil_error vigil_ledger_verify(vigil_ledger *ledger,
					     const char *held_checkpoint,
					     vigil_verify_result *result,
					     char *errbuf);

/* ------------------------------------------------------------------ */
/* Export bundles (export.c, bundle.c)                                 */
/* ------------------------------------------------------------------ */

typedef struct vigil_export_options {
	const char *clinician; /* only this clinician's evidence, or NULL */
	const char *since;     /* RFC 3339 lower bound on entry time, or NULL */
	const char *until;     /* RFC 3339 upper bound (exclusive), or NULL */
	bool tar;              /* write `out` as one .tar file */
} vigil_export_options;

typedef struct vigil_export_result {
	uint64_t entries;
	uint64_t blobs;
	uint64_t checkpoint_size;
} vigil_export_result;

/* Write an export bundle (spec section 3) to directory `out` (created; must
 * not exist) or, with opts->tar, to the file `out`. */
VIGIL_EXPORT vigil_error vigil_export(vigil_ledger *ledger,
				      const vigil_export_options *opts,
				      const char *out,
				      vigil_export_result *result,
				      char *errbuf);

/* Verify a bundle directory or .tar file (spec 3.1). If `expected_key_id`
 * is not NULL the checkpoint must be signed by that key. The checkpoint key
 * id goes to result->key_id. */
typedef struct vigil_bundle_result {
	uint64_t entries;
	uint64_t blobs;
	uint64_t checkpoint_size;
	char key_id[65];
	bool failed;
	bool has_seq;
	uint64_t failed_seq;
	char check[48];
} vigil_bundle_result;

VIGIL_EXPORT vigil_error vigil_bundle_verify(const char *path,
					     const char *expected_key_id,
					     vigil_bundle_result *result,
					     char *errbuf);

/* ------------------------------------------------------------------ */
/* Review (review.c): annotations, the review queue, masking           */
/* ------------------------------------------------------------------ */

/* Append an `annotation` entry about capture `of`: status is one of
 * reviewed, false_positive, escalated, reported, note; `by`, `text` and
 * `reference` may be NULL ("" and null in the entry). Nothing stored is
 * ever changed: a later annotation supersedes an earlier one. The new
 * entry's seq goes to *seq_out (may be NULL). */
VIGIL_EXPORT vigil_error vigil_annotate(vigil_ledger *ledger, uint64_t of,
					const char *status, const char *by,
					const char *text, const char *reference,
					uint64_t *seq_out, char *errbuf);

/* A byte range [start, end) of a text, e.g. a classifier match. */
typedef struct vigil_span {
	size_t start;
	size_t end;
} vigil_span;

/* Mask every span of `text` (len bytes of UTF-8): each run of overlapping
 * spans keeps its first character, and every later character other than
 * white space becomes '*'. Spans are clamped to the text and widened to
 * character boundaries. *out (NUL-terminated) is the caller's to free(). */
VIGIL_EXPORT vigil_error vigil_mask_text(const char *text, size_t len,
					 const vigil_span *spans, size_t nspans,
					 char **out);

/* One capture waiting for review. Strings belong to the queue. */
typedef struct vigil_queue_item {
	uint64_t seq;
	unsigned max_score;     /* highest category score, 0..1000 */
	const char *time;       /* capture time, RFC 3339 UTC */
	const char *clinician;  /* may be "" */
	const char *platform;
	const char *author;     /* handle, else stable id */
	const char *labels;     /* space-separated, may be "" */
	const char *text;       /* masked unless revealed */
	const char *url;        /* may be "" */
} vigil_queue_item;

typedef struct vigil_queue vigil_queue;

/* Captures with no annotation other than `note`, most severe first (then by
 * seq). `clinician` and `label` filter when not NULL; `reveal` keeps the
 * text whole, otherwise matched spans are masked. Free with
 * vigil_queue_free(). */
VIGIL_EXPORT vigil_error vigil_review_queue(vigil_ledger *ledger,
					    const char *clinician,
					    const char *label, bool reveal,
					    vigil_queue **out, char *errbuf);
/* The items of a queue, owned by it; *n receives their number. */
VIGIL_EXPORT const vigil_queue_item *vigil_queue_items(const vigil_queue *q,
						       size_t *n);
VIGIL_EXPORT void vigil_queue_free(vigil_queue *q);

/* ------------------------------------------------------------------ */
/* Reports (report-*.c, svg-chart.c, tz.c, notice.c)                   */
/* ------------------------------------------------------------------ */

typedef struct vigil_report_options {
	const char *clinician;  /* whose evidence; NULL: every clinician */
	const char *since;      /* RFC 3339 lower bound on capture time, or NULL */
	const char *until;      /* RFC 3339 upper bound (exclusive), or NULL */
	const char *tz;         /* IANA zone for local times, NULL: UTC */
} vigil_report_options;

/* Everything a report says, read from the ledger once. */
typedef struct vigil_report vigil_report;

/* Read the captures in the period with their observations and annotations,
 * and work out counts, offenders and bursts. Free with vigil_report_free(). */
VIGIL_EXPORT vigil_error vigil_report_build(vigil_ledger *ledger,
					    const vigil_report_options *opts,
					    vigil_report **out, char *errbuf);
VIGIL_EXPORT void vigil_report_free(vigil_report *report);

/* The police report as one self-contained HTML file (no scripts, no
 * network). *html (NUL-terminated, *len bytes; len may be NULL) is the
 * caller's to free(). */
VIGIL_EXPORT vigil_error vigil_report_html(const vigil_report *report,
					   char **html, size_t *len,
					   char *errbuf);
/* The same report as a PDF file written to `path` (replaced atomically). */
VIGIL_EXPORT vigil_error vigil_report_pdf(const vigil_report *report,
					  const char *path, char *errbuf);
/* One RFC 4180 line per capture in the report; *csv is the caller's. */
VIGIL_EXPORT vigil_error vigil_report_csv(const vigil_report *report,
					  char **csv, size_t *len,
					  char *errbuf);

/* A harassing account: one stable author id on one platform. */
typedef struct vigil_offender {
	const char *platform;
	const char *author_id;
	const char *const *handles;  /* every handle seen, first seen first */
	size_t nhandles;
	uint64_t count;              /* incidents labelled by the classifier or
	                              * escalated/reported by a reviewer, and not
	                              * marked false positive */
	unsigned max_score;
	uint64_t score_sum;          /* sum of each incident's top score */
	const char *first;           /* first and last post time, RFC 3339 */
	const char *last;
} vigil_offender;

/* Offenders ranked by count, then top score, then score sum; the array
 * belongs to the report. Returns their number. */
VIGIL_EXPORT size_t vigil_report_offenders(const vigil_report *report,
					   const vigil_offender **out);

/* A window of hours in which mentions of one clinician spiked: every hour
 * in it had at least `threshold` captures, where threshold =
 * max(5, median + 5 * 1.4826 * MAD) over that clinician's hourly counts
 * from the first to the last capture (empty hours count as 0). */
typedef struct vigil_burst {
	const char *clinician;
	char start[32];              /* RFC 3339 UTC, on the hour */
	char end[32];                /* exclusive */
	uint64_t count;              /* captures in the window */
	uint64_t peak;               /* most captures in one hour */
	double median;               /* baseline captures per hour */
	double threshold;
	const char *const *accounts; /* "platform handle (id)", most active first */
	size_t naccounts;
} vigil_burst;

/* Bursts, most captures first; the array belongs to the report. */
VIGIL_EXPORT size_t vigil_report_bursts(const vigil_report *report,
					const vigil_burst **out);

typedef struct vigil_notice_options {
	const char *platform;        /* required */
	const uint64_t *seqs;        /* captures to report; NULL: every incident */
	size_t nseqs;
	const char *reporter_name;   /* required */
	const char *reporter_email;  /* required */
	bool json;                   /* JSON instead of text */
} vigil_notice_options;

/* A notice for a platform's reporting channel in the shape of an EU DSA
 * Article 16 notice, from the report's captures on opts->platform. Named
 * seqs must be captures in the report on that platform. *out is the
 * caller's to free(). */
VIGIL_EXPORT vigil_error vigil_notice(const vigil_report *report,
				      const vigil_notice_options *opts,
				      char **out, size_t *len, char *errbuf);

/* ------------------------------------------------------------------ */
/* Classifier (classify*.c) - see issue 3                              */
/* ------------------------------------------------------------------ */

/* A classifier: compiled rules plus per-category thresholds. Reading it
 * (vigil_classify) from several threads at once is safe; changing
 * thresholds is not. */
typedef struct vigil_classifier vigil_classifier;

/* The result of classifying one post. It also holds the scratch space of
 * a run, so reuse one per thread for speed. */
typedef struct vigil_classification vigil_classification;

typedef enum vigil_category {
	VIGIL_THREAT = 0,
	VIGIL_SEXUAL = 1,
	VIGIL_DOXXING = 2,
	VIGIL_HATE = 3,
	VIGIL_INSULT = 4,
	VIGIL_CATEGORY_COUNT = 5,
} vigil_category;

/* "threat", "sexual", "doxxing", "hate" or "insult"; NULL when out of
 * range. The string is static. */
VIGIL_EXPORT const char *vigil_category_name(vigil_category cat);

/* Load rules and compile them. `rules_path` is a rules file or a
 * directory whose *.rules files are read in name order; NULL means the
 * rules compiled into the library. A file that fails to parse is
 * rejected with errbuf naming file, line and reason. Every threshold
 * starts at 500. Free *out with vigil_classifier_free(). */
VIGIL_EXPORT vigil_error vigil_classifier_new(const char *rules_path,
					      vigil_classifier **out,
					      char *errbuf);

/* Free a classifier; NULL is a no-op. Results of vigil_classify() that
 * came from it must not be read afterwards (they borrow rule names). */
VIGIL_EXPORT void vigil_classifier_free(vigil_classifier *c);

/* "vigil-classify <version> rules sha256:<hex of the rules text>", owned
 * by the classifier: what a report cites as the judge of a post. */
VIGIL_EXPORT const char *vigil_classifier_engine(const vigil_classifier *c);

/* Make `category` a label when its score is at least `threshold`
 * (1..1000). VIGIL_E_INVAL for an unknown category or a threshold out of
 * range. */
VIGIL_EXPORT vigil_error vigil_classifier_set_threshold(vigil_classifier *c,
							const char *category,
							int threshold);

/* The threshold of `cat`, or -1 when out of range. */
VIGIL_EXPORT int vigil_classifier_threshold(const vigil_classifier *c,
					    vigil_category cat);

/* Make `name` (a name, alias or handle, as people write it) one of the
 * ways posts about `clinician` (the id from [clinician ID]) refer to
 * them: when such a post is classified with vigil_classify_about(), the
 * name counts as the target of the words around it, wherever the rules
 * say `%clinician` (the default rules count it as "you"). A name that
 * begins with a title ("Dr. Jane Roe") also counts without it ("Jane
 * Roe"). Not thread safe, like the thresholds: add targets before
 * classifying. VIGIL_E_INVAL for an empty name, VIGIL_E_NOMEM. */
VIGIL_EXPORT vigil_error vigil_classifier_add_target(vigil_classifier *c,
						     const char *clinician,
						     const char *name);

/* A result object to pass to vigil_classify(); free it with
 * vigil_classification_free(). VIGIL_E_NOMEM only. */
VIGIL_EXPORT vigil_error vigil_classification_new(vigil_classification **out);

/* Free a result; NULL is a no-op. */
VIGIL_EXPORT void vigil_classification_free(vigil_classification *r);

/* Classify `len` bytes of UTF-8 `text` (need not be NUL-terminated) into
 * `result`, replacing what it held. VIGIL_E_PARSE when the text is not
 * valid UTF-8, VIGIL_E_TOOBIG past 16 MiB, VIGIL_E_NOMEM. After a failure
 * the result holds no labels and no matches. */
VIGIL_EXPORT vigil_error vigil_classify(const vigil_classifier *c,
					const char *text, size_t len,
					vigil_classification *result,
					char *errbuf);

/* vigil_classify() for a post about `clinician` (NULL: nobody in
 * particular), whose names added with vigil_classifier_add_target() are
 * then recognised. */
VIGIL_EXPORT vigil_error vigil_classify_about(const vigil_classifier *c,
					      const char *clinician,
					      const char *text, size_t len,
					      vigil_classification *result,
					      char *errbuf);

/* Score 0..1000 of `cat`, 0 when out of range. */
VIGIL_EXPORT int vigil_classification_score(const vigil_classification *r,
					    vigil_category cat);

/* Did `cat` reach its threshold? */
VIGIL_EXPORT bool vigil_classification_label(const vigil_classification *r,
					     vigil_category cat);

/* Number of rules that fired, in the order they fired. Rules with a
 * negative weight (context that lowered a score) are included. */
VIGIL_EXPORT size_t vigil_classification_matches(const vigil_classification *r);

/* Match i: its category, rule id (owned by the classifier), weight and
 * the byte span [start, end) of the original text it covers. The weight
 * is 0 for a rule that matched in a quotation the post reports (a
 * `quote` rule), which counted for nothing. Any output pointer may be
 * NULL. VIGIL_E_NOTFOUND when i is out of range. */
VIGIL_EXPORT vigil_error vigil_classification_match(const vigil_classification *r,
						    size_t i, vigil_category *cat,
						    const char **rule, int *weight,
						    size_t *start, size_t *end);

/* The text of the last post as the rules and the model see it: NFKC,
 * case-folded, de-obfuscated words, one space between them and at each
 * end. Owned by r, valid until its next run; *len gets its length. For
 * rule authors, and for training a model (contrib/train-model.py). */
VIGIL_EXPORT const char *vigil_classification_normalized(const vigil_classification *r,
							 size_t *len);

/* The result as compact JSON: {"engine"?, "scores", "labels", "matches"}
 * with the meaning of the evidence format's `classification` object
 * (matches hold only rules of positive weight). Caller frees; NULL when
 * out of memory. */
VIGIL_EXPORT char *vigil_classification_json(const vigil_classification *r,
					     bool engine);

/* ------------------------------------------------------------------ */
/* Ingest (ingest.c): spec section 4                                   */
/* ------------------------------------------------------------------ */

/* Parse one ingest line (JSON object) into a `capture` entry plus its
 * payload blob, queued on `batch`. `classifier` may be NULL (then
 * classification is null). On failure nothing is queued and errbuf names
 * the field at fault. */
VIGIL_EXPORT vigil_error vigil_ingest_line(vigil_batch *batch,
					   const vigil_classifier *classifier,
					   const char *line, size_t len,
					   char *errbuf);

/* ------------------------------------------------------------------ */
/* HTTP and platform connectors (http.c, connector*.c) - see issue 4   */
/* ------------------------------------------------------------------ */

/* A post as vigil keeps it: the `post` and `author` members of a capture
 * body (spec 2.1) plus the raw bytes of the post as the platform sent them.
 * Optional strings are NULL when absent. `text` is what a reader sees (HTML
 * removed, entities decoded). `created_at` is RFC 3339 UTC. */
typedef struct vigil_attachment {
	char *url;
	char *type;           /* "image", "video", "gifv", "audio", ... or NULL */
} vigil_attachment;

typedef struct vigil_post {
	char *platform, *id, *url, *created_at, *text, *lang, *in_reply_to;
	char *author_id, *author_handle, *author_name, *author_url;
	char *payload;        /* raw JSON bytes of this one post, NUL-terminated */
	size_t payload_len;
	size_t n_attachments;
	struct vigil_attachment *attachments;
} vigil_post;

/* Free a post and everything it owns; NULL is a no-op. */
VIGIL_EXPORT void vigil_post_free(vigil_post *post);

/* The post as one JSON line of `vigilctl ingest` input (spec section 4):
 * platform, post, author, attachments ([{url, type}]), `source` and
 * `clinician` when not NULL, and `raw`: the payload bytes themselves,
 * verbatim, when they hold no line break (else re-serialised compactly).
 * No trailing newline; the caller frees *out. */
VIGIL_EXPORT vigil_error vigil_post_to_json(const vigil_post *post,
					    const char *source,
					    const char *clinician,
					    char **out, char *errbuf);

/* Plain text of an HTML fragment as a reader sees it: tags removed,
 * entities decoded, block elements and <br> as line breaks, white space
 * collapsed. The caller frees *out. */
VIGIL_EXPORT vigil_error vigil_html_to_text(const char *html, size_t len,
					    char **out, size_t *out_len);

/* One configured source: a platform account or search to poll. Strings are
 * copied; the struct need not outlive vigil_source_new(). */
typedef struct vigil_source_config {
	const char *platform;     /* mastodon, bluesky, x, reddit, youtube */
	const char *base_url;     /* API base; NULL: the platform's public one */
	const char *auth_url;     /* Reddit token endpoint base (NULL: public) */
	const char *mode;         /* "mentions" (default) or "search" */
	const char *query;        /* search terms (search mode; YouTube filter) */
	const char *token_file;   /* secret: token, app password or key=value
				   * lines; must not be group/other-readable */
	const char *session_file; /* Bluesky: keep the session's refresh token
				   * here (mode 0600) so that a restart need not
				   * log in again; NULL: in memory only */
	const char *account;      /* Bluesky identifier, X user id, Reddit
				   * username (for the User-Agent) */
	const char *channel;      /* YouTube channel id */
	const char *video;        /* YouTube video id */
	long connect_timeout_ms;  /* 0: 10 s */
	long timeout_ms;          /* 0: 60 s for the whole transfer */
	size_t max_response;      /* 0: 16 MiB */
	unsigned page_size;       /* 0: the platform's maximum */
	const char *ca_file;      /* CA certificates (PEM) to trust instead of
				   * the system's; NULL: the system's */
} vigil_source_config;

typedef struct vigil_source vigil_source;

/* Check the configuration, read the token file and set up a source. Base
 * URLs must be https, or http to a loopback host (127.0.0.0/8, ::1,
 * localhost); anything else is VIGIL_E_TLS. Free with vigil_source_free(),
 * which wipes the secrets. */
VIGIL_EXPORT vigil_error vigil_source_new(const vigil_source_config *cfg,
					  vigil_source **out, char *errbuf);
/* NULL is a no-op. */
VIGIL_EXPORT void vigil_source_free(vigil_source *source);
/* The platform's name (a static string). */
VIGIL_EXPORT const char *vigil_source_platform(const vigil_source *source);

/* One page of a walk from the newest post back to the last-seen one;
 * posts newest first. `cursor` is the cursor to store once `posts` are
 * durably stored; pass it to the next fetch. While `more` is true the walk
 * is not finished and the next fetch continues it (a crash in between
 * resumes there: nothing is skipped). If the platform has forgotten the
 * page token by then, the walk starts again from the newest post: posts
 * may then come twice (keep one per platform and post id), never not at
 * all. Cursors are opaque printable strings without newlines; NULL or ""
 * means "never polled" (the walk then goes back as far as the platform
 * allows). The page owns its posts and cursor. */
typedef struct vigil_page {
	vigil_post **posts;
	size_t n_posts;
	char *cursor;
	bool more;
} vigil_page;

/* Free a page and its posts; NULL is a no-op. */
VIGIL_EXPORT void vigil_page_free(vigil_page *page);

/* Many sources fetched concurrently from one thread (curl multi). */
typedef struct vigil_fetcher vigil_fetcher;

VIGIL_EXPORT vigil_error vigil_fetcher_new(vigil_fetcher **out);
/* Cancels transfers still running and frees results not yet polled;
 * sources are not freed. NULL is a no-op. */
VIGIL_EXPORT void vigil_fetcher_free(vigil_fetcher *fetcher);

/* Start fetching the next page of `source` after `cursor` (logging in
 * first if needed). A source may have one fetch running at a time
 * (VIGIL_E_BUSY otherwise). `source` must outlive the fetch. */
VIGIL_EXPORT vigil_error vigil_fetcher_start(vigil_fetcher *fetcher,
					     vigil_source *source,
					     const char *cursor,
					     char *errbuf);

/* Start asking whether post `post_id` (vigil_post.id) still exists; the
 * answer comes as a result with `exists` set (see vigil_source_exists()). */
VIGIL_EXPORT vigil_error vigil_fetcher_start_exists(vigil_fetcher *fetcher,
						    vigil_source *source,
						    const char *post_id,
						    char *errbuf);

/* The outcome of one fetch. On error `page` is NULL and `message` says
 * why. `retry_at_ms` (ms since the epoch) is when the next request for
 * this source may be made: from the platform's rate-limit headers, its
 * Retry-After, or exponential backoff with jitter after 429, 5xx and
 * network errors; 0 means at once. */
typedef struct vigil_fetch_result {
	vigil_source *source;
	vigil_error error;
	long http_status;
	char message[VIGIL_ERRBUF_SIZE];
	vigil_page *page;      /* page fetches */
	bool exists;           /* existence checks: false if deleted */
	/* existence checks: the post as it reads now (its payload the whole
	 * answer), or NULL when it is gone or the platform cannot say (X,
	 * where an edit is a new post); freed with the result */
	vigil_post *current;
	int64_t retry_at_ms;
} vigil_fetch_result;

/* Run transfers for up to timeout_ms and return one finished fetch in
 * *out (the caller frees it with vigil_fetch_result_free()), or NULL in
 * *out if none finished in time. VIGIL_E_NOTFOUND: nothing is running. */
VIGIL_EXPORT vigil_error vigil_fetcher_poll(vigil_fetcher *fetcher,
					    int timeout_ms,
					    vigil_fetch_result **out);
/* Frees the result and its page; NULL is a no-op. */
VIGIL_EXPORT void vigil_fetch_result_free(vigil_fetch_result *result);

/* Blocking convenience: one page of one source. On failure *retry_at_ms
 * (if not NULL) is still written with the time of the next allowed
 * request. The caller frees *out with vigil_page_free(). */
VIGIL_EXPORT vigil_error vigil_source_fetch(vigil_source *source,
					    const char *cursor,
					    vigil_page **out,
					    int64_t *retry_at_ms,
					    char *errbuf);

/* Ask the platform whether the post `post_id` (vigil_post.id) still
 * exists: *exists is false when it was deleted or removed. Network and
 * rate-limit failures are errors, never "deleted". When `current` is not
 * NULL it receives the post as it reads now (see vigil_fetch_result), or
 * NULL; the caller frees it with vigil_post_free(). Blocking. */
VIGIL_EXPORT vigil_error vigil_source_exists(vigil_source *source,
					     const char *post_id,
					     bool *exists,
					     vigil_post **current,
					     char *errbuf);

/* ------------------------------------------------------------------ */
/* Configuration (config.c): vigil.conf, see vigil.conf(5)             */
/* ------------------------------------------------------------------ */

typedef struct vigil_conf_clinician {
	char *id;                 /* from [clinician ID] */
	char *name;
	char **aliases;           /* comma-separated in the file */
	size_t n_aliases;
	char **handles;
	size_t n_handles;
	char *alert_webhook;      /* JSON POST target, or NULL */
	char *alert_email;        /* address, or NULL */
	char *timezone;           /* IANA name for reports, or NULL (UTC) */
	unsigned line;            /* where its section starts */
} vigil_conf_clinician;

typedef struct vigil_conf_source {
	char *name;               /* from [source NAME] */
	char *clinician;
	unsigned interval;        /* seconds between polls */
	vigil_source_config src;  /* strings owned by the configuration */
	unsigned line;
} vigil_conf_source;

typedef struct vigil_config {
	char *path;
	char *database;
	char *signing_key;
	char *rules;              /* rules file or folder, or NULL: built in */
	char *ca_file;            /* CAs to trust instead of the system's, or NULL */
	int thresholds[VIGIL_CATEGORY_COUNT];  /* 0: the classifier's default */
	unsigned poll_interval;
	unsigned recheck_interval;
	unsigned recheck_window;
	unsigned alert_group_window;  /* seconds alerts about one author merge */
	bool alert_labels[VIGIL_CATEGORY_COUNT];
	char *smtp_url, *smtp_from, *smtp_user, *smtp_password_file;
	char *witness_webhook, *witness_email;
	char *reporter_name, *reporter_email;
	vigil_conf_clinician *clinicians;
	size_t n_clinicians;
	vigil_conf_source *sources;
	size_t n_sources;
} vigil_config;

/* Called once per problem found, with a message "FILE:LINE: what". */
typedef void (*vigil_conf_problem_fn)(const char *message, void *userdata);

/* Read and check a configuration. Every problem is reported through
 * `problem` (may be NULL): unknown sections and keys, bad numbers, a source
 * naming a missing clinician, unreadable or group/world-readable secret
 * files, plain http to a non-loopback host. Secret file names without a
 * slash are looked up in $CREDENTIALS_DIRECTORY when it is set. Returns
 * VIGIL_E_PARSE if there was any problem (errbuf holds the first); *out
 * only on success, freed with vigil_config_free(). */
VIGIL_EXPORT vigil_error vigil_config_load(const char *path, vigil_config **out,
					   vigil_conf_problem_fn problem,
					   void *userdata, char *errbuf);
VIGIL_EXPORT void vigil_config_free(vigil_config *config);
/* The clinician named `id`, or NULL. */
VIGIL_EXPORT const vigil_conf_clinician *
vigil_config_clinician(const vigil_config *config, const char *id);

/* ------------------------------------------------------------------ */
/* The watcher (watch*.c, alert.c): what vigild runs                   */
/* ------------------------------------------------------------------ */

/* Polls every configured source, classifies and records each new post as a
 * capture (never twice), advances a source's cursor only after its posts
 * are stored, re-checks captured posts for deletion, sends alerts and hands
 * checkpoints to a witness. One thread; curl multi underneath. */
typedef struct vigil_watch vigil_watch;

typedef struct vigil_watch_stats {
	uint64_t captures;       /* captures appended since start */
	uint64_t duplicates;     /* posts seen again and not recorded twice */
	uint64_t observations;   /* deletions observed */
	uint64_t edits;          /* edits observed */
	uint64_t errors;         /* failed fetches */
	uint64_t alerts_sent;
	uint64_t alerts_failed;  /* failed delivery attempts */
	uint64_t anchors;        /* checkpoints handed to the witness */
	int64_t last_poll_ms;    /* when a page was last stored, or 0 */
} vigil_watch_stats;

/* Open (or create, with its key) the ledger the configuration names,
 * record clinicians as registration entries when first seen or changed,
 * and set up every source. `config` must outlive the watcher (or be
 * replaced with vigil_watch_reload()). */
VIGIL_EXPORT vigil_error vigil_watch_new(const vigil_config *config, vigil_watch **out,
					 char *errbuf);
VIGIL_EXPORT void vigil_watch_free(vigil_watch *watch);
/* Take a new configuration without losing state (cursors, pending alerts):
 * fetches in flight are finished first. On failure the old one stays. */
VIGIL_EXPORT vigil_error vigil_watch_reload(vigil_watch *watch, const vigil_config *config,
					    char *errbuf);
/* The ledger it writes (owned by the watcher). */
VIGIL_EXPORT vigil_ledger *vigil_watch_ledger(vigil_watch *watch);
/* Do the work that is due, waiting at most max_wait_ms for network
 * answers. Returns VIGIL_OK unless the ledger cannot be written. */
VIGIL_EXPORT vigil_error vigil_watch_step(vigil_watch *watch, int max_wait_ms, char *errbuf);
/* Poll every source (or only `source`, if not NULL) once, all pages back to
 * the last seen post, then run the due re-checks, alerts and the witness.
 * Rate limits are waited out for up to `max_wait_s` seconds per source.
 * VIGIL_E_NET if some source could not be polled (errbuf names it). */
VIGIL_EXPORT vigil_error vigil_watch_once(vigil_watch *watch, const char *source,
					  unsigned max_wait_s, char *errbuf);
/* Ask a running step to return once the batch in hand is stored. Safe to
 * call from a signal handler. */
VIGIL_EXPORT void vigil_watch_stop(vigil_watch *watch);
VIGIL_EXPORT void vigil_watch_get_stats(const vigil_watch *watch, vigil_watch_stats *out);
/* Milliseconds until the next source is due (0: now; -1: nothing to do). */
VIGIL_EXPORT int64_t vigil_watch_idle_ms(const vigil_watch *watch);

/* One line per configured source, as `vigilctl status` prints it. */
typedef struct vigil_source_status {
	char name[128], platform[16], clinician[128];
	char cursor[128];
	int64_t last_poll_ms, last_ok_ms, next_poll_ms;
	uint64_t captures, errors;
	char last_error[256];
} vigil_source_status;
/* Status of the sources recorded in the ledger's database (read-only). The
 * caller frees *out. */
VIGIL_EXPORT vigil_error vigil_source_statuses(vigil_ledger *ledger, vigil_source_status **out,
					       size_t *n);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_H */
