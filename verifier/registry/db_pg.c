/* db_pg.c: the PostgreSQL driver of the registry's statement API (db.h),
 * on libpq: one connection per registry handle.
 *
 * The one writer lock. SQLite's BEGIN IMMEDIATE lets one writer at a time
 * do its read-check-write (spend a challenge, take a nonce), so the same
 * check cannot succeed twice. Here a write transaction is
 *     BEGIN (READ COMMITTED); SELECT pg_advisory_xact_lock(HGRE, 1)
 * a transaction-scoped advisory lock on a fixed key of this database,
 * held until COMMIT or ROLLBACK, whichever process or machine holds it.
 * Every statement after the lock reads what the previous holder
 * committed (READ COMMITTED takes a snapshot per statement, and a
 * commit is visible before its locks are released), so a read-check-
 * write under the lock is as serial as on SQLite. Chosen over
 * SERIALIZABLE with retries because every writer would need a retry
 * loop, and a retried spend is exactly where a bug would let a nonce be
 * taken twice; the price is that writers queue one after another, as on
 * SQLite. Readers take no lock.
 *
 * Bounds (a dead database must not stall the service's event loop for
 * long, nor hold the lock forever):
 *  - connect_timeout 3 s (libpq's own minimum is 2), unless the URI sets
 *    its own; TCP keepalives and tcp_user_timeout 10 s, so a peer that
 *    vanished mid-query is given up within seconds, not TCP's minutes;
 *  - statement_timeout 10 s; lock_timeout 5 s (a writer waits that long
 *    for the lock, as SQLite's busy timeout); idle_in_transaction_
 *    session_timeout 30 s (a writer that stopped mid-transaction loses
 *    its lock).
 *  - A lost connection fails the call that found it, with one error
 *    ("connection lost: ..."), and is re-established at a later call,
 *    at most one attempt a second (calls in between fail at once:
 *    "database unreachable ...").
 *
 * Results come back in binary, parameters go in binary with their types
 * (int8, text, bytea), so a value is read with its type: db_col_type()
 * says DB_OTHER for anything the registry never writes. The session's
 * search_path is pg_catalog, then the registry's schema "hostgate", so the
 * registry's SQL names its tables unqualified on both backends.
 *
 * The URI (with its password) is given to libpq only; every message
 * names the database by db_uri_redact(): no password is ever printed.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libpq-fe.h>

#define HGRE_LOCK "1751609957"          /* 0x68677265, 'hgre' */
#define RECONNECT_MS 1000

/* PostgreSQL type OIDs (src/include/catalog/pg_type.dat). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_NAME 19
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_VARCHAR 1043

#define MAXP 16

struct db_pg {
	struct db base;
	PGconn *c;
	int rdonly, lazy;
	unsigned lock_ms;            /* lock_timeout */
	int64_t changes;
	uint64_t last_try_ms;
	char err[512];
};

struct st_pg {
	struct db_st base;
	char *sql;                   /* rewritten: $N */
	int np;                      /* the highest parameter number */
	Oid types[MAXP];
	char *vals[MAXP];
	int lens[MAXP], fmts[MAXP];
	int64_t ints[MAXP];          /* big-endian images of bound int8s */
	PGresult *res;
	int row, nrows, ran;
};

#define D(db) ((struct db_pg *)(db))
#define P(st) ((struct st_pg *)(st))

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* libpq's messages are several lines ("ERROR:  ...\nDETAIL: ..."): one
 * line, the severity dropped. */
