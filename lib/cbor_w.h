/* cbor_w.h: a growable-buffer CBOR writer.
 *
 * Heads come from libcbor's cbor_encode_* (shortest form, RFC 8949 §4.2.1
 * preferred serialisation); the writer only manages the buffer. The caller
 * emits map keys in the order the format fixes, which keeps encodings
 * deterministic.
 *
 * Contract: the first failure (ENOMEM or size cap) is latched in w->err and
 * every later call is a no-op, so a sequence of writes is checked once at
 * the end. cw_free() accepts a zeroed or freed writer. cw_take() hands the
 * buffer to the caller, who frees it with free().
 */
#ifndef HG_CBOR_W_H
#define HG_CBOR_W_H

#include <stddef.h>
#include <stdint.h>

struct cw {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

void cw_init(struct cw *w);
void cw_free(struct cw *w);
uint8_t *cw_take(struct cw *w, size_t *len);

void cw_uint(struct cw *w, uint64_t v);
void cw_int(struct cw *w, int64_t v);
void cw_bytes(struct cw *w, const void *p, size_t n);
void cw_text(struct cw *w, const char *p, size_t n);
void cw_textz(struct cw *w, const char *s);
void cw_array(struct cw *w, size_t n);
void cw_map(struct cw *w, size_t n);
void cw_tag(struct cw *w, uint64_t tag);
/* Append already-encoded CBOR. */
void cw_raw(struct cw *w, const void *p, size_t n);

#endif
