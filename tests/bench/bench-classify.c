/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-classify.c - how fast the classifier is on real posts.
 *
 *   bench-classify [--rules PATH] [--seconds N] FILE...
 *
 * Each FILE is JSONL with a "text" member (the ../shared/data format) or,
 * if a line is not JSON, plain text, one post per line. Prints the time to
 * compile the rules, MB/s and posts/s over all posts (best of several
 * passes, after one warm-up pass; CPU time of one thread), and the peak
 * resident set size.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "vigil.h"

struct post {
	char *text;
	size_t len;
};

/* CPU time of this thread: the figures are per core, and stay honest on
 * a machine shared with other work. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
load(const char *path, struct post **posts, size_t *n, size_t *alloc,
     size_t *bytes)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f) {
		perror(path);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		json_t *o = json_loadb(line, (size_t)len, 0, NULL);
		json_t *t = json_object_get(o, "text");
		struct post *p;

		if (*n == *alloc) {
			*alloc = *alloc ? *alloc * 2 : 4096;
			*posts = realloc(*posts, *alloc * sizeof(**posts));
			if (!*posts)
				abort();
		}
		p = &(*posts)[(*n)++];
		if (json_is_string(t)) {
			p->len = json_string_length(t);
			p->text = malloc(p->len + 1);
			if (!p->text)
				abort();
			memcpy(p->text, json_string_value(t), p->len + 1);
		} else {
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				len--;
			p->len = (size_t)len;
			p->text = strndup(line, (size_t)len);
		}
		*bytes += p->len;
		json_decref(o);
	}
	free(line);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *rules = NULL;
	double seconds = 3, best = 1e9, t0, compile = 1e9;
	struct post *posts = NULL;
	size_t n = 0, alloc = 0, bytes = 0, labelled = 0;
	char errbuf[VIGIL_ERRBUF_SIZE];
	vigil_classification *res = NULL;
	vigil_classifier *c = NULL;
	struct rusage ru;
	int i = 1, passes = 0;

	/* Configured as vigilctl and vigild are (glibc's mmap threshold
	 * fixed, not raised by the build's freed tables): without it the
	 * peak RSS below reads 58 or 67 MB from one run to the next. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			rules = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: bench-classify [--rules PATH] [--seconds N] FILE...\n");
		return 2;
	}
	for (; i < argc; i++)
		if (load(argv[i], &posts, &n, &alloc, &bytes) < 0)
			return 1;
	/* Compile: best of five. */
	for (int k = 0; k < 5; k++) {
		vigil_classifier *tmp = NULL;

		t0 = now();
		if (vigil_classifier_new(rules, &tmp, errbuf) != VIGIL_OK) {
			fprintf(stderr, "rules: %s\n", errbuf);
			return 1;
		}
		if (now() - t0 < compile)
			compile = now() - t0;
		if (c)
			vigil_classifier_free(c);
		c = tmp;
	}
	if (vigil_classification_new(&res) != VIGIL_OK)
		return 1;
	t0 = now();
	for (int warm = 1; warm || now() - t0 < seconds; warm = 0) {
		double t = now();

		labelled = 0;
		for (size_t k = 0; k < n; k++) {
			if (vigil_classify(c, posts[k].text, posts[k].len, res, NULL) != VIGIL_OK)
				continue;
			for (int cat = 0; cat < VIGIL_CATEGORY_COUNT; cat++)
				if (vigil_classification_label(res, cat)) {
					labelled++;
					break;
				}
		}
		t = now() - t;
		if (t < best)
			best = t;
		passes++;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("posts %zu, bytes %zu, labelled %zu\n", n, bytes, labelled);
	printf("compile_ms %.1f\n", compile * 1e3);
	printf("mb_per_s %.1f\n", (double)bytes / best / 1e6);
	printf("posts_per_s %.0f\n", (double)n / best);
	printf("passes %d, best pass %.1f ms\n", passes, best * 1e3);
	printf("peak_rss_mb %.1f\n", (double)ru.ru_maxrss / 1024.0);
	vigil_classification_free(res);
	vigil_classifier_free(c);
	for (size_t k = 0; k < n; k++)
		free(posts[k].text);
	free(posts);
	return 0;
}
