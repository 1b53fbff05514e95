/* incrsvc.c: a pull's judgement (svc.h): incremental verification
 * (incr.h) with the running VMs judged (judgevm.h, runincr.h), and the
 * host's state kept in the registry (hosts.incr_state).
 *
 * Inputs, as judge.c's: the AK the registry holds for the host, the
 * service's nonce, the host's assigned policy at its latest version; the
 * state resumes only under the digest of that version's text (a new
 * version, even an equal text elsewhere, is "policy changed": incr.h).
 *
 * The state is sealed (incrseal.h: HMAC-SHA256 under STATE/incr.key,
 * the key `check --state-in` uses) before it is stored: the registry is
 * as trusted as the policies it holds, but a blob edited in the database,
 * or copied from another verifier, is then refused (a full check, the
 * reason in "fallback") instead of believed.
 *
 * Verdict: judge.c's ("policy", "measured") plus incr.h's "mode",
 * "fallback", "since" and, with the running list, judgevm.h's "vms";
 * without it (the agent could not list its domains) "vms_unavailable"
 * says why and no VM is judged: the list is the host's word anyway
 * (running.h), so a host that withholds it hides no more than one that
 * leaves a VM out of it.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/ear.h"
#include "../../lib/tpmpub.h"
#include "../../lib/util.h"
#include "../incrseal.h"
#include "../policy.h"
#include "../runincr.h"

int hv_svc_incr_load(struct hv_svc *s, const char *host, struct hv_incr_state *st,
		     char *why, size_t whylen)
{
	struct hv_host_status hs = { 0 };
	const uint8_t *inner;
	size_t inner_len;
	const char *w;
	int r, ret = -1;

	memset(st, 0, sizeof(*st));
	why[0] = '\0';
	if ((r = hv_reg_status_get(s->reg, host, 1, &hs)) < 0)
		goto out;
	ret = 0;
	if (r == 0 || !hs.incr)
		goto out;
	if (!s->incr_on)
		snprintf(why, whylen, "the service has no state key (%s): incremental verification is off",
			 HV_INCR_KEY_FILE);
	else if (hv_incr_unseal(s->incr_key, hs.incr, hs.incr_len, &inner, &inner_len, &w) < 0)
		snprintf(why, whylen, "kept state refused: %s", w);
	else if (hv_incr_state_decode(inner, inner_len, st, &w) < 0)
		snprintf(why, whylen, "kept state does not decode: %s", w);
	else
		ret = 1;
out:
	hv_host_status_free(&hs);
	return ret;
}

int hv_svc_incr_store(struct hv_svc *s, const char *host, const struct hv_incr_state *st)
{
	uint8_t *sealed = NULL;
	size_t len = 0;
	int ret = -1;

	if (st && (!s->incr_on || hv_incr_seal(s->incr_key, st->buf, st->len, &sealed, &len) < 0)) {
		hg_err("host %s: cannot seal the incremental state", host);
		goto out;
	}
	if (st && len > HV_INCR_MAX) {
		/* The registry's bound is below the state's: drop it, the
		 * next pull is a full one. */
		free(sealed);
		sealed = NULL;
		len = 0;
	}
	if (hv_reg_incr_set(s->reg, host, sealed, len) < 0)
		goto out;
	ret = 0;
out:
	free(sealed);
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The fallback the verdict shows: the service's own reason when it had
 * no state to give, and "reboot" named when the quote's boot is not the
 * state's (hv_verify_incremental() only says the host sent its whole
 * log, which is what an agent does across a reboot). */
static void fallback_note(json_object *verdict, const struct hv_pull_judge *pj,
			  const struct hv_result *res, const struct hv_incr_info *info)
{
	const TPMS_CLOCK_INFO *ci = &res->quote.attest.clockInfo;
	struct hg_boot_id now;
	char a[HG_BOOT_ID_LEN + 1], b[HG_BOOT_ID_LEN + 1], buf[256];

	if (info->incremental)
		return;
	if (!pj->prev) {
		if (pj->fallback && pj->fallback[0])
			json_object_object_add(verdict, "fallback",
					       json_object_new_string(pj->fallback));
		return;
	}
	if (res->first_failed <= HV_PCR_DIGEST)
		return;   /* the quote did not verify: its clock says nothing */
	now.reset_count = ci->resetCount;
	now.restart_count = ci->restartCount;
	if (hg_boot_id_equal(&now, &pj->prev->boot))
		return;
	hg_boot_id_format(&now, a);
	hg_boot_id_format(&pj->prev->boot, b);
	snprintf(buf, sizeof(buf), "reboot: the quote's boot is %s, the state's %s (TPM resetCount, restartCount)",
		 a, b);
	json_object_object_add(verdict, "fallback", json_object_new_string(buf));
}

