/* test_domplan.c: what the gate measures for one domain (attest/domplan.h):
 * single disks, their backing chains and the <backingStore> chains in the
 * XML. <os> files, several disks and refusals of odd canonical forms are in
 * test_domplan_os.c.
 *
 * Each case writes a small domain XML, takes its canonical form with
 * attest/domxml.c (the form the gate plans from) and plans it against real
 * images in the tree domplan_fx.h describes.
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

/* ---- disks ---------------------------------------------------------- */

static void test_overlay_on_golden_base(void **state)
{
	char *d = disk("vda", "top.qcow2", "qcow2", NULL), why[512];
	const struct item want[] = {
		{ HG_KIND_OVERLAY, IMG, "top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(NULL, d, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 2);
	hg_plan_free(&p);
	assert_int_equal(p.n, 0);
	free(d);
}

static void test_three_layers(void **state)
{
	char *d = disk("vda", "c3top.qcow2", "qcow2", NULL), why[512];
	const struct item want[] = {
		{ HG_KIND_OVERLAY, IMG, "c3top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "c3mid.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(NULL, d, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 3);
	hg_plan_free(&p);
	free(d);
}

static void test_readonly_top_is_golden(void **state)
{
	char *d = disk("vda", "top.qcow2", "qcow2", "      <readonly/>\n"), why[512];
	const struct item want[] = {
		{ HG_KIND_IMAGE, IMG, "top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(NULL, d, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 2);
	hg_plan_free(&p);
	free(d);
}

static void test_top_under_golden_dir(void **state)
{
	char *d = disk("vda", "golden/g.qcow2", "qcow2", NULL), why[512];
	const struct item want[] = { { HG_KIND_IMAGE, GOLD, "g.qcow2" } };
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(NULL, d, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 1);
	hg_plan_free(&p);
	free(d);
}

/* No driver type is raw, as libvirt treats it: the header (which names a
 * backing file) is not probed, so only the file itself is planned. */
static void test_raw_without_driver_type(void **state)
{
	char *d1 = disk("vda", "rawish.img", NULL, NULL);
	char *d2 = fmt("    <disk type='file' device='disk'>\n"
		       "      <driver name='qemu'/>\n"
		       "      <source file='%s/rawish.img'/>\n      <target dev='vda'/>\n"
		       "    </disk>\n", IMG);
	char *d3 = disk("vda", "rawish.img", "raw", NULL), why[512];
	const struct item want_q[] = {
		{ HG_KIND_OVERLAY, IMG, "rawish.img" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	char *d4 = disk("vda", "rawish.img", "qcow2", NULL);
	char *standalone = fmt("disk vda: %s/rawish.img is a writable image with no golden image behind it"
			       " (a standalone overlay: nothing it boots from would be hashed)", IMG);
	struct hg_plan p;

	(void)state;
	/* Read as raw (no type, or raw), the file is one writable layer
	 * with nothing golden behind it: refused (issue 12 item 6). */
	expect_refused(NULL, d1, standalone);
	expect_refused(NULL, d2, standalone);
	expect_refused(NULL, d3, standalone);
	free(standalone);
/* The same file declared qcow2 is followed to its base. */
	assert_int_equal(plan(NULL, d4, &p, why, sizeof(why)), 0);
	assert_plan(&p, want_q, 2);
	hg_plan_free(&p);
	free(d1);
	free(d2);
	free(d3);
	free(d4);
}

static void test_format_not_probed(void **state)
{
	char *d = disk("vdb", "base.qcow2", "vmdk", NULL), *want;

	(void)state;
	want = fmt("disk vdb: %s/base.qcow2: declared format vmdk is neither qcow2 nor raw "
		   "(formats are never probed)", IMG);
	expect_refused(NULL, d, want);
	free(want);
	free(d);
}

static void test_empty_drives_skipped(void **state)
{
	const char *d =
		"    <disk type='file' device='cdrom'>\n"
		"      <driver name='qemu' type='raw'/>\n"
		"      <target dev='sda' bus='sata'/>\n"
		"      <readonly/>\n"
		"    </disk>\n"
		"    <disk type='file' device='floppy'>\n"
		"      <target dev='fda'/>\n"
		"    </disk>\n"
		"    <disk type='block' device='cdrom'>\n"
		"      <target dev='sdb' bus='sata'/>\n"
		"    </disk>\n";
	char *both = fmt("%s    <disk type='file' device='cdrom'>\n"
			 "      <source file='%s/other.qcow2'/>\n"
			 "      <target dev='sdc' bus='sata'/>\n      <readonly/>\n"
			 "    </disk>\n", d, IMG);
	const struct item want[] = { { HG_KIND_IMAGE, IMG, "other.qcow2" } };
	struct hg_plan p;
	char why[512];

	(void)state;
	assert_int_equal(plan(NULL, d, &p, why, sizeof(why)), 0);
	assert_int_equal(p.n, 0);
	hg_plan_free(&p);   /* the emulator, to find in the manifest */
	/* A cdrom with media is measured: raw, read-only, so golden. */
	assert_int_equal(plan(NULL, both, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 1);
	hg_plan_free(&p);
	free(both);
}

static void test_non_file_disks_refused(void **state)
{
	static const struct {
		const char *xml, *why;
	} v[] = {
		{ "    <disk type='block' device='disk'>\n"
		  "      <driver name='qemu' type='raw'/>\n"
		  "      <source dev='/dev/sdb'/>\n"
		  "      <target dev='vdb' bus='virtio'/>\n"
		  "    </disk>\n",
		  "disk vdb: type block cannot be measured (the gate hashes file disks only)" },
		{ "    <disk type='network' device='disk'>\n"
		  "      <driver name='qemu' type='raw'/>\n"
		  "      <source protocol='nbd' name='export'>\n"
		  "        <host name='nbd.example' port='10809'/>\n"
		  "      </source>\n"
		  "      <target dev='vdc' bus='virtio'/>\n"
		  "    </disk>\n",
		  "disk vdc: type network cannot be measured (the gate hashes file disks only)" },
		{ "    <disk type='volume' device='disk'>\n"
		  "      <source pool='default' volume='vm.qcow2'/>\n"
		  "      <target dev='vdd'/>\n"
		  "    </disk>\n",
		  "disk vdd: type volume cannot be measured (the gate hashes file disks only)" },
		{ "    <disk type='dir' device='disk'>\n"
		  "      <source dir='/srv/share'/>\n"
		  "      <target dev='hda'/>\n"
		  "    </disk>\n",
		  "disk hda: type dir cannot be measured (the gate hashes file disks only)" },
		/* A cdrom backed by a host drive is not an empty drive. */
		{ "    <disk type='block' device='cdrom'>\n"
		  "      <source dev='/dev/sr0'/>\n"
		  "      <target dev='sda' bus='sata'/>\n"
		  "      <readonly/>\n"
		  "    </disk>\n",
		  "disk sda: type block cannot be measured (the gate hashes file disks only)" },
		/* A file disk (not a removable drive) without a source. */
		{ "    <disk type='file' device='disk'>\n"
		  "      <target dev='vde'/>\n"
		  "    </disk>\n",
		  "disk vde: type file cannot be measured (the gate hashes file disks only)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		expect_refused(NULL, v[i].xml, v[i].why);
}

/* The refused disk is named even after a good one, whose items are
 * dropped with the plan. */
static void test_refusal_names_second_disk(void **state)
{
	char *d = disk("vda", "top.qcow2", "qcow2", NULL);
	char *both = fmt("%s    <disk type='block' device='disk'>\n"
			 "      <source dev='/dev/sdb'/>\n      <target dev='vdb'/>\n"
			 "    </disk>\n", d);

	(void)state;
	expect_refused(NULL, both,
		       "disk vdb: type block cannot be measured (the gate hashes file disks only)");
	free(d);
	free(both);
}

static void test_outside_image_dirs(void **state)
{
	char *d = fmt("    <disk type='file' device='disk'>\n"
		      "      <driver name='qemu' type='qcow2'/>\n"
		      "      <source file='%s/outside.qcow2'/>\n      <target dev='vda'/>\n"
		      "    </disk>\n", OUT);
	char *e = disk("vdb", "escape.qcow2", "qcow2", NULL);
	char *want1 = fmt("disk vda: %s/outside.qcow2: resolves outside the image directories (%s/outside.qcow2)",
			  OUT, OUT);
	char *want2 = fmt("disk vdb: %s/escape.qcow2: backing file ../out/outside.qcow2 resolves "
			  "outside the image directories (%s/outside.qcow2)", IMG, OUT);
	/* A path that names the image directory but leaves it with "..". */
	char *dots = fmt("    <disk type='file' device='disk'>\n"
			 "      <driver name='qemu' type='qcow2'/>\n"
			 "      <source file='%s/../out/outside.qcow2'/>\n      <target dev='vdc'/>\n"
			 "    </disk>\n", IMG);
	char *want3 = fmt("disk vdc: %s/../out/outside.qcow2: resolves outside the image directories (%s/outside.qcow2)",
			  IMG, OUT);

	(void)state;
	expect_refused(NULL, d, want1);
	expect_refused(NULL, e, want2);
	expect_refused(NULL, dots, want3);
	free(d);
	free(e);
	free(dots);
	free(want1);
	free(want2);
	free(want3);
}

/* ---- <backingStore> in the XML ------------------------------------- */

/* <backingStore> layers for the files NAMES (IMG-relative), nested,
 * closed with the empty terminator when TERM. */
static char *chain_xml(const char *const *names, size_t n, int term)
{
	char *s = strdup(""), *t;

	for (size_t i = n; i-- > 0;) {
		t = fmt("<backingStore type='file'><format type='qcow2'/>"
			"<source file='%s/%s'/>%s%s</backingStore>",
			IMG, names[i], i == n - 1 && term ? "<backingStore/>" : "", s);
		free(s);
		s = t;
	}
	t = fmt("      %s\n", s);
	free(s);
	return t;
}

static void test_xml_chain_matches(void **state)
{
	static const char *const base[] = { "base.qcow2" };
	static const char *const c3[] = { "c3mid.qcow2", "base.qcow2" };
	const struct item want[] = {
		{ HG_KIND_OVERLAY, IMG, "top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	const struct item want3[] = {
		{ HG_KIND_OVERLAY, IMG, "c3top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "c3mid.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	struct hg_plan p;
	char why[512];

	(void)state;
	for (int term = 0; term < 2; term++) {
		char *bs = chain_xml(base, 1, term), *d = disk("vda", "top.qcow2", "qcow2", bs);
		char *bs3 = chain_xml(c3, 2, term), *d3 = disk("vda", "c3top.qcow2", "qcow2", bs3);

		if (plan(NULL, d, &p, why, sizeof(why)) != 0)
			fail_msg("term %d: refused: %s", term, why);
		assert_plan(&p, want, 2);
		hg_plan_free(&p);
		if (plan(NULL, d3, &p, why, sizeof(why)) != 0)
			fail_msg("term %d: refused: %s", term, why);
		assert_plan(&p, want3, 3);
		hg_plan_free(&p);
		free(bs);
		free(d);
		free(bs3);
		free(d3);
	}
}

static void test_xml_chain_differs(void **state)
{
	static const char *const other[] = { "other.qcow2" };
	static const char *const longer[] = { "base.qcow2", "other.qcow2" };
	static const char *const shorter[] = { "c3mid.qcow2" };
	static const char *const skips[] = { "base.qcow2" };
	static const struct {
		const char *top;
		const char *const *names;
		size_t n;
	} v[] = {
		{ "top.qcow2", other, 1 },      /* names another file */
		{ "top.qcow2", longer, 2 },     /* one layer more than the headers */
		{ "c3top.qcow2", shorter, 1 },  /* one layer less */
		{ "c3top.qcow2", skips, 1 },    /* skips the middle layer */
		{ "base.qcow2", skips, 1 },     /* a layer where the headers have none */
	};
	static const char what[] =
		": the <backingStore> chain in the domain XML differs from the image headers";

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (int term = 0; term < 2; term++) {
			char *bs = chain_xml(v[i].names, v[i].n, term);
			char *d = disk("vda", v[i].top, "qcow2", bs);
			struct hg_plan p;
			char why[512];

			if (plan(NULL, d, &p, why, sizeof(why)) != -1)
				fail_msg("case %zu term %d: accepted", i, term);
			if (strncmp(why, "disk vda", 8) || strcmp(why + 8, what))
				fail_msg("case %zu term %d: \"%s\"", i, term, why);
			assert_int_equal(p.n, 0);
			free(bs);
			free(d);
		}
}

/* A backing layer that is not a file: the gate cannot hash it. */
static void test_xml_chain_block_layer(void **state)
{
	const char *bs = "      <backingStore type='block'><format type='raw'/>"
			 "<source dev='/dev/sdb'/></backingStore>\n";
	char *d = disk("vda", "top.qcow2", "qcow2", bs);

	(void)state;
	expect_refused(NULL, d,
		       "disk vda: the <backingStore> chain in the domain XML differs from the image headers");
	free(d);
}


/* Regression: a repeated element gets "[N]" in
 * the canonical form, which domplan does not recognise, so it falls back
 * to defaults instead of refusing. libvirt reads the first of each (its
 * XPath lookups take the first node; <devices> are all read), so qemu
 * would open files the plan leaves out. libvirt re-formats the XML the
 * hook gets, so this bites XML given to `measure --domain-xml` rather
 * than the gate itself. */
static void test_repeated_elements_refused(void **state)
{
	char *two_drivers = fmt("    <disk type='file' device='disk'>\n"
				"      <driver name='qemu' type='qcow2'/>\n"
				"      <driver name='qemu' type='qcow2'/>\n"
				"      <source file='%s/top.qcow2'/>\n      <target dev='vda'/>\n"
				"    </disk>\n", IMG);
	char *two_sources = fmt("    <disk type='file' device='cdrom'>\n"
				"      <source file='%s/other.qcow2'/>\n"
				"      <source file='%s/base.qcow2'/>\n"
				"      <target dev='sda'/>\n      <readonly/>\n"
				"    </disk>\n", IMG, IMG);
	char *two_kernels = fmt("    <kernel>%s/vmlinuz</kernel>\n    <kernel>%s/vmlinuz</kernel>\n",
				OUT, IMG);
	char *d = disk("vda", "top.qcow2", "qcow2", NULL);
	char *two_devices = fmt("%s  </devices>\n  <devices>\n%s", d, d);
	struct hg_plan p;
	char why[512];
	int bad = 0;

	(void)state;
	if (plan(NULL, two_drivers, &p, why, sizeof(why)) == 0) {
		print_error("two <driver>: planned %zu item(s), the base not among them\n", p.n);
		hg_plan_free(&p);
		bad++;
	}
	if (plan(NULL, two_sources, &p, why, sizeof(why)) == 0) {
		print_error("cdrom with two <source>: planned %zu item(s)\n", p.n);
		hg_plan_free(&p);
		bad++;
	}
	if (plan(two_kernels, NULL, &p, why, sizeof(why)) == 0) {
		print_error("two <kernel>: planned %zu item(s)\n", p.n);
		hg_plan_free(&p);
		bad++;
	}
	if (plan(NULL, two_devices, &p, why, sizeof(why)) == 0) {
		print_error("two <devices>: planned %zu item(s)\n", p.n);
		hg_plan_free(&p);
		bad++;
	}
	assert_int_equal(bad, 0);
	free(two_drivers);
	free(two_sources);
	free(two_kernels);
	free(d);
	free(two_devices);
}

/* Regression: an XML <backingStore> was checked
 * layer by layer by path only. Its <format> is ignored, so XML that makes
 * qemu read a layer in another format than the headers record passes. */
static void test_xml_chain_format_differs(void **state)
{
	char *bs = fmt("<backingStore type='file'><format type='raw'/>"
		       "<source file='%s/base.qcow2'/></backingStore>", IMG);   /* header: -F qcow2 */
	char *d = disk("vda", "top.qcow2", "qcow2", bs);

	(void)state;
	expect_refused(NULL, d,
		       "disk vda: the <backingStore> chain in the domain XML differs from the image headers");
	free(bs);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay_on_golden_base),
		cmocka_unit_test(test_three_layers),
		cmocka_unit_test(test_readonly_top_is_golden),
		cmocka_unit_test(test_top_under_golden_dir),
		cmocka_unit_test(test_raw_without_driver_type),
		cmocka_unit_test(test_format_not_probed),
		cmocka_unit_test(test_empty_drives_skipped),
		cmocka_unit_test(test_non_file_disks_refused),
		cmocka_unit_test(test_refusal_names_second_disk),
		cmocka_unit_test(test_outside_image_dirs),
		cmocka_unit_test(test_xml_chain_matches),
		cmocka_unit_test(test_xml_chain_differs),
		cmocka_unit_test(test_xml_chain_block_layer),
		cmocka_unit_test(test_repeated_elements_refused),
		cmocka_unit_test(test_xml_chain_format_differs),
	};

	return cmocka_run_group_tests(tests, domplan_fx_setup, domplan_fx_teardown);
}
