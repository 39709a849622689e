/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn-bluesky.c - Bluesky over the AT Protocol (XRPC).
 *
 * Login: com.atproto.server.createSession with the account's identifier and
 * an app password (from the token file). Login is rate limited (30 per
 * 5 minutes), so the session lives in the source and is renewed with
 * com.atproto.server.refreshSession when the access token expires (HTTP 400
 * ExpiredToken, or 401); only if that fails does vigil log in again.
 * Mentions: app.bsky.notification.listNotifications, keeping reasons
 * mention, reply and quote, paged by cursor. Search:
 * app.bsky.feed.searchPosts?sort=latest. Neither has a since filter, so the
 * marks are "<at-uri> <indexedAt>" and the walk stops at the last-seen one.
 * Existence: app.bsky.feed.getPosts (a deleted post is absent).
 * Post id is the at:// URI; the web URL is
 * https://bsky.app/profile/<did>/post/<rkey>.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil-private.h"

/* Take the refresh token of a session cached for this account and
 * server, if any: a restart then refreshes instead of logging in. */
static vigil_error
session_load(vigil_source *src, char *errbuf)
{
	char *text = NULL;
	size_t len;
	struct jdoc *d = NULL;
	const char *account = NULL, *server = NULL, *refresh = NULL;
	vigil_error r;

	r = secret_read(src->session_file, &text, &len, errbuf);
	if (r == VIGIL_E_NOTFOUND)
		return VIGIL_OK;
	if (r != VIGIL_OK)
		return r;
	if (jdoc_parse(text, len, &d, NULL) == VIGIL_OK && jd_is(d, 0, JOBJECT)) {
		account = jd_gets(d, 0, "account");
		server = jd_gets(d, 0, "server");
		refresh = jd_gets(d, 0, "refreshJwt");
	}
	if (account && server && refresh && strcmp(account, src->account) == 0 &&
	    strcmp(server, src->base_url) == 0 && !(src->refresh = secret_strdup(refresh)))
		r = VIGIL_E_NOMEM;
	else if (!refresh)
		log_warn("bluesky: session file '%s' is malformed, ignoring",
			 src->session_file);
	jdoc_wipe_free(d);
	secret_free(text);
	return r;
}

static void
session_save(vigil_source *src)
{
	char err[VIGIL_ERRBUF_SIZE];
	json_t *o, *refresh;
	char *text = NULL;
	size_t n = 0;

	o = json_pack("{s:s,s:s,s:s,s:s}", "account", src->account, "server",
		      src->base_url, "did", src->did, "refreshJwt", src->refresh);
	/* Dumped straight into secret memory (json_dumps() would grow a
	 * heap buffer), and jansson's copy of the token wiped. */
	if (o)
		n = json_dumpb(o, NULL, 0, JSON_COMPACT);
	if (n && (text = secret_alloc(n + 1))) {
		json_dumpb(o, text, n, JSON_COMPACT);
		text[n] = '\0';
	}
	refresh = json_object_get(o, "refreshJwt");
	if (json_is_string(refresh))
		sodium_memzero((char *)json_string_value(refresh), json_string_length(refresh));
	json_decref(o);
	if (!text || vigil_write_file(src->session_file, text, n, 0600,
				      err) != VIGIL_OK)
		log_warn("bluesky: could not save the session to '%s', ignoring",
			 src->session_file);
	secret_free(text);
}

static vigil_error
bluesky_setup(vigil_source *src, char *errbuf)
{
	if (!src->base_url && !(src->base_url = strdup("https://bsky.social")))
		return VIGIL_E_NOMEM;
	if (!src->account || !src->secret)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "bluesky: an account (handle or DID) and a token "
				  "file with an app password are required");
	/* base_url is compared as written; drop a trailing slash first. */
	for (size_t n = strlen(src->base_url); n > 0 && src->base_url[n - 1] == '/'; n--)
		src->base_url[n - 1] = '\0';
	return src->session_file ? session_load(src, errbuf) : VIGIL_OK;
}

static bool
bluesky_needs_auth(const vigil_source *src)
{
	return src->bearer == NULL;
}

