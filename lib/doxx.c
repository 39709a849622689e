/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doxx.c - detectors for private information that rules cannot spell out
 * as words: phone numbers (digits or spelled out), street addresses,
 * e-mail addresses, licence plates, dates, times of day and identity
 * numbers.
 *
 * They only say "this looks like a phone number"; whether it is private
 * (a home phone) or published (a clinic's booking line) is for the rules
 * to weigh, from the words around it.
 */
#include <string.h>

#include "vigil-private.h"

#define MAX_TOKENS_AHEAD 6   /* "1 555 212 4433", "12 aspen court" */

struct tok {
	uint32_t s, e;   /* normalised text span */
	uint32_t w;      /* word index */
	uint8_t ndig;    /* digits, when the token is only digits */
	uint8_t alpha;   /* letters only */
};

static const char *const digit_words[] = {
	" zero", " oh", " one", " two", " three", " four", " five", " six",
	" seven", " eight", " nine", " un", " deux", " trois", " quatre",
	" cinq", " sept", " huit", " neuf",
};
static const int8_t digit_values[] = {
	0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 7, 8, 9,
};

static const char *const street_words[] = {
	"street", "st", "road", "rd", "avenue", "ave", "av", "court", "ct",
	"drive", "lane", "ln", "boulevard", "blvd", "way", "crescent", "cres",
	"place", "pl", "terrace", "circle", "cir", "highway", "hwy",
	"parkway", "pkwy", "trail", "rue", "chemin", "rang", "montee", "close",
	"grove", "square", "sq", "row", "apt", "apartment", "impasse",
	"allee", "quai", "promenade", "mews", "gardens", "heights", "crest",
	"ridge", "parade",
};

/* Street words that come before the name (French). */
static const char *const street_first[] = {
	"rue", "chemin", "rang", "boul", "boulevard", "montee", "route",
	"avenue", "av", "impasse", "allee", "quai", "place", "promenade",
};

/* Words that are not part of a street's name. */
static const char *const not_names[] = {
	"the", "a", "an", "of", "in", "on", "at", "to", "for", "and", "or",
	"every", "each", "my", "your", "his", "her", "our", "their", "this",
	"that", "these", "those", "some", "any", "all", "no", "more", "less",
	"years", "year", "days", "day", "times", "people", "kids", "men",
	"women", "minutes", "hours", "weeks", "months", "lbs", "kg", "km",
	"only", "one", "two", "other", "same", "long", "better", "best",
	"right", "wrong", "own", "easy", "hard", "big", "small", "most",
	"different", "new", "old", "you", "i", "we", "they", "he", "she",
	"it", "me", "him", "them", "u", "can", "will", "would", "could",
	"should", "must", "be", "was", "is", "are", "way", "ways", "just",
	/* Words often before a number: "age 38", "room 12", "over 50". */
	"age", "aged", "ages", "room", "rm", "bed", "beds", "ward", "unit",
	"gate", "bay", "exit", "page", "pg", "apt", "lot", "row", "seat",
	"line", "bus", "code", "ext", "box", "week", "wk", "wks",
	"grade", "form", "bill", "act", "vol", "mile", "hwy", "top", "mid",
	"late", "next", "last", "past", "near", "over", "like", "with", "by",
	"from", "than", "got", "get", "had", "has", "have", "not", "im", "re",
	"as", "up", "out", "its", "but", "if", "am", "now", "been", "were",
	"say", "back", "even", "then", "hot", "turn", "work", "go", "size",
	"want", "paid", "many", "bet", "make", "vs", "try", "so", "wait",
	"down", "post", "need", "when", "took", "man", "see", "what", "till",
	"user", "hit", "take", "lost", "into", "onto", "upon", "also", "here",
	"le", "la", "les", "un", "une", "des", "du", "de", "en", "au", "aux",
	"et", "ou", "sur", "dans", "pour", "par", "avec", "sans", "ans",
	"mon", "ton", "son", "ma", "ta", "sa", "nos", "vos", "ce", "cet",
	"lit", "vers", "plus", "tous", "tout",
};

static const char *const months[] = {
	"jan", "january", "feb", "february", "mar", "march", "apr", "april",
	"may", "jun", "june", "jul", "july", "aug", "august", "sep", "sept",
	"september", "oct", "october", "nov", "november", "dec", "december",
	"janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet",
	"aout", "septembre", "octobre", "novembre", "decembre",
};

static const char *const free_mail[] = {
	"gmail.", "googlemail.", "yahoo.", "hotmail.", "outlook.", "live.",
	"icloud.", "me.com", "aol.", "proton", "pm.me", "gmx.", "mail.com",
	"videotron.", "sympatico.", "shaw.", "rogers.", "telus.", "bell.net",
	"orange.fr", "free.fr", "laposte.", "yandex.", "zoho.",
};

static const char *const day_parts[] = {
	"am", "pm", "oclock", "h", "hrs", "hours",
};

/* "6am", "11pm", "18h30", "6h": one or two digits, then am, pm or h. */
static bool
is_time(const char *p, size_t len)
{
	size_t d = 0;

	while (d < len && d < 3 && p[d] >= '0' && p[d] <= '9')
		d++;
	if (d == 0 || d > 2)
		return false;
	if (len - d == 2 && (p[d] == 'a' || p[d] == 'p') && p[d + 1] == 'm')
		return true;
	if (p[d] != 'h')
		return false;
	for (size_t i = d + 1; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return len - d - 1 <= 2;
}

static bool
word_in(const char *t, size_t len, const char *const *list, size_t n)
{
	/* The first letter first: most words are in no list. */
	for (size_t i = 0; i < n; i++)
		if (list[i][0] == t[0] && strncmp(list[i], t, len) == 0 &&
		    list[i][len] == '\0')
			return true;
	return false;
}

vigil_error
doxx_prepare(struct ruleset *rs)
{
	if (rs->det_lit[DET_SPELLED_PHONE] == UINT32_MAX)
		return VIGIL_OK;
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(digit_words); i++) {
		uint32_t id = ruleset_intern(rs, digit_words[i], false, DET_NONE);

		if (id == UINT32_MAX)
			return VIGIL_E_NOMEM;
		rs->lits[id].dword = digit_values[i];
	}
	return VIGIL_OK;
}

static void
tok_classify(const char *text, struct tok *t)
{
	const char *p = text + t->s;
	size_t len = t->e - t->s, nd = 0, na = 0;

	for (size_t i = 0; i < len; i++) {
		nd += p[i] >= '0' && p[i] <= '9';
		na += p[i] >= 'a' && p[i] <= 'z';
	}
	t->ndig = nd == len && len < 256 ? (uint8_t)len : 0;
	t->alpha = na == len;
}

static vigil_error
emit(const struct ruleset *rs, int det, const struct tok *a,
     const struct tok *b, struct hits *h)
{
	if (rs->det_lit[det] == UINT32_MAX)
		return VIGIL_OK;
	return hits_add(h, rs->det_lit[det], a->w, b->w, a->s, b->e);
}

/* A street name with its suffix in one word: "kingsway", "broadway". */
static bool
fused_street(const char *p, size_t len)
{
	static const char *const ends[] = { "way", "street", "road", "avenue", "drive" };

	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(ends); i++) {
		size_t el = strlen(ends[i]);
		if (len >= el + 3 && memcmp(p + len - el, ends[i], el) == 0)
			return true;
	}
	return false;
}

