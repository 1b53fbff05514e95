#!/bin/bash
# t_serve_incr.sh: incremental verification inside serve's pull mode
# (issue 14 item 2): the real `hostgate-attest agent` on a swtpm, real
# mutual TLS (tools/mkca.sh), the real service.
#
#  - the first pull is a full check; once a state is kept, pulls send
#    "since" and are judged incrementally ("mode": "incremental"), with
#    the verdict a full `hostgate-verify check` of the whole log gives
#    (verdict, checks, failures, record count);
#  - a kept state edited in the registry (its seal broken): refused, a
#    full check, "fallback" says why;
#  - a kept state resealed with the service's key but with a wrong PCR
#    value (a mismatch): the partial log does not replay from it, so the
#    service asks again for the whole log in the same round: trusted,
#    mode full, and no untrusted recorded in between;
#  - a file outside the policy measured after a good incremental
#    attestation: untrusted within one interval, naming it, as a full
#    check says; and still untrusted at the next incremental pull;
#  - a reboot (TPM reset: resetCount changes): a full check, "fallback"
#    names the reboot; incremental again afterwards;
#  - an AK change (re-enrollment with a new AK): the kept state is
#    dropped with the old AK, a full check under the new one;
#  - /metrics counts full and incremental verifications, fallbacks and
#    re-pulls.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svc.sh"
cd "$WORK" || exit 1
"$HG_ATTEST" agent --help >/dev/null 2>&1 || { skip all "this build has no hostgate-attest agent"; exit 0; }
command -v sqlite3 >/dev/null || { skip all "sqlite3 (the CLI) not installed"; exit 0; }

svc_ca
svc_host hv1
REG=$WORK/vstate/registry.sqlite
F=$WORK/files
mkdir -p "$F"
printf 'qemu v1\n' >"$F/qemu"
printf 'libvirtd v1\n' >"$F/libvirtd"
measure() { "$HG_ATTEST" measure "${H_hv1[@]}" --kind "$1" "$2" >/dev/null; }
measure hypervisor "$F/qemu" && measure hypervisor "$F/libvirtd" || { fail setup "measure failed"; exit 1; }
"$HG_ATTEST" quote "${H_hv1[@]}" --nonce 0badc0ffee0ddf00d15ea5e5c0ffee01 -o ev0.cbor >/dev/null &&
	"$HG_VERIFY" learn --ak st-hv1/ak.pub ev0.cbor >pol.json &&
	"$HG_VERIFY" policy add base pol.json >/dev/null &&
	"$HG_VERIFY" policy assign base --host hv1 >/dev/null || { fail setup "policy setup failed"; exit 1; }

