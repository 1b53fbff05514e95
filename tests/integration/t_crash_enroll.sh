#!/bin/bash
# t_crash_enroll.sh: kill -9 `activate` (host) and `enroll --finish`
# (verifier) at random instants (tests/integration/crash.sh; issue 16
# item 5). HG_CRASH_ENROLL rounds (default 30), each one challenge for
# host h, one activate killed and one finish killed:
#
#  - activate -o resp.cbor: after the kill resp.cbor is the last round's
#    response, byte for byte, or a whole new one (its finish enrolls the
#    host); a second activate of the same challenge succeeds;
#  - enroll --finish: after the kill the registry passes SQLite's
#    integrity check and either holds h (the finish committed: running it
#    again is refused as a replay, exit 3) or not (running it again
#    enrolls h, exit 0); never a host half-enrolled or a response that
#    counts twice;
#  - every fifth round, a quote is trusted under --host h (the AK the
#    registry recorded is this TPM's); then `hosts remove h` for the next.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/crash.sh"
start_tpm sha256
cd "$WORK" || exit 1
export HOSTGATE_VERIFY_STATE=$WORK/vstate
mkdir ca
cp "$SWTPM_DIR/ca/issuercert.pem" ca/int.pem
cp "$SWTPM_DIR/ca/swtpm-localca-rootca-cert.pem" ca/root.pem
N=$(printf '%08x%024x' "$CRASH_SEED" 0)
"$HG_ATTEST" init --ak-out ak.pub >/dev/null &&
	"$HG_ATTEST" enroll-request -o req.cbor >/dev/null &&
	"$HG_ATTEST" quote --nonce "$N" -o ev.cbor >/dev/null &&
	"$HG_VERIFY" learn --ak ak.pub --nonce "$N" ev.cbor >p.json ||
	{ fail setup "init/enroll-request/quote/learn failed"; exit 1; }
crash_flush
integrity() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("PRAGMA integrity_check").fetchone()[0])' "$HOSTGATE_VERIFY_STATE/registry.sqlite" 2>&1
}
enrolled() { "$HG_VERIFY" hosts --json 2>/dev/null | jq -e 'map(select(.host == "h")) | length == 1' >/dev/null; }
challenge() { "$HG_VERIFY" enroll --host h --ca ca --ek rsa req.cbor -o ch.cbor >/dev/null 2>"$WORK/ch.err"; }

# Calibrate on one whole round.
challenge || { fail setup "enroll: $(cat "$WORK/ch.err")"; exit 1; }
crash_span "$HG_ATTEST" activate ch.cbor -o resp.cbor
SPAN_A=$SPAN
crash_flush
t0=$(date +%s%N)
"$HG_VERIFY" enroll --finish resp.cbor >/dev/null 2>&1 || { fail setup "enroll --finish failed"; exit 1; }
SPAN_F=$((($(date +%s%N) - t0) / 1000))
"$HG_VERIFY" hosts remove h >/dev/null || { fail setup "hosts remove failed"; exit 1; }
echo "  activate takes ~$SPAN_A us, enroll --finish ~$SPAN_F us"

