#!/bin/bash
# t_tamper_policy.sh: a policy edited to say one thing to its reader and
# another to a lax parser (issue 11 item 4). Real evidence from swtpm and
# the policy learned from it, then the policy edited: a duplicate key that
# would turn a deny into an allow, a "\u0000" name that would shadow the
# strict entry, comments, trailing commas, numbers JSON does not have,
# bad UTF-8, and names no record can carry. Each is refused by check
# (exit 2, as for any unreadable policy; nothing on stdout), diff and
# enroll --policy, with one stderr line pinned exactly:
#   hostgate-verify: FILE:LINE:COLUMN: JSON-PATH: reason
# Where the edit is an attack, a control case shows what the policy's
# reader expects (the strict entry: exit 1) and what the lax reading
# would have given (exit 0).
. "$(dirname "$0")/lib.sh"

N=00112233445566778899aabbccddeeff
QEMU=$(readlink -f "$(command -v qemu-system-x86_64 || echo /bin/true)")
TRUE=$(readlink -f /bin/true)
FALSE=$(readlink -f /bin/false)
mkdir -p "$WORK/files" "$WORK/p" "$WORK/ev"
head -c 100000 /dev/urandom >"$WORK/files/golden.raw"
head -c 100000 /dev/urandom >"$WORK/files/other.raw"
IMAGE=$WORK/files/golden.raw OTHER=$WORK/files/other.raw

start_tpm sha256 --no-ek-certs
"$HG_ATTEST" init --ak-out "$WORK/ak.pub" >/dev/null || { fail setup "init failed"; exit 1; }
"$HG_ATTEST" measure --kind hypervisor "$QEMU" "$TRUE" >/dev/null &&
	"$HG_ATTEST" measure --kind image "$IMAGE" >/dev/null &&
	"$HG_ATTEST" quote --nonce "$N" -o "$WORK/ev/a.cbor" >/dev/null ||
	{ fail setup "measure or quote failed"; exit 1; }
"$HG_VERIFY" learn "$WORK/ev/a.cbor" >"$WORK/pol.json" || { fail setup "learn failed"; exit 1; }
# Then the host runs what the policy does not allow: /bin/false as a
# hypervisor binary and another image.
"$HG_ATTEST" measure --kind hypervisor "$FALSE" >/dev/null &&
	"$HG_ATTEST" measure --kind image "$OTHER" >/dev/null &&
	"$HG_ATTEST" quote --nonce "$N" -o "$WORK/ev/x.cbor" >/dev/null ||
	{ fail setup "second measure or quote failed"; exit 1; }
EV=$WORK/ev/x.cbor
D_FALSE=$(sha256sum "$FALSE" | cut -c1-64)
D_TRUE=$(sha256sum "$TRUE" | cut -c1-64)
D_OTHER=$(sha256sum "$OTHER" | cut -c1-64)

check() {   # check POLICY [EVIDENCE]
	"$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce "$N" --policy "$1" "${2:-$EV}"
}

# refused NAME POLICY LOC-AND-REASON: check exits 2, prints no verdict,
# and its stderr is exactly "hostgate-verify: POLICY:LOC-AND-REASON".
refused() {
	local name=$1 pol=$2 want="hostgate-verify: $2:$3" rc errs=''
	check "$pol" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ "$rc" -eq 2 ] || errs+="exit $rc, want 2; "
	[ ! -s "$WORK/out" ] || errs+="a verdict was printed; "
	[ "$(cat "$WORK/err")" = "$want" ] ||
		errs+="stderr \"$(head -c 400 "$WORK/err")\", want \"$want\"; "
	if [ -z "$errs" ]; then pass "$name"; else fail "$name" "$errs"; fi
}

# verdict NAME POLICY CODE [EVIDENCE]: a control case: check exits CODE.
verdict() {
	expect_exit "$3" "$1" check "$2" "${4:-}"
}

