/* httpsd.h: one HTTPS server (libevent evhttp + bufferevent_openssl),
 * shared by the host agent (hostgate-attest agent) and the verifier
 * service (hostgate-verify serve).
 *
 * Contract:
 *  - TLS 1.2 or later only (OpenSSL), no compression, no renegotiation,
 *    no session resumption (every connection proves its certificate
 *    afresh; kept-alive connections make that cheap).
 *  - hg_httpsd_new() loads cert_file (a PEM chain, leaf first) and
 *    key_file and checks that the key belongs to the certificate before it
 *    listens; any failure is one line in ERR naming the file and the
 *    reason, and NULL.
 *  - client_ca_file set: every client must present a certificate that
 *    verifies to a CA in that file (SSL_VERIFY_PEER |
 *    SSL_VERIFY_FAIL_IF_NO_PEER_CERT) and whose purpose is a TLS client
 *    (X509_PURPOSE_SSL_CLIENT: an extendedKeyUsage, when present, must
 *    list clientAuth). Without one the handshake fails: no handler ever
 *    sees an unauthenticated request. client_ca_file NULL: no certificate
 *    is asked for (bearer-token APIs authenticate in their handlers).
 *  - Bounds, all enforced before a handler runs:
 *      max_body     a larger body is refused with 413 (by libevent, from
 *                   Content-Length or while reading chunks; its body is
 *                   libevent's short text/html page);
 *      max_headers  larger request headers: 400 (libevent's page);
 *      timeout_s    a connection that sends or takes nothing for this
 *                   long (the TLS handshake included) is closed;
 *      deadline_s   the whole of a request, from the connection's accept
 *                   or the previous request's dispatch to the end of this
 *                   one's handling, takes at most this long (a client
 *                   that trickles one byte per timeout_s is cut off);
 *                   0 means 4 * timeout_s;
 *      max_conns    at most this many connections at once; one accepted
 *                   beyond it is closed at once, before any TLS byte.
 *  - Routing: hg_httpsd_route() matches the request's path exactly (raw,
 *    not percent-decoded; the query string is ignored); everything else
 *    goes to the fallback, by default a 404 {"error": ...}. Handlers
 *    check the method themselves (405 is theirs to send).
 *  - A handler must answer the request exactly once, with evhttp or the
 *    reply helpers below, possibly later from the event loop (an
 *    asynchronous job). If the deadline passed meanwhile the connection
 *    is gone and the reply is dropped by libevent, safely.
 *  - hg_httpsd_peer_name(): the subject CN of the client certificate when
 *    one was presented and verified, else NULL (also when the CN is
 *    absent, empty, longer than 255 bytes or holds a NUL). The string
 *    lives as long as the connection.
 *  - Reply helpers: JSON bodies are one line (json-c, plain), with
 *    Content-Type application/json and Cache-Control: no-store.
 *  - Process-wide effects of hg_httpsd_new(): SIGPIPE is ignored (a peer
 *    that vanishes mid-write must not kill the server) and libevent's own
 *    log lines go to stderr through hg_err(), prefixed "libevent:".
 *  - Single-threaded: every function runs on the base's thread.
 *    hg_httpsd_free() closes every connection; free the event base after
 *    it, not before.
 */
#ifndef HG_HTTPSD_H
#define HG_HTTPSD_H

#include <stddef.h>

struct event_base;
struct evhttp_request;
struct json_object;

struct hg_httpsd_conf {
	const char *listen;          /* "HOST:PORT"; port 0 = pick a free one (hg_httpsd_port) */
	const char *cert_file, *key_file;  /* PEM server chain and key */
	const char *client_ca_file;  /* PEM: clients must present a certificate chaining here (verified, SSL_VERIFY_FAIL_IF_NO_PEER_CERT); NULL = none asked (bearer-token APIs) */
	size_t max_body;             /* larger bodies: 413 */
	size_t max_headers;          /* bytes of headers */
	unsigned timeout_s;          /* per-connection read/write timeout (slow clients) */
	unsigned max_conns;          /* concurrent connections; beyond it new ones are closed at accept */
	unsigned deadline_s;         /* one request's whole life (see above); 0 = 4 * timeout_s */
};

typedef void (*hg_httpsd_fn)(struct evhttp_request *req, void *arg);

struct hg_httpsd;

struct hg_httpsd *hg_httpsd_new(struct event_base *base,
				const struct hg_httpsd_conf *conf, char *err,
				size_t errlen);
/* Exact path; -1 when the table is full (32 routes) or PATH is taken. */
int hg_httpsd_route(struct hg_httpsd *s, const char *path, hg_httpsd_fn fn,
		    void *arg);
/* Everything no route matched (prefix routes); default 404 JSON. */
void hg_httpsd_fallback(struct hg_httpsd *s, hg_httpsd_fn fn, void *arg);
unsigned hg_httpsd_port(const struct hg_httpsd *s);
/* "HOST:PORT" as bound (the port resolved when 0 was asked). */
const char *hg_httpsd_address(const struct hg_httpsd *s);
/* Connections open now (tests, metrics). */
unsigned hg_httpsd_conns(const struct hg_httpsd *s);
const char *hg_httpsd_peer_name(struct evhttp_request *req);
void hg_httpsd_reply_json(struct evhttp_request *req, int status,
			  struct json_object *body);
void hg_httpsd_reply_error(struct evhttp_request *req, int status,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hg_httpsd_reply_bytes(struct evhttp_request *req, int status,
			   const char *content_type, const void *buf,
			   size_t len);
void hg_httpsd_free(struct hg_httpsd *s);

#endif
