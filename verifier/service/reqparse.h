/* reqparse.h: what the service reads from a request before it touches
 * the registry: hostile bytes from an authenticated client (a host or an
 * operator), parsed without libevent's request object so that the parsers
 * can be fuzzed alone (tests/fuzz/fuzz_svcreq.c).
 *
 *  - hv_req_assign(): the body of POST /v1/policies/NAME/assign (apipol.c),
 *    exactly one of {"host": NAME} or {"group": NAME}: json-c, depth 8,
 *    the whole body one JSON object with one key, its value a string
 *    without NUL ("\u0000" would cut the C string json-c gives). The name
 *    rule itself is the registry's (hv_name_ok()), applied by the caller.
 *  - hv_req_push_query(): the query of POST /v1/attest (push.c), decoded
 *    by evhttp (RFC 3986 percent-encoding): nonce=HEX, exactly
 *    HV_REQ_NONCE_BYTES bytes (the first nonce parameter); then every
 *    workload=KIND:NAME, at most HV_REQ_MAX_SCOPE of them, KIND config,
 *    image or overlay, NAME an absolute path of at most HG_CEL_MAX_NAME
 *    bytes that passes hg_name_check() (lib/text.h). A decoded value
 *    holding a NUL ("%00") is refused: its C string would be a prefix.
 *
 * Contract: 0 and the outputs filled, or an HV_REQ_BAD_* code with the
 * outputs empty and WHY one line (hv_req_assign(): a fixed string). The
 * push query's names are owned by Q until hv_req_push_query_free(), which
 * accepts a zeroed or failed Q; the assign target is the caller's to
 * free().
 */
#ifndef HV_SVC_REQPARSE_H
#define HV_SVC_REQPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "../judge.h"

#define HV_REQ_NONCE_BYTES 32
#define HV_REQ_MAX_SCOPE 64

enum { HV_REQ_OK = 0, HV_REQ_BAD_JSON, HV_REQ_BAD_NONCE, HV_REQ_BAD_QUERY,
       HV_REQ_BAD_WORKLOAD, HV_REQ_NOMEM };

int hv_req_assign(const char *body, size_t len, int *group, char **target);

struct hv_push_query {
	uint8_t nonce[HV_REQ_NONCE_BYTES];
	size_t nwl;
	struct hv_workload wl[HV_REQ_MAX_SCOPE];  /* names point into names[] */
	char *names[HV_REQ_MAX_SCOPE];
};

int hv_req_push_query(const char *query, struct hv_push_query *q, char *why,
		      size_t whylen);
void hv_req_push_query_free(struct hv_push_query *q);

#endif
