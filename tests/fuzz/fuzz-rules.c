/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-rules.c - libFuzzer target: any bytes as a rules file. A file
 * either fails with a message or compiles into an automaton that can
 * classify a post; and a classifier made from it (through a file, as
 * vigilctl --rules does) scores posts short and long, where contexts
 * reach some of the evidence and not the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil-private.h"

/* Score posts with the rules in data[0..size), through the public API. */
static void
classify_with(const uint8_t *data, size_t size)
{
	static const char *const posts[] = {
		"killing it today. hunting season, I will k1ll you at the office 555-212-4433",
		"she said \"kill you\". the clinic. la la la la la la la la la la la la la la la"
		" la la la la la la la la la la la la la la la la la la la la la la la la la"
		" la la la la la la la la la la la la la la la la la la la la la la la la la"
		" la la la la la la la la la la la la la la la la la la la la la la la la la"
		" her cell 555-987-6543, send nudes, you f*ck, hunting, office 555-212-4433",
	};
	char path[] = "/tmp/fuzz-rules-XXXXXX", errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_classifier *c = NULL;
	vigil_classification *res = NULL;
	int fd = mkstemp(path);

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
	if (vigil_classifier_new(path, &c, errbuf) == VIGIL_OK &&
	    vigil_classification_new(&res) == VIGIL_OK)
		for (size_t i = 0; i < sizeof(posts) / sizeof(posts[0]); i++)
			if (vigil_classify(c, posts[i], strlen(posts[i]), res, errbuf) != VIGIL_OK)
				abort();
	vigil_classification_free(res);
	vigil_classifier_free(c);
	unlink(path);
}

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
		classify_with(data, size);
	}
	ruleset_free(&rs);
	return 0;
}
