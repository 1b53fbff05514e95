/* push.c: push mode, for hosts the verifier cannot reach (behind NAT):
 *
 *   GET /v1/nonce            -> {"nonce": HEX (32 bytes), "expires_at", "ttl_s"}
 *   POST /v1/attest?nonce=HEX[&workload=KIND:NAME]...
 *                            body: the evidence bundle (application/cbor,
 *       hostgate-attest quote --nonce HEX)
 *                            -> {"host", "state", "verdict", "ear"?}
 *
 * workload (repeatable, at most HV_SVC_MAX_SCOPE; the gate in remote mode
 * sends its domain's): judge of the workload records only these, as
 * `check --workload KIND:NAME` does (KIND config, image or overlay, NAME
 * an absolute path), each of which must have been measured; the verdict's
 * "measured" list and the EAR's digests are then those workloads' (and
 * the host's). A bad workload is 400 bad-workload, before the nonce is
 * spent. Without one, every workload record is judged. The query is
 * parsed by hv_req_push_query() (reqparse.h: an encoded NUL is refused).
 *
 * Only an authenticated host (its client certificate's CN or its
 * "host NAME" token, api.h) may do either, and only for itself. The
 * nonce comes from the CSPRNG and is kept in the registry bound to that
 * host, for --nonce-ttl seconds (registry_push.c). POST /v1/attest
 * consumes it atomically before anything is judged (one transaction:
 * a second POST with it is a replay even if the first is still being
 * judged) and refuses, each with its own status and code:
 *   a nonce this verifier never issued      403 nonce-unknown
 *   one issued to another host              403 nonce-foreign (not spent)
 *   one already used                        409 nonce-used
 *   one past its expiry                     410 nonce-expired
 * The quote must then carry exactly that nonce (the nonce check of
 * hv_verify): a quote made for another nonce is untrusted like any other
 * failed check, and the nonce is spent either way.
 *
 * With --ear-key the answer carries an EAR (lib/ear.h; base64url, no
 * padding): the verdict signed by the service, its eat_nonce the push
 * nonce, its expiry --ear-ttl seconds on.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../../lib/ear.h"
#include "../../lib/util.h"
#include "../judge.h"
#include "reqparse.h"

_Static_assert(HV_REQ_NONCE_BYTES == HV_NONCE_BYTES, "the push nonce is the registry's");
_Static_assert(HV_REQ_MAX_SCOPE == HV_SVC_MAX_SCOPE, "one scope bound");

int hv_svc_random(uint8_t *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void hv_push_nonce(struct evhttp_request *req, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_principal p;
	uint8_t nonce[HV_NONCE_BYTES];
	char hex[2 * HV_NONCE_BYTES + 1], t[32];
	int64_t now = (int64_t)time(NULL);
	json_object *o;
	int r;

	if (hv_api_need(s, req, HV_ROLE_HOST, &p) < 0)
		return;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		hv_api_error(s, req, 405, "method", "method not allowed (GET only)");
		return;
	}
	if (hv_svc_random(nonce, sizeof(nonce)) < 0) {
		hv_api_error(s, req, 500, "internal", "no random bytes");
		return;
	}
	r = hv_reg_nonce_add(s->reg, nonce, p.host, now, s->cfg.nonce_ttl,
			     s->cfg.max_nonces);
	if (r == HV_NONCE_TOO_MANY) {
		s->m.nonce_refused[HV_NONCE_TOO_MANY]++;
		hv_api_error(s, req, 429, "nonce-too-many", "host %s holds %u unused"
			     " nonces: use one or let them expire", p.host,
			     s->cfg.max_nonces);
		return;
	}
	if (r != 0) {
		if (r == HV_HOST_UNKNOWN)
			hv_api_error(s, req, 403, "forbidden", "no such host enrolled");
		else
			hv_api_unavailable(s, req, "issuing a nonce");
		return;
	}
	hg_hex_encode(nonce, sizeof(nonce), hex);
	hv_api_time(now + s->cfg.nonce_ttl, t, sizeof(t));
	o = json_object_new_object();
	json_object_object_add(o, "nonce", json_object_new_string(hex));
	json_object_object_add(o, "expires_at", json_object_new_string(t));
	json_object_object_add(o, "ttl_s", json_object_new_int64(s->cfg.nonce_ttl));
	hv_api_json(s, req, 200, o);
	json_object_put(o);
}

/* base64url without padding (RFC 4648 §5), of a signed token. */
static char *b64url(const uint8_t *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	int len;

	if (!out)
		return NULL;
	len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

/* The EAR for V, or NULL (logged) when it cannot be made. */
static char *ear_for(struct hv_svc *s, const char *host, const uint8_t *nonce,
		     const struct hv_svc_verdict *v)
{
	struct hg_ear_claims c = { 0 };
	struct hg_ear_issue is = {
		.now = (int64_t)time(NULL), .ttl = s->cfg.ear_ttl,
		.policy_id = v->policy, .submod = host,
	};
	uint8_t *tok = NULL;
	size_t toklen = 0;
	char err[256], *ret = NULL;

	if (hg_ear_from_verdict(v->verdict, &is, &c, err, sizeof(err)) < 0) {
		hg_err("host %s: no EAR: %s", host, err);
		goto out;
	}
	memcpy(c.nonce, nonce, HV_NONCE_BYTES);
	c.nonce_len = HV_NONCE_BYTES;
	if (hg_ear_sign(&c, s->ear_key, &tok, &toklen) < 0) {
		hg_err("host %s: no EAR: signing failed", host);
		goto out;
	}
	ret = b64url(tok, toklen);
out:
	free(tok);
	hg_ear_claims_free(&c);
	return ret;
}

void hv_push_attest(struct evhttp_request *req, void *arg)
{
	static const struct {
		int status;
		const char *code, *why;
	} refusal[] = {
		[HV_NONCE_UNKNOWN] = { 403, "nonce-unknown", "was not issued by this verifier" },
		[HV_NONCE_USED] = { 409, "nonce-used", "was already used (a replay)" },
		[HV_NONCE_EXPIRED] = { 410, "nonce-expired", "has expired (stale)" },
		[HV_NONCE_FOREIGN] = { 403, "nonce-foreign", "was issued to another host" },
	};
	struct hv_svc *s = arg;
	struct hv_principal p;
	struct hv_svc_verdict v = { 0 };
	struct hv_push_query q = { 0 };
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const uint8_t *nonce = q.nonce;
	size_t nonce_len = HV_REQ_NONCE_BYTES, len = 0;
	char hex[2 * HV_REQ_NONCE_BYTES + 1], *body = NULL, *ear = NULL, why[400];
	json_object *o = NULL;
	int r;

	if (hv_api_need(s, req, HV_ROLE_HOST, &p) < 0)
		goto out;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		hv_api_error(s, req, 405, "method", "method not allowed (POST only)");
		goto out;
	}
	r = hv_req_push_query(uri ? evhttp_uri_get_query(uri) : NULL, &q, why, sizeof(why));
	if (r != HV_REQ_OK) {
		hv_api_error(s, req, r == HV_REQ_NOMEM ? 500 : 400,
			     r == HV_REQ_NOMEM ? "internal" : r == HV_REQ_BAD_NONCE ? "bad-nonce" :
			     r == HV_REQ_BAD_QUERY ? "bad-query" : "bad-workload", "%s", why);
		goto out;
	}
	hg_hex_encode(q.nonce, HV_REQ_NONCE_BYTES, hex);
	if (hv_api_body(s, req, 0, &body, &len) < 0)
		goto out;
	r = hv_reg_nonce_take(s->reg, nonce, p.host, (int64_t)time(NULL));
	if (r < 0) {
		hv_api_unavailable(s, req, "spending the nonce");
		goto out;
	}
	if (r > 0) {
		s->m.nonce_refused[r]++;
		hv_api_error(s, req, refusal[r].status, refusal[r].code,
			     "nonce %s %s", hex, refusal[r].why);
		goto out;
	}
	if (hv_svc_judge_scoped(s, p.host, nonce, nonce_len, (const uint8_t *)body, len,
				q.wl, q.nwl, &v, why, sizeof(why)) < 0) {
		hv_api_error(s, req, 409, "not-judged", "host %s: %s", p.host, why);
		goto out;
	}
	/* A verdict the registry did not take is no attestation: no answer
	 * (nor EAR) vouches for it; the host asks for a new nonce. */
	if (hv_svc_record(s, p.host, &v, NULL) < 0) {
		hv_api_unavailable(s, req, "recording the verdict");
		goto out;
	}
	s->m.pushes++;
	o = json_object_new_object();
	json_object_object_add(o, "host", json_object_new_string(p.host));
	json_object_object_add(o, "state", json_object_new_string(hv_state_name(v.state)));
	json_object_object_add(o, "verdict", json_object_get(v.verdict));
	if (s->ear_key && (ear = ear_for(s, p.host, nonce, &v)))
		json_object_object_add(o, "ear", json_object_new_string(ear));
	hv_api_json(s, req, 200, o);
out:
	json_object_put(o);
	hv_svc_verdict_free(&v);
	free(ear);
	free(body);
	hv_req_push_query_free(&q);
}
