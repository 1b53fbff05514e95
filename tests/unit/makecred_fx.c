/* makecred_fx.c: the EK, inputs and inverse test_makecred.c and
 * test_makecred_ecc.c share (see makecred_fx.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "makecred_fx.h"

struct ekfx l1;
uint8_t seed[64], name[34], secret[64];

/* The TCG EK Credential Profile RSA templates: L-1 is RSA 2048, SHA-256,
 * AES-128-CFB; H-3 is RSA 3072, SHA-384, AES-256-CFB. The modulus comes
 * from an OpenSSL key. */
int mk_ek(struct ekfx *f, unsigned bits, uint16_t alg, const EVP_MD *md,
	  unsigned sym_bits)
{
	BIGNUM *n = NULL;
	TPMT_PUBLIC *p = &f->pub.publicArea;
	int ret = -1;

	f->priv = EVP_RSA_gen(bits);
	f->md = md;
	f->hl = (size_t)EVP_MD_get_size(md);
	f->sym = sym_bits / 8;
	p->type = TPM2_ALG_RSA;
	p->nameAlg = alg;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.rsaDetail.symmetric.keyBits.aes = (uint16_t)sym_bits;
	p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = (uint16_t)bits;
	p->unique.rsa.size = (uint16_t)(bits / 8);
	if (f->priv && EVP_PKEY_get_bn_param(f->priv, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    BN_bn2binpad(n, p->unique.rsa.buffer, (int)(bits / 8)) == (int)(bits / 8))
		ret = 0;
	BN_free(n);
	return ret;
}

/* KDFa from Part 1 §11.4.10.2, one HMAC per digest-sized block. */
void kdfa_spec(const EVP_MD *md, const uint8_t *key, size_t keylen,
	       const char *label, const uint8_t *ctx, size_t ctxlen,
	       uint8_t *out, size_t bytes)
{
	uint8_t msg[4 + 32 + 1 + 128 + 4], blk[64];
	size_t hl = (size_t)EVP_MD_get_size(md);
	uint32_t bits = (uint32_t)bytes * 8;
	size_t lablen = strlen(label) + 1;   /* with its NUL */
	unsigned blen;

	for (size_t i = 1, done = 0; done < bytes; i++) {
		size_t m = 0;

		msg[m++] = i >> 24; msg[m++] = i >> 16; msg[m++] = i >> 8; msg[m++] = i;
		memcpy(msg + m, label, lablen);
		m += lablen;
		if (ctxlen)
			memcpy(msg + m, ctx, ctxlen);
		m += ctxlen;
		msg[m++] = bits >> 24; msg[m++] = bits >> 16; msg[m++] = bits >> 8; msg[m++] = bits;
		assert_non_null(HMAC(md, key, (int)keylen, msg, m, blk, &blen));
		memcpy(out + done, blk, bytes - done < hl ? bytes - done : hl);
		done += hl;
	}
}

/* Open BLOB with SEED as the TPM does (Part 1 §24.4, §24.5): the outer
 * HMAC over encIdentity || name, then AES-CFB with IV 0 to the TPM2B
 * secret, which must be the test's SLEN bytes. */
void open_blob(const EVP_MD *md, const uint8_t *sd, size_t symlen,
	       const TPM2B_ID_OBJECT *blob, size_t slen)
{
	uint8_t sym[32], hkey[64], mac[64], plain[66], msg[160];
	size_t enc_len, hl = (size_t)EVP_MD_get_size(md);
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	static const uint8_t iv[16];
	unsigned mlen;
	int n;

	/* blob = size (2) || HMAC (hl) || encIdentity (2 + slen). */
	enc_len = 2 + slen;
	assert_int_equal(blob->size, 2 + hl + enc_len);
	assert_int_equal(blob->credential[0], 0x00);
	assert_int_equal(blob->credential[1], hl);
	kdfa_spec(md, sd, hl, "STORAGE", name, sizeof(name), sym, symlen);
	assert_int_equal(EVP_DecryptInit_ex(cc, symlen == 32 ? EVP_aes_256_cfb128() :
					    EVP_aes_128_cfb128(), NULL, sym, iv), 1);
	assert_int_equal(EVP_DecryptUpdate(cc, plain, &n, blob->credential + 2 + hl,
					   (int)enc_len), 1);
	assert_int_equal(n, (int)enc_len);
	EVP_CIPHER_CTX_free(cc);
	assert_int_equal(plain[0], 0);
	assert_int_equal(plain[1], slen);
	assert_memory_equal(plain + 2, secret, slen);

	kdfa_spec(md, sd, hl, "INTEGRITY", NULL, 0, hkey, hl);
	memcpy(msg, blob->credential + 2 + hl, enc_len);
	memcpy(msg + enc_len, name, sizeof(name));
	assert_non_null(HMAC(md, hkey, (int)hl, msg, enc_len + sizeof(name), mac, &mlen));
	assert_int_equal(mlen, hl);
	assert_memory_equal(mac, blob->credential + 2, hl);
}

void makecred_fx_inputs(void)
{
	for (int i = 0; i < 64; i++) {
		seed[i] = (uint8_t)(0xa0 + i);
		secret[i] = (uint8_t)(0x10 + i);
	}
	for (int i = 0; i < 32; i++)
		name[2 + i] = (uint8_t)(0x55 ^ i);
	name[0] = 0x00;
	name[1] = 0x0b;   /* TPM2_ALG_SHA256 */
}
