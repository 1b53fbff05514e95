#!/bin/bash
# t_gate_chain.sh: the gate reads a disk's backing chain as libvirt and
# qemu do (issue 12 item 1), on a real libvirtd.
#
# Golden chain: $GOLDEN/base.qcow2 <- $GOLDEN/mid.qcow2 (relative backing
# name "base.qcow2"), learned as approved. Attacks, each first started
# WITHOUT the gate to show what libvirt really builds (virsh dumpxml's
# <backingStore> after start) against what a padded reader sees
# (qemu-img info --backing-chain), then refused by the gate, dry run and
# virsh start, pinned to the reason:
#   padded:   an overlay whose header extensions say "raw" to a reader
#             that pads them to 8 bytes (qemu, the old gate) and "qcow2"
#             to libvirt 9.0 (unpadded): the gate would hash mid as a raw
#             blob and stop, libvirt goes on to base, never measured;
#   symlink:  the same overlay reaching mid through a symlink in a
#             directory anyone can write; libvirt resolves mid's relative
#             "base.qcow2" next to the symlink: the attacker's own image;
#   honest-symlink: a well-formed overlay naming that symlink;
#   data-file: a golden qcow2 whose data lives in another file;
#   json:     a backing name json:{...} (libvirt and qemu parse it);
#   replaced: a golden layer replaced between reading the chain and
#             hashing it (dry run, with the gate's test seam).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (/var/lib/libvirt/images)"; exit 0; }
command -v python3 >/dev/null || { skip all "needs python3 to craft headers"; exit 0; }
start_libvirt
gate_host

mk_golden "$GOLDEN/base.qcow2"
(cd "$GOLDEN" && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2) &&
	qemu-io -f qcow2 -c "write -P 0x5a 1M 64k" "$GOLDEN/mid.qcow2" >/dev/null &&
	chown libvirt-qemu: "$GOLDEN/mid.qcow2"
mk_overlay "$GOLDEN/mid.qcow2" "$IMGDIR/ok.qcow2"
OK=$(dom_name ok)
define_domain "$OK" "$IMGDIR/ok.qcow2"
if gate_learn "$OK" 2>"$WORK/learn.err"; then
	pass learn-golden-chain
else
	fail learn-golden-chain "$(head -c 300 "$WORK/learn.err")"
	exit 1
fi

# The attacker: a directory libvirt-qemu (any guest's qemu) can write,
# holding a symlink to the golden mid and its own base.qcow2.
DROP=$IMGDIR/drop
mkdir -p "$DROP" && chown libvirt-qemu: "$DROP" && chmod 0755 "$DROP"
qemu-img create -q -f qcow2 "$DROP/base.qcow2" 16M &&
	qemu-io -f qcow2 -c "write -P 0xee 0 64k" "$DROP/base.qcow2" >/dev/null &&
	chown libvirt-qemu: "$DROP/base.qcow2"
ln -s "$GOLDEN/mid.qcow2" "$DROP/link.qcow2" && chown -h libvirt-qemu: "$DROP/link.qcow2"

