/* registry_share.c: schema 4 of the registry (registry.h), what lets
 * several `serve` instances share one registry (issue 15, docs/fleet.md):
 * instance heartbeats, host leases, the webhook outbox, and the part of
 * a judgement's transaction that names its instance and writes its
 * outbox row (called from hv_reg_host_judged()).
 *
 * The database decides. A lease is granted by one UPDATE whose WHERE
 * holds only while the lease has ended, so of two instances claiming
 * one host at once exactly one gets a row back (SQLite: the write lock
 * of BEGIN IMMEDIATE; PostgreSQL: the row lock, whose holder's commit
 * makes the other UPDATE re-check the WHERE and skip the row). What the
 * instances believe about each other (liveness, rendezvous ownership)
 * only chooses which hosts they try.
 *
 * Written with the helpers of registry_sql.c and portable SQL only
 * (UPDATE ... RETURNING, INSERT ... ON CONFLICT: SQLite >= 3.35 and
 * PostgreSQL), so the PostgreSQL backend takes the statements as they
 * are. Lease and heartbeat writes are not flushed one by one
 * (synchronous NORMAL, as verdicts): a power loss that loses a lease
 * loses nothing but the lease, which then lapses.
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"

#define DAY_MS (86400LL * 1000)

int hv_instance_id_ok(const char *id)
{
	size_t n;

	if (!id)
		return 0;
	n = strlen(id);
	if (n < 1 || n > HV_INSTANCE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._:@-", c)))
			return 0;
	}
	return 1;
}

/* Run SQL with ID (1) and up to three integers (2..4) bound, to the
 * end: for the statements here that return no row. */
static int run(struct hv_reg *reg, const char *sql, const char *id,
	       int nint, const int64_t *v, const char *what)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, sql, &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, id) < 0) {
		reg_fail(reg, what);
		goto out;
	}
	for (int i = 0; i < nint; i++)
		if (reg_bind_int(st, 2 + i, v[i]) < 0) {
			reg_fail(reg, what);
			goto out;
		}
	ret = reg_step_done(reg, st, what);
out:
	db_finalize(st);
	return ret;
}

static int bad_id(const struct hv_reg *reg, const char *id, const char *what)
{
	if (hv_instance_id_ok(id))
		return 0;
	hg_err("%s: %s: bad instance id", reg->path, what);
	return -1;
}

