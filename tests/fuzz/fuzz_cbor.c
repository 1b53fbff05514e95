/* fuzz_cbor.c: libFuzzer target for the bounded CBOR reader (lib/cbor_r.c).
 *
 * Two walks over every input:
 *
 * 1. Sequence walk: the whole input is a CBOR sequence; cr_skip() runs
 *    until it fails or the input ends. At each item a second, independent
 *    walk built only from the typed readers (cr_uint, cr_int, cr_bytes,
 *    cr_text, cr_array, cr_map, cr_tag, recursing into containers with
 *    the same depth limit) must agree with cr_skip(): both succeed and end
 *    at the same offset, or both fail.
 *
 * 2. Structured walk: the first byte gives a count of op bytes (1..32)
 *    that follow; the rest of the input is the CBOR data. Each op byte
 *    picks a reader call (low 3 bits) and, with bit 7 set, first narrows
 *    the reader to drop the last ((op >> 3) & 15) bytes still left, as
 *    hg_log_parse() bounds a record. A failed call is followed by the
 *    next op on the unchanged reader.
 *
 * Contract checks (lib/cbor_r.h), a finding when broken:
 *  - a call either returns CR_OK having consumed one head (plus string
 *    payload), or returns an error in the enum having consumed nothing;
 *  - a head is 1..9 bytes of the major type asked for; string pointers
 *    lie inside the reader's buffer and end where the item ends;
 *  - an array count is at most the bytes left, a map count at most half;
 *  - cr_int() agrees in sign with the major type; the only integer it
 *    refuses with CR_ERANGE is a 9-byte negative one (0x3b head).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor_r.h"

#include "fuzz_check.h"

#define MAX_OPS 32

static void check_status(int st)
{
	const char *s = cr_strerror(st);

	CHECK(st >= CR_OK && st <= CR_ERANGE);
	CHECK(s && strcmp(s, "unknown CBOR error") != 0);
}

/* The walk made of typed readers only: 0 when one whole item was read. */
static int typed_walk(struct cr *r, int depth)
{
	uint64_t u, cnt = 0;
	int64_t i;
	const uint8_t *p;
	const char *t;
	size_t n;
	int st;

	if (depth > CR_MAX_DEPTH)
		return -1;
	if ((st = cr_uint(r, &u)) == CR_OK)
		return 0;
	if (st != CR_ETYPE)
		return -1;
	st = cr_int(r, &i);
	if (st == CR_OK)
		return 0;
	if (st == CR_ERANGE) {
		/* Only a negative integer below INT64_MIN: 0x3b + 8 bytes.
		 * cr_skip() accepts it; step over it by hand. */
		CHECK(r->buf[r->off] == 0x3b && cr_left(r) >= 9);
		r->off += 9;
		return 0;
	}
	if (st != CR_ETYPE)
		return -1;
	if ((st = cr_bytes(r, &p, &n)) == CR_OK)
		return 0;
	if (st != CR_ETYPE)
		return -1;
	if ((st = cr_text(r, &t, &n)) == CR_OK)
		return 0;
	if (st != CR_ETYPE)
		return -1;
	if ((st = cr_array(r, &n)) == CR_OK) {
		cnt = n;
	} else if (st != CR_ETYPE) {
		return -1;
	} else if ((st = cr_map(r, &n)) == CR_OK) {
		cnt = 2 * (uint64_t)n;
	} else if (st != CR_ETYPE) {
		return -1;
	} else if ((st = cr_tag(r, &u)) == CR_OK) {
		cnt = 1;
	} else {
		return -1; /* float, simple value or another error */
	}
	for (uint64_t k = 0; k < cnt; k++)
		if (typed_walk(r, depth + 1) < 0)
			return -1;
	return 0;
}

static void sequence_walk(const uint8_t *data, size_t size)
{
	struct cr r;

	cr_init(&r, data, size);
	while (cr_left(&r) > 0) {
		struct cr t = r;
		size_t off0 = r.off;
		int st = cr_skip(&r), tw;

		check_status(st);
		tw = typed_walk(&t, 0);
		if (st != CR_OK) {
			CHECK(r.off == off0);
			CHECK(tw < 0);
			break;
		}
		CHECK(r.off > off0 && r.off <= size);
		CHECK(tw == 0 && t.off == r.off);
	}
}

static int major(const struct cr *r, size_t off)
{
	return r->buf[off] >> 5;
}

static void one_op(struct cr *r, uint8_t op)
{
	size_t off0, used, n = 0;
	uint64_t u;
	int64_t i;
	const uint8_t *p = NULL;
	const char *t = NULL;
	int st = CR_OK, fn = op & 7;

	if (op & 0x80) {
		size_t drop = (op >> 3) & 15;

		if (drop <= cr_left(r))
			r->len -= drop;
	}
	off0 = r->off;
	switch (fn) {
	case 0: st = cr_uint(r, &u); break;
	case 1: st = cr_int(r, &i); break;
	case 2: st = cr_bytes(r, &p, &n); break;
	case 3: st = cr_text(r, &t, &n); p = (const uint8_t *)t; break;
	case 4: st = cr_array(r, &n); break;
	case 5: st = cr_map(r, &n); break;
	case 6: st = cr_tag(r, &u); break;
	case 7: st = cr_skip(r); break;
	}
	check_status(st);
	if (st != CR_OK) {
		CHECK(r->off == off0);
		return;
	}
	CHECK(r->off > off0 && r->off <= r->len);
	used = r->off - off0;
	switch (fn) {
	case 0:
		CHECK(major(r, off0) == 0 && used <= 9);
		break;
	case 1:
		CHECK(used <= 9);
		CHECK(major(r, off0) == (i < 0 ? 1 : 0));
		break;
	case 2:
	case 3:
		CHECK(major(r, off0) == fn);
		CHECK(p > r->buf + off0 && p + n == r->buf + r->off);
		CHECK(used - n <= 9);
		break;
	case 4:
		CHECK(major(r, off0) == 4 && used <= 9);
		CHECK(n <= cr_left(r));
		break;
	case 5:
		CHECK(major(r, off0) == 5 && used <= 9);
		CHECK(n <= cr_left(r) / 2);
		break;
	case 6:
		CHECK(major(r, off0) == 6 && used <= 9);
		break;
	}
}

static void structured_walk(const uint8_t *data, size_t size)
{
	size_t nops;
	struct cr r;

	if (size == 0)
		return;
	nops = 1 + (data[0] & (MAX_OPS - 1));
	if (nops > size - 1)
		nops = size - 1;
	cr_init(&r, data + 1 + nops, size - 1 - nops);
	for (size_t k = 0; k < nops; k++)
		one_op(&r, data[1 + k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sequence_walk(data, size);
	structured_walk(data, size);
	return 0;
}
