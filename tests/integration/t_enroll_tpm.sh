#!/bin/bash
# t_enroll_tpm.sh: one TPM, one host (issue 11 item 7; cf. CVE-2021-3406)
# and the registry's operator commands (issue 13 item 7), on two swtpms A
# and B, each provisioned by its own swtpm_localca (t_enroll.sh's pattern).
#
#  - A enrolled as host-a; A's RSA EK under another name is refused naming
#    host-a, and so is A's ECC EK (another EK key, the same AK).
#  - Two challenges in flight for one TPM under two names (made before
#    either was enrolled): the first --finish wins, the second is refused
#    naming the winner, and its challenge is spent.
#  - --replace moves the TPM: the old host goes (check --host refuses it),
#    the new one passes check, and a tpm-moved event names both.
#  - hosts remove / rename: recorded events, unknown names and a taken
#    NEW refused (exit 1), bad names (exit 2), --help; a removed host's
#    TPM enrolls again without --replace; hosts --json prints [] when
#    nothing is enrolled.
#  - enroll --host names: a DNS-label-like rule, refused names shown
#    escaped.
. "$(dirname "$0")/lib.sh"
NONCE=0badc0ffee0ddf00d15ea5e5c0ffee01
cd "$WORK" || exit 1
export HOSTGATE_VERIFY_STATE=$WORK/vstate

start_tpm sha256; TA=$TCTI; DA=$SWTPM_DIR
start_tpm sha256; TB=$TCTI; DB=$SWTPM_DIR
unset HOSTGATE_TCTI HOSTGATE_STATE HOSTGATE_LOG
A=(--tcti "$TA" --state "$WORK/sa" --log "$WORK/sa.cel")
B=(--tcti "$TB" --state "$WORK/sb" --log "$WORK/sb.cel")
"$HG_ATTEST" init "${A[@]}" >/dev/null || { fail init-a "init failed"; exit 1; }
"$HG_ATTEST" init "${B[@]}" --ak-alg rsa >/dev/null || { fail init-b "init failed"; exit 1; }
mkdir ca
cp "$DA/ca/issuercert.pem" ca/a-int.pem; cp "$DA/ca/swtpm-localca-rootca-cert.pem" ca/a-root.pem
cp "$DB/ca/issuercert.pem" ca/b-int.pem; cp "$DB/ca/swtpm-localca-rootca-cert.pem" ca/b-root.pem
flushall() {
	tpm2_flushcontext -T "$1" -t >/dev/null 2>&1
	tpm2_flushcontext -T "$1" -s >/dev/null 2>&1
}
# sql QUERY: one value from the registry, read behind hostgate's back.
sql() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
r = c.execute(sys.argv[2]).fetchone()
print(r[0] if r else "")' "$HOSTGATE_VERIFY_STATE/registry.sqlite" "$1"
}
# enroll_host NAME REQ TPM-ARGS [enroll args]: challenge, activate, finish.
enroll_host() {
	local name=$1 req=$2 tpm=$3
	shift 3
	"$HG_VERIFY" enroll --host "$name" --ca ca "$@" "$req" -o "ch-$name.cbor" >/dev/null 2>&1 &&
		"$HG_ATTEST" activate $tpm "ch-$name.cbor" -o "resp-$name.cbor" >/dev/null 2>&1 &&
		"$HG_VERIFY" enroll --finish "resp-$name.cbor" >"fin-$name.out" 2>&1
}
"$HG_ATTEST" enroll-request "${A[@]}" -o reqA.cbor >/dev/null || { fail req-a "enroll-request failed"; exit 1; }
"$HG_ATTEST" enroll-request "${B[@]}" -o reqB.cbor >/dev/null || { fail req-b "enroll-request failed"; exit 1; }
flushall "$TA"; flushall "$TB"
"$HG_ATTEST" quote "${A[@]}" --nonce $NONCE -o evA.cbor >/dev/null || { fail quote-a "quote failed"; exit 1; }
"$HG_ATTEST" quote "${B[@]}" --nonce $NONCE -o evB.cbor >/dev/null || { fail quote-b "quote failed"; exit 1; }
"$HG_VERIFY" learn --ak "$WORK/sa/ak.pub" evA.cbor >polA.json
"$HG_VERIFY" learn --ak "$WORK/sb/ak.pub" evB.cbor >polB.json

