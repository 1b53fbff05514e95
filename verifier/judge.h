/* judge.h: the policy judgement of a log's file records (check "policy").
 * Reference: policies/README.md, "How a record is judged".
 *
 * Which records are judged, and why:
 *  - host kinds (hypervisor, firmware, breakglass): every record, as it
 *    streams by. What was measured may have run, and it stays in the
 *    host's state until reboot: a good record after a bad one of the
 *    same name does not undo the bad one.
 *  - workload kinds (config, image, overlay; hg_kind_is_workload()):
 *    only the latest record of each name, whatever its kind (a path
 *    names one file, of one kind: policy.h). A later record of the
 *    same workload supersedes an earlier one: a VM refused at start never
 *    ran, so its refused config must not poison the host once fixed, and
 *    changing the policy (or the file) and starting again must work.
 *  - with workloads named (hv_judge_init's WL, "check --workload"), only
 *    those workloads, and each must have a record ("config /x was not
 *    measured"). A VM's gate judges that VM: another VM's config out of
 *    policy is not this VM's problem. Host kinds are judged regardless.
 *  - required entries: host kinds always; workload kinds only when no
 *    workload is named (a named one must be measured anyway; a VM that
 *    has not started yet is no reason to refuse another one).
 *
 * Records are judged before the log as a whole is known to be genuine;
 * the judge keeps its failures aside (n, first_why, fails) and the
 * pipeline (verify.c) counts them only once log and replay have passed.
 *
 * Bounds: workload records are kept in a table of borrowed pointers (the
 * log must outlive the judge), one entry per distinct name (the latest
 * record of it, replaced in place through a hash index), at most
 * HV_MAX_WORKLOADS of them; beyond that, hv_judge_finish() fails the
 * check with one reason and judges no workload. The table takes at most
 * HV_MAX_WORKLOADS entries of 56 bytes plus an index of 4 bytes a slot,
 * at most twice as many slots, and O(1) time a record (O(n log n) in
 * the distinct names at the end). A hostile log cannot make it grow
 * further, and a superseded record's bytes are never read again.
 */
#ifndef HV_JUDGE_H
#define HV_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "../lib/cel.h"
#include "policy.h"

#define HV_MAX_WORKLOADS 65536
/* Failures beyond this are counted, not listed in the JSON verdict. */
#define HV_MAX_LISTED_FAILURES 1000

/* A workload named on the command line: KIND a workload kind, NAME an
 * absolute path (NUL-terminated, borrowed). */
struct hv_workload {
	enum hg_kind kind;
	const char *name;
};

struct hv_wl_ent;

struct hv_judge {
	const struct hg_policy *policy;
	const struct hv_workload *wl;  /* borrowed; NULL when nwl == 0 */
	size_t nwl;
	uint8_t *seen;                 /* per policy entry */
	struct hv_wl_ent *tab;         /* latest workload records */
	size_t ntab, cap;
	uint32_t *slots;               /* index of tab by name (tab index + 1) */
	size_t nslots;
	int overflow;                  /* more than HV_MAX_WORKLOADS names */
	int oom;
	size_t n;                      /* failures */
	char first_why[512];
	json_object *fails;            /* NULL without JSON */
};

/* Returns 0, or -1 when out of memory (nothing to free but by
 * hv_judge_free, which is safe either way). P and WL are borrowed. */
int hv_judge_init(struct hv_judge *j, const struct hg_policy *p,
		  const struct hv_workload *wl, size_t nwl, int want_json);
/* One verified record, in log order. REC's pointers must stay valid
 * until hv_judge_finish() (they point into the evidence). */
void hv_judge_record(struct hv_judge *j, const struct hg_cel_rec *rec);
/* After the last record: judge the workloads, then the required entries. */
void hv_judge_finish(struct hv_judge *j);
/* hv_judge_finish() without the required entries: the workloads alone,
 * for one VM's launch (judgevm.h), whose records are not the host's. */
void hv_judge_finish_workloads(struct hv_judge *j);
void hv_judge_free(struct hv_judge *j);

#endif
