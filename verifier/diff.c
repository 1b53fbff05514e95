/* diff.c: hostgate-verify diff [--json] POLICY_A POLICY_B
 *         hostgate-verify diff [--json] [--ak AKPUB] [--nonce HEX]
 *                              --evidence EVIDENCE POLICY
 *
 * Lists what differs between two policies, or between a policy and the
 * host an evidence bundle shows: the evidence is verified and its policy
 * learned in memory (learnpol.h), then compared as B against POLICY as A.
 * The comparison itself, and how host mode reads it, is in diffpol.h.
 *
 * Exit codes: 0 no differences, 1 differences, 2 usage or unreadable
 * input, 3 invalid evidence.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "cmds.h"
#include "diffpol.h"
#include "inputs.h"
#include "learnpol.h"
#include "policy.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify diff [--json] POLICY_A POLICY_B\n"
		   "       hostgate-verify diff [--json] [--ak AKPUB] [--nonce HEX]\n"
		   "                            --evidence EVIDENCE POLICY\n\n"
		   "Compare two policies (A, the reference, and B), or POLICY (A) with\n"
		   "the host EVIDENCE shows (B): the evidence is verified as 'learn' does\n"
		   "and the policy that accepts exactly its host is compared with POLICY.\n"
		   "One line per difference, in a stable order:\n"
		   "  ~ banks: sha256 " "\xe2\x86\x92" " sha256,sha384\n"
		   "  - image /var/lib/golden.qcow2 sha256:HEX (only in A)\n"
		   "  ~ hypervisor /usr/bin/qemu-system-x86_64: sha256 OLD " "\xe2\x86\x92" " NEW\n"
		   "  ~ firmware boot_apps: sha256 OLD " "\xe2\x86\x92" " NEW\n"
		   "  ~ pcr 4 sha256: OLD " "\xe2\x86\x92" " NEW\n"
		   "and nothing when they are the same. With --evidence, lines say\n"
		   "\"not measured on this host\", \"measured on this host but not in the\n"
		   "policy\", \"changed on this host\"; allow/deny of unknown files and\n"
		   "required flags are not compared (a learned policy has no such choice),\n"
		   "and PCR values are those of POLICY, compared with the quoted ones.\n"
		   "When POLICY has a firmware section, each firmware event it would\n"
		   "refuse is named, and a changed PCR's line names those events:\n"
		   "  ~ PCR4: boot application \\EFI\\BOOT\\BOOTX64.EFI (event 27) sha256 changed: ALLOWED " "\xe2\x86\x92" " NEW\n"
		   "  ~ pcr 4 sha256: OLD " "\xe2\x86\x92" " NEW (changed on this host; firmware events the policy does not allow: 27)\n\n"
		   "  --json           {\"same\": bool, \"differences\": [{\"what\", \"change\",\n"
		   "                   \"kind\", \"name\", \"rule\", \"bank\", \"pcr\", \"event\",\n"
		   "                   \"old\", \"new\"}]}\n"
		   "  --evidence FILE  compare POLICY with the host of this evidence\n"
		   "  --ak FILE        verify the evidence with this AK (default: the\n"
		   "                   evidence's own, trusted on first use, as 'learn')\n"
		   "  --nonce HEX      require this nonce (default: the evidence's own)\n"
		   "  -h, --help       this text\n\n"
		   "Exit codes: 0 no differences, 1 differences, 2 usage or unreadable\n"
		   "input, 3 invalid evidence.\n");
}

/* Verify EVPATH, learn its policy and parse it back into *B. Returns 0 or
 * the exit code. *EV (caller frees) holds the evidence RES borrows:
 * res->ev.pcrs are then the verified quote's values. */
