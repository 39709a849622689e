/* SPDX-License-Identifier: Apache-2.0 */
/*
 * html.c - the plain text a reader sees in an HTML fragment.
 *
 * Mastodon statuses, YouTube comments and Reddit's body_html arrive as HTML.
 * The evidence keeps the raw bytes; `post.text` is what a person reading the
 * page sees, so the classifier and a reviewer work on the same words:
 * - tags are removed; the content of <script>, <style>, <template> and
 *   comments is dropped;
 * - <br> is a line break; p, div, li, blockquote, headings, pre and tr end a
 *   line (p and blockquote with an empty line after);
 * - runs of white space collapse to one space, except inside <pre>;
 * - character references (&amp; &#233; &#x1F600; and the common named ones)
 *   are decoded; invalid code points become U+FFFD; an unknown name is kept
 *   as written; &nbsp; becomes a plain space.
 * The input is UTF-8 (JSON strings are); bytes pass through unchanged.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil-private.h"

struct entity {
	const char *name;
	uint32_t cp;
};

/* The named references that occur in practice; sorted for bsearch. */
static const struct entity entities[] = {
	{ "AElig", 0xC6 }, { "Aacute", 0xC1 }, { "Agrave", 0xC0 },
	{ "Auml", 0xC4 }, { "Ccedil", 0xC7 }, { "Eacute", 0xC9 },
	{ "Egrave", 0xC8 }, { "Ntilde", 0xD1 }, { "Oacute", 0xD3 },
	{ "Ouml", 0xD6 }, { "Uacute", 0xDA }, { "Uuml", 0xDC },
	{ "aacute", 0xE1 }, { "acirc", 0xE2 }, { "aelig", 0xE6 },
	{ "agrave", 0xE0 }, { "amp", '&' }, { "apos", '\'' },
	{ "aring", 0xE5 }, { "atilde", 0xE3 }, { "auml", 0xE4 },
	{ "bdquo", 0x201E }, { "brvbar", 0xA6 }, { "bull", 0x2022 },
	{ "ccedil", 0xE7 }, { "cent", 0xA2 }, { "copy", 0xA9 },
	{ "curren", 0xA4 }, { "dagger", 0x2020 }, { "deg", 0xB0 },
	{ "divide", 0xF7 }, { "eacute", 0xE9 }, { "ecirc", 0xEA },
	{ "egrave", 0xE8 }, { "emsp", 0x2003 }, { "ensp", 0x2002 },
	{ "euml", 0xEB }, { "euro", 0x20AC }, { "frac12", 0xBD },
	{ "frac14", 0xBC }, { "frac34", 0xBE }, { "gt", '>' },
	{ "hearts", 0x2665 }, { "hellip", 0x2026 }, { "iacute", 0xED },
	{ "icirc", 0xEE }, { "iexcl", 0xA1 }, { "igrave", 0xEC },
	{ "iquest", 0xBF }, { "iuml", 0xEF }, { "laquo", 0xAB },
	{ "ldquo", 0x201C }, { "lsaquo", 0x2039 }, { "lsquo", 0x2018 },
	{ "lt", '<' }, { "mdash", 0x2014 }, { "micro", 0xB5 },
	{ "middot", 0xB7 }, { "nbsp", ' ' }, { "ndash", 0x2013 },
	{ "not", 0xAC }, { "ntilde", 0xF1 }, { "oacute", 0xF3 },
	{ "ocirc", 0xF4 }, { "ograve", 0xF2 }, { "ordf", 0xAA },
	{ "ordm", 0xBA }, { "oslash", 0xF8 }, { "otilde", 0xF5 },
	{ "ouml", 0xF6 }, { "para", 0xB6 }, { "permil", 0x2030 },
	{ "plusmn", 0xB1 }, { "pound", 0xA3 }, { "quot", '"' },
	{ "raquo", 0xBB }, { "rdquo", 0x201D }, { "reg", 0xAE },
	{ "rsaquo", 0x203A }, { "rsquo", 0x2019 }, { "sbquo", 0x201A },
	{ "sect", 0xA7 }, { "shy", 0xAD }, { "sup1", 0xB9 },
	{ "sup2", 0xB2 }, { "sup3", 0xB3 }, { "szlig", 0xDF },
	{ "thinsp", 0x2009 }, { "times", 0xD7 }, { "trade", 0x2122 },
	{ "uacute", 0xFA }, { "ucirc", 0xFB }, { "ugrave", 0xF9 },
	{ "uuml", 0xFC }, { "yen", 0xA5 }, { "yuml", 0xFF },
	{ "zwj", 0x200D }, { "zwnj", 0x200C },
};

