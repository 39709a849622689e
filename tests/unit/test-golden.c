/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden files for the formats that must never drift: the canonical bytes
 * of entries made from a fixed key and clock, and a whole export bundle.
 * Set VIGIL_UPDATE_GOLDEN=1 to rewrite them (and review the diff).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"
#include "testutil.h"

#define GOLDEN_DIR VIGIL_TEST_DIR "/golden"
#define SAMPLES VIGIL_TEST_DIR "/../contrib/samples/posts.jsonl"

static const uint8_t seed[32] = {
	0x76, 0x69, 0x67, 0x69, 0x6c, 0x20, 0x67, 0x6f, 0x6c, 0x64, 0x65, 0x6e,
};
static int64_t fake_ms = 1795600000000LL; /* 2026-11-25T08:26:40Z */

static int64_t
fake_clock(void *userdata)
{
	(void)userdata;
	fake_ms += 1500;
	return fake_ms;
}

static bool
update_mode(void)
{
	const char *u = getenv("VIGIL_UPDATE_GOLDEN");

	return u && *u == '1';
}

static void
compare_or_update(const char *golden, const char *got)
{
	char cmd[2048];

	if (update_mode()) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -r '%s' '%s'", golden, got, golden);
		ck_assert_int_eq(system(cmd), 0);
		return;
	}
	snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s' >&2", golden, got);
	ck_assert_msg(system(cmd) == 0, "%s differs from %s (VIGIL_UPDATE_GOLDEN=1 to accept)",
		      got, golden);
}

static int
write_entry(const vigil_entry *e, void *userdata)
{
	fwrite(e->bytes, 1, e->len, userdata);
	fputc('\n', userdata);
	return 0;
}

START_TEST(test_golden_ledger_and_bundle)
{
	char *dir = test_tmpdir(), *db = test_path(dir, "vigil.db"), *key = test_path(dir, "k");
	char *entries = test_path(dir, "entries.golden"), *bundle = test_path(dir, "bundle");
	char *subset = test_path(dir, "bundle-jroe"), errbuf[VIGIL_ERRBUF_SIZE] = "";
	vigil_export_options opts = { 0 };
	vigil_ledger *l;
	vigil_batch *b;
	vigil_key *k;
	char line[65536];
	FILE *in, *out;
	int n = 0;

	ck_assert_int_eq(vigil_key_from_seed(seed, &k), VIGIL_OK);
	ck_assert_int_eq(vigil_key_save(k, key, NULL), VIGIL_OK);
	vigil_key_free(k);
	vigil_set_clock(fake_clock, NULL);
	ck_assert_msg(vigil_ledger_open(db, key, VIGIL_OPEN_CREATE, &l, errbuf) == VIGIL_OK, "%s",
		      errbuf);
	ck_assert_int_eq(vigil_batch_new(&b), VIGIL_OK);
	ck_assert_int_eq(vigil_batch_add(b, "registration",
		"{\"clinician\":{\"id\":\"jroe\",\"name\":\"Dr. Jane Roe\",\"aliases\":[\"Jane Roe\"],"
		"\"handles\":[]},\"change\":\"added\"}", NULL), VIGIL_OK);
	ck_assert_int_eq(vigil_ledger_append(l, b, NULL, NULL, NULL), VIGIL_OK);
	in = fopen(SAMPLES, "r");
	ck_assert_ptr_nonnull(in);
	while (fgets(line, sizeof(line), in)) {
		ck_assert_msg(vigil_ingest_line(b, NULL, line, strcspn(line, "\n"), errbuf) == VIGIL_OK,
			      "%s", errbuf);
		if (++n % 8 == 0)
			ck_assert_int_eq(vigil_ledger_append(l, b, NULL, NULL, NULL), VIGIL_OK);
	}
	fclose(in);
	ck_assert_int_eq(vigil_batch_add(b, "annotation",
		"{\"of\":2,\"by\":\"security office\",\"status\":\"reported\",\"text\":\"Reported to police\","
		"\"reference\":\"SPVM-2026-0042\"}", NULL), VIGIL_OK);
	ck_assert_int_eq(vigil_ledger_append(l, b, NULL, NULL, NULL), VIGIL_OK);
	vigil_batch_free(b);

	out = fopen(entries, "w");
	ck_assert_int_eq(vigil_ledger_foreach(l, 0, UINT64_MAX, write_entry, out), VIGIL_OK);
	fclose(out);
	ck_assert_msg(vigil_export(l, NULL, bundle, NULL, errbuf) == VIGIL_OK, "%s", errbuf);
	opts.clinician = "jroe";
	ck_assert_msg(vigil_export(l, &opts, subset, NULL, errbuf) == VIGIL_OK, "%s", errbuf);
	vigil_ledger_close(l);
	vigil_set_clock(NULL, NULL);

	compare_or_update(GOLDEN_DIR "/entries.golden", entries);
	compare_or_update(GOLDEN_DIR "/bundle", bundle);
	compare_or_update(GOLDEN_DIR "/bundle-jroe", subset);
	free(db);
	free(key);
	free(entries);
	free(bundle);
	free(subset);
	test_rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create("formats");
	SRunner *sr;
	int failed;

	if (vigil_init() != VIGIL_OK)
		return EXIT_FAILURE;
	tcase_add_test(tc, test_golden_ledger_and_bundle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
