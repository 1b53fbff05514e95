/* uefilog.h: read and replay a TCG PC Client firmware event log, the file
 * behind /sys/kernel/security/tpm0/binary_bios_measurements.
 *
 * Formats (TCG PC Client Platform Firmware Profile r1.05):
 *   - the first event is always a SHA1 TCG_PCR_EVENT (§10.2.1):
 *       UINT32 pcrIndex, UINT32 eventType, BYTE digest[20],
 *       UINT32 eventSize, BYTE event[eventSize];
 *   - if it is EV_NO_ACTION carrying a TCG_EfiSpecIdEvent whose signature
 *     is "Spec ID Event03" (§10.4.5.1), every later event is a crypto-agile
 *     TCG_PCR_EVENT2 (§10.2.2):
 *       UINT32 pcrIndex, UINT32 eventType, UINT32 digestCount,
 *       { UINT16 hashAlg, BYTE digest[size of hashAlg] } x digestCount,
 *       UINT32 eventSize, BYTE event[eventSize];
 *     the digest sizes come from the Spec ID event's algorithm list, which
 *     may name algorithms hostgate does not know (SM3_256): those digests
 *     are skipped by their declared size and left out of ev->digests;
 *   - otherwise the whole log is SHA1 TCG_PCR_EVENTs.
 * All integers are little-endian.
 *
 * Decoding is exact and bounded: every length is checked against what is
 * left of the input, size arithmetic is overflow-checked, and nothing is
 * allocated from a declared length (the iterator and the replay allocate
 * nothing at all). Limits are the HG_UEFI_MAX_* below. The first failure
 * stops the iterator; ERR names the event (0-based), its byte offset and
 * the reason. docs/uefi-log.md lists every refusal.
 *
 * Contract: the iterator and its events borrow BUF (ev->data points into
 * it); BUF must outlive them. struct hg_uefi_replay is a value type.
 */
#ifndef HG_UEFILOG_H
#define HG_UEFILOG_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "pcrs.h"

#define HG_UEFI_MAX_LOG (64u << 20)      /* whole log */
#define HG_UEFI_MAX_EVENT_DATA (16u << 20) /* one event's eventSize */
#define HG_UEFI_MAX_ALGS 16              /* Spec ID numberOfAlgorithms */

/* Event types (PFP r1.05 §10.4.1). */
#define HG_EV_PREBOOT_CERT 0x00000000u
#define HG_EV_POST_CODE 0x00000001u
#define HG_EV_UNUSED 0x00000002u
#define HG_EV_NO_ACTION 0x00000003u
#define HG_EV_SEPARATOR 0x00000004u
#define HG_EV_ACTION 0x00000005u
#define HG_EV_EVENT_TAG 0x00000006u
#define HG_EV_S_CRTM_CONTENTS 0x00000007u
#define HG_EV_S_CRTM_VERSION 0x00000008u
#define HG_EV_CPU_MICROCODE 0x00000009u
#define HG_EV_PLATFORM_CONFIG_FLAGS 0x0000000Au
#define HG_EV_TABLE_OF_DEVICES 0x0000000Bu
#define HG_EV_COMPACT_HASH 0x0000000Cu
#define HG_EV_IPL 0x0000000Du
#define HG_EV_IPL_PARTITION_DATA 0x0000000Eu
#define HG_EV_NONHOST_CODE 0x0000000Fu
#define HG_EV_NONHOST_CONFIG 0x00000010u
#define HG_EV_NONHOST_INFO 0x00000011u
#define HG_EV_OMIT_BOOT_DEVICE_EVENTS 0x00000012u
#define HG_EV_EFI_EVENT_BASE 0x80000000u
#define HG_EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001u
#define HG_EV_EFI_VARIABLE_BOOT 0x80000002u
#define HG_EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003u
#define HG_EV_EFI_BOOT_SERVICES_DRIVER 0x80000004u
#define HG_EV_EFI_RUNTIME_SERVICES_DRIVER 0x80000005u
#define HG_EV_EFI_GPT_EVENT 0x80000006u
#define HG_EV_EFI_ACTION 0x80000007u
#define HG_EV_EFI_PLATFORM_FIRMWARE_BLOB 0x80000008u
#define HG_EV_EFI_HANDOFF_TABLES 0x80000009u
#define HG_EV_EFI_PLATFORM_FIRMWARE_BLOB2 0x8000000Au
#define HG_EV_EFI_HANDOFF_TABLES2 0x8000000Bu
#define HG_EV_EFI_VARIABLE_BOOT2 0x8000000Cu
#define HG_EV_EFI_HCRTM_EVENT 0x80000010u
#define HG_EV_EFI_VARIABLE_AUTHORITY 0x800000E0u
#define HG_EV_EFI_SPDM_FIRMWARE_BLOB 0x800000E1u
#define HG_EV_EFI_SPDM_FIRMWARE_CONFIG 0x800000E2u

struct hg_uefi_event {
	size_t index;                /* 0-based event number */
	size_t offset;               /* byte offset of the event in the log */
	size_t size;                 /* bytes the whole event takes */
	uint32_t pcr;                /* 0xFFFFFFFF possible (EV_NO_ACTION) */
	uint32_t type;
	struct hg_digests digests;   /* known banks only, in log order */
	const uint8_t *data;         /* event data, borrowed from the log */
	uint32_t data_len;
};

