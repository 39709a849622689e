/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch.c - the watcher: poll sources, record captures, advance cursors
 * only after the posts are stored, re-check captures for deletion.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <time.h>

#include "ledger-int.h"
#include "watch-int.h"

static vigil_error
setup_sources(vigil_watch *w, const vigil_config *cfg, struct wsource **out, size_t *n,
	      char *errbuf)
{
	struct wsource *list = calloc(cfg->n_sources ? cfg->n_sources : 1, sizeof(*list));
	vigil_error r = VIGIL_OK;

	if (!list)
		return VIGIL_E_NOMEM;
	for (size_t i = 0; i < cfg->n_sources; i++) {
		char err[VIGIL_ERRBUF_SIZE] = "";

		list[i].conf = &cfg->sources[i];
		list[i].recheck_seq = -1;
		r = vigil_source_new(&cfg->sources[i].src, &list[i].src, err);
		if (r != VIGIL_OK) {
			r = vigil_fail(errbuf, r, "%s:%u: [source %s]: %s", cfg->path,
				       cfg->sources[i].line, cfg->sources[i].name, err);
			for (size_t j = 0; j < i; j++)
				vigil_source_free(list[j].src);
			free(list);
			return r;
		}
	}
	(void)w;
	*out = list;
	*n = cfg->n_sources;
	return VIGIL_OK;
}

static void
free_sources(struct wsource *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vigil_source_free(list[i].src);
		free(list[i].cursor);
	}
	free(list);
}

