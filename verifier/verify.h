/* verify.h: the verifier's pipeline, shared by check, learn and diff.
 *
 * hv_verify() runs the named checks in order (README "hostgate-verify
 * check") over evidence bytes already in memory:
 *   decode, ak, signature, attest, nonce, pcr-digest, banks, selection,
 *   log, replay, firmware, pcrs, policy
 * The first failing check among decode..firmware stops the run (later
 * checks are "skip"); pcrs and policy both run and list every failure.
 * firmware: the evidence's UEFI event log (if any) carries every declared
 * bank in every event and replays to the quoted PCRs 0-9 it extends, in
 * every quoted bank the log has (lib/uefilog.h, HG_UEFI_ALL_BANKS); its
 * facts (lib/uefifacts.h) are computed from exactly those (bank, PCR)
 * pairs (hg_uefi_facts_bound) and judged by the policy's "firmware"
 * section (fwjudge.h) under the policy check.
 *
 * banks: the quote covers a bank the policy accepts, and (once the log
 * has verified) every bank the hostgate log carries digests in, with the
 * hostgate PCR: a quote that omits one is a bank downgrade. Likewise the
 * firmware log must carry every bank the quote covers on a PCR 0-9 it
 * extends (a log stripped of a bank is a downgrade too).
 * selection: the quote covers the hostgate PCR in every bank the policy
 * accepts that is quoted, and every PCR the policy judges.
 *
 * Exit classes: decode, ak, signature, attest, nonce, pcr-digest, log,
 * replay and firmware failures mean invalid evidence (3); banks, selection, pcrs and
 * policy failures mean a genuine host outside policy (1).
 *
 * Contract:
 *  - Inputs are the verifier's own: AK (decoded by the caller; NULL means
 *    "the evidence's own AK", for learn only), nonce (NULL: learn), policy
 *    (NULL: no judgement). Nothing in the evidence chooses them.
 *  - The log is checked streaming: memory does not grow with its length
 *    (but for the bounded table of latest workload records, judge.h).
 *    Every log record that verified is passed to ON_RECORD (may be NULL),
 *    in order, before the replay is known to match: a caller must ignore
 *    them unless the result is 0.
 *  - With a policy, records are judged as judge.h says: host kinds every
 *    record, workload kinds the latest record of each name, and with
 *    WORKLOADS (nworkloads > 0) only those workloads, each of which must
 *    have been measured.
 *  - With want_json, res->verdict holds the verdict (caller puts it). It
 *    names itself: "version" (HV_VERDICT_VERSION), "checked_at" (RFC 3339
 *    UTC, the verifier's clock), "hostname" (with in->host), "ak_name"
 *    (hex, nameAlg-prefixed, of the AK the quote was checked under, once
 *    the ak check passed) and "nonce" (hex, the nonce the quote was held
 *    to; the evidence's own for learn).
 *  - Returns the exit code: 0, 1 or 3.
 */
#ifndef HV_VERIFY_H
#define HV_VERIFY_H

#include <json-c/json.h>

#include "../lib/evidence.h"
#include "../lib/hglog.h"
#include "../lib/quote.h"
#include "../lib/tpmpub.h"
#include "../lib/uefifacts.h"
#include "../lib/uefilog.h"
#include "judge.h"
#include "policy.h"

#define HV_VERDICT_VERSION 1

enum hv_check {
	HV_DECODE, HV_AK, HV_SIGNATURE, HV_ATTEST, HV_NONCE, HV_PCR_DIGEST,
	HV_BANKS, HV_SELECTION, HV_LOG, HV_REPLAY, HV_FIRMWARE, HV_PCRS, HV_POLICY,
	HV_NCHECKS,
};

typedef void (*hv_record_fn)(void *arg, const struct hg_cel_rec *rec);

/* Resuming a log verified before (verifier/incr.h builds this from a
 * state only it keeps). Without one, the evidence's log must start at
 * record 0 (log_first absent): a partial log is refused under check
 * "log" ("log does not start at record 0 and no matching state"). With
 * one, it must start at exactly NEXT; its records are checked under the
 * kept log key and banks, the replay starts from REPLAY (the PCR values
 * after record NEXT - 1) and must reach the quote as a full one must, and
 * SEED (may be NULL) gives the judge, before the first new record, what
 * it needs of the old ones (judge.h's hv_judge_record, in log order).
 * ON_RECORD sees the evidence's records only; res->records counts all. */
struct hv_judge;
struct hv_resume {
	uint64_t next;
	EVP_PKEY *log_key;
	struct hg_digests banks;
	struct hg_replay replay;
	void (*seed)(void *arg, struct hv_judge *j);
	void *seed_arg;
};

struct hv_inputs {
	const uint8_t *evidence;
	size_t evidence_len;
	const struct hg_ak *ak;
	const uint8_t *nonce;
	size_t nonce_len;
	const struct hg_policy *policy;
	const struct hv_workload *workloads;  /* check --workload; may be NULL */
	size_t nworkloads;
	const char *host;               /* check --host NAME, for the verdict; may be NULL */
	int want_json;
	/* 1: check every log record's signature (check
	 * --verify-log-signatures); 0: only those of records the quoted
	 * replay does not bind (docs/log-format.md). */
	int verify_log_signatures;
	unsigned uefi_flags;            /* HG_UEFI_EBS_WORKAROUND, opt-in */
	hv_record_fn on_record;
	void *arg;
	const struct hv_resume *resume;  /* NULL: the whole log (incr.h) */
	/* May be NULL: called as the log streams by with the address below
	 * which the log was read (evmap.h drops those pages). Bytes below
	 * it may still be read again (they must stay valid). */
	void (*on_consumed)(void *arg, const uint8_t *upto);
	void *consumed_arg;
};

struct hv_result {
	int exit;
	enum hv_check first_failed;     /* HV_NCHECKS when none */
	char why[512];                  /* reason of the first failure */
	size_t nfailures;
	json_object *verdict;
	struct hg_evidence ev;          /* borrows in->evidence */
	struct hg_quote_result quote;
	struct hg_ak own_ak;            /* the evidence's AK when in->ak is NULL */
	size_t records;                 /* in the log, resumed ones included */
	int fw_present;                 /* the evidence has a firmware log */
	int fw_replayed;                /* ... and it replayed to the quote */
	struct hg_uefi_replay fw_replay;
	struct hg_uefi_facts fw_facts;  /* valid when fw_replayed */
	uint32_t log_pcrs;              /* PCRs the log touches */
};

const char *hv_check_name(enum hv_check c);
int hv_verify(const struct hv_inputs *in, struct hv_result *res);
void hv_result_free(struct hv_result *res);

#endif
