/* serve.c: hostgate-verify serve, the verifier service (svc.h,
 * docs/service.md): its options, start-up, signals and shutdown.
 *
 * Start-up refuses, with one line naming the option or file, before it
 * listens: no way to authenticate clients (neither --client-ca nor
 * --token-file), a token file others may read, half an agent TLS
 * configuration, an EAR key that is not an ECDSA P-256 private key, a
 * registry it cannot open. Then it prints "listening on HOST:PORT" on
 * stdout (the port resolved when 0 was asked) and runs until SIGTERM or
 * SIGINT: it stops listening, cancels the pulls in flight (nothing is
 * recorded for them), releases its host leases (lease.c), and closes
 * the registry. Every judgement already
 * recorded was committed when it was made.
 *
 * Exit codes: 0 stopped by a signal; 2 usage or start-up failure.
 */
#include "svc.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "../../lib/ear.h"
#include "../../lib/httpsd.h"
#include "../../lib/util.h"
#include "../cmds.h"
#include "../incrseal.h"
#include "../vstate.h"
#include "api.h"
#include "poller.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: hostgate-verify serve --listen ADDR:PORT --cert PEM --key PEM\n"
"                             (--client-ca PEM | --token-file F) [options]\n\n"
"The verifier service: attests every enrolled host continuously (pull,\n"
"from its agent), accepts evidence pushed by hosts it cannot reach, and\n"
"serves the REST API (docs/api.md). State lives in the registry.\n\n"
"  --db DB              the registry: a SQLite file or a postgresql:// URI\n"
"                       (HOSTGATE_VERIFY_DB; default STATE/registry.sqlite)\n"
"  --state DIR          verifier state (HOSTGATE_VERIFY_STATE, default\n"
"                       " HV_DEFAULT_STATE "); its incr.key seals each\n"
"                       host's incremental state (made on first use)\n"
"  --listen ADDR:PORT   where the API listens (port 0: any free one)\n"
"  --cert, --key PEM    the service's TLS certificate chain and key\n"
"  --client-ca PEM      clients must present a certificate from this CA\n"
"  --operator CN        a client certificate CN with the whole API\n"
"                       (repeatable; default \"operator\")\n"
"  --token-file F       bearer tokens: \"operator TOKEN\" or \"host NAME TOKEN\"\n"
"                       lines (mode 0600)\n"
"  --interval S         attest each host every S seconds (default 60)\n"
"  --jitter S           plus a random 0..S seconds (default interval/10)\n"
"  --timeout S          a pull's time limit (default 10)\n"
"  --max-inflight N     pulls at once (default 256)\n"
"  --agent-cert, --agent-key PEM\n"
"                       the client certificate shown to agents\n"
"  --agent-ca PEM       the CA agents' certificates must chain to; without\n"
"                       it no host is pulled (push mode only)\n"
"  --history N          verdicts kept per host (default 100)\n"
"  --nonce-ttl S        a push nonce's life (default 60)\n"
"  --max-nonces N       unused nonces a host may hold (default 8)\n"
"  --max-conns N        API connections at once (default 1024)\n"
"  --ear-key PEM        sign an EAR for every push (ECDSA P-256 key)\n"
"  --ear-ttl S          an EAR's life (default 300)\n"
"  --webhook URL        POST every state change there\n"
"  --webhook-secret-file F   the HMAC key for the webhook (mode 0600)\n"
"  --webhook-ca PEM     the CA the receiver's certificate must chain to\n"
"                       (default: the system's store)\n"
"  --instance-id ID     this instance's name among those sharing the\n"
"                       registry (default HOSTNAME:PID; docs/fleet.md)\n"
"  --stale-after S      a host whose last verdict is older reads unknown\n"
"                       (default 2 x interval + jitter + timeout)\n"
"  -h, --help           this text\n\n"
"Exit codes: 0 stopped by SIGTERM/SIGINT, 2 usage or start-up failure.\n");
}

