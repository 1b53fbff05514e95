/* registry.c: opening the host registry (see registry.h): a PostgreSQL
 * URI goes to registry_pg.c, anything else is a SQLite file, recognised,
 * created and migrated here; and closing it. The rows are read and
 * written by registry_hosts.c, registry_enroll.c, registry_fleet.c,
 * registry_policy.c, registry_push.c and registry_share.c, with the
 * helpers of registry_sql.c (registry_int.h) on the drivers of db.h.
 *
 * One connection per struct hv_reg. The only SQL put together at run
 * time is "PRAGMA user_version = N" and "PRAGMA application_id = N",
 * because PRAGMAs take no parameters, and their N comes from this file.
 *
 * A registry is recognised by PRAGMA application_id 'hgre' and versioned
 * by PRAGMA user_version. A fresh file (both 0, no tables) is migrated;
 * anything else unknown is refused before a byte of it is written, so a
 * wrong --state path cannot damage another program's database.
 */
#include "registry_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/tpmpub.h"
#include "../../lib/util.h"
#include "../tpmid.h"

#define HV_REG_APP_ID 0x68677265        /* 'hgre' */

/* migrations[i] takes a registry from user_version i to i + 1. Each runs
 * inside the BEGIN IMMEDIATE of hv_reg_open() together with the
 * user_version bump, so a crash leaves the old schema or the new one.
 * enrollments.id is an INTEGER PRIMARY KEY rather than the implicit rowid
 * because VACUUM may renumber implicit rowids, and the history's order is
 * its point. "replace" is quoted: it is an SQL keyword. */
struct migration {
	const char *before;          /* SQL */
	int (*fill)(struct hv_reg *reg);   /* C, between the two; may be NULL */
	const char *after;           /* SQL; may be NULL */
};

static int fill_tpm_ids(struct hv_reg *reg);

