/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 6962 / RFC 9162 Merkle trees: vectors, proofs, mutations. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

/* The test data of RFC 6962's reference implementation (certificate-
 * transparency, merkle_tree_test.cc), also used by Trillian. */
static const char *const leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *const root_hex[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static uint8_t vec_leaves[8][32];

static void
setup_vectors(void)
{
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t n = strlen(leaf_hex[i]) / 2;

		ck_assert(n == 0 || vigil_unhex(leaf_hex[i], data, n));
		merkle_leaf_hash(data, n, vec_leaves[i]);
	}
}

static void
assert_hex(const uint8_t h[32], const char *hex)
{
	char got[65];

	vigil_hex(h, 32, got);
	ck_assert_str_eq(got, hex);
}

START_TEST(test_roots)
{
	struct merkle_range r;
	uint8_t root[32];

	setup_vectors();
	merkle_range_init(&r);
	for (int n = 0; n <= 8; n++) {
		merkle_root((const uint8_t (*)[32])vec_leaves, (uint64_t)n, root);
		assert_hex(root, root_hex[n]);
		merkle_range_root(&r, root);
		assert_hex(root, root_hex[n]);
		if (n < 8)
			merkle_range_append(&r, vec_leaves[n]);
	}
}
END_TEST

struct proof_vec {
	uint64_t a, b;       /* leaf index and size, or size1 and size2 */
	int n;
	const char *path[4];
};

