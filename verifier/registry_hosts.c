/* registry_hosts.c: host names, the registry's structs, and the enrolled
 * hosts read back: hv_host_name_ok(), hv_host_free(), hv_reg_host_get()
 * and hv_reg_hosts() (see registry.h). Hosts are written only by an
 * enrollment (registry_enroll.c).
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- names and structs ----------------------------------------------- */

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
static int read_host(const struct hv_reg *reg, sqlite3_stmt *st,
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
			&repl) < 0)
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
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!hv_host_name_ok(name)) {
		ret = 0;        /* no such name can have been stored */
		goto out;
	}
	if (reg_prep(reg, "SELECT " HOST_COLS " FROM hosts WHERE name = ?1",
		     &st) < 0)
		goto out;
	if (sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
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
	sqlite3_finalize(st);
	return ret;
}

int hv_reg_hosts(struct hv_reg *reg,
		 int (*cb)(const struct hv_host *h, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct hv_host h = { 0 };
	int rc, ret = -1;

	/* BINARY collation: byte order, the same on every backend. */
	if (reg_prep(reg, "SELECT " HOST_COLS " FROM hosts ORDER BY name",
		     &st) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
	if (rc != SQLITE_DONE) {
		reg_fail(reg, "listing hosts");
		goto out;
	}
	ret = 0;
out:
	hv_host_free(&h);
	sqlite3_finalize(st);
	return ret;
}
