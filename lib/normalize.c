/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalize.c - turn a post into the text the rules are matched against.
 *
 * The output is lower-case ASCII words separated by single spaces, with a
 * space at each end: " i will kill you ". Every output byte remembers the
 * span of original bytes it came from, so a match maps back to offsets in
 * the text as posted.
 *
 * Two passes. The first decodes UTF-8 into "units" (one folded character
 * and its original span): NFKC-style compatibility decomposition, case
 * folding and accent stripping come from utf8proc; invisible characters
 * vanish; Cyrillic and Greek look-alikes fold to Latin; emoji that stand
 * for weapons or sex become words. The second pass groups units into
 * tokens and undoes obfuscation inside them: letters split by separators
 * ("k i l l", "k.i.l.l"), leetspeak ("sh00t", "d!ck"), masked letters
 * ("f*ck", resolved against the rule vocabulary) and stretched letters
 * ("diiie").
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <utf8proc.h>

#include "vigil-private.h"

/* Unit kinds beyond plain characters. */
#define U_SPACE ' '   /* white space */
#define U_PUNCT '.'   /* any other separator */
#define U_OTHER '\x01' /* a letter of a script we do not fold */

struct nunit {
	uint32_t s, e;   /* original byte span */
	char c;
};

/* ASCII: 0 = separator (punctuation), ' ' = space, 1 = dropped,
 * else the folded character. */
static const char ascii_fold[128] = {
	['\t'] = ' ', ['\n'] = ' ', ['\r'] = ' ', ['\v'] = ' ', ['\f'] = ' ',
	[' '] = ' ', ['\''] = 1, ['`'] = 1,
	['@'] = '@', ['$'] = '$', ['!'] = '!', ['|'] = '|', ['+'] = '+',
	['*'] = '*', ['#'] = '#',
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
#define L(x) [x] = x, [x - 32] = x
	L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'),
	L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
	L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef L
};

/* Look-alike letters from other scripts, after case folding. */
static const struct { uint16_t cp; char c; } homoglyphs[] = {
	{ 0x0131, 'i' }, { 0x0251, 'a' }, { 0x0261, 'g' }, { 0x026a, 'i' },
	{ 0x03b1, 'a' }, { 0x03b2, 'b' }, { 0x03b3, 'y' }, { 0x03b5, 'e' },
	{ 0x03b7, 'n' }, { 0x03b9, 'i' }, { 0x03ba, 'k' }, { 0x03bd, 'v' },
	{ 0x03bf, 'o' }, { 0x03c1, 'p' }, { 0x03c2, 'c' }, { 0x03c4, 't' },
	{ 0x03c5, 'u' }, { 0x03c7, 'x' }, { 0x03c9, 'w' },
	{ 0x0430, 'a' }, { 0x0432, 'b' }, { 0x0433, 'r' }, { 0x0435, 'e' },
	{ 0x0438, 'u' }, { 0x043a, 'k' }, { 0x043c, 'm' }, { 0x043d, 'h' },
	{ 0x043e, 'o' }, { 0x043f, 'n' }, { 0x0440, 'p' }, { 0x0441, 'c' },
	{ 0x0442, 't' }, { 0x0443, 'y' }, { 0x0445, 'x' }, { 0x044c, 'b' },
	{ 0x0455, 's' }, { 0x0456, 'i' }, { 0x0457, 'i' }, { 0x0458, 'j' },
	{ 0x04bb, 'h' }, { 0x04cf, 'l' }, { 0x0501, 'd' }, { 0x051b, 'q' },
	{ 0x051d, 'w' },
};

/* Emoji that stand for weapons, violence, sex or insults, for laughter
 * and hugs (a joke or affection is context), and for a leer (a wink, a
 * smirk, eyes: innuendo beside a remark on a body). In code point order. */
