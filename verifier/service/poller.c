/* poller.c: libcurl multi on a libevent loop (poller.h has the contract).
 *
 * The glue is libcurl's multi_socket protocol (libcurl-multi(3),
 * "multi_socket"): sock_cb() keeps one persistent libevent event per
 * socket libcurl names, with the directions it asks for; timer_cb()
 * keeps one libevent timer for the timeout libcurl asks for (never
 * calling libcurl from inside its own callback: a 0 ms timeout is a
 * timer that fires on the next loop turn); every wake-up goes back
 * through curl_multi_socket_action(), then finished transfers are
 * collected with curl_multi_info_read().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <event2/event.h>

#include "poller.h"

struct psock {                  /* one socket libcurl waits on */
	curl_socket_t fd;
	struct event *ev;
	struct psock *prev, *next;
};

struct preq {                   /* one request, queued or in flight */
	struct hg_poller *p;
	struct preq *prev, *next;
	char *host, *url, *method;
	void *body;
	size_t len;
	struct curl_slist *headers;
	uint64_t deadline_ms;       /* monotonic */
	hg_poll_done_fn done;
	void *arg;
	CURL *easy;
	uint8_t *resp;
	size_t resp_len, resp_cap;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
};

struct reqlist {
	struct preq *head, *tail;
	unsigned n;
};

struct hg_poller {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;        /* libcurl's timeout */
	struct event *qtimer;       /* deadlines of queued requests */
	uint64_t qtimer_at;         /* when it fires; 0: not armed */
	char *cert, *key, *ca;
	int system_trust;
	unsigned timeout_ms, max_inflight, queue_max;
	size_t max_body;
	struct reqlist queue, inflight;
	struct psock *socks;
	int closing;
	struct hg_poller_stat st;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void list_push(struct reqlist *l, struct preq *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
}

static void list_unlink(struct reqlist *l, struct preq *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	l->n--;
}

static void req_free(struct preq *r)
{
	if (!r)
		return;
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->host);
	free(r->url);
	free(r->method);
	free(r->body);
	free(r->resp);
	free(r);
}

/* Report R to its caller and free it. R is on no list any more. */
static void req_finish(struct hg_poller *p, struct preq *r, long status,
		       const char *err)
{
	p->st.requests++;
	if (err)
		p->st.errors++;
	r->done(r->arg, r->host, err ? 0 : status, err ? NULL : r->resp,
		err ? 0 : r->resp_len, err);
	req_free(r);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct preq *r = userp;
	size_t n = size * nmemb, cap;
	uint8_t *nb;

	if (n > r->p->max_body - r->resp_len) {
		r->too_big = 1;
		return 0;       /* CURLE_WRITE_ERROR: libcurl aborts */
	}
	if (r->resp_len + n > r->resp_cap) {
		cap = r->resp_cap ? r->resp_cap : 4096;
		while (cap < r->resp_len + n)
			cap *= 2;
		if (cap > r->p->max_body)
			cap = r->p->max_body;
		nb = realloc(r->resp, cap);
		if (!nb)
			return 0;
		r->resp = nb;
		r->resp_cap = cap;
	}
	memcpy(r->resp + r->resp_len, data, n);
	r->resp_len += n;
	return n;
}

#define SETOPT(opt, val) do { if (curl_easy_setopt(e, opt, val) != CURLE_OK) goto out; } while (0)

/* Make R's easy handle and add it to the multi. -1 on failure (R is
 * left for the caller to report or free). */
static int req_start(struct hg_poller *p, struct preq *r)
{
	uint64_t now = now_ms();
	long left = r->deadline_ms > now ? (long)(r->deadline_ms - now) : 1;
	CURL *e = curl_easy_init();
	int ret = -1;

	if (!e)
		return -1;
	r->easy = e;
	SETOPT(CURLOPT_PRIVATE, r);
	SETOPT(CURLOPT_URL, r->url);
	/* https only: no plain-text fallback, no redirect to elsewhere. */
	SETOPT(CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	/* The agents are reached directly: an https_proxy in the service's
	 * environment would see every host's address (and be a hop an
	 * operator did not configure). */
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->ca) {
		SETOPT(CURLOPT_CAINFO, p->ca);
		/* Only the configured CA: not also Debian's /etc/ssl/certs. */
		SETOPT(CURLOPT_CAPATH, (char *)NULL);
	}
	if (p->cert) {
		SETOPT(CURLOPT_SSLCERT, p->cert);
		SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
		SETOPT(CURLOPT_SSLKEY, p->key);
		SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
	}
	SETOPT(CURLOPT_TIMEOUT_MS, left);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, left);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_body);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, r);
	SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
	if (!strcmp(r->method, "POST")) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDS, r->body ? (char *)r->body : "");
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
	} else {
		SETOPT(CURLOPT_HTTPGET, 1L);
	}
	SETOPT(CURLOPT_HTTPHEADER, r->headers);
	if (curl_multi_add_handle(p->multi, e) != CURLM_OK)
		goto out;
	ret = 0;
