/* test_domexplain.c: naming what changed in a domain's config
 * (attest/domexplain.h).
 *
 * hg_explain_diff() on canonical forms written out by hand (the
 * "path=value" lines of domxml.h); hg_explain_remember() and
 * hg_explain_config() round trip through a mkdtemp state directory.
 */
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

#include "../../attest/domexplain.h"

static char state_dir[256];

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/hg-domexplain.XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	/* A state directory that does not exist yet: remember creates it. */
	snprintf(state_dir, sizeof(state_dir), "%s/state", tmpl);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[sizeof(state_dir) + 32];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf \"$(dirname '%s')\"", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A cut-down canonical form (as domxml.c makes it: sorted attributes,
 * document order, "[N]" on repeated siblings). */
static const char base_form[] =
	"domain@type=kvm\n"
	"domain/name=vm\n"
	"domain/memory=2097152\n"
	"domain/currentMemory=2097152\n"
	"domain/vcpu@placement=static\n"
	"domain/vcpu=2\n"
	"domain/os/type@arch=x86_64\n"
	"domain/os/type=hvm\n"
	"domain/devices/emulator=/usr/bin/qemu-system-x86_64\n"
	"domain/devices/disk[1]@device=disk\n"
	"domain/devices/disk[1]@type=file\n"
	"domain/devices/disk[1]/driver@type=qcow2\n"
	"domain/devices/disk[1]/source@file=/var/lib/libvirt/images/vm.qcow2\n"
	"domain/devices/disk[1]/target@dev=vda\n"
	"domain/devices/disk[2]@device=cdrom\n"
	"domain/devices/disk[2]@type=file\n"
	"domain/devices/disk[2]/target@dev=sda\n"
	"domain/devices/disk[2]/readonly=\n";

/* BASE_FORM with line OLD (whole, with its newline) replaced by NEW. */
static char *edit(const char *old, const char *new_)
{
	const char *at = strstr(base_form, old);
	size_t n;
	char *s;

	if (!at)
		fail_msg("form lacks \"%s\"", old);
	n = sizeof(base_form) - 1 - strlen(old) + strlen(new_);
	s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, base_form, (size_t)(at - base_form));
	strcpy(s + (at - base_form), new_);
	strcat(s, at + strlen(old));
	return s;
}

static size_t diff(const char *a, const char *b, char *out, size_t outlen, size_t max)
{
	return hg_explain_diff(a, strlen(a), b, strlen(b), out, outlen, max);
}

/* ---- hg_explain_diff ------------------------------------------------ */

static void test_diff_equal(void **state)
{
	char out[256];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(diff(base_form, base_form, out, sizeof(out), 4), 0);
	assert_string_equal(out, "");
	assert_int_equal(hg_explain_diff("", 0, "", 0, out, sizeof(out), 4), 0);
	assert_string_equal(out, "");
	/* Order does not matter, only the set of lines. */
	assert_int_equal(diff("domain/a=1\ndomain/b=2\n", "domain/b=2\ndomain/a=1\n", out,
			      sizeof(out), 4), 0);
	assert_string_equal(out, "");
	/* Nor does a missing final newline. */
	assert_int_equal(diff("domain/a=1\n", "domain/a=1", out, sizeof(out), 4), 0);
	assert_string_equal(out, "");
}

static void test_diff_memory_changed(void **state)
{
	char *n = edit("domain/memory=2097152\n", "domain/memory=4194304\n"), out[256];

	(void)state;
	/* The old line and the new one differ; the path is counted and
	 * named once. */
	assert_int_equal(diff(base_form, n, out, sizeof(out), 4), 1);
	assert_string_equal(out, "domain/memory");
	assert_int_equal(diff(n, base_form, out, sizeof(out), 4), 1);
	assert_string_equal(out, "domain/memory");
	free(n);
}

