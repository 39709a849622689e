/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-parse.c - parse time per post for each platform on a 100-post page.
 *
 * Each page is built from the first item of the platform's fixture repeated
 * 100 times, then parsed whole (JSON, raw-byte spans, normalisation, HTML
 * to text) many times. Target: well under 20 us per post.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil-private.h"

#define POSTS 100
#define ROUNDS 200

static const struct {
	const char *platform, *fixture, *head, *tail;
	const struct connector *conn;
	const char *path[3];
} pages[] = {
	{ "mastodon", "mastodon-notifications.json", "[", "]", &conn_mastodon, { NULL } },
	{ "bluesky", "bluesky-notifications.json", "{\"notifications\":[",
	  "],\"cursor\":\"c\"}", &conn_bluesky, { "notifications", NULL } },
	{ "x", "x-mentions.json", "{\"data\":[", "],\"includes\":{\"users\":"
	  "[{\"id\":\"7002\",\"name\":\"Synthetic 7002\",\"username\":\"harasser_7002\"}],"
	  "\"media\":[{\"media_key\":\"3_8\",\"type\":\"photo\",\"url\":\"https://pbs."
	  "example/3_8.jpg\"}]},\"meta\":{\"result_count\":100,\"next_token\":\"t\"}}",
	  &conn_x, { "data", NULL } },
	{ "reddit", "reddit-mentions.json", "{\"kind\":\"Listing\",\"data\":{\"after\":"
	  "\"t1_x\",\"children\":[", "]}}", &conn_reddit, { "data", "children", NULL } },
	{ "youtube", "youtube-threads.json", "{\"items\":[", "],\"nextPageToken\":\"p\"}",
	  &conn_youtube, { "items", NULL } },
};

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
bench(size_t k)
{
	char path[1024], *data = NULL, err[VIGIL_ERRBUF_SIZE];
	struct jdoc *doc = NULL;
	jref items = 0, first;
	struct http_response resp;
	vigil_source src = { .conn = pages[k].conn };
	struct walk w = { 0 };
	size_t len;
	double t0, us;
	int rc = 1;

	snprintf(path, sizeof(path), "%s/fixtures/%s", VIGIL_TEST_DIR, pages[k].fixture);
	if (vigil_read_file(path, 1 << 20, &data, &len, err) == VIGIL_OK &&
	    jdoc_parse(data, len, &doc, err) == VIGIL_OK)
		for (size_t i = 0; pages[k].path[i]; i++)
			items = jd_get(doc, items, pages[k].path[i]);
	first = doc ? jd_index(doc, items, 0) : JNONE;
	if (first == JNONE) {
		fprintf(stderr, "bench-parse: cannot load %s\n", path);
		goto out;
	}
	http_response_init(&resp, 1 << 24);
	resp.status = 200;
	vbuf_adds(&resp.body, pages[k].head);
	for (int i = 0; i < POSTS; i++) {
		if (i)
			vbuf_addc(&resp.body, ',');
		vbuf_add(&resp.body, data + doc->tok[first].start, doc->tok[first].len);
	}
	vbuf_adds(&resp.body, pages[k].tail);
	t0 = now_us();
	for (int r = 0; r < ROUNDS; r++) {
		struct parsed_page pp = { 0 };

		if (pages[k].conn->page_parse(&src, &w, &resp, &pp, err) != VIGIL_OK ||
		    pp.n != POSTS) {
			fprintf(stderr, "bench-parse: %s: %s (%zu posts)\n",
				pages[k].platform, err, pp.n);
			parsed_page_clear(&pp);
			http_response_clear(&resp);
			goto out;
		}
		parsed_page_clear(&pp);
	}
	us = (now_us() - t0) / ROUNDS / POSTS;
	printf("%-9s %6.2f us/post  (%zu-byte page of %d posts)\n",
	       pages[k].platform, us, resp.body.len, POSTS);
	http_response_clear(&resp);
	rc = 0;
out:
	jdoc_free(doc);
	free(data);
	return rc;
}

int
main(void)
{
	int rc = 0;

	for (size_t k = 0; k < VIGIL_ARRAY_SIZE(pages); k++)
		rc |= bench(k);
	return rc;
}
