/* tpmpub.h: an attestation key's TPM2B_PUBLIC turned into what a verifier
 * needs, decoded with tss2-mu and checked before anything trusts it.
 *
 * Refused (with *why naming the reason): trailing bytes or a short
 * buffer; a key that is not a restricted signing key (an EK, a storage
 * key, an unrestricted signing key: only a restricted key's quote is
 * unforgeable, TPM 2.0 Part 1 §25.2); a key that is not fixedTPM; a NULL
 * or unknown signing scheme; curves other than P-256/P-384; RSA smaller
 * than 2048 bits.
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
