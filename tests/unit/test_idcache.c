/* test_idcache.c: the identity cache (attest/idcache.c): round trips,
 * another boot or log gives an empty cache, every kind of malformed file
 * gives an empty cache (never a crash, never a partial one), replace on
 * put, the entry cap, and an atomic 0600 save. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../attest/idcache.h"

static const char BOOT[] = "0123abcd-4567-89ef-0123-456789abcdef";
static const char BOOT2[] = "ffffffff-4567-89ef-0123-456789abcdef";
static const char LOGID[] =
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char LOGID2[] =
	"f0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static char dir[64];
static char file[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/hg-idcache-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/idcache", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct hg_ident ident(uint64_t k)
{
	struct hg_ident id = {
		.dev = 2049, .ino = 1000 + k, .size = 4096 * k,
		.mtime_s = 1700000000 + (int64_t)k, .mtime_ns = 123456789,
		.ctime_s = -5, .ctime_ns = 999999999,
	};
	return id;
}

static void write_text(const char *text)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void write_bytes(const char *text, size_t len)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static struct hg_idcache *load(const char *boot, const char *logid)
{
	struct hg_idcache *c = NULL;

	assert_int_equal(hg_idcache_load(file, boot, logid, &c), 0);
	assert_non_null(c);
	return c;
}

static int has(const struct hg_idcache *c, enum hg_kind kind, const char *p)
{
	return hg_idcache_get(c, kind, p, NULL, NULL);
}

static void test_missing_file_is_empty(void **state)
{
	struct hg_idcache *c;

	(void)state;
	unlink(file);
	c = load(BOOT, LOGID);
	assert_false(has(c, HG_KIND_HYPERVISOR, "/usr/bin/qemu"));
	hg_idcache_free(c);
	hg_idcache_free(NULL);
}

static void test_round_trip(void **state)
{
	static const char *paths[] = { "/usr/bin/qemu-system-x86_64",
				       "/etc/libvirt/qemu.conf",
				       "/var/lib/libvirt/images/a disk with spaces.qcow2",
				       "/x" };
	struct hg_idcache *c;
	struct hg_ident id, want;
	uint64_t rec;

	(void)state;
	unlink(file);
	c = load(BOOT, LOGID);
	for (size_t k = 0; k < 4; k++) {
		want = ident(k);
		assert_int_equal(hg_idcache_put(c, HG_KIND_HYPERVISOR + (int)k,
						paths[k], &want, 10 + k), 0);
	}
	/* Same path, another kind: a separate entry. */
	want = ident(9);
	assert_int_equal(hg_idcache_put(c, HG_KIND_IMAGE, paths[0], &want, 99), 0);
	assert_int_equal(hg_idcache_save(c, file), 0);
	hg_idcache_free(c);

	c = load(BOOT, LOGID);
	for (size_t k = 0; k < 4; k++) {
		want = ident(k);
		assert_true(hg_idcache_get(c, HG_KIND_HYPERVISOR + (int)k,
					   paths[k], &id, &rec));
		assert_true(hg_ident_equal(&id, &want));
		assert_int_equal(rec, 10 + k);
		/* Kind is part of the key. */
		assert_false(has(c, k == 0 ? HG_KIND_FIRMWARE : HG_KIND_HYPERVISOR,
				 paths[k]));
	}
	want = ident(9);
	assert_true(hg_idcache_get(c, HG_KIND_IMAGE, paths[0], &id, &rec));
	assert_true(hg_ident_equal(&id, &want));
	assert_int_equal(rec, 99);
	assert_false(has(c, HG_KIND_HYPERVISOR, "/usr/bin/qemu-system-x86"));
	assert_false(has(c, HG_KIND_HYPERVISOR, "/var/lib/libvirt/images/a"));
	hg_idcache_free(c);
}

