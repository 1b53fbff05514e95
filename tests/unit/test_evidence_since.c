/* test_evidence_since.c: the evidence's optional log_first (key 9,
 * lib/evidence.h) and the boot identity (lib/bootid.h) that incremental
 * evidence rests on.
 *   - a bundle with log_first 0 is encoded without key 9 (what bundles were
 *     before the key existed), and decodes with log_first 0;
 *   - log_first N round-trips; 0 written out, 2^32 and a key 10 are refused;
 *   - BOOT is exactly 16 hex digits, round-trips, and compares both counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/bootid.h"
#include "../../lib/cbor_w.h"
#include "../../lib/evidence.h"

static const uint8_t nonce[16] = { 1, 2, 3 };

static uint8_t *encode(uint64_t log_first, size_t *len)
{
	struct hg_evidence *e = calloc(1, sizeof(*e));
	struct cw w;
	uint8_t *out;

	assert_non_null(e);
	e->nonce = nonce;
	e->nonce_len = sizeof(nonce);
	e->attest = (const uint8_t *)"a";
	e->attest_len = 1;
	e->sig = (const uint8_t *)"s";
	e->sig_len = 1;
	e->ak = (const uint8_t *)"k";
	e->ak_len = 1;
	e->pcrs.n = 1;
	e->pcrs.v[0].alg = HG_ALG_SHA256;
	e->pcrs.v[0].pcr = 13;
	e->pcrs.v[0].len = 32;
	e->log = (const uint8_t *)"";
	e->log_first = log_first;
	cw_init(&w);
	assert_int_equal(hg_evidence_encode(e, &w), 0);
	out = cw_take(&w, len);
	free(e);
	return out;
}

static void test_absent_when_zero(void **state)
{
	struct hg_evidence *e = calloc(1, sizeof(*e));
	const char *why = NULL;
	size_t len;
	uint8_t *b = encode(0, &len);

	(void)state;
	assert_int_equal(b[0], 0xa7);          /* a map of the 7 old keys */
	assert_int_equal(hg_evidence_decode(b, len, e, &why), 0);
	assert_int_equal(e->log_first, 0);
	free(b);
	free(e);
}

static void test_roundtrip(void **state)
{
	struct hg_evidence *e = calloc(1, sizeof(*e));
	const char *why = NULL;
	size_t len;
	uint8_t *b = encode(1234, &len);

	(void)state;
	assert_int_equal(b[0], 0xa8);
	assert_int_equal(hg_evidence_decode(b, len, e, &why), 0);
	assert_int_equal(e->log_first, 1234);
	free(b);
	free(e);
}

/* Replace the trailing "9: 1" of a log_first-1 bundle with TAIL. */
static int decode_with_tail(const uint8_t *tail, size_t tlen, const char **why)
{
	struct hg_evidence *e = calloc(1, sizeof(*e));
	size_t len;
	uint8_t *b = encode(1, &len), *c;
	int r;

	assert_int_equal(b[len - 2], 0x09);
	assert_int_equal(b[len - 1], 0x01);
	c = malloc(len - 2 + tlen);
	memcpy(c, b, len - 2);
	memcpy(c + len - 2, tail, tlen);
	r = hg_evidence_decode(c, len - 2 + tlen, e, why);
	free(c);
	free(b);
	free(e);
	return r;
}

static void test_refused(void **state)
{
	static const uint8_t zero[] = { 0x09, 0x00 };
	static const uint8_t big[] = { 0x09, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t key10[] = { 0x0a, 0x01 };
	static const uint8_t text[] = { 0x09, 0x61, 0x31 };
	const char *why = NULL;

	(void)state;
	assert_int_equal(decode_with_tail(zero, sizeof(zero), &why), -1);
	assert_non_null(strstr(why, "log_first"));
	assert_int_equal(decode_with_tail(big, sizeof(big), &why), -1);
	assert_non_null(strstr(why, "log_first"));
	assert_int_equal(decode_with_tail(key10, sizeof(key10), &why), -1);
	assert_string_equal(why, "evidence keys unknown, repeated or out of order");
	assert_int_equal(decode_with_tail(text, sizeof(text), &why), -1);
}

static void test_boot_id(void **state)
{
	struct hg_boot_id a = { 0x12345678, 0x9abcdef0 }, b, c = { 0x12345678, 0 };
	char s[HG_BOOT_ID_LEN + 1];

	(void)state;
	hg_boot_id_format(&a, s);
	assert_string_equal(s, "123456789abcdef0");
	assert_int_equal(hg_boot_id_parse(s, &b), 0);
	assert_true(hg_boot_id_equal(&a, &b));
	assert_false(hg_boot_id_equal(&a, &c));
	assert_int_equal(hg_boot_id_parse("123456789ABCDEF0", &b), 0);
	assert_true(hg_boot_id_equal(&a, &b));
	assert_int_equal(hg_boot_id_parse("123456789abcdef", &b), -1);
	assert_int_equal(hg_boot_id_parse("123456789abcdef00", &b), -1);
	assert_int_equal(hg_boot_id_parse("123456789abcdefg", &b), -1);
	assert_int_equal(hg_boot_id_parse(" 23456789abcdef0", &b), -1);
	assert_int_equal(hg_boot_id_parse("", &b), -1);
	assert_int_equal(hg_boot_id_parse(NULL, &b), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_when_zero),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_boot_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
