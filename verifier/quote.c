/* quote.c: hostgate-verify quote --ak AKPUB --nonce HEX --msg ATTEST
 *          --sig SIG [--pcrs FILE]
 *
 * Verifies a quote made by tpm2-tools (tpm2_quote -m ATTEST -s SIG, AK
 * from tpm2_createak -u): the same checks as 'check' runs on a quote
 * (lib/quote.h). --pcrs takes the PCR values as 'tpm2_quote -o FILE
 * -F values' writes them: the selected digests concatenated in selection
 * order, which is exactly what pcrDigest hashes.
 *
 * The nonce may be 1..64 bytes (check's minimum is 8): quotes from other
 * attesters use short ones, and the verifier, who chose it, is warned on
 * stderr under 8. The AK passes the same sanity rule as everywhere
 * (lib/tpmpub.h) before any signature is trusted.
 *
 * Exit codes: 0 valid, 2 usage or unreadable input, 3 invalid quote.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "../lib/util.h"
#include "cmds.h"
#include "inputs.h"
#include "../lib/evidence.h"
#include "../lib/quote.h"

#define QUOTE_FILE_MAX 8192

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify quote --ak AKPUB --nonce HEX --msg ATTEST --sig SIG\n"
		   "                             [--pcrs FILE]\n\n"
		   "Verify a TPM2_Quote made with tpm2-tools: ATTEST is the TPMS_ATTEST\n"
		   "(tpm2_quote -m), SIG the TPMT_SIGNATURE (tpm2_quote -s), AKPUB the\n"
		   "AK's TPM2B_PUBLIC (tpm2_createak -u). With --pcrs (tpm2_quote -o FILE\n"
		   "-F values), the values must hash to the quoted pcrDigest.\n"
		   "HEX is the nonce the verifier sent, 1..64 bytes (a warning under 8).\n\n"
		   "Exit codes: 0 valid, 2 usage or unreadable input, 3 invalid quote.\n");
}

static int read_small(const char *path, uint8_t **buf, size_t *len)
{
	if (hg_read_file(path, QUOTE_FILE_MAX, 0, buf, len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "too large" : hg_strerror_read(errno));
		return -1;
	}
	return 0;
}

int quote_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ak", required_argument, NULL, 'a' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "msg", required_argument, NULL, 'm' },
		{ "sig", required_argument, NULL, 's' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *akpath = NULL, *noncehex = NULL, *msgpath = NULL;
	const char *sigpath = NULL, *pcrpath = NULL;
	struct hg_ak ak = { 0 };
	struct hg_quote_result *res = NULL;
	struct hg_pcr_values *vals = NULL;
	uint8_t *nonce = NULL, *msg = NULL, *sig = NULL, *pcrs = NULL;
	size_t nonce_len = 0, msg_len = 0, sig_len = 0, pcrs_len = 0;
	int c, ret = HV_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': akpath = optarg; break;
		case 'n': noncehex = optarg; break;
		case 'm': msgpath = optarg; break;
		case 's': sigpath = optarg; break;
		case 'p': pcrpath = optarg; break;
		case 'h':
			usage(stdout);
			ret = HV_EXIT_TRUSTED;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!akpath || !noncehex || !msgpath || !sigpath || optind != argc) {
		hg_err("quote: needs --ak, --nonce, --msg and --sig");
		goto out;
	}
	res = calloc(1, sizeof(*res));
	vals = calloc(1, sizeof(*vals));
	/* The verifier chose this nonce (it is the one it sent), so a short
	 * one is its own risk, not the host's: third-party attesters use
	 * short ones (go-tpm-tools on GCE: 2 bytes). 1..64 bytes, with a
	 * warning under the 8 that hostgate's own evidence needs. */
	if (!res || !vals || hv_parse_nonce_min(noncehex, 1, &nonce, &nonce_len) < 0 ||
	    hv_load_ak(akpath, &ak) < 0 || read_small(msgpath, &msg, &msg_len) < 0 ||
	    read_small(sigpath, &sig, &sig_len) < 0 ||
	    (pcrpath && read_small(pcrpath, &pcrs, &pcrs_len) < 0))
		goto out;
	if (nonce_len < HG_NONCE_MIN)
		hg_err("warning: --nonce: %zu byte%s, under %d: a short nonce makes a replayed quote likelier to match",
		       nonce_len, nonce_len == 1 ? "" : "s", HG_NONCE_MIN);
	ret = HV_EXIT_INVALID;
	/* First pass without values: learn the selection from the verified
	 * attest, then lay the concatenated values out along it. */
	if (hg_quote_verify(&ak, msg, msg_len, sig, sig_len, nonce, nonce_len,
			    NULL, res) < 0) {
		hg_err("%s: %s: %s", msgpath, hg_qcheck_name(res->failed), res->why);
		goto out;
	}
	if (pcrpath) {
		size_t off = 0;

		for (size_t i = 0; i < res->sel.n; i++) {
			const struct hg_bank *b = hg_bank_by_alg(res->sel.b[i].alg);

			for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
				struct hg_pcr_value *v;

				if (!(res->sel.b[i].mask & (1u << p)))
					continue;
				if (off + b->size > pcrs_len) {
					hg_err("%s: fewer values than the quote selects", pcrpath);
					goto out;
				}
				v = &vals->v[vals->n++];
				v->alg = b->alg;
				v->pcr = (uint8_t)p;
				v->len = (uint8_t)b->size;
				memcpy(v->d, pcrs + off, b->size);
				off += b->size;
			}
		}
		if (off != pcrs_len) {
			hg_err("%s: more values than the quote selects", pcrpath);
			goto out;
		}
		if (hg_quote_verify(&ak, msg, msg_len, sig, sig_len, nonce,
				    nonce_len, vals, res) < 0) {
			hg_err("%s: %s: %s", pcrpath, hg_qcheck_name(res->failed), res->why);
			goto out;
		}
	}
	printf("quote valid: %zu bank%s, nonce matches%s\n", res->sel.n,
	       res->sel.n == 1 ? "" : "s", pcrpath ? ", PCR values match pcrDigest" : "");
	ret = HV_EXIT_TRUSTED;
out:
	hg_ak_free(&ak);
	free(res);
	free(vals);
	free(nonce);
	free(msg);
	free(sig);
	free(pcrs);
	return ret;
}
