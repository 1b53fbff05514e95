/* test_gateconf.c: the gate's configuration file (attest/gateconf.h).
 *
 * Defaults; a full valid file; a bad-inputs table that pins each malformed
 * file to the exact one line hg_err() prints on stderr (captured by
 * pointing fd 2 at a temp file); hg_path_under() by whole components.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
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

#include "../../attest/gateconf.h"
#include "../../lib/util.h"

static char tmpdir[256];   /* canonical; small, so paths built on it fit */

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/hg-gateconf.XXXXXX", *real;

	(void)state;
	hg_progname = "hostgate-attest";
	if (!mkdtemp(tmpl))
		return -1;
	real = realpath(tmpl, NULL);
	if (!real || strlen(real) >= sizeof(tmpdir))
		return -1;
	strcpy(tmpdir, real);
	free(real);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[sizeof(tmpdir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* hg_gateconf_load(PATH) with stderr captured into ERR (NUL-terminated). */
static int load_capture(const char *path, struct hg_gateconf *c, char *err,
			size_t errlen)
{
	char cap[PATH_MAX];
	int saved, fd, rc;
	ssize_t n;

	snprintf(cap, sizeof(cap), "%s/stderr", tmpdir);
	fflush(stderr);
	fd = open(cap, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 2) >= 0);
	rc = hg_gateconf_load(path, c);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	n = pread(fd, err, errlen - 1, 0);
	assert_true(n >= 0);
	err[n] = '\0';
	close(fd);
	unlink(cap);
	return rc;
}

static void test_defaults(void **state)
{
	struct hg_gateconf c;
	char self[PATH_MAX], want[PATH_MAX + 32], *slash;
	ssize_t n;

	(void)state;
	assert_int_equal(hg_gateconf_defaults(&c), 0);
	assert_string_equal(c.tcti, "device:/dev/tpmrm0");
	assert_string_equal(c.state, "/var/lib/hostgate");
	assert_string_equal(c.log, "/run/hostgate/measurements.cel");
	assert_int_equal(c.pcr, 13);
	assert_string_equal(c.policy, "/etc/hostgate/policy.json");
	assert_string_equal(c.manifest, "/etc/hostgate/host.manifest");
	assert_string_equal(c.break_glass, "/etc/hostgate/break-glass");
	assert_int_equal(c.nimage_dirs, 1);
	assert_string_equal(c.image_dirs[0], "/var/lib/libvirt/images");
	assert_int_equal(c.ngolden_dirs, 0);
	/* The verifier beside this binary: a hook runs with no PATH. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(want, sizeof(want), "%s/hostgate-verify", self);
	assert_string_equal(c.verifier, want);
	hg_gateconf_free(&c);
	assert_null(c.tcti);
	assert_int_equal(c.nimage_dirs, 0);
	hg_gateconf_free(&c);   /* a freed struct frees again harmlessly */
}

static void test_empty_file_is_defaults(void **state)
{
	struct hg_gateconf c;
	char path[PATH_MAX], err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/empty.conf", tmpdir);
	write_bytes(path, "", 0);
	assert_int_equal(load_capture(path, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.state, "/var/lib/hostgate");
	assert_int_equal(c.pcr, 13);
	assert_int_equal(c.nimage_dirs, 1);
	assert_string_equal(c.image_dirs[0], "/var/lib/libvirt/images");
	hg_gateconf_free(&c);
}

static void test_full_file(void **state)
{
	struct hg_gateconf c;
	char path[PATH_MAX], img[512], link[512], text[8192], err[512];
	char want[PATH_MAX + 64];

	(void)state;
	/* An existing image dir reached through a symlink is canonicalised
	 * (the gate compares it with realpath()s); a missing one is kept as
	 * written. */
	snprintf(img, sizeof(img), "%s/images", tmpdir);
	assert_int_equal(mkdir(img, 0700), 0);
	snprintf(link, sizeof(link), "%s/images-link", tmpdir);
	assert_int_equal(symlink(img, link), 0);
	snprintf(path, sizeof(path), "%s/full.conf", tmpdir);
	snprintf(text, sizeof(text),
		 "# hostgate gate configuration\n"
		 "\n"
		 "tcti = swtpm:host=127.0.0.1,port=2321\n"
		 "state=/srv/hg/state\n"
		 "  log\t=\t/srv/hg/log.cel  \n"
		 "pcr = 15\r\n"
		 "   # an indented comment\n"
		 "policy = /srv/hg/policy.json\n"
		 "verifier = /opt/hg/bin/hostgate-verify\n"
		 "image-dirs = %s:/nonexistent/images/:/srv/vm\n"
		 "golden-dirs = %s/golden-missing\n"
		 "manifest = /srv/hg/host.manifest\n"
		 "break-glass = /srv/hg/break-glass\n"
		 "mode = local\n"
		 "nvram = hashed\n"
		 "qemu-commandline = -fw_cfg  name=opt/x,string=1\n",
		 link, tmpdir);
	write_bytes(path, text, strlen(text));
	assert_int_equal(load_capture(path, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_string_equal(c.state, "/srv/hg/state");
	assert_string_equal(c.log, "/srv/hg/log.cel");
	assert_int_equal(c.pcr, 15);
	assert_string_equal(c.policy, "/srv/hg/policy.json");
	assert_string_equal(c.verifier, "/opt/hg/bin/hostgate-verify");
	assert_string_equal(c.manifest, "/srv/hg/host.manifest");
	assert_string_equal(c.break_glass, "/srv/hg/break-glass");
	assert_int_equal(c.nimage_dirs, 3);
	assert_string_equal(c.image_dirs[0], img);
	assert_string_equal(c.image_dirs[1], "/nonexistent/images/");
	assert_string_equal(c.image_dirs[2], "/srv/vm");
	assert_int_equal(c.ngolden_dirs, 1);
	snprintf(want, sizeof(want), "%s/golden-missing", tmpdir);
	assert_string_equal(c.golden_dirs[0], want);
	assert_int_equal(c.nvram_hashed, 1);
	/* Taken as written (two spaces: no argument list a domain can give). */
	assert_string_equal(c.qemu_commandline, "-fw_cfg  name=opt/x,string=1");
	hg_gateconf_free(&c);
	unlink(link);
	rmdir(img);
}

/* mode = remote with its keys; local by default, with the defaults. */
static void test_remote_keys(void **state)
{
	char path[PATH_MAX], err[512];
	static const char text[] =
		"mode = remote\n"
		"verifier-url = https://verifier.example:8443/hg/\n"
		"verifier-ca = /srv/hg/ca.pem\n"
		"verifier-cert = /srv/hg/host.pem\n"
		"verifier-key-file = /srv/hg/host.key\n"
		"verifier-ear-key = /srv/hg/ear.pub\n"
		"verifier-timeout = 120\n";
	struct hg_gateconf c;

	(void)state;
	assert_int_equal(hg_gateconf_defaults(&c), 0);
	assert_int_equal(c.remote, 0);
	assert_null(c.verifier_url);
	assert_string_equal(c.verifier_ca, "/etc/hostgate/verifier-ca.pem");
	assert_string_equal(c.verifier_ear_key, "/etc/hostgate/verifier-ear.pem");
	assert_int_equal(c.verifier_timeout, 10);
	hg_gateconf_free(&c);
	snprintf(path, sizeof(path), "%s/remote.conf", tmpdir);
	write_bytes(path, text, strlen(text));
	assert_int_equal(load_capture(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.remote, 1);
	assert_string_equal(c.verifier_url, "https://verifier.example:8443/hg/");
	assert_string_equal(c.verifier_ca, "/srv/hg/ca.pem");
	assert_string_equal(c.verifier_cert, "/srv/hg/host.pem");
	assert_string_equal(c.verifier_key_file, "/srv/hg/host.key");
	assert_string_equal(c.verifier_ear_key, "/srv/hg/ear.pub");
	assert_int_equal(c.verifier_timeout, 120);
	hg_gateconf_free(&c);
}

static void test_pcr_bounds(void **state)
{
	static const struct { const char *v; int ok; uint32_t pcr; } v[] = {
		{ "0", 1, 0 }, { "15", 1, 15 }, { "007", 1, 7 },
		{ "16", 0, 0 }, { "23", 0, 0 }, { "-1", 0, 0 }, { "+1", 0, 0 },
		{ "1x", 0, 0 }, { "0x1", 0, 0 }, { "1 2", 0, 0 },
		{ "99999999999999999999999", 0, 0 },
	};
	char path[PATH_MAX], text[128], err[512], want[PATH_MAX + 128];
	struct hg_gateconf c;

	(void)state;
	snprintf(path, sizeof(path), "%s/pcr.conf", tmpdir);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(text, sizeof(text), "pcr = %s\n", v[i].v);
		write_bytes(path, text, strlen(text));
		if (v[i].ok) {
			assert_int_equal(load_capture(path, &c, err, sizeof(err)), 0);
			assert_string_equal(err, "");
			assert_int_equal(c.pcr, v[i].pcr);
			hg_gateconf_free(&c);
			continue;
		}
		assert_int_equal(load_capture(path, &c, err, sizeof(err)), -1);
		snprintf(want, sizeof(want),
			 "hostgate-attest: %s:1: pcr: not a PCR number 0..15\n", path);
		if (strcmp(err, want))
			fail_msg("pcr = %s: got \"%s\"", v[i].v, err);
	}
}

/* Each malformed file, pinned to the one line it must produce. In WHY,
 * "%s" is the file's path. */
static const struct bad {
	const char *name;
	const char *text;
	size_t len;                 /* 0: strlen(text) */
	const char *why;
} bad[] = {
	{ "unknown key", "# c\npolcy = /etc/hostgate/policy.json\n", 0,
	  "%s:2: polcy: unknown key" },
	{ "key case", "PCR = 1\n", 0, "%s:1: PCR: unknown key" },
	{ "duplicate key", "pcr = 1\n\nstate = /a\npcr = 1\n", 0,
	  "%s:4: pcr: given twice" },
	{ "duplicate key, second empty", "tcti = a\ntcti =\n", 0,
	  "%s:2: tcti: given twice" },
	{ "duplicate image-dirs", "image-dirs = /a\nimage-dirs = /b\n", 0,
	  "%s:2: image-dirs: given twice" },
	{ "duplicate mode", "mode = local\nmode = local\n", 0,
	  "%s:2: mode: given twice" },
	{ "relative state", "state = var/lib/hostgate\n", 0,
	  "%s:1: state: not an absolute path" },
	{ "relative log", "log = ./log.cel\n", 0, "%s:1: log: not an absolute path" },
	{ "relative policy", "policy = policy.json\n", 0,
	  "%s:1: policy: not an absolute path" },
	{ "relative verifier", "verifier = hostgate-verify\n", 0,
	  "%s:1: verifier: not an absolute path" },
	{ "relative manifest", "manifest = ~/host.manifest\n", 0,
	  "%s:1: manifest: not an absolute path" },
	{ "relative break-glass", "break-glass = break-glass\n", 0,
	  "%s:1: break-glass: not an absolute path" },
	{ "relative image dir", "image-dirs = /var/lib/libvirt/images:images\n", 0,
	  "%s:1: image-dirs: not an absolute directory" },
	{ "relative golden dir", "golden-dirs = golden\n", 0,
	  "%s:1: golden-dirs: not an absolute directory" },
	{ "pcr 16", "pcr = 16\n", 0, "%s:1: pcr: not a PCR number 0..15" },
	{ "pcr x", "pcr = x\n", 0, "%s:1: pcr: not a PCR number 0..15" },
	{ "empty value", "policy =\n", 0, "%s:1: policy: empty value" },
	{ "blank value", "state = \t \n", 0, "%s:1: state: empty value" },
	{ "empty pcr", "pcr=\n", 0, "%s:1: pcr: empty value" },
	{ "no '='", "# comment\n\nstate /var/lib/hostgate\n", 0,
	  "%s:3: not \"key = value\"" },
	{ "bare word", "local\n", 0, "%s:1: not \"key = value\"" },
	{ "mode remote without url", "mode = remote\n", 0,
	  "verifier-url: not set, and mode = remote (%s:1) needs it" },
	{ "mode Local", "mode = Local\n", 0, "%s:1: mode: not \"local\" or \"remote\"" },
	{ "verifier-url http", "verifier-url = http://v:8443\n", 0,
	  "%s:1: verifier-url: not an https:// URL" },
	{ "verifier-url no host", "verifier-url = https://\n", 0,
	  "%s:1: verifier-url: names no host" },
	{ "verifier-url port only", "verifier-url = https://:8443\n", 0,
	  "%s:1: verifier-url: names no host" },
	{ "verifier-url userinfo", "verifier-url = https://u@v\n", 0,
	  "%s:1: verifier-url: holds userinfo, a query or a fragment" },
	{ "verifier-url query", "verifier-url = https://v/?a=b\n", 0,
	  "%s:1: verifier-url: holds userinfo, a query or a fragment" },
	{ "verifier-url control", "verifier-url = https://v/\x01\n", 0,
	  "%s:1: verifier-url: holds a space or a character that is not printable ASCII" },
	{ "verifier-timeout 0", "verifier-timeout = 0\n", 0,
	  "%s:1: verifier-timeout: not an integer in 1..120" },
	{ "verifier-timeout 121", "verifier-timeout = 121\n", 0,
	  "%s:1: verifier-timeout: not an integer in 1..120" },
	{ "verifier-timeout 5s", "verifier-timeout = 5s\n", 0,
	  "%s:1: verifier-timeout: not an integer in 1..120" },
	{ "relative verifier-ca", "verifier-ca = ca.pem\n", 0,
	  "%s:1: verifier-ca: not an absolute path" },
	{ "relative verifier-cert", "verifier-cert = host.pem\n", 0,
	  "%s:1: verifier-cert: not an absolute path" },
	{ "relative verifier-key-file", "verifier-key-file = host.key\n", 0,
	  "%s:1: verifier-key-file: not an absolute path" },
	{ "relative verifier-ear-key", "verifier-ear-key = ear.pem\n", 0,
	  "%s:1: verifier-ear-key: not an absolute path" },
	{ "verifier-url twice", "verifier-url = https://a\nverifier-url = https://b\n", 0,
	  "%s:2: verifier-url: given twice" },
	{ "17 image dirs",
	  "image-dirs = /1:/2:/3:/4:/5:/6:/7:/8:/9:/10:/11:/12:/13:/14:/15:/16:/17\n", 0,
	  "%s:1: image-dirs: more than 16 directories" },
	{ "17 golden dirs",
	  "golden-dirs = /1:/2:/3:/4:/5:/6:/7:/8:/9:/10:/11:/12:/13:/14:/15:/16:/17\n", 0,
	  "%s:1: golden-dirs: more than 16 directories" },
	{ "nvram neither", "nvram = yes\n", 0, "%s:1: nvram: not \"overlay\" or \"hashed\"" },
	{ "nvram twice", "nvram = hashed\nnvram = overlay\n", 0, "%s:2: nvram: given twice" },
	{ "qemu-commandline twice", "qemu-commandline = -a\nqemu-commandline = -b\n", 0,
	  "%s:2: qemu-commandline: given twice" },
	{ "NUL byte", "state = /var/lib/host\0gate\n", 27, "%s: contains a NUL byte" },
	{ "NUL after the newline", "pcr = 1\n\0", 9, "%s: contains a NUL byte" },
	{ "last line without newline", "pcr = 1\nstate = /a", 0,
	  "%s: last line has no newline" },
	{ "comment without newline", "pcr = 1\n# end", 0,
	  "%s: last line has no newline" },
};

/* "hostgate-attest: " WHY "\n", with WHY's "%s" replaced by PATH. */
static void expand(char *out, size_t len, const char *why, const char *path)
{
	const char *at = strstr(why, "%s");

	assert_non_null(at);
	snprintf(out, len, "hostgate-attest: %.*s%s%s\n", (int)(at - why), why, path,
		 at + 2);
}

static void test_bad_inputs(void **state)
{
	char path[PATH_MAX], err[1024], want[PATH_MAX + 256];
	struct hg_gateconf c;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		size_t len = b->len ? b->len : strlen(b->text);
		int rc;

		write_bytes(path, b->text, len);
		memset(&c, 0xa5, sizeof(c));
		rc = load_capture(path, &c, err, sizeof(err));
		expand(want, sizeof(want), b->why, path);
		if (rc != -1)
			fail_msg("%s: accepted", b->name);
		if (strcmp(err, want))
			fail_msg("%s: got \"%s\", want \"%s\"", b->name, err, want);
		/* Nothing is left to free, and freeing again is harmless. */
		assert_null(c.state);
		assert_int_equal(c.nimage_dirs, 0);
		hg_gateconf_free(&c);
	}
}

static void test_sixteen_dirs_ok(void **state)
{
	char path[PATH_MAX], err[512], want[8];
	struct hg_gateconf c;
	static const char text[] =
		"image-dirs = /1:/2:/3:/4:/5:/6:/7:/8:/9:/10:/11:/12:/13:/14:/15:/16\n"
		"golden-dirs = /g1::/g2:\n";

	(void)state;
	snprintf(path, sizeof(path), "%s/dirs.conf", tmpdir);
	write_bytes(path, text, strlen(text));
	assert_int_equal(load_capture(path, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.nimage_dirs, 16);
	for (size_t i = 0; i < 16; i++) {
		snprintf(want, sizeof(want), "/%zu", i + 1);
		assert_string_equal(c.image_dirs[i], want);
	}
	assert_int_equal(c.ngolden_dirs, 2);
	assert_string_equal(c.golden_dirs[0], "/g1");
	assert_string_equal(c.golden_dirs[1], "/g2");
	hg_gateconf_free(&c);
}

static void test_size_limit(void **state)
{
	char path[PATH_MAX], err[512], want[PATH_MAX + 64];
	const size_t max = 64u << 10;
	struct hg_gateconf c;
	char *text = malloc(max + 1);

	(void)state;
	assert_non_null(text);
	/* Exactly 64 KiB of comment lines is accepted... */
	memset(text, '#', max);
	for (size_t i = 63; i < max; i += 64)
		text[i] = '\n';
	text[max - 1] = '\n';
	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
	write_bytes(path, text, max);
	assert_int_equal(load_capture(path, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	hg_gateconf_free(&c);
	/* ...one byte more is refused before parsing. */
	text[max] = '\n';
	write_bytes(path, text, max + 1);
	assert_int_equal(load_capture(path, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "hostgate-attest: %s: larger than 64 KiB\n", path);
	assert_string_equal(err, want);
	free(text);
}

static void test_missing_file(void **state)
{
	char path[PATH_MAX], err[512], want[PATH_MAX + 64];
	struct hg_gateconf c;

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such.conf", tmpdir);
	assert_int_equal(load_capture(path, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "hostgate-attest: %s: %s\n", path, strerror(ENOENT));
	assert_string_equal(err, want);
	assert_null(c.tcti);
	/* A directory is not a config file either. */
	assert_int_equal(load_capture(tmpdir, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "hostgate-attest: %s: is a directory\n", tmpdir);
	assert_string_equal(err, want);
}

static void test_path_under(void **state)
{
	char *a[] = { "/a" }, *ab[] = { "/a/b" }, *slash[] = { "/a/" },
	     *slashes[] = { "/a///" }, *root[] = { "/" }, *roots[] = { "///" },
	     *two[] = { "/x/y", "/var/lib/libvirt/images" };

	(void)state;
	assert_int_equal(hg_path_under("/a/b", a, 1), 1);
	assert_int_equal(hg_path_under("/a/b/c.qcow2", a, 1), 1);
	assert_int_equal(hg_path_under("/ab", a, 1), 0);
	assert_int_equal(hg_path_under("/a", a, 1), 0);        /* the dir itself */
	assert_int_equal(hg_path_under("/a/bc", ab, 1), 0);
	assert_int_equal(hg_path_under("/a/b", ab, 1), 0);
	assert_int_equal(hg_path_under("/a/b/c", ab, 1), 1);
	assert_int_equal(hg_path_under("/a", ab, 1), 0);
	assert_int_equal(hg_path_under("/b/a/b/c", ab, 1), 0);
	/* Trailing slashes on the directory do not change its meaning. */
	assert_int_equal(hg_path_under("/a/b", slash, 1), 1);
	assert_int_equal(hg_path_under("/ab", slash, 1), 0);
	assert_int_equal(hg_path_under("/a/b", slashes, 1), 1);
	assert_int_equal(hg_path_under("/ab", slashes, 1), 0);
	/* "/" holds every absolute path, however it is written. */
	assert_int_equal(hg_path_under("/x", root, 1), 1);
	assert_int_equal(hg_path_under("/x/y/z", root, 1), 1);
	assert_int_equal(hg_path_under("/x", roots, 1), 1);
	assert_int_equal(hg_path_under("x", root, 1), 0);
	/* Any of several; none of none. */
	assert_int_equal(hg_path_under("/var/lib/libvirt/images/vm.qcow2", two, 2), 1);
	assert_int_equal(hg_path_under("/x/y/vm.qcow2", two, 2), 1);
	assert_int_equal(hg_path_under("/var/lib/libvirt/images2/vm.qcow2", two, 2), 0);
	assert_int_equal(hg_path_under("/x/yz", two, 2), 0);
	assert_int_equal(hg_path_under("/a/b", a, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file_is_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_pcr_bounds),
		cmocka_unit_test(test_remote_keys),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_sixteen_dirs_ok),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_path_under),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
