/* test_uefifacts_logs.c: firmware facts (lib/uefifacts.h) from small
 * hand-built logs and from real logs of the shared corpus. The decoders
 * are tested in test_uefifacts.c; the helpers both use are in
 * uefifacts_fx.c.
 *
 * The corpus is tests/data/uefi from the repository root, or
 * $HG_UEFI_CORPUS; without it the corpus tests FAIL naming the path, as
 * test_uefilog.c's do.
 *
 * Expected values for the corpus logs were not taken from this code's
 * output. They come from:
 *   - the source projects' own assertions, quoted in MANIFEST.tsv:
 *     keylime's binary_bios_measurements-secureboot is "Secure Boot
 *     ENABLED" and binary_bios_measurements "Secure Boot DISABLED";
 *     go-attestation's TestSecureBoot asserts SecureBoot Enabled == true
 *     for windows_gcp_shielded_vm; its MANIFEST line says that log has no
 *     EV_SEPARATOR for PCRs 0-6;
 *   - an independent decode in Python (struct + hashlib, a 40-line reader
 *     of TCG_PCR_EVENT/TCG_PCR_EVENT2 written for this check), which for
 *     each EV_EFI_VARIABLE_DRIVER_CONFIG on PCR 7 unpacked the GUID, the
 *     UTF-16 name and VariableData, and compared the logged digest with
 *     hashlib of the event data. For -secureboot it printed:
 *       4 61dfe48bca93d211aa0d00e098032b8c SecureBoot 1 byte 01
 *         sha256 ccfc4bb3...0a40e, = sha256(data)
 *       5 ... PK 976 bytes sha256 adb6fc23...e19a893, = sha256(data)
 *       8 cbb219d73a3d9645a3bcdad00e67656f dbx sha256 bcc3309a...c01cc3ad
 *     and EV_EFI_BOOT_SERVICES_APPLICATION on PCR 4 at events 29, 35, 93,
 *     the first two with File Path nodes "\EFI\redhat\shimx64.efi\0" and
 *     "\EFI\redhat\grubx64.efi\0", the third with LengthOfDevicePath 0.
 *     For linux_tpm12 it found the five PCR 7 variable digests equal to
 *     sha1(VariableData), not sha1(event data) (TPM 1.2 firmware).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/digest.h"
#include "../../lib/uefifacts.h"
#include "../../lib/uefilog.h"
#include "../../lib/util.h"
#include "uefifacts_fx.h"

/* ---- hand-built logs ------------------------------------------------------ */

/* A crypto-agile log, sha1 + sha256, built event by event. */
struct lb {
	uint8_t *b;
	size_t n, cap;
	size_t events;
};

static void lb_put(struct lb *l, const void *p, size_t n)
{
	if (l->n + n > l->cap) {
		l->cap = (l->n + n) * 2;
		l->b = realloc(l->b, l->cap);
		assert_non_null(l->b);
	}
	memcpy(l->b + l->n, p, n);
	l->n += n;
}

static void lb_le(struct lb *l, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(v >> (8 * i));

		lb_put(l, &c, 1);
	}
}

static void lb_init(struct lb *l)
{
	static const uint8_t zero[20];

	memset(l, 0, sizeof(*l));
	/* TCG_PCR_EVENT with the Spec ID Event03 (PFP r1.05 §10.4.5.1). */
	lb_le(l, 0, 4);
	lb_le(l, HG_EV_NO_ACTION, 4);
	lb_put(l, zero, 20);
	lb_le(l, 16 + 4 + 4 + 4 + 8 + 1, 4);
	lb_put(l, "Spec ID Event03", 16);
	lb_le(l, 0, 4);                      /* platformClass */
	lb_le(l, 0x02000200, 4);             /* minor 0, major 2, errata 0, uintnSize 2 */
	lb_le(l, 2, 4);
	lb_le(l, HG_ALG_SHA1, 2);
	lb_le(l, 20, 2);
	lb_le(l, HG_ALG_SHA256, 2);
	lb_le(l, 32, 2);
	lb_le(l, 0, 1);                      /* vendorInfoSize */
	l->events = 1;
}

#define HASH_DATA NULL