static vigil_error
bluesky_auth_request(vigil_source *src, struct http_request *req,
		     char *errbuf)
{
	json_t *o, *pw;
	char *body;
	size_t n;
	vigil_error r;

	if (src->refresh) {
		r = http_request_url(req, "POST",
				     "%s/xrpc/com.atproto.server.refreshSession",
				     src->base_url);
		if (r == VIGIL_OK)
			r = http_request_header(req, "Authorization: Bearer %s",
						src->refresh);
		return r;
	}
	r = http_request_url(req, "POST", "%s/xrpc/com.atproto.server.createSession",
			     src->base_url);
	if (r != VIGIL_OK)
		return r;
	o = json_pack("{s:s,s:s}", "identifier", src->account, "password",
		      src->secret);
	/* Dumped at its exact size (json_dumps() would leave the password
	 * in the heap buffers it outgrew), and jansson's copy wiped. */
	n = o ? json_dumpb(o, NULL, 0, JSON_COMPACT) : 0;
	body = n ? malloc(n + 1) : NULL;
	if (body) {
		json_dumpb(o, body, n, JSON_COMPACT);
		body[n] = '\0';
	}
	pw = json_object_get(o, "password");
	if (json_is_string(pw))
		sodium_memzero((char *)json_string_value(pw), json_string_length(pw));
	json_decref(o);
	if (!body)
		return VIGIL_E_NOMEM;
	http_request_body(req, body, n);
	return http_request_header(req, "Content-Type: application/json");
}

static vigil_error
bluesky_auth_parse(vigil_source *src, const struct http_response *resp,
		   char *errbuf)
{
	struct jdoc *d = NULL;
	const char *access = NULL, *refresh = NULL, *did = NULL;
	vigil_error r = VIGIL_OK;

	/* jdoc, not jansson: its one copy of the answer is wiped below. */
	if (jdoc_parse(resp->body.data ? resp->body.data : "", resp->body.len, &d,
		       NULL) == VIGIL_OK && jd_is(d, 0, JOBJECT)) {
		access = jd_gets(d, 0, "accessJwt");
		refresh = jd_gets(d, 0, "refreshJwt");
		did = jd_gets(d, 0, "did");
	}
	if (!access || !refresh || !did) {
		r = vigil_fail(errbuf, VIGIL_E_AUTH,
			       "bluesky: session response lacks tokens or DID");
		goto out;
	}
	secret_free(src->bearer);
	secret_free(src->refresh);
	free(src->did);
	src->bearer = secret_strdup(access);
	src->refresh = secret_strdup(refresh);
	src->did = strdup(did);
	if (!src->bearer || !src->refresh || !src->did)
		r = VIGIL_E_NOMEM;
	else if (src->session_file)
		session_save(src);
out:
	jdoc_wipe_free(d);
	return r;
}

static bool
bluesky_auth_expired(vigil_source *src, const struct http_response *resp)
{
	const char *b = resp->body.data;

	return resp->status == 401 ||
		(resp->status == 400 && b &&
		 (strstr(b, "\"ExpiredToken\"") || strstr(b, "\"InvalidToken\"")));
}

static vigil_error
bluesky_page_request(vigil_source *src, const struct walk *w,
		     struct http_request *req, char *errbuf)
{
	struct vbuf q;
	char limit[16];
	vigil_error r;

	vbuf_init(&q, 8192);
	snprintf(limit, sizeof(limit), "%u",
		 src->page_size && src->page_size < 100 ? src->page_size : 100);
	if (src->search) {
		r = query_add(&q, "q", src->query);
		if (r == VIGIL_OK)
			r = query_add(&q, "sort", "latest");
	} else {
		r = VIGIL_OK;
	}
	if (r == VIGIL_OK)
		r = query_add(&q, "limit", limit);
	if (r == VIGIL_OK)
		r = query_add(&q, "cursor", w->next);
	if (r == VIGIL_OK)
		r = req_get(req, src, src->search ? "/xrpc/app.bsky.feed.searchPosts" :
			    "/xrpc/app.bsky.notification.listNotifications", &q);
	if (r == VIGIL_OK)
		r = http_request_header(req, "Authorization: Bearer %s", src->bearer);
	vbuf_free(&q);
	return r;
}

