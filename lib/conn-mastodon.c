/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn-mastodon.c - Mastodon: mentions from the notifications API, or
 * posts found by full-text search.
 *
 * Mentions: GET /api/v1/notifications?types[]=mention&limit=40[&since_id=]
 * [&max_id=] with the clinician's access token, newest first, paged with
 * the `Link` header (rel="next" carries max_id). Ids are opaque strings.
 * The walk's marks are notification ids; since_id lets the server stop
 * the walk.
 *
 * Search: GET /api/v2/search?q=&type=statuses&resolve=false&limit=40
 * [&max_id=], newest first, paged by the id of the last status (search
 * answers carry no Link header). There is no since filter, so the walk
 * stops at the mark "status-id created_at" of the previous walk's newest
 * post, or at anything older than it (that status may have gone). Only a
 * server with full-text search (Elasticsearch or OpenSearch) finds
 * statuses, and from Mastodon 4.2 only those of accounts that opted in.
 *
 * Existence: GET /api/v1/statuses/:id (404 or 410: gone).
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

static vigil_error
mastodon_setup(vigil_source *src, char *errbuf)
{
	if (!src->base_url)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "mastodon: the instance's base URL is required");
	if (!src->secret)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "mastodon: a token file is required");
	return VIGIL_OK;
}

static vigil_error
add_auth(const vigil_source *src, struct http_request *req)
{
	return http_request_header(req, "Authorization: Bearer %s", src->secret);
}

static vigil_error
mastodon_page_request(vigil_source *src, const struct walk *w,
		      struct http_request *req, char *errbuf)
{
	struct vbuf q;
	char limit[16];
	vigil_error r;

	vbuf_init(&q, 4096);
	snprintf(limit, sizeof(limit), "%u",
		 src->page_size && src->page_size < 80 ? src->page_size : 40);
	if (src->search) {
		r = query_add(&q, "q", src->query);
		if (r == VIGIL_OK)
			r = vbuf_adds(&q, "&type=statuses&resolve=false");
	} else {
		r = vbuf_adds(&q, "?types%5B%5D=mention");
		if (r == VIGIL_OK && w->since)
			r = query_add(&q, "since_id", w->since);
	}
	if (r == VIGIL_OK)
		r = query_add(&q, "limit", limit);
	if (r == VIGIL_OK && w->next)
		r = query_add(&q, "max_id", w->next);
	if (r == VIGIL_OK)
		r = req_get(req, src, src->search ? "/api/v2/search" : "/api/v1/notifications",
			    &q);
	if (r == VIGIL_OK)
		r = add_auth(src, req);
	vbuf_free(&q);
	return r;
}

