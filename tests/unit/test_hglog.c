/* test_hglog.c: the event-log decoder (lib/hglog.h).
 *
 * A valid log is built (hglog_fx.c: log-key record 0, then file records,
 * each a COSE_Sign1 by a test key); the bad-inputs table mutates it and
 * pins, as libcbor's bad_inputs_test.c does, the exact outcome: return
 * value, the record named, err.truncated, err.offset and err.msg.
 * Allocation failures are injected in test_hglog_alloc.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"
#include "../../lib/cose.h"
#include "../../lib/digest.h"
#include "../../lib/hglog.h"

#include "hglog_fx.h"

/* ---- the valid log ---- */

/* PCR replay with OpenSSL alone: pcr = H(pcr || H(content)). */
static void evp_replay(const struct hg_log *log, size_t upto, uint32_t pcr,
		       const EVP_MD *md, uint8_t *out, unsigned *outlen)
{
	unsigned n = (unsigned)EVP_MD_get_size(md);
	uint8_t buf[2 * HG_MAX_DIGEST];

	memset(out, 0, n);
	for (size_t i = 0; i < upto; i++) {
		unsigned dl = 0;

		if (log->recs[i].cel.pcr != pcr)
			continue;
		memcpy(buf, out, n);
		assert_int_equal(EVP_Digest(log->recs[i].cel.content,
					    log->recs[i].cel.content_len,
					    buf + n, &dl, md, NULL), 1);
		assert_int_equal(dl, n);
		assert_int_equal(EVP_Digest(buf, 2 * n, out, &dl, md, NULL), 1);
	}
	*outlen = n;
}

static void test_valid_log(void **state)
{
	struct fx *f = *state;
	struct hg_log log;
	struct hg_log_err err;

	assert_int_equal(hg_log_parse(f->log.p, f->log.len, &log, &err), 0);
	assert_int_equal(log.n, NREC);
	assert_int_equal(log.good_len, f->log.len);
	assert_non_null(log.key);
	assert_int_equal(EVP_PKEY_eq(log.key, f->key), 1);
	assert_int_equal(log.recs[0].cel.type, HG_CT_LOG_KEY);
	for (size_t i = 0; i < NREC; i++) {
		const struct hg_log_rec *r = &log.recs[i];

		assert_int_equal(r->offset, f->off[i]);
		assert_int_equal(r->len, f->rec[i].len);
		assert_int_equal(r->cel.recnum, i);
		assert_int_equal(r->cel.pcr, fx_files[i].pcr);
		/* records borrow the input buffer */
		assert_true(r->cel.content > f->log.p &&
			    r->cel.content + r->cel.content_len <= f->log.p + f->log.len);
		if (i) {
			assert_int_equal(r->cel.type, HG_CT_FILE);
			assert_int_equal(r->cel.kind, fx_files[i].kind);
			assert_int_equal(r->cel.name_len, strlen(fx_files[i].name));
			assert_memory_equal(r->cel.name, fx_files[i].name, r->cel.name_len);
		}
	}
	hg_log_free(&log);
	assert_null(log.recs);
	assert_null(log.key);
	assert_int_equal(log.n, 0);
	hg_log_free(&log); /* a zeroed log is fine */
}

