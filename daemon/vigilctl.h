/* SPDX-License-Identifier: Apache-2.0 */
/* vigilctl.h - shared by the vigilctl command files. */
#ifndef VIGILCTL_H
#define VIGILCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil.h"

/* Exit codes, documented in vigilctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_VERIFY = 1,   /* an evidence check failed */
	EXIT_USAGE = 2,    /* bad command line */
	EXIT_INPUT = 3,    /* some input was rejected (others were processed) */
	EXIT_RUNTIME = 4,  /* database, key, file, permission or disk error */
};

struct ctl {
	const char *config;   /* -c FILE */
	char *db;             /* resolved database path */
	char *key;            /* resolved signing key path */
};

struct ctl_command {
	const char *name;
	const char *usage;    /* arguments after the name */
	const char *summary;
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

/* vigilctl.c */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report err with errbuf (if set) prefixed by `what`, and map it to an exit
 * code. */
int ctl_fail(vigil_error err, const char *errbuf, const char *what);
int ctl_usage(const struct ctl_command *cmd);
/* True if argv holds -h or --help; prints the command's help. */
bool ctl_wants_help(const struct ctl_command *cmd, int argc, char **argv);
vigil_error ctl_open(struct ctl *ctl, unsigned flags, vigil_ledger **out);
const struct ctl_command *ctl_find(const char *name);
/* Read a whole file of at most max bytes, NUL-terminated; prints errors. */
bool ctl_read_file(const char *path, size_t max, char **data, size_t *len);

/* ctl-ledger.c */
int cmd_init(struct ctl *ctl, int argc, char **argv);
int cmd_ingest(struct ctl *ctl, int argc, char **argv);
int cmd_verify(struct ctl *ctl, int argc, char **argv);
int cmd_checkpoint(struct ctl *ctl, int argc, char **argv);
int cmd_list(struct ctl *ctl, int argc, char **argv);
int cmd_show(struct ctl *ctl, int argc, char **argv);
int cmd_key(struct ctl *ctl, int argc, char **argv);

/* ctl-classify.c */
int cmd_classify(struct ctl *ctl, int argc, char **argv);

/* ctl-watch.c */
int cmd_status(struct ctl *ctl, int argc, char **argv);
int cmd_poll(struct ctl *ctl, int argc, char **argv);

/* ctl-export.c */
int cmd_export(struct ctl *ctl, int argc, char **argv);
int cmd_verify_bundle(struct ctl *ctl, int argc, char **argv);

/* ctl-fetch.c */
int cmd_fetch(struct ctl *ctl, int argc, char **argv);
/* ctl-review.c */
/* Parse a seq number; prints an error and returns false if malformed. */
bool ctl_parse_seq(const char *s, uint64_t *out);
/* Print ledger text safely on one line: controls shown as '?', cut after
 * max bytes. */
void ctl_put_text(const char *s, size_t max);
int cmd_annotate(struct ctl *ctl, int argc, char **argv);
int cmd_queue(struct ctl *ctl, int argc, char **argv);

/* ctl-report.c */
int cmd_report(struct ctl *ctl, int argc, char **argv);
int cmd_notice(struct ctl *ctl, int argc, char **argv);
int cmd_offenders(struct ctl *ctl, int argc, char **argv);
int cmd_bursts(struct ctl *ctl, int argc, char **argv);

#endif
