/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn-youtube.c - YouTube Data API v3 comments.
 *
 * GET <base>/commentThreads?part=snippet with allThreadsRelatedToChannelId
 * (a configured channel) or videoId, order=time, maxResults=100,
 * textFormat=html, optional searchTerms, paged by pageToken. The API key
 * from the token file goes in the X-Goog-Api-Key header, never in the URL.
 * No since filter: marks are "<comment id> <publishedAt>". A spent daily
 * quota is a 403 with reason quotaExceeded (ratelimit.c).
 * Post id is the top-level comment id; the web URL is
 * https://www.youtube.com/watch?v=<video>&lc=<comment>.
 * Existence: GET <base>/comments?part=snippet&id=<id>&textFormat=html (no
 * item: gone; an item is the comment as it reads now, for edits).
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

static vigil_error
youtube_setup(vigil_source *src, char *errbuf)
{
	if (!src->base_url &&
	    !(src->base_url = strdup("https://www.googleapis.com/youtube/v3")))
		return VIGIL_E_NOMEM;
	if (!src->secret)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "youtube: a token file with an API key is required");
	if (!src->channel == !src->video)
		return vigil_fail(errbuf, VIGIL_E_INVAL,
				  "youtube: give exactly one of a channel or a video");
	return VIGIL_OK;
}

static vigil_error
youtube_page_request(vigil_source *src, const struct walk *w,
		     struct http_request *req, char *errbuf)
{
	struct vbuf q;
	char limit[16];
	vigil_error r;

	vbuf_init(&q, 8192);
	snprintf(limit, sizeof(limit), "%u",
		 src->page_size && src->page_size < 100 ? src->page_size : 100);
	r = query_add(&q, "part", "snippet");
	if (r == VIGIL_OK)
		r = query_add(&q, src->channel ? "allThreadsRelatedToChannelId" :
			      "videoId", src->channel ? src->channel : src->video);
	if (r == VIGIL_OK)
		r = query_add(&q, "order", "time");
	if (r == VIGIL_OK)
		r = query_add(&q, "textFormat", "html");
	if (r == VIGIL_OK)
		r = query_add(&q, "maxResults", limit);
	if (r == VIGIL_OK)
		r = query_add(&q, "searchTerms", src->query);
	if (r == VIGIL_OK)
		r = query_add(&q, "pageToken", w->next);
	if (r == VIGIL_OK)
		r = req_get(req, src, "/commentThreads", &q);
	if (r == VIGIL_OK)
		r = http_request_header(req, "X-Goog-Api-Key: %s", src->secret);
	vbuf_free(&q);
	return r;
}

/* The post of comment resource `c`; the raw payload is the item it came
 * in (a comment thread, or a comments answer). */
