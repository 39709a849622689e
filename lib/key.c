/* SPDX-License-Identifier: Apache-2.0 */
/* key.c - Ed25519 signing keys held in guarded memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil-private.h"

struct vigil_key {
	uint8_t pub[crypto_sign_PUBLICKEYBYTES];
	uint8_t *secret;   /* sodium_malloc(): seed || public key */
};

VIGIL_EXPORT vigil_error
vigil_init(void)
{
	return sodium_init() < 0 ? VIGIL_E_NOMEM : VIGIL_OK;
}

static vigil_error
key_alloc(vigil_key **out)
{
	vigil_key *k = calloc(1, sizeof(*k));

	if (!k)
		return VIGIL_E_NOMEM;
	k->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!k->secret) {
		free(k);
		return VIGIL_E_NOMEM;
	}
	*out = k;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_key_from_seed(const uint8_t seed[32], vigil_key **out)
{
	vigil_key *k;
	vigil_error r = key_alloc(&k);

	if (r != VIGIL_OK)
		return r;
	crypto_sign_seed_keypair(k->pub, k->secret, seed);
	sodium_mprotect_readonly(k->secret);
	*out = k;
	return VIGIL_OK;
}

VIGIL_EXPORT vigil_error
vigil_key_generate(vigil_key **out)
{
	uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
	vigil_error r;

	if (!seed)
		return VIGIL_E_NOMEM;
	randombytes_buf(seed, crypto_sign_SEEDBYTES);
	r = vigil_key_from_seed(seed, out);
	sodium_free(seed);  /* wipes */
	return r;
}

VIGIL_EXPORT void
vigil_key_free(vigil_key *key)
{
	if (!key)
		return;
	sodium_free(key->secret);  /* zeroes before release */
	free(key);
}

VIGIL_EXPORT const uint8_t *
vigil_key_public(const vigil_key *key)
{
	return key->pub;
}

VIGIL_EXPORT void
vigil_key_id(const uint8_t public_key[32], char out[65])
{
	uint8_t h[32];

	vigil_sha256(public_key, 32, h);
	vigil_hex(h, 32, out);
}

VIGIL_EXPORT vigil_error
vigil_key_load(const char *path, vigil_key **out, char *errbuf)
{
	uint8_t *seed = NULL;
	struct stat st;
	vigil_error r;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vigil_fail(errbuf, errno == ENOENT ? VIGIL_E_NOTFOUND : VIGIL_E_KEY,
				  "Failed to open key file '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = vigil_fail(errbuf, VIGIL_E_KEY, "Failed to stat key file '%s': %s",
			       path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = vigil_fail(errbuf, VIGIL_E_KEY, "Key file '%s' is not a regular file",
			       path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		r = vigil_fail(errbuf, VIGIL_E_PERM,
			       "Key file '%s' has mode %04o; group and others must have no access (chmod 600)",
			       path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size != crypto_sign_SEEDBYTES) {
		r = vigil_fail(errbuf, VIGIL_E_KEY,
			       "Key file '%s' holds %lld bytes; a vigil key file holds exactly %d",
			       path, (long long)st.st_size, crypto_sign_SEEDBYTES);
		goto out;
	}
	seed = sodium_malloc(crypto_sign_SEEDBYTES);
	if (!seed) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	do
		n = read(fd, seed, crypto_sign_SEEDBYTES);
	while (n < 0 && errno == EINTR);
	if (n != crypto_sign_SEEDBYTES) {
		r = vigil_fail(errbuf, VIGIL_E_KEY, "Failed to read key file '%s'", path);
		goto out;
	}
	r = vigil_key_from_seed(seed, out);
out:
	sodium_free(seed);
	close(fd);
	return r;
}

VIGIL_EXPORT vigil_error
vigil_key_save(const vigil_key *key, const char *path, char *errbuf)
{
	vigil_error r = VIGIL_OK;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vigil_fail(errbuf, errno == EEXIST ? VIGIL_E_EXISTS : VIGIL_E_IO,
				  "Failed to create key file '%s': %s", path,
				  strerror(errno));
	/* The umask may have narrowed the mode further; never widen it. */
	if (fchmod(fd, 0600) < 0) {
		r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to chmod '%s': %s", path,
			       strerror(errno));
		goto fail;
	}
	/* libsodium's secret key is seed || public key. */
	do
		n = write(fd, key->secret, crypto_sign_SEEDBYTES);
	while (n < 0 && errno == EINTR);
	if (n != crypto_sign_SEEDBYTES || fsync(fd) < 0) {
		r = vigil_fail(errbuf, errno == ENOSPC ? VIGIL_E_FULL : VIGIL_E_IO,
			       "Failed to write key file '%s': %s", path,
			       strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = vigil_fail(errbuf, VIGIL_E_IO, "Failed to write key file '%s': %s",
			       path, strerror(errno));
		goto fail;
	}
	vigil_fsync_dir(path);
	return VIGIL_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(path);
	return r;
}

void
key_sign(const vigil_key *key, const void *msg, size_t len, uint8_t sig[64])
{
	crypto_sign_detached(sig, NULL, msg, len, key->secret);
}

bool
key_verify(const uint8_t pub[32], const void *msg, size_t len,
	   const uint8_t sig[64])
{
	return crypto_sign_verify_detached(sig, msg, len, pub) == 0;
}

void
key_pem(const uint8_t pub[32], char out[128])
{
	/* SubjectPublicKeyInfo for Ed25519 (RFC 8410): fixed 12-byte prefix. */
	static const uint8_t spki_prefix[12] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
	};
	uint8_t der[44];
	char b64[64];

	memcpy(der, spki_prefix, sizeof(spki_prefix));
	memcpy(der + 12, pub, 32);
	vigil_b64(der, sizeof(der), b64);
	snprintf(out, 128, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
		 b64);
}