static void test_diff_disk_added(void **state)
{
	char *n = edit("domain/devices/disk[2]/readonly=\n",
		       "domain/devices/disk[2]/readonly=\n"
		       "domain/devices/disk[3]@device=disk\n"
		       "domain/devices/disk[3]@type=block\n"
		       "domain/devices/disk[3]/source@dev=/dev/sdb\n"
		       "domain/devices/disk[3]/target@dev=vdb\n");
	char out[256];

	(void)state;
	/* Listed in the byte order of the lines ('/' < '@'). */
	assert_int_equal(diff(base_form, n, out, sizeof(out), 4), 4);
	assert_string_equal(out, "domain/devices/disk[3]/source@dev, domain/devices/disk[3]/target@dev, "
				 "domain/devices/disk[3]@device, domain/devices/disk[3]@type");
	/* Removed, the same paths. */
	assert_int_equal(diff(n, base_form, out, sizeof(out), 4), 4);
	assert_string_equal(out, "domain/devices/disk[3]/source@dev, domain/devices/disk[3]/target@dev, "
				 "domain/devices/disk[3]@device, domain/devices/disk[3]@type");
	free(n);
}

static void test_diff_attribute_removed(void **state)
{
	char *n = edit("domain/vcpu@placement=static\n", ""), out[256];
	char *r = edit("domain/devices/disk[2]/readonly=\n", "");

	(void)state;
	assert_int_equal(diff(base_form, n, out, sizeof(out), 4), 1);
	assert_string_equal(out, "domain/vcpu@placement");
	/* An empty element (a flag such as <readonly/>) removed. */
	assert_int_equal(diff(base_form, r, out, sizeof(out), 4), 1);
	assert_string_equal(out, "domain/devices/disk[2]/readonly");
	free(n);
	free(r);
}

static void test_diff_up_to_max(void **state)
{
	const char *a = "domain/a=1\ndomain/b=1\ndomain/c=1\ndomain/d=1\ndomain/e=1\n";
	const char *b = "domain/a=2\ndomain/b=2\ndomain/c=2\ndomain/d=2\ndomain/e=2\n";
	char out[256];

	(void)state;
	assert_int_equal(diff(a, b, out, sizeof(out), 4), 5);
	assert_string_equal(out, "domain/a, domain/b, domain/c, domain/d");
	assert_int_equal(diff(a, b, out, sizeof(out), 2), 5);
	assert_string_equal(out, "domain/a, domain/b");
	assert_int_equal(diff(a, b, out, sizeof(out), 0), 5);
	assert_string_equal(out, "");
	/* OUT is bounded and stays NUL-terminated. */
	memset(out, 'x', sizeof(out));
	assert_int_equal(diff(a, b, out, 12, 4), 5);
	assert_string_equal(out, "domain/a, d");
	assert_int_equal(out[12], 'x');
}

static void test_diff_no_duplicates(void **state)
{
	/* Three values of one path against two others: listed once. */
	const char *a = "domain/x=1\ndomain/x=2\ndomain/x=3\ndomain/y=1\n";
	const char *b = "domain/x=4\ndomain/x=5\ndomain/y=1\ndomain/z=1\n";
	char out[256];

	(void)state;
	assert_int_equal(diff(a, b, out, sizeof(out), 4), 2);
	assert_string_equal(out, "domain/x, domain/z");
}

/* Regression: deduplicating with strstr() took a path that is a prefix of
 * one already listed as listed. "domain/a/b=" sorts before "domain/a="
 * ('/' < '='), so a text value changed on an element whose child changed
 * too went unnamed. */
static void test_diff_prefix_path_named(void **state)
{
	const char *a = "domain/a/b=1\ndomain/a=1\n";
	const char *b = "domain/a/b=2\ndomain/a=2\n";
	char out[256];

	(void)state;
	assert_int_equal(diff(a, b, out, sizeof(out), 4), 2);
	assert_string_equal(out, "domain/a/b, domain/a");
}

/* ---- hg_explain_remember / hg_explain_config ---------------------- */

#define CFG "/etc/libvirt/qemu/vm.xml"
#define REFUSED "record 7: config " CFG ": digest not allowed by the policy"

static void read_all(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	*out = malloc((size_t)n + 1);
	assert_non_null(*out);
	assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	fclose(f);
}

