/* registry_fleet.c: what the verifier service keeps per host (schema 3,
 * registry.h): its state and last verdict, its agent URL and group, the
 * bounded verdict history and the incremental-verification blob:
 * hv_state_name(), hv_state_parse(), hv_host_status_free(),
 * hv_reg_status_get(), hv_reg_statuses(), hv_reg_host_set_agent(),
 * hv_reg_host_set_group(), hv_reg_host_judged(), hv_reg_history(),
 * hv_reg_incr_set(), hv_reg_data_version().
 *
 * A judgement is one transaction: state, last verdict, history row and
 * the cut of the history commit together or not at all, so a crash
 * between them cannot leave a state without its verdict.
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/util.h"

static const char *const state_names[HV_NSTATES] = {
	[HV_STATE_UNKNOWN] = "unknown", [HV_STATE_TRUSTED] = "trusted",
	[HV_STATE_UNTRUSTED] = "untrusted",
	[HV_STATE_UNREACHABLE] = "unreachable",
};

const char *hv_state_name(enum hv_state s)
{
	return (unsigned)s < HV_NSTATES ? state_names[s] : "?";
}

int hv_state_parse(const char *s, enum hv_state *out)
{
	for (int i = 0; i < HV_NSTATES; i++)
		if (s && !strcmp(s, state_names[i])) {
			*out = (enum hv_state)i;
			return 0;
		}
	return -1;
}

void hv_host_status_free(struct hv_host_status *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->agent_url);
	free(s->group);
	free(s->verdict);
	free(s->judged_policy);
	free(s->policy);
	free(s->incr);
	memset(s, 0, sizeof(*s));
}

/* The policy assigned to each host now: its own assignment, else its
 * group's, at the latest version ("NAME@VERSION"; NULL none). */
#define STATUS_SELECT \
	"SELECT h.name, h.agent_url, h.host_group, h.state, h.state_since," \
	" h.checked_at, h.failures, h.judged_policy," \
	" (SELECT a.policy || '@' || (SELECT max(p.version) FROM policies p" \
	"   WHERE p.name = a.policy) FROM assignments a" \
	"  WHERE (a.kind = 'host' AND a.target = h.name) OR" \
	"   (a.kind = 'group' AND a.target = h.host_group)" \
	"  ORDER BY a.kind = 'host' DESC LIMIT 1)"

static int read_status(const struct hv_reg *reg, struct db_st *st,
		       struct hv_host_status *s)
{
	int64_t v;
	char *state = NULL;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	if (reg_col_name(reg, st, 0, "hosts.name", &s->name) < 0 ||
	    reg_col_text(reg, st, 1, "hosts.agent_url", HV_URL_MAX, 1,
			 &s->agent_url) < 0 ||
	    reg_col_text(reg, st, 2, "hosts.host_group", HV_HOST_NAME_MAX, 1,
			 &s->group) < 0 ||
	    reg_col_text(reg, st, 3, "hosts.state", 16, 0, &state) < 0 ||
	    reg_col_int(reg, st, 4, "hosts.state_since", 0, INT64_MAX,
			&s->since) < 0 ||
	    reg_col_int(reg, st, 5, "hosts.checked_at", 0, INT64_MAX,
			&s->checked_at) < 0 ||
	    reg_col_int(reg, st, 6, "hosts.failures", 0, UINT32_MAX, &v) < 0 ||
	    reg_col_text(reg, st, 7, "hosts.judged_policy", 2 * HV_HOST_NAME_MAX,
			 1, &s->judged_policy) < 0 ||
	    /* NULL also when the assigned policy has no version (removed by
	     * hand): judged by nothing, like no assignment. */
	    reg_col_text(reg, st, 8, "assignments.policy", 2 * HV_HOST_NAME_MAX,
			 1, &s->policy) < 0)
		goto out;
	if ((s->group && !hv_name_ok(s->group)) ||
	    hv_state_parse(state, &s->state) < 0) {
		hg_err("%s: corrupt registry row (hosts.state or host_group)",
		       reg->path);
		goto out;
	}
	s->failures = (uint32_t)v;
	ret = 0;
out:
	free(state);
	if (ret < 0)
		hv_host_status_free(s);
	return ret;
}

