/* ear.h: signed attestation results, EAR (IETF RATS "EAT Attestation
 * Results", draft-ietf-rats-ear-04) in its CWT form: a CBOR claims-set
 * (RFC 8949) signed as a COSE_Sign1 (RFC 9052 §4.2) with ES256 by the
 * verifier's key (lib/cose.h: the protected header is exactly {1: -7},
 * the unprotected header empty, so no token chooses its algorithm, a
 * key id, or a critical header).
 *
 * The claims-set (labels from the draft's CDDL, "EAR Data Model"; CWT
 * labels from RFC 8392 §3.1; EAT labels from RFC 9711):
 *   265  eat_profile       text, exactly HG_EAR_PROFILE
 *     6  iat               int, issue time (Unix seconds)
 *     4  exp               int, expiry (Unix seconds); hostgate requires it
 *  1004  ear.verifier-id   {0: developer text, 1: build text} (AR4SI)
 *    10  eat_nonce         bstr 8..64 bytes (optional)
 *   266  submods           {+ name text => appraisal}, at least one
 * and each appraisal:
 *  1000  ear.status        0 none / 2 affirming / 32 warning / 96 contraindicated
 *  1001  ear.trustworthiness-vector
 *                          {? 0..7 => int -128..127}: instance-identity,
 *                          configuration, executables, file-system,
 *                          hardware, runtime-opaque, storage-opaque,
 *                          sourced-data (AR4SI trustworthiness claims)
 *  1003  ear.appraisal-policy-id  text (optional)
 * -70000 hostgate.measured  [* {0: kind text, 1: name text, 2: record uint,
 *                           3: alg text ("sha256"), 4: digest bstr}]
 *                          the measured files this appraisal vouches for
 *                          (private-use label: RFC 8392 §9.1 reserves
 *                          integers below -65536 for private use)
 * Submodule names: the host's name (or "host"), and "vm:UUID" per
 * running VM. Maps are written with keys in a fixed order (deterministic
 * encoding); the reader accepts any order but no duplicate and no key
 * it does not know (an unknown claim could change the meaning).
 *
 * Contract:
 *  - hg_ear_sign() encodes C (which must be valid: what verify would
 *    accept, but for the time) and signs it; *OUT is malloc'd.
 *  - hg_ear_verify() checks, in this order: the COSE_Sign1 envelope
 *    (exactly one tagged item filling LEN, ES256 only), the signature by
 *    PUB, and only then decodes the claims (exactly the payload, bounded
 *    by the HG_EAR_MAX_* limits, every required claim present, status and
 *    vector values in range, the profile, exp > NOW, iat <= NOW +
 *    HG_EAR_IAT_SKEW, iat < exp). Returns 0 valid (OUT filled; free with
 *    hg_ear_claims_free), -1 invalid (ERR says why, OUT left empty), -2
 *    when it could not check (out of memory). A token whose signature does
 *    not verify is never decoded further.
 *  - hg_ear_from_verdict() maps one `hostgate-verify check` verdict
 *    (verifier/verify.h; JSON) to claims with one submodule: see ear.c's
 *    header comment for the status and vector mapping. Digests are taken
 *    from the verdict's "measured" array (hg_ear_verdict_add_measured) and
 *    only when the verdict's log and replay checks passed (the quote binds
 *    them), minus every record the verdict names in a failure.
 *    hg_ear_add_verdict() appends one more submodule (a VM's) to C.
 *  - Every string in the claims is NUL-terminated and holds no NUL;
 *    everything is owned by the claims (hg_ear_claims_free).
 */
#ifndef HG_EAR_H
#define HG_EAR_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "cel.h"
#include "digest.h"

/* Our EAT profile (RFC 9711 eat_profile): a tag URI (RFC 4151) under a
 * reserved name (RFC 2606 .invalid), so it can never collide with one
 * someone registers. It names this claims-set: the labels above, the
 * hostgate.measured claim, exp required. */
#define HG_EAR_PROFILE "tag:hostgate.invalid,2026:ear/v1"

/* Bounds a token must stay within (verify refuses beyond; sign too). */
#define HG_EAR_MAX_TOKEN (1024 * 1024)
#define HG_EAR_MAX_SUBMODS 1024
#define HG_EAR_MAX_DIGESTS 4096      /* per submodule */
#define HG_EAR_MAX_TEXT 4096         /* any text string, in bytes */
#define HG_EAR_NONCE_MIN 8
#define HG_EAR_NONCE_MAX 64
/* A token issued up to this far in the verifier's future is accepted
 * (clock skew between hosts); later, it is refused. */
#define HG_EAR_IAT_SKEW 60
#define HG_EAR_DEFAULT_TTL 300

/* ear.status: the AR4SI trust tiers (draft-ietf-rats-ar4si, "Trust
 * Tiers"); nothing else is accepted. */
enum hg_ear_status {
	HG_EAR_NONE = 0,
	HG_EAR_AFFIRMING = 2,
	HG_EAR_WARNING = 32,
	HG_EAR_CONTRAINDICATED = 96,
};

/* Trustworthiness vector components, by their CBOR label. */
enum hg_ear_tv {
	HG_TV_INSTANCE_IDENTITY = 0,
	HG_TV_CONFIGURATION = 1,
	HG_TV_EXECUTABLES = 2,
	HG_TV_FILE_SYSTEM = 3,
	HG_TV_HARDWARE = 4,
	HG_TV_RUNTIME_OPAQUE = 5,
	HG_TV_STORAGE_OPAQUE = 6,
	HG_TV_SOURCED_DATA = 7,
	HG_TV_N = 8,
};

