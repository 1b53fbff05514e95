/* test_registry_pg.c: the registry's PostgreSQL backend (verifier/
 * registry/db_pg.c, registry_pg.c): what it refuses and how it names
 * the database.
 *
 * Always (no server needed): a URI's password never reaches a message
 * (db_uri_redact, and the error lines of a bad URI and of a server that
 * refuses or never answers: one line, within the connect timeout).
 * With HG_TEST_PG_URI (tests/integration/t_registry_pg.sh starts a
 * private cluster; each test gets a fresh database, registry_fx.c): the
 * schema created at HV_REG_SCHEMA with exact types; refusal of another
 * program's database, of a hostgate schema without its marker, of a
 * newer schema, of triggers; a read-only open of an empty database;
 * rows read back as strictly as on SQLite; the data version; a wrong
 * password; and a connection lost and re-established.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "registry_fx.h"
#include "../../verifier/registry/db.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The error line of hv_reg_open(URI): exactly one line, without SECRET. */
static const char *open_fails(const char *uri, int mode)
{
	struct hv_reg *reg = (struct hv_reg *)1;
	const char *err;

	cap_start();
	assert_int_equal(hv_reg_open(uri, mode, &reg), -1);
	err = cap_end();
	assert_null(reg);
	assert_null(strstr(err, "s3cret"));
	assert_non_null(strchr(err, '\n'));
	assert_int_equal(strchr(err, '\n')[1], '\0');
	return err;
}

static void test_redact(void **state)
{
	static const char *const cases[][2] = {
		{ "postgresql://hg:s3cret@db.example:5432/reg",
		  "postgresql://hg@db.example:5432/reg" },
		{ "postgres://hg@db/reg", "postgres://hg@db/reg" },
		{ "postgresql://db/reg?password=s3cret&sslmode=require",
		  "postgresql://db/reg?sslmode=require" },
		{ "postgresql://db/reg?sslmode=require&password=s3cret",
		  "postgresql://db/reg?sslmode=require" },
		{ "postgresql://db/reg?password=s3cret", "postgresql://db/reg" },
		{ "postgresql://a:b:c@d@h/r", "postgresql://a@h/r" },
		{ "postgresql://h/r?x=a@b:c", "postgresql://h/r?x=a@b:c" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = db_uri_redact(cases[i][0]);

		assert_non_null(r);
		assert_string_equal(r, cases[i][1]);
		free(r);
	}
	assert_int_equal(db_is_pg_uri("postgresql://x"), 1);
	assert_int_equal(db_is_pg_uri("postgres://x"), 1);
	assert_int_equal(db_is_pg_uri("/var/lib/x.sqlite"), 0);
	assert_int_equal(db_is_pg_uri("postgresql:x"), 0);
}

static void test_bad_uri(void **state)
{
	const char *err;

	(void)state;
	err = open_fails("postgresql://hg:s3cret@127.0.0.1:notaport/reg",
			 HV_REG_RDWR);
	assert_non_null(strstr(err, "postgresql://hg@127.0.0.1:notaport/reg: connecting: "));
	assert_non_null(strstr(err, "notaport"));
	err = open_fails("postgresql://hg:s3cret@127.0.0.1/reg?nosuchoption=1",
			 HV_REG_RDONLY);
	assert_non_null(strstr(err, "nosuchoption"));
}

static void test_refused(void **state)
{
	double t0 = now_s();
	const char *err;

	(void)state;
	/* Port 1 on loopback: nothing listens; refused at once. */
	err = open_fails("postgresql://hg:s3cret@127.0.0.1:1/reg", HV_REG_RDWR);
	assert_non_null(strstr(err, "postgresql://hg@127.0.0.1:1/reg: connecting: "));
	assert_non_null(strstr(err, "refused"));
	assert_true(now_s() - t0 < 2.0);
}

/* A server that takes the connection and never answers: given up within
 * the connect timeout (the URI's connect_timeout=2 here). */
static void test_silent_server(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char uri[128];
	const char *err;
	double t0, dt;
	int fd;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(uri, sizeof(uri), "postgresql://hg:s3cret@127.0.0.1:%u/reg"
		 "?connect_timeout=2&sslmode=disable", ntohs(a.sin_port));
	t0 = now_s();
	err = open_fails(uri, HV_REG_RDWR);
	dt = now_s() - t0;
	close(fd);
	assert_non_null(strstr(err, "connecting: "));
	assert_non_null(strstr(err, "timeout"));
	if (dt < 1.5 || dt > 5.0)
		fail_msg("gave up after %.1f s, not about 2 s", dt);
}

/* ---- with a server ----------------------------------------------------- */

static void test_create_reopen(void **state)
{
	struct hv_reg *reg;
	struct hv_host h;

	(void)state;
	hv_reg_close(open_rw());
	assert_int_equal(raw_int("SELECT version FROM registry"), HV_REG_SCHEMA);
	assert_int_equal(raw_int("SELECT count(*) FROM registry WHERE"
				 " application = 'hostgate-registry'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM pg_tables WHERE"
				 " schemaname = 'hostgate'"), 11);
	/* Types exact: what SQLite calls INTEGER and BLOB. */
	assert_int_equal(raw_int("SELECT count(*) FROM information_schema.columns"
				 " WHERE table_schema = 'hostgate' AND"
				 " data_type NOT IN ('bigint', 'bytea', 'text',"
				 " 'integer')"), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM information_schema.columns"
				 " WHERE table_schema = 'hostgate' AND"
				 " data_type = 'integer'"), 1);   /* registry.id */
	assert_int_equal(raw_int("SELECT count(*) FROM information_schema.columns"
				 " WHERE table_schema = 'hostgate' AND"
				 " column_name IN ('ek_fpr', 'ak_pub', 'nonce',"
				 " 'incr_state') AND data_type <> 'bytea'"), 0);
	reg = open_rw();
	hv_reg_close(reg);
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDONLY, &reg), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	hv_reg_close(reg);
}

