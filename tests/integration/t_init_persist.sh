#!/bin/bash
# t_init_persist.sh: init makes the AK persistent (STATE/ak.handle); quotes
# use it only after checking its Name, and send no CreatePrimary/Load; init
# migrates an older state, adopts a handle it made before a crash, restores
# an evicted handle, and refuses a foreign key at the handle. A TPM clear
# gives a clear error and a path to a new AK. (akuse.h, issue 16 item 3)
. "$(dirname "$0")/lib.sh"
start_tpm sha256 --no-ek-certs
S=$HOSTGATE_STATE
H=0x81020000
NONCE=00112233445566778899aabbccddeeff
TPMTRACE=$BUILD/bench/tpmtrace

# quote_ok NAME: a quote that the verifier accepts with STATE/ak.pub.
quote_ok() {
	if ! "$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/ev.cbor" 2>"$WORK/q.err"; then
		fail "$1" "quote failed: $(head -c 300 "$WORK/q.err")"
		return
	fi
	"$HG_VERIFY" learn "$WORK/ev.cbor" >"$WORK/pol.json" 2>/dev/null
	if "$HG_VERIFY" check --ak "$S/ak.pub" --nonce "$NONCE" --policy "$WORK/pol.json" \
		"$WORK/ev.cbor" >/dev/null 2>"$WORK/v.err"; then
		pass "$1"
	else
		fail "$1" "verifier: $(head -c 300 "$WORK/v.err")"
	fi
}
# traced_quote: the TPM commands a quote sends, by name, one line.
traced_quote() {
	rm -f "$WORK/t.pcapng"
	TCTI_PCAP_FILE=$WORK/t.pcapng HOSTGATE_TCTI=pcap:$TCTI \
		"$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/evt.cbor" 2>/dev/null &&
		"$TPMTRACE" "$WORK/t.pcapng" | sed -n 's/^sequence //p'
}
# The persistent objects in hostgate's AK range (swtpm_setup's EKs sit at
# 0x8101xxxx), one per line.
persistent() { tpm2_getcap -T "$TCTI" handles-persistent 2>/dev/null | tr -d ' -' | grep '^0x810200'; }

expect_exit 0 "init-makes-persistent" "$HG_ATTEST" init --ak-out "$WORK/ak.pub"
grep -qx "ak-handle: $H (made)" "$WORK/last.out" && pass "init-says-handle" ||
	fail "init-says-handle" "$(cat "$WORK/last.out")"
[ "$(cat "$S/ak.handle")" = "$H" ] && pass "ak-handle-recorded" ||
	fail "ak-handle-recorded" "$(cat "$S/ak.handle" 2>&1)"
# tpm2-tools, not hostgate, reads what is at the handle: our AK's public.
if tpm2_readpublic -T "$TCTI" -c "$H" -o "$WORK/at.pub" >/dev/null 2>&1 &&
	cmp -s "$WORK/at.pub" "$S/ak.pub"; then
	pass "handle-holds-our-ak"
else
	fail "handle-holds-our-ak" "tpm2_readpublic $H differs from ak.pub"
fi
expect_exit 0 "init-again" "$HG_ATTEST" init
grep -qx "ak-handle: $H (kept)" "$WORK/last.out" && pass "init-again-keeps-handle" ||
	fail "init-again-keeps-handle" "$(cat "$WORK/last.out")"
[ "$(persistent)" = "$H" ] && pass "one-persistent-object" ||
	fail "one-persistent-object" "$(persistent)"

quote_ok "quote-persistent-verifies"
if [ -x "$TPMTRACE" ]; then
	seq=$(traced_quote)
	case " $seq " in
	*" CreatePrimary "* | *" Load "* | *" StartAuthSession "* | *" FlushContext "* | "  ")
		fail "quote-persistent-no-createprimary-load" "sequence: $seq" ;;
	*" ReadPublic "*" Quote "*) pass "quote-persistent-no-createprimary-load" ;;
	*) fail "quote-persistent-no-createprimary-load" "sequence: $seq" ;;
	esac
else
	skip "quote-persistent-no-createprimary-load" "$TPMTRACE not built"
fi

# A crashed measure left a pending record (written, not extended): the
# quote finds that the log does not replay to the PCR it quoted, completes
# the record (logw.h recover) and quotes again; the evidence verifies.
LOGTOOL=$BUILD/tests/tools/logtool
echo config >"$WORK/f1"
"$HG_ATTEST" measure --kind config "$WORK/f1" >/dev/null 2>&1
n=$("$HG_VERIFY" show --log "$HOSTGATE_LOG" --json 2>/dev/null | jq '.records | length')
if [ -x "$LOGTOOL" ] && [ -n "$n" ] &&
	"$LOGTOOL" record "$S/logkey.pem" "$n" 13 sha256 overlay "$(printf /pending | bin2hex)" \
		>>"$HOSTGATE_LOG"; then
	quote_ok "quote-completes-pending-record"
	grep -q "completed pending record $n" "$WORK/q.err" && pass "quote-says-completed" ||
		fail "quote-says-completed" "$(head -c 300 "$WORK/q.err")"
	[ "$("$HG_VERIFY" show --log "$HOSTGATE_LOG" --json | jq '.records | length')" = $((n + 1)) ] &&
		pass "pending-record-kept" || fail "pending-record-kept" "log changed length"