/* Two to four letters and two to five digits, nothing else. */
static bool
plate_like(const char *p, size_t len)
{
	size_t letters = 0, digits = 0;

	for (size_t i = 0; i < len; i++) {
		letters += p[i] >= 'a' && p[i] <= 'z';
		digits += p[i] >= '0' && p[i] <= '9';
	}
	return letters + digits == len && letters >= 2 && letters <= 4 &&
	       digits >= 2 && digits <= 5;
}

/* The value of a token of digits. */
static unsigned
tok_value(const char *text, const struct tok *t)
{
	unsigned v = 0;

	for (uint32_t i = t->s; i < t->e; i++)
		v = v * 10 + (unsigned)(text[i] - '0');
	return v;
}

/* Digit groups as phone numbers are written: 3-4, 3-3-4, 1-3-3-4,
 * 3-7, 2-2-2-2-2 (France), 5-6, 5-3-3 and 4-3-4 (the UK), 2-4-6 and
 * 2-1-2-2-2-2 (+44, +33), or one run of 7, 10 or 11. */
static bool
phone_groups(const char *text, const struct tok *t, size_t k)
{
	static const struct {
		uint8_t g[6];
		unsigned first;   /* the country code it starts with, or 0 */
	} forms[] = {
		{ { 3, 4 }, 0 }, { { 3, 3, 4 }, 0 }, { { 1, 3, 3, 4 }, 0 },
		{ { 3, 7 }, 0 }, { { 2, 2, 2, 2, 2 }, 0 }, { { 1, 3, 7 }, 0 },
		{ { 3, 3, 2, 2 }, 0 }, { { 5, 6 }, 0 }, { { 5, 3, 3 }, 0 },
		{ { 4, 3, 4 }, 0 }, { { 2, 4, 6 }, 44 }, { { 2, 1, 2, 2, 2, 2 }, 33 },
	};

	for (size_t f = 0; f < VIGIL_ARRAY_SIZE(forms); f++) {
		size_t i = 0;

		while (i < k && i < 6 && forms[f].g[i] == t[i].ndig)
			i++;
		if (i == k && (k == 6 || forms[f].g[k] == 0) &&
		    (!forms[f].first || tok_value(text, &t[0]) == forms[f].first))
			return true;
	}
	return false;
}