static void test_rdonly_empty(void **state)
{
	char want[640];

	(void)state;
	snprintf(want, sizeof(want), "%s: no registry (enroll a host first)",
		 regname);
	assert_err_line(open_fails(dbpath, HV_REG_RDONLY), want);
	assert_int_equal(raw_int("SELECT count(*) FROM pg_namespace WHERE"
				 " nspname = 'hostgate'"), 0);
}

static void test_foreign(void **state)
{
	char want[640];

	(void)state;
	raw_exec(dbpath, "CREATE TABLE public.notes (t TEXT)");
	snprintf(want, sizeof(want), "%s: not a hostgate registry (a database"
		 " with other tables and no hostgate schema; give hostgate a"
		 " database of its own)", regname);
	for (int mode = HV_REG_RDONLY; mode <= HV_REG_RDWR; mode++)
		assert_err_line(open_fails(dbpath, mode), want);
	assert_int_equal(raw_int("SELECT count(*) FROM pg_namespace WHERE"
				 " nspname = 'hostgate'"), 0);

	/* A schema of that name that is not ours. */
	raw_exec(dbpath, "DROP TABLE public.notes; CREATE SCHEMA hostgate;"
		 " CREATE TABLE hostgate.hosts (x TEXT)");
	snprintf(want, sizeof(want), "%s: not a hostgate registry (schema"
		 " hostgate without its registry table)", regname);
	assert_err_line(open_fails(dbpath, HV_REG_RDWR), want);
	raw_exec(dbpath, "CREATE TABLE hostgate.registry (id INTEGER,"
		 " application TEXT, version BIGINT); INSERT INTO"
		 " hostgate.registry VALUES (1, 'someone-else', 3)");
	snprintf(want, sizeof(want), "%s: not a hostgate registry (schema"
		 " hostgate, but its registry table is not hostgate's)", regname);
	assert_err_line(open_fails(dbpath, HV_REG_RDWR), want);
	assert_int_equal(raw_int("SELECT count(*) FROM pg_tables WHERE"
				 " schemaname = 'hostgate'"), 2);
}

