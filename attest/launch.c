/* launch.c: see launch.h. */
#include "launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/uuid.h"
#include "cmds.h"
#include "logw.h"

#define UUID_KEY "domain/uuid="

int hg_launch_uuid(const char *canon, size_t len, uint8_t uuid[16])
{
	const size_t kl = sizeof(UUID_KEY) - 1;
	size_t off = 0, found = 0;
	int ret = -1;

	while (off < len) {
		const char *line = canon + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;

		if (ll >= kl && !memcmp(line, UUID_KEY, kl)) {
			if (found++ || hg_uuid_parse(line + kl, ll - kl, uuid) < 0)
				goto out;
		}
		off += ll + 1;
	}
	ret = found == 1 ? 0 : -1;
out:
	return ret;
}

static int cmp_want(const void *a, const void *b)
{
	const struct hg_launch_want *x = a, *y = b;

	return x->recnum < y->recnum ? -1 : x->recnum > y->recnum;
}

int hg_launch_write(const struct hg_mset *m, const char *domain,
		    const char *canon, size_t len,
		    const struct hg_mitem *items, size_t n, uint64_t *recnum,
		    char *reason, size_t rlen)
{
	struct hg_logw lw = { .fd = -1 };
	struct hg_launch_want *want = NULL;
	uint8_t uuid[16];
	size_t k = 0, u = 0;
	int ret = -1;

	if (hg_launch_uuid(canon, len, uuid) < 0) {
		snprintf(reason, rlen, "domain XML: no <uuid>, more than one, or not a UUID: no launch record can name this VM");
		goto out;
	}
	want = calloc(n ? n : 1, sizeof(*want));
	if (!want) {
		snprintf(reason, rlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!hg_kind_is_workload(items[i].kind))
			continue;
		want[k].recnum = items[i].recnum;
		want[k].kind = items[i].kind;
		want[k++].name = items[i].path;
	}
	qsort(want, k, sizeof(*want), cmp_want);
	/* The same record twice (two disks on one backing file) is one ref. */
	for (size_t i = 0; i < k; i++)
		if (u == 0 || want[i].recnum != want[u - 1].recnum)
			want[u++] = want[i];
	if (hg_logw_open(&lw, m->o->log, 1) < 0 ||
	    hg_logw_recover(&lw, m->tpm, m->o->pcr, m->algs, m->nalgs, m->key) != HG_EXIT_OK ||
	    hg_logw_append_launch(&lw, m->tpm, domain, uuid, want, u, recnum) != HG_EXIT_OK) {
		snprintf(reason, rlen, "the launch record could not be written to %s", m->o->log);
		goto out;
	}
	ret = 0;
out:
	hg_logw_close(&lw);
	free(want);
	return ret;
}
