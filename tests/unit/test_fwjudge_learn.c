/* test_fwjudge_learn.c: the firmware policy learned and diffed
 * (policies/README.md "Firmware").
 *
 * Facts by hand (fwjudge_fx.c) and real logs of the shared corpus
 * (tests/data/uefi, or $HG_UEFI_CORPUS; missing, those tests FAIL
 * naming the path): the policy learn writes from a log's facts
 * (verifier/learnpol.h) accepts that log and refuses another, with what
 * it cannot learn said on stderr; and diff (verifier/diffpol.h) between
 * two policies' firmware sections, and between a policy and a host's
 * firmware, event by event. The judge's rules one by one are in
 * test_fwjudge.c.
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

/* ---- real logs: learn, judge, diff ---- */

static const char *corpus_dir(void)
{
	const char *d = getenv("HG_UEFI_CORPUS");
	struct stat st;

	if (!d || !*d)
		d = "tests/data/uefi";
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
		fail_msg("UEFI corpus missing: %s (run from the repository root with "
			 "the repository root, or set HG_UEFI_CORPUS)", d);
	return d;
}

static void corpus_facts(const char *rel, uint8_t **buf, struct hg_uefi_facts *f)
{
	char path[4096];
	size_t len;
	struct hg_uefi_err err;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), rel);
	if (hg_read_file(path, HG_UEFI_MAX_LOG, 0, buf, &len) < 0)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	if (hg_uefi_facts(*buf, len, f, &err) < 0)
		fail_msg("%s: event %ld: %s", rel, err.event, err.msg);
}

#define KEYLIME_SB "keylime_keylime/create-mb-policy/binary_bios_measurements-secureboot"
#define KEYLIME_NOSB "keylime_keylime/create-mb-policy/binary_bios_measurements"

/* The policy learn writes for F with BANKS (a JSON array), as text (the
 * caller frees), with learn's stderr in ERR. */
static char *learned(const struct hg_uefi_facts *f, const char *banks, char *err, size_t n)
{
	json_object *p = json_object_new_object();
	struct cap c;
	char *text;
	int rc;

	json_object_object_add(p, "version", json_object_new_int(1));
	json_object_object_add(p, "banks", json_tokener_parse(banks));
	cap_start(&c);
	rc = hv_learn_firmware(p, f);
	cap_end(&c, err, n);
	assert_int_equal(rc, 0);
	text = strdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(p);
	return text;
}

/* What learn cannot learn is left out, one stderr line each. */
static void test_learn_hand(void **state)
{
	struct hand h;
	struct hg_policy p;
	struct sink s = { .want_json = 1 };
	char err[1024], *text;

	(void)state;
	hand_facts(&h);
	h.f.secure_boot = -1;
	h.f.secure_boot_why = "SecureBoot is logged more than once, with different digests";
	h.f.var[HG_SBVAR_KEK].conflict = 1;
	h.f.var[HG_SBVAR_DBX].event = -1;
	h.apps[1].digests = h.apps[0].digests;   /* one digest, listed once */
	text = learned(&h.f, "[\"sha256\"]", err, sizeof(err));
	assert_string_equal(err,
		"hostgate-verify: firmware: Secure Boot state is unknown (SecureBoot is logged more than once, with different digests): secure_boot not learned\n"
		"hostgate-verify: firmware: KEK is logged more than once with different digests (first at event 14): kek not learned\n");
	assert_string_equal(strstr(text, "\"firmware\":"),
		"\"firmware\":{\"boot_apps\":{\"sha256\":[\"" H("21") "\",\"" H("23") "\"]},"
		"\"pk\":{\"sha256\":[\"" H("11") "\"]},\"db\":{\"sha256\":[\"" H("13") "\"]}}}");
	parse(text, &p);
	assert_int_equal(hv_judge_firmware(&p, &h.f, 1, add, &s), 0);
	hg_policy_free(&p);
	free(text);
}

/* Learned from a Secure Boot log: it takes that log, and refuses the
 * same machine's log with Secure Boot off, for each thing that differs. */
