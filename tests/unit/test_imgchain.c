/* test_imgchain.c: qcow2 headers and backing chains (attest/imgchain.h).
 *
 * hg_qcow2_parse(): a good header built by hand, then a bad-inputs table
 * in which each row patches that header to break one rule and is pinned
 * to the exact reason. hg_chain_resolve(): chains in a mkdtemp directory,
 * both real ones made by qemu-img (qemu-utils; without it these tests fail,
 * they do not skip: `make deps` installs it) and hand-crafted headers for
 * what qemu-img will not write (no backing format, loops, protocols).
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

/* ---- the good header and its patches ----------------------------------- */

/* Version 3, 64 KiB clusters, header_length 104; at 104 the backing
 * format extension ("qcow2"), at 120 the end marker, zeros up to the
 * backing name "base.qcow2" at 256. 512 bytes are handed to the parser. */
#define GOOD_LEN 512
#define BUF_LEN 4096
#define BNAME_OFF 256
#define EXT_BFMT 0xe2792acau
#define EXT_DATA 0x44415441u

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static void good_header(uint8_t *b)
{
	memset(b, 0, BUF_LEN);
	memcpy(b, "QFI\xfb", 4);
	put32(b + 4, 3);
	put64(b + 8, BNAME_OFF);
	put32(b + 16, 10);
	put32(b + 20, 16);
	put64(b + 24, 1 << 20);
	put32(b + 96, 4);
	put32(b + 100, 104);
	put32(b + 104, EXT_BFMT);
	put32(b + 108, 5);
	memcpy(b + 112, "qcow2", 5);
	memcpy(b + BNAME_OFF, "base.qcow2", 10);
}

enum pk { P_NONE, P_U8, P_U32, P_U64, P_STR };
struct patch {
	enum pk kind;
	size_t off;
	uint64_t v;
	const char *s;            /* P_STR: copied without its NUL */
};
struct bad {
	const char *what;
	size_t len;               /* 0: GOOD_LEN */
	struct patch p[4];
	const char *why;
};

#define U8(o, x) { P_U8, (o), (x), NULL }
#define U32(o, x) { P_U32, (o), (x), NULL }
#define U64(o, x) { P_U64, (o), (x), NULL }
#define STR(o, x) { P_STR, (o), 0, (x) }
#define LEN0 ((size_t)-1)  /* len 0 (0 means GOOD_LEN) */

static void apply(uint8_t *b, const struct patch *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (p[i].kind) {
		case P_U8: b[p[i].off] = (uint8_t)p[i].v; break;
		case P_U32: put32(b + p[i].off, (uint32_t)p[i].v); break;
		case P_U64: put64(b + p[i].off, p[i].v); break;
		case P_STR: memcpy(b + p[i].off, p[i].s, strlen(p[i].s)); break;
		case P_NONE: break;
		}
	}
}

static const char R_TRUNC[] = "header truncated (under 72 bytes)";
static const char R_VERSION[] = "unsupported qcow2 version (only 2 and 3)";
static const char R_CBITS[] = "cluster_bits out of range (9..21)";
static const char R_HLEN[] = "header_length invalid (under 104 or not a multiple of 8)";
static const char R_BOUT[] = "backing file name outside the first cluster or the bytes read";
static const char R_UNTERM[] = "header extensions not terminated within the bytes read";
static const char R_OVERRUN[] = "header extension overruns the extension area";
static const char R_BFMT[] = "backing format is neither qcow2 nor raw";
static const char R_UNKFEAT[] = "unknown incompatible feature bits (qemu would not open it)";
static const char R_CTRL[] = "backing file name contains a control character";

