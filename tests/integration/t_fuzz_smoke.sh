#!/bin/bash
# t_fuzz_smoke.sh: `make fuzz-smoke` inside `make check`, so CI runs it:
# every libFuzzer target of tests/fuzz/ for HG_FUZZ_SMOKE_SECONDS (default
# 10) seconds, two at once (HG_FUZZ_SMOKE_JOBS), one case per target. A
# crash, a leak, a timeout (5 s per input), an out-of-memory or a broken
# contract (tests/fuzz/fuzz_check.h) fails the target's case, naming the
# artefact; a build failure fails the "build" case. The build, corpus and
# artefacts live in this script's $WORK, removed at exit: the smoke starts
# from the seeds every time (a longer `make fuzz` keeps its corpus in
# build-fuzz/).
#
# Under `make asan` (BUILD=build-asan) it skips, saying so: it builds its
# own sanitized binaries whatever BUILD is, and `make check` ran it.
. "$(dirname "$0")/lib.sh"
case $BUILD in */build-asan) skip all "the fuzz smoke does not depend on BUILD; make check runs it"; exit 0 ;; esac
command -v clang >/dev/null || { fail all "clang is missing (tools/install-deps.sh installs it)"; exit 1; }
t0=$SECONDS
(cd "$ROOT" && FUZZ_OUT=$WORK/fuzz FUZZ_SECONDS=${HG_FUZZ_SMOKE_SECONDS:-10} \
	FUZZ_JOBS=${HG_FUZZ_SMOKE_JOBS:-2} FUZZ_FLAGS= tests/fuzz/run.sh) >"$WORK/smoke.log" 2>&1
rc=$?
if [ "$rc" = 2 ]; then
	fail build "tests/fuzz/run.sh could not build or seed: $(grep -E 'run.sh:|error' "$WORK/smoke.log" | head -3 | tr '\n' ' ')"
	exit 1
fi
pass build
n=0
while read -r status target rest; do
	n=$((n + 1))
	echo "  $status $target $rest"
	if [ "$status" = PASS ]; then
		pass "$target"
	else
		fail "$target" "$(grep -A4 "^FAIL $target " "$WORK/smoke.log" | sed 1d | tr '\n' ' ' | head -c 400)"
	fi
done < <(grep -E '^(PASS|FAIL) fuzz_' "$WORK/smoke.log")
want=$(sed -n 's/^ALL_TARGETS="\(.*\)"$/\1/p' "$ROOT/tests/fuzz/run.sh" | wc -w)
[ "$n" = "$want" ] && pass every-target-ran || fail every-target-ran "$n of $want targets reported"
[ "$rc" = 0 ] || [ "$n" != "$want" ] || grep -q '^FAIL ' "$WORK/smoke.log" ||
	fail run-exit "tests/fuzz/run.sh exited $rc: $(tail -3 "$WORK/smoke.log" | tr '\n' ' ')"
echo "  fuzz smoke: $n targets in $((SECONDS - t0)) s"
