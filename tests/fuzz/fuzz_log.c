/* fuzz_log.c: libFuzzer target for the event-log decoder (lib/hglog.c).
 *
 * The input is a whole log file: hg_log_parse() runs on it; when it
 * parses, hg_log_replay() runs for every bank of record 0 and every PCR.
 * Whatever the outcome, hg_log_free() must release all. The streaming API
 * (hg_log_iter_*) and the replay accumulator (hg_replay_*) run on the same
 * bytes and must agree with them.
 *
 * Besides "no crash, no leak, no UB", the target checks the contract of
 * lib/hglog.h and aborts (a finding) when it is broken:
 *  - success: n >= 1, the key is pinned, records tile [0, good_len)
 *    exactly with good_len == len, record i has recnum i, record 0 is the
 *    only log-key record, every record has record 0's banks, every
 *    record's pointers stay inside the input;
 *  - failure: the error names a message; the records before the bad one
 *    stay in the log, good_len ends where the bad record starts;
 *  - the iterator returns the same records, then 0 (end) where the parse
 *    succeeded, or -1 with the same error where it failed, and keeps
 *    returning -1 after that; the host's iterator (no signatures) agrees
 *    too, except that it goes on past a record whose signature is bad;
 *  - replay: hg_log_replay() succeeds for each bank of record 0 (all
 *    records share those banks), gives the reset PCR for upto = 0, refuses
 *    upto > n, and equals the hg_replay accumulator for every PCR.
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
#include "pcrs.h"

#include "fuzz_check.h"

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
		CHECK(c->kind > HG_KIND_NONE && c->kind < HG_KIND_MAX);
		CHECK(c->name_len >= 1 && c->name_len <= HG_CEL_MAX_NAME);
		CHECK(inside(c->content, c->content_len, c->name, c->name_len));
		/* overlay records carry no file digests (cel.h) */
		CHECK(c->file.n == (hg_kind_hashed(c->kind) ? c->digests.n : 0));
	}
}

static void replay_all(const struct hg_log *log)
{
	const struct hg_digests *banks = &log->recs[0].cel.digests;
	struct hg_replay rp;
	uint32_t seen = 0;

	CHECK(hg_replay_init(&rp, banks) == 0);
	for (size_t i = 0; i < log->n; i++) {
		CHECK(hg_replay_add(&rp, &log->recs[i].cel) == 0);
		seen |= 1u << log->recs[i].cel.pcr;
	}
	CHECK(rp.touched == seen);
	for (size_t b = 0; b < banks->n; b++) {
		uint16_t alg = banks->v[b].alg;
		struct hg_digest d;

		for (unsigned pcr = 0; pcr < HG_NUM_PCRS; pcr++) {
			const struct hg_digest *a = hg_replay_get(&rp, pcr, alg);

			CHECK(hg_log_replay(log, log->n, pcr, alg, &d) == 0);
			CHECK(a && d.alg == alg && a->alg == alg);
			CHECK(d.len == a->len && !memcmp(d.d, a->d, d.len));
		}
		CHECK(hg_replay_get(&rp, HG_NUM_PCRS, alg) == NULL);
		/* Replaying nothing gives the reset PCR. */
		CHECK(hg_log_replay(log, 0, log->recs[0].cel.pcr, alg, &d) == 0);
		for (size_t k = 0; k < d.len; k++)
			CHECK(d.d[k] == 0);
		CHECK(hg_log_replay(log, log->n + 1, 0, alg, &d) < 0);
	}
}

/* The streaming API on the same bytes must tell the same story. */
static void iterate(const uint8_t *data, size_t size, int parsed,
		    const struct hg_log *log, const struct hg_log_err *err)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	size_t i = 0;
	int r;

	hg_log_iter_init(&it, data, size);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		const struct hg_log_rec *p;

		CHECK(i < log->n);
		p = &log->recs[i];
		CHECK(rec.offset == p->offset && rec.len == p->len);
		CHECK(rec.cel.recnum == p->cel.recnum &&
		      rec.cel.pcr == p->cel.pcr && rec.cel.type == p->cel.type);
		CHECK(rec.cel.content == p->cel.content &&
		      rec.cel.content_len == p->cel.content_len);
		i++;
	}
	CHECK(i == log->n);
	if (parsed) {
		CHECK(r == 0);
		CHECK(it.off == size && it.key != NULL);
	} else if (r == 0) {
		/* Only the empty input ends cleanly and still fails to parse. */
		CHECK(size == 0 && log->n == 0);
	} else {
		CHECK(it.err.record == err->record);
		CHECK(it.err.offset == err->offset);
		CHECK(it.err.truncated == err->truncated);
		CHECK(!strcmp(it.err.msg, err->msg));
		CHECK(hg_log_iter_next(&it, &rec) == -1);
	}
	hg_log_iter_free(&it);
	CHECK(it.key == NULL);
}

/* The host's scan (hg_log_iter_init_host) applies every rule but the
 * signatures: it returns the same records as far as the verifying parse
 * got, fails the same way unless the parse stopped at a signature, and
 * never reports a signature itself. */
static void iterate_host(const uint8_t *data, size_t size, int parsed,
			 const struct hg_log *log, const struct hg_log_err *err)
{
	int sig_stop = !parsed && !strcmp(err->msg, "signature invalid");
	struct hg_log_iter it;
	struct hg_log_rec rec;
	size_t i = 0;
	int r;

	hg_log_iter_init_host(&it, data, size);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		CHECK(rec.cel.recnum == i);
		if (i < log->n) {
			const struct hg_log_rec *p = &log->recs[i];

			CHECK(rec.offset == p->offset && rec.len == p->len);
			CHECK(rec.cel.content == p->cel.content &&
			      rec.cel.content_len == p->cel.content_len);
		}
		i++;
	}
	if (r < 0)
		CHECK(strcmp(it.err.msg, "signature invalid") != 0);
	if (sig_stop) {
		CHECK(i > log->n);
	} else {
		CHECK(i == log->n);
		CHECK(r == (parsed || size == 0 ? 0 : -1));
		if (r < 0) {
			CHECK(it.err.record == err->record &&
			      it.err.offset == err->offset &&
			      it.err.truncated == err->truncated);
			CHECK(!strcmp(it.err.msg, err->msg));
		}
	}
	hg_log_iter_free(&it);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_log log;
	struct hg_log_err err;
	int parsed = hg_log_parse(data, size, &log, &err) == 0;

	if (parsed) {
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
		for (size_t i = 0; i < log.n; i++)
			check_rec(data, size, &log, i);
		if (err.record >= 0) {
			/* Records before the failing one were accepted. */
			CHECK((size_t)err.record == log.n);
			CHECK(err.offset == log.good_len);
		}
	}
	iterate(data, size, parsed, &log, &err);
	iterate_host(data, size, parsed, &log, &err);
	hg_log_free(&log);
	CHECK(log.n == 0 && log.recs == NULL && log.key == NULL);
	return 0;
}