int hv_reg_status_get(struct hv_reg *reg, const char *name, int with_incr,
		      struct hv_host_status *out)
{
	struct db_st *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!hv_host_name_ok(name)) {
		ret = 0;
		goto out;
	}
	if (reg_prep(reg, STATUS_SELECT ", h.last_verdict, h.incr_state"
		     " FROM hosts h WHERE h.name = ?1", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "looking up a host");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up a host")) <= 0) {
		ret = rc;
		goto out;
	}
	if (read_status(reg, st, out) < 0 ||
	    reg_col_text(reg, st, 9, "hosts.last_verdict", HV_VERDICT_MAX, 1,
			 &out->verdict) < 0)
		goto out;
	if (with_incr && db_col_type(st, 10) != DB_NULL) {
		if (reg_col_blob(reg, st, 10, "hosts.incr_state", &out->incr,
				 &out->incr_len) < 0)
			goto out;
		if (out->incr_len > HV_INCR_MAX) {
			hg_err("%s: corrupt registry row (hosts.incr_state)",
			       reg->path);
			goto out;
		}
	}
	ret = 1;
out:
	if (ret < 0)
		hv_host_status_free(out);
	db_finalize(st);
	return ret;
}

int hv_reg_statuses(struct hv_reg *reg,
		    int (*cb)(const struct hv_host_status *s, void *arg),
		    void *arg)
{
	struct db_st *st = NULL;
	struct hv_host_status s = { 0 };
	int rc, ret = -1;

	if (reg_prep(reg, STATUS_SELECT " FROM hosts h ORDER BY h.name",
		     &st) < 0)
		goto out;
	while ((rc = db_step(st)) == 1) {
		int r;

		if (read_status(reg, st, &s) < 0)
			goto out;
		r = cb(&s, arg);
		hv_host_status_free(&s);
		if (r) {
			ret = r;
			goto out;
		}
	}
	if (rc != 0) {
		reg_fail(reg, "listing hosts");
		goto out;
	}
	ret = 0;
out:
	hv_host_status_free(&s);
	db_finalize(st);
	return ret;
}

/* An agent URL: https:// then printable ASCII without space, bounded.
 * libcurl parses it; this only keeps what a listing prints sane. */
static int url_ok(const char *url)
{
	size_t n = strlen(url);

	if (n > HV_URL_MAX || strncmp(url, "https://", 8) || n == 8)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	return 1;
}

/* UPDATE hosts SET COL = VALUE WHERE name = NAME, in one transaction. */
static int host_set(struct hv_reg *reg, const char *name, const char *sql,
		    const char *value, const char *what)
{
	struct db_st *st = NULL;
	int r, ret = -1;

	if (reg_writable(reg, what, 1) < 0)
		goto out;
	if (!hv_host_name_ok(name)) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_begin(reg) < 0 || (r = reg_host_exists(reg, name)) < 0)
		goto out;
	if (r == 0) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_prep(reg, sql, &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 || reg_bind_text(st, 2, value) < 0) {
		reg_fail(reg, what);
		goto out;
	}
	if (reg_step_done(reg, st, what) < 0 || reg_touch(reg) < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	reg_rollback(reg);
	return ret;
}

int hv_reg_host_set_agent(struct hv_reg *reg, const char *name,
			  const char *url)
{
	if (url && !url_ok(url)) {
		hg_err("%s: setting the agent URL: not an https:// URL of at"
		       " most %d printable characters", reg->path, HV_URL_MAX);
		return -1;
	}
	return host_set(reg, name, "UPDATE hosts SET agent_url = ?2"
			" WHERE name = ?1", url, "setting the agent URL");
}

int hv_reg_host_set_group(struct hv_reg *reg, const char *name,
			  const char *group)
{
	if (group && !hv_name_ok(group)) {
		hg_err("%s: setting the group: not a group name", reg->path);
		return -1;
	}
	return host_set(reg, name, "UPDATE hosts SET host_group = ?2"
			" WHERE name = ?1", group, "setting the group");
}

static int read_state(struct hv_reg *reg, const char *name,
		      enum hv_state *state, int64_t *since)
{
	struct db_st *st = NULL;
	char *s = NULL;
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT state, state_since FROM hosts"
		     " WHERE name = ?1", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "reading the host's state");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "reading the host's state")) <= 0) {
		ret = rc;
		goto out;
	}
	if (reg_col_text(reg, st, 0, "hosts.state", 16, 0, &s) < 0 ||
	    reg_col_int(reg, st, 1, "hosts.state_since", 0, INT64_MAX,
			since) < 0)
		goto out;
	if (hv_state_parse(s, state) < 0) {
		hg_err("%s: corrupt registry row (hosts.state)", reg->path);
		goto out;
	}
	ret = 1;
