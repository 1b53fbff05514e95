/* test_cbor_r.c: the bounded CBOR reader (lib/cbor_r.h).
 *
 * The bad-inputs table follows libcbor's test/bad_inputs_test.c: each
 * malformed input is pinned to the exact status one call must return, and
 * every failing call must leave the reader where it was (cbor_r.h: "every
 * call either consumes exactly one head ... or consumes nothing").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/cbor_r.h"
#include "../../lib/cbor_w.h"

enum call {
	C_UINT, C_INT, C_BYTES, C_TEXT, C_ARRAY, C_MAP, C_TAG, C_SKIP,
};

static const char *const call_name[] = {
	"cr_uint", "cr_int", "cr_bytes", "cr_text", "cr_array", "cr_map",
	"cr_tag", "cr_skip",
};

static int do_call(struct cr *r, enum call c)
{
	uint64_t u;
	int64_t i;
	const uint8_t *p;
	const char *s;
	size_t n;

	switch (c) {
	case C_UINT: return cr_uint(r, &u);
	case C_INT: return cr_int(r, &i);
	case C_BYTES: return cr_bytes(r, &p, &n);
	case C_TEXT: return cr_text(r, &s, &n);
	case C_ARRAY: return cr_array(r, &n);
	case C_MAP: return cr_map(r, &n);
	case C_TAG: return cr_tag(r, &u);
	case C_SKIP: return cr_skip(r);
	}
	return -1;
}

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

struct bad {
	const char *what;
	const uint8_t *in;
	size_t len;
	enum call call;
	int want;
};

/* 18 bytes that declare an array of 0x9a9a9a9a elements: cbor_load()
 * in libcbor 0.8 would try to allocate for all of them. */
static const uint8_t nine_a[18] = {
	0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a,
	0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a, 0x9a,
};

/* 0x81 x 40 then 0x00: 40 nested one-element arrays. */
static uint8_t deep40[41];
/* 17 nested arrays: one more than CR_MAX_DEPTH allows. */
static uint8_t deep17[18];