int hv_svc_judge_pull(struct hv_svc *s, const char *host, struct hv_pull_judge *pj,
		      struct hv_incr_state *next, struct hv_svc_verdict *v,
		      char *why, size_t whylen)
{
	struct hv_host h = { 0 };
	struct hv_policy_rec rec = { 0 };
	struct hg_ak ak = { 0 };
	struct hv_result *res = NULL;
	struct hv_inputs in = { 0 };
	struct hv_incr_info info;
	struct hv_vm_result vr;
	struct hg_ear_collect col = { 0 };
	const struct hg_policy *pol;
	const char *akwhy;
	double t0;
	int r, confirm = 0, ret = -1;

	memset(v, 0, sizeof(*v));
	memset(next, 0, sizeof(*next));
	pj->incremental = pj->full_required = pj->confirm = pj->have_state = 0;
	if ((r = hv_reg_host_get(s->reg, host, &h)) <= 0) {
		snprintf(why, whylen, r < 0 ? "registry error" : "no such host enrolled");
		goto out;
	}
	if (hg_ak_decode(h.ak_pub, h.ak_pub_len, &ak, &akwhy) < 0) {
		snprintf(why, whylen, "the registry's AK is not usable: %s", akwhy);
		goto out;
	}
	if ((r = hv_reg_host_policy(s->reg, host, &rec)) <= 0) {
		snprintf(why, whylen, r < 0 ? "registry error" :
			 "no policy assigned to the host or its group");
		goto out;
	}
	snprintf(v->policy, sizeof(v->policy), "%s@%lld", rec.name, (long long)rec.version);
	if (!(pol = hv_svc_policy(s, &rec, v->policy, why, whylen)))
		goto out;
	if (!(res = calloc(1, sizeof(*res)))) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	in.evidence = pj->ev;
	in.evidence_len = pj->ev_len;
	in.ak = &ak;
	in.nonce = pj->nonce;
	in.nonce_len = pj->nonce_len;
	in.policy = pol;
	in.host = host;
	in.want_json = 1;
	/* "measured" (judge.c): with a resumed state, the kept records come
	 * first (incr.h), so workloads are listed as a full check lists
	 * them; of host records only those the state keeps. */
	in.on_record = hg_ear_collect_record;
	in.arg = &col;
	t0 = now_s();
	v->exit = hv_verify_running_incremental(&in, pj->run, pj->prev, rec.sha256, next,
						res, &info, &vr, &confirm);
	v->seconds = now_s() - t0;
	pj->incremental = info.incremental;
	pj->full_required = info.full_required || confirm;
	pj->confirm = confirm;
	pj->have_state = info.have_state;
	v->state = v->exit == 0 ? HV_STATE_TRUSTED : HV_STATE_UNTRUSTED;
	v->failures = (uint32_t)(res->nfailures + (vr.exit > 0 ? vr.nfailures : 0));
	v->verdict = res->verdict;
	res->verdict = NULL;
	if (!v->verdict) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	json_object_object_add(v->verdict, "policy", json_object_new_string(v->policy));
	fallback_note(v->verdict, pj, res, &info);
	if (!pj->run)
		json_object_object_add(v->verdict, "vms_unavailable",
				       json_object_new_string(pj->run_why ? pj->run_why : "not asked"));
	hg_ear_verdict_add_measured(v->verdict, &col);
	ret = 0;
out:
	if (ret < 0) {
		hv_svc_verdict_free(v);
		hv_incr_state_free(next);
	}
	if (res)
		hv_result_free(res);
	free(res);
	hg_ear_collect_free(&col);
	hg_ak_free(&ak);
	hv_policy_rec_free(&rec);
	hv_host_free(&h);
	return ret;
}
