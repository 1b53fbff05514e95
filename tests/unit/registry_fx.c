/* registry_fx.c: the helpers test_registry.c and test_registry_enroll.c
 * share (see registry_fx.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <libpq-fe.h>

#include "registry_fx.h"

static char dir[64];
char dbpath[256];
char regname[256];
int fx_pg;
static char pgdb[64];
static int pgseq;

/* HG_TEST_PG_URI with its database replaced by DB (postgresql://...
 * /DB?params). */
static void pg_uri(const char *db, char *out, size_t n)
{
	const char *base = getenv("HG_TEST_PG_URI");
	const char *auth = strstr(base, "://") + 3;
	const char *slash = strchr(auth, '/'), *q = strchr(auth, '?');

	if (!slash || (q && q < slash))
		slash = q ? q : auth + strlen(auth);
	snprintf(out, n, "%.*s/%s%s", (int)(slash - base), base, db,
		 q ? q : "");
}

/* SQL on the cluster's maintenance connection (HG_TEST_PG_URI). */
static void pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(getenv("HG_TEST_PG_URI"));
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("HG_TEST_PG_URI: %s", PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The registry's name for DBPATH in its messages: the URI without its
 * password (written out here, not with the registry's own function). */
static void redact(const char *uri, char *out, size_t n)
{
	const char *auth = strstr(uri, "://") + 3, *at = strchr(auth, '@');
	const char *colon = strchr(auth, ':');

	if (at && colon && colon < at)
		snprintf(out, n, "%.*s%s", (int)(colon - uri), uri, at);
	else
		snprintf(out, n, "%s", uri);
}
static char errpath[128];
static char errbuf[4096];
static int saved_stderr = -1;

int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/hg-registry-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/registry.sqlite", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", dir);
	snprintf(regname, sizeof(regname), "%s", dbpath);
	fx_pg = getenv("HG_TEST_PG_URI") && *getenv("HG_TEST_PG_URI");
	if (fx_pg) {
		char sql[128];

		/* A fresh database per test. */
		snprintf(pgdb, sizeof(pgdb), "hgt_%d_%d", (int)getpid(), pgseq++);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pgdb);
		pg_admin(sql);
		pg_uri(pgdb, dbpath, sizeof(dbpath));
		redact(dbpath, regname, sizeof(regname));
	}
	return 0;
}

int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	(void)state;
	if (fx_pg) {
		char sql[128];

		snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", pgdb);
		pg_admin(sql);
	}
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
	return 0;
}

/* Send stderr (hg_err's line) to a file until cap_end() returns it. */
void cap_start(void)
{
	int fd;

	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved_stderr >= 0);
	dup2(fd, 2);
	close(fd);
}

const char *cap_end(void)
{
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	f = fopen(errpath, "r");
	assert_non_null(f);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, f);
	errbuf[n] = '\0';
	fclose(f);
	return errbuf;
}

/* The one error line, without "PROG: " and the newline. */
void assert_err_line(const char *err, const char *want)
{
	const char *colon = strstr(err, ": ");
	char line[1024];

	assert_non_null(colon);
	snprintf(line, sizeof(line), "%s\n", want);
	assert_string_equal(colon + 2, line);
}

struct hv_reg *open_rw(void)
{
	struct hv_reg *reg = NULL;

	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDWR, &reg), 0);
	assert_non_null(reg);
	return reg;
}

const uint8_t ek_cert_a[] = { 0x30, 0x82, 0x01, 'A' };
const uint8_t ek_cert_b[] = { 0x30, 0x82, 0x02, 'B', 'B' };
const uint8_t ak_1[] = { 0x00, 0x16, 0x00, 0x01, '1' };
const uint8_t ak_2[] = { 0x00, 0x16, 0x00, 0x01, '2', '2' };

/* A challenge with id all ID, EK fingerprint all EK (cert A or B). */
void mk_challenge(struct hv_challenge *c, uint8_t id, const char *host,
		  uint8_t ek, int replace, const uint8_t *ak, size_t ak_len,
		  int64_t created)
{
	memset(c, 0, sizeof(*c));
	memset(c->id, id, sizeof(c->id));
	c->host = (char *)host;
	c->replace = replace;
	memset(c->secret_sha256, 0x5e, 32);
	memset(c->ek_fpr, ek, 32);
	c->ek_cert = (uint8_t *)(ek == 0xaa ? ek_cert_a : ek_cert_b);
	c->ek_cert_len = ek == 0xaa ? sizeof(ek_cert_a) : sizeof(ek_cert_b);
	c->ak_pub = (uint8_t *)ak;
	c->ak_pub_len = ak_len;
	/* The TPM's identity: EK key all EK, AK Name sha256 of all the AK's
	 * last byte (ak_1 '1', ak_2 '2'). */
	memset(c->ek_key, ek, 32);
	c->ak_name[0] = 0x00;
	c->ak_name[1] = 0x0b;
	memset(c->ak_name + 2, ak[ak_len - 1], 32);
	c->ak_name_len = 34;
	c->created_at = created;
	c->expires_at = created + 300;
	c->answered_at = 12345;         /* must be ignored */
}

