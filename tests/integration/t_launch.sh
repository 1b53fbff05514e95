#!/bin/bash
# t_launch.sh: launch records (issue 14 item 5), with a real libvirtd,
# qemu (TCG), the installed gate hook and a swtpm.
#
#  - every allowed start appends a launch record naming the domain, its
#    UUID and the config, image and overlay records the start rested on;
#    a refused start and the dry run (gate --domain-xml) write none; a
#    start whose launch record cannot be written is refused;
#  - check --running judges each running VM by its own launch record:
#    the image revoked in the policy turns the host untrusted naming the
#    VM, its UUID, the launch record, the image record and its digest; a
#    good copy measured over the image's path afterwards (which makes the
#    plain check trusted again) does not hide it; a VM not running is not
#    judged; a running VM with no launch record is untrusted; restarting
#    from the good copy is trusted;
#  - a launch record the gate would never write (signed with the host's
#    key and extended, so the quote binds it) is invalid, exit 3, with the
#    reason: a ref to a hypervisor record, or to a record after it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (libvirtd, /etc/libvirt/hooks)"; exit 0; }
LOGTOOL=$BUILD/tests/tools/logtool
[ -x "$LOGTOOL" ] || { fail setup "logtool not built (run make)"; exit 1; }
cp "$LOGTOOL" "$WORK/bin/" && LOGTOOL=$WORK/bin/logtool
start_libvirt
gate_host

D=$(dom_name launch)
BASE=$GOLDEN/$D-base.qcow2
TOP=$IMGDIR/$D-top.qcow2
CFG=/etc/libvirt/qemu/$D.xml
mk_golden "$BASE"
mk_overlay "$BASE" "$TOP"
define_domain "$D" "$TOP"
UUID=$(virsh_ domuuid "$D")
N=$(openssl rand -hex 16)

show_json() { "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json"; }
nrec() { show_json; jq '.records | length' "$WORK/show.json"; }
quote() { "$HG_ATTEST" quote --nonce "$N" -o "$WORK/ev.cbor" >/dev/null; }
# running: the running domains as the agent lists them, from libvirt.
running() {
	local d
	for d in $(virsh_ list --name); do
		jq -n --arg n "$d" --arg u "$(virsh_ domuuid "$d")" --argjson i "$(virsh_ domid "$d")" \
			'{name: $n, uuid: $u, id: $i}'
	done | jq -s . >"$WORK/running.json"
}
# check POLICY [ARGS]: check the last quote.
check() {
	local p=$1
	shift
	"$HG_VERIFY" check --ak "$AKPUB" --nonce "$N" --policy "$p" "$@" "$WORK/ev.cbor"
}
expect_json() { # FILTER WANT NAME: jq FILTER over the last stdout
	local got
	got=$(jq -c "$1" "$WORK/last.out" 2>&1)
	[ "$got" = "$2" ] && pass "$3" || fail "$3" "got $got, want $2"
}

gate_learn "$D" 2>"$WORK/learn.err" && pass learn-policy ||
	fail learn-policy "$(head -c 300 "$WORK/learn.err")"
hook_add >"$WORK/install.out" 2>&1 && pass hook-installed ||
	fail hook-installed "$(head -c 300 "$WORK/install.out")"

# --- 1. an allowed start appends its launch record ------------------------
n0=$(nrec)
expect_started "$D" start-allowed
show_json
L=$(jq --arg u "$UUID" '[.records[] | select(.type == "launch" and .uuid == $u)] | last | .recnum' "$WORK/show.json")
CFGREC=$(jq --arg n "$CFG" '[.records[] | select(.kind == "config" and .name == $n)] | last | .recnum' "$WORK/show.json")
BASEREC=$(jq --arg n "$BASE" '[.records[] | select(.kind == "image" and .name == $n)] | last | .recnum' "$WORK/show.json")
TOPREC=$(jq --arg n "$TOP" '[.records[] | select(.kind == "overlay" and .name == $n)] | last | .recnum' "$WORK/show.json")
OLD=$(sha256_of "$BASE")
[ "$L" != null ] && [ "$L" -ge "$n0" ] && [ "$L" = "$(($(nrec) - 1))" ] &&
	pass launch-record-appended || fail launch-record-appended "launch $L, records $n0 -> $(nrec)"
