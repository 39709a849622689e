/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetcher.c - many sources fetched concurrently from one thread.
 *
 * Each fetch is a little state machine on one curl easy handle inside a
 * curl multi handle: an optional login (or session refresh), then the page
 * or existence request; a rejected session is renewed once. The fetcher
 * never sleeps or retries by itself: it reports, with every result, when
 * the source may next be asked (rate-limit headers, Retry-After, or
 * backoff), and refuses to send a request for a source before that time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "vigil-private.h"

enum fetch_kind { FETCH_PAGE, FETCH_EXISTS };

struct fetch {
	struct fetch *next;
	vigil_source *src;
	enum fetch_kind kind;
	struct walk walk;
	char *post_id;
	bool authing;          /* the running transfer is the login */
	bool refreshing;       /* ... with a refresh token */
	unsigned auth_tries;
	bool restarted;        /* a stale page token restarted the walk */
	bool exists;
	struct http_xfer x;
	vigil_fetch_result *result;
};

struct vigil_fetcher {
	CURLM *multi;
	struct fetch *running;
	struct fetch *done;    /* finished, oldest first */
};

VIGIL_EXPORT vigil_error
vigil_fetcher_new(vigil_fetcher **out)
{
	vigil_fetcher *f;

	http_global_init();
	f = calloc(1, sizeof(*f));
	if (!f)
		return VIGIL_E_NOMEM;
	f->multi = curl_multi_init();
	if (!f->multi) {
		free(f);
		return VIGIL_E_NOMEM;
	}
	*out = f;
	return VIGIL_OK;
}

void
fetcher_drop_connections(vigil_fetcher *f)
{
	CURLM *m;

	/* Only between transfers: a new multi handle has an empty cache. */
	if (f->running || f->done || !(m = curl_multi_init()))
		return;
	curl_multi_cleanup(f->multi);
	f->multi = m;
}

static void
fetch_free(struct fetch *fe)
{
	walk_clear(&fe->walk);
	free(fe->post_id);
	http_xfer_clear(&fe->x);
	vigil_fetch_result_free(fe->result);
	free(fe);
}

VIGIL_EXPORT void
vigil_fetcher_free(vigil_fetcher *f)
{
	struct fetch *fe, *next;

	if (!f)
		return;
	for (fe = f->running; fe; fe = next) {
		next = fe->next;
		curl_multi_remove_handle(f->multi, fe->x.easy);
		fe->src->busy = false;
		fetch_free(fe);
	}
	for (fe = f->done; fe; fe = next) {
		next = fe->next;
		fetch_free(fe);
	}
	curl_multi_cleanup(f->multi);
	free(f);
}

VIGIL_EXPORT void
vigil_fetch_result_free(vigil_fetch_result *r)
{
	if (!r)
		return;
	vigil_page_free(r->page);
	vigil_post_free(r->current);
	free(r);
}

static void
list_remove(struct fetch **head, struct fetch *fe)
{
	for (struct fetch **p = head; *p; p = &(*p)->next) {
		if (*p == fe) {
			*p = fe->next;
			fe->next = NULL;
			return;
		}
	}
}

static void
list_append(struct fetch **head, struct fetch *fe)
{
	struct fetch **p = head;

	while (*p)
		p = &(*p)->next;
	fe->next = NULL;
	*p = fe;
}

/* Move a fetch to the done list with its outcome. */
static void
finish(vigil_fetcher *f, struct fetch *fe, vigil_error err)
{
	vigil_fetch_result *res = fe->result;

	res->error = err;
	res->exists = fe->exists;
	res->http_status = fe->x.resp.status;
	res->retry_at_ms = fe->src->rl.next_ms;
	if (err != VIGIL_OK && !res->message[0])
		snprintf(res->message, sizeof(res->message), "%s",
			 vigil_strerror(err));
	fe->src->busy = false;
	list_remove(&f->running, fe);
	list_append(&f->done, fe);
}

static vigil_error
send_request(vigil_fetcher *f, struct fetch *fe, bool auth)
{
	vigil_source *src = fe->src;
	const struct connector *c = src->conn;
	char *msg = fe->result->message;
	vigil_error r;

	http_request_clear(&fe->x.req);
	fe->authing = auth;
	if (auth) {
		fe->refreshing = src->refresh != NULL;
		fe->auth_tries++;
		r = c->auth_request(src, &fe->x.req, msg);
	} else if (fe->kind == FETCH_PAGE) {
		r = c->page_request(src, &fe->walk, &fe->x.req, msg);
	} else {
		r = c->exists_request(src, fe->post_id, &fe->x.req, msg);
	}
	if (r == VIGIL_OK)
		r = http_xfer_prepare(&fe->x, &src->http, msg);
	if (r == VIGIL_OK && curl_multi_add_handle(f->multi, fe->x.easy) != CURLM_OK)
		r = vigil_fail(msg, VIGIL_E_NOMEM, "could not start a transfer");
	return r;
}

