# libvirt.sh: a real libvirtd + qemu (TCG) for the gate tests, the demo
# and the gate benchmark. Sourced after lib.sh.
#
#   start_libvirt        virtlogd and libvirtd, started only if not running
#   start_syslog         decisions from syslog: $SYSLOG, or a said-aloud skip
#   gate_host            a fresh swtpm "host": state, log, manifest, hostgate.conf
#   gate_learn DOM...    init, measure-host, measure --domain, quote, learn
#   define_domain NAME DISK [MEM_MIB] [EXTRA_DISK...]
#   mk_golden / mk_overlay / tamper_image
#
# Everything lives under $WORK (0700, root only) except the disk images:
# qemu runs as libvirt-qemu and cannot enter a mktemp dir under /tmp, so
# they go to $LV_TOP under /var/lib/libvirt/images. On EXIT, before
# lib.sh's cleanup: every domain this script defined is destroyed and
# undefined, the hook it installed is removed, $LV_TOP is removed, the
# syslog catcher and the daemons it started (only those) are stopped.
#
# libvirtd and the hook path (/etc/libvirt/hooks/qemu.d/hostgate) are
# machine-wide, so everything that uses them -- the gate tests, tools/demo.sh
# and tools/bench-gate.sh, all through start_libvirt -- takes one lock,
# $LV_LOCK, for its whole life (fd 9, closed in every daemon it starts so
# that none keeps it). Waiting for the lock serialises runs; it never
# shares: HOSTGATE_LIBVIRT_WAIT (seconds, default 1800) bounds the wait,
# and 0 refuses at once, naming the holder (the lock file holds its line).
#
# Daemons found running (docs/testing-hygiene.md): under the lock no other
# hostgate run uses them, so a libvirtd/virtlogd this run did not start is
# used exclusively and left running; $LV_DAEMONS lists those a lock holder
# started, so one left behind by a run that died is told apart (adopted:
# stopped at the end) from the machine's own (never stopped). Two
# libvirtds, or libvirtd beside virtqemud, are refused: two daemons
# building the same domains' /dev namespaces is how a machine loses its
# /dev/null. Every daemon started here carries HG_RUN_ID in its
# environment, so tests/run.sh can tell what its own run left behind.

VIRSH_URI=qemu:///system
LV_IMGROOT=/var/lib/libvirt/images
# $LV_TOP holds it all: $IMGDIR is the gate's image-dirs, $GOLDEN its
# golden-dirs, and $OUTSIDE a place qemu can read that the gate refuses.
LV_TOP=$LV_IMGROOT/hostgate-$SCRIPT-$$
IMGDIR=$LV_TOP/vm
GOLDEN=$IMGDIR/golden
OUTSIDE=$LV_TOP/outside
HOOK_FILE=/etc/libvirt/hooks/qemu.d/hostgate
HOOK_LEGACY=/etc/libvirt/hooks/qemu
LV_LOCK=/run/lock/hostgate-libvirt.lock
LV_DAEMONS=/run/lock/hostgate-libvirt.daemons
LV_WAIT=${HOSTGATE_LIBVIRT_WAIT:-1800}
SYSLOG=
SYSLOG_WHY=
_LV_DOMS=()
_LV_HOOKS=0
_LV_STARTED_LIBVIRTD=0
_LV_STARTED_VIRTLOGD=0
_LV_RESTORE_LIBVIRTD=0
_LV_LOCKED=0
_LV_SOCAT_PID=
_LV_DEVLOG=0
_LV_HOSTS=0

virsh_() { virsh -q -c "$VIRSH_URI" "$@"; }

lv_lock() {
	local who
	mkdir -p "$(dirname "$LV_LOCK")"
	# <>, not >: opening must not truncate the holder's line.
	exec 9<>"$LV_LOCK"
	if ! flock -n 9; then
		who=$(head -c 300 "$LV_LOCK" | tr -d '\n')
		if [ "$LV_WAIT" = 0 ]; then
			echo "libvirt.sh: the machine-wide libvirtd is in use by another hostgate run (${who:-holder unknown}); refusing to share it (HOSTGATE_LIBVIRT_WAIT=0)" >&2
			exit 1
		fi
		echo "  (waiting for $LV_LOCK, held by ${who:-another libvirt test, demo or benchmark})"
		flock -w "$LV_WAIT" 9 || {
			echo "libvirt.sh: $LV_LOCK: still held after ${LV_WAIT} s by ${who:-?}; not sharing libvirtd" >&2
			exit 1
		}
	fi
	printf 'pid %s (%s, %s) since %s\n' "$$" "$SCRIPT" "$ROOT" "$(date -u +%FT%TZ)" >"$LV_LOCK"
}

