/* sched.c: continuous attestation (svc.h). Every enrolled host with an
 * agent URL and an assigned policy is attested every --interval
 * seconds, plus a random 0..--jitter seconds (so a fleet enrolled at
 * once does not stay in step): one pull round (pull.c: the running
 * domains, then the evidence for a fresh nonce, incremental when the
 * host's state allows, through the poller: libcurl multi on the loop,
 * kept-alive mutual TLS, bounded time and size), judged (incrsvc.c) and
 * recorded (state.c). A transport error, a timeout or an answer other
 * than 200 makes the host "unreachable"; the next try is one interval
 * later.
 *
 * The host table is the registry's, re-read when another process
 * committed to it (PRAGMA data_version: `hostgate-verify policy`,
 * `hosts set-agent`, an enrollment), when the API changed it, and every
 * 30 s. A host whose assigned policy ("NAME@VERSION") changed is due at
 * once: a policy change re-judges the hosts it applies to.
 *
 * The table is kept sorted by name, so a refresh is one merge with the
 * registry's listing (also by name) and a lookup a binary search. At
 * most cfg.max_inflight pulls run at once; the rest wait for the tick.
 *
 * Several instances (lease.c, docs/fleet.md): a due host is tried only
 * by its rendezvous owner among the live instances, or by anyone once
 * its lease has lapsed (hv_sched_takeover); the tick's candidates are
 * claimed in one registry transaction and only those granted are
 * pulled. One refused is due again when the holder's lease ends.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "../../lib/util.h"
#include "poller.h"

/* Due pulls start on a tick: every pull that fell due since the last
 * one starts at once, and their answers are then checked one after the
 * other on the loop, so the last of a tick's batch waits for the whole
 * batch. At 2,000 attestations/s a 100 ms tick made batches of 200, and
 * the batch alone took most of the 100 ms p99 budget (make
 * bench-service); 20 ms keeps batches small. A tick scans the whole
 * table (a pointer and a comparison per host), 50 times a second: for
 * 20,000 hosts about a million slot reads a second, a small part of the
 * core next to 2,000 checks. */
#define TICK_MS 20
#define REFRESH_MS 30000
#define CLAIM_BATCH 256              /* lease claims per tick, one transaction */
#define RETRY_MS 1000                /* after a claim the registry failed */

struct slot {
	char name[HV_HOST_NAME_MAX + 1];
	char *url;                   /* AGENT, no trailing '/'; NULL: push only */
	char *policy;                /* "NAME@VERSION" assigned; NULL none */
	uint64_t due_ms;
	int inflight, ondemand, gone;
	int takeover;                /* its lease lapsed: anyone may claim it */
	int mine;                    /* rendezvous owner, as of owner_gen */
	unsigned owner_gen;          /* hv_fleet_gen() + 1 when MINE was set */
	struct hv_svc *s;
};

struct hv_sched {
	struct slot **v;
	size_t n;
	struct event *tick;
	int64_t data_version;
	uint64_t next_refresh_ms;
	int refresh_now;
	unsigned inflight;
};

uint64_t hv_svc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t jitter_ms(const struct hv_svc *s)
{
	uint32_t r = 0;

	if (!s->cfg.jitter || hv_svc_random((uint8_t *)&r, sizeof(r)) < 0)
		return 0;
	return r % ((uint64_t)s->cfg.jitter * 1000 + 1);
}

static void slot_free(struct slot *sl)
{
	if (!sl)
		return;
	free(sl->url);
	free(sl->policy);
	free(sl);
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, (*(struct slot *const *)elem)->name);
}

static struct slot *find(struct hv_sched *sc, const char *name)
{
	struct slot **p = bsearch(name, sc->v, sc->n, sizeof(*sc->v), cmp_name);

	return p ? *p : NULL;
}

static int set_str(char **dst, const char *src)
{
	if ((!*dst && !src) || (*dst && src && !strcmp(*dst, src)))
		return 0;
	free(*dst);
	*dst = src ? strdup(src) : NULL;
	return 1;
}

/* ---- refresh: merge the registry's hosts into the table ---------------- */

struct merge {
	struct hv_svc *s;
	struct slot **old, **v;
	size_t nold, i, n, cap;
	uint64_t now;
	int oom;
};

