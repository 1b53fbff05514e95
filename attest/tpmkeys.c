/* tpmkeys.c: the keys and objects half of tpm.h (EK, AK, persistent
 * handles, NV indices, ActivateCredential); tpm.c holds the connection,
 * PCRs and the quote. One module: each ESYS call is wrapped once, here or
 * there. */
#include "tpm.h"
#include "tpm_int.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

/* TCG EK Credential Profile 2.0, §B.3.3: PolicyA_SHA256 =
 * PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy_a_sha256[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
	0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
	0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

int hg_tpm_ek_create(struct hg_tpm *t, ESYS_TR *ek)
{
	return hg_tpm_ek_create_alg(t, TPM2_ALG_ECC, ek, NULL);
}

int hg_tpm_ek_create_alg(struct hg_tpm *t, uint16_t type, ESYS_TR *ek,
			 TPM2B_PUBLIC **pub)
{
	/* Templates L-1 (RSA 2048) and L-2 (ECC NIST P-256), EK Credential
	 * Profile §B.3.3 and §B.3.4: policy A, AES-128-CFB, no scheme; the
	 * unique field is zeros of the key's size (256 bytes for RSA, two
	 * 32-byte coordinates for ECC), as the profile fixes. */
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = type,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_ADMINWITHPOLICY |
					    TPMA_OBJECT_RESTRICTED |
					    TPMA_OBJECT_DECRYPT,
			.authPolicy = { .size = 32 },
		},
	};
	const TPMT_SYM_DEF_OBJECT aes128cfb = {
		.algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
		.mode.aes = TPM2_ALG_CFB,
	};
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };

	if (type == TPM2_ALG_RSA) {
		tmpl.publicArea.parameters.rsaDetail = (TPMS_RSA_PARMS){
			.symmetric = aes128cfb,
			.scheme = { .scheme = TPM2_ALG_NULL },
			.keyBits = 2048,
			.exponent = 0,
		};
		tmpl.publicArea.unique.rsa.size = 256;
	} else {
		tmpl.publicArea.parameters.eccDetail = (TPMS_ECC_PARMS){
			.symmetric = aes128cfb,
			.scheme = { .scheme = TPM2_ALG_NULL },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf = { .scheme = TPM2_ALG_NULL },
		};
		tmpl.publicArea.unique.ecc.x.size = 32;
		tmpl.publicArea.unique.ecc.y.size = 32;
	}
	memcpy(tmpl.publicArea.authPolicy.buffer, ek_policy_a_sha256, 32);
	if (!hg_tpm_rc_ok(Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT,
				      ESYS_TR_PASSWORD, ESYS_TR_NONE,
				      ESYS_TR_NONE, &sens, &tmpl, &outside,
				      &none, ek, pub, NULL, NULL, NULL),
		   "Esys_CreatePrimary(EK)"))
		return -1;
	return 0;
}

/* The EK has userWithAuth clear: every use as a parent needs a fresh
 * policy session satisfying PolicySecret(TPM_RH_ENDORSEMENT). */
