/* evreq.h: the body of the agent's POST /v1/evidence (agent.h), hostile
 * bytes from the network (only a client of the verifier CA gets here,
 * but a client is not trusted to be well-formed).
 *
 * A JSON object, parsed strictly (json-c, STRICT mode, depth 4, the whole
 * body one value, nothing after it but white space, no NUL byte):
 *   {"nonce": HEX}                               required, 8..64 bytes as
 *                                                for `quote --nonce`
 *   "since": {"boot": HEX, "recnum": N}          optional: HEX 16 hex
 *                                                digits (the boot id),
 *                                                N 0..2^32-2
 * Any other field, a wrong type or a bad value is refused.
 *
 * Contract: ag_evreq_parse() reads exactly LEN bytes of BODY (no NUL
 * needed); 0 with *R filled, or -1 with *R zeroed and one line in WHY
 * naming the field and the reason (a field name shown is cut short and
 * printable ASCII only). Nothing to free. tests/fuzz/fuzz_agentreq.c.
 */
#ifndef HG_AGENT_EVREQ_H
#define HG_AGENT_EVREQ_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/evidence.h"
#include "../evquote.h"

struct ag_evreq {
	uint8_t nonce[HG_NONCE_MAX];
	size_t nonce_len;
	int has_since;
	struct hg_since since;
};

int ag_evreq_parse(const char *body, size_t len, struct ag_evreq *r,
		   char *why, size_t whylen);

#endif
