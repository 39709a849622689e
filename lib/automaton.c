/* SPDX-License-Identifier: Apache-2.0 */
/*
 * automaton.c - every rule literal in one Aho-Corasick automaton over a
 * 32-symbol alphabet (space, letters, digits, '@', '*', the rest), scanned
 * once per post.
 *
 * States up to DENSE_DEPTH bytes deep have a full row of transitions (one
 * 64-byte cache line of 16-bit entries), so a byte there costs one table
 * look-up. Deeper states keep only their trie edges and failure link. With
 * the default rules that is 32,768 (the cap) of 69,059 states in 2 MB
 * (62,961 in session 17, 58,616 on 2026-12-07 morning; 22,600 of 30,500
 * in 1.4 MB on 2026-12-04; a cap of 65,536, which
 * takes all 41,361 states 12 bytes deep or less, was no faster): the states
 * a scan visits most fit in the first-level cache, nearly all it visits in
 * the second. (Full rows only up to 6 bytes deep, 0.4 MB, made the scan
 * 15-25% slower: the branch into the sparse states costs more than the
 * cache lines saved.) All digits are one symbol, so a pattern with digits
 * ("ar15") is compared byte by byte when it matches.
 *
 * Patterns start with a space (the left word boundary); a whole-word
 * pattern also needs a space after it, checked when it matches. (Ending
 * those patterns with a space in the automaton was tried: it added 12%
 * states and gained nothing measurable.)
 *
 * The scan loop has no branch but the one into a sparse state: it only
 * writes down where it passed a state that reports, and those are
 * reported (or found to report nothing there) after each chunk. Skipping
 * to the next space when back at the root inside a word was slower than
 * looking up the root's row, which stays in the cache. (Scanning a long
 * post as two lanes in step, each waiting for its own look-ups, gained
 * 2-4% of the scan: not worth its code.)
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

#define NCLASS 32   /* a row of 16-bit entries is one 64-byte cache line
		     * (the table is allocated on a line boundary) */
#ifndef DENSE_DEPTH
#define DENSE_DEPTH 12  /* states this deep or shallower get a full row */
#endif
#ifndef DENSE_MAX
#define DENSE_MAX 32768  /* and at most this many (2 or 4 MB) */
#endif
#define SCAN_CHUNK 256  /* bytes a scan lane runs before it reports */

/* One pattern a state reports, with what a hit needs. */
struct aout {
	uint32_t lit;
	uint32_t pat;        /* for the byte by byte check of digits */
	uint32_t len;
	uint8_t nwords;
	uint8_t digits;      /* the pattern holds a digit */
};

/* Where a state's outputs are: out[start..start + nall) all of them, then
 * out[start + nall..start + nall + npre) its prefix patterns again. One
 * record, so a report reads one line for it. */
struct aidx {
	uint32_t start;
	uint16_t nall, npre;
};

struct automaton {
	uint32_t *delta;     /* [state * NCLASS + class], while building */
	uint8_t *depth;      /* while building */
	/* The scan tables, states renumbered breadth first so the dense
	 * (shallow) ones come first. Entries are bare state numbers; whether
	 * a state reports is in rep[], a load beside the chain of look-ups
	 * rather than a bit in every entry, so 16-bit entries reach state
	 * 65,535 (a flag bit cost half of them). A dense row only leads to
	 * children of dense states or to shallower states, all numbered
	 * low, so the deeper states past 65,535 cost nothing here (the
	 * sparse records hold 32-bit numbers). */
	uint16_t *dense16;   /* [state * NCLASS + class] for state < ndense; */
	uint32_t *dense32;   /* 16-bit while every entry fits, else 32-bit */
	uint8_t *rep;        /* [scan state]: 1 when the state reports a
			      * pattern (its own or on its dictionary chain) */
	/* Deeper state s: one record at srec[soff[s - ndense]], its failure
	 * link, its number of trie edges, then (class, target) for each, the
	 * target in the form of the dense table's entries: one or two cache
	 * lines for a step, not one per array. */
	uint32_t *soff;
	uint32_t *srec;
	size_t ndense;
	/* What a scan state reports: its own patterns, then those of each
	 * state on its dictionary chain, in that order, flattened. All of
	 * them where a word ends, else only the prefix patterns (the same
	 * order, a subsequence, stored after them; see struct aidx). */
	struct aidx *oidx;   /* [scan state] */
	uint8_t *pre;        /* [scan state]: it reports prefix patterns,
			      * so inside a word too */
	struct aout *out;
	const struct pattern *pats;
	/* While building only. */
	uint32_t *old;       /* scan state number -> building numbering */
	uint8_t *flag;       /* state has output on itself or its dict chain */
	uint8_t *pdigits;    /* pattern holds a digit: all digits are one
			      * class, so its match is checked byte by byte */
	uint32_t *out_first; /* [state]: index in out_pat, out_first[s+1] ends */
	uint32_t *out_pat;   /* pattern ids, grouped by state */
	uint32_t *dict;      /* next state with output on the fail chain */
	uint32_t *par;       /* [state]: its parent in the trie */
	uint8_t *pcls;       /* [state]: the class of the edge into it */
	size_t nstates;
	uint8_t byte_class[256];
};