/* "7:45", "18:30": hours and minutes written with a colon, which the
 * normaliser made two words; the colon is read in the original. */
static bool
clock_time(const char *orig, const struct norm *nm, const struct tok *t,
	   size_t n)
{
	uint32_t colon;

	if (n < 2 || t[0].ndig == 0 || t[0].ndig > 2 || t[1].ndig != 2 ||
	    tok_value(nm->text, &t[0]) > 23 || tok_value(nm->text, &t[1]) > 59)
		return false;
	colon = nm->start[t[1].s];
	return colon >= 2 && orig[colon - 1] == ':' &&
	       nm->start[t[0].e - 1] == colon - 2;
}

static bool
is_month(const char *text, const struct tok *t)
{
	return t->alpha && word_in(text + t->s, t->e - t->s, months,
				   VIGIL_ARRAY_SIZE(months));
}

/* Detectors that start at token k of t[0..n). */
static vigil_error
detect_at(const struct ruleset *rs, const char *orig, const struct norm *nm,
	  const struct tok *t, size_t n, bool inside_number, struct hits *h)
{
	const char *text = nm->text;
	const struct tok *x = &t[0];
	vigil_error r = VIGIL_OK;
	size_t digits = 0, j;

	if (x->ndig) {
		/* Digit groups: phones as they are written, ids (3-2-4, 3-3-3),
		 * dates; only from the first group of a number. */
		for (j = 0; !inside_number && j < n && t[j].ndig && t[j].ndig <= 11; j++) {
			digits += t[j].ndig;
			if (j > 0 && phone_groups(text, t, j + 1))
				r = emit(rs, DET_PHONE, x, &t[j], h);
			if (j == 2 && x->ndig == 3 && digits == 9 &&
			    (t[1].ndig == 2 || t[1].ndig == 3))
				r = emit(rs, DET_IDNUM, x, &t[j], h);
			/* France's social-security number: a 1 or a 2, then
			 * year, month, place, order and key in groups
			 * ("1 76 04 13 055 218 42"), 13 or 15 digits. Seven
			 * groups outrun the window: the span then ends at the
			 * sixth, before the key. */
			if (j >= 4 && x->ndig == 1 && t[1].ndig == 2 && t[2].ndig == 2 &&
			    (text[x->s] == '1' || text[x->s] == '2') &&
			    (digits == 13 || digits == 15) &&
			    (j + 1 == n || !t[j + 1].ndig))
				r = emit(rs, DET_IDNUM, x, &t[j], h);
			if (j == 2 && ((t[0].ndig <= 2 && t[1].ndig <= 2 &&
					(t[2].ndig == 4 || t[2].ndig == 2)) ||
				       (t[0].ndig == 4 && t[1].ndig <= 2 && t[2].ndig <= 2)))
				r = emit(rs, DET_DATE, x, &t[j], h);
			if (r != VIGIL_OK)
				return r;
		}
		if (inside_number)
			return VIGIL_OK;
		if (j == 1 && (x->ndig == 10 || x->ndig == 7 || x->ndig == 11))
			r = emit(rs, DET_PHONE, x, x, h);
		else if (j == 1 && x->ndig == 9)
			r = emit(rs, DET_IDNUM, x, x, h);
		if (r != VIGIL_OK)
			return r;
		/* Street address: a number, a name, then a street word
		 * ("12 aspen court"; not "3 every place"). French puts the
		 * street word first ("45 rue des erables"). */
		for (j = 1; x->ndig <= 5 && j < n && j <= 4 && t[j].alpha; j++) {
			bool street = word_in(text + t[j].s, t[j].e - t[j].s, street_words,
					      VIGIL_ARRAY_SIZE(street_words));

			street |= j == 1 && fused_street(text + t[j].s, t[j].e - t[j].s);
			if (street && (j > 1 || fused_street(text + t[j].s, t[j].e - t[j].s) ||
				       word_in(text + t[j].s, t[j].e - t[j].s, street_first,
					       VIGIL_ARRAY_SIZE(street_first))))
				return emit(rs, DET_ADDRESS, x, &t[j], h);
			if (word_in(text + t[j].s, t[j].e - t[j].s, not_names,
				    VIGIL_ARRAY_SIZE(not_names)))
				break;
		}
		/* 7:45, 18:30, 7:45 pm */
		if (clock_time(orig, nm, t, n))
			return emit(rs, DET_TIME, x, n >= 3 && t[2].alpha &&
				    word_in(text + t[2].s, t[2].e - t[2].s, day_parts, 2) ?
				    &t[2] : &t[1], h);
		/* 6 am, 11 pm, 7 oclock */
		if (n >= 2 && x->ndig <= 2 && t[1].alpha &&
		    word_in(text + t[1].s, t[1].e - t[1].s, day_parts,
			    VIGIL_ARRAY_SIZE(day_parts)))
			return emit(rs, DET_TIME, x, &t[1], h);
		/* 12 march 1980 */
		if (n >= 2 && x->ndig <= 2 && is_month(text, &t[1]))
			return emit(rs, DET_DATE, x, n >= 3 && t[2].ndig == 4 ?
				    &t[2] : &t[1], h);
		return VIGIL_OK;
	}
	/* march 12 1980 */
	if (n >= 2 && t[1].ndig && t[1].ndig <= 2 && is_month(text, x))
		return emit(rs, DET_DATE, x, n >= 3 && t[2].ndig == 4 ? &t[2] :
			    &t[1], h);
	/* Times of day: "6am", "11pm", "18h30". */
	if (!x->alpha && is_time(text + x->s, x->e - x->s))
		return emit(rs, DET_TIME, x, x, h);
	/* Plates: "abc 4521", "abc4521", "7abc123". */
	if (!x->alpha && x->e - x->s >= 5 && x->e - x->s <= 8 &&
	    plate_like(text + x->s, x->e - x->s))
		return emit(rs, DET_PLATE, x, x, h);
	/* Not a common short word before a number ("at 35", "in 2020"). */
	if (x->alpha && x->e - x->s >= 2 && x->e - x->s <= 4 && n >= 2 &&
	    t[1].ndig >= 2 && t[1].ndig <= 4 &&
	    !word_in(text + x->s, x->e - x->s, not_names, VIGIL_ARRAY_SIZE(not_names)))
		return emit(rs, DET_PLATE, x, &t[1], h);
	/* Quebec's newer plates: a letter, two digits, three letters
	 * ("g72 klm"; not "b12 and"). */
	if (x->e - x->s == 3 && text[x->s] >= 'a' && text[x->s] <= 'z' &&
	    text[x->s + 1] >= '0' && text[x->s + 1] <= '9' &&
	    text[x->s + 2] >= '0' && text[x->s + 2] <= '9' && n >= 2 &&
	    t[1].alpha && t[1].e - t[1].s == 3 &&
	    !word_in(text + t[1].s, 3, not_names, VIGIL_ARRAY_SIZE(not_names)))
		return emit(rs, DET_PLATE, x, &t[1], h);
	return VIGIL_OK;
}