static void test_replay(void **state)
{
	struct fx *f = *state;
	static const struct { uint16_t alg; const char *md; } algs[] = {
		{ HG_ALG_SHA256, "SHA256" }, { HG_ALG_SHA1, "SHA1" },
	};
	struct hg_log log;
	struct hg_log_err err;

	assert_int_equal(hg_log_parse(f->log.p, f->log.len, &log, &err), 0);
	for (size_t a = 0; a < 2; a++) {
		const EVP_MD *md = EVP_get_digestbyname(algs[a].md);
		static const uint32_t pcrs[] = { PCR, PCR_OTHER, 0 };

		assert_non_null(md);
		for (size_t p = 0; p < 3; p++) {
			for (size_t upto = 0; upto <= NREC; upto++) {
				struct hg_digest got;
				uint8_t want[HG_MAX_DIGEST];
				unsigned wlen;

				evp_replay(&log, upto, pcrs[p], md, want, &wlen);
				assert_int_equal(hg_log_replay(&log, upto, pcrs[p],
							       algs[a].alg, &got), 0);
				assert_int_equal(got.alg, algs[a].alg);
				assert_int_equal(got.len, wlen);
				assert_memory_equal(got.d, want, wlen);
			}
		}
	}
	/* The full sha256 replay of PCR 13 is not the zero PCR, and differs
	 * from PCR 14's: the skip is real. */
	{
		struct hg_digest a, b, z;

		assert_int_equal(hg_log_replay(&log, NREC, PCR, HG_ALG_SHA256, &a), 0);
		assert_int_equal(hg_log_replay(&log, NREC, PCR_OTHER, HG_ALG_SHA256, &b), 0);
		assert_int_equal(hg_pcr_reset(HG_ALG_SHA256, &z), 0);
		assert_memory_not_equal(a.d, z.d, 32);
		assert_memory_not_equal(a.d, b.d, 32);
	}
	{
		struct hg_digest d;

		assert_int_equal(hg_log_replay(&log, NREC + 1, PCR, HG_ALG_SHA256, &d), -1);
		/* a bank the log does not carry */
		assert_int_equal(hg_log_replay(&log, NREC, PCR, HG_ALG_SHA384, &d), -1);
	}
	hg_log_free(&log);
}

/* ---- the bad-inputs table ---- */

struct built {
	struct blob b;
	size_t off;          /* expected err.offset */
};

/* Parts of the standard log, with part I replaced by REPL (if any). */
static struct built with(const struct fx *f, size_t i, struct blob repl)
{
	struct blob parts[NREC];
	struct built r;

	for (size_t k = 0; k < NREC; k++)
		parts[k] = f->rec[k];
	parts[i] = repl;
	r.b = fx_join(parts, NREC);
	r.off = 0;
	for (size_t k = 0; k < i; k++)
		r.off += parts[k].len;
	free(repl.p);
	return r;
}

static struct built b_empty(const struct fx *f)
{
	(void)f;
	return (struct built){ fx_dup_blob("", 0), 0 };
}

static struct built b_nine_a(const struct fx *f)
{
	uint8_t in[18];

	(void)f;
	memset(in, 0x9a, sizeof(in));
	return (struct built){ fx_dup_blob(in, sizeof(in)), 0 };
}

static struct built trailing(const struct fx *f, uint8_t byte)
{
	struct built r;

	r.b = fx_dup_blob(f->log.p, f->log.len + 1);
	memcpy(r.b.p, f->log.p, f->log.len);
	r.b.p[f->log.len] = byte;
	r.off = f->log.len;
	return r;
}

static struct built b_trail_00(const struct fx *f) { return trailing(f, 0x00); }
static struct built b_trail_ff(const struct fx *f) { return trailing(f, 0xff); }
static struct built b_trail_d2(const struct fx *f) { return trailing(f, 0xd2); }

static struct built b_removed(const struct fx *f)
{
	struct blob parts[NREC - 1] = { f->rec[0], f->rec[1], f->rec[3], f->rec[4] };

	return (struct built){ fx_join(parts, NREC - 1), f->off[2] };
}

static struct built b_swapped(const struct fx *f)
{
	struct blob parts[NREC] = { f->rec[0], f->rec[2], f->rec[1], f->rec[3], f->rec[4] };

	return (struct built){ fx_join(parts, NREC), f->off[1] };
}

static struct built b_duplicated(const struct fx *f)
{
	struct blob parts[NREC + 1] = { f->rec[0], f->rec[1], f->rec[1], f->rec[2],
					f->rec[3], f->rec[4] };

	return (struct built){ fx_join(parts, NREC + 1), f->off[2] };
}

static struct built b_resigned(const struct fx *f)
{
	return with(f, 3, fx_std_record(f->key, f->other, 3, 3));
}

static struct built b_other_log_key(const struct fx *f)
{
	struct built r = with(f, 0, fx_std_record(f->other, f->other, 0, 0));

