/* bootid.h: the boot identity the verifier reports and `quote --since`
 * takes (verifier/incr.h, docs/evidence-format.md "Incremental evidence").
 *
 * BOOT is 16 lowercase hex digits: the quote's TPMS_ATTEST clockInfo
 * resetCount then restartCount (TPM 2.0 Part 2 §10.11.1), each a 32-bit
 * big-endian number. It is read from the signed attest, never from
 * anything the host says beside it: resetCount grows at every TPM Reset
 * (a reboot: Startup(CLEAR) after anything but Shutdown(STATE)), and
 * restartCount at every TPM Restart or Resume (Part 1 §36.6 "Clock and
 * Tick"), the events that reset or may reset PCRs. Equal BOOT under the
 * same AK therefore means "no PCR was reset since", which is what lets the
 * verifier resume a replay from stored PCR values.
 *
 * Part 3 §18.1: the TPM obfuscates resetCount, restartCount and
 * firmwareVersion in an attest signed by a key outside the endorsement
 * and platform hierarchies, adding a per-key value derived from that
 * hierarchy's proof. hostgate's AK is a child of the EK (attest/init.c),
 * in the endorsement hierarchy, so its counters are plain. Were an AK
 * elsewhere, equality would still mean the same boot: the added value is
 * fixed for one key while its hierarchy's proof stands (TPM2_Clear, which
 * changes shProof, also flushes every owner key, so the AK Name changes).
 * The verifier only ever compares BOOT for equality, under one AK Name.
 *
 * Contract: no heap; parse is exact (16 hex digits, nothing else).
 */
#ifndef HG_BOOTID_H
#define HG_BOOTID_H

#include <stdint.h>

#define HG_BOOT_ID_LEN 16

struct hg_boot_id {
	uint32_t reset_count;
	uint32_t restart_count;
};

/* OUT gets HG_BOOT_ID_LEN hex digits and a NUL. */
void hg_boot_id_format(const struct hg_boot_id *b, char out[HG_BOOT_ID_LEN + 1]);
/* 0, or -1 unless S is exactly 16 hex digits. */
int hg_boot_id_parse(const char *s, struct hg_boot_id *b);
int hg_boot_id_equal(const struct hg_boot_id *a, const struct hg_boot_id *b);

#endif
