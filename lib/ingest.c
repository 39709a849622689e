/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.c - one line of `vigilctl ingest` input (spec section 4) becomes a
 * `capture` entry and its payload blob.
 */
#include <stdio.h>
#include <string.h>

#include "ledger-int.h"

static const char *const platforms[] = {
	"mastodon", "bluesky", "x", "reddit", "youtube", "manual",
};

static size_t
skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Index just past the JSON string starting at s[i] == '"'. */
static size_t
skip_string(const char *s, size_t i, size_t len)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

/* Index just past the JSON value starting at s[i]. The text has already
 * been accepted by the JSON parser, so only its outline matters here. */
static size_t
skip_value(const char *s, size_t i, size_t len)
{
	int depth = 0;

	if (i < len && s[i] == '"')
		return skip_string(s, i, len);
	if (i < len && s[i] != '{' && s[i] != '[') {
		while (i < len && !strchr(",}] \t\r\n", s[i]))
			i++;
		return i;
	}
	for (; i < len; i++) {
		if (s[i] == '"') {
			i = skip_string(s, i, len) - 1;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if (s[i] == '}' || s[i] == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return len;
}

/* Find the exact bytes of top-level member `name` (written without escapes
 * in its key) in the object text s. */
static bool
member_span(const char *s, size_t len, const char *name, size_t *start, size_t *end)
{
	size_t nlen = strlen(name), i = skip_ws(s, 0, len);

	if (i >= len || s[i] != '{')
		return false;
	i++;
	for (;;) {
		size_t k, kend, v;

		i = skip_ws(s, i, len);
		if (i >= len || s[i] != '"')
			return false;
		k = i + 1;
		kend = skip_string(s, i, len);
		i = skip_ws(s, kend, len);
		if (i >= len || s[i] != ':')
			return false;
		v = skip_ws(s, i + 1, len);
		i = skip_value(s, v, len);
		if (kend - k - 1 == nlen && memcmp(s + k, name, nlen) == 0) {
			*start = v;
			*end = i;
			return true;
		}
		i = skip_ws(s, i, len);
		if (i >= len || s[i] != ',')
			return false;
		i++;
	}
}

/* An optional string member: absent or null gives JSON null. */
static vigil_error
opt_string(json_t *obj, const char *name, const char *where, json_t **out,
	   char *errbuf)
{
	json_t *v = json_object_get(obj, name);

	if (!v || json_is_null(v)) {
		*out = json_null();
		return VIGIL_OK;
	}
	if (!json_is_string(v))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "field %s.%s: expected a string",
				  where, name);
	*out = json_incref(v);
	return VIGIL_OK;
}

/* post.id may be given as a string or an integer; it is kept as a string. */
static json_t *
id_string(json_t *v)
{
	char num[32];

	if (json_is_string(v) && json_string_length(v) > 0)
		return json_incref(v);
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return json_string(num);
	}
	return NULL;
}

static vigil_error
build_post(json_t *in, json_t **out, char *errbuf)
{
	json_t *id, *text, *url = NULL, *created = NULL, *lang = NULL, *reply = NULL;
	vigil_error r;

	if (!json_is_object(in))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "field post: missing or not an object");
	id = id_string(json_object_get(in, "id"));
	if (!id)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "field post.id: missing or empty");
	text = json_object_get(in, "text");
	if (!json_is_string(text)) {
		json_decref(id);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "field post.text: missing or not a string");
	}
	r = opt_string(in, "url", "post", &url, errbuf);
	if (r == VIGIL_OK)
		r = opt_string(in, "created_at", "post", &created, errbuf);
	if (r == VIGIL_OK && json_is_string(created)) {
		int64_t ms;
		char utc[32];

		if (!vigil_parse_time(json_string_value(created), &ms)) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE,
				       "field post.created_at: not an RFC 3339 time");
		} else {
			vigil_format_time(ms, utc);
			json_decref(created);
			created = json_string(utc);
		}
	}
	if (r == VIGIL_OK)
		r = opt_string(in, "lang", "post", &lang, errbuf);
	if (r == VIGIL_OK) {
		json_t *v = json_object_get(in, "in_reply_to");

		reply = v && !json_is_null(v) ? id_string(v) : json_null();
		if (!reply)
			r = vigil_fail(errbuf, VIGIL_E_PARSE,
				       "field post.in_reply_to: expected a post id or null");
	}
	if (r == VIGIL_OK) {
		*out = json_pack("{s:o, s:o, s:o, s:o, s:O, s:o}", "id", id, "url", url,
				 "created_at", created, "lang", lang, "text", text,
				 "in_reply_to", reply);
		return *out ? VIGIL_OK : VIGIL_E_NOMEM;
	}
	json_decref(id);
	json_decref(url);
	json_decref(created);
	json_decref(lang);
	json_decref(reply);
	return r;
}

static vigil_error
build_author(json_t *in, json_t **out, char *errbuf)
{
	json_t *id = NULL, *handle = NULL, *name = NULL, *url = NULL;
	vigil_error r;

	if (!json_is_object(in))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "field author: missing or not an object");
	r = opt_string(in, "handle", "author", &handle, errbuf);
	if (r == VIGIL_OK) {
		json_t *v = json_object_get(in, "id");

		id = v && !json_is_null(v) ? id_string(v) : json_null();
		if (!id)
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "field author.id: expected a string");
	}
	if (r == VIGIL_OK && json_is_null(id) && json_is_null(handle))
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "field author: needs id or handle");
	if (r == VIGIL_OK)
		r = opt_string(in, "name", "author", &name, errbuf);
	if (r == VIGIL_OK)
		r = opt_string(in, "url", "author", &url, errbuf);
	if (r == VIGIL_OK) {
		*out = json_pack("{s:o, s:o, s:o, s:o}", "id", id, "handle", handle, "name",
				 name, "url", url);
		return *out ? VIGIL_OK : VIGIL_E_NOMEM;
	}
	json_decref(id);
	json_decref(handle);
	json_decref(name);
	json_decref(url);
	return r;
}

