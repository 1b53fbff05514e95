/* test_tpmpub.c: the AK sanity rule (lib/tpmpub.h), as a table.
 *
 * Each row takes a well-formed AK public area of a software key (RSA-2048
 * e=65537, RSA-2048 e=3, RSA-1024, ECC P-256, ECC P-384), changes one
 * thing, marshals it as a TPM2B_PUBLIC and expects hg_ak_decode() to
 * accept it or to refuse it with a reason containing the row's text.
 * Rows cover every rule: attributes one by one, nameAlg, scheme and its
 * hash, symmetric/KDF, RSA exponent and modulus, ECC curve and point.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "../../lib/tpmpub.h"

enum key { RSA2048, RSA2048_E3, RSA1024, P256, P384, NKEYS };
static EVP_PKEY *keys[NKEYS];

static EVP_PKEY *rsa_gen(unsigned bits, unsigned e)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *bn = BN_new();
	EVP_PKEY *k = NULL;

	if (c && bn && BN_set_word(bn, e) && EVP_PKEY_keygen_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(c, (int)bits) == 1 &&
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, bn) == 1)
		EVP_PKEY_keygen(c, &k);
	BN_free(bn);
	EVP_PKEY_CTX_free(c);
	return k;
}

static int setup(void **state)
{
	(void)state;
	keys[RSA2048] = rsa_gen(2048, 65537);
	keys[RSA2048_E3] = rsa_gen(2048, 3);
	keys[RSA1024] = rsa_gen(1024, 65537);
	keys[P256] = EVP_EC_gen("P-256");
	keys[P384] = EVP_EC_gen("P-384");
	for (int i = 0; i < NKEYS; i++)
		if (!keys[i])
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

static void bn_out(EVP_PKEY *k, const char *param, uint8_t *buf, UINT16 *size, size_t len)
{
	BIGNUM *bn = NULL;

	assert_true(EVP_PKEY_get_bn_param(k, param, &bn));
	assert_true(BN_bn2binpad(bn, buf, (int)len) > 0);
	*size = (UINT16)len;
	BN_free(bn);
}

/* hostgate's own AK template (attest/tpm.c) around key K. */
static void ak_of(enum key which, TPMT_PUBLIC *p)
{
	EVP_PKEY *k = keys[which];

	memset(p, 0, sizeof(*p));
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	if (which <= RSA1024) {
		TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;
		BIGNUM *e = NULL;

		p->type = TPM2_ALG_RSA;
		r->symmetric.algorithm = TPM2_ALG_NULL;
		r->scheme.scheme = TPM2_ALG_RSASSA;
		r->scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
		r->keyBits = (UINT16)EVP_PKEY_get_bits(k);
		assert_true(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e));
		r->exponent = BN_get_word(e) == 65537 ? 0 : (UINT32)BN_get_word(e);
		BN_free(e);
		bn_out(k, OSSL_PKEY_PARAM_RSA_N, p->unique.rsa.buffer, &p->unique.rsa.size,
		       (size_t)EVP_PKEY_get_size(k));
	} else {
		TPMS_ECC_PARMS *e = &p->parameters.eccDetail;
		size_t sz = which == P256 ? 32 : 48;

		p->type = TPM2_ALG_ECC;
		e->symmetric.algorithm = TPM2_ALG_NULL;
		e->kdf.scheme = TPM2_ALG_NULL;
		e->scheme.scheme = TPM2_ALG_ECDSA;
		e->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
		e->curveID = which == P256 ? TPM2_ECC_NIST_P256 : TPM2_ECC_NIST_P384;
		bn_out(k, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, &p->unique.ecc.x.size, sz);
		bn_out(k, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, &p->unique.ecc.y.size, sz);
	}
}

#define A(p) ((p)->objectAttributes)
#define RSA(p) ((p)->parameters.rsaDetail)
#define ECC(p) ((p)->parameters.eccDetail)