static const struct migration migrations[HV_REG_SCHEMA] = { {
	"CREATE TABLE hosts ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32),"
	" ek_cert BLOB NOT NULL,"
	" ak_pub BLOB NOT NULL,"
	" enrolled_at INTEGER NOT NULL,"
	" first_enrolled_at INTEGER NOT NULL,"
	" replacements INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE challenges ("
	" id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
	" host TEXT NOT NULL,"
	" \"replace\" INTEGER NOT NULL CHECK (\"replace\" IN (0, 1)),"
	" secret_sha256 BLOB NOT NULL CHECK (length(secret_sha256) = 32),"
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32),"
	" ek_cert BLOB NOT NULL,"
	" ak_pub BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" answered_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE enrollments ("
	" id INTEGER PRIMARY KEY,"
	" host TEXT NOT NULL REFERENCES hosts(name),"
	" at INTEGER NOT NULL,"
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32),"
	" ak_pub BLOB NOT NULL,"
	" previous_ek_fpr BLOB"
	"  CHECK (previous_ek_fpr IS NULL OR length(previous_ek_fpr) = 32),"
	" replaced INTEGER NOT NULL CHECK (replaced IN (0, 1)));"
	"CREATE INDEX enrollments_host ON enrollments(host, id);",
	NULL, NULL,
}, {
	/* Schema 2 (issue 11 item 7, issue 13): one TPM, one host; hosts can
	 * be removed and renamed, so the history no longer references the
	 * hosts table (SQLite cannot drop a constraint: the table is
	 * rebuilt), and the events table records what is not an enrollment.
	 * ek_key and ak_name are computed in C from the stored certificate
	 * and AK (fill_tpm_ids), then made unique. */
	"ALTER TABLE hosts ADD COLUMN ek_key BLOB"
	" CHECK (ek_key IS NULL OR length(ek_key) = 32);"
	"ALTER TABLE hosts ADD COLUMN ak_name BLOB;"
	"ALTER TABLE challenges ADD COLUMN ek_key BLOB"
	" CHECK (ek_key IS NULL OR length(ek_key) = 32);"
	"ALTER TABLE challenges ADD COLUMN ak_name BLOB;"
	"CREATE TABLE enrollments2 ("
	" id INTEGER PRIMARY KEY,"
	" host TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" ek_fpr BLOB NOT NULL CHECK (length(ek_fpr) = 32),"
	" ak_pub BLOB NOT NULL,"
	" previous_ek_fpr BLOB"
	"  CHECK (previous_ek_fpr IS NULL OR length(previous_ek_fpr) = 32),"
	" replaced INTEGER NOT NULL CHECK (replaced IN (0, 1)));"
	"INSERT INTO enrollments2 (id, host, at, ek_fpr, ak_pub,"
	" previous_ek_fpr, replaced) SELECT id, host, at, ek_fpr, ak_pub,"
	" previous_ek_fpr, replaced FROM enrollments;"
	"DROP TABLE enrollments;"
	"ALTER TABLE enrollments2 RENAME TO enrollments;"
	"CREATE INDEX enrollments_host ON enrollments(host, id);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" event TEXT NOT NULL"
	"  CHECK (event IN ('removed', 'renamed', 'tpm-moved')),"
	" host TEXT NOT NULL,"
	" other TEXT);",
	fill_tpm_ids,
	"CREATE UNIQUE INDEX hosts_ek_key ON hosts(ek_key);"
	"CREATE UNIQUE INDEX hosts_ak_name ON hosts(ak_name);",
}, {
	/* Schema 3 (issue 14): the verifier service. The state lives on the
	 * host row (a rename moves it, a removal drops it with the row);
	 * history, nonces and assignments name the host and are kept in
	 * step by registry_hosts.c. "group" is an SQL keyword: host_group.
	 * The CHECKs are the registry's own rules again, so a writer that
	 * skipped a check still cannot store a state that is not one. */
	"ALTER TABLE hosts ADD COLUMN agent_url TEXT;"
	"ALTER TABLE hosts ADD COLUMN host_group TEXT;"
	"ALTER TABLE hosts ADD COLUMN state TEXT NOT NULL DEFAULT 'unknown'"
	" CHECK (state IN ('unknown', 'trusted', 'untrusted', 'unreachable'));"
	"ALTER TABLE hosts ADD COLUMN state_since INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE hosts ADD COLUMN checked_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE hosts ADD COLUMN failures INTEGER NOT NULL DEFAULT 0"
	" CHECK (failures >= 0);"
	"ALTER TABLE hosts ADD COLUMN last_verdict TEXT;"
	"ALTER TABLE hosts ADD COLUMN judged_policy TEXT;"
	"ALTER TABLE hosts ADD COLUMN incr_state BLOB;"
	"UPDATE hosts SET state_since = enrolled_at;"
	"CREATE TABLE verdicts ("
	" id INTEGER PRIMARY KEY,"
	" host TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" state TEXT NOT NULL"
	"  CHECK (state IN ('unknown', 'trusted', 'untrusted', 'unreachable')),"
	" verdict TEXT);"
	"CREATE INDEX verdicts_host ON verdicts(host, id);"
	"CREATE TABLE nonces ("
	" nonce BLOB PRIMARY KEY NOT NULL CHECK (length(nonce) = 32),"
	" host TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" used_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX nonces_host ON nonces(host, expires_at);"
	"CREATE TABLE policies ("
	" name TEXT NOT NULL,"
	" version INTEGER NOT NULL CHECK (version >= 1),"
	" sha256 BLOB NOT NULL CHECK (length(sha256) = 32),"
	" body TEXT NOT NULL,"
	" added_at INTEGER NOT NULL,"
	" PRIMARY KEY (name, version));"
	"CREATE TABLE assignments ("
	" kind TEXT NOT NULL CHECK (kind IN ('host', 'group')),"
	" target TEXT NOT NULL,"
	" policy TEXT NOT NULL,"
	" assigned_at INTEGER NOT NULL,"
	" PRIMARY KEY (kind, target));",
	NULL, NULL,
}, {
	/* Schema 4 (issue 15): several serve instances on one registry
	 * (registry_share.c, docs/fleet.md). Times here are Unix
	 * milliseconds: a lease is a fraction of an interval. Plain SQL that
	 * PostgreSQL takes as it is (INTEGER PRIMARY KEY aside). */
	"CREATE TABLE instances ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" started_at INTEGER NOT NULL,"
	" heartbeat_at INTEGER NOT NULL);"
	"ALTER TABLE hosts ADD COLUMN lease_owner TEXT;"
	"ALTER TABLE hosts ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX hosts_lease ON hosts(lease_until);"
	"ALTER TABLE verdicts ADD COLUMN instance TEXT;"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" host TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" from_state TEXT NOT NULL"
	"  CHECK (from_state IN ('unknown', 'trusted', 'untrusted', 'unreachable')),"
	" to_state TEXT NOT NULL"
	"  CHECK (to_state IN ('unknown', 'trusted', 'untrusted', 'unreachable')),"
	" since INTEGER NOT NULL,"
	" detail TEXT NOT NULL,"
	" claims INTEGER NOT NULL DEFAULT 0,"
	" lease_owner TEXT,"
	" lease_until INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX outbox_lease ON outbox(lease_until, id);",
	NULL, NULL,
} };

