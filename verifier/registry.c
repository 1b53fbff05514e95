/* registry.c: the host registry on SQLite (see registry.h).
 *
 * One connection per struct hv_reg. Every statement that carries data is
 * prepared with its inputs bound; the only SQL put together at run time
 * is "PRAGMA user_version = N" and "PRAGMA application_id = N", because
 * PRAGMAs take no parameters, and their N comes from this file.
 *
 * A registry is recognised by PRAGMA application_id 'hgre' and versioned
 * by PRAGMA user_version. A fresh file (both 0, no tables) is migrated;
 * anything else unknown is refused before a byte of it is written, so a
 * wrong --state path cannot damage another program's database.
 *
 * Rows read back are checked as strictly as input: the file may be
 * damaged or edited by hand, and a bad row must end in one error line,
 * never in a short fingerprint read past its end.
 */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "../lib/util.h"

#define HV_REG_APP_ID 0x68677265        /* 'hgre' */
#define HV_REG_BUSY_MS 5000
#define HV_REG_PURGE_AFTER 86400        /* s a finished challenge is kept */

struct hv_reg {
	sqlite3 *db;
	char *path;
	int rdonly;
};

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

#define CHALLENGE_COLS "id, host, \"replace\", secret_sha256, ek_fpr, " \
	"ek_cert, ak_pub, created_at, expires_at, answered_at"
#define HOST_COLS "name, ek_fpr, ek_cert, ak_pub, enrolled_at, " \
	"first_enrolled_at, replacements"

/* ---- small helpers ---------------------------------------------------- */

static void reg_fail(const struct hv_reg *reg, const char *what)
{
	/* SQLite finds out lazily, at the first read, that a file is not a
	 * database: say so plainly whichever statement it was. */
	if (sqlite3_errcode(reg->db) == SQLITE_NOTADB)
		hg_err("%s: not a hostgate registry (%s)", reg->path,
		       sqlite3_errmsg(reg->db));
	else
		hg_err("%s: %s: %s", reg->path, what, sqlite3_errmsg(reg->db));
}

static int exec(struct hv_reg *reg, const char *sql, const char *what)
{
	if (sqlite3_exec(reg->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

static int prep(struct hv_reg *reg, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(reg->db, sql, -1, st, NULL) != SQLITE_OK) {
		reg_fail(reg, "preparing a statement");
		*st = NULL;
		return -1;
	}
	return 0;
}

/* Step a statement that returns no row. */
static int step_done(struct hv_reg *reg, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

/* The lock is taken at BEGIN, not at the first write: a deferred
 * transaction that read a pending challenge could otherwise lose the
 * upgrade to another writer after both had seen it pending. */
static int begin(struct hv_reg *reg)
{
	return exec(reg, "BEGIN IMMEDIATE", "taking the write lock");
}

static int commit(struct hv_reg *reg)
{
	return exec(reg, "COMMIT", "committing");
}

/* Undo whatever an unfinished transaction did; a no-op after COMMIT. */
static void rollback(struct hv_reg *reg)
{
	if (!sqlite3_get_autocommit(reg->db))
		sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
}

static int writable(const struct hv_reg *reg, const char *what, int64_t now)
{
	if (reg->rdonly) {
		hg_err("%s: %s: registry opened read-only", reg->path, what);
		return -1;
	}
	/* answered_at 0 means pending, so a time of 0 would not spend. */
	if (now <= 0) {
		hg_err("%s: %s: bad time %lld", reg->path, what, (long long)now);
		return -1;
	}
	return 0;
}

static int bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
	/* SQLITE_STATIC: every statement is finalized before its inputs go. */
	return sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC) == SQLITE_OK ?
	       0 : -1;
}

static void corrupt(const struct hv_reg *reg, const char *col)
{
	hg_err("%s: corrupt registry row (%s)", reg->path, col);
}

/* Column readers: -1 after printing when the value is not what this
 * registry writes. */
static int col_int(const struct hv_reg *reg, sqlite3_stmt *st, int i,
		   const char *col, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
		corrupt(reg, col);
		return -1;
	}
	v = sqlite3_column_int64(st, i);
	if (v < min || v > max) {
		corrupt(reg, col);
		return -1;
	}
	*out = v;
	return 0;
}

