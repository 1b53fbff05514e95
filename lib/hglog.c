/* hglog.c: see hglog.h. */
#include "hglog.h"

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

int hg_log_parse(const uint8_t *buf, size_t len, struct hg_log *log,
		 struct hg_log_err *err)
{
	struct cr r;
	size_t cap = 0;
	int ret = -1;

	memset(log, 0, sizeof(*log));
	memset(err, 0, sizeof(*err));
	err->record = -1;
	if (len > HG_LOG_MAX_SIZE)
		return fail(err, -1, 0, 0, "log larger than 64 MiB");
	cr_init(&r, buf, len);
	while (cr_left(&r) > 0) {
		struct hg_log_rec *rec;
		struct hg_cose_sign1 s;
		struct cr one;
		const char *why;
		size_t off = r.off;
		long idx = (long)log->n;
		int st;

		/* Bound one record before decoding it, so a record cannot
		 * claim the rest of a large log. */
		cr_init(&one, buf + off,
			cr_left(&r) < HG_LOG_MAX_RECORD ? cr_left(&r)
							: HG_LOG_MAX_RECORD);
		if (hg_cose_sign1_decode(&one, &s, &why) < 0) {
			/* Re-run the skip to tell a torn tail apart. */
			struct cr probe;

			cr_init(&probe, buf + off, cr_left(&r));
			st = cr_skip(&probe);
			if (st == CR_ETRUNC || is_head_prefix(buf + off, cr_left(&r)))
				fail(err, idx, off, 1, "truncated record");
			else if (st == CR_OK && probe.off > HG_LOG_MAX_RECORD)
				fail(err, idx, off, 0, "record larger than 64 KiB");
			else
				fail(err, idx, off, 0, why);
			goto out;
		}
		if (log->n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct hg_log_rec *n = realloc(log->recs,
						       ncap * sizeof(*n));

			if (!n) {
				fail(err, idx, off, 0, "out of memory");
				goto out;
			}
			log->recs = n;
			cap = ncap;
		}
		rec = &log->recs[log->n];
		memset(rec, 0, sizeof(*rec));
		rec->offset = off;
		rec->len = one.off;
		if (hg_cel_decode(s.payload, s.payload_len, &rec->cel, &why) < 0) {
			fail(err, idx, off, 0, why);
			goto out;
		}
		if (rec->cel.recnum != (uint64_t)idx) {
			fail(err, idx, off, 0, "recnum out of sequence (record removed, reordered or inserted)");
			goto out;
		}
		if (idx == 0) {
			if (rec->cel.type != HG_CT_LOG_KEY) {
				fail(err, idx, off, 0, "first record does not pin the log key");
				goto out;
			}
			if (hg_cose_key_decode(rec->cel.key, rec->cel.key_len,
					       &log->key, &why) < 0) {
				fail(err, idx, off, 0, why);
				goto out;
			}
		} else {
			if (rec->cel.type == HG_CT_LOG_KEY) {
				fail(err, idx, off, 0, "second log-key record");
				goto out;
			}
			if (!same_banks(&rec->cel.digests,
					&log->recs[0].cel.digests)) {
				fail(err, idx, off, 0, "record uses other banks than record 0");
				goto out;
			}
		}
		st = hg_cose_sign1_verify(log->key, &s);
		if (st < 0) {
			fail(err, idx, off, 0, st == -2 ? "out of memory"
							: "signature invalid");
			goto out;
		}
		r.off += one.off;
		log->n++;
		log->good_len = r.off;
	}
	if (log->n == 0) {
		fail(err, -1, 0, 0, "empty log");
		goto out;
	}
	ret = 0;
out:
	return ret;
}

void hg_log_free(struct hg_log *log)
{
	free(log->recs);
	EVP_PKEY_free(log->key);
	memset(log, 0, sizeof(*log));
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
