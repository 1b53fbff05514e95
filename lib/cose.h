/* cose.h: COSE_Sign1 (RFC 9052 §4.2) with ES256 (RFC 9053 §2.1) only, and
 * EC2 P-256 COSE_Key (RFC 9053 §7.1.1).
 *
 * Algorithm agility is deliberately absent: the protected header must be
 * exactly {1: -7} (alg: ES256), so data can never choose the algorithm.
 * The unprotected header must be an empty map.
 *
 * Contract:
 *  - hg_cose_sign1() appends one tagged (tag 18) COSE_Sign1 to W.
 *  - hg_cose_sign1_decode() reads exactly one COSE_Sign1 from R; the
 *    returned pointers borrow R's buffer. On error, *why names the reason.
 *  - hg_cose_sign1_verify() returns 0 only for a valid signature by PUB,
 *    -1 for an invalid one and -2 when it could not check (out of memory).
 *  - hg_cose_key_decode() returns a new EVP_PKEY the caller frees; the
 *    point must be on P-256 and the encoding must fill LEN exactly.
 */
#ifndef HG_COSE_H
#define HG_COSE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "cbor_r.h"
#include "cbor_w.h"

#define HG_COSE_TAG_SIGN1 18
#define HG_ES256_SIG_LEN 64

struct hg_cose_sign1 {
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *sig;
	size_t sig_len;
};

int hg_cose_sign1(EVP_PKEY *key, const uint8_t *payload, size_t len,
		  struct cw *w);
int hg_cose_sign1_decode(struct cr *r, struct hg_cose_sign1 *out,
			 const char **why);
int hg_cose_sign1_verify(EVP_PKEY *pub, const struct hg_cose_sign1 *s);

int hg_cose_key_encode(EVP_PKEY *key, struct cw *w);
int hg_cose_key_decode(const uint8_t *p, size_t len, EVP_PKEY **out,
		       const char **why);

#endif
