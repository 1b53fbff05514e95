#!/bin/bash
# t_cli.sh: what a new user meets first. A directory given where a file
# is read says "is a directory" (never "Invalid argument"); a binary file
# given as the manifest is named by offset, and no raw byte of it reaches
# the terminal; quote --uefi-log refuses a file that is not a firmware
# log; without a TPM the TSS's own log lines stay off stderr unless
# --verbose; the progress bar follows stderr (its stream), not stdout;
# -T is --tcti; every command's help has one description column.
. "$(dirname "$0")/lib.sh"
start_tpm sha256 --no-ek-certs
unset TPM2TOOLS_TCTI HOSTGATE_MANIFEST
"$HG_ATTEST" init --ak-out "$WORK/ak.pub" >/dev/null || { fail init "init failed"; exit 1; }
D=$WORK/adir
mkdir -p "$D"
printf '{"version":1,"banks":["sha256"]}\n' >"$WORK/policy.json"

# --- a directory where a file is read -------------------------------------
isdir() { # NAME WANT_EXIT CMD...
	local name=$1 want=$2
	shift 2
	expect_exit "$want" "dir-$name" "$@"
	if grep -qF -- "$D: is a directory" "$WORK/last.err" && ! grep -qi 'invalid argument' "$WORK/last.err"; then
		pass "dir-$name-message"
	else
		fail "dir-$name-message" "$(head -c 300 "$WORK/last.err")"
	fi
}
isdir measure 1 "$HG_ATTEST" measure --kind hypervisor "$D"
isdir manifest 1 "$HG_ATTEST" measure-host --manifest "$D"
isdir uefi-log 1 "$HG_ATTEST" quote --nonce 0011223344556677 --uefi-log "$D"
isdir config 2 "$HG_ATTEST" config --config "$D"
isdir domain-xml 1 "$HG_ATTEST" measure --domain-xml "$D"
isdir gate-domain-xml 1 "$HG_ATTEST" gate --domain-xml "$D"
isdir ak 2 "$HG_VERIFY" check --ak "$D" --nonce 0011223344556677 --policy "$WORK/policy.json" "$WORK/policy.json"
"$HG_ATTEST" quote --nonce 0011223344556677 -o "$WORK/ev.cbor" >/dev/null
isdir policy 2 "$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce 0011223344556677 --policy "$D" "$WORK/ev.cbor"
isdir evidence 2 "$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce 0011223344556677 --policy "$WORK/policy.json" "$D"
isdir show-log 2 "$HG_VERIFY" show --log "$D"

# --- a binary file as the manifest ----------------------------------------
expect_exit 1 "binary-manifest" "$HG_ATTEST" measure-host --manifest /bin/true
expect_err "/bin/true: binary file (NUL byte at offset " "binary-manifest-names-offset"
if LC_ALL=C grep -q '[^[:print:]]' "$WORK/last.err"; then
	fail "binary-manifest-no-raw-bytes" "$(od -c "$WORK/last.err" | head -3)"
else
	pass "binary-manifest-no-raw-bytes"
fi
# Control bytes and high bytes without a NUL: escaped too.
printf '\x1b[2J\x80\xff hyper\n' >"$WORK/ctl.manifest"
expect_exit 1 "control-manifest" "$HG_ATTEST" measure-host --manifest "$WORK/ctl.manifest"
LC_ALL=C grep -q '[^[:print:]]' "$WORK/last.err" &&
	fail "control-manifest-no-raw-bytes" "$(od -c "$WORK/last.err" | head -3)" ||
	pass "control-manifest-no-raw-bytes"

# --- quote --uefi-log FILE that is not a firmware log ---------------------
head -c 4096 /dev/urandom >"$WORK/garbage.bin"
expect_exit 2 "uefi-log-garbage" "$HG_ATTEST" quote --nonce 0011223344556677 --uefi-log "$WORK/garbage.bin" -o "$WORK/g.cbor"
expect_err "$WORK/garbage.bin: not a firmware event log: " "uefi-log-garbage-message"
[ -e "$WORK/g.cbor" ] && fail "uefi-log-garbage-no-output" "evidence written" || pass "uefi-log-garbage-no-output"
: >"$WORK/empty.bin"
expect_exit 2 "uefi-log-empty" "$HG_ATTEST" quote --nonce 0011223344556677 --uefi-log "$WORK/empty.bin"
expect_err "not a firmware event log: empty log" "uefi-log-empty-message"
expect_exit 0 "uefi-log-real" "$HG_ATTEST" quote --nonce 0011223344556677 \
	--uefi-log "$ROOT/tests/data/uefi/canonical_tcglog-parser/binary_bios_measurements" -o "$WORK/r.cbor"