static const struct bad bad_inputs[] = {
	/* Declared counts and lengths larger than the input. */
	{ "9a x18 as array", nine_a, sizeof(nine_a), C_ARRAY, CR_ELEN },
	{ "9a x18 skipped", nine_a, sizeof(nine_a), C_SKIP, CR_ELEN },
	/* The count check runs before the type check. */
	{ "9a x18 as uint", nine_a, sizeof(nine_a), C_UINT, CR_ELEN },
	{ "9a x18 as tag", nine_a, sizeof(nine_a), C_TAG, CR_ELEN },
	{ "array(3) with 2 elements", B(0x83, 0x00, 0x00), C_ARRAY, CR_ELEN },
	{ "array(2^64-1)", B(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00),
	  C_ARRAY, CR_ELEN },
	{ "map(2) with 3 bytes", B(0xa2, 0x00, 0x00, 0x00), C_MAP, CR_ELEN },
	{ "map(2) with 3 bytes skipped", B(0xa2, 0x00, 0x00, 0x00), C_SKIP, CR_ELEN },
	{ "map(0x9a9a9a9a)", B(0xba, 0x9a, 0x9a, 0x9a, 0x9a, 0x00, 0x00), C_MAP, CR_ELEN },
	/* A string whose declared length runs past the end: libcbor's
	 * streaming decoder asks for more data, so the reader says ETRUNC. */
	{ "bytes(2^64-1)", B(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00),
	  C_BYTES, CR_ETRUNC },
	{ "bytes(2^64-1) skipped", B(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00),
	  C_SKIP, CR_ETRUNC },
	{ "bytes(2^32)", B(0x5b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00),
	  C_BYTES, CR_ETRUNC },
	{ "text(2^64-1)", B(0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61),
	  C_TEXT, CR_ETRUNC },
	{ "bytes(3) with 1", B(0x43, 0x01), C_BYTES, CR_ETRUNC },
	/* Truncated heads. */
	{ "empty", nine_a, 0, C_UINT, CR_ETRUNC },
	{ "empty, skipped", nine_a, 0, C_SKIP, CR_ETRUNC },
	{ "uint16 head cut", B(0x19, 0x01), C_UINT, CR_ETRUNC },
	{ "uint16 head cut, cr_int", B(0x19, 0x01), C_INT, CR_ETRUNC },
	{ "uint8 head cut", B(0x18), C_UINT, CR_ETRUNC },
	{ "uint64 head cut", B(0x1b, 0x00, 0x00, 0x00), C_UINT, CR_ETRUNC },
	{ "nint32 head cut", B(0x3a, 0x00, 0x00), C_INT, CR_ETRUNC },
	{ "bytes length cut", B(0x58), C_BYTES, CR_ETRUNC },
	{ "array16 head cut", B(0x99, 0x00), C_ARRAY, CR_ETRUNC },
	{ "tag8 head cut", B(0xd8), C_TAG, CR_ETRUNC },
	{ "tag without content, skipped", B(0xd2), C_SKIP, CR_ETRUNC },
	{ "array whose last bytes(1) is cut, skipped", B(0x82, 0x00, 0x41), C_SKIP, CR_ETRUNC },
	/* A nested count beyond the end is ELEN, not ETRUNC: the count check
	 * cannot tell a lie from a cut. */
	{ "array whose last element is a cut array, skipped", B(0x82, 0x00, 0x81), C_SKIP, CR_ELEN },
	/* Indefinite lengths. */
	{ "indefinite array", B(0x9f, 0x00, 0xff), C_ARRAY, CR_EINDEF },
	{ "indefinite array skipped", B(0x9f, 0x00, 0xff), C_SKIP, CR_EINDEF },
	{ "indefinite bytes", B(0x5f, 0x41, 0x00, 0xff), C_BYTES, CR_EINDEF },
	{ "indefinite text", B(0x7f, 0x61, 0x61, 0xff), C_TEXT, CR_EINDEF },
	{ "indefinite map", B(0xbf, 0x00, 0x00, 0xff), C_MAP, CR_EINDEF },
	{ "break", B(0xff), C_SKIP, CR_EINDEF },
	{ "indefinite inside array, skipped", B(0x82, 0x00, 0x9f, 0xff), C_SKIP, CR_EINDEF },
	/* Wrong major type. */
	{ "uint as bytes", B(0x00), C_BYTES, CR_ETYPE },
	{ "bytes as uint", B(0x40), C_UINT, CR_ETYPE },
	{ "nint as uint", B(0x20), C_UINT, CR_ETYPE },
	{ "text as bytes", B(0x60), C_BYTES, CR_ETYPE },
	{ "bytes as text", B(0x40), C_TEXT, CR_ETYPE },
	{ "map as array", B(0xa0), C_ARRAY, CR_ETYPE },
	{ "array as map", B(0x80), C_MAP, CR_ETYPE },
	{ "tag as uint", B(0xc1, 0x00), C_UINT, CR_ETYPE },
	{ "uint as tag", B(0x12), C_TAG, CR_ETYPE },
	{ "bytes as int", B(0x40), C_INT, CR_ETYPE },
	{ "true as uint", B(0xf5), C_UINT, CR_ETYPE },
	/* Floats and simple values: refused by cr_skip() too. */
	{ "float16 skipped", B(0xf9, 0x3c, 0x00), C_SKIP, CR_ETYPE },
	{ "float32 skipped", B(0xfa, 0x3f, 0x80, 0x00, 0x00), C_SKIP, CR_ETYPE },
	{ "float64 skipped", B(0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), C_SKIP, CR_ETYPE },
	{ "false skipped", B(0xf4), C_SKIP, CR_ETYPE },
	{ "null skipped", B(0xf6), C_SKIP, CR_ETYPE },
	{ "undefined skipped", B(0xf7), C_SKIP, CR_ETYPE },
	{ "float inside map, skipped", B(0xa1, 0x00, 0xf9, 0x3c, 0x00), C_SKIP, CR_ETYPE },
	/* Depth. */
	{ "40 nested arrays skipped", deep40, sizeof(deep40), C_SKIP, CR_EDEPTH },
	{ "17 nested arrays skipped", deep17, sizeof(deep17), C_SKIP, CR_EDEPTH },
	/* Integers out of range. */
	{ "nint beyond int64", B(0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	  C_INT, CR_ERANGE },
	{ "nint -2^63-1", B(0x3b, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
	  C_INT, CR_ERANGE },
	{ "uint 2^63 as int", B(0x1b, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
	  C_INT, CR_ERANGE },
	{ "uint 2^64-1 as int", B(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	  C_INT, CR_ERANGE },
	/* Reserved heads (RFC 8949 §3: additional information 28..30). */
	{ "uint ai 28", B(0x1c, 0x00), C_UINT, CR_EMALF },
	{ "nint ai 29", B(0x3d, 0x00), C_INT, CR_EMALF },
	{ "bytes ai 30", B(0x5e, 0x00), C_BYTES, CR_EMALF },
	{ "tag ai 28", B(0xdc, 0x00), C_TAG, CR_EMALF },
	{ "tag ai 31", B(0xdf, 0x00), C_SKIP, CR_EMALF },
};

static void test_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const struct bad *b = &bad_inputs[i];
		size_t len = b->len;
		struct cr r;
		int st;

		cr_init(&r, b->in, len);
		st = do_call(&r, b->call);
		if (st != b->want || r.off != 0)
			print_error("row %zu \"%s\": %s gave %d (%s), off %zu; "
				    "want %d (%s), off 0\n", i, b->what,
				    call_name[b->call], st, cr_strerror(st),
				    r.off, b->want, cr_strerror(b->want));
		assert_int_equal(st, b->want);
		/* A failed call consumes nothing. */
		assert_int_equal(r.off, 0);
		assert_int_equal(cr_left(&r), len);
	}
}

/* A failure after a good prefix leaves the reader at that prefix, even
 * when cr_skip() fails several levels down. */
static void test_failure_consumes_nothing(void **state)
{
	/* [1, [2, {3: 1.0}]] then 0x05 */
	static const uint8_t in[] = { 0x82, 0x01, 0x82, 0x02, 0xa1, 0x03,
				      0xf9, 0x3c, 0x00, 0x05 };
	/* 0x07, then bytes(4) with 2 bytes */
	static const uint8_t cut[] = { 0x07, 0x44, 0xaa, 0xbb };
	struct cr r;
	uint64_t u = 99;
	int64_t i = 99;
	const uint8_t *p = NULL;
	size_t n = 99;

	(void)state;
	cr_init(&r, in, sizeof(in));
	assert_int_equal(cr_skip(&r), CR_ETYPE);
	assert_int_equal(r.off, 0);
	assert_int_equal(cr_array(&r, &n), CR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_int_equal(u, 1);
	assert_int_equal(r.off, 2);
	assert_int_equal(cr_skip(&r), CR_ETYPE);
	assert_int_equal(r.off, 2);
	/* Wrong-type calls on a good head leave it and the outputs alone. */
	u = 77;
	n = 77;
	assert_int_equal(cr_map(&r, &n), CR_ETYPE);
	assert_int_equal(cr_uint(&r, &u), CR_ETYPE);
	assert_int_equal(cr_tag(&r, &u), CR_ETYPE);
	assert_int_equal(r.off, 2);
	assert_int_equal(u, 77);
	assert_int_equal(n, 77);

	cr_init(&r, cut, sizeof(cut));
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_int_equal(u, 7);
	assert_int_equal(cr_bytes(&r, &p, &n), CR_ETRUNC);
	assert_int_equal(r.off, 1);
	assert_int_equal(cr_skip(&r), CR_ETRUNC);
	assert_int_equal(r.off, 1);
	/* A cut head is reported before its type. */
	assert_int_equal(cr_int(&r, &i), CR_ETRUNC);
	assert_int_equal(i, 99);
	assert_int_equal(r.off, 1);
}

static void test_depth_limit_boundary(void **state)
{
	uint8_t in[CR_MAX_DEPTH + 1];
	struct cr r;

	(void)state;
	/* CR_MAX_DEPTH nested arrays around a uint: allowed. */
	memset(in, 0x81, CR_MAX_DEPTH);
	in[CR_MAX_DEPTH] = 0x00;
	cr_init(&r, in, sizeof(in));
	assert_int_equal(cr_skip(&r), CR_OK);
	assert_int_equal(r.off, sizeof(in));
	assert_int_equal(cr_left(&r), 0);
	/* The same depth reached through maps and tags. */
	{
		uint8_t m[2 * CR_MAX_DEPTH + 1];
		size_t k = 0;

		for (int d = 0; d < CR_MAX_DEPTH; d++) {
			if (d % 2) {
				m[k++] = 0xc1; /* tag 1 */
			} else {
				m[k++] = 0xa1; /* {0: ...} */
				m[k++] = 0x00;
			}
		}
		m[k++] = 0x00;
		cr_init(&r, m, k);
		assert_int_equal(cr_skip(&r), CR_OK);
		assert_int_equal(r.off, k);
		/* One more tag level is too deep. */
		{
			uint8_t m2[sizeof(m) + 1];

			m2[0] = 0xc1;
			memcpy(m2 + 1, m, k);
			cr_init(&r, m2, k + 1);
			assert_int_equal(cr_skip(&r), CR_EDEPTH);
			assert_int_equal(r.off, 0);
		}
	}
}

/* libcbor 0.8's streaming decoder refuses the one-byte tag heads
 * 0xc6..0xd4; the reader decodes them as tags 6..20 (RFC 8949 §3.4). */
static void test_one_byte_tags(void **state)
{
	(void)state;
	for (unsigned b = 0xc0; b <= 0xd7; b++) {
		uint8_t in[2] = { (uint8_t)b, 0x17 };
		struct cr r;
		uint64_t tag = 0, v = 0;

		cr_init(&r, in, sizeof(in));
		assert_int_equal(cr_tag(&r, &tag), CR_OK);
		assert_int_equal(tag, b - 0xc0);
		assert_int_equal(r.off, 1);
		assert_int_equal(cr_uint(&r, &v), CR_OK);
		assert_int_equal(v, 23);
		assert_int_equal(cr_left(&r), 0);

		/* As the first head, a tag is not an integer. */
		cr_init(&r, in, sizeof(in));
		assert_int_equal(cr_uint(&r, &v), CR_ETYPE);
		assert_int_equal(r.off, 0);
		/* cr_skip() takes the tag with its content. */
		assert_int_equal(cr_skip(&r), CR_OK);
		assert_int_equal(r.off, 2);
	}
}

static void test_tag18_cose_shape(void **state)
{
	/* 18([h'a10126', {}, h'', h'']): the COSE_Sign1 skeleton. */
	static const uint8_t in[] = { 0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26,
				      0xa0, 0x40, 0x40 };
	struct cr r;
	uint64_t tag;
	size_t n;
	const uint8_t *p;

	(void)state;
	cr_init(&r, in, sizeof(in));
	assert_int_equal(cr_tag(&r, &tag), CR_OK);
	assert_int_equal(tag, 18);
	assert_int_equal(cr_array(&r, &n), CR_OK);
	assert_int_equal(n, 4);
	assert_int_equal(cr_bytes(&r, &p, &n), CR_OK);
	assert_int_equal(n, 3);
	assert_ptr_equal(p, in + 3);
	assert_int_equal(cr_map(&r, &n), CR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cr_bytes(&r, &p, &n), CR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cr_bytes(&r, &p, &n), CR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cr_left(&r), 0);

	cr_init(&r, in, sizeof(in));
	assert_int_equal(cr_skip(&r), CR_OK);
	assert_int_equal(r.off, sizeof(in));

	/* The two-byte form of tag 18 reads as the same tag. */
	{
		static const uint8_t d8[] = { 0xd8, 0x12, 0x00 };

		cr_init(&r, d8, sizeof(d8));
		assert_int_equal(cr_tag(&r, &tag), CR_OK);
		assert_int_equal(tag, 18);
		assert_int_equal(r.off, 2);
	}
}

/* Encoded head size of each uint at the RFC 8949 §3 size boundaries:
 * the writer must use the shortest form (§4.2.1). */
static const struct { uint64_t v; size_t len; } uints[] = {
	{ 0, 1 }, { 1, 1 }, { 23, 1 }, { 24, 2 }, { 255, 2 }, { 256, 3 },
	{ 65535, 3 }, { 65536, 5 }, { 0xffffffffu, 5 },
	{ 0x100000000ull, 9 }, { INT64_MAX, 9 }, { UINT64_MAX, 9 },
};

static const struct { int64_t v; size_t len; } ints[] = {
	{ -1, 1 }, { -24, 1 }, { -25, 2 }, { -256, 2 }, { -257, 3 },
	{ -65536, 3 }, { -65537, 5 }, { -4294967296ll, 5 },
	{ -4294967297ll, 9 }, { INT64_MIN, 9 }, { 0, 1 }, { 24, 2 },
	{ INT64_MAX, 9 },
};

static void test_roundtrip_ints(void **state)
{
	struct cw w;
	struct cr r;

	(void)state;
	cw_init(&w);
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		size_t before = w.len;

		cw_uint(&w, uints[i].v);
		assert_int_equal(w.len - before, uints[i].len);
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		size_t before = w.len;

		cw_int(&w, ints[i].v);
		assert_int_equal(w.len - before, ints[i].len);
	}
	assert_int_equal(w.err, 0);

	cr_init(&r, w.buf, w.len);
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		uint64_t v = ~uints[i].v;
		size_t off = r.off;

		assert_int_equal(cr_uint(&r, &v), CR_OK);
		assert_int_equal(v, uints[i].v);
		assert_int_equal(r.off - off, uints[i].len);
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		int64_t v = ~ints[i].v;

		assert_int_equal(cr_int(&r, &v), CR_OK);
		assert_true(v == ints[i].v);
	}
	assert_int_equal(cr_left(&r), 0);
	assert_int_equal(cr_skip(&r), CR_ETRUNC);

	/* cr_int reads the positive ones too, up to INT64_MAX. */
	cr_init(&r, w.buf, w.len);
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		int64_t v = 0;
		int st = cr_int(&r, &v);

		if (uints[i].v <= INT64_MAX) {
			assert_int_equal(st, CR_OK);
			assert_true((uint64_t)v == uints[i].v);
		} else {
			assert_int_equal(st, CR_ERANGE);
			assert_int_equal(cr_skip(&r), CR_OK);
		}
	}
	/* A negative is not a uint. */
	{
		uint64_t u;

		assert_int_equal(cr_uint(&r, &u), CR_ETYPE);
	}
	cw_free(&w);
}

