#!/bin/bash
# hygiene.sh: did this test run leave the machine as it found it?
#
#   tests/hygiene.sh snapshot RUNDIR   at the start of the run
#   tests/hygiene.sh check RUNDIR      at the end: one case per kind of
#                                      leftover into $HG_RESULTS
#
# Only what THIS run started counts, since other runs (other worktrees,
# other users) may be going on beside it on the same machine:
#  - daemons (swtpm, libvirtd, virtlogd, socat, qemu, postgres): a process whose
#    environment carries this run's HG_RUN_ID (lib.sh exports it; every
#    daemon a script starts inherits it), or a qemu whose guest name is one
#    of this run's domains;
#  - domains: names "hgt<PID>-..." (libvirt.sh's dom_name) of a script this
#    run ran (RUNDIR/scripts: "PID SCRIPT WORK" per script, from lib.sh),
#    defined (/etc/libvirt/qemu) or running (/run/libvirt/qemu);
#  - image dirs: /var/lib/libvirt/images/hostgate-SCRIPT-PID of those;
#  - hooks: /etc/libvirt/hooks/qemu or qemu.d/hostgate naming one of the
#    scripts' WORK dirs (the hook execs WORK/bin/hostgate-attest);
#  - mounts: a mount point under a script's WORK or image dir (not "any
#    new mount": a run beside this one may hold its own);
#  - PostgreSQL clusters (tests/tools/pgcluster.sh registers each one's
#    directory in RUNDIR/pgclusters): the directory still on disk, or a
#    postgres process serving it. Only the postmaster keeps HG_RUN_ID
#    readable (its children overwrite their environ with the process
#    title), so the directory is what names a cluster's other processes.
# And, whoever did it, /dev/null must still be a character device (1,3):
# when it is not, that is a failure, and it is repaired with mknod so
# that the machine stays usable (docs/testing-hygiene.md says how a
# /dev/null becomes a regular file).
#
# The paths are variables so that t_hygiene.sh can plant leftovers in a
# sandbox: HG_HYG_DEVNULL, HG_HYG_IMGROOT, HG_HYG_HOOKS, HG_HYG_QEMU_ETC,
# HG_HYG_QEMU_RUN.
set -u
DEVNULL=${HG_HYG_DEVNULL:-/dev/null}
IMGROOT=${HG_HYG_IMGROOT:-/var/lib/libvirt/images}
HOOKS=${HG_HYG_HOOKS:-/etc/libvirt/hooks}
QEMU_ETC=${HG_HYG_QEMU_ETC:-/etc/libvirt/qemu}
QEMU_RUN=${HG_HYG_QEMU_RUN:-/run/libvirt/qemu}
RESULTS=${HG_RESULTS:-/dev/stdout}
RUN_ID=${HG_RUN_ID:-}

verdict() { # NAME LEFTOVERS...
	local name=$1
	shift
	if [ $# -eq 0 ]; then
		echo "  PASS $name"
		echo "case run:$name PASS" >>"$RESULTS"
	else
		echo "  FAIL $name: left behind: $*"
		echo "case run:$name FAIL" >>"$RESULTS"
	fi
}

mounts() { awk '{ print $5 }' /proc/self/mountinfo | sort -u; }

# The scripts of this run: "PID SCRIPT WORK" lines.
scripts() { cat "$1/scripts" 2>/dev/null; }

check_devnull() {
	local t
	t=$(stat -c '%F %t,%T' "$DEVNULL" 2>/dev/null)
	if [ "$t" = "character special file 1,3" ]; then
		verdict dev-null-is-a-char-device
		return
	fi
	[ -n "$t" ] && [ "${t#character special file}" = "$t" ] && t=${t% *}
	verdict dev-null-is-a-char-device "$DEVNULL is '${t:-missing}', not the character device 1,3 (repaired with mknod)"
	rm -f "$DEVNULL" && mknod -m 0666 "$DEVNULL" c 1 3
}

check_daemons() {
	local run=$1 d comm env cmd pid s left=()
	for d in /proc/[0-9]*; do
		comm=$(cat "$d/comm" 2>/dev/null) || continue
		case $comm in
		swtpm | libvirtd | virtlogd | socat | qemu-system-* | qemu-kvm | postgres) ;;
		*) continue ;;
		esac
		pid=${d#/proc/}
		env=$(tr '\0' '\n' 2>/dev/null <"$d/environ")
		if [ -n "$RUN_ID" ] && printf '%s\n' "$env" | grep -qxF "HG_RUN_ID=$RUN_ID"; then
			left+=("$comm pid $pid")
			continue
		fi
		case $comm in qemu*) ;; *) continue ;; esac
		cmd=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline")
		while read -r s _; do
			[ -n "$s" ] || continue
			case $cmd in *"guest=hgt$s-"*) left+=("$comm pid $pid (guest hgt$s-...)") ;; esac
		done < <(scripts "$run")
	done
	verdict no-daemon-left "${left[@]}"
}

