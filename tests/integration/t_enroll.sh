#!/bin/bash
# t_enroll.sh: enrollment end to end (issue 6), on two swtpms A and B,
# each provisioned by its own swtpm_localca (so each has its own CA).
#
#  - A enrolls with its RSA-2048 EK, B with its ECC P-384 EK: request,
#    challenge, TPM2_ActivateCredential, finish; the registry lists both,
#    with the EK certificate fingerprints openssl computes.
#  - check --host accepts a host's own evidence and refuses evidence
#    signed by the other swtpm's AK.
#  - Refused, each with its exact reason: a CA not in --ca, a certificate
#    that is not the EK's, a challenge taken to the other TPM, a tampered
#    credential (the TPM itself refuses), a wrong secret, a replayed
#    response, an AK that is not restricted, an AK from another TPM, a
#    corrupted or truncated certificate, an oversized or malformed
#    request, re-enrollment with another EK without --replace.
#  - --replace moves a host to a new EK, and it is recorded.
#  - Cross-checks with tpm2-tools: tpm2_activatecredential opens a
#    challenge hostgate made; hostgate-attest activate opens a credential
#    tpm2_makecredential -T none made.
. "$(dirname "$0")/lib.sh"
ENRTOOL=$BUILD/tests/tools/enrtool
[ -x "$ENRTOOL" ] || { fail setup "enrtool not built (run make)"; exit 1; }
cp "$ENRTOOL" "$WORK/bin/" && ENRTOOL=$WORK/bin/enrtool
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
mkdir caA caB caAB
cp "$DA/ca/issuercert.pem" "$DA/ca/swtpm-localca-rootca-cert.pem" caA/
cp "$DB/ca/issuercert.pem" "$DB/ca/swtpm-localca-rootca-cert.pem" caB/
cp caA/issuercert.pem caAB/a-int.pem; cp caA/swtpm-localca-rootca-cert.pem caAB/a-root.pem
# B's anchors as DER: DIR takes both encodings.
openssl x509 -in caB/issuercert.pem -outform DER -out caAB/b-int.der
openssl x509 -in caB/swtpm-localca-rootca-cert.pem -outform DER -out caAB/b-root.der
sha() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }
flushall() {
	tpm2_flushcontext -T "$1" -t >/dev/null 2>&1
	tpm2_flushcontext -T "$1" -s >/dev/null 2>&1
}

# --- the full sequence, RSA EK on A ----------------------------------------
expect_exit 0 a-request "$HG_ATTEST" enroll-request "${A[@]}" -o reqA.cbor
"$ENRTOOL" show reqA.cbor >reqA.txt 2>&1
grep -qx "eks 2" reqA.txt && pass a-request-two-eks || fail a-request-two-eks "$(cat reqA.txt)"
# What an operator looks at before enrolling: show names the EKs, their
# certificates' fingerprints and the AK, unverified.
expect_exit 0 show-request "$HG_VERIFY" show --json reqA.cbor
jq -e --arg a "$(sha "$DA/ek/ek-rsa2048.crt")" --arg n "$(sed -n 's/^ak_name //p' reqA.txt)" \
	'.type == "enroll-request" and .verified == false and .ak_name == $n and
	 .eks[0].ek_key == "RSA-2048" and .eks[0].certificate.sha256 == $a and
	 .eks[1].ek_key == "ECC P-384"' "$WORK/last.out" >/dev/null &&
	pass show-request-json || fail show-request-json "$(head -c 400 "$WORK/last.out")"
expect_exit 0 a-challenge "$HG_VERIFY" enroll --host host-a --ca caA --ek rsa reqA.cbor -o chA.cbor
grep -q "^challenge for host host-a: EK RSA-2048, certificate sha256:$(sha "$DA/ek/ek-rsa2048.crt")" "$WORK/last.out" &&
	pass a-challenge-names-ek || fail a-challenge-names-ek "$(cat "$WORK/last.out")"
