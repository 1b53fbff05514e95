#!/bin/bash
# demo.sh: the story behind 'make demo', on a private swtpm.
#
# Starts a provisioned swtpm (EK certificates from its own local CA),
# creates the AK and log key, measures this machine's real hypervisor
# binaries (qemu-system-x86_64, libvirtd) and a demo golden image, shows
# the signed log, checks that tpm2-tools reads the PCR value the log
# replays to, then quotes, learns a policy and checks the host: trusted,
# then a replayed quote and a changed image refused. Nothing outside a
# temp dir is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ATTEST=$PWD/$BUILD/bin/hostgate-attest
VERIFY=$PWD/$BUILD/bin/hostgate-verify
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-demo.XXXXXX")
SWTPM_DIR=
cleanup() {
	[ -n "$SWTPM_DIR" ] && swtpm-fixtures/swtpm-stop.sh "$SWTPM_DIR" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. start a provisioned swtpm (banks sha256, sha384)"
out=$(swtpm-fixtures/swtpm-start.sh --banks sha256,sha384)
eval "$out"
echo "TCTI $SWTPM_TCTI, pid $SWTPM_PID"
export HOSTGATE_TCTI=$SWTPM_TCTI HOSTGATE_STATE=$WORK/state \
	HOSTGATE_LOG=$WORK/run/measurements.cel

step "2. hostgate-attest init: AK under the EK, log signing key"
"$ATTEST" init --ak-out "$WORK/ak.pub"

step "3. measure the hypervisor binaries"
bins=()
for b in /usr/bin/qemu-system-x86_64 /usr/sbin/libvirtd; do
	[ -e "$b" ] && bins+=("$b")
done
"$ATTEST" measure --kind hypervisor "${bins[@]}"

step "4. measure a golden VM image"
qemu-img create -q -f qcow2 "$WORK/golden.qcow2" 64M
"$ATTEST" measure --kind image "$WORK/golden.qcow2"

step "5. the signed event log (hostgate-verify show)"
"$VERIFY" show --log "$HOSTGATE_LOG"

step "6. the TPM agrees: tpm2_pcrread of PCR 13"
for bank in sha256 sha384; do
	tpm2_pcrread -T "$SWTPM_TCTI" "$bank:13" -o "$WORK/pcr" >/dev/null
	tpm=$(xxd -p -c 100 "$WORK/pcr")
	log=$("$VERIFY" show --log "$HOSTGATE_LOG" --json | jq -r ".replay[\"13\"].$bank")
	printf '%-7s TPM %s\n        log %s  %s\n' "$bank" "$tpm" "$log" \
		"$([ "$tpm" = "$log" ] && echo MATCH || echo MISMATCH)"
	[ "$tpm" = "$log" ]
done

step "7. quote with a fresh nonce, learn a policy, check: trusted"
NONCE=$(openssl rand -hex 16)
"$ATTEST" quote --nonce "$NONCE" -o "$WORK/evidence.cbor"
"$VERIFY" learn --ak "$WORK/ak.pub" "$WORK/evidence.cbor" >"$WORK/policy.json"
"$VERIFY" check --ak "$WORK/ak.pub" --nonce "$NONCE" --policy "$WORK/policy.json" \
	"$WORK/evidence.cbor" | jq -c '{verdict, checks: [.checks[] | "\(.check):\(.result)"]}'

step "8. the same evidence against a new nonce: a replay, refused (exit 3)"
set +e
"$VERIFY" check --quiet --ak "$WORK/ak.pub" --nonce "$(openssl rand -hex 16)" \
	--policy "$WORK/policy.json" "$WORK/evidence.cbor"
rc=$?
set -e
echo "exit code $rc"
[ "$rc" -eq 3 ]

step "9. the golden image changes: untrusted, and the verdict says why (exit 1)"
qemu-img resize -q "$WORK/golden.qcow2" 128M
"$ATTEST" measure --kind image "$WORK/golden.qcow2" >/dev/null
NONCE=$(openssl rand -hex 16)
"$ATTEST" quote --nonce "$NONCE" -o "$WORK/evidence.cbor"
set +e
"$VERIFY" check --ak "$WORK/ak.pub" --nonce "$NONCE" --policy "$WORK/policy.json" \
	"$WORK/evidence.cbor" >"$WORK/verdict.json"
rc=$?
set -e
jq '.failures[0] | {record, kind, name, digest, allowed}' "$WORK/verdict.json"
echo "exit code $rc"
[ "$rc" -eq 1 ]

step "10. what changed, for the operator: hostgate-verify diff"
set +e
"$VERIFY" diff --ak "$WORK/ak.pub" --nonce "$NONCE" --evidence "$WORK/evidence.cbor" "$WORK/policy.json"
set -e

step "11. tamper: one flipped byte in the log is refused (exit 3)"
cp "$HOSTGATE_LOG" "$WORK/tampered.cel"
printf '\x00' | dd of="$WORK/tampered.cel" bs=1 seek=300 conv=notrunc status=none
set +e
"$VERIFY" show --log "$WORK/tampered.cel" >/dev/null
rc=$?
set -e
echo "exit code $rc"
[ "$rc" -eq 3 ]
step "demo complete"