got=$(jq -c --argjson l "$L" '.records[$l] | [.domain, ([.refs[] | [.record, .kind]])]' "$WORK/show.json")
want=$(jq -nc --arg d "$D" --argjson c "$CFGREC" --argjson b "$BASEREC" --argjson t "$TOPREC" \
	'[$d, ([[$c, "config"], [$b, "image"], [$t, "overlay"]] | sort)]')
[ "$got" = "$want" ] && pass launch-names-config-image-overlay ||
	fail launch-names-config-image-overlay "got $got, want $want"
# Each ref carries the referenced record's extended digest.
jq -e --argjson l "$L" '.records as $r | .records[$l].refs | all(.digests.sha256 == $r[.record].digests.sha256)' \
	"$WORK/show.json" >/dev/null && pass launch-refs-carry-record-digests ||
	fail launch-refs-carry-record-digests "$(jq -c --argjson l "$L" '.records[$l]' "$WORK/show.json" | head -c 300)"
"$HG_VERIFY" show --log "$HOSTGATE_LOG" >"$WORK/show.txt"
grep -qF "#$L pcr 13 launch $D uuid $UUID (3 records)" "$WORK/show.txt" && pass show-prints-launch ||
	fail show-prints-launch "$(grep launch "$WORK/show.txt" | head -3)"

# --- 2. check --running: the running VM, by its launch record --------------
running
quote || fail quote "quote failed"
expect_exit 0 running-vm-trusted check "$POLICY" --running "$WORK/running.json"
expect_json "[.verdict, (.vms | map([.name, .uuid, .launch, .status]))]" \
	"$(jq -nc --arg d "$D" --arg u "$UUID" --argjson l "$L" '["trusted", [[$d, $u, $l, "trusted"]]]')" running-verdict-names-vm
expect_json '[.checks[] | select(.check == "vms") | .result]' '["pass"]' running-check-vms-pass
# Without --running, nothing changes: no "vms", no check of that name.
expect_exit 0 plain-check-unchanged check "$POLICY"
expect_json '[has("vms"), ([.checks[] | select(.check == "vms")] | length)]' '[false,0]' plain-check-has-no-vms
# learn ignores launch records.
"$HG_VERIFY" learn --ak "$AKPUB" --nonce "$N" "$WORK/ev.cbor" >"$WORK/learned.json" 2>"$WORK/learn.err" &&
	jq -e '.measurements | has("launch") | not' "$WORK/learned.json" >/dev/null && pass learn-ignores-launch ||
	fail learn-ignores-launch "$(head -c 300 "$WORK/learn.err")"

# --- 3. the image is revoked: untrusted for that VM -------------------------
# The revoking policy allows only the good copy that will replace it.
cp "$BASE" "$WORK/good.qcow2"
qemu-io -f qcow2 -c "write -P 0x5a 2M 64k" "$WORK/good.qcow2" >/dev/null
NEW=$(sha256_of "$WORK/good.qcow2")
jq --arg b "$BASE" --arg d "$NEW" '.measurements.image[$b].sha256 = [$d]' "$POLICY" >"$WORK/revoked.json"
expect_exit 1 revoked-image-untrusted check "$WORK/revoked.json" --running "$WORK/running.json"
# (stderr names the host's first failure: the latest record of the image
# is the revoked one too, until section 4 measures a good copy.)
expect_json '[.failures[] | select(.check == "vms") | .reason]' \
	"$(jq -nc --arg r "vm $D (uuid $UUID): launch record $L: record $BASEREC: image $BASE: digest not allowed by the policy (sha256:$OLD)" '[$r]')" \
	revoked-names-vm-launch-record-digest
expect_json "[.verdict, (.vms[0] | [.status, .launch, (.failures[0] | [.check, .vm, .uuid, .launch, .record, .digest.sha256])])]" \
	"$(jq -nc --arg d "$D" --arg u "$UUID" --argjson l "$L" --argjson b "$BASEREC" --arg o "$OLD" \
		'["untrusted", ["untrusted", $l, ["vms", $d, $u, $l, $b, $o]]]')" revoked-verdict-json

