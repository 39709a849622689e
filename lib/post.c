/* SPDX-License-Identifier: Apache-2.0 */
/* post.c - normalised posts: building them, freeing them, ingest JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

vigil_post *
post_new(const char *platform)
{
	vigil_post *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->platform = strdup(platform);
	if (!p->platform) {
		free(p);
		return NULL;
	}
	return p;
}

VIGIL_EXPORT void
vigil_post_free(vigil_post *p)
{
	if (!p)
		return;
	free(p->platform);
	free(p->id);
	free(p->url);
	free(p->created_at);
	free(p->text);
	free(p->lang);
	free(p->in_reply_to);
	free(p->author_id);
	free(p->author_handle);
	free(p->author_name);
	free(p->author_url);
	free(p->payload);
	for (size_t i = 0; i < p->n_attachments; i++) {
		free(p->attachments[i].url);
		free(p->attachments[i].type);
	}
	free(p->attachments);
	free(p);
}

vigil_error
post_set(char **field, const char *s)
{
	char *copy = NULL;

	if (s && *s) {
		copy = strdup(s);
		if (!copy)
			return VIGIL_E_NOMEM;
	}
	free(*field);
	*field = copy;
	return VIGIL_OK;
}

vigil_error
post_setf(char **field, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return VIGIL_E_NOMEM;
	free(*field);
	*field = s;
	return VIGIL_OK;
}

vigil_error
post_set_time(vigil_post *p, const char *rfc3339)
{
	char buf[32];
	int64_t ms;

	if (!rfc3339 || !vigil_parse_time(rfc3339, &ms)) {
		log_warn("%s post %s: unparseable time '%s', ignoring",
			 p->platform, p->id ? p->id : "?",
			 rfc3339 ? rfc3339 : "(none)");
		return VIGIL_OK;
	}
	vigil_format_time(ms, buf);
	return post_set(&p->created_at, buf);
}

vigil_error
post_set_html(char **field, const char *html)
{
	struct vbuf b;
	vigil_error r;
	size_t len;

	if (!html)
		return post_set(field, "");
	len = strlen(html);
	vbuf_init(&b, HTML_TEXT_MAX(len));
	r = html_to_text(html, len, &b);
	if (r == VIGIL_OK) {
		free(*field);
		*field = vbuf_take(&b, NULL);
	}
	vbuf_free(&b);
	return r;
}

vigil_error
post_add_attachment(vigil_post *p, const char *url, const char *type)
{
	struct vigil_attachment *a;

	if (!url || !*url)
		return VIGIL_OK;
	a = realloc(p->attachments, (p->n_attachments + 1) * sizeof(*a));
	if (!a)
		return VIGIL_E_NOMEM;
	p->attachments = a;
	a += p->n_attachments;
	a->url = strdup(url);
	a->type = type ? strdup(type) : NULL;
	if (!a->url || (type && !a->type)) {
		free(a->url);
		free(a->type);
		return VIGIL_E_NOMEM;
	}
	p->n_attachments++;
	return VIGIL_OK;
}

vigil_error
post_set_payload(vigil_post *p, const char *bytes, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return VIGIL_E_NOMEM;
	memcpy(copy, bytes, len);
	copy[len] = '\0';
	free(p->payload);
	p->payload = copy;
	p->payload_len = len;
	return VIGIL_OK;
}

const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static json_t *
jnull_or_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

VIGIL_EXPORT vigil_error
vigil_post_to_json(const vigil_post *p, const char *source,
		   const char *clinician, char **out, char *errbuf)
{
	json_t *o = NULL, *post, *author, *att, *raw = NULL;
	json_error_t jerr;
	vigil_error r = VIGIL_E_NOMEM;
	char *s;

	if (p->payload) {
		raw = json_loadb(p->payload, p->payload_len,
				 JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!raw) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE,
				       "%s post %s: raw payload is not JSON: %s",
				       p->platform, p->id, jerr.text);
			goto out;
		}
	}
	post = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}",
			 "id", jnull_or_str(p->id), "url", jnull_or_str(p->url),
			 "created_at", jnull_or_str(p->created_at),
			 "text", json_string(p->text ? p->text : ""),
			 "lang", jnull_or_str(p->lang),
			 "in_reply_to", jnull_or_str(p->in_reply_to));
	author = json_pack("{s:o,s:o,s:o,s:o}",
			   "id", jnull_or_str(p->author_id),
			   "handle", jnull_or_str(p->author_handle),
			   "name", jnull_or_str(p->author_name),
			   "url", jnull_or_str(p->author_url));
	att = json_array();
	for (size_t i = 0; att && i < p->n_attachments; i++)
		json_array_append_new(att, json_pack("{s:s,s:o}", "url",
			p->attachments[i].url, "type",
			jnull_or_str(p->attachments[i].type)));
	o = json_pack("{s:s,s:o,s:o,s:o}", "platform", p->platform,
		      "post", post, "author", author, "attachments", att);
	if (!o)
		goto out;
	if (source)
		json_object_set_new(o, "source", json_string(source));
	if (clinician)
		json_object_set_new(o, "clinician", json_string(clinician));
	/* `raw` goes in byte for byte when it fits on one line, so that the
	 * blob ingest stores is what the platform sent; a payload with line
	 * breaks (pretty-printed JSON) is re-serialised compactly. */
	if (raw && memchr(p->payload, '\n', p->payload_len) == NULL &&
	    memchr(p->payload, '\r', p->payload_len) == NULL) {
		struct vbuf b;

		s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
			       JSON_PRESERVE_ORDER);
		if (!s)
			goto out;
		vbuf_init(&b, SIZE_MAX / 2);
		r = vbuf_add(&b, s, strlen(s) - 1);
		if (r == VIGIL_OK)
			r = vbuf_adds(&b, ",\"raw\":");
		if (r == VIGIL_OK)
			r = vbuf_add(&b, p->payload, p->payload_len);
		if (r == VIGIL_OK)
			r = vbuf_addc(&b, '}');
		free(s);
		if (r == VIGIL_OK)
			*out = vbuf_take(&b, NULL);
		vbuf_free(&b);
		goto out;
	}
	if (raw) {
		json_object_set_new(o, "raw", raw);
		raw = NULL;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	if (!s)
		goto out;
	*out = s;
	r = VIGIL_OK;
out:
	json_decref(raw);
	json_decref(o);
	return r;
}