TRIALS=${HG_CRASH_ENROLL:-30}
bad_a=0 bad_f=0
declare -A out_a=() out_f=()
land_a=0 land_f=0
for t in $(seq 1 "$TRIALS"); do
	if ! challenge; then
		bad_f=$((bad_f + 1)); echo "  round $t: enroll refused: $(head -c 300 "$WORK/ch.err")"
		"$HG_VERIFY" hosts remove h >/dev/null 2>&1
		continue
	fi
	cp resp.cbor prev.cbor 2>/dev/null || rm -f prev.cbor
	# --- activate, killed
	crash_kill "$SPAN_A" "$HG_ATTEST" activate ch.cbor -o resp.cbor
	land_a=$((land_a + KILLED))
	crash_flush
	if [ -e prev.cbor ] && cmp -s prev.cbor resp.cbor; then
		o=old
		"$HG_ATTEST" activate ch.cbor -o resp.cbor >/dev/null 2>"$WORK/a.err" ||
			{ o=rerun-failed; bad_a=$((bad_a + 1)); echo "  round $t: activate again: $(head -c 300 "$WORK/a.err")"; }
		crash_flush
	elif [ -s resp.cbor ]; then
		o=new
	else
		o=bad; bad_a=$((bad_a + 1)); echo "  round $t: activate left no response and no old one"
	fi
	out_a[$o]=$((${out_a[$o]:-0} + 1))
	# --- enroll --finish, killed
	crash_kill "$SPAN_F" "$HG_VERIFY" enroll --finish resp.cbor
	land_f=$((land_f + KILLED))
	if [ "$KILLED" = 0 ] && [ "$CRASH_RC" != 0 ]; then
		# It ended by itself: it must have enrolled, or the response was bad.
		bad_f=$((bad_f + 1)); echo "  round $t: finish exited $CRASH_RC: $(head -c 300 "$WORK/crash.err")"
	fi
	ic=$(integrity)
	if [ "$ic" != ok ]; then
		o=corrupt; bad_f=$((bad_f + 1)); echo "  round $t: registry: $ic"
	elif enrolled; then
		o=committed
		"$HG_VERIFY" enroll --finish resp.cbor >/dev/null 2>"$WORK/f.err"
		rc=$?
		[ "$rc" = 3 ] && grep -q 'replayed response' "$WORK/f.err" ||
			{ bad_f=$((bad_f + 1)); echo "  round $t: committed, but finish again: exit $rc: $(head -c 300 "$WORK/f.err")"; }
	else
		o=not-committed
		if ! "$HG_VERIFY" enroll --finish resp.cbor >/dev/null 2>"$WORK/f.err" || ! enrolled; then
			bad_f=$((bad_f + 1)); echo "  round $t: not committed, and finish again: $(head -c 300 "$WORK/f.err")"
		fi
	fi
	out_f[$o]=$((${out_f[$o]:-0} + 1))
	if [ $((t % 5)) = 0 ]; then
		N=$(printf '%08x%024x' "$CRASH_SEED" "$t")
		if ! { "$HG_ATTEST" quote --nonce "$N" -o ev.cbor 2>"$WORK/q.err" &&
			"$HG_VERIFY" check --quiet --host h --policy p.json --nonce "$N" ev.cbor 2>>"$WORK/q.err"; }; then
			bad_f=$((bad_f + 1)); echo "  round $t: quote not trusted under --host h: $(head -c 300 "$WORK/q.err")"
		fi
		crash_flush
	fi
	"$HG_VERIFY" hosts remove h >/dev/null 2>&1
done
s=""; for k in "${!out_a[@]}"; do s="$s $k=${out_a[$k]}"; done
echo "  activate: outcomes over $TRIALS kills:$s (landed mid-run: $land_a)"
s=""; for k in "${!out_f[@]}"; do s="$s $k=${out_f[$k]}"; done
echo "  enroll --finish: outcomes over $TRIALS kills:$s (landed mid-run: $land_f)"
[ "$land_a" -gt 0 ] && pass activate-kills-landed-mid-run || fail activate-kills-landed-mid-run "none of $TRIALS"
[ "$land_f" -gt 0 ] && pass finish-kills-landed-mid-run || fail finish-kills-landed-mid-run "none of $TRIALS"
[ "$bad_a" -eq 0 ] && pass "activate-kill-9-x$TRIALS-old-or-whole-response" ||
	fail "activate-kill-9-x$TRIALS-old-or-whole-response" "$bad_a bad rounds"
[ "$bad_f" -eq 0 ] && pass "finish-kill-9-x$TRIALS-registry-whole-enrolled-once" ||
	fail "finish-kill-9-x$TRIALS-registry-whole-enrolled-once" "$bad_f bad rounds"
echo "  temporary files left by killed writers: $(crash_litter "$WORK")"
