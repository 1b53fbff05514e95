/* test_ekverify_ca.c: loading CA directories and matching an EK
 * certificate's key to the EK (verifier/ekverify.h): hv_ca_load() on the
 * broken directories ekverify_fx.c writes, each refusal pinned to its
 * exact reason, and hv_ek_cert_matches() against the TPM2B_PUBLIC the
 * default EK templates give. Chains are in test_ekverify.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ekverify_fx.h"

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
		cmocka_unit_test(cert_matches_ek),
		cmocka_unit_test(matches_refuses_bad_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