check_domains() {
	local run=$1 p f left=()
	while read -r p _; do
		[ -n "$p" ] || continue
		for f in "$QEMU_ETC"/hgt"$p"-*.xml "$QEMU_RUN"/hgt"$p"-*.xml; do
			[ -e "$f" ] && left+=("domain $(basename "$f" .xml) ($f)")
		done
	done < <(scripts "$run")
	verdict no-domain-left "${left[@]}"
}

check_images() {
	local run=$1 p s left=()
	while read -r p s _; do
		[ -n "$p" ] || continue
		[ -e "$IMGROOT/hostgate-$s-$p" ] && left+=("$IMGROOT/hostgate-$s-$p")
	done < <(scripts "$run")
	verdict no-image-dir-left "${left[@]}"
}

check_hooks() {
	local run=$1 h w left=()
	for h in "$HOOKS/qemu" "$HOOKS/qemu.d/hostgate"; do
		[ -f "$h" ] || continue
		while read -r _ _ w; do
			[ -n "$w" ] && grep -qF "$w/" "$h" 2>/dev/null && { left+=("hook $h"); break; }
		done < <(scripts "$run")
	done
	verdict no-hook-left "${left[@]}"
}

check_mounts() {
	local run=$1 m p s w left=()
	while read -r m; do
		while read -r p s w; do
			[ -n "$p" ] || continue
			case $m in "$w" | "$w"/* | "$IMGROOT/hostgate-$s-$p" | "$IMGROOT/hostgate-$s-$p"/*)
				left+=("mount $m"); continue 2 ;;
			esac
		done < <(scripts "$run")
	done < <(mounts)
	verdict no-mount-left "${left[@]}"
}

check_pgclusters() {
	local run=$1 c d left=()
	[ -f "$run/pgclusters" ] || { verdict no-pgcluster-left; return; }
	while read -r c; do
		[ -n "$c" ] || continue
		[ -e "$c" ] && left+=("PostgreSQL cluster dir $c")
		for d in /proc/[0-9]*; do
			[ "$(cat "$d/comm" 2>/dev/null)" = postgres ] || continue
			tr '\0' '\n' 2>/dev/null <"$d/cmdline" | grep -qxF "$c/data" &&
				left+=("postgres pid ${d#/proc/} (serving $c)")
		done
	done <"$run/pgclusters"
	verdict no-pgcluster-left "${left[@]}"
}

case ${1:-} in
snapshot)
	mkdir -p "$2" && : >"$2/scripts" && mounts >"$2/mounts.start"
	;;
check)
	check_devnull
	check_daemons "$2"
	check_domains "$2"
	check_images "$2"
	check_hooks "$2"
	check_mounts "$2"
	check_pgclusters "$2"
	;;
*)
	echo "usage: $0 snapshot|check RUNDIR" >&2
	exit 2
	;;
esac