expect_exit 0 a-activate "$HG_ATTEST" activate "${A[@]}" chA.cbor -o respA.cbor
expect_exit 0 show-challenge "$HG_VERIFY" show chA.cbor
grep -q "^chA.cbor: enrollment challenge (unverified)" "$WORK/last.out" && pass show-challenge-text ||
	fail show-challenge-text "$(cat "$WORK/last.out")"
expect_exit 0 show-response "$HG_VERIFY" show --json respA.cbor
jq -e '.type == "enroll-response" and .secret_size == 32 and (has("secret") | not)' "$WORK/last.out" >/dev/null &&
	pass show-response-no-secret || fail show-response-no-secret "$(cat "$WORK/last.out")"
expect_exit 0 a-finish "$HG_VERIFY" enroll --finish respA.cbor
grep -qx "enrolled host host-a: EK certificate sha256:$(sha "$DA/ek/ek-rsa2048.crt")" "$WORK/last.out" &&
	pass a-finish-says || fail a-finish-says "$(cat "$WORK/last.out")"
[ "$(stat -c %a vstate/registry.sqlite)" = 600 ] && pass registry-mode-0600 ||
	fail registry-mode-0600 "$(stat -c %a vstate/registry.sqlite)"
flushall "$TA"
[ -z "$(tpm2_getcap -T "$TA" handles-transient)" ] && pass a-no-transient-left ||
	fail a-no-transient-left "$(tpm2_getcap -T "$TA" handles-transient)"

# Replayed response: the challenge is spent.
expect_exit 3 replayed-response "$HG_VERIFY" enroll --finish respA.cbor
expect_err "replayed response: challenge" replayed-response-why

# --- ECC P-384 EK on B --------------------------------------------------------
expect_exit 0 b-request "$HG_ATTEST" enroll-request "${B[@]}" -o reqB.cbor
expect_exit 0 b-challenge "$HG_VERIFY" enroll --host host-b --ca caAB --ek ecc reqB.cbor -o chB.cbor
grep -q "EK ECC P-384, certificate sha256:$(sha "$DB/ek/ek-secp384r1.crt")" "$WORK/last.out" &&
	pass b-challenge-p384 || fail b-challenge-p384 "$(cat "$WORK/last.out")"
expect_exit 0 b-activate "$HG_ATTEST" activate "${B[@]}" chB.cbor -o respB.cbor
expect_exit 0 b-finish "$HG_VERIFY" enroll --finish respB.cbor

expect_exit 0 hosts "$HG_VERIFY" hosts --json
jq -e --arg a "$(sha "$DA/ek/ek-rsa2048.crt")" --arg b "$(sha "$DB/ek/ek-secp384r1.crt")" \
	'length == 2 and .[0].host == "host-a" and .[0].ek_cert_sha256 == $a and
	 .[1].host == "host-b" and .[1].ek_cert_sha256 == $b and .[0].ek_replacements == 0' \
	"$WORK/last.out" >/dev/null && pass hosts-json || fail hosts-json "$(cat "$WORK/last.out")"
expect_exit 0 hosts-table "$HG_VERIFY" hosts
grep -q "^host-a .*$(sha "$DA/ek/ek-rsa2048.crt")" "$WORK/last.out" && pass hosts-table-row ||
	fail hosts-table-row "$(cat "$WORK/last.out")"

# --- check --host --------------------------------------------------------------
"$HG_ATTEST" quote "${A[@]}" --nonce $NONCE -o evA.cbor 2>/dev/null &&
	"$HG_ATTEST" quote "${B[@]}" --nonce $NONCE -o evB.cbor 2>/dev/null &&
	"$HG_VERIFY" learn evA.cbor >polA.json 2>/dev/null &&
	"$HG_VERIFY" learn evB.cbor >polB.json 2>/dev/null || fail quotes "quote or learn failed"
