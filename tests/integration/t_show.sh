#!/bin/bash
# t_show.sh: 'hostgate-verify show --log' on a real log and on hostile
# ones: each refusal has its exit code and names the record and reason.
. "$(dirname "$0")/lib.sh"
start_tpm sha256 --no-ek-certs
"$HG_ATTEST" init >/dev/null || { fail init "init failed"; exit 1; }
"$HG_ATTEST" measure --kind hypervisor /bin/true /bin/false >/dev/null &&
	"$HG_ATTEST" measure --kind image /etc/hostname >/dev/null || { fail measure "measure failed"; exit 1; }
LOG=$HOSTGATE_LOG
size=$(stat -c %s "$LOG")

expect_exit 0 "show-help" "$HG_VERIFY" show --help
expect_exit 2 "show-needs-log" "$HG_VERIFY" show
expect_exit 2 "show-missing-file" "$HG_VERIFY" show --log "$WORK/none.cel"
expect_err "$WORK/none.cel: No such file or directory" "show-missing-file-message"
expect_exit 0 "show-valid" "$HG_VERIFY" show --log "$LOG"
grep -q '^#2 pcr 13 hypervisor /.*/false (' "$WORK/last.out" &&
	pass "show-prints-records" || fail "show-prints-records" "$(head -5 "$WORK/last.out")"

# bad NAME FILE CODE MESSAGE: show must exit CODE naming MESSAGE.
bad() {
	expect_exit "$3" "$1" "$HG_VERIFY" show --log "$2"
	expect_err "$4" "$1-message"
}
printf '' >"$WORK/empty.cel"
bad "empty-log" "$WORK/empty.cel" 3 "empty log"
printf '\x9a%.0s' $(seq 18) >"$WORK/9a.cel"
# Bounded memory: libcbor 0.8's cbor_load would ask for 20 GB here. Peak
# RSS must stay small (ASan's own shadow memory gets a larger allowance).
expect_exit 3 "cbor-9a-bomb-refused" /usr/bin/time -o "$WORK/rss" -f %M "$HG_VERIFY" show --log "$WORK/9a.cel"
expect_err "record 0 (offset 0): CBOR length exceeds input" "cbor-9a-bomb-message"
limit=$((32 * 1024)); case $BUILD in *asan*) limit=$((256 * 1024)) ;; esac
rss=$(tail -1 "$WORK/rss")
[ "$rss" -lt "$limit" ] && pass "cbor-9a-bomb-bounded-memory" ||
	fail "cbor-9a-bomb-bounded-memory" "peak RSS ${rss} KiB >= ${limit} KiB"
head -c $((size - 10)) "$LOG" >"$WORK/trunc.cel"
bad "truncated-log" "$WORK/trunc.cel" 3 "record 3 ("
expect_err "truncated record" "truncated-log-reason"
cp "$LOG" "$WORK/trail.cel"; printf '\x00' >>"$WORK/trail.cel"
bad "trailing-garbage" "$WORK/trail.cel" 3 "record 4 (offset $size): not a tagged COSE_Sign1"
printf '{"records": []}' >"$WORK/json.cel"
bad "wrongly-typed-json" "$WORK/json.cel" 3 "record 0 (offset 0)"
printf '\x84\x40\xa0\x40\x40' >"$WORK/untagged.cel"
bad "untagged-cose" "$WORK/untagged.cel" 3 "not a tagged COSE_Sign1"
head -c $((64 * 1024 * 1024 + 1)) /dev/zero >"$WORK/big.cel"
bad "oversized-log" "$WORK/big.cel" 3 "log larger than 64 MiB"
# Flip the last byte of record 2's signature.
off=$(jq '.records[3].offset' <("$HG_VERIFY" show --log "$LOG" --json))
cp "$LOG" "$WORK/flip.cel"
printf '\xff' | dd of="$WORK/flip.cel" bs=1 seek=$((off - 1)) conv=notrunc status=none
bad "flipped-signature" "$WORK/flip.cel" 3 "record 2 ("
expect_err "signature invalid" "flipped-signature-reason"
# Records spliced out of order.
"$HG_VERIFY" show --log "$LOG" --json >"$WORK/l.json"
o1=$(jq '.records[1].offset' "$WORK/l.json"); o2=$(jq '.records[2].offset' "$WORK/l.json"); o3=$(jq '.records[3].offset' "$WORK/l.json")
{ head -c "$o1" "$LOG"; tail -c +$((o2 + 1)) "$LOG" | head -c $((o3 - o2)); tail -c +$((o1 + 1)) "$LOG" | head -c $((o2 - o1)); tail -c +$((o3 + 1)) "$LOG"; } >"$WORK/swap.cel"
bad "records-reordered" "$WORK/swap.cel" 3 "record 1 ("
expect_err "recnum out of sequence" "records-reordered-reason"
{ head -c "$o2" "$LOG"; tail -c +$((o3 + 1)) "$LOG"; } >"$WORK/removed.cel"
bad "record-removed" "$WORK/removed.cel" 3 "record 2 ("
# --json on a bad log still says where it broke.
"$HG_VERIFY" show --log "$WORK/flip.cel" --json >"$WORK/bad.json" 2>/dev/null
[ "$(jq -c '[.valid, .error.record, .error.reason]' "$WORK/bad.json")" = '[false,2,"signature invalid"]' ] &&
	pass "json-error-names-record" || fail "json-error-names-record" "$(jq -c .error "$WORK/bad.json")"
