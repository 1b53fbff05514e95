#!/bin/bash
# t_valgrind.sh: every cmocka unit binary ($BUILD/tests/test_*) under
# valgrind's memcheck, one case per binary (`make valgrind` runs only this).
#
# A case fails on any memcheck error (invalid read or write, use of
# uninitialised memory, a bad free) or any definite, indirect or possible
# leak (--leak-check=full --errors-for-leak-kinds=definite,indirect,possible),
# through --error-exitcode; and, as in tests/run.sh, when the binary's
# own tests fail under valgrind. Memory still reachable at exit (OpenSSL's
# and libxml2's globals) is not an error. Suppressions: none.
#
# The binaries must be built without ASan (valgrind cannot run ASan's
# shadow memory): under `make asan` (BUILD=build-asan) the script skips,
# saying so. HG_VALGRIND_JOBS (default 2) binaries run at once;
# HG_VALGRIND_ORIGINS=1 adds --track-origins=yes (where an uninitialised
# value came from: twice the time, so only to diagnose). It prints the
# wall time and the slowest binaries.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { skip all "valgrind is not installed (tools/install-deps.sh installs it)"; exit 0; }
bins=("$BUILD"/tests/test_*)
[ -x "${bins[0]}" ] || { fail all "no unit binaries in $BUILD/tests"; exit 1; }
if nm "${bins[0]}" 2>/dev/null | grep -q __asan_init; then
	skip all "$BUILD is an ASan build: valgrind cannot run it"
	exit 0
fi
JOBS=${HG_VALGRIND_JOBS:-2}
VG_EXIT=99
mkdir -p "$WORK/vg"
t0=$SECONDS
one() { # BIN: run BIN under memcheck; its log in $WORK/vg/NAME.log
	local b=$1 n
	n=$(basename "$b")
	# The unit tests find their fixtures relative to the tree.
	local origins=()
	[ "${HG_VALGRIND_ORIGINS:-0}" = 1 ] && origins=(--track-origins=yes)
	# GNU time: wall seconds, and the CPU seconds a quiet machine needs.
	(cd "$ROOT" && /usr/bin/time -f '%e %U %S' -o "$WORK/vg/$n.time" valgrind --tool=memcheck --error-exitcode=$VG_EXIT \
		--leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
		--show-leak-kinds=definite,indirect,possible "${origins[@]}" \
		--num-callers=30 --log-file="$WORK/vg/$n.vg" "$b" >"$WORK/vg/$n.out" 2>&1)
	echo $? >"$WORK/vg/$n.rc"
}
running=0
for b in "${bins[@]}"; do
	[ -x "$b" ] || continue
	one "$b" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for b in "${bins[@]}"; do
	n=$(basename "$b")
	rc=$(cat "$WORK/vg/$n.rc" 2>/dev/null || echo none)
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$WORK/vg/$n.vg" | tail -1)
	ran=$(grep -c '^\[ RUN      \]' "$WORK/vg/$n.out")
	ok=$(grep -c '^\[       OK \]' "$WORK/vg/$n.out")
	if [ "$rc" = 0 ] && [ "${errs:-x}" = 0 ] && [ "$ran" = "$ok" ]; then
		pass "$n-memcheck-clean"
	else
		fail "$n-memcheck-clean" "exit $rc, $errs memcheck errors, $ok of $ran tests passed"
		grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Mismatched|Syscall|Source|[0-9,]+ bytes in|   (at|by) )' \
			"$WORK/vg/$n.vg" | head -30 | sed 's/^/    /'
		grep -E '^\[  (FAILED|ERROR) ' "$WORK/vg/$n.out" | head -5 | sed 's/^/    /'
	fi
done
for b in "${bins[@]}"; do n=$(basename "$b"); echo "$(tail -1 "$WORK/vg/$n.time") $n"; done >"$WORK/vg/all.time"
echo "  memcheck over ${#bins[@]} unit binaries took $((SECONDS - t0)) s ($JOBS at once)," \
	"$(awk '{ c += $2 + $3 } END { printf "%.0f", c }' "$WORK/vg/all.time") s of CPU; slowest (CPU s):" \
	"$(awk '{ printf "%.0f %s\n", $2 + $3, $4 }' "$WORK/vg/all.time" | sort -rn | head -5 | awk '{ printf "%s %s, ", $2, $1 }')"