/* An event; its digests hash HASHED (HASH_DATA: the data itself). */
static size_t lb_event(struct lb *l, uint32_t pcr, uint32_t type, const void *data,
		       size_t len, const void *hashed, size_t hlen)
{
	struct hg_digest d;

	if (hashed == HASH_DATA) {
		hashed = data;
		hlen = len;
	}
	lb_le(l, pcr, 4);
	lb_le(l, type, 4);
	lb_le(l, 2, 4);
	assert_int_equal(hg_hash(HG_ALG_SHA1, hashed, hlen, &d), 0);
	lb_le(l, HG_ALG_SHA1, 2);
	lb_put(l, d.d, d.len);
	assert_int_equal(hg_hash(HG_ALG_SHA256, hashed, hlen, &d), 0);
	lb_le(l, HG_ALG_SHA256, 2);
	lb_put(l, d.d, d.len);
	lb_le(l, len, 4);
	lb_put(l, data, len);
	return l->events++;
}

static size_t lb_var(struct lb *l, uint32_t pcr, uint32_t type, const uint8_t guid[16],
		     const char *name, const void *value, size_t vlen)
{
	struct bb b = { .n = 0 };

	put_var(&b, guid, name, value, vlen);
	return lb_event(l, pcr, type, b.b, b.n, HASH_DATA, 0);
}

static void lb_separators(struct lb *l)
{
	for (uint32_t p = 0; p < 8; p++)
		lb_event(l, p, HG_EV_SEPARATOR, "\0\0\0\0", 4, HASH_DATA, 0);
}

static void facts_of(struct lb *l, struct hg_uefi_facts *f)
{
	struct hg_uefi_err err;

	if (hg_uefi_facts(l->b, l->n, f, &err) < 0)
		fail_msg("facts: event %ld: %s", err.event, err.msg);
}

static void expect_digest(const struct hg_uefi_varfact *v, const void *data, size_t len)
{
	struct hg_digest want;
	const struct hg_digest *got = hg_uefi_varfact_digest(v);

	assert_non_null(got);
	assert_int_equal(got->alg, HG_ALG_SHA256);
	assert_int_equal(hg_hash(HG_ALG_SHA256, data, len, &want), 0);
	assert_memory_equal(got->d, want.d, 32);
}

/* One EFI_SIGNATURE_LIST (UEFI 2.x §32.4.1): SignatureType (16),
 * SignatureListSize 76, SignatureHeaderSize 0, SignatureSize 48, then one
 * EFI_SIGNATURE_DATA: owner GUID (16) and a SHA-256 (32). */
#define ESL_ONE "\x26\x16\xc4\xc1\x4c\x50\x92\x40\xac\xa9\x41\xf9\x36\x93\x43\x28" \
	"\x4c\x00\x00\x00" "\x00\x00\x00\x00" "\x30\x00\x00\x00" \
	"OWNER-GUID-16byt" "0123456789abcdef0123456789abcdef"

static void test_facts_secure_boot_on(void **state)
{
	struct lb l;
	struct hg_uefi_facts f;
	struct bb pk = { .n = 0 }, dp = { .n = 0 }, app;
	size_t ipk, iapp;

	(void)state;
	lb_init(&l);
	lb_var(&l, 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	       "SecureBoot", "\x01", 1);
	put_var(&pk, hg_efi_global_variable_guid, "PK", "pk-esl", 6);
	ipk = lb_event(&l, 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, pk.b, pk.n, HASH_DATA, 0);
	lb_var(&l, 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	       "KEK", "kek", 3);
	/* db is a list of EFI_SIGNATURE_LISTs: one list, one SHA-256 entry. */
	lb_var(&l, 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_image_security_db_guid,
	       "db", ESL_ONE, sizeof(ESL_ONE) - 1);
	lb_var(&l, 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_image_security_db_guid,
	       "dbx", "dbx", 3);
	lb_separators(&l);
	put_file_node(&dp, "\\EFI\\BOOT\\BOOTX64.EFI", 1);
	put_end(&dp);
	image_event(&app, &dp, 0, 0);
	/* An application's digest is of its PE image, not of the event. */
	iapp = lb_event(&l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, app.b, app.n, "pe", 2);
	/* A driver on PCR 2 is not a boot application. */
	lb_event(&l, 2, HG_EV_EFI_BOOT_SERVICES_DRIVER, app.b, app.n, "drv", 3);
	lb_event(&l, 4, HG_EV_EFI_ACTION, "Calling EFI Application from Boot Option",
		 40, HASH_DATA, 0);
	facts_of(&l, &f);

	assert_int_equal(f.secure_boot, 1);
	assert_null(f.secure_boot_why);
	assert_int_equal(f.var[HG_SBVAR_PK].event, (long)ipk);
	assert_true(f.var[HG_SBVAR_PK].matches_data);
	assert_false(f.var[HG_SBVAR_PK].conflict);
	expect_digest(&f.var[HG_SBVAR_PK], pk.b, pk.n);
	for (int i = 0; i < HG_SBVAR_N; i++)
		assert_true(f.var[i].event > 0);
	assert_int_equal(f.napps, 1);
	assert_int_equal(f.apps[0].event, iapp);
	assert_string_equal(f.apps[0].path, "\\EFI\\BOOT\\BOOTX64.EFI");
	assert_int_equal(f.apps[0].digests.n, 2);
	for (int p = 0; p < 8; p++)
		assert_int_equal(f.sep[p], HG_SEP_NORMAL);
	assert_int_equal(f.nmismatch, 0);
	hg_uefi_facts_free(&f);
	free(l.b);
}

