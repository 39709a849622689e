/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jdoc.c - a fast, strict, read-only JSON reader for platform pages.
 *
 * Pages are parsed on every poll, so parsing must cost far less than the
 * fetch. jansson allocates every value and hashes every object; this reader
 * makes one pass into a flat array of tokens (a "tape") over a private copy
 * of the text, unescapes strings in that copy and NUL-terminates them, so
 * that reading a member costs a short scan and no allocation. Each token
 * records where its value lies in the original text: a post's raw bytes
 * are a token's span.
 *
 * It is strict (RFC 8259): grammar, numbers, escapes (surrogate pairs
 * joined, lone surrogates refused), UTF-8, no control characters in
 * strings, and no duplicate member names (a second parser could pick the
 * other value). Nesting is limited to JDOC_MAX_DEPTH.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil-private.h"

#define JDOC_MAX_DEPTH 512

struct jparse {
	struct jdoc *d;
	const char *s;
	size_t len, pos;
	unsigned depth;
	const char *error;
};

static bool
fail(struct jparse *p, const char *what)
{
	if (!p->error)
		p->error = what;
	return false;
}

static void
skip_ws(struct jparse *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			return;
		p->pos++;
	}
}

static jref
new_token(struct jparse *p, enum jtype type)
{
	struct jdoc *d = p->d;
	struct jtok *t;

	if (d->n == d->alloc) {
		size_t alloc = d->alloc ? d->alloc * 2 : 256;

		t = realloc(d->tok, alloc * sizeof(*t));
		if (!t)
			return fail(p, "out of memory"), JNONE;
		d->tok = t;
		d->alloc = alloc;
	}
	t = &d->tok[d->n];
	t->type = (uint8_t)type;
	t->start = (uint32_t)p->pos;
	t->len = 0;
	t->count = 0;
	t->next = 0;
	return (jref)d->n++;
}

static int
hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Unescape raw[0..n) into out (never longer); returns the new length or
 * -1 if an escape is malformed. */
static long
unescape(const char *raw, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint32_t cp;
		int h;

		if (raw[i] != '\\') {
			out[o++] = raw[i++];
			continue;
		}
		if (i + 1 >= n)
			return -1;
		switch (raw[i + 1]) {
		case '"': out[o++] = '"'; i += 2; continue;
		case '\\': out[o++] = '\\'; i += 2; continue;
		case '/': out[o++] = '/'; i += 2; continue;
		case 'b': out[o++] = '\b'; i += 2; continue;
		case 'f': out[o++] = '\f'; i += 2; continue;
		case 'n': out[o++] = '\n'; i += 2; continue;
		case 'r': out[o++] = '\r'; i += 2; continue;
		case 't': out[o++] = '\t'; i += 2; continue;
		case 'u': break;
		default: return -1;
		}
		if (i + 6 > n || (h = hex4(raw + i + 2)) < 0)
			return -1;
		cp = (uint32_t)h;
		i += 6;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return -1;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			int lo;

			if (i + 6 > n || raw[i] != '\\' || raw[i + 1] != 'u' ||
			    (lo = hex4(raw + i + 2)) < 0xDC00 || lo > 0xDFFF)
				return -1;
			cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
			i += 6;
		}
		if (cp == 0)
			return -1;  /* NUL would cut the C string short */
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xC0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xE0 | cp >> 12);
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | cp >> 18);
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	return (long)o;
}

/* At '"': a string token whose text, unescaped and NUL-terminated, is at
 * d->copy + start (the opening quote's position). */
