#!/bin/bash
# t_incr.sh: incremental verification (verifier/incr.h, issue 14) against a
# real swtpm:
#   - a sequence of measure + `quote --since` + `check --state-in/--state-out`
#     gives, at every step, the verdict and exit code a full check of the
#     whole log gives (JSON compared without checked_at, the TPM clock and
#     the incremental fields), trusted and untrusted alike: a workload
#     superseded, a disallowed hypervisor file measured (untrusted both
#     ways, and still so after later good records), no new record at all,
#     --workload scoping;
#   - a partial log never verifies without a state that anchors it (exit 3,
#     "log does not start at record 0 and no matching state"), nor with a
#     state after a gap, an AK change, a TPM reset, a policy change, or
#     with PCR values altered in the state (replay fails: full required);
#     each falls back, with its reason, and a full check then goes on;
#   - a state file is sealed under the verifier's key (incrseal.h): one
#     changed without the key, or kept by another verifier, is not used;
#   - the host sends its whole log when the boot or the record number it
#     is given does not fit its own log.
. "$(dirname "$0")/lib.sh"
start_tpm sha1,sha256 --no-ek-certs
# The verifier's own directory: its state key goes there.
export HOSTGATE_VERIFY_STATE=$WORK/vstate
INCRTOOL=$WORK/bin/incrtool
cp "$BUILD/tests/tools/incrtool" "$INCRTOOL"
N=0123456789abcdef0123456789abcdef
F=$WORK/f
S=$WORK/state.cbor
mkdir -p "$F"
printf 'qemu v1\n' >"$F/qemu"
printf 'libvirtd v1\n' >"$F/libvirtd"
printf '<domain><name>vm1</name></domain>\n' >"$F/vm1.xml"
printf 'golden image\n' >"$F/golden.img"
GOOD_VM1='<domain><name>vm1</name></domain>'
BAD_VM1='<domain><name>vm1</name><devices><hostdev/></devices></domain>'

measure() { "$HG_ATTEST" measure --kind "$1" "$2" >/dev/null; }
# The fields that differ between two checks of one host by design.
STRIP='del(.checked_at, .host.clock, .mode, .since, .fallback, .full_required)'
# since FILE: the "since" of a verdict, as quote --since takes it.
since() { jq -r '.since.boot + ":" + (.since.recnum | tostring)' "$1"; }
POL=$WORK/p.json
AK=$WORK/ak.pub

"$HG_ATTEST" init --ak-out "$AK" >/dev/null &&
	measure hypervisor "$F/qemu" && measure config "$F/vm1.xml" &&
	measure image "$F/golden.img" &&
	"$HG_ATTEST" quote --nonce $N -o "$WORK/ev.cbor" &&
	"$HG_VERIFY" learn --ak "$AK" --nonce $N "$WORK/ev.cbor" >"$POL" ||
	{ fail setup "init/measure/quote/learn failed"; exit 1; }

# The first check is a full one; it writes the first state.
"$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" --state-out "$S" \
	"$WORK/ev.cbor" >"$WORK/v0.json"
[ "$(jq -c '[.verdict, .mode, .since.recnum]' "$WORK/v0.json")" = '["trusted","full",3]' ] &&
	[ -s "$S" ] && pass "first-check-full-writes-state" ||
	fail "first-check-full-writes-state" "$(jq -c '[.verdict, .mode, .since]' "$WORK/v0.json")"
[ "$(stat -c %a "$S") $(stat -c %a "$HOSTGATE_VERIFY_STATE/incr.key") $(stat -c %s "$HOSTGATE_VERIFY_STATE/incr.key")" = "600 600 32" ] &&
	pass "state-and-key-private" || fail "state-and-key-private" "$(ls -l "$S" "$HOSTGATE_VERIFY_STATE")"

