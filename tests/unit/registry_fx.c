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

#include "registry_fx.h"

static char dir[64];
char dbpath[128];
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
	return 0;
}

int teardown(void **state)
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

/* One integer from the raw file, by a separate connection. */
int64_t raw_int(const char *sql)
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

int collect(const struct hv_host *h, void *arg)
{
	struct listing *l = arg;

	assert_true(l->n < 8);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", h->name);
	assert_int_equal(h->ek_cert_len, sizeof(ek_cert_a));
	l->n++;
	return l->n == l->stop_at ? 7 : 0;
}
