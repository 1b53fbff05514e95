/* metrics.c: the service's metrics (svc.h), and GET /metrics's body in
 * the Prometheus text exposition format 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats):
 *
 *   hostgate_hosts{state="trusted"|...}            gauge, from the registry
 *   hostgate_attestations_total{result="trusted"|"untrusted"|"unreachable"}
 *   hostgate_attestations_by_mode_total{mode="pull"|"push"|"on-demand"}
 *   hostgate_verifications_total{check="full"|"incremental"}
 *                                                  pulls judged, by how much
 *                                                  of the log was checked
 *   hostgate_incremental_fallbacks_total           a kept state not resumed
 *   hostgate_full_repulls_total                    asked again for the whole
 *                                                  log in the same round
 *   hostgate_attestations_per_second               gauge, mean of the last 60 s
 *   hostgate_check_seconds_bucket{le=...}, _sum, _count   histogram
 *   hostgate_attestation_seconds_bucket{le=...}, _sum, _count   histogram:
 *                      a pull from its nonce to its verdict recorded
 *   hostgate_agent_connections_total  connections opened to agents
 *   hostgate_registry_seconds_total, hostgate_registry_calls_total
 *                      wall time in (and number of) registry database calls
 *   hostgate_failures_total{check="signature"|...} failures in verdicts, by check
 *   hostgate_state_transitions_total
 *   hostgate_webhooks_total{result="sent"|"failed"|"dropped"}
 *   hostgate_api_requests_total, hostgate_api_errors_total,
 *   hostgate_auth_refused_total
 *   hostgate_nonces_refused_total{reason="unknown"|"used"|"expired"|"foreign"|"too-many"}
 *   hostgate_pulls_inflight                        gauge
 *   hostgate_hosts_stale          gauge: hosts read unknown, verdict too old
 *   hostgate_registry_up          gauge: 1, or 0 while the registry fails
 *   hostgate_instances_live       gauge: serve instances heartbeating
 *   hostgate_leases_total{result="granted"|"refused"}
 *   hostgate_verdicts_unrecorded_total{reason="registry"|"lease-lost"}
 *   hostgate_outbox_claimed_total, hostgate_outbox_redelivered_total
 *
 * A host whose last verdict is older than --stale-after counts as
 * "unknown" in hostgate_hosts (and in hostgate_hosts_stale); while the
 * registry cannot be read, hostgate_hosts is left out rather than
 * guessed.
 *
 * Counters live in memory from the service's start (a restart starts
 * them at 0, which Prometheus's rate() handles); the host gauge is read
 * from the registry at each scrape, so it is exact whoever wrote it.
 */
#include "svc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../verify.h"
#include "poller.h"

static const double lat_le[HV_LAT_BUCKETS - 1] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

/* Finer than lat_le where the service's goal is (p99 < 100 ms). */
static const double att_le[HV_ATT_BUCKETS - 1] = {
	0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
	0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10,
};

static void per_second(struct hv_svc *s)
{
	int64_t now = (int64_t)time(NULL);
	int i = (int)(now % 60);

	if (s->m.second_at[i] != now) {
		s->m.second_at[i] = now;
		s->m.second[i] = 0;
	}
	s->m.second[i]++;
}

void hv_metrics_judged(struct hv_svc *s, const struct hv_svc_verdict *v)
{
	json_object *fails, *f, *c;
	int b;

	s->m.attest[v->state]++;
	per_second(s);
	s->m.lat_count++;
	s->m.lat_sum += v->seconds;
	for (b = 0; b < HV_LAT_BUCKETS - 1 && v->seconds > lat_le[b]; b++)
		;
	s->m.lat_bucket[b]++;
	if (!json_object_object_get_ex(v->verdict, "failures", &fails))
		return;
	for (size_t i = 0; i < json_object_array_length(fails); i++) {
		f = json_object_array_get_idx(fails, i);
		if (!json_object_object_get_ex(f, "check", &c))
			continue;
		for (int k = 0; k < HV_NCHECKS && k < HV_FAIL_CHECKS; k++)
			if (!strcmp(json_object_get_string(c),
				    hv_check_name((enum hv_check)k)))
				s->m.fail_by_check[k]++;
	}
}