expect_exit 0 check-host-a "$HG_VERIFY" check --host host-a --nonce $NONCE --policy polA.json evA.cbor
expect_exit 0 check-host-b "$HG_VERIFY" check --host host-b --nonce $NONCE --policy polB.json evB.cbor
expect_exit 3 check-host-a-other-tpm "$HG_VERIFY" check --host host-a --nonce $NONCE --policy polB.json evB.cbor
expect_err "ak:" check-host-a-other-tpm-why
expect_exit 2 check-unknown-host "$HG_VERIFY" check --host host-z --nonce $NONCE --policy polA.json evA.cbor
expect_err "--host host-z: not enrolled" check-unknown-host-why
expect_exit 0 learn-host-a "$HG_VERIFY" learn --host host-a evA.cbor
expect_exit 3 learn-host-a-other-tpm "$HG_VERIFY" learn --host host-a evB.cbor
expect_err "ak:" learn-host-a-other-tpm-why
expect_exit 2 check-host-and-ak "$HG_VERIFY" check --host host-a --ak "$WORK/sa/ak.pub" --nonce $NONCE --policy polA.json evA.cbor

# --- the EK certificate ------------------------------------------------------
expect_exit 1 ca-not-in-dir "$HG_VERIFY" enroll --host host-b --ca caA reqB.cbor -o x.cbor
expect_err "not in the CA directory" ca-not-in-dir-why
# B's RSA certificate (chains to B's CA, in caAB) with A's RSA EK.
"$ENRTOOL" req-set-cert reqA.cbor 0 "$DB/ek/ek-rsa2048.crt" req-mixcert.cbor
expect_exit 1 cert-not-the-ek "$HG_VERIFY" enroll --host host-a --ca caAB --ek rsa req-mixcert.cbor -o x.cbor
expect_err "EK certificate key differs from the EK" cert-not-the-ek-why
# A corrupted signature byte, and a truncated certificate.
cp "$DA/ek/ek-rsa2048.crt" bad.der
sz=$(stat -c %s bad.der)
printf '\x00' | dd of=bad.der bs=1 seek=$((sz - 10)) conv=notrunc status=none
"$ENRTOOL" req-set-cert reqA.cbor 0 bad.der req-badsig.cbor
expect_exit 1 cert-corrupted "$HG_VERIFY" enroll --host host-a --ca caA --ek rsa req-badsig.cbor -o x.cbor
expect_err "signature" cert-corrupted-why
head -c $((sz - 40)) "$DA/ek/ek-rsa2048.crt" >short.der
"$ENRTOOL" req-set-cert reqA.cbor 0 short.der req-short.cbor
expect_exit 1 cert-truncated "$HG_VERIFY" enroll --host host-a --ca caA --ek rsa req-short.cbor -o x.cbor
expect_err "EK 1 (RSA-2048): not a DER certificate" cert-truncated-why

# --- exceptions only by policy: expired, or without the TCG EK EKU -----------
# Certificates for A's RSA EK key, issued by A's own issuing CA (the
# fixture keeps its key), one expired (notAfter a day before notBefore),
# one with serverAuth as its only EKU.
openssl x509 -inform DER -in "$DA/ek/ek-rsa2048.crt" -pubkey -noout >ekA.pem
cat >ext.cnf <<'CNF'
[ek]
extendedKeyUsage = 2.23.133.8.1
subjectAltName = critical,dirName:tpm
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
[srv]
extendedKeyUsage = serverAuth
subjectAltName = critical,dirName:tpm
basicConstraints = critical,CA:FALSE
[tpm]
a.2.23.133.2.1 = id:00001014
a.2.23.133.2.2 = swtpm
a.2.23.133.2.3 = id:20191023
CNF
issue() { # issue DAYS SECTION OUT
	openssl x509 -new -subj "/CN=hostgate test" -force_pubkey ekA.pem \
		-CA "$DA/localca/issuercert.pem" -CAkey "$DA/localca/signkey.pem" \
		-days "$1" -extfile ext.cnf -extensions "$2" -outform DER -out "$3" 2>/dev/null
}
issue -1 ek expired.der && issue 30 srv srv.der || fail issue-certs "openssl x509 -new failed"
"$ENRTOOL" req-set-cert reqA.cbor 0 expired.der req-expired.cbor
"$ENRTOOL" req-set-cert reqA.cbor 0 srv.der req-srv.cbor
jq '. + {ek_certificates: {allow_expired: true}}' polA.json >pol-exp.json
jq '. + {ek_certificates: {allow_any_eku: true}}' polA.json >pol-eku.json
# A relaxed rule is a difference a reviewer sees.
expect_exit 1 diff-shows-ekc "$HG_VERIFY" diff polA.json pol-exp.json
grep -qx "~ ek_certificates allow_expired: false → true" "$WORK/last.out" && pass diff-shows-ekc-line ||
	fail diff-shows-ekc-line "$(cat "$WORK/last.out")"
