/* ekcert.h: the TPM's EK certificates, as the manufacturer provisioned
 * them in NV, for the evidence bundle (key 8, lib/evidence.h).
 *
 * Indices, in this order (TCG EK Credential Profile 2.x §2.2.1.5):
 *   0x01c00002  RSA-2048 EK certificate
 *   0x01c0000a  ECC NIST P-256 EK certificate
 *   0x01c00016  the high range's first entry; swtpm 0.7 keeps its ECC
 *               P-384 EK certificate there
 * An undefined index is skipped. Some TPMs pad the index with zeros after
 * the certificate: each is cut to the length of its one DER X.509
 * structure (OpenSSL d2i_X509 then i2d_X509; nothing here parses X.509
 * by hand). An index that does not start with a certificate is an error:
 * a host that sends garbage as its EK certificate is broken.
 *
 * Nothing here trusts a certificate: the verifier checks them.
 *
 * Contract: on success certs->n certificates (0..3 from NV; up to
 * HG_EKCERTS_MAX with hg_ekcerts_add_file()), each a
 * malloc'd buffer; hg_ekcerts_free() frees them and accepts a zeroed or
 * freed set. Returns 0, or -1 with one error line printed.
 */
#ifndef HG_EKCERT_H
#define HG_EKCERT_H

#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

#define HG_EKCERTS_MAX 4

struct hg_ekcerts {
	size_t n;
	uint8_t *der[HG_EKCERTS_MAX];
	size_t len[HG_EKCERTS_MAX];
};

int hg_ekcerts_read(struct hg_tpm *t, struct hg_ekcerts *certs);
/* Add the certificate in PATH (PEM or DER, 64 KiB at most), for a TPM
 * whose vendor publishes EK certificates outside NV (a web service, a
 * file from provisioning); one identical to a certificate already in
 * CERTS is skipped. Checked here only for being one certificate: the
 * verifier judges it, and enroll-request requires an EK with its key. */
int hg_ekcerts_add_file(struct hg_ekcerts *certs, const char *path);
void hg_ekcerts_free(struct hg_ekcerts *certs);

#endif
