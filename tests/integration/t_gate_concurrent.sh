#!/bin/bash
# t_gate_concurrent.sh: two virsh starts at once are each gated on their
# own merits. The hooks run in parallel, share one log and one TPM, and
# serialise on the log lock: both good domains start; a good one starts
# beside a tampered one, which is refused naming its own image; and the
# log stays valid, replaying to the PCR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (libvirtd)"; exit 0; }
start_libvirt
gate_host

A=$(dom_name a)
B=$(dom_name b)
for d in "$A" "$B"; do
	mk_golden "$GOLDEN/$d-base.qcow2"
	mk_overlay "$GOLDEN/$d-base.qcow2" "$IMGDIR/$d-top.qcow2"
	define_domain "$d" "$IMGDIR/$d-top.qcow2"
done
gate_learn "$A" "$B" 2>"$WORK/learn.err" && pass learn-policy ||
	fail learn-policy "$(head -c 300 "$WORK/learn.err")"
hook_add >"$WORK/install.out" 2>&1 && pass hook-installed ||
	fail hook-installed "$(head -c 300 "$WORK/install.out")"

both() {
	start_dom "$A" &
	local pa=$!
	start_dom "$B" &
	local pb=$!
	wait "$pa"
	RC_A=$?
	wait "$pb"
	RC_B=$?
}

check_running() { # DOM RC CASE
	local st
	st=$(virsh_ domstate "$1")
	if [ "$2" = 0 ] && [ "$st" = running ]; then
		pass "$3"
	else
		fail "$3" "exit $2, domstate '$st': $(start_err "$1")"
	fi
}

for round in 1 2 3 4 5; do
	both
	check_running "$A" "$RC_A" "round$round-both-good-a-running"
	check_running "$B" "$RC_B" "round$round-both-good-b-running"
	virsh_ destroy "$A" >/dev/null 2>&1
	virsh_ destroy "$B" >/dev/null 2>&1
done

tamper_image "$GOLDEN/$B-base.qcow2"
for round in 1 2 3 4 5; do
	both
	check_running "$A" "$RC_A" "round$round-good-a-running-beside-tampered-b"
	st=$(virsh_ domstate "$B")
	out=$(tr '\n' ' ' <"$WORK/start-$B.out")
	case $RC_B:$st:$out in
	[1-9]*":shut off:"*"hostgate: $B: refused: "*"$GOLDEN/$B-base.qcow2"*)
		pass "round$round-tampered-b-refused-naming-its-image" ;;
	*) fail "round$round-tampered-b-refused-naming-its-image" "exit $RC_B, domstate '$st': $(start_err "$B")" ;;
	esac
	case $out in
	*"$A"*) fail "round$round-b-refusal-does-not-blame-a" "$(start_err "$B")" ;;
	*) pass "round$round-b-refusal-does-not-blame-a" ;;
	esac
	virsh_ destroy "$A" >/dev/null 2>&1
done

# One log, one PCR: concurrency left them consistent.
expect_exit 0 log-valid-after-concurrent-gates "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json
want=$(pcr_value sha256 13)
got=$(replay_independent "$HOSTGATE_LOG" sha256 13)
[ "$want" = "$got" ] && pass log-replays-to-pcr || fail log-replays-to-pcr "tpm $want replay $got"
n=$(jq --arg b "$GOLDEN/$A-base.qcow2" '[.records[] | select(.name==$b)] | length' "$WORK/last.out")
[ "$n" = 1 ] && pass good-base-recorded-once || fail good-base-recorded-once "$n records of a's base"
exit 0
