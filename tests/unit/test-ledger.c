/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ledger unit tests: canonical JSON, keys, signed notes, append and verify,
 * append-only triggers, clock steps, key rotation, and the tamper matrix.
 */
#include <check.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil-private.h"
#include "testutil.h"

static const uint8_t seed_a[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t seed_b[32] = { 99, 98, 97 };

/* ---- canonical JSON ---- */

static char *
canon(const char *json)
{
	json_t *v = json_loads(json, JSON_ALLOW_NUL, NULL);
	struct vbuf b;
	char *out;

	ck_assert_ptr_nonnull(v);
	vbuf_init(&b, 1 << 20);
	if (jcs_serialize(v, &b, NULL) != VIGIL_OK) {
		json_decref(v);
		vbuf_free(&b);
		return NULL;
	}
	json_decref(v);
	out = vbuf_take(&b, NULL);
	return out;
}

START_TEST(test_jcs_cases)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "{\"b\":1,\"a\":2}", "{\"a\":2,\"b\":1}" },
		{ "{ \"z\" : [ 1 , true , false , null ] }", "{\"z\":[1,true,false,null]}" },
		{ "{\"s\":\"\\u0001\\b\\f\\n\\r\\t\\\"\\\\/\\u007f\"}",
		  "{\"s\":\"\\u0001\\b\\f\\n\\r\\t\\\"\\\\/\x7f\"}" },
		{ "{\"s\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}", "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}" },
		{ "{\"s\":\"\\u001f\"}", "{\"s\":\"\\u001f\"}" },
		{ "{\"n\":-9007199254740991}", "{\"n\":-9007199254740991}" },
		{ "{\"n\":0,\"e\":{},\"a\":[]}", "{\"a\":[],\"e\":{},\"n\":0}" },
		/* UTF-16 order: U+1F600 (surrogates D83D..) sorts before U+FB01. */
		{ "{\"\\ufb01\":1,\"\\ud83d\\ude00\":2,\"a\":3}",
		  "{\"a\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\x81\":1}" },
		{ "{\"s\":\"a\\u0000b\"}", "{\"s\":\"a\\u0000b\"}" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = canon(cases[i].in);

		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, cases[i].out);
		free(got);
	}
	ck_assert_ptr_null(canon("{\"f\":1.5}"));
	ck_assert_ptr_null(canon("{\"n\":9007199254740992}"));
}
END_TEST

START_TEST(test_jcs_parse_canonical)
{
	static const char *const bad[] = {
		"{\"b\":1,\"a\":2}", "{\"a\": 1}", "{\"a\":1.0}", "{\"a\":\"\\u00e9\"}",
		"{\"a\":1,\"a\":1}", "[1]", "{\"a\":-0}", "{\"a\":\"\xff\"}", "{\"a\":1} ",
		"{\"a\":\"\\/\"}",
	};
	json_t *v = NULL;

	ck_assert_int_eq(jcs_parse_canonical("{\"a\":[1,\"x\"]}", 13, &v, NULL), VIGIL_OK);
	json_decref(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = (json_t *)0x1;
		ck_assert_int_eq(jcs_parse_canonical(bad[i], strlen(bad[i]), &v, NULL),
				 VIGIL_E_PARSE);
		ck_assert_ptr_eq(v, (json_t *)0x1);  /* untouched on failure */
	}
}
END_TEST

/* ---- keys and notes ---- */

