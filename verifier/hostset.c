/* hostset.c: hosts set-agent NAME (URL | --none) and hosts set-group NAME
 * (GROUP | --none) [--state DIR] (registry.h schema 3): where
 * `hostgate-verify serve` pulls a host's evidence from, and the group
 * whose policy judges it when it has none of its own.
 *
 * Exit codes: 0 set; 1 no such host; 2 usage (a URL that is not
 * https://..., a bad group name), or no registry.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/text.h"
#include "../lib/util.h"
#include "cmds.h"
#include "registry/registry.h"
#include "vstate.h"

static void usage(FILE *f, int group)
{
	if (group)
		fprintf(f, "Usage: hostgate-verify hosts set-group NAME (GROUP | --none) [--state DIR]\n\n"
			   "Put host NAME in GROUP (1..64 of [A-Za-z0-9._-]): a policy assigned\n"
			   "to the group (policy assign --group) judges it unless it has its\n"
			   "own. --none takes it out of its group.\n\n");
	else
		fprintf(f, "Usage: hostgate-verify hosts set-agent NAME (URL | --none) [--state DIR]\n\n"
			   "Where hostgate-verify serve pulls host NAME's evidence from: the\n"
			   "https:// URL of its hostgate-attest agent (e.g. https://hv01:8443).\n"
			   "--none: no agent, the host pushes its evidence (GET /v1/nonce,\n"
			   "POST /v1/attest).\n\n");
	fprintf(f, "  --state DIR   verifier state (HOSTGATE_VERIFY_STATE,\n"
		   "                default " HV_DEFAULT_STATE ")\n"
		   "  --db DB       the registry: a SQLite file or a postgresql:// URI\n"
		   "                (HOSTGATE_VERIFY_DB; default STATE/registry.sqlite)\n"
		   "  -h, --help    this text\n\n"
		   "Exit codes: 0 set, 1 no such host, 2 usage or no registry.\n");
}

int hosts_set_main(int argc, char **argv, int group)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "none", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *state = NULL, *name, *value = NULL;
	struct hv_reg *reg = NULL;
	char path[4096];
	int opt, none = 0, r, ret = HV_EXIT_USAGE;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': state = optarg; break;
		case 'D': hv_registry_db_set(optarg); break;
		case 'n': none = 1; break;
		case 'h':
			usage(stdout, group);
			return HV_EXIT_TRUSTED;
		default:
			usage(stderr, group);
			return HV_EXIT_USAGE;
		}
	}
	if (argc - optind != (none ? 1 : 2)) {
		hg_err("hosts %s: needs NAME and %s, or NAME and --none",
		       argv[0], group ? "GROUP" : "URL");
		return HV_EXIT_USAGE;
	}
	name = argv[optind];
	if (!none)
		value = argv[optind + 1];
	if (value && group && !hv_name_ok(value)) {
		char *e = hg_escape((const uint8_t *)value, strlen(value));

		hg_err("hosts set-group: \"%s\": not a group name (1..64 of "
		       "[A-Za-z0-9._-], starting with a letter or digit)", e ? e : "?");
		free(e);
		goto out;
	}
	if (hv_registry_path(hv_state_dir(state), 0, path, sizeof(path)) < 0)
		goto out;
	if (hv_reg_open(path, HV_REG_RDWR_EXISTING, &reg) < 0)
		goto out;
	r = group ? hv_reg_host_set_group(reg, name, value) :
		    hv_reg_host_set_agent(reg, name, value);
	if (r < 0)
		goto out;
	if (r == HV_HOST_UNKNOWN) {
		char *e = hg_escape((const uint8_t *)name, strlen(name));

		hg_err("hosts %s: %s: no such host enrolled", argv[0], e ? e : "?");
		free(e);
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	if (value)
		printf("host %s: %s %s\n", name, group ? "group" : "agent", value);
	else
		printf("host %s: no %s\n", name, group ? "group" : "agent");
	ret = HV_EXIT_TRUSTED;
out:
	hv_reg_close(reg);
	return ret;
}
