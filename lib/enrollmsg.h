/* enrollmsg.h: the three messages of enrollment (README "Enrolling a
 * host"; docs/enrollment.md), each one CBOR map with integer keys that
 * ascend, each at most once, all required:
 *
 *   request (host -> verifier), hostgate-attest enroll-request
 *     0: version 1   1: type 1
 *     2: eks        [[ek_cert bstr (DER), ek_pub bstr (TPM2B_PUBLIC)], ...]
 *                   1..HG_ENROLL_MAX_EKS, one per certified EK
 *     3: ak_pub     bstr, TPM2B_PUBLIC of the AK
 *     4: ak_name    bstr, the AK's Name as the host computed it
 *     5: hostname   tstr, 1..255 bytes: the host's own word, shown only
 *   challenge (verifier -> host), hostgate-verify enroll
 *     0: version 1   1: type 2
 *     2: id         bstr, 16 random bytes naming the challenge
 *     3: ek_name    bstr, the Name of the EK that must open it
 *     4: ak_name    bstr, the Name the credential is bound to
 *     5: blob       bstr, TPM2B_ID_OBJECT (credentialBlob)
 *     6: enc_secret bstr, TPM2B_ENCRYPTED_SECRET (the protected seed)
 *   response (host -> verifier), hostgate-attest activate
 *     0: version 1   1: type 3
 *     2: id         bstr, the challenge's id
 *     3: secret     bstr, 1..64 bytes, what ActivateCredential gave back
 *
 * The type key keeps one message from being read as another. Nothing in
 * a message is trusted for being there: the verifier checks the chain,
 * the key match, the AK's attributes and Name, and the secret.
 *
 * Contract: inputs over HG_ENROLL_MAX_SIZE are refused before any read;
 * decoding is exact (no trailing bytes, fixed sizes exact) and decoded
 * pointers borrow the input. Functions return 0, or -1 with *WHY naming
 * the reason.
 */
#ifndef HG_ENROLLMSG_H
#define HG_ENROLLMSG_H

#include <stddef.h>
#include <stdint.h>

#include "cbor_w.h"

#define HG_ENROLL_VERSION 1
#define HG_ENROLL_MAX_SIZE (64u << 10)
#define HG_ENROLL_MAX_EKS 4
#define HG_ENROLL_ID_LEN 16
#define HG_ENROLL_SECRET_MAX 64
#define HG_ENROLL_HOSTNAME_MAX 255

enum { HG_ENROLL_REQUEST = 1, HG_ENROLL_CHALLENGE = 2, HG_ENROLL_RESPONSE = 3 };

struct hg_bytes {
	const uint8_t *p;
	size_t n;
};

struct hg_enroll_request {
	size_t n_eks;
	struct hg_bytes ek_cert[HG_ENROLL_MAX_EKS];
	struct hg_bytes ek_pub[HG_ENROLL_MAX_EKS];
	struct hg_bytes ak_pub;
	struct hg_bytes ak_name;
	struct hg_bytes hostname;
};

struct hg_enroll_challenge {
	struct hg_bytes id;
	struct hg_bytes ek_name;
	struct hg_bytes ak_name;
	struct hg_bytes blob;
	struct hg_bytes enc_secret;
};

struct hg_enroll_response {
	struct hg_bytes id;
	struct hg_bytes secret;
};

int hg_enroll_request_encode(const struct hg_enroll_request *m, struct cw *w);
int hg_enroll_challenge_encode(const struct hg_enroll_challenge *m, struct cw *w);
int hg_enroll_response_encode(const struct hg_enroll_response *m, struct cw *w);

int hg_enroll_request_decode(const uint8_t *buf, size_t len,
			     struct hg_enroll_request *m, const char **why);
int hg_enroll_challenge_decode(const uint8_t *buf, size_t len,
			       struct hg_enroll_challenge *m, const char **why);
int hg_enroll_response_decode(const uint8_t *buf, size_t len,
			      struct hg_enroll_response *m, const char **why);

#endif
