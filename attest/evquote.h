/* evquote.h: take a quote and build the evidence bundle, in process.
 *
 * The engine behind `hostgate-attest quote` and the libvirt gate: TPM2_Quote
 * by the AK over MASK in every active bank, the PCR values read with it,
 * the AK public area and the event log (lib/evidence.h).
 *
 * Log and quote must agree, so the log's shared lock is held from reading
 * the log until the quote is made: no measure can append in between. If
 * the log does not replay to the PCR (a crashed measure left a pending or
 * torn record), the lock is retaken exclusively and the log recovered as
 * measure would (attest/logw.h) before quoting.
 *
 * PCRs can still move between TPM2_Quote and TPM2_PCR_Read (another tool
 * extending PCR 0-9, say): the values read are hashed and compared with
 * the quote's pcrDigest, and the pair is retaken on a mismatch.
 *
 * The TPM's EK certificates go in too (key 8, attest/ekcert.h: NV indices
 * 0x01c00002, 0x01c0000a, 0x01c00016, those defined, in that order).
 * The firmware event log goes into the evidence too (key 7): UEFI_LOG, or
 * when it is NULL the kernel's HG_UEFI_LOG_DEFAULT if that exists (a host
 * without a TPM driver's log, or a test, has none). An explicit UEFI_LOG
 * that cannot be read is an error; it is read bounded (64 MiB).
 *
 * Contract: TPM is open; *out is a fresh buffer the caller frees. Returns
 * an exit code of cmds.h; errors are printed.
 */
#ifndef HG_EVQUOTE_H
#define HG_EVQUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "tpm.h"

#define HG_UEFI_LOG_DEFAULT "/sys/kernel/security/tpm0/binary_bios_measurements"

int hg_quote_evidence(const struct hg_opts *o, struct hg_tpm *tpm,
		      const uint8_t *nonce, size_t nonce_len, uint32_t mask,
		      const char *uefi_log, uint8_t **out, size_t *outlen);

/* The verifier's "since": the agent receives it as the JSON
 * {"boot": "HEX", "recnum": N}. BOOT is 16 hex digits (the boot id the
 * verifier reports: the quote's clockInfo resetCount and restartCount),
 * RECNUM the last record it verified, 0..HG_SINCE_MAX_RECNUM.
 *
 * The interface of incremental evidence (branch h-incr, issue 14 item 2),
 * here without it: since is a hint, the full log is always a valid answer,
 * and hg_quote_evidence_since() gives the full log for any SINCE. At the
 * merge, h-incr's evquote.{c,h} replace these stubs whole; the agent uses
 * only what is declared here. */
#define HG_SINCE_BOOT_LEN 16
struct hg_since {
	char boot[HG_SINCE_BOOT_LEN + 1];
	uint64_t recnum;              /* the last record the verifier verified */
};

#define HG_SINCE_MAX_RECNUM 0xfffffffeu

/* BOOT (16 hex digits) and RECNUM (0..HG_SINCE_MAX_RECNUM): 0 or -1. */
int hg_since_set(const char *boot, uint64_t recnum, struct hg_since *s);

int hg_quote_evidence_since(const struct hg_opts *o, struct hg_tpm *tpm,
			    const uint8_t *nonce, size_t nonce_len, uint32_t mask,
			    const char *uefi_log, const struct hg_since *since,
			    uint8_t **out, size_t *outlen);

#endif
