/* registry_pg.c: opening a registry in PostgreSQL (see registry.h,
 * db_pg.c): recognising the database, creating and migrating its
 * schema.
 *
 * Where it lives. Every table is in the schema "hostgate" of the
 * database the URI names (the session's search_path is pg_catalog, then
 * hostgate, so the registry's SQL names its tables unqualified, and no
 * function or operator of the hostgate schema can shadow a built-in one).
 * The table hostgate.registry is the marker: one row, application
 * 'hostgate-registry', the schema version (the same numbers as SQLite's
 * PRAGMA user_version) and the data_version counter of
 * hv_reg_data_version().
 *
 * What is refused, before anything is written:
 *  - a database with tables of its own and no hostgate schema (another
 *    program's database: give hostgate a database of its own);
 *  - a hostgate schema without the marker, or a marker that is not ours;
 *  - a version above HV_REG_SCHEMA (written by a newer hostgate);
 *  - triggers, rules, views or row security policies in the schema: we
 *    create none, so they are someone else's code running on our writes.
 * A read-only open of a database without the schema says "no registry".
 *
 * Migrations. PostgreSQL support began at schema 3: a fresh database is
 * created at 3 in one step (pg_steps[3]), then taken through each later
 * version's step in pg_steps[] (4: instances, leases, outbox). An open for writing takes the writer lock
 * (db_pg.c) before it looks, and the steps and the version bump run in
 * that one transaction: two first opens cannot both create, and a crash
 * leaves the old schema or the new one.
 *
 * Types match SQLite's as the registry reads them: INTEGER is BIGINT,
 * BLOB is BYTEA, names are TEXT COLLATE "C" (byte order, as SQLite's
 * BINARY: listings sort the same on both backends), and the CHECKs are
 * SQLite's (octet_length for length).
 */
#include "registry_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"

#define PG_FIRST 3                   /* the first schema on PostgreSQL */
#define APP "hostgate-registry"

#define STATES "('unknown', 'trusted', 'untrusted', 'unreachable')"
#define LEN32(c) " CHECK (octet_length(" c ") = 32)"

