/* incr.c: incremental verification, the pipeline (incr.h). The state's
 * codec is incrstate.c. */
#include "incr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "../lib/evidence.h"
#include "../lib/util.h"

/* ---- the records the judge needs again (incr.h) ---- */

struct kept {
	uint64_t recnum;
	const char *name;
	const uint8_t *content;
	uint32_t name_len;
	uint32_t content_len;
	uint8_t kind;
};

struct keptv {
	struct kept *v;
	size_t n, cap;
};

struct collect {
	const struct hg_policy *policy;
	struct hv_judge shadow;        /* host records alone, no JSON */
	int shadow_ok;
	struct keptv host;             /* host kinds and other types, in order */
	struct keptv wl;               /* workload records (compacted) */
	int other;                     /* a record of another content type */
	int compacted;                 /* superseded workload records dropped */
	int overflow, oom;
	const uint8_t *log_key;        /* record 0's, when it streamed by */
	size_t log_key_len;
	struct hg_digests banks;
	hv_record_fn chain;            /* the caller's on_record */
	void *chain_arg;
};

static int push(struct keptv *kv, const struct hg_cel_rec *rec)
{
	struct kept *k;

	if (kv->n == kv->cap) {
		size_t ncap = kv->cap ? 2 * kv->cap : 64;
		struct kept *nv = realloc(kv->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		kv->v = nv;
		kv->cap = ncap;
	}
	k = &kv->v[kv->n++];
	k->recnum = rec->recnum;
	k->name = rec->name;
	k->name_len = (uint32_t)rec->name_len;
	k->content = rec->content;
	k->content_len = (uint32_t)rec->content_len;
	k->kind = (uint8_t)rec->kind;
	return 0;
}

/* (name, recnum): a name's latest record comes last. Keyed by name
 * alone, as the judge is (judge.h: a path names one file, of one kind). */
static int cmp_wl(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;
	size_t l = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c;

	if ((c = memcmp(x->name, y->name, l)))
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return x->recnum < y->recnum ? -1 : x->recnum > y->recnum;
}

static int cmp_recnum(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	return x->recnum < y->recnum ? -1 : x->recnum > y->recnum;
}

/* Keep the latest record of each name. */
static void wl_compact(struct keptv *kv)
{
	size_t out = 0;

	if (kv->n == 0)
		return;
	qsort(kv->v, kv->n, sizeof(*kv->v), cmp_wl);
	for (size_t i = 0; i < kv->n; i++) {
		const struct kept *a = &kv->v[i], *b = &kv->v[i + 1];

		if (i + 1 < kv->n && a->name_len == b->name_len &&
		    !memcmp(a->name, b->name, a->name_len))
			continue;
		kv->v[out++] = *a;
	}
	kv->n = out;
}

static void collect_add(struct collect *c, const struct hg_cel_rec *rec)
{
	const struct hg_policy_entry *e;
	int keep;
	size_t n0;

	if (c->overflow || c->oom)
		return;
	if (rec->type == HG_CT_LOG_KEY) {
		/* Only record 0 can be one (hglog.h rule 6). */
		c->log_key = rec->key;
		c->log_key_len = rec->key_len;
		c->banks = rec->digests;
		return;
	}
	if (rec->type == HG_CT_FILE && hg_kind_is_workload(rec->kind)) {
		/* Compacting when full keeps the vector within twice the
		 * distinct names, as judge.c's table. */
		if (c->wl.n == c->wl.cap && c->wl.n && !c->other) {
			wl_compact(&c->wl);
			c->compacted = 1;
			if (c->wl.n > HV_MAX_WORKLOADS) {
				c->overflow = 1;
				return;
			}
		}
		if (c->wl.n >= HV_INCR_MAX_KEPT)
			c->overflow = 1;
		else if (push(&c->wl, rec) < 0)
			c->oom = 1;
		return;
	}
	/* A record of another type may speak of earlier records by number
	 * (a VM's launch record of the config and images it started from):
	 * from then on no workload record is dropped, and a summary that
	 * already dropped some cannot be made (incr.h). */
	if (rec->type != HG_CT_FILE)
		c->other = 1;
	keep = 1;
	if (rec->type == HG_CT_FILE) {
		/* A host record matters to later judgements if it failed
		 * (listed again) or is the first to name its entry
		 * ("required"); judge.c has no other effect of one. */
		e = hg_policy_find(c->policy, rec->kind, rec->name, rec->name_len);
		keep = e && !c->shadow.seen[e - c->policy->entries];
		n0 = c->shadow.n;
		hv_judge_record(&c->shadow, rec);
		keep |= c->shadow.n != n0;
	}
	if (!keep)
		return;
	if (c->host.n >= HV_INCR_MAX_KEPT)
		c->overflow = 1;
	else if (push(&c->host, rec) < 0)
		c->oom = 1;
}

static void on_record(void *arg, const struct hg_cel_rec *rec)
{
	struct collect *c = arg;

	collect_add(c, rec);
	if (c->chain)
		c->chain(c->chain_arg, rec);
}

struct seed_ctx {
	const struct hv_incr_state *prev;
	struct collect *c;
};

/* The kept records, to the judge and to the next state, before the new
 * ones. Their contents decoded when the state did (incrstate.c). */
static void seed(void *arg, struct hv_judge *j)
{
	struct seed_ctx *s = arg;

	for (size_t i = 0; i < s->prev->nrecs; i++) {
		const struct hv_incr_rec *r = &s->prev->recs[i];
		struct hg_cel_rec rec;
		const char *why;

		if (hg_cel_decode_content(r->content, r->content_len, &rec, &why) < 0) {
			s->c->oom = 1;   /* cannot happen: no state from this */
			continue;
		}
		rec.recnum = r->recnum;
		hv_judge_record(j, &rec);
		collect_add(s->c, &rec);
		/* A judge layered on top (judgevm.h's hv_vms_record) sees
		 * what the state kept as well: incr.h. */
		if (s->c->chain)
			s->c->chain(s->c->chain_arg, &rec);
	}
}

/* ---- resuming ---- */

static int ak_name_of(const struct hg_evidence *ev, uint8_t *name, size_t *len)
{
	const char *why;

	return hg_ak_name(ev->ak, ev->ak_len, name, len, &why);
}

/* Why PREV cannot resume EV, or NULL when it can. Reads the attest's
 * clockInfo unverified: this only routes; hv_verify checks the signature
 * over those very bytes, and the result is checked again afterwards. */
static const char *mismatch(const struct hv_incr_state *prev, const struct hv_inputs *in,
			    const struct hg_evidence *ev, const uint8_t pol[32],
			    char *buf, size_t n)
{
	uint8_t name[2 + HG_MAX_DIGEST];
	size_t name_len = 0, off = 0;
	TPMS_ATTEST a;
	char was[HG_BOOT_ID_LEN + 1], now[HG_BOOT_ID_LEN + 1];
	struct hg_boot_id boot;

	if (!in->ak || in->ak->name_len != prev->ak_name_len ||
	    memcmp(in->ak->name, prev->ak_name, prev->ak_name_len))
		return "AK changed: the state was made under another AK than this check's";
	if (ak_name_of(ev, name, &name_len) < 0 || name_len != prev->ak_name_len ||
	    memcmp(name, prev->ak_name, name_len))
		return "AK changed: the evidence was made with another AK than the state's";
	memset(&a, 0, sizeof(a));
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(ev->attest, ev->attest_len, &off, &a) != 0)
		return "the quote's attest does not decode";
	boot.reset_count = a.clockInfo.resetCount;
	boot.restart_count = a.clockInfo.restartCount;
	if (!hg_boot_id_equal(&boot, &prev->boot)) {
		hg_boot_id_format(&prev->boot, was);
		hg_boot_id_format(&boot, now);
		snprintf(buf, n, "reboot: the quote's boot is %s, the state's %s (TPM resetCount, restartCount)",
			 now, was);
		return buf;
	}
	if (memcmp(pol, prev->policy_sha256, 32))
		return "policy changed since the state was made";
	if (ev->log_first != prev->next) {
		snprintf(buf, n, "gap: the log starts at record %llu, the state resumes at %llu",
			 (unsigned long long)ev->log_first, (unsigned long long)prev->next);
		return buf;
	}
	return NULL;
}

