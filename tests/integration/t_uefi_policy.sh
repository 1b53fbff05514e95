#!/bin/bash
# t_uefi_policy.sh: the policy's "firmware" section end to end on swtpm
# (policies/README.md "Firmware").
#
# A real GCE shielded-VM log (Secure Boot off, shim and grub) is replayed
# into a fresh swtpm's PCRs 0-9, as t_uefi_e2e.sh does, and quoted with
# the log. learn writes the firmware section from it; check trusts the
# host under it and refuses it, with the exact reason, under a policy
# that allows another shim or requires Secure Boot; diff names the rule
# changes between policies and, with --evidence, the boot application and
# the PCR that changed; evidence without a firmware log fails a policy
# that judges firmware.
. "$(dirname "$0")/lib.sh"

CORPUS=${HG_UEFI_CORPUS:-$ROOT/tests/data/uefi}
LOG=$CORPUS/tpm2-software_tpm2-tools/fixtures/event-gce-ubuntu-2104-log.bin
if [ ! -r "$LOG" ]; then
	fail corpus "no corpus log at $LOG (tests/data/uefi is part of the repository)"
	exit 1
fi
SHIM=d99c93fcb042dbe52707bbde371c75fcf081dd5b0c88a195d44cc57536f6f521
GRUB=b0a836fec2faf4a9bea0e1a5f1945bc86ddc03ac98ce0ae172ed9b1e536d7595
OTHER=1111111111111111111111111111111111111111111111111111111111111111
ARROW=$'\xe2\x86\x92'
start_tpm sha256

"$HG_VERIFY" show --uefi-log "$LOG" --json >"$WORK/log.json" 2>"$WORK/show.err" ||
	{ fail show "$(head -c 300 "$WORK/show.err")"; exit 1; }
