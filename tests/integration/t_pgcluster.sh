#!/bin/bash
# t_pgcluster.sh: tests/tools/pgcluster.sh, the private PostgreSQL cluster
# of the PostgreSQL tests. It starts as the postgres user on loopback,
# answers on the URI it prints (password authentication over TCP), and
# tests/hygiene.sh names it while it runs (by HG_RUN_ID on the postmaster
# and by its registered directory); once stopped, nothing is left.
. "$(dirname "$0")/lib.sh"
PGC=$ROOT/tests/tools/pgcluster.sh
[ "$(id -u)" = 0 ] || { skip all "needs root (runs initdb as the postgres user)"; exit 0; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { skip all "no PostgreSQL server installed (tools/install-deps.sh)"; exit 0; }
R=$WORK/run
H=$ROOT/tests/hygiene.sh
bash "$H" snapshot "$R"
hyg() { HG_RUN_ID=pgc-run-$$ HG_RESULTS=$WORK/hyg.res bash "$H" check "$R" >"$WORK/hyg.out" 2>&1; }
verdict_of() { awk -v c="case run:$1" '$1" "$2 == c { print $3 }' "$WORK/hyg.res" | tail -1; }

_PGCS+=("$WORK/pg")   # lib.sh's cleanup stops it whatever way this ends
uri=$(HG_RUN_ID=pgc-run-$$ HG_RUN_DIR=$R "$PGC" start "$WORK/pg" 2>"$WORK/start.err")
case $uri in postgresql://hostgate:*@127.0.0.1:*/hostgate) pass start-prints-uri ;;
*) fail start-prints-uri "got '$uri': $(cat "$WORK/start.err")" ;; esac
[ "$(cat "$WORK/pg/uri" 2>/dev/null)" = "$uri" ] && pass uri-file || fail uri-file "DIR/uri differs"

if [ "$(psql "$uri" -qAtc 'SELECT current_user' 2>&1)" = hostgate ]; then
	pass connects-with-password
else
	fail connects-with-password "$(psql "$uri" -qAtc 'SELECT 1' 2>&1)"
fi
bad=${uri/:$(cat "$WORK/pg/password")@/:wrong@}
psql "$bad" -qAtc 'SELECT 1' >/dev/null 2>&1 && fail wrong-password-refused "a wrong password was accepted" ||
	pass wrong-password-refused
port=$(cat "$WORK/pg/port")
if ss -Htln "sport = :$port" | awk '{ print $4 }' | grep -qv '^127\.0\.0\.1:'; then
	fail loopback-only "$(ss -Htln "sport = :$port")"
else
	pass loopback-only
fi
cl=$(cat "$WORK/pg/cluster")
[ "$(stat -c %U "$cl/data")" = postgres ] && pass data-owned-by-postgres ||
	fail data-owned-by-postgres "$(stat -c %U "$cl/data")"

: >"$WORK/hyg.res"
hyg
if [ "$(verdict_of no-daemon-left)" = FAIL ] && grep no-daemon-left "$WORK/hyg.out" | grep -q 'postgres pid'; then
	pass running-cluster-named-by-run-id
else
	fail running-cluster-named-by-run-id "$(cat "$WORK/hyg.out")"
fi
if [ "$(verdict_of no-pgcluster-left)" = FAIL ] && grep no-pgcluster-left "$WORK/hyg.out" | grep -qF "$cl"; then
	pass running-cluster-named-by-dir
else
	fail running-cluster-named-by-dir "$(cat "$WORK/hyg.out")"
fi

"$PGC" stop "$WORK/pg" && pass stop || fail stop "exit $?"
[ ! -e "$WORK/pg" ] && [ ! -e "$cl" ] && pass stop-removes-dirs || fail stop-removes-dirs "$(ls -d "$WORK/pg" "$cl" 2>&1)"
: >"$WORK/hyg.res"
hyg
[ "$(verdict_of no-daemon-left)" = PASS ] && [ "$(verdict_of no-pgcluster-left)" = PASS ] &&
	pass stopped-leaves-nothing || fail stopped-leaves-nothing "$(cat "$WORK/hyg.out")"
"$PGC" stop "$WORK/pg" && pass stop-idempotent || fail stop-idempotent "exit $?"
"$PGC" start >/dev/null 2>&1; [ $? = 2 ] && pass usage-exit-2 || fail usage-exit-2 "start without DIR"
