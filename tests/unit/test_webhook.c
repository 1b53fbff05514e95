/* test_webhook.c: the webhook signature (a vector computed independently
 * with python3's hmac module and `openssl dgst -sha256 -hmac`), and the
 * refusals of hg_webhooks_new(), hg_webhooks_enqueue() and
 * hg_poller_new() that need no network (verifier/service/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "../../verifier/service/poller.h"
#include "../../verifier/service/webhook.h"

static const uint8_t SECRET[] = "0123456789abcdef0123456789abcdef";
#define SECRET_LEN 32
#define EV "{\"host\":\"h1\",\"state\":\"untrusted\"}"

static void test_sign_vector(void **state)
{
	char sig[HG_WEBHOOK_SIG_LEN];

	(void)state;
	/* python3: hmac.new(SECRET, b"1733400000." + EV, sha256).hexdigest() */
	assert_int_equal(hg_webhook_sign(SECRET, SECRET_LEN, "1733400000", EV,
					 strlen(EV), sig), 0);
	assert_string_equal(sig, "sha256=eca9109f70cac47049c6d9a45bb1be3616efd2cbd86a1c18fa10ee9b24dfb0b9");
	/* An empty body still signs "TIMESTAMP." */
	assert_int_equal(hg_webhook_sign(SECRET, SECRET_LEN, "1733400000", "", 0, sig), 0);
	assert_string_equal(sig, "sha256=d2c955369f36ee935af8961332dcedb5093ff445560ef08ac96a596b22dcc52b");
	/* Another timestamp, another signature: a replayed body with a
	 * fresh timestamp does not carry a valid signature. */
	assert_int_equal(hg_webhook_sign(SECRET, SECRET_LEN, "1733400001", EV,
					 strlen(EV), sig), 0);
	assert_string_not_equal(sig, "sha256=eca9109f70cac47049c6d9a45bb1be3616efd2cbd86a1c18fa10ee9b24dfb0b9");
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_webhook.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

static void test_new_refusals(void **state)
{
	struct event_base *base = event_base_new();
	char *ca = write_tmp("not really a CA, only readable\n");
	struct hg_poller_tls tls = { .ca_file = ca }, none = { 0 };
	struct hg_poller_tls half = { .cert_file = ca, .ca_file = ca };
	struct hg_poller_tls missing = { .ca_file = "/nonexistent/ca.pem" };
	char err[256];

	(void)state;
	assert_null(hg_webhooks_new(base, "http://example.org/hook", SECRET, SECRET_LEN,
				    &tls, 8, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "not an https:// URL"));
	assert_null(hg_webhooks_new(base, "https://example.org/hook", SECRET, 15,
				    &tls, 8, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "15 bytes, fewer than 16"));
	assert_null(hg_webhooks_new(base, "https://example.org/hook", SECRET, SECRET_LEN,
				    &tls, 0, NULL, err, sizeof(err)));
	assert_null(hg_poller_new(base, &none, 1000, 1024, 4, err, sizeof(err)));
	assert_non_null(strstr(err, "no CA file"));
	assert_null(hg_poller_new(base, &half, 1000, 1024, 4, err, sizeof(err)));
	assert_non_null(strstr(err, "needs its key"));
	assert_null(hg_poller_new(base, &missing, 1000, 1024, 4, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
	assert_null(hg_poller_new(base, &tls, 0, 1024, 4, err, sizeof(err)));
	assert_null(hg_poller_new(base, &tls, 1000, 0, 4, err, sizeof(err)));
	assert_null(hg_poller_new(base, &tls, 1000, 1024, 0, err, sizeof(err)));
	unlink(ca);
	free(ca);
	event_base_free(base);
}

static unsigned fates;

static void count_fate(void *arg, uint64_t id, enum hg_webhook_fate fate,
		       unsigned attempts, const char *why)
{
	(void)arg, (void)id, (void)fate, (void)attempts, (void)why;
	fates++;
}

static void test_enqueue_refusals(void **state)
{
	struct event_base *base = event_base_new();
	char *ca = write_tmp("x\n");
	struct hg_poller_tls tls = { .ca_file = ca };
	struct hg_webhook_tune t;
	struct hg_webhook_stat st;
	struct hg_webhooks *w;
	char err[256], *big;

	(void)state;
	hg_webhook_tune_default(&t);
	t.max_event = 64;
	t.max_attempts = 3;
	t.fate = count_fate;
	/* Port 1 on loopback: nothing is sent while the loop does not run. */
	w = hg_webhooks_new(base, "https://127.0.0.1:1/hook", SECRET, SECRET_LEN,
			    &tls, 8, &t, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(hg_webhooks_emit(w, "not json"), -1);
	assert_int_equal(hg_webhooks_emit(w, "[1,2]"), -1);          /* not an object */
	assert_int_equal(hg_webhooks_emit(w, "{\"a\":1}{\"b\":2}"), -1); /* trailing bytes */
	big = malloc(100);
	memset(big, ' ', 99);
	memcpy(big, "{\"a\":\"", 6);
	memset(big + 6, 'x', 91);
	memcpy(big + 97, "\"}", 3);      /* 99 bytes + NUL: beyond 64 */
	assert_int_equal(hg_webhooks_emit(w, big), -1);
	free(big);
	assert_int_equal(hg_webhooks_enqueue(w, 7, EV, 3), 0);      /* attempts exhausted */
	assert_int_equal(hg_webhooks_enqueue(w, 41, EV, 2), 41);    /* re-enqueued after a restart */
	assert_int_equal(hg_webhooks_enqueue(w, 0, EV, 0), 42);     /* ids continue past it */
	hg_webhooks_stats(w, &st);
	assert_int_equal(st.dropped, 5);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.delivered, 0);
	hg_webhooks_free(w);
	/* Events held at free are neither delivered nor dropped. */
	assert_int_equal(fates, 0);
	unlink(ca);
	free(ca);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_vector),
		cmocka_unit_test(test_new_refusals),
		cmocka_unit_test(test_enqueue_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
