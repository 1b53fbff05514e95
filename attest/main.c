/* main.c: hostgate-attest, the host side. Table dispatch, one file per
 * subcommand (wireguard-tools' wg.c style). */
#include <stdio.h>
#include <string.h>

#include "../lib/util.h"
#include "cmds.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *desc;
} commands[] = {
	{ "init", init_main, "create or load the AK and the log key" },
	{ "measure", measure_main, "measure files into the PCR and the signed log" },
	{ "quote", quote_main, "quote the PCRs and write an evidence bundle" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest COMMAND [OPTIONS]\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].desc);
	fprintf(f, "\n'hostgate-attest COMMAND --help' gives each command's options.\n"
		   "Exit codes: 0 ok, 1 failure, 2 usage, 4 log and PCR disagree.\n");
}

int main(int argc, char **argv)
{
	hg_progname = "hostgate-attest";
	if (argc < 2) {
		usage(stderr);
		return HG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return HG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			static char name[64];

			/* getopt prints argv[0] in its messages: make it say
			 * "hostgate-attest measure: unrecognized option". */
			snprintf(name, sizeof(name), "%s %s", hg_progname,
				 commands[i].name);
			argv[1] = name;
			return commands[i].fn(argc - 1, argv + 1);
		}
	hg_err("unknown command \"%s\"; see 'hostgate-attest --help'", argv[1]);
	return HG_EXIT_USAGE;
}