static void test_newer(void **state)
{
	char want[640];

	(void)state;
	hv_reg_close(open_rw());
	raw_exec(dbpath, "UPDATE registry SET version = 99");
	snprintf(want, sizeof(want), "%s: written by a newer hostgate"
		 " (schema 99, this one knows %d)", regname, HV_REG_SCHEMA);
	for (int mode = HV_REG_RDONLY; mode <= HV_REG_RDWR; mode++)
		assert_err_line(open_fails(dbpath, mode), want);
	assert_int_equal(raw_int("SELECT version FROM registry"), 99);
}

static void test_trigger(void **state)
{
	char want[640];

	(void)state;
	hv_reg_close(open_rw());
	raw_exec(dbpath, "CREATE FUNCTION hostgate.f() RETURNS trigger"
		 " LANGUAGE plpgsql AS $$BEGIN DELETE FROM hostgate.hosts;"
		 " RETURN NULL; END$$; CREATE TRIGGER t AFTER UPDATE ON"
		 " hostgate.challenges FOR EACH ROW EXECUTE FUNCTION hostgate.f()");
	snprintf(want, sizeof(want), "%s: not a hostgate registry (it has"
		 " triggers, rules, views or policies)", regname);
	assert_err_line(open_fails(dbpath, HV_REG_RDWR), want);
}

/* The CHECKs keep bad rows out; without them (a hand edit), the readers
 * still refuse them, and a column of another type is refused too (the
 * results are read in binary, with their types). */
static void test_corrupt(void **state)
{
	struct hv_reg *reg;
	struct hv_challenge c;
	struct hv_host h;
	uint8_t id[HV_CHALLENGE_ID_LEN];
	char want[640];

	(void)state;
	reg = open_rw();
	add(reg, 0xc1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	add(reg, 0xc2, "web2", 0xbb, 0, ak_2, sizeof(ak_2), T0);
	id_of(id, 0xc2);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 1, NULL, NULL, NULL), 0);
	raw_exec(dbpath, "ALTER TABLE challenges DROP CONSTRAINT"
		 " challenges_secret_sha256_check; UPDATE challenges SET"
		 " secret_sha256 = substring(secret_sha256 from 2)"
		 " WHERE host = 'web1'");
	snprintf(want, sizeof(want), "%s: corrupt registry row"
		 " (challenges.secret_sha256)", regname);
	id_of(id, 0xc1);
	cap_start();
	assert_int_equal(hv_reg_challenge_get(reg, id, &c), -1);
	assert_err_line(cap_end(), want);
	raw_exec(dbpath, "ALTER TABLE hosts ALTER COLUMN replacements"
		 " TYPE numeric");
	snprintf(want, sizeof(want), "%s: corrupt registry row"
		 " (hosts.replacements)", regname);
	cap_start();
	assert_int_equal(hv_reg_host_get(reg, "web2", &h), -1);
	assert_err_line(cap_end(), want);
	hv_reg_close(reg);
}

