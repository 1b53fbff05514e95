/* api.c: the service's REST API on lib/httpsd (docs/api.md): the routes,
 * authentication (api.h), the host endpoints, health and metrics.
 *
 *   GET  /v1/health                    any authenticated client
 *   GET  /metrics                      operator (Prometheus text)
 *   GET  /v1/hosts                     operator
 *   GET  /v1/hosts/NAME                operator: state + last verdict
 *   GET  /v1/hosts/NAME/history[?limit=N]   operator, newest first
 *   POST /v1/hosts/NAME/attest         operator: pull now (202)
 *   /v1/policies...                    operator (apipol.c)
 *   GET  /v1/nonce, POST /v1/attest    a host, for itself (push.c)
 *
 * Every answer is JSON (but /metrics and a policy's text), an error one
 * line {"error": "...", "code": "..."} with a status. Bodies, headers,
 * time and connections are bounded by lib/httpsd before a handler runs;
 * names in paths are checked against the registry's name rule before
 * any lookup, so no path reaches SQL other than as a bound parameter.
 */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 256
#define HISTORY_DEFAULT 100

/* ---- replies ---------------------------------------------------------- */

void hv_api_json(struct hv_svc *s, struct evhttp_request *req, int status,
		 json_object *body)
{
	s->m.api_requests++;
	if (status >= 400)
		s->m.api_errors++;
	hg_httpsd_reply_json(req, status, body);
}

void hv_api_error(struct hv_svc *s, struct evhttp_request *req, int status,
		  const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_object *o = json_object_new_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	if (code)
		json_object_object_add(o, "code", json_object_new_string(code));
	hv_api_json(s, req, status, o);
	json_object_put(o);
}

void hv_api_bytes(struct hv_svc *s, struct evhttp_request *req, int status,
		  const char *type, const void *buf, size_t len)
{
	s->m.api_requests++;
	if (status >= 400)
		s->m.api_errors++;
	hg_httpsd_reply_bytes(req, status, type, buf, len);
}

int hv_api_body(struct hv_svc *s, struct evhttp_request *req,
		int require_text, char **out, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = in ? evbuffer_get_length(in) : 0;
	char *p;

	*out = NULL;
	*len = 0;
	if (n == 0) {
		hv_api_error(s, req, 400, "empty-body", "the request has no body");
		return -1;
	}
	/* lib/httpsd refused anything beyond max_body already (413). */
	if (!(p = malloc(n + 1)) || evbuffer_remove(in, p, n) != (int)n) {
		free(p);
		hv_api_error(s, req, 500, "internal", "out of memory");
		return -1;
	}
	p[n] = '\0';
	if (require_text && memchr(p, '\0', n)) {
		free(p);
		hv_api_error(s, req, 400, "bad-body", "the body holds a NUL byte");
		return -1;
	}
	*out = p;
	*len = n;
	return 0;
}

char *hv_api_query(struct evhttp_request *req, const char *key)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	const char *v;
	char *ret = NULL;

	if (!q || evhttp_parse_query_str(q, &kv) < 0)
		return NULL;
	if ((v = evhttp_find_header(&kv, key)))
		ret = strdup(v);
	evhttp_clear_headers(&kv);
	return ret;
}

void hv_api_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%s", t ? "?" : "");
}

/* ---- authentication --------------------------------------------------- */

