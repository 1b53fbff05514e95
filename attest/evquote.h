/* evquote.h: take a quote and build the evidence bundle, in process.
 *
 * The engine behind `hostgate-attest quote` and the libvirt gate: TPM2_Quote
 * by the AK over MASK in every active bank, the PCR values read with it,
 * the AK public area and the event log (lib/evidence.h).
 *
 * Log and quote must agree, so the log's shared lock is held from reading
 * the log until the quote is made: no measure can append in between. The
 * log is then replayed against the hostgate PCR's value as read with the
 * quote (no TPM2_PCR_Read of its own when the selection holds that PCR).
 * If it does not replay (a crashed measure left a pending or torn record),
 * the lock is retaken exclusively, the log recovered as measure would
 * (attest/logw.h) and the quote retaken; still no replay is
 * HG_EXIT_INCONSISTENT. Lock order: the log's, then the TPM's (state.h);
 * the TPM's is dropped while the log's is retaken.
 *
 * The AK is opened through akuse.h: the persistent AK init made (one
 * TPM2_ReadPublic to check its Name), or, for an older state, EK and AK
 * loaded. A quote of a persistent AK sends: GetCapability (PCR banks),
 * ReadPublic (the AK), GetCapability (EK certificate indices, then
 * NV_ReadPublic/NV_Read for each present), Quote, and ceil(PCRs x banks
 * / 8) PCR_Read (tools/bench-gate.sh counts them).
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
 * SINCE (hg_quote_evidence_since; NULL: the whole log) asks for the log
 * records after since->recnum only, for a verifier that verified this
 * boot's log up to there (verifier/incr.h, docs/evidence-format.md
 * "Incremental evidence"). The quote is made first, always fresh and over
 * the same PCRs; only when its own clockInfo names since->boot (the boot
 * the verifier saw, lib/bootid.h) and the log holds record since->recnum
 * is the log cut to records since->recnum+1.. (possibly none), with the
 * evidence's log_first saying where it starts. Otherwise (a reboot, a
 * log shorter than the verifier thinks) the whole log goes: the verifier
 * then checks in full. Nothing the host decides here can make a verifier
 * believe a partial log it cannot anchor.
 *
 * Contract: TPM is open; *out is a fresh buffer the caller frees. Returns
 * an exit code of cmds.h; errors are printed.
 */
#ifndef HG_EVQUOTE_H
#define HG_EVQUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/bootid.h"
#include "opts.h"
#include "tpm.h"

#define HG_UEFI_LOG_DEFAULT "/sys/kernel/security/tpm0/binary_bios_measurements"

int hg_quote_evidence(const struct hg_opts *o, struct hg_tpm *tpm,
		      const uint8_t *nonce, size_t nonce_len, uint32_t mask,
		      const char *uefi_log, uint8_t **out, size_t *outlen);

/* The verifier's "since": the agent receives it as the JSON
 * {"boot": "HEX", "recnum": N} and `quote --since` as BOOT:RECNUM (BOOT
 * as the verifier's verdict reports it in "since"). */
struct hg_since {
	struct hg_boot_id boot;
	uint64_t recnum;              /* the last record the verifier verified */
};

#define HG_SINCE_MAX_RECNUM 0xfffffffeu
#define HG_SINCE_BOOT_LEN HG_BOOT_ID_LEN

/* BOOT (16 hex digits) and RECNUM (0..HG_SINCE_MAX_RECNUM): 0 or -1. */
int hg_since_set(const char *boot, uint64_t recnum, struct hg_since *s);
/* "BOOT:RECNUM", RECNUM decimal: 0 or -1. */
int hg_since_parse(const char *arg, struct hg_since *s);

int hg_quote_evidence_since(const struct hg_opts *o, struct hg_tpm *tpm,
			    const uint8_t *nonce, size_t nonce_len, uint32_t mask,
			    const char *uefi_log, const struct hg_since *since,
			    uint8_t **out, size_t *outlen);

#endif