/* Inclusion and consistency proofs from the same reference test data. */
static const struct proof_vec inclusion_vecs[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

static const struct proof_vec consistency_vecs[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

START_TEST(test_inclusion_vectors)
{
	uint8_t path[MERKLE_MAX_PROOF][32], root[32];
	size_t len;

	setup_vectors();
	for (size_t v = 0; v < sizeof(inclusion_vecs) / sizeof(inclusion_vecs[0]); v++) {
		const struct proof_vec *p = &inclusion_vecs[v];

		ck_assert_int_eq(merkle_inclusion_proof((const uint8_t (*)[32])vec_leaves, p->b,
							p->a, path, &len), VIGIL_OK);
		ck_assert_uint_eq(len, (size_t)p->n);
		for (int i = 0; i < p->n; i++)
			assert_hex(path[i], p->path[i]);
		merkle_root((const uint8_t (*)[32])vec_leaves, p->b, root);
		ck_assert(merkle_verify_inclusion(vec_leaves[p->a], p->a, p->b,
						  (const uint8_t (*)[32])path, len, root));
	}
}
END_TEST

START_TEST(test_consistency_vectors)
{
	uint8_t path[MERKLE_MAX_PROOF][32], r1[32], r2[32];
	size_t len;

	setup_vectors();
	for (size_t v = 0; v < sizeof(consistency_vecs) / sizeof(consistency_vecs[0]); v++) {
		const struct proof_vec *p = &consistency_vecs[v];

		ck_assert_int_eq(merkle_consistency_proof((const uint8_t (*)[32])vec_leaves, p->b,
							  p->a, path, &len), VIGIL_OK);
		ck_assert_uint_eq(len, (size_t)p->n);
		for (int i = 0; i < p->n; i++)
			assert_hex(path[i], p->path[i]);
		merkle_root((const uint8_t (*)[32])vec_leaves, p->a, r1);
		merkle_root((const uint8_t (*)[32])vec_leaves, p->b, r2);
		ck_assert(merkle_verify_consistency(p->a, p->b, r1, r2,
						    (const uint8_t (*)[32])path, len));
	}
}
END_TEST

static uint8_t (*make_leaves(uint64_t n))[32]
{
	uint8_t (*l)[32] = malloc((n ? n : 1) * 32);

	for (uint64_t i = 0; i < n; i++)
		merkle_leaf_hash(&i, sizeof(i), l[i]);
	return l;
}

/* The incremental tree agrees with the recursive definition. */
START_TEST(test_naive_vs_incremental)
{
	uint8_t (*l)[32] = make_leaves(4097), a[32], b[32];
	struct merkle_range r;

	merkle_range_init(&r);
	for (uint64_t n = 0; n <= 4096; n++) {
		merkle_root((const uint8_t (*)[32])l, n, a);
		merkle_range_root(&r, b);
		ck_assert_mem_eq(a, b, 32);
		merkle_range_append(&r, l[n]);
	}
	free(l);
}
END_TEST

/* All inclusion proofs for sizes up to 70 verify, agree with the level
 * tree, and fail when any byte or the index changes. (A proof may also fit
 * a neighbouring size of the same shape; the size is bound to the root by
 * the checkpoint's signature, not by the proof.) */
START_TEST(test_inclusion_all)
{
	uint8_t (*l)[32] = make_leaves(70), path[MERKLE_MAX_PROOF][32], p2[MERKLE_MAX_PROOF][32];
	uint8_t root[32], troot[32];

	for (uint64_t n = 1; n <= 70; n++) {
		struct merkle_tree *t;

		ck_assert_int_eq(merkle_tree_new((const uint8_t (*)[32])l, n, &t), VIGIL_OK);
		merkle_root((const uint8_t (*)[32])l, n, root);
		merkle_tree_root(t, troot);
		ck_assert_mem_eq(root, troot, 32);
		for (uint64_t i = 0; i < n; i++) {
			size_t len, len2;

			ck_assert_int_eq(merkle_inclusion_proof((const uint8_t (*)[32])l, n, i, path,
								&len), VIGIL_OK);
			ck_assert_int_eq(merkle_tree_inclusion(t, i, p2, &len2), VIGIL_OK);
			ck_assert_uint_eq(len, len2);
			ck_assert_mem_eq(path, p2, len * 32);
			ck_assert(merkle_verify_inclusion(l[i], i, n, (const uint8_t (*)[32])path,
							  len, root));
			if (n > 1)
				ck_assert(!merkle_verify_inclusion(l[i], (i + 1) % n, n,
								   (const uint8_t (*)[32])path, len,
								   root));
			for (size_t k = 0; k < len; k++) {
				path[k][k % 32] ^= 0x01;
				ck_assert(!merkle_verify_inclusion(l[i], i, n,
								   (const uint8_t (*)[32])path, len,
								   root));
				path[k][k % 32] ^= 0x01;
			}
			if (len > 0)
				ck_assert(!merkle_verify_inclusion(l[i], i, n,
								   (const uint8_t (*)[32])path, len - 1,
								   root));
		}
		ck_assert_int_eq(merkle_tree_inclusion(t, n, path, &(size_t){0}), VIGIL_E_INVAL);
		merkle_tree_free(t);
	}
	free(l);
}
END_TEST

START_TEST(test_consistency_all)
{
	uint8_t (*l)[32] = make_leaves(40), path[MERKLE_MAX_PROOF][32], r1[32], r2[32];

	for (uint64_t n = 1; n <= 40; n++) {
		merkle_root((const uint8_t (*)[32])l, n, r2);
		for (uint64_t m = 1; m <= n; m++) {
			size_t len;

			merkle_root((const uint8_t (*)[32])l, m, r1);
			ck_assert_int_eq(merkle_consistency_proof((const uint8_t (*)[32])l, n, m,
								  path, &len), VIGIL_OK);
			ck_assert(merkle_verify_consistency(m, n, r1, r2,
							    (const uint8_t (*)[32])path, len));
			for (size_t k = 0; k < len; k++) {
				path[k][0] ^= 0x80;
				ck_assert(!merkle_verify_consistency(m, n, r1, r2,
								     (const uint8_t (*)[32])path, len));
				path[k][0] ^= 0x80;
			}
			if (m < n) {
				/* A rewritten older tree is not consistent. */
				r1[5] ^= 1;
				ck_assert(!merkle_verify_consistency(m, n, r1, r2,
								     (const uint8_t (*)[32])path, len));
				r1[5] ^= 1;
			}
		}
	}
	free(l);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("merkle");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_roots);
	tcase_add_test(tc, test_inclusion_vectors);
	tcase_add_test(tc, test_consistency_vectors);
	tcase_add_test(tc, test_naive_vs_incremental);
	tcase_add_test(tc, test_inclusion_all);
	tcase_add_test(tc, test_consistency_all);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
