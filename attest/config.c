/* config.c: hostgate-attest config: the effective configuration and
 * where each value came from (option, environment variable, file:line or
 * default), resolved exactly as every other command resolves it
 * (opts.h, gateconf.h; docs/configuration.md).
 *
 * Output (stdout), one line per key, in a form the file itself accepts
 * once the "# source" comments are dropped:
 *
 *   # file: /etc/hostgate/hostgate.conf (default)
 *   tcti        = swtpm:port=2321        # env HOSTGATE_TCTI
 *   pcr         = 13                     # default
 *
 * A configuration that does not resolve prints its one error line and
 * exits 2, as any command would.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/util.h"
#include "cmds.h"
#include "opts.h"

enum { OPT_MANIFEST = OPT_FIRST_LOCAL };

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest config [OPTIONS]\n\n"
		   "Print the effective settings, one \"key = value\" line each, and\n"
		   "where each came from: option, env VAR, FILE:LINE or default.\n"
		   "Precedence: option, environment, file, default.\n\n"
		   "  --manifest FILE    the host manifest (HOSTGATE_MANIFEST)\n"
		   HG_COMMON_HELP);
}

int config_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "manifest", required_argument, NULL, OPT_MANIFEST },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	char val[HG_K_COUNT][4 * 4096];
	size_t w = 0, kw = 0;
	int c, ret = HG_EXIT_USAGE;

	hg_opts_init(&o);
	while ((c = hg_opts_next(&o, argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case OPT_MANIFEST:
			hg_opts_set(&o, HG_K_MANIFEST, "--manifest", optarg);
			break;
		case 'h':
			usage(stdout);
			ret = HG_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc) {
		hg_err("config: unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	for (int k = 0; k < HG_K_COUNT; k++) {
		hg_conf_value(o.conf, (enum hg_conf_key)k, val[k], sizeof(val[k]));
		if (strlen(val[k]) > w)
			w = strlen(val[k]);
		if (strlen(hg_conf_key_name((enum hg_conf_key)k)) > kw)
			kw = strlen(hg_conf_key_name((enum hg_conf_key)k));
	}
	if (o.conf->file[0])
		printf("# file: %s (%s)\n", o.conf->file, o.conf->file_src);
	else
		printf("# file: none (%s absent)\n", HG_CONF_DEFAULT);
	for (int k = 0; k < HG_K_COUNT; k++)
		printf("%-*s = %-*s  # %s\n", (int)kw, hg_conf_key_name((enum hg_conf_key)k), (int)w,
		       val[k], o.conf->src[k]);
	ret = fflush(stdout) == 0 ? HG_EXIT_OK : HG_EXIT_FAIL;
	if (ret != HG_EXIT_OK)
		hg_err("stdout: write failed");
out:
	return ret;
}