/* ---- schema 2: the TPM identities of existing rows ------------------- */

/* Set ek_key and ak_name of every row of TABLE from its ek_cert and
 * ak_pub (verifier/tpmid.h). A row whose certificate or AK cannot be read
 * is a damaged registry: the migration stops, nothing changes. */
static int fill_table(struct hv_reg *reg, const char *select,
		      const char *update, const char *table)
{
	struct db_st *st = NULL, *up = NULL;
	uint8_t key[32], name[2 + 64];
	size_t name_len = 0;
	const char *why;
	int rc, ret = -1;

	if (reg_prep(reg, select, &st) < 0 || reg_prep(reg, update, &up) < 0)
		goto out;
	while ((rc = db_step(st)) == 1) {
		size_t cert_len = 0, ak_len = 0;
		const uint8_t *cert = db_col_blob(st, 1, &cert_len);
		const uint8_t *ak = db_col_blob(st, 2, &ak_len);

		if (db_col_type(st, 1) != DB_BLOB || !cert || !cert_len ||
		    hv_ek_key_id(cert, cert_len, key, &why) < 0 ||
		    db_col_type(st, 2) != DB_BLOB || !ak || !ak_len ||
		    hg_ak_name(ak, ak_len, name, &name_len, &why) < 0) {
			hg_err("%s: migrating to schema 2: corrupt registry row"
			       " (%s.ek_cert or ak_pub)", reg->path, table);
			goto out;
		}
		db_reset(up);
		if (reg_bind_int(up, 1, db_col_int(st, 0)) < 0 ||
		    reg_bind_blob(up, 2, key, 32) < 0 ||
		    reg_bind_blob(up, 3, name, name_len) < 0) {
			reg_fail(reg, "migrating to schema 2");
			goto out;
		}
		if (reg_step_done(reg, up, "migrating to schema 2") < 0)
			goto out;
	}
	if (rc != 0) {
		reg_fail(reg, "migrating to schema 2");
		goto out;
	}
	ret = 0;
out:
	db_finalize(st);
	db_finalize(up);
	return ret;
}

/* Two hosts on one TPM in a schema-1 registry (CVE-2021-3406) cannot be
 * carried forward: the unique index would refuse them, and which one is
 * the real host is the operator's call. Name both. */
