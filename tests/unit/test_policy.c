/* test_policy.c: the policy parser's bad-inputs table (each malformed
 * policy pinned to its exact message, JSON path included), a valid policy
 * parsed in full, lookups over sorted entries, overlay entries (no
 * digests), the firmware section and its digest lists, and the judge (verifier/judge.h): which records are judged
 * (host kinds all, workloads their latest), --workload scoping, required
 * entries, overlays, and the bound on distinct workloads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../verifier/judge.h"
#include "../../verifier/policy.h"
#include "../../lib/cel.h"
#include "../../lib/util.h"

#define D64 "1493008ba0036014c727bb23bbe2f399135867e9b5c4fe288ef2b4b816f46b0c"
#define D40 "873089486ef1d19c680617dac7a89d1a32b341fa"
#define D64B "81ba2e5503d83a7b5c46308818470ea0226aa6527f22f9e4910c973c69dca1bf"

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

#define EKCPOL(e) "{\"version\":1,\"banks\":[\"sha256\"],\"ek_certificates\":" e "}"
#define FWPOL(fw) "{\"version\":1,\"banks\":[\"sha256\"],\"firmware\":" fw "}"

static const struct {
	const char *text;
	const char *msg;
} bad[] = {
	{ "", "hostgate-verify: p.json:1:1: $: empty: a policy is a JSON object" },
	{ "{\"version\": 1,", "hostgate-verify: p.json:1:15: $: unexpected end of data" },
	{ "{\"version\":1,\"banks\":[\"sha256\"]} x", "hostgate-verify: p.json:1:34: $: data after the top-level value" },
	{ "[]", "hostgate-verify: p.json:1:1: $: policy is not a JSON object" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurment\":{}}", "hostgate-verify: p.json:1:33: $: unknown key \"measurment\"" },
	{ "{\"banks\":[\"sha256\"]}", "hostgate-verify: p.json:1:1: $.version: missing or not 1" },
	{ "{\"version\":2,\"banks\":[\"sha256\"]}", "hostgate-verify: p.json:1:2: $.version: missing or not 1" },
	{ "{\"version\":\"1\",\"banks\":[\"sha256\"]}", "hostgate-verify: p.json:1:2: $.version: missing or not 1" },
	{ "{\"version\":1}", "hostgate-verify: p.json:1:1: $.banks: missing: list the accepted PCR banks, e.g. [\"sha256\"]" },
	{ "{\"version\":1,\"banks\":[]}", "hostgate-verify: p.json:1:14: $.banks: not an array of 1..5 bank names" },
	{ "{\"version\":1,\"banks\":[\"md5\"]}", "hostgate-verify: p.json:1:23: $.banks[0]: not sha1, sha256, sha384 or sha512" },
	{ "{\"version\":1,\"banks\":[\"sha256\",\"sha256\"]}", "hostgate-verify: p.json:1:32: $.banks[1]: bank listed twice" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcr\":16}", "hostgate-verify: p.json:1:33: $.pcr: not a PCR index 0..15" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"unknown\":{\"image\":\"maybe\"}}", "hostgate-verify: p.json:1:44: $.unknown.image: not \"allow\" or \"deny\"" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"unknown\":{\"kernel\":\"allow\"}}", "hostgate-verify: p.json:1:44: $.unknown.kernel: not hypervisor, firmware, config or image, nor overlay or breakglass" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"kernel\":{}}}", "hostgate-verify: p.json:1:49: $.measurements.kernel: not hypervisor, firmware, config or image, nor overlay or breakglass" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"x.img\":{\"sha256\":[\"" D64 "\"]}}}}", "hostgate-verify: p.json:1:58: $.measurements.image[\"x.img\"]: name is not an absolute path" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"sha256\":[\"abcd\"]}}}}", "hostgate-verify: p.json:1:74: $.measurements.image[\"/x\"].sha256[0]: not 64 hex digits" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"sha256\":[\"" D64 "\", \"" D40 "\"]}}}}", "hostgate-verify: p.json:1:142: $.measurements.image[\"/x\"].sha256[1]: not 64 hex digits" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"sha256\":[]}}}}", "hostgate-verify: p.json:1:64: $.measurements.image[\"/x\"].sha256: not an array of 1..4096 hex digests" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"md5\":[\"" D64 "\"]}}}}", "hostgate-verify: p.json:1:64: $.measurements.image[\"/x\"].md5: not a bank name (sha1, sha256, sha384, sha512) or \"required\"" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"required\":1,\"sha256\":[\"" D64 "\"]}}}}", "hostgate-verify: p.json:1:64: $.measurements.image[\"/x\"].required: not true or false" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"image\":{\"/x\":{\"required\":false}}}}", "hostgate-verify: p.json:1:58: $.measurements.image[\"/x\"]: no digests" },
	/* overlays are logged by path: their entries take no digests ... */
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"overlay\":{\"/o\":{\"sha256\":[\"" D64 "\"]}}}}", "hostgate-verify: p.json:1:66: $.measurements.overlay[\"/o\"].sha256: an overlay is recorded by path only: its entry takes no digests, only \"required\"" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"overlay\":{\"/o\":{\"required\":true,\"md5\":1}}}}", "hostgate-verify: p.json:1:82: $.measurements.overlay[\"/o\"].md5: an overlay is recorded by path only: its entry takes no digests, only \"required\"" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"overlay\":{\"/o\":true}}}", "hostgate-verify: p.json:1:60: $.measurements.overlay[\"/o\"]: not an object: {} or {\"required\": true|false}" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"overlay\":{\"o\":{}}}}", "hostgate-verify: p.json:1:60: $.measurements.overlay.o: name is not an absolute path" },
	/* ... and every other kind's must list some */
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"config\":{\"/c\":{}}}}", "hostgate-verify: p.json:1:59: $.measurements.config[\"/c\"]: no digests" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"measurements\":{\"breakglass\":{\"/b\":{\"required\":false}}}}", "hostgate-verify: p.json:1:63: $.measurements.breakglass[\"/b\"]: no digests" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"unknown\":{\"overlay\":\"yes\"}}", "hostgate-verify: p.json:1:44: $.unknown.overlay: not \"allow\" or \"deny\"" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha256\":{\"24\":\"" D64 "\"}}}", "hostgate-verify: p.json:1:51: $.pcrs.sha256[\"24\"]: not a PCR index 0..23" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha256\":{\"01\":\"" D64 "\"}}}", "hostgate-verify: p.json:1:51: $.pcrs.sha256[\"01\"]: not a PCR index 0..23" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha1\":{\"0\":\"" D64 "\"}}}", "hostgate-verify: p.json:1:49: $.pcrs.sha1[\"0\"]: not 40 hex digits" },
	{ "{\"version\":1,\"banks\":[\"sha256\"],\"pcrs\":{\"sha256\":{\"0\":7}}}", "hostgate-verify: p.json:1:51: $.pcrs.sha256[\"0\"]: not a string" },
	/* the firmware section (policies/README.md "Firmware") */
	{ FWPOL("[]"), "hostgate-verify: p.json:1:33: $.firmware: not an object of firmware rules" },
	{ FWPOL("{\"secureboot\":true}"), "hostgate-verify: p.json:1:45: $.firmware: unknown key \"secureboot\"" },
	{ FWPOL("{\"comment\":\"x\"}"), "hostgate-verify: p.json:1:45: $.firmware: unknown key \"comment\"" },
	{ FWPOL("{\"secure_boot\":1}"), "hostgate-verify: p.json:1:45: $.firmware.secure_boot: not true (require enabled) or false (require disabled)" },
	{ FWPOL("{\"secure_boot\":\"true\"}"), "hostgate-verify: p.json:1:45: $.firmware.secure_boot: not true (require enabled) or false (require disabled)" },
	{ FWPOL("{\"digest_mismatches\":\"warn\"}"), "hostgate-verify: p.json:1:45: $.firmware.digest_mismatches: not \"allow\" or \"deny\"" },
	{ FWPOL("{\"digest_mismatches\":false}"), "hostgate-verify: p.json:1:45: $.firmware.digest_mismatches: not \"allow\" or \"deny\"" },
	{ FWPOL("{\"boot_apps\":[\"" D64 "\"]}"), "hostgate-verify: p.json:1:45: $.firmware.boot_apps: not an object of digests per bank, e.g. {\"sha256\": [...]}" },
	{ FWPOL("{\"boot_apps\":{}}"), "hostgate-verify: p.json:1:45: $.firmware.boot_apps: no digests" },
	{ FWPOL("{\"boot_apps\":{\"md5\":[\"" D64 "\"]}}"), "hostgate-verify: p.json:1:58: $.firmware.boot_apps.md5: not a bank name (sha1, sha256, sha384, sha512)" },
	{ FWPOL("{\"boot_apps\":{\"required\":true}}"), "hostgate-verify: p.json:1:58: $.firmware.boot_apps.required: not a bank name (sha1, sha256, sha384, sha512)" },
	{ FWPOL("{\"boot_apps\":{\"sha256\":[]}}"), "hostgate-verify: p.json:1:58: $.firmware.boot_apps.sha256: not an array of 1..4096 hex digests" },
	{ FWPOL("{\"boot_apps\":{\"sha256\":\"" D64 "\"}}"), "hostgate-verify: p.json:1:58: $.firmware.boot_apps.sha256: not an array of 1..4096 hex digests" },
	{ FWPOL("{\"boot_apps\":{\"sha256\":[\"" D64 "\",\"" D40 "\"]}}"), "hostgate-verify: p.json:1:135: $.firmware.boot_apps.sha256[1]: not 64 hex digits" },
	{ FWPOL("{\"pk\":{\"sha1\":[\"" D64 "\"]}}"), "hostgate-verify: p.json:1:59: $.firmware.pk.sha1[0]: not 40 hex digits" },
	{ FWPOL("{\"kek\":{\"sha256\":[7]}}"), "hostgate-verify: p.json:1:62: $.firmware.kek.sha256[0]: not a string" },
	{ FWPOL("{\"db\":null}"), "hostgate-verify: p.json:1:45: $.firmware.db: not an object of digests per bank, e.g. {\"sha256\": [...]}" },
	{ FWPOL("{\"dbx\":{\"sha256\":[\"" D64 "\"],\"sha384\":[\"" D64 "\"]}}"), "hostgate-verify: p.json:1:140: $.firmware.dbx.sha384[0]: not 96 hex digits" },
	{ FWPOL("{\"PK\":{\"sha256\":[\"" D64 "\"]}}"), "hostgate-verify: p.json:1:45: $.firmware: unknown key \"PK\"" },
	/* the enrollment exceptions (policies/README.md "EK certificates") */
	{ EKCPOL("[]"), "hostgate-verify: p.json:1:33: $.ek_certificates: not an object" },
	{ EKCPOL("{\"allow_expired\":1}"), "hostgate-verify: p.json:1:52: $.ek_certificates.allow_expired: not true or false" },
	{ EKCPOL("{\"allow_any_eku\":\"yes\"}"), "hostgate-verify: p.json:1:52: $.ek_certificates.allow_any_eku: not true or false" },
	{ EKCPOL("{\"allow_self_signed\":true}"), "hostgate-verify: p.json:1:52: $.ek_certificates: unknown key \"allow_self_signed\"" },
};

