/* ekverify_fx.h: what test_ekverify.c (chains) and test_ekverify_ca.c
 * (CA directories, certificate key against the EK) share: the keys and
 * certificates made by setup() with the OpenSSL API, the CA directories
 * written under TOP and loaded, and the certificate builder.
 *
 * setup() makes a root CA A (RSA-3072) and its intermediate (P-384, so
 * EK certificates are ECDSA-signed, as several vendors' are), a second
 * hierarchy B (P-256) that no loaded directory trusts, an expired
 * intermediate under A, and these directories under TOP: "a" (the root
 * as DER, the intermediate as PEM), "bundle" (one PEM file), "intb" (A's
 * root and B's intermediate), "oldint", and the broken ones ("onlyint",
 * "garbage", "empty", "trailing", "badpem", "keyonly"). teardown() frees
 * everything and removes TOP.
 *
 * A helper that fails aborts the test through cmocka's asserts.
 */
#ifndef HG_TEST_EKVERIFY_FX_H
#define HG_TEST_EKVERIFY_FX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../../verifier/ekverify.h"

#define DAY 86400
/* The verification time of most cases: 2025-06-15. */
#define T0 ((time_t)1750000000)
/* 2019-01-01, 2020-01-01, 2030-01-01 and 2031-01-01, 00:00 UTC. */
#define Y2019 ((time_t)1546300800)
#define Y2020 ((time_t)1577836800)
#define Y2030 ((time_t)1893456000)
#define Y2031 ((time_t)1924992000)

extern EVP_PKEY *k_roota, *k_inta, *k_rootb, *k_intb;
extern EVP_PKEY *k_rsa2048, *k_rsa3072, *k_p256, *k_p384, *k_rsa2048b, *k_p256b;
extern X509 *roota, *inta, *rootb, *intb, *oldint;
extern char top[];
/* The directories "a", "bundle", "intb" and "oldint", loaded. */
extern struct hv_ca *ca_a, *ca_bundle, *ca_intb, *ca_oldint;

int setup(void **state);
int teardown(void **state);

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

/* A certificate as S says, the caller's to X509_free(). An EK (no CN)
 * has the TCG EK Credential Profile 2.x §3.2 shape: empty subject,
 * critical subjectAltName with the TPM manufacturer, model and version,
 * subjectDirectoryAttributes with the TPM specification, EKU
 * 2.23.133.8.1, critical basicConstraints CA:FALSE. */
X509 *mkcert(const struct spec *s);
/* An EK certificate under A's intermediate, with the TCG quirks. */
struct spec ek_spec(EVP_PKEY *key);
/* DER of X in a fresh malloc'd buffer (+ SLACK spare bytes); frees X. */
uint8_t *der_of(X509 *x, size_t slack, size_t *len);
/* TOP/DIR, or TOP/DIR/NAME when NAME is not NULL. */
void path_of(char *out, size_t len, const char *dir, const char *name);

#endif
