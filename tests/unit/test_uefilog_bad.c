/* test_uefilog_bad.c: the UEFI firmware event log parser and replay
 * (lib/uefilog.h) on a bad-inputs table of hand-made logs (built with
 * uefilog_fx.c): each refused at its exact event, offset and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/uefilog.h"
#include "uefilog_fx.h"

/* An agile event's header up to its digest count, after a good Spec ID
 * event: PCR 0, EV_POST_CODE. */
static void ag_head(struct lb *l)
{
	spec_id(l);
	put32(l, 0);
	put32(l, HG_EV_POST_CODE);
}

enum shape {
	EMPTY,
	SHORT_HEADER,
	SHA1_HUGE_DATA,
	SHA1_SHORT_DATA,
	SHA1_PCR24,
	SHA1_ZERO_FILL,
	SHA1_FF_FILL,
	SPEC_SHORT,
	SPEC_NO_ALGS,
	SPEC_17_ALGS,
	SPEC_SIZE_MISMATCH,
	SPEC_UNKNOWN_SIZE0,
	SPEC_UNKNOWN_SIZE65,
	SPEC_DUP_ALG,
	SPEC_LIST_OVERRUN,
	SPEC_NO_VENDOR_SIZE,
	SPEC_VENDOR_OVERRUN,
	SPEC_TRAILING,
	AG_COUNT0,
	AG_COUNT_HUGE,
	AG_COUNT3,
	AG_UNLISTED_ALG,
	AG_DUP_DIGEST,
	AG_TRUNC_DIGEST,
	AG_TRUNC_ALG,
	AG_TRUNC_SIZE,
	AG_SIZE_OVERFLOW,
	AG_DATA_16M1,
	AG_TRUNC_HEADER,
	AG_ZERO_FILL,
	AG_FF_FILL,
	AG_PCR_FFFF,
};