# step NAME WANT_EXIT [check options]: quote the whole log and the part
# after the state's "since"; check the first in full, the second from the
# state (--state-in/--state-out, the same file); both must give WANT_EXIT
# and the same verdict, and the second must be incremental.
LAST=$WORK/v0.json
step() {
	local name=$1 want=$2 rcf rci
	shift 2
	"$HG_ATTEST" quote --nonce $N -o "$WORK/full.cbor" &&
		"$HG_ATTEST" quote --nonce $N --since "$(since "$LAST")" -o "$WORK/inc.cbor" ||
		{ fail "$name" "quote failed"; return; }
	"$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" "$@" "$WORK/full.cbor" \
		>"$WORK/full.json" 2>/dev/null
	rcf=$?
	"$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" "$@" --state-in "$S" \
		--state-out "$S" "$WORK/inc.cbor" >"$WORK/inc.json" 2>"$WORK/inc.err"
	rci=$?
	if [ "$rcf" != "$want" ] || [ "$rci" != "$want" ]; then
		fail "$name" "exit full $rcf, incremental $rci, want $want: $(head -c 300 "$WORK/inc.err")"
	elif [ "$(jq -r .mode "$WORK/inc.json")" != incremental ]; then
		fail "$name" "not incremental: $(jq -c '[.mode, .fallback]' "$WORK/inc.json")"
	elif ! diff <(jq -S "$STRIP" "$WORK/full.json") <(jq -S "$STRIP" "$WORK/inc.json") \
		>"$WORK/diff.txt"; then
		fail "$name" "verdicts differ: $(head -c 400 "$WORK/diff.txt")"
	else
		pass "$name"
	fi
	cp "$WORK/inc.json" "$WORK/last.json"
	LAST=$WORK/last.json
}

# --- equal verdicts, step by step ---

measure image "$F/golden.img"
step "one-new-record-same-verdict" 0
jq -e '.since.recnum == 4 and .host.records == 5' "$WORK/inc.json" >/dev/null &&
	pass "incremental-counts-every-record" ||
	fail "incremental-counts-every-record" "$(jq -c '[.since, .host.records]' "$WORK/inc.json")"
n=$("$HG_VERIFY" show --json "$WORK/inc.cbor" | jq .log_first)
[ "$n" = 4 ] && pass "since-evidence-carries-log-first" || fail "since-evidence-carries-log-first" "log_first $n"

step "no-new-record-same-verdict" 0

printf '%s\n' "$BAD_VM1" >"$F/vm1.xml"
measure config "$F/vm1.xml"
step "bad-workload-untrusted-both-ways" 1
printf '%s\n' "$GOOD_VM1" >"$F/vm1.xml"
measure config "$F/vm1.xml"
step "superseded-workload-trusted-both-ways" 0

measure config "$F/vm1.xml"
step "workload-scoped-same-verdict" 0 --workload "config:$F/vm1.xml"

# A disallowed hypervisor file: untrusted until reboot, both ways.
printf 'qemu v2 (not in the policy)\n' >"$F/qemu"
measure hypervisor "$F/qemu"
step "disallowed-host-file-untrusted-both-ways" 1
jq -e '.failures | length == 1 and .[0].check == "policy" and .[0].kind == "hypervisor"' \
	"$WORK/inc.json" >/dev/null && pass "disallowed-host-file-named" ||
	fail "disallowed-host-file-named" "$(jq -c .failures "$WORK/inc.json")"
measure image "$F/golden.img"
step "host-failure-kept-in-state" 1
measure hypervisor "$F/libvirtd"
step "unknown-host-file-after-failure" 1
jq -e '.failures | length == 2' "$WORK/inc.json" >/dev/null &&
	pass "both-host-failures-listed" || fail "both-host-failures-listed" "$(jq -c .failures "$WORK/inc.json")"

# --- a partial log that nothing anchors ---

"$HG_ATTEST" quote --nonce $N --since "$(since "$LAST")" -o "$WORK/part.cbor"
expect_exit 3 "partial-log-without-state-invalid" \
	"$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" "$WORK/part.cbor"
