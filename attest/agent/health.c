/* health.c: GET /v1/health (agent.h).
 *
 *   {"status": "ok" | "degraded", "version": V, "tpm": BOOL, "ak": BOOL
 *    [, "tpm_error": WHY]}
 * tpm: the TPM answered TPM2_GetCapability (its PCR banks) just now,
 * through the TPM worker, so a probe waits its turn behind quotes rather
 * than racing them; ak: the state directory holds the AK (init ran).
 * "ok" needs both. Always 200: the answer is the report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <json-c/json.h>

#include "../../lib/httpsd.h"
#include "../../lib/pcrs.h"
#include "../../lib/util.h"
#include "../state.h"
#include "../tpm.h"
#include "agent.h"
#include "hg_version.h"

/* On the TPM worker. */
static void run_health(struct ag_job *j)
{
	struct hg_tpm tpm = { 0 };
	struct json_object *o = json_object_new_object();
	uint16_t algs[HG_MAX_BANKS];
	size_t nalgs = 0;
	const char *txt;
	int tpm_ok, ak;

	j->status = 500;
	if (o == NULL) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	hg_err_last_clear();
	tpm_ok = hg_tpm_open(j->ag->o.tcti, &tpm) == 0 &&
		 hg_tpm_banks(&tpm, algs, &nalgs) == 0;
	hg_tpm_close(&tpm);
	ak = hg_state_has_ak(j->ag->o.state) == 1;
	json_object_object_add(o, "status", json_object_new_string(tpm_ok && ak ? "ok" : "degraded"));
	json_object_object_add(o, "version", json_object_new_string(HG_VERSION));
	json_object_object_add(o, "tpm", json_object_new_boolean(tpm_ok));
	json_object_object_add(o, "ak", json_object_new_boolean(ak));
	if (!tpm_ok)
		json_object_object_add(o, "tpm_error",
				       json_object_new_string(hg_err_last()[0] ? hg_err_last()
										: "unreachable"));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (txt != NULL && (j->body = (uint8_t *)strdup(txt)) != NULL) {
		j->len = strlen(txt);
		j->ctype = "application/json";
		j->status = 200;
	} else {
		snprintf(j->err, sizeof(j->err), "out of memory");
	}
	json_object_put(o);
}

void ag_health(struct evhttp_request *req, void *arg)
{
	struct agent *ag = arg;
	struct ag_job *j;

	if (!ag_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	if ((j = ag_job_new(ag, req, run_health)) == NULL)
		return;
	ag_job_submit_or_busy(&ag->tpm, j);
}