static void m_none(TPMT_PUBLIC *p) { (void)p; }
static void m_e65537(TPMT_PUBLIC *p) { RSA(p).exponent = 65537; }
static void m_e1(TPMT_PUBLIC *p) { RSA(p).exponent = 1; }
static void m_e65539(TPMT_PUBLIC *p) { RSA(p).exponent = 65539; }
static void m_e_even(TPMT_PUBLIC *p) { RSA(p).exponent = 65536; }
static void m_no_restricted(TPMT_PUBLIC *p) { A(p) &= ~TPMA_OBJECT_RESTRICTED; }
static void m_no_sign(TPMT_PUBLIC *p) { A(p) &= ~TPMA_OBJECT_SIGN_ENCRYPT; }
static void m_no_fixedtpm(TPMT_PUBLIC *p) { A(p) &= ~TPMA_OBJECT_FIXEDTPM; }
static void m_no_fixedparent(TPMT_PUBLIC *p) { A(p) &= ~TPMA_OBJECT_FIXEDPARENT; }
static void m_no_sdo(TPMT_PUBLIC *p) { A(p) &= ~TPMA_OBJECT_SENSITIVEDATAORIGIN; }
static void m_decrypt_sign(TPMT_PUBLIC *p) { A(p) |= TPMA_OBJECT_DECRYPT; }
static void m_decrypt_only(TPMT_PUBLIC *p)
{
	A(p) = (A(p) | TPMA_OBJECT_DECRYPT) & ~TPMA_OBJECT_SIGN_ENCRYPT;
}
static void m_x509sign(TPMT_PUBLIC *p) { A(p) |= TPMA_OBJECT_X509SIGN; }
static void m_reserved0(TPMT_PUBLIC *p) { A(p) |= 1; }
static void m_reserved_hi(TPMT_PUBLIC *p) { A(p) |= 0x80000000u; }
static void m_nodapolicy(TPMT_PUBLIC *p)
{
	A(p) |= TPMA_OBJECT_NODA | TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_STCLEAR;
}
static void m_name_sha1(TPMT_PUBLIC *p) { p->nameAlg = TPM2_ALG_SHA1; }
static void m_name_null(TPMT_PUBLIC *p) { p->nameAlg = TPM2_ALG_NULL; }
static void m_name_sha384(TPMT_PUBLIC *p) { p->nameAlg = TPM2_ALG_SHA384; }
static void m_rsa_hash_sha1(TPMT_PUBLIC *p) { RSA(p).scheme.details.anySig.hashAlg = TPM2_ALG_SHA1; }
static void m_rsa_hash_sm3(TPMT_PUBLIC *p) { RSA(p).scheme.details.anySig.hashAlg = TPM2_ALG_SM3_256; }
static void m_rsa_hash_sha512(TPMT_PUBLIC *p) { RSA(p).scheme.details.anySig.hashAlg = TPM2_ALG_SHA512; }
static void m_rsa_null(TPMT_PUBLIC *p) { RSA(p).scheme.scheme = TPM2_ALG_NULL; }
static void m_rsa_oaep(TPMT_PUBLIC *p) { RSA(p).scheme.scheme = TPM2_ALG_OAEP; }
static void m_rsa_pss(TPMT_PUBLIC *p) { RSA(p).scheme.scheme = TPM2_ALG_RSAPSS; }
static void m_rsa_sym(TPMT_PUBLIC *p)
{
	RSA(p).symmetric.algorithm = TPM2_ALG_AES;
	RSA(p).symmetric.keyBits.aes = 128;
	RSA(p).symmetric.mode.aes = TPM2_ALG_CFB;
}
static void m_rsa_lead_zero(TPMT_PUBLIC *p) { p->unique.rsa.buffer[0] = 0; }
static void m_rsa_even(TPMT_PUBLIC *p) { p->unique.rsa.buffer[255] &= 0xfe; }
static void m_rsa_short(TPMT_PUBLIC *p) { p->unique.rsa.size = 128; }
static void m_rsa_bits_1024(TPMT_PUBLIC *p) { RSA(p).keyBits = 1024; p->unique.rsa.size = 128; }
static void m_rsa_bits_2049(TPMT_PUBLIC *p) { RSA(p).keyBits = 2056; }
static void m_ecc_offcurve(TPMT_PUBLIC *p) { p->unique.ecc.y.buffer[p->unique.ecc.y.size - 1] ^= 1; }
static void m_ecc_zero(TPMT_PUBLIC *p)
{
	memset(p->unique.ecc.x.buffer, 0, p->unique.ecc.x.size);
	memset(p->unique.ecc.y.buffer, 0, p->unique.ecc.y.size);
}
static void m_ecc_xshort(TPMT_PUBLIC *p) { p->unique.ecc.x.size--; }
static void m_ecc_p521(TPMT_PUBLIC *p) { ECC(p).curveID = TPM2_ECC_NIST_P521; }
static void m_ecc_bn(TPMT_PUBLIC *p) { ECC(p).curveID = TPM2_ECC_BN_P256; }
static void m_ecc_ecdaa(TPMT_PUBLIC *p) { ECC(p).scheme.scheme = TPM2_ALG_ECDAA; }
static void m_ecc_null(TPMT_PUBLIC *p) { ECC(p).scheme.scheme = TPM2_ALG_NULL; }
static void m_ecc_hash_sha1(TPMT_PUBLIC *p) { ECC(p).scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA1; }
static void m_ecc_hash_sha384(TPMT_PUBLIC *p) { ECC(p).scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA384; }
static void m_ecc_kdf(TPMT_PUBLIC *p)
{
	ECC(p).kdf.scheme = TPM2_ALG_KDF1_SP800_56A;
	ECC(p).kdf.details.kdf1_sp800_56a.hashAlg = TPM2_ALG_SHA256;
}
static void m_keyedhash(TPMT_PUBLIC *p)
{
	memset(&p->parameters, 0, sizeof(p->parameters));
	memset(&p->unique, 0, sizeof(p->unique));
	p->type = TPM2_ALG_KEYEDHASH;
	p->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
	p->parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
	p->unique.keyedHash.size = 32;
}

