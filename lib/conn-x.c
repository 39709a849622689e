/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn-x.c - X (Twitter) API v2.
 *
 * Mentions: GET /2/users/:id/mentions (paged with pagination_token);
 * search: GET /2/tweets/search/recent (paged with next_token). Both take
 * since_id, so the server ends the walk at the last-seen post, and
 * expansions bring the authors (includes.users) and media
 * (includes.media). A bearer token comes from the token file.
 * Tweet text arrives with &amp; &lt; &gt; escaped; those are decoded.
 * Long posts carry their full text in note_tweet.text.
 * Existence: GET /2/tweets/:id (no `data`: gone). An edit on X is a new
 * post with a new id, so X gives no edit observations.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

#define X_TWEET_FIELDS "created_at,lang,author_id,conversation_id," \
	"referenced_tweets,attachments,note_tweet"

static vigil_error
x_setup(vigil_source *src, char *errbuf)
{
	if (!src->base_url && !(src->base_url = strdup("https://api.x.com")))
		return VIGIL_E_NOMEM;
	if (!src->secret)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "x: a token file is required");
	if (!src->search && !src->account)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "x: mentions need the clinician's numeric user id");
	if (!src->search && strspn(src->account, "0123456789") != strlen(src->account))
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "x: user id '%s' is not numeric", src->account);
	return VIGIL_OK;
}

static vigil_error
x_page_request(vigil_source *src, const struct walk *w,
	       struct http_request *req, char *errbuf)
{
	struct vbuf q, path;
	char limit[16];
	unsigned n = src->page_size ? src->page_size : 100;
	vigil_error r;

	vbuf_init(&q, 8192);
	vbuf_init(&path, 256);
	snprintf(limit, sizeof(limit), "%u", n < 10 ? 10 : n > 100 ? 100 : n);
	if (src->search)
		r = vbuf_adds(&path, "/2/tweets/search/recent");
	else
		r = vbuf_printf(&path, "/2/users/%s/mentions", src->account);
	if (r == VIGIL_OK && src->search)
		r = query_add(&q, "query", src->query);
	if (r == VIGIL_OK)
		r = query_add(&q, "max_results", limit);
	if (r == VIGIL_OK)
		r = query_add(&q, "tweet.fields", X_TWEET_FIELDS);
	if (r == VIGIL_OK)
		r = query_add(&q, "expansions", "author_id,attachments.media_keys");
	if (r == VIGIL_OK)
		r = query_add(&q, "user.fields", "username,name");
	if (r == VIGIL_OK)
		r = query_add(&q, "media.fields", "url,preview_image_url,type");
	if (r == VIGIL_OK)
		r = query_add(&q, "since_id", w->since);
	if (r == VIGIL_OK)
		r = query_add(&q, src->search ? "next_token" : "pagination_token", w->next);
	if (r == VIGIL_OK)
		r = req_get(req, src, path.data, &q);
	if (r == VIGIL_OK)
		r = http_request_header(req, "Authorization: Bearer %s", src->secret);
	vbuf_free(&q);
	vbuf_free(&path);
	return r;
}

/* The element of includes.<list> whose `key` member equals value. */
static jref
x_include(const struct jdoc *d, const char *list, const char *key,
	  const char *value)
{
	jref a = jd_get(d, jd_get(d, 0, "includes"), list);
	jref e;
	size_t i;

	if (!value)
		return JNONE;
	jd_foreach(d, a, i, e) {
		const char *v = jd_gets(d, e, key);

		if (v && strcmp(v, value) == 0)
			return e;
	}
	return JNONE;
}

/* Decode the three entities X escapes in text. */
static vigil_error
x_set_text(vigil_post *p, const char *s)
{
	struct vbuf b;
	vigil_error r = VIGIL_OK;

	if (!s)
		s = "";
	vbuf_init(&b, strlen(s) + 1);
	while (*s && r == VIGIL_OK) {
		if (strncmp(s, "&amp;", 5) == 0) {
			r = vbuf_addc(&b, '&');
			s += 5;
		} else if (strncmp(s, "&lt;", 4) == 0) {
			r = vbuf_addc(&b, '<');
			s += 4;
		} else if (strncmp(s, "&gt;", 4) == 0) {
			r = vbuf_addc(&b, '>');
			s += 4;
		} else {
			size_t n = strcspn(s, "&");

			r = vbuf_add(&b, s, n ? n : 1);
			s += n ? n : 1;
		}
	}
	if (r == VIGIL_OK) {
		free(p->text);
		p->text = vbuf_take(&b, NULL);
	}
	vbuf_free(&b);
	return r;
}

