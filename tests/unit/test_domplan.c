/* test_domplan.c: what the gate measures for one domain (attest/domplan.h).
 *
 * Each case writes a small domain XML, takes its canonical form with
 * attest/domxml.c (the form the gate plans from) and plans it against real
 * images that qemu-img (qemu-utils; without it these tests fail, they do
 * not skip: `make deps` installs it) creates in a mkdtemp directory:
 *
 *   T/img/                 the image directory (cfg.image_dirs)
 *     base.qcow2           no backing file
 *     top.qcow2, top2.qcow2  -b base.qcow2 -F qcow2
 *     other.qcow2          no backing file
 *     c3mid.qcow2          -b base.qcow2;  c3top.qcow2  -b c3mid.qcow2
 *     rawish.img           a qcow2 with a backing file, declared raw
 *     vmlinuz, initrd.img  plain files
 *     golden/g.qcow2       the golden directory (cfg.golden_dirs)
 *     escape.qcow2         -b ../out/outside.qcow2
 *   T/out/outside.qcow2, T/out/vmlinuz   outside the image directory
 *   T/fw/CODE.fd, T/fw/VARS.fd           firmware (anywhere)
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/parser.h>

#include "../../attest/domplan.h"
#include "../../attest/domxml.h"
#include "../../attest/gateconf.h"

static char *T, *IMG, *GOLD, *OUT, *FW;
static struct hg_gateconf cfg;

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return s;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "test_domplan: failed (%d): %s\n", rc, cmd);
	return rc;
}

/* qemu-img create in DIR: NAME, backed by BACKING (relative) or not. */
static int mkimg(const char *dir, const char *name, const char *backing)
{
	char *cmd;
	int rc;

	if (backing)
		cmd = fmt("cd '%s' && qemu-img create -q -f qcow2 -b '%s' -F qcow2 '%s' 1M",
			  dir, backing, name);
	else
		cmd = fmt("cd '%s' && qemu-img create -q -f qcow2 '%s' 1M", dir, name);
	rc = sh(cmd);
	free(cmd);
	return rc;
}

static int mkfile(const char *dir, const char *name)
{
	char *cmd = fmt("printf 'not empty\\n' > '%s/%s'", dir, name);
	int rc = sh(cmd);

	free(cmd);
	return rc;
}

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/hg-domplan.XXXXXX";
	char *cmd;
	int rc;

	(void)state;
	if (system("qemu-img --version >/dev/null") != 0) {
		fprintf(stderr, "test_domplan: qemu-img not found (make deps installs qemu-utils)\n");
		return -1;
	}
	if (!mkdtemp(tmpl) || !(T = realpath(tmpl, NULL)))
		return -1;
	IMG = fmt("%s/img", T);
	GOLD = fmt("%s/img/golden", T);
	OUT = fmt("%s/out", T);
	FW = fmt("%s/fw", T);
	cmd = fmt("mkdir -p '%s' '%s' '%s'", GOLD, OUT, FW);
	rc = sh(cmd);
	free(cmd);
	if (rc || mkimg(IMG, "base.qcow2", NULL) || mkimg(IMG, "top.qcow2", "base.qcow2") ||
	    mkimg(IMG, "top2.qcow2", "base.qcow2") || mkimg(IMG, "other.qcow2", NULL) ||
	    mkimg(IMG, "c3mid.qcow2", "base.qcow2") || mkimg(IMG, "c3top.qcow2", "c3mid.qcow2") ||
	    mkimg(IMG, "rawish.img", "base.qcow2") || mkimg(GOLD, "g.qcow2", NULL) ||
	    mkimg(OUT, "outside.qcow2", NULL) || mkimg(IMG, "escape.qcow2", "../out/outside.qcow2") ||
	    mkfile(IMG, "vmlinuz") || mkfile(IMG, "initrd.img") || mkfile(OUT, "vmlinuz") ||
	    mkfile(FW, "CODE.fd") || mkfile(FW, "VARS.fd"))
		return -1;
	if (hg_gateconf_defaults(&cfg) < 0)
		return -1;
	free(cfg.image_dirs[0]);
	cfg.image_dirs[0] = strdup(IMG);
	cfg.golden_dirs[0] = strdup(GOLD);
	cfg.ngolden_dirs = 1;
	return cfg.image_dirs[0] && cfg.golden_dirs[0] ? 0 : -1;
}

