/* test_hglog_alloc.c: allocation-failure injection into the event-log
 * decoder (lib/hglog.h), on the log hglog_fx.c builds.
 *
 * This binary is linked with -Wl,--wrap=realloc (see the Makefile) so
 * that every realloc hg_log_parse() makes can be counted and failed.
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

/* ---- realloc fault injection ---- */

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

#define RL_MAX_LOG 4096
static struct {
	int armed;           /* count and maybe fail only while armed */
	long calls;
	long fail_at;        /* 1-based call to fail; 0: none */
	size_t bytes;        /* total bytes requested */
	size_t sizes[RL_MAX_LOG];
} rl;

void *__wrap_realloc(void *p, size_t n)
{
	if (rl.armed) {
		if (rl.calls < RL_MAX_LOG)
			rl.sizes[rl.calls] = n;
		rl.calls++;
		rl.bytes += n;
		if (rl.fail_at && rl.calls == rl.fail_at)
			return NULL;
	}
	return __real_realloc(p, n);
}

static void rl_arm(long fail_at)
{
	memset(&rl, 0, sizeof(rl));
	rl.armed = 1;
	rl.fail_at = fail_at;
}

static void rl_disarm(void)
{
	rl.armed = 0;
}


/* ---- allocation ---- */

static void test_alloc_failure_every_call(void **state)
{
	struct fx *f = *state;
	struct hg_log log;
	struct hg_log_err err;
	long calls;
	int bad = 0;

	/* Count the reallocs of one good parse. */
	rl_arm(0);
	assert_int_equal(hg_log_parse(f->log.p, f->log.len, &log, &err), 0);
	rl_disarm();
	calls = rl.calls;
	hg_log_free(&log);
	assert_true(calls >= 1);

	for (long n = 1; n <= calls; n++) {
		size_t sz;
		int ret;

		rl_arm(n);
		ret = hg_log_parse(f->log.p, f->log.len, &log, &err);
		rl_disarm();
		sz = n <= RL_MAX_LOG ? rl.sizes[n - 1] : 0;
		if (ret != -1 || strcmp(err.msg, "out of memory")) {
			print_error("realloc call %ld of %ld (%zu bytes) failed: ret %d "
				    "record %ld msg \"%s\"; want \"out of memory\"\n",
				    n, calls, sz, ret, err.record, err.msg);
			bad++;
		}
		hg_log_free(&log);
	}
	/* Past the last call, nothing fails. */
	rl_arm(calls + 1);
	assert_int_equal(hg_log_parse(f->log.p, f->log.len, &log, &err), 0);
	rl_disarm();
	hg_log_free(&log);
	assert_int_equal(bad, 0);
}

/* A log long enough to grow the record array twice (64, then 128); fail
 * each growth and check the partial log is freed cleanly. */
static void test_alloc_failure_record_array(void **state)
{
	struct fx *f = *state;
	enum { N = 70 };
	struct blob parts[N];
	struct blob log_b;
	struct hg_log log;
	struct hg_log_err err;
	long growth[2];
	size_t ng = 0, off64 = 0;

	parts[0] = fx_std_record(f->key, f->key, 0, 0);
	for (size_t i = 1; i < N; i++) {
		struct blob p = fx_file_payload(i, PCR, HG_KIND_IMAGE, "/img", fx_banks, 2);

		parts[i] = fx_sign(f->key, &p);
		free(p.p);
		if (i < 64)
			off64 += parts[i].len;
	}
	off64 += parts[0].len;
	log_b = fx_join(parts, N);

	rl_arm(0);
	assert_int_equal(hg_log_parse(log_b.p, log_b.len, &log, &err), 0);
	rl_disarm();
	assert_int_equal(log.n, N);
	hg_log_free(&log);
	assert_true(rl.calls <= RL_MAX_LOG);
	for (long c = 0; c < rl.calls; c++)
		if (rl.sizes[c] == 64 * sizeof(struct hg_log_rec) ||
		    rl.sizes[c] == 128 * sizeof(struct hg_log_rec)) {
			assert_true(ng < 2);
			growth[ng++] = c + 1;
		}
	assert_int_equal(ng, 2);

	/* The first growth: nothing parsed yet. */
	rl_arm(growth[0]);
	assert_int_equal(hg_log_parse(log_b.p, log_b.len, &log, &err), -1);
	rl_disarm();
	assert_string_equal(err.msg, "out of memory");
	assert_int_equal(err.record, 0);
	assert_int_equal(err.offset, 0);
	assert_int_equal(err.truncated, 0);
	assert_int_equal(log.n, 0);
	hg_log_free(&log);

	/* The second: 64 records parsed, their array and the key are kept
	 * for hg_log_free (valgrind checks they are not leaked). */
	rl_arm(growth[1]);
	assert_int_equal(hg_log_parse(log_b.p, log_b.len, &log, &err), -1);
	rl_disarm();
	assert_string_equal(err.msg, "out of memory");
	assert_int_equal(err.record, 64);
	assert_int_equal(err.offset, off64);
	assert_int_equal(log.n, 64);
	assert_int_equal(log.good_len, off64);
	assert_non_null(log.recs);
	assert_non_null(log.key);
	assert_int_equal(log.recs[63].cel.recnum, 63);
	hg_log_free(&log);

	for (size_t i = 0; i < N; i++)
		free(parts[i].p);
	free(log_b.p);
}

/* Hostile inputs that declare huge sizes must not make the parser ask
 * for memory in proportion to the declaration (no timing involved). */
static void test_hostile_inputs_allocate_little(void **state)
{
	static const uint8_t huge_bstr[] = {
		0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0,
		0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
	};
	static const uint8_t huge_map[] = {
		0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xbb,
		0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
	};
	uint8_t nine_a[18];
	const struct blob in[] = {
		{ nine_a, sizeof(nine_a) },
		{ (uint8_t *)huge_bstr, sizeof(huge_bstr) },
		{ (uint8_t *)huge_map, sizeof(huge_map) },
	};

	(void)state;
	memset(nine_a, 0x9a, sizeof(nine_a));
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct hg_log log;
		struct hg_log_err err;

		rl_arm(0);
		assert_int_equal(hg_log_parse(in[i].p, in[i].len, &log, &err), -1);
		rl_disarm();
		if (rl.bytes > 4096)
			print_error("input %zu: %zu bytes requested\n", i, rl.bytes);
		assert_true(rl.bytes <= 4096);
		assert_int_equal(err.record, 0);
		assert_int_equal(log.n, 0);
		hg_log_free(&log);
	}
	/* The 9a input specifically is refused before any allocation. */
	{
		struct hg_log log;
		struct hg_log_err err;

		rl_arm(0);
		assert_int_equal(hg_log_parse(nine_a, sizeof(nine_a), &log, &err), -1);
		rl_disarm();
		assert_int_equal(rl.calls, 0);
		assert_string_equal(err.msg, "CBOR length exceeds input");
		hg_log_free(&log);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_failure_every_call),
		cmocka_unit_test(test_alloc_failure_record_array),
		cmocka_unit_test(test_hostile_inputs_allocate_little),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