static void test_data_version(void **state)
{
	struct hv_reg *reg, *other;
	struct hv_judgement j = { .state = HV_STATE_TRUSTED, .at = T0 + 5,
				  .verdict = "{}", .keep = 10 };
	int64_t v0, v1, v2;
	uint8_t id[HV_CHALLENGE_ID_LEN];
	int64_t ver;
	int unchanged;

	(void)state;
	reg = open_rw();
	other = open_rw();
	add(reg, 0xd1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0xd1);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 1, NULL, NULL, NULL), 0);
	assert_int_equal(hv_reg_data_version(reg, &v0), 0);
	/* Verdicts and incremental state are not changes to watch. */
	assert_int_equal(hv_reg_host_judged(other, "web1", &j, NULL, NULL), 0);
	assert_int_equal(hv_reg_incr_set(other, "web1", (const uint8_t *)"x", 1), 0);
	usleep(300000);         /* past the 250 ms a reading is kept */
	assert_int_equal(hv_reg_data_version(reg, &v1), 0);
	assert_int_equal(v1, v0);
	/* A policy and an agent URL are. */
	assert_int_equal(hv_reg_policy_add(other, "p", "{}", 2, T0 + 6, &ver,
					   &unchanged), 0);
	assert_int_equal(hv_reg_data_version(reg, &v2), 0);
	assert_int_equal(v2, v1);     /* within 250 ms: the reading kept */
	usleep(300000);
	assert_int_equal(hv_reg_data_version(reg, &v2), 0);
	assert_true(v2 > v1);
	assert_int_equal(hv_reg_host_set_agent(other, "web1",
					       "https://web1:8443"), 0);
	usleep(300000);
	assert_int_equal(hv_reg_data_version(reg, &v1), 0);
	assert_true(v1 > v2);
	hv_reg_close(other);
	hv_reg_close(reg);
}

static void test_wrong_password(void **state)
{
	char uri[300];
	const char *auth = strstr(dbpath, "://") + 3, *colon = strchr(auth, ':');
	const char *at = strchr(auth, '@');
	const char *err;

	(void)state;
	assert_non_null(colon);
	assert_non_null(at);
	snprintf(uri, sizeof(uri), "%.*s:s3cret%s", (int)(colon - dbpath),
		 dbpath, at);
	err = open_fails(uri, HV_REG_RDWR);
	assert_non_null(strstr(err, "password authentication failed"));
	/* Nor the real one. */
	assert_null(strstr(err, dbpath));
}

/* The server ends our session (as a restart or a failover would): the
 * call that finds it fails with one line; calls within the next second
 * fail at once; then the connection is made again and work goes on. */
static void test_lost_connection(void **state)
{
	struct hv_reg *reg;
	struct hv_host h;
	const char *err;
	double t0;
	uint8_t id[HV_CHALLENGE_ID_LEN];

	(void)state;
	reg = open_rw();
	add(reg, 0xe1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	raw_exec(dbpath, "SELECT pg_terminate_backend(pid) FROM"
		 " pg_stat_activity WHERE datname = current_database()"
		 " AND application_name = 'hostgate-verify'");
	cap_start();
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), -1);
	err = cap_end();
	assert_non_null(strstr(err, "connection lost"));
	assert_int_equal(strchr(err, '\n')[1], '\0');
	t0 = now_s();
	cap_start();
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), -1);
	err = cap_end();
	assert_non_null(strstr(err, "database unreachable"));
	assert_true(now_s() - t0 < 0.5);
	sleep(1);
	id_of(id, 0xe1);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 1, NULL, NULL, NULL), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 1);
	hv_host_free(&h);
	hv_reg_close(reg);
}

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_redact),
		T(test_bad_uri),
		T(test_refused),
		T(test_silent_server),
		/* These need a server (HG_TEST_PG_URI). */
		T(test_create_reopen),
		T(test_rdonly_empty),
		T(test_foreign),
		T(test_newer),
		T(test_trigger),
		T(test_corrupt),
		T(test_data_version),
		T(test_wrong_password),
		T(test_lost_connection),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);

	/* Without a server the first four run (the normal unit run); the
	 * integration script t_registry_pg.sh runs them all. */
	if (!fx_pg_env()) {
		printf("[ NO PG    ] %zu tests need HG_TEST_PG_URI"
		       " (tests/integration/t_registry_pg.sh runs them)\n",
		       n - 4);
		n = 4;
	}
	return _cmocka_run_group_tests("test_registry_pg", tests, n, NULL, NULL);
}
