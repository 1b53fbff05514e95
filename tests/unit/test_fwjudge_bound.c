/* test_fwjudge_bound.c: firmware facts rest only on what a quote binds
 * (issue 11 items 1-3; lib/uefifacts.h "Trust"), and the judge refuses
 * what they leave unknown.
 *
 * Hand-built crypto-agile logs (sha1 + sha256 declared) whose digests are
 * chosen per bank: a type retyped, an event whose sha1 digest says one
 * thing and its sha256 another, a bank left out, data that does not hash
 * to its digest, SecureBoot twice. The bound set is what the verifier
 * passes when the quote covers sha256 only (hg_uefi_facts_bound()); the
 * judge is verifier/fwjudge.h with policies parsed from text.
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
#include "../../verifier/fwjudge.h"
#include "../../verifier/policy.h"
#include "fwjudge_fx.h"
#include "uefifacts_fx.h"

/* ---- a log whose digests are chosen per bank ---------------------------- */

struct lg {
	uint8_t b[16384];
	size_t n, events;
};

static void lput(struct lg *l, const void *p, size_t n)
{
	assert_true(l->n + n <= sizeof(l->b));
	memcpy(l->b + l->n, p, n);
	l->n += n;
}

static void lle(struct lg *l, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(v >> (8 * i));

		lput(l, &c, 1);
	}
}

static void lg_init(struct lg *l)
{
	static const uint8_t zero[20];

	memset(l, 0, sizeof(*l));
	lle(l, 0, 4);
	lle(l, HG_EV_NO_ACTION, 4);
	lput(l, zero, 20);
	lle(l, 37, 4);
	lput(l, "Spec ID Event03", 16);
	lle(l, 0, 4);
	lle(l, 0x02000200, 4);
	lle(l, 2, 4);
	lle(l, HG_ALG_SHA1, 2);
	lle(l, 20, 2);
	lle(l, HG_ALG_SHA256, 2);
	lle(l, 32, 2);
	lle(l, 0, 1);
	l->events = 1;
}

#define DATA ((const char *)1)   /* hash the event data */
#define OMIT ((const char *)0)   /* no digest in this bank */
#define SEP ((const char *)2)    /* the hash of a separator, 00000000 */

/* An event on PCR whose sha1 digest hashes S1 and sha256 digest S256
 * (each DATA, OMIT or a string). Returns its index. */
static size_t ev(struct lg *l, uint32_t pcr, uint32_t type, const void *data, size_t len,
		 const char *s1, const char *s256)
{
	const char *src[2] = { s1, s256 };
	const uint16_t alg[2] = { HG_ALG_SHA1, HG_ALG_SHA256 };
	uint32_t count = (uint32_t)(s1 != OMIT) + (s256 != OMIT);

	lle(l, pcr, 4);
	lle(l, type, 4);
	lle(l, count, 4);
	for (int k = 0; k < 2; k++) {
		struct hg_digest d;

		if (src[k] == OMIT)
			continue;
		if (src[k] == DATA)
			assert_int_equal(hg_hash(alg[k], data, len, &d), 0);
		else if (src[k] == SEP)
			assert_int_equal(hg_hash(alg[k], "\0\0\0\0", 4, &d), 0);
		else
			assert_int_equal(hg_hash(alg[k], src[k], strlen(src[k]), &d), 0);
		lle(l, alg[k], 2);
		lput(l, d.d, d.len);
	}
	lle(l, len, 4);
	lput(l, data, len);
	return l->events++;
}

/* A UEFI_VARIABLE_DATA event on PCR 7. */
static size_t var_ev(struct lg *l, uint32_t type, const uint8_t guid[16], const char *name,
		     const void *value, size_t vlen, const char *s1, const char *s256)
{
	struct bb v = { .n = 0 };

	put_var(&v, guid, name, value, vlen);
	return ev(l, 7, type, v.b, v.n, s1, s256);
}

/* The verifier's bound set when the quote covers sha256 PCRs MASK. */
static const struct hg_uefi_bound *sha256_only(uint32_t mask)
{
	static struct hg_uefi_bound b;

	b = (struct hg_uefi_bound){ .n = 1, .alg = { HG_ALG_SHA256 }, .pcrs = { mask } };
	return &b;
}

static void facts(const struct lg *l, const struct hg_uefi_bound *bd, struct hg_uefi_facts *f)
{
	struct hg_uefi_err err;

	if (hg_uefi_facts_bound(l->b, l->n, bd, f, &err) < 0)
		fail_msg("facts: event %ld: %s", err.event, err.msg);
}