static int refuse_shared_tpm(struct hv_reg *reg)
{
	struct db_st *st = NULL;
	size_t n0, n1;
	int rc, ret = -1;

	if (reg_prep(reg, "SELECT a.name, b.name FROM hosts a JOIN hosts b"
		     " ON a.name < b.name AND (a.ek_key = b.ek_key OR"
		     " a.ak_name = b.ak_name) ORDER BY a.name, b.name LIMIT 1",
		     &st) < 0)
		goto out;
	rc = reg_step_row(reg, st, "migrating to schema 2");
	if (rc < 0)
		goto out;
	if (rc == 1) {
		hg_err("%s: migrating to schema 2: hosts %s and %s are enrolled"
		       " on one TPM (same EK key or AK); keep one: sqlite3 %s"
		       " \"DELETE FROM hosts WHERE name = '%s'\" (see"
		       " docs/enrollment.md)", reg->path,
		       db_col_text(st, 0, &n0), db_col_text(st, 1, &n1),
		       reg->path, db_col_text(st, 1, &n1));
		goto out;
	}
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

static int fill_tpm_ids(struct hv_reg *reg)
{
	if (fill_table(reg, "SELECT rowid, ek_cert, ak_pub FROM hosts",
		       "UPDATE hosts SET ek_key = ?2, ak_name = ?3"
		       " WHERE rowid = ?1", "hosts") < 0 ||
	    fill_table(reg, "SELECT rowid, ek_cert, ak_pub FROM challenges",
		       "UPDATE challenges SET ek_key = ?2, ak_name = ?3"
		       " WHERE rowid = ?1", "challenges") < 0)
		return -1;
	return refuse_shared_tpm(reg);
}

/* ---- open, migrate, close -------------------------------------------- */

static int pragma_int(struct hv_reg *reg, const char *sql, int64_t *out)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, sql, &st) < 0)
		goto out;
	if (db_step(st) != 1) {
		reg_fail(reg, sql);
		goto out;
	}
	*out = db_col_int(st, 0);
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

static int set_pragma(struct hv_reg *reg, const char *name, long long v)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA %s = %lld", name, v);
	return reg_exec(reg, sql, "setting the schema version");
}

static int migrate(struct hv_reg *reg, int64_t from)
{
	char what[64];

	if (from == 0 && set_pragma(reg, "application_id", HV_REG_APP_ID) < 0)
		return -1;
	for (int64_t v = from; v < HV_REG_SCHEMA; v++) {
		snprintf(what, sizeof(what), "migrating to schema %lld",
			 (long long)v + 1);
		if (reg_exec(reg, migrations[v].before, what) < 0 ||
		    (migrations[v].fill && migrations[v].fill(reg) < 0) ||
		    (migrations[v].after &&
		     reg_exec(reg, migrations[v].after, what) < 0) ||
		    set_pragma(reg, "user_version", v + 1) < 0)
			return -1;
	}
	return 0;
}

/* Inside a transaction: decide what the file is, and migrate it forward
 * when it is ours and older (or new and empty) and we may write. */
