/* test_registry_fleet.c: the registry's schema 3, what the verifier
 * service keeps (registry.h, issue 14 item 2):
 *  - a schema-2 file migrates to 3 in one step: its hosts become
 *    "unknown" since their enrollment, nothing else changes;
 *  - a judgement records state, verdict and one history row; "since"
 *    moves only when the state changes; the history keeps the newest N;
 *    unreachable keeps the last verdict;
 *  - nonces: used once; a replay, an expired, a foreign and an unknown
 *    nonce are told apart; a foreign try does not spend it; a host
 *    holds a bounded number;
 *  - policies: versions, an identical text is not a new version,
 *    assignments to hosts and groups (the host's own wins), unknown
 *    policy or host refused, the assigned version in the status;
 *  - removal drops a host's verdicts, nonces and assignment, rename
 *    moves them, re-enrollment resets the state and incremental blob;
 *  - agent URL and group rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "../../verifier/registry/registry.h"
#include "registry_fx.h"

/* A host enrolled through a challenge (id IDB), EK ek, AK ak_1. */
static void enrolled(struct hv_reg *reg, uint8_t idb, const char *host,
		     uint8_t ek, int64_t now)
{
	uint8_t id[HV_CHALLENGE_ID_LEN];

	add_tpm(reg, idb, host, ek, ek, idb, 0, now - 1);
	id_of(id, idb);
	assert_int_equal(hv_reg_enroll(reg, id, now, NULL, NULL, NULL), 0);
}

static struct hv_judgement judge(enum hv_state s, int64_t at,
				 const char *verdict, unsigned keep)
{
	struct hv_judgement j = {
		.state = s, .at = at, .verdict = verdict, .failures = 2,
		.policy = "p@1", .keep = keep,
	};
	return j;
}

struct hist {
	int n;
	int64_t at[16];
	enum hv_state st[16];
	char v[16][32];
};

static int hist_cb(void *arg, int64_t at, enum hv_state state,
		   const char *verdict)
{
	struct hist *h = arg;

	h->at[h->n] = at;
	h->st[h->n] = state;
	snprintf(h->v[h->n], sizeof(h->v[0]), "%s", verdict ? verdict : "-");
	h->n++;
	return 0;
}

