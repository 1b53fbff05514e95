/* agent.c: hostgate-attest agent [OPTIONS] (agent.h, docs/agent.md).
 *
 * Starts the HTTPS server (lib/httpsd.h) with mutual TLS against the
 * verifier CA, the TPM and libvirt workers, prints "agent: listening on
 * HOST:PORT" on stderr once bound, and serves until SIGTERM or SIGINT;
 * then it lets the job in hand finish, drops the rest unanswered, closes
 * every connection and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"
#include "../cmds.h"
#include "../state.h"
#include "agent.h"

enum { OPT_LISTEN = OPT_FIRST_LOCAL, OPT_CERT, OPT_KEY, OPT_CLIENT_CA, OPT_MAX_CONNS,
       OPT_TIMEOUT, OPT_CONNECT, OPT_UEFI_LOG };

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest agent [OPTIONS]\n\n"
		   "Serve evidence, the running domains and health to the verifier over\n"
		   "HTTPS with mutual TLS (docs/agent.md). Runs until SIGTERM or SIGINT.\n\n"
		   "  --listen HOST:PORT address to listen on, numeric host, port 0 picks\n"
		   "                     a free one (agent-listen, 0.0.0.0:8443)\n"
		   "  --cert FILE        server certificate chain, PEM (agent-cert,\n"
		   "                     /etc/hostgate/agent.pem)\n"
		   "  --key FILE         its private key, PEM (agent-key,\n"
		   "                     /etc/hostgate/agent.key)\n"
		   "  --client-ca FILE   CA(s) the verifier's client certificate must\n"
		   "                     chain to (agent-client-ca,\n"
		   "                     /etc/hostgate/verifier-ca.pem)\n"
		   "  --max-conns N      connections at once, 1..1024 (agent-max-conns, 16)\n"
		   "  --timeout S        idle seconds before a connection is closed,\n"
		   "                     1..600; a request's whole life is at most 4 S\n"
		   "                     (agent-timeout, 10)\n"
		   "  --connect URI      libvirt, read-only (default qemu:///system)\n"
		   "  --uefi-log FILE    the firmware event log for evidence (default: the\n"
		   "                     kernel's, when it exists)\n"
		   HG_COMMON_HELP "\n"
		   "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 could not start (TLS files,\n"
		   "address), 2 usage or configuration.\n");
}

int ag_method(struct evhttp_request *req, int mask, const char *allow)
{
	if (evhttp_request_get_command(req) & mask)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	hg_httpsd_reply_error(req, 405, "method not allowed: use %s", allow);
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	hg_err("agent: %s: stopping", strsignal((int)sig));
	event_base_loopexit(arg, NULL);
}

/* Start the workers with SIGTERM and SIGINT blocked: the loop's thread
 * takes them, a TPM transfer is never cut by EINTR. */
