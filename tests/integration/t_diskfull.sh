#!/bin/bash
# t_diskfull.sh: a full disk and a read-only directory under every command
# that writes state (issue 16 item 5): measure (the log), quote -o and
# init --ak-out (host files), init of a new state, enroll and policy add
# (the verifier's registry), and serve's registry (PUT /v1/policies, GET
# /v1/nonce). Everything lives on a small tmpfs this script mounts (and
# unmounts on exit), filled to the last byte, then remounted read-only.
#
# Each command must fail with a clear error (non-zero exit, stderr naming
# the reason: "No space left on device" / "Read-only file system", or the
# registry's "disk is full" / "readonly") and lose nothing already
# recorded: the log keeps its records and the PCR still replays from it,
# the old evidence file still verifies, the state keeps its AK, the
# registry keeps its hosts and policy versions. Once space is freed (or
# the mount writable again) the same command succeeds, and a quote is
# trusted.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { skip all "needs root (mounts a tmpfs)"; exit 0; }
start_tpm sha256
cd "$WORK" || exit 1
M=$WORK/mnt
mkdir -p "$M"
mount -t tmpfs -o size=4m,mode=0755 tmpfs "$M" || { fail mount "mount -t tmpfs failed"; exit 1; }
SVC=
finish() {
	[ -n "$SVC" ] && kill "$SVC" 2>/dev/null && wait "$SVC" 2>/dev/null
	mountpoint -q "$M" && umount "$M"
	cleanup
}
trap finish EXIT
export HOSTGATE_STATE=$M/state HOSTGATE_LOG=$M/run/measurements.cel
export HOSTGATE_VERIFY_STATE=$M/vstate
mkdir -p ca
cp "$SWTPM_DIR/ca/issuercert.pem" ca/int.pem
cp "$SWTPM_DIR/ca/swtpm-localca-rootca-cert.pem" ca/root.pem
printf 'v1\n' >f1
printf 'v2\n' >f2
N=00112233445566778899aabbccddeeff
"$HG_ATTEST" init --ak-out ak.pub >/dev/null &&
	"$HG_ATTEST" measure --kind hypervisor "$WORK/f1" >/dev/null &&
	"$HG_ATTEST" quote --nonce $N -o "$M/ev.cbor" >/dev/null &&
	"$HG_VERIFY" learn --ak ak.pub --nonce $N "$M/ev.cbor" >pol.json &&
	"$HG_ATTEST" enroll-request -o req.cbor >/dev/null &&
	"$HG_VERIFY" enroll --host h1 --ca ca --ek rsa req.cbor -o ch.cbor >/dev/null &&
	"$HG_ATTEST" activate ch.cbor -o resp.cbor >/dev/null &&
	"$HG_VERIFY" enroll --finish resp.cbor >/dev/null &&
	"$HG_VERIFY" policy add p pol.json >/dev/null ||
	{ fail setup "init/measure/quote/enroll/policy add failed"; exit 1; }
flush() {
	tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
	tpm2_flushcontext -T "$TCTI" -l >/dev/null 2>&1
	tpm2_flushcontext -T "$TCTI" -s >/dev/null 2>&1
}
flush

