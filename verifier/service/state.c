/* state.c: recording a judgement (svc.h): the registry's state, last
 * verdict and bounded history in one transaction (hv_reg_host_judged),
 * the metrics, and on every change of state one webhook event and one
 * log line:
 *   {"event": "state", "host": NAME, "from": STATE, "to": STATE,
 *    "at": RFC 3339, "since": RFC 3339 (when FROM began),
 *    "failures": [the verdict's failures] | "reason": why unreachable}
 * The webhook is queued (webhook.h): a slow or failed receiver never
 * blocks this, nor the next judgement.
 */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/util.h"

static void iso(int64_t s, char *buf, size_t n)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%lld", (long long)s);
}

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

static void emit(struct hv_svc *s, const char *host, enum hv_state from,
		 int64_t since, enum hv_state to, int64_t at,
		 const struct hv_svc_verdict *v, const char *reason)
{
	json_object *ev = json_object_new_object(), *f;
	char t[32], t0[32];

	iso(at, t, sizeof(t));
	iso(since, t0, sizeof(t0));
	json_object_object_add(ev, "event", json_object_new_string("state"));
	json_object_object_add(ev, "host", json_object_new_string(host));
	json_object_object_add(ev, "from", json_object_new_string(hv_state_name(from)));
	json_object_object_add(ev, "to", json_object_new_string(hv_state_name(to)));
	json_object_object_add(ev, "at", json_object_new_string(t));
	json_object_object_add(ev, "since", json_object_new_string(t0));
	if (v && json_object_object_get_ex(v->verdict, "failures", &f))
		json_object_object_add(ev, "failures", json_object_get(f));
	else
		json_object_object_add(ev, "failures", json_object_new_array());
	if (v)
		json_object_object_add(ev, "policy", json_object_new_string(v->policy));
	if (reason)
		json_object_object_add(ev, "reason", json_object_new_string(reason));
	s->m.transitions++;
	/* The journal's line: the host's names are [A-Za-z0-9._-] only. */
	fprintf(stderr, "hostgate-verify: host %s: %s -> %s%s%s\n", host,
		hv_state_name(from), hv_state_name(to), reason ? ": " : "",
		reason ? reason : "");
	if (s->hooks)
		hv_webhook_emit(s, ev);
	json_object_put(ev);
}

int hv_svc_record(struct hv_svc *s, const char *host,
		  const struct hv_svc_verdict *v, const char *reason)
{
	struct hv_judgement j = { 0 };
	json_object *tmp = NULL;
	enum hv_state was = HV_STATE_UNKNOWN;
	int64_t since = 0;
	int r, ret = -1;

	j.at = (int64_t)time(NULL);
	j.keep = s->cfg.history;
	if (v) {
		j.state = v->state;
		j.verdict = verdict_text(v->verdict, &tmp);
		j.failures = v->failures;
		j.policy = v->policy;
		hv_metrics_judged(s, v);
	} else {
		j.state = HV_STATE_UNREACHABLE;
		hv_metrics_unreachable(s);
	}
	r = hv_reg_host_judged(s->reg, host, &j, &was, &since);
	if (r < 0)
		goto out;
	if (r == HV_HOST_UNKNOWN) {
		/* Removed while its attestation ran: nothing to record. */
		ret = 0;
		goto out;
	}
	if (was != j.state)
		emit(s, host, was, since, j.state, j.at, v, reason);
	ret = 0;
out:
	json_object_put(tmp);
	return ret;
}
