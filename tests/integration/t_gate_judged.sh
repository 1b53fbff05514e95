#!/bin/bash
# t_gate_judged.sh: the gate's decision rests on the records this run
# made (issue 12 item 4), dry run (gate --domain-xml).
#
# The gate measures (log lock taken and released), then quotes, and the
# verifier judges the LATEST record of each workload name in the quoted
# log. Another writer could slip a record in between: here, the golden
# disk holds BAD content when the gate measures it; in the window the
# attacker puts GOOD content back and runs `measure --kind image` on the
# same name, so the latest record is an approved one. The window is
# microseconds wide and cannot be hit reliably by racing, so the test uses
# the gate's only test seam, HOSTGATE_TEST_GATE_PAUSE=quote:MS (a delay between
# measuring and quoting). The gate must refuse, naming the superseded
# record; without the pause, BAD alone is refused as unapproved, and GOOD
# alone is allowed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (/var/lib/libvirt/images)"; exit 0; }
start_libvirt
gate_host

IMG=$GOLDEN/disk.raw
head -c 1M /dev/urandom >"$WORK/good.raw"
head -c 1M /dev/urandom >"$WORK/bad.raw"
cp "$WORK/good.raw" "$IMG"
GOOD=$(sha256_of "$WORK/good.raw")
BAD=$(sha256_of "$WORK/bad.raw")
D=$(dom_name judged)
domain_xml "$D" "$IMG" >"$WORK/judged.xml"
if gate_learn "$WORK/judged.xml" 2>"$WORK/learn.err"; then
	pass learn
else
	fail learn "$(head -c 300 "$WORK/learn.err")"
	exit 1
fi
gate_run() { "$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$WORK/judged.xml" >"$WORK/gate.out" 2>&1; }
gate_run && grep -q '^allow' "$WORK/gate.out" && pass good-allowed ||
	fail good-allowed "$(head -c 300 "$WORK/gate.out")"
cp "$WORK/bad.raw" "$IMG.new" && mv "$IMG.new" "$IMG"
gate_run
[ $? = 1 ] && grep -q "digest not allowed" "$WORK/gate.out" && pass bad-refused ||
	fail bad-refused "$(head -c 300 "$WORK/gate.out")"

# latest_digest: the file digest of the log's latest record of $IMG.
latest_digest() {
	"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json 2>/dev/null |
		jq -r --arg n "$IMG" '[.records[] | select(.name == $n)] | last | .file_digests.sha256'
}

# The race: a new BAD content is measured by the gate (a fresh record),
# then GOOD is put back and measured by another writer before the quote.
head -c 1M /dev/urandom >"$WORK/bad2.raw"
BAD2=$(sha256_of "$WORK/bad2.raw")
cp "$WORK/bad2.raw" "$IMG.new" && mv "$IMG.new" "$IMG"
HOSTGATE_TEST_GATE_PAUSE=quote:5000 "$HG_ATTEST" gate --config "$GATECONF" \
	--domain-xml "$WORK/judged.xml" >"$WORK/race.out" 2>&1 &
GATE=$!
for i in $(seq 40); do
	[ "$(latest_digest)" = "$BAD2" ] && break
	sleep 0.1
done
[ "$(latest_digest)" = "$BAD2" ] && pass gate-measured-bad ||
	fail gate-measured-bad "the gate's record of the new content did not appear"
cp "$WORK/good.raw" "$IMG.new" && mv "$IMG.new" "$IMG"
"$HG_ATTEST" measure --kind image "$IMG" >"$WORK/measure.out" 2>&1 &&
	[ "$(latest_digest)" = "$GOOD" ] && pass approved-record-slipped-in ||
	fail approved-record-slipped-in "$(head -c 300 "$WORK/measure.out")"
wait "$GATE"
rc=$?
if [ "$rc" = 1 ] && grep -qF "refuse: image $IMG: the quoted log's latest record of it is not the one this start measured" "$WORK/race.out"; then
	pass slipped-in-record-refused
	echo "       ($(head -c 300 "$WORK/race.out"))"
else
	fail slipped-in-record-refused "exit $rc: $(head -c 300 "$WORK/race.out")"
fi
# With GOOD now in place and nobody racing, the gate allows again.
gate_run && grep -q '^allow' "$WORK/gate.out" && pass good-allowed-after ||
	fail good-allowed-after "$(head -c 300 "$WORK/gate.out")"
exit 0
