#!/bin/bash
# bench-measure.sh: 'hostgate-attest measure' against its peers, measured
# in the same run (these machines are noisy: only ratios mean much).
#
#   A. one 2 GiB file: measure vs 'openssl dgst -sha256' vs 'sha256sum'
#   B. two 1 GiB files: one measure vs two sequential openssl runs
#   C. peak RSS of measure on the 2 GiB file
#
# The files are read from the page cache (warmed first) so that the disk
# does not decide the result. The swtpm has the sha256 bank only, as
# swtpm_setup and most TPMs ship; a second row uses sha1+sha256+sha384.
# Each timing is the median of $ROUNDS runs, interleaved.
#
# Ends with one BENCH-RESULT line per goal (tools/bench-result.sh).
#
# Usage: BUILD=build tools/bench-measure.sh   (ROUNDS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/bench-result.sh
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
ATTEST=$PWD/$BUILD/bin/hostgate-attest
WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/hostgate-bench.XXXXXX")
DIRS=()
cleanup() {
	for d in "${DIRS[@]}"; do swtpm-fixtures/swtpm-stop.sh "$d" >/dev/null 2>&1 || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s%N; }
# t CMD...: seconds (3 decimals) the command took.
t() {
	local t0
	t0=$(now)
	"$@" >/dev/null 2>&1
	echo "scale=3; ($(now) - $t0) / 1000000000" | bc
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { echo "scale=2; $1 / $2" | bc; }

tpm() {
	local out
	out=$(swtpm-fixtures/swtpm-start.sh --banks "$1" --no-ek-certs)
	eval "$out"
	DIRS+=("$SWTPM_DIR")
	export HOSTGATE_TCTI=$SWTPM_TCTI HOSTGATE_STATE=$WORK/state-$1 \
		HOSTGATE_LOG=$WORK/log-$1.cel
	"$ATTEST" init >/dev/null
}

echo "creating 2 GiB + 2 x 1 GiB of random data in $WORK ..."
head -c 2G /dev/urandom >"$WORK/big"
head -c 1G /dev/urandom >"$WORK/one"
head -c 1G /dev/urandom >"$WORK/two"
cat "$WORK/big" "$WORK/one" "$WORK/two" >/dev/null   # warm the page cache

tpm sha256
declare -a M O S M3 P2 O2
for r in $(seq "$ROUNDS"); do
	M+=("$(t "$ATTEST" measure --kind image "$WORK/big")")
	O+=("$(t openssl dgst -sha256 "$WORK/big")")
	S+=("$(t sha256sum "$WORK/big")")
	P2+=("$(t "$ATTEST" measure --kind image "$WORK/one" "$WORK/two")")
	O2+=("$(t bash -c "openssl dgst -sha256 '$WORK/one'; openssl dgst -sha256 '$WORK/two'")")
done
rss=$(/usr/bin/time -f %M "$ATTEST" measure --kind image "$WORK/big" 2>&1 >/dev/null | tail -1)
orss=$(/usr/bin/time -f %M openssl dgst -sha256 "$WORK/big" 2>&1 >/dev/null | tail -1)
tpm sha1,sha256,sha384
for r in $(seq "$ROUNDS"); do
	M3+=("$(t "$ATTEST" measure --kind image "$WORK/big")")
done

m=$(median "${M[@]}"); o=$(median "${O[@]}"); s=$(median "${S[@]}")
p2=$(median "${P2[@]}"); o2=$(median "${O2[@]}"); m3=$(median "${M3[@]}")
cat <<REPORT

hostgate measure benchmark ($(nproc) cores, median of $ROUNDS, page cache warm)
A. one 2 GiB file, sha256 bank
   hostgate measure      ${m} s   $(echo "scale=0; 2048 / $m" | bc) MiB/s
   openssl dgst -sha256  ${o} s   measure is $(ratio "$o" "$m")x openssl (target >= 1.0)
   sha256sum             ${s} s   measure is $(ratio "$s" "$m")x sha256sum
   (3 banks sha1+sha256+sha384: ${m3} s, $(ratio "$o" "$m3")x openssl-sha256)
B. two 1 GiB files
   hostgate measure      ${p2} s
   2 x openssl dgst      ${o2} s   measure is $(ratio "$o2" "$p2")x (target >= 1.7)
C. peak RSS, measure of the 2 GiB file: $((rss / 1024)) MiB (${rss} KiB; target < 32 MiB)
   (openssl dgst -sha256 of it: $((orss / 1024)) MiB)
REPORT

mibs() { printf '%.0f' "$(echo "scale=3; $1 / $2" | bc)"; }
ro=$(bench_ratio "$o" "$m"); rs=$(bench_ratio "$s" "$m"); r2=$(bench_ratio "$o2" "$p2")
echo
# Targets: the brief's "measure beats openssl dgst -sha256" (> 1.0x; the
# same assumed against sha256sum, the other named peer); this script's
# 1.7x for two files and < 32 MiB RSS.
bench_result goal=measure-openssl what="measure, one 2 GiB file, sha256 bank" \
	value="$(mibs 2048 "$m")" unit=MiB/s peer="openssl dgst -sha256" peer_value="$(mibs 2048 "$o")" \
	ratio="$ro" target="> 1.0x" met="$(bench_met "$ro" '>' 1.0)" \
	note="median of $ROUNDS, page cache warm; 3 banks: $(bench_ratio "$o" "$m3")x openssl-sha256"
bench_result goal=measure-sha256sum what="measure, the same file, vs sha256sum" \
	value="$(mibs 2048 "$m")" unit=MiB/s peer=sha256sum peer_value="$(mibs 2048 "$s")" \
	ratio="$rs" target="> 1.0x" met="$(bench_met "$rs" '>' 1.0)"
bench_result goal=measure-two-files what="measure, two 1 GiB files at once" \
	value="$(mibs 2048 "$p2")" unit=MiB/s peer="2 x openssl dgst, one after the other" peer_value="$(mibs 2048 "$o2")" \
	ratio="$r2" target=">= 1.7x" met="$(bench_met "$r2" '>=' 1.7)"
bench_result goal=measure-rss what="measure, peak RSS on the 2 GiB file" \
	value="$(mibs "$rss" 1024)" unit=MiB peer="openssl dgst -sha256" peer_value="$(mibs "$orss" 1024)" \
	ratio="$(bench_ratio "$rss" "$orss")" target="< 32 MiB" met="$(bench_met "$rss" '<' $((32 * 1024)))"