/* Image and video URLs of a record embed (blob CIDs) or an embed view. */
static vigil_error
bluesky_attachments(const struct jdoc *d, vigil_post *p, const char *did,
		    jref record, jref view)
{
	jref embed = jd_get(d, record, "embed"), img;
	jref images, media;
	const char *type = jd_gets(d, embed, "$type");
	vigil_error r = VIGIL_OK;
	size_t i;

	images = jd_get(d, view, "images");
	if (jd_is(d, images, JARRAY)) {
		jd_foreach(d, images, i, img)
			if (r == VIGIL_OK)
				r = post_add_attachment(p, jd_gets(d, img, "fullsize"), "image");
		return r;
	}
	if (type && strcmp(type, "app.bsky.embed.recordWithMedia") == 0) {
		embed = jd_get(d, embed, "media");
		type = jd_gets(d, embed, "$type");
	}
	if (!type)
		return VIGIL_OK;
	images = jd_get(d, embed, "images");
	jd_foreach(d, images, i, img) {
		const char *cid = jd_paths(d, img, "image.ref.$link");

		if (cid && r == VIGIL_OK) {
			char *url = NULL;

			r = post_setf(&url, "https://cdn.bsky.app/img/feed_fullsize/plain/%s/%s@jpeg",
				      did, cid);
			if (r == VIGIL_OK)
				r = post_add_attachment(p, url, "image");
			free(url);
		}
	}
	media = jd_get(d, embed, "video");
	if (strcmp(type, "app.bsky.embed.video") == 0 && jd_paths(d, media, "ref.$link")) {
		char *url = NULL;

		r = post_setf(&url, "https://video.bsky.app/watch/%s/%s/playlist.m3u8",
			      did, jd_paths(d, media, "ref.$link"));
		if (r == VIGIL_OK)
			r = post_add_attachment(p, url, "video");
		free(url);
	}
	return r;
}

/* A notification or a post view: both have uri, author, record. */
static vigil_error
bluesky_post(const struct jdoc *d, jref item, const char *raw, size_t raw_len,
	     vigil_post **out)
{
	jref author = jd_get(d, item, "author");
	jref record = jd_get(d, item, "record");
	const char *uri = jd_gets(d, item, "uri"), *did = jd_gets(d, author, "did");
	const char *rkey = uri ? strrchr(uri, '/') : NULL;
	jref langs = jd_get(d, record, "langs");
	vigil_post *p;
	vigil_error r;

	if (!uri || !did || !rkey || !jd_is(d, record, JOBJECT))
		return VIGIL_E_PARSE;
	p = post_new("bluesky");
	if (!p)
		return VIGIL_E_NOMEM;
	r = post_set(&p->id, uri);
	if (r == VIGIL_OK)
		r = post_setf(&p->url, "https://bsky.app/profile/%s/post/%s", did, rkey + 1);
	if (r == VIGIL_OK)
		r = post_set_time(p, jd_gets(d, record, "createdAt"));
	if (r == VIGIL_OK)
		r = post_set(&p->text, jd_gets(d, record, "text"));
	if (r == VIGIL_OK && !p->text)
		r = post_set_html(&p->text, NULL);
	if (r == VIGIL_OK)
		r = post_set(&p->lang, jd_str(d, jd_index(d, langs, 0)));
	if (r == VIGIL_OK)
		r = post_set(&p->in_reply_to, jd_paths(d, record, "reply.parent.uri"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_id, did);
	if (r == VIGIL_OK)
		r = post_set(&p->author_handle, jd_gets(d, author, "handle"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_name, jd_gets(d, author, "displayName"));
	if (r == VIGIL_OK)
		r = post_setf(&p->author_url, "https://bsky.app/profile/%s", did);
	if (r == VIGIL_OK)
		r = bluesky_attachments(d, p, did, record, jd_get(d, item, "embed"));
	if (r == VIGIL_OK)
		r = post_set_payload(p, raw, raw_len);
	if (r != VIGIL_OK) {
		vigil_post_free(p);
		return r;
	}
	*out = p;
	return VIGIL_OK;
}

static bool
wanted_reason(const char *reason)
{
	return reason && (strcmp(reason, "mention") == 0 ||
			  strcmp(reason, "reply") == 0 ||
			  strcmp(reason, "quote") == 0);
}

static vigil_error
bluesky_page_parse(vigil_source *src, const struct walk *w,
		   const struct http_response *resp, struct parsed_page *out,
		   char *errbuf)
{
	static const char *const notif_path[] = { "notifications", NULL };
	static const char *const search_path[] = { "posts", NULL };
	const char *what = src->search ? "bluesky searchPosts" :
		"bluesky listNotifications";
	struct jdoc *d = NULL;
	jref items, n;
	vigil_error r;
	size_t i;

	r = page_load(resp, src->search ? search_path : notif_path, what, &d,
		      &items, errbuf);
	if (r != VIGIL_OK)
		return r;
	jd_foreach(d, items, i, n) {
		const char *uri = jd_gets(d, n, "uri"), *at = jd_gets(d, n, "indexedAt");
		int64_t ms = INT64_MIN;
		vigil_post *p;

		if (!uri || !at || !vigil_parse_time(at, &ms)) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "%s: item %zu lacks "
				       "uri or indexedAt", what, i);
			goto out;
		}
		if (i == 0 && !(out->top = mark_make(uri, at))) {
			r = VIGIL_E_NOMEM;
			goto out;
		}
		if (mark_reached(w->since, uri, ms)) {
			out->reached = true;
			break;
		}
		if (!src->search && !wanted_reason(jd_gets(d, n, "reason")))
			continue;
		r = bluesky_post(d, n, resp->body.data + d->tok[n].start, d->tok[n].len, &p);
		if (r == VIGIL_OK)
			r = page_add(out, p);
		if (r != VIGIL_OK) {
			if (r == VIGIL_E_PARSE)
				vigil_fail(errbuf, r, "%s: item %zu (%s) lacks author "
					   "or record", what, i, uri);
			goto out;
		}
	}
	if (jd_count(d, items) > 0 && jd_gets(d, 0, "cursor") &&
	    !(out->next = strdup(jd_gets(d, 0, "cursor"))))
		r = VIGIL_E_NOMEM;
out:
	jdoc_free(d);
	return r;
}

