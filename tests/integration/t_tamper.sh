#!/bin/bash
# t_tamper.sh: 'hostgate-verify check' against real evidence from swtpm and
# against every kind of tampering with it. Each case asserts the exact exit
# code AND the named check that fails first (from the JSON verdict), the
# verdict word, that nothing after a stopping check ran, the stderr line
# "hostgate-verify: EVIDENCE: CHECK: reason", and where the verdict gives
# them the record number, kind, name and digests of the failure.
#
# Hosts (each its own swtpm, state dir and log):
#   A  sha1+sha256, ECC AK: the host under test, policy learned from it
#   B  sha1+sha256, RSA AK: measured the same files in the same order, so
#      its records 1..4 carry the same payloads as A's under another log key
#   C  sha1+sha256, ECC AK: another TPM's ECC AK
#   D  sha1 only:   a host that cannot offer sha256
. "$(dirname "$0")/lib.sh"
[ -x "$EVTOOL" ] || { fail setup "evtool not built (run make)"; exit 1; }
LOGTOOL=$BUILD/tests/tools/logtool
[ -x "$LOGTOOL" ] || { fail setup "logtool not built (run make)"; exit 1; }

N=00112233445566778899aabbccddeeff   # the nonce the verifier sent for ev_a
N1=1111111111111111                   # an old nonce
N2=2222222222222222                   # the verifier's current nonce
QEMU=$(readlink -f "$(command -v qemu-system-x86_64 || echo /bin/true)")
EXTRA=$(readlink -f "$(command -v qemu-img || echo /bin/false)")
TRUE=$(readlink -f /bin/true)
mkdir -p "$WORK/files" "$WORK/a" "$WORK/b" "$WORK/c" "$WORK/d" "$WORK/ev" "$WORK/p"
printf '<domain type="kvm"><name>vm1</name></domain>\n' >"$WORK/files/vm1.xml"
head -c 200000 /dev/urandom >"$WORK/files/golden.raw"
CONFIG=$WORK/files/vm1.xml IMAGE=$WORK/files/golden.raw

# host NAME BANKS [init args]: start a swtpm for host NAME and create its AK.
# on NAME CMD...: run CMD against host NAME's TPM, state and log.
declare -A TCTI_OF
host() {
	local h=$1 banks=$2
	shift 2
	start_tpm "$banks" --no-ek-certs
	TCTI_OF[$h]=$TCTI
	on "$h" "$HG_ATTEST" init --ak-out "$WORK/$h/ak.pub" "$@" >/dev/null ||
		{ fail "setup-$h" "init failed"; exit 1; }
}
on() {
	local h=$1
	shift
	HOSTGATE_TCTI=${TCTI_OF[$h]} TPM2TOOLS_TCTI=${TCTI_OF[$h]} \
		HOSTGATE_STATE=$WORK/$h/state HOSTGATE_LOG=$WORK/$h/log.cel "$@"
}
measure_all() {
	on "$1" "$HG_ATTEST" measure --kind hypervisor "$QEMU" "$TRUE" >/dev/null &&
		on "$1" "$HG_ATTEST" measure --kind config "$CONFIG" >/dev/null &&
		on "$1" "$HG_ATTEST" measure --kind image "$IMAGE" >/dev/null ||
		{ fail "setup-$1" "measure failed"; exit 1; }
}
quote() {   # quote HOST NONCE OUT [quote args]
	on "$1" "$HG_ATTEST" quote --nonce "$2" -o "$3" "${@:4}" >/dev/null ||
		{ fail "setup-$1" "quote failed: $(on "$1" "$HG_ATTEST" quote --nonce "$2" -o "$3" "${@:4}" 2>&1)"; exit 1; }
}

