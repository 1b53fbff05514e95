#!/bin/bash
# t_gate_race.sh: a disk swapped while the gate measures it.
#
# Two images, GOOD and BAD, with different digests; the policy allows only
# GOOD. A background loop swaps the disk the domain names between them
# while 'gate --domain-xml' runs again and again. Each run may refuse, or
# accept; an acceptance must rest on GOOD's digest. Runs are sequential
# and only the gate writes the log, so the records a run appended, and the
# latest record of each name after it, are what that run judged.
#
#   symlink: the domain's disk is a symlink, re-pointed (rename(2) of a new
#            link over it) between good.qcow2 and bad.qcow2;
#   rename:  the disk is a regular file that copies of GOOD and BAD are
#            renamed over: one name, two contents.
#
# ROUNDS (default 40) runs per variant.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (/var/lib/libvirt/images)"; exit 0; }
start_libvirt
gate_host
N=${ROUNDS:-40}
D=$(dom_name race)

# Large enough that hashing takes a while and swaps land mid-hash.
mk_image() { # PATH BYTE
	qemu-img create -q -f qcow2 "$1" 64M &&
		qemu-io -f qcow2 -c "write -P 0x$2 0 48M" "$1" >/dev/null
}
mk_image "$GOLDEN/good.qcow2" 11
mk_image "$GOLDEN/bad.qcow2" 66
GOOD=$(sha256_of "$GOLDEN/good.qcow2")
BAD=$(sha256_of "$GOLDEN/bad.qcow2")
[ "$GOOD" != "$BAD" ] || { fail setup "good and bad images have one digest"; exit 1; }

ln -s good.qcow2 "$GOLDEN/link.qcow2"
cp "$GOLDEN/good.qcow2" "$GOLDEN/swap.qcow2"
domain_xml "$D" "$GOLDEN/link.qcow2" 64 "$GOLDEN/swap.qcow2" >"$WORK/race.xml"
if gate_learn "$WORK/race.xml" 2>"$WORK/learn.err"; then
	pass learn-policy
else
	fail learn-policy "$(head -c 300 "$WORK/learn.err")"
	exit 1
fi
# The policy allows GOOD and only GOOD, under the canonical names.
jq -e --arg g "$GOLDEN/good.qcow2" --arg s "$GOLDEN/swap.qcow2" --arg b "$GOLDEN/bad.qcow2" \
	--arg d "$GOOD" '.measurements.image[$g].sha256 == [$d] and .measurements.image[$s].sha256 == [$d]
	 and (.measurements.image | has($b) | not)' "$POLICY" >/dev/null &&
	pass policy-allows-only-good ||
	fail policy-allows-only-good "$(jq -c .measurements.image "$POLICY" | head -c 400)"

# An unswapped run accepts: the race below starts from a working gate.
"$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$WORK/race.xml" >"$WORK/gate.out" 2>&1 &&
	pass unswapped-gate-accepts || fail unswapped-gate-accepts "$(head -c 300 "$WORK/gate.out")"

# Without a race first: what a swap or an in-place edit leaves behind is
# seen by the next gate, whatever the identity cache holds.
gate_once() { "$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$WORK/race.xml" >"$WORK/gate.out" 2>&1; }
expect_gate() { # WANT(0|1) CASE TEXT
	local rc
	gate_once
	rc=$?
	if [ "$rc" = "$1" ] && grep -qF -- "$3" "$WORK/gate.out"; then
		pass "$2"
	else
		fail "$2" "exit $rc, want $1 with \"$3\": $(head -c 300 "$WORK/gate.out")"
	fi
}
ln -sfn bad.qcow2 "$GOLDEN/.l" && mv -T "$GOLDEN/.l" "$GOLDEN/link.qcow2"
expect_gate 1 symlink-repointed-refused "$GOLDEN/bad.qcow2"
ln -sfn good.qcow2 "$GOLDEN/.l" && mv -T "$GOLDEN/.l" "$GOLDEN/link.qcow2"
expect_gate 0 symlink-back-accepted allow
cp "$GOLDEN/bad.qcow2" "$GOLDEN/.b" && mv -T "$GOLDEN/.b" "$GOLDEN/swap.qcow2"
expect_gate 1 renamed-over-refused "$GOLDEN/swap.qcow2"
cp "$GOLDEN/good.qcow2" "$GOLDEN/.g" && mv -T "$GOLDEN/.g" "$GOLDEN/swap.qcow2"
expect_gate 0 renamed-back-accepted allow
# In place, same size, mtime put back: only ctime tells (README, the
# identity cache's trust boundary).
expect_gate 0 cached-before-in-place-edit allow
touch -r "$GOLDEN/swap.qcow2" "$WORK/stamp"
size0=$(stat -c %s "$GOLDEN/swap.qcow2")
qemu-io -f qcow2 -c "write -P 0x66 0 64k" "$GOLDEN/swap.qcow2" >/dev/null
touch -r "$WORK/stamp" "$GOLDEN/swap.qcow2"
if [ "$(stat -c %s "$GOLDEN/swap.qcow2")" = "$size0" ] &&
	[ "$(stat -c %Y "$GOLDEN/swap.qcow2")" = "$(stat -c %Y "$WORK/stamp")" ]; then
	expect_gate 1 in-place-edit-with-mtime-restored-refused "$GOLDEN/swap.qcow2"
