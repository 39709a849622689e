/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merkle.c - RFC 9162 Merkle Tree Hash, compact ranges, inclusion and
 * consistency proofs over 32-byte leaf hashes.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil-private.h"

void
merkle_leaf_hash(const void *data, size_t len, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	const uint8_t zero = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void
merkle_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

void
merkle_empty_root(uint8_t out[32])
{
	crypto_hash_sha256(out, NULL, 0);
}

/* Largest power of two strictly smaller than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static void
subtree(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
	uint8_t l[32], r[32];
	uint64_t k;

	if (n == 1) {
		memcpy(out, leaves[0], 32);
		return;
	}
	k = split_point(n);
	subtree(leaves, k, l);
	subtree(leaves + k, n - k, r);
	merkle_node_hash(l, r, out);
}

void
merkle_root(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
	if (n == 0)
		merkle_empty_root(out);
	else
		subtree(leaves, n, out);
}

void
merkle_range_init(struct merkle_range *r)
{
	r->size = 0;
	r->depth = 0;
}

void
merkle_range_append(struct merkle_range *r, const uint8_t leaf[32])
{
	uint64_t s = r->size;

	memcpy(r->stack[r->depth++], leaf, 32);
	/* Each trailing one bit of the old size is a perfect subtree of the
	 * same height as the new right neighbour: merge them. */
	while (s & 1) {
		r->depth--;
		merkle_node_hash(r->stack[r->depth - 1], r->stack[r->depth],
				 r->stack[r->depth - 1]);
		s >>= 1;
	}
	r->size++;
}

void
merkle_range_root(const struct merkle_range *r, uint8_t out[32])
{
	uint8_t h[32];

	if (r->depth == 0) {
		merkle_empty_root(out);
		return;
	}
	memcpy(h, r->stack[r->depth - 1], 32);
	for (unsigned i = r->depth - 1; i-- > 0;)
		merkle_node_hash(r->stack[i], h, h);
	memcpy(out, h, 32);
}

/* RFC 9162 2.1.3.1: PATH(m, D[n]), deepest sibling first. */
static void
path(const uint8_t (*leaves)[32], uint64_t n, uint64_t m, uint8_t (*out)[32],
     size_t *len)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = split_point(n);
	if (m < k) {
		path(leaves, k, m, out, len);
		subtree(leaves + k, n - k, out[(*len)++]);
	} else {
		path(leaves + k, n - k, m - k, out, len);
		subtree(leaves, k, out[(*len)++]);
	}
}

vigil_error
merkle_inclusion_proof(const uint8_t (*leaves)[32], uint64_t n, uint64_t index,
		       uint8_t (*out)[32], size_t *pathlen)
{
	size_t len = 0;

	if (index >= n)
		return VIGIL_E_INVAL;
	path(leaves, n, index, out, &len);
	*pathlen = len;
	return VIGIL_OK;
}

bool
merkle_verify_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			const uint8_t (*p)[32], size_t pathlen,
			const uint8_t root[32])
{
	uint64_t fn = index, sn;
	uint8_t r[32];

	if (index >= size)
		return false;
	sn = size - 1;
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < pathlen; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(p[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, p[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && sodium_memcmp(r, root, 32) == 0;
}

/* RFC 9162 2.1.4.1: SUBPROOF(m, D[n], b). */
static void
subproof(const uint8_t (*leaves)[32], uint64_t n, uint64_t m, bool b,
	 uint8_t (*out)[32], size_t *len)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			subtree(leaves, n, out[(*len)++]);
		return;
	}
	k = split_point(n);
	if (m <= k) {
		subproof(leaves, k, m, b, out, len);
		subtree(leaves + k, n - k, out[(*len)++]);
	} else {
		subproof(leaves + k, n - k, m - k, false, out, len);
		subtree(leaves, k, out[(*len)++]);
	}
}

vigil_error
merkle_consistency_proof(const uint8_t (*leaves)[32], uint64_t n, uint64_t m,
			 uint8_t (*out)[32], size_t *pathlen)
{
	size_t len = 0;

	if (m > n)
		return VIGIL_E_INVAL;
	if (m > 0 && m < n)
		subproof(leaves, n, m, true, out, &len);
	*pathlen = len;
	return VIGIL_OK;
}

bool
merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[32],
			  const uint8_t root2[32], const uint8_t (*p)[32],
			  size_t pathlen)
{
	uint8_t fr[32], sr[32];
	uint64_t fn, sn;
	size_t i = 0;

	if (size1 > size2)
		return false;
	if (size1 == size2)
		return pathlen == 0 && sodium_memcmp(root1, root2, 32) == 0;
	if (size1 == 0)
		return pathlen == 0;  /* every tree extends the empty one */
	if (pathlen == 0)
		return false;
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* When size1 is a power of two, its root is the first node. */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, 32);
	} else {
		memcpy(fr, p[0], 32);
		i = 1;
	}
	memcpy(sr, fr, 32);
	for (; i < pathlen; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(p[i], fr, fr);
			merkle_node_hash(p[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, p[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && sodium_memcmp(fr, root1, 32) == 0 &&
	       sodium_memcmp(sr, root2, 32) == 0;
}

/* Levels with a lone last node carried up unchanged: this yields exactly
 * the RFC 9162 tree, and a proof is the sibling at every level where one
 * exists. */
struct merkle_tree {
	unsigned levels;
	uint64_t count[65];
	uint8_t (*level[65])[32];
};

vigil_error
merkle_tree_new(const uint8_t (*leaves)[32], uint64_t n, struct merkle_tree **out)
{
	struct merkle_tree *t = calloc(1, sizeof(*t));
	unsigned l = 0;

	if (!t)
		return VIGIL_E_NOMEM;
	t->count[0] = n;
	t->level[0] = malloc((n ? n : 1) * 32);
	if (!t->level[0])
		goto nomem;
	if (n)
		memcpy(t->level[0], leaves, n * 32);
	while (t->count[l] > 1) {
		uint64_t c = t->count[l], up = (c + 1) / 2;

		t->level[l + 1] = malloc(up * 32);
		if (!t->level[l + 1])
			goto nomem;
		for (uint64_t i = 0; i + 1 < c; i += 2)
			merkle_node_hash(t->level[l][i], t->level[l][i + 1],
					 t->level[l + 1][i / 2]);
		if (c & 1)
			memcpy(t->level[l + 1][up - 1], t->level[l][c - 1], 32);
		t->count[++l] = up;
	}
	t->levels = l + 1;
	*out = t;
	return VIGIL_OK;
nomem:
	merkle_tree_free(t);
	return VIGIL_E_NOMEM;
}

void
merkle_tree_free(struct merkle_tree *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < 65; i++)
		free(t->level[i]);
	free(t);
}

void
merkle_tree_root(const struct merkle_tree *t, uint8_t out[32])
{
	if (t->count[0] == 0)
		merkle_empty_root(out);
	else
		memcpy(out, t->level[t->levels - 1][0], 32);
}

vigil_error
merkle_tree_inclusion(const struct merkle_tree *t, uint64_t index,
		      uint8_t (*p)[32], size_t *pathlen)
{
	size_t len = 0;

	if (index >= t->count[0])
		return VIGIL_E_INVAL;
	for (unsigned l = 0; l + 1 < t->levels; l++) {
		uint64_t sib = index ^ 1;

		if (sib < t->count[l])
			memcpy(p[len++], t->level[l][sib], 32);
		index >>= 1;
	}
	*pathlen = len;
	return VIGIL_OK;
}
