#!/bin/bash
# demo.sh: the story behind 'make demo': no VM starts on a host that
# fails, told with a real libvirtd, qemu (TCG) and a provisioned swtpm.
#
# Starts a swtpm (EK certificates from its own local CA), virtlogd and
# libvirtd (only those not already running), creates the AK and log key,
# defines a tiny domain on a golden qcow2 image, learns the policy from
# this host (hypervisor binaries, domain config, golden image), installs
# the libvirt hook, and starts the VM: allowed. Then the evidence story in
# brief (a replayed quote is refused), and the golden image is altered:
# virsh start is refused, with hostgate's reason in virsh's error.
#
# Everything it makes is removed on exit: the domain, the hook, the
# images (under /var/lib/libvirt/images/hostgate-demo-PID), the swtpm, the
# syslog catcher and the daemons it started. Needs root.
set -uo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../tests/integration/lib.sh"
. "$ROOT/tests/integration/libvirt.sh"
[ "$(id -u)" = 0 ] || { echo "demo: needs root (libvirtd, /etc/libvirt/hooks)" >&2; exit 2; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# run CMD...: show the command as an operator would type it (on stderr,
# so that redirections of the output get the output only), then run it.
run() {
	printf '\033[2m$ %s\033[0m\n' "$*" >&2
	"$@"
}
die() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }
export PATH=$WORK/bin:$PATH
cd "$WORK" || exit 1

step "1. a provisioned swtpm, virtlogd and libvirtd"
start_tpm sha256,sha384 9>&-
echo "swtpm: $TCTI (banks sha256, sha384; EK certificates from a local CA)"
start_libvirt
start_syslog
for d in virtlogd libvirtd; do
	echo "$d: pid $(pgrep -x "$d" | head -1)$([ "$([ $d = libvirtd ] && echo "$_LV_STARTED_LIBVIRTD" || echo "$_LV_STARTED_VIRTLOGD")" = 1 ] && echo ' (started by the demo)' || echo ' (already running)')"
done
run virsh -c qemu:///system version | head -3
[ -n "$SYSLOG" ] || echo "(syslog lines not shown: $SYSLOG_WHY)"

step "2. hostgate-attest init: the AK under the EK, and the log signing key"
run hostgate-attest init --ak-out ak.pub || die "init"

step "3. a tiny VM: a golden qcow2 image under a writable overlay"
D=hostgate-demo
BASE=$GOLDEN/demo-base.qcow2
TOP=$IMGDIR/demo-top.qcow2
mk_golden "$BASE" 32M || die "qemu-img"
mk_overlay "$BASE" "$TOP" || die "qemu-img"
run qemu-img info --backing-chain "$TOP" | grep -E '^(image|file format|backing file):'
define_domain "$D" "$TOP" || die "virsh define"
echo "defined $D: 64 MiB, 1 vcpu, TCG, virtio disk $TOP, no network, no graphics"
cat >hostgate.conf <<EOF
tcti = $TCTI
state = $HOSTGATE_STATE
log = $HOSTGATE_LOG
policy = $WORK/policy.json
image-dirs = $IMGDIR
golden-dirs = $GOLDEN
manifest = $WORK/host.manifest
break-glass = $WORK/break-glass
EOF
GATECONF=$WORK/hostgate.conf
printf 'hypervisor %s\n' /usr/bin/qemu-system-x86_64 /usr/sbin/libvirtd /usr/sbin/virtlogd >host.manifest
run cat hostgate.conf

step "4. measure this host as it is now: hypervisor binaries, the VM's config and image"
run hostgate-attest measure-host --manifest host.manifest || die "measure-host"
run hostgate-attest measure --domain "$D" --images --config hostgate.conf || die "measure --domain"
run hostgate-verify show --log "$HOSTGATE_LOG" | grep -E '^#|^replayed|^    sha'
echo "(each record is signed; record 0 pins the log key)"

step "5. the TPM agrees with the signed log (tpm2_pcrread vs the log's replay)"
for bank in sha256 sha384; do
	tpm2_pcrread -T "$TCTI" "$bank:13" -o pcr.bin >/dev/null
	tpm=$(xxd -p -c 100 pcr.bin)
	log=$(hostgate-verify show --log "$HOSTGATE_LOG" --json | jq -r ".replay[\"13\"].$bank")
	printf '%-7s TPM %s\n        log %s  %s\n' "$bank" "$tpm" "$log" \
		"$([ "$tpm" = "$log" ] && echo MATCH || echo MISMATCH)"
	[ "$tpm" = "$log" ] || die "PCR 13 $bank: TPM and log disagree"
done

step "6. quote with a fresh nonce and learn the policy from this known-good host"
NONCE=$(openssl rand -hex 16)
run hostgate-attest quote --nonce "$NONCE" -o evidence.cbor || die "quote"
run hostgate-verify learn --ak ak.pub --nonce "$NONCE" evidence.cbor >policy.json || die "learn"
jq '{banks, measurements: (.measurements | map_values(keys))}' policy.json
printf '\033[2m$ hostgate-verify check --ak ak.pub --nonce %s --policy policy.json evidence.cbor\033[0m\n' "$NONCE" >&2
hostgate-verify check --ak ak.pub --nonce "$NONCE" --policy policy.json evidence.cbor |
	jq -c '{verdict, failures}'
echo "the same evidence against another nonce (a replayed quote):"
hostgate-verify check --quiet --ak ak.pub --nonce "$(openssl rand -hex 16)" --policy policy.json evidence.cbor
echo "exit code $? (3: invalid evidence)"

step "7. install the gate: a libvirt qemu hook"
run hostgate-attest hook install --config hostgate.conf || die "hook install"
_LV_HOOKS=1
sleep 0.5
run ls -l "$HOOK_FILE"
run cat "$HOOK_FILE"

step "8. virsh start: the gate measures, quotes, verifies, and allows"
m=$(syslog_mark)
run virsh -c qemu:///system start "$D" || die "the learned VM was refused"
run virsh -c qemu:///system domstate "$D"
[ -n "$SYSLOG" ] && { echo "syslog (authpriv):"; wait_syslog "$m" "domain=$D " | sed 's/^pri=[0-9]* /  /'; }
run virsh -c qemu:///system destroy "$D"

step "9. someone alters the golden image"
run qemu-io -f qcow2 -c "write -P 0xa5 1M 64k" "$BASE"
echo "sha256 of the image now: $(sha256_of "$BASE")"

step "10. virsh start: refused, and the error says why"
m=$(syslog_mark)
if run virsh -c qemu:///system start "$D"; then
	die "the altered VM started"
fi
run virsh -c qemu:///system domstate "$D"
[ -n "$SYSLOG" ] && { echo "syslog (authpriv):"; wait_syslog "$m" "domain=$D " | sed 's/^pri=[0-9]* /  /'; }
echo "the log keeps the evidence of the attempt:"
hostgate-verify show --log "$HOSTGATE_LOG" | grep -A1 "image $BASE" | tail -n 2

step "11. clean up: domain, hook, images, swtpm$([ "$_LV_STARTED_LIBVIRTD$_LV_STARTED_VIRTLOGD" != 00 ] && echo ', the daemons the demo started')"
run hostgate-attest hook uninstall
_LV_HOOKS=0
echo "(the rest on exit)"
step "demo complete"
