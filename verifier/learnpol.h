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
 *
 * Contract: on success *policy is a new json object (caller puts it).
 * Returns the hv_verify() exit code, or 2 on out-of-memory.
 */
#ifndef HV_LEARNPOL_H
#define HV_LEARNPOL_H

#include <json-c/json.h>

#include "verify.h"

int hv_learn(const uint8_t *evidence, size_t len, const struct hg_ak *ak,
	     const uint8_t *nonce, size_t nonce_len, uint32_t pcrmask,
	     json_object **policy, struct hv_result *res);

#endif
