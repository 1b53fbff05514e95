/* showev.h: an evidence bundle taken apart for 'show EVIDENCE'.
 *
 * An unverified dump: nothing here checks the quote against a verifier's
 * AK or nonce ('check' does). It decodes each part exactly, as check
 * would, and says which part does not decode and why:
 *   ak      TPM2B_PUBLIC (tss2-mu, exact length), then hg_ak_decode():
 *           a key it refuses is shown with the reason
 *   attest  TPMS_ATTEST (exact length), magic TPM_GENERATED_VALUE and
 *           type TPM_ST_ATTEST_QUOTE
 *   sig     TPMT_SIGNATURE (exact length)
 *   pcrs    the values cover the attest's selection exactly
 * The log is the caller's (show.c prints it as 'show --log' does).
 *
 * Contract: hv_evdump_decode() fails only when the bundle itself does not
 * decode (hg_evidence_decode()); a bad part is listed in problems[] and
 * the rest still decodes. The dump borrows BUF, which must outlive it.
 * hv_evdump_free() accepts a zeroed dump.
 */
#ifndef HV_SHOWEV_H
#define HV_SHOWEV_H

#include <stdio.h>
#include <json-c/json.h>
#include <tss2/tss2_tpm2_types.h>

#include "../lib/evidence.h"
#include "../lib/tpmpub.h"

#define HV_EVDUMP_MAX_PROBLEMS 8

struct hv_evdump {
	struct hg_evidence ev;        /* borrows the bundle */
	TPM2B_PUBLIC pub;
	const char *pub_why;          /* NULL: pub decoded */
	struct hg_ak ak;
	const char *ak_why;           /* NULL: usable as an AK */
	uint8_t name[2 + HG_MAX_DIGEST];
	size_t name_len;              /* 0: no Name (nameAlg unknown) */
	TPMS_ATTEST attest;
	const char *attest_why;       /* NULL: a TPM-made quote structure */
	int attest_decoded;           /* fields readable, even if not a quote */
	TPMT_SIGNATURE sig;
	const char *sig_why;          /* NULL: decoded */
	uint8_t *pcrs_bin;            /* values in selection order, or NULL */
	size_t pcrs_bin_len;
	const char *pcrs_why;         /* NULL: they cover the selection */
	size_t nproblems;
	struct {
		const char *part, *why;
	} problem[HV_EVDUMP_MAX_PROBLEMS];
};

/* Shared with showexp.c: the quote's signing hash (0 if unknown), the
 * number of PCR bits a selection may carry, and whether the attest
 * decoded as a TPM-made quote. */
uint16_t hv_evdump_quote_hash(const struct hv_evdump *d);
unsigned hv_evdump_sel_bits(const TPMS_PCR_SELECTION *s);
int hv_evdump_is_quote(const struct hv_evdump *d);

int hv_evdump_decode(const uint8_t *buf, size_t len, struct hv_evdump *d,
		     const char **why);
void hv_evdump_free(struct hv_evdump *d);

/* Human form of everything but the log, to F. */
void hv_evdump_print(const struct hv_evdump *d, FILE *f);
/* Add "version", "nonce", "ak", "attest", "signature", "pcrs" and, when
 * present, "uefi_log_size" and "ek_cert_sizes" to ROOT. */
void hv_evdump_json(const struct hv_evdump *d, json_object *root);

/* Write, in DIR (made 0755 if missing), the parts as tpm2-tools has them:
 *   attest.bin       TPMS_ATTEST, the bytes of the bundle (tpm2_quote -m)
 *   sig.bin          TPMT_SIGNATURE (tpm2_quote -s)
 *   ak.pub           TPM2B_PUBLIC (tpm2_createak -u)
 *   pcrs.bin         the values concatenated in the quote's selection
 *                    order (tpm2_quote -o FILE -F values; what
 *                    'hostgate-verify quote --pcrs' reads)
 *   pcrs.serialized  the same with the selection (tpm2_quote -F
 *                    serialized), what tpm2_checkquote -f reads without -l;
 *                    only for a quote whose values cover its selection
 *   nonce.hex        the nonce, hex and a newline
 *   log.cel          the hostgate log
 * Prints one error line; returns 0, or -1 (I/O). */
int hv_evdump_export(const struct hv_evdump *d, const char *dir);
/* The tpm2_checkquote command line that checks an export in DIR. */
void hv_evdump_print_checkquote(const struct hv_evdump *d, const char *dir,
				FILE *f);

#endif
