#!/bin/bash
# t_uefi_e2e.sh: a real firmware event log, end to end on swtpm.
#
# A real GCE shielded-VM log from the shared corpus is replayed into a
# fresh swtpm's PCRs 0-9 (its sha256 digests, with tpm2_pcrextend at
# locality 0; the log has no StartupLocality event, so PCR0 starts at 0
# there too). hostgate-attest quote puts the log in the evidence, the
# verifier replays it against the quoted PCRs and reports the firmware
# facts; then one event's digest is changed in the log and the exact
# failure (PCR, bank, last event) is expected.
. "$(dirname "$0")/lib.sh"

CORPUS=${HG_UEFI_CORPUS:-$ROOT/tests/data/uefi}
LOG=$CORPUS/tpm2-software_tpm2-tools/fixtures/event-gce-ubuntu-2104-log.bin
if [ ! -r "$LOG" ]; then
	fail corpus "no corpus log at $LOG (tests/data/uefi is part of the repository)"
	exit 1
fi
start_tpm sha256

# The events to extend, in log order: PCR, sha256 digest, from hostgate's
# own decoder, cross-checked below against the corpus' TPM-reported PCRs.
"$HG_VERIFY" show --uefi-log "$LOG" --json >"$WORK/log.json" 2>"$WORK/show.err" ||
	{ fail show "$(head -c 300 "$WORK/show.err")"; exit 1; }
