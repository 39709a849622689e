/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - one careful HTTP transfer on libcurl.
 *
 * - https only, with peer and host verification always on (against the
 *   system's CAs, or those of the configured ca_file); plain http is
 *   allowed to loopback hosts alone (127.0.0.0/8, ::1, localhost), so that
 *   tests can run against local servers. Redirects are not followed.
 * - Connect and whole-transfer timeouts; a bounded response body (a larger
 *   one is VIGIL_E_TOOBIG, checked after gzip decoding too).
 * - Proxies come from the usual environment variables, which libcurl reads
 *   itself (http_proxy, https_proxy, no_proxy, all_proxy).
 * - Request headers may carry tokens: they are never logged, and the memory
 *   holding them is wiped when the request is cleared. Messages name the
 *   scheme, host and path of a URL, never its query.
 * - TLS is set up here for every transfer, the SMTP ones too
 *   (http_set_tls()), OpenSSL wiping the plaintext it holds.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include "vigil-private.h"

#define HTTP_MAX_HEADERS (64 * 1024)

/*
 * libcurl copies what we give it: headers with tokens and request bodies
 * with passwords go into its request buffer, the SMTP password into its
 * own strings and the AUTH exchange. It frees them without wiping, so
 * its memory functions wipe every block it frees or outgrows
 * (curl_global_init_mem()). Only libcurl's own allocations: not those of
 * the TLS library beneath it.
 */
static void
wipe_block(void *p)
{
	if (p)
		sodium_memzero(p, malloc_usable_size(p));
}

static void
curl_wipe_free(void *p)
{
	wipe_block(p);
	free(p);
}

static void *
curl_wipe_realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (!p)
		return malloc(n);
	have = malloc_usable_size(p);
	if (n <= have && n > 0)
		return p;  /* fits already: nothing is left behind */
	q = malloc(n ? n : 1);
	if (!q)
		return NULL;
	memcpy(q, p, have < n ? have : n);
	curl_wipe_free(p);
	return q;
}

/*
 * Beneath libcurl, OpenSSL decrypts each record it receives in place in
 * its read buffer, where the plaintext (a session token in a login
 * answer) stays until a later record overwrites it, and is freed unwiped
 * with the connection. SSL_OP_CLEANSE_PLAINTEXT (OpenSSL 3) wipes what
 * SSL_read() has handed over, and the whole buffer when it is released.
 * Only when libcurl's TLS library is the OpenSSL 3 we are linked with:
 * the SSL_CTX it passes is then one of ours to change.
 */
static bool tls_cleanse;

static CURLcode
on_ssl_ctx(CURL *c, void *ssl_ctx, void *userdata)
{
	SSL_CTX_set_options(ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
	return CURLE_OK;
}

static bool
curl_uses_our_openssl(const char **backend)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	const char *s = v && v->ssl_version ? v->ssl_version : "";
	char *end;
	unsigned long major;

	*backend = s[0] ? s : "no TLS library";
	/* "OpenSSL/3.0.19"; a build with several names the unused ones
	 * in parentheses after the one in use. */
	if (strncmp(s, "OpenSSL/", 8) != 0)
		return false;
	major = strtoul(s + 8, &end, 10);
	return end != s + 8 && major == OPENSSL_version_major();
}

static void
global_init_once(void)
{
	const char *backend;

	curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, curl_wipe_free, curl_wipe_realloc,
			     strdup, calloc);
	tls_cleanse = curl_uses_our_openssl(&backend);
	if (!tls_cleanse)
		log_warn("libcurl uses %.60s, not OpenSSL %u: the plaintext the TLS library "
			 "receives is not wiped from its buffers, ignoring", backend,
			 OPENSSL_version_major());
}

void
http_global_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, global_init_once);
}

bool
http_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