static void test_corpus_learn_then_judge(void **state)
{
	uint8_t *b1 = NULL, *b2 = NULL;
	struct hg_uefi_facts sb, nosb;
	struct hg_policy p;
	struct sink s;
	json_object *j, *fw, *apps;
	char err[1024], *text;

	(void)state;
	corpus_facts(KEYLIME_SB, &b1, &sb);
	corpus_facts(KEYLIME_NOSB, &b2, &nosb);
	text = learned(&sb, "[\"sha256\"]", err, sizeof(err));
	assert_string_equal(err, "");
	j = json_tokener_parse(text);
	fw = json_object_object_get(j, "firmware");
	assert_true(json_object_get_boolean(json_object_object_get(fw, "secure_boot")));
	assert_false(json_object_object_get_ex(fw, "digest_mismatches", NULL));
	apps = json_object_object_get(json_object_object_get(fw, "boot_apps"), "sha256");
	assert_int_equal(json_object_array_length(apps), 3);
	/* sha1 is not an accepted bank: not learned */
	assert_false(json_object_object_get_ex(json_object_object_get(fw, "boot_apps"), "sha1", NULL));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
				    json_object_object_get(json_object_object_get(fw, "pk"), "sha256"), 0)),
			    "adb6fc232943e39c374bf4782b6c697f43c39fca1f4b51dfceda21164e19a893");
	for (int i = 0; i < 4; i++)
		assert_true(json_object_object_get_ex(fw, (const char *[]){ "pk", "kek", "db", "dbx" }[i], NULL));
	json_object_put(j);

	parse(text, &p);
	memset(&s, 0, sizeof(s));
	s.want_json = 1;
	assert_int_equal(hv_judge_firmware(&p, &sb, 1, add, &s), 0);
	assert_int_equal(hv_judge_firmware(&p, &nosb, 1, add, &s), 8);
	assert_int_equal(s.n, 8);
	assert_string_equal(s.why[0], "firmware: Secure Boot is disabled (event 12); the policy requires it enabled");
	assert_string_equal(s.why[1], "firmware: boot application (event 26, path unknown: device path has no file path node) "
				      "sha256:81231bccdd15c4d25016651fe7d331152c9259f366bd32f01d866e9fe67fae91 is not allowed");
	assert_string_equal(s.why[2], "firmware: boot application (event 52, \\EFI\\fedora\\shimx64.efi) "
				      "sha256:94896c17d49fc8c8df0cc2836611586edab1615ce7cb58cf13fc5798de56b367 is not allowed");
	assert_string_equal(s.why[4], "firmware: PK (event 13) "
				      "sha256:ddd2fe434fee03440d49850277556d148b75d7cafdc4dc59e8a67cccecad1a3e is not allowed");
	assert_string_equal(jstr(s.f[7], "rule"), "dbx");
	sink_free(&s);
	hg_policy_free(&p);
	free(text);
	hg_uefi_facts_free(&sb);
	hg_uefi_facts_free(&nosb);
	free(b1);
	free(b2);
}

/* shim's "Shim" authority event does not hash its data: learn says the
 * learned policy refuses the host, and it does, until allowed. */
static void test_corpus_learn_mismatches(void **state)
{
	uint8_t *buf = NULL;
	struct hg_uefi_facts f;
	struct hg_policy p;
	struct sink s = { .want_json = 1 };
	char err[1024], *text, *allow;

	(void)state;
	corpus_facts("fwupd_fwupd/binary_bios_measurements-v2", &buf, &f);
	text = learned(&f, "[\"sha256\"]", err, sizeof(err));
	assert_string_equal(err, "hostgate-verify: firmware: 2 events' digests are not the hash of their data "
				 "(first: event 42, PCR 7, EV_EFI_VARIABLE_AUTHORITY): the learned policy refuses "
				 "this host; set \"digest_mismatches\": \"allow\" to accept it\n");
	parse(text, &p);
	assert_int_equal(hv_judge_firmware(&p, &f, 1, add, &s), 2);
	assert_string_equal(jstr(s.f[0], "rule"), "digest_mismatch");
	assert_int_equal(json_object_get_int(json_object_object_get(s.f[1], "event")), 122);
	sink_free(&s);
	hg_policy_free(&p);
	/* what the message says to do */
	{
		json_object *j = json_tokener_parse(text);

		json_object_object_add(json_object_object_get(j, "firmware"), "digest_mismatches",
				       json_object_new_string("allow"));
		allow = strdup(json_object_to_json_string(j));
		json_object_put(j);
	}
	parse(allow, &p);
	assert_int_equal(hv_judge_firmware(&p, &f, 1, add, &s), 0);
	hg_policy_free(&p);
	free(allow);
	free(text);
	hg_uefi_facts_free(&f);
	free(buf);
}

/* A SHA1-format log learned into a sha256 policy: only Secure Boot can be
 * learned; the rest is said, one line each. */
