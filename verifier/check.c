/* check.c: hostgate-verify check --ak AKPUB --nonce HEX --policy POLICY
 *          [--workload KIND:NAME]... [--running FILE] [--quiet] EVIDENCE
 *
 * --running judges each running VM by its own launch record (judgevm.h).
 *
 * --workload scopes the judgement of workload records to the named ones
 * (judge.h says which records are judged and why): the libvirt gate names
 * the VM's config and disks, so another VM's records cannot refuse it.
 *
 * Prints the JSON verdict (verify.h) on stdout and exits 0 trusted,
 * 1 untrusted, 2 usage or unreadable input, 3 invalid evidence. A failure
 * is also one line on stderr naming the evidence, the check and why.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "cmds.h"
#include "inputs.h"
#include "judgevm.h"
#include "policy.h"
#include "running.h"
#include "verify.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify check (--ak AKPUB | --host NAME) --nonce HEX --policy POLICY\n"
		   "                             [--workload KIND:NAME]... [--running FILE]\n"
		   "                             [--uefi-ebs-workaround]\n"
		   "                             [--quiet] EVIDENCE\n\n"
		   "Verify an evidence bundle made by 'hostgate-attest quote' and judge\n"
		   "the host against POLICY. Prints a JSON verdict naming every check.\n"
		   "Host records (hypervisor, firmware, breakglass) are all judged;\n"
		   "of workload records (config, image, overlay) only the latest of\n"
		   "each name.\n\n"
		   "  --ak FILE      the host's AK public area (TPM2B_PUBLIC), as enrolled\n"
		   "  --host NAME    instead of --ak: the AK the registry holds for NAME\n"
		   "                 (hostgate-verify enroll)\n"
		   "  --state DIR    verifier state with the registry (HOSTGATE_VERIFY_STATE,\n"
		   "                 default /var/lib/hostgate-verify)\n"
		   "  --nonce HEX    the nonce this verifier sent, 8..64 bytes\n"
		   "  --policy FILE  the policy (policies/README.md)\n"
		   "  --workload KIND:NAME\n"
		   "                 judge only these workloads (repeatable): KIND is\n"
		   "                 config, image or overlay, NAME an absolute path.\n"
		   "                 Each must have been measured.\n"
		   "  --running FILE the host's running domains, as its agent's GET\n"
		   "                 /v1/domains lists them ([{\"name\", \"uuid\", \"id\"}]):\n"
		   "                 each is judged by its own latest launch record (the\n"
		   "                 records its start rested on, not the latest of their\n"
		   "                 names); a running VM with none is untrusted. The\n"
		   "                 verdict gains \"vms\".\n"
		   "  --uefi-ebs-workaround\n"
		   "                 replay the firmware log with the two missing\n"
		   "                 ExitBootServices events appended on PCR 5 when it\n"
		   "                 lacks them (a known firmware bug; off by default,\n"
		   "                 and named in the verdict when used)\n"
		   "  --quiet        print nothing; the exit code says it all\n"
		   "  -h, --help     this text\n\n"
		   "Exit codes: 0 trusted, 1 untrusted, 2 usage or unreadable input,\n"
		   "3 invalid evidence.\n");
}

/* Parse KIND:NAME into W (NAME borrowed from ARG). */
static int parse_workload(const char *arg, struct hv_workload *w)
{
	const char *colon = strchr(arg, ':');

	w->kind = colon ? hg_kind_parse(arg, (size_t)(colon - arg)) : HG_KIND_NONE;
	if (!hg_kind_is_workload(w->kind)) {
		hg_err("check: --workload \"%s\": not KIND:NAME with KIND config, image or overlay",
		       arg);
		return -1;
	}
	w->name = colon + 1;
	if (w->name[0] != '/' || strlen(w->name) > HG_CEL_MAX_NAME) {
		hg_err("check: --workload \"%s\": NAME is not an absolute path of at most %d bytes",
		       arg, HG_CEL_MAX_NAME);
		return -1;
	}
	return 0;
}