/* Lease writes are not flushed one by one (the file header). */
static int nosync(struct hv_reg *reg, const char *what)
{
	if (reg_lazy_commit(reg, 1) < 0) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

static int resync(struct hv_reg *reg, const char *what)
{
	if (reg_lazy_commit(reg, 0) < 0) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

int hv_reg_set_timeout(struct hv_reg *reg, unsigned ms)
{
	if (reg->db->ops->set_timeout(reg->db, ms > 600000 ? 600000 : ms) < 0) {
		reg_fail(reg, "setting the statement timeout");
		return -1;
	}
	return 0;
}

/* ---- instances ----------------------------------------------------------- */

int hv_reg_heartbeat(struct hv_reg *reg, const char *id, int64_t started,
		     int64_t now, int64_t outbox_lease)
{
	const char *what = "recording a heartbeat";
	int64_t v[2] = { started, now };
	int64_t held = now + outbox_lease, old = now - DAY_MS;
	int ret = -1;

	if (reg_writable(reg, what, now) < 0 || bad_id(reg, id, what) < 0)
		return -1;
	if (nosync(reg, what) < 0)
		return -1;
	if (reg_begin(reg) < 0 ||
	    run(reg, "INSERT INTO instances (id, started_at, heartbeat_at)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET"
		" heartbeat_at = excluded.heartbeat_at", id, 2, v, what) < 0 ||
	    run(reg, "UPDATE outbox SET lease_until = ?2 WHERE lease_owner = ?1",
		id, 1, &held, what) < 0 ||
	    run(reg, "DELETE FROM instances WHERE heartbeat_at < ?2 AND id <> ?1",
		id, 1, &old, what) < 0 ||
	    reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	reg_rollback(reg);
	if (resync(reg, what) < 0)
		ret = -1;
	return ret;
}

int hv_reg_instances_live(struct hv_reg *reg, int64_t now, int64_t live,
			  int (*cb)(void *arg, const char *id), void *arg)
{
	struct db_st *st = NULL;
	char *id = NULL;
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT id FROM instances WHERE heartbeat_at > ?1"
		     " ORDER BY id", &st) < 0)
		goto out;
	if (reg_bind_int(st, 1, now - live) < 0) {
		reg_fail(reg, "listing instances");
		goto out;
	}
	while ((rc = reg_step_row(reg, st, "listing instances")) == 1) {
		if (reg_col_text(reg, st, 0, "instances.id", HV_INSTANCE_ID_MAX,
				 0, &id) < 0)
			goto out;
		if (!hv_instance_id_ok(id)) {
			hg_err("%s: corrupt registry row (instances.id)", reg->path);
			goto out;
		}
		if ((ret = cb(arg, id)) != 0)
			goto out;
		free(id);
		id = NULL;
	}
	if (rc < 0)
		goto out;
	ret = 0;
out:
	free(id);
	db_finalize(st);
	return ret;
}

int hv_reg_instance_leave(struct hv_reg *reg, const char *id)
{
	const char *what = "releasing the instance's leases";
	int ret = -1;

	if (reg->rdonly) {
		hg_err("%s: %s: registry opened read-only", reg->path, what);
		return -1;
	}
	if (bad_id(reg, id, what) < 0)
		return -1;
	if (reg_begin(reg) < 0 ||
	    run(reg, "UPDATE hosts SET lease_owner = NULL, lease_until = 0"
		" WHERE lease_owner = ?1", id, 0, NULL, what) < 0 ||
	    run(reg, "UPDATE outbox SET lease_owner = NULL, lease_until = 0"
		" WHERE lease_owner = ?1", id, 0, NULL, what) < 0 ||
	    run(reg, "DELETE FROM instances WHERE id = ?1", id, 0, NULL,
		what) < 0 ||
	    reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	reg_rollback(reg);
	return ret;
}

/* ---- host leases ------------------------------------------------------------ */

/* When host NAME's lease ends (0: no such host): 0, or -1. */
static int lease_until(struct hv_reg *reg, struct db_st *st, const char *name,
		       int64_t *until)
{
	int r;

	*until = 0;
	db_reset(st);
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "reading a lease");
		return -1;
	}
	if ((r = reg_step_row(reg, st, "reading a lease")) < 0)
		return -1;
	if (r && reg_col_int(reg, st, 0, "hosts.lease_until", 0, INT64_MAX,
			     until) < 0)
		return -1;
	return 0;
}