# _lv_owner NAME PID: the "SCRIPT PID" of the lock holder that started
# daemon NAME with PID, or nothing.
_lv_owner() { awk -v n="$1" -v p="$2" '$1 == n && $2 == p { print $3, $4 }' "$LV_DAEMONS" 2>/dev/null; }
_lv_owned_add() { # NAME PID (entries of daemons gone are dropped)
	local n p rest
	[ -n "$2" ] || return 0
	if [ -f "$LV_DAEMONS" ]; then
		while read -r n p rest; do
			kill -0 "$p" 2>/dev/null && echo "$n $p $rest"
		done <"$LV_DAEMONS" >"$LV_DAEMONS.new"
		mv "$LV_DAEMONS.new" "$LV_DAEMONS"
	fi
	echo "$1 $2 $SCRIPT $$" >>"$LV_DAEMONS"
}
_lv_owned_del() {
	[ -f "$LV_DAEMONS" ] || return 0
	awk -v n="$1" -v p="$2" '!($1 == n && $2 == p)' "$LV_DAEMONS" >"$LV_DAEMONS.new" &&
		mv "$LV_DAEMONS.new" "$LV_DAEMONS"
}

# _lv_adopt NAME: under the lock, decide about a running NAME daemon.
# Sets _LV_ADOPTED_<NAME>=1 when a dead lock holder left it behind.
_lv_adopt() {
	local name=$1 pids pid owner
	pids=$(pgrep -x "$name")
	[ -n "$pids" ] || return 0
	if [ "$(echo "$pids" | wc -l)" -gt 1 ]; then
		echo "libvirt.sh: more than one $name runs ($(echo $pids)): refusing to use them" >&2
		exit 1
	fi
	pid=$pids
	owner=$(_lv_owner "$name" "$pid")
	if [ -n "$owner" ] && ! kill -0 "${owner#* }" 2>/dev/null; then
		echo "  ($name pid $pid was left by $owner, which is gone: adopted, stopped at the end)"
		eval "_LV_ADOPTED_${name}=1"
	elif [ -z "$owner" ]; then
		echo "  ($name pid $pid was running, not started by a hostgate run: used under $LV_LOCK, left running)"
	fi
}

_lv_cleanup() {
	local d
	# Background helpers (swap loops, concurrent starts) first.
	for d in $(jobs -p); do
		[ "$d" = "$_LV_SOCAT_PID" ] && continue
		kill "$d" 2>/dev/null
		wait "$d" 2>/dev/null
	done
	for d in "${_LV_DOMS[@]}"; do
		virsh_ destroy "$d" >/dev/null 2>&1
		virsh_ undefine "$d" >/dev/null 2>&1
	done
	[ "$_LV_HOOKS" = 1 ] && hook_remove
	rm -rf "$LV_TOP"
	if [ -n "$_LV_SOCAT_PID" ]; then
		kill "$_LV_SOCAT_PID" 2>/dev/null
		wait "$_LV_SOCAT_PID" 2>/dev/null
	fi
	[ "$_LV_DEVLOG" = 1 ] && rm -f /dev/log
	if [ "$_LV_STARTED_LIBVIRTD" = 1 ] || [ "${_LV_ADOPTED_libvirtd:-0}" = 1 ]; then
		_lv_stop_daemon libvirtd /run/libvirtd.pid
	fi
	if [ "$_LV_STARTED_VIRTLOGD" = 1 ] || [ "${_LV_ADOPTED_virtlogd:-0}" = 1 ]; then
		_lv_stop_daemon virtlogd /run/virtlogd.pid
	fi
	# A machine's own libvirtd that a test restarted (t_gate_restart):
	# put one back, without this run's tag, as it was found.
	if [ "$_LV_RESTORE_LIBVIRTD" = 1 ] && ! pgrep -x libvirtd >/dev/null; then
		env -u HG_RUN_ID libvirtd -d 9>&- || echo "libvirt.sh: could not restart the machine's libvirtd" >&2
	fi
	[ "$_LV_LOCKED" = 1 ] && : >"$LV_LOCK"
}
trap '_lv_cleanup; cleanup' EXIT

