/* akuse.h: the AK, ready for TPM2_Quote or TPM2_ActivateCredential.
 *
 * Persistent (init made it so; STATE/ak.handle names the handle): the
 * object at that handle is used only when its Name, nameAlg ||
 * H(TPMT_PUBLIC) (Part 1 §16), is the Name of STATE/ak.pub. That costs one
 * TPM2_ReadPublic: no TPM2_CreatePrimary (the EK), no session, no
 * TPM2_Load, no flush. A different key at the handle is refused, never
 * used: it would sign quotes for a key no verifier enrolled. No object
 * there is refused with the way back, `hostgate-attest init`:
 *  - evicted (tpm2_evictcontrol): init loads ak.priv under the EK and
 *    makes the same AK persistent again; the enrolment stays valid;
 *  - TPM2_Clear (Part 3 §24.6: it flushes the endorsement hierarchy's
 *    persistent objects and changes its proof value): the saved AK no
 *    longer loads (TPM_RC_INTEGRITY, seen on swtpm), and init says to
 *    make a new AK and enroll it, as for a replaced TPM.
 *
 * Transient (no ak.handle: a state from before persistent AKs that init
 * has not migrated yet, or a TPM that refused TPM2_EvictControl): the EK
 * is recreated and the AK loaded under it, as before; hg_akuse_close()
 * flushes both.
 *
 * Contract: the caller holds the TPM lock (state.h) while an AK is open.
 * Errors are printed, one line naming the state directory. a->pub is the
 * AK public area from STATE/ak.pub (held to the verifier's AK rule).
 */
#ifndef HG_AKUSE_H
#define HG_AKUSE_H

#include <stdint.h>

#include "tpm.h"

struct hg_akuse {
	TPM2B_PUBLIC pub;
	ESYS_TR ak;       /* ESYS_TR_NONE when not open */
	ESYS_TR ek;       /* the transient EK, transient mode only */
	uint32_t handle;  /* the persistent handle; 0: transient */
};

int hg_akuse_open(struct hg_tpm *t, const char *state, struct hg_akuse *a);
/* Accepts a zeroed or closed A. */
void hg_akuse_close(struct hg_tpm *t, struct hg_akuse *a);

/* For init: make the loaded AK (ESYS_TR AK, public area PUB, already saved
 * in STATE) persistent and record the handle in STATE/ak.handle.
 *  - ak.handle names a handle holding this AK: kept;
 *  - it names an empty handle (evicted): the AK is made persistent
 *    there again ("restored");
 *  - no ak.handle, but a handle of HG_AK_HANDLE_FIRST..LAST already holds
 *    this AK (init stopped between TPM2_EvictControl and writing the
 *    file): that one is recorded ("adopted");
 *  - otherwise the first free handle of that range ("made").
 * Returns 1 with *HANDLE and *HOW; 0 when the TPM refuses
 * TPM2_EvictControl (owner authorisation set, no persistent space) or the
 * range is full: ak.handle is removed, a warning says so, and quotes keep
 * loading the AK; -1 when ak.handle names a handle holding another key
 * (refused, never evicted: it may be someone else's) or on error. */
int hg_akuse_persist(struct hg_tpm *t, const char *state, ESYS_TR ak,
		     const TPM2B_PUBLIC *pub, uint32_t *handle, const char **how);

#endif