static const struct { uint32_t cp; const char *word; } emoji_words[] = {
	{ 0x2620, "skull" }, { 0x2694, "swords" }, { 0x26b0, "coffin" },
	{ 0x1f346, "dick" }, { 0x1f351, "ass" }, { 0x1f352, "cherries" },
	{ 0x1f3f9, "bow" }, { 0x1f400, "rat" }, { 0x1f401, "rat" },
	{ 0x1f412, "monkey" }, { 0x1f437, "pig" }, { 0x1f440, "eyes" },
	{ 0x1f445, "lick" }, { 0x1f4a3, "bomb" }, { 0x1f4a6, "cum" },
	{ 0x1f525, "fire" }, { 0x1f52a, "knife" }, { 0x1f52b, "gun" },
	{ 0x1f595, "fuck" }, { 0x1f5e1, "knife" }, { 0x1f602, "lol" },
	{ 0x1f605, "lol" }, { 0x1f606, "lol" }, { 0x1f608, "smirk" },
	{ 0x1f609, "wink" }, { 0x1f60f, "smirk" }, { 0x1f618, "kiss" },
	{ 0x1f639, "lol" }, { 0x1f644, "eyeroll" }, { 0x1f917, "hug" }, { 0x1f921, "clown" },
	{ 0x1f923, "lol" }, { 0x1f924, "drool" }, { 0x1f975, "horny" },
	{ 0x1f98d, "monkey" }, { 0x1fa78, "blood" }, { 0x1fa93, "axe" },
	{ 0x1faa6, "grave" },
};

static bool
invisible(int32_t cp)
{
	return cp == 0x00ad || cp == 0x034f || cp == 0x061c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	       (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x1f3fb && cp <= 0x1f3ff) ||
	       (cp >= 0xe0000 && cp <= 0xe0fff);
}

