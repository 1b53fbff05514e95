/* ekcert.c: see ekcert.h. */
#include "ekcert.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>

#include "../lib/util.h"

static const uint32_t ek_cert_index[HG_EKCERTS_MAX] = {
	0x01c00002, 0x01c0000a, 0x01c00016,
};

/* The length of the certificate at the start of BUF: what d2i_X509
 * consumed, which must equal what i2d_X509 re-encodes. 0 when BUF does
 * not start with a certificate, or when anything but zero padding
 * follows it. */
static size_t der_cert_len(const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	X509 *x = NULL;
	size_t used = 0;
	int n;

	if (len > LONG_MAX || !(x = d2i_X509(NULL, &p, (long)len)))
		goto out;
	used = (size_t)(p - buf);
	n = i2d_X509(x, NULL);
	if (n <= 0 || (size_t)n != used)
		used = 0;
	/* Only zeros (NV padding) may follow. */
	for (size_t i = used; used && i < len; i++)
		if (buf[i] != 0)
			used = 0;
out:
	X509_free(x);
	return used;
}

int hg_ekcerts_read(struct hg_tpm *t, struct hg_ekcerts *certs)
{
	int ret = -1;

	memset(certs, 0, sizeof(*certs));
	for (size_t i = 0; i < HG_EKCERTS_MAX; i++) {
		uint8_t *buf = NULL;
		size_t len = 0, der;
		int r = hg_tpm_nv_read(t, ek_cert_index[i], &buf, &len);

		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		der = der_cert_len(buf, len);
		if (!der) {
			hg_err("TPM: NV index 0x%08x does not hold a DER X.509 "
			       "certificate (%zu bytes)", ek_cert_index[i], len);
			free(buf);
			goto out;
		}
		certs->der[certs->n] = buf;
		certs->len[certs->n] = der;
		certs->n++;
	}
	ret = 0;
out:
	if (ret < 0)
		hg_ekcerts_free(certs);
	return ret;
}

void hg_ekcerts_free(struct hg_ekcerts *certs)
{
	for (size_t i = 0; i < certs->n; i++)
		free(certs->der[i]);
	memset(certs, 0, sizeof(*certs));
}
