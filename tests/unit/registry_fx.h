/* registry_fx.h: what test_registry.c and test_registry_enroll.c share:
 * a fresh directory under /tmp per test (setup/teardown) holding the
 * registry file DBPATH, stderr captured to check the one error line,
 * challenges made by hand, and raw access to the database behind the
 * registry's back.
 *
 * Both backends: with HG_TEST_PG_URI set (tests/integration/
 * t_registry_pg.sh, a private cluster of tests/tools/pgcluster.sh) each
 * test gets a fresh PostgreSQL database and DBPATH is its URI; raw_int()
 * and raw_exec() then run on it (search_path hostgate). Tests that are
 * about the SQLite file itself are listed SQLite-only in fx_run().
 *
 * A helper that fails aborts the test through cmocka's asserts.
 */
#ifndef HG_TEST_REGISTRY_FX_H
#define HG_TEST_REGISTRY_FX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../verifier/registry/registry.h"

#define T0 1700000000LL

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

extern char dbpath[256];
/* How the registry names DBPATH in its messages (the URI without its
 * password on PostgreSQL). */
extern char regname[256];
/* 1 when this test runs on PostgreSQL. */
extern int fx_pg;
int fx_pg_env(void);
/* Run TESTS as cmocka group GROUP, less those named in SQLITE_ONLY
 * (NULL-terminated) on PostgreSQL, each said on stdout. */
struct CMUnitTest;
int fx_run(const char *group, struct CMUnitTest *tests, size_t n,
	   const char *const *sqlite_only);

/* Per test: a directory made by mkdtemp, and removed with its files. */
int setup(void **state);
int teardown(void **state);

/* Send stderr (hg_err's line) to a file until cap_end() returns it. */
void cap_start(void);
const char *cap_end(void);
/* The one error line, without "PROG: " and the newline. */
void assert_err_line(const char *err, const char *want);

/* hv_reg_open(DBPATH, HV_REG_RDWR), which must succeed. */
struct hv_reg *open_rw(void);

extern const uint8_t ek_cert_a[4], ek_cert_b[5], ak_1[5], ak_2[6];

/* A challenge with id all ID, EK fingerprint and EK key all EK (cert A
 * or B), AK Name from the AK's last byte. C
 * points into the caller's HOST and AK: not for hv_challenge_free(). */
void mk_challenge(struct hv_challenge *c, uint8_t id, const char *host,
		  uint8_t ek, int replace, const uint8_t *ak, size_t ak_len,
		  int64_t created);
/* mk_challenge() and hv_reg_challenge_add(), which must succeed. */
void add(struct hv_reg *reg, uint8_t id, const char *host, uint8_t ek,
	 int replace, const uint8_t *ak, size_t ak_len, int64_t created);
/* add() with the TPM identity given: EK key all EK_KEY, AK Name digest
 * all AK_NAME (AK public ak_1). */
void add_tpm(struct hv_reg *reg, uint8_t id, const char *host, uint8_t ek,
	     uint8_t ek_key, uint8_t ak_name, int replace, int64_t created);
void id_of(uint8_t id[HV_CHALLENGE_ID_LEN], uint8_t b);

/* One integer from the raw file, by a separate connection. */
int64_t raw_int(const char *sql);
/* A byte of the database header (sqlite.org/fileformat2.html §1.3). */
int header_byte(off_t off);
/* Run SQL on PATH by a separate connection (creating the file). */
void raw_exec(const char *path, const char *sql);
/* answered_at of challenge id all B, which must exist. */
int64_t answered_at(struct hv_reg *reg, uint8_t b);

/* hv_reg_hosts() callback: collects names, returns 7 at the STOP_AT'th
 * host (0: never). */
struct listing {
	char names[8][HV_HOST_NAME_MAX + 1];
	int n, stop_at;
};
int collect(const struct hv_host *h, void *arg);

#endif
