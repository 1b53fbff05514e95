/* check.c: hostgate-verify check --ak AKPUB --nonce HEX --policy POLICY
 *          [--workload KIND:NAME]... [--running FILE] [--quiet] EVIDENCE
 *
 * --running judges each running VM by its own launch record (judgevm.h).
 *
 * --workload scopes the judgement of workload records to the named ones
 * (judge.h says which records are judged and why): the libvirt gate names
 * the VM's config and disks, so another VM's records cannot refuse it.
 *
 * --state-in FILE / --state-out FILE: incremental verification (incr.h).
 * The state FILE names resumes a host's log; evidence whose log carries
 * only the records after it (quote --since) is checked from there. A
 * state that does not decode is not used (a full check, "fallback" says
 * why). The next state is written atomically (0600) to --state-out when
 * the log and the replay passed; otherwise that file is left as it was.
 * Both are sealed with an HMAC under the verifier's key, made on first
 * use in the --state DIR (incrseal.h): a state changed outside this
 * verifier, or made by another, is not used.
 * The verdict gains "mode", "fallback", "full_required" and "since".
 *
 * Prints the JSON verdict (verify.h) on stdout and exits 0 trusted,
 * 1 untrusted, 2 usage or unreadable input, 3 invalid evidence. A failure
 * is also one line on stderr naming the evidence, the check and why.
 */
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/ear.h"
#include "../lib/util.h"
#include "cmds.h"
#include "evmap.h"
#include "incr.h"
#include "incrseal.h"
#include "inputs.h"
#include "judgevm.h"
#include "policy.h"
#include "running.h"
#include "verify.h"
#include "vstate.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify check (--ak AKPUB | --host NAME) --nonce HEX --policy POLICY\n"
		   "                             [--workload KIND:NAME]... [--running FILE]\n"
		   "                             [--uefi-ebs-workaround] [--state-in FILE]\n"
		   "                             [--state-out FILE] [--measured]\n"
		   "                             [--verify-log-signatures] [--quiet] EVIDENCE\n\n"
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
		   "  --db DB        the registry: a SQLite file or a postgresql:// URI\n"
		   "                 (HOSTGATE_VERIFY_DB; default STATE/registry.sqlite)\n"
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
		   "  --state-in FILE\n"
		   "                 resume the state of an earlier check of this host:\n"
		   "                 evidence from 'quote --since' carries only the new\n"
		   "                 records (a full check when the state does not match;\n"
		   "                 a partial log it cannot anchor is invalid, exit 3)\n"
		   "  --state-out FILE\n"
		   "                 write the state for the next check (atomically);\n"
		   "                 states are sealed under DIR/incr.key (--state DIR)\n"
		   "  --measured     add \"measured\": the judged file records' digests, when\n"
		   "                 the log verified and replayed (what 'ear issue' vouches for)\n"
		   "  --verify-log-signatures\n"
		   "                 check the ES256 signature of every log record; by\n"
		   "                 default only records the quoted replay does not bind\n"
		   "                 are checked (docs/log-format.md)\n"
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

/* The policy, and the SHA-256 of its bytes (a state is only resumed
 * under the policy it was judged by): read once, so both are of the same
 * bytes. */
static int load_policy(const char *path, struct hg_policy *p, uint8_t sha[32])
{
	struct hg_digest d;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (hg_read_file(path, HG_POLICY_MAX_SIZE, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "policy larger than 16 MiB"
						      : hg_strerror_read(errno));
		goto out;
	}
	if (hg_hash(HG_ALG_SHA256, buf, len, &d) < 0) {
		hg_err("%s: cannot hash the policy", path);
		goto out;
	}
	memcpy(sha, d.d, 32);
	ret = hg_policy_parse(path, (const char *)buf, len, p);
out:
	free(buf);
	return ret;
}

/* 1 with a state in ST; 0 when FILE does not exist, is not sealed under
 * this verifier's key (incrseal.h: DIR/incr.key) or does not decode (WHY
 * says which; the check is then a full one); -1 (printed) when it cannot
 * be read. */
