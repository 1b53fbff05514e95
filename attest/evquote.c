/* evquote.c: see evquote.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tss2/tss2_mu.h>

#include "../lib/evidence.h"
#include "../lib/hglog.h"
#include "../lib/uefilog.h"
#include "../lib/util.h"
#include "akuse.h"
#include "cmds.h"
#include "ekcert.h"
#include "evquote.h"
#include "logw.h"
#include "state.h"

#define QUOTE_ATTEMPTS 5

_Static_assert(HG_EKCERTS_MAX <= HG_MAX_EK_CERTS, "evidence holds every EK cert");

/* Does the log replay to PCR as NOW holds it (every bank of NOW)? */
static int log_matches_pcr(const struct hg_logw *lw, uint32_t pcr,
			   const struct hg_digests *now)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	struct hg_replay rp;
	int r, ok = 0;

	hg_log_iter_init_host(&it, lw->buf, lw->size);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		if (rec.cel.recnum == 0 && hg_replay_init(&rp, &rec.cel.digests) < 0)
			break;
		if (hg_replay_add(&rp, &rec.cel) < 0)
			break;
	}
	if (r == 0 && it.n > 0) {
		ok = 1;
		for (size_t i = 0; i < now->n; i++) {
			const struct hg_digest *d = hg_replay_get(&rp, pcr, now->v[i].alg);

			if (!d || memcmp(d->d, now->v[i].d, d->len))
				ok = 0;
		}
	}
	hg_log_iter_free(&it);
	return ok;
}

/* PCR in every bank of SEL, from the values read with the quote. */
static int pcr_from_quote(const struct hg_pcr_sel *sel, const struct hg_pcr_values *v,
			  uint32_t pcr, struct hg_digests *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sel->n; i++) {
		const struct hg_pcr_value *p = hg_pcr_values_get(v, sel->b[i].alg, pcr);

		if (!p)
			return -1;
		out->v[out->n].alg = p->alg;
		out->v[out->n].len = p->len;
		memcpy(out->v[out->n].d, p->d, p->len);
		out->n++;
	}
	return 0;
}

/* The firmware log, or none (*buf NULL) when the default is absent. */
static int read_uefi_log(const char *path, uint8_t **buf, size_t *len)
{
	const char *p = path ? path : HG_UEFI_LOG_DEFAULT;

	*buf = NULL;
	*len = 0;
	if (hg_read_file(p, HG_UEFI_MAX_LOG, 0, buf, len) == 0)
		return 0;
	if (!path && errno == ENOENT)
		return 0;
	hg_err("%s: %s", p, errno == EFBIG ? "firmware log larger than 64 MiB" : hg_strerror_read(errno));
	return -1;
}

/* Where record FIRST starts in the log, when the log holds records
 * 0..FIRST-1 (FIRST itself may be one past the end: nothing after). The
 * host's own scan (hglog.h): the log was just found to replay to the PCR. */
static int log_cut(const uint8_t *buf, size_t len, uint64_t first, size_t *off)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	int r, ret = -1;

	hg_log_iter_init_host(&it, buf, len);
	while ((r = hg_log_iter_next(&it, &rec)) == 1)
		if (rec.cel.recnum == first) {
			*off = rec.offset;
			ret = 0;
			break;
		}
	if (r == 0 && it.n == first) {
		*off = len;
		ret = 0;
	}
	hg_log_iter_free(&it);
	return ret;
}

/* TPM2_Quote, then TPM2_PCR_Read of the same selection (the fewest calls
 * the 8-digest limit allows, tpm.h): retaken when the values read do not
 * hash to the quote's pcrDigest (a PCR moved in between). *ATTEST and
 * *SIG are replaced; *BOOT is the quote's own reset/restart count. */
