/* digest.h: PCR banks and multi-bank digests.
 *
 * A bank is named by its TPM_ALG_ID (TPM 2.0 Part 2 §6.3). Only hashes
 * OpenSSL provides are known; a TPM bank of another algorithm is reported
 * as unsupported by the caller, never silently skipped.
 *
 * Contract: struct hg_digests is a value type (no heap); at most
 * HG_MAX_BANKS entries, each at most HG_MAX_DIGEST bytes, in the order
 * they were added. hg_extend() does new = H(old || digest) (Part 1 §17.2).
 */
#ifndef HG_DIGEST_H
#define HG_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define HG_MAX_BANKS 5
#define HG_MAX_DIGEST 64

#define HG_ALG_SHA1 0x0004
#define HG_ALG_SHA256 0x000B
#define HG_ALG_SHA384 0x000C
#define HG_ALG_SHA512 0x000D

struct hg_bank {
	uint16_t alg;
	const char *name;     /* "sha256", as tpm2-tools spells it */
	size_t size;
	const char *ossl;     /* OpenSSL digest name */
};

struct hg_digest {
	uint16_t alg;
	uint8_t len;
	uint8_t d[HG_MAX_DIGEST];
};

struct hg_digests {
	size_t n;
	struct hg_digest v[HG_MAX_BANKS];
};

const struct hg_bank *hg_bank_by_alg(uint16_t alg);
const struct hg_bank *hg_bank_by_name(const char *name);
const EVP_MD *hg_bank_md(const struct hg_bank *b);

/* Find the digest of ALG in D, or NULL. */
const struct hg_digest *hg_digests_get(const struct hg_digests *d,
				       uint16_t alg);

/* One-shot hash of DATA with ALG into OUT. */
int hg_hash(uint16_t alg, const void *data, size_t len, struct hg_digest *out);

/* pcr = H(pcr || d); pcr and d must be of the same algorithm. */
int hg_extend(struct hg_digest *pcr, const struct hg_digest *d);

/* A zeroed PCR of ALG. */
int hg_pcr_reset(uint16_t alg, struct hg_digest *pcr);

#endif
