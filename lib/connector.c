/* SPDX-License-Identifier: Apache-2.0 */
/*
 * connector.c - what every platform shares: sources, secrets, cursors.
 *
 * A walk fetches pages from the newest post back to the last-seen one (the
 * "since" mark). Its cursor is a small JSON object, opaque to callers:
 *   {"since":"<mark>"}                          between walks
 *   {"since":"<mark>","top":"<mark>","next":"<page token>"}   during a walk
 * A mark is "<key>" or "<key> <RFC 3339 time>": the platform's id of the
 * item (notification, post, comment thread) and, for platforms with no
 * server-side since filter, its time. `top` is the newest item of the walk;
 * it becomes `since` when the walk ends, so a caller that stores each page
 * before committing its cursor never skips a post, even across a crash.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "vigil-private.h"

#define SECRET_MAX 8192

static const struct connector *const connectors[] = {
	&conn_mastodon, &conn_bluesky, &conn_x, &conn_reddit, &conn_youtube,
};

const struct connector *
connector_find(const char *name)
{
	for (size_t i = 0; i < VIGIL_ARRAY_SIZE(connectors); i++)
		if (strcmp(connectors[i]->name, name) == 0)
			return connectors[i];
	return NULL;
}

/*
 * Secrets (token file contents, passwords, session tokens) live in
 * sodium_malloc() memory: kept out of core dumps (MADV_DONTDUMP), locked
 * in RAM where the memlock limit allows, wiped on free. They are small and
 * many (a token or two per source, a thousand sources on a security
 * office's server), and sodium_malloc() spends a locked page and two guard
 * pages on each, so small ones are carved from shared slabs of SLAB bytes
 * in size classes of 32 << c bytes (header included); a freed one is
 * wiped and kept for reuse. Larger ones get their own sodium_malloc().
 */
#define SLAB (64 * 1024)
#define CLASSES 7                 /* 32 .. 2048 bytes */
#define OWN UINT32_MAX            /* its own sodium_malloc() */

struct secret_hdr {
	uint32_t cls;
	uint32_t pad;
	void *next;               /* free list, while free */
};

