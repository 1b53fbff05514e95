/* test_cose.c: COSE_Sign1 ES256 and the EC2 P-256 COSE_Key (lib/cose.h).
 *
 * Forgeries are first-class: every single-byte change to a signed message
 * must be refused, and every malformed header is pinned to its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../../lib/cbor_r.h"
#include "../../lib/cbor_w.h"
#include "../../lib/cose.h"

#define WHY_PROT "protected header is not exactly {alg: ES256}"
#define WHY_UNPROT "unprotected header is not empty"
#define WHY_SIGLEN "ES256 signature is not 64 bytes"
#define WHY_UNTAGGED "not a tagged COSE_Sign1"
#define WHY_TAG "CBOR tag is not COSE_Sign1 (18)"
#define WHY_ARRAY "COSE_Sign1 is not a 4-element array"
#define WHY_KEY "COSE_Key is not an EC2 P-256 key {1:2, -1:1, -2:x, -3:y}"
#define WHY_KEY_TRAIL "trailing bytes after COSE_Key"
#define WHY_KEY_CURVE "COSE_Key point is not on P-256"

static const uint8_t payload[] = "hostgate: a payload longer than twenty-three bytes";

struct fx {
	EVP_PKEY *key, *other;
	uint8_t *msg;       /* a valid tagged COSE_Sign1 by key */
	size_t len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cw w;

	if (!f)
		return -1;
	f->key = EVP_EC_gen("P-256");
	f->other = EVP_EC_gen("P-256");
	if (!f->key || !f->other)
		return -1;
	cw_init(&w);
	if (hg_cose_sign1(f->key, payload, sizeof(payload), &w) < 0)
		return -1;
	f->msg = cw_take(&w, &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	free(f->msg);
	free(f);
	return 0;
}

/* Decode then verify: 0 only if both accept and the whole buffer was one
 * COSE_Sign1. */
static int accept(EVP_PKEY *key, const uint8_t *p, size_t len)
{
	struct cr r;
	struct hg_cose_sign1 s;
	const char *why;

	cr_init(&r, p, len);
	if (hg_cose_sign1_decode(&r, &s, &why) < 0)
		return -1;
	if (hg_cose_sign1_verify(key, &s) < 0)
		return -2;
	return cr_left(&r) == 0 ? 0 : -3;
}

static void test_sign_decode_verify(void **state)
{
	struct fx *f = *state;
	struct cr r;
	struct hg_cose_sign1 s;
	const char *why = "unset";

	/* 18([h'a10126', {}, payload, sig]) laid out byte by byte. */
	assert_int_equal(f->len, 1 + 1 + 4 + 1 + 2 + sizeof(payload) + 2 + 64);
	assert_int_equal(f->msg[0], 0xd2);
	assert_int_equal(f->msg[1], 0x84);
	assert_memory_equal(f->msg + 2, "\x43\xa1\x01\x26\xa0", 5);
	assert_int_equal(f->msg[7], 0x58);
	assert_int_equal(f->msg[8], sizeof(payload));
	assert_memory_equal(f->msg + 9, payload, sizeof(payload));
	assert_memory_equal(f->msg + 9 + sizeof(payload), "\x58\x40", 2);

	cr_init(&r, f->msg, f->len);
	assert_int_equal(hg_cose_sign1_decode(&r, &s, &why), 0);
	assert_null(why);
	assert_int_equal(cr_left(&r), 0);
	assert_ptr_equal(s.payload, f->msg + 9);
	assert_int_equal(s.payload_len, sizeof(payload));
	assert_int_equal(s.sig_len, HG_ES256_SIG_LEN);
	assert_ptr_equal(s.sig, f->msg + f->len - 64);
	assert_int_equal(hg_cose_sign1_verify(f->key, &s), 0);
	assert_int_equal(accept(f->key, f->msg, f->len), 0);

	/* ECDSA is randomised: a second signature differs, both verify. */
	{
		struct cw w;

		cw_init(&w);
		assert_int_equal(hg_cose_sign1(f->key, payload, sizeof(payload), &w), 0);
		assert_int_equal(w.len, f->len);
		assert_memory_equal(w.buf, f->msg, f->len - 64);
		assert_memory_not_equal(w.buf + f->len - 64, f->msg + f->len - 64, 64);
		assert_int_equal(accept(f->key, w.buf, w.len), 0);
		cw_free(&w);
	}
	/* An empty payload signs and verifies too. */
	{
		struct cw w;

		cw_init(&w);
		assert_int_equal(hg_cose_sign1(f->key, NULL, 0, &w), 0);
		assert_int_equal(accept(f->key, w.buf, w.len), 0);
		assert_int_equal(accept(f->other, w.buf, w.len), -2);
		cw_free(&w);
	}
}