#define PCRS47 ((1u << 4) | (1u << 7))
#define SHA256_POLICY(fw) "{\"version\":1,\"banks\":[\"sha256\"],\"firmware\":{" fw "}}"

/* ---- item 1: every PCR 4 digest is judged, whatever its type ------------- */

static void test_retyped_apps(void **state)
{
	static const char calling[] = "Calling EFI Application from Boot Option";
	struct lg l;
	struct hg_uefi_facts f;
	struct sink s = { 0 };
	size_t a, b, c;

	(void)state;
	lg_init(&l);
	/* the harmless ones: the action string and the separator as logged,
	 * and a separator whose type claims an application */
	ev(&l, 4, HG_EV_EFI_ACTION, calling, strlen(calling), DATA, DATA);
	ev(&l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, "\0\0\0\0", 4, DATA, DATA);
	/* an image retyped as an action, with the action's text as data */
	a = ev(&l, 4, HG_EV_EFI_ACTION, calling, strlen(calling), "image A", "image A");
	/* as a separator, as an unnamed type, as EV_NO_ACTION (not extended) */
	b = ev(&l, 4, HG_EV_SEPARATOR, "\0\0\0\0", 4, "image B", "image B");
	c = ev(&l, 4, 0xdeadbeef, "", 0, "image C", "image C");
	ev(&l, 4, HG_EV_NO_ACTION, "x", 1, "image D", "image D");
	facts(&l, sha256_only(PCRS47), &f);
	assert_int_equal(f.napps, 3);
	assert_int_equal(f.apps[0].event, a);
	assert_int_equal(f.apps[0].type, HG_EV_EFI_ACTION);
	assert_int_equal(f.apps[1].event, b);
	assert_int_equal(f.apps[2].event, c);
	/* only the bound bank's digest is kept */
	assert_int_equal(f.apps[0].digests.n, 1);
	assert_int_equal(f.apps[0].digests.v[0].alg, HG_ALG_SHA256);

	/* judged: none allowed; each named with the type it was logged as
	 * (and the two whose type says their data is hashed are mismatches) */
	assert_int_equal(judge(SHA256_POLICY("\"boot_apps\":{\"sha256\":[\""
		"1111111111111111111111111111111111111111111111111111111111111111\"]}"),
		&f, 1, &s), 5);
	assert_non_null(strstr(s.why[0], "firmware: boot application (event 3, logged as EV_EFI_ACTION, path unknown: "));
	assert_non_null(strstr(s.why[1], "(event 4, logged as EV_SEPARATOR, path unknown: "));
	assert_non_null(strstr(s.why[2], "(event 5, logged as type 0xdeadbeef, path unknown: "));
	assert_string_equal(jstr(s.f[0], "logged_type"), "EV_EFI_ACTION");
	sink_free(&s);
	hg_uefi_facts_free(&f);
}

static void test_harmless(void **state)
{
	static const char *const yes[] = {
		"Calling EFI Application from Boot Option",
		"Returning from EFI Application from Boot Option",
		"Exit Boot Services Invocation",
		"Exit Boot Services Returned with Failure",
		"Exit Boot Services Returned with Success",
		"Calling INT 19h", "Returned INT 19h", "Return via INT 18h",
	};
	static const char *const no[] = {
		"UEFI Debug Mode", "Calling EFI Application from Boot Option ",
		"calling EFI Application from Boot Option", "",
	};
	const uint16_t algs[] = { HG_ALG_SHA1, HG_ALG_SHA256, HG_ALG_SHA384 };
	struct hg_digest d;

	(void)state;
	for (size_t a = 0; a < 3; a++) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			assert_int_equal(hg_hash(algs[a], yes[i], strlen(yes[i]), &d), 0);
			assert_int_equal(hg_uefi_harmless(&d), 1);
			/* with the NUL: not what firmware hashes */
			assert_int_equal(hg_hash(algs[a], yes[i], strlen(yes[i]) + 1, &d), 0);
			assert_int_equal(hg_uefi_harmless(&d), 0);
		}
		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			assert_int_equal(hg_hash(algs[a], no[i], strlen(no[i]), &d), 0);
			assert_int_equal(hg_uefi_harmless(&d), 0);
		}
		assert_int_equal(hg_hash(algs[a], "\0\0\0\0", 4, &d), 0);
		assert_int_equal(hg_uefi_harmless(&d), 1);
		assert_int_equal(hg_hash(algs[a], "\xff\xff\xff\xff", 4, &d), 0);
		assert_int_equal(hg_uefi_harmless(&d), 1);
		/* an error separator says the firmware failed: judged */
		assert_int_equal(hg_hash(algs[a], "\x01\0\0\0", 4, &d), 0);
		assert_int_equal(hg_uefi_harmless(&d), 0);
	}
}

