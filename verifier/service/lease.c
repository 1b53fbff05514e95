/* lease.c: several serve instances on one registry (svc.h,
 * docs/fleet.md): this instance's identity and heartbeat, which hosts it
 * tries, its claims on their leases, and what it knows of the
 * registry's health.
 *
 * Rules (the database decides, the rest only chooses what to try):
 *  - Every HB_MS the instance writes its heartbeat (registry schema 4);
 *    the live instances are those heard from in the last LIVE_MS.
 *  - A host belongs to the live instance with the highest rendezvous
 *    score hash(instance id, host name) (highest random weight): when an
 *    instance joins or dies, only the hosts it gains or held move.
 *  - An instance pulls a host only after the registry granted it the
 *    host's lease, for one interval from the claim; it claims a host it
 *    owns when the host is due, and any host whose lease lapsed more
 *    than a grace period ago (jitter + timeout + 2 s: its holder would
 *    have renewed it by then) - the take-over of a dead instance's hosts
 *    before the others even noticed it died.
 *  - A verdict is recorded only while its instance still holds the lease
 *    (hv_reg_host_judged, LEASED): a pull that outlived its lease and
 *    was overtaken records nothing.
 *  - An on-demand attestation (POST /v1/hosts/NAME/attest) takes the
 *    lease whoever holds it: the holder's pull in flight, if any, then
 *    records nothing.
 *  - At a clean stop the instance releases its leases; a start under the
 *    same --instance-id releases the ones its predecessor held.
 *
 * The registry's health: a failed heartbeat, claim or record marks it
 * unavailable (one log line, /v1/health, the metrics); the next
 * heartbeat that succeeds marks it available again. Nothing restarts.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "../../lib/util.h"

#define HB_MS 1000
#define LIVE_MS 5000
#define OUTBOX_LEASE_MS 30000

struct hv_fleet {
	struct event *hb;
	char **live;                 /* ids, sorted; this instance among them */
	size_t nlive;
	unsigned gen;                /* bumped when the live set changes */
	int64_t started_ms;
};

int64_t hv_svc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the registry's health ------------------------------------------------ */

void hv_svc_db_failed(struct hv_svc *s, const char *what)
{
	const char *why = hg_err_last();

	s->m.db_errors++;
	if (s->db_down)
		return;
	s->db_down = 1;
	s->db_down_since = (int64_t)time(NULL);
	snprintf(s->db_why, sizeof(s->db_why), "%s: %s", what,
		 why && *why ? why : "registry error");
	fprintf(stderr, "hostgate-verify: serve: registry unavailable (%s);"
		" hosts read unknown once their verdicts are %u s old\n",
		s->db_why, s->cfg.stale_after);
}

static void db_ok(struct hv_svc *s)
{
	if (!s->db_down)
		return;
	s->db_down = 0;
	fprintf(stderr, "hostgate-verify: serve: registry available again after"
		" %lld s\n", (long long)((int64_t)time(NULL) - s->db_down_since));
}

int hv_svc_stale(const struct hv_svc *s, const struct hv_host_status *st,
		 int64_t now)
{
	/* Never judged: unknown already. */
	if (st->state == HV_STATE_UNKNOWN || !st->checked_at)
		return 0;
	return now - st->checked_at > (int64_t)s->cfg.stale_after;
}

/* ---- identity ------------------------------------------------------------------- */

/* hostname:pid, with what an id may not hold made '-'. */
static void default_id(char *id, size_t n)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		snprintf(host, sizeof(host), "localhost");
	snprintf(id, n, "%.100s:%ld", host, (long)getpid());
	for (char *p = id; *p; p++)
		if (!strchr("._:@-", *p) &&
		    !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '-';
}

/* ---- rendezvous ---------------------------------------------------------------------- */

/* FNV-1a over ID, a 0 byte and HOST, then splitmix64's finaliser (FNV
 * alone spreads the last bytes poorly). Not a defence: the names are the
 * operator's. */