/* max_id from the rel="next" link of a Link header, or NULL. */
static char *
link_next_max_id(const char *link)
{
	const char *p = link;

	while (p && *p) {
		const char *lt = strchr(p, '<'), *gt, *end, *id;

		if (!lt || !(gt = strchr(lt, '>')))
			return NULL;
		end = strchr(gt, ',');
		if (!end)
			end = gt + strlen(gt);
		if (memmem(gt, (size_t)(end - gt), "rel=\"next\"", 10) ||
		    memmem(gt, (size_t)(end - gt), "rel=next", 8)) {
			for (id = lt + 1; id < gt; id++) {
				if ((id[-1] == '?' || id[-1] == '&') &&
				    strncmp(id, "max_id=", 7) == 0) {
					size_t n = strcspn(id + 7, "&>");

					return n ? strndup(id + 7, n) : NULL;
				}
			}
			return NULL;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

/* The post of status `st`; the raw payload is the item it came in. */
static vigil_error
mastodon_post(const struct jdoc *d, jref st, const char *raw, size_t raw_len,
	      vigil_post **out)
{
	jref acct = jd_get(d, st, "account");
	jref media, m;
	vigil_post *p = post_new("mastodon");
	const char *cw = jd_gets(d, st, "spoiler_text");
	vigil_error r;
	size_t i;

	if (!p)
		return VIGIL_E_NOMEM;
	r = post_set(&p->id, jd_gets(d, st, "id"));
	if (r == VIGIL_OK)
		r = post_set(&p->url, jd_gets(d, st, "url") ? jd_gets(d, st, "url") : jd_gets(d, st, "uri"));
	if (r == VIGIL_OK)
		r = post_set_time(p, jd_gets(d, st, "created_at"));
	if (r == VIGIL_OK)
		r = post_set_html(&p->text, jd_gets(d, st, "content"));
	if (r == VIGIL_OK && cw && *cw) {
		/* A reader sees the content warning first. */
		char *t = p->text;

		p->text = NULL;
		r = post_setf(&p->text, "%s\n\n%s", cw, t);
		free(t);
	}
	if (r == VIGIL_OK)
		r = post_set(&p->lang, jd_gets(d, st, "language"));
	if (r == VIGIL_OK)
		r = post_set(&p->in_reply_to, jd_gets(d, st, "in_reply_to_id"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_id, jd_gets(d, acct, "id"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_handle, jd_gets(d, acct, "acct"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_name, jd_gets(d, acct, "display_name"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_url, jd_gets(d, acct, "url"));
	media = jd_get(d, st, "media_attachments");
	jd_foreach(d, media, i, m) {
		if (r != VIGIL_OK)
			break;
		r = post_add_attachment(p, jd_gets(d, m, "url") ? jd_gets(d, m, "url") :
					jd_gets(d, m, "remote_url"), jd_gets(d, m, "type"));
	}
	if (r == VIGIL_OK)
		r = post_set_payload(p, raw, raw_len);
	if (r == VIGIL_OK && (!p->id || !p->author_id))
		r = VIGIL_E_PARSE;
	if (r != VIGIL_OK) {
		vigil_post_free(p);
		return r;
	}
	*out = p;
	return VIGIL_OK;
}

/* A page of /api/v2/search: {"statuses": [...], ...}. */
static vigil_error
search_page_parse(const struct walk *w, const struct http_response *resp,
		  struct parsed_page *out, char *errbuf)
{
	static const char *const path[] = { "statuses", NULL };
	struct jdoc *d = NULL;
	const char *last = NULL;
	jref items, st;
	vigil_error r;
	size_t i;

	r = page_load(resp, path, "mastodon search", &d, &items, errbuf);
	if (r != VIGIL_OK)
		return r;
	jd_foreach(d, items, i, st) {
		const char *id = jd_gets(d, st, "id"), *at = jd_gets(d, st, "created_at");
		int64_t ms = INT64_MIN;
		vigil_post *p;

		if (!id || !at || !vigil_parse_time(at, &ms)) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE,
				       "mastodon search: status %zu has no id or created_at", i);
			goto out;
		}
		if (i == 0 && !(out->top = mark_make(id, at))) {
			r = VIGIL_E_NOMEM;
			goto out;
		}
		if (mark_reached(w->since, id, ms)) {
			out->reached = true;
			break;
		}
		last = id;
		r = mastodon_post(d, st, resp->body.data + d->tok[st].start, d->tok[st].len, &p);
		if (r == VIGIL_OK)
			r = page_add(out, p);
		if (r != VIGIL_OK) {
			if (r == VIGIL_E_PARSE)
				vigil_fail(errbuf, r, "mastodon search: status %s "
					   "without id or account", id);
			goto out;
		}
	}
	if (!out->reached && last && !(out->next = strdup(last)))
		r = VIGIL_E_NOMEM;
out:
	jdoc_free(d);
	return r;
}

static vigil_error
mastodon_page_parse(vigil_source *src, const struct walk *w,
		    const struct http_response *resp, struct parsed_page *out,
		    char *errbuf)
{
	static const char *const path[] = { NULL };
	struct jdoc *d = NULL;
	jref items, n;
	char link[4096];
	vigil_error r;
	size_t i;

	if (src->search)
		return search_page_parse(w, resp, out, errbuf);
	r = page_load(resp, path, "mastodon notifications", &d, &items,
		      errbuf);
	if (r != VIGIL_OK)
		return r;
	jd_foreach(d, items, i, n) {
		const char *nid = jd_gets(d, n, "id"), *type = jd_gets(d, n, "type");
		vigil_post *p;

		if (!nid) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE,
				       "mastodon notifications: item %zu has no id", i);
			goto out;
		}
		if (i == 0 && !(out->top = strdup(nid))) {
			r = VIGIL_E_NOMEM;
			goto out;
		}
		if (mark_reached(w->since, nid, INT64_MIN)) {
			out->reached = true;
			break;
		}
		/* Other types, and mentions whose status is gone, carry no
		 * post to keep. */
		if (!type || strcmp(type, "mention") != 0 ||
		    !jd_is(d, jd_get(d, n, "status"), JOBJECT))
			continue;
		r = mastodon_post(d, jd_get(d, n, "status"), resp->body.data + d->tok[n].start,
				  d->tok[n].len, &p);
		if (r == VIGIL_OK)
			r = page_add(out, p);
		if (r != VIGIL_OK) {
			if (r == VIGIL_E_PARSE)
				vigil_fail(errbuf, r, "mastodon notification %s: "
					   "status without id or account", nid);
			goto out;
		}
	}
	if (jd_count(d, items) > 0 &&
	    http_header(resp, "Link", link, sizeof(link))) {
		out->next = link_next_max_id(link);
	}
out:
	jdoc_free(d);
	return r;
}

static vigil_error
mastodon_exists_request(vigil_source *src, const char *id,
			struct http_request *req, char *errbuf)
{
	char *e = http_escape(id);
	vigil_error r;

	if (!e)
		return VIGIL_E_NOMEM;
	r = http_request_url(req, "GET", "%s/api/v1/statuses/%s", src->base_url, e);
	free(e);
	if (r == VIGIL_OK)
		r = add_auth(src, req);
	return r;
}

static vigil_error
mastodon_exists_parse(vigil_source *src, const char *id,
		      const struct http_response *resp, bool *exists,
		      vigil_post **current, char *errbuf)
{
	struct jdoc *d = NULL;
	char *gone;
	vigil_error r;

	(void)src;
	*current = NULL;
	if (resp->status >= 200 && resp->status < 300) {
		/* The status as it reads now: the same parse as a page's. An
		 * answer that does not parse still says the post is there; it
		 * has no text to compare, so it is not an edit either. */
		*exists = true;
		if (answer_load(resp, "mastodon status", &d, errbuf) != VIGIL_OK)
			return VIGIL_OK;
		r = mastodon_post(d, 0, resp->body.data, resp->body.len, current);
		jdoc_free(d);
		r = exists_current(r, current);
		return r;
	}
	/* Mastodon says {"error":"Record not found"}; a 404 without that
	 * (a wrong base URL, a proxy page) must never read as "deleted". */
	gone = resp->body.data ? strstr(resp->body.data, "Record not found") : NULL;
	if (!gone || resp->body.data[0] != '{')
		return vigil_fail(errbuf, VIGIL_E_HTTP, "mastodon: HTTP %ld checking "
				  "status %s", resp->status, id);
	*exists = false;
	return VIGIL_OK;
}

const struct connector conn_mastodon = {
	.name = "mastodon",
	.rl = RL_MASTODON,
	.setup = mastodon_setup,
	.page_request = mastodon_page_request,
	.page_parse = mastodon_page_parse,
	.exists_request = mastodon_exists_request,
	.exists_parse = mastodon_exists_parse,
};
