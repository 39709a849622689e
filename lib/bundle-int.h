/* SPDX-License-Identifier: Apache-2.0 */
/* bundle-int.h - bundle files as a directory or a tar (bundle-io.c). */
#ifndef VIGIL_BUNDLE_INT_H
#define VIGIL_BUNDLE_INT_H

#include "vigil-private.h"

struct archive;

/* Where an export is written. */
struct sink {
	char *final;          /* the name the bundle gets when complete */
	char *tmp;            /* where it is written meanwhile */
	struct archive *ar;   /* tar writer, or NULL for a directory */
	int fd;
	int64_t mtime;        /* for tar members, so bundles are reproducible */
};

vigil_error sink_open(struct sink *s, const char *out, bool tar, int64_t mtime,
		      char *errbuf);
vigil_error sink_write(struct sink *s, const char *rel, const void *data, size_t len,
		       char *errbuf);
/* commit: rename into place; otherwise remove what was written. */
vigil_error sink_close(struct sink *s, bool commit, char *errbuf);

/* A bundle being read. */
struct member {
	char *name;
	char *data;
	size_t len;
};

struct source {
	char *path;
	bool dir;
	char *prefix;             /* "name/" when the bundle sits in one folder */
	struct member *members;   /* tar members, sorted by name */
	size_t n;
};

vigil_error source_open(struct source *src, const char *path, char *errbuf);
void source_close(struct source *src);
/* Read `rel` (at most max bytes, NUL-terminated); with data NULL only test
 * whether it exists. */
vigil_error source_read(struct source *src, const char *rel, size_t max, char **data,
			size_t *len, char *errbuf);



/* Call fn with the name of every file in folder `dir` of the bundle until it
 * returns false (then VIGIL_E_VERIFY). */
vigil_error source_list(struct source *src, const char *dir,
			bool (*fn)(const char *name, void *userdata), void *userdata);

/* export-docs.c */
vigil_error export_verify_md(struct vbuf *out, const char *origin, const char *key_id,
			     uint64_t size, uint64_t entries, const char *clinician);
/* rows: <tr> elements already escaped. */
vigil_error export_report_html(struct vbuf *out, const char *origin, const char *key_id,
			       uint64_t size, const char *clinician, const char *rows);
/* The police report (report.html) and its CSV for a one-clinician export;
 * both strings are the caller's to free(). */
vigil_error export_clinician_report(vigil_ledger *l, const vigil_export_options *o,
				    char **html, size_t *html_len, char **csv,
				    size_t *csv_len, char *errbuf);
#endif
