#!/bin/bash
# Start a freshly provisioned, isolated swtpm (TPM 2.0) for tests and the demo.
# Everything (TPM state, local CA, logs) lives in one private directory, so
# several fixtures can run side by side and nothing touches /etc or /var/lib.
# On success prints shell-evalable SWTPM_TCTI=, SWTPM_PID=, SWTPM_DIR= lines.
set -euo pipefail

prog=swtpm-start
usage() {
    cat <<EOF
Usage: swtpm-start.sh [--banks LIST] [--dir DIR] [--no-ek-certs]
  --banks LIST    comma-separated PCR banks to activate (sha1,sha256,sha384,
                  sha512); default: sha256
  --dir DIR       use DIR (must be empty or not exist) instead of a new
                  \${TMPDIR:-/tmp}/hostgate-swtpm.XXXXXX
  --no-ek-certs   create the EKs but no local CA and no EK/platform certs
                  (about twice as fast)
Prints on stdout:  SWTPM_TCTI=...  SWTPM_PID=...  SWTPM_DIR=...
Use:  eval "\$(swtpm-start.sh --banks sha1,sha256)"
Stop: swtpm-stop.sh "\$SWTPM_DIR"
Exit: 0 ok, 1 failure, 2 usage.
EOF
}
die()      { echo "$prog: error: $*" >&2; exit 1; }
usage_err() { echo "$prog: $*" >&2; usage >&2; exit 2; }

banks=sha256 dir='' ek_certs=1
while [ $# -gt 0 ]; do
    case $1 in
        --banks) [ $# -ge 2 ] || usage_err "--banks needs a value"; banks=$2; shift 2 ;;
        --dir)   [ $# -ge 2 ] || usage_err "--dir needs a value"; dir=$2; shift 2 ;;
        --no-ek-certs) ek_certs=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage_err "unknown argument: $1" ;;
    esac
done
# Validate here: swtpm_setup silently ignores unknown bank names.
[ -n "$banks" ] || usage_err "empty --banks"
for b in ${banks//,/ }; do
    case $b in sha1|sha256|sha384|sha512) ;; *) usage_err "unknown PCR bank: $b" ;; esac
done
case $banks in *,,*|,*|*,) usage_err "malformed --banks: $banks" ;; esac

for t in swtpm swtpm_setup swtpm_localca tpm2_getcap; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install swtpm swtpm-tools tpm2-tools)"
done

