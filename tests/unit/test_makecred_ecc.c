/* test_makecred_ecc.c: software TPM2_MakeCredential (verifier/makecred.h)
 * for ECC EKs (Part 1 Annex C.6.4); RSA EKs are in test_makecred.c.
 *
 * The test holds the EK's private key, takes the ephemeral point out of
 * the encrypted secret, recomputes Z by ECDH on its side ([dsV]QeU, as
 * the TPM does in ActivateCredential) and the seed with a KDFe written
 * here from §11.4.10.3; the rest is opened as for RSA (makecred_fx.c).
 * Templates L-2 (P-256, SHA-256, AES-128) and H-4 (P-384, SHA-384,
 * AES-256) are covered, and P-521 with SHA-512. With the test entry's
 * scalar 1 the ephemeral point must be the curve's generator (SEC 2's
 * constants) and Z the EK's own x: a vector that needs no ECDH.
 * Refusals are pinned to their reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "../../verifier/makecred.h"
#include "makecred_fx.h"

/* --- ECC EKs ------------------------------------------------------- */

/* An ECC EK whose private half the test keeps. */
struct eccfx {
	EVP_PKEY *priv;
	TPM2B_PUBLIC pub;
	const char *group;  /* OpenSSL group name */
	const EVP_MD *md;   /* nameAlg: KDFe, KDFa and HMAC hash */
	size_t hl;          /* its digest size */
	size_t sym;         /* AES key bytes */
	size_t clen;        /* coordinate bytes */
	const char *gx;     /* the generator's x, SEC 2 §2.4.2, 2.5.1, 2.6.1 */
};

static struct eccfx l2 = {
	.group = "P-256", .clen = 32,
	.gx = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
};
static struct eccfx h4 = {
	.group = "P-384", .clen = 48,
	.gx = "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38"
	      "5502f25dbf55296c3a545e3872760ab7",
};
static struct eccfx p521 = {
	.group = "P-521", .clen = 66,
	.gx = "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d"
	      "3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5"
	      "bd66",
};
/* The P-256 group order n (SEC 2 §2.4.2). */
static const char p256_n[] =
	"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The TCG EK Credential Profile ECC templates: L-2 is P-256, SHA-256,
 * AES-128-CFB; H-4 is P-384, SHA-384, AES-256-CFB (what swtpm 0.7
 * provisions at 0x81010016). Scheme and KDF NULL; x and y padded to the
 * curve size. The point comes from an OpenSSL key. */
static int mk_ecc_ek(struct eccfx *f, uint16_t curve, uint16_t alg,
		     const EVP_MD *md, unsigned sym_bits)
{
	BIGNUM *x = NULL, *y = NULL;
	TPMT_PUBLIC *p = &f->pub.publicArea;
	TPMS_ECC_PARMS *e = &p->parameters.eccDetail;
	int n = (int)f->clen, ret = -1;

	f->priv = EVP_EC_gen(f->group);
	f->md = md;
	f->hl = (size_t)EVP_MD_get_size(md);
	f->sym = sym_bits / 8;
	p->type = TPM2_ALG_ECC;
	p->nameAlg = alg;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	e->symmetric.algorithm = TPM2_ALG_AES;
	e->symmetric.keyBits.aes = (uint16_t)sym_bits;
	e->symmetric.mode.aes = TPM2_ALG_CFB;
	e->scheme.scheme = TPM2_ALG_NULL;
	e->curveID = curve;
	e->kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = (uint16_t)n;
	p->unique.ecc.y.size = (uint16_t)n;
	if (f->priv && EVP_PKEY_get_bn_param(f->priv, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(f->priv, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
	    BN_bn2binpad(x, p->unique.ecc.x.buffer, n) == n &&
	    BN_bn2binpad(y, p->unique.ecc.y.buffer, n) == n)
		ret = 0;
	BN_free(x);
	BN_free(y);
	return ret;
}

/* KDFe from Part 1 §11.4.10.3: H([i]32 || Z || "IDENTITY\0" || u || v)
 * per block, fed piece by piece (the module builds one buffer). */
static void kdfe_spec(const EVP_MD *md, const uint8_t *z, size_t zlen,
		      const uint8_t *u, size_t ulen, const uint8_t *v, size_t vlen,
		      uint8_t *out, size_t bytes)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t hl = (size_t)EVP_MD_get_size(md);
	uint8_t blk[64], ctr[4];
	unsigned blen;

	for (uint32_t i = 1, done = 0; done < bytes; i++) {
		ctr[0] = i >> 24; ctr[1] = i >> 16; ctr[2] = i >> 8; ctr[3] = i;
		assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, ctr, 4), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, z, zlen), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, "IDENTITY", 9), 1);   /* with NUL */
		assert_int_equal(EVP_DigestUpdate(ctx, u, ulen), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, v, vlen), 1);
		assert_int_equal(EVP_DigestFinal_ex(ctx, blk, &blen), 1);
		memcpy(out + done, blk, bytes - done < hl ? bytes - done : hl);
		done += (uint32_t)hl;
	}
	EVP_MD_CTX_free(ctx);
}

