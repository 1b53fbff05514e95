#!/bin/bash
# t_gate_files.sh: every file a domain can make qemu open is hashed, left
# to the host manifest, or refused (issue 12 items 3, 5, 6; docs/gate.md
# "What a domain can make qemu open").
#
# Dry runs ('gate --domain-xml') for each kind, and real 'virsh start's
# through the hook for an option ROM changed after learning and an
# emulator the manifest does not measure. A firmware descriptor is
# dropped into /etc/qemu/firmware for one case and removed on exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (libvirtd, /etc/libvirt/hooks, /etc/qemu)"; exit 0; }

FWDIR=/etc/qemu/firmware
FWDESC=$FWDIR/10-hostgate-test-$$.json
FWMASK=$FWDIR/20-hostgate-mask-$$.json
_FW_MADE=
_files_cleanup() {
	rm -f "$FWDESC" "$FWMASK"
	# Only the directories this script made, and only if empty.
	for d in $_FW_MADE; do rmdir "$d" 2>/dev/null; done
}
trap '_files_cleanup; _lv_cleanup; cleanup' EXIT

start_libvirt
gate_host

# gate_dry CASE WANT_RC XML TEXT...: 'gate --domain-xml' exits WANT_RC
# (0 allow, 1 refuse) and its output has every TEXT.
gate_dry() {
	local case=$1 want=$2 xml=$3 t rc
	shift 3
	timeout 60 "$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$xml" >"$WORK/last.out" 2>"$WORK/last.err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$case" "exit $rc, want $want: $(cat "$WORK/last.out" "$WORK/last.err" | head -c 400)"
		return 1
	fi
	for t in "$@"; do
		cat "$WORK/last.out" "$WORK/last.err" | grep -qF -- "$t" ||
			{ fail "$case" "output lacks \"$t\": $(cat "$WORK/last.out" "$WORK/last.err" | head -c 400)"; return 1; }
	done
	pass "$case"
}

# with XML FILE 'PERL-REPLACEMENT'...: FILE with each s||| applied.
edit_xml() {
	local src=$1 dst=$2
	shift 2
	cp "$src" "$dst"
	for e in "$@"; do perl -0pi -e "$e" "$dst"; done
}

D=$(dom_name files)
BASE=$GOLDEN/$D-base.qcow2
TOP=$IMGDIR/$D-top.qcow2
ROM=$GOLDEN/$D-nic.rom
ACPI=$GOLDEN/$D-slic.bin
FWCFG=$GOLDEN/$D-fwcfg.bin
mk_golden "$BASE"
mk_overlay "$BASE" "$TOP"
for f in "$ROM" "$ACPI" "$FWCFG"; do
	head -c 4096 /dev/urandom >"$f"
	cp "$f" "$f.orig"
done

# --- 1. ROM, ACPI table, fw_cfg file: hashed; a change is refused --------
domain_xml "$D" "$TOP" >"$WORK/plain.xml"
edit_xml "$WORK/plain.xml" "$WORK/files.xml" \
	"s|<boot dev='hd'/>|<boot dev='hd'/>\n    <acpi><table type='slic'>$ACPI</table></acpi>|" \
	"s|<on_poweroff>|<sysinfo type='fwcfg'><entry name='opt/com.example/hg' file='$FWCFG'/></sysinfo>\n  <on_poweroff>|" \
	"s|<video>|<interface type='user'><model type='virtio'/><rom file='$ROM'/></interface>\n    <video>|"
if gate_learn "$WORK/files.xml" 2>"$WORK/learn.err"; then
	pass files-learned
else
	fail files-learned "$(head -c 400 "$WORK/learn.err")"
fi
for f in "$ROM" "$ACPI" "$FWCFG"; do
	jq -e --arg f "$f" '.measurements.image[$f].sha256 | length == 1' "$POLICY" >/dev/null ||
		fail "policy-has-$(basename "$f")" "$(jq -c '.measurements.image' "$POLICY" | head -c 300)"
done
gate_dry files-allowed 0 "$WORK/files.xml" allow
for f in "$ROM" "$ACPI" "$FWCFG"; do
	k=$(basename "$f" | sed 's/.*-//; s/\..*//')
	printf 'x' >>"$f"
	gate_dry "$k-changed-refused" 1 "$WORK/files.xml" "image $f: digest not allowed"
	cp "$f.orig" "$f"
	gate_dry "$k-restored-allowed" 0 "$WORK/files.xml" allow
done

# --- 2. the emulator must be a file the host manifest measures ----------
cp /usr/bin/qemu-system-x86_64 "$OUTSIDE/qemu-copy"
edit_xml "$WORK/plain.xml" "$WORK/emu.xml" "s|<emulator>[^<]*</emulator>|<emulator>$OUTSIDE/qemu-copy</emulator>|"
gate_dry emulator-not-in-manifest-refused 1 "$WORK/emu.xml" \
	"emulator $OUTSIDE/qemu-copy is not a file of the host manifest"

