#!/bin/bash
# t_bench_table.sh: `make bench`'s table (tools/bench-table.sh) from the
# result lines the benchmarks print (tools/bench-result.sh), without
# running the benchmarks (a quick run takes minutes: BENCH_QUICK=1
# make bench, by hand or in CI's bench job).
#
#   - every goal the table knows is printed by the benchmark that owns it
#     (a goal=ID or bench_skip ID in tools/bench-OWNER.sh);
#   - a recorded run (tests/data/bench/quick-run.log, the BENCH- lines of
#     one BENCH_QUICK=1 run) gives every row, each with a ratio and met or
#     MISSED, or skipped with a reason; -o writes the same text;
#   - bench_result computes met and turns a figure that is not a number
#     into a skipped row; bench_met's comparisons;
#   - a failed benchmark's rows say failed and why; a goal missing from a
#     benchmark that ended well, and every malformed line, fail the table
#     with one error naming the file, the line and the reason.
#
# No TPM, no root.
. "$(dirname "$0")/lib.sh"
T=$ROOT/tools/bench-table.sh
REC=$ROOT/tests/data/bench/quick-run.log

# --- every known goal has its benchmark's line -------------------------------
goals=$(sed -n "/^GOALS='/,/'\$/p" "$T" | sed "s/^GOALS='//; s/'\$//")
[ "$(wc -l <<<"$goals")" -ge 17 ] || fail goals-parsed "read $(wc -l <<<"$goals") goals from $T"
missing=
while IFS=$'\t' read -r id owner _; do
	grep -qE "(goal=$id |bench_skip $id )" "$ROOT/tools/bench-$owner.sh" || missing="$missing $id($owner)"
done <<<"$goals"
if [ -z "$missing" ]; then pass goals-owned; else fail goals-owned "no line in the owner's script for:$missing"; fi

# --- a recorded run ------------------------------------------------------------
expect_exit 0 recorded-exit "$T" -o "$WORK/table.txt" "$REC"
cp "$WORK/last.out" "$WORK/stdout.txt"
if cmp -s "$WORK/stdout.txt" "$WORK/table.txt"; then pass recorded-o-file; else fail recorded-o-file "-o FILE differs from stdout"; fi
bad=
while IFS=$'\t' read -r id _ _; do
	what=$(grep "^BENCH-RESULT goal=$id " "$REC" | tail -1 | sed -n 's/.* what="\([^"]*\)".*/\1/p')
	[ -n "$what" ] || { bad="$bad $id(not in the recording)"; continue; }
	row=$(grep -F -- "$what  " "$WORK/stdout.txt" | head -1)
	if [ -z "$row" ]; then
		bad="$bad $id(no row)"
	elif ! [[ $row =~ \ [0-9]+(\.[0-9]+)?x\ .*\ (met|MISSED)( \[[0-9]+\])?$ ]] &&
		! [[ $row =~ \ skipped\ \(.+\)$ ]]; then
		bad="$bad $id(neither a ratio and met/MISSED nor skipped with a reason: $row)"
	fi
done <<<"$goals"
if [ -z "$bad" ]; then pass recorded-every-row; else fail recorded-every-row "$bad"; fi
# The counts line adds up to the rows.
read -r a _ b _ c _ _ _ _ d _ < <(grep -E '^[0-9]+ met, ' "$WORK/stdout.txt")
n=$(wc -l <<<"$goals")
if [ $((a + b + c + d)) = "$n" ]; then pass recorded-counts; else fail recorded-counts "$a+$b+$c+$d rows counted, $n goals"; fi
if grep -q '^QUICK RUN' "$WORK/stdout.txt"; then pass recorded-quick-said; else fail recorded-quick-said "a quick run's table does not say so"; fi

# --- bench_result and bench_met -----------------------------------------------
# shellcheck source=../../tools/bench-result.sh
. "$ROOT/tools/bench-result.sh"
l=$(bench_result goal=t-x what="a thing" value=3 unit=ms peer="the peer" peer_value=2 ratio=1.50 target="<= 2 ms" met="$(bench_met 3 '<=' 2)" note='say "hi"')
if [ "$l" = "BENCH-RESULT goal=t-x what=\"a thing\" value=3 unit=ms peer=\"the peer\" peer_value=2 ratio=1.50 target=\"<= 2 ms\" met=no note=\"say 'hi'\"" ]; then
	pass result-line
else
	fail result-line "got: $l"
fi
l=$(bench_result goal=t-x what=w value=nan unit=ms peer=p peer_value=2 ratio=- target=t met=no)
case $l in
*'skipped="measurement failed: value '"'"'nan'"'"' is not a number; ratio '"'"'-'"'"' is not a number"') pass result-not-a-number ;;
*) fail result-not-a-number "got: $l" ;;
esac
m=$(bench_met 1.0 '>' 1.0) m2=$(bench_met 1.00 '>=' 1) m3=$(bench_met 15 '<=' 16) m4=$(bench_met x '>=' 1) m5=$(bench_met 17 '<=' 16)
if [ "$m $m2 $m3 $m4 $m5" = "no yes yes no no" ]; then pass bench-met; else fail bench-met "got $m $m2 $m3 $m4 $m5"; fi
# bc writes 0.96 as ".96" (bench-gate's ratios): a number all the same.
l=$(bench_result goal=t-x what=w value=-.5 unit=ms peer=p peer_value=2 ratio=.96 target=t met="$(bench_met .96 '<=' 1.3)")
if [ "$l" = 'BENCH-RESULT goal=t-x what=w value=-0.5 unit=ms peer=p peer_value=2 ratio=0.96 target=t met=yes' ]; then
	pass result-leading-dot