static const struct bad bad_inputs[] = {
	{ "empty", LEN0, {{0}}, R_TRUNC },
	{ "3 bytes", 3, {{0}}, R_TRUNC },
	{ "71 bytes", 71, {{0}}, R_TRUNC },
	{ "bad magic", 0, { STR(0, "QFI\xfa") }, "no qcow2 magic (QFI\\xfb)" },
	{ "qcow1 magic+version", 0, { U32(4, 1) }, R_VERSION },
	{ "version 0", 0, { U32(4, 0) }, R_VERSION },
	{ "version 4", 0, { U32(4, 4) }, R_VERSION },
	{ "version 2^32-1", 0, { U32(4, 0xffffffff) }, R_VERSION },
	{ "cluster_bits 8", 0, { U32(20, 8) }, R_CBITS },
	{ "cluster_bits 22", 0, { U32(20, 22) }, R_CBITS },
	{ "cluster_bits 2^32-1", 0, { U32(20, 0xffffffff) }, R_CBITS },
	{ "v3 in 100 bytes", 100, {{0}},
	  "version 3 header truncated (under 104 bytes)" },
	{ "header_length 96", 0, { U32(100, 96) }, R_HLEN },
	{ "header_length 0", 0, { U32(100, 0) }, R_HLEN },
	{ "header_length 108", 0, { U32(100, 108) }, R_HLEN },
	{ "header_length over the cluster", 0,
	  { U32(20, 9), U32(100, 1024) }, "header_length exceeds the cluster size" },
	{ "header_length past the bytes", 0, { U32(100, 1024) },
	  "header truncated (header_length beyond the bytes read)" },
	{ "incompatible bit 2 (data file)", 0, { U64(72, 1u << 2) },
	  "external data file (incompatible feature bit 2): its data would not be hashed" },
	{ "incompatible bit 5", 0, { U64(72, 1u << 5) }, R_UNKFEAT },
	{ "incompatible bit 63", 0, { U64(72, 1ull << 63) }, R_UNKFEAT },
	{ "backing len 1024", 0, { U32(16, 1024) },
	  "backing file name longer than 1023 bytes" },
	{ "backing len 2^32-1", 0, { U32(16, 0xffffffff) },
	  "backing file name longer than 1023 bytes" },
	{ "backing len 0", 0, { U32(16, 0) }, "backing file name empty" },
	{ "backing name in the fixed header", 0, { U64(8, 64) },
	  "backing file name overlaps the header" },
	{ "backing name under header_length", 0, { U64(8, 100) },
	  "backing file name overlaps the header" },
	{ "backing name past the bytes", 0, { U64(8, 505) }, R_BOUT },
	{ "backing offset 2^64-1", 0, { U64(8, UINT64_MAX) }, R_BOUT },
	{ "backing offset 2^40", 0, { U64(8, 1ull << 40) }, R_BOUT },
	{ "backing name past the cluster", 1024,
	  { U32(20, 9), U64(8, 600), STR(600, "base.qcow2") }, R_BOUT },
	{ "backing name with 1023 bytes past the bytes", 0, { U32(16, 1023) }, R_BOUT },
	{ "backing name with NUL", 0, { U8(BNAME_OFF + 4, 0) },
	  "backing file name contains a NUL byte" },
	{ "backing name with newline", 0, { U8(BNAME_OFF + 4, '\n') }, R_CTRL },
	{ "backing name with DEL", 0, { U8(BNAME_OFF, 0x7f) }, R_CTRL },
	{ "extension overruns into the name", 0, { U32(108, 200) }, R_OVERRUN },
	{ "extension len 2^32-1", 0, { U32(108, 0xffffffff) }, R_OVERRUN },
	{ "extension header cut by the name", 0,
	  { U64(8, 124), STR(124, "base.qcow2") }, "header extension truncated" },
	{ "extensions unterminated, no backing", 0,
	  { U64(8, 0), U32(120, 0x11111111), U32(124, GOOD_LEN - 128) }, R_UNTERM },
	{ "extension past the bytes, no backing", 0,
	  { U64(8, 0), U32(120, 0x11111111), U32(124, GOOD_LEN) }, R_UNTERM },
	{ "backing format qcow3", 0, { STR(112, "qcow3") }, R_BFMT },
	{ "backing format vmdk", 0, { U32(108, 4), STR(112, "vmdk") }, R_BFMT },
	{ "backing format qcow2 with NUL", 0, { U32(108, 6) }, R_BFMT },
	{ "backing format empty", 0, { U32(108, 0) }, R_BFMT },
	{ "backing format twice", 0,
	  { U32(120, EXT_BFMT), U32(124, 3), STR(128, "raw") },
	  "backing format extension appears twice" },
	{ "data file extension", 0, { U32(120, EXT_DATA), U32(124, 4), STR(128, "d.raw") },
	  "external data file extension: its data would not be hashed" },
	{ "v2 with bad cluster_bits", 0, { U32(4, 2), U32(20, 30) }, R_CBITS },
	{ "v2 unterminated extensions", 0,
	  { U32(4, 2), U64(8, 0), U32(72, 0x11111111), U32(76, GOOD_LEN - 80) }, R_UNTERM },
};

