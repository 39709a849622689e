/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-page-reddit.c - libFuzzer entry point for the reddit page parser. */
#include "fuzz-page.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(&conn_reddit, false, data, size);
}
