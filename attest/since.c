/* since.c: the verifier's "since" (evquote.h: hg_since_set(),
 * hg_since_parse()), apart from the quote so that the agent's request
 * parser (agent/evreq.c) and its fuzz target link it without the TPM. */
#include <stdint.h>
#include <string.h>

#include "evquote.h"

int hg_since_set(const char *boot, uint64_t recnum, struct hg_since *s)
{
	if (hg_boot_id_parse(boot, &s->boot) < 0 || recnum > HG_SINCE_MAX_RECNUM)
		return -1;
	s->recnum = recnum;
	return 0;
}

int hg_since_parse(const char *arg, struct hg_since *s)
{
	char boot[HG_BOOT_ID_LEN + 1];
	const char *colon = strchr(arg, ':'), *p;
	uint64_t v = 0;

	if (!colon || colon - arg != HG_BOOT_ID_LEN || !colon[1])
		return -1;
	memcpy(boot, arg, HG_BOOT_ID_LEN);
	boot[HG_BOOT_ID_LEN] = 0;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || (p > colon + 1 && v == 0))
			return -1;  /* digits only, no leading zero */
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > HG_SINCE_MAX_RECNUM)
			return -1;
	}
	return hg_since_set(boot, v, s);
}