# _lv_stop_daemon NAME PIDFILE: SIGTERM the daemon, wait up to 30 s (the
# lock is held meanwhile: the next run must not find it half-stopped).
# Never SIGKILL: a libvirtd killed mid-start is one way to break /dev.
_lv_stop_daemon() {
	local pid
	pid=$(cat "$2" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || { _lv_owned_del "$1" "$pid"; return 0; }
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || { _lv_owned_del "$1" "$pid"; return 0; }
		sleep 0.1
	done
	echo "libvirt.sh: $1 (pid $pid) did not stop in 30 s" >&2
}

# wait_libvirt: until virsh answers (bounded: 30 s).
wait_libvirt() {
	for _ in $(seq 150); do
		virsh_ version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "libvirt.sh: libvirtd does not answer on $VIRSH_URI" >&2
	return 1
}

# start_libvirtd: start libvirtd -d (it must not be running); this run
# owns it from then on (a restart of the machine's own one included: the
# cleanup stops ours and puts an untagged one back).
start_libvirtd() {
	mkdir -p /var/log/libvirt
	if [ "$_LV_STARTED_LIBVIRTD" != 1 ] && [ "${_LV_ADOPTED_libvirtd:-0}" != 1 ] &&
		[ "$_LV_FOUND_LIBVIRTD" = 1 ]; then
		_LV_RESTORE_LIBVIRTD=1
	fi
	_LV_STARTED_LIBVIRTD=1
	libvirtd -d 9>&- || { echo "libvirt.sh: libvirtd -d failed" >&2; return 1; }
	wait_libvirt || return 1
	_lv_owned_add libvirtd "$(cat /run/libvirtd.pid 2>/dev/null)"
}

start_libvirt() {
	lv_lock
	_LV_LOCKED=1
	mkdir -p /var/log/libvirt "$GOLDEN" "$OUTSIDE"
	chmod 0755 "$LV_TOP" "$IMGDIR" "$GOLDEN" "$OUTSIDE"
	if pgrep -x virtqemud >/dev/null && ! pgrep -x libvirtd >/dev/null; then
		echo "libvirt.sh: virtqemud (pid $(pgrep -x virtqemud | head -1)) drives qemu:///system; not starting a libvirtd beside it" >&2
		exit 1
	fi
	_lv_adopt virtlogd
	_lv_adopt libvirtd
	_LV_FOUND_LIBVIRTD=0
	pgrep -x libvirtd >/dev/null && _LV_FOUND_LIBVIRTD=1
	if ! pgrep -x virtlogd >/dev/null; then
		virtlogd -d 9>&- || { echo "libvirt.sh: virtlogd -d failed" >&2; exit 1; }
		_LV_STARTED_VIRTLOGD=1
		for _ in $(seq 20); do [ -s /run/virtlogd.pid ] && break; sleep 0.1; done
		_lv_owned_add virtlogd "$(cat /run/virtlogd.pid 2>/dev/null)"
	fi
	if [ "$_LV_FOUND_LIBVIRTD" = 0 ]; then
		start_libvirtd || exit 1
	fi
	wait_libvirt || exit 1
}

# --- syslog ---------------------------------------------------------------
# start_syslog: sets SYSLOG to a file the decisions land in, or leaves it
# empty with SYSLOG_WHY saying why syslog cannot be read here.
start_syslog() {
	local pid comm
	if [ ! -e /dev/log ]; then
		socat -u UNIX-RECV:/dev/log,mode=666 "OPEN:$WORK/syslog,creat,append" 9>&- &
		_LV_SOCAT_PID=$!
		_LV_DEVLOG=1
		for _ in $(seq 50); do
			[ -S /dev/log ] && break
			sleep 0.1
		done
		[ -S /dev/log ] || { SYSLOG_WHY="socat did not create /dev/log"; return; }
		SYSLOG=$WORK/syslog
		touch "$SYSLOG"
		return
	fi
	# A syslog daemon owns /dev/log: find where it writes authpriv.
	pid=$(ss -xlpn 2>/dev/null | awk '$5 == "/dev/log"' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
	comm=$(cat "/proc/$pid/comm" 2>/dev/null)
	case $comm in
	socat)
		SYSLOG=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's/^\(OPEN\|CREATE\|GOPEN\):\([^,]*\).*/\2/p' | head -1)
		;;
	rsyslogd | syslog-ng) SYSLOG=/var/log/auth.log ;;
	esac
	if [ -z "$SYSLOG" ] || [ ! -r "$SYSLOG" ]; then
		SYSLOG=
		SYSLOG_WHY="/dev/log belongs to '${comm:-an unknown process}', whose output file is unknown"
	fi
}