static vigil_error
make_classifier(const vigil_config *cfg, vigil_classifier **out, char *errbuf)
{
	vigil_classifier *c;
	vigil_error r = vigil_classifier_new(cfg->rules, &c, errbuf);

	for (int i = 0; r == VIGIL_OK && i < VIGIL_CATEGORY_COUNT; i++)
		if (cfg->thresholds[i])
			r = vigil_classifier_set_threshold(c, vigil_category_name((vigil_category)i),
							   cfg->thresholds[i]);
	/* A clinician's names and handles are "you" in posts about them; a
	 * name of nothing but punctuation is skipped (INVAL). */
	for (size_t i = 0; r == VIGIL_OK && i < cfg->n_clinicians; i++) {
		const vigil_conf_clinician *cl = &cfg->clinicians[i];
		vigil_error t = cl->name ? vigil_classifier_add_target(c, cl->id, cl->name)
					 : VIGIL_OK;

		for (size_t k = 0; t != VIGIL_E_NOMEM && k < cl->n_aliases; k++)
			t = vigil_classifier_add_target(c, cl->id, cl->aliases[k]);
		for (size_t k = 0; t != VIGIL_E_NOMEM && k < cl->n_handles; k++)
			t = vigil_classifier_add_target(c, cl->id, cl->handles[k]);
		if (t == VIGIL_E_NOMEM)
			r = vigil_fail(errbuf, t, "out of memory");
	}
	if (r != VIGIL_OK) {
		vigil_classifier_free(c);
		return r;
	}
	*out = c;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_watch_new(const vigil_config *cfg, vigil_watch **out, char *errbuf)
{
	vigil_watch *w = calloc(1, sizeof(*w));
	char id[65];
	vigil_error r;

	if (!w)
		return VIGIL_E_NOMEM;
	w->cfg = cfg;
	if (!cfg->database || !cfg->signing_key) {
		r = vigil_fail(errbuf, VIGIL_E_INVAL, "%s: [vigil] needs database and signing_key",
			       cfg->path);
		goto fail;
	}
	r = vigil_ledger_open(cfg->database, cfg->signing_key, VIGIL_OPEN_CREATE, &w->ledger, errbuf);
	if (r != VIGIL_OK)
		goto fail;
	w->db = ledger_db(w->ledger);
	ledger_relax_state_writes(w->ledger);
	vigil_ledger_key_id(w->ledger, id);
	log_notice("Ledger %s, signing key %s", cfg->database, id);
	r = make_classifier(cfg, &w->classifier, errbuf);
	if (r == VIGIL_OK)
		r = vigil_fetcher_new(&w->fetcher);
	if (r == VIGIL_OK)
		r = setup_sources(w, cfg, &w->sources, &w->n_sources, errbuf);
	if (r == VIGIL_OK)
		r = watch_load_sources(w, errbuf);
	if (r == VIGIL_OK)
		r = watch_register_clinicians(w, errbuf);
	if (r != VIGIL_OK)
		goto fail;
	*out = w;
	return VIGIL_OK;
fail:
	vigil_watch_free(w);
	return r;
}

VIGIL_EXPORT void
vigil_watch_free(vigil_watch *w)
{
	if (!w)
		return;
	vigil_fetcher_free(w->fetcher);
	watch_state_free(w);
	free_sources(w->sources, w->n_sources);
	vigil_classifier_free(w->classifier);
	vigil_ledger_close(w->ledger);
	free(w);
}

VIGIL_EXPORT vigil_ledger *
vigil_watch_ledger(vigil_watch *w)
{
	return w->ledger;
}

VIGIL_EXPORT void
vigil_watch_stop(vigil_watch *w)
{
	w->stop = true;
}

VIGIL_EXPORT void
vigil_watch_get_stats(const vigil_watch *w, vigil_watch_stats *out)
{
	*out = w->stats;
}

static bool
any_in_flight(const vigil_watch *w)
{
	for (size_t i = 0; i < w->n_sources; i++)
		if (w->sources[i].in_flight || w->sources[i].recheck_seq >= 0)
			return true;
	return false;
}

/* Transfers at once: enough to hide latency, few enough not to swamp a
 * platform (or our own test server) when a thousand sources fall due. */
#define WATCH_MAX_PARALLEL 32
/* Results stored together at most (all the transfers that can run). */
#define WATCH_MAX_GROUP WATCH_MAX_PARALLEL

/* Start the page fetches that are due; an idle source with no page due
 * may run one due re-check instead. */
static void
start_due(vigil_watch *w, int64_t now)
{
	size_t running = 0;

	for (size_t i = 0; i < w->n_sources; i++)
		running += w->sources[i].in_flight || w->sources[i].recheck_seq >= 0;
	for (size_t i = 0; i < w->n_sources && !w->stop && running < WATCH_MAX_PARALLEL; i++) {
		struct wsource *s = &w->sources[i];
		char err[VIGIL_ERRBUF_SIZE] = "";
		char *post_id = NULL;
		uint64_t seq;

		if (s->in_flight || s->recheck_seq >= 0)
			continue;
		if (s->next_ms <= now) {
			if (vigil_fetcher_start(w->fetcher, s->src, s->cursor, err) == VIGIL_OK) {
				s->in_flight = true;
				running++;
			} else {
				log_err("[source %s] %s", s->conf->name, err);
				s->next_ms = now + 60000;
			}
		} else if (!w->once && !s->walking && !s->failed &&
			   watch_due_recheck(w, s->conf->name, now, &seq, &post_id)) {
			if (vigil_fetcher_start_exists(w->fetcher, s->src, post_id, err) == VIGIL_OK) {
				s->recheck_seq = (int64_t)seq;
				running++;
			} else {
				log_warn("[source %s] re-check: %s", s->conf->name, err);
			}
			free(post_id);
		}
	}
}

/* Inside an observation's transaction: the re-check moves on with it, and
 * an edit that calls for an alert queues one. */
struct recheck_state {
	vigil_watch *w;
	uint64_t seq;
	bool finished;          /* no more checks (deleted) */
	const char *text_sha256; /* the text now recorded, or NULL */
	int64_t now;
	/* An edit: */
	const char *text;        /* the new text */
	json_t *classification;  /* its classification, or NULL */
	const char *labels;      /* its labels, space-separated */
	const char *before;      /* the labels of the text it replaced */
};

static vigil_error
recheck_state(void *ctx, uint64_t first, uint64_t size, char *errbuf)
{
	struct recheck_state *rs = ctx;
	vigil_error r = VIGIL_OK;

	(void)size;
	if (rs->text_sha256)
		r = watch_recheck_set_text(rs->w, rs->seq, rs->text_sha256, rs->labels, errbuf);
	if (r == VIGIL_OK && rs->classification)
		r = alert_queue_edit(rs->w, first, rs->seq, rs->text, rs->classification,
				     rs->before, errbuf);
	if (r == VIGIL_OK)
		r = watch_recheck_done(rs->w, rs->seq, rs->finished, rs->now);
	return r;
}

/* Append one observation (`body`, taken) of capture rs->seq, with its
 * payload blob when not NULL, and the re-check's new state. */
static vigil_error
observe(vigil_watch *w, json_t *body, const vigil_post *payload, struct recheck_state *rs,
	char *errbuf)
{
	vigil_batch *b = NULL;
	vigil_error r;

	r = body ? vigil_batch_new(&b) : VIGIL_E_NOMEM;
	if (r == VIGIL_OK && payload)
		r = vigil_batch_add_blob(b, payload->payload, payload->payload_len, NULL);
	if (r == VIGIL_OK)
		r = batch_add_json(b, "observation", body, errbuf);
	else
		json_decref(body);
	if (r == VIGIL_OK)
		r = ledger_append_with(w->ledger, b, recheck_state, rs, NULL, NULL, errbuf);
	vigil_batch_free(b);
	if (r == VIGIL_OK)
		w->appended_unwitnessed++;
	return r;
}

static vigil_error
observe_deleted(vigil_watch *w, uint64_t seq, const char *source, int64_t now,
		char *errbuf)
{
	struct recheck_state rs = { w, seq, true, NULL, now, NULL, NULL, NULL, NULL };
	char detail[256], now_s[32];
	json_t *body;
	vigil_error r;

	vigil_format_time(now, now_s);
	snprintf(detail, sizeof(detail), "source %s: the platform no longer has the post (checked %s)",
		 source, now_s);
	body = json_pack("{s:I, s:s, s:s, s:n}", "of", (json_int_t)seq, "status", "deleted",
			 "detail", detail, "payload");
	r = observe(w, body, NULL, &rs, errbuf);
	if (r == VIGIL_OK) {
		w->stats.observations++;
		log_notice("[source %s] seq %" PRIu64 ": post deleted on the platform", source, seq);
	}
	return r;
}

/* The labels of a classification object, space-separated, into out. */
static void
join_labels(const json_t *classification, char *out, size_t size)
{
	json_t *l = json_object_get(classification, "labels");
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(l) && used < size; i++)
		if (json_is_string(json_array_get(l, i)))
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
						 json_string_value(json_array_get(l, i)));
}

