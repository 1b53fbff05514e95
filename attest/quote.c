/* quote.c: hostgate-attest quote --nonce HEX [--pcrs LIST] [-o FILE]
 *
 * Writes an evidence bundle (lib/evidence.h): TPM2_Quote by the AK over
 * the hostgate PCR and PCRs 0-9 in every active bank, the PCR values read
 * with it, the AK public area and the event log.
 *
 * Log and quote must agree, so the log's shared lock is held from reading
 * the log until the quote is made: no measure can append in between. If
 * the log does not replay to the PCR (a crashed measure left a pending or
 * torn record), the lock is retaken exclusively and the log recovered as
 * measure would (attest/logw.h) before quoting.
 *
 * PCRs can still move between TPM2_Quote and TPM2_PCR_Read (another
 * tool extending PCR 0-9, say): the values read are hashed and compared
 * with the quote's pcrDigest, and the pair is retaken on a mismatch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tss2/tss2_mu.h>

#include "../lib/evidence.h"
#include "../lib/hglog.h"
#include "../lib/util.h"
#include "cmds.h"
#include "logw.h"
#include "opts.h"
#include "state.h"
#include "tpm.h"

#define QUOTE_ATTEMPTS 5

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest quote --nonce HEX [--pcrs LIST] [-o FILE] [OPTIONS]\n\n"
		   "Quote the PCRs with the AK and write an evidence bundle (CBOR) to\n"
		   "FILE, or to stdout.\n\n"
		   "  --nonce HEX   the verifier's fresh nonce, 8..64 bytes\n"
		   "  --pcrs LIST   PCRs to quote in every active bank (default 0-9 and\n"
		   "                the hostgate PCR), e.g. 0-9,13\n"
		   "  -o FILE       output file, written atomically\n"
		   HG_COMMON_HELP);
}

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

int quote_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	struct hg_tpm tpm = { 0 };
	struct hg_logw lw = { .fd = -1 };
	struct hg_evidence *ev = NULL;
	struct hg_pcr_sel sel = { 0 };
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	EVP_PKEY *logkey = NULL;
	uint8_t *nonce = NULL, akbuf[sizeof(TPM2B_PUBLIC)];
	uint8_t sigbuf[sizeof(TPMT_SIGNATURE)], *out = NULL;
	size_t nonce_len = 0, aklen = 0, siglen = 0, outlen = 0, nalgs = 0;
	uint16_t algs[HG_MAX_BANKS];
	const char *pcrs_arg = NULL, *outfile = NULL;
	uint32_t mask;
	struct cw w;
	int c, m, ret = HG_EXIT_USAGE;

	cw_init(&w);
	if (hg_opts_init(&o) < 0)
		goto out;
	while ((c = hg_opts_next(&o, argc, argv, "ho:", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case 'n':
			free(nonce);
			nonce = NULL;
			if (hg_hex_decode(optarg, HG_NONCE_MAX, &nonce, &nonce_len) < 0 ||
			    nonce_len < HG_NONCE_MIN) {
				hg_err("--nonce: not 8..64 bytes of hex");
				goto out;
			}
			break;
		case 'p':
			pcrs_arg = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'h':
			usage(stdout);
			ret = HG_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!nonce) {
		hg_err("quote: --nonce is required");
		goto out;
	}
	if (optind != argc) {
		hg_err("quote: unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	mask = 0x3ffu | (1u << o.pcr);
	if (pcrs_arg && hg_pcr_mask_parse(pcrs_arg, &mask) < 0) {
		hg_err("--pcrs: \"%s\" is not a list of PCRs 0..23 like 0-9,13", pcrs_arg);
		goto out;
	}
	ret = HG_EXIT_FAIL;
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		hg_err("out of memory");
		goto out;
	}
	if (hg_state_load_ak(o.state, &pub, &priv) < 0)
		goto out;
	if (hg_tpm_open(o.tcti, &tpm) < 0 || hg_tpm_banks(&tpm, algs, &nalgs) < 0)
		goto out;
	sel.n = nalgs;
	for (size_t i = 0; i < nalgs; i++) {
		sel.b[i].alg = algs[i];
		sel.b[i].mask = mask;
	}
	if (hg_logw_open_read(&lw, o.log) < 0)
		goto out;
	if (lw.fd >= 0 && lw.size > 0 &&
	    (m = log_matches_pcr(&tpm, &lw, o.pcr, algs, nalgs)) != 1) {
		if (m < 0)
			goto out;
		/* Recover as measure would, holding the lock exclusively
		 * from here to the quote. */
		hg_logw_close(&lw);
		if (hg_state_log_key(o.state, 0, &logkey) < 0 ||
		    hg_logw_open(&lw, o.log, 1) < 0)
			goto out;
		if ((ret = hg_logw_recover(&lw, &tpm, o.pcr, algs, nalgs, logkey)) != 0)
			goto out;
		ret = HG_EXIT_FAIL;
		lw.size = (size_t)lseek(lw.fd, 0, SEEK_END);
	}
	if (hg_tpm_ek_create(&tpm, &ek) < 0 ||
	    hg_tpm_ak_load(&tpm, ek, &pub, &priv, &ak) < 0)
		goto out;
	for (int attempt = 0;; attempt++) {
		TPMS_ATTEST a;
		struct hg_digest d;
		size_t off = 0;

		free(attest);
		free(sig);
		attest = NULL;
		sig = NULL;
		if (hg_tpm_quote(&tpm, ak, nonce, nonce_len, &sel, &attest, &sig) < 0 ||
		    hg_tpm_pcrs_read(&tpm, &sel, &ev->pcrs) < 0)
			goto out;
		memset(&a, 0, sizeof(a));
		if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest->attestationData,
						  attest->size, &off, &a) != 0 ||
		    hg_pcr_digest(&sel, &ev->pcrs, sig->signature.any.hashAlg, &d) < 0) {
			hg_err("quote: the TPM returned an attest we cannot read");
			goto out;
		}
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
	ev->log = lw.buf ? lw.buf : (const uint8_t *)"";
	ev->log_len = lw.size;
	if (hg_evidence_encode(ev, &w) < 0) {
		hg_err("quote: cannot encode the evidence");
		goto out;
	}
	out = cw_take(&w, &outlen);
	if (outfile) {
		if (hg_write_file_atomic(outfile, out, outlen, 0644) < 0) {
			hg_err("%s: %s", outfile, strerror(errno));
			goto out;
		}
	} else if (hg_write_all(STDOUT_FILENO, out, outlen) < 0) {
		hg_err("stdout: %s", strerror(errno));
		goto out;
	}
	ret = HG_EXIT_OK;
out:
	if (tpm.esys) {
		hg_tpm_flush(&tpm, ak);
		hg_tpm_flush(&tpm, ek);
	}
	hg_tpm_close(&tpm);
	hg_logw_close(&lw);
	EVP_PKEY_free(logkey);
	free(attest);
	free(sig);
	free(nonce);
	free(out);
	free(ev);
	cw_free(&w);
	return ret;
}
