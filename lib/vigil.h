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

typedef struct vigil_classifier vigil_classifier;

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

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_H */
