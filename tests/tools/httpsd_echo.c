/* httpsd_echo.c: lib/httpsd.c alone, for tests/integration/t_httpsd.sh
 * (a test tool).
 *
 *   httpsd_echo LISTEN CERT KEY CLIENT_CA|- MAX_BODY MAX_HEADERS TIMEOUT
 *               MAX_CONNS [DEADLINE]
 *
 * Prints "listening on HOST:PORT" on stderr once bound, then serves:
 *   POST /echo   {"bytes": N, "peer": CN|null}, N the body's length
 *   GET  /conns  {"conns": N}, the connections open now (this one too)
 *   anything else: the default 404
 * SIGTERM or SIGINT stops it (exit 0). Exit 2: the server did not start
 * (the one error line hg_httpsd_new() wrote).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"

static struct hg_httpsd *srv;

static void echo(struct evhttp_request *req, void *arg)
{
	struct json_object *o;
	const char *peer = hg_httpsd_peer_name(req);

	(void)arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		hg_httpsd_reply_error(req, 405, "POST only");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)
		evbuffer_get_length(evhttp_request_get_input_buffer(req))));
	json_object_object_add(o, "peer", peer != NULL ? json_object_new_string(peer) : NULL);
	hg_httpsd_reply_json(req, 200, o);
	json_object_put(o);
}

static void conns(struct evhttp_request *req, void *arg)
{
	struct json_object *o = json_object_new_object();

	(void)arg;
	json_object_object_add(o, "conns", json_object_new_int64(hg_httpsd_conns(srv)));
	hg_httpsd_reply_json(req, 200, o);
	json_object_put(o);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

int main(int argc, char **argv)
{
	struct hg_httpsd_conf conf;
	struct event_base *base;
	struct event *sterm, *sint;
	char err[512];
	int ret = 2;

	hg_progname = "httpsd_echo";
	if (argc != 9 && argc != 10) {
		fprintf(stderr, "usage: httpsd_echo LISTEN CERT KEY CA|- MAX_BODY MAX_HEADERS TIMEOUT MAX_CONNS [DEADLINE]\n");
		return 2;
	}
	memset(&conf, 0, sizeof(conf));
	conf.listen = argv[1];
	conf.cert_file = argv[2];
	conf.key_file = argv[3];
	conf.client_ca_file = strcmp(argv[4], "-") == 0 ? NULL : argv[4];
	conf.max_body = strtoul(argv[5], NULL, 10);
	conf.max_headers = strtoul(argv[6], NULL, 10);
	conf.timeout_s = (unsigned)strtoul(argv[7], NULL, 10);
	conf.max_conns = (unsigned)strtoul(argv[8], NULL, 10);
	conf.deadline_s = argc == 10 ? (unsigned)strtoul(argv[9], NULL, 10) : 0;
	base = event_base_new();
	if (base == NULL)
		return 2;
	srv = hg_httpsd_new(base, &conf, err, sizeof(err));
	if (srv == NULL) {
		hg_err("%s", err);
		goto out;
	}
	hg_httpsd_route(srv, "/echo", echo, NULL);
	hg_httpsd_route(srv, "/conns", conns, NULL);
	sterm = evsignal_new(base, SIGTERM, on_signal, base);
	sint = evsignal_new(base, SIGINT, on_signal, base);
	evsignal_add(sterm, NULL);
	evsignal_add(sint, NULL);
	fprintf(stderr, "listening on %s\n", hg_httpsd_address(srv));
	event_base_dispatch(base);
	event_free(sterm);
	event_free(sint);
	hg_httpsd_free(srv);
	ret = 0;
out:
	event_base_free(base);
	return ret;
}
