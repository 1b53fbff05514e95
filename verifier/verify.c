/* verify.c: see verify.h. */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/util.h"
#include "fwjudge.h"
#include "showuefi.h"
#include "verify_int.h"

static const char *const check_names[HV_NCHECKS] = {
	[HV_DECODE] = "decode", [HV_AK] = "ak", [HV_SIGNATURE] = "signature",
	[HV_ATTEST] = "attest", [HV_NONCE] = "nonce",
	[HV_PCR_DIGEST] = "pcr-digest", [HV_BANKS] = "banks",
	[HV_SELECTION] = "selection", [HV_LOG] = "log",
	[HV_REPLAY] = "replay", [HV_FIRMWARE] = "firmware", [HV_PCRS] = "pcrs",
	[HV_POLICY] = "policy",
};

const char *hv_check_name(enum hv_check c)
{
	return c < HV_NCHECKS ? check_names[c] : "?";
}

/* How far the log streams between two on_consumed calls. */
#define HV_CONSUMED_STEP (64u << 10)

json_object *hv_vr_hexj(const uint8_t *p, size_t n)
{
	char buf[2 * HG_MAX_DIGEST + 1];

	if (n > HG_MAX_DIGEST) {
		char *big = malloc(2 * n + 1);
		json_object *o;

		if (!big)
			return NULL;
		hg_hex_encode(p, n, big);
		o = json_object_new_string(big);
		free(big);
		return o;
	}
	hg_hex_encode(p, n, buf);
	return json_object_new_string(buf);
}

const char *hv_vr_bank_name(uint16_t alg)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);

	return b ? b->name : "?";
}

void hv_vr_pass(struct run *r, enum hv_check c)
{
	if (r->state[c] == 0)
		r->state[c] = 1;
}

void hv_vr_failj(struct run *r, enum hv_check c, json_object *failure,
		  const char *fmt, ...)
{
	struct hv_result *res = r->res;
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->state[c] = -1;
	if (res->first_failed == HV_NCHECKS) {
		res->first_failed = c;
		snprintf(res->why, sizeof(res->why), "%s", why);
	}
	res->nfailures++;
	if (!r->failures || res->nfailures > HV_MAX_LISTED_FAILURES) {
		json_object_put(failure);
		return;
	}
	if (!failure)
		failure = json_object_new_object();
	json_object_object_add(failure, "check", json_object_new_string(check_names[c]));
	json_object_object_add(failure, "reason", json_object_new_string(why));
	json_object_array_add(r->failures, failure);
}


int hv_vr_quoted(const struct hg_pcr_sel *sel, uint16_t alg, unsigned pcr)
{
	for (size_t i = 0; i < sel->n; i++)
		if (sel->b[i].alg == alg)
			return !!(sel->b[i].mask & (1u << pcr));
	return 0;
}

/* A bank listed with no PCR selected (a TPM clears the bits of a bank it
 * has not allocated) vouches for nothing: it is not quoted. */
static int bank_quoted(const struct hg_pcr_sel *sel, uint16_t alg)
{
	for (size_t i = 0; i < sel->n; i++)
		if (sel->b[i].alg == alg)
			return sel->b[i].mask != 0;
	return 0;
}

/* No bank downgrade: the host measures into every active bank, so every
 * bank the (verified) log carries digests in must be quoted, the hostgate
 * PCR in it. The policy's banks say which banks may be judged, never
 * which may be dropped: a quote of sha1 alone, from a host whose log also
 * carries sha256, would make sha1 collisions the only thing to beat. */
static int check_downgrade(struct run *r, const struct hg_digests *logbanks)
{
	const struct hg_pcr_sel *sel = &r->res->quote.sel;
	uint32_t pcr = r->in->policy ? r->in->policy->pcr : HG_NUM_PCRS;

	for (size_t i = 0; i < logbanks->n; i++) {
		uint16_t alg = logbanks->v[i].alg;

		if (!bank_quoted(sel, alg)) {
			FAIL(r, HV_BANKS, "the quote omits bank %s, in which the hostgate log carries digests (a bank downgrade)",
			     hv_vr_bank_name(alg));
			return -1;
		}
		if (pcr < HG_NUM_PCRS && !hv_vr_quoted(sel, alg, pcr)) {
			FAIL(r, HV_SELECTION, "quote does not cover the hostgate PCR %u in %s, a bank the hostgate log carries",
			     pcr, hv_vr_bank_name(alg));
			return -1;
		}
	}
	return 0;
}