else
	fail in-place-edit-with-mtime-restored-refused "setup: size or mtime changed"
fi
qemu-io -f qcow2 -c "write -P 0x11 0 64k" "$GOLDEN/swap.qcow2" >/dev/null
touch -r "$WORK/stamp" "$GOLDEN/swap.qcow2"
[ "$(sha256_of "$GOLDEN/swap.qcow2")" = "$GOOD" ] || fail setup "swap.qcow2 not restored"
expect_gate 0 in-place-edit-undone-accepted allow

swap_symlink() {
	while :; do
		ln -sfn good.qcow2 "$GOLDEN/.l" && mv -T "$GOLDEN/.l" "$GOLDEN/link.qcow2"
		sleep "0.0$((RANDOM % 5))"
		ln -sfn bad.qcow2 "$GOLDEN/.l" && mv -T "$GOLDEN/.l" "$GOLDEN/link.qcow2"
		sleep "0.0$((RANDOM % 5))"
	done
}
swap_rename() {
	cp "$GOLDEN/good.qcow2" "$GOLDEN/.g1"
	cp "$GOLDEN/bad.qcow2" "$GOLDEN/.b1"
	while :; do
		# Fresh copies: rename consumes the source name.
		cp --reflink=auto "$GOLDEN/.g1" "$GOLDEN/.g" && mv -T "$GOLDEN/.g" "$GOLDEN/swap.qcow2"
		sleep "0.0$((RANDOM % 5))"
		cp --reflink=auto "$GOLDEN/.b1" "$GOLDEN/.b" && mv -T "$GOLDEN/.b" "$GOLDEN/swap.qcow2"
		sleep "0.0$((RANDOM % 5))"
	done
}

nrec() { "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json | jq '.records | length'; }

# race VARIANT SWAPPER: N gate runs against the swapper; counts and
# violations on stdout of the cases.
race() {
	local variant=$1 swapper=$2 i rc n0 acc=0 ref=0 changed=0 notallowed=0 other=0 bad=0 why
	local victims=()
	$swapper &
	local spid=$!
	for i in $(seq "$N"); do
		n0=$(nrec)
		"$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$WORK/race.xml" >"$WORK/gate.out" 2>&1
		rc=$?
		"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json"
		if [ "$rc" = 0 ]; then
			acc=$((acc + 1))
			# 1. nothing this run appended carries BAD;
			# 2. the latest record of every disk name it judges is GOOD.
			why=$(jq -r --argjson n0 "$n0" --arg bad "$BAD" --arg good "$GOOD" \
				--arg g "$GOLDEN/good.qcow2" --arg s "$GOLDEN/swap.qcow2" --arg b "$GOLDEN/bad.qcow2" '
				[.records[] | select(.kind == "image")] as $img
				| ([$img[] | select(.recnum >= $n0 and .file_digests.sha256 == $bad)
				    | "run appended \(.name) with the bad digest"]
				  + ([$g, $s] | map(. as $name | [$img[] | select(.name == $name)] | last
				    | select(.file_digests.sha256 != $good) | "latest \(.name) record is not good"))
				  + ([$img[] | select(.recnum >= $n0 and .name == $b)] | map("run measured \(.name)")))
				| .[]' "$WORK/show.json")
			if [ -n "$why" ]; then
				bad=$((bad + 1))
				victims+=("run $i: $(echo "$why" | head -1)")
			fi
		else
			ref=$((ref + 1))
			case $(cat "$WORK/gate.out") in
			*"changed while being measured"* | *"is not the file whose header was read"*)
				changed=$((changed + 1)) ;;
			*"not allowed"* | *"not in the policy"*) notallowed=$((notallowed + 1)) ;;
			*) other=$((other + 1)); victims+=("run $i: unexpected: $(head -c 200 "$WORK/gate.out")") ;;
			esac
		fi
	done
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	echo "  $variant: $N runs: $acc accepted, $ref refused ($changed changed while measured," \
		"$notallowed bad digest or name, $other other); $bad acceptances of the bad image"
	[ "$bad" = 0 ] && pass "$variant-no-acceptance-of-bad-image" ||
		fail "$variant-no-acceptance-of-bad-image" "${victims[*]}"
	[ "$other" = 0 ] && pass "$variant-refusals-say-why" ||
		fail "$variant-refusals-say-why" "${victims[*]}"
	# Both outcomes happened: the swap really raced the gate.
	[ "$acc" -gt 0 ] && [ "$ref" -gt 0 ] && pass "$variant-both-outcomes-seen" ||
		fail "$variant-both-outcomes-seen" "$acc accepted, $ref refused"
}

race symlink swap_symlink
ln -sfn good.qcow2 "$GOLDEN/.l" && mv -T "$GOLDEN/.l" "$GOLDEN/link.qcow2"
race rename swap_rename

# Whatever raced, the log is valid and replays to the PCR.
expect_exit 0 log-valid-after-race "$HG_VERIFY" show --log "$HOSTGATE_LOG" --json
want=$(pcr_value sha256 13)
got=$(replay_independent "$HOSTGATE_LOG" sha256 13)
[ "$want" = "$got" ] && pass log-replays-to-pcr || fail log-replays-to-pcr "tpm $want replay $got"
exit 0
