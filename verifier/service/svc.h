/* svc.h: the verifier service (`hostgate-verify serve`, issue 14 item 2):
 * what its files share. One process, one thread, one libevent loop:
 *
 *   serve.c      options, start-up, signals, shutdown
 *   sched.c      continuous attestation: a per-host timer with jitter,
 *                a fresh nonce, POST agent/v1/evidence through the
 *                poller (libcurl multi), the answer judged
 *   judge.c      one judgement: the host's enrolled AK, the service's
 *                nonce, the host's assigned policy -> hv_verify()
 *   pull.c       one pull round: GET agent/v1/domains, POST
 *                agent/v1/evidence (with "since" from the host's
 *                incremental state), again without it when the partial
 *                log cannot be anchored, the judgement recorded
 *   incrsvc.c    the pull's judgement: incremental (incr.h) with the
 *                running VMs (judgevm.h), the state sealed in the
 *                registry
 *   state.c      recording a judgement (registry, one transaction),
 *                transitions -> webhooks and the log
 *   push.c       push mode: GET /v1/nonce, POST /v1/attest
 *   api.c        the REST API (hosts, history, on-demand attest,
 *                policies, health, metrics) and authentication
 *   metrics.c    counters and the latency histogram, Prometheus text
 *   lease.c      several instances on one registry (docs/fleet.md): the
 *                instance id and heartbeat, rendezvous ownership, host
 *                lease claims, the registry's health, stale states
 *   outbox.c     webhooks from the registry's outbox: claimed, delivered
 *                by one instance (webhook.c), deleted when done
 *
 * Everything runs on the loop's thread: no locks. The registry is the
 * one store: a crash loses at most the judgement being made (each is one
 * SQLite transaction), never a spent nonce's spending. A power loss may
 * also lose the last verdicts recorded (they are not flushed one by one:
 * hv_reg_host_judged), which the next interval's attestations replace.
 *
 * Several instances may share one registry (docs/fleet.md): each host is
 * pulled only under a lease the registry granted (lease.c), its verdict
 * recorded only while the lease is still held, and state-change events
 * are rows of the registry's outbox that one instance delivers
 * (outbox.c). An on-demand attestation takes the host's lease whoever
 * holds it; a pull in flight whose lease was taken meanwhile (on demand,
 * or because it outlived its lease) records nothing; a killed instance's
 * pulls in flight record nothing and its hosts go to the others when
 * their leases end. A state read through the API or the metrics whose last
 * verdict is older than --stale-after reads "unknown" (stale): an
 * instance that cannot reach the registry never vouches for a host on
 * state it cannot confirm.
 */
#ifndef HV_SVC_H
#define HV_SVC_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "../registry/registry.h"

struct event_base;
struct event;
struct hg_poller;
struct hg_webhooks;
struct hg_httpsd;
struct hv_sched;

#define HV_SVC_MAX_BODY (4u << 20)        /* an evidence bundle or a policy */
#define HV_SVC_MAX_TOKENS 64
#define HV_SVC_MAX_OPERATORS 16
#define HV_SVC_POLCACHE 32                /* parsed policies kept */
#define HV_SVC_DB_TIMEOUT_MS 1000         /* a registry statement's wait */

struct hv_svc_cfg {
	const char *db, *listen, *cert, *key, *client_ca, *token_file;
	const char *agent_cert, *agent_key, *agent_ca;
	const char *ear_key;
	const char *webhook_url, *webhook_secret_file, *webhook_ca;
	const char *operators[HV_SVC_MAX_OPERATORS];   /* mTLS CNs with the whole API */
	size_t noperators;
	unsigned interval, jitter;        /* s */
	unsigned timeout_ms;              /* a pull, connect to answer */
	unsigned max_inflight;            /* pulls at once */
	unsigned history;                 /* verdicts kept per host */
	unsigned nonce_ttl;               /* s */
	unsigned max_nonces;              /* unused nonces a host may hold */
	unsigned max_conns;               /* API connections at once */
	unsigned ear_ttl;                 /* s */
	const char *instance_id;          /* --instance-id; NULL: hostname:pid */
	unsigned stale_after;             /* s: a verdict older reads unknown */
};

