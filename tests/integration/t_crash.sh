#!/bin/bash
# t_crash.sh: kill -9 'measure' at random instants, 100+ times. After each
# kill, the log and the PCR must be in one of the states the design
# allows (README "Crash consistency"):
#   consistent  replay(all records) == PCR
#   pending     replay(all but the last) == PCR: logged, not yet extended
#   torn        the log ends inside a record; the valid prefix == PCR
# and never a PCR that the log does not explain. The next 'measure' must
# then bring them back to consistent (roll forward or drop the torn tail).
. "$(dirname "$0")/lib.sh"
start_tpm sha256 --no-ek-certs
"$HG_ATTEST" init >/dev/null || { fail init "init failed"; exit 1; }

TRIALS=${HG_CRASH_TRIALS:-120}
mkdir -p "$WORK/f"
# Many small files: most of a run is then the append-fsync-extend loop,
# which is the window that matters.
for i in $(seq 1 40); do head -c $((i * 1000)) /dev/urandom >"$WORK/f/$i"; done

# fold_from JSON START ACC: extend ACC with the records from index START
# on, each digest recomputed as sha256(content) with openssl (not hostgate).
# The log is append-only, so each trial only folds what it added since the
# last verified point (BASE_N records giving BASE_PCR).
fold_from() {
	jq -r --argjson s "$2" '.records[$s:][] | .content' "$1" | {
		acc=$3
		while read -r c; do
			d=$(printf '%s' "$c" | hex2bin | openssl dgst -sha256 -binary | bin2hex)
			acc=$(printf '%s%s' "$acc" "$d" | hex2bin | openssl dgst -sha256 -binary | bin2hex)
		done
		echo "$acc"
	}
}
BASE_N=0
BASE_PCR=$(printf '%064d' 0)

# The state of log vs PCR, judged with openssl, not hostgate's replay.
state_of() {
	local pcr valid n full prefix
	pcr=$(pcr_value sha256 13)
	"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/s.json" 2>/dev/null
	valid=$(jq -r .valid "$WORK/s.json")
	n=$(jq '.records | length' "$WORK/s.json")
	if [ "$n" -lt "$BASE_N" ]; then
		echo "bad(log-shrank,n=$n<$BASE_N)"
		return
	fi
	full=$(fold_from "$WORK/s.json" "$BASE_N" "$BASE_PCR")
	if [ "$valid" != true ]; then
		if jq -e '.error.reason == "truncated record"' "$WORK/s.json" >/dev/null &&
			[ "$full" = "$pcr" ]; then
			echo torn
		else
			echo "bad(valid=$valid,$(jq -c .error "$WORK/s.json"))"
		fi
		return
	fi
	if [ "$full" = "$pcr" ]; then
		echo consistent
		return
	fi
	jq '.records |= .[:-1]' "$WORK/s.json" >"$WORK/s2.json"
	prefix=$(fold_from "$WORK/s2.json" "$BASE_N" "$BASE_PCR")
	[ "$n" -gt "$BASE_N" ] && [ "$prefix" = "$pcr" ] && echo pending || echo "bad(pcr-unexplained,n=$n)"
}

declare -A seen=()
bad=0
# Calibrate: how long one whole run takes here, so kills spread over it.
t0=$(date +%s%N)
for _ in 1 2 3; do "$HG_ATTEST" measure --kind image "$WORK"/f/* >/dev/null; done
span_us=$((($(date +%s%N) - t0) / 3000))
st=$(state_of)
[ "$st" = consistent ] && pass "uninterrupted-runs-consistent" ||
	fail "uninterrupted-runs-consistent" "$st"
BASE_N=$(jq '.records | length' "$WORK/s.json")
BASE_PCR=$(pcr_value sha256 13)
echo "  one run takes ~${span_us} us; killing at random instants within it"
for t in $(seq 1 "$TRIALS"); do
	"$HG_ATTEST" measure --kind image "$WORK"/f/* >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%06d' $(((RANDOM * 32768 + RANDOM) % (span_us + span_us / 5 + 1))))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	st=$(state_of)
	seen[$st]=$((${seen[$st]:-0} + 1))
	case $st in
	consistent | pending | torn) ;;
	*) bad=$((bad + 1)); echo "  trial $t: $st" ;;
	esac
	# Recovery: the next run must succeed and leave a consistent pair.
	if ! "$HG_ATTEST" measure --kind config "$WORK/f/1" >/dev/null 2>"$WORK/rec.err"; then
		bad=$((bad + 1)); echo "  trial $t: recovery failed: $(cat "$WORK/rec.err")"
	elif st=$(state_of) && [ "$st" != consistent ]; then
		bad=$((bad + 1)); echo "  trial $t: after recovery: $st"
	else
		# Verified: later trials fold only what comes after this point.
		BASE_N=$(jq '.records | length' "$WORK/s.json")
		BASE_PCR=$(pcr_value sha256 13)
	fi
done
summary=""
for k in "${!seen[@]}"; do summary="$summary $k=${seen[$k]}"; done
echo "  outcomes over $TRIALS kills:$summary"
[ "$bad" -eq 0 ] && pass "kill-9-x$TRIALS-never-unexplained-and-recovers" ||
	fail "kill-9-x$TRIALS-never-unexplained-and-recovers" "$bad bad trials"
# The interesting window must actually have been hit, or the test proves
# little: require that some kill landed between write and extend or mid-write.
if [ "${seen[pending]:-0}" -gt 0 ] || [ "${seen[torn]:-0}" -gt 0 ]; then
	pass "kill-9-hit-the-append-window"
else
	fail "kill-9-hit-the-append-window" "no pending or torn outcome in $TRIALS trials"
fi
n=$(jq '.records | length' "$WORK/s.json")
[ "$n" -gt "$TRIALS" ] && pass "log-kept-every-completed-record" || fail "log-kept-every-completed-record" "$n records"