out:
	free(s);
	db_finalize(st);
	return ret;
}

static int judged_write(struct hv_reg *reg, const char *name,
			const struct hv_judgement *j, int64_t since)
{
	struct db_st *st = NULL;
	int ret = -1, keep_last = j->state == HV_STATE_UNREACHABLE;

	if (reg_prep(reg, keep_last ?
		     "UPDATE hosts SET state = ?2, state_since = ?3,"
		     " checked_at = ?4 WHERE name = ?1" :
		     "UPDATE hosts SET state = ?2, state_since = ?3,"
		     " checked_at = ?4, failures = ?5, last_verdict = ?6,"
		     " judged_policy = ?7 WHERE name = ?1", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    reg_bind_text(st, 2, hv_state_name(j->state)) < 0 ||
	    reg_bind_int(st, 3, since) < 0 ||
	    reg_bind_int(st, 4, j->at) < 0 ||
	    (!keep_last &&
	     (reg_bind_int(st, 5, j->failures) < 0 ||
	      reg_bind_text(st, 6, j->verdict) < 0 ||
	      reg_bind_text(st, 7, j->policy) < 0))) {
		reg_fail(reg, "recording the verdict");
		goto out;
	}
	if (reg_step_done(reg, st, "recording the verdict") < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (reg_prep(reg, "INSERT INTO verdicts (host, at, state, verdict)"
		     " VALUES (?1, ?2, ?3, ?4)", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    reg_bind_int(st, 2, j->at) < 0 ||
	    reg_bind_text(st, 3, hv_state_name(j->state)) < 0 ||
	    reg_bind_text(st, 4, j->verdict) < 0) {
		reg_fail(reg, "recording the verdict");
		goto out;
	}
	if (reg_step_done(reg, st, "recording the verdict") < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	/* The history is bounded: keep the newest KEEP rows of this host. */
	if (reg_prep(reg, "DELETE FROM verdicts WHERE host = ?1 AND id <="
		     " (SELECT id FROM verdicts WHERE host = ?1"
		     "  ORDER BY id DESC LIMIT 1 OFFSET ?2)", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    reg_bind_int(st, 2, j->keep) < 0) {
		reg_fail(reg, "cutting the history");
		goto out;
	}
	if (reg_step_done(reg, st, "cutting the history") < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

int hv_reg_host_judged(struct hv_reg *reg, const char *name,
		       const struct hv_judgement *j, enum hv_state *was,
		       int64_t *was_since)
{
	enum hv_state old = HV_STATE_UNKNOWN;
	int64_t since = 0;
	int r, ret = -1, synced = 1;

	if (reg_writable(reg, "recording a verdict", j->at) < 0)
		goto out;
	if ((unsigned)j->state >= HV_NSTATES || j->keep < 1 ||
	    j->keep > HV_HISTORY_MAX ||
	    (j->verdict && strlen(j->verdict) > HV_VERDICT_MAX)) {
		hg_err("%s: recording a verdict: bad judgement", reg->path);
		goto out;
	}
	if (!hv_host_name_ok(name)) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	/* A verdict's commit is not flushed to disk on its own (SQLite: WAL,
	 * synchronous NORMAL; PostgreSQL: synchronous_commit off): the service records one per attestation, and
	 * an fsync each (milliseconds on a virtual disk) would bound a whole
	 * fleet to a few hundred attestations a second, with the event loop
	 * blocked meanwhile. The file stays consistent; what a power loss
	 * (not a crash of the process) can lose is the last verdicts, and
	 * each host is attested again within an interval. Every other
	 * transaction, a push nonce's spending above all, is flushed
	 * (FULL), and its flush carries the verdicts before it. */
	if (reg_lazy_commit(reg, 1) < 0) {
		reg_fail(reg, "recording a verdict");
		goto out;
	}
	synced = 0;
	if (reg_begin(reg) < 0 ||
	    (r = read_state(reg, name, &old, &since)) < 0)
		goto out;
	if (r == 0) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	/* Schema 4: a verdict made under a lease another instance has
	 * claimed since is that instance's to make (registry_share.c). */
	if (j->leased && (r = reg_lease_held(reg, name, j->instance)) <= 0) {
		ret = r < 0 ? -1 : HV_LEASE_LOST;
		goto out;
	}
	if (judged_write(reg, name, j, old == j->state ? since : j->at) < 0 ||
	    reg_share_judged(reg, name, j, old, since) < 0 ||
	    reg_commit(reg) < 0)
		goto out;
	if (was)
		*was = old;
	if (was_since)
		*was_since = since;
	ret = 0;
out:
	reg_rollback(reg);
	if (!synced && reg_lazy_commit(reg, 0) < 0) {
		reg_fail(reg, "recording a verdict");
		ret = -1;
	}
	return ret;
}

int hv_reg_history(struct hv_reg *reg, const char *name, unsigned limit,
		   int (*cb)(void *arg, int64_t at, enum hv_state state,
			     const char *verdict),
		   void *arg)
{
	struct db_st *st = NULL;
	char *state = NULL, *verdict = NULL;
	enum hv_state s;
	int64_t at;
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT at, state, verdict FROM verdicts"
		     " WHERE host = ?1 ORDER BY id DESC LIMIT ?2", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    reg_bind_int(st, 2, limit) < 0) {
		reg_fail(reg, "reading the history");
		goto out;
	}
	while ((rc = db_step(st)) == 1) {
		int r;

		if (reg_col_int(reg, st, 0, "verdicts.at", 0, INT64_MAX, &at) < 0 ||
		    reg_col_text(reg, st, 1, "verdicts.state", 16, 0, &state) < 0 ||
		    reg_col_text(reg, st, 2, "verdicts.verdict", HV_VERDICT_MAX,
				 1, &verdict) < 0)
			goto out;
		if (hv_state_parse(state, &s) < 0) {
			hg_err("%s: corrupt registry row (verdicts.state)",
			       reg->path);
			goto out;
		}
		r = cb(arg, at, s, verdict);
		free(state);
		free(verdict);
		state = verdict = NULL;
		if (r) {
			ret = r;
			goto out;
		}
	}
	if (rc != 0) {
		reg_fail(reg, "reading the history");
		goto out;
	}
	ret = 0;
out:
	free(state);
	free(verdict);
	db_finalize(st);
	return ret;
}

int hv_reg_incr_set(struct hv_reg *reg, const char *name,
		    const uint8_t *blob, size_t len)
{
	struct db_st *st = NULL;
	int r, ret = -1;

	if (reg_writable(reg, "storing the incremental state", 1) < 0)
		goto out;
	if (len > HV_INCR_MAX) {
		hg_err("%s: storing the incremental state: %zu bytes, more than"
		       " %u", reg->path, len, HV_INCR_MAX);
		goto out;
	}
	if (!hv_host_name_ok(name)) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_begin(reg) < 0 || (r = reg_host_exists(reg, name)) < 0)
		goto out;
	if (r == 0) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_prep(reg, "UPDATE hosts SET incr_state = ?2 WHERE name = ?1",
		     &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    (blob && len ? reg_bind_blob(st, 2, blob, len) :
	     db_bind_null(st, 2) < 0 ? -1 : 0) < 0) {
		reg_fail(reg, "storing the incremental state");
		goto out;
	}
	if (reg_step_done(reg, st, "storing the incremental state") < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	reg_rollback(reg);
	return ret;
}

/* SQLite: PRAGMA data_version, which changes whenever another
 * connection commits to the file. PostgreSQL has no such number: the
 * registry's own counter (registry.data_version), bumped by every
 * transaction that changes hosts, their agents or groups, policies or
 * assignments (reg_touch()), and not by verdicts or incremental state,
 * so the service's scheduler is not woken by the fleet's attestations. */
#define DV_CACHE_MS 250

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int hv_reg_data_version(struct hv_reg *reg, int64_t *out)
{
	struct db_st *st = NULL;
	uint64_t now = 0;
	int ret = -1;

	/* The service asks every tick (20 ms): on PostgreSQL that would be
	 * 50 round trips a second for a cue; one read per DV_CACHE_MS. */
	if (REG_PG(reg)) {
		now = mono_ms();
		if (reg->dv_ms && now - reg->dv_ms < DV_CACHE_MS) {
			*out = reg->dv;
			return 0;
		}
	}

	if (reg_prep(reg, REG_PG(reg) ? "SELECT data_version FROM registry" :
		     "PRAGMA data_version", &st) < 0)
		goto out;
	if (reg_step_row(reg, st, "reading the data version") != 1 ||
	    reg_col_int(reg, st, 0, "registry.data_version", INT64_MIN,
			INT64_MAX, out) < 0)
		goto out;
	reg->dv = *out;
	reg->dv_ms = now;
	ret = 0;
out:
	db_finalize(st);
	return ret;
}
