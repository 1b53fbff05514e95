/* judgevm.h: judge each RUNNING VM by its own launch record (check
 * "vms"; docs/gate.md "Launch records", issue 14 item 5).
 *
 * Why: the policy check judges workload records by the latest record of
 * each name (judge.h). A VM started from image A keeps running after A is
 * revoked, and a good copy measured over A's path later would make the
 * latest record of A's name a good one. The gate writes a launch record
 * at every allowed start (cel.h "launch": domain, UUID, the records the
 * start rested on); a running VM is judged by the records its latest
 * launch record names, whatever came after them.
 *
 * For each running domain (running.h, the host's list, by UUID):
 *  - its latest launch record in the verified log with that UUID; none:
 *    the VM is "unknown" (untrusted, exit 1): the gate did not start it
 *    (or a break-glass start, which writes none, did);
 *  - each ref must name a record before the launch record that exists,
 *    is a file record of the kind the ref says, has the extended digests
 *    the ref says (H_alg of its content, in every bank the ref lists),
 *    and no (kind, name) twice; the config ref must be the config of the
 *    launch record's domain (/etc/libvirt/qemu/DOMAIN.xml). Otherwise the
 *    evidence is invalid (exit 3) and the reason names the launch record
 *    and the ref: the host wrote what its gate never writes;
 *  - the referenced records are judged against the policy as judge.h
 *    judges the named workloads of one VM (hv_judge_finish_workloads:
 *    entries, digests in every accepted bank, "domains"), not the
 *    latest record of their names. A failure is untrusted (exit 1) and
 *    names the VM (name and UUID), the launch record, the record and its
 *    digest.
 * Domains the list does not name are not judged (a stopped VM is not
 * the host's problem any more).
 *
 * Only records of a log that verified and replayed to the quote are
 * judged: when hv_verify() stopped before (invalid evidence, or a bank or
 * selection failure that precedes the replay), every VM is "skip".
 *
 * Output: res->exit becomes the worse of the host's and the VMs' (3 over
 * 1 over 0); with JSON, the verdict gains "vms": [{"name" (as the host
 * listed it), "uuid", "domain" (the launch record's, when found),
 * "launch" (its record number or null), "status" (trusted, untrusted,
 * unknown, invalid, skip), "failures": [...]}], each failure (check
 * "vms") is also appended to "failures", "checks" gains {"check":
 * "vms"}, and "verdict" is recomputed. Without RUN nothing changes.
 *
 * Bounds: memory is 24 bytes per workload record of the log (the log is
 * at most 64 MiB) plus per running domain its launch record's refs (at
 * most HG_CEL_MAX_REFS); at most HV_MAX_LISTED_FAILURES failures are
 * listed in all, the rest counted.
 */
#ifndef HV_JUDGEVM_H
#define HV_JUDGEVM_H

#include "running.h"
#include "verify.h"

struct hv_vm_result {
	int host_exit;          /* hv_verify()'s own exit */
	int exit;               /* the VMs' (0, 1, 3), -1 when not judged */
	char why[512];          /* the VMs' first failure of the worst class */
	size_t nfailures;
};

/* The pieces, for callers with their own record stream (and the unit
 * tests): init with the policy P and the running list RUN (both borrowed,
 * as are the records, which must outlive the judge), feed every verified
 * record in log order, then judge (JUDGED 0: every VM "skip"). The JSON
 * (NULL without WANT_JSON) stays the judge's until hv_vms_free(). */
struct hv_vms;
int hv_vms_init(struct hv_vms **out, const struct hg_policy *p,
		const struct hv_running *run, int want_json);
void hv_vms_record(struct hv_vms *vms, const struct hg_cel_rec *rec);
void hv_vms_judge(struct hv_vms *vms, int judged, struct hv_vm_result *vr);
json_object *hv_vms_json(const struct hv_vms *vms);
json_object *hv_vms_failures(const struct hv_vms *vms);
void hv_vms_free(struct hv_vms *vms);

/* After the run that fed C: judge the VMs (only when JUDGE and RES's
 * log and replay passed), make RES's exit the worse of the host's and
 * the VMs', and add "vms" to its verdict (as hv_verify_running does). */
void hv_vms_finish(struct hv_vms *c, int judge, struct hv_result *res,
		   struct hv_vm_result *vr);
/* An on_record that feeds VMS and still calls IN's own on_record: set
 * it with a struct hv_vms_chain as its arg. */
struct hv_vms_chain {
	const struct hv_inputs *in;
	struct hv_vms *vms;
};
void hv_vms_chain(void *arg, const struct hg_cel_rec *rec);

/* hv_verify() (IN as for it, its on_record still called) with the
 * running domains RUN judged. Returns the combined exit (res->exit). */
int hv_verify_running(const struct hv_inputs *in, const struct hv_running *run,
		      struct hv_result *res, struct hv_vm_result *vr);
/* The same from the agent's JSON (LEN bytes of `GET /v1/domains`, as
 * running.h parses it). A list that does not parse judges nothing:
 * -1 with ERR set (the caller's "unreadable input", exit 2 for check),
 * RES untouched. Else the combined exit, as above. */
int hv_verify_running_json(const struct hv_inputs *in, const char *json,
			   size_t len, struct hv_result *res,
			   struct hv_vm_result *vr, char *err, size_t errlen);

#endif
