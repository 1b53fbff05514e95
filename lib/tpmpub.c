/* tpmpub.c: see tpmpub.h. */
#include "tpmpub.h"

#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include "digest.h"

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *key = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

static EVP_PKEY *ecc_key(const TPMT_PUBLIC *p, const char **why)
{
	const TPMS_ECC_POINT *pt = &p->unique.ecc;
	const char *group;
	size_t sz;
	uint8_t buf[1 + 2 * 66];
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *key = NULL;

	switch (p->parameters.eccDetail.curveID) {
	case TPM2_ECC_NIST_P256: group = "prime256v1"; sz = 32; break;
	case TPM2_ECC_NIST_P384: group = "secp384r1"; sz = 48; break;
	default:
		*why = "key curve is not P-256 or P-384";
		return NULL;
	}
	if (pt->x.size != sz || pt->y.size != sz) {
		*why = "key point coordinates do not match the curve size";
		return NULL;
	}
	buf[0] = 0x04;
	memcpy(buf + 1, pt->x.buffer, sz);
	memcpy(buf + 1 + sz, pt->y.buffer, sz);
	bld = OSSL_PARAM_BLD_new();
	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, buf, 1 + 2 * sz))
		key = from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	/* Explicitly: a point off the curve (or the point at infinity)
	 * invites invalid-curve attacks on whoever uses the key. */
	if (key) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

		if (!c || EVP_PKEY_public_check(c) != 1) {
			EVP_PKEY_free(key);
			key = NULL;
		}
		EVP_PKEY_CTX_free(c);
	}
	if (!key)
		*why = "key point is not on its curve";
	return key;
}

static EVP_PKEY *rsa_key(const TPMT_PUBLIC *p, const char **why)
{
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;
	uint32_t e = r->exponent ? r->exponent : 65537;
	BIGNUM *n = NULL, *bne = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (r->keyBits < 2048 || p->unique.rsa.size != r->keyBits / 8) {
		*why = "key RSA modulus is under 2048 bits or does not match keyBits";
		return NULL;
	}
	n = BN_bin2bn(p->unique.rsa.buffer, p->unique.rsa.size, NULL);
	/* keyBits is the public area's claim; the modulus is what counts:
	 * leading zero bytes would make a 2048-bit field hold a small key. */
	if (n && (BN_num_bits(n) != (int)r->keyBits || !BN_is_odd(n))) {
		*why = "key RSA modulus does not have exactly keyBits bits or is even";
		BN_free(n);
		return NULL;
	}
	bne = BN_new();
	bld = OSSL_PARAM_BLD_new();
	if (n && bne && bld && BN_set_word(bne, e) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bne))
		key = from_params("RSA", bld);
	if (!key)
		*why = "key RSA key does not load";
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(bne);
	return key;
}

EVP_PKEY *hg_tpm_pub_evp(const TPMT_PUBLIC *p, const char **why)
{
	switch (p->type) {
	case TPM2_ALG_ECC:
		return ecc_key(p, why);
	case TPM2_ALG_RSA:
		return rsa_key(p, why);
	default:
		*why = "key is neither RSA nor ECC";
		return NULL;
	}
}

const char *hg_tpm_pub_desc(const TPMT_PUBLIC *p, char *buf, size_t n)
{
	const TPMI_ECC_CURVE c = p->parameters.eccDetail.curveID;

	if (p->type == TPM2_ALG_RSA)
		snprintf(buf, n, "RSA-%u", (unsigned)p->parameters.rsaDetail.keyBits);
	else if (p->type == TPM2_ALG_ECC)
		snprintf(buf, n, "ECC %s", c == TPM2_ECC_NIST_P256 ? "P-256"
					   : c == TPM2_ECC_NIST_P384 ? "P-384"
					   : c == TPM2_ECC_NIST_P521 ? "P-521"
								    : "curve ?");
	else
		snprintf(buf, n, "type 0x%04x", (unsigned)p->type);
	return buf;
}

