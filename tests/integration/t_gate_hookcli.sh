#!/bin/bash
# t_gate_hookcli.sh: the hook as libvirtd calls it, without a VM.
#
# 'hook run' for every operation but "prepare begin" must exit 0 at once
# whatever its input (libvirtd kills a running VM whose reconnect or
# attach hook fails); "prepare begin" must refuse what it cannot read with
# one line on stderr; 'gate --domain-xml' fails closed on a disk it cannot
# hash; 'hook install' and 'hook uninstall' leave nothing behind and never
# remove a hook that is not hostgate's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (/etc/libvirt/hooks)"; exit 0; }
start_libvirt
gate_host

# run_hook NAME CASE CONFIG OP SUBOP < STDIN: 'hook run' as libvirtd runs it.
run_hook() {
	local name=$1 conf=$2
	shift 2
	"$HG_ATTEST" hook run --config "$conf" "$name" "$@" - >"$WORK/last.out" 2>"$WORK/last.err"
}

# --- every other operation: exit 0, silent, whatever the input ------------
"$ROOT/swtpm-fixtures/swtpm-stop.sh" "$SWTPM_DIR" >/dev/null 2>&1 # no TPM at all
head -c 4096 /dev/urandom >"$WORK/garbage"
for op in "reconnect begin" "release end" "stopped end" "start begin" "started begin" \
	"attach begin" "migrate begin" "restore begin" "release begin"; do
	set -- $op
	for conf in "$GATECONF" /nonexistent/gate.conf; do
		tag=$1-$2-$([ "$conf" = "$GATECONF" ] && echo no-tpm || echo no-config)
		run_hook dom "$conf" "$1" "$2" <"$WORK/garbage"
		rc=$?
		if [ "$rc" = 0 ] && [ ! -s "$WORK/last.err" ]; then
			pass "$tag-exits-0"
		else
			fail "$tag-exits-0" "exit $rc: $(head -c 200 "$WORK/last.err")"
		fi
	done
done
# A closed stdin (libvirtd passes the XML only to some calls).
"$HG_ATTEST" hook run --config /nonexistent/gate.conf dom stopped end - <&- >/dev/null 2>&1
[ $? = 0 ] && pass stopped-end-closed-stdin-exits-0 || fail stopped-end-closed-stdin-exits-0 "nonzero"
# It does not even wait for stdin: a reconnect with a stdin that never ends.
if timeout 5 "$HG_ATTEST" hook run --config /nonexistent/gate.conf dom reconnect begin - \
	< <(sleep 30) >/dev/null 2>&1; then
	pass reconnect-does-not-read-stdin
else
	fail reconnect-does-not-read-stdin "exit $? (124: it hung on stdin)"
fi

# --- prepare begin: what cannot be read is refused, in one line -----------
gate_host # a working TPM again
D=$(dom_name cli)
mk_golden "$GOLDEN/$D.qcow2"
domain_xml "$D" "$GOLDEN/$D.qcow2" >"$WORK/good.xml"

# refuse_case CASE NAME STDIN_FILE TEXT...: exit 1, exactly one stderr line
# "hostgate: NAME: refused: ..." that contains every TEXT.
refuse_case() {
	local case=$1 name=$2 in=$3 t rc lines
	shift 3
	run_hook "$name" "$GATECONF" prepare begin <"$in"
	rc=$?
	lines=$(wc -l <"$WORK/last.err")
	if [ "$rc" != 1 ]; then
		fail "$case" "exit $rc, want 1: $(head -c 300 "$WORK/last.err")"
		return
	fi
	if [ "$lines" != 1 ]; then
		fail "$case" "$lines stderr lines, want 1: $(head -c 300 "$WORK/last.err")"
		return
	fi
	for t in "hostgate: $name: refused: " "$@"; do
		grep -qF -- "$t" "$WORK/last.err" ||
			{ fail "$case" "stderr lacks \"$t\": $(head -c 300 "$WORK/last.err")"; return; }
	done
	pass "$case"
}

