/* httpsd.c: the HTTPS server of the agent and the verifier service.
 * Contract in httpsd.h.
 *
 * How each bound is held with libevent 2.1's evhttp (Debian 12):
 *  - every connection is made by conn_bev() (evhttp_set_bevcb): a TLS
 *    bufferevent whose SSL carries a struct conn in its ex_data; the
 *    ex_data free callback runs when libevent frees the SSL, so counting
 *    connections needs no hook evhttp does not have;
 *  - over max_conns, conn_bev() returns a bufferevent that cannot take a
 *    socket (one end of a pair): evhttp's bufferevent_setfd() fails and
 *    evhttp closes the accepted socket at once (http.c,
 *    evhttp_get_request(); its warning is silenced in log_cb). The pair is
 *    made with BEV_OPT_CLOSE_ON_FREE so that evhttp_connection_free()
 *    leaves the socket to that one close;
 *  - the deadline is a timer per connection; it fires a timeout event into
 *    evhttp's own event callback, which drops the connection as it drops
 *    an idle one;
 *  - dispatch() serves only requests that came over one of those TLS
 *    connections: should a bufferevent ever fail to be made, evhttp falls
 *    back to a plain socket, and such a request is refused, never
 *    routed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "httpsd.h"
#include "util.h"

#define MAX_ROUTES 32
#define LISTEN_BACKLOG 128
/* RFC 5280 ub-common-name is 64 characters; UTF-8 may take 4 bytes each. */
#define CN_MAX 256

struct route {
	char *path;
	hg_httpsd_fn fn;
	void *arg;
};

struct conn {
	struct hg_httpsd *s; /* NULL once the server is freed */
	struct bufferevent *bev;
	struct event *deadline;
	struct conn *prev, *next;
	int cn_done;
	char cn[CN_MAX];
};

struct hg_httpsd {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ctx;
	int verify_clients;
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	hg_httpsd_fn fallback;
	void *fallback_arg;
	unsigned max_conns, nconns;
	struct timeval deadline;
	struct conn *conns;
	unsigned port;
	char addr[INET6_ADDRSTRLEN + 16];
};

static int conn_idx = -1;
static pthread_once_t conn_idx_once = PTHREAD_ONCE_INIT;

/* The SSL is being freed (its connection is over): unlink and free its
 * conn. Runs from libevent's finalizer, possibly after hg_httpsd_free()
 * (then c->s is NULL and the timer is already gone). */
static void conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
			 long argl, void *argp)
{
	struct conn *c = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (c == NULL)
		return;
	if (c->s != NULL) {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			c->s->conns = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		c->s->nconns--;
	}
	if (c->deadline != NULL)
		event_free(c->deadline);
	free(c);
}

static void conn_idx_init(void)
{
	conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free_cb);
}

/* libevent's messages: through hg_err(), except the warning evhttp
 * prints for each connection refused over max_conns (our doing). */
static void log_cb(int severity, const char *msg)
{
	if (severity < EVENT_LOG_WARN)
		return;
	if (strstr(msg, "cannot get connection") != NULL)
		return;
	hg_err("libevent: %s", msg);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	bufferevent_event_cb eventcb = NULL;

	(void)fd;
	(void)what;
	/* bufferevent_free() clears the callbacks: a connection evhttp has
	 * already let go of must not be touched (its reference count is 0). */
	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
	if (eventcb == NULL)
		return;
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT,
				  0);
}

/* A bufferevent evhttp cannot give a socket to: the refusal. */
static struct bufferevent *refuse_bev(struct event_base *base)
{
	struct bufferevent *pair[2];

	if (bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair) != 0)
		return NULL;
	bufferevent_free(pair[1]);
	return pair[0];
}

static struct bufferevent *conn_bev(struct event_base *base, void *arg)
{
	struct hg_httpsd *s = arg;
	struct bufferevent *bev;
	struct conn *c;
	SSL *ssl;

