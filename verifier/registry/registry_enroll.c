/* registry_enroll.c: the enrollment challenges and the enrollment itself
 * (see registry.h): hv_reg_challenge_add(), hv_reg_challenge_get(),
 * hv_reg_challenge_spend(), hv_reg_enroll() and hv_challenge_free().
 *
 * Every writer here holds the write lock (reg_begin()) from its
 * first read to its commit, so a challenge is answered once even with
 * two verifiers racing on it.
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"

#define HV_REG_PURGE_AFTER 86400        /* s a finished challenge is kept */

void hv_challenge_free(struct hv_challenge *c)
{
	if (!c)
		return;
	free(c->host);
	free(c->ek_cert);
	free(c->ak_pub);
	memset(c, 0, sizeof(*c));
}

/* Fill C from a row of CHALLENGE_COLS. */
static int read_challenge(const struct hv_reg *reg, struct db_st *st,
			  struct hv_challenge *c)
{
	int64_t replace;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (reg_col_fixed(reg, st, 0, "challenges.id", c->id,
			  HV_CHALLENGE_ID_LEN) < 0 ||
	    reg_col_name(reg, st, 1, "challenges.host", &c->host) < 0 ||
	    reg_col_int(reg, st, 2, "challenges.replace", 0, 1, &replace) < 0 ||
	    reg_col_fixed(reg, st, 3, "challenges.secret_sha256",
			  c->secret_sha256, 32) < 0 ||
	    reg_col_fixed(reg, st, 4, "challenges.ek_fpr", c->ek_fpr, 32) < 0 ||
	    reg_col_blob(reg, st, 5, "challenges.ek_cert", &c->ek_cert,
			 &c->ek_cert_len) < 0 ||
	    reg_col_blob(reg, st, 6, "challenges.ak_pub", &c->ak_pub,
			 &c->ak_pub_len) < 0 ||
	    reg_col_int(reg, st, 7, "challenges.created_at", INT64_MIN,
			INT64_MAX, &c->created_at) < 0 ||
	    reg_col_int(reg, st, 8, "challenges.expires_at", INT64_MIN,
			INT64_MAX, &c->expires_at) < 0 ||
	    reg_col_int(reg, st, 9, "challenges.answered_at", 0, INT64_MAX,
			&c->answered_at) < 0 ||
	    reg_col_fixed(reg, st, 10, "challenges.ek_key", c->ek_key, 32) < 0 ||
	    reg_col_var(reg, st, 11, "challenges.ak_name", c->ak_name,
			HV_AK_NAME_MAX, &c->ak_name_len) < 0)
		goto out;
	c->replace = (int)replace;
	ret = 0;
out:
	if (ret < 0)
		hv_challenge_free(c);
	return ret;
}

/* ---- challenges ------------------------------------------------------- */

int hv_reg_challenge_add(struct hv_reg *reg, const struct hv_challenge *c)
{
	struct db_st *st = NULL;
	int64_t cutoff;
	int ret = -1;

	if (reg_writable(reg, "storing a challenge", c->created_at) < 0)
		goto out;
	if (!hv_host_name_ok(c->host)) {
		hg_err("%s: storing a challenge: bad host name", reg->path);
		goto out;
	}
	if (!c->ek_cert || !c->ek_cert_len || !c->ak_pub || !c->ak_pub_len ||
	    !c->ak_name_len || c->ak_name_len > HV_AK_NAME_MAX) {
		hg_err("%s: storing a challenge: empty EK certificate or AK",
		       reg->path);
		goto out;
	}
	if (reg_begin(reg) < 0)
		goto out;
	/* created_at > 0 (reg_writable()), so this cannot overflow. */
	cutoff = c->created_at - HV_REG_PURGE_AFTER;
	if (reg_prep(reg, "DELETE FROM challenges WHERE"
		     " (answered_at <> 0 AND answered_at < ?1)"
		     " OR expires_at < ?1", &st) < 0)
		goto out;
	if (reg_bind_int(st, 1, cutoff) < 0 ||
	    reg_step_done(reg, st, "purging old challenges") < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (reg_prep(reg, "INSERT INTO challenges (" CHALLENGE_COLS ")"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11)",
		     &st) < 0)
		goto out;
	if (reg_bind_blob(st, 1, c->id, HV_CHALLENGE_ID_LEN) < 0 ||
	    reg_bind_text(st, 2, c->host) < 0 ||
	    reg_bind_int(st, 3, c->replace ? 1 : 0) < 0 ||
	    reg_bind_blob(st, 4, c->secret_sha256, 32) < 0 ||
	    reg_bind_blob(st, 5, c->ek_fpr, 32) < 0 ||
	    reg_bind_blob(st, 6, c->ek_cert, c->ek_cert_len) < 0 ||
	    reg_bind_blob(st, 7, c->ak_pub, c->ak_pub_len) < 0 ||
	    reg_bind_int(st, 8, c->created_at) < 0 ||
	    reg_bind_int(st, 9, c->expires_at) < 0 ||
	    reg_bind_blob(st, 10, c->ek_key, 32) < 0 ||
	    reg_bind_blob(st, 11, c->ak_name, c->ak_name_len) < 0) {
		reg_fail(reg, "storing a challenge");
		goto out;
	}
	if (reg_step_done(reg, st, "storing a challenge") < 0 ||
	    reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	reg_rollback(reg);
	return ret;
}

int hv_reg_challenge_get(struct hv_reg *reg,
			 const uint8_t id[HV_CHALLENGE_ID_LEN],
			 struct hv_challenge *out)
{
	struct db_st *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (reg_prep(reg, "SELECT " CHALLENGE_COLS " FROM challenges"
		     " WHERE id = ?1", &st) < 0)
		goto out;
	if (reg_bind_blob(st, 1, id, HV_CHALLENGE_ID_LEN) < 0) {
		reg_fail(reg, "looking up a challenge");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up a challenge")) <= 0) {
		ret = rc;
		goto out;
	}
	if (read_challenge(reg, st, out) < 0)
		goto out;
	ret = 1;
out:
	db_finalize(st);
	return ret;
}

/* Inside the caller's transaction. */
static int mark_answered(struct hv_reg *reg,
			 const uint8_t id[HV_CHALLENGE_ID_LEN], int64_t now)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, "UPDATE challenges SET answered_at = ?2"
		     " WHERE id = ?1 AND answered_at = 0", &st) < 0)
		goto out;
	if (reg_bind_blob(st, 1, id, HV_CHALLENGE_ID_LEN) < 0 ||
	    reg_bind_int(st, 2, now) < 0) {
		reg_fail(reg, "spending the challenge");
		goto out;
	}
	if (reg_step_done(reg, st, "spending the challenge") < 0)
		goto out;
	/* Under the write lock the row was just read pending: anything but
	 * one change means the database is not behaving as a database. */
	if (db_changes(reg->db) != 1) {
		hg_err("%s: spending the challenge: it changed under the lock",
		       reg->path);
		goto out;
	}
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

