/* dispatch.c: see dispatch.h. */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>

#include "util.h"
#include "version.h"

static void usage(FILE *f, const char *prog, const struct hg_command *cmds,
		  size_t n, const char *footer)
{
	size_t w = 0;

	/* The names' column as wide as the longest name. */
	for (size_t i = 0; i < n; i++)
		if (strlen(cmds[i].name) > w)
			w = strlen(cmds[i].name);
	fprintf(f, "Usage: %s COMMAND [OPTIONS]\n\nCommands:\n", prog);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-*s %s\n", (int)w, cmds[i].name, cmds[i].desc);
	fprintf(f, "\n'%s COMMAND --help' gives each command's options;\n"
		"'%s --version' the version and the libraries'.\n%s",
		prog, prog, footer);
}

int hg_dispatch(const struct hg_program *p, int argc, char **argv)
{
	static char name[64];
	const char *prog = p->name;
	const struct hg_command *cmds = p->cmds;
	size_t n = p->ncmds;
	const char *footer = p->footer;
	int usage_exit = p->usage_exit;

	hg_progname = prog;
	if (argc < 2) {
		usage(stderr, prog, cmds, n, footer);
		return usage_exit;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout, prog, cmds, n, footer);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		hg_version_print(stdout, prog, p->version, p->libversions);
		return fflush(stdout) ? usage_exit : 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		/* getopt prints argv[0] in its messages: make it say
		 * "hostgate-attest measure: unrecognized option". */
		snprintf(name, sizeof(name), "%s %s", prog, cmds[i].name);
		argv[1] = name;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	hg_err("unknown command \"%s\"; see '%s --help'", argv[1], prog);
	return usage_exit;
}