/* The quote part: decode .. pcr-digest. 0 when all passed. */
static int check_quote(struct run *r)
{
	const struct hv_inputs *in = r->in;
	struct hv_result *res = r->res;
	const struct hg_ak *ak = in->ak;
	const char *why;
	int rc;

	if (hg_evidence_decode(in->evidence, in->evidence_len, &res->ev, &why) < 0) {
		FAIL(r, HV_DECODE, "%s", why);
		return -1;
	}
	hv_vr_pass(r, HV_DECODE);
	if (!ak) {
		/* learn: trust on first use of the evidence's own AK. */
		if (hg_ak_decode(res->ev.ak, res->ev.ak_len, &res->own_ak, &why) < 0) {
			FAIL(r, HV_AK, "evidence AK: %s", why);
			return -1;
		}
		ak = &res->own_ak;
	} else {
		uint8_t name[2 + HG_MAX_DIGEST];
		size_t name_len;

		/* The signature check below is what matters; this names the
		 * usual cause of its failure plainly. Only the Name is needed:
		 * building a second key would cost a third of a check. */
		if (hg_ak_name(res->ev.ak, res->ev.ak_len, name, &name_len, &why) < 0) {
			FAIL(r, HV_AK, "evidence AK: %s", why);
			return -1;
		}
		if (name_len != ak->name_len || memcmp(name, ak->name, name_len)) {
			FAIL(r, HV_AK, "evidence was made with another AK than --ak");
			return -1;
		}
	}
	hv_vr_pass(r, HV_AK);
	rc = hg_quote_verify(ak, res->ev.attest, res->ev.attest_len, res->ev.sig,
			     res->ev.sig_len,
			     in->nonce ? in->nonce : res->ev.nonce,
			     in->nonce ? in->nonce_len : res->ev.nonce_len,
			     &res->ev.pcrs, &res->quote);
	if (rc < 0) {
		static const enum hv_check map[] = {
			[QC_SIGNATURE] = HV_SIGNATURE, [QC_ATTEST] = HV_ATTEST,
			[QC_NONCE] = HV_NONCE, [QC_PCR_DIGEST] = HV_PCR_DIGEST,
		};

		for (enum hv_check c = HV_SIGNATURE; c < map[res->quote.failed]; c++)
			hv_vr_pass(r, c);
		FAIL(r, map[res->quote.failed], "%s", res->quote.why);
		return -1;
	}
	hv_vr_pass(r, HV_SIGNATURE);
	hv_vr_pass(r, HV_ATTEST);
	hv_vr_pass(r, HV_NONCE);
	hv_vr_pass(r, HV_PCR_DIGEST);
	return 0;
}

/* banks and selection: what the policy judges must be quoted. */
static int check_coverage(struct run *r)
{
	const struct hg_policy *p = r->in->policy;
	const struct hg_pcr_sel *sel = &r->res->quote.sel;
	int any = 0;

	if (!p) {
		hv_vr_pass(r, HV_BANKS);
		hv_vr_pass(r, HV_SELECTION);
		return 0;
	}
	for (size_t i = 0; i < p->nbanks; i++)
		any |= bank_quoted(sel, p->banks[i]);
	if (!any) {
		char have[64] = "", want[64] = "";

		for (size_t i = 0; i < sel->n; i++)
			snprintf(have + strlen(have), sizeof(have) - strlen(have),
				 "%s%s", i ? "," : "", hv_vr_bank_name(sel->b[i].alg));
		for (size_t i = 0; i < p->nbanks; i++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want),
				 "%s%s", i ? "," : "", hv_vr_bank_name(p->banks[i]));
		FAIL(r, HV_BANKS, "quote covers banks %s; policy accepts only %s", have, want);
		return -1;
	}
	hv_vr_pass(r, HV_BANKS);
	for (size_t i = 0; i < p->nbanks; i++) {
		if (bank_quoted(sel, p->banks[i]) && !hv_vr_quoted(sel, p->banks[i], p->pcr)) {
			FAIL(r, HV_SELECTION, "quote does not cover the hostgate PCR %u in %s",
			     p->pcr, hv_vr_bank_name(p->banks[i]));
			return -1;
		}
	}
	for (size_t i = 0; i < p->pcrs.n; i++) {
		const struct hg_pcr_value *v = &p->pcrs.v[i];

		if (!hv_vr_quoted(sel, v->alg, v->pcr)) {
			FAIL(r, HV_SELECTION, "quote does not cover PCR %u in %s, which the policy judges",
			     v->pcr, hv_vr_bank_name(v->alg));
			return -1;
		}
	}
	hv_vr_pass(r, HV_SELECTION);
	return 0;
}