static int token_sha(const char *tok, size_t n, uint8_t out[32])
{
	unsigned len = 0;

	return EVP_Digest(tok, n, out, &len, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int token_ok(const char *t, size_t n)
{
	if (n < TOKEN_MIN || n > TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 0;
	return 1;
}

/* "operator TOKEN" or "host NAME TOKEN" per line; '#' comments. The
 * file holds secrets: refused when group or others may read it. */
int hv_api_load_tokens(struct hv_svc *s, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	char *save = NULL, *line;
	unsigned lineno = 0;
	int ret = -1;

	if (hg_read_file(path, 1 << 20, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "larger than 1 MiB" :
		       hg_strerror_read(errno));
		goto out;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077)) {
		hg_err("%s: readable by group or others (mode %04o): chmod 600 it",
		       path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		hg_err("%s: holds a NUL byte", path);
		goto out;
	}
	buf = realloc(buf, len + 1);
	buf[len] = '\0';
	for (line = strtok_r((char *)buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w[4] = { 0 }, *ws = NULL;
		int nw = 0;
		struct hv_token *t;

		lineno++;
		for (char *x = strtok_r(line, " \t\r", &ws); x && nw < 4;
		     x = strtok_r(NULL, " \t\r", &ws))
			w[nw++] = x;
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (s->ntokens == HV_SVC_MAX_TOKENS) {
			hg_err("%s:%u: more than %d tokens", path, lineno,
			       HV_SVC_MAX_TOKENS);
			goto out;
		}
		t = &s->tokens[s->ntokens];
		if (nw == 2 && !strcmp(w[0], "operator") &&
		    token_ok(w[1], strlen(w[1]))) {
			t->role = HV_ROLE_OPERATOR;
			token_sha(w[1], strlen(w[1]), t->sha256);
		} else if (nw == 3 && !strcmp(w[0], "host") && hv_host_name_ok(w[1]) &&
			   token_ok(w[2], strlen(w[2]))) {
			t->role = HV_ROLE_HOST;
			snprintf(t->host, sizeof(t->host), "%s", w[1]);
			token_sha(w[2], strlen(w[2]), t->sha256);
		} else {
			hg_err("%s:%u: not \"operator TOKEN\" or \"host NAME TOKEN\""
			       " (a token is %d..%d printable characters)", path,
			       lineno, TOKEN_MIN, TOKEN_MAX);
			goto out;
		}
		s->ntokens++;
	}
	if (!s->ntokens) {
		hg_err("%s: no token", path);
		goto out;
	}
	ret = 0;
out:
	if (buf)
		OPENSSL_cleanse(buf, len);
	free(buf);
	return ret;
}

static int refuse(struct hv_svc *s, struct evhttp_request *req, int status,
		  const char *code, const char *why)
{
	s->m.auth_refused++;
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "WWW-Authenticate", "Bearer");
	hv_api_error(s, req, status, code, "%s", why);
	return -1;
}

int hv_api_auth(struct hv_svc *s, struct evhttp_request *req,
		struct hv_principal *p)
{
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
					      "Authorization");
	const char *cn;
	uint8_t sum[32];
	int match = -1, r;

	memset(p, 0, sizeof(*p));
	if (auth) {
		size_t n;

		if (strncasecmp(auth, "Bearer ", 7))
			return refuse(s, req, 401, "bad-token",
				      "Authorization is not \"Bearer TOKEN\"");
		auth += 7;
		n = strlen(auth);
		if (!token_ok(auth, n) || token_sha(auth, n, sum) < 0)
			return refuse(s, req, 401, "bad-token", "wrong bearer token");
		/* Every token compared, none skipped: constant in which. */
		for (size_t i = 0; i < s->ntokens; i++)
			if (!CRYPTO_memcmp(sum, s->tokens[i].sha256, 32) && match < 0)
				match = (int)i;
		if (match < 0)
			return refuse(s, req, 401, "bad-token", "wrong bearer token");
		p->role = s->tokens[match].role;
		snprintf(p->host, sizeof(p->host), "%s", s->tokens[match].host);
		return 0;
	}
	cn = hg_httpsd_peer_name(req);
	if (!cn)
		return refuse(s, req, 401, "unauthenticated",
			      "authentication required: a client certificate or a bearer token");
	for (size_t i = 0; i < s->cfg.noperators; i++)
		if (!strcmp(cn, s->cfg.operators[i])) {
			p->role = HV_ROLE_OPERATOR;
			return 0;
		}
	if (hv_host_name_ok(cn)) {
		struct hv_host h = { 0 };

		r = hv_reg_host_get(s->reg, cn, &h);
		hv_host_free(&h);
		if (r < 0) {
			hv_api_error(s, req, 500, "internal", "registry error");
			return -1;
		}
		if (r == 1) {
			p->role = HV_ROLE_HOST;
			snprintf(p->host, sizeof(p->host), "%s", cn);
			return 0;
		}
	}
	return refuse(s, req, 403, "forbidden",
		      "the client certificate names neither an operator nor an enrolled host");
}

int hv_api_need(struct hv_svc *s, struct evhttp_request *req,
		enum hv_role role, struct hv_principal *p)
{
	if (hv_api_auth(s, req, p) < 0)
		return -1;
	if (p->role != role)
		return refuse(s, req, 403, "forbidden", role == HV_ROLE_HOST ?
			      "only an enrolled host may do this, for itself" :
			      "only an operator may do this");
	return 0;
}

static int method_is(struct hv_svc *s, struct evhttp_request *req,
		     enum evhttp_cmd_type want, const char *name)
{
	if (evhttp_request_get_command(req) == want)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", name);
	hv_api_error(s, req, 405, "method", "method not allowed (%s only)", name);
	return 0;
}

/* ---- health and metrics ----------------------------------------------- */

static void on_health(struct evhttp_request *req, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_principal p;
	json_object *o;

	if (hv_api_auth(s, req, &p) < 0 || !method_is(s, req, EVHTTP_REQ_GET, "GET"))
		return;
	/* Answered from what the heartbeat last learnt: no registry read,
	 * so it answers while the registry is away, and says so (503: a
	 * load balancer sends the API's clients elsewhere). */
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(
		s->db_down ? "degraded" : "ok"));
	json_object_object_add(o, "uptime_s",
			       json_object_new_int64((int64_t)time(NULL) - s->started));
	json_object_object_add(o, "pulls_inflight",
			       json_object_new_int64(hv_sched_inflight(s)));
	json_object_object_add(o, "instance", json_object_new_string(s->instance));
	json_object_object_add(o, "instances_live",
			       json_object_new_int64((int64_t)hv_fleet_live(s)));
	json_object_object_add(o, "database", json_object_new_string(
		s->db_down ? "unavailable" : "ok"));
	if (s->db_down) {
		char t[32];

		hv_api_time(s->db_down_since, t, sizeof(t));
		json_object_object_add(o, "database_error",
				       json_object_new_string(s->db_why));
		json_object_object_add(o, "database_down_since",
				       json_object_new_string(t));
	}
	json_object_object_add(o, "stale_after_s",
			       json_object_new_int64(s->cfg.stale_after));
	hv_api_json(s, req, s->db_down ? 503 : 200, o);
	json_object_put(o);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_principal p;
	size_t len = 0;
	char *text;

	if (hv_api_need(s, req, HV_ROLE_OPERATOR, &p) < 0 ||
	    !method_is(s, req, EVHTTP_REQ_GET, "GET"))
		return;
	/* Counted before it is written, so the scrape counts itself. */
	s->m.api_requests++;
	if (!(text = hv_metrics_text(s, &len))) {
		hv_api_error(s, req, 500, "internal", "metrics unavailable");
		return;
	}
	hg_httpsd_reply_bytes(req, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}

/* ---- hosts ------------------------------------------------------------ */

/* The registry could not be read or written: 503, the reason. */
void hv_api_unavailable(struct hv_svc *s, struct evhttp_request *req,
			const char *what)
{
	hv_svc_db_failed(s, what);
	hv_api_error(s, req, 503, "registry-unavailable",
		     "the registry is unavailable (%s); try again", what);
}

/* A state whose last verdict is older than --stale-after reads unknown
 * (svc.h): what was recorded then is shown beside, never as the state. */
static json_object *status_json(struct hv_svc *s,
				const struct hv_host_status *st, int64_t now)
{
	json_object *o = json_object_new_object();
	int stale = hv_svc_stale(s, st, now);
	char t[32];

	json_object_object_add(o, "host", json_object_new_string(st->name));
	json_object_object_add(o, "state", json_object_new_string(
		hv_state_name(stale ? HV_STATE_UNKNOWN : st->state)));
	if (stale) {
		char why[128];

		snprintf(why, sizeof(why), "stale: no verdict recorded for %lld s"
			 " (--stale-after %u)", (long long)(now - st->checked_at),
			 s->cfg.stale_after);
		json_object_object_add(o, "stale", json_object_new_boolean(1));
		json_object_object_add(o, "reason", json_object_new_string(why));
		json_object_object_add(o, "recorded_state", json_object_new_string(
			hv_state_name(st->state)));
	}
	hv_api_time(st->since, t, sizeof(t));
	json_object_object_add(o, "since", json_object_new_string(t));
	hv_api_time(st->checked_at, t, sizeof(t));
	json_object_object_add(o, "checked_at",
			       st->checked_at ? json_object_new_string(t) : NULL);
	json_object_object_add(o, "failures", json_object_new_int64(st->failures));
	json_object_object_add(o, "agent_url", st->agent_url ?
			       json_object_new_string(st->agent_url) : NULL);
	json_object_object_add(o, "group", st->group ?
			       json_object_new_string(st->group) : NULL);
	json_object_object_add(o, "policy", st->policy ?
			       json_object_new_string(st->policy) : NULL);
	json_object_object_add(o, "judged_policy", st->judged_policy ?
			       json_object_new_string(st->judged_policy) : NULL);
	return o;
}

struct list_ctx {
	struct hv_svc *s;
	json_object *a;
	int64_t now;
};

static int list_one(const struct hv_host_status *st, void *arg)
{
	struct list_ctx *c = arg;

	json_object_array_add(c->a, status_json(c->s, st, c->now));
	return 0;
}

static void on_hosts(struct evhttp_request *req, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_principal p;
	json_object *a;
	int r;

	if (hv_api_need(s, req, HV_ROLE_OPERATOR, &p) < 0 ||
	    !method_is(s, req, EVHTTP_REQ_GET, "GET"))
		return;
	a = json_object_new_array();
	{
		struct list_ctx c = { s, a, (int64_t)time(NULL) };

		r = hv_reg_statuses(s->reg, list_one, &c);
	}
	if (r < 0)
		hv_api_unavailable(s, req, "listing the hosts");
	else
		hv_api_json(s, req, 200, a);
	json_object_put(a);
}

static void host_get(struct hv_svc *s, struct evhttp_request *req,
		     const char *name)
{
	struct hv_host_status st = { 0 };
	json_object *o, *v;
	int r;

	if (!method_is(s, req, EVHTTP_REQ_GET, "GET"))
		return;
	if ((r = hv_reg_status_get(s->reg, name, 0, &st)) <= 0) {
		if (r < 0)
			hv_api_unavailable(s, req, "reading the host");
		else
			hv_api_error(s, req, 404, "no-host", "no such host: %s", name);
		return;
	}
	o = status_json(s, &st, (int64_t)time(NULL));
	v = st.verdict ? json_tokener_parse(st.verdict) : NULL;
	json_object_object_add(o, "verdict", v);
	hv_api_json(s, req, 200, o);
	json_object_put(o);
	hv_host_status_free(&st);
}

static int hist_one(void *arg, int64_t at, enum hv_state state,
		    const char *verdict)
{
	json_object *o = json_object_new_object();
	char t[32];

	hv_api_time(at, t, sizeof(t));
	json_object_object_add(o, "at", json_object_new_string(t));
	json_object_object_add(o, "state", json_object_new_string(hv_state_name(state)));
	json_object_object_add(o, "verdict", verdict ? json_tokener_parse(verdict) : NULL);
	json_object_array_add(arg, o);
	return 0;
}

static void host_history(struct hv_svc *s, struct evhttp_request *req,
			 const char *name)
{
	struct hv_host_status st = { 0 };
	unsigned long limit = HISTORY_DEFAULT;
	char *q = hv_api_query(req, "limit");
	json_object *o = NULL, *a;
	int r;

	if (!method_is(s, req, EVHTTP_REQ_GET, "GET"))
		goto out;
	if (q && (hg_parse_uint(q, HV_HISTORY_MAX, &limit) < 0 || !limit)) {
		hv_api_error(s, req, 400, "bad-limit", "limit: not 1..%d",
			     HV_HISTORY_MAX);
		goto out;
	}
	if ((r = hv_reg_status_get(s->reg, name, 0, &st)) <= 0) {
		if (r < 0)
			hv_api_unavailable(s, req, "reading the host");
		else
			hv_api_error(s, req, 404, "no-host", "no such host: %s", name);
		goto out;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	json_object_object_add(o, "host", json_object_new_string(name));
	json_object_object_add(o, "history", a);
	if (hv_reg_history(s->reg, name, (unsigned)limit, hist_one, a) < 0)
		hv_api_unavailable(s, req, "reading the history");
	else
		hv_api_json(s, req, 200, o);
out:
	json_object_put(o);
	hv_host_status_free(&st);
	free(q);
}

static void host_attest(struct hv_svc *s, struct evhttp_request *req,
			const char *name)
{
	json_object *o;
	int r;

	if (!method_is(s, req, EVHTTP_REQ_POST, "POST"))
		return;
	if (!s->poller) {
		hv_api_error(s, req, 409, "no-pull", "this service pulls from no agent"
			     " (start it with --agent-ca)");
		return;
	}
	r = hv_sched_now(s, name);
	if (r < 0 && s->db_down) {
		hv_api_unavailable(s, req, "claiming the host's lease");
		return;
	}
	if (r < 0) {
		hv_api_error(s, req, 503, "busy", "cannot start the attestation now");
		return;
	}
	if (r == HV_HOST_UNKNOWN) {
		hv_api_error(s, req, 404, "no-agent",
			     "no such host, or it has no agent URL: %s", name);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "host", json_object_new_string(name));
	json_object_object_add(o, "status", json_object_new_string(
		r == 1 ? "in-flight" : "started"));
	hv_api_json(s, req, 202, o);
	json_object_put(o);
}

/* Everything under a prefix: /v1/hosts/NAME[/history|/attest] and
 * /v1/policies/NAME[/assign]. */
static void on_fallback(struct evhttp_request *req, void *arg)
{
	struct hv_svc *s = arg;
	struct hv_principal p;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char name[HV_HOST_NAME_MAX + 1];
	const char *rest, *slash;
	size_t n;

	if (!path) {
		hv_api_error(s, req, 404, "no-resource", "no such resource");
		return;
	}
	if (!strncmp(path, "/v1/policies/", 13)) {
		if (hv_api_need(s, req, HV_ROLE_OPERATOR, &p) < 0)
			return;
		hv_api_policy(s, req, path + 13);
		return;
	}
	if (strncmp(path, "/v1/hosts/", 10)) {
		hv_api_error(s, req, 404, "no-resource", "no such resource");
		return;
	}
	if (hv_api_need(s, req, HV_ROLE_OPERATOR, &p) < 0)
		return;
	rest = path + 10;
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n == 0 || n > HV_HOST_NAME_MAX) {
		hv_api_error(s, req, 404, "no-host", "not a host name");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!hv_host_name_ok(name)) {
		hv_api_error(s, req, 404, "no-host", "not a host name");
		return;
	}
	if (!slash)
		host_get(s, req, name);
	else if (!strcmp(slash, "/history"))
		host_history(s, req, name);
	else if (!strcmp(slash, "/attest"))
		host_attest(s, req, name);
	else
		hv_api_error(s, req, 404, "no-resource", "no such resource");
}

/* ---- start and stop --------------------------------------------------- */

int hv_api_start(struct hv_svc *s, char *err, size_t errlen)
{
	struct hg_httpsd_conf c = {
		.listen = s->cfg.listen,
		.cert_file = s->cfg.cert,
		.key_file = s->cfg.key,
		.client_ca_file = s->cfg.client_ca,
		.max_body = HV_SVC_MAX_BODY,
		.max_headers = 16384,
		.timeout_s = 10,
		.max_conns = s->cfg.max_conns,
	};

	s->httpd = hg_httpsd_new(s->base, &c, err, errlen);
	if (!s->httpd)
		return -1;
	if (hg_httpsd_route(s->httpd, "/v1/health", on_health, s) < 0 ||
	    hg_httpsd_route(s->httpd, "/metrics", on_metrics, s) < 0 ||
	    hg_httpsd_route(s->httpd, "/v1/hosts", on_hosts, s) < 0 ||
	    hg_httpsd_route(s->httpd, "/v1/nonce", hv_push_nonce, s) < 0 ||
	    hg_httpsd_route(s->httpd, "/v1/attest", hv_push_attest, s) < 0 ||
	    hg_httpsd_route(s->httpd, "/v1/policies", hv_api_policies, s) < 0) {
		snprintf(err, errlen, "cannot add the API's routes");
		return -1;
	}
	hg_httpsd_fallback(s->httpd, on_fallback, s);
	return 0;
}

void hv_api_stop(struct hv_svc *s)
{
	hg_httpsd_free(s->httpd);
	s->httpd = NULL;
}