/* The ephemeral point QeU: ENC is exactly one TPMS_ECC_POINT, each
 * coordinate the curve's size. */
static void get_point(const struct eccfx *f, const TPM2B_ENCRYPTED_SECRET *enc,
		      TPMS_ECC_POINT *q)
{
	size_t off = 0;

	assert_int_equal(enc->size, 2 + f->clen + 2 + f->clen);
	assert_int_equal(Tss2_MU_TPMS_ECC_POINT_Unmarshal(enc->secret, enc->size, &off, q),
			 TSS2_RC_SUCCESS);
	assert_int_equal(off, enc->size);
	assert_int_equal(q->x.size, f->clen);
	assert_int_equal(q->y.size, f->clen);
}

/* Z = x([dsV]QeU), by ECDH with the EK's private key, as the TPM. */
static void ecdh_z(const struct eccfx *f, const TPMS_ECC_POINT *q, uint8_t *z)
{
	uint8_t oct[1 + 2 * 66];
	OSSL_PARAM p[3];
	EVP_PKEY_CTX *ic = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *dc;
	EVP_PKEY *peer = NULL;
	size_t zlen = 66;

	oct[0] = 0x04;
	memcpy(oct + 1, q->x.buffer, f->clen);
	memcpy(oct + 1 + f->clen, q->y.buffer, f->clen);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						(char *)f->group, 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, oct,
						 1 + 2 * f->clen);
	p[2] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_PKEY_fromdata_init(ic), 1);
	assert_int_equal(EVP_PKEY_fromdata(ic, &peer, EVP_PKEY_PUBLIC_KEY, p), 1);
	dc = EVP_PKEY_CTX_new_from_pkey(NULL, f->priv, NULL);
	assert_int_equal(EVP_PKEY_derive_init(dc), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(dc, peer), 1);
	assert_int_equal(EVP_PKEY_derive(dc, z, &zlen), 1);
	assert_int_equal(zlen, f->clen);
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(peer);
	EVP_PKEY_CTX_free(ic);
}

/* Make with a fresh ephemeral key and open as the TPM would. */
static void check_ecc_vector(const struct eccfx *f, size_t slen)
{
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	TPMS_ECC_POINT q;
	uint8_t z[66], sd[64];
	const char *why = "unset";

	assert_int_equal(hv_make_credential(&f->pub, name, sizeof(name), secret, slen,
					    NULL, 0, &blob, &enc, &why), 0);
	assert_null(why);
	get_point(f, &enc, &q);
	ecdh_z(f, &q, z);
	kdfe_spec(f->md, z, f->clen, q.x.buffer, f->clen,
		  f->pub.publicArea.unique.ecc.x.buffer, f->clen, sd, f->hl);
	open_blob(f->md, sd, f->sym, &blob, slen);
}

static void vector_l2_32(void **state) { (void)state; check_ecc_vector(&l2, 32); }
static void vector_l2_1(void **state) { (void)state; check_ecc_vector(&l2, 1); }
static void vector_h4_48(void **state) { (void)state; check_ecc_vector(&h4, 48); }
static void vector_h4_16(void **state) { (void)state; check_ecc_vector(&h4, 16); }
static void vector_p521_64(void **state) { (void)state; check_ecc_vector(&p521, 64); }

/* The test entry with scalar 1: QeU is the generator G, and Z =
 * x([dsV]G) = x(QsV), the EK's own x, so the seed is known without any
 * ECDH: KDFe(Z = EK.x, u = G.x, v = EK.x). The same scalar gives the
 * same credential; scalar n-1 gives -G, whose x is G's too. */
