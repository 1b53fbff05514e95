/* test_quote.c: hg_quote_verify() (lib/quote.h) on quotes made here, signed
 * by a software P-256 or P-384 key posing as an AK: every rule on the
 * attest (magic, type, the PCR selection's banks, sizes and bits), the
 * nonce, and the PCR values (exact selection, in its order, hashed with
 * the signing scheme's hash, not a bank's). Each row is signed, so the
 * signature passes and the rule under test is the only thing wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "../../lib/quote.h"

static EVP_PKEY *k256, *k384;
static struct hg_ak ak256, ak384;
static const uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void bn_out(EVP_PKEY *k, const char *param, uint8_t *buf, UINT16 *size, size_t len)
{
	BIGNUM *bn = NULL;

	assert_true(EVP_PKEY_get_bn_param(k, param, &bn));
	assert_true(BN_bn2binpad(bn, buf, (int)len) > 0);
	*size = (UINT16)len;
	BN_free(bn);
}

static int make_ak(EVP_PKEY *k, int p384, struct hg_ak *ak)
{
	TPM2B_PUBLIC pub = { 0 };
	TPMT_PUBLIC *p = &pub.publicArea;
	size_t sz = p384 ? 48 : 32, off = 0;
	uint8_t buf[sizeof(pub)];
	const char *why;

	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = 0x00050072;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = p384 ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = p384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
	bn_out(k, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, &p->unique.ecc.x.size, sz);
	bn_out(k, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, &p->unique.ecc.y.size, sz);
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, sizeof(buf), &off) != 0)
		return -1;
	return hg_ak_decode(buf, off, ak, &why);
}

static int setup(void **state)
{
	(void)state;
	k256 = EVP_EC_gen("P-256");
	k384 = EVP_EC_gen("P-384");
	if (!k256 || !k384 || make_ak(k256, 0, &ak256) < 0 || make_ak(k384, 1, &ak384) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hg_ak_free(&ak256);
	hg_ak_free(&ak384);
	EVP_PKEY_free(k256);
	EVP_PKEY_free(k384);
	return 0;
}

/* A quote over sha1 {0, 13} + sha256 {0, 13} (PCR i of bank b holds bytes
 * b*16+i), pcrDigest with the AK scheme's hash. */
struct q {
	TPMS_ATTEST a;
	struct hg_pcr_values v;
	uint8_t attest[sizeof(TPMS_ATTEST)];
	size_t attest_len;
	uint8_t sig[sizeof(TPMT_SIGNATURE)];
	size_t sig_len;
};

static void add_value(struct hg_pcr_values *v, uint16_t alg, unsigned pcr)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);
	struct hg_pcr_value *x = &v->v[v->n++];

	x->alg = alg;
	x->pcr = (uint8_t)pcr;
	x->len = (uint8_t)b->size;
	memset(x->d, (int)(alg * 16 + pcr), b->size);
}

static void base(struct q *q, const struct hg_ak *ak)
{
	TPMS_QUOTE_INFO *qi = &q->a.attested.quote;
	struct hg_pcr_sel sel = { .n = 2, .b = { { TPM2_ALG_SHA1, 0x2001 }, { TPM2_ALG_SHA256, 0x2001 } } };
	struct hg_digest d;

	memset(q, 0, sizeof(*q));
	q->a.magic = TPM2_GENERATED_VALUE;
	q->a.type = TPM2_ST_ATTEST_QUOTE;
	q->a.extraData.size = sizeof(nonce);
	memcpy(q->a.extraData.buffer, nonce, sizeof(nonce));
	qi->pcrSelect.count = 2;
	for (int i = 0; i < 2; i++) {
		qi->pcrSelect.pcrSelections[i].hash = sel.b[i].alg;
		qi->pcrSelect.pcrSelections[i].sizeofSelect = 3;
		qi->pcrSelect.pcrSelections[i].pcrSelect[0] = 0x01;
		qi->pcrSelect.pcrSelections[i].pcrSelect[1] = 0x20;
	}
	add_value(&q->v, TPM2_ALG_SHA1, 0);
	add_value(&q->v, TPM2_ALG_SHA1, 13);
	add_value(&q->v, TPM2_ALG_SHA256, 0);
	add_value(&q->v, TPM2_ALG_SHA256, 13);
	assert_int_equal(hg_pcr_digest(&sel, &q->v, ak->hash, &d), 0);
	qi->pcrDigest.size = d.len;
	memcpy(qi->pcrDigest.buffer, d.d, d.len);
}

