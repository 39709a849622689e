/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn-reddit.c - Reddit's OAuth API.
 *
 * Token: POST <auth>/api/v1/access_token (HTTP Basic with the app's
 * client_id and client_secret, grant_type=password for a script app), or a
 * ready bearer token. The token file holds key=value lines: client_id,
 * client_secret, username, password (or token). Reddit asks every client
 * for a unique User-Agent: "linux:vigil:<version> (by /u/<username>)".
 * Mentions: GET /message/mentions; search: GET /search?sort=new; both
 * with limit=100, raw_json=1 (so text is not HTML-escaped twice) and
 * `after`, newest first. Marks are "<fullname> <created>"; the walk stops at
 * the last-seen one. Text is body_html (or title plus selftext_html)
 * turned into plain text. Post id is the fullname (t1_..., t3_...).
 * Existence: GET /api/info?id=<fullname> (absent, or "[deleted]"/"[removed]").
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "vigil-private.h"

static vigil_error
reddit_setup(vigil_source *src, char *errbuf)
{
	char *user;

	if (!src->base_url && !(src->base_url = strdup("https://oauth.reddit.com")))
		return VIGIL_E_NOMEM;
	if (!src->auth_url && !(src->auth_url = strdup("https://www.reddit.com")))
		return VIGIL_E_NOMEM;
	if (!src->secret)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "reddit: a token file is required");
	user = secret_field(src->secret, "username");
	/* A ready token in the file needs no login. */
	src->bearer = secret_field(src->secret, "token");
	if (!user && !src->bearer)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "reddit: token file needs client_id, client_secret, "
				  "username and password lines (or token)");
	{
		/* Reddit asks for platform:app:version (by /u/name). */
		const char *name = src->account ? src->account : user ? user : "vigil";
		size_t n = strlen(name) + sizeof("linux:vigil:" VIGIL_VERSION " (by /u/)");

		free(src->user_agent);
		src->user_agent = malloc(n);
		if (src->user_agent)
			snprintf(src->user_agent, n, "linux:vigil:%s (by /u/%s)", VIGIL_VERSION,
				 name);
	}
	secret_free(user);
	if (!src->user_agent)
		return VIGIL_E_NOMEM;
	src->http.user_agent = src->user_agent;
	return VIGIL_OK;
}

static bool
reddit_needs_auth(const vigil_source *src)
{
	return !src->bearer || (src->bearer_expires_ms &&
				vigil_now_ms() > src->bearer_expires_ms);
}

static vigil_error
reddit_auth_request(vigil_source *src, struct http_request *req,
		    char *errbuf)
{
	char *id = secret_field(src->secret, "client_id");
	char *secret = secret_field(src->secret, "client_secret");
	char *user = secret_field(src->secret, "username");
	char *pass = secret_field(src->secret, "password");
	char *basic = NULL, *b64 = NULL, *eu = NULL, *ep = NULL, *body = NULL;
	size_t blen;
	vigil_error r = VIGIL_E_NOMEM;

	if (!id || !secret || !user || !pass) {
		r = vigil_fail(errbuf, VIGIL_E_AUTH, "reddit: token file lacks "
			       "client_id, client_secret, username or password");
		goto out;
	}
	basic = secret_printf("%s:%s", id, secret);
	if (!basic)
		goto out;
	blen = vigil_b64_len(strlen(basic));
	b64 = secret_alloc(blen);
	eu = http_escape(user);
	ep = http_escape(pass);
	if (!b64 || !eu || !ep)
		goto out;
	vigil_b64((const uint8_t *)basic, strlen(basic), b64);
	if (asprintf(&body, "grant_type=password&username=%s&password=%s", eu, ep) < 0) {
		body = NULL;
		goto out;
	}
	r = http_request_url(req, "POST", "%s/api/v1/access_token", src->auth_url);
	if (r == VIGIL_OK)
		r = http_request_header(req, "Authorization: Basic %s", b64);
	if (r == VIGIL_OK) {
		http_request_body(req, body, strlen(body));
		body = NULL;
	}
out:
	secret_free(id);
	secret_free(secret);
	secret_free(user);
	secret_free(pass);
	secret_free(basic);
	secret_free(b64);
	wipe_free(eu);
	wipe_free(ep);
	wipe_free(body);  /* heap: http_request_clear() wipes and frees it */
	return r;
}

