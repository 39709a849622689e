/* SPDX-License-Identifier: Apache-2.0 */
/* test-connectors.c - every platform's page parser on recorded-shape
 * fixtures (synthetic posts), plus cursors, marks and raw-byte spans. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "fixture.h"
#include "vigil-private.h"

static struct parsed_page pp;
static struct http_response resp;
static char err[VIGIL_ERRBUF_SIZE];

static void
setup(void)
{
	memset(&pp, 0, sizeof(pp));
	err[0] = '\0';
}

static void
teardown(void)
{
	parsed_page_clear(&pp);
	http_response_clear(&resp);
}

static vigil_error
parse(const struct connector *c, bool search, const char *since,
      const char *fixture, const char *headers)
{
	vigil_source src = { .conn = c, .search = search };
	struct walk w = { .since = (char *)since };

	fixture_response(fixture, headers, &resp);
	return c->page_parse(&src, &w, &resp, &pp, err);
}

/* The payload is exactly the bytes of one element of the page. */
static void
assert_payload(const vigil_post *p, const char *needle)
{
	json_t *j;

	ck_assert_ptr_nonnull(p->payload);
	ck_assert_ptr_nonnull(memmem(resp.body.data, resp.body.len, p->payload,
				     p->payload_len));
	ck_assert_int_eq(p->payload[0], '{');
	ck_assert_int_eq(p->payload[p->payload_len - 1], '}');
	j = json_loadb(p->payload, p->payload_len, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_decref(j);
	ck_assert_ptr_nonnull(strstr(p->payload, needle));
}

#define MASTODON_LINK "Link: <http://h/api/v1/notifications?max_id=900008&types[]=mention>; " \
	"rel=\"next\", <http://h/api/v1/notifications?min_id=900012&types[]=mention>; rel=\"prev\"\r\n"

START_TEST(test_mastodon)
{
	const vigil_post *p;

	ck_assert_int_eq(parse(&conn_mastodon, false, NULL, "mastodon-notifications.json",
			       MASTODON_LINK), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 3);  /* the follow is skipped */
	ck_assert_str_eq(pp.top, "900012");
	ck_assert_str_eq(pp.next, "900008");
	ck_assert(!pp.reached);
	p = pp.posts[0];
	ck_assert_str_eq(p->platform, "mastodon");
	ck_assert_str_eq(p->id, "100012");
	ck_assert_str_eq(p->url, "https://other.example/@harasser5/100012");
	ck_assert_str_eq(p->created_at, "2025-11-20T12:12:00.000Z");
	ck_assert_str_eq(p->text, "@drsynthetic post 12: you are a \"fraud\" & a <quack> "
			 "\xf0\x9f\x98\xa1 caf\xc3\xa9 \xf0\x9f\x98\x80\n\nsecond para\nline two");
	ck_assert_str_eq(p->lang, "en");
	ck_assert_str_eq(p->in_reply_to, "100011");
	ck_assert_str_eq(p->author_id, "505");
	ck_assert_str_eq(p->author_handle, "harasser5@other.example");
	ck_assert_str_eq(p->author_name, "Synthetic Harasser 5");
	ck_assert_str_eq(p->author_url, "https://other.example/@harasser5");
	ck_assert_uint_eq(p->n_attachments, 1);
	ck_assert_str_eq(p->attachments[0].url, "https://files.example/m12.png");
	ck_assert_str_eq(p->attachments[0].type, "image");
	assert_payload(p, "\"id\": \"900012\"");
	ck_assert_ptr_null(strstr(p->payload, "900011"));
	ck_assert(strncmp(pp.posts[1]->text, "CW: abuse\n\n@drsynthetic", 23) == 0);
	ck_assert_ptr_null(pp.posts[1]->in_reply_to);
}
END_TEST

START_TEST(test_mastodon_since)
{
	ck_assert_int_eq(parse(&conn_mastodon, false, "900011", "mastodon-notifications.json",
			       MASTODON_LINK), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 1);
	ck_assert(pp.reached);
	ck_assert_str_eq(pp.top, "900012");
}
END_TEST

START_TEST(test_bluesky)
{
	const vigil_post *p;

	ck_assert_int_eq(parse(&conn_bluesky, false, NULL, "bluesky-notifications.json",
			       NULL), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 3);  /* the like is skipped */
	ck_assert_str_eq(pp.next, "2025-11-20T12:26:00.000Z::bafy");
	ck_assert_str_eq(pp.top, "at://did:plc:harasser0a/app.bsky.feed.post/3kpost00030 "
			 "2025-11-20T12:30:00.000Z");
	p = pp.posts[0];
	ck_assert_str_eq(p->id, "at://did:plc:harasser0a/app.bsky.feed.post/3kpost00030");
	ck_assert_str_eq(p->url, "https://bsky.app/profile/did:plc:harasser0a/post/3kpost00030");
	ck_assert_str_eq(p->text, "@drsynthetic.test post 30: AT&amp;T <b>not html</b> \xf0\x9f\x98\xa1");
	ck_assert_str_eq(p->author_id, "did:plc:harasser0a");
	ck_assert_str_eq(p->author_handle, "harasser0.test");
	ck_assert_str_eq(p->author_url, "https://bsky.app/profile/did:plc:harasser0a");
	ck_assert_str_eq(p->in_reply_to, "at://did:plc:drsynthetic/app.bsky.feed.post/3parent30");
	ck_assert_str_eq(p->lang, "en");
	assert_payload(p, "3kpost00030");
	p = pp.posts[2];
	ck_assert_uint_eq(p->n_attachments, 1);
	ck_assert_str_eq(p->attachments[0].url, "https://cdn.bsky.app/img/feed_fullsize/"
			 "plain/did:plc:harasser1a/bafkreiimage1@jpeg");
}
END_TEST

START_TEST(test_bluesky_since)
{
	/* By key: stops at item 27. */
	ck_assert_int_eq(parse(&conn_bluesky, false,
			       "at://did:plc:harasser2a/app.bsky.feed.post/3kpost00027 "
			       "2025-11-20T12:27:00.000Z", "bluesky-notifications.json",
			       NULL), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 1);
	ck_assert(pp.reached);
	teardown();
	setup();
	/* By time alone (the last-seen post was deleted). */
	ck_assert_int_eq(parse(&conn_bluesky, false, "at://gone 2025-11-20T12:27:30Z",
			       "bluesky-notifications.json", NULL), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 1);
	ck_assert(pp.reached);
}
END_TEST

START_TEST(test_bluesky_search)
{
	ck_assert_int_eq(parse(&conn_bluesky, true, NULL, "bluesky-search.json", NULL),
			 VIGIL_OK);
	ck_assert_uint_eq(pp.n, 2);
	ck_assert_ptr_null(pp.next);
	ck_assert_uint_eq(pp.posts[0]->n_attachments, 1);
	ck_assert_str_eq(pp.posts[0]->attachments[0].url,
			 "https://cdn.bsky.app/img/feed_fullsize/plain/x/y@jpeg");
	assert_payload(pp.posts[1], "3kpost00039");
}
END_TEST

START_TEST(test_x)
{
	const vigil_post *p;

	ck_assert_int_eq(parse(&conn_x, false, NULL, "x-mentions.json", NULL), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 3);
	ck_assert_str_eq(pp.top, "1800000000000000008");
	ck_assert_str_eq(pp.next, "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i");
	p = pp.posts[0];
	ck_assert_str_eq(p->url, "https://x.com/harasser_7002/status/1800000000000000008");
	ck_assert_str_eq(p->text, "@drsynthetic post 8: fraud & <quack> \xf0\x9f\x98\xa1");
	ck_assert_str_eq(p->author_id, "7002");
	ck_assert_str_eq(p->author_handle, "harasser_7002");
	ck_assert_str_eq(p->author_name, "Synthetic 7002");
	ck_assert_str_eq(p->author_url, "https://x.com/harasser_7002");
	ck_assert_uint_eq(p->n_attachments, 1);
	ck_assert_str_eq(p->attachments[0].url, "https://pbs.example/3_8.jpg");
	ck_assert_str_eq(p->attachments[0].type, "photo");
	assert_payload(p, "1800000000000000008");
	ck_assert_str_eq(pp.posts[1]->text, "a long post & more words than 280 characters");
	ck_assert_str_eq(pp.posts[2]->in_reply_to, "17999");
}
END_TEST

START_TEST(test_x_empty)
{
	ck_assert_int_eq(parse(&conn_x, false, "5", "x-empty.json", NULL), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 0);
	ck_assert_ptr_null(pp.next);
	ck_assert_ptr_null(pp.top);
}
END_TEST

START_TEST(test_reddit)
{
	const vigil_post *p;

	ck_assert_int_eq(parse(&conn_reddit, false, NULL, "reddit-mentions.json", NULL),
			 VIGIL_OK);
	ck_assert_uint_eq(pp.n, 3);
	ck_assert_str_eq(pp.next, "t3_abc3");
	p = pp.posts[0];
	ck_assert_str_eq(p->id, "t1_c00005");
	ck_assert_str_eq(p->url, "https://www.reddit.com/r/synthetic/comments/abc5/a_title/c00005/");
	ck_assert_str_eq(p->text, "u/drsynthetic post 5: fraud & <quack> \xf0\x9f\x98\xa1");
	ck_assert_str_eq(p->author_id, "t2_h1");
	ck_assert_str_eq(p->author_handle, "harasser1");
	ck_assert_str_eq(p->in_reply_to, "t3_abc5");
	ck_assert_str_eq(p->created_at, "2025-11-20T12:05:00.000Z");
	assert_payload(p, "t1_c00005");
	p = pp.posts[2];
	ck_assert_str_eq(p->text, "Dr Synthetic & the \"clinic\"\n\nbody & text");
	ck_assert_str_eq(p->url, "https://www.reddit.com/r/synthetic/comments/abc3/dr_synthetic/");
	ck_assert_str_eq(p->created_at, "2025-11-20T12:03:00.500Z");
	ck_assert_ptr_null(p->in_reply_to);
	ck_assert_uint_eq(p->n_attachments, 1);
	ck_assert_str_eq(p->attachments[0].url, "https://i.redd.it/abc3.png");
}
END_TEST

START_TEST(test_reddit_since)
{
	ck_assert_int_eq(parse(&conn_reddit, false, "t1_c00004 2025-11-20T12:04:00Z",
			       "reddit-mentions.json", NULL), VIGIL_OK);
	ck_assert_uint_eq(pp.n, 1);
	ck_assert(pp.reached);
}
END_TEST

START_TEST(test_youtube)
{
	const vigil_post *p;

	ck_assert_int_eq(parse(&conn_youtube, false, NULL, "youtube-threads.json", NULL),
			 VIGIL_OK);
	ck_assert_uint_eq(pp.n, 2);
	ck_assert_str_eq(pp.next, "QURTSl9pM");
	ck_assert_str_eq(pp.top, "Ugz00009Synthetic 2025-11-20T12:09:00Z");
	p = pp.posts[0];
	ck_assert_str_eq(p->id, "Ugz00009Synthetic");
	ck_assert_str_eq(p->url, "https://www.youtube.com/watch?v=vid0&lc=Ugz00009Synthetic");
	ck_assert_str_eq(p->text, "Dr Synthetic is a \"quack\" & fraud, post 9 "
			 "\xf0\x9f\x98\xa1\nsecond line link");
	ck_assert_str_eq(p->author_id, "UCharasser1");
	ck_assert_str_eq(p->author_handle, "@harasser1");
	ck_assert_str_eq(p->author_url, "http://www.youtube.com/@harasser1");
	assert_payload(p, "Ugz00009Synthetic");
}
END_TEST

START_TEST(test_malformed)
{
	static const struct {
		const char *body;
		const struct connector *c;
	} bad[] = {
		{ "{not json", &conn_mastodon },
		{ "[{\"id\":\"1\",\"type\":\"mention\",\"status\":{\"id\":\"2\"}}]", &conn_mastodon },
		{ "{\"notifications\":{}}", &conn_bluesky },
		{ "{\"notifications\":[{\"uri\":\"at://a/b/c\"}]}", &conn_bluesky },
		{ "{\"data\":[{\"id\":\"1\"}]}", &conn_x },
		{ "{\"data\":{\"children\":[{\"kind\":\"t1\",\"data\":{}}]}}", &conn_reddit },
		{ "{\"items\":[{\"id\":\"x\"}]}", &conn_youtube },
		{ "[1,2", &conn_mastodon },
		{ "{\"a\":1,\"a\":2}", &conn_x },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vigil_source src = { .conn = bad[i].c };
		struct walk w = { 0 };

		http_response_init(&resp, 1 << 16);
		vbuf_adds(&resp.body, bad[i].body);
		err[0] = '\0';
		ck_assert_msg(bad[i].c->page_parse(&src, &w, &resp, &pp, err) == VIGIL_E_PARSE,
			      "case %zu", i);
		ck_assert_msg(err[0] != '\0', "case %zu has a message", i);
		parsed_page_clear(&pp);
		http_response_clear(&resp);
	}
}
END_TEST

START_TEST(test_jdoc)
{
	static const char j[] = " {\"a\":\"x\\\"]\",\"b\\\\\":{\"c\":[]},\"data\" : "
		"[ {\"k\":\"\\\\\"} ,[1,[2]],\"s,\\u00e9\\ud83d\\ude00\" , -3.5e2,true,null ] }";
	static const char *const want[] = { "{\"k\":\"\\\\\"}", "[1,[2]]",
		"\"s,\\u00e9\\ud83d\\ude00\"", "-3.5e2", "true", "null" };
	struct jdoc *d = NULL;
	jref a, v;
	size_t i;
	double num;

	ck_assert_int_eq(jdoc_parse(j, strlen(j), &d, err), VIGIL_OK);
	ck_assert_str_eq(jd_gets(d, 0, "a"), "x\"]");
	ck_assert(jd_is(d, jd_get(d, 0, "b\\"), JOBJECT));
	a = jd_get(d, 0, "data");
	ck_assert_uint_eq(jd_count(d, a), 6);
	jd_foreach(d, a, i, v) {
		ck_assert_uint_eq(d->tok[v].len, strlen(want[i]));
		ck_assert(memcmp(j + d->tok[v].start, want[i], d->tok[v].len) == 0);
	}
	ck_assert_str_eq(jd_gets(d, jd_index(d, a, 0), "k"), "\\");
	ck_assert_str_eq(jd_str(d, jd_index(d, a, 2)), "s,\xc3\xa9\xf0\x9f\x98\x80");
	ck_assert(jd_num(d, jd_index(d, a, 3), &num) && num == -350.0);
	ck_assert_int_eq(jd_index(d, a, 6), JNONE);
	ck_assert_int_eq(jd_get(d, a, "k"), JNONE);
	ck_assert_int_eq(jd_path(d, 0, "b\\.c"), jd_get(d, jd_get(d, 0, "b\\"), "c"));
	jdoc_free(d);
}
END_TEST

START_TEST(test_jdoc_strict)
{
	static const char *const bad[] = {
		"", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "[01]", "[1.]", "[.5]",
		"[1e]", "[-]", "[tru]", "[nul]", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
		"\"\\udc00x\"", "\"a\tb\"", "\"\xff\"", "\"\xc3\"", "[1] 2",
		"{\"a\":1,\"a\":2}", "{\"a\\u0062\":1,\"ab\":2}", "\"\\u0000\"", "[\"a\"",
	};
	struct jdoc *d = (struct jdoc *)0x1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(jdoc_parse(bad[i], strlen(bad[i]), &d, err) == VIGIL_E_PARSE,
			      "case %zu '%s' accepted", i, bad[i]);
		ck_assert_ptr_eq(d, (struct jdoc *)0x1);
	}
	/* Deep nesting is refused, not a stack overflow. */
	{
		char deep[2001];

		memset(deep, '[', 2000);
		deep[2000] = '\0';
		ck_assert_int_eq(jdoc_parse(deep, 2000, &d, err), VIGIL_E_PARSE);
	}
}
END_TEST

