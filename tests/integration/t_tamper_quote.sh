#!/bin/bash
# t_tamper_quote.sh: the quote itself as the attacker's tool (issue 11
# items 5, 6, 9). Every case pins the exit code and the named check or
# message.
#
#  banks    A real TPM quote (tpm2_quote on the host's own swtpm, AK from
#           tpm2_createak) over fewer banks than the hostgate log carries,
#           put into the host's genuine evidence: the signature, nonce and
#           PCR values are all the TPM's, so the downgrade is the only
#           thing wrong. The same quote over every bank is trusted.
#  AKs      Software keys posing as AKs (tests/tools/aktool): RSA e=1 (the
#           "signature" is the padded digest itself), e=3, RSA-1024,
#           unrestricted, without fixedTPM / fixedParent /
#           sensitiveDataOrigin, decrypt+sign, an off-curve ECC point, a
#           SHA-1 scheme. Each signs the host's genuine attest; each is
#           refused on every path that takes an AK (check --ak, learn --ak,
#           learn trusting the evidence's AK, quote --ak, enroll, the
#           registry through check --host, the host's own quote) before
#           any signature is trusted. A well-formed software AK on the
#           same forgery is trusted: the AK rule is what refuses.
#  nonces   quote takes 1..64 bytes (warning under 8), check 8..64.
#  verdict  check --host names version, host, AK Name, nonce and time.
. "$(dirname "$0")/lib.sh"
[ -x "$EVTOOL" ] || { fail setup "evtool not built (run make)"; exit 1; }
AKTOOL=$BUILD/tests/tools/aktool
ENRTOOL=$BUILD/tests/tools/enrtool
[ -x "$AKTOOL" ] && [ -x "$ENRTOOL" ] || { fail setup "aktool/enrtool not built (run make)"; exit 1; }
cp "$AKTOOL" "$ENRTOOL" "$WORK/bin/" && AKTOOL=$WORK/bin/aktool ENRTOOL=$WORK/bin/enrtool

N=5eed5eed00112233445566778899aabb
QEMU=$(readlink -f "$(command -v qemu-system-x86_64 || echo /bin/true)")
cd "$WORK" || exit 1
mkdir -p tt sk ev p
export HOSTGATE_VERIFY_STATE=$WORK/vstate

# The host: sha1+sha256, EK certificates (for the enrollment below).
start_tpm sha1,sha256
export TPM2TOOLS_TCTI=$TCTI
DA=$SWTPM_DIR
"$HG_ATTEST" init --ak-out ak.pub >init.out &&
	"$HG_ATTEST" measure --kind hypervisor "$QEMU" /bin/true >/dev/null &&
	"$HG_ATTEST" quote --nonce "$N" -o ev/a.cbor >/dev/null ||
	{ fail setup-host "init/measure/quote failed"; exit 1; }
EV=$WORK/ev/a.cbor
"$HG_VERIFY" learn --ak ak.pub --nonce "$N" "$EV" >p/learned.json 2>/dev/null ||
	{ fail setup-learn "learn failed"; exit 1; }
# Policies whose banks accept sha1 too, with no PCR values to judge (so
# that only the bank rule is under test).
jq '.banks = ["sha1", "sha256"] | del(.pcrs)' p/learned.json >p/both.json
jq '.banks = ["sha1"] | del(.pcrs)' p/learned.json >p/sha1.json
jq 'del(.pcrs)' p/learned.json >p/sha256.json

