/* ekfind.c: see ekfind.h. */
#include "ekfind.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "../lib/tpmpub.h"
#include "../lib/util.h"

#define EK_RANGE_FIRST 0x81010000u
#define EK_RANGE_LAST 0x810100ffu
#define EK_RANGE_MAX 16

/* 1 if PUB is a restricted decryption key whose key equals CERTKEY. */
static int same_key(const TPM2B_PUBLIC *pub, EVP_PKEY *certkey)
{
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	const char *why;
	EVP_PKEY *k;
	int eq;

	if ((pub->publicArea.objectAttributes & need) != need ||
	    (pub->publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return 0;
	k = hg_tpm_pub_evp(&pub->publicArea, &why);
	eq = k && EVP_PKEY_eq(k, certkey) == 1;
	EVP_PKEY_free(k);
	return eq;
}

static int fill_name(struct hg_ek *ek)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	const char *why;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&ek->pub, buf, sizeof(buf), &off) != 0 ||
	    hg_ak_name(buf, off, ek->name, &ek->name_len, &why) < 0) {
		hg_err("EK: cannot compute its Name");
		return -1;
	}
	return 0;
}

/* Look through the persistent EK range: 1 found (ek->tr held), 0 not. */
static int find_persistent(struct hg_tpm *t, EVP_PKEY *certkey,
			   struct hg_ek *ek)
{
	uint32_t h[EK_RANGE_MAX];
	size_t n;

	if (hg_tpm_persistent(t, EK_RANGE_FIRST, EK_RANGE_LAST, h,
			      EK_RANGE_MAX, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		TPM2B_PUBLIC *pub = NULL;
		ESYS_TR tr = ESYS_TR_NONE;
		int eq;

		if (hg_tpm_read_public(t, h[i], &tr, &pub) < 0)
			return -1;
		eq = same_key(pub, certkey);
		if (eq) {
			ek->tr = tr;
			ek->held = 1;
			ek->handle = h[i];
			ek->pub = *pub;
		} else {
			hg_tpm_tr_close(t, &tr);
		}
		free(pub);
		if (eq)
			return 1;
	}
	return 0;
}

static int recreate(struct hg_tpm *t, EVP_PKEY *certkey, struct hg_ek *ek)
{
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	uint16_t type;
	int eq;

	switch (EVP_PKEY_get_base_id(certkey)) {
	case EVP_PKEY_RSA: type = TPM2_ALG_RSA; break;
	case EVP_PKEY_EC: type = TPM2_ALG_ECC; break;
	default: return 0;
	}
	if (hg_tpm_ek_create_alg(t, type, &tr, &pub) < 0)
		return -1;
	eq = same_key(pub, certkey);
	if (eq) {
		ek->tr = tr;
		ek->held = 1;
		ek->transient = 1;
		ek->pub = *pub;
	} else {
		hg_tpm_flush(t, tr);
	}
	free(pub);
	return eq;
}

int hg_ek_for_cert(struct hg_tpm *t, const uint8_t *der, size_t len, int keep,
		   struct hg_ek *ek)
{
	const unsigned char *p = der;
	X509 *cert = NULL;
	EVP_PKEY *key;
	int r, ret = -1;

	memset(ek, 0, sizeof(*ek));
	ek->tr = ESYS_TR_NONE;
	cert = d2i_X509(NULL, &p, (long)len);
	if (!cert || (size_t)(p - der) != len || !(key = X509_get0_pubkey(cert))) {
		hg_err("EK certificate: not exactly one DER certificate");
		goto out;
	}
	if ((r = find_persistent(t, key, ek)) == 0)
		r = recreate(t, key, ek);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	if (fill_name(ek) < 0)
		goto out;
	ret = 1;
out:
	if (ret != 1 || !keep)
		hg_ek_release(t, ek);
	X509_free(cert);
	return ret;
}

void hg_ek_release(struct hg_tpm *t, struct hg_ek *ek)
{
	if (!ek->held)
		return;
	if (ek->transient)
		hg_tpm_flush(t, ek->tr);
	else
		hg_tpm_tr_close(t, &ek->tr);
	ek->tr = ESYS_TR_NONE;
	ek->held = 0;
}