# One TPM, one host: A is host-a in the main registry, so the cases that
# enroll A's TPM under other names for their own sake run against
# registries of their own (t_enroll_tpm.sh tests the rule itself).
export HOSTGATE_VERIFY_STATE=$WORK/vstate-e
expect_exit 1 cert-expired "$HG_VERIFY" enroll --host host-e --ca caA --ek rsa req-expired.cbor -o x.cbor
expect_err "expired" cert-expired-why
expect_exit 1 cert-expired-eku-policy-not-enough "$HG_VERIFY" enroll --host host-e --ca caA --ek rsa --policy pol-eku.json req-expired.cbor -o x.cbor
expect_exit 0 cert-expired-allowed "$HG_VERIFY" enroll --host host-e --ca caA --ek rsa --policy pol-exp.json req-expired.cbor -o chE.cbor
expect_exit 0 cert-expired-activate "$HG_ATTEST" activate "${A[@]}" chE.cbor -o respE.cbor
expect_exit 0 cert-expired-finish "$HG_VERIFY" enroll --finish respE.cbor
expect_exit 1 cert-wrong-eku "$HG_VERIFY" enroll --host host-e --ca caA --ek rsa req-srv.cbor -o x.cbor
expect_err "EKU" cert-wrong-eku-why
expect_exit 1 cert-reissued "$HG_VERIFY" enroll --host host-e --ca caA --ek rsa reqA.cbor -o x.cbor
expect_err "is enrolled with another certificate (sha256:$(sha expired.der)) for the same EK" cert-reissued-why
HOSTGATE_VERIFY_STATE=$WORK/vstate-f \
expect_exit 0 cert-wrong-eku-allowed "$HG_VERIFY" enroll --host host-f --ca caA --ek rsa --policy pol-eku.json req-srv.cbor -o x.cbor
jq '. + {ek_certificates: {allow_expired: "yes"}}' polA.json >pol-bad.json
expect_exit 2 policy-ekc-not-bool "$HG_VERIFY" enroll --host host-e --ca caA --policy pol-bad.json reqA.cbor -o x.cbor
expect_err "ek_certificates.allow_expired" policy-ekc-not-bool-why

# --- a challenge answered too late ----------------------------------------------
export HOSTGATE_VERIFY_STATE=$WORK/vstate-t
expect_exit 0 ttl-challenge "$HG_VERIFY" enroll --host host-t --ca caA --ek rsa --ttl 1 reqA.cbor -o chT.cbor
expect_exit 0 ttl-activate "$HG_ATTEST" activate "${A[@]}" chT.cbor -o respT.cbor
sleep 2
expect_exit 3 ttl-expired "$HG_VERIFY" enroll --finish respT.cbor
expect_err "expired at" ttl-expired-why

# --- the AK ------------------------------------------------------------------
# An unrestricted signing key on A, under the storage hierarchy.
flushall "$TA"
tpm2_createprimary -T "$TA" -C o -c prim.ctx >/dev/null 2>&1 &&
	tpm2_create -T "$TA" -C prim.ctx -G ecc -u unr.pub -r unr.priv \
		-a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign" >/dev/null 2>&1
