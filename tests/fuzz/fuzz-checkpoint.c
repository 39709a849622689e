/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-checkpoint.c - the signed-note parser and the canonical JSON check,
 * the two parsers a verifier runs on bytes it did not make. */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pub[32] = { 1 };
	struct checkpoint cp;
	json_t *v = NULL;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (note_parse(text, size, &cp, NULL) == VIGIL_OK)
		note_verify(text, &cp, pub);
	if (jcs_parse_canonical(text, size, &v, NULL) == VIGIL_OK) {
		struct entry_head h;

		entry_head_parse(v, &h, NULL);
		json_decref(v);
	}
	free(text);
	return 0;
}
