/* test_registry_enroll.c: the host registry's challenges and enrollment
 * (verifier/registry_enroll.c, registry_hosts.c): challenges stored and
 * read back, purging, every hv_reg_enroll outcome, history, spending,
 * the host listing and two writers racing on one challenge. The
 * registry file itself is tested in test_registry.c; the shared helpers
 * are in registry_fx.c. Each test works in its own directory under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry_fx.h"

/* ---- challenges ------------------------------------------------------- */

static void test_challenge_add_get_unknown(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_challenge c, got;
	uint8_t id[HV_CHALLENGE_ID_LEN];

	(void)state;
	mk_challenge(&c, 0x11, "web1", 0xaa, 1, ak_1, sizeof(ak_1), T0);
	assert_int_equal(hv_reg_challenge_add(reg, &c), 0);
	assert_int_equal(hv_reg_challenge_get(reg, c.id, &got), 1);
	assert_memory_equal(got.id, c.id, HV_CHALLENGE_ID_LEN);
	assert_string_equal(got.host, "web1");
	assert_int_equal(got.replace, 1);
	assert_memory_equal(got.secret_sha256, c.secret_sha256, 32);
	assert_memory_equal(got.ek_fpr, c.ek_fpr, 32);
	assert_int_equal(got.ek_cert_len, sizeof(ek_cert_a));
	assert_memory_equal(got.ek_cert, ek_cert_a, sizeof(ek_cert_a));
	assert_int_equal(got.ak_pub_len, sizeof(ak_1));
	assert_memory_equal(got.ak_pub, ak_1, sizeof(ak_1));
	assert_int_equal(got.created_at, T0);
	assert_int_equal(got.expires_at, T0 + 300);
	assert_int_equal(got.answered_at, 0);
	hv_challenge_free(&got);
	assert_null(got.host);
	hv_challenge_free(&got);        /* twice: zeroed is fine */

	id_of(id, 0x12);
	assert_int_equal(hv_reg_challenge_get(reg, id, &got), 0);
	assert_null(got.host);

	/* The id must be new; bad input is refused before SQL. */
	cap_start();
	assert_int_equal(hv_reg_challenge_add(reg, &c), -1);
	assert_non_null(strstr(cap_end(), fx_pg ?
			       "duplicate key value violates unique constraint" :
			       "UNIQUE constraint failed"));
	mk_challenge(&c, 0x13, "../etc", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	cap_start();
	assert_int_equal(hv_reg_challenge_add(reg, &c), -1);
	assert_non_null(strstr(cap_end(), "bad host name"));
	mk_challenge(&c, 0x14, "web1", 0xaa, 0, ak_1, 0, T0);
	cap_start();
	assert_int_equal(hv_reg_challenge_add(reg, &c), -1);
	assert_non_null(strstr(cap_end(), "empty EK certificate or AK"));
	assert_int_equal(raw_int("SELECT count(*) FROM challenges"), 1);
	hv_reg_close(reg);
}

static void test_purge_old_challenges(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN];
	const int64_t day = 86400;

	(void)state;
	/* 0x01 answered at T0 + 10, 0x02 pending, expires T0 + 300,
	 * 0x03 answered a day later. */
	add(reg, 0x01, "a", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0x01);
	assert_int_equal(hv_reg_challenge_spend(reg, id, T0 + 10), 0);
	add(reg, 0x02, "b", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	add(reg, 0x03, "c", 0xaa, 0, ak_1, sizeof(ak_1), T0 + day);
	id_of(id, 0x03);
	assert_int_equal(hv_reg_challenge_spend(reg, id, T0 + day + 20), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM challenges"), 3);
	/* Answered exactly a day before: kept. */
	add(reg, 0x04, "d", 0xaa, 0, ak_1, sizeof(ak_1), T0 + day + 10);
	assert_int_equal(raw_int("SELECT count(*) FROM challenges"), 4);
	/* A second more: 0x01 goes. */
	add(reg, 0x05, "e", 0xaa, 0, ak_1, sizeof(ak_1), T0 + day + 11);
	assert_int_equal(raw_int("SELECT count(*) FROM challenges"), 4);
	assert_int_equal(raw_int("SELECT count(*) FROM challenges WHERE"
				 " id = x'01010101010101010101010101010101'"), 0);
	/* Expired more than a day ago, never answered: 0x02 goes. */
	add(reg, 0x06, "f", 0xaa, 0, ak_1, sizeof(ak_1), T0 + day + 301);
	assert_int_equal(raw_int("SELECT count(*) FROM challenges"), 4);
	id_of(id, 0x02);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + day + 302, NULL, NULL, NULL),
			 HV_ENROLL_UNKNOWN);
	id_of(id, 0x01);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + day + 302, NULL, NULL, NULL),
			 HV_ENROLL_UNKNOWN);
	/* The recent ones stay: 0x03 answered, 0x04 still enrollable. */
	assert_int_equal(answered_at(reg, 0x03), T0 + day + 20);
	id_of(id, 0x04);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + day + 302, NULL, NULL, NULL), 0);
	hv_reg_close(reg);
}

