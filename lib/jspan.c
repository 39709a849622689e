/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jspan.c - find the raw bytes of each element of one array in a JSON text.
 *
 * A page from a platform holds many posts; the evidence blob of a post must
 * be the bytes the platform sent for that post, not a re-serialisation.
 * jansson does not report offsets, so this small scanner walks the text to
 * the array named by a member path and records where each element starts
 * and ends. It checks only the structure it walks through; the caller also
 * parses the page with jansson, which validates every byte.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

#define JSPAN_MAX_DEPTH 256

struct scan {
	const char *s;
	size_t len, pos;
};

static void
skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->pos++;
	}
}

/* At an opening quote: move past the closing one. */
static bool
skip_string(struct scan *sc)
{
	sc->pos++;
	while (sc->pos < sc->len) {
		const char *q = memchr(sc->s + sc->pos, '"', sc->len - sc->pos);
		size_t bs = 0;

		if (!q)
			return false;
		for (const char *p = q; p > sc->s + sc->pos && p[-1] == '\\'; p--)
			bs++;
		sc->pos = (size_t)(q - sc->s) + 1;
		if (bs % 2 == 0)
			return true;
	}
	return false;
}

/* Skip one value of any type, tracking nesting without recursion. */
static bool
skip_value(struct scan *sc)
{
	unsigned depth = 0;

	skip_ws(sc);
	if (sc->pos >= sc->len)
		return false;
	do {
		char c;

		if (sc->pos >= sc->len)
			return false;
		c = sc->s[sc->pos];
		if (c == '"') {
			if (!skip_string(sc))
				return false;
		} else if (c == '{' || c == '[') {
			if (++depth > JSPAN_MAX_DEPTH)
				return false;
			sc->pos++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return false;
			depth--;
			sc->pos++;
		} else if (c == ',' || c == ':' || c == ' ' || c == '\t' ||
			   c == '\n' || c == '\r') {
			if (depth == 0)
				return false;
			sc->pos++;
		} else {
			/* number, true, false, null */
			size_t start = sc->pos;

			while (sc->pos < sc->len && strchr(",:]} \t\r\n", sc->s[sc->pos]) == NULL)
				sc->pos++;
			if (sc->pos == start)
				return false;
		}
	} while (depth > 0);
	return true;
}

/* At '{': find member `key` and leave pos at its value. */
static bool
find_member(struct scan *sc, const char *key)
{
	size_t klen = strlen(key);

	if (sc->pos >= sc->len || sc->s[sc->pos] != '{')
		return false;
	sc->pos++;
	for (;;) {
		size_t kstart;
		bool match;

		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
			return false;
		kstart = sc->pos + 1;
		if (!skip_string(sc))
			return false;
		match = sc->pos - 1 - kstart == klen &&
			memcmp(sc->s + kstart, key, klen) == 0;
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			return false;
		sc->pos++;
		skip_ws(sc);
		if (match)
			return true;
		if (!skip_value(sc))
			return false;
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			return false;
		sc->pos++;
	}
}

vigil_error
jspan_array(const char *json, size_t len, const char *const *path,
	    struct jspan **spans, size_t *n)
{
	struct scan sc = { json, len, 0 };
	struct jspan *v = NULL, *nv;
	size_t count = 0, alloc = 0;
	vigil_error r = VIGIL_E_PARSE;

	skip_ws(&sc);
	for (size_t i = 0; path && path[i]; i++)
		if (!find_member(&sc, path[i]))
			goto out;
	if (sc.pos >= sc.len || sc.s[sc.pos] != '[')
		goto out;
	sc.pos++;
	skip_ws(&sc);
	if (sc.pos < sc.len && sc.s[sc.pos] == ']')
		goto done;
	for (;;) {
		size_t start;

		skip_ws(&sc);
		start = sc.pos;
		if (!skip_value(&sc))
			goto out;
		if (count == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			nv = realloc(v, alloc * sizeof(*v));
			if (!nv) {
				r = VIGIL_E_NOMEM;
				goto out;
			}
			v = nv;
		}
		v[count].start = start;
		v[count].len = sc.pos - start;
		count++;
		skip_ws(&sc);
		if (sc.pos >= sc.len)
			goto out;
		if (sc.s[sc.pos] == ']')
			break;
		if (sc.s[sc.pos] != ',')
			goto out;
		sc.pos++;
	}
done:
	*spans = v;
	*n = count;
	v = NULL;
	r = VIGIL_OK;
out:
	free(v);
	return r;
}