START_TEST(test_key_files)
{
	char *dir = test_tmpdir(), *path = test_path(dir, "k"), errbuf[VIGIL_ERRBUF_SIZE];
	vigil_key *k, *k2 = (vigil_key *)0x1;
	struct stat st;
	FILE *f;

	ck_assert_int_eq(vigil_key_from_seed(seed_a, &k), VIGIL_OK);
	ck_assert_int_eq(vigil_key_save(k, path, NULL), VIGIL_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(vigil_key_save(k, path, NULL), VIGIL_E_EXISTS);
	ck_assert_int_eq(vigil_key_load(path, &k2, NULL), VIGIL_OK);
	ck_assert_mem_eq(vigil_key_public(k), vigil_key_public(k2), 32);
	vigil_key_free(k2);
	k2 = (vigil_key *)0x1;
	chmod(path, 0640);
	ck_assert_int_eq(vigil_key_load(path, &k2, errbuf), VIGIL_E_PERM);
	ck_assert_ptr_nonnull(strstr(errbuf, path));
	ck_assert_ptr_eq(k2, (vigil_key *)0x1);
	chmod(path, 0600);
	f = fopen(path, "a");
	fputc('x', f);
	fclose(f);
	ck_assert_int_eq(vigil_key_load(path, &k2, errbuf), VIGIL_E_KEY);
	ck_assert_ptr_nonnull(strstr(errbuf, "33 bytes"));
	ck_assert_int_eq(vigil_key_load("/nonexistent/k", &k2, NULL), VIGIL_E_NOTFOUND);
	vigil_key_free(k);
	vigil_key_free(NULL);
	free(path);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_notes)
{
	static const char *const bad[] = {
		"", "origin\n", "o\n1\nAAAA\n\n", "o\n01\nAAAA\n\n\xe2\x80\x94 o AAAA\n",
		"o\n1\n!!!!\n\n\xe2\x80\x94 o AAAA\n", "o\n1\nAAAA\nx\n",
		"o\n1\nAAAA\n\n- o AAAA\n",
	};
	uint8_t root[32] = { 7 }, hint[4];
	struct checkpoint cp;
	char origin[32], *note;
	vigil_key *k, *k2;

	ck_assert_int_eq(vigil_key_from_seed(seed_a, &k), VIGIL_OK);
	ck_assert_int_eq(vigil_key_from_seed(seed_b, &k2), VIGIL_OK);
	note_origin(vigil_key_public(k), origin);
	ck_assert_int_eq(strlen(origin), strlen("vigil.ledger/") + 16);
	ck_assert_int_eq(note_sign(k, origin, 42, root, &note), VIGIL_OK);
	ck_assert_int_eq(note_parse(note, strlen(note), &cp, NULL), VIGIL_OK);
	ck_assert_uint_eq(cp.size, 42);
	ck_assert_mem_eq(cp.root, root, 32);
	ck_assert_str_eq(cp.origin, origin);
	note_key_hint(origin, vigil_key_public(k), hint);
	ck_assert_mem_eq(cp.hint, hint, 4);
	ck_assert(note_verify(note, &cp, vigil_key_public(k)));
	ck_assert(!note_verify(note, &cp, vigil_key_public(k2)));
	note[strlen(origin) + 2] ^= 1;  /* the size digit */
	ck_assert(!note_verify(note, &cp, vigil_key_public(k)));
	free(note);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(note_parse(bad[i], strlen(bad[i]), &cp, NULL), VIGIL_E_PARSE);
	vigil_key_free(k);
	vigil_key_free(k2);
}
END_TEST

/* ---- ledger ---- */

static int64_t fake_ms;

static int64_t
fake_clock(void *userdata)
{
	(void)userdata;
	return fake_ms;
}

struct fixture {
	char *dir, *db, *key;
	vigil_ledger *l;
};

static void
fixture_open(struct fixture *f, bool fixed_key)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";

	f->dir = test_tmpdir();
	f->db = test_path(f->dir, "vigil.db");
	f->key = test_path(f->dir, "signing.key");
	if (fixed_key) {
		vigil_key *k;

		ck_assert_int_eq(vigil_key_from_seed(seed_a, &k), VIGIL_OK);
		ck_assert_int_eq(vigil_key_save(k, f->key, NULL), VIGIL_OK);
		vigil_key_free(k);
	}
	fake_ms = 1795000000000LL;
	vigil_set_clock(fake_clock, NULL);
	ck_assert_msg(vigil_ledger_open(f->db, f->key, VIGIL_OPEN_CREATE, &f->l, errbuf) ==
		      VIGIL_OK, "%s", errbuf);
}