static char
homoglyph(int32_t cp)
{
	size_t lo = 0, hi = VIGIL_ARRAY_SIZE(homoglyphs);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (homoglyphs[mid].cp == cp)
			return homoglyphs[mid].c;
		if (homoglyphs[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static const char *
emoji_word(int32_t cp)
{
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(emoji_words); i++)
		if (emoji_words[i].cp == (uint32_t)cp)
			return emoji_words[i].word;
	return NULL;
}

void
norm_init(struct norm *n)
{
	memset(n, 0, sizeof(*n));
}

void
norm_free(struct norm *n)
{
	if (!n)
		return;
	free(n->text);
	free(n->start);
	free(n->units);
	norm_init(n);
}

static inline void
unit_add(struct norm *n, char c, size_t s, size_t e)
{
	struct nunit *u = &n->units[n->nunits++];

	u->c = c;
	u->s = (uint32_t)s;
	u->e = (uint32_t)e;
}

/* Fold one non-ASCII code point into units. */
static void
fold_codepoint(struct norm *n, int32_t cp, size_t s, size_t e)
{
	utf8proc_int32_t dec[8];
	utf8proc_ssize_t k;
	const char *w;
	char h;

	if (invisible(cp))
		return;
	if (cp == 0x2019 || cp == 0x2018 || cp == 0x02bc)
		return;  /* apostrophes join, like ASCII ' */
	if ((h = homoglyph(cp))) {
		unit_add(n, h, s, e);
		return;
	}
	if ((w = emoji_word(cp))) {
		unit_add(n, U_SPACE, s, s);
		for (; *w; w++)
			unit_add(n, *w, s, e);
		unit_add(n, U_SPACE, e, e);
		return;
	}
	k = utf8proc_decompose_char(cp, dec, VIGIL_ARRAY_SIZE(dec),
				    UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
				    UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
				    UTF8PROC_IGNORE, NULL);
	if (k <= 0 || k > (utf8proc_ssize_t)VIGIL_ARRAY_SIZE(dec)) {
		unit_add(n, U_PUNCT, s, e);
		return;
	}
	for (utf8proc_ssize_t i = 0; i < k; i++) {
		int32_t d = dec[i];
		char c;

		if (d < 128) {
			c = ascii_fold[d];
			if (c == 1)
				continue;
			unit_add(n, c ? c : U_PUNCT, s, e);
		} else if ((h = homoglyph(d))) {
			unit_add(n, h, s, e);
		} else {
			switch (utf8proc_category(d)) {
			case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
			case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
			case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
				unit_add(n, U_OTHER, s, e);
				break;
			case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL:
			case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_CC:
				unit_add(n, U_SPACE, s, e);
				break;
			default:
				unit_add(n, U_PUNCT, s, e);
				break;
			}
		}
	}
}

#define ECHO_MARK "echoparens"  /* the word "(((" becomes */
#define ECHO_SPAN 64             /* most bytes from "(((" to ")))" */

/* "(((name)))", the antisemitic echo around a name or group, opening at
 * p[i]: the length of the run of '(', else 0. Exactly three, closed by
 * exactly three within ECHO_SPAN bytes, around a letter or digit. */
static size_t
echo_open(const unsigned char *p, size_t i, size_t len)
{
	size_t run = 0, j, end = len - i > ECHO_SPAN ? i + ECHO_SPAN : len;
	bool word = false;

	while (i + run < len && p[i + run] == '(')
		run++;
	if (run != 3 || (i > 0 && p[i - 1] == '('))
		return 0;  /* "(((((LISTEN)))))" is emphasis */
	for (j = i + run; j + 2 < end && p[j] != '(' && p[j] != ')'; j++)
		word |= p[j] >= 128 || (ascii_fold[p[j]] >= 'a' && ascii_fold[p[j]] <= 'z') ||
			(p[j] >= '0' && p[j] <= '9');
	return word && j + 2 < end && p[j] == ')' && p[j + 1] == ')' &&
	       p[j + 2] == ')' && (j + 3 == len || p[j + 3] != ')') ? run : 0;
}

/* Might the text hold an echo, three '(' in a row? 16 bytes at a time
 * where SSE2 is (memchr() on each '(' was 2% of the classifier's time:
 * a call per bracket). */
static bool
has_echo(const char *text, size_t len)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i open = _mm_set1_epi8('(');
	uint32_t carry = 0;  /* the last two bytes of the block before */

	for (; i + 16 <= len; i += 16) {
		uint32_t m = (uint32_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(text + i)), open));
		uint32_t x = m << 2 | carry;  /* bit k + 2: byte k of the block */

		if (x & x >> 1 & x >> 2)
			return true;
		carry = m >> 14;
	}
	i = i >= 2 ? i - 2 : 0;  /* a run across the last block's end */
#endif
	for (; i + 2 < len; i++)
		if (text[i] == '(' && text[i + 1] == '(' && text[i + 2] == '(')
			return true;
	return false;
}

/* Pass one: original bytes to units. */
static void
decode(struct norm *n, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;
		char c;

		if (p[i] == '(' && (k = (utf8proc_ssize_t)echo_open(p, i, len))) {
			/* A word of its own: " echoparens name ". At least
			 * six bytes make its twelve units and bytes, within
			 * the three per byte norm_run() makes room for. */
			unit_add(n, U_SPACE, i, i);
			for (const char *m = ECHO_MARK; *m; m++)
				unit_add(n, *m, i, i + (size_t)k);
			unit_add(n, U_SPACE, i + (size_t)k, i + (size_t)k);
			i += (size_t)k;
			continue;
		}
		if (p[i] < 128) {
			c = ascii_fold[p[i]];
			if (c != 1)
				unit_add(n, c ? c : U_PUNCT, i, i + 1);
			i++;
			continue;
		}
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0) {  /* invalid UTF-8: a separator, one byte wide */
			n->invalid = true;
			unit_add(n, U_PUNCT, i, i + 1);
			i++;
			continue;
		}
		fold_codepoint(n, cp, i, i + (size_t)k);
		i += (size_t)k;
	}
}

