/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert.c - alerts to a clinician's webhook and e-mail, grouped per author,
 * retried with back-off; and checkpoints handed to a witness.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "config.h"
#include "ledger-int.h"
#include "watch-int.h"

#define ALERT_MAX_BACKOFF_MS (3600 * 1000)

static vigil_error
stmt(vigil_watch *w, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(w->db, sql, -1, st, NULL) == SQLITE_OK ? VIGIL_OK : VIGIL_E_DB;
}

/* The body of entry `seq` when it is of `kind`, or NULL. Caller decrefs. */
static json_t *
entry_body(vigil_watch *w, uint64_t seq, const char *kind)
{
	vigil_entry *e = NULL;
	json_t *j, *body = NULL;

	if (vigil_ledger_get(w->ledger, seq, &e) != VIGIL_OK)
		return NULL;
	j = json_loadb(e->bytes, e->len, 0, NULL);
	if (strcmp(e->kind, kind) == 0)
		body = json_incref(json_object_get(j, "body"));
	json_decref(j);
	vigil_entry_free(e);
	return body;
}

/* The labels of `classification` that call for an alert, space-separated. */
static bool
alert_labels_of(const vigil_watch *w, const json_t *classification, char *out, size_t size)
{
	json_t *labels = json_object_get(classification, "labels");

	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(labels); i++) {
		const char *l = json_string_value(json_array_get(labels, i));

		for (int c = 0; l && c < VIGIL_CATEGORY_COUNT; c++)
			if (w->cfg->alert_labels[c] && strcmp(l, vigil_category_name((vigil_category)c)) == 0) {
				size_t n = strlen(out);

				snprintf(out + n, size - n, "%s%s", n ? " " : "", l);
			}
	}
	return out[0] != '\0';
}

/* The statements that queue alerts, prepared once per append. */
struct alert_q {
	sqlite3_stmt *find, *sent, *upd, *ins;
	int64_t now, window;
};

static vigil_error
alert_q_open(vigil_watch *w, struct alert_q *q)
{
	vigil_ledger *l = w->ledger;
	vigil_error r;

	*q = (struct alert_q){ .now = vigil_now_ms(),
			       .window = (int64_t)w->cfg->alert_group_window * 1000 };
	r = ledger_stmt(l, "SELECT id, labels FROM alerts WHERE clinician = ? AND author = ? AND "
			"sent_ms IS NULL ORDER BY id DESC LIMIT 1", &q->find, NULL);
	if (r == VIGIL_OK)
		r = ledger_stmt(l, "SELECT max(sent_ms) FROM alerts WHERE clinician = ? AND "
				"author = ? AND sent_ms > ?", &q->sent, NULL);
	if (r == VIGIL_OK)
		r = ledger_stmt(l, "UPDATE alerts SET last_seq = ?2, count = count + 1, labels = ?3 "
				"WHERE id = ?1", &q->upd, NULL);
	if (r == VIGIL_OK)
		r = ledger_stmt(l, "INSERT INTO alerts (clinician, author, first_seq, last_seq, count, "
				"labels, created_ms, next_try_ms) VALUES (?1, ?2, ?3, ?3, 1, ?4, ?5, ?6)",
				&q->ins, NULL);
	return r;
}

static void
alert_q_close(vigil_watch *w, struct alert_q *q)
{
	ledger_stmt_done(w->ledger, q->find);
	ledger_stmt_done(w->ledger, q->sent);
	ledger_stmt_done(w->ledger, q->upd);
	ledger_stmt_done(w->ledger, q->ins);
}

/* Queue an alert for entry `seq`, whose post (in capture body `body`)
 * earned the alert labels `labels` (space-separated; changed). */