static void test_bad_inputs(void **state)
{
	size_t nfail = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const struct bad *b = &bad_inputs[i];
		size_t len = b->len == LEN0 ? 0 : b->len ? b->len : GOOD_LEN;
		uint8_t buf[BUF_LEN];
		struct hg_qcow2_hdr h;
		const char *why = NULL;
		int rc;

		good_header(buf);
		apply(buf, b->p, 4);
		rc = hg_qcow2_parse(buf, len, &h, &why);
		if (rc != -1 || !why || strcmp(why, b->why)) {
			print_error("row %zu \"%s\": rc %d, why \"%s\"; want \"%s\"\n",
				    i, b->what, rc, why ? why : "(none)", b->why);
			nfail++;
		}
		if (strstr(b->why, "data file"))
			assert_int_equal(h.has_data_file, 1);
	}
	assert_int_equal(nfail, 0);
}

/* Good headers: the base one and variations qemu accepts. */
static void test_good_headers(void **state)
{
	uint8_t buf[BUF_LEN];
	struct hg_qcow2_hdr h;
	const char *why = NULL;

	(void)state;
	good_header(buf);
	assert_int_equal(hg_qcow2_parse(buf, GOOD_LEN, &h, &why), 0);
	assert_null(why);
	assert_int_equal(h.version, 3);
	assert_int_equal(h.cluster_bits, 16);
	assert_int_equal(h.size, 1 << 20);
	assert_int_equal(h.backing_off, BNAME_OFF);
	assert_int_equal(h.backing_len, 10);
	assert_string_equal(h.backing, "base.qcow2");
	assert_true(h.has_backing_fmt);
	assert_int_equal(h.backing_fmt, HG_FMT_QCOW2);
	assert_false(h.has_data_file);

	/* Exactly the name's bytes: the name may end at the buffer's end. */
	assert_int_equal(hg_qcow2_parse(buf, BNAME_OFF + 10, &h, &why), 0);

	/* Dirty, corrupt, compression type, extended L2: data stays here. */
	put64(buf + 72, 0x1b);
	put32(buf + 32, 2);   /* LUKS: allowed, recorded */
	assert_int_equal(hg_qcow2_parse(buf, GOOD_LEN, &h, &why), 0);
	assert_int_equal(h.crypt_method, 2);

	/* raw backing format, then an unknown extension (ignored) */
	good_header(buf);
	put32(buf + 108, 3);
	memcpy(buf + 112, "raw\0\0", 5);
	put32(buf + 120, 0x6803f857);   /* feature name table */
	put32(buf + 124, 48);
	assert_int_equal(hg_qcow2_parse(buf, GOOD_LEN, &h, &why), 0);
	assert_int_equal(h.backing_fmt, HG_FMT_RAW);

	/* No backing file: backing_len is undefined, reported as 0. */
	good_header(buf);
	put64(buf + 8, 0);
	assert_int_equal(hg_qcow2_parse(buf, GOOD_LEN, &h, &why), 0);
	assert_int_equal(h.backing_off, 0);
	assert_int_equal(h.backing_len, 0);
	assert_string_equal(h.backing, "");

	/* Version 2: extensions start at 72 (here, the end marker); no
	 * backing format recorded, which only the resolver refuses. */
	good_header(buf);
	put32(buf + 4, 2);
	assert_int_equal(hg_qcow2_parse(buf, GOOD_LEN, &h, &why), 0);
	assert_int_equal(h.version, 2);
	assert_false(h.has_backing_fmt);
	assert_string_equal(h.backing, "base.qcow2");

	/* More bytes than a cluster: only the first cluster counts. */
	good_header(buf);
	put32(buf + 20, 9);
	memset(buf + 512, 0xff, BUF_LEN - 512);
	assert_int_equal(hg_qcow2_parse(buf, BUF_LEN, &h, &why), 0);

	/* A 1023-byte name (QEMU's limit) is fine. */
	good_header(buf);
	put32(buf + 16, 1023);
	memset(buf + BNAME_OFF, 'a', 1023);
	assert_int_equal(hg_qcow2_parse(buf, BUF_LEN, &h, &why), 0);
	assert_int_equal(strlen(h.backing), 1023);
}