/* ---- item 2: only the quoted banks ---------------------------------------- */

static void test_unquoted_bank(void **state)
{
	struct bb sb1 = { .n = 0 };
	struct lg l;
	struct hg_uefi_facts f;
	size_t real;

	(void)state;
	lg_init(&l);
	real = var_ev(&l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
		      "SecureBoot", "\x00", 1, DATA, DATA);
	/* SecureBoot = 1, bound in sha1 only; sha256 extended a separator */
	put_var(&sb1, hg_efi_global_variable_guid, "SecureBoot", "\x01", 1);
	ev(&l, 7, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, sb1.b, sb1.n, DATA, SEP);
	/* an application in sha1, a separator in sha256 */
	ev(&l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, "x", 1, "evil", SEP);

	/* the quote covers sha256: the sha1 claims count for nothing */
	facts(&l, sha256_only(PCRS47), &f);
	assert_int_equal(f.secure_boot, 0);
	assert_int_equal(f.var[HG_SBVAR_SECUREBOOT].event, (long)real);
	assert_false(f.var[HG_SBVAR_SECUREBOOT].conflict);
	assert_int_equal(f.napps, 0);
	hg_uefi_facts_free(&f);

	/* read as the log claims it (show: every bank), the sha1 digest is
	 * an unexplained PCR 7 measurement and an application */
	facts(&l, NULL, &f);
	assert_int_equal(f.secure_boot, -1);
	assert_int_equal(f.pcr7_unbound, 2);
	assert_int_equal(f.napps, 1);
	hg_uefi_facts_free(&f);

	/* a PCR the quote does not bind in sha256 gives nothing at all */
	facts(&l, sha256_only(1u << 7), &f);
	assert_int_equal(f.napps, 0);
	hg_uefi_facts_free(&f);
	facts(&l, sha256_only(0), &f);
	assert_int_equal(f.secure_boot, -1);
	assert_int_equal(f.var[HG_SBVAR_SECUREBOOT].event, -1);
	hg_uefi_facts_free(&f);
}

static void test_missing_bank(void **state)
{
	struct lg l;
	struct hg_uefi_facts f;
	struct hg_uefi_err err;
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	size_t off;

	(void)state;
	assert_non_null(r);
	lg_init(&l);
	ev(&l, 0, HG_EV_S_CRTM_VERSION, "v", 1, DATA, DATA);
	off = l.n;
	ev(&l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, "x", 1, "evil", OMIT);
	ev(&l, 11, HG_EV_IPL, "y", 1, OMIT, DATA);

	/* bound (the verifier): refused, naming the event */
	assert_int_equal(hg_uefi_facts_bound(l.b, l.n, sha256_only(PCRS47), &f, &err), -1);
	assert_int_equal(err.event, 2);
	assert_int_equal(err.offset, off);
	assert_string_equal(err.msg, "no sha256 digest, which the Spec ID event declares "
			    "(every event must carry one per declared algorithm)");
	assert_int_equal(hg_uefi_replay(l.b, l.n, HG_UEFI_ALL_BANKS, r, &err), -1);
	assert_int_equal(err.event, 2);
	assert_string_equal(err.msg, "no sha256 digest, which the Spec ID event declares "
			    "(every event must carry one per declared algorithm)");

	/* show reads it (tpm2-tools' synthetic fixtures do this), and its
	 * replay reports only the (bank, PCR) pairs some event extended */
	facts(&l, NULL, &f);
	hg_uefi_facts_free(&f);
	assert_int_equal(hg_uefi_replay(l.b, l.n, 0, r, &err), 0);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA1, 4), 2);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 4), -1);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA1, 11), -1);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 11), 3);
	free(r);
}

