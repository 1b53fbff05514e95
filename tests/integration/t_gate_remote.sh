#!/bin/bash
# t_gate_remote.sh: the gate in remote mode (issue 14 item 4, docs/gate.md
# "Remote mode") in front of a real libvirtd + qemu (TCG), asking a real
# `hostgate-verify serve` over mutual TLS (certificates from
# tools/mkca.sh). The gated host "gh" is a swtpm enrolled as t_serve.sh's
# hosts are; its policy is learnt and assigned on the service.
#
#  - a fresh EAR: virsh start succeeds, and the launch record is written;
#  - refused, each with its reason on virsh's error line, and no launch
#    record: an EAR signed by another key than the pinned one (forged); a
#    client certificate the service does not know (HTTP 403); another
#    host's EAR (a proxy speaking as enrolled host hv2); another domain's
#    EAR (a proxy that swaps the workload scope, so the service vouches
#    for the other domain's files); an expired EAR (--ear-ttl 1, held 3 s
#    by the proxy); a replayed EAR (an earlier start's nonce); a host
#    outside policy (a tampered golden image: not
#    affirming); no verifier listening; a verifier that never answers
#    (bounded by verifier-timeout).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/svc.sh"
trap '_lv_cleanup; cleanup' EXIT
[ "$(id -u)" = 0 ] || { skip all "needs root (libvirtd, /etc/libvirt/hooks)"; exit 0; }
command -v python3 >/dev/null || { skip all "python3 is not installed"; exit 0; }
start_libvirt
cd "$WORK" || exit 1

# --- the verifier's side: CA, the gated host gh, a second host hv2 ----------
svc_ca
svc_host gh 9>&-
svc_host hv2 9>&-
export HOSTGATE_TCTI=${H_gh[1]} HOSTGATE_STATE=$WORK/st-gh HOSTGATE_LOG=$WORK/gh.cel
AKPUB=$WORK/gh-ak.pub
POLICY=$WORK/gh-policy.json
MANIFEST=$WORK/gh.manifest
GATECONF=$WORK/hostgate.conf
: >"$MANIFEST"
for b in /usr/bin/qemu-system-x86_64 /usr/sbin/libvirtd /usr/sbin/virtlogd; do
	[ -e "$b" ] && echo "hypervisor $b" >>"$MANIFEST"