flushall "$TA"
"$ENRTOOL" req-set-ak reqA.cbor unr.pub req-unrestricted.cbor
export HOSTGATE_VERIFY_STATE=$WORK/vstate
expect_exit 1 ak-not-restricted "$HG_VERIFY" enroll --host host-a --ca caA req-unrestricted.cbor -o x.cbor
expect_err "AK: key is not a fixedTPM restricted signing key" ak-not-restricted-why
# B's AK with A's EKs: the credential is bound to B's AK but sealed to
# A's EK, so neither TPM can open it.
"$ENRTOOL" req-set-ak reqA.cbor "$WORK/sb/ak.pub" req-otherak.cbor
export HOSTGATE_VERIFY_STATE=$WORK/vstate-c
expect_exit 0 other-ak-challenge "$HG_VERIFY" enroll --host host-c --ca caA --ek rsa req-otherak.cbor -o chC.cbor
expect_exit 1 other-ak-on-a "$HG_ATTEST" activate "${A[@]}" chC.cbor -o x.cbor
expect_err "the challenge is for another AK" other-ak-on-a-why
expect_exit 1 other-ak-on-b "$HG_ATTEST" activate "${B[@]}" chC.cbor -o x.cbor
expect_err "the challenge is for an EK this TPM does not have" other-ak-on-b-why
# The attack beneath it: B's AK public area loaded into A (TPM2_LoadExternal,
# public part only) so that an object with that Name is resident beside
# A's EK. The TPM refuses to authorize an object without a sensitive
# part: TPM_RC_AUTH_UNAVAILABLE (0x12f). A's P-384 EK takes its empty
# password (userWithAuth set), so the refusal is the AK's.
expect_exit 0 other-ak-ecc-challenge "$HG_VERIFY" enroll --host host-c --ca caA --ek ecc req-otherak.cbor -o chC2.cbor
"$ENRTOOL" ch-to-tpm2 chC2.cbor chC2.cred
flushall "$TA"
if tpm2_loadexternal -T "$TA" -C n -u "$WORK/sb/ak.pub" -c extak.ctx >/dev/null 2>"$WORK/last.err"; then
	flushall "$TA"
	if tpm2_activatecredential -T "$TA" -c extak.ctx -C 0x81010016 -i chC2.cred -o x.bin >/dev/null 2>"$WORK/last.err"; then
		fail public-only-ak-refused "the TPM opened a credential for a public-only AK"
	else
		expect_err "(0x12F)" public-only-ak-refused
	fi
else
	fail public-only-ak-refused "tpm2_loadexternal: $(head -c 300 "$WORK/last.err")"
fi
flushall "$TA"
export HOSTGATE_VERIFY_STATE=$WORK/vstate

# --- the challenge and the response ------------------------------------------
expect_exit 0 a-rechallenge "$HG_VERIFY" enroll --host host-a --ca caA --ek rsa reqA.cbor -o chA2.cbor
# Taken to the other TPM: B is not host-a's AK.
expect_exit 1 other-tpm-answers "$HG_ATTEST" activate "${B[@]}" chA2.cbor -o x.cbor
expect_err "the challenge is for another AK" other-tpm-answers-why
# The TPM itself: a flipped byte in the credential or the seed.
"$ENRTOOL" ch-flip chA2.cbor blob chA2-blob.cbor
expect_exit 1 tpm-refuses-blob "$HG_ATTEST" activate "${A[@]}" chA2-blob.cbor -o x.cbor
expect_err "the TPM refused to open the credential" tpm-refuses-blob-why
"$ENRTOOL" ch-flip chA2.cbor enc_secret chA2-seed.cbor
expect_exit 1 tpm-refuses-seed "$HG_ATTEST" activate "${A[@]}" chA2-seed.cbor -o x.cbor
expect_err "the TPM refused to open the credential" tpm-refuses-seed-why
flushall "$TA"
expect_exit 0 a-activate2 "$HG_ATTEST" activate "${A[@]}" chA2.cbor -o respA2.cbor
"$ENRTOOL" resp-set-secret respA2.cbor 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff resp-wrong.cbor
expect_exit 3 wrong-secret "$HG_VERIFY" enroll --finish resp-wrong.cbor
expect_err "wrong secret" wrong-secret-why
# One answer per challenge: the right secret after a wrong one is refused.
expect_exit 3 right-after-wrong "$HG_VERIFY" enroll --finish respA2.cbor
expect_err "replayed response" right-after-wrong-why

