/* vstate.c: see vstate.h. */
#include "vstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

const char *hv_state_dir(const char *opt)
{
	const char *e = getenv("HOSTGATE_VERIFY_STATE");

	if (opt)
		return opt;
	return e && *e ? e : HV_DEFAULT_STATE;
}

int hv_registry_path(const char *dir, int create, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s/%s", dir, HV_REGISTRY_FILE);

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
