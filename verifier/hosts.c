/* hosts.c: the registry's hosts, for the operator:
 *
 *   hosts [--json] [--state DIR]       list them (verifier/registry.h):
 *       one line per enrolled host with its EK certificate fingerprint
 *       and when it was enrolled; --json gives an array for scripts with
 *       the AK's Name and the EK key too, "[]" when there is none. No
 *       registry file (nothing enrolled yet) lists no host (exit 0) and
 *       creates nothing; a file that is not a registry is exit 2.
 *   hosts remove NAME [--state DIR]    forget a host (its TPM may then be
 *       enrolled under another name); recorded in the history.
 *   hosts rename OLD NEW [--state DIR] the host and its enrollment
 *       history move to NEW; recorded.
 *   hosts set-agent NAME URL|--none    where `serve` pulls evidence from
 *       (https://HOST:PORT of hostgate-attest agent); without one a host
 *       is attested in push mode only.
 *   hosts set-group NAME GROUP|--none  the group whose policy judges the
 *       host when it has none of its own (policy assign --group).
 *
 * Exit codes: 0 done; 1 refused (no such host, NEW is taken); 2 usage,
 * or no registry where one must be, or unreadable.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "../lib/text.h"
#include "../lib/tpmpub.h"
#include "../lib/util.h"
#include "cmds.h"
#include "registry/registry.h"
#include "vstate.h"

#define STATE_HELP "  --state DIR   verifier state (HOSTGATE_VERIFY_STATE,\n" \
		   "                default " HV_DEFAULT_STATE ")\n" \
		   "  --db DB       the registry: a SQLite file or a postgresql:// URI\n" \
		   "                (HOSTGATE_VERIFY_DB; default STATE/registry.sqlite)\n" \
		   "  -h, --help    this text\n\n"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify hosts [--json] [--state DIR]\n"
		   "       hostgate-verify hosts remove NAME [--state DIR]\n"
		   "       hostgate-verify hosts rename OLD NEW [--state DIR]\n"
		   "       hostgate-verify hosts set-agent NAME (URL | --none) [--state DIR]\n"
		   "       hostgate-verify hosts set-group NAME (GROUP | --none) [--state DIR]\n\n"
		   "List the hosts enrolled with hostgate-verify enroll; remove or\n"
		   "rename one (recorded in the registry's history); set the agent URL\n"
		   "hostgate-verify serve pulls evidence from, or the host's group.\n"
		   "Each subcommand has its own --help.\n\n"
		   "  --json        a JSON array instead of a table ([] when empty)\n"
		   STATE_HELP
		   "Exit codes: 0 listed (also when empty, or when nothing was ever\n"
		   "enrolled: no registry file), 2 usage, or not a readable registry.\n");
}

static void usage_remove(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify hosts remove NAME [--state DIR]\n\n"
		   "Forget host NAME: its quotes are no longer accepted, and its TPM\n"
		   "may be enrolled again under any name. Its enrollment history\n"
		   "stays, and an event records the removal.\n\n"
		   STATE_HELP
		   "Exit codes: 0 removed, 1 no such host, 2 usage or no registry.\n");
}

static void usage_rename(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify hosts rename OLD NEW [--state DIR]\n\n"
		   "Rename host OLD to NEW (a host name: 1..64 of [A-Za-z0-9._-],\n"
		   "starting with a letter or digit). Its TPM, AK and enrollment\n"
		   "history move with it; an event records the rename.\n\n"
		   STATE_HELP
		   "Exit codes: 0 renamed, 1 no such host or NEW is taken, 2 usage or\n"
		   "no registry.\n");
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
	char fpr[65], ekkey[65], name[2 * 66 + 1], at[32], first[32];
	uint8_t akname[2 + 64];
	size_t akname_len = 0;
	const char *why;

	hg_hex_encode(h->ek_fpr, 32, fpr);
	hg_hex_encode(h->ek_key, 32, ekkey);
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
	json_object_object_add(o, "ek_key_sha256", json_object_new_string(ekkey));
	json_object_object_add(o, "ak_name", json_object_new_string(name));
	json_object_object_add(o, "enrolled_at", json_object_new_string(at));
	json_object_object_add(o, "first_enrolled_at", json_object_new_string(first));
	json_object_object_add(o, "ek_replacements", json_object_new_int64(h->replacements));
	json_object_array_add(c->arr, o);
	return 0;
}

/* Parse [--state DIR] [-h] and exactly NARGS operands after the
 * subcommand word. Returns -1 to go on, else an exit code. */
