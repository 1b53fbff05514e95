/* test_uefilog.c: the UEFI firmware event log replay rules (lib/uefilog.h)
 * on hand-made logs (built with uefilog_fx.c), and the API around them.
 * The corpus of real logs is in test_uefilog_corpus.c, the bad-inputs
 * table in test_uefilog_bad.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/digest.h"
#include "../../lib/uefilog.h"
#include "uefilog_fx.h"

/* ---- replay rules on hand-made logs ---- */

static void want_pcr(const struct hg_uefi_replay *r, uint16_t alg, unsigned pcr,
		     const struct hg_digest *want)
{
	const struct hg_pcr_value *v = hg_uefi_replay_get(r, alg, pcr);

	assert_non_null(v);
	assert_int_equal(v->len, want->len);
	assert_memory_equal(v->d, want->d, want->len);
}

/* PCR (alg) from locality LOC, extended with the digests given. */
static void model(uint16_t alg, uint8_t loc, const struct hg_digest *ds, size_t n,
		  struct hg_digest *out)
{
	assert_int_equal(hg_pcr_reset(alg, out), 0);
	out->d[out->len - 1] = loc;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hg_extend(out, &ds[i]), 0);
}

static void filled(uint16_t alg, uint8_t b, struct hg_digest *d)
{
	assert_int_equal(hg_pcr_reset(alg, d), 0);
	memset(d->d, b, d->len);
}

static void locality_event(struct lb *l, uint32_t pcr, uint8_t loc, size_t len)
{
	uint8_t data[32] = "StartupLocality";

	data[16] = loc;
	agile_event(l, pcr, HG_EV_NO_ACTION, 0, data, (uint32_t)len);
}

static void test_replay_locality(void **state)
{
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_err err;
	struct hg_digest d[2], want;
	struct lb *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(r);
	assert_non_null(l);

	/* StartupLocality 3: PCR0 starts at 00..03, in every bank. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 3, 17);
	agile_event(l, 0, HG_EV_S_CRTM_VERSION, 0x11, "v", 1);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 3);
	assert_int_equal(r->nbanks, 2);
	assert_int_equal(r->algs[0], HG_ALG_SHA1);
	assert_int_equal(r->algs[1], HG_ALG_SHA256);
	assert_int_equal(r->pcrs.n, 48);
	assert_int_equal(r->touched, 1);
	filled(HG_ALG_SHA1, 0x11, &d[0]);
	model(HG_ALG_SHA1, 3, d, 1, &want);
	want_pcr(r, HG_ALG_SHA1, 0, &want);
	filled(HG_ALG_SHA256, 0x11, &d[0]);
	model(HG_ALG_SHA256, 3, d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 0, &want);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 0), 2);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 1), -1);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA384, 0), -1);
	/* An untouched PCR is zero, and PCR0 untouched still shows L. */
	model(HG_ALG_SHA1, 0, NULL, 0, &want);
	want_pcr(r, HG_ALG_SHA1, 7, &want);

	/* H-CRTM without StartupLocality: 4, even with the HCRTM event not
	 * first on PCR0. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 0, HG_EV_S_CRTM_VERSION, 0x11, "v", 1);
	agile_event(l, 0, HG_EV_EFI_HCRTM_EVENT, 0x22, "HCRTM", 5);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 4);
	filled(HG_ALG_SHA1, 0x11, &d[0]);
	filled(HG_ALG_SHA1, 0x22, &d[1]);
	model(HG_ALG_SHA1, 4, d, 2, &want);
	want_pcr(r, HG_ALG_SHA1, 0, &want);

	/* StartupLocality wins over H-CRTM (rule 3: "if there is no such
	 * event"). */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 0, 17);
	agile_event(l, 0, HG_EV_EFI_HCRTM_EVENT, 0x22, "HCRTM", 5);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 0);

	/* An HCRTM event on another PCR says nothing about PCR0. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 1, HG_EV_EFI_HCRTM_EVENT, 0x22, "HCRTM", 5);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 0);

	/* Refusals: a second StartupLocality, a bad locality, a bad size. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 3, 17);
	locality_event(l, 0, 3, 17);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
	assert_string_equal(err.msg, "second StartupLocality event");
	assert_int_equal(err.event, 2);
	assert_int_equal(err.offset, SPEC_END + 89);

	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 2, 17);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
	assert_string_equal(err.msg, "StartupLocality 2 is not 0, 3 or 4");
	assert_int_equal(err.event, 1);
	assert_int_equal(err.offset, SPEC_END);

	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 3, 18);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
	assert_string_equal(err.msg, "StartupLocality event is not 17 bytes");

	/* On another PCR index it is no StartupLocality (PFP: PCR0). */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0xFFFFFFFFu, 3, 17);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 0);

	assert_int_equal(hg_uefi_replay(l->b, l->n, 4, r, &err), -1);
	assert_string_equal(err.msg, "unknown replay flags");
	free(l);
	free(r);
}

