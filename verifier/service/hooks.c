/* hooks.c: the service's webhooks (svc.h) on webhook.h: --webhook URL
 * and --webhook-secret-file F give one receiver; every change of a host's
 * state, a row of the registry's outbox (outbox.c), is queued for it
 * when this instance claims the row, HMAC-SHA256-signed (X-Hostgate-Signature over
 * X-Hostgate-Timestamp "." body), retried with back-off, the queue
 * bounded; on the loop, so a slow or failed receiver never blocks
 * attestation. The receiver's certificate is checked against
 * --webhook-ca, else the system's store.
 *
 * The secret is the file's bytes, a final newline excepted (echo writes
 * one), at least HG_WEBHOOK_SECRET_MIN; the file must not be readable by
 * group or others.
 */
#include "svc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#include "../../lib/util.h"
#include "webhook.h"

int hv_hooks_start(struct hv_svc *s, char *err, size_t errlen)
{
	struct hg_webhook_tune tune;
	struct hg_poller_tls tls = { .ca_file = s->cfg.webhook_ca,
				     .system_trust = !s->cfg.webhook_ca };
	const char *path = s->cfg.webhook_secret_file;
	uint8_t *secret = NULL;
	size_t len = 0;
	struct stat st;
	int ret = -1;

	if (!s->cfg.webhook_url)
		return 0;
	if (hg_read_file(path, 4096, 0, &secret, &len) < 0) {
		snprintf(err, errlen, "%s: %s", path, errno == EFBIG ?
			 "larger than 4 KiB" : hg_strerror_read(errno));
		goto out;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077)) {
		snprintf(err, errlen, "%s: readable by group or others (mode %04o):"
			 " chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (len && secret[len - 1] == '\n')
		len--;
	if (len < HG_WEBHOOK_SECRET_MIN) {
		snprintf(err, errlen, "%s: a webhook secret is at least %d bytes",
			 path, HG_WEBHOOK_SECRET_MIN);
		goto out;
	}
	/* The events come from the registry's outbox (outbox.c), which
	 * learns each one's end through the fate callback. */
	hg_webhook_tune_default(&tune);
	if (hv_outbox_start(s, &tune) < 0) {
		snprintf(err, errlen, "webhooks: out of memory");
		goto out;
	}
	s->hooks = hg_webhooks_new(s->base, s->cfg.webhook_url, secret, len,
				   &tls, HV_OUTBOX_QUEUE, &tune, err, errlen);
	if (!s->hooks)
		goto out;
	ret = 0;
out:
	if (secret)
		OPENSSL_cleanse(secret, len);
	free(secret);
	return ret;
}

void hv_hooks_stop(struct hv_svc *s)
{
	hg_webhooks_free(s->hooks);
	s->hooks = NULL;
	hv_outbox_stop(s);
}

void hv_webhook_counts(struct hv_svc *s, struct hv_webhook_counts *out)
{
	struct hg_webhook_stat st = { 0 };

	memset(out, 0, sizeof(*out));
	if (!s->hooks)
		return;
	hg_webhooks_stats(s->hooks, &st);
	out->sent = st.delivered;
	out->failed = st.retried;
	out->dropped = st.dropped;
}