/* ---- enrollment ------------------------------------------------------- */

static void test_enroll_new_host(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN], old[32], aa[32], zero[32] = { 0 };
	struct hv_host h;

	(void)state;
	add(reg, 0x21, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0x21);
	memset(old, 0xff, sizeof(old));
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, old, NULL, NULL), 0);
	assert_memory_equal(old, zero, 32);      /* no EK changed */
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 1);
	assert_string_equal(h.name, "web1");
	memset(aa, 0xaa, sizeof(aa));
	assert_memory_equal(h.ek_fpr, aa, 32);
	assert_int_equal(h.ek_cert_len, sizeof(ek_cert_a));
	assert_memory_equal(h.ek_cert, ek_cert_a, sizeof(ek_cert_a));
	assert_int_equal(h.ak_pub_len, sizeof(ak_1));
	assert_memory_equal(h.ak_pub, ak_1, sizeof(ak_1));
	assert_int_equal(h.enrolled_at, T0 + 5);
	assert_int_equal(h.first_enrolled_at, T0 + 5);
	assert_int_equal(h.replacements, 0);
	hv_host_free(&h);
	assert_int_equal(answered_at(reg, 0x21), T0 + 5);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments WHERE"
				 " host = 'web1' AND at = 1700000005 AND"
				 " previous_ek_fpr IS NULL AND replaced = 0"), 1);
	assert_int_equal(hv_reg_host_get(reg, "web2", &h), 0);
	assert_int_equal(hv_reg_host_get(reg, "bad/name", &h), 0);
	hv_reg_close(reg);
}

static void test_enroll_replay(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN];
	struct hv_host h;

	(void)state;
	add(reg, 0x31, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0x31);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, NULL, NULL, NULL), 0);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 6, NULL, NULL, NULL),
			 HV_ENROLL_ANSWERED);
	assert_int_equal(answered_at(reg, 0x31), T0 + 5);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 1);
	assert_int_equal(h.enrolled_at, T0 + 5);
	hv_host_free(&h);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 1);
	hv_reg_close(reg);
}

static void test_enroll_expired_and_unknown(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN];
	struct hv_host h;

	(void)state;
	add(reg, 0x41, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0x41);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 301, NULL, NULL, NULL),
			 HV_ENROLL_EXPIRED);
	assert_int_equal(answered_at(reg, 0x41), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	/* At expires_at exactly it is not yet past. */
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 300, NULL, NULL, NULL), 0);
	id_of(id, 0x42);
	assert_int_equal(hv_reg_enroll(reg, id, T0, NULL, NULL, NULL), HV_ENROLL_UNKNOWN);
	cap_start();
	assert_int_equal(hv_reg_enroll(reg, id, 0, NULL, NULL, NULL), -1);
	assert_non_null(strstr(cap_end(), "bad time 0"));
	hv_reg_close(reg);
}