static void test_conflicting_secure_boot(void **state)
{
	struct lg l;
	struct hg_uefi_facts f;
	struct sink s = { 0 };

	(void)state;
	lg_init(&l);
	var_ev(&l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	       "SecureBoot", "\x00", 1, DATA, DATA);
	/* the forged one, under an action type */
	var_ev(&l, HG_EV_EFI_ACTION, hg_efi_global_variable_guid, "SecureBoot", "\x01", 1,
	       DATA, DATA);
	facts(&l, sha256_only(PCRS47), &f);
	assert_int_equal(f.secure_boot, -1);
	assert_string_equal(f.secure_boot_why,
			    "SecureBoot is logged more than once, with different digests");
	assert_int_equal(judge(SHA256_POLICY("\"secure_boot\":true"), &f, 1, &s), 1);
	assert_string_equal(s.why[0], "firmware: Secure Boot state is unknown (SecureBoot is logged "
			    "more than once, with different digests); the policy requires it enabled");
	sink_free(&s);
	memset(&s, 0, sizeof(s));
	assert_int_equal(judge(SHA256_POLICY("\"secure_boot\":false"), &f, 1, &s), 1);
	sink_free(&s);
	hg_uefi_facts_free(&f);
}

static void test_unbound_data(void **state)
{
	struct lg l;
	struct hg_uefi_facts f;
	struct sink s = { 0 };
	size_t bad;

	(void)state;
	lg_init(&l);
	/* the real SecureBoot (0), its data replaced by a variable of
	 * another name under a type no mismatch rule looks at */
	bad = var_ev(&l, HG_EV_POST_CODE, hg_efi_global_variable_guid, "SecureBooX", "\x00", 1,
		     "real SecureBoot = 0", "real SecureBoot = 0");
	var_ev(&l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid, "PK", "pk", 2,
	       DATA, DATA);
	var_ev(&l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	       "SecureBoot", "\x01", 1, DATA, DATA);
	facts(&l, sha256_only(PCRS47), &f);
	assert_int_equal(f.pcr7_unbound, (long)bad);
	assert_int_equal(f.secure_boot, -1);
	for (int i = 0; i < HG_SBVAR_N; i++)
		assert_int_equal(f.var[i].event, -1);
	assert_int_equal(f.nmismatch, 0);
	assert_int_equal(judge(SHA256_POLICY("\"secure_boot\":true,\"pk\":{\"sha256\":[\""
		"1111111111111111111111111111111111111111111111111111111111111111\"]}"), &f, 1, &s), 2);
	assert_non_null(strstr(s.why[0], "Secure Boot state is unknown (an event on PCR 7 is not bound"));
	assert_string_equal(s.why[1], "firmware: PK cannot be judged: event 1 on PCR 7 is not bound to "
			    "its data (its digest is not the hash of what it logs), it could be any variable");
	sink_free(&s);
	hg_uefi_facts_free(&f);

	/* a harmless digest under SecureBoot's data is no variable, and no
	 * unexplained measurement either */
	lg_init(&l);
	var_ev(&l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	       "SecureBoot", "\x01", 1, DATA, SEP);
	facts(&l, sha256_only(PCRS47), &f);
	assert_int_equal(f.pcr7_unbound, -1);
	assert_int_equal(f.secure_boot, -1);
	assert_string_equal(f.secure_boot_why, "no event on PCR 7 whose data hashes to its digest "
			    "is the SecureBoot variable");
	hg_uefi_facts_free(&f);
}

/* shim's "Shim" authority event hashes its data but the last byte: bound
 * to that prefix, which is read as such (and cannot hide a variable). */
static void test_prefix_quirk(void **state)
{
	struct bb v = { .n = 0 };
	struct lg l;
	struct hg_uefi_facts f;
	char prefix[256];

	(void)state;
	put_var(&v, hg_efi_global_variable_guid, "SecureBoot", "\x00", 1);
	assert_true(v.n < sizeof(prefix));
	memcpy(prefix, v.b, v.n);
	prefix[v.n] = '\0';
	/* SecureBoot is not a printable string: build the digest by hand */
	lg_init(&l);
	{
		struct hg_digest d1, d2;
		uint8_t data[256];

		memcpy(data, v.b, v.n);
		data[v.n] = 0x5a;    /* one stray byte after the structure */
		assert_int_equal(hg_hash(HG_ALG_SHA1, v.b, v.n, &d1), 0);
		assert_int_equal(hg_hash(HG_ALG_SHA256, v.b, v.n, &d2), 0);
		lle(&l, 7, 4);
		lle(&l, HG_EV_EFI_VARIABLE_AUTHORITY, 4);
		lle(&l, 2, 4);
		lle(&l, HG_ALG_SHA1, 2);
		lput(&l, d1.d, d1.len);
		lle(&l, HG_ALG_SHA256, 2);
		lput(&l, d2.d, d2.len);
		lle(&l, v.n + 1, 4);
		lput(&l, data, v.n + 1);
		l.events++;
	}
	var_ev(&l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_global_variable_guid,
	       "SecureBoot", "\x01", 1, DATA, DATA);
	facts(&l, sha256_only(PCRS47), &f);
	/* the bound prefix is SecureBoot = 0: it conflicts with the = 1 */
	assert_int_equal(f.pcr7_unbound, -1);
	assert_int_equal(f.var[HG_SBVAR_SECUREBOOT].event, 1);
	assert_true(f.var[HG_SBVAR_SECUREBOOT].conflict);
	assert_int_equal(f.secure_boot, -1);
	hg_uefi_facts_free(&f);
	(void)prefix;
}