# syslog_mark: the current end of the syslog file, for syslog_since.
syslog_mark() { if [ -n "$SYSLOG" ]; then stat -c %s "$SYSLOG"; else echo 0; fi; }

# syslog_since MARK: hostgate's decision lines written after MARK, one per
# line, as "pri=N MESSAGE" (N is the <PRI> the datagram carried: facility
# authpriv (10) * 8 + severity) or as the syslogd wrote them.
syslog_since() {
	tail -c +"$(($1 + 1))" "$SYSLOG" |
		perl -pe 's/(?<!^)(<\d{1,3}>)/\n$1/g; s/^<(\d{1,3})>/pri=$1 /' |
		grep 'hostgate' | grep 'domain='
	echo
}

# wait_syslog MARK PATTERN: up to 3 s for a decision line matching PATTERN
# (grep -E) after MARK; prints the matching lines.
wait_syslog() {
	local out
	for _ in $(seq 30); do
		out=$(syslog_since "$1" | grep -E -- "$2")
		[ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
		sleep 0.1
	done
	return 1
}

# expect_syslog MARK PATTERN NAME: the case passes when a decision line
# matching PATTERN is logged with facility authpriv; skipped, with the
# reason, where syslog cannot be read.
expect_syslog() {
	local line pri
	if [ -z "$SYSLOG" ]; then
		skip "$3" "$SYSLOG_WHY"
		return
	fi
	if ! line=$(wait_syslog "$1" "$2"); then
		fail "$3" "no syslog line matching '$2'; got: $(syslog_since "$1" | tail -3)"
		return
	fi
	pri=$(printf '%s\n' "$line" | head -1 | sed -n 's/^pri=\([0-9]*\) .*/\1/p')
	if [ -n "$pri" ] && [ $((pri >> 3)) -ne 10 ]; then
		fail "$3" "facility $((pri >> 3)), want authpriv (10): $line"
		return
	fi
	pass "$3"
}

# --- images and domains ---------------------------------------------------
# mk_golden PATH [SIZE]: a qcow2 with a distinct first cluster of data,
# owned as libvirt's DAC driver labels it, so that starting a VM does not
# chown it (which would move its ctime and defeat the gate's identity
# cache: docs/gate.md).
mk_golden() {
	qemu-img create -q -f qcow2 "$1" "${2:-16M}" &&
		qemu-io -f qcow2 -c "write -P 0x$(openssl rand -hex 1) 0 64k" "$1" >/dev/null &&
		chown libvirt-qemu: "$1"
}

# mk_overlay BASE TOP: a writable qcow2 layer over BASE.
mk_overlay() {
	local fmt=qcow2
	case $1 in *.raw | *.img) fmt=raw ;; esac
	qemu-img create -q -f qcow2 -b "$1" -F "$fmt" "$2"
}

# tamper_image PATH: change guest-visible data inside a qcow2 image (it
# stays a valid image, so a policy that allows it starts it).
tamper_image() {
	qemu-io -f qcow2 -c "write -P 0xa5 1M 64k" "$1" >/dev/null
}

_lv_disk_xml() {
	local fmt=qcow2
	case $1 in *.raw | *.img) fmt=raw ;; esac
	cat <<EOF
    <disk type='file' device='disk'>
      <driver name='qemu' type='$fmt'/>
      <source file='$1'/>
      <target dev='$2' bus='virtio'/>
    </disk>
