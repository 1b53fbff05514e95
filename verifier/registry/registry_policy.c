/* registry_policy.c: stored policies and their assignments (schema 3,
 * registry.h): hv_policy_rec_free(), hv_reg_policy_add(),
 * hv_reg_policy_get(), hv_reg_policies(), hv_reg_policy_assign(),
 * hv_reg_assignments(), hv_reg_host_policy().
 *
 * A policy is never changed in place: each add of a different text is a
 * new version, so a verdict names exactly the text that judged it
 * ("NAME@VERSION", with the SHA-256 beside), and the service sees a
 * change as a new version (a re-judgement of the hosts it applies to).
 * The text is stored as given; the caller has parsed it strictly
 * (verifier/policy.h) before adding it, and parses it again on use.
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "../../lib/util.h"

void hv_policy_rec_free(struct hv_policy_rec *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* A row of "name, version, sha256, added_at[, body]". */
static int read_policy(const struct hv_reg *reg, struct db_st *st,
		       int with_text, struct hv_policy_rec *p)
{
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (reg_col_name(reg, st, 0, "policies.name", &p->name) < 0 ||
	    reg_col_int(reg, st, 1, "policies.version", 1, INT64_MAX,
			&p->version) < 0 ||
	    reg_col_fixed(reg, st, 2, "policies.sha256", p->sha256, 32) < 0 ||
	    reg_col_int(reg, st, 3, "policies.added_at", INT64_MIN, INT64_MAX,
			&p->added_at) < 0 ||
	    (with_text && reg_col_text(reg, st, 4, "policies.body",
				       HV_POLICY_TEXT_MAX, 0, &p->text) < 0))
		goto out;
	if (p->text)
		p->text_len = strlen(p->text);
	ret = 0;
out:
	if (ret < 0)
		hv_policy_rec_free(p);
	return ret;
}

static int sha256(const char *text, size_t len, uint8_t out[32])
{
	unsigned n = 0;

	return EVP_Digest(text, len, out, &n, EVP_sha256(), NULL) == 1 &&
	       n == 32 ? 0 : -1;
}

int hv_reg_policy_add(struct hv_reg *reg, const char *name, const char *text,
		      size_t len, int64_t now, int64_t *version,
		      int *unchanged)
{
	struct db_st *st = NULL;
	uint8_t sum[32];
	int64_t latest = 0;
	int rc, ret = -1;

	*unchanged = 0;
	if (reg_writable(reg, "storing a policy", now) < 0)
		goto out;
	if (!hv_name_ok(name) || len > HV_POLICY_TEXT_MAX ||
	    memchr(text, '\0', len) || sha256(text, len, sum) < 0) {
		hg_err("%s: storing a policy: bad name or text", reg->path);
		goto out;
	}
	if (reg_begin(reg) < 0 ||
	    reg_prep(reg, "SELECT version, sha256 FROM policies WHERE name = ?1"
		     " ORDER BY version DESC LIMIT 1", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "storing a policy");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "storing a policy")) < 0)
		goto out;
	if (rc == 1) {
		uint8_t old[32];

		if (reg_col_int(reg, st, 0, "policies.version", 1, INT64_MAX - 1,
				&latest) < 0 ||
		    reg_col_fixed(reg, st, 1, "policies.sha256", old, 32) < 0)
			goto out;
		if (!memcmp(old, sum, 32)) {
			*unchanged = 1;
			*version = latest;
			ret = 0;
			goto out;
		}
	}
	db_finalize(st);
	st = NULL;
	if (reg_prep(reg, "INSERT INTO policies (name, version, sha256, body,"
		     " added_at) VALUES (?1, ?2, ?3, ?4, ?5)", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    reg_bind_int(st, 2, latest + 1) < 0 ||
	    reg_bind_blob(st, 3, sum, 32) < 0 ||
	    st->db->ops->bind_text(st, 4, text, len) < 0 ||
	    reg_bind_int(st, 5, now) < 0) {
		reg_fail(reg, "storing a policy");
		goto out;
	}
	if (reg_step_done(reg, st, "storing a policy") < 0 ||
	    reg_touch(reg) < 0)
		goto out;
	db_finalize(st);
	st = NULL;
	if (reg_commit(reg) < 0)
		goto out;
	*version = latest + 1;
	ret = 0;
out:
	db_finalize(st);
	reg_rollback(reg);
	return ret;
}

int hv_reg_policy_get(struct hv_reg *reg, const char *name, int64_t version,
		      struct hv_policy_rec *out)
{
	struct db_st *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!hv_name_ok(name)) {
		ret = 0;
		goto out;
	}
	if (reg_prep(reg, version ?
		     "SELECT name, version, sha256, added_at, body FROM policies"
		     " WHERE name = ?1 AND version = ?2" :
		     "SELECT name, version, sha256, added_at, body FROM policies"
		     " WHERE name = ?1 ORDER BY version DESC LIMIT 1", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0 ||
	    (version && reg_bind_int(st, 2, version) < 0)) {
		reg_fail(reg, "looking up a policy");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up a policy")) <= 0) {
		ret = rc;
		goto out;
	}
	if (read_policy(reg, st, 1, out) < 0)
		goto out;
	ret = 1;
out:
	db_finalize(st);
	return ret;
}