int check_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ak", required_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		{ "state", required_argument, NULL, 's' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "policy", required_argument, NULL, 'p' },
		{ "workload", required_argument, NULL, 'w' },
		{ "running", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "uefi-ebs-workaround", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *host = NULL, *state = NULL;
	const char *akpath = NULL, *noncehex = NULL, *polpath = NULL, *path;
	const char *runpath = NULL;
	struct hv_running run = { 0 };
	struct hv_vm_result vr = { 0 };
	struct hg_ak ak = { 0 };
	struct hg_policy pol = { 0 };
	struct hv_result *res = NULL;
	struct hv_inputs in = { 0 };
	struct hv_workload *wl = NULL;
	size_t nwl = 0;
	uint8_t *nonce = NULL, *ev = NULL;
	size_t nonce_len = 0, ev_len = 0;
	unsigned uefi_flags = 0;
	int c, quiet = 0, ret = HV_EXIT_USAGE;

	/* At most one --workload per argument: argc bounds them. */
	wl = calloc((size_t)argc, sizeof(*wl));
	if (!wl) {
		hg_err("out of memory");
		goto out;
	}
	while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': akpath = optarg; break;
		case 'H': host = optarg; break;
		case 's': state = optarg; break;
		case 'n': noncehex = optarg; break;
		case 'p': polpath = optarg; break;
		case 'w':
			if (parse_workload(optarg, &wl[nwl]) < 0)
				goto out;
			nwl++;
			break;
		case 'r': runpath = optarg; break;
		case 'q': quiet = 1; break;
		case 'E': uefi_flags |= HG_UEFI_EBS_WORKAROUND; break;
		case 'h':
			usage(stdout);
			ret = HV_EXIT_TRUSTED;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!akpath == !host || !noncehex || !polpath || optind + 1 != argc) {
		hg_err("check: needs --ak or --host (one of them), --nonce, --policy "
		       "and one EVIDENCE file");
		goto out;
	}
	path = argv[optind];
	if (hv_parse_nonce(noncehex, &nonce, &nonce_len) < 0 ||
	    (akpath ? hv_load_ak(akpath, &ak) : hv_host_ak(state, host, &ak)) < 0 ||
	    hg_policy_load(polpath, &pol) < 0 ||
	    (runpath && hv_running_load(runpath, &run) < 0) ||
	    hv_read_evidence(path, &ev, &ev_len) < 0)
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res) {
		hg_err("out of memory");
		goto out;
	}
	in.evidence = ev;
	in.evidence_len = ev_len;
	in.ak = &ak;
	in.nonce = nonce;
	in.nonce_len = nonce_len;
	in.policy = &pol;
	in.workloads = nwl ? wl : NULL;
	in.nworkloads = nwl;
	in.uefi_flags = uefi_flags;
	in.host = host;
	in.want_json = !quiet;
	ret = runpath ? hv_verify_running(&in, &run, res, &vr) : hv_verify(&in, res);
	if (!quiet)
		printf("%s\n", json_object_to_json_string_ext(
			res->verdict, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (ret != HV_EXIT_TRUSTED && !quiet) {
		/* The line names the failure that decided the exit code. */
		if (runpath && vr.exit > 0 && (vr.exit == 3 || vr.host_exit == 0))
			hg_err("%s: vms: %s%s", path, vr.why,
			       vr.nfailures + res->nfailures > 1 ? " (and more failures)" : "");
		else if (res->nfailures > 1)
			hg_err("%s: %s: %s (and %zu more failures)", path,
			       hv_check_name(res->first_failed), res->why,
			       res->nfailures - 1);
		else
			hg_err("%s: %s: %s", path, hv_check_name(res->first_failed),
			       res->why);
	}
out:
	if (res)
		hv_result_free(res);
	free(res);
	hg_policy_free(&pol);
	hv_running_free(&run);
	hg_ak_free(&ak);
	free(wl);
	free(nonce);
	free(ev);
	return ret;
}
