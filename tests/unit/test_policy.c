/* test_policy.c: the policy parser's bad-inputs table (each malformed
 * policy pinned to its exact message, JSON path included), a valid policy
 * parsed in full, and lookups over sorted entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../verifier/policy.h"
#include "../../lib/util.h"

#define D64 "1493008ba0036014c727bb23bbe2f399135867e9b5c4fe288ef2b4b816f46b0c"
#define D40 "873089486ef1d19c680617dac7a89d1a32b341fa"

/* Parse TEXT with stderr captured; returns the parse result and the
 * message (without the trailing newline) in MSG. */
static int parse_capture(const char *text, struct hg_policy *p, char *msg, size_t n)
{
	char path[] = "/tmp/hg-policy-err-XXXXXX";
	int fd = mkstemp(path), saved = dup(2), rc;
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	rc = hg_policy_parse("p.json", text, strlen(text), p);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	msg[0] = '\0';
	if (fgets(msg, (int)n, f))
		msg[strcspn(msg, "\n")] = '\0';
	fclose(f);
	unlink(path);
	return rc;
}

static const struct {
	const char *text;
	const char *msg;
} bad[] = {
	{ "", "hostgate-verify: p.json: not JSON at byte 0: unexpected end of data" },
	{ "{\"version\": 1,", "hostgate-verify: p.json: not JSON at byte 14: unexpected end of data" },
	{ "{\"version\":1,\"banks\":[\"sha256\"]} x", "hostgate-verify: p.json: not JSON at byte 33: trailing characters" },
	{ "[]", "hostgate-verify: p.json: $: policy is not a JSON object" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurment\":{}}", "hostgate-verify: p.json: $: unknown key \"measurment\"" },
	{ "{\"banks\":[\"sha256\"]}", "hostgate-verify: p.json: $.version: missing or not 1" },
	{ "{\"version\":2,\"banks\":[\"sha256\"]}", "hostgate-verify: p.json: $.version: missing or not 1" },
	{ "{\"version\":\"1\",\"banks\":[\"sha256\"]}", "hostgate-verify: p.json: $.version: missing or not 1" },
	{ "{\"version\":1}", "hostgate-verify: p.json: $.banks: missing: list the accepted PCR banks, e.g. [\"sha256\"]" },
	{ "{\"version\":1,\"banks\":[]}", "hostgate-verify: p.json: $.banks: not an array of 1..5 bank names" },
	{ "{\"version\":1,\"banks\":[\"md5\"]}", "hostgate-verify: p.json: $.banks[0]: not sha1, sha256, sha384 or sha512" },
	{ "{\"version\":1,\"banks\":[\"sha256\",\"sha256\"]}", "hostgate-verify: p.json: $.banks[1]: bank listed twice" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcr\":16}", "hostgate-verify: p.json: $.pcr: not a PCR index 0..15" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"unknown\":{\"image\":\"maybe\"}}", "hostgate-verify: p.json: $.unknown.image: not \"allow\" or \"deny\"" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"unknown\":{\"kernel\":\"allow\"}}", "hostgate-verify: p.json: $.unknown.kernel: not hypervisor, firmware, config or image, nor overlay or breakglass" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"kernel\":{}}}", "hostgate-verify: p.json: $.measurements.kernel: not hypervisor, firmware, config or image, nor overlay or breakglass" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"x.img\":{\"sha256\":[\"" D64 "\"]}}}}", "hostgate-verify: p.json: $.measurements.image[\"x.img\"]: name is not an absolute path" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"sha256\":[\"abcd\"]}}}}", "hostgate-verify: p.json: $.measurements.image[\"/x\"].sha256[0]: not 64 hex digits" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"sha256\":[\"" D64 "\", \"" D40 "\"]}}}}", "hostgate-verify: p.json: $.measurements.image[\"/x\"].sha256[1]: not 64 hex digits" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"sha256\":[]}}}}", "hostgate-verify: p.json: $.measurements.image[\"/x\"].sha256: not an array of 1..4096 hex digests" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"md5\":[\"" D64 "\"]}}}}", "hostgate-verify: p.json: $.measurements.image[\"/x\"].md5: not a bank name (sha1, sha256, sha384, sha512) or \"required\"" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"required\":1,\"sha256\":[\"" D64 "\"]}}}}", "hostgate-verify: p.json: $.measurements.image[\"/x\"].required: not true or false" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"required\":false}}}}", "hostgate-verify: p.json: $.measurements.image[\"/x\"]: no digests" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha256\":{\"24\":\"" D64 "\"}}}", "hostgate-verify: p.json: $.pcrs.sha256[\"24\"]: not a PCR index 0..23" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha256\":{\"01\":\"" D64 "\"}}}", "hostgate-verify: p.json: $.pcrs.sha256[\"01\"]: not a PCR index 0..23" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha1\":{\"0\":\"" D64 "\"}}}", "hostgate-verify: p.json: $.pcrs.sha1[\"0\"]: not 40 hex digits" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha256\":{\"0\":7}}}", "hostgate-verify: p.json: $.pcrs.sha256[\"0\"]: not a string" },
};

