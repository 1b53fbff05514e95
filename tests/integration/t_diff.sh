#!/bin/bash
# t_diff.sh: learn, diff and show EVIDENCE on real evidence: what an
# operator runs after a host changes.
. "$(dirname "$0")/lib.sh"
start_tpm sha1,sha256 --no-ek-certs
N=0123456789abcdef0123456789abcdef
mkdir -p "$WORK/f"
printf 'golden v1' >"$WORK/f/golden.img"
printf '<domain/>' >"$WORK/f/vm.xml"
"$HG_ATTEST" init --ak-out "$WORK/ak.pub" >/dev/null &&
	"$HG_ATTEST" measure --kind hypervisor /bin/true >/dev/null &&
	"$HG_ATTEST" measure --kind image "$WORK/f/golden.img" >/dev/null &&
	"$HG_ATTEST" quote --nonce $N -o "$WORK/ev1.cbor" || { fail setup "measure/quote failed"; exit 1; }

# learn: the policy holds exactly what was measured, in the strong bank.
expect_exit 0 "learn" "$HG_VERIFY" learn --ak "$WORK/ak.pub" --nonce $N "$WORK/ev1.cbor"
cp "$WORK/last.out" "$WORK/p1.json"
got=$(jq -c '[.banks, .pcr, (.measurements.image | keys), (.measurements.image[] | keys)]' "$WORK/p1.json")
[ "$got" = "[[\"sha256\"],13,[\"$WORK/f/golden.img\"],[\"sha256\"]]" ] &&
	pass "learned-policy-content" || fail "learned-policy-content" "$got"
want=$(openssl dgst -sha256 -binary <"$WORK/f/golden.img" | bin2hex)
got=$(jq -r --arg n "$WORK/f/golden.img" '.measurements.image[$n].sha256[0]' "$WORK/p1.json")
[ "$got" = "$want" ] && pass "learned-digest-is-the-file's" || fail "learned-digest-is-the-file's" "$got"
[ "$(jq '.pcrs.sha256 | length' "$WORK/p1.json")" = 10 ] && pass "learned-pcrs-0-9" ||
	fail "learned-pcrs-0-9" "$(jq -c .pcrs "$WORK/p1.json")"
expect_exit 3 "learn-refuses-wrong-nonce" "$HG_VERIFY" learn --nonce 00000000000000000000 "$WORK/ev1.cbor"
expect_err "no policy learned" "learn-refuses-wrong-nonce-message"
expect_exit 2 "learn-needs-evidence" "$HG_VERIFY" learn

# diff of a policy with itself, and with a reordered copy: no difference.
expect_exit 0 "diff-same" "$HG_VERIFY" diff "$WORK/p1.json" "$WORK/p1.json"
[ ! -s "$WORK/last.out" ] && pass "diff-same-prints-nothing" || fail "diff-same-prints-nothing" "$(cat "$WORK/last.out")"
jq -S . "$WORK/p1.json" >"$WORK/p1s.json"
expect_exit 0 "diff-reordered-same" "$HG_VERIFY" diff "$WORK/p1.json" "$WORK/p1s.json"

# A policy with another digest and without the image.
jq --arg n /usr/bin/true '.measurements.hypervisor[$n].sha256 = ["'"$(printf '%064d' 7)"'"]' "$WORK/p1.json" >"$WORK/p2.json"
expect_exit 1 "diff-changed-digest" "$HG_VERIFY" diff "$WORK/p1.json" "$WORK/p2.json"
grep -q "^~ hypervisor /usr/bin/true: sha256 .* → $(printf '%064d' 7)" "$WORK/last.out" &&
	pass "diff-changed-digest-line" || fail "diff-changed-digest-line" "$(cat "$WORK/last.out")"
expect_exit 1 "diff-json" "$HG_VERIFY" diff --json "$WORK/p1.json" "$WORK/p2.json"
got=$(jq -c '[.same, (.differences[0] | .what, .change, .kind, .name, .bank)]' "$WORK/last.out")
[ "$got" = '[false,"measurement","changed","hypervisor","/usr/bin/true","sha256"]' ] &&
	pass "diff-json-shape" || fail "diff-json-shape" "$got"