static struct {
	pthread_mutex_t lock;
	char *slab;
	size_t used;
	struct secret_hdr *free[CLASSES];
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

char *
secret_alloc(size_t size)
{
	struct secret_hdr *h = NULL;
	size_t need;
	uint32_t c = 0;

	/* Callers of the library need not have called vigil_init(). */
	if (sodium_init() < 0 || size > SIZE_MAX - sizeof(*h) - 15)
		return NULL;
	/* sodium_malloc() puts the end of the block against a guard page, so
	 * the start is only as aligned as the size: round it to 16. */
	need = (size + sizeof(*h) + 15) & ~(size_t)15;
	while (c < CLASSES && ((size_t)32 << c) < need)
		c++;
	if (c == CLASSES) {
		h = sodium_malloc(need);
		if (!h)
			return NULL;
		h->cls = OWN;
		return (char *)(h + 1);
	}
	pthread_mutex_lock(&pool.lock);
	if (pool.free[c]) {
		h = pool.free[c];
		pool.free[c] = h->next;
	} else {
		/* The tail of a full slab stays unused: slabs are few. */
		if (!pool.slab || pool.used + ((size_t)32 << c) > SLAB) {
			pool.slab = sodium_malloc(SLAB);
			pool.used = 0;
		}
		if (pool.slab) {
			h = (struct secret_hdr *)(pool.slab + pool.used);
			pool.used += (size_t)32 << c;
		}
	}
	pthread_mutex_unlock(&pool.lock);
	if (!h)
		return NULL;
	h->cls = c;
	h->next = NULL;
	return (char *)(h + 1);
}

char *
secret_strndup(const char *s, size_t n)
{
	char *p = secret_alloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
secret_strdup(const char *s)
{
	return secret_strndup(s, strlen(s));
}

char *
secret_printf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(p = secret_alloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
secret_free(char *s)
{
	struct secret_hdr *h;

	if (!s)
		return;
	h = (struct secret_hdr *)(void *)s - 1;
	if (h->cls == OWN) {
		sodium_free(h);  /* wipes */
		return;
	}
	sodium_memzero(s, ((size_t)32 << h->cls) - sizeof(*h));
	pthread_mutex_lock(&pool.lock);
	h->next = pool.free[h->cls];
	pool.free[h->cls] = h;
	pthread_mutex_unlock(&pool.lock);
}

/*
 * A copy leaves what it copied in the vector registers it went through,
 * and a core holds every thread's registers (the NT_X86_XSTATE note).
 * glibc's memcpy() for AVX-512 machines moves data through ymm16-31,
 * which code compiled for plain x86-64 never touches: an https request,
 * its Authorization header with it, stayed there while vigild slept.
 * xmm0-15 are the scratch registers of all code and rarely keep anything
 * long, but are cleared too. Other architectures: not done yet.
 */
void
secret_wipe_registers(void)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		/* No clobbers: the compiler, building for x86-64 without
		 * AVX-512, keeps nothing in zmm16-31. */
		__asm__ volatile(
			"vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
			"vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
			"vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
			"vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
			"vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
			"vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
			"vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
			"vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
			"vpxord %%zmm24, %%zmm24, %%zmm24\n\t"
			"vpxord %%zmm25, %%zmm25, %%zmm25\n\t"
			"vpxord %%zmm26, %%zmm26, %%zmm26\n\t"
			"vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
			"vpxord %%zmm28, %%zmm28, %%zmm28\n\t"
			"vpxord %%zmm29, %%zmm29, %%zmm29\n\t"
			"vpxord %%zmm30, %%zmm30, %%zmm30\n\t"
			"vpxord %%zmm31, %%zmm31, %%zmm31\n\t"
			::: "memory");
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroall" ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
				 "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
				 "xmm13", "xmm14", "xmm15", "memory");
	else
		__asm__ volatile(
			"pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
			"pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
			"pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
			"pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
			"pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
			"pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
			"pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
			"pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15"
			::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			    "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
			    "xmm15", "memory");
#endif
}

void
wipe_free(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

vigil_error
secret_read(const char *path, char **out, size_t *len, char *errbuf)
{
	char *buf = NULL;
	struct stat st;
	vigil_error r;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vigil_fail(errbuf, errno == ENOENT ? VIGIL_E_NOTFOUND : VIGIL_E_IO,
				  "Failed to open secret file '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = vigil_fail(errbuf, VIGIL_E_IO, "secret file '%s' is not a regular file",
			       path);
		goto out;
	}
	if (st.st_mode & 077) {
		r = vigil_fail(errbuf, VIGIL_E_PERM,
			       "secret file '%s' may be read by group or others "
			       "(mode %03o); chmod 600 it", path,
			       (unsigned)(st.st_mode & 0777));
		goto out;
	}
	/* Straight from the kernel into secret memory: no stdio buffer. */
	buf = secret_alloc(SECRET_MAX + 1);
	if (!buf) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	while (got <= SECRET_MAX && (n = read(fd, buf + got, SECRET_MAX + 1 - got)) > 0)
		got += (size_t)n;
	if (got > SECRET_MAX) {
		r = vigil_fail(errbuf, VIGIL_E_TOOBIG, "secret file '%s' is larger than %d bytes",
			       path, SECRET_MAX);
		goto out;
	}
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r' ||
			   buf[got - 1] == ' '))
		got--;
	buf[got] = '\0';
	if (got == 0 || strlen(buf) != got) {
		r = vigil_fail(errbuf, VIGIL_E_PARSE, "secret file '%s' is empty or binary",
			       path);
		goto out;
	}
	/* Keep only what the secret needs: a daemon holds one per source. */
	*out = secret_strndup(buf, got);
	if (!*out) {
		r = VIGIL_E_NOMEM;
		goto out;
	}
	*len = got;
	r = VIGIL_OK;