/* AR4SI trustworthiness claim values hostgate uses (a component is one
 * int8; 0 means "no claim" and is not encoded). */
#define HG_AR_NO_CLAIM 0
#define HG_AR_AFFIRMING 2            /* approved / genuine / recognised */
#define HG_AR_WARNING 32
#define HG_AR_CONTRAINDICATED 96
#define HG_AR_UNRECOGNIZED 97        /* instance or hardware not recognised */
#define HG_AR_CRYPTO_FAILED 99       /* cryptographic validation failed */

/* One measured file an appraisal vouches for: one per (record, bank). */
struct hg_ear_digest {
	char *kind;                  /* hg_kind_name(): "config", "image", ... */
	char *name;                  /* the record's name (a path) */
	uint64_t record;             /* its record number in the host's log */
	uint16_t alg;                /* bank (HG_ALG_*) */
	uint8_t len;
	uint8_t d[HG_MAX_DIGEST];
};

struct hg_ear_submod {
	char *name;
	enum hg_ear_status status;
	int8_t tv[HG_TV_N];          /* HG_AR_NO_CLAIM: not encoded */
	char *policy_id;             /* ear.appraisal-policy-id; may be NULL */
	struct hg_ear_digest *digests;
	size_t ndigests;
};

struct hg_ear_claims {
	int64_t iat, exp;
	char *developer;             /* ear.verifier-id developer */
	char *build;                 /* ear.verifier-id build */
	uint8_t nonce[HG_EAR_NONCE_MAX];
	size_t nonce_len;            /* 0: no eat_nonce */
	struct hg_ear_submod *submods;
	size_t nsubmods;
};

/* What hg_ear_from_verdict() adds besides the verdict. */
struct hg_ear_issue {
	int64_t now;                 /* iat */
	int64_t ttl;                 /* exp = now + ttl, ttl > 0 */
	const char *verifier_id;     /* developer; NULL: "hostgate" */
	const char *build;           /* NULL: "hostgate-verify" */
	const char *policy_id;       /* ear.appraisal-policy-id; may be NULL */
	const char *submod;          /* NULL: the verdict's hostname, else "host" */
};

void hg_ear_claims_free(struct hg_ear_claims *c);
const char *hg_ear_status_name(int status);     /* NULL if not a tier */
const char *hg_ear_tv_name(int component);      /* NULL if out of range */
const struct hg_ear_submod *hg_ear_submod_find(const struct hg_ear_claims *c,
					       const char *name);
/* Append an empty submodule named NAME (copied); NULL when out of memory,
 * over HG_EAR_MAX_SUBMODS, or when NAME is taken. */
struct hg_ear_submod *hg_ear_submod_add(struct hg_ear_claims *c, const char *name);
/* Append one digest to S (strings copied); -1 on error or over the bound. */
int hg_ear_digest_add(struct hg_ear_submod *s, const char *kind, const char *name,
		      uint64_t record, const struct hg_digest *d);

int hg_ear_sign(const struct hg_ear_claims *c, EVP_PKEY *key, uint8_t **out,
		size_t *outlen);
int hg_ear_verify(const uint8_t *token, size_t len, EVP_PKEY *pub, int64_t now,
		  struct hg_ear_claims *out, char *err, size_t errlen);

/* The verifier's key from a PEM file: a private key (WANT_PRIVATE, for
 * signing) or a public one (SubjectPublicKeyInfo, "openssl pkey
 * -pubout"), ECDSA P-256 only, never passphrase-protected. -1 after one
 * error line naming PATH. */
int hg_ear_load_key(const char *path, int want_private, EVP_PKEY **out);

/* Verdict -> claims. 0, or -1 with ERR (a verdict that is not one). */
int hg_ear_from_verdict(json_object *verdict, const struct hg_ear_issue *opt,
			struct hg_ear_claims *out, char *err, size_t errlen);
int hg_ear_add_verdict(struct hg_ear_claims *c, const char *submod,
		       json_object *verdict, const char *policy_id, char *err,
		       size_t errlen);

/* Collecting what a verdict may vouch for: pass hg_ear_collect_record as
 * hv_inputs.on_record (with a struct hg_ear_collect as its arg), then
 * hg_ear_verdict_add_measured() adds the judged file records as the
 * verdict's "measured" array [{record, kind, name, digest: {bank: hex}}],
 * but only when the verdict's log and replay checks passed (else it adds
 * nothing: records streamed before a failure are not bound by the quote).
 * Which records: as judge.h judges them, every host-kind record, and of
 * workload kinds the latest record of each (kind, name), only those in
 * SCOPE when the caller sets it (as check --workload). Overlays (path
 * only, no digest) are not listed. More than HG_EAR_MAX_DIGESTS
 * (record, bank) digests: -1, and the verdict is left unchanged. */
struct hg_ear_scope {
	enum hg_kind kind;
	const char *name;            /* NUL-terminated, borrowed */
};
struct hg_ear_rec;
struct hg_ear_collect {
	const struct hg_ear_scope *scope;  /* set by the caller; may be NULL */
	size_t nscope;
	struct hg_ear_rec *v;        /* internal */
	size_t n, cap, ndigests;
	int overflow, oom;
};
void hg_ear_collect_record(void *arg, const struct hg_cel_rec *rec);
int hg_ear_verdict_add_measured(json_object *verdict, const struct hg_ear_collect *c);
void hg_ear_collect_free(struct hg_ear_collect *c);

/* The claims as JSON (the draft's JSON labels: "eat_profile", "iat",
 * "ear.status" as its name, the vector by component name, nonce and
 * digests in hex); a new object, NULL when out of memory. */
json_object *hg_ear_claims_json(const struct hg_ear_claims *c);

#endif
