/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jcs.c - RFC 8785 (JCS) canonical JSON for the values vigil's entries may
 * hold: objects, arrays, strings, integers with |n| < 2^53, booleans, null.
 * Floating-point numbers are refused, so the number rules of JCS reduce to
 * printing integers in decimal.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

#define JCS_MAX_INT ((json_int_t)9007199254740991LL) /* 2^53 - 1 */
#define JCS_MAX_DEPTH 64

/* Next UTF-16 code unit of a valid UTF-8 string; *pending carries the low
 * surrogate of an astral code point between calls. */
static unsigned
next_unit(const unsigned char **p, const unsigned char *end, unsigned *pending)
{
	const unsigned char *s = *p;
	uint32_t cp;

	if (*pending) {
		unsigned u = *pending;

		*pending = 0;
		return u;
	}
	if (s[0] < 0x80) {
		cp = s[0];
		s += 1;
	} else if (s[0] < 0xe0 && end - s >= 2) {
		cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		s += 2;
	} else if (s[0] < 0xf0 && end - s >= 3) {
		cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
		     (s[2] & 0x3f);
		s += 3;
	} else if (end - s >= 4) {
		cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		     (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		s += 4;
	} else {
		cp = s[0];  /* not reached for valid UTF-8 */
		s += 1;
	}
	*p = s;
	if (cp >= 0x10000) {
		cp -= 0x10000;
		*pending = 0xdc00 | (cp & 0x3ff);
		return 0xd800 | (cp >> 10);
	}
	return cp;
}

/* Order of object keys: by UTF-16 code units, as RFC 8785 3.2.3 says. */
static int
key_cmp(const void *a, const void *b)
{
	const char *ka = *(const char *const *)a, *kb = *(const char *const *)b;
	const unsigned char *pa = (const unsigned char *)ka, *pb = (const unsigned char *)kb;
	const unsigned char *ea = pa + strlen(ka), *eb = pb + strlen(kb);
	unsigned qa = 0, qb = 0;

	while ((pa < ea || qa) && (pb < eb || qb)) {
		unsigned ua = next_unit(&pa, ea, &qa);
		unsigned ub = next_unit(&pb, eb, &qb);

		if (ua != ub)
			return ua < ub ? -1 : 1;
	}
	if (pa < ea || qa)
		return 1;
	if (pb < eb || qb)
		return -1;
	return 0;
}

static vigil_error
put_string(struct vbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	vigil_error r = vbuf_addc(out, '"');
	size_t run = 0;

	for (size_t i = 0; i < len && r == VIGIL_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		r = vbuf_add(out, s + i - run, run);
		run = 0;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if (r == VIGIL_OK)
			r = vbuf_add(out, esc, n);
	}
	if (r == VIGIL_OK)
		r = vbuf_add(out, s + len - run, run);
	if (r == VIGIL_OK)
		r = vbuf_addc(out, '"');
	return r;
}

static vigil_error serialize(const json_t *v, struct vbuf *out, int depth,
			     char *errbuf);

static vigil_error
serialize_object(const json_t *v, struct vbuf *out, int depth, char *errbuf)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys;
	const char *key;
	json_t *value;
	vigil_error r = VIGIL_OK;

	if (n == 0)
		return vbuf_add(out, "{}", 2);
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return VIGIL_E_NOMEM;
	json_object_foreach((json_t *)v, key, value) {
		if (!vigil_utf8_valid(key, strlen(key))) {
			r = vigil_fail(errbuf, VIGIL_E_PARSE, "object key is not valid UTF-8");
			goto out;
		}
		keys[i++] = key;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	r = vbuf_addc(out, '{');
	for (i = 0; i < n && r == VIGIL_OK; i++) {
		if (i > 0)
			r = vbuf_addc(out, ',');
		if (r == VIGIL_OK)
			r = put_string(out, keys[i], strlen(keys[i]));
		if (r == VIGIL_OK)
			r = vbuf_addc(out, ':');
		if (r == VIGIL_OK)
			r = serialize(json_object_get(v, keys[i]), out, depth + 1, errbuf);
	}
	if (r == VIGIL_OK)
		r = vbuf_addc(out, '}');
out:
	free(keys);
	return r;
}

static vigil_error
serialize(const json_t *v, struct vbuf *out, int depth, char *errbuf)
{
	vigil_error r = VIGIL_OK;
	json_int_t n;

	if (depth > JCS_MAX_DEPTH)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "JSON nested deeper than %d",
				  JCS_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return serialize_object(v, out, depth, errbuf);
	case JSON_ARRAY:
		r = vbuf_addc(out, '[');
		for (size_t i = 0; i < json_array_size(v) && r == VIGIL_OK; i++) {
			if (i > 0)
				r = vbuf_addc(out, ',');
			if (r == VIGIL_OK)
				r = serialize(json_array_get(v, i), out, depth + 1, errbuf);
		}
		return r == VIGIL_OK ? vbuf_addc(out, ']') : r;
	case JSON_STRING:
		return put_string(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		n = json_integer_value(v);
		if (n > JCS_MAX_INT || n < -JCS_MAX_INT)
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "integer %lld outside the range of 2^53",
					  (long long)n);
		return vbuf_printf(out, "%lld", (long long)n);
	case JSON_REAL:
		return vigil_fail(errbuf, VIGIL_E_PARSE,
				  "floating-point number not allowed in evidence");
	case JSON_TRUE:
		return vbuf_add(out, "true", 4);
	case JSON_FALSE:
		return vbuf_add(out, "false", 5);
	case JSON_NULL:
		return vbuf_add(out, "null", 4);
	}
	return VIGIL_E_INVAL;
}

vigil_error
jcs_serialize(const json_t *value, struct vbuf *out, char *errbuf)
{
	return serialize(value, out, 0, errbuf);
}

vigil_error
jcs_serialize_nested(const json_t *value, int depth, struct vbuf *out, char *errbuf)
{
	return serialize(value, out, depth, errbuf);
}

vigil_error
jcs_parse_canonical(const char *bytes, size_t len, json_t **out, char *errbuf)
{
	json_error_t jerr;
	struct vbuf re;
	json_t *v;
	vigil_error r;

	if (!vigil_utf8_valid(bytes, len))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "not valid UTF-8");
	v = json_loadb(bytes, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!v)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "invalid JSON at byte %d: %s",
				  jerr.position, jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "not a JSON object");
	}
	vbuf_init(&re, len + 1);
	r = jcs_serialize(v, &re, errbuf);
	if (r == VIGIL_E_TOOBIG || (r == VIGIL_OK && (re.len != len ||
						      memcmp(re.data, bytes, len) != 0)))
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "bytes are not canonical JSON (RFC 8785)");
	vbuf_free(&re);
	if (r != VIGIL_OK) {
		json_decref(v);
		return r;
	}
	*out = v;
	return VIGIL_OK;
}
