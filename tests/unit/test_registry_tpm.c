/* test_registry_tpm.c: one TPM, one host (issue 11 item 7; cf.
 * CVE-2021-3406), and the operator's changes (issue 13 item 7):
 *  - the same EK under a second name is refused at --finish, naming the
 *    first host, and the challenge is spent;
 *  - the RSA EK under one name and the ECC EK of the same TPM (same AK)
 *    under another is refused by the AK;
 *  - --replace moves the TPM: the other host goes, a tpm-moved event
 *    says where;
 *  - two challenges in flight for one TPM under two names: the first
 *    finish wins, the second is refused (also with four processes
 *    racing), and the UNIQUE indexes refuse a second host on one TPM
 *    even from a writer that skipped the checks;
 *  - hosts remove / rename: unknown names, a taken new name, history;
 *  - the migration from schema 1 computes the identities from the stored
 *    certificate and AK, and refuses two hosts on one TPM naming both.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <tss2/tss2_mu.h>

#include "../../lib/tpmpub.h"
#include "../../verifier/registry/registry.h"
#include "../../verifier/tpmid.h"
#include "registry_fx.h"

static int enroll(struct hv_reg *reg, uint8_t idb, int64_t now, char **other,
		  int *by_ak)
{
	uint8_t id[HV_CHALLENGE_ID_LEN];

	id_of(id, idb);
	return hv_reg_enroll(reg, id, now, NULL, other, by_ak);
}

static void test_same_ek_two_names(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_host h;
	char *other = NULL, *holder = NULL;
	int by_ak = -1;
	uint8_t key[32];

	(void)state;
	/* Same EK key 0x11, different AK Names. */
	add_tpm(reg, 0x01, "web1", 0xaa, 0x11, 0x21, 0, T0);
	assert_int_equal(enroll(reg, 0x01, T0 + 1, NULL, NULL), 0);
	add_tpm(reg, 0x02, "web2", 0xaa, 0x11, 0x22, 0, T0);
	assert_int_equal(enroll(reg, 0x02, T0 + 2, &other, &by_ak),
			 HV_ENROLL_TPM_ELSEWHERE);
	assert_string_equal(other, "web1");
	assert_int_equal(by_ak, 0);
	free(other);
	assert_int_equal(hv_reg_host_get(reg, "web2", &h), 0);
	assert_int_equal(answered_at(reg, 0x02), T0 + 2);
	assert_int_equal(enroll(reg, 0x02, T0 + 3, NULL, NULL),
			 HV_ENROLL_ANSWERED);
	/* The advisory lookup enroll makes its early message with. */
	memset(key, 0x11, 32);
	{
		uint8_t akn[34] = { 0x00, 0x0b };

		memset(akn + 2, 0x99, 32);
		assert_int_equal(hv_reg_tpm_holder(reg, key, akn, sizeof(akn),
						   "web2", &holder, &by_ak), 1);
		assert_string_equal(holder, "web1");
		assert_int_equal(by_ak, 0);
		free(holder);
		/* The host itself is no other host. */
		assert_int_equal(hv_reg_tpm_holder(reg, key, akn, sizeof(akn),
						   "web1", &holder, &by_ak), 0);
		assert_null(holder);
	}
	/* The same host again on its own TPM is an ordinary re-enrollment. */
	add_tpm(reg, 0x03, "web1", 0xaa, 0x11, 0x23, 0, T0 + 10);
	assert_int_equal(enroll(reg, 0x03, T0 + 11, NULL, NULL), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM hosts"), 1);
	hv_reg_close(reg);
}

static void test_rsa_here_ecc_there_same_ak(void **state)
{
	struct hv_reg *reg = open_rw();
	char *other = NULL;
	int by_ak = -1;

	(void)state;
	/* The TPM's RSA EK (key 0x11) under web1, its ECC EK (key 0x12) under
	 * web2: different EK keys, one AK (Name 0x21). */
	add_tpm(reg, 0x01, "web1", 0xaa, 0x11, 0x21, 0, T0);
	assert_int_equal(enroll(reg, 0x01, T0 + 1, NULL, NULL), 0);
	add_tpm(reg, 0x02, "web2", 0xbb, 0x12, 0x21, 0, T0);
	assert_int_equal(enroll(reg, 0x02, T0 + 2, &other, &by_ak),
			 HV_ENROLL_TPM_ELSEWHERE);
	assert_string_equal(other, "web1");
	assert_int_equal(by_ak, 1);
	free(other);
	assert_int_equal(raw_int("SELECT count(*) FROM hosts"), 1);
	hv_reg_close(reg);
}

