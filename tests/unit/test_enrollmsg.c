/* test_enrollmsg.c: the three enrollment messages (lib/enrollmsg.h),
 * well-formed: round trips for each message (encode, decode, same
 * fields; the encoding is deterministic and pinned to its bytes), and
 * valid inputs each accepted by its own decoder only. The malformed ones
 * are test_enrollmsg_bad.c's.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/cbor_w.h"
#include "../../lib/enrollmsg.h"
#include "enrollmsg_fx.h"

static const struct {
	enum msg kind;
	const char *hex;
} goods[] = {
	{ REQ, GOOD_REQ },
	{ CHAL, GOOD_CHAL },
	{ RESP, GOOD_RESP },
	/* Non-shortest heads are accepted (keys, version, lengths). */
	{ RESP, "a4 1800 01 01 1803 02 5810 000102030405060708090a0b0c0d0e0f 03 590001 cc" },
	{ REQ, REQ_HEAD "02 9b 0000000000000001 82 41 01 41 02 " AKPUB AKNAME
	       "05 7b 0000000000000001 68" },
	{ CHAL, "a7 1b0000000000000000 01 01 02 " CHAL_BODY },
	/* Four EKs, the most. */
	{ REQ, REQ_HEAD "02 84 82 41 01 41 02 82 41 03 41 04 82 41 05 41 06 82 41 07 41 08 "
	       AKPUB AKNAME HOST },
	/* Hostname: the edges of printable ASCII (! and ~); all 94 are in the
	 * round trip. */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 68 21 7e 2d 2e 5f 41 7a 30" },
};

/* ---- round trips ---- */

static uint8_t cert[4][4096], pub[4][1024], akpub[1024], name1[66], name2[66];
static uint8_t idb[16], blob[1024], encs[1024], secret[64];
static char host[256];

static void fill(void)
{
	for (size_t i = 0; i < 4; i++) {
		memset(cert[i], 0x30 + (int)i, sizeof(cert[i]));
		memset(pub[i], 0x40 + (int)i, sizeof(pub[i]));
	}
	memset(akpub, 0x50, sizeof(akpub));
	for (size_t i = 0; i < sizeof(name1); i++) {
		name1[i] = (uint8_t)i;
		name2[i] = (uint8_t)(0xff - i);
	}
	for (size_t i = 0; i < sizeof(idb); i++)
		idb[i] = (uint8_t)(0xa0 + i);
	memset(blob, 0x61, sizeof(blob));
	memset(encs, 0x62, sizeof(encs));
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(host); i++)
		host[i] = (char)(0x21 + i % 94);
}


static void assert_same(struct hg_bytes a, struct hg_bytes b,
			const uint8_t *buf, size_t len)
{
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.p, b.p, a.n);
	/* Decoded pointers borrow the input. */
	assert_true(b.p >= buf && b.p + b.n <= buf + len);
}

/* Encode twice (same bytes), decode, compare. */
static void rt_request(const struct hg_enroll_request *m)
{
	struct hg_enroll_request d;
	struct cw w, w2;
	const char *why = NULL;

	cw_init(&w);
	cw_init(&w2);
	assert_int_equal(hg_enroll_request_encode(m, &w), 0);
	assert_int_equal(hg_enroll_request_encode(m, &w2), 0);
	assert_int_equal(w.len, w2.len);
	assert_memory_equal(w.buf, w2.buf, w.len);
	assert_int_equal(hg_enroll_request_decode(w.buf, w.len, &d, &why), 0);
	assert_int_equal(d.n_eks, m->n_eks);
	for (size_t i = 0; i < m->n_eks; i++) {
		assert_same(m->ek_cert[i], d.ek_cert[i], w.buf, w.len);
		assert_same(m->ek_pub[i], d.ek_pub[i], w.buf, w.len);
	}
	assert_same(m->ak_pub, d.ak_pub, w.buf, w.len);
	assert_same(m->ak_name, d.ak_name, w.buf, w.len);
	assert_same(m->hostname, d.hostname, w.buf, w.len);
	/* Not read as the other two. */
	assert_int_equal(hg_enroll_challenge_decode(w.buf, w.len,
						    &(struct hg_enroll_challenge){ 0 }, &why), -1);
	assert_int_equal(hg_enroll_response_decode(w.buf, w.len,
						   &(struct hg_enroll_response){ 0 }, &why), -1);
	cw_free(&w);
	cw_free(&w2);
}

