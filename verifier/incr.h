/* incr.h: incremental verification (issue 14; Keylime's incremental IMA
 * log pattern). Reference: docs/evidence-format.md "Incremental evidence".
 *
 * After a check whose log and replay passed, the verifier keeps a state
 * per host (struct hv_incr_state, bytes a service stores as a BLOB):
 *   - the AK Name the quote was checked under and the boot identity from
 *     the signed attest (lib/bootid.h: clockInfo resetCount,
 *     restartCount);
 *   - NEXT, the number of records verified (0..NEXT-1), and the log key
 *     and banks record 0 pinned;
 *   - the PCR values the log replayed to, per bank, for every PCR it
 *     extends: the quoted values, which the replay had to equal;
 *   - the SHA-256 of the policy it was judged under;
 *   - the records the judge needs again (below), by content.
 * The next evidence may then carry only records NEXT, NEXT+1, ...
 * (`hostgate-attest quote --since BOOT:NEXT-1`); hv_verify_incremental()
 * checks its quote as always, verifies the new records under the kept log
 * key, replays them from the kept PCR values to the quoted ones (verify.h,
 * struct hv_resume) and judges them on top of the kept records. The
 * verdict equals what a full check of the whole log gives (only
 * "checked_at" and the fields below differ).
 *
 * Resumption needs all of: same AK Name (the verifier's AK for the host,
 * and the evidence's), same boot, same policy digest, and the evidence's
 * log starting at exactly NEXT. Otherwise, and when the new records do
 * not verify or do not replay from the kept values to the quote, the
 * partial log is never believed: check "log" or "replay" fails (exit 3)
 * and the verdict says "full_required": true with the reason, for the
 * caller to ask the host for its whole log. Evidence that carries the
 * whole log (no log_first) is always checked in full, state or not.
 *
 * What the judge needs again (judge.h), which makes the verdict exact:
 *   - host-kind file records (every one is judged): each that fails the
 *     policy (its failure is listed again, with its record number), and
 *     the first that names each policy entry (for "required");
 *   - workload-kind file records: the latest of each (kind, name);
 *   - records of any other content type than the log key: all; and once
 *     one is seen, every workload record too (such a record may refer to
 *     earlier ones by number, as a VM's launch record does); a log whose
 *     superseded workload records were already dropped before one gets
 *     no state (a full check next time).
 * Kept records are fed to the judge, in record order, before the new
 * ones (hv_resume.seed); the set is closed under that (a resumed run keeps
 * what a full run would).
 *
 * Trust: the state is the verifier's own record, kept where its policies
 * and registry are (docs/threat-model.md). Its PCR values are checked
 * again at every use (the new records must replay from them to the quote;
 * altered ones fail the replay: full check required). Its judged records
 * cannot be checked against the TPM without the whole log: whoever can
 * write the state can also write the policy.
 *
 * Codec: one CBOR map, keys ascending, each once, exact length, version
 * HV_INCR_STATE_VERSION, at most HV_INCR_MAX_STATE bytes, at most
 * HV_INCR_MAX_KEPT records (keys: incrstate.c). A state that breaks any
 * rule is refused whole with a reason (the caller then checks in full).
 */
#ifndef HV_INCR_H
#define HV_INCR_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "../lib/bootid.h"
#include "../lib/digest.h"
#include "../lib/pcrs.h"
#include "verify.h"

#define HV_INCR_STATE_VERSION 1
#define HV_INCR_MAX_STATE (32u << 20)
#define HV_INCR_MAX_KEPT (2u * HV_MAX_WORKLOADS)
#define HV_INCR_MAX_LOG_KEY 1024

struct hv_incr_rec {
	uint64_t recnum;
	const uint8_t *content;       /* a CEL content map (cel.h) */
	size_t content_len;
};

struct hv_incr_state {
	uint8_t ak_name[2 + HG_MAX_DIGEST];
	size_t ak_name_len;
	struct hg_boot_id boot;
	uint8_t policy_sha256[32];
	uint64_t next;                /* records 0..next-1 verified; >= 1 */
	const uint8_t *log_key;       /* record 0's COSE_Key */
	size_t log_key_len;
	EVP_PKEY *key;                /* decoded from log_key */
	size_t nbanks;
	uint16_t banks[HG_MAX_BANKS]; /* record 0's banks, in its order */
	struct hg_pcr_values pcrs;    /* every touched PCR in every bank */
	size_t nrecs;
	struct hv_incr_rec *recs;     /* ascending recnum, each < next */
	uint8_t *buf;                 /* owned: the encoding, recs point in */
	size_t len;
};

/* Decode BUF (copied) into ST: 0, or -1 with *WHY (ST then needs no
 * free, but hv_incr_state_free is safe on it). */
int hv_incr_state_decode(const uint8_t *buf, size_t len, struct hv_incr_state *st,
			 const char **why);
/* Encode ST (its pointers may point anywhere): a fresh buffer. -1 when
 * ST breaks a rule the decoder holds (so an encoding always decodes). */
int hv_incr_state_encode(const struct hv_incr_state *st, uint8_t **out, size_t *len);
void hv_incr_state_free(struct hv_incr_state *st);

struct hv_incr_info {
	int incremental;              /* the state was resumed */
	int full_required;            /* a partial log that nothing anchors */
	char fallback[256];           /* why a given state was not used ("" if it was) */
	int have_state;               /* *new_state holds a state */
	char no_state[160];           /* why none was made, when none was */
};

/* Check IN (its resume and on_record are this function's; an on_record
 * given is still called: when the state is resumed, first with each kept
 * record, in record order, then with the evidence's records; so a judge
 * layered on the record stream, such as judgevm.h's per-VM judge, sees
 * the kept launch records and every workload record they may name)
 * against PREV (may be NULL), with POLICY_SHA256
 * the digest of the policy's bytes. Returns hv_verify's exit code; RES as
 * hv_verify fills it. With want_json the verdict gains "mode" ("full" or
 * "incremental"), "fallback" (a reason, when PREV was not resumed),
 * "full_required" (true, when the partial log could not be anchored) and,
 * when a new state was made, "since": {"boot": HEX, "recnum": N} (the
 * last verified record: what the next request sends the host). NEW_STATE
 * (zeroed first) gets the state for the next check when the log and the
 * replay passed and the state fits its bounds. */
int hv_verify_incremental(const struct hv_inputs *in, const struct hv_incr_state *prev,
			  const uint8_t policy_sha256[32], struct hv_incr_state *new_state,
			  struct hv_result *res, struct hv_incr_info *info);

#endif