static vigil_error
alert_q_add(struct alert_q *q, const json_t *body, uint64_t seq, char *labels)
{
	const char *clin, *author;
	int64_t due;

	clin = json_string_value(json_object_get(body, "clinician"));
	author = json_string_value(json_object_get(json_object_get(body, "author"), "id"));
	if (!author)
		author = json_string_value(json_object_get(json_object_get(body, "author"), "handle"));
	clin = clin ? clin : "";
	author = author ? author : "";
	sqlite3_reset(q->find);
	sqlite3_bind_text(q->find, 1, clin, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q->find, 2, author, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q->find) == SQLITE_ROW) {
		/* Fold into the alert not yet sent about this author. */
		char merged[192];
		const char *old = (const char *)sqlite3_column_text(q->find, 1);

		snprintf(merged, sizeof(merged), "%s", old ? old : "");
		for (char *save = NULL, *t = strtok_r(labels, " ", &save); t;
		     t = strtok_r(NULL, " ", &save))
			if (!vigil_has_word(merged, t) && strlen(merged) + strlen(t) + 2 < sizeof(merged))
				strcat(strcat(merged, " "), t);
		sqlite3_reset(q->upd);
		sqlite3_bind_int64(q->upd, 1, sqlite3_column_int64(q->find, 0));
		sqlite3_bind_int64(q->upd, 2, (sqlite3_int64)seq);
		sqlite3_bind_text(q->upd, 3, merged, -1, SQLITE_TRANSIENT);
		return sqlite3_step(q->upd) == SQLITE_DONE ? VIGIL_OK : VIGIL_E_DB;
	}
	/* Sent one about this author lately: the rest waits for the window
	 * to close and goes as one summary with a count. */
	due = q->now;
	sqlite3_reset(q->sent);
	sqlite3_bind_text(q->sent, 1, clin, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q->sent, 2, author, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q->sent, 3, q->now - q->window);
	if (sqlite3_step(q->sent) == SQLITE_ROW && sqlite3_column_type(q->sent, 0) != SQLITE_NULL)
		due = sqlite3_column_int64(q->sent, 0) + q->window;
	sqlite3_reset(q->ins);
	sqlite3_bind_text(q->ins, 1, clin, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q->ins, 2, author, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q->ins, 3, (sqlite3_int64)seq);
	sqlite3_bind_text(q->ins, 4, labels, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q->ins, 5, q->now);
	sqlite3_bind_int64(q->ins, 6, due);
	return sqlite3_step(q->ins) == SQLITE_DONE ? VIGIL_OK : VIGIL_E_DB;
}

vigil_error
alert_queue(vigil_watch *w, const vigil_batch *b, uint64_t first, char *errbuf)
{
	struct alert_q q;
	vigil_error r;

	r = alert_q_open(w, &q);
	for (size_t i = 0; r == VIGIL_OK && i < b->n; i++) {
		json_t *body = b->entries[i].body;
		char labels[96];

		if (strcmp(b->entries[i].kind, "capture") == 0 &&
		    alert_labels_of(w, json_object_get(body, "classification"), labels, sizeof(labels)))
			r = alert_q_add(&q, body, first + i, labels);
	}
	alert_q_close(w, &q);
	if (r != VIGIL_OK)
		r = ledger_sqlite_error(w->db, sqlite3_errcode(w->db), "state: queueing alerts", errbuf);
	return r;
}

vigil_error
alert_queue_edit(vigil_watch *w, uint64_t seq, uint64_t capture, const char *text,
		 const json_t *classification, const char *before, char *errbuf)
{
	sqlite3_stmt *st = NULL;
	struct alert_q q = { 0 };
	char labels[96], *cls;
	json_t *body = NULL;
	vigil_error r;
	bool fresh = false;

	/* Every edit's text and judgement, for alerts and the review queue. */
	cls = json_dumps(classification, JSON_COMPACT | JSON_PRESERVE_ORDER);
	r = cls ? ledger_stmt(w->ledger, "INSERT INTO edits (seq, capture, text, classification) "
			      "VALUES (?, ?, ?, ?)", &st, NULL) : VIGIL_E_NOMEM;
	if (r == VIGIL_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)capture);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, cls, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = VIGIL_E_DB;
		ledger_stmt_done(w->ledger, st);
	}
	free(cls);
	if (r != VIGIL_OK || !alert_labels_of(w, classification, labels, sizeof(labels)))
		goto out;
	for (const char *p = labels; *p; ) {
		char word[32];
		size_t n = strcspn(p, " ");

		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		fresh |= !vigil_has_word(before, word);
		p += n + (p[n] == ' ');
	}
	if (!fresh)             /* the text it replaced had them already */
		goto out;
	body = entry_body(w, capture, "capture");
	if (!body) {
		/* The edit is evidence all the same: record it. */
		log_warn("No alert for the edit seq %" PRIu64 ": capture seq %" PRIu64 " not readable",
			 seq, capture);
		goto out;
	}
	r = alert_q_open(w, &q);
	if (r == VIGIL_OK)
		r = alert_q_add(&q, body, seq, labels);
	alert_q_close(w, &q);
	json_decref(body);
