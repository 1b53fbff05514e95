#!/bin/bash
# t_crash_hook.sh: kill -9 the libvirt hook ("prepare begin", as libvirtd
# runs it: `hostgate-attest hook run NAME prepare begin -`, the domain XML
# on stdin) at random instants (tests/integration/crash.sh; issue 16 item
# 5). No libvirtd is needed: the hook decides from its stdin and the
# configuration alone.
#
# HG_CRASH_HOOK trials (default 30). A killed hook measures, extends,
# quotes and caches file identities part of the way; then:
#  - in odd trials the golden image is changed after the kill: the next
#    decision must refuse it (nothing the killed run cached or logged lets
#    a changed image through), and once the image is restored, allow it;
#  - in even trials the next decision must allow the unchanged domain
#    (the log the kill left is recovered, not refused forever);
#  - the log the hook writes stays one the verifier accepts: every
#    allowed decision replays it against the quoted PCR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/crash.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (the gate reads images as libvirtd does)"; exit 0; }
command -v qemu-img >/dev/null || { skip all "qemu-img is not installed"; exit 0; }
start_tpm sha256 --no-ek-certs
cd "$WORK" || exit 1
IMGDIR=$WORK/vm GOLDEN=$WORK/vm/golden
mkdir -p "$GOLDEN"
D=hgcrash$$
qemu-img create -q -f qcow2 "$GOLDEN/$D.qcow2" 16M &&
	qemu-io -f qcow2 -c "write -P 0x5a 0 64k" "$GOLDEN/$D.qcow2" >/dev/null ||
	{ fail setup "qemu-img failed"; exit 1; }
cp "$GOLDEN/$D.qcow2" pristine.qcow2
: >manifest
for b in /usr/bin/qemu-system-x86_64 /usr/sbin/libvirtd /usr/sbin/virtlogd; do
	[ -e "$b" ] && echo "hypervisor $b" >>manifest
done
cat >gate.conf <<EOC
tcti = $TCTI
state = $HOSTGATE_STATE
log = $HOSTGATE_LOG
policy = $WORK/policy.json
verifier = $HG_VERIFY
image-dirs = $IMGDIR
golden-dirs = $GOLDEN
manifest = $WORK/manifest
break-glass = $WORK/break-glass
mode = local
EOC
cat >dom.xml <<EOX
<domain type='qemu'>
  <name>$D</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$GOLDEN/$D.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
EOX
N=$(printf '%08x%024x' "$CRASH_SEED" 0)
"$HG_ATTEST" init --config gate.conf --ak-out ak.pub >/dev/null &&
	"$HG_ATTEST" measure-host --config gate.conf --manifest manifest >/dev/null &&
	"$HG_ATTEST" measure --config gate.conf --domain-xml dom.xml --images >/dev/null &&
	"$HG_ATTEST" quote --config gate.conf --nonce "$N" -o learn.cbor >/dev/null &&
	"$HG_VERIFY" learn --ak ak.pub --nonce "$N" learn.cbor >policy.json ||
	{ fail setup "init/measure/quote/learn failed"; exit 1; }
hook() { "$HG_ATTEST" hook run --config gate.conf "$D" prepare begin - <dom.xml; }
hook >/dev/null 2>"$WORK/h.err" || { fail setup "the hook refuses the learnt domain: $(cat "$WORK/h.err")"; exit 1; }
crash_span hook
echo "  hook: one decision takes ~$SPAN us"
TRIALS=${HG_CRASH_HOOK:-30}
bad=0
for t in $(seq 1 "$TRIALS"); do
	crash_kill "$SPAN" hook
	crash_flush
	if [ $((t % 2)) = 1 ]; then
		qemu-io -f qcow2 -c "write -P 0xa5 1M 64k" "$GOLDEN/$D.qcow2" >/dev/null
		if hook >/dev/null 2>"$WORK/h.err"; then
			crash_tally allowed-changed; bad=$((bad + 1)); echo "  trial $t: a changed image was allowed"
		elif ! grep -q 'refused' "$WORK/h.err"; then
			crash_tally bad; bad=$((bad + 1)); echo "  trial $t: no refusal line: $(head -c 300 "$WORK/h.err")"
		else
			crash_tally refused-changed
		fi
		crash_flush
		cp pristine.qcow2 "$GOLDEN/$D.qcow2"
	fi
	if hook >/dev/null 2>"$WORK/h.err"; then
		crash_tally allowed
	else
		crash_tally refused; bad=$((bad + 1)); echo "  trial $t: the unchanged domain refused: $(head -c 300 "$WORK/h.err")"
	fi
	crash_flush
done
crash_summary hook "$TRIALS"
[ "$bad" -eq 0 ] && pass "hook-kill-9-x$TRIALS-changed-refused-unchanged-allowed" ||
	fail "hook-kill-9-x$TRIALS-changed-refused-unchanged-allowed" "$bad bad trials"