int hv_reg_challenge_spend(struct hv_reg *reg,
			   const uint8_t id[HV_CHALLENGE_ID_LEN], int64_t now)
{
	struct hv_challenge c = { 0 };
	int r, ret = -1;

	if (reg_writable(reg, "spending a challenge", now) < 0 ||
	    reg_begin(reg) < 0)
		goto out;
	r = hv_reg_challenge_get(reg, id, &c);
	if (r < 0)
		goto out;
	if (r == 0) {
		ret = HV_ENROLL_UNKNOWN;
		goto out;
	}
	if (c.answered_at) {
		ret = HV_ENROLL_ANSWERED;
		goto out;
	}
	if (mark_answered(reg, id, now) < 0 || reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	reg_rollback(reg);
	hv_challenge_free(&c);
	return ret;
}

/* ---- enrollment ------------------------------------------------------- */

/* The enrolled EK of HOST: 1 found, 0 not, -1 error. Only the columns the
 * enrollment needs, still checked. */
static int host_ek(struct hv_reg *reg, const char *host, uint8_t fpr[32],
		   int64_t *replacements)
{
	struct db_st *st = NULL;
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT ek_fpr, replacements FROM hosts"
		     " WHERE name = ?1", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, host) < 0) {
		reg_fail(reg, "looking up the host");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up the host")) <= 0) {
		ret = rc;
		goto out;
	}
	if (reg_col_fixed(reg, st, 0, "hosts.ek_fpr", fpr, 32) < 0 ||
	    reg_col_int(reg, st, 1, "hosts.replacements", 0, UINT32_MAX,
			replacements) < 0)
		goto out;
	ret = 1;
out:
	db_finalize(st);
	return ret;
}

/* Insert or update the host row from challenge C. first_enrolled_at is
 * only ever written by the INSERT. A re-enrollment starts the host's
 * attestation state afresh (schema 3): a verdict or incremental state
 * reached under the old AK says nothing about the new one. */