static int make_resume(const struct hv_incr_state *prev, struct hv_resume *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->next = prev->next;
	rs->log_key = prev->key;
	rs->banks.n = prev->nbanks;
	rs->replay.nbanks = prev->nbanks;
	for (size_t b = 0; b < prev->nbanks; b++) {
		rs->banks.v[b].alg = prev->banks[b];
		rs->banks.v[b].len = (uint8_t)hg_bank_by_alg(prev->banks[b])->size;
		rs->replay.algs[b] = prev->banks[b];
		for (unsigned p = 0; p < HG_NUM_PCRS; p++)
			if (hg_pcr_reset(prev->banks[b], &rs->replay.v[p][b]) < 0)
				return -1;
	}
	for (size_t i = 0; i < prev->pcrs.n; i++) {
		const struct hg_pcr_value *v = &prev->pcrs.v[i];
		struct hg_digest *d = &rs->replay.v[v->pcr][0];

		for (size_t b = 0; b < prev->nbanks; b++)
			if (prev->banks[b] == v->alg)
				d = &rs->replay.v[v->pcr][b];
		memcpy(d->d, v->d, v->len);
		rs->replay.touched |= 1u << v->pcr;
	}
	return 0;
}

/* ---- the next state ---- */

static const char *make_state(const struct hv_inputs *in, const struct hv_incr_state *prev,
			      const uint8_t pol[32], struct collect *c,
			      const struct hv_result *res, struct hv_incr_state *out)
{
	struct hv_incr_state st;
	const TPMS_CLOCK_INFO *ci = &res->quote.attest.clockInfo;
	struct kept *all = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	const char *why = NULL, *ret = "out of memory";

	memset(&st, 0, sizeof(st));
	if (c->overflow)
		return "the log has more records the judge needs again than a state holds";
	if (c->oom || !c->shadow_ok)
		return "out of memory";
	memcpy(st.ak_name, in->ak->name, in->ak->name_len);
	st.ak_name_len = in->ak->name_len;
	st.boot.reset_count = ci->resetCount;
	st.boot.restart_count = ci->restartCount;
	memcpy(st.policy_sha256, pol, 32);
	st.next = res->records;
	if (prev) {
		st.log_key = prev->log_key;
		st.log_key_len = prev->log_key_len;
		st.nbanks = prev->nbanks;
		memcpy(st.banks, prev->banks, sizeof(st.banks));
	} else {
		st.log_key = c->log_key;
		st.log_key_len = c->log_key_len;
		st.nbanks = c->banks.n;
		for (size_t b = 0; b < c->banks.n && b < HG_MAX_BANKS; b++)
			st.banks[b] = c->banks.v[b].alg;
	}
	/* The replay's values: the quote held exactly these (check replay). */
	for (size_t b = 0; b < st.nbanks; b++)
		for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
			const struct hg_pcr_value *v;

			if (!(res->log_pcrs & (1u << p)))
				continue;
			if (!(v = hg_pcr_values_get(&res->ev.pcrs, st.banks[b], p)))
				return "a PCR the log extends is not quoted in every bank";
			st.pcrs.v[st.pcrs.n++] = *v;
		}
	if (c->other && c->compacted)
		return "the log has records of a type that may refer to superseded workload records, which were not kept";
	if (!c->other)
		wl_compact(&c->wl);
	if ((!c->other && c->wl.n > HV_MAX_WORKLOADS) || c->host.n + c->wl.n > HV_INCR_MAX_KEPT)
		return "the log has more records the judge needs again than a state holds";
	all = calloc(c->host.n + c->wl.n + 1, sizeof(*all));
	st.recs = calloc(c->host.n + c->wl.n + 1, sizeof(*st.recs));
	if (!all || !st.recs)
		goto out;
	/* An empty vector's pointer is NULL, which memcpy must not get even
	 * for 0 bytes (C11 7.24.1p2). */
	if (c->host.n)
		memcpy(all, c->host.v, c->host.n * sizeof(*all));
	if (c->wl.n)
		memcpy(all + c->host.n, c->wl.v, c->wl.n * sizeof(*all));
	n = c->host.n + c->wl.n;
	qsort(all, n, sizeof(*all), cmp_recnum);
	for (size_t i = 0; i < n; i++) {
		st.recs[i].recnum = all[i].recnum;
		st.recs[i].content = all[i].content;
		st.recs[i].content_len = all[i].content_len;
	}
	st.nrecs = n;
	ret = "the state breaks its own bounds (more than 32 MiB?)";
	if (hv_incr_state_encode(&st, &buf, &len) < 0)
		goto out;
	if (hv_incr_state_decode(buf, len, out, &why) < 0) {
		ret = why;
		goto out;
	}
	ret = NULL;
