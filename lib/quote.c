/* quote.c: see quote.h. */
#include "quote.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "digest.h"

const char *hg_qcheck_name(enum hg_qcheck c)
{
	switch (c) {
	case QC_OK: return "ok";
	case QC_SIGNATURE: return "signature";
	case QC_ATTEST: return "attest";
	case QC_NONCE: return "nonce";
	case QC_PCR_DIGEST: return "pcr-digest";
	}
	return "?";
}

static int fail(struct hg_quote_result *res, enum hg_qcheck c, const char *why)
{
	res->failed = c;
	res->why = why;
	return -1;
}

/* ECDSA r, s as TPM2B buffers -> DER, the form OpenSSL verifies. */
static int ecdsa_der(const TPMS_SIGNATURE_ECDSA *e, uint8_t **der, int *len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	BIGNUM *sv = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	int ret = -1;

	if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv))
		goto out;
	r = sv = NULL;
	*der = NULL;
	*len = i2d_ECDSA_SIG(s, der);
	ret = *len > 0 ? 0 : -1;
out:
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return ret;
}

static int verify_sig(const struct hg_ak *ak, const uint8_t *msg, size_t len,
		      const TPMT_SIGNATURE *ts, const char **why)
{
	const EVP_MD *md = hg_bank_md(hg_bank_by_alg(ak->hash));
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	const uint8_t *sig;
	int siglen, ret = -1;

	*why = "signature does not verify under the AK";
	if (ts->sigAlg != ak->scheme) {
		*why = "signature algorithm differs from the AK's scheme";
		return -1;
	}
	if (ts->sigAlg == TPM2_ALG_ECDSA) {
		if (ts->signature.ecdsa.hash != ak->hash) {
			*why = "signature hash differs from the AK's scheme";
			return -1;
		}
		if (ecdsa_der(&ts->signature.ecdsa, &der, &siglen) < 0)
			return -1;
		sig = der;
	} else {
		const TPMS_SIGNATURE_RSA *r = &ts->signature.rsassa;

		if (r->hash != ak->hash) {
			*why = "signature hash differs from the AK's scheme";
			return -1;
		}
		sig = r->sig.buffer;
		siglen = r->sig.size;
	}
	ctx = EVP_MD_CTX_new();
	if (!md || !ctx ||
	    EVP_DigestVerifyInit(ctx, &pctx, md, NULL, ak->key) != 1)
		goto out;
	if (ts->sigAlg == TPM2_ALG_RSAPSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1))
		goto out;
	if (EVP_DigestVerify(ctx, sig, (size_t)siglen, msg, len) == 1)
		ret = 0;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return ret;
}

int hg_quote_verify(const struct hg_ak *ak, const uint8_t *attest,
		    size_t attest_len, const uint8_t *sig, size_t sig_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const struct hg_pcr_values *pcrs,
		    struct hg_quote_result *res)
{
	TPMT_SIGNATURE ts;
	const TPMS_QUOTE_INFO *q;
	size_t off = 0;
	const char *why;

	memset(res, 0, sizeof(*res));
	memset(&ts, 0, sizeof(ts));
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, &ts) != 0)
		return fail(res, QC_SIGNATURE, "not a TPMT_SIGNATURE");
	if (off != sig_len)
		return fail(res, QC_SIGNATURE, "trailing bytes after TPMT_SIGNATURE");
	if (verify_sig(ak, attest, attest_len, &ts, &why) < 0)
		return fail(res, QC_SIGNATURE, why);
	off = 0;
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest, attest_len, &off, &res->attest) != 0)
		return fail(res, QC_ATTEST, "not a TPMS_ATTEST");
	if (off != attest_len)
		return fail(res, QC_ATTEST, "trailing bytes after TPMS_ATTEST");
	if (res->attest.magic != TPM2_GENERATED_VALUE)
		return fail(res, QC_ATTEST, "magic is not TPM_GENERATED_VALUE");
	if (res->attest.type != TPM2_ST_ATTEST_QUOTE)
		return fail(res, QC_ATTEST, "type is not TPM_ST_ATTEST_QUOTE");
	q = &res->attest.attested.quote;
	if (q->pcrSelect.count == 0 || q->pcrSelect.count > HG_MAX_BANKS)
		return fail(res, QC_ATTEST, "PCR selection has no bank or too many");
	res->sel.n = q->pcrSelect.count;
	for (UINT32 i = 0; i < q->pcrSelect.count; i++) {
		const TPMS_PCR_SELECTION *s = &q->pcrSelect.pcrSelections[i];
		uint32_t m = 0;

		if (!hg_bank_by_alg(s->hash))
			return fail(res, QC_ATTEST, "PCR selection names an unknown bank");
		for (UINT32 j = 0; j < i; j++)
			if (q->pcrSelect.pcrSelections[j].hash == s->hash)
				return fail(res, QC_ATTEST, "PCR selection names a bank twice");
		/* A TPM refuses a selection shorter than PCR_SELECT_MIN (3
		 * octets for 24 PCRs, PC Client PTP) and tss2-mu one longer
		 * than TPM2_PCR_SELECT_MAX (4): anything else was not signed
		 * by a TPM following the spec. */
		if (s->sizeofSelect < 3)
			return fail(res, QC_ATTEST, "PCR selection sizeofSelect is under 3 octets");
		for (unsigned b = 0; b < s->sizeofSelect && b < 3; b++)
			m |= (uint32_t)s->pcrSelect[b] << (8 * b);
		for (unsigned b = 3; b < s->sizeofSelect; b++)
			if (s->pcrSelect[b])
				return fail(res, QC_ATTEST, "PCR selection beyond PCR 23");
		res->sel.b[i].alg = s->hash;
		res->sel.b[i].mask = m;
	}
	if (res->attest.extraData.size != nonce_len ||
	    memcmp(res->attest.extraData.buffer, nonce, nonce_len))
		return fail(res, QC_NONCE, "quote extraData does not equal the nonce");
	if (pcrs) {
		struct hg_digest d;

		/* The digest uses the signing scheme's hash, not the
		 * banks' (Part 3 §18.4). */
		if (hg_pcr_digest(&res->sel, pcrs, ak->hash, &d) < 0)
			return fail(res, QC_PCR_DIGEST,
				    "PCR values do not cover the quoted selection exactly, in its order");
		if (q->pcrDigest.size != d.len ||
		    memcmp(q->pcrDigest.buffer, d.d, d.len))
			return fail(res, QC_PCR_DIGEST,
				    "PCR values do not hash to the quoted pcrDigest");
	}
	return 0;
}