static void test_bad_policies(void **state)
{
	size_t wrong = 0;

	(void)state;
	hg_progname = "hostgate-verify";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hg_policy p;
		char msg[512];

		assert_int_equal(parse_capture(bad[i].text, &p, msg, sizeof(msg)), -1);
		/* Every wrong row is printed, so one run shows them all. */
		if (strcmp(msg, bad[i].msg)) {
			print_error("row %zu: got   \"%s\"\n          want \"%s\"\n", i, msg, bad[i].msg);
			wrong++;
		}
		assert_null(p.entries);   /* freed on failure */
		assert_false(p.fw.present);
		for (int l = 0; l < HG_FW_NLISTS; l++)
			assert_int_equal(p.fw.list[l].nbanks, 0);
	}
	assert_int_equal(wrong, 0);
}

static void test_valid_policy_and_lookup(void **state)
{
	const char *text =
		"{\"version\":1,\"banks\":[\"sha256\",\"sha1\"],\"pcr\":14,"
		"\"unknown\":{\"image\":\"allow\"},"
		"\"measurements\":{"
		" \"image\":{\"/b\":{\"sha256\":[\"" D64 "\"],\"required\":false}},"
		" \"hypervisor\":{\"/z\":{\"sha256\":[\"" D64 "\"]},"
		"                 \"/a\":{\"sha1\":[\"" D40 "\"],\"sha256\":[\"" D64 "\",\"" D64B "\"]}}},"
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

static void test_overlay_entries_and_unknown_kinds(void **state)
{
	const char *text =
		"{\"version\":1,\"banks\":[\"sha256\"],"
		"\"unknown\":{\"overlay\":\"allow\",\"breakglass\":\"deny\",\"config\":\"allow\"},"
		"\"measurements\":{"
		" \"overlay\":{\"/var/lib/libvirt/images/vm1.qcow2\":{},"
		"              \"/var/lib/libvirt/images/vm2.qcow2\":{\"required\":false}},"
		" \"breakglass\":{\"/etc/hostgate/breakglass\":{\"sha256\":[\"" D64 "\"],\"required\":false}}}}";
	struct hg_policy p;
	const struct hg_policy_entry *e;
	char msg[256];

	(void)state;
	assert_int_equal(parse_capture(text, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.n, 3);
	e = hg_policy_find(&p, HG_KIND_OVERLAY, "/var/lib/libvirt/images/vm1.qcow2", 33);
	assert_non_null(e);
	assert_int_equal(e->nbanks, 0);
	assert_true(e->required);
	e = hg_policy_find(&p, HG_KIND_OVERLAY, "/var/lib/libvirt/images/vm2.qcow2", 33);
	assert_non_null(e);
	assert_false(e->required);
	/* the kind is part of the key */
	assert_null(hg_policy_find(&p, HG_KIND_IMAGE, "/var/lib/libvirt/images/vm1.qcow2", 33));
	e = hg_policy_find(&p, HG_KIND_BREAKGLASS, "/etc/hostgate/breakglass", 24);
	assert_non_null(e);
	assert_int_equal(e->nbanks, 1);
	assert_true(p.allow_unknown[HG_KIND_OVERLAY]);
	assert_true(p.allow_unknown[HG_KIND_CONFIG]);
	assert_false(p.allow_unknown[HG_KIND_BREAKGLASS]);
	assert_false(p.allow_unknown[HG_KIND_IMAGE]);
	hg_policy_free(&p);

	/* Without "unknown", every kind is denied, the new ones included. */
	assert_int_equal(parse_capture("{\"version\":1,\"banks\":[\"sha256\"]}", &p, msg,
				       sizeof(msg)), 0);
	for (int k = HG_KIND_NONE + 1; k < HG_KIND_MAX; k++)
		assert_false(p.allow_unknown[k]);
	hg_policy_free(&p);
}

static void digest_of(const char *hex, struct hg_digests *d);

/* The firmware section: every rule, several banks, defaults. */
/* Absent, each flag alone, both: only true relaxes a rule. */
static void test_ek_certificates_section(void **state)
{
	static const struct {
		const char *text;
		int expired, eku;
	} rows[] = {
		{ "{\"version\":1,\"banks\":[\"sha256\"]}", 0, 0 },
		{ EKCPOL("{}"), 0, 0 },
		{ EKCPOL("{\"allow_expired\":true}"), 1, 0 },
		{ EKCPOL("{\"allow_any_eku\":true,\"allow_expired\":false}"), 0, 1 },
		{ EKCPOL("{\"allow_any_eku\":true,\"allow_expired\":true}"), 1, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hg_policy p;
		char msg[256];

		assert_int_equal(parse_capture(rows[i].text, &p, msg, sizeof(msg)), 0);
		assert_int_equal(p.ekc.allow_expired, rows[i].expired);
		assert_int_equal(p.ekc.allow_any_eku, rows[i].eku);
		hg_policy_free(&p);
	}
}

static void test_firmware_section(void **state)
{
	const char *text = FWPOL(
		"{\"secure_boot\":true,"
		" \"boot_apps\":{\"sha256\":[\"" D64 "\",\"" D64B "\"],\"sha1\":[\"" D40 "\"]},"
		" \"pk\":{\"sha256\":[\"" D64 "\"]},\"kek\":{\"sha256\":[\"" D64 "\"]},"
		" \"db\":{\"sha256\":[\"" D64B "\"]},\"dbx\":{\"sha1\":[\"" D40 "\"]},"
		" \"digest_mismatches\":\"allow\"}");
	const struct hg_policy_fwlist *l;
	struct hg_policy p;
	char msg[256];

	(void)state;
	assert_int_equal(parse_capture(text, &p, msg, sizeof(msg)), 0);
	assert_true(p.fw.present);
	assert_int_equal(p.fw.secure_boot, HG_FW_SB_ENABLED);
	assert_true(p.fw.allow_digest_mismatches);
	l = &p.fw.list[HG_FW_BOOT_APPS];
	assert_int_equal(l->nbanks, 2);
	for (size_t b = 0; b < 2; b++)
		assert_int_equal(l->banks[b].n, l->banks[b].alg == HG_ALG_SHA256 ? 2 : 1);
	for (int i = HG_FW_PK; i <= HG_FW_DBX; i++)
		assert_int_equal(p.fw.list[i].nbanks, 1);
	assert_int_equal(p.fw.list[HG_FW_DBX].banks[0].alg, HG_ALG_SHA1);
	assert_string_equal(hg_policy_fw_list_name(HG_FW_BOOT_APPS), "boot_apps");
	assert_string_equal(hg_policy_fw_list_name(HG_FW_DBX), "dbx");
	assert_int_equal(hg_policy_fw_pcrs(&p), (1u << 4) | (1u << 7));
	hg_policy_free(&p);
	assert_false(p.fw.present);

	/* secure_boot false requires it disabled; an empty section judges
	 * no list but still denies digest mismatches (and needs a log) */
	assert_int_equal(parse_capture(FWPOL("{\"secure_boot\":false,\"digest_mismatches\":\"deny\"}"),
				       &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.fw.secure_boot, HG_FW_SB_DISABLED);
	assert_false(p.fw.allow_digest_mismatches);
	assert_int_equal(hg_policy_fw_pcrs(&p), 1u << 7);
	hg_policy_free(&p);
	assert_int_equal(parse_capture(FWPOL("{\"boot_apps\":{\"sha256\":[\"" D64 "\"]}}"),
				       &p, msg, sizeof(msg)), 0);
	assert_int_equal(hg_policy_fw_pcrs(&p), 1u << 4);
	hg_policy_free(&p);
	assert_int_equal(parse_capture(FWPOL("{\"dbx\":{\"sha256\":[\"" D64 "\"]}}"),
				       &p, msg, sizeof(msg)), 0);
	assert_int_equal(hg_policy_fw_pcrs(&p), 1u << 7);
	hg_policy_free(&p);
	assert_int_equal(parse_capture(FWPOL("{}"), &p, msg, sizeof(msg)), 0);
	assert_true(p.fw.present);
	assert_int_equal(p.fw.secure_boot, HG_FW_SB_ANY);
	assert_false(p.fw.allow_digest_mismatches);
	for (int i = 0; i < HG_FW_NLISTS; i++)
		assert_int_equal(p.fw.list[i].nbanks, 0);
	assert_int_equal(hg_policy_fw_pcrs(&p), 0);
	hg_policy_free(&p);
	/* without the section, nothing is judged */
	assert_int_equal(parse_capture("{\"version\":1,\"banks\":[\"sha256\"]}", &p, msg,
				       sizeof(msg)), 0);
	assert_false(p.fw.present);
	hg_policy_free(&p);
}

/* hg_policy_fw_allows: every bank listed, accepted and logged must match. */
static void test_firmware_allows(void **state)
{
	const char *text =
		"{\"version\":1,\"banks\":[\"sha256\",\"sha1\"],\"firmware\":"
		"{\"boot_apps\":{\"sha256\":[\"" D64 "\"],\"sha1\":[\"" D40 "\"]},"
		" \"pk\":{\"sha384\":[\"" D64 "0123456789abcdef0123456789abcdef\"]}}}";
	struct hg_policy p;
	struct hg_digests d;
	const struct hg_digest *miss;
	char msg[256];

	(void)state;
	assert_int_equal(parse_capture(text, &p, msg, sizeof(msg)), 0);
	digest_of(D64, &d);
	assert_int_equal(hg_policy_fw_allows(&p, HG_FW_BOOT_APPS, &d, NULL), 1);
	digest_of(D64B, &d);
	miss = NULL;
	assert_int_equal(hg_policy_fw_allows(&p, HG_FW_BOOT_APPS, &d, &miss), 0);
	assert_ptr_equal(miss, &d.v[0]);
	/* sha256 matches, sha1 does not: refused, naming the sha1 digest */
	digest_of(D64, &d);
	d.v[1].alg = HG_ALG_SHA1;
	d.v[1].len = 20;
	memset(d.v[1].d, 0xaa, 20);
	d.n = 2;
	assert_int_equal(hg_policy_fw_allows(&p, HG_FW_BOOT_APPS, &d, &miss), 0);
	assert_int_equal(miss->alg, HG_ALG_SHA1);
	/* pk lists only sha384, which the policy does not accept */
	assert_int_equal(hg_policy_fw_allows(&p, HG_FW_PK, &d, &miss), -1);
	/* a list the policy does not set compares nothing */
	assert_int_equal(hg_policy_fw_allows(&p, HG_FW_DB, &d, &miss), -1);
	hg_policy_free(&p);
}

/* ---- the judge ---- */

/* Records built with the real encoder and decoded (the judge borrows
 * their bytes, as it borrows the evidence's). */
#define MAXRECS 16
struct recs {
	struct cw w[MAXRECS];
	struct hg_cel_rec r[MAXRECS];
	size_t n;
};

static void digest_of(const char *hex, struct hg_digests *d)
{
	uint8_t *b = NULL;
	size_t len = 0;

	assert_int_equal(hg_hex_decode(hex, HG_MAX_DIGEST, &b, &len), 0);
	assert_int_equal(len, 32);
	memset(d, 0, sizeof(*d));
	d->v[0].alg = HG_ALG_SHA256;
	d->v[0].len = 32;
	memcpy(d->v[0].d, b, 32);
	d->n = 1;
	free(b);
}

/* Append a record; HEX NULL makes an overlay (by path). */
static const struct hg_cel_rec *add(struct recs *rs, enum hg_kind kind,
				    const char *name, const char *hex)
{
	static const uint16_t sha256[] = { HG_ALG_SHA256 };
	struct cw *w = &rs->w[rs->n];
	const char *why = "?";

	assert_true(rs->n < MAXRECS);
	cw_init(w);
	if (hex) {
		struct hg_digests d;

		digest_of(hex, &d);
		assert_int_equal(hg_cel_encode_file(rs->n + 1, 13, kind, name, 1, &d, w), 0);
	} else {
		assert_int_equal(hg_cel_encode_path(rs->n + 1, 13, kind, name, sha256, 1, w), 0);
	}
	assert_int_equal(hg_cel_decode(w->buf, w->len, &rs->r[rs->n], &why), 0);
	return &rs->r[rs->n++];
}

static void recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		cw_free(&rs->w[i]);
	rs->n = 0;
}

#define JPOL(extra) \
	"{\"version\":1,\"banks\":[\"sha256\"]," extra "\"measurements\":{" \
	" \"hypervisor\":{\"/usr/bin/qemu\":{\"sha256\":[\"" D64 "\"]}}," \
	" \"config\":{\"/etc/libvirt/qemu/vm1.xml\":{\"sha256\":[\"" D64 "\"]}," \
	"             \"/etc/libvirt/qemu/vm2.xml\":{\"sha256\":[\"" D64 "\"],\"required\":false}}," \
	" \"overlay\":{\"/var/lib/libvirt/images/vm1.qcow2\":{\"required\":false}}}}"

/* Feed RS to a judge over POLICY scoped to WL; returns the failures,
 * FIRST gets the first reason, FAILS (may be NULL) the JSON list. */
static size_t judge(const char *policy, const struct recs *rs,
		    const struct hv_workload *wl, size_t nwl, char *first,
		    json_object **fails)
{
	struct hg_policy p;
	struct hv_judge j;
	char msg[256];
	size_t n;

	assert_int_equal(parse_capture(policy, &p, msg, sizeof(msg)), 0);
	assert_int_equal(hv_judge_init(&j, &p, wl, nwl, 1), 0);
	for (size_t i = 0; i < rs->n; i++)
		hv_judge_record(&j, &rs->r[i]);
	hv_judge_finish(&j);
	n = j.n;
	strcpy(first, n ? j.first_why : "");
	if (fails)
		*fails = json_object_get(j.fails);
	hv_judge_free(&j);
	hg_policy_free(&p);
	return n;
}

static void base_host(struct recs *rs)
{
	add(rs, HG_KIND_HYPERVISOR, "/usr/bin/qemu", D64);
}

/* A workload's later record supersedes the earlier: refused, fixed,
 * started again, trusted. The reverse is untrusted, naming the latest. */
static void test_judge_workload_latest(void **state)
{
	struct recs rs = { 0 };
	char first[256];

	(void)state;
	base_host(&rs);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64B);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 0);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64B);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 1);
	assert_string_equal(first, "record 4: config /etc/libvirt/qemu/vm1.xml: digest not allowed by the policy");
	recs_free(&rs);

	/* a path names one file, of one kind: a later record of the name
	 * under another kind supersedes it, and is judged by its own kind
	 * (the config entry, now unseen, is required too) */
	base_host(&rs);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	add(&rs, HG_KIND_IMAGE, "/etc/libvirt/qemu/vm1.xml", D64);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 2);
	assert_string_equal(first, "record 3: image /etc/libvirt/qemu/vm1.xml is not in the policy");
	/* and the other way round: the config is judged, the image not */
	recs_free(&rs);
	base_host(&rs);
	add(&rs, HG_KIND_IMAGE, "/etc/libvirt/qemu/vm1.xml", D64B);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 0);
	/* a named workload must match the latest record's kind */
	{
		const struct hv_workload wl[] = { { HG_KIND_IMAGE, "/etc/libvirt/qemu/vm1.xml" } };

		assert_int_equal(judge(JPOL(""), &rs, wl, 1, first, NULL), 1);
		assert_string_equal(first, "image /etc/libvirt/qemu/vm1.xml was not measured");
	}
	recs_free(&rs);
}