printf 'this is not XML\n' >"$WORK/notxml"
refuse_case garbage-xml-refused "$D" "$WORK/notxml" "XML"
head -c 300 "$WORK/good.xml" >"$WORK/truncated.xml"
refuse_case truncated-xml-refused "$D" "$WORK/truncated.xml" "XML"
: >"$WORK/empty.xml"
refuse_case empty-stdin-refused "$D" "$WORK/empty.xml" "XML"
refuse_case binary-stdin-refused "$D" "$WORK/garbage" "XML"
refuse_case name-mismatch-refused "hgt$$-other" "$WORK/good.xml" "$D"
cat >"$WORK/entities.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE domain [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<domain type='qemu'><name>&f;</name></domain>
EOF
start=$(date +%s)
refuse_case entity-expansion-refused "$D" "$WORK/entities.xml"
[ $(($(date +%s) - start)) -le 5 ] && pass entity-expansion-refused-fast ||
	fail entity-expansion-refused-fast "took $(($(date +%s) - start)) s"
# No gate config at all: refused, naming it.
"$HG_ATTEST" hook run --config /nonexistent/gate.conf "$D" prepare begin - \
	<"$WORK/good.xml" >/dev/null 2>"$WORK/last.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l <"$WORK/last.err")" = 1 ] &&
	grep -qF "hostgate: $D: refused: " "$WORK/last.err" && grep -qF /nonexistent/gate.conf "$WORK/last.err"; then
	pass no-config-prepare-refused
else
	fail no-config-prepare-refused "exit $rc: $(head -c 300 "$WORK/last.err")"
fi

# No TPM: refused in one line (the TSS's own logging must not add lines:
# libvirt shows the hook's whole stderr as virsh start's error).
"$ROOT/swtpm-fixtures/swtpm-stop.sh" "$SWTPM_DIR" >/dev/null 2>&1
refuse_case no-tpm-refused-in-one-line "$D" "$WORK/good.xml" "TPM"
gate_host

# --- gate --domain-xml fails closed on disks it cannot hash ---------------
expect_gate_refuse() {
	local case=$1 xml=$2 t rc
	shift 2
	timeout 30 "$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$xml" >"$WORK/last.out" 2>"$WORK/last.err"
	rc=$?
	if [ "$rc" != 1 ]; then
		fail "$case" "exit $rc, want 1 (124: hung): $(cat "$WORK/last.out" "$WORK/last.err" | head -c 300)"
		return
	fi
	for t in "$@"; do
		cat "$WORK/last.out" "$WORK/last.err" | grep -qF -- "$t" ||
			{ fail "$case" "output lacks \"$t\": $(cat "$WORK/last.out" "$WORK/last.err" | head -c 300)"; return; }
	done
	pass "$case"
}

if gate_learn "$WORK/good.xml" 2>"$WORK/learn.err"; then
	pass learn-from-xml
else
	fail learn-from-xml "$(head -c 300 "$WORK/learn.err")"
fi
"$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$WORK/good.xml" >"$WORK/last.out" 2>"$WORK/last.err"
rc=$?
[ "$rc" = 0 ] && grep -q '^allow' "$WORK/last.out" && pass gate-dry-run-allows ||
	fail gate-dry-run-allows "exit $rc: $(cat "$WORK/last.out" "$WORK/last.err" | head -c 300)"

domain_xml "$D" "$GOLDEN/missing.qcow2" >"$WORK/missing.xml"
expect_gate_refuse missing-image-refused "$WORK/missing.xml" "refuse" "$GOLDEN/missing.qcow2"
mkfifo "$GOLDEN/fifo.qcow2"
domain_xml "$D" "$GOLDEN/fifo.qcow2" >"$WORK/fifo.xml"
expect_gate_refuse fifo-image-refused-without-hanging "$WORK/fifo.xml" "refuse" "$GOLDEN/fifo.qcow2"
mkdir "$GOLDEN/dir.qcow2"
domain_xml "$D" "$GOLDEN/dir.qcow2" >"$WORK/dir.xml"
expect_gate_refuse directory-image-refused "$WORK/dir.xml" "refuse" "$GOLDEN/dir.qcow2"
# A backing file outside image-dirs, reached from a layer inside.
mk_golden "$OUTSIDE/base.qcow2"
mk_overlay "$OUTSIDE/base.qcow2" "$IMGDIR/escape.qcow2"
domain_xml "$D" "$IMGDIR/escape.qcow2" >"$WORK/escape.xml"
expect_gate_refuse backing-outside-image-dirs-refused "$WORK/escape.xml" "refuse" "$OUTSIDE/base.qcow2"
# A symlink inside image-dirs that points outside.
ln -s "$OUTSIDE/base.qcow2" "$GOLDEN/link-out.qcow2"
domain_xml "$D" "$GOLDEN/link-out.qcow2" >"$WORK/linkout.xml"
expect_gate_refuse symlink-out-of-image-dirs-refused "$WORK/linkout.xml" "refuse" "$OUTSIDE/base.qcow2"