static void test_other_key_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(accept(f->other, f->msg, f->len), -2);
}

static void test_every_byte_flip_refused(void **state)
{
	struct fx *f = *state;
	static const uint8_t masks[] = { 0x01, 0x80 };
	uint8_t *m = malloc(f->len);
	int accepted = 0;

	assert_non_null(m);
	for (size_t mi = 0; mi < sizeof(masks); mi++) {
		for (size_t i = 0; i < f->len; i++) {
			memcpy(m, f->msg, f->len);
			m[i] ^= masks[mi];
			if (accept(f->key, m, f->len) == 0) {
				print_error("flip 0x%02x at byte %zu accepted\n",
					    masks[mi], i);
				accepted++;
			}
			/* Even ignoring trailing bytes, decode+verify fails. */
			{
				struct cr r;
				struct hg_cose_sign1 s;
				const char *why;

				cr_init(&r, m, f->len);
				if (hg_cose_sign1_decode(&r, &s, &why) == 0 &&
				    hg_cose_sign1_verify(f->key, &s) == 0) {
					print_error("flip 0x%02x at byte %zu: prefix accepted\n",
						    masks[mi], i);
					accepted++;
				}
			}
		}
	}
	free(m);
	assert_int_equal(accepted, 0);
}

/* Hand-built COSE_Sign1 pieces. */
struct parts {
	int tag;                 /* -1: none */
	size_t nelem;
	const uint8_t *prot;
	size_t prot_len;
	int unprot_entries;      /* 0: {}, 1: {4: h'01'} */
	const uint8_t *sig;
	size_t sig_len;
};

static uint8_t *build(const struct parts *p, size_t *len)
{
	struct cw w;

	cw_init(&w);
	if (p->tag >= 0)
		cw_tag(&w, (uint64_t)p->tag);
	cw_array(&w, p->nelem);
	cw_bytes(&w, p->prot, p->prot_len);
	cw_map(&w, (size_t)p->unprot_entries);
	if (p->unprot_entries) {
		cw_uint(&w, 4);
		cw_bytes(&w, "\x01", 1);
	}
	cw_bytes(&w, payload, sizeof(payload));
	if (p->nelem >= 4)
		cw_bytes(&w, p->sig, p->sig_len);
	if (p->nelem >= 5)
		cw_uint(&w, 0);
	assert_int_equal(w.err, 0);
	return cw_take(&w, len);
}

