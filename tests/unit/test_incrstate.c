/* test_incrstate.c: the incremental state's codec (verifier/incr.h,
 * incrstate.c). A state is the verifier's own storage, decoded as hostile
 * bytes all the same: every truncation, every single-byte change, the
 * wrong version, and one input per rule are refused (or, for a byte
 * change that still makes a valid state, decode to what re-encodes to the
 * very same bytes); a valid state round-trips exactly. Each input is
 * decoded from a heap copy of exactly its size, so ASan sees any read
 * past its end.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"
#include "../../lib/cose.h"
#include "../../lib/digest.h"
#include "../../verifier/incr.h"

#define SHA256 HG_ALG_SHA256
#define SHA1 HG_ALG_SHA1

/* The parts of a state, each of which a test may spoil. */
struct spec {
	uint64_t version;
	uint8_t ak_name[34];
	size_t ak_name_len;
	uint64_t reset, restart;
	size_t pol_len;
	uint64_t next;
	uint8_t key[256];
	size_t key_len;
	size_t nbanks;
	uint64_t banks[3];
	size_t npcrs;
	struct { uint64_t alg, pcr; size_t len; } pcrs[4];
	size_t nrecs;
	struct { uint64_t recnum; const uint8_t *c; size_t len; } recs[3];
	int extra_key;              /* a tenth key, 9 */
	int trailing;               /* a byte after the map */
};

static uint8_t rec_buf[3][512];
static size_t rec_len[3];
static struct hg_cel_rec rec_dec[3];

/* Three real CEL records: file hypervisor, file image, and a log key. */
static int setup(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct hg_digests file = { .n = 1 };
	struct cw w;
	uint16_t alg = SHA256;
	const char *why;

	assert_non_null(k);
	file.v[0].alg = SHA256;
	file.v[0].len = 32;
	memset(file.v[0].d, 0xab, 32);
	for (int i = 0; i < 3; i++) {
		uint8_t keyb[256];
		size_t kl;

		cw_init(&w);
		if (i == 2) {
			struct cw kw;

			cw_init(&kw);
			assert_int_equal(hg_cose_key_encode(k, &kw), 0);
			kl = kw.len;
			memcpy(keyb, kw.buf, kl);
			cw_free(&kw);
			assert_int_equal(hg_cel_encode_log_key(0, 13, &alg, 1, keyb, kl, &w), 0);
		} else {
			assert_int_equal(hg_cel_encode_file((uint64_t)i + 1, 13,
							    i ? HG_KIND_IMAGE : HG_KIND_HYPERVISOR,
							    i ? "/img" : "/usr/bin/qemu", 5, &file, &w), 0);
		}
		assert_true(w.len <= sizeof(rec_buf[i]));
		memcpy(rec_buf[i], w.buf, w.len);
		rec_len[i] = w.len;
		cw_free(&w);
		assert_int_equal(hg_cel_decode(rec_buf[i], rec_len[i], &rec_dec[i], &why), 0);
	}
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	EVP_PKEY_free(*state);
	return 0;
}

static void good(struct spec *s, EVP_PKEY *k)
{
	struct cw w;

	memset(s, 0, sizeof(*s));
	s->version = HV_INCR_STATE_VERSION;
	s->ak_name[0] = 0x00;
	s->ak_name[1] = 0x0b;
	memset(s->ak_name + 2, 0x5a, 32);
	s->ak_name_len = 34;
	s->reset = 7;
	s->restart = 1;
	s->pol_len = 32;
	s->next = 5;
	cw_init(&w);
	assert_int_equal(hg_cose_key_encode(k, &w), 0);
	memcpy(s->key, w.buf, w.len);
	s->key_len = w.len;
	cw_free(&w);
	s->nbanks = 2;
	s->banks[0] = SHA1;
	s->banks[1] = SHA256;
	s->npcrs = 2;
	s->pcrs[0].alg = SHA1;
	s->pcrs[0].pcr = 13;
	s->pcrs[0].len = 20;
	s->pcrs[1].alg = SHA256;
	s->pcrs[1].pcr = 13;
	s->pcrs[1].len = 32;
	s->nrecs = 2;
	for (int i = 0; i < 2; i++) {
		s->recs[i].recnum = (uint64_t)i + 1;
		s->recs[i].c = rec_dec[i].content;
		s->recs[i].len = rec_dec[i].content_len;
	}
}

