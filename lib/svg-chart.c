/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svg-chart.c - the timeline of incidents per day, stacked by label (each
 * incident counted once, under its highest-scoring label). The layout is
 * computed once as rectangles, lines and texts; this file writes it as SVG
 * and report-pdf.c draws the same shapes with cairo.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report-int.h"

#define DAY_MS 86400000LL
#define MAX_BARS 120
#define PLOT_L 48.0
#define PLOT_R 12.0
#define PLOT_T 34.0
#define PLOT_B 40.0

const char *const chart_colors[RPT_NCAT + 1] = {
	"#c0392b", "#8e44ad", "#d35400", "#2c3e50", "#2980b9", "#7f8c8d",
};

static vigil_error
add_rect(struct chart *c, double x, double y, double w, double h, int color)
{
	struct chart_rect *p = realloc(c->rects, (c->nrects + 1) * sizeof(*p));

	if (!p)
		return VIGIL_E_NOMEM;
	c->rects = p;
	p[c->nrects++] = (struct chart_rect){ x, y, w, h, color };
	return VIGIL_OK;
}

static vigil_error
add_text(struct chart *c, double x, double y, int anchor, const char *s)
{
	struct chart_text *p = realloc(c->texts, (c->ntexts + 1) * sizeof(*p));

	if (!p)
		return VIGIL_E_NOMEM;
	c->texts = p;
	p = &p[c->ntexts++];
	p->x = x;
	p->y = y;
	p->anchor = anchor;
	snprintf(p->s, sizeof(p->s), "%s", s);
	return VIGIL_OK;
}

static void
add_line(struct chart *c, double x1, double y1, double x2, double y2)
{
	if (c->nlines < VIGIL_ARRAY_SIZE(c->lines)) {
		double *l = c->lines[c->nlines++];

		l[0] = x1, l[1] = y1, l[2] = x2, l[3] = y2;
	}
}

/* The smallest of 1, 2, 5 x 10^k at or above v. */
static uint64_t
nice_ceiling(uint64_t v)
{
	uint64_t p = 1;

	while (p * 10 <= v)
		p *= 10;
	return v <= p ? p : v <= 2 * p ? 2 * p : v <= 5 * p ? 5 * p : 10 * p;
}

static void
day_label(int64_t day, char *out, size_t size)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