static void build(enum shape s, struct lb *l)
{
	struct lb b = { .n = 0 };
	static const uint16_t a17[17] = { 0 };
	static const uint16_t s17[17] = { 0 };
	static const uint16_t bad[] = { HG_ALG_SHA1, HG_ALG_SHA256 };
	static const uint16_t bad_sz[] = { 20, 20 };
	static const uint16_t unk[] = { 0x0012 };
	static const uint16_t unk0[] = { 0 };
	static const uint16_t unk65[] = { 65 };
	static const uint16_t dup[] = { HG_ALG_SHA256, HG_ALG_SHA256 };
	static const uint16_t dup_sz[] = { 32, 32 };

	memset(l, 0, sizeof(*l));
	switch (s) {
	case EMPTY:
		break;
	case SHORT_HEADER:
		fill(l, 1, 31);
		break;
	case SHA1_HUGE_DATA:
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		fill(l, 1, 20);
		put32(l, HG_UEFI_MAX_EVENT_DATA + 1);
		break;
	case SHA1_SHORT_DATA:
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		fill(l, 1, 20);
		put32(l, 100);
		fill(l, 1, 10);
		break;
	case SHA1_PCR24:
		sha1_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		sha1_event(l, 24, HG_EV_POST_CODE, 1, "x", 1);
		break;
	case SHA1_ZERO_FILL:
		sha1_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0, 64);
		break;
	case SHA1_FF_FILL:
		sha1_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0xFF, 64);
		break;
	case SPEC_SHORT:
		put(&b, "Spec ID Event03", 16);
		put32(&b, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_NO_ALGS:
		spec_body(&b, 0, NULL, NULL, 0, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_17_ALGS:
		spec_body(&b, 17, a17, s17, 17, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_SIZE_MISMATCH:
		spec_body(&b, 2, bad, bad_sz, 2, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_UNKNOWN_SIZE0:
		spec_body(&b, 1, unk, unk0, 1, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_UNKNOWN_SIZE65:
		spec_body(&b, 1, unk, unk65, 1, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_DUP_ALG:
		spec_body(&b, 2, dup, dup_sz, 2, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_LIST_OVERRUN:
		/* numberOfAlgorithms 4, two listed, then the event ends. */
		put(&b, "Spec ID Event03", 16);
		put32(&b, 0);
		put32(&b, 0x02020000);
		put32(&b, 4);
		put16(&b, HG_ALG_SHA1);
		put16(&b, 20);
		put16(&b, HG_ALG_SHA256);
		put16(&b, 32);
		spec_id_raw(l, &b);
		break;
	case SPEC_NO_VENDOR_SIZE:
		spec_body(&b, 2, sha1_256, sz_20_32, 2, 0, 0);
		b.n--;          /* drop vendorInfoSize */
		spec_id_raw(l, &b);
		break;
	case SPEC_VENDOR_OVERRUN:
		spec_body(&b, 2, sha1_256, sz_20_32, 2, 4, 3);
		spec_id_raw(l, &b);
		break;
	case SPEC_TRAILING:
		spec_body(&b, 2, sha1_256, sz_20_32, 2, 4, 5);
		spec_id_raw(l, &b);
		break;
	case AG_COUNT0:
		ag_head(l);
		put32(l, 0);
		put32(l, 0);
		break;
	case AG_COUNT_HUGE:
		ag_head(l);
		put32(l, 0xFFFFFFFF);
		break;
	case AG_COUNT3:
		ag_head(l);
		put32(l, 3);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 32);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put32(l, 0);
		break;
	case AG_UNLISTED_ALG:
		ag_head(l);
		put32(l, 1);
		put16(l, HG_ALG_SHA384);
		fill(l, 1, 48);
		put32(l, 0);
		break;
	case AG_DUP_DIGEST:
		ag_head(l);
		put32(l, 2);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 32);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 32);
		put32(l, 0);
		break;
	case AG_TRUNC_DIGEST:
		ag_head(l);
		put32(l, 2);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 31);
		break;
	case AG_TRUNC_ALG:
		ag_head(l);
		put32(l, 2);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put8(l, 0x0B);
		break;
	case AG_TRUNC_SIZE:
		ag_head(l);
		put32(l, 1);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put16(l, 0);
		break;
	case AG_SIZE_OVERFLOW:
		ag_head(l);
		put32(l, 1);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put32(l, 0xFFFFFFFF);
		fill(l, 1, 8);
		break;
	case AG_DATA_16M1:
		/* Within the cap, past the end: a truncated log. */
		ag_head(l);
		put32(l, 1);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put32(l, HG_UEFI_MAX_EVENT_DATA);
		fill(l, 1, 8);
		break;
	case AG_TRUNC_HEADER:
		ag_head(l);
		break;
	case AG_ZERO_FILL:
		spec_id(l);
		agile_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0, 64);
		break;
	case AG_FF_FILL:
		spec_id(l);
		agile_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0xFF, 64);
		break;
	case AG_PCR_FFFF:
		spec_id(l);
		agile_event(l, 0xFFFFFFFFu, HG_EV_POST_CODE, 1, "x", 1);
		break;
	}
}