EOF
}

# dom_uuid NAME: one uuid per name for the script's life, so that a
# redefinition changes the domain instead of clashing with it.
dom_uuid() {
	[ -s "$WORK/$1.uuid" ] || cat /proc/sys/kernel/random/uuid >"$WORK/$1.uuid"
	cat "$WORK/$1.uuid"
}

# domain_xml NAME DISK [MEM_MIB] [EXTRA_DISK...]: a tiny TCG guest: no
# graphics, no network, no balloon, virtio disks (vda, vdb, ...).
domain_xml() {
	local name=$1 disk=$2 mem=${3:-64} dev=b d
	shift 2
	[ $# -gt 0 ] && shift
	cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <uuid>$(dom_uuid "$name")</uuid>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
$(_lv_disk_xml "$disk" vda)
EOF
	for d in "$@"; do
		_lv_disk_xml "$d" "vd$dev"
		dev=$(echo "$dev" | tr 'a-y' 'b-z')
	done
	cat <<EOF
    <video>
      <model type='none'/>
    </video>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# define_domain NAME DISK [MEM_MIB] [EXTRA_DISK...]: define (or redefine)
# it; cleanup destroys and undefines it. The XML is kept in $WORK/NAME.xml.
define_domain() {
	local name=$1
	domain_xml "$@" >"$WORK/$name.xml"
	case " ${_LV_DOMS[*]} " in *" $name "*) ;; *) _LV_DOMS+=("$name") ;; esac
	virsh_ define "$WORK/$name.xml" >/dev/null
}

# dom_name WORD: a domain name unique to this run.
dom_name() { echo "hgt$$-$1"; }

# qemu_pid NAME: the running domain's qemu pid, from libvirt's pid file.
qemu_pid() { cat "/run/libvirt/qemu/$1.pid" 2>/dev/null; }

# --- the gated host -------------------------------------------------------
# gate_host: a fresh host: a private swtpm (sha256), state and log, a
# manifest of this machine's hypervisor binaries, and $GATECONF naming them
# with $POLICY, $IMGDIR, $GOLDEN and $BREAKGLASS. Call again for a new host
# (a clean log and PCR); the installed hook follows, since it reads
# $GATECONF on every call.
gate_host() {
	local h b
	_LV_HOSTS=$((_LV_HOSTS + 1))
	h=$WORK/host$_LV_HOSTS
	mkdir -p "$h"
	start_tpm "${HG_BANKS:-sha256}" --no-ek-certs 9>&-
	export HOSTGATE_STATE=$h/state HOSTGATE_LOG=$h/run/measurements.cel
	AKPUB=$h/ak.pub
	POLICY=$h/policy.json
	MANIFEST=$h/manifest
	BREAKGLASS=$h/break-glass
	GATECONF=$WORK/hostgate.conf
	: >"$MANIFEST"
	for b in /usr/bin/qemu-system-x86_64 /usr/sbin/libvirtd /usr/sbin/virtlogd; do
		[ -e "$b" ] && echo "hypervisor $b" >>"$MANIFEST"
	done
	cat >"$GATECONF" <<EOF
# written by tests/integration/libvirt.sh (host $_LV_HOSTS)
tcti = $TCTI
state = $HOSTGATE_STATE
log = $HOSTGATE_LOG
policy = $POLICY
verifier = $HG_VERIFY
image-dirs = $IMGDIR
golden-dirs = $GOLDEN
manifest = $MANIFEST
break-glass = $BREAKGLASS
mode = local
EOF
	"$HG_ATTEST" init --ak-out "$AKPUB" >/dev/null
}

