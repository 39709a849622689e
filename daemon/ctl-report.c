/* SPDX-License-Identifier: Apache-2.0 */
/* ctl-report.c - vigilctl report, notice, offenders and bursts. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigilctl.h"

#define MAX_SEQS 10000

/* Build the report model; prints errors. */
static int
build(struct ctl *ctl, const vigil_report_options *o, vigil_report **out)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_ledger *l = NULL;
	vigil_error r;

	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	r = vigil_report_build(l, o, out, errbuf);
	vigil_ledger_close(l);
	return r == VIGIL_OK ? EXIT_OK : ctl_fail(r, errbuf, "report");
}

static int
write_out(const char *path, const char *data, size_t len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "we");

	if (!f) {
		ctl_error("Failed to open '%s': %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (fwrite(data, 1, len, f) != len || (f == stdout ? fflush(f) : fclose(f)) != 0) {
		ctl_error("Failed to write '%s': %s", path, strerror(errno));
		if (f != stdout)
			fclose(f);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int
cmd_report(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "clinician", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "tz", required_argument, NULL, 'z' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	vigil_report_options o = { 0 };
	char errbuf[VIGIL_ERRBUF_SIZE] = "", *html = NULL;
	const char *out = NULL, *format = NULL;
	vigil_report *rep = NULL;
	size_t len;
	vigil_error r;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.clinician = optarg; break;
		case 's': o.since = optarg; break;
		case 'u': o.until = optarg; break;
		case 'f': format = optarg; break;
		case 'z': o.tz = optarg; break;
		case 'o': out = optarg; break;
		default: return ctl_usage(ctl_find("report"));
		}
	}
	if (!o.clinician || !out || optind != argc)
		return ctl_usage(ctl_find("report"));
	if (!format) {
		len = strlen(out);
		format = len > 4 && strcmp(out + len - 4, ".pdf") == 0 ? "pdf" : "html";
	}
	if (strcmp(format, "html") != 0 && strcmp(format, "pdf") != 0) {
		ctl_error("--format: expected html or pdf, not '%s'", format);
		return EXIT_USAGE;
	}
	if (strcmp(format, "pdf") == 0 && strcmp(out, "-") == 0) {
		ctl_error("--out -: a PDF report needs a file name");
		return EXIT_USAGE;
	}
	rc = build(ctl, &o, &rep);
	if (rc != EXIT_OK)
		return rc;
	if (strcmp(format, "pdf") == 0) {
		r = vigil_report_pdf(rep, out, errbuf);
		rc = r == VIGIL_OK ? EXIT_OK : ctl_fail(r, errbuf, "report");
	} else {
		r = vigil_report_html(rep, &html, &len, errbuf);
		rc = r == VIGIL_OK ? write_out(out, html, len) : ctl_fail(r, errbuf, "report");
	}
	if (rc == EXIT_OK && strcmp(out, "-") != 0) {
		const vigil_offender *off;

		printf("Wrote %s report on clinician %s to %s: %zu accounts\n", format, o.clinician,
		       out, vigil_report_offenders(rep, &off));
	}
	free(html);
	vigil_report_free(rep);
	return rc;
}

