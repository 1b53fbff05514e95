/* hglog.c: see hglog.h. */
#include "hglog.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor_r.h"
#include "cose.h"

static int fail(struct hg_log_err *err, long rec, size_t off, int trunc,
		const char *why)
{
	err->record = rec;
	err->offset = off;
	err->truncated = trunc;
	snprintf(err->msg, sizeof(err->msg), "%s", why);
	return -1;
}

/* Every record starts with these 7 bytes: tag 18, array(4), bstr(3)
 * {1: -7}, empty map (cose.c). A tail shorter than that which matches
 * them is an append cut short, even where the reader, seeing array(4)
 * with fewer than 4 bytes left, says "length exceeds input". */
static int is_head_prefix(const uint8_t *p, size_t n)
{
	static const uint8_t head[] = { 0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0 };

	return n < sizeof(head) && memcmp(p, head, n) == 0;
}

static int same_banks(const struct hg_digests *a, const struct hg_digests *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].alg != b->v[i].alg)
			return 0;
	return 1;
}

void hg_log_iter_init(struct hg_log_iter *it, const uint8_t *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = len;
	it->err.record = -1;
	it->sig_pcrs = HG_LOG_SIG_ALL;
}

void hg_log_iter_sig_pcrs(struct hg_log_iter *it, uint32_t sig_pcrs)
{
	it->sig_pcrs = sig_pcrs;
}

void hg_log_iter_init_host(struct hg_log_iter *it, const uint8_t *buf,
			   size_t len)
{
	hg_log_iter_init(it, buf, len);
	it->sig_pcrs = 0;
}

int hg_log_iter_init_resume(struct hg_log_iter *it, const uint8_t *buf,
			    size_t len, uint64_t first, EVP_PKEY *key,
			    const struct hg_digests *banks)
{
	hg_log_iter_init(it, buf, len);
	if (first == 0 || first > LONG_MAX / 2 || !key || EVP_PKEY_up_ref(key) != 1) {
		it->failed = 1;
		snprintf(it->err.msg, sizeof(it->err.msg), "cannot resume the log");
		return -1;
	}
	it->first = first;
	it->key = key;
	it->banks = *banks;
	return 0;
}

void hg_log_iter_free(struct hg_log_iter *it)
{
	EVP_PKEY_free(it->key);
	it->key = NULL;
}

int hg_log_iter_next(struct hg_log_iter *it, struct hg_log_rec *rec)
{
	struct hg_log_err *err = &it->err;
	struct hg_cose_sign1 s;
	struct cr one;
	const char *why;
	size_t off = it->off, left = it->len - it->off;
	long idx = (long)(it->first + it->n);
	int st;

	if (it->failed)
		return -1;
	if (it->n == 0 && it->off == 0 && it->len > HG_LOG_MAX_SIZE)
		goto fail_big;
	if (left == 0)
		return 0;
	memset(rec, 0, sizeof(*rec));
	/* Bound one record before decoding it, so a record cannot claim the
	 * rest of a large log. */
	cr_init(&one, it->buf + off, left < HG_LOG_MAX_RECORD ? left : HG_LOG_MAX_RECORD);
	if (hg_cose_sign1_decode(&one, &s, &why) < 0) {
		/* Re-run the skip on all that is left to tell a torn tail. */
		struct cr probe;

		cr_init(&probe, it->buf + off, left);
		st = cr_skip(&probe);
		if (st == CR_ETRUNC || is_head_prefix(it->buf + off, left))
			fail(err, idx, off, 1, "truncated record");
		else if (st == CR_OK && probe.off > HG_LOG_MAX_RECORD)
			fail(err, idx, off, 0, "record larger than 64 KiB");
		else
			fail(err, idx, off, 0, why);
		goto failed;
	}
	rec->offset = off;
	rec->len = one.off;
	if (hg_cel_decode(s.payload, s.payload_len, &rec->cel, &why) < 0) {
		fail(err, idx, off, 0, why);
		goto failed;
	}
	if (rec->cel.recnum != (uint64_t)idx) {
		fail(err, idx, off, 0, "recnum out of sequence (record removed, reordered or inserted)");
		goto failed;
	}
	if (idx == 0) {
		if (rec->cel.type != HG_CT_LOG_KEY) {
			fail(err, idx, off, 0, "first record does not pin the log key");
			goto failed;
		}
		if (hg_cose_key_decode(rec->cel.key, rec->cel.key_len, &it->key,
				       &why) < 0) {
			fail(err, idx, off, 0, why);
			goto failed;
		}
		it->banks = rec->cel.digests;
	} else {
		if (rec->cel.type == HG_CT_LOG_KEY) {
			fail(err, idx, off, 0, "second log-key record");
			goto failed;
		}
		if (!same_banks(&rec->cel.digests, &it->banks)) {
			fail(err, idx, off, 0, "record uses other banks than record 0");
			goto failed;
		}
	}
	st = it->sig_pcrs & (1u << rec->cel.pcr) ? hg_cose_sign1_verify(it->key, &s) : 0;
	if (st < 0) {
		fail(err, idx, off, 0, st == -2 ? "out of memory" : "signature invalid");
		goto failed;
	}
	it->off += one.off;
	it->n++;
	return 1;
fail_big:
	fail(err, -1, 0, 0, "log larger than 64 MiB");
failed:
	it->failed = 1;
	return -1;
}

