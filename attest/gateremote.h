/* gateremote.h: the gate in remote mode (mode = remote, docs/gate.md
 * "Remote mode"): the verifier service judges this start, and the gate
 * believes only the signed answer (an EAR, lib/ear.h) it checks itself.
 *
 * The exchange, each request over HTTPS with libcurl (easy interface:
 * one hook, one start, nothing to multiplex):
 *  1. GET VERIFIER-URL/v1/nonce -> {"nonce": HEX}: exactly 32 bytes;
 *  2. the caller quotes with that nonce (gate.c);
 *  3. POST VERIFIER-URL/v1/attest?nonce=HEX&workload=KIND:NAME...
 *     (application/cbor, the evidence) -> {"ear": BASE64URL, ...}: the
 *     workloads are this domain's (config, image and overlay items of
 *     the start), so the service judges exactly them, as
 *     `hostgate-verify check --workload` does (docs/api.md).
 * The EAR must then, in this order:
 *   - verify under the pinned key (verifier-ear-key; ES256 only) and be
 *     unexpired (hg_ear_verify: iat, exp, profile);
 *   - carry eat_nonce == the nonce of step 1;
 *   - hold a submodule named as this host: the CN of verifier-cert, the
 *     name the service authenticated it by (docs/api.md);
 *   - say "affirming" in that submodule;
 *   - vouch in it for exactly the config and image files this start
 *     measured, with the digests the gate computed, in every bank it
 *     measured, and for no other workload file (hg_ear_submod_covers).
 * Nothing else of the answer is believed (its "state" and "verdict" are
 * unsigned and only decorate a refusal's reason).
 *
 * TLS: https only, TLS 1.2 or later, the peer verified against
 * verifier-ca alone (no system store) and its name against the URL's
 * host; the client certificate verifier-cert with verifier-key-file; no
 * proxy from the environment, no redirect followed. Each request is
 * bounded by verifier-timeout seconds, connect to last byte, and its
 * answer by HG_REMOTE_MAX_BODY bytes.
 *
 * Contract: every function returns 0 or -1 with one line in REASON that
 * names the verifier or the check that failed; anything not verified is
 * -1 (fail closed). hg_remote_close() accepts a zeroed or failed struct.
 */
#ifndef HG_GATEREMOTE_H
#define HG_GATEREMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "gateconf.h"
#include "measureset.h"

#define HG_REMOTE_NONCE 32               /* the service's HV_NONCE_BYTES */
#define HG_REMOTE_MAX_BODY (4u << 20)    /* a verdict and an EAR */
#define HG_REMOTE_MAX_WORKLOADS 64       /* the service's bound too */
#define HG_REMOTE_HOST_MAX 255

struct hg_remote {
	const struct hg_gateconf *cfg;   /* borrowed */
	char host[HG_REMOTE_HOST_MAX + 1];  /* verifier-cert's CN */
	EVP_PKEY *ear_key;               /* verifier-ear-key */
	int curl_up;                     /* curl_global_init() done */
};

/* Load the pinned EAR key and this host's name (the CN of
 * verifier-cert): before any request, so a bad file refuses at once. */
int hg_remote_open(struct hg_remote *r, const struct hg_gateconf *cfg,
		   char *reason, size_t rlen);
/* Step 1: a nonce from the verifier. */
int hg_remote_nonce(struct hg_remote *r, uint8_t nonce[HG_REMOTE_NONCE],
		    char *reason, size_t rlen);
/* Steps 3 and the checks: post EV for NONCE with the workloads among
 * ITEMS, and 0 only when the EAR says this start may go. */
int hg_remote_attest(struct hg_remote *r, const uint8_t nonce[HG_REMOTE_NONCE],
		     const uint8_t *ev, size_t evlen,
		     const struct hg_mitem *items, size_t n,
		     char *reason, size_t rlen);
void hg_remote_close(struct hg_remote *r);

#endif
