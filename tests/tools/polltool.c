/* polltool.c: the service's poller and webhooks from the command line,
 * for t_poller.sh.
 *
 *   polltool post [OPTIONS] URL...
 *       --count N of POSTs to each URL, one after the other (each URL
 *       has one request outstanding at a time, as the service polls a
 *       host); the URLs run side by side. One line per request:
 *         post URL_INDEX SEQ status=S bytes=N ms=T
 *         post URL_INDEX SEQ error=REASON ms=T
 *       then "connections=C requests=R errors=E timeouts=T too_big=B".
 *       Exit 0 when every request completed (any HTTP status), 1 when
 *       one failed, 2 on usage or set-up errors.
 *   polltool webhook [OPTIONS] URL --secret-file F --event JSON...
 *       emits each --event, runs the loop until each is delivered or
 *       dropped, printing "event ID delivered attempts=A" or "event ID
 *       dropped attempts=A why=REASON", then "delivered=D retried=R
 *       dropped=X queued=Q". With --poll URL, polls it --count times
 *       meanwhile (as post), to show a stuck receiver blocks nothing.
 *       Exit 0 when all were delivered, 1 otherwise, 2 on usage.
 *
 * OPTIONS: --cert C --key K (client certificate), --ca CA, --timeout MS
 * (per request / per attempt; default 5000), --max-body N (default
 * 1 MiB), --inflight N (default 8), --body STRING (post's body; default
 * "{}"), --attempts N, --backoff MS, --backoff-max MS, --queue N
 * (webhook tuning), --wait MS (webhook: stop after MS regardless).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "../../lib/util.h"
#include "../../verifier/service/poller.h"
#include "../../verifier/service/webhook.h"

struct opts {
	const char *cert, *key, *ca, *body, *secret_file, *poll_url;
	unsigned long timeout, max_body, inflight, count, attempts, backoff,
		backoff_max, queue, wait;
	const char *events[64];
	unsigned nevents;
	char **urls;
	int nurls;
};

struct chain {                  /* one URL's sequence of requests */
	struct hg_poller *p;
	struct event_base *base;
	const struct opts *o;
	const char *url;
	int index;
	unsigned long sent, done;
	struct timespec t0;
	int *failed;
	unsigned *live;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void chain_next(struct chain *c);

static void on_done(void *arg, const char *host, long status,
		    const uint8_t *body, size_t len, const char *err)
{
	struct chain *c = arg;

	(void)host;
	(void)body;
	c->done++;
	if (err) {
		printf("post %d %lu error=%s ms=%.0f\n", c->index, c->done, err,
		       ms_since(&c->t0));
		*c->failed = 1;
	} else {
		printf("post %d %lu status=%ld bytes=%zu ms=%.0f\n", c->index,
		       c->done, status, len, ms_since(&c->t0));
	}
	fflush(stdout);
	if (c->done < c->o->count)
		chain_next(c);
	else if (--*c->live == 0 && c->base)
		event_base_loopexit(c->base, NULL);
}

static void chain_next(struct chain *c)
{
	char label[32];

	snprintf(label, sizeof(label), "url%d", c->index);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->sent++;
	if (hg_poller_post(c->p, label, c->url, "application/json", c->o->body,
			   strlen(c->o->body), on_done, c)) {
		printf("post %d %lu refused\n", c->index, c->sent);
		*c->failed = 1;
		c->done = c->o->count;
		if (--*c->live == 0 && c->base)
			event_base_loopexit(c->base, NULL);
	}
}

static void print_stats(struct hg_poller *p)
{
	struct hg_poller_stat st;

	hg_poller_stats(p, &st);
	printf("connections=%llu requests=%llu errors=%llu timeouts=%llu too_big=%llu\n",
	       (unsigned long long)st.connections, (unsigned long long)st.requests,
	       (unsigned long long)st.errors, (unsigned long long)st.timeouts,
	       (unsigned long long)st.too_big);
}

static struct hg_poller *make_poller(struct event_base *base, const struct opts *o)
{
	struct hg_poller_tls tls = { o->cert, o->key, o->ca, 0 };
	char err[256];
	struct hg_poller *p = hg_poller_new(base, &tls, (unsigned)o->timeout,
					    o->max_body, (unsigned)o->inflight,
					    err, sizeof(err));

	if (!p)
		fprintf(stderr, "polltool: %s\n", err);
	return p;
}

static int cmd_post(struct opts *o)
{
	struct event_base *base = event_base_new();
	struct hg_poller *p = NULL;
	struct chain *c = NULL;
	unsigned live;
	int failed = 0, i, ret = 2;

	if (!base || !(p = make_poller(base, o)))
		goto out;
	c = calloc((size_t)o->nurls, sizeof(*c));
	if (!c)
		goto out;
	live = (unsigned)o->nurls;
	for (i = 0; i < o->nurls; i++) {
		c[i] = (struct chain){ .p = p, .base = base, .o = o,
				       .url = o->urls[i], .index = i,
				       .failed = &failed, .live = &live };
	}
	for (i = 0; i < o->nurls; i++)
		chain_next(&c[i]);
	if (live)
		event_base_dispatch(base);
	print_stats(p);
	ret = failed ? 1 : 0;
out:
	hg_poller_free(p);
	free(c);
	if (base)
		event_base_free(base);
	return ret;
}

/* --- webhook ------------------------------------------------------------ */

struct whrun {
	struct event_base *base;
	unsigned left;
	int failed;
};

