/* test_fwjudge.c: the firmware policy (policies/README.md "Firmware").
 *
 * The judge (verifier/fwjudge.h) over facts built by hand: each rule
 * passing and failing with its exact reason and JSON, every failure
 * reported, no JSON when none is wanted. Learn and diff, and the real
 * logs of the shared corpus, are in test_fwjudge_learn.c; the helpers
 * both share in fwjudge_fx.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/uefifacts.h"
#include "../../lib/util.h"
#include "../../verifier/diffpol.h"
#include "../../verifier/fwjudge.h"
#include "../../verifier/learnpol.h"
#include "../../verifier/policy.h"
#include "fwjudge_fx.h"

static void test_no_section(void **state)
{
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	h.f.secure_boot = 0;
	assert_int_equal(judge("{\"version\":1,\"banks\":[\"sha256\"]}", NULL, 1, &s), 0);
	assert_int_equal(judge("{\"version\":1,\"banks\":[\"sha256\"]}", &h.f, 1, &s), 0);
}

static void test_no_log(void **state)
{
	struct sink s;

	(void)state;
	assert_int_equal(judge(POL("{}"), NULL, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: the evidence has no firmware event log, the policy judges firmware");
	assert_string_equal(jstr(s.f[0], "kind"), "firmware");
	assert_string_equal(jstr(s.f[0], "rule"), "log");
	sink_free(&s);
	/* "digest_mismatches": "allow" alone still needs a log */
	assert_int_equal(judge(POL("{\"digest_mismatches\":\"allow\"}"), NULL, 1, &s), 1);
	sink_free(&s);
}

static void test_all_allowed(void **state)
{
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	assert_int_equal(judge(POL(ALL_FW), &h.f, 1, &s), 0);
	assert_int_equal(judge(POL("{}"), &h.f, 1, &s), 0);
}