mapfile -t specs < <(jq -r '.events[] | select(.type != "EV_NO_ACTION" and .pcr < 10)
	| "\(.pcr):sha256=\(.digests.sha256)"' "$WORK/log.json")
for ((i = 0; i < ${#specs[@]}; i += 16)); do
	tpm2_pcrextend -T "$TCTI" "${specs[@]:i:16}" || { fail pcrextend "${specs[i]}"; exit 1; }
done
"$HG_ATTEST" init >/dev/null 2>&1 || { fail init "init failed"; exit 1; }
"$HG_ATTEST" measure --kind hypervisor /usr/bin/qemu-system-x86_64 >/dev/null
NONCE=$(openssl rand -hex 16)
"$HG_ATTEST" quote --nonce "$NONCE" --uefi-log "$LOG" -o "$WORK/ev.cbor" ||
	{ fail quote "quote failed"; exit 1; }
V=("$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" --policy)

# learn: the firmware section as the log has it, nothing on stderr
"$HG_VERIFY" learn --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" "$WORK/ev.cbor" \
	>"$WORK/policy.json" 2>"$WORK/learn.err" && pass learn || fail learn "$(head -c 300 "$WORK/learn.err")"
[ ! -s "$WORK/learn.err" ] && pass learn-silent || fail learn-silent "$(head -c 300 "$WORK/learn.err")"
got=$(jq -c '.firmware | {secure_boot, boot_apps, pk: .pk.sha256, dbx: .dbx.sha256,
	mismatches: has("digest_mismatches")}' "$WORK/policy.json")
want="{\"secure_boot\":false,\"boot_apps\":{\"sha256\":[\"$SHIM\",\"$GRUB\"]},\"pk\":[\"0bdbbbe39766588565c5cc98a2aeb6e44a9178c9f1935bd241f38372448418bb\"],\"dbx\":[\"9f75b6823bff6af1024a4e2036719cdd548d3cbc2bf1de8e7ef4d0ed01f94bf9\"],\"mismatches\":false}"
[ "$got" = "$want" ] && pass learn-firmware-section || fail learn-firmware-section "$got"

expect_exit 0 learned-policy-trusts-host "${V[@]}" "$WORK/policy.json" "$WORK/ev.cbor"
# the raw PCRs alone are not what passes: without them, still trusted
jq 'del(.pcrs)' "$WORK/policy.json" >"$WORK/rules-only.json"
expect_exit 0 firmware-rules-alone-trust-host "${V[@]}" "$WORK/rules-only.json" "$WORK/ev.cbor"

# another shim allowed: untrusted, the boot application named
jq --arg o "$OTHER" '.firmware.boot_apps.sha256[0] = $o' "$WORK/rules-only.json" >"$WORK/other-shim.json"
expect_exit 1 other-shim-untrusted "${V[@]}" "$WORK/other-shim.json" "$WORK/ev.cbor"
r=$(jq -c '.failures[] | select(.kind == "firmware") | [.rule, .event, .path, .digest.sha256, .reason]' "$WORK/last.out")
[ "$r" = "[\"boot_app\",23,\"\\\\EFI\\\\ubuntu\\\\shimx64.efi\",\"$SHIM\",\"firmware: boot application (event 23, \\\\EFI\\\\ubuntu\\\\shimx64.efi) sha256:$SHIM is not allowed\"]" ] &&
	pass other-shim-reason || fail other-shim-reason "$r"

# Secure Boot required: this host has it off
jq '.firmware.secure_boot = true' "$WORK/rules-only.json" >"$WORK/sb.json"
expect_exit 1 secure-boot-required-untrusted "${V[@]}" "$WORK/sb.json" "$WORK/ev.cbor"
r=$(jq -r '.failures[] | select(.kind == "firmware") | .reason' "$WORK/last.out")
[ "$r" = "firmware: Secure Boot is disabled (event 3); the policy requires it enabled" ] &&
	pass secure-boot-reason || fail secure-boot-reason "$r"

# every failure listed: both at once
jq '.firmware.secure_boot = true' "$WORK/other-shim.json" >"$WORK/both.json"
expect_exit 1 two-rules-untrusted "${V[@]}" "$WORK/both.json" "$WORK/ev.cbor"
n=$(jq '[.failures[] | select(.kind == "firmware")] | length' "$WORK/last.out")
[ "$n" = 2 ] && pass two-rules-both-reported || fail two-rules-both-reported "$n failures"

# evidence without a firmware log, under a policy that judges firmware
NONCE2=$(openssl rand -hex 16)
"$HG_ATTEST" quote --nonce "$NONCE2" -o "$WORK/nolog.cbor"
expect_exit 1 no-log-untrusted "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE2" \
	--policy "$WORK/rules-only.json" "$WORK/nolog.cbor"
r=$(jq -r '.failures[] | select(.kind == "firmware") | .reason' "$WORK/last.out")
[ "$r" = "firmware: the evidence has no firmware event log, the policy judges firmware" ] &&
	pass no-log-reason || fail no-log-reason "$r"

# diff, policy vs policy: the rule changes
expect_exit 1 diff-policies "$HG_VERIFY" diff "$WORK/policy.json" "$WORK/both.json"
grep -qxF "~ firmware secure_boot: disabled $ARROW enabled" "$WORK/last.out" &&
	pass diff-names-secure-boot || fail diff-names-secure-boot "$(head -c 600 "$WORK/last.out")"
grep -qxF "~ firmware boot_apps: sha256 $SHIM $ARROW $OTHER" "$WORK/last.out" &&
	pass diff-names-boot-apps || fail diff-names-boot-apps "$(head -c 600 "$WORK/last.out")"

# diff --evidence: the host's shim against the policy's, and PCR 4
jq --arg o "$OTHER" '.pcrs.sha256["4"] = $o' "$WORK/other-shim.json" >"$WORK/other-pcr4.json"
expect_exit 1 diff-evidence "$HG_VERIFY" diff --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" \
	--evidence "$WORK/ev.cbor" "$WORK/other-pcr4.json"
grep -qxF "~ PCR4: boot application \\EFI\\ubuntu\\shimx64.efi (event 23) sha256 changed: $OTHER $GRUB $ARROW $SHIM" "$WORK/last.out" &&
	pass diff-evidence-names-boot-app || fail diff-evidence-names-boot-app "$(head -c 800 "$WORK/last.out")"
grep -qF "~ pcr 4 sha256: $OTHER $ARROW " "$WORK/last.out" &&
	grep -qF "(changed on this host; firmware events the policy does not allow: 23)" "$WORK/last.out" &&
	pass diff-evidence-explains-pcr4 || fail diff-evidence-explains-pcr4 "$(head -c 800 "$WORK/last.out")"
expect_exit 0 diff-evidence-own-policy "$HG_VERIFY" diff --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" \
	--evidence "$WORK/ev.cbor" "$WORK/policy.json"
expect_exit 1 diff-evidence-no-log "$HG_VERIFY" diff --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE2" \
	--evidence "$WORK/nolog.cbor" "$WORK/rules-only.json"
grep -qxF -- "- firmware: this host's evidence has no firmware event log (the policy judges firmware)" "$WORK/last.out" &&
	pass diff-evidence-no-log-line || fail diff-evidence-no-log-line "$(head -c 300 "$WORK/last.out")"