/* A principal: who a request comes from (api.c). */
enum hv_role { HV_ROLE_NONE, HV_ROLE_OPERATOR, HV_ROLE_HOST };

struct hv_token {
	enum hv_role role;
	char host[HV_HOST_NAME_MAX + 1];  /* HV_ROLE_HOST */
	uint8_t sha256[32];               /* of the token: compared in constant time */
};

/* ---- metrics (metrics.c) ---- */
#define HV_LAT_BUCKETS 12
#define HV_FAIL_CHECKS 16
#define HV_ATT_BUCKETS 20
struct hv_metrics {
	uint64_t attest[HV_NSTATES];      /* judgements by resulting state */
	uint64_t pulls, pushes, ondemand;
	uint64_t lat_count, lat_bucket[HV_LAT_BUCKETS];
	double lat_sum;
	uint64_t fail_by_check[HV_FAIL_CHECKS];
	uint64_t transitions;
	uint64_t webhooks_sent, webhooks_failed, webhooks_dropped;
	uint64_t api_requests, api_errors, auth_refused;
	uint64_t nonce_refused[8];        /* by HV_NONCE_* result */
	uint64_t att_count, att_bucket[HV_ATT_BUCKETS];
	double att_sum;                   /* pull: nonce chosen -> verdict recorded */
	uint64_t second[60];              /* judgements per second, ring */
	int64_t second_at[60];
	uint64_t by_check[2];             /* pulls judged: full, incremental */
	uint64_t fallbacks;               /* a kept state not resumed */
	uint64_t repulls;                 /* partial log unanchored: asked again */
	uint64_t leases_granted, leases_refused;
	uint64_t lease_lost;              /* verdicts dropped: the lease moved on */
	uint64_t unrecorded;              /* verdicts the registry did not take */
	uint64_t db_errors;
	uint64_t outbox_claimed, outbox_redelivered;
};

struct hv_polcache_ent;

struct hv_svc {
	struct hv_svc_cfg cfg;
	struct event_base *base;
	struct hv_reg *reg;
	struct hg_poller *poller;         /* agents (mTLS) */
	struct hg_webhooks *hooks;        /* NULL: no --webhook */
	struct hg_httpsd *httpd;
	struct hv_sched *sched;
	EVP_PKEY *ear_key;                /* NULL: no EAR issued */
	struct hv_token tokens[HV_SVC_MAX_TOKENS];
	size_t ntokens;
	struct hv_metrics m;
	struct hv_polcache_ent *polcache;
	int64_t started;
	int stopping;
	int incr_on;                      /* incr_key loaded: pulls resume states */
	uint8_t incr_key[32];             /* incrseal.h: DIR/incr.key */
	char instance[HV_INSTANCE_ID_MAX + 1];
	struct hv_fleet *fleet;           /* lease.c */
	struct hv_outbox *outbox;         /* outbox.c; NULL: no --webhook */
	int db_down;                      /* the registry failed, not yet back */
	int64_t db_down_since;
	char db_why[512];
};

/* ---- judge.c ---- */
struct hv_svc_verdict {
	enum hv_state state;              /* trusted or untrusted */
	int exit;                         /* hv_verify's: 0, 1, 3 */
	json_object *verdict;             /* owned */
	char policy[2 * HV_HOST_NAME_MAX + 24];  /* "NAME@VERSION" */
	uint32_t failures;
	double seconds;                   /* the check's own time */
};
/* Judge EVIDENCE from HOST against the nonce NONCE the service chose,
 * with the AK the registry holds for HOST and its assigned policy.
 * 0 judged (V filled, trusted or untrusted); -1 could not judge (no
 * such host, no policy, a damaged registry row): WHY says it, nothing
 * recorded. */
