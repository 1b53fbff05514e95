/* cel.h: hostgate's CEL-CBOR record (TCG Canonical Event Log, CBOR form).
 *
 * Record (the COSE_Sign1 payload), a CBOR map with keys in this order:
 *   0: recnum   uint, 0 for the first record, +1 each record
 *   1: pcr      uint, 0..23
 *   3: digests  [[alg: uint (TPM_ALG_ID), digest: bstr], ...], one per bank
 *   128: content (hostgate private content type), a map:
 *        0: type  uint, 1 = log-key, 2 = file
 *        file:    1: kind (text: hypervisor|firmware|config|image)
 *                 2: name (text, absolute path, 1..4096 bytes, no
 *                    control characters)
 *                 3: size (uint, bytes hashed)
 *                 4: file digests [[alg, bstr], ...] (same banks)
 *        log-key: 5: COSE_Key (EC2 P-256) of the log signing key
 * The keys 0, 1, 3 are CEL's recnum/pcr/digests type values (TCG CEL
 * v1.0 §5.1); 128 is outside TCG's assigned content types.
 *
 * Binding: each digests[alg] == alg-hash of the exact encoded bytes of the
 * content map. That value is what gets extended into the PCR, so a quote
 * over the PCR vouches for kind, name, size and every file digest (as IMA's
 * template hash binds file hash and name). The decoder enforces it.
 *
 * Contract: decoded pointers borrow the input buffer. Decoding is exact:
 * unknown, missing, duplicate or out-of-order keys and trailing bytes are
 * errors whose text names the field.
 */
#ifndef HG_CEL_H
#define HG_CEL_H

#include <stddef.h>
#include <stdint.h>

#include "cbor_w.h"
#include "digest.h"

#define HG_CEL_CONTENT_HOSTGATE 128
#define HG_CEL_MAX_NAME 4096
#define HG_CEL_MAX_PCR 23

enum hg_content_type {
	HG_CT_LOG_KEY = 1,
	HG_CT_FILE = 2,
};

enum hg_kind {
	HG_KIND_NONE = 0,
	HG_KIND_HYPERVISOR,
	HG_KIND_FIRMWARE,
	HG_KIND_CONFIG,
	HG_KIND_IMAGE,
};

const char *hg_kind_name(enum hg_kind k);
enum hg_kind hg_kind_parse(const char *s, size_t n);

struct hg_cel_rec {
	uint64_t recnum;
	uint32_t pcr;
	struct hg_digests digests;   /* what was extended, per bank */
	const uint8_t *content;      /* exact bytes of the content map */
	size_t content_len;
	enum hg_content_type type;
	/* file */
	enum hg_kind kind;
	const char *name;            /* not NUL-terminated */
	size_t name_len;
	uint64_t size;
	struct hg_digests file;
	/* log-key */
	const uint8_t *key;          /* COSE_Key bytes */
	size_t key_len;
};

/* Encode a record; digests are computed here from the content, in the
 * banks ALGS. For a file record, FILE must hold exactly those banks. */
int hg_cel_encode_file(uint64_t recnum, uint32_t pcr, enum hg_kind kind,
		       const char *name, uint64_t size,
		       const struct hg_digests *file, struct cw *out);
int hg_cel_encode_log_key(uint64_t recnum, uint32_t pcr,
			  const uint16_t *algs, size_t nalgs,
			  const uint8_t *cose_key, size_t key_len,
			  struct cw *out);

/* Decode one record filling LEN exactly; *why names the first problem. */
int hg_cel_decode(const uint8_t *p, size_t len, struct hg_cel_rec *out,
		  const char **why);

#endif