/* Host kinds accumulate: a good record after a bad one does not undo it. */
static void test_judge_host_cumulative(void **state)
{
	struct recs rs = { 0 };
	char first[256];

	(void)state;
	add(&rs, HG_KIND_HYPERVISOR, "/usr/bin/qemu", D64B);
	add(&rs, HG_KIND_HYPERVISOR, "/usr/bin/qemu", D64);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 1);
	assert_string_equal(first, "record 1: hypervisor /usr/bin/qemu: digest not allowed by the policy");
	recs_free(&rs);

	/* breakglass is a host kind, denied unless listed */
	base_host(&rs);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	add(&rs, HG_KIND_BREAKGLASS, "/etc/hostgate/breakglass", D64);
	assert_int_equal(judge(JPOL("\"unknown\":{\"config\":\"allow\",\"overlay\":\"allow\"},"),
			       &rs, NULL, 0, first, NULL), 1);
	assert_string_equal(first, "record 3: breakglass /etc/hostgate/breakglass is not in the policy");
	/* and judged even when the check is scoped to a workload */
	{
		const struct hv_workload wl[] = { { HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml" } };

		assert_int_equal(judge(JPOL(""), &rs, wl, 1, first, NULL), 1);
		assert_string_equal(first, "record 3: breakglass /etc/hostgate/breakglass is not in the policy");
	}
	recs_free(&rs);
}

/* --workload: only the named workloads, each must be measured; other
 * workloads' records, and their required entries, are not judged. */
static void test_judge_scoped(void **state)
{
	const struct hv_workload vm1[] = { { HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml" } };
	const struct hv_workload vm2[] = { { HG_KIND_CONFIG, "/etc/libvirt/qemu/vm2.xml" } };
	const struct hv_workload vm3[] = {
		{ HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml" },
		{ HG_KIND_CONFIG, "/etc/libvirt/qemu/vm3.xml" },
	};
	struct recs rs = { 0 };
	json_object *fails, *f;
	char first[256];

	(void)state;
	base_host(&rs);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm2.xml", D64B);
	add(&rs, HG_KIND_IMAGE, "/srv/other.img", D64B);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 2);
	assert_int_equal(judge(JPOL(""), &rs, vm1, 1, first, NULL), 0);
	assert_int_equal(judge(JPOL(""), &rs, vm2, 1, first, NULL), 1);
	assert_string_equal(first, "record 3: config /etc/libvirt/qemu/vm2.xml: digest not allowed by the policy");
	assert_int_equal(judge(JPOL(""), &rs, vm3, 2, first, &fails), 1);
	assert_string_equal(first, "config /etc/libvirt/qemu/vm3.xml was not measured");
	f = json_object_array_get_idx(fails, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(f, "kind")), "config");
	assert_string_equal(json_object_get_string(json_object_object_get(f, "name")),
			    "/etc/libvirt/qemu/vm3.xml");
	json_object_put(fails);
	recs_free(&rs);

	/* required: unscoped, vm1's config must be there; scoped to vm2,
	 * vm1 not having started is not vm2's problem. */
	base_host(&rs);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm2.xml", D64);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 1);
	assert_string_equal(first, "config /etc/libvirt/qemu/vm1.xml is required but was not measured");
	assert_int_equal(judge(JPOL(""), &rs, vm2, 1, first, NULL), 0);
	recs_free(&rs);
	/* a required host entry stays required when scoped */
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm2.xml", D64);
	assert_int_equal(judge(JPOL(""), &rs, vm2, 1, first, NULL), 1);
	assert_string_equal(first, "hypervisor /usr/bin/qemu is required but was not measured");
	recs_free(&rs);
}

/* An overlay is allowed by its path; its failure shows no digest. */
static void test_judge_overlay(void **state)
{
	const struct hv_workload ovl[] = {
		{ HG_KIND_OVERLAY, "/var/lib/libvirt/images/vm1.qcow2" },
	};
	struct recs rs = { 0 };
	json_object *fails, *f;
	char first[256];

	(void)state;
	base_host(&rs);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	add(&rs, HG_KIND_OVERLAY, "/var/lib/libvirt/images/vm1.qcow2", NULL);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, NULL), 0);
	assert_int_equal(judge(JPOL(""), &rs, ovl, 1, first, NULL), 0);
	add(&rs, HG_KIND_OVERLAY, "/var/lib/libvirt/images/vm9.qcow2", NULL);
	assert_int_equal(judge(JPOL(""), &rs, NULL, 0, first, &fails), 1);
	assert_string_equal(first, "record 4: overlay /var/lib/libvirt/images/vm9.qcow2 is not in the policy");
	f = json_object_array_get_idx(fails, 0);
	assert_int_equal(json_object_get_int(json_object_object_get(f, "record")), 4);
	assert_string_equal(json_object_get_string(json_object_object_get(f, "kind")), "overlay");
	assert_null(json_object_object_get(f, "digest"));
	json_object_put(fails);
	/* unknown overlays may be allowed */
	assert_int_equal(judge(JPOL("\"unknown\":{\"overlay\":\"allow\"},"), &rs, NULL, 0,
			       first, NULL), 0);
	/* a hashed workload's failure keeps its digest and what is allowed */
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64B);
	assert_int_equal(judge(JPOL("\"unknown\":{\"overlay\":\"allow\"},"), &rs, NULL, 0,
			       first, &fails), 1);
	f = json_object_array_get_idx(fails, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_object_get(f, "digest"), "sha256")), D64B);
	assert_non_null(json_object_object_get(f, "allowed"));
	json_object_put(fails);
	recs_free(&rs);
}