out:
	if (ret) {
		curl_easy_cleanup(e);
		r->easy = NULL;
	}
	return ret;
}

static void qtimer_set(struct hg_poller *p, uint64_t when)
{
	uint64_t now = now_ms(), d = when > now ? when - now : 0;
	struct timeval tv;

	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	p->qtimer_at = when;
	evtimer_add(p->qtimer, &tv);
}

/* The queue's deadline timer at its earliest deadline (a scan: only
 * when the timer fires, not per request). */
static void qtimer_arm(struct hg_poller *p)
{
	uint64_t min = UINT64_MAX;
	struct preq *r;

	for (r = p->queue.head; r; r = r->next)
		if (r->deadline_ms < min)
			min = r->deadline_ms;
	if (min == UINT64_MAX) {
		evtimer_del(p->qtimer);
		p->qtimer_at = 0;
		return;
	}
	qtimer_set(p, min);
}

/* Fill the free in-flight slots from the queue; requests past their
 * deadline, or that libcurl refuses, end here. Runs from the loop only
 * (it may call DONE). */
static void pump(struct hg_poller *p)
{
	struct reqlist dead = { 0 };
	struct preq *r;
	uint64_t now = now_ms();

	while (!p->closing && p->inflight.n < p->max_inflight && p->queue.head) {
		r = p->queue.head;
		list_unlink(&p->queue, r);
		if (r->deadline_ms <= now) {
			snprintf(r->errbuf, sizeof(r->errbuf), "timed out in the queue");
			list_push(&dead, r);
		} else if (req_start(p, r)) {
			snprintf(r->errbuf, sizeof(r->errbuf), "cannot start the transfer");
			list_push(&dead, r);
		} else {
			list_push(&p->inflight, r);
		}
	}
	while ((r = dead.head)) {
		list_unlink(&dead, r);
		if (!strcmp(r->errbuf, "timed out in the queue"))
			p->st.timeouts++;
		req_finish(p, r, 0, r->errbuf);
	}
}

static void check_done(struct hg_poller *p)
{
	CURLMsg *msg;
	int left;
	struct preq *r;
	CURLcode rc;
	long status = 0, conns = 0;
	char why[CURL_ERROR_SIZE + 64];
	const char *err;

	while ((msg = curl_multi_info_read(p->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (!r)
			continue;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		conns = 0;
		curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &conns);
		if (conns > 0)
			p->st.connections += (uint64_t)conns;
		curl_multi_remove_handle(p->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		list_unlink(&p->inflight, r);
		err = NULL;
		if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(why, sizeof(why), "response larger than %zu bytes",
				 p->max_body);
			p->st.too_big++;
			err = why;
		} else if (rc != CURLE_OK) {
			snprintf(why, sizeof(why), "%s",
				 r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
			if (rc == CURLE_OPERATION_TIMEDOUT)
				p->st.timeouts++;
			err = why;
		}
		req_finish(p, r, status, err);
	}
	pump(p);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct hg_poller *p = arg;
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
		     ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(p->multi, fd, action, &running);
	check_done(p);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct hg_poller *p = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(p);
}

static void on_queue_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct hg_poller *p = arg;
	struct reqlist dead = { 0 };
	struct preq *r, *next;
	uint64_t now = now_ms();

	(void)fd;
	(void)what;
	for (r = p->queue.head; r; r = next) {
		next = r->next;
		if (r->deadline_ms <= now) {
			list_unlink(&p->queue, r);
			list_push(&dead, r);
		}
	}
	qtimer_arm(p);
	while ((r = dead.head)) {
		list_unlink(&dead, r);
		p->st.timeouts++;
		req_finish(p, r, 0, "timed out in the queue");
	}
}

/* CURLMOPT_SOCKETFUNCTION: watch S for what libcurl asks. */
static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct hg_poller *p = userp;
	struct psock *ps = socketp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ps) {
			if (ps->prev)
				ps->prev->next = ps->next;
			else
				p->socks = ps->next;
			if (ps->next)
				ps->next->prev = ps->prev;
			event_free(ps->ev);
			free(ps);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	       ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (!ps) {
		ps = calloc(1, sizeof(*ps));
		if (!ps)
			return -1;
		ps->fd = s;
		ps->ev = event_new(p->base, s, kind, on_socket, p);
		if (!ps->ev) {
			free(ps);
			return -1;
		}
		ps->next = p->socks;
		if (p->socks)
			p->socks->prev = ps;
		p->socks = ps;
		curl_multi_assign(p->multi, s, ps);
	} else {
		event_del(ps->ev);
		event_assign(ps->ev, p->base, s, kind, on_socket, p);
	}
	return event_add(ps->ev, NULL) ? -1 : 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 cancels; 0 means "as soon as possible",
 * which must not be a call into libcurl from here. */
static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct hg_poller *p = userp;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0)
		return evtimer_del(p->timer) ? -1 : 0;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(p->timer, &tv) ? -1 : 0;
}

