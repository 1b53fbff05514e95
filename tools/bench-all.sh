#!/bin/bash
# bench-all.sh: `make bench`: every benchmark, one after the other, then
# one table of every goal (tools/bench-table.sh).
#
# Runs tools/bench-{measure,verify,gate,uefi,incr,service}.sh in that
# order, their output both on the terminal and in $BUILD/bench-run.log,
# each preceded by nothing and followed by a line
#   BENCH-RUN bench=NAME rc=N secs=N [why=LAST LINE when rc != 0]
# (the log opens with "BENCH-RUN date=... code=... cores=... quick=..."),
# then prints the table and writes it to $BUILD/bench-table.txt. A
# benchmark that fails does not stop the others: its rows say so.
# bench-service runs with INCR=0: its incremental figure is bench-incr's,
# which runs on its own; and with SERVICE_PG=1 (issue 15's PostgreSQL
# rows, one and two instances on a private cluster) unless SERVICE_PG=0
# or BENCH_QUICK=1.
#
# BENCH_QUICK=1 runs each briefly (4 minutes in all here, against 44
# for a whole run, both on a loaded 2-core machine): one round each, short timings, a 2,000-record "big" log, one
# 1,000-host service step. Its figures show that every benchmark runs and
# the table is whole; they measure no goal, and the table says so. A knob
# set in the environment (ROUNDS=..., STEPS=...) wins over quick's.
#
# Usage: BUILD=build tools/bench-all.sh   (BENCH_QUICK=0|1, BENCHES="measure ...")
# Exit: 0 every benchmark ran and the table is whole (goals may be
# missed), 1 a benchmark failed or the table is not whole.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
QUICK=${BENCH_QUICK:-0}
BENCHES=${BENCHES:-measure verify gate uefi incr service}
LOG=$BUILD/bench-run.log
TABLE=$BUILD/bench-table.txt
mkdir -p "$BUILD"
case $QUICK in 0 | 1) ;; *) echo "bench-all: BENCH_QUICK must be 0 or 1" >&2; exit 1 ;; esac

# knobs NAME: the environment bench-NAME runs with (quick's short runs,
# unless the caller set the knob).
knobs() {
	if [ "$QUICK" = 1 ]; then
		case $1 in
		measure) echo "ROUNDS=${ROUNDS:-1}" ;;
		verify) echo "ROUNDS=${ROUNDS:-1} SECS=${SECS:-1} PROCS=${PROCS:-20} BIG_RECORDS=${BIG_RECORDS:-2000}" \
			"BENCH_WAIT=${BENCH_WAIT:-0} PROFILE=${PROFILE:-0}" ;;
		gate) echo "ROUNDS=${ROUNDS:-2}" ;;
		uefi) echo "ROUNDS=${ROUNDS:-3} MSECS=${MSECS:-50} PROCS=${PROCS:-5}" ;;
		incr) echo "ROUNDS=${ROUNDS:-1} SECS=${SECS:-1}" ;;
		service) echo "STEPS=${STEPS:-1000} WARMUP=${WARMUP:-4} MEASURE=${MEASURE:-6} CQ_N=${CQ_N:-20} INCR=0" ;;
		esac
	else
		case $1 in service) echo "INCR=0 SERVICE_PG=${SERVICE_PG:-1}" ;; esac
	fi
}

CODE=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
git diff --quiet HEAD 2>/dev/null || CODE="$CODE+changes"
echo "BENCH-RUN date=$(date -u +%Y-%m-%dT%H:%MZ) code=$CODE cores=$(nproc) quick=$QUICK" | tee "$LOG"
failed=0
OUT=$(mktemp "${TMPDIR:-/tmp}/hostgate-bench-all.XXXXXX") || exit 1
trap 'rm -f "$OUT"' EXIT
for b in $BENCHES; do
	[ -x "tools/bench-$b.sh" ] || { echo "bench-all: no tools/bench-$b.sh" >&2; exit 1; }
	k=$(knobs "$b")
	echo "== bench-$b ${k:+($k)}" | tee -a "$LOG"
	t0=$(date +%s)
	# shellcheck disable=SC2086 # the knobs are NAME=VALUE words
	env $k BUILD="$BUILD" "tools/bench-$b.sh" 2>&1 | tee "$OUT" | tee -a "$LOG"
	rc=${PIPESTATUS[0]}
	line="BENCH-RUN bench=$b rc=$rc secs=$(($(date +%s) - t0))"
	if [ "$rc" != 0 ]; then
		failed=1
		why=$(grep -v '^BENCH-' "$OUT" | grep . | tail -1 | tr -d '"' | cut -c1-160)
		line="$line why=\"$why\""
	fi
	echo "$line" | tee -a "$LOG"
done
echo
tools/bench-table.sh -o "$TABLE" "$LOG" || failed=1
echo "(the table: $TABLE; the whole run: $LOG)"
exit "$failed"