static inline bool
is_sep(char c)
{
	return c == U_SPACE || c == U_PUNCT;
}

static inline bool
is_alpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline void
out_add(struct norm *n, char c, uint32_t s)
{
	/* One code point can fold into two words ("¼" is "1/4"); the map
	 * never runs backwards. */
	if (n->len && s < n->start[n->len - 1])
		s = n->start[n->len - 1];
	n->text[n->len] = c;
	n->start[n->len] = s;
	n->len++;
}

static char
leet(char c)
{
	switch (c) {
	case '0': return 'o';
	case '1': case '!': case '|': return 'i';
	case '3': return 'e';
	case '4': case '@': return 'a';
	case '5': case '$': return 's';
	case '7': case '+': return 't';
	case '8': return 'b';
	case '9': return 'g';
	default: return 0;
	}
}

/* Whether u[i..] holds one or two leet units and then a letter ("00t" in
 * "sh00t", "99er" in "n!99er"). */
static bool
leet_then_letter(const struct nunit *u, size_t k, size_t i)
{
	size_t j = i;

	while (j < k && j < i + 2 && !is_alpha(u[j].c) && leet(u[j].c))
		j++;
	return j > i && j < k && is_alpha(u[j].c);
}

/* Decide what each unit of the token u[0..k) becomes: a letter, a digit,
 * '*' (masked) or 0 (dropped). Written into c[]. */
static void
fold_token(const struct nunit *u, size_t k, char *c, size_t nl)
{
	size_t seen = 0;  /* letters before i */
	bool leety = false;  /* a unit after the first read as a letter */

	for (size_t i = 0; i < k; i++) {
		char x = u[i].c;
		bool before = i > 0 && is_alpha(c[i - 1]);
		bool after = i + 1 < k && is_alpha(u[i + 1].c);
		bool after2 = leet_then_letter(u, k, i + 1);

		if (is_alpha(x) || x == U_OTHER) {
			c[i] = x;
		} else if (x == '#' && i == 0) {
			c[i] = 0;  /* a hashtag */
		} else if (x == '*' || x == '#') {
			/* Masks stand between letters: "f*ck", not "*really*". */
			c[i] = seen > 0 && seen < nl ? '*' : 0;
		} else if (x == '@' && i == 0) {
			c[i] = nl > 0 ? '@' : 0;  /* a handle */
		} else if (is_digit(x) && nl == 0) {
			c[i] = x;
		} else if (leet(x) && nl >= 2 &&
			   ((before && (after || after2)) ||
			    (i == 0 && after && !is_digit(x)) ||
			    (before && i + 1 == k && !is_digit(u[i - 1].c) &&
			     is_digit(x) && i >= 2))) {
			c[i] = leet(x);
		} else {
			c[i] = is_digit(x) ? x : 0;
		}
		seen += is_alpha(x);
		leety |= i > 0 && !is_alpha(x) && is_alpha(c[i]);
	}
	/* A digit first is a number ("1st", "4chan", "5am") unless the
	 * rest of the word is leetspeak too: "1d10t", "5h1t". */
	if (leety && k > 1 && is_digit(u[0].c) && leet(u[0].c) && is_alpha(c[1]))
		c[0] = leet(u[0].c);
}

