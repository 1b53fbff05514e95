/* test_imgchain_resolve.c: backing chains (attest/imgchain.h).
 *
 * hg_chain_resolve(): chains in a mkdtemp directory (imgchain_fx.c),
 * both real ones made by qemu-img (qemu-utils; without it these tests fail,
 * they do not skip: `make deps` installs it) and hand-crafted headers for
 * what qemu-img will not write (no backing format, loops, protocols).
 * The header parser's own tests are in test_imgchain.c.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../attest/imgchain.h"
#include "imgchain_fx.h"

/* ---- chains on disk ---------------------------------------------------- */

/* qemu-img create -f qcow2 [-b BACKING -F BFMT] PATH 1M, run in PATH's
 * directory so that relative names mean what they will mean to qemu. */
static void qimg(const char *path, const char *backing, const char *bfmt)
{
	if (backing)
		sh("cd \"$(dirname '%s')\" && qemu-img create -q -f qcow2 -b '%s' -F %s '%s' 1M",
		   path, backing, bfmt, path);
	else
		sh("qemu-img create -q -f qcow2 '%s' 1M", path);
}

static void resolve_ok(const char *top, const char *fmt,
		       const char *const *roots, size_t nroots,
		       struct hg_chain *c)
{
	char why[1024];

	if (hg_chain_resolve(top, fmt, roots, nroots, c, why, sizeof(why)) != 0)
		fail_msg("%s refused: %s", top, why);
}

/* Refused with exactly WANT (or containing it, if SUB). */
static void resolve_bad(const char *top, const char *fmt,
			const char *const *roots, size_t nroots,
			const char *want, int sub)
{
	struct hg_chain c;
	char why[2048];

	memset(&c, 0xa5, sizeof(c));
	if (hg_chain_resolve(top, fmt, roots, nroots, &c, why, sizeof(why)) == 0) {
		hg_chain_free(&c);
		fail_msg("%s accepted; want \"%s\"", top, want);
	}
	assert_int_equal(c.n, 0);
	assert_null(strchr(why, '\n'));
	if (sub ? !strstr(why, want) : strcmp(why, want) != 0)
		fail_msg("%s: got \"%s\"; want %s\"%s\"", top, why,
			 sub ? "a line containing " : "", want);
}

static void expect_layer(const struct hg_chain *c, size_t i, const char *path,
			 enum hg_imgfmt fmt)
{
	assert_true(i < c->n);
	assert_string_equal(c->layer[i].path, path);
	assert_int_equal(c->layer[i].fmt, fmt);
}

static void test_three_layers(void **state)
{
	const char *roots[] = { top_dir };
	struct hg_chain c;

	(void)state;
	mkdirs("three");
	qimg(p("three/base.qcow2"), NULL, NULL);
	qimg(p("three/mid.qcow2"), p("three/base.qcow2"), "qcow2");
	qimg(p("three/top.qcow2"), p("three/mid.qcow2"), "qcow2");
	resolve_ok(p("three/top.qcow2"), "qcow2", roots, 1, &c);
	assert_int_equal(c.n, 3);
	expect_layer(&c, 0, p("three/top.qcow2"), HG_FMT_QCOW2);
	expect_layer(&c, 1, p("three/mid.qcow2"), HG_FMT_QCOW2);
	expect_layer(&c, 2, p("three/base.qcow2"), HG_FMT_QCOW2);
	hg_chain_free(&c);
	assert_int_equal(c.n, 0);
}

