/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-normalize.c - libFuzzer target: any bytes through the normaliser
 * and the whole classifier (default rules). Checks the byte map: offsets
 * never go backwards or past the input, and the text is single-spaced;
 * the ASCII fast path's 16-byte letter runs agree with its byte loop;
 * where the general path folds the input to the same words, it places
 * the offsets alike.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vigil_classifier *c;
	static vigil_classification *res;
	struct norm n, b;

	if (size > 65536)
		return 0;
	if (!c && (vigil_classifier_new(NULL, &c, NULL) != VIGIL_OK ||
		   vigil_classification_new(&res) != VIGIL_OK))
		abort();
	norm_init(&n);
	if (norm_run(&n, (const char *)data, size, NULL) != VIGIL_OK)
		abort();
	if (n.len < 1 || n.text[0] != ' ' || n.text[n.len - 1] != ' ' ||
	    n.start[n.len] != size)
		abort();
	for (size_t i = 0; i < n.len; i++) {
		if (n.start[i] > size || (i > 0 && n.start[i] < n.start[i - 1]))
			abort();
		if (i > 0 && n.text[i] == ' ' && n.text[i - 1] == ' ')
			abort();
	}
	norm_init(&b);
	if (norm_run_bytes(&b, (const char *)data, size, NULL) != VIGIL_OK ||
	    b.len != n.len || memcmp(b.text, n.text, n.len) != 0 ||
	    memcmp(b.start, n.start, (n.len + 1) * sizeof(*n.start)) != 0 ||
	    b.ndigits != n.ndigits)
		abort();
	if (norm_run_general(&b, (const char *)data, size, NULL) != VIGIL_OK)
		abort();
	if (b.len == n.len && memcmp(b.text, n.text, n.len) == 0 &&
	    (memcmp(b.start, n.start, (n.len + 1) * sizeof(*n.start)) != 0 ||
	     b.ndigits != n.ndigits))
		abort();
	norm_free(&b);
	norm_free(&n);
	if (vigil_classify(c, (const char *)data, size, res, NULL) == VIGIL_OK)
		for (size_t i = 0; i < vigil_classification_matches(res); i++) {
			size_t s, e;

			vigil_classification_match(res, i, NULL, NULL, NULL, &s, &e);
			if (s > e || e > size)
				abort();
		}
	return 0;
}
