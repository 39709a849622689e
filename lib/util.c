/* SPDX-License-Identifier: Apache-2.0 */
/* util.c - hex, base64, SHA-256, time stamps, UTF-8 and whole-file I/O. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil-private.h"

void
vigil_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
vigil_is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

/* Lower-case hex only, as the evidence format requires. */
bool
vigil_unhex(const char *in, uint8_t *out, size_t len)
{
	if (strlen(in) != 2 * len || !vigil_is_hex(in, 2 * len))
		return false;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(hexval(in[2 * i]) << 4 | hexval(in[2 * i + 1]));
	return true;
}

size_t
vigil_b64_len(size_t len)
{
	return sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
}

void
vigil_b64(const uint8_t *in, size_t len, char *out)
{
	sodium_bin2base64(out, vigil_b64_len(len), in, len,
			  sodium_base64_VARIANT_ORIGINAL);
}

VIGIL_EXPORT bool
vigil_base64(const void *in, size_t len, char *out, size_t outsize)
{
	if (outsize < vigil_b64_len(len))
		return false;
	vigil_b64(in, len, out);
	return true;
}

bool
vigil_unb64(const char *in, size_t inlen, uint8_t *out, size_t max,
	    size_t *outlen)
{
	const char *end;
	size_t n;

	if (inlen % 4 != 0)
		return false;
	if (sodium_base642bin(out, max, in, inlen, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	if (end != in + inlen)
		return false;
	*outlen = n;
	return true;
}

void
vigil_sha256(const void *data, size_t len, uint8_t out[32])
{
	crypto_hash_sha256(out, data, len);
}

void
vigil_format_time(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;
	char buf[64];

	if (frac < 0) {
		frac += 1000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, frac);
	snprintf(out, 32, "%.31s", buf);
}

static bool
digits(const char *s, int n, int *val)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*val = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
vigil_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, ms_part = 0, off = 0;
	const char *p;

	if (strlen(s) < 20)
		return false;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return false;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		p++;
		while (*p >= '0' && *p <= '9') {
			if (n < 3)
				ms_part = ms_part * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			return false;
		for (; n < 3; n++)
			ms_part *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;

		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		off = (oh * 60 + om) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return false;
	}
	if (*p != '\0')
		return false;
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		(sec > 59 ? 59 : sec)) - (int64_t)off * 60) * 1000 + ms_part;
	return true;
}

int64_t
vigil_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, at most U+10FFFF. */
bool
vigil_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

bool
vigil_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	if (n == 0)
		return false;
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

vigil_error
vigil_read_file(const char *path, size_t max, char **data, size_t *len,
		char *errbuf)
{
	struct vbuf b;
	char chunk[65536];
	vigil_error r = VIGIL_OK;
	FILE *f;
	size_t n;

	f = fopen(path, "rbe");
	if (!f)
		return vigil_fail(errbuf, errno == ENOENT ? VIGIL_E_NOTFOUND : VIGIL_E_IO,
				  "Failed to open '%s': %s", path, strerror(errno));
	vbuf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		r = vbuf_add(&b, chunk, n);
		if (r != VIGIL_OK) {
			r = vigil_fail(errbuf, r, "'%s': larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (ferror(f)) {
		r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to read '%s': %s", path,
			       strerror(errno));
		goto out;
	}
	*data = vbuf_take(&b, len);
out:
	vbuf_free(&b);
	fclose(f);
	return r;
}

vigil_error
vigil_fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;
	vigil_error r = VIGIL_OK;

	if (!copy)
		return VIGIL_E_NOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		r = VIGIL_E_IO;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

vigil_error
vigil_write_file(const char *path, const void *data, size_t len, int mode,
		 char *errbuf)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	const char *p = data;
	vigil_error r = VIGIL_OK;
	int fd;

	if (!tmp)
		return VIGIL_E_NOMEM;
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to create '%s': %s", tmp,
			       strerror(errno));
		free(tmp);
		return r;
	}
	if (fchmod(fd, (mode_t)mode) < 0)
		goto fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	vigil_fsync_dir(path);
	return VIGIL_OK;
fail:
	r = vigil_fail(errbuf, errno == ENOSPC ? VIGIL_E_FULL : VIGIL_E_IO,
		       "Failed to write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}