static void test_malformed_refused(void **state)
{
	struct fx *f = *state;
	static const uint8_t es256[] = { 0xa1, 0x01, 0x26 };
	static const uint8_t ps256[] = { 0xa1, 0x01, 0x38, 0x24 };     /* {1:-37} */
	static const uint8_t alg35[] = { 0xa1, 0x01, 0x38, 0x22 };     /* {1:-35} ES384 */
	static const uint8_t extra[] = { 0xa2, 0x01, 0x26, 0x04, 0x40 }; /* {1:-7, 4:h''} */
	static const uint8_t nonmin[] = { 0xa1, 0x01, 0x38, 0x06 };    /* -7 in 2 bytes */
	static const uint8_t none[] = { 0xa0 };
	/* Same length as a1 01 26, other meaning. */
	static const uint8_t eddsa[] = { 0xa1, 0x01, 0x27 };            /* {1:-8} */
	static const uint8_t label3[] = { 0xa1, 0x03, 0x26 };           /* {3:-7} */
	uint8_t sig[65];
	const struct {
		const char *what;
		struct parts p;
		const char *why;
	} rows[] = {
		{ "good (control)", { 18, 4, es256, 3, 0, sig, 64 }, NULL },
		{ "alg -35", { 18, 4, alg35, 4, 0, sig, 64 }, WHY_PROT },
		{ "alg -37", { 18, 4, ps256, 4, 0, sig, 64 }, WHY_PROT },
		{ "alg -8 (EdDSA)", { 18, 4, eddsa, 3, 0, sig, 64 }, WHY_PROT },
		{ "content type -7 instead of alg", { 18, 4, label3, 3, 0, sig, 64 }, WHY_PROT },
		{ "extra protected entry", { 18, 4, extra, 5, 0, sig, 64 }, WHY_PROT },
		{ "non-shortest alg", { 18, 4, nonmin, 4, 0, sig, 64 }, WHY_PROT },
		{ "empty protected map", { 18, 4, none, 1, 0, sig, 64 }, WHY_PROT },
		{ "empty protected bstr", { 18, 4, es256, 0, 0, sig, 64 }, WHY_PROT },
		{ "unprotected not empty", { 18, 4, es256, 3, 1, sig, 64 }, WHY_UNPROT },
		{ "63-byte signature", { 18, 4, es256, 3, 0, sig, 63 }, WHY_SIGLEN },
		{ "65-byte signature", { 18, 4, es256, 3, 0, sig, 65 }, WHY_SIGLEN },
		{ "empty signature", { 18, 4, es256, 3, 0, sig, 0 }, WHY_SIGLEN },
		{ "untagged", { -1, 4, es256, 3, 0, sig, 64 }, WHY_UNTAGGED },
		{ "tag 98 (COSE_Sign)", { 98, 4, es256, 3, 0, sig, 64 }, WHY_TAG },
		{ "tag 17 (COSE_Mac0)", { 17, 4, es256, 3, 0, sig, 64 }, WHY_TAG },
		{ "3 elements", { 18, 3, es256, 3, 0, sig, 64 }, WHY_ARRAY },
		{ "5 elements", { 18, 5, es256, 3, 0, sig, 64 }, WHY_ARRAY },
	};

	memcpy(sig, f->msg + f->len - 64, 64);
	sig[64] = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		uint8_t *m = build(&rows[i].p, &len);
		struct cr r;
		struct hg_cose_sign1 s;
		const char *why = "unset";
		int ret;

		cr_init(&r, m, len);
		ret = hg_cose_sign1_decode(&r, &s, &why);
		if (rows[i].why) {
			if (ret == 0 || !why || strcmp(why, rows[i].why))
				print_error("row \"%s\": ret %d why \"%s\"\n",
					    rows[i].what, ret, why ? why : "(null)");
			assert_int_equal(ret, -1);
			assert_non_null(why);
			assert_string_equal(why, rows[i].why);
			/* A refused message consumes nothing. */
			assert_int_equal(r.off, 0);
		} else {
			assert_int_equal(ret, 0);
			assert_int_equal(cr_left(&r), 0);
			assert_int_equal(hg_cose_sign1_verify(f->key, &s), 0);
		}
		free(m);
	}
}