static int ek_session_hash(struct hg_tpm *t, TPMI_ALG_HASH hash,
			   ESYS_TR *session)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };

	*session = ESYS_TR_NONE;
	if (!hg_tpm_rc_ok(Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, NULL, TPM2_SE_POLICY,
					 &sym, hash, session),
		   "Esys_StartAuthSession"))
		return -1;
	if (!hg_tpm_rc_ok(Esys_PolicySecret(t->esys, ESYS_TR_RH_ENDORSEMENT, *session,
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

static int ek_session(struct hg_tpm *t, ESYS_TR *session)
{
	return ek_session_hash(t, TPM2_ALG_SHA256, session);
}

int hg_tpm_ak_create(struct hg_tpm *t, ESYS_TR ek, enum hg_ak_alg alg,
		     TPM2B_PUBLIC **pub, TPM2B_PRIVATE **priv)
{
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.nameAlg = TPM2_ALG_SHA256,
			/* Restricted signing: the TPM refuses to sign data
			 * starting with TPM_GENERATED_VALUE, which is what
			 * makes its quotes unforgeable (Part 1 §25.2).
			 * noDA: the AK's auth is empty, so dictionary-attack
			 * protection guards nothing, yet without noDA every
			 * unorderly TPM reset (a power cut, a crash) after the
			 * AK was used counts as one failed try (Part 1,
			 * "Dictionary Attack Protection": the TPM cannot tell
			 * whether a DA-protected use failed before power went
			 * away; DAStartup() in the reference code), and after
			 * a few the TPM is in lockout: every quote, so every
			 * gated VM start, refused until the lockout recovers
			 * (t_init_persist: lockout at the fourth swtpm reboot
			 * without noDA). */
			.objectAttributes = TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_NODA |
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
	return hg_tpm_rc_ok(rc, "Esys_Create(AK)") ? 0 : -1;
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
	return hg_tpm_rc_ok(rc, "Esys_Load(AK)") ? 0 : -1;
}

/* ESYS_TR for a TPM handle; 0 not defined, -1 error. The TPM answers an
 * undefined NV index with TPM_RC_HANDLE (TPM_RC_1 + P); tolerate any
 * parameter number. */
static int tr_from_public(struct hg_tpm *t, TPM2_HANDLE h, ESYS_TR *tr)
{
	TSS2_RC rc = Esys_TR_FromTPMPublic(t->esys, h, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, tr);

	if ((rc & ~(TPM2_RC_N_MASK | TSS2_RC_LAYER_MASK)) == TPM2_RC_HANDLE)
		return 0;
	return hg_tpm_rc_ok(rc, "Esys_TR_FromTPMPublic") ? 1 : -1;
}

#define NV_CHUNK 1024

int hg_tpm_nv_read(struct hg_tpm *t, uint32_t index, uint8_t **out,
		   size_t *len)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	ESYS_TR nv = ESYS_TR_NONE;
	uint8_t *buf = NULL;
	size_t size;
	int r, ret = -1;

	*out = NULL;
	*len = 0;
	/* Esys_TR_FromTPMPublic reads the index's public area itself
	 * (TPM2_NV_ReadPublic); an index undefined since fails there. */
	if ((r = tr_from_public(t, index, &nv)) <= 0) {
		ret = r;
		goto out;
	}
	if (!hg_tpm_rc_ok(Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE,
				      ESYS_TR_NONE, &pub, NULL),
		   "Esys_NV_ReadPublic"))
		goto out;
	size = pub->nvPublic.dataSize;
	if (size > HG_TPM_NV_MAX) {
		hg_err("TPM: NV index 0x%08x holds %zu bytes, more than %d",
		       index, size, HG_TPM_NV_MAX);
		goto out;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		hg_err("out of memory");
		goto out;
	}
	for (size_t off = 0; off < size;) {
		TPM2B_MAX_NV_BUFFER *data = NULL;
		UINT16 want = (UINT16)(size - off < NV_CHUNK ? size - off : NV_CHUNK);
		int ok;

		if (!hg_tpm_rc_ok(Esys_NV_Read(t->esys, nv, nv, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, want,
					(UINT16)off, &data),
			   "Esys_NV_Read"))
			goto out;
		ok = data->size == want;
		if (ok)
			memcpy(buf + off, data->buffer, want);
		free(data);
		if (!ok) {
			hg_err("TPM: NV_Read of index 0x%08x returned a short chunk",
			       index);
			goto out;
		}
		off += want;
	}
	*out = buf;
	*len = size;
	buf = NULL;
	ret = 1;
out:
	/* Closes the ESYS_TR only; an NV index is not flushed. */
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(t->esys, &nv);
	free(pub);
	free(buf);
	return ret;
}

int hg_tpm_handles(struct hg_tpm *t, uint32_t first, uint32_t last,
		      uint32_t *h, size_t max, size_t *n)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	int ret = -1;

	*n = 0;
	/* TPM_CAP_HANDLES lists handles of FIRST's type from FIRST upward,
	 * ascending (Part 3 §30.2); one call returns as many as fit (the
	 * caller's range is far smaller than TPM2_MAX_CAP_HANDLES). */
	if (hg_tpm_get_capability(t, TPM2_CAP_HANDLES, first, TPM2_MAX_CAP_HANDLES,
			   &cap, "Esys_GetCapability(TPM_CAP_HANDLES)") < 0)
		goto out;
	for (UINT32 i = 0; i < cap->data.handles.count && *n < max; i++)
		if (cap->data.handles.handle[i] <= last)
			h[(*n)++] = cap->data.handles.handle[i];
	ret = 0;
out:
	free(cap);
	return ret;
}

