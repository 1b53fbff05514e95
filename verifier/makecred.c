/* makecred.c: see makecred.h.
 *
 * TPM2_MakeCredential (Part 1 §24.4, §24.5; Part 3 §12.6):
 *   seed      random, nameAlg digest size
 *   encSecret RSA-OAEP(EK, nameAlg, label "IDENTITY\0")(seed)  (Annex B.10.3)
 *   symKey    KDFa(nameAlg, seed, "STORAGE", AK name, "", symBits)
 *   encIdent  AES-CFB(symKey, IV = 0)(TPM2B_DIGEST secret)     (§24.4)
 *   hmacKey   KDFa(nameAlg, seed, "INTEGRITY", "", "", digest bits)
 *   outerHMAC HMAC(nameAlg, hmacKey)(encIdent || AK name)      (§24.5)
 *   blob      TPM2B_DIGEST outerHMAC || encIdent
 *
 * KDFa (Part 1 §11.4.10.2) is NIST SP 800-108 counter mode with HMAC:
 * HMAC(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32).
 * OpenSSL's KBKDF in counter mode is exactly that (32-bit counter, a 0x00
 * separator after the label, L as 32-bit bits, all by default), so it is
 * used rather than a hand-written loop: one less piece of crypto to own.
 * The label goes in without its NUL (the separator is that NUL);
 * test_makecred.c checks this against a KDFa written from the spec.
 */
#include "makecred.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

struct hv_hash {
	uint16_t alg;
	const char *name;
	size_t len;
};

static const struct hv_hash hashes[] = {
	{ TPM2_ALG_SHA1, "SHA1", 20 },
	{ TPM2_ALG_SHA256, "SHA256", 32 },
	{ TPM2_ALG_SHA384, "SHA384", 48 },
	{ TPM2_ALG_SHA512, "SHA512", 64 },
};

static const struct hv_hash *hash_by_alg(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (hashes[i].alg == alg)
			return &hashes[i];
	return NULL;
}

static int kdfa(const char *md, const uint8_t *key, size_t keylen,
		const char *label, const uint8_t *ctxu, size_t ctxulen,
		uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[7], *q = p;
	int ret = -1;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, "counter", 0);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	/* KBKDF's "salt" is SP 800-108's Label, its "info" the Context. */
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label,
						 strlen(label));
	if (ctxulen)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)ctxu, ctxulen);
	*q = OSSL_PARAM_construct_end();
	if (kctx && EVP_KDF_derive(kctx, out, outlen, p) == 1)
		ret = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

static EVP_PKEY *ek_key(const TPMT_PUBLIC *p)
{
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;
	BIGNUM *n = BN_bin2bn(p->unique.rsa.buffer, p->unique.rsa.size, NULL);
	BIGNUM *e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;

	if (n && e && bld && ctx && BN_set_word(e, r->exponent ? r->exponent : 65537) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return key;
}

/* Annex B.10.3: the seed, OAEP-encrypted with the EK's nameAlg for both
 * the OAEP hash and MGF1, label "IDENTITY" with its NUL. */
static int wrap_seed(const TPMT_PUBLIC *p, const char *md, const uint8_t *seed,
		     size_t seed_len, TPM2B_ENCRYPTED_SECRET *enc)
{
	EVP_PKEY *key = ek_key(p);
	EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) : NULL;
	unsigned char *label = OPENSSL_memdup("IDENTITY", sizeof("IDENTITY"));
	size_t len = sizeof(enc->secret);
	int ret = -1;

	if (!ctx || !label || EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, md, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, md, NULL) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, sizeof("IDENTITY")) != 1)
		goto out;
	label = NULL;   /* owned by ctx now */
	if (EVP_PKEY_encrypt(ctx, enc->secret, &len, seed, seed_len) != 1 ||
	    len > UINT16_MAX)
		goto out;
	enc->size = (uint16_t)len;
	ret = 0;
out:
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ret;
}

static int cfb_encrypt(size_t key_bits, const uint8_t *key, const uint8_t *in,
		       size_t len, uint8_t *out)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, key_bits == 256 ? "AES-256-CFB" :
					 "AES-128-CFB", NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	static const uint8_t iv[16];   /* §24.4: the IV is zero */
	int n = 0, f = 0, ret = -1;

	if (c && ctx && EVP_EncryptInit_ex2(ctx, c, key, iv, NULL) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, out + n, &f) == 1 && (size_t)(n + f) == len)
		ret = 0;
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return ret;
}

static int hmac2(const char *md, const uint8_t *key, size_t keylen,
		 const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		 uint8_t *out, size_t outlen)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM p[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_end(),
	};
	size_t n = 0;
	int ret = -1;

	if (ctx && EVP_MAC_init(ctx, key, keylen, p) == 1 &&
	    EVP_MAC_update(ctx, a, alen) == 1 && EVP_MAC_update(ctx, b, blen) == 1 &&
	    EVP_MAC_final(ctx, out, &n, outlen) == 1 && n == outlen)
		ret = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

