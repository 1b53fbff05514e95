/* webhook.c: signed, retried, bounded webhook delivery (webhook.h has
 * the contract). Each event is in one of three states: READY (in the
 * ready FIFO, waiting for an in-flight slot), WAITING (its back-off
 * timer armed) or INFLIGHT (a poller request outstanding); every held
 * event is also on the arrival-ordered ALL list, which the queue-full
 * rule and hg_webhooks_free() walk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "../../lib/util.h"
#include "webhook.h"

/* A receiver's answer is a status; its body is not read beyond this. */
#define WH_MAX_RESPONSE 65536

enum wh_state { WH_READY, WH_WAITING, WH_INFLIGHT };

struct wh_event {
	struct hg_webhooks *w;
	uint64_t id;
	char *body;
	size_t len;
	unsigned attempts;
	enum wh_state state;
	struct event *timer;
	struct wh_event *prev, *next;        /* ALL */
	struct wh_event *rprev, *rnext;      /* ready FIFO */
};

struct hg_webhooks {
	struct event_base *base;
	struct hg_poller *poller;
	char *url;
	uint8_t *secret;
	size_t secret_len, queue_max;
	struct hg_webhook_tune t;
	struct wh_event *all, *all_tail, *ready, *ready_tail;
	unsigned held, inflight;
	uint64_t next_id;
	int closing;
	struct hg_webhook_stat st;
};

void hg_webhook_tune_default(struct hg_webhook_tune *t)
{
	*t = (struct hg_webhook_tune){
		.timeout_ms = 5000, .max_attempts = 8, .backoff_ms = 1000,
		.backoff_max_ms = 300000, .max_inflight = 4, .max_event = 65536,
	};
}

