#!/bin/bash
# t_hygiene.sh: tests/hygiene.sh, the end-of-run check of tests/run.sh,
# against leftovers planted in a sandbox: each kind is found and named when
# it belongs to the (fake) run, and left alone when it belongs to another
# run; a /dev/null that became a regular file is a failure and is repaired.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (mknod, mount)"; exit 0; }
H=$ROOT/tests/hygiene.sh
S=$WORK/sandbox
R=$WORK/run
mkdir -p "$S/images" "$S/hooks/qemu.d" "$S/etc-qemu" "$S/run-qemu" "$S/fakework/bin"
FAKE=999999   # a script pid of the fake run
OTHER=888888  # a script pid of another run
export HG_HYG_DEVNULL=$S/null HG_HYG_IMGROOT=$S/images HG_HYG_HOOKS=$S/hooks \
	HG_HYG_QEMU_ETC=$S/etc-qemu HG_HYG_QEMU_RUN=$S/run-qemu
mknod -m 0666 "$S/null" c 1 3

# hyg: run the check as run.sh would for the fake run; its cases go to
# $WORK/hyg.res, its lines to $WORK/hyg.out.
hyg() { HG_RUN_ID=fake-run-$$ HG_RESULTS=$WORK/hyg.res bash "$H" check "$R" >"$WORK/hyg.out" 2>&1; }
# expect_case CASE PASS|FAIL [TEXT]: the last check's verdict on CASE.
expect_case() {
	local got
	got=$(awk -v c="case run:$1" '$1" "$2 == c { print $3 }' "$WORK/hyg.res" | tail -1)
	if [ "$got" != "$2" ]; then
		fail "$1-$2" "got '$got': $(grep -F "$1" "$WORK/hyg.out")"
	elif [ -n "${3:-}" ] && ! grep -F "$1" "$WORK/hyg.out" | grep -qF -- "$3"; then
		fail "$1-$2" "does not name '$3': $(grep -F "$1" "$WORK/hyg.out")"
	else
		pass "$1-$2${4:+-$4}"
	fi
}

bash "$H" snapshot "$R"
echo "$FAKE t_fake $S/fakework" >>"$R/scripts"

# A clean machine: every case passes.
: >"$WORK/hyg.res"
hyg
for c in dev-null-is-a-char-device no-daemon-left no-domain-left no-image-dir-left no-hook-left no-mount-left; do
	expect_case "$c" PASS "" clean
done

# Another run's leftovers are not this run's.
mkdir "$S/images/hostgate-t_other-$OTHER"
echo "<domain/>" >"$S/etc-qemu/hgt$OTHER-vm.xml"
printf '#!/bin/sh\nexec /tmp/other/bin/hostgate-attest hook run\n' >"$S/hooks/qemu.d/hostgate"
socat -u "UNIX-RECV:$WORK/other.sock" OPEN:/dev/null 9>&- &
other=$!
: >"$WORK/hyg.res"
hyg
for c in no-daemon-left no-domain-left no-image-dir-left no-hook-left; do
	expect_case "$c" PASS "" other-run
done

# This run's leftovers, each named.
mkdir "$S/images/hostgate-t_fake-$FAKE"
echo "<domain/>" >"$S/run-qemu/hgt$FAKE-vm.xml"
printf '#!/bin/sh\nexec %s/bin/hostgate-attest hook run\n' "$S/fakework" >"$S/hooks/qemu"
HG_RUN_ID=fake-run-$$ socat -u "UNIX-RECV:$WORK/fake.sock" OPEN:/dev/null 9>&- &
mine=$!
mkdir -p "$S/fakework/mnt"
mounted=0
mount -t tmpfs tmpfs "$S/fakework/mnt" && mounted=1
rm -f "$S/null" && : >"$S/null"   # what a '>' redirect does to a missing /dev/null
: >"$WORK/hyg.res"
hyg
expect_case dev-null-is-a-char-device FAIL "$S/null is 'regular empty file'"
[ "$(stat -c '%F %t,%T' "$S/null")" = "character special file 1,3" ] && pass dev-null-repaired ||
	fail dev-null-repaired "$(stat -c '%F %t,%T' "$S/null")"
expect_case no-daemon-left FAIL "socat pid $mine"
grep -F no-daemon-left "$WORK/hyg.out" | grep -qF "pid $other" && fail daemon-other-not-named "$(cat "$WORK/hyg.out")" || pass daemon-other-not-named
expect_case no-domain-left FAIL "hgt$FAKE-vm"
expect_case no-image-dir-left FAIL "$S/images/hostgate-t_fake-$FAKE"
expect_case no-hook-left FAIL "$S/hooks/qemu"
grep -F no-hook-left "$WORK/hyg.out" | grep -qF "qemu.d/hostgate" && fail hook-other-not-named "$(cat "$WORK/hyg.out")" || pass hook-other-not-named
if [ "$mounted" = 1 ]; then
	expect_case no-mount-left FAIL "$S/fakework/mnt"
	umount "$S/fakework/mnt"
else
	skip no-mount-left-FAIL "cannot mount a tmpfs here"
fi
kill "$mine" "$other" 2>/dev/null
wait "$mine" "$other" 2>/dev/null

# And the run.sh wiring: the check runs at the end of every run.
grep -q 'tests/hygiene.sh check "\$HG_RUN_DIR"' "$ROOT/tests/run.sh" && pass run-sh-checks ||
	fail run-sh-checks "tests/run.sh does not call tests/hygiene.sh check"