int hg_log_parse(const uint8_t *buf, size_t len, struct hg_log *log,
		 struct hg_log_err *err)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	size_t cap = 0;
	int r, ret = -1;

	memset(log, 0, sizeof(*log));
	hg_log_iter_init(&it, buf, len);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		if (log->n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct hg_log_rec *n = realloc(log->recs, ncap * sizeof(*n));

			if (!n) {
				fail(&it.err, (long)log->n, rec.offset, 0, "out of memory");
				goto out;
			}
			log->recs = n;
			cap = ncap;
		}
		log->recs[log->n++] = rec;
		log->good_len = it.off;
	}
	if (r < 0)
		goto out;
	if (log->n == 0) {
		fail(&it.err, -1, 0, 0, "empty log");
		goto out;
	}
	ret = 0;
out:
	*err = it.err;
	/* The key moves to the log; the iterator keeps nothing to free. */
	log->key = it.key;
	it.key = NULL;
	return ret;
}

void hg_log_free(struct hg_log *log)
{
	free(log->recs);
	EVP_PKEY_free(log->key);
	memset(log, 0, sizeof(*log));
}

int hg_replay_init(struct hg_replay *rp, const struct hg_digests *banks)
{
	memset(rp, 0, sizeof(*rp));
	if (banks->n == 0 || banks->n > HG_MAX_BANKS)
		return -1;
	rp->nbanks = banks->n;
	for (size_t b = 0; b < banks->n; b++) {
		rp->algs[b] = banks->v[b].alg;
		for (unsigned p = 0; p < HG_NUM_PCRS; p++)
			if (hg_pcr_reset(banks->v[b].alg, &rp->v[p][b]) < 0)
				return -1;
	}
	return 0;
}

int hg_replay_add(struct hg_replay *rp, const struct hg_cel_rec *rec)
{
	if (rec->pcr >= HG_NUM_PCRS)
		return -1;
	for (size_t b = 0; b < rp->nbanks; b++) {
		const struct hg_digest *d = hg_digests_get(&rec->digests, rp->algs[b]);

		if (!d || hg_extend(&rp->v[rec->pcr][b], d) < 0)
			return -1;
	}
	rp->touched |= 1u << rec->pcr;
	return 0;
}

const struct hg_digest *hg_replay_get(const struct hg_replay *rp, unsigned pcr,
				      uint16_t alg)
{
	if (pcr >= HG_NUM_PCRS)
		return NULL;
	for (size_t b = 0; b < rp->nbanks; b++)
		if (rp->algs[b] == alg)
			return &rp->v[pcr][b];
	return NULL;
}

int hg_log_replay(const struct hg_log *log, size_t upto, uint32_t pcr,
		  uint16_t alg, struct hg_digest *out)
{
	if (upto > log->n || hg_pcr_reset(alg, out) < 0)
		return -1;
	for (size_t i = 0; i < upto; i++) {
		const struct hg_digest *d;

		if (log->recs[i].cel.pcr != pcr)
			continue;
		d = hg_digests_get(&log->recs[i].cel.digests, alg);
		if (!d || hg_extend(out, d) < 0)
			return -1;
	}
	return 0;
}