vigil_error
http_check_url(const char *url, char *errbuf)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	vigil_error r;

	if (!u)
		return VIGIL_E_NOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		r = vigil_fail(errbuf, VIGIL_E_INVAL, "'%.200s' is not a URL", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0) {
		r = VIGIL_OK;
	} else if (strcasecmp(scheme, "http") == 0 && http_host_is_loopback(host)) {
		r = VIGIL_OK;
	} else if (strcasecmp(scheme, "http") == 0) {
		r = vigil_fail(errbuf, VIGIL_E_TLS,
			       "refusing plain http to '%s': only https, or http to "
			       "a loopback address, is allowed", host);
	} else {
		r = vigil_fail(errbuf, VIGIL_E_INVAL,
			       "unsupported URL scheme '%s' (https only)", scheme);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

static void
wipe_slist(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

void
http_request_clear(struct http_request *req)
{
	wipe_slist(req->headers);
	if (req->body) {
		sodium_memzero(req->body, req->body_len);
		free(req->body);
	}
	free(req->url);
	memset(req, 0, sizeof(*req));
}

vigil_error
http_request_url(struct http_request *req, const char *method,
		 const char *fmt, ...)
{
	va_list ap;
	char *url;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&url, fmt, ap);
	va_end(ap);
	if (n < 0)
		return VIGIL_E_NOMEM;
	http_request_clear(req);
	req->url = url;
	req->method = method;
	return VIGIL_OK;
}

vigil_error
http_request_header(struct http_request *req, const char *fmt, ...)
{
	struct curl_slist *l;
	va_list ap;
	char *h;
	int n;

	/* A header may carry a token: formatted straight into secret memory
	 * (vasprintf() would leave copies on the stack and in freed heap). */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(h = secret_alloc((size_t)n + 1)))
		return VIGIL_E_NOMEM;
	va_start(ap, fmt);
	vsnprintf(h, (size_t)n + 1, fmt, ap);
	va_end(ap);
	l = curl_slist_append(req->headers, h);
	secret_free(h);
	if (!l)
		return VIGIL_E_NOMEM;
	req->headers = l;
	return VIGIL_OK;
}

void
http_request_body(struct http_request *req, char *body, size_t len)
{
	if (req->body) {
		sodium_memzero(req->body, req->body_len);
		free(req->body);
	}
	req->body = body;
	req->body_len = len;
}

char *
http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *copy;

	if (!e)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}

void
http_response_init(struct http_response *resp, size_t max)
{
	memset(resp, 0, sizeof(*resp));
	vbuf_init(&resp->body, max);
	vbuf_init(&resp->headers, HTTP_MAX_HEADERS);
}

void
http_response_clear(struct http_response *resp)
{
	vbuf_free(&resp->body);
	vbuf_free(&resp->headers);
	resp->status = 0;
	resp->error = VIGIL_OK;
	resp->message[0] = '\0';
}

const char *
http_header(const struct http_response *resp, const char *name, char *buf,
	    size_t size)
{
	const char *p = resp->headers.data, *found = NULL;
	size_t nlen = strlen(name), vlen = 0;

	if (!p || size == 0)
		return NULL;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t linelen = eol ? (size_t)(eol - p) : strlen(p);

		if (linelen > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1, *end = p + linelen;

			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == '\r' || end[-1] == ' '))
				end--;
			found = v;
			vlen = (size_t)(end - v);
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	if (!found)
		return NULL;
	if (vlen >= size)
		vlen = size - 1;
	memcpy(buf, found, vlen);
	buf[vlen] = '\0';
	return buf;
}

/* A header value from the server, fit for a log line: printable ASCII,
 * without the query of a URL. */