static const char *const pg_steps[HV_REG_SCHEMA + 1] = {
	[PG_FIRST] =
	"CREATE SCHEMA hostgate;"
	"CREATE TABLE hostgate.registry ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" application TEXT NOT NULL,"
	" version BIGINT NOT NULL,"
	" data_version BIGINT NOT NULL DEFAULT 0);"
	"INSERT INTO hostgate.registry (id, application, version)"
	" VALUES (1, '" APP "', 0);"
	"CREATE TABLE hostgate.hosts ("
	" name TEXT COLLATE \"C\" PRIMARY KEY,"
	" ek_fpr BYTEA NOT NULL" LEN32("ek_fpr") ","
	" ek_cert BYTEA NOT NULL,"
	" ak_pub BYTEA NOT NULL,"
	" enrolled_at BIGINT NOT NULL,"
	" first_enrolled_at BIGINT NOT NULL,"
	" replacements BIGINT NOT NULL DEFAULT 0,"
	" ek_key BYTEA NOT NULL" LEN32("ek_key") ","
	" ak_name BYTEA NOT NULL,"
	" agent_url TEXT,"
	" host_group TEXT COLLATE \"C\","
	" state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN " STATES "),"
	" state_since BIGINT NOT NULL DEFAULT 0,"
	" checked_at BIGINT NOT NULL DEFAULT 0,"
	" failures BIGINT NOT NULL DEFAULT 0 CHECK (failures >= 0),"
	" last_verdict TEXT,"
	" judged_policy TEXT,"
	" incr_state BYTEA);"
	"CREATE UNIQUE INDEX hosts_ek_key ON hostgate.hosts (ek_key);"
	"CREATE UNIQUE INDEX hosts_ak_name ON hostgate.hosts (ak_name);"
	"CREATE TABLE hostgate.challenges ("
	" id BYTEA PRIMARY KEY CHECK (octet_length(id) = 16),"
	" host TEXT COLLATE \"C\" NOT NULL,"
	" \"replace\" BIGINT NOT NULL CHECK (\"replace\" IN (0, 1)),"
	" secret_sha256 BYTEA NOT NULL" LEN32("secret_sha256") ","
	" ek_fpr BYTEA NOT NULL" LEN32("ek_fpr") ","
	" ek_cert BYTEA NOT NULL,"
	" ak_pub BYTEA NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" answered_at BIGINT NOT NULL DEFAULT 0,"
	" ek_key BYTEA NOT NULL" LEN32("ek_key") ","
	" ak_name BYTEA NOT NULL);"
	"CREATE TABLE hostgate.enrollments ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" host TEXT COLLATE \"C\" NOT NULL,"
	" at BIGINT NOT NULL,"
	" ek_fpr BYTEA NOT NULL" LEN32("ek_fpr") ","
	" ak_pub BYTEA NOT NULL,"
	" previous_ek_fpr BYTEA CHECK (previous_ek_fpr IS NULL OR"
	"  octet_length(previous_ek_fpr) = 32),"
	" replaced BIGINT NOT NULL CHECK (replaced IN (0, 1)));"
	"CREATE INDEX enrollments_host ON hostgate.enrollments (host, id);"
	"CREATE TABLE hostgate.events ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" at BIGINT NOT NULL,"
	" event TEXT NOT NULL"
	"  CHECK (event IN ('removed', 'renamed', 'tpm-moved')),"
	" host TEXT COLLATE \"C\" NOT NULL,"
	" other TEXT COLLATE \"C\");"
	"CREATE TABLE hostgate.verdicts ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" host TEXT COLLATE \"C\" NOT NULL,"
	" at BIGINT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN " STATES "),"
	" verdict TEXT);"
	"CREATE INDEX verdicts_host ON hostgate.verdicts (host, id);"
	"CREATE TABLE hostgate.nonces ("
	" nonce BYTEA PRIMARY KEY" LEN32("nonce") ","
	" host TEXT COLLATE \"C\" NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" used_at BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX nonces_host ON hostgate.nonces (host, expires_at);"
	"CREATE INDEX nonces_expiry ON hostgate.nonces (expires_at);"
	"CREATE TABLE hostgate.policies ("
	" name TEXT COLLATE \"C\" NOT NULL,"
	" version BIGINT NOT NULL CHECK (version >= 1),"
	" sha256 BYTEA NOT NULL" LEN32("sha256") ","
	" body TEXT NOT NULL,"
	" added_at BIGINT NOT NULL,"
	" PRIMARY KEY (name, version));"
	"CREATE TABLE hostgate.assignments ("
	" kind TEXT NOT NULL CHECK (kind IN ('host', 'group')),"
	" target TEXT COLLATE \"C\" NOT NULL,"
	" policy TEXT COLLATE \"C\" NOT NULL,"
	" assigned_at BIGINT NOT NULL,"
	" PRIMARY KEY (kind, target));",
	/* Schema 4 (issue 15 part 2, registry_share.c): instances, host
	 * leases, the verdict's instance, the webhook outbox; SQLite's
	 * step (registry.c) with PostgreSQL's types. */
	[4] =
	"CREATE TABLE hostgate.instances ("
	" id TEXT COLLATE \"C\" PRIMARY KEY,"
	" started_at BIGINT NOT NULL,"
	" heartbeat_at BIGINT NOT NULL);"
	"ALTER TABLE hostgate.hosts ADD COLUMN lease_owner TEXT COLLATE \"C\";"
	"ALTER TABLE hostgate.hosts ADD COLUMN lease_until BIGINT NOT NULL"
	" DEFAULT 0;"
	"CREATE INDEX hosts_lease ON hostgate.hosts (lease_until);"
	"ALTER TABLE hostgate.verdicts ADD COLUMN instance TEXT COLLATE \"C\";"
	"CREATE TABLE hostgate.outbox ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" host TEXT COLLATE \"C\" NOT NULL,"
	" at BIGINT NOT NULL,"
	" from_state TEXT NOT NULL CHECK (from_state IN " STATES "),"
	" to_state TEXT NOT NULL CHECK (to_state IN " STATES "),"
	" since BIGINT NOT NULL,"
	" detail TEXT NOT NULL,"
	" claims BIGINT NOT NULL DEFAULT 0,"
	" lease_owner TEXT COLLATE \"C\","
	" lease_until BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX outbox_lease ON hostgate.outbox (lease_until, id);",
};