static int col_fixed(const struct hv_reg *reg, sqlite3_stmt *st, int i,
		     const char *col, uint8_t *out, size_t len)
{
	const void *p;

	if (sqlite3_column_type(st, i) != SQLITE_BLOB) {
		corrupt(reg, col);
		return -1;
	}
	p = sqlite3_column_blob(st, i);
	if (!p || (size_t)sqlite3_column_bytes(st, i) != len) {
		corrupt(reg, col);
		return -1;
	}
	memcpy(out, p, len);
	return 0;
}

/* A non-empty blob, copied into a fresh buffer. */
static int col_blob(const struct hv_reg *reg, sqlite3_stmt *st, int i,
		    const char *col, uint8_t **out, size_t *outlen)
{
	const void *p;
	int n;

	if (sqlite3_column_type(st, i) != SQLITE_BLOB) {
		corrupt(reg, col);
		return -1;
	}
	p = sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);
	if (!p || n <= 0) {
		corrupt(reg, col);
		return -1;
	}
	*out = malloc((size_t)n);
	if (!*out) {
		hg_err("%s: %s: out of memory", reg->path, col);
		return -1;
	}
	memcpy(*out, p, (size_t)n);
	*outlen = (size_t)n;
	return 0;
}

static int col_name(const struct hv_reg *reg, sqlite3_stmt *st, int i,
		    const char *col, char **out)
{
	const char *s;

	if (sqlite3_column_type(st, i) != SQLITE_TEXT) {
		corrupt(reg, col);
		return -1;
	}
	s = (const char *)sqlite3_column_text(st, i);
	/* The byte count catches a NUL inside the text. */
	if (!s || !hv_host_name_ok(s) ||
	    (size_t)sqlite3_column_bytes(st, i) != strlen(s)) {
		corrupt(reg, col);
		return -1;
	}
	*out = strdup(s);
	if (!*out) {
		hg_err("%s: %s: out of memory", reg->path, col);
		return -1;
	}
	return 0;
}

/* ---- open, migrate, close -------------------------------------------- */

static int pragma_int(struct hv_reg *reg, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (prep(reg, sql, &st) < 0)
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
	return exec(reg, sql, "setting the schema version");
}

