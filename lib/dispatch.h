/* dispatch.h: the table dispatch both binaries' main() use (the
 * wireguard-tools wg.c pattern): "PROG COMMAND [OPTIONS]", --help, and
 * getopt messages that name "PROG COMMAND".
 *
 * Contract: hg_dispatch() sets hg_progname to PROG, runs the command's
 * function with argv shifted so that argv[0] is "PROG COMMAND", and
 * returns its exit code; with no or an unknown command it prints the
 * usage (stderr) and returns USAGE_EXIT; with -h/--help/help it prints the
 * usage on stdout and returns 0; with --version it prints PROG VERSION
 * and the libraries' versions (version.h; LIBS adds the binary's own)
 * on stdout and returns 0. FOOTER (the exit codes) ends the usage.
 */
#ifndef HG_DISPATCH_H
#define HG_DISPATCH_H

#include <stddef.h>
#include <stdio.h>

/* The program: its name, version and commands. */
struct hg_program {
	const char *name;
	const char *version;
	const struct hg_command *cmds;
	size_t ncmds;
	const char *footer;
	int usage_exit;
	void (*libversions)(FILE *f); /* the binary's own libraries, or NULL */
};

struct hg_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *desc;
};

int hg_dispatch(const struct hg_program *p, int argc, char **argv);

#endif