int hg_tpm_read_public(struct hg_tpm *t, uint32_t handle, ESYS_TR *tr,
		       TPM2B_PUBLIC **pub)
{
	*pub = NULL;
	if (tr_from_public(t, handle, tr) <= 0) {
		*tr = ESYS_TR_NONE;
		return -1;
	}
	if (!hg_tpm_rc_ok(Esys_ReadPublic(t->esys, *tr, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, pub, NULL, NULL),
		   "Esys_ReadPublic")) {
		Esys_TR_Close(t->esys, tr);
		*tr = ESYS_TR_NONE;
		return -1;
	}
	return 0;
}

int hg_tpm_persistent_name(struct hg_tpm *t, uint32_t handle, ESYS_TR *tr,
			   TPM2B_NAME *name)
{
	TPM2B_NAME *n = NULL;
	int r;

	*tr = ESYS_TR_NONE;
	memset(name, 0, sizeof(*name));
	/* Esys_TR_FromTPMPublic sends the one TPM2_ReadPublic (Part 3
	 * §12.4) and keeps the object's Name; Esys_TR_GetName sends
	 * nothing. */
	if ((r = tr_from_public(t, handle, tr)) <= 0) {
		*tr = ESYS_TR_NONE;
		return r;
	}
	if (!hg_tpm_rc_ok(Esys_TR_GetName(t->esys, *tr, &n), "Esys_TR_GetName")) {
		hg_tpm_tr_close(t, tr);
		return -1;
	}
	*name = *n;
	free(n);
	return 1;
}

int hg_tpm_evict(struct hg_tpm *t, ESYS_TR obj, uint32_t handle)
{
	ESYS_TR out = ESYS_TR_NONE;

	/* TPM2_EvictControl (Part 3 §28.5): a copy of the loaded object
	 * OBJ at HANDLE, in the owner's persistent range, on the owner's
	 * authorisation (its empty password: a host whose owner auth is
	 * set gets TPM_RC_BAD_AUTH, and the caller keeps the AK
	 * transient). */
	if (!hg_tpm_rc_ok(Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, obj,
					    ESYS_TR_PASSWORD, ESYS_TR_NONE,
					    ESYS_TR_NONE, handle, &out),
			  "Esys_EvictControl"))
		return -1;
	if (out != ESYS_TR_NONE)
		Esys_TR_Close(t->esys, &out);
	return 0;
}

void hg_tpm_tr_close(struct hg_tpm *t, ESYS_TR *tr)
{
	if (*tr != ESYS_TR_NONE)
		Esys_TR_Close(t->esys, tr);
	*tr = ESYS_TR_NONE;
}

int hg_tpm_activate(struct hg_tpm *t, ESYS_TR ak, ESYS_TR ek,
		    const TPM2B_PUBLIC *ekpub, const TPM2B_ID_OBJECT *blob,
		    const TPM2B_ENCRYPTED_SECRET *enc, TPM2B_DIGEST **secret)
{
	ESYS_TR session = ESYS_TR_PASSWORD;
	TSS2_RC rc;

	*secret = NULL;
	/* TPM2_ActivateCredential (Part 3 §12.5): the AK in the ADMIN role
	 * (hostgate's AK has no adminWithPolicy, so its empty password), the
	 * EK in the USER role. An EK with userWithAuth clear (templates L-1,
	 * L-2) takes PolicySecret(TPM_RH_ENDORSEMENT) in a session of its
	 * nameAlg; swtpm's P-384 EK has userWithAuth set and takes the
	 * empty password. */
	if (!(ekpub->publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH) &&
	    ek_session_hash(t, ekpub->publicArea.nameAlg, &session) < 0)
		return -1;
	rc = Esys_ActivateCredential(t->esys, ak, ek, ESYS_TR_PASSWORD, session,
				     ESYS_TR_NONE, blob, enc, secret);
	if (session != ESYS_TR_PASSWORD)
		hg_tpm_flush(t, session);
	return hg_tpm_rc_ok(rc, "Esys_ActivateCredential") ? 0 : -1;
}
