/* policycmd.c: the policies the verifier service judges hosts by
 * (registry.h schema 3, issue 14 item 2):
 *
 *   policy add NAME FILE          store FILE (parsed strictly first,
 *       verifier/policy.h) as NAME's next version; the same text again
 *       is no new version.
 *   policy assign NAME (--host H | --group G)
 *       judge host H (or every host of group G without its own
 *       assignment) by NAME's latest version.
 *   policy list [--json]          the policies (latest versions) and
 *       the assignments.
 *   policy show NAME [--version N] the stored text.
 *
 * A running `hostgate-verify serve` on the same registry sees a new
 * version or assignment within a second and re-attests the hosts it
 * changes (verifier/service/scheduler.c).
 *
 * Exit codes: 0 done; 1 refused (no such policy or host); 2 usage, an
 * unreadable or invalid policy file, or no registry.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "../lib/text.h"
#include "../lib/util.h"
#include "cmds.h"
#include "policy.h"
#include "registry/registry.h"
#include "vstate.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify policy add NAME FILE [--state DIR]\n"
		   "       hostgate-verify policy assign NAME (--host H | --group G) [--state DIR]\n"
		   "       hostgate-verify policy list [--json] [--state DIR]\n"
		   "       hostgate-verify policy show NAME [--version N] [--state DIR]\n\n"
		   "The policies stored in the registry for hostgate-verify serve, and\n"
		   "which hosts they judge. 'add' checks FILE as 'check' does and\n"
		   "stores it as NAME's next version (the same text is no new version);\n"
		   "'assign' applies NAME's latest version to host H, or to every host\n"
		   "of group G (hosts set-group) that has no policy of its own. A\n"
		   "running service re-attests the hosts a change applies to.\n\n"
		   "  --host H       assign to host H (enrolled)\n"
		   "  --group G      assign to group G\n"
		   "  --version N    show version N (default: the latest)\n"
		   "  --json         list as JSON\n"
		   "  --state DIR    verifier state (HOSTGATE_VERIFY_STATE, default\n"
		   "                 " HV_DEFAULT_STATE ")\n"
		   "  --db DB        the registry: a SQLite file or a postgresql:// URI\n"
		   "                 (HOSTGATE_VERIFY_DB; default STATE/registry.sqlite)\n"
		   "  -h, --help     this text\n\n"
		   "Exit codes: 0 done, 1 no such policy or host, 2 usage, an unreadable\n"
		   "or invalid policy, or no registry.\n");
}

struct opts {
	const char *state, *host, *group;
	int json;
	int64_t version;
};

/* Options anywhere; the operands left in argv[optind..]. -1 to go on,
 * else an exit code. */
static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'g' },
		{ "version", required_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->state = optarg; break;
		case 'D': hv_registry_db_set(optarg); break;
		case 'H': o->host = optarg; break;
		case 'g': o->group = optarg; break;
		case 'j': o->json = 1; break;
		case 'V':
			if (hg_parse_uint(optarg, 1u << 30, &v) < 0 || v == 0) {
				hg_err("policy: --version \"%s\": not a version number",
				       optarg);
				return HV_EXIT_USAGE;
			}
			o->version = (int64_t)v;
			break;
		case 'h':
			usage(stdout);
			return HV_EXIT_TRUSTED;
		default:
			usage(stderr);
			return HV_EXIT_USAGE;
		}
	}
	return -1;
}

enum { REG_READ, REG_WRITE, REG_CREATE };

static int open_reg(const char *state, int how, struct hv_reg **reg)
{
	char path[4096];

	if (hv_registry_path(hv_state_dir(state), how == REG_CREATE, path,
			     sizeof(path)) < 0)
		return -1;
	/* Only `add` may create the registry: the others need one. */
	return hv_reg_open(path, how == REG_READ ? HV_REG_RDONLY :
			   how == REG_WRITE ? HV_REG_RDWR_EXISTING : HV_REG_RDWR,
			   reg);
}