AGENT_PID=
agent_start() { # STATE-DIR: hv1's agent, its URL in the registry
	local i
	rm -f agent.err
	"$HG_ATTEST" agent --tcti "$TCTI" --state "$1" --log "$WORK/hv1.cel" --listen 127.0.0.1:0 \
		--cert pki/agent.pem --key pki/agent.key --client-ca pki/ca.pem \
		--connect "qemu+unix:///system?socket=$WORK/no-libvirtd.sock" 2>agent.err &
	AGENT_PID=$!
	for i in $(seq 100); do
		sed -n 's/.*agent: listening on [^:]*:\([0-9]*\).*/\1/p' agent.err 2>/dev/null | grep . >agent.port &&
			break
		sleep 0.1
	done
	"$HG_VERIFY" hosts set-agent hv1 "https://127.0.0.1:$(cat agent.port)" >/dev/null
}
agent_stop() { [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null; AGENT_PID=; }
_incr_cleanup() { agent_stop; _svc_cleanup; }
trap _incr_cleanup EXIT
agent_start "$WORK/st-hv1"

svc_start --client-ca pki/ca.pem --interval 2 --jitter 0 --timeout 3 \
	--agent-cert pki/verifier-agent.pem --agent-key pki/verifier-agent.key --agent-ca pki/ca.pem &&
	pass serve-starts || { fail serve-starts "$(cat serve.err)"; exit 1; }

verdict() { api operator /v1/hosts/hv1 | sed '$d' | jq .verdict >v.json; }
# vq FILTER: FILTER true of the host's last verdict (saved in v.json).
vq() { verdict && jq -e "$1" v.json >/dev/null; }
# full_check: a full check of the whole log now, as the CLI does it.
full_check() {
	local n
	n=$(openssl rand -hex 32)
	"$HG_ATTEST" quote "${H_hv1[@]}" --nonce "$n" -o full.cbor >/dev/null 2>&1
	"$HG_VERIFY" check --host hv1 --nonce "$n" --policy pol.json full.cbor >full.json 2>/dev/null
}
# What must be equal between the service's verdict and a full check's.
PROJ='{verdict, checks: [.checks[] | select(.check != "vms") | {check, result}], failures, records: .host.records}'
same_as_full() { # NAME
	local a b
	a=$(jq -c "$PROJ" v.json)
	b=$(jq -c "$PROJ" full.json)
	[ "$a" = "$b" ] && pass "$1" || fail "$1" "service $a, check $b"
}
metric() { api operator /metrics | sed '$d' | awk -v m="$1" '$1 == m { print $2 }'; }
history_states() { api operator /v1/hosts/hv1/history | sed '$d' | jq -r '[.history[].state] | join(" ")'; }

# --- first a full check, then incremental ---------------------------------------
wait_for 20 vq '.verdict == "trusted"' && pass first-trusted || fail first-trusted "$(cat v.json; tail -3 serve.err)"
jq -e '.mode == "full" and (.fallback | contains("no state kept"))' v.json >/dev/null &&
	pass first-is-full || fail first-is-full "$(jq -c '[.mode, .fallback]' v.json)"
# This agent reaches no libvirtd (t_serve_running.sh has one): no VM judged,
# and the verdict says why.
jq -e '.vms == null and (.vms_unavailable | contains("HTTP 503"))' v.json >/dev/null &&
	pass no-domains-said || fail no-domains-said "$(jq -c '[.vms, .vms_unavailable]' v.json)"
measure hypervisor "$F/qemu"      # allowed: the same file again
wait_for 10 vq '.mode == "incremental" and .host.records == 4' && pass incremental-resumes ||
	fail incremental-resumes "$(jq -c '[.mode, .fallback, .host.records]' v.json)"
jq -e '.verdict == "trusted" and .since.recnum == 3 and (.fallback == null)' v.json >/dev/null &&
	pass incremental-trusted || fail incremental-trusted "$(jq -c '[.verdict, .since, .fallback]' v.json)"
full_check
same_as_full incremental-equals-full
[ "$(metric 'hostgate_verifications_total{check="incremental"}')" -ge 1 ] 2>/dev/null &&
	[ "$(metric 'hostgate_verifications_total{check="full"}')" -ge 1 ] 2>/dev/null &&
	pass metrics-by-check || fail metrics-by-check "$(api operator /metrics | grep verifications)"

# --- a kept state edited in the registry: refused, full check ------------------
# The service stores a state at every pull; a pull that read the state
# before the edit overwrites it: edit again then.
ok=0
for _ in 1 2 3; do
	blob=$(sqlite3 "$REG" "SELECT hex(incr_state) FROM hosts WHERE name = 'hv1'")
	last=${blob: -2}
	[ "$last" = 00 ] && last=01 || last=00       # the MAC's last byte
	sqlite3 "$REG" "UPDATE hosts SET incr_state = x'${blob:0:-2}$last' WHERE name = 'hv1'" || break
	wait_for 6 vq '.mode == "full" and (.fallback // "" | contains("kept state refused"))' && { ok=1; break; }
done
[ $ok = 1 ] && pass edited-state-refused || fail edited-state-refused "$(jq -c '[.mode, .fallback]' v.json)"
jq -e '.verdict == "trusted"' v.json >/dev/null && pass edited-state-still-trusted ||
	fail edited-state-still-trusted "$(jq -c .failures v.json)"
wait_for 10 vq '.mode == "incremental"' && pass edited-state-then-incremental ||
	fail edited-state-then-incremental "$(jq -c '[.mode, .fallback]' v.json)"

# --- a mismatch: a validly sealed state whose PCR value is not the TPM's -------
# reseal: flip one byte of the current PCR value inside the kept state and
# seal it again with the service's key (incrseal.c's format).
PCR=$("$HG_VERIFY" show --log hv1.cel --json | jq '.records[1].pcr')
reseal() {
	local blob
	blob=$(sqlite3 "$REG" "SELECT hex(incr_state) FROM hosts WHERE name = 'hv1'")
	python3 - "$blob" "$(pcr_value sha256 "$PCR")" "$WORK/vstate/incr.key" >reseal.hex <<'EOF'
import hashlib, hmac, sys
blob, pcr, key = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), open(sys.argv[3], 'rb').read()
def bstr(b, off):
    ai = b[off] & 0x1f
    if ai < 24: return off + 1, ai
    n = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
    return off + 1 + n, int.from_bytes(b[off + 1:off + 1 + n], 'big')
assert blob[0] == 0x82
off, n = bstr(blob, 1)
st = bytearray(blob[off:off + n])
i = st.find(pcr)
assert i >= 0, "PCR value not in the state"
st[i] ^= 1
def hdr(n):
    if n < 24: return bytes([0x40 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size): return bytes([0x40 | ai]) + n.to_bytes(size, 'big')
mac = hmac.new(key, b"hostgate incremental state v1" + bytes(st), hashlib.sha256).digest()
print((b'\x82' + hdr(len(st)) + bytes(st) + hdr(32) + mac).hex())
EOF
	[ -s reseal.hex ] && sqlite3 "$REG" "UPDATE hosts SET incr_state = x'$(cat reseal.hex)' WHERE name = 'hv1'"
}
repulls0=$(metric hostgate_full_repulls_total)
ok=0
for _ in 1 2 3; do
	reseal || break
	wait_for 6 vq '.mode == "full" and (.fallback // "" | contains("do not verify from it"))' && { ok=1; break; }
done
[ $ok = 1 ] && pass mismatch-full-check || fail mismatch-full-check "$(jq -c '[.mode, .fallback]' v.json; cat reseal.hex | head -c 80)"
jq -e '.verdict == "trusted"' v.json >/dev/null && pass mismatch-trusted || fail mismatch-trusted "$(jq -c .failures v.json)"
[ "$(metric hostgate_full_repulls_total)" -gt "${repulls0:-0}" ] 2>/dev/null && pass mismatch-repulled ||
	fail mismatch-repulled "$repulls0 -> $(metric hostgate_full_repulls_total)"
case " $(history_states) " in
*" untrusted "*) fail mismatch-no-spurious-untrusted "$(history_states)" ;;
*) pass mismatch-no-spurious-untrusted ;;
esac
wait_for 10 vq '.mode == "incremental"' && pass mismatch-then-incremental ||
	fail mismatch-then-incremental "$(jq -c '[.mode, .fallback]' v.json)"