/* qemu-img's own header (v3, 112-byte header, feature name table). */
static void test_qemu_img_header(void **state)
{
	uint8_t buf[BUF_LEN];
	struct hg_qcow2_hdr h;
	const char *why = NULL;
	FILE *f;

	(void)state;
	mkdirs("hdr");
	qimg(p("hdr/base.qcow2"), NULL, NULL);
	qimg(p("hdr/top.qcow2"), "base.qcow2", "qcow2");
	f = fopen(p("hdr/top.qcow2"), "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
	assert_int_equal(hg_qcow2_parse(buf, sizeof(buf), &h, &why), 0);
	assert_int_equal(h.version, 3);
	assert_int_equal(h.cluster_bits, 16);
	assert_int_equal(h.size, 1 << 20);
	assert_string_equal(h.backing, "base.qcow2");
	assert_true(h.has_backing_fmt);
	assert_int_equal(h.backing_fmt, HG_FMT_QCOW2);
}

static void test_raw_base_and_v2(void **state)
{
	const char *roots[] = { top_dir };
	struct hg_chain c;

	(void)state;
	mkdirs("rawb");
	sh("qemu-img create -q -f raw '%s' 1M", p("rawb/base.img"));
	sh("cd '%s' && qemu-img create -q -f qcow2 -o compat=0.10 -b base.img -F raw v2.qcow2",
	   p("rawb"));
	resolve_ok(p("rawb/v2.qcow2"), "qcow2", roots, 1, &c);
	assert_int_equal(c.n, 2);
	expect_layer(&c, 0, p("rawb/v2.qcow2"), HG_FMT_QCOW2);
	expect_layer(&c, 1, p("rawb/base.img"), HG_FMT_RAW);
	hg_chain_free(&c);
}

static void test_relative(void **state)
{
	const char *roots[] = { top_dir };
	struct hg_chain c;

	(void)state;
	mkdirs("rel/a");
	mkdirs("rel/b");
	qimg(p("rel/b/base.qcow2"), NULL, NULL);
	qimg(p("rel/a/top.qcow2"), "../b/base.qcow2", "qcow2");
	resolve_ok(p("rel/a/top.qcow2"), "qcow2", roots, 1, &c);
	assert_int_equal(c.n, 2);
	expect_layer(&c, 1, p("rel/b/base.qcow2"), HG_FMT_QCOW2);
	hg_chain_free(&c);

	/* Layers under two roots; a root given with a trailing slash. */
	{
		char ra[PATH_MAX], rb[PATH_MAX];
		const char *two[] = { ra, rb };

		snprintf(ra, sizeof(ra), "%s/", p("rel/a"));
		snprintf(rb, sizeof(rb), "%s", p("rel/b"));
		resolve_ok(p("rel/a/top.qcow2"), "qcow2", two, 2, &c);
		assert_int_equal(c.n, 2);
		hg_chain_free(&c);
		resolve_bad(p("rel/a/top.qcow2"), "qcow2", two, 1,
			    "backing file ../b/base.qcow2 resolves outside the image directories", 1);
	}
}

static void test_outside_roots(void **state)
{
	char want[2 * PATH_MAX];
	char in[PATH_MAX];
	const char *roots[] = { in };

	(void)state;
	mkdirs("out/in");
	mkdirs("out/else");
	snprintf(in, sizeof(in), "%s", p("out/in"));
	qimg(p("out/else/base.qcow2"), NULL, NULL);
	qimg(p("out/in/top.qcow2"), "../else/base.qcow2", "qcow2");
	snprintf(want, sizeof(want),
		 "%s: backing file ../else/base.qcow2 resolves outside the image directories (%s)",
		 p("out/in/top.qcow2"), p("out/else/base.qcow2"));
	resolve_bad(p("out/in/top.qcow2"), "qcow2", roots, 1, want, 0);

	/* The top itself outside. */
	snprintf(want, sizeof(want),
		 "%s: resolves outside the image directories (%s)",
		 p("out/else/base.qcow2"), p("out/else/base.qcow2"));
	resolve_bad(p("out/else/base.qcow2"), "qcow2", roots, 1, want, 0);

	/* No roots: nothing is inside. A missing root contains nothing. */
	resolve_bad(p("out/in/top.qcow2"), "qcow2", roots, 0,
		    "resolves outside the image directories", 1);
	{
		const char *gone[] = { p("out/nonexistent") };

		resolve_bad(p("out/in/top.qcow2"), "qcow2", gone, 1,
			    "resolves outside the image directories", 1);
	}
}

/* /a/b is not under /a/bc, nor /a/bc under /a/b. */
static void test_root_components(void **state)
{
	char img[PATH_MAX];
	const char *roots[] = { img };

	(void)state;
	mkdirs("comp/img");
	mkdirs("comp/img2");
	snprintf(img, sizeof(img), "%s", p("comp/img"));
	qimg(p("comp/img2/base.qcow2"), NULL, NULL);
	qimg(p("comp/img/top.qcow2"), "../img2/base.qcow2", "qcow2");
	resolve_bad(p("comp/img/top.qcow2"), "qcow2", roots, 1,
		    "backing file ../img2/base.qcow2 resolves outside the image directories", 1);
}

/* A symlink inside the roots to an image outside: judged by realpath. */
static void test_symlink_escape(void **state)
{
	char in[PATH_MAX], want[2 * PATH_MAX];
	const char *roots[] = { in };

	(void)state;
	mkdirs("sym/in");
	mkdirs("sym/out");
	snprintf(in, sizeof(in), "%s", p("sym/in"));
	qimg(p("sym/out/base.qcow2"), NULL, NULL);
	sh("ln -s ../out/base.qcow2 '%s'", p("sym/in/link.qcow2"));
	qimg(p("sym/in/top.qcow2"), "link.qcow2", "qcow2");
	snprintf(want, sizeof(want),
		 "%s: backing file link.qcow2 resolves outside the image directories (%s)",
		 p("sym/in/top.qcow2"), p("sym/out/base.qcow2"));
	resolve_bad(p("sym/in/top.qcow2"), "qcow2", roots, 1, want, 0);

	/* A directory symlink to outside, too. */
	sh("ln -s ../out '%s'", p("sym/in/dir"));
	qimg(p("sym/in/top2.qcow2"), "dir/base.qcow2", "qcow2");
	resolve_bad(p("sym/in/top2.qcow2"), "qcow2", roots, 1,
		    "backing file dir/base.qcow2 resolves outside the image directories", 1);
}

/* The top named through a symlink: qemu resolves a relative backing name
 * against the symlink's directory, realpath against the target's. When
 * the two name different files, refuse; when they agree, follow. */
static void test_symlinked_top(void **state)
{
	const char *roots[] = { top_dir };
	struct hg_chain c;

	(void)state;
	mkdirs("st/real");
	qimg(p("st/real/base.qcow2"), NULL, NULL);
	qimg(p("st/real/top.qcow2"), "base.qcow2", "qcow2");
	qimg(p("st/base.qcow2"), NULL, NULL);
	sh("ln -s real/top.qcow2 '%s'", p("st/top.qcow2"));
	resolve_bad(p("st/top.qcow2"), "qcow2", roots, 1, "refusing the ambiguity", 1);

	/* A symlinked directory: same directory either way. */
	sh("ln -s real '%s'", p("st/alias"));
	resolve_ok(p("st/alias/top.qcow2"), "qcow2", roots, 1, &c);
	assert_int_equal(c.n, 2);
	expect_layer(&c, 0, p("st/real/top.qcow2"), HG_FMT_QCOW2);
	expect_layer(&c, 1, p("st/real/base.qcow2"), HG_FMT_QCOW2);
	hg_chain_free(&c);
}

/* Issue 12 item 1: libvirt opens each layer by the path it builds
 * (the parent's directory as named, symlinks unresolved) after the hook.
 * A symlink in a directory others can write may point elsewhere by then,
 * and so may a hashed layer's own name: refused. A root-only directory
 * (the case above) or root's sticky /tmp with root's entries is fine. */
static void test_replaceable_names(void **state)
{
	const char *roots[] = { top_dir };
	struct hg_chain c;
	struct stat st;
	char want[2 * PATH_MAX];

	(void)state;
	mkdirs("rp/golden");
	mkdirs("rp/drop");
	qimg(p("rp/golden/base.qcow2"), NULL, NULL);
	qimg(p("rp/golden/mid.qcow2"), "base.qcow2", "qcow2");
	qimg(p("rp/drop/base.qcow2"), NULL, NULL);   /* the attacker's */
	sh("ln -s ../golden/mid.qcow2 '%s'", p("rp/drop/link.qcow2"));
	qimg(p("rp/top.qcow2"), "drop/link.qcow2", "qcow2");
	/* Root-only directory: followed, the layer is the file hashed. */
	resolve_bad(p("rp/top.qcow2"), "qcow2", roots, 1, "refusing the ambiguity", 1);
	sh("chmod 1777 '%s' && chown -h nobody '%s'", p("rp/drop"), p("rp/drop/link.qcow2"));
	snprintf(want, sizeof(want),
		 "%s: the symlink %s lies in a directory others than root can write: it could name another file when libvirt opens it",
		 p("rp/drop/link.qcow2"), p("rp/drop/link.qcow2"));
	resolve_bad(p("rp/top.qcow2"), "qcow2", roots, 1, want, 0);
	/* The same symlink as the top itself. */
	resolve_bad(p("rp/drop/link.qcow2"), "qcow2", roots, 1,
		    "lies in a directory others than root can write", 1);
	/* A golden layer whose own directory others can write. */
	sh("chmod 0777 '%s'", p("rp/golden"));
	qimg(p("rp/top2.qcow2"), "golden/mid.qcow2", "qcow2");
	snprintf(want, sizeof(want),
		 "%s: %s lies in a directory others than root can write: it could be replaced after it was measured",
		 p("rp/golden/mid.qcow2"), p("rp/golden/mid.qcow2"));
	resolve_bad(p("rp/top2.qcow2"), "qcow2", roots, 1, want, 0);
	sh("chmod 0755 '%s'", p("rp/golden"));
	resolve_ok(p("rp/top2.qcow2"), "qcow2", roots, 1, &c);
	assert_int_equal(c.n, 3);
	/* Each layer carries the identity of the file whose header was read. */
	assert_int_equal(stat(p("rp/golden/mid.qcow2"), &st), 0);
	assert_int_equal(c.layer[1].dev, (uint64_t)st.st_dev);
	assert_int_equal(c.layer[1].ino, (uint64_t)st.st_ino);
	hg_chain_free(&c);
}

static void test_loops(void **state)
{
	const char *roots[] = { top_dir };
	char want[2 * PATH_MAX];

	(void)state;
	mkdirs("loop");
	qimg(p("loop/a.qcow2"), NULL, NULL);
	qimg(p("loop/b.qcow2"), "a.qcow2", "qcow2");
	sh("cd '%s' && qemu-img rebase -u -b b.qcow2 -F qcow2 a.qcow2", p("loop"));
	snprintf(want, sizeof(want), "%s: backing file a.qcow2 loops back to %s",
		 p("loop/b.qcow2"), p("loop/a.qcow2"));
	resolve_bad(p("loop/a.qcow2"), "qcow2", roots, 1, want, 0);

	/* Onto itself, and through a hard link (same inode, other name). */
	craft(p("loop/self.qcow2"), "self.qcow2", "qcow2");
	resolve_bad(p("loop/self.qcow2"), "qcow2", roots, 1, "loops back to", 1);
	craft(p("loop/h1.qcow2"), "h2.qcow2", "qcow2");
	sh("ln '%s' '%s'", p("loop/h1.qcow2"), p("loop/h2.qcow2"));
	resolve_bad(p("loop/h1.qcow2"), "qcow2", roots, 1, "loops back to", 1);
}

/* 16 layers resolve; 17 are refused. */
static void test_depth(void **state)
{
	const char *roots[] = { top_dir };
	char name[64], next[64], want[2 * PATH_MAX];
	struct hg_chain c;

	(void)state;
	mkdirs("deep");
	for (int i = 0; i <= HG_CHAIN_MAX_DEPTH; i++) {
		snprintf(name, sizeof(name), "deep/l%02d.qcow2", i);
		snprintf(next, sizeof(next), "l%02d.qcow2", i + 1);
		craft(p(name), i < HG_CHAIN_MAX_DEPTH ? next : NULL, "qcow2");
	}
	resolve_ok(p("deep/l01.qcow2"), "qcow2", roots, 1, &c);
	assert_int_equal(c.n, HG_CHAIN_MAX_DEPTH);
	expect_layer(&c, HG_CHAIN_MAX_DEPTH - 1, p("deep/l16.qcow2"), HG_FMT_QCOW2);
	hg_chain_free(&c);
	snprintf(want, sizeof(want),
		 "%s: backing file l16.qcow2: chain deeper than 16 layers",
		 p("deep/l15.qcow2"));
	resolve_bad(p("deep/l00.qcow2"), "qcow2", roots, 1, want, 0);
}

static void test_missing_backing_format(void **state)
{
	const char *roots[] = { top_dir };
	char want[4 * PATH_MAX];

	(void)state;
	mkdirs("nofmt");
	qimg(p("nofmt/base.qcow2"), NULL, NULL);
	/* A real image whose format extension is made unknown (ignored), as
	 * images written before qemu-img required -F look. */
	qimg(p("nofmt/top.qcow2"), "base.qcow2", "qcow2");
	drop_backing_format(p("nofmt/top.qcow2"));
	snprintf(want, sizeof(want),
		 "%s: backing file base.qcow2 has no recorded format; record it with "
		 "'qemu-img rebase -u -b base.qcow2 -F FMT %s' (FMT qcow2 or raw)",
		 p("nofmt/top.qcow2"), p("nofmt/top.qcow2"));
	resolve_bad(p("nofmt/top.qcow2"), "qcow2", roots, 1, want, 0);

	/* The fix the message gives works. */
	sh("qemu-img rebase -u -b base.qcow2 -F qcow2 '%s'", p("nofmt/top.qcow2"));
	{
		struct hg_chain c;

		resolve_ok(p("nofmt/top.qcow2"), "qcow2", roots, 1, &c);
		assert_int_equal(c.n, 2);
		hg_chain_free(&c);
	}
}

static void test_raw_top(void **state)
{
	const char *roots[] = { top_dir };
	struct hg_chain c;

	(void)state;
	mkdirs("rawtop");
	/* Declared raw: read as raw even though the bytes are qcow2 with a
	 * backing file (qemu would not look at them either). */
	craft(p("rawtop/looks-qcow2.img"), "/etc/shadow", "raw");
	resolve_ok(p("rawtop/looks-qcow2.img"), "raw", roots, 1, &c);
	assert_int_equal(c.n, 1);
	expect_layer(&c, 0, p("rawtop/looks-qcow2.img"), HG_FMT_RAW);
	hg_chain_free(&c);
	/* An empty raw disk is still a disk. */
	sh(": > '%s'", p("rawtop/empty.img"));
	resolve_ok(p("rawtop/empty.img"), "raw", roots, 1, &c);
	assert_int_equal(c.n, 1);
	hg_chain_free(&c);
}

static void test_declared_qcow2_not_qcow2(void **state)
{
	const char *roots[] = { top_dir };
	char want[2 * PATH_MAX];

	(void)state;
	mkdirs("lie");
	sh("qemu-img create -q -f raw '%s' 1M", p("lie/disk.img"));
	snprintf(want, sizeof(want), "%s: declared qcow2: no qcow2 magic (QFI\\xfb)",
		 p("lie/disk.img"));
	resolve_bad(p("lie/disk.img"), "qcow2", roots, 1, want, 0);
	/* A raw backing declared qcow2 by its child: the same (-u: qemu-img
	 * would check, as qemu would at start). */
	sh("cd '%s' && qemu-img create -q -u -f qcow2 -b disk.img -F qcow2 top.qcow2 1M",
	   p("lie"));
	resolve_bad(p("lie/top.qcow2"), "qcow2", roots, 1, want, 0);
	/* Too short to be anything. */
	sh("printf QFI > '%s'", p("lie/short.img"));
	snprintf(want, sizeof(want), "%s: declared qcow2: header truncated (under 72 bytes)",
		 p("lie/short.img"));
	resolve_bad(p("lie/short.img"), "qcow2", roots, 1, want, 0);
}

static void test_declared_formats(void **state)
{
	const char *roots[] = { top_dir };
	char want[2 * PATH_MAX];

	(void)state;
	mkdirs("decl");
	qimg(p("decl/top.qcow2"), NULL, NULL);
	snprintf(want, sizeof(want),
		 "%s: declared format (none) is neither qcow2 nor raw (formats are never probed)",
		 p("decl/top.qcow2"));
	resolve_bad(p("decl/top.qcow2"), NULL, roots, 1, want, 0);
	resolve_bad(p("decl/top.qcow2"), "vmdk", roots, 1,
		    "declared format vmdk is neither qcow2 nor raw", 1);
	resolve_bad(p("decl/top.qcow2"), "QCOW2", roots, 1,
		    "declared format QCOW2 is neither qcow2 nor raw", 1);
	resolve_bad("decl/top.qcow2", "qcow2", roots, 1,
		    "decl/top.qcow2: not an absolute path", 0);
}

static void test_protocols(void **state)
{
	static const char *const names[] = {
		"nbd:localhost:10809", "nbd://localhost/export",
		"json:{\"file.driver\":\"file\",\"file.filename\":\"/etc/shadow\"}",
		"http://example.com/base.qcow2", "file:base.qcow2",
		"gluster+tcp://h/v/base.qcow2", "iscsi://h/iqn/1",
	};
	const char *roots[] = { top_dir };
	char want[2 * PATH_MAX];
	struct hg_chain c;

	(void)state;
	mkdirs("proto");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		craft(p("proto/top.qcow2"), names[i], "qcow2");
		snprintf(want, sizeof(want),
			 "%s: backing file %s is a protocol or json: name, not a local file",
			 p("proto/top.qcow2"), names[i]);
		resolve_bad(p("proto/top.qcow2"), "qcow2", roots, 1, want, 0);
	}
	/* A ':' after a '/' is a local file name, as in qemu. */
	qimg(p("proto/x:y.qcow2"), NULL, NULL);
	craft(p("proto/top.qcow2"), "./x:y.qcow2", "qcow2");
	resolve_ok(p("proto/top.qcow2"), "qcow2", roots, 1, &c);
	expect_layer(&c, 1, p("proto/x:y.qcow2"), HG_FMT_QCOW2);
	hg_chain_free(&c);
}