/* The SecureBoot fact, variable by variable: each row a one-event log
 * (plus the Spec ID event). */
static const struct {
	const char *name;
	uint32_t pcr, type;
	const uint8_t *guid;
	const char *var;
	const char *value;
	size_t vlen;
	int bad_digest;           /* digest of something else */
	int twice;                /* 1 same event again, 2 with value 00,
				   * 3 with value 00 typed EV_EFI_ACTION */
	int secure_boot;
	const char *why;
} sb_cases[] = {
#define NO_SB "no event on PCR 7 whose data hashes to its digest is the SecureBoot variable"
#define UNBOUND "an event on PCR 7 is not bound to its data (its digest is not the hash of what it logs): it could be the SecureBoot variable"
	{ "enabled", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	  "SecureBoot", "\x01", 1, 0, 0, 1, NULL },
	{ "disabled", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	  "SecureBoot", "\x00", 1, 0, 0, 0, NULL },
	{ "absent variable logged empty", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG,
	  hg_efi_global_variable_guid, "SecureBoot", "", 0, 0, 0, 0, NULL },
	{ "value 2", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	  "SecureBoot", "\x02", 1, 0, 0, -1, "the SecureBoot value is neither 0 nor 1" },
	{ "two bytes", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	  "SecureBoot", "\x01\x00", 2, 0, 0, -1, "the SecureBoot value is neither 0 nor 1" },
	{ "digest not of the data", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 1, 0, -1, UNBOUND },
	{ "logged twice alike", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 0, 1, 1, NULL },
	{ "logged twice, differently", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 0, 2, -1,
	  "SecureBoot is logged more than once, with different digests" },
	{ "vendor GUID", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_image_security_db_guid,
	  "SecureBoot", "\x01", 1, 0, 0, -1, NO_SB },
	{ "on PCR 1", 1, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	  "SecureBoot", "\x01", 1, 0, 0, -1, NO_SB },
	/* The type is not extended: the data, bound by its digest, says
	 * what the event is (before issue 11, these were "not in the log"). */
	{ "as EV_EFI_VARIABLE_AUTHORITY", 7, HG_EV_EFI_VARIABLE_AUTHORITY,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 0, 0, 1, NULL },
	{ "as EV_EFI_ACTION", 7, HG_EV_EFI_ACTION,
	  hg_efi_global_variable_guid, "SecureBoot", "\x00", 1, 0, 0, 0, NULL },
	{ "as EV_POST_CODE", 7, HG_EV_POST_CODE,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 0, 0, 1, NULL },
	{ "as an unnamed type", 7, 0x12345678,
	  hg_efi_global_variable_guid, "SecureBoot", "\x00", 1, 0, 0, 0, NULL },
	{ "as EV_NO_ACTION (never extended)", 7, HG_EV_NO_ACTION,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 0, 0, -1, NO_SB },
	{ "retyped, digest not of the data", 7, HG_EV_POST_CODE,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 1, 0, -1, UNBOUND },
	{ "twice differently, second retyped", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG,
	  hg_efi_global_variable_guid, "SecureBoot", "\x01", 1, 0, 3, -1,
	  "SecureBoot is logged more than once, with different digests" },
	{ "name one character longer", 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	  "SecureBoot\x01", "\x01", 1, 0, 0, -1, NO_SB },
};

