/* policy.h: the verifier's policy (strict JSON, parsed with jansson
 * through jsonstrict.h). Reference: policies/README.md "Parsing rules".
 *
 * Contract:
 *  - hg_policy_load() and hg_policy_parse() are the one way a policy is
 *    read (check, diff, enroll --policy). They take at most 16 MiB and
 *    refuse what jsonstrict.h refuses (duplicate keys at any depth, NUL
 *    in strings and keys, comments, trailing commas, non-JSON numbers,
 *    invalid UTF-8, a BOM, trailing data), then unknown keys, wrong
 *    types, malformed or uppercase digests, names that are not canonical
 *    paths or that name one file twice (policynames.h), and a "comment"
 *    that is not a string. Each failure prints one line naming the file,
 *    line:column, the JSON path and the reason
 *    ("p.json:12:7: $.measurements.hypervisor[\"/usr/bin/x\"].sha256[1]:
 *    not 64 hex digits") and leaves *p zeroed: nothing half-loaded.
 *  - Every entry of a hashed kind lists digests in at least one bank; an
 *    overlay entry lists none (nbanks == 0): overlays are logged by path.
 *  - Entries are sorted by (kind, name) so hg_policy_find() is a binary
 *    search: a check stays fast with thousands of entries.
 *  - The optional "firmware" section (policies/README.md "Firmware") is
 *    parsed as strictly, into p->fw; fw.present says the section exists
 *    (even empty: it still requires a firmware log and denies digest
 *    mismatches). A zeroed struct hg_policy_firmware judges nothing.
 *  - hg_policy_free() accepts a zeroed policy.
 */
#ifndef HV_POLICY_H
#define HV_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/cel.h"
#include "../lib/pcrs.h"
#include "policydom.h"

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

/* The firmware section's digest lists. Each is per bank, like a
 * measurement entry; nbanks == 0 means the policy does not set it. */
enum hg_fw_list {
	HG_FW_BOOT_APPS,   /* every EV_EFI_BOOT_SERVICES_APPLICATION (PCR 4) */
	HG_FW_PK,          /* the PK, KEK, db, dbx EV_EFI_VARIABLE_DRIVER_CONFIG */
	HG_FW_KEK,         /* events on PCR 7 */
	HG_FW_DB,
	HG_FW_DBX,
	HG_FW_NLISTS,
};

struct hg_policy_fwlist {
	size_t nbanks;
	struct hg_policy_digests banks[HG_MAX_BANKS];
};

enum hg_fw_secure_boot {
	HG_FW_SB_ANY,      /* not judged (zero: the default) */
	HG_FW_SB_ENABLED,  /* "secure_boot": true */
	HG_FW_SB_DISABLED, /* "secure_boot": false */
};

struct hg_policy_firmware {
	int present;                  /* the policy has a "firmware" section */
	enum hg_fw_secure_boot secure_boot;
	struct hg_policy_fwlist list[HG_FW_NLISTS];
	int allow_digest_mismatches;  /* 0 (deny) unless "allow" */
};

/* Exceptions to the EK certificate rules that enrollment applies
 * (hostgate-verify enroll --policy); the host checks do not read them. */
struct hg_policy_ekc {
	int allow_expired;
	int allow_any_eku;
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
	struct hg_policy_firmware fw;
	struct hg_policy_ekc ekc;
	struct hg_policy_domains domains;  /* "domains" (policydom.h) */
	/* hg_policy_find()'s index of entries by (kind, name): open
	 * addressing, nslots a power of two >= 2n; NULL (then a binary
	 * search of the sorted entries) for a policy not from the parser. */
	struct hg_policy_slot *slots;
	size_t nslots;
};

struct hg_policy_slot {
	uint32_t idx;                      /* entry index + 1; 0: empty */
	uint32_t len;                      /* its name's length */
	uint64_t hash;
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
/* Build P's index of entries (the parser does, once they are sorted).
 * -1 when out of memory. */
int hg_policy_index(struct hg_policy *p);

/* The JSON key of a firmware list: "boot_apps", "pk", "kek", "db", "dbx". */
const char *hg_policy_fw_list_name(enum hg_fw_list l);

/* The PCRs whose events the firmware section judges: 4 with boot_apps,
 * 7 with secure_boot or any of pk, kek, db, dbx; 0 without the section.
 * An event is bound to the quote only through a quoted PCR, in a quoted
 * bank: the quote must cover these PCRs, in the banks the rules compare,
 * or a host could log any digest there (conventions: a quote's selection
 * must cover every PCR the policy judges). */
uint32_t hg_policy_fw_pcrs(const struct hg_policy *p);

/* Whether firmware list L allows the logged digests D: every bank that L
 * lists, that the policy accepts and that D has must list D's digest (a
 * weak bank cannot vouch for a strong one's mismatch), as for a
 * measurement. 1 allowed; 0 not, *BAD (may be NULL) then the first
 * compared bank whose digest is not listed; -1 no bank to compare. */
int hg_policy_fw_allows(const struct hg_policy *p, enum hg_fw_list l,
			const struct hg_digests *d, const struct hg_digest **bad);

#endif