static bool
parse_string(struct jparse *p, jref *out)
{
	size_t start = p->pos + 1, i = start;
	bool escaped;
	jref t;
	long n;

	for (;;) {
		const char *q = memchr(p->s + i, '"', p->len - i);
		size_t bs = 0;

		if (!q)
			return fail(p, "unterminated string");
		for (const char *b = q; b > p->s + start && b[-1] == '\\'; b--)
			bs++;
		i = (size_t)(q - p->s);
		if (bs % 2 == 0)
			break;
		i++;
	}
	escaped = memchr(p->s + start, '\\', i - start) != NULL;
	for (size_t k = start; k < i; k++)
		if ((unsigned char)p->s[k] < 0x20)
			return fail(p, "control character in string");
	if (!vigil_utf8_valid(p->s + start, i - start))
		return fail(p, "invalid UTF-8 in string");
	t = new_token(p, JSTRING);
	if (t == JNONE)
		return false;
	p->d->tok[t].start = (uint32_t)(start - 1);
	p->d->tok[t].len = (uint32_t)(i + 1 - (start - 1));
	if (escaped) {
		n = unescape(p->s + start, i - start, p->d->copy + start);
		if (n < 0)
			return fail(p, "invalid escape in string");
		p->d->copy[start + (size_t)n] = '\0';
	} else {
		p->d->copy[i] = '\0';
	}
	p->pos = i + 1;
	*out = t;
	return true;
}