static const struct row {
	const char *name;
	enum key key;
	void (*mutate)(TPMT_PUBLIC *);
	const char *why;         /* NULL: accepted */
} rows[] = {
	{ "rsa2048 e=0 (65537)", RSA2048, m_none, NULL },
	{ "rsa2048 e=65537 spelt out", RSA2048, m_e65537, NULL },
	{ "rsa2048 rsapss", RSA2048, m_rsa_pss, NULL },
	{ "rsa2048 sha512 scheme", RSA2048, m_rsa_hash_sha512, NULL },
	{ "rsa2048 nameAlg sha384", RSA2048, m_name_sha384, NULL },
	{ "rsa2048 noDA adminWithPolicy stClear", RSA2048, m_nodapolicy, NULL },
	{ "p256", P256, m_none, NULL },
	{ "p384", P384, m_none, NULL },
	{ "p256 sha384 scheme", P256, m_ecc_hash_sha384, NULL },
	{ "rsa e=1", RSA2048, m_e1, "public exponent is not 65537" },
	{ "rsa e=3 (a real e=3 key)", RSA2048_E3, m_none, "public exponent is not 65537" },
	{ "rsa e=65539", RSA2048, m_e65539, "public exponent is not 65537" },
	{ "rsa e=65536", RSA2048, m_e_even, "public exponent is not 65537" },
	{ "rsa 1024 (a real 1024-bit key)", RSA1024, m_none, "not 2048, 3072 or 4096 bits" },
	{ "rsa keyBits 1024 claimed", RSA2048, m_rsa_bits_1024, "not 2048, 3072 or 4096 bits" },
	{ "rsa keyBits 2056", RSA2048, m_rsa_bits_2049, "not 2048, 3072 or 4096 bits" },
	{ "rsa modulus with a leading zero byte", RSA2048, m_rsa_lead_zero, "exactly keyBits bits" },
	{ "rsa even modulus", RSA2048, m_rsa_even, "or is even" },
	{ "rsa modulus shorter than keyBits", RSA2048, m_rsa_short, "does not match keyBits" },
	{ "restricted clear", P256, m_no_restricted, "restricted is clear" },
	{ "sign clear", P256, m_no_sign, "sign is clear" },
	{ "fixedTPM clear", P256, m_no_fixedtpm, "fixedTPM is clear" },
	{ "fixedParent clear", P256, m_no_fixedparent, "fixedParent is clear" },
	{ "sensitiveDataOrigin clear", RSA2048, m_no_sdo, "sensitiveDataOrigin is clear" },
	{ "decrypt and sign", P256, m_decrypt_sign, "decrypt+sign key" },
	{ "decrypt only (an EK)", RSA2048, m_decrypt_only, "decryption key (an EK?)" },
	{ "x509sign", P256, m_x509sign, "attribute bits an AK does not carry" },
	{ "reserved bit 0", P256, m_reserved0, "attribute bits an AK does not carry" },
	{ "reserved bit 31", RSA2048, m_reserved_hi, "attribute bits an AK does not carry" },
	{ "nameAlg sha1", P256, m_name_sha1, "nameAlg is not sha256" },
	{ "nameAlg null", RSA2048, m_name_null, "nameAlg is not sha256" },
	{ "rsa scheme hash sha1", RSA2048, m_rsa_hash_sha1, "scheme hash is not sha256" },
	{ "rsa scheme hash sm3", RSA2048, m_rsa_hash_sm3, "scheme hash is not sha256" },
	{ "rsa scheme null", RSA2048, m_rsa_null, "not RSASSA or RSAPSS" },
	{ "rsa scheme oaep", RSA2048, m_rsa_oaep, "not RSASSA or RSAPSS" },
	{ "rsa symmetric aes", RSA2048, m_rsa_sym, "symmetric algorithm" },
	{ "ecc point off the curve", P256, m_ecc_offcurve, "not on its curve" },
	{ "ecc point off the curve p384", P384, m_ecc_offcurve, "not on its curve" },
	{ "ecc point (0,0)", P256, m_ecc_zero, "not on its curve" },
	{ "ecc x one byte short", P256, m_ecc_xshort, "do not match the curve size" },
	{ "ecc curve p521", P256, m_ecc_p521, "not P-256 or P-384" },
	{ "ecc curve bn256", P256, m_ecc_bn, "not P-256 or P-384" },
	{ "ecc scheme ecdaa", P256, m_ecc_ecdaa, "not ECDSA" },
	{ "ecc scheme null", P256, m_ecc_null, "not ECDSA" },
	{ "ecc scheme hash sha1", P256, m_ecc_hash_sha1, "scheme hash is not sha256" },
	{ "ecc kdf", P256, m_ecc_kdf, "symmetric algorithm or KDF" },
	{ "keyedhash object", P256, m_keyedhash, "neither RSA nor ECC" },
};