static void set_err(struct db_pg *d, const char *prefix, const char *msg)
{
	size_t n = 0;
	char *p;

	if (!msg || !*msg)
		msg = "unknown error";
	if (!strncmp(msg, "ERROR:  ", 8))
		msg += 8;
	else if (!strncmp(msg, "FATAL:  ", 8))
		msg += 8;
	n = (size_t)snprintf(d->err, sizeof(d->err), "%s%s", prefix ? prefix : "",
			     msg);
	(void)n;
	for (p = d->err; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (p > d->err && p[-1] == ' ')
		*--p = '\0';
	/* "...; HINT" lines joined by spaces leave double spaces: fine. */
}

static void no_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The session: the registry's schema first, the bounds of the header. */
static int session_setup(struct db_pg *d)
{
	PGresult *r;
	int ok;

	PQsetNoticeProcessor(d->c, no_notices, NULL);
	r = PQexec(d->c, d->rdonly ?
		   "SET search_path = pg_catalog, hostgate;"
		   " SET statement_timeout = 10000; SET lock_timeout = 5000;"
		   " SET idle_in_transaction_session_timeout = 30000;"
		   " SET client_encoding = 'UTF8';"
		   " SET default_transaction_read_only = on" :
		   "SET search_path = pg_catalog, hostgate;"
		   " SET statement_timeout = 10000; SET lock_timeout = 5000;"
		   " SET idle_in_transaction_session_timeout = 30000;"
		   " SET client_encoding = 'UTF8'");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		set_err(d, "setting up the session: ", PQerrorMessage(d->c));
	PQclear(r);
	if (ok && d->lock_ms) {
		char sql[64];

		snprintf(sql, sizeof(sql), "SET lock_timeout = %u", d->lock_ms);
		r = PQexec(d->c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			set_err(d, "setting up the session: ",
				PQerrorMessage(d->c));
		PQclear(r);
	}
	return ok ? 0 : -1;
}

/* Before a call that starts outside a transaction: reconnect a lost
 * connection, at most once a second. */
static int ensure(struct db_pg *d)
{
	uint64_t now;

	if (PQstatus(d->c) == CONNECTION_OK)
		return 0;
	if (d->base.in_txn) {
		set_err(d, "connection lost", "");
		return -1;
	}
	now = now_ms();
	if (d->last_try_ms && now - d->last_try_ms < RECONNECT_MS) {
		set_err(d, "database unreachable (the next reconnection attempt"
			" is within a second)", "");
		return -1;
	}
	d->last_try_ms = now;
	PQreset(d->c);
	if (PQstatus(d->c) != CONNECTION_OK) {
		set_err(d, "reconnecting: ", PQerrorMessage(d->c));
		return -1;
	}
	return session_setup(d);
}

/* After a failed command: name a lost connection as such. */
static void failed(struct db_pg *d, PGresult *r)
{
	if (PQstatus(d->c) != CONNECTION_OK) {
		d->last_try_ms = now_ms();
		set_err(d, "connection lost: ", PQerrorMessage(d->c));
	} else {
		set_err(d, NULL, r ? PQresultErrorMessage(r) :
			PQerrorMessage(d->c));
	}
}

static void p_close(struct db *db)
{
	PQfinish(D(db)->c);
	free(db);
}

/* ?N -> $N outside quoted text and identifiers. */
static char *rewrite(const char *sql, int *np)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1), *o = out;
	char quote = 0;

	*np = 0;
	if (!out)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
			int v = 0;

			*o++ = '$';
			while (p[1] >= '0' && p[1] <= '9') {
				v = v * 10 + (p[1] - '0');
				*o++ = *++p;
			}
			if (v > *np)
				*np = v;
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static void clear_binds(struct st_pg *s)
{
	for (int i = 0; i < MAXP; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->types[i] = 0;
		s->lens[i] = 0;
		s->fmts[i] = 1;
	}
}

static int p_prep(struct db *db, const char *sql, struct db_st **out)
{
	struct db_pg *d = D(db);
	struct st_pg *s;

	*out = NULL;
	if (ensure(d) < 0)
		return -1;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->sql = rewrite(sql, &s->np))) {
		free(s);
		set_err(d, "out of memory", "");
		return -1;
	}
	if (s->np > MAXP) {
		free(s->sql);
		free(s);
		set_err(d, "too many parameters", "");
		return -1;
	}
	clear_binds(s);
	s->base.db = db;
	*out = &s->base;
	return 0;
}

static int slot(struct db_st *st, int i)
{
	if (i < 1 || i > MAXP) {
		set_err(D(st->db), "parameter out of range", "");
		return -1;
	}
	free(P(st)->vals[i - 1]);
	P(st)->vals[i - 1] = NULL;
	return i - 1;
}

static int put(struct db_st *st, int i, Oid type, const void *p, size_t len)
{
	struct st_pg *s = P(st);
	int k = slot(st, i);

	if (k < 0)
		return -1;
	if (len > 0x7fffffff) {
		set_err(D(st->db), "value too long", "");
		return -1;
	}
	/* One byte more: a zero-length value is not NULL. */
	s->vals[k] = malloc(len + 1);
	if (!s->vals[k]) {
		set_err(D(st->db), "out of memory", "");
		return -1;
	}
	if (len)
		memcpy(s->vals[k], p, len);
	s->vals[k][len] = '\0';
	s->types[k] = type;
	s->lens[k] = (int)len;
	s->fmts[k] = 1;
	return 0;
}

static int p_bind_int(struct db_st *st, int i, int64_t v)
{
	uint8_t be[8];

	for (int b = 0; b < 8; b++)
		be[b] = (uint8_t)((uint64_t)v >> (56 - 8 * b));
	return put(st, i, OID_INT8, be, 8);
}

static int p_bind_text(struct db_st *st, int i, const char *s, size_t len)
{
	if (!s) {
		int k = slot(st, i);

		if (k < 0)
			return -1;
		P(st)->types[k] = OID_TEXT;
		return 0;
	}
	return put(st, i, OID_TEXT, s, len);
}