/* One integer of a catalogue query. */
static int count(struct hv_reg *reg, const char *sql, int64_t *out)
{
	struct db_st *st = NULL;
	int ret = -1;

	if (reg_prep(reg, sql, &st) < 0 ||
	    reg_step_row(reg, st, "reading the database's catalogue") != 1 ||
	    reg_col_int(reg, st, 0, "catalogue", INT64_MIN, INT64_MAX,
			out) < 0)
		goto out;
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

static int migrate(struct hv_reg *reg, int64_t from)
{
	struct db_st *st = NULL;
	char what[64];
	int64_t v;
	int ret = -1;

	for (v = from < PG_FIRST ? PG_FIRST : from + 1; v <= HV_REG_SCHEMA;
	     v++) {
		snprintf(what, sizeof(what), "migrating to schema %lld",
			 (long long)v);
		if (reg_exec(reg, pg_steps[v], what) < 0 ||
		    reg_prep(reg, "UPDATE registry SET version = ?1", &st) < 0 ||
		    reg_bind_int(st, 1, v) < 0 ||
		    reg_step_done(reg, st, what) < 0)
			goto out;
		db_finalize(st);
		st = NULL;
	}
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

/* Inside a transaction: decide what the database is, and create or
 * migrate the registry when it is ours and older (or absent from an
 * unused database) and we may write. */
static int check_and_migrate(struct hv_reg *reg)
{
	struct db_st *st = NULL;
	char *app = NULL;
	int64_t schema, tables, marker, code, ver;
	int rc, ret = -1;

	if (count(reg, "SELECT count(*) FROM pg_namespace"
		  " WHERE nspname = 'hostgate'", &schema) < 0)
		goto out;
	if (!schema) {
		if (count(reg, "SELECT count(*) FROM pg_class c JOIN"
			  " pg_namespace n ON n.oid = c.relnamespace"
			  " WHERE n.nspname <> 'information_schema'"
			  " AND n.nspname NOT LIKE 'pg\\_%'"
			  " AND c.relkind IN ('r', 'v', 'm', 'p', 'f')",
			  &tables) < 0)
			goto out;
		if (tables) {
			hg_err("%s: not a hostgate registry (a database with"
			       " other tables and no hostgate schema; give"
			       " hostgate a database of its own)", reg->path);
			goto out;
		}
		if (reg->nocreate) {
			hg_err("%s: no registry (enroll a host first)",
			       reg->path);
			goto out;
		}
		ret = migrate(reg, 0);
		goto out;
	}
	if (count(reg, "SELECT count(*) FROM pg_class c JOIN pg_namespace n"
		  " ON n.oid = c.relnamespace WHERE n.nspname = 'hostgate'"
		  " AND c.relname = 'registry' AND c.relkind = 'r'",
		  &marker) < 0)
		goto out;
	if (!marker) {
		hg_err("%s: not a hostgate registry (schema hostgate without"
		       " its registry table)", reg->path);
		goto out;
	}
	if (reg_prep(reg, "SELECT application, version FROM registry"
		     " WHERE id = 1", &st) < 0 ||
	    (rc = reg_step_row(reg, st, "reading the registry")) < 0)
		goto out;
	if (rc == 0 ||
	    reg_col_text(reg, st, 0, "registry.application", 64, 0, &app) < 0 ||
	    strcmp(app, APP) ||
	    reg_col_int(reg, st, 1, "registry.version", 0, INT64_MAX,
			&ver) < 0) {
		hg_err("%s: not a hostgate registry (schema hostgate, but its"
		       " registry table is not hostgate's)", reg->path);
		goto out;
	}
	if (ver > HV_REG_SCHEMA) {
		hg_err("%s: written by a newer hostgate (schema %lld, this one"
		       " knows %d)", reg->path, (long long)ver, HV_REG_SCHEMA);
		goto out;
	}
	if (ver < PG_FIRST) {
		hg_err("%s: damaged registry (schema %lld)", reg->path,
		       (long long)ver);
		goto out;
	}
	/* We never create triggers, rules, views or policies: code in the
	 * schema that would run on our reads and writes is someone else's. */
	if (count(reg, "SELECT (SELECT count(*) FROM pg_trigger t"
		  "  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n"
		  "  ON n.oid = c.relnamespace WHERE n.nspname = 'hostgate'"
		  "  AND NOT t.tgisinternal)"
		  " + (SELECT count(*) FROM pg_rewrite r JOIN pg_class c"
		  "  ON c.oid = r.ev_class JOIN pg_namespace n"
		  "  ON n.oid = c.relnamespace WHERE n.nspname = 'hostgate')"
		  " + (SELECT count(*) FROM pg_policy p JOIN pg_class c"
		  "  ON c.oid = p.polrelid JOIN pg_namespace n"
		  "  ON n.oid = c.relnamespace WHERE n.nspname = 'hostgate')",
		  &code) < 0)
		goto out;
	if (code) {
		hg_err("%s: not a hostgate registry (it has triggers, rules,"
		       " views or policies)", reg->path);
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
	free(app);
	db_finalize(st);
	return ret;
}

int reg_pg_open(struct hv_reg *reg, const char *uri)
{
	char *err = NULL;
	int ret = -1;

	if (db_pg_open(uri, reg->rdonly, &reg->db, &err) < 0) {
		hg_err("%s: %s", reg->path, err ? err : "out of memory");
		goto out;
	}
	/* A writer takes the writer lock before it looks: two first opens
	 * cannot both create the schema. A reader sees one snapshot. */
	if ((reg->rdonly ? reg->db->ops->begin_read(reg->db) :
	     reg->db->ops->begin_write(reg->db)) < 0) {
		reg_fail(reg, "reading the registry");
		goto out;
	}
	if (check_and_migrate(reg) < 0 || reg_commit(reg) < 0)
		goto out;
	ret = 0;
out:
	free(err);
	return ret;
}