static void test_replay_no_action(void **state)
{
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_err err;
	struct hg_digest d, want;
	struct lb *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(r);
	assert_non_null(l);
	/* EV_NO_ACTION is never extended, on PCR 0..23 or 0xFFFFFFFF; its
	 * digest is not looked at. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 0xFFFFFFFFu, HG_EV_NO_ACTION, 0x33, "SP800-155 Event3", 16);
	agile_event(l, 4, HG_EV_NO_ACTION, 0x33, "x", 1);
	agile_event(l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, 0x44, "app", 3);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->events, 4);
	assert_int_equal(r->touched, 1u << 4);
	filled(HG_ALG_SHA256, 0x44, &d);
	model(HG_ALG_SHA256, 0, &d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 4, &want);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 4), 3);

	/* SHA1 format: the first event is replayed like any other. */
	memset(l, 0, sizeof(*l));
	sha1_event(l, 0, HG_EV_S_CRTM_VERSION, 0x55, "v", 1);
	sha1_event(l, 0xFFFFFFFFu, HG_EV_NO_ACTION, 0x66, "w", 1);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->nbanks, 1);
	assert_int_equal(r->algs[0], HG_ALG_SHA1);
	assert_int_equal(r->pcrs.n, 24);
	filled(HG_ALG_SHA1, 0x55, &d);
	model(HG_ALG_SHA1, 0, &d, 1, &want);
	want_pcr(r, HG_ALG_SHA1, 0, &want);
	assert_null(hg_uefi_replay_get(r, HG_ALG_SHA256, 0));
	free(l);
	free(r);
}

/* Unknown algorithms are skipped by their declared size and make no bank. */
static void test_unknown_alg(void **state)
{
	static const uint16_t algs[] = { 0x0012, HG_ALG_SHA256, 0x7777 };
	static const uint16_t sizes[] = { 32, 32, 7 };
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	struct hg_uefi_err err;
	struct hg_digest d, want;
	struct lb *l = malloc(sizeof(*l)), b = { .n = 0 };

	(void)state;
	assert_non_null(r);
	assert_non_null(l);
	memset(l, 0, sizeof(*l));
	spec_body(&b, 3, algs, sizes, 3, 2, 2);
	spec_id_raw(l, &b);
	put32(l, 7);
	put32(l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG);
	put32(l, 3);
	put16(l, 0x7777);
	fill(l, 0x99, 7);
	put16(l, HG_ALG_SHA256);
	fill(l, 0x77, 32);
	put16(l, 0x0012);
	fill(l, 0x88, 32);
	put32(l, 2);
	put(l, "ok", 2);

	hg_uefi_iter_init(&it, l->b, l->n);
	assert_int_equal(hg_uefi_iter_next(&it, &ev), 1);
	assert_int_equal(it.crypto_agile, 1);
	assert_int_equal(it.nalgs, 3);
	assert_int_equal(it.algs[2], 0x7777);
	assert_int_equal(it.sizes[2], 7);
	assert_int_equal(it.spec_major, 2);
	assert_int_equal(it.uintn_size, 2);
	assert_int_equal(ev.digests.n, 1);                /* event 0: SHA1 */
	assert_int_equal(hg_uefi_iter_next(&it, &ev), 1);
	assert_int_equal(ev.pcr, 7);
	assert_int_equal(ev.digests.n, 1);
	assert_int_equal(ev.digests.v[0].alg, HG_ALG_SHA256);
	assert_int_equal(ev.digests.v[0].d[0], 0x77);
	assert_int_equal(ev.data_len, 2);
	assert_memory_equal(ev.data, "ok", 2);
	assert_int_equal(ev.offset + ev.size, l->n);
	assert_int_equal(hg_uefi_iter_next(&it, &ev), 0);

	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->nbanks, 1);
	assert_int_equal(r->algs[0], HG_ALG_SHA256);
	filled(HG_ALG_SHA256, 0x77, &d);
	model(HG_ALG_SHA256, 0, &d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 7, &want);
	free(l);
	free(r);
}

