/* api.h: what the service's HTTP handlers share (api.c, push.c,
 * apipol.c): authentication and the counted replies. Reference:
 * docs/api.md.
 *
 * Authentication (api.c, hv_api_auth):
 *  - "Authorization: Bearer TOKEN": the token's principal (--token-file:
 *    "operator TOKEN" or "host NAME TOKEN" lines). Tokens are compared
 *    as SHA-256 digests with CRYPTO_memcmp, against every token, so the
 *    time says nothing about which or how much matched. A wrong token
 *    is 401, whatever certificate came with it.
 *  - otherwise the client certificate (verified to --client-ca by
 *    lib/httpsd before any handler runs): a CN given with --operator is
 *    an operator; a CN that is an enrolled host's name is that host;
 *    anything else is 403.
 *  - neither: 401.
 * Operators have the whole API but push mode; a host has only GET
 * /v1/nonce, POST /v1/attest (for itself) and GET /v1/health.
 */
#ifndef HV_API_H
#define HV_API_H

#include <json-c/json.h>

#include "svc.h"

struct evhttp_request;

struct hv_principal {
	enum hv_role role;
	char host[HV_HOST_NAME_MAX + 1];
};

/* 0 and *P, or -1 after answering the request (401/403). */
int hv_api_auth(struct hv_svc *s, struct evhttp_request *req,
		struct hv_principal *p);
/* The same, and -1 after a 403 unless P's role is ROLE. */
int hv_api_need(struct hv_svc *s, struct evhttp_request *req,
		enum hv_role role, struct hv_principal *p);

/* Replies, counted in the metrics (status >= 400 is an error). */
void hv_api_json(struct hv_svc *s, struct evhttp_request *req, int status,
		 json_object *body);               /* BODY not taken */
void hv_api_error(struct hv_svc *s, struct evhttp_request *req, int status,
		  const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void hv_api_bytes(struct hv_svc *s, struct evhttp_request *req, int status,
		  const char *type, const void *buf, size_t len);

/* 503 "registry-unavailable": the registry failed doing WHAT (and is
 * marked unavailable, lease.c). */
void hv_api_unavailable(struct hv_svc *s, struct evhttp_request *req,
			const char *what);

/* The request body, copied NUL-terminated (evbuffer_remove); -1 after
 * a 400 when it is empty or holds a NUL (REQUIRE_TEXT). */
int hv_api_body(struct hv_svc *s, struct evhttp_request *req,
		int require_text, char **out, size_t *len);
/* The query parameter KEY of the request's URI, copied; NULL none. */
char *hv_api_query(struct evhttp_request *req, const char *key);
/* RFC 3339 UTC. */
void hv_api_time(int64_t t, char *buf, size_t n);

/* push.c */
void hv_push_nonce(struct evhttp_request *req, void *arg);
void hv_push_attest(struct evhttp_request *req, void *arg);
/* apipol.c: /v1/policies and /v1/policies/NAME[/assign] */
void hv_api_policies(struct evhttp_request *req, void *arg);
void hv_api_policy(struct hv_svc *s, struct evhttp_request *req,
		   const char *rest);

/* The token file (api.c): -1 after one error line naming it. */
int hv_api_load_tokens(struct hv_svc *s, const char *path);

#endif