/* The judge's failures count once log and replay have passed. */
static void commit_judge(struct run *r, struct hv_judge *j)
{
	struct hv_result *res = r->res;

	if (j->n == 0) {
		hv_vr_pass(r, HV_POLICY);
		return;
	}
	r->state[HV_POLICY] = -1;
	if (res->first_failed == HV_NCHECKS) {
		res->first_failed = HV_POLICY;
		snprintf(res->why, sizeof(res->why), "%s", j->first_why);
	}
	for (size_t i = 0; r->failures && j->fails &&
			   i < json_object_array_length(j->fails); i++) {
		if (res->nfailures + i >= HV_MAX_LISTED_FAILURES)
			break;
		json_object_array_add(r->failures,
				      json_object_get(json_object_array_get_idx(j->fails, i)));
	}
	res->nfailures += j->n;
}

/* Start an iterator over the evidence's log: from record 0, or where the
 * resumed state ends (incr.h: only a state this verifier kept anchors a
 * partial log). 0, or -1 when the log cannot start there (REASON set). */
static int log_iter_start(struct run *r, struct hg_log_iter *it, char *why, size_t n)
{
	const struct hv_inputs *in = r->in;
	const struct hg_evidence *ev = &r->res->ev;

	if (!in->resume) {
		hg_log_iter_init(it, ev->log, ev->log_len);
		if (ev->log_first == 0)
			return 0;
		snprintf(why, n, "log does not start at record 0 and no matching state");
		return -1;
	}
	if (hg_log_iter_init_resume(it, ev->log, ev->log_len, in->resume->next,
				    in->resume->log_key, &in->resume->banks) < 0 ||
	    ev->log_first != in->resume->next) {
		snprintf(why, n, "log does not start at record %llu, where the state resumes",
			 (unsigned long long)in->resume->next);
		return -1;
	}
	return 0;
}

/* The PCRs whose records the quote binds (docs/log-format.md "What the
 * signatures are for"): PCR p, extended by the log, such that in every
 * bank the log carries digests in, the quote covers p and its quoted
 * value equals the replay. Each record's extended digest is the hash of
 * its content (cel.h "Binding"), and the replay chains them in order, so
 * a quoted value the replay reproduces pins every record on p: recnum
 * (its position), pcr, digests and content, all its signed payload holds.
 * A record on any other PCR (a bank left unquoted, a value the replay
 * does not reach, a pending record) is bound by nothing but its
 * signature. Computed from the comparisons themselves, not from which
 * checks passed, so a later change to those checks cannot widen it. */
static uint32_t bound_pcrs(const struct run *r, const struct hg_replay *rp,
			   const struct hg_digests *logbanks)
{
	const struct hg_pcr_sel *sel = &r->res->quote.sel;
	uint32_t bound = rp->touched;

	if (logbanks->n == 0)
		return 0;
	for (size_t i = 0; i < logbanks->n; i++) {
		uint16_t alg = logbanks->v[i].alg;

		for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
			const struct hg_pcr_value *qv;
			const struct hg_digest *d;

			if (!(bound & (1u << p)))
				continue;
			qv = hv_vr_quoted(sel, alg, p) ? hg_pcr_values_get(&r->res->ev.pcrs, alg, p) : NULL;
			d = hg_replay_get(rp, p, alg);
			if (!qv || !d || qv->len != d->len || memcmp(qv->d, d->d, d->len))
				bound &= ~(1u << p);
		}
	}
	return bound;
}

/* The second pass, only when some PCR's records are not bound: their
 * signatures, under the key record 0 pinned (itself verified when its PCR
 * is not bound: the proof of possession). 0, or -1 with the failure. */
static int check_unbound_sigs(struct run *r, uint32_t unbound)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	char why[96];
	int rc;

	if (log_iter_start(r, &it, why, sizeof(why)) < 0) {
		hg_log_iter_free(&it);
		return 0;	/* the first pass said why */
	}
	hg_log_iter_sig_pcrs(&it, unbound);
	while ((rc = hg_log_iter_next(&it, &rec)) == 1)
		;
	if (rc < 0)
		FAIL(r, HV_LOG, "record %ld (offset %zu): %s", it.err.record, it.err.offset,
		     it.err.msg);
	hg_log_iter_free(&it);
	return rc < 0 ? -1 : 0;
}