static void check_scalar_one(const struct eccfx *f)
{
	TPM2B_ID_OBJECT blob, blob2;
	TPM2B_ENCRYPTED_SECRET enc, enc2;
	TPMS_ECC_POINT q;
	const uint8_t *ekx = f->pub.publicArea.unique.ecc.x.buffer;
	uint8_t d[66] = { 0 }, gx[66], sd[64];
	const char *why = "unset";

	d[f->clen - 1] = 1;
	unhex(f->gx, gx, f->clen);
	assert_int_equal(hv_make_credential_test_ephemeral(&f->pub, name, sizeof(name),
			 secret, f->hl, d, f->clen, &blob, &enc, &why), 0);
	assert_null(why);
	get_point(f, &enc, &q);
	assert_memory_equal(q.x.buffer, gx, f->clen);
	kdfe_spec(f->md, ekx, f->clen, gx, f->clen, ekx, f->clen, sd, f->hl);
	open_blob(f->md, sd, f->sym, &blob, f->hl);

	assert_int_equal(hv_make_credential_test_ephemeral(&f->pub, name, sizeof(name),
			 secret, f->hl, d, f->clen, &blob2, &enc2, &why), 0);
	assert_int_equal(blob.size, blob2.size);
	assert_memory_equal(blob.credential, blob2.credential, blob.size);
	assert_int_equal(enc.size, enc2.size);
	assert_memory_equal(enc.secret, enc2.secret, enc.size);
}

static void scalar_one_l2(void **state) { (void)state; check_scalar_one(&l2); }
static void scalar_one_h4(void **state) { (void)state; check_scalar_one(&h4); }
static void scalar_one_p521(void **state) { (void)state; check_scalar_one(&p521); }

static void scalar_n_minus_1(void **state)
{
	TPM2B_ID_OBJECT blob, blob1;
	TPM2B_ENCRYPTED_SECRET enc, enc1;
	TPMS_ECC_POINT q, g;
	uint8_t d[32], gx[32], sd[32], z[66];
	const char *why = "unset";
	size_t off = 0;

	(void)state;
	unhex(p256_n, d, 32);
	d[31] -= 1;   /* n ends in 0x51: no borrow */
	unhex(l2.gx, gx, 32);
	assert_int_equal(hv_make_credential_test_ephemeral(&l2.pub, name, sizeof(name),
			 secret, 32, d, 32, &blob, &enc, &why), 0);
	assert_null(why);
	get_point(&l2, &enc, &q);
	assert_memory_equal(q.x.buffer, gx, 32);
	/* -G: the same x as G, the other y. */
	memset(d, 0, 31);
	d[31] = 1;
	assert_int_equal(hv_make_credential_test_ephemeral(&l2.pub, name, sizeof(name),
			 secret, 32, d, 32, &blob1, &enc1, &why), 0);
	assert_int_equal(Tss2_MU_TPMS_ECC_POINT_Unmarshal(enc1.secret, enc1.size, &off, &g), 0);
	assert_memory_equal(g.x.buffer, gx, 32);
	assert_memory_not_equal(q.y.buffer, g.y.buffer, 32);
	/* It opens: Z = x([dsV](-G)) = x(-QsV) = EK.x again. */
	ecdh_z(&l2, &q, z);
	assert_memory_equal(z, l2.pub.publicArea.unique.ecc.x.buffer, 32);
	kdfe_spec(l2.md, z, 32, gx, 32, z, 32, sd, 32);
	open_blob(l2.md, sd, l2.sym, &blob, 32);
}

/* Each call a fresh ephemeral key: a new point, a new seed. */
static void ecc_fresh_each_call(void **state)
{
	TPM2B_ID_OBJECT a, b;
	TPM2B_ENCRYPTED_SECRET ea, eb;
	const char *why;

	(void)state;
	assert_int_equal(hv_make_credential(&h4.pub, name, sizeof(name), secret, 32,
					    NULL, 0, &a, &ea, &why), 0);
	assert_int_equal(hv_make_credential(&h4.pub, name, sizeof(name), secret, 32,
					    NULL, 0, &b, &eb, &why), 0);
	assert_int_equal(ea.size, eb.size);
	assert_memory_not_equal(ea.secret, eb.secret, ea.size);
	assert_memory_not_equal(a.credential, b.credential, a.size);
}

enum xedit { X_NONE, X_NAMEALG, X_SIGN, X_UNRESTRICTED, X_SYMALG, X_SYMBITS,
	     X_SCHEME, X_KDF, X_CURVE_BN, X_CURVE_P192, X_CURVE_SM2, X_XSHORT,
	     X_YLONG, X_SIZES_P384, X_CURVE_P384, X_OFFCURVE, X_ZERO, X_SWAP,
	     X_XBIG, X_NAME, X_SECRET };
/* How the call is made: hv_make_credential() with no seed or with one,
 * or the test entry with a scalar, or that entry on the RSA EK. */
enum xmode { M_PLAIN, M_SEED, M_ONE, M_ZERO, M_ORDER, M_FF, M_SHORT, M_LONG,
	     M_NULL, M_RSA };