struct conv {
	struct vbuf *out;
	unsigned pending;   /* line breaks owed before the next text */
	bool space;         /* a collapsed space owed before the next text */
	unsigned pre;       /* inside <pre> */
};

static int
entity_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct entity *)elem)->name);
}

static vigil_error
put_utf8(struct vbuf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return vbuf_add(b, u, n);
}

/* Emit owed breaks and spaces, then text. */
static vigil_error
flush_owed(struct conv *c)
{
	vigil_error r = VIGIL_OK;

	if (c->out->len > 0 && c->pending > 0) {
		for (unsigned i = 0; i < c->pending && r == VIGIL_OK; i++)
			r = vbuf_addc(c->out, '\n');
	} else if (c->out->len > 0 && c->space) {
		r = vbuf_addc(c->out, ' ');
	}
	c->pending = 0;
	c->space = false;
	return r;
}

static vigil_error
put_char(struct conv *c, uint32_t cp)
{
	vigil_error r;

	if (!c->pre && (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
			cp == '\f')) {
		c->space = true;
		return VIGIL_OK;
	}
	r = flush_owed(c);
	if (r != VIGIL_OK)
		return r;
	return put_utf8(c->out, cp);
}

static void
owe_break(struct conv *c, unsigned kind)
{
	if (kind > c->pending)
		c->pending = kind;
	c->space = false;
}

/* At '&': decode a character reference; *used is how many bytes it took
 * (0: not a reference, emit '&' literally). */
static uint32_t
decode_entity(const char *s, size_t len, size_t *used)
{
	char name[16];
	size_t i = 1, n = 0;
	uint32_t cp = 0;
	const struct entity *e;

	*used = 0;
	if (i < len && s[i] == '#') {
		bool hex = false, any = false;

		i++;
		if (i < len && (s[i] == 'x' || s[i] == 'X')) {
			hex = true;
			i++;
		}
		for (; i < len; i++) {
			char ch = s[i];
			unsigned d;

			if (ch >= '0' && ch <= '9')
				d = (unsigned)(ch - '0');
			else if (hex && ch >= 'a' && ch <= 'f')
				d = (unsigned)(ch - 'a' + 10);
			else if (hex && ch >= 'A' && ch <= 'F')
				d = (unsigned)(ch - 'A' + 10);
			else
				break;
			any = true;
			if (cp <= 0x10FFFF)
				cp = cp * (hex ? 16 : 10) + d;
		}
		if (!any)
			return 0;
		if (i < len && s[i] == ';')
			i++;
		*used = i;
		if (cp > 0x10FFFF)
			cp = 0xFFFD;
		/* Windows-1252 C1 range, as browsers map it. */
		if (cp >= 0x80 && cp <= 0x9F) {
			static const uint16_t c1[32] = {
				0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026,
				0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039,
				0x152, 0x8D, 0x17D, 0x8F, 0x90, 0x2018, 0x2019,
				0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC,
				0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E,
				0x178,
			};
			cp = c1[cp - 0x80];
		}
		return cp;
	}
	while (i < len && n < sizeof(name) - 1 &&
	       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		(s[i] >= '0' && s[i] <= '9')))
		name[n++] = s[i++];
	name[n] = '\0';
	if (n == 0 || i >= len || s[i] != ';')
		return 0;
	e = bsearch(name, entities, VIGIL_ARRAY_SIZE(entities),
		    sizeof(entities[0]), entity_cmp);
	if (!e)
		return 0;
	*used = i + 1;
	return e->cp;
}

/* Tag name at s (after '<' and an optional '/'), lower-cased into name. */
static void
tag_name(const char *s, size_t len, char *name, size_t size)
{
	size_t n = 0;

	while (n < len && n < size - 1 &&
	       ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		(s[n] >= '0' && s[n] <= '9')))
		name[n] = (char)(s[n] | 0x20), n++;
	name[n] = '\0';
}

/* End of a tag starting at s[0] == '<': index after '>', honouring
 * quoted attribute values; len if unterminated. */
static size_t
tag_end(const char *s, size_t len)
{
	char quote = 0;

	for (size_t i = 1; i < len; i++) {
		if (quote) {
			if (s[i] == quote)
				quote = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			quote = s[i];
		} else if (s[i] == '>') {
			return i + 1;
		}
	}
	return len;
}

