/* main.c: hostgate-verify, the verifier side. Links no ESYS and no
 * libvirt: everything it trusts comes from its own inputs. */
#include <json-c/json_c_version.h>
#include <sqlite3.h>

#include "../lib/dispatch.h"
#include "cmds.h"
#include "hg_version.h"

/* --version: the verifier's own libraries, their run-time versions. */
static void libversions(FILE *f)
{
	fprintf(f, "  json-c: %s\n", json_c_version());
	fprintf(f, "  sqlite3: %s\n", sqlite3_libversion());
}

static const struct hg_command commands[] = {
	{ "check", check_main, "verify evidence and judge the host against a policy" },
	{ "learn", learn_main, "write a policy that accepts exactly this evidence's host" },
	{ "diff", diff_main, "compare two policies, or evidence against a policy" },
	{ "show", show_main, "print an event log or an evidence bundle" },
	{ "quote", quote_main, "verify a tpm2_quote (TPMS_ATTEST + TPMT_SIGNATURE)" },
	{ "enroll", enroll_main, "enroll a host: EK certificate and credential activation" },
	{ "hosts", hosts_main, "list the enrolled hosts" },
	{ "ear", ear_main, "issue or verify a signed attestation result (EAR)" },
	{ "policy", policy_main, "store policies and assign them to hosts or groups" },
	{ "serve", serve_main, "the verifier service: attest the fleet, REST API" },
};

int main(int argc, char **argv)
{
	static const struct hg_program prog = {
		.name = "hostgate-verify",
		.version = HG_VERSION,
		.cmds = commands,
		.ncmds = sizeof(commands) / sizeof(commands[0]),
		.footer = "Exit codes: 0 trusted/valid, 1 untrusted, 2 usage or unreadable input,\n"
			  "3 invalid evidence.\n",
		.usage_exit = HV_EXIT_USAGE,
		.libversions = libversions,
	};

	return hg_dispatch(&prog, argc, argv);
}
