/* activate.c: hostgate-attest activate CHALLENGE [-o FILE]
 *
 * The host's half of credential activation (TPM 2.0 Part 1 §24): the
 * verifier made a credential that only the TPM holding the EK it names
 * can open, and only while the object with the AK's Name is loaded in
 * it. This loads the AK, finds that EK (attest/ekfind.h), runs TPM2_ActivateCredential and writes the secret
 * it gives back as the response. The TPM, not this code, is what says
 * no: a credential for another TPM or another AK fails in the TPM
 * (TPM_RC_INTEGRITY, or a bad seed).
 *
 * Checked here first, for a clear message: the challenge is for this
 * host's AK Name, and this TPM has an EK with its EK Name (persistent,
 * or recreated from template L-1 or L-2: attest/ekfind.h); the
 * certificate was the verifier's business.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tss2/tss2_mu.h>

#include "../lib/enrollmsg.h"
#include "../lib/util.h"
#include "akuse.h"
#include "cmds.h"
#include "ekfind.h"
#include "opts.h"
#include "state.h"
#include "tpm.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest activate CHALLENGE [-o FILE] [OPTIONS]\n\n"
		   "Answer an enrollment challenge from hostgate-verify enroll: the TPM\n"
		   "opens the credential with the EK it names (TPM2_ActivateCredential)\n"
		   "for this host's AK, and the response (CBOR) carries what it gave.\n\n"
		   "  -o FILE            output file, written atomically with mode 0600\n"
		   "                     (default stdout)\n"
		   HG_COMMON_HELP);
}

/* Unmarshal exactly one T from a challenge field. */
#define UNMARSHAL_EXACT(T, b, out)                                          \
	({                                                                  \
		size_t _off = 0;                                            \
		Tss2_MU_##T##_Unmarshal((b).p, (b).n, &_off, (out)) == 0 && \
			_off == (b).n;                                      \
	})

int activate_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	struct hg_tpm tpm = { 0 };
	struct hg_enroll_challenge ch;
	struct hg_enroll_response resp;
	struct hg_ek ek = { 0 };
	TPM2B_PUBLIC akpub;
	TPM2B_PRIVATE akpriv;
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	TPM2B_DIGEST *secret = NULL;
	struct hg_akuse ak = { .ak = ESYS_TR_NONE, .ek = ESYS_TR_NONE };
	uint8_t akbuf[sizeof(TPM2B_PUBLIC)], akname[2 + 64];
	uint8_t *in = NULL, *out = NULL;
	size_t inlen = 0, aklen = 0, akname_len = 0, outlen = 0;
	const char *outfile = NULL, *path, *why;
	struct cw w;
	int c, r, lock = -1, ret = HG_EXIT_USAGE;

	cw_init(&w);
	memset(&akpriv, 0, sizeof(akpriv));
	if (hg_opts_init(&o) < 0)
		goto out;
	while ((c = hg_opts_next(&o, argc, argv, "ho:", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
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
	if (optind + 1 != argc) {
		hg_err("activate: needs exactly one CHALLENGE file");
		goto out;
	}
	path = argv[optind];
	ret = HG_EXIT_FAIL;
	if (hg_read_file(path, HG_ENROLL_MAX_SIZE, 0, &in, &inlen) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "larger than 64 KiB" : hg_strerror_read(errno));
		goto out;
	}
	if (hg_enroll_challenge_decode(in, inlen, &ch, &why) < 0) {
		hg_err("%s: %s", path, why);
		goto out;
	}
	memset(&blob, 0, sizeof(blob));
	memset(&enc, 0, sizeof(enc));
	if (!UNMARSHAL_EXACT(TPM2B_ID_OBJECT, ch.blob, &blob) ||
	    !UNMARSHAL_EXACT(TPM2B_ENCRYPTED_SECRET, ch.enc_secret, &enc)) {
		hg_err("%s: blob or enc_secret is not exactly one TPM2B", path);
		goto out;
	}
	if (hg_state_load_ak(o.state, &akpub, &akpriv) < 0)
		goto out;
	if (hg_state_ak_name(o.state, &akpub, akbuf, &aklen, akname, &akname_len) < 0)
		goto out;
	if (ch.ak_name.n != akname_len || memcmp(ch.ak_name.p, akname, akname_len)) {
		hg_err("%s: the challenge is for another AK, not this host's", path);
		goto out;
	}
	/* Object slots (swtpm holds 3): a transient AK's parent only while
	 * loading; a persistent AK takes none (akuse.h). */
	if (hg_tpm_open(o.tcti, &tpm) < 0 ||
	    (lock = hg_state_tpm_lock(o.state)) < 0 ||
	    hg_akuse_open(&tpm, o.state, &ak) < 0)
		goto out;
	hg_tpm_flush(&tpm, ak.ek);
	ak.ek = ESYS_TR_NONE;
	if ((r = hg_ek_by_name(&tpm, ch.ek_name.p, ch.ek_name.n, &ek)) <= 0) {
		if (r == 0)
			hg_err("%s: the challenge is for an EK this TPM does not have",
			       path);
		goto out;
	}
	if (hg_tpm_activate(&tpm, ak.ak, ek.tr, &ek.pub, &blob, &enc, &secret) < 0) {
		hg_err("%s: the TPM refused to open the credential: it was not "
		       "made for this TPM's EK and AK", path);
		goto out;
	}
	resp.id = ch.id;
	resp.secret = (struct hg_bytes){ secret->buffer, secret->size };
	if (hg_enroll_response_encode(&resp, &w) < 0) {
		hg_err("activate: cannot encode the response");
		goto out;
	}
	out = cw_take(&w, &outlen);
	if (hg_write_output(outfile, out, outlen, 0600) < 0)
		goto out;
	ret = HG_EXIT_OK;
out:
	hg_ek_release(&tpm, &ek);
	hg_akuse_close(&tpm, &ak);
	if (lock >= 0)
		close(lock);
	hg_tpm_close(&tpm);
	explicit_bzero(&akpriv, sizeof(akpriv));
	if (secret) {
		explicit_bzero(secret, sizeof(*secret));
		free(secret);
	}
	if (out) {
		explicit_bzero(out, outlen);
		free(out);
	}
	cw_free(&w);
	free(in);
	return ret;
}
