/* apipol.c: the policy endpoints (operator only; docs/api.md):
 *
 *   GET  /v1/policies               {"policies": [{name, version, sha256,
 *                                    added_at}], "assignments": [...]}
 *   GET  /v1/policies/NAME[?version=N]   the policy's JSON text as stored,
 *                                    with Hostgate-Policy-Version
 *   PUT  /v1/policies/NAME          body: a policy; parsed by the one
 *                                    strict parser (verifier/policy.h)
 *                                    before it is stored as NAME's next
 *                                    version (201; 200 when unchanged)
 *   POST /v1/policies/NAME/assign   {"host": H} or {"group": G}
 *
 * A change is seen by the scheduler at once (hv_sched_refresh): every
 * host it applies to is re-attested promptly.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/http.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"
#include "../policy.h"
#include "reqparse.h"

static int pol_one(const struct hv_policy_rec *p, void *arg)
{
	json_object *o = json_object_new_object();
	char sum[65], t[32];

	hg_hex_encode(p->sha256, 32, sum);
	hv_api_time(p->added_at, t, sizeof(t));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "version", json_object_new_int64(p->version));
	json_object_object_add(o, "sha256", json_object_new_string(sum));
	json_object_object_add(o, "added_at", json_object_new_string(t));
	json_object_array_add(arg, o);
	return 0;
}

static int asg_one(void *arg, enum hv_assign_kind kind, const char *target,
		   const char *policy)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, kind == HV_ASSIGN_HOST ? "host" : "group",
			       json_object_new_string(target));
	json_object_object_add(o, "policy", json_object_new_string(policy));
	json_object_array_add(arg, o);
	return 0;
}

void hv_api_policies(struct evhttp_request *req, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_principal p;
	json_object *o, *pols, *asg;

	if (hv_api_need(s, req, HV_ROLE_OPERATOR, &p) < 0)
		return;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		hv_api_error(s, req, 405, "method", "method not allowed (GET only)");
		return;
	}
	o = json_object_new_object();
	pols = json_object_new_array();
	asg = json_object_new_array();
	json_object_object_add(o, "policies", pols);
	json_object_object_add(o, "assignments", asg);
	if (hv_reg_policies(s->reg, pol_one, pols) < 0 ||
	    hv_reg_assignments(s->reg, asg_one, asg) < 0)
		hv_api_unavailable(s, req, "the policy store");
	else
		hv_api_json(s, req, 200, o);
	json_object_put(o);
}

static void policy_get(struct hv_svc *s, struct evhttp_request *req,
		       const char *name)
{
	struct hv_policy_rec rec = { 0 };
	char *q = hv_api_query(req, "version"), v[32];
	unsigned long version = 0;
	int r;

	if (q && (hg_parse_uint(q, 1ul << 40, &version) < 0 || !version)) {
		hv_api_error(s, req, 400, "bad-version", "version: not a version number");
		goto out;
	}
	if ((r = hv_reg_policy_get(s->reg, name, (int64_t)version, &rec)) <= 0) {
		if (r < 0)
			hv_api_unavailable(s, req, "the policy store");
		else
			hv_api_error(s, req, 404, "no-policy", "no such policy%s: %s",
				     version ? " version" : "", name);
		goto out;
	}
	snprintf(v, sizeof(v), "%lld", (long long)rec.version);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Hostgate-Policy-Version", v);
	hv_api_bytes(s, req, 200, "application/json", rec.text, rec.text_len);
out:
	hv_policy_rec_free(&rec);
	free(q);
}

static void policy_put(struct hv_svc *s, struct evhttp_request *req,
		       const char *name)
{
	struct hg_policy pol = { 0 };
	char *body = NULL, label[HV_HOST_NAME_MAX + 16];
	size_t len = 0;
	int64_t version = 0;
	int unchanged = 0;
	json_object *o;

	if (hv_api_body(s, req, 1, &body, &len) < 0)
		goto out;
	snprintf(label, sizeof(label), "policy %s", name);
	/* The strict parser's one line (FILE:LINE:COL: $.path: reason)
	 * is the answer: the operator fixes the policy by it. */
	hg_err_last_clear();
	if (hg_policy_parse(label, body, len, &pol) < 0) {
		hv_api_error(s, req, 400, "bad-policy", "%s", hg_err_last());
		goto out;
	}
	if (hv_reg_policy_add(s->reg, name, body, len, (int64_t)time(NULL),
			      &version, &unchanged) < 0) {
		hv_api_unavailable(s, req, "the policy store");
		goto out;
	}
	hv_sched_refresh(s);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "version", json_object_new_int64(version));
	json_object_object_add(o, "unchanged", json_object_new_boolean(unchanged));
	hv_api_json(s, req, unchanged ? 200 : 201, o);
	json_object_put(o);
out:
	hg_policy_free(&pol);
	free(body);
}

static void policy_assign(struct hv_svc *s, struct evhttp_request *req,
			  const char *name)
{
	json_object *o;
	char *body = NULL, *target = NULL;
	size_t len = 0;
	int r, group = 0;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		hv_api_error(s, req, 405, "method", "method not allowed (POST only)");
		goto out;
	}
	if (hv_api_body(s, req, 1, &body, &len) < 0)
		goto out;
	r = hv_req_assign(body, len, &group, &target);
	if (r == HV_REQ_NOMEM) {
		hv_api_error(s, req, 500, "internal", "out of memory");
		goto out;
	}
	if (r != HV_REQ_OK) {
		hv_api_error(s, req, 400, "bad-json",
			     "the body is not {\"host\": NAME} or {\"group\": NAME}");
		goto out;
	}
	if (!hv_name_ok(target)) {
		hv_api_error(s, req, 400, "bad-name", "not a %s name",
			     group ? "group" : "host");
		goto out;
	}
	r = hv_reg_policy_assign(s->reg, name, group ? HV_ASSIGN_GROUP : HV_ASSIGN_HOST,
				 target, (int64_t)time(NULL));
	if (r < 0) {
		hv_api_unavailable(s, req, "the policy store");
		goto out;
	}
	if (r == HV_POLICY_UNKNOWN || r == HV_HOST_UNKNOWN) {
		hv_api_error(s, req, 404, r == HV_POLICY_UNKNOWN ? "no-policy" : "no-host",
			     "no such %s: %s", r == HV_POLICY_UNKNOWN ? "policy" : "host",
			     r == HV_POLICY_UNKNOWN ? name : target);
		goto out;
	}
	hv_sched_refresh(s);
	o = json_object_new_object();
	json_object_object_add(o, "policy", json_object_new_string(name));
	json_object_object_add(o, group ? "group" : "host", json_object_new_string(target));
	hv_api_json(s, req, 200, o);
	json_object_put(o);
out:
	free(target);
	free(body);
}

void hv_api_policy(struct hv_svc *s, struct evhttp_request *req,
		   const char *rest)
{
	char name[HV_HOST_NAME_MAX + 1];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (n == 0 || n > HV_HOST_NAME_MAX) {
		hv_api_error(s, req, 404, "no-policy", "not a policy name");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!hv_name_ok(name)) {
		hv_api_error(s, req, 404, "no-policy", "not a policy name");
		return;
	}
	if (slash) {
		if (!strcmp(slash, "/assign"))
			policy_assign(s, req, name);
		else
			hv_api_error(s, req, 404, "no-resource", "no such resource");
		return;
	}
	if (m == EVHTTP_REQ_GET)
		policy_get(s, req, name);
	else if (m == EVHTTP_REQ_PUT)
		policy_put(s, req, name);
	else
		hv_api_error(s, req, 405, "method", "method not allowed (GET or PUT)");
}