static int uint_opt(const char *name, const char *arg, unsigned long min,
		    unsigned long max, unsigned *out)
{
	unsigned long v;

	if (hg_parse_uint(arg, max, &v) < 0 || v < min) {
		hg_err("serve: %s \"%s\": not %lu..%lu", name, arg, min, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse(int argc, char **argv, struct hv_svc_cfg *c,
		 const char **state)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'C' },
		{ "operator", required_argument, NULL, 'o' },
		{ "token-file", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-inflight", required_argument, NULL, 'm' },
		{ "agent-cert", required_argument, NULL, 'a' },
		{ "agent-key", required_argument, NULL, 'b' },
		{ "agent-ca", required_argument, NULL, 'A' },
		{ "history", required_argument, NULL, 'H' },
		{ "nonce-ttl", required_argument, NULL, 'n' },
		{ "max-nonces", required_argument, NULL, 'N' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "ear-key", required_argument, NULL, 'e' },
		{ "ear-ttl", required_argument, NULL, 'E' },
		{ "webhook", required_argument, NULL, 'w' },
		{ "webhook-secret-file", required_argument, NULL, 'W' },
		{ "webhook-ca", required_argument, NULL, 'X' },
		{ "instance-id", required_argument, NULL, 'I' },
		{ "stale-after", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned timeout_s = 10;
	int opt, jitter_set = 0;

	c->interval = 60;
	c->max_inflight = 256;
	c->history = 100;
	c->nonce_ttl = 60;
	c->max_nonces = 8;
	c->max_conns = 1024;
	c->ear_ttl = 300;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': c->db = optarg; break;
		case 's': *state = optarg; break;
		case 'l': c->listen = optarg; break;
		case 'c': c->cert = optarg; break;
		case 'k': c->key = optarg; break;
		case 'C': c->client_ca = optarg; break;
		case 'o':
			if (c->noperators == HV_SVC_MAX_OPERATORS) {
				hg_err("serve: more than %d --operator", HV_SVC_MAX_OPERATORS);
				return HV_EXIT_USAGE;
			}
			c->operators[c->noperators++] = optarg;
			break;
		case 't': c->token_file = optarg; break;
		case 'i':
			if (uint_opt("--interval", optarg, 1, 86400, &c->interval) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'j':
			if (uint_opt("--jitter", optarg, 0, 86400, &c->jitter) < 0)
				return HV_EXIT_USAGE;
			jitter_set = 1;
			break;
		case 'T':
			if (uint_opt("--timeout", optarg, 1, 600, &timeout_s) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'm':
			if (uint_opt("--max-inflight", optarg, 1, 65536, &c->max_inflight) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'a': c->agent_cert = optarg; break;
		case 'b': c->agent_key = optarg; break;
		case 'A': c->agent_ca = optarg; break;
		case 'H':
			if (uint_opt("--history", optarg, 1, HV_HISTORY_MAX, &c->history) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'n':
			if (uint_opt("--nonce-ttl", optarg, 1, 3600, &c->nonce_ttl) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'N':
			if (uint_opt("--max-nonces", optarg, 1, 1024, &c->max_nonces) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'M':
			if (uint_opt("--max-conns", optarg, 1, 65536, &c->max_conns) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'e': c->ear_key = optarg; break;
		case 'E':
			if (uint_opt("--ear-ttl", optarg, 1, 86400, &c->ear_ttl) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'w': c->webhook_url = optarg; break;
		case 'W': c->webhook_secret_file = optarg; break;
		case 'X': c->webhook_ca = optarg; break;
		case 'I':
			if (!hv_instance_id_ok(optarg)) {
				hg_err("serve: --instance-id \"%s\": not 1..%d of"
				       " [A-Za-z0-9._:@-]", optarg, HV_INSTANCE_ID_MAX);
				return HV_EXIT_USAGE;
			}
			c->instance_id = optarg;
			break;
		case 'S':
			if (uint_opt("--stale-after", optarg, 1, 30 * 86400,
				     &c->stale_after) < 0)
				return HV_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return HV_EXIT_TRUSTED;
		default:
			usage(stderr);
			return HV_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		hg_err("serve: unexpected argument \"%s\"", argv[optind]);
		return HV_EXIT_USAGE;
	}
	if (!c->listen || !c->cert || !c->key) {
		hg_err("serve: needs --listen, --cert and --key");
		return HV_EXIT_USAGE;
	}
	/* An API nobody is authenticated on is no API. */
	if (!c->client_ca && !c->token_file) {
		hg_err("serve: needs --client-ca or --token-file (or both): clients"
		       " must be authenticated");
		return HV_EXIT_USAGE;
	}
	if (!c->agent_cert != !c->agent_key ||
	    ((c->agent_cert || c->agent_key) && !c->agent_ca)) {
		hg_err("serve: --agent-cert and --agent-key go together, with --agent-ca");
		return HV_EXIT_USAGE;
	}
	if (!c->webhook_url != !c->webhook_secret_file ||
	    (c->webhook_ca && !c->webhook_url)) {
		hg_err("serve: --webhook and --webhook-secret-file go together"
		       " (--webhook-ca with them)");
		return HV_EXIT_USAGE;
	}
	if (!c->noperators)
		c->operators[c->noperators++] = "operator";
	if (!jitter_set)
		c->jitter = c->interval / 10;
	c->timeout_ms = timeout_s * 1000;
	/* A host is attested every interval + 0..jitter, a pull lasts at
	 * most the timeout; one round may be missed (a take-over after an
	 * instance died, a registry hiccup) before its state is doubted. */
	if (!c->stale_after)
		c->stale_after = 2 * c->interval + c->jitter + timeout_s;
	return -1;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct hv_svc *s = arg;

	(void)what;
	fprintf(stderr, "hostgate-verify: serve: %s, stopping\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	s->stopping = 1;
	event_base_loopexit(s->base, NULL);
}

int serve_main(int argc, char **argv)
{
	struct hv_svc *s = calloc(1, sizeof(*s));
	struct event *sigterm = NULL, *sigint = NULL;
	const char *state = NULL;
	char path[4096], err[512];
	int ret = HV_EXIT_USAGE, r;

	if (!s) {
		hg_err("out of memory");
		return HV_EXIT_USAGE;
	}
	if ((r = parse(argc, argv, &s->cfg, &state)) >= 0) {
		ret = r;
		goto out;
	}
	if (!s->cfg.db) {
		if (hv_registry_path(hv_state_dir(state), 1, path, sizeof(path)) < 0)
			goto out;
		s->cfg.db = path;
	}
	if (s->cfg.token_file && hv_api_load_tokens(s, s->cfg.token_file) < 0)
		goto out;
	if (s->cfg.ear_key && hg_ear_load_key(s->cfg.ear_key, 1, &s->ear_key) < 0)
		goto out;
	if (hv_reg_open(s->cfg.db, HV_REG_RDWR, &s->reg) < 0)
		goto out;
	/* Everything runs on one loop: a registry that stopped answering
	 * (held by a writer, or gone) stalls it for at most this long per
	 * statement, and the statement fails (lease.c: unavailable). The
	 * instances' own transactions last milliseconds. */
	if (hv_reg_set_timeout(s->reg, HV_SVC_DB_TIMEOUT_MS) < 0)
		goto out;
	/* Pulls keep each host's incremental state sealed under the key
	 * `check --state-out` uses (incrseal.h); without it, full checks. */
	if (hv_incr_key(hv_state_dir(state), 1, s->incr_key) == 0)
		s->incr_on = 1;
	else
		hg_err("serve: no state key in %s: incremental verification is off",
		       hv_state_dir(state));
	if (!(s->base = event_base_new())) {
		hg_err("serve: cannot make the event loop");
		goto out;
	}
	if (s->cfg.agent_ca) {
		struct hg_poller_tls tls = {
			.cert_file = s->cfg.agent_cert, .key_file = s->cfg.agent_key,
			.ca_file = s->cfg.agent_ca,
		};

		s->poller = hg_poller_new(s->base, &tls, s->cfg.timeout_ms,
					  HV_SVC_MAX_BODY, s->cfg.max_inflight,
					  err, sizeof(err));
		if (!s->poller) {
			hg_err("serve: agents: %s", err);
			goto out;
		}
	}
	if (hv_hooks_start(s, err, sizeof(err)) < 0) {
		hg_err("serve: %s", err);
		goto out;
	}
	if (hv_api_start(s, err, sizeof(err)) < 0) {
		hg_err("serve: %s", err);
		goto out;
	}
	if (hv_sched_new(s) < 0) {
		hg_err("serve: cannot start the scheduler");
		goto out;
	}
	if (hv_fleet_start(s, err, sizeof(err)) < 0) {
		hg_err("serve: %s", err);
		goto out;
	}
	sigterm = evsignal_new(s->base, SIGTERM, on_signal, s);
	sigint = evsignal_new(s->base, SIGINT, on_signal, s);
	if (!sigterm || !sigint || evsignal_add(sigterm, NULL) < 0 ||
	    evsignal_add(sigint, NULL) < 0) {
		hg_err("serve: cannot catch signals");
		goto out;
	}
	s->started = (int64_t)time(NULL);
	printf("listening on %s\n", hg_httpsd_address(s->httpd));
	fflush(stdout);
	if (event_base_dispatch(s->base) < 0) {
		hg_err("serve: the event loop failed");
		goto out;
	}
	ret = s->stopping ? HV_EXIT_TRUSTED : HV_EXIT_USAGE;
out:
	s->stopping = 1;
	hv_api_stop(s);
	hv_hooks_stop(s);
	/* Cancels every pull in flight: their callbacks record nothing. */
	hg_poller_free(s->poller);
	/* Nothing is recorded any more: the leases go to the others. */
	hv_fleet_stop(s);
	hv_sched_free(s);
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	hv_svc_polcache_free(s);
	hv_reg_close(s->reg);
	EVP_PKEY_free(s->ear_key);
	if (s->base)
		event_base_free(s->base);
	OPENSSL_cleanse(s->tokens, sizeof(s->tokens));
	OPENSSL_cleanse(s->incr_key, sizeof(s->incr_key));
	free(s);
	return ret;
}
