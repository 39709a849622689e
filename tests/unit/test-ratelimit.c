/* SPDX-License-Identifier: Apache-2.0 */
/* test-ratelimit.c - rate-limit headers, Retry-After and backoff. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "vigil-private.h"

#define NOW 1763640000000LL   /* 2025-11-20T12:00:00Z */

static void
response(struct http_response *r, long status, const char *headers,
	 const char *body)
{
	http_response_init(r, 1 << 16);
	r->status = status;
	vbuf_adds(&r->headers, headers);
	if (body)
		vbuf_adds(&r->body, body);
}

START_TEST(test_mastodon)
{
	struct http_response r;
	struct rl_info i;

	response(&r, 200, "HTTP/1.1 200 OK\r\nX-RateLimit-Limit: 300\r\n"
		 "X-RateLimit-Remaining: 0\r\n"
		 "X-RateLimit-Reset: 2025-11-20T12:05:00.000Z\r\n\r\n", NULL);
	rl_parse(RL_MASTODON, &r, NOW, &i);
	ck_assert(i.has_remaining);
	ck_assert(i.remaining == 0.0);
	ck_assert(i.limit == 300.0);
	ck_assert_int_eq(i.reset_ms, NOW + 300000);
	http_response_clear(&r);
}
END_TEST

START_TEST(test_bluesky_x)
{
	struct http_response r;
	struct rl_info i;

	response(&r, 429, "ratelimit-limit: 3000\r\nratelimit-remaining: 0\r\n"
		 "ratelimit-reset: 1763640060\r\nratelimit-policy: 3000;w=300\r\n", NULL);
	rl_parse(RL_BLUESKY, &r, NOW, &i);
	ck_assert(i.has_remaining && i.remaining == 0.0);
	ck_assert_int_eq(i.reset_ms, NOW + 60000);
	ck_assert_int_eq(i.retry_after_ms, 0);
	http_response_clear(&r);
	response(&r, 200, "x-rate-limit-limit: 450\r\nx-rate-limit-remaining: 12\r\n"
		 "x-rate-limit-reset: 1763640900\r\n", NULL);
	rl_parse(RL_X, &r, NOW, &i);
	ck_assert(i.remaining == 12.0);
	ck_assert_int_eq(i.reset_ms, NOW + 900000);
	http_response_clear(&r);
}
END_TEST

START_TEST(test_reddit_decimal)
{
	struct http_response r;
	struct rl_info i;

	response(&r, 200, "X-Ratelimit-Used: 12\r\nX-Ratelimit-Remaining: 588.0\r\n"
		 "X-Ratelimit-Reset: 299\r\n", NULL);
	rl_parse(RL_REDDIT, &r, NOW, &i);
	ck_assert(i.remaining == 588.0);
	ck_assert_int_eq(i.reset_ms, NOW + 299000);
	http_response_clear(&r);
	response(&r, 200, "X-Ratelimit-Remaining: 0.4\r\nX-Ratelimit-Reset: 7\r\n", NULL);
	rl_parse(RL_REDDIT, &r, NOW, &i);
	ck_assert(i.remaining < 1.0);
	http_response_clear(&r);
}
END_TEST

START_TEST(test_malformed_headers)
{
	struct http_response r;
	struct rl_info i;

	response(&r, 200, "X-RateLimit-Remaining: lots\r\nX-RateLimit-Reset: soon\r\n"
		 "Retry-After: whenever\r\n", NULL);
	rl_parse(RL_MASTODON, &r, NOW, &i);
	ck_assert(!i.has_remaining);
	ck_assert_int_eq(i.reset_ms, 0);
	ck_assert_int_eq(i.retry_after_ms, 0);
	http_response_clear(&r);
}
END_TEST

START_TEST(test_retry_after)
{
	ck_assert_int_eq(rl_retry_after("120", NOW), NOW + 120000);
	ck_assert_int_eq(rl_retry_after("Thu, 20 Nov 2025 12:01:00 GMT", NOW),
			 NOW + 60000);
	ck_assert_int_eq(rl_retry_after(NULL, NOW), 0);
	ck_assert_int_eq(rl_retry_after("-5", NOW), 0);
}
END_TEST

START_TEST(test_backoff)
{
	int64_t prev_max = 0;

	for (unsigned f = 1; f <= 20; f++) {
		int64_t lo = rl_backoff_ms(f, 0), hi = rl_backoff_ms(f, UINT32_MAX);

		ck_assert_int_ge(lo, 1000);
		ck_assert_int_le(hi, 15 * 60 * 1000);
		ck_assert_int_le(lo, hi);
		ck_assert_int_ge(hi, prev_max);
		prev_max = hi;
	}
	ck_assert_int_eq(rl_backoff_ms(1, 0), 1000);
	ck_assert_int_eq(rl_backoff_ms(3, 0), 4000);
	ck_assert_int_eq(rl_backoff_ms(30, 0), 450000);
}
END_TEST