static void
fixture_close(struct fixture *f)
{
	vigil_ledger_close(f->l);
	free(f->db);
	free(f->key);
	test_rmdir(f->dir);
}

/* Append `n` captures in batches of `per`, with one blob each. */
static void
append_captures(vigil_ledger *l, int n, int per)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_batch *b;

	ck_assert_int_eq(vigil_batch_new(&b), VIGIL_OK);
	for (int i = 0; i < n; i++) {
		char line[512];

		snprintf(line, sizeof(line),
			 "{\"platform\":\"mastodon\",\"clinician\":\"c%d\",\"post\":{\"id\":\"%d\","
			 "\"text\":\"post number %d \\u00e9\"},\"author\":{\"id\":\"a%d\"},"
			 "\"raw\":{\"id\":\"%d\",\"n\":%d}}", i % 3, i, i, i % 7, i, i);
		ck_assert_msg(vigil_ingest_line(b, NULL, line, strlen(line), errbuf) == VIGIL_OK,
			      "%s", errbuf);
		if (vigil_batch_count(b) == (size_t)per || i == n - 1) {
			fake_ms += 1000;
			ck_assert_msg(vigil_ledger_append(l, b, NULL, NULL, errbuf) == VIGIL_OK,
				      "%s", errbuf);
		}
	}
	vigil_batch_free(b);
}

static vigil_error
verify_db(const char *db, const char *held, vigil_verify_result *res, char *errbuf)
{
	vigil_ledger *l;
	vigil_error r;

	r = vigil_ledger_open(db, NULL, VIGIL_OPEN_READONLY, &l, errbuf);
	if (r != VIGIL_OK)
		return r;
	r = vigil_ledger_verify(l, held, res, errbuf);
	vigil_ledger_close(l);
	return r;
}