# vcheck CODE CHECK NAME EVIDENCE [check options]: one case. Runs
# 'check --ak A --nonce N --policy A-policy [options] EVIDENCE' (later
# options override those defaults) and asserts the exit code, the first
# failing check (CHECK "none" for exit 0), the verdict word, that checks
# after a stopping one were skipped, and the stderr line. Leaves the
# verdict in $WORK/v.json for field checks with vfield.
vcheck() {
	local want=$1 wcheck=$2 name=$3 ev=$4 rc got verdict nfail later errs=''
	shift 4
	"$HG_VERIFY" check --ak "$WORK/a/ak.pub" --nonce "$N" --policy "$WORK/a/pol.json" \
		"$@" "$ev" >"$WORK/v.json" 2>"$WORK/v.err"
	rc=$?
	[ "$rc" -eq "$want" ] || errs+="exit $rc, want $want; "
	got=$(jq -r '[.checks[] | select(.result=="fail") | .check][0] // "none"' "$WORK/v.json" 2>/dev/null)
	[ "$got" = "$wcheck" ] || errs+="first failing check \"$got\", want \"$wcheck\"; "
	verdict=$(jq -r .verdict "$WORK/v.json" 2>/dev/null)
	case $want in 0) w=trusted ;; 1) w=untrusted ;; *) w=invalid ;; esac
	[ "$verdict" = "$w" ] || errs+="verdict \"$verdict\", want \"$w\"; "
	if [ "$want" = 3 ]; then
		# decode..replay stop the run: one failure, every later check skipped.
		nfail=$(jq '[.checks[] | select(.result=="fail")] | length' "$WORK/v.json" 2>/dev/null)
		later=$(jq -r --arg c "$wcheck" '.checks | (map(.check) | index($c)) as $i |
			[.[$i+1:][] | select(.result != "skip")] | length' "$WORK/v.json" 2>/dev/null)
		[ "$nfail" = 1 ] && [ "$later" = 0 ] || errs+="$nfail failing checks, $later not skipped after $wcheck; "
	fi
	if [ "$want" = 0 ]; then
		[ "$(jq '.failures | length' "$WORK/v.json" 2>/dev/null)" = 0 ] && [ ! -s "$WORK/v.err" ] ||
			errs+="trusted but failures or stderr: $(head -c 200 "$WORK/v.err"); "
	else
		grep -qF "hostgate-verify: $ev: $wcheck: " "$WORK/v.err" ||
			errs+="stderr lacks \"hostgate-verify: $ev: $wcheck: \": $(head -c 200 "$WORK/v.err"); "
	fi
	if [ -z "$errs" ]; then pass "$name"; else fail "$name" "$errs"; fi
}

# vfield NAME JQ-EXPR WANT: a field of the last verdict equals WANT.
vfield() {
	local got
	got=$(jq -r "$2" "$WORK/v.json" 2>/dev/null)
	if [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "$2 is \"$got\", want \"$3\""; fi
}
# vreason NAME TEXT: the first failure's reason contains TEXT.
vreason() {
	local got
	got=$(jq -r '.failures[0].reason' "$WORK/v.json" 2>/dev/null)
	case $got in *"$2"*) pass "$1" ;; *) fail "$1" "reason \"$got\" lacks \"$2\"" ;; esac
}

