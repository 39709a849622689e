/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch-store.c - storing fetched pages: classify each new post, append the
 * captures with their payloads, re-checks, alerts and the sources' cursors
 * in one transaction, for one page or for several that arrived together.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-int.h"
#include "watch-int.h"

/* The pages stored in one transaction: each page's captures, re-checks,
 * alerts and cursor go in together or not at all, and several pages that
 * arrived together share one commit (one fsync, one signed checkpoint). */
struct page_group {
	vigil_watch *w;
	struct wsource **src;
	const vigil_page **pages;
	size_t npages;
	const vigil_batch *batch;
	const vigil_post **added;     /* the captures, in batch order */
	const char **added_clin;
	uint32_t *added_hash;
	uint64_t *n;                  /* per page: how many of them */
	uint64_t total;
};

static uint32_t
post_hash(const vigil_post *p)
{
	return fnv1a(fnv1a(FNV_BASIS, p->id, strlen(p->id)), p->platform,
		     strlen(p->platform));
}

/* Inside the append's transaction. A clock entry may precede the
 * captures, so they are the last `total`. */
static vigil_error
group_state(void *ctx, uint64_t first, uint64_t size, char *errbuf)
{
	struct page_group *g = ctx;
	uint64_t base = size - g->total, k = 0;
	vigil_error r = VIGIL_OK;

	(void)first;
	for (size_t j = 0; r == VIGIL_OK && j < g->npages; j++)
		for (uint64_t i = 0; r == VIGIL_OK && i < g->n[j]; i++, k++)
			r = watch_add_recheck(g->w, base + k, g->src[j]->conf->name, g->added[k]->id,
					      errbuf);
	if (r == VIGIL_OK)
		r = alert_queue(g->w, g->batch, base, errbuf);
	for (size_t j = 0; r == VIGIL_OK && j < g->npages; j++)
		r = watch_save_source(g->w, g->src[j], g->pages[j]->cursor, true, NULL, g->n[j],
				      errbuf);
	return r;
}

/* Already captured for this clinician, in the ledger or earlier in the
 * group? */
static bool
group_has(const struct page_group *g, const vigil_post *p, const char *clin, uint32_t h)
{
	if (watch_already_captured(g->w, p, clin))
		return true;
	for (uint64_t k = 0; k < g->total; k++)
		if (g->added_hash[k] == h && strcmp(g->added[k]->id, p->id) == 0 &&
		    strcmp(g->added[k]->platform, p->platform) == 0 &&
		    strcmp(g->added_clin[k], clin) == 0)
			return true;
	return false;
}

static vigil_error
store_group(struct page_group *g, char *errbuf)
{
	vigil_watch *w = g->w;
	uint64_t first = 0, size = 0, posts = 0, k;
	vigil_batch *b = NULL;
	vigil_error r;

	for (size_t j = 0; j < g->npages; j++)
		posts += g->pages[j]->n_posts;
	g->added = calloc(posts + 1, sizeof(*g->added));
	g->added_clin = calloc(posts + 1, sizeof(*g->added_clin));
	g->added_hash = calloc(posts + 1, sizeof(*g->added_hash));
	g->n = calloc(g->npages, sizeof(*g->n));
	r = g->added && g->added_clin && g->added_hash && g->n ? VIGIL_OK : VIGIL_E_NOMEM;
	if (r == VIGIL_OK)
		r = classifier_wake(w->classifier, errbuf);
	if (r == VIGIL_OK)
		r = vigil_batch_new(&b);
	g->batch = b;
	for (size_t j = 0; r == VIGIL_OK && j < g->npages; j++) {
		struct wsource *s = g->src[j];
		const char *clin = s->conf->clinician;

		for (size_t i = 0; i < g->pages[j]->n_posts; i++) {
			const vigil_post *p = g->pages[j]->posts[i];
			char err[VIGIL_ERRBUF_SIZE] = "";
			uint32_t h = post_hash(p);

			if (group_has(g, p, clin, h)) {
				w->stats.duplicates++;
				continue;
			}
			if (ingest_post(b, w->classifier, p, s->conf->name, clin, err) != VIGIL_OK) {
				log_warn("[source %s] %s post %s: %s, ignoring", s->conf->name,
					 p->platform, p->id, err);
				continue;
			}
			g->added[g->total] = p;
			g->added_clin[g->total] = clin;
			g->added_hash[g->total++] = h;
			g->n[j]++;
		}
	}
	if (r == VIGIL_OK && g->total > 0)
		r = ledger_append_with(w->ledger, b, group_state, g, &first, &size, errbuf);
	for (size_t j = 0; r == VIGIL_OK && g->total == 0 && j < g->npages; j++)
		r = watch_save_source(w, g->src[j], g->pages[j]->cursor, true, NULL, 0, errbuf);
	vigil_batch_free(b);
	if (r != VIGIL_OK)
		goto out;  /* nothing stored; the cursors stay where they were */
	w->stats.last_poll_ms = vigil_now_ms();
	if (g->total > 0) {
		w->stats.captures += g->total;
		w->appended_unwitnessed += size - first;
	}
	k = size - g->total;
	for (size_t j = 0; r == VIGIL_OK && j < g->npages; j++) {
		if (g->pages[j]->cursor)
			r = watch_set_cursor(g->src[j], g->pages[j]->cursor);
		if (g->n[j] > 0)
			log_info("[source %s] stored %" PRIu64 " captures: seq %" PRIu64 "..%" PRIu64,
				 g->src[j]->conf->name, g->n[j], k, k + g->n[j] - 1);
		k += g->n[j];
	}
out:
	free(g->added);
	free(g->added_clin);
	free(g->added_hash);
	free(g->n);
	return r;
}

vigil_error
watch_store_pages(vigil_watch *w, struct wsource **src, const vigil_page **pages, size_t n,
		  char *errbuf)
{
	struct page_group g = { .w = w, .src = src, .pages = pages, .npages = n };

	return store_group(&g, errbuf);
}

vigil_error
watch_store_page(vigil_watch *w, struct wsource *s, const vigil_page *page, char *errbuf)
{
	return watch_store_pages(w, &s, &page, 1, errbuf);
}
