/* test_domplan_os.c: what the gate measures for one domain (attest/domplan.h):
 * several disks, the <os> files, canonical forms the XML parser would not
 * make, and hg_domain_config_name(). Single disks and chains are in
 * test_domplan.c; the image tree is domplan_fx.h's.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../attest/domplan.h"
#include "domplan_fx.h"

/* ---- several disks --------------------------------------------------- */

static void test_shared_base_once(void **state)
{
	char *d1 = disk("vda", "top.qcow2", "qcow2", NULL);
	char *d2 = disk("vdb", "top2.qcow2", "qcow2", NULL);
	char *both = fmt("%s%s", d1, d2), why[512];
	const struct item want[] = {
		{ HG_KIND_OVERLAY, IMG, "top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
		{ HG_KIND_OVERLAY, IMG, "top2.qcow2" },
	};
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(NULL, both, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 3);
	hg_plan_free(&p);
	free(d1);
	free(d2);
	free(both);
}

static void test_golden_and_overlay_refused(void **state)
{
	char *d1 = disk("vda", "c3top.qcow2", "qcow2", NULL);
	char *d2 = disk("vdb", "c3mid.qcow2", "qcow2", NULL);   /* writable */
	char *ab = fmt("%s%s", d1, d2), *ba = fmt("%s%s", d2, d1);
	char *want1 = fmt("%s/c3mid.qcow2 is used both as image and as overlay", IMG);
	char *want2 = fmt("%s/c3mid.qcow2 is used both as overlay and as image", IMG);

	(void)state;
	expect_refused(NULL, ab, want1);
	expect_refused(NULL, ba, want2);
	free(d1);
	free(d2);
	free(ab);
	free(ba);
	free(want1);
	free(want2);
}

/* A read-only second use of the base agrees with it being golden. */
static void test_base_also_readonly_disk(void **state)
{
	char *d1 = disk("vda", "top.qcow2", "qcow2", NULL);
	char *d2 = disk("vdb", "base.qcow2", "qcow2", "      <readonly/>\n");
	char *both = fmt("%s%s", d1, d2), why[512];
	const struct item want[] = {
		{ HG_KIND_OVERLAY, IMG, "top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(NULL, both, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 2);
	hg_plan_free(&p);
	free(d1);
	free(d2);
	free(both);
}

/* ---- <os> ------------------------------------------------------------ */

static void test_os_files(void **state)
{
	char *link = fmt("%s/vmlinuz-link", T);
	char *os = fmt("    <loader readonly='yes' type='pflash'>%s/CODE.fd</loader>\n"
		       "    <nvram template='%s/VARS.fd'>%s/nvram/vm_VARS.fd</nvram>\n"
		       "    <kernel>%s</kernel>\n"
		       "    <initrd>%s/initrd.img</initrd>\n"
		       "    <cmdline>console=ttyS0</cmdline>\n",
		       FW, FW, T, link, IMG);
	const struct item want[] = {
		{ HG_KIND_FIRMWARE, FW, "CODE.fd" },
		{ HG_KIND_FIRMWARE, FW, "VARS.fd" },
		{ HG_KIND_OVERLAY, T, "nvram/vm_VARS.fd" },   /* not there yet: by path */
		{ HG_KIND_IMAGE, IMG, "vmlinuz" },            /* canonical */
		{ HG_KIND_IMAGE, IMG, "initrd.img" },
	};
	char *k = fmt("%s/vmlinuz", IMG), why[512];
	struct hg_plan p;

	(void)state;
	/* The kernel is named through a symlink outside the image directory
	 * to a file inside it: the file, not the name, decides. */
	assert_int_equal(symlink(k, link), 0);
	assert_int_equal(plan(os, NULL, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 5);
	hg_plan_free(&p);
	unlink(link);
	free(link);
	free(os);
	free(k);
}

static void test_os_files_before_disks(void **state)
{
	char *os = fmt("    <kernel>%s/vmlinuz</kernel>\n", IMG);
	char *d = disk("vda", "golden/g.qcow2", "qcow2", NULL), why[512];
	const struct item want[] = {
		{ HG_KIND_IMAGE, IMG, "vmlinuz" },
		{ HG_KIND_IMAGE, GOLD, "g.qcow2" },
	};
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(os, d, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 2);
	hg_plan_free(&p);
	free(os);
	free(d);
}

static void test_nvram_existing_is_canonical(void **state)
{
	char *link = fmt("%s/VARS-link.fd", T);
	char *target = fmt("%s/VARS.fd", FW);
	char *os = fmt("    <nvram>%s</nvram>\n", link), why[512];
	const struct item want[] = { { HG_KIND_OVERLAY, FW, "VARS.fd" } };
	struct hg_plan p;

	(void)state;
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(plan(os, NULL, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 1);
	hg_plan_free(&p);
	unlink(link);
	free(link);
	free(target);
	free(os);
}

static void test_os_refused(void **state)
{
	char *out_k = fmt("    <kernel>%s/vmlinuz</kernel>\n", OUT);
	char *want_out = fmt("os/kernel %s/vmlinuz lies outside the image directories", OUT);
	char *out_i = fmt("    <initrd>%s/vmlinuz</initrd>\n", OUT);
	char *want_i = fmt("os/initrd %s/vmlinuz lies outside the image directories", OUT);
	char *out_d = fmt("    <dtb>%s/vmlinuz</dtb>\n", OUT);
	char *want_d = fmt("os/dtb %s/vmlinuz lies outside the image directories", OUT);
	char *missing = fmt("    <kernel>%s/no-such-kernel</kernel>\n", IMG);
	char *want_m = fmt("os/kernel %s/no-such-kernel: cannot be resolved", IMG);
	char *no_loader = fmt("    <loader>%s/no-such.fd</loader>\n", FW);
	char *want_l = fmt("os/loader %s/no-such.fd: cannot be resolved", FW);

	(void)state;
	expect_refused(out_k, NULL, want_out);
	expect_refused(out_i, NULL, want_i);
	expect_refused(out_d, NULL, want_d);
	expect_refused(missing, NULL, want_m);
	expect_refused(no_loader, NULL, want_l);
	expect_refused("    <kernel>vmlinuz</kernel>\n", NULL, "os/kernel: not an absolute path");
	expect_refused("    <loader>OVMF_CODE.fd</loader>\n", NULL, "os/loader: not an absolute path");
	expect_refused("    <nvram>vm_VARS.fd</nvram>\n", NULL, "os/nvram: not an absolute path");
	free(out_k);
	free(want_out);
	free(out_i);
	free(want_i);
	free(out_d);
	free(want_d);
	free(missing);
	free(want_m);
	free(no_loader);
	free(want_l);
}

/* ---- canonical forms the XML parser would not make ------------------ */

static void test_too_many_disks(void **state)
{
	static const char form[] = "domain/name=vm\ndomain/devices/disk[129]@type=file\n";
	struct hg_plan p;
	char why[256];

	(void)state;
	assert_int_equal(hg_domplan(form, strlen(form), &cfg, &p, why, sizeof(why)), -1);
	assert_string_equal(why, "more than 128 disks");
	assert_int_equal(p.n, 0);
}

static void test_no_devices(void **state)
{
	static const char form[] = "domain/name=vm\ndomain/devices/diskette@type=file\n";
	struct hg_plan p;
	char why[256];

	(void)state;
	/* Not a disk, and not a device the gate knows: default deny. */
	assert_int_equal(hg_domplan(form, strlen(form), &cfg, &p, why, sizeof(why)), -1);
	assert_string_equal(why, "<devices><diskette>: not a device the gate knows (refused: it may name files qemu opens)");
	assert_int_equal(p.n, 0);
	/* Nothing at all: no emulator to check (libvirt always writes one). */
	assert_int_equal(hg_domplan("", 0, &cfg, &p, why, sizeof(why)), -1);
	assert_string_equal(why, "no <emulator>: the gate checks the emulator the domain names");
	assert_int_equal(p.n, 0);
}

/* ---- hg_domain_config_name ------------------------------------------ */

static void test_config_name(void **state)
{
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "", "domain name is empty, starts with '.' or contains '/'" },
		{ "a/b", "domain name is empty, starts with '.' or contains '/'" },
		{ "../../etc/shadow", "domain name is empty, starts with '.' or contains '/'" },
		{ ".hidden", "domain name is empty, starts with '.' or contains '/'" },
		{ "..", "domain name is empty, starts with '.' or contains '/'" },
		{ "vm/", "domain name is empty, starts with '.' or contains '/'" },
		{ "vm\n", "domain name contains a control character" },
		{ "a\tb", "domain name contains a control character" },
		{ "a\x1b[31m", "domain name contains a control character" },
		{ "del\x7f", "domain name contains a control character" },
	};
	char buf[64], small[24];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (hg_domain_config_name(bad[i].name, buf, sizeof(buf), &why) != -1)
			fail_msg("case %zu accepted", i);
		assert_non_null(why);
		assert_string_equal(why, bad[i].why);
	}
	why = NULL;
	assert_int_equal(hg_domain_config_name("golden-vm", buf, sizeof(buf), &why), 0);
	assert_string_equal(buf, "/etc/libvirt/qemu/golden-vm.xml");
	assert_null(why);
	assert_int_equal(hg_domain_config_name("vm.1 (test)", buf, sizeof(buf), &why), 0);
	assert_string_equal(buf, "/etc/libvirt/qemu/vm.1 (test).xml");
	assert_int_equal(hg_domain_config_name("v\xc3\xa9m", buf, sizeof(buf), &why), 0);
	assert_string_equal(buf, "/etc/libvirt/qemu/v\xc3\xa9m.xml");
	/* "/etc/libvirt/qemu/vm.xml" is 24 characters: it needs 25 bytes. */
	assert_int_equal(hg_domain_config_name("vm", small, sizeof(small), &why), -1);
	assert_string_equal(why, "domain name too long");
	assert_int_equal(hg_domain_config_name("v", small, sizeof(small), &why), 0);
	assert_string_equal(small, "/etc/libvirt/qemu/v.xml");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_base_once),
		cmocka_unit_test(test_golden_and_overlay_refused),
		cmocka_unit_test(test_base_also_readonly_disk),
		cmocka_unit_test(test_os_files),
		cmocka_unit_test(test_os_files_before_disks),
		cmocka_unit_test(test_nvram_existing_is_canonical),
		cmocka_unit_test(test_os_refused),
		cmocka_unit_test(test_too_many_disks),
		cmocka_unit_test(test_no_devices),
		cmocka_unit_test(test_config_name),
	};

	return cmocka_run_group_tests(tests, domplan_fx_setup, domplan_fx_teardown);
}
