/* test_registry_share.c: the registry's schema 4, what several serve
 * instances share (registry.h, registry_share.c, docs/fleet.md). Two
 * handles on one file stand for two instances (two connections, as two
 * processes have):
 *  - a host's lease goes to one claimer until it ends; its holder may
 *    renew it early; force takes it; the refused claimer learns when it
 *    ends; a release (leave) frees it at once;
 *  - a verdict made under a lease is recorded only while that lease is
 *    held (HV_LEASE_LOST, nothing written, otherwise), and names its
 *    instance in the history;
 *  - a change of state writes one outbox row in the judgement's
 *    transaction (none without a change); one claimer gets each row
 *    until its lease ends; a row is deleted only by its holder;
 *  - heartbeats: the live set; a lapsed lease is listed;
 *  - a push nonce added through one handle is spent once through either;
 *    an enrollment challenge likewise is answered once;
 *  - bad instance ids are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../verifier/registry/registry.h"
#include "registry_fx.h"

#define MS(s) ((int64_t)(s) * 1000)

static void enrolled(struct hv_reg *reg, uint8_t idb, const char *host,
		     int64_t now)
{
	uint8_t id[HV_CHALLENGE_ID_LEN];

	add_tpm(reg, idb, host, idb, idb, idb, 0, now - 1);
	id_of(id, idb);
	assert_int_equal(hv_reg_enroll(reg, id, now, NULL, NULL, NULL), 0);
}

static int claim1(struct hv_reg *reg, const char *id, const char *host,
		  int64_t now, int force, int64_t *until)
{
	const char *names[1] = { host };
	uint8_t granted = 9;
	int64_t u = -1;

	assert_int_equal(hv_reg_lease_claim(reg, id, names, 1, now, MS(10),
					    force, &granted, &u), 0);
	if (until)
		*until = granted ? 0 : u;
	return granted;
}

static void test_lease(void **state)
{
	struct hv_reg *a = open_rw(), *b = open_rw();
	int64_t until = 0;
	const char *names[3] = { "h1", "nosuch", "h2" };
	uint8_t granted[3];
	int64_t u[3];

	(void)state;
	enrolled(a, 1, "h1", T0);
	enrolled(a, 2, "h2", T0);
	assert_int_equal(claim1(a, "va", "h1", MS(T0), 0, NULL), 1);
	/* Held: the other instance is refused until it ends. */
	assert_int_equal(claim1(b, "vb", "h1", MS(T0) + 5, 0, &until), 0);
	assert_int_equal(until, MS(T0) + MS(10));
	assert_int_equal(claim1(b, "vb", "h1", MS(T0 + 10) - 1, 0, NULL), 0);
	/* The holder renews early (a policy change). */
	assert_int_equal(claim1(a, "va", "h1", MS(T0 + 1), 0, NULL), 1);
	assert_int_equal(claim1(b, "vb", "h1", MS(T0 + 10), 0, NULL), 0);
	/* Ended: the other gets it. */
	assert_int_equal(claim1(b, "vb", "h1", MS(T0 + 11), 0, NULL), 1);
	assert_int_equal(claim1(a, "va", "h1", MS(T0 + 12), 0, NULL), 0);
	/* Forced (on demand). */
	assert_int_equal(claim1(a, "va", "h1", MS(T0 + 12), 1, NULL), 1);
	/* A batch: one transaction, each told apart; no such host: 0. */
	assert_int_equal(hv_reg_lease_claim(b, "vb", names, 3, MS(T0 + 13),
					    MS(10), 0, granted, u), 0);
	assert_int_equal(granted[0], 0);
	assert_int_equal(u[0], MS(T0 + 22));
	assert_int_equal(granted[1], 0);
	assert_int_equal(u[1], 0);
	assert_int_equal(granted[2], 1);
	/* Leave releases at once. */
	assert_int_equal(hv_reg_instance_leave(a, "va"), 0);
	assert_int_equal(claim1(b, "vb", "h1", MS(T0 + 14), 0, NULL), 1);
	hv_reg_close(a);
	hv_reg_close(b);
}

static int count_cb(void *arg, const char *s)
{
	char *buf = arg;

	strcat(buf, s);
	strcat(buf, ",");
	return 0;
}

