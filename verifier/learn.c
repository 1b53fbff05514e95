/* learn.c: hostgate-verify learn [--ak AKPUB] [--nonce HEX] [--pcrs LIST]
 *          EVIDENCE > policy.json
 *
 * Writes the policy that accepts exactly the host of EVIDENCE (see
 * learnpol.h for what goes in). Run it on evidence from a host known to be
 * good: without --ak the evidence's own AK is trusted for this once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../lib/util.h"
#include "cmds.h"
#include "inputs.h"
#include "vstate.h"
#include "learnpol.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify learn [--ak AKPUB | --host NAME] [--nonce HEX] [--pcrs LIST] EVIDENCE\n\n"
		   "Verify EVIDENCE and print (JSON, stdout) the policy that accepts\n"
		   "exactly its host: every measured file with its digests, the accepted\n"
		   "banks, the quoted values of the PCRs in LIST and, when the evidence\n"
		   "has a firmware event log, its firmware section (Secure Boot, boot\n"
		   "application and PK/KEK/db/dbx digests). What cannot be learned is\n"
		   "said on stderr.\n\n"
		   "  --ak FILE     verify with this AK (default: the evidence's own,\n"
		   "                trusted on first use)\n"
		   "  --host NAME   verify with the AK the registry holds for NAME\n"
		   "                (hostgate-verify enroll)\n"
		   "  --state DIR   verifier state with the registry (HOSTGATE_VERIFY_STATE,\n"
		   "                default /var/lib/hostgate-verify)\n"
		   "  --db DB       the registry: a SQLite file or a postgresql:// URI\n"
		   "                (HOSTGATE_VERIFY_DB; default STATE/registry.sqlite)\n"
		   "  --nonce HEX   require this nonce (default: the evidence's own)\n"
		   "  --pcrs LIST   PCRs whose values the policy requires (default 0-9)\n"
		   "  -h, --help    this text\n\n"
		   "Exit codes: 0 written, 2 usage or unreadable input, 3 invalid evidence.\n");
}

int learn_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ak", required_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *akpath = NULL, *noncehex = NULL, *path;
	const char *host = NULL, *state = NULL;
	struct hg_ak ak = { 0 };
	struct hv_result *res = NULL;
	json_object *policy = NULL;
	uint8_t *nonce = NULL, *ev = NULL;
	size_t nonce_len = 0, ev_len = 0;
	uint32_t mask = 0x3ff;
	int c, ret = HV_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': akpath = optarg; break;
		case 'H': host = optarg; break;
		case 's': state = optarg; break;
		case 'D': hv_registry_db_set(optarg); break;
		case 'n': noncehex = optarg; break;
		case 'p':
			if (hg_pcr_mask_parse(optarg, &mask) < 0) {
				hg_err("--pcrs: \"%s\" is not a list of PCRs 0..23 like 0-9", optarg);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			ret = HV_EXIT_TRUSTED;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		hg_err("learn: give one EVIDENCE file");
		goto out;
	}
	if (akpath && host) {
		hg_err("learn: give --ak or --host, not both");
		goto out;
	}
	path = argv[optind];
	if ((noncehex && hv_parse_nonce(noncehex, &nonce, &nonce_len) < 0) ||
	    (akpath && hv_load_ak(akpath, &ak) < 0) ||
	    (host && hv_host_ak(state, host, &ak) < 0) ||
	    hv_read_evidence(path, &ev, &ev_len) < 0)
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res)
		goto out;
	ret = hv_learn(ev, ev_len, akpath || host ? &ak : NULL, nonce, nonce_len, mask,
		       &policy, res);
	if (ret != 0) {
		hg_err("%s: %s: %s; no policy learned", path,
		       hv_check_name(res->first_failed), res->why);
		goto out;
	}
	printf("%s\n", json_object_to_json_string_ext(
		policy, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(policy);
	if (res)
		hv_result_free(res);
	free(res);
	hg_ak_free(&ak);
	free(nonce);
	free(ev);
	return ret;
}