# --- no TSS noise without --verbose ---------------------------------------
expect_exit 1 "no-tpm" "$HG_ATTEST" init -T swtpm:port=1
lines=$(wc -l <"$WORK/last.err")
[ "$lines" = 1 ] && pass "no-tpm-one-line" || fail "no-tpm-one-line" "$lines lines: $(head -c 400 "$WORK/last.err")"
grep -q 'ERROR:tcti\|WARNING:tcti' "$WORK/last.err" && fail "no-tpm-no-tss-lines" "$(cat "$WORK/last.err")" || pass "no-tpm-no-tss-lines"
expect_err 'hostgate-attest: TPM: cannot connect through TCTI "swtpm:port=1": ' "no-tpm-message"
expect_exit 1 "no-tpm-verbose" "$HG_ATTEST" init -T swtpm:port=1 --verbose
expect_err "ERROR:tcti:" "no-tpm-verbose-tss-lines"
expect_exit 1 "no-tpm-quote" "$HG_ATTEST" quote --nonce 0011223344556677 --tcti swtpm:port=1
grep -q ':tcti:' "$WORK/last.err" && fail "no-tpm-quote-no-tss-lines" "$(cat "$WORK/last.err")" || pass "no-tpm-quote-no-tss-lines"

# --- -T -------------------------------------------------------------------
HOSTGATE_TCTI=swtpm:port=1 expect_exit 0 "short-T" "$HG_ATTEST" init -T "$TCTI"
expect_exit 1 "short-T-used" "$HG_ATTEST" init -T swtpm:port=2
expect_err 'TCTI "swtpm:port=2"' "short-T-named"

# --- the progress bar follows stderr --------------------------------------
if ! command -v script >/dev/null; then
	skip "progress" "script(1) is not installed (util-linux)"
else
	BIG=$WORK/big.img
	truncate -s 80M "$BIG"
	# stdout a terminal, stderr a file: no bar in the file.
	script -qec "'$HG_ATTEST' measure --kind image '$BIG' 2>'$WORK/bar.err'" /dev/null >/dev/null
	grep -q $'\e\\[K\\|hashing \\[' "$WORK/bar.err" &&
		fail "progress-not-when-stderr-is-a-file" "$(od -c "$WORK/bar.err" | head -3)" ||
		pass "progress-not-when-stderr-is-a-file"
	# stderr a terminal, stdout a file: the bar (at least its clear-line)
	# on the terminal, nothing of it in stdout.
	script -qec "'$HG_ATTEST' measure --kind image '$BIG' >'$WORK/bar.out'" "$WORK/typescript" >/dev/null
	grep -q $'\e\\[K' "$WORK/typescript" && pass "progress-when-stderr-is-a-tty" ||
		fail "progress-when-stderr-is-a-tty" "$(od -c "$WORK/typescript" | head -3)"
	grep -q $'\e' "$WORK/bar.out" && fail "progress-not-in-stdout" "$(od -c "$WORK/bar.out" | head -3)" ||
		pass "progress-not-in-stdout"
fi

# --- help columns ---------------------------------------------------------
# In each command's help, every option line's description starts in the
# same column.
cols() { # BINARY COMMAND: the distinct description columns
	"$1" "$2" --help 2>&1 | awk '/^  -/ {
		if (match($0, /^  -[^ ]+( [A-Z][A-Z]*| -[^ ]+( [A-Z]+)?)?  +/)) print RLENGTH }' | sort -u
}
bad=
for c in init measure measure-host quote gate hook enroll-request activate config; do
	[ "$(cols "$HG_ATTEST" "$c" | wc -l)" -le 1 ] || bad="$bad attest:$c($(cols "$HG_ATTEST" "$c" | tr '\n' ,))"
done
for c in show; do
	[ "$(cols "$HG_VERIFY" "$c" | wc -l)" -le 1 ] || bad="$bad verify:$c($(cols "$HG_VERIFY" "$c" | tr '\n' ,))"
done
[ -z "$bad" ] && pass "help-columns-aligned" || fail "help-columns-aligned" "$bad"

# --- -o onto a device or a pipe -------------------------------------------
# Written into, never replaced by a renamed regular file: that is how
# 'quote -o /dev/null' as root would turn the machine's /dev/null into a
# file, after which every VM start fails (docs/testing-hygiene.md). On a
# node of our own, not on the real /dev/null.
if [ "$(id -u)" = 0 ]; then
	mknod -m 0666 "$WORK/null" c 1 3
	expect_exit 0 "output-char-device" "$HG_ATTEST" quote --nonce 0011223344556677 -o "$WORK/null"
	[ "$(stat -c '%F %t,%T' "$WORK/null")" = "character special file 1,3" ] &&
		pass "output-char-device-kept" || fail "output-char-device-kept" "now: $(stat -c '%F' "$WORK/null")"
	expect_exit 0 "ak-out-char-device" "$HG_ATTEST" init --ak-out "$WORK/null"
	[ -c "$WORK/null" ] && pass "ak-out-char-device-kept" || fail "ak-out-char-device-kept" "now: $(stat -c '%F' "$WORK/null")"
else
	skip "output-char-device" "mknod needs root"
fi
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/fifo.out" &
reader=$!
expect_exit 0 "output-fifo" "$HG_ATTEST" quote --nonce 0011223344556677 -o "$WORK/fifo"
wait "$reader"
[ -p "$WORK/fifo" ] && [ -s "$WORK/fifo.out" ] && pass "output-fifo-kept-and-read" ||
	fail "output-fifo-kept-and-read" "fifo: $(stat -c '%F' "$WORK/fifo"), read $(stat -c %s "$WORK/fifo.out") bytes"
expect_exit 1 "output-directory" "$HG_ATTEST" quote --nonce 0011223344556677 -o "$D"
expect_err "$D: is a directory" "output-directory-message"
[ -d "$D" ] && pass "output-directory-kept" || fail "output-directory-kept" "$D replaced"