# --- tampered after a good incremental attestation: untrusted in one interval ----
echo "not in the policy" >"$F/rogue.bin"
measure hypervisor "$F/rogue.bin"
t0=$(date +%s)
wait_for 10 vq '.verdict == "untrusted"' && pass tamper-untrusted || fail tamper-untrusted "$(jq -c '[.verdict, .mode]' v.json)"
[ $(($(date +%s) - t0)) -le 4 ] && pass tamper-within-interval || fail tamper-within-interval "$(($(date +%s) - t0)) s"
jq -e '.mode == "incremental" and ([.failures[].name] | index("'"$F"'/rogue.bin"))' v.json >/dev/null &&
	pass tamper-incremental-names-file || fail tamper-incremental-names-file "$(jq -c '[.mode, .failures]' v.json)"
full_check
same_as_full tamper-equals-full
rec=$(jq '.since.recnum' v.json)
wait_for 10 vq ".since.recnum == $rec and .mode == \"incremental\" and .checked_at != \"$(jq -r .checked_at v.json)\"" &&
	jq -e '.verdict == "untrusted" and ([.failures[].name] | index("'"$F"'/rogue.bin"))' v.json >/dev/null &&
	pass tamper-stays-untrusted || fail tamper-stays-untrusted "$(jq -c '[.verdict, .mode, .failures]' v.json)"

