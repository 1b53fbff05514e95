/* ekcert.c: see ekcert.h. */
#include "ekcert.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../lib/util.h"

static const uint32_t ek_cert_index[] = {
	0x01c00002, 0x01c0000a, 0x01c00016,
};
#define N_INDEX (sizeof(ek_cert_index) / sizeof(ek_cert_index[0]))
/* NV indices listed between the first and the last certificate index: the
 * TCG's EK certificate and template indices (0x01c00002..0x01c00016, EK
 * Credential Profile §2.2.1.5) number 21 at most. */
#define HG_EKCERT_HANDLES_MAX 32
_Static_assert(N_INDEX <= HG_EKCERTS_MAX, "every NV certificate fits");

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
	uint32_t have[HG_EKCERT_HANDLES_MAX];
	size_t nhave = 0;
	int ret = -1;

	memset(certs, 0, sizeof(*certs));
	/* Which indices are defined: one TPM2_GetCapability for all of
	 * them (a quote used to ask once per index). */
	if (hg_tpm_handles(t, ek_cert_index[0], ek_cert_index[N_INDEX - 1], have,
			   HG_EKCERT_HANDLES_MAX, &nhave) < 0)
		goto out;
	for (size_t i = 0; i < N_INDEX; i++) {
		uint8_t *buf = NULL;
		size_t len = 0, der;
		int r = 0;

		for (size_t j = 0; j < nhave; j++)
			if (have[j] == ek_cert_index[i])
				r = 1;
		if (r)
			r = hg_tpm_nv_read(t, ek_cert_index[i], &buf, &len);
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

/* A certificate file is small: anything larger is not one. */
#define CERT_FILE_MAX (64u << 10)

int hg_ekcerts_add_file(struct hg_ekcerts *certs, const char *path)
{
	uint8_t *buf = NULL, *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *x = NULL;
	BIO *bio = NULL;
	int n, ret = -1;

	if (hg_read_file(path, CERT_FILE_MAX, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "larger than 64 KiB: not a certificate"
						      : hg_strerror_read(errno));
		goto out;
	}
	/* PEM when it says so, else exactly one DER certificate. */
	if (len >= 10 && !memcmp(buf, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(buf, (int)len);
		x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	} else {
		p = buf;
		x = d2i_X509(NULL, &p, (long)len);
		if (x && (size_t)(p - buf) != len) {
			X509_free(x);
			x = NULL;
		}
	}
	if (!x || (n = i2d_X509(x, &der)) <= 0) {
		hg_err("%s: not one PEM or DER X.509 certificate", path);
		goto out;
	}
	for (size_t i = 0; i < certs->n; i++)
		if (certs->len[i] == (size_t)n && !memcmp(certs->der[i], der, (size_t)n)) {
			ret = 0;   /* the TPM has it in NV too */
			goto out;
		}
	if (certs->n == HG_EKCERTS_MAX) {
		hg_err("%s: more than %d EK certificates", path, HG_EKCERTS_MAX);
		goto out;
	}
	certs->der[certs->n] = malloc((size_t)n);
	if (!certs->der[certs->n]) {
		hg_err("out of memory");
		goto out;
	}
	memcpy(certs->der[certs->n], der, (size_t)n);
	certs->len[certs->n] = (size_t)n;
	certs->n++;
	ret = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	free(buf);
	return ret;
}
