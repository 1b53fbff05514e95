/* tpmid.c: see tpmid.h. */
#include "tpmid.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

int hv_ek_key_id(const uint8_t *cert, size_t len, uint8_t out[32],
		 const char **why)
{
	const unsigned char *p = cert;
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	X509 *x = NULL;
	EVP_PKEY *k;
	int n, ret = -1;

	if (len > 0x7fffffff || !(x = d2i_X509(NULL, &p, (long)len)) ||
	    p != cert + len) {
		*why = "EK certificate is not exactly one DER certificate";
		goto out;
	}
	if (!(k = X509_get0_pubkey(x)) || (n = i2d_PUBKEY(k, &der)) <= 0) {
		*why = "EK certificate's public key cannot be read";
		goto out;
	}
	if (EVP_Digest(der, (size_t)n, out, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		*why = "SHA-256 failed";
		goto out;
	}
	ret = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	return ret;
}
