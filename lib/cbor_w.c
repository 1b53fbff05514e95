/* cbor_w.c: see cbor_w.h. */
#include "cbor_w.h"

#include <cbor.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cw_init(struct cw *w)
{
	memset(w, 0, sizeof(*w));
}

void cw_free(struct cw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

uint8_t *cw_take(struct cw *w, size_t *len)
{
	uint8_t *b = w->buf;

	*len = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	return b;
}

static uint8_t *reserve(struct cw *w, size_t n)
{
	size_t need;

	if (w->err)
		return NULL;
	if (__builtin_add_overflow(w->len, n, &need)) {
		w->err = ENOMEM;
		return NULL;
	}
	if (need > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *nb;

		while (cap < need) {
			if (__builtin_mul_overflow(cap, 2, &cap)) {
				w->err = ENOMEM;
				return NULL;
			}
		}
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->err = ENOMEM;
			return NULL;
		}
		w->buf = nb;
		w->cap = cap;
	}
	return w->buf + w->len;
}

/* Every head fits in 9 bytes (RFC 8949 §3); libcbor's encoders return 0
 * only when the buffer is too small, which cannot happen here. */
static void put_head(struct cw *w, const uint8_t *head, size_t n)
{
	if (n == 0) {
		if (!w->err)
			w->err = EINVAL;
		return;
	}
	cw_raw(w, head, n);
}

void cw_uint(struct cw *w, uint64_t v)
{
	uint8_t h[9];

	put_head(w, h, cbor_encode_uint(v, h, sizeof(h)));
}

void cw_array(struct cw *w, size_t count)
{
	uint8_t h[9];

	put_head(w, h, cbor_encode_array_start(count, h, sizeof(h)));
}

void cw_map(struct cw *w, size_t count)
{
	uint8_t h[9];

	put_head(w, h, cbor_encode_map_start(count, h, sizeof(h)));
}

void cw_tag(struct cw *w, uint64_t t)
{
	uint8_t h[9];

	put_head(w, h, cbor_encode_tag(t, h, sizeof(h)));
}

void cw_int(struct cw *w, int64_t v)
{
	uint8_t h[9];

	if (v >= 0)
		put_head(w, h, cbor_encode_uint((uint64_t)v, h, sizeof(h)));
	else
		put_head(w, h, cbor_encode_negint((uint64_t)(-1 - v), h, sizeof(h)));
}

void cw_raw(struct cw *w, const void *src, size_t n)
{
	uint8_t *p = reserve(w, n);

	if (!p)
		return;
	if (n)
		memcpy(p, src, n);
	w->len += n;
}

void cw_bytes(struct cw *w, const void *src, size_t n)
{
	uint8_t h[9];

	put_head(w, h, cbor_encode_bytestring_start(n, h, sizeof(h)));
	cw_raw(w, src, n);
}

void cw_text(struct cw *w, const char *src, size_t n)
{
	uint8_t h[9];

	put_head(w, h, cbor_encode_string_start(n, h, sizeof(h)));
	cw_raw(w, src, n);
}

void cw_textz(struct cw *w, const char *s)
{
	cw_text(w, s, strlen(s));
}
