#!/bin/bash
# t_makecred.sh: hostgate's software TPM2_MakeCredential (verifier/
# makecred.c, driven by tests/tools/mkcred) opened by a real TPM.
#
# tpm2_createek / tpm2_createak on swtpm; mkcred makes a credential for
# the AK's Name under the EK, in tpm2_makecredential's file format; then
# tpm2_activatecredential, with the EK's PolicySecret(endorsement)
# session, must give back the same secret. Negative cases: a credential
# bound to another AK's Name, and a flipped byte in the integrity HMAC,
# in encIdentity and in the encrypted seed, are each refused by the TPM.
# Baseline: tpm2_makecredential -T none (tpm2-tools' own software path)
# activates the same way, so a failure here is hostgate's, not the tools'.
#
# swtpm has no resource manager: every step flushes transient objects and
# sessions (see t_interop.sh), and each activation starts a fresh policy
# session (a failed TPM2_ActivateCredential leaves it behind).
. "$(dirname "$0")/lib.sh"
MKCRED=$BUILD/tests/tools/mkcred
[ -x "$MKCRED" ] || { fail setup "mkcred not built (run make)"; exit 1; }
cp "$MKCRED" "$WORK/bin/" && MKCRED=$WORK/bin/mkcred

flushall() {
	tpm2_flushcontext -t >/dev/null 2>&1
	tpm2_flushcontext -s >/dev/null 2>&1
}
# flip FILE OFFSET: xor one byte of FILE with 0x5a, in place.
flip() {
	local b
	b=$(xxd -s "$2" -l 1 -p "$1")
	printf "\\x$(printf %02x $((0x$b ^ 0x5a)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# activate AK CRED OUT: tpm2_activatecredential under the EK's policy.
activate() {
	local rc
	rm -f "$3"
	tpm2_startauthsession --policy-session -S session.ctx >/dev/null 2>"$WORK/last.err" &&
		tpm2_policysecret -S session.ctx -c e >/dev/null 2>>"$WORK/last.err" &&
		tpm2_activatecredential -c "$1.ctx" -C ek.ctx -i "$2" -o "$3" \
			-P "session:session.ctx" >/dev/null 2>>"$WORK/last.err"
	rc=$?
	tpm2_flushcontext session.ctx >/dev/null 2>&1
	flushall
	return $rc
}
# opens NAME AK CRED SECRET: activation succeeds and yields SECRET.
opens() {
	if ! activate "$2" "$3" got.bin; then
		fail "$1" "activation failed: $(head -c 300 "$WORK/last.err")"
	elif ! cmp -s got.bin "$4"; then
		fail "$1" "activated secret differs: $(bin2hex <got.bin)"
	else
		pass "$1"
	fi
}
# refused NAME AK CRED TEXT: activation fails, its stderr holding TEXT.
refused() {
	if activate "$2" "$3" got.bin; then
		fail "$1" "activated: $(bin2hex <got.bin)"
	elif ! grep -qF -- "$4" "$WORK/last.err"; then
		fail "$1" "stderr lacks \"$4\": $(grep ERROR "$WORK/last.err" | head -c 300)"
	else
		pass "$1"
	fi
}
# The TPM's answers: TPM_RC_INTEGRITY on parameter 1 (credentialBlob)
# when the outer HMAC does not verify over encIdentity || the AK's Name
# (Part 3 §12.5: checked before anything is decrypted). A corrupt
# encrypted seed fails OAEP decoding; swtpm (libtpms) reports that as
# TPM_RC_FAILURE 0x101 rather than the spec's TPM_RC_VALUE on parameter
# 2, and stays usable: the case after the loop checks that.
RC_INTEGRITY="Esys_ActivateCredential(0x1DF) - tpm:parameter(1):integrity check failed"
# mk NAME AKNAME SECRET OUT: mkcred succeeds (a case).
mk() {
	if "$MKCRED" ek.pub "$2" "$3" "$4" 2>"$WORK/last.err"; then
		pass "$1"
	else
		fail "$1" "$(head -c 300 "$WORK/last.err")"
	fi
}

start_tpm sha256 --no-ek-certs
export TPM2TOOLS_TCTI=$TCTI
mkdir -p "$WORK/mc" && cd "$WORK/mc" || exit 1
tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null 2>"$WORK/last.err" ||
	{ fail setup-createek "$(cat "$WORK/last.err")"; exit 1; }
flushall
for a in ak ak2; do
	tpm2_createak -C ek.ctx -c "$a.ctx" -u "$a.pub" -n "$a.name" >/dev/null 2>"$WORK/last.err" ||
		{ fail "setup-createak-$a" "$(cat "$WORK/last.err")"; exit 1; }
	flushall
done
head -c 32 /dev/urandom >secret32.bin
head -c 16 /dev/urandom >secret16.bin

# Baseline: tpm2-tools' software MakeCredential opens on this TPM.
if tpm2_makecredential -T none -u ek.pub -s secret32.bin -n "$(bin2hex <ak.name)" \
	-o tools.cred >/dev/null 2>"$WORK/last.err"; then
	opens baseline-tpm2-makecredential-activates ak tools.cred secret32.bin
else
	fail baseline-tpm2-makecredential "$(head -c 300 "$WORK/last.err")"
fi

mk mkcred-32-byte-secret ak.name secret32.bin cred.out
hdr=$(head -c 8 cred.out | bin2hex)
# 8 header + (2 + 2+32 HMAC + 2+32 encIdentity) + (2 + 256 OAEP) bytes.
if [ "$hdr" = badcc0de00000001 ] && [ "$(stat -c %s cred.out)" -eq 336 ]; then
	pass file-format-tpm2-tools
else
	fail file-format-tpm2-tools "header $hdr, $(stat -c %s cred.out) bytes"
fi
opens activate-recovers-32-byte-secret ak cred.out secret32.bin
mk mkcred-16-byte-secret ak.name secret16.bin cred16.out
opens activate-recovers-16-byte-secret ak cred16.out secret16.bin

# Negative: bound to another AK's Name, opened with this AK.
mk mkcred-for-ak2 ak2.name secret32.bin cred_ak2.out
refused activate-other-ak-name-refused ak cred_ak2.out "$RC_INTEGRITY"
opens activate-other-ak-opens-with-ak2 ak2 cred_ak2.out secret32.bin
# Negative: one byte flipped in each part (offsets in the file: 8 header,
# 2 blob size, 2 HMAC size, 32 HMAC, 34 encIdentity, 2 + 256 seed).
for c in hmac:20 encidentity:60; do
	cp cred.out bad.out
	flip bad.out "${c#*:}"
	refused "activate-${c%%:*}-byte-flipped-refused" ak bad.out "$RC_INTEGRITY"
done
cp cred.out bad.out
flip bad.out 200
refused activate-seed-byte-flipped-refused ak bad.out "Esys_ActivateCredential(0x"
opens activate-after-refusals-still-opens ak cred.out secret32.bin

# mkcred refuses what is not an RSA EK, with the reason.
check_refusal() {
	if "$MKCRED" "$2" ak.name secret32.bin x.out 2>"$WORK/last.err"; then
		fail "$1" "accepted"
	elif grep -qF -- "$3" "$WORK/last.err"; then
		pass "$1"
	else
		fail "$1" "stderr lacks \"$3\": $(head -c 300 "$WORK/last.err")"
	fi
}
check_refusal mkcred-ak-as-ek-refused ak.pub "ak.pub: EK is not a restricted decryption key"
if tpm2_createek -c ekecc.ctx -G ecc -u ekecc.pub >/dev/null 2>"$WORK/last.err"; then
	flushall
	check_refusal mkcred-ecc-ek-refused ekecc.pub "ekecc.pub: EK is ECC: its seed needs ECDH"
else
	fail setup-createek-ecc "$(head -c 300 "$WORK/last.err")"
fi
head -c 33 /dev/urandom >secret33.bin
if "$MKCRED" ek.pub ak.name secret33.bin x.out 2>"$WORK/last.err"; then
	fail mkcred-33-byte-secret-refused "accepted"
elif grep -qF "secret is empty or longer than the EK nameAlg's digest" "$WORK/last.err"; then
	pass mkcred-33-byte-secret-refused
else
	fail mkcred-33-byte-secret-refused "$(head -c 300 "$WORK/last.err")"
fi