# What is recorded, to compare after each refusal.
snapshot() {
	cp "$HOSTGATE_LOG" rec.log
	pcr_value sha256 13 >rec.pcr
	cp "$M/ev.cbor" rec.ev
	cp "$M/state/ak.pub" rec.ak
	[ "$REG_RO" = 1 ] && return
	"$HG_VERIFY" hosts --json >rec.hosts && "$HG_VERIFY" policy show p >rec.pol ||
		fail snapshot "the registry cannot be read"
}
# registry_kept WHAT: the registry holds what rec.hosts and rec.pol say.
registry_kept() {
	"$HG_VERIFY" hosts --json 2>/dev/null | cmp -s rec.hosts - &&
		"$HG_VERIFY" policy show p 2>/dev/null | cmp -s rec.pol - &&
		pass "$1-registry-kept" || fail "$1-registry-kept" "hosts or policy p changed"
}
REG_RO=0
# kept WHAT: nothing recorded was lost.
kept() {
	local what=$1 why=""
	cmp -s rec.log "$HOSTGATE_LOG" || why="$why log changed;"
	[ "$(pcr_value sha256 13)" = "$(cat rec.pcr)" ] || why="$why PCR moved;"
	cmp -s rec.ev "$M/ev.cbor" || why="$why evidence changed;"
	"$HG_VERIFY" check --quiet --ak ak.pub --policy pol.json --nonce $N "$M/ev.cbor" 2>/dev/null ||
		why="$why old evidence no longer verifies;"
	cmp -s rec.ak "$M/state/ak.pub" || why="$why AK changed;"
	if [ "$REG_RO" = 0 ]; then
		"$HG_VERIFY" hosts --json 2>/dev/null | cmp -s rec.hosts - || why="$why hosts changed;"
		"$HG_VERIFY" policy show p 2>/dev/null | cmp -s rec.pol - || why="$why policy changed;"
	fi
	[ -z "$(find "$M" -name '*.tmp.*')" ] || why="$why temporary file left: $(find "$M" -name '*.tmp.*' | head -1);"
	[ -z "$why" ] && pass "$what-kept-everything" || fail "$what-kept-everything" "$why"
}
# refused WHAT PATTERN CMD...: CMD fails, its stderr matches PATTERN (ERE).
refused() {
	local what=$1 pat=$2 rc
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	if [ "$rc" != 0 ] && grep -Eqi -- "$pat" "$WORK/err"; then
		pass "$what-refused-clearly"
	else
		fail "$what-refused-clearly" "exit $rc: $(head -c 300 "$WORK/err")"
	fi
	flush
}
fill() { dd if=/dev/zero of="$M/filler" bs=64k >/dev/null 2>&1; dd if=/dev/zero of="$M/filler2" bs=1 >/dev/null 2>&1; sync; }
free() { rm -f "$M/filler" "$M/filler2"; }

# The service, on the same registry; operator client certificates.
"$ROOT/tools/mkca.sh" "$WORK/pki" ca >/dev/null && "$ROOT/tools/mkca.sh" "$WORK/pki" server verifier >/dev/null &&
	"$ROOT/tools/mkca.sh" "$WORK/pki" client operator >/dev/null &&
	"$ROOT/tools/mkca.sh" "$WORK/pki" client h1 >/dev/null || { fail setup "mkca.sh failed"; exit 1; }
serve_start() {
	"$HG_VERIFY" serve --db "$M/vstate/registry.sqlite" --listen 127.0.0.1:0 --cert pki/verifier.pem \
		--key pki/verifier.key --client-ca pki/ca.pem --interval 3600 >serve.out 2>serve.err &
	SVC=$!
	for _ in $(seq 100); do grep -q '^listening on ' serve.out && break; kill -0 "$SVC" 2>/dev/null || break; sleep 0.1; done
	URL=https://$(sed -n 's/^listening on //p' serve.out)
}
serve_stop() { kill "$SVC" 2>/dev/null; wait "$SVC" 2>/dev/null; SVC=; }
serve_start
api() { # WHO PATH [curl args]: prints the status
	local who=$1 p=$2
	shift 2
	curl -sS --max-time 20 --cacert pki/ca.pem --cert "pki/$who.pem" --key "pki/$who.key" \
		-o "$WORK/api.body" -w '%{http_code}' "$@" "$URL$p" 2>/dev/null
}
jq '.comment = "new"' pol.json >pol2.json