# mk NAME [HV [TOP]]: write $WORK/p/NAME.json, set P to it. The policy
# is the learned one, laid out so that every edit has a known line:
#   1  {"version":1,"banks":["sha256"],"pcrs":{...},
#   2  "measurements":{"image":{IMAGE: ..., OTHER: ...},
#   3  "hypervisor":{QEMU: ..., TRUE: ...      then HV (",\n" and entries)
#   .  }},                                     closing the hypervisor kind
#   .  TOP                                     lines of top-level keys, each ending ","
#   .  "comment":"edited by hand"}
# The host's later run, /bin/false and OTHER, is allowed only if HV or
# TOP allow /bin/false.
mk() {
	P=$WORK/p/$1.json
	{
		printf '%s,\n' "$HEAD"
		printf '"measurements":{"image":{"%s":{"sha256":["%s"]},"%s":{"sha256":["%s"]}},\n' \
			"$IMAGE" "$D_IMAGE" "$OTHER" "$D_OTHER"
		printf '"hypervisor":{"%s":{"sha256":["%s"]},"%s":{"sha256":["%s"]}' \
			"$QEMU" "$D_QEMU" "$TRUE" "$D_TRUE"
		printf '%s}},\n%s"comment":"edited by hand"}\n' "${2:-}" "${3:-}"
	} >"$P"
}
HEAD=$(jq -c '{version, banks, pcrs}' "$WORK/pol.json" | sed 's/}$//')
D_QEMU=$(jq -r --arg n "$QEMU" '.measurements.hypervisor[$n].sha256[0]' "$WORK/pol.json")
D_IMAGE=$(jq -r --arg n "$IMAGE" '.measurements.image[$n].sha256[0]' "$WORK/pol.json")
D_UPPER=$(echo "$D_FALSE" | tr a-f A-F)
NL='
'

# Sanity: the learned policy accepts the host it was learned from and
# refuses what ran afterwards.
verdict "learned-policy-accepts-its-host" "$WORK/pol.json" 0 "$WORK/ev/a.cbor"
verdict "learned-policy-refuses-later-binaries" "$WORK/pol.json" 1
mk base
verdict "base-layout-refuses-false" "$P" 1

echo "-- a duplicate key turns a deny into an allow"
mk unknown-deny "" '"unknown":{"hypervisor":"deny"},'"$NL"
verdict "unknown-deny-control-refuses" "$P" 1
mk unknown-allow "" '"unknown":{"hypervisor":"allow"},'"$NL"
verdict "unknown-allow-control-what-last-wins-would-give" "$P" 0
mk unknown-dup "" '"unknown":{"hypervisor":"deny",'"$NL"'"hypervisor":"allow"},'"$NL"
refused "unknown-duplicate-refused" "$P" \
	'5:1: $.unknown.hypervisor: duplicate key (first at 4:12)'
mk entry-strict ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]}"
verdict "entry-strict-control-refuses" "$P" 1
mk entry-lax ",$NL\"$FALSE\":{\"sha256\":[\"$D_FALSE\"]}"
verdict "entry-lax-control-what-last-wins-would-give" "$P" 0
mk entry-dup ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]},$NL\"$FALSE\":{\"sha256\":[\"$D_FALSE\"]}"
refused "entry-duplicate-refused" "$P" \
	"5:1: \$.measurements.hypervisor[\"$FALSE\"]: duplicate key (first at 4:1)"
mk entry-dup-escaped ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]},$NL\"${FALSE//\//\\/}\":{\"sha256\":[\"$D_FALSE\"]}"
refused "entry-duplicate-spelled-with-escaped-slashes-refused" "$P" \
	"5:1: \$.measurements.hypervisor[\"$FALSE\"]: duplicate key (first at 4:1)"
mk entry-dup-unicode ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]},$NL\"${FALSE/false/\\u0066alse}\":{\"sha256\":[\"$D_FALSE\"]}"
refused "entry-duplicate-spelled-with-unicode-escape-refused" "$P" \
	"5:1: \$.measurements.hypervisor[\"$FALSE\"]: duplicate key (first at 4:1)"
mk digest-dup ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"],\"sha256\":[\"$D_FALSE\"]}"
refused "bank-list-duplicate-refused" "$P" \
	"4:$((${#FALSE} + 3 + 1 + 10 + 66 + 2 + 1)): \$.measurements.hypervisor[\"$FALSE\"].sha256: duplicate key (first at 4:$((${#FALSE} + 3 + 1 + 1)))"
