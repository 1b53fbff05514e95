/* quote.h: verify a TPM2_Quote (TPMS_ATTEST + TPMT_SIGNATURE) in software.
 *
 * hg_quote_verify() runs the checks in this order and stops at the first
 * failure, reporting which one (enum hg_qcheck) and why:
 *   QC_SIGNATURE  TPMT_SIGNATURE decodes exactly; its algorithm and hash
 *                 equal the AK's scheme (from the AK, never the blob);
 *                 it verifies over the TPMS_ATTEST bytes (OpenSSL)
 *   QC_ATTEST     TPMS_ATTEST decodes exactly; magic is
 *                 TPM_GENERATED_VALUE and type TPM_ST_ATTEST_QUOTE
 *                 (Part 2 §10.12.8): the TPM signed it, nobody else;
 *                 its PCR selection names 1..HG_MAX_BANKS known banks,
 *                 none twice, each with sizeofSelect 3..4 and no PCR
 *                 beyond 23 (CVE-2024-29038/29039 were a quote whose
 *                 magic and selection nobody checked)
 *   QC_NONCE      extraData equals the verifier's nonce
 *   QC_PCR_DIGEST pcrDigest equals H_scheme(values in selection order),
 *                 with the AK scheme's hash (Part 3 §18.4), not a bank's;
 *                 the values must be the selection exactly, in its order
 * The signature is checked before the attest is trusted to mean anything.
 *
 * Contract: on success res->attest and res->sel describe the quote.
 */
#ifndef HG_QUOTE_H
#define HG_QUOTE_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "pcrs.h"
#include "tpmpub.h"

enum hg_qcheck {
	QC_OK = 0,
	QC_SIGNATURE,
	QC_ATTEST,
	QC_NONCE,
	QC_PCR_DIGEST,
};

struct hg_quote_result {
	enum hg_qcheck failed;
	const char *why;
	TPMS_ATTEST attest;
	struct hg_pcr_sel sel;
};

const char *hg_qcheck_name(enum hg_qcheck c);

/* PCRS may be NULL: then QC_PCR_DIGEST is not checked. */
int hg_quote_verify(const struct hg_ak *ak, const uint8_t *attest,
		    size_t attest_len, const uint8_t *sig, size_t sig_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const struct hg_pcr_values *pcrs,
		    struct hg_quote_result *res);

#endif
