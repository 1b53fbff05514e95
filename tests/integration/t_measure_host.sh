#!/bin/bash
# t_measure_host.sh: measure-host against a swtpm. The first run measures
# every manifest entry; later runs reuse the records of unchanged files
# (the identity cache, and the engine's digest check after a touch); a
# changed file gets exactly one new record. Manifests that are malformed
# or name a missing file measure nothing and say where. The PCR replays.
. "$(dirname "$0")/lib.sh"
start_tpm sha1,sha256 --no-ek-certs

# --discover needs no TPM, no init: it lists this host's real files.
expect_exit 0 "discover" "$HG_ATTEST" measure-host --discover
qemu=$(readlink -f /usr/bin/qemu-system-x86_64 2>/dev/null)
if [ -n "$qemu" ] && [ -f "$qemu" ]; then
	grep -qxF "hypervisor $qemu" "$WORK/last.out" && pass "discover-lists-qemu" ||
		fail "discover-lists-qemu" "$(head -5 "$WORK/last.out")"
else
	skip "discover-lists-qemu" "qemu-system-x86_64 is not installed"
fi
bad_entries=0
while read -r kind path; do
	case $kind in '#'*|'') continue ;; esac
	path=${path//\\040/ }
	[ -f "$path" ] && [ ! -L "$path" ] && [ "$(readlink -f "$path")" = "$path" ] ||
		bad_entries=$((bad_entries + 1))
done <"$WORK/last.out"
[ "$bad_entries" -eq 0 ] && pass "discover-only-canonical-regular-files" ||
	fail "discover-only-canonical-regular-files" "$bad_entries entries are not"
dups=$(grep -v '^#' "$WORK/last.out" | sort | uniq -d | head -3)
[ -z "$dups" ] && pass "discover-no-duplicates" || fail "discover-no-duplicates" "$dups"

expect_exit 0 "help" "$HG_ATTEST" measure-host --help
expect_exit 2 "stray-argument" "$HG_ATTEST" measure-host /bin/true
expect_err "unexpected argument \"/bin/true\"" "stray-argument-message"
expect_exit 2 "discover-and-write-exclusive" "$HG_ATTEST" measure-host --discover --write-manifest

# The host: three files, one name with a space, one reached also by a
# symlink (it collapses to one entry).
H=$WORK/host
mkdir -p "$H"
head -c 200000 /dev/urandom >"$H/qemu-system-test"
head -c 65536 /dev/urandom >"$H/bios.bin"
printf 'option rom\n' >"$H/efi virtio.rom"
ln -s "$H/qemu-system-test" "$H/kvm"
M=$WORK/host.manifest
cat >"$M" <<EOF
# test host
hypervisor $H/qemu-system-test
hypervisor $H/kvm     # the same file again, by its symlink

firmware   $H/bios.bin
firmware $(printf '%s' "$H/efi virtio.rom" | sed 's/ /\\040/g')
EOF

expect_exit 1 "before-init" "$HG_ATTEST" measure-host --manifest "$M"
expect_err "run 'hostgate-attest init' first" "before-init-message"
"$HG_ATTEST" init >/dev/null || { fail init "init failed"; exit 1; }

nrec() { "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json | jq '.records | length'; }
check_replay() {
	local bank want got
	for bank in sha1 sha256; do
		want=$(pcr_value "$bank" 13)
		got=$(replay_independent "$HOSTGATE_LOG" "$bank" 13)
		[ -n "$want" ] && [ "$want" = "$got" ] && pass "$1-pcr13-$bank-replays" ||
			fail "$1-pcr13-$bank-replays" "tpm $want, replay $got"
	done
}

# 1. Everything is measured, each file once, under its canonical name.
expect_exit 0 "first-run" "$HG_ATTEST" measure-host --manifest "$M"
cp "$WORK/last.out" "$WORK/run1.out"
lines=$(wc -l <"$WORK/run1.out")
fresh=$(grep -vc '(unchanged)$' "$WORK/run1.out")
[ "$lines" -eq 3 ] && [ "$fresh" -eq 3 ] && pass "first-run-measures-all" ||
	fail "first-run-measures-all" "$(cat "$WORK/run1.out")"
want=$(openssl dgst -sha256 -r "$H/bios.bin" | cut -d' ' -f1)
grep -qE "^[0-9]+ firmware sha256:$want $H/bios.bin\$" "$WORK/run1.out" &&
	pass "line-format" || fail "line-format" "$(cat "$WORK/run1.out")"
grep -qF " $H/efi virtio.rom" "$WORK/run1.out" && pass "escaped-space-path" ||
	fail "escaped-space-path" "$(cat "$WORK/run1.out")"
grep -qF "$H/kvm" "$WORK/run1.out" && fail "symlink-collapses" "$H/kvm recorded" ||
	pass "symlink-collapses"
n1=$(nrec)
[ "$n1" -eq 4 ] && pass "first-run-records" || fail "first-run-records" "$n1 records, want 4"
check_replay first

# 2. Nothing changed: every record reused, the log does not grow.
# A hash enters the identity cache only when the file's ctime is 2 s
# older than the hash (attest/idcache.h): wait until it is, or on a fast
# machine the cache would rightly stay empty.
sleep 2.1
expect_exit 0 "second-run" "$HG_ATTEST" measure-host --manifest "$M"
fresh=$(grep -vc '(unchanged)$' "$WORK/last.out")
[ "$fresh" -eq 0 ] && [ "$(wc -l <"$WORK/last.out")" -eq 3 ] && pass "second-run-all-unchanged" ||
	fail "second-run-all-unchanged" "$(cat "$WORK/last.out")"
[ "$(sed 's/ (unchanged)$//' "$WORK/last.out")" = "$(cat "$WORK/run1.out")" ] &&
	pass "second-run-same-records" || fail "second-run-same-records" "$(cat "$WORK/last.out")"
[ "$(nrec)" -eq "$n1" ] && pass "second-run-log-unchanged" || fail "second-run-log-unchanged" "$(nrec) records"
# The identity cache (attest/idcache.h) holds the three files, root-only.
C=$HOSTGATE_STATE/idcache
[ "$(stat -c %a "$C" 2>/dev/null)" = 600 ] && head -1 "$C" | grep -q "^hostgate-idcache 2 $(cat /proc/sys/kernel/random/boot_id) " &&
	[ "$(grep -c " $H/" "$C")" -eq 3 ] && pass "idcache-written" || fail "idcache-written" "$(cat "$C" 2>&1 | head -5)"

# 3. A touch changes the identity, not the content: hashed again, but the
# digest equals the standing record's, so no new record.
sleep 0.05
touch "$H/bios.bin"
expect_exit 0 "touch-run" "$HG_ATTEST" measure-host --manifest "$M"
grep -qE " $H/bios.bin \(unchanged\)\$" "$WORK/last.out" && pass "touch-reuses-record" ||
	fail "touch-reuses-record" "$(cat "$WORK/last.out")"
[ "$(nrec)" -eq "$n1" ] && pass "touch-log-unchanged" || fail "touch-log-unchanged" "$(nrec) records"

# 4. One file's content changes: exactly one new record, naming it.
sleep 0.05
head -c 65536 /dev/urandom >"$H/bios.bin"
expect_exit 0 "change-run" "$HG_ATTEST" measure-host --manifest "$M"
fresh=$(grep -v '(unchanged)$' "$WORK/last.out")
want=$(openssl dgst -sha256 -r "$H/bios.bin" | cut -d' ' -f1)
[ "$fresh" = "4 firmware sha256:$want $H/bios.bin" ] && pass "change-one-new-record" ||
	fail "change-one-new-record" "$(cat "$WORK/last.out")"
[ "$(nrec)" -eq $((n1 + 1)) ] && pass "change-log-grows-by-one" ||
	fail "change-log-grows-by-one" "$(nrec) records"
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json"
got=$(jq -r '.records[-1] | "\(.kind) \(.name)"' "$WORK/show.json")
[ "$got" = "firmware $H/bios.bin" ] && pass "new-record-names-file" || fail "new-record-names-file" "$got"
check_replay change

# Fail closed: nothing is measured when the manifest is wrong.
before_log=$(sha256sum <"$HOSTGATE_LOG")
before_pcr=$(pcr_value sha256 13)
cp "$M" "$WORK/missing.manifest"
echo "firmware $H/gone.fd" >>"$WORK/missing.manifest"
head -c 100 /dev/urandom >"$H/bios.bin"   # would be a new record
expect_exit 1 "missing-entry-fails" "$HG_ATTEST" measure-host --manifest "$WORK/missing.manifest"
expect_err "$H/gone.fd: No such file or directory" "missing-entry-named"
expect_err "nothing measured" "missing-entry-nothing-measured"

printf 'hypervisor %s\nhypervisr /usr/bin/qemu\n' "$H/qemu-system-test" >"$WORK/bad.manifest"
expect_exit 1 "malformed-refused" "$HG_ATTEST" measure-host --manifest "$WORK/bad.manifest"
expect_err "$WORK/bad.manifest:2: unknown kind \"hypervisr\"" "malformed-names-file-line"
printf '# vm\nconfig /etc/libvirt/qemu/vm.xml\n' >"$WORK/config.manifest"
expect_exit 1 "config-kind-refused" "$HG_ATTEST" measure-host --manifest "$WORK/config.manifest"
expect_err "config.manifest:2: kind config is reserved for VM configurations" "config-kind-reason"
printf 'firmware relative/bios.bin\n' >"$WORK/rel.manifest"
expect_exit 1 "relative-refused" "$HG_ATTEST" measure-host --manifest "$WORK/rel.manifest"
expect_err "rel.manifest:1: path is not absolute" "relative-reason"
printf '# nothing\n' >"$WORK/empty.manifest"
expect_exit 1 "empty-manifest-refused" "$HG_ATTEST" measure-host --manifest "$WORK/empty.manifest"
expect_err "no entries" "empty-manifest-reason"
expect_exit 1 "named-manifest-must-exist" "$HG_ATTEST" measure-host --manifest "$WORK/none.manifest"
expect_err "$WORK/none.manifest: No such file or directory" "named-manifest-missing-message"
[ "$before_log" = "$(sha256sum <"$HOSTGATE_LOG")" ] && [ "$before_pcr" = "$(pcr_value sha256 13)" ] &&
	pass "failures-change-nothing" || fail "failures-change-nothing" "log or PCR changed"

# HOSTGATE_MANIFEST names the manifest; --manifest overrides it.
HOSTGATE_MANIFEST=$WORK/bad.manifest expect_exit 1 "env-manifest-used" "$HG_ATTEST" measure-host
expect_err "$WORK/bad.manifest:2:" "env-manifest-used-message"
HOSTGATE_MANIFEST=$WORK/bad.manifest expect_exit 0 "option-overrides-env" "$HG_ATTEST" measure-host --manifest "$M"

# No manifest at the implicit path: the discovered defaults are measured,
# and stderr says so; --write-manifest then writes them, once.
IM=$WORK/etc/hostgate/host.manifest
HOSTGATE_MANIFEST=$IM expect_exit 0 "no-manifest-uses-defaults" "$HG_ATTEST" measure-host
expect_err "$IM: not found; measuring the" "no-manifest-says-so"
[ "$(wc -l <"$WORK/last.err")" -eq 1 ] && pass "no-manifest-one-line" ||
	fail "no-manifest-one-line" "$(cat "$WORK/last.err")"
if [ -n "$qemu" ]; then
	grep -qE "^[0-9]+ hypervisor sha256:[0-9a-f]{64} $qemu\$" "$WORK/last.out" &&
		pass "defaults-include-qemu" || fail "defaults-include-qemu" "$(head -3 "$WORK/last.out")"
fi
ndef=$(wc -l <"$WORK/last.out")
HOSTGATE_MANIFEST=$IM expect_exit 0 "write-manifest" "$HG_ATTEST" measure-host --write-manifest
[ -f "$IM" ] && [ "$(grep -vc '^#' "$IM")" -eq "$ndef" ] && pass "write-manifest-lists-defaults" ||
	fail "write-manifest-lists-defaults" "$(cat "$IM" 2>/dev/null | head -3)"
HOSTGATE_MANIFEST=$IM expect_exit 1 "write-manifest-no-overwrite" "$HG_ATTEST" measure-host --write-manifest
expect_err "exists; not overwritten" "write-manifest-no-overwrite-message"
# The written manifest names what was just measured: all reused.
HOSTGATE_MANIFEST=$IM expect_exit 0 "written-manifest-measures" "$HG_ATTEST" measure-host
[ ! -s "$WORK/last.err" ] && pass "written-manifest-quiet" || fail "written-manifest-quiet" "$(cat "$WORK/last.err")"
fresh=$(grep -vc '(unchanged)$' "$WORK/last.out")
[ "$fresh" -eq 0 ] && pass "written-manifest-all-unchanged" ||
	fail "written-manifest-all-unchanged" "$fresh fresh lines"
check_replay final
