/* ekverify_fx.c: the certificates, keys and CA directories
 * test_ekverify.c and test_ekverify_ca.c share (see ekverify_fx.h).
 *
 * Every certificate is made here with the OpenSSL API. The test does not
 * run swtpm; the real swtpm certificates were checked by hand (see the
 * commit message).
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ekverify_fx.h"

/* subjectDirectoryAttributes { tpmSpecification (2.23.133.2.16):
 * { "2.0", level 0, revision 164 } }, as swtpm writes it (X.690 DER). */
static const uint8_t sda_der[] = {
	0x30, 0x19, 0x30, 0x17, 0x06, 0x05, 0x67, 0x81, 0x05, 0x02, 0x10,
	0x31, 0x0e, 0x30, 0x0c, 0x0c, 0x03, 0x32, 0x2e, 0x30,
	0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0xa4,
};
static const uint8_t asn1_null[] = { 0x05, 0x00 };

EVP_PKEY *k_roota, *k_inta, *k_rootb, *k_intb;
EVP_PKEY *k_rsa2048, *k_rsa3072, *k_p256, *k_p384, *k_rsa2048b, *k_p256b;
X509 *roota, *inta, *rootb, *intb, *oldint;
char top[] = "/tmp/test_ekverify.XXXXXX";
static int top_made;
struct hv_ca *ca_a, *ca_bundle, *ca_intb, *ca_oldint;
static long serial = 1;

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

X509 *mkcert(const struct spec *s)
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
struct spec ek_spec(EVP_PKEY *key)
{
	struct spec s = { .issuer = inta, .key = key };

	return s;
}

/* DER of X in a fresh malloc'd buffer (+ SLACK spare bytes); frees X. */
uint8_t *der_of(X509 *x, size_t slack, size_t *len)
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

/* --- files ------------------------------------------------------------ */

void path_of(char *out, size_t len, const char *dir, const char *name)
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

int setup(void **state)
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

int teardown(void **state)
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
