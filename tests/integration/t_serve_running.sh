#!/bin/bash
# t_serve_running.sh: serve's pulls judge each running VM by its own
# launch record (issue 14 item 5), with incremental verification on: a
# real libvirtd and qemu (TCG), the installed gate hook writing launch
# records, the real `hostgate-attest agent` (GET /v1/domains from
# libvirt), real mutual TLS, the real service.
#
#  - the host's verdict carries "vms": the running VM, its launch record,
#    trusted; pulls go on incrementally with the VM still judged (its
#    launch record and the records it names are kept in the state);
#  - the VM's image revoked by a new policy version (`policy add`):
#    untrusted within one interval, the verdict naming the VM, its UUID,
#    the launch record, the image record and its digest; the webhook
#    gets the change;
#  - a good copy measured over the image's path (which a plain check of
#    the latest records would accept) does not hide the running VM, in
#    incremental pulls either;
#  - the VM stopped: no longer judged, the host trusted again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svc.sh"
. "$(dirname "$0")/libvirt.sh"
trap '_lv_cleanup; _svc_cleanup' EXIT
[ "$(id -u)" = 0 ] || { skip all "needs root (libvirtd, /etc/libvirt/hooks)"; exit 0; }
"$HG_ATTEST" agent --help >/dev/null 2>&1 || { skip all "this build has no hostgate-attest agent"; exit 0; }
cd "$WORK" || exit 1

# The host: an enrolled swtpm (EK certificates, svc.sh), then gated as
# libvirt.sh's gate_host sets a host up, on that TPM, state and log.
svc_ca
svc_host hv1
start_libvirt
export HOSTGATE_STATE=$WORK/st-hv1 HOSTGATE_LOG=$WORK/hv1.cel
AKPUB=$HOSTGATE_STATE/ak.pub
POLICY=$WORK/policy.json
MANIFEST=$WORK/manifest
GATECONF=$WORK/hostgate.conf
: >"$MANIFEST"
for b in /usr/bin/qemu-system-x86_64 /usr/sbin/libvirtd /usr/sbin/virtlogd; do
	[ -e "$b" ] && echo "hypervisor $b" >>"$MANIFEST"
done
cat >"$GATECONF" <<EOF
tcti = $TCTI
state = $HOSTGATE_STATE
log = $HOSTGATE_LOG
policy = $POLICY
verifier = $HG_VERIFY
image-dirs = $IMGDIR
golden-dirs = $GOLDEN
manifest = $MANIFEST
break-glass = $WORK/break-glass
mode = local
EOF

D=$(dom_name srun)
BASE=$GOLDEN/$D-base.qcow2
TOP=$IMGDIR/$D-top.qcow2
mk_golden "$BASE"
mk_overlay "$BASE" "$TOP"
define_domain "$D" "$TOP"
UUID=$(virsh_ domuuid "$D")
gate_learn "$D" 2>learn.err && pass learn-policy || { fail learn-policy "$(head -c 300 learn.err)"; exit 1; }
hook_add >install.out 2>&1 && pass hook-installed || { fail hook-installed "$(head -c 300 install.out)"; exit 1; }
expect_started "$D" vm-started
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >show.json
L=$(jq --arg u "$UUID" '[.records[] | select(.type == "launch" and .uuid == $u)] | last | .recnum' show.json)
BASEREC=$(jq --arg n "$BASE" '[.records[] | select(.kind == "image" and .name == $n)] | last | .recnum' show.json)
OLD=$(sha256_of "$BASE")
"$HG_VERIFY" policy add base "$POLICY" >/dev/null && "$HG_VERIFY" policy assign base --host hv1 >/dev/null ||
	{ fail setup "policy setup failed"; exit 1; }

# The agent, on this machine's libvirtd (qemu:///system).
"$HG_ATTEST" agent --tcti "$TCTI" --state "$HOSTGATE_STATE" --log "$HOSTGATE_LOG" --listen 127.0.0.1:0 \
	--cert pki/agent.pem --key pki/agent.key --client-ca pki/ca.pem 2>agent.err &
for _ in $(seq 100); do
	sed -n 's/.*agent: listening on [^:]*:\([0-9]*\).*/\1/p' agent.err 2>/dev/null | grep . >agent.port && break
	sleep 0.1
done
"$HG_VERIFY" hosts set-agent hv1 "https://127.0.0.1:$(cat agent.port)" >/dev/null

python3 "$ROOT/tests/tools/hook_receiver.py" --cert pki/hooks.pem --key pki/hooks.key \
	--out hooks.jsonl --portfile hooks.port 2>hooks.err &
for _ in $(seq 100); do [ -s hooks.port ] && break; sleep 0.1; done
printf 'whsec-%s\n' "$(openssl rand -hex 16)" >hook.secret
chmod 600 hook.secret
svc_start --client-ca pki/ca.pem --interval 3 --jitter 0 --timeout 5 \
	--agent-cert pki/verifier-agent.pem --agent-key pki/verifier-agent.key --agent-ca pki/ca.pem \
	--webhook "https://127.0.0.1:$(cat hooks.port)/hook" --webhook-secret-file hook.secret --webhook-ca pki/ca.pem &&
	pass serve-starts || { fail serve-starts "$(cat serve.err)"; exit 1; }

verdict() { api operator /v1/hosts/hv1 | sed '$d' >h.json; jq .verdict h.json >v.json; }
vq() { verdict && jq -e "$1" v.json >/dev/null; }