# --- nothing enrolled yet ------------------------------------------------------
expect_exit 0 hosts-json-no-registry "$HG_VERIFY" hosts --json
[ "$(cat "$WORK/last.out")" = "[]" ] && pass hosts-json-no-registry-empty ||
	fail hosts-json-no-registry-empty "$(cat "$WORK/last.out")"
[ ! -e vstate/registry.sqlite ] && pass hosts-list-creates-nothing || fail hosts-list-creates-nothing "registry created"
expect_exit 0 hosts-no-state-dir "$HG_VERIFY" hosts --state "$WORK/nonexistent"
grep -qx "no hosts enrolled" "$WORK/last.out" && pass hosts-no-state-dir-says || fail hosts-no-state-dir-says "$(cat "$WORK/last.out")"
[ ! -e "$WORK/nonexistent" ] && pass hosts-list-creates-no-dir || fail hosts-list-creates-no-dir "created"
printf 'not a database at all, not at all' >notdb.sqlite
mkdir notdb && cp notdb.sqlite notdb/registry.sqlite
expect_exit 2 hosts-not-a-registry "$HG_VERIFY" hosts --json --state "$WORK/notdb"
expect_err "not a hostgate registry" hosts-not-a-registry-why
expect_exit 2 hosts-remove-no-registry "$HG_VERIFY" hosts remove host-a
expect_err "no registry (enroll a host first)" hosts-remove-no-registry-why

# --- one TPM, one host ---------------------------------------------------------
enroll_host host-a reqA.cbor "${A[*]}" --ek rsa && pass a-enrolled || fail a-enrolled "$(cat fin-host-a.out)"
flushall "$TA"
expect_exit 1 same-ek-other-name "$HG_VERIFY" enroll --host host-x --ca ca --ek rsa reqA.cbor -o x.cbor
expect_err "the request's EK (key sha256:" same-ek-other-name-says-ek
expect_err "is enrolled as host host-a: one TPM, one host; give --replace to move it to host host-x" same-ek-other-name-names-host
[ ! -e x.cbor ] && pass same-ek-no-challenge || fail same-ek-no-challenge "a challenge was written"
# The same TPM's ECC EK: another EK key, but the AK is host-a's.
expect_exit 1 ecc-ek-same-ak "$HG_VERIFY" enroll --host host-x --ca ca --ek ecc reqA.cbor -o x.cbor
expect_err "the request's AK (Name $(sql "SELECT hex(ak_name) FROM hosts WHERE name = 'host-a'" | tr A-F a-f)) is enrolled as host host-a" ecc-ek-same-ak-names-host
# Its own name again is an ordinary re-enrollment.
expect_exit 0 same-host-again "$HG_VERIFY" enroll --host host-a --ca ca --ek rsa reqA.cbor -o x.cbor
[ "$(sql "SELECT count(*) FROM hosts")" = 1 ] && pass still-one-host || fail still-one-host "$(sql "SELECT group_concat(name) FROM hosts")"

