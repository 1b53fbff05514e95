/* ekverify.h: is this EK certificate from a TPM manufacturer the operator
 * trusts, and is it the certificate of this EK?
 *
 * All X.509 work is OpenSSL's (X509_STORE, X509_verify_cert); nothing
 * here parses ASN.1 by hand.
 *
 * Trust anchors (hv_ca_load): every regular file in DIR, PEM (any number
 * of certificates per file) or DER (one); dotfiles and subdirectories are
 * skipped, symlinks followed (ekverify.c says why). Self-signed
 * certificates are the roots; the others are intermediates, usable only
 * to build a chain up to a root (never trusted on their own: no partial
 * chains).
 *
 * EK certificates as TPM vendors issue them (TCG EK Credential Profile
 * 2.x §3.2): accepted are the EKU tcg-kp-EKCertificate (2.23.133.8.1),
 * an empty subject with a critical subjectAltName in directoryName form
 * (§3.2.9), RSA 2048/3072/4096 and ECC P-256/P-384/P-521 keys. Refused
 * unless FLAGS allow it: an expired or not yet valid certificate; one
 * whose EKU is absent or lacks 2.23.133.8.1. Always refused: a chain to
 * no root in DIR, a bad signature anywhere in the chain, a certificate
 * that is a CA, bytes that are not exactly one DER certificate.
 *
 * Contract: functions return 0, or -1 with *WHY pointing into WHYBUF
 * (or at a static string): one phrase naming the reason, e.g. "EK
 * certificate's issuer CN=Foo CA is not in the CA directory: no
 * certificate there has that name and the key that signed it (unable to
 * get local issuer certificate)". hv_ca_free() accepts NULL. A loaded
 * hv_ca is only read by hv_ek_cert_verify(), so threads may share it.
 */
#ifndef HV_EKVERIFY_H
#define HV_EKVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <tss2/tss2_tpm2_types.h>

struct hv_ca;

/* Load DIR's certificates. -1 (with *WHY naming the file) if DIR cannot
 * be read, a file holds no certificate or garbage, or DIR has no root. */
int hv_ca_load(const char *dir, struct hv_ca **out, char *whybuf,
	       size_t whylen, const char **why);
void hv_ca_free(struct hv_ca *ca);

enum {
	HV_EK_ALLOW_EXPIRED = 1u << 0,   /* outside notBefore..notAfter */
	HV_EK_ALLOW_ANY_EKU = 1u << 1,   /* EKU absent or without 2.23.133.8.1 */
};

/* Validate DER as an EK certificate against CA at time NOW (0: the
 * current time; unused under HV_EK_ALLOW_EXPIRED, which lifts the
 * validity check for every certificate of the chain). */
int hv_ek_cert_verify(const struct hv_ca *ca, const uint8_t *der, size_t len,
		      unsigned flags, time_t now, char *whybuf, size_t whylen,
		      const char **why);

/* The certificate's subject public key is the key of EK (same algorithm,
 * same RSA modulus and exponent, or same curve and point). The EK is
 * read with hg_tpm_pub_evp(), so a P-521 EK is refused here. */
int hv_ek_cert_matches(const uint8_t *der, size_t len, const TPM2B_PUBLIC *ek,
		       char *whybuf, size_t whylen, const char **why);

#endif