# --- malformed and oversized ----------------------------------------------------
head -c 70000 /dev/zero >big.cbor
expect_exit 3 oversized-request "$HG_VERIFY" enroll --host host-a --ca caA big.cbor -o x.cbor
expect_err "larger than 64 KiB" oversized-request-why
head -c 300 /dev/urandom >junk.cbor
expect_exit 3 junk-request "$HG_VERIFY" enroll --host host-a --ca caA junk.cbor -o x.cbor
expect_exit 3 challenge-as-request "$HG_VERIFY" enroll --host host-a --ca caA chA.cbor -o x.cbor
expect_err "not an enrollment request" challenge-as-request-why
expect_exit 3 request-as-response "$HG_VERIFY" enroll --finish reqA.cbor
expect_err "not an enrollment response" request-as-response-why
head -c $(( $(stat -c %s chA2.cbor) - 5 )) chA2.cbor >cut.cbor
expect_exit 1 cut-challenge "$HG_ATTEST" activate "${A[@]}" cut.cbor -o x.cbor
expect_exit 2 bad-host-name "$HG_VERIFY" enroll --host "a b" --ca caA reqA.cbor -o x.cbor

# --- another EK: refused, then --replace --------------------------------------
# B's request under host-a's name (a new TPM in host-a).
expect_exit 1 ek-changed "$HG_VERIFY" enroll --host host-a --ca caAB --ek rsa reqB.cbor -o x.cbor
expect_err "host host-a is enrolled with another EK" ek-changed-why
expect_exit 0 replace-challenge "$HG_VERIFY" enroll --host host-a --ca caAB --ek rsa --replace reqB.cbor -o chR.cbor
expect_exit 0 replace-activate "$HG_ATTEST" activate "${B[@]}" chR.cbor -o respR.cbor
expect_exit 0 replace-finish "$HG_VERIFY" enroll --finish respR.cbor
grep -qx "replaced EK certificate sha256:$(sha "$DA/ek/ek-rsa2048.crt")" "$WORK/last.out" &&
	pass replace-says-old || fail replace-says-old "$(cat "$WORK/last.out")"
"$HG_VERIFY" hosts --json >hosts2.json
jq -e --arg b "$(sha "$DB/ek/ek-rsa2048.crt")" \
	'.[0].host == "host-a" and .[0].ek_cert_sha256 == $b and .[0].ek_replacements == 1' \
	hosts2.json >/dev/null && pass replace-recorded || fail replace-recorded "$(cat hosts2.json)"
expect_exit 0 replaced-accepts-b "$HG_VERIFY" check --host host-a --nonce $NONCE --policy polB.json evB.cbor
expect_exit 3 replaced-refuses-a "$HG_VERIFY" check --host host-a --nonce $NONCE --policy polA.json evA.cbor