# --- 3. what the gate cannot hash is refused, with its reason -----------
refuse_dev() {
	local case=$1 dev=$2
	shift 2
	edit_xml "$WORK/plain.xml" "$WORK/$case.xml" "s|<video>|$dev\n    <video>|"
	gate_dry "$case" 1 "$WORK/$case.xml" "$@"
}
mkdir -p "$OUTSIDE/share"
refuse_dev virtiofs-refused "<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/><binary path='/usr/lib/qemu/virtiofsd'/><source dir='$OUTSIDE/share'/><target dir='share'/></filesystem>" \
	"<filesystem> passes a host directory"
refuse_dev 9p-refused "<filesystem type='mount'><source dir='$OUTSIDE/share'/><target dir='share'/></filesystem>" \
	"<filesystem> passes a host directory"
refuse_dev shmem-refused "<shmem name='hg'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>" \
	"<shmem> shares host memory"
refuse_dev nvdimm-refused "<memory model='nvdimm'><source><path>$OUTSIDE/nv</path></source><target><size unit='MiB'>128</size><node>0</node></target></memory>" \
	"memory@model='nvdimm'"
refuse_dev scsi-hostdev-refused "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' target='0' unit='0'/></source></hostdev>" \
	"hostdev@type='scsi' passes a host SCSI or iSCSI LUN"
refuse_dev iscsi-hostdev-refused "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='iqn.2014-08.com.example:t/1'><host name='127.0.0.1'/></source></hostdev>" \
	"hostdev@type='scsi'"
refuse_dev evdev-refused "<input type='evdev'><source dev='/dev/input/event0'/></input>" \
	"input@type='evdev' passes a host input device"
refuse_dev tpm-passthrough-refused "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>" \
	"passes the host's TPM"
refuse_dev unknown-device-refused "<frobnicator file='$ROM'/>" \
	"<devices><frobnicator>: not a device the gate knows"
edit_xml "$WORK/plain.xml" "$WORK/qemucmd.xml" \
	"s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
	"s|</devices>|</devices>\n  <qemu:commandline><qemu:arg value='-fw_cfg'/><qemu:arg value='name=opt/x,file=$OUTSIDE/nv'/></qemu:commandline>|"
gate_dry qemu-commandline-refused 1 "$WORK/qemucmd.xml" \
	"qemu:commandline passes arguments to qemu that gate.conf's qemu-commandline does not allow exactly"
# Allowed only by the exact argument list in gate.conf.
echo "qemu-commandline = -fw_cfg name=opt/x" >>"$GATECONF"
gate_dry qemu-commandline-other-list-refused 1 "$WORK/qemucmd.xml" \
	"does not allow exactly: -fw_cfg name=opt/x,file=$OUTSIDE/nv"
sed -i '/^qemu-commandline = /d' "$GATECONF"
echo "qemu-commandline = -fw_cfg name=opt/x,file=$OUTSIDE/nv" >>"$GATECONF"
: >"$OUTSIDE/nv"
gate_learn "$WORK/qemucmd.xml" 2>"$WORK/learn.err" || fail qemu-commandline-learned "$(head -c 300 "$WORK/learn.err")"
gate_dry qemu-commandline-exact-list-allowed 0 "$WORK/qemucmd.xml" allow
sed -i '/^qemu-commandline = /d' "$GATECONF"
gate_dry qemu-commandline-refused-again 1 "$WORK/qemucmd.xml" "does not allow exactly"

# --- 4. XML read as libvirt reads it: namespaced attributes --------------
mk_golden "$OUTSIDE/evil.qcow2"
edit_xml "$WORK/plain.xml" "$WORK/nsattr.xml" \
	"s|<source file='$TOP'/>|<source xmlns:x='urn:x' x:file='$OUTSIDE/evil.qcow2' file='$TOP'/>|"
gate_dry namespaced-attribute-refused 1 "$WORK/nsattr.xml" \
	"namespaced attribute (libvirt reads attributes by local name"

# --- 5. a writable image with nothing golden behind it -------------------
mk_golden "$IMGDIR/$D-standalone.qcow2"
domain_xml "$D" "$IMGDIR/$D-standalone.qcow2" >"$WORK/standalone.xml"
gate_dry standalone-overlay-refused 1 "$WORK/standalone.xml" \
	"$IMGDIR/$D-standalone.qcow2 is a writable image with no golden image behind it"