# --- a reboot: resetCount changes, the agent sends its whole log -----------------
agent_stop
P=${TCTI##*port=}
swtpm_ioctl --tcp "127.0.0.1:$((P + 1))" -i >/dev/null && tpm2_startup -c -T "$TCTI" >/dev/null 2>&1 ||
	{ fail tpm-reset "swtpm_ioctl -i / tpm2_startup failed"; exit 1; }
rm -f hv1.cel                  # /run is empty after a reboot
measure hypervisor "$F/qemu" && measure hypervisor "$F/libvirtd"
agent_start "$WORK/st-hv1"
wait_for 15 vq '.mode == "full" and (.fallback // "" | contains("reboot"))' && pass reboot-full-check ||
	fail reboot-full-check "$(jq -c '[.mode, .fallback, .verdict]' v.json)"
jq -e '.verdict == "trusted"' v.json >/dev/null && pass reboot-trusted || fail reboot-trusted "$(jq -c .failures v.json)"
wait_for 10 vq '.mode == "incremental" and .verdict == "trusted"' && pass reboot-then-incremental ||
	fail reboot-then-incremental "$(jq -c '[.mode, .fallback]' v.json)"

# --- an AK change: re-enrolled with a new AK, the same log -------------------------
agent_stop
mkdir -p st2
cp st-hv1/logkey.pem st2/
H2=(--tcti "$TCTI" --state "$WORK/st2" --log "$WORK/hv1.cel")
"$HG_ATTEST" init "${H2[@]}" --ak-alg rsa >/dev/null &&
	"$HG_ATTEST" enroll-request "${H2[@]}" -o req2.cbor >/dev/null &&
	"$HG_VERIFY" enroll --host hv1 --ca tpmca --ek rsa req2.cbor -o ch2.cbor >/dev/null &&
	"$HG_ATTEST" activate "${H2[@]}" ch2.cbor -o resp2.cbor >/dev/null &&
	"$HG_VERIFY" enroll --finish resp2.cbor >/dev/null || { fail ak-change-setup "re-enrollment failed"; exit 1; }
tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
[ -z "$(sqlite3 "$REG" "SELECT incr_state FROM hosts WHERE name = 'hv1'")" ] && pass ak-change-state-dropped ||
	fail ak-change-state-dropped "the registry still holds a state"
agent_start "$WORK/st2"
wait_for 15 vq '.verdict == "trusted" and .mode == "full"' && pass ak-change-full-check ||
	fail ak-change-full-check "$(jq -c '[.verdict, .mode, .fallback, .failures]' v.json)"
wait_for 10 vq '.mode == "incremental" and .verdict == "trusted"' && pass ak-change-then-incremental ||
	fail ak-change-then-incremental "$(jq -c '[.mode, .fallback]' v.json)"
H_hv1=("${H2[@]}")
full_check
same_as_full ak-change-equals-full

[ "$(metric hostgate_incremental_fallbacks_total)" -ge 3 ] 2>/dev/null && pass metrics-fallbacks ||
	fail metrics-fallbacks "$(metric hostgate_incremental_fallbacks_total)"
svc_stop
[ "$SVC_RC" = 0 ] && pass sigterm-exit-0 || fail sigterm-exit-0 "exit $SVC_RC"