static void test_corpus_learn_sha1_log(void **state)
{
	uint8_t *buf = NULL;
	struct hg_uefi_facts f;
	struct hg_policy p;
	struct sink s = { .want_json = 1 };
	char err[2048], *text;

	(void)state;
	corpus_facts("google_go-attestation/windows_gcp_shielded_vm.extracted/eventlog.bin", &buf, &f);
	text = learned(&f, "[\"sha256\"]", err, sizeof(err));
	assert_non_null(strstr(err, "hostgate-verify: firmware: boot application (event "));
	assert_non_null(strstr(err, ") has no digest in the policy's banks (sha256): boot_apps not learned\n"));
	assert_non_null(strstr(err, "hostgate-verify: firmware: PK (event "));
	assert_non_null(strstr(err, "): dbx not learned\n"));
	assert_string_equal(strstr(text, "\"firmware\":"), "\"firmware\":{\"secure_boot\":true}}");
	parse(text, &p);
	assert_int_equal(hv_judge_firmware(&p, &f, 1, add, &s), 0);
	hg_policy_free(&p);
	free(text);
	/* in sha1, all of it */
	text = learned(&f, "[\"sha1\"]", err, sizeof(err));
	assert_string_equal(err, "");
	parse(text, &p);
	assert_int_equal(p.fw.list[HG_FW_BOOT_APPS].banks[0].n, 1);
	assert_int_equal(hv_judge_firmware(&p, &f, 1, add, &s), 0);
	hg_policy_free(&p);
	free(text);
	hg_uefi_facts_free(&f);
	free(buf);
}

static void diff_lines(const char *ta, const char *tb, const struct hg_pcr_values *quoted,
		       const struct hg_uefi_facts *fw, struct hv_diffs *d)
{
	struct hg_policy a, b;

	parse(ta, &a);
	parse(tb, &b);
	memset(d, 0, sizeof(*d));
	assert_int_equal(hv_diff_policies(&a, &b, quoted, fw, d), 0);
	hg_policy_free(&a);
	hg_policy_free(&b);
}