static void test_missing_and_odd_files(void **state)
{
	const char *roots[] = { top_dir };
	char want[2 * PATH_MAX];

	(void)state;
	mkdirs("odd/dir.qcow2");
	craft(p("odd/top.qcow2"), "nothere.qcow2", "qcow2");
	snprintf(want, sizeof(want), "%s: backing file nothere.qcow2 does not exist (%s)",
		 p("odd/top.qcow2"), p("odd/nothere.qcow2"));
	resolve_bad(p("odd/top.qcow2"), "qcow2", roots, 1, want, 0);

	/* A dangling symlink does not exist either. */
	sh("ln -s gone.qcow2 '%s'", p("odd/dangling.qcow2"));
	craft(p("odd/top.qcow2"), "dangling.qcow2", "qcow2");
	resolve_bad(p("odd/top.qcow2"), "qcow2", roots, 1,
		    "backing file dangling.qcow2 does not exist", 1);

	/* A FIFO must not be opened (it would block), a directory is no disk. */
	sh("mkfifo '%s'", p("odd/fifo.qcow2"));
	craft(p("odd/top.qcow2"), "fifo.qcow2", "qcow2");
	snprintf(want, sizeof(want), "%s: backing file fifo.qcow2 is not a regular file (%s)",
		 p("odd/top.qcow2"), p("odd/fifo.qcow2"));
	resolve_bad(p("odd/top.qcow2"), "qcow2", roots, 1, want, 0);
	craft(p("odd/top.qcow2"), "dir.qcow2", "qcow2");
	resolve_bad(p("odd/top.qcow2"), "qcow2", roots, 1,
		    "backing file dir.qcow2 is not a regular file", 1);
	resolve_bad(p("odd/fifo.qcow2"), "raw", roots, 1, "is not a regular file", 1);
	resolve_bad("/dev/null", "raw", (const char *const[]){ "/" }, 1,
		    "/dev/null: is not a regular file (/dev/null)", 0);
	resolve_bad(p("odd/none.qcow2"), "qcow2", roots, 1,
		    "none.qcow2: No such file or directory", 1);

	/* A bad header deeper in the chain names that layer. */
	craft(p("odd/bad.qcow2"), NULL, NULL);
	sh("printf '\\000\\000\\000\\001' | dd of='%s' bs=1 seek=4 conv=notrunc status=none",
	   p("odd/bad.qcow2"));
	craft(p("odd/top.qcow2"), "bad.qcow2", "qcow2");
	snprintf(want, sizeof(want), "%s: declared qcow2: unsupported qcow2 version (only 2 and 3)",
		 p("odd/bad.qcow2"));
	resolve_bad(p("odd/top.qcow2"), "qcow2", roots, 1, want, 0);
}