static vigil_error
start_fetch(vigil_fetcher *f, struct fetch *fe)
{
	vigil_source *src = fe->src;
	int64_t now = vigil_now_ms();
	vigil_error r;

	list_append(&f->running, fe);
	src->busy = true;
	if (src->rl.next_ms > now) {
		char when[32];

		vigil_format_time(src->rl.next_ms, when);
		vigil_fail(fe->result->message, VIGIL_E_RATELIMIT,
			   "%s: no request before %s", src->conn->name, when);
		finish(f, fe, VIGIL_E_RATELIMIT);
		return VIGIL_OK;
	}
	r = send_request(f, fe, src->conn->needs_auth && src->conn->needs_auth(src));
	if (r != VIGIL_OK)
		finish(f, fe, r);
	return VIGIL_OK;
}

static vigil_error
fetch_new(vigil_source *src, enum fetch_kind kind, struct fetch **out,
	  char *errbuf)
{
	struct fetch *fe;

	if (src->busy)
		return vigil_fail(errbuf, VIGIL_E_BUSY, "%s: a fetch is already running",
				  src->conn->name);
	fe = calloc(1, sizeof(*fe));
	if (!fe)
		return VIGIL_E_NOMEM;
	fe->result = calloc(1, sizeof(*fe->result));
	if (!fe->result) {
		free(fe);
		return VIGIL_E_NOMEM;
	}
	fe->src = src;
	fe->kind = kind;
	fe->result->source = src;
	http_xfer_init(&fe->x, src->http.max_response);
	*out = fe;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_fetcher_start(vigil_fetcher *f, vigil_source *src, const char *cursor,
		    char *errbuf)
{
	struct fetch *fe;
	vigil_error r;

	r = fetch_new(src, FETCH_PAGE, &fe, errbuf);
	if (r != VIGIL_OK)
		return r;
	r = walk_decode(cursor, &fe->walk, errbuf);
	if (r != VIGIL_OK) {
		fetch_free(fe);
		return r;
	}
	return start_fetch(f, fe);
}

static vigil_error
exists_new(vigil_source *src, const char *post_id, struct fetch **out,
	   char *errbuf)
{
	struct fetch *fe;
	vigil_error r;

	r = fetch_new(src, FETCH_EXISTS, &fe, errbuf);
	if (r != VIGIL_OK)
		return r;
	fe->post_id = strdup(post_id);
	if (!fe->post_id) {
		fetch_free(fe);
		return VIGIL_E_NOMEM;
	}
	*out = fe;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_fetcher_start_exists(vigil_fetcher *f, vigil_source *src,
			   const char *post_id, char *errbuf)
{
	struct fetch *fe;
	vigil_error r;

	r = exists_new(src, post_id, &fe, errbuf);
	if (r != VIGIL_OK)
		return r;
	return start_fetch(f, fe);
}

/* A transfer ended: decide what comes next. */
static void
step(vigil_fetcher *f, struct fetch *fe, CURLcode cc)
{
	vigil_source *src = fe->src;
	const struct connector *c = src->conn;
	struct http_response *resp = &fe->x.resp;
	char *msg = fe->result->message, what[160];
	struct parsed_page pp = { 0 };
	vigil_error r;

	curl_multi_remove_handle(f->multi, fe->x.easy);
	http_xfer_done(&fe->x, cc);
	snprintf(what, sizeof(what), "%s %.*s", c->name,
		 (int)strcspn(fe->x.req.url, "?"), fe->x.req.url);
	r = rl_account(c->rl, &src->rl, resp, vigil_now_ms(), what, msg);
	if (fe->authing) {
		if (r == VIGIL_OK)
			r = c->auth_parse(src, resp, msg);
		/* The answer to a login holds tokens: wipe it. */
		if (resp->body.data)
			sodium_memzero(resp->body.data, resp->body.len);
		if (r == VIGIL_OK) {
			r = send_request(f, fe, false);
		} else if (fe->refreshing && resp->status >= 400 &&
			   resp->status < 500 && resp->status != 429 &&
			   fe->auth_tries < 3) {
			/* The refresh token is spent: log in afresh. */
			secret_free(src->refresh);
			src->refresh = NULL;
			r = send_request(f, fe, true);
		} else if (r != VIGIL_OK && r != VIGIL_E_RATELIMIT &&
			   resp->status >= 400 && resp->status < 500) {
			r = vigil_fail(msg, VIGIL_E_AUTH, "%s: login refused (HTTP %ld)",
				       what, resp->status);
		}
		if (r != VIGIL_OK)
			finish(f, fe, r);
		return;
	}
	if (r != VIGIL_OK && c->auth_expired && c->auth_expired(src, resp) &&
	    fe->auth_tries < 2) {
		/* The session expired: renew it once and ask again. */
		secret_free(src->bearer);
		src->bearer = NULL;
		msg[0] = '\0';
		r = send_request(f, fe, true);
		if (r != VIGIL_OK)
			finish(f, fe, r);
		return;
	}
	if (r == VIGIL_E_HTTP && fe->kind == FETCH_PAGE && fe->walk.next &&
	    !fe->restarted && resp->status >= 400 && resp->status < 500) {
		/* The platform no longer knows the page token of a walk
		 * in progress (it expired while we were away): walk again
		 * from the newest post down to the same since mark. Posts
		 * stored from the first part of the walk may come again;
		 * none is skipped. */
		log_warn("%s: page token refused (HTTP %ld); restarting the walk",
			 c->name, resp->status);
		free(fe->walk.next);
		free(fe->walk.top);
		fe->walk.next = fe->walk.top = NULL;
		fe->restarted = true;
		msg[0] = '\0';
		r = send_request(f, fe, false);
		if (r != VIGIL_OK)
			finish(f, fe, r);
		return;
	}
	if (fe->kind == FETCH_EXISTS) {
		if (resp->error == VIGIL_OK &&
		    (resp->status == 404 || resp->status == 410)) {
			src->rl.next_ms = 0;
			msg[0] = '\0';
			r = VIGIL_OK;
		}
		if (r == VIGIL_OK)
			r = c->exists_parse(src, fe->post_id, resp, &fe->exists,
					    &fe->result->current, msg);
		if (r != VIGIL_OK || !fe->exists) {
			vigil_post_free(fe->result->current);
			fe->result->current = NULL;
		}
		finish(f, fe, r);
		return;
	}
	if (r == VIGIL_OK)
		r = c->page_parse(src, &fe->walk, resp, &pp, msg);
	if (r == VIGIL_OK)
		r = walk_advance(&fe->walk, &pp, &fe->result->page);
	parsed_page_clear(&pp);
	finish(f, fe, r);
}

static void
drain(vigil_fetcher *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left))) {
		struct http_xfer *x = NULL;
		struct fetch *fe;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		for (fe = f->running; fe && &fe->x != x; fe = fe->next)
			;
		if (fe)
			step(f, fe, m->data.result);
	}
}