static uint8_t *build(const struct spec *s, size_t *len)
{
	static const uint8_t zero[64];
	struct cw w;

	cw_init(&w);
	cw_map(&w, 9 + (s->extra_key ? 1 : 0));
	cw_uint(&w, 0);
	cw_uint(&w, s->version);
	cw_uint(&w, 1);
	cw_bytes(&w, s->ak_name, s->ak_name_len);
	cw_uint(&w, 2);
	cw_array(&w, 2);
	cw_uint(&w, s->reset);
	cw_uint(&w, s->restart);
	cw_uint(&w, 3);
	cw_bytes(&w, zero, s->pol_len);
	cw_uint(&w, 4);
	cw_uint(&w, s->next);
	cw_uint(&w, 5);
	cw_bytes(&w, s->key, s->key_len);
	cw_uint(&w, 6);
	cw_array(&w, s->nbanks);
	for (size_t i = 0; i < s->nbanks; i++)
		cw_uint(&w, s->banks[i]);
	cw_uint(&w, 7);
	cw_array(&w, s->npcrs);
	for (size_t i = 0; i < s->npcrs; i++) {
		cw_array(&w, 3);
		cw_uint(&w, s->pcrs[i].alg);
		cw_uint(&w, s->pcrs[i].pcr);
		cw_bytes(&w, zero, s->pcrs[i].len);
	}
	cw_uint(&w, 8);
	cw_array(&w, s->nrecs);
	for (size_t i = 0; i < s->nrecs; i++) {
		cw_array(&w, 2);
		cw_uint(&w, s->recs[i].recnum);
		cw_bytes(&w, s->recs[i].c, s->recs[i].len);
	}
	if (s->extra_key) {
		cw_uint(&w, 9);
		cw_uint(&w, 0);
	}
	if (s->trailing)
		cw_uint(&w, 0);
	assert_int_equal(w.err, 0);
	return cw_take(&w, len);
}

/* Decode from an exact heap copy; returns the decoder's result. */
static int dec(const uint8_t *p, size_t len, struct hv_incr_state *st, const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, p, len);
	r = hv_incr_state_decode(copy, len, st, why);
	free(copy);
	return r;
}

static void expect_bad(const struct spec *s, const char *want)
{
	struct hv_incr_state st;
	const char *why = NULL;
	size_t len;
	uint8_t *b = build(s, &len);

	assert_int_equal(dec(b, len, &st, &why), -1);
	assert_non_null(why);
	if (!strstr(why, want))
		fail_msg("why \"%s\", want \"%s\"", why, want);
	hv_incr_state_free(&st);
	free(b);
}

static void test_roundtrip(void **state)
{
	struct spec s;
	struct hv_incr_state st;
	const char *why = "";
	uint8_t *b, *again = NULL;
	size_t len, alen = 0;

	good(&s, *state);
	b = build(&s, &len);
	if (dec(b, len, &st, &why) < 0)
		fail_msg("a valid state was refused: %s", why);
	assert_int_equal(st.next, 5);
	assert_int_equal(st.boot.reset_count, 7);
	assert_int_equal(st.boot.restart_count, 1);
	assert_int_equal(st.nbanks, 2);
	assert_int_equal(st.pcrs.n, 2);
	assert_int_equal(st.nrecs, 2);
	assert_int_equal(st.recs[1].recnum, 2);
	assert_non_null(st.key);
	assert_int_equal(hv_incr_state_encode(&st, &again, &alen), 0);
	assert_int_equal(alen, len);
	assert_memory_equal(again, b, len);
	hv_incr_state_free(&st);
	free(again);
	free(b);
}

static void test_truncations(void **state)
{
	struct spec s;
	struct hv_incr_state st;
	const char *why;
	size_t len;
	uint8_t *b;

	good(&s, *state);
	b = build(&s, &len);
	for (size_t n = 0; n < len; n++) {
		if (dec(b, n, &st, &why) != -1)
			fail_msg("a state cut to %zu of %zu bytes was accepted", n, len);
	}
	free(b);
}

/* Every single-byte change is refused, or is a valid state that encodes
 * back to exactly the changed bytes (nothing lost, nothing invented). */
static void test_every_byte(void **state)
{
	struct spec s;
	struct hv_incr_state st;
	const char *why;
	size_t len;
	uint8_t *b;

	good(&s, *state);
	b = build(&s, &len);
	for (size_t i = 0; i < len; i++) {
		static const uint8_t x[] = { 0x01, 0x80, 0xff, 0x20 };

		for (size_t k = 0; k < sizeof(x); k++) {
			uint8_t *again = NULL;
			size_t alen = 0;

			b[i] ^= x[k];
			if (dec(b, len, &st, &why) == 0) {
				assert_int_equal(hv_incr_state_encode(&st, &again, &alen), 0);
				assert_int_equal(alen, len);
				assert_memory_equal(again, b, len);
				free(again);
				hv_incr_state_free(&st);
			}
			b[i] ^= x[k];
		}
	}
	free(b);
}