static void test_secure_boot(void **state)
{
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	assert_int_equal(judge(POL("{\"secure_boot\":true}"), &h.f, 1, &s), 0);
	assert_int_equal(judge(POL("{\"secure_boot\":false}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: Secure Boot is enabled (event 12); the policy requires it disabled");
	assert_string_equal(jstr(s.f[0], "rule"), "secure_boot");
	assert_int_equal(json_object_get_int(json_object_object_get(s.f[0], "event")), 12);
	assert_true(json_object_get_boolean(json_object_object_get(s.f[0], "value")));
	assert_false(json_object_get_boolean(json_object_object_get(s.f[0], "allowed")));
	sink_free(&s);

	h.f.secure_boot = 0;
	assert_int_equal(judge(POL("{\"secure_boot\":false}"), &h.f, 1, &s), 0);
	assert_int_equal(judge(POL("{\"secure_boot\":true}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: Secure Boot is disabled (event 12); the policy requires it enabled");
	sink_free(&s);

	/* unknown fails either requirement, saying why it is unknown */
	h.f.secure_boot = -1;
	h.f.secure_boot_why = "the SecureBoot event's digest is not the hash of its data";
	assert_int_equal(judge(POL("{\"secure_boot\":true}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: Secure Boot state is unknown (the SecureBoot event's digest is not the hash of its data); the policy requires it enabled");
	assert_true(json_object_object_get_ex(s.f[0], "value", NULL));
	assert_null(json_object_object_get(s.f[0], "value"));
	sink_free(&s);
	h.f.var[HG_SBVAR_SECUREBOOT].event = -1;
	h.f.secure_boot_why = "no SecureBoot variable event on PCR 7";
	assert_int_equal(judge(POL("{\"secure_boot\":false}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: Secure Boot state is unknown (no SecureBoot variable event on PCR 7); the policy requires it disabled");
	assert_false(json_object_object_get_ex(s.f[0], "event", NULL));
	sink_free(&s);
	/* not judged: any state passes */
	assert_int_equal(judge(POL("{}"), &h.f, 1, &s), 0);
}

static void test_boot_apps(void **state)
{
	struct hand h;
	struct sink s;
	json_object *d, *a;

	(void)state;
	hand_facts(&h);
	/* grub's and the pathless one's digests are not listed */
	assert_int_equal(judge(POL("{\"boot_apps\":{\"sha256\":[\"" H("21") "\",\"" H("99") "\"]}}"),
			       &h.f, 1, &s), 2);
	assert_string_equal(s.why[0], "firmware: boot application (event 30, \\EFI\\ubuntu\\grubx64.efi) sha256:" H("22") " is not allowed");
	assert_string_equal(s.why[1], "firmware: boot application (event 40, path unknown: empty device path) sha256:" H("23") " is not allowed");
	assert_string_equal(jstr(s.f[0], "rule"), "boot_app");
	assert_int_equal(json_object_get_int(json_object_object_get(s.f[0], "event")), 30);
	assert_string_equal(jstr(s.f[0], "path"), "\\EFI\\ubuntu\\grubx64.efi");
	d = json_object_object_get(s.f[0], "digest");
	assert_string_equal(jstr(d, "sha256"), H("22"));
	a = json_object_object_get(json_object_object_get(s.f[0], "allowed"), "sha256");
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 1)), H("99"));
	assert_null(json_object_object_get(s.f[1], "path"));
	sink_free(&s);

	/* no boot application: nothing to refuse */
	h.f.napps = 0;
	assert_int_equal(judge(POL("{\"boot_apps\":{\"sha256\":[\"" H("99") "\"]}}"), &h.f, 1, &s), 0);
}

/* Every bank listed, accepted and logged must match; with none, the
 * application cannot be judged, which fails. */
static void test_boot_app_banks(void **state)
{
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	h.f.napps = 1;
	dg(&h.apps[0].digests, HG_ALG_SHA1, 0x31);
	/* sha256 allowed but sha1 not: refused, naming sha1 */
	assert_int_equal(judge("{\"version\":1,\"banks\":[\"sha256\",\"sha1\"],\"firmware\":"
			       "{\"boot_apps\":{\"sha256\":[\"" H("21") "\"],\"sha1\":[\"" H20("99") "\"]}}}",
			       &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: boot application (event 27, \\EFI\\BOOT\\BOOTX64.EFI) sha1:" H20("31") " is not allowed");
	assert_string_equal(jstr(json_object_object_get(s.f[0], "digest"), "sha1"), H20("31"));
	sink_free(&s);
	/* the same list in a policy that does not accept sha1: allowed */
	assert_int_equal(judge(POL("{\"boot_apps\":{\"sha256\":[\"" H("21") "\"],\"sha1\":[\"" H20("99") "\"]}}"),
			       &h.f, 1, &s), 0);
	/* a list only in a bank the policy does not accept compares nothing */
	assert_int_equal(judge(POL("{\"boot_apps\":{\"sha1\":[\"" H20("31") "\"]}}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: boot application (event 27, \\EFI\\BOOT\\BOOTX64.EFI): no bank the policy accepts and boot_apps lists to compare");
	sink_free(&s);
	/* nor does a log without the listed bank */
	h.apps[0].digests.n = 0;
	dg(&h.apps[0].digests, HG_ALG_SHA1, 0x31);
	assert_int_equal(judge(POL("{\"boot_apps\":{\"sha256\":[\"" H("21") "\"]}}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: boot application (event 27, \\EFI\\BOOT\\BOOTX64.EFI): no bank the policy accepts and boot_apps lists to compare");
	sink_free(&s);
}

static void test_vars(void **state)
{
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	assert_int_equal(judge(POL("{\"db\":{\"sha256\":[\"" H("13") "\",\"" H("99") "\"]}}"), &h.f, 1, &s), 0);
	assert_int_equal(judge(POL("{\"db\":{\"sha256\":[\"" H("99") "\"]}}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: db (event 15) sha256:" H("13") " is not allowed");
	assert_string_equal(jstr(s.f[0], "rule"), "db");
	assert_int_equal(json_object_get_int(json_object_object_get(s.f[0], "event")), 15);
	assert_string_equal(jstr(json_object_object_get(s.f[0], "digest"), "sha256"), H("13"));
	sink_free(&s);

	/* not in the log: the policy lists what it allows, so refused */
	h.f.var[HG_SBVAR_PK].event = -1;
	assert_int_equal(judge(POL("{\"pk\":{\"sha256\":[\"" H("11") "\"]}}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: PK is not in the firmware log (no event on PCR 7 whose data hashes to its digest is that variable); the policy lists its allowed digests");
	assert_false(json_object_object_get_ex(s.f[0], "event", NULL));
	sink_free(&s);

	/* logged twice with other digests: refused even if both are listed */
	h.f.var[HG_SBVAR_KEK].conflict = 1;
	assert_int_equal(judge(POL("{\"kek\":{\"sha256\":[\"" H("12") "\"]}}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: KEK is logged more than once with different digests (first at event 14); the policy cannot tell which counts");
	sink_free(&s);

	/* dbx only in sha1, which the policy does not accept */
	assert_int_equal(judge(POL("{\"dbx\":{\"sha1\":[\"" H20("14") "\"]}}"), &h.f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: dbx (event 16): no bank the policy accepts and dbx lists to compare");
	sink_free(&s);
}

static void test_mismatches(void **state)
{
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	h.mis[0] = (struct hg_uefi_mismatch){ .event = 42, .pcr = 7,
		.type = HG_EV_EFI_VARIABLE_AUTHORITY, .alg = HG_ALG_SHA1 };
	h.mis[1] = (struct hg_uefi_mismatch){ .event = 50, .pcr = 5, .type = 0x7fff0000u,
		.alg = HG_ALG_SHA256 };
	h.f.nmismatch = 2;
	/* denied by default, each reported */
	assert_int_equal(judge(POL("{}"), &h.f, 1, &s), 2);
	assert_string_equal(s.why[0], "firmware: event 42 (PCR 7, EV_EFI_VARIABLE_AUTHORITY): its sha1 digest is not the hash of its data");
	assert_string_equal(s.why[1], "firmware: event 50 (PCR 5, type 0x7fff0000): its sha256 digest is not the hash of its data");
	assert_string_equal(jstr(s.f[0], "rule"), "digest_mismatch");
	assert_int_equal(json_object_get_int(json_object_object_get(s.f[0], "pcr")), 7);
	assert_string_equal(jstr(s.f[0], "type"), "EV_EFI_VARIABLE_AUTHORITY");
	assert_string_equal(jstr(s.f[0], "bank"), "sha1");
	sink_free(&s);
	assert_int_equal(judge(POL("{\"digest_mismatches\":\"deny\"}"), &h.f, 1, &s), 2);
	sink_free(&s);
	assert_int_equal(judge(POL("{\"digest_mismatches\":\"allow\"}"), &h.f, 1, &s), 0);
}

/* Every rule fails at once: every failure is reported, in rule order,
 * and without JSON the failures are NULL. */
static void test_every_failure(void **state)
{
	static const char *const text = POL(
		"{\"secure_boot\":false,"
		" \"boot_apps\":{\"sha256\":[\"" H("99") "\"]},"
		" \"pk\":{\"sha256\":[\"" H("99") "\"]},\"kek\":{\"sha256\":[\"" H("99") "\"]},"
		" \"db\":{\"sha256\":[\"" H("99") "\"]},\"dbx\":{\"sha256\":[\"" H("99") "\"]}}");
	static const char *const rules[] = {
		"secure_boot", "boot_app", "boot_app", "boot_app", "pk", "kek", "db", "dbx",
		"digest_mismatch",
	};
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	h.mis[0] = (struct hg_uefi_mismatch){ .event = 8, .pcr = 0,
		.type = HG_EV_S_CRTM_VERSION, .alg = HG_ALG_SHA256 };
	h.f.nmismatch = 1;
	assert_int_equal(judge(text, &h.f, 1, &s), 9);
	for (size_t i = 0; i < 9; i++)
		assert_string_equal(jstr(s.f[i], "rule"), rules[i]);
	assert_string_equal(s.why[4], "firmware: PK (event 13) sha256:" H("11") " is not allowed");
	sink_free(&s);
	assert_int_equal(judge(text, &h.f, 0, &s), 9);
	assert_string_equal(s.why[8], "firmware: event 8 (PCR 0, EV_S_CRTM_VERSION): its sha256 digest is not the hash of its data");
	sink_free(&s);
}

/* A path is the log's claim: long ones are cut in lines and JSON, never
 * inside a UTF-8 sequence. */
static void test_long_path(void **state)
{
	char path[400], want[400];
	struct hand h;
	struct sink s;

	(void)state;
	hand_facts(&h);
	h.f.napps = 1;
	memset(path, 'a', 95);
	strcpy(path + 95, "\xc3\xa9");   /* U+00E9 straddles byte 96 */
	memset(path + 97, 'b', 200);
	path[297] = '\0';
	h.apps[0].path = path;
	assert_int_equal(judge(POL("{\"boot_apps\":{\"sha256\":[\"" H("99") "\"]}}"), &h.f, 1, &s), 1);
	snprintf(want, sizeof(want), "firmware: boot application (event 27, %.95s) sha256:" H("21") " is not allowed",
		 path);
	assert_string_equal(s.why[0], want);
	assert_int_equal(strlen(jstr(s.f[0], "path")), 95);
	sink_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_section),
		cmocka_unit_test(test_no_log),
		cmocka_unit_test(test_all_allowed),
		cmocka_unit_test(test_secure_boot),
		cmocka_unit_test(test_boot_apps),
		cmocka_unit_test(test_boot_app_banks),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_mismatches),
		cmocka_unit_test(test_every_failure),
		cmocka_unit_test(test_long_path),
	};

	hg_progname = "hostgate-verify";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