static void
init_classes(uint8_t *byte_class)
{
	/* Class 0 is the space, 27 any digit, 30 everything else. */
	for (int i = 0; i < 256; i++)
		byte_class[i] = 30;
	byte_class[' '] = 0;
	for (int c = 'a'; c <= 'z'; c++)
		byte_class[c] = (uint8_t)(1 + c - 'a');
	for (int c = '0'; c <= '9'; c++)
		byte_class[c] = 27;
	byte_class['@'] = 28;
	byte_class['*'] = 29;
}

void
automaton_free(struct automaton *a)
{
	if (!a)
		return;
	free(a->delta);
	free(a->depth);
	free(a->dense16);
	free(a->dense32);
	free(a->rep);
	free(a->soff);
	free(a->srec);
	free(a->pdigits);
	free(a->old);
	free(a->flag);
	free(a->out_first);
	free(a->out_pat);
	free(a->dict);
	free(a->par);
	free(a->pcls);
	free(a->oidx);
	free(a->pre);
	free(a->out);
	free(a);
}

size_t
automaton_states(const struct automaton *a)
{
	return a->nstates;
}

bool
automaton_narrow(const struct automaton *a)
{
	return a->dense16 != NULL;
}

/* Flatten what each scan state reports (see struct automaton). */
static vigil_error
outputs(struct automaton *a)
{
	size_t ns = a->nstates, nout = 0;

	a->oidx = calloc(ns ? ns : 1, sizeof(struct aidx));
	a->pre = calloc(ns ? ns : 1, 1);
	if (!a->oidx || !a->pre)
		return VIGIL_E_NOMEM;
	for (int pass = 0; pass < 2; pass++) {
		nout = 0;
		for (size_t s = 0; s < ns; s++) {
			size_t nall = 0, npre = 0;

			for (int prefix_only = 0; prefix_only < 2; prefix_only++)
				for (uint32_t o = a->old[s]; o; o = a->dict[o])
					for (uint32_t k = a->out_first[o]; k < a->out_first[o + 1]; k++) {
						uint32_t pi = a->out_pat[k];
						const struct pattern *p = &a->pats[pi];

						if (prefix_only && !p->prefix)
							continue;
						if (pass)
							a->out[nout] = (struct aout){
								p->lit, pi, p->len, p->nwords,
								a->pdigits[pi],
							};
						nout++;
						if (prefix_only)
							npre++;
						else
							nall++;
					}
			if (nall > UINT16_MAX)
				return VIGIL_E_TOOBIG;
			a->oidx[s] = (struct aidx){
				(uint32_t)(nout - nall - npre), (uint16_t)nall, (uint16_t)npre,
			};
			a->pre[s] = npre > 0;
		}
		if (pass == 0) {
			a->out = malloc((nout ? nout : 1) * sizeof(struct aout));
			if (!a->out)
				return VIGIL_E_NOMEM;
		}
	}
	return VIGIL_OK;
}

/* The dense rows in 16-bit entries; false when a state number does not
 * fit. */
static bool
fill_dense16(struct automaton *a, const uint32_t *renum)
{
	for (size_t s = 0; s < a->ndense; s++)
		for (int c = 0; c < NCLASS; c++) {
			uint32_t x = renum[a->delta[a->old[s] * NCLASS + c]];

			if (x > UINT16_MAX)
				return false;
			a->dense16[s * NCLASS + c] = (uint16_t)x;
		}
	return true;
}

/* The scan tables, states numbered breadth first (the order of `bfs`,
 * root first). Shallow states, where a scan spends nearly all its time,
 * get a full row of transitions; a deeper state keeps only its trie edges
 * and its failure link, which is where most states are. */