VIGIL_EXPORT vigil_error
vigil_fetcher_poll(vigil_fetcher *f, int timeout_ms, vigil_fetch_result **out)
{
	int64_t deadline = vigil_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct fetch *fe;
	int still;

	for (;;) {
		if (f->done) {
			fe = f->done;
			f->done = fe->next;
			*out = fe->result;
			fe->result = NULL;
			fetch_free(fe);
			return VIGIL_OK;
		}
		if (!f->running)
			return VIGIL_E_NOTFOUND;
		curl_multi_perform(f->multi, &still);
		drain(f);
		if (f->done)
			continue;
		if (vigil_now_ms() >= deadline) {
			*out = NULL;
			return VIGIL_OK;
		}
		secret_wipe_registers();  /* what the transfers copied */
		curl_multi_poll(f->multi, NULL, 0,
				(int)(deadline - vigil_now_ms() > 1000 ? 1000 :
				      deadline - vigil_now_ms()), NULL);
	}
}

/* Run one fetch to its end (blocking helpers). */
static vigil_error
run_one(struct fetch *fe, vigil_fetch_result **res)
{
	vigil_fetcher *f;
	vigil_error r;

	r = vigil_fetcher_new(&f);
	if (r != VIGIL_OK) {
		fetch_free(fe);
		return r;
	}
	start_fetch(f, fe);
	do {
		r = vigil_fetcher_poll(f, 1000, res);
	} while (r == VIGIL_OK && !*res);
	vigil_fetcher_free(f);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_source_fetch(vigil_source *src, const char *cursor, vigil_page **out,
		   int64_t *retry_at_ms, char *errbuf)
{
	vigil_fetch_result *res = NULL;
	struct fetch *fe;
	vigil_error r;

	r = fetch_new(src, FETCH_PAGE, &fe, errbuf);
	if (r != VIGIL_OK)
		return r;
	r = walk_decode(cursor, &fe->walk, errbuf);
	if (r != VIGIL_OK) {
		fetch_free(fe);
		return r;
	}
	r = run_one(fe, &res);
	if (r != VIGIL_OK)
		return r;
	if (retry_at_ms)
		*retry_at_ms = res->retry_at_ms;
	r = res->error;
	if (r == VIGIL_OK) {
		*out = res->page;
		res->page = NULL;
	} else {
		vigil_fail(errbuf, r, "%s", res->message);
	}
	vigil_fetch_result_free(res);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_source_exists(vigil_source *src, const char *post_id, bool *exists,
		    vigil_post **current, char *errbuf)
{
	vigil_fetch_result *res = NULL;
	struct fetch *fe;
	vigil_error r;

	r = exists_new(src, post_id, &fe, errbuf);
	if (r != VIGIL_OK)
		return r;
	r = run_one(fe, &res);
	if (r != VIGIL_OK)
		return r;
	r = res->error;
	if (current)
		*current = NULL;
	if (r == VIGIL_OK) {
		*exists = res->exists;
		if (current) {
			*current = res->current;
			res->current = NULL;
		}
	} else {
		vigil_fail(errbuf, r, "%s", res->message);
	}
	vigil_fetch_result_free(res);
	return r;
}
