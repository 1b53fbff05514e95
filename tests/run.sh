#!/bin/bash
# run.sh: the test driver behind 'make check' and 'make asan'.
#
# Runs every cmocka unit binary in $BUILD/tests and every integration
# script tests/integration/t_*.sh, then prints one summary line
#   N passed, N failed, N skipped
# and exits non-zero if anything failed. Each integration script reports
# its own cases through tests/integration/lib.sh into $HG_RESULTS.
#
# At the end, tests/hygiene.sh checks that the run left the machine as it
# found it: /dev/null still a character device (repaired if not), and no
# daemon, domain, hook, image dir or mount that this run started -- each a
# case that fails naming the leftover. "This run" is $HG_RUN_ID (every
# daemon a script starts inherits it) and the scripts registered in
# $HG_RUN_DIR, so runs going on beside this one are never counted.
#
# Usage: BUILD=build tests/run.sh [PATTERN]   (PATTERN filters test names)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PATTERN=${1:-}
export BUILD
HG_RESULTS=$(mktemp "${TMPDIR:-/tmp}/hostgate-results.XXXXXX")
HG_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-run.XXXXXX")
HG_RUN_ID=run-$$-$(basename "$HG_RUN_DIR")
export HG_RESULTS HG_RUN_DIR HG_RUN_ID
trap 'rm -f "$HG_RESULTS"; rm -rf "$HG_RUN_DIR"' EXIT
tests/hygiene.sh snapshot "$HG_RUN_DIR"

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	[[ -z $PATTERN || $name == *$PATTERN* ]] || continue
	echo "== unit $name"
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) ' || true
	ran=$(printf '%s\n' "$out" | grep -c '^\[ RUN      \]')
	passed=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	failed=$((ran - passed))
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		# Crashed or failed outside a test case: count it once.
		printf '%s\n' "$out" | tail -20
		failed=1
	fi
	echo "unit $name $passed $failed 0" >>"$HG_RESULTS"
done

for t in tests/integration/t_*.sh; do
	name=$(basename "$t" .sh)
	[[ -z $PATTERN || $name == *$PATTERN* ]] || continue
	echo "== integration $name"
	before=$(wc -l <"$HG_RESULTS")
	bash "$t"
	rc=$?
	after=$(wc -l <"$HG_RESULTS")
	if [ "$rc" -ne 0 ] || [ "$after" -eq "$before" ]; then
		# A script that dies early must not pass silently.
		if ! tail -n +"$((before + 1))" "$HG_RESULTS" | grep -q ' FAIL '; then
			echo "  FAIL $name: script exited $rc without reporting a failure"
			echo "case $name:script FAIL" >>"$HG_RESULTS"
		fi
	fi
done

echo "== end of run: what this run left behind"
tests/hygiene.sh check "$HG_RUN_DIR"

# The adversarial scenarios are counted apart, so a reader of the log sees
# how many attacks this run replayed (issues 11 and 12).
tamper=$(awk '$1=="case" && $2 ~ /^t_(tamper|gate)/ {n++} END{print n+0}' "$HG_RESULTS")
[ "$tamper" -eq 0 ] || echo "adversarial scenarios: $tamper (tests/integration/t_tamper*.sh, t_gate*.sh)"

pass=$(awk '$1=="case" && $3=="PASS"{n++} $1=="unit"{n+=$3} END{print n+0}' "$HG_RESULTS")
fail=$(awk '$1=="case" && $3=="FAIL"{n++} $1=="unit"{n+=$4} END{print n+0}' "$HG_RESULTS")
skip=$(awk '$1=="case" && $3=="SKIP"{n++} END{print n+0}' "$HG_RESULTS")
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
