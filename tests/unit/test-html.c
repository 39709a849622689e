/* SPDX-License-Identifier: Apache-2.0 */
/* test-html.c - HTML to the text a reader sees. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "vigil-private.h"

static const struct {
	const char *html, *text;
} cases[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "<p>Hello <b>world</b></p>", "Hello world" },
	{ "<p>one</p><p>two</p>", "one\n\ntwo" },
	{ "a<br>b<br/>c<BR />d", "a\nb\nc\nd" },
	{ "a<br><br>b", "a\n\nb" },
	{ "&amp;&lt;&gt;&quot;&apos;&#39;", "&<>\"''" },
	{ "caf&eacute; &euro;5 &hellip;", "caf\xc3\xa9 \xe2\x82\xac" "5 \xe2\x80\xa6" },
	{ "&#x1F600;&#128512;", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80" },
	{ "\xf0\x9f\x98\xa1 raw emoji", "\xf0\x9f\x98\xa1 raw emoji" },
	{ "&#0;&#xD800;&#x110000;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "&#150;", "\xe2\x80\x93" },
	{ "&unknown; & &amp", "&unknown; & &amp" },
	{ "a&nbsp;&nbsp;b", "a  b" },
	{ "  lots   of\n\n white\tspace  ", "lots of white space" },
	{ "<p>  lead</p>  <p>trail  </p>", "lead\n\ntrail" },
	{ "x<script>alert('<p>')</script>y", "xy" },
	{ "x<style>p{}</style>y<!-- <p>c</p> -->z", "xyz" },
	{ "<a href=\"x>y\" title='a>b'>link</a>", "link" },
	{ "1 < 2 and 3 > 2", "1 < 2 and 3 > 2" },
	{ "<pre>  keep\n   this</pre>after", "  keep\n   this\nafter" },
	{ "<ul><li>one</li><li>two</li></ul>", "one\ntwo" },
	{ "<div class=\"md\"><p>reddit</p>\n</div>", "reddit" },
	{ "<p><span class=\"invisible\">https://</span><span class=\"ellipsis\">"
	  "example.com/pa</span><span class=\"invisible\">ge</span></p>",
	  "https://example.com/page" },
	{ "<!DOCTYPE html><html><body>doc</body></html>", "doc" },
	{ "unterminated <b", "unterminated" },
	{ "<", "<" },
	{ "&", "&" },
	{ "&#", "&#" },
	{ "&#x;", "&#x;" },
};

START_TEST(test_cases)
{
	char *out = (char *)0x1;
	size_t len = 0;

	ck_assert_int_eq(vigil_html_to_text(cases[_i].html, strlen(cases[_i].html),
					    &out, &len), VIGIL_OK);
	ck_assert_str_eq(out, cases[_i].text);
	ck_assert_uint_eq(len, strlen(cases[_i].text));
	free(out);
}
END_TEST

START_TEST(test_nul_inside)
{
	const char html[] = "a\0b";
	char *out;
	size_t len;

	/* A NUL byte becomes U+FFFD: text stays a C string. */
	ck_assert_int_eq(vigil_html_to_text(html, 3, &out, &len), VIGIL_OK);
	ck_assert_str_eq(out, "a\xef\xbf\xbd" "b");
	ck_assert_uint_eq(len, 5);
	free(out);
}
END_TEST

START_TEST(test_bounded)
{
	struct vbuf b;

	vbuf_init(&b, 4);
	ck_assert_int_eq(html_to_text("<p>too long</p>", 15, &b), VIGIL_E_TOOBIG);
	vbuf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("html");

	tcase_add_loop_test(tc, test_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_nul_inside);
	tcase_add_test(tc, test_bounded);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