static int p_bind_blob(struct db_st *st, int i, const void *p, size_t len)
{
	return put(st, i, OID_BYTEA, p, len);
}

static int p_bind_null(struct db_st *st, int i)
{
	int k = slot(st, i);

	if (k < 0)
		return -1;
	P(st)->types[k] = 0;
	return 0;
}

static int p_step(struct db_st *st)
{
	struct st_pg *s = P(st);
	struct db_pg *d = D(st->db);
	ExecStatusType t;

	if (!s->ran) {
		const char *const *vals = (const char *const *)s->vals;

		s->ran = 1;
		s->res = PQexecParams(d->c, s->sql, s->np, s->types, vals,
				      s->lens, s->fmts, 1);
		t = PQresultStatus(s->res);
		if (t == PGRES_COMMAND_OK) {
			d->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
			return 0;
		}
		if (t != PGRES_TUPLES_OK) {
			failed(d, s->res);
			PQclear(s->res);
			s->res = NULL;
			return -1;
		}
		s->nrows = PQntuples(s->res);
		s->row = -1;
	}
	if (!s->res)
		return 0;
	if (s->row + 1 >= s->nrows) {
		s->row = s->nrows;
		return 0;
	}
	s->row++;
	return 1;
}

static void p_reset(struct db_st *st)
{
	struct st_pg *s = P(st);

	PQclear(s->res);
	s->res = NULL;
	s->ran = 0;
	s->row = s->nrows = 0;
}

static void p_finalize(struct db_st *st)
{
	struct st_pg *s = P(st);

	PQclear(s->res);
	clear_binds(s);
	free(s->sql);
	free(s);
}

static int p_col_type(struct db_st *st, int i)
{
	struct st_pg *s = P(st);

	if (!s->res || s->row < 0 || s->row >= s->nrows || i < 0 ||
	    i >= PQnfields(s->res) || PQfformat(s->res, i) != 1)
		return DB_OTHER;
	if (PQgetisnull(s->res, s->row, i))
		return DB_NULL;
	switch (PQftype(s->res, i)) {
	case OID_INT2: case OID_INT4: case OID_INT8: return DB_INT;
	case OID_TEXT: case OID_VARCHAR: case OID_NAME: return DB_TEXT;
	case OID_BYTEA: return DB_BLOB;
	default: return DB_OTHER;
	}
}