static bool
parse_number(struct jparse *p)
{
	const char *s = p->s;
	size_t i = p->pos, digits;
	jref t;

	if (i < p->len && s[i] == '-')
		i++;
	if (i < p->len && s[i] == '0') {
		i++;
	} else {
		for (digits = 0; i < p->len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (!digits)
			return fail(p, "invalid number");
	}
	if (i < p->len && s[i] == '.') {
		for (i++, digits = 0; i < p->len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (!digits)
			return fail(p, "invalid number");
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < p->len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (digits = 0; i < p->len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (!digits)
			return fail(p, "invalid number");
	}
	t = new_token(p, JNUMBER);
	if (t == JNONE)
		return false;
	p->d->tok[t].len = (uint32_t)(i - p->pos);
	p->pos = i;
	return true;
}

static bool
parse_literal(struct jparse *p, const char *word, enum jtype type)
{
	size_t n = strlen(word);
	jref t;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "invalid literal");
	t = new_token(p, type);
	if (t == JNONE)
		return false;
	p->d->tok[t].len = (uint32_t)n;
	p->pos += n;
	return true;
}

static bool parse_value(struct jparse *p);

static bool
duplicate_key(const struct jdoc *d, jref obj, jref key)
{
	const struct jtok *k = &d->tok[key];
	jref other = obj + 1;

	while (other != key) {
		const struct jtok *o = &d->tok[other];

		/* Compare decoded names: "a\u0062" is "ab". */
		if (strcmp(d->copy + o->start + 1, d->copy + k->start + 1) == 0)
			return true;
		other = d->tok[other + 1].next;
	}
	return false;
}

static bool
parse_container(struct jparse *p, bool object)
{
	char close = object ? '}' : ']';
	jref t = new_token(p, object ? JOBJECT : JARRAY), key;

	if (t == JNONE)
		return false;
	if (++p->depth > JDOC_MAX_DEPTH)
		return fail(p, "nested too deeply");
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
	} else {
		for (;;) {
			skip_ws(p);
			if (object) {
				if (p->pos >= p->len || p->s[p->pos] != '"')
					return fail(p, "expected a member name");
				if (!parse_string(p, &key))
					return false;
				p->d->tok[key].next = (uint32_t)p->d->n;
				if (duplicate_key(p->d, t, key))
					return fail(p, "duplicate member name");
				skip_ws(p);
				if (p->pos >= p->len || p->s[p->pos] != ':')
					return fail(p, "expected ':'");
				p->pos++;
			}
			if (!parse_value(p))
				return false;
			p->d->tok[t].count++;
			skip_ws(p);
			if (p->pos >= p->len)
				return fail(p, "unexpected end of input");
			if (p->s[p->pos] == close) {
				p->pos++;
				break;
			}
			if (p->s[p->pos] != ',')
				return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
			p->pos++;
		}
	}
	p->depth--;
	p->d->tok[t].len = (uint32_t)(p->pos - p->d->tok[t].start);
	p->d->tok[t].next = (uint32_t)p->d->n;
	return true;
}

static bool
parse_value(struct jparse *p)
{
	size_t first = p->d->n;
	bool ok;
	jref s;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end of input");
	switch (p->s[p->pos]) {
	case '{': return parse_container(p, true);
	case '[': return parse_container(p, false);
	case '"': ok = parse_string(p, &s); break;
	case 't': ok = parse_literal(p, "true", JTRUE); break;
	case 'f': ok = parse_literal(p, "false", JFALSE); break;
	case 'n': ok = parse_literal(p, "null", JNULL); break;
	default: ok = parse_number(p); break;
	}
	if (ok)
		p->d->tok[first].next = (uint32_t)p->d->n;
	return ok;
}

vigil_error
jdoc_parse(const char *text, size_t len, struct jdoc **out, char *errbuf)
{
	struct jparse p = { 0 };
	struct jdoc *d;
	vigil_error r = VIGIL_E_NOMEM;

	if (len >= UINT32_MAX)
		return vigil_fail(errbuf, VIGIL_E_TOOBIG, "JSON text too large");
	d = calloc(1, sizeof(*d));
	if (!d || !(d->copy = malloc(len + 1)))
		goto out;
	memcpy(d->copy, text, len);
	d->copy[len] = '\0';
	d->text = text;
	d->len = len;
	p.d = d;
	p.s = text;
	p.len = len;
	if (parse_value(&p)) {
		skip_ws(&p);
		if (p.pos != len)
			fail(&p, "trailing characters");
	}
	if (p.error) {
		r = vigil_fail(errbuf, strcmp(p.error, "out of memory") ? VIGIL_E_PARSE :
			       VIGIL_E_NOMEM, "%s at byte %zu", p.error, p.pos);
		goto out;
	}
	*out = d;
	d = NULL;
	r = VIGIL_OK;
out:
	jdoc_wipe_free(d);  /* rare, and the text may have held a secret */
	return r;
}

void
jdoc_free(struct jdoc *d)
{
	if (!d)
		return;
	free(d->tok);
	free(d->copy);
	free(d);
}

void
jdoc_wipe_free(struct jdoc *d)
{
	if (d && d->copy)
		sodium_memzero(d->copy, d->len + 1);
	jdoc_free(d);
}

jref
jd_get(const struct jdoc *d, jref obj, const char *key)
{
	jref k;
	size_t klen = strlen(key);

	if (obj == JNONE || d->tok[obj].type != JOBJECT)
		return JNONE;
	k = obj + 1;
	for (uint32_t i = 0; i < d->tok[obj].count; i++) {
		const struct jtok *t = &d->tok[k];

		/* The raw length bounds the unescaped one. */
		if (t->len >= klen + 2 && strcmp(d->copy + t->start + 1, key) == 0)
			return k + 1;
		k = (jref)d->tok[k + 1].next;
	}
	return JNONE;
}

jref
jd_path(const struct jdoc *d, jref v, const char *path)
{
	char key[64];

	while (v != JNONE) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key))
			return JNONE;
		memcpy(key, path, n);
		key[n] = '\0';
		v = jd_get(d, v, key);
		if (!dot)
			return v;
		path = dot + 1;
	}
	return JNONE;
}

const char *
jd_str(const struct jdoc *d, jref v)
{
	if (v == JNONE || d->tok[v].type != JSTRING)
		return NULL;
	return d->copy + d->tok[v].start + 1;
}

bool
jd_num(const struct jdoc *d, jref v, double *out)
{
	char buf[64];
	size_t n;

	if (v == JNONE || d->tok[v].type != JNUMBER)
		return false;
	n = d->tok[v].len < sizeof(buf) - 1 ? d->tok[v].len : sizeof(buf) - 1;
	memcpy(buf, d->text + d->tok[v].start, n);
	buf[n] = '\0';
	*out = strtod(buf, NULL);
	return true;
}

jref
jd_index(const struct jdoc *d, jref arr, size_t index)
{
	jref v;

	if (arr == JNONE || d->tok[arr].type != JARRAY || index >= d->tok[arr].count)
		return JNONE;
	v = arr + 1;
	while (index--)
		v = (jref)d->tok[v].next;
	return v;
}
