/* enrollreq.c: hostgate-attest enroll-request [--ek-cert FILE]... [-o FILE]
 *
 * The first message of enrollment (lib/enrollmsg.h): this TPM's EK
 * certificates from NV and from --ek-cert files (for vendors that
 * publish them elsewhere), each with the public area of the EK that has
 * the certificate's key, and the AK's public area and Name. A
 * certificate that no EK of this TPM matches is an error, not something to send: the
 * verifier would refuse it anyway, and the operator should know now.
 * The AK must exist (hostgate-attest init).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tss2/tss2_mu.h>

#include "../lib/enrollmsg.h"
#include "../lib/util.h"
#include "cmds.h"
#include "ekcert.h"
#include "ekfind.h"
#include "opts.h"
#include "state.h"
#include "tpm.h"

_Static_assert(HG_EKCERTS_MAX <= HG_ENROLL_MAX_EKS, "a request holds every EK");

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest enroll-request [--ek-cert FILE]... [-o FILE] [OPTIONS]\n\n"
		   "Write an enrollment request (CBOR) for hostgate-verify enroll: the\n"
		   "EK certificates from NV with their EKs' public areas, and the AK's\n"
		   "public area and Name. Run hostgate-attest init first.\n\n"
		   "  --ek-cert FILE     also this EK certificate (PEM or DER), for a TPM\n"
		   "                     whose vendor publishes them outside NV (repeatable)\n"
		   "  -o FILE            output file, written atomically (default stdout)\n"
		   HG_COMMON_HELP);
}

int enroll_request_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "ek-cert", required_argument, NULL, 'e' },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	struct hg_tpm tpm = { 0 };
	struct hg_ekcerts ekc = { 0 };
	struct hg_enroll_request req;
	TPM2B_PUBLIC akpub;
	TPM2B_PRIVATE akpriv;
	uint8_t akbuf[sizeof(TPM2B_PUBLIC)], akname[2 + 64];
	uint8_t ekbuf[HG_EKCERTS_MAX][sizeof(TPM2B_PUBLIC)];
	uint8_t *out = NULL;
	size_t aklen = 0, akname_len = 0, outlen = 0;
	const char *outfile = NULL, *files[HG_EKCERTS_MAX];
	size_t nfiles = 0;
	char host[256];
	struct cw w;
	int c, lock = -1, ret = HG_EXIT_USAGE;

	cw_init(&w);
	memset(&req, 0, sizeof(req));
	if (hg_opts_init(&o) < 0)
		goto out;
	while ((c = hg_opts_next(&o, argc, argv, "ho:", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case 'o':
			outfile = optarg;
			break;
		case 'e':
			if (nfiles == HG_EKCERTS_MAX) {
				hg_err("enroll-request: at most %d --ek-cert", HG_EKCERTS_MAX);
				goto out;
			}
			files[nfiles++] = optarg;
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
		hg_err("enroll-request: unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	ret = HG_EXIT_FAIL;
	if (hg_state_load_ak(o.state, &akpub, &akpriv) < 0)
		goto out;
	explicit_bzero(&akpriv, sizeof(akpriv));
	if (hg_state_ak_name(o.state, &akpub, akbuf, &aklen, akname, &akname_len) < 0)
		goto out;
	if (hg_tpm_open(o.tcti, &tpm) < 0 ||
	    (lock = hg_state_tpm_lock(o.state)) < 0 ||
	    hg_ekcerts_read(&tpm, &ekc) < 0)
		goto out;
	for (size_t i = 0; i < nfiles; i++)
		if (hg_ekcerts_add_file(&ekc, files[i]) < 0)
			goto out;
	if (ekc.n == 0) {
		hg_err("enroll-request: this TPM has no EK certificate in NV "
		       "(0x01c00002, 0x01c0000a, 0x01c00016): give its certificate "
		       "with --ek-cert FILE");
		goto out;
	}
	for (size_t i = 0; i < ekc.n; i++) {
		struct hg_ek ek;
		size_t off = 0;
		int r = hg_ek_for_cert(&tpm, ekc.der[i], ekc.len[i], 0, &ek);

		if (r < 0)
			goto out;
		if (r == 0) {
			hg_err("enroll-request: EK certificate %zu of %zu: no EK of "
			       "this TPM has the certificate's key", i + 1, ekc.n);
			goto out;
		}
		if (Tss2_MU_TPM2B_PUBLIC_Marshal(&ek.pub, ekbuf[i], sizeof(ekbuf[i]),
						 &off) != 0) {
			hg_err("enroll-request: cannot marshal the EK");
			goto out;
		}
		req.ek_cert[i] = (struct hg_bytes){ ekc.der[i], ekc.len[i] };
		req.ek_pub[i] = (struct hg_bytes){ ekbuf[i], off };
	}
	req.n_eks = ekc.n;
	req.ak_pub = (struct hg_bytes){ akbuf, aklen };
	req.ak_name = (struct hg_bytes){ akname, akname_len };
	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		strcpy(host, "unknown");
	host[sizeof(host) - 1] = 0;
	for (char *p = host; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			*p = '_';
	req.hostname = (struct hg_bytes){ (const uint8_t *)host, strlen(host) };
	if (hg_enroll_request_encode(&req, &w) < 0) {
		hg_err("enroll-request: cannot encode the request");
		goto out;
	}
	out = cw_take(&w, &outlen);
	if (hg_write_output(outfile, out, outlen, 0644) < 0)
		goto out;
	ret = HG_EXIT_OK;
out:
	if (lock >= 0)
		close(lock);
	hg_tpm_close(&tpm);
	hg_ekcerts_free(&ekc);
	cw_free(&w);
	free(out);
	return ret;
}
