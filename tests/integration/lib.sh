# lib.sh: shared helpers for the integration scripts (sourced, not run).
#
# Each script sources this, calls start_tpm, and reports every case with
# pass/fail/skip; results go to $HG_RESULTS for tests/run.sh to count.
# Cleanup runs on EXIT (tpm2-tools' test/integration style): every swtpm
# and temp dir a script made is gone whatever way it ends.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
HG_ATTEST=$BUILD/bin/hostgate-attest
HG_VERIFY=$BUILD/bin/hostgate-verify
HG_RESULTS=${HG_RESULTS:-/dev/null}
# HG_SCRIPT_NAME: the name its cases are reported under, when a script
# is run again in another setting (t_registry_pg.sh runs t_serve_pull.sh
# on PostgreSQL as t_serve_pull_pg).
SCRIPT=${HG_SCRIPT_NAME:-$(basename "$0" .sh)}
unset HG_SCRIPT_NAME
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-test.XXXXXX")
_TPMS=()
_PGCS=()
# The run's tag: every daemon a script starts inherits it, so that
# tests/run.sh's end-of-run check (tests/hygiene.sh) finds what its own run
# left behind and nothing of a run going on beside it. Scripts register
# their pid (domain names, image dirs) and $WORK (hooks, mounts).
export HG_RUN_ID=${HG_RUN_ID:-$SCRIPT-$$}
# No test reads this machine's /etc/hostgate (docs/configuration.md): an
# empty configuration of its own, which --config (the gate tests) and
# t_config.sh override.
: >"$WORK/no-hostgate.conf"
export HOSTGATE_CONFIG=$WORK/no-hostgate.conf
unset HOSTGATE_GATE_CONF
[ -n "${HG_RUN_DIR:-}" ] && [ -d "$HG_RUN_DIR" ] && echo "$$ $SCRIPT $WORK" >>"$HG_RUN_DIR/scripts"

# Snapshot the binaries under test: a whole script uses one build even
# when the tree is rebuilt meanwhile (a relink mid-run made cases fail at
# random). evtool is the tamper suite's evidence editor.
mkdir -p "$WORK/bin"
for _try in 1 2 3 4 5; do
	cp "$HG_ATTEST" "$HG_VERIFY" "$WORK/bin/" 2>/dev/null &&
		"$WORK/bin/hostgate-verify" --help >/dev/null 2>&1 && break
	sleep 1
done
[ -x "$BUILD/tests/tools/evtool" ] && cp "$BUILD/tests/tools/evtool" "$WORK/bin/"
HG_ATTEST=$WORK/bin/hostgate-attest
HG_VERIFY=$WORK/bin/hostgate-verify
EVTOOL=$WORK/bin/evtool

cleanup() {
	local d
	for d in "${_TPMS[@]}"; do
		"$ROOT/swtpm-fixtures/swtpm-stop.sh" "$d" >/dev/null 2>&1 || true
	done
	for d in "${_PGCS[@]}"; do
		"$ROOT/tests/tools/pgcluster.sh" stop "$d" >/dev/null 2>&1 || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

pass() { echo "  PASS $1"; echo "case $SCRIPT:$1 PASS" >>"$HG_RESULTS"; }
fail() { echo "  FAIL $1: $2"; echo "case $SCRIPT:$1 FAIL" >>"$HG_RESULTS"; }
skip() { echo "  SKIP $1: $2"; echo "case $SCRIPT:$1 SKIP" >>"$HG_RESULTS"; }

# start_tpm BANKS [--no-ek-certs]: start a private swtpm; sets TCTI and
# exports HOSTGATE_TCTI, HOSTGATE_STATE and HOSTGATE_LOG into $WORK.
start_tpm() {
	local out
	out=$("$ROOT/swtpm-fixtures/swtpm-start.sh" --banks "$1" "${@:2}") || {
		echo "start_tpm: swtpm did not start" >&2
		exit 1
	}
	eval "$out"
	_TPMS+=("$SWTPM_DIR")
	TCTI=$SWTPM_TCTI
	export HOSTGATE_TCTI=$TCTI
	export HOSTGATE_STATE=$WORK/state
	export HOSTGATE_LOG=$WORK/run/measurements.cel
}

# start_pg DIR: start a private PostgreSQL cluster (tests/tools/pgcluster.sh)
# whose handle is DIR, stopped on exit; sets PG_URI. Returns 1 (with the
# reason on stderr) when no cluster can start here.
start_pg() {
	_PGCS+=("$1")
	PG_URI=$("$ROOT/tests/tools/pgcluster.sh" start "$1") || return 1
}

# expect_exit CODE NAME CMD...: the case passes when CMD exits with CODE.
# Its stderr is kept in $WORK/last.err for message checks.
expect_exit() {
	local want=$1 name=$2 rc
	shift 2
	"$@" >"$WORK/last.out" 2>"$WORK/last.err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, want $want: $(head -c 300 "$WORK/last.err")"
	fi
}

# expect_err TEXT NAME: the last expect_exit's stderr contains TEXT.
expect_err() {
	if grep -qF -- "$1" "$WORK/last.err"; then
		pass "$2"
	else
		fail "$2" "stderr lacks \"$1\": $(head -c 300 "$WORK/last.err")"
	fi
}

hex2bin() { xxd -r -p; }
bin2hex() { xxd -p -c 1000 | tr -d '\n'; }

# pcr_value BANK N: the PCR as tpm2-tools reads it, lower-case hex.
pcr_value() {
	tpm2_pcrread -T "$TCTI" "$1:$2" -o "$WORK/pcr.bin" >/dev/null &&
		bin2hex <"$WORK/pcr.bin"
}

# replay_independent LOG BANK PCR: replay the log with openssl, not with
# hostgate's code. It takes each record's content bytes from 'show
# --json', recomputes the bound digest H(content) itself, checks it equals
# the logged digest, and folds new = H(old || digest). Prints the PCR, or
# "MISMATCH n" if a record's digest does not bind its content.
replay_independent() {
	local log=$1 bank=$2 pcr=$3 size acc content logged d n=0
	size=$(openssl dgst "-$bank" -binary </dev/null | wc -c)
	acc=$(printf '%0*d' $((size * 2)) 0)
	"$HG_VERIFY" show --log "$log" --json >"$WORK/replay.json" 2>/dev/null
	while read -r rpcr content logged; do
		n=$((n + 1))
		[ "$rpcr" = "$pcr" ] || continue
		d=$(printf '%s' "$content" | hex2bin | openssl dgst "-$bank" -binary | bin2hex)
		if [ "$d" != "$logged" ]; then
			echo "MISMATCH $n"
			return
		fi
		acc=$(printf '%s%s' "$acc" "$d" | hex2bin | openssl dgst "-$bank" -binary | bin2hex)
	done < <(jq -r --arg b "$bank" '.records[] | "\(.pcr) \(.content) \(.digests[$b])"' "$WORK/replay.json")
	echo "$acc"
}