static void test_other_boot_or_log_is_empty(void **state)
{
	struct hg_ident id = ident(1);
	struct hg_idcache *c;

	(void)state;
	unlink(file);
	c = load(BOOT, LOGID);
	assert_int_equal(hg_idcache_put(c, HG_KIND_FIRMWARE, "/fw.bin", &id, 3), 0);
	assert_int_equal(hg_idcache_save(c, file), 0);
	hg_idcache_free(c);

	c = load(BOOT2, LOGID);
	assert_false(has(c, HG_KIND_FIRMWARE, "/fw.bin"));
	/* Saving it again stamps the new boot: the old entries are gone. */
	assert_int_equal(hg_idcache_save(c, file), 0);
	hg_idcache_free(c);
	c = load(BOOT, LOGID);
	assert_false(has(c, HG_KIND_FIRMWARE, "/fw.bin"));
	hg_idcache_free(c);

	c = load(BOOT2, LOGID2);
	assert_false(has(c, HG_KIND_FIRMWARE, "/fw.bin"));
	hg_idcache_free(c);

	/* LOGID is an opaque token: a "dev:ino" names a log as well. */
	c = load(BOOT, "803:1a2b");
	assert_int_equal(hg_idcache_put(c, HG_KIND_FIRMWARE, "/fw.bin", &id, 3), 0);
	assert_int_equal(hg_idcache_save(c, file), 0);
	hg_idcache_free(c);
	c = load(BOOT, "803:1a2b");
	assert_true(has(c, HG_KIND_FIRMWARE, "/fw.bin"));
	hg_idcache_free(c);
	c = load(BOOT, "803:1a2c");
	assert_false(has(c, HG_KIND_FIRMWARE, "/fw.bin"));
	hg_idcache_free(c);
}

