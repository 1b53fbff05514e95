#!/bin/bash
# t_concurrent.sh: concurrent 'measure' runs serialise on the log lock and
# leave one consistent log: every file once, recnums in order, replay ==
# PCR in every bank.
. "$(dirname "$0")/lib.sh"
start_tpm sha1,sha256 --no-ek-certs
"$HG_ATTEST" init >/dev/null || { fail init "init failed"; exit 1; }
mkdir -p "$WORK/a" "$WORK/b" "$WORK/c"
for i in $(seq 1 15); do
	head -c $((i * 5000)) /dev/urandom >"$WORK/a/$i"
	head -c $((i * 7000)) /dev/urandom >"$WORK/b/$i"
	head -c $((i * 3000)) /dev/urandom >"$WORK/c/$i"
done
"$HG_ATTEST" measure --kind image "$WORK"/a/* >"$WORK/a.out" 2>&1 &
p1=$!
"$HG_ATTEST" measure --kind config "$WORK"/b/* >"$WORK/b.out" 2>&1 &
p2=$!
"$HG_ATTEST" measure --kind firmware "$WORK"/c/* >"$WORK/c.out" 2>&1 &
p3=$!
ok=1
wait $p1 || ok=0
wait $p2 || ok=0
wait $p3 || ok=0
[ $ok = 1 ] && pass "three-concurrent-measures-succeed" ||
	fail "three-concurrent-measures-succeed" "$(cat "$WORK"/[abc].out)"

expect_exit 0 "log-valid-after-concurrency" "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json
n=$(jq '.records | length' "$WORK/last.out")
[ "$n" = 46 ] && pass "log-has-1-plus-45-records" || fail "log-has-1-plus-45-records" "$n"
dups=$(jq -r '.records[] | select(.type=="file") | .name' "$WORK/last.out" | sort | uniq -d | wc -l)
[ "$dups" = 0 ] && pass "each-file-logged-once" || fail "each-file-logged-once" "$dups duplicates"
# Each run's records are contiguous: a run holds the lock for all its files.
runs=$(jq -r '.records[] | select(.type=="file") | .kind' "$WORK/last.out" | uniq | wc -l)
[ "$runs" = 3 ] && pass "each-run-appends-contiguously" || fail "each-run-appends-contiguously" "$runs kind runs"
for bank in sha1 sha256; do
	want=$(pcr_value "$bank" 13)
	got=$(replay_independent "$HOSTGATE_LOG" "$bank" 13)
	[ "$want" = "$got" ] && pass "concurrent-$bank-replay-equals-pcr" ||
		fail "concurrent-$bank-replay-equals-pcr" "tpm $want replay $got"
done
