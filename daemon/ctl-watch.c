/* SPDX-License-Identifier: Apache-2.0 */
/* ctl-watch.c - vigilctl status and poll: the daemon's sources by hand. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigilctl.h"

static void
fmt_time(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(out, size, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	vigil_source_status *st = NULL;
	vigil_ledger *l = NULL;
	uint64_t size = 0;
	char id[65] = "";
	size_t n = 0;
	vigil_error r;

	(void)argv;
	if (argc != 1)
		return ctl_usage(ctl_find("status"));
	if (ctl_open(ctl, VIGIL_OPEN_READONLY, &l) != VIGIL_OK)
		return EXIT_RUNTIME;
	vigil_ledger_size(l, &size);
	vigil_ledger_key_id(l, id);
	r = vigil_source_statuses(l, &st, &n);
	vigil_ledger_close(l);
	if (r != VIGIL_OK)
		return ctl_fail(r, NULL, ctl->db);
	printf("ledger %s: %" PRIu64 " entries, key %.16s\n", ctl->db, size, id);
	if (n == 0)
		printf("no source has been polled yet (run vigild or vigilctl poll)\n");
	for (size_t i = 0; i < n; i++) {
		char last[32], ok[32], next[32];

		fmt_time(st[i].last_poll_ms, last, sizeof(last));
		fmt_time(st[i].last_ok_ms, ok, sizeof(ok));
		fmt_time(st[i].next_poll_ms, next, sizeof(next));
		printf("\n[source %s] %s for %s\n"
		       "  last poll   %s (last success %s)\n"
		       "  next poll   %s\n"
		       "  captures    %" PRIu64 "\n"
		       "  errors      %" PRIu64 "%s%s\n"
		       "  cursor      %.60s%s\n",
		       st[i].name, st[i].platform, st[i].clinician, last, ok, next, st[i].captures,
		       st[i].errors, st[i].last_error[0] ? "; last: " : "", st[i].last_error,
		       st[i].cursor[0] ? st[i].cursor : "(never polled)",
		       strlen(st[i].cursor) > 60 ? "..." : "");
	}
	free(st);
	return EXIT_OK;
}

static void
print_problem(const char *message, void *userdata)
{
	(void)userdata;
	fprintf(stderr, "%s\n", message);
}

int
cmd_poll(struct ctl *ctl, int argc, char **argv)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_config *cfg = NULL;
	vigil_watch *w = NULL;
	vigil_watch_stats st;
	vigil_error r;
	int rc = EXIT_OK;

	if (argc > 2)
		return ctl_usage(ctl_find("poll"));
	if (!ctl->config) {
		ctl_error("poll needs the daemon's configuration: vigilctl -c FILE poll [SOURCE]");
		return EXIT_USAGE;
	}
	r = vigil_config_load(ctl->config, &cfg, print_problem, NULL, errbuf);
	if (r != VIGIL_OK)
		return ctl_fail(r, errbuf, ctl->config);
	r = vigil_watch_new(cfg, &w, errbuf);
	if (r != VIGIL_OK) {
		vigil_config_free(cfg);
		return ctl_fail(r, errbuf, ctl->config);
	}
	r = vigil_watch_once(w, argc == 2 ? argv[1] : NULL, 120, errbuf);
	vigil_watch_get_stats(w, &st);
	printf("%" PRIu64 " captures, %" PRIu64 " already held, %" PRIu64 " deletions seen, %"
	       PRIu64 " alerts sent, %" PRIu64 " errors\n", st.captures, st.duplicates,
	       st.observations, st.alerts_sent, st.errors);
	if (r == VIGIL_E_NOTFOUND) {
		ctl_error("%s", errbuf);
		rc = EXIT_USAGE;
	} else if (r != VIGIL_OK) {
		rc = ctl_fail(r, errbuf, "poll");
	}
	vigil_watch_free(w);
	vigil_config_free(cfg);
	return rc;
}
