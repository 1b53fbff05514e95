#!/bin/bash
# t_init.sh: hostgate-attest init creates the AK and log key once, reuses
# them, and refuses what it must.
. "$(dirname "$0")/lib.sh"
start_tpm sha256 --no-ek-certs

expect_exit 0 "init-help" "$HG_ATTEST" init --help
expect_exit 2 "init-bad-alg" "$HG_ATTEST" init --ak-alg dsa
expect_err '--ak-alg: "dsa" is not ecc or rsa' "init-bad-alg-message"
expect_exit 2 "init-resettable-pcr-refused" "$HG_ATTEST" init --pcr 16
expect_err '"16" is not a PCR in 0..15' "init-resettable-pcr-message"

expect_exit 0 "init-creates" "$HG_ATTEST" init --ak-out "$WORK/ak1.pub"
grep -q '^ak: created ecc-p256' "$WORK/last.out" && pass "init-says-created" ||
	fail "init-says-created" "$(cat "$WORK/last.out")"

# The AK is what tpm2-tools would call a restricted signing key.
if tpm2_print -t TPM2B_PUBLIC "$WORK/ak1.pub" >"$WORK/ak1.txt" 2>&1 &&
	grep -q 'restricted' "$WORK/ak1.txt" && grep -q 'sign' "$WORK/ak1.txt" &&
	grep -q 'fixedtpm' "$WORK/ak1.txt" && grep -q 'ecdsa' "$WORK/ak1.txt"; then
	pass "ak-pub-is-restricted-ecdsa-signing-key"
else
	fail "ak-pub-is-restricted-ecdsa-signing-key" "$(head -c 400 "$WORK/ak1.txt")"
fi

mode=$(stat -c %a "$HOSTGATE_STATE/logkey.pem")
[ "$mode" = 600 ] && pass "logkey-mode-0600" || fail "logkey-mode-0600" "mode $mode"
mode=$(stat -c %a "$HOSTGATE_STATE")
[ "$mode" = 700 ] && pass "state-dir-mode-0700" || fail "state-dir-mode-0700" "mode $mode"

key1=$(sha256sum <"$HOSTGATE_STATE/logkey.pem")
expect_exit 0 "init-again" "$HG_ATTEST" init --ak-out "$WORK/ak2.pub"
grep -q '^ak: loaded' "$WORK/last.out" && pass "init-again-loads" ||
	fail "init-again-loads" "$(cat "$WORK/last.out")"
cmp -s "$WORK/ak1.pub" "$WORK/ak2.pub" && pass "init-idempotent-same-ak" ||
	fail "init-idempotent-same-ak" "AK changed"
[ "$key1" = "$(sha256sum <"$HOSTGATE_STATE/logkey.pem")" ] &&
	pass "init-idempotent-same-logkey" || fail "init-idempotent-same-logkey" "log key changed"

expect_exit 1 "init-refuses-other-alg" "$HG_ATTEST" init --ak-alg rsa
expect_err 'an ecc AK exists' "init-refuses-other-alg-message"

# An AK from another TPM does not load under this one's EK.
start_tpm sha256 --no-ek-certs
expect_exit 1 "init-refuses-foreign-ak" "$HG_ATTEST" init --state "$WORK/state"
expect_err 'does not load under this TPM' "init-refuses-foreign-ak-message"

expect_exit 0 "init-rsa" "$HG_ATTEST" init --state "$WORK/state-rsa" --ak-alg rsa --ak-out "$WORK/rsa.pub"
tpm2_print -t TPM2B_PUBLIC "$WORK/rsa.pub" 2>&1 | grep -q rsassa &&
	pass "init-rsa-is-rsassa" || fail "init-rsa-is-rsassa" "not an RSASSA key"

expect_exit 1 "init-no-tpm" "$HG_ATTEST" init --state "$WORK/s3" --tcti swtpm:host=127.0.0.1,port=1
expect_err 'cannot connect through TCTI' "init-no-tpm-message"
