/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report-patterns.c - patterns across posts: the accounts behind the
 * incidents (linked across handle changes by their stable id) and bursts,
 * the hours in which mentions of a clinician spiked far above their normal
 * rate.
 *
 * Bursts: each clinician's captures are counted per UTC hour of the post
 * (capture time when the platform gave none), from the first to the last
 * capture, empty hours included (at most the last BURST_MAX_HOURS). The
 * baseline is the median hourly count m and its spread the median absolute
 * deviation MAD, both robust to the spikes being sought. An hour is part
 * of a burst if its count is above m and at least
 * max(BURST_MIN, m + BURST_K * 1.4826 * MAD) (1.4826 * MAD estimates a
 * standard deviation); consecutive such hours make one window.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

#define BURST_MIN 5
#define BURST_K 5.0
#define BURST_MAX_HOURS (24 * 366 * 5)
#define HOUR_MS 3600000LL

static int
author_cmp(const void *a, const void *b, void *userdata)
{
	const vigil_report *r = userdata;
	const struct rpt_capture *x = &r->caps[*(const size_t *)a], *y = &r->caps[*(const size_t *)b];
	int c = strcmp(x->platform, y->platform);

	if (c == 0)
		c = strcmp(x->author_id, y->author_id);
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static int
offender_cmp(const void *a, const void *b)
{
	const vigil_offender *x = a, *y = b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->max_score != y->max_score)
		return x->max_score > y->max_score ? -1 : 1;
	if (x->score_sum != y->score_sum)
		return x->score_sum > y->score_sum ? -1 : 1;
	c = strcmp(x->platform, y->platform);
	return c ? c : strcmp(x->author_id, y->author_id);
}

static const char *
post_time(const struct rpt_capture *c)
{
	return *c->created_at ? c->created_at : c->time;
}

/* Add handle h to o unless it is there already. */
static vigil_error
add_handle(vigil_offender *o, const char *h)
{
	const char **p;

	if (!*h)
		return VIGIL_OK;
	for (size_t i = 0; i < o->nhandles; i++)
		if (strcmp(o->handles[i], h) == 0)
			return VIGIL_OK;
	p = realloc((void *)o->handles, (o->nhandles + 1) * sizeof(*p));
	if (!p)
		return VIGIL_E_NOMEM;
	p[o->nhandles++] = h;
	o->handles = p;
	return VIGIL_OK;
}

/* Labelled by the classifier, or escalated or reported by a reviewer. */
static bool
harassing(const struct rpt_capture *c)
{
	return json_array_size(c->labels) > 0 ||
	       (c->status && (strcmp(c->status, "escalated") == 0 ||
			      strcmp(c->status, "reported") == 0));
}

vigil_error
rpt_offenders(vigil_report *r)
{
	size_t *idx, n = r->nincidents;
	vigil_offender *o = NULL;
	vigil_error e = VIGIL_OK;

	if (n == 0)
		return VIGIL_OK;
	idx = malloc(n * sizeof(*idx));
	r->offenders = calloc(n, sizeof(*r->offenders));
	if (!idx || !r->offenders) {
		free(idx);
		return VIGIL_E_NOMEM;
	}
	n = 0;
	for (size_t i = 0; i < r->nincidents; i++)
		if (harassing(&r->caps[r->incidents[i]]))
			idx[n++] = r->incidents[i];
	if (n)
		qsort_r(idx, n, sizeof(*idx), author_cmp, r);
	for (size_t i = 0; e == VIGIL_OK && i < n; i++) {
		const struct rpt_capture *c = &r->caps[idx[i]];

		if (!o || strcmp(o->platform, c->platform) != 0 || strcmp(o->author_id, c->author_id) != 0) {
			o = &r->offenders[r->noffenders++];
			o->platform = c->platform;
			o->author_id = c->author_id;
			o->first = o->last = post_time(c);
		}
		o->count++;
		o->score_sum += (unsigned)c->max_score;
		if ((unsigned)c->max_score > o->max_score)
			o->max_score = (unsigned)c->max_score;
		if (strcmp(post_time(c), o->first) < 0)
			o->first = post_time(c);
		if (strcmp(post_time(c), o->last) > 0)
			o->last = post_time(c);
		e = add_handle(o, c->author_handle);
	}
	free(idx);
	if (r->noffenders)
		qsort(r->offenders, r->noffenders, sizeof(*r->offenders), offender_cmp);
	return e;
}

VIGIL_EXPORT size_t
vigil_report_offenders(const vigil_report *r, const vigil_offender **out)
{
	*out = r->offenders;
	return r->noffenders;
}

static int
mention_cmp(const void *a, const void *b, void *userdata)
{
	const vigil_report *r = userdata;
	const struct rpt_capture *x = &r->caps[*(const size_t *)a], *y = &r->caps[*(const size_t *)b];
	int c = strcmp(x->clinician, y->clinician);

	if (c == 0 && x->event_ms != y->event_ms)
		c = x->event_ms < y->event_ms ? -1 : 1;
	return c;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), u64_cmp);
	return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2.0;
}

struct acct {
	const char *key;
	uint64_t n;
};