out:
	secret_free(buf);
	close(fd);
	return r;
}

char *
secret_field(const char *secret, const char *key)
{
	size_t klen = strlen(key);
	const char *p = secret;

	while (p && *p) {
		size_t n = strcspn(p, "\r\n");

		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
			return secret_strndup(p + klen + 1, n - klen - 1);
		p += n;
		p += strspn(p, "\r\n");
	}
	return NULL;
}

static vigil_error
dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (!s || !*s)
		return VIGIL_OK;
	*dst = strdup(s);
	return *dst ? VIGIL_OK : VIGIL_E_NOMEM;
}

VIGIL_EXPORT vigil_error
vigil_source_new(const vigil_source_config *cfg, vigil_source **out,
		 char *errbuf)
{
	vigil_source *src;
	vigil_error r;

	if (!cfg->platform || !connector_find(cfg->platform))
		return vigil_fail(errbuf, VIGIL_E_INVAL, "unknown platform '%s'",
				  cfg->platform ? cfg->platform : "(none)");
	src = calloc(1, sizeof(*src));
	if (!src)
		return VIGIL_E_NOMEM;
	src->conn = connector_find(cfg->platform);
	if (cfg->mode && strcmp(cfg->mode, "search") == 0) {
		src->search = true;
	} else if (cfg->mode && strcmp(cfg->mode, "mentions") != 0) {
		r = vigil_fail(errbuf, VIGIL_E_INVAL, "unknown mode '%s' (mentions or search)",
			       cfg->mode);
		goto out;
	}
	r = dup_opt(&src->base_url, cfg->base_url);
	if (r == VIGIL_OK)
		r = dup_opt(&src->auth_url, cfg->auth_url);
	if (r == VIGIL_OK)
		r = dup_opt(&src->query, cfg->query);
	if (r == VIGIL_OK)
		r = dup_opt(&src->account, cfg->account);
	if (r == VIGIL_OK)
		r = dup_opt(&src->channel, cfg->channel);
	if (r == VIGIL_OK)
		r = dup_opt(&src->video, cfg->video);
	if (r == VIGIL_OK)
		r = dup_opt(&src->session_file, cfg->session_file);
	if (r == VIGIL_OK)
		r = dup_opt(&src->ca_file, cfg->ca_file);
	if (r != VIGIL_OK)
		goto out;
	if (src->search && !src->query) {
		r = vigil_fail(errbuf, VIGIL_E_INVAL, "%s: search mode needs a query",
			       cfg->platform);
		goto out;
	}
	src->page_size = cfg->page_size;
	src->http.connect_timeout_ms = cfg->connect_timeout_ms > 0 ?
		cfg->connect_timeout_ms : 10000;
	src->http.timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 60000;
	src->http.max_response = cfg->max_response ? cfg->max_response : 16u << 20;
	src->http.user_agent = "vigil/" VIGIL_VERSION " (clinician harassment evidence keeper)";
	src->http.ca_file = src->ca_file;
	if (cfg->token_file) {
		r = secret_read(cfg->token_file, &src->secret, &src->secret_len, errbuf);
		if (r != VIGIL_OK)
			goto out;
	}
	r = src->conn->setup(src, errbuf);
	if (r != VIGIL_OK)
		goto out;
	r = http_check_url(src->base_url, errbuf);
	if (r == VIGIL_OK && src->auth_url)
		r = http_check_url(src->auth_url, errbuf);
	if (r != VIGIL_OK)
		goto out;
	/* No trailing slash: paths are appended with one. */
	for (size_t n = strlen(src->base_url); n > 0 && src->base_url[n - 1] == '/'; n--)
		src->base_url[n - 1] = '\0';
	*out = src;
	src = NULL;
out:
	vigil_source_free(src);
	return r;
}

