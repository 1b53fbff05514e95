/* pull.c: one pull round with a host's agent (svc.h), all through the
 * poller, so on the one kept-alive mutual-TLS connection to the agent:
 *
 *   1. GET AGENT/v1/domains: the running domains (running.h). First, so
 *      that every VM it lists was started, and its launch record written
 *      by the gate, before the quote is made (a list made after the
 *      quote could name a VM whose launch record the quote does not
 *      cover: "unknown", a spurious untrusted). An answer other than a
 *      200 with a list that parses judges no VM; the verdict's
 *      "vms_unavailable" says why (incrsvc.c).
 *   2. POST AGENT/v1/evidence {"nonce": HEX, "since": {"boot", "recnum"}},
 *      a fresh nonce, "since" from the host's kept state (incrsvc.c) when
 *      there is one; the agent then sends the records after it, or its
 *      whole log when it cannot (another boot: "since" is a hint).
 *   3. The judgement (incrsvc.c). When the partial log cannot be
 *      anchored ("full_required": another AK, a tampered or foreign
 *      state, a log that does not replay from the kept values), or a VM
 *      was found invalid incrementally (runincr.h), nothing is recorded:
 *      step 2 again without "since", a fresh nonce, in the same round,
 *      and that full check is what is recorded. At most once.
 *   4. Recorded (state.c); the new state kept when the log and replay
 *      passed (incr.h), else the kept one dropped, so the next round is
 *      a full one.
 * A transport error, a timeout or an answer other than 200 to step 2
 * makes the host "unreachable", as before.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/util.h"
#include "../incr.h"
#include "../running.h"
#include "poller.h"

struct hv_pull {
	struct hv_svc *s;
	char host[HV_HOST_NAME_MAX + 1];
	char url_dom[HV_URL_MAX + 32], url_ev[HV_URL_MAX + 32];
	uint8_t nonce[HV_NONCE_BYTES];
	struct hv_incr_state prev;
	int have_prev, sent_since, repulled, refused;
	char prev_why[300];
	struct hv_running run;
	int have_run;
	char run_why[300];
	hv_pull_end_fn end;
	void *arg;
	double started;      /* monotonic s: the round began */
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pull_free(struct hv_pull *p)
{
	if (!p)
		return;
	hv_incr_state_free(&p->prev);
	hv_running_free(&p->run);
	free(p);
}

static void finish(struct hv_pull *p)
{
	hv_pull_end_fn end = p->end;
	void *arg = p->arg;

	pull_free(p);
	end(arg);
}

static void evidence_done(void *arg, const char *host, long status,
			  const uint8_t *body, size_t len, const char *err);

/* Step 2: the evidence, with "since" unless FULL. */
static int ask_evidence(struct hv_pull *p, int full)
{
	char body[2 * HV_NONCE_BYTES + 128], hex[2 * HV_NONCE_BYTES + 1];
	char boot[HG_BOOT_ID_LEN + 1];
	size_t n;

	if (hv_svc_random(p->nonce, sizeof(p->nonce)) < 0)
		return -1;
	hg_hex_encode(p->nonce, sizeof(p->nonce), hex);
	n = (size_t)snprintf(body, sizeof(body), "{\"nonce\":\"%s\"", hex);
	p->sent_since = !full && p->have_prev && p->prev.next >= 1 &&
			p->prev.next - 1 <= 0xfffffffeULL;
	if (p->sent_since) {
		hg_boot_id_format(&p->prev.boot, boot);
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      ",\"since\":{\"boot\":\"%s\",\"recnum\":%llu}", boot,
				      (unsigned long long)(p->prev.next - 1));
	}
	snprintf(body + n, sizeof(body) - n, "}");
	return hg_poller_post(p->s->poller, p->host, p->url_ev, "application/json", body,
			      strlen(body), evidence_done, p);
}