static void test_facts_secure_boot_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sb_cases) / sizeof(sb_cases[0]); i++) {
		struct lb l;
		struct hg_uefi_facts f;
		struct bb v = { .n = 0 };

		lb_init(&l);
		put_var(&v, sb_cases[i].guid, sb_cases[i].var, sb_cases[i].value, sb_cases[i].vlen);
		lb_event(&l, sb_cases[i].pcr, sb_cases[i].type, v.b, v.n,
			 sb_cases[i].bad_digest ? "other" : HASH_DATA, 5);
		if (sb_cases[i].twice == 1)
			lb_event(&l, sb_cases[i].pcr, sb_cases[i].type, v.b, v.n, HASH_DATA, 0);
		if (sb_cases[i].twice == 2)
			lb_var(&l, sb_cases[i].pcr, sb_cases[i].type, sb_cases[i].guid,
			       sb_cases[i].var, "\x00", 1);
		if (sb_cases[i].twice == 3)
			lb_var(&l, sb_cases[i].pcr, HG_EV_EFI_ACTION, sb_cases[i].guid,
			       sb_cases[i].var, "\x00", 1);
		facts_of(&l, &f);
		if (f.secure_boot != sb_cases[i].secure_boot ||
		    (sb_cases[i].why ? !f.secure_boot_why || strcmp(f.secure_boot_why, sb_cases[i].why)
				     : f.secure_boot_why != NULL))
			fail_msg("%s: got %d \"%s\", want %d \"%s\"", sb_cases[i].name,
				 f.secure_boot, f.secure_boot_why ? f.secure_boot_why : "",
				 sb_cases[i].secure_boot, sb_cases[i].why ? sb_cases[i].why : "");
		/* A digest that is not of the data is also a mismatch, for
		 * the types whose digest the spec defines as the data's. */
		assert_int_equal(f.nmismatch, (size_t)(sb_cases[i].bad_digest &&
						       sb_cases[i].type == HG_EV_EFI_VARIABLE_DRIVER_CONFIG));
		hg_uefi_facts_free(&f);
		free(l.b);
	}
}

static void test_facts_separators(void **state)
{
	static const uint8_t err1[4] = { 1, 0, 0, 0 };
	struct lb l;
	struct hg_uefi_facts f;

	(void)state;
	lb_init(&l);
	lb_event(&l, 0, HG_EV_SEPARATOR, "\0\0\0\0", 4, HASH_DATA, 0);
	lb_event(&l, 1, HG_EV_SEPARATOR, "\xff\xff\xff\xff", 4, HASH_DATA, 0);
	/* An error separator: digest of UINT32 1, data the error info. */
	lb_event(&l, 2, HG_EV_SEPARATOR, "firmware error 42", 17, err1, 4);
	lb_event(&l, 3, HG_EV_SEPARATOR, "\x02\0\0\0", 4, HASH_DATA, 0);
	lb_event(&l, 4, HG_EV_SEPARATOR, "\0\0\0\0", 4, "\xff\xff\xff\xff", 4);
	lb_event(&l, 5, HG_EV_SEPARATOR, "\0\0\0", 3, HASH_DATA, 0);
	/* The first separator of a PCR counts. */
	lb_event(&l, 0, HG_EV_SEPARATOR, "\x02\0\0\0", 4, HASH_DATA, 0);
	/* PCRs above 7 are not reported (Windows logs "WBCL" there). */
	lb_event(&l, 12, HG_EV_SEPARATOR, "WBCL", 4, HASH_DATA, 0);
	facts_of(&l, &f);
	assert_int_equal(f.sep[0], HG_SEP_NORMAL);
	assert_int_equal(f.sep[1], HG_SEP_NORMAL_FF);
	assert_int_equal(f.sep[2], HG_SEP_ERROR);
	assert_int_equal(f.sep[3], HG_SEP_BAD);
	assert_int_equal(f.sep[4], HG_SEP_BAD);
	assert_int_equal(f.sep[5], HG_SEP_BAD);
	assert_int_equal(f.sep[6], HG_SEP_NONE);
	assert_int_equal(f.sep[7], HG_SEP_NONE);
	/* Only the PCR 4 one's digest is not of its data; the error
	 * separator's is by definition not. */
	assert_int_equal(f.nmismatch, 1);
	assert_int_equal(f.mismatch[0].event, 5);
	assert_int_equal(f.mismatch[0].pcr, 4);
	assert_int_equal(f.mismatch[0].type, HG_EV_SEPARATOR);
	assert_int_equal(f.mismatch[0].alg, HG_ALG_SHA1);
	hg_uefi_facts_free(&f);
	free(l.b);
}

