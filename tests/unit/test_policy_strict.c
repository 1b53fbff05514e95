/* test_policy_strict.c: the policy's strict parsing (verifier/jsonstrict.h,
 * verifier/policynames.h; issue 11 item 4), as a bad-inputs table in the
 * manner of libcbor's bad_inputs_test.c: each malformed policy pinned to
 * its exact message, file:line:column and JSON path included. Then the
 * cases one row cannot hold (a NUL byte, the size cap, deep nesting),
 * what stays accepted (escapes, CRLF, non-ASCII names in NFC), and where
 * line and column point (characters, not bytes). */
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
#define D64B "81ba2e5503d83a7b5c46308818470ea0226aa6527f22f9e4910c973c69dca1bf"
#define D64U "1493008BA0036014C727BB23BBE2F399135867E9B5C4FE288EF2B4B816F46B0C"
#define D40 "873089486ef1d19c680617dac7a89d1a32b341fa"

/* The head every row shares: 32 characters, so the row's own text starts
 * at column 33 of line 1. */
#define H "{\"version\":1,\"banks\":[\"sha256\"],"
#define E(name, body) "\"" name "\":{\"sha256\":[\"" body "\"]}"

/* Parse TEXT (LEN bytes) with stderr captured; the first line of what was
 * printed goes to MSG. */
