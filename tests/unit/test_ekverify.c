/* test_ekverify.c: EK certificate chains and EK binding (verifier/ekverify.h).
 *
 * Every certificate is made here with the OpenSSL API: a root CA A
 * (RSA-3072) and its intermediate (P-384, so EK certificates are
 * ECDSA-signed, as several vendors' are), a second hierarchy B (P-256)
 * that DIR never trusts, and EK certificates shaped as the TCG EK
 * Credential Profile 2.x §3.2 has them: empty subject, critical
 * subjectAltName holding a directoryName with the TPM manufacturer,
 * model and version (2.23.133.2.1/2/3), subjectDirectoryAttributes with
 * the TPM specification (2.23.133.2.16), EKU 2.23.133.8.1, critical
 * basicConstraints CA:FALSE. They are accepted for RSA-2048/3072 and
 * P-256/P-384 keys; each refusal is pinned to its exact reason.
 *
 * CA directories are written to a temporary directory: the root as DER,
 * the intermediate as PEM, a one-file PEM bundle, and the broken ones.
 * The test does not run swtpm; the real swtpm certificates were checked
 * by hand (see the commit message).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../verifier/ekverify.h"

#define DAY 86400
/* The verification time of most cases: 2025-06-15. */
#define T0 ((time_t)1750000000)
/* 2019-01-01, 2020-01-01, 2030-01-01 and 2031-01-01, 00:00 UTC. */
#define Y2019 ((time_t)1546300800)
#define Y2020 ((time_t)1577836800)
#define Y2030 ((time_t)1893456000)
#define Y2031 ((time_t)1924992000)

/* subjectDirectoryAttributes { tpmSpecification (2.23.133.2.16):
 * { "2.0", level 0, revision 164 } }, as swtpm writes it (X.690 DER). */
static const uint8_t sda_der[] = {
	0x30, 0x19, 0x30, 0x17, 0x06, 0x05, 0x67, 0x81, 0x05, 0x02, 0x10,
	0x31, 0x0e, 0x30, 0x0c, 0x0c, 0x03, 0x32, 0x2e, 0x30,
	0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0xa4,
};
static const uint8_t asn1_null[] = { 0x05, 0x00 };

static EVP_PKEY *k_roota, *k_inta, *k_rootb, *k_intb;
static EVP_PKEY *k_rsa2048, *k_rsa3072, *k_p256, *k_p384, *k_rsa2048b, *k_p256b;
static X509 *roota, *inta, *rootb, *intb, *oldint;
static char top[] = "/tmp/test_ekverify.XXXXXX";
static int top_made;
static struct hv_ca *ca_a, *ca_bundle, *ca_intb, *ca_oldint;
static long serial = 1;

/* What one certificate looks like; zeroes are the EK defaults. */
struct spec {
	const char *cn;        /* NULL: empty subject (an EK) */
	X509 *issuer;          /* NULL: self-signed */
	EVP_PKEY *signer;      /* NULL: the issuer's key */
	EVP_PKEY *key;
	time_t nb, na;         /* 0: T0 - 1 year, 9999-12-31 */
	int ca;
	const char *eku;       /* NULL: 2.23.133.8.1; "": none */
	int sda_crit;
	const char *crit_oid;  /* an extra critical extension nobody knows */
};

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX c;
	X509_EXTENSION *ex;

	X509V3_set_ctx(&c, issuer ? issuer : x, x, NULL, NULL, 0);
	ex = X509V3_EXT_nconf_nid(NULL, &c, nid, value);
	assert_non_null(ex);
	assert_int_equal(X509_add_ext(x, ex, -1), 1);
	X509_EXTENSION_free(ex);
}

static void add_raw_ext(X509 *x, const char *oid, int crit, const uint8_t *der,
			size_t len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ex;

	assert_non_null(o);
	assert_non_null(os);
	assert_int_equal(ASN1_OCTET_STRING_set(os, der, (int)len), 1);
	ex = X509_EXTENSION_create_by_OBJ(NULL, o, crit, os);
	assert_non_null(ex);
	assert_int_equal(X509_add_ext(x, ex, -1), 1);
	X509_EXTENSION_free(ex);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
}