mk kind-dup ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]}}},$NL\"measurements\":{\"hypervisor\":{\"$FALSE\":{\"sha256\":[\"$D_FALSE\"]}"
refused "measurements-duplicate-refused" "$P" \
	'5:1: $.measurements: duplicate key (first at 2:1)'

echo "-- a \\u0000 name shadows the strict entry"
mk nul-shadow ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]},$NL\"$FALSE\\u0000 (rolling update)\":{\"sha256\":[\"$D_FALSE\"]}"
refused "nul-in-name-refused" "$P" \
	"5:1: \$.measurements.hypervisor[\"$FALSE\\u0000 (rolling update)\"]: \\u0000 in a string: a name would end at the NUL"
mk nul-value "" '"unknown":{"hypervisor":"deny\u0000allow"},'"$NL"
refused "nul-in-value-refused" "$P" \
	'4:25: $.unknown.hypervisor: \u0000 in a string: a name would end at the NUL'
mk nul-byte "" '"unknown":{"hypervisor":"deny"},'"$NL"
printf '\0' >>"$P"
refused "nul-byte-refused" "$P" '6:1: $: a NUL byte'

echo "-- comments, trailing commas, numbers JSON does not have"
mk comment-slashes "" "// allow false while we test$NL"
refused "comment-slashes-refused" "$P" '4:1: $: a comment: JSON has none (notes go in "comment")'
mk comment-block ",$NL/* temporary */ \"$FALSE\":{\"sha256\":[\"$D_FALSE\"]}"
refused "comment-block-refused" "$P" '4:1: $.measurements.hypervisor: a comment: JSON has none (notes go in "comment")'
mk comment-hash "" "# reviewed$NL"
refused "comment-hash-refused" "$P" '4:1: $: a comment: JSON has none (notes go in "comment")'
mk comma-array ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\",]}"
refused "trailing-comma-array-refused" "$P" \
	"4:$((${#FALSE} + 3 + 10 + 68 + 1)): \$.measurements.hypervisor[\"$FALSE\"].sha256: a trailing comma before ']'"
mk comma-object "" '"unknown":{"hypervisor":"deny",},'"$NL"
refused "trailing-comma-object-refused" "$P" "4:32: \$.unknown: a trailing comma before '}'"
for n in NaN Infinity -Infinity 0xd +13 013; do
	case $n in
	NaN|*Inf*) why='NaN and Infinity are not JSON numbers' ;;
	0x*) why='a hexadecimal number: JSON numbers are decimal' ;;
	+*) why="a leading '+': not a JSON number" ;;
	*) why='a leading zero: not a JSON number' ;;
	esac
	mk "pcr-$n" "" "\"pcr\":$n,$NL"
	refused "pcr-$n-refused" "$P" "4:7: \$.pcr: $why"
done
mk pcr-real "" '"pcr":13.0,'"$NL"
refused "pcr-real-refused" "$P" '4:1: $.pcr: not a PCR index 0..15'

echo "-- encodings"
mk utf8-bad ",$NL\"/usr/bin/caf"$'\xe9'"\":{\"sha256\":[\"$D_FALSE\"]}"
refused "invalid-utf8-refused" "$P" '4:14: $.measurements.hypervisor["/usr/bin/caf\xe9"]: invalid UTF-8 (byte 0xe9)'
mk utf8-overlong "" '"unknown":{"hypervisor":"'$'\xc0\xaf''"},'"$NL"
refused "overlong-utf8-refused" "$P" '4:26: $.unknown.hypervisor: invalid UTF-8 (byte 0xc0)'
mk surrogate ",$NL\"/usr/bin/\\ud800\":{\"sha256\":[\"$D_FALSE\"]}"
refused "lone-surrogate-refused" "$P" \
	"4:1: \$.measurements.hypervisor[\"/usr/bin/\\ud800\"]: invalid Unicode '\\uD800': a lone or misordered UTF-16 surrogate escape"