/* Two policies: each firmware rule that differs, one line each. */
static void test_diff_policies(void **state)
{
	static const char *const want[] = {
		"~ firmware secure_boot: enabled \xe2\x86\x92 not judged",
		"~ firmware boot_apps: sha256 " H("21") " \xe2\x86\x92 " H("29"),
		"+ firmware pk sha256:" H("11") " (only in B)",
		"- firmware dbx sha1:" H20("14") " (only in A)",
		"~ firmware digest_mismatches: deny \xe2\x86\x92 allow",
	};
	struct hv_diffs d;
	json_object *j;

	(void)state;
	diff_lines(POL("{\"secure_boot\":true,\"boot_apps\":{\"sha256\":[\"" H("21") "\",\"" H("22") "\"]},"
		       "\"dbx\":{\"sha1\":[\"" H20("14") "\"]}}"),
		   POL("{\"boot_apps\":{\"sha256\":[\"" H("22") "\",\"" H("29") "\"]},"
		       "\"pk\":{\"sha256\":[\"" H("11") "\"]},\"digest_mismatches\":\"allow\"}"),
		   NULL, NULL, &d);
	assert_int_equal(d.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(d.line[i], want[i]);
	assert_string_equal(jstr(d.obj[0], "what"), "firmware");
	assert_string_equal(jstr(d.obj[0], "rule"), "secure_boot");
	assert_int_equal(json_object_array_length(json_object_object_get(d.obj[0], "new")), 0);
	assert_string_equal(jstr(d.obj[1], "bank"), "sha256");
	assert_string_equal(jstr(d.obj[2], "change"), "added");
	hv_diffs_free(&d);

	/* the section itself */
	diff_lines("{\"version\":1,\"banks\":[\"sha256\"]}", POL("{}"), NULL, NULL, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.line[0], "+ firmware: section only in B (it requires a firmware event log)");
	hv_diffs_free(&d);
	diff_lines(POL(ALL_FW), POL(ALL_FW), NULL, NULL, &d);
	assert_int_equal(d.n, 0);
	j = hv_diffs_json(&d);
	assert_true(json_object_get_boolean(json_object_object_get(j, "same")));
	json_object_put(j);
	hv_diffs_free(&d);
}

/* Host mode: the events check would refuse, by PCR and event, and the
 * changed PCR's line naming them. */
static void test_diff_host(void **state)
{
	struct hg_pcr_values quoted = { 0 };
	struct hand h;
	struct hv_diffs d;
	json_object *ev;

	(void)state;
	hand_facts(&h);
	h.f.secure_boot = 0;
	h.mis[0] = (struct hg_uefi_mismatch){ .event = 42, .pcr = 7,
		.type = HG_EV_EFI_VARIABLE_AUTHORITY, .alg = HG_ALG_SHA1 };
	h.f.nmismatch = 1;
	for (unsigned p = 0; p < 8; p++) {
		quoted.v[quoted.n] = (struct hg_pcr_value){ .alg = HG_ALG_SHA256, .pcr = (uint8_t)p, .len = 32 };
		memset(quoted.v[quoted.n++].d, 0x40 + (int)p, 32);
	}
#define PCRS "\"pcrs\":{\"sha256\":{\"0\":\"" H("40") "\",\"4\":\"" H("00") "\",\"5\":\"" H("00") "\",\"7\":\"" H("00") "\"}},"
	diff_lines("{\"version\":1,\"banks\":[\"sha256\"]," PCRS "\"firmware\":"
		   "{\"secure_boot\":true,\"boot_apps\":{\"sha256\":[\"" H("21") "\",\"" H("29") "\"]},"
		   "\"db\":{\"sha256\":[\"" H("13") "\"]}}}",
		   "{\"version\":1,\"banks\":[\"sha256\"]}", &quoted, &h.f, &d);
	{
		static const char *const want[] = {
			"~ PCR7: Secure Boot: the policy requires it enabled; this host: disabled (event 12)",
			"~ PCR4: boot application \\EFI\\ubuntu\\grubx64.efi (event 30) sha256 changed: "
				H("21") " " H("29") " \xe2\x86\x92 " H("22"),
			"~ PCR4: boot application (event 40, path unknown: empty device path) sha256 changed: "
				H("21") " " H("29") " \xe2\x86\x92 " H("23"),
			"~ PCR7: event 42 (EV_EFI_VARIABLE_AUTHORITY): its sha1 digest is not the hash of its data (the policy denies digest mismatches)",
			"~ pcr 4 sha256: " H("00") " \xe2\x86\x92 " H("44") " (changed on this host; firmware events the policy does not allow: 30, 40)",
			"~ pcr 5 sha256: " H("00") " \xe2\x86\x92 " H("45") " (changed on this host)",
			"~ pcr 7 sha256: " H("00") " \xe2\x86\x92 " H("47") " (changed on this host; firmware events the policy does not allow: 12, 42)",
		};

		assert_int_equal(d.n, 7);
		for (size_t i = 0; i < 7; i++)
			assert_string_equal(d.line[i], want[i]);
	}
	assert_string_equal(jstr(d.obj[1], "rule"), "boot_app");
	assert_int_equal(json_object_get_int(json_object_object_get(d.obj[1], "pcr")), 4);
	assert_int_equal(json_object_get_int(json_object_object_get(d.obj[1], "event")), 30);
	assert_string_equal(jstr(d.obj[1], "path"), "\\EFI\\ubuntu\\grubx64.efi");
	assert_int_equal(json_object_array_length(json_object_object_get(d.obj[1], "old")), 2);
	ev = json_object_object_get(d.obj[4], "events");
	assert_int_equal(json_object_array_length(ev), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(ev, 1)), 40);
	hv_diffs_free(&d);

	/* all the firmware allowed, PCR4 still changed: said to be elsewhere */
	h.f.secure_boot = 1;
	h.f.nmismatch = 0;
	diff_lines("{\"version\":1,\"banks\":[\"sha256\"]," PCRS "\"firmware\":" ALL_FW "}",
		   "{\"version\":1,\"banks\":[\"sha256\"]}", &quoted, &h.f, &d);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.line[0], "~ pcr 4 sha256: " H("00") " \xe2\x86\x92 " H("44") " (changed on this host; every event on it that the policy's firmware section judges is allowed: the change is in another event)");
	assert_string_equal(d.line[1], "~ pcr 5 sha256: " H("00") " \xe2\x86\x92 " H("45") " (changed on this host)");
	hv_diffs_free(&d);

	/* PK missing, KEK ambiguous */
	h.f.var[HG_SBVAR_PK].event = -1;
	h.f.var[HG_SBVAR_KEK].conflict = 1;
	diff_lines("{\"version\":1,\"banks\":[\"sha256\"],\"firmware\":" ALL_FW "}",
		   "{\"version\":1,\"banks\":[\"sha256\"]}", &quoted, &h.f, &d);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.line[0], "- PCR7: PK is not in this host's firmware log (the policy lists its digests)");
	assert_string_equal(d.line[1], "~ PCR7: KEK is logged more than once with different digests (first at event 14): the policy cannot tell which counts");
	hv_diffs_free(&d);

	/* an unknown SecureBoot whose event also mismatches: named once */
	hand_facts(&h);
	h.f.secure_boot = -1;
	h.f.secure_boot_why = "the SecureBoot event's digest is not the hash of its data";
	h.mis[0] = (struct hg_uefi_mismatch){ .event = 12, .pcr = 7,
		.type = HG_EV_EFI_VARIABLE_DRIVER_CONFIG, .alg = HG_ALG_SHA256 };
	h.f.nmismatch = 1;
	diff_lines("{\"version\":1,\"banks\":[\"sha256\"]," PCRS "\"firmware\":{\"secure_boot\":true}}",
		   "{\"version\":1,\"banks\":[\"sha256\"]}", &quoted, &h.f, &d);
	assert_int_equal(d.n, 5);
	assert_string_equal(d.line[0], "~ PCR7: Secure Boot: the policy requires it enabled; this host: unknown (the SecureBoot event's digest is not the hash of its data)");
	assert_string_equal(d.line[4], "~ pcr 7 sha256: " H("00") " \xe2\x86\x92 " H("47") " (changed on this host; firmware events the policy does not allow: 12)");
	hv_diffs_free(&d);

	/* no firmware log on the host */
	diff_lines(POL("{}"), "{\"version\":1,\"banks\":[\"sha256\"]}", &quoted, NULL, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.line[0], "- firmware: this host's evidence has no firmware event log (the policy judges firmware)");
	hv_diffs_free(&d);
	/* a policy without a firmware section says nothing of firmware */
	diff_lines("{\"version\":1,\"banks\":[\"sha256\"]}", "{\"version\":1,\"banks\":[\"sha256\"]}",
		   &quoted, &h.f, &d);
	assert_int_equal(d.n, 0);
	hv_diffs_free(&d);
}

