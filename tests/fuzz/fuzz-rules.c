/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-rules.c - libFuzzer target: any bytes as a rules file. A file
 * either fails with a message or compiles into an automaton that can
 * classify a post.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char post[] = "I will k1ll you, call 555-212-4433 f*ck";
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	struct automaton *ac = NULL;
	struct ruleset rs;
	struct norm n;
	struct hits h = { 0 };
	vigil_error r;

	if (size > 65536)
		return 0;
	ruleset_init(&rs);
	r = ruleset_parse(&rs, "fuzz.rules", (const char *)data, size, errbuf);
	if (r == VIGIL_OK)
		r = ruleset_finish(&rs, errbuf);
	if (r != VIGIL_OK && (r != VIGIL_E_PARSE || !errbuf[0]))
		abort();  /* a rejected file always says why */
	if (r == VIGIL_OK) {
		if (automaton_build(rs.pats, rs.npats, &ac) != VIGIL_OK)
			abort();
		norm_init(&n);
		if (norm_run(&n, post, strlen(post), rs.vocab) != VIGIL_OK ||
		    automaton_scan(ac, &n, &h) != VIGIL_OK ||
		    doxx_scan(&rs, post, strlen(post), &n, &h) != VIGIL_OK ||
		    ruleset_gapped(&rs, &h) != VIGIL_OK)
			abort();
		norm_free(&n);
		free(h.v);
		automaton_free(ac);
	}
	ruleset_free(&rs);
	return 0;
}
