#!/bin/bash
# pgcluster.sh: a private PostgreSQL cluster for one test, started the way
# an operator starts one (Debian's initdb and pg_ctl, as the postgres user).
#
#   tests/tools/pgcluster.sh start DIR   initdb + pg_ctl start; prints the
#                                        postgresql:// URI (also DIR/uri)
#   tests/tools/pgcluster.sh stop DIR    pg_ctl stop -m fast (then -m
#                                        immediate); removes DIR and the
#                                        cluster's directory. Idempotent.
#   tests/tools/pgcluster.sh psql DIR [ARGS...]
#                                        psql on the cluster's database as
#                                        its owner (for tests' checks)
#
# Layout. DIR is the caller's handle (it may sit under a root-only 0700
# test directory that the postgres user cannot enter), so the cluster
# itself lives in a fresh mktemp directory owned by postgres, recorded in
# DIR/cluster:  CLUSTER/data is PGDATA, CLUSTER is the socket directory,
# CLUSTER/log the server log. DIR holds: uri, cluster, port, password.
#
# The server listens only on 127.0.0.1 (listen_addresses) on a free port
# (a random one checked with ss; retried when another start took it
# first), fsync off (test data). These settings are in the cluster's
# postgresql.conf: `pg_ctl -D CLUSTER/data start` after a stop (a test of
# a database that goes away and comes back) brings it back the same. Authentication: local (socket) trust for
# the postgres superuser; TCP scram-sha-256, so the URI carries a real
# password (tests check that hostgate never prints it). The database
# "hostgate" is owned by the role "hostgate", which may CREATEDB so that
# each test can take a fresh database.
#
# Hygiene: every process started here carries the caller's HG_RUN_ID in
# its environment, and the cluster directory is registered in
# $HG_RUN_DIR/pgclusters, so tests/hygiene.sh reports a cluster a run
# left running (or left on disk).
#
# Exit codes: 0 done, 1 failure (message on stderr), 2 usage.
set -u
prog=pgcluster
die() { echo "$prog: $*" >&2; exit 1; }
usage() { echo "usage: pgcluster.sh start|stop|psql DIR [ARGS...]"; }

pgbin() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	return 1
}

# as_pg CMD...: run CMD as postgres, with this run's tag in its environment.
as_pg() {
	runuser -u postgres -- env HG_RUN_ID="${HG_RUN_ID:-}" LC_ALL=C.UTF-8 "$@"
}

port_used() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

start() {
	local dir=$1 bin cl pw port try uri
	bin=$(pgbin) || die "no PostgreSQL server (initdb, pg_ctl under /usr/lib/postgresql/*/bin); tools/install-deps.sh installs it"
	id postgres >/dev/null 2>&1 || die "no postgres user (Debian's postgresql package creates it)"
	[ -e "$dir/cluster" ] && die "$dir already holds a cluster (stop it first)"
	mkdir -p "$dir" || die "cannot create $dir"
	cl=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-pg.XXXXXX") || die "mktemp failed"
	echo "$cl" >"$dir/cluster"
	[ -n "${HG_RUN_DIR:-}" ] && [ -d "$HG_RUN_DIR" ] && echo "$cl" >>"$HG_RUN_DIR/pgclusters"
	chown postgres: "$cl" && chmod 0700 "$cl" || die "cannot give $cl to postgres"
	pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	echo "$pw" >"$dir/password"
	as_pg "$bin/initdb" -D "$cl/data" -U postgres -E UTF8 --no-locale \
		--auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
		die "initdb failed: $(tail -3 "$dir/initdb.log")"
	# The settings go into postgresql.conf (a later line wins), so that a
	# test may stop and start the server with a plain pg_ctl and keep them.
	printf '%s\n' "listen_addresses = '127.0.0.1'" "unix_socket_directories = '$cl'" \
		"fsync = off" "full_page_writes = off" "max_connections = 100" |
		as_pg tee -a "$cl/data/postgresql.conf" >/dev/null
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
		port_used "$port" && continue
		echo "port = $port" | as_pg tee -a "$cl/data/postgresql.conf" >/dev/null
		if as_pg "$bin/pg_ctl" -D "$cl/data" -l "$cl/log" -w -t 30 start \
			>"$dir/pg_ctl.log" 2>&1; then
			echo "$port" >"$dir/port"
			break
		fi
		# Only a lost port race is worth another try.
		grep -q 'could not bind\|Address already in use' "$cl/log" 2>/dev/null ||
			die "pg_ctl start failed: $(tail -3 "$cl/log" 2>/dev/null)"
	done
	[ -s "$dir/port" ] || die "no free port after $try tries"
	as_pg "$bin/psql" -h "$cl" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
		-c "CREATE ROLE hostgate LOGIN CREATEDB PASSWORD '$pw'" \
		-c "CREATE DATABASE hostgate OWNER hostgate" >"$dir/psql.log" 2>&1 ||
		die "cannot create the hostgate role and database: $(tail -3 "$dir/psql.log")"
	uri="postgresql://hostgate:$pw@127.0.0.1:$port/hostgate"
	echo "$uri" >"$dir/uri"
	echo "$uri"
}

stop() {
	local dir=$1 bin cl pid i
	[ -e "$dir" ] || return 0
	cl=$(cat "$dir/cluster" 2>/dev/null)
	# Only a directory this script made is ever removed.
	case $cl in "${TMPDIR:-/tmp}"/hostgate-pg.*) ;; '') rm -rf "$dir"; return 0 ;;
	*) die "$dir/cluster names '$cl', not a pgcluster.sh directory" ;; esac
	if [ -f "$cl/data/postmaster.pid" ]; then
		bin=$(pgbin) || die "no pg_ctl to stop $cl"
		as_pg "$bin/pg_ctl" -D "$cl/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
			as_pg "$bin/pg_ctl" -D "$cl/data" -m immediate -w -t 20 stop >/dev/null 2>&1
		pid=$(head -1 "$cl/data/postmaster.pid" 2>/dev/null)
		if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
			kill -KILL "$pid" 2>/dev/null
			for i in $(seq 1 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
		fi
	fi
	rm -rf "$cl" "$dir"
}

psql_() {
	local dir=$1 cl port
	shift
	cl=$(cat "$dir/cluster" 2>/dev/null) && port=$(cat "$dir/port" 2>/dev/null) ||
		die "$dir is not a running pgcluster.sh cluster"
	# hostgate's schema first, as the registry's own sessions see it.
	(cd / && as_pg env PGOPTIONS="-c search_path=hostgate,public" \
		"$(pgbin)/psql" -h "$cl" -p "$port" -U postgres -d hostgate -v ON_ERROR_STOP=1 -qAt "$@")
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
start) [ $# -eq 2 ] || { usage >&2; exit 2; }; start "$2" ;;
stop) [ $# -eq 2 ] || { usage >&2; exit 2; }; stop "$2" ;;
psql) [ $# -ge 2 ] || { usage >&2; exit 2; }; shift; psql_ "$@" ;;
*) usage >&2; exit 2 ;;
esac
