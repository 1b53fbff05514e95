/* ekfind.h: the EK behind an EK certificate, on this TPM.
 *
 * A certificate names a key, not a handle. The EK is looked for first
 * among the persistent handles of the EK range, 0x81010000..0x810100ff
 * (TCG TPM v2.0 Provisioning Guidance §7.8: 0x81010001 RSA, 0x81010002
 * ECC; swtpm 0.7 also keeps its P-384 EK at 0x81010016), keeping only
 * restricted decryption keys; then it is recreated from the EK
 * Credential Profile template of the certificate's key type (L-1 for
 * RSA 2048, L-2 for ECC P-256: the endorsement seed makes it the same
 * key every time). The certificate's key must equal the EK's key
 * (EVP_PKEY_eq on OpenSSL's reading of both; no X.509 parsed here).
 *
 * Contract: hg_ek_for_cert() returns 1 with *ek filled (its ESYS_TR held
 * only with KEEP), 0 when no EK of this TPM has the certificate's key
 * (nothing printed), -1 after printing an error; hg_ek_by_name() the
 * same. hg_ek_release() accepts
 * a zeroed or released hg_ek.
 */
#ifndef HG_EKFIND_H
#define HG_EKFIND_H

#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

struct hg_ek {
	ESYS_TR tr;              /* valid while held */
	int held;                /* tr is ours to release */
	int transient;           /* recreated here: flushed on release */
	uint32_t handle;         /* persistent handle; 0 when recreated */
	TPM2B_PUBLIC pub;
	uint8_t name[2 + 64];
	size_t name_len;
};

int hg_ek_for_cert(struct hg_tpm *t, const uint8_t *der, size_t len, int keep,
		   struct hg_ek *ek);
/* The EK whose Name is NAME (a challenge names it), looked for the same
 * way but matched by Name, in the persistent range and then templates
 * L-1 and L-2; held in *EK on 1. Needs no certificate. */
int hg_ek_by_name(struct hg_tpm *t, const uint8_t *name, size_t name_len,
		  struct hg_ek *ek);
void hg_ek_release(struct hg_tpm *t, struct hg_ek *ek);

#endif