	/* record 0 passes (self-signed by other); record 1 is by key */
	r.off = r.b.len - (f->log.len - f->off[1]);
	return r;
}

static struct built b_key0_not_possessed(const struct fx *f)
{
	/* pins key, but signed by other: no proof of possession */
	return with(f, 0, fx_std_record(f->key, f->other, 0, 0));
}

static struct built b_first_is_file(const struct fx *f)
{
	struct blob p = fx_file_payload(0, PCR, HG_KIND_IMAGE, "/img", fx_banks, 2);
	struct blob s = fx_sign(f->key, &p);

	free(p.p);
	return with(f, 0, s);
}

static struct built b_second_log_key(const struct fx *f)
{
	return with(f, 2, fx_std_record(f->key, f->key, 0, 2));
}

static struct built b_other_banks(const struct fx *f)
{
	static const uint16_t sha256_only[] = { HG_ALG_SHA256 };
	struct blob p = fx_file_payload(2, PCR, HG_KIND_FIRMWARE, "/fw", sha256_only, 1);
	struct blob s = fx_sign(f->key, &p);

	free(p.p);
	return with(f, 2, s);
}

static struct built b_more_banks(const struct fx *f)
{
	static const uint16_t three[] = { HG_ALG_SHA1, HG_ALG_SHA256, HG_ALG_SHA384 };
	struct blob p = fx_file_payload(2, PCR, HG_KIND_FIRMWARE, "/fw", three, 3);
	struct blob s = fx_sign(f->key, &p);

	free(p.p);
	return with(f, 2, s);
}

static struct built b_huge_record(const struct fx *f)
{
	struct blob p = { calloc(1, HG_LOG_MAX_RECORD + 100), HG_LOG_MAX_RECORD + 100 };
	struct blob s;

	assert_non_null(p.p);
	s = fx_sign(f->key, &p);
	free(p.p);
	return with(f, 1, s);
}

static struct built b_not_cel(const struct fx *f)
{
	struct blob p = fx_dup_blob("\xa0", 1);
	struct blob s = fx_sign(f->key, &p);

	free(p.p);
	return with(f, 4, s);
}

static struct built b_bad_point(const struct fx *f)
{
	/* a log-key record whose COSE_Key has x = y = 1 */
	uint8_t one[32] = { 0 };
	struct cw kw, w;
	struct blob k, p, s;

	one[31] = 1;
	cw_init(&kw);
	cw_map(&kw, 4);
	cw_int(&kw, 1);
	cw_int(&kw, 2);
	cw_int(&kw, -1);
	cw_int(&kw, 1);
	cw_int(&kw, -2);
	cw_bytes(&kw, one, 32);
	cw_int(&kw, -3);
	cw_bytes(&kw, one, 32);
	k = fx_take(&kw);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_log_key(0, PCR, fx_banks, 2, k.p, k.len, &w), 0);
	p = fx_take(&w);
	s = fx_sign(f->key, &p);
	free(k.p);
	free(p.p);
	return with(f, 0, s);
}

static struct built b_too_large(const struct fx *f)
{
	struct blob b = { calloc(1, HG_LOG_MAX_SIZE + 1), HG_LOG_MAX_SIZE + 1 };

	(void)f;
	assert_non_null(b.p);
	return (struct built){ b, 0 };
}

#define SEQ "recnum out of sequence (record removed, reordered or inserted)"

