/* ear.c: hostgate-verify ear issue|verify: signed attestation results
 * (lib/ear.h; docs/ear.md).
 *
 *   ear issue --key KEY.pem --verdict VERDICT.json [--ttl SECONDS]
 *             [--verifier-id ID] [--policy-id ID] [--submod NAME] [-o FILE]
 *     signs the EAR for one `check` verdict (the service calls the library
 *     directly). Exit 0 issued, 2 usage or an unreadable key or verdict.
 *
 *   ear verify TOKEN --key PUB.pem [--nonce HEX] [--host NAME] [--now UNIX]
 *     checks a token offline and prints its claims as JSON on stdout.
 *     Exit 0 valid and every submodule affirming; 1 valid, but some
 *     submodule is not affirming (one stderr line names it); 3 invalid:
 *     signature, format, expiry, a nonce or host that does not match (one
 *     stderr line says why, nothing on stdout); 2 usage or unreadable.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/ear.h"
#include "../lib/util.h"
#include "cmds.h"
#include "hg_version.h"
#include "inputs.h"

/* A verdict lists at most 1000 failures (judge.h) and its measured
 * records are bounded by HG_EAR_MAX_DIGESTS: far below this. */
#define VERDICT_FILE_MAX (16 * 1024 * 1024)
#define TTL_MAX HG_EAR_MAX_TTL

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify ear issue --key KEY.pem --verdict VERDICT.json\n"
		   "                                 [--ttl SECONDS] [--verifier-id ID]\n"
		   "                                 [--policy-id ID] [--submod NAME] [-o FILE]\n"
		   "       hostgate-verify ear verify TOKEN --key PUB.pem [--nonce HEX]\n"
		   "                                 [--host NAME] [--now UNIX]\n\n"
		   "issue: sign an attestation result (EAR, draft-ietf-rats-ear: CBOR in a\n"
		   "COSE_Sign1, ES256) for a 'check' verdict (run check with --measured\n"
		   "for the result to carry the measured digests). Writes the token to\n"
		   "FILE or stdout.\n"
		   "  --key FILE        the verifier's P-256 private key (PEM)\n"
		   "  --verdict FILE    the JSON verdict 'hostgate-verify check' printed\n"
		   "  --ttl SECONDS     lifetime, 1..%d (default %d)\n"
		   "  --verifier-id ID  ear.verifier-id developer (default \"hostgate\")\n"
		   "  --policy-id ID    ear.appraisal-policy-id of the submodule\n"
		   "  --submod NAME     submodule name (default: the verdict's hostname,\n"
		   "                    else \"host\")\n"
		   "  -o FILE           write the token to FILE (default stdout)\n\n"
		   "verify: check TOKEN's signature with PUB.pem (PEM public key), its\n"
		   "format and its expiry, and print its claims as JSON.\n"
		   "  --nonce HEX       the token's eat_nonce must be this nonce\n"
		   "  --host NAME       the token must have a submodule NAME\n"
		   "  --now UNIX        judge expiry at this time (default: now)\n\n"
		   "Exit codes: issue 0 issued; verify 0 valid and every submodule\n"
		   "affirming, 1 valid but a submodule is not affirming, 3 invalid token\n"
		   "(signature, format, expiry, nonce or host); 2 usage or unreadable input.\n",
		TTL_MAX, HG_EAR_DEFAULT_TTL);
}

static json_object *load_verdict(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	json_tokener *tok = NULL;
	json_object *v = NULL;

	if (hg_read_file(path, VERDICT_FILE_MAX, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "larger than 16 MiB"
						      : hg_strerror_read(errno));
		goto out;
	}
	tok = json_tokener_new();
	if (!tok || len > INT32_MAX) {
		hg_err("%s: out of memory", path);
		goto out;
	}
	v = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	if (!v || json_tokener_get_error(tok) != json_tokener_success) {
		hg_err("%s: not JSON: %s", path,
		       json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(v);
		v = NULL;
		goto out;
	}
	/* Exactly one JSON value (whitespace after it is fine). */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!strchr(" \t\r\n", buf[i])) {
			hg_err("%s: bytes after the verdict", path);
			json_object_put(v);
			v = NULL;
			goto out;
		}
	}
out:
	if (tok)
		json_tokener_free(tok);
	free(buf);
	return v;
}

