/* hosts.c: hostgate-verify hosts [--json] [--state DIR]
 *
 * Lists the registry (verifier/registry.h): one line per enrolled host
 * with its EK certificate fingerprint, the AK's Name and key, and when it
 * was enrolled; --json gives the same as an array for scripts.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "../lib/tpmpub.h"
#include "../lib/util.h"
#include "cmds.h"
#include "registry.h"
#include "vstate.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify hosts [--json] [--state DIR]\n\n"
		   "List the hosts enrolled with hostgate-verify enroll.\n\n"
		   "  --json        a JSON array instead of a table\n"
		   "  --state DIR   verifier state (HOSTGATE_VERIFY_STATE,\n"
		   "                default " HV_DEFAULT_STATE ")\n"
		   "  -h, --help    this text\n\n"
		   "Exit codes: 0 listed (also when empty), 2 no registry or unreadable.\n");
}

struct ctx {
	int json;
	json_object *arr;
	size_t n;
};

static void iso(int64_t s, char *buf, size_t n)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%lld", (long long)s);
}

static int one(const struct hv_host *h, void *arg)
{
	struct ctx *c = arg;
	char fpr[65], name[2 * 66 + 1], at[32], first[32];
	uint8_t akname[2 + 64];
	size_t akname_len = 0;
	const char *why;

	hg_hex_encode(h->ek_fpr, 32, fpr);
	if (hg_ak_name(h->ak_pub, h->ak_pub_len, akname, &akname_len, &why) < 0)
		strcpy(name, "?");
	else
		hg_hex_encode(akname, akname_len, name);
	iso(h->enrolled_at, at, sizeof(at));
	iso(h->first_enrolled_at, first, sizeof(first));
	c->n++;
	if (!c->json) {
		if (c->n == 1)
			printf("%-24s %-20s %-64s %s\n", "HOST", "ENROLLED",
			       "EK CERTIFICATE SHA-256", "EK REPLACED");
		printf("%-24s %-20s %-64s %u\n", h->name, at, fpr, h->replacements);
		return 0;
	}
	json_object *o = json_object_new_object();

	json_object_object_add(o, "host", json_object_new_string(h->name));
	json_object_object_add(o, "ek_cert_sha256", json_object_new_string(fpr));
	json_object_object_add(o, "ak_name", json_object_new_string(name));
	json_object_object_add(o, "enrolled_at", json_object_new_string(at));
	json_object_object_add(o, "first_enrolled_at", json_object_new_string(first));
	json_object_object_add(o, "ek_replacements", json_object_new_int64(h->replacements));
	json_object_array_add(c->arr, o);
	return 0;
}

int hosts_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctx c = { 0 };
	struct hv_reg *reg = NULL;
	const char *state = NULL;
	char path[4096];
	int opt, ret = HV_EXIT_USAGE;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': c.json = 1; break;
		case 's': state = optarg; break;
		case 'h':
			usage(stdout);
			return HV_EXIT_TRUSTED;
		default:
			usage(stderr);
			return HV_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		hg_err("hosts: unexpected argument \"%s\"", argv[optind]);
		return HV_EXIT_USAGE;
	}
	if (hv_registry_path(hv_state_dir(state), 0, path, sizeof(path)) < 0 ||
	    hv_reg_open(path, HV_REG_RDONLY, &reg) < 0)
		goto out;
	if (c.json && !(c.arr = json_object_new_array()))
		goto out;
	if (hv_reg_hosts(reg, one, &c) < 0)
		goto out;
	if (c.json)
		printf("%s\n", json_object_to_json_string_ext(
			c.arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (c.n == 0)
		printf("no hosts enrolled\n");
	ret = HV_EXIT_TRUSTED;
out:
	json_object_put(c.arr);
	hv_reg_close(reg);
	return ret;
}