/* Emit token u[0..k) into the output. */
static void
emit_token(struct norm *n, const struct nunit *u, size_t k,
	   const struct norm_vocab *vocab)
{
	char c[64];
	size_t nl = 0, at = n->len, w = 0;
	uint32_t end = u[k - 1].e;  /* where the last unit kept ends */
	bool masked = false, plain = true;

	for (size_t i = 0; i < k; i++) {
		nl += is_alpha(u[i].c);
		plain &= is_alpha(u[i].c) && (i < 2 || u[i].c != u[i - 1].c ||
					      u[i].c != u[i - 2].c);
	}
	if (plain) {  /* the common case: letters, nothing to undo */
		/* out_add() in locals: a store to the text may alias n. */
		char *t = n->text;
		uint32_t *st = n->start, prev = at ? st[at - 1] : 0;
		size_t o = at;

		for (size_t i = 0; i < k; i++, o++) {
			uint32_t s = o && u[i].s < prev ? prev : u[i].s;

			t[o] = u[i].c;
			st[o] = prev = s;
		}
		n->len = o;
		goto done;
	}
	if (k > sizeof(c)) {  /* not a word: copy what can be copied */
		for (size_t i = 0; i < k; i++)
			if (is_alpha(u[i].c) || is_digit(u[i].c)) {
				n->ndigits += is_digit(u[i].c);
				out_add(n, u[i].c, u[i].s);
				end = u[i].e;
			}
		goto done;
	}
	fold_token(u, k, c, nl);
	for (size_t i = 0; i < k; i++) {
		size_t run = 1;

		if (!c[i])
			continue;
		/* Three or more of the same letter stand for one. */
		while (is_alpha(c[i]) && i + run < k && c[i + run] == c[i])
			run++;
		if (run >= 3) {
			out_add(n, c[i], u[i].s);
			i += run - 1;
			end = u[i].e;
			continue;
		}
		masked |= c[i] == '*';
		n->ndigits += is_digit(c[i]);
		out_add(n, c[i], u[i].s);
		end = u[i].e;
	}
	w = n->len - at;
	if (masked && vocab && w > 0)
		norm_vocab_unmask(vocab, n->text + at, w);
done:
	/* The space after a word starts where its last character ends, not
	 * after symbols dropped behind it ("you@", "hi!!"), as on the ASCII
	 * path: a span ends with the word. */
	if (n->len > at)
		out_add(n, ' ', end);
}

/* Length of a run of single characters split by single separators
 * ("k i l l", "d-i-e") starting at unit i, in units; 0 if none. */
static size_t
spaced_run(const struct nunit *u, size_t i, size_t nu, size_t min)
{
	size_t j = i, count = 0, last = i;

	for (;;) {
		if (j >= nu || is_sep(u[j].c))
			break;
		if (j + 1 < nu && !is_sep(u[j + 1].c))
			break;  /* not a single character */
		count++;
		last = j;
		if (j + 2 >= nu || is_sep(u[j + 2].c))
			break;
		j += 2;
	}
	return count >= min && count <= 64 ? last + 1 - i : 0;
}

/* Byte classes for the ASCII fast path, agreeing with ascii_fold;
 * anything not listed is a separator. */
enum { F_SEP = 0, F_DROP, F_ALPHA, F_DIGIT, F_HEAD, F_SYM, F_SLOW };

static const uint8_t fast_class[256] = {
	['a' ... 'z'] = F_ALPHA, ['A' ... 'Z'] = F_ALPHA,
	['0' ... '9'] = F_DIGIT,
	['\''] = F_DROP, ['`'] = F_DROP,
	['@'] = F_HEAD, ['#'] = F_HEAD,
	['$'] = F_SYM, ['!'] = F_SYM, ['|'] = F_SYM, ['+'] = F_SYM, ['*'] = F_SYM,
	[128 ... 255] = F_SLOW,
};

/* A word the fast path cannot fold by itself ("d!ck", "k1ll", "diiie",
 * "@user17"): hand its bytes to emit_token() as units. */
static bool
ascii_word(struct norm *n, const unsigned char *p, size_t s, size_t e,
	   const struct norm_vocab *vocab)
{
	struct nunit u[64];
	size_t k = 0;

	for (size_t i = s; i < e; i++) {
		if (ascii_fold[p[i]] == 1)
			continue;  /* apostrophes join */
		if (k == VIGIL_ARRAY_SIZE(u))
			return false;
		u[k].c = ascii_fold[p[i]];
		u[k].s = (uint32_t)i;
		u[k].e = (uint32_t)i + 1;
		k++;
	}
	if (k)
		emit_token(n, u, k, vocab);
	return true;
}