static int group_teardown(void **state)
{
	char *cmd = fmt("rm -rf '%s'", T);
	int rc = sh(cmd);

	(void)state;
	free(cmd);
	hg_gateconf_free(&cfg);
	free(T);
	free(IMG);
	free(GOLD);
	free(OUT);
	free(FW);
	xmlCleanupParser();
	return rc ? -1 : 0;
}

/* The canonical form of a domain "vm" with OS inside <os> (after
 * <type>hvm</type>) and DEVICES inside <devices>. */
static char *canon(const char *os, const char *devices)
{
	char *xml = fmt("<domain type='kvm'>\n  <name>vm</name>\n  <memory>1048576</memory>\n"
			"  <os>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n%s  </os>\n"
			"  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n%s"
			"  </devices>\n</domain>\n",
			os ? os : "", devices ? devices : "");
	char *out = NULL, *name = NULL;
	const char *why = NULL;
	size_t len = 0;

	if (hg_domxml_canonical(xml, strlen(xml), &out, &len, &name, &why) < 0)
		fail_msg("domxml refused: %s\n%s", why, xml);
	assert_string_equal(name, "vm");
	free(name);
	free(xml);
	return out;
}

/* Plan the domain; returns hg_domplan()'s result, WHY filled on -1. */
static int plan(const char *os, const char *devices, struct hg_plan *p, char *why,
		size_t whylen)
{
	char *c = canon(os, devices);
	int rc;

	why[0] = '\0';
	rc = hg_domplan(c, strlen(c), &cfg, p, why, whylen);
	free(c);
	return rc;
}

struct item {
	enum hg_kind kind;
	const char *dir, *name;   /* path = DIR "/" NAME */
};

static void assert_plan(const struct hg_plan *p, const struct item *want, size_t n)
{
	for (size_t i = 0; i < p->n && i < n; i++) {
		char *path = fmt("%s/%s", want[i].dir, want[i].name);

		if (p->v[i].kind != want[i].kind || strcmp(p->v[i].path, path))
			fail_msg("item %zu: got %s %s, want %s %s", i,
				 hg_kind_name(p->v[i].kind), p->v[i].path,
				 hg_kind_name(want[i].kind), path);
		free(path);
	}
	assert_int_equal(p->n, n);
}

/* A file disk: TARGET, SOURCE (IMG-relative), driver TYPE (NULL: no
 * driver element), EXTRA elements inside <disk>. */
static char *disk(const char *target, const char *src, const char *type, const char *extra)
{
	char *drv = type ? fmt("      <driver name='qemu' type='%s'/>\n", type) : strdup("");
	char *d = fmt("    <disk type='file' device='disk'>\n%s"
		      "      <source file='%s/%s'/>\n      <target dev='%s' bus='virtio'/>\n%s"
		      "    </disk>\n",
		      drv, IMG, src, target, extra ? extra : "");

	free(drv);
	return d;
}

static void expect_refused(const char *os, const char *devices, const char *want)
{
	struct hg_plan p;
	char why[1024];

	if (plan(os, devices, &p, why, sizeof(why)) != -1)
		fail_msg("accepted, want \"%s\"", want);
	assert_string_equal(why, want);
	assert_int_equal(p.n, 0);
}

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
	const struct item want[] = { { HG_KIND_OVERLAY, IMG, "rawish.img" } };
	const struct item want_q[] = {
		{ HG_KIND_OVERLAY, IMG, "rawish.img" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	char *d4 = disk("vda", "rawish.img", "qcow2", NULL);
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan(NULL, d1, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 1);
	hg_plan_free(&p);
	assert_int_equal(plan(NULL, d2, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 1);
	hg_plan_free(&p);
	assert_int_equal(plan(NULL, d3, &p, why, sizeof(why)), 0);
	assert_plan(&p, want, 1);
	hg_plan_free(&p);
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
	char *d1 = disk("vda", "top.qcow2", "qcow2", NULL);
	char *d2 = disk("vdb", "base.qcow2", "qcow2", NULL);   /* writable */
	char *ab = fmt("%s%s", d1, d2), *ba = fmt("%s%s", d2, d1);
	char *want1 = fmt("%s/base.qcow2 is used both as image and as overlay", IMG);
	char *want2 = fmt("%s/base.qcow2 is used both as overlay and as image", IMG);

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
	assert_int_equal(hg_domplan(form, strlen(form), &cfg, &p, why, sizeof(why)), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(hg_domplan("", 0, &cfg, &p, why, sizeof(why)), 0);
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

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
