/* vstate.c: see vstate.h. */
#include "vstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "registry/db.h"

static const char *db_opt;

void hv_registry_db_set(const char *db)
{
	db_opt = db;
}

char *hv_registry_display(const char *path)
{
	return db_uri_redact(path);
}

const char *hv_state_dir(const char *opt)
{
	const char *e = getenv("HOSTGATE_VERIFY_STATE");

	if (opt)
		return opt;
	return e && *e ? e : HV_DEFAULT_STATE;
}

int hv_registry_path(const char *dir, int create, char *buf, size_t n)
{
	const char *db = db_opt ? db_opt : getenv("HOSTGATE_VERIFY_DB");
	int k;

	if (db && *db) {
		if (strlen(db) >= n) {
			hg_err("--db: longer than %zu bytes", n - 1);
			return -1;
		}
		strcpy(buf, db);
		return 0;
	}
	k = snprintf(buf, n, "%s/%s", dir, HV_REGISTRY_FILE);

	if (k < 0 || (size_t)k >= n) {
		hg_err("%s: state directory path too long", dir);
		return -1;
	}
	if (create && hg_mkdir_p(dir, 0700) < 0) {
		hg_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