static int migrate(struct hv_reg *reg, int64_t from)
{
	char what[64];

	if (from == 0 && set_pragma(reg, "application_id", HV_REG_APP_ID) < 0)
		return -1;
	for (int64_t v = from; v < HV_REG_SCHEMA; v++) {
		snprintf(what, sizeof(what), "migrating to schema %lld",
			 (long long)v + 1);
		if (exec(reg, migrations[v], what) < 0 ||
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
	if (exec(reg, "PRAGMA foreign_keys = ON", "enabling foreign keys") < 0)
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
	if (exec(reg, reg->rdonly ? "BEGIN" : "BEGIN IMMEDIATE",
		 "reading the registry") < 0 ||
	    check_and_migrate(reg) < 0 || commit(reg) < 0)
		goto out;
	/* WAL lets readers (verify) go on while an enrollment writes. Set
	 * only once the file is known to be ours: it is a change to it. */
	if (!reg->rdonly &&
	    exec(reg, "PRAGMA journal_mode = WAL", "enabling WAL") < 0)
		goto out;
	*out = reg;
	reg = NULL;
	ret = 0;
out:
	if (reg && reg->db)
		rollback(reg);
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

/* ---- names and structs ----------------------------------------------- */

int hv_host_name_ok(const char *name)
{
	size_t n;

	if (!name || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return 0;
	for (n = 0; name[n]; n++) {
		char ch = name[n];

		if (n >= HV_HOST_NAME_MAX)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return 0;
	}
	return 1;
}

void hv_host_free(struct hv_host *h)
{
	if (!h)
		return;
	free(h->name);
	free(h->ek_cert);
	free(h->ak_pub);
	memset(h, 0, sizeof(*h));
}

void hv_challenge_free(struct hv_challenge *c)
{
	if (!c)
		return;
	free(c->host);
	free(c->ek_cert);
	free(c->ak_pub);
	memset(c, 0, sizeof(*c));
}

/* Fill H from a row of HOST_COLS. */
static int read_host(const struct hv_reg *reg, sqlite3_stmt *st,
		     struct hv_host *h)
{
	int64_t repl;
	int ret = -1;

	memset(h, 0, sizeof(*h));
	if (col_name(reg, st, 0, "hosts.name", &h->name) < 0 ||
	    col_fixed(reg, st, 1, "hosts.ek_fpr", h->ek_fpr, 32) < 0 ||
	    col_blob(reg, st, 2, "hosts.ek_cert", &h->ek_cert,
		     &h->ek_cert_len) < 0 ||
	    col_blob(reg, st, 3, "hosts.ak_pub", &h->ak_pub,
		     &h->ak_pub_len) < 0 ||
	    col_int(reg, st, 4, "hosts.enrolled_at", INT64_MIN, INT64_MAX,
		    &h->enrolled_at) < 0 ||
	    col_int(reg, st, 5, "hosts.first_enrolled_at", INT64_MIN,
		    INT64_MAX, &h->first_enrolled_at) < 0 ||
	    col_int(reg, st, 6, "hosts.replacements", 0, UINT32_MAX,
		    &repl) < 0)
		goto out;
	h->replacements = (uint32_t)repl;
	ret = 0;
out:
	if (ret < 0)
		hv_host_free(h);
	return ret;
}

/* Fill C from a row of CHALLENGE_COLS. */
static int read_challenge(const struct hv_reg *reg, sqlite3_stmt *st,
			  struct hv_challenge *c)
{
	int64_t replace;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (col_fixed(reg, st, 0, "challenges.id", c->id,
		      HV_CHALLENGE_ID_LEN) < 0 ||
	    col_name(reg, st, 1, "challenges.host", &c->host) < 0 ||
	    col_int(reg, st, 2, "challenges.replace", 0, 1, &replace) < 0 ||
	    col_fixed(reg, st, 3, "challenges.secret_sha256",
		      c->secret_sha256, 32) < 0 ||
	    col_fixed(reg, st, 4, "challenges.ek_fpr", c->ek_fpr, 32) < 0 ||
	    col_blob(reg, st, 5, "challenges.ek_cert", &c->ek_cert,
		     &c->ek_cert_len) < 0 ||
	    col_blob(reg, st, 6, "challenges.ak_pub", &c->ak_pub,
		     &c->ak_pub_len) < 0 ||
	    col_int(reg, st, 7, "challenges.created_at", INT64_MIN, INT64_MAX,
		    &c->created_at) < 0 ||
	    col_int(reg, st, 8, "challenges.expires_at", INT64_MIN, INT64_MAX,
		    &c->expires_at) < 0 ||
	    col_int(reg, st, 9, "challenges.answered_at", 0, INT64_MAX,
		    &c->answered_at) < 0)
		goto out;
	c->replace = (int)replace;
	ret = 0;
out:
	if (ret < 0)
		hv_challenge_free(c);
	return ret;
}

/* ---- hosts ------------------------------------------------------------ */

int hv_reg_host_get(struct hv_reg *reg, const char *name, struct hv_host *out)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!hv_host_name_ok(name)) {
		ret = 0;        /* no such name can have been stored */
		goto out;
	}
	if (prep(reg, "SELECT " HOST_COLS " FROM hosts WHERE name = ?1",
		 &st) < 0)
		goto out;
	if (sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
		reg_fail(reg, "looking up a host");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		reg_fail(reg, "looking up a host");
		goto out;
	}
	if (read_host(reg, st, out) < 0)
		goto out;
	ret = 1;
out:
	sqlite3_finalize(st);
	return ret;
}

int hv_reg_hosts(struct hv_reg *reg,
		 int (*cb)(const struct hv_host *h, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	struct hv_host h = { 0 };
	int rc, ret = -1;

	/* BINARY collation: byte order, the same on every backend. */
	if (prep(reg, "SELECT " HOST_COLS " FROM hosts ORDER BY name", &st) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r;

		if (read_host(reg, st, &h) < 0)
			goto out;
		r = cb(&h, arg);
		hv_host_free(&h);
		if (r) {
			ret = r;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		reg_fail(reg, "listing hosts");
		goto out;
	}
	ret = 0;
out:
	hv_host_free(&h);
	sqlite3_finalize(st);
	return ret;
}

/* ---- challenges ------------------------------------------------------- */

int hv_reg_challenge_add(struct hv_reg *reg, const struct hv_challenge *c)
{
	sqlite3_stmt *st = NULL;
	int64_t cutoff;
	int ret = -1;

	if (writable(reg, "storing a challenge", c->created_at) < 0)
		goto out;
	if (!hv_host_name_ok(c->host)) {
		hg_err("%s: storing a challenge: bad host name", reg->path);
		goto out;
	}
	if (!c->ek_cert || !c->ek_cert_len || !c->ak_pub || !c->ak_pub_len) {
		hg_err("%s: storing a challenge: empty EK certificate or AK",
		       reg->path);
		goto out;
	}
	if (begin(reg) < 0)
		goto out;
	/* created_at > 0 (writable()), so this cannot overflow. */
	cutoff = c->created_at - HV_REG_PURGE_AFTER;
	if (prep(reg, "DELETE FROM challenges WHERE"
		 " (answered_at <> 0 AND answered_at < ?1) OR expires_at < ?1",
		 &st) < 0)
		goto out;
	if (sqlite3_bind_int64(st, 1, cutoff) != SQLITE_OK ||
	    step_done(reg, st, "purging old challenges") < 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if (prep(reg, "INSERT INTO challenges (" CHALLENGE_COLS ")"
		 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)", &st) < 0)
		goto out;
	if (bind_blob(st, 1, c->id, HV_CHALLENGE_ID_LEN) < 0 ||
	    sqlite3_bind_text(st, 2, c->host, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, c->replace ? 1 : 0) != SQLITE_OK ||
	    bind_blob(st, 4, c->secret_sha256, 32) < 0 ||
	    bind_blob(st, 5, c->ek_fpr, 32) < 0 ||
	    bind_blob(st, 6, c->ek_cert, c->ek_cert_len) < 0 ||
	    bind_blob(st, 7, c->ak_pub, c->ak_pub_len) < 0 ||
	    sqlite3_bind_int64(st, 8, c->created_at) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, c->expires_at) != SQLITE_OK) {
		reg_fail(reg, "storing a challenge");
		goto out;
	}
	if (step_done(reg, st, "storing a challenge") < 0 || commit(reg) < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	rollback(reg);
	return ret;
}

int hv_reg_challenge_get(struct hv_reg *reg,
			 const uint8_t id[HV_CHALLENGE_ID_LEN],
			 struct hv_challenge *out)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (prep(reg, "SELECT " CHALLENGE_COLS " FROM challenges WHERE id = ?1",
		 &st) < 0)
		goto out;
	if (bind_blob(st, 1, id, HV_CHALLENGE_ID_LEN) < 0) {
		reg_fail(reg, "looking up a challenge");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		reg_fail(reg, "looking up a challenge");
		goto out;
	}
	if (read_challenge(reg, st, out) < 0)
		goto out;
	ret = 1;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Inside the caller's transaction. */
static int mark_answered(struct hv_reg *reg,
			 const uint8_t id[HV_CHALLENGE_ID_LEN], int64_t now)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (prep(reg, "UPDATE challenges SET answered_at = ?2"
		 " WHERE id = ?1 AND answered_at = 0", &st) < 0)
		goto out;
	if (bind_blob(st, 1, id, HV_CHALLENGE_ID_LEN) < 0 ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
		reg_fail(reg, "spending the challenge");
		goto out;
	}
	if (step_done(reg, st, "spending the challenge") < 0)
		goto out;
	/* Under the write lock the row was just read pending: anything but
	 * one change means the database is not behaving as a database. */
	if (sqlite3_changes(reg->db) != 1) {
		hg_err("%s: spending the challenge: it changed under the lock",
		       reg->path);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int hv_reg_challenge_spend(struct hv_reg *reg,
			   const uint8_t id[HV_CHALLENGE_ID_LEN], int64_t now)
{
	struct hv_challenge c = { 0 };
	int r, ret = -1;

	if (writable(reg, "spending a challenge", now) < 0 || begin(reg) < 0)
		goto out;
	r = hv_reg_challenge_get(reg, id, &c);
	if (r < 0)
		goto out;
	if (r == 0) {
		ret = HV_ENROLL_UNKNOWN;
		goto out;
	}
	if (c.answered_at) {
		ret = HV_ENROLL_ANSWERED;
		goto out;
	}
	if (mark_answered(reg, id, now) < 0 || commit(reg) < 0)
		goto out;
	ret = 0;
out:
	rollback(reg);
	hv_challenge_free(&c);
	return ret;
}

/* ---- enrollment ------------------------------------------------------- */

/* The enrolled EK of HOST: 1 found, 0 not, -1 error. Only the columns the
 * enrollment needs, still checked. */
static int host_ek(struct hv_reg *reg, const char *host, uint8_t fpr[32],
		   int64_t *replacements)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (prep(reg, "SELECT ek_fpr, replacements FROM hosts WHERE name = ?1",
		 &st) < 0)
		goto out;
	if (sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC) != SQLITE_OK) {
		reg_fail(reg, "looking up the host");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		reg_fail(reg, "looking up the host");
		goto out;
	}
	if (col_fixed(reg, st, 0, "hosts.ek_fpr", fpr, 32) < 0 ||
	    col_int(reg, st, 1, "hosts.replacements", 0, UINT32_MAX,
		    replacements) < 0)
		goto out;
	ret = 1;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Insert or update the host row from challenge C. first_enrolled_at is
 * only ever written by the INSERT. */
static int host_store(struct hv_reg *reg, const struct hv_challenge *c,
		      int exists, int64_t replacements, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (prep(reg, exists ?
		 "UPDATE hosts SET ek_fpr = ?2, ek_cert = ?3, ak_pub = ?4,"
		 " enrolled_at = ?5, replacements = ?6 WHERE name = ?1" :
		 "INSERT INTO hosts (" HOST_COLS ")"
		 " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)", &st) < 0)
		goto out;
	if (sqlite3_bind_text(st, 1, c->host, -1, SQLITE_STATIC) != SQLITE_OK ||
	    bind_blob(st, 2, c->ek_fpr, 32) < 0 ||
	    bind_blob(st, 3, c->ek_cert, c->ek_cert_len) < 0 ||
	    bind_blob(st, 4, c->ak_pub, c->ak_pub_len) < 0 ||
	    sqlite3_bind_int64(st, 5, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, replacements) != SQLITE_OK) {
		reg_fail(reg, "storing the host");
		goto out;
	}
	if (step_done(reg, st, "storing the host") < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int history_add(struct hv_reg *reg, const struct hv_challenge *c,
		       int64_t now, const uint8_t *prev, int replaced)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (prep(reg, "INSERT INTO enrollments (host, at, ek_fpr, ak_pub,"
		 " previous_ek_fpr, replaced) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		 &st) < 0)
		goto out;
	/* previous_ek_fpr stays NULL (unbound) for a first enrollment. */
	if (sqlite3_bind_text(st, 1, c->host, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    bind_blob(st, 3, c->ek_fpr, 32) < 0 ||
	    bind_blob(st, 4, c->ak_pub, c->ak_pub_len) < 0 ||
	    (prev && bind_blob(st, 5, prev, 32) < 0) ||
	    sqlite3_bind_int(st, 6, replaced) != SQLITE_OK) {
		reg_fail(reg, "recording the enrollment");
		goto out;
	}
	if (step_done(reg, st, "recording the enrollment") < 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* *OLD_FPR: the previous fingerprint when the EK changed (also on
 * HV_ENROLL_EK_CHANGED, for the caller's message); zeroed on an
 * enrollment that kept the EK; untouched otherwise. */
int hv_reg_enroll(struct hv_reg *reg, const uint8_t id[HV_CHALLENGE_ID_LEN],
		  int64_t now, uint8_t old_fpr[32])
{
	struct hv_challenge c = { 0 };
	uint8_t prev[32];
	int64_t replacements = 0;
	int exists, changed, r, ret = -1;

	if (writable(reg, "enrolling", now) < 0 || begin(reg) < 0)
		goto out;
	r = hv_reg_challenge_get(reg, id, &c);
	if (r < 0)
		goto out;
	if (r == 0) {
		ret = HV_ENROLL_UNKNOWN;
		goto out;
	}
	if (c.answered_at) {
		ret = HV_ENROLL_ANSWERED;
		goto out;
	}
	if (now > c.expires_at) {
		ret = HV_ENROLL_EXPIRED;
		goto out;
	}
	if (mark_answered(reg, id, now) < 0)
		goto out;
	exists = host_ek(reg, c.host, prev, &replacements);
	if (exists < 0)
		goto out;
	changed = exists && memcmp(prev, c.ek_fpr, 32) != 0;
	if (changed && !c.replace) {
		/* Commit the spent challenge alone: one answer each. */
		if (commit(reg) < 0)
			goto out;
		if (old_fpr)
			memcpy(old_fpr, prev, 32);
		ret = HV_ENROLL_EK_CHANGED;
		goto out;
	}
	if (changed) {
		if (replacements >= UINT32_MAX) {
			hg_err("%s: host %s: too many EK replacements",
			       reg->path, c.host);
			goto out;
		}
		replacements++;
	}
	if (host_store(reg, &c, exists, replacements, now) < 0 ||
	    history_add(reg, &c, now, exists ? prev : NULL, changed) < 0 ||
	    commit(reg) < 0)
		goto out;
	if (old_fpr) {
		if (changed)
			memcpy(old_fpr, prev, 32);
		else
			memset(old_fpr, 0, 32);
	}
	ret = 0;
out:
	rollback(reg);
	hv_challenge_free(&c);
	return ret;
}