# gate_learn DOM...: learn $POLICY from this host as it is now: its
# hypervisor set and each domain's config and images (all or nothing;
# the failing step's output goes to stderr). DOM is a defined domain's
# name, or a domain XML file (/...).
gate_learn() {
	local d nonce src
	"$HG_ATTEST" measure-host --manifest "$MANIFEST" >"$WORK/learn.out" 2>&1 ||
		{ cat "$WORK/learn.out" >&2; return 1; }
	for d in "$@"; do
		case $d in /*) src=--domain-xml ;; *) src=--domain ;; esac
		"$HG_ATTEST" measure "$src" "$d" --images --config "$GATECONF" \
			>"$WORK/learn.out" 2>&1 || { cat "$WORK/learn.out" >&2; return 1; }
	done
	nonce=$(openssl rand -hex 16)
	"$HG_ATTEST" quote --nonce "$nonce" -o "$WORK/learn.cbor" >"$WORK/learn.out" 2>&1 ||
		{ cat "$WORK/learn.out" >&2; return 1; }
	"$HG_VERIFY" learn --ak "$AKPUB" --nonce "$nonce" "$WORK/learn.cbor" \
		>"$POLICY.new" 2>"$WORK/learn.out" || { cat "$WORK/learn.out" >&2; return 1; }
	mv "$POLICY.new" "$POLICY"
}

# policy_allow KIND NAME SHA256: add a digest to $POLICY's entry.
policy_allow() {
	jq --arg k "$1" --arg n "$2" --arg d "$3" \
		'.measurements[$k][$n].sha256 += [$d]' "$POLICY" >"$POLICY.new" &&
		mv "$POLICY.new" "$POLICY"
}

sha256_of() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }

# hook_add / hook_remove: install the gate hook for $GATECONF, and remove
# it (falling back to removing the file when 'hook uninstall' fails, so a
# broken build never leaves a hook behind that gates everyone's VMs).
hook_add() {
	_LV_HOOKS=1
	"$HG_ATTEST" hook install --config "$GATECONF" "$@" || return 1
	# libvirtd rescans its hooks in a thread after SIGHUP.
	sleep 0.5
}

hook_remove() {
	"$HG_ATTEST" hook uninstall >/dev/null 2>&1
	"$HG_ATTEST" hook uninstall --legacy >/dev/null 2>&1
	local f left=0
	for f in "$HOOK_FILE" "$HOOK_LEGACY"; do
		if [ -f "$f" ] && grep -q 'hostgate-attest' "$f" 2>/dev/null; then
			rm -f "$f"
			left=1
		fi
	done
	[ "$left" = 1 ] && kill -HUP "$(cat /run/libvirtd.pid)" 2>/dev/null
	sleep 0.5
	return 0
}

# start_dom NAME: virsh start; stdout+stderr in $WORK/start-NAME.out.
start_dom() { virsh_ start "$1" >"$WORK/start-$1.out" 2>&1; }

# start_err DOM: the last start's error on one line, without the hook's
# command line and environment that libvirt quotes (for failure messages).
start_err() {
	tr '\n' ' ' <"$WORK/start-$1.out" | sed 's/Child process ([^)]*)/Child process (...)/' | head -c 500
}

# expect_started DOM CASE: virsh start succeeds and the domain runs.
expect_started() {
	local st
	if ! start_dom "$1"; then
		fail "$2" "virsh start failed: $(start_err "$1")"
		return 1
	fi
	st=$(virsh_ domstate "$1")
	[ "$st" = running ] || { fail "$2" "started, but domstate is '$st'"; return 1; }
	pass "$2"
}

# expect_refused DOM CASE TEXT...: virsh start fails, its error carries
# hostgate's one-line reason containing every TEXT, and the domain is not
# running.
expect_refused() {
	local dom=$1 name=$2 t st out
	shift 2
	if start_dom "$dom"; then
		fail "$name" "virsh start succeeded"
		virsh_ destroy "$dom" >/dev/null 2>&1
		return 1
	fi
	out=$(tr '\n' ' ' <"$WORK/start-$dom.out")
	for t in "hostgate: $dom: refused: " "$@"; do
		case $out in
		*"$t"*) ;;
		*) fail "$name" "error lacks \"$t\": $(start_err "$dom")"; return 1 ;;
		esac
	done
	st=$(virsh_ domstate "$dom")
	[ "$st" = "shut off" ] || { fail "$name" "refused, but domstate is '$st'"; return 1; }
	pass "$name"
	echo "       ($(reason_of "$dom" | head -c 300))"
}

# reason_of DOM: hostgate's reason from the last start's error.
reason_of() { tr '\n' ' ' <"$WORK/start-$1.out" | sed -n 's/.*hostgate: [^:]*: refused: //p' | sed 's/ *$//'; }