/* Marshal the attest and sign it with K (ECDSA, the AK's hash). */
static void sign(struct q *q, EVP_PKEY *k, const struct hg_ak *ak)
{
	TPMT_SIGNATURE ts = { .sigAlg = TPM2_ALG_ECDSA };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[160];
	const uint8_t *pd = der;
	size_t dlen = sizeof(der), sz = ak == &ak384 ? 48 : 32;
	ECDSA_SIG *s;
	const BIGNUM *r, *sv;

	q->attest_len = 0;
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&q->a, q->attest, sizeof(q->attest),
						     &q->attest_len), 0);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, hg_bank_md(hg_bank_by_alg(ak->hash)),
					    NULL, k), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dlen, q->attest, q->attest_len), 1);
	assert_non_null(s = d2i_ECDSA_SIG(NULL, &pd, (long)dlen));
	ECDSA_SIG_get0(s, &r, &sv);
	ts.signature.ecdsa.hash = ak->hash;
	ts.signature.ecdsa.signatureR.size = (UINT16)sz;
	ts.signature.ecdsa.signatureS.size = (UINT16)sz;
	BN_bn2binpad(r, ts.signature.ecdsa.signatureR.buffer, (int)sz);
	BN_bn2binpad(sv, ts.signature.ecdsa.signatureS.buffer, (int)sz);
	q->sig_len = 0;
	assert_int_equal(Tss2_MU_TPMT_SIGNATURE_Marshal(&ts, q->sig, sizeof(q->sig), &q->sig_len), 0);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(ctx);
}

#define SELS(q) ((q)->a.attested.quote.pcrSelect.pcrSelections)

static void m_none(struct q *q) { (void)q; }
static void m_magic(struct q *q) { q->a.magic = TPM2_GENERATED_VALUE ^ 1; }
static void m_type(struct q *q) { q->a.type = TPM2_ST_ATTEST_CERTIFY; }
static void m_no_bank(struct q *q) { q->a.attested.quote.pcrSelect.count = 0; }
static void m_bank_twice(struct q *q) { SELS(q)[1].hash = TPM2_ALG_SHA1; }
static void m_bank_unknown(struct q *q) { SELS(q)[1].hash = TPM2_ALG_SM3_256; }
static void m_size2(struct q *q) { SELS(q)[1].sizeofSelect = 2; }
static void m_size1(struct q *q) { SELS(q)[0].sizeofSelect = 1; }
static void m_size0(struct q *q) { SELS(q)[0].sizeofSelect = 0; }
static void m_size4_zero(struct q *q) { SELS(q)[0].sizeofSelect = 4; }
static void m_size4_pcr24(struct q *q) { SELS(q)[0].sizeofSelect = 4; SELS(q)[0].pcrSelect[3] = 1; }
static void m_nonce_other(struct q *q) { q->a.extraData.buffer[7] ^= 1; }
static void m_nonce_longer(struct q *q) { q->a.extraData.size = 9; }
static void m_nonce_empty(struct q *q) { q->a.extraData.size = 0; }
/* Values: the evidence's list, edited after the digest was made. */
static void v_swap_banks(struct q *q)
{
	struct hg_pcr_value t = q->v.v[0];

	q->v.v[0] = q->v.v[2];
	q->v.v[2] = t;
	t = q->v.v[1];
	q->v.v[1] = q->v.v[3];
	q->v.v[3] = t;
}
static void v_swap_in_bank(struct q *q)
{
	struct hg_pcr_value t = q->v.v[2];

	q->v.v[2] = q->v.v[3];
	q->v.v[3] = t;
}
static void v_drop(struct q *q) { q->v.n--; }
static void v_extra(struct q *q) { add_value(&q->v, TPM2_ALG_SHA256, 14); }
static void v_dup(struct q *q) { q->v.v[3] = q->v.v[2]; }
static void v_flip(struct q *q) { q->v.v[1].d[0] ^= 1; }
/* The digest made with a bank's hash (sha256) instead of the scheme's. */
static void m_digest_bank_hash(struct q *q)
{
	struct hg_pcr_sel sel = { .n = 2, .b = { { TPM2_ALG_SHA1, 0x2001 }, { TPM2_ALG_SHA256, 0x2001 } } };
	struct hg_digest d;

	assert_int_equal(hg_pcr_digest(&sel, &q->v, TPM2_ALG_SHA256, &d), 0);
	q->a.attested.quote.pcrDigest.size = d.len;
	memcpy(q->a.attested.quote.pcrDigest.buffer, d.d, d.len);
}

