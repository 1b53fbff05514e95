/* tpm.h: the one module of hostgate-attest that talks to the TPM.
 *
 * Every ESYS call is wrapped once here; a failure logs one line naming
 * the TPM command, the response code and Tss2_RC_Decode()'s text, and
 * returns -1. Nothing else in hostgate includes tss2_esys.h.
 *
 * Contract:
 *  - hg_tpm_open() connects through the TCTI string (tctildr syntax, e.g.
 *    "swtpm:host=127.0.0.1,port=2321" or "device:/dev/tpmrm0");
 *    hg_tpm_close() accepts a zeroed or closed handle.
 *  - There may be no resource manager (swtpm): every transient object and
 *    session created here is flushed by the same call that made it, except
 *    the handles returned to the caller, who flushes them with
 *    hg_tpm_flush().
 *  - ESYS-allocated outputs returned to the caller are freed with free().
 */
#ifndef HG_TPM_H
#define HG_TPM_H

#include <stdint.h>
#include <tss2/tss2_esys.h>

#include "../lib/digest.h"
#include "../lib/pcrs.h"

struct hg_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	uint16_t banks[HG_MAX_BANKS];  /* hg_tpm_banks()'s answer, once asked */
	size_t nbanks;                 /* 0: not asked yet */
};

enum hg_ak_alg { HG_AK_ECC = 0, HG_AK_RSA = 1 };

/* --verbose: the TSS's own log lines go to stderr as the TSS prints them;
 * otherwise to syslog (tpm.c says how). */
extern int hg_tpm_verbose;

int hg_tpm_open(const char *tcti, struct hg_tpm *t);
void hg_tpm_close(struct hg_tpm *t);

/* The hash algorithms of every PCR bank that has at least one PCR
 * allocated (TPM2_GetCapability(TPM_CAP_PCRS), Part 3 §30.2). Fails, naming
 * the bank, if one is active that hostgate cannot hash: skipping it would
 * leave that bank's PCR open to anyone. */
int hg_tpm_banks(struct hg_tpm *t, uint16_t *algs, size_t *n);

/* Read PCR in each bank of ALGS; loops over the 8-digest response limit
 * and retries when pcrUpdateCounter moves between reads. */
int hg_tpm_pcr_read(struct hg_tpm *t, uint32_t pcr, const uint16_t *algs,
		    size_t n, struct hg_digests *out);

/* Read every value of SEL into OUT in selection order: loops over the
 * 8-digest response limit and starts over when pcrUpdateCounter moves. */
int hg_tpm_pcrs_read(struct hg_tpm *t, const struct hg_pcr_sel *sel,
		     struct hg_pcr_values *out);

/* TPM2_Quote with AK's own scheme over SEL, NONCE as qualifyingData.
 * *attest and *sig are ESYS-allocated; free() them. */
int hg_tpm_quote(struct hg_tpm *t, ESYS_TR ak, const uint8_t *nonce,
		 size_t nonce_len, const struct hg_pcr_sel *sel,
		 TPM2B_ATTEST **attest, TPMT_SIGNATURE **sig);

/* Extend every bank in D with one TPM2_PCR_Extend (Part 3 §22.2): the TPM
 * applies all banks or none. */
int hg_tpm_pcr_extend(struct hg_tpm *t, uint32_t pcr,
		      const struct hg_digests *d);

/* Recreate the ECC P-256 EK from the TCG EK Credential Profile template
 * L-2 (it is derived from the endorsement seed, so it is the same key each
 * time and matches its certificate). */
int hg_tpm_ek_create(struct hg_tpm *t, ESYS_TR *ek);
/* The same for TYPE TPM2_ALG_RSA (template L-1, RSA 2048) or
 * TPM2_ALG_ECC (L-2); *PUB (if PUB is not NULL) is ESYS-allocated. */