	if (s->nconns >= s->max_conns)
		return refuse_bev(base);
	ssl = SSL_new(s->ctx);
	if (ssl == NULL)
		return refuse_bev(base);
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		SSL_free(ssl);
		return refuse_bev(base);
	}
	if (SSL_set_ex_data(ssl, conn_idx, c) != 1) {
		free(c);
		SSL_free(ssl);
		return refuse_bev(base);
	}
	/* From here SSL_free() frees c. */
	c->deadline = evtimer_new(base, deadline_cb, c);
	bev = c->deadline == NULL ? NULL
		: bufferevent_openssl_socket_new(base, -1, ssl,
						 BUFFEREVENT_SSL_ACCEPTING,
						 BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return refuse_bev(base);
	}
	/* A client that closes without close_notify is an ordinary EOF. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	c->bev = bev;
	c->s = s;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	evtimer_add(c->deadline, &s->deadline);
	return bev;
}

static struct conn *req_conn(struct evhttp_request *req)
{
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	SSL *ssl;

	if (req == NULL || (evcon = evhttp_request_get_connection(req)) == NULL)
		return NULL;
	if ((bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return NULL;
	if ((ssl = bufferevent_openssl_get_ssl(bev)) == NULL)
		return NULL;
	return SSL_get_ex_data(ssl, conn_idx);
}

static void dispatch(struct evhttp_request *req, void *arg)
{
	struct hg_httpsd *s = arg;
	const struct evhttp_uri *uri;
	const char *path;
	struct conn *c;
	size_t i;

	c = req_conn(req);
	if (c == NULL || c->s != s) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Connection", "close");
		hg_httpsd_reply_error(req, 503, "not a TLS connection");
		return;
	}
	/* The deadline now covers this request's handling and the next one. */
	evtimer_add(c->deadline, &s->deadline);
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL)
		path = "";
	for (i = 0; i < s->nroutes; i++) {
		if (strcmp(s->routes[i].path, path) == 0) {
			s->routes[i].fn(req, s->routes[i].arg);
			return;
		}
	}
	if (s->fallback != NULL) {
		s->fallback(req, s->fallback_arg);
		return;
	}
	hg_httpsd_reply_error(req, 404, "no such resource");
}

/* The "why" of the last OpenSSL error, for a one-line message. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "unreadable";
}

static SSL_CTX *make_ctx(const struct hg_httpsd_conf *conf, char *err,
			 size_t errlen)
{
	SSL_CTX *ctx;
	STACK_OF(X509_NAME) *names;
	int ok = 0;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "TLS: %s", ssl_reason());
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		snprintf(err, errlen, "TLS: cannot require TLS 1.2: %s",
			 ssl_reason());
		goto out;
	}
	/* Client-initiated renegotiation is a CPU lever for a client; no
	 * resumption: a session outliving its certificate's check would
	 * skip the next one. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->cert_file) != 1) {
		snprintf(err, errlen, "%s: cannot load the certificate chain: %s",
			 conf->cert_file, ssl_reason());
		goto out;
	}
	/* OpenSSL checks the key against the certificate as it loads it
	 * (X509_R_KEY_VALUES_MISMATCH); SSL_CTX_check_private_key() again
	 * for a key it could not compare. */
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->key_file, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			snprintf(err, errlen, "%s: the key does not match the certificate %s",
				 conf->key_file, conf->cert_file);
		else
			snprintf(err, errlen, "%s: cannot load the private key: %s",
				 conf->key_file, ssl_reason());
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: the key does not match the certificate %s",
			 conf->key_file, conf->cert_file);
		goto out;
	}
	if (conf->client_ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, conf->client_ca_file, NULL) != 1) {
			snprintf(err, errlen, "%s: cannot load the client CA: %s",
				 conf->client_ca_file, ssl_reason());
			goto out;
		}
		names = SSL_load_client_CA_file(conf->client_ca_file);
		if (names == NULL) {
			snprintf(err, errlen, "%s: no CA certificate in it",
				 conf->client_ca_file);
			goto out;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   NULL);
		/* The leaf must be fit for TLS client authentication: an
		 * extendedKeyUsage without clientAuth (a server certificate
		 * from the same CA) is refused. */
		if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
			snprintf(err, errlen, "TLS: cannot set the client purpose: %s",
				 ssl_reason());
			goto out;
		}
		SSL_CTX_set_verify_depth(ctx, 4);
	}
	ok = 1;
out:
	if (!ok) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* "HOST:PORT" with a numeric HOST ("[v6]:PORT"), the port required;
 * port 0 asks the kernel for a free one. (evutil_parse_sockaddr_port()
 * refuses port 0: it parses the host alone, the port is ours.) */
