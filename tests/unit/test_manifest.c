/* test_manifest.c: the host manifest parser (attest/manifest.c). A
 * bad-inputs table pins every malformed manifest to its line and reason;
 * good manifests with comments, blanks and escapes parse; discovery lists
 * only existing regular files, once each; write then load round-trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../attest/manifest.h"

static int parse(const char *text, size_t len, struct hg_manifest *m,
		 struct hg_manifest_err *err)
{
	return hg_manifest_parse((const uint8_t *)text, len, m, err);
}

static int parse_str(const char *text, struct hg_manifest *m,
		     struct hg_manifest_err *err)
{
	return parse(text, strlen(text), m, err);
}

static const struct {
	const char *name;
	const char *text;
	size_t line;
	const char *why;
} bad[] = {
	{ "relative path", "hypervisor usr/bin/qemu\n", 1, "path is not absolute" },
	{ "unknown kind", "# c\nkernel /boot/vmlinuz\n", 2,
	  "unknown kind \"kernel\" (hypervisor or firmware)" },
	{ "kind case", "Hypervisor /a\n", 1,
	  "unknown kind \"Hypervisor\" (hypervisor or firmware)" },
	{ "kind glued to path", "hypervisor/usr/bin/qemu\n", 1,
	  "unknown kind \"hypervisor/usr/bin/qemu\" (hypervisor or firmware)" },
	{ "kind control chars", "hyper\x01visor /a\n", 1,
	  "unknown kind \"hyper?visor\" (hypervisor or firmware)" },
	{ "config refused", "hypervisor /a\n\nconfig /etc/libvirt/qemu/vm.xml\n", 3,
	  "kind config is reserved for VM configurations (the libvirt gate measures them)" },
	{ "image refused", "image /var/lib/libvirt/images/a.qcow2\n", 1,
	  "kind image is for VM disk images (the libvirt gate measures them)" },
	{ "missing path", "hypervisor /a\nfirmware\n", 2, "missing path after firmware" },
	{ "missing path, blanks", "firmware  \t \n", 1, "missing path after firmware" },
	{ "trailing garbage", "hypervisor /usr/bin/qemu extra\n", 1,
	  "trailing garbage after the path (write a space in a path as \\040)" },
	{ "trailing garbage after tab", "hypervisor /a\tb\n", 1,
	  "trailing garbage after the path (write a space in a path as \\040)" },
	{ "carriage return", "hypervisor /a\r\n", 1, "control character in path" },
	{ "escaped control char", "hypervisor /a\\012b\n", 1, "control character in path" },
	{ "escaped NUL", "hypervisor /a\\000\n", 1, "control character in path" },
	{ "bad escape letter", "hypervisor /a\\x20\n", 1,
	  "bad escape (write \\NNN in octal, e.g. \\040 for a space)" },
	{ "short escape", "hypervisor /a\\04\n", 1,
	  "bad escape (write \\NNN in octal, e.g. \\040 for a space)" },
	{ "escape at end", "hypervisor /a\\", 1,
	  "bad escape (write \\NNN in octal, e.g. \\040 for a space)" },
	{ "escape over 255", "hypervisor /a\\400\n", 1,
	  "bad escape (write \\NNN in octal, e.g. \\040 for a space)" },
	{ "duplicate", "hypervisor /a\nfirmware /a\n# x\nhypervisor  /a  # again\n", 4,
	  "duplicate of line 1" },
};

static void test_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hg_manifest m = { 0 };
		struct hg_manifest_err err;

		errno = 0;
		if (parse_str(bad[i].text, &m, &err) != -1)
			fail_msg("%s: parsed", bad[i].name);
		if (err.line != bad[i].line || strcmp(err.why, bad[i].why))
			fail_msg("%s: got line %zu \"%s\", want line %zu \"%s\"",
				 bad[i].name, err.line, err.why, bad[i].line,
				 bad[i].why);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(m.n, 0);
		assert_null(m.e);
	}
}

static void test_nul_byte(void **state)
{
	static const char text[] = "hypervisor /a\nfirmware /b\0c\n";
	struct hg_manifest m;
	struct hg_manifest_err err;

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1, &m, &err), -1);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.why, "NUL byte");
	/* Also in a comment: the file is not text. */
	assert_int_equal(parse("# \0\n", 4, &m, &err), -1);
	assert_string_equal(err.why, "NUL byte");
}