/* Critical subjectAltName { directoryName { tpmManufacturer,
 * tpmModel, tpmVersion } }, one attribute per RDN as swtpm has it. */
static void add_tpm_san(X509 *x)
{
	static const char *const attr[][2] = {
		{ "2.23.133.2.1", "id:00001014" },
		{ "2.23.133.2.2", "swtpm" },
		{ "2.23.133.2.3", "id:20191023" },
	};
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	X509_NAME *dn = X509_NAME_new();
	size_t i;

	assert_non_null(gens);
	assert_non_null(g);
	assert_non_null(dn);
	for (i = 0; i < sizeof(attr) / sizeof(attr[0]); i++)
		assert_int_equal(X509_NAME_add_entry_by_txt(dn, attr[i][0], MBSTRING_UTF8,
							    (const unsigned char *)attr[i][1],
							    -1, -1, 0), 1);
	GENERAL_NAME_set0_value(g, GEN_DIRNAME, dn);
	assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 1,
					   X509V3_ADD_APPEND), 1);
	GENERAL_NAMES_free(gens);
}

static X509 *mkcert(const struct spec *s)
{
	X509 *x = X509_new();
	X509 *iss;
	EVP_PKEY *signer = s->signer;

	assert_non_null(x);
	iss = s->issuer ? s->issuer : x;
	if (!signer)
		signer = s->issuer ? NULL : s->key;
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	if (s->cn)
		assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
							    MBSTRING_UTF8,
							    (const unsigned char *)s->cn,
							    -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(iss)), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), s->nb ? s->nb : T0 - 365 * DAY));
	if (s->na)
		assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), s->na));
	else
		assert_int_equal(ASN1_TIME_set_string(X509_getm_notAfter(x), "99991231235959Z"), 1);
	assert_int_equal(X509_set_pubkey(x, s->key), 1);

	if (s->ca) {
		add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, iss, NID_subject_key_identifier, "hash");
	} else {
		add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, iss, NID_key_usage, EVP_PKEY_is_a(s->key, "RSA")
				? "critical,keyEncipherment" : "critical,keyAgreement");
	}
	if (s->issuer)
		add_ext(x, iss, NID_authority_key_identifier, "keyid:always");
	if (!s->cn) {
		add_tpm_san(x);
		add_raw_ext(x, "2.5.29.9", s->sda_crit, sda_der, sizeof(sda_der));
	}
	if (!s->eku)
		add_ext(x, iss, NID_ext_key_usage, "2.23.133.8.1");
	else if (*s->eku)
		add_ext(x, iss, NID_ext_key_usage, s->eku);
	if (s->crit_oid)
		add_raw_ext(x, s->crit_oid, 1, asn1_null, sizeof(asn1_null));
	if (!signer)
		signer = s->issuer == roota ? k_roota : s->issuer == inta ? k_inta
		       : s->issuer == rootb ? k_rootb : k_intb;
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

/* An EK certificate under A's intermediate, with the TCG quirks. */
static struct spec ek_spec(EVP_PKEY *key)
{
	struct spec s = { .issuer = inta, .key = key };

	return s;
}

/* DER of X in a fresh malloc'd buffer (+ SLACK spare bytes); frees X. */
static uint8_t *der_of(X509 *x, size_t slack, size_t *len)
{
	unsigned char *p = NULL;
	uint8_t *buf;
	int n = i2d_X509(x, &p);

	assert_true(n > 0);
	buf = malloc((size_t)n + slack);
	assert_non_null(buf);
	memcpy(buf, p, (size_t)n);
	OPENSSL_free(p);
	X509_free(x);
	*len = (size_t)n;
	return buf;
}

static int verify(const struct hv_ca *ca, X509 *x, unsigned flags, time_t now,
		  const char **why)
{
	static char whybuf[512];
	size_t len;
	uint8_t *der;
	int r;

	X509_up_ref(x);
	der = der_of(x, 0, &len);
	r = hv_ek_cert_verify(ca, der, len, flags, now, whybuf, sizeof(whybuf), why);
	free(der);
	return r;
}