# --- install and uninstall -------------------------------------------------
ls -A /etc/libvirt/hooks /etc/libvirt/hooks/qemu.d 2>/dev/null >"$WORK/hooks.before"
if [ -e "$HOOK_FILE" ]; then
	fail install-uninstall "$HOOK_FILE exists before the test (another run?)"
else
	_LV_HOOKS=1
	"$HG_ATTEST" hook install --config "$GATECONF" >"$WORK/last.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && [ -x "$HOOK_FILE" ] && grep -qF "$GATECONF" "$HOOK_FILE"; then
		pass hook-install-writes-executable-hook
	else
		fail hook-install-writes-executable-hook "exit $rc: $(head -c 300 "$WORK/last.out")"
	fi
	# The hook as installed, run as libvirtd runs it (empty environment).
	env -i "$HOOK_FILE" "$D" prepare begin - <"$WORK/good.xml" >/dev/null 2>"$WORK/last.err"
	rc=$?
	[ "$rc" = 0 ] && pass installed-hook-allows-learned-domain ||
		fail installed-hook-allows-learned-domain "exit $rc: $(head -c 300 "$WORK/last.err")"
	# libvirtd writes the XML into a pipe, not a file.
	cat "$WORK/good.xml" | env -i "$HOOK_FILE" "$D" prepare begin - >/dev/null 2>"$WORK/last.err"
	rc=$?
	[ "$rc" = 0 ] && pass installed-hook-reads-xml-from-pipe ||
		fail installed-hook-reads-xml-from-pipe "exit $rc: $(head -c 300 "$WORK/last.err")"
	env -i "$HOOK_FILE" "$D" release end - </dev/null >/dev/null 2>&1
	[ $? = 0 ] && pass installed-hook-release-end-exits-0 || fail installed-hook-release-end-exits-0 "nonzero"
	"$HG_ATTEST" hook uninstall >"$WORK/last.out" 2>&1
	rc=$?
	ls -A /etc/libvirt/hooks /etc/libvirt/hooks/qemu.d 2>/dev/null >"$WORK/hooks.after"
	if [ "$rc" = 0 ] && [ ! -e "$HOOK_FILE" ] && cmp -s "$WORK/hooks.before" "$WORK/hooks.after"; then
		pass install-uninstall-leaves-nothing
	else
		fail install-uninstall-leaves-nothing "exit $rc: $(diff "$WORK/hooks.before" "$WORK/hooks.after" | tr '\n' ' ')"
	fi
fi

if [ -e "$HOOK_LEGACY" ]; then
	skip legacy-install-uninstall "$HOOK_LEGACY exists and is not ours"
else
	"$HG_ATTEST" hook install --legacy --config "$GATECONF" >"$WORK/last.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && [ -x "$HOOK_LEGACY" ] && pass legacy-install ||
		fail legacy-install "exit $rc: $(head -c 300 "$WORK/last.out")"
	"$HG_ATTEST" hook uninstall --legacy >"$WORK/last.out" 2>&1
	rc=$?
	ls -A /etc/libvirt/hooks /etc/libvirt/hooks/qemu.d 2>/dev/null >"$WORK/hooks.after"
	if [ "$rc" = 0 ] && [ ! -e "$HOOK_LEGACY" ] && cmp -s "$WORK/hooks.before" "$WORK/hooks.after"; then
		pass legacy-uninstall-leaves-nothing
	else
		fail legacy-uninstall-leaves-nothing "exit $rc: $(diff "$WORK/hooks.before" "$WORK/hooks.after" | tr '\n' ' ')"
	fi
fi

# A hook at our path that hostgate did not write is not ours to remove.
if [ ! -e "$HOOK_FILE" ]; then
	mkdir -p "$(dirname "$HOOK_FILE")"
	printf '#!/bin/sh\n# an operator'"'"'s own hook\nexit 0\n' >"$HOOK_FILE"
	chmod 755 "$HOOK_FILE"
	"$HG_ATTEST" hook uninstall --no-reload >"$WORK/last.out" 2>&1
	if [ -f "$HOOK_FILE" ] && grep -q "operator's own hook" "$HOOK_FILE"; then
		pass uninstall-keeps-foreign-hook
	else
		fail uninstall-keeps-foreign-hook "the foreign hook was removed"
	fi
	rm -f "$HOOK_FILE"
fi
exit 0