static void test_long_line_and_path(void **state)
{
	size_t n = HG_MANIFEST_MAX_LINE + 1;
	char *text = malloc(n + 2);
	struct hg_manifest m;
	struct hg_manifest_err err;

	(void)state;
	assert_non_null(text);
	/* A comment line one byte too long. */
	memset(text, '#', n);
	text[n] = '\n';
	assert_int_equal(parse(text, n + 1, &m, &err), -1);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.why, "line longer than 16384 bytes");
	/* Exactly the limit is fine. */
	assert_int_equal(parse(text, n - 1, &m, &err), 0);
	assert_int_equal(m.n, 0);

	/* A path of 4096 bytes fits, 4097 does not. */
	strcpy(text, "firmware /");
	memset(text + 10, 'p', 4095);
	text[10 + 4095] = '\0';
	assert_int_equal(parse_str(text, &m, &err), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(strlen(m.e[0].path), 4096);
	hg_manifest_free(&m);
	strcat(text, "p");
	assert_int_equal(parse_str(text, &m, &err), -1);
	assert_string_equal(err.why, "path longer than 4096 bytes");
	free(text);
}

static void test_too_many_entries_and_size(void **state)
{
	size_t cap = (HG_MANIFEST_MAX_ENTRIES + 1) * 32 + HG_MANIFEST_MAX_SIZE;
	char *text = malloc(cap);
	size_t len = 0;
	struct hg_manifest m;
	struct hg_manifest_err err;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < HG_MANIFEST_MAX_ENTRIES; i++)
		len += (size_t)sprintf(text + len, "firmware /fw/%d\n", i);
	assert_int_equal(parse(text, len, &m, &err), 0);
	assert_int_equal(m.n, HG_MANIFEST_MAX_ENTRIES);
	assert_string_equal(m.e[4095].path, "/fw/4095");
	hg_manifest_free(&m);
	hg_manifest_free(&m);   /* freeing twice is harmless */

	len += (size_t)sprintf(text + len, "firmware /fw/one-more\n");
	assert_int_equal(parse(text, len, &m, &err), -1);
	assert_int_equal(err.line, HG_MANIFEST_MAX_ENTRIES + 1);
	assert_string_equal(err.why, "more than 4096 entries");

	/* Over 1 MiB, even of comments. */
	memset(text, '\n', HG_MANIFEST_MAX_SIZE + 1);
	assert_int_equal(parse(text, HG_MANIFEST_MAX_SIZE + 1, &m, &err), -1);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.why, "larger than 1 MiB");
	assert_int_equal(parse(text, HG_MANIFEST_MAX_SIZE, &m, &err), 0);
	free(text);
}