static vigil_error
youtube_comment(const struct jdoc *d, jref c, const char *raw, size_t raw_len,
		vigil_post **out)
{
	jref s = jd_get(d, c, "snippet");
	const char *id = jd_gets(d, c, "id"), *video = jd_gets(d, s, "videoId");
	const char *channel = jd_paths(d, s, "authorChannelId.value");
	vigil_post *p;
	vigil_error r;

	if (!id || !jd_is(d, s, JOBJECT))
		return VIGIL_E_PARSE;
	p = post_new("youtube");
	if (!p)
		return VIGIL_E_NOMEM;
	r = post_set(&p->id, id);
	if (r == VIGIL_OK && video)
		r = post_setf(&p->url, "https://www.youtube.com/watch?v=%s&lc=%s",
			      video, id);
	else if (r == VIGIL_OK && jd_gets(d, s, "channelId"))
		r = post_setf(&p->url, "https://www.youtube.com/channel/%s?lc=%s",
			      jd_gets(d, s, "channelId"), id);
	if (r == VIGIL_OK)
		r = post_set_time(p, jd_gets(d, s, "publishedAt"));
	if (r == VIGIL_OK && jd_gets(d, s, "textDisplay"))
		r = post_set_html(&p->text, jd_gets(d, s, "textDisplay"));
	else if (r == VIGIL_OK)
		r = post_set_html(&p->text, jd_gets(d, s, "textOriginal"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_id, channel);
	/* The display name is the @handle nowadays. */
	if (r == VIGIL_OK)
		r = post_set(&p->author_handle, jd_gets(d, s, "authorDisplayName"));
	if (r == VIGIL_OK)
		r = post_set(&p->author_url, jd_gets(d, s, "authorChannelUrl"));
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
youtube_post(const struct jdoc *d, jref thread, const char *raw, size_t raw_len,
	     vigil_post **out)
{
	return youtube_comment(d, jd_path(d, thread, "snippet.topLevelComment"),
			       raw, raw_len, out);
}

static vigil_error
youtube_page_parse(vigil_source *src, const struct walk *w,
		   const struct http_response *resp, struct parsed_page *out,
		   char *errbuf)
{
	static const char *const path[] = { "items", NULL };
	struct jdoc *d = NULL;
	jref items, t;
	vigil_error r;
	size_t i;

	r = page_load(resp, path, "youtube commentThreads", &d, &items,
		      errbuf);
	if (r != VIGIL_OK)
		return r;
	jd_foreach(d, items, i, t) {
		const char *id = jd_paths(d, t, "snippet.topLevelComment.id");
		const char *at = jd_paths(d, t, "snippet.topLevelComment.snippet.publishedAt");
		int64_t ms;
		vigil_post *p;

		if (!id || !at || !vigil_parse_time(at, &ms)) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "youtube commentThreads: "
				       "item %zu lacks a comment id or publishedAt", i);
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
		r = youtube_post(d, t, resp->body.data + d->tok[t].start, d->tok[t].len, &p);
		if (r == VIGIL_OK)
			r = page_add(out, p);
		if (r != VIGIL_OK)
			goto out;
	}
	if (jd_count(d, items) > 0 && jd_gets(d, 0, "nextPageToken") &&
	    !(out->next = strdup(jd_gets(d, 0, "nextPageToken"))))
		r = VIGIL_E_NOMEM;
out:
	jdoc_free(d);
	return r;
}

static vigil_error
youtube_exists_request(vigil_source *src, const char *id,
		       struct http_request *req, char *errbuf)
{
	struct vbuf q;
	vigil_error r;

	vbuf_init(&q, 1024);
	r = query_add(&q, "part", "snippet");
	if (r == VIGIL_OK)
		r = query_add(&q, "id", id);
	if (r == VIGIL_OK)
		r = query_add(&q, "textFormat", "html");
	if (r == VIGIL_OK)
		r = req_get(req, src, "/comments", &q);
	if (r == VIGIL_OK)
		r = http_request_header(req, "X-Goog-Api-Key: %s", src->secret);
	vbuf_free(&q);
	return r;
}

static vigil_error
youtube_exists_parse(vigil_source *src, const char *id,
		     const struct http_response *resp, bool *exists,
		     vigil_post **current, char *errbuf)
{
	static const char *const path[] = { "items", NULL };
	struct jdoc *d = NULL;
	jref items, c, found = JNONE;
	vigil_error r;
	size_t i;

	*current = NULL;
	/* This API answers 200 for a missing post; a 404 means a wrong
	 * base URL, which must never read as "deleted". */
	if (resp->status == 404 || resp->status == 410)
		return vigil_fail(errbuf, VIGIL_E_HTTP, "%s: HTTP %ld checking %s",
				  src->conn->name, resp->status, id);
	r = page_load(resp, path, "youtube comments", &d, &items, errbuf);
	if (r != VIGIL_OK)
		return r;
	if (items == JNONE) {
		jdoc_free(d);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "youtube comments: no items");
	}
	*exists = jd_count(d, items) > 0;
	jd_foreach(d, items, i, c)
		if (jd_gets(d, c, "id") && strcmp(jd_gets(d, c, "id"), id) == 0)
			found = c;
	if (found != JNONE) {
		r = youtube_comment(d, found, resp->body.data, resp->body.len, current);
		r = exists_current(r, current);
	}
	jdoc_free(d);
	return r;
}

const struct connector conn_youtube = {
	.name = "youtube",
	.rl = RL_YOUTUBE,
	.setup = youtube_setup,
	.page_request = youtube_page_request,
	.page_parse = youtube_page_parse,
	.exists_request = youtube_exists_request,
	.exists_parse = youtube_exists_parse,
};