static int quote_once(struct hg_tpm *tpm, const struct hg_akuse *ak, const uint8_t *nonce,
		      size_t nonce_len, const struct hg_pcr_sel *sel, struct hg_evidence *ev,
		      TPM2B_ATTEST **attest, TPMT_SIGNATURE **sig, struct hg_boot_id *boot)
{
	for (int attempt = 0;; attempt++) {
		TPMS_ATTEST a;
		struct hg_digest d;
		size_t off = 0;

		free(*attest);
		free(*sig);
		*attest = NULL;
		*sig = NULL;
		if (hg_tpm_quote(tpm, ak->ak, nonce, nonce_len, sel, attest, sig) < 0 ||
		    hg_tpm_pcrs_read(tpm, sel, &ev->pcrs) < 0)
			return HG_EXIT_FAIL;
		memset(&a, 0, sizeof(a));
		if (Tss2_MU_TPMS_ATTEST_Unmarshal((*attest)->attestationData,
						  (*attest)->size, &off, &a) != 0 ||
		    hg_pcr_digest(sel, &ev->pcrs, (*sig)->signature.any.hashAlg, &d) < 0) {
			hg_err("quote: the TPM returned an attest we cannot read");
			return HG_EXIT_FAIL;
		}
		boot->reset_count = a.clockInfo.resetCount;
		boot->restart_count = a.clockInfo.restartCount;
		if (a.attested.quote.pcrDigest.size == d.len &&
		    !memcmp(a.attested.quote.pcrDigest.buffer, d.d, d.len))
			return HG_EXIT_OK;
		if (attempt + 1 == QUOTE_ATTEMPTS) {
			hg_err("quote: PCRs kept changing between quote and read");
			return HG_EXIT_FAIL;
		}
	}
}

int hg_quote_evidence(const struct hg_opts *o, struct hg_tpm *tpm,
		      const uint8_t *nonce, size_t nonce_len, uint32_t mask,
		      const char *uefi_log, uint8_t **out, size_t *outlen)
{
	return hg_quote_evidence_since(o, tpm, nonce, nonce_len, mask, uefi_log, NULL,
				       out, outlen);
}

