# crash.sh: what the kill -9 trials share (sourced after lib.sh), in the
# style of t_crash.sh (which proves `measure`): a command is started, killed
# with SIGKILL at a random instant within one uninterrupted run of it, and
# the script then asserts that what it left is consistent, or is flagged
# by the next run with a clear error, and never silently accepted.
#
# The instants come from bash's RANDOM seeded with HG_CRASH_SEED (printed;
# the default is fixed), so a failing run's sequence of instants can be
# replayed: HG_CRASH_SEED=N bash tests/integration/t_crash_X.sh. What the
# process had done by each instant still depends on the machine's speed.
#
#   crash_span CMD...      time one uninterrupted run of CMD (twice, the
#                          slower kept), in microseconds, into SPAN
#   crash_kill SPAN CMD... start CMD, SIGKILL it at a random instant in
#                          0 .. 1.2 * SPAN; KILLED=1 if the kill landed
#                          (CMD was still running), 0 if CMD had ended
#                          first (its exit code in CRASH_RC)
#   crash_flush            flush the swtpm's transient objects and
#                          sessions, loaded and saved: a TPM behind the
#                          kernel's resource manager (/dev/tpmrm0) flushes
#                          what a killed process held; a swtpm socket
#                          has none, and runs out of session slots
#   crash_tally OUTCOME    count an outcome; crash_summary NAME TRIALS
#                          prints them and passes NAME-window-hit when
#                          at least one kill landed mid-run
CRASH_SEED=${HG_CRASH_SEED:-16005}
RANDOM=$CRASH_SEED
echo "  random seed $CRASH_SEED (HG_CRASH_SEED=$CRASH_SEED reproduces the kill instants)"
declare -A CRASH_SEEN=()
CRASH_LANDED=0

crash_span() {
	local t0 a b
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	a=$((($(date +%s%N) - t0) / 1000))
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	b=$((($(date +%s%N) - t0) / 1000))
	SPAN=$((a > b ? a : b))
}

crash_kill() {
	local span=$1 us pid
	shift
	us=$(((RANDOM * 32768 + RANDOM) % (span + span / 5 + 1)))
	"$@" >"$WORK/crash.out" 2>"$WORK/crash.err" &
	pid=$!
	sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	CRASH_RC=$?
	# 137 = 128 + SIGKILL: the kill landed before the command exited.
	if [ "$CRASH_RC" = 137 ]; then KILLED=1; CRASH_LANDED=$((CRASH_LANDED + 1)); else KILLED=0; fi
}

crash_flush() {
	tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
	tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1
	tpm2_flushcontext -T "$TCTI" -s >/dev/null 2>&1
}

crash_tally() { CRASH_SEEN[$1]=$((${CRASH_SEEN[$1]:-0} + 1)); }

crash_summary() { # NAME TRIALS
	local k s=""
	for k in "${!CRASH_SEEN[@]}"; do s="$s $k=${CRASH_SEEN[$k]}"; done
	echo "  $1: outcomes over $2 kills:$s (landed mid-run: $CRASH_LANDED)"
	if [ "$CRASH_LANDED" -gt 0 ]; then
		pass "$1-kills-landed-mid-run"
	else
		fail "$1-kills-landed-mid-run" "every one of $2 runs ended before its kill"
	fi
	CRASH_SEEN=()
	CRASH_LANDED=0
}

# crash_litter DIR: temporary files a killed writer left in DIR (the
# *.tmp.PID of hg_write_file_atomic), counted, then removed.
crash_litter() {
	local n
	n=$(find "$1" -maxdepth 1 -name '*.tmp.*' 2>/dev/null | wc -l)
	find "$1" -maxdepth 1 -name '*.tmp.*' -delete 2>/dev/null
	echo "$n"
}