# --- 6. nvram: an overlay by default; nvram = hashed refuses an emptied one
VARS=$IMGDIR/${D}_VARS.fd
head -c 65536 /dev/urandom >"$VARS"
edit_xml "$WORK/plain.xml" "$WORK/nvram.xml" "s|<boot dev='hd'/>|<boot dev='hd'/>\n    <nvram>$VARS</nvram>|"
gate_learn "$WORK/nvram.xml" 2>"$WORK/learn.err" || fail nvram-learned "$(head -c 300 "$WORK/learn.err")"
cp "$VARS" "$VARS.orig"
: >"$VARS"
gate_dry nvram-overlay-emptied-allowed-by-default 0 "$WORK/nvram.xml" allow
cp "$VARS.orig" "$VARS"
echo "nvram = hashed" >>"$GATECONF"
gate_learn "$WORK/nvram.xml" 2>"$WORK/learn.err" || fail nvram-hashed-learned "$(head -c 300 "$WORK/learn.err")"
jq -e --arg f "$VARS" '.measurements.image[$f].sha256 | length == 1' "$POLICY" >/dev/null &&
	pass nvram-hashed-in-policy || fail nvram-hashed-in-policy "$(jq -c '.measurements' "$POLICY" | head -c 300)"
gate_dry nvram-hashed-allowed 0 "$WORK/nvram.xml" allow
: >"$VARS"
gate_dry nvram-hashed-emptied-refused 1 "$WORK/nvram.xml" "image $VARS: digest not allowed"
rm -f "$VARS"
gate_dry nvram-hashed-missing-refused 1 "$WORK/nvram.xml" "nvram $VARS: cannot be resolved"
sed -i '/^nvram = hashed$/d' "$GATECONF"

# --- 6b. an overlay rebased onto another VM's approved golden image -----
DA=$(dom_name reba)
DB=$(dom_name rebb)
mk_golden "$GOLDEN/$DA-base.qcow2"
mk_golden "$GOLDEN/$DB-base.qcow2"
mk_overlay "$GOLDEN/$DA-base.qcow2" "$IMGDIR/$DA-top.qcow2"
mk_overlay "$GOLDEN/$DB-base.qcow2" "$IMGDIR/$DB-top.qcow2"
domain_xml "$DA" "$IMGDIR/$DA-top.qcow2" >"$WORK/reba.xml"
domain_xml "$DB" "$IMGDIR/$DB-top.qcow2" >"$WORK/rebb.xml"
gate_learn "$WORK/reba.xml" "$WORK/rebb.xml" 2>"$WORK/learn.err" || fail rebase-learned "$(head -c 300 "$WORK/learn.err")"
gate_dry rebase-own-base-allowed 0 "$WORK/reba.xml" allow
qemu-img rebase -u -f qcow2 -b "$GOLDEN/$DB-base.qcow2" -F qcow2 "$IMGDIR/$DA-top.qcow2"
# Without "domains", an approved image is approved for every domain.
gate_dry rebased-overlay-allowed-without-domains 0 "$WORK/reba.xml" allow
jq --arg a "$DA" --arg b "$GOLDEN/$DA-base.qcow2" '.domains[$a].images = [$b]' "$POLICY" >"$POLICY.new" &&
	mv "$POLICY.new" "$POLICY"
gate_dry rebased-overlay-refused-by-domains 1 "$WORK/reba.xml" \
	"image $GOLDEN/$DB-base.qcow2 is not one domain $DA may boot"
qemu-img rebase -u -f qcow2 -b "$GOLDEN/$DA-base.qcow2" -F qcow2 "$IMGDIR/$DA-top.qcow2"
gate_dry rebase-undone-allowed 0 "$WORK/reba.xml" allow
gate_dry other-domain-unscoped-allowed 0 "$WORK/rebb.xml" allow

# --- 7. firmware auto-selection: every descriptor libvirt may read -------
edit_xml "$WORK/plain.xml" "$WORK/efi.xml" "s|<os>|<os firmware='efi'>|"
for d in /etc/qemu "$FWDIR"; do
	[ -d "$d" ] || { mkdir "$d" && _FW_MADE="$d $_FW_MADE"; }
done
head -c 4096 /dev/urandom >"$OUTSIDE/evil-code.fd"
cat >"$FWDESC" <<EOF
{
  "description": "hostgate test: a descriptor override",
  "interface-types": ["uefi"],
  "mapping": {
    "device": "flash",
    "executable": { "filename": "$OUTSIDE/evil-code.fd", "format": "raw" },
    "nvram-template": { "filename": "$OUTSIDE/evil-code.fd", "format": "raw" }
  },
  "targets": [ { "architecture": "x86_64", "machines": ["pc-i440fx-*", "pc-q35-*"] } ],
  "features": [],
  "tags": []
}
EOF
gate_dry firmware-descriptor-override-refused 1 "$WORK/efi.xml" \
	"firmware descriptor $FWDESC is not in the host manifest"
echo "firmware $FWDESC" >>"$MANIFEST"
gate_dry firmware-named-file-refused 1 "$WORK/efi.xml" \
	"firmware file $OUTSIDE/evil-code.fd is not in the host manifest"
