/* db.h: the registry's database drivers: one statement API over SQLite
 * (db_sqlite.c) and PostgreSQL through libpq (db_pg.c), for
 * verifier/registry/ only. The registry's SQL is written once, in a
 * subset both databases run the same way:
 *  - parameters are ?1, ?2, ... (db_pg.c rewrites them to $1, $2, ...
 *    outside quoted text);
 *  - upserts are INSERT ... ON CONFLICT (...) DO UPDATE, never INSERT OR
 *    REPLACE; comparisons with NULL are IS [NOT] DISTINCT FROM; a
 *    boolean is never a result column (CASE WHEN ... THEN 1 ELSE 0);
 *  - the schema itself (types, identity columns) is per backend
 *    (registry.c holds both).
 *
 * Contract:
 *  - db_prep() compiles lazily on PostgreSQL: a syntax error there
 *    surfaces at the first db_step(). Every function returning int
 *    returns -1 on error with db_errmsg() saying why (one line, no
 *    secrets); the caller prints it.
 *  - Bound values are copied (PostgreSQL) or bound static (SQLite): the
 *    caller keeps them until db_finalize() or the next db_reset().
 *  - db_step(): 1 a row, 0 done, -1 error. Column readers are valid for
 *    the current row; text and blob pointers until the next step.
 *  - db_col_type() tells the stored type as the registry sees it:
 *    DB_INT (SQLite INTEGER; PostgreSQL int2/int4/int8), DB_TEXT,
 *    DB_BLOB (bytea), DB_NULL, or DB_OTHER (anything else: a boolean, a
 *    float...), which the registry's readers treat as a corrupt row.
 *  - Write transactions: db_begin_write() takes the one writer lock of
 *    the database (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN and
 *    pg_advisory_xact_lock, see db_pg.c) and holds it to COMMIT or
 *    ROLLBACK, across processes and machines.
 *  - Every handle counts the wall time spent in the database (busy_ns,
 *    calls): db_prep, db_step and the registry's exec, begin, commit,
 *    rollback and lazy_commit (registry_sql.c, DB_TIMED), the calls
 *    that wait for the server or for SQLite's own work. Measured with
 *    CLOCK_MONOTONIC (two vDSO reads a call); the service exports the
 *    sums as hostgate_registry_seconds_total and _calls_total (issue 15:
 *    the database's share of an attestation's latency).
 */
#ifndef HV_REGISTRY_DB_H
#define HV_REGISTRY_DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum db_kind { DB_SQLITE, DB_PG };
enum db_type { DB_NULL, DB_INT, DB_TEXT, DB_BLOB, DB_OTHER };

struct db;
struct db_st;

/* The driver's operations (db_sqlite.c, db_pg.c). */
struct db_ops {
	enum db_kind kind;
	void (*close)(struct db *db);
	int (*prep)(struct db *db, const char *sql, struct db_st **out);
	int (*bind_int)(struct db_st *st, int i, int64_t v);
	int (*bind_text)(struct db_st *st, int i, const char *s, size_t len);
	int (*bind_blob)(struct db_st *st, int i, const void *p, size_t len);
	int (*bind_null)(struct db_st *st, int i);
	int (*step)(struct db_st *st);
	void (*reset)(struct db_st *st);
	void (*finalize)(struct db_st *st);
	int (*col_type)(struct db_st *st, int i);
	int64_t (*col_int)(struct db_st *st, int i);
	const char *(*col_text)(struct db_st *st, int i, size_t *len);
	const void *(*col_blob)(struct db_st *st, int i, size_t *len);
	int64_t (*changes)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*begin_write)(struct db *db);
	int (*begin_read)(struct db *db);
	int (*commit)(struct db *db);
	void (*rollback)(struct db *db);
	/* Commits of this session need not reach the disk before they
	 * return (1) or must (0): SQLite synchronous NORMAL/FULL,
	 * PostgreSQL synchronous_commit off/on. */
	int (*lazy_commit)(struct db *db, int on);
	const char *(*errmsg)(struct db *db);
	/* Wait at most MS for another writer's lock (SQLite: the busy
	 * timeout; PostgreSQL: lock_timeout, kept across reconnections). */
	int (*set_timeout)(struct db *db, unsigned ms);
};

/* What every driver's handle starts with. */
struct db {
	const struct db_ops *ops;
	int in_txn;                  /* between begin_* and commit/rollback */
	int notadb;                  /* SQLite: the file is no database */
	uint64_t busy_ns;            /* wall time in database calls */
	uint64_t calls;              /* and their number */
};
struct db_st {
	struct db *db;
};

/* Open PATH read-only or read-write (creating it, mode 0600 by the
 * caller's umask): 0, or -1 with *ERR (malloc'd, may be NULL on ENOMEM)
 * and *DB possibly set (close it). NOENT: set when a read-only open
 * failed because the file does not exist. */
int db_sqlite_open(const char *path, int rdonly, struct db **db,
		   char **err, int *noent);
/* Connect to URI (postgresql:// or postgres://): 0, or -1 with *ERR. */
int db_pg_open(const char *uri, int rdonly, struct db **db, char **err);
/* 1 if S names a PostgreSQL database (a postgresql:// or postgres://
 * URI), else 0. */
int db_is_pg_uri(const char *s);
/* S with any password removed (the userinfo's ":PASSWORD" and a
 * password= parameter): malloc'd, NULL on ENOMEM. For errors and logs. */
char *db_uri_redact(const char *s);

static inline uint64_t db_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
/* R = CALL, with its wall time added to DB's counters. */
#define DB_TIMED(db, r, call)                                        \
	do {                                                         \
		uint64_t t0_ = db_now_ns();                          \
		(r) = (call);                                        \
		(db)->busy_ns += db_now_ns() - t0_;                  \
		(db)->calls++;                                       \
	} while (0)

static inline void db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
}
static inline int db_prep(struct db *db, const char *sql, struct db_st **out)
{
	int r;

	DB_TIMED(db, r, db->ops->prep(db, sql, out));
	return r;
}
static inline int db_bind_int(struct db_st *st, int i, int64_t v)
{
	return st->db->ops->bind_int(st, i, v);
}
static inline int db_bind_blob(struct db_st *st, int i, const void *p,
			       size_t len)
{
	return st->db->ops->bind_blob(st, i, p, len);
}
static inline int db_bind_null(struct db_st *st, int i)
{
	return st->db->ops->bind_null(st, i);
}
static inline int db_step(struct db_st *st)
{
	struct db *db = st->db;
	int r;

	DB_TIMED(db, r, db->ops->step(st));
	return r;
}
static inline void db_reset(struct db_st *st)
{
	st->db->ops->reset(st);
}
static inline void db_finalize(struct db_st *st)
{
	if (st)
		st->db->ops->finalize(st);
}
static inline int db_col_type(struct db_st *st, int i)
{
	return st->db->ops->col_type(st, i);
}
static inline int64_t db_col_int(struct db_st *st, int i)
{
	return st->db->ops->col_int(st, i);
}
static inline const char *db_col_text(struct db_st *st, int i, size_t *len)
{
	return st->db->ops->col_text(st, i, len);
}
static inline const void *db_col_blob(struct db_st *st, int i, size_t *len)
{
	return st->db->ops->col_blob(st, i, len);
}
static inline int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}
static inline const char *db_errmsg(struct db *db)
{
	return db->ops->errmsg(db);
}

#endif
