/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classifier.h - the classifier object, shared by classifier.c (loading,
 * sleeping, thresholds, targets) and classify.c (judging a post).
 */
#ifndef VIGIL_CLASSIFIER_H
#define VIGIL_CLASSIFIER_H

#include "vigil-private.h"

/* A way of naming a clinician: " jane roe " as normalised. */
struct target {
	char *clinician;
	char *words;      /* with a space at each end */
	size_t len;
	uint32_t nwords;
};

/* A rules or model file as loaded, parsed again when the classifier
 * wakes: the compiled-in text, or the bytes read from disk (not read
 * again: what is parsed is what the engine's hash names). */
struct source {
	char *name;
	const char *data;
	size_t len;
	char *own;        /* data, when read from disk */
};

struct vigil_classifier {
	/* Asleep (ac NULL), rs and model are empty. */
	struct ruleset rs;
	struct automaton *ac;
	struct model *model;      /* NULL when the rules came without one */
	struct source *src;
	size_t nsrc, asrc;
	int threshold[CAT_N];
	char engine[128];
	struct target *targets;   /* sorted by clinician */
	size_t ntargets, atargets;
};

/* Hits for the clinician's names in the normalised text. */
vigil_error target_scan(const vigil_classifier *c, const char *clinician,
			const struct norm *n, struct hits *h);

#endif