expect_err "log does not start at record 0 and no matching state" "partial-log-without-state-reason"
expect_exit 3 "partial-log-learn-invalid" "$HG_VERIFY" learn --ak "$AK" --nonce $N "$WORK/part.cbor"
expect_exit 3 "partial-log-missing-state-file" \
	"$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" --state-in "$WORK/none.cbor" \
	"$WORK/part.cbor"
jq -e '.verdict == "invalid" and .full_required == true' "$WORK/last.out" >/dev/null &&
	pass "partial-log-missing-state-full-required" ||
	fail "partial-log-missing-state-full-required" "$(jq -c '[.verdict, .full_required]' "$WORK/last.out")"

# fallback NAME EVIDENCE REASON [check options]: exit 3, full required,
# the reason named, never trusted, and the state file left as it was.
fallback() {
	local name=$1 ev=$2 why=$3
	shift 3
	cp "$S" "$WORK/s.before"
	expect_exit 3 "$name" "$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" \
		--state-in "$S" --state-out "$S" "$@" "$ev"
	if jq -e --arg w "$why" '.verdict == "invalid" and .full_required == true and
	       (.fallback | contains($w))' "$WORK/last.out" >/dev/null &&
		cmp -s "$S" "$WORK/s.before"; then
		pass "$name-reason"
	else
		fail "$name-reason" "$(jq -c '[.verdict, .full_required, .fallback]' "$WORK/last.out")"
	fi
}

# The state's PCR 13 (sha256): nothing was measured since it was made.
ST13=$(pcr_value sha256 13)

# A gap: the host is asked for records after one the verifier never saw.
measure image "$F/golden.img"
measure image "$F/golden.img"
b=$(jq -r .since.boot "$LAST")
r=$(jq -r .since.recnum "$LAST")
"$HG_ATTEST" quote --nonce $N --since "$b:$((r + 1))" -o "$WORK/gap.cbor"
fallback "gap-falls-back" "$WORK/gap.cbor" "gap: the log starts at record $((r + 2))"
"$HG_ATTEST" quote --nonce $N --since "$b:$r" -o "$WORK/next.cbor"

# Altered PCR values in the state. Without the key: the MAC catches it.
cp "$S" "$WORK/s.good"
python3 - "$S" "$ST13" <<'PY' || fail "tamper-state" "the state's PCR value was not found"
import sys
s = bytearray(open(sys.argv[1], 'rb').read())
v = bytes.fromhex(sys.argv[2])
assert s.count(v) == 1
i = s.find(v)
s[i + 5] ^= 0x01
open(sys.argv[1], 'wb').write(s)
PY
fallback "altered-state-unsealed-not-used" "$WORK/next.cbor" "MAC does not verify"
# Resealed with the key: the replay from the altered values misses the
# quote, and nothing of the partial log is believed.
"$INCRTOOL" reseal "$HOSTGATE_VERIFY_STATE" "$S" "$S" || fail "reseal" "incrtool failed"
fallback "altered-state-pcrs-fall-back" "$WORK/next.cbor" "replay"
jq -e '.checks[] | select(.check == "replay") | .result == "fail"' "$WORK/last.out" >/dev/null &&
	pass "altered-state-pcrs-replay-fails" ||
	fail "altered-state-pcrs-replay-fails" "$(jq -c .checks "$WORK/last.out")"
# The host's failures removed from the state (the judgement it carries):
# not used without the key.
cp "$WORK/s.good" "$S"
"$INCRTOOL" drop-records "$HOSTGATE_VERIFY_STATE" "$S" "$S" || fail "drop-records" "incrtool failed"
fallback "state-without-failures-not-used" "$WORK/next.cbor" "MAC does not verify"
cp "$WORK/s.good" "$S"
# Another verifier (another key) does not use this one's state.
HOSTGATE_VERIFY_STATE=$WORK/vstate2 fallback "other-verifier-state-not-used" \
	"$WORK/next.cbor" "no state key"