#define V2_SCHEMA \
	"PRAGMA application_id = 1751609957; PRAGMA user_version = 2;" \
	"CREATE TABLE hosts (name TEXT PRIMARY KEY NOT NULL," \
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32)," \
	" ek_cert BLOB NOT NULL, ak_pub BLOB NOT NULL," \
	" enrolled_at INTEGER NOT NULL, first_enrolled_at INTEGER NOT NULL," \
	" replacements INTEGER NOT NULL DEFAULT 0, ek_key BLOB, ak_name BLOB);" \
	"CREATE TABLE challenges (id BLOB PRIMARY KEY NOT NULL, host TEXT NOT NULL," \
	" \"replace\" INTEGER NOT NULL, secret_sha256 BLOB NOT NULL," \
	" ek_fpr BLOB NOT NULL, ek_cert BLOB NOT NULL, ak_pub BLOB NOT NULL," \
	" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL," \
	" answered_at INTEGER NOT NULL DEFAULT 0, ek_key BLOB, ak_name BLOB);" \
	"CREATE TABLE enrollments (id INTEGER PRIMARY KEY, host TEXT NOT NULL," \
	" at INTEGER NOT NULL, ek_fpr BLOB NOT NULL, ak_pub BLOB NOT NULL," \
	" previous_ek_fpr BLOB, replaced INTEGER NOT NULL);" \
	"CREATE TABLE events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL," \
	" event TEXT NOT NULL, host TEXT NOT NULL, other TEXT);" \
	"CREATE UNIQUE INDEX hosts_ek_key ON hosts(ek_key);" \
	"CREATE UNIQUE INDEX hosts_ak_name ON hosts(ak_name);" \
	"INSERT INTO hosts VALUES ('old1', zeroblob(32), x'01', x'01', 777," \
	" 700, 0, zeroblob(32), x'000b01');" \
	"INSERT INTO enrollments (host, at, ek_fpr, ak_pub, replaced)" \
	" VALUES ('old1', 777, zeroblob(32), x'01', 0);"

static int one_status(const struct hv_host_status *s, void *arg)
{
	struct hv_host_status *out = arg;

	out->state = s->state;
	out->since = s->since;
	out->checked_at = s->checked_at;
	out->agent_url = s->agent_url ? strdup(s->agent_url) : NULL;
	return 0;
}

static void test_migrate_v2(void **state)
{
	struct hv_reg *reg;
	struct hv_host h;
	struct hv_host_status s = { 0 };

	(void)state;
	raw_exec(dbpath, V2_SCHEMA);
	reg = open_rw();
	assert_int_equal(raw_int("PRAGMA user_version"), HV_REG_SCHEMA);
	assert_int_equal(hv_reg_host_get(reg, "old1", &h), 1);
	assert_int_equal(h.enrolled_at, 777);
	hv_host_free(&h);
	assert_int_equal(hv_reg_statuses(reg, one_status, &s), 0);
	assert_int_equal(s.state, HV_STATE_UNKNOWN);
	assert_int_equal(s.since, 777);
	assert_int_equal(s.checked_at, 0);
	assert_null(s.agent_url);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM verdicts"), 0);
	hv_reg_close(reg);
	/* Opened again: already current, nothing to do. */
	reg = open_rw();
	assert_int_equal(raw_int("PRAGMA user_version"), HV_REG_SCHEMA);
	hv_reg_close(reg);
}

/* A schema-2 file whose migration cannot finish (a table of the new
 * schema already there) stays schema 2, untouched. */
static void test_migrate_v2_atomic(void **state)
{
	struct hv_reg *reg = NULL;

	(void)state;
	raw_exec(dbpath, V2_SCHEMA "CREATE TABLE nonces (x);");
	cap_start();
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDWR, &reg), -1);
	assert_non_null(strstr(cap_end(), "migrating to schema 3"));
	assert_int_equal(raw_int("PRAGMA user_version"), 2);
	assert_int_equal(raw_int("SELECT count(*) FROM pragma_table_info('hosts')"
				 " WHERE name = 'state'"), 0);
}

static void test_judged(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_host_status s;
	struct hv_judgement j;
	struct hist h = { 0 };
	enum hv_state was;
	int64_t was_since;

	(void)state;
	enrolled(reg, 1, "web1", 0xaa, T0);
	assert_int_equal(hv_reg_status_get(reg, "web1", 0, &s), 1);
	assert_int_equal(s.state, HV_STATE_UNKNOWN);
	assert_int_equal(s.since, T0);
	hv_host_status_free(&s);

	j = judge(HV_STATE_TRUSTED, T0 + 10, "{\"v\":1}", 3);
	assert_int_equal(hv_reg_host_judged(reg, "web1", &j, &was, &was_since), 0);
	assert_int_equal(was, HV_STATE_UNKNOWN);
	assert_int_equal(was_since, T0);
	j = judge(HV_STATE_TRUSTED, T0 + 20, "{\"v\":2}", 3);
	assert_int_equal(hv_reg_host_judged(reg, "web1", &j, &was, NULL), 0);
	assert_int_equal(was, HV_STATE_TRUSTED);
	assert_int_equal(hv_reg_status_get(reg, "web1", 0, &s), 1);
	assert_int_equal(s.since, T0 + 10);          /* same state: kept */
	assert_int_equal(s.checked_at, T0 + 20);
	assert_string_equal(s.verdict, "{\"v\":2}");
	assert_string_equal(s.judged_policy, "p@1");
	assert_int_equal(s.failures, 2);
	hv_host_status_free(&s);
	/* Unreachable keeps the last verdict. */
	j = judge(HV_STATE_UNREACHABLE, T0 + 30, NULL, 3);
	assert_int_equal(hv_reg_host_judged(reg, "web1", &j, &was, NULL), 0);
	assert_int_equal(hv_reg_status_get(reg, "web1", 0, &s), 1);
	assert_int_equal(s.state, HV_STATE_UNREACHABLE);
	assert_int_equal(s.since, T0 + 30);
	assert_string_equal(s.verdict, "{\"v\":2}");
	hv_host_status_free(&s);
	j = judge(HV_STATE_UNTRUSTED, T0 + 40, "{\"v\":4}", 3);
	assert_int_equal(hv_reg_host_judged(reg, "web1", &j, &was, NULL), 0);
	assert_int_equal(was, HV_STATE_UNREACHABLE);
	/* Bounded: the newest 3 of 4, newest first. */
	assert_int_equal(hv_reg_history(reg, "web1", 100, hist_cb, &h), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.at[0], T0 + 40);
	assert_int_equal(h.st[0], HV_STATE_UNTRUSTED);
	assert_string_equal(h.v[1], "-");
	assert_string_equal(h.v[2], "{\"v\":2}");
	assert_int_equal(raw_int("SELECT count(*) FROM verdicts"), 3);
	memset(&h, 0, sizeof(h));
	assert_int_equal(hv_reg_history(reg, "web1", 1, hist_cb, &h), 0);
	assert_int_equal(h.n, 1);
	/* Unknown host; bad judgements. */
	assert_int_equal(hv_reg_host_judged(reg, "nope", &j, NULL, NULL),
			 HV_HOST_UNKNOWN);
	j.keep = 0;
	cap_start();
	assert_int_equal(hv_reg_host_judged(reg, "web1", &j, NULL, NULL), -1);
	assert_non_null(strstr(cap_end(), "bad judgement"));
	hv_reg_close(reg);
}

