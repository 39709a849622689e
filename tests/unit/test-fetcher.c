/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-fetcher.c - the curl multi fetcher against the local platform
 * server: five sources fetched at once from one thread, the pace a rate
 * limit sets, one fetch per source at a time, existence checks, and the
 * blocking helpers' output parameters.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "vigil-private.h"

static pid_t server;
static char dir[] = "/tmp/vigil-fetcher-XXXXXX";
static char base[64], yt_base[96], tokens[5][128];
static const char *const platforms[5] = { "mastodon", "bluesky", "x", "reddit", "youtube" };

static void
start_server(const char *scenario)
{
	char script[1024], portfile[256], buf[16] = "";
	int port = 0;

	snprintf(script, sizeof(script), "%s/platform-server/server.py", VIGIL_TEST_DIR);
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	unlink(portfile);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execlp("python3", "python3", script, "--scenario", scenario, "--posts",
		       "60", "--port-file", portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && port == 0; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (fgets(buf, sizeof(buf), f))
				port = atoi(buf);
			fclose(f);
		}
		if (!port)
			usleep(50000);
	}
	ck_assert_int_gt(port, 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	snprintf(yt_base, sizeof(yt_base), "%s/youtube/v3", base);
}

static void
write_token(int i, const char *content)
{
	int fd;

	snprintf(tokens[i], sizeof(tokens[i]), "%s/%s.token", dir, platforms[i]);
	fd = open(tokens[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_token(0, "mastodon-token-SECRET-1\n");
	write_token(1, "app-pass-SECRET-4\n");
	write_token(2, "x-bearer-SECRET-2\n");
	write_token(3, "client_id=rid\nclient_secret=rsecret-SECRET-5\n"
		    "username=vigil_test\npassword=rpass-SECRET-6\n");
	write_token(4, "youtube-key-SECRET-3\n");
}

static void
teardown(void)
{
	char cmd[128];

	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
		server = 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/vigil-fetcher-XXXXXX");
}

static vigil_source *
source(int i)
{
	vigil_source_config cfg = {
		.platform = platforms[i], .base_url = i == 4 ? yt_base : base,
		.token_file = tokens[i], .auth_url = i == 3 ? base : NULL,
		.account = i == 1 ? "drsynthetic.test" : i == 2 ? "4242" : NULL,
		.channel = i == 4 ? "UCclinician" : NULL, .page_size = 100,
	};
	vigil_source *src = NULL;
	char err[VIGIL_ERRBUF_SIZE];

	ck_assert_msg(vigil_source_new(&cfg, &src, err) == VIGIL_OK, "%s", err);
	return src;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_concurrent)
{
	vigil_fetcher *f = NULL;
	vigil_source *src[5];
	char err[VIGIL_ERRBUF_SIZE];
	unsigned done = 0, seen = 0;
	double t0;

	/* Every listing takes a second: one thread, five at once. */
	start_server("slow");
	ck_assert_int_eq(vigil_fetcher_new(&f), VIGIL_OK);
	for (int i = 0; i < 5; i++) {
		src[i] = source(i);
		ck_assert_int_eq(vigil_fetcher_start(f, src[i], NULL, err), VIGIL_OK);
	}
	ck_assert_int_eq(vigil_fetcher_start(f, src[0], NULL, err), VIGIL_E_BUSY);
	t0 = now_s();
	while (done < 5) {
		vigil_fetch_result *res = NULL;

		ck_assert_int_eq(vigil_fetcher_poll(f, 5000, &res), VIGIL_OK);
		ck_assert_ptr_nonnull(res);
		ck_assert_msg(res->error == VIGIL_OK, "%s", res->message);
		/* Mastodon pages hold 40; the others all 60 (Bluesky's
		 * list has likes in it too). */
		ck_assert_uint_ge(res->page->n_posts, 40);
		for (int i = 0; i < 5; i++)
			if (res->source == src[i])
				seen |= 1u << i;
		vigil_fetch_result_free(res);
		done++;
	}
	ck_assert_uint_eq(seen, 31);
	ck_assert_msg(now_s() - t0 < 3.5, "took %.2f s: not concurrent", now_s() - t0);
	{
		vigil_fetch_result *res = (vigil_fetch_result *)0x1;

		ck_assert_int_eq(vigil_fetcher_poll(f, 10, &res), VIGIL_E_NOTFOUND);
	}
	vigil_fetcher_free(f);
	for (int i = 0; i < 5; i++)
		vigil_source_free(src[i]);
}
END_TEST

START_TEST(test_rate_limit_pace)
{
	vigil_source *src;
	vigil_page *page = (vigil_page *)0x1;
	int64_t retry_at = 0, now;
	char err[VIGIL_ERRBUF_SIZE];

	start_server("ratelimit");
	src = source(2);
	now = vigil_now_ms();
	ck_assert_int_eq(vigil_source_fetch(src, NULL, &page, &retry_at, err),
			 VIGIL_E_RATELIMIT);
	ck_assert_ptr_eq(page, (vigil_page *)0x1);
	ck_assert_int_gt(retry_at, now);
	ck_assert_int_le(retry_at, now + 3000);
	/* Asking again before then sends nothing and says when. */
	ck_assert_int_eq(vigil_source_fetch(src, NULL, &page, &retry_at, err),
			 VIGIL_E_RATELIMIT);
	ck_assert_ptr_nonnull(strstr(err, "no request before"));
	while (vigil_now_ms() < retry_at)
		usleep(50000);
	ck_assert_int_eq(vigil_source_fetch(src, NULL, &page, &retry_at, err), VIGIL_OK);
	ck_assert_uint_eq(page->n_posts, 60);
	vigil_page_free(page);
	vigil_source_free(src);
}
END_TEST

START_TEST(test_exists_multi)
{
	vigil_fetcher *f = NULL;
	vigil_source *src = NULL;
	vigil_page *page = NULL;
	vigil_fetch_result *res = NULL;
	char err[VIGIL_ERRBUF_SIZE];
	bool exists = true;

	start_server("normal");
	src = source(3);
	ck_assert_int_eq(vigil_source_fetch(src, NULL, &page, NULL, err), VIGIL_OK);
	ck_assert_int_eq(vigil_fetcher_new(&f), VIGIL_OK);
	ck_assert_int_eq(vigil_fetcher_start_exists(f, src, page->posts[0]->id, err),
			 VIGIL_OK);
	ck_assert_int_eq(vigil_fetcher_poll(f, 10000, &res), VIGIL_OK);
	ck_assert_ptr_nonnull(res);
	ck_assert_int_eq(res->error, VIGIL_OK);
	ck_assert(res->exists);
	/* The post as it reads now: parsed like the page's, the whole
	 * answer its payload. */
	ck_assert_ptr_nonnull(res->current);
	ck_assert_str_eq(res->current->id, page->posts[0]->id);
	ck_assert_str_eq(res->current->text, page->posts[0]->text);
	ck_assert_uint_gt(res->current->payload_len, page->posts[0]->payload_len);
	vigil_fetch_result_free(res);
	ck_assert_int_eq(vigil_source_exists(src, "t1_nonesuch", &exists, NULL, err), VIGIL_OK);
	ck_assert(!exists);
	vigil_fetcher_free(f);
	vigil_page_free(page);
	vigil_source_free(src);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fetcher");
	TCase *tc = tcase_create("fetcher");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_rate_limit_pace);
	tcase_add_test(tc, test_exists_multi);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
