/* test_registry.c: the SQLite host registry (verifier/registry.c):
 * creation and schema checks, refusal of newer, foreign and non-database
 * files with their exact messages, challenges, every hv_reg_enroll
 * outcome, history, purging, host-name rules, file modes, read-only
 * handles, corrupt rows and two writers racing on one challenge. Each test
 * works in its own directory under /tmp. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "../../verifier/registry.h"

#define T0 1700000000LL

static char dir[64];
static char dbpath[128];
static char errpath[128];
static char errbuf[4096];
static int saved_stderr = -1;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/hg-registry-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/registry.sqlite", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", dir);
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	(void)state;
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
static void cap_start(void)
{
	int fd;

	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved_stderr >= 0);
	dup2(fd, 2);
	close(fd);
}

static const char *cap_end(void)
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
static void assert_err_line(const char *err, const char *want)
{
	const char *colon = strstr(err, ": ");
	char line[1024];

	assert_non_null(colon);
	snprintf(line, sizeof(line), "%s\n", want);
	assert_string_equal(colon + 2, line);
}

static struct hv_reg *open_rw(void)
{
	struct hv_reg *reg = NULL;

	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDWR, &reg), 0);
	assert_non_null(reg);
	return reg;
}

static const uint8_t ek_cert_a[] = { 0x30, 0x82, 0x01, 'A' };
static const uint8_t ek_cert_b[] = { 0x30, 0x82, 0x02, 'B', 'B' };
static const uint8_t ak_1[] = { 0x00, 0x16, 0x00, 0x01, '1' };
static const uint8_t ak_2[] = { 0x00, 0x16, 0x00, 0x01, '2', '2' };

/* A challenge with id all ID, EK fingerprint all EK (cert A or B). */
static void mk_challenge(struct hv_challenge *c, uint8_t id, const char *host,
			 uint8_t ek, int replace, const uint8_t *ak,
			 size_t ak_len, int64_t created)
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
	c->created_at = created;
	c->expires_at = created + 300;
	c->answered_at = 12345;         /* must be ignored */
}

static void add(struct hv_reg *reg, uint8_t id, const char *host, uint8_t ek,
		int replace, const uint8_t *ak, size_t ak_len, int64_t created)
{
	struct hv_challenge c;

	mk_challenge(&c, id, host, ek, replace, ak, ak_len, created);
	assert_int_equal(hv_reg_challenge_add(reg, &c), 0);
}

static void id_of(uint8_t id[HV_CHALLENGE_ID_LEN], uint8_t b)
{
	memset(id, b, HV_CHALLENGE_ID_LEN);
}

/* One integer from the raw file, by a separate connection. */
static int64_t raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v;

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
static int header_byte(off_t off)
{
	uint8_t b;
	int fd = open(dbpath, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	close(fd);
	return b;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
					 SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t answered_at(struct hv_reg *reg, uint8_t b)
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

/* ---- open ------------------------------------------------------------- */

static void test_create_open_reopen(void **state)
{
	struct hv_reg *reg;
	struct hv_host h;

	(void)state;
	reg = open_rw();
	hv_reg_close(reg);
	assert_int_equal(raw_int("PRAGMA user_version"), HV_REG_SCHEMA);
	assert_int_equal(raw_int("PRAGMA application_id"), 0x68677265);
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE"
				 " type = 'table' AND name IN ('hosts',"
				 " 'challenges', 'enrollments')"), 3);
	/* Reopen both ways: no migration, nothing refused. */
	reg = open_rw();
	hv_reg_close(reg);
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDONLY, &reg), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	assert_null(h.name);
	hv_reg_close(reg);
	hv_reg_close(NULL);
	assert_int_equal(raw_int("PRAGMA user_version"), HV_REG_SCHEMA);
}

static void test_rdonly_missing(void **state)
{
	struct hv_reg *reg = (struct hv_reg *)1;
	char want[256];
	struct stat st;

	(void)state;
	cap_start();
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDONLY, &reg), -1);
	snprintf(want, sizeof(want), "%s: no registry (enroll a host first)",
		 dbpath);
	assert_err_line(cap_end(), want);
	assert_null(reg);
	assert_int_equal(stat(dbpath, &st), -1);   /* not created */
}

