/* fuzz_policy.c: the policy parser (verifier/policy.c, included whole in
 * the manner of wireguard-tools' fuzz targets) on arbitrary text. A policy
 * is the verifier's own input, but it is edited by hand and shipped
 * around: it must never crash the verifier or half-load. */
#include "../../verifier/policy.c"
#include "../../verifier/policyquery.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_policy p;
	if (hg_policy_parse("fuzz.json", (const char *)data, size, &p) == 0) {
		for (size_t i = 0; i < p.n; i++)
			(void)hg_policy_find(&p, p.entries[i].kind, p.entries[i].name,
					     strlen(p.entries[i].name));
		hg_policy_free(&p);
	}
	return 0;
}
