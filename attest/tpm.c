/* tpm.c: see tpm.h. */
#include "tpm.h"

#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "../lib/util.h"

static int rc_ok(TSS2_RC rc, const char *call)
{
	if (rc == TSS2_RC_SUCCESS)
		return 1;
	hg_err("TPM: %s failed: 0x%08x: %s", call, rc, Tss2_RC_Decode(rc));
	return 0;
}

int hg_tpm_open(const char *tcti, struct hg_tpm *t)
{
	memset(t, 0, sizeof(*t));
	if (!rc_ok(Tss2_TctiLdr_Initialize(tcti, &t->tcti),
		   "Tss2_TctiLdr_Initialize"))
		goto fail;
	if (!rc_ok(Esys_Initialize(&t->esys, t->tcti, NULL), "Esys_Initialize"))
		goto fail;
	return 0;
fail:
	hg_err("TPM: cannot connect through TCTI \"%s\"", tcti);
	hg_tpm_close(t);
	return -1;
}

void hg_tpm_close(struct hg_tpm *t)
{
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	memset(t, 0, sizeof(*t));
}

void hg_tpm_flush(struct hg_tpm *t, ESYS_TR h)
{
	if (h != ESYS_TR_NONE)
		rc_ok(Esys_FlushContext(t->esys, h), "Esys_FlushContext");
}

int hg_tpm_banks(struct hg_tpm *t, uint16_t *algs, size_t *n)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = 0;
	size_t count = 0;
	int ret = -1;

	if (!rc_ok(Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
				      ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more,
				      &cap),
		   "Esys_GetCapability(TPM_CAP_PCRS)"))
		goto out;
	for (UINT32 i = 0; i < cap->data.assignedPCR.count; i++) {
		const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
		int any = 0;

		for (UINT8 j = 0; j < s->sizeofSelect && j < TPM2_PCR_SELECT_MAX; j++)
			any |= s->pcrSelect[j];
		if (!any)
			continue;
		if (!hg_bank_by_alg(s->hash)) {
			hg_err("TPM: PCR bank with algorithm 0x%04x is active "
			       "but not supported by hostgate", s->hash);
			goto out;
		}
		if (count == HG_MAX_BANKS) {
			hg_err("TPM: more than %d active PCR banks", HG_MAX_BANKS);
			goto out;
		}
		algs[count++] = s->hash;
	}
	if (count == 0) {
		hg_err("TPM: no active PCR bank");
		goto out;
	}
	*n = count;
	ret = 0;
out:
	free(cap);
	return ret;
}

int hg_tpm_pcr_read(struct hg_tpm *t, uint32_t pcr, const uint16_t *algs,
		    size_t n, struct hg_digests *out)
{
	int ret = -1;

	if (pcr > 23 || n == 0 || n > HG_MAX_BANKS)
		return -1;
	/* A PCR can change between two PCR_Read calls; start over when the
	 * update counter moves (Part 3 §22.4). Bounded retries. */
	for (int attempt = 0; attempt < 8; attempt++) {
		TPML_PCR_SELECTION want = { 0 };
		UINT32 first_counter = 0;
		int have_counter = 0, moved = 0;

		memset(out, 0, sizeof(*out));
		want.count = (UINT32)n;
		for (size_t i = 0; i < n; i++) {
			want.pcrSelections[i].hash = algs[i];
			want.pcrSelections[i].sizeofSelect = 3;
			want.pcrSelections[i].pcrSelect[pcr / 8] = 1u << (pcr % 8);
		}
		while (out->n < n && !moved) {
			TPML_PCR_SELECTION *got = NULL;
			TPML_DIGEST *vals = NULL;
			UINT32 counter = 0;
			size_t k = 0, before = out->n;

			if (!rc_ok(Esys_PCR_Read(t->esys, ESYS_TR_NONE,
						 ESYS_TR_NONE, ESYS_TR_NONE,
						 &want, &counter, &got, &vals),
				   "Esys_PCR_Read"))
				return -1;
			if (have_counter && counter != first_counter)
				moved = 1;
			first_counter = counter;
			have_counter = 1;
			/* Match returned digests to banks in selection order,
			 * and clear what was read from the request. */
			for (UINT32 i = 0; i < got->count && !moved; i++) {
				TPMS_PCR_SELECTION *s = &got->pcrSelections[i];

				if (!(s->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
					continue;
				if (k >= vals->count || out->n >= HG_MAX_BANKS ||
				    vals->digests[k].size > HG_MAX_DIGEST)
					break;
				out->v[out->n].alg = s->hash;
				out->v[out->n].len = (uint8_t)vals->digests[k].size;
				memcpy(out->v[out->n].d, vals->digests[k].buffer,
				       vals->digests[k].size);
				out->n++;
				k++;
				for (UINT32 j = 0; j < want.count; j++)
					if (want.pcrSelections[j].hash == s->hash)
						memset(want.pcrSelections[j].pcrSelect,
						       0, 3);
			}
			free(got);
			free(vals);
			if (out->n == before && !moved) {
				hg_err("TPM: PCR_Read returned no digest for PCR %u", pcr);
				return -1;
			}
		}
		if (!moved) {
			/* Put them in the caller's bank order. */
			struct hg_digests sorted = { 0 };

			for (size_t i = 0; i < n; i++) {
				const struct hg_digest *d = hg_digests_get(out, algs[i]);

				if (!d) {
					hg_err("TPM: PCR_Read missed bank 0x%04x", algs[i]);
					return -1;
				}
				sorted.v[sorted.n++] = *d;
			}
			*out = sorted;
			ret = 0;
			break;
		}
	}
	if (ret < 0)
		hg_err("TPM: PCR %u kept changing while being read", pcr);
	return ret;
}

int hg_tpm_pcr_extend(struct hg_tpm *t, uint32_t pcr,
		      const struct hg_digests *d)
{
	TPML_DIGEST_VALUES v = { 0 };

	if (pcr > 23 || d->n == 0 || d->n > HG_MAX_BANKS)
		return -1;
	v.count = (UINT32)d->n;
	for (size_t i = 0; i < d->n; i++) {
		v.digests[i].hashAlg = d->v[i].alg;
		memcpy(&v.digests[i].digest, d->v[i].d, d->v[i].len);
	}
	if (!rc_ok(Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD,
				   ESYS_TR_NONE, ESYS_TR_NONE, &v),
		   "Esys_PCR_Extend"))
		return -1;
	return 0;
}

/* TCG EK Credential Profile 2.0, §B.3.3: PolicyA_SHA256 =
 * PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy_a_sha256[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
	0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
	0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

int hg_tpm_ek_create(struct hg_tpm *t, ESYS_TR *ek)
{
	/* Template L-2 (ECC NIST P-256), EK Credential Profile §B.3.4. The
	 * unique field is two 32-byte zero buffers, as the profile fixes. */
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_ADMINWITHPOLICY |
					    TPMA_OBJECT_RESTRICTED |
					    TPMA_OBJECT_DECRYPT,
			.authPolicy = { .size = 32 },
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES,
					       .keyBits.aes = 128,
					       .mode.aes = TPM2_ALG_CFB },
				.scheme = { .scheme = TPM2_ALG_NULL },
				.curveID = TPM2_ECC_NIST_P256,
				.kdf = { .scheme = TPM2_ALG_NULL },
			},
			.unique.ecc = { .x = { .size = 32 }, .y = { .size = 32 } },
		},
	};
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };

	memcpy(tmpl.publicArea.authPolicy.buffer, ek_policy_a_sha256, 32);
	if (!rc_ok(Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT,
				      ESYS_TR_PASSWORD, ESYS_TR_NONE,
				      ESYS_TR_NONE, &sens, &tmpl, &outside,
				      &none, ek, NULL, NULL, NULL, NULL),
		   "Esys_CreatePrimary(EK)"))
		return -1;
	return 0;
}