static int parse_listen(const char *listen, struct sockaddr_storage *ss,
			int *sslen)
{
	const char *colon;
	char host[INET6_ADDRSTRLEN + 2];
	unsigned long port;
	size_t hlen;

	if (listen == NULL || listen[0] == '\0')
		return -1;
	if (listen[0] == '[')
		colon = (colon = strstr(listen, "]:")) != NULL ? colon + 1 : NULL;
	else
		colon = strchr(listen, ':') == strrchr(listen, ':') ?
			strchr(listen, ':') : NULL;
	if (colon == NULL || hg_parse_uint(colon + 1, 65535, &port) != 0)
		return -1;
	hlen = (size_t)(colon - listen);
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	*sslen = (int)sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	if (evutil_parse_sockaddr_port(host, (struct sockaddr *)ss, sslen) != 0)
		return -1;
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		return -1;
	return 0;
}

static int bound_address(struct hg_httpsd *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	evutil_socket_t fd = evhttp_bound_socket_get_fd(s->bound);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		s->port = ntohs(a->sin6_port);
		snprintf(s->addr, sizeof(s->addr), "[%s]:%u", host, s->port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		s->port = ntohs(a->sin_port);
		snprintf(s->addr, sizeof(s->addr), "%s:%u", host, s->port);
	}
	return 0;
}

struct hg_httpsd *hg_httpsd_new(struct event_base *base,
				const struct hg_httpsd_conf *conf, char *err,
				size_t errlen)
{
	struct hg_httpsd *s = NULL;
	struct evconnlistener *lev;
	struct sockaddr_storage ss;
	int sslen, ok = 0;
	unsigned deadline;

	pthread_once(&conn_idx_once, conn_idx_init);
	if (conn_idx < 0) {
		snprintf(err, errlen, "TLS: no ex_data index");
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(log_cb);
	if (conf->cert_file == NULL || conf->key_file == NULL) {
		snprintf(err, errlen, "a server certificate and key are required");
		return NULL;
	}
	if (conf->max_body == 0 || conf->max_headers == 0 || conf->timeout_s == 0 ||
	    conf->max_conns == 0) {
		snprintf(err, errlen, "max-body, max-headers, timeout and max-conns must be above 0");
		return NULL;
	}
	if (parse_listen(conf->listen, &ss, &sslen) != 0) {
		snprintf(err, errlen, "%s: not a HOST:PORT with a numeric host",
			 conf->listen != NULL ? conf->listen : "(none)");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->max_conns = conf->max_conns;
	s->verify_clients = conf->client_ca_file != NULL;
	deadline = conf->deadline_s != 0 ? conf->deadline_s
		: (conf->timeout_s > 0x3fffffffu ? 0xffffffffu : conf->timeout_s * 4);
	s->deadline.tv_sec = deadline;
	s->ctx = make_ctx(conf, err, errlen);
	if (s->ctx == NULL)
		goto out;
	s->http = evhttp_new(base);
	if (s->http == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		goto out;
	}
	evhttp_set_bevcb(s->http, conn_bev, s);
	evhttp_set_gencb(s->http, dispatch, s);
	evhttp_set_max_body_size(s->http, (ev_ssize_t)conf->max_body);
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)conf->max_headers);
	evhttp_set_timeout(s->http, (int)conf->timeout_s);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
					    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
					    EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
					    EVHTTP_REQ_OPTIONS);
	lev = evconnlistener_new_bind(base, NULL, NULL,
				      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
				      LEV_OPT_CLOSE_ON_EXEC,
				      LISTEN_BACKLOG, (struct sockaddr *)&ss, sslen);
	if (lev == NULL) {
		snprintf(err, errlen, "%s: cannot listen: %s", conf->listen,
			 strerror(errno));
		goto out;
	}
	/* No Nagle: a response leaves as TLS records written one after the
	 * other, and Nagle holds the second until the client acknowledges
	 * the first, which a client delays (40 ms on Linux): the agent's
	 * evidence answer took 40 ms more than its making (make
	 * bench-service). Accepted sockets inherit it from the listener. */
	if (setsockopt(evconnlistener_get_fd(lev), IPPROTO_TCP, TCP_NODELAY,
		       &(int){ 1 }, sizeof(int)) != 0) {
		evconnlistener_free(lev);
		snprintf(err, errlen, "%s: TCP_NODELAY: %s", conf->listen,
			 strerror(errno));
		goto out;
	}
	s->bound = evhttp_bind_listener(s->http, lev);
	if (s->bound == NULL) {
		evconnlistener_free(lev);
		snprintf(err, errlen, "%s: cannot listen", conf->listen);
		goto out;
	}
	if (bound_address(s) != 0) {
		snprintf(err, errlen, "%s: getsockname: %s", conf->listen,
			 strerror(errno));
		goto out;
	}
	ok = 1;
out:
	if (!ok) {
		hg_httpsd_free(s);
		s = NULL;
	}
	return s;
}