START_TEST(test_walk)
{
	struct walk w;
	struct parsed_page p = { 0 };
	vigil_page *page = NULL;

	ck_assert_int_eq(walk_decode(NULL, &w, NULL), VIGIL_OK);
	ck_assert_ptr_null(w.since);
	p.top = strdup("T");
	p.next = strdup("N1");
	ck_assert_int_eq(walk_advance(&w, &p, &page), VIGIL_OK);
	ck_assert(page->more);
	ck_assert_str_eq(page->cursor, "{\"top\":\"T\",\"next\":\"N1\"}");
	parsed_page_clear(&p);
	walk_clear(&w);
	/* Continue: the next page ends the walk; top becomes since. */
	ck_assert_int_eq(walk_decode(page->cursor, &w, NULL), VIGIL_OK);
	vigil_page_free(page);
	p.top = strdup("older");
	ck_assert_int_eq(walk_advance(&w, &p, &page), VIGIL_OK);
	ck_assert(!page->more);
	ck_assert_str_eq(page->cursor, "{\"since\":\"T\"}");
	vigil_page_free(page);
	parsed_page_clear(&p);
	walk_clear(&w);
	/* A bare id is a since mark; an empty first page keeps it. */
	ck_assert_int_eq(walk_decode("12345", &w, NULL), VIGIL_OK);
	ck_assert_str_eq(w.since, "12345");
	ck_assert_int_eq(walk_advance(&w, &p, &page), VIGIL_OK);
	ck_assert_str_eq(page->cursor, "{\"since\":\"12345\"}");
	vigil_page_free(page);
	walk_clear(&w);
	ck_assert_int_eq(walk_decode("{broken", &w, err), VIGIL_E_PARSE);
}
END_TEST