static vigil_error
compact(struct automaton *a, const uint32_t *bfs, size_t nbfs,
	const uint32_t *fail, const uint32_t *sedge, size_t nedges,
	const uint8_t *scount)
{
	size_t ns = a->nstates, nsparse, e = 0, j = 0;
	uint32_t *renum = malloc(ns * sizeof(uint32_t));

	a->old = malloc(ns * sizeof(uint32_t));
	if (!renum || !a->old) {
		free(renum);
		return VIGIL_E_NOMEM;
	}
	a->old[0] = 0;
	renum[0] = 0;
	for (size_t k = 0; k < nbfs; k++) {
		a->old[k + 1] = bfs[k];
		renum[bfs[k]] = (uint32_t)k + 1;
	}
	/* Breadth first means depth never decreases. */
	a->ndense = 1;
	while (a->ndense < ns && a->ndense < DENSE_MAX &&
	       a->depth[a->old[a->ndense]] <= DENSE_DEPTH)
		a->ndense++;
	nsparse = ns - a->ndense;
	/* The dense rows hold only the children of dense states and
	 * shallower states, which breadth first numbers low: 16-bit entries
	 * do while those numbers fit, however many deeper states follow.
	 * Filled once in the 16-bit table; only if a number does not fit,
	 * again in a 32-bit one. */
	a->dense16 = aligned_alloc(64, a->ndense * NCLASS * sizeof(uint16_t));
	if (a->dense16 && !fill_dense16(a, renum)) {
		free(a->dense16);
		a->dense16 = NULL;
		a->dense32 = aligned_alloc(64, a->ndense * NCLASS * sizeof(uint32_t));
		for (size_t s = 0; a->dense32 && s < a->ndense; s++)
			for (int c = 0; c < NCLASS; c++)
				a->dense32[s * NCLASS + c] =
					renum[a->delta[a->old[s] * NCLASS + c]];
	}
	a->rep = malloc(ns);
	a->soff = malloc((nsparse ? nsparse : 1) * sizeof(uint32_t));
	a->srec = malloc((2 * nsparse + 2 * nedges + 1) * sizeof(uint32_t));
	if ((!a->dense16 && !a->dense32) || !a->rep || !a->soff || !a->srec) {
		free(renum);
		return VIGIL_E_NOMEM;
	}
	for (size_t s = 0; s < ns; s++)
		a->rep[s] = a->flag[a->old[s]];
	for (size_t s = a->ndense; s < ns; s++) {
		uint32_t o = a->old[s], *rec = &a->srec[e];

		a->soff[s - a->ndense] = (uint32_t)e;
		rec[0] = renum[fail[o]];
		rec[1] = scount[o];
		e += 2;
		for (uint32_t k = 0; k < scount[o]; k++, j += 2) {
			a->srec[e++] = sedge[j];
			a->srec[e++] = renum[sedge[j + 1]];
		}
	}
	free(renum);
	if (outputs(a) != VIGIL_OK)
		return VIGIL_E_NOMEM;
	free(a->delta);
	a->delta = NULL;
	free(a->depth);
	a->depth = NULL;
	return VIGIL_OK;
}

/* Room in the building table for state `ns`: it grows as needed, as
 * the trie shares most prefixes (30,500 states for 67,800 pattern bytes
 * in the default rules: sizing it for every byte cost a 9 MB table to
 * fill, a third of the compile). By a quarter, not double: at 128 bytes
 * a row, doubling past 65,536 states made a 16 MB table for 67,232 of
 * them, and the peak resident size 70 MB instead of 56. New rows are
 * empty (all ones). The trie's parent links grow with it. */
static vigil_error
delta_room(struct automaton *a, size_t ns, size_t *cap, size_t max)
{
	size_t want = *cap;
	uint32_t *d, *p;
	uint8_t *c;

	if (ns < *cap)
		return VIGIL_OK;
	if (ns >= max)
		return VIGIL_E_INVAL;  /* cannot happen: a state per pattern byte at most */
	while (want <= ns)
		want = want + want / 4 < max ? want + want / 4 : max;
	d = realloc(a->delta, want * NCLASS * sizeof(uint32_t));
	if (!d)
		return VIGIL_E_NOMEM;
	a->delta = d;
	if (!(p = realloc(a->par, want * sizeof(uint32_t))))
		return VIGIL_E_NOMEM;
	a->par = p;
	if (!(c = realloc(a->pcls, want)))
		return VIGIL_E_NOMEM;
	a->pcls = c;
	memset(d + *cap * NCLASS, 0xff, (want - *cap) * NCLASS * sizeof(uint32_t));
	*cap = want;
	return VIGIL_OK;
}

