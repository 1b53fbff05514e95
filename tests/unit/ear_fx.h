/* ear_fx.h: EAR tokens built by hand for test_ear.c and test_ear_bad.c.
 *
 * fx_claims() writes a claims-set with the project's CBOR writer
 * (lib/cbor_w.h, libcbor's encoders underneath), byte by byte as the
 * KNOBS say: a valid one by default, or one with a claim missing, doubled,
 * out of range or unknown. fx_envelope() signs any payload as a COSE_Sign1
 * with any tag and headers, computing the Sig_structure (RFC 9052 §4.4)
 * and the ES256 signature itself, so that a refused envelope is refused
 * for its header, not for a bad signature.
 */
#ifndef EAR_FX_H
#define EAR_FX_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "../../lib/ear.h"

#define FX_NOW 1800000000
#define FX_HOST "host-a"

struct knobs {
	int64_t omit;            /* top-level label left out (0: none) */
	int64_t dup;             /* top-level label written twice */
	const char *profile;     /* NULL: HG_EAR_PROFILE */
	int64_t iat, exp;        /* 0: FX_NOW, FX_NOW + 300 */
	int64_t extra;           /* an unknown top-level label (0: none) */
	size_t nonce_len;        /* 0: 16 */
	int no_nonce;
	int64_t status;          /* of the submodule (INT64_MIN: 2, affirming) */
	int no_status, dup_status;
	int64_t sub_extra;       /* an unknown submodule label (0: none) */
	int64_t tv_label, tv_value;   /* one more vector entry (tv_label >= 0) */
	int tv_dup;              /* instance-identity twice */
	int tv_empty;            /* an empty vector */
	size_t nsubmods;         /* 0: 1 */
	int dup_submod;          /* the same name twice */
	size_t name_len;         /* 0: FX_HOST; else a name of this length */
	size_t nmeasured;        /* hostgate.measured entries (default 1) */
	int no_measured;
	int64_t digest_len;      /* 0: 32 */
	const char *alg;         /* NULL: "sha256" */
	const char *kind;        /* NULL: "config" */
	int vid_missing_build, vid_dup;
	size_t trailing;         /* zero bytes after the claims map */
};

/* The default knobs: a valid claims-set. */
void fx_knobs(struct knobs *k);
/* A claims-set as K says; malloc'd. */
uint8_t *fx_claims(const struct knobs *k, size_t *len);
/* A COSE_Sign1 by KEY over PAYLOAD: TAG (-1: none), protected header
 * bytes PROT (the serialised map), UNPROT_ALG (0: {} else {1: alg}). */
uint8_t *fx_envelope(EVP_PKEY *key, int64_t tag, const uint8_t *prot, size_t plen,
		     int64_t unprot_alg, const uint8_t *payload, size_t len, size_t *outlen);
/* fx_claims() signed the normal way (hg_cose_sign1). */
uint8_t *fx_token(EVP_PKEY *key, const struct knobs *k, size_t *len);
/* hg_ear_verify() at FX_NOW; ERR gets the reason. */
int fx_verify(EVP_PKEY *pub, const uint8_t *tok, size_t len, char *err, size_t errlen);

#endif
