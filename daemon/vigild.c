/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigild - the unattended watcher: polls every configured source, records
 * captures in the ledger, re-checks them for deletion, alerts a human and
 * hands checkpoints to a witness. It never forks: run it under systemd
 * (Type=notify) or in a terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "vigil.h"

static volatile sig_atomic_t got_term, got_hup;
static bool journal;      /* stderr goes to the journal: use <N> prefixes */
static int max_priority = VIGIL_LOG_INFO;

static void
log_line(int priority, const char *message, void *userdata)
{
	static const char *const names[] = {
		[VIGIL_LOG_ERR] = "error", [VIGIL_LOG_WARNING] = "warning",
		[VIGIL_LOG_NOTICE] = "notice", [VIGIL_LOG_INFO] = "info",
		[VIGIL_LOG_DEBUG] = "debug",
	};
	(void)userdata;
	if (priority > max_priority)
		return;
	if (journal)
		fprintf(stderr, "<%d>%s\n", priority, message);
	else
		fprintf(stderr, "vigild: %s: %s\n",
			priority >= 3 && priority <= 7 ? names[priority] : "log", message);
}

static void
say(int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(priority, msg, NULL);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: vigild -c FILE [-d] [-v] [-n] [--once]\n"
		"\n"
		"Watch the platforms for posts about registered clinicians and keep them\n"
		"as signed evidence.\n"
		"\n"
		"  -c FILE    configuration (default " VIGIL_DEFAULT_CONFIG ")\n"
		"  -d         stay in the foreground (vigild never forks; accepted for habit)\n"
		"  -v         verbose: log debug messages\n"
		"  -n         check the configuration, report every problem, and exit\n"
		"  --once     poll every source once, run due re-checks, alerts and the\n"
		"             witness, then exit (0 if every source was polled)\n");
}

static void
report_problem(const char *message, void *userdata)
{
	unsigned *count = userdata;

	(*count)++;
	fprintf(stderr, "%s\n", message);
}

static vigil_config *
load_config(const char *path, bool quiet_ok)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_config *cfg = NULL;
	unsigned problems = 0;
	vigil_error r;

	r = vigil_config_load(path, &cfg, report_problem, &problems, errbuf);
	if (r != VIGIL_OK) {
		if (problems == 0)
			say(VIGIL_LOG_ERR, "%s", errbuf);
		else
			say(VIGIL_LOG_ERR, "%s: %u problem%s", path, problems, problems == 1 ? "" : "s");
		return NULL;
	}
	if (!quiet_ok)
		say(VIGIL_LOG_INFO, "%s: %zu clinicians, %zu sources", path, cfg->n_clinicians,
		    cfg->n_sources);
	return cfg;
}

static void
notify_status(vigil_watch *w, size_t sources)
{
	vigil_watch_stats st;
	char last[32] = "never";

	vigil_watch_get_stats(w, &st);
	if (st.last_poll_ms) {
		time_t t = (time_t)(st.last_poll_ms / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	sd_notifyf(0, "STATUS=%zu sources, %llu captures, %llu deletions seen, %llu edits seen, "
		   "%llu errors, %llu alerts sent, last poll %s", sources,
		   (unsigned long long)st.captures, (unsigned long long)st.observations,
		   (unsigned long long)st.edits, (unsigned long long)st.errors,
		   (unsigned long long)st.alerts_sent, last);
}

static void
harden_process(void)
{
	struct rlimit none = { 0, 0 };

	/* The signing key and tokens must never reach a core dump. */
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Blocks of 256 KB or more are mapped apart and unmapped when
	 * freed. Left to itself, glibc raises that threshold to the size
	 * of the largest block freed (the classifier's build tables, some
	 * 15 MB), and later big blocks come from the heap, where freed
	 * pages stay resident. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = VIGIL_DEFAULT_CONFIG;
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	bool check_only = false, once = false;
	struct sigaction sa;
	vigil_config *cfg;
	vigil_watch *w = NULL;
	uint64_t watchdog_usec = 0;
	int c, rc = 0;

	harden_process();
	journal = getenv("JOURNAL_STREAM") != NULL;
	while ((c = getopt_long(argc, argv, "c:dvnh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'd': break;
		case 'v': max_priority = VIGIL_LOG_DEBUG; break;
		case 'n': check_only = true; break;
		case 'o': once = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vigild %s\n", vigil_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	vigil_log_set_handler(log_line, NULL);
	vigil_log_set_priority(max_priority);
	if (vigil_init() != VIGIL_OK) {
		say(VIGIL_LOG_ERR, "Failed to initialise libsodium");
		return 1;
	}
	cfg = load_config(path, check_only);
	if (!cfg)
		return 1;
	if (check_only) {
		printf("%s: OK (%zu clinicians, %zu sources)\n", path, cfg->n_clinicians,
		       cfg->n_sources);
		vigil_config_free(cfg);
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;  /* no SA_RESTART: sleeps end at a signal */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (vigil_watch_new(cfg, &w, errbuf) != VIGIL_OK) {
		say(VIGIL_LOG_ERR, "%s", errbuf);
		vigil_config_free(cfg);
		return 1;
	}
	if (once) {
		vigil_error r = vigil_watch_once(w, NULL, 120, errbuf);
		vigil_watch_stats st;

		vigil_watch_get_stats(w, &st);
		say(VIGIL_LOG_NOTICE, "polled once: %llu captures, %llu duplicates skipped, "
		    "%llu deletions seen, %llu edits seen, %llu alerts sent, %llu errors",
		    (unsigned long long)st.captures, (unsigned long long)st.duplicates,
		    (unsigned long long)st.observations, (unsigned long long)st.edits,
		    (unsigned long long)st.alerts_sent,
		    (unsigned long long)st.errors);
		if (r != VIGIL_OK) {
			say(VIGIL_LOG_ERR, "%s", errbuf);
			rc = r == VIGIL_E_NET ? 3 : 1;
		}
		goto out;
	}
	sd_notify(0, "READY=1");
	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
		watchdog_usec = 0;
	notify_status(w, cfg->n_sources);
	say(VIGIL_LOG_NOTICE, "watching %zu sources for %zu clinicians", cfg->n_sources,
	    cfg->n_clinicians);
	while (!got_term) {
		/* Wake at least every second: signals, watchdog, status. */
		if (vigil_watch_step(w, 1000, errbuf) != VIGIL_OK) {
			say(VIGIL_LOG_ERR, "%s", errbuf);
			rc = 1;
			break;
		}
		if (got_term)
			vigil_watch_stop(w);
		if (got_hup) {
			vigil_config *next;

			got_hup = 0;
			sd_notify(0, "RELOADING=1");
			next = load_config(path, false);
			if (!next) {
				say(VIGIL_LOG_ERR, "Reload failed; keeping the running configuration");
			} else if (vigil_watch_reload(w, next, errbuf) != VIGIL_OK) {
				say(VIGIL_LOG_ERR, "Reload failed: %s; keeping the running configuration",
				    errbuf);
				vigil_config_free(next);
			} else {
				vigil_config_free(cfg);
				cfg = next;
			}
			sd_notify(0, "READY=1");
		}
		if (watchdog_usec)
			sd_notify(0, "WATCHDOG=1");
		notify_status(w, cfg->n_sources);
	}
	sd_notify(0, "STOPPING=1");
	say(VIGIL_LOG_NOTICE, "stopping");
out:
	vigil_watch_free(w);
	vigil_config_free(cfg);
	return rc;
}