/* While building: the next state from f on class c, following failure
 * links (always to shallower states) down to a state with a full row. */
static uint32_t
step_build(const struct automaton *a, const uint8_t *full, const uint32_t *fail,
	   uint32_t f, unsigned c)
{
	while (!full[f] && a->delta[f * NCLASS + c] == UINT32_MAX)
		f = fail[f];
	return a->delta[f * NCLASS + c];
}

vigil_error
automaton_build(const struct pattern *pats, size_t npats,
		struct automaton **out)
{
	struct automaton *a = NULL;
	uint32_t *fail = NULL, *queue = NULL, *own = NULL, *own_next = NULL;
	uint8_t *full = NULL;  /* the state's row is complete */
	uint32_t *kfirst = NULL, *kids = NULL;  /* children by parent */
	uint32_t *sedge = NULL;   /* (class, child) of each sparse state, */
	uint8_t *scount = NULL;   /* breadth first, and how many it has */
	size_t nsedge = 0;
	size_t maxstates = 1, ns = 1, nout = 0, qh = 0, qt = 0, dcap;
	vigil_error r = VIGIL_E_NOMEM;

	for (size_t i = 0; i < npats; i++)
		maxstates += strlen(pats[i].text);
	a = calloc(1, sizeof(*a));
	if (!a)
		goto out;
	a->pdigits = calloc(npats ? npats : 1, 1);
	if (!a->pdigits)
		goto out;
	for (size_t i = 0; i < npats; i++)
		a->pdigits[i] = strpbrk(pats[i].text, "0123456789") != NULL;
	a->pats = pats;
	init_classes(a->byte_class);
	dcap = maxstates < 4096 ? maxstates : 4096;
	a->delta = malloc(dcap * NCLASS * sizeof(uint32_t));
	a->depth = calloc(maxstates, 1);
	a->flag = calloc(maxstates, 1);
	a->dict = calloc(maxstates, sizeof(uint32_t));
	a->out_first = calloc(maxstates + 1, sizeof(uint32_t));
	a->out_pat = calloc(npats ? npats : 1, sizeof(uint32_t));
	fail = calloc(maxstates, sizeof(uint32_t));
	queue = malloc(maxstates * sizeof(uint32_t));
	own = malloc(maxstates * sizeof(uint32_t));      /* first own pattern */
	own_next = malloc((npats ? npats : 1) * sizeof(uint32_t));
	a->par = malloc(dcap * sizeof(uint32_t));
	a->pcls = malloc(dcap);
	if (!a->delta || !a->depth || !a->flag || !a->dict || !a->out_first || !a->out_pat ||
	    !fail || !queue || !own || !own_next || !a->par || !a->pcls)
		goto out;
	memset(a->delta, 0xff, dcap * NCLASS * sizeof(uint32_t));
	memset(own, 0xff, maxstates * sizeof(uint32_t));