jq 'del(.measurements.image)' "$WORK/p1.json" >"$WORK/p3.json"
expect_exit 1 "diff-removed-entry" "$HG_VERIFY" diff "$WORK/p1.json" "$WORK/p3.json"
grep -q "^- image $WORK/f/golden.img" "$WORK/last.out" && pass "diff-removed-entry-line" ||
	fail "diff-removed-entry-line" "$(cat "$WORK/last.out")"

# The host changes: the image is rewritten and a config appears.
printf 'golden v2' >"$WORK/f/golden.img"
"$HG_ATTEST" measure --kind image "$WORK/f/golden.img" >/dev/null &&
	"$HG_ATTEST" measure --kind config "$WORK/f/vm.xml" >/dev/null &&
	"$HG_ATTEST" quote --nonce $N -o "$WORK/ev2.cbor" || { fail setup2 "measure/quote failed"; exit 1; }
expect_exit 1 "diff-evidence-vs-policy" "$HG_VERIFY" diff --ak "$WORK/ak.pub" --nonce $N --evidence "$WORK/ev2.cbor" "$WORK/p1.json"
new=$(openssl dgst -sha256 -binary <"$WORK/f/golden.img" | bin2hex)
grep -q "^~ image $WORK/f/golden.img: sha256 $new measured on this host; the policy allows $want\$" "$WORK/last.out" &&
	pass "diff-evidence-names-new-and-allowed-digests" || fail "diff-evidence-names-new-and-allowed-digests" "$(cat "$WORK/last.out")"
grep -q "config $WORK/f/vm.xml" "$WORK/last.out" && pass "diff-evidence-names-new-config" ||
	fail "diff-evidence-names-new-config" "$(cat "$WORK/last.out")"
expect_exit 0 "diff-evidence-vs-own-policy" "$HG_VERIFY" diff --ak "$WORK/ak.pub" --nonce $N --evidence "$WORK/ev1.cbor" "$WORK/p1.json"
expect_exit 3 "diff-invalid-evidence" "$HG_VERIFY" diff --ak "$WORK/ak.pub" --nonce 11111111111111111111 --evidence "$WORK/ev2.cbor" "$WORK/p1.json"
expect_exit 2 "diff-missing-policy" "$HG_VERIFY" diff "$WORK/p1.json" "$WORK/none.json"

# show EVIDENCE: an unverified dump, human and JSON.
expect_exit 0 "show-evidence" "$HG_VERIFY" show "$WORK/ev2.cbor"
grep -qi "unverified" "$WORK/last.out" && pass "show-evidence-says-unverified" || fail "show-evidence-says-unverified" "$(head -3 "$WORK/last.out")"
expect_exit 0 "show-evidence-json" "$HG_VERIFY" show --json "$WORK/ev2.cbor"
got=$(jq -c '[.nonce, .log.valid, (.log.records | length), (.pcrs.sha256 | keys | length)]' "$WORK/last.out")
[ "$got" = "[\"$N\",true,5,11]" ] && pass "show-evidence-json-content" || fail "show-evidence-json-content" "$got"
head -c 100 "$WORK/ev2.cbor" >"$WORK/cut.cbor"
expect_exit 3 "show-truncated-evidence" "$HG_VERIFY" show "$WORK/cut.cbor"

# quote needs an AK, and says how to get one.
expect_exit 1 "quote-before-init" "$HG_ATTEST" quote --state "$WORK/nostate" --nonce $N
expect_err "no AK; run 'hostgate-attest init' first" "quote-before-init-message"
expect_exit 2 "quote-short-nonce" "$HG_ATTEST" quote --nonce 0011
expect_exit 2 "quote-bad-pcrs" "$HG_ATTEST" quote --nonce $N --pcrs 0-24