VIGIL_EXPORT void
vigil_source_free(vigil_source *src)
{
	if (!src)
		return;
	secret_free(src->secret);
	secret_free(src->bearer);
	secret_free(src->refresh);
	free(src->did);
	free(src->base_url);
	free(src->auth_url);
	free(src->query);
	free(src->account);
	free(src->channel);
	free(src->video);
	free(src->session_file);
	free(src->ca_file);
	free(src->user_agent);
	free(src);
}

VIGIL_EXPORT const char *
vigil_source_platform(const vigil_source *src)
{
	return src->conn->name;
}

/* ---- marks and cursors ---- */

char *
mark_make(const char *key, const char *time)
{
	char *s;

	if (!key)
		return NULL;
	if (!time)
		return strdup(key);
	if (asprintf(&s, "%s %s", key, time) < 0)
		return NULL;
	return s;
}

bool
mark_reached(const char *since, const char *key, int64_t time_ms)
{
	const char *sp;
	size_t klen;
	int64_t since_ms;

	if (!since || !*since)
		return false;
	sp = strchr(since, ' ');
	klen = sp ? (size_t)(sp - since) : strlen(since);
	if (key && strlen(key) == klen && memcmp(key, since, klen) == 0)
		return true;
	if (sp && time_ms != INT64_MIN && vigil_parse_time(sp + 1, &since_ms))
		return time_ms < since_ms;
	return false;
}

bool
walk_in_progress(const char *cursor)
{
	struct walk w;
	bool mid;

	if (!cursor || walk_decode(cursor, &w, NULL) != VIGIL_OK)
		return false;
	mid = w.next != NULL;
	walk_clear(&w);
	return mid;
}

void
walk_clear(struct walk *w)
{
	free(w->since);
	free(w->top);
	free(w->next);
	memset(w, 0, sizeof(*w));
}

vigil_error
walk_decode(const char *cursor, struct walk *w, char *errbuf)
{
	json_t *o;
	vigil_error r = VIGIL_OK;

	memset(w, 0, sizeof(*w));
	if (!cursor || !*cursor)
		return VIGIL_OK;
	if (cursor[0] != '{')
		return dup_opt(&w->since, cursor);
	o = json_loads(cursor, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "malformed cursor '%.100s'",
				  cursor);
	}
	if (dup_opt(&w->since, jstr(o, "since")) != VIGIL_OK ||
	    dup_opt(&w->top, jstr(o, "top")) != VIGIL_OK ||
	    dup_opt(&w->next, jstr(o, "next")) != VIGIL_OK) {
		walk_clear(w);
		r = VIGIL_E_NOMEM;
	}
	json_decref(o);
	return r;
}

static char *
walk_encode(const char *since, const char *top, const char *next)
{
	json_t *o = json_object();
	char *s;

	if (!o)
		return NULL;
	if (since)
		json_object_set_new(o, "since", json_string(since));
	if (top)
		json_object_set_new(o, "top", json_string(top));
	if (next)
		json_object_set_new(o, "next", json_string(next));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

vigil_error
walk_advance(const struct walk *w, struct parsed_page *pp, vigil_page **out)
{
	vigil_page *page = calloc(1, sizeof(*page));
	const char *top = w->next ? w->top : pp->top;

	if (!page)
		return VIGIL_E_NOMEM;
	page->more = pp->next && !pp->reached;
	if (page->more)
		page->cursor = walk_encode(w->since, top ? top : w->since, pp->next);
	else
		page->cursor = walk_encode(top ? top : w->since, NULL, NULL);
	if (!page->cursor) {
		free(page);
		return VIGIL_E_NOMEM;
	}
	page->posts = pp->posts;
	page->n_posts = pp->n;
	pp->posts = NULL;
	pp->n = pp->alloc = 0;
	*out = page;
	return VIGIL_OK;
}

VIGIL_EXPORT void
vigil_page_free(vigil_page *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n_posts; i++)
		vigil_post_free(page->posts[i]);
	free(page->posts);
	free(page->cursor);
	free(page);
}

