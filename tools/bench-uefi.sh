#!/bin/bash
# bench-uefi.sh: the UEFI firmware event log parse and replay rate
# (issue 5), on the largest logs of the shared corpus.
#
#   A. in-process (tests/bench/bench_uefilog.c): events/s of the parser
#      alone and of hg_uefi_replay() (parse + every extend in every known
#      bank), per log and over all of them; median of $ROUNDS runs of
#      $MSECS ms each, parse and replay runs interleaved.
#   B. for scale, 'tpm2_eventlog LOG' (tpm2-tools), one process per log as
#      it is used, YAML output to /dev/null: median wall time of $PROCS
#      runs. It is not the same work (process start, YAML, no verdict),
#      only the one peer on this machine; skipped when not installed.
#      Interleaved with it, the same for 'hostgate-verify show --uefi-log
#      LOG' (parse, replay, facts, text to /dev/null): the process-per-log
#      comparison the result line's ratio is taken from.
#
# The logs are the five largest real logs of tests/data/uefi (or
# $HG_UEFI_CORPUS), chosen by name below: they differ in bank count (1 to
# 4), which sets the replay's cost. Runs are pinned to core $BENCH_CPU
# when taskset exists. These machines are shared and noisy: the medians
# are what to quote.
#
# Usage: BUILD=build tools/bench-uefi.sh
#   ROUNDS=11  MSECS=300  PROCS=50  BENCH_CPU=0  HG_UEFI_CORPUS=
# Uses $BUILD/bench/bench_uefilog ('make' builds it). Ends with one
# BENCH-RESULT line (tools/bench-result.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/bench-result.sh
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-11}
MSECS=${MSECS:-300}
PROCS=${PROCS:-50}
CPU=${BENCH_CPU:-0}
CORPUS=${HG_UEFI_CORPUS:-tests/data/uefi}
BENCH=$BUILD/bench/bench_uefilog
VERIFY=$BUILD/bin/hostgate-verify
AOUT=$(mktemp "${TMPDIR:-/tmp}/hostgate-bench-uefi.XXXXXX")
trap 'rm -f "$AOUT"' EXIT

die() { echo "bench-uefi: $*" >&2; exit 1; }
[ -x "$BENCH" ] || die "$BENCH missing: run make first"
[ -x "$VERIFY" ] || die "$VERIFY missing: run make first"
[ -d "$CORPUS" ] || die "UEFI corpus not found at $CORPUS (set HG_UEFI_CORPUS)"

LOGS=(
	google_go-attestation/option_rom_eventlog                  # 72,817 B, 61 events, sha1 (legacy)
	tpm2-software_tpm2-tss/binary_measurements_hcrtm.bin       # 53,640 B, 204 events, sha1+sha256 (+sm3)
	keylime_keylime/create-mb-policy/binary_bios_measurements  # 49,088 B, 121 events, sha1+sha256
	zededa_evepcr/testdata/dst_version/14.5_stable.bin         # 48,023 B, 193 events, 4 banks
	keylime_keylime/create-mb-policy/binary_bios_measurements-secureboot # 41,371 B, 99 events, sha256
)
paths=()
for l in "${LOGS[@]}"; do
	[ -f "$CORPUS/$l" ] || die "$CORPUS/$l missing"
	paths+=("$CORPUS/$l")
done

pin=()
if command -v taskset >/dev/null; then
	pin=(taskset -c "$CPU")
fi

echo "== A. in-process, median of $ROUNDS runs of $MSECS ms${pin:+ (pinned to core $CPU)}"
"${pin[@]}" "$BENCH" "$ROUNDS" "$MSECS" "${paths[@]}" | tee "$AOUT" |
	sed "s|$CORPUS/||"

# For the result line: events, and median ns a process, of the logs both
# read (hostgate-verify show and tpm2_eventlog).
EV_SUM=0 HG_NS=0 TE_NS=0
if command -v tpm2_eventlog >/dev/null; then
	echo "== B. tpm2_eventlog $(tpm2_eventlog -v 2>/dev/null | sed -n 's/.*version="\([^"]*\)".*/\1/p'), one process per log, median of $PROCS"
	for p in "${paths[@]}"; do
		ts=()
		hs=()
		rc=0
		for _ in $(seq "$PROCS"); do
			t0=$(date +%s%N)
			"${pin[@]}" "$VERIFY" show --uefi-log "$p" >/dev/null 2>&1 ||
				die "hostgate-verify show --uefi-log $p failed"
			hs+=($(( $(date +%s%N) - t0 )))
			t0=$(date +%s%N)
			# A subshell, so that bash's own "Segmentation fault"
			# line does not land in the report.
			("${pin[@]}" tpm2_eventlog "$p" >/dev/null 2>&1; exit $?) 2>/dev/null || rc=$?
			[ "$rc" = 0 ] || break
			ts+=($(( $(date +%s%N) - t0 )))
		done
		if [ "$rc" -gt 128 ]; then
			echo "${p#"$CORPUS"/}: tpm2_eventlog crashes on this log (signal $((rc - 128)))"
			continue
		elif [ "$rc" != 0 ]; then
			echo "${p#"$CORPUS"/}: tpm2_eventlog refuses this log (exit $rc)"
			continue
		fi
		med=$(printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
		hmed=$(printf '%s\n' "${hs[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
		echo "${p#"$CORPUS"/}: $((med / 1000)) us a log (hostgate-verify show --uefi-log: $((hmed / 1000)) us)"
		ev=$(awk -v f="$p:" '$1 == f { print $2 }' "$AOUT")
		EV_SUM=$((EV_SUM + ev)) HG_NS=$((HG_NS + hmed)) TE_NS=$((TE_NS + med))
	done
else
	echo "== B. skipped: tpm2_eventlog not installed"
fi

# The result line (tools/bench-table.sh). No issue sets a goal for the
# replay rate: the target assumed is "not slower than the one peer", one
# process per log on the logs both read; the in-process rate is the note.
echo
all=$(sed -n 's/^all .* replay \([0-9]*\) events\/s$/\1/p' "$AOUT")
if [ "$TE_NS" -gt 0 ]; then
	hr=$(bench_ratio "$((EV_SUM * 1000000000))" "$HG_NS" 0)
	tr=$(bench_ratio "$((EV_SUM * 1000000000))" "$TE_NS" 0)
	r=$(bench_ratio "$TE_NS" "$HG_NS")
	bench_result goal=uefi-replay what="UEFI log parse + replay, one process per log" \
		value="$hr" unit=events/s peer="tpm2_eventlog, one process per log" peer_value="$tr" \
		ratio="$r" target=">= 1.0x (assumed)" met="$(bench_met "$r" '>=' 1.0)" \
		note="$EV_SUM events in the logs both read; in process (bench_uefilog): ${all:-?} events/s"
else
	bench_skip uefi-replay "UEFI log parse + replay, one process per log" \
		"tpm2_eventlog not installed or read none of the logs; in process: ${all:-?} events/s"
fi
