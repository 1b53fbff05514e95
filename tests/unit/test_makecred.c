/* test_makecred.c: software TPM2_MakeCredential (verifier/makecred.h)
 * for RSA EKs; ECC EKs are in test_makecred_ecc.c.
 *
 * The vector is checked by an inverse written here from the spec, not by
 * the module's helpers: the seed comes back through RSA-OAEP decryption
 * with the EK's private key (Part 1 Annex B.10.3), KDFa is a loop on
 * HMAC() as Part 1 §11.4.10.2 writes it (the module uses OpenSSL's
 * KBKDF), encIdentity decrypts with AES-CFB, IV 0, to the TPM2B
 * secret (§24.4), and the outer HMAC recomputes over encIdentity || name
 * (§24.5); KDFa and the opening are shared with the ECC test
 * (makecred_fx.c). Both RSA EK templates of the TCG EK Credential
 * Profile are covered (L-1: SHA-256, AES-128; H-3: SHA-384, AES-256).
 * Refusals are pinned to their reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "../../verifier/makecred.h"
#include "makecred_fx.h"

static struct ekfx h3;       /* template H-3 (RSA 3072); L-1 is l1 */
static TPM2B_PUBLIC ek_pub;  /* = l1.pub, for the refusal table */

static void make_with(const struct ekfx *f, size_t slen, TPM2B_ID_OBJECT *blob,
		      TPM2B_ENCRYPTED_SECRET *enc)
{
	const char *why = "unset";

	assert_int_equal(hv_make_credential(&f->pub, name, sizeof(name), secret, slen,
					    seed, f->hl, blob, enc, &why), 0);
	assert_null(why);
}

static void make(size_t slen, TPM2B_ID_OBJECT *blob, TPM2B_ENCRYPTED_SECRET *enc)
{
	make_with(&l1, slen, blob, enc);
}

static void check_vector(const struct ekfx *f, size_t slen)
{
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, f->priv, NULL);
	unsigned char *label = OPENSSL_memdup("IDENTITY", 9);
	uint8_t got_seed[512];
	size_t got_len = sizeof(got_seed), hl = f->hl;

	make_with(f, slen, &blob, &enc);
	/* The seed, back through the EK's private key (OAEP and MGF1 with
	 * the nameAlg, label "IDENTITY\0"). */
	assert_int_equal(enc.size, f->pub.publicArea.parameters.rsaDetail.keyBits / 8);
	assert_int_equal(EVP_PKEY_decrypt_init(pc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(pc, f->md), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, f->md), 1);
	assert_int_equal(EVP_PKEY_CTX_set0_rsa_oaep_label(pc, label, 9), 1);
	assert_int_equal(EVP_PKEY_decrypt(pc, got_seed, &got_len, enc.secret, enc.size), 1);
	assert_int_equal(got_len, hl);
	assert_memory_equal(got_seed, seed, hl);
	EVP_PKEY_CTX_free(pc);

	open_blob(f->md, seed, f->sym, &blob, slen);
}

static void vector_l1_32(void **state) { (void)state; check_vector(&l1, 32); }
static void vector_l1_16(void **state) { (void)state; check_vector(&l1, 16); }
static void vector_l1_1(void **state) { (void)state; check_vector(&l1, 1); }
static void vector_h3_48(void **state) { (void)state; check_vector(&h3, 48); }
static void vector_h3_20(void **state) { (void)state; check_vector(&h3, 20); }

/* The same seed gives the same blob; another name another blob; no seed
 * a fresh one each call. */
static void seed_and_name_bind(void **state)
{
	TPM2B_ID_OBJECT a, b, c;
	TPM2B_ENCRYPTED_SECRET ea, eb, ec;
	uint8_t other[34];
	const char *why;

	(void)state;
	make(32, &a, &ea);
	make(32, &b, &eb);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.credential, b.credential, a.size);
	memcpy(other, name, sizeof(other));
	other[33] ^= 1;
	assert_int_equal(hv_make_credential(&ek_pub, other, sizeof(other), secret, 32,
					    seed, 32, &c, &ec, &why), 0);
	assert_memory_not_equal(a.credential, c.credential, a.size);
	assert_int_equal(hv_make_credential(&ek_pub, name, sizeof(name), secret, 32,
					    NULL, 0, &c, &ec, &why), 0);
	assert_memory_not_equal(a.credential, c.credential, a.size);
	assert_memory_not_equal(ea.secret, ec.secret, ec.size);
}

/* --- refusals ------------------------------------------------------- */
enum edit { E_NONE, E_KEYEDHASH, E_NAMEALG, E_UNRESTRICTED, E_SIGN,
	    E_NODECRYPT, E_SYMALG, E_SYMMODE, E_SYMBITS, E_SCHEME, E_MODSIZE,
	    E_KEYBITS };

struct bad {
	const char *what;
	enum edit edit;
	size_t name_len;       /* 0: the good name */
	uint16_t name_alg;     /* 0: the good one */
	size_t secret_len;     /* 0 is a case; SIZE_MAX: 32 */
	size_t seed_len;       /* 0: 32 */
	const char *why;
};

#define WHY_TYPE "EK is not an RSA or ECC key"
#define WHY_SCHEME "EK RSA scheme is not NULL"
#define WHY_MOD "EK RSA modulus is not 2048, 3072 or 4096 bits as keyBits says"
#define WHY_SEED "seed is not the EK nameAlg's digest size"

