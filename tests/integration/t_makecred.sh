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
# ECC EKs (the seed from ECDH, Part 1 Annex C.6.4): swtpm 0.7.1's
# persistent P-384 EK at 0x81010016 (template H-4: SHA-384, AES-256-CFB,
# userWithAuth SET, so it is used with an empty password and no policy
# session), and a P-256 EK from tpm2_createek -G ecc (template L-2, with
# the PolicySecret session like the RSA one). The AKs are the same ones,
# made under the RSA EK: ActivateCredential only needs them loaded.
# Negative: another AK's Name, a byte flipped in the ephemeral point
# (TPM_RC_ECC_POINT), a valid point from another credential (the seed
# then differs: TPM_RC_INTEGRITY).
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
EK384=0x81010016   # swtpm 0.7.1's ECC EK: P-384, userWithAuth
# activate AK CRED OUT [EK]: tpm2_activatecredential. EK is ek.ctx (the
# default) or another context under the EK's PolicySecret(endorsement)
# session; $EK384 with its empty password, as its userWithAuth allows.
activate() {
	local rc ek=${4:-ek.ctx}
	rm -f "$3"
	if [ "$ek" = "$EK384" ]; then
		tpm2_activatecredential -c "$1.ctx" -C "$ek" -i "$2" -o "$3" \
			>/dev/null 2>"$WORK/last.err"
		rc=$?
		flushall
		return $rc
	fi
	tpm2_startauthsession --policy-session -S session.ctx >/dev/null 2>"$WORK/last.err" &&
		tpm2_policysecret -S session.ctx -c e >/dev/null 2>>"$WORK/last.err" &&
		tpm2_activatecredential -c "$1.ctx" -C "$ek" -i "$2" -o "$3" \
			-P "session:session.ctx" >/dev/null 2>>"$WORK/last.err"
	rc=$?
	tpm2_flushcontext session.ctx >/dev/null 2>&1
	flushall
	return $rc
}
# opens NAME AK CRED SECRET [EK]: activation succeeds and yields SECRET.
opens() {
	if ! activate "$2" "$3" got.bin "${5:-ek.ctx}"; then
		fail "$1" "activation failed: $(head -c 300 "$WORK/last.err")"
	elif ! cmp -s got.bin "$4"; then
		fail "$1" "activated secret differs: $(bin2hex <got.bin)"
	else
		pass "$1"
	fi
}
# refused NAME AK CRED TEXT [EK]: activation fails, its stderr holding TEXT.
refused() {
	if activate "$2" "$3" got.bin "${5:-ek.ctx}"; then
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
# An ECC encrypted secret whose point is not on the EK's curve: Part 1
# Annex C.6.4 / Part 3 §12.5, TPM_RC_ECC_POINT on parameter 2.
RC_ECC_POINT="Esys_ActivateCredential(0x2E7) - tpm:parameter(2):point is not on the required curve"
# mk NAME AKNAME SECRET OUT [EKPUB]: mkcred succeeds (a case).
mk() {
	if "$MKCRED" "${5:-ek.pub}" "$2" "$3" "$4" 2>"$WORK/last.err"; then
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
head -c 33 /dev/urandom >secret33.bin

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

# --- ECC EKs ----------------------------------------------------------
head -c 48 /dev/urandom >secret48.bin
tpm2_readpublic -c "$EK384" -o ek384.pub >/dev/null 2>"$WORK/last.err" ||
	{ fail setup-readpublic-ek384 "$(head -c 300 "$WORK/last.err")"; exit 1; }
flushall
# What the cases below rely on: TPMT_PUBLIC type ECC, nameAlg SHA-384,
# attributes fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|
# adminWithPolicy|restricted|decrypt (0x000300f2); after the 48-byte
# policy: AES-256-CFB, scheme NULL, curve NIST P-384, KDF NULL.
t=$(dd if=ek384.pub bs=1 skip=2 count=8 status=none | bin2hex)
q=$(dd if=ek384.pub bs=1 skip=60 count=12 status=none | bin2hex)
if [ "$t" = 0023000c000300f2 ] && [ "$q" = 000601000043001000040010 ]; then
	pass ek384-is-p384-sha384-aes256-userwithauth
else
	fail ek384-is-p384-sha384-aes256-userwithauth "type/nameAlg/attrs $t, params $q"
fi

# Baseline: tpm2-tools' own ECC MakeCredential opens with this EK.
if tpm2_makecredential -T none -u ek384.pub -s secret32.bin -n "$(bin2hex <ak.name)" \
	-o tools384.cred >/dev/null 2>"$WORK/last.err"; then
	opens baseline-tpm2-makecredential-ek384-activates ak tools384.cred secret32.bin "$EK384"
else
	fail baseline-tpm2-makecredential-ek384 "$(head -c 300 "$WORK/last.err")"
fi

mk mkcred-ek384-32-byte-secret ak.name secret32.bin cred384.out ek384.pub
# 8 header + (2 + 2+48 HMAC + 2+32 encIdentity) + (2 + TPMS_ECC_POINT:
# 2+48 x, 2+48 y) bytes; the encrypted secret's size at 94 is 0x0064 and
# the point's x size at 96 is 0x0030.
hdr=$(head -c 8 cred384.out | bin2hex)
pt=$(dd if=cred384.out bs=1 skip=94 count=4 status=none | bin2hex)
if [ "$hdr" = badcc0de00000001 ] && [ "$pt" = 00640030 ] &&
	[ "$(stat -c %s cred384.out)" -eq 196 ]; then
	pass file-format-ek384-ecc-point
else
	fail file-format-ek384-ecc-point "header $hdr, point $pt, $(stat -c %s cred384.out) bytes"
fi
opens activate-ek384-recovers-32-byte-secret ak cred384.out secret32.bin "$EK384"
mk mkcred-ek384-48-byte-secret ak.name secret48.bin cred384_48.out ek384.pub
opens activate-ek384-recovers-48-byte-secret ak cred384_48.out secret48.bin "$EK384"
mk mkcred-ek384-again ak.name secret32.bin cred384b.out ek384.pub
if cmp -s <(tail -c 102 cred384.out) <(tail -c 102 cred384b.out); then
	fail ek384-ephemeral-point-fresh-each-call "two credentials share a point"
else
	pass ek384-ephemeral-point-fresh-each-call
fi

# Negative: bound to another AK's Name, opened with this AK.
mk mkcred-ek384-for-ak2 ak2.name secret32.bin cred384_ak2.out ek384.pub
refused activate-ek384-other-ak-name-refused ak cred384_ak2.out "$RC_INTEGRITY" "$EK384"
opens activate-ek384-other-ak-opens-with-ak2 ak2 cred384_ak2.out secret32.bin "$EK384"
# Negative: one byte flipped in the ephemeral point's x (98..145) or y
# (148..195), and in the HMAC (12..59).
for c in point-x:120 point-y:170; do
	cp cred384.out bad.out
	flip bad.out "${c#*:}"
	refused "activate-ek384-${c%%:*}-byte-flipped-refused" ak bad.out "$RC_ECC_POINT" "$EK384"
done
cp cred384.out bad.out
flip bad.out 30
refused activate-ek384-hmac-byte-flipped-refused ak bad.out "$RC_INTEGRITY" "$EK384"
# Negative: a good point, but another credential's: the TPM derives
# another seed, so the HMAC fails.
{ head -c 94 cred384.out; tail -c 102 cred384b.out; } >bad.out
refused activate-ek384-other-credentials-point-refused ak bad.out "$RC_INTEGRITY" "$EK384"
opens activate-ek384-after-refusals-still-opens ak cred384.out secret32.bin "$EK384"

# A P-256 EK (template L-2, SHA-256, AES-128), transient, with the
# PolicySecret session.
if tpm2_createek -c ekecc.ctx -G ecc -u ekecc.pub >/dev/null 2>"$WORK/last.err"; then
	flushall
	mk mkcred-ek256-32-byte-secret ak.name secret32.bin cred256.out ekecc.pub
	if [ "$(stat -c %s cred256.out)" -eq 148 ]; then
		pass file-format-ek256-ecc-point
	else
		fail file-format-ek256-ecc-point "$(stat -c %s cred256.out) bytes, want 148"
	fi
	opens activate-ek256-recovers-32-byte-secret ak cred256.out secret32.bin ekecc.ctx
	mk mkcred-ek256-for-ak2 ak2.name secret32.bin cred256_ak2.out ekecc.pub
	refused activate-ek256-other-ak-name-refused ak cred256_ak2.out "$RC_INTEGRITY" ekecc.ctx
	cp cred256.out bad.out
	flip bad.out 110   # in the point's x: 8 + 70 blob + 2 size + 2 x size = 82..113
	refused activate-ek256-point-byte-flipped-refused ak bad.out "$RC_ECC_POINT" ekecc.ctx
	if "$MKCRED" ekecc.pub ak.name secret33.bin x.out 2>"$WORK/last.err"; then
		fail mkcred-ek256-33-byte-secret-refused "accepted"
	elif grep -qF "ekecc.pub: secret is empty or longer than the EK nameAlg's digest" "$WORK/last.err"; then
		pass mkcred-ek256-33-byte-secret-refused
	else
		fail mkcred-ek256-33-byte-secret-refused "$(head -c 300 "$WORK/last.err")"
	fi
else
	fail setup-createek-ecc "$(head -c 300 "$WORK/last.err")"
fi
if "$MKCRED" ek.pub ak.name secret33.bin x.out 2>"$WORK/last.err"; then
	fail mkcred-33-byte-secret-refused "accepted"
elif grep -qF "secret is empty or longer than the EK nameAlg's digest" "$WORK/last.err"; then
	pass mkcred-33-byte-secret-refused
else
	fail mkcred-33-byte-secret-refused "$(head -c 300 "$WORK/last.err")"
fi
