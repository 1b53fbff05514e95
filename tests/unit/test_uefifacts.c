/* test_uefifacts.c: the decoders of lib/uefifacts.h: the UTF-16LE
 * conversion, the UEFI_VARIABLE_DATA and device path bad-inputs tables
 * (each input pinned to its exact reason). Facts from hand-built and
 * corpus logs are in test_uefifacts_logs.c; the byte builders both use
 * are in uefifacts_fx.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/uefifacts.h"
#include "uefifacts_fx.h"

/* ---- UTF-16LE -> UTF-8 ------------------------------------------------ */

static const struct {
	const char *name;
	uint16_t in[8];
	size_t units;
	const char *out;
} utf16_cases[] = {
	{ "empty", { 0 }, 0, "" },
	{ "ascii", { 'P', 'K' }, 2, "PK" },
	{ "latin1", { 0x00e9 }, 1, "\xc3\xa9" },
	{ "bmp", { 0x20ac }, 1, "\xe2\x82\xac" },
	{ "surrogate pair", { 0xd83d, 0xde00 }, 2, "\xf0\x9f\x98\x80" },
	{ "lone high at end", { 'a', 0xd800 }, 2, "a\xef\xbf\xbd" },
	{ "lone low", { 0xdc00, 'b' }, 2, "\xef\xbf\xbd" "b" },
	{ "high then non-low", { 0xd800, 'c' }, 2, "\xef\xbf\xbd" "c" },
	{ "two highs", { 0xd800, 0xd801, 0xdc02 }, 3, "\xef\xbf\xbd\xf0\x90\x90\x82" },
	{ "NUL is escaped", { 'x', 0 }, 2, "x\\x00" },
	{ "C0 control", { 0x1b, '[' }, 2, "\\x1b[" },
	{ "last C0 control", { 0x1f, 0x20 }, 2, "\\x1f " },
	{ "DEL", { 0x7f }, 1, "\\x7f" },
	{ "backslash", { '\\', 'E' }, 2, "\\x5cE" },
	{ "C1 control", { 0x85 }, 1, "\\u0085" },
	{ "bidi override", { 'a', 0x202e, 'b' }, 3, "a\\u202eb" },
	{ "line separator", { 0x2028 }, 1, "\\u2028" },
	{ "isolate", { 0x2067 }, 1, "\\u2067" },
	{ "BMP private use kept", { 0xe000 }, 1, "\xee\x80\x80" },
};

static void test_utf16(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf16_cases) / sizeof(utf16_cases[0]); i++) {
		uint8_t b[16];
		char *s;

		for (size_t u = 0; u < utf16_cases[i].units; u++) {
			b[2 * u] = (uint8_t)utf16_cases[i].in[u];
			b[2 * u + 1] = (uint8_t)(utf16_cases[i].in[u] >> 8);
		}
		s = hg_utf16le_to_utf8(b, utf16_cases[i].units);
		assert_non_null(s);
		if (strcmp(s, utf16_cases[i].out))
			fail_msg("%s: got \"%s\", want \"%s\"", utf16_cases[i].name, s,
				 utf16_cases[i].out);
		free(s);
	}
}

/* The output is bounded by 6 bytes a unit, whatever the input. */
static void test_utf16_worst_case(void **state)
{
	uint8_t b[2 * 300];
	char *s;

	(void)state;
	for (size_t u = 0; u < 300; u++) {
		b[2 * u] = 0x2e;
		b[2 * u + 1] = 0x20;   /* U+202E: 6 bytes escaped */
	}
	s = hg_utf16le_to_utf8(b, 300);
	assert_non_null(s);
	assert_int_equal(strlen(s), 6 * 300);
	free(s);
}

static void test_guid_str(void **state)
{
	char s[HG_GUID_STR_LEN];

	(void)state;
	hg_uefi_guid_str(hg_efi_global_variable_guid, s);
	assert_string_equal(s, "8be4df61-93ca-11d2-aa0d-00e098032b8c");
	hg_uefi_guid_str(hg_efi_image_security_db_guid, s);
	assert_string_equal(s, "d719b2cb-3d3a-4596-a3bc-dad00e67656f");
}

/* ---- UEFI_VARIABLE_DATA: good and bad ----------------------------------- */

