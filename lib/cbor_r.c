/* cbor_r.c: see cbor_r.h. RFC 8949 §3 for the head layout. */
#include "cbor_r.h"

#include <cbor.h>
#include <string.h>

enum head_kind {
	H_NONE, H_UINT, H_NINT, H_BYTES, H_TEXT, H_ARRAY, H_MAP, H_TAG,
	H_INDEF, H_OTHER,
};

struct head {
	enum head_kind kind;
	uint64_t val;           /* integer value, length, count or tag */
	const uint8_t *data;    /* string payload */
};

static void on_uint8(void *c, uint8_t v) { ((struct head *)c)->kind = H_UINT; ((struct head *)c)->val = v; }
static void on_uint16(void *c, uint16_t v) { ((struct head *)c)->kind = H_UINT; ((struct head *)c)->val = v; }
static void on_uint32(void *c, uint32_t v) { ((struct head *)c)->kind = H_UINT; ((struct head *)c)->val = v; }
static void on_uint64(void *c, uint64_t v) { ((struct head *)c)->kind = H_UINT; ((struct head *)c)->val = v; }
static void on_nint8(void *c, uint8_t v) { ((struct head *)c)->kind = H_NINT; ((struct head *)c)->val = v; }
static void on_nint16(void *c, uint16_t v) { ((struct head *)c)->kind = H_NINT; ((struct head *)c)->val = v; }
static void on_nint32(void *c, uint32_t v) { ((struct head *)c)->kind = H_NINT; ((struct head *)c)->val = v; }
static void on_nint64(void *c, uint64_t v) { ((struct head *)c)->kind = H_NINT; ((struct head *)c)->val = v; }

static void on_bytes(void *c, cbor_data d, size_t n)
{
	struct head *h = c;

	h->kind = H_BYTES;
	h->val = n;
	h->data = d;
}

static void on_text(void *c, cbor_data d, size_t n)
{
	struct head *h = c;

	h->kind = H_TEXT;
	h->val = n;
	h->data = d;
}

static void on_array(void *c, size_t n) { ((struct head *)c)->kind = H_ARRAY; ((struct head *)c)->val = n; }
static void on_map(void *c, size_t n) { ((struct head *)c)->kind = H_MAP; ((struct head *)c)->val = n; }
static void on_tag(void *c, uint64_t t) { ((struct head *)c)->kind = H_TAG; ((struct head *)c)->val = t; }
static void on_indef(void *c) { ((struct head *)c)->kind = H_INDEF; }
static void on_other(void *c) { ((struct head *)c)->kind = H_OTHER; }
static void on_float(void *c, float f) { (void)f; on_other(c); }
static void on_double(void *c, double f) { (void)f; on_other(c); }
static void on_bool(void *c, bool b) { (void)b; on_other(c); }

static const struct cbor_callbacks head_callbacks = {
	.uint8 = on_uint8, .uint16 = on_uint16, .uint32 = on_uint32,
	.uint64 = on_uint64,
	.negint8 = on_nint8, .negint16 = on_nint16, .negint32 = on_nint32,
	.negint64 = on_nint64,
	.byte_string_start = on_indef, .byte_string = on_bytes,
	.string = on_text, .string_start = on_indef,
	.indef_array_start = on_indef, .array_start = on_array,
	.indef_map_start = on_indef, .map_start = on_map,
	.tag = on_tag,
	.float2 = on_float, .float4 = on_float, .float8 = on_double,
	.undefined = on_other, .null = on_other, .boolean = on_bool,
	.indef_break = on_indef,
};

void cr_init(struct cr *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
}

/* Decode the next head without consuming it; *used is its total size
 * including any string payload. */