/* ---- requests ---- */

vigil_error
query_add(struct vbuf *q, const char *name, const char *value)
{
	char *e;
	vigil_error r;

	if (!value)
		return VIGIL_OK;
	e = http_escape(value);
	if (!e)
		return VIGIL_E_NOMEM;
	r = vbuf_printf(q, "%c%s=%s", q->len ? '&' : '?', name, e);
	free(e);
	return r;
}

vigil_error
req_get(struct http_request *req, const vigil_source *src, const char *path,
	const struct vbuf *query)
{
	return http_request_url(req, "GET", "%s%s%s", src->base_url, path,
				query->data ? query->data : "");
}

/* ---- parsed pages ---- */

vigil_error
page_add(struct parsed_page *pp, vigil_post *post)
{
	/* A post is evidence only with an id and an author to name. An item
	 * where the platform left them empty is skipped, not the whole page:
	 * one odd item must not stop a source for good. */
	if (!post->id || (!post->author_id && !post->author_handle)) {
		log_warn("%s: an item without %s, ignoring", post->platform ? post->platform : "page",
			 post->id ? "an author" : "an id");
		vigil_post_free(post);
		return VIGIL_OK;
	}
	if (pp->n == pp->alloc) {
		size_t alloc = pp->alloc ? pp->alloc * 2 : 16;
		vigil_post **v = realloc(pp->posts, alloc * sizeof(*v));

		if (!v) {
			vigil_post_free(post);
			return VIGIL_E_NOMEM;
		}
		pp->posts = v;
		pp->alloc = alloc;
	}
	pp->posts[pp->n++] = post;
	return VIGIL_OK;
}

void
parsed_page_clear(struct parsed_page *pp)
{
	for (size_t i = 0; i < pp->n; i++)
		vigil_post_free(pp->posts[i]);
	free(pp->posts);
	free(pp->top);
	free(pp->next);
	memset(pp, 0, sizeof(*pp));
}

vigil_error
answer_load(const struct http_response *resp, const char *what,
	    struct jdoc **doc, char *errbuf)
{
	char msg[VIGIL_ERRBUF_SIZE], ctype[80];
	vigil_error r;

	r = jdoc_parse(resp->body.data ? resp->body.data : "", resp->body.len,
		       doc, msg);
	if (r != VIGIL_OK && http_not_json(resp, ctype, sizeof(ctype)))
		return vigil_fail(errbuf, r, "%s: not JSON: the server sent Content-Type '%s' (%s)",
				  what, ctype, msg);
	if (r != VIGIL_OK)
		return vigil_fail(errbuf, r, "%s: invalid JSON: %s", what, msg);
	return VIGIL_OK;
}

vigil_error
exists_current(vigil_error r, vigil_post **current)
{
	/* A post that does not parse still exists; it has no text to
	 * compare, so it is not an edit either. */
	if (r == VIGIL_E_PARSE) {
		*current = NULL;
		return VIGIL_OK;
	}
	return r;
}

vigil_error
page_load(const struct http_response *resp, const char *const *path,
	  const char *what, struct jdoc **doc, jref *items, char *errbuf)
{
	struct jdoc *d = NULL;
	jref a = 0;
	vigil_error r;

	r = answer_load(resp, what, &d, errbuf);
	if (r != VIGIL_OK)
		return r;
	for (size_t i = 0; path[i]; i++)
		a = jd_get(d, a, path[i]);
	/* An absent list (X sends no "data" when empty) is empty. */
	if (a != JNONE && !jd_is(d, a, JARRAY)) {
		jdoc_free(d);
		return vigil_fail(errbuf, VIGIL_E_PARSE, "%s: '%s' is not an array",
				  what, path[0] ? path[0] : "(top level)");
	}
	*doc = d;
	*items = a;
	return VIGIL_OK;
}