START_TEST(test_account)
{
	struct rl_state st = { 0 };
	struct http_response r;
	char err[VIGIL_ERRBUF_SIZE];

	/* 429 from Bluesky: no Retry-After, the reset time counts. */
	response(&r, 429, "RateLimit-Remaining: 0\r\nRateLimit-Reset: 1763640030\r\n", NULL);
	ck_assert_int_eq(rl_account(RL_BLUESKY, &st, &r, NOW, "t", err), VIGIL_E_RATELIMIT);
	ck_assert_int_eq(st.next_ms, NOW + 30000);
	ck_assert_uint_eq(st.failures, 1);
	http_response_clear(&r);
	/* 503 twice: backoff grows. */
	response(&r, 503, "", NULL);
	ck_assert_int_eq(rl_account(RL_X, &st, &r, NOW, "t", err), VIGIL_E_HTTP);
	ck_assert_uint_eq(st.failures, 2);
	ck_assert_int_ge(st.next_ms, NOW + 2000);
	ck_assert_ptr_nonnull(strstr(err, "HTTP 503"));
	http_response_clear(&r);
	/* Success with nothing left: wait for the reset. */
	response(&r, 200, "x-rate-limit-remaining: 0\r\nx-rate-limit-reset: 1763640100\r\n", NULL);
	ck_assert_int_eq(rl_account(RL_X, &st, &r, NOW, "t", err), VIGIL_OK);
	ck_assert_uint_eq(st.failures, 0);
	ck_assert_int_eq(st.next_ms, NOW + 100000);
	http_response_clear(&r);
	/* Success with room: at once. */
	response(&r, 200, "x-rate-limit-remaining: 10\r\n", NULL);
	ck_assert_int_eq(rl_account(RL_X, &st, &r, NOW, "t", err), VIGIL_OK);
	ck_assert_int_eq(st.next_ms, 0);
	http_response_clear(&r);
	/* 401: an authentication error, no backoff. */
	response(&r, 401, "", NULL);
	ck_assert_int_eq(rl_account(RL_MASTODON, &st, &r, NOW, "t", err), VIGIL_E_AUTH);
	ck_assert_int_eq(st.next_ms, 0);
	http_response_clear(&r);
	/* Network error: backoff. */
	response(&r, 0, "", NULL);
	r.error = VIGIL_E_NET;
	strcpy(r.message, "timed out");
	ck_assert_int_eq(rl_account(RL_REDDIT, &st, &r, NOW, "t", err), VIGIL_E_NET);
	ck_assert_int_gt(st.next_ms, NOW);
	ck_assert_str_eq(err, "timed out");
	http_response_clear(&r);
}
END_TEST

START_TEST(test_youtube_quota)
{
	struct rl_state st = { 0 };
	struct http_response r;

	response(&r, 403, "", "{\"error\":{\"code\":403,\"errors\":[{\"domain\":"
		 "\"youtube.quota\",\"reason\":\"quotaExceeded\"}]}}");
	ck_assert_int_eq(rl_account(RL_YOUTUBE, &st, &r, NOW, "t", NULL), VIGIL_E_RATELIMIT);
	/* Next 08:00 UTC after 12:00 UTC: tomorrow. */
	ck_assert_int_eq(st.next_ms, NOW + 20 * 3600000LL);
	http_response_clear(&r);
	st.next_ms = 0;
	response(&r, 403, "", "{\"error\":{\"code\":403,\"errors\":[{\"reason\":\"forbidden\"}]}}");
	ck_assert_int_eq(rl_account(RL_YOUTUBE, &st, &r, NOW, "t", NULL), VIGIL_E_AUTH);
	ck_assert_int_eq(st.next_ms, 0);
	http_response_clear(&r);
}
END_TEST

START_TEST(test_header_lookup)
{
	struct http_response r;
	char buf[8];

	response(&r, 200, "Link: <a>; rel=\"next\"\r\nlink: second\r\nX-Long: 0123456789\r\n", NULL);
	ck_assert_str_eq(http_header(&r, "LINK", buf, sizeof(buf)), "second");
	ck_assert_str_eq(http_header(&r, "x-long", buf, sizeof(buf)), "0123456");
	ck_assert_ptr_null(http_header(&r, "Lin", buf, sizeof(buf)));
	http_response_clear(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_test(tc, test_mastodon);
	tcase_add_test(tc, test_bluesky_x);
	tcase_add_test(tc, test_reddit_decimal);
	tcase_add_test(tc, test_malformed_headers);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_account);
	tcase_add_test(tc, test_youtube_quota);
	tcase_add_test(tc, test_header_lookup);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