/* log + replay (+ policy judgement of each record as it streams by).
 * One pass, no signature checked (unless in->verify_log_signatures):
 * then the signatures of the records the quote does not bind. */
static int check_log(struct run *r, struct hv_judge *j)
{
	const struct hv_inputs *in = r->in;
	struct hv_result *res = r->res;
	const struct hg_pcr_sel *sel = &res->quote.sel;
	struct hg_log_iter it;
	struct hg_log_rec rec;
	struct hg_replay rp;
	/* The last record's PCR before it was extended, per bank (for the
	 * "pending" diagnosis; copying the whole replay per record was a
	 * twentieth of a check). */
	struct hg_digest last_prev[HG_MAX_BANKS];
	uint32_t last_pcr = HG_NUM_PCRS;
	size_t consumed = 0;
	uint32_t pcr = in->policy ? in->policy->pcr : HG_NUM_PCRS;
	uint64_t start = in->resume ? in->resume->next : 0;
	char why[96];
	uint32_t unbound;
	size_t total;
	int rc, ret = -1;

	memset(&rp, 0, sizeof(rp));
	if (in->resume)
		rp = in->resume->replay;
	if (log_iter_start(r, &it, why, sizeof(why)) < 0) {
		FAIL(r, HV_LOG, "%s", why);
		goto out;
	}
	if (!in->verify_log_signatures)
		hg_log_iter_sig_pcrs(&it, 0);
	while ((rc = hg_log_iter_next(&it, &rec)) == 1) {
		if (rec.cel.recnum == 0)
			hg_replay_init(&rp, &rec.cel.digests);
		last_pcr = rec.cel.pcr;
		for (size_t b = 0; b < rp.nbanks && last_pcr < HG_NUM_PCRS; b++)
			last_prev[b] = rp.v[last_pcr][b];
		hg_replay_add(&rp, &rec.cel);
		if (in->policy)
			hv_judge_record(j, &rec.cel);
		if (in->on_record)
			in->on_record(in->arg, &rec.cel);
		if (in->on_consumed && it.off - consumed >= HV_CONSUMED_STEP) {
			consumed = it.off;
			in->on_consumed(in->consumed_arg, res->ev.log + it.off);
		}
	}
	total = (size_t)start + it.n;
	res->records = total;
	if (rc < 0) {
		if (it.err.record >= 0)
			FAIL(r, HV_LOG, "record %ld (offset %zu): %s", it.err.record,
			     it.err.offset, it.err.msg);
		else
			FAIL(r, HV_LOG, "%s", it.err.msg);
		goto out;
	}
	/* Records the quote does not bind must carry a good signature: an
	 * unbound record fails the replay or the banks check below anyway,
	 * but a bad signature says which record was forged (exit 3). */
	unbound = rp.touched & ~bound_pcrs(r, &rp, &it.banks);
	if (total > 0 && unbound && !in->verify_log_signatures &&
	    check_unbound_sigs(r, unbound) < 0)
		goto out;
	hv_vr_pass(r, HV_LOG);
	res->log_pcrs = rp.touched;
	if (total > 0 && check_downgrade(r, &it.banks) < 0)
		goto out;
	/* Every quoted value of a PCR the log extends (and of the hostgate
	 * PCR even when the log is empty) must equal the replay. */
	for (size_t b = 0; b < sel->n; b++) {
		uint16_t alg = sel->b[b].alg;

		for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
			const struct hg_pcr_value *qv;
			const struct hg_digest *d;
			struct hg_digest zero;

			if (!(rp.touched & (1u << p)) && p != pcr)
				continue;
			if (!(sel->b[b].mask & (1u << p))) {
				if (rp.touched & (1u << p)) {
					FAIL(r, HV_REPLAY, "log extends PCR %u, which the quote does not cover in %s",
					     p, hv_vr_bank_name(alg));
					goto out;
				}
				continue;
			}
			qv = hg_pcr_values_get(&res->ev.pcrs, alg, p);
			if (total == 0) {
				hg_pcr_reset(alg, &zero);
				d = &zero;
			} else if (!(d = hg_replay_get(&rp, p, alg))) {
				FAIL(r, HV_REPLAY, "log has no %s digests but the quote covers %s PCR %u",
				     hv_vr_bank_name(alg), hv_vr_bank_name(alg), p);
				goto out;
			}
			if (!qv || memcmp(qv->d, d->d, d->len)) {
				const struct hg_digest *prev = NULL;

				for (size_t k = 0; it.n && p == last_pcr && k < rp.nbanks; k++)
					if (rp.algs[k] == alg)
						prev = &last_prev[k];

				if (prev && qv && !memcmp(qv->d, prev->d, prev->len))
					FAIL(r, HV_REPLAY, "PCR %u %s: record %zu is pending (logged, not yet extended: a measure crashed or is in flight)",
					     p, hv_vr_bank_name(alg), total - 1);
				else if (total == 0)
					FAIL(r, HV_REPLAY, "PCR %u %s was extended but the log is empty",
					     p, hv_vr_bank_name(alg));
				else
					FAIL(r, HV_REPLAY, "PCR %u %s: the log replays to a value the quote does not hold",
					     p, hv_vr_bank_name(alg));
				goto out;
			}
		}
	}
	hv_vr_pass(r, HV_REPLAY);
	ret = 0;
