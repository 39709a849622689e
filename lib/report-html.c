/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-html.c - the report as one self-contained HTML file: inline CSS
 * and SVG, no scripts (the Content-Security-Policy forbids them), nothing
 * fetched, print styles with page breaks. Every string from the ledger is
 * escaped; text direction follows the text (dir=auto).
 */
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

#define HTML_MAX ((size_t)1 << 30)

static const char head[] =
"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n"
"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
"style-src 'unsafe-inline'; img-src data:; script-src 'none'; base-uri 'none'; "
"form-action 'none'\">\n"
"<meta name=referrer content=no-referrer>\n"
"<meta name=viewport content=\"width=device-width, initial-scale=1\">\n"
"<title>";

static const char style[] =
"</title>\n<style>\n"
"body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:11pt;color:#111;margin:2em auto;"
"max-width:60em;padding:0 1em;line-height:1.35}\n"
"h1{font-size:18pt;border-bottom:2px solid #333}h2{font-size:14pt;margin-top:1.4em}"
"h3{font-size:12pt;margin:0 0 .4em}\n"
"table{border-collapse:collapse;width:100%;margin:.4em 0;table-layout:fixed}\n"
"td,th{border:1px solid #bbb;padding:3px 5px;vertical-align:top;text-align:start;"
"overflow-wrap:anywhere;word-break:break-word}\n"
"th{background:#eee}table.kv th{width:28%;font-weight:600}\n"
".mono{font-family:'DejaVu Sans Mono',monospace;font-size:9.5pt}\n"
".small{font-size:9pt;color:#444}\n"
".post{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;border-left:4px "
"solid #c0392b;background:#fafafa;padding:.5em .8em;margin:.3em 0 .6em;"
"font-family:'DejaVu Sans','Noto Color Emoji',sans-serif;unicode-bidi:plaintext}\n"
"section.incident{border-top:1px solid #888;padding-top:.6em;margin-top:1em}\n"
"svg.chart{width:100%;height:auto;font-family:'DejaVu Sans',sans-serif}\n"
".sign{margin:2.2em 0 0;border-bottom:1px solid #000;width:70%;height:1.6em}\n"
".sign span{position:relative;top:1.9em;font-size:9pt;color:#444}\n"
"@page{size:A4;margin:16mm}\n"
"@media print{body{margin:0;max-width:none;font-size:10pt}.pb{break-before:page}"
"section.incident{break-inside:avoid-page}h2,h3{break-after:avoid}"
"tr{break-inside:avoid}a{color:#000}}\n"
"</style></head><body>\n";

struct html {
	struct vbuf *o;
	const vigil_report *r;
	enum blk_type open;         /* KV or LI run in progress, else BLK_P */
	vigil_error e;
};

static void
put(struct html *h, const char *s)
{
	if (h->e == VIGIL_OK)
		h->e = vbuf_adds(h->o, s);
}

static void
esc(struct html *h, const char *s)
{
	if (h->e == VIGIL_OK)
		h->e = html_text(h->o, s);
}

/* Close a run of KV rows or list items before another kind of block. */
static void
close_run(struct html *h, enum blk_type next)
{
	if (h->open == next)
		return;
	if (h->open == BLK_KV)
		put(h, "</table>\n");
	else if (h->open == BLK_LI)
		put(h, "</ol>\n");
	if (next == BLK_KV)
		put(h, "<table class=kv>\n");
	else if (next == BLK_LI)
		put(h, "<ol>\n");
	h->open = next == BLK_KV || next == BLK_LI ? next : BLK_P;
}

static void
tag(struct html *h, const char *open, const char *text, const char *close)
{
	put(h, open);
	esc(h, text);
	put(h, close);
}

static void
block(struct html *h, const struct blk *k)
{
	static const char *const heads[] = { "h1", "h2", "h3" };
	struct chart c;

	close_run(h, k->type);
	switch (k->type) {
	case BLK_H1:
	case BLK_H2:
	case BLK_H3:
		if (h->e == VIGIL_OK)
			h->e = vbuf_printf(h->o, "<%s dir=auto>", heads[k->type - BLK_H1]);
		esc(h, k->text);
		if (h->e == VIGIL_OK)
			h->e = vbuf_printf(h->o, "</%s>\n", heads[k->type - BLK_H1]);
		break;
	case BLK_P: tag(h, "<p dir=auto>", k->text, "</p>\n"); break;
	case BLK_SMALL: tag(h, "<p class=small dir=auto>", k->text, "</p>\n"); break;
	case BLK_LI: tag(h, "<li>", k->text, "</li>\n"); break;
	case BLK_KV:
		tag(h, "<tr><th>", k->text, k->flags & BLK_MONO ? "</th><td class=mono dir=auto>"
		    : "</th><td dir=auto>");
		if (k->href) {
			tag(h, "<a rel=\"noreferrer noopener\" href=\"", k->href, "\">");
			tag(h, "", k->value, "</a>");
		} else {
			esc(h, k->value);
		}
		put(h, "</td></tr>\n");
		break;
	case BLK_TABLE:
		put(h, "<table class=data><colgroup>");
		for (size_t i = 0; i < k->ncells; i++)
			tag(h, "<col style=\"width:", k->cells[i], "%\">");
		put(h, "</colgroup>\n");
		break;
	case BLK_ROW:
		put(h, "<tr>");
		for (size_t i = 0; i < k->ncells; i++)
			tag(h, k->flags & BLK_HEAD ? "<th>" : "<td dir=auto>", k->cells[i],
			    k->flags & BLK_HEAD ? "</th>" : "</td>");
		put(h, "</tr>\n");
		break;
	case BLK_TEND: put(h, "</table>\n"); break;
	case BLK_POST: tag(h, "<div class=post dir=auto>", k->text, "</div>\n"); break;
	case BLK_CHART:
		if (h->e == VIGIL_OK)
			h->e = chart_layout(h->r, &c);
		if (h->e == VIGIL_OK)
			h->e = chart_svg(&c, h->o);
		chart_free(&c);
		break;
	case BLK_BREAK: put(h, "<div class=pb></div>\n"); break;
	case BLK_SECTION: tag(h, "<section class=incident id=\"", k->id, "\">\n"); break;
	case BLK_SEND: put(h, "</section>\n"); break;
	case BLK_SIGN: tag(h, "<div class=sign><span>", k->text, "</span></div>\n"); break;
	}
}

VIGIL_EXPORT vigil_error
vigil_report_html(const vigil_report *r, char **out, size_t *len, char *errbuf)
{
	struct vbuf o;
	struct doc d;
	struct html h = { &o, r, BLK_P, VIGIL_OK };

	vbuf_init(&o, HTML_MAX);
	h.e = report_doc(r, &d);
	if (h.e != VIGIL_OK)
		return vigil_fail(errbuf, h.e, "report: %s", vigil_strerror(h.e));
	put(&h, head);
	esc(&h, d.n ? d.b[0].text : "vigil report");
	put(&h, style);
	for (size_t i = 0; h.e == VIGIL_OK && i < d.n; i++)
		block(&h, &d.b[i]);
	close_run(&h, BLK_P);
	put(&h, "</body></html>\n");
	doc_free(&d);
	if (h.e != VIGIL_OK) {
		vbuf_free(&o);
		return vigil_fail(errbuf, h.e, "report: %s", vigil_strerror(h.e));
	}
	*out = vbuf_take(&o, len);
	return VIGIL_OK;
}
