/* test_ekverify.c: EK certificate chains (verifier/ekverify.h):
 * hv_ek_cert_verify() against the CA directories ekverify_fx.c writes.
 *
 * EK certificates are shaped as the TCG EK Credential Profile 2.x §3.2
 * has them: empty subject, critical subjectAltName holding a
 * directoryName with the TPM manufacturer, model and version
 * (2.23.133.2.1/2/3), subjectDirectoryAttributes with the TPM
 * specification (2.23.133.2.16), EKU 2.23.133.8.1, critical
 * basicConstraints CA:FALSE. They are accepted for RSA-2048/3072 and
 * P-256/P-384 keys; each refusal is pinned to its exact reason. Loading
 * the CA directories and matching a certificate's key to the EK are in
 * test_ekverify_ca.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ekverify_fx.h"

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
		  "EK certificate's issuer CN=Other Root is not in the CA directory: "
		  "no certificate there has that name and the key that signed it "
		  "(unable to get local issuer certificate)" },
		{ "intermediate in DIR without its root",
		  { .issuer = intb, .key = k_p256 }, (const struct hv_ca **)&ca_intb, 0,
		  "CA certificate CN=Other Intermediate's issuer CN=Other Root is not in "
		  "the CA directory: no certificate there has that name and the key "
		  "that signed it (unable to get local issuer certificate)" },
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_tcg_ek_certs),
		cmocka_unit_test(refusals),
		cmocka_unit_test(refuses_bad_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
