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
 * Existence: GET /2/tweets/:id (no `data`, or 404: gone).
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
static const json_t *
x_include(const json_t *root, const char *list, const char *key,
	  const char *value)
{
	const json_t *a = json_object_get(json_object_get(root, "includes"), list);
	const json_t *e;
	size_t i;

	if (!value)
		return NULL;
	json_array_foreach(a, i, e) {
		const char *v = jstr(e, key);

		if (v && strcmp(v, value) == 0)
			return e;
	}
	return NULL;
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
x_post(const json_t *root, const json_t *t, const char *raw, size_t raw_len,
       vigil_post **out)
{
	const char *id = jstr(t, "id"), *author_id = jstr(t, "author_id");
	const json_t *user = x_include(root, "users", "id", author_id);
	const char *username = jstr(user, "username");
	const json_t *ref, *key;
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
		r = post_set_time(p, jstr(t, "created_at"));
	if (r == VIGIL_OK)
		r = x_set_text(p, jpath(t, "note_tweet.text") ?
			       jpath(t, "note_tweet.text") : jstr(t, "text"));
	if (r == VIGIL_OK)
		r = post_set(&p->lang, jstr(t, "lang"));
	json_array_foreach(json_object_get(t, "referenced_tweets"), i, ref)
		if (r == VIGIL_OK && jstr(ref, "type") &&
		    strcmp(jstr(ref, "type"), "replied_to") == 0)
			r = post_set(&p->in_reply_to, jstr(ref, "id"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_id, author_id);
	if (r == VIGIL_OK)
		r = post_set(&p->author_handle, username);
	if (r == VIGIL_OK)
		r = post_set(&p->author_name, jstr(user, "name"));
	if (r == VIGIL_OK && username)
		r = post_setf(&p->author_url, "https://x.com/%s", username);
	json_array_foreach(json_object_get(json_object_get(t, "attachments"),
					   "media_keys"), i, key) {
		const json_t *m = x_include(root, "media", "media_key",
					    json_string_value(key));

		if (r == VIGIL_OK && m)
			r = post_add_attachment(p, jstr(m, "url") ? jstr(m, "url") :
						jstr(m, "preview_image_url"),
						jstr(m, "type"));
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
	json_t *root = NULL, *items, *t;
	struct jspan *spans = NULL;
	const char *next;
	vigil_error r;
	size_t i;

	r = page_load(resp, path, "x tweets", &root, &items, &spans, errbuf);
	if (r != VIGIL_OK)
		return r;
	if (!items && json_object_get(root, "errors") &&
	    !json_object_get(root, "meta")) {
		r = vigil_fail(errbuf, VIGIL_E_HTTP, "x tweets: error response: %.200s",
			       jstr(json_array_get(json_object_get(root, "errors"), 0),
				    "detail") ? : "(no detail)");
		goto out;
	}
	json_array_foreach(items, i, t) {
		const char *id = jstr(t, "id");
		vigil_post *p;

		if (i == 0 && id && !(out->top = strdup(id))) {
			r = VIGIL_E_NOMEM;
			goto out;
		}
		if (mark_reached(w->since, id, INT64_MIN)) {
			out->reached = true;
			break;
		}
		r = x_post(root, t, resp->body.data + spans[i].start, spans[i].len, &p);
		if (r == VIGIL_OK)
			r = page_add(out, p);
		if (r != VIGIL_OK) {
			if (r == VIGIL_E_PARSE)
				vigil_fail(errbuf, r, "x tweets: item %zu lacks id or "
					   "author_id", i);
			goto out;
		}
	}
	next = jpath(root, "meta.next_token");
	if (items && next && !(out->next = strdup(next)))
		r = VIGIL_E_NOMEM;
out:
	free(spans);
	json_decref(root);
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
	       const struct http_response *resp, bool *exists, char *errbuf)
{
	json_t *o;

	if (resp->status == 404) {
		*exists = false;
		return VIGIL_OK;
	}
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