static int bad_name(const char *what, const char *name)
{
	char *e = hg_escape((const uint8_t *)name, strlen(name));

	hg_err("policy: %s \"%s\": not a name (1..64 of [A-Za-z0-9._-], "
	       "starting with a letter or digit)", what, e ? e : "?");
	free(e);
	return HV_EXIT_USAGE;
}

static int cmd_add(const char *name, const char *file, const struct opts *o)
{
	struct hg_policy pol = { 0 };
	struct hv_reg *reg = NULL;
	uint8_t *text = NULL;
	size_t len = 0;
	int64_t version = 0;
	int unchanged = 0, ret = HV_EXIT_USAGE;

	if (!hv_name_ok(name))
		return bad_name("NAME", name);
	if (hg_read_file(file, HG_POLICY_MAX_SIZE, 0, &text, &len) < 0) {
		hg_err("%s: %s", file, errno == EFBIG ? "larger than 16 MiB" :
		       hg_strerror_read(errno));
		goto out;
	}
	/* The one parser: what is stored is what check would accept. */
	if (hg_policy_parse(file, (const char *)text, len, &pol) < 0)
		goto out;
	if (open_reg(o->state, REG_CREATE, &reg) < 0 ||
	    hv_reg_policy_add(reg, name, (const char *)text, len,
			      (int64_t)time(NULL), &version, &unchanged) < 0)
		goto out;
	printf(unchanged ? "policy %s unchanged (version %lld)\n" :
			   "policy %s version %lld\n", name, (long long)version);
	ret = HV_EXIT_TRUSTED;
out:
	hg_policy_free(&pol);
	free(text);
	hv_reg_close(reg);
	return ret;
}

static int cmd_assign(const char *name, const struct opts *o)
{
	struct hv_reg *reg = NULL;
	const char *target = o->host ? o->host : o->group;
	int r, ret = HV_EXIT_USAGE;

	if (!o->host == !o->group) {
		hg_err("policy assign: needs --host H or --group G (one of them)");
		return HV_EXIT_USAGE;
	}
	if (!hv_name_ok(name))
		return bad_name("NAME", name);
	if (!hv_name_ok(target))
		return bad_name(o->host ? "--host" : "--group", target);
	if (open_reg(o->state, REG_WRITE, &reg) < 0)
		goto out;
	r = hv_reg_policy_assign(reg, name, o->host ? HV_ASSIGN_HOST :
				 HV_ASSIGN_GROUP, target, (int64_t)time(NULL));
	if (r < 0)
		goto out;
	if (r == HV_POLICY_UNKNOWN || r == HV_HOST_UNKNOWN) {
		hg_err("policy assign: %s: %s", r == HV_POLICY_UNKNOWN ? name : target,
		       r == HV_POLICY_UNKNOWN ? "no such policy (policy add)" :
						"no such host enrolled");
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	printf("policy %s assigned to %s %s\n", name, o->host ? "host" : "group",
	       target);
	ret = HV_EXIT_TRUSTED;
out:
	hv_reg_close(reg);
	return ret;
}

struct listing {
	int json;
	json_object *pols, *asg;
	int n;
};

static void iso(int64_t s, char *buf, size_t n)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%lld", (long long)s);
}

static int list_pol(const struct hv_policy_rec *p, void *arg)
{
	struct listing *l = arg;
	char sum[65], at[32];

	hg_hex_encode(p->sha256, 32, sum);
	iso(p->added_at, at, sizeof(at));
	if (!l->json) {
		if (!l->n++)
			printf("%-24s %-8s %-20s %s\n", "POLICY", "VERSION",
			       "ADDED", "SHA-256");
		printf("%-24s %-8lld %-20s %s\n", p->name, (long long)p->version,
		       at, sum);
		return 0;
	}
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "version", json_object_new_int64(p->version));
	json_object_object_add(o, "sha256", json_object_new_string(sum));
	json_object_object_add(o, "added_at", json_object_new_string(at));
	json_object_array_add(l->pols, o);
	return 0;
}