static const char *
header_for_message(const struct http_response *resp, const char *name, char *buf,
		   size_t size)
{
	if (!http_header(resp, name, buf, size))
		return NULL;
	buf[strcspn(buf, "?#")] = '\0';
	for (char *p = buf; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return buf;
}

const char *
http_redirect_target(const struct http_response *resp, char *buf, size_t size)
{
	return header_for_message(resp, "Location", buf, size);
}

const char *
http_not_json(const struct http_response *resp, char *buf, size_t size)
{
	size_t n;

	if (!header_for_message(resp, "Content-Type", buf, size))
		return NULL;
	n = strcspn(buf, "; ");
	if ((n == 16 && strncasecmp(buf, "application/json", n) == 0) ||
	    (n == 9 && strncasecmp(buf, "text/json", n) == 0) ||
	    (n > 5 && strncasecmp(buf + n - 5, "+json", 5) == 0))
		return NULL;
	return buf;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_xfer *x = userdata;
	size_t n = size * nmemb;

	if (vbuf_add(&x->resp.body, data, n) != VIGIL_OK) {
		x->toobig = true;
		return 0;
	}
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_xfer *x = userdata;
	size_t n = size * nmemb;

	/* A new status line starts a new set (1xx, proxies). */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		vbuf_reset(&x->resp.headers);
	if (vbuf_add(&x->resp.headers, data, n) != VIGIL_OK) {
		x->toobig = true;
		return 0;
	}
	return n;
}

void
http_set_tls(void *easy, const char *ca_file)
{
	static bool warned;

	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file) {
		/* Exactly these CAs: no CA directory compiled into libcurl besides. */
		curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file);
		curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
	}
	if (tls_cleanse &&
	    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) != CURLE_OK &&
	    !__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		log_warn("libcurl takes no SSL_CTX callback: the plaintext the TLS library "
			 "receives is not wiped from its buffers, ignoring");
}

void
http_xfer_init(struct http_xfer *x, size_t max_response)
{
	memset(x, 0, sizeof(*x));
	http_response_init(&x->resp, max_response);
}

/* "https://host/path" of the request, for messages. */
static void
url_for_message(const char *url, char *out, size_t size)
{
	size_t n = strcspn(url, "?#");

	snprintf(out, size, "%.*s", (int)(n > 200 ? 200 : n), url);
}

vigil_error
http_xfer_prepare(struct http_xfer *x, const struct http_options *o,
		  char *errbuf)
{
	CURL *c;
	vigil_error r;

	r = http_check_url(x->req.url, errbuf);
	if (r != VIGIL_OK)
		return r;
	vbuf_reset(&x->resp.body);
	vbuf_reset(&x->resp.headers);
	x->resp.status = 0;
	x->toobig = false;
	c = x->easy;
	if (c)
		curl_easy_reset(c);
	else
		c = curl_easy_init();
	if (!c)
		return VIGIL_E_NOMEM;
	x->easy = c;
	x->curl_error[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, x->req.url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* HTTP/1.1 only: libcurl hands nghttp2 no allocator, so HTTP/2 frame
	 * buffers (request headers with their tokens) would be freed
	 * unwiped, out of reach of the wiping memory functions. */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	http_set_tls(c, o->ca_file);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_response);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->req.headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->curl_error);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	if (x->req.method && strcmp(x->req.method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->req.body ? x->req.body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)x->req.body_len);
	}
	return VIGIL_OK;
}

void
http_xfer_done(struct http_xfer *x, int code)
{
	CURLcode cc = (CURLcode)code;
	struct http_response *resp = &x->resp;
	char where[224];
	long status = 0;

	url_for_message(x->req.url, where, sizeof(where));
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
	resp->error = VIGIL_OK;
	resp->message[0] = '\0';
	if (x->toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		resp->error = VIGIL_E_TOOBIG;
		snprintf(resp->message, sizeof(resp->message),
			 "%s: response larger than %zu bytes", where,
			 resp->body.max);
		return;
	}
	if (cc == CURLE_OK)
		return;
	switch (cc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		resp->error = VIGIL_E_TLS;
		break;
	default:
		resp->error = VIGIL_E_NET;
		break;
	}
	snprintf(resp->message, sizeof(resp->message), "%s: %.250s", where,
		 x->curl_error[0] ? x->curl_error : curl_easy_strerror(cc));
}

vigil_error
http_xfer_perform(struct http_xfer *x, const struct http_options *o,
		  char *errbuf)
{
	vigil_error r = http_xfer_prepare(x, o, errbuf);

	if (r != VIGIL_OK)
		return r;
	http_xfer_done(x, curl_easy_perform(x->easy));
	return VIGIL_OK;
}

void
http_xfer_clear(struct http_xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	http_request_clear(&x->req);
	http_response_clear(&x->resp);
	x->easy = NULL;
}