static const struct bad bad[] = {
	{ "keyedhash EK", E_KEYEDHASH, 0, 0, SIZE_MAX, 0, WHY_TYPE },
	{ "SHA-1 nameAlg", E_NAMEALG, 0, 0, SIZE_MAX, 0, WHY_NAMEALG },
	{ "not restricted", E_UNRESTRICTED, 0, 0, SIZE_MAX, 0, WHY_RD },
	{ "signing key", E_SIGN, 0, 0, SIZE_MAX, 0, WHY_RD },
	{ "not decrypt", E_NODECRYPT, 0, 0, SIZE_MAX, 0, WHY_RD },
	{ "symmetric NULL", E_SYMALG, 0, 0, SIZE_MAX, 0, WHY_SYM },
	{ "symmetric CBC", E_SYMMODE, 0, 0, SIZE_MAX, 0, WHY_SYM },
	{ "AES-192", E_SYMBITS, 0, 0, SIZE_MAX, 0, WHY_SYM },
	{ "OAEP scheme", E_SCHEME, 0, 0, SIZE_MAX, 0, WHY_SCHEME },
	{ "modulus short", E_MODSIZE, 0, 0, SIZE_MAX, 0, WHY_MOD },
	{ "RSA-1024", E_KEYBITS, 0, 0, SIZE_MAX, 0, WHY_MOD },
	{ "name 1 byte", E_NONE, 1, 0, SIZE_MAX, 0, WHY_NAME },
	{ "name short digest", E_NONE, 33, 0, SIZE_MAX, 0, WHY_NAME },
	{ "name long digest", E_NONE, 35, 0, SIZE_MAX, 0, WHY_NAME },
	{ "name SHA-384 alg, 32 bytes", E_NONE, 0, TPM2_ALG_SHA384, SIZE_MAX, 0, WHY_NAME },
	{ "name unknown alg", E_NONE, 0, 0x0099, SIZE_MAX, 0, WHY_NAME },
	{ "secret empty", E_NONE, 0, 0, 0, 0, WHY_SECRET },
	{ "secret 33 bytes", E_NONE, 0, 0, 33, 0, WHY_SECRET },
	{ "seed 31 bytes", E_NONE, 0, 0, SIZE_MAX, 31, WHY_SEED },
	{ "seed 48 bytes", E_NONE, 0, 0, SIZE_MAX, 48, WHY_SEED },
};

static void refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		TPM2B_PUBLIC ek = ek_pub;
		TPMT_PUBLIC *p = &ek.publicArea;
		TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;
		uint8_t nm[40] = { 0 }, sec[40] = { 0 }, sd[64] = { 0 };
		TPM2B_ID_OBJECT blob = { .size = 0x7777 };
		TPM2B_ENCRYPTED_SECRET enc = { .size = 0x7777 };
		const char *why = NULL;

		memcpy(nm, name, sizeof(name));
		if (b->name_alg) {
			nm[0] = b->name_alg >> 8;
			nm[1] = b->name_alg & 0xff;
		}
		switch (b->edit) {
		case E_NONE: break;
		case E_KEYEDHASH: p->type = TPM2_ALG_KEYEDHASH; break;
		case E_NAMEALG: p->nameAlg = TPM2_ALG_SHA1; break;
		case E_UNRESTRICTED: p->objectAttributes &= ~TPMA_OBJECT_RESTRICTED; break;
		case E_SIGN: p->objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT; break;
		case E_NODECRYPT: p->objectAttributes &= ~TPMA_OBJECT_DECRYPT; break;
		case E_SYMALG: r->symmetric.algorithm = TPM2_ALG_NULL; break;
		case E_SYMMODE: r->symmetric.mode.aes = TPM2_ALG_CBC; break;
		case E_SYMBITS: r->symmetric.keyBits.aes = 192; break;
		case E_SCHEME: r->scheme.scheme = TPM2_ALG_OAEP; break;
		case E_MODSIZE: p->unique.rsa.size = 255; break;
		case E_KEYBITS: r->keyBits = 1024; p->unique.rsa.size = 128; break;
		}
		print_message("case: %s\n", b->what);
		assert_int_equal(hv_make_credential(&ek, nm, b->name_len ? b->name_len : 34,
						    sec, b->secret_len == SIZE_MAX ? 32 : b->secret_len,
						    sd, b->seed_len ? b->seed_len : 32,
						    &blob, &enc, &why), -1);
		assert_non_null(why);
		assert_string_equal(why, b->why);
		/* Outputs untouched on failure. */
		assert_int_equal(blob.size, 0x7777);
		assert_int_equal(enc.size, 0x7777);
	}
}

static int setup(void **state)
{
	(void)state;
	if (mk_ek(&l1, 2048, TPM2_ALG_SHA256, EVP_sha256(), 128) < 0 ||
	    mk_ek(&h3, 3072, TPM2_ALG_SHA384, EVP_sha384(), 256) < 0)
		return -1;
	ek_pub = l1.pub;
	makecred_fx_inputs();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(l1.priv);
	EVP_PKEY_free(h3.priv);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vector_l1_32),
		cmocka_unit_test(vector_l1_16),
		cmocka_unit_test(vector_l1_1),
		cmocka_unit_test(vector_h3_48),
		cmocka_unit_test(vector_h3_20),
		cmocka_unit_test(seed_and_name_bind),
		cmocka_unit_test(refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