# flip FILE OFFSET: xor one byte of FILE with 0x5a, in place.
flip() {
	local b
	b=$(xxd -s "$2" -l 1 -p "$1")
	printf "\\x$(printf %02x $((0x$b ^ 0x5a)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# with FIELD FILE EV OUT: OUT is EV with FIELD replaced (evtool set).
with() {
	"$EVTOOL" set "$1" "$2" "$3" >"$4" || { fail "evtool-set-$1" "evtool set $1 failed"; exit 1; }
}
# split_log LOG DIR: DIR/r0, DIR/r1, ... hold the log's records, byte exact.
split_log() {
	local log=$1 dir=$2 i=0 offs size
	mkdir -p "$dir"
	offs=($("$HG_VERIFY" show --log "$log" --json | jq -r '.records[].offset'))
	size=$(stat -c %s "$log")
	offs+=("$size")
	for ((i = 0; i + 1 < ${#offs[@]}; i++)); do
		tail -c +$((offs[i] + 1)) "$log" | head -c $((offs[i + 1] - offs[i])) >"$dir/r$i"
	done
}

# --- host A: ECC AK, learn, accept -------------------------------------------
host a sha1,sha256
measure_all a
quote a "$N" "$WORK/ev/a.cbor"
quote a "$N1" "$WORK/ev/a_old.cbor"
quote a "$N" "$WORK/ev/a_sel.cbor" --pcrs 0-9
EV=$WORK/ev/a.cbor
"$HG_VERIFY" learn "$EV" >"$WORK/a/pol.json" || { fail setup-learn "learn failed"; exit 1; }
"$EVTOOL" get log "$EV" >"$WORK/a/ev.log"
split_log "$WORK/a/ev.log" "$WORK/a/r"

echo "-- genuine hosts"
vcheck 0 none "ecc-ak-learned-policy-accepts-own-host" "$EV"
vfield "ecc-ak-verdict-counts-5-records" '.host.records' 5

# --- host B: RSA AK, the same files ------------------------------------------
host b sha1,sha256 --ak-alg rsa
measure_all b
quote b "$N" "$WORK/ev/b.cbor"
"$HG_VERIFY" learn "$WORK/ev/b.cbor" >"$WORK/b/pol.json" || { fail setup-learn-b "learn failed"; exit 1; }
vcheck 0 none "rsa-ak-learned-policy-accepts-own-host" "$WORK/ev/b.cbor" --ak "$WORK/b/ak.pub" --policy "$WORK/b/pol.json"
vcheck 0 none "rsa-host-accepted-by-a-policy" "$WORK/ev/b.cbor" --ak "$WORK/b/ak.pub"
# B's log (one more record than its evidence: a foreign record 5).
on b "$HG_ATTEST" measure --kind hypervisor "$EXTRA" >/dev/null || { fail setup-b-extra "measure failed"; exit 1; }
split_log "$WORK/b/log.cel" "$WORK/b/r"

# --- host C: another TPM's ECC AK --------------------------------------------
host c sha1,sha256
measure_all c
quote c "$N" "$WORK/ev/c.cbor"

echo "-- nonce"
vcheck 3 nonce "wrong-nonce" "$EV" --nonce "$N2"
vreason "wrong-nonce-reason" "extraData does not equal the nonce"
vcheck 0 none "fresh-quote-with-current-nonce-accepted" "$WORK/ev/a_old.cbor" --nonce "$N1"
vcheck 3 nonce "replayed-old-evidence" "$WORK/ev/a_old.cbor" --nonce "$N2"

echo "-- another AK"
vcheck 3 ak "quote-by-another-tpm-ak" "$WORK/ev/c.cbor"
vreason "quote-by-another-tpm-ak-reason" "another AK than --ak"
vcheck 3 ak "rsa-quote-checked-with-ecc-ak" "$WORK/ev/b.cbor"
with ak "$WORK/a/ak.pub" "$WORK/ev/c.cbor" "$WORK/ev/c_akA.cbor"
vcheck 3 signature "other-ak-quote-with-our-ak-substituted-ecc" "$WORK/ev/c_akA.cbor"
vreason "other-ak-substituted-ecc-reason" "does not verify under the AK"
with ak "$WORK/a/ak.pub" "$WORK/ev/b.cbor" "$WORK/ev/b_akA.cbor"
vcheck 3 signature "other-ak-quote-with-our-ak-substituted-rsa" "$WORK/ev/b_akA.cbor"
vreason "other-ak-substituted-rsa-reason" "signature algorithm differs from the AK's scheme"

echo "-- byte flips in attest, signature, PCR values"
# flipcase FIELD EV AK CHECK LABEL: flip the first, a middle and the last
# byte of FIELD, each its own case.
flipcase() {
	local field=$1 ev=$2 ak=$3 want=$4 label=$5 len pos what
	"$EVTOOL" get "$field" "$ev" >"$WORK/field.bin"
	len=$(stat -c %s "$WORK/field.bin")
	for what in first middle last; do
		case $what in first) pos=0 ;; middle) pos=$((len / 2)) ;; last) pos=$((len - 1)) ;; esac
		cp "$WORK/field.bin" "$WORK/flipped.bin"
		flip "$WORK/flipped.bin" "$pos"
		with "$field" "$WORK/flipped.bin" "$ev" "$WORK/ev/flip.cbor"
		vcheck 3 "$want" "$label-$what-byte-flipped" "$WORK/ev/flip.cbor" --ak "$ak"
	done
}
flipcase attest "$EV" "$WORK/a/ak.pub" signature "ecc-attest"
flipcase sig "$EV" "$WORK/a/ak.pub" signature "ecc-signature"
flipcase attest "$WORK/ev/b.cbor" "$WORK/b/ak.pub" signature "rsa-attest"
flipcase sig "$WORK/ev/b.cbor" "$WORK/b/ak.pub" signature "rsa-signature"

"$EVTOOL" get pcrs "$EV" >"$WORK/pcrs.txt"
# pcrcase CODE CHECK NAME CMD...: evidence A with its PCR list ("bank pcr
# hex" lines) piped through CMD, then checked.
pcrcase() {
	local want=$1 wcheck=$2 name=$3
	shift 3
	"$@" <"$WORK/pcrs.txt" >"$WORK/pcrs.edit"
	if cmp -s "$WORK/pcrs.txt" "$WORK/pcrs.edit"; then
		fail "$name" "the edit changed nothing"
		return
	fi
	with pcrs "$WORK/pcrs.edit" "$EV" "$WORK/ev/pcrs.cbor"
	vcheck "$want" "$wcheck" "$name" "$WORK/ev/pcrs.cbor"
}
# hexflip LINE-PREFIX CHARPOS: flip one hex digit of the value on that line.
hexflip() {
	awk -v pre="$1" -v pos="$2" '
		index($0, pre) == 1 { c = substr($3, pos, 1); r = (c == "0") ? "f" : "0";
			$3 = substr($3, 1, pos - 1) r substr($3, pos + 1) } { print }'
}
pcrcase 3 pcr-digest "pcr13-sha256-first-byte-flipped" hexflip "sha256 13 " 1
pcrcase 3 pcr-digest "pcr13-sha256-middle-byte-flipped" hexflip "sha256 13 " 33
pcrcase 3 pcr-digest "pcr13-sha256-last-byte-flipped" hexflip "sha256 13 " 64
pcrcase 3 pcr-digest "pcr13-sha1-last-byte-flipped" hexflip "sha1 13 " 40
pcrcase 3 pcr-digest "pcr0-sha256-value-changed" hexflip "sha256 0 " 7
vreason "pcr-value-changed-reason" "do not hash to the quoted pcrDigest"
# Values swapped between PCRs of a bank: same set of bytes, other places.
v0=$(awk '$1=="sha256" && $2==0 {print $3}' "$WORK/pcrs.txt")
v13=$(awk '$1=="sha256" && $2==13 {print $3}' "$WORK/pcrs.txt")
pcrcase 3 pcr-digest "values-swapped-between-pcr0-and-pcr13" \
	sed -e "s/^sha256 0 .*/sha256 0 $v13/" -e "s/^sha256 13 .*/sha256 13 $v0/"
# Values swapped between banks (sha1 PCR 13 <-> sha256 PCR 13): a value
# whose length is not its bank's is malformed evidence, refused on decode
# before any digest is computed.
s1=$(awk '$1=="sha1" && $2==13 {print $3}' "$WORK/pcrs.txt")
s256=$(awk '$1=="sha256" && $2==13 {print $3}' "$WORK/pcrs.txt")
pcrcase 3 decode "values-swapped-between-banks" \
	sed -e "s/^sha1 13 .*/sha1 13 $s256/" -e "s/^sha256 13 .*/sha256 13 $s1/"
vreason "values-swapped-between-banks-reason" "wrong value length"
pcrcase 3 pcr-digest "pcr-value-missing" sed -e '/^sha256 5 /d'
vreason "pcr-value-missing-reason" "do not cover the quoted selection exactly"
pcrcase 3 pcr-digest "pcr-value-extra" sed -e "\$a sha256 14 $(printf '%064d' 0)"
vreason "pcr-value-extra-reason" "do not cover the quoted selection exactly"
pcrcase 3 pcr-digest "pcr-value-extra-bank" sed -e "\$a sha384 13 $(printf '%096d' 0)"

echo "-- hostgate log"
# logcase CODE CHECK NAME RECORDS...: evidence A with its log rebuilt from
# record files (paths), then checked.
logcase() {
	local want=$1 wcheck=$2 name=$3
	shift 3
	cat "$@" </dev/null >"$WORK/edit.log"
	with log "$WORK/edit.log" "$EV" "$WORK/ev/log.cbor"
	vcheck "$want" "$wcheck" "$name" "$WORK/ev/log.cbor"
}
A=$WORK/a/r B=$WORK/b/r
logcase 0 none "log-rebuilt-from-its-records-accepted" "$A/r0" "$A/r1" "$A/r2" "$A/r3" "$A/r4"
logcase 3 log "log-record-removed" "$A/r0" "$A/r1" "$A/r3" "$A/r4"
vreason "log-record-removed-names-record-2" "record 2 (offset $(($(stat -c %s "$A/r0") + $(stat -c %s "$A/r1")))): recnum out of sequence"
logcase 3 log "log-records-reordered" "$A/r0" "$A/r1" "$A/r3" "$A/r2" "$A/r4"
vreason "log-records-reordered-names-record-2" "record 2 "
logcase 3 log "log-record-duplicated" "$A/r0" "$A/r1" "$A/r2" "$A/r2" "$A/r3" "$A/r4"
vreason "log-record-duplicated-names-record-3" "record 3 "
logcase 3 log "log-foreign-record-inserted" "$A/r0" "$A/r1" "$A/r2" "$B/r5" "$A/r3" "$A/r4"
vreason "log-foreign-record-inserted-names-record-3" "record 3 "
logcase 3 log "log-foreign-record-appended-in-sequence" "$A/r0" "$A/r1" "$A/r2" "$A/r3" "$A/r4" "$B/r5"
vreason "log-foreign-record-appended-signature" "record 5 "
vreason "log-foreign-record-appended-signature-invalid" "signature invalid"
# B's record 3 has A's record 3's payload byte for byte (same file, same
# recnum, same banks): it is that record re-signed with another log key.
# Its content is what the replay of the quoted PCR binds (docs/log-format.md,
# "What the signatures are for"): 'check' believes the TPM, not the
# signature, and trusts it; --verify-log-signatures audits the signatures
# and refuses it, naming the record.
if cmp -s <(head -c -64 "$A/r3") <(head -c -64 "$B/r3") && ! cmp -s "$A/r3" "$B/r3"; then
	logcase 0 none "log-record-resigned-bound-content-trusted" "$A/r0" "$A/r1" "$A/r2" "$B/r3" "$A/r4"
	vcheck 3 log "log-record-resigned-refused-verify-log-signatures" "$WORK/ev/log.cbor" \
		--verify-log-signatures
	vreason "log-record-resigned-names-record-3" "record 3 "
	vreason "log-record-resigned-signature-invalid" "signature invalid"
else
	fail "log-record-resigned-with-other-key" "B's record 3 is not A's payload under another signature"
fi
# A's genuine log passes the audit too (the option refuses only bad ones).
logcase 0 none "log-genuine-verify-log-signatures" "$A/r0" "$A/r1" "$A/r2" "$A/r3" "$A/r4"
vcheck 0 none "log-genuine-verify-log-signatures-trusted" "$WORK/ev/log.cbor" --verify-log-signatures
# Record 3 with other content (an overlay record, its digests bound to its
# content) under a signature by another log key: the replay no longer
# reaches the quote, so the record is not bound and its signature is
# checked: refused as a forged record (log), with or without the option.
PCR_A=$(jq -r '.pcr // 16' "$WORK/a/pol.json")
"$LOGTOOL" record "$WORK/b/state/logkey.pem" 3 "$PCR_A" sha1,sha256 overlay \
	"$(printf '/srv/forged.qcow2' | od -An -tx1 | tr -d ' \n')" >"$WORK/a/forged3" ||
	fail "log-record-content-changed-setup" "logtool failed"
logcase 3 log "log-record-content-changed-other-key" "$A/r0" "$A/r1" "$A/r2" "$WORK/a/forged3" "$A/r4"
vreason "log-record-content-changed-names-record-3" "record 3 (offset $(($(stat -c %s "$A/r0") + $(stat -c %s "$A/r1") + $(stat -c %s "$A/r2")))): signature invalid"
vcheck 3 log "log-record-content-changed-verify-log-signatures" "$WORK/ev/log.cbor" --verify-log-signatures
vreason "log-record-content-changed-verify-names-record-3" "record 3 "
# The same record signed with A's own log key (root on the host holds it):
# its signature is good, but the replay breaks: refused all the same.
"$LOGTOOL" record "$WORK/a/state/logkey.pem" 3 "$PCR_A" sha1,sha256 overlay \
	"$(printf '/srv/forged.qcow2' | od -An -tx1 | tr -d ' \n')" >"$WORK/a/forged3a" ||
	fail "log-record-content-changed-own-key-setup" "logtool failed"
logcase 3 replay "log-record-content-changed-own-key" "$A/r0" "$A/r1" "$A/r2" "$WORK/a/forged3a" "$A/r4"
vreason "log-record-content-changed-own-key-reason" "the log replays to a value the quote does not hold"
logcase 3 log "log-key-record-replaced-by-other-logs" "$B/r0" "$A/r1" "$A/r2" "$A/r3" "$A/r4"
vreason "log-key-record-replaced-record-1-signature-invalid" "record 1 (offset $(stat -c %s "$B/r0")): signature invalid"
head -c $(($(stat -c %s "$WORK/a/ev.log") - 7)) "$WORK/a/ev.log" >"$WORK/a/trunc.log"
logcase 3 log "log-truncated-mid-record" "$WORK/a/trunc.log"
vreason "log-truncated-mid-record-names-record-4" "record 4 "
vreason "log-truncated-mid-record-reason" "truncated record"
head -c 20 "$A/r2" >"$WORK/a/half"
logcase 3 log "log-truncated-mid-record-2" "$A/r0" "$A/r1" "$WORK/a/half"
vreason "log-truncated-mid-record-2-names-record-2" "record 2 "
logcase 3 replay "log-truncated-at-record-boundary" "$A/r0" "$A/r1" "$A/r2" "$A/r3"
vreason "log-truncated-at-boundary-reason" "the log replays to a value the quote does not hold"
"$EVTOOL" get log "$WORK/ev/b.cbor" >"$WORK/b/ev.log"
logcase 3 replay "log-replaced-by-other-hosts-valid-log" "$WORK/b/ev.log"
logcase 3 replay "log-empty-while-pcr-extended" /dev/null
vreason "log-empty-reason" "was extended but the log is empty"
printf '\x00' >"$WORK/zero"
logcase 3 log "log-trailing-garbage" "$A/r0" "$A/r1" "$A/r2" "$A/r3" "$A/r4" "$WORK/zero"
vreason "log-trailing-garbage-names-record-5" "record 5 "

echo "-- policy (genuine evidence, host outside policy)"
# polcase CODE CHECK NAME JQ-FILTER [check args]: A's policy edited by jq.
polcase() {
	local want=$1 wcheck=$2 name=$3 filter=$4
	shift 4
	jq "$filter" "$WORK/a/pol.json" >"$WORK/p/$name.json" || { fail "$name" "jq failed"; return; }
	vcheck "$want" "$wcheck" "$name" "$EV" --policy "$WORK/p/$name.json" "$@"
}
OTHER=$(printf 'other' | sha256sum | cut -d' ' -f1)
QEMU256=$(sha256sum "$QEMU" | cut -d' ' -f1)
polcase 1 policy "changed-digest" ".measurements.hypervisor[\"$QEMU\"].sha256 = [\"$OTHER\"]"
vfield "changed-digest-names-record" '.failures[0] | "\(.record) \(.kind) \(.name)"' "1 hypervisor $QEMU"
vfield "changed-digest-names-digest-seen" '.failures[0].digest.sha256' "$QEMU256"
vfield "changed-digest-names-digests-allowed" '.failures[0].allowed.sha256 | join(",")' "$OTHER"
vreason "changed-digest-reason" "record 1: hypervisor $QEMU: digest not allowed by the policy"
polcase 0 none "update-rollout-old-and-new-digest" ".measurements.hypervisor[\"$QEMU\"].sha256 += [\"$OTHER\"]"
polcase 1 policy "required-entry-missing" '.measurements.hypervisor["/usr/sbin/virtqemud"] = {"sha256": ["'"$OTHER"'"]}'
vreason "required-entry-missing-reason" "hypervisor /usr/sbin/virtqemud is required but was not measured"
polcase 0 none "optional-entry-missing-accepted" '.measurements.hypervisor["/usr/sbin/virtqemud"] = {"sha256": ["'"$OTHER"'"], "required": false}'
polcase 1 policy "config-not-in-policy" 'del(.measurements.config)'
vfield "config-not-in-policy-names-record" '.failures[0] | "\(.record) \(.kind) \(.name)"' "3 config $CONFIG"
vreason "config-not-in-policy-reason" "record 3: config $CONFIG is not in the policy"
polcase 1 policy "image-not-in-policy" 'del(.measurements.image)'
vfield "image-not-in-policy-names-record" '.failures[0] | "\(.record) \(.kind) \(.name)"' "4 image $IMAGE"
polcase 0 none "image-not-in-policy-unknown-image-allowed" 'del(.measurements.image) | .unknown = {"image": "allow"}'
polcase 1 policy "unknown-image-allow-does-not-allow-config" 'del(.measurements.image, .measurements.config) | .unknown = {"image": "allow"}'
vfield "unknown-image-allow-only-config-fails" '[.failures[] | .kind] | join(",")' "config"
polcase 1 policy "all-policy-failures-listed" 'del(.measurements.image, .measurements.config)'
vfield "all-policy-failures-listed-count" '[.failures[] | "\(.record):\(.kind)"] | join(",")' "3:config,4:image"
grep -qF "(and 1 more failures)" "$WORK/v.err" && pass "all-policy-failures-stderr-counts-more" ||
	fail "all-policy-failures-stderr-counts-more" "$(cat "$WORK/v.err")"
polcase 1 pcrs "required-pcr-value-differs" ".pcrs.sha256[\"0\"] = \"$OTHER\""
vfield "required-pcr-value-differs-names-pcr" '.failures[0] | "\(.pcr) \(.bank) \(.allowed)"' "0 sha256 $OTHER"
vfield "required-pcr-value-differs-names-value" '.failures[0].value' "$(printf '%064d' 0)"
polcase 1 selection "policy-judges-unquoted-pcr" ".pcrs.sha256[\"14\"] = \"$OTHER\""
vreason "policy-judges-unquoted-pcr-reason" "quote does not cover PCR 14 in sha256, which the policy judges"
vcheck 1 selection "quote-misses-hostgate-pcr" "$WORK/ev/a_sel.cbor"
vreason "quote-misses-hostgate-pcr-reason" "quote does not cover the hostgate PCR 13 in sha256"

# A binary not in the policy: measured after the policy was learned.
on a "$HG_ATTEST" measure --kind hypervisor "$EXTRA" >/dev/null || { fail setup-extra "measure failed"; exit 1; }
quote a "$N" "$WORK/ev/a_extra.cbor"
vcheck 1 policy "binary-not-in-policy" "$WORK/ev/a_extra.cbor"
vfield "binary-not-in-policy-names-record" '.failures[0] | "\(.record) \(.kind) \(.name)"' "5 hypervisor $EXTRA"
vfield "binary-not-in-policy-names-digest" '.failures[0].digest.sha256' "$(sha256sum "$EXTRA" | cut -d' ' -f1)"
vreason "binary-not-in-policy-reason" "record 5: hypervisor $EXTRA is not in the policy"
# That longer log under the earlier quote: record 5 logged, not extended.
"$EVTOOL" get log "$WORK/ev/a_extra.cbor" >"$WORK/a/extra.log"
logcase 3 replay "log-with-pending-record" "$WORK/a/extra.log"
vreason "log-with-pending-record-reason" "record 5 is pending"

# A sha1-only host judged by a policy that accepts sha256 only.
host d sha1
measure_all d
quote d "$N" "$WORK/ev/d.cbor"
vcheck 1 banks "sha1-only-evidence-sha256-policy" "$WORK/ev/d.cbor" --ak "$WORK/d/ak.pub"
vreason "sha1-only-evidence-reason" "quote covers banks sha1; policy accepts only sha256"

echo "-- evidence files"
cp "$EV" "$WORK/ev/trail.cbor"; printf '\x00' >>"$WORK/ev/trail.cbor"
vcheck 3 decode "trailing-bytes-after-cbor" "$WORK/ev/trail.cbor"
vreason "trailing-bytes-reason" "trailing bytes after the evidence map"
truncate -s 100M "$WORK/ev/big.cbor"
vcheck 3 decode "oversized-evidence-100MiB" "$WORK/ev/big.cbor"
vreason "oversized-evidence-reason" "larger than 96 MiB"
rm -f "$WORK/ev/big.cbor"
truncate -s $((96 * 1024 * 1024 + 1)) "$WORK/ev/big1.cbor"
vcheck 3 decode "oversized-evidence-cap-plus-1" "$WORK/ev/big1.cbor"
vreason "oversized-evidence-cap-plus-1-reason" "larger than 96 MiB"
rm -f "$WORK/ev/big1.cbor"
: >"$WORK/ev/empty.cbor"
vcheck 3 decode "empty-evidence" "$WORK/ev/empty.cbor"
vreason "empty-evidence-reason" "empty file"
head -c 4096 /dev/urandom >"$WORK/ev/garbage.cbor"
printf '\xff' | dd of="$WORK/ev/garbage.cbor" conv=notrunc status=none   # not a CBOR map head
vcheck 3 decode "garbage-evidence" "$WORK/ev/garbage.cbor"
printf 'hello, this is not CBOR\n' >"$WORK/ev/text.cbor"
vcheck 3 decode "text-evidence" "$WORK/ev/text.cbor"
head -c $(($(stat -c %s "$EV") / 2)) "$EV" >"$WORK/ev/half.cbor"
vcheck 3 decode "truncated-evidence" "$WORK/ev/half.cbor"
expect_exit 2 "missing-evidence-file" "$HG_VERIFY" check --ak "$WORK/a/ak.pub" --nonce "$N" \
	--policy "$WORK/a/pol.json" "$WORK/ev/none.cbor"
expect_err "$WORK/ev/none.cbor: No such file or directory" "missing-evidence-file-message"

echo "-- AK files that are not AKs"
check_a() { "$HG_VERIFY" check --ak "$1" --nonce "$N" --policy "$WORK/a/pol.json" "$EV"; }
on a tpm2_createek -G rsa -c "$WORK/ek.ctx" -u "$WORK/ek.pub" >/dev/null 2>&1 &&
	on a tpm2_flushcontext -t >/dev/null 2>&1
expect_exit 2 "ek-as-ak-refused" check_a "$WORK/ek.pub"
expect_err "$WORK/ek.pub: not usable as an AK: key is a decryption key (an EK?)" "ek-as-ak-message"
[ ! -s "$WORK/last.out" ] && pass "ek-as-ak-no-verdict" || fail "ek-as-ak-no-verdict" "a verdict was printed"
on a tpm2_createprimary -C o -G ecc -c "$WORK/p.ctx" >/dev/null 2>&1 &&
	on a tpm2_create -C "$WORK/p.ctx" -G ecc:ecdsa-sha256 \
		-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' \
		-u "$WORK/k.pub" -r "$WORK/k.priv" >/dev/null 2>&1
on a tpm2_flushcontext -t >/dev/null 2>&1
on a tpm2_flushcontext -s >/dev/null 2>&1
expect_exit 2 "unrestricted-signing-key-refused" check_a "$WORK/k.pub"
expect_err "$WORK/k.pub: not usable as an AK: key is not a fixedTPM restricted signing key" "unrestricted-signing-key-message"
head -c 100 /dev/urandom >"$WORK/junk.pub"
expect_exit 2 "junk-ak-file-refused" check_a "$WORK/junk.pub"
expect_err "not usable as an AK" "junk-ak-file-message"

echo "-- malformed policies"
check_p() { "$HG_VERIFY" check --ak "$WORK/a/ak.pub" --nonce "$N" --policy "$1" "$EV"; }
printf '{"version": 1, "banks": ["sha256"],\n "pcr": 13 x}\n' >"$WORK/p/badjson.json"
expect_exit 2 "policy-bad-json" check_p "$WORK/p/badjson.json"
expect_err "$WORK/p/badjson.json:2:12: \$.pcr: not JSON: '}' expected" "policy-bad-json-names-line-column"
jq '.measurment = .measurements | del(.measurements)' "$WORK/a/pol.json" >"$WORK/p/typo.json"
expect_exit 2 "policy-unknown-key" check_p "$WORK/p/typo.json"
expect_err "$WORK/p/typo.json:$(grep -n '"measurment"' "$WORK/p/typo.json" | cut -d: -f1):3: \$: unknown key \"measurment\"" "policy-unknown-key-names-path-and-key"
jq ".measurements.hypervisor[\"$QEMU\"].sha256[0] |= .[0:62]" "$WORK/a/pol.json" >"$WORK/p/short.json"
expect_exit 2 "policy-short-digest" check_p "$WORK/p/short.json"
expect_err "$WORK/p/short.json:$(grep -n "\"$(jq -r ".measurements.hypervisor[\"$QEMU\"].sha256[0]" "$WORK/p/short.json")\"" "$WORK/p/short.json" | cut -d: -f1):11: \$.measurements.hypervisor[\"$QEMU\"].sha256[0]: not 64 hex digits" \
	"policy-short-digest-names-path"
jq '.unknown = {"kernel": "allow"}' "$WORK/a/pol.json" >"$WORK/p/kind.json"
expect_exit 2 "policy-unknown-kind" check_p "$WORK/p/kind.json"
expect_err "$WORK/p/kind.json:$(grep -n '"kernel"' "$WORK/p/kind.json" | cut -d: -f1):5: \$.unknown.kernel: not hypervisor, firmware, config or image" "policy-unknown-kind-names-path"
expect_exit 2 "policy-missing-file" check_p "$WORK/p/none.json"

echo "-- --quiet"
# quiet CODE NAME EV [args]: exit CODE, nothing at all on stdout or stderr.
quiet() {
	local want=$1 name=$2 ev=$3 rc
	shift 3
	"$HG_VERIFY" check --quiet --ak "$WORK/a/ak.pub" --nonce "$N" --policy "$WORK/a/pol.json" \
		"$@" "$ev" >"$WORK/q.out" 2>"$WORK/q.err"
	rc=$?
	if [ "$rc" -eq "$want" ] && [ ! -s "$WORK/q.out" ] && [ ! -s "$WORK/q.err" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc (want $want), stdout $(wc -c <"$WORK/q.out") bytes, stderr: $(head -c 200 "$WORK/q.err")"
	fi
}
quiet 0 "quiet-trusted" "$EV"
quiet 1 "quiet-untrusted" "$WORK/ev/a_extra.cbor"
quiet 3 "quiet-invalid" "$EV" --nonce "$N2"
exit 0
