/* SPDX-License-Identifier: Apache-2.0 */
/* buf.c - growable buffers with a hard upper bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-private.h"

void
vbuf_init(struct vbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void
vbuf_free(struct vbuf *b)
{
	free(b->data);
	vbuf_init(b, b->max);
}

void
vbuf_reset(struct vbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static vigil_error
vbuf_grow(struct vbuf *b, size_t extra)
{
	size_t need, alloc;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return VIGIL_E_TOOBIG;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return VIGIL_OK;
	alloc = b->alloc ? b->alloc : 64;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	if (alloc > b->max + 1)
		alloc = b->max + 1;
	p = realloc(b->data, alloc);
	if (!p)
		return VIGIL_E_NOMEM;
	b->data = p;
	b->alloc = alloc;
	return VIGIL_OK;
}

vigil_error
vbuf_add(struct vbuf *b, const void *data, size_t len)
{
	vigil_error r = vbuf_grow(b, len);

	if (r != VIGIL_OK)
		return r;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return VIGIL_OK;
}

vigil_error
vbuf_addc(struct vbuf *b, char c)
{
	return vbuf_add(b, &c, 1);
}

vigil_error
vbuf_adds(struct vbuf *b, const char *s)
{
	return vbuf_add(b, s, strlen(s));
}

vigil_error
vbuf_printf(struct vbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	vigil_error r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return VIGIL_E_INVAL;
	r = vbuf_grow(b, (size_t)n);
	if (r != VIGIL_OK)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return VIGIL_OK;
}

char *
vbuf_take(struct vbuf *b, size_t *len)
{
	char *p = b->data;

	if (!p)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	vbuf_init(b, b->max);
	return p;
}