/* Name = nameAlg || H_nameAlg(TPMT_PUBLIC) (Part 1 §16). */
static int name_of(const TPMT_PUBLIC *p, uint8_t *name, size_t *name_len)
{
	uint8_t tmp[sizeof(TPMT_PUBLIC)];
	size_t off = 0;
	struct hg_digest h;

	if (Tss2_MU_TPMT_PUBLIC_Marshal(p, tmp, sizeof(tmp), &off) != 0 ||
	    hg_hash(p->nameAlg, tmp, off, &h) < 0)
		return -1;
	name[0] = (uint8_t)(p->nameAlg >> 8);
	name[1] = (uint8_t)p->nameAlg;
	memcpy(name + 2, h.d, h.len);
	*name_len = 2u + h.len;
	return 0;
}

int hg_ak_name(const uint8_t *buf, size_t len, uint8_t *name, size_t *name_len,
	       const char **why)
{
	TPM2B_PUBLIC pub;
	size_t off = 0;

	memset(&pub, 0, sizeof(pub));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &pub) != 0 || off != len) {
		*why = "not exactly one TPM2B_PUBLIC";
		return -1;
	}
	if (name_of(&pub.publicArea, name, name_len) < 0) {
		*why = "AK nameAlg is not a known hash";
		return -1;
	}
	return 0;
}

/* Hashes an AK may name itself and sign with: SHA-1 is refused for both
 * (its collisions are practical; a TPM 2.0 AK made today uses SHA-256). */
static int strong_hash(uint16_t alg)
{
	return alg == TPM2_ALG_SHA256 || alg == TPM2_ALG_SHA384 ||
	       alg == TPM2_ALG_SHA512;
}

/* Attribute bits an AK may carry besides the required ones: none of them
 * widens what the key signs. Everything else (reserved bits, decrypt,
 * x509sign, which the TPM forbids with restricted) is refused. */
#define AK_NEED (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED | \
		 TPMA_OBJECT_SIGN_ENCRYPT)
#define AK_MAY (AK_NEED | TPMA_OBJECT_STCLEAR | TPMA_OBJECT_USERWITHAUTH | \
		TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_NODA | \
		TPMA_OBJECT_ENCRYPTEDDUPLICATION)