static void test_remember_writes_form(void **state)
{
	char path[512], dir[512], *got;
	struct stat st;
	size_t len;

	(void)state;
	hg_explain_remember(state_dir, "vm", base_form, sizeof(base_form) - 1);
	snprintf(dir, sizeof(dir), "%s/domains", state_dir);
	snprintf(path, sizeof(path), "%s/domains/vm.canon", state_dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	read_all(path, &got, &len);
	assert_int_equal(len, sizeof(base_form) - 1);
	assert_memory_equal(got, base_form, len);
	free(got);
}

static void test_config_round_trip(void **state)
{
	char *n = edit("domain/memory=2097152\n", "domain/memory=4194304\n");
	char reason[512] = REFUSED;

	(void)state;
	hg_explain_remember(state_dir, "vm", base_form, sizeof(base_form) - 1);
	hg_explain_config(state_dir, "vm", n, strlen(n), CFG, reason, sizeof(reason));
	assert_string_equal(reason, REFUSED " (changed since the last allowed start: domain/memory)");
	free(n);
}

static void test_config_two_changes(void **state)
{
	static const char gone[] = "domain/vcpu@placement=static\n";
	char *n = edit("domain/memory=2097152\n", "domain/memory=4194304\n");
	char reason[512] = REFUSED, *at;

	(void)state;
	/* The memory changed and the vcpu placement removed. */
	at = strstr(n, gone);
	assert_non_null(at);
	memmove(at, at + strlen(gone), strlen(at + strlen(gone)) + 1);
	hg_explain_remember(state_dir, "vm", base_form, sizeof(base_form) - 1);
	hg_explain_config(state_dir, "vm", n, strlen(n), CFG, reason, sizeof(reason));
	assert_string_equal(reason, REFUSED " (changed since the last allowed start: "
					    "domain/memory, domain/vcpu@placement)");
	free(n);
}

/* More paths than HG_EXPLAIN_MAX_PATHS: the first four and "...". */
static void test_config_many_paths(void **state)
{
	const char *a = "domain/a@x=1\ndomain/b@x=1\ndomain/c@x=1\ndomain/d@x=1\ndomain/e@x=1\n";
	const char *b = "domain/f@x=1\n";
	char reason[512] = REFUSED;

	(void)state;
	assert_int_equal(HG_EXPLAIN_MAX_PATHS, 4);
	hg_explain_remember(state_dir, "many", a, strlen(a));
	hg_explain_config(state_dir, "many", b, strlen(b), "/etc/libvirt/qemu/many.xml",
			  reason, sizeof(reason));
	/* REFUSED names vm.xml, not many.xml: untouched. */
	assert_string_equal(reason, REFUSED);
	strcpy(reason, "record 2: config /etc/libvirt/qemu/many.xml: digest not allowed");
	hg_explain_config(state_dir, "many", b, strlen(b), "/etc/libvirt/qemu/many.xml",
			  reason, sizeof(reason));
	assert_string_equal(reason, "record 2: config /etc/libvirt/qemu/many.xml: digest not allowed"
				    " (changed since the last allowed start: domain/a@x, domain/b@x, "
				    "domain/c@x, domain/d@x, ...)");
}

/* Regression: hg_explain_config() compared a count of differing LINES
 * with the number of PATHS listed, so three changed values (six lines,
 * three paths, all listed) got a ", ..." as if some were left out. */
static void test_config_no_ellipsis_when_all_listed(void **state)
{
	const char *a = "domain/currentMemory=1\ndomain/memory=1\ndomain/vcpu=1\n";
	const char *b = "domain/currentMemory=2\ndomain/memory=2\ndomain/vcpu=2\n";
	char reason[512] = REFUSED;

	(void)state;
	hg_explain_remember(state_dir, "vm", a, strlen(a));
	hg_explain_config(state_dir, "vm", b, strlen(b), CFG, reason, sizeof(reason));
	assert_string_equal(reason, REFUSED " (changed since the last allowed start: "
					    "domain/currentMemory, domain/memory, domain/vcpu)");
}

static void test_config_untouched(void **state)
{
	char *n = edit("domain/memory=2097152\n", "domain/memory=4194304\n");
	char reason[512];

	(void)state;
	hg_explain_remember(state_dir, "vm", base_form, sizeof(base_form) - 1);
	/* A refusal about another record. */
	strcpy(reason, "record 3: image /var/lib/libvirt/images/vm.qcow2: digest not allowed");
	hg_explain_config(state_dir, "vm", n, strlen(n), CFG, reason, sizeof(reason));
	assert_string_equal(reason, "record 3: image /var/lib/libvirt/images/vm.qcow2: digest not allowed");
	/* Nothing changed since the saved form. */
	strcpy(reason, REFUSED);
	hg_explain_config(state_dir, "vm", base_form, sizeof(base_form) - 1, CFG, reason,
			  sizeof(reason));
	assert_string_equal(reason, REFUSED);
	/* No saved form for this domain. */
	hg_explain_config(state_dir, "never-started", n, strlen(n),
			  "/etc/libvirt/qemu/never-started.xml", reason, sizeof(reason));
	assert_string_equal(reason, REFUSED);
	strcpy(reason, "config /etc/libvirt/qemu/never-started.xml: digest not allowed");
	hg_explain_config(state_dir, "never-started", n, strlen(n),
			  "/etc/libvirt/qemu/never-started.xml", reason, sizeof(reason));
	assert_string_equal(reason, "config /etc/libvirt/qemu/never-started.xml: digest not allowed");
	/* No state directory at all. */
	hg_explain_config("/nonexistent/hostgate", "vm", n, strlen(n), CFG, reason, sizeof(reason));
	assert_string_equal(reason, "config /etc/libvirt/qemu/never-started.xml: digest not allowed");
	free(n);
}

/* The saved form is opened without following a symlink. */
static void test_config_symlink_not_followed(void **state)
{
	char *n = edit("domain/memory=2097152\n", "domain/memory=4194304\n");
	char path[512], target[512], reason[512] = REFUSED;

	(void)state;
	hg_explain_remember(state_dir, "vm", base_form, sizeof(base_form) - 1);
	snprintf(path, sizeof(path), "%s/domains/link.canon", state_dir);
	snprintf(target, sizeof(target), "%s/domains/vm.canon", state_dir);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	hg_explain_config(state_dir, "link", n, strlen(n), CFG, reason, sizeof(reason));
	assert_string_equal(reason, REFUSED);
	unlink(path);
	free(n);
}

/* A later remember replaces the saved form. */
static void test_remember_replaces(void **state)
{
	char *n = edit("domain/memory=2097152\n", "domain/memory=4194304\n");
	char reason[512] = REFUSED;

	(void)state;
	hg_explain_remember(state_dir, "vm", base_form, sizeof(base_form) - 1);
	hg_explain_remember(state_dir, "vm", n, strlen(n));
	hg_explain_config(state_dir, "vm", n, strlen(n), CFG, reason, sizeof(reason));
	assert_string_equal(reason, REFUSED);
	hg_explain_config(state_dir, "vm", base_form, sizeof(base_form) - 1, CFG, reason,
			  sizeof(reason));
	assert_string_equal(reason, REFUSED " (changed since the last allowed start: domain/memory)");
	free(n);
}

/* REASON is extended only up to RLEN, NUL-terminated, nothing beyond. */
static void test_config_truncates(void **state)
{
	char *n = edit("domain/memory=2097152\n", "domain/memory=4194304\n");
	char reason[sizeof(REFUSED) + 64];
	const size_t rlen = sizeof(REFUSED) + 10;

	(void)state;
	hg_explain_remember(state_dir, "vm", base_form, sizeof(base_form) - 1);
	memset(reason, '#', sizeof(reason));
	memcpy(reason, REFUSED, sizeof(REFUSED));
	hg_explain_config(state_dir, "vm", n, strlen(n), CFG, reason, rlen);
	assert_int_equal(strlen(reason), rlen - 1);
	assert_string_equal(reason, REFUSED " (changed ");
	for (size_t i = rlen; i < sizeof(reason); i++)
		assert_int_equal(reason[i], '#');
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_equal),
		cmocka_unit_test(test_diff_memory_changed),
		cmocka_unit_test(test_diff_disk_added),
		cmocka_unit_test(test_diff_attribute_removed),
		cmocka_unit_test(test_diff_up_to_max),
		cmocka_unit_test(test_diff_no_duplicates),
		cmocka_unit_test(test_diff_prefix_path_named),
		cmocka_unit_test(test_config_no_ellipsis_when_all_listed),
		cmocka_unit_test(test_remember_writes_form),
		cmocka_unit_test(test_config_round_trip),
		cmocka_unit_test(test_config_two_changes),
		cmocka_unit_test(test_config_many_paths),
		cmocka_unit_test(test_config_untouched),
		cmocka_unit_test(test_config_symlink_not_followed),
		cmocka_unit_test(test_remember_replaces),
		cmocka_unit_test(test_config_truncates),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
