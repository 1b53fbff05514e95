/* webhook.h: the verifier service's state-change notifications, POSTed
 * to one receiver URL, signed, retried, bounded.
 *
 * Delivery: each event (a JSON object, the service's; checked to be one
 * with json-c, never built here) is POSTed as application/json to URL
 * through a poller of its own (poller.h: libcurl multi on the same
 * libevent loop, its own connection cache and in-flight bound), so a
 * slow or dead receiver holds at most tune.max_inflight transfers of its
 * own and never a slot of the agents' poller, and nothing ever waits
 * in the loop.
 *
 * Signature (docs/api.md "Webhooks"): every attempt carries
 *   X-Hostgate-Timestamp: T          (Unix seconds at the attempt)
 *   X-Hostgate-Signature: sha256=HEX (HMAC-SHA256, key = the secret's
 *                                     bytes, over "T" "." BODY)
 * A receiver recomputes it over the raw body, compares in constant time
 * and refuses a T too far from its clock (replays); a retry is signed
 * afresh with its own T. hg_webhook_sign() is that computation.
 *
 * Retry: a transport error or a status outside 2xx is a failed attempt.
 * Attempt n+1 waits d/2 + random(0..d/2) ms with d = backoff_ms *
 * 2^(n-1) capped at backoff_max_ms (exponential back-off with "equal
 * jitter": receivers coming back are not hit by every verifier at once).
 * After max_attempts failed attempts the event is dropped. Events are
 * not ordered among themselves (one in back-off does not hold up the
 * others): a receiver orders them by the content's own time or sequence.
 *
 * Bounds: at most QUEUE_MAX events held (waiting, in back-off or in
 * flight), each at most tune.max_event bytes: memory is bounded by
 * their product. An event emitted into a full queue makes room by
 * dropping the oldest event not in flight ("queue full": the newest
 * state is the one a receiver most needs); if every held event is in
 * flight, the new one is refused.
 *
 * Counters (hg_webhooks_stats): delivered, retried (attempts scheduled
 * after a failure), dropped (retries exhausted, pushed out of a full
 * queue, or refused at emit), queued (held now), in flight.
 *
 * Persistence is the caller's (the registry): hg_webhooks_enqueue()
 * takes the caller's id and the attempts already made (after a restart),
 * and tune.fate reports each accepted event's end exactly once:
 * DELIVERED, or DROPPED with a one-phrase reason ("HTTP 503 after 8
 * attempts", "queue full", "...: Operation timed out ..."). FATE may be
 * called from inside hg_webhooks_enqueue() (an event pushed out of a
 * full queue) and must not call hg_webhooks_free(). Events still held at
 * hg_webhooks_free() get no fate call: they were neither delivered nor
 * dropped, and the caller's store still has them to re-enqueue.
 */
#ifndef HG_WEBHOOK_H
#define HG_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "poller.h"

struct event_base;
struct hg_webhooks;

enum hg_webhook_fate {
	HG_WEBHOOK_DELIVERED,
	HG_WEBHOOK_DROPPED,
};

typedef void (*hg_webhook_fate_fn)(void *arg, uint64_t id,
				   enum hg_webhook_fate fate,
				   unsigned attempts, const char *why);

struct hg_webhook_tune {
	unsigned timeout_ms;     /* per attempt (default 5000) */
	unsigned max_attempts;   /* before dropping (default 8) */
	unsigned backoff_ms;     /* first retry's d (default 1000) */
	unsigned backoff_max_ms; /* d's cap (default 300000: 5 min) */
	unsigned max_inflight;   /* deliveries at once (default 4) */
	size_t max_event;        /* bytes of one event (default 65536) */
	hg_webhook_fate_fn fate; /* may be NULL */
	void *fate_arg;
};

struct hg_webhook_stat {
	uint64_t delivered, retried, dropped;
	uint64_t attempts;       /* POSTs made */
	unsigned queued;         /* events held now, in flight included */
	unsigned inflight;
};

/* The shortest secret accepted: 16 bytes (128 bits). */
#define HG_WEBHOOK_SECRET_MIN 16
/* "sha256=" + 64 hex digits + NUL */
#define HG_WEBHOOK_SIG_LEN 72

void hg_webhook_tune_default(struct hg_webhook_tune *t);

/* URL: https:// only. SECRET: SECRET_LEN >= HG_WEBHOOK_SECRET_MIN bytes
 * (copied). TLS: as the poller's (ca_file, or system_trust for a
 * receiver with a public certificate; a client certificate optional).
 * TUNE NULL: the defaults. NULL with one phrase in ERR on a bad
 * argument. */
struct hg_webhooks *hg_webhooks_new(struct event_base *base, const char *url,
				    const uint8_t *secret, size_t secret_len,
				    const struct hg_poller_tls *tls,
				    size_t queue_max,
				    const struct hg_webhook_tune *tune,
				    char *err, size_t errlen);

/* Queue EVENT_JSON (a JSON object) under the id given (0: the next of
 * the object's own sequence), with ATTEMPTS_DONE attempts already made.
 * The id when accepted (fate will be called); 0 when refused (not JSON
 * or not an object, beyond max_event, attempts already exhausted, every
 * held event in flight, out of memory): counted as dropped, no fate. */
uint64_t hg_webhooks_enqueue(struct hg_webhooks *w, uint64_t id,
			     const char *event_json, unsigned attempts_done);
/* hg_webhooks_enqueue(w, 0, EVENT_JSON, 0): 0 accepted, -1 refused. */
int hg_webhooks_emit(struct hg_webhooks *w, const char *event_json);

void hg_webhooks_stats(const struct hg_webhooks *w, struct hg_webhook_stat *out);
/* Cancels the deliveries in flight; accepts NULL. */
void hg_webhooks_free(struct hg_webhooks *w);

/* SIG = "sha256=" + lower-case hex HMAC-SHA256(SECRET, TIMESTAMP "." BODY).
 * -1 if OpenSSL fails. */
int hg_webhook_sign(const uint8_t *secret, size_t secret_len,
		    const char *timestamp, const void *body, size_t len,
		    char sig[HG_WEBHOOK_SIG_LEN]);

#endif