/* --- files ------------------------------------------------------------ */

static void path_of(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/%s%s%s", top, dir, name ? "/" : "", name ? name : "");
}

static void mkdir_in(const char *dir)
{
	char p[512];

	path_of(p, sizeof(p), dir, NULL);
	assert_int_equal(mkdir(p, 0700), 0);
}

static void write_raw(const char *dir, const char *name, const void *b, size_t len)
{
	char p[512];
	FILE *f;

	path_of(p, sizeof(p), dir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_str(const char *dir, const char *name, const char *s)
{
	write_raw(dir, name, s, strlen(s));
}

static void write_der(const char *dir, const char *name, X509 *x, size_t extra)
{
	size_t len;
	uint8_t *der;

	X509_up_ref(x);
	der = der_of(x, extra, &len);
	memset(der + len, 0, extra);
	write_raw(dir, name, der, len + extra);
	free(der);
}

/* X1, then X2 if not NULL, in one PEM file. */
static void write_pem(const char *dir, const char *name, X509 *x1, X509 *x2)
{
	char p[512];
	FILE *f;

	path_of(p, sizeof(p), dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("comment lines around PEM blocks are allowed\n", f);
	assert_int_equal(PEM_write_X509(f, x1), 1);
	if (x2)
		assert_int_equal(PEM_write_X509(f, x2), 1);
	assert_int_equal(fclose(f), 0);
}

static struct hv_ca *load(const char *dir)
{
	char p[512], whybuf[512];
	const char *why = NULL;
	struct hv_ca *ca = NULL;

	path_of(p, sizeof(p), dir, NULL);
	if (hv_ca_load(p, &ca, whybuf, sizeof(whybuf), &why) < 0)
		fail_msg("%s: %s", dir, why);
	return ca;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

/* --- fixture ---------------------------------------------------------- */

static EVP_PKEY *rsa(unsigned bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);

	assert_non_null(k);
	return k;
}

static EVP_PKEY *ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(k);
	return k;
}

static int setup(void **state)
{
	struct spec s;

	(void)state;
	k_roota = rsa(3072);
	k_inta = ec("P-384");
	k_rootb = ec("P-256");
	k_intb = ec("P-256");
	k_rsa2048 = rsa(2048);
	k_rsa3072 = rsa(3072);
	k_rsa2048b = rsa(2048);
	k_p256 = ec("P-256");
	k_p256b = ec("P-256");
	k_p384 = ec("P-384");

	s = (struct spec){ .cn = "Root A", .key = k_roota, .ca = 1, .eku = "" };
	roota = mkcert(&s);
	s = (struct spec){ .cn = "Intermediate A", .issuer = roota, .key = k_inta, .ca = 1, .eku = "" };
	inta = mkcert(&s);
	s = (struct spec){ .cn = "Other Root", .key = k_rootb, .ca = 1, .eku = "" };
	rootb = mkcert(&s);
	s = (struct spec){ .cn = "Other Intermediate", .issuer = rootb, .key = k_intb, .ca = 1, .eku = "" };
	intb = mkcert(&s);
	/* Under root A with A's intermediate key, expired. */
	s = (struct spec){ .cn = "Old Intermediate", .issuer = roota, .key = k_inta, .ca = 1,
			   .eku = "", .nb = Y2019, .na = Y2020 };
	oldint = mkcert(&s);

	assert_non_null(mkdtemp(top));
	top_made = 1;
	/* A: the root as DER, the intermediate as PEM; a dotfile and a
	 * subdirectory of garbage that the load must skip. */
	mkdir_in("a");
	write_der("a", "root.der", roota, 0);
	write_pem("a", "int.pem", inta, NULL);
	write_str("a", ".hidden", "garbage");
	mkdir_in("a/sub");
	write_str("a/sub", "junk", "garbage");
	mkdir_in("bundle");
	write_pem("bundle", "ca-bundle.pem", inta, roota);
	/* A's root, and B's intermediate without B's root. */
	mkdir_in("intb");
	write_der("intb", "root.der", roota, 0);
	write_pem("intb", "int.pem", intb, NULL);

	mkdir_in("oldint");
	write_der("oldint", "root.der", roota, 0);
	write_pem("oldint", "int.pem", oldint, NULL);

	mkdir_in("onlyint");
	write_pem("onlyint", "int.pem", inta, NULL);
	mkdir_in("garbage");
	write_der("garbage", "a-root.der", roota, 0);
	write_str("garbage", "junk.crt", "hello world\n");
	mkdir_in("empty");
	mkdir_in("trailing");
	write_der("trailing", "root.der", roota, 2);
	mkdir_in("badpem");
	write_str("badpem", "bad.pem",
		  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
	mkdir_in("keyonly");
	write_str("keyonly", "key.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");

	ca_a = load("a");
	ca_bundle = load("bundle");
	ca_intb = load("intb");
	ca_oldint = load("oldint");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hv_ca_free(ca_a);
	hv_ca_free(ca_bundle);
	hv_ca_free(ca_intb);
	hv_ca_free(ca_oldint);
	X509_free(roota);
	X509_free(inta);
	X509_free(rootb);
	X509_free(intb);
	X509_free(oldint);
	EVP_PKEY_free(k_roota);
	EVP_PKEY_free(k_inta);
	EVP_PKEY_free(k_rootb);
	EVP_PKEY_free(k_intb);
	EVP_PKEY_free(k_rsa2048);
	EVP_PKEY_free(k_rsa3072);
	EVP_PKEY_free(k_rsa2048b);
	EVP_PKEY_free(k_p256);
	EVP_PKEY_free(k_p256b);
	EVP_PKEY_free(k_p384);
	if (top_made)
		nftw(top, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* --- CA directories --------------------------------------------------- */

static void ca_load_refusals(void **state)
{
	static const struct {
		const char *dir, *file;   /* the file the reason names, or NULL */
		const char *why;          /* after "TOP/DIR[/FILE]: " */
	} bad[] = {
		{ "onlyint", NULL, "no root (self-signed) certificate in the CA directory, only 1 intermediate" },
		{ "garbage", "junk.crt", "neither a PEM nor a DER certificate" },
		{ "empty", NULL, "no certificate in the CA directory" },
		{ "trailing", "root.der", "not exactly one DER certificate (2 trailing bytes)" },
		{ "badpem", "bad.pem", "PEM certificate 1 does not decode" },
		{ "keyonly", "key.pem", "PEM file holds no CERTIFICATE block" },
		{ "missing", NULL, "cannot read the CA directory (No such file or directory)" },
	};
	char whybuf[512], dir[512], want[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hv_ca *ca = (struct hv_ca *)&ca;   /* must be reset to NULL */
		const char *why = NULL;

		path_of(dir, sizeof(dir), bad[i].dir, NULL);
		if (bad[i].file)
			snprintf(want, sizeof(want), "%s/%s: %s", dir, bad[i].file, bad[i].why);
		else
			snprintf(want, sizeof(want), "%s: %s", dir, bad[i].why);
		assert_int_equal(hv_ca_load(dir, &ca, whybuf, sizeof(whybuf), &why), -1);
		assert_null(ca);
		assert_string_equal(why, want);
	}
	hv_ca_free(NULL);
}

/* --- accepted EK certificates ----------------------------------------- */

static void accepts_tcg_ek_certs(void **state)
{
	EVP_PKEY *keys[] = { k_rsa2048, k_rsa3072, k_p256, k_p384 };
	const char *why = NULL;
	struct spec s;
	size_t i;
	X509 *x;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		s = ek_spec(keys[i]);
		x = mkcert(&s);
		/* Both directory layouts, a fixed time and the clock. */
		if (verify(ca_a, x, 0, T0, &why) < 0 || verify(ca_bundle, x, 0, T0, &why) < 0 ||
		    verify(ca_a, x, 0, 0, &why) < 0)
			fail_msg("key %zu: %s", i, why);
		X509_free(x);
	}
	/* Directly under the root (RSA-signed), with no intermediate. */
	s = (struct spec){ .issuer = roota, .key = k_p256 };
	x = mkcert(&s);
	if (verify(ca_a, x, 0, T0, &why) < 0)
		fail_msg("under the root: %s", why);
	X509_free(x);
	/* subjectDirectoryAttributes marked critical: tolerated on the EK. */
	s = ek_spec(k_rsa2048);
	s.sda_crit = 1;
	x = mkcert(&s);
	if (verify(ca_a, x, 0, T0, &why) < 0)
		fail_msg("critical SDA: %s", why);
	X509_free(x);
}

/* --- refused EK certificates ------------------------------------------ */

struct bad_row {
	const char *name;
	struct spec s;
	const struct hv_ca **ca;   /* NULL: &ca_a */
	unsigned flags;
	const char *why;           /* NULL: accepted with these FLAGS */
};

static void refusals(void **state)
{
	const struct bad_row rows[] = {
		{ "issued by a root not in DIR",
		  { .issuer = rootb, .key = k_p256 }, NULL, 0,
		  "EK certificate's issuer CN=Other Root is not in the CA directory "
		  "(unable to get local issuer certificate)" },
		{ "intermediate in DIR without its root",
		  { .issuer = intb, .key = k_p256 }, (const struct hv_ca **)&ca_intb, 0,
		  "CA certificate CN=Other Intermediate's issuer CN=Other Root is not in "
		  "the CA directory (unable to get local issuer certificate)" },
		{ "self-signed EK certificate",
		  { .key = k_p256 }, NULL, 0,
		  "EK certificate is self-signed and not in the CA directory" },
		{ "expired",
		  { .issuer = inta, .key = k_p256, .nb = Y2019, .na = Y2020 }, NULL, 0,
		  "EK certificate expired on 2020-01-01" },
		{ "expired, allowed",
		  { .issuer = inta, .key = k_p256, .nb = Y2019, .na = Y2020 }, NULL,
		  HV_EK_ALLOW_EXPIRED, NULL },
		{ "not yet valid",
		  { .issuer = inta, .key = k_p256, .nb = Y2030, .na = Y2031 }, NULL, 0,
		  "EK certificate is not valid before 2030-01-01" },
		{ "not yet valid, allowed",
		  { .issuer = inta, .key = k_p256, .nb = Y2030, .na = Y2031 }, NULL,
		  HV_EK_ALLOW_EXPIRED, NULL },
		{ "expired intermediate",
		  { .issuer = oldint, .signer = k_inta, .key = k_p256 },
		  (const struct hv_ca **)&ca_oldint, 0,
		  "CA certificate CN=Old Intermediate expired on 2020-01-01" },
		{ "expired intermediate, allowed: the flag covers the chain",
		  { .issuer = oldint, .signer = k_inta, .key = k_p256 },
		  (const struct hv_ca **)&ca_oldint, HV_EK_ALLOW_EXPIRED, NULL },
		{ "EKU serverAuth only",
		  { .issuer = inta, .key = k_p256, .eku = "serverAuth" }, NULL, 0,
		  "EK certificate has no TCG EK EKU (2.23.133.8.1)" },
		{ "EKU serverAuth only, allowed",
		  { .issuer = inta, .key = k_p256, .eku = "serverAuth" }, NULL,
		  HV_EK_ALLOW_ANY_EKU, NULL },
		{ "no EKU",
		  { .issuer = inta, .key = k_p256, .eku = "" }, NULL, 0,
		  "EK certificate has no extendedKeyUsage (TCG EK EKU 2.23.133.8.1 required)" },
		{ "no EKU, allowed",
		  { .issuer = inta, .key = k_p256, .eku = "" }, NULL, HV_EK_ALLOW_ANY_EKU, NULL },
		{ "CA:TRUE leaf",
		  { .issuer = inta, .key = k_p256, .ca = 1 }, NULL, HV_EK_ALLOW_ANY_EKU,
		  "EK certificate is a CA (basicConstraints CA:TRUE)" },
		{ "signed by another key in the intermediate's name",
		  { .issuer = inta, .signer = k_p384, .key = k_p256 }, NULL, 0,
		  "EK certificate signature does not verify" },
		{ "unknown critical extension",
		  { .issuer = inta, .key = k_p256, .crit_oid = "1.3.6.1.4.1.99999.1" }, NULL, 0,
		  "EK certificate has an unhandled critical extension 1.3.6.1.4.1.99999.1" },
		{ "expired, allowed, but a CA",
		  { .issuer = inta, .key = k_p256, .na = Y2020, .nb = Y2019, .ca = 1 }, NULL,
		  HV_EK_ALLOW_EXPIRED | HV_EK_ALLOW_ANY_EKU,
		  "EK certificate is a CA (basicConstraints CA:TRUE)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct hv_ca *ca = rows[i].ca ? *rows[i].ca : ca_a;
		const char *why = NULL;
		X509 *x = mkcert(&rows[i].s);
		int r = verify(ca, x, rows[i].flags, T0, &why);

		X509_free(x);
		if (!rows[i].why && r != 0)
			fail_msg("%s: refused: %s", rows[i].name, why);
		if (rows[i].why && (r != -1 || !why || strcmp(why, rows[i].why)))
			fail_msg("%s: got %d \"%s\", want \"%s\"", rows[i].name, r,
				 r ? why : "", rows[i].why);
	}
}

/* Bytes that are not exactly one well-signed DER certificate. */
static void refuses_bad_bytes(void **state)
{
	struct spec s = ek_spec(k_p256);
	char whybuf[256];
	const char *why = NULL;
	size_t len;
	uint8_t *der = der_of(mkcert(&s), 3, &len);

	(void)state;
	assert_int_equal(hv_ek_cert_verify(ca_a, der, len, 0, T0, whybuf, sizeof(whybuf), &why), 0);
	/* Truncated by one byte, and empty. */
	assert_int_equal(hv_ek_cert_verify(ca_a, der, len - 1, 0, T0, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "not a DER certificate");
	assert_int_equal(hv_ek_cert_verify(ca_a, der, 0, 0, T0, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "not a DER certificate");
	/* Trailing bytes. */
	memset(der + len, 0, 3);
	assert_int_equal(hv_ek_cert_verify(ca_a, der, len + 3, 0, T0, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "not exactly one DER certificate (3 trailing bytes)");
	assert_int_equal(hv_ek_cert_verify(ca_a, der, len + 1, 0, T0, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "not exactly one DER certificate (1 trailing byte)");
	/* The last byte is inside the signature's s. */
	der[len - 1] ^= 0x01;
	assert_int_equal(hv_ek_cert_verify(ca_a, der, len, 0, T0, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "EK certificate signature does not verify");
	free(der);
}

/* --- the certificate's key and the EK --------------------------------- */

/* The EK's TPM2B_PUBLIC for K, as TPM2_ReadPublic returns it for the
 * default EK templates (TCG EK Credential Profile 2.x §2.2.1): exponent
 * 0 means 65537 (Part 2 §12.2.3.5). */
static void tpm_pub_of(EVP_PKEY *k, TPM2B_PUBLIC *pub)
{
	TPMT_PUBLIC *p = &pub->publicArea;

	memset(pub, 0, sizeof(*pub));
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	if (EVP_PKEY_is_a(k, "RSA")) {
		BIGNUM *n = NULL;
		int bits = EVP_PKEY_get_bits(k);

		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
		p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
		p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)bits;
		p->parameters.rsaDetail.exponent = 0;
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
		p->unique.rsa.size = (UINT16)(bits / 8);
		assert_int_equal(BN_bn2binpad(n, p->unique.rsa.buffer, bits / 8), bits / 8);
		BN_free(n);
	} else {
		uint8_t pt[1 + 2 * 66];
		char group[32];
		size_t len = 0, sz;

		p->type = TPM2_ALG_ECC;
		assert_int_equal(EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
								group, sizeof(group), NULL), 1);
		p->parameters.eccDetail.curveID = !strcmp(group, "prime256v1") ? TPM2_ECC_NIST_P256
										: TPM2_ECC_NIST_P384;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt,
								 sizeof(pt), &len), 1);
		assert_int_equal(pt[0], 0x04);   /* uncompressed: 04 || x || y */
		sz = (len - 1) / 2;
		p->unique.ecc.x.size = p->unique.ecc.y.size = (UINT16)sz;
		memcpy(p->unique.ecc.x.buffer, pt + 1, sz);
		memcpy(p->unique.ecc.y.buffer, pt + 1 + sz, sz);
	}
}

static void cert_matches_ek(void **state)
{
	static const struct {
		EVP_PKEY **cert_key, **ek_key;
		uint32_t exponent;   /* RSA EK: the exponent field */
		const char *why;     /* NULL: matches */
	} rows[] = {
		{ &k_rsa2048, &k_rsa2048, 0, NULL },
		{ &k_rsa2048, &k_rsa2048, 65537, NULL },
		{ &k_rsa3072, &k_rsa3072, 0, NULL },
		{ &k_p256, &k_p256, 0, NULL },
		{ &k_p384, &k_p384, 0, NULL },
		{ &k_rsa2048, &k_rsa2048b, 0, "EK certificate key differs from the EK" },
		{ &k_rsa2048, &k_rsa2048, 3, "EK certificate key differs from the EK" },
		{ &k_p256, &k_p256b, 0, "EK certificate key differs from the EK" },
		{ &k_rsa2048, &k_p384, 0, "EK certificate key is RSA-2048 but the EK is ECC P-384" },
		{ &k_rsa2048, &k_rsa3072, 0, "EK certificate key is RSA-2048 but the EK is RSA-3072" },
		{ &k_p256, &k_p384, 0, "EK certificate key is ECC P-256 but the EK is ECC P-384" },
		{ &k_p384, &k_rsa2048, 0, "EK certificate key is ECC P-384 but the EK is RSA-2048" },
	};
	char whybuf[256];
	TPM2B_PUBLIC pub;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct spec s = ek_spec(*rows[i].cert_key);
		const char *why = NULL;
		size_t len;
		uint8_t *der = der_of(mkcert(&s), 0, &len);
		int r;

		tpm_pub_of(*rows[i].ek_key, &pub);
		if (pub.publicArea.type == TPM2_ALG_RSA)
			pub.publicArea.parameters.rsaDetail.exponent = rows[i].exponent;
		r = hv_ek_cert_matches(der, len, &pub, whybuf, sizeof(whybuf), &why);
		free(der);
		if (!rows[i].why && r != 0)
			fail_msg("row %zu: %s", i, why);
		if (rows[i].why && (r != -1 || strcmp(why, rows[i].why)))
			fail_msg("row %zu: got %d \"%s\", want \"%s\"", i, r, r ? why : "",
				 rows[i].why);
	}
}

static void matches_refuses_bad_bytes(void **state)
{
	struct spec s = ek_spec(k_p256);
	char whybuf[256];
	const char *why = NULL;
	TPM2B_PUBLIC pub;
	size_t len;
	uint8_t *der = der_of(mkcert(&s), 1, &len);

	(void)state;
	tpm_pub_of(k_p256, &pub);
	der[len] = 0;
	assert_int_equal(hv_ek_cert_matches(der, len + 1, &pub, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "not exactly one DER certificate (1 trailing byte)");
	assert_int_equal(hv_ek_cert_matches(der, len / 2, &pub, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "not a DER certificate");
	/* A point off the curve: the EK itself is refused. */
	pub.publicArea.unique.ecc.y.buffer[5] ^= 0x40;
	assert_int_equal(hv_ek_cert_matches(der, len, &pub, whybuf, sizeof(whybuf), &why), -1);
	assert_string_equal(why, "EK key point is not on its curve");
	free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ca_load_refusals),
		cmocka_unit_test(accepts_tcg_ek_certs),
		cmocka_unit_test(refusals),
		cmocka_unit_test(refuses_bad_bytes),
		cmocka_unit_test(cert_matches_ek),
		cmocka_unit_test(matches_refuses_bad_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