static void test_data_file(void **state)
{
	const char *roots[] = { top_dir };
	char want[2 * PATH_MAX];

	(void)state;
	mkdirs("df");
	sh("qemu-img create -q -f qcow2 -o data_file='%s' '%s' 1M",
	   p("df/data.raw"), p("df/top.qcow2"));
	snprintf(want, sizeof(want),
		 "%s: declared qcow2: external data file (incompatible feature bit 2): its data would not be hashed",
		 p("df/top.qcow2"));
	resolve_bad(p("df/top.qcow2"), "qcow2", roots, 1, want, 0);
}

/* WHY is bounded, NUL-terminated and one line even for a file name with a
 * newline; a refused resolve leaves nothing to free. */
static void test_why_buffer(void **state)
{
	const char *roots[] = { top_dir };
	struct hg_chain c, z;
	char small[16];

	(void)state;
	mkdirs("why");
	craft(p("why/top.qcow2"), "nothere.qcow2", "qcow2");
	memset(small, 'x', sizeof(small));
	assert_int_equal(hg_chain_resolve(p("why/top.qcow2"), "qcow2", roots, 1,
					  &c, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(c.n, 0);
	hg_chain_free(&c);

	sh("printf x > '%s'", p("why/new\nline.img"));
	resolve_bad(p("why/new\nline.img"), "qcow2", roots, 1,
		    "why/new?line.img: declared qcow2: header truncated", 1);

	memset(&z, 0, sizeof(z));
	hg_chain_free(&z);
	hg_chain_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_layers),
		cmocka_unit_test(test_qemu_img_header),
		cmocka_unit_test(test_raw_base_and_v2),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_outside_roots),
		cmocka_unit_test(test_root_components),
		cmocka_unit_test(test_symlink_escape),
		cmocka_unit_test(test_symlinked_top),
		cmocka_unit_test(test_replaceable_names),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_missing_backing_format),
		cmocka_unit_test(test_raw_top),
		cmocka_unit_test(test_declared_qcow2_not_qcow2),
		cmocka_unit_test(test_declared_formats),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_missing_and_odd_files),
		cmocka_unit_test(test_data_file),
		cmocka_unit_test(test_why_buffer),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
