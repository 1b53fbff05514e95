/* runincr.c: see runincr.h. */
#include "runincr.h"

#include <stdio.h>
#include <string.h>

#include "cmds.h"

int hv_verify_running_incremental(const struct hv_inputs *in, const struct hv_running *run,
				  const struct hv_incr_state *prev,
				  const uint8_t policy_sha256[32],
				  struct hv_incr_state *new_state, struct hv_result *res,
				  struct hv_incr_info *info, struct hv_vm_result *vr,
				  int *confirm)
{
	struct hv_inputs in2 = *in;
	struct hv_vms *c = NULL;
	struct hv_vms_chain ch = { .in = in };

	memset(vr, 0, sizeof(*vr));
	vr->exit = -1;
	*confirm = 0;
	if (!run)
		return hv_verify_incremental(in, prev, policy_sha256, new_state, res, info);
	if (hv_vms_init(&c, in->policy, run, in->want_json) < 0) {
		/* Not even the list could be kept: judge nothing, trust
		 * nothing (judgevm.c does the same). */
		memset(res, 0, sizeof(*res));
		memset(info, 0, sizeof(*info));
		memset(new_state, 0, sizeof(*new_state));
		res->exit = HV_EXIT_UNTRUSTED;
		res->first_failed = HV_POLICY;
		snprintf(res->why, sizeof(res->why), "out of memory");
		vr->host_exit = res->exit;
		goto out;
	}
	ch.vms = c;
	in2.on_record = hv_vms_chain;
	in2.arg = &ch;
	hv_verify_incremental(&in2, prev, policy_sha256, new_state, res, info);
	/* A partial log that did not anchor judges no VM: its records are
	 * not the quote's (incr.h "full_required"). */
	hv_vms_finish(c, in->policy && !info->full_required, res, vr);
	/* Only "invalid" can come from a record the state lacks: an
	 * untrusted VM's records were found and judged, an unknown VM has
	 * no launch record (every one is kept). */
	*confirm = info->incremental && vr->exit == 3;
out:
	hv_vms_free(c);
	return res->exit;
}