mapfile -t specs < <(jq -r '.events[] | select(.type != "EV_NO_ACTION" and .pcr < 10)
	| "\(.pcr):sha256=\(.digests.sha256)"' "$WORK/log.json")
[ "${#specs[@]}" -gt 50 ] && pass events-to-replay || fail events-to-replay "${#specs[@]} events"

# tpm2_pcrextend takes many specs, applied in order.
for ((i = 0; i < ${#specs[@]}; i += 16)); do
	tpm2_pcrextend -T "$TCTI" "${specs[@]:i:16}" || { fail pcrextend "${specs[i]}"; exit 1; }
done
# The swtpm now holds what the real TPM reported (corpus expected file).
EXPECTED=$CORPUS/expected/tpm2-tools__event-gce-ubuntu-2104-log.expected.json
bad=0
for p in 0 1 2 3 4 5 6 7 8 9; do
	want=$(jq -r ".pcrs.sha256[\"$p\"]" "$EXPECTED")
	got=$(tpm2_pcrread -T "$TCTI" "sha256:$p" | awk -F'0x' '/:/ && NF > 1 {print tolower($2)}')
	[ "$want" = "$got" ] || bad=$((bad + 1))
done
[ "$bad" = 0 ] && pass swtpm-holds-reported-pcrs || fail swtpm-holds-reported-pcrs "$bad PCRs differ"

"$HG_ATTEST" init >/dev/null 2>&1 || { fail init "init failed"; exit 1; }
"$HG_ATTEST" measure --kind hypervisor /usr/bin/qemu-system-x86_64 >/dev/null
NONCE=$(openssl rand -hex 16)
expect_exit 0 quote-with-uefi-log "$HG_ATTEST" quote --nonce "$NONCE" --uefi-log "$LOG" -o "$WORK/ev.cbor"
expect_exit 1 quote-missing-uefi-log-exit "$HG_ATTEST" quote --nonce "$NONCE" --uefi-log "$WORK/none" -o "$WORK/x.cbor"
expect_err "$WORK/none" quote-missing-uefi-log-named

"$HG_VERIFY" learn --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" "$WORK/ev.cbor" >"$WORK/policy.json" 2>"$WORK/learn.err" &&
	pass learn || fail learn "$(head -c 300 "$WORK/learn.err")"
expect_exit 0 check-trusted "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" \
	--policy "$WORK/policy.json" "$WORK/ev.cbor"
cp "$WORK/last.out" "$WORK/verdict.json"
[ "$(jq -r '.checks[] | select(.check == "firmware") | .result' "$WORK/verdict.json")" = pass ] &&
	pass firmware-check-passes || fail firmware-check-passes "$(jq -c .checks "$WORK/verdict.json")"
[ "$(jq -r '.firmware.events' "$WORK/verdict.json")" = "$(jq '.events | length' "$WORK/log.json")" ] &&
	pass verdict-reports-firmware || fail verdict-reports-firmware "$(jq -c .firmware "$WORK/verdict.json" | head -c 300)"
[ "$(jq -r '.firmware.ebs_workaround' "$WORK/verdict.json")" = false ] &&
	pass ebs-workaround-not-used || fail ebs-workaround-not-used "$(jq -c .firmware.ebs_workaround "$WORK/verdict.json")"

# One event's sha256 digest changed in the log (the boot application on
# PCR 4 with the highest event number): the replay no longer reaches the
# quoted PCR 4, and the failure names it.
read -r ev_idx digest < <(jq -r '[.events[] | select(.pcr == 4 and .type == "EV_EFI_BOOT_SERVICES_APPLICATION")]
	| last | "\(.event) \(.digests.sha256)"' "$WORK/log.json")
hex=$(xxd -p "$LOG" | tr -d '\n')
before=${hex%%"$digest"*}
if [ "$before" = "$hex" ]; then
	fail find-digest "digest of event $ev_idx not found in the log"
else
	off=$((${#before} / 2))
	cp "$LOG" "$WORK/tampered.bin"
	byte=$(xxd -s "$off" -l 1 -p "$LOG")
	printf "\\x$(printf '%02x' $((0x$byte ^ 0x01)))" |
		dd of="$WORK/tampered.bin" bs=1 seek="$off" conv=notrunc status=none
	NONCE2=$(openssl rand -hex 16)
	"$HG_ATTEST" quote --nonce "$NONCE2" --uefi-log "$WORK/tampered.bin" -o "$WORK/ev2.cbor"
	expect_exit 3 tampered-digest-invalid "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" \
		--nonce "$NONCE2" --policy "$WORK/policy.json" "$WORK/ev2.cbor"
	expect_err "firmware: PCR 4 sha256: the firmware log replays to a value the quote does not hold (last event to extend it: " \
		tampered-digest-names-pcr-and-bank
fi

# A log cut short in the middle of an event is refused, naming the event:
# by quote itself (exit 2, before the TPM is asked for anything), and by
# the verifier in evidence that carries one anyway (spliced in by evtool).
head -c 3000 "$LOG" >"$WORK/cut.bin"
NONCE3=$(openssl rand -hex 16)
expect_exit 2 quote-refuses-cut-log "$HG_ATTEST" quote --nonce "$NONCE3" --uefi-log "$WORK/cut.bin" -o "$WORK/ev3.cbor"
expect_err "$WORK/cut.bin: not a firmware event log: event " quote-refuses-cut-log-names-event
[ -e "$WORK/ev3.cbor" ] && fail quote-refuses-cut-log-no-output "ev3.cbor written" || pass quote-refuses-cut-log-no-output
"$HG_ATTEST" quote --nonce "$NONCE3" --uefi-log "$LOG" -o "$WORK/ev3good.cbor"
"$EVTOOL" set uefi "$WORK/cut.bin" "$WORK/ev3good.cbor" >"$WORK/ev3.cbor"
expect_exit 3 truncated-log-invalid "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" \
	--nonce "$NONCE3" --policy "$WORK/policy.json" "$WORK/ev3.cbor"
expect_err "firmware: firmware log: event " truncated-log-names-event

# Evidence without a firmware log: nothing to replay, the check passes.
NONCE4=$(openssl rand -hex 16)
"$HG_ATTEST" quote --nonce "$NONCE4" -o "$WORK/ev4.cbor"
jq 'del(.firmware)' "$WORK/policy.json" >"$WORK/policy-nofw.json"
expect_exit 0 no-uefi-log-trusted-without-firmware-rules "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" \
	--nonce "$NONCE4" --policy "$WORK/policy-nofw.json" "$WORK/ev4.cbor"

# One event's DATA changed, its digest kept (the SecureBoot variable's
# value byte): the replay still reaches the quote, since it extends logged
# digests, but the digest no longer is the hash of the data. The facts
# must not trust that data, and the learned policy refuses the host.
name=$(printf 'SecureBoot' | iconv -f ascii -t utf-16le | xxd -p | tr -d '\n')
hex=$(xxd -p "$LOG" | tr -d '\n')
before=${hex%%"$name"*}
if [ "$before" = "$hex" ]; then
	fail find-secureboot "no SecureBoot variable in the log"
else
	off=$(((${#before} + ${#name}) / 2))
	cp "$LOG" "$WORK/data.bin"
	byte=$(xxd -s "$off" -l 1 -p "$LOG")
	printf "\\x$(printf '%02x' $((0x$byte ^ 0x01)))" |
		dd of="$WORK/data.bin" bs=1 seek="$off" conv=notrunc status=none
	NONCE5=$(openssl rand -hex 16)
	"$HG_ATTEST" quote --nonce "$NONCE5" --uefi-log "$WORK/data.bin" -o "$WORK/ev5.cbor"
	expect_exit 1 tampered-data-untrusted "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" \
		--nonce "$NONCE5" --policy "$WORK/policy.json" "$WORK/ev5.cbor"
	expect_err "policy: firmware" tampered-data-refused-by-firmware-policy
	[ "$(jq -r '.firmware.secure_boot' "$WORK/last.out")" = null ] &&
		pass tampered-data-secure-boot-unknown ||
		fail tampered-data-secure-boot-unknown "$(jq -c .firmware.secure_boot "$WORK/last.out")"
	[ "$(jq '.firmware.digest_mismatches | length' "$WORK/last.out")" -ge 1 ] &&
		pass tampered-data-listed-as-mismatch ||
		fail tampered-data-listed-as-mismatch "$(jq -c .firmware.digest_mismatches "$WORK/last.out")"
fi

# A quote that leaves out PCR 4 does not bind the boot applications the
# firmware rules judge: whatever the log says there, the host is refused.
jq 'del(.pcrs)' "$WORK/policy.json" >"$WORK/policy-pcr4.json"
NONCE6=$(openssl rand -hex 16)
"$HG_ATTEST" quote --nonce "$NONCE6" --pcrs 0-3,5-9,13 --uefi-log "$LOG" -o "$WORK/ev6.cbor"
expect_exit 1 quote-without-pcr4-refused "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" \
	--nonce "$NONCE6" --policy "$WORK/policy-pcr4.json" "$WORK/ev6.cbor"
expect_err "selection: the policy's firmware rules read PCR 4, which the quote does not cover in sha256" \
	quote-without-pcr4-names-it