#ifdef __SSE2__
/* The run of ASCII letters at p[i..len), 16 bytes at a time: folded into
 * t[o..] with their offsets in st[o..], as the byte loop of norm_ascii()
 * does it. *c1 and *c2 are the token's last two output bytes before the
 * run, then after it; a third letter in a row sets *odd. Writes up to 16
 * bytes and offsets past the run (norm_run() leaves room). */
static size_t
letter_run(const unsigned char *p, size_t i, size_t len, char *t,
	   uint32_t *st, char *c1, char *c2, bool *odd)
{
	const __m128i bit = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a');
	const __m128i z = _mm_set1_epi8(25);
	size_t run = 0;

	for (;;) {
		unsigned char tail[16], out[16];
		const unsigned char *q = p + i + run;
		__m128i v, lo, x, prev1, prev2, same;
		unsigned mask, n, same3;

		if (len - i - run < sizeof(tail)) {  /* never read past len */
			memset(tail, 0, sizeof(tail));
			memcpy(tail, q, len - i - run);
			q = tail;
		}
		v = _mm_loadu_si128((const __m128i *)q);
		lo = _mm_or_si128(v, bit);
		x = _mm_sub_epi8(lo, a);  /* a letter: 0..25 */
		mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, z), x));
		n = (unsigned)__builtin_ctz(~mask);  /* 16 when all are */
		if (n == 0)
			break;
		_mm_storeu_si128((__m128i *)(t + run), lo);
		for (unsigned k = 0; k < 16; k += 4)
			_mm_storeu_si128((__m128i *)(st + run + k),
					 _mm_add_epi32(_mm_set1_epi32((int)(i + run + k)),
						       _mm_setr_epi32(0, 1, 2, 3)));
		/* Byte j against j - 1 and j - 2, the bytes before the run
		 * being *c1 and *c2. */
		prev1 = _mm_or_si128(_mm_slli_si128(lo, 1),
				     _mm_cvtsi32_si128((unsigned char)*c1));
		prev2 = _mm_or_si128(_mm_slli_si128(lo, 2),
				     _mm_cvtsi32_si128((unsigned char)*c2 |
						       (unsigned char)*c1 << 8));
		same = _mm_and_si128(_mm_cmpeq_epi8(lo, prev1), _mm_cmpeq_epi8(lo, prev2));
		same3 = (unsigned)_mm_movemask_epi8(same) & ((1u << n) - 1);
		*odd |= same3 != 0;
		_mm_storeu_si128((__m128i *)out, lo);
		*c2 = n >= 2 ? (char)out[n - 2] : *c1;
		*c1 = (char)out[n - 1];
		run += n;
		if (n < 16)
			break;
	}
	return run;
}
#endif

/* The fast path for ASCII text: plain words (letters and apostrophes, or
 * only digits, maybe after '@' or '#' and before punctuation) are folded
 * here in one pass, other words through ascii_word(). False means "use
 * the general path": the text is not ASCII, or may hold a word spaced
 * out ("k i l l"). */