int hv_reg_lease_claim(struct hv_reg *reg, const char *id,
		       const char *const *names, size_t n, int64_t now,
		       int64_t lease, int force, uint8_t *granted,
		       int64_t *until)
{
	const char *what = "claiming host leases";
	struct db_st *up = NULL, *rd = NULL;
	int r, ret = -1;

	memset(granted, 0, n);
	if (reg_writable(reg, what, now) < 0 || bad_id(reg, id, what) < 0)
		return -1;
	if (lease < 1) {
		hg_err("%s: %s: bad lease time", reg->path, what);
		return -1;
	}
	if (nosync(reg, what) < 0)
		return -1;
	/* ?4 = 1: force (an on-demand attestation takes the lease). The
	 * holder may renew its own lease early (a policy change re-judges
	 * at once): no other instance attests meanwhile either way. */
	if (reg_begin(reg) < 0 ||
	    reg_prep(reg, "UPDATE hosts SET lease_owner = ?1, lease_until = ?2"
		     " WHERE name = ?3 AND (lease_until <= ?5 OR ?4 = 1 OR"
		     " lease_owner = ?1) RETURNING name", &up) < 0 ||
	    reg_prep(reg, "SELECT lease_until FROM hosts WHERE name = ?1",
		     &rd) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		db_reset(up);
		if (reg_bind_text(up, 1, id) < 0 ||
		    reg_bind_int(up, 2, now + lease) < 0 ||
		    reg_bind_text(up, 3, names[i]) < 0 ||
		    reg_bind_int(up, 4, force ? 1 : 0) < 0 ||
		    reg_bind_int(up, 5, now) < 0) {
			reg_fail(reg, what);
			goto out;
		}
		if ((r = reg_step_row(reg, up, what)) < 0)
			goto out;
		granted[i] = (uint8_t)r;
		/* Finish the statement before the next one reads. */
		db_reset(up);
		if (!r && until && lease_until(reg, rd, names[i], &until[i]) < 0)
			goto out;
	}
	db_finalize(up);
	db_finalize(rd);
	up = rd = NULL;
	if (reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	db_finalize(up);
	db_finalize(rd);
	reg_rollback(reg);
	if (ret < 0)
		memset(granted, 0, n);
	if (resync(reg, what) < 0)
		ret = -1;
	return ret;
}

int hv_reg_leases_lapsed(struct hv_reg *reg, int64_t before,
			 int (*cb)(void *arg, const char *name), void *arg)
{
	struct db_st *st = NULL;
	char *name = NULL;
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT name FROM hosts WHERE lease_until > 0 AND"
		     " lease_until < ?1 ORDER BY name", &st) < 0)
		goto out;
	if (reg_bind_int(st, 1, before) < 0) {
		reg_fail(reg, "listing lapsed leases");
		goto out;
	}
	while ((rc = reg_step_row(reg, st, "listing lapsed leases")) == 1) {
		if (reg_col_name(reg, st, 0, "hosts.name", &name) < 0)
			goto out;
		if ((ret = cb(arg, name)) != 0)
			goto out;
		free(name);
		name = NULL;
	}
	if (rc < 0)
		goto out;
	ret = 0;
out:
	free(name);
	db_finalize(st);
	return ret;
}

int reg_lease_held(struct hv_reg *reg, const char *name, const char *instance)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (bad_id(reg, instance, "recording a verdict") < 0)
		return -1;
	if (reg_prep(reg, "SELECT 1 FROM hosts WHERE name = ?1 AND"
		     " lease_owner = ?2", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    reg_bind_text(st, 2, instance) < 0) {
		reg_fail(reg, "recording a verdict");
		goto out;
	}
	ret = reg_step_row(reg, st, "recording a verdict");
out:
	db_finalize(st);
	return ret;
}

/* ---- what a judgement adds ------------------------------------------------- */

