#!/bin/bash
# t_gate_restart.sh: a libvirtd restart never costs a running VM.
#
# libvirtd calls the hook with "reconnect begin" for every running domain
# when it starts, and kills a domain whose reconnect hook fails. So with a
# VM running and the gate unable to decide anything (policy gone, TPM
# stopped), a libvirtd restart must leave the VM running: same qemu
# process, domstate running. New starts are still refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (libvirtd)"; exit 0; }
start_libvirt
gate_host

D=$(dom_name run)
D2=$(dom_name new)
mk_golden "$GOLDEN/$D-base.qcow2"
mk_overlay "$GOLDEN/$D-base.qcow2" "$IMGDIR/$D-top.qcow2"
define_domain "$D" "$IMGDIR/$D-top.qcow2"
mk_golden "$GOLDEN/$D2.qcow2"
define_domain "$D2" "$GOLDEN/$D2.qcow2"
gate_learn "$D" "$D2" 2>"$WORK/learn.err" && pass learn-policy ||
	fail learn-policy "$(head -c 300 "$WORK/learn.err")"
hook_add >"$WORK/install.out" 2>&1 && pass hook-installed ||
	fail hook-installed "$(head -c 300 "$WORK/install.out")"

expect_started "$D" start-allowed
pid_before=$(qemu_pid "$D")

# The gate can decide nothing now: no policy, no TPM.
mv "$POLICY" "$POLICY.away"
"$ROOT/swtpm-fixtures/swtpm-stop.sh" "$SWTPM_DIR" >/dev/null 2>&1

lv_pid=$(cat /run/libvirtd.pid 2>/dev/null)
kill "$lv_pid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$lv_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$lv_pid" 2>/dev/null; then
	fail libvirtd-stopped "libvirtd $lv_pid still runs 10 s after SIGTERM"
else
	pass libvirtd-stopped
fi
# While libvirtd is down the VM runs on.
[ -n "$pid_before" ] && kill -0 "$pid_before" 2>/dev/null && pass vm-survives-libvirtd-exit ||
	fail vm-survives-libvirtd-exit "qemu pid '$pid_before' gone"

start_libvirtd && pass libvirtd-restarted || fail libvirtd-restarted "libvirtd did not come back"
# libvirtd reconnects to each qemu (and runs the reconnect hook) while it
# starts; give it a moment to settle before judging.
for _ in $(seq 50); do
	[ "$(virsh_ domstate "$D" 2>/dev/null)" = running ] && break
	sleep 0.1
done
sleep 1
st=$(virsh_ domstate "$D" 2>&1)
[ "$st" = running ] && pass domstate-running-after-restart ||
	fail domstate-running-after-restart "domstate '$st'"
pid_after=$(qemu_pid "$D")
if [ -n "$pid_before" ] && [ "$pid_before" = "$pid_after" ] && kill -0 "$pid_after" 2>/dev/null; then
	pass same-qemu-process-after-restart
else
	fail same-qemu-process-after-restart "qemu pid before $pid_before, after '$pid_after'"
fi
virsh_ list --name | grep -qx "$D" && pass listed-after-restart || fail listed-after-restart "not in virsh list"

# The gate is still in force after the restart: a new start is refused
# (for want of a TPM, the first thing it misses).
expect_refused "$D2" new-start-refused-after-restart

virsh_ destroy "$D" >/dev/null 2>&1
exit 0
