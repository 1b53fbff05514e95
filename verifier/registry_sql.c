/* registry_sql.c: the registry's statement, transaction and column
 * helpers (contract in registry_int.h).
 *
 * Every statement that carries data is prepared with its inputs bound.
 * Rows read back are checked as strictly as input: the file may be
 * damaged or edited by hand, and a bad row must end in one error line,
 * never in a short fingerprint read past its end.
 */
#include "registry_int.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

void reg_fail(const struct hv_reg *reg, const char *what)
{
	/* SQLite finds out lazily, at the first read, that a file is not a
	 * database: say so plainly whichever statement it was. */
	if (sqlite3_errcode(reg->db) == SQLITE_NOTADB)
		hg_err("%s: not a hostgate registry (%s)", reg->path,
		       sqlite3_errmsg(reg->db));
	else
		hg_err("%s: %s: %s", reg->path, what, sqlite3_errmsg(reg->db));
}

int reg_exec(struct hv_reg *reg, const char *sql, const char *what)
{
	if (sqlite3_exec(reg->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

int reg_prep(struct hv_reg *reg, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(reg->db, sql, -1, st, NULL) != SQLITE_OK) {
		reg_fail(reg, "preparing a statement");
		*st = NULL;
		return -1;
	}
	return 0;
}

/* Step a statement that returns no row. */
int reg_step_done(struct hv_reg *reg, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

int reg_step_row(struct hv_reg *reg, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	reg_fail(reg, what);
	return -1;
}

/* The lock is taken at BEGIN, not at the first write: a deferred
 * transaction that read a pending challenge could otherwise lose the
 * upgrade to another writer after both had seen it pending. */
int reg_begin(struct hv_reg *reg)
{
	return reg_exec(reg, "BEGIN IMMEDIATE", "taking the write lock");
}

int reg_commit(struct hv_reg *reg)
{
	return reg_exec(reg, "COMMIT", "committing");
}

/* Undo whatever an unfinished transaction did; a no-op after COMMIT. */
void reg_rollback(struct hv_reg *reg)
{
	if (!sqlite3_get_autocommit(reg->db))
		sqlite3_exec(reg->db, "ROLLBACK", NULL, NULL, NULL);
}

int reg_writable(const struct hv_reg *reg, const char *what, int64_t now)
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

int reg_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
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
int reg_col_int(const struct hv_reg *reg, sqlite3_stmt *st, int i,
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

int reg_col_fixed(const struct hv_reg *reg, sqlite3_stmt *st, int i,
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
int reg_col_blob(const struct hv_reg *reg, sqlite3_stmt *st, int i,
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

int reg_col_name(const struct hv_reg *reg, sqlite3_stmt *st, int i,
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

int reg_col_var(const struct hv_reg *reg, sqlite3_stmt *st, int i,
		const char *col, uint8_t *out, size_t max, size_t *outlen)
{
	const void *p;
	int n;

	if (sqlite3_column_type(st, i) != SQLITE_BLOB) {
		corrupt(reg, col);
		return -1;
	}
	p = sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);
	if (!p || n <= 0 || (size_t)n > max) {
		corrupt(reg, col);
		return -1;
	}
	memcpy(out, p, (size_t)n);
	*outlen = (size_t)n;
	return 0;
}

int reg_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) == SQLITE_OK ?
	       0 : -1;
}

int reg_col_text(const struct hv_reg *reg, sqlite3_stmt *st, int i,
		 const char *col, size_t max, int nullok, char **out)
{
	const char *s;
	size_t n;

	*out = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL && nullok)
		return 0;
	if (sqlite3_column_type(st, i) != SQLITE_TEXT) {
		corrupt(reg, col);
		return -1;
	}
	s = (const char *)sqlite3_column_text(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	/* The byte count catches a NUL inside the text. */
	if (!s || n > max || n != strlen(s)) {
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

int reg_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -1;
}