START_TEST(test_marks)
{
	ck_assert(mark_reached("abc", "abc", INT64_MIN));
	ck_assert(!mark_reached("abc", "abd", INT64_MIN));
	ck_assert(!mark_reached(NULL, "abc", 0));
	ck_assert(mark_reached("k 2025-11-20T12:00:00Z", "x", 1763639999999LL));
	ck_assert(!mark_reached("k 2025-11-20T12:00:00Z", "x", 1763640000000LL));
	ck_assert(mark_reached("k 2025-11-20T12:00:00Z", "k", 1763640000001LL));
}
END_TEST

START_TEST(test_urls)
{
	static const struct {
		const char *url;
		vigil_error want;
	} cases[] = {
		{ "https://mastodon.example", VIGIL_OK },
		{ "http://127.0.0.1:8080/x", VIGIL_OK },
		{ "http://127.255.1.2/", VIGIL_OK },
		{ "http://localhost:1", VIGIL_OK },
		{ "http://[::1]:8080", VIGIL_OK },
		{ "http://example.com", VIGIL_E_TLS },
		{ "http://128.0.0.1", VIGIL_E_TLS },
		{ "http://[::2]/", VIGIL_E_TLS },
		{ "http://localhost.evil.example", VIGIL_E_TLS },
		{ "ftp://127.0.0.1", VIGIL_E_INVAL },
		{ "not a url", VIGIL_E_INVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(http_check_url(cases[i].url, err) == cases[i].want,
			      "%s: %s", cases[i].url, err);
}
END_TEST

START_TEST(test_secret)
{
	char path[] = "/tmp/vigil-secret-XXXXXX", *s = NULL, *f;
	size_t len = 0;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "client_id=abc\nusername=u\n\n", 26), 26);
	close(fd);
	ck_assert_int_eq(secret_read(path, &s, &len, err), VIGIL_OK);
	ck_assert_str_eq(s, "client_id=abc\nusername=u");
	f = secret_field(s, "username");
	ck_assert_str_eq(f, "u");
	secret_free(f);
	ck_assert_ptr_null(secret_field(s, "user"));
	secret_free(s);
	s = (char *)0x1;
	chmod(path, 0640);
	ck_assert_int_eq(secret_read(path, &s, &len, err), VIGIL_E_PERM);
	ck_assert_ptr_eq(s, (char *)0x1);  /* untouched on failure */
	ck_assert_ptr_nonnull(strstr(err, "group or others"));
	unlink(path);
}
END_TEST

