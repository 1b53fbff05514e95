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

#include "../../lib/util.h"

void reg_fail(const struct hv_reg *reg, const char *what)
{
	if (reg->db->notadb)
		hg_err("%s: not a hostgate registry (%s)", reg->path,
		       db_errmsg(reg->db));
	else
		hg_err("%s: %s: %s", reg->path, what, db_errmsg(reg->db));
}

int reg_exec(struct hv_reg *reg, const char *sql, const char *what)
{
	int r;

	DB_TIMED(reg->db, r, reg->db->ops->exec(reg->db, sql));
	if (r < 0) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

int reg_prep(struct hv_reg *reg, const char *sql, struct db_st **st)
{
	if (db_prep(reg->db, sql, st) < 0) {
		reg_fail(reg, "preparing a statement");
		*st = NULL;
		return -1;
	}
	return 0;
}

/* Step a statement that returns no row. */
int reg_step_done(struct hv_reg *reg, struct db_st *st, const char *what)
{
	if (db_step(st) != 0) {
		reg_fail(reg, what);
		return -1;
	}
	return 0;
}

int reg_step_row(struct hv_reg *reg, struct db_st *st, const char *what)
{
	int rc = db_step(st);

	if (rc < 0)
		reg_fail(reg, what);
	return rc;
}

int reg_begin(struct hv_reg *reg)
{
	int r;

	DB_TIMED(reg->db, r, reg->db->ops->begin_write(reg->db));
	if (r < 0) {
		reg_fail(reg, "taking the write lock");
		return -1;
	}
	return 0;
}

int reg_commit(struct hv_reg *reg)
{
	int r;

	DB_TIMED(reg->db, r, reg->db->ops->commit(reg->db));
	if (r < 0) {
		reg_fail(reg, "committing");
		return -1;
	}
	return 0;
}

/* Undo whatever an unfinished transaction did; a no-op after COMMIT. */
void reg_rollback(struct hv_reg *reg)
{
	int r = 0;

	DB_TIMED(reg->db, r, (reg->db->ops->rollback(reg->db), 0));
	(void)r;
}

int reg_lazy_commit(struct hv_reg *reg, int on)
{
	int r;

	DB_TIMED(reg->db, r, reg->db->ops->lazy_commit(reg->db, on));
	return r;
}

void hv_reg_db_time(const struct hv_reg *reg, uint64_t *ns, uint64_t *calls)
{
	*ns = reg->db ? reg->db->busy_ns : 0;
	*calls = reg->db ? reg->db->calls : 0;
}

int reg_touch(struct hv_reg *reg)
{
	if (!REG_PG(reg))
		return 0;
	return reg_exec(reg, "UPDATE registry SET data_version ="
			" data_version + 1", "recording the change");
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

int reg_bind_blob(struct db_st *st, int i, const void *p, size_t len)
{
	/* Static on SQLite: every statement is finalized before its inputs
	 * go. */
	return db_bind_blob(st, i, p, len);
}

int reg_bind_int(struct db_st *st, int i, int64_t v)
{
	return db_bind_int(st, i, v);
}

static void corrupt(const struct hv_reg *reg, const char *col)
{
	hg_err("%s: corrupt registry row (%s)", reg->path, col);
}

/* Column readers: -1 after printing when the value is not what this
 * registry writes. */
int reg_col_int(const struct hv_reg *reg, struct db_st *st, int i,
		const char *col, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (db_col_type(st, i) != DB_INT) {
		corrupt(reg, col);
		return -1;
	}
	v = db_col_int(st, i);
	if (v < min || v > max) {
		corrupt(reg, col);
		return -1;
	}
	*out = v;
	return 0;
}

int reg_col_fixed(const struct hv_reg *reg, struct db_st *st, int i,
		  const char *col, uint8_t *out, size_t len)
{
	const void *p;
	size_t n;

	if (db_col_type(st, i) != DB_BLOB) {
		corrupt(reg, col);
		return -1;
	}
	p = db_col_blob(st, i, &n);
	if (!p || n != len) {
		corrupt(reg, col);
		return -1;
	}
	memcpy(out, p, len);
	return 0;
}

/* A non-empty blob, copied into a fresh buffer. */
int reg_col_blob(const struct hv_reg *reg, struct db_st *st, int i,
		 const char *col, uint8_t **out, size_t *outlen)
{
	const void *p;
	size_t n;

	if (db_col_type(st, i) != DB_BLOB) {
		corrupt(reg, col);
		return -1;
	}
	p = db_col_blob(st, i, &n);
	if (!p || n == 0 || n > INT32_MAX) {
		corrupt(reg, col);
		return -1;
	}
	*out = malloc(n);
	if (!*out) {
		hg_err("%s: %s: out of memory", reg->path, col);
		return -1;
	}
	memcpy(*out, p, n);
	*outlen = n;
	return 0;
}

int reg_col_name(const struct hv_reg *reg, struct db_st *st, int i,
		 const char *col, char **out)
{
	const char *s;
	size_t n;

	if (db_col_type(st, i) != DB_TEXT) {
		corrupt(reg, col);
		return -1;
	}
	s = db_col_text(st, i, &n);
	/* The byte count catches a NUL inside the text. */
	if (!s || !hv_host_name_ok(s) || n != strlen(s)) {
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

int reg_col_var(const struct hv_reg *reg, struct db_st *st, int i,
		const char *col, uint8_t *out, size_t max, size_t *outlen)
{
	const void *p;
	size_t n;

	if (db_col_type(st, i) != DB_BLOB) {
		corrupt(reg, col);
		return -1;
	}
	p = db_col_blob(st, i, &n);
	if (!p || n == 0 || n > max) {
		corrupt(reg, col);
		return -1;
	}
	memcpy(out, p, n);
	*outlen = n;
	return 0;
}

int reg_bind_text(struct db_st *st, int i, const char *s)
{
	return st->db->ops->bind_text(st, i, s, s ? strlen(s) : 0);
}

int reg_col_text(const struct hv_reg *reg, struct db_st *st, int i,
		 const char *col, size_t max, int nullok, char **out)
{
	const char *s;
	size_t n;

	*out = NULL;
	if (db_col_type(st, i) == DB_NULL && nullok)
		return 0;
	if (db_col_type(st, i) != DB_TEXT) {
		corrupt(reg, col);
		return -1;
	}
	s = db_col_text(st, i, &n);
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