static void test_var_good(void **state)
{
	struct bb b = { .n = 0 };
	struct hg_uefi_var v;
	const char *why = NULL;

	(void)state;
	put_var(&b, hg_efi_global_variable_guid, "SecureBoot", "\x01", 1);
	assert_int_equal(b.n, 32 + 20 + 1);
	assert_int_equal(hg_uefi_var_decode(b.b, b.n, &v, &why), 0);
	assert_int_equal(v.name_units, 10);
	assert_int_equal(v.data_len, 1);
	assert_int_equal(v.data[0], 1);
	assert_true(hg_uefi_var_is(&v, hg_efi_global_variable_guid, "SecureBoot"));
	assert_false(hg_uefi_var_is(&v, hg_efi_global_variable_guid, "SecureBoo"));
	assert_false(hg_uefi_var_is(&v, hg_efi_image_security_db_guid, "SecureBoot"));
	/* Empty name and data: the header alone is exact. */
	b.n = 0;
	put_var(&b, hg_efi_image_security_db_guid, "", "", 0);
	assert_int_equal(hg_uefi_var_decode(b.b, b.n, &v, &why), 0);
	assert_int_equal(v.name_units, 0);
	assert_int_equal(v.data_len, 0);
}

#define SHORT_HDR "shorter than the 32-byte UEFI_VARIABLE_DATA header"
#define NAME_PAST "UnicodeNameLength runs past the end of the event data"
#define DATA_PAST "VariableDataLength runs past the end of the event data"
#define TRAILING "trailing bytes after VariableData"

static const struct {
	const char *name;
	size_t hdr_len;             /* bytes of the header kept (32 = all) */
	uint64_t name_units, data_len;
	size_t body;                /* bytes after the header */
	const char *why;
} var_bad[] = {
	{ "empty", 0, 0, 0, 0, SHORT_HDR },
	{ "31 bytes", 31, 0, 0, 0, SHORT_HDR },
	{ "name past end", 32, 5, 0, 9, NAME_PAST },
	{ "name length 2^64-1", 32, UINT64_MAX, 0, 8, NAME_PAST },
	/* 2 * name_units wraps to 2: must not read as a 1-unit name. */
	{ "name length wraps", 32, (UINT64_C(1) << 63) + 1, 0, 2, NAME_PAST },
	{ "data past end", 32, 2, 5, 8, DATA_PAST },
	{ "data length 2^64-1", 32, 0, UINT64_MAX, 4, DATA_PAST },
	{ "data length wraps with name", 32, 1, UINT64_MAX - 1, 4, DATA_PAST },
	{ "one trailing byte", 32, 2, 1, 6, TRAILING },
	/* shim's "Shim" EV_EFI_VARIABLE_AUTHORITY: 6 bytes over (fwupd's
	 * and go-attestation's logs). */
	{ "shim's extra bytes", 32, 4, 1080, 8 + 1080 + 6, TRAILING },
	{ "no name, no data, a byte", 32, 0, 0, 1, TRAILING },
};

static void test_var_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(var_bad) / sizeof(var_bad[0]); i++) {
		static struct bb b;
		struct hg_uefi_var v;
		const char *why = NULL;

		b.n = 0;
		put(&b, hg_efi_global_variable_guid, 16);
		put_le(&b, var_bad[i].name_units, 8);
		put_le(&b, var_bad[i].data_len, 8);
		b.n = var_bad[i].hdr_len;
		for (size_t k = 0; k < var_bad[i].body; k++)
			put(&b, "A", 1);
		if (hg_uefi_var_decode(b.b, b.n, &v, &why) != -1 || !why ||
		    strcmp(why, var_bad[i].why))
			fail_msg("%s: got \"%s\", want \"%s\"", var_bad[i].name,
				 why ? why : "(accepted)", var_bad[i].why);
	}
}

/* ---- UEFI_IMAGE_LOAD_EVENT's file path ----------------------------------- */

static char *path_of(const struct bb *ev, const char **why)
{
	char *p = NULL;

	*why = NULL;
	if (hg_uefi_image_path(ev->b, ev->n, &p, why) < 0) {
		assert_null(p);
		assert_non_null(*why);
		return NULL;
	}
	assert_non_null(p);
	return p;
}

static void test_image_path_good(void **state)
{
	struct bb dp = { .n = 0 }, ev;
	const char *why;
	char *p;
	static const uint8_t pci[2] = { 0, 2 };

	(void)state;
	/* PciRoot/Pci/HD-like nodes, then the file, as real firmware logs. */
	put_node(&dp, 2, 1, "\xd0\x41\x03\x0a\0\0\0\0", 8);
	put_node(&dp, 1, 1, pci, 2);
	put_node(&dp, 4, 1, "0123456789abcdef0123456789abcdef0123456789", 38);
	put_file_node(&dp, "\\EFI\\redhat\\shimx64.efi", 1);
	put_end(&dp);
	image_event(&ev, &dp, 0, 0);
	p = path_of(&ev, &why);
	assert_string_equal(p, "\\EFI\\redhat\\shimx64.efi");
	free(p);
	/* Split over two nodes, as CentOS and EVE firmware log it. */
	dp.n = 0;
	put_file_node(&dp, "\\EFI\\centos", 1);
	put_file_node(&dp, "grubx64.efi", 1);
	put_end(&dp);
	image_event(&ev, &dp, 0, 0);
	p = path_of(&ev, &why);
	assert_string_equal(p, "\\EFI\\centos\\grubx64.efi");
	free(p);
	/* Without the NUL terminator, and with a separator on each side. */
	dp.n = 0;
	put_file_node(&dp, "\\EFI\\", 0);
	put_file_node(&dp, "\\boot.efi", 0);
	put_end(&dp);
	image_event(&ev, &dp, 0, 0);
	p = path_of(&ev, &why);
	assert_string_equal(p, "\\EFI\\\\boot.efi");
	free(p);
}

