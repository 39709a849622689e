/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-int.h - the report model (report-model.c) and the document it
 * becomes (report-doc.c), shared by the HTML and PDF renderers, the chart,
 * the pattern finders and the platform notice.
 */
#ifndef VIGIL_REPORT_INT_H
#define VIGIL_REPORT_INT_H

#include "vigil-private.h"

/* The classifier's categories, in the order reports list them. */
#define RPT_NCAT 5
extern const char *const rpt_categories[RPT_NCAT];

struct rpt_capture {
	uint64_t seq;
	char hash[65];          /* hex SHA-256 of the entry bytes */
	char time[32];          /* capture time (entry time) */
	int64_t time_ms;
	int64_t event_ms;       /* post time, else capture time */
	json_t *entry;          /* owns every borrowed string below */
	const char *clinician, *platform, *post_id, *url, *created_at, *text;
	const char *author_id, *author_handle, *author_name, *author_url;
	const char *engine, *payload;
	json_t *labels, *matches;
	int scores[RPT_NCAT];   /* -1: not scored */
	int max_score;          /* 0 when unclassified */
	int primary;            /* category with the top score among labels, or -1 */
	json_t *obs;            /* array of observation entries (borrowed bodies) */
	json_t *ann;            /* array of annotation entries */
	const char *status;     /* latest annotation status other than note */
	bool classified;        /* classification is not null */
	bool incident;          /* labelled or unclassified, not a false positive */
};

struct rpt_count {
	const char *name;       /* borrowed */
	uint64_t n;
};

struct vigil_report {
	char *clinician;        /* NULL: every clinician */
	char *clinician_name;   /* from the latest registration, or NULL */
	char since[32], until[32], first[32], last[32], generated[32];
	char key_id[65], origin[32], root_b64[48];
	uint64_t checkpoint_size;
	struct vigil_tz *tz;
	struct rpt_capture *caps;   /* every capture in the period, by seq */
	size_t ncaps;
	size_t *incidents, nincidents;
	size_t *severe, nsevere;    /* most severe incidents first */
	uint64_t nfalse, nunlabelled;
	struct rpt_count labels[RPT_NCAT + 2], *platforms; /* + other, unclassified */
	size_t nplatforms;
	vigil_offender *offenders;
	size_t noffenders;
	vigil_burst *bursts;
	size_t nbursts;
	json_t *keep;               /* strings the public structs borrow */
};

/* report-model.c */
const struct rpt_capture *rpt_find(const vigil_report *r, uint64_t seq);
/* "2026-11-20 08:12:03 UTC" and, unless the zone is UTC, the local time. */
void rpt_times(const vigil_report *r, int64_t ms, char *out, size_t size);
/* Short UTF-8-safe excerpt (max bytes, "..." when cut), newlines as spaces. */
void rpt_excerpt(const char *text, size_t max, char *out, size_t size);

/* report-patterns.c */
vigil_error rpt_offenders(vigil_report *r);
vigil_error rpt_bursts(vigil_report *r);

/* tz.c: IANA zones from the system's TZif files. */
struct vigil_tz;
vigil_error vigil_tz_load(const char *name, struct vigil_tz **out, char *errbuf);
void vigil_tz_free(struct vigil_tz *tz);
const char *vigil_tz_name(const struct vigil_tz *tz);
/* Local time of ms as "2026-11-20 03:12:03 EST (UTC-05:00)". */
void vigil_tz_format(const struct vigil_tz *tz, int64_t ms, char *out, size_t size);

/* svg-chart.c: captures per day by label, laid out once for SVG and PDF. */
#define CHART_W 720.0
#define CHART_H 260.0
struct chart_rect { double x, y, w, h; int color; };
struct chart_text { double x, y; int anchor; char s[40]; }; /* anchor: 0 start, 1 middle, 2 end */
struct chart {
	struct chart_rect *rects;
	size_t nrects;
	struct chart_text *texts;
	size_t ntexts;
	double lines[16][4];        /* axis and grid lines */
	size_t nlines;
	unsigned days_per_bar;
};
extern const char *const chart_colors[RPT_NCAT + 1];
vigil_error chart_layout(const vigil_report *r, struct chart *c);
void chart_free(struct chart *c);
vigil_error chart_svg(const struct chart *c, struct vbuf *out);

/* report-doc.c: the report as a list of blocks both renderers draw. */
enum blk_type {
	BLK_H1, BLK_H2, BLK_H3, BLK_P, BLK_SMALL, BLK_KV, BLK_LI,
	BLK_TABLE, BLK_ROW, BLK_TEND, BLK_POST, BLK_CHART, BLK_BREAK,
	BLK_SECTION, BLK_SEND, BLK_SIGN,
};
enum { BLK_MONO = 1, BLK_HEAD = 2 };
struct blk {
	enum blk_type type;
	unsigned flags;
	char *text;                 /* heading, paragraph, key, label */
	char *value;                /* KV value */
	char *href;                 /* link (only http/https), or NULL */
	char *id;                   /* anchor id, or NULL */
	char **cells;               /* ROW cells; TABLE: column widths in % */
	size_t ncells;
};
struct doc {
	struct blk *b;
	size_t n, alloc;
};
vigil_error report_doc(const vigil_report *r, struct doc *d);
void doc_free(struct doc *d);
/* Building blocks: each does nothing once b->e is set, and sets it on
 * failure. Strings are copied. */
struct doc_builder {
	struct doc *d;
	const vigil_report *r;
	vigil_error e;
};
struct blk *doc_add(struct doc_builder *b, enum blk_type type, unsigned flags,
		    const char *text, const char *value);
void doc_addf(struct doc_builder *b, enum blk_type type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A key and value row; an empty or NULL value reads "(none)". */
void doc_kv(struct doc_builder *b, const char *key, const char *value, unsigned flags);
/* The same, linked when url is http(s). */
void doc_kv_link(struct doc_builder *b, const char *key, const char *url);
/* A table row (BLK_ROW) or table start with column widths (BLK_TABLE). */
void doc_row(struct doc_builder *b, enum blk_type type, size_t n, ...);
/* "2026-11-20 08:12" (UTC) from an RFC 3339 time. */
void doc_short_time(const char *rfc, char out[32]);

/* report-incident.c */
void doc_incident(struct doc_builder *b, size_t n, const struct rpt_capture *c);

#endif