static int sub_opts(int argc, char **argv, int nargs, void (*help)(FILE *),
		    const char **state)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': *state = optarg; break;
		case 'D': hv_registry_db_set(optarg); break;
		case 'h':
			help(stdout);
			return HV_EXIT_TRUSTED;
		default:
			help(stderr);
			return HV_EXIT_USAGE;
		}
	}
	if (argc - optind != nargs) {
		hg_err("hosts %s: needs %s", argv[0],
		       nargs == 1 ? "one host NAME" : "OLD and NEW host names");
		return HV_EXIT_USAGE;
	}
	return -1;
}

/* A name the operator typed, shown in a message: host names are ASCII
 * by rule, but a refused one is shown as it came, escaped. */
static void bad_name(const char *what, const char *name)
{
	char *e = hg_escape((const uint8_t *)name, strlen(name));

	hg_err("hosts %s: \"%s\": not a host name (1..64 of [A-Za-z0-9._-], "
	       "starting with a letter or digit)", what, e ? e : "?");
	free(e);
}

static int hosts_change(int argc, char **argv, int rename)
{
	struct hv_reg *reg = NULL;
	const char *state = NULL, *a, *b = NULL;
	char path[4096];
	int r, ret;

	if ((ret = sub_opts(argc, argv, rename ? 2 : 1,
			    rename ? usage_rename : usage_remove, &state)) >= 0)
		return ret;
	ret = HV_EXIT_USAGE;
	a = argv[optind];
	if (rename) {
		b = argv[optind + 1];
		if (!hv_host_name_ok(b)) {
			bad_name("rename", b);
			goto out;
		}
	}
	if (hv_registry_path(hv_state_dir(state), 0, path, sizeof(path)) < 0)
		goto out;
	/* Never create a registry: there would be nothing to change. */
	if (hv_reg_open(path, HV_REG_RDWR_EXISTING, &reg) < 0)
		goto out;
	r = rename ? hv_reg_host_rename(reg, a, b, (int64_t)time(NULL)) :
		     hv_reg_host_remove(reg, a, (int64_t)time(NULL));
	if (r < 0)
		goto out;
	if (r == HV_HOST_UNKNOWN || r == HV_HOST_EXISTS) {
		char *e = hg_escape((const uint8_t *)(r == HV_HOST_UNKNOWN ? a : b),
				    strlen(r == HV_HOST_UNKNOWN ? a : b));

		hg_err("hosts %s: %s: %s", rename ? "rename" : "remove",
		       e ? e : "?", r == HV_HOST_UNKNOWN ? "no such host enrolled"
							: "a host of that name is enrolled");
		free(e);
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	if (rename)
		printf("renamed host %s to %s\n", a, b);
	else
		printf("removed host %s\n", a);
	ret = HV_EXIT_TRUSTED;
out:
	hv_reg_close(reg);
	return ret;
}

/* 1 when there is no registry file at PATH: nothing enrolled yet. */
static int no_registry_yet(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 && errno == ENOENT;
}

int hosts_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctx c = { 0 };
	struct hv_reg *reg = NULL;
	const char *state = NULL, *dir;
	char path[4096];
	int opt, ret = HV_EXIT_USAGE;

	/* A subcommand is the first word (dispatch passes argv[0] = "hosts"). */
	if (argc >= 2 && !strcmp(argv[1], "remove"))
		return hosts_change(argc - 1, argv + 1, 0);
	if (argc >= 2 && !strcmp(argv[1], "rename"))
		return hosts_change(argc - 1, argv + 1, 1);
	if (argc >= 2 && !strcmp(argv[1], "set-agent"))
		return hosts_set_main(argc - 1, argv + 1, 0);
	if (argc >= 2 && !strcmp(argv[1], "set-group"))
		return hosts_set_main(argc - 1, argv + 1, 1);
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': c.json = 1; break;
		case 's': state = optarg; break;
		case 'D': hv_registry_db_set(optarg); break;
		case 'h':
			usage(stdout);
			return HV_EXIT_TRUSTED;
		default:
			usage(stderr);
			return HV_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		hg_err("hosts: unexpected argument \"%s\" (subcommands: remove, rename, set-agent, set-group)",
		       argv[optind]);
		return HV_EXIT_USAGE;
	}
	dir = hv_state_dir(state);
	if (hv_registry_path(dir, 0, path, sizeof(path)) < 0)
		goto out;
	if (c.json && !(c.arr = json_object_new_array()))
		goto out;
	if (!no_registry_yet(path)) {
		if (hv_reg_open(path, HV_REG_RDONLY, &reg) < 0 ||
		    hv_reg_hosts(reg, one, &c) < 0)
			goto out;
	}
	if (c.json && c.n == 0)
		printf("[]\n");
	else if (c.json)
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
