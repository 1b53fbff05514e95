#!/bin/bash
# bench-registry.sh: the registry operations the verifier service makes
# most (hv_reg_status_get with the incremental blob, hv_reg_host_judged),
# on SQLite and on PostgreSQL in the same run (build/bench/regbench), and
# the ratio of their rates. PostgreSQL is a private cluster on this
# machine (tests/tools/pgcluster.sh: loopback TCP, fsync off as in the
# tests; a verdict's commit is asynchronous on both backends, see
# docs/service.md), so the figure is the cost of the client/server round
# trips and the server's work, not of a network or a disk.
#
# Usage: BUILD=build tools/bench-registry.sh [HOSTS [ROUNDS]]  (default 200 5)
# Needs root (the cluster runs as the postgres user).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
HOSTS=${1:-200}
ROUNDS=${2:-5}
B=$BUILD/bench/regbench
[ -x "$B" ] || { echo "bench-registry: $B not built (make)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-benchreg.XXXXXX")
trap 'tests/tools/pgcluster.sh stop "$W/pg" >/dev/null 2>&1; rm -rf "$W"' EXIT
uri=$(tests/tools/pgcluster.sh start "$W/pg") || exit 1

echo "== registry: $HOSTS hosts x $ROUNDS rounds, one process, one connection"
echo "-- SQLite ($W/reg.sqlite)"
"$B" "$W/reg.sqlite" "$HOSTS" "$ROUNDS" | tee "$W/sqlite.out" || exit 1
echo "-- PostgreSQL (private cluster, loopback)"
"$B" "$uri" "$HOSTS" "$ROUNDS" | tee "$W/pg.out" || exit 1
echo "-- PostgreSQL / SQLite, ops/s"
for op in status_get host_judged; do
	s=$(awk -v o="$op" '$1 == o { print $6 }' "$W/sqlite.out")
	p=$(awk -v o="$op" '$1 == o { print $6 }' "$W/pg.out")
	printf '%-12s %8s vs %8s ops/s  ratio %.2f\n' "$op" "$p" "$s" "$(echo "$p / $s" | bc -l)"
done
