#!/bin/bash
# t_gate_start.sh: the gate in front of a real libvirtd + qemu (TCG).
#
# One domain with a golden qcow2 base and a writable overlay: learn its
# policy, install the hook, and start it with virsh as an operator would.
# Then change one thing at a time and check that virsh start is refused
# with hostgate's reason naming what changed, that a changed policy
# accepts again, and that every decision reaches syslog (authpriv).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (libvirtd, /etc/libvirt/hooks)"; exit 0; }
start_libvirt
start_syslog
[ -n "$SYSLOG" ] || echo "  (syslog assertions skipped: $SYSLOG_WHY)"
gate_host

D=$(dom_name start)
BASE=$GOLDEN/$D-base.qcow2
TOP=$IMGDIR/$D-top.qcow2
mk_golden "$BASE"
mk_overlay "$BASE" "$TOP"
define_domain "$D" "$TOP"

if gate_learn "$D" 2>"$WORK/learn.err"; then
	pass learn-policy
else
	fail learn-policy "$(head -c 400 "$WORK/learn.err")"
fi
jq -e --arg b "$BASE" '.measurements.image[$b].sha256 | length == 1' "$POLICY" >/dev/null &&
	pass policy-has-golden-base || fail policy-has-golden-base "$(jq -c .measurements "$POLICY" 2>&1 | head -c 400)"
jq -e --arg c "/etc/libvirt/qemu/$D.xml" '.measurements.config[$c]' "$POLICY" >/dev/null &&
	pass policy-has-config || fail policy-has-config "no config entry for $D"

if hook_add >"$WORK/install.out" 2>&1 && [ -x "$HOOK_FILE" ]; then
	pass hook-installed
else
	fail hook-installed "$(head -c 300 "$WORK/install.out")"
fi

# --- 1. the learned domain starts, and syslog says so ---------------------
m=$(syslog_mark)
expect_started "$D" start-allowed
expect_syslog "$m" "domain=$D verdict=allow" syslog-allow
virsh_ destroy "$D" >/dev/null 2>&1

# A second start of the unchanged domain: records are reused, not re-added;
# the start's own launch record (docs/gate.md "Launch records") is the one
# record it adds.
n1=$("$HG_VERIFY" show --log "$HOSTGATE_LOG" --json | jq '.records | length')
expect_started "$D" restart-unchanged-allowed
virsh_ destroy "$D" >/dev/null 2>&1
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json"
n2=$(jq '.records | length' "$WORK/show.json")
last=$(jq -r '.records | last | [.type, .domain] | join(" ")' "$WORK/show.json")
[ "$n2" = "$((n1 + 1))" ] && [ "$last" = "launch $D" ] && pass unchanged-start-adds-only-its-launch-record ||
	fail unchanged-start-adds-only-its-launch-record "log grew from $n1 to $n2 records, the last: $last"

# --- 2. the golden base changes: refused, naming the image ----------------
good_base=$(sha256_of "$BASE")
tamper_image "$BASE"
bad_base=$(sha256_of "$BASE")
m=$(syslog_mark)
expect_refused "$D" tampered-base-refused "image $BASE" "digest not allowed"
expect_syslog "$m" "domain=$D verdict=refuse reason=.*$BASE" syslog-refuse-names-image
# The evidence was real: the log holds the bad digest under the base's name.
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json"
jq -e --arg b "$BASE" --arg d "$bad_base" \
	'[.records[] | select(.kind=="image" and .name==$b and .file_digests.sha256==$d)] | length == 1' \
	"$WORK/show.json" >/dev/null && pass tampered-digest-logged ||
	fail tampered-digest-logged "no image record of $BASE with $bad_base"

# --- 3. the policy learns the new digest: accepted again ------------------
policy_allow image "$BASE" "$bad_base"
expect_started "$D" policy-with-new-digest-allowed
virsh_ destroy "$D" >/dev/null 2>&1

# --- 4. a changed config: refused, naming the config record ---------------
define_domain "$D" "$TOP" 96
expect_refused "$D" memory-change-refused "config /etc/libvirt/qemu/$D.xml" "digest not allowed"
case $(reason_of "$D") in
*memory*) pass refusal-says-memory-changed ;;
*) fail refusal-says-memory-changed "reason: $(reason_of "$D")" ;;
esac

define_domain "$D" "$TOP" 64
expect_started "$D" original-config-allowed-again
virsh_ destroy "$D" >/dev/null 2>&1