/* The EBS workaround: only on request, only when both events are absent,
 * in every bank, with the appended events' indices. */
static void test_ebs_workaround(void **state)
{
	static const char inv[] = "Exit Boot Services Invocation";
	static const char ok[] = "Exit Boot Services Returned with Success";
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_err err;
	struct hg_digest d[3], want;
	struct lb *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(r);
	assert_non_null(l);
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 5, HG_EV_EFI_GPT_EVENT, 0x12, "gpt", 3);

	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->ebs_appended, 0);
	filled(HG_ALG_SHA256, 0x12, &d[0]);
	model(HG_ALG_SHA256, 0, d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 5, &want);

	assert_int_equal(hg_uefi_replay(l->b, l->n, HG_UEFI_EBS_WORKAROUND, r, &err), 0);
	assert_int_equal(r->ebs_appended, 1);
	assert_int_equal(r->events, 2);
	for (int b = 0; b < 2; b++) {
		uint16_t alg = b ? HG_ALG_SHA256 : HG_ALG_SHA1;

		filled(alg, 0x12, &d[0]);
		assert_int_equal(hg_hash(alg, inv, strlen(inv), &d[1]), 0);
		assert_int_equal(hg_hash(alg, ok, strlen(ok), &d[2]), 0);
		model(alg, 0, d, 3, &want);
		want_pcr(r, alg, 5, &want);
		assert_int_equal(hg_uefi_replay_last(r, alg, 5), 3);
	}

	/* With the events logged, the flag changes nothing. */
	agile_event(l, 5, HG_EV_EFI_ACTION, 0x13, inv, (uint32_t)strlen(inv));
	agile_event(l, 5, HG_EV_EFI_ACTION, 0x14, ok, (uint32_t)strlen(ok));
	assert_int_equal(hg_uefi_replay(l->b, l->n, HG_UEFI_EBS_WORKAROUND, r, &err), 0);
	assert_int_equal(r->ebs_appended, 0);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA1, 5), 3);

	/* Nor with only a "Returned with Failure" logged. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 5, HG_EV_EFI_ACTION, 0x14,
		    "Exit Boot Services Returned with Failure", 40);
	assert_int_equal(hg_uefi_replay(l->b, l->n, HG_UEFI_EBS_WORKAROUND, r, &err), 0);
	assert_int_equal(r->ebs_appended, 0);
	free(l);
	free(r);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(hg_uefi_event_type_name(HG_EV_POST_CODE), "EV_POST_CODE");
	assert_string_equal(hg_uefi_event_type_name(HG_EV_NO_ACTION), "EV_NO_ACTION");
	assert_string_equal(hg_uefi_event_type_name(HG_EV_EFI_HCRTM_EVENT),
			    "EV_EFI_HCRTM_EVENT");
	assert_string_equal(hg_uefi_event_type_name(HG_EV_EFI_VARIABLE_AUTHORITY),
			    "EV_EFI_VARIABLE_AUTHORITY");
	assert_null(hg_uefi_event_type_name(0x13));
	assert_null(hg_uefi_event_type_name(0x8000000D));
	assert_null(hg_uefi_event_type_name(0xFFFFFFFF));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_locality),
		cmocka_unit_test(test_replay_no_action),
		cmocka_unit_test(test_unknown_alg),
		cmocka_unit_test(test_ebs_workaround),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