static void test_bad_ids_refused(void **state)
{
	struct hg_idcache *c = (struct hg_idcache *)1;

	(void)state;
	assert_int_equal(hg_idcache_load(file, "not-a-boot-id", LOGID, &c), -1);
	assert_null(c);
	assert_int_equal(hg_idcache_load(file, BOOT, "a b", &c), -1);
	assert_int_equal(hg_idcache_load(file, BOOT, "", &c), -1);
	assert_int_equal(hg_idcache_load(file, BOOT, "a\nb", &c), -1);
	assert_int_equal(hg_idcache_load(file, BOOT, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0", &c), -1);
	assert_int_equal(hg_idcache_load(file, "0123ABCD-4567-89ef-0123-456789abcdef",
					 LOGID, &c), -1);
}

#define HDR "hostgate-idcache 2 0123abcd-4567-89ef-0123-456789abcdef " \
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
#define GOOD "hypervisor 2049 7 100 1700000000 5 1700000001 6 4 /usr/bin/good\n"

/* Each is a whole file that must load as an empty cache: the good line
 * in it must not survive either. */
static const struct {
	const char *what, *text;
} bad_files[] = {
	{ "empty file", "" },
	{ "header only, no newline", "hostgate-idcache 2 0123abcd-4567-89ef-0123-456789abcdef 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" },
	{ "wrong magic", "hostgate-idcachf 1 0123abcd-4567-89ef-0123-456789abcdef 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n" GOOD },
	{ "wrong version (1: before the lease rule)", "hostgate-idcache 1 0123abcd-4567-89ef-0123-456789abcdef 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n" GOOD },
	{ "header trailing field", "hostgate-idcache 2 0123abcd-4567-89ef-0123-456789abcdef 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff x\n" GOOD },
	{ "header missing logid", "hostgate-idcache 2 0123abcd-4567-89ef-0123-456789abcdef\n" GOOD },
	{ "unknown kind", HDR GOOD "hypervisorx 2049 7 100 1 5 1 6 4 /a\n" },
	{ "kind none", HDR GOOD "? 2049 7 100 1 5 1 6 4 /a\n" },
	{ "too few fields", HDR GOOD "hypervisor 2049 7 100 1 5 1 6 4\n" },
	{ "relative path", HDR GOOD "hypervisor 2049 7 100 1 5 1 6 4 a/b\n" },
	{ "empty path", HDR GOOD "hypervisor 2049 7 100 1 5 1 6 4 \n" },
	{ "control char in path", HDR GOOD "hypervisor 2049 7 100 1 5 1 6 4 /a\tb\n" },
	{ "double space", HDR GOOD "hypervisor 2049  7 100 1 5 1 6 4 /a\n" },
	{ "empty number", HDR GOOD "hypervisor 2049 7  1 5 1 6 4 /a\n" },
	{ "plus sign", HDR GOOD "hypervisor +2049 7 100 1 5 1 6 4 /a\n" },
	{ "negative unsigned", HDR GOOD "hypervisor 2049 -7 100 1 5 1 6 4 /a\n" },
	{ "hex number", HDR GOOD "hypervisor 0x801 7 100 1 5 1 6 4 /a\n" },
	{ "u64 overflow", HDR GOOD "hypervisor 18446744073709551616 7 100 1 5 1 6 4 /a\n" },
	{ "i64 overflow", HDR GOOD "hypervisor 2049 7 100 9223372036854775808 5 1 6 4 /a\n" },
	{ "nsec out of range", HDR GOOD "hypervisor 2049 7 100 1 1000000000 1 6 4 /a\n" },
	{ "negative nsec", HDR GOOD "hypervisor 2049 7 100 1 5 1 -6 4 /a\n" },
	{ "duplicate key", HDR GOOD GOOD },
	{ "NUL in line", HDR "hypervisor 2049 7 100 1 5 1 6 4 /a\0b\n" GOOD },
	{ "last line unterminated", HDR GOOD "hypervisor 2049 7 100 1 5 1 6 4 /a" },
	{ "blank line", HDR GOOD "\n" },
	{ "CRLF", HDR "hypervisor 2049 7 100 1 5 1 6 4 /a\r\n" GOOD },
};

static void test_malformed_gives_empty(void **state)
{
	(void)state;
	/* The fixture itself loads: the table's failures are the lines. */
	write_text(HDR GOOD);
	struct hg_idcache *c = load(BOOT, LOGID);
	assert_true(has(c, HG_KIND_HYPERVISOR, "/usr/bin/good"));
	hg_idcache_free(c);

	for (size_t k = 0; k < sizeof(bad_files) / sizeof(bad_files[0]); k++) {
		size_t len = strlen(bad_files[k].text);

		if (!strcmp(bad_files[k].what, "NUL in line"))
			len = sizeof(HDR "hypervisor 2049 7 100 1 5 1 6 4 /a\0b\n" GOOD) - 1;
		write_bytes(bad_files[k].text, len);
		c = load(BOOT, LOGID);
		if (has(c, HG_KIND_HYPERVISOR, "/usr/bin/good") ||
		    has(c, HG_KIND_HYPERVISOR, "/a"))
			fail_msg("%s: not an empty cache", bad_files[k].what);
		hg_idcache_free(c);
	}
}

static void test_overlong_line(void **state)
{
	static const char pre[] = HDR GOOD "hypervisor 2049 7 100 1 5 1 6 4 /";
	size_t n = 3 * 4096, len = strlen(pre);
	char *text = malloc(len + n + 2);
	struct hg_idcache *c;

	(void)state;
	assert_non_null(text);
	memcpy(text, pre, len);
	memset(text + len, 'a', n);
	memcpy(text + len + n, "\n", 2);
	write_bytes(text, len + n + 1);
	c = load(BOOT, LOGID);
	assert_false(has(c, HG_KIND_HYPERVISOR, "/usr/bin/good"));
	hg_idcache_free(c);

	/* The longest name the log can hold (4096) still fits. */
	n = 4095;
	memset(text + len, 'a', n);
	memcpy(text + len + n, "\n", 2);
	write_bytes(text, len + n + 1);
	c = load(BOOT, LOGID);
	assert_true(has(c, HG_KIND_HYPERVISOR, "/usr/bin/good"));
	hg_idcache_free(c);
	free(text);
}

static void test_not_regular_or_symlink(void **state)
{
	char target[160];
	struct hg_idcache *c = NULL;

	(void)state;
	unlink(file);
	assert_int_equal(mkdir(file, 0700), 0);
	assert_int_equal(hg_idcache_load(file, BOOT, LOGID, &c), -1);
	assert_null(c);
	rmdir(file);

	snprintf(target, sizeof(target), "%s/target", dir);
	write_text(HDR GOOD);
	assert_int_equal(rename(file, target), 0);
	assert_int_equal(symlink(target, file), 0);
	assert_int_equal(hg_idcache_load(file, BOOT, LOGID, &c), -1);
	assert_int_equal(errno, ELOOP);
	assert_null(c);
	unlink(file);
	unlink(target);
}

static void test_replace_on_put(void **state)
{
	struct hg_ident a = ident(1), b = ident(2), id;
	struct hg_idcache *c;
	uint64_t rec;

	(void)state;
	unlink(file);
	c = load(BOOT, LOGID);
	assert_int_equal(hg_idcache_put(c, HG_KIND_CONFIG, "/etc/x", &a, 5), 0);
	assert_int_equal(hg_idcache_put(c, HG_KIND_CONFIG, "/etc/x", &b, 8), 0);
	assert_true(hg_idcache_get(c, HG_KIND_CONFIG, "/etc/x", &id, &rec));
	assert_true(hg_ident_equal(&id, &b));
	assert_int_equal(rec, 8);
	assert_int_equal(hg_idcache_save(c, file), 0);
	hg_idcache_free(c);

	/* One line for the key in the file: it loads (no duplicate). */
	c = load(BOOT, LOGID);
	assert_true(hg_idcache_get(c, HG_KIND_CONFIG, "/etc/x", &id, &rec));
	assert_true(hg_ident_equal(&id, &b));
	assert_int_equal(rec, 8);
	hg_idcache_free(c);
}

static void test_put_refuses_bad_keys(void **state)
{
	struct hg_ident a = ident(1);
	struct hg_idcache *c;

	(void)state;
	unlink(file);
	c = load(BOOT, LOGID);
	assert_int_equal(hg_idcache_put(c, HG_KIND_NONE, "/a", &a, 1), -1);
	assert_int_equal(hg_idcache_put(c, (enum hg_kind)99, "/a", &a, 1), -1);
	assert_int_equal(hg_idcache_put(c, HG_KIND_IMAGE, "a", &a, 1), -1);
	assert_int_equal(hg_idcache_put(c, HG_KIND_IMAGE, "/a\nb", &a, 1), -1);
	assert_int_equal(errno, EINVAL);
	hg_idcache_free(c);
}

static void test_full_and_fast(void **state)
{
	struct hg_ident a = ident(1), id;
	struct hg_idcache *c;
	char p[64];
	uint64_t rec;

	(void)state;
	unlink(file);
	c = load(BOOT, LOGID);
	for (uint64_t k = 0; k < HG_IDCACHE_MAX_ENTRIES; k++) {
		snprintf(p, sizeof(p), "/var/lib/f%llu", (unsigned long long)k);
		a.ino = k;
		assert_int_equal(hg_idcache_put(c, HG_KIND_IMAGE, p, &a, k), 0);
	}
	assert_int_equal(hg_idcache_put(c, HG_KIND_IMAGE, "/one/more", &a, 1), -1);
	assert_int_equal(errno, ENOSPC);
	/* Replacing an existing key still works when full. */
	assert_int_equal(hg_idcache_put(c, HG_KIND_IMAGE, "/var/lib/f7", &a, 77), 0);
	assert_int_equal(hg_idcache_save(c, file), 0);
	hg_idcache_free(c);

	c = load(BOOT, LOGID);
	for (uint64_t k = 0; k < HG_IDCACHE_MAX_ENTRIES; k++) {
		snprintf(p, sizeof(p), "/var/lib/f%llu", (unsigned long long)k);
		assert_true(hg_idcache_get(c, HG_KIND_IMAGE, p, &id, &rec));
		assert_int_equal(rec, k == 7 ? 77 : k);
	}
	hg_idcache_free(c);

	/* A file with one line too many is malformed: empty. */
	FILE *f = fopen(file, "a");
	assert_non_null(f);
	fprintf(f, "image 1 2 3 4 5 6 7 8 /one/more\n");
	fclose(f);
	c = load(BOOT, LOGID);
	assert_false(has(c, HG_KIND_IMAGE, "/var/lib/f0"));
	hg_idcache_free(c);
}

static void test_save_atomic_0600(void **state)
{
	struct hg_ident a = ident(1);
	struct hg_idcache *c;
	struct stat st;
	char tmp[200];

	(void)state;
	unlink(file);
	/* An old file with loose permissions is replaced, not rewritten in
	 * place: the new inode is 0600 whatever the umask. */
	write_text("old\n");
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(stat(file, &st), 0);
	ino_t old_ino = st.st_ino;
	mode_t um = umask(0);
	c = load(BOOT, LOGID);
	assert_int_equal(hg_idcache_put(c, HG_KIND_FIRMWARE, "/fw", &a, 2), 0);
	assert_int_equal(hg_idcache_save(c, file), 0);
	umask(um);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(st.st_ino != old_ino);
	/* No temp file left beside it. */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
	assert_int_equal(access(tmp, F_OK), -1);
	/* Saving into a missing directory fails and leaves nothing. */
	snprintf(tmp, sizeof(tmp), "%s/nodir/idcache", dir);
	assert_int_equal(hg_idcache_save(c, tmp), -1);
	hg_idcache_free(c);

	/* The file is exactly the documented format, sorted by path. */
	c = load(BOOT, LOGID);
	a = ident(2);
	assert_int_equal(hg_idcache_put(c, HG_KIND_HYPERVISOR, "/a b", &a, 3), 0);
	assert_int_equal(hg_idcache_save(c, file), 0);
	hg_idcache_free(c);
	FILE *f = fopen(file, "r");
	char buf[512];
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf,
		HDR
		"hypervisor 2049 1002 8192 1700000002 123456789 -5 999999999 3 /a b\n"
		"firmware 2049 1001 4096 1700000001 123456789 -5 999999999 2 /fw\n");
}

static void test_boot_id(void **state)
{
	char b[37];

	(void)state;
	if (access("/proc/sys/kernel/random/boot_id", R_OK) != 0)
		skip();
	assert_int_equal(hg_boot_id(b), 0);
	assert_int_equal(strlen(b), 36);
	assert_int_equal(b[8], '-');
}

static void test_ident_from_stat(void **state)
{
	struct stat st;
	struct hg_ident a, b;

	(void)state;
	write_text("x\n");
	assert_int_equal(stat(file, &st), 0);
	hg_ident_from_stat(&st, &a);
	assert_int_equal(a.size, 2);
	assert_int_equal(a.ino, (uint64_t)st.st_ino);
	b = a;
	assert_true(hg_ident_equal(&a, &b));
	b.ctime_ns++;
	assert_false(hg_ident_equal(&a, &b));
	b = a;
	b.dev++;
	assert_false(hg_ident_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_file_is_empty),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_other_boot_or_log_is_empty),
		cmocka_unit_test(test_bad_ids_refused),
		cmocka_unit_test(test_malformed_gives_empty),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_not_regular_or_symlink),
		cmocka_unit_test(test_replace_on_put),
		cmocka_unit_test(test_put_refuses_bad_keys),
		cmocka_unit_test(test_full_and_fast),
		cmocka_unit_test(test_save_atomic_0600),
		cmocka_unit_test(test_boot_id),
		cmocka_unit_test(test_ident_from_stat),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