static bool
norm_ascii(struct norm *n, const unsigned char *p, size_t len,
	   const struct norm_vocab *vocab, bool simd)
{
	const uint8_t *cls = fast_class;
	char *t = n->text;
	uint32_t *st = n->start;
	size_t i = 0, o = 0;

	t[o] = ' ';
	st[o++] = 0;
	while (i < len) {
		size_t tok, at;
		unsigned nl = 0, nd = 0;
		uint32_t last = 0;
		bool symbol = false, odd = false;
		char c1 = 0, c2 = 0;  /* the token's last two output bytes */

		while (i < len && cls[p[i]] == F_SEP)
			i++;
		if (i == len)
			break;
		tok = i;
		at = o;
		if (cls[p[i]] == F_HEAD) {
			if (p[i] == '@') {
				t[o] = '@';
				st[o++] = (uint32_t)i;
				c1 = '@';
			}
			i++;
		}
		for (; i < len; i++) {
			unsigned char b = p[i];
			uint8_t k = cls[b];

#ifdef __SSE2__
			if (k == F_ALPHA && simd) {
				size_t run = letter_run(p, i, len, t + o, st + o,
							&c1, &c2, &odd);

				odd |= symbol;
				o += run;
				nl += (unsigned)run;
				i += run;
				last = (uint32_t)i;
				i--;  /* the loop steps to the byte after the run */
				continue;
			}
#endif
			if (k == F_ALPHA) {
				char g = (char)(b | 0x20);  /* ascii_fold[] of a letter */

				/* A third letter in a row is stretched ("diiie"). */
				odd |= symbol | ((g == c1) & (g == c2));
				c2 = c1;
				c1 = g;
				t[o] = g;
				st[o++] = (uint32_t)i;
				nl++;
				last = (uint32_t)i + 1;
			} else if (k == F_DIGIT) {
				odd |= symbol;
				c2 = c1;
				c1 = (char)b;
				t[o] = (char)b;
				st[o++] = (uint32_t)i;
				nd++;
				last = (uint32_t)i + 1;
			} else if (k == F_SEP) {
				break;
			} else if (k == F_SLOW) {
				return false;
			} else if (k != F_DROP) {
				symbol = true;
				odd |= nl + nd == 0;  /* "$hit", "!!!" */
			}
		}
		if (i - tok == 1 && i + 2 <= len && cls[p[i + 1]] != F_SEP &&
		    (i + 2 == len || cls[p[i + 2]] == F_SEP))
			return false;  /* maybe "k i l l" */
		if (odd || (nl && nd) || (p[tok] == '@' && !nl)) {
			n->len = at;
			if (!ascii_word(n, p, tok, i, vocab))
				return false;
			o = n->len;
			continue;
		}
		if (nl + nd) {
			t[o] = ' ';
			st[o++] = last;
		} else {
			o = at;
		}
		n->ndigits += nd;
	}
	n->len = o;
	return true;
}

#define SPLIT_LETTERS 24  /* longest spelled-out run cut into words */
#define SPLIT_MAX 16      /* runs a post may have cut */

/* Emit a word spelled out letter by letter, u[0..k). Several words may
 * have been spelled out as one run ("a b i t c h", "k i l l y o u"):
 * when the whole is no rule word, it is cut into rule words, words of
 * rule phrases ("i n t h e g r o u n d": in, the, ground) and the
 * one-letter words a, i, u and y, in the fewest pieces; when no cut
 * covers it, it stays one word. Each cut costs a pass over the rule
 * words per piece tried, so only short runs, and SPLIT_MAX a post. */
static void
emit_spaced(struct norm *n, const struct nunit *u, size_t k,
	    const struct norm_vocab *vocab, unsigned *splits)
{
	char w[SPLIT_LETTERS];
	uint8_t best[SPLIT_LETTERS + 1], next[SPLIT_LETTERS + 1];

	if (!vocab || k < 4 || k > SPLIT_LETTERS || *splits >= SPLIT_MAX)
		goto whole;
	for (size_t i = 0; i < k; i++) {  /* leet letters too: "t r @ n n y" */
		w[i] = u[i].c >= 'a' && u[i].c <= 'z' ? u[i].c : leet(u[i].c);
		if (!w[i])
			goto whole;
	}
	if (norm_vocab_piece(vocab, w, k) || norm_vocab_word(vocab, w, k))
		goto whole;
	(*splits)++;
	/* best[p]: fewest pieces covering w[p..k), next[p] where the first
	 * ends; 0xff: no cover. */
	best[k] = 0;
	for (size_t p = k; p-- > 0;) {
		best[p] = 0xff;
		for (size_t e = k; e > p; e--) {
			size_t l = e - p;
			bool piece = l == 1 ? strchr("aiuy", w[p]) != NULL :
				     norm_vocab_piece(vocab, w + p, l) ||
				     (l >= 3 && norm_vocab_word(vocab, w + p, l));

			if (piece && best[e] != 0xff && best[e] + 1 < best[p]) {
				best[p] = (uint8_t)(best[e] + 1);
				next[p] = (uint8_t)e;
			}
		}
	}
	if (best[0] == 0xff || best[0] < 2)
		goto whole;
	for (size_t p = 0; p < k; p = next[p])
		emit_token(n, u + p, next[p] - p, vocab);
	return;
whole:
	emit_token(n, u, k, vocab);
}