static void test_replace_moves(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_host h;

	(void)state;
	add_tpm(reg, 0x01, "web1", 0xaa, 0x11, 0x21, 0, T0);
	assert_int_equal(enroll(reg, 0x01, T0 + 1, NULL, NULL), 0);
	/* Another host whose AK the moving TPM also has (web1's EK, db1's
	 * AK): both go. */
	add_tpm(reg, 0x02, "db1", 0xbb, 0x13, 0x23, 0, T0);
	assert_int_equal(enroll(reg, 0x02, T0 + 2, NULL, NULL), 0);
	add_tpm(reg, 0x04, "other", 0xbb, 0x14, 0x24, 0, T0);
	assert_int_equal(enroll(reg, 0x04, T0 + 2, NULL, NULL), 0);
	add_tpm(reg, 0x03, "web2", 0xaa, 0x11, 0x23, 1, T0 + 50);
	assert_int_equal(enroll(reg, 0x03, T0 + 51, NULL, NULL), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	assert_int_equal(hv_reg_host_get(reg, "db1", &h), 0);
	assert_int_equal(hv_reg_host_get(reg, "other", &h), 1);
	hv_host_free(&h);
	assert_int_equal(raw_int("SELECT count(*) FROM events WHERE"
				 " event = 'tpm-moved' AND host = 'db1' AND"
				 " other = 'web2'"), 1);
	assert_int_equal(hv_reg_host_get(reg, "web2", &h), 1);
	assert_int_equal(h.enrolled_at, T0 + 51);
	assert_int_equal(h.ek_key[0], 0x11);
	hv_host_free(&h);
	assert_int_equal(raw_int("SELECT count(*) FROM events WHERE"
				 " event = 'tpm-moved' AND host = 'web1' AND"
				 " other = 'web2' AND at = 1700000051"), 1);
	/* web1's history stays, web2's starts. */
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"
				 " WHERE host = 'web1'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"
				 " WHERE host = 'web2'"), 1);
	hv_reg_close(reg);
}

/* Challenges for hosts A and B on one TPM made while neither was
 * enrolled (enroll's early check passed for both): the first finish
 * wins, whichever it is. */
static void test_finish_time_race(void **state)
{
	struct hv_reg *reg = open_rw();
	char *other = NULL;

	(void)state;
	add_tpm(reg, 0x01, "hostA", 0xaa, 0x11, 0x21, 0, T0);
	add_tpm(reg, 0x02, "hostB", 0xbb, 0x12, 0x21, 0, T0);
	add_tpm(reg, 0x03, "hostC", 0xaa, 0x11, 0x22, 0, T0);
	assert_int_equal(enroll(reg, 0x02, T0 + 1, NULL, NULL), 0);
	assert_int_equal(enroll(reg, 0x01, T0 + 2, &other, NULL),
			 HV_ENROLL_TPM_ELSEWHERE);
	assert_string_equal(other, "hostB");
	free(other);
	other = NULL;
	/* hostC shares the EK with the refused hostA, not with hostB: it is
	 * a TPM nobody holds, and enrolls. */
	assert_int_equal(enroll(reg, 0x03, T0 + 3, &other, NULL), 0);
	assert_null(other);
	assert_int_equal(raw_int("SELECT count(*) FROM hosts"), 2);
	hv_reg_close(reg);
}

/* Even a writer that skips hv_reg_enroll's checks cannot store a second
 * host on one TPM: the schema's UNIQUE indexes refuse it. */
static void test_unique_indexes(void **state)
{
	sqlite3 *db;

	(void)state;
	{
		struct hv_reg *reg = open_rw();

		add_tpm(reg, 0x01, "web1", 0xaa, 0x11, 0x21, 0, T0);
		assert_int_equal(enroll(reg, 0x01, T0 + 1, NULL, NULL), 0);
		hv_reg_close(reg);
	}
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	/* Same EK key. */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO hosts (name, ek_fpr, ek_cert, ak_pub,"
				      " enrolled_at, first_enrolled_at, replacements, ek_key,"
				      " ak_name) SELECT 'web2',"
				      " ek_fpr, ek_cert, ak_pub, 1, 1, 0, ek_key,"
				      " x'000b99' FROM hosts", NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	/* Same AK Name. */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO hosts (name, ek_fpr, ek_cert, ak_pub,"
				      " enrolled_at, first_enrolled_at, replacements, ek_key,"
				      " ak_name) SELECT 'web2',"
				      " ek_fpr, ek_cert, ak_pub, 1, 1, 0,"
				      " zeroblob(32), ak_name FROM hosts", NULL,
				      NULL, NULL), SQLITE_CONSTRAINT);
	sqlite3_close(db);
	assert_int_equal(raw_int("SELECT count(*) FROM hosts"), 1);
}