static int peek(const struct cr *r, struct head *h, size_t *used)
{
	struct cbor_decoder_result res;

	memset(h, 0, sizeof(*h));
	if (cr_left(r) == 0)
		return CR_ETRUNC;
	/* libcbor 0.8's streaming decoder rejects the one-byte tag heads
	 * 0xc6..0xd4 as "unassigned" although RFC 8949 §3.4 makes them valid
	 * tags 6..20; COSE_Sign1 is tag 18 (0xd2). Decode those heads here:
	 * the value is the additional information itself (RFC 8949 §3). */
	if (r->buf[r->off] >= 0xc6 && r->buf[r->off] <= 0xd4) {
		h->kind = H_TAG;
		h->val = r->buf[r->off] & 0x1f;
		*used = 1;
		return CR_OK;
	}
	res = cbor_stream_decode(r->buf + r->off, cr_left(r), &head_callbacks,
				 h);
	if (res.status == CBOR_DECODER_NEDATA)
		return CR_ETRUNC;
	if (res.status != CBOR_DECODER_FINISHED || h->kind == H_NONE)
		return CR_EMALF;
	if (h->kind == H_INDEF)
		return CR_EINDEF;
	/* Each element of an array or map takes at least one byte; a count
	 * larger than what is left cannot be honest, refuse it before any
	 * caller loops on it. */
	if ((h->kind == H_ARRAY && h->val > cr_left(r) - res.read) ||
	    (h->kind == H_MAP && h->val > (cr_left(r) - res.read) / 2))
		return CR_ELEN;
	*used = res.read;
	return CR_OK;
}

static int expect(struct cr *r, enum head_kind kind, struct head *h)
{
	size_t used;
	int st = peek(r, h, &used);

	if (st != CR_OK)
		return st;
	if (h->kind != kind)
		return CR_ETYPE;
	r->off += used;
	return CR_OK;
}

int cr_uint(struct cr *r, uint64_t *v)
{
	struct head h;
	int st = expect(r, H_UINT, &h);

	if (st == CR_OK)
		*v = h.val;
	return st;
}

int cr_int(struct cr *r, int64_t *v)
{
	struct head h;
	size_t used;
	int st = peek(r, &h, &used);

	if (st != CR_OK)
		return st;
	if (h.kind != H_UINT && h.kind != H_NINT)
		return CR_ETYPE;
	if (h.val > INT64_MAX)
		return CR_ERANGE;
	*v = h.kind == H_UINT ? (int64_t)h.val : -1 - (int64_t)h.val;
	r->off += used;
	return CR_OK;
}

int cr_bytes(struct cr *r, const uint8_t **p, size_t *n)
{
	struct head h;
	int st = expect(r, H_BYTES, &h);

	if (st == CR_OK) {
		*p = h.data;
		*n = h.val;
	}
	return st;
}

int cr_text(struct cr *r, const char **p, size_t *n)
{
	struct head h;
	int st = expect(r, H_TEXT, &h);

	if (st == CR_OK) {
		*p = (const char *)h.data;
		*n = h.val;
	}
	return st;
}

int cr_array(struct cr *r, size_t *n)
{
	struct head h;
	int st = expect(r, H_ARRAY, &h);

	if (st == CR_OK)
		*n = h.val;
	return st;
}

int cr_map(struct cr *r, size_t *n)
{
	struct head h;
	int st = expect(r, H_MAP, &h);

	if (st == CR_OK)
		*n = h.val;
	return st;
}

int cr_tag(struct cr *r, uint64_t *tag)
{
	struct head h;
	int st = expect(r, H_TAG, &h);

	if (st == CR_OK)
		*tag = h.val;
	return st;
}

static int skip_depth(struct cr *r, int depth)
{
	struct head h;
	size_t used, off0 = r->off;
	int st;

	if (depth > CR_MAX_DEPTH)
		return CR_EDEPTH;
	st = peek(r, &h, &used);
	if (st != CR_OK)
		return st;
	if (h.kind == H_OTHER)
		return CR_ETYPE;
	r->off += used;
	switch (h.kind) {
	case H_ARRAY:
		for (uint64_t i = 0; i < h.val && st == CR_OK; i++)
			st = skip_depth(r, depth + 1);
		break;
	case H_MAP:
		for (uint64_t i = 0; i < 2 * h.val && st == CR_OK; i++)
			st = skip_depth(r, depth + 1);
		break;
	case H_TAG:
		st = skip_depth(r, depth + 1);
		break;
	default:
		break;
	}
	if (st != CR_OK)
		r->off = off0;
	return st;
}

int cr_skip(struct cr *r)
{
	return skip_depth(r, 0);
}

const char *cr_strerror(int status)
{
	switch (status) {
	case CR_OK: return "ok";
	case CR_ETRUNC: return "truncated CBOR";
	case CR_ETYPE: return "unexpected CBOR type";
	case CR_ELEN: return "CBOR length exceeds input";
	case CR_EINDEF: return "indefinite-length CBOR";
	case CR_EDEPTH: return "CBOR nested too deep";
	case CR_EMALF: return "malformed CBOR";
	case CR_ERANGE: return "CBOR integer out of range";
	default: return "unknown CBOR error";
	}
}
