#!/bin/bash
# t_registry_pg.sh: the registry on PostgreSQL. A private cluster
# (tests/tools/pgcluster.sh, as the postgres user, stopped on exit) and:
#  - the registry's unit tests again, on it (HG_TEST_PG_URI: each test
#    makes a fresh database; SQLite file-format tests are left out, each
#    said), and test_registry_pg's cases that need a server;
#  - the hostgate-verify commands with --db URI: enroll's registry
#    refused before one exists, policy add/list, hosts;
#  - a real service: t_serve_pull.sh with HG_TEST_PG=1 (svc.sh gives
#    every command HOSTGATE_VERIFY_DB), its cases reported as
#    t_serve_pull_pg; and three instances sharing a cluster:
#    t_serve_fleet.sh with HG_TEST_DB=postgresql, as t_serve_fleet_pg.
# Each unit binary is one case per test (cmocka's OK / FAILED lines).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (runs initdb as the postgres user)"; exit 0; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { skip all "no PostgreSQL server installed (tools/install-deps.sh)"; exit 0; }
start_pg "$WORK/pg" 2>"$WORK/pg.err" || { fail cluster "$(cat "$WORK/pg.err")"; exit 1; }
pass cluster
PGC=$ROOT/tests/tools/pgcluster.sh

# --- the unit tests, on PostgreSQL ---------------------------------------
for t in test_registry test_registry_enroll test_registry_tpm test_registry_fleet test_registry_share test_registry_pg; do
	bin=$BUILD/tests/$t
	[ -x "$bin" ] || { fail "$t" "$bin not built"; continue; }
	HG_TEST_PG_URI=$PG_URI timeout 600 "$bin" >"$WORK/$t.out" 2>&1
	rc=$?
	while read -r tag name; do
		case $tag in
		OK) pass "$t-$name" ;;
		FAILED) fail "$t-$name" "$(grep -B3 "FAILED  \] $name" "$WORK/$t.out" | head -4 | tr '\n' ' ')" ;;
		esac
	done < <(sed -n 's/^\[       \(OK\) \] \(.*\)/\1 \2/p; s/^\[  \(FAILED\)  \] \([a-z_0-9]*\)$/\1 \2/p' "$WORK/$t.out" | sort -u)
	grep '^\[ SQLITE' "$WORK/$t.out" | sed 's/^/    /'
	[ "$rc" = 0 ] || grep -q 'FAILED' "$WORK/$t.out" || fail "$t-exit" "exit $rc: $(tail -3 "$WORK/$t.out")"
done
# No database left behind by the tests' teardowns.
left=$("$PGC" psql "$WORK/pg" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'hgt\_%'")
[ "$left" = 0 ] && pass unit-databases-dropped || fail unit-databases-dropped "$left left"

# --- the commands with --db ----------------------------------------------
"$PGC" psql "$WORK/pg" -c "CREATE DATABASE cli OWNER hostgate" >/dev/null
CLI=${PG_URI%/hostgate}/cli
PW=$(cat "$WORK/pg/password")
expect_exit 2 hosts-remove-no-registry "$HG_VERIFY" hosts remove web1 --db "$CLI"
grep -q "postgresql://hostgate@127.0.0.1:[0-9]*/cli: no registry (enroll a host first)" "$WORK/last.err" &&
	pass no-registry-message || fail no-registry-message "$(cat "$WORK/last.err")"
grep -qF "$PW" "$WORK/last.err" && fail no-password-printed "the password is in: $(cat "$WORK/last.err")" ||
	pass no-password-printed
[ "$("$PGC" psql "$WORK/pg" -d cli -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'hostgate'" 2>/dev/null || echo 0)" = 0 ] &&
	pass not-created-by-remove || fail not-created-by-remove "the schema exists"
cp "$ROOT/policies/firmware-pcrs.json" "$WORK/p.json"
"$HG_VERIFY" policy add web "$WORK/p.json" --db "$CLI" >"$WORK/add.out" 2>&1
if HOSTGATE_VERIFY_DB=$CLI "$HG_VERIFY" policy list >"$WORK/list.out" 2>&1 && grep -q '^web' "$WORK/list.out"; then
	pass policy-add-list
else
	fail policy-add-list "$(cat "$WORK/add.out" "$WORK/list.out")"
fi

# --- a real service on PostgreSQL ----------------------------------------
HG_SCRIPT_NAME=t_serve_pull_pg HG_TEST_PG=1 bash "$ROOT/tests/integration/t_serve_pull.sh"
rc=$?
[ "$rc" = 0 ] && pass serve-pull-on-pg || fail serve-pull-on-pg "t_serve_pull.sh exited $rc"
# Three instances sharing the cluster (issue 15 part 2): leases, take-over,
# the outbox, push nonces across instances, the database stopped and
# started again. Its own cluster (HG_TEST_DB=postgresql).
HG_SCRIPT_NAME=t_serve_fleet_pg HG_TEST_DB=postgresql bash "$ROOT/tests/integration/t_serve_fleet.sh"
rc=$?
[ "$rc" = 0 ] && pass serve-fleet-on-pg || fail serve-fleet-on-pg "t_serve_fleet.sh exited $rc"