static const struct row {
	const char *what;
	struct built (*build)(const struct fx *);
	long record;
	int truncated;
	const char *msg;
} rows[] = {
	{ "empty input", b_empty, -1, 0, "empty log" },
	{ "18 bytes of 0x9a", b_nine_a, 0, 0, "CBOR length exceeds input" },
	{ "trailing 0x00", b_trail_00, NREC, 0, "not a tagged COSE_Sign1" },
	{ "trailing 0xff", b_trail_ff, NREC, 0, "indefinite-length CBOR" },
	{ "trailing lone tag 0xd2", b_trail_d2, NREC, 1, "truncated record" },
	{ "record 2 removed", b_removed, 2, 0, SEQ },
	{ "records 1 and 2 swapped", b_swapped, 1, 0, SEQ },
	{ "record 1 duplicated", b_duplicated, 2, 0, SEQ },
	{ "record 3 signed by another key", b_resigned, 3, 0, "signature invalid" },
	{ "record 0 pins another key", b_other_log_key, 1, 0, "signature invalid" },
	{ "record 0 not signed by its key", b_key0_not_possessed, 0, 0, "signature invalid" },
	{ "first record is a file record", b_first_is_file, 0, 0,
	  "first record does not pin the log key" },
	{ "second log-key record", b_second_log_key, 2, 0, "second log-key record" },
	{ "record with fewer banks", b_other_banks, 2, 0,
	  "record uses other banks than record 0" },
	{ "record with more banks", b_more_banks, 2, 0,
	  "record uses other banks than record 0" },
	{ "record larger than 64 KiB", b_huge_record, 1, 0, "record larger than 64 KiB" },
	{ "payload not a CEL record", b_not_cel, 4, 0,
	  "record is not a map of recnum, pcr, digests, content" },
	{ "log key not on P-256", b_bad_point, 0, 0, "COSE_Key point is not on P-256" },
	{ "log larger than 64 MiB", b_too_large, -1, 0, "log larger than 64 MiB" },
};

static void test_bad_inputs(void **state)
{
	struct fx *f = *state;
	int bad = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct built b = w->build(f);
		struct hg_log log;
		struct hg_log_err err;
		int ret = hg_log_parse(b.b.p, b.b.len, &log, &err);

		if (ret != -1 || err.record != w->record ||
		    err.truncated != w->truncated || strcmp(err.msg, w->msg) ||
		    err.offset != b.off) {
			print_error("row \"%s\": ret %d record %ld truncated %d offset %zu "
				    "msg \"%s\"; want -1 %ld %d %zu \"%s\"\n", w->what,
				    ret, err.record, err.truncated, err.offset, err.msg,
				    w->record, w->truncated, b.off, w->msg);
			bad++;
		}
		/* What was parsed before the failure is consistent. */
		if (w->record >= 0 && (log.n != (size_t)w->record ||
				       log.good_len != err.offset)) {
			print_error("row \"%s\": n %zu good_len %zu\n", w->what, log.n,
				    log.good_len);
			bad++;
		}
		hg_log_free(&log);
		free(b.b.p);
	}
	assert_int_equal(bad, 0);
}

/* ---- truncation ---- */

/* Cut inside the last record, at every byte: always a torn tail, at the
 * last record's offset (the host drops exactly that tail). */
static void test_truncated_every_offset(void **state)
{
	struct fx *f = *state;
	size_t last = f->off[NREC - 1];
	int bad = 0;

	for (size_t cut = last + 1; cut < f->log.len; cut++) {
		struct hg_log log;
		struct hg_log_err err;
		int ret = hg_log_parse(f->log.p, cut, &log, &err);

		if (ret != -1 || err.record != NREC - 1 || err.truncated != 1 ||
		    err.offset != last || strcmp(err.msg, "truncated record") ||
		    log.n != NREC - 1 || log.good_len != last) {
			print_error("cut at %zu (byte %zu of the last record): ret %d "
				    "record %ld truncated %d offset %zu msg \"%s\"\n",
				    cut, cut - last, ret, err.record, err.truncated,
				    err.offset, err.msg);
			bad++;
		}
		hg_log_free(&log);
	}
	assert_int_equal(bad, 0);
}

/* Cut inside each earlier record too: the same torn-tail report. */
static void test_truncated_every_record(void **state)
{
	struct fx *f = *state;
	int bad = 0;

	for (size_t i = 0; i < NREC; i++) {
		for (size_t cut = f->off[i] + 1; cut < f->off[i + 1]; cut++) {
			struct hg_log log;
			struct hg_log_err err;
			int ret = hg_log_parse(f->log.p, cut, &log, &err);

			if (ret != -1 || err.record != (long)i || err.truncated != 1 ||
			    err.offset != f->off[i] || strcmp(err.msg, "truncated record")) {
				if (bad < 20)
					print_error("record %zu cut after %zu bytes: record %ld "
						    "truncated %d msg \"%s\"\n", i,
						    cut - f->off[i], err.record,
						    err.truncated, err.msg);
				bad++;
			}
			hg_log_free(&log);
		}
	}
	assert_int_equal(bad, 0);
}

