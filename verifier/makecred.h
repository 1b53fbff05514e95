/* makecred.h: TPM2_MakeCredential in software, for the verifier (which
 * has no TPM): a challenge only the TPM holding the EK can open, and only
 * for the object whose Name it is bound to (TPM 2.0 Part 1 §24, Part 3
 * §12.6). See docs/makecredential.md.
 *
 * Inputs:
 *   EK      the EK's public area; RSA only for now (an ECC EK needs an
 *           ECDH-derived seed, Part 1 Annex C.6.4: a follow-up). It must
 *           be a restricted decryption key, not a signing key, with a NULL
 *           RSA scheme, nameAlg SHA-256/384/512 and AES-128/256-CFB as
 *           its symmetric (the TCG EK Credential Profile templates).
 *   AK_NAME the AK's Name: a 2-byte TPM_ALG_ID then its digest; the alg
 *           must be SHA-1/256/384/512 and the length must match it.
 *   SECRET  1 .. digest size of the EK's nameAlg bytes (32 for SHA-256).
 *   SEED    NULL: a fresh random seed (always, outside tests); else
 *           exactly the nameAlg's digest size, for deterministic vectors.
 * Outputs (caller-owned, filled on success only):
 *   BLOB    credentialBlob: TPM2B_DIGEST integrityHMAC || encIdentity.
 *   ENC     the seed, RSA-OAEP encrypted to the EK with label "IDENTITY\0".
 * Returns 0, or -1 with *WHY a static string naming the reason. No
 * allocation outlives the call; the seed and derived keys are wiped.
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

#endif