/* What capture `seq` recorded: the hex SHA-256 of its body.post.text and
 * its labels, space-separated. */
static vigil_error
captured_text(vigil_watch *w, uint64_t seq, char hex[65], char *labels, size_t size,
	      char *errbuf)
{
	vigil_entry *e = NULL;
	json_t *o = NULL, *body, *text;
	uint8_t h[32];
	vigil_error r;

	r = vigil_ledger_get(w->ledger, seq, &e);
	if (r != VIGIL_OK)
		return vigil_fail(errbuf, r, "re-check: capture seq %" PRIu64 " not readable", seq);
	if (strcmp(e->kind, "capture") == 0)
		o = json_loadb(e->bytes, e->len, 0, NULL);
	body = json_object_get(o, "body");
	text = json_object_get(json_object_get(body, "post"), "text");
	if (json_is_string(text)) {
		vigil_sha256(json_string_value(text), json_string_length(text), h);
		vigil_hex(h, sizeof(h), hex);
	} else {
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "re-check: seq %" PRIu64 " is not a capture "
			       "with body.post.text", seq);
	}
	join_labels(json_object_get(body, "classification"), labels, size);
	json_decref(o);
	vigil_entry_free(e);
	return r;
}

/* A reader sees the new text in the detail; past this it is cut (on a
 * character boundary) and the payload blob has the rest. */
#define EDIT_TEXT_MAX 4096

/* The classification of the new text (NULL: no classifier, or it failed),
 * and its labels, space-separated, into out ("" if none). */
static json_t *
edit_classify(vigil_watch *w, const char *clinician, const char *text, char *out, size_t size)
{
	char err[VIGIL_ERRBUF_SIZE];
	json_t *c;

	out[0] = '\0';
	if (!w->classifier || classifier_wake(w->classifier, err) != VIGIL_OK)
		return NULL;
	c = classifier_json(w->classifier, clinician, text, strlen(text));
	join_labels(c, out, size);
	return c;
}

/* If the post's text is not the one last recorded for capture `seq`,
 * append an `edited` observation with the new text and the platform's
 * whole answer as its payload. */