mk bom-src
{ printf '\xef\xbb\xbf'; cat "$P"; } >"$WORK/p/bom.json"
refused "byte-order-mark-refused" "$WORK/p/bom.json" '1:1: $: a byte-order mark (U+FEFF): JSON text has none (RFC 8259 §8.1)'
mk two-values
echo '{"version":1,"banks":["sha256"],"unknown":{"hypervisor":"allow"}}' >>"$P"
refused "second-top-level-value-refused" "$P" '5:1: $: data after the top-level value'
: >"$WORK/p/empty.json"
refused "empty-file-refused" "$WORK/p/empty.json" '1:1: $: empty: a policy is a JSON object'

echo "-- names and digests that would not mean what they say"
mk slash ",$NL\"$FALSE/\":{\"sha256\":[\"$D_TRUE\"]}" '"unknown":{"hypervisor":"allow"},'"$NL"
refused "trailing-slash-name-refused" "$P" \
	"4:1: \$.measurements.hypervisor[\"$FALSE/\"]: not a canonical path (as the log records it): a trailing \"/\""
mk slash-control ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]}" '"unknown":{"hypervisor":"allow"},'"$NL"
verdict "canonical-name-strict-entry-control-refuses" "$P" 1
mk dotdot ",$NL\"/usr/bin/../bin/false\":{\"sha256\":[\"$D_TRUE\"]}"
refused "dotdot-name-refused" "$P" \
	'4:1: $.measurements.hypervisor["/usr/bin/../bin/false"]: not a canonical path (as the log records it): a "." or ".." component'
mk two-kinds ",$NL\"$OTHER\":{\"sha256\":[\"$D_TRUE\"]}"
refused "name-in-two-kinds-refused" "$P" \
	"4:1: \$.measurements.hypervisor[\"$OTHER\"]: also listed under image: a path names one file, of one kind"
mk nfc ",$NL\"/usr/bin/caf\\u00e9\":{\"sha256\":[\"$D_TRUE\"]},$NL\"/usr/bin/cafe\\u0301\":{\"sha256\":[\"$D_FALSE\"]}"
refused "nfc-twin-names-refused" "$P" \
	'5:1: $.measurements.hypervisor["/usr/bin/cafe'$'\xcc\x81''"]: the same name as ["/usr/bin/caf'$'\xc3\xa9''"] once Unicode-normalised (NFC): two entries that look alike'
mk zwsp ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]},$NL\"$FALSE\\u200b\":{\"sha256\":[\"$D_FALSE\"]}"
refused "zero-width-twin-name-refused" "$P" \
	"5:1: \$.measurements.hypervisor[\"$FALSE\\u200b\"]: an invisible or direction-changing character in the name: it displays as another name"
mk rlo ",$NL\"/usr/bin/\\u202eurt\":{\"sha256\":[\"$D_FALSE\"]}"
refused "right-to-left-override-name-refused" "$P" \
	'4:1: $.measurements.hypervisor["/usr/bin/\u202eurt"]: an invisible or direction-changing character in the name: it displays as another name'
mk upper ",$NL\"$FALSE\":{\"sha256\":[\"$D_UPPER\"]}"
refused "uppercase-digest-refused" "$P" \
	"4:$((${#FALSE} + 3 + 11 + 1)): \$.measurements.hypervisor[\"$FALSE\"].sha256[0]: uppercase hex: write digests in lowercase"
mk short ",$NL\"$FALSE\":{\"sha256\":[\"${D_FALSE:0:40}\"]}"
refused "sha1-length-digest-in-sha256-list-refused" "$P" \
	"4:$((${#FALSE} + 3 + 11 + 1)): \$.measurements.hypervisor[\"$FALSE\"].sha256[0]: not 64 hex digits"
mk twice ",$NL\"$FALSE\":{\"sha256\":[\"$D_FALSE\",\"$D_FALSE\"]}"
verdict "digest-listed-twice-accepted-a-list-is-a-set" "$P" 0
mk empty-list ",$NL\"$FALSE\":{\"sha256\":[]}"
refused "empty-digest-list-refused" "$P" \
	"4:$((${#FALSE} + 3 + 1 + 1)): \$.measurements.hypervisor[\"$FALSE\"].sha256: not an array of 1..4096 hex digests"
