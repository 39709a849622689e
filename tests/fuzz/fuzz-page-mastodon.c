/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-page-mastodon.c - libFuzzer entry point for the mastodon page parser. */
#include "fuzz-page.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(&conn_mastodon, false, data, size);
}
