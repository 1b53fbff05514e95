/* makecred.c: see makecred.h.
 *
 * TPM2_MakeCredential (Part 1 §24.4, §24.5; Part 3 §12.6):
 *   seed      RSA EK: random, nameAlg digest size
 *             ECC EK: KDFe(nameAlg, Z, "IDENTITY\0", QeU.x, QsV.x, digest bits)
 *   encSecret RSA EK: RSA-OAEP(EK, nameAlg, label "IDENTITY\0")(seed)  (Annex B.10.3)
 *             ECC EK: the ephemeral public point QeU, a TPMS_ECC_POINT  (Annex C.6.4)
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
 *
 * KDFe (Part 1 §11.4.10.3) is SP 800-56A's one-step KDF on a hash:
 * H([i]32 || Z || Use || PartyUInfo || PartyVInfo), Use with its NUL
 * (unlike KDFa there is no separator, so the NUL is part of the label:
 * tpm2-tss and tpm2-tools pass "IDENTITY" with sizeof, 9 bytes). OpenSSL
 * has no KDF that takes U and V apart with a TPM-style counter, so it is
 * a short loop on EVP_Digest().
 */
#include "makecred.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
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

static EVP_PKEY *rsa_key(const TPMT_PUBLIC *p)
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
	EVP_PKEY *key = rsa_key(p);
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

/* --- ECC EKs: the seed from ECDH (Part 1 Annex C.6.4) ----------------- */

struct hv_curve {
	uint16_t id;
	const char *name;   /* OpenSSL group name */
	int nid;            /* the same, for EC_GROUP (test-only path) */
	size_t len;         /* bytes of a coordinate, of Z and of a scalar */
};

static const struct hv_curve curves[] = {
	{ TPM2_ECC_NIST_P256, "P-256", NID_X9_62_prime256v1, 32 },
	{ TPM2_ECC_NIST_P384, "P-384", NID_secp384r1, 48 },
	{ TPM2_ECC_NIST_P521, "P-521", NID_secp521r1, 66 },
};

static const struct hv_curve *curve_by_id(uint16_t id)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].id == id)
			return &curves[i];
	return NULL;
}

/* KDFe, Part 1 §11.4.10.3: K(i) = H([i]32 || Z || use || u || v), the
 * blocks concatenated and cut to OUTLEN bytes (whole bytes here: the
 * seed is a digest long). USE is passed with its NUL (USELEN counts it). */
static int kdfe(const char *md_name, const uint8_t *z, size_t zlen,
		const char *use, size_t uselen, const uint8_t *u, size_t ulen,
		const uint8_t *v, size_t vlen, uint8_t *out, size_t outlen)
{
	EVP_MD *md = EVP_MD_fetch(NULL, md_name, NULL);
	uint8_t msg[4 + 3 * 66 + 16], blk[EVP_MAX_MD_SIZE];
	size_t hl = md ? (size_t)EVP_MD_get_size(md) : 0, done = 0, n;
	unsigned blen;
	int ret = -1;

	if (!md || hl == 0 || hl > sizeof(blk) || zlen > 66 || ulen > 66 ||
	    vlen > 66 || uselen > 16)
		goto out;
	for (uint32_t i = 1; done < outlen; i++) {
		n = 0;
		msg[n++] = (uint8_t)(i >> 24);
		msg[n++] = (uint8_t)(i >> 16);
		msg[n++] = (uint8_t)(i >> 8);
		msg[n++] = (uint8_t)i;
		memcpy(msg + n, z, zlen);
		n += zlen;
		memcpy(msg + n, use, uselen);
		n += uselen;
		memcpy(msg + n, u, ulen);
		n += ulen;
		memcpy(msg + n, v, vlen);
		n += vlen;
		if (EVP_Digest(msg, n, blk, &blen, md, NULL) != 1 || blen != hl)
			goto out;
		n = outlen - done < hl ? outlen - done : hl;
		memcpy(out + done, blk, n);
		done += n;
	}
	ret = 0;
out:
	explicit_bzero(msg, sizeof(msg));   /* holds Z */
	explicit_bzero(blk, sizeof(blk));
	EVP_MD_free(md);
	return ret;
}