out:
	free(all);
	free(st.recs);
	free(buf);
	return ret;
}

static void annotate(json_object *v, const struct hv_incr_info *info,
		     const struct hv_incr_state *st)
{
	json_object_object_add(v, "mode", json_object_new_string(info->incremental ? "incremental" : "full"));
	if (info->fallback[0])
		json_object_object_add(v, "fallback", json_object_new_string(info->fallback));
	if (info->full_required)
		json_object_object_add(v, "full_required", json_object_new_boolean(1));
	if (info->have_state) {
		json_object *s = json_object_new_object();
		char boot[HG_BOOT_ID_LEN + 1];

		hg_boot_id_format(&st->boot, boot);
		json_object_object_add(s, "boot", json_object_new_string(boot));
		json_object_object_add(s, "recnum", json_object_new_uint64(st->next - 1));
		json_object_object_add(v, "since", s);
	}
}

int hv_verify_incremental(const struct hv_inputs *in, const struct hv_incr_state *prev,
			  const uint8_t policy_sha256[32], struct hv_incr_state *new_state,
			  struct hv_result *res, struct hv_incr_info *info)
{
	struct hv_inputs run = *in;
	struct hv_resume rs;
	struct collect c;
	struct seed_ctx sc = { .prev = prev, .c = &c };
	struct hg_evidence ev;
	const char *why, *no;
	char buf[160];
	int ret, partial = 0;

