/* SPDX-License-Identifier: Apache-2.0 */
/* watch-int.h - the daemon engine, shared by watch*.c and alert.c. */
#ifndef VIGIL_WATCH_INT_H
#define VIGIL_WATCH_INT_H

#include <sqlite3.h>

#include "vigil-private.h"

struct wsource {
	const vigil_conf_source *conf;
	vigil_source *src;
	char *cursor;            /* stored cursor; NULL: never polled */
	int64_t next_ms;         /* when the next page may be fetched */
	bool in_flight;          /* a page fetch is running */
	bool walking;            /* the last page said there is more */
	int64_t recheck_seq;     /* a recheck running for this capture, or -1 */
	bool polled;             /* --once: the walk finished */
	bool resumed;            /* --once: the walk in hand is one an earlier
				  * run left half done */
	bool failed;             /* --once: the last attempt failed */
	unsigned attempts;       /* --once: failed attempts in a row */
};

struct vigil_watch {
	const vigil_config *cfg;
	vigil_ledger *ledger;
	sqlite3 *db;
	vigil_classifier *classifier;
	vigil_fetcher *fetcher;
	struct wsource *sources;
	size_t n_sources;
	bool stop;
	bool once;                      /* inside vigil_watch_once() */
	bool trimmed;                   /* memory given back since the last result */
	uint64_t appended_unwitnessed;  /* entries since the last witness */
	vigil_watch_stats stats;
	sqlite3_stmt *q_captured;       /* asked for every post: prepared once */
	sqlite3_stmt *q_recheck;        /* run for every capture: prepared once */
};

/* watch.c */
/* Store one page of source `s`: its new posts as captures, re-checks,
 * alerts, then the cursor. On an error the page is to be fetched again. */
/* Store n pages in one transaction (each with its cursor); nothing is
 * stored, and no cursor moves, unless all are. */
vigil_error watch_store_pages(vigil_watch *w, struct wsource **src, const vigil_page **pages,
			      size_t n, char *errbuf);
vigil_error watch_store_page(vigil_watch *w, struct wsource *s, const vigil_page *page,
			     char *errbuf);

/* watch-state.c */
/* Finalize the statements kept for the hot path. */
void watch_state_free(vigil_watch *w);
vigil_error watch_register_clinicians(vigil_watch *w, char *errbuf);
vigil_error watch_load_sources(vigil_watch *w, char *errbuf);
/* Write source s's row: the cursor (unless NULL), poll times, counters
 * and the last error. s->cursor is left alone. */
vigil_error watch_save_source(vigil_watch *w, struct wsource *s, const char *cursor,
			      bool ok, const char *error, uint64_t captures, char *errbuf);
/* Remember `cursor` as s->cursor (once it is stored). */
vigil_error watch_set_cursor(struct wsource *s, const char *cursor);
/* watch_save_source(), then watch_set_cursor() if `cursor` is not NULL. */
vigil_error watch_store_source(vigil_watch *w, struct wsource *s, const char *cursor,
			       bool ok, const char *error, uint64_t captures);
bool watch_already_captured(vigil_watch *w, const vigil_post *p, const char *clinician);
vigil_error watch_add_recheck(vigil_watch *w, uint64_t seq, const char *source,
			      const char *post_id, char *errbuf);
/* The next due recheck for source `name`: its seq and post id (caller
 * frees); false if none. */
bool watch_due_recheck(vigil_watch *w, const char *name, int64_t now, uint64_t *seq,
		       char **post_id);
vigil_error watch_recheck_done(vigil_watch *w, uint64_t seq, bool finished, int64_t now);
/* The hex SHA-256 of the text last recorded for capture `seq` into hex[65];
 * false when none is stored yet (then the capture entry says). */
bool watch_recheck_text(vigil_watch *w, uint64_t seq, char hex[65]);
/* Remember `hex` as the text now recorded for capture `seq`, and
 * `labels` (space-separated) as its labels unless NULL. */
vigil_error watch_recheck_set_text(vigil_watch *w, uint64_t seq, const char *hex,
				   const char *labels, char *errbuf);
/* The labels an `edited` observation recorded last for capture `seq`
 * (space-separated) into out; false when none has (then the capture's
 * classification says). */
bool watch_recheck_labels(vigil_watch *w, uint64_t seq, char *out, size_t size);

/* alert.c */
/* Queue alerts for the entries of `b` that are captures carrying alert
 * labels; the batch's entry i was appended as seq first + i. Called inside
 * the append's transaction, while the batch still holds its bodies. */
vigil_error alert_queue(vigil_watch *w, const vigil_batch *b, uint64_t first, char *errbuf);
/* Inside the append of `edited` observation `seq` of capture `capture`:
 * keep the post's new `text` and its `classification` (table edits), and
 * queue an alert if it has alert labels that the text it replaced (labels
 * `before`, space-separated) had not. */
vigil_error alert_queue_edit(vigil_watch *w, uint64_t seq, uint64_t capture, const char *text,
			     const json_t *classification, const char *before, char *errbuf);
/* Send the alerts that are due; returns how many were delivered. */
unsigned alert_send_due(vigil_watch *w, int64_t now);
/* Hand the latest checkpoint to the witness and record an anchor entry. */
vigil_error witness_send(vigil_watch *w);

#endif
