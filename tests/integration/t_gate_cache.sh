#!/bin/bash
# t_gate_cache.sh: the "unchanged since measured" identity cache cannot
# be fooled by a write that moves neither mtime nor ctime (issue 12
# item 2), dry run (gate --domain-xml).
#
# A write through a shared writable mmap whose page is already dirty
# moves neither mtime nor ctime, and msync does not either. The attack:
# map the approved golden image, dirty a page with the byte it already
# holds (content still approved), let the gate measure it (allowed), then
# write other bytes through the same dirty page and msync. The identity
# (dev, ino, size, mtime, ctime) is unchanged (checked here: the premise
# of the attack), so a cache keyed on it alone would allow the changed
# image on the next start. The gate caches only hashes made under a read
# lease (nobody had the file open for writing), so it re-hashes and
# refuses. Also: an unshared file is cached (the fast path still works).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libvirt.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (/var/lib/libvirt/images)"; exit 0; }
command -v python3 >/dev/null || { skip all "needs python3 for the mmap writer"; exit 0; }
start_libvirt
gate_host

IMG=$GOLDEN/golden.raw
head -c 4M /dev/urandom >"$IMG"
D=$(dom_name cache)
domain_xml "$D" "$IMG" >"$WORK/cache.xml"
CACHE=$HOSTGATE_STATE/idcache
# The cache wants a ctime 2 s older than the hash (coarse inode times).
sleep 3
if gate_learn "$WORK/cache.xml" 2>"$WORK/learn.err"; then
	pass learn
else
	fail learn "$(head -c 300 "$WORK/learn.err")"
	exit 1
fi

gate_run() { "$HG_ATTEST" gate --config "$GATECONF" --domain-xml "$WORK/cache.xml" >"$WORK/gate.out" 2>&1; }
cached() { grep -qF " $IMG" "$CACHE" 2>/dev/null; }

# The fast path: nobody writes the file, so its hash is cached.
gate_run && grep -q '^allow' "$WORK/gate.out" && cached &&
	pass unshared-file-allowed-and-cached ||
	fail unshared-file-allowed-and-cached "$(head -c 300 "$WORK/gate.out"); cache: $(grep -c . "$CACHE" 2>/dev/null) lines"

# The writer: map, dirty page 0 with its own byte, say "ready"; on $GO,
# write 0x5a over the page through the same mapping, msync, say "written";
# hold the mapping until $STOP.
GO=$WORK/go
STOP=$WORK/stop
python3 - "$IMG" "$GO" "$STOP" >"$WORK/writer.out" 2>&1 <<'EOF' &
import mmap, os, sys, time
path, go, stop = sys.argv[1:4]
fd = os.open(path, os.O_RDWR)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
os.close(fd)
m[0] = m[0]                     # dirty the page, content unchanged
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
m[0:64] = b"\x5a" * 64          # through the same dirty page
m.flush()                       # msync(MS_SYNC)
print("written", flush=True)
while not os.path.exists(stop):
    time.sleep(0.05)
m.close()
EOF
WRITER=$!
wait_for() { local i; for i in $(seq 100); do grep -q "$1" "$WORK/writer.out" && return 0; sleep 0.1; done; return 1; }
wait_for ready || { fail writer-ready "$(cat "$WORK/writer.out")"; kill "$WRITER"; exit 1; }
sleep 3   # the dirtying write's ctime is settled: the old rule would cache
ID0=$(stat -c '%d %i %s %Y.%y %Z.%z' "$IMG")
SUM0=$(sha256_of "$IMG")

gate_run && grep -q '^allow' "$WORK/gate.out" &&
	pass mapped-unchanged-content-allowed ||
	fail mapped-unchanged-content-allowed "$(head -c 300 "$WORK/gate.out")"

touch "$GO"
wait_for written || fail writer-wrote "$(cat "$WORK/writer.out")"
ID1=$(stat -c '%d %i %s %Y.%y %Z.%z' "$IMG")
SUM1=$(sha256_of "$IMG")
# The premise: content changed, identity did not.
if [ "$SUM0" != "$SUM1" ] && [ "$ID0" = "$ID1" ]; then
	pass mmap-write-keeps-identity
else
	fail mmap-write-keeps-identity "sha256 $SUM0 -> $SUM1, identity '$ID0' -> '$ID1'"
fi

gate_run
rc=$?
if [ "$rc" = 1 ] && grep -q '^refuse: ' "$WORK/gate.out" && grep -qF "$IMG" "$WORK/gate.out"; then
	pass changed-through-dirty-page-refused
	echo "       ($(head -c 300 "$WORK/gate.out"))"
else
	fail changed-through-dirty-page-refused "exit $rc: $(head -c 300 "$WORK/gate.out")"
fi
# The refusal rests on a fresh hash: the log's latest record of the
# image carries the changed content's digest.
"$HG_VERIFY" show --log "$HOSTGATE_LOG" --json >"$WORK/show.json" 2>&1
jq -e --arg n "$IMG" --arg d "$SUM1" \
	'[.records[] | select(.name == $n)] | last | .file_digests.sha256 == $d' "$WORK/show.json" >/dev/null &&
	pass refusal-rests-on-a-fresh-hash ||
	fail refusal-rests-on-a-fresh-hash "$(jq -c --arg n "$IMG" '[.records[] | select(.name == $n)] | last' "$WORK/show.json" | head -c 300)"

touch "$STOP"
wait "$WRITER"
exit 0