int hv_reg_policies(struct hv_reg *reg,
		    int (*cb)(const struct hv_policy_rec *p, void *arg),
		    void *arg)
{
	struct db_st *st = NULL;
	struct hv_policy_rec p = { 0 };
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT name, version, sha256, added_at FROM policies"
		     " p WHERE version = (SELECT max(version) FROM policies q"
		     " WHERE q.name = p.name) ORDER BY name", &st) < 0)
		goto out;
	while ((rc = db_step(st)) == 1) {
		int r;

		if (read_policy(reg, st, 0, &p) < 0)
			goto out;
		r = cb(&p, arg);
		hv_policy_rec_free(&p);
		if (r) {
			ret = r;
			goto out;
		}
	}
	if (rc != 0) {
		reg_fail(reg, "listing policies");
		goto out;
	}
	ret = 0;
out:
	hv_policy_rec_free(&p);
	db_finalize(st);
	return ret;
}

static int policy_exists(struct hv_reg *reg, const char *name)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, "SELECT 1 FROM policies WHERE name = ?1 LIMIT 1",
		     &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "looking up a policy");
		goto out;
	}
	ret = reg_step_row(reg, st, "looking up a policy");
out:
	db_finalize(st);
	return ret;
}

int hv_reg_policy_assign(struct hv_reg *reg, const char *name,
			 enum hv_assign_kind kind, const char *target,
			 int64_t now)
{
	struct db_st *st = NULL;
	int r, ret = -1;

	if (reg_writable(reg, "assigning a policy", now) < 0)
		goto out;
	if (kind != HV_ASSIGN_HOST && kind != HV_ASSIGN_GROUP) {
		hg_err("%s: assigning a policy: bad target kind", reg->path);
		goto out;
	}
	if (!hv_name_ok(name)) {
		ret = HV_POLICY_UNKNOWN;
		goto out;
	}
	if (!hv_name_ok(target)) {
		if (kind == HV_ASSIGN_HOST) {
			ret = HV_HOST_UNKNOWN;
			goto out;
		}
		hg_err("%s: assigning a policy: not a group name", reg->path);
		goto out;
	}
	if (reg_begin(reg) < 0 || (r = policy_exists(reg, name)) < 0)
		goto out;
	if (r == 0) {
		ret = HV_POLICY_UNKNOWN;
		goto out;
	}
	if (kind == HV_ASSIGN_HOST) {
		if ((r = reg_host_exists(reg, target)) < 0)
			goto out;
		if (r == 0) {
			ret = HV_HOST_UNKNOWN;
			goto out;
		}
	}
	if (reg_prep(reg, "INSERT INTO assignments (kind, target, policy,"
		     " assigned_at) VALUES (?1, ?2, ?3, ?4)"
		     " ON CONFLICT (kind, target) DO UPDATE SET"
		     " policy = excluded.policy,"
		     " assigned_at = excluded.assigned_at", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, kind == HV_ASSIGN_HOST ? "host" : "group") < 0 ||
	    reg_bind_text(st, 2, target) < 0 || reg_bind_text(st, 3, name) < 0 ||
	    reg_bind_int(st, 4, now) < 0) {
		reg_fail(reg, "assigning a policy");
		goto out;
	}
	if (reg_step_done(reg, st, "assigning a policy") < 0 ||
	    reg_touch(reg) < 0)
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

int hv_reg_assignments(struct hv_reg *reg,
		       int (*cb)(void *arg, enum hv_assign_kind kind,
				 const char *target, const char *policy),
		       void *arg)
{
	struct db_st *st = NULL;
	char *kind = NULL, *target = NULL, *policy = NULL;
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT kind, target, policy FROM assignments"
		     " ORDER BY kind = 'group', target", &st) < 0)
		goto out;
	while ((rc = db_step(st)) == 1) {
		int r;

		if (reg_col_text(reg, st, 0, "assignments.kind", 8, 0, &kind) < 0 ||
		    reg_col_name(reg, st, 1, "assignments.target", &target) < 0 ||
		    reg_col_name(reg, st, 2, "assignments.policy", &policy) < 0)
			goto out;
		if (strcmp(kind, "host") && strcmp(kind, "group")) {
			hg_err("%s: corrupt registry row (assignments.kind)",
			       reg->path);
			goto out;
		}
		r = cb(arg, strcmp(kind, "host") ? HV_ASSIGN_GROUP : HV_ASSIGN_HOST,
		       target, policy);
		free(kind);
		free(target);
		free(policy);
		kind = target = policy = NULL;
		if (r) {
			ret = r;
			goto out;
		}
	}
	if (rc != 0) {
		reg_fail(reg, "listing assignments");
		goto out;
	}
	ret = 0;
out:
	free(kind);
	free(target);
	free(policy);
	db_finalize(st);
	return ret;
}

int hv_reg_host_policy(struct hv_reg *reg, const char *name,
		       struct hv_policy_rec *out)
{
	struct db_st *st = NULL;
	char *policy = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!hv_host_name_ok(name)) {
		ret = 0;
		goto out;
	}
	if (reg_prep(reg, "SELECT a.policy FROM hosts h JOIN assignments a"
		     " ON (a.kind = 'host' AND a.target = h.name) OR"
		     " (a.kind = 'group' AND a.target = h.host_group)"
		     " WHERE h.name = ?1 ORDER BY a.kind = 'host' DESC LIMIT 1",
		     &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "looking up the host's policy");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up the host's policy")) <= 0) {
		ret = rc;
		goto out;
	}
	if (reg_col_name(reg, st, 0, "assignments.policy", &policy) < 0)
		goto out;
	ret = hv_reg_policy_get(reg, policy, 0, out);
out:
	free(policy);
	db_finalize(st);
	return ret;
}