static int64_t p_col_int(struct db_st *st, int i)
{
	struct st_pg *s = P(st);
	const uint8_t *p;
	int n;
	uint64_t v = 0;

	if (p_col_type(st, i) != DB_INT)
		return 0;
	p = (const uint8_t *)PQgetvalue(s->res, s->row, i);
	n = PQgetlength(s->res, s->row, i);
	if (n != 2 && n != 4 && n != 8)
		return 0;
	for (int b = 0; b < n; b++)
		v = v << 8 | p[b];
	/* Sign-extend int2 and int4. */
	if (n < 8 && (p[0] & 0x80))
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

static const char *p_col_text(struct db_st *st, int i, size_t *len)
{
	struct st_pg *s = P(st);
	int t = p_col_type(st, i);

	*len = 0;
	if (t != DB_TEXT && t != DB_BLOB)
		return NULL;
	/* libpq ends every value with a NUL byte, binary ones too. */
	*len = (size_t)PQgetlength(s->res, s->row, i);
	return PQgetvalue(s->res, s->row, i);
}

static const void *p_col_blob(struct db_st *st, int i, size_t *len)
{
	return p_col_text(st, i, len);
}

static int64_t p_changes(struct db *db)
{
	return D(db)->changes;
}

static int run(struct db_pg *d, const char *sql, const char *want_status)
{
	PGresult *r = PQexec(d->c, sql);
	ExecStatusType t = PQresultStatus(r);
	int ok = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;

	/* COMMIT of a failed transaction answers ROLLBACK, with success. */
	if (ok && want_status && strcmp(PQcmdStatus(r), want_status)) {
		set_err(d, "the transaction was rolled back", "");
		ok = 0;
	} else if (!ok) {
		failed(d, r);
	}
	PQclear(r);
	return ok ? 0 : -1;
}

static int p_exec(struct db *db, const char *sql)
{
	if (!db->in_txn && ensure(D(db)) < 0)
		return -1;
	return run(D(db), sql, NULL);
}

static int p_begin_write(struct db *db)
{
	struct db_pg *d = D(db);

	if (ensure(d) < 0)
		return -1;
	db->in_txn = 1;
	return run(d, d->lazy ?
		   "BEGIN ISOLATION LEVEL READ COMMITTED;"
		   " SET LOCAL synchronous_commit = off;"
		   " SELECT pg_advisory_xact_lock(" HGRE_LOCK ", 1)" :
		   "BEGIN ISOLATION LEVEL READ COMMITTED;"
		   " SELECT pg_advisory_xact_lock(" HGRE_LOCK ", 1)", NULL);
}

static int p_begin_read(struct db *db)
{
	struct db_pg *d = D(db);

	if (ensure(d) < 0)
		return -1;
	db->in_txn = 1;
	return run(d, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL);
}

static int p_commit(struct db *db)
{
	int r = run(D(db), "COMMIT", "COMMIT");

	db->in_txn = 0;
	return r;
}

static void p_rollback(struct db *db)
{
	struct db_pg *d = D(db);

	if (db->in_txn && PQstatus(d->c) == CONNECTION_OK &&
	    PQtransactionStatus(d->c) != PQTRANS_IDLE)
		PQclear(PQexec(d->c, "ROLLBACK"));
	db->in_txn = 0;
}

/* Taken at the next BEGIN (SET LOCAL): no round trip of its own. */
static int p_lazy_commit(struct db *db, int on)
{
	D(db)->lazy = on;
	return 0;
}

static const char *p_errmsg(struct db *db)
{
	return D(db)->err;
}

static int p_set_timeout(struct db *db, unsigned ms)
{
	struct db_pg *d = D(db);
	char sql[64];

	d->lock_ms = ms ? ms : 1;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %u", d->lock_ms);
	return p_exec(db, sql);
}

static const struct db_ops pg_ops = {
	.kind = DB_PG,
	.close = p_close, .prep = p_prep, .bind_int = p_bind_int,
	.bind_text = p_bind_text, .bind_blob = p_bind_blob,
	.bind_null = p_bind_null, .step = p_step, .reset = p_reset,
	.finalize = p_finalize, .col_type = p_col_type, .col_int = p_col_int,
	.col_text = p_col_text, .col_blob = p_col_blob, .changes = p_changes,
	.exec = p_exec, .begin_write = p_begin_write,
	.begin_read = p_begin_read, .commit = p_commit,
	.rollback = p_rollback, .lazy_commit = p_lazy_commit,
	.errmsg = p_errmsg, .set_timeout = p_set_timeout,
};

int db_is_pg_uri(const char *s)
{
	return s && (!strncmp(s, "postgresql://", 13) ||
		     !strncmp(s, "postgres://", 11));
}

char *db_uri_redact(const char *s)
{
	const char *auth = strstr(s, "://");
	char *out = strdup(s), *end, *at, *colon, *q, *p;

	if (!out || !auth)
		return out;
	auth = out + (auth - s) + 3;
	end = (char *)auth + strcspn(auth, "/?");
	/* The userinfo is up to the last '@' of the authority. */
	at = NULL;
	for (p = (char *)auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon)
			memmove(colon, at, strlen(at) + 1);
	}
	/* password=... in the query string. */
	q = strchr(out, '?');
	if (q) {
		char *w = q + 1, *r = q + 1;

		while (*r) {
			size_t len = strcspn(r, "&");

			if (strncmp(r, "password=", 9)) {
				if (w != q + 1)
					*w++ = '&';
				memmove(w, r, len);
				w += len;
			}
			r += len;
			if (*r == '&')
				r++;
		}
		*w = '\0';
		if (w == q + 1)
			*q = '\0';
	}
	return out;
}

int db_pg_open(const char *uri, int rdonly, struct db **out, char **err)
{
	/* Ours first: a later keyword overrides an earlier one, so the URI
	 * (dbname, expanded) may override connect_timeout and the others. */
	const char *const keys[] = {
		"connect_timeout", "application_name", "keepalives",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "dbname", NULL,
	};
	const char *const vals[] = {
		"3", "hostgate-verify", "1", "5", "2", "3", "10000", uri, NULL,
	};
	struct db_pg *d = calloc(1, sizeof(*d));

	*out = NULL;
	*err = NULL;
	if (!d) {
		*err = strdup("out of memory");
		return -1;
	}
	d->base.ops = &pg_ops;
	d->rdonly = rdonly;
	*out = &d->base;
	d->c = PQconnectdbParams(keys, vals, 1);
	if (!d->c) {
		*err = strdup("out of memory");
		return -1;
	}
	if (PQstatus(d->c) != CONNECTION_OK) {
		set_err(d, "connecting: ", PQerrorMessage(d->c));
		*err = strdup(d->err);
		return -1;
	}
	if (session_setup(d) < 0) {
		*err = strdup(d->err);
		return -1;
	}
	return 0;
}
