/* cmds.h: the hostgate-attest subcommands, one file each, dispatched from
 * main.c. Each returns the process exit code (see main.c). */
#ifndef HG_ATTEST_CMDS_H
#define HG_ATTEST_CMDS_H

/* Exit codes of hostgate-attest (documented in README.md). */
enum {
	HG_EXIT_OK = 0,
	HG_EXIT_FAIL = 1,      /* TPM, I/O or state error */
	HG_EXIT_USAGE = 2,     /* bad command line or configuration */
	HG_EXIT_INCONSISTENT = 4, /* log and PCR disagree: refusing to append */
};

int init_main(int argc, char **argv);
int measure_main(int argc, char **argv);
int measure_host_main(int argc, char **argv);
int quote_main(int argc, char **argv);
int gate_main(int argc, char **argv);
int hook_main(int argc, char **argv);
int enroll_request_main(int argc, char **argv);
int activate_main(int argc, char **argv);
int config_main(int argc, char **argv);
int agent_main(int argc, char **argv);

#endif
