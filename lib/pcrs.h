/* pcrs.h: PCR selections and the PCR values read under them.
 *
 * A selection lists banks in order, each with a 24-bit mask of PCRs; that
 * order is the order of the TPML_PCR_SELECTION, and within a bank PCRs
 * run ascending. A quote's pcrDigest is the hash of the selected values
 * concatenated in exactly that order (TPM 2.0 Part 3 §18.4, Part 1 §17.5).
 *
 * Contract: value types, no heap. hg_pcr_values holds at most one value
 * per (bank, PCR) of a selection: HG_MAX_BANKS * 24 values.
 */
#ifndef HG_PCRS_H
#define HG_PCRS_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

#define HG_NUM_PCRS 24
#define HG_MAX_PCR_VALUES (HG_MAX_BANKS * HG_NUM_PCRS)

struct hg_pcr_sel {
	size_t n;
	struct {
		uint16_t alg;
		uint32_t mask;          /* bit i = PCR i */
	} b[HG_MAX_BANKS];
};

struct hg_pcr_value {
	uint16_t alg;
	uint8_t pcr;
	uint8_t len;
	uint8_t d[HG_MAX_DIGEST];
};

struct hg_pcr_values {
	size_t n;
	struct hg_pcr_value v[HG_MAX_PCR_VALUES];
};

/* Parse "0-9,13" into a mask; -1 on syntax or range errors. */
int hg_pcr_mask_parse(const char *s, uint32_t *mask);
/* Number of values a selection asks for. */
size_t hg_pcr_sel_count(const struct hg_pcr_sel *sel);
/* The value of (alg, pcr) in V, or NULL. */
const struct hg_pcr_value *hg_pcr_values_get(const struct hg_pcr_values *v,
					     uint16_t alg, unsigned pcr);
/* H_alg of the selected values in selection order. Fails unless V holds
 * exactly the selected values in selection order (exact: no value
 * missing, none extra, none out of place). */
int hg_pcr_digest(const struct hg_pcr_sel *sel, const struct hg_pcr_values *v,
		  uint16_t alg, struct hg_digest *out);

#endif