static void test_rules(void **state)
{
	struct spec s;

	good(&s, *state); s.version = 2; expect_bad(&s, "unsupported state version");
	good(&s, *state); s.version = 0; expect_bad(&s, "unsupported state version");
	good(&s, *state); s.trailing = 1; expect_bad(&s, "trailing bytes");
	good(&s, *state); s.extra_key = 1; expect_bad(&s, "not a state map of 9 entries");
	good(&s, *state); s.ak_name_len = 20; expect_bad(&s, "ak_name");
	good(&s, *state); s.ak_name[1] = 0x99; expect_bad(&s, "ak_name");
	good(&s, *state); s.reset = 1ull << 32; expect_bad(&s, "boot");
	good(&s, *state); s.pol_len = 31; expect_bad(&s, "policy_sha256");
	good(&s, *state); s.next = 0; expect_bad(&s, "next");
	good(&s, *state); s.next = 1ull << 32; expect_bad(&s, "next");
	good(&s, *state); s.key_len = 10; expect_bad(&s, "log_key");
	good(&s, *state); s.nbanks = 0; s.npcrs = 0; expect_bad(&s, "banks");
	good(&s, *state); s.banks[1] = SHA1; expect_bad(&s, "banks");
	good(&s, *state); s.banks[1] = 0x0099; expect_bad(&s, "banks");
	/* a PCR with a value in one bank only */
	good(&s, *state); s.npcrs = 1; expect_bad(&s, "lacks a value");
	good(&s, *state); s.pcrs[1].alg = SHA1; s.pcrs[1].len = 20; expect_bad(&s, "twice");
	good(&s, *state); s.pcrs[1].len = 20; expect_bad(&s, "wrong length");
	good(&s, *state); s.pcrs[1].pcr = 24; expect_bad(&s, "pcrs");
	good(&s, *state); s.npcrs = 0; expect_bad(&s, "pcrs");
	/* records: order, range, content */
	good(&s, *state); s.recs[1].recnum = 1; expect_bad(&s, "ascending");
	good(&s, *state); s.recs[1].recnum = 5; expect_bad(&s, "ascending");
	good(&s, *state); s.recs[0].recnum = 0; expect_bad(&s, "ascending");
	good(&s, *state); s.recs[1].len -= 1; expect_bad(&s, "does not decode");
	good(&s, *state);
	s.recs[1].c = rec_dec[2].content;
	s.recs[1].len = rec_dec[2].content_len;
	expect_bad(&s, "log-key record");
}

/* A count the input cannot hold is refused before anything is allocated
 * for it. */
static void test_huge_counts(void **state)
{
	struct spec s;
	struct hv_incr_state st;
	const char *why = NULL;
	uint8_t *b, *big;
	size_t len;

	good(&s, *state);
	s.nrecs = 0;
	b = build(&s, &len);
	/* The last byte is the empty records array (0x80): make it claim
	 * 2^32 - 1 entries, then 100,000 (within the cap, not the input). */
	assert_int_equal(b[len - 1], 0x80);
	big = malloc(len + 4);
	assert_non_null(big);
	memcpy(big, b, len - 1);
	big[len - 1] = 0x9a;
	memset(big + len, 0xff, 4);
	assert_int_equal(dec(big, len + 4, &st, &why), -1);
	big[len - 1] = 0x9a;
	big[len] = 0x00; big[len + 1] = 0x01; big[len + 2] = 0x86; big[len + 3] = 0xa0;
	assert_int_equal(dec(big, len + 4, &st, &why), -1);
	assert_non_null(strstr(why, "records: "));
	free(big);
	free(b);
	assert_int_equal(dec((const uint8_t *)"", 0, &st, &why), -1);
	assert_string_equal(why, "empty state");
}

static void test_encode_refuses(void **state)
{
	struct spec s;
	struct hv_incr_state st;
	const char *why;
	uint8_t *b, *out = NULL;
	size_t len, olen;

	good(&s, *state);
	b = build(&s, &len);
	assert_int_equal(dec(b, len, &st, &why), 0);
	st.next = 2;    /* record 2 is kept: not below next */
	assert_int_equal(hv_incr_state_encode(&st, &out, &olen), -1);
	st.next = 5;
	st.pcrs.n = 1;  /* one bank's value missing */
	assert_int_equal(hv_incr_state_encode(&st, &out, &olen), -1);
	assert_null(out);
	hv_incr_state_free(&st);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_huge_counts),
		cmocka_unit_test(test_encode_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
