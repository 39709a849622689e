/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-bundle.c - the bundle verifier on an arbitrary .tar file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/vigil-fuzz-bundle-XXXXXX";
	vigil_bundle_result res;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size)
		vigil_bundle_verify(path, NULL, &res, NULL);
	close(fd);
	unlink(path);
	return 0;
}