out:
	if (r == VIGIL_E_DB)
		r = ledger_sqlite_error(w->db, sqlite3_errcode(w->db), "state: recording an edit",
					errbuf);
	return r;
}

static vigil_error
http_post(const vigil_config *cfg, const char *url, const char *type, const char *body,
	  long *status, char *errbuf)
{
	struct http_options o = { 10000, 30000, 1 << 20, "vigil/" VIGIL_VERSION, cfg->ca_file };
	struct http_xfer x;
	char *copy = strdup(body);
	vigil_error r;

	if (!copy)
		return VIGIL_E_NOMEM;
	http_xfer_init(&x, 1 << 20);
	r = http_request_url(&x.req, "POST", "%s", url);
	if (r == VIGIL_OK)
		r = http_request_header(&x.req, "Content-Type: %s", type);
	if (r == VIGIL_OK) {
		http_request_body(&x.req, copy, strlen(copy));
		copy = NULL;
		r = http_xfer_perform(&x, &o, errbuf);
	}
	free(copy);
	if (r == VIGIL_OK && x.resp.error != VIGIL_OK)
		r = vigil_fail(errbuf, x.resp.error, "%s", x.resp.message);
	else if (r == VIGIL_OK && (x.resp.status < 200 || x.resp.status > 299))
		r = vigil_fail(errbuf, VIGIL_E_HTTP, "%s answered HTTP %ld", url, x.resp.status);
	*status = x.resp.status;
	http_xfer_clear(&x);
	return r;
}

static bool
url_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool loop = false;

	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		loop = http_host_is_loopback(host);
	curl_free(host);
	curl_url_cleanup(u);
	return loop;
}

struct mail {
	const char *data;
	size_t len, pos;
};

static size_t
mail_read(char *buf, size_t size, size_t n, void *userdata)
{
	struct mail *m = userdata;
	size_t left = m->len - m->pos, take = size * n < left ? size * n : left;

	memcpy(buf, m->data + m->pos, take);
	m->pos += take;
	return take;
}

/* Send a message over SMTP: smtps://, or smtp:// with STARTTLS required,
 * plain only to a loopback host. */
static vigil_error
send_mail(const vigil_config *cfg, const char *to, const char *subject, const char *text,
	  char *errbuf)
{
	char *msg = NULL, *password = NULL, date[32];
	struct curl_slist *rcpt = NULL;
	vigil_error r = VIGIL_OK;
	struct mail m;
	CURLcode cc;
	CURL *c;
	bool plain;

	if (!cfg->smtp_url)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "no smtp_url configured");
	plain = strncmp(cfg->smtp_url, "smtp://", 7) == 0;
	vigil_format_time(vigil_now_ms(), date);
	if (asprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nX-Vigil-Time: %s\r\n"
		     "Content-Type: text/plain; charset=utf-8\r\nMIME-Version: 1.0\r\n\r\n%s\r\n",
		     cfg->smtp_from ? cfg->smtp_from : "vigil@localhost", to, subject, date, text) < 0)
		return VIGIL_E_NOMEM;
	http_global_init();
	c = curl_easy_init();
	rcpt = curl_slist_append(NULL, to);
	if (!c || !rcpt) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	if (cfg->smtp_password_file) {
		size_t len;

		/* Not through stdio: its buffer would keep a copy, unwiped. */
		r = secret_read(cfg->smtp_password_file, &password, &len, errbuf);
		if (r != VIGIL_OK)
			goto out;
	}
	m = (struct mail){ msg, strlen(msg), 0 };
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, plain && url_is_loopback(cfg->smtp_url)
			 ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	http_set_tls(c, cfg->ca_file);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, cfg->smtp_from ? cfg->smtp_from : "vigil@localhost");
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &m);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (cfg->smtp_user)
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
	if (password)
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		r = vigil_fail(errbuf, VIGIL_E_NET, "e-mail to %s via %s: %s", to, cfg->smtp_url,
			       curl_easy_strerror(cc));