/* The EK's public point as an EVP_PKEY, or NULL when it is not a point of
 * the curve (OpenSSL refuses it on import; the public check says so
 * again, and also refuses the point at infinity). */
static EVP_PKEY *ecc_key(const struct hv_curve *c, const TPMS_ECC_POINT *q)
{
	uint8_t oct[1 + 2 * 66];
	OSSL_PARAM p[3];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY_CTX *chk = NULL;
	EVP_PKEY *key = NULL;

	/* SEC 1 §2.3.3 uncompressed: 0x04 || x || y. */
	oct[0] = 0x04;
	memcpy(oct + 1, q->x.buffer, c->len);
	memcpy(oct + 1 + c->len, q->y.buffer, c->len);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						(char *)c->name, 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, oct,
						 1 + 2 * c->len);
	p[2] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, p) != 1)
		goto out;
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!chk || EVP_PKEY_public_check(chk) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* A fresh ephemeral key pair on the curve. */
static EVP_PKEY *eph_random(const struct hv_curve *c)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;

	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_group_name(ctx, c->name) == 1 &&
	    EVP_PKEY_generate(ctx, &key) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* The test-only ephemeral key pair from its scalar D (c->len bytes, big
 * endian). OpenSSL 3.0's import does not derive the public point from
 * the private scalar, so it is computed here as [d]G. Sets *WHY when D
 * is out of [1, n-1]; leaves it (at "crypto failure") otherwise. */
static EVP_PKEY *eph_fixed(const struct hv_curve *c, const uint8_t *d_bytes,
			   const char **why)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(NULL, NULL, c->nid);
	BIGNUM *d = BN_secure_new();
	EC_POINT *q = g ? EC_POINT_new(g) : NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	uint8_t oct[1 + 2 * 66];
	size_t olen;

	if (!g || !d || !q || !bld || !ctx || !BN_bin2bn(d_bytes, (int)c->len, d))
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
		*why = "ephemeral scalar is not in [1, n-1]";
		goto out;
	}
	olen = EC_POINT_mul(g, q, d, NULL, NULL, NULL) == 1 ?
	       EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, oct,
				  sizeof(oct), NULL) : 0;
	if (olen != 1 + 2 * c->len ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, olen) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
		key = NULL;
out:
	/* D is a secure BIGNUM, so the builder put its copy in the secure
	 * block, which OSSL_PARAM_free() clears (OSSL_PARAM_clear_free() is
	 * 3.2+). */
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(q);
	BN_clear_free(d);
	EC_GROUP_free(g);
	return key;
}

/* A coordinate of KEY, left-padded to the curve size (the TPM's own
 * points are padded so; Part 1 §11.2.5.2 / Part 2 TPMS_ECC_POINT). */
static int coord(const struct hv_curve *c, EVP_PKEY *key, const char *which,
		 TPM2B_ECC_PARAMETER *out)
{
	BIGNUM *bn = NULL;
	int ret = -1;

	if (EVP_PKEY_get_bn_param(key, which, &bn) == 1 &&
	    BN_bn2binpad(bn, out->buffer, (int)c->len) == (int)c->len) {
		out->size = (uint16_t)c->len;
		ret = 0;
	}
	BN_free(bn);
	return ret;
}

/* Part 1 Annex C.6.4 (the ECC "secret sharing" for MakeCredential):
 * Z = x([de]QsV), padded to the curve size (OpenSSL's ECDH output is);
 * seed = KDFe(nameAlg, Z, "IDENTITY\0", QeU.x, QsV.x, digest bits);
 * encSecret = the marshalled TPMS_ECC_POINT QeU. The TPM recomputes Z as
 * [dsV]QeU in TPM2_ActivateCredential. */