void add_tpm(struct hv_reg *reg, uint8_t id, const char *host, uint8_t ek,
	     uint8_t ek_key, uint8_t ak_name, int replace, int64_t created)
{
	struct hv_challenge c;

	mk_challenge(&c, id, host, ek, replace, ak_1, sizeof(ak_1), created);
	memset(c.ek_key, ek_key, 32);
	memset(c.ak_name + 2, ak_name, 32);
	assert_int_equal(hv_reg_challenge_add(reg, &c), 0);
}

void add(struct hv_reg *reg, uint8_t id, const char *host, uint8_t ek,
	 int replace, const uint8_t *ak, size_t ak_len, int64_t created)
{
	struct hv_challenge c;

	mk_challenge(&c, id, host, ek, replace, ak, ak_len, created);
	assert_int_equal(hv_reg_challenge_add(reg, &c), 0);
}

void id_of(uint8_t id[HV_CHALLENGE_ID_LEN], uint8_t b)
{
	memset(id, b, HV_CHALLENGE_ID_LEN);
}

/* SQLite's blob literal x'..' as PostgreSQL's '\x..'::bytea. */
static const char *pg_sql(const char *sql)
{
	static char buf[4096];
	size_t o = 0;

	for (const char *p = sql; *p && o < sizeof(buf) - 16; p++) {
		if ((*p == 'x' || *p == 'X') && p[1] == '\'' &&
		    (p == sql || p[-1] == ' ' || p[-1] == '(' || p[-1] == ',')) {
			const char *end = strchr(p + 2, '\'');

			if (end && o + (size_t)(end - p) + 16 < sizeof(buf)) {
				o += (size_t)snprintf(buf + o, sizeof(buf) - o,
						      "'\\x%.*s'::bytea",
						      (int)(end - p - 2), p + 2);
				p = end;
				continue;
			}
		}
		buf[o++] = *p;
	}
	buf[o] = '\0';
	return buf;
}

/* A connection of its own to the test's database, the registry's
 * schema first. */
static PGconn *pg_conn(void)
{
	PGconn *c = PQconnectdb(dbpath);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("%s: %s", regname, PQerrorMessage(c));
	r = PQexec(c, "SET search_path = hostgate");
	PQclear(r);
	return c;
}

/* One integer from the raw file, by a separate connection. */
int64_t raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v;

	if (fx_pg) {
		PGconn *c = pg_conn();
		PGresult *r;

		/* The one PRAGMA the backend-neutral tests read. */
		if (!strcmp(sql, "PRAGMA user_version"))
			sql = "SELECT version FROM registry";
		sql = pg_sql(sql);
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
		return v;
	}
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A byte of the database header (sqlite.org/fileformat2.html §1.3):
 * offset 18 is the write version, 1 legacy journal, 2 WAL. */
int header_byte(off_t off)
{
	uint8_t b;
	int fd = open(dbpath, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	close(fd);
	return b;
}

void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	if (fx_pg) {
		PGconn *c = pg_conn();
		PGresult *r = PQexec(c, pg_sql(sql));

		if (PQresultStatus(r) != PGRES_COMMAND_OK &&
		    PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return;
	}
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
					 SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

int64_t answered_at(struct hv_reg *reg, uint8_t b)
{
	struct hv_challenge c;
	uint8_t id[HV_CHALLENGE_ID_LEN];
	int64_t v;

	id_of(id, b);
	assert_int_equal(hv_reg_challenge_get(reg, id, &c), 1);
	v = c.answered_at;
	hv_challenge_free(&c);
	return v;
}

int fx_run(const char *group, struct CMUnitTest *tests, size_t n,
	   const char *const *sqlite_only)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int drop = 0;

		for (size_t j = 0; fx_pg_env() && sqlite_only && sqlite_only[j]; j++)
			if (!strcmp(tests[i].name, sqlite_only[j]))
				drop = 1;
		if (drop)
			printf("[ SQLITE   ] %s: the SQLite file format only\n",
			       tests[i].name);
		else
			tests[k++] = tests[i];
	}
	return _cmocka_run_group_tests(group, tests, k, NULL, NULL);
}

int fx_pg_env(void)
{
	return getenv("HG_TEST_PG_URI") && *getenv("HG_TEST_PG_URI");
}

int collect(const struct hv_host *h, void *arg)
{
	struct listing *l = arg;

	assert_true(l->n < 8);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", h->name);
	assert_int_equal(h->ek_cert_len, sizeof(ek_cert_a));
	l->n++;
	return l->n == l->stop_at ? 7 : 0;
}