static void rt_challenge(const struct hg_enroll_challenge *m)
{
	struct hg_enroll_challenge d;
	struct cw w, w2;
	const char *why = NULL;

	cw_init(&w);
	cw_init(&w2);
	assert_int_equal(hg_enroll_challenge_encode(m, &w), 0);
	assert_int_equal(hg_enroll_challenge_encode(m, &w2), 0);
	assert_int_equal(w.len, w2.len);
	assert_memory_equal(w.buf, w2.buf, w.len);
	assert_int_equal(hg_enroll_challenge_decode(w.buf, w.len, &d, &why), 0);
	assert_same(m->id, d.id, w.buf, w.len);
	assert_same(m->ek_name, d.ek_name, w.buf, w.len);
	assert_same(m->ak_name, d.ak_name, w.buf, w.len);
	assert_same(m->blob, d.blob, w.buf, w.len);
	assert_same(m->enc_secret, d.enc_secret, w.buf, w.len);
	assert_int_equal(hg_enroll_request_decode(w.buf, w.len,
						  &(struct hg_enroll_request){ 0 }, &why), -1);
	assert_int_equal(hg_enroll_response_decode(w.buf, w.len,
						   &(struct hg_enroll_response){ 0 }, &why), -1);
	cw_free(&w);
	cw_free(&w2);
}

static void rt_response(const struct hg_enroll_response *m)
{
	struct hg_enroll_response d;
	struct cw w, w2;
	const char *why = NULL;

	cw_init(&w);
	cw_init(&w2);
	assert_int_equal(hg_enroll_response_encode(m, &w), 0);
	assert_int_equal(hg_enroll_response_encode(m, &w2), 0);
	assert_int_equal(w.len, w2.len);
	assert_memory_equal(w.buf, w2.buf, w.len);
	assert_int_equal(hg_enroll_response_decode(w.buf, w.len, &d, &why), 0);
	assert_same(m->id, d.id, w.buf, w.len);
	assert_same(m->secret, d.secret, w.buf, w.len);
	assert_int_equal(hg_enroll_request_decode(w.buf, w.len,
						  &(struct hg_enroll_request){ 0 }, &why), -1);
	assert_int_equal(hg_enroll_challenge_decode(w.buf, w.len,
						    &(struct hg_enroll_challenge){ 0 }, &why), -1);
	cw_free(&w);
	cw_free(&w2);
}

static void test_request_round_trip(void **state)
{
	struct hg_enroll_request m = { 0 };

	(void)state;
	fill();
	/* The smallest fields. */
	m.n_eks = 1;
	m.ek_cert[0] = B(cert[0], 1);
	m.ek_pub[0] = B(pub[0], 1);
	m.ak_pub = B(akpub, 1);
	m.ak_name = B(name1, 4);
	m.hostname = B(host, 1);
	rt_request(&m);
	/* The largest. */
	m.n_eks = HG_ENROLL_MAX_EKS;
	for (size_t i = 0; i < HG_ENROLL_MAX_EKS; i++) {
		m.ek_cert[i] = B(cert[i], 4096);
		m.ek_pub[i] = B(pub[i], 1024);
	}
	m.ak_pub = B(akpub, 1024);
	m.ak_name = B(name1, 66);
	m.hostname = B(host, HG_ENROLL_HOSTNAME_MAX);
	rt_request(&m);
	/* Typical: two EKs (RSA and ECC), a SHA-256 Name. */
	m.n_eks = 2;
	m.ek_cert[0] = B(cert[0], 1200);
	m.ek_pub[0] = B(pub[0], 316);
	m.ek_cert[1] = B(cert[1], 800);
	m.ek_pub[1] = B(pub[1], 122);
	m.ak_pub = B(akpub, 90);
	m.ak_name = B(name1, 34);
	m.hostname = B("host-1.example.org", 18);
	rt_request(&m);
}

static void test_challenge_round_trip(void **state)
{
	struct hg_enroll_challenge m = {
		.id = B(idb, 16), .ek_name = B(name1, 4), .ak_name = B(name2, 4),
		.blob = B(blob, 1), .enc_secret = B(encs, 1),
	};

	(void)state;
	fill();
	rt_challenge(&m);
	m.ek_name = B(name1, 66);
	m.ak_name = B(name2, 66);
	m.blob = B(blob, 1024);
	m.enc_secret = B(encs, 1024);
	rt_challenge(&m);
	m.ek_name = B(name1, 34);
	m.ak_name = B(name2, 34);
	m.blob = B(blob, 70);
	m.enc_secret = B(encs, 258);
	rt_challenge(&m);
}