static int readable(const char *what, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static char *dupnull(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct hg_poller *hg_poller_new(struct event_base *base,
				const struct hg_poller_tls *tls,
				unsigned timeout_ms, size_t max_body,
				unsigned max_inflight, char *err, size_t errlen)
{
	struct hg_poller *p = NULL, *ret = NULL;
	int global = 0;

	if (!base || !tls || !timeout_ms || !max_body || !max_inflight) {
		snprintf(err, errlen, "poller: a zero timeout, body bound or concurrency");
		goto out;
	}
	if (!tls->cert_file != !tls->key_file) {
		snprintf(err, errlen, "poller: a client certificate needs its key, and a key its certificate");
		goto out;
	}
	if (!tls->ca_file && !tls->system_trust) {
		snprintf(err, errlen, "poller: no CA file to verify servers with");
		goto out;
	}
	if ((tls->cert_file && readable("certificate", tls->cert_file, err, errlen)) ||
	    (tls->key_file && readable("key", tls->key_file, err, errlen)) ||
	    (tls->ca_file && readable("CA file", tls->ca_file, err, errlen)))
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "poller: libcurl failed to initialise");
		goto out;
	}
	global = 1;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto oom;
	p->base = base;
	p->timeout_ms = timeout_ms;
	p->max_body = max_body;
	p->max_inflight = max_inflight;
	p->queue_max = max_inflight * 16u > 1024u ? max_inflight * 16u : 1024u;
	p->system_trust = tls->system_trust;
	p->cert = dupnull(tls->cert_file);
	p->key = dupnull(tls->key_file);
	p->ca = dupnull(tls->ca_file);
	if ((tls->cert_file && !p->cert) || (tls->key_file && !p->key) ||
	    (tls->ca_file && !p->ca))
		goto oom;
	p->timer = evtimer_new(base, on_timeout, p);
	p->qtimer = evtimer_new(base, on_queue_deadline, p);
	p->multi = curl_multi_init();
	if (!p->timer || !p->qtimer || !p->multi)
		goto oom;
	if (curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, sock_cb) ||
	    curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p) ||
	    curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, timer_cb) ||
	    curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p) ||
	    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)HG_POLLER_MAX_CONNECTS)) {
		snprintf(err, errlen, "poller: libcurl refused the multi options");
		goto out;
	}
	ret = p;
	goto out;
oom:
	snprintf(err, errlen, "poller: out of memory");
out:
	if (!ret && p) {
		hg_poller_free(p);
		global = 0;     /* hg_poller_free() did curl_global_cleanup() */
	}
	if (!ret && global)
		curl_global_cleanup();
	return ret;
}

