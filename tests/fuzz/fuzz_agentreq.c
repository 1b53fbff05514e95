/* fuzz_agentreq.c: libFuzzer target for the body of the agent's
 * POST /v1/evidence, ag_evreq_parse() (attest/agent/evreq.h), the JSON a
 * network client sends. Checks beyond "no crash, no leak, no UB":
 *  - deterministic: the same bytes parse the same way twice;
 *  - a refusal leaves the request zeroed, with one line naming why;
 *  - an accepted request obeys evreq.h: a nonce of 8..64 bytes, a since
 *    recnum within HG_SINCE_MAX_RECNUM, and the input was valid strict
 *    JSON with nothing but white space after it;
 *  - round trip: the canonical body built from what was accepted (lower
 *    case hex, no white space) is accepted and gives the same request,
 *    so no prefix or part of a field ever stood for the whole.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../attest/agent/evreq.h"
#include "util.h"

#include "fuzz_check.h"

static int zeroed(const struct ag_evreq *r)
{
	static const struct ag_evreq z;

	return !memcmp(r, &z, sizeof(z));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_evreq r, r2, r3;
	char why[256], why2[256], body[512], hex[2 * HG_NONCE_MAX + 1], boot[HG_BOOT_ID_LEN + 1];
	int rc, rc2, n;

	if (size > 8192)
		return 0;
	memset(&r, 0xa5, sizeof(r));
	rc = ag_evreq_parse((const char *)data, size, &r, why, sizeof(why));
	rc2 = ag_evreq_parse((const char *)data, size, &r2, why2, sizeof(why2));
	CHECK(rc == 0 || rc == -1);
	CHECK(rc == rc2);
	if (rc < 0) {
		CHECK(zeroed(&r));
		CHECK(why[0] != '\0' && strchr(why, '\n') == NULL);
		CHECK(!strcmp(why, why2));
		return 0;
	}
	CHECK(!memcmp(&r, &r2, sizeof(r)));
	CHECK(r.nonce_len >= HG_NONCE_MIN && r.nonce_len <= HG_NONCE_MAX);
	CHECK(r.has_since == 0 || r.has_since == 1);
	CHECK(!r.has_since || r.since.recnum <= HG_SINCE_MAX_RECNUM);
	CHECK(memchr(data, '\0', size) == NULL);

	hg_hex_encode(r.nonce, r.nonce_len, hex);
	if (r.has_since) {
		hg_boot_id_format(&r.since.boot, boot);
		n = snprintf(body, sizeof(body),
			     "{\"nonce\":\"%s\",\"since\":{\"boot\":\"%s\",\"recnum\":%llu}}",
			     hex, boot, (unsigned long long)r.since.recnum);
	} else {
		n = snprintf(body, sizeof(body), "{\"nonce\":\"%s\"}", hex);
	}
	CHECK(n > 0 && (size_t)n < sizeof(body));
	CHECK(ag_evreq_parse(body, (size_t)n, &r3, why, sizeof(why)) == 0);
	CHECK(!memcmp(&r, &r3, sizeof(r)));
	return 0;
}
