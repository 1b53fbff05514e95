/* hglog.h: read and check a hostgate event log (a CBOR sequence, RFC 8742,
 * of COSE_Sign1 records whose payloads are CEL records, see cel.h).
 *
 * Rules enforced by hg_log_parse(), in this order per record:
 *   1. the bytes at the offset decode as one COSE_Sign1 (bounded reader;
 *      a record larger than HG_LOG_MAX_RECORD is refused);
 *   2. the payload decodes as a CEL record, digests bound to content;
 *   3. recnum equals the record's position;
 *   4. record 0 is a log-key record; its key verifies its own signature
 *      (proof of possession) and every later record's signature (of
 *      the records on the PCRs hg_log_iter_sig_pcrs() selects: all by
 *      default);
 *   5. every record uses the bank set of record 0;
 *   6. no later record is a log-key record.
 * The first failure stops parsing; ERR names the record, its byte offset
 * and the reason. An input that ends inside a record sets err->truncated,
 * which the host uses to tell a torn append (crash) from corruption.
 *
 * Contract: the log borrows BUF (records point into it); hg_log_free()
 * frees what hg_log_parse() allocated and accepts a zeroed log.
 */
#ifndef HG_HGLOG_H
#define HG_HGLOG_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "cel.h"
#include "pcrs.h"

#define HG_LOG_MAX_SIZE (64u << 20)
#define HG_LOG_MAX_RECORD (64u << 10)

struct hg_log_rec {
	size_t offset;
	size_t len;
	struct hg_cel_rec cel;
};

struct hg_log {
	size_t n;
	struct hg_log_rec *recs;
	EVP_PKEY *key;             /* the pinned log key (record 0) */
	size_t good_len;           /* bytes covered by valid records */
};

struct hg_log_err {
	long record;               /* -1 when not about one record */
	size_t offset;
	int truncated;
	char msg[192];
};

/* Streaming: one record at a time, nothing kept but the pinned key, so a
 * 100,000-record log is checked in the memory of one record. Returns 1
 * with a record, 0 at the end, -1 on the first bad record (it->err says
 * which and why; later calls keep returning -1). An empty input ends at
 * once with no record: callers decide whether that is an error. */
struct hg_log_iter {
	const uint8_t *buf;
	size_t len, off;
	size_t n;                  /* records returned so far */
	EVP_PKEY *key;             /* pinned by record 0 */
	struct hg_digests banks;   /* record 0's banks */
	int failed;
	uint32_t sig_pcrs;         /* verify signatures of records on these PCRs */
	uint64_t first;            /* record number of the first record */
	struct hg_log_err err;
};

void hg_log_iter_init(struct hg_log_iter *it, const uint8_t *buf, size_t len);
/* Which records' ES256 signatures the iterator checks: those whose PCR is
 * in the mask SIG_PCRS (bit p for PCR p). hg_log_iter_init() and _resume
 * check all (HG_LOG_SIG_ALL), the host's scan none. Every other rule holds
 * whatever the mask. The verifier checks none on its first pass and then,
 * only if the quoted replay does not bind some PCR's records, those
 * records' signatures on a second pass (verify.h, docs/log-format.md
 * "What the signatures are for"). */
#define HG_LOG_SIG_ALL ((uint32_t)((1u << HG_NUM_PCRS) - 1))
void hg_log_iter_sig_pcrs(struct hg_log_iter *it, uint32_t sig_pcrs);
/* The host's own scan (recovery before append, consistency before a
 * quote): every rule but the ES256 signatures. Those cost ~60 us a record,
 * which would make each measure or quote grow with the log; the host
 * checks its log against the TPM's PCR instead (replay == PCR), which a
 * forged record cannot pass. A verifier never uses this. */
void hg_log_iter_init_host(struct hg_log_iter *it, const uint8_t *buf,
			   size_t len);
/* The verifier resuming a log it verified up to record FIRST - 1
 * (verifier/incr.h): BUF holds records FIRST, FIRST+1, ... only. Rules
 * 2..6 hold as if record 0 had been read: KEY (the log key record 0
 * pinned, kept by the verifier; the iterator takes its own reference)
 * verifies every signature, BANKS are record 0's banks, and no record may
 * be a log-key record. FIRST >= 1. Returns -1 (out of memory) or 0. */
int hg_log_iter_init_resume(struct hg_log_iter *it, const uint8_t *buf,
			    size_t len, uint64_t first, EVP_PKEY *key,
			    const struct hg_digests *banks);
/* Record numbers in it->err.record and in the recnum rule are absolute:
 * it->first + the record's position in BUF. */
int hg_log_iter_next(struct hg_log_iter *it, struct hg_log_rec *rec);
void hg_log_iter_free(struct hg_log_iter *it);

/* The whole log at once (for small logs and tests). On failure the
 * records before the bad one stay in LOG. */
int hg_log_parse(const uint8_t *buf, size_t len, struct hg_log *log,
		 struct hg_log_err *err);

/* Replay accumulator for every PCR in the given banks, from zero. */
struct hg_replay {
	size_t nbanks;
	uint16_t algs[HG_MAX_BANKS];
	uint32_t touched;          /* PCRs some record extended */
	struct hg_digest v[HG_NUM_PCRS][HG_MAX_BANKS];
};

int hg_replay_init(struct hg_replay *rp, const struct hg_digests *banks);
int hg_replay_add(struct hg_replay *rp, const struct hg_cel_rec *rec);
const struct hg_digest *hg_replay_get(const struct hg_replay *rp, unsigned pcr,
				      uint16_t alg);
void hg_log_free(struct hg_log *log);

/* Replay the first UPTO records into PCR of bank ALG, starting from zero. */
int hg_log_replay(const struct hg_log *log, size_t upto, uint32_t pcr,
		  uint16_t alg, struct hg_digest *out);

#endif