# A file that is not a sealed state, and a sealed one whose state does
# not decode, are not used: a full check, named.
printf 'not a state' >"$WORK/junk.cbor"
expect_exit 3 "junk-state-partial-log-invalid" "$HG_VERIFY" check --ak "$AK" --nonce $N \
	--policy "$POL" --state-in "$WORK/junk.cbor" "$WORK/next.cbor"
expect_err "not a sealed state" "junk-state-named"
# [h'6a756e6b', 32 zero bytes]: "junk" with a MAC made right by reseal.
printf '\x82\x44junk\x58\x20%s' "$(head -c 32 /dev/zero | tr '\0' 'x')" >"$WORK/junk2.cbor"
"$INCRTOOL" reseal "$HOSTGATE_VERIFY_STATE" "$WORK/junk2.cbor" "$WORK/junk2.cbor" &&
	expect_exit 3 "sealed-junk-state-partial-log-invalid" "$HG_VERIFY" check --ak "$AK" \
		--nonce $N --policy "$POL" --state-in "$WORK/junk2.cbor" "$WORK/next.cbor" &&
	expect_err "does not decode" "sealed-junk-state-named"

# The good state still resumes the same evidence (the failures above
# left it alone).
expect_exit 1 "good-state-resumes-after-fallbacks" "$HG_VERIFY" check --ak "$AK" --nonce $N \
	--policy "$POL" --state-in "$S" --state-out "$WORK/s.next" "$WORK/next.cbor"
jq -e '.mode == "incremental"' "$WORK/last.out" >/dev/null && pass "good-state-incremental" ||
	fail "good-state-incremental" "$(jq -c '[.mode, .fallback]' "$WORK/last.out")"

# A policy change: the stored judgement was made under another policy.
jq '.' "$POL" >"$WORK/p2.json"
printf '\n' >>"$WORK/p2.json"
cmp -s "$POL" "$WORK/p2.json" && fail "policy-change" "the policy bytes did not change"
POL_SAVED=$POL
POL=$WORK/p2.json
fallback "policy-change-falls-back" "$WORK/next.cbor" "policy changed"
# ... and the whole log is then checked in full under the new policy.
"$HG_ATTEST" quote --nonce $N --since "$b:$r" -o "$WORK/ignored.cbor"
"$HG_ATTEST" quote --nonce $N -o "$WORK/whole.cbor"
expect_exit 1 "policy-change-full-check" "$HG_VERIFY" check --ak "$AK" --nonce $N \
	--policy "$POL" --state-in "$S" --state-out "$S" "$WORK/whole.cbor"
jq -e '.mode == "full" and (.fallback | contains("whole log")) and .since != null' \
	"$WORK/last.out" >/dev/null && pass "policy-change-full-check-mode" ||
	fail "policy-change-full-check-mode" "$(jq -c '[.mode, .fallback, .since]' "$WORK/last.out")"
cp "$WORK/last.out" "$WORK/last.json"
LAST=$WORK/last.json
measure image "$F/golden.img"
step "resumes-under-new-policy" 1
POL=$POL_SAVED
"$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" --state-out "$S" \
	"$WORK/full.cbor" >"$WORK/last.json" 2>/dev/null
LAST=$WORK/last.json

# --- an AK change: a new AK on the same TPM, the same log ---

mkdir -p "$WORK/state2"
cp "$HOSTGATE_STATE/logkey.pem" "$WORK/state2/"
measure image "$F/golden.img"
HOSTGATE_STATE=$WORK/state2 "$HG_ATTEST" init --ak-alg rsa --ak-out "$WORK/ak2.pub" >/dev/null &&
	HOSTGATE_STATE=$WORK/state2 "$HG_ATTEST" quote --nonce $N --since "$(since "$LAST")" \
		-o "$WORK/ak2.cbor" || fail "ak-change-setup" "init/quote with a second AK failed"