uint32_t
doxx_word_at(const struct norm *n, size_t pos)
{
	uint32_t w = 0;

	for (size_t i = 0; i < pos && i < n->len; i++)
		w += n->text[i] == ' ';
	return w;
}

static bool
email_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	       c == '+' || c == '%';
}

/* E-mail addresses, found in the original text. */
static vigil_error
scan_email(const struct ruleset *rs, const char *orig, size_t len,
	   const struct norm *n, struct hits *h)
{
	const char *p = orig, *end = orig + len;

	while ((p = memchr(p, '@', (size_t)(end - p)))) {
		const char *a = p, *b = p + 1, *dot = NULL;
		bool personal = false;
		size_t s, e;
		vigil_error r;

		while (a > orig && email_char((unsigned char)a[-1]))
			a--;
		while (b < end && email_char((unsigned char)*b))
			dot = *b == '.' ? b : dot, b++;
		while (b > p + 1 && b[-1] == '.')
			b--;
		/* The sentence's full stop was the last dot seen: find the
		 * domain's own ("x@gmail.com." at the end of a sentence). */
		if (dot && dot >= b)
			dot = memrchr(p + 1, '.', (size_t)(b - p - 1));
		p++;
		if (a == p - 1 || !dot || dot >= b - 2 || dot == p)
			continue;
		for (size_t i = 0; i < VIGIL_ARRAY_SIZE(free_mail); i++)
			if (memmem(p, (size_t)(b - p), free_mail[i], strlen(free_mail[i])))
				personal = true;
		s = norm_to_text_offset(n, (size_t)(a - orig));
		e = norm_to_text_offset(n, (size_t)(b - orig));
		if (e <= s)
			continue;
		r = hits_add(h, rs->det_lit[personal ? DET_PERSONAL_EMAIL : DET_EMAIL],
			     doxx_word_at(n, s + 1), doxx_word_at(n, e), (uint32_t)s,
			     (uint32_t)e);
		if (r != VIGIL_OK || rs->det_lit[DET_EMAIL] == UINT32_MAX)
			return r;
		if (personal && (r = hits_add(h, rs->det_lit[DET_EMAIL],
					      doxx_word_at(n, s + 1), doxx_word_at(n, e),
					      (uint32_t)s, (uint32_t)e)) != VIGIL_OK)
			return r;
	}
	return VIGIL_OK;
}

