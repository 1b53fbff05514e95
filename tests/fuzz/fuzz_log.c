/* fuzz_log.c: libFuzzer target for the event-log decoder (lib/hglog.c).
 *
 * The input is a whole log file: hg_log_parse() runs on it; when it
 * parses, hg_log_replay() runs for every bank of record 0 and every PCR
 * the log names. Whatever the outcome, hg_log_free() must release all.
 *
 * Besides "no crash, no leak, no UB", the target checks the contract of
 * lib/hglog.h and aborts (a finding) when it is broken:
 *  - success: n >= 1, the key is pinned, records tile [0, good_len)
 *    exactly with good_len == len, record i has recnum i, record 0 is the
 *    only log-key record, every record has record 0's banks, every
 *    record's pointers stay inside the input;
 *  - failure: the error names a message, good_len covers only the
 *    records that were accepted and lies inside the input;
 *  - replay: succeeds for each bank of record 0 (all records share those
 *    banks) and is deterministic; upto > n is refused.
 *
 * Built by tests/fuzz/run.sh with the lib/ sources linked in directly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel.h"
#include "digest.h"
#include "hglog.h"

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: contract broken: %s\n",    \
				__FILE__, __LINE__, #c);                   \
			abort();                                           \
		}                                                          \
	} while (0)

static int inside(const uint8_t *buf, size_t len, const void *p, size_t n)
{
	const uint8_t *q = p;

	return q >= buf && q <= buf + len && n <= (size_t)(buf + len - q);
}

static void check_rec(const uint8_t *buf, size_t len,
		      const struct hg_log *log, size_t i)
{
	const struct hg_log_rec *rec = &log->recs[i];
	const struct hg_cel_rec *c = &rec->cel;

	CHECK(rec->len > 0 && inside(buf, len, buf + rec->offset, rec->len));
	CHECK(c->recnum == i);
	CHECK(c->pcr <= HG_CEL_MAX_PCR);
	CHECK(c->digests.n >= 1 && c->digests.n <= HG_MAX_BANKS);
	CHECK(inside(buf + rec->offset, rec->len, c->content, c->content_len));
	if (i == 0) {
		CHECK(c->type == HG_CT_LOG_KEY);
		CHECK(inside(c->content, c->content_len, c->key, c->key_len));
	} else {
		const struct hg_digests *a = &c->digests;
		const struct hg_digests *b = &log->recs[0].cel.digests;

		CHECK(c->type == HG_CT_FILE);
		CHECK(a->n == b->n);
		for (size_t k = 0; k < a->n; k++)
			CHECK(a->v[k].alg == b->v[k].alg);
		CHECK(c->kind > HG_KIND_NONE && c->kind <= HG_KIND_IMAGE);
		CHECK(c->name_len >= 1 && c->name_len <= HG_CEL_MAX_NAME);
		CHECK(inside(c->content, c->content_len, c->name, c->name_len));
		CHECK(c->file.n == c->digests.n);
	}
}

static void replay_all(const struct hg_log *log)
{
	const struct hg_digests *banks = &log->recs[0].cel.digests;
	uint32_t seen = 0;

	for (size_t i = 0; i < log->n; i++)
		seen |= 1u << log->recs[i].cel.pcr;
	for (size_t b = 0; b < banks->n; b++) {
		uint16_t alg = banks->v[b].alg;
		struct hg_digest d1, d2;

		for (uint32_t pcr = 0; pcr <= HG_CEL_MAX_PCR; pcr++) {
			if (!(seen & (1u << pcr)))
				continue;
			CHECK(hg_log_replay(log, log->n, pcr, alg, &d1) == 0);
			CHECK(hg_log_replay(log, log->n, pcr, alg, &d2) == 0);
			CHECK(d1.alg == alg && d1.len == d2.len &&
			      !memcmp(d1.d, d2.d, d1.len));
		}
		/* Replaying nothing gives the reset PCR. */
		CHECK(hg_log_replay(log, 0, log->recs[0].cel.pcr, alg, &d1) == 0);
		for (size_t k = 0; k < d1.len; k++)
			CHECK(d1.d[k] == 0);
		CHECK(hg_log_replay(log, log->n + 1, 0, alg, &d1) < 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_log log;
	struct hg_log_err err;

	if (hg_log_parse(data, size, &log, &err) == 0) {
		size_t end = 0;

		CHECK(log.n >= 1 && log.recs && log.key);
		CHECK(log.good_len == size);
		for (size_t i = 0; i < log.n; i++) {
			CHECK(log.recs[i].offset == end);
			check_rec(data, size, &log, i);
			end += log.recs[i].len;
		}
		CHECK(end == size);
		replay_all(&log);
	} else {
		CHECK(err.msg[0] != '\0');
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		CHECK(log.good_len <= size);
		CHECK(err.record >= -1);
		if (err.record >= 0) {
			/* Records before the failing one were accepted. */
			CHECK((size_t)err.record == log.n);
			CHECK(err.offset == log.good_len);
		}
	}
	hg_log_free(&log);
	CHECK(log.n == 0 && log.recs == NULL && log.key == NULL);
	return 0;
}
