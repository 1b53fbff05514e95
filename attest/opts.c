/* opts.c: see opts.h. */
#include "opts.h"

#include <stdlib.h>

#include "../lib/util.h"

static int parse_pcr(const char *s, const char *from, uint32_t *pcr)
{
	unsigned long v;

	/* PCRs 16 and 23 are resettable at locality 0 and 17..22 belong to
	 * DRTM (PC Client PTP §3.7.1): a measurement there proves nothing. */
	if (hg_parse_uint(s, 15, &v) < 0) {
		hg_err("%s: \"%s\" is not a PCR in 0..15", from, s);
		return -1;
	}
	*pcr = (uint32_t)v;
	return 0;
}

int hg_opts_init(struct hg_opts *o)
{
	const char *e;

	o->tcti = getenv("HOSTGATE_TCTI");
	if (!o->tcti || !*o->tcti)
		o->tcti = getenv("TPM2TOOLS_TCTI");
	if (!o->tcti || !*o->tcti)
		o->tcti = HG_DEFAULT_TCTI;
	o->state = getenv("HOSTGATE_STATE");
	if (!o->state || !*o->state)
		o->state = HG_DEFAULT_STATE;
	o->log = getenv("HOSTGATE_LOG");
	if (!o->log || !*o->log)
		o->log = HG_DEFAULT_LOG;
	o->pcr = HG_DEFAULT_PCR;
	e = getenv("HOSTGATE_PCR");
	if (e && *e && parse_pcr(e, "HOSTGATE_PCR", &o->pcr) < 0)
		return -1;
	return 0;
}

int hg_opts_handle(struct hg_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_TCTI:
		o->tcti = arg;
		return 1;
	case OPT_STATE:
		o->state = arg;
		return 1;
	case OPT_LOG:
		o->log = arg;
		return 1;
	case OPT_PCR:
		return parse_pcr(arg, "--pcr", &o->pcr) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

int hg_opts_next(struct hg_opts *o, int argc, char **argv,
		 const char *shortopts, const struct option *longopts)
{
	int c, h;

	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		h = hg_opts_handle(o, c, optarg);
		if (h < 0)
			return HG_OPT_BAD;
		if (h == 0)
			return c;
	}
	return -1;
}