static int ecdh_seed(const struct hv_curve *c, const struct hv_hash *h,
		     EVP_PKEY *ek, const TPMS_ECC_POINT *qsv, EVP_PKEY *eph,
		     uint8_t *seed, TPM2B_ENCRYPTED_SECRET *enc)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	TPMS_ECC_POINT qeu = { 0 };
	uint8_t z[66];
	size_t zlen = sizeof(z), off = 0;
	int ret = -1;

	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, ek, 1) != 1 ||
	    EVP_PKEY_derive(ctx, z, &zlen) != 1 || zlen != c->len ||
	    coord(c, eph, OSSL_PKEY_PARAM_EC_PUB_X, &qeu.x) < 0 ||
	    coord(c, eph, OSSL_PKEY_PARAM_EC_PUB_Y, &qeu.y) < 0 ||
	    kdfe(h->name, z, zlen, "IDENTITY", sizeof("IDENTITY"), qeu.x.buffer,
		 qeu.x.size, qsv->x.buffer, qsv->x.size, seed, h->len) < 0 ||
	    Tss2_MU_TPMS_ECC_POINT_Marshal(&qeu, enc->secret, sizeof(enc->secret), &off))
		goto out;
	enc->size = (uint16_t)off;
	ret = 0;
out:
	explicit_bzero(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

/* --- shared ------------------------------------------------------------- */

static const TPMT_SYM_DEF_OBJECT *sym_of(const TPMT_PUBLIC *p)
{
	return p->type == TPM2_ALG_ECC ? &p->parameters.eccDetail.symmetric :
	       &p->parameters.rsaDetail.symmetric;
}

static const char *check_ecc(const TPMT_PUBLIC *p)
{
	const TPMS_ECC_PARMS *e = &p->parameters.eccDetail;
	const struct hv_curve *c = curve_by_id(e->curveID);

	if (e->scheme.scheme != TPM2_ALG_NULL || e->kdf.scheme != TPM2_ALG_NULL)
		return "EK ECC scheme or KDF is not NULL";
	if (!c)
		return "EK curve is not NIST P-256, P-384 or P-521";
	if (p->unique.ecc.x.size != c->len || p->unique.ecc.y.size != c->len)
		return "EK ECC point's coordinates are not the curve's size";
	return NULL;
}

static const char *check_ek(const TPMT_PUBLIC *p)
{
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;
	const TPMT_SYM_DEF_OBJECT *s;
	TPMA_OBJECT a = p->objectAttributes;

	if (p->type != TPM2_ALG_RSA && p->type != TPM2_ALG_ECC)
		return "EK is not an RSA or ECC key";
	if (p->nameAlg != TPM2_ALG_SHA256 && p->nameAlg != TPM2_ALG_SHA384 &&
	    p->nameAlg != TPM2_ALG_SHA512)
		return "EK nameAlg is not SHA-256, SHA-384 or SHA-512";
	if (!(a & TPMA_OBJECT_RESTRICTED) || !(a & TPMA_OBJECT_DECRYPT) ||
	    (a & TPMA_OBJECT_SIGN_ENCRYPT))
		return "EK is not a restricted decryption key";
	s = sym_of(p);
	if (s->algorithm != TPM2_ALG_AES || s->mode.aes != TPM2_ALG_CFB ||
	    (s->keyBits.aes != 128 && s->keyBits.aes != 256))
		return "EK symmetric is not AES-128-CFB or AES-256-CFB";
	if (p->type == TPM2_ALG_ECC)
		return check_ecc(p);
	if (r->scheme.scheme != TPM2_ALG_NULL)
		return "EK RSA scheme is not NULL";
	if ((r->keyBits != 2048 && r->keyBits != 3072 && r->keyBits != 4096) ||
	    p->unique.rsa.size != r->keyBits / 8)
		return "EK RSA modulus is not 2048, 3072 or 4096 bits as keyBits says";
	return NULL;
}

/* Both entries. SEED_OR_NULL is for RSA EKs, EPH_OR_NULL (the ephemeral
 * scalar) for ECC EKs; neither outside tests. */
static int make_cred(const TPM2B_PUBLIC *ek, const uint8_t *ak_name,
		     size_t ak_name_len, const uint8_t *secret, size_t secret_len,
		     const uint8_t *seed_or_null, size_t seed_len,
		     const uint8_t *eph_or_null, size_t eph_len,
		     TPM2B_ID_OBJECT *blob, TPM2B_ENCRYPTED_SECRET *enc,
		     const char **why)
{
	const TPMT_PUBLIC *p = &ek->publicArea;
	const struct hv_hash *h, *nh;
	const struct hv_curve *c = NULL;
	EVP_PKEY *ek_ecc = NULL, *eph = NULL;
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
	sym_bytes = sym_of(p)->keyBits.aes / 8;
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
	if (p->type == TPM2_ALG_RSA) {
		if (eph_or_null) {
			*why = "an ephemeral key is for ECC EKs only";
			goto out;
		}
		if (seed_or_null && seed_len != h->len) {
			*why = "seed is not the EK nameAlg's digest size";
			goto out;
		}
	} else {
		c = curve_by_id(p->parameters.eccDetail.curveID);
		if (seed_or_null) {
			*why = "a fixed seed is for RSA EKs only: an ECC EK's comes from ECDH";
			goto out;
		}
		if (eph_or_null && eph_len != c->len) {
			*why = "ephemeral scalar is not the curve's size";
			goto out;
		}
		if (!(ek_ecc = ecc_key(c, &p->unique.ecc))) {
			*why = "EK ECC point is not on its curve";
			goto out;
		}
	}
	*why = "crypto failure";   /* OpenSSL or tss2-mu; not the input */
	if (c) {
		eph = eph_or_null ? eph_fixed(c, eph_or_null, why) : eph_random(c);
		if (!eph || ecdh_seed(c, h, ek_ecc, &p->unique.ecc, eph, seed, &e) < 0)
			goto out;
	} else {
		if (seed_or_null)
			memcpy(seed, seed_or_null, h->len);
		else if (RAND_bytes(seed, (int)h->len) != 1)
			goto out;
		if (wrap_seed(p, h->name, seed, h->len, &e) < 0)
			goto out;
	}
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
	EVP_PKEY_free(eph);   /* OpenSSL clears the private scalar */
	EVP_PKEY_free(ek_ecc);
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(sym_key, sizeof(sym_key));
	explicit_bzero(hmac_key, sizeof(hmac_key));
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(&cred, sizeof(cred));
	return ret;
}

int hv_make_credential(const TPM2B_PUBLIC *ek, const uint8_t *ak_name,
		       size_t ak_name_len, const uint8_t *secret,
		       size_t secret_len, const uint8_t *seed_or_null,
		       size_t seed_len, TPM2B_ID_OBJECT *blob,
		       TPM2B_ENCRYPTED_SECRET *enc, const char **why)
{
	return make_cred(ek, ak_name, ak_name_len, secret, secret_len,
			 seed_or_null, seed_len, NULL, 0, blob, enc, why);
}

int hv_make_credential_test_ephemeral(const TPM2B_PUBLIC *ek,
				      const uint8_t *ak_name, size_t ak_name_len,
				      const uint8_t *secret, size_t secret_len,
				      const uint8_t *eph_priv, size_t eph_priv_len,
				      TPM2B_ID_OBJECT *blob,
				      TPM2B_ENCRYPTED_SECRET *enc, const char **why)
{
	static const uint8_t none;

	/* A NULL scalar here would silently become a random one. */
	return make_cred(ek, ak_name, ak_name_len, secret, secret_len, NULL, 0,
			 eph_priv ? eph_priv : &none, eph_priv ? eph_priv_len : 0,
			 blob, enc, why);
}