sed -i "\|$FWDESC|d" "$MANIFEST"
# Discovery lists the override and what it names.
"$HG_ATTEST" measure-host --discover >"$WORK/disc.out" 2>&1
grep -qxF "firmware $FWDESC" "$WORK/disc.out" && grep -qxF "firmware $OUTSIDE/evil-code.fd" "$WORK/disc.out" &&
	pass discover-lists-etc-qemu-firmware || fail discover-lists-etc-qemu-firmware "$(grep firmware "$WORK/disc.out" | head -5)"
# A descriptor linked to /dev/null only masks: nothing to check.
rm -f "$FWDESC"
ln -s /dev/null "$FWMASK"
gate_learn "$WORK/efi.xml" 2>"$WORK/learn.err" || fail efi-learned "$(head -c 300 "$WORK/learn.err")"
gate_dry firmware-masked-descriptor-allowed 0 "$WORK/efi.xml" allow
_files_cleanup
[ ! -e "$FWDESC" ] && [ ! -L "$FWMASK" ] && pass firmware-descriptor-removed ||
	fail firmware-descriptor-removed "$FWDESC or $FWMASK left"

# --- 8. real starts through the hook ------------------------------------
define_domain "$D" "$TOP"
virsh_ dumpxml --inactive "$D" >"$WORK/$D.def.xml"
edit_xml "$WORK/$D.def.xml" "$WORK/$D.rom.xml" \
	"s|<video>|<interface type='user'><model type='virtio'/><rom file='$ROM'/></interface>\n    <video>|"
virsh_ define "$WORK/$D.rom.xml" >/dev/null || fail define-with-rom "virsh define failed"
if gate_learn "$D" 2>"$WORK/learn.err"; then
	pass start-learned
else
	fail start-learned "$(head -c 400 "$WORK/learn.err")"
fi
hook_add
expect_started "$D" start-with-rom-allowed
virsh_ destroy "$D" >/dev/null 2>&1
printf 'x' >>"$ROM"
expect_refused "$D" start-rom-changed-refused "image $ROM: digest not allowed"
cp "$ROM.orig" "$ROM"
# The emulator the domain names, left out of the manifest (libvirt
# probes the binary it defines, so a copy elsewhere cannot be defined
# here; the dry run above covers a binary outside the manifest's paths).
QEMU=$(realpath /usr/bin/qemu-system-x86_64)
cp "$MANIFEST" "$MANIFEST.orig"
grep -v "qemu-system-x86_64" "$MANIFEST.orig" >"$MANIFEST"
expect_refused "$D" start-emulator-not-in-manifest-refused \
	"emulator $QEMU is not a file of the host manifest"
cp "$MANIFEST.orig" "$MANIFEST"
expect_started "$D" start-emulator-in-manifest-allowed
virsh_ destroy "$D" >/dev/null 2>&1
# What libvirt hands the hook (its own re-formatted XML) is refused too.
edit_xml "$WORK/$D.rom.xml" "$WORK/$D.9p.xml" \
	"s|<video>|<filesystem type='mount' accessmode='mapped'><source dir='$OUTSIDE/share'/><target dir='share'/></filesystem>\n    <video>|"
if virsh_ define "$WORK/$D.9p.xml" >/dev/null 2>"$WORK/define.err"; then
	expect_refused "$D" start-9p-filesystem-refused "<filesystem> passes a host directory"
else
	fail start-9p-filesystem-refused "virsh define: $(head -c 300 "$WORK/define.err")"
fi
edit_xml "$WORK/$D.rom.xml" "$WORK/$D.qemu.xml" \
	"s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
	"s|</devices>|</devices>\n  <qemu:commandline><qemu:arg value='-fw_cfg'/><qemu:arg value='name=opt/x,file=$OUTSIDE/nv'/></qemu:commandline>|"
if virsh_ define "$WORK/$D.qemu.xml" >/dev/null 2>"$WORK/define.err"; then
	expect_refused "$D" start-qemu-commandline-refused "qemu:commandline passes arguments to qemu"
else
	fail start-qemu-commandline-refused "virsh define: $(head -c 300 "$WORK/define.err")"
fi
mk_golden "$IMGDIR/$D-alone.qcow2"
edit_xml "$WORK/$D.rom.xml" "$WORK/$D.alone.xml" "s|<source file='$TOP'/>|<source file='$IMGDIR/$D-alone.qcow2'/>|"
if virsh_ define "$WORK/$D.alone.xml" >/dev/null 2>"$WORK/define.err"; then
	expect_refused "$D" start-standalone-overlay-refused "is a writable image with no golden image behind it"
else
	fail start-standalone-overlay-refused "virsh define: $(head -c 300 "$WORK/define.err")"
fi
hook_remove
