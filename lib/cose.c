/* cose.c: see cose.h. */
#include "cose.h"

#include "digest.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

/* bstr .cbor {1: -7}: the only protected header we write or accept. */
static const uint8_t prot_es256[] = { 0xa1, 0x01, 0x26 };

/* Sig_structure = ["Signature1", protected, external_aad = h'', payload]
 * (RFC 9052 §4.4), encoded with the same deterministic writer. */
static int sig_structure(const uint8_t *payload, size_t len, struct cw *w)
{
	cw_array(w, 4);
	cw_textz(w, "Signature1");
	cw_bytes(w, prot_es256, sizeof(prot_es256));
	cw_bytes(w, NULL, 0);
	cw_bytes(w, payload, len);
	return w->err ? -1 : 0;
}

int hg_cose_sign1(EVP_PKEY *key, const uint8_t *payload, size_t len,
		  struct cw *w)
{
	struct cw tbs;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	uint8_t *der = NULL, raw[HG_ES256_SIG_LEN];
	const uint8_t *q;
	size_t derlen = 0;
	const BIGNUM *r, *s;
	int ret = -1;

	cw_init(&tbs);
	if (sig_structure(payload, len, &tbs) < 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, hg_bank_md(hg_bank_by_alg(HG_ALG_SHA256)), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &derlen, tbs.buf, tbs.len) != 1)
		goto out;
	der = OPENSSL_malloc(derlen);
	if (!der || EVP_DigestSign(md, der, &derlen, tbs.buf, tbs.len) != 1)
		goto out;
	/* COSE wants r || s, each left-padded to the curve size (RFC 9053
	 * §2.1), not OpenSSL's DER SEQUENCE. */
	q = der;
	es = d2i_ECDSA_SIG(NULL, &q, (long)derlen);
	if (!es || q != der + derlen)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
		goto out;
	cw_tag(w, HG_COSE_TAG_SIGN1);
	cw_array(w, 4);
	cw_bytes(w, prot_es256, sizeof(prot_es256));
	cw_map(w, 0);
	cw_bytes(w, payload, len);
	cw_bytes(w, raw, sizeof(raw));
	ret = w->err ? -1 : 0;
out:
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	cw_free(&tbs);
	return ret;
}

int hg_cose_sign1_decode(struct cr *r, struct hg_cose_sign1 *out,
			 const char **why)
{
	const uint8_t *prot;
	size_t n, plen, off0 = r->off;
	uint64_t tag;
	int st;

	*why = NULL;
	if ((st = cr_tag(r, &tag)) != CR_OK) {
		*why = st == CR_ETYPE ? "not a tagged COSE_Sign1" : cr_strerror(st);
		goto fail;
	}
	if (tag != HG_COSE_TAG_SIGN1) {
		*why = "CBOR tag is not COSE_Sign1 (18)";
		goto fail;
	}
	if ((st = cr_array(r, &n)) != CR_OK || n != 4) {
		*why = st ? cr_strerror(st) : "COSE_Sign1 is not a 4-element array";
		goto fail;
	}
	if ((st = cr_bytes(r, &prot, &plen)) != CR_OK) {
		*why = cr_strerror(st);
		goto fail;
	}
	if (plen != sizeof(prot_es256) || memcmp(prot, prot_es256, plen)) {
		*why = "protected header is not exactly {alg: ES256}";
		goto fail;
	}
	if ((st = cr_map(r, &n)) != CR_OK || n != 0) {
		*why = st ? cr_strerror(st) : "unprotected header is not empty";
		goto fail;
	}
	if ((st = cr_bytes(r, &out->payload, &out->payload_len)) != CR_OK ||
	    (st = cr_bytes(r, &out->sig, &out->sig_len)) != CR_OK) {
		*why = cr_strerror(st);
		goto fail;
	}
	if (out->sig_len != HG_ES256_SIG_LEN) {
		*why = "ES256 signature is not 64 bytes";
		goto fail;
	}
	return 0;
fail:
	r->off = off0;
	return -1;
}