struct bad_ecc {
	const char *what;
	enum xedit edit;
	enum xmode mode;
	const char *why;
};

#define WHY_ECCSCHEME "EK ECC scheme or KDF is not NULL"
#define WHY_CURVE "EK curve is not NIST P-256, P-384 or P-521"
#define WHY_COORD "EK ECC point's coordinates are not the curve's size"
#define WHY_ONCURVE "EK ECC point is not on its curve"
#define WHY_ECCSEED "a fixed seed is for RSA EKs only: an ECC EK's comes from ECDH"
#define WHY_RANGE "ephemeral scalar is not in [1, n-1]"
#define WHY_ESIZE "ephemeral scalar is not the curve's size"
#define WHY_ERSA "an ephemeral key is for ECC EKs only"

static const struct bad_ecc bad_ecc[] = {
	{ "ECC SHA-1 nameAlg", X_NAMEALG, M_PLAIN, WHY_NAMEALG },
	{ "ECC signing key", X_SIGN, M_PLAIN, WHY_RD },
	{ "ECC not restricted", X_UNRESTRICTED, M_PLAIN, WHY_RD },
	{ "ECC symmetric NULL", X_SYMALG, M_PLAIN, WHY_SYM },
	{ "ECC AES-192", X_SYMBITS, M_PLAIN, WHY_SYM },
	{ "ECDH scheme", X_SCHEME, M_PLAIN, WHY_ECCSCHEME },
	{ "KDF1-SP800-56A kdf", X_KDF, M_PLAIN, WHY_ECCSCHEME },
	{ "BN P-256 curve", X_CURVE_BN, M_PLAIN, WHY_CURVE },
	{ "NIST P-192 curve", X_CURVE_P192, M_PLAIN, WHY_CURVE },
	{ "SM2 P-256 curve", X_CURVE_SM2, M_PLAIN, WHY_CURVE },
	{ "x 31 bytes", X_XSHORT, M_PLAIN, WHY_COORD },
	{ "y 33 bytes", X_YLONG, M_PLAIN, WHY_COORD },
	{ "P-256 EK, 48-byte coordinates", X_SIZES_P384, M_PLAIN, WHY_COORD },
	{ "P-256 point, curve says P-384", X_CURVE_P384, M_PLAIN, WHY_COORD },
	{ "point off the curve (y+1)", X_OFFCURVE, M_PLAIN, WHY_ONCURVE },
	{ "point (0, 0)", X_ZERO, M_PLAIN, WHY_ONCURVE },
	{ "x and y swapped", X_SWAP, M_PLAIN, WHY_ONCURVE },
	{ "x all ones, not below p", X_XBIG, M_PLAIN, WHY_ONCURVE },
	{ "ECC AK name short", X_NAME, M_PLAIN, WHY_NAME },
	{ "ECC secret 33 bytes", X_SECRET, M_PLAIN, WHY_SECRET },
	{ "fixed seed for an ECC EK", X_NONE, M_SEED, WHY_ECCSEED },
	{ "scalar zero", X_NONE, M_ZERO, WHY_RANGE },
	{ "scalar n", X_NONE, M_ORDER, WHY_RANGE },
	{ "scalar all ones", X_NONE, M_FF, WHY_RANGE },
	{ "scalar 31 bytes", X_NONE, M_SHORT, WHY_ESIZE },
	{ "scalar 48 bytes on P-256", X_NONE, M_LONG, WHY_ESIZE },
	{ "scalar NULL", X_NONE, M_NULL, WHY_ESIZE },
	{ "scalar for an RSA EK", X_NONE, M_RSA, WHY_ERSA },
	{ "scalar 1, point off the curve", X_OFFCURVE, M_ONE, WHY_ONCURVE },
};