static void on_fate(void *arg, uint64_t id, enum hg_webhook_fate fate,
		    unsigned attempts, const char *why)
{
	struct whrun *w = arg;

	if (fate == HG_WEBHOOK_DELIVERED) {
		printf("event %llu delivered attempts=%u\n", (unsigned long long)id,
		       attempts);
	} else {
		printf("event %llu dropped attempts=%u why=%s\n",
		       (unsigned long long)id, attempts, why ? why : "");
		w->failed = 1;
	}
	fflush(stdout);
	if (w->left && --w->left == 0)
		event_base_loopexit(w->base, NULL);
}

static int cmd_webhook(struct opts *o)
{
	struct event_base *base = event_base_new();
	struct hg_webhooks *w = NULL;
	struct hg_poller *p = NULL;
	struct hg_webhook_stat st;
	struct hg_webhook_tune tune;
	struct hg_poller_tls tls = { o->cert, o->key, o->ca, 0 };
	struct whrun run = { .base = base };
	struct chain c;
	unsigned live = 1;
	uint8_t *secret = NULL;
	size_t secret_len;
	char err[256];
	struct timeval tv;
	unsigned i;
	int ret = 2, pfailed = 0;

	if (!base)
		goto out;
	if (hg_read_file(o->secret_file, 4096, 0, &secret, &secret_len)) {
		fprintf(stderr, "polltool: %s: cannot read the secret\n", o->secret_file);
		goto out;
	}
	hg_webhook_tune_default(&tune);
	tune.timeout_ms = (unsigned)o->timeout;
	if (o->attempts)
		tune.max_attempts = (unsigned)o->attempts;
	if (o->backoff)
		tune.backoff_ms = (unsigned)o->backoff;
	if (o->backoff_max)
		tune.backoff_max_ms = (unsigned)o->backoff_max;
	tune.fate = on_fate;
	tune.fate_arg = &run;
	w = hg_webhooks_new(base, o->urls[0], secret, secret_len, &tls,
			    o->queue ? (size_t)o->queue : 1024, &tune, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "polltool: %s\n", err);
		goto out;
	}
	run.left = o->nevents;
	for (i = 0; i < o->nevents; i++)
		if (hg_webhooks_emit(w, o->events[i])) {
			printf("emit %u refused\n", i);
			run.failed = 1;
			run.left--;
		}
	if (o->poll_url) {
		if (!(p = make_poller(base, o)))
			goto out;
		c = (struct chain){ .p = p, .o = o, .url = o->poll_url,
				    .failed = &pfailed, .live = &live };
		chain_next(&c);
	}
	if (o->wait) {
		tv.tv_sec = (time_t)(o->wait / 1000);
		tv.tv_usec = (suseconds_t)(o->wait % 1000) * 1000;
		event_base_loopexit(base, &tv);
	}
	if (run.left)
		event_base_dispatch(base);
	hg_webhooks_stats(w, &st);
	printf("delivered=%llu retried=%llu dropped=%llu queued=%u\n",
	       (unsigned long long)st.delivered, (unsigned long long)st.retried,
	       (unsigned long long)st.dropped, st.queued);
	if (p)
		print_stats(p);
	ret = (run.failed || run.left || pfailed) ? 1 : 0;
out:
	hg_poller_free(p);
	hg_webhooks_free(w);
	free(secret);
	if (base)
		event_base_free(base);
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: polltool post [OPTIONS] URL... | polltool webhook [OPTIONS] URL --secret-file F --event JSON...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout = 5000, .max_body = 1 << 20, .inflight = 8,
			  .count = 1, .body = "{}" };
	const char *cmd;
	unsigned long *num;
	int i, ret = 2;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	o.urls = calloc((size_t)argc, sizeof(char *));
	if (!o.urls)
		return 2;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		num = NULL;
		if (a[0] != '-') {
			o.urls[o.nurls++] = argv[i];
			continue;
		}
		if (i + 1 >= argc)
			goto out;
		if (!strcmp(a, "--cert"))
			o.cert = argv[++i];
		else if (!strcmp(a, "--key"))
			o.key = argv[++i];
		else if (!strcmp(a, "--ca"))
			o.ca = argv[++i];
		else if (!strcmp(a, "--body"))
			o.body = argv[++i];
		else if (!strcmp(a, "--secret-file"))
			o.secret_file = argv[++i];
		else if (!strcmp(a, "--poll"))
			o.poll_url = argv[++i];
		else if (!strcmp(a, "--event")) {
			if (o.nevents >= sizeof(o.events) / sizeof(o.events[0]))
				goto out;
			o.events[o.nevents++] = argv[++i];
		} else if (!strcmp(a, "--timeout"))
			num = &o.timeout;
		else if (!strcmp(a, "--max-body"))
			num = &o.max_body;
		else if (!strcmp(a, "--inflight"))
			num = &o.inflight;
		else if (!strcmp(a, "--count"))
			num = &o.count;
		else if (!strcmp(a, "--attempts"))
			num = &o.attempts;
		else if (!strcmp(a, "--backoff"))
			num = &o.backoff;
		else if (!strcmp(a, "--backoff-max"))
			num = &o.backoff_max;
		else if (!strcmp(a, "--queue"))
			num = &o.queue;
		else if (!strcmp(a, "--wait"))
			num = &o.wait;
		else
			goto out;
		if (num && hg_parse_uint(argv[++i], 100000000, num))
			goto out;
	}
	if (!strcmp(cmd, "post") && o.nurls >= 1 && o.count >= 1)
		ret = cmd_post(&o);
	else if (!strcmp(cmd, "webhook") && o.nurls == 1 && o.secret_file && o.nevents)
		ret = cmd_webhook(&o);
	else
		ret = usage();
	free(o.urls);
	return ret;
out:
	free(o.urls);
	return usage();
}