static vigil_error
reddit_auth_parse(vigil_source *src, const struct http_response *resp,
		  char *errbuf)
{
	struct jdoc *d = NULL;
	const char *tok = NULL, *error = NULL;
	double expires = 0;
	vigil_error r = VIGIL_OK;

	/* jdoc, not jansson: its one copy of the answer is wiped below. */
	if (jdoc_parse(resp->body.data ? resp->body.data : "", resp->body.len, &d,
		       NULL) == VIGIL_OK && jd_is(d, 0, JOBJECT)) {
		tok = jd_gets(d, 0, "access_token");
		error = jd_gets(d, 0, "error");
		jd_num(d, jd_get(d, 0, "expires_in"), &expires);
	}
	if (!tok) {
		r = vigil_fail(errbuf, VIGIL_E_AUTH, "reddit: no access token (%s)",
			       error ? error : "no error given");
		goto out;
	}
	secret_free(src->bearer);
	src->bearer = secret_strdup(tok);
	if (!src->bearer)
		r = VIGIL_E_NOMEM;
	/* Renew a minute early. */
	src->bearer_expires_ms = expires > 60 && expires < 86400.0 * 365 ?
		vigil_now_ms() + (int64_t)((expires - 60) * 1000) : 0;
out:
	jdoc_wipe_free(d);
	return r;
}

static bool
reddit_auth_expired(vigil_source *src, const struct http_response *resp)
{
	return resp->status == 401;
}

static vigil_error
add_bearer(vigil_source *src, struct http_request *req)
{
	vigil_error r;

	r = http_request_header(req, "Authorization: Bearer %s",
				src->bearer ? src->bearer : "");
	return r;
}

static vigil_error
reddit_page_request(vigil_source *src, const struct walk *w,
		    struct http_request *req, char *errbuf)
{
	struct vbuf q;
	char limit[16];
	vigil_error r = VIGIL_OK;

	vbuf_init(&q, 8192);
	snprintf(limit, sizeof(limit), "%u",
		 src->page_size && src->page_size < 100 ? src->page_size : 100);
	if (src->search) {
		r = query_add(&q, "q", src->query);
		if (r == VIGIL_OK)
			r = query_add(&q, "sort", "new");
	}
	if (r == VIGIL_OK)
		r = query_add(&q, "limit", limit);
	if (r == VIGIL_OK)
		r = query_add(&q, "raw_json", "1");
	if (r == VIGIL_OK)
		r = query_add(&q, "after", w->next);
	if (r == VIGIL_OK)
		r = req_get(req, src, src->search ? "/search" : "/message/mentions", &q);
	if (r == VIGIL_OK)
		r = add_bearer(src, req);
	vbuf_free(&q);
	return r;
}

static vigil_error
reddit_text(const struct jdoc *d, vigil_post *p, jref dt, const char *kind)
{
	const char *title = jd_gets(d, dt, "title");
	const char *html = jd_gets(d, dt, strcmp(kind, "t3") == 0 ? "selftext_html" : "body_html");
	const char *plain = jd_gets(d, dt, strcmp(kind, "t3") == 0 ? "selftext" : "body");
	char *body = NULL;
	vigil_error r;

	if (html)
		r = post_set_html(&body, html);
	else
		r = post_set(&body, plain ? plain : "");
	if (r != VIGIL_OK)
		return r;
	if (title && body && *body)
		r = post_setf(&p->text, "%s\n\n%s", title, body);
	else if (title)
		r = post_set(&p->text, title);
	else
		r = post_set(&p->text, body ? body : "");
	if (r == VIGIL_OK && !p->text)
		r = post_setf(&p->text, "%s", "");
	free(body);
	return r;
}

