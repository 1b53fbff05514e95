#!/bin/bash
# t_ekcert.sh: EK certificates from NV into the evidence (key 8).
#
# swtpm 0.7.1, provisioned by swtpm_localca, holds an RSA-2048 EK
# certificate at 0x01c00002 and an ECC P-384 one at 0x01c00016, and none
# at 0x01c0000a. 'hostgate-attest quote' must put exactly those two in the
# evidence, in index order. Checked independently of hostgate:
#  - each fingerprint 'show --json' reports equals openssl's over what
#    tpm2_nvread returns for that index;
#  - 'openssl verify' against the fixture's CA accepts each, so they are
#    the certificates swtpm_setup provisioned, not just any DER.
# Then an index padded with zeros after a certificate (some TPMs do) is
# cut to the certificate, and an index holding garbage fails the quote
# naming the index. A fixture with --no-ek-certs has none: no key 8, and
# the quote still works.
#
# swtpm has no resource manager: tpm2-tools runs with nothing loaded
# and flushes after itself (see t_interop.sh).
. "$(dirname "$0")/lib.sh"
NONCE=5eed5eed00112233445566778899aabb
flushall() {
	tpm2_flushcontext -t >/dev/null 2>&1
	tpm2_flushcontext -s >/dev/null 2>&1
}
fpr() { openssl x509 -inform DER -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//; s/://g' | tr A-F a-f; }

start_tpm sha256
export TPM2TOOLS_TCTI=$TCTI
cd "$WORK" || exit 1
"$HG_ATTEST" init >/dev/null || { fail init "init failed"; exit 1; }

expect_exit 0 quote "$HG_ATTEST" quote --nonce $NONCE -o ev.cbor
expect_exit 0 show-json "$HG_VERIFY" show --json ev.cbor
cp "$WORK/last.out" ev.json
n=$(jq '.ek_certs | length' ev.json 2>/dev/null)
if [ "$n" = 2 ]; then pass two-certs; else fail two-certs "ek_certs has ${n:-no} entries"; fi
jq -e '.ek_certs[0].key_type == "rsa" and .ek_certs[0].key_bits == 2048 and
       .ek_certs[1].key_type == "ec" and .ek_certs[1].curve == "secp384r1"' ev.json >/dev/null &&
	pass index-order || fail index-order "$(jq -c .ek_certs ev.json)"

i=0
for idx in 0x01c00002 0x01c00016; do
	flushall
	if ! tpm2_nvread "$idx" -o "nv$i.der" 2>"$WORK/last.err"; then
		fail "nvread-$idx" "$(head -c 300 "$WORK/last.err")"
		i=$((i + 1))
		continue
	fi
	want=$(fpr "nv$i.der")
	got=$(jq -r ".ek_certs[$i].sha256" ev.json)
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		pass "fingerprint-$idx"
	else
		fail "fingerprint-$idx" "show says $got, openssl says $want"
	fi
	openssl x509 -inform DER -in "nv$i.der" -out "nv$i.pem" 2>/dev/null
	# swtpm_localca marks the EK key usage only for TPM use (no
	# digitalSignature), so no -purpose: chain and signatures only.
	if openssl verify -CAfile "$SWTPM_DIR/ca/chain.pem" "nv$i.pem" >"$WORK/last.out" 2>&1; then
		pass "ca-verifies-$idx"
	else
		fail "ca-verifies-$idx" "$(head -c 300 "$WORK/last.out")"
	fi
	i=$((i + 1))
done
# The human form names the same fingerprints.
"$HG_VERIFY" show ev.cbor >show.txt 2>&1
grep -q "sha256:    $(jq -r '.ek_certs[1].sha256' ev.json)" show.txt &&
	grep -q "key:       ec 384 secp384r1" show.txt &&
	pass show-text || fail show-text "$(grep -A6 '^ek cert' show.txt | head -c 300)"

# A zero-padded certificate at the P-256 index: trimmed to its DER.
flushall
size=$(( $(stat -c %s nv0.der) + 100 ))
head -c 100 /dev/zero | cat nv0.der - >padded.bin
if tpm2_nvdefine 0x01c0000a -C p -s "$size" -a "ppwrite|ppread|ownerread|authread|no_da|platformcreate" >/dev/null 2>"$WORK/last.err" &&
	tpm2_nvwrite 0x01c0000a -C p -i padded.bin 2>>"$WORK/last.err"; then
	flushall
	"$HG_ATTEST" quote --nonce $NONCE -o ev3.cbor 2>"$WORK/last.err" &&
		"$HG_VERIFY" show --json ev3.cbor >ev3.json 2>>"$WORK/last.err"
	if jq -e --arg f "$(fpr nv0.der)" --argjson n "$(stat -c %s nv0.der)" \
		'(.ek_certs | length) == 3 and .ek_certs[1].sha256 == $f and
		 .ek_certs[1].size == $n and .ek_certs[2].curve == "secp384r1"' ev3.json >/dev/null 2>&1; then
		pass padded-trimmed
	else
		fail padded-trimmed "$(head -c 300 "$WORK/last.err") $(jq -c '.ek_certs' ev3.json 2>/dev/null | head -c 300)"
	fi
	# Garbage where a certificate belongs: the quote fails, naming the index.
	flushall
	head -c 200 /dev/urandom | tr '\000' '\001' | cat - /dev/zero | head -c "$size" >garbage.bin
	tpm2_nvwrite 0x01c0000a -C p -i garbage.bin 2>/dev/null
	flushall
	expect_exit 1 garbage-refused "$HG_ATTEST" quote --nonce $NONCE -o ev4.cbor
	expect_err "NV index 0x01c0000a does not hold a DER X.509 certificate" garbage-named
	[ ! -e ev4.cbor ] && pass garbage-no-output || fail garbage-no-output "ev4.cbor written"
else
	fail nvdefine "$(head -c 300 "$WORK/last.err")"
fi

# No EK certificates at all: no key 8, and the quote still works.
WORK0=$WORK
start_tpm sha256 --no-ek-certs
export TPM2TOOLS_TCTI=$TCTI HOSTGATE_STATE=$WORK0/state2
"$HG_ATTEST" init >/dev/null || { fail init-noek "init failed"; exit 1; }
expect_exit 0 quote-noek "$HG_ATTEST" quote --nonce $NONCE -o ev0.cbor
"$HG_VERIFY" show --json ev0.cbor >ev0.json 2>"$WORK/last.err"
jq -e 'has("ek_certs") or has("ek_cert_sizes") | not' ev0.json >/dev/null &&
	pass noek-no-key8 || fail noek-no-key8 "$(jq -c '.ek_certs' ev0.json 2>/dev/null)"
grep -q '^ek cert' <("$HG_VERIFY" show ev0.cbor 2>&1) &&
	fail noek-show "show lists EK certificates" || pass noek-show
# The bundle itself has no key 8: its top-level map has 7 entries (no
# firmware log here either), map(7) = 0xa7.
[ "$(head -c 1 ev0.cbor | bin2hex)" = a7 ] && pass noek-cbor ||
	fail noek-cbor "map header $(head -c 1 ev0.cbor | bin2hex)"