static vigil_error
bluesky_exists_request(vigil_source *src, const char *id,
		       struct http_request *req, char *errbuf)
{
	struct vbuf q;
	vigil_error r;

	vbuf_init(&q, 4096);
	r = query_add(&q, "uris", id);
	if (r == VIGIL_OK)
		r = req_get(req, src, "/xrpc/app.bsky.feed.getPosts", &q);
	if (r == VIGIL_OK)
		r = http_request_header(req, "Authorization: Bearer %s", src->bearer);
	vbuf_free(&q);
	return r;
}

static vigil_error
bluesky_exists_parse(vigil_source *src, const char *id,
		     const struct http_response *resp, bool *exists,
		     vigil_post **current, char *errbuf)
{
	static const char *const path[] = { "posts", NULL };
	struct jdoc *d = NULL;
	jref posts, p, found = JNONE;
	vigil_error r;
	size_t i;

	*current = NULL;
	/* This API answers 200 for a missing post; a 404 means a wrong
	 * base URL, which must never read as "deleted". */
	if (resp->status == 404 || resp->status == 410)
		return vigil_fail(errbuf, VIGIL_E_HTTP, "%s: HTTP %ld checking %s",
				  src->conn->name, resp->status, id);
	r = page_load(resp, path, "bluesky getPosts", &d, &posts, errbuf);
	if (r != VIGIL_OK)
		return r;
	if (posts == JNONE) {
		jdoc_free(d);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "bluesky getPosts: no posts array");
	}
	jd_foreach(d, posts, i, p)
		if (jd_gets(d, p, "uri") && strcmp(jd_gets(d, p, "uri"), id) == 0)
			found = p;
	*exists = found != JNONE;
	r = VIGIL_OK;
	if (found != JNONE) {
		r = bluesky_post(d, found, resp->body.data, resp->body.len, current);
		r = exists_current(r, current);
	}
	jdoc_free(d);
	return r;
}

const struct connector conn_bluesky = {
	.name = "bluesky",
	.rl = RL_BLUESKY,
	.setup = bluesky_setup,
	.needs_auth = bluesky_needs_auth,
	.auth_request = bluesky_auth_request,
	.auth_parse = bluesky_auth_parse,
	.auth_expired = bluesky_auth_expired,
	.page_request = bluesky_page_request,
	.page_parse = bluesky_page_parse,
	.exists_request = bluesky_exists_request,
	.exists_parse = bluesky_exists_parse,
};