static void test_nonces(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t n1[HV_NONCE_BYTES], n2[HV_NONCE_BYTES], n3[HV_NONCE_BYTES];

	(void)state;
	memset(n1, 1, sizeof(n1));
	memset(n2, 2, sizeof(n2));
	memset(n3, 3, sizeof(n3));
	enrolled(reg, 1, "web1", 0xaa, T0);
	enrolled(reg, 2, "web2", 0xbb, T0);
	assert_int_equal(hv_reg_nonce_add(reg, n1, "web1", T0, 60, 2), 0);
	assert_int_equal(hv_reg_nonce_add(reg, n2, "web1", T0, 60, 2), 0);
	/* Bounded per host. */
	assert_int_equal(hv_reg_nonce_add(reg, n3, "web1", T0, 60, 2),
			 HV_NONCE_TOO_MANY);
	assert_int_equal(hv_reg_nonce_add(reg, n3, "ghost", T0, 60, 2),
			 HV_HOST_UNKNOWN);
	/* Foreign: refused and not spent. */
	assert_int_equal(hv_reg_nonce_take(reg, n1, "web2", T0 + 1),
			 HV_NONCE_FOREIGN);
	assert_int_equal(hv_reg_nonce_take(reg, n1, "web1", T0 + 1), 0);
	assert_int_equal(hv_reg_nonce_take(reg, n1, "web1", T0 + 2),
			 HV_NONCE_USED);
	/* Expired at exactly created + ttl. */
	assert_int_equal(hv_reg_nonce_take(reg, n2, "web1", T0 + 60),
			 HV_NONCE_EXPIRED);
	assert_int_equal(hv_reg_nonce_take(reg, n3, "web1", T0 + 1),
			 HV_NONCE_UNKNOWN);
	/* A used one frees its slot. */
	assert_int_equal(hv_reg_nonce_add(reg, n3, "web1", T0 + 3, 60, 2), 0);
	/* Purged an hour after expiry: a replay then is unknown. */
	memset(n2, 4, sizeof(n2));
	assert_int_equal(hv_reg_nonce_add(reg, n2, "web2", T0 + 4000, 60, 2), 0);
	assert_int_equal(hv_reg_nonce_take(reg, n1, "web1", T0 + 4000),
			 HV_NONCE_UNKNOWN);
	hv_reg_close(reg);
}

struct asg {
	int n;
	char s[8][80];
};

static int asg_cb(void *arg, enum hv_assign_kind kind, const char *target,
		  const char *policy)
{
	struct asg *a = arg;

	snprintf(a->s[a->n++], sizeof(a->s[0]), "%s %s %s",
		 kind == HV_ASSIGN_HOST ? "host" : "group", target, policy);
	return 0;
}

