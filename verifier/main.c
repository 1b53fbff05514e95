/* main.c: hostgate-verify, the verifier side. Links no ESYS and no
 * libvirt: everything it trusts comes from its own inputs. */
#include <stdio.h>
#include <string.h>

#include "../lib/util.h"
#include "cmds.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *desc;
} commands[] = {
	{ "check", check_main, "verify evidence and judge the host against a policy" },
	{ "learn", learn_main, "write a policy that accepts exactly this evidence's host" },
	{ "diff", diff_main, "compare two policies, or evidence against a policy" },
	{ "show", show_main, "print an event log or an evidence bundle" },
	{ "quote", quote_main, "verify a tpm2_quote (TPMS_ATTEST + TPMT_SIGNATURE)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify COMMAND [OPTIONS]\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].desc);
	fprintf(f, "\n'hostgate-verify COMMAND --help' gives each command's options.\n"
		   "Exit codes: 0 trusted/valid, 1 untrusted, 2 usage or unreadable input,\n"
		   "3 invalid evidence.\n");
}

int main(int argc, char **argv)
{
	hg_progname = "hostgate-verify";
	if (argc < 2) {
		usage(stderr);
		return HV_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return HV_EXIT_TRUSTED;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			static char name[64];

			/* getopt prints argv[0] in its messages: make it say
			 * "hostgate-verify check: unrecognized option". */
			snprintf(name, sizeof(name), "%s %s", hg_progname,
				 commands[i].name);
			argv[1] = name;
			return commands[i].fn(argc - 1, argv + 1);
		}
	hg_err("unknown command \"%s\"; see 'hostgate-verify --help'", argv[1]);
	return HV_EXIT_USAGE;
}
