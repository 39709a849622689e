/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tz.c - local times in an IANA zone, read from the system's TZif files
 * (RFC 8536) so the library never touches the process-wide TZ. Times after
 * the file's last transition keep its last offset; Debian's zoneinfo lists
 * transitions up to 2037.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report-int.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define TZIF_MAX (1 << 20)

struct tz_type {
	int32_t utoff;
	char abbr[12];
};

struct vigil_tz {
	char name[64];
	int64_t *times;
	uint8_t *idx;
	size_t ntimes;
	struct tz_type *types;
	size_t ntypes;
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= 64 || name[0] == '/' || strstr(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-", *p))
			return false;
	return true;
}

/* Parse the version 2+ (64-bit) part of a TZif file. */
static bool
tzif_parse(struct vigil_tz *tz, const uint8_t *d, size_t len)
{
	uint32_t c[6];
	size_t off, need, charcnt;

	if (len < 44 || memcmp(d, "TZif", 4) != 0 || d[4] < '2')
		return false;
	for (int i = 0; i < 6; i++)
		c[i] = be32(d + 20 + 4 * i);
	off = 44 + (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
	if (off + 44 > len || memcmp(d + off, "TZif", 4) != 0)
		return false;
	for (int i = 0; i < 6; i++)
		c[i] = be32(d + off + 20 + 4 * i);
	off += 44;
	charcnt = c[5];
	need = (size_t)c[3] * 9 + (size_t)c[4] * 6 + charcnt;
	if (c[4] == 0 || c[4] > 256 || c[3] > 100000 || off + need > len)
		return false;
	tz->ntimes = c[3];
	tz->ntypes = c[4];
	tz->times = calloc(tz->ntimes + 1, sizeof(*tz->times));
	tz->idx = calloc(tz->ntimes + 1, 1);
	tz->types = calloc(tz->ntypes, sizeof(*tz->types));
	if (!tz->times || !tz->idx || !tz->types)
		return false;
	for (size_t i = 0; i < tz->ntimes; i++) {
		const uint8_t *p = d + off + 8 * i;

		tz->times[i] = (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
		tz->idx[i] = d[off + 8 * tz->ntimes + i];
		if (tz->idx[i] >= tz->ntypes)
			return false;
	}
	off += 9 * tz->ntimes;
	for (size_t i = 0; i < tz->ntypes; i++) {
		const uint8_t *p = d + off + 6 * i;
		const char *chars = (const char *)d + off + 6 * tz->ntypes;
		size_t a = p[5];

		tz->types[i].utoff = (int32_t)be32(p);
		if (a < charcnt)
			snprintf(tz->types[i].abbr, sizeof(tz->types[i].abbr), "%.*s",
				 (int)strnlen(chars + a, charcnt - a), chars + a);
	}
	return true;
}

vigil_error
vigil_tz_load(const char *name, struct vigil_tz **out, char *errbuf)
{
	struct vigil_tz *tz;
	char path[160], *data = NULL;
	size_t len;
	vigil_error r = VIGIL_OK;

	tz = calloc(1, sizeof(*tz));
	if (!tz)
		return VIGIL_E_NOMEM;
	if (!name || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		snprintf(tz->name, sizeof(tz->name), "UTC");
		goto out;
	}
	if (!name_ok(name)) {
		r = vigil_fail(errbuf, VIGIL_E_INVAL, "time zone '%s': not an IANA zone name", name);
		goto out;
	}
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	snprintf(path, sizeof(path), ZONEINFO "/%s", name);
	r = vigil_read_file(path, TZIF_MAX, &data, &len, NULL);
	if (r != VIGIL_OK) {
		r = vigil_fail(errbuf, VIGIL_E_INVAL, "time zone '%s': no such zone in " ZONEINFO, name);
		goto out;
	}
	if (!tzif_parse(tz, (const uint8_t *)data, len))
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "%s: not a TZif version 2 file", path);
out:
	free(data);
	if (r != VIGIL_OK) {
		vigil_tz_free(tz);
		return r;
	}
	*out = tz;
	return VIGIL_OK;
}

void
vigil_tz_free(struct vigil_tz *tz)
{
	if (!tz)
		return;
	free(tz->times);
	free(tz->idx);
	free(tz->types);
	free(tz);
}

const char *
vigil_tz_name(const struct vigil_tz *tz)
{
	return tz->name;
}

void
vigil_tz_format(const struct vigil_tz *tz, int64_t ms, char *out, size_t size)
{
	const struct tz_type *t = NULL;
	int64_t s = ms / 1000 - (ms % 1000 < 0);
	time_t lt;
	struct tm tm;
	char when[32];
	int32_t off;

	if (tz->ntypes) {
		size_t lo = 0, hi = tz->ntimes;

		/* The last transition at or before s. */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (tz->times[mid] <= s)
				lo = mid + 1;
			else
				hi = mid;
		}
		t = &tz->types[lo ? tz->idx[lo - 1] : 0];
	}
	off = t ? t->utoff : 0;
	lt = (time_t)(s + off);
	gmtime_r(&lt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, size, "%s %s (UTC%c%02d:%02d)", when, t && t->abbr[0] ? t->abbr : tz->name,
		 off < 0 ? '-' : '+', abs(off) / 3600, abs(off) % 3600 / 60);
}