int hg_httpsd_route(struct hg_httpsd *s, const char *path, hg_httpsd_fn fn,
		    void *arg)
{
	size_t i;
	char *p;

	if (s->nroutes == MAX_ROUTES || path == NULL || fn == NULL)
		return -1;
	for (i = 0; i < s->nroutes; i++)
		if (strcmp(s->routes[i].path, path) == 0)
			return -1;
	p = strdup(path);
	if (p == NULL)
		return -1;
	s->routes[s->nroutes].path = p;
	s->routes[s->nroutes].fn = fn;
	s->routes[s->nroutes].arg = arg;
	s->nroutes++;
	return 0;
}

void hg_httpsd_fallback(struct hg_httpsd *s, hg_httpsd_fn fn, void *arg)
{
	s->fallback = fn;
	s->fallback_arg = arg;
}

unsigned hg_httpsd_port(const struct hg_httpsd *s)
{
	return s->port;
}

const char *hg_httpsd_address(const struct hg_httpsd *s)
{
	return s->addr;
}

unsigned hg_httpsd_conns(const struct hg_httpsd *s)
{
	return s->nconns;
}

const char *hg_httpsd_peer_name(struct evhttp_request *req)
{
	struct conn *c = req_conn(req);
	SSL *ssl;
	X509 *x;
	X509_NAME *name;
	ASN1_STRING *as;
	unsigned char *utf8 = NULL;
	int i, n;

	if (c == NULL || c->s == NULL || !c->s->verify_clients)
		return NULL;
	if (c->cn_done)
		return c->cn[0] != '\0' ? c->cn : NULL;
	c->cn_done = 1;
	c->cn[0] = '\0';
	ssl = bufferevent_openssl_get_ssl(c->bev);
	if (ssl == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		return NULL;
	x = SSL_get0_peer_certificate(ssl);
	if (x == NULL || (name = X509_get_subject_name(x)) == NULL)
		return NULL;
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0)
		return NULL;
	as = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	n = as != NULL ? ASN1_STRING_to_UTF8(&utf8, as) : -1;
	/* Exactly the bytes of the CN, no NUL inside, none cut off. */
	if (n > 0 && n < CN_MAX && memchr(utf8, '\0', (size_t)n) == NULL) {
		memcpy(c->cn, utf8, (size_t)n);
		c->cn[n] = '\0';
	}
	OPENSSL_free(utf8);
	return c->cn[0] != '\0' ? c->cn : NULL;
}

void hg_httpsd_reply_bytes(struct evhttp_request *req, int status,
			   const char *content_type, const void *buf, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	evhttp_remove_header(h, "Content-Type");
	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (len > 0 && evbuffer_add(b, buf, len) != 0) {
		evbuffer_drain(b, evbuffer_get_length(b));
		status = 500;
		evhttp_add_header(h, "Connection", "close");
	}
	evhttp_send_reply(req, status, NULL, NULL);
}

void hg_httpsd_reply_json(struct evhttp_request *req, int status,
			  struct json_object *body)
{
	const char *txt = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	char nl = '\n';
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	if (txt == NULL)
		txt = "{\"error\":\"out of memory\"}";
	/* One line: the JSON and its newline in one buffer. */
	evbuffer_add(b, txt, strlen(txt));
	hg_httpsd_reply_bytes(req, status, "application/json", &nl, 1);
}

void hg_httpsd_reply_error(struct evhttp_request *req, int status,
			   const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct json_object *o;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_object_new_object();
	if (o != NULL)
		json_object_object_add(o, "error", json_object_new_string(msg));
	if (o == NULL) {
		static const char oom[] = "{\"error\":\"out of memory\"}\n";

		hg_httpsd_reply_bytes(req, status, "application/json", oom,
				      sizeof(oom) - 1);
		return;
	}
	hg_httpsd_reply_json(req, status, o);
	json_object_put(o);
}

void hg_httpsd_free(struct hg_httpsd *s)
{
	struct conn *c, *next;
	size_t i;

	if (s == NULL)
		return;
	/* Frees the listener and every connection; their SSLs may be freed
	 * later, by libevent's finalizers: detach what is left first. */
	if (s->http != NULL)
		evhttp_free(s->http);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->deadline != NULL)
			event_free(c->deadline);
		c->deadline = NULL;
		c->s = NULL;
		c->prev = c->next = NULL;
	}
	SSL_CTX_free(s->ctx);
	for (i = 0; i < s->nroutes; i++)
		free(s->routes[i].path);
	free(s);
}