static void test_enroll_ek_changed(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN], old[32], aa[32];
	struct hv_host h;

	(void)state;
	memset(aa, 0xaa, 32);
	add(reg, 0x51, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0x51);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, NULL, NULL, NULL), 0);
	add(reg, 0x52, "web1", 0xbb, 0, ak_2, sizeof(ak_2), T0 + 100);
	id_of(id, 0x52);
	memset(old, 0, sizeof(old));
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 105, old, NULL, NULL),
			 HV_ENROLL_EK_CHANGED);
	assert_memory_equal(old, aa, 32);
	/* The host is as it was... */
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 1);
	assert_memory_equal(h.ek_fpr, aa, 32);
	assert_memory_equal(h.ek_cert, ek_cert_a, sizeof(ek_cert_a));
	assert_int_equal(h.ak_pub_len, sizeof(ak_1));
	assert_memory_equal(h.ak_pub, ak_1, sizeof(ak_1));
	assert_int_equal(h.enrolled_at, T0 + 5);
	assert_int_equal(h.replacements, 0);
	hv_host_free(&h);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 1);
	/* ...but the challenge is spent. */
	assert_int_equal(answered_at(reg, 0x52), T0 + 105);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 106, NULL, NULL, NULL),
			 HV_ENROLL_ANSWERED);
	hv_reg_close(reg);
}

static void test_enroll_replace(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN], old[32], aa[32], bb[32];
	uint8_t zero[32] = { 0 };
	struct hv_host h;

	(void)state;
	memset(aa, 0xaa, 32);
	memset(bb, 0xbb, 32);
	add(reg, 0x61, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0x61);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, NULL, NULL, NULL), 0);
	add(reg, 0x62, "web1", 0xbb, 1, ak_2, sizeof(ak_2), T0 + 1000);
	id_of(id, 0x62);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 1005, old, NULL, NULL), 0);
	assert_memory_equal(old, aa, 32);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 1);
	assert_memory_equal(h.ek_fpr, bb, 32);
	assert_int_equal(h.ek_cert_len, sizeof(ek_cert_b));
	assert_memory_equal(h.ek_cert, ek_cert_b, sizeof(ek_cert_b));
	assert_memory_equal(h.ak_pub, ak_2, sizeof(ak_2));
	assert_int_equal(h.enrolled_at, T0 + 1005);
	assert_int_equal(h.first_enrolled_at, T0 + 5);
	assert_int_equal(h.replacements, 1);
	hv_host_free(&h);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"
				 " WHERE host = 'web1'"), 2);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments WHERE"
				 " id = (SELECT max(id) FROM enrollments) AND"
				 " replaced = 1 AND at = 1700001005 AND"
				 " previous_ek_fpr = x'" "aaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "'"), 1);

	/* A new AK on the same EK (with or without --replace) is no
	 * replacement: the count stays, old_fpr is zeroed. */
	add(reg, 0x63, "web1", 0xbb, 1, ak_1, sizeof(ak_1), T0 + 2000);
	id_of(id, 0x63);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 2001, old, NULL, NULL), 0);
	assert_memory_equal(old, zero, 32);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 1);
	assert_int_equal(h.replacements, 1);
	assert_memory_equal(h.ak_pub, ak_1, sizeof(ak_1));
	assert_int_equal(h.first_enrolled_at, T0 + 5);
	hv_host_free(&h);
	assert_int_equal(raw_int("SELECT replaced FROM enrollments WHERE"
				 " id = (SELECT max(id) FROM enrollments)"), 0);
	hv_reg_close(reg);
}

static void test_spend(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN];
	struct hv_host h;

	(void)state;
	add(reg, 0x71, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0x71);
	assert_int_equal(hv_reg_challenge_spend(reg, id, T0 + 1), 0);
	assert_int_equal(answered_at(reg, 0x71), T0 + 1);
	assert_int_equal(hv_reg_challenge_spend(reg, id, T0 + 2),
			 HV_ENROLL_ANSWERED);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 3, NULL, NULL, NULL),
			 HV_ENROLL_ANSWERED);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	id_of(id, 0x72);
	assert_int_equal(hv_reg_challenge_spend(reg, id, T0),
			 HV_ENROLL_UNKNOWN);
	hv_reg_close(reg);
}