int hg_tpm_ek_create_alg(struct hg_tpm *t, uint16_t type, ESYS_TR *ek,
			 TPM2B_PUBLIC **pub);

/* Create an AK under EK: restricted signing, fixedTPM/fixedParent,
 * ECDSA-P256-SHA256 or RSASSA-2048-SHA256. */
int hg_tpm_ak_create(struct hg_tpm *t, ESYS_TR ek, enum hg_ak_alg alg,
		     TPM2B_PUBLIC **pub, TPM2B_PRIVATE **priv);
int hg_tpm_ak_load(struct hg_tpm *t, ESYS_TR ek, const TPM2B_PUBLIC *pub,
		   const TPM2B_PRIVATE *priv, ESYS_TR *ak);

void hg_tpm_flush(struct hg_tpm *t, ESYS_TR h);

/* Up to MAX handles in FIRST..LAST (one handle type: persistent objects,
 * NV indices), ascending, from one TPM2_GetCapability(TPM_CAP_HANDLES). */
int hg_tpm_handles(struct hg_tpm *t, uint32_t first, uint32_t last,
		   uint32_t *h, size_t max, size_t *n);

/* The persistent object at HANDLE: 1 with an ESYS_TR (release with
 * hg_tpm_tr_close()) and its Name as the TPM reports it (one
 * TPM2_ReadPublic); 0 if no object is there (TPM_RC_HANDLE); -1 on any
 * other error. */
int hg_tpm_persistent_name(struct hg_tpm *t, uint32_t handle, ESYS_TR *tr,
			   TPM2B_NAME *name);

/* TPM2_EvictControl: make loaded OBJ persistent at HANDLE (owner
 * authorisation, empty password). */
int hg_tpm_evict(struct hg_tpm *t, ESYS_TR obj, uint32_t handle);

/* An ESYS_TR and the public area (TPM2_ReadPublic, Part 3 §12.4) of the
 * persistent object HANDLE; release the ESYS_TR with hg_tpm_tr_close(),
 * never hg_tpm_flush() (that would evict nothing but is wrong for a
 * persistent handle). *pub is ESYS-allocated. */
int hg_tpm_read_public(struct hg_tpm *t, uint32_t handle, ESYS_TR *tr,
		       TPM2B_PUBLIC **pub);
void hg_tpm_tr_close(struct hg_tpm *t, ESYS_TR *tr);

/* TPM2_ActivateCredential (Part 3 §12.5): open BLOB/ENC, made for EK
 * (whose public area is EKPUB) and bound to AK's Name. *secret is
 * ESYS-allocated; the caller wipes and frees it. */
int hg_tpm_activate(struct hg_tpm *t, ESYS_TR ak, ESYS_TR ek,
		    const TPM2B_PUBLIC *ekpub, const TPM2B_ID_OBJECT *blob,
		    const TPM2B_ENCRYPTED_SECRET *enc, TPM2B_DIGEST **secret);

/* NV indices larger than this are refused: an EK certificate fits. */
#define HG_TPM_NV_MAX 4096

/* Read all of NV index INDEX (TPM2_NV_ReadPublic for its size, then
 * TPM2_NV_Read in chunks of at most 1024 bytes, TPM2_MAX_NV_BUFFER_SIZE
 * on every TPM we know; Part 3 §31.13). Auth is the index itself with an
 * empty password, as for the EK certificate indices (EK Credential Profile
 * §2.2.1.5: AUTHREAD, no auth value). Ask hg_tpm_handles() first whether
 * the index is defined: ESYS logs an error for a failed command, and a TPM
 * without a certificate is normal. Returns 1 with *out (malloc'd, the
 * caller frees) and *len; 0 when the index is not defined (TPM_RC_HANDLE);
 * -1 on any other error, or an index over HG_TPM_NV_MAX bytes. */
int hg_tpm_nv_read(struct hg_tpm *t, uint32_t index, uint8_t **out,
		   size_t *len);

#endif