static const char *check_ek(const TPMT_PUBLIC *p)
{
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;
	TPMA_OBJECT a = p->objectAttributes;

	if (p->type == TPM2_ALG_ECC)
		return "EK is ECC: its seed needs ECDH, not supported yet (RSA EKs only)";
	if (p->type != TPM2_ALG_RSA)
		return "EK is not an RSA key";
	if (p->nameAlg != TPM2_ALG_SHA256 && p->nameAlg != TPM2_ALG_SHA384 &&
	    p->nameAlg != TPM2_ALG_SHA512)
		return "EK nameAlg is not SHA-256, SHA-384 or SHA-512";
	if (!(a & TPMA_OBJECT_RESTRICTED) || !(a & TPMA_OBJECT_DECRYPT) ||
	    (a & TPMA_OBJECT_SIGN_ENCRYPT))
		return "EK is not a restricted decryption key";
	if (r->symmetric.algorithm != TPM2_ALG_AES ||
	    r->symmetric.mode.aes != TPM2_ALG_CFB ||
	    (r->symmetric.keyBits.aes != 128 && r->symmetric.keyBits.aes != 256))
		return "EK symmetric is not AES-128-CFB or AES-256-CFB";
	if (r->scheme.scheme != TPM2_ALG_NULL)
		return "EK RSA scheme is not NULL";
	if ((r->keyBits != 2048 && r->keyBits != 3072 && r->keyBits != 4096) ||
	    p->unique.rsa.size != r->keyBits / 8)
		return "EK RSA modulus is not 2048, 3072 or 4096 bits as keyBits says";
	return NULL;
}

int hv_make_credential(const TPM2B_PUBLIC *ek, const uint8_t *ak_name,
		       size_t ak_name_len, const uint8_t *secret,
		       size_t secret_len, const uint8_t *seed_or_null,
		       size_t seed_len, TPM2B_ID_OBJECT *blob,
		       TPM2B_ENCRYPTED_SECRET *enc, const char **why)
{
	const TPMT_PUBLIC *p = &ek->publicArea;
	const struct hv_hash *h, *nh;
	uint8_t seed[64], sym_key[32], hmac_key[64], mac[64];
	uint8_t plain[2 + 64], cipher[2 + 64];
	TPM2B_DIGEST cred = { 0 }, outer = { 0 };
	TPM2B_ID_OBJECT b = { 0 };
	TPM2B_ENCRYPTED_SECRET e = { 0 };
	size_t plain_len = 0, off = 0, sym_bytes;
	int ret = -1;

	*why = check_ek(p);
	if (*why)
		goto out;
	h = hash_by_alg(p->nameAlg);
	sym_bytes = p->parameters.rsaDetail.symmetric.keyBits.aes / 8;
	if (ak_name_len < 2 ||
	    !(nh = hash_by_alg((uint16_t)(ak_name[0] << 8 | ak_name[1]))) ||
	    ak_name_len != 2 + nh->len) {
		*why = "AK name's algorithm and length disagree";
		goto out;
	}
	if (secret_len == 0 || secret_len > h->len) {
		*why = "secret is empty or longer than the EK nameAlg's digest";
		goto out;
	}
	if (seed_or_null && seed_len != h->len) {
		*why = "seed is not the EK nameAlg's digest size";
		goto out;
	}
	*why = "crypto failure";   /* OpenSSL or tss2-mu; not the input */
	if (seed_or_null)
		memcpy(seed, seed_or_null, h->len);
	else if (RAND_bytes(seed, (int)h->len) != 1)
		goto out;

	if (wrap_seed(p, h->name, seed, h->len, &e) < 0)
		goto out;
	/* §24.4: the credential is encrypted as a TPM2B_DIGEST, its size
	 * inside the ciphertext. */
	cred.size = (uint16_t)secret_len;
	memcpy(cred.buffer, secret, secret_len);
	if (Tss2_MU_TPM2B_DIGEST_Marshal(&cred, plain, sizeof(plain), &plain_len) ||
	    kdfa(h->name, seed, h->len, "STORAGE", ak_name, ak_name_len,
		 sym_key, sym_bytes) < 0 ||
	    cfb_encrypt(sym_bytes * 8, sym_key, plain, plain_len, cipher) < 0 ||
	    kdfa(h->name, seed, h->len, "INTEGRITY", NULL, 0, hmac_key, h->len) < 0 ||
	    hmac2(h->name, hmac_key, h->len, cipher, plain_len, ak_name,
		  ak_name_len, mac, h->len) < 0)
		goto out;
	outer.size = (uint16_t)h->len;
	memcpy(outer.buffer, mac, h->len);
	if (Tss2_MU_TPM2B_DIGEST_Marshal(&outer, b.credential, sizeof(b.credential), &off) ||
	    off + plain_len > sizeof(b.credential))
		goto out;
	memcpy(b.credential + off, cipher, plain_len);
	b.size = (uint16_t)(off + plain_len);
	*blob = b;
	*enc = e;
	*why = NULL;
	ret = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sym_key, sizeof(sym_key));
	OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&cred, sizeof(cred));
	return ret;
}