AK_SAVED=$AK
AK=$WORK/ak2.pub
fallback "ak-change-falls-back" "$WORK/ak2.cbor" "AK changed"
AK=$AK_SAVED
expect_exit 3 "ak-change-old-ak-invalid" "$HG_VERIFY" check --ak "$AK" --nonce $N \
	--policy "$POL" --state-in "$S" "$WORK/ak2.cbor"
jq -e '.verdict == "invalid" and (.fallback | contains("AK changed"))' "$WORK/last.out" \
	>/dev/null && pass "ak-change-old-ak-named" ||
	fail "ak-change-old-ak-named" "$(jq -c '[.verdict, .fallback]' "$WORK/last.out")"

# --- a TPM reset (a reboot): resetCount changes, PCRs start over ---

old_boot=$(jq -r .since.boot "$LAST")
old_next=$(( $(jq -r .since.recnum "$LAST") + 1 ))
P=${TCTI##*port=}
swtpm_ioctl --tcp "127.0.0.1:$((P + 1))" -i >/dev/null &&
	tpm2_startup -c -T "$TCTI" >/dev/null 2>&1 ||
	{ fail "tpm-reset" "swtpm_ioctl -i / tpm2_startup failed"; exit 1; }
rm -f "$HOSTGATE_LOG"          # /run is empty after a reboot
printf 'qemu v1\n' >"$F/qemu"
measure hypervisor "$F/qemu"
measure config "$F/vm1.xml"
for _ in $(seq 1 $((old_next + 1))); do measure image "$F/golden.img"; done
# The host, given the old boot, sends its whole log.
"$HG_ATTEST" quote --nonce $N --since "$old_boot:$((old_next - 1))" -o "$WORK/reboot-full.cbor"
n=$("$HG_VERIFY" show --json "$WORK/reboot-full.cbor" | jq '.log_first // 0')
[ "$n" = 0 ] && pass "host-other-boot-sends-whole-log" ||
	fail "host-other-boot-sends-whole-log" "log_first $n"
new_boot=$("$HG_VERIFY" check --ak "$AK" --nonce $N --policy "$POL" --state-out "$WORK/s.tmp" \
	"$WORK/reboot-full.cbor" 2>/dev/null | jq -r .since.boot)
[ "$new_boot" != "$old_boot" ] && [ -n "$new_boot" ] && pass "reset-changes-boot-id" ||
	fail "reset-changes-boot-id" "$old_boot -> $new_boot"
# A partial log of the new boot that starts exactly where the old state
# resumes: only the boot differs.
"$HG_ATTEST" quote --nonce $N --since "$new_boot:$((old_next - 1))" -o "$WORK/reboot-part.cbor"
fallback "reboot-falls-back" "$WORK/reboot-part.cbor" "reboot"
expect_exit 0 "reboot-full-check-trusted" "$HG_VERIFY" check --ak "$AK" --nonce $N \
	--policy "$POL" --state-in "$S" --state-out "$S" "$WORK/reboot-full.cbor"
jq -e '.mode == "full"' "$WORK/last.out" >/dev/null && pass "reboot-full-check-mode" ||
	fail "reboot-full-check-mode" "$(jq -c .mode "$WORK/last.out")"
cp "$WORK/last.out" "$WORK/last.json"
LAST=$WORK/last.json
measure image "$F/golden.img"
step "resumes-after-reboot" 0

# The host, given a record number past its log's end, sends it all.
"$HG_ATTEST" quote --nonce $N --since "$new_boot:100000" -o "$WORK/past.cbor"
n=$("$HG_VERIFY" show --json "$WORK/past.cbor" | jq '.log_first // 0')
[ "$n" = 0 ] && pass "host-past-end-sends-whole-log" || fail "host-past-end-sends-whole-log" "log_first $n"
expect_exit 2 "since-malformed-refused" "$HG_ATTEST" quote --nonce $N --since "xyz:1" -o "$WORK/x.cbor"
expect_err "--since" "since-malformed-named"
