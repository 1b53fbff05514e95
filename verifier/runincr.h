/* runincr.h: incremental verification (incr.h) with the running VMs
 * judged (judgevm.h) in the same run: what the service's pull does.
 *
 * The per-VM judge sees the records a full run would give it for every
 * running VM: hv_verify_incremental() feeds its on_record the kept
 * records first (the state keeps every launch record and, once one was
 * seen, every workload record: incr.h), then the new ones. A kept set
 * can still lack a record a NEW launch record names: a state made while
 * the log had no launch record keeps only the latest record of each
 * workload name, and the gate may name an older one (two starts racing
 * over one path). The judge then finds no such record and calls the VM
 * invalid; it never finds a wrong one (refs carry the record's digests).
 * So an invalid VM found in an incremental run is never final: *CONFIRM
 * is set and the caller checks the whole log before it believes it. An
 * untrusted VM is final (its records were found, by number and digest,
 * and judged), as is an unknown one (every launch record is kept). A VM
 * judged trusted rests on its launch record's own referenced records,
 * whatever run found them: a missing record can only make it invalid.
 */
#ifndef HV_RUNINCR_H
#define HV_RUNINCR_H

#include "incr.h"
#include "judgevm.h"

/* hv_verify_incremental(IN, PREV, POLICY_SHA256, NEW_STATE, RES, INFO)
 * and, RUN not NULL, the running domains judged as hv_verify_running
 * does (VR filled; the verdict gains "vms"). *CONFIRM (RUN given, the
 * state resumed, a VM invalid): check the whole log before
 * believing the VMs' verdict. Returns the combined exit (res->exit).
 * Memory: the judge borrows PREV's records; PREV outlives the call. */
int hv_verify_running_incremental(const struct hv_inputs *in, const struct hv_running *run,
				  const struct hv_incr_state *prev,
				  const uint8_t policy_sha256[32],
				  struct hv_incr_state *new_state, struct hv_result *res,
				  struct hv_incr_info *info, struct hv_vm_result *vr,
				  int *confirm);

#endif