static vigil_error
check_edited(vigil_watch *w, struct wsource *s, uint64_t seq, const vigil_post *now_post,
	     int64_t now, char *errbuf)
{
	struct recheck_state rs = { w, seq, false, NULL, now, NULL, NULL, NULL, NULL };
	const char *text = now_post->text ? now_post->text : "";
	char known[65], hex[65], blob[65], now_s[32], labels[64], words[64], before[64] = "";
	size_t len = strlen(text), shown = len > EDIT_TEXT_MAX ? EDIT_TEXT_MAX : len, n = 0;
	json_t *body;
	uint8_t h[32];
	char *detail;
	bool stored = watch_recheck_text(w, seq, known);
	vigil_error r;

	if (!stored) {
		char err[VIGIL_ERRBUF_SIZE] = "";

		/* Nothing to compare with is no edit, and no reason to stop. */
		if (captured_text(w, seq, known, before, sizeof(before), err) != VIGIL_OK) {
			log_warn("[source %s] %s", s->conf->name, err);
			return watch_recheck_done(w, seq, false, now);
		}
	}
	vigil_sha256(text, len, h);
	vigil_hex(h, sizeof(h), hex);
	if (strcmp(hex, known) == 0) {
		/* Remember the capture's text, so later checks need not read
		 * the capture entry again. */
		r = stored ? VIGIL_OK : watch_recheck_set_text(w, seq, hex, NULL, errbuf);
		return r == VIGIL_OK ? watch_recheck_done(w, seq, false, now) : r;
	}
	if (!now_post->payload)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "re-check of seq %" PRIu64 ": the "
				  "answer has no payload", seq);
	while (shown < len && shown > 0 && ((unsigned char)text[shown] & 0xC0) == 0x80)
		shown--;        /* never cut a character in two */
	vigil_format_time(now, now_s);
	if (stored && !watch_recheck_labels(w, seq, before, sizeof(before))) {
		char err[VIGIL_ERRBUF_SIZE] = "", unused[65];

		/* The first edit: the capture's labels are the ones it replaces
		 * (none, when the capture cannot be read). */
		if (captured_text(w, seq, unused, before, sizeof(before), err) != VIGIL_OK)
			log_warn("[source %s] %s", s->conf->name, err);
	}
	rs.classification = edit_classify(w, s->conf->clinician, text, words, sizeof(words));
	for (const char *p = words; *p && n + 3 < sizeof(labels); p++) {
		if (*p == ' ')
			labels[n++] = ',';
		labels[n++] = *p;
	}
	labels[n] = '\0';
	rs.text = text;
	rs.labels = words;
	rs.before = before;
	if (asprintf(&detail, "source %s: the post's text changed (checked %s); labels now: %s; "
		     "it now reads: %.*s%s", s->conf->name, now_s, labels[0] ? labels : "none",
		     (int)shown, text, shown < len ? " [...]" : "") < 0) {
		json_decref(rs.classification);
		return VIGIL_E_NOMEM;
	}
	vigil_sha256(now_post->payload, now_post->payload_len, h);
	vigil_hex(h, sizeof(h), blob);
	body = json_pack("{s:I, s:s, s:s, s:{s:s, s:I, s:s}}", "of", (json_int_t)seq,
			 "status", "edited", "detail", detail, "payload", "sha256", blob,
			 "size", (json_int_t)now_post->payload_len, "type", "application/json");
	free(detail);
	rs.text_sha256 = hex;
	r = observe(w, body, now_post, &rs, errbuf);
	json_decref(rs.classification);
	if (r == VIGIL_OK) {
		w->stats.edits++;
		log_notice("[source %s] seq %" PRIu64 ": post edited on the platform%s%s", s->conf->name,
			   seq, labels[0] ? "; labels now: " : "", labels);
	}
	return r;
}

static struct wsource *
source_of(vigil_watch *w, const vigil_fetch_result *res)
{
	for (size_t i = 0; i < w->n_sources; i++)
		if (w->sources[i].src == res->source)
			return &w->sources[i];
	return NULL;
}

static vigil_error page_done(vigil_watch *w, struct wsource *s, const vigil_fetch_result *res,
			     vigil_error r);

