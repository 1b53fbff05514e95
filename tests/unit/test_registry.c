/* test_registry.c: the SQLite host registry (verifier/registry.c): its
 * file: creation and schema checks, refusal of newer, foreign and
 * non-database files with their exact messages, host-name rules, file
 * modes, read-only handles and corrupt rows. Challenges and enrollment
 * are in test_registry_enroll.c; the shared helpers in registry_fx.c.
 * Each test works in its own directory under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "registry_fx.h"

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
	char want[640];
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
	char want[640];

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
	char want[640], back[256];
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
	char want[640];

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
	char want[640];

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

/* ---- names, files, read-only handles, corrupt rows -------------------- */

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
	char p[300];
	struct stat st;

	(void)state;
	reg = open_rw();
	/* hv_reg_open put our umask back. */
	assert_int_equal(umask(022), 022);
	add(reg, 0x91, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	/* A reader alongside keeps the WAL files in place to look at. */
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDONLY, &ro), 0);
	id_of(id, 0x91);
	assert_int_equal(hv_reg_enroll(reg, id, T0 + 1, NULL, NULL, NULL), 0);
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
	char want[640];

	(void)state;
	add(reg, 0xa1, "web1", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	hv_reg_close(reg);
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDONLY, &ro), 0);
	mk_challenge(&c, 0xa2, "web2", 0xaa, 0, ak_1, sizeof(ak_1), T0);
	snprintf(want, sizeof(want), "%s: storing a challenge: registry"
		 " opened read-only", regname);
	cap_start();
	assert_int_equal(hv_reg_challenge_add(ro, &c), -1);
	assert_err_line(cap_end(), want);
	id_of(id, 0xa1);
	cap_start();
	assert_int_equal(hv_reg_enroll(ro, id, T0 + 1, NULL, NULL, NULL), -1);
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
		" 'web1', 0, zeroblob(31), zeroblob(32), x'01', x'01', 1, 2, 0,"
		" zeroblob(32), x'000b01')",
		/* EK fingerprint as text */
		"INSERT INTO challenges VALUES (x'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2',"
		" 'web1', 0, zeroblob(32), '0123456789abcdef0123456789abcdef',"
		" x'01', x'01', 1, 2, 0,"
		" zeroblob(32), x'000b01')",
		/* a host name the registry would never store */
		"INSERT INTO challenges VALUES (x'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3',"
		" '../../etc', 0, zeroblob(32), zeroblob(32), x'01', x'01', 1, 2, 0,"
		" zeroblob(32), x'000b01')",
		/* replace outside 0/1 */
		"INSERT INTO challenges VALUES (x'c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4',"
		" 'web1', 7, zeroblob(32), zeroblob(32), x'01', x'01', 1, 2, 0,"
		" zeroblob(32), x'000b01')",
		/* EK key of 31 bytes */
		"INSERT INTO challenges VALUES (x'c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5',"
		" 'web1', 0, zeroblob(32), zeroblob(32), x'01', x'01', 1, 2, 0,"
		" zeroblob(31), x'000b01')",
		/* AK Name of 67 bytes */
		"INSERT INTO challenges VALUES (x'c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6',"
		" 'web1', 0, zeroblob(32), zeroblob(32), x'01', x'01', 1, 2, 0,"
		" zeroblob(32), zeroblob(67))",
		"INSERT INTO hosts (name, ek_fpr, ek_cert, ak_pub, enrolled_at,"
		" first_enrolled_at, replacements, ek_key, ak_name)"
		" VALUES ('web1', zeroblob(33), x'01', x'01',"
		" 1, 1, 0, zeroblob(32), x'000b01')",
	};
	static const char *const cols[] = {
		"challenges.secret_sha256", "challenges.ek_fpr",
		"challenges.host", "challenges.replace", "challenges.ek_key",
		"challenges.ak_name",
	};
	struct hv_reg *reg;
	struct hv_challenge c;
	struct hv_host h;
	struct listing l = { .n = 0 };
	uint8_t id[HV_CHALLENGE_ID_LEN];
	char sql[512], want[640];
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
	for (int i = 0; i < 6; i++) {
		id_of(id, (uint8_t)(0xc1 + i));
		snprintf(want, sizeof(want), "%s: corrupt registry row (%s)",
			 dbpath, cols[i]);
		cap_start();
		assert_int_equal(hv_reg_challenge_get(reg, id, &c), -1);
		assert_err_line(cap_end(), want);
		assert_null(c.host);
		cap_start();
		assert_int_equal(hv_reg_enroll(reg, id, 2, NULL, NULL, NULL), -1);
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

int main(void)
{
	static const char *const sqlite_only[] = {
		"test_create_open_reopen",
		"test_rdonly_missing",
		"test_newer_schema_refused",
		"test_not_a_database",
		"test_foreign_database",
		"test_trigger_refused",
		"test_file_modes",
		"test_corrupt_rows",
		NULL,
	};
	struct CMUnitTest tests[] = {
		T(test_create_open_reopen),
		T(test_rdonly_missing),
		T(test_newer_schema_refused),
		T(test_not_a_database),
		T(test_foreign_database),
		T(test_trigger_refused),
		T(test_host_names),
		T(test_file_modes),
		T(test_rdonly_refuses_writes),
		T(test_corrupt_rows),
	};

	return fx_run("test_registry", tests, sizeof(tests) / sizeof(tests[0]),
		      sqlite_only);
}
