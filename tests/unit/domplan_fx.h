/* domplan_fx.h: the fixture of the domplan unit tests (test_domplan.c,
 * test_domplan_os.c): domain XML builders, the planner call and the image
 * tree that qemu-img (qemu-utils; without it these tests fail, they do
 * not skip: `make deps` installs it) creates in a mkdtemp directory:
 *
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
 *
 * Contract: domplan_fx_setup() builds the tree and CFG for a cmocka group,
 * domplan_fx_teardown() removes them. Every string returned is the
 * caller's to free(). A helper that fails aborts the test through cmocka.
 */
#ifndef HG_TEST_DOMPLAN_FX_H
#define HG_TEST_DOMPLAN_FX_H

#include <stddef.h>

#include "../../attest/domplan.h"
#include "../../attest/gateconf.h"

extern char *T, *IMG, *GOLD, *OUT, *FW;
extern struct hg_gateconf cfg;

struct item {
	enum hg_kind kind;
	const char *dir, *name;   /* path = DIR "/" NAME */
};

char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
int sh(const char *cmd);
/* qemu-img create in DIR: NAME, backed by BACKING (relative) or not. */
int mkimg(const char *dir, const char *name, const char *backing);
int mkfile(const char *dir, const char *name);
int domplan_fx_setup(void **state);
int domplan_fx_teardown(void **state);
/* The canonical form of a domain "vm" with OS inside <os> (after
 * <type>hvm</type>) and DEVICES inside <devices>. */
char *canon(const char *os, const char *devices);
/* Plan the domain; returns hg_domplan()'s result, WHY filled on -1. */
int plan(const char *os, const char *devices, struct hg_plan *p, char *why,
	 size_t whylen);
void assert_plan(const struct hg_plan *p, const struct item *want, size_t n);
/* A file disk: TARGET, SOURCE (IMG-relative), driver TYPE (NULL: no
 * driver element), EXTRA elements inside <disk>. */
char *disk(const char *target, const char *src, const char *type, const char *extra);
void expect_refused(const char *os, const char *devices, const char *want);

#endif