static int list_asg(void *arg, enum hv_assign_kind kind, const char *target,
		    const char *policy)
{
	struct listing *l = arg;
	const char *k = kind == HV_ASSIGN_HOST ? "host" : "group";

	if (!l->json) {
		if (!l->n++)
			printf("\n%-6s %-24s %s\n", "TO", "TARGET", "POLICY");
		printf("%-6s %-24s %s\n", k, target, policy);
		return 0;
	}
	json_object *o = json_object_new_object();

	json_object_object_add(o, kind == HV_ASSIGN_HOST ? "host" : "group",
			       json_object_new_string(target));
	json_object_object_add(o, "policy", json_object_new_string(policy));
	json_object_array_add(l->asg, o);
	return 0;
}

static int cmd_list(const struct opts *o)
{
	struct listing l = { .json = o->json };
	struct hv_reg *reg = NULL;
	json_object *top = NULL;
	int ret = HV_EXIT_USAGE;

	if (open_reg(o->state, REG_READ, &reg) < 0)
		goto out;
	l.pols = json_object_new_array();
	l.asg = json_object_new_array();
	if (hv_reg_policies(reg, list_pol, &l) < 0)
		goto out;
	if (!l.json && !l.n)
		printf("no policies stored\n");
	l.n = 0;
	if (hv_reg_assignments(reg, list_asg, &l) < 0)
		goto out;
	if (l.json) {
		top = json_object_new_object();
		json_object_object_add(top, "policies", json_object_get(l.pols));
		json_object_object_add(top, "assignments", json_object_get(l.asg));
		printf("%s\n", json_object_to_json_string_ext(top,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	ret = HV_EXIT_TRUSTED;
out:
	json_object_put(top);
	json_object_put(l.pols);
	json_object_put(l.asg);
	hv_reg_close(reg);
	return ret;
}

static int cmd_show(const char *name, const struct opts *o)
{
	struct hv_policy_rec p = { 0 };
	struct hv_reg *reg = NULL;
	int r, ret = HV_EXIT_USAGE;

	if (!hv_name_ok(name))
		return bad_name("NAME", name);
	if (open_reg(o->state, REG_READ, &reg) < 0 ||
	    (r = hv_reg_policy_get(reg, name, o->version, &p)) < 0)
		goto out;
	if (r == 0) {
		hg_err("policy show: %s: no such policy%s", name,
		       o->version ? " version" : "");
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	if (hg_write_all(1, p.text, p.text_len) < 0) {
		hg_err("stdout: %s", strerror(errno));
		goto out;
	}
	ret = HV_EXIT_TRUSTED;
out:
	hv_policy_rec_free(&p);
	hv_reg_close(reg);
	return ret;
}

int policy_main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *sub;
	int r, nargs;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			usage(stdout);
			return HV_EXIT_TRUSTED;
		}
		hg_err("policy: needs a subcommand: add, assign, list or show");
		return HV_EXIT_USAGE;
	}
	sub = argv[1];
	if ((r = parse(argc - 1, argv + 1, &o)) >= 0)
		return r;
	nargs = argc - 1 - optind;
	argv += 1 + optind;
	if (!strcmp(sub, "add") && nargs == 2)
		return cmd_add(argv[0], argv[1], &o);
	if (!strcmp(sub, "assign") && nargs == 1)
		return cmd_assign(argv[0], &o);
	if (!strcmp(sub, "list") && nargs == 0)
		return cmd_list(&o);
	if (!strcmp(sub, "show") && nargs == 1)
		return cmd_show(argv[0], &o);
	if (strcmp(sub, "add") && strcmp(sub, "assign") && strcmp(sub, "list") &&
	    strcmp(sub, "show"))
		hg_err("policy: unknown subcommand \"%s\" (add, assign, list, show)",
		       sub);
	else
		hg_err("policy %s: wrong number of operands (see --help)", sub);
	return HV_EXIT_USAGE;
}
