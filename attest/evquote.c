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
#include "cmds.h"
#include "ekcert.h"
#include "evquote.h"
#include "logw.h"
#include "state.h"

#define QUOTE_ATTEMPTS 5

_Static_assert(HG_EKCERTS_MAX <= HG_MAX_EK_CERTS, "evidence holds every EK cert");

/* Does the log replay to the PCR as the TPM holds it now? */
static int log_matches_pcr(struct hg_tpm *tpm, const struct hg_logw *lw,
			   uint32_t pcr, const uint16_t *algs, size_t nalgs)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	struct hg_replay rp;
	struct hg_digests now;
	int r, ok = 0;

	if (hg_tpm_pcr_read(tpm, pcr, algs, nalgs, &now) < 0)
		return -1;
	hg_log_iter_init_host(&it, lw->buf, lw->size);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		if (rec.cel.recnum == 0 && hg_replay_init(&rp, &rec.cel.digests) < 0)
			break;
		if (hg_replay_add(&rp, &rec.cel) < 0)
			break;
	}
	if (r == 0 && it.n > 0) {
		ok = 1;
		for (size_t i = 0; i < now.n; i++) {
			const struct hg_digest *d = hg_replay_get(&rp, pcr, now.v[i].alg);

			if (!d || memcmp(d->d, now.v[i].d, d->len))
				ok = 0;
		}
	}
	hg_log_iter_free(&it);
	return ok;
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
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	EVP_PKEY *logkey = NULL;
	uint8_t akbuf[sizeof(TPM2B_PUBLIC)], sigbuf[sizeof(TPMT_SIGNATURE)];
	size_t aklen = 0, siglen = 0, nalgs = 0;
	uint16_t algs[HG_MAX_BANKS];
	struct cw w;
	int m, lock = -1, ret = HG_EXIT_FAIL;

	cw_init(&w);
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		hg_err("out of memory");
		goto out;
	}
	if (hg_state_load_ak(o->state, &pub, &priv) < 0)
		goto out;
	if (hg_tpm_banks(tpm, algs, &nalgs) < 0)
		goto out;
	sel.n = nalgs;
	for (size_t i = 0; i < nalgs; i++) {
		sel.b[i].alg = algs[i];
		sel.b[i].mask = mask;
	}
	if (hg_logw_open_read(&lw, o->log) < 0)
		goto out;
	if (lw.fd >= 0 && lw.size > 0 &&
	    (m = log_matches_pcr(tpm, &lw, o->pcr, algs, nalgs)) != 1) {
		if (m < 0)
			goto out;
		/* Recover as measure would, holding the lock exclusively
		 * from here to the quote. */
		hg_logw_close(&lw);
		if (hg_state_log_key(o->state, 0, &logkey) < 0 ||
		    hg_logw_open(&lw, o->log, 1) < 0)
			goto out;
		if ((ret = hg_logw_recover(&lw, tpm, o->pcr, algs, nalgs, logkey)) != 0)
			goto out;
		ret = HG_EXIT_FAIL;
		lw.size = (size_t)lseek(lw.fd, 0, SEEK_END);
	}
	if ((lock = hg_state_tpm_lock(o->state)) < 0 ||
	    hg_tpm_ek_create(tpm, &ek) < 0 ||
	    hg_tpm_ak_load(tpm, ek, &pub, &priv, &ak) < 0 ||
	    hg_ekcerts_read(tpm, &ekc) < 0)
		goto out;
	for (int attempt = 0;; attempt++) {
		TPMS_ATTEST a;
		struct hg_digest d;
		size_t off = 0;

		free(attest);
		free(sig);
		attest = NULL;
		sig = NULL;
		if (hg_tpm_quote(tpm, ak, nonce, nonce_len, &sel, &attest, &sig) < 0 ||
		    hg_tpm_pcrs_read(tpm, &sel, &ev->pcrs) < 0)
			goto out;
		memset(&a, 0, sizeof(a));
		if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest->attestationData,
						  attest->size, &off, &a) != 0 ||
		    hg_pcr_digest(&sel, &ev->pcrs, sig->signature.any.hashAlg, &d) < 0) {
			hg_err("quote: the TPM returned an attest we cannot read");
			goto out;
		}
		boot.reset_count = a.clockInfo.resetCount;
		boot.restart_count = a.clockInfo.restartCount;
		if (a.attested.quote.pcrDigest.size == d.len &&
		    !memcmp(a.attested.quote.pcrDigest.buffer, d.d, d.len))
			break;
		if (attempt + 1 == QUOTE_ATTEMPTS) {
			hg_err("quote: PCRs kept changing between quote and read");
			goto out;
		}
	}
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, akbuf, sizeof(akbuf), &aklen) != 0 ||
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
	hg_tpm_flush(tpm, ak);
	hg_tpm_flush(tpm, ek);
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
