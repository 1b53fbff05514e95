#!/bin/bash
# t_tamper_names.sh: host-chosen names (issue 11 item 8), on a swtpm.
#
#  - hostgate-attest measure refuses a file whose name has a bidi
#    override (U+202E), a zero-width character (U+200B, U+200D, U+FEFF),
#    a C0 control (ESC, newline), a C1 control (U+0085) or bytes that are
#    not UTF-8: exit 2, the reason, the name escaped, and nothing of the
#    command measured (the log and the PCR unchanged). UTF-8 names and
#    names with '\' are measured; show prints them through the escaper.
#  - Hostile evidence: a record whose name carries such bytes, signed with
#    the host's own log key (tests/tools/logtool) and put into genuine
#    evidence (evtool): check refuses it at "log" naming the record and the
#    class (exit 3), even with a policy allowing any overlay; learn
#    refuses it; show --log stops at it; nothing raw reaches stderr.
. "$(dirname "$0")/lib.sh"
LOGTOOL=$BUILD/tests/tools/logtool
[ -x "$LOGTOOL" ] || { fail setup "logtool not built (run make)"; exit 1; }
cp "$LOGTOOL" "$WORK/bin/" && LOGTOOL=$WORK/bin/logtool
[ -x "$EVTOOL" ] || { fail setup "evtool not built (run make)"; exit 1; }
cd "$WORK" || exit 1
N=00112233445566778899aabbccddeeff
mkdir -p files
start_tpm sha256 --no-ek-certs
"$HG_ATTEST" init --ak-out ak.pub >/dev/null || { fail init "init failed"; exit 1; }
head -c 5000 /dev/urandom >files/golden.raw
"$HG_ATTEST" measure --kind image files/golden.raw >/dev/null || { fail setup "measure failed"; exit 1; }

logsize() { stat -c %s "$HOSTGATE_LOG"; }
pcr16() { tpm2_pcrread -T "$TCTI" sha256:16 2>/dev/null | tail -1; }
# no_raw NAME FILE: FILE holds no ESC, no C1 (as UTF-8), no bidi or
# zero-width character: what a terminal would act on.
no_raw() {
	if LC_ALL=C grep -qP '\x1b|\xc2[\x80-\x9f]|\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0\xa6-\xa9]|\xef\xbb\xbf' "$2"; then
		fail "$1" "raw control bytes in $(basename "$2"): $(cat -v "$2" | head -c 200)"
	else
		pass "$1"
	fi
}

# --- measure refuses ---------------------------------------------------------
# refused NAME FILE-BYTES-PRINTF WHY SHOWN: measuring a file so named exits
# 2 with WHY and the name shown escaped as SHOWN; nothing is recorded.
refused() {
	local name=$1 f before pbefore
	f="$WORK/files/$(printf "$2")"
	: >"$f"
	before=$(logsize); pbefore=$(pcr16)
	expect_exit 2 "measure-$name" "$HG_ATTEST" measure --kind image "$f"
	expect_err "$WORK/files/$4: file name $3: not measured" "measure-$name-why"
	[ "$(logsize)" = "$before" ] && [ "$(pcr16)" = "$pbefore" ] &&
		pass "measure-$name-nothing-recorded" ||
		fail "measure-$name-nothing-recorded" "log $before -> $(logsize), pcr changed"
	no_raw "measure-$name-stderr-escaped" "$WORK/last.err"
	rm -f "$f"
}
refused rlo 'a\xe2\x80\xaegpj.qcow2' "has a bidirectional control character" 'a\u202egpj.qcow2'
refused zwj 'q\xe2\x80\x8demu' "has a zero-width character" 'q\u200demu'
refused zwsp 'qemu\xe2\x80\x8b' "has a zero-width character" 'qemu\u200b'
refused bom '\xef\xbb\xbfimg' "has a zero-width character" '\ufeffimg'
refused esc 'e\x1b[2Jx' "has a control character (C0 or DEL)" 'e\x1b[2Jx'
refused newline 'two\nlines' "has a control character (C0 or DEL)" 'two\x0alines'
refused nel 'n\xc2\x85x' "has a C1 control character (U+0080-009F)" 'n\u0085x'
refused latin1 'caf\xe9' "is not valid UTF-8" 'caf\xe9'
refused lri 'x\xe2\x81\xa6y' "has a bidirectional control character" 'x\u2066y'

# A refused name among good ones: nothing of the command is measured.
: >files/good1
printf 'x' >"files/$(printf 'b\xe2\x80\xaec')"
before=$(logsize)
expect_exit 2 measure-mixed-refused "$HG_ATTEST" measure --kind image files/good1 "files/$(printf 'b\xe2\x80\xaec')"
[ "$(logsize)" = "$before" ] && pass measure-mixed-nothing-recorded ||
	fail measure-mixed-nothing-recorded "log grew: $before -> $(logsize)"
