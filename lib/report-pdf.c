/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-pdf.c - the report as a PDF drawn with cairo and laid out with
 * pango (every script, right-to-left text and colour emoji through
 * fontconfig's fallback fonts). Text flows line by line, so a post longer
 * than a page continues on the next; the chart is drawn as vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "config.h"
#include "report-int.h"

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 50.0
#define BODY_W (PAGE_W - 2 * MARGIN)
#define BOTTOM (PAGE_H - MARGIN)
#define KEY_W (BODY_W * 0.28)
#define PDF_MAX ((size_t)2 << 30)

enum font { F_BODY, F_BOLD, F_SMALL, F_MONO, F_H1, F_H2, F_H3, F_CHART, F_FOOT, F_N };

static const char *const font_names[F_N] = {
	"DejaVu Sans 9.5", "DejaVu Sans Bold 8", "DejaVu Sans 8", "DejaVu Sans Mono 7.5",
	"DejaVu Sans Bold 16", "DejaVu Sans Bold 13", "DejaVu Sans Bold 11", "DejaVu Sans 7", "DejaVu Sans 7.5",
};

struct pdf {
	const vigil_report *r;
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoLayout *lay[F_N];
	double y;
	int page;
	int item;               /* list item number */
	struct vbuf out;
	vigil_error e;
};

static cairo_status_t
write_cb(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdf *p = closure;

	if (vbuf_add(&p->out, data, len) != VIGIL_OK)
		return CAIRO_STATUS_WRITE_ERROR;
	return CAIRO_STATUS_SUCCESS;
}

static void
footer(struct pdf *p)
{
	PangoLayout *l = p->lay[F_FOOT];  /* never one that flow() is walking */
	char s[160];

	snprintf(s, sizeof(s), "vigil evidence report - %s - page %d", p->r->origin, p->page);
	pango_layout_set_width(l, (int)(BODY_W * PANGO_SCALE));
	pango_layout_set_text(l, s, -1);
	cairo_set_source_rgb(p->cr, 0.4, 0.4, 0.4);
	cairo_move_to(p->cr, MARGIN, PAGE_H - MARGIN + 18);
	pango_cairo_show_layout(p->cr, l);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void
new_page(struct pdf *p)
{
	footer(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
}

static void
need(struct pdf *p, double h)
{
	if (p->y + h > BOTTOM && p->y > MARGIN)
		new_page(p);
}

static PangoLayout *
layout(struct pdf *p, enum font f, const char *text, double width)
{
	PangoLayout *l = p->lay[f];

	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_text(l, text, -1);
	return l;
}

/* Draw text line by line from p->y at x, breaking pages between lines; a
 * bar in the margin marks evidence text when `bar` is set. */
static void
flow(struct pdf *p, enum font f, const char *text, double x, double width, bool bar)
{
	PangoLayout *l = layout(p, f, text, width);
	PangoLayoutIter *it = pango_layout_get_iter(l);

	do {
		PangoRectangle log;
		double h, base;

		pango_layout_iter_get_line_extents(it, NULL, &log);
		h = (double)log.height / PANGO_SCALE;
		base = (double)(pango_layout_iter_get_baseline(it) - log.y) / PANGO_SCALE;
		need(p, h);
		if (bar) {
			cairo_set_source_rgb(p->cr, 0.75, 0.22, 0.17);
			cairo_rectangle(p->cr, x - 8, p->y, 2.5, h);
			cairo_fill(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		}
		cairo_move_to(p->cr, x + (double)log.x / PANGO_SCALE, p->y + base);
		pango_cairo_show_layout_line(p->cr, pango_layout_iter_get_line_readonly(it));
		p->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

static double
height_of(struct pdf *p, enum font f, const char *text, double width)
{
	int w, h;

	pango_layout_get_size(layout(p, f, text, width), &w, &h);
	return (double)h / PANGO_SCALE;
}

static void
table_row(struct pdf *p, const struct blk *widths, const struct blk *k)
{
	enum font f = k->flags & BLK_HEAD ? F_BOLD : F_SMALL;
	double h = 0, x = MARGIN, w[16];
	size_t n = k->ncells < 16 ? k->ncells : 16;

	for (size_t i = 0; i < n; i++) {
		double cw = widths && i < widths->ncells ? atof(widths->cells[i]) : 100.0 / (double)n;

		w[i] = BODY_W * cw / 100.0;
		h = fmax(h, height_of(p, f, k->cells[i], w[i] - 6));
	}
	h += 4;
	need(p, h);
	if (k->flags & BLK_HEAD) {
		cairo_set_source_rgb(p->cr, 0.92, 0.92, 0.92);
		cairo_rectangle(p->cr, MARGIN, p->y, BODY_W, h);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	for (size_t i = 0; i < n; i++) {
		cairo_move_to(p->cr, x + 3, p->y + 2);
		pango_cairo_show_layout(p->cr, layout(p, f, k->cells[i], w[i] - 6));
		cairo_set_line_width(p->cr, 0.4);
		cairo_rectangle(p->cr, x, p->y, w[i], h);
		cairo_stroke(p->cr);
		x += w[i];
	}
	p->y += h;
}

static void
chart(struct pdf *p)
{
	struct chart c;
	double s = BODY_W / CHART_W;

	p->e = chart_layout(p->r, &c);
	if (p->e != VIGIL_OK)
		return;
	need(p, CHART_H * s);
	cairo_save(p->cr);
	cairo_translate(p->cr, MARGIN, p->y);
	cairo_scale(p->cr, s, s);
	cairo_set_line_width(p->cr, 0.6);
	cairo_set_source_rgb(p->cr, 0.6, 0.6, 0.6);
	for (size_t i = 0; i < c.nlines; i++) {
		cairo_move_to(p->cr, c.lines[i][0], c.lines[i][1]);
		cairo_line_to(p->cr, c.lines[i][2], c.lines[i][3]);
		cairo_stroke(p->cr);
	}
	for (size_t i = 0; i < c.nrects; i++) {
		unsigned rgb = (unsigned)strtoul(chart_colors[c.rects[i].color] + 1, NULL, 16);

		cairo_set_source_rgb(p->cr, (rgb >> 16) / 255.0, (rgb >> 8 & 0xff) / 255.0,
				     (rgb & 0xff) / 255.0);
		cairo_rectangle(p->cr, c.rects[i].x, c.rects[i].y, c.rects[i].w, c.rects[i].h);
		cairo_fill(p->cr);
	}
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	for (size_t i = 0; i < c.ntexts; i++) {
		PangoLayout *l = layout(p, F_CHART, c.texts[i].s, -1);
		int w, h;

		pango_layout_set_width(l, -1);
		pango_layout_get_size(l, &w, &h);
		cairo_move_to(p->cr, c.texts[i].x - (double)w / PANGO_SCALE * c.texts[i].anchor / 2.0,
			      c.texts[i].y - (double)h / PANGO_SCALE * 0.8);
		pango_cairo_show_layout(p->cr, l);
	}
	cairo_restore(p->cr);
	p->y += CHART_H * s + 4;
	chart_free(&c);
}

static void
block(struct pdf *p, const struct blk *k, const struct blk **table)
{
	char num[16];
	double y0;

	if (k->type != BLK_LI)
		p->item = 0;
	switch (k->type) {
	case BLK_H1: flow(p, F_H1, k->text, MARGIN, BODY_W, false); p->y += 8; break;
	case BLK_H2: need(p, 60); p->y += 10; flow(p, F_H2, k->text, MARGIN, BODY_W, false); p->y += 4; break;
	case BLK_H3: need(p, 120); flow(p, F_H3, k->text, MARGIN, BODY_W, false); p->y += 4; break;
	case BLK_P: flow(p, F_BODY, k->text, MARGIN, BODY_W, false); p->y += 6; break;
	case BLK_SMALL: flow(p, F_SMALL, k->text, MARGIN, BODY_W, false); p->y += 3; break;
	case BLK_LI:
		snprintf(num, sizeof(num), "%d.", ++p->item);
		need(p, 12);
		cairo_move_to(p->cr, MARGIN, p->y);
		pango_cairo_show_layout(p->cr, layout(p, F_BODY, num, 20));
		flow(p, F_BODY, k->text, MARGIN + 18, BODY_W - 18, false);
		p->y += 3;
		break;
	case BLK_KV:
		/* Keep the key with the value's first lines. */
		need(p, fmin(height_of(p, k->flags & BLK_MONO ? F_MONO : F_BODY, k->value,
				       BODY_W - KEY_W), 60));
		y0 = p->y;
		cairo_move_to(p->cr, MARGIN, p->y);
		pango_cairo_show_layout(p->cr, layout(p, F_BOLD, k->text, KEY_W - 6));
		flow(p, k->flags & BLK_MONO ? F_MONO : F_BODY, k->value, MARGIN + KEY_W,
		     BODY_W - KEY_W, false);
		if (p->y >= y0)
			p->y = fmax(p->y, y0 + height_of(p, F_BOLD, k->text, KEY_W - 6));
		p->y += 2;
		break;
	case BLK_TABLE: *table = k; break;
	case BLK_ROW: table_row(p, *table, k); break;
	case BLK_TEND: *table = NULL; p->y += 6; break;
	case BLK_POST: flow(p, F_BODY, k->text, MARGIN + 10, BODY_W - 10, true); p->y += 6; break;
	case BLK_CHART: chart(p); break;
	case BLK_BREAK:
		if (p->y > MARGIN)
			new_page(p);
		break;
	case BLK_SECTION:
		need(p, 140);
		p->y += 6;
		cairo_set_line_width(p->cr, 0.8);
		cairo_move_to(p->cr, MARGIN, p->y);
		cairo_line_to(p->cr, MARGIN + BODY_W, p->y);
		cairo_stroke(p->cr);
		p->y += 6;
		break;
	case BLK_SEND: break;
	case BLK_SIGN:
		need(p, 50);
		p->y += 34;
		cairo_set_line_width(p->cr, 0.6);
		cairo_move_to(p->cr, MARGIN, p->y);
		cairo_line_to(p->cr, MARGIN + BODY_W * 0.7, p->y);
		cairo_stroke(p->cr);
		p->y += 2;
		flow(p, F_SMALL, k->text, MARGIN, BODY_W, false);
		break;
	}
}

VIGIL_EXPORT vigil_error
vigil_report_pdf(const vigil_report *r, const char *path, char *errbuf)
{
	struct pdf p = { .r = r, .y = MARGIN, .page = 1 };
	const struct blk *table = NULL;
	struct doc d = { 0 };
	PangoAttrList *attrs;
	cairo_status_t st;

	vbuf_init(&p.out, PDF_MAX);
	p.e = report_doc(r, &d);
	if (p.e != VIGIL_OK)
		goto out;
	p.surf = cairo_pdf_surface_create_for_stream(write_cb, &p, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(p.surf, CAIRO_PDF_METADATA_TITLE,
				       d.n ? d.b[0].text : "vigil report");
	cairo_pdf_surface_set_metadata(p.surf, CAIRO_PDF_METADATA_CREATOR, "vigil " VIGIL_VERSION);
	p.cr = cairo_create(p.surf);
	/* Never add a hyphen where a word or hash is broken: a reader would
	 * take it for part of the evidence. */
	attrs = pango_attr_list_new();
	pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
	for (int f = 0; f < F_N; f++) {
		PangoFontDescription *fd = pango_font_description_from_string(font_names[f]);

		p.lay[f] = pango_cairo_create_layout(p.cr);
		pango_layout_set_font_description(p.lay[f], fd);
		pango_layout_set_wrap(p.lay[f], PANGO_WRAP_WORD_CHAR);
		pango_layout_set_attributes(p.lay[f], attrs);
		pango_font_description_free(fd);
	}
	pango_attr_list_unref(attrs);
	for (size_t i = 0; i < d.n; i++)
		block(&p, &d.b[i], &table);
	footer(&p);
	cairo_show_page(p.cr);
	for (int f = 0; f < F_N; f++)
		g_object_unref(p.lay[f]);
	cairo_destroy(p.cr);
	cairo_surface_finish(p.surf);
	st = cairo_surface_status(p.surf);
	cairo_surface_destroy(p.surf);
	if (p.e == VIGIL_OK && st != CAIRO_STATUS_SUCCESS)
		p.e = vigil_fail(errbuf, p.out.len >= PDF_MAX ? VIGIL_E_TOOBIG : VIGIL_E_IO,
				 "%s: cairo: %s", path, cairo_status_to_string(st));
	if (p.e == VIGIL_OK)
		p.e = vigil_write_file(path, p.out.data, p.out.len, 0644, errbuf);
out:
	if (p.e == VIGIL_E_NOMEM)
		vigil_fail(errbuf, p.e, "%s: %s", path, vigil_strerror(p.e));
	doc_free(&d);
	vbuf_free(&p.out);
	return p.e;
}