int hg_quote_evidence_since(const struct hg_opts *o, struct hg_tpm *tpm,
			    const uint8_t *nonce, size_t nonce_len, uint32_t mask,
			    const char *uefi_log, const struct hg_since *since,
			    uint8_t **out, size_t *outlen)
{
	struct hg_boot_id boot = { 0 };
	size_t cut = 0;
	uint8_t *uefi = NULL;
	size_t uefi_len = 0;
	struct hg_logw lw = { .fd = -1 };
	struct hg_evidence *ev = NULL;
	struct hg_ekcerts ekc = { 0 };
	struct hg_pcr_sel sel = { 0 };
	struct hg_akuse ak = { .ak = ESYS_TR_NONE, .ek = ESYS_TR_NONE };
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	EVP_PKEY *logkey = NULL;
	uint8_t akbuf[sizeof(TPM2B_PUBLIC)], sigbuf[sizeof(TPMT_SIGNATURE)];
	size_t aklen = 0, siglen = 0, nalgs = 0;
	uint16_t algs[HG_MAX_BANKS];
	struct cw w;
	int lock = -1, ret = HG_EXIT_FAIL;

	cw_init(&w);
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		hg_err("out of memory");
		goto out;
	}
	if (hg_tpm_banks(tpm, algs, &nalgs) < 0)
		goto out;
	sel.n = nalgs;
	for (size_t i = 0; i < nalgs; i++) {
		sel.b[i].alg = algs[i];
		sel.b[i].mask = mask;
	}
	if (hg_logw_open_read(&lw, o->log) < 0)
		goto out;
	/* Lock order: the log's lock, then the TPM's (as every caller). */
	if ((lock = hg_state_tpm_lock(o->state)) < 0 ||
	    hg_akuse_open(tpm, o->state, &ak) < 0 ||
	    hg_ekcerts_read(tpm, &ekc) < 0)
		goto out;
	for (int recovered = 0;;) {
		struct hg_digests now;

		if ((ret = quote_once(tpm, &ak, nonce, nonce_len, &sel, ev, &attest, &sig,
				      &boot)) != HG_EXIT_OK)
			goto out;
		ret = HG_EXIT_FAIL;
		if (lw.fd < 0 || lw.size == 0)
			break;
		/* Does the log replay to the PCR just quoted? Its value came
		 * with the quote when the selection holds it (no extra
		 * TPM2_PCR_Read); a crashed measure leaves a pending or torn
		 * record, recovered below as measure would. */
		if ((mask & (1u << o->pcr)) ? pcr_from_quote(&sel, &ev->pcrs, o->pcr, &now) < 0
					    : hg_tpm_pcr_read(tpm, o->pcr, algs, nalgs, &now) < 0)
			goto out;
		if (log_matches_pcr(&lw, o->pcr, &now))
			break;
		if (recovered) {
			/* Recovered under the exclusive lock, yet the PCR moved
			 * again: something outside hostgate extends it. */
			hg_err("%s: the log does not replay to PCR %u after recovery", o->log, o->pcr);
			ret = HG_EXIT_INCONSISTENT;
			goto out;
		}
		/* Recover holding the log's lock exclusively from here to the
		 * quote; the TPM's lock is dropped meanwhile (lock order: a
		 * quote holding the log's shared lock may wait for it). */
		hg_akuse_close(tpm, &ak);
		close(lock);
		lock = -1;
		hg_logw_close(&lw);
		if (hg_state_log_key(o->state, 0, &logkey) < 0 ||
		    hg_logw_open(&lw, o->log, 1) < 0)
			goto out;
		if ((ret = hg_logw_recover(&lw, tpm, o->pcr, algs, nalgs, logkey)) != 0)
			goto out;
		ret = HG_EXIT_FAIL;
		lw.size = (size_t)lseek(lw.fd, 0, SEEK_END);
		recovered = 1;
		if ((lock = hg_state_tpm_lock(o->state)) < 0 ||
		    hg_akuse_open(tpm, o->state, &ak) < 0)
			goto out;
	}
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&ak.pub, akbuf, sizeof(akbuf), &aklen) != 0 ||
	    Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sigbuf, sizeof(sigbuf), &siglen) != 0) {
		hg_err("quote: cannot marshal the AK or the signature");
		goto out;
	}
	ev->nonce = nonce;
	ev->nonce_len = nonce_len;
	ev->attest = attest->attestationData;
	ev->attest_len = attest->size;
	ev->sig = sigbuf;
	ev->sig_len = siglen;
	ev->ak = akbuf;
	ev->ak_len = aklen;
	if (read_uefi_log(uefi_log, &uefi, &uefi_len) < 0)
		goto out;
	ev->uefi = uefi;
	ev->uefi_len = uefi_len;
	/* The boot the quote itself names (the verifier reads the same
	 * counters from it): a verifier that saw another boot gets it all. */
	if (since && lw.buf && hg_boot_id_equal(&boot, &since->boot) &&
	    log_cut(lw.buf, lw.size, since->recnum + 1, &cut) == 0)
		ev->log_first = since->recnum + 1;
	else
		cut = 0;
	ev->log = lw.buf ? lw.buf + cut : (const uint8_t *)"";
	ev->log_len = lw.size - cut;
	ev->n_ek_certs = ekc.n;
	for (size_t i = 0; i < ekc.n; i++) {
		ev->ek_cert[i] = ekc.der[i];
		ev->ek_cert_len[i] = ekc.len[i];
	}
	if (hg_evidence_encode(ev, &w) < 0) {
		hg_err("quote: cannot encode the evidence");
		goto out;
	}
	*out = cw_take(&w, outlen);
	ret = HG_EXIT_OK;
out:
	hg_akuse_close(tpm, &ak);
	if (lock >= 0)
		close(lock);
	hg_logw_close(&lw);
	EVP_PKEY_free(logkey);
	free(attest);
	free(sig);
	free(ev);
	free(uefi);
	hg_ekcerts_free(&ekc);
	cw_free(&w);
	return ret;
}
