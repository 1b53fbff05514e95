/* registry_hosts.c: host names, the registry's structs, the enrolled
 * hosts read back, and what an operator does to them: hv_host_name_ok(),
 * hv_host_free(), hv_reg_host_get(), hv_reg_hosts(), hv_reg_tpm_holder(),
 * hv_reg_host_remove(), hv_reg_host_rename() and the events history
 * (see registry.h). Hosts are added only by an enrollment
 * (registry_enroll.c).
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"

/* ---- names and structs ----------------------------------------------- */

int hv_name_ok(const char *name)
{
	return hv_host_name_ok(name);
}

int hv_host_name_ok(const char *name)
{
	size_t n;

	if (!name || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return 0;
	for (n = 0; name[n]; n++) {
		char ch = name[n];

		if (n >= HV_HOST_NAME_MAX)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return 0;
	}
	return 1;
}

void hv_host_free(struct hv_host *h)
{
	if (!h)
		return;
	free(h->name);
	free(h->ek_cert);
	free(h->ak_pub);
	memset(h, 0, sizeof(*h));
}

/* Fill H from a row of HOST_COLS. */
static int read_host(const struct hv_reg *reg, struct db_st *st,
		     struct hv_host *h)
{
	int64_t repl;
	int ret = -1;

	memset(h, 0, sizeof(*h));
	if (reg_col_name(reg, st, 0, "hosts.name", &h->name) < 0 ||
	    reg_col_fixed(reg, st, 1, "hosts.ek_fpr", h->ek_fpr, 32) < 0 ||
	    reg_col_blob(reg, st, 2, "hosts.ek_cert", &h->ek_cert,
			 &h->ek_cert_len) < 0 ||
	    reg_col_blob(reg, st, 3, "hosts.ak_pub", &h->ak_pub,
			 &h->ak_pub_len) < 0 ||
	    reg_col_int(reg, st, 4, "hosts.enrolled_at", INT64_MIN, INT64_MAX,
			&h->enrolled_at) < 0 ||
	    reg_col_int(reg, st, 5, "hosts.first_enrolled_at", INT64_MIN,
			INT64_MAX, &h->first_enrolled_at) < 0 ||
	    reg_col_int(reg, st, 6, "hosts.replacements", 0, UINT32_MAX,
			&repl) < 0 ||
	    reg_col_fixed(reg, st, 7, "hosts.ek_key", h->ek_key, 32) < 0 ||
	    reg_col_var(reg, st, 8, "hosts.ak_name", h->ak_name,
			HV_AK_NAME_MAX, &h->ak_name_len) < 0)
		goto out;
	h->replacements = (uint32_t)repl;
	ret = 0;
out:
	if (ret < 0)
		hv_host_free(h);
	return ret;
}

/* ---- hosts ------------------------------------------------------------ */

int hv_reg_host_get(struct hv_reg *reg, const char *name, struct hv_host *out)
{
	struct db_st *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!hv_host_name_ok(name)) {
		ret = 0;        /* no such name can have been stored */
		goto out;
	}
	if (reg_prep(reg, "SELECT " HOST_COLS " FROM hosts WHERE name = ?1",
		     &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "looking up a host");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up a host")) <= 0) {
		ret = rc;
		goto out;
	}
	if (read_host(reg, st, out) < 0)
		goto out;
	ret = 1;
out:
	db_finalize(st);
	return ret;
}

int hv_reg_hosts(struct hv_reg *reg,
		 int (*cb)(const struct hv_host *h, void *arg), void *arg)
{
	struct db_st *st = NULL;
	struct hv_host h = { 0 };
	int rc, ret = -1;

	/* BINARY collation: byte order, the same on every backend. */
	if (reg_prep(reg, "SELECT " HOST_COLS " FROM hosts ORDER BY name",
		     &st) < 0)
		goto out;
	while ((rc = db_step(st)) == 1) {
		int r;

		if (read_host(reg, st, &h) < 0)
			goto out;
		r = cb(&h, arg);
		hv_host_free(&h);
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
	hv_host_free(&h);
	db_finalize(st);
	return ret;
}

int hv_reg_tpm_holder(struct hv_reg *reg, const uint8_t ek_key[32],
		      const uint8_t *ak_name, size_t ak_name_len,
		      const char *except, char **holder, int *by_ak)
{
	struct db_st *st = NULL;
	int64_t ek_match;
	int rc, ret = -1;

	*holder = NULL;
	/* The EK match first: it is the stronger statement. */
	if (reg_prep(reg, "SELECT name, CASE WHEN ek_key = ?1 THEN 1 ELSE 0"
		     " END FROM hosts WHERE (ek_key = ?1 OR ak_name = ?2)"
		     " AND name IS DISTINCT FROM ?3"
		     " ORDER BY ek_key = ?1 DESC, name LIMIT 1", &st) < 0)
		goto out;
	if (reg_bind_blob(st, 1, ek_key, 32) < 0 ||
	    reg_bind_blob(st, 2, ak_name, ak_name_len) < 0 ||
	    (except && reg_bind_text(st, 3, except) < 0)) {
		reg_fail(reg, "looking up the TPM");
		goto out;
	}
	if ((rc = reg_step_row(reg, st, "looking up the TPM")) <= 0) {
		ret = rc;
		goto out;
	}
	if (reg_col_int(reg, st, 1, "hosts.ek_key", 0, 1, &ek_match) < 0 ||
	    reg_col_name(reg, st, 0, "hosts.name", holder) < 0)
		goto out;
	if (by_ak)
		*by_ak = !ek_match;
	ret = 1;
out:
	db_finalize(st);
	return ret;
}

/* ---- history and operator changes ------------------------------------ */

int reg_event_add(struct hv_reg *reg, int64_t now, const char *event,
		  const char *host, const char *other)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, "INSERT INTO events (at, event, host, other)"
		     " VALUES (?1, ?2, ?3, ?4)", &st) < 0)
		goto out;
	/* other stays NULL (unbound) when there is none. */
	if (reg_bind_int(st, 1, now) < 0 ||
	    reg_bind_text(st, 2, event) < 0 ||
	    reg_bind_text(st, 3, host) < 0 ||
	    (other && reg_bind_text(st, 4, other) < 0)) {
		reg_fail(reg, "recording the event");
		goto out;
	}
	if (reg_step_done(reg, st, "recording the event") < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

int reg_host_exists(struct hv_reg *reg, const char *name)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, "SELECT 1 FROM hosts WHERE name = ?1", &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, name) < 0) {
		reg_fail(reg, "looking up a host");
		goto out;
	}
	ret = reg_step_row(reg, st, "looking up a host");