/* The table keeps at most HV_MAX_WORKLOADS distinct names, compacting
 * as records stream by; the latest record still wins after compaction,
 * and one name more fails the check instead of growing. */
static void test_judge_workload_bound(void **state)
{
	struct recs rs = { 0 };
	struct hg_policy p;
	struct hv_judge j;
	char msg[256], *names;
	const size_t stride = 24;
	uint64_t recnum = 10;
	const struct hg_cel_rec *host, *filler, *good, *worse;

	(void)state;
	host = add(&rs, HG_KIND_HYPERVISOR, "/usr/bin/qemu", D64);
	filler = add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/filler.xml", D64B);
	good = add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	worse = add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64B);
	names = calloc(HV_MAX_WORKLOADS + 1, stride);
	assert_non_null(names);
	for (size_t i = 0; i <= HV_MAX_WORKLOADS; i++)
		snprintf(names + i * stride, stride, "/w/%zu", i);
	assert_int_equal(parse_capture(JPOL("\"unknown\":{\"config\":\"allow\"},"), &p, msg,
				       sizeof(msg)), 0);

	for (int round = 0; round < 3; round++) {
		struct hg_cel_rec r;

		assert_int_equal(hv_judge_init(&j, &p, NULL, 0, 0), 0);
		hv_judge_record(&j, host);
		/* vm1: bad first (round 0, 2) or good first (round 1) */
		r = round == 1 ? *good : *worse;
		r.recnum = recnum++;
		hv_judge_record(&j, &r);
		/* three passes over HV_MAX_WORKLOADS - 1 other names: many
		 * compactions, never more distinct names than the limit */
		for (int pass = 0; pass < 3; pass++) {
			for (size_t i = 0; i + 1 < HV_MAX_WORKLOADS; i++) {
				r = *filler;
				r.name = names + i * stride;
				r.name_len = strlen(r.name);
				r.recnum = recnum++;
				hv_judge_record(&j, &r);
			}
		}
		r = round == 1 ? *worse : *good;
		r.recnum = recnum++;
		hv_judge_record(&j, &r);
		if (round == 2) {
			/* one distinct name too many */
			r = *filler;
			r.name = names + HV_MAX_WORKLOADS * stride;
			r.name_len = strlen(r.name);
			r.recnum = recnum++;
			hv_judge_record(&j, &r);
		}
		assert_true(j.cap <= 2 * HV_MAX_WORKLOADS);
		hv_judge_finish(&j);
		if (round == 0) {
			assert_int_equal(j.n, 0);
		} else if (round == 1) {
			assert_int_equal(j.n, 1);
			assert_non_null(strstr(j.first_why, "config /etc/libvirt/qemu/vm1.xml: digest not allowed"));
			assert_int_equal(strtoull(j.first_why + 7, NULL, 10), recnum - 1);
		} else {
			assert_int_equal(j.n, 1);
			assert_string_equal(j.first_why, "the log has more than 65536 distinct workload names; refusing to judge them");
		}
		hv_judge_free(&j);
	}
	hg_policy_free(&p);
	free(names);
	recs_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_policies),
		cmocka_unit_test(test_valid_policy_and_lookup),
		cmocka_unit_test(test_overlay_entries_and_unknown_kinds),
		cmocka_unit_test(test_firmware_section),
		cmocka_unit_test(test_ek_certificates_section),
		cmocka_unit_test(test_firmware_allows),
		cmocka_unit_test(test_judge_workload_latest),
		cmocka_unit_test(test_judge_host_cumulative),
		cmocka_unit_test(test_judge_scoped),
		cmocka_unit_test(test_judge_overlay),
		cmocka_unit_test(test_judge_workload_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