out:
	hg_log_iter_free(&it);
	return ret;
}

/* fwjudge.h's failures go to the policy check's list. */
static void add_fw_failure(void *arg, json_object *failure, const char *reason)
{
	struct hv_judge *j = arg;

	if (j->n++ == 0)
		snprintf(j->first_why, sizeof(j->first_why), "%s", reason);
	if (!j->fails) {
		json_object_put(failure);
		return;
	}
	if (!failure)
		failure = json_object_new_object();
	json_object_object_add(failure, "check", json_object_new_string("policy"));
	json_object_object_add(failure, "reason", json_object_new_string(reason));
	json_object_array_add(j->fails, failure);
}

static void check_pcrs_and_policy(struct run *r, struct hv_judge *j)
{
	const struct hg_policy *p = r->in->policy;

	if (!p) {
		hv_vr_pass(r, HV_PCRS);
		hv_vr_pass(r, HV_POLICY);
		return;
	}
	for (size_t i = 0; i < p->pcrs.n; i++) {
		const struct hg_pcr_value *want = &p->pcrs.v[i];
		const struct hg_pcr_value *got =
			hg_pcr_values_get(&r->res->ev.pcrs, want->alg, want->pcr);

		if (!got || memcmp(got->d, want->d, want->len)) {
			json_object *f = NULL;

			if (r->failures) {
				f = json_object_new_object();
				json_object_object_add(f, "pcr", json_object_new_int(want->pcr));
				json_object_object_add(f, "bank", json_object_new_string(hv_vr_bank_name(want->alg)));
				json_object_object_add(f, "value", got ? hv_vr_hexj(got->d, got->len) : NULL);
				json_object_object_add(f, "allowed", hv_vr_hexj(want->d, want->len));
			}
			hv_vr_failj(r, HV_PCRS, f, "PCR %u %s differs from the policy", want->pcr,
			      hv_vr_bank_name(want->alg));
		}
	}
	hv_vr_pass(r, HV_PCRS);
	hv_judge_finish(j);
	hv_judge_firmware(p, r->res->fw_replayed ? &r->res->fw_facts : NULL,
			  r->failures != NULL, add_fw_failure, j);
	commit_judge(r, j);
}

/* What the verdict is about: when, which host, which AK, which nonce.
 * The AK Name only once the ak check passed (before, no AK is known to
 * be the one the quote is held to). */