static const struct {
	enum shape shape;
	long event;
	size_t offset;
	int truncated;
	const char *msg;
} bad_inputs[] = {
	{ EMPTY, -1, 0, 0, "empty log" },
	{ SHORT_HEADER, 0, 0, 1, "truncated event header" },
	{ SHA1_HUGE_DATA, 0, 0, 0, "event data larger than 16 MiB" },
	{ SHA1_SHORT_DATA, 0, 0, 1, "truncated in the event data" },
	{ SHA1_PCR24, 1, 33, 0, "PCR index above 23" },
	{ SHA1_ZERO_FILL, 1, 33, 0, "all-zero event (fill after the log?)" },
	{ SHA1_FF_FILL, 1, 33, 0, "event data larger than 16 MiB" },
	{ SPEC_SHORT, 0, 0, 0, "Spec ID event shorter than its header" },
	{ SPEC_NO_ALGS, 0, 0, 0, "Spec ID event lists no algorithms" },
	{ SPEC_17_ALGS, 0, 0, 0, "Spec ID event lists more than 16 algorithms" },
	{ SPEC_SIZE_MISMATCH, 0, 0, 0, "Spec ID digest size differs from the algorithm's" },
	{ SPEC_UNKNOWN_SIZE0, 0, 0, 0, "Spec ID digest size out of range (1..64)" },
	{ SPEC_UNKNOWN_SIZE65, 0, 0, 0, "Spec ID digest size out of range (1..64)" },
	{ SPEC_DUP_ALG, 0, 0, 0, "Spec ID event lists an algorithm twice" },
	{ SPEC_LIST_OVERRUN, 0, 0, 0, "Spec ID algorithm list exceeds the event" },
	{ SPEC_NO_VENDOR_SIZE, 0, 0, 0, "Spec ID vendorInfoSize exceeds the event" },
	{ SPEC_VENDOR_OVERRUN, 0, 0, 0, "Spec ID vendorInfo exceeds the event" },
	{ SPEC_TRAILING, 0, 0, 0, "Spec ID event has trailing bytes" },
	{ AG_COUNT0, 1, SPEC_END, 0, "event has no digests" },
	{ AG_COUNT_HUGE, 1, SPEC_END, 0, "digest count exceeds the Spec ID algorithm count" },
	{ AG_COUNT3, 1, SPEC_END, 0, "digest count exceeds the Spec ID algorithm count" },
	{ AG_UNLISTED_ALG, 1, SPEC_END, 0, "digest of an algorithm the Spec ID event does not list" },
	{ AG_DUP_DIGEST, 1, SPEC_END, 0, "two digests of one algorithm" },
	{ AG_TRUNC_DIGEST, 1, SPEC_END, 1, "truncated in a digest" },
	{ AG_TRUNC_ALG, 1, SPEC_END, 1, "truncated in a digest" },
	{ AG_TRUNC_SIZE, 1, SPEC_END, 1, "truncated event header" },
	{ AG_SIZE_OVERFLOW, 1, SPEC_END, 0, "event data larger than 16 MiB" },
	{ AG_DATA_16M1, 1, SPEC_END, 1, "truncated in the event data" },
	{ AG_TRUNC_HEADER, 1, SPEC_END, 1, "truncated event header" },
	{ AG_ZERO_FILL, 2, SPEC_END + 73, 0, "event has no digests" },
	{ AG_FF_FILL, 2, SPEC_END + 73, 0, "digest count exceeds the Spec ID algorithm count" },
	{ AG_PCR_FFFF, 1, SPEC_END, 0, "PCR index above 23" },
};

static void test_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		struct hg_uefi_replay *r = calloc(1, sizeof(*r));
		struct hg_uefi_iter it;
		struct hg_uefi_event ev;
		struct hg_uefi_err err;
		struct lb *l = malloc(sizeof(*l));
		int rc;

		assert_non_null(r);
		assert_non_null(l);
		build(bad_inputs[i].shape, l);
		hg_uefi_iter_init(&it, l->b, l->n);
		while ((rc = hg_uefi_iter_next(&it, &ev)) == 1)
			;
		if (rc != -1 || strcmp(it.err.msg, bad_inputs[i].msg) ||
		    it.err.event != bad_inputs[i].event ||
		    it.err.offset != bad_inputs[i].offset ||
		    it.err.truncated != bad_inputs[i].truncated)
			fail_msg("row %zu: rc %d, event %ld, offset %zu, truncated %d, \"%s\"; "
				 "want event %ld, offset %zu, truncated %d, \"%s\"", i, rc,
				 it.err.event, it.err.offset, it.err.truncated, it.err.msg,
				 bad_inputs[i].event, bad_inputs[i].offset,
				 bad_inputs[i].truncated, bad_inputs[i].msg);
		/* The replay refuses it with the same error. */
		assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
		assert_string_equal(err.msg, bad_inputs[i].msg);
		assert_int_equal(err.event, bad_inputs[i].event);
		free(l);
		free(r);
	}
}

static void test_log_too_large(void **state)
{
	size_t len = (size_t)HG_UEFI_MAX_LOG + 1;
	uint8_t *big = calloc(1, len);
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;

	(void)state;
	assert_non_null(big);
	hg_uefi_iter_init(&it, big, len);
	assert_int_equal(hg_uefi_iter_next(&it, &ev), -1);
	assert_string_equal(it.err.msg, "log larger than 64 MiB");
	assert_int_equal(it.err.event, -1);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_log_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
