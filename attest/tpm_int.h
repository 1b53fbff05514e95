/* tpm_int.h: what tpm.c and tpmkeys.c (the one TPM module, split in two
 * files) share; nothing else includes it. */
#ifndef HG_TPM_INT_H
#define HG_TPM_INT_H

#include "tpm.h"

/* 1 if RC is success; else one error line naming CALL, the code and
 * Tss2_RC_Decode()'s text, and 0. */
int hg_tpm_rc_ok(TSS2_RC rc, const char *call);

/* TPM2_GetCapability (Part 3 §30.2); *cap is ESYS-allocated. */
int hg_tpm_get_capability(struct hg_tpm *t, TPM2_CAP capability,
			  UINT32 property, UINT32 count,
			  TPMS_CAPABILITY_DATA **cap, const char *what);

#endif