static void judged(struct hv_pull *p, const uint8_t *ev, size_t len)
{
	struct hv_svc *s = p->s;
	struct hv_pull_judge pj = { 0 };
	struct hv_incr_state next;
	struct hv_svc_verdict v = { 0 };
	char why[300];
	int recorded;

	pj.nonce = p->nonce;
	pj.nonce_len = sizeof(p->nonce);
	pj.ev = ev;
	pj.ev_len = len;
	pj.prev = p->have_prev && p->sent_since ? &p->prev : NULL;
	pj.fallback = p->prev_why;
	pj.run = p->have_run ? &p->run : NULL;
	pj.run_why = p->run_why;
	if (hv_svc_judge_pull(s, p->host, &pj, &next, &v, why, sizeof(why)) < 0) {
		hg_err("host %s: not judged: %s", p->host, why);
		finish(p);
		return;
	}
	if (pj.full_required && p->sent_since && !p->repulled) {
		/* Step 3: the partial answer decides nothing; the whole log
		 * does, now. The reason goes into the full check's verdict. */
		json_object *fb;

		if (pj.confirm)
			snprintf(p->prev_why, sizeof(p->prev_why),
				 "a running VM was invalid in an incremental check: confirmed on the whole log");
		else
			snprintf(p->prev_why, sizeof(p->prev_why), "%s",
				 json_object_object_get_ex(v.verdict, "fallback", &fb)
					 ? json_object_get_string(fb)
					 : "the records after the kept state do not verify from it");
		s->m.repulls++;
		if (!pj.confirm)
			s->m.fallbacks++;
		hv_svc_verdict_free(&v);
		hv_incr_state_free(&next);
		p->repulled = 1;
		hv_incr_state_free(&p->prev);
		p->have_prev = 0;
		if (!s->stopping && ask_evidence(p, 1) == 0)
			return;
		hg_err("host %s: cannot ask again for the whole log", p->host);
		finish(p);
		return;
	}
	s->m.by_check[pj.incremental ? 1 : 0]++;
	/* A kept state not resumed (a re-pull counted already). */
	if (!pj.incremental && (pj.prev || p->refused))
		s->m.fallbacks++;
	recorded = hv_svc_record_leased(s, p->host, &v, NULL) == 0;
	/* hostgate_attestation_seconds: the round, agent trips, check and
	 * commit included (a re-pull's second trip too). */
	hv_metrics_attested(s, mono_s() - p->started);
	/* The next round resumes from here, or starts over. A state equal
	 * to the kept one (nothing measured since) is not written again:
	 * one transaction per pull fewer. A verdict not recorded (the
	 * registry failed, or another instance took the lease) keeps
	 * nothing either. */
	if (recorded && !(pj.have_state && pj.prev && next.len == pj.prev->len &&
	      !memcmp(next.buf, pj.prev->buf, next.len)))
		hv_svc_incr_store(s, p->host, pj.have_state ? &next : NULL);
	hv_svc_verdict_free(&v);
	hv_incr_state_free(&next);
	finish(p);
}

static void evidence_done(void *arg, const char *host, long status,
			  const uint8_t *body, size_t len, const char *err)
{
	struct hv_pull *p = arg;
	char why[300];

	(void)host;
	if (p->s->stopping) {
		finish(p);
		return;
	}
	if (err) {
		hv_svc_record_leased(p->s, p->host, NULL, err);
		finish(p);
		return;
	}
	if (status != 200) {
		snprintf(why, sizeof(why), "the agent answered HTTP %ld", status);
		hv_svc_record_leased(p->s, p->host, NULL, why);
		finish(p);
		return;
	}
	judged(p, body, len);
}

static void domains_done(void *arg, const char *host, long status,
			 const uint8_t *body, size_t len, const char *err)
{
	struct hv_pull *p = arg;
	char perr[256];

	(void)host;
	if (p->s->stopping) {
		finish(p);
		return;
	}
	if (err) {
		/* The agent is not there: the evidence request would say the
		 * same, a timeout later. */
		hv_svc_record_leased(p->s, p->host, NULL, err);
		finish(p);
		return;
	}
	if (status != 200)
		snprintf(p->run_why, sizeof(p->run_why),
			 "the agent answered HTTP %ld to GET /v1/domains", status);
	else if (hv_running_parse((const char *)body, len, &p->run, perr, sizeof(perr)) < 0)
		snprintf(p->run_why, sizeof(p->run_why),
			 "the agent's /v1/domains list does not parse: %.200s", perr);
	else
		p->have_run = 1;
	if (ask_evidence(p, 0) < 0) {
		hv_svc_record_leased(p->s, p->host, NULL, "the poller refused the evidence request");
		finish(p);
	}
}

int hv_pull_start(struct hv_svc *s, const char *host, const char *base,
		  hv_pull_end_fn end, void *arg)
{
	struct hv_pull *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -1;
	p->s = s;
	p->end = end;
	p->arg = arg;
	p->started = mono_s();
	snprintf(p->host, sizeof(p->host), "%s", host);
	snprintf(p->url_dom, sizeof(p->url_dom), "%s/v1/domains", base);
	snprintf(p->url_ev, sizeof(p->url_ev), "%s/v1/evidence", base);
	if (s->incr_on) {
		if ((r = hv_svc_incr_load(s, host, &p->prev, p->prev_why, sizeof(p->prev_why))) < 0)
			snprintf(p->prev_why, sizeof(p->prev_why), "the kept state could not be read");
		p->have_prev = r == 1;
		p->refused = r != 1 && p->prev_why[0];
		if (r == 0 && !p->prev_why[0])
			snprintf(p->prev_why, sizeof(p->prev_why),
				 "no state kept (the host's first check since enrollment, or the last did not pass its log and replay)");
	}
	if (hg_poller_get(s->poller, host, p->url_dom, domains_done, p) < 0) {
		pull_free(p);
		return -1;
	}
	return 0;
}