static size_t marshal(const TPMT_PUBLIC *p, uint8_t *buf, size_t n)
{
	TPM2B_PUBLIC pub = { .publicArea = *p };
	size_t off = 0;

	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, n, &off), 0);
	return off;
}

static void test_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		TPMT_PUBLIC p;
		uint8_t buf[sizeof(TPM2B_PUBLIC)];
		struct hg_ak ak;
		const char *why = NULL;
		size_t len;
		int rc, ok;

		ak_of(r->key, &p);
		r->mutate(&p);
		len = marshal(&p, buf, sizeof(buf));
		rc = hg_ak_decode(buf, len, &ak, &why);
		ok = r->why ? rc < 0 && why && strstr(why, r->why) : rc == 0;
		if (!ok) {
			print_error("row \"%s\": rc %d, why \"%s\", want %s\"%s\"\n", r->name, rc,
				    why ? why : "", r->why ? "" : "accepted ", r->why ? r->why : "");
			bad++;
		}
		/* hg_ak_check alone agrees, except for what needs the key. */
		if (r->why && !strstr(r->why, "exactly keyBits") && !strstr(r->why, "or is even") &&
		    !strstr(r->why, "does not match keyBits") && !strstr(r->why, "not on its curve") &&
		    !strstr(r->why, "curve size") && hg_ak_check(&p, &why) == 0) {
			print_error("row \"%s\": hg_ak_check accepts it\n", r->name);
			bad++;
		}
		if (rc == 0)
			hg_ak_free(&ak);
	}
	assert_int_equal(bad, 0);
}

/* Exponent 0 and 65537 are the same key: both verify as e = 65537. */
static void test_exponent_zero_is_65537(void **state)
{
	TPMT_PUBLIC p;
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	struct hg_ak a0, a1;
	const char *why;
	BIGNUM *e0 = NULL, *e1 = NULL;

	(void)state;
	ak_of(RSA2048, &p);
	assert_int_equal(hg_ak_decode(buf, marshal(&p, buf, sizeof(buf)), &a0, &why), 0);
	p.parameters.rsaDetail.exponent = 65537;
	assert_int_equal(hg_ak_decode(buf, marshal(&p, buf, sizeof(buf)), &a1, &why), 0);
	assert_true(EVP_PKEY_get_bn_param(a0.key, OSSL_PKEY_PARAM_RSA_E, &e0));
	assert_true(EVP_PKEY_get_bn_param(a1.key, OSSL_PKEY_PARAM_RSA_E, &e1));
	assert_int_equal(BN_get_word(e0), 65537);
	assert_int_equal(BN_cmp(e0, e1), 0);
	assert_int_equal(a0.scheme, TPM2_ALG_RSASSA);
	assert_int_equal(a0.hash, TPM2_ALG_SHA256);
	/* The Name covers the public area as sent: the two differ. */
	assert_int_equal(a0.name_len, 34);
	assert_memory_not_equal(a0.name, a1.name, a0.name_len);
	BN_free(e0);
	BN_free(e1);
	hg_ak_free(&a0);
	hg_ak_free(&a1);
}

static void test_exact_decoding(void **state)
{
	TPMT_PUBLIC p;
	uint8_t buf[sizeof(TPM2B_PUBLIC) + 1];
	struct hg_ak ak;
	const char *why = NULL;
	size_t len;

	(void)state;
	ak_of(P256, &p);
	len = marshal(&p, buf, sizeof(buf) - 1);
	buf[len] = 0;
	assert_int_equal(hg_ak_decode(buf, len + 1, &ak, &why), -1);
	assert_string_equal(why, "trailing bytes after TPM2B_PUBLIC");
	assert_int_equal(hg_ak_decode(buf, len - 1, &ak, &why), -1);
	assert_string_equal(why, "not a TPM2B_PUBLIC");
	assert_int_equal(hg_ak_decode(buf, 0, &ak, &why), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_exponent_zero_is_65537),
		cmocka_unit_test(test_exact_decoding),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