# --- the running VM, judged by its launch record -----------------------------
wait_for 30 vq '.verdict == "trusted" and (.vms | length) == 1' && pass host-trusted-with-vm ||
	fail host-trusted-with-vm "$(jq -c '[.verdict, .vms, .vms_unavailable, .failures]' v.json; tail -3 serve.err)"
got=$(jq -c '.vms | map([.name, .uuid, .launch, .status])' v.json)
want=$(jq -nc --arg d "$D" --arg u "$UUID" --argjson l "$L" '[[$d, $u, $l, "trusted"]]')
[ "$got" = "$want" ] && pass verdict-names-vm || fail verdict-names-vm "got $got, want $want"
wait_for 15 vq '.mode == "incremental" and (.vms | length) == 1' && pass incremental-with-vm ||
	fail incremental-with-vm "$(jq -c '[.mode, .fallback, .vms]' v.json)"
got=$(jq -c '[.verdict, (.vms | map([.launch, .status]))]' v.json)
[ "$got" = "$(jq -nc --argjson l "$L" '["trusted", [[$l, "trusted"]]]')" ] && pass incremental-vm-trusted ||
	fail incremental-vm-trusted "$got"

# --- the image revoked by a new policy version --------------------------------
cp "$BASE" good.qcow2
qemu-io -f qcow2 -c "write -P 0x5a 2M 64k" good.qcow2 >/dev/null
NEW=$(sha256_of good.qcow2)
jq --arg b "$BASE" --arg d "$NEW" '.measurements.image[$b].sha256 = [$d]' "$POLICY" >revoked.json
"$HG_VERIFY" policy add base revoked.json >/dev/null || fail policy-revoke "policy add failed"
t0=$(date +%s)
wait_for 15 vq '.verdict == "untrusted"' && pass revoked-untrusted || fail revoked-untrusted "$(jq -c '[.verdict, .policy]' v.json)"
[ $(($(date +%s) - t0)) -le 6 ] && pass revoked-within-interval || fail revoked-within-interval "$(($(date +%s) - t0)) s"
[ "$(jq -r .state h.json)" = untrusted ] && pass host-state-untrusted || fail host-state-untrusted "$(jq -r .state h.json)"
REASON="vm $D (uuid $UUID): launch record $L: record $BASEREC: image $BASE: digest not allowed by the policy (sha256:$OLD)"
revoked_named() { # NAME: the verdict in v.json names the VM, record and digest
	local got want
	got=$(jq -c '[.failures[] | select(.check == "vms") | .reason]' v.json)
	want=$(jq -nc --arg r "$REASON" '[$r]')
	[ "$got" = "$want" ] && pass "$1" || fail "$1" "got $got, want $want"
	got=$(jq -c '.vms[0] | [.status, .launch, (.failures[0] | [.vm, .uuid, .launch, .record, .digest.sha256])]' v.json)
	want=$(jq -nc --arg d "$D" --arg u "$UUID" --argjson l "$L" --argjson b "$BASEREC" --arg o "$OLD" \
		'["untrusted", $l, [$d, $u, $l, $b, $o]]')
	[ "$got" = "$want" ] && pass "$1-json" || fail "$1-json" "got $got, want $want"
}
revoked_named revoked-names-vm-record-digest
[ "$(jq -r .policy v.json)" = base@2 ] && pass revoked-under-new-version || fail revoked-under-new-version "$(jq -r .policy v.json)"
hook_got() { jq -r .body hooks.jsonl 2>/dev/null | jq -r 'select(.host == "hv1" and .to == "untrusted") | .host' | grep -q hv1; }
wait_for 10 hook_got && pass webhook-untrusted || fail webhook-untrusted "$(tail -2 hooks.jsonl 2>/dev/null | head -c 400)"
jq -r .body hooks.jsonl 2>/dev/null | jq -r 'select(.to == "untrusted") | .failures[].reason' | grep -qF "$REASON" &&
	pass webhook-names-vm || fail webhook-names-vm "$(tail -1 hooks.jsonl | head -c 400)"

# --- a good copy over the path does not hide the running VM -------------------
n0=$(jq .host.records v.json)
cp good.qcow2 "$BASE"
chown libvirt-qemu: "$BASE" 2>/dev/null
"$HG_ATTEST" measure --kind image "$BASE" >/dev/null || fail measure-good-copy "measure failed"
wait_for 15 vq ".host.records > $n0 and .mode == \"incremental\"" && pass good-copy-incremental ||
	fail good-copy-incremental "$(jq -c '[.mode, .fallback, .host.records]' v.json)"
jq -e '.verdict == "untrusted"' v.json >/dev/null && pass good-copy-does-not-hide-vm ||
	fail good-copy-does-not-hide-vm "$(jq -c '[.verdict, .vms]' v.json)"
revoked_named good-copy-still-names-old-record
# The host's own records alone (no VM judged) are trusted now: only the VM's
# launch record keeps the host untrusted.
jq -e '[.failures[] | select(.check != "vms")] | length == 0' v.json >/dev/null &&
	pass good-copy-only-vm-fails || fail good-copy-only-vm-fails "$(jq -c .failures v.json)"

# --- the VM stopped: not judged, trusted again --------------------------------
virsh_ destroy "$D" >/dev/null 2>&1
wait_for 15 vq '.verdict == "trusted" and .vms == []' && pass stopped-vm-trusted ||
	fail stopped-vm-trusted "$(jq -c '[.verdict, .vms, .failures]' v.json)"
svc_stop
[ "$SVC_RC" = 0 ] && pass sigterm-exit-0 || fail sigterm-exit-0 "exit $SVC_RC"