/* Which types are judged, and how: pinned per type. */
static void test_facts_mismatches(void **state)
{
	struct lb l;
	struct hg_uefi_facts f;
	struct bb bootvar = { .n = 0 };
	size_t want[8], nwant = 0;
	struct hg_uefi_var v;
	const char *why;

	(void)state;
	lb_init(&l);
	put_var(&bootvar, hg_efi_global_variable_guid, "BootOrder", "\x01\x00", 2);
	assert_int_equal(hg_uefi_var_decode(bootvar.b, bootvar.n, &v, &why), 0);
	/* Judged, and right. */
	lb_event(&l, 5, HG_EV_EFI_ACTION, "Exit Boot Services Invocation", 29, HASH_DATA, 0);
	lb_event(&l, 4, HG_EV_ACTION, "Hello", 5, HASH_DATA, 0);
	lb_event(&l, 0, HG_EV_S_CRTM_VERSION, "1\0.\0000\0\0\0", 8, HASH_DATA, 0);
	lb_event(&l, 5, HG_EV_EFI_GPT_EVENT, "gpt header", 10, HASH_DATA, 0);
	/* EV_EFI_VARIABLE_BOOT: VariableData, or the whole structure. */
	lb_event(&l, 1, HG_EV_EFI_VARIABLE_BOOT, bootvar.b, bootvar.n, v.data, v.data_len);
	lb_event(&l, 1, HG_EV_EFI_VARIABLE_BOOT, bootvar.b, bootvar.n, HASH_DATA, 0);
	/* Not judged: code, blobs, bootloader strings. */
	lb_event(&l, 0, HG_EV_POST_CODE, "POST CODE", 9, "code", 4);
	lb_event(&l, 0, HG_EV_EFI_PLATFORM_FIRMWARE_BLOB, "0123456789abcdef", 16, "fw", 2);
	lb_event(&l, 8, HG_EV_IPL, "grub_cmd: linux", 15, "linux", 5);
	lb_event(&l, 9, HG_EV_EVENT_TAG, "tag", 3, "other", 5);
	lb_event(&l, 1, HG_EV_PLATFORM_CONFIG_FLAGS, "flags", 5, "other", 5);
	lb_event(&l, 0, HG_EV_EFI_HCRTM_EVENT, "HCRTM", 5, "crtm", 4);
	lb_event(&l, 0, 0x12345678, "unknown", 7, "other", 5);
	/* Judged, and wrong. */
	want[nwant++] = lb_event(&l, 5, HG_EV_EFI_ACTION, "Exit Boot Services Invocation", 29,
				 "Exit Boot Services Invocation", 30);   /* NUL hashed too */
	want[nwant++] = lb_event(&l, 0, HG_EV_S_CRTM_VERSION, "v1", 2, "v2", 2);
	want[nwant++] = lb_event(&l, 1, HG_EV_EFI_VARIABLE_BOOT, bootvar.b, bootvar.n, "x", 1);
	want[nwant++] = lb_event(&l, 1, HG_EV_EFI_VARIABLE_BOOT2, bootvar.b, bootvar.n,
				 v.data, v.data_len);   /* BOOT2 hashes it all */
	want[nwant++] = lb_event(&l, 7, HG_EV_EFI_VARIABLE_AUTHORITY, bootvar.b, bootvar.n,
				 bootvar.b, bootvar.n - 1);  /* shim's off-by-one */
	want[nwant++] = lb_event(&l, 2, HG_EV_OMIT_BOOT_DEVICE_EVENTS,
				 "BOOT ATTEMPTS OMITTED", 21, "x", 1);
	facts_of(&l, &f);
	assert_int_equal(f.nmismatch, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_int_equal(f.mismatch[i].event, want[i]);
	assert_int_equal(f.mismatch[0].pcr, 5);
	assert_int_equal(f.mismatch[0].type, HG_EV_EFI_ACTION);
	hg_uefi_facts_free(&f);
	free(l.b);
}

static void test_facts_apps(void **state)
{
	struct lb l;
	struct hg_uefi_facts f;
	struct bb dp = { .n = 0 }, app;

	(void)state;
	lb_init(&l);
	put_file_node(&dp, "\\EFI\\a.efi", 1);
	put_end(&dp);
	image_event(&app, &dp, 0, 9);         /* 9 stray bytes: not simple */
	lb_event(&l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, app.b, app.n, "a", 1);
	image_event(&app, &dp, 0, 0);
	lb_event(&l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, app.b, app.n, "b", 1);
	lb_event(&l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, "", 0, "c", 1);
	lb_event(&l, 5, HG_EV_EFI_BOOT_SERVICES_APPLICATION, app.b, app.n, "d", 1);
	facts_of(&l, &f);
	assert_int_equal(f.napps, 3);
	assert_null(f.apps[0].path);
	assert_string_equal(f.apps[0].path_why, "trailing bytes after the device path");
	assert_string_equal(f.apps[1].path, "\\EFI\\a.efi");
	assert_null(f.apps[2].path);
	assert_string_equal(f.apps[2].path_why,
			    "shorter than the 32-byte UEFI_IMAGE_LOAD_EVENT header");
	assert_int_equal(f.apps[0].event, 1);
	assert_int_equal(f.apps[2].event, 3);
	hg_uefi_facts_free(&f);
	free(l.b);
}

/* A log that does not parse gives no facts, and says where it broke. */
static void test_facts_bad_log(void **state)
{
	struct lb l;
	struct hg_uefi_facts f;
	struct hg_uefi_err err;
	size_t off;

	(void)state;
	lb_init(&l);
	lb_event(&l, 0, HG_EV_SEPARATOR, "\0\0\0\0", 4, HASH_DATA, 0);
	off = l.n;
	lb_event(&l, 7, HG_EV_SEPARATOR, "\0\0\0\0", 4, HASH_DATA, 0);
	assert_int_equal(hg_uefi_facts(l.b, l.n - 1, &f, &err), -1);
	assert_int_equal(err.event, 2);
	assert_int_equal(err.offset, off);
	assert_int_equal(f.napps, 0);
	assert_null(f.apps);
	hg_uefi_facts_free(&f);   /* again: a freed struct is zeroed */
	assert_int_equal(hg_uefi_facts(l.b, 0, &f, &err), -1);
	free(l.b);
}

/* ---- real logs -------------------------------------------------------- */

static void expect_hex(const struct hg_uefi_varfact *v, const char *hex)
{
	const struct hg_digest *d = hg_uefi_varfact_digest(v);
	char got[2 * HG_MAX_DIGEST + 1];

	assert_non_null(d);
	hg_hex_encode(d->d, d->len, got);
	assert_string_equal(got, hex);
}

static void test_corpus_keylime_secureboot(void **state)
{
	uint8_t *buf = NULL;
	struct hg_uefi_facts f;

	(void)state;
	hg_fx_load_corpus_log("keylime_keylime/create-mb-policy/binary_bios_measurements-secureboot",
		     &buf, &f);
	assert_int_equal(f.secure_boot, 1);
	assert_int_equal(f.var[HG_SBVAR_SECUREBOOT].event, 4);
	assert_int_equal(f.var[HG_SBVAR_PK].event, 5);
	expect_hex(&f.var[HG_SBVAR_PK],
		   "adb6fc232943e39c374bf4782b6c697f43c39fca1f4b51dfceda21164e19a893");
	expect_hex(&f.var[HG_SBVAR_DBX],
		   "bcc3309a60c8fab0ed90e1c15deec7a18de9f65d318af79c0f3f7bb7701cc3ad");
	for (int i = 0; i < HG_SBVAR_N; i++) {
		assert_true(f.var[i].matches_data);
		assert_false(f.var[i].conflict);
	}
	assert_int_equal(f.napps, 3);
	assert_int_equal(f.apps[0].event, 29);
	assert_string_equal(f.apps[0].path, "\\EFI\\redhat\\shimx64.efi");
	assert_int_equal(f.apps[1].event, 35);
	assert_string_equal(f.apps[1].path, "\\EFI\\redhat\\grubx64.efi");
	assert_int_equal(f.apps[2].event, 93);
	assert_null(f.apps[2].path);
	assert_string_equal(f.apps[2].path_why, "empty device path");
	for (int p = 0; p < 8; p++)
		assert_int_equal(f.sep[p], HG_SEP_NORMAL);
	assert_int_equal(f.nmismatch, 0);
	hg_uefi_facts_free(&f);
	free(buf);
}

static void test_corpus_keylime_disabled(void **state)
{
	uint8_t *buf = NULL;
	struct hg_uefi_facts f;

	(void)state;
	hg_fx_load_corpus_log("keylime_keylime/create-mb-policy/binary_bios_measurements", &buf, &f);
	assert_int_equal(f.secure_boot, 0);
	assert_int_equal(f.var[HG_SBVAR_SECUREBOOT].event, 12);
	expect_hex(&f.var[HG_SBVAR_PK],
		   "ddd2fe434fee03440d49850277556d148b75d7cafdc4dc59e8a67cccecad1a3e");
	hg_uefi_facts_free(&f);
	free(buf);
}

/* SHA1-format (TPM 2.0 Windows VM): the fact's digest is the sha1 one. */
static void test_corpus_windows_gcp(void **state)
{
	uint8_t *buf = NULL;
	struct hg_uefi_facts f;

	(void)state;
	hg_fx_load_corpus_log("google_go-attestation/windows_gcp_shielded_vm.extracted/eventlog.bin",
		     &buf, &f);
	assert_int_equal(f.secure_boot, 1);
	expect_hex(&f.var[HG_SBVAR_PK], "5abd9412abf33e34a79b3d1a93d350e742d8ecd8");
	assert_int_equal(f.sep[7], HG_SEP_NORMAL);
	for (int p = 0; p < 7; p++)
		assert_int_equal(f.sep[p], HG_SEP_NONE);
	assert_int_equal(f.napps, 1);
	assert_string_equal(f.apps[0].path, "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	hg_uefi_facts_free(&f);
	free(buf);
}

/* TPM 1.2 firmware hashed VariableData alone: the value is not bound to
 * the variable's name, so Secure Boot is unknown, and all five are
 * reported as mismatches. */
static void test_corpus_tpm12(void **state)
{
	uint8_t *buf = NULL;
	struct hg_uefi_facts f;

	(void)state;
	hg_fx_load_corpus_log("google_go-eventlog/linux_tpm12.extracted/eventlog.bin", &buf, &f);
	assert_int_equal(f.secure_boot, -1);
	assert_string_equal(f.secure_boot_why, UNBOUND);
	/* No variable fact stands: event 6 could be any of them. */
	assert_int_equal(f.pcr7_unbound, 6);
	for (int i = 0; i < HG_SBVAR_N; i++)
		assert_int_equal(f.var[i].event, -1);
	assert_int_equal(f.nmismatch, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(f.mismatch[i].event, 6 + i);
		assert_int_equal(f.mismatch[i].pcr, 7);
		assert_int_equal(f.mismatch[i].type, HG_EV_EFI_VARIABLE_DRIVER_CONFIG);
	}
	hg_uefi_facts_free(&f);
	free(buf);
}

/* shim's "Shim" EV_EFI_VARIABLE_AUTHORITY hashes all but the last byte
 * (found by the Python check above: sha1(data[:-1]) is the digest). */
static void test_corpus_shim_authority(void **state)
{
	uint8_t *buf = NULL;
	struct hg_uefi_facts f;

	(void)state;
	hg_fx_load_corpus_log("fwupd_fwupd/binary_bios_measurements-v2", &buf, &f);
	assert_int_equal(f.nmismatch, 2);
	assert_int_equal(f.mismatch[0].event, 42);
	assert_int_equal(f.mismatch[1].event, 122);
	assert_int_equal(f.mismatch[0].type, HG_EV_EFI_VARIABLE_AUTHORITY);
	assert_int_equal(f.secure_boot, 1);
	hg_uefi_facts_free(&f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts_secure_boot_on),
		cmocka_unit_test(test_facts_secure_boot_table),
		cmocka_unit_test(test_facts_separators),
		cmocka_unit_test(test_facts_mismatches),
		cmocka_unit_test(test_facts_apps),
		cmocka_unit_test(test_facts_bad_log),
		cmocka_unit_test(test_corpus_keylime_secureboot),
		cmocka_unit_test(test_corpus_keylime_disabled),
		cmocka_unit_test(test_corpus_windows_gcp),
		cmocka_unit_test(test_corpus_tpm12),
		cmocka_unit_test(test_corpus_shim_authority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
