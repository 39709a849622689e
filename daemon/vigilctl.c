/* SPDX-License-Identifier: Apache-2.0 */
/* vigilctl.c - the command-line tool: options, the command table, helpers. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "vigilctl.h"

static const struct ctl_command commands[] = {
	{ "init", "", "create the ledger database and signing key", cmd_init },
	{ "ingest", "[--batch N] [--rules PATH | --no-classify] [FILE|-]",
	  "append posts from JSONL as classified capture entries", cmd_ingest },
	{ "verify", "[--checkpoint FILE]", "check every entry, signature, checkpoint and blob", cmd_verify },
	{ "checkpoint", "", "print the latest signed checkpoint", cmd_checkpoint },
	{ "list", "[--format text|jsonl]", "one line per entry", cmd_list },
	{ "show", "SEQ", "show one entry", cmd_show },
	{ "key", "show|rotate", "show the signing key or rotate it", cmd_key },
	{ "export", "--out PATH [--clinician ID] [--since TIME] [--until TIME] [--tar]",
	  "write a verifiable export bundle", cmd_export },
	{ "verify-bundle", "[--key KEYID] DIR|FILE.tar", "verify an export bundle offline", cmd_verify_bundle },
	{ "status", "", "per source: last poll, cursor, captures, errors, next poll", cmd_status },
	{ "poll", "[SOURCE]", "poll every source (or one) once now, as vigild --once does", cmd_poll },
	{ "fetch", "--platform P [--base-url URL] [--token-file F] [--session-file F] "
	  "[--mode mentions|search] [--query Q] [--account A] [--channel C] "
	  "[--video V] [--auth-url URL] [--since-cursor C] [--cursor-file F] "
	  "[--page-size N] [--max-pages N] [--retries N] [--max-wait SECS] "
	  "[--timeout SECS] [--max-response BYTES] [--ca-file PEM] [--source NAME] "
	  "[--clinician ID] [--exists ID]...",
	  "fetch posts from a platform as ingest lines",
	  cmd_fetch },
	{ "classify", "[--lines] [--explain] [--rules PATH] [--threshold CAT=N]... [--target NAME]... [FILE]\n"
	  "       vigilctl classify [--rules PATH] [--split NAME] --eval FILE.jsonl\n"
	  "       vigilctl classify [--rules PATH] --normalized [FILE]",
	  "Label posts (JSONL {\"id\",\"text\"} or --lines) as threat, sexual, doxxing, hate, insult",
	  cmd_classify },
	{ "annotate", "SEQ --status reviewed|false_positive|escalated|reported|note [--text TEXT] "
	  "[--reference CASE] [--by NAME]", "record a review of a capture (a new entry)", cmd_annotate },
	{ "queue", "[--clinician ID] [--label LABEL] [--reveal]",
	  "captures awaiting review, most severe first, masked", cmd_queue },
	{ "report", "--clinician ID [--since TIME] [--until TIME] [--format html|pdf] [--tz ZONE] "
	  "--out FILE", "write the evidence report for police, courts and employers", cmd_report },
	{ "notice", "--platform P --clinician ID [--seq N]... [--format text|json] "
	  "--reporter-name NAME --reporter-email ADDR --out FILE",
	  "write a notice (EU DSA Article 16 shape) for a platform", cmd_notice },
	{ "offenders", "[--clinician ID]", "harassing accounts ranked by incidents and severity",
	  cmd_offenders },
	{ "bursts", "[--clinician ID]", "hours when mentions of a clinician spiked", cmd_bursts },
};

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vigilctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ctl_fail(vigil_error err, const char *errbuf, const char *what)
{
	size_t n = what ? strlen(what) : 0;

	/* Most library messages already start with the file they name. */
	if (errbuf && errbuf[0] && n && strncmp(errbuf, what, n) == 0 && errbuf[n] == ':')
		ctl_error("%s", errbuf);
	else if (errbuf && errbuf[0])
		ctl_error("%s: %s", what, errbuf);
	else
		ctl_error("%s: %s", what, vigil_strerror(err));
	switch (err) {
	case VIGIL_E_VERIFY:
		return EXIT_VERIFY;
	case VIGIL_E_INVAL:
		return EXIT_USAGE;
	default:
		return EXIT_RUNTIME;
	}
}

int
ctl_usage(const struct ctl_command *cmd)
{
	fprintf(stderr, "Usage: vigilctl [--db PATH] [-c FILE] %s %s\n",
		cmd->name, cmd->usage);
	return EXIT_USAGE;
}

bool
ctl_wants_help(const struct ctl_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage: vigilctl [--db PATH] [-c FILE] %s %s\n\n%s.\n",
			       cmd->name, cmd->usage, cmd->summary);
			return true;
		}
	}
	return false;
}

const struct ctl_command *
ctl_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

bool
ctl_read_file(const char *path, size_t max, char **data, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f) {
		ctl_error("Failed to open '%s': %s", path, strerror(errno));
		return false;
	}
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		ctl_error("out of memory");
		return false;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		if (n > max)
			ctl_error("'%s' is larger than %zu bytes", path, max);
		else
			ctl_error("Failed to read '%s'", path);
		fclose(f);
		free(buf);
		return false;
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return true;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: vigilctl [--db PATH] [-c FILE] COMMAND [ARGS]\n"
		"\n"
		"Keep and check evidence of online harassment of clinicians.\n"
		"\n"
		"Options:\n"
		"  --db PATH     ledger database (default: $VIGIL_DB, else\n"
		"                /var/lib/vigil/vigil.db as root, else\n"
		"                $XDG_DATA_HOME/vigil/vigil.db)\n"
		"  --key PATH    signing key file (default: config signing_key,\n"
		"                $VIGIL_KEY, else signing.key beside the database)\n"
		"  -c FILE       read database and signing_key from [vigil] in FILE\n"
		"  -h, --help    this help; COMMAND --help for a command's\n"
		"  --version     print the version\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nExit status: 0 ok, 1 evidence check failed, 2 usage error,\n"
		   "3 some input rejected, 4 database, key, file or disk error.\n");
}