else
	fail "quote-completes-pending-record" "could not write a pending record (logtool built?)"
fi
# An older state: ak.pub, ak.priv and no ak.handle, the AK not persistent.
# Quotes still work (the AK is loaded, as before); init migrates it.
tpm2_evictcontrol -T "$TCTI" -C o -c "$H" >/dev/null 2>&1
rm -f "$S/ak.handle"
cp "$S/ak.pub" "$WORK/before.pub"
quote_ok "old-state-quotes"
if [ -x "$TPMTRACE" ]; then
	seq=$(traced_quote)
	case " $seq " in *" CreatePrimary "*" Load "*" Quote "*) pass "old-state-loads-ak" ;;
	*) fail "old-state-loads-ak" "sequence: $seq" ;; esac
fi
expect_exit 0 "init-migrates-old-state" "$HG_ATTEST" init
grep -qx "ak-handle: $H (made)" "$WORK/last.out" && pass "migrated-handle" ||
	fail "migrated-handle" "$(cat "$WORK/last.out")"
cmp -s "$WORK/before.pub" "$S/ak.pub" && pass "migration-keeps-the-ak" ||
	fail "migration-keeps-the-ak" "ak.pub changed: the enrolment would be lost"
quote_ok "migrated-quote-verifies"

# init stopped after EvictControl, before writing ak.handle: the next init
# finds its AK at a handle of the range and records it, making no second.
rm -f "$S/ak.handle"
expect_exit 0 "init-adopts" "$HG_ATTEST" init
grep -qx "ak-handle: $H (adopted)" "$WORK/last.out" && pass "adopted-same-handle" ||
	fail "adopted-same-handle" "$(cat "$WORK/last.out")"
[ "$(persistent)" = "$H" ] && pass "adopt-makes-no-second" || fail "adopt-makes-no-second" "$(persistent)"

# Evicted (by an operator or a tool): a clear error; init restores it.
tpm2_evictcontrol -T "$TCTI" -C o -c "$H" >/dev/null 2>&1
expect_exit 1 "quote-evicted-refused" "$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/x.cbor"
expect_err "persistent handle $H holds nothing" "quote-evicted-message"
expect_err "run 'hostgate-attest init'" "quote-evicted-says-init"
[ ! -e "$WORK/x.cbor" ] && pass "quote-evicted-writes-nothing" || fail "quote-evicted-writes-nothing" "evidence written"
expect_exit 0 "init-restores" "$HG_ATTEST" init
grep -qx "ak-handle: $H (restored)" "$WORK/last.out" && pass "restored-handle" ||
	fail "restored-handle" "$(cat "$WORK/last.out")"
quote_ok "restored-quote-verifies"

# A foreign key at the handle is never used, and never evicted by us.
tpm2_evictcontrol -T "$TCTI" -C o -c "$H" >/dev/null 2>&1
tpm2_createprimary -T "$TCTI" -C o -G ecc -c "$WORK/prim.ctx" >/dev/null 2>&1 &&
	tpm2_evictcontrol -T "$TCTI" -C o -c "$WORK/prim.ctx" "$H" >/dev/null 2>&1
tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
tpm2_readpublic -T "$TCTI" -c "$H" -o "$WORK/foreign.pub" >/dev/null 2>&1
if cmp -s "$WORK/foreign.pub" "$S/ak.pub" || [ ! -s "$WORK/foreign.pub" ]; then
	fail "foreign-key-in-place" "could not place another key at $H"
else
	pass "foreign-key-in-place"
fi
expect_exit 1 "quote-foreign-refused" "$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/x.cbor"
expect_err "persistent handle $H holds another key" "quote-foreign-message"
[ ! -e "$WORK/x.cbor" ] && pass "quote-foreign-writes-nothing" || fail "quote-foreign-writes-nothing" "evidence written"
expect_exit 1 "init-foreign-refused" "$HG_ATTEST" init
expect_err "holds another key, not this AK" "init-foreign-message"
tpm2_readpublic -T "$TCTI" -c "$H" -o "$WORK/still.pub" >/dev/null 2>&1
cmp -s "$WORK/still.pub" "$WORK/foreign.pub" && pass "foreign-key-left-alone" ||
	fail "foreign-key-left-alone" "the foreign key at $H was changed"
tpm2_evictcontrol -T "$TCTI" -C o -c "$H" >/dev/null 2>&1
expect_exit 0 "init-after-foreign-removed" "$HG_ATTEST" init

# ak.handle is read strictly.
for bad in "0x8102000" "0x81020000 " "0X81020000" "0x81800000" "0x01c00002" "81020000x"; do
	printf '%s\n' "$bad" >"$S/ak.handle"
	expect_exit 1 "ak-handle-refused-${bad// /_}" "$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/x.cbor"
	expect_err "not one persistent handle of the owner's range" "ak-handle-message-${bad// /_}"