static int parse_capture(const char *text, size_t len, struct hg_policy *p,
			 char *msg, size_t n)
{
	char path[] = "/tmp/hg-policy-strict-XXXXXX";
	int fd = mkstemp(path), saved = dup(2), rc;
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	rc = hg_policy_parse("p.json", text, len, p);
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
	/* Duplicate keys, at every depth, also when spelled differently. */
	{ H "\"version\":1}", 
	  "hostgate-verify: p.json:1:33: $.version: duplicate key (first at 1:2)" },
	{ H "\"unknown\":{\"image\":\"deny\",\"image\":\"allow\"}}", 
	  "hostgate-verify: p.json:1:59: $.unknown.image: duplicate key (first at 1:44)" },
	{ H "\"measurements\":{\"hypervisor\":{" E("/q", D64) "," E("/q", D64B) "}}}", 
	  "hostgate-verify: p.json:1:148: $.measurements.hypervisor[\"/q\"]: duplicate key (first at 1:63)" },
	{ H "\"measurements\":{\"hypervisor\":{" E("/q", D64) "},\"hypervisor\":{" E("/q", D64B) "}}}", 
	  "hostgate-verify: p.json:1:149: $.measurements.hypervisor: duplicate key (first at 1:49)" },
	{ H "\"unknown\":{\"image\":\"deny\",\"\\u0069mage\":\"allow\"}}", 
	  "hostgate-verify: p.json:1:59: $.unknown.image: duplicate key (first at 1:44)" },
	{ H "\"measurements\":{\"hypervisor\":{" E("/q", D64) "," E("\\/q", D64B) "}}}", 
	  "hostgate-verify: p.json:1:148: $.measurements.hypervisor[\"/q\"]: duplicate key (first at 1:63)" },
	{ H "\"pcrs\":{\"sha256\":{\"7\":\"" D64 "\",\"7\":\"" D64B "\"}}}", 
	  "hostgate-verify: p.json:1:122: $.pcrs.sha256[\"7\"]: duplicate key (first at 1:51)" },
	{ H "\"firmware\":{\"digest_mismatches\":\"deny\",\"digest_mismatches\":\"allow\"}}", 
	  "hostgate-verify: p.json:1:72: $.firmware.digest_mismatches: duplicate key (first at 1:45)" },
	{ H "\"ek_certificates\":{\"allow_expired\":false,\"allow_expired\":true}}", 
	  "hostgate-verify: p.json:1:74: $.ek_certificates.allow_expired: duplicate key (first at 1:52)" },
	/* NUL, escaped, in a key and in values. */
	{ H "\"measurements\":{\"hypervisor\":{" E("/q\\u0000x", D64) "}}}", 
	  "hostgate-verify: p.json:1:63: $.measurements.hypervisor[\"/q\\u0000x\"]: \\u0000 in a string: a name would end at the NUL" },
	{ H "\"comment\":\"a\\u0000b\"}", 
	  "hostgate-verify: p.json:1:43: $.comment: \\u0000 in a string: a name would end at the NUL" },
	{ H "\"measurements\":{\"hypervisor\":{" E("/q", D64 "\\u0000") "}}}", 
	  "hostgate-verify: p.json:1:79: $.measurements.hypervisor[\"/q\"].sha256[0]: \\u0000 in a string: a name would end at the NUL" },
	/* Comments. */
	{ H "\"pcr\":13 // the hostgate PCR\n}", 
	  "hostgate-verify: p.json:1:42: $.pcr: a comment: JSON has none (notes go in \"comment\")" },
	{ H "/* c */ \"pcr\":13}", 
	  "hostgate-verify: p.json:1:33: $: a comment: JSON has none (notes go in \"comment\")" },
	{ "# policy\n" H "\"pcr\":13}", 
	  "hostgate-verify: p.json:1:1: $: a comment: JSON has none (notes go in \"comment\")" },
	{ H "\"unknown\":{\"image\": # allow\n\"deny\"}}", 
	  "hostgate-verify: p.json:1:53: $.unknown.image: a comment: JSON has none (notes go in \"comment\")" },
	/* Trailing commas. */
	{ "{\"version\":1,\"banks\":[\"sha256\",]}", 
	  "hostgate-verify: p.json:1:32: $.banks: a trailing comma before ']'" },
	{ H "\"pcr\":13,}", 
	  "hostgate-verify: p.json:1:42: $: a trailing comma before '}'" },
	{ H "\"unknown\":{\"image\":\"deny\" , \n }}", 
	  "hostgate-verify: p.json:2:2: $.unknown: a trailing comma before '}'" },
	/* Numbers JSON does not have. */
	{ H "\"pcr\":NaN}", 
	  "hostgate-verify: p.json:1:39: $.pcr: NaN and Infinity are not JSON numbers" },
	{ H "\"pcr\":Infinity}", 
	  "hostgate-verify: p.json:1:39: $.pcr: NaN and Infinity are not JSON numbers" },
	{ H "\"pcr\":-Infinity}", 
	  "hostgate-verify: p.json:1:39: $.pcr: NaN and Infinity are not JSON numbers" },
	{ H "\"pcr\":0xd}", 
	  "hostgate-verify: p.json:1:39: $.pcr: a hexadecimal number: JSON numbers are decimal" },
	{ H "\"pcr\":+13}", 
	  "hostgate-verify: p.json:1:39: $.pcr: a leading '+': not a JSON number" },
	{ H "\"pcr\":013}", 
	  "hostgate-verify: p.json:1:39: $.pcr: a leading zero: not a JSON number" },
	{ H "\"pcr\":-01}", 
	  "hostgate-verify: p.json:1:39: $.pcr: a leading zero: not a JSON number" },
	{ H "\"pcr\":1e999}", 
	  "hostgate-verify: p.json:1:39: $.pcr: a number out of range" },
	{ "{\"version\":99999999999999999999,\"banks\":[\"sha256\"]}", 
	  "hostgate-verify: p.json:1:12: $.version: a number out of range" },
	{ "{\"version\":1.0,\"banks\":[\"sha256\"]}", 
	  "hostgate-verify: p.json:1:2: $.version: missing or not 1" },
	{ H "\"pcr\":13.0}", 
	  "hostgate-verify: p.json:1:33: $.pcr: not a PCR index 0..15" },
	/* Invalid UTF-8, lone surrogates, a BOM. */
	{ H "\"comment\":\"caf\xe9\"}", 
	  "hostgate-verify: p.json:1:47: $.comment: invalid UTF-8 (byte 0xe9)" },
	{ H "\"comment\":\"\xc0\xaf\"}", 
	  "hostgate-verify: p.json:1:44: $.comment: invalid UTF-8 (byte 0xc0)" },
	{ H "\"comment\":\"\xed\xa0\x80\"}", 
	  "hostgate-verify: p.json:1:44: $.comment: invalid UTF-8 (byte 0xed)" },
	{ H "\"comment\":\"\xf4\x90\x80\x80\"}", 
	  "hostgate-verify: p.json:1:44: $.comment: invalid UTF-8 (byte 0xf4)" },
	{ H "\"comment\":\"\xe2\x82\"}", 
	  "hostgate-verify: p.json:1:44: $.comment: invalid UTF-8 (byte 0xe2)" },
	{ H "\"comment\":\"\\ud800\"}", 
	  "hostgate-verify: p.json:1:43: $.comment: invalid Unicode '\\uD800': a lone or misordered UTF-16 surrogate escape" },
	{ H "\"comment\":\"\\udc00\\ud800\"}", 
	  "hostgate-verify: p.json:1:43: $.comment: invalid Unicode '\\uDC00': a lone or misordered UTF-16 surrogate escape" },
	{ H "\"measurements\":{\"image\":{" E("/\\ud83d", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/\\ud83d\"]: invalid Unicode '\\uD83D': a lone or misordered UTF-16 surrogate escape" },
	{ "\xef\xbb\xbf" H "\"pcr\":13}", 
	  "hostgate-verify: p.json:1:1: $: a byte-order mark (U+FEFF): JSON text has none (RFC 8259 §8.1)" },
	/* Not one value. */
	{ H "\"pcr\":13} {}", 
	  "hostgate-verify: p.json:1:43: $: data after the top-level value" },
	{ H "\"pcr\":13}\n[]", 
	  "hostgate-verify: p.json:2:1: $: data after the top-level value" },
	{ H "\"pcr\":13}}", 
	  "hostgate-verify: p.json:1:42: $: data after the top-level value" },
	{ "", 
	  "hostgate-verify: p.json:1:1: $: empty: a policy is a JSON object" },
	{ " \n\t\r\n", 
	  "hostgate-verify: p.json:3:1: $: empty: a policy is a JSON object" },
	{ "\"a policy\"", 
	  "hostgate-verify: p.json:1:1: $: not a JSON object: a policy is one" },
	{ "1", 
	  "hostgate-verify: p.json:1:1: $: not a JSON object: a policy is one" },
	{ H "\"pcr\":13", 
	  "hostgate-verify: p.json:1:41: $.pcr: unexpected end of data" },
	/* Other things JSON refuses. */
	{ H "\"comment\":\"a\tb\"}", 
	  "hostgate-verify: p.json:1:43: $.comment: not JSON: control character 0x9" },
	{ H "\"comment\":\"\\x41\"}", 
	  "hostgate-verify: p.json:1:43: $.comment: not JSON: invalid escape" },
	{ H "'pcr':13}", 
	  "hostgate-verify: p.json:1:33: $: not JSON: string or '}' expected" },
	{ H "pcr:13}", 
	  "hostgate-verify: p.json:1:33: $: not JSON: string or '}' expected" },
	{ H "\"pcr\":13,\"unknown\":{\"image\":deny}}", 
	  "hostgate-verify: p.json:1:61: $.unknown.image: not JSON: invalid token" },
	{ H "\"comment\":\"unterminated}", 
	  "hostgate-verify: p.json:1:57: $.comment: unexpected end of data" },
	/* Names that no record can carry, or that two entries share. */
	{ H "\"measurements\":{\"image\":{" E("/srv/vm.qcow2/", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/vm.qcow2/\"]: not a canonical path (as the log records it): a trailing \"/\"" },
	{ H "\"measurements\":{\"image\":{" E("/srv//vm.qcow2", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv//vm.qcow2\"]: not a canonical path (as the log records it): an empty component \"//\"" },
	{ H "\"measurements\":{\"image\":{" E("/srv/./vm.qcow2", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/./vm.qcow2\"]: not a canonical path (as the log records it): a \".\" or \"..\" component" },
	{ H "\"measurements\":{\"image\":{" E("/srv/../vm.qcow2", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/../vm.qcow2\"]: not a canonical path (as the log records it): a \".\" or \"..\" component" },
	{ H "\"measurements\":{\"image\":{" E("/srv/vm/..", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/vm/..\"]: not a canonical path (as the log records it): a \".\" or \"..\" component" },
	{ H "\"measurements\":{\"image\":{" E("/srv/\\u001b[1mvm", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/\\u001b[1mvm\"]: a control character in the name: the log cannot carry it" },
	{ H "\"measurements\":{\"image\":{" E("/srv/vm\\n", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/vm\\u000a\"]: a control character in the name: the log cannot carry it" },
	{ H "\"measurements\":{\"image\":{" E("/srv/\\u007f", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/\\u007f\"]: a control character in the name: the log cannot carry it" },
	{ H "\"measurements\":{\"image\":{" E("/srv/vm\\u0085", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/vm\\u0085\"]: a control character in the name: the log cannot carry it" },
	{ H "\"measurements\":{\"hypervisor\":{" E("/usr/bin/qemu", D64) "," E("/usr/bin/qemu\\u200b", D64B) "}}}", 
	  "hostgate-verify: p.json:1:159: $.measurements.hypervisor[\"/usr/bin/qemu\\u200b\"]: an invisible or direction-changing character in the name: it displays as another name" },
	{ H "\"measurements\":{\"image\":{" E("/srv/\\u202egpj.exe", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/\\u202egpj.exe\"]: an invisible or direction-changing character in the name: it displays as another name" },
	{ H "\"measurements\":{\"image\":{" E("/srv/vm\xc2\xad" "1", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/vm\\u00ad1\"]: an invisible or direction-changing character in the name: it displays as another name" },
	{ H "\"measurements\":{\"image\":{" E("/srv/\xef\xbb\xbfvm", D64) "}}}", 
	  "hostgate-verify: p.json:1:58: $.measurements.image[\"/srv/\\ufeffvm\"]: an invisible or direction-changing character in the name: it displays as another name" },
	{ H "\"measurements\":{\"hypervisor\":{" E("/usr/bin/qemu", D64) "},\"image\":{" E("/usr/bin/qemu", D64B) "}}}", 
	  "hostgate-verify: p.json:1:169: $.measurements.image[\"/usr/bin/qemu\"]: also listed under hypervisor: a path names one file, of one kind" },
	{ H "\"measurements\":{\"image\":{\"/srv/x\":{\"sha256\":[\"" D64 "\"]}},\"overlay\":{\"/srv/x\":{}}}}", 
	  "hostgate-verify: p.json:1:159: $.measurements.overlay[\"/srv/x\"]: also listed under image: a path names one file, of one kind" },
	{ H "\"measurements\":{\"image\":{" E("/srv/caf\\u00e9", D64) "," E("/srv/cafe\\u0301", D64B) "}}}", 
	  "hostgate-verify: p.json:1:155: $.measurements.image[\"/srv/cafe\xcc\x81\"]: the same name as [\"/srv/caf\xc3\xa9\"] once Unicode-normalised (NFC): two entries that look alike" },
	{ H "\"measurements\":{\"image\":{" E("/srv/\xc3\x85", D64) "," E("/srv/\xe2\x84\xab", D64B) "}}}", 
	  "hostgate-verify: p.json:1:147: $.measurements.image[\"/srv/\xe2\x84\xab\"]: the same name as [\"/srv/\xc3\x85\"] once Unicode-normalised (NFC): two entries that look alike" },
	/* Digests: one spelling. */
	{ H "\"measurements\":{\"image\":{" E("/x", D64U) "}}}", 
	  "hostgate-verify: p.json:1:74: $.measurements.image[\"/x\"].sha256[0]: uppercase hex: write digests in lowercase" },
	{ H "\"pcrs\":{\"sha256\":{\"7\":\"" D64U "\"}}}", 
	  "hostgate-verify: p.json:1:51: $.pcrs.sha256[\"7\"]: uppercase hex: write digests in lowercase" },
	{ H "\"measurements\":{\"image\":{\"/x\":{\"sha256\":[\"" D40 "\"]}}}}", 
	  "hostgate-verify: p.json:1:74: $.measurements.image[\"/x\"].sha256[0]: not 64 hex digits" },
	{ H "\"measurements\":{\"image\":{\"/x\":{\"sha1\":[\"" D64 "\"]}}}}", 
	  "hostgate-verify: p.json:1:72: $.measurements.image[\"/x\"].sha1[0]: not 40 hex digits" },
	{ H "\"measurements\":{\"image\":{\"/x\":{\"sha256\":[]}}}}", 
	  "hostgate-verify: p.json:1:64: $.measurements.image[\"/x\"].sha256: not an array of 1..4096 hex digests" },
	/* Notes are a string. */
	{ H "\"comment\":{\"measurements\":{}}}", 
	  "hostgate-verify: p.json:1:33: $.comment: not a string" },
	{ H "\"comment\":[\"a\",\"b\"]}", 
	  "hostgate-verify: p.json:1:33: $.comment: not a string" },
	/* Unknown keys at every level, their location the key's. */
	{ H "\n  \"measurments\":{}}", 
	  "hostgate-verify: p.json:2:3: $: unknown key \"measurments\"" },
	{ H "\"measurements\":{\"image\":{\"/x\":{\"sha256\":[\"" D64 "\"],\"requird\":false}}}}", 
	  "hostgate-verify: p.json:1:142: $.measurements.image[\"/x\"].requird: not a bank name (sha1, sha256, sha384, sha512) or \"required\"" },
	{ H "\"unknown\":{\"kernel\":\"allow\"}}", 
	  "hostgate-verify: p.json:1:44: $.unknown.kernel: not hypervisor, firmware, config or image, nor overlay or breakglass" },
	{ H "\"unknown\":{\"im age\":\"allow\"}}", 
	  "hostgate-verify: p.json:1:44: $.unknown[\"im age\"]: not hypervisor, firmware, config or image, nor overlay or breakglass" },
	{ H "\"firmware\":{\"secureboot\":true}}", 
	  "hostgate-verify: p.json:1:45: $.firmware: unknown key \"secureboot\"" },
	{ H "\"pcrs\":{\"sha257\":{}}}", 
	  "hostgate-verify: p.json:1:41: $.pcrs.sha257: not a bank name" },
	{ H "\"\\u0000\":1}", 
	  "hostgate-verify: p.json:1:33: $[\"\\u0000\"]: \\u0000 in a string: a name would end at the NUL" },
};

static void test_bad_inputs(void **state)
{
	size_t wrong = 0;

	(void)state;
	hg_progname = "hostgate-verify";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hg_policy p;
		char msg[1024];

		if (parse_capture(bad[i].text, strlen(bad[i].text), &p, msg, sizeof(msg)) != -1) {
			print_error("row %zu: accepted\n", i);
			wrong++;
			hg_policy_free(&p);
			continue;
		}
		if (strcmp(msg, bad[i].msg)) {
			print_error("row %zu: got   \"%s\"\n          want \"%s\"\n", i, msg, bad[i].msg);
			wrong++;
		}
		assert_null(p.entries);   /* nothing half-loaded */
		assert_int_equal(p.n, 0);
		assert_false(p.fw.present);
	}
	assert_int_equal(wrong, 0);
}

/* A raw NUL byte: jansson would read it as the end of the text. */
static void test_nul_byte(void **state)
{
	static const char text[] = H "\"comment\":\"a\0b\"}";
	struct hg_policy p;
	char msg[512];

	(void)state;
	hg_progname = "hostgate-verify";
	assert_int_equal(parse_capture(text, sizeof(text) - 1, &p, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "hostgate-verify: p.json:1:45: $.comment: a NUL byte");
}

/* The size cap, for text (diff's learned policy) and for a file. */
static void test_size_cap(void **state)
{
	size_t n = HG_POLICY_MAX_SIZE + 1;
	char *big = malloc(n + 1), path[] = "/tmp/hg-policy-big-XXXXXX", want[600];
	struct hg_policy p;
	char msg[512];
	FILE *f;
	int fd;

	(void)state;
	hg_progname = "hostgate-verify";
	assert_non_null(big);
	/* A valid policy padded with spaces: only its size is wrong. */
	memset(big, ' ', n);
	memcpy(big, H "\"pcr\":13}", strlen(H "\"pcr\":13}"));
	big[n] = '\0';
	assert_int_equal(parse_capture(big, n, &p, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "hostgate-verify: p.json:1:1: $: larger than 16777216 bytes");
	/* One byte less is accepted. */
	assert_int_equal(parse_capture(big, n - 1, &p, msg, sizeof(msg)), 0);
	hg_policy_free(&p);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(fwrite(big, 1, n, f), n);
	fclose(f);
	{
		char cpath[] = "/tmp/hg-policy-err-XXXXXX";
		int efd = mkstemp(cpath), saved = dup(2), rc;
		FILE *e;

		fflush(stderr);
		dup2(efd, 2);
		rc = hg_policy_load(path, &p);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		e = fdopen(efd, "r");
		rewind(e);
		msg[0] = '\0';
		if (fgets(msg, sizeof(msg), e))
			msg[strcspn(msg, "\n")] = '\0';
		fclose(e);
		unlink(cpath);
		assert_int_equal(rc, -1);
	}
	snprintf(want, sizeof(want), "hostgate-verify: %s: policy larger than 16 MiB", path);
	assert_string_equal(msg, want);
	unlink(path);
	free(big);
}

/* Nesting: deeper than jansson's 2048 levels is refused by the parser;
 * anything deeper than the schema is refused by it. */
static void test_deep_nesting(void **state)
{
	size_t depth = 3000, len = 0;
	char *text = malloc(64 + 2 * depth), *want = malloc(8 * depth), msg[16384];
	struct hg_policy p;

	(void)state;
	hg_progname = "hostgate-verify";
	assert_non_null(text);
	assert_non_null(want);
	len = (size_t)sprintf(text, H "\"comment\":");
	for (size_t i = 0; i < depth; i++)
		text[len++] = '[';
	for (size_t i = 0; i < depth; i++)
		text[len++] = ']';
	text[len++] = '}';
	text[len] = '\0';
	/* jansson stops at the bracket that makes 2049 levels with the
	 * object: the 2048th, at column 33 + 10 + 2047. Its path, 2047 "[0]"
	 * long, is shown by its first and last 240 bytes. */
	{
		size_t w = (size_t)sprintf(want, "hostgate-verify: p.json:1:2090: $.comment");

		for (size_t i = 0; i < 77; i++)
			w += (size_t)sprintf(want + w, "[0]");
		w += (size_t)sprintf(want + w, "...");
		for (size_t i = 0; i < 80; i++)
			w += (size_t)sprintf(want + w, "[0]");
		sprintf(want + w, ": nested deeper than 2048");
	}
	assert_int_equal(parse_capture(text, len, &p, msg, sizeof(msg)), -1);
	assert_string_equal(msg, want);
	/* 100 levels parse, and the schema refuses them. */
	len = (size_t)sprintf(text, H "\"pcrs\":");
	for (size_t i = 0; i < 100; i++)
		text[len++] = '[';
	for (size_t i = 0; i < 100; i++)
		text[len++] = ']';
	text[len++] = '}';
	text[len] = '\0';
	assert_int_equal(parse_capture(text, len, &p, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "hostgate-verify: p.json:1:33: $.pcrs: not an object of banks");
	free(text);
	free(want);
}

/* What stays accepted: JSON's own escapes ("\/" is "/"), CRLF and tabs
 * between tokens, a non-ASCII name in NFC, a name and its NFD twin's
 * absence. The entry found is the one the text names. */
static void test_accepted(void **state)
{
	const char *text =
		"{\r\n\t\"version\": 1,\r\n\t\"banks\": [\"sha256\"],\r\n"
		"\t\"comment\": \"caf\u00e9 \\\\u0000 is text here, // and /* too\",\r\n"
		"\t\"measurements\": {\"image\": {\"\\/srv\\/caf\\u00e9\": {\"sha256\": [\"" D64 "\"]},\r\n"
		"\t\t\"/srv/\xc3\x85\": {\"sha256\": [\"" D64B "\"]}}}\r\n}\r\n";
	struct hg_policy p;
	char msg[512];

	(void)state;
	hg_progname = "hostgate-verify";
	assert_int_equal(parse_capture(text, strlen(text), &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.n, 2);
	assert_non_null(hg_policy_find(&p, HG_KIND_IMAGE, "/srv/caf\xc3\xa9", 10));
	assert_non_null(hg_policy_find(&p, HG_KIND_IMAGE, "/srv/\xc3\x85", 7));
	/* Names are bytes: the NFD spelling is another name, not in it. */
	assert_null(hg_policy_find(&p, HG_KIND_IMAGE, "/srv/cafe\xcc\x81", 11));
	hg_policy_free(&p);
	/* A digest listed twice is harmless (a list is a set): scripts that
	 * append a digest (tests/integration/libvirt.sh policy_allow) may. */
	text = H "\"measurements\":{\"image\":{\"/x\":{\"sha256\":[\"" D64 "\",\"" D64 "\"]}}}}";
	assert_int_equal(parse_capture(text, strlen(text), &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.entries[0].banks[0].n, 2);
	hg_policy_free(&p);
}

/* Line and column: lines counted by LF (a CR is a character), columns
 * in characters, so a multi-byte character before the error counts once. */
static void test_line_column(void **state)
{
	const char *text =
		"{\"version\": 1,\n"
		"  \"banks\": [\"sha256\"],\n"
		"  \"comment\": \"\xc3\xa9\xc3\xa9\xe2\x82\xac\", \"pcr\": 013\n"
		"}\n";
	struct hg_policy p;
	char msg[512];

	(void)state;
	hg_progname = "hostgate-verify";
	assert_int_equal(parse_capture(text, strlen(text), &p, msg, sizeof(msg)), -1);
	/* Column: 2 spaces, "comment" (9), ": " (2), the string (5 characters),
	 * ", " (2), "pcr" (5), ": " (2), then 013 at 28. */
	assert_string_equal(msg, "hostgate-verify: p.json:3:28: $.pcr: a leading zero: not a JSON number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_line_column),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