void hv_metrics_attested(struct hv_svc *s, double seconds)
{
	int b;

	s->m.att_count++;
	s->m.att_sum += seconds;
	for (b = 0; b < HV_ATT_BUCKETS - 1 && seconds > att_le[b]; b++)
		;
	s->m.att_bucket[b]++;
}

void hv_metrics_unreachable(struct hv_svc *s)
{
	s->m.attest[HV_STATE_UNREACHABLE]++;
	per_second(s);
}

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *p = realloc(b->p, b->cap * 2 + (size_t)n);

		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

struct count {
	struct hv_svc *s;
	int64_t now;
	uint64_t n[HV_NSTATES], stale;
};

static int count_state(const struct hv_host_status *st, void *arg)
{
	struct count *c = arg;

	if (hv_svc_stale(c->s, st, c->now)) {
		c->n[HV_STATE_UNKNOWN]++;
		c->stale++;
	} else {
		c->n[st->state]++;
	}
	return 0;
}

char *hv_metrics_text(struct hv_svc *s, size_t *len)
{
	static const char *const nonce_why[] = {
		[HV_NONCE_UNKNOWN] = "unknown", [HV_NONCE_USED] = "used",
		[HV_NONCE_EXPIRED] = "expired", [HV_NONCE_FOREIGN] = "foreign",
		[HV_NONCE_TOO_MANY] = "too-many",
	};
	struct buf b = { .cap = 4096 };
	struct count cnt = { 0 };
	uint64_t cum = 0, recent = 0, db_ns, db_calls;
	int64_t now = (int64_t)time(NULL);
	struct hv_webhook_counts wc = { 0 };
	struct hg_poller_stat ps;

	if (!(b.p = malloc(b.cap)))
		return NULL;
	b.p[0] = '\0';
	cnt.s = s;
	cnt.now = now;
	if (hv_reg_statuses(s->reg, count_state, &cnt) < 0) {
		hv_svc_db_failed(s, "counting the hosts");
	} else {
		put(&b, "# HELP hostgate_hosts Enrolled hosts by attestation state.\n"
			"# TYPE hostgate_hosts gauge\n");
		for (int i = 0; i < HV_NSTATES; i++)
			put(&b, "hostgate_hosts{state=\"%s\"} %llu\n",
			    hv_state_name((enum hv_state)i),
			    (unsigned long long)cnt.n[i]);
		put(&b, "# HELP hostgate_hosts_stale Hosts read unknown: their last verdict is older than --stale-after.\n"
			"# TYPE hostgate_hosts_stale gauge\n"
			"hostgate_hosts_stale %llu\n", (unsigned long long)cnt.stale);
	}
	put(&b, "# HELP hostgate_registry_up 1 while the registry answers, 0 since it failed.\n"
		"# TYPE hostgate_registry_up gauge\n"
		"hostgate_registry_up %d\n"
		"# HELP hostgate_instances_live Serve instances heartbeating into the registry.\n"
		"# TYPE hostgate_instances_live gauge\n"
		"hostgate_instances_live %zu\n"
		"# HELP hostgate_leases_total Host lease claims, by result.\n"
		"# TYPE hostgate_leases_total counter\n"
		"hostgate_leases_total{result=\"granted\"} %llu\n"
		"hostgate_leases_total{result=\"refused\"} %llu\n"
		"# HELP hostgate_verdicts_unrecorded_total Verdicts not recorded (not counted as attestations).\n"
		"# TYPE hostgate_verdicts_unrecorded_total counter\n"
		"hostgate_verdicts_unrecorded_total{reason=\"registry\"} %llu\n"
		"hostgate_verdicts_unrecorded_total{reason=\"lease-lost\"} %llu\n"
		"# HELP hostgate_outbox_claimed_total Webhook events this instance claimed from the outbox.\n"
		"# TYPE hostgate_outbox_claimed_total counter\n"
		"hostgate_outbox_claimed_total %llu\n"
		"# HELP hostgate_outbox_redelivered_total Claimed events another claim had started before (at-least-once).\n"
		"# TYPE hostgate_outbox_redelivered_total counter\n"
		"hostgate_outbox_redelivered_total %llu\n",
	    !s->db_down, hv_fleet_live(s),
	    (unsigned long long)s->m.leases_granted,
	    (unsigned long long)s->m.leases_refused,
	    (unsigned long long)s->m.unrecorded, (unsigned long long)s->m.lease_lost,
	    (unsigned long long)s->m.outbox_claimed,
	    (unsigned long long)s->m.outbox_redelivered);
	put(&b, "# HELP hostgate_attestations_total Attestations judged, by result.\n"
		"# TYPE hostgate_attestations_total counter\n");
	for (int i = HV_STATE_TRUSTED; i < HV_NSTATES; i++)
		put(&b, "hostgate_attestations_total{result=\"%s\"} %llu\n",
		    hv_state_name((enum hv_state)i), (unsigned long long)s->m.attest[i]);
	put(&b, "# HELP hostgate_attestations_by_mode_total Attestations by how they came.\n"
		"# TYPE hostgate_attestations_by_mode_total counter\n"
		"hostgate_attestations_by_mode_total{mode=\"pull\"} %llu\n"
		"hostgate_attestations_by_mode_total{mode=\"push\"} %llu\n"
		"hostgate_attestations_by_mode_total{mode=\"on-demand\"} %llu\n",
	    (unsigned long long)s->m.pulls, (unsigned long long)s->m.pushes,
	    (unsigned long long)s->m.ondemand);
	/* A new name, not a "mode" label on the two above: their label
	 * sets stay as dashboards know them. */
	put(&b, "# HELP hostgate_verifications_total Pull attestations judged, by how much of the log was checked.\n"
		"# TYPE hostgate_verifications_total counter\n"
		"hostgate_verifications_total{check=\"full\"} %llu\n"
		"hostgate_verifications_total{check=\"incremental\"} %llu\n",
	    (unsigned long long)s->m.by_check[0], (unsigned long long)s->m.by_check[1]);
	put(&b, "# HELP hostgate_incremental_fallbacks_total Pulls whose kept incremental state was not resumed (reboot, AK, policy, mismatch).\n"
		"# TYPE hostgate_incremental_fallbacks_total counter\n"
		"hostgate_incremental_fallbacks_total %llu\n",
	    (unsigned long long)s->m.fallbacks);
	put(&b, "# HELP hostgate_full_repulls_total Pulls asked again for the whole log in the same round.\n"
		"# TYPE hostgate_full_repulls_total counter\n"
		"hostgate_full_repulls_total %llu\n",
	    (unsigned long long)s->m.repulls);
	for (int i = 0; i < 60; i++)
		if (s->m.second_at[i] > now - 60 && s->m.second_at[i] <= now)
			recent += s->m.second[i];
	put(&b, "# HELP hostgate_attestations_per_second Attestations per second, mean of the last 60 s.\n"
		"# TYPE hostgate_attestations_per_second gauge\n"
		"hostgate_attestations_per_second %.3f\n", (double)recent / 60.0);
	put(&b, "# HELP hostgate_check_seconds Time to check one attestation (quote, logs, policy).\n"
		"# TYPE hostgate_check_seconds histogram\n");
	for (int i = 0; i < HV_LAT_BUCKETS; i++) {
		cum += s->m.lat_bucket[i];
		if (i < HV_LAT_BUCKETS - 1)
			put(&b, "hostgate_check_seconds_bucket{le=\"%g\"} %llu\n",
			    lat_le[i], (unsigned long long)cum);
		else
			put(&b, "hostgate_check_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	put(&b, "hostgate_check_seconds_sum %.6f\nhostgate_check_seconds_count %llu\n",
	    s->m.lat_sum, (unsigned long long)s->m.lat_count);
	put(&b, "# HELP hostgate_attestation_seconds A pull attestation from its nonce to its recorded verdict.\n"
		"# TYPE hostgate_attestation_seconds histogram\n");
	cum = 0;
	for (int i = 0; i < HV_ATT_BUCKETS; i++) {
		cum += s->m.att_bucket[i];
		if (i < HV_ATT_BUCKETS - 1)
			put(&b, "hostgate_attestation_seconds_bucket{le=\"%g\"} %llu\n",
			    att_le[i], (unsigned long long)cum);
		else
			put(&b, "hostgate_attestation_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	put(&b, "hostgate_attestation_seconds_sum %.6f\nhostgate_attestation_seconds_count %llu\n",
	    s->m.att_sum, (unsigned long long)s->m.att_count);
	hv_reg_db_time(s->reg, &db_ns, &db_calls);
	put(&b, "# HELP hostgate_registry_seconds_total Wall time spent in registry database calls (all of them: scheduling, leases, verdicts, reads).\n"
		"# TYPE hostgate_registry_seconds_total counter\n"
		"hostgate_registry_seconds_total %.6f\n"
		"# HELP hostgate_registry_calls_total Registry database calls (statement prepares and steps, transaction begin/commit/rollback).\n"
		"# TYPE hostgate_registry_calls_total counter\n"
		"hostgate_registry_calls_total %llu\n",
	    (double)db_ns / 1e9, (unsigned long long)db_calls);
	put(&b, "# HELP hostgate_failures_total Failures named in verdicts, by check.\n"
		"# TYPE hostgate_failures_total counter\n");
	for (int k = 0; k < HV_NCHECKS && k < HV_FAIL_CHECKS; k++)
		put(&b, "hostgate_failures_total{check=\"%s\"} %llu\n",
		    hv_check_name((enum hv_check)k),
		    (unsigned long long)s->m.fail_by_check[k]);
	put(&b, "# HELP hostgate_state_transitions_total Changes of a host's state.\n"
		"# TYPE hostgate_state_transitions_total counter\n"
		"hostgate_state_transitions_total %llu\n",
	    (unsigned long long)s->m.transitions);
	hv_webhook_counts(s, &wc);
	put(&b, "# HELP hostgate_webhooks_total Webhook deliveries, by outcome.\n"
		"# TYPE hostgate_webhooks_total counter\n"
		"hostgate_webhooks_total{result=\"sent\"} %llu\n"
		"hostgate_webhooks_total{result=\"failed\"} %llu\n"
		"hostgate_webhooks_total{result=\"dropped\"} %llu\n",
	    (unsigned long long)wc.sent, (unsigned long long)wc.failed,
	    (unsigned long long)wc.dropped);
	put(&b, "# HELP hostgate_api_requests_total API requests answered.\n"
		"# TYPE hostgate_api_requests_total counter\n"
		"hostgate_api_requests_total %llu\n"
		"# HELP hostgate_api_errors_total API requests answered with an error status.\n"
		"# TYPE hostgate_api_errors_total counter\n"
		"hostgate_api_errors_total %llu\n"
		"# HELP hostgate_auth_refused_total Requests refused for authentication.\n"
		"# TYPE hostgate_auth_refused_total counter\n"
		"hostgate_auth_refused_total %llu\n",
	    (unsigned long long)s->m.api_requests,
	    (unsigned long long)s->m.api_errors,
	    (unsigned long long)s->m.auth_refused);
	put(&b, "# HELP hostgate_nonces_refused_total Push attestations refused for their nonce.\n"
		"# TYPE hostgate_nonces_refused_total counter\n");
	for (int i = HV_NONCE_UNKNOWN; i <= HV_NONCE_TOO_MANY; i++)
		put(&b, "hostgate_nonces_refused_total{reason=\"%s\"} %llu\n",
		    nonce_why[i], (unsigned long long)s->m.nonce_refused[i]);
	put(&b, "# HELP hostgate_pulls_inflight Pull attestations in flight.\n"
		"# TYPE hostgate_pulls_inflight gauge\n"
		"hostgate_pulls_inflight %u\n", hv_sched_inflight(s));
	hg_poller_stats(s->poller, &ps);
	put(&b, "# HELP hostgate_agent_connections_total Connections opened to agents (kept alive between pulls).\n"
		"# TYPE hostgate_agent_connections_total counter\n"
		"hostgate_agent_connections_total %llu\n",
	    (unsigned long long)ps.connections);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