# --- 4. a good copy measured over the path does not hide it -----------------
cp "$WORK/good.qcow2" "$BASE"
chown libvirt-qemu: "$BASE"
"$HG_ATTEST" measure --kind image "$BASE" >/dev/null || fail measure-good-copy "measure failed"
quote || fail quote2 "quote failed"
expect_exit 0 good-copy-hides-it-from-plain-check check "$WORK/revoked.json"
expect_exit 1 good-copy-does-not-hide-running-vm check "$WORK/revoked.json" --running "$WORK/running.json"
expect_err "launch record $L: record $BASEREC: image $BASE: digest not allowed by the policy (sha256:$OLD)" good-copy-still-names-old-record

# --- 5. a VM not running is not judged; an unknown one is ------------------
virsh_ destroy "$D" >/dev/null 2>&1
running
expect_exit 0 stopped-vm-not-judged check "$WORK/revoked.json" --running "$WORK/running.json"
expect_json '.vms' '[]' stopped-vm-no-vms
STRAY=$(cat /proc/sys/kernel/random/uuid)
echo "[{\"name\": \"stray\", \"uuid\": \"$STRAY\", \"id\": 9}]" >"$WORK/stray.json"
expect_exit 1 unknown-vm-untrusted check "$WORK/revoked.json" --running "$WORK/stray.json"
expect_err "vms: vm stray (uuid $STRAY): running, but no launch record in the log" unknown-vm-named
expect_json '.vms[0].status' '"unknown"' unknown-vm-status
echo '[{"name": "x", "uuid": "not-a-uuid"}]' >"$WORK/bad-running.json"
expect_exit 2 bad-running-list-refused check "$WORK/revoked.json" --running "$WORK/bad-running.json"
expect_err "bad-running.json: running: \$[0].uuid: missing, or not a UUID" bad-running-list-why

# --- 6. restarted from the good copy: the new launch record decides --------
cp "$WORK/revoked.json" "$POLICY"
expect_started "$D" restart-good-copy-allowed
show_json
L2=$(jq --arg u "$UUID" '[.records[] | select(.type == "launch" and .uuid == $u)] | last | .recnum' "$WORK/show.json")
running
quote || fail quote3 "quote failed"
expect_exit 0 restarted-vm-trusted check "$WORK/revoked.json" --running "$WORK/running.json"
expect_json '.vms[0] | [.launch, .status]' "[$L2,\"trusted\"]" restarted-vm-judged-by-new-launch
virsh_ destroy "$D" >/dev/null 2>&1

# --- 7. no launch record without a start, no start without a launch record -
n1=$(nrec)
virsh_ dumpxml --inactive "$D" >"$WORK/dom.xml"
"$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$WORK/dom.xml" >"$WORK/gate.out" 2>&1 &&
	[ "$(nrec)" = "$n1" ] && pass dry-run-writes-no-launch ||
	fail dry-run-writes-no-launch "exit/records: $(head -c 200 "$WORK/gate.out") $n1 -> $(nrec)"
tamper_image "$BASE"
expect_refused "$D" tampered-start-refused "image $BASE"
[ "$(jq '[.records[] | select(.type == "launch")] | length' <("$HG_VERIFY" show --log "$HOSTGATE_LOG" --json))" = \
	"$(jq '[.records[] | select(.type == "launch")] | length' "$WORK/show.json")" ] &&
	pass refused-start-writes-no-launch || fail refused-start-writes-no-launch "a launch record appeared"
cp "$WORK/good.qcow2" "$BASE"
# The hook itself (the production path, as libvirtd calls it) on a domain
# XML without <uuid>, which the policy allows: the verdict is trusted, but
# no launch record can name the VM, so the start is refused.
sed '/<uuid>/d' "$WORK/dom.xml" >"$WORK/nouuid.xml"
gate_learn "$WORK/nouuid.xml" 2>"$WORK/learn.err" || fail learn-nouuid "$(head -c 300 "$WORK/learn.err")"
n2=$(nrec)
"$HG_ATTEST" hook run --config "$GATECONF" "$D" prepare begin - <"$WORK/nouuid.xml" >"$WORK/last.out" 2>"$WORK/last.err"
rc=$?
[ "$rc" = 1 ] && pass no-launch-record-no-start || fail no-launch-record-no-start "exit $rc"
expect_err "hostgate: $D: refused: domain XML: no <uuid>, more than one, or not a UUID: no launch record can name this VM" no-launch-record-why
[ "$(jq '[.records[] | select(.type == "launch")] | length' <("$HG_VERIFY" show --log "$HOSTGATE_LOG" --json))" = \
	"$(jq '[.records[] | select(.type == "launch")] | length' "$WORK/show.json")" ] &&
	pass uuidless-writes-no-launch || fail uuidless-writes-no-launch "a launch record appeared"
