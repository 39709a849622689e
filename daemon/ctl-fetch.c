/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl-fetch.c - `vigilctl fetch`: run one platform connector by hand.
 *
 * Fetches every page back to the cursor and prints each post as one line
 * of `vigilctl ingest` input (spec section 4), so that
 *   vigilctl fetch ... | vigilctl ingest
 * keeps them. After each page the cursor is written to --cursor-file (if
 * given); when the walk ends the final cursor is printed on stderr as the
 * line "cursor: <cursor>". With --exists ID the posts are not fetched;
 * instead each ID is checked and printed as {"id":...,"exists":bool}, with
 * "text": the post as it reads now, where the platform says (for edits).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "vigilctl.h"

struct fetch_opts {
	vigil_source_config cfg;
	const char *cursor;
	const char *cursor_file;
	const char *source_name;
	const char *clinician;
	unsigned max_pages;
	unsigned retries;
	long max_wait_ms;
	char **exists;
	size_t n_exists;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until retry_at if it is within max_wait; false if it is not. */
static bool
wait_until(int64_t retry_at, long max_wait_ms)
{
	int64_t delay = retry_at - now_ms();
	struct timespec ts;

	if (delay <= 0)
		delay = 200;
	if (delay > max_wait_ms)
		return false;
	ts.tv_sec = delay / 1000;
	ts.tv_nsec = (delay % 1000) * 1000000;
	nanosleep(&ts, NULL);
	return true;
}

/* Worth another try: rate limits, network errors and 5xx, not a 4xx. */
static bool
retryable(vigil_error e, long status)
{
	return e == VIGIL_E_RATELIMIT || e == VIGIL_E_NET ||
		(e == VIGIL_E_HTTP && status >= 500);
}

/* A whole non-negative number, or false. */
static bool
parse_count(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static int
save_cursor(const char *path, const char *cursor)
{
	char *tmp = NULL;
	FILE *f;
	int rc = EXIT_RUNTIME;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return EXIT_RUNTIME;
	f = fopen(tmp, "we");
	if (!f) {
		ctl_error("Failed to open '%s': %m", tmp);
		goto out;
	}
	fprintf(f, "%s\n", cursor);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		ctl_error("Failed to write '%s': %m", tmp);
		fclose(f);
		goto out;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		ctl_error("Failed to rename '%s': %m", tmp);
		goto out;
	}
	rc = EXIT_OK;
out:
	free(tmp);
	return rc;
}

static int
print_page(const struct fetch_opts *o, const vigil_page *page)
{
	char errbuf[VIGIL_ERRBUF_SIZE];

	for (size_t i = 0; i < page->n_posts; i++) {
		char *line = NULL;
		vigil_error r = vigil_post_to_json(page->posts[i], o->source_name,
						   o->clinician, &line, errbuf);

		if (r != VIGIL_OK)
			return ctl_fail(r, errbuf, "fetch");
		puts(line);
		free(line);
	}
	if (fflush(stdout) != 0) {
		ctl_error("Failed to write posts: %m");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* One page through the fetcher, which keeps connections open between
 * pages. The result is the caller's to free. */
static vigil_error
fetch_page(vigil_fetcher *f, vigil_source *src, const char *cursor,
	   vigil_fetch_result **out, char *errbuf)
{
	vigil_error r = vigil_fetcher_start(f, src, cursor, errbuf);

	*out = NULL;
	while (r == VIGIL_OK && !*out)
		r = vigil_fetcher_poll(f, 1000, out);
	return r;
}

static int
run_walk(const struct fetch_opts *o, vigil_source *src)
{
	char errbuf[VIGIL_ERRBUF_SIZE];
	char *cursor = o->cursor ? strdup(o->cursor) : strdup("");
	unsigned pages = 0, tries = 0;
	vigil_fetcher *f = NULL;
	int rc = EXIT_OK;

	if (!cursor || vigil_fetcher_new(&f) != VIGIL_OK) {
		free(cursor);
		return EXIT_RUNTIME;
	}
	for (;;) {
		vigil_fetch_result *res = NULL;
		vigil_error r = fetch_page(f, src, cursor, &res, errbuf);
		int64_t retry_at = res ? res->retry_at_ms : 0;
		long status = res ? res->http_status : 0;
		bool more;

		if (r == VIGIL_OK && res->error != VIGIL_OK) {
			r = res->error;
			snprintf(errbuf, sizeof(errbuf), "%s", res->message);
		}
		if (r != VIGIL_OK) {
			vigil_fetch_result_free(res);
			if (retryable(r, status) && tries < o->retries &&
			    wait_until(retry_at, o->max_wait_ms)) {
				ctl_error("%s; retrying", errbuf);
				tries++;
				continue;
			}
			rc = ctl_fail(r, errbuf, "fetch");
			break;
		}
		tries = 0;
		rc = print_page(o, res->page);
		/* The cursor moves only once the page's posts are out. */
		if (rc == EXIT_OK) {
			free(cursor);
			cursor = strdup(res->page->cursor);
			if (!cursor)
				rc = EXIT_RUNTIME;
		}
		if (rc == EXIT_OK && o->cursor_file)
			rc = save_cursor(o->cursor_file, cursor);
		more = res->page->more;
		vigil_fetch_result_free(res);
		if (rc != EXIT_OK || !more)
			break;
		if (++pages >= o->max_pages) {
			ctl_error("stopped after %u pages; the cursor resumes the walk",
				  pages);
			break;
		}
		/* Respect the platform's pace between pages. */
		if (retry_at > now_ms() && !wait_until(retry_at, o->max_wait_ms)) {
			ctl_error("rate limited; the cursor resumes the walk");
			break;
		}
	}
	if (cursor)
		fprintf(stderr, "cursor: %s\n", cursor);
	free(cursor);
	vigil_fetcher_free(f);
	return rc;
}

static int
run_exists(const struct fetch_opts *o, vigil_source *src)
{
	char errbuf[VIGIL_ERRBUF_SIZE];

	for (size_t i = 0; i < o->n_exists; i++) {
		vigil_post *now = NULL;
		bool exists = false;
		vigil_error r = vigil_source_exists(src, o->exists[i], &exists, &now, errbuf);
		json_t *line;
		char *s;

		if (r != VIGIL_OK)
			return ctl_fail(r, errbuf, o->exists[i]);
		/* The text as it reads now, where the platform can say. */
		line = json_pack("{s:s, s:b}", "id", o->exists[i], "exists", exists);
		if (line && now && now->text)
			json_object_set_new(line, "text", json_string(now->text));
		vigil_post_free(now);
		s = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(line);
		if (!s)
			return ctl_fail(VIGIL_E_NOMEM, NULL, o->exists[i]);
		puts(s);
		free(s);
	}
	return EXIT_OK;
}

static const char *
opt_name(const struct option *opts, int val)
{
	for (; opts->name; opts++)
		if (opts->val == val)
			return opts->name;
	return "?";
}

int
cmd_fetch(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "auth-url", required_argument, NULL, 'A' },
		{ "token-file", required_argument, NULL, 't' },
		{ "session-file", required_argument, NULL, 'F' },
		{ "mode", required_argument, NULL, 'm' },
		{ "query", required_argument, NULL, 'q' },
		{ "account", required_argument, NULL, 'a' },
		{ "channel", required_argument, NULL, 'C' },
		{ "video", required_argument, NULL, 'V' },
		{ "since-cursor", required_argument, NULL, 's' },
		{ "cursor-file", required_argument, NULL, 'f' },
		{ "page-size", required_argument, NULL, 'n' },
		{ "max-pages", required_argument, NULL, 'P' },
		{ "retries", required_argument, NULL, 'r' },
		{ "max-wait", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-response", required_argument, NULL, 'M' },
		{ "ca-file", required_argument, NULL, 'K' },
		{ "exists", required_argument, NULL, 'e' },
		{ "source", required_argument, NULL, 'S' },
		{ "clinician", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct fetch_opts o = { .max_pages = 1000, .retries = 3, .max_wait_ms = 60000 };
	const struct ctl_command *self = ctl_find("fetch");
	char errbuf[VIGIL_ERRBUF_SIZE];
	vigil_source *src = NULL;
	unsigned long n;
	char **ex;
	vigil_error r;
	int c, rc;

	(void)ctl;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.cfg.platform = optarg; break;
		case 'b': o.cfg.base_url = optarg; break;
		case 'A': o.cfg.auth_url = optarg; break;
		case 't': o.cfg.token_file = optarg; break;
		case 'F': o.cfg.session_file = optarg; break;
		case 'K': o.cfg.ca_file = optarg; break;
		case 'm': o.cfg.mode = optarg; break;
		case 'q': o.cfg.query = optarg; break;
		case 'a': o.cfg.account = optarg; break;
		case 'C': o.cfg.channel = optarg; break;
		case 'V': o.cfg.video = optarg; break;
		case 's': o.cursor = optarg; break;
		case 'f': o.cursor_file = optarg; break;
		case 'n': case 'P': case 'r': case 'w': case 'T': case 'M':
			if (!parse_count(optarg, c == 'M' ? 1ul << 30 : 1000000, &n)) {
				ctl_error("--%s: '%s' is not a number in range",
					  opt_name(opts, c), optarg);
				free(o.exists);
				return EXIT_USAGE;
			}
			if (c == 'n')
				o.cfg.page_size = (unsigned)n;
			else if (c == 'P')
				o.max_pages = (unsigned)n;
			else if (c == 'r')
				o.retries = (unsigned)n;
			else if (c == 'w')
				o.max_wait_ms = (long)n * 1000;
			else if (c == 'T')
				o.cfg.timeout_ms = (long)n * 1000;
			else
				o.cfg.max_response = n;
			break;
		case 'S': o.source_name = optarg; break;
		case 'c': o.clinician = optarg; break;
		case 'e':
			ex = realloc(o.exists, (o.n_exists + 1) * sizeof(*ex));
			if (!ex) {
				free(o.exists);
				return EXIT_RUNTIME;
			}
			o.exists = ex;
			o.exists[o.n_exists++] = optarg;
			break;
		default:
			free(o.exists);
			return ctl_usage(self);
		}
	}
	if (optind != argc || !o.cfg.platform || o.max_pages == 0) {
		free(o.exists);
		return ctl_usage(self);
	}
	r = vigil_source_new(&o.cfg, &src, errbuf);
	if (r != VIGIL_OK) {
		free(o.exists);
		return ctl_fail(r, errbuf, "fetch");
	}
	rc = o.n_exists ? run_exists(&o, src) : run_walk(&o, src);
	vigil_source_free(src);
	free(o.exists);
	return rc;
}