static int learn_host(const char *evpath, const char *akpath, const char *noncehex,
		      const struct hg_policy *a, struct hv_result *res,
		      uint8_t **ev, struct hg_policy *b)
{
	struct hg_ak ak = { 0 };
	uint8_t *nonce = NULL;
	size_t nonce_len = 0, ev_len = 0;
	json_object *learned = NULL;
	uint32_t mask = 0;
	char label[512];
	const char *text;
	int rc, ret = HV_EXIT_USAGE;

	if ((noncehex && hv_parse_nonce(noncehex, &nonce, &nonce_len) < 0) ||
	    (akpath && hv_load_ak(akpath, &ak) < 0) ||
	    hv_read_evidence(evpath, ev, &ev_len) < 0)
		goto out;
	/* Learn the values of the PCRs A judges only: the rest is noise. */
	for (size_t i = 0; i < a->pcrs.n; i++)
		mask |= 1u << a->pcrs.v[i].pcr;
	rc = hv_learn(*ev, ev_len, akpath ? &ak : NULL, nonce, nonce_len, mask,
		      &learned, res);
	if (rc != 0) {
		if (rc == HV_EXIT_INVALID)
			hg_err("%s: %s: %s", evpath, hv_check_name(res->first_failed), res->why);
		else
			hg_err("%s: out of memory", evpath);
		ret = rc == HV_EXIT_INVALID ? HV_EXIT_INVALID : HV_EXIT_USAGE;
		goto out;
	}
	text = json_object_to_json_string(learned);
	snprintf(label, sizeof(label), "%s (its learned policy)", evpath);
	/* A host can log what no policy can say (a relative name): its
	 * evidence is then not one this verifier can judge. */
	if (!text || hg_policy_parse(label, text, strlen(text), b) < 0) {
		ret = HV_EXIT_INVALID;
		goto out;
	}
	ret = 0;
out:
	json_object_put(learned);
	hg_ak_free(&ak);
	free(nonce);
	return ret;
}

int diff_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "evidence", required_argument, NULL, 'e' },
		{ "ak", required_argument, NULL, 'a' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *evpath = NULL, *akpath = NULL, *noncehex = NULL;
	struct hg_policy a = { 0 }, b = { 0 };
	struct hv_result *res = NULL;
	struct hv_diffs d = { 0 };
	json_object *root = NULL;
	uint8_t *ev = NULL;
	int c, json = 0, ret = HV_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'e': evpath = optarg; break;
		case 'a': akpath = optarg; break;
		case 'n': noncehex = optarg; break;
		case 'h':
			usage(stdout);
			ret = HV_EXIT_TRUSTED;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (evpath ? optind + 1 != argc : optind + 2 != argc) {
		hg_err("diff: give POLICY_A POLICY_B, or --evidence EVIDENCE POLICY");
		goto out;
	}
	if (!evpath && (akpath || noncehex)) {
		hg_err("diff: --ak and --nonce go with --evidence");
		goto out;
	}
	if (hg_policy_load(argv[optind], &a) < 0)
		goto out;
	if (evpath) {
		res = calloc(1, sizeof(*res));
		if (!res) {
			hg_err("out of memory");
			goto out;
		}
		ret = learn_host(evpath, akpath, noncehex, &a, res, &ev, &b);
		if (ret != 0)
			goto out;
		ret = HV_EXIT_USAGE;
	} else if (hg_policy_load(argv[optind + 1], &b) < 0) {
		goto out;
	}
	/* The host's firmware facts: those of the log that replayed to the
	 * verified quote (learn succeeded, so any log the evidence had did). */
	if (hv_diff_policies(&a, &b, res ? &res->ev.pcrs : NULL,
			     res && res->fw_replayed ? &res->fw_facts : NULL, &d) < 0 ||
	    (json && !(root = hv_diffs_json(&d)))) {
		hg_err("out of memory");
		goto out;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(
			root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		hv_diffs_print(&d, stdout);
	ret = d.n ? HV_EXIT_UNTRUSTED : HV_EXIT_TRUSTED;
out:
	json_object_put(root);
	hv_diffs_free(&d);
	if (res)
		hv_result_free(res);
	free(res);
	free(ev);
	hg_policy_free(&a);
	hg_policy_free(&b);
	return ret;
}