static void ecc_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_ecc) / sizeof(bad_ecc[0]); i++) {
		const struct bad_ecc *b = &bad_ecc[i];
		TPM2B_PUBLIC ek = b->mode == M_RSA ? l1.pub : l2.pub;
		TPMT_PUBLIC *p = &ek.publicArea;
		TPMS_ECC_PARMS *e = &p->parameters.eccDetail;
		TPMS_ECC_POINT *q = &p->unique.ecc;
		TPM2B_ID_OBJECT blob = { .size = 0x7777 };
		TPM2B_ENCRYPTED_SECRET enc = { .size = 0x7777 };
		uint8_t d[66] = { 0 }, t[66];
		size_t nlen = sizeof(name), slen = 32, dlen = 32;
		const char *why = NULL;
		int rc;

		switch (b->edit) {
		case X_NONE: break;
		case X_NAMEALG: p->nameAlg = TPM2_ALG_SHA1; break;
		case X_SIGN: p->objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT; break;
		case X_UNRESTRICTED: p->objectAttributes &= ~TPMA_OBJECT_RESTRICTED; break;
		case X_SYMALG: e->symmetric.algorithm = TPM2_ALG_NULL; break;
		case X_SYMBITS: e->symmetric.keyBits.aes = 192; break;
		case X_SCHEME: e->scheme.scheme = TPM2_ALG_ECDH;
			e->scheme.details.ecdh.hashAlg = TPM2_ALG_SHA256; break;
		case X_KDF: e->kdf.scheme = TPM2_ALG_KDF1_SP800_56A;
			e->kdf.details.kdf1_sp800_56a.hashAlg = TPM2_ALG_SHA256; break;
		case X_CURVE_BN: e->curveID = TPM2_ECC_BN_P256; break;
		case X_CURVE_P192: e->curveID = TPM2_ECC_NIST_P192; break;
		case X_CURVE_SM2: e->curveID = TPM2_ECC_SM2_P256; break;
		case X_XSHORT: q->x.size = 31; break;
		case X_YLONG: q->y.size = 33; break;
		case X_SIZES_P384: q->x.size = q->y.size = 48; break;
		case X_CURVE_P384: e->curveID = TPM2_ECC_NIST_P384; break;
		case X_OFFCURVE: q->y.buffer[31] ^= 1; break;
		case X_ZERO: memset(q->x.buffer, 0, 32); memset(q->y.buffer, 0, 32); break;
		case X_SWAP:
			memcpy(t, q->x.buffer, 32);
			memcpy(q->x.buffer, q->y.buffer, 32);
			memcpy(q->y.buffer, t, 32);
			break;
		case X_XBIG: memset(q->x.buffer, 0xff, 32); break;
		case X_NAME: nlen = 33; break;
		case X_SECRET: slen = 33; break;
		}
		switch (b->mode) {
		case M_ONE: d[31] = 1; break;
		case M_ORDER: unhex(p256_n, d, 32); break;
		case M_FF: memset(d, 0xff, 32); break;
		case M_SHORT: d[30] = 1; dlen = 31; break;
		case M_LONG: d[47] = 1; dlen = 48; break;
		case M_RSA: d[31] = 1; break;
		default: break;
		}
		print_message("case: %s\n", b->what);
		if (b->mode == M_PLAIN || b->mode == M_SEED)
			rc = hv_make_credential(&ek, name, nlen, secret, slen,
						b->mode == M_SEED ? seed : NULL,
						b->mode == M_SEED ? 32 : 0, &blob, &enc, &why);
		else
			rc = hv_make_credential_test_ephemeral(&ek, name, nlen, secret, slen,
							       b->mode == M_NULL ? NULL : d,
							       dlen, &blob, &enc, &why);
		assert_int_equal(rc, -1);
		assert_non_null(why);
		assert_string_equal(why, b->why);
		assert_int_equal(blob.size, 0x7777);
		assert_int_equal(enc.size, 0x7777);
	}
}

/* l1, the RSA EK, is for the "scalar for an RSA EK" refusal. */
static int setup(void **state)
{
	(void)state;
	if (mk_ek(&l1, 2048, TPM2_ALG_SHA256, EVP_sha256(), 128) < 0 ||
	    mk_ecc_ek(&l2, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, EVP_sha256(), 128) < 0 ||
	    mk_ecc_ek(&h4, TPM2_ECC_NIST_P384, TPM2_ALG_SHA384, EVP_sha384(), 256) < 0 ||
	    mk_ecc_ek(&p521, TPM2_ECC_NIST_P521, TPM2_ALG_SHA512, EVP_sha512(), 256) < 0)
		return -1;
	makecred_fx_inputs();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(l1.priv);
	EVP_PKEY_free(l2.priv);
	EVP_PKEY_free(h4.priv);
	EVP_PKEY_free(p521.priv);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vector_l2_32),
		cmocka_unit_test(vector_l2_1),
		cmocka_unit_test(vector_h4_48),
		cmocka_unit_test(vector_h4_16),
		cmocka_unit_test(vector_p521_64),
		cmocka_unit_test(scalar_one_l2),
		cmocka_unit_test(scalar_one_h4),
		cmocka_unit_test(scalar_one_p521),
		cmocka_unit_test(scalar_n_minus_1),
		cmocka_unit_test(ecc_fresh_each_call),
		cmocka_unit_test(ecc_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