struct hg_uefi_err {
	long event;                  /* -1 when not about one event */
	size_t offset;               /* where the failing event starts */
	int truncated;               /* the input ends inside this event */
	char msg[160];
};

/* Streaming, one event at a time. Returns 1 with an event, 0 at the end,
 * -1 on the first bad event (it->err says which and why; later calls keep
 * returning -1). An empty input is an error ("empty log"): a firmware log
 * always has at least its first event. The input must end exactly after
 * an event: an input that ends inside one is an error with err.truncated
 * set, so a log cut at an event boundary reads as a shorter good log. No
 * padding after the last event is skipped (the kernel's file has none;
 * see docs/uefi-log.md): 32 zero bytes in a SHA1-format log are refused
 * as an "all-zero event", zeros in a crypto-agile log as "event has no
 * digests". In a crypto-agile log each event carries 1 to nalgs digests,
 * each of a listed algorithm and at most one per algorithm. An event
 * other than EV_NO_ACTION on a PCR above 23 is an error. */
struct hg_uefi_iter {
	const uint8_t *buf;
	size_t len, off;
	size_t n;                    /* events returned so far */
	int failed;
	int crypto_agile;            /* event 0 is a Spec ID Event03 */
	int all_banks;               /* set by the caller after init: every
				      * crypto-agile event must carry a digest
				      * of every algorithm the Spec ID event
				      * declares (PFP r1.05 §10.2.2), else
				      * "no sha384 digest, which the Spec ID
				      * event declares ..." */
	/* The Spec ID event's fields, when crypto_agile (§10.4.5.1). */
	uint8_t spec_major, spec_minor, spec_errata, uintn_size;
	size_t nalgs;                /* every algorithm listed, known or not */
	uint16_t algs[HG_UEFI_MAX_ALGS];
	uint16_t sizes[HG_UEFI_MAX_ALGS];
	struct hg_uefi_err err;
};

void hg_uefi_iter_init(struct hg_uefi_iter *it, const uint8_t *buf,
		       size_t len);
int hg_uefi_iter_next(struct hg_uefi_iter *it, struct hg_uefi_event *ev);

/* "EV_POST_CODE", ..., or NULL for a type the spec does not name. */
const char *hg_uefi_event_type_name(uint32_t type);

/* Replay (corpus README rules 2-6):
 *   - EV_NO_ACTION is never extended, whatever its PCR index;
 *   - PCR0 starts at 00..0L, L the locality of an EV_NO_ACTION
 *     "StartupLocality" event, else 4 when an EV_EFI_HCRTM_EVENT is on
 *     PCR0, else 0; every other PCR starts at zero;
 *   - each event extends its logged digest, per bank: new = H(old || d);
 *     the digest is never recomputed from the data;
 *   - with HG_UEFI_EBS_WORKAROUND only, when the log has no
 *     "Exit Boot Services Invocation" EV_EFI_ACTION on PCR5, the two
 *     ExitBootServices events are appended on PCR5 and ebs_appended set.
 * The banks are the known algorithms of the log (sha1 alone for a
 * SHA1-format log), in Spec ID order. Besides the iterator's errors, the
 * replay refuses a StartupLocality event that is not 17 bytes, names a
 * locality other than 0, 3 or 4, or comes twice; and unknown FLAGS. ERR
 * is set on failure; OUT is then partial and must not be used. */
#define HG_UEFI_EBS_WORKAROUND 1u
/* The verifier's replay: every crypto-agile event must carry a digest of
 * every algorithm the Spec ID event declares (it->all_banks). Without it
 * an event may carry fewer (tpm2-tools' synthetic fixtures do), and a
 * bank it leaves out is simply not extended by it: last_event says which
 * (bank, PCR) pairs some event really extended. */
#define HG_UEFI_ALL_BANKS 2u

struct hg_uefi_replay {
	size_t nbanks;
	uint16_t algs[HG_MAX_BANKS];              /* bank b's algorithm */
	uint32_t touched;                         /* PCRs some extended event touched, in
						   * some bank: a bank that no event
						   * extended there holds a made-up reset
						   * value; last_event[b][p] >= 0 says
						   * which pairs are real */
	struct hg_pcr_values pcrs;                /* every (bank, PCR 0..23), bank-major */
	long last_event[HG_MAX_BANKS][HG_NUM_PCRS]; /* last event that extended it, -1 none */
	uint32_t startup_locality;                /* PCR0's initial locality: 0, 3 or 4 */
	int ebs_appended;                         /* the workaround was applied */
	size_t events;                            /* events in the log */
};

int hg_uefi_replay(const uint8_t *buf, size_t len, unsigned flags,
		   struct hg_uefi_replay *out, struct hg_uefi_err *err);

/* The replayed value of (ALG, PCR), or NULL when the log has no such bank. */
const struct hg_pcr_value *hg_uefi_replay_get(const struct hg_uefi_replay *r,
					      uint16_t alg, unsigned pcr);
/* The last event that extended (ALG, PCR), -1 when none did. The EBS
 * workaround's appended events count as events r->events and
 * r->events + 1. -1 too when the log has no bank ALG or PCR > 23. */
long hg_uefi_replay_last(const struct hg_uefi_replay *r, uint16_t alg,
			 unsigned pcr);

#endif