vigil_error
chart_layout(const vigil_report *r, struct chart *c)
{
	double pw = CHART_W - PLOT_L - PLOT_R, ph = CHART_H - PLOT_T - PLOT_B, bw, y0;
	int64_t d0 = INT64_MAX, d1 = INT64_MIN;
	uint64_t (*bars)[RPT_NCAT + 1] = NULL, top = 0, scale;
	size_t nbars;
	char s[40];
	vigil_error e = VIGIL_OK;

	memset(c, 0, sizeof(*c));
	for (int k = 0; e == VIGIL_OK && k <= RPT_NCAT; k++) {
		double lx = PLOT_L + k * 95.0;

		e = add_rect(c, lx, 8, 10, 10, k);
		if (e == VIGIL_OK)
			e = add_text(c, lx + 14, 17, 0, k < RPT_NCAT ? rpt_categories[k] : "other or none");
	}
	for (size_t i = 0; i < r->nincidents; i++) {
		int64_t d = r->caps[r->incidents[i]].event_ms / DAY_MS;

		d0 = d < d0 ? d : d0;
		d1 = d > d1 ? d : d1;
	}
	y0 = PLOT_T + ph;
	add_line(c, PLOT_L, y0, PLOT_L + pw, y0);
	add_line(c, PLOT_L, PLOT_T, PLOT_L, y0);
	if (e != VIGIL_OK || r->nincidents == 0)
		return e == VIGIL_OK ? add_text(c, PLOT_L + pw / 2, PLOT_T + ph / 2, 1,
						"no incidents in this period") : e;
	c->days_per_bar = (unsigned)((d1 - d0) / MAX_BARS + 1);
	nbars = (size_t)((d1 - d0) / c->days_per_bar + 1);
	bars = calloc(nbars, sizeof(*bars));
	if (!bars)
		return VIGIL_E_NOMEM;
	for (size_t i = 0; i < r->nincidents; i++) {
		const struct rpt_capture *cap = &r->caps[r->incidents[i]];
		size_t b = (size_t)((cap->event_ms / DAY_MS - d0) / c->days_per_bar);

		bars[b][cap->primary < 0 ? RPT_NCAT : cap->primary]++;
	}
	for (size_t b = 0; b < nbars; b++) {
		uint64_t t = 0;

		for (int k = 0; k <= RPT_NCAT; k++)
			t += bars[b][k];
		top = t > top ? t : top;
	}
	scale = nice_ceiling(top);
	bw = pw / (double)nbars;
	for (size_t b = 0; e == VIGIL_OK && b < nbars; b++) {
		double y = y0;

		for (int k = 0; e == VIGIL_OK && k <= RPT_NCAT; k++) {
			double h = ph * (double)bars[b][k] / (double)scale;

			if (bars[b][k] == 0)
				continue;
			y -= h;
			e = add_rect(c, PLOT_L + bw * (double)b + bw * 0.1, y, fmax(bw * 0.8, 0.5), h, k);
		}
	}
	for (int i = 0; e == VIGIL_OK && i <= 2; i++) {
		double y = y0 - ph * i / 2.0;

		snprintf(s, sizeof(s), "%llu", (unsigned long long)(scale * (uint64_t)i / 2));
		if (i)
			add_line(c, PLOT_L, y, PLOT_L + pw, y);
		e = add_text(c, PLOT_L - 6, y + 4, 2, s);
	}
	/* At most six date labels under the bars. */
	for (size_t b = 0; e == VIGIL_OK && b < nbars; b += (nbars + 5) / 6) {
		day_label(d0 + (int64_t)(b * c->days_per_bar), s, sizeof(s));
		e = add_text(c, PLOT_L + bw * ((double)b + 0.5), y0 + 16, 1, s);
	}
	if (e == VIGIL_OK) {
		snprintf(s, sizeof(s), "incidents per %u day%s (UTC)", c->days_per_bar,
			 c->days_per_bar > 1 ? "s" : "");
		e = add_text(c, PLOT_L + pw / 2, CHART_H - 6, 1, s);
	}
	free(bars);
	return e;
}

void
chart_free(struct chart *c)
{
	free(c->rects);
	free(c->texts);
	memset(c, 0, sizeof(*c));
}

vigil_error
chart_svg(const struct chart *c, struct vbuf *out)
{
	static const char *const anchors[] = { "start", "middle", "end" };
	vigil_error e;

	e = vbuf_printf(out, "<svg viewBox=\"0 0 %.0f %.0f\" "
			"class=chart role=img aria-label=\"Incidents per day by label\">\n",
			CHART_W, CHART_H);
	for (size_t i = 0; e == VIGIL_OK && i < c->nlines; i++)
		e = vbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"#999\" stroke-width=\"0.6\"/>\n", c->lines[i][0],
				c->lines[i][1], c->lines[i][2], c->lines[i][3]);
	for (size_t i = 0; e == VIGIL_OK && i < c->nrects; i++)
		e = vbuf_printf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
				"fill=\"%s\"/>\n", c->rects[i].x, c->rects[i].y, c->rects[i].w,
				c->rects[i].h, chart_colors[c->rects[i].color]);
	for (size_t i = 0; e == VIGIL_OK && i < c->ntexts; i++) {
		e = vbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"11\">",
				c->texts[i].x, c->texts[i].y, anchors[c->texts[i].anchor]);
		if (e == VIGIL_OK)
			e = html_text(out, c->texts[i].s);
		if (e == VIGIL_OK)
			e = vbuf_adds(out, "</text>\n");
	}
	if (e == VIGIL_OK)
		e = vbuf_adds(out, "</svg>\n");
	return e;
}