/* Every prefix of a good header is refused or parsed, never over-read
 * (ASan in `make asan`), and the full one parses. */
static void test_every_prefix(void **state)
{
	uint8_t buf[BUF_LEN];
	struct hg_qcow2_hdr h;
	const char *why;

	(void)state;
	good_header(buf);
	for (size_t n = 0; n < BNAME_OFF + 10; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, buf, n);
		why = NULL;
		assert_int_equal(hg_qcow2_parse(copy, n, &h, &why), -1);
		assert_non_null(why);
		free(copy);
	}
}

/* ---- chains on disk ---------------------------------------------------- */

static char top_dir[PATH_MAX];   /* canonical mkdtemp directory */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

/* "DIR/NAME" in a static ring, so that a test can hold several. */
static const char *p(const char *name)
{
	static char ring[8][PATH_MAX];
	static unsigned i;
	char *s = ring[i++ % 8];
	size_t a = strlen(top_dir), b = strlen(name);

	if (a + 1 + b >= PATH_MAX)
		fail_msg("path too long: %s/%s", top_dir, name);
	memcpy(s, top_dir, a);
	s[a] = '/';
	memcpy(s + a + 1, name, b + 1);
	return s;
}

static void mkdirs(const char *rel)
{
	sh("mkdir -p '%s'", p(rel));
}

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

/* A hand-made qcow2 header (the good one) naming BACKING (NULL: none),
 * with backing format BFMT (NULL: no extension), padded to 4 KiB. */
static void craft(const char *path, const char *backing, const char *bfmt)
{
	uint8_t buf[BUF_LEN];
	FILE *f;

	good_header(buf);
	put64(buf + 8, backing ? BNAME_OFF : 0);
	put32(buf + 16, backing ? (uint32_t)strlen(backing) : 0);
	memset(buf + BNAME_OFF, 0, 1024);
	if (backing)
		memcpy(buf + BNAME_OFF, backing, strlen(backing));
	if (bfmt) {
		put32(buf + 108, (uint32_t)strlen(bfmt));
		memset(buf + 112, 0, 8);
		memcpy(buf + 112, bfmt, strlen(bfmt));
	} else {
		memset(buf + 104, 0, 16);
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	assert_int_equal(fclose(f), 0);
}

/* qemu-img's header keeps the backing format extension at 112, right
 * after its 112-byte header: retype it to an unknown extension. */
static void drop_backing_format(const char *path)
{
	uint8_t ext[4];
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	assert_int_equal(fseek(f, 112, SEEK_SET), 0);
	assert_int_equal(fread(ext, 1, 4, f), 4);
	assert_memory_equal(ext, "\xe2\x79\x2a\xca", 4);
	put32(ext, 0x0bad0001);
	assert_int_equal(fseek(f, 112, SEEK_SET), 0);
	assert_int_equal(fwrite(ext, 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
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

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/test_imgchain.XXXXXX";

	(void)state;
	/* qemu-utils is a declared dependency: its absence is a failure. */
	if (system("qemu-img --version >/dev/null") != 0) {
		fprintf(stderr, "test_imgchain: qemu-img not found (make deps installs qemu-utils)\n");
		return -1;
	}
	if (!mkdtemp(tmpl) || !realpath(tmpl, top_dir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	if (top_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
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
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_good_headers),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_three_layers),
		cmocka_unit_test(test_qemu_img_header),
		cmocka_unit_test(test_raw_base_and_v2),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_outside_roots),
		cmocka_unit_test(test_root_components),
		cmocka_unit_test(test_symlink_escape),
		cmocka_unit_test(test_symlinked_top),
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
