/* state.c: recording a judgement (svc.h): the registry's state, last
 * verdict and bounded history in one transaction (hv_reg_host_judged),
 * the metrics, and on every change of state one webhook event and one
 * log line:
 *   {"event": "state", "host": NAME, "from": STATE, "to": STATE,
 *    "at": RFC 3339, "since": RFC 3339 (when FROM began),
 *    "failures": [the verdict's failures] | "reason": why unreachable}
 * The webhook event is a row of the registry's outbox, written in the
 * judgement's own transaction (so a transition and its event commit
 * together or not at all), and delivered from there (outbox.c,
 * webhook.h): a slow or failed receiver never blocks this, nor the next
 * judgement. A verdict the registry did not take (unavailable, or the
 * host's lease claimed by another instance since) is not counted as an
 * attestation and changes nothing.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/util.h"

/* The verdict as stored: the whole of it, unless that is beyond the
 * registry's bound (a huge failure list): then its summary. */
static const char *verdict_text(json_object *verdict, json_object **tmp)
{
	const char *t = json_object_to_json_string_ext(verdict,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object *o;

	if (t && strlen(t) <= HV_VERDICT_MAX)
		return t;
	*tmp = json_object_new_object();
	if (json_object_object_get_ex(verdict, "verdict", &o))
		json_object_object_add(*tmp, "verdict", json_object_get(o));
	if (json_object_object_get_ex(verdict, "policy", &o))
		json_object_object_add(*tmp, "policy", json_object_get(o));
	json_object_object_add(*tmp, "truncated", json_object_new_boolean(1));
	return json_object_to_json_string_ext(*tmp, JSON_C_TO_STRING_PLAIN);
}

/* The event's members beyond its row's columns (outbox.c). */
static char *event_detail(const struct hv_svc_verdict *v, const char *reason)
{
	json_object *d = json_object_new_object(), *f;
	char *out;

	if (v && json_object_object_get_ex(v->verdict, "failures", &f))
		json_object_object_add(d, "failures", json_object_get(f));
	else
		json_object_object_add(d, "failures", json_object_new_array());
	if (v)
		json_object_object_add(d, "policy", json_object_new_string(v->policy));
	if (reason)
		json_object_object_add(d, "reason", json_object_new_string(reason));
	out = strdup(json_object_to_json_string_ext(d,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(d);
	return out;
}

static void transition(struct hv_svc *s, const char *host, enum hv_state from,
		       enum hv_state to, const char *reason)
{
	s->m.transitions++;
	/* The journal's line: the host's names are [A-Za-z0-9._-] only. */
	fprintf(stderr, "hostgate-verify: host %s: %s -> %s%s%s\n", host,
		hv_state_name(from), hv_state_name(to), reason ? ": " : "",
		reason ? reason : "");
	hv_outbox_kick(s);
}

static int record(struct hv_svc *s, const char *host,
		  const struct hv_svc_verdict *v, const char *reason, int leased)
{
	struct hv_judgement j = { 0 };
	json_object *tmp = NULL;
	enum hv_state was = HV_STATE_UNKNOWN;
	int64_t since = 0;
	char *detail = NULL;
	int r, ret = -1;

	j.at = (int64_t)time(NULL);
	j.keep = s->cfg.history;
	j.instance = s->instance;
	j.leased = leased;
	if (v) {
		j.state = v->state;
		j.verdict = verdict_text(v->verdict, &tmp);
		j.failures = v->failures;
		j.policy = v->policy;
	} else {
		j.state = HV_STATE_UNREACHABLE;
	}
	if (s->hooks && !(j.event = detail = event_detail(v, reason)))
		goto out;
	r = hv_reg_host_judged(s->reg, host, &j, &was, &since);
	if (r < 0) {
		s->m.unrecorded++;
		hv_svc_db_failed(s, "recording a verdict");
		goto out;
	}
	if (r == HV_LEASE_LOST) {
		/* Overtaken: another instance claimed the host meanwhile (an
		 * on-demand attestation, or this pull outlived its lease). */
		s->m.lease_lost++;
		fprintf(stderr, "hostgate-verify: host %s: verdict not recorded:"
			" another instance holds its lease now\n", host);
		ret = 1;
		goto out;
	}
	if (r == HV_HOST_UNKNOWN) {
		/* Removed while its attestation ran: nothing to record. */
		ret = 0;
		goto out;
	}
	if (v)
		hv_metrics_judged(s, v);
	else
		hv_metrics_unreachable(s);
	if (was != j.state)
		transition(s, host, was, j.state, reason);
	ret = 0;
out:
	free(detail);
	json_object_put(tmp);
	return ret;
}

int hv_svc_record(struct hv_svc *s, const char *host,
		  const struct hv_svc_verdict *v, const char *reason)
{
	return record(s, host, v, reason, 0);
}

int hv_svc_record_leased(struct hv_svc *s, const char *host,
			 const struct hv_svc_verdict *v, const char *reason)
{
	return record(s, host, v, reason, 1);
}