static vigil_error
x_post(const struct jdoc *d, jref t, const char *raw, size_t raw_len,
       vigil_post **out)
{
	const char *id = jd_gets(d, t, "id"), *author_id = jd_gets(d, t, "author_id");
	jref user = x_include(d, "users", "id", author_id);
	const char *username = jd_gets(d, user, "username");
	jref list, ref, key;
	vigil_post *p;
	vigil_error r;
	size_t i;

	if (!id || !author_id)
		return VIGIL_E_PARSE;
	p = post_new("x");
	if (!p)
		return VIGIL_E_NOMEM;
	r = post_set(&p->id, id);
	if (r == VIGIL_OK && username)
		r = post_setf(&p->url, "https://x.com/%s/status/%s", username, id);
	else if (r == VIGIL_OK)
		r = post_setf(&p->url, "https://x.com/i/web/status/%s", id);
	if (r == VIGIL_OK)
		r = post_set_time(p, jd_gets(d, t, "created_at"));
	if (r == VIGIL_OK)
		r = x_set_text(p, jd_paths(d, t, "note_tweet.text") ?
			       jd_paths(d, t, "note_tweet.text") : jd_gets(d, t, "text"));
	if (r == VIGIL_OK)
		r = post_set(&p->lang, jd_gets(d, t, "lang"));
	list = jd_get(d, t, "referenced_tweets");
	jd_foreach(d, list, i, ref)
		if (r == VIGIL_OK && jd_gets(d, ref, "type") &&
		    strcmp(jd_gets(d, ref, "type"), "replied_to") == 0)
			r = post_set(&p->in_reply_to, jd_gets(d, ref, "id"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_id, author_id);
	if (r == VIGIL_OK)
		r = post_set(&p->author_handle, username);
	if (r == VIGIL_OK)
		r = post_set(&p->author_name, jd_gets(d, user, "name"));
	if (r == VIGIL_OK && username)
		r = post_setf(&p->author_url, "https://x.com/%s", username);
	list = jd_path(d, t, "attachments.media_keys");
	jd_foreach(d, list, i, key) {
		jref m = x_include(d, "media", "media_key", jd_str(d, key));

		if (r == VIGIL_OK && m != JNONE)
			r = post_add_attachment(p, jd_gets(d, m, "url") ? jd_gets(d, m, "url") :
						jd_gets(d, m, "preview_image_url"),
						jd_gets(d, m, "type"));
	}
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
x_page_parse(vigil_source *src, const struct walk *w,
	     const struct http_response *resp, struct parsed_page *out,
	     char *errbuf)
{
	static const char *const path[] = { "data", NULL };
	struct jdoc *d = NULL;
	jref items, t;
	const char *next;
	vigil_error r;
	size_t i;

	r = page_load(resp, path, "x tweets", &d, &items, errbuf);
	if (r != VIGIL_OK)
		return r;
	if (items == JNONE && jd_get(d, 0, "errors") != JNONE &&
	    jd_get(d, 0, "meta") == JNONE) {
		r = vigil_fail(errbuf, VIGIL_E_HTTP, "x tweets: error response: %.200s",
			       jd_gets(d, jd_index(d, jd_get(d, 0, "errors"), 0),
				       "detail") ? : "(no detail)");
		goto out;
	}
	jd_foreach(d, items, i, t) {
		const char *id = jd_gets(d, t, "id");
		vigil_post *p;

		if (i == 0 && id && !(out->top = strdup(id))) {
			r = VIGIL_E_NOMEM;
			goto out;
		}
		if (mark_reached(w->since, id, INT64_MIN)) {
			out->reached = true;
			break;
		}
		r = x_post(d, t, resp->body.data + d->tok[t].start, d->tok[t].len, &p);
		if (r == VIGIL_OK)
			r = page_add(out, p);
		if (r != VIGIL_OK) {
			if (r == VIGIL_E_PARSE)
				vigil_fail(errbuf, r, "x tweets: item %zu lacks id or "
					   "author_id", i);
			goto out;
		}
	}
	next = jd_paths(d, 0, "meta.next_token");
	if (items && next && !(out->next = strdup(next)))
		r = VIGIL_E_NOMEM;
out:
	jdoc_free(d);
	return r;
}

static vigil_error
x_exists_request(vigil_source *src, const char *id, struct http_request *req,
		 char *errbuf)
{
	vigil_error r;

	if (strspn(id, "0123456789") != strlen(id) || !*id)
		return vigil_fail(errbuf, VIGIL_E_INVAL, "x: post id '%.40s' is not numeric", id);
	r = http_request_url(req, "GET", "%s/2/tweets/%s", src->base_url, id);
	if (r == VIGIL_OK)
		r = http_request_header(req, "Authorization: Bearer %s", src->secret);
	return r;
}

static vigil_error
x_exists_parse(vigil_source *src, const char *id,
	       const struct http_response *resp, bool *exists,
	       vigil_post **current, char *errbuf)
{
	json_t *o;

	/* An edit on X is a new post with a new id (edit_history_tweet_ids);
	 * the id captured keeps its text, so there is nothing to compare. */
	*current = NULL;

	/* This API answers 200 for a missing post; a 404 means a wrong
	 * base URL, which must never read as "deleted". */
	if (resp->status == 404 || resp->status == 410)
		return vigil_fail(errbuf, VIGIL_E_HTTP, "%s: HTTP %ld checking %s",
				  src->conn->name, resp->status, id);
	o = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "x tweet %s: invalid JSON", id);
	}
	*exists = json_is_object(json_object_get(o, "data"));
	json_decref(o);
	return VIGIL_OK;
}

const struct connector conn_x = {
	.name = "x",
	.rl = RL_X,
	.setup = x_setup,
	.page_request = x_page_request,
	.page_parse = x_page_parse,
	.exists_request = x_exists_request,
	.exists_parse = x_exists_parse,
};