# --- cleanup on any failure: kill our swtpm, remove what we created ---------
ok=0 made_dir=0 pid=''
cleanup() {
    [ "$ok" = 1 ] && return
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    if [ "$made_dir" = 1 ]; then rm -rf "$dir"
    elif [ -n "$dir" ] && [ -d "$dir" ]; then find "$dir" -mindepth 1 -delete 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-swtpm.XXXXXX") || die "mktemp failed"
    made_dir=1
elif [ -e "$dir" ]; then
    # dir='' first: on this error the cleanup trap must not touch the user's dir.
    if [ ! -d "$dir" ] || [ -n "$(ls -A "$dir")" ]; then dir=''; die "--dir must be an empty directory"; fi
else
    mkdir -p "$dir" || { d=$dir; dir=''; die "cannot create $d"; }
    made_dir=1
fi
dir=$(cd "$dir" && pwd -P)   # absolute: it is written into configs and used by stop
mkdir "$dir/state"

# --- provision: own swtpm_setup/localca configs so nothing uses /etc or /var/lib
# localca/ keeps the CA private keys + serial + lock; ca/ gets public certs only.
setup_args=(--tpm2 --tpm-state "$dir/state" --pcr-banks "$banks" --overwrite
            --config "$dir/swtpm_setup.conf" --logfile "$dir/swtpm_setup.log")
if [ "$ek_certs" = 1 ]; then
    mkdir -m 700 "$dir/localca"; mkdir "$dir/ca" "$dir/ek"
    cat >"$dir/swtpm_setup.conf" <<EOF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $dir/swtpm-localca.conf
create_certs_tool_options = $dir/swtpm-localca.options
active_pcr_banks = $banks
EOF
    cat >"$dir/swtpm-localca.conf" <<EOF
statedir = $dir/localca
signingkey = $dir/localca/signkey.pem
issuercert = $dir/localca/issuercert.pem
certserial = $dir/localca/certserial
EOF
    cat >"$dir/swtpm-localca.options" <<EOF
--platform-manufacturer hostgate
--platform-version 2.1
--platform-model swtpm-fixture
EOF
    # NB: 0.7.1's --create-platform-cert does NOT imply --create-ek-cert; pass both.
    setup_args+=(--create-ek-cert --create-platform-cert --write-ek-cert-files "$dir/ek")
else
    # Still no /etc lookups: an explicit config without a certs tool.
    echo "active_pcr_banks = $banks" >"$dir/swtpm_setup.conf"
    setup_args+=(--createek)
fi
# Speed: swtpm_setup double-forks a helper swtpm and, when done, polls kill(pid,0)
# until it is gone.  Where orphans are reaped lazily (container PID 1, this CI
# VM) the zombie keeps that poll alive until a ~0.5 s timeout, tripling the
# setup time.  So run it under a tiny child-subreaper that reaps at once.
reaper='import ctypes,os,sys
ctypes.CDLL(None).prctl(36,1,0,0,0)  # PR_SET_CHILD_SUBREAPER
pid=os.fork()
if pid==0:
    try: os.execvp(sys.argv[1],sys.argv[1:])
    finally: os._exit(127)
while True:
    p,st=os.wait()
    if p==pid: sys.exit(os.waitstatus_to_exitcode(st))'
reaped() { if command -v python3 >/dev/null; then python3 -c "$reaper" "$@"; else "$@"; fi; }
# swtpm_setup prints "TPM is listening..." on stdout even with --logfile: keep
# our stdout clean for eval.
reaped swtpm_setup "${setup_args[@]}" >>"$dir/swtpm_setup.log" 2>&1 ||
    die "swtpm_setup failed: $(tail -n 1 "$dir/swtpm_setup.log")"
if [ "$ek_certs" = 1 ]; then
    # Public trust anchors for tests: intermediate (signs EK certs) + root.
    cp "$dir/localca/issuercert.pem" "$dir/localca/swtpm-localca-rootca-cert.pem" "$dir/ca/"
    cat "$dir/ca/issuercert.pem" "$dir/ca/swtpm-localca-rootca-cert.pem" >"$dir/ca/chain.pem"
fi

# --- start: random port pair below the ephemeral range (32768+) so outgoing
# connections never squat on it; swtpm fails fast (exit 1, before daemonizing)
# if either port is taken, so a concurrent fixture grabbing the same pair just
# makes us retry.  The swtpm TCTI always uses ctrl = server port + 1.
port=
for _ in $(seq 1 25); do
    p=$(( 20000 + 2 * (RANDOM % 6000) ))          # even P in 20000..31998
    [ -n "$(ss -Hltn "( sport = :$p or sport = :$((p + 1)) )" 2>/dev/null)" ] && continue
    : >"$dir/swtpm.log"                            # only this attempt's errors
    if swtpm socket --tpm2 --tpmstate dir="$dir/state" \
        --server type=tcp,port=$p,bindaddr=127.0.0.1 \
        --ctrl type=tcp,port=$((p + 1)),bindaddr=127.0.0.1 \
        --flags not-need-init,startup-clear \
        --daemon --pid file="$dir/swtpm.pid" --log file="$dir/swtpm.log" >>"$dir/swtpm.log" 2>&1
    then port=$p; break; fi
    grep -q "Address already in use" "$dir/swtpm.log" ||
        die "swtpm failed to start: $(tail -n 1 "$dir/swtpm.log")"
done
[ -n "$port" ] || die "no free TCP port pair found after 25 tries"
pid=$(cat "$dir/swtpm.pid")
tcti="swtpm:host=127.0.0.1,port=$port"

# --- wait (<= 10 s) until the TPM answers commands
# A zombie (exited, not yet reaped) is dead too.
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }
usec() { echo "${EPOCHREALTIME//[!0-9]/}"; }
deadline=$(( $(usec) + 10000000 ))
until tpm2_getcap -T "$tcti" properties-fixed >/dev/null 2>&1; do
    alive "$pid" || die "swtpm (pid $pid) exited: $(tail -n 1 "$dir/swtpm.log")"
    [ "$(usec)" -lt "$deadline" ] || die "swtpm on port $port not answering after 10 s"
    sleep 0.1
done

# Record for swtpm-stop.sh (also the marker that this dir may be rm -rf'd).
cat >"$dir/swtpm.env" <<EOF
SWTPM_TCTI=$tcti
SWTPM_PID=$pid
SWTPM_DIR=$dir
SWTPM_CTRL_PORT=$((port + 1))
EOF
ok=1
printf 'SWTPM_TCTI=%s\nSWTPM_PID=%s\nSWTPM_DIR=%q\n' "$tcti" "$pid" "$dir"
