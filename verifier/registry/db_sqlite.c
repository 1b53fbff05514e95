/* db_sqlite.c: the SQLite driver of the registry's statement API
 * (db.h): one connection to one file.
 *
 * The file is opened without following a symbolic link, defensively
 * (SQLITE_DBCONFIG_DEFENSIVE, no trusted schema: a file we did not write
 * may carry a schema crafted to run SQL functions on our reads, or to
 * have us write its internals), with foreign keys on and a busy timeout
 * of HV_DB_BUSY_MS: a writer waits that long for another's lock.
 * Values are bound SQLITE_STATIC (db.h: the caller keeps them).
 */
#include "db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#define HV_DB_BUSY_MS 5000

struct db_sqlite {
	struct db base;
	sqlite3 *h;
};
struct st_sqlite {
	struct db_st base;
	sqlite3_stmt *s;
};

#define H(db) (((struct db_sqlite *)(db))->h)
#define S(st) (((struct st_sqlite *)(st))->s)

static void s_close(struct db *db)
{
	/* Every statement is finalized where it was prepared, so close
	 * cannot be refused as busy. */
	sqlite3_close(H(db));
	free(db);
}

static void note(struct db *db)
{
	/* SQLite finds out lazily, at the first read, that a file is not a
	 * database: the registry says so plainly whichever statement it was. */
	if (sqlite3_errcode(H(db)) == SQLITE_NOTADB)
		db->notadb = 1;
}

static int s_prep(struct db *db, const char *sql, struct db_st **out)
{
	struct st_sqlite *st = calloc(1, sizeof(*st));

	*out = NULL;
	if (!st)
		return -1;
	if (sqlite3_prepare_v2(H(db), sql, -1, &st->s, NULL) != SQLITE_OK) {
		note(db);
		free(st);
		return -1;
	}
	st->base.db = db;
	*out = &st->base;
	return 0;
}

static int s_bind_int(struct db_st *st, int i, int64_t v)
{
	return sqlite3_bind_int64(S(st), i, v) == SQLITE_OK ? 0 : -1;
}

static int s_bind_text(struct db_st *st, int i, const char *s, size_t len)
{
	if (!s)
		return sqlite3_bind_null(S(st), i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text64(S(st), i, s, len, SQLITE_STATIC,
				   SQLITE_UTF8) == SQLITE_OK ? 0 : -1;
}

static int s_bind_blob(struct db_st *st, int i, const void *p, size_t len)
{
	return sqlite3_bind_blob64(S(st), i, p, len, SQLITE_STATIC) ==
	       SQLITE_OK ? 0 : -1;
}

static int s_bind_null(struct db_st *st, int i)
{
	return sqlite3_bind_null(S(st), i) == SQLITE_OK ? 0 : -1;
}

static int s_step(struct db_st *st)
{
	int rc = sqlite3_step(S(st));

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	note(st->db);
	return -1;
}

static void s_reset(struct db_st *st)
{
	sqlite3_reset(S(st));
}

static void s_finalize(struct db_st *st)
{
	sqlite3_finalize(S(st));
	free(st);
}

static int s_col_type(struct db_st *st, int i)
{
	switch (sqlite3_column_type(S(st), i)) {
	case SQLITE_NULL: return DB_NULL;
	case SQLITE_INTEGER: return DB_INT;
	case SQLITE_TEXT: return DB_TEXT;
	case SQLITE_BLOB: return DB_BLOB;
	default: return DB_OTHER;
	}
}

static int64_t s_col_int(struct db_st *st, int i)
{
	return sqlite3_column_int64(S(st), i);
}

static const char *s_col_text(struct db_st *st, int i, size_t *len)
{
	const char *s = (const char *)sqlite3_column_text(S(st), i);

	*len = (size_t)sqlite3_column_bytes(S(st), i);
	return s;
}

static const void *s_col_blob(struct db_st *st, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(S(st), i);

	*len = (size_t)sqlite3_column_bytes(S(st), i);
	return p;
}

static int64_t s_changes(struct db *db)
{
	return sqlite3_changes64(H(db));
}

static int s_exec(struct db *db, const char *sql)
{
	if (sqlite3_exec(H(db), sql, NULL, NULL, NULL) != SQLITE_OK) {
		note(db);
		return -1;
	}
	return 0;
}

/* The lock is taken at BEGIN, not at the first write: a deferred
 * transaction that read a pending challenge could otherwise lose the
 * upgrade to another writer after both had seen it pending. */
static int s_begin_write(struct db *db)
{
	if (s_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	db->in_txn = 1;
	return 0;
}

static int s_begin_read(struct db *db)
{
	if (s_exec(db, "BEGIN") < 0)
		return -1;
	db->in_txn = 1;
	return 0;
}

static int s_commit(struct db *db)
{
	if (s_exec(db, "COMMIT") < 0)
		return -1;
	db->in_txn = 0;
	return 0;
}

/* Undo whatever an unfinished transaction did; a no-op after COMMIT. */
static void s_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(H(db)))
		sqlite3_exec(H(db), "ROLLBACK", NULL, NULL, NULL);
	db->in_txn = 0;
}