#define RACERS 4

/* Four verifier processes each finish a challenge for a different host
 * name on one TPM at once: exactly one host is enrolled. */
static void test_processes_race_names(void **state)
{
	static const char *const names[RACERS] = { "h0", "h1", "h2", "h3" };
	struct hv_reg *reg = open_rw();
	pid_t pids[RACERS];
	int ready[2], go[2], wins = 0, refused = 0;
	char ch;

	(void)state;
	for (int i = 0; i < RACERS; i++)      /* EK key the same, AKs not */
		add_tpm(reg, (uint8_t)(0xe0 + i), names[i], 0xaa, 0x11,
			(uint8_t)(0x30 + i), 0, T0);
	hv_reg_close(reg);
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
			if (write(ready[1], "r", 1) != 1 ||
			    read(go[0], &ch, 1) != 0)
				_exit(101);
			rc = enroll(r, (uint8_t)(0xe0 + i), T0 + 1, NULL, NULL);
			hv_reg_close(r);
			_exit(rc < 0 ? 102 : rc);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(read(ready[0], &ch, 1), 1);
	close(go[1]);
	close(ready[0]);
	for (int i = 0; i < RACERS; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			wins++;
		else if (WEXITSTATUS(st) == HV_ENROLL_TPM_ELSEWHERE)
			refused++;
		else
			fail_msg("racer %d exited %d", i, WEXITSTATUS(st));
	}
	assert_int_equal(wins, 1);
	assert_int_equal(refused, RACERS - 1);
	assert_int_equal(raw_int("SELECT count(*) FROM hosts"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM challenges"
				 " WHERE answered_at = 0"), 0);
}

static void test_remove(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_host h;

	(void)state;
	assert_int_equal(hv_reg_host_remove(reg, "web1", T0), HV_HOST_UNKNOWN);
	assert_int_equal(hv_reg_host_remove(reg, "../x", T0), HV_HOST_UNKNOWN);
	add_tpm(reg, 0x01, "web1", 0xaa, 0x11, 0x21, 0, T0);
	assert_int_equal(enroll(reg, 0x01, T0 + 1, NULL, NULL), 0);
	assert_int_equal(hv_reg_host_remove(reg, "web1", T0 + 100), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM events WHERE"
				 " event = 'removed' AND host = 'web1' AND"
				 " other IS NULL AND at = 1700000100"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"
				 " WHERE host = 'web1'"), 1);
	assert_int_equal(hv_reg_host_remove(reg, "web1", T0 + 101),
			 HV_HOST_UNKNOWN);
	/* Its TPM is free for another name now. */
	add_tpm(reg, 0x02, "web2", 0xaa, 0x11, 0x21, 0, T0 + 200);
	assert_int_equal(enroll(reg, 0x02, T0 + 201, NULL, NULL), 0);
	hv_reg_close(reg);
}

static void test_rename(void **state)
{
	struct hv_reg *reg = open_rw();
	struct hv_host h;

	(void)state;
	assert_int_equal(hv_reg_host_rename(reg, "web1", "web9", T0),
			 HV_HOST_UNKNOWN);
	add_tpm(reg, 0x01, "web1", 0xaa, 0x11, 0x21, 0, T0);
	assert_int_equal(enroll(reg, 0x01, T0 + 1, NULL, NULL), 0);
	add_tpm(reg, 0x02, "web2", 0xbb, 0x12, 0x22, 0, T0);
	assert_int_equal(enroll(reg, 0x02, T0 + 2, NULL, NULL), 0);
	assert_int_equal(hv_reg_host_rename(reg, "web1", "web2", T0 + 5),
			 HV_HOST_EXISTS);
	cap_start();
	assert_int_equal(hv_reg_host_rename(reg, "web1", "-bad", T0 + 5), -1);
	{
		char want[640];

		snprintf(want, sizeof(want), "%s: renaming a host: bad new name",
			 regname);
		assert_err_line(cap_end(), want);
	}
	assert_int_equal(hv_reg_host_rename(reg, "web1", "web3", T0 + 6), 0);
	assert_int_equal(hv_reg_host_get(reg, "web1", &h), 0);
	assert_int_equal(hv_reg_host_get(reg, "web3", &h), 1);
	assert_int_equal(h.ek_key[0], 0x11);
	assert_int_equal(h.first_enrolled_at, T0 + 1);
	hv_host_free(&h);
	assert_int_equal(raw_int("SELECT count(*) FROM events WHERE"
				 " event = 'renamed' AND host = 'web1' AND"
				 " other = 'web3'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"
				 " WHERE host = 'web3'"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"
				 " WHERE host = 'web1'"), 0);
	/* Nothing changed by the refusals. */
	assert_int_equal(raw_int("SELECT count(*) FROM events"), 1);
	hv_reg_close(reg);
}