int hg_cose_sign1_verify(EVP_PKEY *pub, const struct hg_cose_sign1 *s)
{
	struct cw tbs;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *sv = NULL;
	uint8_t *der = NULL;
	int derlen, ret = -2;

	cw_init(&tbs);
	if (s->sig_len != HG_ES256_SIG_LEN) {
		ret = -1;
		goto out;
	}
	if (sig_structure(s->payload, s->payload_len, &tbs) < 0)
		goto out;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(s->sig, 32, NULL);
	sv = BN_bin2bn(s->sig + 32, 32, NULL);
	if (!es || !r || !sv || !ECDSA_SIG_set0(es, r, sv))
		goto out;
	r = sv = NULL; /* owned by es now */
	derlen = i2d_ECDSA_SIG(es, &der);
	if (derlen <= 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, hg_bank_md(hg_bank_by_alg(HG_ALG_SHA256)), NULL, pub) != 1)
		goto out;
	/* From here on a failure is the signature's fault, not ours. */
	ret = EVP_DigestVerify(md, der, (size_t)derlen, tbs.buf, tbs.len) == 1
		      ? 0 : -1;
out:
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	cw_free(&tbs);
	return ret;
}

/* COSE_Key labels, RFC 9052 §7.1 and RFC 9053 §7.1.1. */
#define COSE_KEY_KTY 1
#define COSE_KEY_CRV -1
#define COSE_KEY_X -2
#define COSE_KEY_Y -3
#define COSE_KTY_EC2 2
#define COSE_CRV_P256 1

int hg_cose_key_encode(EVP_PKEY *key, struct cw *w)
{
	uint8_t pt[65];
	size_t n = 0;
	char group[32];

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), NULL) ||
	    strcmp(group, "prime256v1"))
		return -1;
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
					     sizeof(pt), &n) ||
	    n != 65 || pt[0] != 0x04)
		return -1;
	/* Keys in deterministic order: 1, -1, -2, -3 (RFC 8949 §4.2.1). */
	cw_map(w, 4);
	cw_int(w, COSE_KEY_KTY);
	cw_int(w, COSE_KTY_EC2);
	cw_int(w, COSE_KEY_CRV);
	cw_int(w, COSE_CRV_P256);
	cw_int(w, COSE_KEY_X);
	cw_bytes(w, pt + 1, 32);
	cw_int(w, COSE_KEY_Y);
	cw_bytes(w, pt + 33, 32);
	return w->err ? -1 : 0;
}

int hg_cose_key_decode(const uint8_t *p, size_t len, EVP_PKEY **out,
		       const char **why)
{
	static const int64_t want_label[4] = { COSE_KEY_KTY, COSE_KEY_CRV,
					       COSE_KEY_X, COSE_KEY_Y };
	struct cr r;
	uint8_t pt[65];
	size_t n;
	int64_t label, v;
	const uint8_t *b;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL, *chk = NULL;
	EVP_PKEY *key = NULL;
	int ret = -1;

	*why = "COSE_Key is not an EC2 P-256 key {1:2, -1:1, -2:x, -3:y}";
	cr_init(&r, p, len);
	if (cr_map(&r, &n) != CR_OK || n != 4)
		goto out;
	pt[0] = 0x04;
	for (int i = 0; i < 4; i++) {
		if (cr_int(&r, &label) != CR_OK || label != want_label[i])
			goto out;
		if (i < 2) {
			if (cr_int(&r, &v) != CR_OK ||
			    v != (i == 0 ? COSE_KTY_EC2 : COSE_CRV_P256))
				goto out;
		} else {
			if (cr_bytes(&r, &b, &n) != CR_OK || n != 32)
				goto out;
			memcpy(pt + 1 + 32 * (i - 2), b, 32);
		}
	}
	if (cr_left(&r) != 0) {
		*why = "trailing bytes after COSE_Key";
		goto out;
	}
	*why = "COSE_Key point is not on P-256";
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
					      sizeof(pt)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !pctx || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	/* P-256 has cofactor 1, so on-curve (which fromdata already
	 * enforces) plus not-infinity is the whole check; the full check
	 * costs about one more ECDSA verify per log. */
	if (!chk || EVP_PKEY_public_check_quick(chk) != 1)
		goto out;
	*out = key;
	key = NULL;
	*why = NULL;
	ret = 0;
out:
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return ret;
}