START_TEST(test_append_verify)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	struct fixture f;
	vigil_verify_result res;
	vigil_batch *b;
	uint64_t first = 777, size = 777;

	fixture_open(&f, false);
	append_captures(f.l, 25, 10);
	ck_assert_int_eq(vigil_ledger_size(f.l, &size), VIGIL_OK);
	ck_assert_uint_eq(size, 26);
	/* Annotations must name an existing entry; nothing is written if not. */
	ck_assert_int_eq(vigil_batch_new(&b), VIGIL_OK);
	ck_assert_int_eq(vigil_batch_add(b, "annotation",
					 "{\"of\":3,\"by\":\"t\",\"status\":\"reviewed\",\"text\":\"\",\"reference\":null}",
					 NULL), VIGIL_OK);
	ck_assert_int_eq(vigil_batch_add(b, "annotation",
					 "{\"of\":300,\"by\":\"t\",\"status\":\"note\",\"text\":\"\",\"reference\":null}",
					 NULL), VIGIL_OK);
	ck_assert_int_eq(vigil_ledger_append(f.l, b, &first, &size, errbuf), VIGIL_E_INVAL);
	ck_assert_ptr_nonnull(strstr(errbuf, "300"));
	ck_assert_uint_eq(first, 777);  /* outputs untouched on failure */
	ck_assert_int_eq(vigil_ledger_size(f.l, &size), VIGIL_OK);
	ck_assert_uint_eq(size, 26);
	vigil_batch_free(b);
	ck_assert_int_eq(vigil_batch_new(&b), VIGIL_OK);
	ck_assert_int_eq(vigil_batch_add(b, "key", "{}", NULL), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_batch_add(b, "capture", "{\"x\":1.5}", NULL), VIGIL_E_PARSE);
	ck_assert_int_eq(vigil_batch_add(b, "bogus", "{}", NULL), VIGIL_E_INVAL);
	ck_assert_int_eq(vigil_batch_add(b, "annotation",
					 "{\"of\":3,\"by\":\"t\",\"status\":\"escalated\",\"text\":\"x\",\"reference\":\"CASE-1\"}",
					 NULL), VIGIL_OK);
	ck_assert_int_eq(vigil_ledger_append(f.l, b, &first, &size, NULL), VIGIL_OK);
	ck_assert_uint_eq(first, 26);
	ck_assert_uint_eq(size, 27);
	vigil_batch_free(b);
	ck_assert_msg(vigil_ledger_verify(f.l, NULL, &res, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_uint_eq(res.entries, 27);
	ck_assert_uint_eq(res.blobs, 25);
	ck_assert_uint_eq(res.checkpoints, 5);
	fixture_close(&f);
}
END_TEST

/* The entry bytes spliced from the body serialised when queued equal the
 * whole entry serialised at once, for bodies with escapes, non-ASCII keys
 * (sorted by UTF-16 units), big integers and nesting; and a body nested as
 * deep as the limit allows inside an entry is refused when queued. */
START_TEST(test_entry_bytes_canonical)
{
	static const char *bodies[] = {
		"{\"of\":0,\"status\":\"note\",\"text\":\"quote \\\" back\\\\slash \\u0001 tab\\t \\u2028 \\ud83d\\ude00\",\"n\":-9007199254740991}",
		"{\"status\":\"note\",\"\\u00e9t\u00e9\":1,\"\\ud83d\\ude00\":2,\"\\uffff\":3,\"a\":[[],{},[{\"z\":null,\"y\":true}]],\"of\":0}",
		"{\"by\":\"t\",\"of\":0,\"status\":\"note\",\"text\":\"\u00c9mile \u201cquoted\u201d \\/ \\u007f\",\"reference\":null}",
	};
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_verify_result res;
	struct vbuf deep;
	struct fixture f;
	vigil_batch *b;
	uint64_t size = 0;

	fixture_open(&f, false);
	ck_assert_int_eq(vigil_batch_new(&b), VIGIL_OK);
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(bodies); i++)
		ck_assert_msg(vigil_batch_add(b, "annotation", bodies[i], errbuf) == VIGIL_OK,
			      "%zu: %s", i, errbuf);
	ck_assert_msg(vigil_ledger_append(f.l, b, NULL, &size, errbuf) == VIGIL_OK, "%s", errbuf);
	vigil_batch_free(b);
	for (uint64_t seq = 1; seq < size; seq++) {
		vigil_entry *e = NULL;
		json_t *v;
		struct vbuf re;

		ck_assert_int_eq(vigil_ledger_get(f.l, seq, &e), VIGIL_OK);
		v = json_loadb(e->bytes, e->len, 0, NULL);
		ck_assert_ptr_nonnull(v);
		vbuf_init(&re, 1 << 20);
		ck_assert_int_eq(jcs_serialize(v, &re, NULL), VIGIL_OK);
		ck_assert_msg(re.len == e->len && memcmp(re.data, e->bytes, e->len) == 0,
			      "seq %" PRIu64 ": %.*s", seq, (int)e->len, e->bytes);
		vbuf_free(&re);
		json_decref(v);
		vigil_entry_free(e);
	}
	/* Nesting: the limit counts from the entry, not from the body. */
	for (int levels = 64; levels > 60; levels--) {
		/* `levels` objects inside the entry's own object: the innermost
		 * value sits at depth levels + 1, and 64 is the limit. */
		bool fits = levels + 1 <= 64;

		vbuf_init(&deep, 1 << 20);
		vbuf_adds(&deep, "{\"of\":0,\"status\":\"note\",\"a\":");
		for (int d = 1; d < levels; d++)
			vbuf_adds(&deep, "{\"a\":");
		vbuf_adds(&deep, "1");
		for (int d = 0; d < levels; d++)
			vbuf_addc(&deep, '}');
		vbuf_addc(&deep, '\0');
		ck_assert_int_eq(vigil_batch_new(&b), VIGIL_OK);
		errbuf[0] = '\0';
		ck_assert_msg((vigil_batch_add(b, "annotation", deep.data, errbuf) == VIGIL_OK) == fits,
			      "%d levels: %s", levels, errbuf);
		if (fits)
			ck_assert_msg(vigil_ledger_append(f.l, b, NULL, NULL, errbuf) == VIGIL_OK, "%s",
				      errbuf);
		vigil_batch_free(b);
		vbuf_free(&deep);
	}
	ck_assert_msg(vigil_ledger_verify(f.l, NULL, &res, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_uint_eq(res.entries, size + 3);  /* 61, 62 and 63 levels */
	fixture_close(&f);
}
END_TEST

START_TEST(test_append_only_triggers)
{
	struct fixture f;
	sqlite3 *db;

	fixture_open(&f, false);
	append_captures(f.l, 3, 3);
	ck_assert_int_eq(sqlite3_open(f.db, &db), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE entries SET kind = 'x' WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM entries WHERE seq = 3", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM blobs", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE blobs SET size = 0", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM checkpoints", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE checkpoints SET size = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(verify_db(f.db, NULL, &(vigil_verify_result){0}, NULL), VIGIL_OK);
	fixture_close(&f);
}
END_TEST

START_TEST(test_clock_backwards)
{
	struct fixture f;
	vigil_entry *e;
	uint64_t size;

	fixture_open(&f, false);
	append_captures(f.l, 2, 2);
	fake_ms -= 60000;
	append_captures(f.l, 1, 1);  /* +1000 ms, still a minute back */
	ck_assert_int_eq(vigil_ledger_size(f.l, &size), VIGIL_OK);
	ck_assert_uint_eq(size, 5);
	ck_assert_int_eq(vigil_ledger_get(f.l, 3, &e), VIGIL_OK);
	ck_assert_str_eq(e->kind, "clock");
	vigil_entry_free(e);
	ck_assert_int_eq(vigil_ledger_verify(f.l, NULL, &(vigil_verify_result){0}, NULL), VIGIL_OK);
	fixture_close(&f);
}
END_TEST

START_TEST(test_rotation)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "", id1[65], id2[65], id3[65];
	vigil_verify_result res;
	struct fixture f;
	vigil_ledger *l2;

	fixture_open(&f, true);
	append_captures(f.l, 5, 5);
	ck_assert_int_eq(vigil_ledger_key_id(f.l, id1), VIGIL_OK);
	ck_assert_msg(vigil_ledger_rotate_key(f.l, id2, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_str_ne(id1, id2);
	ck_assert_int_eq(vigil_ledger_key_id(f.l, id3), VIGIL_OK);
	ck_assert_str_eq(id2, id3);
	append_captures(f.l, 5, 5);
	ck_assert_msg(vigil_ledger_verify(f.l, NULL, &res, errbuf) == VIGIL_OK, "%s", errbuf);
	ck_assert_uint_eq(res.keys, 2);
	vigil_ledger_close(f.l);
	/* The key file now holds the new key; reopening works. */
	ck_assert_msg(vigil_ledger_open(f.db, f.key, 0, &l2, errbuf) == VIGIL_OK, "%s", errbuf);
	append_captures(l2, 2, 2);
	f.l = l2;
	fixture_close(&f);
}
END_TEST

START_TEST(test_wrong_key_refused)
{
	char errbuf[VIGIL_ERRBUF_SIZE] = "";
	struct fixture f;
	vigil_ledger *l2 = (vigil_ledger *)0x1;
	vigil_key *k;

	fixture_open(&f, false);
	vigil_ledger_close(f.l);
	f.l = NULL;
	unlink(f.key);
	ck_assert_int_eq(vigil_key_from_seed(seed_b, &k), VIGIL_OK);
	ck_assert_int_eq(vigil_key_save(k, f.key, NULL), VIGIL_OK);
	vigil_key_free(k);
	ck_assert_int_eq(vigil_ledger_open(f.db, f.key, 0, &l2, errbuf), VIGIL_E_KEY);
	ck_assert_ptr_eq(l2, (vigil_ledger *)0x1);
	ck_assert_ptr_nonnull(strstr(errbuf, "current key"));
	fixture_close(&f);
}
END_TEST

START_TEST(test_corrupt_database)
{
	char *dir = test_tmpdir(), *db = test_path(dir, "x.db"), errbuf[VIGIL_ERRBUF_SIZE];
	vigil_ledger *l;
	FILE *fp = fopen(db, "w");

	fputs("this is not an SQLite database, just some text that is long enough", fp);
	fclose(fp);
	ck_assert_int_eq(vigil_ledger_open(db, NULL, VIGIL_OPEN_READONLY, &l, errbuf),
			 VIGIL_E_CORRUPT);
	ck_assert_ptr_nonnull(strstr(errbuf, db));
	ck_assert_int_eq(vigil_ledger_open("/nonexistent/x.db", NULL, VIGIL_OPEN_READONLY, &l,
					   errbuf), VIGIL_E_NOTFOUND);
	free(db);
	test_rmdir(dir);
}
END_TEST

/* ---- the tamper matrix ---- */

#define TAMPER_N 1200
static char *tamper_dir, *tamper_db, *tamper_held;

static void
tamper_setup(void)
{
	struct fixture f;

	fixture_open(&f, true);
	append_captures(f.l, 800, 100);
	ck_assert_int_eq(vigil_ledger_checkpoint(f.l, &tamper_held, NULL), VIGIL_OK);
	append_captures(f.l, TAMPER_N - 800, 100);
	vigil_ledger_close(f.l);
	tamper_dir = f.dir;
	tamper_db = f.db;
	free(f.key);
}

static void
tamper_teardown(void)
{
	test_rmdir(tamper_dir);
	free(tamper_db);
	free(tamper_held);
}

/* A copy of the ledger with its triggers dropped, as an attacker would. */
static sqlite3 *
attack_copy(const char *name, char **path)
{
	char cmd[1024];
	sqlite3 *db;

	*path = test_path(tamper_dir, name);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", tamper_db, *path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(sqlite3_open(*path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
		"DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;"
		"DROP TRIGGER blobs_no_update; DROP TRIGGER blobs_no_delete;"
		"DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;",
		NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql,
		      err ? err : "");
}

/* Run the attack `sql` and expect verify to fail at `seq` (or with no seq
 * when seq < 0), optionally only with the held checkpoint. */
static void
expect_detected(const char *name, const char *sql, int64_t seq, bool with_held)
{
	char *path, errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_verify_result res = { 0 };
	sqlite3 *db = attack_copy(name, &path);
	vigil_error r;

	exec_ok(db, sql);
	sqlite3_close(db);
	if (with_held)
		ck_assert_int_eq(verify_db(path, NULL, &res, NULL), VIGIL_OK);
	r = verify_db(path, with_held ? tamper_held : NULL, &res, errbuf);
	ck_assert_msg(r == VIGIL_E_VERIFY, "%s: not detected (%d: %s)", name, r, errbuf);
	ck_assert(res.failed);
	if (seq >= 0) {
		ck_assert_msg(res.has_seq && res.failed_seq == (uint64_t)seq,
			      "%s: reported %s", name, errbuf);
		ck_assert_msg(strstr(errbuf, "seq ") != NULL, "%s: %s", name, errbuf);
	}
	unlink(path);
	free(path);
}

START_TEST(test_tamper_matrix)
{
	char sql[512];

	ck_assert_int_eq(verify_db(tamper_db, tamper_held, &(vigil_verify_result){0}, NULL),
			 VIGIL_OK);
	/* A flipped byte inside the text: still JSON, but the signature fails. */
	expect_detected("flip-text",
		"UPDATE entries SET bytes = CAST(replace(CAST(bytes AS TEXT), 'post number 500', "
		"'post numbeR 500') AS BLOB) WHERE seq = 501", 501, false);
	expect_detected("flip-structure",
		"UPDATE entries SET bytes = CAST(replace(CAST(bytes AS TEXT), '\"v\":1', '\"v\":2') "
		"AS BLOB) WHERE seq = 600", 600, false);
	expect_detected("flip-sig",
		"UPDATE entries SET sig = zeroblob(64) WHERE seq = 700", 700, false);
	expect_detected("flip-blob",
		"UPDATE blobs SET data = CAST(replace(CAST(data AS TEXT), '\"n\":42', '\"n\":43') AS BLOB) "
		"WHERE CAST(data AS TEXT) LIKE '%\"n\":42}'", 43, false);
	expect_detected("missing-blob",
		"DELETE FROM blobs WHERE CAST(data AS TEXT) LIKE '%\"n\":90}'", 91, false);
	expect_detected("delete-entry", "DELETE FROM entries WHERE seq = 333", 333, false);
	expect_detected("swap",
		"UPDATE entries SET seq = -1 WHERE seq = 400; UPDATE entries SET seq = 400 WHERE seq = 401;"
		"UPDATE entries SET seq = 401 WHERE seq = -1", 400, false);
	expect_detected("duplicate",
		"UPDATE entries SET bytes = (SELECT bytes FROM entries WHERE seq = 899), "
		"sig = (SELECT sig FROM entries WHERE seq = 899) WHERE seq = 900", 900, false);
	/* Inserted entry: everything from 250 moves up one, a copy fills 250. */
	expect_detected("insert",
		"UPDATE entries SET seq = seq + 100000 WHERE seq >= 250;"
		"UPDATE entries SET seq = seq - 100000 + 1 WHERE seq >= 100000;"
		"INSERT INTO entries SELECT 250, bytes, sig, hash, leaf, kind, time, key_id, clinician, "
		"of_seq, platform, post_id FROM entries WHERE seq = 249", 250, false);
	/* Tail truncation with its checkpoints: only the held one can tell. */
	snprintf(sql, sizeof(sql), "DELETE FROM entries WHERE seq >= 701; "
		 "DELETE FROM checkpoints WHERE size > 701");
	expect_detected("truncate-tail", sql, -1, true);
	/* Entries deleted but their checkpoint kept: detected without help. */
	expect_detected("truncate-keep-cp", "DELETE FROM entries WHERE seq >= 1101", -1, false);
	/* Checkpoint rolled back: the newest checkpoints vanish. */
	expect_detected("rollback-checkpoint", "DELETE FROM checkpoints WHERE size > 1001", 1001,
			false);
	expect_detected("stored-root",
		"UPDATE checkpoints SET root = zeroblob(32) WHERE size = 501", 500, false);
}
END_TEST

/* An operator with the signing key rewrites entry 300 and re-signs
 * everything after it, checkpoints too: only a held checkpoint catches it. */
START_TEST(test_tamper_resign_all)
{
	char *path, errbuf[VIGIL_ERRBUF_SIZE] = "";
	sqlite3 *db = attack_copy("resign", &path);
	sqlite3_stmt *sel, *upd;
	struct merkle_range range;
	uint8_t prev[32] = { 0 };
	vigil_key *k, *other;
	vigil_verify_result res;
	uint64_t seq;

	ck_assert_int_eq(vigil_key_from_seed(seed_a, &k), VIGIL_OK);
	ck_assert_int_eq(vigil_key_from_seed(seed_b, &other), VIGIL_OK);
	merkle_range_init(&range);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT seq, bytes FROM entries ORDER BY seq", -1,
					    &sel, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE entries SET bytes = ?, sig = ?, hash = ?, "
					    "leaf = ? WHERE seq = ?", -1, &upd, NULL), SQLITE_OK);
	exec_ok(db, "BEGIN");
	while (sqlite3_step(sel) == SQLITE_ROW) {
		json_t *e = json_loadb(sqlite3_column_blob(sel, 1), (size_t)sqlite3_column_bytes(sel, 1),
				       0, NULL);
		uint8_t sig[64], hash[32], leaf[32];
		char hex[65];
		struct vbuf b;

		seq = (uint64_t)sqlite3_column_int64(sel, 0);
		if (seq >= 300) {
			vigil_hex(prev, 32, hex);
			json_object_set_new(e, "prev", json_string(hex));
			if (seq == 300)
				json_object_set_new(json_object_get(json_object_get(e, "body"), "post"),
						    "text", json_string("rewritten"));
		}
		vbuf_init(&b, 1 << 20);
		ck_assert_int_eq(jcs_serialize(e, &b, NULL), VIGIL_OK);
		key_sign(k, b.data, b.len, sig);
		vigil_sha256(b.data, b.len, hash);
		merkle_leaf_hash(b.data, b.len, leaf);
		merkle_range_append(&range, leaf);
		memcpy(prev, hash, 32);
		if (seq >= 300) {
			sqlite3_reset(upd);
			sqlite3_bind_blob(upd, 1, b.data, (int)b.len, SQLITE_TRANSIENT);
			sqlite3_bind_blob(upd, 2, sig, 64, SQLITE_TRANSIENT);
			sqlite3_bind_blob(upd, 3, hash, 32, SQLITE_TRANSIENT);
			sqlite3_bind_blob(upd, 4, leaf, 32, SQLITE_TRANSIENT);
			sqlite3_bind_int64(upd, 5, (sqlite3_int64)seq);
			ck_assert_int_eq(sqlite3_step(upd), SQLITE_DONE);
		}
		/* Re-sign the checkpoint of this size, if there is one. */
		{
			char q[128], *note, origin[32];
			uint8_t root[32];

			merkle_range_root(&range, root);
			note_origin(vigil_key_public(k), origin);
			ck_assert_int_eq(note_sign(k, origin, range.size, root, &note), VIGIL_OK);
			sqlite3_stmt *cp;
			snprintf(q, sizeof(q), "UPDATE checkpoints SET note = ?, root = ? WHERE size = %" PRIu64,
				 range.size);
			ck_assert_int_eq(sqlite3_prepare_v2(db, q, -1, &cp, NULL), SQLITE_OK);
			sqlite3_bind_text(cp, 1, note, -1, SQLITE_TRANSIENT);
			sqlite3_bind_blob(cp, 2, root, 32, SQLITE_TRANSIENT);
			ck_assert_int_eq(sqlite3_step(cp), SQLITE_DONE);
			sqlite3_finalize(cp);
			free(note);
		}
		vbuf_free(&b);
		json_decref(e);
	}
	exec_ok(db, "COMMIT");
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_close(db);
	/* The rewrite is internally consistent... */
	ck_assert_msg(verify_db(path, NULL, &res, errbuf) == VIGIL_OK, "%s", errbuf);
	/* ...but does not extend the checkpoint a second party holds. */
	ck_assert_int_eq(verify_db(path, tamper_held, &res, errbuf), VIGIL_E_VERIFY);
	ck_assert_ptr_nonnull(strstr(errbuf, "held checkpoint"));
	vigil_key_free(k);
	vigil_key_free(other);
	unlink(path);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ledger");
	TCase *basic = tcase_create("basic"), *tamper = tcase_create("tamper");
	SRunner *sr;
	int failed;

	if (vigil_init() != VIGIL_OK)
		return EXIT_FAILURE;
	tcase_set_timeout(basic, 120);
	tcase_add_test(basic, test_jcs_cases);
	tcase_add_test(basic, test_jcs_parse_canonical);
	tcase_add_test(basic, test_key_files);
	tcase_add_test(basic, test_notes);
	tcase_add_test(basic, test_append_verify);
	tcase_add_test(basic, test_entry_bytes_canonical);
	tcase_add_test(basic, test_append_only_triggers);
	tcase_add_test(basic, test_clock_backwards);
	tcase_add_test(basic, test_rotation);
	tcase_add_test(basic, test_wrong_key_refused);
	tcase_add_test(basic, test_corrupt_database);
	suite_add_tcase(s, basic);
	tcase_set_timeout(tamper, 600);
	tcase_add_unchecked_fixture(tamper, tamper_setup, tamper_teardown);
	tcase_add_test(tamper, test_tamper_matrix);
	tcase_add_test(tamper, test_tamper_resign_all);
	suite_add_tcase(s, tamper);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