static void test_decode_cbor_errors(void **state)
{
	/* Truncation and indefinite lengths report the reader's reason. */
	struct fx *f = *state;
	struct cr r;
	struct hg_cose_sign1 s;
	const char *why;

	for (size_t k = 0; k < f->len; k++) {
		cr_init(&r, f->msg, k);
		why = NULL;
		assert_int_equal(hg_cose_sign1_decode(&r, &s, &why), -1);
		assert_non_null(why);
		assert_int_equal(r.off, 0);
	}
	{
		static const uint8_t indef[] = { 0xd2, 0x9f, 0xff };

		cr_init(&r, indef, sizeof(indef));
		assert_int_equal(hg_cose_sign1_decode(&r, &s, &why), -1);
		assert_string_equal(why, "indefinite-length CBOR");
	}
	{
		/* The protected header as a text string. */
		static const uint8_t txt[] = { 0xd2, 0x84, 0x63, 0xa1, 0x01, 0x26,
					       0xa0, 0x40, 0x40 };

		cr_init(&r, txt, sizeof(txt));
		assert_int_equal(hg_cose_sign1_decode(&r, &s, &why), -1);
		assert_string_equal(why, "unexpected CBOR type");
	}
	/* verify refuses a sig of the wrong length on its own. */
	cr_init(&r, f->msg, f->len);
	assert_int_equal(hg_cose_sign1_decode(&r, &s, &why), 0);
	s.sig_len = 63;
	assert_int_equal(hg_cose_sign1_verify(f->key, &s), -1);
	/* r = 0 or s = 0 never verifies. */
	{
		uint8_t zero[64];

		cr_init(&r, f->msg, f->len);
		assert_int_equal(hg_cose_sign1_decode(&r, &s, &why), 0);
		memcpy(zero, s.sig, 64);
		memset(zero, 0, 32);
		s.sig = zero;
		assert_int_equal(hg_cose_sign1_verify(f->key, &s), -1);
		memcpy(zero, f->msg + f->len - 64, 64);
		memset(zero + 32, 0, 32);
		assert_int_equal(hg_cose_sign1_verify(f->key, &s), -1);
	}
}

/* ---- COSE_Key ---- */

static uint8_t *key_bytes(EVP_PKEY *k, size_t *len)
{
	struct cw w;

	cw_init(&w);
	assert_int_equal(hg_cose_key_encode(k, &w), 0);
	return cw_take(&w, len);
}

static void test_key_roundtrip(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *kb = key_bytes(f->key, &len);
	EVP_PKEY *k = NULL;
	const char *why = "unset";

	/* {1: 2, -1: 1, -2: x, -3: y} in that order, 32-byte coordinates */
	assert_int_equal(len, 75);
	assert_memory_equal(kb, "\xa4\x01\x02\x20\x01\x21\x58\x20", 8);
	assert_memory_equal(kb + 40, "\x22\x58\x20", 3);

	assert_int_equal(hg_cose_key_decode(kb, len, &k, &why), 0);
	assert_null(why);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, f->key), 1);
	assert_int_equal(EVP_PKEY_eq(k, f->other), 0);
	/* The decoded public key verifies what the original signed. */
	assert_int_equal(accept(k, f->msg, f->len), 0);
	/* And re-encodes to the same bytes. */
	{
		size_t len2;
		uint8_t *kb2 = key_bytes(k, &len2);

		assert_int_equal(len2, len);
		assert_memory_equal(kb2, kb, len);
		free(kb2);
	}
	EVP_PKEY_free(k);
	free(kb);
}

static void test_key_encode_refuses_other_keys(void **state)
{
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct cw w;

	(void)state;
	assert_non_null(p384);
	assert_non_null(ed);
	cw_init(&w);
	assert_int_equal(hg_cose_key_encode(p384, &w), -1);
	assert_int_equal(hg_cose_key_encode(ed, &w), -1);
	assert_int_equal(w.len, 0);
	cw_free(&w);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
}

enum kmut {
	K_GOOD, K_KTY_OKP, K_KTY_RSA, K_CRV_P384, K_X31, K_Y33, K_X_TEXT,
	K_XY1, K_Y_FLIP, K_TRAIL, K_ORDER, K_EXTRA, K_MISSING_Y, K_INDEF,
};

