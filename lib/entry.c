/* SPDX-License-Identifier: Apache-2.0 */
/* entry.c - the members every entry has, and the shape of each kind's body. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vigil-private.h"

static const char *const kinds[] = {
	"key", "registration", "capture", "observation", "annotation",
	"anchor", "clock",
};

bool
entry_kind_known(const char *kind)
{
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

static bool
is_hex64(const char *s)
{
	return s && strlen(s) == 64 && vigil_is_hex(s, 64);
}

static const char *
str_member(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A blob reference {"sha256","size","type"}: the blob checks depend on it. */
static vigil_error
check_blobref(json_t *ref, const char *where, char *errbuf)
{
	json_t *size = json_object_get(ref, "size");

	if (!json_is_object(ref) || !is_hex64(str_member(ref, "sha256")) ||
	    !json_is_integer(size) || json_integer_value(size) < 0 ||
	    !str_member(ref, "type"))
		return vigil_fail(errbuf, VIGIL_E_PARSE,
				  "%s: expected {sha256, size, type}", where);
	return VIGIL_OK;
}

static vigil_error
check_body(const char *kind, json_t *body, char *errbuf)
{
	json_t *v;

	if (strcmp(kind, "key") == 0) {
		v = json_object_get(body, "previous");
		if (!str_member(body, "public_key") || !str_member(body, "proof") ||
		    !(json_is_null(v) || is_hex64(json_string_value(v))))
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "key body: needs public_key, proof and previous");
	} else if (strcmp(kind, "capture") == 0) {
		json_t *att = json_object_get(body, "attachments");

		if (!str_member(body, "platform") ||
		    !json_is_object(json_object_get(body, "post")) ||
		    !json_is_object(json_object_get(body, "author")))
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "capture body: needs platform, post and author");
		v = json_object_get(body, "payload");
		if (!json_is_null(v) && check_blobref(v, "capture payload", errbuf))
			return VIGIL_E_PARSE;
		if (att && !json_is_array(att))
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "capture attachments: not an array");
		for (size_t i = 0; i < json_array_size(att); i++)
			if (check_blobref(json_array_get(att, i), "capture attachment",
					  errbuf))
				return VIGIL_E_PARSE;
	} else if (strcmp(kind, "observation") == 0 ||
		   strcmp(kind, "annotation") == 0) {
		v = json_object_get(body, "of");
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    !str_member(body, "status"))
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "%s body: needs of (a seq) and status", kind);
		v = json_object_get(body, "payload");
		if (v && !json_is_null(v) &&
		    check_blobref(v, "observation payload", errbuf))
			return VIGIL_E_PARSE;
	} else if (strcmp(kind, "registration") == 0) {
		v = json_object_get(body, "clinician");
		if (!json_is_object(v) || !str_member(v, "id"))
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "registration body: needs clinician.id");
	} else if (strcmp(kind, "anchor") == 0) {
		if (!str_member(body, "checkpoint"))
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "anchor body: needs checkpoint");
	}
	return VIGIL_OK;
}

vigil_error
entry_head_parse(json_t *entry, struct entry_head *h, char *errbuf)
{
	json_t *v = json_object_get(entry, "v");
	json_t *seq = json_object_get(entry, "seq");
	struct entry_head out;
	int64_t t;

	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "member v: expected 1");
	if (!json_is_integer(seq) || json_integer_value(seq) < 0)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "member seq: expected an integer >= 0");
	out.v = 1;
	out.seq = (uint64_t)json_integer_value(seq);
	out.prev = str_member(entry, "prev");
	out.time = str_member(entry, "time");
	out.key = str_member(entry, "key");
	out.kind = str_member(entry, "kind");
	out.body = json_object_get(entry, "body");
	if (!is_hex64(out.prev))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "member prev: expected 64 hex digits");
	if (!out.time || strlen(out.time) != 24 || !vigil_parse_time(out.time, &t))
		return vigil_fail(errbuf, VIGIL_E_PARSE,
				  "member time: expected RFC 3339 UTC with milliseconds");
	if (!is_hex64(out.key))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "member key: expected a key id");
	if (!out.kind || !entry_kind_known(out.kind))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "member kind: unknown kind");
	if (!json_is_object(out.body))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "member body: expected an object");
	if (json_object_size(entry) != 7)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "entry has members beyond the seven of the format");
	if (check_body(out.kind, out.body, errbuf) != VIGIL_OK)
		return VIGIL_E_PARSE;
	*h = out;
	return VIGIL_OK;
}

vigil_error
check_vfail(const struct check_failure *f, char *errbuf, uint64_t seq, const char *check,
	    const char *fmt, va_list ap)
{
	char detail[VIGIL_ERRBUF_SIZE];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	*f->failed = true;
	*f->has_seq = seq != UINT64_MAX;
	*f->failed_seq = seq == UINT64_MAX ? 0 : seq;
	snprintf(f->check, 48, "%s", check);
	if (seq == UINT64_MAX)
		return vigil_fail(errbuf, VIGIL_E_VERIFY, "%s: %s", check, detail);
	return vigil_fail(errbuf, VIGIL_E_VERIFY, "seq %" PRIu64 ": %s: %s", seq, check, detail);
}