int hv_svc_judge(struct hv_svc *s, const char *host, const uint8_t *nonce,
		 size_t nonce_len, const uint8_t *ev, size_t ev_len,
		 struct hv_svc_verdict *v, char *why, size_t whylen);
/* The same, judging of the workload records only WL (NWL at most
 * HV_SVC_MAX_SCOPE; 0: all), as check --workload: the verdict and the
 * EAR's digests are about those workloads (push mode's scope, push.c). */
struct hv_workload;
#define HV_SVC_MAX_SCOPE 64
int hv_svc_judge_scoped(struct hv_svc *s, const char *host, const uint8_t *nonce,
			size_t nonce_len, const uint8_t *ev, size_t ev_len,
			const struct hv_workload *wl, size_t nwl,
			struct hv_svc_verdict *v, char *why, size_t whylen);
void hv_svc_verdict_free(struct hv_svc_verdict *v);
void hv_svc_polcache_free(struct hv_svc *s);

/* The parsed policy REC ("NAME@VERSION" ID), from judge.c's cache. */
struct hg_policy;
const struct hg_policy *hv_svc_policy(struct hv_svc *s, const struct hv_policy_rec *rec,
				      const char *id, char *why, size_t n);

/* ---- incrsvc.c ---- */
struct hv_incr_state;
struct hv_running;
/* HOST's kept incremental state, unsealed and decoded into ST: 1; 0 none
 * (WHY says why, "" when none was kept); -1 registry error. */
int hv_svc_incr_load(struct hv_svc *s, const char *host, struct hv_incr_state *st,
		     char *why, size_t whylen);
/* Seal and keep ST (NULL: drop the kept one): 0 or -1 (printed). */
int hv_svc_incr_store(struct hv_svc *s, const char *host, const struct hv_incr_state *st);
/* One pull's judgement: hv_svc_judge()'s inputs, plus the state PREV
 * (NULL: none) and the running domains RUN (NULL: not listed; RUN_WHY
 * says why). Fills V and, with a state to keep, *NEXT (zeroed first;
 * the caller frees it). *FULL_REQUIRED: the partial log could not be
 * anchored, or a VM found invalid incrementally must be confirmed
 * (runincr.h): ask again for the whole log, record nothing. 0 judged,
 * -1 not (WHY). */
struct hv_pull_judge {
	const uint8_t *nonce, *ev;
	size_t nonce_len, ev_len;
	const struct hv_incr_state *prev;
	const char *fallback;             /* why PREV is NULL, or NULL */
	const struct hv_running *run;
	const char *run_why;
	/* out */
	int incremental, full_required, confirm, have_state;
};
int hv_svc_judge_pull(struct hv_svc *s, const char *host, struct hv_pull_judge *pj,
		      struct hv_incr_state *next, struct hv_svc_verdict *v,
		      char *why, size_t whylen);

/* ---- pull.c ---- */
/* Start HOST's round with its agent at BASE ("https://..", no trailing
 * slash): END(ARG) is called exactly once, from the loop, when it is
 * over (recorded, or cancelled). 0 started, -1 not (END not called). */
typedef void (*hv_pull_end_fn)(void *arg);
int hv_pull_start(struct hv_svc *s, const char *host, const char *base,
		  hv_pull_end_fn end, void *arg);

/* ---- state.c ---- */
/* Record V (or, V NULL, "unreachable" with REASON) for HOST: registry,
 * metrics, and on a change of state a webhook event and one log line.
 * 0, or -1 (error printed; the service goes on). */
int hv_svc_record(struct hv_svc *s, const char *host,
		  const struct hv_svc_verdict *v, const char *reason);

/* Record a pull's verdict made under this instance's lease on HOST:
 * nothing is written if another instance has claimed the lease since
 * (counted, logged; 1 returned). Else as hv_svc_record(). */
int hv_svc_record_leased(struct hv_svc *s, const char *host,
			 const struct hv_svc_verdict *v, const char *reason);