START_TEST(test_source_new)
{
	vigil_source_config cfg = { .platform = "friendster" };
	vigil_source *src = (vigil_source *)0x1;

	ck_assert_int_eq(vigil_source_new(&cfg, &src, err), VIGIL_E_INVAL);
	ck_assert_ptr_eq(src, (vigil_source *)0x1);
	cfg.platform = "mastodon";
	cfg.base_url = "http://mastodon.example";
	ck_assert_int_ne(vigil_source_new(&cfg, &src, err), VIGIL_OK);
	ck_assert_ptr_eq(src, (vigil_source *)0x1);
	vigil_source_free(NULL);
	vigil_page_free(NULL);
	vigil_post_free(NULL);
}
END_TEST

START_TEST(test_post_json)
{
	vigil_post *p = post_new("x");
	char *line = NULL;
	json_t *j;

	ck_assert_int_eq(post_set(&p->id, "1"), VIGIL_OK);
	ck_assert_int_eq(post_set(&p->text, "hi"), VIGIL_OK);
	ck_assert_int_eq(post_set(&p->author_id, "9"), VIGIL_OK);
	ck_assert_int_eq(post_set_payload(p, "{ \"id\" : \"1\" }", 14), VIGIL_OK);
	ck_assert_int_eq(vigil_post_to_json(p, "src", NULL, &line, err), VIGIL_OK);
	/* raw is spliced in byte for byte */
	ck_assert_ptr_nonnull(strstr(line, ",\"raw\":{ \"id\" : \"1\" }}"));
	j = json_loads(line, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(jstr(json_object_get(j, "post"), "text"), "hi");
	ck_assert_str_eq(jstr(j, "source"), "src");
	ck_assert(json_is_null(json_object_get(json_object_get(j, "post"), "lang")));
	json_decref(j);
	free(line);
	/* A pretty-printed payload is re-serialised onto one line. */
	ck_assert_int_eq(post_set_payload(p, "{\n \"id\": \"1\"\n}", 14), VIGIL_OK);
	ck_assert_int_eq(vigil_post_to_json(p, NULL, NULL, &line, err), VIGIL_OK);
	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert_ptr_nonnull(strstr(line, "\"raw\":{\"id\":\"1\"}"));
	free(line);
	vigil_post_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("connectors");
	TCase *parsers = tcase_create("parsers"), *core = tcase_create("core");

	tcase_add_checked_fixture(parsers, setup, teardown);
	tcase_add_test(parsers, test_mastodon);
	tcase_add_test(parsers, test_mastodon_since);
	tcase_add_test(parsers, test_bluesky);
	tcase_add_test(parsers, test_bluesky_since);
	tcase_add_test(parsers, test_bluesky_search);
	tcase_add_test(parsers, test_x);
	tcase_add_test(parsers, test_x_empty);
	tcase_add_test(parsers, test_reddit);
	tcase_add_test(parsers, test_reddit_since);
	tcase_add_test(parsers, test_youtube);
	tcase_add_test(parsers, test_malformed);
	suite_add_tcase(s, parsers);
	tcase_add_test(core, test_jdoc);
	tcase_add_test(core, test_jdoc_strict);
	tcase_add_test(core, test_walk);
	tcase_add_test(core, test_marks);
	tcase_add_test(core, test_urls);
	tcase_add_test(core, test_secret);
	tcase_add_test(core, test_source_new);
	tcase_add_test(core, test_post_json);
	suite_add_tcase(s, core);
	return run_suite(s);
}
