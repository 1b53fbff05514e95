/* evidence.c: POST /v1/evidence (agent.h).
 *
 * The request body is parsed by ag_evreq_parse() (evreq.h); any fault is
 * a 400 naming it. The
 * answer is hg_quote_evidence_since()'s bundle, made on the TPM worker;
 * since is a hint, and the full log is always a valid answer
 * (evquote.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"
#include "../cmds.h"
#include "../tpm.h"
#include "agent.h"
#include "evreq.h"

/* On the TPM worker. */
static void run_quote(struct ag_job *j)
{
	struct agent *ag = j->ag;
	struct hg_tpm tpm = { 0 };
	uint8_t *out = NULL;
	size_t outlen = 0;

	j->status = 500;
	hg_err_last_clear();
	if (hg_tpm_open(ag->o.tcti, &tpm) < 0) {
		snprintf(j->err, sizeof(j->err), "TPM: %s",
			 hg_err_last()[0] ? hg_err_last() : "cannot connect");
		goto out;
	}
	if (hg_quote_evidence_since(&ag->o, &tpm, j->nonce, j->nonce_len, ag->mask,
				    ag->uefi_log, j->has_since ? &j->since : NULL,
				    &out, &outlen) != HG_EXIT_OK) {
		snprintf(j->err, sizeof(j->err), "quote: %s",
			 hg_err_last()[0] ? hg_err_last() : "failed");
		goto out;
	}
	j->body = out;
	j->len = outlen;
	j->ctype = "application/cbor";
	j->status = 200;
	out = NULL;
out:
	hg_tpm_close(&tpm);
	free(out);
}

void ag_evidence(struct evhttp_request *req, void *arg)
{
	struct agent *ag = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char body[AG_MAX_BODY], why[256];
	struct ag_evreq r;
	struct ag_job *j;

	if (!ag_method(req, EVHTTP_REQ_POST, "POST"))
		return;
	/* httpsd refuses a larger body with 413 before this runs. */
	if (len > sizeof(body)) {
		hg_httpsd_reply_error(req, 413, "body larger than %d bytes", AG_MAX_BODY);
		return;
	}
	evbuffer_copyout(in, body, len);
	if ((j = ag_job_new(ag, req, run_quote)) == NULL)
		return;
	if (ag_evreq_parse(body, len, &r, why, sizeof(why)) < 0) {
		hg_httpsd_reply_error(req, 400, "%s", why);
		ag_job_free(j);
		return;
	}
	memcpy(j->nonce, r.nonce, r.nonce_len);
	j->nonce_len = r.nonce_len;
	j->has_since = r.has_since;
	j->since = r.since;
	ag_job_submit_or_busy(&ag->tpm, j);
}
