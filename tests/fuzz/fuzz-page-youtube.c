/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-page-youtube.c - libFuzzer entry point for the youtube page parser. */
#include "fuzz-page.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(&conn_youtube, false, data, size);
}