# --- cross-checks with tpm2-tools -------------------------------------------------
# hostgate's challenge opened by tpm2_activatecredential (RSA EK, policy
# session), and tpm2_makecredential -T none's credential opened by
# hostgate-attest activate.
# B's TPM is host-a's since --replace: host-b again in a registry of its own.
export HOSTGATE_VERIFY_STATE=$WORK/vstate-x
expect_exit 0 x-challenge "$HG_VERIFY" enroll --host host-b --ca caAB --ek ecc reqB.cbor -o chX.cbor
"$ENRTOOL" ch-to-tpm2 chX.cbor chX.cred
flushall "$TB"
ok=0
if tpm2_readpublic -T "$TB" -c 0x81010016 -o ek384.pub >/dev/null 2>&1; then
	flushall "$TB"
	# Load B's AK as hostgate does: under the P-256 EK (template L-2), with
	# a PolicySecret(endorsement) session. No resource manager: flush
	# everything after the load (akb.ctx is a saved context, loaded again
	# by the next tool), or the P-384 EK finds no free object slot.
	tpm2_createek -T "$TB" -G ecc -c ekp256.ctx >/dev/null 2>"$WORK/last.err" &&
	tpm2_startauthsession -T "$TB" --policy-session -S s.ctx >/dev/null 2>>"$WORK/last.err" &&
	tpm2_policysecret -T "$TB" -S s.ctx -c e >/dev/null 2>>"$WORK/last.err" &&
	tpm2_load -T "$TB" -C ekp256.ctx -P session:s.ctx -u "$WORK/sb/ak.pub" -r "$WORK/sb/ak.priv" -c akb.ctx >/dev/null 2>>"$WORK/last.err" &&
	{ flushall "$TB"; true; } &&
	tpm2_activatecredential -T "$TB" -c akb.ctx -C 0x81010016 -i chX.cred -o xsecret.bin >/dev/null 2>>"$WORK/last.err" && ok=1
fi
flushall "$TB"
if [ $ok = 1 ]; then
	"$HG_ATTEST" activate "${B[@]}" chX.cbor -o respX.cbor 2>/dev/null
	got=$("$ENRTOOL" resp-secret respX.cbor | cut -d' ' -f2)
	[ -n "$got" ] && [ "$got" = "$(bin2hex <xsecret.bin)" ] && pass tpm2-opens-hostgate-challenge ||
		fail tpm2-opens-hostgate-challenge "tpm2 $(bin2hex <xsecret.bin), hostgate $got"
	expect_exit 0 tpm2-secret-accepted "$HG_VERIFY" enroll --finish respX.cbor
else
	fail tpm2-opens-hostgate-challenge "$(head -c 300 "$WORK/last.err")"
fi
export HOSTGATE_VERIFY_STATE=$WORK/vstate
# tpm2_makecredential -T none, for A's RSA EK and A's AK, in a hostgate
# challenge's envelope: hostgate-attest activate must yield its secret.
expect_exit 0 y-challenge "$HG_VERIFY" enroll --host host-y --ca caA --ek rsa reqA.cbor -o chY.cbor
flushall "$TA"
printf 'hostgate-cross-check-0123456789a' >ysecret.bin
tpm2_readpublic -T "$TA" -c 0x81010001 -o ekrsa.pub >/dev/null 2>&1
akname=$("$ENRTOOL" show chY.cbor | sed -n 's/^ak_name //p')
printf '%s' "$akname" | hex2bin >akA.name
if tpm2_makecredential -T none -u ekrsa.pub -s ysecret.bin -n "$akname" -o chY.cred >/dev/null 2>"$WORK/last.err"; then
	"$ENRTOOL" ch-from-tpm2 chY.cbor chY.cred chY2.cbor
	expect_exit 0 hostgate-opens-tpm2-credential "$HG_ATTEST" activate "${A[@]}" chY2.cbor -o respY.cbor
	got=$("$ENRTOOL" resp-secret respY.cbor | cut -d' ' -f2)
	[ "$got" = "$(bin2hex <ysecret.bin)" ] && pass tpm2-credential-secret ||
		fail tpm2-credential-secret "got $got"
	# And that secret is not the verifier's: the finish refuses it.
	expect_exit 3 tpm2-credential-not-ours "$HG_VERIFY" enroll --finish respY.cbor
	expect_err "wrong secret" tpm2-credential-not-ours-why
else
	fail tpm2-makecredential "$(head -c 300 "$WORK/last.err")"
fi

