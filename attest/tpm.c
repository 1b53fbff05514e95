/* tpm.c: see tpm.h. */
#define _GNU_SOURCE /* memfd_create */
#include "tpm.h"
#include "tpm_int.h"

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

int hg_tpm_rc_ok(TSS2_RC rc, const char *call)
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
		hg_tpm_rc_ok(Esys_FlushContext(t->esys, h), "Esys_FlushContext");
}

int hg_tpm_get_capability(struct hg_tpm *t, TPM2_CAP capability,
			  UINT32 property, UINT32 count,
			  TPMS_CAPABILITY_DATA **cap, const char *what)
{
	TPMI_YES_NO more = 0;
	TSS2_RC rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					ESYS_TR_NONE, capability, property,
					count, &more, cap);

	return hg_tpm_rc_ok(rc, what) ? 0 : -1;
}

int hg_tpm_banks(struct hg_tpm *t, uint16_t *algs, size_t *n)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	size_t count = 0;
	int ret = -1;

	/* The allocation changes only at the next TPM reset
	 * (TPM2_PCR_Allocate, Part 3 §22.5): ask once per connection. */
	if (t->nbanks) {
		memcpy(algs, t->banks, t->nbanks * sizeof(*algs));
		*n = t->nbanks;
		return 0;
	}
	if (hg_tpm_get_capability(t, TPM2_CAP_PCRS, 0, 1, &cap,
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
	memcpy(t->banks, algs, count * sizeof(*algs));
	t->nbanks = count;
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

		if (!hg_tpm_rc_ok(Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
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
	if (!hg_tpm_rc_ok(Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
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
	if (!hg_tpm_rc_ok(Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD,
				   ESYS_TR_NONE, ESYS_TR_NONE, &v),
		   "Esys_PCR_Extend"))
		return -1;
	return 0;
}
