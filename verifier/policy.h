/* policy.h: the verifier's policy (JSON, parsed with json-c).
 * Reference: policies/README.md.
 *
 * Contract:
 *  - hg_policy_load() reads at most 16 MiB, refuses unknown keys, wrong
 *    types and malformed digests, and prints one error naming the file and
 *    the JSON path ("$.measurements.hypervisor[\"/usr/bin/x\"].sha256[1]").
 *  - Every entry of a hashed kind lists digests in at least one bank; an
 *    overlay entry lists none (nbanks == 0): overlays are logged by path.
 *  - Entries are sorted by (kind, name) so hg_policy_find() is a binary
 *    search: a check stays fast with thousands of entries.
 *  - hg_policy_free() accepts a zeroed policy.
 */
#ifndef HV_POLICY_H
#define HV_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/cel.h"
#include "../lib/pcrs.h"

#define HG_POLICY_VERSION 1
#define HG_POLICY_MAX_SIZE (16u << 20)

struct hg_policy_digests {
	uint16_t alg;
	size_t n;
	uint8_t (*d)[HG_MAX_DIGEST];
};

struct hg_policy_entry {
	enum hg_kind kind;
	char *name;
	int required;
	size_t nbanks;
	struct hg_policy_digests banks[HG_MAX_BANKS];
};

struct hg_policy {
	int version;
	size_t nbanks;
	uint16_t banks[HG_MAX_BANKS];      /* accepted banks, in order given */
	uint32_t pcr;                      /* the hostgate PCR */
	int allow_unknown[HG_KIND_MAX];   /* by kind; 0 (deny) unless "allow" */
	size_t n;
	struct hg_policy_entry *entries;
	struct hg_pcr_values pcrs;         /* required PCR values */
};

int hg_policy_load(const char *path, struct hg_policy *p);
/* Parse from a string; NAME is used in messages. */
int hg_policy_parse(const char *name, const char *text, size_t len,
		    struct hg_policy *p);
void hg_policy_free(struct hg_policy *p);

const struct hg_policy_entry *hg_policy_find(const struct hg_policy *p,
					     enum hg_kind kind,
					     const char *name, size_t len);
int hg_policy_accepts_bank(const struct hg_policy *p, uint16_t alg);

#endif