static uint8_t *key_mut(EVP_PKEY *k, enum kmut m, size_t *len)
{
	size_t glen;
	uint8_t *good = key_bytes(k, &glen);
	uint8_t x[32], y[32];
	struct cw w;

	memcpy(x, good + 8, 32);
	memcpy(y, good + 43, 32);
	free(good);
	cw_init(&w);
	if (m == K_XY1) {
		memset(x, 0, 32);
		memset(y, 0, 32);
		x[31] = 1;
		y[31] = 1;
	}
	if (m == K_Y_FLIP)
		y[31] ^= 0x01;
	if (m == K_INDEF) {
		cw_raw(&w, "\xbf", 1);
	} else {
		cw_map(&w, m == K_EXTRA ? 5 : m == K_MISSING_Y ? 3 : 4);
	}
	if (m == K_ORDER) {
		cw_int(&w, -1);
		cw_int(&w, 1);
		cw_int(&w, 1);
		cw_int(&w, 2);
	} else {
		cw_int(&w, 1);
		cw_int(&w, m == K_KTY_OKP ? 1 : m == K_KTY_RSA ? 3 : 2);
		cw_int(&w, -1);
		cw_int(&w, m == K_CRV_P384 ? 2 : 1);
	}
	cw_int(&w, -2);
	if (m == K_X_TEXT)
		cw_text(&w, (const char *)x, 32);
	else
		cw_bytes(&w, x, m == K_X31 ? 31 : 32);
	if (m != K_MISSING_Y) {
		cw_int(&w, -3);
		if (m == K_Y33) {
			uint8_t y33[33] = { 0 };

			memcpy(y33 + 1, y, 32);
			cw_bytes(&w, y33, 33);
		} else {
			cw_bytes(&w, y, 32);
		}
	}
	if (m == K_EXTRA) {
		cw_int(&w, -4);
		cw_bytes(&w, x, 32);
	}
	if (m == K_INDEF)
		cw_raw(&w, "\xff", 1);
	if (m == K_TRAIL)
		cw_uint(&w, 0);
	assert_int_equal(w.err, 0);
	return cw_take(&w, len);
}

static void test_key_decode_refused(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *what;
		enum kmut m;
		const char *why;
	} rows[] = {
		{ "good (control)", K_GOOD, NULL },
		{ "kty OKP", K_KTY_OKP, WHY_KEY },
		{ "kty RSA", K_KTY_RSA, WHY_KEY },
		{ "crv P-384", K_CRV_P384, WHY_KEY },
		{ "x of 31 bytes", K_X31, WHY_KEY },
		{ "y of 33 bytes", K_Y33, WHY_KEY },
		{ "x as text", K_X_TEXT, WHY_KEY },
		{ "x=y=1 not on curve", K_XY1, WHY_KEY_CURVE },
		{ "y flipped, not on curve", K_Y_FLIP, WHY_KEY_CURVE },
		{ "trailing byte", K_TRAIL, WHY_KEY_TRAIL },
		{ "crv before kty", K_ORDER, WHY_KEY },
		{ "5 entries", K_EXTRA, WHY_KEY },
		{ "y missing", K_MISSING_Y, WHY_KEY },
		{ "indefinite map", K_INDEF, WHY_KEY },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		uint8_t *kb = key_mut(f->key, rows[i].m, &len);
		EVP_PKEY *k = NULL;
		const char *why = "unset";
		int ret = hg_cose_key_decode(kb, len, &k, &why);

		if (rows[i].why) {
			if (ret == 0 || !why || strcmp(why, rows[i].why))
				print_error("row \"%s\": ret %d why \"%s\"\n",
					    rows[i].what, ret, why ? why : "(null)");
			assert_int_equal(ret, -1);
			assert_null(k);
			assert_non_null(why);
			assert_string_equal(why, rows[i].why);
		} else {
			assert_int_equal(ret, 0);
			assert_int_equal(EVP_PKEY_eq(k, f->key), 1);
		}
		EVP_PKEY_free(k);
		free(kb);
	}
	/* Every truncation of a good key is refused. */
	{
		size_t len;
		uint8_t *kb = key_bytes(f->key, &len);

		for (size_t k = 0; k < len; k++) {
			EVP_PKEY *out = NULL;
			const char *why;

			assert_int_equal(hg_cose_key_decode(kb, k, &out, &why), -1);
			assert_null(out);
		}
		free(kb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_decode_verify),
		cmocka_unit_test(test_other_key_refused),
		cmocka_unit_test(test_every_byte_flip_refused),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_decode_cbor_errors),
		cmocka_unit_test(test_key_roundtrip),
		cmocka_unit_test(test_key_encode_refuses_other_keys),
		cmocka_unit_test(test_key_decode_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
