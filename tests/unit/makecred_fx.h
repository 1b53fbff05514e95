/* makecred_fx.h: what test_makecred.c (RSA EKs) and test_makecred_ecc.c
 * (ECC EKs) share: the RSA EK of template L-1 whose private half the
 * test keeps, the fixed seed, AK name and secret, and the inverse of
 * MakeCredential written here from the spec, not from the module's
 * helpers: KDFa (TPM 2.0 Part 1 §11.4.10.2) and the opening of a
 * credential blob (§24.4, §24.5). The refusal reasons both tables pin.
 *
 * A helper that fails aborts the test through cmocka's asserts.
 */
#ifndef HG_TEST_MAKECRED_FX_H
#define HG_TEST_MAKECRED_FX_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

/* An EK whose private half the test keeps, and its parameters. */
struct ekfx {
	EVP_PKEY *priv;
	TPM2B_PUBLIC pub;
	const EVP_MD *md;   /* nameAlg: OAEP, KDFa and HMAC hash */
	size_t hl;          /* its digest size: seed and HMAC length */
	size_t sym;         /* AES key bytes */
};

extern struct ekfx l1;       /* template L-1 (RSA 2048); mk_ek() fills it */
/* Filled by makecred_fx_inputs(): name is a SHA-256 AK name. */
extern uint8_t seed[64], name[34], secret[64];

/* The TCG EK Credential Profile RSA templates: L-1 is RSA 2048, SHA-256,
 * AES-128-CFB; H-3 is RSA 3072, SHA-384, AES-256-CFB. The modulus comes
 * from an OpenSSL key; F->priv is the caller's to free. 0 or -1. */
int mk_ek(struct ekfx *f, unsigned bits, uint16_t alg, const EVP_MD *md,
	  unsigned sym_bits);
void makecred_fx_inputs(void);

/* KDFa from Part 1 §11.4.10.2, one HMAC per digest-sized block. */
void kdfa_spec(const EVP_MD *md, const uint8_t *key, size_t keylen,
	       const char *label, const uint8_t *ctx, size_t ctxlen,
	       uint8_t *out, size_t bytes);

/* Open BLOB with SEED as the TPM does (Part 1 §24.4, §24.5): the outer
 * HMAC over encIdentity || name, then AES-CFB with IV 0 to the TPM2B
 * secret, which must be the test's SLEN bytes. */
void open_blob(const EVP_MD *md, const uint8_t *sd, size_t symlen,
	       const TPM2B_ID_OBJECT *blob, size_t slen);

/* Reasons hv_make_credential() gives for RSA and ECC EKs alike. */
#define WHY_NAMEALG "EK nameAlg is not SHA-256, SHA-384 or SHA-512"
#define WHY_RD "EK is not a restricted decryption key"
#define WHY_SYM "EK symmetric is not AES-128-CFB or AES-256-CFB"
#define WHY_NAME "AK name's algorithm and length disagree"
#define WHY_SECRET "secret is empty or longer than the EK nameAlg's digest"

#endif