static void test_response_round_trip(void **state)
{
	struct hg_enroll_response m = { .id = B(idb, 16), .secret = B(secret, 1) };

	(void)state;
	fill();
	rt_response(&m);
	m.secret = B(secret, 64);
	rt_response(&m);
	m.secret = B(secret, 32);
	rt_response(&m);
}

/* The encoders write the shortest form in key order: pinned bytes. */
static void test_encoding_pinned(void **state)
{
	static const uint8_t id[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const uint8_t c0[] = { 0x30, 0x82, 0x01, 0x00 }, p0[] = { 0, 1, 0, 0x0b };
	static const uint8_t ap[] = { 0, 0x23, 0, 0x0b }, an[] = { 0, 0x0b, 0x0a, 0x0b };
	static const uint8_t ekn[] = { 0, 0x0b, 1, 2 }, akn[] = { 0, 0x0b, 3, 4 };
	static const uint8_t bl[] = { 0xaa }, es[] = { 0xbb }, sc[] = { 0xcc };
	struct hg_enroll_request q = {
		.n_eks = 1, .ek_cert = { B(c0, 4) }, .ek_pub = { B(p0, 4) },
		.ak_pub = B(ap, 4), .ak_name = B(an, 4), .hostname = B("h", 1),
	};
	struct hg_enroll_challenge c = {
		.id = B(id, 16), .ek_name = B(ekn, 4), .ak_name = B(akn, 4),
		.blob = B(bl, 1), .enc_secret = B(es, 1),
	};
	struct hg_enroll_response r = { .id = B(id, 16), .secret = B(sc, 1) };
	uint8_t want[256];
	size_t n;
	struct cw w;

	(void)state;
	cw_init(&w);
	assert_int_equal(hg_enroll_request_encode(&q, &w), 0);
	n = unhex(GOOD_REQ, want, sizeof(want));
	assert_int_equal(w.len, n);
	assert_memory_equal(w.buf, want, n);
	cw_free(&w);

	cw_init(&w);
	assert_int_equal(hg_enroll_challenge_encode(&c, &w), 0);
	n = unhex(GOOD_CHAL, want, sizeof(want));
	assert_int_equal(w.len, n);
	assert_memory_equal(w.buf, want, n);
	cw_free(&w);

	cw_init(&w);
	assert_int_equal(hg_enroll_response_encode(&r, &w), 0);
	n = unhex(GOOD_RESP, want, sizeof(want));
	assert_int_equal(w.len, n);
	assert_memory_equal(w.buf, want, n);
	cw_free(&w);

	/* A failed write (latched in w->err) fails the encoders. */
	cw_init(&w);
	w.err = 12;
	assert_int_equal(hg_enroll_request_encode(&q, &w), -1);
	assert_int_equal(hg_enroll_challenge_encode(&c, &w), -1);
	assert_int_equal(hg_enroll_response_encode(&r, &w), -1);
	cw_free(&w);

	/* The request encoder refuses 0 and 5 EKs, writing nothing. */
	cw_init(&w);
	q.n_eks = 0;
	assert_int_equal(hg_enroll_request_encode(&q, &w), -1);
	q.n_eks = HG_ENROLL_MAX_EKS + 1;
	assert_int_equal(hg_enroll_request_encode(&q, &w), -1);
	assert_int_equal(w.len, 0);
	cw_free(&w);
}

static void test_good_inputs(void **state)
{
	uint8_t buf[512];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		size_t n = unhex(goods[i].hex, buf, sizeof(buf));
		int rc = decode(goods[i].kind, buf, n, &why);

		if (rc != 0)
			fail_msg("good input %zu refused: %s", i, why ? why : "(null)");
		/* Exactly one decoder accepts it. */
		for (enum msg k = REQ; k <= RESP; k++)
			if (k != goods[i].kind)
				assert_int_equal(decode(k, buf, n, &why), -1);
	}
}

/* ---- bad inputs ---- */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_challenge_round_trip),
		cmocka_unit_test(test_response_round_trip),
		cmocka_unit_test(test_encoding_pinned),
		cmocka_unit_test(test_good_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