/* Index just past "</name...>" at or after i, or len. */
static size_t
skip_raw_text(const char *s, size_t len, size_t i, const char *name)
{
	size_t nlen = strlen(name);

	for (; i + 2 + nlen <= len; i++) {
		if (s[i] == '<' && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, name, nlen) == 0)
			return i + tag_end(s + i, len - i);
	}
	return len;
}

static bool
name_in(const char *name, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

static void
handle_tag(struct conv *c, const char *name, bool closing)
{
	static const char *const para[] = { "p", "blockquote", "h1", "h2", "h3",
		"h4", "h5", "h6", "ul", "ol", "table", NULL };
	static const char *const line[] = { "div", "li", "tr", "pre", "dt",
		"dd", "hr", "section", "article", "header", "footer", NULL };

	if (strcmp(name, "br") == 0) {
		/* Every <br> is a line break of its own. */
		c->space = false;
		if (c->pending < 64)
			c->pending++;
		return;
	}
	if (strcmp(name, "pre") == 0) {
		if (closing && c->pre > 0)
			c->pre--;
		else if (!closing)
			c->pre++;
	}
	if (name_in(name, para))
		owe_break(c, 2);
	else if (name_in(name, line))
		owe_break(c, 1);
}

vigil_error
html_to_text(const char *s, size_t len, struct vbuf *out)
{
	struct conv c = { .out = out };
	vigil_error r = VIGIL_OK;
	size_t i = 0;

	while (i < len && r == VIGIL_OK) {
		if (s[i] == '<') {
			char name[16];
			bool closing = i + 1 < len && s[i + 1] == '/';
			size_t start = i + 1 + closing;

			if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
				const char *e = memmem(s + i + 4, len - i - 4, "-->", 3);

				i = e ? (size_t)(e - s) + 3 : len;
				continue;
			}
			if (i + 1 < len && (s[i + 1] == '!' || s[i + 1] == '?')) {
				/* <!DOCTYPE ...>, <![CDATA[...]]>, <?...?> */
				i += tag_end(s + i, len - i);
				continue;
			}
			if (start >= len || !((s[start] >= 'a' && s[start] <= 'z') ||
					      (s[start] >= 'A' && s[start] <= 'Z'))) {
				/* A '<' that opens no tag is text. */
				r = put_char(&c, '<');
				i++;
				continue;
			}
			tag_name(s + start, len - start, name, sizeof(name));
			i += tag_end(s + i, len - i);
			if (!closing && (strcmp(name, "script") == 0 ||
					 strcmp(name, "style") == 0 ||
					 strcmp(name, "template") == 0)) {
				i = skip_raw_text(s, len, i, name);
				continue;
			}
			handle_tag(&c, name, closing);
		} else if (s[i] == '&') {
			size_t used;
			uint32_t cp = decode_entity(s + i, len - i, &used);

			if (used == 0) {
				r = put_char(&c, '&');
				i++;
			} else {
				/* A decoded space or newline is not markup
				 * white space: keep it. */
				if (cp == ' ' || cp == '\n' || cp == '\t') {
					r = flush_owed(&c);
					if (r == VIGIL_OK)
						r = put_utf8(c.out, cp);
				} else {
					r = put_char(&c, cp);
				}
				i += used;
			}
		} else {
			unsigned char ch = (unsigned char)s[i];

			if (ch < 0x80) {
				r = put_char(&c, ch);
				i++;
			} else {
				/* Copy a UTF-8 sequence whole. */
				size_t j = i + 1;

				while (j < len && ((unsigned char)s[j] & 0xC0) == 0x80)
					j++;
				r = flush_owed(&c);
				if (r == VIGIL_OK)
					r = vbuf_add(c.out, s + i, j - i);
				i = j;
			}
		}
	}
	/* Trailing breaks and spaces are dropped; make sure data exists. */
	if (r == VIGIL_OK && !out->data)
		r = vbuf_add(out, "", 0);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_html_to_text(const char *html, size_t len, char **out, size_t *out_len)
{
	struct vbuf b;
	vigil_error r;

	vbuf_init(&b, HTML_TEXT_MAX(len));
	r = html_to_text(html, len, &b);
	if (r == VIGIL_OK)
		*out = vbuf_take(&b, out_len);
	vbuf_free(&b);
	return r;
}