int hg_ak_check(const TPMT_PUBLIC *p, const char **why)
{
	const TPMA_OBJECT a = p->objectAttributes;
	static const struct {
		TPMA_OBJECT bit;
		const char *why;
	} need[] = {
		/* Part 1 §25.2: only a restricted key refuses to sign data
		 * that starts with TPM_GENERATED_VALUE, so only its quotes
		 * are the TPM's. */
		{ TPMA_OBJECT_RESTRICTED, "key is not a fixedTPM restricted signing key: restricted is clear" },
		{ TPMA_OBJECT_SIGN_ENCRYPT, "key is not a fixedTPM restricted signing key: sign is clear" },
		/* Part 1 §27.2: fixedTPM and fixedParent say the private key
		 * never leaves this TPM; sensitiveDataOrigin that the TPM made
		 * it (nobody imported a key they know). */
		{ TPMA_OBJECT_FIXEDTPM, "key is not a fixedTPM restricted signing key: fixedTPM is clear" },
		{ TPMA_OBJECT_FIXEDPARENT, "key is not a fixedTPM restricted signing key: fixedParent is clear" },
		{ TPMA_OBJECT_SENSITIVEDATAORIGIN, "key is not a fixedTPM restricted signing key: sensitiveDataOrigin is clear" },
	};

	if (a & TPMA_OBJECT_DECRYPT) {
		*why = (a & TPMA_OBJECT_SIGN_ENCRYPT)
			       ? "key is a decrypt+sign key, not a restricted signing key"
			       : "key is a decryption key (an EK?), not a restricted signing key";
		return -1;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(a & need[i].bit)) {
			*why = need[i].why;
			return -1;
		}
	if (a & ~AK_MAY) {
		*why = "key has attribute bits an AK does not carry (reserved or x509sign)";
		return -1;
	}
	if (!strong_hash(p->nameAlg)) {
		*why = "AK nameAlg is not sha256, sha384 or sha512";
		return -1;
	}
	if (p->type == TPM2_ALG_ECC) {
		const TPMS_ECC_PARMS *e = &p->parameters.eccDetail;

		if (e->symmetric.algorithm != TPM2_ALG_NULL || e->kdf.scheme != TPM2_ALG_NULL) {
			*why = "AK has a symmetric algorithm or KDF (a signing key has neither)";
			return -1;
		}
		if (e->scheme.scheme != TPM2_ALG_ECDSA) {
			*why = "AK scheme is not ECDSA";
			return -1;
		}
		if (!strong_hash(e->scheme.details.ecdsa.hashAlg)) {
			*why = "AK scheme hash is not sha256, sha384 or sha512";
			return -1;
		}
		if (e->curveID != TPM2_ECC_NIST_P256 && e->curveID != TPM2_ECC_NIST_P384) {
			*why = "key curve is not P-256 or P-384";
			return -1;
		}
	} else if (p->type == TPM2_ALG_RSA) {
		const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;

		if (r->symmetric.algorithm != TPM2_ALG_NULL) {
			*why = "AK has a symmetric algorithm (a signing key has none)";
			return -1;
		}
		if (r->scheme.scheme != TPM2_ALG_RSASSA && r->scheme.scheme != TPM2_ALG_RSAPSS) {
			*why = "AK scheme is not RSASSA or RSAPSS";
			return -1;
		}
		if (!strong_hash(r->scheme.details.anySig.hashAlg)) {
			*why = "AK scheme hash is not sha256, sha384 or sha512";
			return -1;
		}
		/* Part 2 §12.2.3.5: exponent 0 means 2^16 + 1. Any other
		 * exponent is refused: e = 1 makes every "signature" its own
		 * message, e = 3 invites Bleichenbacher's forgery. */
		if (r->exponent != 0 && r->exponent != 65537) {
			*why = "AK RSA public exponent is not 65537";
			return -1;
		}
		if (r->keyBits != 2048 && r->keyBits != 3072 && r->keyBits != 4096) {
			*why = "AK RSA modulus is not 2048, 3072 or 4096 bits";
			return -1;
		}
	} else {
		*why = "AK is neither RSA nor ECC";
		return -1;
	}
	return 0;
}

int hg_ak_decode(const uint8_t *buf, size_t len, struct hg_ak *ak,
		 const char **why)
{
	const TPMT_PUBLIC *p = &ak->pub.publicArea;
	size_t off = 0;

	memset(ak, 0, sizeof(*ak));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &ak->pub) != 0) {
		*why = "not a TPM2B_PUBLIC";
		return -1;
	}
	if (off != len) {
		*why = "trailing bytes after TPM2B_PUBLIC";
		return -1;
	}
	if (hg_ak_check(p, why) < 0)
		return -1;
	if (p->type == TPM2_ALG_ECC) {
		ak->scheme = p->parameters.eccDetail.scheme.scheme;
		ak->hash = p->parameters.eccDetail.scheme.details.ecdsa.hashAlg;
		ak->key = ecc_key(p, why);
	} else {
		ak->scheme = p->parameters.rsaDetail.scheme.scheme;
		ak->hash = p->parameters.rsaDetail.scheme.details.anySig.hashAlg;
		ak->key = rsa_key(p, why);
	}
	if (!ak->key)
		return -1;
	if (name_of(p, ak->name, &ak->name_len) < 0) {
		*why = "AK nameAlg is not a known hash";
		hg_ak_free(ak);
		return -1;
	}
	return 0;
}

void hg_ak_free(struct hg_ak *ak)
{
	EVP_PKEY_free(ak->key);
	memset(ak, 0, sizeof(*ak));
}