# vcheck CODE CHECK NAME EV AK POLICY [TEXT]: 'check' exits CODE, the
# verdict's first failing check is CHECK ("none" for 0), and stderr holds
# "EV: CHECK: ...TEXT".
vcheck() {
	local want=$1 wcheck=$2 name=$3 ev=$4 ak=$5 pol=$6 text=${7:-} rc got errs=''
	"$HG_VERIFY" check --ak "$ak" --nonce "$N" --policy "$pol" "$ev" >v.json 2>v.err
	rc=$?
	[ "$rc" -eq "$want" ] || errs+="exit $rc, want $want; "
	got=$(jq -r '[.checks[] | select(.result=="fail") | .check][0] // "none"' v.json 2>/dev/null)
	[ "$got" = "$wcheck" ] || errs+="first failing check \"$got\", want \"$wcheck\"; "
	if [ "$want" != 0 ]; then
		grep -qF "hostgate-verify: $ev: $wcheck: $text" v.err ||
			errs+="stderr lacks \"$ev: $wcheck: $text\": $(head -c 300 v.err); "
	fi
	if [ -z "$errs" ]; then pass "$name"; else fail "$name" "$errs"; fi
}
# check CODE NAME TEXT CMD...: CMD exits CODE and its stderr holds TEXT.
check() {
	local want=$1 name=$2 text=$3 rc
	shift 3
	"$@" >last.out 2>last.err
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, want $want: $(head -c 300 last.err)"
	elif [ -n "$text" ] && ! grep -qF -- "$text" last.err; then
		fail "$name" "stderr lacks \"$text\": $(head -c 300 last.err)"
	else
		pass "$name"
	fi
}
flushall() {
	tpm2_flushcontext -t >/dev/null 2>&1
	tpm2_flushcontext -s >/dev/null 2>&1
}

echo "-- bank downgrade: real TPM quotes over fewer banks than the log"
vcheck 0 none "genuine-evidence-trusted" "$EV" ak.pub p/both.json
tpm2_createek -c tt/ek.ctx -G rsa -u tt/ek.pub >/dev/null 2>tt/err ||
	{ fail setup-createek "$(cat tt/err)"; exit 1; }
flushall
tpm2_createak -C tt/ek.ctx -c tt/tak.ctx -G ecc -g sha256 -s ecdsa -u tt/tak.pub -n tt/tak.name \
	>/dev/null 2>tt/err || { fail setup-createak "$(cat tt/err)"; exit 1; }