/* db: the variable is a list of EFI_SIGNATURE_LISTs; an authority event's
 * one EFI_SIGNATURE_DATA under the same name is not it, whatever the
 * types say. */
static void test_db_by_content(void **state)
{
	static const uint8_t esl[76] = {
		0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40, 0xac, 0xa9, 0x41, 0xf9,
		0x36, 0x93, 0x43, 0x28, 76, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0,
	};
	struct lg l;
	struct hg_uefi_facts f;
	size_t db;

	(void)state;
	lg_init(&l);
	/* an authority entry typed as the config, the list typed as authority */
	var_ev(&l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG, hg_efi_image_security_db_guid, "db",
	       "OWNER-GUID-16bytcert", 20, DATA, DATA);
	db = var_ev(&l, HG_EV_EFI_VARIABLE_AUTHORITY, hg_efi_image_security_db_guid, "db",
		    esl, sizeof(esl), DATA, DATA);
	var_ev(&l, HG_EV_EFI_VARIABLE_AUTHORITY, hg_efi_image_security_db_guid, "db",
	       "OWNER-GUID-16bytcert2", 21, DATA, DATA);
	facts(&l, sha256_only(PCRS47), &f);
	assert_int_equal(f.var[HG_SBVAR_DB].event, (long)db);
	assert_false(f.var[HG_SBVAR_DB].conflict);
	hg_uefi_facts_free(&f);
}

/* EFI_SIGNATURE_LIST read by SignatureHeaderSize and SignatureSize
 * exactly: header bytes are never entries (GHSA-9r4w-jg96-92mv). */
static void test_esl(void **state)
{
	uint8_t b[256] = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(hg_uefi_esl_check(b, 0, &n), 1);
	assert_int_equal(n, 0);
	/* one list: 28-byte header, SignatureHeaderSize 48, two 48-byte
	 * entries: 2 entries, the header's 48 bytes not one of them */
	memset(b, 0xaa, sizeof(b));
	b[16] = 28 + 48 + 96; b[17] = b[18] = b[19] = 0;
	b[20] = 48; b[21] = b[22] = b[23] = 0;
	b[24] = 48; b[25] = b[26] = b[27] = 0;
	assert_int_equal(hg_uefi_esl_check(b, 172, &n), 1);
	assert_int_equal(n, 2);
	/* the list size not the data's: trailing bytes, or short */
	assert_int_equal(hg_uefi_esl_check(b, 173, &n), 0);
	assert_int_equal(hg_uefi_esl_check(b, 171, &n), 0);
	/* entries not whole SignatureSize */
	b[24] = 50;
	assert_int_equal(hg_uefi_esl_check(b, 172, &n), 0);
	/* SignatureSize below the owner GUID */
	b[24] = 8; b[16] = 28 + 48 + 8;
	assert_int_equal(hg_uefi_esl_check(b, 84, &n), 0);
	/* a header that leaves no entry */
	b[24] = 48; b[16] = 28 + 48;
	assert_int_equal(hg_uefi_esl_check(b, 76, &n), 0);
	/* sizes that would wrap */
	b[16] = b[17] = b[18] = b[19] = 0xff;
	assert_int_equal(hg_uefi_esl_check(b, 172, &n), 0);
	b[16] = 172; b[17] = b[18] = b[19] = 0;
	b[20] = b[21] = b[22] = b[23] = 0xff;
	assert_int_equal(hg_uefi_esl_check(b, 172, &n), 0);
	/* shorter than a list header */
	assert_int_equal(hg_uefi_esl_check(b, 27, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retyped_apps),
		cmocka_unit_test(test_harmless),
		cmocka_unit_test(test_unquoted_bank),
		cmocka_unit_test(test_missing_bank),
		cmocka_unit_test(test_conflicting_secure_boot),
		cmocka_unit_test(test_unbound_data),
		cmocka_unit_test(test_prefix_quirk),
		cmocka_unit_test(test_db_by_content),
		cmocka_unit_test(test_esl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
