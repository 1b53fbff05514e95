/* diffpol_int.h: what diffpol.c shares with diffpol_fw.c, the firmware
 * part of the comparison. Internal to those two files; the contract is
 * diffpol.h.
 */
#ifndef HV_DIFFPOL_INT_H
#define HV_DIFFPOL_INT_H

#include <stdio.h>
#include <json-c/json.h>

#include "../lib/uefifacts.h"
#include "diffpol.h"

#define ARROW "\xe2\x86\x92" /* U+2192, as the operator reads it */

/* The banks in the one order every listing uses. */
#define DP_NBANK 4
extern const uint16_t dp_bank_order[DP_NBANK];

/* Firmware events a host-mode line named, per PCR, for that PCR's line. */
#define FW_NOTED 8
struct fw_noted {
	size_t n;
	size_t ev[FW_NOTED];
};

struct dp_ctx {
	const struct hg_policy *a, *b;
	const struct hg_pcr_values *quoted;   /* non-NULL: host mode */
	const struct hg_uefi_facts *fw;       /* host mode: the host's firmware */
	struct fw_noted noted[HG_NUM_PCRS];
	struct hv_diffs *d;
};

/* One human line being written: a memory stream. */
struct dp_line {
	FILE *f;
	char *buf;
	size_t len;
};

FILE *dp_line_open(struct dp_line *l);
/* Append a difference: OBJ and the line L (both taken, even on error;
 * either missing counts as out of memory). */
void dp_emit(struct hv_diffs *d, json_object *obj, struct dp_line *l);
const char *dp_bank_name(uint16_t alg);
json_object *dp_hexj(const uint8_t *p, size_t n);
void dp_put_hex(FILE *f, const uint8_t *p, size_t n);
/* {"what", "change"}, or NULL when out of memory. */
json_object *dp_diff_obj(const char *what, const char *change);
/* "old" and "new" arrays added to O (both NULL when O is). */
void dp_add_old_new(json_object *o, json_object **old, json_object **new);
/* The digests of PD that OTHER lacks, each once, into ARR and F. */
size_t dp_lacking(const struct hg_policy_digests *pd,
		  const struct hg_policy_digests *other, size_t size,
		  json_object *arr, FILE *f);

/* diffpol_fw.c */
void dp_fw_policies(struct dp_ctx *c);
void dp_fw_host(struct dp_ctx *c);
/* A changed PCR's host-mode line ends here: " (changed on this host...)",
 * naming the firmware events dp_fw_host() found on it. */
void dp_explain_pcr(struct dp_ctx *c, unsigned p, json_object *o, FILE *f);

#endif
