/* imgchain_fx.c: see imgchain_fx.h. */
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

#include "imgchain_fx.h"

void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

void good_header(uint8_t *b)
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
char top_dir[PATH_MAX];   /* canonical mkdtemp directory */

void sh(const char *fmt, ...)
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
const char *p(const char *name)
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

void mkdirs(const char *rel)
{
	sh("mkdir -p '%s'", p(rel));
}

/* A hand-made qcow2 header (the good one) naming BACKING (NULL: none),
 * with backing format BFMT (NULL: no extension), padded to 4 KiB. */
void craft(const char *path, const char *backing, const char *bfmt)
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
 * after its 112-byte header: retype it to the end marker (an unknown
 * type would be refused as such). */
void drop_backing_format(const char *path)
{
	uint8_t ext[4];
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	assert_int_equal(fseek(f, 112, SEEK_SET), 0);
	assert_int_equal(fread(ext, 1, 4, f), 4);
	assert_memory_equal(ext, "\xe2\x79\x2a\xca", 4);
	put32(ext, 0);
	assert_int_equal(fseek(f, 112, SEEK_SET), 0);
	assert_int_equal(fwrite(ext, 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
}

int group_setup(void **state)
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

int group_teardown(void **state)
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