static void test_roundtrip_strings(void **state)
{
	static const size_t sizes[] = { 0, 1, 23, 24, 255, 256, 65535, 65536 };
	static uint8_t data[65536 + 16];
	static char text[65536 + 16];
	struct cw w;
	struct cr r;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 131 + 7);
		text[i] = (char)('a' + i % 26);
	}
	cw_init(&w);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cw_bytes(&w, data + i, sizes[i]);
		cw_text(&w, text + i, sizes[i]);
	}
	cw_textz(&w, "");
	cw_textz(&w, "hostgate");
	cw_bytes(&w, NULL, 0);
	assert_int_equal(w.err, 0);

	cr_init(&r, w.buf, w.len);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const uint8_t *p = NULL;
		const char *s = NULL;
		size_t n = 12345, off;

		off = r.off;
		assert_int_equal(cr_bytes(&r, &p, &n), CR_OK);
		assert_int_equal(n, sizes[i]);
		/* zero-copy: the pointer is into the buffer, right after the head */
		assert_ptr_equal(p, w.buf + r.off - n);
		assert_true(p > w.buf + off);
		if (n)
			assert_memory_equal(p, data + i, n);
		n = 12345;
		assert_int_equal(cr_text(&r, &s, &n), CR_OK);
		assert_int_equal(n, sizes[i]);
		if (n)
			assert_memory_equal(s, text + i, n);
	}
	{
		const char *s;
		const uint8_t *p;
		size_t n = 1;

		assert_int_equal(cr_text(&r, &s, &n), CR_OK);
		assert_int_equal(n, 0);
		assert_int_equal(cr_text(&r, &s, &n), CR_OK);
		assert_int_equal(n, 8);
		assert_memory_equal(s, "hostgate", 8);
		n = 1;
		assert_int_equal(cr_bytes(&r, &p, &n), CR_OK);
		assert_int_equal(n, 0);
	}
	assert_int_equal(cr_left(&r), 0);
	cw_free(&w);
}

