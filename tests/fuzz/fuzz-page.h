/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-page.h - one libFuzzer entry point per platform page parser: the
 * input is a response body; the parser must return an error or a page,
 * never crash, and every post's payload must lie inside the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_page(const struct connector *conn, bool search, const uint8_t *data,
	  size_t size)
{
	vigil_source src = { .conn = conn, .search = search };
	struct walk w = { .since = (char *)"since-mark 2025-11-20T12:00:00Z" };
	struct parsed_page pp = { 0 };
	struct http_response resp;

	http_response_init(&resp, 1 << 22);
	if (vbuf_add(&resp.body, data, size) != VIGIL_OK)
		goto out;
	vbuf_adds(&resp.headers, "Link: <http://h/x?max_id=1>; rel=\"next\"\r\n");
	resp.status = 200;
	if (conn->page_parse(&src, &w, &resp, &pp, NULL) == VIGIL_OK) {
		for (size_t i = 0; i < pp.n; i++) {
			const vigil_post *p = pp.posts[i];

			if (!p->payload || !p->id ||
			    !memmem(resp.body.data, resp.body.len, p->payload, p->payload_len))
				abort();
		}
	}
out:
	parsed_page_clear(&pp);
	http_response_clear(&resp);
	return 0;
}
