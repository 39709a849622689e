/* SPDX-License-Identifier: Apache-2.0 */
/* error.c - error codes and messages. */
#include <stdio.h>

#include "config.h"
#include "vigil-private.h"

VIGIL_EXPORT const char *
vigil_strerror(vigil_error err)
{
	switch (err) {
	case VIGIL_OK: return "no error";
	case VIGIL_E_NOMEM: return "out of memory";
	case VIGIL_E_INVAL: return "invalid argument";
	case VIGIL_E_IO: return "input/output error";
	case VIGIL_E_DB: return "database error";
	case VIGIL_E_CORRUPT: return "corrupt data";
	case VIGIL_E_VERIFY: return "evidence check failed";
	case VIGIL_E_KEY: return "signing key error";
	case VIGIL_E_PERM: return "unsafe or insufficient permissions";
	case VIGIL_E_FULL: return "disk full";
	case VIGIL_E_BUSY: return "database is locked";
	case VIGIL_E_PARSE: return "malformed input";
	case VIGIL_E_NOTFOUND: return "not found";
	case VIGIL_E_TOOBIG: return "input too large";
	case VIGIL_E_EXISTS: return "already exists";
	case VIGIL_E_HTTP: return "HTTP error";
	case VIGIL_E_NET: return "network error";
	case VIGIL_E_TLS: return "TLS error";
	case VIGIL_E_RATELIMIT: return "rate limited";
	case VIGIL_E_AUTH: return "authentication failed";
	}
	return "unknown error";
}

VIGIL_EXPORT const char *
vigil_version(void)
{
	return VIGIL_VERSION;
}

vigil_error
vigil_fail(char *errbuf, vigil_error err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf) {
		va_start(ap, fmt);
		vsnprintf(errbuf, VIGIL_ERRBUF_SIZE, fmt, ap);
		va_end(ap);
	}
	return err;
}