/* ---- migration from schema 1 ------------------------------------------ */

/* A DER certificate of a fresh P-256 key, self-signed, and the SHA-256 of
 * its SubjectPublicKeyInfo. */
static uint8_t *mk_cert(int *len, uint8_t spki_sha[32])
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	unsigned char *der = NULL, *spki = NULL;
	unsigned int n = 0;
	int sl;

	assert_non_null(k);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	*len = i2d_X509(x, &der);
	assert_true(*len > 0);
	sl = i2d_PUBKEY(k, &spki);
	assert_true(sl > 0);
	assert_int_equal(EVP_Digest(spki, (size_t)sl, spki_sha, &n,
				    EVP_sha256(), NULL), 1);
	OPENSSL_free(spki);
	X509_free(x);
	EVP_PKEY_free(k);
	return der;
}

/* A TPM2B_PUBLIC (ECC P-256 signing key) with X all XB. */
static size_t mk_ak(uint8_t *buf, size_t cap, uint8_t xb)
{
	TPM2B_PUBLIC p = { 0 };
	size_t off = 0;

	p.publicArea.type = TPM2_ALG_ECC;
	p.publicArea.nameAlg = TPM2_ALG_SHA256;
	p.publicArea.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT |
		TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_USERWITHAUTH;
	p.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p.publicArea.unique.ecc.x.size = 32;
	memset(p.publicArea.unique.ecc.x.buffer, xb, 32);
	p.publicArea.unique.ecc.y.size = 32;
	memset(p.publicArea.unique.ecc.y.buffer, 0x42, 32);
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(&p, buf, cap, &off), 0);
	return off;
}

#define V1_SCHEMA \
	"PRAGMA application_id = 1751609957; PRAGMA user_version = 1;" \
	"CREATE TABLE hosts (name TEXT PRIMARY KEY NOT NULL," \
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32)," \
	" ek_cert BLOB NOT NULL, ak_pub BLOB NOT NULL," \
	" enrolled_at INTEGER NOT NULL, first_enrolled_at INTEGER NOT NULL," \
	" replacements INTEGER NOT NULL DEFAULT 0);" \
	"CREATE TABLE challenges (id BLOB PRIMARY KEY NOT NULL" \
	" CHECK (length(id) = 16), host TEXT NOT NULL," \
	" \"replace\" INTEGER NOT NULL CHECK (\"replace\" IN (0, 1))," \
	" secret_sha256 BLOB NOT NULL CHECK (length(secret_sha256) = 32)," \
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32)," \
	" ek_cert BLOB NOT NULL, ak_pub BLOB NOT NULL," \
	" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL," \
	" answered_at INTEGER NOT NULL DEFAULT 0);" \
	"CREATE TABLE enrollments (id INTEGER PRIMARY KEY," \
	" host TEXT NOT NULL REFERENCES hosts(name), at INTEGER NOT NULL," \
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32)," \
	" ak_pub BLOB NOT NULL, previous_ek_fpr BLOB" \
	"  CHECK (previous_ek_fpr IS NULL OR length(previous_ek_fpr) = 32)," \
	" replaced INTEGER NOT NULL CHECK (replaced IN (0, 1)));" \
	"CREATE INDEX enrollments_host ON enrollments(host, id);"

/* A schema-1 registry with the hosts NAMES[i] on certificate CERTS[i]
 * and AK AKS[i], each with one enrollment row, and one pending
 * challenge for the first. */
static void mk_v1(int n, const char *const *names, uint8_t **certs,
		  const int *cert_lens, uint8_t (*aks)[256],
		  const size_t *ak_lens)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	raw_exec(dbpath, V1_SCHEMA);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (int i = 0; i < n; i++) {
		assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO hosts VALUES"
			" (?1, zeroblob(32), ?2, ?3, 5, 5, 0)", -1, &st, NULL),
			SQLITE_OK);
		sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, certs[i], cert_lens[i], SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, aks[i], (int)ak_lens[i], SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO enrollments"
			" (host, at, ek_fpr, ak_pub, replaced) VALUES"
			" (?1, 5, zeroblob(32), x'01', 0)", -1, &st, NULL),
			SQLITE_OK);
		sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO challenges VALUES"
		" (zeroblob(16), ?1, 0, zeroblob(32), zeroblob(32), ?2, ?3,"
		" 1, 99999999999, 0)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, names[0], -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, certs[0], cert_lens[0], SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, aks[0], (int)ak_lens[0], SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_migrate_v1(void **state)
{
	static const char *const names[] = { "old1", "old2" };
	uint8_t *certs[2], sha[2][32], aks[2][256], akname[2 + 64];
	int lens[2];
	size_t ak_lens[2], akname_len = 0;
	uint8_t id[HV_CHALLENGE_ID_LEN] = { 0 };
	struct hv_reg *reg;
	struct hv_host h;
	struct hv_challenge c;
	const char *why;

	(void)state;
	for (int i = 0; i < 2; i++) {
		certs[i] = mk_cert(&lens[i], sha[i]);
		ak_lens[i] = mk_ak(aks[i], sizeof(aks[i]), (uint8_t)(0x50 + i));
	}
	mk_v1(2, names, certs, lens, aks, ak_lens);
	reg = open_rw();
	assert_int_equal(raw_int("PRAGMA user_version"), HV_REG_SCHEMA);
	assert_int_equal(hv_reg_host_get(reg, "old2", &h), 1);
	assert_memory_equal(h.ek_key, sha[1], 32);
	assert_int_equal(hg_ak_name(aks[1], ak_lens[1], akname, &akname_len,
				    &why), 0);
	assert_int_equal(h.ak_name_len, akname_len);
	assert_memory_equal(h.ak_name, akname, akname_len);
	hv_host_free(&h);
	/* The pending challenge got its identities too. */
	assert_int_equal(hv_reg_challenge_get(reg, id, &c), 1);
	assert_memory_equal(c.ek_key, sha[0], 32);
	hv_challenge_free(&c);
	/* The history came along and no longer pins hosts. */
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 2);
	assert_int_equal(hv_reg_host_remove(reg, "old1", T0), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM enrollments"), 2);
	/* tpmid agrees with the test's own SPKI hash. */
	{
		uint8_t k[32];

		assert_int_equal(hv_ek_key_id(certs[1], (size_t)lens[1], k, &why), 0);
		assert_memory_equal(k, sha[1], 32);
		assert_int_equal(hv_ek_key_id(certs[1], (size_t)lens[1] - 1, k,
					      &why), -1);
	}
	hv_reg_close(reg);
	for (int i = 0; i < 2; i++)
		OPENSSL_free(certs[i]);
}

