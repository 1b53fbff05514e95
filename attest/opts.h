/* opts.h: options every hostgate-attest command shares, and where their
 * values come from: the option, then the environment, then the
 * configuration file, then the default (gateconf.h; docs/configuration.md
 * is the reference):
 *
 *   --config FILE  HOSTGATE_CONFIG, /etc/hostgate/hostgate.conf
 *   -T, --tcti STR HOSTGATE_TCTI, TPM2TOOLS_TCTI, tcti, "device:/dev/tpmrm0"
 *   --state DIR    HOSTGATE_STATE, state, /var/lib/hostgate
 *   --log FILE     HOSTGATE_LOG, log, /run/hostgate/measurements.cel
 *   --pcr N        HOSTGATE_PCR, pcr, 13 (0..15: never a resettable PCR)
 *   -v, --verbose  the TSS's own log lines on stderr (tpm.h)
 *
 * Contract: hg_opts_next() collects the shared options; when the command
 * line ends it resolves the whole configuration once (hg_conf_resolve())
 * and fills tcti, state, log, pcr and conf. The resolved configuration
 * lives until exit; the strings point into it.
 */
#ifndef HG_OPTS_H
#define HG_OPTS_H

#include <getopt.h>
#include <stdint.h>

#include "gateconf.h"

#define HG_DEFAULT_TCTI "device:/dev/tpmrm0"
#define HG_DEFAULT_STATE "/var/lib/hostgate"
#define HG_DEFAULT_LOG "/run/hostgate/measurements.cel"
#define HG_DEFAULT_PCR 13

struct hg_opts {
	const char *tcti;
	const char *state;
	const char *log;
	uint32_t pcr;
	const struct hg_gateconf *conf; /* every key, with its source */
	struct hg_conf_args args;       /* what the command line gave */
};

/* getopt_long values of the shared options. */
enum { OPT_TCTI = 0x100, OPT_STATE, OPT_LOG, OPT_PCR, OPT_CONFIG, OPT_VERBOSE,
       OPT_FIRST_LOCAL };

#define HG_COMMON_LONGOPTS                                 \
	{ "tcti", required_argument, NULL, OPT_TCTI },     \
	{ "state", required_argument, NULL, OPT_STATE },   \
	{ "log", required_argument, NULL, OPT_LOG },       \
	{ "pcr", required_argument, NULL, OPT_PCR },       \
	{ "config", required_argument, NULL, OPT_CONFIG }, \
	{ "verbose", no_argument, NULL, OPT_VERBOSE },     \
	{ "help", no_argument, NULL, 'h' }

/* The options' column is 20 wide in every command's help. */
#define HG_COMMON_HELP                                                          \
	"  -T, --tcti STR     TPM connection (HOSTGATE_TCTI, TPM2TOOLS_TCTI,\n"    \
	"                     default device:/dev/tpmrm0)\n"                       \
	"  --state DIR        state directory (HOSTGATE_STATE, /var/lib/hostgate)\n" \
	"  --log FILE         event log (HOSTGATE_LOG,\n"                          \
	"                     /run/hostgate/measurements.cel)\n"                   \
	"  --pcr N            hostgate PCR, 0..15 (HOSTGATE_PCR, 13)\n"             \
	"  --config FILE      configuration (HOSTGATE_CONFIG,\n"                  \
	"                     /etc/hostgate/hostgate.conf; docs/configuration.md)\n" \
	"  -v, --verbose      the TPM library's own log lines on stderr (else\n"  \
	"                     they go to syslog)\n"                               \
	"  -h, --help         this text\n"

/* Start collecting; always 0. */
int hg_opts_init(struct hg_opts *o);
/* Handle one shared option; 1 if it was one, 0 if not. */
int hg_opts_handle(struct hg_opts *o, int c, const char *arg);
/* A command's own option for key K (e.g. measure-host --manifest). */
void hg_opts_set(struct hg_opts *o, enum hg_conf_key k, const char *optname,
		 const char *value);
/* Resolve the configuration (done by hg_opts_next() at the end); -1 after
 * one error line. */
int hg_opts_resolve(struct hg_opts *o);

/* getopt_long() that takes care of the shared options itself (and -T):
 * returns the next command-specific option, -1 at the end once the
 * configuration is resolved, or HG_OPT_BAD after printing why the
 * configuration is wrong. */
#define HG_OPT_BAD (-2)
int hg_opts_next(struct hg_opts *o, int argc, char **argv,
		 const char *shortopts, const struct option *longopts);

#endif