int hg_webhook_sign(const uint8_t *secret, size_t secret_len,
		    const char *timestamp, const void *body, size_t len,
		    char sig[HG_WEBHOOK_SIG_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM p[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	uint8_t out[32];
	size_t n = 0;
	int ret = -1;

	if (ctx && EVP_MAC_init(ctx, secret, secret_len, p) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)timestamp, strlen(timestamp)) == 1 &&
	    EVP_MAC_update(ctx, (const uint8_t *)".", 1) == 1 &&
	    EVP_MAC_update(ctx, body, len) == 1 &&
	    EVP_MAC_final(ctx, out, &n, sizeof(out)) == 1 && n == sizeof(out)) {
		memcpy(sig, "sha256=", 7);
		hg_hex_encode(out, sizeof(out), sig + 7);
		ret = 0;
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

static void ready_push(struct hg_webhooks *w, struct wh_event *e)
{
	e->state = WH_READY;
	e->rnext = NULL;
	e->rprev = w->ready_tail;
	if (w->ready_tail)
		w->ready_tail->rnext = e;
	else
		w->ready = e;
	w->ready_tail = e;
}

static void ready_unlink(struct hg_webhooks *w, struct wh_event *e)
{
	if (e->rprev)
		e->rprev->rnext = e->rnext;
	else
		w->ready = e->rnext;
	if (e->rnext)
		e->rnext->rprev = e->rprev;
	else
		w->ready_tail = e->rprev;
	e->rprev = e->rnext = NULL;
}

/* Take E off every list and free it. */
static void event_remove(struct hg_webhooks *w, struct wh_event *e)
{
	if (e->state == WH_READY)
		ready_unlink(w, e);
	if (e->prev)
		e->prev->next = e->next;
	else
		w->all = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		w->all_tail = e->prev;
	w->held--;
	if (e->timer)
		event_free(e->timer);
	free(e->body);
	free(e);
}

static void report(struct hg_webhooks *w, struct wh_event *e,
		   enum hg_webhook_fate fate, const char *why)
{
	uint64_t id = e->id;
	unsigned attempts = e->attempts;

	if (fate == HG_WEBHOOK_DELIVERED)
		w->st.delivered++;
	else
		w->st.dropped++;
	event_remove(w, e);
	if (w->t.fate)
		w->t.fate(w->t.fate_arg, id, fate, attempts, why);
}

static void pump(struct hg_webhooks *w);

static void on_answer(void *arg, const char *host, long status,
		      const uint8_t *body, size_t len, const char *err)
{
	struct wh_event *e = arg;
	struct hg_webhooks *w = e->w;
	char why[512];
	uint64_t d;
	uint32_t r = 0;
	struct timeval tv;

	(void)host;
	(void)body;
	(void)len;
	if (w->closing)
		return;         /* hg_webhooks_free() frees E */
	w->inflight--;
	if (!err && status >= 200 && status <= 299) {
		report(w, e, HG_WEBHOOK_DELIVERED, NULL);
		pump(w);
		return;
	}
	if (err)
		snprintf(why, sizeof(why), "%s", err);
	else
		snprintf(why, sizeof(why), "HTTP %ld", status);
	if (e->attempts >= w->t.max_attempts) {
		char final[600];

		snprintf(final, sizeof(final), "%s after %u attempts", why, e->attempts);
		report(w, e, HG_WEBHOOK_DROPPED, final);
		pump(w);
		return;
	}
	/* d = backoff * 2^(attempts-1), capped; wait d/2 + random(0..d/2). */
	d = w->t.backoff_ms;
	for (unsigned i = 1; i < e->attempts && d < w->t.backoff_max_ms; i++)
		d *= 2;
	if (d > w->t.backoff_max_ms)
		d = w->t.backoff_max_ms;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)time(NULL);
	d = d / 2 + (d / 2 ? (uint64_t)r % (d / 2 + 1) : 0);
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	e->state = WH_WAITING;
	w->st.retried++;
	if (evtimer_add(e->timer, &tv)) {
		/* No timer: retry now rather than hold it forever. */
		ready_push(w, e);
	}
	pump(w);
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
	struct wh_event *e = arg;

	(void)fd;
	(void)what;
	ready_push(e->w, e);
	pump(e->w);
}

/* One attempt: sign with the current time, POST. -1 if the poller
 * refused it (E stays with the caller). */
static int attempt(struct hg_webhooks *w, struct wh_event *e)
{
	char ts[24], sig[HG_WEBHOOK_SIG_LEN], h_ts[64], h_sig[128];
	const char *headers[3] = { h_ts, h_sig, NULL };
	struct hg_poll_req q = {
		.host = "webhook", .url = w->url, .method = "POST",
		.content_type = "application/json", .body = e->body,
		.len = e->len, .headers = headers, .timeout_ms = w->t.timeout_ms,
	};

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (hg_webhook_sign(w->secret, w->secret_len, ts, e->body, e->len, sig))
		return -1;
	snprintf(h_ts, sizeof(h_ts), "X-Hostgate-Timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "X-Hostgate-Signature: %s", sig);
	if (hg_poller_request(w->poller, &q, on_answer, e))
		return -1;
	e->attempts++;
	e->state = WH_INFLIGHT;
	w->inflight++;
	w->st.attempts++;
	return 0;
}

static void pump(struct hg_webhooks *w)
{
	struct wh_event *e;

	while (!w->closing && w->inflight < w->t.max_inflight && (e = w->ready)) {
		ready_unlink(w, e);
		if (attempt(w, e)) {
			/* The poller cannot take it now (out of memory):
			 * back off as after a failed attempt. */
			struct timeval tv = { .tv_sec = 1 };

			e->state = WH_WAITING;
			if (evtimer_add(e->timer, &tv))
				report(w, e, HG_WEBHOOK_DROPPED, "cannot schedule a retry");
			break;
		}
	}
}

struct hg_webhooks *hg_webhooks_new(struct event_base *base, const char *url,
				    const uint8_t *secret, size_t secret_len,
				    const struct hg_poller_tls *tls,
				    size_t queue_max,
				    const struct hg_webhook_tune *tune,
				    char *err, size_t errlen)
{
	struct hg_webhooks *w = NULL, *ret = NULL;

	if (!base || !url || !tls || !queue_max) {
		snprintf(err, errlen, "webhooks: no URL, TLS settings or queue");
		goto out;
	}
	if (strncasecmp(url, "https://", 8)) {
		snprintf(err, errlen, "webhooks: %s: not an https:// URL", url);
		goto out;
	}
	if (!secret || secret_len < HG_WEBHOOK_SECRET_MIN) {
		snprintf(err, errlen, "webhooks: the secret has %zu bytes, fewer than %d",
			 secret ? secret_len : 0, HG_WEBHOOK_SECRET_MIN);
		goto out;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto oom;
	w->base = base;
	w->queue_max = queue_max;
	w->next_id = 1;
	if (tune)
		w->t = *tune;
	else
		hg_webhook_tune_default(&w->t);
	if (!w->t.timeout_ms || !w->t.max_attempts || !w->t.max_inflight ||
	    !w->t.max_event) {
		snprintf(err, errlen, "webhooks: a zero timeout, attempt bound, concurrency or event size");
		goto out;
	}
	w->url = strdup(url);
	w->secret = malloc(secret_len);
	if (!w->url || !w->secret)
		goto oom;
	memcpy(w->secret, secret, secret_len);
	w->secret_len = secret_len;
	w->poller = hg_poller_new(base, tls, w->t.timeout_ms, WH_MAX_RESPONSE,
				  w->t.max_inflight, err, errlen);
	if (!w->poller)
		goto out;
	ret = w;
	goto out;
oom:
	snprintf(err, errlen, "webhooks: out of memory");
out:
	if (!ret)
		hg_webhooks_free(w);
	return ret;
}

/* Room for one more: drop the oldest event not in flight. 0 if there
 * is room now. */
static int make_room(struct hg_webhooks *w)
{
	struct wh_event *e;

	if (w->held < w->queue_max)
		return 0;
	for (e = w->all; e; e = e->next)
		if (e->state != WH_INFLIGHT)
			break;
	if (!e)
		return -1;
	if (e->state == WH_WAITING)
		evtimer_del(e->timer);
	report(w, e, HG_WEBHOOK_DROPPED, "queue full");
	return 0;
}

static int is_json_object(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;
	int ok = 0;

	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, s, (int)len);
	ok = o && json_tokener_get_error(tok) == json_tokener_success &&
	     json_object_is_type(o, json_type_object) &&
	     json_tokener_get_parse_end(tok) == len;
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

uint64_t hg_webhooks_enqueue(struct hg_webhooks *w, uint64_t id,
			     const char *event_json, unsigned attempts_done)
{
	struct wh_event *e = NULL;
	size_t len;
	uint64_t ret = 0;

	if (!w || w->closing || !event_json)
		goto out;
	len = strlen(event_json);
	if (len > w->t.max_event || attempts_done >= w->t.max_attempts ||
	    !is_json_object(event_json, len))
		goto out;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->body = malloc(len ? len : 1)))
		goto out;
	e->timer = evtimer_new(w->base, on_backoff, e);
	if (!e->timer || make_room(w))
		goto out;
	memcpy(e->body, event_json, len);
	e->len = len;
	e->w = w;
	e->attempts = attempts_done;
	if (!id)
		id = w->next_id;
	if (id >= w->next_id)
		w->next_id = id + 1;
	e->id = id;
	e->prev = w->all_tail;
	if (w->all_tail)
		w->all_tail->next = e;
	else
		w->all = e;
	w->all_tail = e;
	w->held++;
	ready_push(w, e);
	e = NULL;
	ret = id;
	pump(w);
out:
	if (e) {
		if (e->timer)
			event_free(e->timer);
		free(e->body);
		free(e);
	}
	if (!ret && w)
		w->st.dropped++;
	return ret;
}

int hg_webhooks_emit(struct hg_webhooks *w, const char *event_json)
{
	return hg_webhooks_enqueue(w, 0, event_json, 0) ? 0 : -1;
}

void hg_webhooks_stats(const struct hg_webhooks *w, struct hg_webhook_stat *out)
{
	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	*out = w->st;
	out->queued = w->held;
	out->inflight = w->inflight;
}

void hg_webhooks_free(struct hg_webhooks *w)
{
	if (!w)
		return;
	w->closing = 1;
	hg_poller_free(w->poller);      /* on_answer() sees closing */
	while (w->all)
		event_remove(w, w->all);
	free(w->url);
	if (w->secret)
		OPENSSL_cleanse(w->secret, w->secret_len);
	free(w->secret);
	free(w);
}