static void test_newer_schema_refused(void **state)
{
	struct hv_reg *reg;
	sqlite3 *db;
	char want[256];

	(void)state;
	hv_reg_close(open_rw());
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	snprintf(want, sizeof(want), "%s: written by a newer hostgate"
		 " (schema 99, this one knows %d)", dbpath, HV_REG_SCHEMA);
	for (int mode = HV_REG_RDONLY; mode <= HV_REG_RDWR; mode++) {
		cap_start();
		assert_int_equal(hv_reg_open(dbpath, mode, &reg), -1);
		assert_err_line(cap_end(), want);
		assert_null(reg);
	}
	assert_int_equal(raw_int("PRAGMA user_version"), 99);
}

static void test_not_a_database(void **state)
{
	static const char junk[] = "this is not an SQLite file, it is a note"
				   " someone left where the registry goes\n";
	struct hv_reg *reg;
	char want[256], back[256];
	int fd;

	(void)state;
	fd = open(dbpath, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk) - 1), sizeof(junk) - 1);
	close(fd);
	snprintf(want, sizeof(want),
		 "%s: not a hostgate registry (file is not a database)", dbpath);
	for (int mode = HV_REG_RDONLY; mode <= HV_REG_RDWR; mode++) {
		cap_start();
		assert_int_equal(hv_reg_open(dbpath, mode, &reg), -1);
		assert_err_line(cap_end(), want);
		assert_null(reg);
	}
	/* Left as it was. */
	fd = open(dbpath, O_RDONLY);
	assert_int_equal(read(fd, back, sizeof(back)), sizeof(junk) - 1);
	close(fd);
	assert_memory_equal(back, junk, sizeof(junk) - 1);
}

static void test_foreign_database(void **state)
{
	struct hv_reg *reg;
	char want[256];

	(void)state;
	raw_exec(dbpath, "CREATE TABLE notes (t TEXT); INSERT INTO notes"
		 " VALUES ('mine')");
	snprintf(want, sizeof(want), "%s: not a hostgate registry (a SQLite"
		 " database with other tables)", dbpath);
	for (int mode = HV_REG_RDONLY; mode <= HV_REG_RDWR; mode++) {
		cap_start();
		assert_int_equal(hv_reg_open(dbpath, mode, &reg), -1);
		assert_err_line(cap_end(), want);
	}
	/* Not touched: no schema, no version, no WAL switch. */
	assert_int_equal(raw_int("PRAGMA user_version"), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master"), 1);
	assert_int_equal(header_byte(18), 1);     /* rollback journal */

	/* Another program's application_id, even with no tables. */
	raw_exec(dbpath, "DROP TABLE notes; PRAGMA application_id = 42");
	snprintf(want, sizeof(want), "%s: not a hostgate registry"
		 " (application_id 0x0000002a)", dbpath);
	cap_start();
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDWR, &reg), -1);
	assert_err_line(cap_end(), want);
}

static void test_trigger_refused(void **state)
{
	struct hv_reg *reg;
	char want[256];

	(void)state;
	hv_reg_close(open_rw());
	raw_exec(dbpath, "CREATE TRIGGER t AFTER UPDATE ON challenges"
		 " BEGIN DELETE FROM hosts; END");
	snprintf(want, sizeof(want), "%s: not a hostgate registry (it has"
		 " triggers or views)", dbpath);
	cap_start();
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDWR, &reg), -1);
	assert_err_line(cap_end(), want);
}

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
	assert_non_null(strstr(cap_end(), "UNIQUE constraint failed"));
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + day + 302, NULL),
			 HV_ENROLL_UNKNOWN);
	id_of(id, 0x01);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + day + 302, NULL),
			 HV_ENROLL_UNKNOWN);
	/* The recent ones stay: 0x03 answered, 0x04 still enrollable. */
	assert_int_equal(answered_at(reg, 0x03), T0 + day + 20);
	id_of(id, 0x04);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + day + 302, NULL), 0);
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, old), 0);
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, NULL), 0);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 6, NULL),
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 301, NULL),
			 HV_ENROLL_EXPIRED);
	assert_int_equal(answered_at(reg, 0x41), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	/* At expires_at exactly it is not yet past. */
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 300, NULL), 0);
	id_of(id, 0x42);
	assert_int_equal(hv_reg_enroll(reg, id, T0, NULL), HV_ENROLL_UNKNOWN);
	cap_start();
	assert_int_equal(hv_reg_enroll(reg, id, 0, NULL), -1);
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, NULL), 0);
	add(reg, 0x52, "web1", 0xbb, 0, ak_2, sizeof(ak_2), T0 + 100);
	id_of(id, 0x52);
	memset(old, 0, sizeof(old));
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 105, old),
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 106, NULL),
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 5, NULL), 0);
	add(reg, 0x62, "web1", 0xbb, 1, ak_2, sizeof(ak_2), T0 + 1000);
	id_of(id, 0x62);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 1005, old), 0);
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 2001, old), 0);
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
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 3, NULL),
			 HV_ENROLL_ANSWERED);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	id_of(id, 0x72);
	assert_int_equal(hv_reg_challenge_spend(reg, id, T0),
			 HV_ENROLL_UNKNOWN);
	hv_reg_close(reg);
}

