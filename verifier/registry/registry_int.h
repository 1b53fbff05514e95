/* registry_int.h: what the files of the host registry share, for
 * verifier/registry*.c only (the rest of hostgate-verify sees
 * registry.h): the handle, the column lists of the schema that
 * registry.c creates, and the statement, transaction and column helpers
 * of registry_sql.c.
 *
 * The registry's SQL goes through the statement API of db.h (SQLite or
 * PostgreSQL, one code path); its portable subset is described there.
 *
 * Contract of the helpers:
 *  - Each returns 0 or -1, and on -1 has printed one hg_err() line that
 *    names the registry (the file, or the database's URI without its
 *    password) and the reason (the database's message included).
 *    reg_rollback() cannot fail and is a no-op outside a transaction.
 *  - The column readers check a row as strictly as input (type, length,
 *    range, host-name rules): the file may be damaged or edited by hand.
 *    reg_col_blob() and reg_col_name() return malloc'd copies the caller
 *    owns; on -1 nothing is allocated.
 *  - reg_bind_*() may bind without copying (SQLite): the statement must
 *    be finalized before the bound buffer goes.
 */
#ifndef HV_REGISTRY_INT_H
#define HV_REGISTRY_INT_H

#include <stddef.h>
#include <stdint.h>
#include "db.h"
#include "registry.h"

struct hv_reg {
	struct db *db;
	char *path;                  /* for messages: no password */
	int rdonly;
	int nocreate;                /* HV_REG_RDWR_EXISTING */
	int64_t dv;                  /* PostgreSQL: the data version last read */
	uint64_t dv_ms;              /* and when (monotonic ms; 0 never) */
};

/* 1 when REG is on PostgreSQL. */
#define REG_PG(reg) ((reg)->db->ops->kind == DB_PG)

/* The column order read_challenge() and read_host() expect. */
#define CHALLENGE_COLS "id, host, \"replace\", secret_sha256, ek_fpr, " \
	"ek_cert, ak_pub, created_at, expires_at, answered_at, ek_key, ak_name"
#define HOST_COLS "name, ek_fpr, ek_cert, ak_pub, enrolled_at, " \
	"first_enrolled_at, replacements, ek_key, ak_name"

/* ---- statements and transactions (registry_sql.c) ---- */

/* Print WHAT failed with SQLite's message (or "not a hostgate registry"
 * when SQLite found the file is no database). */
void reg_fail(const struct hv_reg *reg, const char *what);
int reg_exec(struct hv_reg *reg, const char *sql, const char *what);
int reg_prep(struct hv_reg *reg, const char *sql, struct db_st **st);
int reg_step_done(struct hv_reg *reg, struct db_st *st, const char *what);
/* Step a lookup of at most one row: 1 a row, 0 none, -1 (error printed). */
int reg_step_row(struct hv_reg *reg, struct db_st *st, const char *what);
/* The write lock, across processes and machines (db.h, db_pg.c). */
int reg_begin(struct hv_reg *reg);
int reg_commit(struct hv_reg *reg);
void reg_rollback(struct hv_reg *reg);
/* The driver's lazy_commit (db.h), timed: 0 or -1 (no message). */
int reg_lazy_commit(struct hv_reg *reg, int on);
/* -1 unless REG was opened read-write and NOW is a time (> 0). */
int reg_writable(const struct hv_reg *reg, const char *what, int64_t now);
int reg_bind_blob(struct db_st *st, int i, const void *p, size_t len);
int reg_bind_text(struct db_st *st, int i, const char *s);  /* NULL binds NULL */
int reg_bind_int(struct db_st *st, int i, int64_t v);
/* Bump the counter hv_reg_data_version() reads on PostgreSQL (hosts or
 * policies changed), inside the caller's transaction; SQLite's
 * PRAGMA data_version needs nothing. */
int reg_touch(struct hv_reg *reg);
/* A TEXT column of at most MAX bytes without NUL, copied (NULL column:
 * *OUT = NULL when NULLOK, else corrupt). */
int reg_col_text(const struct hv_reg *reg, struct db_st *st, int i,
		 const char *col, size_t max, int nullok, char **out);

/* ---- column readers (registry_sql.c); COL names the column ---- */

int reg_col_int(const struct hv_reg *reg, struct db_st *st, int i,
		const char *col, int64_t min, int64_t max, int64_t *out);
int reg_col_fixed(const struct hv_reg *reg, struct db_st *st, int i,
		  const char *col, uint8_t *out, size_t len);
int reg_col_blob(const struct hv_reg *reg, struct db_st *st, int i,
		 const char *col, uint8_t **out, size_t *outlen);
int reg_col_name(const struct hv_reg *reg, struct db_st *st, int i,
		 const char *col, char **out);
/* A blob of 1..MAX bytes into OUT. */
int reg_col_var(const struct hv_reg *reg, struct db_st *st, int i,
		const char *col, uint8_t *out, size_t max, size_t *outlen);

/* ---- PostgreSQL (registry_pg.c) ---- */

/* Connect REG (path, rdonly set) to URI, recognise, create or migrate
 * the registry there: 0, or -1 (error printed). */
int reg_pg_open(struct hv_reg *reg, const char *uri);

/* ---- history (registry_hosts.c), inside the caller's transaction ---- */

/* Append an event: EVENT "removed", "renamed" or "tpm-moved"; OTHER the
 * new name or the host that took the TPM (NULL for "removed"). */
int reg_event_add(struct hv_reg *reg, int64_t now, const char *event,
		  const char *host, const char *other);
/* 1 if host NAME exists, 0 not, -1 error; inside the caller's
 * transaction. */
int reg_host_exists(struct hv_reg *reg, const char *name);
/* Delete host NAME and record EVENT for it (with OTHER); its schema-3
 * rows (verdicts, nonces, host assignment) go too. */
int reg_host_delete(struct hv_reg *reg, const char *name, int64_t now,
		    const char *event, const char *other);

/* ---- schema 4 (registry_share.c), inside hv_reg_host_judged()'s
 * transaction ---- */

/* 1 if INSTANCE holds host NAME's lease (has claimed it and nobody
 * since), 0 not, -1 error. */
int reg_lease_held(struct hv_reg *reg, const char *name, const char *instance);
/* After the verdict is written: the history row's instance, and the
 * outbox row when the state changed (FROM since SINCE -> J->state). */
int reg_share_judged(struct hv_reg *reg, const char *name,
		     const struct hv_judgement *j, enum hv_state from,
		     int64_t since);

#endif
