/* opts.c: see opts.h. */
#include "opts.h"

#include <stdio.h>
#include <string.h>

#include "../lib/util.h"
#include "tpm.h"

/* The resolved configuration: one per process, reachable until exit. */
static struct hg_gateconf conf;

int hg_opts_init(struct hg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tcti = HG_DEFAULT_TCTI;
	o->state = HG_DEFAULT_STATE;
	o->log = HG_DEFAULT_LOG;
	o->pcr = HG_DEFAULT_PCR;
	return 0;
}

void hg_opts_set(struct hg_opts *o, enum hg_conf_key k, const char *optname,
		 const char *value)
{
	o->args.opt[k] = value;
	o->args.optname[k] = optname;
}

int hg_opts_handle(struct hg_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'T':
		hg_opts_set(o, HG_K_TCTI, "-T", arg);
		return 1;
	case OPT_TCTI:
		hg_opts_set(o, HG_K_TCTI, "--tcti", arg);
		return 1;
	case OPT_STATE:
		hg_opts_set(o, HG_K_STATE, "--state", arg);
		return 1;
	case OPT_LOG:
		hg_opts_set(o, HG_K_LOG, "--log", arg);
		return 1;
	case OPT_PCR:
		hg_opts_set(o, HG_K_PCR, "--pcr", arg);
		return 1;
	case OPT_CONFIG:
		o->args.config = arg;
		return 1;
	case 'v':
	case OPT_VERBOSE:
		hg_tpm_verbose = 1;
		return 1;
	default:
		return 0;
	}
}

int hg_opts_resolve(struct hg_opts *o)
{
	char err[1024];

	hg_gateconf_free(&conf);
	if (hg_conf_resolve(&o->args, &conf, err, sizeof(err)) < 0) {
		hg_err("%s", err);
		return -1;
	}
	o->conf = &conf;
	o->tcti = conf.tcti;
	o->state = conf.state;
	o->log = conf.log;
	o->pcr = conf.pcr;
	return 0;
}

int hg_opts_next(struct hg_opts *o, int argc, char **argv,
		 const char *shortopts, const struct option *longopts)
{
	char shorts[64];
	int c;

	/* -T as tpm2-tools spell --tcti. */
	snprintf(shorts, sizeof(shorts), "T:v%s", shortopts);
	while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1)
		if (!hg_opts_handle(o, c, optarg))
			return c;
	return hg_opts_resolve(o) < 0 ? HG_OPT_BAD : -1;
}
