/* init.c: hostgate-attest init [--ak-out FILE] [--ak-alg ecc|rsa]
 *
 * Idempotent: the first run creates the AK under the EK and the log key;
 * later runs load them (proving the AK still belongs to this TPM) and only
 * rewrite --ak-out. An existing AK of another algorithm than --ak-alg is
 * an error, never silently replaced: the verifier trusts that key.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/util.h"
#include "cmds.h"
#include "opts.h"
#include "state.h"
#include "tpm.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest init [--ak-out FILE] [--ak-alg ecc|rsa] [OPTIONS]\n\n"
		   "Create (first run) or load the attestation key (a restricted\n"
		   "signing key under the EK) and the log signing key.\n\n"
		   "  --ak-out FILE      write the AK public area (TPM2B_PUBLIC)\n"
		   "  --ak-alg ALG       ecc (P-256, default) or rsa (2048) for a new AK\n"
		   HG_COMMON_HELP);
}

int init_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ak-out", required_argument, NULL, 'o' },
		{ "ak-alg", required_argument, NULL, 'a' },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	struct hg_tpm tpm = { 0 };
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	TPM2B_PUBLIC pub, *newpub = NULL;
	TPM2B_PRIVATE priv, *newpriv = NULL;
	EVP_PKEY *logkey = NULL;
	const char *ak_out = NULL;
	enum hg_ak_alg alg = HG_AK_ECC;
	int alg_given = 0, c, has, lock = -1, ret = HG_EXIT_USAGE;
	uint8_t pubbuf[sizeof(TPM2B_PUBLIC)], akname[2 + 64];
	size_t publen = 0, akname_len = 0;
	char name[2 * sizeof(akname) + 1];

	if (hg_opts_init(&o) < 0)
		goto out;
	while ((c = hg_opts_next(&o, argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case 'o':
			ak_out = optarg;
			break;
		case 'a':
			alg_given = 1;
			if (!strcmp(optarg, "ecc"))
				alg = HG_AK_ECC;
			else if (!strcmp(optarg, "rsa"))
				alg = HG_AK_RSA;
			else {
				hg_err("--ak-alg: \"%s\" is not ecc or rsa", optarg);
				goto out;
			}
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
	if (optind != argc) {
		hg_err("init: unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	ret = HG_EXIT_FAIL;
	umask(077);
	if (hg_mkdir_p(o.state, 0700) < 0) {
		hg_err("%s: %s", o.state, strerror(errno));
		goto out;
	}
	if ((has = hg_state_has_ak(o.state)) < 0)
		goto out;
	if ((lock = hg_state_tpm_lock(o.state)) < 0 ||
	    hg_tpm_open(o.tcti, &tpm) < 0 || hg_tpm_ek_create(&tpm, &ek) < 0)
		goto out;
	if (has) {
		int is_rsa;

		if (hg_state_load_ak(o.state, &pub, &priv) < 0)
			goto out;
		is_rsa = pub.publicArea.type == TPM2_ALG_RSA;
		if (alg_given && is_rsa != (alg == HG_AK_RSA)) {
			hg_err("%s: an %s AK exists; remove %s and %s to make another",
			       o.state, is_rsa ? "rsa" : "ecc",
			       HG_STATE_AK_PUB, HG_STATE_AK_PRIV);
			goto out;
		}
		/* Loading proves the saved AK was made by this TPM's EK. */
		if (hg_tpm_ak_load(&tpm, ek, &pub, &priv, &ak) < 0) {
			hg_err("%s: the saved AK does not load under this TPM's EK "
			       "(TPM cleared or replaced?)", o.state);
			goto out;
		}
	} else {
		if (hg_tpm_ak_create(&tpm, ek, alg, &newpub, &newpriv) < 0 ||
		    hg_state_save_ak(o.state, newpub, newpriv) < 0)
			goto out;
		pub = *newpub;
	}
	if (hg_state_log_key(o.state, 1, &logkey) < 0)
		goto out;
	if (ak_out && hg_write_tpm2b_public(ak_out, &pub) < 0)
		goto out;
	if (hg_state_ak_name(o.state, &pub, pubbuf, &publen, akname, &akname_len) < 0)
		goto out;
	hg_hex_encode(akname, akname_len, name);
	printf("ak: %s %s\nak-name: %s\nstate: %s\n",
	       has ? "loaded" : "created",
	       pub.publicArea.type == TPM2_ALG_RSA ? "rsa-2048" : "ecc-p256",
	       name, o.state);
	ret = HG_EXIT_OK;
out:
	if (tpm.esys) {
		hg_tpm_flush(&tpm, ak);
		hg_tpm_flush(&tpm, ek);
	}
	hg_tpm_close(&tpm);
	if (lock >= 0)
		close(lock);
	EVP_PKEY_free(logkey);
	free(newpub);
	free(newpriv);
	return ret;
}