static void test_migrate_v1_shared_tpm(void **state)
{
	static const char *const names[] = { "twin-a", "twin-b" };
	uint8_t *certs[2], sha[2][32], aks[2][256];
	int lens[2];
	size_t ak_lens[2];
	struct hv_reg *reg = NULL;
	char want[1024];

	(void)state;
	/* Two certificates, one AK: the same TPM under two names. */
	for (int i = 0; i < 2; i++) {
		certs[i] = mk_cert(&lens[i], sha[i]);
		ak_lens[i] = mk_ak(aks[i], sizeof(aks[i]), 0x50);
	}
	mk_v1(2, names, certs, lens, aks, ak_lens);
	snprintf(want, sizeof(want), "%s: migrating to schema 2: hosts twin-a"
		 " and twin-b are enrolled on one TPM (same EK key or AK); keep"
		 " one: sqlite3 %s \"DELETE FROM hosts WHERE name = 'twin-b'\""
		 " (see docs/enrollment.md)", dbpath, dbpath);
	cap_start();
	assert_int_equal(hv_reg_open(dbpath, HV_REG_RDWR, &reg), -1);
	assert_err_line(cap_end(), want);
	assert_null(reg);
	/* Nothing changed: still schema 1. */
	assert_int_equal(raw_int("PRAGMA user_version"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM hosts"), 2);
	for (int i = 0; i < 2; i++)
		OPENSSL_free(certs[i]);
}

int main(void)
{
	static const char *const sqlite_only[] = {
		"test_unique_indexes",
		"test_migrate_v1",
		"test_migrate_v1_shared_tpm",
		NULL,
	};
	struct CMUnitTest tests[] = {
		T(test_same_ek_two_names),
		T(test_rsa_here_ecc_there_same_ak),
		T(test_replace_moves),
		T(test_finish_time_race),
		T(test_unique_indexes),
		T(test_processes_race_names),
		T(test_remove),
		T(test_rename),
		T(test_migrate_v1),
		T(test_migrate_v1_shared_tpm),
	};

	return fx_run("test_registry_tpm", tests, sizeof(tests) / sizeof(tests[0]),
		      sqlite_only);
}