out:
	secret_free(password);
	curl_slist_free_all(rcpt);
	if (c)
		curl_easy_cleanup(c);
	free(msg);
	return r;
}

/* The body an alert about entry `seq` describes: a capture's, or for an
 * `edited` observation that raised it, its capture's with the post's new
 * text and classification, and *edit set to {"capture_seq",
 * "captured_text"}. NULL when unreadable. Caller decrefs both. */
static json_t *
alert_body(vigil_watch *w, uint64_t seq, json_t **edit)
{
	sqlite3_stmt *st = NULL;
	json_t *body = entry_body(w, seq, "capture"), *cls, *post;
	uint64_t capture;

	*edit = NULL;
	if (body || stmt(w, "SELECT capture, text, classification FROM edits WHERE seq = ?",
			 &st) != VIGIL_OK)
		return body;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return NULL;
	}
	capture = (uint64_t)sqlite3_column_int64(st, 0);
	body = entry_body(w, capture, "capture");
	post = json_deep_copy(json_object_get(body, "post"));
	cls = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
	*edit = json_pack("{s:I, s:O?}", "capture_seq", (json_int_t)capture, "captured_text",
			  json_object_get(post, "text"));
	if (!body || !post || !cls || !*edit ||
	    json_object_set_new(post, "text", json_string((const char *)sqlite3_column_text(st, 1))) ||
	    json_object_set(body, "post", post) || json_object_set(body, "classification", cls)) {
		json_decref(*edit);
		*edit = NULL;
		json_decref(body);
		body = NULL;
	}
	json_decref(post);
	json_decref(cls);
	sqlite3_finalize(st);
	return body;
}