static int host_store(struct hv_reg *reg, const struct hv_challenge *c,
		      int exists, int64_t replacements, int64_t now)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, exists ?
		     "UPDATE hosts SET ek_fpr = ?2, ek_cert = ?3, ak_pub = ?4,"
		     " enrolled_at = ?5, replacements = ?6, ek_key = ?7,"
		     " ak_name = ?8, state = 'unknown', state_since = ?5,"
		     " incr_state = NULL WHERE name = ?1" :
		     "INSERT INTO hosts (" HOST_COLS ", state_since)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?5)", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, c->host) < 0 ||
	    reg_bind_blob(st, 2, c->ek_fpr, 32) < 0 ||
	    reg_bind_blob(st, 3, c->ek_cert, c->ek_cert_len) < 0 ||
	    reg_bind_blob(st, 4, c->ak_pub, c->ak_pub_len) < 0 ||
	    reg_bind_int(st, 5, now) < 0 ||
	    reg_bind_int(st, 6, replacements) < 0 ||
	    reg_bind_blob(st, 7, c->ek_key, 32) < 0 ||
	    reg_bind_blob(st, 8, c->ak_name, c->ak_name_len) < 0) {
		reg_fail(reg, "storing the host");
		goto out;
	}
	if (reg_step_done(reg, st, "storing the host") < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

static int history_add(struct hv_reg *reg, const struct hv_challenge *c,
		       int64_t now, const uint8_t *prev, int replaced)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, "INSERT INTO enrollments (host, at, ek_fpr, ak_pub,"
		     " previous_ek_fpr, replaced)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st) < 0)
		goto out;
	/* previous_ek_fpr stays NULL (unbound) for a first enrollment. */
	if (reg_bind_text(st, 1, c->host) < 0 ||
	    reg_bind_int(st, 2, now) < 0 ||
	    reg_bind_blob(st, 3, c->ek_fpr, 32) < 0 ||
	    reg_bind_blob(st, 4, c->ak_pub, c->ak_pub_len) < 0 ||
	    (prev && reg_bind_blob(st, 5, prev, 32) < 0) ||
	    reg_bind_int(st, 6, replaced) < 0) {
		reg_fail(reg, "recording the enrollment");
		goto out;
	}
	if (reg_step_done(reg, st, "recording the enrollment") < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

/* *OLD_FPR: the previous fingerprint when the EK changed (also on
 * HV_ENROLL_EK_CHANGED, for the caller's message); zeroed on an
 * enrollment that kept the EK; untouched otherwise. */
/* One TPM, one host: every other host on C's TPM (its EK key or its AK
 * Name) is removed, a "tpm-moved" event naming C's host recorded for
 * each. Only with --replace; inside the caller's transaction. */
static int move_tpm(struct hv_reg *reg, const struct hv_challenge *c,
		    int64_t now)
{
	char *holder = NULL;
	int r, ret = -1;

	while ((r = hv_reg_tpm_holder(reg, c->ek_key, c->ak_name,
				      c->ak_name_len, c->host, &holder,
				      NULL)) == 1) {
		if (reg_host_delete(reg, holder, now, "tpm-moved", c->host) < 0)
			goto out;
		free(holder);
		holder = NULL;
	}
	if (r < 0)
		goto out;
	ret = 0;
out:
	free(holder);
	return ret;
}

int hv_reg_enroll(struct hv_reg *reg, const uint8_t id[HV_CHALLENGE_ID_LEN],
		  int64_t now, uint8_t old_fpr[32], char **other, int *by_ak)
{
	struct hv_challenge c = { 0 };
	uint8_t prev[32];
	int64_t replacements = 0;
	char *holder = NULL;
	int exists, changed, r, ak_only = 0, ret = -1;

	if (other)
		*other = NULL;

	if (reg_writable(reg, "enrolling", now) < 0 || reg_begin(reg) < 0)
		goto out;
	r = hv_reg_challenge_get(reg, id, &c);
	if (r < 0)
		goto out;
	if (r == 0) {
		ret = HV_ENROLL_UNKNOWN;
		goto out;
	}
	if (c.answered_at) {
		ret = HV_ENROLL_ANSWERED;
		goto out;
	}
	if (now > c.expires_at) {
		ret = HV_ENROLL_EXPIRED;
		goto out;
	}
	if (mark_answered(reg, id, now) < 0)
		goto out;
	/* One TPM, one host, decided here under the write lock: registry
	 * state may have changed since enroll made the challenge (another
	 * host's challenge for the same EK finished first). */
	r = hv_reg_tpm_holder(reg, c.ek_key, c.ak_name, c.ak_name_len, c.host,
			      &holder, &ak_only);
	if (r < 0)
		goto out;
	if (r == 1 && !c.replace) {
		/* Commit the spent challenge alone: one answer each. */
		if (reg_commit(reg) < 0)
			goto out;
		if (other) {
			*other = holder;
			holder = NULL;
		}
		if (by_ak)
			*by_ak = ak_only;
		ret = HV_ENROLL_TPM_ELSEWHERE;
		goto out;
	}
	if (r == 1 && move_tpm(reg, &c, now) < 0)
		goto out;
	exists = host_ek(reg, c.host, prev, &replacements);
	if (exists < 0)
		goto out;
	changed = exists && memcmp(prev, c.ek_fpr, 32) != 0;
	if (changed && !c.replace) {
		/* Commit the spent challenge alone: one answer each. */
		if (reg_commit(reg) < 0)
			goto out;
		if (old_fpr)
			memcpy(old_fpr, prev, 32);
		ret = HV_ENROLL_EK_CHANGED;
		goto out;
	}
	if (changed) {
		if (replacements >= UINT32_MAX) {
			hg_err("%s: host %s: too many EK replacements",
			       reg->path, c.host);
			goto out;
		}
		replacements++;
	}
	if (host_store(reg, &c, exists, replacements, now) < 0 ||
	    reg_touch(reg) < 0 ||
	    history_add(reg, &c, now, exists ? prev : NULL, changed) < 0 ||
	    reg_commit(reg) < 0)
		goto out;
	if (old_fpr) {
		if (changed)
			memcpy(old_fpr, prev, 32);
		else
			memset(old_fpr, 0, 32);
	}
	ret = 0;
out:
	reg_rollback(reg);
	hv_challenge_free(&c);
	free(holder);
	return ret;
}