static vigil_error
handle_result(vigil_watch *w, vigil_fetch_result *res, char *errbuf)
{
	struct wsource *s = source_of(w, res);
	int64_t now = vigil_now_ms();

	if (!s)
		return VIGIL_OK;
	if (s->recheck_seq >= 0 && !s->in_flight) {
		uint64_t seq = (uint64_t)s->recheck_seq;

		s->recheck_seq = -1;
		if (res->error != VIGIL_OK) {
			log_warn("[source %s] re-check of seq %" PRIu64 ": %s, retrying later",
				 s->conf->name, seq, res->message);
			if (res->retry_at_ms > s->next_ms)
				s->next_ms = res->retry_at_ms;
			return VIGIL_OK;
		}
		if (!res->exists)
			return observe_deleted(w, seq, s->conf->name, now, errbuf);
		if (res->current)
			return check_edited(w, s, seq, res->current, now, errbuf);
		return watch_recheck_done(w, seq, false, now);
	}
	s->in_flight = false;
	if (res->error != VIGIL_OK) {
		w->stats.errors++;
		s->failed = true;
		s->attempts++;
		s->next_ms = res->retry_at_ms > now ? res->retry_at_ms : now + 1000;
		log_err("[source %s] %s", s->conf->name, res->message);
		watch_store_source(w, s, NULL, false, res->message, 0);
		return VIGIL_OK;
	}
	return page_done(w, s, res, watch_store_page(w, s, res->page, errbuf));
}

/* Several results that came in together: the pages among them are stored
 * in one transaction, the rest (errors, re-checks) one by one. */
static vigil_error
handle_results(vigil_watch *w, vigil_fetch_result **res, size_t n, char *errbuf)
{
	struct wsource *src[WATCH_MAX_GROUP];
	const vigil_page *pages[WATCH_MAX_GROUP];
	vigil_fetch_result *pres[WATCH_MAX_GROUP];
	size_t np = 0;
	vigil_error r = VIGIL_OK, t;

	for (size_t i = 0; i < n; i++) {
		struct wsource *s = source_of(w, res[i]);

		if (s && s->in_flight && res[i]->error == VIGIL_OK && res[i]->page) {
			src[np] = s;
			pages[np] = res[i]->page;
			pres[np++] = res[i];
		} else if ((t = handle_result(w, res[i], errbuf)) != VIGIL_OK && r == VIGIL_OK) {
			r = t;
		}
	}
	if (np == 0)
		return r;
	for (size_t j = 0; j < np; j++)
		src[j]->in_flight = false;
	t = watch_store_pages(w, src, pages, np, errbuf);
	for (size_t j = 0; j < np; j++) {
		vigil_error u = page_done(w, src[j], pres[j], t);

		if (u != VIGIL_OK && r == VIGIL_OK)
			r = u;
	}
	return r;
}

/* After a page was stored (r is VIGIL_OK) or not: when to fetch next. */
static vigil_error
page_done(vigil_watch *w, struct wsource *s, const vigil_fetch_result *res, vigil_error r)
{
	int64_t now = vigil_now_ms();

	if (r != VIGIL_OK) {
		/* Not stored: the cursor did not move, so the page comes again. */
		s->failed = true;
		s->next_ms = now + 5000;
		return r;
	}
	s->failed = false;
	s->attempts = 0;
	s->walking = res->page->more;
	if (res->retry_at_ms > now)
		s->next_ms = res->retry_at_ms;
	else
		s->next_ms = s->walking ? now : now + (int64_t)s->conf->interval * 1000;
	if (!s->walking && w->once && s->resumed) {
		/* That walk began in an earlier run; what came since lies above
		 * where it began, so walk once more from the top. */
		s->resumed = false;
	} else if (!s->walking) {
		s->polled = true;
		if (w->once)
			s->next_ms = INT64_MAX;  /* one walk per source */
	}
	return VIGIL_OK;
}

