/* learnpol.h: build, from verified evidence, the policy that accepts
 * exactly that host (used by learn and by diff --evidence).
 *
 * The evidence is verified first (verify.h, without policy): a policy is
 * never learned from evidence whose quote, log or replay fails.
 * Learned policy:
 *   banks         the quoted banks the log also has; sha1 is dropped when
 *                 a stronger one is there (a learned policy should not
 *                 rest on SHA-1)
 *   pcr           the PCR the log extends
 *   measurements  every file record: kind -> name -> {bank: [digests]},
 *                 required; a host file (hypervisor, firmware,
 *                 breakglass) measured twice keeps both digests, a
 *                 workload (config, image, overlay) only its latest
 *                 record's, as check judges only that (judge.h); an
 *                 overlay's entry is {} (logged by path only)
 *   pcrs          the quoted values, in the accepted banks, of the PCRs in
 *                 PCRMASK that the log does not extend (firmware, boot)
 *   firmware      when the evidence has a firmware event log that
 *                 replayed to the quote: hv_learn_firmware() below
 *
 * Contract: on success *policy is a new json object (caller puts it).
 * Returns the hv_verify() exit code, or 2 on out-of-memory.
 */
#ifndef HV_LEARNPOL_H
#define HV_LEARNPOL_H

#include <json-c/json.h>

#include "../lib/uefifacts.h"
#include "verify.h"

int hv_learn(const uint8_t *evidence, size_t len, const struct hg_ak *ak,
	     const uint8_t *nonce, size_t nonce_len, uint32_t pcrmask,
	     json_object **policy, struct hv_result *res);

/* Add to POLICY, a learned policy whose "banks" are set, the "firmware"
 * section (policies/README.md "Firmware") that accepts the facts F of a
 * firmware log that replayed to the verified quote (so its digests are
 * the host's):
 *   secure_boot        as observed; left out when unknown
 *   boot_apps          every non-harmless digest of PCR 4, whatever its
 *                      event's type
 *   pk, kek, db, dbx   the logged digests of each that the log has
 *   digest_mismatches  left out (deny)
 * Digests are those of the accepted banks only, each once. What cannot
 * be learned is left out with one line on stderr: a Secure Boot state
 * that is unknown, a list with an item that has no digest in an accepted
 * bank (check could not compare it) or more than 4096 distinct digests,
 * a variable logged twice with different digests (check refuses it), the
 * PCR 7 variables when an event there is unbound (F's pcr7_unbound). F
 * holds only bound facts (hg_uefi_facts_bound), so nothing is learned
 * from a type, an unquoted bank or data that does not hash to its digest.
 * Events whose digest is not the hash of their data make the learned
 * policy refuse the host: stderr names the first and how to allow them,
 * a decision for a person, as accepting a break-glass use is.
 * Returns 0, or -1 when out of memory (POLICY is then partly filled).
 * F is borrowed. */
int hv_learn_firmware(json_object *policy, const struct hg_uefi_facts *f);

#endif