/* The EK has userWithAuth clear: every use as a parent needs a fresh
 * policy session satisfying PolicySecret(TPM_RH_ENDORSEMENT). */
static int ek_session(struct hg_tpm *t, ESYS_TR *session)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };

	*session = ESYS_TR_NONE;
	if (!rc_ok(Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, NULL, TPM2_SE_POLICY,
					 &sym, TPM2_ALG_SHA256, session),
		   "Esys_StartAuthSession"))
		return -1;
	if (!rc_ok(Esys_PolicySecret(t->esys, ESYS_TR_RH_ENDORSEMENT, *session,
				     ESYS_TR_PASSWORD, ESYS_TR_NONE,
				     ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL,
				     NULL),
		   "Esys_PolicySecret(TPM_RH_ENDORSEMENT)")) {
		hg_tpm_flush(t, *session);
		*session = ESYS_TR_NONE;
		return -1;
	}
	return 0;
}

int hg_tpm_ak_create(struct hg_tpm *t, ESYS_TR ek, enum hg_ak_alg alg,
		     TPM2B_PUBLIC **pub, TPM2B_PRIVATE **priv)
{
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.nameAlg = TPM2_ALG_SHA256,
			/* Restricted signing: the TPM refuses to sign data
			 * starting with TPM_GENERATED_VALUE, which is what
			 * makes its quotes unforgeable (Part 1 §25.2). */
			.objectAttributes = TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_RESTRICTED |
					    TPMA_OBJECT_SIGN_ENCRYPT,
		},
	};
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	ESYS_TR session;
	TSS2_RC rc;

	if (alg == HG_AK_RSA) {
		tmpl.publicArea.type = TPM2_ALG_RSA;
		tmpl.publicArea.parameters.rsaDetail = (TPMS_RSA_PARMS){
			.symmetric = { .algorithm = TPM2_ALG_NULL },
			.scheme = { .scheme = TPM2_ALG_RSASSA,
				    .details.rsassa.hashAlg = TPM2_ALG_SHA256 },
			.keyBits = 2048,
			.exponent = 0,
		};
	} else {
		tmpl.publicArea.type = TPM2_ALG_ECC;
		tmpl.publicArea.parameters.eccDetail = (TPMS_ECC_PARMS){
			.symmetric = { .algorithm = TPM2_ALG_NULL },
			.scheme = { .scheme = TPM2_ALG_ECDSA,
				    .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf = { .scheme = TPM2_ALG_NULL },
		};
	}
	if (ek_session(t, &session) < 0)
		return -1;
	rc = Esys_Create(t->esys, ek, session, ESYS_TR_NONE, ESYS_TR_NONE,
			 &sens, &tmpl, &outside, &none, priv, pub, NULL, NULL,
			 NULL);
	hg_tpm_flush(t, session);
	return rc_ok(rc, "Esys_Create(AK)") ? 0 : -1;
}

int hg_tpm_ak_load(struct hg_tpm *t, ESYS_TR ek, const TPM2B_PUBLIC *pub,
		   const TPM2B_PRIVATE *priv, ESYS_TR *ak)
{
	ESYS_TR session;
	TSS2_RC rc;

	if (ek_session(t, &session) < 0)
		return -1;
	rc = Esys_Load(t->esys, ek, session, ESYS_TR_NONE, ESYS_TR_NONE, priv,
		       pub, ak);
	hg_tpm_flush(t, session);
	return rc_ok(rc, "Esys_Load(AK)") ? 0 : -1;
}
