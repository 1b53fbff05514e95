/* cbor_r.h: a bounded, zero-copy, pull-style CBOR reader.
 *
 * Why not cbor_load(): libcbor 0.8 allocates whatever a header declares,
 * so 18 hostile bytes can ask for 20 GB. This reader never allocates: heads
 * are decoded one at a time by libcbor's streaming decoder
 * (cbor_stream_decode) and every declared length or count is checked
 * against the bytes that remain before the caller sees it.
 *
 * Contract:
 *  - The reader borrows BUF; returned byte/text pointers point into it and
 *    live as long as BUF does.
 *  - Every call either consumes exactly one head (plus string payload) and
 *    returns CR_OK, or consumes nothing and returns an error.
 *  - Only definite lengths are accepted (our encoders never emit
 *    indefinite ones); floats and simple values are rejected except by
 *    cr_skip(), which refuses them too: none of our formats use them.
 *  - An array or map count is bounded by the remaining bytes (each element
 *    takes at least one byte), so loops over counts are bounded by input.
 *  - cr_skip() nests at most CR_MAX_DEPTH deep.
 */
#ifndef HG_CBOR_R_H
#define HG_CBOR_R_H

#include <stddef.h>
#include <stdint.h>

#define CR_MAX_DEPTH 16

enum cr_status {
	CR_OK = 0,
	CR_ETRUNC,  /* input ends inside an item */
	CR_ETYPE,   /* item of another major type than asked for */
	CR_ELEN,    /* declared length or count exceeds the remaining input */
	CR_EINDEF,  /* indefinite-length item */
	CR_EDEPTH,  /* nesting deeper than CR_MAX_DEPTH */
	CR_EMALF,   /* reserved or malformed head */
	CR_ERANGE,  /* integer out of the range the caller asked for */
};

struct cr {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

void cr_init(struct cr *r, const uint8_t *buf, size_t len);
static inline size_t cr_left(const struct cr *r) { return r->len - r->off; }

int cr_uint(struct cr *r, uint64_t *v);
/* Major type 0 or 1, within int64_t. */
int cr_int(struct cr *r, int64_t *v);
int cr_bytes(struct cr *r, const uint8_t **p, size_t *n);
int cr_text(struct cr *r, const char **p, size_t *n);
int cr_array(struct cr *r, size_t *n);
int cr_map(struct cr *r, size_t *n);
int cr_tag(struct cr *r, uint64_t *tag);
/* Skip one whole item (with its children). */
int cr_skip(struct cr *r);

const char *cr_strerror(int status);

#endif