	/* The trie. */
	for (size_t i = 0; i < npats; i++) {
		uint32_t s = 0;

		for (const unsigned char *p = (const unsigned char *)pats[i].text; *p; p++) {
			size_t at = s * NCLASS + a->byte_class[*p];

			if (a->delta[at] == UINT32_MAX) {
				if (delta_room(a, ns, &dcap, maxstates) != VIGIL_OK)
					goto out;
				a->depth[ns] = a->depth[s] < UINT8_MAX ? a->depth[s] + 1 : UINT8_MAX;
				a->par[ns] = s;
				a->pcls[ns] = a->byte_class[*p];
				a->delta[at] = (uint32_t)ns++;
			}
			s = a->delta[at];
		}
		own_next[i] = own[s];
		own[s] = (uint32_t)i;
	}
	/* Breadth first: failure links and outputs; full transitions only
	 * for the states that will get a full row (compact(): the first
	 * DENSE_MAX in this order, DENSE_DEPTH deep or less). A deeper
	 * state's failure links come from following links down to a state
	 * with a full row, and its children from one array (a counting sort
	 * by parent), not from its row. Filling every row, then reading the
	 * deeper states' rows twice more in compact(), cost some 15% of the
	 * compile (46-62 ms against 40-49 ms, 79,000 states). */
	kfirst = calloc(ns + 1, sizeof(uint32_t));
	kids = malloc(ns * sizeof(uint32_t));
	full = calloc(ns, 1);
	scount = calloc(ns, 1);
	sedge = malloc(2 * ns * sizeof(uint32_t));
	if (!kfirst || !kids || !full || !scount || !sedge)
		goto out;
	for (size_t t = 1; t < ns; t++)
		kfirst[a->par[t] + 1]++;
	for (size_t t = 0; t < ns; t++)
		kfirst[t + 1] += kfirst[t];
	for (size_t t = 1; t < ns; t++)
		kids[kfirst[a->par[t]]++] = (uint32_t)t;
	for (size_t t = ns; t-- > 0;)  /* back to where each group starts */
		kfirst[t + 1] = kfirst[t];
	kfirst[0] = 0;
	full[0] = 1;
	for (int c = 0; c < NCLASS; c++) {
		uint32_t *t = &a->delta[c];
		if (*t == UINT32_MAX) {
			*t = 0;
		} else {
			fail[*t] = 0;
			queue[qt++] = *t;
		}
	}
	while (qh < qt) {
		uint32_t s = queue[qh++];
		bool dense = qh < DENSE_MAX && a->depth[s] <= DENSE_DEPTH;

		a->dict[s] = own[fail[s]] != UINT32_MAX ? fail[s] : a->dict[fail[s]];
		a->flag[s] = own[s] != UINT32_MAX || a->dict[s] != 0;
		full[s] = dense;
		if (!dense) {  /* its children only, and its record's edges */
			for (uint32_t k = kfirst[s]; k < kfirst[s + 1]; k++) {
				uint32_t t = kids[k], c = a->pcls[t];

				fail[t] = step_build(a, full, fail, fail[s], c);
				queue[qt++] = t;
				sedge[nsedge++] = c;
				sedge[nsedge++] = t;
				scount[s]++;
			}
			continue;
		}
		for (int c = 0; c < NCLASS; c++) {
			uint32_t *t = &a->delta[s * NCLASS + c];
			uint32_t f = a->delta[fail[s] * NCLASS + c];  /* a full row */

			if (*t == UINT32_MAX) {
				*t = f;
			} else {
				fail[*t] = f;
				queue[qt++] = *t;
			}
		}
	}
	/* Flatten each state's own patterns. */
	for (size_t s = 0; s < ns; s++) {
		a->out_first[s] = (uint32_t)nout;
		for (uint32_t p = own[s]; p != UINT32_MAX; p = own_next[p])
			a->out_pat[nout++] = p;
	}
	a->out_first[ns] = (uint32_t)nout;
	a->nstates = ns;
	/* Sized for the sum of the pattern lengths; keep what is used. */
	{
		uint8_t *fl = realloc(a->flag, ns);
		uint32_t *di = realloc(a->dict, ns * sizeof(uint32_t));
		uint32_t *of = realloc(a->out_first, (ns + 1) * sizeof(uint32_t));

		if (fl)
			a->flag = fl;
		if (di)
			a->dict = di;
		if (of)
			a->out_first = of;
	}
	if (compact(a, queue, qt, fail, sedge, nsedge / 2, scount) != VIGIL_OK)
		goto out;
	/* The scan reads only the flattened outputs. */
	free(a->old);
	free(a->flag);
	free(a->pdigits);
	free(a->out_first);
	free(a->out_pat);
	free(a->dict);
	free(a->par);
	free(a->pcls);
	a->par = NULL;
	a->pcls = NULL;
	a->old = NULL;
	a->flag = NULL;
	a->pdigits = NULL;
	a->out_first = NULL;
	a->out_pat = NULL;
	a->dict = NULL;
	*out = a;
	a = NULL;
	r = VIGIL_OK;
out:
	automaton_free(a);
	free(fail);
	free(queue);
	free(own);
	free(own_next);
	free(full);
	free(sedge);
	free(scount);
	free(kfirst);
	free(kids);
	return r;
}

vigil_error
hits_grow(struct hits *h)
{
	size_t a = h->alloc ? h->alloc * 2 : 64;
	struct hit *v;

	if (a > (1u << 20))
		return VIGIL_E_TOOBIG;
	v = realloc(h->v, a * sizeof(*v));
	if (!v)
		return VIGIL_E_NOMEM;
	h->v = v;
	h->alloc = a;
	return VIGIL_OK;
}

