/* diffpol.h: the differences between two policies (used by diff).
 *
 * hv_diff_policies() compares A, the reference, with B and lists every
 * difference, in this order (stable, whatever order the JSON had):
 *   banks         the accepted banks, as sets (order does not matter)
 *   pcr-index     the hostgate PCR
 *   unknown       allow/deny per kind (absent means deny)
 *   measurement   by kind (hypervisor, firmware, config, image, overlay,
 *                 breakglass: cel.h's order), then
 *   required      name (byte order, as policy.c sorts): only in A, only
 *                 in B, required flag, then digests per bank (sha1,
 *                 sha256, sha384, sha512) with the removed and the added
 *   firmware      the section only in A or B, secure_boot, the lists
 *                 (boot_apps, pk, kek, db, dbx: only in A, only in B, or
 *                 per bank the removed and the added), digest_mismatches
 *   pcr           by bank, then index: only in A, only in B, changed
 *
 * Host mode (QUOTED non-NULL): B was learned from verified evidence
 * (learnpol.h), so it says what a host is, not what it accepts; the
 * comparison then asks what 'check' asks:
 *   - unknown and required are not compared: a learned policy always says
 *     deny and required, which describes learn, not the host;
 *   - digests are compared only in banks both policies accept and A's
 *     entry lists, and only a host digest A does not allow is a change
 *     (A allowing more digests than the host has is no difference);
 *   - PCR values are A's, compared with QUOTED, the verified quote's
 *     values (learn drops sha1 when a stronger bank is there; check does
 *     not); values the host has and A does not judge are not listed.
 *   - firmware: when A has a firmware section, FW (the host's firmware
 *     facts, NULL when its evidence has no firmware log; B's learned
 *     section is not used) is judged as check judges it, and each thing
 *     check would refuse is one line naming its PCR and event:
 *       ~ PCR4: boot application \EFI\BOOT\BOOTX64.EFI (event 27) sha256 changed: ALLOWED.. -> HOST
 *       ~ PCR7: db (event 8) sha256 changed: ALLOWED.. -> HOST
 *       ~ PCR7: Secure Boot: the policy requires it enabled; this host: disabled (event 12)
 *       ~ PCR7: event 42 (EV_EFI_VARIABLE_AUTHORITY): its sha1 digest is not the hash of its data (...)
 *     ALLOWED being every digest A's list allows in that bank (which of
 *     them the host had before is not known: a policy keeps no log). A
 *     changed PCR's line then names those events ("firmware events the
 *     policy does not allow: 27"; JSON "events"), or, when there are
 *     none but A's firmware section judges that PCR (4: boot_apps; 7:
 *     secure_boot, pk..dbx), says the change is in another event.
 *
 * Each difference is a JSON object {"what", "change", "kind"?, "name"?,
 * "bank"?, "pcr"?, "old": [...], "new": [...]} and one human line.
 * old/new hold: bank names (banks), PCR numbers (pcr-index), "allow" or
 * "deny" (unknown), true/false (required), hex digests (measurement
 * changed: only-in-A and only-in-B digests of "bank"; pcr), and
 * "bank:hex" strings for a measurement only in A or only in B, which
 * also carries "required" when that side is a policy. An overlay entry
 * has no digests (it is logged by path), so its lists are empty and only
 * its presence and "required" can differ. A "firmware" difference has
 * "rule" (section, secure_boot, boot_apps, pk, kek, db, dbx,
 * digest_mismatches; host mode: log, secure_boot, boot_app, pk..dbx,
 * digest_mismatch) and, in host mode, "pcr" and "event" (and "path" for
 * a boot application); old/new hold true/false for secure_boot (empty:
 * not judged, or unknown on the host), "allow"/"deny", hex digests of
 * "bank", or "bank:hex" for a list only one side has.
 *
 * Contract: both policies stay owned by the caller and must outlive
 * nothing here (names are copied). hv_diffs_free() accepts a zeroed list.
 * Returns -1 only when out of memory.
 */
#ifndef HV_DIFFPOL_H
#define HV_DIFFPOL_H

#include <stdio.h>
#include <json-c/json.h>

#include "../lib/pcrs.h"
#include "../lib/uefifacts.h"
#include "policy.h"

struct hv_diffs {
	size_t n, cap;
	json_object **obj;        /* one object per difference */
	char **line;              /* its human line, no newline */
	int oom;
};

int hv_diff_policies(const struct hg_policy *a, const struct hg_policy *b,
		     const struct hg_pcr_values *quoted, const struct hg_uefi_facts *fw,
		     struct hv_diffs *d);
void hv_diffs_print(const struct hv_diffs *d, FILE *f);
/* {"same": bool, "differences": [...]}; the caller puts it. */
json_object *hv_diffs_json(const struct hv_diffs *d);
void hv_diffs_free(struct hv_diffs *d);

#endif