/* Seconds since 1970 that a time can be made of: beyond this, converting
 * to milliseconds would overflow (a hostile server sent 1.8e32). */
static bool
plausible_time(double t)
{
	return t >= 0.0 && t < 253402300800.0;  /* 10000-01-01 */
}

static vigil_error
reddit_post(const struct jdoc *d, jref child, const char *raw, size_t raw_len,
	    vigil_post **out)
{
	jref dt = jd_get(d, child, "data");
	const char *kind = jd_gets(d, child, "kind"), *name = jd_gets(d, dt, "name");
	const char *author = jd_gets(d, dt, "author"), *link;
	double created;
	char when[32];
	vigil_post *p;
	vigil_error r;

	if (!kind || !name || !author ||
	    !jd_num(d, jd_get(d, dt, "created_utc"), &created) || !plausible_time(created))
		return VIGIL_E_PARSE;
	p = post_new("reddit");
	if (!p)
		return VIGIL_E_NOMEM;
	vigil_format_time((int64_t)(created * 1000.0), when);
	r = post_set(&p->id, name);
	/* Inbox items have `context` ("...?context=3"), listings `permalink`. */
	link = jd_gets(d, dt, "permalink") ? jd_gets(d, dt, "permalink") : jd_gets(d, dt, "context");
	if (r == VIGIL_OK && link)
		r = post_setf(&p->url, "https://www.reddit.com%.*s",
			      (int)strcspn(link, "?"), link);
	if (r == VIGIL_OK)
		r = post_set(&p->created_at, when);
	if (r == VIGIL_OK)
		r = reddit_text(d, p, dt, kind);
	if (r == VIGIL_OK && strcmp(kind, "t1") == 0)
		r = post_set(&p->in_reply_to, jd_gets(d, dt, "parent_id"));
	/* Usernames never change; author_fullname is the account id. */
	if (r == VIGIL_OK)
		r = post_set(&p->author_id, jd_gets(d, dt, "author_fullname") ?
			     jd_gets(d, dt, "author_fullname") : author);
	if (r == VIGIL_OK)
		r = post_set(&p->author_handle, author);
	if (r == VIGIL_OK)
		r = post_setf(&p->author_url, "https://www.reddit.com/user/%s", author);
	if (r == VIGIL_OK && strcmp(kind, "t3") == 0 && jd_gets(d, dt, "post_hint") &&
	    (strcmp(jd_gets(d, dt, "post_hint"), "image") == 0 ||
	     strstr(jd_gets(d, dt, "post_hint"), "video")))
		r = post_add_attachment(p, jd_gets(d, dt, "url"),
					strcmp(jd_gets(d, dt, "post_hint"), "image") == 0 ?
					"image" : "video");
	if (r == VIGIL_OK)
		r = post_set_payload(p, raw, raw_len);
	if (r != VIGIL_OK) {
		vigil_post_free(p);
		return r;
	}
	*out = p;
	return VIGIL_OK;
}