# craft_padded TOP BACKING: an overlay naming BACKING whose extension area
# reads, padded (qemu): backing format "raw" (3 bytes, padding 01 01 01 01
# 00), an unknown extension 0x00000501 of 64 bytes, end; unpadded
# (libvirt 9.0): "raw", an unknown 0x01010101 of 5 bytes, then, inside the
# padded reader's unknown extension, backing format "qcow2", end.
craft_padded() {
	qemu-img create -q -f qcow2 -b "$2" -F raw -u "$1" 16M || return 1
	python3 - "$1" "$2" <<'EOF'
import struct, sys
path, backing = sys.argv[1], sys.argv[2].encode()
with open(path, "r+b") as f:
    h = bytearray(f.read(65536))
    hl = struct.unpack(">I", h[100:104])[0]
    area = bytearray(512 - hl)
    ext = struct.pack(">II", 0xe2792aca, 3) + b"raw" + b"\x01\x01\x01\x01\x00"
    ext += struct.pack(">II", 0x00000501, 64)
    lv = struct.pack(">II", 0xe2792aca, 5) + b"qcow2"
    ext += lv + bytes(64 - len(lv))
    area[:len(ext)] = ext
    h[hl:512] = area
    h[512:512 + len(backing)] = backing
    h[8:16] = struct.pack(">Q", 512)
    h[16:20] = struct.pack(">I", len(backing))
    f.seek(0)
    f.write(h[:512 + len(backing)])
EOF
	chown libvirt-qemu: "$1"
}
craft_padded "$IMGDIR/padded.qcow2" "$GOLDEN/mid.qcow2"
craft_padded "$IMGDIR/padsym.qcow2" "$DROP/link.qcow2"
qemu-img create -q -f qcow2 -b "$DROP/link.qcow2" -F qcow2 -u "$IMGDIR/honest.qcow2" 16M
# A golden image whose guest data lives in another file, and a json: name.
qemu-img create -q -f qcow2 -o data_file="$GOLDEN/df.data",data_file_raw=on "$GOLDEN/df.qcow2" 16M
qemu-img create -q -f qcow2 -u -b 'json:{"driver":"file","filename":"'"$DROP"'/base.qcow2"}' \
	-F qcow2 "$IMGDIR/json.qcow2" 16M

PAD=$(dom_name padded)
SYM=$(dom_name padsym)
HON=$(dom_name honest)
DF=$(dom_name datafile)
JS=$(dom_name json)
define_domain "$PAD" "$IMGDIR/padded.qcow2"
define_domain "$SYM" "$IMGDIR/padsym.qcow2"
define_domain "$HON" "$IMGDIR/honest.qcow2"
define_domain "$DF" "$GOLDEN/df.qcow2"
define_domain "$JS" "$IMGDIR/json.qcow2"

# --- the attacks are real: what libvirt builds, ungated -----------------
# lv_chain DOM: start it without the gate, print the <source file> of
# every layer libvirt put in the live XML, stop it.
lv_chain() {
	start_dom "$1" || { echo "START-FAILED: $(start_err "$1")"; return; }
	virsh_ dumpxml "$1" | sed -n "s/.*<source file='\([^']*\)'.*/\1/p"
	virsh_ destroy "$1" >/dev/null 2>&1
}
# qemu_chain FILE: the files qemu-img's padded reading finds.
qemu_chain() { qemu-img info -U --backing-chain "$1" 2>&1 | sed -n 's/^image: //p'; }

qemu_chain "$IMGDIR/padded.qcow2" >"$WORK/padded.qemu"
lv_chain "$PAD" >"$WORK/padded.lv"
if ! grep -q base.qcow2 "$WORK/padded.qemu" && grep -qx "$GOLDEN/base.qcow2" "$WORK/padded.lv"; then
	pass padded-readers-differ
	echo "       (qemu-img: $(tr '\n' ' ' <"$WORK/padded.qemu")| libvirt: $(tr '\n' ' ' <"$WORK/padded.lv"))"
else
	fail padded-readers-differ "qemu-img: $(tr '\n' ' ' <"$WORK/padded.qemu") libvirt: $(tr '\n' ' ' <"$WORK/padded.lv")"
fi
qemu_chain "$IMGDIR/padsym.qcow2" >"$WORK/padsym.qemu"
lv_chain "$SYM" >"$WORK/padsym.lv"
if ! grep -q base.qcow2 "$WORK/padsym.qemu" && grep -qx "$DROP/base.qcow2" "$WORK/padsym.lv"; then
	pass padded-symlink-ends-at-attackers-image
	echo "       (libvirt: $(tr '\n' ' ' <"$WORK/padsym.lv"))"
else
	fail padded-symlink-ends-at-attackers-image "qemu-img: $(tr '\n' ' ' <"$WORK/padsym.qemu") libvirt: $(tr '\n' ' ' <"$WORK/padsym.lv")"
fi
lv_chain "$HON" >"$WORK/honest.lv"
grep -qx "$DROP/base.qcow2" "$WORK/honest.lv" && pass honest-symlink-ends-at-attackers-image ||
	fail honest-symlink-ends-at-attackers-image "libvirt: $(tr '\n' ' ' <"$WORK/honest.lv")"