int hg_poller_request(struct hg_poller *p, const struct hg_poll_req *q,
		      hg_poll_done_fn done, void *arg)
{
	struct preq *r = NULL;
	const char *method;
	char line[512];
	struct curl_slist *h;
	const char *const *x;
	int ret = -1;

	if (!p || !q || !q->url || !done || p->closing ||
	    strncasecmp(q->url, "https://", 8))
		goto out;
	method = q->method ? q->method : (q->body ? "POST" : "GET");
	if (strcmp(method, "POST") && strcmp(method, "GET"))
		goto out;
	if (p->queue.n >= p->queue_max &&
	    !(p->inflight.n < p->max_inflight && !p->queue.head))
		goto out;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->p = p;
	r->done = done;
	r->arg = arg;
	r->host = strdup(q->host ? q->host : "");
	r->url = strdup(q->url);
	r->method = strdup(method);
	if (!r->host || !r->url || !r->method)
		goto out;
	if (q->len) {
		r->body = malloc(q->len);
		if (!r->body)
			goto out;
		memcpy(r->body, q->body, q->len);
		r->len = q->len;
	}
	/* No "Expect: 100-continue" round trip before a body. */
	if (!(r->headers = curl_slist_append(NULL, "Expect:")))
		goto out;
	if (q->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", q->content_type);
		if (!(h = curl_slist_append(r->headers, line)))
			goto out;
		r->headers = h;
	}
	for (x = q->headers; x && *x; x++) {
		if (!(h = curl_slist_append(r->headers, *x)))
			goto out;
		r->headers = h;
	}
	r->deadline_ms = now_ms() + (q->timeout_ms ? q->timeout_ms : p->timeout_ms);
	if (p->inflight.n < p->max_inflight && !p->queue.head) {
		if (req_start(p, r))
			goto out;
		list_push(&p->inflight, r);
	} else {
		list_push(&p->queue, r);
		if (!p->qtimer_at || r->deadline_ms < p->qtimer_at)
			qtimer_set(p, r->deadline_ms);
	}
	r = NULL;
	ret = 0;
out:
	if (ret && p)
		p->st.refused++;
	req_free(r);
	return ret;
}

int hg_poller_post(struct hg_poller *p, const char *host, const char *url,
		   const char *content_type, const void *body, size_t len,
		   hg_poll_done_fn done, void *arg)
{
	struct hg_poll_req q = {
		.host = host, .url = url, .method = "POST",
		.content_type = content_type, .body = body, .len = len,
	};

	return hg_poller_request(p, &q, done, arg);
}

int hg_poller_get(struct hg_poller *p, const char *host, const char *url,
		  hg_poll_done_fn done, void *arg)
{
	struct hg_poll_req q = { .host = host, .url = url, .method = "GET" };

	return hg_poller_request(p, &q, done, arg);
}

void hg_poller_set_max_connects(struct hg_poller *p, unsigned n)
{
	if (p && n)
		curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)n);
}

void hg_poller_set_queue_max(struct hg_poller *p, unsigned n)
{
	if (p)
		p->queue_max = n;
}

void hg_poller_stats(const struct hg_poller *p, struct hg_poller_stat *out)
{
	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	*out = p->st;
	out->inflight = p->inflight.n;
	out->queued = p->queue.n;
}

void hg_poller_free(struct hg_poller *p)
{
	struct preq *r;
	struct psock *ps;

	if (!p)
		return;
	p->closing = 1;
	if (p->qtimer)
		evtimer_del(p->qtimer);
	while ((r = p->queue.head)) {
		list_unlink(&p->queue, r);
		req_finish(p, r, 0, "cancelled");
	}
	while ((r = p->inflight.head)) {
		list_unlink(&p->inflight, r);
		curl_multi_remove_handle(p->multi, r->easy);
		req_finish(p, r, 0, "cancelled");
	}
	if (p->multi) {
		/* Our events go with the multi: no more callbacks into us. */
		curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, NULL);
		curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, NULL);
		curl_multi_cleanup(p->multi);
	}
	while ((ps = p->socks)) {
		p->socks = ps->next;
		event_free(ps->ev);
		free(ps);
	}
	if (p->timer)
		event_free(p->timer);
	if (p->qtimer)
		event_free(p->qtimer);
	free(p->cert);
	free(p->key);
	free(p->ca);
	free(p);
	curl_global_cleanup();
}
