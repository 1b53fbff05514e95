/* fuzz_svcreq.c: libFuzzer target for what the verifier service parses
 * from a request before the registry sees it (verifier/service/reqparse.h):
 * the body of POST /v1/policies/NAME/assign (hv_req_assign()) and the
 * query of a push, POST /v1/attest (hv_req_push_query()). The input is
 * tried as both (the query as a C string, cut at the first NUL as evhttp
 * hands it). Checks beyond "no crash, no leak, no UB":
 *  - deterministic, and a refusal leaves nothing (zeroed query, NULL
 *    target) with a code and, for the query, one line naming why;
 *  - an accepted assign body names a NUL-free target that is exactly the
 *    JSON string, and {"host"|"group": target} encoded again by json-c is
 *    accepted with the same result;
 *  - an accepted query has the 32-byte nonce its first nonce= names, at
 *    most 64 workloads each of a workload kind and an absolute, name-rule
 *    clean path of at most HG_CEL_MAX_NAME bytes; the query rebuilt from
 *    them (percent-encoded) parses to the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "../../verifier/service/reqparse.h"
#include "cel.h"
#include "text.h"
#include "util.h"

#include "fuzz_check.h"

static int zeroed(const struct hv_push_query *q)
{
	static const struct hv_push_query z;

	return !memcmp(q, &z, sizeof(z));
}

static void assign(const uint8_t *data, size_t size)
{
	char *t = NULL, *t2 = NULL;
	int g = -1, g2 = -1, r, r2;
	json_object *o;
	const char *s;

	r = hv_req_assign((const char *)data, size, &g, &t);
	r2 = hv_req_assign((const char *)data, size, &g2, &t2);
	CHECK(r == r2);
	if (r != HV_REQ_OK) {
		CHECK(r == HV_REQ_BAD_JSON || r == HV_REQ_NOMEM);
		CHECK(t == NULL && t2 == NULL && g == 0);
		return;
	}
	CHECK(t && t2 && !strcmp(t, t2) && g == g2 && (g == 0 || g == 1));
	o = json_object_new_object();
	json_object_object_add(o, g ? "group" : "host", json_object_new_string(t));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	free(t2);
	t2 = NULL;
	CHECK(hv_req_assign(s, strlen(s), &g2, &t2) == HV_REQ_OK);
	CHECK(g2 == g && !strcmp(t, t2));
	json_object_put(o);
	free(t);
	free(t2);
}

static void query(const uint8_t *data, size_t size)
{
	struct hv_push_query q, q2, q3;
	char why[512], why2[512], *str = malloc(size + 1), *enc, *re = NULL, hex[65];
	size_t relen = 0;
	int r;

	CHECK(str != NULL);
	memcpy(str, data, size);
	str[size] = '\0';
	r = hv_req_push_query(str, &q, why, sizeof(why));
	CHECK(hv_req_push_query(str, &q2, why2, sizeof(why2)) == r);
	if (r != HV_REQ_OK) {
		CHECK(zeroed(&q) && zeroed(&q2));
		CHECK(why[0] && !strchr(why, '\n') && !strcmp(why, why2));
		free(str);
		return;
	}
	CHECK(q.nwl == q2.nwl && !memcmp(q.nonce, q2.nonce, sizeof(q.nonce)));
	CHECK(q.nwl <= HV_REQ_MAX_SCOPE);
	hg_hex_encode(q.nonce, sizeof(q.nonce), hex);
	relen = strlen("nonce=") + 64;
	re = malloc(relen + 1);
	CHECK(re != NULL);
	snprintf(re, relen + 1, "nonce=%s", hex);
	for (size_t i = 0; i < q.nwl; i++) {
		const char *kn = hg_kind_name(q.wl[i].kind), *why3;
		size_t nl = strlen(q.wl[i].name), add;
		char *p;

		CHECK(hg_kind_is_workload(q.wl[i].kind));
		CHECK(q.wl[i].name == q.names[i] && !strcmp(q.names[i], q2.names[i]));
		CHECK(q.wl[i].name[0] == '/' && nl <= HG_CEL_MAX_NAME);
		CHECK(hg_name_check((const uint8_t *)q.wl[i].name, nl, &why3) == 0);
		enc = evhttp_uriencode(q.wl[i].name, -1, 0);
		CHECK(enc != NULL);
		add = strlen("&workload=") + strlen(kn) + 1 + strlen(enc);
		p = realloc(re, relen + add + 1);
		CHECK(p != NULL);
		re = p;
		snprintf(re + relen, add + 1, "&workload=%s:%s", kn, enc);
		relen += add;
		free(enc);
	}
	CHECK(hv_req_push_query(re, &q3, why, sizeof(why)) == HV_REQ_OK);
	CHECK(q3.nwl == q.nwl && !memcmp(q3.nonce, q.nonce, sizeof(q.nonce)));
	for (size_t i = 0; i < q.nwl; i++)
		CHECK(q3.wl[i].kind == q.wl[i].kind && !strcmp(q3.names[i], q.names[i]));
	hv_req_push_query_free(&q);
	hv_req_push_query_free(&q2);
	hv_req_push_query_free(&q3);
	free(re);
	free(str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	assign(data, size);
	query(data, size);
	return 0;
}