/* Cut exactly between records: a shorter, valid log. */
static void test_truncated_at_boundaries(void **state)
{
	struct fx *f = *state;

	for (size_t i = 1; i <= NREC; i++) {
		struct hg_log log;
		struct hg_log_err err;

		assert_int_equal(hg_log_parse(f->log.p, f->off[i], &log, &err), 0);
		assert_int_equal(log.n, i);
		assert_int_equal(log.good_len, f->off[i]);
		hg_log_free(&log);
	}
}

/* ---- every single-byte change ---- */

/* hg_log_iter_sig_pcrs(): record 3 (on PCR_OTHER) signed by another
 * key. Every rule but that signature holds, so an iterator that checks
 * no signature (the verifier's first pass) reads all records; one that
 * checks PCR_OTHER's (its second pass, when that PCR is not bound) or
 * all (the default, show --log) stops at record 3; one that checks only
 * PCR's reads all. */
static int iter_count(const struct blob *log, int set, uint32_t mask, long *bad)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	int r, n = 0;

	hg_log_iter_init(&it, log->p, log->len);
	if (set)
		hg_log_iter_sig_pcrs(&it, mask);
	while ((r = hg_log_iter_next(&it, &rec)) == 1)
		n++;
	*bad = r < 0 ? it.err.record : -1;
	if (r < 0)
		assert_string_equal(it.err.msg, "signature invalid");
	hg_log_iter_free(&it);
	return n;
}

static void test_sig_pcrs(void **state)
{
	struct fx *f = *state;
	struct blob parts[NREC], log;
	long bad;

	for (size_t i = 0; i < NREC; i++)
		parts[i] = fx_std_record(f->key, i == 3 ? f->other : f->key, i, i);
	log = fx_join(parts, NREC);
	assert_int_equal(fx_files[3].pcr, PCR_OTHER);
	assert_int_equal(iter_count(&log, 1, 0, &bad), NREC);
	assert_int_equal(bad, -1);
	assert_int_equal(iter_count(&log, 1, 1u << PCR, &bad), NREC);
	assert_int_equal(bad, -1);
	assert_int_equal(iter_count(&log, 1, 1u << PCR_OTHER, &bad), 3);
	assert_int_equal(bad, 3);
	assert_int_equal(iter_count(&log, 0, 0, &bad), 3);
	assert_int_equal(bad, 3);
	assert_int_equal(iter_count(&log, 1, HG_LOG_SIG_ALL, &bad), 3);
	assert_int_equal(bad, 3);
	for (size_t i = 0; i < NREC; i++)
		free(parts[i].p);
	free(log.p);
}

static void test_every_byte_flip(void **state)
{
	struct fx *f = *state;
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	uint8_t *m = malloc(f->log.len);
	int accepted = 0;

	assert_non_null(m);
	memcpy(m, f->log.p, f->log.len);
	for (size_t k = 0; k < sizeof(masks); k++) {
		for (size_t i = 0; i < f->log.len; i++) {
			struct hg_log log;
			struct hg_log_err err;
			int ret;

			m[i] ^= masks[k];
			ret = hg_log_parse(m, f->log.len, &log, &err);
			if (ret != -1) {
				print_error("flip 0x%02x at %zu accepted\n", masks[k], i);
				accepted++;
			}
			hg_log_free(&log);
			m[i] ^= masks[k];
		}
	}
	free(m);
	assert_int_equal(accepted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_log),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_truncated_every_record),
		cmocka_unit_test(test_truncated_at_boundaries),
		cmocka_unit_test(test_every_byte_flip),
		cmocka_unit_test(test_sig_pcrs),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