static const struct {
	const char *name;
	int build;                  /* which device path, below */
	int64_t dplen_delta;
	size_t extra;
	size_t cut;                 /* keep only this many bytes, 0 all */
	const char *why;
} path_bad[] = {
	{ "31 bytes", 0, 0, 0, 31, "shorter than the 32-byte UEFI_IMAGE_LOAD_EVENT header" },
	{ "device path length past end", 0, 1, 0, 0,
	  "LengthOfDevicePath runs past the end of the event data" },
	{ "device path length 2^64-1", 9, 0, 0, 0,
	  "LengthOfDevicePath runs past the end of the event data" },
	/* grub's and the kernel's loads from memory: LengthOfDevicePath 0
	 * and 8 or 9 more bytes (most corpus logs). */
	{ "bytes after the device path", 0, 0, 8, 0, "trailing bytes after the device path" },
	{ "zero-length device path", 1, 0, 0, 0, "empty device path" },
	{ "node length 3", 2, 0, 0, 0, "device path node shorter than its header" },
	{ "2 bytes of a node", 3, 0, 0, 0, "device path node shorter than its header" },
	{ "node past the path", 4, 0, 0, 0, "device path node runs past the end of the device path" },
	{ "bytes after the end node", 5, 0, 0, 0, "bytes after the device path's end node" },
	{ "no end node", 6, 0, 0, 0, "device path has no end node" },
	{ "two instances", 7, 0, 0, 0, "device path has more than one instance" },
	{ "no file path node", 8, 0, 0, 0, "device path has no file path node" },
	{ "file node of odd length", 10, 0, 0, 0, "file path node of odd length" },
	{ "control character in path", 11, 0, 0, 0, "file path has control characters" },
	{ "bidi override in path", 12, 0, 0, 0, "file path has control characters" },
};

static void build_path(struct bb *dp, int which)
{
	dp->n = 0;
	switch (which) {
	case 0: put_file_node(dp, "\\a.efi", 1); put_end(dp); break;
	case 1: break;
	case 2: put_le(dp, 4, 1); put_le(dp, 4, 1); put_le(dp, 3, 2); break;
	case 3: put_file_node(dp, "\\a.efi", 1); put_le(dp, 0x7f, 1); put_le(dp, 0xff, 1); break;
	case 4: put_le(dp, 4, 1); put_le(dp, 4, 1); put_le(dp, 40, 2); put_u16s(dp, "\\a"); break;
	case 5: put_file_node(dp, "\\a.efi", 1); put_end(dp); put_end(dp); break;
	case 6: put_file_node(dp, "\\a.efi", 1); break;
	case 7: put_file_node(dp, "\\a.efi", 1); put_node(dp, 0x7f, 0x01, NULL, 0);
		put_file_node(dp, "\\b.efi", 1); put_end(dp); break;
	case 8: put_node(dp, 4, 7, "0123456789abcdef", 16); put_end(dp); break;
	case 10: put_node(dp, 4, 4, "\\\0a", 3); put_end(dp); break;
	case 11: put_file_node(dp, "\\a\x1b[2J.efi", 1); put_end(dp); break;
	case 12: {
		static const uint8_t s[] = { '\\', 0, 'a', 0, 0x2e, 0x20, 'b', 0, 0, 0 };

		put_node(dp, 4, 4, s, sizeof(s));
		put_end(dp);
		break;
	}
	}
}

static void test_image_path_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(path_bad) / sizeof(path_bad[0]); i++) {
		struct bb dp, ev;
		const char *why;
		char *p;

		build_path(&dp, path_bad[i].build);
		image_event(&ev, &dp, path_bad[i].dplen_delta, path_bad[i].extra);
		if (path_bad[i].build == 9)   /* LengthOfDevicePath 2^64-1 */
			memset(ev.b + 24, 0xff, 8);
		if (path_bad[i].cut)
			ev.n = path_bad[i].cut;
		p = path_of(&ev, &why);
		if (p || strcmp(why, path_bad[i].why))
			fail_msg("%s: got \"%s\", want \"%s\"", path_bad[i].name,
				 p ? p : why, path_bad[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_utf16_worst_case),
		cmocka_unit_test(test_guid_str),
		cmocka_unit_test(test_var_good),
		cmocka_unit_test(test_var_bad),
		cmocka_unit_test(test_image_path_good),
		cmocka_unit_test(test_image_path_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