# all_refused MODE PATTERN: every state-writing command, refused; nothing lost.
all_refused() {
	local m=$1 pat=$2 s
	# The log's last page may still hold a record or two: measure until
	# the append needs a page the disk does not have (each success is a
	# record kept, as the snapshot before the failing one shows).
	for i in $(seq 64); do
		snapshot
		"$HG_ATTEST" measure --kind hypervisor "$WORK/f2" >"$WORK/out" 2>"$WORK/err" || break
	done
	flush
	echo "  $m: measure failed after $((i - 1)) more records"
	if [ "$i" -lt 64 ] && grep -Eqi -- "$pat" "$WORK/err"; then
		pass "$m-measure-refused-clearly"
	else
		fail "$m-measure-refused-clearly" "$(head -c 300 "$WORK/err")"
	fi
	kept "$m-measure"
	refused "$m-quote" "$pat" "$HG_ATTEST" quote --nonce $N -o "$M/ev.cbor"
	kept "$m-quote"
	refused "$m-init-ak-out" "$pat" "$HG_ATTEST" init --ak-out "$M/ak2.pub"
	kept "$m-init-ak-out"
	refused "$m-init-new-state" "$pat" "$HG_ATTEST" init --state "$M/state2" --log "$M/run/other.cel"
	kept "$m-init-new-state"
	refused "$m-enroll" "$pat|disk is full|readonly|read-only" \
		"$HG_VERIFY" enroll --host h1 --ca ca --ek rsa req.cbor -o "$WORK/ch2.cbor"
	kept "$m-enroll"
	refused "$m-policy-add" "$pat|disk is full|readonly|read-only" "$HG_VERIFY" policy add p pol2.json
	kept "$m-policy-add"
	if [ -z "$SVC" ]; then
		# A read-only registry: serve either refuses to start, naming
		# it, or starts and answers writes with errors.
		serve_start
		if ! kill -0 "$SVC" 2>/dev/null; then
			wait "$SVC" 2>/dev/null
			SVC=
			grep -Eqi "registry.sqlite|readonly|read-only" serve.err && pass "$m-serve-start-refused-clearly" ||
				fail "$m-serve-start-refused-clearly" "$(head -c 300 serve.err)"
			kept "$m-serve"
			return
		fi
	fi
	s=$(api operator /v1/policies/p -X PUT --data-binary @pol2.json)
	[ "$s" = 503 ] && grep -q registry-unavailable "$WORK/api.body" && kill -0 "$SVC" 2>/dev/null &&
		pass "$m-serve-put-503" || fail "$m-serve-put-503" "status $s: $(head -c 200 "$WORK/api.body")"
	s=$(api h1 /v1/nonce)
	[ "$s" = 503 ] && grep -q registry-unavailable "$WORK/api.body" && kill -0 "$SVC" 2>/dev/null &&
		pass "$m-serve-nonce-503" || fail "$m-serve-nonce-503" "status $s: $(head -c 200 "$WORK/api.body")"
	kept "$m-serve"
	s=$(api operator /v1/policies/p)
	[ "$s" = 200 ] && cmp -s "$WORK/api.body" rec.pol && pass "$m-serve-reads-stored-policy" ||
		fail "$m-serve-reads-stored-policy" "status $s"
}
# all_work MODE: space back: each command works, and a quote is trusted.
all_work() {
	local m=$1 n2=ffeeddccbbaa99887766554433221100 ok=1
	"$HG_ATTEST" measure --kind hypervisor "$WORK/f2" >/dev/null 2>>err.all || ok=0
	flush
	"$HG_ATTEST" quote --nonce $n2 -o "$M/ev2.cbor" >/dev/null 2>>err.all || ok=0
	flush
	"$HG_ATTEST" init --ak-out "$M/ak2.pub" >/dev/null 2>>err.all && cmp -s "$M/ak2.pub" ak.pub || ok=0
	flush
	"$HG_VERIFY" policy add p pol2.json >/dev/null 2>>err.all || ok=0
	# A serve that opened the registry while it was read-only keeps a
	# read-only connection (SQLite decides at open): restarted.
	[ "$m" = full ] || { serve_stop; serve_start; }
	s=$(api operator /v1/policies/p -X PUT --data-binary @pol.json)
	[ "$s" = 201 ] || { ok=0; echo "PUT: $s $(head -c 200 "$WORK/api.body") $(tail -c 200 serve.err)" >>err.all; }
	[ "$(api h1 /v1/nonce)" = 200 ] || { ok=0; echo "nonce failed" >>err.all; }
	jq '.measurements.hypervisor["'"$WORK/f2"'"].sha256 = ["'"$(sha256sum f2 | cut -c1-64)"'"]' pol.json >pol3.json
	"$HG_VERIFY" check --quiet --ak ak.pub --policy pol3.json --nonce $n2 "$M/ev2.cbor" 2>>err.all || ok=0
	[ "$ok" = 1 ] && pass "$m-then-every-command-works-quote-trusted" ||
		fail "$m-then-every-command-works-quote-trusted" "$(tail -c 300 err.all)"
	rm -rf "$M/state2" "$M/ak2.pub" "$M/ev2.cbor"
}

# --- a full disk ------------------------------------------------------------------
fill
df -k "$M" | tail -1 | awk '{ print "  tmpfs: " $4 " KiB free" }'
all_refused full "No space left on device"
free
all_work full
# --- a read-only directory ------------------------------------------------------
# A file open for writing keeps a remount read-only from happening: the
# service stops first, and starts again on the read-only registry.
# SQLite cannot open a WAL registry in a read-only directory even to read
# it ("unable to open database file", naming the file): its content is
# compared once the mount is writable again.
serve_stop
snapshot
"$HG_VERIFY" hosts --json >rec.hosts && "$HG_VERIFY" policy show p >rec.pol
mount -o remount,ro "$M" || { fail remount "mount -o remount,ro failed"; exit 1; }
REG_RO=1
all_refused readonly "Read-only file system|registry.sqlite: .*unable to open database file"
mount -o remount,rw "$M"
REG_RO=0
registry_kept readonly
all_work readonly
serve_stop
