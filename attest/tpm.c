/* tpm.c: see tpm.h. */
#define _GNU_SOURCE /* memfd_create */
#include "tpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "../lib/util.h"

int hg_tpm_verbose;

/* The TSS's own log lines ("ERROR:tcti:... Failed to connect") would come
 * before hostgate's one-line error, and in the hook they would become
 * libvirt's start error. Unless --verbose (or the operator's own
 * TSS2_LOGFILE), every TSS library writes them to a memfd instead
 * (tpm2-tss's log.c opens TSS2_LOGFILE once per library, in append mode,
 * and flushes each line), and tss_log_drain() passes them on to syslog.
 * Without a memfd they are silenced: TSS2_LOG=all+NONE, unless set. */
static int tss_log_fd = -1;

static void tss_log_setup(void)
{
	char path[64];

	if (hg_tpm_verbose || tss_log_fd >= 0 || getenv("TSS2_LOGFILE"))
		return;
	tss_log_fd = memfd_create("hostgate-tss2-log", MFD_CLOEXEC);
	if (tss_log_fd < 0) {
		setenv("TSS2_LOG", "all+NONE", 0);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", tss_log_fd);
	setenv("TSS2_LOGFILE", path, 1);
}

static void tss_log_drain(void)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n;

	if (tss_log_fd < 0)
		return;
	n = pread(tss_log_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		syslog(!strncmp(line, "ERROR", 5) ? LOG_ERR : LOG_WARNING, "tss2: %s", line);
	/* The writers append (O_APPEND): the next line starts the file. */
	if (ftruncate(tss_log_fd, 0) < 0)
		return;
}

static int rc_ok(TSS2_RC rc, const char *call)
{
	if (rc == TSS2_RC_SUCCESS)
		return 1;
	hg_err("TPM: %s failed: 0x%08x: %s", call, rc, Tss2_RC_Decode(rc));
	return 0;
}

int hg_tpm_open(const char *tcti, struct hg_tpm *t)
{
	const char *call = "Tss2_TctiLdr_Initialize";
	TSS2_RC rc;

	memset(t, 0, sizeof(*t));
	tss_log_setup();
	rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc == TSS2_RC_SUCCESS) {
		call = "Esys_Initialize";
		rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	}
	tss_log_drain();
	if (rc == TSS2_RC_SUCCESS)
		return 0;
	/* One line: what failed and why, without a TPM there. */
	hg_err("TPM: cannot connect through TCTI \"%s\": %s: 0x%08x: %s", tcti, call, rc,
	       Tss2_RC_Decode(rc));
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
	tss_log_drain();
}

void hg_tpm_flush(struct hg_tpm *t, ESYS_TR h)
{
	if (h != ESYS_TR_NONE)
		rc_ok(Esys_FlushContext(t->esys, h), "Esys_FlushContext");
}

/* TPM2_GetCapability (Part 3 §30.2); *cap is ESYS-allocated. */
static int get_capability(struct hg_tpm *t, TPM2_CAP capability,
			  UINT32 property, UINT32 count,
			  TPMS_CAPABILITY_DATA **cap, const char *what)
{
	TPMI_YES_NO more = 0;
	TSS2_RC rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					ESYS_TR_NONE, capability, property,
					count, &more, cap);

	return rc_ok(rc, what) ? 0 : -1;
}

int hg_tpm_banks(struct hg_tpm *t, uint16_t *algs, size_t *n)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	size_t count = 0;
	int ret = -1;

	if (get_capability(t, TPM2_CAP_PCRS, 0, 1, &cap,
			   "Esys_GetCapability(TPM_CAP_PCRS)") < 0)
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

static void to_tpml(const struct hg_pcr_sel *sel, TPML_PCR_SELECTION *t)
{
	memset(t, 0, sizeof(*t));
	t->count = (UINT32)sel->n;
	for (size_t i = 0; i < sel->n; i++) {
		t->pcrSelections[i].hash = sel->b[i].alg;
		t->pcrSelections[i].sizeofSelect = 3;
		t->pcrSelections[i].pcrSelect[0] = sel->b[i].mask & 0xff;
		t->pcrSelections[i].pcrSelect[1] = (sel->b[i].mask >> 8) & 0xff;
		t->pcrSelections[i].pcrSelect[2] = (sel->b[i].mask >> 16) & 0xff;
	}
}

