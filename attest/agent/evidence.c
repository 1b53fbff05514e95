/* evidence.c: POST /v1/evidence (agent.h).
 *
 * The request is a JSON object, parsed strictly (json-c, STRICT mode,
 * depth 4, the whole body one value):
 *   {"nonce": HEX}                               required, 8..64 bytes as
 *                                                for `quote --nonce`
 *   "since": {"boot": HEX, "recnum": N}          optional: HEX 16 hex
 *                                                digits (the boot id),
 *                                                N 0..2^32-2
 * Any other field, a wrong type or a bad value is a 400 naming it. The
 * answer is hg_quote_evidence_since()'s bundle, made on the TPM worker;
 * since is a hint, and the full log is always a valid answer
 * (evquote.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"
#include "../cmds.h"
#include "../tpm.h"
#include "agent.h"

#define JSON_DEPTH 4

/* A field name fit to quote in an error: printable ASCII, cut short. */
static const char *shown(const char *k, char *buf, size_t len)
{
	size_t i;

	for (i = 0; k[i] != '\0' && i + 4 < len; i++)
		buf[i] = k[i] >= 0x20 && k[i] < 0x7f ? k[i] : '?';
	if (k[i] != '\0' && i >= 3) {
		memcpy(buf + i - 3, "...", 3);
	}
	buf[i] = '\0';
	return buf;
}

static int hex_field(struct json_object *v, size_t min, size_t max, uint8_t *out,
		     size_t *outlen)
{
	uint8_t *b = NULL;
	size_t n = 0;

	if (!json_object_is_type(v, json_type_string) ||
	    hg_hex_decode(json_object_get_string(v), max, &b, &n) < 0 || n < min) {
		free(b);
		return -1;
	}
	memcpy(out, b, n);
	*outlen = n;
	free(b);
	return 0;
}

static int parse_since(struct json_object *s, struct hg_since *since,
		       char *why, size_t whylen)
{
	struct json_object *boot = NULL, *recnum = NULL;
	char kb[72];

	if (!json_object_is_type(s, json_type_object)) {
		snprintf(why, whylen, "since: not an object");
		return -1;
	}
	json_object_object_foreach(s, k, v) {
		if (strcmp(k, "boot") == 0) {
			boot = v;
		} else if (strcmp(k, "recnum") == 0) {
			recnum = v;
		} else {
			snprintf(why, whylen, "since: unknown field \"%s\"", shown(k, kb, sizeof(kb)));
			return -1;
		}
	}
	if (boot == NULL || recnum == NULL) {
		snprintf(why, whylen, "since: needs both \"boot\" and \"recnum\"");
		return -1;
	}
	if (!json_object_is_type(boot, json_type_string) ||
	    hg_since_set(json_object_get_string(boot), 0, since) < 0) {
		snprintf(why, whylen, "since.boot: not %d hex digits", HG_SINCE_BOOT_LEN);
		return -1;
	}
	/* json-c holds integers above INT64_MAX as uint64: both read here. */
	if (!json_object_is_type(recnum, json_type_int) || json_object_get_int64(recnum) < 0 ||
	    hg_since_set(json_object_get_string(boot),
			 (uint64_t)json_object_get_int64(recnum), since) < 0) {
		snprintf(why, whylen, "since.recnum: not an integer in 0..%u",
			 HG_SINCE_MAX_RECNUM);
		return -1;
	}
	return 0;
}

/* Parse the body into J; -1 with the reason in WHY. */
static int parse_request(const char *body, size_t len, struct ag_job *j,
			 char *why, size_t whylen)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	char kb[72];
	int nonce = 0, ret = -1;

	if (len == 0) {
		snprintf(why, whylen, "empty body: a JSON object {\"nonce\": HEX} is expected");
		goto out;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(why, whylen, "malformed JSON: a NUL byte");
		goto out;
	}
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (tok == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(why, whylen, "malformed JSON: %s",
			 e == json_tokener_continue ? "unexpected end of body"
						    : json_tokener_error_desc(e));
		goto out;
	}
	/* One value and nothing after it but white space. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n') {
			snprintf(why, whylen, "malformed JSON: data after the object");
			goto out;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	json_object_object_foreach(root, k, v) {
		if (strcmp(k, "nonce") == 0) {
			if (hex_field(v, HG_NONCE_MIN, HG_NONCE_MAX, j->nonce, &j->nonce_len) < 0) {
				snprintf(why, whylen, "nonce: not %d..%d bytes of hex",
					 HG_NONCE_MIN, HG_NONCE_MAX);
				goto out;
			}
			nonce = 1;
		} else if (strcmp(k, "since") == 0) {
			if (parse_since(v, &j->since, why, whylen) < 0)
				goto out;
			j->has_since = 1;
		} else {
			snprintf(why, whylen, "unknown field \"%s\"", shown(k, kb, sizeof(kb)));
			goto out;
		}
	}
	if (!nonce) {
		snprintf(why, whylen, "nonce: required");
		goto out;
	}
	ret = 0;
out:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return ret;
}

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
	if (parse_request(body, len, j, why, sizeof(why)) < 0) {
		hg_httpsd_reply_error(req, 400, "%s", why);
		ag_job_free(j);
		return;
	}
	ag_job_submit_or_busy(&ag->tpm, j);
}