# Overlays are recorded by path only, through the same rule.
expect_exit 2 measure-overlay-refused "$HG_ATTEST" measure --kind overlay "files/$(printf 'b\xe2\x80\xaec')"
expect_err "has a bidirectional control character" measure-overlay-refused-why

# UTF-8 and '\' are names like any other; show escapes only the '\'.
printf 'u' >"files/$(printf 'caf\xc3\xa9.img')"
printf 'w' >'files/back\slash.img'
expect_exit 0 measure-utf8 "$HG_ATTEST" measure --kind image "files/$(printf 'caf\xc3\xa9.img')" 'files/back\slash.img'
expect_exit 0 show-log "$HG_VERIFY" show --log "$HOSTGATE_LOG"
grep -qF "$(printf 'caf\xc3\xa9.img')" "$WORK/last.out" && pass show-utf8-as-is ||
	fail show-utf8-as-is "$(cat "$WORK/last.out")"
grep -qF 'back\x5cslash.img' "$WORK/last.out" && pass show-backslash-escaped ||
	fail show-backslash-escaped "$(cat "$WORK/last.out")"
expect_exit 0 show-log-json "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json
jq -e --arg n "$WORK/files/$(printf 'caf\xc3\xa9.img')" '[.records[] | select(.name == $n)] | length == 1' \
	"$WORK/last.out" >/dev/null && pass show-json-utf8-name || fail show-json-utf8-name "$(head -c 300 "$WORK/last.out")"

# --- hostile evidence: a signed record with a bad name -----------------------
"$HG_ATTEST" quote --nonce $N -o ev.cbor >/dev/null || { fail setup "quote failed"; exit 1; }
"$HG_VERIFY" learn --ak ak.pub ev.cbor >pol.json || { fail setup "learn failed"; exit 1; }
expect_exit 0 genuine-trusted "$HG_VERIFY" check --ak ak.pub --nonce $N --policy pol.json ev.cbor
NREC=$("$HG_VERIFY" show --log "$HOSTGATE_LOG" --json | jq '.records | length')
BANKS=sha256
# hostile NAME NAME-HEX WHY: evidence whose log gains record NREC, an
# overlay record (path only: nothing else to get wrong) named by the bytes
# NAME-HEX, signed with the host's log key, is refused at log.
hostile() {
	local name=$1 hex=$2 why=$3
	"$LOGTOOL" record "$HOSTGATE_STATE/logkey.pem" "$NREC" 16 "$BANKS" overlay "$hex" >"rec-$name" ||
		{ fail "hostile-$name" "logtool failed"; return; }
	cat "$HOSTGATE_LOG" "rec-$name" >"log-$name"
	"$EVTOOL" set log "log-$name" ev.cbor >"ev-$name.cbor" || { fail "hostile-$name" "evtool failed"; return; }
	"$HG_VERIFY" check --ak ak.pub --nonce $N --policy pol.json "ev-$name.cbor" >v.json 2>v.err
	rc=$?
	[ "$rc" = 3 ] && pass "hostile-$name-exit-3" || fail "hostile-$name-exit-3" "exit $rc: $(head -c 300 v.err)"
	grep -qF "hostgate-verify: ev-$name.cbor: log: record $NREC (offset $(stat -c %s "$HOSTGATE_LOG")): content: name $why" v.err &&
		pass "hostile-$name-names-record" || fail "hostile-$name-names-record" "$(head -c 300 v.err)"
	[ "$(jq -r '[.checks[] | select(.result=="fail") | .check][0]' v.json)" = log ] &&
		[ "$(jq -r .verdict v.json)" = invalid ] && pass "hostile-$name-verdict" ||
		fail "hostile-$name-verdict" "$(head -c 300 v.json)"
	no_raw "hostile-$name-output-escaped" v.err
}
# Control: the same surgery with a good name decodes; the log passes and
# only the replay against the quoted PCR fails (the record was never
# extended), so the refusals below are the name's.
"$LOGTOOL" record "$HOSTGATE_STATE/logkey.pem" "$NREC" 16 "$BANKS" overlay "$(printf '/srv/fine.qcow2' | bin2hex)" >rec-good
cat "$HOSTGATE_LOG" rec-good >log-good
"$EVTOOL" set log log-good ev.cbor >ev-good.cbor
"$HG_VERIFY" check --ak ak.pub --nonce $N --policy pol.json ev-good.cbor >v.json 2>v.err
first=$(jq -r '[.checks[] | select(.result=="fail") | .check][0]' v.json)
log_ok=$(jq -r '.checks[] | select(.check=="log") | .result' v.json)
[ "$log_ok" = pass ] && [ -n "$first" ] && [ "$first" != log ] && pass hostile-control-good-name-decodes ||
	fail hostile-control-good-name-decodes "log $log_ok, first failing $first: $(head -c 300 v.err)"