static const struct row {
	const char *name;
	int p384;
	void (*attest)(struct q *);    /* before signing */
	void (*values)(struct q *);    /* after */
	enum hg_qcheck want;
	const char *why;
} rows[] = {
	{ "p256 genuine", 0, m_none, m_none, QC_OK, NULL },
	{ "p384 sha384 genuine", 1, m_none, m_none, QC_OK, NULL },
	{ "sizeofSelect 4, PCR 24+ clear", 0, m_size4_zero, m_none, QC_OK, NULL },
	{ "magic not TPM_GENERATED", 0, m_magic, m_none, QC_ATTEST, "magic is not TPM_GENERATED_VALUE" },
	{ "type certify", 0, m_type, m_none, QC_ATTEST, "type is not TPM_ST_ATTEST_QUOTE" },
	{ "no bank", 0, m_no_bank, m_none, QC_ATTEST, "no bank or too many" },
	{ "bank listed twice", 0, m_bank_twice, m_none, QC_ATTEST, "names a bank twice" },
	{ "unknown bank", 0, m_bank_unknown, m_none, QC_ATTEST, "unknown bank" },
	{ "sizeofSelect 2", 0, m_size2, m_none, QC_ATTEST, "sizeofSelect is under 3" },
	{ "sizeofSelect 1", 0, m_size1, m_none, QC_ATTEST, "sizeofSelect is under 3" },
	{ "sizeofSelect 0", 0, m_size0, m_none, QC_ATTEST, "sizeofSelect is under 3" },
	{ "PCR 24 selected", 0, m_size4_pcr24, m_none, QC_ATTEST, "beyond PCR 23" },
	{ "nonce differs", 0, m_nonce_other, m_none, QC_NONCE, "does not equal the nonce" },
	{ "nonce one byte longer", 0, m_nonce_longer, m_none, QC_NONCE, "does not equal the nonce" },
	{ "nonce empty", 0, m_nonce_empty, m_none, QC_NONCE, "does not equal the nonce" },
	{ "values: banks in the other order", 0, m_none, v_swap_banks, QC_PCR_DIGEST, "in its order" },
	{ "values: PCRs of a bank swapped", 0, m_none, v_swap_in_bank, QC_PCR_DIGEST, "in its order" },
	{ "values: one missing", 0, m_none, v_drop, QC_PCR_DIGEST, "cover the quoted selection exactly" },
	{ "values: one extra", 0, m_none, v_extra, QC_PCR_DIGEST, "cover the quoted selection exactly" },
	{ "values: one twice, one missing", 0, m_none, v_dup, QC_PCR_DIGEST, "cover the quoted selection exactly" },
	{ "values: one changed", 0, m_none, v_flip, QC_PCR_DIGEST, "do not hash to the quoted pcrDigest" },
	{ "p384 digest with a bank's hash", 1, m_digest_bank_hash, m_none, QC_PCR_DIGEST,
	  "do not hash to the quoted pcrDigest" },
};

static void test_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		const struct hg_ak *ak = r->p384 ? &ak384 : &ak256;
		struct q *q = test_malloc(sizeof(*q));
		struct hg_quote_result *res = test_malloc(sizeof(*res));
		int rc;

		base(q, ak);
		r->attest(q);
		sign(q, r->p384 ? k384 : k256, ak);
		r->values(q);
		rc = hg_quote_verify(ak, q->attest, q->attest_len, q->sig, q->sig_len, nonce,
				     sizeof(nonce), &q->v, res);
		if (r->want == QC_OK ? rc != 0
				     : rc == 0 || res->failed != r->want || !strstr(res->why, r->why)) {
			print_error("row \"%s\": rc %d, %s: %s\n", r->name, rc,
				    hg_qcheck_name(res->failed), res->why ? res->why : "");
			bad++;
		}
		test_free(q);
		test_free(res);
	}
	assert_int_equal(bad, 0);
}

/* The signature is checked first: a valid attest signed by another key,
 * or a signature whose hash is not the AK's, stops there. */
static void test_signature_first(void **state)
{
	struct q *q = test_malloc(sizeof(*q));
	struct hg_quote_result *res = test_malloc(sizeof(*res));

	(void)state;
	base(q, &ak256);
	m_magic(q);
	sign(q, k384, &ak384);     /* another key, another hash */
	assert_int_equal(hg_quote_verify(&ak256, q->attest, q->attest_len, q->sig, q->sig_len,
					 nonce, sizeof(nonce), &q->v, res), -1);
	assert_int_equal(res->failed, QC_SIGNATURE);
	assert_string_equal(res->why, "signature hash differs from the AK's scheme");
	q->sig[q->sig_len] = 0;
	assert_int_equal(hg_quote_verify(&ak384, q->attest, q->attest_len, q->sig, q->sig_len + 1,
					 nonce, sizeof(nonce), &q->v, res), -1);
	assert_string_equal(res->why, "trailing bytes after TPMT_SIGNATURE");
	test_free(q);
	test_free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_signature_first),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