/* One pass: read until every selected value is in; 1 if the update
 * counter moved between calls (the caller starts over), 0 if done. */
static int pcrs_read_once(struct hg_tpm *t, const struct hg_pcr_sel *sel,
			  struct hg_pcr_values *out)
{
	TPML_PCR_SELECTION want;
	UINT32 first = 0;
	int have = 0;

	memset(out, 0, sizeof(*out));
	to_tpml(sel, &want);
	while (out->n < hg_pcr_sel_count(sel)) {
		TPML_PCR_SELECTION *got = NULL;
		TPML_DIGEST *vals = NULL;
		UINT32 counter = 0, k = 0;
		size_t before = out->n;
		int moved;

		if (!rc_ok(Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, &want, &counter, &got,
					 &vals),
			   "Esys_PCR_Read"))
			return -1;
		moved = have && counter != first;
		first = counter;
		have = 1;
		/* TPM2_PCR_Read returns at most 8 digests (Part 3 §22.4): walk
		 * what came back in selection order, take each value, and
		 * clear it from the request. */
		for (UINT32 i = 0; i < got->count && !moved; i++) {
			TPMS_PCR_SELECTION *s = &got->pcrSelections[i];

			for (unsigned pcr = 0; pcr < HG_NUM_PCRS; pcr++) {
				struct hg_pcr_value *v;

				if (pcr / 8 >= s->sizeofSelect ||
				    !(s->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
					continue;
				if (k >= vals->count || out->n >= HG_MAX_PCR_VALUES ||
				    vals->digests[k].size > HG_MAX_DIGEST) {
					moved = -1;
					break;
				}
				v = &out->v[out->n++];
				v->alg = s->hash;
				v->pcr = (uint8_t)pcr;
				v->len = (uint8_t)vals->digests[k].size;
				memcpy(v->d, vals->digests[k].buffer, v->len);
				k++;
				for (UINT32 j = 0; j < want.count; j++)
					if (want.pcrSelections[j].hash == s->hash)
						want.pcrSelections[j].pcrSelect[pcr / 8] &=
							(BYTE)~(1u << (pcr % 8));
			}
		}
		free(got);
		free(vals);
		if (moved < 0) {
			hg_err("TPM: PCR_Read returned a malformed response");
			return -1;
		}
		if (moved)
			return 1;
		if (out->n == before) {
			hg_err("TPM: PCR_Read returned no value for a selected PCR");
			return -1;
		}
	}
	return 0;
}

int hg_tpm_pcrs_read(struct hg_tpm *t, const struct hg_pcr_sel *sel,
		     struct hg_pcr_values *out)
{
	if (sel->n == 0 || sel->n > HG_MAX_BANKS)
		return -1;
	for (int attempt = 0; attempt < 8; attempt++) {
		struct hg_pcr_values raw;
		int r = pcrs_read_once(t, sel, &raw);

		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		/* Put the values in selection order. */
		out->n = 0;
		for (size_t i = 0; i < sel->n; i++)
			for (unsigned pcr = 0; pcr < HG_NUM_PCRS; pcr++) {
				const struct hg_pcr_value *v;

				if (!(sel->b[i].mask & (1u << pcr)))
					continue;
				v = hg_pcr_values_get(&raw, sel->b[i].alg, pcr);
				if (!v) {
					hg_err("TPM: PCR_Read missed PCR %u", pcr);
					return -1;
				}
				out->v[out->n++] = *v;
			}
		return 0;
	}
	hg_err("TPM: PCRs kept changing while being read");
	return -1;
}

int hg_tpm_pcr_read(struct hg_tpm *t, uint32_t pcr, const uint16_t *algs,
		    size_t n, struct hg_digests *out)
{
	struct hg_pcr_sel sel = { .n = n };
	struct hg_pcr_values *v;
	int ret = -1;

	if (pcr >= HG_NUM_PCRS || n == 0 || n > HG_MAX_BANKS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sel.b[i].alg = algs[i];
		sel.b[i].mask = 1u << pcr;
	}
	v = malloc(sizeof(*v));
	if (!v || hg_tpm_pcrs_read(t, &sel, v) < 0)
		goto out;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < v->n; i++) {
		out->v[i].alg = v->v[i].alg;
		out->v[i].len = v->v[i].len;
		memcpy(out->v[i].d, v->v[i].d, v->v[i].len);
	}
	out->n = v->n;
	ret = 0;
out:
	free(v);
	return ret;
}

