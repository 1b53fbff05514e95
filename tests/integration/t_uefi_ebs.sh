#!/bin/bash
# t_uefi_ebs.sh: the ExitBootServices workaround is opt-in and named.
#
# go-attestation's ebs_event_missing_eventlog comes from firmware that
# extended PCR 5 with the two ExitBootServices EV_EFI_ACTION events but
# did not log them (corpus README rule 6). Its events, plus those two
# extensions, are replayed into a sha1 swtpm: without
# --uefi-ebs-workaround the verifier must refuse PCR 5; with it, it must
# accept and say in the verdict that the workaround was used.
. "$(dirname "$0")/lib.sh"

CORPUS=${HG_UEFI_CORPUS:-$ROOT/tests/data/uefi}
LOG=$CORPUS/google_go-attestation/ebs_event_missing_eventlog
if [ ! -r "$LOG" ]; then
	fail corpus "no corpus log at $LOG (tests/data/uefi is part of the repository)"
	exit 1
fi
start_tpm sha1
"$HG_VERIFY" show --uefi-log "$LOG" --json >"$WORK/log.json" 2>"$WORK/show.err" ||
	{ fail show "$(head -c 300 "$WORK/show.err")"; exit 1; }
mapfile -t specs < <(jq -r '.events[] | select(.type != "EV_NO_ACTION" and .pcr < 10)
	| "\(.pcr):sha1=\(.digests.sha1)"' "$WORK/log.json")
# What the firmware extended but did not log (PFP §10.4.4 EV_EFI_ACTION).
for s in "Exit Boot Services Invocation" "Exit Boot Services Returned with Success"; do
	specs+=("5:sha1=$(printf '%s' "$s" | openssl dgst -sha1 -r | cut -d' ' -f1)")
done
for ((i = 0; i < ${#specs[@]}; i += 16)); do
	tpm2_pcrextend -T "$TCTI" "${specs[@]:i:16}" || { fail pcrextend "${specs[i]}"; exit 1; }
done
want=$(jq -r '.pcrs.sha1["5"]' "$CORPUS/expected/go-attestation__ebs_event_missing_eventlog.expected.json")
got=$(tpm2_pcrread -T "$TCTI" "sha1:5" | awk -F'0x' '/:/ && NF > 1 {print tolower($2)}')
[ "$want" = "$got" ] && pass swtpm-pcr5-as-reported || fail swtpm-pcr5-as-reported "want $want got $got"

"$HG_ATTEST" init >/dev/null 2>&1 || { fail init "init failed"; exit 1; }
NONCE=$(openssl rand -hex 16)
"$HG_ATTEST" quote --nonce "$NONCE" --uefi-log "$LOG" -o "$WORK/ev.cbor" ||
	{ fail quote "quote failed"; exit 1; }
# learn verifies first: without the workaround there is nothing to learn.
expect_exit 3 learn-refuses-without-workaround "$HG_VERIFY" learn --ak "$HOSTGATE_STATE/ak.pub" \
	--nonce "$NONCE" "$WORK/ev.cbor"
printf '{"version": 1, "banks": ["sha1"], "unknown": {"hypervisor": "allow"}}\n' >"$WORK/policy.json"
expect_exit 3 refused-without-workaround "$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" \
	--nonce "$NONCE" --policy "$WORK/policy.json" "$WORK/ev.cbor"
expect_err "firmware: PCR 5 sha1: the firmware log replays to a value the quote does not hold" \
	refusal-names-pcr5
expect_exit 0 accepted-with-workaround "$HG_VERIFY" check --uefi-ebs-workaround \
	--ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" --policy "$WORK/policy.json" "$WORK/ev.cbor"
[ "$(jq -r .firmware.ebs_workaround "$WORK/last.out")" = true ] &&
	pass verdict-names-workaround || fail verdict-names-workaround "$(jq -c .firmware "$WORK/last.out" | head -c 300)"