static void test_policies(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_policy_rec p;
	struct hv_host_status s;
	struct asg a = { 0 };
	int64_t v;
	int unchanged;

	(void)state;
	enrolled(reg, 1, "web1", 0xaa, T0);
	enrolled(reg, 2, "web2", 0xbb, T0);
	assert_int_equal(hv_reg_policy_add(reg, "base", "{\"a\":1}", 7, T0, &v,
					   &unchanged), 0);
	assert_int_equal(v, 1);
	assert_int_equal(unchanged, 0);
	assert_int_equal(hv_reg_policy_add(reg, "base", "{\"a\":1}", 7, T0, &v,
					   &unchanged), 0);
	assert_int_equal(v, 1);
	assert_int_equal(unchanged, 1);
	assert_int_equal(hv_reg_policy_add(reg, "strict", "{\"s\":1}", 7, T0,
					   &v, &unchanged), 0);
	assert_int_equal(hv_reg_policy_assign(reg, "nope", HV_ASSIGN_HOST,
					      "web1", T0), HV_POLICY_UNKNOWN);
	assert_int_equal(hv_reg_policy_assign(reg, "base", HV_ASSIGN_HOST,
					      "ghost", T0), HV_HOST_UNKNOWN);
	assert_int_equal(hv_reg_policy_assign(reg, "base", HV_ASSIGN_GROUP,
					      "edge", T0), 0);
	assert_int_equal(hv_reg_host_policy(reg, "web1", &p), 0);  /* no group yet */
	assert_int_equal(hv_reg_host_set_group(reg, "web1", "edge"), 0);
	assert_int_equal(hv_reg_host_set_group(reg, "web2", "edge"), 0);
	assert_int_equal(hv_reg_host_policy(reg, "web1", &p), 1);
	assert_string_equal(p.name, "base");
	hv_policy_rec_free(&p);
	/* The host's own assignment wins over its group's. */
	assert_int_equal(hv_reg_policy_assign(reg, "strict", HV_ASSIGN_HOST,
					      "web2", T0), 0);
	assert_int_equal(hv_reg_host_policy(reg, "web2", &p), 1);
	assert_string_equal(p.name, "strict");
	assert_string_equal(p.text, "{\"s\":1}");
	hv_policy_rec_free(&p);
	/* A new version shows in the status: the cue to re-judge. */
	assert_int_equal(hv_reg_status_get(reg, "web1", 0, &s), 1);
	assert_string_equal(s.policy, "base@1");
	assert_string_equal(s.group, "edge");
	hv_host_status_free(&s);
	assert_int_equal(hv_reg_policy_add(reg, "base", "{\"a\":2}", 7, T0 + 1,
					   &v, &unchanged), 0);
	assert_int_equal(v, 2);
	assert_int_equal(hv_reg_status_get(reg, "web1", 0, &s), 1);
	assert_string_equal(s.policy, "base@2");
	hv_host_status_free(&s);
	assert_int_equal(hv_reg_policy_get(reg, "base", 1, &p), 1);
	assert_string_equal(p.text, "{\"a\":1}");
	hv_policy_rec_free(&p);
	assert_int_equal(hv_reg_assignments(reg, asg_cb, &a), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.s[0], "host web2 strict");
	assert_string_equal(a.s[1], "group edge base");
	/* Bad names. */
	cap_start();
	assert_int_equal(hv_reg_policy_add(reg, "../x", "{}", 2, T0, &v,
					   &unchanged), -1);
	cap_end();
	cap_start();
	assert_int_equal(hv_reg_host_set_group(reg, "web1", "a b"), -1);
	cap_end();
	hv_reg_close(reg);
}

