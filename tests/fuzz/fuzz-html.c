/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-html.c - libFuzzer entry point for the HTML to text converter. */
#include <stdint.h>
#include <stdlib.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vbuf b;

	vbuf_init(&b, HTML_TEXT_MAX(size));
	/* The output bound vigil_html_to_text() uses always suffices. */
	if (html_to_text((const char *)data, size, &b) != VIGIL_OK)
		abort();
	vbuf_free(&b);
	return 0;
}
