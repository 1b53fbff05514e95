/* init.c: hostgate-attest init [--ak-out FILE] [--ak-alg ecc|rsa]
 *
 * Idempotent: the first run creates the AK under the EK and the log key;
 * later runs load them (proving the AK still belongs to this TPM) and only
 * rewrite --ak-out. An existing AK of another algorithm than --ak-alg is
 * an error, never silently replaced: the verifier trusts that key.
 *
 * Every run also makes the AK persistent (akuse.h hg_akuse_persist():
 * TPM2_EvictControl to a handle recorded in STATE/ak.handle), so that a
 * quote needs no TPM2_CreatePrimary and no TPM2_Load. That migrates a
 * state from before persistent AKs, and restores the handle after a TPM
 * clear: same key, same enrolment.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/util.h"
#include "akuse.h"
#include "cmds.h"
#include "opts.h"
#include "state.h"
#include "tpm.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest init [--ak-out FILE] [--ak-alg ecc|rsa] [OPTIONS]\n\n"
		   "Create (first run) or load the attestation key (a restricted\n"
		   "signing key under the EK) and the log signing key, and make the\n"
		   "AK persistent (a handle in 0x81020000..0x810200ff, recorded in\n"
		   "STATE/ak.handle). Run it again after a TPM clear.\n\n"
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
	char name[2 * sizeof(akname) + 1], hbuf[32] = "none";
	const char *how = NULL;
	uint32_t handle = 0;
	int p;

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
			hg_err("%s: an %s AK exists; remove %s, %s and %s to make another",
			       o.state, is_rsa ? "rsa" : "ecc",
			       HG_STATE_AK_PUB, HG_STATE_AK_PRIV, HG_STATE_AK_HANDLE);
			goto out;
		}
		/* Loading proves the saved AK was made by this TPM's EK. */
		if (hg_tpm_ak_load(&tpm, ek, &pub, &priv, &ak) < 0) {
			hg_err("%s: the saved AK does not load under this TPM's EK (TPM cleared or "
			       "replaced?): to make a new AK, remove %s, %s and %s, run init "
			       "and enroll the new AK", o.state, HG_STATE_AK_PUB, HG_STATE_AK_PRIV,
			       HG_STATE_AK_HANDLE);
			goto out;
		}
	} else {
		/* A handle recorded for an AK whose files are gone is not
		 * this AK's: forget it (the old object stays in the TPM). */
		if (hg_state_save_ak_handle(o.state, 0) < 0 ||
		    hg_tpm_ak_create(&tpm, ek, alg, &newpub, &newpriv) < 0 ||
		    hg_state_save_ak(o.state, newpub, newpriv) < 0 ||
		    hg_tpm_ak_load(&tpm, ek, newpub, newpriv, &ak) < 0)
			goto out;
		pub = *newpub;
	}
	/* The EK's slot is not needed for EvictControl (swtpm holds 3). */
	hg_tpm_flush(&tpm, ek);
	ek = ESYS_TR_NONE;
	if ((p = hg_akuse_persist(&tpm, o.state, ak, &pub, &handle, &how)) < 0)
		goto out;
	if (p == 1)
		snprintf(hbuf, sizeof(hbuf), "0x%08x (%s)", handle, how);
	if (hg_state_log_key(o.state, 1, &logkey) < 0)
		goto out;
	if (ak_out && hg_write_tpm2b_public(ak_out, &pub) < 0)
		goto out;
	if (hg_state_ak_name(o.state, &pub, pubbuf, &publen, akname, &akname_len) < 0)
		goto out;
	hg_hex_encode(akname, akname_len, name);
	printf("ak: %s %s\nak-name: %s\nak-handle: %s\nstate: %s\n",
	       has ? "loaded" : "created",
	       pub.publicArea.type == TPM2_ALG_RSA ? "rsa-2048" : "ecc-p256",
	       name, hbuf, o.state);
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