else
	fail result-leading-dot "got: $l"
fi
r=$(bench_ratio 3 2) r2=$(bench_ratio 3 0) r3=$(bench_ratio x 2)
if [ "$r $r2 $r3" = "1.50 - -" ]; then pass bench-ratio; else fail bench-ratio "got $r $r2 $r3"; fi
# What bench_result prints, bench-table reads back.
{
	echo "BENCH-RUN bench=incr rc=0 secs=3"
	bench_result goal=incr what="round trip" value=1627.4 unit=checks/s peer="full check" \
		peer_value=14.0 ratio=116.3 target=">= 2000 checks/s" met="$(bench_met 1627.4 '>=' 2000)"
} >"$WORK/rt.log"
expect_exit 0 round-trip-exit "$T" "$WORK/rt.log"
if grep -qE '^round trip +1627\.4 checks/s  full check +14\.0 checks/s  116\.3x  >= 2000 checks/s  MISSED$' "$WORK/last.out"; then
	pass round-trip-row
else
	fail round-trip-row "$(grep 'round trip' "$WORK/last.out")"
fi

# --- failures ----------------------------------------------------------------------
grep -v '^BENCH-RESULT goal=verify-' "$REC" | grep -v '^BENCH-RUN bench=verify ' >"$WORK/fail.log"
echo 'BENCH-RUN bench=verify rc=1 secs=12 why="bench-verify: swtpm did not start"' >>"$WORK/fail.log"
expect_exit 0 failed-bench-exit "$T" "$WORK/fail.log"
if [ "$(grep -c 'failed (bench-verify exited 1: bench-verify: swtpm did not start)' "$WORK/last.out")" -ge 5 ]; then
	pass failed-bench-rows
else
	fail failed-bench-rows "$(grep -i verify "$WORK/last.out" | head -3)"
fi
grep -v '^BENCH-RESULT goal=gate-start ' "$REC" >"$WORK/missing.log"
expect_exit 1 missing-goal-exit "$T" "$WORK/missing.log"
expect_err "goal gate-start: bench-gate printed no result line for it" missing-goal-error
if grep -q 'missing (bench-gate ended well but printed no line for gate-start)' "$WORK/last.out"; then
	pass missing-goal-row
else
	fail missing-goal-row "$(grep -i 'gate' "$WORK/last.out" | head -2)"
fi
if grep -q 'not run (bench-measure is not in these logs)' < <("$T" "$WORK/rt.log" 2>/dev/null); then
	pass not-run-row
else
	fail not-run-row "a benchmark absent from the log is not said to be not run"
fi

# Malformed lines: each is refused with its file, line and reason; the
# rest of the table is still printed.
# (No BENCH-RUN line: incr is "not run" unless its line is read, so that
# the malformed line is the one error.)
malformed() { # NAME LINE REASON
	printf '%s\n' "$2" >"$WORK/bad-$1.log"
	expect_exit 1 "malformed-$1" "$T" "$WORK/bad-$1.log"
	expect_err "$WORK/bad-$1.log:1: $3" "malformed-$1-error"
	if [ "$(wc -l <"$WORK/last.err")" = 1 ]; then pass "malformed-$1-one-line"; else fail "malformed-$1-one-line" "$(cat "$WORK/last.err")"; fi
}
OK='what=w value=1 unit=s peer=p peer_value=1 ratio=1.0 target=t'
malformed quote "BENCH-RESULT goal=incr what=\"w value=1" 'what: unterminated quote'
malformed met "BENCH-RESULT goal=incr $OK met=maybe" 'incr: met must be yes or no, not "maybe"'
malformed no-met "BENCH-RESULT goal=incr $OK" 'incr: no met='
malformed ratio "BENCH-RESULT goal=incr ${OK/ratio=1.0/ratio=fast} met=yes" 'incr: ratio "fast" is not a number'
malformed value "BENCH-RESULT goal=incr ${OK/value=1/value=1e3} met=yes" 'incr: value "1e3" is not a number'
malformed goal "BENCH-RESULT goal=Incr! $OK met=yes" 'no goal=ID'
malformed twice "BENCH-RESULT goal=incr goal=incr $OK met=yes" 'goal: given twice'
malformed junk "BENCH-RESULT goal=incr what=\"w\"x $OK met=yes" 'what: junk after the value'
malformed no-reason "BENCH-RESULT goal=incr what=w skipped=\"\"" 'incr: skipped= without a reason'
if grep -qE '^incremental re-attestation, 1,000-record host +invalid result line \(incr: skipped= without a reason\)$' "$WORK/last.out"; then
	pass malformed-row
else
	fail malformed-row "the malformed goal's row does not say so"
fi

expect_exit 2 unreadable-log "$T" "$WORK/no-such.log"
expect_err "bench-table: $WORK/no-such.log: cannot read it" unreadable-log-error
expect_exit 2 usage "$T" -o
expect_exit 0 help "$T" --help
