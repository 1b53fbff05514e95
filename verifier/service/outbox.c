/* outbox.c: webhooks from the registry's durable outbox (svc.h,
 * docs/fleet.md "Webhooks").
 *
 * A change of a host's state writes its event row in the transaction
 * that records the judgement (state.c, hv_reg_host_judged with an
 * event), so an event exists exactly when its transition does. Rows are
 * delivered by whichever instance claims them (hv_reg_outbox_claim: a
 * lease of OUTBOX_LEASE_MS, renewed by its heartbeat while it holds
 * them), through webhook.c's queue, signing, retries and back-off; the
 * row is deleted when webhook.c reports its fate (delivered, or dropped
 * after its attempts). So each event is POSTed by one instance, once -
 * unless that instance dies (or loses the registry for a whole lease)
 * after a POST reached the receiver and before the row's deletion: then
 * another instance delivers it again after the lease (at least once in
 * that case; the event's host, "at" and "to" let a receiver drop the
 * repeat).
 *
 * The instance that recorded a transition claims at once (a kick on the
 * loop); every instance also claims on its heartbeat, which is how
 * rows of a dead instance find a new deliverer.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "../../lib/util.h"
#include "webhook.h"

#define OUTBOX_LEASE_MS 30000
#define CLAIM_MAX 64
#define DONE_RETRY 1024              /* deletions waiting for the registry */

struct hv_outbox {
	struct event *kick;
	int64_t done[DONE_RETRY];        /* rows delivered, deletion failed */
	size_t ndone;
	unsigned queued;                 /* rows in webhook.c's queue */
};

static void iso(int64_t s, char *buf, size_t n)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%lld", (long long)s);
}

/* The event as state.c's emit() made it in memory before (docs/api.md
 * "Webhooks"): the row's columns, then the detail's members. */
static char *event_json(const struct hv_outbox_row *r)
{
	json_object *ev = json_object_new_object(), *d;
	char t[32], t0[32], *out = NULL;

	iso(r->at, t, sizeof(t));
	iso(r->since, t0, sizeof(t0));
	json_object_object_add(ev, "event", json_object_new_string("state"));
	json_object_object_add(ev, "host", json_object_new_string(r->host));
	json_object_object_add(ev, "from", json_object_new_string(hv_state_name(r->from)));
	json_object_object_add(ev, "to", json_object_new_string(hv_state_name(r->to)));
	json_object_object_add(ev, "at", json_object_new_string(t));
	json_object_object_add(ev, "since", json_object_new_string(t0));
	d = json_tokener_parse(r->detail);
	if (d && json_object_is_type(d, json_type_object)) {
		json_object_object_foreach(d, k, v)
			if (!json_object_object_get_ex(ev, k, NULL))
				json_object_object_add(ev, k, json_object_get(v));
	}
	json_object_put(d);
	out = strdup(json_object_to_json_string_ext(ev,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(ev);
	return out;
}

static void done(struct hv_svc *s, int64_t row)
{
	struct hv_outbox *o = s->outbox;

	if (hv_reg_outbox_done(s->reg, row, s->instance) == 0)
		return;
	hv_svc_db_failed(s, "deleting a delivered webhook event");
	if (o->ndone < DONE_RETRY)
		o->done[o->ndone++] = row;
}

static void fate(void *arg, uint64_t id, enum hg_webhook_fate f,
		 unsigned attempts, const char *why)
{
	struct hv_svc *s = arg;

	if (s->outbox->queued)
		s->outbox->queued--;
	if (f == HG_WEBHOOK_DROPPED)
		fprintf(stderr, "hostgate-verify: serve: webhook event %llu"
			" dropped after %u attempts: %s\n", (unsigned long long)id,
			attempts, why ? why : "");
	done(s, (int64_t)id);
}

static int claimed(void *arg, const struct hv_outbox_row *r)
{
	struct hv_svc *s = arg;
	char *json = event_json(r);

	s->m.outbox_claimed++;
	if (r->claims > 1)
		s->m.outbox_redelivered++;
	if (json && hg_webhooks_enqueue(s->hooks, (uint64_t)r->id, json, 0)) {
		s->outbox->queued++;
	} else {
		/* Refused (beyond the size bound, out of memory): it would be
		 * refused again. */
		hg_err("serve: webhook event %lld refused by the queue: deleted",
		       (long long)r->id);
		done(s, r->id);
	}
	free(json);
	return 0;
}

void hv_outbox_poll(struct hv_svc *s)
{
	struct hv_outbox *o = s->outbox;
	size_t k = 0;

	if (!o || !s->hooks || s->stopping)
		return;
	/* Deletions that failed before, first. */
	for (size_t i = 0; i < o->ndone; i++)
		if (hv_reg_outbox_done(s->reg, o->done[i], s->instance) < 0)
			o->done[k++] = o->done[i];
	o->ndone = k;
	if (o->queued >= HV_OUTBOX_QUEUE - CLAIM_MAX)
		return;
	if (hv_reg_outbox_claim(s->reg, s->instance, hv_svc_wall_ms(),
				OUTBOX_LEASE_MS, CLAIM_MAX, claimed, s) < 0)
		hv_svc_db_failed(s, "claiming webhook events");
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hv_outbox_poll(arg);
}

void hv_outbox_kick(struct hv_svc *s)
{
	if (s->outbox && s->outbox->kick)
		event_active(s->outbox->kick, EV_TIMEOUT, 0);
}

int hv_outbox_start(struct hv_svc *s, struct hg_webhook_tune *tune)
{
	if (!(s->outbox = calloc(1, sizeof(*s->outbox))))
		return -1;
	s->outbox->kick = event_new(s->base, -1, 0, on_kick, s);
	if (!s->outbox->kick)
		return -1;
	tune->fate = fate;
	tune->fate_arg = s;
	return 0;
}

void hv_outbox_stop(struct hv_svc *s)
{
	if (!s->outbox)
		return;
	if (s->outbox->kick)
		event_free(s->outbox->kick);
	free(s->outbox);
	s->outbox = NULL;
}