static int load_state(const char *path, const char *dir, struct hv_incr_state *st,
		      char *why, size_t n)
{
	uint8_t key[HV_INCR_KEY_LEN], *buf = NULL;
	const uint8_t *inner;
	size_t len = 0, inner_len;
	const char *w;
	int k, ret = -1;

	if (hg_read_file(path, HV_INCR_MAX_STATE + 64, 0, &buf, &len) < 0) {
		if (errno == ENOENT) {
			snprintf(why, n, "no state in %s", path);
			return 0;
		}
		if (errno != EFBIG) {
			hg_err("%s: %s", path, hg_strerror_read(errno));
			return -1;
		}
		snprintf(why, n, "state %s is larger than 32 MiB; not used", path);
		return 0;
	}
	if ((k = hv_incr_key(dir, 0, key)) < 0)
		goto out;
	ret = 0;
	if (k == 1)
		snprintf(why, n, "state %s: no state key %s/%s to check it with; not used", path,
			 dir, HV_INCR_KEY_FILE);
	else if (hv_incr_unseal(key, buf, len, &inner, &inner_len, &w) < 0)
		snprintf(why, n, "state %s: %s; not used", path, w);
	else if (hv_incr_state_decode(inner, inner_len, st, &w) < 0)
		snprintf(why, n, "state %s does not decode (%s); not used", path, w);
	else
		ret = 1;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(buf);
	return ret;
}