static void test_hosts_order(void **state)
{
	static const char *const names[] = { "web2", "alpha", "db-1", "Zed",
					     "alpha.example.org" };
	static const char *const sorted[] = { "Zed", "alpha",
					      "alpha.example.org", "db-1",
					      "web2" };
	struct hv_reg *reg = open_rw();
	struct listing l = { .n = 0 };
	uint8_t id[HV_CHALLENGE_ID_LEN];

	(void)state;
	assert_int_equal(hv_reg_hosts(reg, collect, &l), 0);
	assert_int_equal(l.n, 0);
	for (int i = 0; i < 5; i++) {
		add_tpm(reg, (uint8_t)(0x80 + i), names[i], 0xaa,
			(uint8_t)(0x10 + i), (uint8_t)(0x10 + i), 0, T0);
		id_of(id, (uint8_t)(0x80 + i));
		assert_int_equal(hv_reg_enroll(reg, id, T0 + i, NULL, NULL, NULL), 0);
	}
	assert_int_equal(hv_reg_hosts(reg, collect, &l), 0);
	assert_int_equal(l.n, 5);
	for (int i = 0; i < 5; i++)
		assert_string_equal(l.names[i], sorted[i]);
	/* A non-zero return stops the walk and is passed back. */
	memset(&l, 0, sizeof(l));
	l.stop_at = 2;
	assert_int_equal(hv_reg_hosts(reg, collect, &l), 7);
	assert_int_equal(l.n, 2);
	hv_reg_close(reg);
}

/* ---- two writers ------------------------------------------------------ */

static void test_two_handles_one_challenge(void **state)
{
	struct hv_reg *a = open_rw(), *b = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN];

	(void)state;
	add(a, 0xd1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0xd1);
	assert_int_equal(hv_reg_enroll(b, id, T0 + 1, NULL, NULL, NULL), 0);
	assert_int_equal(hv_reg_enroll(a, id, T0 + 1, NULL, NULL, NULL),
			 HV_ENROLL_ANSWERED);
	hv_reg_close(a);
	hv_reg_close(b);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 1);
}

#define RACERS 4

static void test_processes_race(void **state)
{
	struct hv_reg *reg = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN];
	pid_t pids[RACERS];
	int ready[2], go[2], wins = 0, replays = 0;
	char ch;

	(void)state;
	add(reg, 0xe1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	hv_reg_close(reg);
	id_of(id, 0xe1);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct hv_reg *r = NULL;
			int rc;

			close(ready[0]);
			close(go[1]);
			if (hv_reg_open(dbpath, HV_REG_RDWR, &r) < 0)
				_exit(100);
			/* All open, then all at once. */
			if (write(ready[1], "r", 1) != 1 ||
			    read(go[0], &ch, 1) != 0)
				_exit(101);
			rc = hv_reg_enroll(r, id, T0 + 1, NULL, NULL, NULL);
			hv_reg_close(r);
			_exit(rc < 0 ? 102 : rc);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(read(ready[0], &ch, 1), 1);
	close(go[1]);                   /* EOF releases them together */
	close(ready[0]);
	for (int i = 0; i < RACERS; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			wins++;
		else if (WEXITSTATUS(st) == HV_ENROLL_ANSWERED)
			replays++;
		else
			fail_msg("racer %d exited %d", i, WEXITSTATUS(st));
	}
	assert_int_equal(wins, 1);
	assert_int_equal(replays, RACERS - 1);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM hosts"), 1);
}

int main(void)
{
	static const char *const sqlite_only[] = {
		NULL,
	};
	struct CMUnitTest tests[] = {
		T(test_challenge_add_get_unknown),
		T(test_purge_old_challenges),
		T(test_enroll_new_host),
		T(test_enroll_replay),
		T(test_enroll_expired_and_unknown),
		T(test_enroll_ek_changed),
		T(test_enroll_replace),
		T(test_spend),
		T(test_hosts_order),
		T(test_two_handles_one_challenge),
		T(test_processes_race),
	};

	return fx_run("test_registry_enroll", tests, sizeof(tests) / sizeof(tests[0]),
		      sqlite_only);
}
