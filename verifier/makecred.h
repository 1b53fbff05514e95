/* makecred.h: TPM2_MakeCredential in software, for the verifier (which
 * has no TPM): a challenge only the TPM holding the EK can open, and only
 * for the object whose Name it is bound to (TPM 2.0 Part 1 §24, Part 3
 * §12.6). See docs/makecredential.md.
 *
 * Inputs:
 *   EK      the EK's public area, RSA or ECC. It must be a restricted
 *           decryption key, not a signing key, with nameAlg SHA-256/384/
 *           512 and AES-128/256-CFB as its symmetric (the TCG EK
 *           Credential Profile templates). RSA: a NULL scheme and a
 *           2048/3072/4096-bit modulus as keyBits says. ECC: NIST P-256,
 *           P-384 or P-521, NULL scheme and KDF, and a point on the curve
 *           whose coordinates are exactly the curve's size.
 *   AK_NAME the AK's Name: a 2-byte TPM_ALG_ID then its digest; the alg
 *           must be SHA-1/256/384/512 and the length must match it.
 *   SECRET  1 .. digest size of the EK's nameAlg bytes (32 for SHA-256).
 *   SEED    NULL: a fresh random seed (always, outside tests); else, for
 *           an RSA EK only, exactly the nameAlg's digest size, for
 *           deterministic vectors. An ECC EK's seed comes from ECDH with
 *           a fresh ephemeral key (Part 1 Annex C.6.4), so SEED must be
 *           NULL for one.
 * Outputs (caller-owned, filled on success only):
 *   BLOB    credentialBlob: TPM2B_DIGEST integrityHMAC || encIdentity.
 *   ENC     RSA EK: the seed, RSA-OAEP encrypted to the EK with label
 *           "IDENTITY\0". ECC EK: the ephemeral public point, a marshalled
 *           TPMS_ECC_POINT with coordinates padded to the curve size.
 * Returns 0, or -1 with *WHY a static string naming the reason. No
 * allocation outlives the call; the seed, Z, the ephemeral private key
 * and the derived keys are wiped.
 */
#ifndef HV_MAKECRED_H
#define HV_MAKECRED_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

int hv_make_credential(const TPM2B_PUBLIC *ek, const uint8_t *ak_name,
		       size_t ak_name_len, const uint8_t *secret,
		       size_t secret_len, const uint8_t *seed_or_null,
		       size_t seed_len, TPM2B_ID_OBJECT *blob,
		       TPM2B_ENCRYPTED_SECRET *enc, const char **why);

/* TEST ONLY: never call it outside tests/. hv_make_credential() for an
 * ECC EK with a fixed ephemeral private scalar instead of a fresh one, so
 * unit tests can build deterministic vectors. A credential made with a
 * known scalar is open to anyone who knows it (and anyone who sees two
 * made with the same scalar learns they share a seed).
 *   EPH_PRIV  big-endian, exactly the curve's size (32, 48 or 66 bytes),
 *             in [1, n-1]; must not be NULL.
 * Refuses an RSA EK ("an ephemeral key is for ECC EKs only"); otherwise
 * as hv_make_credential() with SEED NULL. */
int hv_make_credential_test_ephemeral(const TPM2B_PUBLIC *ek,
				      const uint8_t *ak_name, size_t ak_name_len,
				      const uint8_t *secret, size_t secret_len,
				      const uint8_t *eph_priv, size_t eph_priv_len,
				      TPM2B_ID_OBJECT *blob,
				      TPM2B_ENCRYPTED_SECRET *enc, const char **why);

#endif