/* Attachments are kept as blobs only when their bytes were fetched; the
 * connectors report only URLs, which stay in the raw payload blob. */
static json_t *
attachments_of(json_t *in)
{
	(void)in;
	return json_array();
}

/* The classifier's judgement of the text, or null when no classifier is
 * configured: the spec forbids made-up values. NULL only when out of
 * memory. */
static json_t *
classification_of(const vigil_classifier *classifier, json_t *post,
		  const char *clinician)
{
	json_t *text = json_object_get(post, "text");

	if (!classifier)
		return json_null();
	return classifier_json(classifier, clinician, json_string_value(text),
			       json_string_length(text));
}

/* The capture entry for input object `in`, with `payload` as its blob. */
static vigil_error
ingest_object(vigil_batch *batch, const vigil_classifier *classifier, json_t *in,
	      const char *payload, size_t payload_len, char *errbuf)
{
	json_t *post = NULL, *author = NULL, *clin = NULL, *source, *body, *classification;
	const char *platform;
	uint8_t h[32];
	char hex[65];
	bool known = false;
	vigil_error r;

	if (!json_is_object(in))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "not a JSON object");
	platform = json_string_value(json_object_get(in, "platform"));
	for (size_t i = 0; platform && i < VIGIL_ARRAY_SIZE(platforms); i++)
		known = known || strcmp(platform, platforms[i]) == 0;
	if (!known)
		return vigil_fail(errbuf, VIGIL_E_PARSE,
				  "field platform: missing or not one of mastodon, bluesky, x, reddit, youtube, manual");
	r = build_post(json_object_get(in, "post"), &post, errbuf);
	if (r == VIGIL_OK)
		r = build_author(json_object_get(in, "author"), &author, errbuf);
	if (r == VIGIL_OK)
		r = opt_string(in, "clinician", "", &clin, errbuf);
	if (r != VIGIL_OK)
		goto out;
	source = json_object_get(in, "source");
	if (source && !json_is_string(source)) {
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "field source: expected a string");
		goto out;
	}
	vigil_sha256(payload, payload_len, h);
	vigil_hex(h, 32, hex);
	classification = classification_of(classifier, post, json_string_value(clin));
	if (!classification) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	body = json_pack("{s:s, s:s, s:O, s:O, s:O, s:{s:s, s:I, s:s}, s:o, s:o}",
			 "platform", platform, "source",
			 source ? json_string_value(source) : "ingest", "clinician", clin,
			 "post", post, "author", author, "payload", "sha256", hex, "size",
			 (json_int_t)payload_len, "type", "application/json",
			 "attachments", attachments_of(in), "classification", classification);
	if (!body) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	r = batch_add_json(batch, "capture", body, errbuf);
	if (r == VIGIL_OK) {
		r = vigil_batch_add_blob(batch, payload, payload_len, NULL);
		if (r != VIGIL_OK)
			batch_drop_last(batch);
	}
out:
	json_decref(post);
	json_decref(author);
	json_decref(clin);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_ingest_line(vigil_batch *batch, const vigil_classifier *classifier,
		  const char *line, size_t len, char *errbuf)
{
	size_t start = 0, end = len;
	json_error_t jerr;
	vigil_error r;
	json_t *in;

	in = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "invalid JSON at column %d: %s",
				  jerr.column, jerr.text);
	/* The payload blob: `raw` kept byte for byte, else the line itself. */
	if (json_is_object(in) && json_object_get(in, "raw") &&
	    !member_span(line, len, "raw", &start, &end))
		r = vigil_fail(errbuf, VIGIL_E_PARSE,
			       "field raw: write its key without escapes so it can be kept verbatim");
	else
		r = ingest_object(batch, classifier, in, line + start, end - start, errbuf);
	json_decref(in);
	return r;
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

vigil_error
ingest_post(vigil_batch *batch, const vigil_classifier *classifier, const vigil_post *p,
	    const char *source, const char *clinician, char *errbuf)
{
	vigil_error r;
	json_t *in;

	in = json_pack("{s:s, s:s?, s:s?, s:{s:s, s:o, s:o, s:o, s:s, s:o},"
		       " s:{s:o, s:o, s:o, s:o}}",
		       "platform", p->platform, "source", source, "clinician", clinician,
		       "post", "id", p->id ? p->id : "", "url", str_or_null(p->url),
		       "created_at", str_or_null(p->created_at), "lang", str_or_null(p->lang),
		       "text", p->text ? p->text : "", "in_reply_to", str_or_null(p->in_reply_to),
		       "author", "id", str_or_null(p->author_id), "handle", str_or_null(p->author_handle),
		       "name", str_or_null(p->author_name), "url", str_or_null(p->author_url));
	if (!in)
		return VIGIL_E_NOMEM;
	r = ingest_object(batch, classifier, in, p->payload ? p->payload : "",
			  p->payload ? p->payload_len : 0, errbuf);
	json_decref(in);
	return r;
}
