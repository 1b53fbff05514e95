#!/bin/bash
# t_uefi_show.sh: 'hostgate-verify show --uefi-log' on the shared corpus
# of real firmware logs (tests/data/uefi, see its README.md).
#   - every raw log in the corpus decodes (exit 0), but the three that are
#     not logs, which exit 3 naming event 0;
#   - for every expected/*.expected.json, the "pcrs" of --json equal the
#     listed PCR values, for every PCR not in not_extended_by_log and not
#     in mismatch; --ebs-workaround exactly where replay_rules name it, and
#     without it that log's PCR5 must NOT match;
#   - base64 logs are decoded to a temp file first (show reads raw only);
#   - a log cut short inside an event exits 3 with one stderr line naming
#     the event number and its byte offset;
#   - --help exits 0 and documents --uefi-log.
# No TPM: this is the verifier's decoder alone.
. "$(dirname "$0")/lib.sh"
CORPUS=${HG_UEFI_CORPUS:-$ROOT/tests/data/uefi}
if [ ! -d "$CORPUS/expected" ]; then
	skip "corpus" "no UEFI corpus at $CORPUS"
	exit 0
fi
command -v jq >/dev/null || { fail "jq" "jq is not installed"; exit 1; }

expect_exit 0 "help" "$HG_VERIFY" show --help
grep -q -- '--uefi-log FILE' "$WORK/last.out" && pass "help-documents-uefi-log" ||
	fail "help-documents-uefi-log" "show --help lacks --uefi-log"
expect_exit 2 "missing-file" "$HG_VERIFY" show --uefi-log "$WORK/none.bin"
expect_err "$WORK/none.bin: No such file or directory" "missing-file-message"
expect_exit 2 "ebs-needs-uefi-log" "$HG_VERIFY" show --ebs-workaround --log "$WORK/none.cel"

# Files of the corpus that are not firmware logs: keylime's negative test
# inputs, and tpm2-tools' specid-vendordata.bin, whose Spec ID event says
# 37 bytes while its vendorInfo needs 41 (tpm2_eventlog reads past it;
# tpm2-tss ships the same event with the right size, which decodes).
not_a_log() {
	case $1 in
	*/binary_bios_measurements-bogus | */binary_bios_measurements-empty | \
	*_tpm2-tools/fixtures/specid-vendordata.bin) return 0 ;;
	esac
	return 1
}

