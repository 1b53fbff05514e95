/* fuzz_running.c: libFuzzer target for the running-domain list a host's
 * agent answers to GET /v1/domains, which the service pulls and `check
 * --running` reads: hv_running_parse() (verifier/running.h, linked with
 * the strict JSON reader verifier/jsonstrict.c). Checks beyond "no crash,
 * no leak, no UB":
 *  - deterministic; a refusal leaves an empty list and one error line;
 *  - an accepted list obeys running.h: at most HV_RUNNING_MAX entries,
 *    names of 1..HG_CEL_MAX_DOMAIN bytes without NUL, no UUID twice;
 *  - round trip: the list written again as JSON (json-c) parses to the
 *    same names and UUIDs in the same order.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../../verifier/running.h"
#include "cel.h"
#include "uuid.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_running r = { 0 }, r2 = { 0 }, r3 = { 0 };
	char err[512] = "", err2[512] = "", u[HG_UUID_TEXT + 1];
	json_object *a;
	const char *s;
	int rc;

	rc = hv_running_parse((const char *)data, size, &r, err, sizeof(err));
	CHECK(hv_running_parse((const char *)data, size, &r2, err2, sizeof(err2)) == rc);
	if (rc < 0) {
		CHECK(r.n == 0 && r.v == NULL);
		CHECK(err[0] && !strchr(err, '\n') && !strcmp(err, err2));
		return 0;
	}
	CHECK(rc == 0 && r.n == r2.n && r.n <= HV_RUNNING_MAX);
	a = json_object_new_array();
	for (size_t i = 0; i < r.n; i++) {
		size_t nl = strlen(r.v[i].name);
		json_object *o = json_object_new_object();

		CHECK(nl >= 1 && nl <= HG_CEL_MAX_DOMAIN);
		CHECK(!strcmp(r.v[i].name, r2.v[i].name));
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(r.v[i].uuid, r.v[j].uuid, HG_UUID_LEN) != 0);
		hg_uuid_format(r.v[i].uuid, u);
		json_object_object_add(o, "name", json_object_new_string(r.v[i].name));
		json_object_object_add(o, "uuid", json_object_new_string(u));
		json_object_array_add(a, o);
	}
	s = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	CHECK(hv_running_parse(s, strlen(s), &r3, err, sizeof(err)) == 0);
	CHECK(r3.n == r.n);
	for (size_t i = 0; i < r.n; i++)
		CHECK(!strcmp(r3.v[i].name, r.v[i].name) &&
		      !memcmp(r3.v[i].uuid, r.v[i].uuid, HG_UUID_LEN));
	json_object_put(a);
	hv_running_free(&r);
	hv_running_free(&r2);
	hv_running_free(&r3);
	return 0;
}
