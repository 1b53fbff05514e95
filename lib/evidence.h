/* evidence.h: the evidence bundle, one CBOR map (docs/evidence-format.md).
 *
 *   0: version      uint, HG_EVIDENCE_VERSION
 *   1: nonce        bstr, 8..64 bytes, as given to the quote
 *   2: attest       bstr, TPMS_ATTEST as the TPM signed it
 *   3: signature    bstr, TPMT_SIGNATURE
 *   4: ak           bstr, TPM2B_PUBLIC of the AK
 *   5: pcrs         [[alg, pcr, value], ...] read with the quote, written
 *                   in selection order; every pair appears at most once,
 *                   and the verifier holds the list to be exactly the
 *                   quote's selection in its order (hg_pcr_digest)
 *   6: log          bstr, the hostgate event log (may be empty)
 *   7: uefi_log     bstr, optional: the firmware event log
 *   8: ek_certs     [bstr, ...], optional: EK certificates (DER)
 *   9: log_first    uint, optional: the record number of the log's first
 *                   record (quote --since, verifier/incr.h); absent means
 *                   0, the whole log, and is written only when nonzero, so
 *                   a full bundle is what it was before the key existed.
 *                   1..HG_EVIDENCE_MAX_LOG_FIRST; 0 written out is refused
 *                   (one spelling per bundle)
 * Keys ascend, each at most once; the optional ones may be absent.
 *
 * log_first is the host's word like the rest: the verifier believes a
 * partial log only when it resumes a state it keeps itself, at exactly
 * that record, and the replay from that state's PCR values reaches the
 * quote (verifier/incr.h). Without such a state, a log_first other than 0
 * is refused (verify.h).
 *
 * Everything in it is the host's word; only the quote signature, checked
 * against an AK the verifier chose, turns parts of it into facts.
 *
 * Contract: decoded pointers borrow the input. Decoding is exact and
 * bounded (the input is capped at HG_EVIDENCE_MAX_SIZE before reading).
 */
#ifndef HG_EVIDENCE_H
#define HG_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "cbor_w.h"
#include "pcrs.h"

#define HG_EVIDENCE_VERSION 1
#define HG_EVIDENCE_MAX_SIZE (96u << 20)
#define HG_NONCE_MIN 8
#define HG_NONCE_MAX 64
#define HG_MAX_EK_CERTS 4
/* A log that size would be far past HG_LOG_MAX_SIZE per boot. */
#define HG_EVIDENCE_MAX_LOG_FIRST 0xffffffffu

struct hg_evidence {
	uint64_t version;
	const uint8_t *nonce;
	size_t nonce_len;
	const uint8_t *attest;
	size_t attest_len;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *ak;
	size_t ak_len;
	struct hg_pcr_values pcrs;
	const uint8_t *log;
	size_t log_len;
	const uint8_t *uefi;          /* NULL when absent */
	size_t uefi_len;
	size_t n_ek_certs;
	const uint8_t *ek_cert[HG_MAX_EK_CERTS];
	size_t ek_cert_len[HG_MAX_EK_CERTS];
	uint64_t log_first;           /* 0: the log starts at record 0 */
};

int hg_evidence_encode(const struct hg_evidence *e, struct cw *w);
int hg_evidence_decode(const uint8_t *buf, size_t len, struct hg_evidence *e,
		       const char **why);

#endif