struct listing {
	char names[8][HV_HOST_NAME_MAX + 1];
	int n, stop_at;
};

static int collect(const struct hv_host *h, void *arg)
{
	struct listing *l = arg;

	assert_true(l->n < 8);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", h->name);
	assert_int_equal(h->ek_cert_len, sizeof(ek_cert_a));
	l->n++;
	return l->n == l->stop_at ? 7 : 0;
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
		add(reg, (uint8_t)(0x80 + i), names[i], 0xaa, 0, ak_1,
		    sizeof(ak_1), T0);
		id_of(id, (uint8_t)(0x80 + i));
		assert_int_equal(hv_reg_enroll(reg, id, T0 + i, NULL), 0);
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

static void test_host_names(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "web1", 1 },
		{ "a", 1 },
		{ "Host_01.example-site.org", 1 },
		{ "0day", 1 },
		{ "a.", 1 },
		{ "a-", 1 },
		{ "_x", 1 },
		{ "", 0 },
		{ ".hidden", 0 },
		{ "-rf", 0 },
		{ "..", 0 },
		{ "a/b", 0 },
		{ "../x", 0 },
		{ "a b", 0 },
		{ "a\tb", 0 },
		{ "a:b", 0 },
		{ "a\nb", 0 },
		{ "caf\xc3\xa9", 0 },
		{ "x'); DROP TABLE hosts;--", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};

	(void)state;
	assert_int_equal(strlen(cases[19].name), HV_HOST_NAME_MAX);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (hv_host_name_ok(cases[i].name) != cases[i].ok)
			fail_msg("hv_host_name_ok(\"%s\") != %d", cases[i].name,
				 cases[i].ok);
	}
	assert_int_equal(hv_host_name_ok(NULL), 0);
}

static void test_file_modes(void **state)
{
	struct hv_reg *reg, *ro;
	mode_t old = umask(022);
	uint8_t id[HV_CHALLENGE_ID_LEN];
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char p[160];
	struct stat st;

	(void)state;
	reg = open_rw();
	/* hv_reg_open put our umask back. */
	assert_int_equal(umask(022), 022);
	add(reg, 0x91, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	/* A reader alongside keeps the WAL files in place to look at. */
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDONLY, &ro), 0);
	id_of(id, 0x91);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 1, NULL), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, suffixes[i]);
		assert_int_equal(stat(p, &st), 0);
		if ((st.st_mode & 07777) != 0600)
			fail_msg("%s: mode %o", p, st.st_mode & 07777);
	}
	assert_int_equal(header_byte(18), 2);     /* WAL */
	hv_reg_close(ro);
	hv_reg_close(reg);
	umask(old);
}

static void test_rdonly_refuses_writes(void **state)
{
	struct hv_reg *reg = open_rw(), *ro;
	struct hv_challenge c;
	uint8_t id[HV_CHALLENGE_ID_LEN];
	char want[256];

	(void)state;
	add(reg, 0xa1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	hv_reg_close(reg);
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDONLY, &ro), 0);
	mk_challenge(&c, 0xa2, "web2", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	snprintf(want, sizeof(want), "%s: storing a challenge: registry"
		 " opened read-only", dbpath);
	cap_start();
	assert_int_equal(hv_reg_challenge_add(ro, &c), -1);
	assert_err_line(cap_end(), want);
	id_of(id, 0xa1);
	cap_start();
	assert_int_equal(hv_reg_enroll(ro, id, T0 + 1, NULL), -1);
	assert_non_null(strstr(cap_end(), "opened read-only"));
	cap_start();
	assert_int_equal(hv_reg_challenge_spend(ro, id, T0 + 1), -1);
	assert_non_null(strstr(cap_end(), "opened read-only"));
	/* Reads work, and nothing was written. */
	assert_int_equal(answered_at(ro, 0xa1), 0);
	hv_reg_close(ro);
	assert_int_equal(raw_int("SELECT count(*) FROM challenges"), 1);
}

