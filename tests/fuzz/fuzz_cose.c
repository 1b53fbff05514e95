/* fuzz_cose.c: libFuzzer target for COSE_Sign1 and COSE_Key decoding
 * (lib/cose.c).
 *
 * The same input goes to both decoders:
 *  - hg_cose_sign1_decode() through a bounded reader (struct cr), as a
 *    CBOR sequence: decode, and while that succeeds, decode the next one
 *    (as hg_log_parse() walks a log). Every success is also checked with
 *    hg_cose_sign1_verify() against a key made in LLVMFuzzerInitialize(),
 *    which no input can hold a signature of: 0 there is a forgery.
 *  - hg_cose_key_decode() on the whole input; a key it returns must be
 *    on P-256, and encoding it again with hg_cose_key_encode() must give
 *    the input bytes, or fewer bytes when the input used non-shortest
 *    CBOR heads (which the reader accepts); the re-encoding must decode
 *    to an equal key.
 * Reader contract: a decode consumes a whole COSE_Sign1 or nothing; the
 * payload and signature point inside the input; failure names a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "cbor_r.h"
#include "cbor_w.h"
#include "cose.h"

#include "fuzz_check.h"

#define MAX_VERIFY 2

static EVP_PKEY *other_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	other_key = EVP_EC_gen("P-256");
	if (!other_key) {
		fprintf(stderr, "fuzz_cose: EVP_EC_gen failed\n");
		abort();
	}
	return 0;
}

static int inside(const uint8_t *buf, size_t len, const void *p, size_t n)
{
	const uint8_t *q = p;

	return q >= buf && q <= buf + len && n <= (size_t)(buf + len - q);
}

static void sign1(const uint8_t *data, size_t size)
{
	struct cr r;
	int nverify = 0;

	cr_init(&r, data, size);
	while (cr_left(&r) > 0) {
		struct hg_cose_sign1 s;
		const char *why = NULL;
		size_t off0 = r.off;
		int v;

		memset(&s, 0, sizeof(s));
		if (hg_cose_sign1_decode(&r, &s, &why) < 0) {
			CHECK(r.off == off0);
			CHECK(why != NULL && why[0] != '\0');
			break;
		}
		/* At least: tag, array, bstr(3) head, map, payload head and
		 * the two-byte head of the signature (7), the protected
		 * header (3) and the signature (64). */
		CHECK(r.off > off0 && r.off <= size && r.off - off0 >= 7 + 3 + 64);
		CHECK(inside(data + off0, r.off - off0, s.payload, s.payload_len));
		CHECK(s.sig_len == HG_ES256_SIG_LEN &&
		      inside(data + off0, r.off - off0, s.sig, s.sig_len));
		CHECK(s.sig >= s.payload + s.payload_len);
		/* An ECDSA verification costs far more than decoding: check
		 * the first few only, so that inputs holding a hundred records
		 * don't slow the whole run down. */
		if (++nverify <= MAX_VERIFY) {
			v = hg_cose_sign1_verify(other_key, &s);
			CHECK(v == -1 || v == -2);
		}
	}
}

static void key(const uint8_t *data, size_t size)
{
	EVP_PKEY *k = NULL, *k2 = NULL;
	const char *why = NULL;
	struct cw w;

	if (hg_cose_key_decode(data, size, &k, &why) < 0) {
		CHECK(k == NULL);
		CHECK(why != NULL && why[0] != '\0');
		return;
	}
	CHECK(k != NULL && why == NULL);
	CHECK(EVP_PKEY_get_base_id(k) == EVP_PKEY_EC);
	CHECK(EVP_PKEY_get_bits(k) == 256);
	cw_init(&w);
	CHECK(hg_cose_key_encode(k, &w) == 0 && !w.err);
	CHECK(w.len <= size);
	if (w.len == size)
		CHECK(!memcmp(w.buf, data, size));
	CHECK(hg_cose_key_decode(w.buf, w.len, &k2, &why) == 0);
	CHECK(EVP_PKEY_eq(k, k2) == 1);
	cw_free(&w);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sign1(data, size);
	key(data, size);
	return 0;
}
