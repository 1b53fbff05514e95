/* tpmpub.h: an attestation key's TPM2B_PUBLIC turned into what a verifier
 * needs, decoded with tss2-mu and checked before anything trusts it.
 *
 * hg_ak_decode() is the one AK sanity rule, used on every path that takes
 * an AK (check --ak/--host, learn, diff, quote, enroll, the registry, and
 * the host's own init/quote loading its AK). Refused, with *why naming
 * the reason:
 *  - attributes: restricted, sign, fixedTPM, fixedParent and
 *    sensitiveDataOrigin must be set; decrypt, x509sign and reserved bits
 *    clear (only a restricted key's quote is unforgeable, TPM 2.0 Part 1
 *    §25.2; only a fixed, TPM-generated key is this TPM's, §27.2);
 *  - nameAlg and the scheme's hash other than sha256/sha384/sha512;
 *  - a symmetric algorithm or KDF (a signing key has none, Part 2 §12.2.3);
 *  - RSA: a scheme other than RSASSA/RSAPSS; a public exponent other than
 *    65537 (0 means 65537, Part 2 §12.2.3.5); a modulus not of 2048, 3072
 *    or 4096 bits, or whose bit length is not keyBits;
 *  - ECC: a scheme other than ECDSA; a curve other than P-256/P-384; a
 *    point whose size is not the curve's or that is not on the curve.
 * hg_ak_check() is its part on a decoded public area (attributes, algorithms,
 * exponent, sizes); hg_ak_decode() adds exact decoding, the modulus bit
 * length and the point-on-curve check, which need the key built.
 *
 * Contract: the scheme and hash that signatures must use come from here,
 * never from a signature. hg_ak_free() accepts a zeroed struct.
 */
#ifndef HG_TPMPUB_H
#define HG_TPMPUB_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

struct hg_ak {
	TPM2B_PUBLIC pub;
	EVP_PKEY *key;
	uint16_t scheme;     /* TPM2_ALG_ECDSA, _RSASSA or _RSAPSS */
	uint16_t hash;       /* the scheme's hash, a TPM_ALG_ID */
	uint8_t name[2 + 64];
	size_t name_len;
};

int hg_ak_decode(const uint8_t *buf, size_t len, struct hg_ak *ak,
		 const char **why);
/* The AK rules above on a public area alone (no key built but for the
 * point and modulus checks hg_ak_decode adds). 0 or -1 with *WHY. */
int hg_ak_check(const TPMT_PUBLIC *p, const char **why);
/* Only the Name of a TPM2B_PUBLIC (exact decode, no key built): cheap
 * enough to compare a bundle's AK with the verifier's on every check.
 * NAME must hold 2 + 64 bytes. */
int hg_ak_name(const uint8_t *buf, size_t len, uint8_t *name, size_t *name_len,
	       const char **why);
void hg_ak_free(struct hg_ak *ak);

/* The OpenSSL public key of any RSA (2048 bits or more) or ECC P-256/
 * P-384 TPMT_PUBLIC, e.g. an EK's, with no check of its attributes.
 * NULL with *WHY set on failure; the caller frees with EVP_PKEY_free(). */
EVP_PKEY *hg_tpm_pub_evp(const TPMT_PUBLIC *p, const char **why);

/* "RSA-2048", "ECC P-384", ... for messages; returns BUF. */
const char *hg_tpm_pub_desc(const TPMT_PUBLIC *p, char *buf, size_t n);

#endif