int hg_tpm_quote(struct hg_tpm *t, ESYS_TR ak, const uint8_t *nonce,
		 size_t nonce_len, const struct hg_pcr_sel *sel,
		 TPM2B_ATTEST **attest, TPMT_SIGNATURE **sig)
{
	TPM2B_DATA qual = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION tsel;

	if (nonce_len > sizeof(qual.buffer))
		return -1;
	qual.size = (UINT16)nonce_len;
	memcpy(qual.buffer, nonce, nonce_len);
	to_tpml(sel, &tsel);
	/* Scheme NULL: the TPM uses the AK's own scheme, the one a verifier
	 * takes from the AK public area (Part 3 §18.4). */
	if (!rc_ok(Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			      ESYS_TR_NONE, &qual, &scheme, &tsel, attest, sig),
		   "Esys_Quote"))
		return -1;
	return 0;
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
	if (!rc_ok(Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT,
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
	if (!rc_ok(Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, NULL, TPM2_SE_POLICY,
					 &sym, hash, session),
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

/* ESYS_TR for a TPM handle; 0 not defined, -1 error. The TPM answers an
 * undefined NV index with TPM_RC_HANDLE (TPM_RC_1 + P); tolerate any
 * parameter number. */
static int tr_from_public(struct hg_tpm *t, TPM2_HANDLE h, ESYS_TR *tr)
{
	TSS2_RC rc = Esys_TR_FromTPMPublic(t->esys, h, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, tr);

	if ((rc & ~(TPM2_RC_N_MASK | TSS2_RC_LAYER_MASK)) == TPM2_RC_HANDLE)
		return 0;
	return rc_ok(rc, "Esys_TR_FromTPMPublic") ? 1 : -1;
}

#define NV_CHUNK 1024

int hg_tpm_nv_read(struct hg_tpm *t, uint32_t index, uint8_t **out,
		   size_t *len)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPM2B_NV_PUBLIC *pub = NULL;
	ESYS_TR nv = ESYS_TR_NONE;
	uint8_t *buf = NULL;
	size_t size;
	int r, ret = -1;

	*out = NULL;
	*len = 0;
	/* Ask first whether the index is defined: ESYS logs an error on
	 * stderr for every failed command, and a TPM with no certificate
	 * at an index is normal. TPM_CAP_HANDLES lists handles from
	 * INDEX upward (Part 3 §30.2). */
	if (get_capability(t, TPM2_CAP_HANDLES, index, 1, &cap,
			   "Esys_GetCapability(TPM_CAP_HANDLES)") < 0)
		goto out;
	if (cap->data.handles.count == 0 ||
	    cap->data.handles.handle[0] != index) {
		ret = 0;
		goto out;
	}
	/* Esys_TR_FromTPMPublic reads the index's public area itself
	 * (TPM2_NV_ReadPublic); an index undefined since fails there. */
	if ((r = tr_from_public(t, index, &nv)) <= 0) {
		ret = r;
		goto out;
	}
	if (!rc_ok(Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE,
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

		if (!rc_ok(Esys_NV_Read(t->esys, nv, nv, ESYS_TR_PASSWORD,
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
	free(cap);
	free(pub);
	free(buf);
	return ret;
}

int hg_tpm_persistent(struct hg_tpm *t, uint32_t first, uint32_t last,
		      uint32_t *h, size_t max, size_t *n)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	int ret = -1;

	*n = 0;
	/* TPM_CAP_HANDLES lists handles of FIRST's type from FIRST upward,
	 * ascending (Part 3 §30.2); one call returns as many as fit. */
	if (get_capability(t, TPM2_CAP_HANDLES, first, TPM2_MAX_CAP_HANDLES,
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
	if (!rc_ok(Esys_ReadPublic(t->esys, *tr, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, pub, NULL, NULL),
		   "Esys_ReadPublic")) {
		Esys_TR_Close(t->esys, tr);
		*tr = ESYS_TR_NONE;
		return -1;
	}
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
	return rc_ok(rc, "Esys_ActivateCredential") ? 0 : -1;
}
