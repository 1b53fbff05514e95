#!/bin/bash
# Stop a swtpm started by swtpm-start.sh and remove its directory.
# Accepts the fixture dir ($SWTPM_DIR) or the pid ($SWTPM_PID).  Idempotent:
# an already-stopped fixture (or an already-removed dir) exits 0.
# Only a dir containing swtpm-start.sh's swtpm.env marker is ever removed,
# and only a process that is swtpm running on that dir's state is signalled.
set -euo pipefail

prog=swtpm-stop
usage() { echo "Usage: swtpm-stop.sh PID|DIR   (exit: 0 stopped/not running, 1 failure, 2 usage)"; }
case ${1:-} in
    -h|--help) usage; exit 0 ;;
    '') usage >&2; exit 2 ;;
esac
[ $# -eq 1 ] || { usage >&2; exit 2; }
arg=$1

# A zombie (dead but not yet reaped, e.g. under a lazy init) counts as stopped.
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }
envval() { sed -n "s/^$1=//p" "$dir/swtpm.env"; }
# Is $pid a swtpm serving $dir/state?  Guards against pid reuse.
ours() {
    alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = swtpm ] &&
        grep -qxF "dir=$dir/state" <<<"$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)"
}
wait_gone() {   # wait_gone TENTHS
    for _ in $(seq 1 "$1"); do alive "$pid" || return 0; sleep 0.1; done
    ! alive "$pid"
}

dir='' pid=''
case $arg in
    *[!0-9]*)                                   # a directory
        [ -e "$arg" ] || exit 0                 # already gone
        dir=$(cd "$arg" && pwd -P)
        [ -f "$dir/swtpm.env" ] || { echo "$prog: $arg is not a swtpm-start.sh dir (no swtpm.env)" >&2; exit 1; }
        pid=$(envval SWTPM_PID) ;;
    *)                                          # a pid: find its dir
        pid=$arg
        if alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = swtpm ]; then
            d=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's|^dir=\(.*\)/state$|\1|p')
            [ -n "$d" ] && [ -f "$d/swtpm.env" ] && dir=$d
        fi
        if [ -z "$dir" ]; then                  # dead already: look for its record
            for f in "${TMPDIR:-/tmp}"/hostgate-swtpm.*/swtpm.env; do
                [ -f "$f" ] && grep -qx "SWTPM_PID=$pid" "$f" && { dir=${f%/swtpm.env}; break; }
            done
        fi
        # A live non-swtpm (or foreign swtpm) pid with no record: not ours, leave it.
        [ -n "$dir" ] || { alive "$pid" && echo "$prog: pid $pid is not a hostgate swtpm; not touched" >&2; exit 0; } ;;
esac

if [ -n "$pid" ] && ours; then
    # Graceful first (swtpm shuts the TPM down and exits), then signals.
    swtpm_ioctl -s --tcp "127.0.0.1:$(envval SWTPM_CTRL_PORT)" >/dev/null 2>&1 || true
    wait_gone 30 || { kill -TERM "$pid" 2>/dev/null || true; wait_gone 20; } ||
        { kill -KILL "$pid" 2>/dev/null || true; wait_gone 20; } ||
        { echo "$prog: pid $pid did not exit" >&2; exit 1; }
fi
rm -rf "$dir"