done
printf '%s\n' "$H" >"$S/ak.handle"

# TPM2_Clear: the handle is gone and the saved AK no longer loads (the
# endorsement hierarchy's proof changes). Clear errors, then a new AK.
tpm2_clear -T "$TCTI" >/dev/null 2>&1
expect_exit 1 "quote-after-clear-refused" "$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/x.cbor"
expect_err "persistent handle $H holds nothing" "quote-after-clear-message"
expect_exit 1 "init-after-clear-refused" "$HG_ATTEST" init
expect_err "remove ak.pub, ak.priv and ak.handle, run init and enroll the new AK" "init-after-clear-says-how"
rm -f "$S/ak.pub" "$S/ak.priv" "$S/ak.handle"
expect_exit 0 "init-after-clear-new-ak" "$HG_ATTEST" init
grep -qx "ak-handle: $H (made)" "$WORK/last.out" && pass "new-ak-persistent" ||
	fail "new-ak-persistent" "$(cat "$WORK/last.out")"
quote_ok "new-ak-quote-verifies"

# A TPM that refuses EvictControl (owner authorisation set): init warns,
# records no handle, and quotes load the AK as before.
start_tpm sha256 --no-ek-certs
export HOSTGATE_STATE=$WORK/state-owner HOSTGATE_LOG=$WORK/run-owner/measurements.cel
S=$HOSTGATE_STATE
tpm2_changeauth -T "$TCTI" -c o ownerpass >/dev/null 2>&1
expect_exit 0 "init-owner-auth-set" "$HG_ATTEST" init
expect_err "the AK stays transient" "init-owner-auth-warns"
grep -qx "ak-handle: none" "$WORK/last.out" && pass "owner-auth-no-handle" ||
	fail "owner-auth-no-handle" "$(cat "$WORK/last.out")"
[ ! -e "$S/ak.handle" ] && pass "owner-auth-no-ak-handle-file" || fail "owner-auth-no-ak-handle-file" "written"
quote_ok "owner-auth-quote-verifies"

# A PCR extended behind the log's back: the quote, which now checks the
# log against the PCR value it quoted, refuses (exit 4) and writes nothing.
"$HG_ATTEST" measure --kind config "$WORK/f1" >/dev/null 2>&1
tpm2_pcrextend -T "$TCTI" "13:sha256=$(printf '%064d' 1)" >/dev/null 2>&1
expect_exit 4 "quote-refuses-pcr-log-disagree" "$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/x.cbor"
expect_err "PCR does not match the log" "quote-pcr-log-disagree-message"
[ ! -e "$WORK/x.cbor" ] && pass "disagree-writes-nothing" || fail "disagree-writes-nothing" "evidence written"

# noDA: the AK's auth is empty, so the TPM's dictionary-attack logic must
# not count it. Without noDA each unorderly reset (power cut) after a
# quote adds one failed try, and a few lock every quote out (TPM_RC_LOCKOUT):
# every gated VM start refused. Five unorderly reboots, each followed by
# the boot's init and a quote: the lockout counter stays 0 and the last
# quote verifies.
start_tpm sha256 --no-ek-certs
export HOSTGATE_STATE=$WORK/state-noda HOSTGATE_LOG=$WORK/run-noda/measurements.cel
S=$HOSTGATE_STATE
expect_exit 0 "noda-init" "$HG_ATTEST" init
tpm2_readpublic -T "$TCTI" -c "$H" 2>/dev/null | grep -q 'noda' && pass "ak-has-noda" ||
	fail "ak-has-noda" "$(tpm2_readpublic -T "$TCTI" -c "$H" 2>&1 | grep -i attributes -A8 | tr '\n' ' ')"
P=${TCTI##*port=}
bad=''
for i in 1 2 3 4 5; do
	"$HG_ATTEST" quote --nonce "$NONCE" -o "$WORK/x.cbor" >/dev/null 2>"$WORK/q.err" ||
		{ bad="quote $i: $(head -c 200 "$WORK/q.err")"; break; }
	# Power lost: no TPM2_Shutdown; a new boot's /run is empty.
	swtpm_ioctl --tcp "127.0.0.1:$((P + 1))" -i >/dev/null &&
		tpm2_startup -c -T "$TCTI" >/dev/null 2>&1 ||
		{ bad="swtpm_ioctl -i / tpm2_startup failed"; break; }
	rm -rf "$WORK/run-noda"
	"$HG_ATTEST" init >/dev/null 2>"$WORK/i.err" || { bad="init $i: $(head -c 200 "$WORK/i.err")"; break; }
done
[ -z "$bad" ] && pass "noda-five-unorderly-reboots" || fail "noda-five-unorderly-reboots" "$bad"
lc=$(tpm2_getcap -T "$TCTI" properties-variable 2>/dev/null | sed -n '/TPM2_PT_LOCKOUT_COUNTER/s/.*: *//p')
[ "$lc" = 0x0 ] && pass "noda-lockout-counter-zero" || fail "noda-lockout-counter-zero" "TPM2_PT_LOCKOUT_COUNTER=$lc"
quote_ok "noda-quote-after-reboots-verifies"
