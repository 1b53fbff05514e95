/* registry.c: the host registry on SQLite (see registry.h): opening a
 * registry file, recognising it, creating and migrating its schema, and
 * closing it. The rows are read and written by registry_hosts.c and
 * registry_enroll.c, with the helpers of registry_sql.c (registry_int.h).
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
#include <sqlite3.h>

#include "../lib/util.h"

#define HV_REG_APP_ID 0x68677265        /* 'hgre' */
#define HV_REG_BUSY_MS 5000

/* migrations[i] takes a registry from user_version i to i + 1. Each runs
 * inside the BEGIN IMMEDIATE of hv_reg_open() together with the
 * user_version bump, so a crash leaves the old schema or the new one.
 * enrollments.id is an INTEGER PRIMARY KEY rather than the implicit rowid
 * because VACUUM may renumber implicit rowids, and the history's order is
 * its point. "replace" is quoted: it is an SQL keyword. */
static const char *const migrations[HV_REG_SCHEMA] = {
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
};

/* ---- open, migrate, close -------------------------------------------- */

static int pragma_int(struct hv_reg *reg, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (reg_prep(reg, sql, &st) < 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		reg_fail(reg, sql);
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
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
		if (reg_exec(reg, migrations[v], what) < 0 ||
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

static int db_open(struct hv_reg *reg)
{
	int flags, rc, err, ret = -1;

	flags = reg->rdonly ? SQLITE_OPEN_READONLY :
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	rc = sqlite3_open_v2(reg->path, &reg->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (!reg->db) {
			hg_err("%s: opening the registry: out of memory",
			       reg->path);
			goto out;
		}
		err = sqlite3_system_errno(reg->db);
		if (reg->rdonly && err == ENOENT)
			hg_err("%s: no registry (enroll a host first)",
			       reg->path);
		else if (err)
			hg_err("%s: %s (%s)", reg->path,
			       sqlite3_errmsg(reg->db), strerror(err));
		else
			reg_fail(reg, "opening the registry");
		goto out;
	}
	sqlite3_busy_timeout(reg->db, HV_REG_BUSY_MS);
	/* A file we did not write may carry a schema crafted to run SQL
	 * functions on our reads, or to have us write its internals. */
	sqlite3_db_config(reg->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(reg->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (reg_exec(reg, "PRAGMA foreign_keys = ON",
		     "enabling foreign keys") < 0)
		goto out;
	ret = 0;
out:
	return ret;
}

int hv_reg_open(const char *path, int mode, struct hv_reg **out)
{
	struct hv_reg *reg = NULL;
	mode_t old_umask = 0;
	int umask_set = 0, ret = -1;

	*out = NULL;
	if (mode != HV_REG_RDONLY && mode != HV_REG_RDWR) {
		hg_err("%s: bad registry open mode %d", path, mode);
		goto out;
	}
	reg = calloc(1, sizeof(*reg));
	if (!reg || !(reg->path = strdup(path))) {
		hg_err("%s: out of memory", path);
		goto out;
	}
	reg->rdonly = mode == HV_REG_RDONLY;
	/* SQLite creates the file, its rollback journal and the -wal and
	 * -shm with 0644 less the umask (and later ones with the database's
	 * own mode): 077 makes all of them 0600 from the first byte. The
	 * umask is process-wide, so it is held only for this call. */
	if (!reg->rdonly) {
		old_umask = umask(077);
		umask_set = 1;
	}
	if (db_open(reg) < 0)
		goto out;
	/* Even a reader takes a transaction, so the identity checks see one
	 * consistent file; a writer takes the write lock so that two first
	 * opens cannot both create the schema. */
	if (reg_exec(reg, reg->rdonly ? "BEGIN" : "BEGIN IMMEDIATE",
		     "reading the registry") < 0 ||
	    check_and_migrate(reg) < 0 || reg_commit(reg) < 0)
		goto out;
	/* WAL lets readers (verify) go on while an enrollment writes. Set
	 * only once the file is known to be ours: it is a change to it. */
	if (!reg->rdonly &&
	    reg_exec(reg, "PRAGMA journal_mode = WAL", "enabling WAL") < 0)
		goto out;
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
	/* Every statement is finalized where it was prepared, so close
	 * cannot be refused as busy. */
	sqlite3_close(reg->db);
	free(reg->path);
	free(reg);
}