static vigil_error
reddit_page_parse(vigil_source *src, const struct walk *w,
		  const struct http_response *resp, struct parsed_page *out,
		  char *errbuf)
{
	static const char *const path[] = { "data", "children", NULL };
	struct jdoc *d = NULL;
	jref items, c;
	const char *after;
	vigil_error r;
	size_t i;

	r = page_load(resp, path, "reddit listing", &d, &items, errbuf);
	if (r != VIGIL_OK)
		return r;
	if (items == JNONE) {
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "reddit listing: no data.children");
		goto out;
	}
	jd_foreach(d, items, i, c) {
		jref dt = jd_get(d, c, "data");
		const char *name = jd_gets(d, dt, "name");
		double created;
		int64_t ms;
		char when[32];
		vigil_post *p;

		if (!name || !jd_num(d, jd_get(d, dt, "created_utc"), &created) ||
		    !plausible_time(created)) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "reddit listing: item %zu "
				       "lacks name or a created_utc from 1970 to 9999", i);
			goto out;
		}
		ms = (int64_t)(created * 1000.0);
		vigil_format_time(ms, when);
		if (i == 0 && !(out->top = mark_make(name, when))) {
			r = VIGIL_E_NOMEM;
			goto out;
		}
		if (mark_reached(w->since, name, ms)) {
			out->reached = true;
			break;
		}
		r = reddit_post(d, c, resp->body.data + d->tok[c].start, d->tok[c].len, &p);
		if (r == VIGIL_OK)
			r = page_add(out, p);
		if (r != VIGIL_OK) {
			if (r == VIGIL_E_PARSE)
				vigil_fail(errbuf, r, "reddit listing: item %s lacks "
					   "kind or author", name);
			goto out;
		}
	}
	after = jd_paths(d, 0, "data.after");
	if (jd_count(d, items) > 0 && after && !(out->next = strdup(after)))
		r = VIGIL_E_NOMEM;
out:
	jdoc_free(d);
	return r;
}

static vigil_error
reddit_exists_request(vigil_source *src, const char *id,
		      struct http_request *req, char *errbuf)
{
	struct vbuf q;
	vigil_error r;

	vbuf_init(&q, 1024);
	r = query_add(&q, "id", id);
	if (r == VIGIL_OK)
		r = query_add(&q, "raw_json", "1");
	if (r == VIGIL_OK)
		r = req_get(req, src, "/api/info", &q);
	if (r == VIGIL_OK)
		r = add_bearer(src, req);
	vbuf_free(&q);
	return r;
}

static bool
removed(const char *s)
{
	return s && (strcmp(s, "[deleted]") == 0 || strcmp(s, "[removed]") == 0);
}

static vigil_error
reddit_exists_parse(vigil_source *src, const char *id,
		    const struct http_response *resp, bool *exists,
		    vigil_post **current, char *errbuf)
{
	static const char *const path[] = { "data", "children", NULL };
	struct jdoc *d = NULL;
	jref children, child, dt;
	vigil_error r;

	*current = NULL;
	/* This API answers 200 for a missing post; a 404 means a wrong
	 * base URL, which must never read as "deleted". */
	if (resp->status == 404 || resp->status == 410)
		return vigil_fail(errbuf, VIGIL_E_HTTP, "%s: HTTP %ld checking %s",
				  src->conn->name, resp->status, id);
	r = page_load(resp, path, "reddit info", &d, &children, errbuf);
	if (r != VIGIL_OK)
		return r;
	if (children == JNONE) {
		jdoc_free(d);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "reddit info: no data.children");
	}
	child = jd_index(d, children, 0);
	dt = jd_get(d, child, "data");
	*exists = jd_is(d, dt, JOBJECT) && !removed(jd_gets(d, dt, "author")) &&
		!removed(jd_gets(d, dt, "body")) && !removed(jd_gets(d, dt, "selftext"));
	if (*exists) {
		r = reddit_post(d, child, resp->body.data, resp->body.len, current);
		r = exists_current(r, current);
	}
	jdoc_free(d);
	return r;
}

const struct connector conn_reddit = {
	.name = "reddit",
	.rl = RL_REDDIT,
	.setup = reddit_setup,
	.needs_auth = reddit_needs_auth,
	.auth_request = reddit_auth_request,
	.auth_parse = reddit_auth_parse,
	.auth_expired = reddit_auth_expired,
	.page_request = reddit_page_request,
	.page_parse = reddit_page_parse,
	.exists_request = reddit_exists_request,
	.exists_parse = reddit_exists_parse,
};
