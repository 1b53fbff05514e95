#!/bin/bash
# bench-incr.sh: incremental re-attestation of a 1,000-record host against
# a full check of the same host, measured in the same run (issue 14,
# verifier/incr.h).
#
# A private swtpm (sha256 bank) and real hostgate-attest: init, then a log
# of 1,000 records (the log-key record, 49 hypervisor files, and 950
# workload records: 100 images and 50 configs measured again and again, as
# VM starts do), quote, learn, a full check that writes the state; then one
# more record (an image measured again) and two quotes: the whole log, and
# `quote --since` (1 record). tests/bench/bench_incr.c then times, pinned
# to one core, interleaved rounds of a full check of the whole log and an
# incremental one (the sealed state checked and decoded, quote + 1 record
# checked, the next state made and sealed) and prints the medians and the
# ratio.
#
# Ends with one BENCH-RESULT line (tools/bench-result.sh) after
# bench_incr's.
#
# Usage: BUILD=build tools/bench-incr.sh   (ROUNDS=5 SECS=2 BENCH_CPU=0)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/bench-result.sh
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-2}
CPU=${BENCH_CPU:-0}
ATTEST=$BUILD/bin/hostgate-attest
VERIFY=$BUILD/bin/hostgate-verify
BI=$BUILD/bench/bench_incr
for b in "$ATTEST" "$VERIFY" "$BI"; do
	[ -x "$b" ] || { echo "bench-incr: $b missing: make all" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-bench-incr.XXXXXX")
SWTPM_DIR=
cleanup() {
	[ -n "$SWTPM_DIR" ] && swtpm-fixtures/swtpm-stop.sh "$SWTPM_DIR" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "bench-incr: $*" >&2; exit 1; }

out=$(swtpm-fixtures/swtpm-start.sh --banks sha256 --no-ek-certs --dir "$WORK/swtpm") ||
	die "swtpm did not start"
eval "$out"
export HOSTGATE_TCTI=$SWTPM_TCTI HOSTGATE_STATE=$WORK/state \
	HOSTGATE_LOG=$WORK/run/measurements.cel HOSTGATE_CONFIG=$WORK/none.conf \
	HOSTGATE_VERIFY_STATE=$WORK/vstate
: >"$WORK/none.conf"
"$ATTEST" init --ak-out "$WORK/ak.pub" >/dev/null
mkdir -p "$WORK/f"
for i in $(seq -w 0 48); do echo "hypervisor file $i" >"$WORK/f/hv$i"; done
for i in $(seq -w 0 99); do echo "image $i" >"$WORK/f/img$i"; done
for i in $(seq -w 0 49); do echo "<domain><name>vm$i</name></domain>" >"$WORK/f/vm$i.xml"; done
"$ATTEST" measure --kind hypervisor "$WORK"/f/hv* >/dev/null
# 950 workload records: 6 x (100 images + 50 configs), then 50 images.
for _ in 1 2 3 4 5 6; do
	"$ATTEST" measure --kind image "$WORK"/f/img* >/dev/null
	"$ATTEST" measure --kind config "$WORK"/f/vm*.xml >/dev/null
done
"$ATTEST" measure --kind image $(ls "$WORK"/f/img* | head -n 50) >/dev/null
N=$(openssl rand -hex 16)
"$ATTEST" quote --nonce "$N" -o "$WORK/ev0.cbor"
"$VERIFY" learn --ak "$WORK/ak.pub" --nonce "$N" "$WORK/ev0.cbor" >"$WORK/p.json"
"$VERIFY" check --ak "$WORK/ak.pub" --nonce "$N" --policy "$WORK/p.json" \
	--state-out "$WORK/state.cbor" "$WORK/ev0.cbor" >"$WORK/v0.json" ||
	die "the full check is not trusted"
recs=$(jq .host.records "$WORK/v0.json")
[ "$recs" = 1000 ] || die "$recs records, want 1000"
since=$(jq -r '.since.boot + ":" + (.since.recnum | tostring)' "$WORK/v0.json")
"$ATTEST" measure --kind image "$WORK/f/img00" >/dev/null
"$ATTEST" quote --nonce "$N" -o "$WORK/full.cbor"
"$ATTEST" quote --nonce "$N" --since "$since" -o "$WORK/inc.cbor"
echo "host: $(jq -r .since.recnum "$WORK/v0.json") + 1 records; evidence $(stat -c %s "$WORK/full.cbor") bytes whole, $(stat -c %s "$WORK/inc.cbor") bytes --since"
echo "bench_incr pinned to CPU $CPU, $ROUNDS rounds of $SECS s each way:"
line=$(taskset -c "$CPU" "$BI" "$WORK/full.cbor" "$WORK/inc.cbor" "$WORK/state.cbor" \
	"$WORK/ak.pub" "$N" "$WORK/p.json" "$SECS" "$ROUNDS") || die "bench_incr failed"
echo "$line"

# The result line (tools/bench-table.sh). No issue sets a goal for the
# incremental check itself; the target used is the rate issue 14's
# service goal needs from one core (20,000 hosts at a 10 s interval:
# 2,000 attestations/s), which issue 16 also sets for a 1,000-record check.
read -r full inc ratio < <(sed -n \
	's/^full \([0-9.]*\) checks\/s.*incremental \([0-9.]*\) checks\/s.*ratio \([0-9.]*\) .*/\1 \2 \3/p' <<<"$line")
bench_result goal=incr what="incremental re-attestation, 1,000-record host, in process" \
	value="${inc:-}" unit=checks/s peer="full check of the same host" peer_value="${full:-}" \
	ratio="${ratio:-}" target=">= 2000 checks/s" met="$(bench_met "${inc:-}" '>=' 2000)" \
	note="one new record; median of $ROUNDS rounds of $SECS s, one core"