/* The webhook payload and the e-mail text of one alert. */
static bool
alert_content(vigil_watch *w, sqlite3_stmt *row, char **json_out, char **text_out,
	      char **subject_out)
{
	const char *clin = (const char *)sqlite3_column_text(row, 1);
	uint64_t first = (uint64_t)sqlite3_column_int64(row, 3);
	uint64_t last = (uint64_t)sqlite3_column_int64(row, 4);
	int64_t count = sqlite3_column_int64(row, 5);
	const char *labels = (const char *)sqlite3_column_text(row, 6);
	const vigil_conf_clinician *k = vigil_config_clinician(w->cfg, clin ? clin : "");
	json_t *edit = NULL, *body = alert_body(w, last, &edit), *post, *author, *o;
	char *json = NULL, *text = NULL, *subject = NULL, *was = NULL;

	if (!body)
		return false;
	if (edit && asprintf(&was, "The post was edited on the platform after it was captured "
			     "(ledger seq %lld); it now reads:\n\n%s\n\nWhen captured it "
			     "read:\n\n%s", (long long)json_integer_value(json_object_get(edit, "capture_seq")),
			     json_string_value(json_object_get(json_object_get(body, "post"), "text")),
			     json_string_value(json_object_get(edit, "captured_text"))) < 0) {
		json_decref(edit);
		json_decref(body);
		return false;
	}
	post = json_object_get(body, "post");
	author = json_object_get(body, "author");
	o = json_pack("{s:s, s:s, s:s?, s:s, s:I, s:I, s:I, s:O?, s:O, s:O, s:s?, s:s?, s:O?}",
		      "vigil", vigil_version(), "clinician", clin, "clinician_name",
		      k ? k->name : NULL, "labels", labels, "count", (json_int_t)count,
		      "seq", (json_int_t)last, "first_seq", (json_int_t)first,
		      "scores", json_object_get(json_object_get(body, "classification"), "scores"),
		      "author", author, "post", post, "platform",
		      json_string_value(json_object_get(body, "platform")), "url",
		      json_string_value(json_object_get(post, "url")), "edit", edit);
	json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (asprintf(&subject, "vigil alert: %s against %s (%lld post%s)", labels,
		     k && k->name ? k->name : clin, (long long)count, count == 1 ? "" : "s") < 0)
		subject = NULL;
	if (asprintf(&text,
		     "vigil recorded %lld post%s labelled %s about %s from the account %s (%s).\n\n"
		     "Latest (ledger seq %llu): %s\n\n%s\n\nThe evidence is stored; review it with "
		     "`vigilctl show %llu` or `vigilctl queue`.\n",
		     (long long)count, count == 1 ? "" : "s", labels, k && k->name ? k->name : clin,
		     json_string_value(json_object_get(author, "handle")) ?
		     json_string_value(json_object_get(author, "handle")) : "?",
		     json_string_value(json_object_get(body, "platform")),
		     (unsigned long long)last,
		     json_string_value(json_object_get(post, "url")) ?
		     json_string_value(json_object_get(post, "url")) : "(no URL)",
		     was ? was : json_string_value(json_object_get(post, "text")),
		     (unsigned long long)last) < 0)
		text = NULL;
	free(was);
	json_decref(edit);
	json_decref(body);
	if (!json || !text || !subject) {
		free(json);
		free(text);
		free(subject);
		return false;
	}
	*json_out = json;
	*text_out = text;
	*subject_out = subject;
	return true;
}

unsigned
alert_send_due(vigil_watch *w, int64_t now)
{
	sqlite3_stmt *due = NULL, *done = NULL;
	unsigned delivered = 0;

	if (stmt(w, "SELECT id, clinician, author, first_seq, last_seq, count, labels, tries, "
		 "webhook_ok, email_ok FROM alerts WHERE sent_ms IS NULL AND next_try_ms <= ? "
		 "ORDER BY id LIMIT 50", &due) != VIGIL_OK ||
	    stmt(w, "UPDATE alerts SET webhook_ok = ?2, email_ok = ?3, tries = tries + 1, "
		 "sent_ms = CASE WHEN ?2 AND ?3 THEN ?4 END, next_try_ms = ?5, last_error = ?6 "
		 "WHERE id = ?1", &done) != VIGIL_OK) {
		sqlite3_finalize(due);
		return 0;
	}
	sqlite3_bind_int64(due, 1, now);
	while (sqlite3_step(due) == SQLITE_ROW) {
		const char *clin = (const char *)sqlite3_column_text(due, 1);
		const vigil_conf_clinician *k = vigil_config_clinician(w->cfg, clin ? clin : "");
		bool hook_ok = sqlite3_column_int(due, 8) || !k || !k->alert_webhook;
		bool mail_ok = sqlite3_column_int(due, 9) || !k || !k->alert_email;
		char err[VIGIL_ERRBUF_SIZE] = "", *json = NULL, *text = NULL, *subject = NULL;
		unsigned tries = (unsigned)sqlite3_column_int(due, 7) + 1;
		long status = 0;

		if (!k || (!k->alert_webhook && !k->alert_email))
			log_notice("Alert for %s (seq %lld): no alert_webhook or alert_email configured; "
				   "recorded only", clin, (long long)sqlite3_column_int64(due, 4));
		else if (!alert_content(w, due, &json, &text, &subject))
			snprintf(err, sizeof(err), "could not read capture %lld",
				 (long long)sqlite3_column_int64(due, 4));
		if (json && !hook_ok) {
			hook_ok = http_post(w->cfg, k->alert_webhook, "application/json", json, &status,
					    err) == VIGIL_OK;
			if (!hook_ok)
				log_warn("Alert webhook for %s: %s; retrying later", clin, err);
		}
		if (text && !mail_ok) {
			mail_ok = send_mail(w->cfg, k->alert_email, subject, text, err) == VIGIL_OK;
			if (!mail_ok)
				log_warn("Alert e-mail for %s: %s; retrying later", clin, err);
		}
		sqlite3_reset(done);
		sqlite3_bind_int64(done, 1, sqlite3_column_int64(due, 0));
		sqlite3_bind_int(done, 2, hook_ok);
		sqlite3_bind_int(done, 3, mail_ok);
		sqlite3_bind_int64(done, 4, now);
		{
			int64_t delay = rl_backoff_ms(tries, randombytes_random());

			sqlite3_bind_int64(done, 5, now + (delay > ALERT_MAX_BACKOFF_MS ?
							   ALERT_MAX_BACKOFF_MS : delay));
		}
		if (err[0])
			sqlite3_bind_text(done, 6, err, -1, SQLITE_TRANSIENT);
		sqlite3_step(done);
		if (hook_ok && mail_ok) {
			delivered++;
			w->stats.alerts_sent++;
			log_notice("Alert sent: %s about %s (%lld post%s, latest seq %lld)",
				   sqlite3_column_text(due, 6), clin, (long long)sqlite3_column_int64(due, 5),
				   sqlite3_column_int64(due, 5) == 1 ? "" : "s",
				   (long long)sqlite3_column_int64(due, 4));
		} else {
			w->stats.alerts_failed++;
		}
		free(json);
		free(text);
		free(subject);
	}
	sqlite3_finalize(due);
	sqlite3_finalize(done);
	return delivered;
}