VIGIL_EXPORT int64_t
vigil_watch_idle_ms(const vigil_watch *w)
{
	int64_t now = vigil_now_ms(), best = -1;

	for (size_t i = 0; i < w->n_sources; i++) {
		int64_t d = w->sources[i].next_ms - now;

		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

VIGIL_EXPORT vigil_error
vigil_watch_step(vigil_watch *w, int max_wait_ms, char *errbuf)
{
	int64_t now = vigil_now_ms(), deadline = now + max_wait_ms;
	vigil_error r = VIGIL_OK;

	if (!w->stop)
		start_due(w, now);
	while (r == VIGIL_OK) {
		vigil_fetch_result *res = NULL;
		int64_t left = deadline - vigil_now_ms();
		vigil_error pr;

		if (!any_in_flight(w)) {
			int64_t idle = vigil_watch_idle_ms(w);

			/* Sleep until the next source is due, within the budget. */
			if (w->stop || idle == 0 || left <= 0)
				break;
			if (idle > 5000 && !w->trimmed) {
				/* A long wait: give back the compiled statements and
				 * the page cache, the classifier's rules, model and
				 * automaton (made again in some 40 ms when the next
				 * page comes), the idle connections and the freed
				 * heap. */
				watch_state_free(w);
				ledger_stmt_release(w->ledger);
				sqlite3_db_release_memory(w->db);
				classifier_sleep(w->classifier);
				fetcher_drop_connections(w->fetcher);
				malloc_trim(0);
				w->trimmed = true;
				log_debug("idle for %lld s: memory given back",
					  (long long)(idle / 1000));
			}
			if (idle > 0 && idle < left)
				left = idle;
			{
				struct timespec ts = { left / 1000, (left % 1000) * 1000000 };

				secret_wipe_registers();
				nanosleep(&ts, NULL);  /* a signal ends it early */
			}
			break;
		}
		pr = vigil_fetcher_poll(w->fetcher, left > 0 ? (int)(left < 1000 ? left : 1000) : 0,
					&res);
		if (pr == VIGIL_OK && res) {
			vigil_fetch_result *got[WATCH_MAX_GROUP] = { res };
			size_t n = 1;

			/* Whatever else has finished meanwhile is stored with it. */
			while (n < WATCH_MAX_GROUP &&
			       vigil_fetcher_poll(w->fetcher, 0, &got[n]) == VIGIL_OK && got[n])
				n++;
			w->trimmed = false;
			r = handle_results(w, got, n, errbuf);
			for (size_t i = 0; i < n; i++)
				vigil_fetch_result_free(got[i]);
			if (!w->stop)
				start_due(w, vigil_now_ms());
			continue;
		}
		if (left <= 0 || (w->stop && !any_in_flight(w)))
			break;
	}
	if (r == VIGIL_OK) {
		if (alert_send_due(w, vigil_now_ms()) > 0)
			log_info("alerts delivered");
		if (w->appended_unwitnessed > 0 && !any_in_flight(w)) {
			bool walking = false;

			for (size_t i = 0; i < w->n_sources; i++)
				walking = walking || w->sources[i].walking;
			if (!walking)
				witness_send(w);
		}
	}
	return r;
}

static vigil_error once_poll(vigil_watch *w, const char *only, int64_t start,
			     unsigned max_wait_s, char *errbuf);

VIGIL_EXPORT vigil_error
vigil_watch_once(vigil_watch *w, const char *only, unsigned max_wait_s, char *errbuf)
{
	int64_t start = vigil_now_ms();
	vigil_error r;
	bool found = !only;

	for (size_t i = 0; i < w->n_sources; i++) {
		struct wsource *s = &w->sources[i];
		bool chosen = !only || strcmp(s->conf->name, only) == 0;

		found = found || chosen;
		s->polled = !chosen;
		s->resumed = chosen && walk_in_progress(s->cursor);
		s->walking = false;
		s->failed = false;
		s->attempts = 0;
		s->next_ms = chosen ? start : INT64_MAX;
	}
	if (!found)
		return vigil_fail(errbuf, VIGIL_E_NOTFOUND, "no source named '%s'", only);
	w->once = true;
	r = once_poll(w, only, start, max_wait_s, errbuf);
	w->once = false;
	return r;
}

static vigil_error
once_poll(vigil_watch *w, const char *only, int64_t start, unsigned max_wait_s, char *errbuf)
{
	vigil_error r = VIGIL_OK;

	for (;;) {
		bool pending = false;

		for (size_t i = 0; i < w->n_sources; i++) {
			struct wsource *s = &w->sources[i];

			if (s->polled || s->next_ms == INT64_MAX)
				continue;
			/* Give up on a source that keeps failing or waits too long. */
			if (s->failed && (s->attempts >= 3 ||
					  s->next_ms - start > (int64_t)max_wait_s * 1000)) {
				s->polled = true;
				s->next_ms = INT64_MAX;
				continue;
			}
			pending = true;
		}
		if (w->stop || (!pending && !any_in_flight(w)))
			break;
		r = vigil_watch_step(w, 1000, errbuf);
		if (r != VIGIL_OK)
			return r;
	}
	/* The re-checks due when polling ended, each once (one running per
	 * source at a time). */
	int64_t due_by = vigil_now_ms();

	for (;;) {
		bool started = false;
		int64_t now = due_by;
		size_t running = 0;

		for (size_t i = 0; i < w->n_sources && !w->stop && running < WATCH_MAX_PARALLEL; i++) {
			struct wsource *s = &w->sources[i];
			char err[VIGIL_ERRBUF_SIZE] = "", *post_id = NULL;
			uint64_t seq;

			if ((only && strcmp(s->conf->name, only) != 0) || s->failed ||
			    s->in_flight || s->recheck_seq >= 0 ||
			    !watch_due_recheck(w, s->conf->name, now, &seq, &post_id))
				continue;
			if (vigil_fetcher_start_exists(w->fetcher, s->src, post_id, err) == VIGIL_OK) {
				s->recheck_seq = (int64_t)seq;
				started = true;
				running++;
			} else {
				log_warn("[source %s] re-check: %s", s->conf->name, err);
			}
			free(post_id);
		}
		if (!started && !any_in_flight(w))
			break;
		while (any_in_flight(w)) {
			vigil_fetch_result *res = NULL;

			if (vigil_fetcher_poll(w->fetcher, 1000, &res) == VIGIL_OK && res) {
				r = handle_result(w, res, errbuf);
				vigil_fetch_result_free(res);
				if (r != VIGIL_OK)
					return r;
			}
		}
	}
	alert_send_due(w, vigil_now_ms());
	if (w->appended_unwitnessed > 0)
		witness_send(w);
	for (size_t i = 0; i < w->n_sources; i++) {
		struct wsource *s = &w->sources[i];

		if ((!only || strcmp(s->conf->name, only) == 0) && s->failed)
			r = vigil_fail(errbuf, VIGIL_E_NET, "[source %s] could not be polled (see the log)",
				       s->conf->name);
	}
	return r;
}

VIGIL_EXPORT vigil_error
vigil_watch_reload(vigil_watch *w, const vigil_config *cfg, char *errbuf)
{
	struct wsource *list = NULL, *old = w->sources;
	const vigil_config *old_cfg = w->cfg;
	vigil_classifier *c = NULL;
	size_t n = 0, old_n = w->n_sources;
	vigil_error r;

	if (!cfg->database || strcmp(cfg->database, old_cfg->database) != 0 ||
	    strcmp(cfg->signing_key, old_cfg->signing_key) != 0)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "database and signing_key cannot change on reload; restart vigild");
	/* Let fetches in flight finish against the old sources. */
	while (any_in_flight(w)) {
		vigil_fetch_result *res = NULL;

		if (vigil_fetcher_poll(w->fetcher, 1000, &res) == VIGIL_OK && res) {
			r = handle_result(w, res, errbuf);
			vigil_fetch_result_free(res);
			if (r != VIGIL_OK)
				return r;
		}
	}
	r = make_classifier(cfg, &c, errbuf);
	if (r == VIGIL_OK)
		r = setup_sources(w, cfg, &list, &n, errbuf);
	if (r != VIGIL_OK) {
		vigil_classifier_free(c);
		return r;
	}
	w->cfg = cfg;
	w->sources = list;
	w->n_sources = n;
	r = watch_load_sources(w, errbuf);
	if (r == VIGIL_OK)
		r = watch_register_clinicians(w, errbuf);
	if (r != VIGIL_OK) {
		free_sources(list, n);
		vigil_classifier_free(c);
		w->cfg = old_cfg;
		w->sources = old;
		w->n_sources = old_n;
		return r;
	}
	free_sources(old, old_n);
	vigil_classifier_free(w->classifier);
	w->classifier = c;
	log_notice("Configuration reloaded: %zu clinicians, %zu sources", cfg->n_clinicians, n);
	return VIGIL_OK;
}