# Every raw log: the .bin / binary_bios_measurements* / *eventlog files
# (base64 copies have a .bin beside them, or are decoded below).
n=0
while IFS= read -r f; do
	rel=${f#"$CORPUS"/}
	n=$((n + 1))
	if not_a_log "$f"; then
		expect_exit 3 "not-a-log:$rel" "$HG_VERIFY" show --uefi-log "$f"
		[ "$(wc -l <"$WORK/last.err")" -eq 1 ] && grep -qE ': (event 0 \(offset 0\): |empty log$)' "$WORK/last.err" &&
			pass "not-a-log-one-line:$rel" ||
			fail "not-a-log-one-line:$rel" "$(head -c 300 "$WORK/last.err")"
		continue
	fi
	expect_exit 0 "decodes:$rel" "$HG_VERIFY" show --uefi-log "$f"
	expect_exit 0 "decodes-json:$rel" "$HG_VERIFY" show --uefi-log "$f" --json
	jq -e '.valid == true and (.events | length) > 0 and (.facts | type) == "object"' \
		"$WORK/last.out" >/dev/null && pass "json-shape:$rel" ||
		fail "json-shape:$rel" "$(head -c 300 "$WORK/last.out")"
done < <(find "$CORPUS" -type f \( -name '*.bin' -o -name 'binary_bios_measurements*' -o -name '*eventlog' \) \
	! -path '*/expected/*' ! -path '*/test-data-files/*' ! -name '*.tpms_attest.bin' \
	! -name '*.tpmt_*.bin' ! -name '*.yaml' | sort)
[ "$n" -ge 30 ] && pass "corpus-size" || fail "corpus-size" "only $n logs found"

# Base64 copies: decoded first, they replay to what the raw copy beside
# them does.
while IFS= read -r f; do
	rel=${f#"$CORPUS"/}
	raw=$WORK/$(basename "$f" .b64).bin
	if ! base64 -d <"$f" >"$raw" 2>/dev/null; then
		fail "base64:$rel" "base64 -d failed"
		continue
	fi
	expect_exit 0 "decodes-base64:$rel" "$HG_VERIFY" show --uefi-log "$raw" --json
	[ -f "${f%.b64}.bin" ] || continue
	"$HG_VERIFY" show --uefi-log "${f%.b64}.bin" --json >"$WORK/beside.json" 2>/dev/null
	jq -e --slurpfile b "$WORK/beside.json" '.pcrs == $b[0].pcrs and (.pcrs | length) > 0' \
		"$WORK/last.out" >/dev/null && pass "base64-same-pcrs:$rel" ||
		fail "base64-same-pcrs:$rel" "PCRs differ from ${rel%.b64}.bin"
done < <(find "$CORPUS" -type f -name '*.b64' | sort)

# The expected PCR values.
for exp in "$CORPUS"/expected/*.expected.json; do
	name=$(basename "$exp" .expected.json)
	log=$(jq -r '.log // empty' "$exp")
	[ -n "$log" ] || continue       # a quote vector without a log
	raw=$CORPUS/$log
	if [ "$(jq -r '.log_encoding' "$exp")" = base64 ]; then
		raw=$WORK/$name.bin
		base64 -d <"$CORPUS/$log" >"$raw" 2>/dev/null ||
			{ fail "base64:$name" "cannot decode $log"; continue; }
	fi
	ebs=()
	jq -e '[.replay_rules[]? | select(test("EBS workaround"))] | length > 0' "$exp" >/dev/null &&
		ebs=(--ebs-workaround)
	expect_exit 0 "replay:$name" "$HG_VERIFY" show --uefi-log "$raw" --json "${ebs[@]}"
	cp "$WORK/last.out" "$WORK/got.json"
	# Every (bank, PCR) of the expected file that the check does not
	# skip, as "bank:pcr want got"; the case fails on any difference.
	diffs=$(jq -r --slurpfile got "$WORK/got.json" '
		def names(l): [l[]? | if type == "string" then . else (.pcr // .name // tostring) end];
		(names(.reference_replay_check.not_extended_by_log) + names(.reference_replay_check.mismatch)) as $skip
		| .pcrs | to_entries[] | .key as $bank | .value | to_entries[]
		| "\($bank):\(.key)" as $id
		| select($skip | index($id) | not)
		| ($got[0].pcrs[$bank][.key] // "absent") as $g
		| select($g != (.value | ascii_downcase))
		| "\($id) want \(.value) got \($g)"' "$exp")
	checked=$(jq -r '
		def names(l): [l[]? | if type == "string" then . else (.pcr // .name // tostring) end];
		(names(.reference_replay_check.not_extended_by_log) + names(.reference_replay_check.mismatch)) as $skip
		| [.pcrs | to_entries[] | .key as $b | .value | keys[] | "\($b):\(.)" as $id
		   | select($skip | index($id) | not)] | length' "$exp")
	if [ -z "$diffs" ] && [ "$checked" -gt 0 ]; then
		pass "pcrs:$name:$checked-values"
	else
		fail "pcrs:$name" "${diffs:-no PCR value checked}"
	fi
	if [ ${#ebs[@]} -gt 0 ]; then
		jq -e '.ebs_workaround_applied == true' "$WORK/got.json" >/dev/null &&
			pass "ebs-named:$name" || fail "ebs-named:$name" "ebs_workaround_applied is not true"
		"$HG_VERIFY" show --uefi-log "$raw" --json >"$WORK/noebs.json" 2>/dev/null
		want=$(jq -r '.pcrs.sha1["5"]' "$exp")
		got=$(jq -r '.pcrs.sha1["5"]' "$WORK/noebs.json")
		[ "$got" != "$want" ] && jq -e '.ebs_workaround_applied == false' "$WORK/noebs.json" >/dev/null &&
			pass "ebs-opt-in:$name" || fail "ebs-opt-in:$name" "PCR5 matched without the workaround"
	fi
done

# A log cut inside an event: exit 3, one line naming the event and its
# offset. Cut the Secure Boot log 10 bytes into its event 5 (the PK).
SB=$CORPUS/keylime_keylime/create-mb-policy/binary_bios_measurements-secureboot
"$HG_VERIFY" show --uefi-log "$SB" --json >"$WORK/sb.json"
off=$(jq '.events[5].offset' "$WORK/sb.json")
head -c $((off + 10)) "$SB" >"$WORK/cut.bin"
expect_exit 3 "truncated" "$HG_VERIFY" show --uefi-log "$WORK/cut.bin"
[ "$(wc -l <"$WORK/last.err")" -eq 1 ] && pass "truncated-one-line" ||
	fail "truncated-one-line" "$(cat "$WORK/last.err")"
expect_err "cut.bin: event 5 (offset $off): " "truncated-names-event-and-offset"
grep -q '^#4 ' "$WORK/last.out" && ! grep -q '^#5 ' "$WORK/last.out" &&
	pass "truncated-prints-events-before" || fail "truncated-prints-events-before" "$(tail -3 "$WORK/last.out")"
expect_exit 3 "truncated-json" "$HG_VERIFY" show --uefi-log "$WORK/cut.bin" --json
jq -e --argjson off "$off" '.valid == false and .error.event == 5 and .error.offset == $off and (.events | length) == 5 and (has("pcrs") | not)' \
	"$WORK/last.out" >/dev/null && pass "truncated-json-error" ||
	fail "truncated-json-error" "$(jq -c .error "$WORK/last.out" 2>&1 | head -c 300)"
# Cut inside the event data of the last event.
len=$(stat -c %s "$SB")
head -c $((len - 1)) "$SB" >"$WORK/cut1.bin"
last=$(jq '.events | length - 1' "$WORK/sb.json")
loff=$(jq '.events[-1].offset' "$WORK/sb.json")
expect_exit 3 "truncated-last-byte" "$HG_VERIFY" show --uefi-log "$WORK/cut1.bin"
expect_err "event $last (offset $loff): " "truncated-last-byte-names-event"
head -c $((64 * 1024 * 1024 + 1)) /dev/zero >"$WORK/big.bin"
expect_exit 3 "oversized" "$HG_VERIFY" show --uefi-log "$WORK/big.bin"
expect_err "log larger than 64 MiB" "oversized-message"
rm -f "$WORK/big.bin"

# Facts as --json reports them, on the Secure Boot log (values established
# independently in tests/unit/test_uefifacts.c).
jq -e '.facts.secure_boot == true and .facts.pk == "adb6fc232943e39c374bf4782b6c697f43c39fca1f4b51dfceda21164e19a893"
	and .facts.separators == [0,1,2,3,4,5,6,7] and .facts.digest_mismatches == []
	and ([.facts.boot_apps[].path] | .[0:2]) == ["\\EFI\\redhat\\shimx64.efi", "\\EFI\\redhat\\grubx64.efi"]
	and (.pcrs | keys) == ["sha256"]' "$WORK/sb.json" >/dev/null &&
	pass "facts-json" || fail "facts-json" "$(jq -c .facts "$WORK/sb.json" | head -c 400)"
