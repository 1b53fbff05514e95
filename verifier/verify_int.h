/* verify_int.h: what the files of hv_verify() share (verify.c, the
 * checks in order and the verdict; verify_fw.c, the firmware log's
 * check), for those files only. A check passes with hv_vr_pass() unless
 * it already failed; hv_vr_failj() records a failure (the first one names
 * the verdict's reason) with an optional JSON detail it takes.
 */
#ifndef HV_VERIFY_INT_H
#define HV_VERIFY_INT_H

#include <stdint.h>
#include <json-c/json.h>

#include "verify.h"

struct run {
	const struct hv_inputs *in;
	struct hv_result *res;
	int state[HV_NCHECKS];        /* 0 not run, 1 pass, -1 fail */
	json_object *failures;
};

json_object *hv_vr_hexj(const uint8_t *p, size_t n);
const char *hv_vr_bank_name(uint16_t alg);
void hv_vr_pass(struct run *r, enum hv_check c);
/* Record a failure of check C; FAILURE (may be NULL) is a JSON object
 * with details, owned by this function. */
void hv_vr_failj(struct run *r, enum hv_check c, json_object *failure,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define FAIL(r, c, ...) hv_vr_failj((r), (c), NULL, __VA_ARGS__)
/* 1 when SEL quotes PCR in bank ALG. */
int hv_vr_quoted(const struct hg_pcr_sel *sel, uint16_t alg, unsigned pcr);
/* The firmware log against the quote (verify_fw.c): 0 or -1 (failed). */
int hv_vr_check_firmware(struct run *r);

#endif