static void test_corrupt_rows(void **state)
{
	static const char *const bad[] = {
		/* 31-byte secret */
		"INSERT INTO challenges VALUES (x'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1',"
		" 'web1', 0, zeroblob(31), zeroblob(32), x'01', x'01', 1, 2, 0)",
		/* EK fingerprint as text */
		"INSERT INTO challenges VALUES (x'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2',"
		" 'web1', 0, zeroblob(32), '0123456789abcdef0123456789abcdef',"
		" x'01', x'01', 1, 2, 0)",
		/* a host name the registry would never store */
		"INSERT INTO challenges VALUES (x'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3',"
		" '../../etc', 0, zeroblob(32), zeroblob(32), x'01', x'01', 1, 2, 0)",
		/* replace outside 0/1 */
		"INSERT INTO challenges VALUES (x'c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4',"
		" 'web1', 7, zeroblob(32), zeroblob(32), x'01', x'01', 1, 2, 0)",
		"INSERT INTO hosts VALUES ('web1', zeroblob(33), x'01', x'01',"
		" 1, 1, 0)",
	};
	static const char *const cols[] = {
		"challenges.secret_sha256", "challenges.ek_fpr",
		"challenges.host", "challenges.replace",
	};
	struct hv_reg *reg;
	struct hv_challenge c;
	struct hv_host h;
	struct listing l = { .n = 0 };
	uint8_t id[HV_CHALLENGE_ID_LEN];
	char sql[512], want[256];
	sqlite3 *db;

	(void)state;
	hv_reg_close(open_rw());
	/* The schema's CHECKs would stop these: a hand edit need not. */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(sql, sizeof(sql), "PRAGMA ignore_check_constraints"
			 " = ON; %s", bad[i]);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
				 SQLITE_OK);
	}
	sqlite3_close(db);

	reg = open_rw();
	for (int i = 0; i < 4; i++) {
		id_of(id, (uint8_t)(0xc1 + i));
		snprintf(want, sizeof(want), "%s: corrupt registry row (%s)",
			 dbpath, cols[i]);
		cap_start();
		assert_int_equal(hv_reg_challenge_get(reg, id, &c), -1);
		assert_err_line(cap_end(), want);
		assert_null(c.host);
		cap_start();
		assert_int_equal(hv_reg_enroll(reg, id, 2, NULL), -1);
		assert_err_line(cap_end(), want);
	}
	snprintf(want, sizeof(want), "%s: corrupt registry row (hosts.ek_fpr)",
		 dbpath);
	cap_start();
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), -1);
	assert_err_line(cap_end(), want);
	assert_null(h.name);
	cap_start();
	assert_int_equal(hv_reg_hosts(reg, collect, &l), -1);
	assert_err_line(cap_end(), want);
	assert_int_equal(l.n, 0);
	hv_reg_close(reg);
	/* Nothing was spent by the failed enrollments. */
	assert_int_equal(raw_int("SELECT count(*) FROM challenges WHERE"
				 " answered_at <> 0"), 0);
}

/* ---- two writers ------------------------------------------------------ */

static void test_two_handles_one_challenge(void **state)
{
	struct hv_reg *a = open_rw(), *b = open_rw();
	uint8_t id[HV_CHALLENGE_ID_LEN];

	(void)state;
	add(a, 0xd1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	id_of(id, 0xd1);
	assert_int_equal(hv_reg_enroll(b, id, T0 + 1, NULL), 0);
	assert_int_equal(hv_reg_enroll(a, id, T0 + 1, NULL),
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
			rc = hv_reg_enroll(r, id, T0 + 1, NULL);
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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_open_reopen),
		T(test_rdonly_missing),
		T(test_newer_schema_refused),
		T(test_not_a_database),
		T(test_foreign_database),
		T(test_trigger_refused),
		T(test_challenge_add_get_unknown),
		T(test_purge_old_challenges),
		T(test_enroll_new_host),
		T(test_enroll_replay),
		T(test_enroll_expired_and_unknown),
		T(test_enroll_ek_changed),
		T(test_enroll_replace),
		T(test_spend),
		T(test_hosts_order),
		T(test_host_names),
		T(test_file_modes),
		T(test_rdonly_refuses_writes),
		T(test_corrupt_rows),
		T(test_two_handles_one_challenge),
		T(test_processes_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