struct config_read {
	char *db;
	char *key;
};

static int
config_handler(void *user, const char *section, const char *name,
	       const char *value)
{
	struct config_read *c = user;

	if (strcmp(section, "vigil") != 0)
		return 1;
	if (strcmp(name, "database") == 0) {
		free(c->db);
		c->db = strdup(value);
	} else if (strcmp(name, "signing_key") == 0) {
		free(c->key);
		c->key = strdup(value);
	}
	return 1;
}

static int
read_config(struct ctl *ctl, const char *path, char **db, char **key)
{
	struct config_read c = { NULL, NULL };
	int rc = ini_parse(path, config_handler, &c);

	if (rc < 0) {
		ctl_error("Failed to open '%s': %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (rc > 0) {
		ctl_error("%s:%d: syntax error", path, rc);
		free(c.db);
		free(c.key);
		return EXIT_USAGE;
	}
	*db = c.db;
	*key = c.key;
	(void)ctl;
	return EXIT_OK;
}

static char *
default_db(void)
{
	const char *env = getenv("VIGIL_DB");
	const char *xdg, *home;
	char *p = NULL;

	if (env && *env)
		return strdup(env);
	if (geteuid() == 0)
		return strdup("/var/lib/vigil/vigil.db");
	xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg) {
		if (asprintf(&p, "%s/vigil/vigil.db", xdg) < 0)
			return NULL;
		return p;
	}
	home = getenv("HOME");
	if (asprintf(&p, "%s/.local/share/vigil/vigil.db", home ? home : ".") < 0)
		return NULL;
	return p;
}

static char *
default_key(const char *db)
{
	const char *env = getenv("VIGIL_KEY");
	const char *slash;
	char *p = NULL;

	if (env && *env)
		return strdup(env);
	slash = strrchr(db, '/');
	if (!slash)
		return strdup("signing.key");
	if (asprintf(&p, "%.*s/signing.key", (int)(slash - db), db) < 0)
		return NULL;
	return p;
}

/* Create the parent directories of `path` (mode 0700) if missing. */
static void
make_parents(const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		return;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST)
			break;
		*p = '/';
	}
	free(copy);
}

vigil_error
ctl_open(struct ctl *ctl, unsigned flags, vigil_ledger **out)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_error r;

	if (flags & VIGIL_OPEN_CREATE) {
		make_parents(ctl->db);
		make_parents(ctl->key);
	}
	r = vigil_ledger_open(ctl->db, ctl->key, flags, out, errbuf);
	if (r != VIGIL_OK)
		ctl_fail(r, errbuf, ctl->db);
	return r;
}

static void
log_to_stderr(int priority, const char *message, void *userdata)
{
	static const char *const names[] = {
		[VIGIL_LOG_ERR] = "error", [VIGIL_LOG_WARNING] = "warning",
		[VIGIL_LOG_NOTICE] = "notice", [VIGIL_LOG_INFO] = "info",
		[VIGIL_LOG_DEBUG] = "debug",
	};
	(void)userdata;
	fprintf(stderr, "vigilctl: %s: %s\n",
		priority >= 3 && priority <= 7 ? names[priority] : "log", message);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "key", required_argument, NULL, 'K' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { 0 };
	const struct ctl_command *cmd;
	char *opt_db = NULL, *opt_key = NULL, *cfg_db = NULL, *cfg_key = NULL;
	int c, rc;

	/* As vigild: big blocks mapped apart, whatever the largest freed
	 * (see harden_process() in vigild.c). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	vigil_log_set_handler(log_to_stderr, NULL);
	vigil_log_set_priority(VIGIL_LOG_WARNING);
	while ((c = getopt_long(argc, argv, "+c:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'D': opt_db = optarg; break;
		case 'K': opt_key = optarg; break;
		case 'c': ctl.config = optarg; break;
		case 'v': vigil_log_set_priority(VIGIL_LOG_DEBUG); break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("vigilctl %s\n", vigil_version()); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = ctl_find(argv[optind]);
	if (!cmd) {
		ctl_error("unknown command '%s'; see vigilctl --help", argv[optind]);
		return EXIT_USAGE;
	}
	if (ctl_wants_help(cmd, argc - optind, argv + optind))
		return EXIT_OK;
	if (vigil_init() != VIGIL_OK) {
		ctl_error("Failed to initialise libsodium");
		return EXIT_RUNTIME;
	}
	if (ctl.config) {
		rc = read_config(&ctl, ctl.config, &cfg_db, &cfg_key);
		if (rc != EXIT_OK)
			return rc;
	}
	ctl.db = opt_db ? strdup(opt_db) : cfg_db ? strdup(cfg_db) : default_db();
	if (ctl.db)
		ctl.key = opt_key ? strdup(opt_key) : cfg_key ? strdup(cfg_key) : default_key(ctl.db);
	free(cfg_db);
	free(cfg_key);
	if (!ctl.db || !ctl.key) {
		ctl_error("out of memory");
		return EXIT_RUNTIME;
	}
	/* Commands see argv[0] as their own name; optind = 0 makes GNU
	 * getopt start afresh for them. */
	c = optind;
	optind = 0;
	rc = cmd->run(&ctl, argc - c, argv + c);
	free(ctl.db);
	free(ctl.key);
	return rc;
}