static void drop(struct slot *sl)
{
	/* A pull in flight finishes first and frees it (pull_done). */
	if (sl->inflight)
		sl->gone = 1;
	else
		slot_free(sl);
}

static int merge_one(const struct hv_host_status *st, void *arg)
{
	struct merge *m = arg;
	struct slot *sl = NULL;
	char url[HV_URL_MAX + 32];
	size_t ulen;

	/* Hosts gone from the registry since the last refresh. */
	while (m->i < m->nold && strcmp(m->old[m->i]->name, st->name) < 0)
		drop(m->old[m->i++]);
	if (m->i < m->nold && !strcmp(m->old[m->i]->name, st->name))
		sl = m->old[m->i++];
	if (!sl) {
		if (!(sl = calloc(1, sizeof(*sl)))) {
			m->oom = 1;
			return 1;
		}
		snprintf(sl->name, sizeof(sl->name), "%s", st->name);
		sl->s = m->s;
		/* A new host (or the service's start): soon, spread by the
		 * jitter. */
		sl->due_ms = m->now + jitter_ms(m->s);
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct slot **v = realloc(m->v, cap * sizeof(*v));

		if (!v) {
			slot_free(sl);
			m->oom = 1;
			return 1;
		}
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = sl;
	if (st->agent_url) {
		ulen = strlen(st->agent_url);
		while (ulen && st->agent_url[ulen - 1] == '/')
			ulen--;
		snprintf(url, sizeof(url), "%.*s", (int)ulen, st->agent_url);
	}
	set_str(&sl->url, st->agent_url ? url : NULL);
	/* A new policy version or assignment: judge again now. The first
	 * sight of a host is no change. */
	if (set_str(&sl->policy, st->policy) && sl->policy && st->judged_policy &&
	    strcmp(sl->policy, st->judged_policy))
		sl->due_ms = m->now;
	return 0;
}

static void refresh(struct hv_svc *s)
{
	struct hv_sched *sc = s->sched;
	struct merge m = { .s = s, .old = sc->v, .nold = sc->n,
			   .now = hv_svc_now_ms() };

	if (hv_reg_statuses(s->reg, merge_one, &m) != 0 || m.oom) {
		/* Keep the old table; what was merged already is in both. */
		for (size_t i = 0; i < m.n; i++) {
			int shared = 0;

			for (size_t k = 0; k < m.nold && !shared; k++)
				shared = m.v[i] == m.old[k];
			if (!shared)
				slot_free(m.v[i]);
		}
		free(m.v);
		hg_err("refreshing the host table failed; keeping the old one");
		return;
	}
	while (m.i < m.nold)
		drop(m.old[m.i++]);
	free(sc->v);
	sc->v = m.v;
	sc->n = m.n;
	hv_reg_data_version(s->reg, &sc->data_version);
	sc->next_refresh_ms = m.now + REFRESH_MS;
}

void hv_sched_refresh(struct hv_svc *s)
{
	if (s->sched)
		s->sched->refresh_now = 1;
}

/* ---- one pull (pull.c does the round) ------------------------------------ */

static void pull_done(void *arg)
{
	struct slot *sl = arg;
	struct hv_svc *s = sl->s;

	sl->inflight = 0;
	s->sched->inflight--;
	if (sl->gone) {
		slot_free(sl);
		return;
	}
	if (s->stopping)
		return;
	sl->due_ms = hv_svc_now_ms() + (uint64_t)s->cfg.interval * 1000 +
		     jitter_ms(s);
	if (sl->ondemand)
		s->m.ondemand++;
	else
		s->m.pulls++;
	sl->ondemand = 0;
}

static int start(struct hv_svc *s, struct slot *sl)
{
	if (hv_pull_start(s, sl->name, sl->url, pull_done, sl) < 0)
		return -1;
	sl->inflight = 1;
	s->sched->inflight++;
	return 0;
}

static int mine(struct hv_svc *s, struct slot *sl)
{
	unsigned gen = hv_fleet_gen(s) + 1;

	if (sl->owner_gen != gen) {
		sl->mine = hv_fleet_owner_is_me(s, sl->name);
		sl->owner_gen = gen;
	}
	return sl->mine || sl->takeover;
}

/* Claim the leases of the N candidates C and start those granted. */
static void claim_and_start(struct hv_svc *s, struct slot **c, size_t n,
			    uint64_t now)
{
	const char *names[CLAIM_BATCH];
	uint8_t granted[CLAIM_BATCH];
	int64_t until[CLAIM_BATCH], wall = hv_svc_wall_ms();

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		names[i] = c[i]->name;
	if (hv_fleet_claim(s, names, n, 0, granted, until) < 0) {
		for (size_t i = 0; i < n; i++)
			c[i]->due_ms = now + RETRY_MS;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		c[i]->takeover = 0;
		if (!granted[i]) {
			/* Held by another instance (or by this one's last
			 * on-demand attestation): due when that lease ends. */
			int64_t wait = until[i] > wall ? until[i] - wall : 0;

			c[i]->due_ms = now + (uint64_t)wait + TICK_MS;
			continue;
		}
		if (start(s, c[i]) < 0)
			c[i]->due_ms = now + 1000;   /* the poller's queue is full */
	}
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_sched *sc = s->sched;
	uint64_t now = hv_svc_now_ms();
	struct slot *cand[CLAIM_BATCH];
	size_t nc = 0;
	int64_t dv = 0;

	(void)fd;
	(void)what;
	if (s->stopping)
		return;
	if (sc->refresh_now || now >= sc->next_refresh_ms ||
	    (hv_reg_data_version(s->reg, &dv) == 0 && dv != sc->data_version)) {
		sc->refresh_now = 0;
		refresh(s);
	}
	/* While the registry fails no lease can be granted: the heartbeat
	 * probes it once a second, and the hosts stay due meanwhile
	 * rather than stall the loop on a claim each tick. */
	for (size_t i = 0; s->poller && !s->db_down && i < sc->n &&
	     sc->inflight + nc < s->cfg.max_inflight; i++) {
		struct slot *sl = sc->v[i];

		if (!sl->url || !sl->policy || sl->inflight || sl->due_ms > now)
			continue;
		/* Another instance's host stays due: it is this one's the
		 * moment its owner dies or its lease lapses. */
		if (!mine(s, sl))
			continue;
		cand[nc++] = sl;
		if (nc == CLAIM_BATCH) {
			claim_and_start(s, cand, nc, now);
			nc = 0;
		}
	}
	claim_and_start(s, cand, nc, now);
}

void hv_sched_takeover(struct hv_svc *s, const char *host)
{
	struct slot *sl = s->sched ? find(s->sched, host) : NULL;

	if (sl)
		sl->takeover = 1;
}

int hv_sched_new(struct hv_svc *s)
{
	struct timeval tv = { 0, TICK_MS * 1000 };

	if (!(s->sched = calloc(1, sizeof(*s->sched))))
		return -1;
	s->sched->refresh_now = 1;
	s->sched->tick = event_new(s->base, -1, EV_PERSIST, tick, s);
	if (!s->sched->tick || event_add(s->sched->tick, &tv) < 0)
		return -1;
	return 0;
}

/* After hg_poller_free(): every pull has finished (cancelled). */
void hv_sched_free(struct hv_svc *s)
{
	struct hv_sched *sc = s->sched;

	if (!sc)
		return;
	if (sc->tick)
		event_free(sc->tick);
	for (size_t i = 0; i < sc->n; i++)
		slot_free(sc->v[i]);
	free(sc->v);
	free(sc);
	s->sched = NULL;
}

int hv_sched_now(struct hv_svc *s, const char *host)
{
	struct slot *sl = find(s->sched, host);

	if (!sl) {
		refresh(s);
		sl = find(s->sched, host);
	}
	if (!sl || !sl->url || !s->poller)
		return HV_HOST_UNKNOWN;
	if (sl->inflight)
		return 1;
	/* On demand: this instance takes the lease whoever holds it (the
	 * holder's pull in flight, if any, then records nothing). */
	{
		const char *name = sl->name;
		uint8_t granted = 0;

		if (hv_fleet_claim(s, &name, 1, 1, &granted, NULL) < 0)
			return -1;
		if (!granted)
			return HV_HOST_UNKNOWN;      /* removed meanwhile */
	}
	sl->ondemand = 1;
	if (start(s, sl) < 0) {
		sl->ondemand = 0;
		return -1;
	}
	return 0;
}

unsigned hv_sched_inflight(const struct hv_svc *s)
{
	return s->sched ? s->sched->inflight : 0;
}
