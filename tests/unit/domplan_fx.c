/* domplan_fx.c: the fixture of the domplan unit tests (test_domplan.c,
 * test_domplan_os.c); see domplan_fx.h. */

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
#include "domplan_fx.h"

char *T, *IMG, *GOLD, *OUT, *FW;
struct hg_gateconf cfg;

char *fmt(const char *f, ...)
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

int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "test_domplan: failed (%d): %s\n", rc, cmd);
	return rc;
}

/* qemu-img create in DIR: NAME, backed by BACKING (relative) or not. */
int mkimg(const char *dir, const char *name, const char *backing)
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

int mkfile(const char *dir, const char *name)
{
	char *cmd = fmt("printf 'not empty\\n' > '%s/%s'", dir, name);
	int rc = sh(cmd);

	free(cmd);
	return rc;
}

int domplan_fx_setup(void **state)
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

int domplan_fx_teardown(void **state)
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
char *canon(const char *os, const char *devices)
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
int plan(const char *os, const char *devices, struct hg_plan *p, char *why,
	 size_t whylen)
{
	char *c = canon(os, devices);
	int rc;

	why[0] = '\0';
	rc = hg_domplan(c, strlen(c), &cfg, p, why, whylen);
	free(c);
	return rc;
}

void assert_plan(const struct hg_plan *p, const struct item *want, size_t n)
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
char *disk(const char *target, const char *src, const char *type, const char *extra)
{
	char *drv = type ? fmt("      <driver name='qemu' type='%s'/>\n", type) : strdup("");
	char *d = fmt("    <disk type='file' device='disk'>\n%s"
		      "      <source file='%s/%s'/>\n      <target dev='%s' bus='virtio'/>\n%s"
		      "    </disk>\n",
		      drv, IMG, src, target, extra ? extra : "");

	free(drv);
	return d;
}

void expect_refused(const char *os, const char *devices, const char *want)
{
	struct hg_plan p;
	char why[1024];

	if (plan(os, devices, &p, why, sizeof(why)) != -1)
		fail_msg("accepted, want \"%s\"", want);
	assert_string_equal(why, want);
	assert_int_equal(p.n, 0);
}