hostile rlo "$(printf '/srv/a\xe2\x80\xaegpj.qcow2' | bin2hex)" "has a bidirectional control character"
hostile zwsp "$(printf '%s\xe2\x80\x8b' "$WORK/files/golden.raw" | bin2hex)" "has a zero-width character"
hostile zwj "$(printf '/usr/bin/q\xe2\x80\x8demu' | bin2hex)" "has a zero-width character"
hostile bom "$(printf '/\xef\xbb\xbfsrv/x' | bin2hex)" "has a zero-width character"
hostile esc "$(printf '/srv/\x1b]0;owned\x07' | bin2hex)" "has a control character (C0 or DEL)"
hostile nul "2f7372762f6100622e696d67" "has a control character (C0 or DEL)"
hostile del "$(printf '/srv/a\x7f' | bin2hex)" "has a control character (C0 or DEL)"
hostile nel "$(printf '/srv/a\xc2\x85' | bin2hex)" "has a C1 control character (U+0080-009F)"
hostile overlong "2f737276c0af6574632f706173737764" "is not valid UTF-8"
hostile surrogate "2f7372762feda080" "is not valid UTF-8"
hostile pdi "$(printf '/srv/\xe2\x81\xa9x' | bin2hex)" "has a bidirectional control character"
hostile alm "$(printf '/srv/\xd8\x9cx' | bin2hex)" "has a bidirectional control character"

# A policy that allows any overlay cannot make it pass: the record never
# reaches the policy.
jq '.unknown = ((.unknown // {}) + {overlay: "allow"})' pol.json >pol-rlo.json
expect_exit 3 hostile-rlo-policy-lists-it "$HG_VERIFY" check --ak ak.pub --nonce $N --policy pol-rlo.json ev-rlo.cbor
expect_err "log: record $NREC" hostile-rlo-policy-lists-it-why
# learn and show read logs with the same decoder.
expect_exit 3 hostile-learn-refused "$HG_VERIFY" learn --ak ak.pub ev-esc.cbor
expect_err "record $NREC" hostile-learn-names-record
no_raw hostile-learn-stderr-escaped "$WORK/last.err"
expect_exit 3 hostile-show-log "$HG_VERIFY" show --log log-esc
expect_err "record $NREC" hostile-show-log-names-record
grep -q "^log log-esc: $NREC valid records" "$WORK/last.out" && pass hostile-show-log-valid-prefix ||
	fail hostile-show-log-valid-prefix "$(head -3 "$WORK/last.out")"
no_raw hostile-show-log-output-escaped "$WORK/last.out"
# The same record in place of a genuine one (not appended): named too.
"$LOGTOOL" record "$HOSTGATE_STATE/logkey.pem" 1 16 "$BANKS" overlay "$(printf '/srv/a\xe2\x80\xaeb' | bin2hex)" >rec1
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json | jq -r '.records[1].offset, .records[2].offset' >offs
o1=$(sed -n 1p offs); o2=$(sed -n 2p offs)
{ head -c "$o1" "$HOSTGATE_LOG"; cat rec1; tail -c +$((o2 + 1)) "$HOSTGATE_LOG"; } >log-mid
"$EVTOOL" set log log-mid ev.cbor >ev-mid.cbor
expect_exit 3 hostile-mid-record "$HG_VERIFY" check --ak ak.pub --nonce $N --policy pol.json ev-mid.cbor
expect_err "log: record 1 (offset $o1): content: name has a bidirectional control character" hostile-mid-record-why

# The host's own log with such a record (a tampered state directory): the
# host will not quote over a log it could not have written.
cp "$HOSTGATE_LOG" log.bak
cat rec-rlo >>"$HOSTGATE_LOG"
"$HG_ATTEST" quote --nonce $N -o x.cbor >/dev/null 2>host.err
rc=$?
[ "$rc" != 0 ] && grep -qF "has a bidirectional control character" host.err && pass host-quote-refuses-bad-log ||
	fail host-quote-refuses-bad-log "exit $rc: $(head -c 300 host.err)"
cp log.bak "$HOSTGATE_LOG"

# --- diff loads policies as check does: a bidi name is refused, shown escaped
# A policy name with a direction-changing character displays as another
# name; the strict loader (verifier/policynames.c) refuses it, so diff
# exits 2 naming the entry through the same escaper, and prints no diff.
jq --arg n "$(printf '/srv/a\xe2\x80\xaegpj.qcow2')" \
	'.measurements.image[$n] = {sha256: ["'"$(printf '%064d' 0)"'"]}' pol.json >pol-bidi.json
expect_exit 2 diff-bidi-name "$HG_VERIFY" diff pol.json pol-bidi.json
grep -qF '/srv/a\u202egpj.qcow2' "$WORK/last.err" &&
	grep -qF 'direction-changing character' "$WORK/last.err" && pass diff-bidi-name-escaped ||
	fail diff-bidi-name-escaped "$(cat -v "$WORK/last.err" | head -c 300)"
no_raw diff-bidi-name-no-raw "$WORK/last.err"
[ ! -s "$WORK/last.out" ] && pass diff-bidi-no-diff || fail diff-bidi-no-diff "$(cat -v "$WORK/last.out" | head -c 200)"