qemu-img info -U "$GOLDEN/df.qcow2" | grep -q "data file: $GOLDEN/df.data" &&
	pass data-file-names-another-file || fail data-file-names-another-file "$(qemu-img info -U "$GOLDEN/df.qcow2" | tr '\n' ' ')"

# --- the gate refuses each, dry run --------------------------------------
dom_xml() { virsh_ dumpxml --inactive "$1" >"$WORK/$1.dry.xml" && echo "$WORK/$1.dry.xml"; }
expect_gate_refuse() { # CASE DOM TEXT...
	local case=$1 xml rc t
	xml=$(dom_xml "$2")
	shift 2
	timeout 60 "$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$xml" >"$WORK/last.out" 2>"$WORK/last.err"
	rc=$?
	[ "$rc" = 1 ] || { fail "$case" "exit $rc, want 1: $(cat "$WORK/last.out" "$WORK/last.err" | head -c 300)"; return; }
	for t in "$@"; do
		grep -qF -- "$t" "$WORK/last.out" ||
			{ fail "$case" "lacks \"$t\": $(cat "$WORK/last.out" "$WORK/last.err" | head -c 400)"; return; }
	done
	pass "$case"
	echo "       ($(head -c 300 "$WORK/last.out"))"
}
"$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$(dom_xml "$OK")" >"$WORK/last.out" 2>&1 &&
	pass dry-golden-chain-allowed || fail dry-golden-chain-allowed "$(head -c 300 "$WORK/last.out")"
expect_gate_refuse dry-padded-refused "$PAD" "refuse: " "$IMGDIR/padded.qcow2: declared qcow2: header extension padding is not zero"
expect_gate_refuse dry-padded-symlink-refused "$SYM" "refuse: " "$IMGDIR/padsym.qcow2: declared qcow2: header extension padding is not zero"
expect_gate_refuse dry-honest-symlink-refused "$HON" "refuse: " \
	"the symlink $DROP/link.qcow2 lies in a directory others than root can write"
expect_gate_refuse dry-data-file-refused "$DF" "refuse: " \
	"$GOLDEN/df.qcow2: declared qcow2: external data file (incompatible feature bit 2)"
expect_gate_refuse dry-json-backing-refused "$JS" "refuse: " \
	"backing file json:{" "is a protocol or json: name, not a local file"

# The layer hashed must be the file whose header gave the chain: the
# golden mid replaced (by an identical copy: a new inode) between reading
# the chain and hashing it is refused. The window is held open with the
# gate's test seam HOSTGATE_TEST_GATE_PAUSE=measure:MS.
HOSTGATE_TEST_GATE_PAUSE=measure:3000 "$HG_ATTEST" gate --config "$GATECONF" \
	--domain-xml "$(dom_xml "$OK")" >"$WORK/swap.out" 2>&1 &
GATE=$!
sleep 1.5
cp -p "$GOLDEN/mid.qcow2" "$GOLDEN/.mid" && mv "$GOLDEN/.mid" "$GOLDEN/mid.qcow2"
wait "$GATE"
rc=$?
if [ "$rc" = 1 ] && grep -qF "refuse: image $GOLDEN/mid.qcow2: is not the file whose header was read (replaced since)" "$WORK/swap.out"; then
	pass dry-layer-replaced-after-reading-refused
	echo "       ($(head -c 300 "$WORK/swap.out"))"
else
	fail dry-layer-replaced-after-reading-refused "exit $rc: $(head -c 300 "$WORK/swap.out")"
fi

# --- and on virsh start ----------------------------------------------------
hook_add
expect_started "$OK" start-golden-chain-allowed
virsh_ destroy "$OK" >/dev/null 2>&1
expect_refused "$PAD" start-padded-refused "header extension padding is not zero"
expect_refused "$SYM" start-padded-symlink-refused "header extension padding is not zero"
expect_refused "$HON" start-honest-symlink-refused "lies in a directory others than root can write"
expect_refused "$DF" start-data-file-refused "external data file"
expect_refused "$JS" start-json-backing-refused "json: name"
exit 0