# --- the finish-time race: two names, one TPM, both challenged -----------------
# P through A's RSA EK, Q through its ECC EK: they share the AK.
export HOSTGATE_VERIFY_STATE=$WORK/vstate-race
expect_exit 0 race-challenge-p "$HG_VERIFY" enroll --host host-p --ca ca --ek rsa reqA.cbor -o chP.cbor
expect_exit 0 race-challenge-q "$HG_VERIFY" enroll --host host-q --ca ca --ek ecc reqA.cbor -o chQ.cbor
"$HG_ATTEST" activate "${A[@]}" chP.cbor -o respP.cbor >/dev/null 2>&1; flushall "$TA"
"$HG_ATTEST" activate "${A[@]}" chQ.cbor -o respQ.cbor >/dev/null 2>&1; flushall "$TA"
expect_exit 0 race-first-finish-wins "$HG_VERIFY" enroll --finish respQ.cbor
expect_exit 1 race-second-finish-refused "$HG_VERIFY" enroll --finish respP.cbor
expect_err "the AK of host host-p's request was enrolled as host host-q meanwhile: one TPM, one host" race-second-names-winner
expect_exit 3 race-second-spent "$HG_VERIFY" enroll --finish respP.cbor
expect_err "replayed response" race-second-spent-why
[ "$(sql "SELECT group_concat(name) FROM hosts")" = host-q ] && pass race-one-host ||
	fail race-one-host "$(sql "SELECT group_concat(name) FROM hosts")"
export HOSTGATE_VERIFY_STATE=$WORK/vstate

# --- --replace moves the TPM ---------------------------------------------------
expect_exit 0 replace-challenge "$HG_VERIFY" enroll --host host-x --ca ca --ek rsa --replace reqA.cbor -o chX.cbor
expect_exit 0 replace-activate "$HG_ATTEST" activate "${A[@]}" chX.cbor -o respX.cbor
flushall "$TA"
expect_exit 0 replace-finish "$HG_VERIFY" enroll --finish respX.cbor
grep -qx "moved the TPM from host host-a (removed)" "$WORK/last.out" && pass replace-says-moved ||
	fail replace-says-moved "$(cat "$WORK/last.out")"
[ "$(sql "SELECT count(*) FROM events WHERE event = 'tpm-moved' AND host = 'host-a' AND other = 'host-x'")" = 1 ] &&
	pass replace-recorded || fail replace-recorded "$(sql "SELECT group_concat(event || ' ' || host || ' ' || ifnull(other, '-')) FROM events")"
expect_exit 0 moved-check-new-name "$HG_VERIFY" check --host host-x --nonce $NONCE --policy polA.json evA.cbor
expect_exit 2 moved-check-old-name "$HG_VERIFY" check --host host-a --nonce $NONCE --policy polA.json evA.cbor
expect_err "--host host-a: not enrolled" moved-check-old-name-why

# --- hosts rename / remove -----------------------------------------------------
enroll_host host-b reqB.cbor "${B[*]}" && pass b-enrolled || fail b-enrolled "$(cat fin-host-b.out)"
flushall "$TB"
expect_exit 0 rename-help "$HG_VERIFY" hosts rename --help
grep -q "^Usage: hostgate-verify hosts rename OLD NEW" "$WORK/last.out" && pass rename-help-text || fail rename-help-text "$(head -2 "$WORK/last.out")"
expect_exit 0 remove-help "$HG_VERIFY" hosts remove --help
grep -q "^Usage: hostgate-verify hosts remove NAME" "$WORK/last.out" && pass remove-help-text || fail remove-help-text "$(head -2 "$WORK/last.out")"
expect_exit 1 rename-unknown "$HG_VERIFY" hosts rename host-zz host-yy
expect_err "hosts rename: host-zz: no such host enrolled" rename-unknown-why
expect_exit 1 rename-to-taken "$HG_VERIFY" hosts rename host-b host-x
expect_err "hosts rename: host-x: a host of that name is enrolled" rename-to-taken-why
expect_exit 2 rename-bad-name "$HG_VERIFY" hosts rename host-b "$(printf 'b\033[2J')"
expect_err 'hosts rename: "b\x1b[2J": not a host name' rename-bad-name-escaped
expect_exit 2 rename-one-arg "$HG_VERIFY" hosts rename host-b
expect_exit 0 rename "$HG_VERIFY" hosts rename host-b host-bb
grep -qx "renamed host host-b to host-bb" "$WORK/last.out" && pass rename-says || fail rename-says "$(cat "$WORK/last.out")"
expect_exit 0 renamed-check "$HG_VERIFY" check --host host-bb --nonce $NONCE --policy polB.json evB.cbor
expect_exit 2 renamed-old-name-gone "$HG_VERIFY" check --host host-b --nonce $NONCE --policy polB.json evB.cbor
[ "$(sql "SELECT count(*) FROM events WHERE event = 'renamed' AND host = 'host-b' AND other = 'host-bb'")" = 1 ] &&
	pass rename-recorded || fail rename-recorded "no event"
