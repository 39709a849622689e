/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quote.c - the %quote detector: each quotation in a post becomes a hit
 * over the words between its marks. A `quote` rule says which of them the
 * post reports (`quote ID: $said ..3 %quote`: "she wrote: "I will kill
 * you""), and rules whose match reaches into a reported quotation count
 * for nothing (classify.c): a supporter quoting a threat does not make
 * one.
 *
 * Marks: "...", “...” (or “..."), «...», and '...' or ‘...’ when the
 * single marks stand at the edge of a word (not "don't" or "I’ll").
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "vigil-private.h"

#define QUOTE_MAX 2048  /* longest quotation looked for, in bytes */

enum mark { M_NONE, M_DOUBLE, M_LDOUBLE, M_RDOUBLE, M_LANGLE, M_RANGLE,
	    M_SINGLE, M_LSINGLE, M_RSINGLE };

/* The quotation mark at p[i], its length in *k. */
static enum mark
mark_at(const unsigned char *p, size_t i, size_t len, size_t *k)
{
	*k = 1;
	switch (p[i]) {
	case '"':
		return M_DOUBLE;
	case '\'':
		return M_SINGLE;
	case 0xc2:
		*k = 2;
		if (i + 1 < len && p[i + 1] == 0xab)
			return M_LANGLE;
		if (i + 1 < len && p[i + 1] == 0xbb)
			return M_RANGLE;
		return M_NONE;
	case 0xe2:
		*k = 3;
		if (i + 2 >= len || p[i + 1] != 0x80)
			return M_NONE;
		switch (p[i + 2]) {
		case 0x9c: return M_LDOUBLE;
		case 0x9d: return M_RDOUBLE;
		case 0x98: return M_LSINGLE;
		case 0x99: return M_RSINGLE;
		}
		return M_NONE;
	}
	return M_NONE;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A single mark opens a quotation at the start of a word... */
static bool
opens_word(const unsigned char *p, size_t i, size_t k, size_t len)
{
	return (i == 0 || is_space(p[i - 1]) || strchr("(:\"[", p[i - 1])) &&
	       i + k < len && !is_space(p[i + k]);
}

/* ...and closes one at the end of a word. */
static bool
closes_word(const unsigned char *p, size_t i, size_t k, size_t len)
{
	return i > 0 && !is_space(p[i - 1]) &&
	       (i + k == len || is_space(p[i + k]) || strchr(".,;:!?)]\"", p[i + k]));
}

/* The first byte at or after p[i] that may start a mark ('"', '\'',
 * 0xc2 or 0xe2), or len. 16 bytes at a time where SSE2 is: a byte at a
 * time, this loop was 3% of the classifier's time. */
static size_t
next_mark(const unsigned char *p, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i dq = _mm_set1_epi8('"'), sq = _mm_set1_epi8('\''),
		      c2 = _mm_set1_epi8((char)0xc2), e2 = _mm_set1_epi8((char)0xe2);

	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dq), _mm_cmpeq_epi8(v, sq)),
				     _mm_or_si128(_mm_cmpeq_epi8(v, c2), _mm_cmpeq_epi8(v, e2))));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < len && p[i] != '"' && p[i] != '\'' && p[i] != 0xc2 && p[i] != 0xe2)
		i++;
	return i;
}

/* The kinds of quotation, by the marks that close them. */
enum { Q_DOUBLE, Q_ANGLE, Q_SINGLE, Q_KINDS };

static int
kind_of(enum mark m)
{
	return m == M_LANGLE ? Q_ANGLE : m == M_SINGLE || m == M_LSINGLE ? Q_SINGLE : Q_DOUBLE;
}

/* Where the quotation opened by mark `m` at p[i..i + k) closes: the
 * offset of its closing mark (its length in *ck), or 0. A closing mark
 * does not depend on where its quotation opened, so *seen, how far a
 * search for this kind has already found none, is where the search
 * resumes: a post of unclosed marks ("'a 'a 'a ...") is read once, not
 * QUOTE_MAX bytes per mark. */
static size_t
closing(const unsigned char *p, size_t i, size_t k, size_t len, enum mark m,
	size_t *ck, size_t *seen)
{
	size_t end = len - i > QUOTE_MAX ? i + QUOTE_MAX : len;
	size_t from = i + k > *seen ? i + k : *seen;

	for (size_t j = next_mark(p, from, end); j < end; j = next_mark(p, j + 1, end)) {
		enum mark c = mark_at(p, j, len, ck);

		if (m == M_LANGLE ? c == M_RANGLE :
		    m == M_SINGLE || m == M_LSINGLE ?
			(c == M_SINGLE || c == M_RSINGLE) && closes_word(p, j, *ck, len) :
			c == M_DOUBLE || c == M_RDOUBLE)
			return j;
	}
	if (end > *seen)
		*seen = end;
	return 0;
}

/* Spaces in n->text before `pos`, counted on from a cursor that only
 * moves forward: word indices for a post's quotations in one pass. */
struct wcursor {
	size_t pos;
	uint32_t words;
};

static uint32_t
word_at(const struct norm *n, struct wcursor *c, size_t pos)
{
	for (; c->pos < pos && c->pos < n->len; c->pos++)
		c->words += n->text[c->pos] == ' ';
	return c->words;
}

vigil_error
quote_scan(const struct ruleset *rs, const char *orig, size_t len,
	   const struct norm *n, struct hits *h)
{
	const unsigned char *p = (const unsigned char *)orig;
	uint32_t lit = rs->det_lit[DET_QUOTE];
	struct wcursor wc = { 0, 0 };
	size_t i = 0, seen[Q_KINDS] = { 0 };

	if (lit == UINT32_MAX)
		return VIGIL_OK;
	while (i < len) {
		size_t k, ck = 0, j, s, e;
		uint32_t ws, we;
		enum mark m;
		vigil_error r;

		i = next_mark(p, i, len);
		if (i == len)
			break;
		m = mark_at(p, i, len, &k);
		if ((m != M_DOUBLE && m != M_LDOUBLE && m != M_LANGLE &&
		     m != M_SINGLE && m != M_LSINGLE) ||
		    ((m == M_SINGLE || m == M_LSINGLE) && !opens_word(p, i, k, len)) ||
		    !(j = closing(p, i, k, len, m, &ck, &seen[kind_of(m)]))) {
			i += m == M_NONE ? 1 : k;
			continue;
		}
		/* The words between the marks, in the normalised text. */
		s = norm_to_text_offset(n, i + k);
		e = norm_to_text_offset(n, j);
		while (s < e && n->text[s] == ' ')
			s++;
		while (e > s && n->text[e - 1] == ' ')
			e--;
		i = j + ck;
		if (s >= e)
			continue;  /* nothing but symbols */
		ws = word_at(n, &wc, s);  /* before we: the cursor moves on */
		we = word_at(n, &wc, e - 1);
		r = hits_add(h, lit, ws, we, (uint32_t)s, (uint32_t)e);
		if (r != VIGIL_OK)
			return r;
	}
	return VIGIL_OK;
}