static void test_live_and_lapsed(void **state)
{
	struct hv_reg *a = open_rw();
	char buf[256] = "";

	(void)state;
	enrolled(a, 1, "h1", T0);
	enrolled(a, 2, "h2", T0);
	assert_int_equal(hv_reg_heartbeat(a, "va", MS(T0), MS(T0), 1000), 0);
	assert_int_equal(hv_reg_heartbeat(a, "vb", MS(T0), MS(T0 + 3), 1000), 0);
	assert_int_equal(hv_reg_instances_live(a, MS(T0 + 6), MS(5), count_cb, buf), 0);
	assert_string_equal(buf, "vb,");
	buf[0] = '\0';
	assert_int_equal(hv_reg_heartbeat(a, "va", MS(T0), MS(T0 + 6), 1000), 0);
	assert_int_equal(hv_reg_instances_live(a, MS(T0 + 6), MS(5), count_cb, buf), 0);
	assert_string_equal(buf, "va,vb,");
	/* Lapsed: ended before the bound; never-leased hosts are not. */
	assert_int_equal(claim1(a, "va", "h1", MS(T0), 0, NULL), 1);
	buf[0] = '\0';
	assert_int_equal(hv_reg_leases_lapsed(a, MS(T0 + 10), count_cb, buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(hv_reg_leases_lapsed(a, MS(T0 + 10) + 1, count_cb, buf), 0);
	assert_string_equal(buf, "h1,");
	hv_reg_close(a);
}

static struct hv_judgement judge(enum hv_state s, int64_t at, const char *inst,
				 int leased, const char *event)
{
	struct hv_judgement j = {
		.state = s, .at = at, .verdict = "{}", .policy = "p@1", .keep = 10,
		.instance = inst, .leased = leased, .event = event,
	};
	return j;
}

struct rows {
	int n;
	int64_t id[8];
	enum hv_state from[8], to[8];
	char detail[8][32];
	uint32_t claims[8];
};

static int row_cb(void *arg, const struct hv_outbox_row *r)
{
	struct rows *x = arg;

	x->id[x->n] = r->id;
	x->from[x->n] = r->from;
	x->to[x->n] = r->to;
	x->claims[x->n] = r->claims;
	snprintf(x->detail[x->n], sizeof(x->detail[0]), "%s", r->detail);
	x->n++;
	return 0;
}

static void test_judged_lease_and_outbox(void **state)
{
	struct hv_reg *a = open_rw(), *b = open_rw();
	struct hv_judgement j;
	struct rows ra = { 0 }, rb = { 0 };

	(void)state;
	enrolled(a, 1, "h1", T0);
	assert_int_equal(claim1(a, "va", "h1", MS(T0 + 1), 0, NULL), 1);
	/* va holds it: vb's verdict is refused, nothing written. */
	j = judge(HV_STATE_TRUSTED, T0 + 2, "vb", 1, "{\"n\":1}");
	assert_int_equal(hv_reg_host_judged(b, "h1", &j, NULL, NULL), HV_LEASE_LOST);
	assert_int_equal(raw_int("SELECT count(*) FROM verdicts"), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM outbox"), 0);
	/* va's: recorded, named, one event (unknown -> trusted). */
	j = judge(HV_STATE_TRUSTED, T0 + 2, "va", 1, "{\"n\":1}");
	assert_int_equal(hv_reg_host_judged(a, "h1", &j, NULL, NULL), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM verdicts WHERE instance = 'va'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM outbox"), 1);
	/* No change: no event. */
	j = judge(HV_STATE_TRUSTED, T0 + 3, "va", 1, "{\"n\":2}");
	assert_int_equal(hv_reg_host_judged(a, "h1", &j, NULL, NULL), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM outbox"), 1);
	/* A push (not leased) by vb: recorded whoever holds the lease. */
	j = judge(HV_STATE_UNTRUSTED, T0 + 4, "vb", 0, "{\"n\":3}");
	assert_int_equal(hv_reg_host_judged(b, "h1", &j, NULL, NULL), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM outbox"), 2);
	/* One claimer per row until the lease ends. */
	assert_int_equal(hv_reg_outbox_claim(a, "va", MS(T0 + 5), MS(30), 8,
					     row_cb, &ra), 0);
	assert_int_equal(hv_reg_outbox_claim(b, "vb", MS(T0 + 5), MS(30), 8,
					     row_cb, &rb), 0);
	assert_int_equal(ra.n, 2);
	assert_int_equal(rb.n, 0);
	assert_int_equal(ra.from[0] == HV_STATE_UNKNOWN || ra.from[1] == HV_STATE_UNKNOWN, 1);
	assert_int_equal(ra.claims[0], 1);
	/* Only its holder deletes a row. */
	assert_int_equal(hv_reg_outbox_done(b, ra.id[0], "vb"), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM outbox"), 2);
	assert_int_equal(hv_reg_outbox_done(a, ra.id[0], "va"), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM outbox"), 1);
	/* va dies: after the lease, vb delivers the rest (claims 2). */
	assert_int_equal(hv_reg_outbox_claim(b, "vb", MS(T0 + 34), MS(30), 8,
					     row_cb, &rb), 0);
	assert_int_equal(rb.n, 0);
	assert_int_equal(hv_reg_outbox_claim(b, "vb", MS(T0 + 35), MS(30), 8,
					     row_cb, &rb), 0);
	assert_int_equal(rb.n, 1);
	assert_int_equal(rb.id[0], ra.id[1]);
	assert_int_equal(rb.claims[0], 2);
	/* A heartbeat renews the rows an instance holds. */
	assert_int_equal(hv_reg_heartbeat(b, "vb", MS(T0), MS(T0 + 60), MS(30)), 0);
	memset(&ra, 0, sizeof(ra));
	assert_int_equal(hv_reg_outbox_claim(a, "va", MS(T0 + 70), MS(30), 8,
					     row_cb, &ra), 0);
	assert_int_equal(ra.n, 0);
	hv_reg_close(a);
	hv_reg_close(b);
}

/* Issued through one instance, spent once through any. */
static void test_nonce_and_challenge_across(void **state)
{
	struct hv_reg *a = open_rw(), *b = open_rw();
	uint8_t nonce[HV_NONCE_BYTES], id[HV_CHALLENGE_ID_LEN];

	(void)state;
	enrolled(a, 1, "h1", T0);
	memset(nonce, 0x5a, sizeof(nonce));
	assert_int_equal(hv_reg_nonce_add(a, nonce, "h1", T0, 60, 8), 0);
	assert_int_equal(hv_reg_nonce_take(b, nonce, "h1", T0 + 1), 0);
	assert_int_equal(hv_reg_nonce_take(a, nonce, "h1", T0 + 2), HV_NONCE_USED);
	assert_int_equal(hv_reg_nonce_take(b, nonce, "h1", T0 + 2), HV_NONCE_USED);
	/* A challenge made through A, answered through B, then not again. */
	add_tpm(a, 7, "h7", 7, 7, 7, 0, T0);
	id_of(id, 7);
	assert_int_equal(hv_reg_enroll(b, id, T0 + 1, NULL, NULL, NULL), 0);
	assert_int_equal(hv_reg_enroll(a, id, T0 + 2, NULL, NULL, NULL),
			 HV_ENROLL_ANSWERED);
	hv_reg_close(a);
	hv_reg_close(b);
}

static void test_bad_ids(void **state)
{
	struct hv_reg *a = open_rw();
	const char *names[1] = { "h1" };
	uint8_t g = 0;
	char long_id[HV_INSTANCE_ID_MAX + 2];

	(void)state;
	assert_int_equal(hv_instance_id_ok("host-1.example:1234"), 1);
	assert_int_equal(hv_instance_id_ok(""), 0);
	assert_int_equal(hv_instance_id_ok("a b"), 0);
	assert_int_equal(hv_instance_id_ok("a'b"), 0);
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(hv_instance_id_ok(long_id), 0);
	cap_start();
	assert_int_equal(hv_reg_lease_claim(a, "a b", names, 1, MS(T0), MS(1), 0,
					    &g, NULL), -1);
	assert_non_null(strstr(cap_end(), "bad instance id"));
	cap_start();
	assert_int_equal(hv_reg_heartbeat(a, "", MS(T0), MS(T0), 1), -1);
	assert_non_null(strstr(cap_end(), "bad instance id"));
	hv_reg_close(a);
}

int main(void)
{
	static const char *const sqlite_only[] = { NULL };
	struct CMUnitTest tests[] = {
		T(test_lease),
		T(test_live_and_lapsed),
		T(test_judged_lease_and_outbox),
		T(test_nonce_and_challenge_across),
		T(test_bad_ids),
	};

	return fx_run("test_registry_share", tests,
		      sizeof(tests) / sizeof(tests[0]), sqlite_only);
}