static void test_good_parse(void **state)
{
	static const char text[] =
		"# the hypervisor set\n"
		"\n"
		"   \t\n"
		"hypervisor /usr/bin/qemu-system-x86_64\n"
		"  firmware\t /usr/share/OVMF/OVMF_CODE.fd   # the code\n"
		"\t# indented comment\n"
		"hypervisor /opt/my\\040vm\\134tools/bin#1\n"
		"firmware /usr/share/seabios/bios.bin";   /* no final LF */
	struct hg_manifest m;
	struct hg_manifest_err err;

	(void)state;
	assert_int_equal(parse_str(text, &m, &err), 0);
	assert_int_equal(m.n, 4);
	assert_int_equal(m.e[0].kind, HG_KIND_HYPERVISOR);
	assert_string_equal(m.e[0].path, "/usr/bin/qemu-system-x86_64");
	assert_int_equal(m.e[1].kind, HG_KIND_FIRMWARE);
	assert_string_equal(m.e[1].path, "/usr/share/OVMF/OVMF_CODE.fd");
	assert_string_equal(m.e[2].path, "/opt/my vm\\tools/bin#1");
	assert_string_equal(m.e[3].path, "/usr/share/seabios/bios.bin");
	hg_manifest_free(&m);

	/* Empty and comment-only manifests parse to no entries. */
	assert_int_equal(parse("", 0, &m, &err), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(parse_str("# nothing\n\n", &m, &err), 0);
	assert_int_equal(m.n, 0);
	/* The same path under both kinds is two entries, not a duplicate. */
	assert_int_equal(parse_str("hypervisor /a\nfirmware /a\n", &m, &err), 0);
	assert_int_equal(m.n, 2);
	hg_manifest_free(&m);
}

static void test_add_refuses(void **state)
{
	struct hg_manifest m = { 0 };

	(void)state;
	assert_int_equal(hg_manifest_add(&m, HG_KIND_CONFIG, "/a"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(hg_manifest_add(&m, HG_KIND_HYPERVISOR, "a"), -1);
	assert_int_equal(hg_manifest_add(&m, HG_KIND_HYPERVISOR, "/a\nb"), -1);
	assert_int_equal(m.n, 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(hg_manifest_add(&m, HG_KIND_FIRMWARE, "/x"), 0);
	assert_int_equal(m.n, 100);
	assert_string_equal(m.e[99].path, "/x");
	hg_manifest_free(&m);
}

static void test_discover(void **state)
{
	struct hg_manifest m;

	(void)state;
	assert_int_equal(hg_manifest_discover(&m), 0);
	for (size_t i = 0; i < m.n; i++) {
		struct stat st;
		char *canon;

		assert_true(m.e[i].kind == HG_KIND_HYPERVISOR ||
			    m.e[i].kind == HG_KIND_FIRMWARE);
		assert_int_equal(lstat(m.e[i].path, &st), 0);
		if (!S_ISREG(st.st_mode))
			fail_msg("%s: not a regular file", m.e[i].path);
		canon = realpath(m.e[i].path, NULL);
		assert_non_null(canon);
		assert_string_equal(canon, m.e[i].path);
		free(canon);
		for (size_t j = 0; j < i; j++)
			if (m.e[j].kind == m.e[i].kind &&
			    !strcmp(m.e[j].path, m.e[i].path))
				fail_msg("%s listed twice", m.e[i].path);
	}
	/* On this machine (Debian, qemu-system-x86 installed) the emulator
	 * and seabios are there; vgabios.bin is a symlink that collapses. */
	if (access("/usr/bin/qemu-system-x86_64", F_OK) == 0) {
		char *q = realpath("/usr/bin/qemu-system-x86_64", NULL);
		int found = 0;

		for (size_t i = 0; i < m.n; i++)
			found |= !strcmp(m.e[i].path, q) &&
				 m.e[i].kind == HG_KIND_HYPERVISOR;
		free(q);
		assert_true(found);
	}
	for (size_t i = 0; i < m.n; i++)
		assert_string_not_equal(m.e[i].path, "/usr/share/seabios/vgabios.bin");
	hg_manifest_free(&m);
}

static void test_write_load_round_trip(void **state)
{
	char dir[] = "/tmp/hg-manifest-XXXXXX", file[64];
	struct hg_manifest m = { 0 }, back;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/host.manifest", dir);
	assert_int_equal(hg_manifest_add(&m, HG_KIND_HYPERVISOR, "/usr/bin/qemu"), 0);
	assert_int_equal(hg_manifest_add(&m, HG_KIND_FIRMWARE, "/fw/a  b\\d#e"), 0);
	assert_int_equal(hg_manifest_add(&m, HG_KIND_FIRMWARE, "/usr/share/\xc3\xa9.fd"), 0);
	assert_int_equal(hg_manifest_write(file, &m), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(hg_manifest_load(file, &back), 0);
	assert_int_equal(back.n, m.n);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(back.e[i].kind, m.e[i].kind);
		assert_string_equal(back.e[i].path, m.e[i].path);
	}
	hg_manifest_free(&back);

	/* The discovered manifest round-trips too. */
	hg_manifest_free(&m);
	assert_int_equal(hg_manifest_discover(&m), 0);
	assert_int_equal(hg_manifest_write(file, &m), 0);
	assert_int_equal(hg_manifest_load(file, &back), 0);
	assert_int_equal(back.n, m.n);
	for (size_t i = 0; i < m.n; i++)
		assert_string_equal(back.e[i].path, m.e[i].path);
	hg_manifest_free(&back);
	hg_manifest_free(&m);

	/* Load errors: missing file (ENOENT), a directory. */
	unlink(file);
	assert_int_equal(hg_manifest_load(file, &m), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(hg_manifest_load(dir, &m), -1);
	assert_int_equal(m.n, 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_long_line_and_path),
		cmocka_unit_test(test_too_many_entries_and_size),
		cmocka_unit_test(test_good_parse),
		cmocka_unit_test(test_add_refuses),
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_write_load_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