static int start_workers(struct agent *ag, unsigned max)
{
	sigset_t block, old;
	int ret = -1;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (ag_worker_start(&ag->tpm, "TPM", max, ag->pipe_fd[1]) == 0 &&
	    ag_worker_start(&ag->virt, "libvirt", max, ag->pipe_fd[1]) == 0)
		ret = 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int agent_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "client-ca", required_argument, NULL, OPT_CLIENT_CA },
		{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "uefi-log", required_argument, NULL, OPT_UEFI_LOG },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct agent *ag;
	struct hg_httpsd_conf hc;
	struct event *sterm = NULL, *sint = NULL;
	char err[1024];
	int c, ret = HG_EXIT_USAGE;

	ag = calloc(1, sizeof(*ag));
	if (ag == NULL) {
		hg_err("out of memory");
		return HG_EXIT_FAIL;
	}
	ag->pipe_fd[0] = ag->pipe_fd[1] = -1;
	ag->virt_uri = "qemu:///system";
	if (hg_opts_init(&ag->o) < 0)
		goto out;
	while ((c = hg_opts_next(&ag->o, argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case OPT_LISTEN:
			hg_opts_set(&ag->o, HG_K_AGENT_LISTEN, "--listen", optarg);
			break;
		case OPT_CERT:
			hg_opts_set(&ag->o, HG_K_AGENT_CERT, "--cert", optarg);
			break;
		case OPT_KEY:
			hg_opts_set(&ag->o, HG_K_AGENT_KEY, "--key", optarg);
			break;
		case OPT_CLIENT_CA:
			hg_opts_set(&ag->o, HG_K_AGENT_CLIENT_CA, "--client-ca", optarg);
			break;
		case OPT_MAX_CONNS:
			hg_opts_set(&ag->o, HG_K_AGENT_MAX_CONNS, "--max-conns", optarg);
			break;
		case OPT_TIMEOUT:
			hg_opts_set(&ag->o, HG_K_AGENT_TIMEOUT, "--timeout", optarg);
			break;
		case OPT_CONNECT:
			ag->virt_uri = optarg;
			break;
		case OPT_UEFI_LOG:
			ag->uefi_log = optarg;
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
		hg_err("agent: unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	if (ag->uefi_log != NULL && access(ag->uefi_log, R_OK) != 0) {
		hg_err("%s: %s", ag->uefi_log, strerror(errno));
		goto out;
	}
	ag->mask = 0x3ffu | (1u << ag->o.pcr);
	ret = HG_EXIT_FAIL;
	if (hg_state_has_ak(ag->o.state) != 1)
		hg_err("agent: warning: %s holds no AK (run hostgate-attest init): evidence requests will fail",
		       ag->o.state);
	memset(&hc, 0, sizeof(hc));
	hc.listen = ag->o.conf->agent_listen;
	hc.cert_file = ag->o.conf->agent_cert;
	hc.key_file = ag->o.conf->agent_key;
	hc.client_ca_file = ag->o.conf->agent_client_ca;
	hc.max_body = AG_MAX_BODY;
	hc.max_headers = AG_MAX_HEADERS;
	hc.timeout_s = ag->o.conf->agent_timeout;
	hc.max_conns = ag->o.conf->agent_max_conns;
	if ((ag->base = event_base_new()) == NULL) {
		hg_err("agent: cannot make the event loop");
		goto out;
	}
	if (pipe2(ag->pipe_fd, O_CLOEXEC) != 0 ||
	    fcntl(ag->pipe_fd[0], F_SETFL, O_NONBLOCK) != 0) {
		hg_err("agent: pipe: %s", strerror(errno));
		goto out;
	}
	ag->pipe_ev = event_new(ag->base, ag->pipe_fd[0], EV_READ | EV_PERSIST,
				ag_jobs_done_cb, ag);
	sterm = evsignal_new(ag->base, SIGTERM, on_signal, ag->base);
	sint = evsignal_new(ag->base, SIGINT, on_signal, ag->base);
	if (ag->pipe_ev == NULL || sterm == NULL || sint == NULL ||
	    event_add(ag->pipe_ev, NULL) != 0 || evsignal_add(sterm, NULL) != 0 ||
	    evsignal_add(sint, NULL) != 0) {
		hg_err("agent: cannot set up the event loop");
		goto out;
	}
	ag->srv = hg_httpsd_new(ag->base, &hc, err, sizeof(err));
	if (ag->srv == NULL) {
		hg_err("agent: %s", err);
		goto out;
	}
	if (hg_httpsd_route(ag->srv, "/v1/evidence", ag_evidence, ag) < 0 ||
	    hg_httpsd_route(ag->srv, "/v1/domains", ag_domains, ag) < 0 ||
	    hg_httpsd_route(ag->srv, "/v1/health", ag_health, ag) < 0) {
		hg_err("agent: cannot add the routes");
		goto out;
	}
	if (start_workers(ag, hc.max_conns) < 0)
		goto out;
	hg_err("agent: listening on %s", hg_httpsd_address(ag->srv));
	if (event_base_dispatch(ag->base) != 0) {
		hg_err("agent: the event loop failed");
		goto out;
	}
	ret = HG_EXIT_OK;
out:
	/* Workers first (they may still hand jobs back), then the answers
	 * nobody will send, then the connections (their requests with them). */
	ag_worker_stop(&ag->tpm);
	ag_worker_stop(&ag->virt);
	if (ag->pipe_fd[0] >= 0)
		ag_jobs_drain(ag->pipe_fd[0]);
	hg_httpsd_free(ag->srv);
	if (ag->pipe_ev != NULL)
		event_free(ag->pipe_ev);
	if (sterm != NULL)
		event_free(sterm);
	if (sint != NULL)
		event_free(sint);
	if (ag->base != NULL)
		event_base_free(ag->base);
	if (ag->pipe_fd[0] >= 0)
		close(ag->pipe_fd[0]);
	if (ag->pipe_fd[1] >= 0)
		close(ag->pipe_fd[1]);
	free(ag);
	return ret;
}
