/* cel.h: hostgate's CEL-CBOR record (TCG Canonical Event Log, CBOR form).
 *
 * Record (the COSE_Sign1 payload), a CBOR map with keys in this order:
 *   0: recnum   uint, 0 for the first record, +1 each record
 *   1: pcr      uint, 0..23
 *   3: digests  [[alg: uint (TPM_ALG_ID), digest: bstr], ...], one per bank
 *   128: content (hostgate private content type), a map:
 *        0: type  uint, 1 = log-key, 2 = file
 *        file:    1: kind (text: hypervisor|firmware|config|image|
 *                    overlay|breakglass)
 *                 2: name (text, absolute path, 1..4096 bytes, no
 *                    control characters)
 *                 3: size (uint, bytes hashed)
 *                 4: file digests [[alg, bstr], ...] (same banks)
 *                 Kind overlay (a writable disk layer: its bytes change
 *                 while the VM runs, so hashing them would vouch for
 *                 nothing) is recorded by path only: keys 3 and 4 are
 *                 absent, and present on every other kind.
 *        log-key: 5: COSE_Key (EC2 P-256) of the log signing key
 *        launch:  6: domain (text, the libvirt domain name, 1..1024
 *                    bytes, the name rule of lib/text.h, no '/', not
 *                    starting with '.')
 *                 7: uuid (bstr .size 16, the domain's UUID)
 *                 8: refs [[recnum: uint, kind: text, digests], ...]:
 *                    the records the gate allowed this start on, 1..1024,
 *                    recnums strictly ascending and all below the launch
 *                    record's own, kinds workload kinds (config, image,
 *                    overlay) with exactly one config, digests the
 *                    referenced record's extended digests in exactly the
 *                    launch record's banks
 *        A launch record is written by the gate at every allowed start
 *        (attest/launch.h); the verifier judges a running VM by it
 *        (verifier/judgevm.h). Whether a ref names an existing record of
 *        that kind with those digests needs the log: judgevm checks it.
 * The keys 0, 1, 3 are CEL's recnum/pcr/digests type values (TCG CEL
 * v1.0 §5.1); 128 is outside TCG's assigned content types.
 *
 * Binding: each digests[alg] == alg-hash of the exact encoded bytes of the
 * content map. That value is what gets extended into the PCR, so a quote
 * over the PCR vouches for kind, name, size and every file digest (as IMA's
 * template hash binds file hash and name). The decoder enforces it. For an
 * overlay record the binding covers kind and name, all there is.
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
	HG_CT_LAUNCH = 3,
};

#define HG_CEL_MAX_DOMAIN 1024
#define HG_CEL_MAX_REFS 1024

enum hg_kind {
	HG_KIND_NONE = 0,
	HG_KIND_HYPERVISOR,
	HG_KIND_FIRMWARE,
	HG_KIND_CONFIG,
	HG_KIND_IMAGE,
	HG_KIND_OVERLAY,        /* writable disk layer, path only */
	HG_KIND_BREAKGLASS,     /* operator override file, hashed */
};

/* One past the last kind: size arrays indexed by kind with this. A macro,
 * not an enumerator, so switches over enum hg_kind need no case for it. */
#define HG_KIND_MAX (HG_KIND_BREAKGLASS + 1)

/* "?" for HG_KIND_NONE and out-of-range values. */
const char *hg_kind_name(enum hg_kind k);
/* HG_KIND_NONE unless S (N bytes, no NUL needed) is exactly a kind name. */
enum hg_kind hg_kind_parse(const char *s, size_t n);
/* Whether records of K carry size and file digests (all but overlay). */
int hg_kind_hashed(enum hg_kind k);
/* Workload kinds (config, image, overlay) describe one VM's start: a
 * later record of the same kind and name supersedes an earlier one.
 * Host kinds (hypervisor, firmware, breakglass) accumulate: whatever was
 * measured may have run. The verifier's judgement rests on this split
 * (policies/README.md, "How a record is judged"). */
int hg_kind_is_workload(enum hg_kind k);

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
	uint64_t size;               /* 0 for overlay */
	struct hg_digests file;      /* n == 0 for overlay */
	/* log-key */
	const uint8_t *key;          /* COSE_Key bytes */
	size_t key_len;
	/* launch */
	const char *domain;          /* not NUL-terminated */
	size_t domain_len;
	const uint8_t *uuid;         /* HG_UUID_LEN bytes */
	const uint8_t *refs;         /* the refs array's encoded bytes */
	size_t refs_len;
	size_t nrefs;
};

/* One ref of a launch record: the record it names, that record's kind
 * and its extended digests (cel.h "launch"). */
struct hg_launch_ref {
	uint64_t recnum;
	enum hg_kind kind;
	struct hg_digests digests;
};

/* Walk a decoded launch record's refs (hg_cel_refs_next: 1 with a ref,
 * 0 at the end, -1 if the bytes do not decode, which cannot happen for
 * a record hg_cel_decode() or hg_cel_decode_content() accepted). */
struct hg_cel_refs {
	const uint8_t *p;
	size_t len, off, left;
};

void hg_cel_refs_init(const struct hg_cel_rec *rec, struct hg_cel_refs *it);
int hg_cel_refs_next(struct hg_cel_refs *it, struct hg_launch_ref *ref);

/* Encode a record; digests are computed here from the content, in the
 * banks ALGS. For a file record, FILE must hold exactly those banks, and
 * KIND must be a hashed kind (not overlay). Returns 0 or -1 (bad
 * argument or encoding error); OUT gets the record appended. */
int hg_cel_encode_file(uint64_t recnum, uint32_t pcr, enum hg_kind kind,
		       const char *name, uint64_t size,
		       const struct hg_digests *file, struct cw *out);
/* A file record by path only: content {0: 2, 1: kind, 2: name}. KIND
 * must be HG_KIND_OVERLAY; the extended digests are computed in the
 * banks ALGS (1..HG_MAX_BANKS) over the content, as for file records. */
int hg_cel_encode_path(uint64_t recnum, uint32_t pcr, enum hg_kind kind,
		       const char *name, const uint16_t *algs, size_t nalgs,
		       struct cw *out);
int hg_cel_encode_log_key(uint64_t recnum, uint32_t pcr,
			  const uint16_t *algs, size_t nalgs,
			  const uint8_t *cose_key, size_t key_len,
			  struct cw *out);

/* A launch record: content {0: 3, 6: domain, 7: uuid, 8: refs}, with
 * the rules above (refs below RECNUM, ascending, one config, digests in
 * exactly the banks ALGS). Returns 0 or -1 (a rule broken: nothing is
 * written that a reader would refuse). */
int hg_cel_encode_launch(uint64_t recnum, uint32_t pcr, const char *domain,
			 const uint8_t *uuid, const struct hg_launch_ref *refs,
			 size_t nrefs, const uint16_t *algs, size_t nalgs,
			 struct cw *out);

/* Decode one record filling LEN exactly; *why names the first problem. */
int hg_cel_decode(const uint8_t *p, size_t len, struct hg_cel_rec *out,
		  const char **why);
/* Decode a content map alone, filling LEN exactly, with the same rules
 * (type, kind, name, size, file, key; recnum, pcr and digests stay 0).
 * It checks no binding: use it only on the content of a record that
 * hg_cel_decode() accepted (the verifier re-reads kept records so). */
int hg_cel_decode_content(const uint8_t *p, size_t len,
			  struct hg_cel_rec *out, const char **why);

#endif