static void test_remove_rename_reenroll(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_judgement j = judge(HV_STATE_TRUSTED, T0 + 10, "{}", 5);
	struct hv_host_status s;
	uint8_t n1[HV_NONCE_BYTES], blob[3] = { 1, 2, 3 };
	int64_t v;
	int unchanged;

	(void)state;
	memset(n1, 1, sizeof(n1));
	enrolled(reg, 1, "web1", 0xaa, T0);
	assert_int_equal(hv_reg_policy_add(reg, "base", "{}", 2, T0, &v,
					   &unchanged), 0);
	assert_int_equal(hv_reg_policy_assign(reg, "base", HV_ASSIGN_HOST,
					      "web1", T0), 0);
	assert_int_equal(hv_reg_host_judged(reg, "web1", &j, NULL, NULL), 0);
	assert_int_equal(hv_reg_nonce_add(reg, n1, "web1", T0, 60, 4), 0);
	assert_int_equal(hv_reg_incr_set(reg, "web1", blob, 3), 0);
	assert_int_equal(hv_reg_host_rename(reg, "web1", "web9", T0 + 11), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM verdicts WHERE host = 'web9'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM assignments WHERE target = 'web9'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM nonces"), 0);
	assert_int_equal(hv_reg_status_get(reg, "web9", 1, &s), 1);
	assert_int_equal(s.state, HV_STATE_TRUSTED);
	assert_int_equal(s.incr_len, 3);
	assert_memory_equal(s.incr, blob, 3);
	hv_host_status_free(&s);
	/* Re-enrollment: state and blob start afresh. */
	add_tpm(reg, 7, "web9", 0xaa, 0xaa, 1, 0, T0 + 12);
	{
		uint8_t id[HV_CHALLENGE_ID_LEN];

		id_of(id, 7);
		assert_int_equal(hv_reg_enroll(reg, id, T0 + 13, NULL, NULL, NULL), 0);
	}
	assert_int_equal(hv_reg_status_get(reg, "web9", 1, &s), 1);
	assert_int_equal(s.state, HV_STATE_UNKNOWN);
	assert_int_equal(s.since, T0 + 13);
	assert_null(s.incr);
	hv_host_status_free(&s);
	assert_int_equal(hv_reg_host_remove(reg, "web9", T0 + 14), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM verdicts"), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM assignments"), 0);
	assert_int_equal(hv_reg_incr_set(reg, "web9", blob, 3), HV_HOST_UNKNOWN);
	hv_reg_close(reg);
}

static void test_agent_url(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_host_status s;
	char long_url[HV_URL_MAX + 2];

	(void)state;
	enrolled(reg, 1, "web1", 0xaa, T0);
	assert_int_equal(hv_reg_host_set_agent(reg, "web1",
					       "https://web1:8443"), 0);
	assert_int_equal(hv_reg_status_get(reg, "web1", 0, &s), 1);
	assert_string_equal(s.agent_url, "https://web1:8443");
	hv_host_status_free(&s);
	assert_int_equal(hv_reg_host_set_agent(reg, "nope", "https://x"),
			 HV_HOST_UNKNOWN);
	cap_start();
	assert_int_equal(hv_reg_host_set_agent(reg, "web1", "http://web1"), -1);
	assert_non_null(strstr(cap_end(), "not an https:// URL"));
	cap_start();
	assert_int_equal(hv_reg_host_set_agent(reg, "web1", "https://a b"), -1);
	cap_end();
	memcpy(long_url, "https://", 8);
	memset(long_url + 8, 'a', sizeof(long_url) - 9);
	long_url[sizeof(long_url) - 1] = '\0';
	cap_start();
	assert_int_equal(hv_reg_host_set_agent(reg, "web1", long_url), -1);
	cap_end();
	assert_int_equal(hv_reg_host_set_agent(reg, "web1", NULL), 0);
	assert_int_equal(hv_reg_status_get(reg, "web1", 0, &s), 1);
	assert_null(s.agent_url);
	hv_host_status_free(&s);
	hv_reg_close(reg);
}

int main(void)
{
	static const char *const sqlite_only[] = {
		"test_migrate_v2",
		"test_migrate_v2_atomic",
		NULL,
	};
	struct CMUnitTest tests[] = {
		T(test_migrate_v2),
		T(test_migrate_v2_atomic),
		T(test_judged),
		T(test_nonces),
		T(test_policies),
		T(test_remove_rename_reenroll),
		T(test_agent_url),
	};

	return fx_run("test_registry_fleet", tests, sizeof(tests) / sizeof(tests[0]),
		      sqlite_only);
}
