/* SPDX-License-Identifier: Apache-2.0 */
/*
 * note.c - checkpoints as C2SP signed notes (spec 1.4):
 *
 *   <origin>\n<size>\n<base64 root>\n\n— <origin> <base64(hint || sig)>\n
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil-private.h"

#define EM_DASH "\xe2\x80\x94"
#define NOTE_MAX 4096

void
note_origin(const uint8_t first_key_pub[32], char out[32])
{
	char id[65];

	vigil_key_id(first_key_pub, id);
	snprintf(out, 32, "vigil.ledger/%.16s", id);
}

void
note_key_hint(const char *origin, const uint8_t pub[32], uint8_t out[4])
{
	crypto_hash_sha256_state st;
	const uint8_t sep[2] = { 0x0a, 0x01 };  /* newline, Ed25519 type */
	uint8_t h[32];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)origin, strlen(origin));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pub, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, 4);
}

vigil_error
note_sign(const vigil_key *key, const char *origin, uint64_t size,
	  const uint8_t root[32], char **out)
{
	char root64[64], sig64[128], body[256];
	uint8_t blob[68];
	char *note;
	int n;

	vigil_b64(root, 32, root64);
	n = snprintf(body, sizeof(body), "%s\n%" PRIu64 "\n%s\n", origin, size, root64);
	if (n < 0 || (size_t)n >= sizeof(body))
		return VIGIL_E_INVAL;
	note_key_hint(origin, vigil_key_public(key), blob);
	key_sign(key, body, (size_t)n, blob + 4);
	vigil_b64(blob, sizeof(blob), sig64);
	if (asprintf(&note, "%s\n" EM_DASH " %s %s\n", body, origin, sig64) < 0)
		return VIGIL_E_NOMEM;
	*out = note;
	return VIGIL_OK;
}

/* Copy line `*p` (without its newline) into buf; false if no newline. */
static bool
take_line(const char **p, const char *end, char *buf, size_t bufsize)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t len;

	if (!nl)
		return false;
	len = (size_t)(nl - *p);
	if (len >= bufsize)
		return false;
	memcpy(buf, *p, len);
	buf[len] = '\0';
	*p = nl + 1;
	return true;
}

vigil_error
note_parse(const char *text, size_t len, struct checkpoint *cp, char *errbuf)
{
	const char *p = text, *end = text + len;
	char line[512], *sp, *num_end;
	struct checkpoint c;
	size_t n;

	memset(&c, 0, sizeof(c));
	if (len > NOTE_MAX || memchr(text, '\0', len))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "checkpoint: not a signed note");
	if (!take_line(&p, end, c.origin, sizeof(c.origin)) || c.origin[0] == '\0' ||
	    strchr(c.origin, ' '))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "checkpoint line 1: bad origin");
	if (!take_line(&p, end, line, sizeof(line)) || line[0] < '0' || line[0] > '9' ||
	    (line[0] == '0' && line[1] != '\0'))
		return vigil_fail(errbuf, VIGIL_E_PARSE, "checkpoint line 2: bad size");
	c.size = strtoull(line, &num_end, 10);
	if (*num_end != '\0')
		return vigil_fail(errbuf, VIGIL_E_PARSE, "checkpoint line 2: bad size");
	if (!take_line(&p, end, line, sizeof(line)) ||
	    !vigil_unb64(line, strlen(line), c.root, 32, &n) || n != 32)
		return vigil_fail(errbuf, VIGIL_E_PARSE, "checkpoint line 3: bad root hash");
	c.body_len = (size_t)(p - text);
	if (!take_line(&p, end, line, sizeof(line)) || line[0] != '\0')
		return vigil_fail(errbuf, VIGIL_E_PARSE,
				  "checkpoint line 4: expected the blank line before signatures");
	/* One or more signature lines; use the one named after the origin. */
	while (p < end) {
		uint8_t blob[68];
		size_t olen = strlen(c.origin);

		if (!take_line(&p, end, line, sizeof(line)))
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "checkpoint: signature line without newline");
		if (strncmp(line, EM_DASH " ", 4) != 0)
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "checkpoint: signature line must start with an em dash");
		sp = line + 4;
		if (strncmp(sp, c.origin, olen) != 0 || sp[olen] != ' ')
			continue;
		sp += olen + 1;
		if (!vigil_unb64(sp, strlen(sp), blob, sizeof(blob), &n) || n != 68)
			return vigil_fail(errbuf, VIGIL_E_PARSE,
					  "checkpoint: malformed Ed25519 signature");
		memcpy(c.hint, blob, 4);
		memcpy(c.sig, blob + 4, 64);
		*cp = c;
		return VIGIL_OK;
	}
	return vigil_fail(errbuf, VIGIL_E_PARSE,
			  "checkpoint: no signature by '%s'", c.origin);
}

bool
note_verify(const char *text, const struct checkpoint *cp, const uint8_t pub[32])
{
	uint8_t hint[4];

	note_key_hint(cp->origin, pub, hint);
	if (memcmp(hint, cp->hint, 4) != 0)
		return false;
	return key_verify(pub, text, cp->body_len, cp->sig);
}
