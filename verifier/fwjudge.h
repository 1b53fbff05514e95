/* fwjudge.h: judge a host's firmware facts (lib/uefifacts.h) against the
 * policy's "firmware" section (policies/README.md "Firmware").
 *
 * Called by verify.c once the firmware log has replayed to the quoted
 * PCRs, with facts from the bound (bank, PCR) pairs only
 * (hg_uefi_facts_bound): F is NULL when the evidence carries no firmware
 * log. A PCR 7 variable listed by the policy fails when F's pcr7_unbound
 * is set ("PK cannot be judged: event 4 on PCR 7 is not bound ..."). Every rule the policy sets is checked
 * and every failure is reported (not only the first):
 *   - ADD(ARG, FAILURE, REASON) once per failure; FAILURE is a fresh
 *     json-c object {"kind": "firmware", "rule": ..., ...} owned by the
 *     callee (may be NULL when the caller wants no JSON), REASON one line
 *     such as "firmware: Secure Boot is disabled, the policy requires it"
 *     or "firmware: boot application (event 27, \EFI\BOOT\BOOTX64.EFI)
 *     sha256:ab.. is not allowed".
 * Returns the number of failures.
 */
#ifndef HV_FWJUDGE_H
#define HV_FWJUDGE_H

#include <json-c/json.h>

#include "../lib/uefifacts.h"
#include "policy.h"

typedef void (*hv_fw_add_fn)(void *arg, json_object *failure, const char *reason);

size_t hv_judge_firmware(const struct hg_policy *p, const struct hg_uefi_facts *f,
			 int want_json, hv_fw_add_fn add, void *arg);

#endif