int reg_share_judged(struct hv_reg *reg, const char *name,
		     const struct hv_judgement *j, enum hv_state from,
		     int64_t since)
{
	const char *what = "recording the verdict";
	struct db_st *st = NULL;
	int ret = -1;

	if (j->instance) {
		if (bad_id(reg, j->instance, what) < 0 ||
		    reg_prep(reg, "UPDATE verdicts SET instance = ?2 WHERE id ="
			     " (SELECT max(id) FROM verdicts WHERE host = ?1)",
			     &st) < 0)
			goto out;
		if (reg_bind_text(st, 1, name) < 0 ||
		    reg_bind_text(st, 2, j->instance) < 0) {
			reg_fail(reg, what);
			goto out;
		}
		if (reg_step_done(reg, st, what) < 0)
			goto out;
		db_finalize(st);
		st = NULL;
	}
	if (j->event && from != j->state) {
		if (reg_prep(reg, "INSERT INTO outbox (host, at, from_state,"
			     " to_state, since, detail) VALUES (?1, ?2, ?3, ?4,"
			     " ?5, ?6)", &st) < 0)
			goto out;
		if (reg_bind_text(st, 1, name) < 0 ||
		    reg_bind_int(st, 2, j->at) < 0 ||
		    reg_bind_text(st, 3, hv_state_name(from)) < 0 ||
		    reg_bind_text(st, 4, hv_state_name(j->state)) < 0 ||
		    reg_bind_int(st, 5, since) < 0 ||
		    reg_bind_text(st, 6, j->event) < 0) {
			reg_fail(reg, what);
			goto out;
		}
		if (reg_step_done(reg, st, what) < 0)
			goto out;
	}
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

/* ---- the outbox --------------------------------------------------------------- */

static void row_free(struct hv_outbox_row *r)
{
	free(r->host);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

static int read_row(const struct hv_reg *reg, struct db_st *st,
		    struct hv_outbox_row *r)
{
	char *from = NULL, *to = NULL;
	int64_t claims;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (reg_col_int(reg, st, 0, "outbox.id", 1, INT64_MAX, &r->id) < 0 ||
	    reg_col_name(reg, st, 1, "outbox.host", &r->host) < 0 ||
	    reg_col_int(reg, st, 2, "outbox.at", 0, INT64_MAX, &r->at) < 0 ||
	    reg_col_text(reg, st, 3, "outbox.from_state", 16, 0, &from) < 0 ||
	    reg_col_text(reg, st, 4, "outbox.to_state", 16, 0, &to) < 0 ||
	    reg_col_int(reg, st, 5, "outbox.since", 0, INT64_MAX, &r->since) < 0 ||
	    reg_col_text(reg, st, 6, "outbox.detail", HV_VERDICT_MAX, 0,
			 &r->detail) < 0 ||
	    reg_col_int(reg, st, 7, "outbox.claims", 0, UINT32_MAX, &claims) < 0)
		goto out;
	if (hv_state_parse(from, &r->from) < 0 || hv_state_parse(to, &r->to) < 0) {
		hg_err("%s: corrupt registry row (outbox state)", reg->path);
		goto out;
	}
	r->claims = (uint32_t)claims;
	ret = 0;
out:
	free(from);
	free(to);
	if (ret < 0)
		row_free(r);
	return ret;
}

int hv_reg_outbox_claim(struct hv_reg *reg, const char *id, int64_t now,
			int64_t lease, unsigned max,
			int (*cb)(void *arg, const struct hv_outbox_row *r),
			void *arg)
{
	const char *what = "claiming webhook events";
	struct hv_outbox_row *rows = NULL;
	struct db_st *st = NULL;
	size_t n = 0;
	int rc, ret = -1;

	if (reg_writable(reg, what, now) < 0 || bad_id(reg, id, what) < 0)
		return -1;
	if (!max)
		return 0;
	if (!(rows = calloc(max, sizeof(*rows)))) {
		hg_err("%s: %s: out of memory", reg->path, what);
		return -1;
	}
	/* The rows are read whole inside the transaction and handed out
	 * after its commit: a callback never runs under the lock. */
	if (reg_begin(reg) < 0 ||
	    reg_prep(reg, "UPDATE outbox SET lease_owner = ?1, lease_until = ?2,"
		     " claims = claims + 1 WHERE id IN (SELECT id FROM outbox"
		     " WHERE lease_until <= ?3 ORDER BY id LIMIT ?4)"
		     " RETURNING id, host, at, from_state, to_state, since,"
		     " detail, claims", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, id) < 0 || reg_bind_int(st, 2, now + lease) < 0 ||
	    reg_bind_int(st, 3, now) < 0 || reg_bind_int(st, 4, max) < 0) {
		reg_fail(reg, what);
		goto out;
	}
	while (n < max && (rc = reg_step_row(reg, st, what)) == 1)
		if (read_row(reg, st, &rows[n++]) < 0)
			goto out;
	if (n < max && rc < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (reg_commit(reg) < 0)
		goto out;
	ret = 0;
	for (size_t i = 0; i < n && !ret; i++)
		ret = cb(arg, &rows[i]);
out:
	db_finalize(st);
	reg_rollback(reg);
	for (size_t i = 0; i < n; i++)
		row_free(&rows[i]);
	free(rows);
	return ret;
}

int hv_reg_outbox_done(struct hv_reg *reg, int64_t row, const char *id)
{
	const char *what = "deleting a delivered webhook event";

	if (reg->rdonly || bad_id(reg, id, what) < 0) {
		if (reg->rdonly)
			hg_err("%s: %s: registry opened read-only", reg->path, what);
		return -1;
	}
	return run(reg, "DELETE FROM outbox WHERE lease_owner = ?1 AND id = ?2",
		   id, 1, &row, what);
}