vigil_error
witness_send(vigil_watch *w)
{
	char err[VIGIL_ERRBUF_SIZE] = "", what[512] = "", now_s[32];
	const vigil_config *cfg = w->cfg;
	vigil_batch *b = NULL;
	char *note = NULL;
	json_t *body;
	vigil_error r;

	if (!cfg->witness_webhook && !cfg->witness_email)
		return VIGIL_OK;
	r = vigil_ledger_checkpoint(w->ledger, &note, err);
	vigil_format_time(vigil_now_ms(), now_s);
	if (r == VIGIL_OK && cfg->witness_webhook) {
		long status = 0;

		r = http_post(cfg, cfg->witness_webhook, "text/plain; charset=utf-8", note, &status, err);
		if (r == VIGIL_OK)
			snprintf(what, sizeof(what), "%.300s answered HTTP %ld at %s",
				 cfg->witness_webhook, status, now_s);
	}
	if (r == VIGIL_OK && cfg->witness_email) {
		char subject[128];

		snprintf(subject, sizeof(subject), "vigil checkpoint %.60s", note);
		for (char *p = subject; *p; p++)
			if (*p == '\n')
				*p = ' ';
		r = send_mail(cfg, cfg->witness_email, subject, note, err);
		if (r == VIGIL_OK) {
			size_t n = strlen(what);

			snprintf(what + n, sizeof(what) - n, "%se-mailed to %.100s at %s", n ? "; " : "",
				 cfg->witness_email, now_s);
		}
	}
	if (r != VIGIL_OK) {
		log_warn("Witness: %s; trying again after the next poll", err);
		free(note);
		return r;
	}
	body = json_pack("{s:s, s:n, s:s}", "checkpoint", note, "tsa", "witness", what);
	r = vigil_batch_new(&b);
	if (r == VIGIL_OK)
		r = body ? batch_add_json(b, "anchor", body, err) : VIGIL_E_NOMEM;
	else
		json_decref(body);
	if (r == VIGIL_OK)
		r = vigil_ledger_append(w->ledger, b, NULL, NULL, err);
	if (r == VIGIL_OK) {
		w->appended_unwitnessed = 0;
		w->stats.anchors++;
		log_info("Checkpoint handed to the witness: %s", what);
	} else {
		log_err("Witness handoff could not be recorded: %s", err);
	}
	vigil_batch_free(b);
	free(note);
	return r;
}
