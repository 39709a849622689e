/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-ingest.c - one line of `vigilctl ingest` input, classified. */
#include <stdlib.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vigil_classifier *c;
	vigil_batch *b = NULL;

	if (!c && (vigil_init() != VIGIL_OK || vigil_classifier_new(NULL, &c, NULL) != VIGIL_OK))
		abort();
	if (vigil_batch_new(&b) != VIGIL_OK)
		abort();
	vigil_ingest_line(b, c, (const char *)data, size, NULL);
	vigil_batch_free(b);
	return 0;
}