static uint64_t score(const char *id, const char *host)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h *= 0x100000001b3ULL;
	for (const char *p = host; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

int hv_fleet_owner_is_me(const struct hv_svc *s, const char *host)
{
	const struct hv_fleet *f = s->fleet;
	const char *best = s->instance;
	uint64_t bs = score(s->instance, host);

	for (size_t i = 0; f && i < f->nlive; i++) {
		uint64_t sc = score(f->live[i], host);

		if (sc > bs || (sc == bs && strcmp(f->live[i], best) < 0)) {
			bs = sc;
			best = f->live[i];
		}
	}
	return best == s->instance || !strcmp(best, s->instance);
}

unsigned hv_fleet_gen(const struct hv_svc *s)
{
	return s->fleet ? s->fleet->gen : 0;
}

size_t hv_fleet_live(const struct hv_svc *s)
{
	return s->fleet && s->fleet->nlive ? s->fleet->nlive : 1;
}

/* ---- claims ----------------------------------------------------------------------------- */

int hv_fleet_claim(struct hv_svc *s, const char *const *names, size_t n,
		   int force, uint8_t *granted, int64_t *until)
{
	int64_t lease = (int64_t)s->cfg.interval * 1000;

	if (hv_reg_lease_claim(s->reg, s->instance, names, n, hv_svc_wall_ms(),
			       lease, force, granted, until) < 0) {
		hv_svc_db_failed(s, "claiming host leases");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (granted[i])
			s->m.leases_granted++;
		else
			s->m.leases_refused++;
	return 0;
}

/* ---- the heartbeat ---------------------------------------------------------------------- */

struct live_list {
	char **v;
	size_t n, cap;
	int oom;
};

static int live_one(void *arg, const char *id)
{
	struct live_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(id))) {
		l->oom = 1;
		return 1;
	}
	l->n++;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int takeover_one(void *arg, const char *name)
{
	hv_sched_takeover(arg, name);
	return 0;
}

static void heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_fleet *f = s->fleet;
	struct live_list l = { 0 };
	int64_t now = hv_svc_wall_ms();
	int64_t grace = ((int64_t)s->cfg.jitter + s->cfg.timeout_ms / 1000 + 2) * 1000;
	int same;

	(void)fd;
	(void)what;
	if (s->stopping)
		return;
	if (hv_reg_heartbeat(s->reg, s->instance, f->started_ms, now,
			     OUTBOX_LEASE_MS) < 0) {
		hv_svc_db_failed(s, "recording the heartbeat");
		return;
	}
	if (hv_reg_instances_live(s->reg, now, LIVE_MS, live_one, &l) != 0 ||
	    l.oom) {
		if (!l.oom)
			hv_svc_db_failed(s, "listing the live instances");
		free_list(l.v, l.n);
		return;
	}
	db_ok(s);
	same = l.n == f->nlive;
	for (size_t i = 0; same && i < l.n; i++)
		same = !strcmp(l.v[i], f->live[i]);
	if (!same) {
		free_list(f->live, f->nlive);
		f->live = l.v;
		f->nlive = l.n;
		f->gen++;
		fprintf(stderr, "hostgate-verify: serve: %zu live instance%s\n",
			l.n, l.n == 1 ? "" : "s");
	} else {
		free_list(l.v, l.n);
	}
	/* Hosts whose holder stopped renewing: anyone may take them. */
	if (hv_reg_leases_lapsed(s->reg, now - grace, takeover_one, s) < 0)
		hv_svc_db_failed(s, "listing lapsed leases");
	hv_outbox_poll(s);
}

int hv_fleet_start(struct hv_svc *s, char *err, size_t errlen)
{
	struct timeval tv = { HB_MS / 1000, (HB_MS % 1000) * 1000 };

	if (s->cfg.instance_id)
		snprintf(s->instance, sizeof(s->instance), "%s", s->cfg.instance_id);
	else
		default_id(s->instance, sizeof(s->instance));
	if (!hv_instance_id_ok(s->instance)) {
		snprintf(err, errlen, "--instance-id \"%s\": not 1..%d of"
			 " [A-Za-z0-9._:@-]", s->instance, HV_INSTANCE_ID_MAX);
		return -1;
	}
	if (!(s->fleet = calloc(1, sizeof(*s->fleet)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->fleet->started_ms = hv_svc_wall_ms();
	/* A predecessor under this id (a restart) held leases nobody else
	 * may take for a while: they are ours again at once. */
	if (hv_reg_instance_leave(s->reg, s->instance) < 0) {
		snprintf(err, errlen, "registry: releasing the leases of %s",
			 s->instance);
		return -1;
	}
	s->fleet->hb = event_new(s->base, -1, EV_PERSIST, heartbeat, s);
	if (!s->fleet->hb || event_add(s->fleet->hb, &tv) < 0) {
		snprintf(err, errlen, "cannot start the heartbeat");
		return -1;
	}
	heartbeat(-1, 0, s);
	fprintf(stderr, "hostgate-verify: serve: instance %s\n", s->instance);
	return 0;
}

void hv_fleet_stop(struct hv_svc *s)
{
	struct hv_fleet *f = s->fleet;

	if (!f)
		return;
	if (f->hb)
		event_free(f->hb);
	/* The hosts and undelivered events go to the others now, not after
	 * the leases would have lapsed. */
	if (hv_reg_instance_leave(s->reg, s->instance) < 0)
		hg_err("serve: could not release the leases of %s: they lapse"
		       " within an interval", s->instance);
	free_list(f->live, f->nlive);
	free(f);
	s->fleet = NULL;
}
