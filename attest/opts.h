/* opts.h: options every hostgate-attest command shares, and where their
 * defaults come from (design brief "Interfaces that others rely on"):
 *
 *   --tcti STR   HOSTGATE_TCTI, TPM2TOOLS_TCTI, "device:/dev/tpmrm0"
 *   --state DIR  HOSTGATE_STATE, /var/lib/hostgate
 *   --log FILE   HOSTGATE_LOG, /run/hostgate/measurements.cel
 *   --pcr N      HOSTGATE_PCR, 13 (0..15: never a resettable PCR)
 *
 * Contract: strings point into argv or the environment, never copied.
 */
#ifndef HG_OPTS_H
#define HG_OPTS_H

#include <getopt.h>
#include <stdint.h>

#define HG_DEFAULT_TCTI "device:/dev/tpmrm0"
#define HG_DEFAULT_STATE "/var/lib/hostgate"
#define HG_DEFAULT_LOG "/run/hostgate/measurements.cel"
#define HG_DEFAULT_PCR 13

struct hg_opts {
	const char *tcti;
	const char *state;
	const char *log;
	uint32_t pcr;
};

/* getopt_long values of the shared options. */
enum { OPT_TCTI = 0x100, OPT_STATE, OPT_LOG, OPT_PCR, OPT_FIRST_LOCAL };

#define HG_COMMON_LONGOPTS                                 \
	{ "tcti", required_argument, NULL, OPT_TCTI },     \
	{ "state", required_argument, NULL, OPT_STATE },   \
	{ "log", required_argument, NULL, OPT_LOG },       \
	{ "pcr", required_argument, NULL, OPT_PCR },       \
	{ "help", no_argument, NULL, 'h' }

#define HG_COMMON_HELP                                                      \
	"  --tcti STR    TPM connection (HOSTGATE_TCTI, TPM2TOOLS_TCTI,\n"    \
	"                default device:/dev/tpmrm0)\n"                        \
	"  --state DIR   state directory (HOSTGATE_STATE, /var/lib/hostgate)\n" \
	"  --log FILE    event log (HOSTGATE_LOG,\n"                           \
	"                /run/hostgate/measurements.cel)\n"                    \
	"  --pcr N       hostgate PCR, 0..15 (HOSTGATE_PCR, 13)\n"              \
	"  -h, --help    this text\n"

/* Fill defaults from the environment; -1 (error printed) on a bad
 * HOSTGATE_PCR. */
int hg_opts_init(struct hg_opts *o);
/* Handle one shared option; 1 if it was one, 0 if not, -1 on bad value. */
int hg_opts_handle(struct hg_opts *o, int c, const char *arg);

/* getopt_long() that takes care of the shared options itself: returns the
 * next command-specific option, -1 at the end, or HG_OPT_BAD after
 * printing why a shared option's value is wrong. */
#define HG_OPT_BAD (-2)
int hg_opts_next(struct hg_opts *o, int argc, char **argv,
		 const char *shortopts, const struct option *longopts);

#endif