/* Text without digits: only a phone number spelled out can be here.
 * The automaton found the digit words; look for seven in a row. */
static vigil_error
scan_spelled(const struct ruleset *rs, struct hits *h)
{
	const uint8_t *flags = rs->litflags;  /* not rs->lits: one byte a hit */
	size_t n = h->n, run = 0, first = 0;

	for (size_t i = 0; i < n; i++) {
		const struct hit *x = &h->v[i];

		if (!(flags[x->lit] & LIT_F_DWORD))
			continue;
		if (run && x->wstart == h->v[i - 1].wend + 1 &&
		    (flags[h->v[i - 1].lit] & LIT_F_DWORD)) {
			run++;
		} else {
			if (run >= 7)
				break;
			run = 1;
			first = i;
		}
		if (run >= 7 && (i + 1 == n || !(flags[h->v[i + 1].lit] & LIT_F_DWORD) ||
				 h->v[i + 1].wstart != x->wend + 1)) {
			const struct hit *a = &h->v[first];
			return hits_add(h, rs->det_lit[DET_SPELLED_PHONE], a->wstart,
					x->wend, a->s, x->e);
		}
	}
	return VIGIL_OK;
}

/* The space after the word at text offset i, or the end of the text.
 * Words are short: a loop, not memchr(). */
