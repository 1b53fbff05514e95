#!/bin/bash
# t_measure.sh: measure on a sha1+sha256+sha384 swtpm; the hostgate PCR
# read by tpm2-tools equals, in every bank, a replay of the log computed
# here with openssl (not by hostgate's replay code).
. "$(dirname "$0")/lib.sh"
start_tpm sha1,sha256,sha384 --no-ek-certs

expect_exit 1 "measure-before-init" "$HG_ATTEST" measure --kind image /etc/hostname
expect_err "run 'hostgate-attest init' first" "measure-before-init-message"
"$HG_ATTEST" init >/dev/null || { fail init "init failed"; exit 1; }

expect_exit 0 "measure-help" "$HG_ATTEST" measure --help
expect_exit 2 "measure-needs-kind" "$HG_ATTEST" measure /etc/hostname
expect_err "--kind is required" "measure-needs-kind-message"
expect_exit 2 "measure-bad-kind" "$HG_ATTEST" measure --kind kernel /etc/hostname
expect_exit 2 "measure-needs-file" "$HG_ATTEST" measure --kind image

mkdir -p "$WORK/files"
printf '' >"$WORK/files/empty"
head -c 3000000 /dev/urandom >"$WORK/files/disk image.raw"
printf '<domain/>' >"$WORK/files/dom.xml"
ln -s "$WORK/files/dom.xml" "$WORK/files/link.xml"

check_replay() {
	local bank want got
	for bank in sha1 sha256 sha384; do
		want=$(pcr_value "$bank" 13)
		got=$(replay_independent "$HOSTGATE_LOG" "$bank" 13)
		if [ -n "$want" ] && [ "$want" = "$got" ]; then
			pass "$1-pcr13-$bank-equals-independent-replay"
		else
			fail "$1-pcr13-$bank-equals-independent-replay" "tpm $want, replay $got"
		fi
	done
}

qemu=$(command -v qemu-system-x86_64 || echo /bin/true)
expect_exit 0 "measure-hypervisor" "$HG_ATTEST" measure --kind hypervisor "$qemu" /bin/true
expect_exit 0 "measure-image" "$HG_ATTEST" measure --kind image "$WORK/files/disk image.raw" "$WORK/files/empty"
check_replay first

# The log names the file and its digests as openssl computes them.
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json"
want=$(openssl dgst -sha384 -binary <"$WORK/files/disk image.raw" | bin2hex)
got=$(jq -r --arg n "$WORK/files/disk image.raw" '.records[] | select(.name==$n) | .file_digests.sha384' "$WORK/show.json")
[ "$want" = "$got" ] && pass "file-digest-sha384-matches-openssl" || fail "file-digest-sha384-matches-openssl" "$got"
got=$(jq -r --arg n "$WORK/files/disk image.raw" '.records[] | select(.name==$n) | "\(.kind) \(.size)"' "$WORK/show.json")
[ "$got" = "image 3000000" ] && pass "record-kind-and-size" || fail "record-kind-and-size" "$got"
got=$(jq -r '.records[0].type' "$WORK/show.json")
[ "$got" = log-key ] && pass "first-record-pins-log-key" || fail "first-record-pins-log-key" "$got"

# A symlink is recorded under its canonical name.
expect_exit 0 "measure-config-via-symlink" "$HG_ATTEST" measure --kind config "$WORK/files/link.xml"
grep -q " $WORK/files/dom.xml\$" "$WORK/last.out" && pass "symlink-recorded-as-target" ||
	fail "symlink-recorded-as-target" "$(cat "$WORK/last.out")"
check_replay second

# Failures measure nothing: the log and PCR stay as they were.
before_log=$(sha256sum <"$HOSTGATE_LOG")
before_pcr=$(pcr_value sha256 13)
expect_exit 1 "measure-missing-file" "$HG_ATTEST" measure --kind image "$WORK/files/empty" "$WORK/nope"
expect_err "$WORK/nope: No such file or directory" "measure-missing-file-message"
expect_exit 1 "measure-directory-refused" "$HG_ATTEST" measure --kind image "$WORK/files"
expect_err "$WORK/files: is a directory" "measure-directory-refused-message"
[ "$before_log" = "$(sha256sum <"$HOSTGATE_LOG")" ] && [ "$before_pcr" = "$(pcr_value sha256 13)" ] &&
	pass "failed-measure-changes-nothing" || fail "failed-measure-changes-nothing" "log or PCR changed"

# Another PCR, another log: each replays on its own.
expect_exit 0 "measure-other-pcr" "$HG_ATTEST" measure --pcr 14 --log "$WORK/run/p14.cel" --kind firmware /bin/true
want=$(pcr_value sha256 14)
got=$(replay_independent "$WORK/run/p14.cel" sha256 14)
[ "$want" = "$got" ] && pass "pcr14-equals-replay" || fail "pcr14-equals-replay" "tpm $want replay $got"

# Extending the PCR behind hostgate's back is detected, never papered over.
tpm2_pcrextend -T "$TCTI" "13:sha1=$(printf %040d 0),sha256=$(printf %064d 0),sha384=$(printf %096d 0)" >/dev/null
expect_exit 4 "foreign-extend-refused" "$HG_ATTEST" measure --kind image "$WORK/files/empty"
expect_err "PCR does not match the log" "foreign-extend-refused-message"

# A log pinned to another key is refused.
# A log pinned to another log key is refused (the key was replaced).
start_tpm sha256 --no-ek-certs
export HOSTGATE_STATE=$WORK/state2 HOSTGATE_LOG=$WORK/run/k.cel
"$HG_ATTEST" init >/dev/null && "$HG_ATTEST" measure --kind image /bin/true >/dev/null
rm "$HOSTGATE_STATE/logkey.pem"
"$HG_ATTEST" init >/dev/null
expect_exit 4 "other-log-key-refused" "$HG_ATTEST" measure --kind image /bin/true
expect_err "log is pinned to another log key" "other-log-key-refused-message"