	memset(info, 0, sizeof(*info));
	memset(new_state, 0, sizeof(*new_state));
	memset(&c, 0, sizeof(c));
	c.policy = in->policy;
	c.chain = in->on_record;
	c.chain_arg = in->arg;
	c.shadow_ok = in->policy && hv_judge_init(&c.shadow, in->policy, NULL, 0, 0) == 0;
	run.on_record = c.shadow_ok ? on_record : in->on_record;
	run.arg = c.shadow_ok ? &c : in->arg;
	run.resume = NULL;
	if (hg_evidence_decode(in->evidence, in->evidence_len, &ev, &why) == 0) {
		partial = ev.log_first != 0;
		if (!prev) {
			/* nothing to say: no state was given */
		} else if (!partial) {
			snprintf(info->fallback, sizeof(info->fallback), "the evidence carries the whole log");
		} else if ((why = mismatch(prev, in, &ev, policy_sha256, buf, sizeof(buf)))) {
			snprintf(info->fallback, sizeof(info->fallback), "%s", why);
		} else if (!in->policy) {
			snprintf(info->fallback, sizeof(info->fallback), "no policy: nothing to resume");
		} else if (!c.shadow_ok || make_resume(prev, &rs) < 0) {
			snprintf(info->fallback, sizeof(info->fallback), "out of memory");
		} else {
			rs.seed = seed;
			rs.seed_arg = &sc;
			run.resume = &rs;
			info->incremental = 1;
		}
	}
	ret = hv_verify(&run, res);
	if (partial && (res->first_failed == HV_LOG || res->first_failed == HV_REPLAY)) {
		/* A partial log that did not anchor: the host's whole log
		 * decides, never this one. */
		info->full_required = 1;
		if (info->incremental)
			snprintf(info->fallback, sizeof(info->fallback),
				 "the records after the state do not verify from it (%s: %.160s)",
				 hv_check_name(res->first_failed), res->why);
		else if (!prev)
			snprintf(info->fallback, sizeof(info->fallback), "no state given");
		info->incremental = 0;
	}
	if (info->incremental && res->first_failed > HV_PCR_DIGEST &&
	    (res->quote.attest.clockInfo.resetCount != prev->boot.reset_count ||
	     res->quote.attest.clockInfo.restartCount != prev->boot.restart_count)) {
		/* The routing read the same bytes the signature covers; this
		 * cannot differ, and if it did, nothing of the run stands. */
		res->exit = ret = 3;
		info->full_required = 1;
	}
	no = "the check did not pass its log and replay";
	if (!in->policy || !in->ak)
		no = "no policy or no AK of the verifier's";
	else if (res->records == 0)
		no = "the log is empty";
	else if (ret != 3 && (res->first_failed == HV_NCHECKS || res->first_failed == HV_PCRS ||
			      res->first_failed == HV_POLICY) && !info->full_required)
		no = make_state(in, info->incremental ? prev : NULL, policy_sha256, &c, res, new_state);
	if (no)
		snprintf(info->no_state, sizeof(info->no_state), "%s", no);
	info->have_state = !no;
	if (res->verdict)
		annotate(res->verdict, info, new_state);
	if (c.shadow_ok)
		hv_judge_free(&c.shadow);
	free(c.host.v);
	free(c.wl.v);
	return ret;
}
