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

/* What the EK must be: the key of a certificate, or a Name. */
struct want {
	EVP_PKEY *key;            /* or NULL */
	const uint8_t *name;
	size_t name_len;
};

static int name_of(const TPM2B_PUBLIC *pub, uint8_t *name, size_t *name_len)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	const char *why;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != 0 ||
	    hg_ak_name(buf, off, name, name_len, &why) < 0)
		return -1;
	return 0;
}

/* 1 if PUB is a restricted decryption key that is what W wants. */
static int matches(const TPM2B_PUBLIC *pub, const struct want *w)
{
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	uint8_t name[2 + 64];
	size_t name_len;
	const char *why;
	EVP_PKEY *k;
	int eq;

	if ((pub->publicArea.objectAttributes & need) != need ||
	    (pub->publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return 0;
	if (!w->key)
		return name_of(pub, name, &name_len) == 0 && name_len == w->name_len &&
		       !memcmp(name, w->name, name_len);
	k = hg_tpm_pub_evp(&pub->publicArea, &why);
	eq = k && EVP_PKEY_eq(k, w->key) == 1;
	EVP_PKEY_free(k);
	return eq;
}

static int fill_name(struct hg_ek *ek)
{
	if (name_of(&ek->pub, ek->name, &ek->name_len) < 0) {
		hg_err("EK: cannot compute its Name");
		return -1;
	}
	return 0;
}

/* Look through the persistent EK range: 1 found (ek->tr held), 0 not. */
static int find_persistent(struct hg_tpm *t, const struct want *w,
			   struct hg_ek *ek)
{
	uint32_t h[EK_RANGE_MAX];
	size_t n;

	if (hg_tpm_handles(t, EK_RANGE_FIRST, EK_RANGE_LAST, h, EK_RANGE_MAX, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		TPM2B_PUBLIC *pub = NULL;
		ESYS_TR tr = ESYS_TR_NONE;
		int eq;

		if (hg_tpm_read_public(t, h[i], &tr, &pub) < 0)
			return -1;
		eq = matches(pub, w);
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

/* Recreate the EK of template TYPE (L-1 or L-2): 1 if it is what W
 * wants (held in *EK), 0 if not (flushed). */
static int recreate(struct hg_tpm *t, uint16_t type, const struct want *w,
		    struct hg_ek *ek)
{
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	int eq;

	if (hg_tpm_ek_create_alg(t, type, &tr, &pub) < 0)
		return -1;
	eq = matches(pub, w);
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

/* Persistent EKs first, then the templates TYPES (0-terminated). */
static int find(struct hg_tpm *t, const struct want *w, const uint16_t *types,
		int keep, struct hg_ek *ek)
{
	int r, ret = -1;

	memset(ek, 0, sizeof(*ek));
	ek->tr = ESYS_TR_NONE;
	r = find_persistent(t, w, ek);
	for (size_t i = 0; r == 0 && types[i]; i++)
		r = recreate(t, types[i], w, ek);
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
	return ret;
}

int hg_ek_for_cert(struct hg_tpm *t, const uint8_t *der, size_t len, int keep,
		   struct hg_ek *ek)
{
	static const uint16_t rsa[] = { TPM2_ALG_RSA, 0 }, ecc[] = { TPM2_ALG_ECC, 0 },
			      none[] = { 0 };
	const unsigned char *p = der;
	struct want w = { 0 };
	X509 *cert = NULL;
	int ret = -1;

	memset(ek, 0, sizeof(*ek));
	ek->tr = ESYS_TR_NONE;
	cert = d2i_X509(NULL, &p, (long)len);
	if (!cert || (size_t)(p - der) != len || !(w.key = X509_get0_pubkey(cert))) {
		hg_err("EK certificate: not exactly one DER certificate");
		goto out;
	}
	ret = find(t, &w, EVP_PKEY_get_base_id(w.key) == EVP_PKEY_RSA ? rsa
			  : EVP_PKEY_get_base_id(w.key) == EVP_PKEY_EC ? ecc
									: none,
		   keep, ek);
out:
	X509_free(cert);
	return ret;
}

int hg_ek_by_name(struct hg_tpm *t, const uint8_t *name, size_t name_len,
		  struct hg_ek *ek)
{
	static const uint16_t both[] = { TPM2_ALG_RSA, TPM2_ALG_ECC, 0 };
	const struct want w = { .name = name, .name_len = name_len };

	return find(t, &w, both, 1, ek);
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