static int
acct_cmp(const void *a, const void *b)
{
	const struct acct *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The accounts behind captures idx[from..to), most active first. */
static vigil_error
burst_accounts(vigil_report *r, const size_t *idx, size_t from, size_t to, vigil_burst *b)
{
	struct acct *a = calloc(to - from, sizeof(*a));
	const char **list;
	size_t na = 0;

	if (!a)
		return VIGIL_E_NOMEM;
	for (size_t i = from; i < to; i++) {
		const struct rpt_capture *c = &r->caps[idx[i]];
		json_t *s = json_sprintf("%s %s (%s)", c->platform,
					 *c->author_handle ? c->author_handle : "-", c->author_id);
		size_t k;

		if (!s || json_array_append_new(r->keep, s) != 0) {
			free(a);
			return VIGIL_E_NOMEM;
		}
		for (k = 0; k < na && strcmp(a[k].key, json_string_value(s)) != 0; k++)
			;
		if (k == na)
			a[na++].key = json_string_value(s);
		a[k].n++;
	}
	qsort(a, na, sizeof(*a), acct_cmp);
	list = malloc(na * sizeof(*list));
	if (!list) {
		free(a);
		return VIGIL_E_NOMEM;
	}
	for (size_t k = 0; k < na; k++)
		list[k] = a[k].key;
	free(a);
	b->accounts = list;
	b->naccounts = na;
	return VIGIL_OK;
}

static vigil_error
add_burst(vigil_report *r, const vigil_burst *b)
{
	vigil_burst *p = realloc(r->bursts, (r->nbursts + 1) * sizeof(*p));

	if (!p)
		return VIGIL_E_NOMEM;
	r->bursts = p;
	p[r->nbursts++] = *b;
	return VIGIL_OK;
}

/* Bursts among captures idx[0..n) of one clinician, sorted by time. */
static vigil_error
clinician_bursts(vigil_report *r, const size_t *idx, size_t n)
{
	int64_t h0 = r->caps[idx[0]].event_ms / HOUR_MS, h1 = r->caps[idx[n - 1]].event_ms / HOUR_MS;
	size_t nh, i = 0, k;
	uint64_t *count, *tmp;
	double m, mad, thr;
	vigil_error e = VIGIL_OK;

	if (h1 - h0 >= BURST_MAX_HOURS)
		h0 = h1 - BURST_MAX_HOURS + 1;
	nh = (size_t)(h1 - h0 + 1);
	count = calloc(nh, sizeof(*count));
	tmp = calloc(nh, sizeof(*tmp));
	if (!count || !tmp) {
		e = VIGIL_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (r->caps[idx[i]].event_ms / HOUR_MS >= h0)
			count[r->caps[idx[i]].event_ms / HOUR_MS - h0]++;
	memcpy(tmp, count, nh * sizeof(*tmp));
	m = median(tmp, nh);
	for (k = 0; k < nh; k++)
		tmp[k] = (uint64_t)fabs((double)count[k] - m);
	mad = median(tmp, nh);
	thr = fmax(BURST_MIN, m + BURST_K * 1.4826 * mad);
	i = 0;
	for (k = 0; e == VIGIL_OK && k < nh; k++) {
		vigil_burst b = { .clinician = r->caps[idx[0]].clinician, .median = m, .threshold = thr };
		size_t from, start = k;

		if (!((double)count[k] >= thr && (double)count[k] > m))
			continue;
		while (k + 1 < nh && (double)count[k + 1] >= thr && (double)count[k + 1] > m)
			k++;
		for (size_t h = start; h <= k; h++) {
			b.count += count[h];
			if (count[h] > b.peak)
				b.peak = count[h];
		}
		vigil_format_time((h0 + (int64_t)start) * HOUR_MS, b.start);
		vigil_format_time((h0 + (int64_t)k + 1) * HOUR_MS, b.end);
		while (i < n && r->caps[idx[i]].event_ms < (h0 + (int64_t)start) * HOUR_MS)
			i++;
		from = i;
		while (i < n && r->caps[idx[i]].event_ms < (h0 + (int64_t)k + 1) * HOUR_MS)
			i++;
		e = burst_accounts(r, idx, from, i, &b);
		if (e == VIGIL_OK)
			e = add_burst(r, &b);
		else
			free((void *)b.accounts);
	}
out:
	free(count);
	free(tmp);
	return e;
}

static int
burst_cmp(const void *a, const void *b)
{
	const vigil_burst *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->start, y->start);
}

vigil_error
rpt_bursts(vigil_report *r)
{
	size_t *idx, from = 0;
	vigil_error e = VIGIL_OK;

	if (r->ncaps == 0)
		return VIGIL_OK;
	idx = malloc(r->ncaps * sizeof(*idx));
	if (!idx)
		return VIGIL_E_NOMEM;
	for (size_t i = 0; i < r->ncaps; i++)
		idx[i] = i;
	qsort_r(idx, r->ncaps, sizeof(*idx), mention_cmp, r);
	for (size_t i = 1; e == VIGIL_OK && i <= r->ncaps; i++) {
		if (i < r->ncaps && strcmp(r->caps[idx[i]].clinician, r->caps[idx[from]].clinician) == 0)
			continue;
		e = clinician_bursts(r, idx + from, i - from);
		from = i;
	}
	free(idx);
	if (e == VIGIL_OK && r->nbursts)
		qsort(r->bursts, r->nbursts, sizeof(*r->bursts), burst_cmp);
	return e;
}

VIGIL_EXPORT size_t
vigil_report_bursts(const vigil_report *r, const vigil_burst **out)
{
	*out = r->bursts;
	return r->nbursts;
}