enum { PATH_GENERAL, PATH_ASCII_BYTES, PATH_ASCII };

static vigil_error
norm_run_paths(struct norm *n, const char *text, size_t len,
	       const struct norm_vocab *vocab, int path)
{
	size_t need = len * 3 + 16, i = 0, nu;
	bool joined_before = false;
	unsigned splits = 0;

	if (len > NORM_MAX)
		return VIGIL_E_TOOBIG;
	if (need > n->alloc) {
		char *t = realloc(n->text, need);
		uint32_t *s = t ? realloc(n->start, need * sizeof(uint32_t)) : NULL;
		struct nunit *u = s ? realloc(n->units, need * sizeof(*u)) : NULL;

		if (t)
			n->text = t;
		if (s)
			n->start = s;
		if (u)
			n->units = u;
		if (!u)
			return VIGIL_E_NOMEM;
		n->alloc = need;
	}
	n->nunits = 0;
	n->len = 0;
	n->invalid = false;
	n->ndigits = 0;
	/* The fast path has no "(((" echo (decode()). */
	if (path != PATH_GENERAL && !has_echo(text, len) &&
	    norm_ascii(n, (const unsigned char *)text, len, vocab, path == PATH_ASCII))
		goto done;
	n->len = 0;
	n->ndigits = 0;
	decode(n, text, len);
	nu = n->nunits;
	out_add(n, ' ', 0);
	while (i < nu) {
		size_t j, run;

		if (is_sep(n->units[i].c)) {
			i++;
			continue;
		}
		/* After one spaced-out word, the next may be two letters. */
		run = spaced_run(n->units, i, nu, joined_before ? 2 : 3);
		joined_before = run > 0;
		if (run) {
			/* Join the characters, dropping the separators. */
			struct nunit joined[64];
			size_t k = 0;

			for (j = i; j < i + run && k < VIGIL_ARRAY_SIZE(joined); j += 2)
				joined[k++] = n->units[j];
			emit_spaced(n, joined, k, vocab, &splits);
			i += run;
			continue;
		}
		for (j = i; j < nu && !is_sep(n->units[j].c); j++)
			;
		emit_token(n, n->units + i, j - i, vocab);
		i = j;
	}
done:
	n->text[n->len] = '\0';
	n->start[n->len] = (uint32_t)len;  /* so start[e] ends any span */
	return VIGIL_OK;
}

vigil_error
norm_run(struct norm *n, const char *text, size_t len,
	 const struct norm_vocab *vocab)
{
	return norm_run_paths(n, text, len, vocab, PATH_ASCII);
}

vigil_error
norm_run_general(struct norm *n, const char *text, size_t len,
		 const struct norm_vocab *vocab)
{
	return norm_run_paths(n, text, len, vocab, PATH_GENERAL);
}

vigil_error
norm_run_bytes(struct norm *n, const char *text, size_t len,
	       const struct norm_vocab *vocab)
{
	return norm_run_paths(n, text, len, vocab, PATH_ASCII_BYTES);
}

size_t
norm_to_text_offset(const struct norm *n, size_t orig)
{
	size_t lo = 0, hi = n->len;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (n->start[mid] < orig)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