mk typo ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"],\"requird\":false}"
refused "entry-key-typo-refused" "$P" \
	"4:$((${#FALSE} + 3 + 1 + 10 + 66 + 2 + 1)): \$.measurements.hypervisor[\"$FALSE\"].requird: not a bank name (sha1, sha256, sha384, sha512) or \"required\""
jq '.comment = {"unknown": {"hypervisor": "allow"}}' "$WORK/pol.json" >"$WORK/p/comment-object.json"
L=$(grep -n '"comment"' "$WORK/p/comment-object.json" | cut -d: -f1)
refused "comment-object-refused" "$WORK/p/comment-object.json" "$L:3: \$.comment: not a string"

echo "-- size and depth"
{ cat "$WORK/pol.json"; head -c $((16 * 1024 * 1024)) /dev/zero | tr '\0' ' '; } >"$WORK/p/huge.json"
expect_exit 2 "huge-policy-refused" check "$WORK/p/huge.json"
[ "$(cat "$WORK/last.err")" = "hostgate-verify: $WORK/p/huge.json: policy larger than 16 MiB" ] &&
	pass "huge-policy-message" || fail "huge-policy-message" "$(head -c 300 "$WORK/last.err")"
mk deep "" "\"unknown\":$(printf '%*s' 3000 '' | tr ' ' '[')$(printf '%*s' 3000 '' | tr ' ' ']'),$NL"
expect_exit 2 "deep-nesting-refused" check "$P"
expect_err "$P:4:2058: \$.unknown[0][0]" "deep-nesting-message-names-place"
expect_err ": nested deeper than 2048" "deep-nesting-message-names-limit"

echo "-- every command that reads a policy uses the one loader"
mk entry-dup-again ",$NL\"$FALSE\":{\"sha256\":[\"$D_TRUE\"]},$NL\"$FALSE\":{\"sha256\":[\"$D_FALSE\"]}"
WANT="hostgate-verify: $P:5:1: \$.measurements.hypervisor[\"$FALSE\"]: duplicate key (first at 4:1)"
expect_exit 2 "diff-second-policy-refused" "$HG_VERIFY" diff "$WORK/pol.json" "$P"
[ "$(cat "$WORK/last.err")" = "$WANT" ] && pass "diff-second-policy-message" ||
	fail "diff-second-policy-message" "$(head -c 300 "$WORK/last.err")"
expect_exit 2 "diff-first-policy-refused" "$HG_VERIFY" diff "$P" "$WORK/pol.json"
[ "$(cat "$WORK/last.err")" = "$WANT" ] && pass "diff-first-policy-message" ||
	fail "diff-first-policy-message" "$(head -c 300 "$WORK/last.err")"
expect_exit 2 "diff-evidence-policy-refused" "$HG_VERIFY" diff --evidence "$EV" "$P"
[ "$(cat "$WORK/last.err")" = "$WANT" ] && pass "diff-evidence-policy-message" ||
	fail "diff-evidence-policy-message" "$(head -c 300 "$WORK/last.err")"
put_ekc() {
	P=$WORK/p/ekc.json
	printf '{"version":1,"banks":["sha256"],\n"ek_certificates":{"allow_expired":false,\n"allow_expired":true}}\n' >"$P"
}
put_ekc
mkdir -p "$WORK/ca"
: >"$WORK/req.cbor"
expect_exit 2 "enroll-policy-refused" "$HG_VERIFY" enroll --host h1 --ca "$WORK/ca" \
	--state "$WORK/vstate" --policy "$P" "$WORK/req.cbor" -o "$WORK/ch.cbor"
[ "$(cat "$WORK/last.err")" = "hostgate-verify: $P:3:1: \$.ek_certificates.allow_expired: duplicate key (first at 2:20)" ] &&
	pass "enroll-policy-message" || fail "enroll-policy-message" "$(head -c 300 "$WORK/last.err")"
[ ! -e "$WORK/ch.cbor" ] && pass "enroll-policy-no-challenge" || fail "enroll-policy-no-challenge" "a challenge was written"