static void add_identity(struct run *r, json_object *v)
{
	const struct hv_inputs *in = r->in;
	const struct hv_result *res = r->res;
	const struct hg_ak *ak = in->ak ? in->ak : res->own_ak.key ? &res->own_ak : NULL;
	const uint8_t *nonce = in->nonce ? in->nonce : res->ev.nonce;
	size_t nonce_len = in->nonce ? in->nonce_len : res->ev.nonce_len;
	char when[32];
	struct tm tm;
	time_t now = time(NULL);

	if (gmtime_r(&now, &tm) && strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		json_object_object_add(v, "checked_at", json_object_new_string(when));
	if (in->host)
		json_object_object_add(v, "hostname", json_object_new_string(in->host));
	if (ak && r->state[HV_AK] > 0)
		json_object_object_add(v, "ak_name", hv_vr_hexj(ak->name, ak->name_len));
	if (nonce)
		json_object_object_add(v, "nonce", hv_vr_hexj(nonce, nonce_len));
}

static void build_verdict(struct run *r)
{
	struct hv_result *res = r->res;
	json_object *v = json_object_new_object(), *checks = json_object_new_array();
	const char *verdict = res->exit == 0 ? "trusted" : res->exit == 1 ? "untrusted" : "invalid";

	json_object_object_add(v, "version", json_object_new_int(HV_VERDICT_VERSION));
	json_object_object_add(v, "verdict", json_object_new_string(verdict));
	add_identity(r, v);
	for (int c = 0; c < HV_NCHECKS; c++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "check", json_object_new_string(check_names[c]));
		json_object_object_add(o, "result", json_object_new_string(
			r->state[c] > 0 ? "pass" : r->state[c] < 0 ? "fail" : "skip"));
		json_object_array_add(checks, o);
	}
	json_object_object_add(v, "checks", checks);
	json_object_object_add(v, "failures", r->failures);
	if (res->nfailures > HV_MAX_LISTED_FAILURES)
		json_object_object_add(v, "failures_total", json_object_new_uint64(res->nfailures));
	r->failures = NULL;
	if (r->state[HV_PCR_DIGEST] > 0) {
		json_object *h = json_object_new_object(), *banks = json_object_new_array();
		const TPMS_ATTEST *a = &res->quote.attest;

		for (size_t i = 0; i < res->quote.sel.n; i++)
			json_object_array_add(banks, json_object_new_string(hv_vr_bank_name(res->quote.sel.b[i].alg)));
		json_object_object_add(h, "banks", banks);
		json_object_object_add(h, "records", json_object_new_uint64(res->records));
		json_object_object_add(h, "clock", json_object_new_uint64(a->clockInfo.clock));
		json_object_object_add(h, "reset_count", json_object_new_uint64(a->clockInfo.resetCount));
		json_object_object_add(h, "restart_count", json_object_new_uint64(a->clockInfo.restartCount));
		json_object_object_add(h, "firmware_version", json_object_new_uint64(a->firmwareVersion));
		json_object_object_add(v, "host", h);
	}
	if (res->fw_replayed) {
		json_object *fw = hv_uefi_facts_json(&res->fw_facts);

		if (fw) {
			json_object_object_add(fw, "startup_locality",
					       json_object_new_int((int)res->fw_replay.startup_locality));
			json_object_object_add(fw, "events", json_object_new_uint64(res->fw_replay.events));
			/* An opt-in workaround is named whenever it was used. */
			json_object_object_add(fw, "ebs_workaround",
					       json_object_new_boolean(res->fw_replay.ebs_appended));
			json_object_object_add(v, "firmware", fw);
		}
	}
	res->verdict = v;
}

int hv_verify(const struct hv_inputs *in, struct hv_result *res)
{
	struct run r = { .in = in, .res = res };
	struct hv_judge j;

	memset(res, 0, sizeof(*res));
	memset(&j, 0, sizeof(j));
	res->first_failed = HV_NCHECKS;
	if (in->want_json)
		r.failures = json_object_new_array();
	if (in->policy && hv_judge_init(&j, in->policy, in->workloads,
					in->nworkloads, in->want_json) < 0) {
		FAIL(&r, HV_POLICY, "out of memory");
		goto done;
	}
	if (in->policy && in->resume && in->resume->seed)
		in->resume->seed(in->resume->seed_arg, &j);
	if (check_quote(&r) < 0 || check_coverage(&r) < 0 || check_log(&r, &j) < 0 ||
	    hv_vr_check_firmware(&r) < 0)
		goto done;
	check_pcrs_and_policy(&r, &j);
done:
	switch (res->first_failed) {
	case HV_NCHECKS:
		res->exit = 0;
		break;
	case HV_BANKS: case HV_SELECTION: case HV_PCRS: case HV_POLICY:
		res->exit = 1;
		break;
	default:
		res->exit = 3;
	}
	if (in->want_json)
		build_verdict(&r);
	json_object_put(r.failures);
	hv_judge_free(&j);
	return res->exit;
}

void hv_result_free(struct hv_result *res)
{
	json_object_put(res->verdict);
	hg_uefi_facts_free(&res->fw_facts);
	hg_ak_free(&res->own_ak);
	res->verdict = NULL;
}
