/* registry_push.c: the push-mode nonces (schema 3, registry.h):
 * hv_reg_nonce_add() and hv_reg_nonce_take().
 *
 * Why in the registry and not in the service's memory: a nonce must be
 * single-use across a restart too (a crash must not make a spent nonce
 * new again), and two verifiers sharing one registry must not both
 * accept it. The take is one write transaction (reg_begin()): read, decide,
 * mark used, commit; a second take of the same nonce waits for the lock
 * and then sees it used.
 *
 * Used nonces stay (as used) until an hour after their expiry, so a
 * replay is told apart from a nonce never issued; then they are purged,
 * and a replay that late is "unknown" (still refused).
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"

#define HV_NONCE_PURGE_AFTER 3600

int hv_reg_nonce_add(struct hv_reg *reg, const uint8_t *nonce,
		     const char *host, int64_t now, int64_t ttl, unsigned max)
{
	struct db_st *st = NULL;
	int64_t outstanding;
	int r, ret = -1;

	if (reg_writable(reg, "storing a nonce", now) < 0)
		goto out;
	if (ttl <= 0 || !max) {
		hg_err("%s: storing a nonce: bad ttl or bound", reg->path);
		goto out;
	}
	if (!hv_host_name_ok(host)) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_begin(reg) < 0 || (r = reg_host_exists(reg, host)) < 0)
		goto out;
	if (r == 0) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_prep(reg, "DELETE FROM nonces WHERE expires_at < ?1", &st) < 0)
		goto out;
	if (reg_bind_int(st, 1, now - HV_NONCE_PURGE_AFTER) < 0) {
		reg_fail(reg, "purging nonces");
		goto out;
	}
	if (reg_step_done(reg, st, "purging nonces") < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	/* A host asking for nonces it never uses cannot grow the table. */
	if (reg_prep(reg, "SELECT count(*) FROM nonces WHERE host = ?1"
		     " AND used_at = 0 AND expires_at > ?2", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, host) < 0 ||
	    reg_bind_int(st, 2, now) < 0) {
		reg_fail(reg, "counting nonces");
		goto out;
	}
	if (reg_step_row(reg, st, "counting nonces") != 1 ||
	    reg_col_int(reg, st, 0, "count(nonces)", 0, INT64_MAX,
			&outstanding) < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (outstanding >= (int64_t)max) {
		ret = HV_NONCE_TOO_MANY;
		goto out;
	}
	if (reg_prep(reg, "INSERT INTO nonces (nonce, host, created_at,"
		     " expires_at) VALUES (?1, ?2, ?3, ?4)", &st) < 0)
		goto out;
	if (reg_bind_blob(st, 1, nonce, HV_NONCE_BYTES) < 0 ||
	    reg_bind_text(st, 2, host) < 0 ||
	    reg_bind_int(st, 3, now) < 0 ||
	    reg_bind_int(st, 4, now + ttl) < 0) {
		reg_fail(reg, "storing a nonce");
		goto out;
	}
	if (reg_step_done(reg, st, "storing a nonce") < 0)
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

int hv_reg_nonce_take(struct hv_reg *reg, const uint8_t *nonce,
		      const char *host, int64_t now)
{
	struct db_st *st = NULL;
	char *owner = NULL;
	int64_t expires, used;
	int rc, ret = -1;

	if (reg_writable(reg, "using a nonce", now) < 0)
		goto out;
	if (reg_begin(reg) < 0 ||
	    reg_prep(reg, "SELECT host, expires_at, used_at FROM nonces"
		     " WHERE nonce = ?1", &st) < 0)
		goto out;
	if (reg_bind_blob(st, 1, nonce, HV_NONCE_BYTES) < 0) {
		reg_fail(reg, "looking up a nonce");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up a nonce")) < 0)
		goto out;
	if (rc == 0) {
		ret = HV_NONCE_UNKNOWN;
		goto out;
	}
	if (reg_col_name(reg, st, 0, "nonces.host", &owner) < 0 ||
	    reg_col_int(reg, st, 1, "nonces.expires_at", INT64_MIN, INT64_MAX,
			&expires) < 0 ||
	    reg_col_int(reg, st, 2, "nonces.used_at", 0, INT64_MAX, &used) < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	/* The order of the refusals: a nonce of another host is that
	 * host's business (whether it used it is not ours to learn); a used
	 * one is a replay whatever its age. */
	if (strcmp(owner, host)) {
		ret = HV_NONCE_FOREIGN;
		goto out;
	}
	if (used) {
		ret = HV_NONCE_USED;
		goto out;
	}
	if (now >= expires) {
		ret = HV_NONCE_EXPIRED;
		goto out;
	}
	if (reg_prep(reg, "UPDATE nonces SET used_at = ?2 WHERE nonce = ?1",
		     &st) < 0)
		goto out;
	if (reg_bind_blob(st, 1, nonce, HV_NONCE_BYTES) < 0 ||
	    reg_bind_int(st, 2, now) < 0) {
		reg_fail(reg, "using a nonce");
		goto out;
	}
	if (reg_step_done(reg, st, "using a nonce") < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	free(owner);
	db_finalize(st);
	reg_rollback(reg);
	return ret;
}