static void test_roundtrip_nested(void **state)
{
	static const uint8_t blob[] = { 1, 2, 3 };
	struct cw w;
	struct cr r;
	size_t n;
	uint64_t u;
	int64_t i;
	const uint8_t *p;
	const char *s;

	(void)state;
	/* 18([{0: [1, -2, h'010203'], 1: {"a": [], "b": 55799([])}}, 1(24), 2^64-1]) */
	cw_init(&w);
	cw_tag(&w, 18);
	cw_array(&w, 3);
	cw_map(&w, 2);
	cw_uint(&w, 0);
	cw_array(&w, 3);
	cw_uint(&w, 1);
	cw_int(&w, -2);
	cw_bytes(&w, blob, sizeof(blob));
	cw_uint(&w, 1);
	cw_map(&w, 2);
	cw_textz(&w, "a");
	cw_array(&w, 0);
	cw_textz(&w, "b");
	cw_tag(&w, 55799);
	cw_array(&w, 0);
	cw_tag(&w, 1);
	cw_uint(&w, 24);
	cw_uint(&w, UINT64_MAX);
	assert_int_equal(w.err, 0);

	cr_init(&r, w.buf, w.len);
	assert_int_equal(cr_tag(&r, &u), CR_OK);
	assert_int_equal(u, 18);
	assert_int_equal(cr_array(&r, &n), CR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(cr_map(&r, &n), CR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_int_equal(u, 0);
	assert_int_equal(cr_array(&r, &n), CR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_int_equal(u, 1);
	assert_int_equal(cr_int(&r, &i), CR_OK);
	assert_int_equal(i, -2);
	assert_int_equal(cr_bytes(&r, &p, &n), CR_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(p, blob, 3);
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_int_equal(u, 1);
	assert_int_equal(cr_map(&r, &n), CR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(cr_text(&r, &s, &n), CR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(s[0], 'a');
	assert_int_equal(cr_array(&r, &n), CR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cr_text(&r, &s, &n), CR_OK);
	assert_int_equal(s[0], 'b');
	assert_int_equal(cr_tag(&r, &u), CR_OK);
	assert_int_equal(u, 55799);
	assert_int_equal(cr_array(&r, &n), CR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cr_tag(&r, &u), CR_OK);
	assert_int_equal(u, 1);
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_int_equal(u, 24);
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_true(u == UINT64_MAX);
	assert_int_equal(cr_left(&r), 0);

	/* cr_skip() takes the whole thing in one call, and only it. */
	cw_uint(&w, 7);
	assert_int_equal(w.err, 0);
	cr_init(&r, w.buf, w.len);
	assert_int_equal(cr_skip(&r), CR_OK);
	assert_int_equal(cr_left(&r), 1);
	assert_int_equal(cr_uint(&r, &u), CR_OK);
	assert_int_equal(u, 7);
	assert_int_equal(cr_left(&r), 0);
	cw_free(&w);
}

/* Every proper prefix of a valid item fails to skip and consumes nothing;
 * the bounds hold at every cut. */
static void test_every_prefix(void **state)
{
	struct cw w;

	(void)state;
	cw_init(&w);
	cw_tag(&w, 18);
	cw_array(&w, 2);
	cw_map(&w, 1);
	cw_int(&w, -300);
	cw_bytes(&w, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
	cw_uint(&w, 70000);
	assert_int_equal(w.err, 0);
	for (size_t k = 0; k < w.len; k++) {
		struct cr r;
		int st;

		cr_init(&r, w.buf, k);
		st = cr_skip(&r);
		assert_int_not_equal(st, CR_OK);
		assert_true(st == CR_ETRUNC || st == CR_ELEN);
		assert_int_equal(r.off, 0);
	}
	{
		struct cr r;

		cr_init(&r, w.buf, w.len);
		assert_int_equal(cr_skip(&r), CR_OK);
		assert_int_equal(cr_left(&r), 0);
	}
	cw_free(&w);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(cr_strerror(CR_OK), "ok");
	assert_string_equal(cr_strerror(CR_ELEN), "CBOR length exceeds input");
	assert_string_equal(cr_strerror(CR_ETRUNC), "truncated CBOR");
	assert_string_equal(cr_strerror(12345), "unknown CBOR error");
	/* Every status has its own text. */
	for (int a = CR_OK; a <= CR_ERANGE; a++)
		for (int b = a + 1; b <= CR_ERANGE; b++)
			assert_string_not_equal(cr_strerror(a), cr_strerror(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_failure_consumes_nothing),
		cmocka_unit_test(test_depth_limit_boundary),
		cmocka_unit_test(test_one_byte_tags),
		cmocka_unit_test(test_tag18_cose_shape),
		cmocka_unit_test(test_roundtrip_ints),
		cmocka_unit_test(test_roundtrip_strings),
		cmocka_unit_test(test_roundtrip_nested),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_strerror),
	};

	memset(deep40, 0x81, 40);
	deep40[40] = 0x00;
	memset(deep17, 0x81, 17);
	deep17[17] = 0x00;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