flushall
# tquote SEL OUT [NONCE]: tpm2_quote by the tpm2-tools AK, then flush.
tquote() {
	tpm2_quote -c tt/tak.ctx -l "$1" -q "${3:-$N}" -m "tt/$2.msg" -s "tt/$2.sig" -o "tt/$2.pcrs" \
		-F values -g sha256 >/dev/null 2>tt/err
	local rc=$?
	tpm2_flushcontext -t >/dev/null 2>&1
	[ $rc -eq 0 ] || { fail "setup-quote-$2" "$(cat tt/err)"; exit 1; }
}
# requote SEL NAME: the host's evidence with its quote replaced by a real
# tpm2_quote over SEL (banks ascending, PCRs ascending, as SEL lists them).
requote() {
	local sel=$1 name=$2 off=0 bank pcrs p size
	tquote "$sel" "$name"
	: >"tt/$name.lines"
	for part in ${sel//+/ }; do
		bank=${part%%:*} pcrs=${part#*:}
		size=$(openssl dgst "-$bank" -binary </dev/null | wc -c)
		for p in ${pcrs//,/ }; do
			echo "$bank $p $(tail -c +$((off + 1)) "tt/$name.pcrs" | head -c "$size" | bin2hex)" >>"tt/$name.lines"
			off=$((off + size))
		done
	done
	"$EVTOOL" set attest "tt/$name.msg" "$EV" >ev/t1.cbor &&
		"$EVTOOL" set sig "tt/$name.sig" ev/t1.cbor >ev/t2.cbor &&
		"$EVTOOL" set ak tt/tak.pub ev/t2.cbor >ev/t3.cbor &&
		"$EVTOOL" set pcrs "tt/$name.lines" ev/t3.cbor >"ev/$name.cbor" ||
		{ fail "setup-requote-$name" "evtool failed"; exit 1; }
}
ALL=0,1,2,3,4,5,6,7,8,9,13
requote "sha1:$ALL+sha256:$ALL" both
requote "sha1:$ALL" sha1only
requote "sha256:$ALL" sha256only
requote "sha1:$ALL+sha256:0,1,2,3,4,5,6,7,8,9" no13in256
vcheck 0 none "requote-every-bank-trusted" ev/both.cbor tt/tak.pub p/both.json
vcheck 1 banks "sha1-only-quote-of-sha1+sha256-log" ev/sha1only.cbor tt/tak.pub p/both.json \
	"the quote omits bank sha256, in which the hostgate log carries digests (a bank downgrade)"
vcheck 1 banks "sha1-only-quote-policy-accepting-sha1-only" ev/sha1only.cbor tt/tak.pub p/sha1.json \
	"the quote omits bank sha256"
vcheck 1 banks "sha256-only-quote-of-sha1+sha256-log" ev/sha256only.cbor tt/tak.pub p/sha256.json \
	"the quote omits bank sha1, in which the hostgate log carries digests"
vcheck 1 selection "quote-without-hostgate-pcr-in-sha256" ev/no13in256.cbor tt/tak.pub p/both.json \
	"quote does not cover the hostgate PCR 13 in sha256"
vcheck 1 banks "sha1-only-quote-learned-policy" ev/sha1only.cbor tt/tak.pub p/learned.json ""
check 1 "learn-refuses-sha1-only-quote" "banks: the quote omits bank sha256" \
	"$HG_VERIFY" learn --ak tt/tak.pub --nonce "$N" ev/sha1only.cbor
# The PCR values in another order than the quote's selection (same set).
{ grep '^sha256 ' tt/both.lines; grep '^sha1 ' tt/both.lines; } >tt/swapped.lines
"$EVTOOL" set pcrs tt/swapped.lines ev/both.cbor >ev/swapped.cbor
vcheck 3 pcr-digest "pcr-values-in-other-bank-order" ev/swapped.cbor tt/tak.pub p/both.json \
	"PCR values do not cover the quoted selection exactly, in its order"

# The firmware log: a real GCE log (sha1, sha256, sha384) replayed into a
# TPM whose banks are sha256 and sha512. The quote covers sha512 on PCRs
# 0-9, which the log never mentions: the log was "stripped" of that bank,
# and its events would be believed on sha256 alone. (t_uefi_e2e.sh's
# check-trusted is the control: the same log on a sha256-only TPM.)
FWLOG=$ROOT/tests/data/uefi/tpm2-software_tpm2-tools/fixtures/event-gce-ubuntu-2104-log.bin
fw_host() {
	local specs i
	start_tpm sha256,sha512 --no-ek-certs
	"$HG_VERIFY" show --uefi-log "$FWLOG" --json >fw.json 2>/dev/null || return 1
	mapfile -t specs < <(jq -r '.events[] | select(.type != "EV_NO_ACTION" and .pcr < 10)
		| "\(.pcr):sha256=\(.digests.sha256)"' fw.json)
	for ((i = 0; i < ${#specs[@]}; i += 16)); do
		tpm2_pcrextend -T "$TCTI" "${specs[@]:i:16}" || return 1
	done
	HOSTGATE_STATE=$WORK/fwstate HOSTGATE_LOG=$WORK/fw.cel "$HG_ATTEST" init --ak-out fwak.pub >/dev/null &&
		HOSTGATE_STATE=$WORK/fwstate HOSTGATE_LOG=$WORK/fw.cel "$HG_ATTEST" measure --kind hypervisor /bin/true >/dev/null &&
		HOSTGATE_STATE=$WORK/fwstate HOSTGATE_LOG=$WORK/fw.cel "$HG_ATTEST" quote --nonce "$N" --uefi-log "$FWLOG" -o ev/fw.cbor >/dev/null
}
SAVED=("$TCTI" "$HOSTGATE_STATE" "$HOSTGATE_LOG")
if [ -r "$FWLOG" ] && fw_host; then
	printf '{"version": 1, "banks": ["sha256"], "unknown": {"hypervisor": "allow"}}\n' >p/fw.json
	vcheck 1 banks "firmware-log-omits-a-quoted-bank" ev/fw.cbor fwak.pub p/fw.json \
		"the firmware log omits bank sha512, which the quote covers on PCR 0 that the log extends (a bank downgrade)"
	jq -r '[.checks[] | select(.check == "log" or .check == "replay") | .result] | join(",")' v.json |
		grep -qx "pass,pass" && pass "firmware-log-omits-a-quoted-bank-hostgate-log-fine" ||
		fail "firmware-log-omits-a-quoted-bank-hostgate-log-fine" "$(jq -c .checks v.json)"
else
	fail "firmware-log-setup" "no $FWLOG, or its replay into swtpm failed"
fi
TCTI=${SAVED[0]} HOSTGATE_STATE=${SAVED[1]} HOSTGATE_LOG=${SAVED[2]}
export HOSTGATE_TCTI=$TCTI HOSTGATE_STATE HOSTGATE_LOG

echo "-- AKs a verifier must refuse, on every path"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sk/rsa.pem 2>/dev/null &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 \
		-out sk/rsa3.pem 2>/dev/null &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out sk/rsa1024.pem 2>/dev/null &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sk/ec.pem 2>/dev/null ||
	{ fail setup-keys "openssl genpkey failed"; exit 1; }
"$EVTOOL" get attest "$EV" >sk/attest.bin
# forge NAME KEY SIGNARG [FIELD=VALUE]...: sk/NAME.pub, and ev/NAME.cbor =
# the host's evidence with its genuine attest signed by KEY under that AK.
forge() {
	local name=$1 key=$2 how=$3
	shift 3
	"$AKTOOL" pub "sk/$key.pem" "$@" >"sk/$name.pub" &&
		"$AKTOOL" sign "sk/$key.pem" sk/attest.bin $how >"sk/$name.sig" &&
		"$EVTOOL" set sig "sk/$name.sig" "$EV" >ev/f1.cbor &&
		"$EVTOOL" set ak "sk/$name.pub" ev/f1.cbor >"ev/$name.cbor" ||
		{ fail "setup-forge-$name" "aktool/evtool failed"; exit 1; }
}
forge good-rsa rsa -
forge good-ec ec -
forge e1 rsa e1 exponent=1
forge e3 rsa3 - exponent=3
forge rsa1024 rsa1024 -
forge unrestricted ec - attrs=0x00040072
forge nofixedtpm ec - attrs=0x00050070
forge nofixedparent ec - attrs=0x00050062
forge nosdo ec - attrs=0x00050052
forge decryptsign ec - attrs=0x00070072
forge offcurve ec - offcurve=1
forge sha1scheme rsa - hash=sha1
# Controls: a software key with an AK's attributes is indistinguishable
# from an AK; given as --ak it is trusted. So each refusal below is the AK
# rule's, not a broken forgery.
vcheck 0 none "control-software-rsa-ak-trusted" ev/good-rsa.cbor sk/good-rsa.pub p/learned.json
vcheck 0 none "control-software-ecc-ak-trusted" ev/good-ec.cbor sk/good-ec.pub p/learned.json

# The registry: enroll the host for real, then the paths through it.
cp -r "$DA/ca" caA
expect_exit 0 setup-enroll-request "$HG_ATTEST" enroll-request -o req.cbor
expect_exit 0 setup-enroll-challenge "$HG_VERIFY" enroll --host host-a --ca caA --ek rsa req.cbor -o ch.cbor
expect_exit 0 setup-enroll-activate "$HG_ATTEST" activate ch.cbor -o resp.cbor
expect_exit 0 setup-enroll-finish "$HG_VERIFY" enroll --finish resp.cbor
flushall
check 0 "registry-host-trusted" "" "$HG_VERIFY" check --host host-a --nonce "$N" --policy p/learned.json "$EV"
REG=$WORK/vstate/registry.sqlite

# akcase NAME WHY: the forged AK NAME is refused with WHY on every path.
akcase() {
	local name=$1 why=$2 hex
	check 2 "$name-check-ak" "sk/$name.pub: not usable as an AK: $why" \
		"$HG_VERIFY" check --ak "sk/$name.pub" --nonce "$N" --policy p/learned.json "ev/$name.cbor"
	[ -s last.out ] && fail "$name-check-ak-no-verdict" "a verdict was printed"
	check 2 "$name-learn-ak" "sk/$name.pub: not usable as an AK: $why" \
		"$HG_VERIFY" learn --ak "sk/$name.pub" --nonce "$N" "ev/$name.cbor"
	check 3 "$name-learn-evidence-ak" "ev/$name.cbor: ak: evidence AK: $why" \
		"$HG_VERIFY" learn "ev/$name.cbor"
	check 2 "$name-quote-ak" "sk/$name.pub: not usable as an AK: $why" \
		"$HG_VERIFY" quote --ak "sk/$name.pub" --nonce "$N" --msg sk/attest.bin --sig "sk/$name.sig"
	"$ENRTOOL" req-set-ak req.cbor "sk/$name.pub" "req-$name.cbor" >/dev/null 2>&1
	check 1 "$name-enroll" "req-$name.cbor: AK: $why" \
		"$HG_VERIFY" enroll --host "host-$name" --ca caA "req-$name.cbor" -o x.cbor
	hex=$(bin2hex <"sk/$name.pub")
	cp "$REG" reg.bak
	sqlite3 "$REG" "UPDATE hosts SET ak_pub = X'$hex' WHERE name = 'host-a';" ||
		fail "$name-registry-setup" "sqlite3 failed"
	check 2 "$name-registry-check-host" "host host-a: the registry's AK is not usable: $why" \
		"$HG_VERIFY" check --host host-a --nonce "$N" --policy p/learned.json "ev/$name.cbor"
	check 2 "$name-registry-learn-host" "the registry's AK is not usable: $why" \
		"$HG_VERIFY" learn --host host-a "ev/$name.cbor"
	cp reg.bak "$REG"
}
akcase e1 "AK RSA public exponent is not 65537"
akcase e3 "AK RSA public exponent is not 65537"
akcase rsa1024 "AK RSA modulus is not 2048, 3072 or 4096 bits"
akcase unrestricted "key is not a fixedTPM restricted signing key: restricted is clear"
akcase nofixedtpm "key is not a fixedTPM restricted signing key: fixedTPM is clear"
akcase nofixedparent "key is not a fixedTPM restricted signing key: fixedParent is clear"
akcase nosdo "key is not a fixedTPM restricted signing key: sensitiveDataOrigin is clear"
akcase decryptsign "key is a decrypt+sign key, not a restricted signing key"
akcase offcurve "key point is not on its curve"
akcase sha1scheme "AK scheme hash is not sha256, sha384 or sha512"
check 0 "registry-restored-host-trusted" "" "$HG_VERIFY" check --host host-a --nonce "$N" --policy p/learned.json "$EV"

# The host's own AK: a state dir whose ak.pub was swapped for a weak key
# is refused by the host before it quotes or enrolls with it.
cp -r "$HOSTGATE_STATE" state-bad
cp sk/e1.pub state-bad/ak.pub
check 1 "host-quote-refuses-e1-ak" "state-bad/ak.pub: not usable as an AK: AK RSA public exponent is not 65537" \
	env HOSTGATE_STATE="$WORK/state-bad" "$HG_ATTEST" quote --nonce "$N" -o ev/x.cbor
cp sk/unrestricted.pub state-bad/ak.pub
check 1 "host-enroll-request-refuses-unrestricted-ak" "not usable as an AK: key is not a fixedTPM restricted signing key: restricted is clear" \
	env HOSTGATE_STATE="$WORK/state-bad" "$HG_ATTEST" enroll-request -o x.cbor
check 1 "host-init-refuses-existing-offcurve-ak" "not usable as an AK: key point is not on its curve" \
	env HOSTGATE_STATE="$WORK/state-bad" sh -c "cp '$WORK/sk/offcurve.pub' '$WORK/state-bad/ak.pub' && '$HG_ATTEST' init"
flushall
# A real-world AK: the go-attestation corpus' Windows GCP shielded VM signs
# its quotes with RSASSA-SHA1 (tests/data/uefi/expected, "quote").
W=$ROOT/tests/data/uefi/google_go-attestation/windows_gcp_shielded_vm.extracted
if [ -r "$W/ak_pub.tpmt_public.bin" ]; then
	{ printf '%04x' "$(stat -c %s "$W/ak_pub.tpmt_public.bin")" | hex2bin; cat "$W/ak_pub.tpmt_public.bin"; } >winak.pub
	check 2 "real-windows-gcp-sha1-ak-refused" "winak.pub: not usable as an AK: AK scheme hash is not sha256, sha384 or sha512" \
		"$HG_VERIFY" quote --ak winak.pub --nonce 00 --msg "$W/quote.tpms_attest.bin" --sig "$W/quote.tpmt_signature.bin"
	check 2 "real-windows-gcp-empty-nonce-refused" "--nonce: not 1..64 bytes of hex" \
		"$HG_VERIFY" quote --ak winak.pub --nonce "" --msg "$W/quote.tpms_attest.bin" --sig "$W/quote.tpmt_signature.bin"
else
	fail real-windows-gcp "no $W (tests/data/uefi is part of the repository)"
fi

echo "-- nonces"
tquote "sha256:0,13" short2 abcd
tquote "sha256:0,13" short1 ab
tquote "sha256:0,13" n8 0011223344556677
hvq() {   # hvq Q NONCE
	"$HG_VERIFY" quote --ak tt/tak.pub --nonce "$2" --msg "tt/$1.msg" --sig "tt/$1.sig" --pcrs "tt/$1.pcrs"
}
check 0 "quote-2-byte-nonce-accepted" "warning: --nonce: 2 bytes, under 8" hvq short2 abcd
grep -qF "quote valid: 1 bank, nonce matches, PCR values match pcrDigest" last.out &&
	pass "quote-2-byte-nonce-valid" || fail "quote-2-byte-nonce-valid" "$(cat last.out)"
check 0 "quote-1-byte-nonce-accepted" "warning: --nonce: 1 byte, under 8" hvq short1 ab
check 0 "quote-8-byte-nonce-no-warning" "" hvq n8 0011223344556677
[ ! -s last.err ] && pass "quote-8-byte-nonce-stderr-empty" || fail "quote-8-byte-nonce-stderr-empty" "$(cat last.err)"
check 3 "quote-2-byte-nonce-other-value" "tt/short2.msg: nonce: quote extraData does not equal the nonce" hvq short2 abce
check 3 "quote-2-byte-quote-1-byte-prefix" "tt/short2.msg: nonce: " hvq short2 ab
check 2 "quote-0-byte-nonce-refused" "--nonce: not 1..64 bytes of hex" hvq short2 ""
check 2 "quote-65-byte-nonce-refused" "--nonce: not 1..64 bytes of hex" hvq short2 "$(printf '%0130d' 0)"
check 2 "check-7-byte-nonce-refused" "--nonce: not 8..64 bytes of hex" \
	"$HG_VERIFY" check --ak ak.pub --nonce 00112233445566 --policy p/learned.json "$EV"
check 2 "check-65-byte-nonce-refused" "--nonce: not 8..64 bytes of hex" \
	"$HG_VERIFY" check --ak ak.pub --nonce "$(printf '%0130d' 0)" --policy p/learned.json "$EV"

echo "-- the verdict names what it is about"
"$HG_VERIFY" check --host host-a --nonce "$N" --policy p/learned.json "$EV" >v.json 2>v.err
AKNAME=$(sed -n 's/^ak-name: //p' init.out)
[ "$(jq -r .version v.json)" = 1 ] && pass verdict-version || fail verdict-version "$(jq -c .version v.json)"
[ "$(jq -r .hostname v.json)" = host-a ] && pass verdict-hostname || fail verdict-hostname "$(jq -c .hostname v.json)"
[ -n "$AKNAME" ] && [ "$(jq -r .ak_name v.json)" = "$AKNAME" ] && pass verdict-ak-name ||
	fail verdict-ak-name "$(jq -c .ak_name v.json), init said \"$AKNAME\""
[ "$(jq -r .nonce v.json)" = "$N" ] && pass verdict-nonce || fail verdict-nonce "$(jq -c .nonce v.json)"
at=$(jq -r .checked_at v.json)
if [[ $at =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
	[ $(($(date -u +%s) - $(date -u -d "$at" +%s))) -lt 120 ]; then
	pass verdict-checked-at
else
	fail verdict-checked-at "\"$at\""
fi
"$HG_VERIFY" check --ak ak.pub --nonce "$N" --policy p/learned.json "$EV" >v.json 2>v.err
[ "$(jq -r 'has("hostname")' v.json)" = false ] && pass verdict-no-hostname-without-host ||
	fail verdict-no-hostname-without-host "$(jq -c .hostname v.json)"
"$HG_VERIFY" check --ak sk/good-ec.pub --nonce "$N" --policy p/learned.json "$EV" >v.json 2>v.err
[ "$(jq -r 'has("ak_name")' v.json)" = false ] && pass verdict-no-ak-name-when-ak-check-fails ||
	fail verdict-no-ak-name-when-ak-check-fails "$(jq -c .ak_name v.json)"
exit 0