out:
	db_finalize(st);
	return ret;
}

/* Run SQL (a statement with the name parameters ?1 and, when B is not
 * NULL, ?2) inside the caller's transaction. */
static int run_names(struct hv_reg *reg, const char *sql, const char *a,
		     const char *b, const char *what)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, sql, &st) < 0)
		goto out;
	if (reg_bind_text(st, 1, a) < 0 ||
	    (b && reg_bind_text(st, 2, b) < 0)) {
		reg_fail(reg, what);
		goto out;
	}
	ret = reg_step_done(reg, st, what);
out:
	db_finalize(st);
	return ret;
}

int reg_host_delete(struct hv_reg *reg, const char *name, int64_t now,
		    const char *event, const char *other)
{
	/* Schema 3: its verdicts, nonces and own assignment go with it (a
	 * later host of that name starts clean). */
	if (run_names(reg, "DELETE FROM hosts WHERE name = ?1", name, NULL,
		      "removing the host") < 0 || reg_touch(reg) < 0 ||
	    run_names(reg, "DELETE FROM verdicts WHERE host = ?1", name, NULL,
		      "removing the host's verdicts") < 0 ||
	    run_names(reg, "DELETE FROM nonces WHERE host = ?1", name, NULL,
		      "removing the host's nonces") < 0 ||
	    run_names(reg, "DELETE FROM assignments WHERE kind = 'host'"
		      " AND target = ?1", name, NULL,
		      "removing the host's policy assignment") < 0 ||
	    reg_event_add(reg, now, event, name, other) < 0)
		return -1;
	return 0;
}

int hv_reg_host_remove(struct hv_reg *reg, const char *name, int64_t now)
{
	int r, ret = -1;

	if (reg_writable(reg, "removing a host", now) < 0)
		goto out;
	if (!hv_host_name_ok(name)) {
		ret = HV_HOST_UNKNOWN;       /* no such name can be stored */
		goto out;
	}
	if (reg_begin(reg) < 0 || (r = reg_host_exists(reg, name)) < 0)
		goto out;
	if (r == 0) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_host_delete(reg, name, now, "removed", NULL) < 0 ||
	    reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	reg_rollback(reg);
	return ret;
}

int hv_reg_host_rename(struct hv_reg *reg, const char *old, const char *new,
		       int64_t now)
{
	int r, ret = -1;

	if (reg_writable(reg, "renaming a host", now) < 0)
		goto out;
	if (!hv_host_name_ok(new)) {
		hg_err("%s: renaming a host: bad new name", reg->path);
		goto out;
	}
	if (!hv_host_name_ok(old)) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if (reg_begin(reg) < 0 || (r = reg_host_exists(reg, old)) < 0)
		goto out;
	if (r == 0) {
		ret = HV_HOST_UNKNOWN;
		goto out;
	}
	if ((r = reg_host_exists(reg, new)) != 0) {
		ret = r < 0 ? -1 : HV_HOST_EXISTS;
		goto out;
	}
	if (run_names(reg, "UPDATE hosts SET name = ?2 WHERE name = ?1", old,
		      new, "renaming the host") < 0 ||
	    run_names(reg, "UPDATE enrollments SET host = ?2 WHERE host = ?1",
		      old, new, "renaming the host's history") < 0 ||
	    run_names(reg, "UPDATE verdicts SET host = ?2 WHERE host = ?1",
		      old, new, "renaming the host's verdicts") < 0 ||
	    run_names(reg, "DELETE FROM nonces WHERE host = ?1", old, NULL,
		      "renaming the host's nonces") < 0 ||
	    run_names(reg, "UPDATE assignments SET target = ?2"
		      " WHERE kind = 'host' AND target = ?1", old, new,
		      "renaming the host's policy assignment") < 0 ||
	    reg_event_add(reg, now, "renamed", old, new) < 0 ||
	    reg_touch(reg) < 0 || reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	reg_rollback(reg);
	return ret;
}
