/* poller.h: the verifier service's outbound HTTPS requests (polling the
 * agents, delivering webhooks), as libcurl multi transfers driven by the
 * service's libevent loop.
 *
 * Pattern: libcurl's multi_socket API (CURLMOPT_SOCKETFUNCTION,
 * CURLMOPT_TIMERFUNCTION, curl_multi_socket_action), the one libcurl
 * documents for event loops ("hiperfifo"): libcurl says which sockets
 * and which timeout it waits for, libevent waits, and every wake-up is
 * handed back to libcurl. Nothing blocks; one thread serves every
 * request; thousands of hosts cost one descriptor each, not a thread.
 *
 * Connections: one CURLM per poller, so one connection cache: a second
 * request to the same scheme://host:port with the same TLS settings
 * reuses the kept-alive connection (HTTP/1.1 keep-alive; the agent and
 * evhttp keep it open). hg_poller_stats().connections counts the
 * connections opened (CURLINFO_NUM_CONNECTS summed), so a test proves
 * reuse by the count. The cache holds max_connects connections (default
 * HG_POLLER_MAX_CONNECTS, hg_poller_set_max_connects); the least recently
 * used one is closed beyond it. curl closes a connection idle longer
 * than 118 s (CURLOPT_MAXAGE_CONN's default).
 *
 * TLS: https only (CURLOPT_PROTOCOLS_STR; no redirects followed, no
 * proxy from the environment), TLS 1.2 or later, the peer's certificate
 * verified against CA_FILE only (CURLOPT_CAINFO; CURLOPT_CAPATH cleared
 * so the system store is not consulted) and its name against the URL's
 * host (CURLOPT_SSL_VERIFYHOST 2). CERT_FILE/KEY_FILE (PEM) are the
 * client certificate offered to servers that ask (mutual TLS); both or
 * neither. With ca_file NULL and system_trust set the system store is
 * used instead (webhook receivers with public certificates); with
 * neither, hg_poller_new() refuses.
 *
 * Bounds: at most MAX_INFLIGHT transfers run at once; further requests
 * wait in a FIFO of at most queue_max (default 16 * MAX_INFLIGHT, at
 * least 1024; hg_poller_set_queue_max), beyond which hg_poller_post()
 * refuses (-1, counted in stats.refused). TIMEOUT_MS bounds a request
 * from hg_poller_post() to its end, the wait in the FIFO included (a
 * request still queued at its deadline ends with "timed out in the
 * queue"). A response body beyond MAX_BODY bytes aborts the transfer
 * (announced by Content-Length or counted as it arrives) with err
 * "response larger than MAX_BODY bytes".
 *
 * Completion: DONE is called exactly once per accepted request, always
 * from the event loop, never from inside hg_poller_post(): with the
 * HTTP status (err NULL: the transfer completed; any status, 2xx or
 * not, is for the caller to judge) or with http_status 0 and err a
 * one-phrase reason (libcurl's error text, e.g. "SSL certificate
 * problem: unable to get local issuer certificate", "Operation timed
 * out after 2000 milliseconds with 0 bytes received", "cancelled").
 * BODY is valid only during the call. HOST is the caller's label,
 * echoed back (the registry's host name), not used for the connection.
 * DONE may call hg_poller_post() again; it must not call
 * hg_poller_free().
 *
 * hg_poller_free() cancels every queued and in-flight request, calling
 * its DONE with err "cancelled", then closes the connections. Accepts
 * NULL. Not thread-safe: one poller belongs to one loop's thread.
 */
#ifndef HG_POLLER_H
#define HG_POLLER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct hg_poller;

#define HG_POLLER_MAX_CONNECTS 1024

struct hg_poller_tls {
	const char *cert_file, *key_file, *ca_file;
	/* ca_file NULL: trust the system's store instead (webhooks). */
	int system_trust;
};

struct hg_poller_stat {
	uint64_t requests;     /* finished: DONE called, whatever the outcome */
	uint64_t errors;       /* of those, with err set (cancelled ones too) */
	uint64_t connections;  /* connections opened (CURLINFO_NUM_CONNECTS) */
	uint64_t timeouts;     /* of the errors, timed out (queue or transfer) */
	uint64_t too_big;      /* of the errors, body beyond max_body */
	uint64_t refused;      /* hg_poller_post() -1: queue full, closing */
	unsigned inflight;     /* transfers running now */
	unsigned queued;       /* waiting for an in-flight slot */
};

typedef void (*hg_poll_done_fn)(void *arg, const char *host, long http_status,
				const uint8_t *body, size_t len,
				const char *err /* NULL on transport success */);

/* One request, for hg_poller_request(). METHOD "GET" or "POST" (NULL:
 * POST when BODY is set, else GET). HEADERS: extra "Name: value" lines,
 * NULL-terminated (copied), or NULL. TIMEOUT_MS 0: the poller's. */
struct hg_poll_req {
	const char *host, *url, *method, *content_type;
	const void *body;
	size_t len;
	const char *const *headers;
	unsigned timeout_ms;
};

/* NULL with one phrase in ERR on a bad argument (zero timeout, max_body
 * or max_inflight; unreadable certificate, key or CA file) or libcurl
 * failing to initialise. */
struct hg_poller *hg_poller_new(struct event_base *base,
				const struct hg_poller_tls *tls,
				unsigned timeout_ms, size_t max_body,
				unsigned max_inflight, char *err, size_t errlen);

/* POST BODY (copied) to URL with CONTENT_TYPE. 0 when accepted (DONE
 * will be called), -1 when refused (DONE is not called): a URL that is
 * not https://, the queue full, the poller being freed, out of memory. */
int hg_poller_post(struct hg_poller *p, const char *host, const char *url,
		   const char *content_type, const void *body, size_t len,
		   hg_poll_done_fn done, void *arg);
/* GET URL; as hg_poller_post(). */
int hg_poller_get(struct hg_poller *p, const char *host, const char *url,
		  hg_poll_done_fn done, void *arg);
/* The general form; as hg_poller_post(). */
int hg_poller_request(struct hg_poller *p, const struct hg_poll_req *r,
		      hg_poll_done_fn done, void *arg);

void hg_poller_set_max_connects(struct hg_poller *p, unsigned n);
void hg_poller_set_queue_max(struct hg_poller *p, unsigned n);

void hg_poller_stats(const struct hg_poller *p, struct hg_poller_stat *out);
void hg_poller_free(struct hg_poller *p);

#endif