/* The next state, sealed under this verifier's key (made on first use). */
static int save_state(const char *path, const char *dir, const struct hv_incr_state *st)
{
	uint8_t key[HV_INCR_KEY_LEN], *sealed = NULL;
	size_t len = 0;
	int ret = -1;

	if (hv_incr_key(dir, 1, key) != 0)
		goto out;
	if (hv_incr_seal(key, st->buf, st->len, &sealed, &len) < 0) {
		hg_err("%s: cannot seal the state", path);
		goto out;
	}
	if (hg_write_file_atomic(path, sealed, len, 0600) < 0) {
		hg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(sealed);
	return ret;
}

int check_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ak", required_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "policy", required_argument, NULL, 'p' },
		{ "workload", required_argument, NULL, 'w' },
		{ "running", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "measured", no_argument, NULL, 'm' },
		{ "uefi-ebs-workaround", no_argument, NULL, 'E' },
		{ "state-in", required_argument, NULL, 'I' },
		{ "state-out", required_argument, NULL, 'O' },
		{ "verify-log-signatures", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *host = NULL, *state = NULL;
	const char *akpath = NULL, *noncehex = NULL, *polpath = NULL, *path;
	const char *state_in = NULL, *state_out = NULL;
	struct hv_incr_state prev = { 0 }, next = { 0 };
	struct hv_incr_info info = { 0 };
	uint8_t pol_sha[32];
	char state_why[192] = "";
	int have_prev = 0;
	const char *runpath = NULL;
	struct hv_running run = { 0 };
	struct hv_vm_result vr = { 0 };
	struct hg_ak ak = { 0 };
	struct hg_policy pol = { 0 };
	struct hv_result *res = NULL;
	struct hv_inputs in = { 0 };
	struct hv_workload *wl = NULL;
	struct hg_ear_scope *scope = NULL;
	struct hg_ear_collect col = { 0 };
	size_t nwl = 0;
	uint8_t *nonce = NULL;
	size_t nonce_len = 0;
	struct hv_evmap em = { .fd = -1 };
	unsigned uefi_flags = 0;
	int c, quiet = 0, measured = 0, ret = HV_EXIT_USAGE;

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
		case 'D': hv_registry_db_set(optarg); break;
		case 'n': noncehex = optarg; break;
		case 'p': polpath = optarg; break;
		case 'w':
			if (parse_workload(optarg, &wl[nwl]) < 0)
				goto out;
			nwl++;
			break;
		case 'r': runpath = optarg; break;
		case 'q': quiet = 1; break;
		case 'm': measured = 1; break;
		case 'E': uefi_flags |= HG_UEFI_EBS_WORKAROUND; break;
		case 'I': state_in = optarg; break;
		case 'O': state_out = optarg; break;
		case 'S': in.verify_log_signatures = 1; break;
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
	/* An incremental check replays only the new records through the
	 * pipeline; the kept ones are not seen again, so "measured" would be
	 * partial and a running VM's launch record could be missed: refuse
	 * rather than vouch for half the host. */
	if ((runpath || measured) && (state_in || state_out)) {
		hg_err("check: --%s cannot be combined with --state-in or --state-out "
		       "(an incremental check does not see the kept records again)",
		       runpath ? "running" : "measured");
		goto out;
	}
	path = argv[optind];
	if (hv_parse_nonce(noncehex, &nonce, &nonce_len) < 0 ||
	    (akpath ? hv_load_ak(akpath, &ak) : hv_host_ak(state, host, &ak)) < 0 ||
	    (state_in || state_out ? load_policy(polpath, &pol, pol_sha)
				    : hg_policy_load(polpath, &pol)) < 0 ||
	    (runpath && hv_running_load(runpath, &run) < 0) ||
	    hv_evmap_open(path, &em) < 0)
		goto out;
	if (state_in && (have_prev = load_state(state_in, hv_state_dir(state), &prev,
						state_why, sizeof(state_why))) < 0)
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res) {
		hg_err("out of memory");
		goto out;
	}
	in.evidence = em.p;
	in.evidence_len = em.len;
	in.on_consumed = hv_evmap_release;
	in.consumed_arg = &em;
	in.ak = &ak;
	in.nonce = nonce;
	in.nonce_len = nonce_len;
	in.policy = &pol;
	in.workloads = nwl ? wl : NULL;
	in.nworkloads = nwl;
	in.uefi_flags = uefi_flags;
	in.host = host;
	in.want_json = !quiet;
	if (measured && !quiet) {
		/* The same scope the judge uses: the records it judged. */
		scope = calloc(nwl ? nwl : 1, sizeof(*scope));
		if (!scope) {
			hg_err("out of memory");
			goto out;
		}
		for (size_t i = 0; i < nwl; i++) {
			scope[i].kind = wl[i].kind;
			scope[i].name = wl[i].name;
		}
		col.scope = nwl ? scope : NULL;
		col.nscope = nwl;
		in.on_record = hg_ear_collect_record;
		in.arg = &col;
	}
	if (runpath) {
		ret = hv_verify_running(&in, &run, res, &vr);
	} else if (!state_in && !state_out) {
		ret = hv_verify(&in, res);
	} else {
		ret = hv_verify_incremental(&in, have_prev ? &prev : NULL, pol_sha, &next,
					    res, &info);
		if (state_why[0] && res->verdict)
			json_object_object_add(res->verdict, "fallback",
					       json_object_new_string(state_why));
		if (state_out && info.have_state && hv_evmap_intact(&em) == 0 &&
		    save_state(state_out, hv_state_dir(state), &next) < 0)
			ret = HV_EXIT_USAGE;
	}
	if (measured && !quiet && hg_ear_verdict_add_measured(res->verdict, &col) < 0) {
		hg_err("%s: more than %d measured digests to list, or out of memory", path,
		       HG_EAR_MAX_DIGESTS);
		ret = HV_EXIT_USAGE;
		goto out;
	}
	/* No verdict from bytes that may have changed under the check. */
	if (hv_evmap_intact(&em) < 0) {
		ret = HV_EXIT_USAGE;
		goto out;
	}
	if (!quiet)
		printf("%s\n", json_object_to_json_string_ext(
			res->verdict, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (ret != HV_EXIT_TRUSTED && !quiet) {
		/* The line names the failure that decided the exit code. */
		if (runpath && vr.exit > 0 && (vr.exit == 3 || vr.host_exit == 0))
			hg_err("%s: vms: %s%s", path, vr.why,
			       vr.nfailures + res->nfailures > 1 ? " (and more failures)" : "");
		else if (info.full_required && (info.fallback[0] || state_why[0]))
			hg_err("%s: %s: %s (%s; a full check is required)", path,
			       hv_check_name(res->first_failed), res->why,
			       state_why[0] ? state_why : info.fallback);
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
	hv_incr_state_free(&prev);
	hv_incr_state_free(&next);
	hv_running_free(&run);
	hg_ak_free(&ak);
	free(wl);
	free(scope);
	hg_ear_collect_free(&col);
	free(nonce);
	if (hv_evmap_close(&em) < 0)
		ret = HV_EXIT_USAGE;
	return ret;
}