EXTRA=$GOLDEN/$D-extra.qcow2
mk_golden "$EXTRA"
define_domain "$D" "$TOP" 64 "$EXTRA"
expect_refused "$D" added-disk-refused "config /etc/libvirt/qemu/$D.xml"

# --- 5. re-learn: the new config and its disk are accepted ----------------
if gate_learn "$D" 2>"$WORK/learn.err"; then
	expect_started "$D" relearned-config-allowed
	virsh_ destroy "$D" >/dev/null 2>&1
else
	fail relearned-config-allowed "learn: $(head -c 300 "$WORK/learn.err")"
fi

# --- 6. fail closed -------------------------------------------------------
mv "$POLICY" "$POLICY.away"
m=$(syslog_mark)
expect_refused "$D" missing-policy-refused "$POLICY"
expect_syslog "$m" "domain=$D verdict=refuse" syslog-refuse-missing-policy
mv "$POLICY.away" "$POLICY"
expect_started "$D" policy-back-allowed
virsh_ destroy "$D" >/dev/null 2>&1

echo "not json" >"$POLICY.bad"
cp "$POLICY" "$POLICY.good"
cp "$POLICY.bad" "$POLICY"
expect_refused "$D" invalid-policy-refused "$POLICY"
cp "$POLICY.good" "$POLICY"

mv "$GATECONF" "$GATECONF.away"
expect_refused "$D" missing-gate-conf-refused "$GATECONF"
mv "$GATECONF.away" "$GATECONF"

# A disk qemu could open but the gate may not vouch for (outside
# image-dirs). An unreadable image is refused too (t_gate_hookcli: libvirt
# itself refuses a missing disk before it calls the hook).
mk_golden "$OUTSIDE/$D-stray.qcow2"
define_domain "$D" "$TOP" 64 "$EXTRA" "$OUTSIDE/$D-stray.qcow2"
expect_refused "$D" disk-outside-image-dirs-refused "$OUTSIDE/$D-stray.qcow2"
define_domain "$D" "$TOP" 64 "$EXTRA"

"$ROOT/swtpm-fixtures/swtpm-stop.sh" "$SWTPM_DIR" >/dev/null 2>&1
m=$(syslog_mark)
expect_refused "$D" tpm-stopped-refused "TPM"
expect_syslog "$m" "domain=$D verdict=refuse" syslog-refuse-no-tpm

# --- 7. break-glass: a refused start goes ahead, and says so --------------
gate_host
if gate_learn "$D" 2>"$WORK/learn.err"; then
	pass relearn-on-new-host
else
	fail relearn-on-new-host "$(head -c 300 "$WORK/learn.err")"
fi
tamper_image "$EXTRA"
expect_refused "$D" new-host-tampered-disk-refused "image $EXTRA"
echo "ticket 4711: golden image rebuild pending, approved by ops" >"$BREAKGLASS"
m=$(syslog_mark)
if start_dom "$D" && [ "$(virsh_ domstate "$D")" = running ]; then
	pass break-glass-start-allowed
else
	fail break-glass-start-allowed "$(start_err "$D")"
fi
virsh_ destroy "$D" >/dev/null 2>&1
expect_syslog "$m" "domain=$D verdict=break-glass" syslog-break-glass
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json"
jq -e --arg f "$BREAKGLASS" '[.records[] | select(.kind=="breakglass" and .name==$f)] | length >= 1' \
	"$WORK/show.json" >/dev/null && pass break-glass-recorded-in-log ||
	fail break-glass-recorded-in-log "no breakglass record of $BREAKGLASS: $(jq -c '[.records[] | .kind]' "$WORK/show.json" | head -c 300)"
"$HG_VERIFY" show --log "$HOSTGATE_LOG" >"$WORK/show.txt" 2>&1
grep -q breakglass "$WORK/show.txt" && pass break-glass-shown ||
	fail break-glass-shown "show --log lacks breakglass"
rm -f "$BREAKGLASS"
expect_refused "$D" break-glass-removed-refused-again

# --- 8. uninstall leaves nothing behind -----------------------------------
"$HG_ATTEST" hook uninstall >"$WORK/uninstall.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ ! -e "$HOOK_FILE" ]; then
	pass hook-uninstalled
else
	fail hook-uninstalled "exit $rc, $(ls -l "$HOOK_FILE" 2>&1)"
fi
sleep 0.5
expect_started "$D" no-hook-no-gate
virsh_ destroy "$D" >/dev/null 2>&1
exit 0