int
cmd_notice(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "clinician", required_argument, NULL, 'c' },
		{ "seq", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "reporter-name", required_argument, NULL, 'n' },
		{ "reporter-email", required_argument, NULL, 'e' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	vigil_report_options ro = { 0 };
	vigil_notice_options no = { 0 };
	char errbuf[VIGIL_ERRBUF_SIZE] = "", *text = NULL;
	uint64_t *seqs = NULL;
	const char *out = NULL;
	vigil_report *rep = NULL;
	size_t len;
	vigil_error r;
	int c, rc = EXIT_USAGE;

	seqs = calloc(MAX_SEQS, sizeof(*seqs));
	if (!seqs)
		return EXIT_RUNTIME;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': no.platform = optarg; break;
		case 'c': ro.clinician = optarg; break;
		case 's':
			if (no.nseqs == MAX_SEQS || !ctl_parse_seq(optarg, &seqs[no.nseqs]))
				goto out;
			no.nseqs++;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				ctl_error("--format: expected text or json, not '%s'", optarg);
				goto out;
			}
			no.json = strcmp(optarg, "json") == 0;
			break;
		case 'n': no.reporter_name = optarg; break;
		case 'e': no.reporter_email = optarg; break;
		case 'o': out = optarg; break;
		default: rc = ctl_usage(ctl_find("notice")); goto out;
		}
	}
	if (!no.platform || !ro.clinician || !out || optind != argc) {
		rc = ctl_usage(ctl_find("notice"));
		goto out;
	}
	no.seqs = no.nseqs ? seqs : NULL;
	rc = build(ctl, &ro, &rep);
	if (rc != EXIT_OK)
		goto out;
	r = vigil_notice(rep, &no, &text, &len, errbuf);
	rc = r == VIGIL_OK ? write_out(out, text, len) : ctl_fail(r, errbuf, "notice");
out:
	free(text);
	free(seqs);
	vigil_report_free(rep);
	return rc;
}

/* --clinician ID, the only option of offenders and bursts. */
static int
pattern_options(const char *name, int argc, char **argv, vigil_report_options *o)
{
	static const struct option opts[] = {
		{ "clinician", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'c')
			return ctl_usage(ctl_find(name));
		o->clinician = optarg;
	}
	return optind == argc ? EXIT_OK : ctl_usage(ctl_find(name));
}

int
cmd_offenders(struct ctl *ctl, int argc, char **argv)
{
	vigil_report_options o = { 0 };
	const vigil_offender *off;
	vigil_report *rep = NULL;
	size_t n;
	int rc;

	rc = pattern_options("offenders", argc, argv, &o);
	if (rc == EXIT_OK)
		rc = build(ctl, &o, &rep);
	if (rc != EXIT_OK)
		return rc;
	n = vigil_report_offenders(rep, &off);
	printf("%-10s %-28s %9s %9s  %-24s %s\n", "PLATFORM", "ACCOUNT ID", "INCIDENTS", "TOP SCORE",
	       "LAST POST", "HANDLES");
	for (size_t i = 0; i < n; i++) {
		printf("%-10s %-28s %9" PRIu64 " %9u  %-24s ", off[i].platform, off[i].author_id,
		       off[i].count, off[i].max_score, off[i].last);
		for (size_t h = 0; h < off[i].nhandles; h++) {
			fputs(h ? ", " : "", stdout);
			ctl_put_text(off[i].handles[h], 200);
		}
		putchar('\n');
	}
	printf("%zu account%s\n", n, n == 1 ? "" : "s");
	vigil_report_free(rep);
	return EXIT_OK;
}

int
cmd_bursts(struct ctl *ctl, int argc, char **argv)
{
	vigil_report_options o = { 0 };
	const vigil_burst *b;
	vigil_report *rep = NULL;
	size_t n;
	int rc;

	rc = pattern_options("bursts", argc, argv, &o);
	if (rc == EXIT_OK)
		rc = build(ctl, &o, &rep);
	if (rc != EXIT_OK)
		return rc;
	n = vigil_report_bursts(rep, &b);
	for (size_t i = 0; i < n; i++) {
		printf("%s\t%s .. %s\t%" PRIu64 " posts (peak %" PRIu64 "/h; median %.1f/h, "
		       "threshold %.1f)\n", b[i].clinician, b[i].start, b[i].end, b[i].count,
		       b[i].peak, b[i].median, b[i].threshold);
		for (size_t k = 0; k < b[i].naccounts; k++) {
			fputs("    ", stdout);
			ctl_put_text(b[i].accounts[k], 300);
			putchar('\n');
		}
	}
	printf("%zu burst%s\n", n, n == 1 ? "" : "s");
	vigil_report_free(rep);
	return EXIT_OK;
}
