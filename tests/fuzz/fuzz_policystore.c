/* fuzz_policystore.c: libFuzzer target for the verifier's policy store,
 * the path a policy takes in the service: PUT /v1/policies/NAME (and
 * `policy add`) parse the text with hg_policy_parse() and, only when it
 * parses, store it as the name's next version (hv_reg_policy_add(),
 * verifier/registry.h); every judgement later reads the stored text back
 * (hv_reg_policy_get()) and parses it again. The registry is a real
 * SQLite one in memory (":memory:"), reopened every 4096 inputs so that
 * the versions it keeps stay few. Checks beyond "no crash, no leak, no UB":
 *  - what the parser refuses is refused the same way twice;
 *  - what it accepts is stored and read back byte for byte, NUL-terminated,
 *    its sha256 that of the text, as a new version one above the last (or,
 *    stored again, "unchanged" at the same version), and parses again:
 *    a policy that was accepted once is never refused or changed by the
 *    trip through the store.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "../../verifier/policy.h"
#if __has_include("../../verifier/registry/registry.h")
#include "../../verifier/registry/registry.h"
#else
#include "../../verifier/registry.h"
#endif

#include "fuzz_check.h"

static struct hv_reg *reg;
static unsigned uses;
static int64_t last_version;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_policy p = { 0 }, p2 = { 0 }, p3 = { 0 };
	struct hv_policy_rec rec = { 0 };
	uint8_t sum[32];
	unsigned int sumlen = 0;
	int64_t v = 0, v2 = 0;
	int unchanged = -1, r;

	if (size > 65536)
		return 0;
	r = hg_policy_parse("fuzz", (const char *)data, size, &p);
	CHECK(hg_policy_parse("fuzz", (const char *)data, size, &p2) == r);
	hg_policy_free(&p2);
	if (r < 0)
		return 0;
	if (!reg || ++uses % 4096 == 0) {
		hv_reg_close(reg);
		reg = NULL;
		CHECK(hv_reg_open(":memory:", HV_REG_RDWR, &reg) == 0);
		last_version = 0;
	}
	CHECK(hv_reg_policy_add(reg, "p", (const char *)data, size, 1, &v, &unchanged) == 0);
	CHECK(unchanged == 0 || unchanged == 1);
	CHECK(unchanged ? v == last_version : v == last_version + 1);
	last_version = v;
	CHECK(hv_reg_policy_add(reg, "p", (const char *)data, size, 2, &v2, &unchanged) == 0);
	CHECK(unchanged == 1 && v2 == v);
	CHECK(hv_reg_policy_get(reg, "p", 0, &rec) == 1);
	CHECK(rec.version == v && rec.text && (size_t)rec.text_len == size);
	CHECK(!memcmp(rec.text, data, size) && rec.text[size] == '\0');
	CHECK(EVP_Digest(data, size, sum, &sumlen, EVP_sha256(), NULL) == 1 && sumlen == 32);
	CHECK(!memcmp(rec.sha256, sum, 32));
	CHECK(hg_policy_parse("stored", rec.text, (size_t)rec.text_len, &p3) == 0);
	hv_policy_rec_free(&rec);
	hg_policy_free(&p3);
	hg_policy_free(&p);
	return 0;
}
