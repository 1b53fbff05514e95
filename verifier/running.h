/* running.h: the running domains a host reports (the agent's
 * `GET /v1/domains`, `check --running FILE`): a JSON array
 *   [{"name": "demo", "uuid": "6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e35",
 *     "id": 3}, ...]
 *
 * Trust: this list is the host's word, bound by no quote. It decides
 * only WHICH VMs are judged (each by its own quote-bound launch record,
 * judgevm.h); a host that leaves a VM out hides it (docs/threat-model.md).
 *
 * Parsing (hostile bytes): at most HV_RUNNING_MAX_BYTES, strict JSON
 * (jsonstrict.h: duplicate keys, NUL, invalid UTF-8, trailing data
 * refused), an array of at most HV_RUNNING_MAX objects; each has "name"
 * (a string of 1..HG_CEL_MAX_DOMAIN bytes) and "uuid" (uuid.h's text
 * form); "id" (libvirt's runtime id), when present, is an integer or
 * null and is not used; other keys are ignored (the agent may add
 * fields). Two entries with one UUID are refused: one UUID is one VM.
 * On failure, -1 and ERR holds one line naming the JSON path and why.
 */
#ifndef HV_RUNNING_H
#define HV_RUNNING_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/uuid.h"

#define HV_RUNNING_MAX_BYTES (1u << 20)
#define HV_RUNNING_MAX 4096

struct hv_running_dom {
	char *name;                  /* as reported: valid UTF-8, no NUL */
	uint8_t uuid[HG_UUID_LEN];
};

struct hv_running {
	struct hv_running_dom *v;
	size_t n;
};

int hv_running_parse(const char *text, size_t len, struct hv_running *out,
		     char *err, size_t errlen);
/* Read FILE and parse it; one error line on stderr names FILE. */
int hv_running_load(const char *path, struct hv_running *out);
void hv_running_free(struct hv_running *r);

#endif