/* A real update: the policy learned from one log, the host another. */
static void test_diff_host_corpus(void **state)
{
	uint8_t *b1 = NULL, *b2 = NULL;
	struct hg_uefi_facts sb, nosb;
	struct hv_diffs d;
	char err[1024], *text;

	(void)state;
	corpus_facts(KEYLIME_SB, &b1, &sb);
	corpus_facts(KEYLIME_NOSB, &b2, &nosb);
	text = learned(&sb, "[\"sha256\"]", err, sizeof(err));
	diff_lines(text, "{\"version\":1,\"banks\":[\"sha256\"]}", &(struct hg_pcr_values){ 0 }, &sb, &d);
	assert_int_equal(d.n, 0);
	hv_diffs_free(&d);
	diff_lines(text, "{\"version\":1,\"banks\":[\"sha256\"]}", &(struct hg_pcr_values){ 0 }, &nosb, &d);
	assert_int_equal(d.n, 8);
	assert_string_equal(d.line[0], "~ PCR7: Secure Boot: the policy requires it enabled; this host: disabled (event 12)");
	/* the policy allows the three digests of the Secure Boot log's apps */
	assert_string_equal(d.line[2], "~ PCR4: boot application \\EFI\\fedora\\shimx64.efi (event 52) sha256 changed: "
		"27b12463e599b3147635f272e3722960e443def60fef088eba600697017529f2 "
		"0abc88ee4d2915c3c5c010a331be980766d6445419c22fe236867b92d254f01f "
		"219b8b53c54951cd07a580622e384391bbd9e113448a12ad319903fcafb81e79 \xe2\x86\x92 "
		"94896c17d49fc8c8df0cc2836611586edab1615ce7cb58cf13fc5798de56b367");
	assert_string_equal(d.line[6], "~ PCR7: db (event 15) sha256 changed: "
		"4313e43de720194a0eabf4d6415d42b5a03a34fdc47bb1fc924cc4e665e6893d \xe2\x86\x92 "
		"cdf53749823511cebc367d45d8c7f2387852c765869901ea91ca1fd15c31e38c");
	hv_diffs_free(&d);
	free(text);
	hg_uefi_facts_free(&sb);
	hg_uefi_facts_free(&nosb);
	free(b1);
	free(b2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_hand),
		cmocka_unit_test(test_corpus_learn_then_judge),
		cmocka_unit_test(test_corpus_learn_mismatches),
		cmocka_unit_test(test_corpus_learn_sha1_log),
		cmocka_unit_test(test_diff_policies),
		cmocka_unit_test(test_diff_host),
		cmocka_unit_test(test_diff_host_corpus),
	};

	hg_progname = "hostgate-verify";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