# The same hook call with the UUID: allowed, and its launch record is last.
virsh_ dumpxml --inactive "$D" >"$WORK/dom.xml"
gate_learn "$D" 2>"$WORK/learn.err" || fail relearn "$(head -c 300 "$WORK/learn.err")"
"$HG_ATTEST" hook run --config "$GATECONF" "$D" prepare begin - <"$WORK/dom.xml" >"$WORK/last.out" 2>"$WORK/last.err" &&
	show_json && [ "$(jq -r '.records | last | [.type, .domain, .uuid] | join(" ")' "$WORK/show.json")" = "launch $D $UUID" ] &&
	pass hook-allowed-writes-launch-last || fail hook-allowed-writes-launch-last "$(head -c 300 "$WORK/last.err")"

# --- 8. launch records the gate never writes: invalid ----------------------
# Signed with the host's log key and extended into the PCR, so the quote
# binds them: only the verifier's rules stand between them and a verdict.
echo "[{\"name\": \"$D\", \"uuid\": \"$UUID\"}]" >"$WORK/claimed.json"
show_json
HV=$(jq '[.records[] | select(.kind == "hypervisor")] | first | .recnum' "$WORK/show.json")
hvdig=$(jq -r --argjson h "$HV" '.records[$h].digests.sha256' "$WORK/show.json")
cfgrec=$(jq --arg n "$CFG" '[.records[] | select(.kind == "config" and .name == $n)] | last | .recnum' "$WORK/show.json")
cfgdig=$(jq -r --argjson c "$cfgrec" '.records[$c].digests.sha256' "$WORK/show.json")
NR=$(jq '.records | length' "$WORK/show.json")
# forge NAME REF...: append a launch record for $D and extend it.
forge() {
	local name=$1
	shift
	"$LOGTOOL" launch "$HOSTGATE_STATE/logkey.pem" "$NR" 13 "$D" "$UUID" "$@" >"$WORK/rec-$name" ||
		{ fail "forge-$name" "logtool failed"; return 1; }
	cat "$HOSTGATE_LOG" "$WORK/rec-$name" >"$WORK/log-$name"
}
# Later than itself: the log check refuses it before any replay.
forge later "$cfgrec:config:$cfgdig" "$((NR + 5)):image:$cfgdig" &&
	"$EVTOOL" set log "$WORK/log-later" "$WORK/ev.cbor" >"$WORK/ev-later.cbor" &&
	expect_exit 3 forged-ref-after-itself-invalid "$HG_VERIFY" check --ak "$AKPUB" --nonce "$N" \
		--policy "$POLICY" --running "$WORK/claimed.json" "$WORK/ev-later.cbor" &&
	expect_err "log: record $NR (offset $(stat -c %s "$HOSTGATE_LOG")): launch record refers to a record not before it" forged-ref-after-itself-why
# A hypervisor record named as the image: appended to the real log and
# extended, so the quote is genuine and binds it.
if forge hv "$HV:image:$hvdig" "$cfgrec:config:$cfgdig"; then
	d=$(jq -r '.records | last | .digests.sha256' <("$HG_VERIFY" show --log "$WORK/log-hv" --json))
	cat "$WORK/rec-hv" >>"$HOSTGATE_LOG"
	tpm2_pcrextend -T "$TCTI" "13:sha256=$d" >/dev/null 2>&1 || fail forged-extend "tpm2_pcrextend failed"
	quote || fail quote4 "quote failed"
	expect_exit 3 forged-ref-to-hypervisor-invalid check "$POLICY" --running "$WORK/claimed.json"
	expect_err "vms: vm $D (uuid $UUID): launch record $NR refers to record $HV as an image, but it is not a config, image or overlay record" forged-ref-to-hypervisor-why
	expect_json '[.verdict, .vms[0].status, ([.checks[] | select(.check == "vms") | .result])]' '["invalid","invalid",["fail"]]' forged-verdict-invalid
	# Without --running the record is only a record: the host is judged as before.
	expect_exit 0 forged-plain-check-unchanged check "$POLICY"
fi
