/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify-json.c - a classification as the `classification` object of
 * the evidence format (spec section 2.1): integers only, no floats.
 */
#include <stdlib.h>

#include "vigil-private.h"

/* Members scores, labels, matches (and engine if asked) of result r. */
static json_t *
result_json(const vigil_classification *r, bool engine)
{
	json_t *o = json_object(), *scores = json_object(), *labels = json_array(),
	       *matches = json_array();
	bool ok = o && scores && labels && matches;

	if (ok && engine)
		ok = json_object_set_new(o, "engine",
					 json_string(classification_engine(r))) == 0;
	for (int i = 0; ok && i < VIGIL_CATEGORY_COUNT; i++) {
		ok = json_object_set_new(scores, vigil_category_name(i),
					 json_integer(vigil_classification_score(r, i))) == 0;
		if (ok && vigil_classification_label(r, i))
			ok = json_array_append_new(labels,
						   json_string(vigil_category_name(i))) == 0;
	}
	for (size_t i = 0; ok && i < vigil_classification_matches(r); i++) {
		vigil_category cat;
		const char *rule;
		size_t s, e;
		int w;

		vigil_classification_match(r, i, &cat, &rule, &w, &s, &e);
		if (w <= 0)
			continue;  /* context that lowered a score: --explain shows it */
		ok = json_array_append_new(matches, json_pack("{s:s, s:s, s:I, s:I}",
			"category", vigil_category_name(cat), "rule", rule,
			"start", (json_int_t)s, "end", (json_int_t)e)) == 0;
	}
	if (ok)
		ok = json_object_set(o, "scores", scores) == 0 &&
		     json_object_set(o, "labels", labels) == 0 &&
		     json_object_set(o, "matches", matches) == 0;
	json_decref(scores);
	json_decref(labels);
	json_decref(matches);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
classifier_json(const vigil_classifier *c, const char *clinician,
		const char *text, size_t len)
{
	vigil_classification *r = NULL;
	json_t *o = NULL;

	if (vigil_classification_new(&r) != VIGIL_OK)
		return NULL;
	if (classify_run(c, clinician, text, len, r, false, NULL) == VIGIL_OK)
		o = result_json(r, true);
	vigil_classification_free(r);
	return o;
}

char *
vigil_classification_json(const vigil_classification *r, bool engine)
{
	json_t *o = result_json(r, engine);
	char *s;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