static int check_and_migrate(struct hv_reg *reg)
{
	int64_t app, ver, objects, code;
	int ret = -1;

	if (pragma_int(reg, "PRAGMA application_id", &app) < 0 ||
	    pragma_int(reg, "PRAGMA user_version", &ver) < 0 ||
	    pragma_int(reg, "SELECT count(*) FROM sqlite_master", &objects) < 0 ||
	    pragma_int(reg, "SELECT count(*) FROM sqlite_master"
		       " WHERE type IN ('trigger', 'view')", &code) < 0)
		goto out;
	if (app == 0 && ver == 0) {
		if (objects) {
			hg_err("%s: not a hostgate registry (a SQLite database"
			       " with other tables)", reg->path);
			goto out;
		}
		/* An empty file: nothing was ever enrolled into it. */
		if (reg->rdonly) {
			hg_err("%s: no registry (enroll a host first)",
			       reg->path);
			goto out;
		}
		ret = migrate(reg, 0);
		goto out;
	}
	if (app != HV_REG_APP_ID) {
		hg_err("%s: not a hostgate registry (application_id 0x%08llx)",
		       reg->path, (unsigned long long)(uint32_t)app);
		goto out;
	}
	if (ver > HV_REG_SCHEMA) {
		hg_err("%s: written by a newer hostgate (schema %lld, this one"
		       " knows %d)", reg->path, (long long)ver, HV_REG_SCHEMA);
		goto out;
	}
	if (ver < 1) {
		hg_err("%s: damaged registry (application_id set, schema %lld)",
		       reg->path, (long long)ver);
		goto out;
	}
	/* We never create triggers or views: code in the file that would run
	 * on our writes is someone else's. */
	if (code) {
		hg_err("%s: not a hostgate registry (it has triggers or views)",
		       reg->path);
		goto out;
	}
	if (ver < HV_REG_SCHEMA) {
		if (reg->rdonly) {
			hg_err("%s: schema %lld needs migrating to %d (open it"
			       " read-write once)", reg->path, (long long)ver,
			       HV_REG_SCHEMA);
			goto out;
		}
		ret = migrate(reg, ver);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

static int open_sqlite(struct hv_reg *reg)
{
	char *err = NULL;
	int noent = 0, ret = -1;

	if (db_sqlite_open(reg->path, reg->rdonly, &reg->db, &err,
			   &noent) < 0) {
		if (noent)
			hg_err("%s: no registry (enroll a host first)",
			       reg->path);
		else
			hg_err("%s: %s", reg->path, err ? err :
			       "opening the registry: out of memory");
		goto out;
	}
	/* Even a reader takes a transaction, so the identity checks see one
	 * consistent file; a writer takes the write lock so that two first
	 * opens cannot both create the schema. */
	if ((reg->rdonly ? reg->db->ops->begin_read(reg->db) :
	     reg->db->ops->begin_write(reg->db)) < 0) {
		reg_fail(reg, "reading the registry");
		goto out;
	}
	if (check_and_migrate(reg) < 0 || reg_commit(reg) < 0)
		goto out;
	/* WAL lets readers (verify) go on while an enrollment writes. Set
	 * only once the file is known to be ours: it is a change to it. */
	if (!reg->rdonly &&
	    reg_exec(reg, "PRAGMA journal_mode = WAL", "enabling WAL") < 0)
		goto out;
	ret = 0;
out:
	free(err);
	return ret;
}

int hv_reg_open(const char *path, int mode, struct hv_reg **out)
{
	struct hv_reg *reg = NULL;
	mode_t old_umask = 0;
	int umask_set = 0, pg = db_is_pg_uri(path), ret = -1;

	*out = NULL;
	reg = calloc(1, sizeof(*reg));
	if (!reg || !(reg->path = pg ? db_uri_redact(path) : strdup(path))) {
		hg_err("registry: out of memory");
		goto out;
	}
	if (mode != HV_REG_RDONLY && mode != HV_REG_RDWR &&
	    mode != HV_REG_RDWR_EXISTING) {
		hg_err("%s: bad registry open mode %d", reg->path, mode);
		goto out;
	}
	reg->rdonly = mode == HV_REG_RDONLY;
	reg->nocreate = mode != HV_REG_RDWR;
	if (pg) {
		if (reg_pg_open(reg, path) < 0)
			goto out;
		goto done;
	}
	/* SQLite creates the file, its rollback journal and the -wal and
	 * -shm with 0644 less the umask (and later ones with the database's
	 * own mode): 077 makes all of them 0600 from the first byte. The
	 * umask is process-wide, so it is held only for this call. */
	if (reg->nocreate && !reg->rdonly && access(path, F_OK) < 0 &&
	    errno == ENOENT) {
		hg_err("%s: no registry (enroll a host first)", reg->path);
		goto out;
	}
	if (!reg->rdonly) {
		old_umask = umask(077);
		umask_set = 1;
	}
	if (open_sqlite(reg) < 0)
		goto out;
done:
	*out = reg;
	reg = NULL;
	ret = 0;
out:
	if (reg && reg->db)
		reg_rollback(reg);
	hv_reg_close(reg);
	if (umask_set)
		umask(old_umask);
	return ret;
}

void hv_reg_close(struct hv_reg *reg)
{
	if (!reg)
		return;
	db_close(reg->db);
	free(reg->path);
	free(reg);
}