static int issue_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "verdict", required_argument, NULL, 'v' },
		{ "ttl", required_argument, NULL, 't' },
		{ "verifier-id", required_argument, NULL, 'i' },
		{ "policy-id", required_argument, NULL, 'p' },
		{ "submod", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *keypath = NULL, *vpath = NULL, *outpath = NULL;
	struct hg_ear_issue opt = { .ttl = HG_EAR_DEFAULT_TTL, .build = "hostgate-verify " HG_VERSION };
	struct hg_ear_claims claims = { 0 };
	json_object *verdict = NULL;
	EVP_PKEY *key = NULL;
	uint8_t *tok = NULL;
	size_t toklen = 0;
	unsigned long ttl;
	char err[256];
	int c, ret = HV_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'v': vpath = optarg; break;
		case 't':
			if (hg_parse_uint(optarg, TTL_MAX, &ttl) < 0 || ttl == 0) {
				hg_err("ear issue: --ttl \"%s\": not 1..%d seconds", optarg, TTL_MAX);
				goto out;
			}
			opt.ttl = (int64_t)ttl;
			break;
		case 'i': opt.verifier_id = optarg; break;
		case 'p': opt.policy_id = optarg; break;
		case 's': opt.submod = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!keypath || !vpath || optind != argc) {
		hg_err("ear issue: needs --key and --verdict, and no other argument");
		goto out;
	}
	if (hg_ear_load_key(keypath, 1, &key) < 0 || !(verdict = load_verdict(vpath)))
		goto out;
	opt.now = (int64_t)time(NULL);
	if (hg_ear_from_verdict(verdict, &opt, &claims, err, sizeof(err)) < 0) {
		hg_err("%s: %s", vpath, err);
		goto out;
	}
	if (hg_ear_sign(&claims, key, &tok, &toklen) < 0) {
		hg_err("%s: cannot encode or sign the result (a name or id that is not "
		       "plain UTF-8, or over %d bytes)", vpath, HG_EAR_MAX_TOKEN);
		goto out;
	}
	if (hg_write_output(outpath, tok, toklen, 0644) < 0)
		goto out;
	ret = 0;
out:
	free(tok);
	hg_ear_claims_free(&claims);
	json_object_put(verdict);
	EVP_PKEY_free(key);
	return ret;
}

/* Whole seconds since the epoch, 0..INT64_MAX. */
static int parse_now(const char *s, int64_t *now)
{
	unsigned long v;

	if (hg_parse_uint(s, INT64_MAX, &v) < 0)
		return -1;
	*now = (int64_t)v;
	return 0;
}

static int verify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "host", required_argument, NULL, 'H' },
		{ "now", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *keypath = NULL, *noncehex = NULL, *host = NULL, *path;
	struct hg_ear_claims claims = { 0 };
	EVP_PKEY *pub = NULL;
	uint8_t *tok = NULL, *nonce = NULL;
	size_t toklen = 0, nonce_len = 0;
	int64_t now = (int64_t)time(NULL);
	json_object *j = NULL;
	char err[512];
	int c, vr, ret = HV_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'n': noncehex = optarg; break;
		case 'H': host = optarg; break;
		case 'N':
			if (parse_now(optarg, &now) < 0) {
				hg_err("ear verify: --now \"%s\": not a Unix time in seconds", optarg);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!keypath || optind + 1 != argc) {
		hg_err("ear verify: needs --key and one TOKEN file");
		goto out;
	}
	path = argv[optind];
	if (noncehex && hv_parse_nonce(noncehex, &nonce, &nonce_len) < 0)
		goto out;
	if (hg_ear_load_key(keypath, 0, &pub) < 0)
		goto out;
	/* One byte over the cap, so that "too large" is an invalid token. */
	if (hg_read_file(path, HG_EAR_MAX_TOKEN + 1, 0, &tok, &toklen) < 0) {
		if (errno == EFBIG) {
			hg_err("%s: larger than %d bytes: not an EAR token", path, HG_EAR_MAX_TOKEN);
			ret = HV_EXIT_INVALID;
		} else {
			hg_err("%s: %s", path, hg_strerror_read(errno));
		}
		goto out;
	}
	vr = hg_ear_verify(tok, toklen, pub, now, &claims, err, sizeof(err));
	if (vr < 0) {
		hg_err("%s: %s", path, err);
		ret = vr == -2 ? HV_EXIT_USAGE : HV_EXIT_INVALID;
		goto out;
	}
	ret = HV_EXIT_INVALID;
	if (nonce && (claims.nonce_len != nonce_len || memcmp(claims.nonce, nonce, nonce_len))) {
		hg_err("%s: %s", path, claims.nonce_len ? "eat_nonce is not the --nonce given"
							: "no eat_nonce, and --nonce was given");
		goto out;
	}
	if (host && !hg_ear_submod_find(&claims, host)) {
		hg_err("%s: no submodule for host \"%s\"", path, host);
		goto out;
	}
	j = hg_ear_claims_json(&claims);
	if (!j) {
		hg_err("out of memory");
		ret = HV_EXIT_USAGE;
		goto out;
	}
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	ret = HV_EXIT_TRUSTED;
	for (size_t i = 0; i < claims.nsubmods; i++) {
		const struct hg_ear_submod *s = &claims.submods[i];

		if (s->status != HG_EAR_AFFIRMING) {
			hg_err("%s: submodule \"%s\" is %s", path, s->name,
			       hg_ear_status_name(s->status));
			ret = HV_EXIT_UNTRUSTED;
			break;
		}
	}
out:
	json_object_put(j);
	hg_ear_claims_free(&claims);
	EVP_PKEY_free(pub);
	free(tok);
	free(nonce);
	return ret;
}

int ear_main(int argc, char **argv)
{
	static char name[64];

	if (argc >= 2 && (!strcmp(argv[1], "issue") || !strcmp(argv[1], "verify"))) {
		int issue = !strcmp(argv[1], "issue");

		/* getopt's messages name "hostgate-verify ear issue". */
		snprintf(name, sizeof(name), "%s %s", argv[0], argv[1]);
		argv[1] = name;
		return issue ? issue_main(argc - 1, argv + 1) : verify_main(argc - 1, argv + 1);
	}
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	hg_err("ear: needs a subcommand: issue or verify");
	usage(stderr);
	return HV_EXIT_USAGE;
}