static int s_lazy_commit(struct db *db, int on)
{
	return s_exec(db, on ? "PRAGMA synchronous = NORMAL" :
			       "PRAGMA synchronous = FULL");
}

static const char *s_errmsg(struct db *db)
{
	return sqlite3_errmsg(H(db));
}

static int s_set_timeout(struct db *db, unsigned ms)
{
	return sqlite3_busy_timeout(H(db), (int)ms) == SQLITE_OK ? 0 : -1;
}

static const struct db_ops sqlite_ops = {
	.kind = DB_SQLITE,
	.close = s_close, .prep = s_prep, .bind_int = s_bind_int,
	.bind_text = s_bind_text, .bind_blob = s_bind_blob,
	.bind_null = s_bind_null, .step = s_step, .reset = s_reset,
	.finalize = s_finalize, .col_type = s_col_type, .col_int = s_col_int,
	.col_text = s_col_text, .col_blob = s_col_blob, .changes = s_changes,
	.exec = s_exec, .begin_write = s_begin_write,
	.begin_read = s_begin_read, .commit = s_commit,
	.rollback = s_rollback, .lazy_commit = s_lazy_commit,
	.errmsg = s_errmsg, .set_timeout = s_set_timeout,
};

/* A, B, C and D in one malloc'd line. */
static char *dupmsg(const char *a, const char *b, const char *c,
		    const char *d)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%s%s%s", a, b, c, d);
	return strdup(buf);
}

int db_sqlite_open(const char *path, int rdonly, struct db **out,
		   char **err, int *noent)
{
	struct db_sqlite *d = calloc(1, sizeof(*d));
	int flags, rc, e;

	*out = NULL;
	*err = NULL;
	*noent = 0;
	if (!d) {
		*err = strdup("opening the registry: out of memory");
		return -1;
	}
	d->base.ops = &sqlite_ops;
	*out = &d->base;
	flags = rdonly ? SQLITE_OPEN_READONLY :
			 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	rc = sqlite3_open_v2(path, &d->h, flags, NULL);
	if (rc != SQLITE_OK) {
		if (!d->h) {
			*err = strdup("opening the registry: out of memory");
			return -1;
		}
		e = sqlite3_system_errno(d->h);
		if (rdonly && e == ENOENT)
			*noent = 1;
		else if (e)
			*err = dupmsg(sqlite3_errmsg(d->h), " (",
				      strerror(e), ")");
		else if (sqlite3_errcode(d->h) == SQLITE_NOTADB)
			*err = dupmsg("not a hostgate registry (",
				      sqlite3_errmsg(d->h), ")", "");
		else
			*err = dupmsg("opening the registry: ",
				      sqlite3_errmsg(d->h), "", "");
		return -1;
	}
	sqlite3_busy_timeout(d->h, HV_DB_BUSY_MS);
	sqlite3_db_config(d->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(d->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (s_exec(&d->base, "PRAGMA foreign_keys = ON") < 0) {
		*err = dupmsg(d->base.notadb ? "not a hostgate registry (" :
			      "enabling foreign keys: ", sqlite3_errmsg(d->h),
			      d->base.notadb ? ")" : "", "");
		return -1;
	}
	return 0;
}