static inline size_t
word_end(const struct norm *n, size_t i)
{
	while (i < n->len && n->text[i] != ' ')
		i++;
	return i;
}

/* Up to MAX_TOKENS_AHEAD tokens from text offset i (word w) into win. */
static size_t
window(const struct norm *n, size_t i, uint32_t w, struct tok *win)
{
	size_t k = 0;

	while (k < MAX_TOKENS_AHEAD && i < n->len) {
		size_t e = word_end(n, i);
		struct tok *t = &win[k++];

		t->s = (uint32_t)i;
		t->e = (uint32_t)e;
		t->w = w++;
		tok_classify(n->text, t);
		i = e + 1;
	}
	return k;
}

/* Whether the original text between normalised offsets a and b breaks a
 * number: a comma or semicolon and a space ("apt 1207, 55 lakeshore
 * blvd" is a unit, then an address; "1 800 555" one number). */
static bool
number_break(const char *orig, const struct norm *n, size_t a, size_t b)
{
	for (size_t k = n->start[a]; k + 1 < n->start[b]; k++)
		if ((orig[k] == ',' || orig[k] == ';') &&
		    (orig[k + 1] == ' ' || orig[k + 1] == '\t' || orig[k + 1] == '\n'))
			return true;
	return false;
}

vigil_error
doxx_scan(const struct ruleset *rs, const char *orig, size_t len,
	  const struct norm *n, struct hits *h)
{
	struct tok win[MAX_TOKENS_AHEAD];
	size_t i = 1, prev = 0, started = 0;
	bool prev_number = false;  /* the word before was all digits */
	uint32_t w = 1;
	vigil_error r = VIGIL_OK;

	if (rs->det_lit[DET_PERSONAL_EMAIL] != UINT32_MAX &&
	    rs->det_lit[DET_EMAIL] != UINT32_MAX &&
	    memchr(orig, '@', len) &&
	    (r = scan_email(rs, orig, len, n, h)) != VIGIL_OK)
		return r;
	if (rs->det_lit[DET_SPELLED_PHONE] != UINT32_MAX &&
	    (r = scan_spelled(rs, h)) != VIGIL_OK)
		return r;
	/* Every other detector holds a digit in its first two tokens: start
	 * windows at each token with a digit and at the one before it. */
	while (r == VIGIL_OK && n->ndigits && i < n->len) {
		size_t e = i, nd = 0, d = i;
		bool digit;

		/* Words without a digit only move prev and w: go straight
		 * to the next word with one. */
		while (d < n->len && (n->text[d] < '0' || n->text[d] > '9'))
			d++;
		if (d == n->len)
			break;
		while (d > i && n->text[d - 1] != ' ')
			d--;
		if (d > i) {
			size_t pw = d - 1;  /* the space ending the word before */

			for (size_t k = i; k < d; k++)
				w += n->text[k] == ' ';
			while (pw > i && n->text[pw - 1] != ' ')
				pw--;
			prev_number = pw == d - 1;
			prev = pw;
			i = e = d;
		}
		for (; e < n->len && n->text[e] != ' '; e++)
			nd += n->text[e] >= '0' && n->text[e] <= '9';
		digit = nd > 0;
		/* Only a month ("march 12") or plate letters ("abc 4521") can
		 * start a detector on the word before the digits. */
		if (digit && prev > started && i - 1 - prev <= 9 &&
		    n->text[prev] >= 'a' && n->text[prev] <= 'z') {
			r = detect_at(rs, orig, n, win, window(n, prev, w - 1, win),
				      false, h);
			started = prev;
		}
		if (digit && r == VIGIL_OK) {
			r = detect_at(rs, orig, n, win, window(n, i, w, win),
				      prev_number, h);
			started = i;
		}
		prev_number = nd == e - i && e + 1 < n->len &&
			      !number_break(orig, n, e - 1, e + 1);
		prev = i;
		i = e + 1;
		w++;
	}
	return r;
}
