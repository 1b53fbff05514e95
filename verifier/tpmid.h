/* tpmid.h: how the registry knows one TPM (issue 11 item 7; cf.
 * CVE-2021-3406 in Keylime, where one TPM enrolled under two names let
 * its quotes pass as the other host's).
 *
 * A TPM is known by its EK's public key, not by a certificate: a TPM may
 * carry several certificates (RSA and ECC EKs, re-issued ones, one
 * re-encoded), but a key is a key. The identity is the SHA-256 of the
 * key as DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), the canonical
 * form OpenSSL writes from the parsed key (i2d_PUBKEY), so two
 * certificates for one EK give the same value whatever their encoding.
 * enroll has checked that the certificate's key is the EK's public area
 * (ekverify.h), so this is the key the credential is sealed to.
 *
 * The AK is known by its TPM Name (lib/tpmpub.h hg_ak_name()): the same
 * TPM under two names through its RSA EK and its ECC EK shares the AK.
 */
#ifndef HV_TPMID_H
#define HV_TPMID_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 of the DER SubjectPublicKeyInfo of the key in the DER
 * certificate CERT. 0, or -1 with *WHY (static). */
int hv_ek_key_id(const uint8_t *cert, size_t len, uint8_t out[32],
		 const char **why);

#endif