done
"$HG_ATTEST" init --ak-out "$AKPUB" >/dev/null || { fail setup "init"; exit 1; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ear.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ear2.pem 2>/dev/null
openssl pkey -in ear.pem -pubout -out ear.pub 2>/dev/null
openssl pkey -in ear2.pem -pubout -out ear2.pub 2>/dev/null

# conf URL CERT [EARPUB [TIMEOUT]]: the gate's configuration, remote mode.
conf() {
	cat >"$GATECONF" <<EOF
# written by t_gate_remote.sh
tcti = $HOSTGATE_TCTI
state = $HOSTGATE_STATE
log = $HOSTGATE_LOG
image-dirs = $IMGDIR
golden-dirs = $GOLDEN
manifest = $MANIFEST
break-glass = $WORK/break-glass
mode = remote
verifier-url = $1
verifier-ca = $WORK/pki/ca.pem
verifier-cert = $WORK/pki/$2.pem
verifier-key-file = $WORK/pki/$2.key
verifier-ear-key = $WORK/${3:-ear.pub}
verifier-timeout = ${4:-10}
EOF
}

# Two domains, each a golden base under an overlay; the policy accepts both.
D=$(dom_name remote)
D2=$(dom_name other)
BASE=$GOLDEN/$D-base.qcow2
BASE2=$GOLDEN/$D2-base.qcow2
mk_golden "$BASE"
mk_overlay "$BASE" "$IMGDIR/$D-top.qcow2"
mk_golden "$BASE2"
mk_overlay "$BASE2" "$IMGDIR/$D2-top.qcow2"
define_domain "$D" "$IMGDIR/$D-top.qcow2"
define_domain "$D2" "$IMGDIR/$D2-top.qcow2"
conf https://127.0.0.1:1 gh   # image-dirs and golden-dirs for learn
gate_learn "$D" "$D2" 2>learn.err && pass learn-policy || { fail learn-policy "$(head -c 400 learn.err)"; exit 1; }
"$HG_VERIFY" policy add gp "$POLICY" >/dev/null &&
	"$HG_VERIFY" policy assign gp --host gh >/dev/null &&
	"$HG_VERIFY" policy assign gp --host hv2 >/dev/null &&
	pass policy-assigned || { fail policy-assigned "policy add/assign failed"; exit 1; }

svc_start --client-ca pki/ca.pem --ear-key ear.pem --interval 3600 9>&- &&
	pass serve-starts || { fail serve-starts "$(cat serve.err)"; exit 1; }
URL=$SVC_URL

# proxy NAME ARGS...: tests/tools/ear_proxy.py in front of $URL; sets PURL.
proxy() {
	local name=$1 i
	shift
	rm -f "$name.port"
	python3 "$ROOT/tests/tools/ear_proxy.py" --cert pki/verifier.pem --key pki/verifier.key \
		--upstream "$URL" --ca pki/ca.pem --port-file "$name.port" --log "$name.log" "$@" \
		>"$name.out" 2>&1 9>&- &
	for i in $(seq 200); do [ -s "$name.port" ] && break; sleep 0.05; done
	PURL=https://127.0.0.1:$(cat "$name.port" 2>/dev/null)
}

launches() { "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json | jq '[.records[] | select(.type == "launch")] | length'; }

conf "$URL" gh
hook_add >install.out 2>&1 && pass hook-installed || fail hook-installed "$(head -c 300 install.out)"

# --- 1. a fresh EAR: the VM starts ------------------------------------------
n0=$(launches)
expect_started "$D" fresh-ear-started
virsh_ destroy "$D" >/dev/null 2>&1
[ "$(launches)" = "$((n0 + 1))" ] && pass launch-record-written ||
	fail launch-record-written "launch records: $n0 before, $(launches) after"
n0=$(launches)

# --- 2. forged: signed by a key other than the pinned one --------------------
conf "$URL" gh ear2.pub
expect_refused "$D" forged-ear-refused "verifier $URL: EAR: signature does not verify"

# --- 3. a certificate the service does not know: HTTP 403 --------------------
conf "$URL" stranger
expect_refused "$D" unknown-client-refused "verifier $URL: GET /v1/nonce: HTTP 403"

# --- 4. another host's EAR ----------------------------------------------------
proxy hostswap --client-cert pki/hv2.pem --client-key pki/hv2.key
conf "$PURL" gh
expect_refused "$D" other-host-ear-refused "EAR: no submodule for this host \"gh\""

# --- 5. another domain's EAR: the service vouches for D2's files -------------
proxy domswap --client-cert pki/gh.pem --client-key pki/gh.key \
	--scope "config:/etc/libvirt/qemu/$D2.xml" --scope "image:$BASE2" \
	--scope "overlay:$IMGDIR/$D2-top.qcow2"
conf "$PURL" gh
expect_refused "$D" other-domain-ear-refused "does not vouch for config /etc/libvirt/qemu/$D.xml" \
	"not exactly this domain's measurements"
grep -q "workload=config%3A%2Fetc%2Flibvirt%2Fqemu%2F$D2.xml" domswap.log &&
	pass proxy-swapped-scope || fail proxy-swapped-scope "$(cat domswap.log)"

# A proxy that replays: the first start through it goes (its EAR is
# genuine and fresh), the next one gets that same EAR back.
proxy replay --client-cert pki/gh.pem --client-key pki/gh.key --replay
conf "$PURL" gh
expect_started "$D" honest-proxy-started
virsh_ destroy "$D" >/dev/null 2>&1
n0=$(launches)
expect_refused "$D" replayed-ear-refused "EAR: its eat_nonce is not the nonce this start asked for"

# --- 6. a host outside its policy: the EAR is not affirming ------------------
cp "$BASE" "$WORK/base.orig"
tamper_image "$BASE"
conf "$URL" gh
expect_refused "$D" tampered-image-refused "EAR: host \"gh\" is " ", not affirming"
cp "$WORK/base.orig" "$BASE"

# --- 7. expired: a one-second EAR held three seconds on the way --------------
svc_stop
svc_start --client-ca pki/ca.pem --ear-key ear.pem --interval 3600 --ear-ttl 1 9>&- ||
	{ fail serve-restarts "$(tail -c 300 serve.err)"; exit 1; }
URL=$SVC_URL
proxy slow --client-cert pki/gh.pem --client-key pki/gh.key --delay 3
conf "$PURL" gh
expect_refused "$D" expired-ear-refused "EAR: expired"

# --- 8. no verifier listening ---------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf "https://127.0.0.1:$PORT" gh
expect_refused "$D" verifier-down-refused "verifier https://127.0.0.1:$PORT: GET /v1/nonce: " "onnect"

# --- 9. a verifier that never answers: bounded by verifier-timeout ---------
rm -f hang.port
python3 "$ROOT/tests/tools/https_test_server.py" --cert pki/verifier.pem --key pki/verifier.key \
	--port-file hang.port --log hang.log --mode hang >hang.out 2>&1 9>&- &
for i in $(seq 200); do [ -s hang.port ] && break; sleep 0.05; done
conf "https://127.0.0.1:$(cat hang.port)" gh "" 2
t0=$(date +%s)
expect_refused "$D" verifier-hangs-refused "GET /v1/nonce: no answer within verifier-timeout (2 s)"
t1=$(date +%s)
[ $((t1 - t0)) -lt 20 ] && pass hang-bounded || fail hang-bounded "virsh start took $((t1 - t0)) s"

# No refusal wrote a launch record.
[ "$(launches)" = "$n0" ] && pass refusals-wrote-no-launch-record ||
	fail refusals-wrote-no-launch-record "launch records: $n0 before, $(launches) after"

# --- 10. the service again: the VM starts -------------------------------------
svc_stop
svc_start --client-ca pki/ca.pem --ear-key ear.pem --interval 3600 9>&- ||
	{ fail serve-restarts "$(tail -c 300 serve.err)"; exit 1; }
conf "$SVC_URL" gh
expect_started "$D" fresh-ear-started-again
virsh_ destroy "$D" >/dev/null 2>&1
svc_stop
[ "$SVC_RC" = 0 ] && pass serve-stops || fail serve-stops "exit $SVC_RC"
exit 0
