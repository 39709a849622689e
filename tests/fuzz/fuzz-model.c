/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-model.c - libFuzzer target: any bytes as a model file. A file
 * either fails with a message or loads into a model that can score a
 * post, with probabilities in [0, 1] and weights in 0..1000.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char post[] = "I will k1ll you kill you tonight, dr ames";
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	struct model *m = NULL;
	struct model_scratch sc = { 0 };
	struct model_out out[CAT_N];
	struct norm n;
	vigil_error r;

	if (size > 65536)
		return 0;
	r = model_parse(&m, "fuzz.model", (const char *)data, size, errbuf);
	if (r != VIGIL_OK && (r != VIGIL_E_PARSE || !errbuf[0]))
		abort();  /* a rejected file always says why */
	if (r == VIGIL_OK) {
		norm_init(&n);
		if (norm_run(&n, post, strlen(post), NULL) != VIGIL_OK ||
		    model_score(m, &n, &sc, out) != VIGIL_OK)
			abort();
		for (int c = 0; c < CAT_N; c++)
			if (!(out[c].p >= 0 && out[c].p <= 1) || out[c].weight < 0 ||
			    out[c].weight > 1000 || out[c].e > n.len || out[c].s > out[c].e)
				abort();
		norm_free(&n);
		model_scratch_free(&sc);
		model_free(m);
	}
	return 0;
}