/* Report the patterns that end at text[i] in scan state s. */
static vigil_error
report(const struct automaton *a, const char *t, uint32_t s, size_t i,
       uint32_t wc, struct hits *h)
{
	const struct aidx x = a->oidx[s];
	const struct aout *o = a->out;
	uint32_t k, kend;
	size_t e = i + 1;

	if (t[i + 1] == ' ') {  /* a word ends here: every pattern */
		k = x.start;
		kend = k + x.nall;
	} else {                /* inside a word: only prefix patterns */
		k = x.start + x.nall;
		kend = k + x.npre;
	}

	if (k == kend)
		return VIGIL_OK;
	while (t[e] != ' ')
		e++;
	for (; k < kend; k++) {
		vigil_error r;

		if (o[k].digits &&
		    memcmp(t + i + 1 - o[k].len, a->pats[o[k].pat].text, o[k].len) != 0)
			continue;  /* other digits */
		r = hits_add(h, o[k].lit, wc + 1 - o[k].nwords, wc,
			     (uint32_t)(i + 2 - o[k].len), (uint32_t)e);
		if (r != VIGIL_OK)
			return r;
	}
	return VIGIL_OK;
}

/* The next state from s on class c: one look-up in a shallow state; in a
 * deeper one, its trie edges, else its failure link (always shallower). */
#define STEP(dense)							\
	static inline uint32_t						\
	step_##dense(const struct automaton *a, uint32_t s, unsigned c)	\
	{								\
		while (s >= a->ndense) {				\
			const uint32_t *rec = &a->srec[a->soff[s - a->ndense]]; \
									\
			for (uint32_t e = 0; e < rec[1]; e++)		\
				if (rec[2 + 2 * e] == c)		\
					return rec[3 + 2 * e];		\
			s = rec[0];					\
		}							\
		return a->dense[s * NCLASS + c];			\
	}
STEP(dense16)
STEP(dense32)
#undef STEP

/* A state that reports, where the scan passed it. */
struct scan_at {
	uint32_t s, i, wc;
};

/* Report what the scan wrote down: where a word ends every pattern,
 * inside a word only prefix patterns. */
static vigil_error
report_all(const struct automaton *a, const char *t, const struct scan_at *at,
	   size_t nat, struct hits *h)
{
	for (size_t k = 0; k < nat; k++) {
		vigil_error r;

		if (t[at[k].i + 1] != ' ' && !a->pre[at[k].s])
			continue;
		r = report(a, t, at[k].s, at[k].i, at[k].wc, h);
		if (r != VIGIL_OK)
			return r;
	}
	return VIGIL_OK;
}

/* SCAN_CHUNK bytes at a time: each look-up waits for the one before,
 * nothing else does. A state that reports is only written down, with no
 * branch. The loads the loop needs are in locals: the stores to `at`
 * would otherwise make the compiler reload them. */
#define SCAN(width)							\
	static vigil_error						\
	scan_##width(const struct automaton *a, const unsigned char *t,	\
		     size_t len, struct hits *h)			\
	{								\
		const uint8_t *byte_class = a->byte_class, *rep = a->rep; \
		const size_t ndense = a->ndense;			\
		const __typeof__(*a->width) *dense = a->width;		\
		struct scan_at at[SCAN_CHUNK];				\
		uint32_t s = 0, wc = 0;					\
									\
		for (size_t i = 0; i < len;) {				\
			size_t end = len - i < SCAN_CHUNK ? len : i + SCAN_CHUNK; \
			size_t nat = 0;					\
			vigil_error r;					\
									\
			for (; i < end; i++) {				\
				unsigned char c = t[i];			\
				s = s < ndense ?			\
					dense[s * NCLASS + byte_class[c]] : \
					step_##width(a, s, byte_class[c]); \
				wc += c == ' ';				\
				at[nat] = (struct scan_at){ s, (uint32_t)i, wc }; \
				nat += rep[s];				\
			}						\
			r = report_all(a, (const char *)t, at, nat, h);	\
			if (r != VIGIL_OK)				\
				return r;				\
		}							\
		return VIGIL_OK;					\
	}
SCAN(dense16)
SCAN(dense32)
#undef SCAN

vigil_error
automaton_scan(const struct automaton *a, const struct norm *n,
	       struct hits *h)
{
	const unsigned char *t = (const unsigned char *)n->text;

	return a->dense16 ? scan_dense16(a, t, n->len, h) :
			    scan_dense32(a, t, n->len, h);
}
