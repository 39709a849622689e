/* SPDX-License-Identifier: Apache-2.0 */
/* fixture.h - load tests/fixtures/<name> as an HTTP response; run a suite. */
#ifndef VIGIL_TEST_FIXTURE_H
#define VIGIL_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "vigil-private.h"

static inline void
fixture_response(const char *name, const char *headers,
		 struct http_response *resp)
{
	char path[1024], *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/fixtures/%s", VIGIL_TEST_DIR, name);
	ck_assert_int_eq(vigil_read_file(path, 1 << 20, &data, &len, NULL), VIGIL_OK);
	http_response_init(resp, 1 << 20);
	ck_assert_int_eq(vbuf_add(&resp->body, data, len), VIGIL_OK);
	if (headers)
		ck_assert_int_eq(vbuf_adds(&resp->headers, headers), VIGIL_OK);
	resp->status = 200;
	free(data);
}

/* Run a suite; the exit status for main(). */
static inline int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
