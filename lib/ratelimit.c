/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ratelimit.c - each platform's rate-limit headers, Retry-After, backoff.
 *
 * Headers read (names are case-insensitive):
 * - Mastodon: X-RateLimit-Limit, -Remaining, -Reset (an ISO 8601 time).
 * - Bluesky:  RateLimit-Limit, -Remaining, -Reset (epoch seconds); its 429
 *             carries no Retry-After, so the reset time is what counts.
 * - X:        x-rate-limit-limit, -remaining, -reset (epoch seconds).
 * - Reddit:   X-Ratelimit-Used, -Remaining (decimal, e.g. "598.0"),
 *             -Reset (seconds until the window ends).
 * - YouTube:  no headers; a 403 whose error reason is quotaExceeded (or
 *             rateLimitExceeded) means the daily quota is spent until
 *             midnight Pacific time.
 * Retry-After (seconds or an HTTP date) wins wherever a server sends it.
 * After a 429, 5xx or network error with no hint, the delay is
 * exponential (2 s doubling to 15 min) with full jitter in its upper half.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "vigil-private.h"

#define BACKOFF_BASE_MS 2000
#define BACKOFF_MAX_MS (15 * 60 * 1000)

static bool
parse_number(const char *s, double *out)
{
	char *end;
	double d;

	if (!s || !*s)
		return false;
	d = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (*end != '\0' || d != d || d < 0 || d > 1e15)
		return false;
	*out = d;
	return true;
}

int64_t
rl_retry_after(const char *value, int64_t now_ms)
{
	double secs;
	time_t t;

	if (!value || !*value)
		return 0;
	if (parse_number(value, &secs))
		return now_ms + (int64_t)(secs * 1000.0);
	t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return 0;
	return (int64_t)t * 1000;
}

void
rl_parse(enum rl_style style, const struct http_response *resp,
	 int64_t now_ms, struct rl_info *info)
{
	static const char *const prefix[] = {
		[RL_MASTODON] = "X-RateLimit-", [RL_BLUESKY] = "RateLimit-",
		[RL_X] = "x-rate-limit-", [RL_REDDIT] = "X-Ratelimit-",
		[RL_YOUTUBE] = NULL,
	};
	char name[64], buf[128];
	const char *v;
	double d;
	int64_t ms;

	memset(info, 0, sizeof(*info));
	info->retry_after_ms = rl_retry_after(http_header(resp, "Retry-After",
						buf, sizeof(buf)), now_ms);
	if (!prefix[style])
		return;
	snprintf(name, sizeof(name), "%sRemaining", prefix[style]);
	if (parse_number(http_header(resp, name, buf, sizeof(buf)), &d)) {
		info->has_remaining = true;
		info->remaining = d;
	}
	snprintf(name, sizeof(name), "%sLimit", prefix[style]);
	if (parse_number(http_header(resp, name, buf, sizeof(buf)), &d))
		info->limit = d;
	snprintf(name, sizeof(name), "%sReset", prefix[style]);
	v = http_header(resp, name, buf, sizeof(buf));
	if (!v)
		return;
	switch (style) {
	case RL_MASTODON:
		if (vigil_parse_time(v, &ms))
			info->reset_ms = ms;
		break;
	case RL_BLUESKY:
	case RL_X:
		if (parse_number(v, &d))
			info->reset_ms = (int64_t)d * 1000;
		break;
	case RL_REDDIT:
		if (parse_number(v, &d))
			info->reset_ms = now_ms + (int64_t)(d * 1000.0);
		break;
	case RL_YOUTUBE:
		break;
	}
}

int64_t
rl_backoff_ms(unsigned failures, uint32_t random)
{
	int64_t d = BACKOFF_BASE_MS;

	for (unsigned i = 1; i < failures && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	/* Somewhere in [d/2, d]: spreads retries of many sources apart. */
	return d / 2 + (int64_t)(random % (uint32_t)(d / 2 + 1));
}

/* Next midnight in California (quota day), taken as 08:00 UTC. */
static int64_t
youtube_quota_reset(int64_t now_ms)
{
	const int64_t day = 86400000, off = 8 * 3600000;
	int64_t next = (now_ms - off) / day * day + day + off;

	return next;
}

static bool
youtube_quota(const struct http_response *resp)
{
	json_t *root;
	bool hit = false;
	size_t i;
	json_t *e;

	if (resp->status != 403 || !resp->body.data)
		return false;
	root = json_loadb(resp->body.data, resp->body.len, 0, NULL);
	json_array_foreach(json_object_get(json_object_get(root, "error"), "errors"), i, e) {
		const char *reason = jstr(e, "reason");

		if (reason && (strcmp(reason, "quotaExceeded") == 0 ||
			       strcmp(reason, "rateLimitExceeded") == 0 ||
			       strcmp(reason, "userRateLimitExceeded") == 0))
			hit = true;
	}
	json_decref(root);
	return hit;
}

static int64_t
later(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

vigil_error
rl_account(enum rl_style style, struct rl_state *st,
	   const struct http_response *resp, int64_t now_ms,
	   const char *what, char *errbuf)
{
	struct rl_info info;
	char where[160];
	vigil_error r;
	bool backoff = false;

	rl_parse(style, resp, now_ms, &info);
	if (resp->error != VIGIL_OK) {
		r = vigil_fail(errbuf, resp->error, "%s", resp->message);
		backoff = resp->error == VIGIL_E_NET;
	} else if (resp->status >= 200 && resp->status < 300) {
		r = VIGIL_OK;
	} else if (resp->status == 429 ||
		   (style == RL_YOUTUBE && youtube_quota(resp))) {
		r = vigil_fail(errbuf, VIGIL_E_RATELIMIT, "%s: rate limited (HTTP %ld)",
			       what, resp->status);
		backoff = true;
		if (style == RL_YOUTUBE && resp->status == 403)
			info.reset_ms = youtube_quota_reset(now_ms);
	} else if (resp->status >= 500) {
		r = vigil_fail(errbuf, VIGIL_E_HTTP, "%s: server error (HTTP %ld)",
			       what, resp->status);
		backoff = true;
	} else if (resp->status == 401 || resp->status == 403) {
		r = vigil_fail(errbuf, VIGIL_E_AUTH, "%s: token rejected (HTTP %ld)",
			       what, resp->status);
	} else if (resp->status >= 300 && resp->status < 400 &&
		   http_redirect_target(resp, where, sizeof(where))) {
		/* Never followed: a platform API does not move, and a redirect
		 * could send the token elsewhere. */
		r = vigil_fail(errbuf, VIGIL_E_HTTP, "%s: redirected (HTTP %ld) to '%s'; "
			       "redirects are not followed", what, resp->status, where);
	} else {
		r = vigil_fail(errbuf, VIGIL_E_HTTP, "%s: HTTP %ld", what,
			       resp->status);
	}
	if (backoff) {
		st->failures++;
		st->next_ms = now_ms + rl_backoff_ms(st->failures, randombytes_random());
		/* A server's own word beats our guess. */
		if (info.retry_after_ms > 0)
			st->next_ms = info.retry_after_ms;
		else if (resp->status == 429 || resp->status == 403)
			if (info.reset_ms > now_ms)
				st->next_ms = info.reset_ms;
	} else {
		if (r == VIGIL_OK)
			st->failures = 0;
		st->next_ms = 0;
		if (info.has_remaining && info.remaining < 1.0 && info.reset_ms > now_ms)
			st->next_ms = info.reset_ms;
		if (info.retry_after_ms > now_ms)
			st->next_ms = later(st->next_ms, info.retry_after_ms);
	}
	return r;
}