/* ---- lease.c ---- */
int hv_fleet_start(struct hv_svc *s, char *err, size_t errlen);
void hv_fleet_stop(struct hv_svc *s);
/* 1 if this instance owns HOST among the live instances (rendezvous). */
int hv_fleet_owner_is_me(const struct hv_svc *s, const char *host);
/* Changes whenever the live set does (owners cached per host use it). */
unsigned hv_fleet_gen(const struct hv_svc *s);
size_t hv_fleet_live(const struct hv_svc *s);
/* hv_reg_lease_claim for this instance, one interval long; UNTIL in
 * Unix ms. -1: the registry failed (marked unavailable). */
int hv_fleet_claim(struct hv_svc *s, const char *const *names, size_t n,
		   int force, uint8_t *granted, int64_t *until);
/* Unix time in ms (leases and heartbeats compare the instances' clocks). */
int64_t hv_svc_wall_ms(void);
/* The registry failed doing WHAT (hg_err_last() says how): marked
 * unavailable until a heartbeat succeeds. */
void hv_svc_db_failed(struct hv_svc *s, const char *what);
/* 1 when ST's last verdict is older than --stale-after at NOW (s): it
 * reads "unknown" (reason "stale"), whatever was recorded. */
int hv_svc_stale(const struct hv_svc *s, const struct hv_host_status *st,
		 int64_t now);

/* ---- outbox.c ---- */
#define HV_OUTBOX_QUEUE 1024              /* events held by webhook.c */
struct hg_webhook_tune;
int hv_outbox_start(struct hv_svc *s, struct hg_webhook_tune *tune);
void hv_outbox_stop(struct hv_svc *s);
/* Claim and queue what the outbox holds for delivery. */
void hv_outbox_poll(struct hv_svc *s);
/* hv_outbox_poll() soon, from the loop. */
void hv_outbox_kick(struct hv_svc *s);

/* ---- hooks.c: the webhook emitter (webhook.h) on the service ---- */
int hv_hooks_start(struct hv_svc *s, char *err, size_t errlen);
void hv_hooks_stop(struct hv_svc *s);
struct hv_webhook_counts {
	uint64_t sent, failed, dropped;
};
void hv_webhook_counts(struct hv_svc *s, struct hv_webhook_counts *out);

/* ---- sched.c ---- */
int hv_sched_new(struct hv_svc *s);
void hv_sched_free(struct hv_svc *s);
/* Attest HOST now (pull), whatever its timer: 0 started, 1 already in
 * flight, HV_HOST_UNKNOWN no such host or no agent URL, -1 error. */
int hv_sched_now(struct hv_svc *s, const char *host);
/* Re-read the registry (new hosts, agent URLs, policy versions) now. */
void hv_sched_refresh(struct hv_svc *s);
unsigned hv_sched_inflight(const struct hv_svc *s);
/* HOST's lease lapsed (its holder died): this instance may claim it. */
void hv_sched_takeover(struct hv_svc *s, const char *host);

/* ---- metrics.c ---- */
void hv_metrics_judged(struct hv_svc *s, const struct hv_svc_verdict *v);
void hv_metrics_unreachable(struct hv_svc *s);
/* A pull judged SECONDS after its nonce was chosen (round trip to the
 * agent, the check and the registry's record). */
void hv_metrics_attested(struct hv_svc *s, double seconds);
/* The Prometheus text exposition (version 0.0.4); malloc'd. */
char *hv_metrics_text(struct hv_svc *s, size_t *len);

/* ---- push.c, api.c ---- */
int hv_api_start(struct hv_svc *s, char *err, size_t errlen);
void hv_api_stop(struct hv_svc *s);

/* Random bytes from OpenSSL's CSPRNG; -1 if it failed. */
int hv_svc_random(uint8_t *buf, size_t n);
/* Monotonic milliseconds. */
uint64_t hv_svc_now_ms(void);

#endif