static void test_bad_policies(void **state)
{
	(void)state;
	hg_progname = "hostgate-verify";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hg_policy p;
		char msg[512];

		assert_int_equal(parse_capture(bad[i].text, &p, msg, sizeof(msg)), -1);
		if (strcmp(msg, bad[i].msg))
			fail_msg("row %zu: got   \"%s\"\n          want \"%s\"", i, msg, bad[i].msg);
		assert_null(p.entries);   /* freed on failure */
	}
}

static void test_valid_policy_and_lookup(void **state)
{
	const char *text =
		"{\"version\":1,\"banks\":[\"sha256\",\"sha1\"],\"pcr\":14,"
		"\"unknown\":{\"image\":\"allow\"},"
		"\"measurements\":{"
		" \"image\":{\"/b\":{\"sha256\":[\"" D64 "\"],\"required\":false}},"
		" \"hypervisor\":{\"/z\":{\"sha256\":[\"" D64 "\"]},"
		"                 \"/a\":{\"sha1\":[\"" D40 "\"],\"sha256\":[\"" D64 "\",\"" D64 "\"]}}},"
		"\"pcrs\":{\"sha256\":{\"0\":\"" D64 "\",\"7\":\"" D64 "\"}},"
		"\"comment\":\"x\"}";
	struct hg_policy p;
	const struct hg_policy_entry *e;
	char msg[256];

	(void)state;
	assert_int_equal(parse_capture(text, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.nbanks, 2);
	assert_int_equal(p.banks[0], HG_ALG_SHA256);
	assert_true(hg_policy_accepts_bank(&p, HG_ALG_SHA1));
	assert_false(hg_policy_accepts_bank(&p, HG_ALG_SHA384));
	assert_int_equal(p.pcr, 14);
	assert_true(p.allow_unknown[HG_KIND_IMAGE]);
	assert_false(p.allow_unknown[HG_KIND_HYPERVISOR]);
	assert_int_equal(p.n, 3);
	e = hg_policy_find(&p, HG_KIND_HYPERVISOR, "/a", 2);
	assert_non_null(e);
	assert_true(e->required);
	assert_int_equal(e->nbanks, 2);
	e = hg_policy_find(&p, HG_KIND_IMAGE, "/b", 2);
	assert_non_null(e);
	assert_false(e->required);
	/* Kind is part of the key; prefixes and longer names do not match. */
	assert_null(hg_policy_find(&p, HG_KIND_IMAGE, "/a", 2));
	assert_null(hg_policy_find(&p, HG_KIND_HYPERVISOR, "/", 1));
	assert_null(hg_policy_find(&p, HG_KIND_HYPERVISOR, "/zz", 3));
	assert_non_null(hg_policy_find(&p, HG_KIND_HYPERVISOR, "/zz", 2));
	assert_int_equal(p.pcrs.n, 2);
	hg_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_policies),
		cmocka_unit_test(test_valid_policy_and_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