[ "$(sql "SELECT count(*) FROM enrollments WHERE host = 'host-bb'")" = 1 ] &&
	pass rename-moves-history || fail rename-moves-history "$(sql "SELECT group_concat(host) FROM enrollments")"
# The renamed host is still the one holder of B's TPM.
expect_exit 1 renamed-still-holds-tpm "$HG_VERIFY" enroll --host host-b --ca ca reqB.cbor -o x.cbor
expect_err "is enrolled as host host-bb" renamed-still-holds-tpm-why

expect_exit 1 remove-unknown "$HG_VERIFY" hosts remove host-zz
expect_err "hosts remove: host-zz: no such host enrolled" remove-unknown-why
expect_exit 0 remove "$HG_VERIFY" hosts remove host-x
grep -qx "removed host host-x" "$WORK/last.out" && pass remove-says || fail remove-says "$(cat "$WORK/last.out")"
expect_exit 1 remove-again "$HG_VERIFY" hosts remove host-x
[ "$(sql "SELECT count(*) FROM events WHERE event = 'removed' AND host = 'host-x'")" = 1 ] &&
	pass remove-recorded || fail remove-recorded "no event"
expect_exit 2 removed-check "$HG_VERIFY" check --host host-x --nonce $NONCE --policy polA.json evA.cbor
# A's TPM is nobody's now: a new name needs no --replace.
enroll_host host-new reqA.cbor "${A[*]}" --ek rsa && pass removed-tpm-enrolls-again ||
	fail removed-tpm-enrolls-again "$(cat fin-host-new.out)"
flushall "$TA"
expect_exit 0 hosts-remove-rest "$HG_VERIFY" hosts remove host-new
expect_exit 0 hosts-remove-rest-2 "$HG_VERIFY" hosts remove host-bb
expect_exit 0 hosts-json-empty "$HG_VERIFY" hosts --json
[ "$(cat "$WORK/last.out")" = "[]" ] && pass hosts-json-empty-brackets || fail hosts-json-empty-brackets "$(cat "$WORK/last.out")"
expect_exit 0 hosts-table-empty "$HG_VERIFY" hosts
grep -qx "no hosts enrolled" "$WORK/last.out" && pass hosts-table-empty-says || fail hosts-table-empty-says "$(cat "$WORK/last.out")"
expect_exit 2 hosts-unknown-subcommand "$HG_VERIFY" hosts purge
expect_err 'unexpected argument "purge" (subcommands: remove, rename, set-agent, set-group)' hosts-unknown-subcommand-why

# --- host names given to enroll --host -------------------------------------------
# badname NAME VALUE SHOWN: refused (exit 2), shown escaped.
badname() {
	expect_exit 2 "host-name-$1" "$HG_VERIFY" enroll --host "$2" --ca ca reqA.cbor -o x.cbor
	expect_err "--host \"$3\": not 1..64 of [A-Za-z0-9._-]" "host-name-$1-why"
}
badname space "a b" "a b"
badname dash-first "-x" "-x"
badname dot-first ".x" ".x"
badname too-long "$(printf 'h%.0s' $(seq 65))" "$(printf 'h%.0s' $(seq 65))"
badname esc "$(printf 'a\033[31m')" 'a\x1b[31m'
badname rlo "$(printf 'ab\xe2\x80\xaec')" 'ab\u202ec'
badname utf8 "$(printf 'h\xc3\xb4st')" "$(printf 'h\xc3\xb4st')"
badname slash "../etc" "../etc"
expect_exit 0 host-name-64 "$HG_VERIFY" enroll --host "$(printf 'h%.0s' $(seq 64))" --ca ca --ek rsa reqA.cbor -o x.cbor