# --- a TPM whose EK certificate is not in NV ---------------------------------
# C has EKs but no certificates (--no-ek-certs), as TPMs whose vendor
# publishes them on a web service; its RSA EK's certificate is issued here
# by A's CA and given with --ek-cert.
start_tpm sha256 --no-ek-certs; TC=$TCTI
unset HOSTGATE_TCTI HOSTGATE_STATE HOSTGATE_LOG
C=(--tcti "$TC" --state "$WORK/sc" --log "$WORK/sc.cel")
"$HG_ATTEST" init "${C[@]}" >/dev/null || fail init-c "init failed"
tpm2_readpublic -T "$TC" -c 0x81010001 -f pem -o ekC.pem >/dev/null 2>&1
openssl x509 -new -subj "/CN=hostgate test" -force_pubkey ekC.pem \
	-CA "$DA/localca/issuercert.pem" -CAkey "$DA/localca/signkey.pem" \
	-days 30 -extfile ext.cnf -extensions ek -out ekC-cert.pem 2>/dev/null || fail issue-c "openssl x509 -new failed"
flushall "$TC"
expect_exit 1 no-nv-cert "$HG_ATTEST" enroll-request "${C[@]}" -o x.cbor
expect_err "give its certificate with --ek-cert FILE" no-nv-cert-why
expect_exit 1 ek-cert-other-key "$HG_ATTEST" enroll-request "${C[@]}" --ek-cert "$DA/ek/ek-rsa2048.crt" -o x.cbor
expect_err "EK certificate 1 of 1: no EK of this TPM has the certificate's key" ek-cert-other-key-why
expect_exit 1 ek-cert-garbage "$HG_ATTEST" enroll-request "${C[@]}" --ek-cert ext.cnf -o x.cbor
expect_err "ext.cnf: not one PEM or DER X.509 certificate" ek-cert-garbage-why
expect_exit 0 ek-cert-file-request "$HG_ATTEST" enroll-request "${C[@]}" --ek-cert ekC-cert.pem -o reqC.cbor
expect_exit 0 ek-cert-file-challenge "$HG_VERIFY" enroll --host host-cfile --ca caA reqC.cbor -o chCf.cbor
expect_exit 0 ek-cert-file-activate "$HG_ATTEST" activate "${C[@]}" chCf.cbor -o respCf.cbor
expect_exit 0 ek-cert-file-finish "$HG_VERIFY" enroll --finish respCf.cbor
grep -qx "enrolled host host-cfile: EK certificate sha256:$(openssl x509 -in ekC-cert.pem -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)" "$WORK/last.out" &&
	pass ek-cert-file-enrolled || fail ek-cert-file-enrolled "$(cat "$WORK/last.out")"

# --- EKs recreated from their template -------------------------------------------
# Without the persistent RSA EK, enroll-request and activate recreate it
# from template L-1 and find the same key as the certificate's. Without
# the persistent P-384 one there is no template to recreate it from
# (hostgate knows L-1 and L-2): the request names the certificate.
flushall "$TA"
tpm2_evictcontrol -T "$TA" -C o -c 0x81010001 >/dev/null 2>&1 || fail evict-rsa "tpm2_evictcontrol failed"
expect_exit 0 recreated-rsa-request "$HG_ATTEST" enroll-request "${A[@]}" -o reqA3.cbor
expect_exit 0 recreated-rsa-challenge "$HG_VERIFY" enroll --host host-r --ca caA --ek rsa reqA3.cbor -o chA3.cbor
expect_exit 0 recreated-rsa-activate "$HG_ATTEST" activate "${A[@]}" chA3.cbor -o respA3.cbor
expect_exit 0 recreated-rsa-finish "$HG_VERIFY" enroll --finish respA3.cbor
flushall "$TA"
[ -z "$(tpm2_getcap -T "$TA" handles-transient)" ] && pass recreated-flushed ||
	fail recreated-flushed "$(tpm2_getcap -T "$TA" handles-transient)"
tpm2_evictcontrol -T "$TA" -C o -c 0x81010016 >/dev/null 2>&1 || fail evict-ecc "tpm2_evictcontrol failed"
expect_exit 1 no-ek-for-cert "$HG_ATTEST" enroll-request "${A[@]}" -o x.cbor
expect_err "EK certificate 2 of 2: no EK of this TPM has the certificate's key" no-ek-for-cert-why
