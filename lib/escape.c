/* SPDX-License-Identifier: Apache-2.0 */
/* escape.c - ledger text made safe for HTML and CSV readers. */
#include <string.h>
#include <strings.h>

#include "vigil-private.h"

vigil_error
csv_field(struct vbuf *b, const char *s, bool last)
{
	vigil_error r = vbuf_addc(b, '"');

	/* A spreadsheet would run a field that starts like a formula
	 * (OWASP "CSV injection"): such a field gets a leading apostrophe. An
	 * '@' counts only with a '(' after it, so "@handle ..." stays as is. */
	if (r == VIGIL_OK && s && *s && (strchr("=+-\t\r", *s) || (*s == '@' && strchr(s, '('))))
		r = vbuf_addc(b, '\'');

	for (; r == VIGIL_OK && s && *s; s++)
		r = *s == '"' ? vbuf_add(b, "\"\"", 2) : vbuf_addc(b, *s);
	if (r == VIGIL_OK)
		r = vbuf_add(b, last ? "\"\r\n" : "\",", last ? 3 : 2);
	return r;
}

vigil_error
html_text(struct vbuf *b, const char *s)
{
	vigil_error r = VIGIL_OK;
	const char *run = s;

	if (!s)
		return VIGIL_OK;
	/* Copy runs of safe bytes at once: reports hold long posts. */
	for (; r == VIGIL_OK; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\0': rep = ""; break;
		default: continue;
		}
		r = vbuf_add(b, run, (size_t)(s - run));
		if (r == VIGIL_OK)
			r = vbuf_adds(b, rep);
		run = s + 1;
		if (!*s)
			break;
	}
	return r;
}

bool
url_linkable(const char *url)
{
	if (!url || (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0))
		return false;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

const char *
text_at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : "";
}
