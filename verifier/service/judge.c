/* judge.c: one judgement of the service (svc.h): the existing pipeline,
 * hv_verify() (verifier/verify.h), with inputs that are all the
 * verifier's own:
 *   - the AK the registry holds for the host (its enrollment), never
 *     one the evidence carries;
 *   - the nonce the service chose (pull: sched.c; push: a nonce from
 *     GET /v1/nonce, already consumed, push.c);
 *   - the policy assigned to the host (its own, else its group's), at
 *     its latest version, parsed by the one strict parser
 *     (hg_policy_parse), cached by "NAME@VERSION" (a version's text
 *     never changes: registry_policy.c).
 * The verdict is check's verdict with "hostname" and the policy's
 * "NAME@VERSION" added: exit 0 is trusted, anything else untrusted
 * (an invalid evidence bundle is no reason to trust a host either).
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/ear.h"
#include "../../lib/tpmpub.h"
#include "../../lib/util.h"
#include "../policy.h"
#include "../verify.h"

struct hv_polcache_ent {
	char id[2 * HV_HOST_NAME_MAX + 24];
	struct hg_policy pol;
	uint64_t used;
	int valid;
};

static uint64_t polcache_clock;

void hv_svc_polcache_free(struct hv_svc *s)
{
	if (!s->polcache)
		return;
	for (int i = 0; i < HV_SVC_POLCACHE; i++)
		if (s->polcache[i].valid)
			hg_policy_free(&s->polcache[i].pol);
	free(s->polcache);
	s->polcache = NULL;
}

/* The parsed policy for REC, from the cache or parsed now (the least
 * recently used entry goes). NULL with WHY when it does not parse: a
 * stored text was parsed at `policy add`, so this is a damaged row. */
static const struct hg_policy *policy_for(struct hv_svc *s,
					  const struct hv_policy_rec *rec,
					  const char *id, char *why, size_t n)
{
	struct hv_polcache_ent *e = NULL;
	char name[sizeof(e->id) + 16];

	if (!s->polcache &&
	    !(s->polcache = calloc(HV_SVC_POLCACHE, sizeof(*s->polcache)))) {
		snprintf(why, n, "out of memory");
		return NULL;
	}
	for (int i = 0; i < HV_SVC_POLCACHE; i++) {
		struct hv_polcache_ent *c = &s->polcache[i];

		if (c->valid && !strcmp(c->id, id)) {
			c->used = ++polcache_clock;
			return &c->pol;
		}
		if (!e || !c->valid || (e->valid && c->used < e->used))
			e = c;
	}
	if (e->valid)
		hg_policy_free(&e->pol);
	e->valid = 0;
	snprintf(name, sizeof(name), "policy %s", id);
	if (hg_policy_parse(name, rec->text, rec->text_len, &e->pol) < 0) {
		snprintf(why, n, "stored policy %s does not parse", id);
		return NULL;
	}
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->used = ++polcache_clock;
	e->valid = 1;
	return &e->pol;
}

const struct hg_policy *hv_svc_policy(struct hv_svc *s, const struct hv_policy_rec *rec,
				      const char *id, char *why, size_t n)
{
	return policy_for(s, rec, id, why, n);
}

void hv_svc_verdict_free(struct hv_svc_verdict *v)
{
	if (!v)
		return;
	json_object_put(v->verdict);
	memset(v, 0, sizeof(*v));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int hv_svc_judge(struct hv_svc *s, const char *host, const uint8_t *nonce,
		 size_t nonce_len, const uint8_t *ev, size_t ev_len,
		 struct hv_svc_verdict *v, char *why, size_t whylen)
{
	return hv_svc_judge_scoped(s, host, nonce, nonce_len, ev, ev_len, NULL, 0,
				   v, why, whylen);
}

int hv_svc_judge_scoped(struct hv_svc *s, const char *host, const uint8_t *nonce,
			size_t nonce_len, const uint8_t *ev, size_t ev_len,
			const struct hv_workload *wl, size_t nwl,
			struct hv_svc_verdict *v, char *why, size_t whylen)
{
	struct hg_ear_scope scope[HV_SVC_MAX_SCOPE];
	struct hv_host h = { 0 };
	struct hv_policy_rec rec = { 0 };
	struct hg_ak ak = { 0 };
	struct hv_result *res = NULL;
	struct hv_inputs in = { 0 };
	struct hg_ear_collect col = { 0 };
	const struct hg_policy *pol;
	const char *akwhy;
	double t0;
	int r, ret = -1;

	memset(v, 0, sizeof(*v));
	if ((r = hv_reg_host_get(s->reg, host, &h)) <= 0) {
		snprintf(why, whylen, r < 0 ? "registry error" :
			 "no such host enrolled");
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
	snprintf(v->policy, sizeof(v->policy), "%s@%lld", rec.name,
		 (long long)rec.version);
	if (!(pol = policy_for(s, &rec, v->policy, why, whylen)))
		goto out;
	if (!(res = calloc(1, sizeof(*res)))) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	in.evidence = ev;
	in.evidence_len = ev_len;
	in.ak = &ak;
	in.nonce = nonce;
	in.nonce_len = nonce_len;
	in.policy = pol;
	in.host = host;
	in.want_json = 1;
	/* A scope judges those workloads only, as check --workload does,
	 * and the EAR's digests are theirs (push.c, the gate's remote mode). */
	if (nwl > HV_SVC_MAX_SCOPE) {
		snprintf(why, whylen, "more than %d workloads", HV_SVC_MAX_SCOPE);
		goto out;
	}
	for (size_t i = 0; i < nwl; i++) {
		scope[i].kind = wl[i].kind;
		scope[i].name = wl[i].name;
	}
	in.workloads = nwl ? wl : NULL;
	in.nworkloads = nwl;
	col.scope = nwl ? scope : NULL;
	col.nscope = nwl;
	/* The measured records, for the verdict's "measured" list and the
	 * EAR's digests: only kept when the log and replay checks passed. */
	in.on_record = hg_ear_collect_record;
	in.arg = &col;
	t0 = now_s();
	v->exit = hv_verify(&in, res);
	v->seconds = now_s() - t0;
	v->state = v->exit == 0 ? HV_STATE_TRUSTED : HV_STATE_UNTRUSTED;
	v->failures = (uint32_t)res->nfailures;
	v->verdict = res->verdict;
	res->verdict = NULL;
	if (!v->verdict) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	json_object_object_add(v->verdict, "policy",
			       json_object_new_string(v->policy));
	/* Beyond HG_EAR_MAX_DIGESTS the verdict goes without the list (an
	 * EAR made from it then vouches for no digest). */
	hg_ear_verdict_add_measured(v->verdict, &col);
	ret = 0;
out:
	if (ret < 0)
		hv_svc_verdict_free(v);
	if (res)
		hv_result_free(res);
	free(res);
	hg_ear_collect_free(&col);
	hg_ak_free(&ak);
	hv_policy_rec_free(&rec);
	hv_host_free(&h);
	return ret;
}
