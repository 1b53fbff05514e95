#!/bin/bash
# t_agent.sh: hostgate-attest agent (docs/agent.md) on a real swtpm, with
# real mutual TLS (tools/mkca.sh) and curl as the verifier:
#   - a good client's POST /v1/evidence is a bundle that `hostgate-verify
#     check` finds trusted against the AK and the nonce it sent (and not
#     against another nonce); a "since" hint is accepted and answered with
#     the full log;
#   - no client certificate, one from another CA, and a server-only
#     certificate (no clientAuth) are refused at the handshake;
#   - bad nonce, malformed JSON, unknown field, bad since: 400 naming the
#     reason; oversized body 413; wrong method 405; unknown path 404;
#   - a silent client is dropped at the timeout while another is served;
#     a connection flood beyond max-conns does not stop it serving after;
#   - concurrent evidence requests all give valid quotes (one TPM user at
#     a time);
#   - /v1/domains through libvirt's in-process test driver (test:///default:
#     no libvirtd needed), and 503 with the reason when libvirt cannot be
#     reached; /v1/health; a stopped TPM turns health degraded and evidence
#     into a 500 naming the TPM;
#   - SIGTERM stops it (exit 0); bad configuration and TLS files stop the
#     start with one line.
. "$(dirname "$0")/lib.sh"
start_tpm sha256
N=0123456789abcdef0123456789abcdef
F=$WORK/f
mkdir -p "$F"
printf 'qemu v1\n' >"$F/qemu"
"$HG_ATTEST" init --ak-out "$WORK/ak.pub" >/dev/null &&
	"$HG_ATTEST" measure --kind hypervisor "$F/qemu" >/dev/null &&
	"$HG_ATTEST" quote --nonce $N -o "$WORK/ev0.cbor" &&
	"$HG_VERIFY" learn --ak "$WORK/ak.pub" --nonce $N "$WORK/ev0.cbor" >"$WORK/p.json" ||
	{ fail setup "init/measure/quote/learn failed"; exit 1; }
CA=$WORK/ca OTHER=$WORK/other
"$ROOT/tools/mkca.sh" "$CA" ca && "$ROOT/tools/mkca.sh" "$CA" server agent &&
	"$ROOT/tools/mkca.sh" "$CA" client verifier && "$ROOT/tools/mkca.sh" "$CA" server notclient &&
	"$ROOT/tools/mkca.sh" "$OTHER" ca && "$ROOT/tools/mkca.sh" "$OTHER" client evil ||
	{ fail setup "mkca.sh failed"; exit 1; }

APIDS=()
stop_agents() {
	local p
	for p in "${APIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	APIDS=()
}
trap 'stop_agents; cleanup' EXIT

# start_agent NAME [options]: sets PORT and APID; stderr in $WORK/NAME.err.
start_agent() {
	local name=$1 i
	shift
	: >"$WORK/$name.err"
	"$HG_ATTEST" agent --listen 127.0.0.1:0 --cert "$CA/agent.pem" --key "$CA/agent.key" \
		--client-ca "$CA/ca.pem" "$@" 2>"$WORK/$name.err" &
	APID=$!
	APIDS+=("$APID")
	for i in $(seq 100); do
		PORT=$(sed -n 's/^hostgate-attest: agent: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/$name.err")
		[ -n "$PORT" ] && return 0
		kill -0 "$APID" 2>/dev/null || break
		sleep 0.1
	done
	fail "start-$name" "the agent did not start: $(cat "$WORK/$name.err")"
	exit 1
}

# req WHO METHOD PATH [curl args]: the body to $WORK/body, prints the HTTP
# status (000: no HTTP answer) and the content type.
req() {
	local who=$1 method=$2 path=$3
	shift 3
	local cert=()
	[ "$who" = none ] || cert=(--cert "$who.pem" --key "$who.key")
	curl -sS --max-time 20 --cacert "$CA/ca.pem" "${cert[@]}" -X "$method" \
		-o "$WORK/body" -w '%{http_code} %{content_type}' "$@" \
		"https://127.0.0.1:$PORT$path" 2>"$WORK/curl.err"
}
V=$CA/verifier
evidence() { # NONCE_JSON_BODY: POST it as the verifier
	req "$V" POST /v1/evidence -H 'Content-Type: application/json' --data-binary "$1"
}
# want NAME STATUS_REGEX [BODY_TEXT]
want() {
	local name=$1 st=$2 text=${3:-}
	if [[ $got =~ ^$st ]] && { [ -z "$text" ] || grep -qF -- "$text" "$WORK/body"; }; then
		pass "$name"
	else
		fail "$name" "got \"$got\" $(head -c 300 "$WORK/body" 2>/dev/null) $(head -c 200 "$WORK/curl.err")"
	fi
}
check() { # NONCE FILE
	"$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce "$1" --policy "$WORK/p.json" "$2"
}

start_agent a --max-conns 6 --timeout 2 --connect test:///default

# --- evidence --------------------------------------------------------------
N1=00112233445566778899aabbccddeeff
got=$(evidence "{\"nonce\": \"$N1\"}")
want evidence-200 '200 application/cbor'
cp "$WORK/body" "$WORK/ev1.cbor"
expect_exit 0 evidence-verifies-trusted check $N1 "$WORK/ev1.cbor"
expect_exit 3 evidence-other-nonce-refused check $N "$WORK/ev1.cbor"
expect_err "nonce: quote extraData does not equal the nonce" evidence-other-nonce-named
got=$(evidence "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": 3}}")
want since-accepted '200 application/cbor'
cp "$WORK/body" "$WORK/ev2.cbor"
expect_exit 0 since-full-log-trusted check $N1 "$WORK/ev2.cbor"

# --- mutual TLS ------------------------------------------------------------
got=$(req none GET /v1/health)
want no-cert-refused '000'
got=$(req "$OTHER/evil" GET /v1/health)
want other-ca-refused '000'
got=$(req "$CA/notclient" GET /v1/health)
want server-cert-refused '000'
got=$(req none POST /v1/evidence --data-binary "{\"nonce\": \"$N1\"}")
want no-cert-no-evidence '000'

# --- bad requests: 400 naming the reason ------------------------------------
bad() { # NAME BODY REASON
	got=$(evidence "$2")
	want "$1" '400 application/json' "$3"
}
bad nonce-odd-hex '{"nonce": "abc"}' 'nonce: not 8..64 bytes of hex'
bad nonce-not-hex '{"nonce": "zz112233445566778899"}' 'nonce: not 8..64 bytes of hex'
bad nonce-short '{"nonce": "00112233"}' 'nonce: not 8..64 bytes of hex'
bad nonce-long "{\"nonce\": \"$(head -c 65 /dev/zero | xxd -p -c 200)\"}" 'nonce: not 8..64 bytes of hex'
bad nonce-number '{"nonce": 12345678901234567}' 'nonce: not 8..64 bytes of hex'
bad nonce-missing '{}' 'nonce: required'
# A JSON \u0000 ends the C string json-c gives: the 8 bytes before it
# must not stand for the nonce (fuzz_agentreq's round trip).
bad nonce-escaped-nul "{\"nonce\": \"${N1}\\u0000ff\"}" 'nonce: not 8..64 bytes of hex'
bad since-boot-escaped-nul "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\\u0000\", \"recnum\": 1}}" 'since.boot: not 16 hex digits'
bad malformed-json '{"nonce": "0011' 'malformed JSON'
bad trailing-data "{\"nonce\": \"$N1\"} x" 'malformed JSON'
bad too-deep '{"nonce": [[[[[["00"]]]]]]}' 'malformed JSON'
printf '{"nonce": "%s"}\0' "$N1" >"$WORK/nul.json"
got=$(req "$V" POST /v1/evidence --data-binary @"$WORK/nul.json")
want nul-byte '400 application/json' 'malformed JSON: a NUL byte'
bad not-object "[\"$N1\"]" 'not a JSON object'
bad empty-body '' 'empty body'
bad unknown-field "{\"nonce\": \"$N1\", \"pcrs\": [0]}" 'unknown field \"pcrs\"'
bad since-not-object "{\"nonce\": \"$N1\", \"since\": 3}" 'since: not an object'
bad since-bad-boot "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"xyz\", \"recnum\": 1}}" 'since.boot: not 16 hex digits'
bad since-short-boot "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"00ff\", \"recnum\": 1}}" 'since.boot: not 16 hex digits'
bad since-negative "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": -1}}" 'since.recnum: not an integer in 0..4294967294'
bad since-recnum-big "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": 4294967295}}" 'since.recnum: not an integer in 0..4294967294'
bad since-recnum-huge "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": 18446744073709551616}}" 'since.recnum: not an integer in 0..4294967294'
bad since-string-recnum "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": \"1\"}}" 'since.recnum: not an integer in 0..4294967294'
bad since-float-recnum "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": 1.5}}" 'since.recnum: not an integer in 0..4294967294'
bad since-unknown "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": 1, \"x\": 1}}" 'since: unknown field \"x\"'
bad since-incomplete "{\"nonce\": \"$N1\", \"since\": {\"boot\": \"0000000100000000\"}}" 'since: needs both'
got=$(head -c 5000 /dev/zero | tr '\0' ' ' | req "$V" POST /v1/evidence --data-binary @-)
want oversized-body-413 '413'
got=$(req "$V" GET /v1/evidence)
want evidence-get-405 '405 application/json' 'method not allowed: use POST'
got=$(req "$V" POST /v1/health --data-binary x)
want health-post-405 '405 application/json' 'method not allowed: use GET'
got=$(req "$V" DELETE /v1/domains)
want domains-delete-405 '405'
got=$(req "$V" GET /v1/nothing)
want unknown-path-404 '404 application/json' 'no such resource'
got=$(req "$V" GET /v1/evidence/x)
want prefix-path-404 '404'

# --- malformed HTTP over a good TLS connection: an error status or a close,
# never a crash, and the next client is served -------------------------------
python3 - "$PORT" "$CA" >"$WORK/raw.out" 2>&1 <<'EOF'
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
cases = {
    "garbage": b"\x00\x01\x02 not http at all\r\n\r\n",
    "bad-version": b"GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n",
    "no-colon-header": b"GET /v1/health HTTP/1.1\r\nHost x\r\n\r\n",
    "negative-length": b"POST /v1/evidence HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "huge-length": b"POST /v1/evidence HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "bad-chunk": b"POST /v1/evidence HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "big-chunk": b"POST /v1/evidence HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n" + b"a" * 5000,
    "h2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "long-line": b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
}
for name, data in cases.items():
    ctx = ssl.create_default_context(cafile=ca + "/ca.pem")
    ctx.load_cert_chain(ca + "/verifier.pem", ca + "/verifier.key")
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.settimeout(8)
    try:
        s.sendall(data)
        r = s.recv(200)
        print(name, (r.split(b"\r\n")[0].decode("ascii", "replace") or "closed"))
    except OSError as e:
        print(name, "closed", type(e).__name__)
    s.close()
EOF
while read -r name rest; do
	case $rest in
	"HTTP/1."[01]" 4"[0-9][0-9]* | closed*) pass "malformed-$name" ;;
	*) fail "malformed-$name" "$rest" ;;
	esac
done <"$WORK/raw.out"
[ "$(wc -l <"$WORK/raw.out")" = 9 ] && pass malformed-all-answered || fail malformed-all-answered "$(cat "$WORK/raw.out")"
kill -0 "$APID" 2>/dev/null && pass malformed-agent-alive || fail malformed-agent-alive "the agent died"
got=$(req "$V" GET /v1/health)
want served-after-malformed '200 application/json'

# --- health and domains ------------------------------------------------------
got=$(req "$V" GET /v1/health)
want health-200 '200 application/json'
h=$(jq -c '[.status, .tpm, .ak, (.version | length > 0)]' "$WORK/body" 2>&1)
[ "$h" = '["ok",true,true,true]' ] && pass health-ok || fail health-ok "$h"
got=$(req "$V" GET /v1/domains)
want domains-200 '200 application/json'
d=$(jq -c '.' "$WORK/body" 2>&1)
[ "$d" = '[{"name":"test","uuid":"6695eb01-f6a4-8304-79aa-97f2502e193f","id":1}]' ] &&
	pass domains-running-listed || fail domains-running-listed "$d"

# --- slow and flooding clients -----------------------------------------------
# A silent client after the TLS handshake: dropped at the 2 s timeout while
# the verifier is served.
python3 - "$PORT" "$CA" >"$WORK/silent.out" 2>&1 <<'EOF' &
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca + "/ca.pem")
ctx.load_cert_chain(ca + "/verifier.pem", ca + "/verifier.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.settimeout(15)
t0 = time.time()
try:
    s.recv(10)
    print("closed %d ms" % ((time.time() - t0) * 1000))
except OSError as e:
    print("error %s %d ms" % (e, (time.time() - t0) * 1000))
EOF
SP=$!
sleep 0.5
got=$(evidence "{\"nonce\": \"$N1\"}")
want served-beside-silent '200 application/cbor'
wait "$SP"
ms=$(sed -n 's/^closed \([0-9]*\) ms/\1/p' "$WORK/silent.out")
[ -n "$ms" ] && [ "$ms" -ge 1500 ] && [ "$ms" -lt 6000 ] && pass silent-client-dropped ||
	fail silent-client-dropped "$(cat "$WORK/silent.out")"

# A flood: 30 silent connections against max-conns 6. Those beyond the cap
# are closed at once; when the flood is over the agent serves again.
for i in $(seq 30); do
	exec {fd}<>/dev/tcp/127.0.0.1/"$PORT" && FLOOD+=("$fd")
done
sleep 0.3
got=$(req "$V" GET /v1/health)
[[ $got =~ ^(000|200) ]] && pass flood-no-crash || fail flood-no-crash "$got"
kill -0 "$APID" 2>/dev/null && pass flood-agent-alive || fail flood-agent-alive "the agent died"
for fd in "${FLOOD[@]}"; do exec {fd}<&-; done
sleep 0.5
got=$(req "$V" GET /v1/health)
want served-after-flood '200 application/json'

# --- concurrency: every answer a valid quote of its own nonce ---------------
pids=()
for i in 1 2 3 4 5; do
	n=$(printf '%02x' "$i")00112233445566778899aabbccddee
	curl -sS --max-time 30 --cacert "$CA/ca.pem" --cert "$V.pem" --key "$V.key" \
		--data-binary "{\"nonce\": \"$n\"}" -o "$WORK/c$i.cbor" -w '%{http_code}' \
		"https://127.0.0.1:$PORT/v1/evidence" >"$WORK/c$i.code" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
ok=0
for i in 1 2 3 4 5; do
	n=$(printf '%02x' "$i")00112233445566778899aabbccddee
	[ "$(cat "$WORK/c$i.code")" = 200 ] && check "$n" "$WORK/c$i.cbor" >/dev/null 2>"$WORK/c$i.err" &&
		ok=$((ok + 1))
done
[ "$ok" = 5 ] && pass concurrent-evidence-all-trusted || fail concurrent-evidence-all-trusted "$ok of 5: $(cat "$WORK"/c*.code "$WORK"/c*.err | head -c 400)"

# --- unprivileged, set up as docs/agent.md says ----------------------------
# nobody:nogroup, the state directory group-readable (not logkey.pem), the
# lock read-only to it, the TLS key in its group: evidence still verifies.
A1=$APID P1=$PORT
U=$WORK/u
mkdir -p "$U" && cp "$CA/agent.pem" "$CA/agent.key" "$CA/ca.pem" "$U/" &&
	chmod o+x "$WORK" && chgrp -R nogroup "$U" && chmod 0750 "$U" && chmod 0640 "$U"/* &&
	touch "$HOSTGATE_STATE/tpm.lock" &&
	chgrp nogroup "$HOSTGATE_STATE" "$HOSTGATE_STATE/ak.pub" "$HOSTGATE_STATE/ak.priv" "$HOSTGATE_STATE/tpm.lock" &&
	chmod g+rx "$HOSTGATE_STATE" && chmod g+r "$HOSTGATE_STATE/ak.pub" "$HOSTGATE_STATE/ak.priv" &&
	chmod 0640 "$HOSTGATE_STATE/tpm.lock" || { fail unprivileged-setup "chmod/chgrp failed"; }
ls -l "$HOSTGATE_STATE" >"$WORK/state.ls"
: >"$WORK/u.err"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$HG_ATTEST" agent --listen 127.0.0.1:0 \
	--cert "$U/agent.pem" --key "$U/agent.key" --client-ca "$U/ca.pem" 2>"$WORK/u.err" &
APID=$!
APIDS=("$A1" "$APID")
for i in $(seq 100); do
	PORT=$(sed -n 's/^hostgate-attest: agent: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/u.err")
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ "$(stat -c %U "/proc/$APID")" = nobody ] && pass unprivileged-runs-as-nobody ||
	fail unprivileged-runs-as-nobody "$(stat -c %U "/proc/$APID" 2>&1) $(cat "$WORK/u.err")"
setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$HOSTGATE_STATE/logkey.pem" >/dev/null 2>&1 &&
	fail unprivileged-no-logkey "nobody reads logkey.pem" || pass unprivileged-no-logkey
got=$(evidence "{\"nonce\": \"$N1\"}")
want unprivileged-evidence-200 '200 application/cbor'
cp "$WORK/body" "$WORK/ev4.cbor"
expect_exit 0 unprivileged-evidence-trusted check $N1 "$WORK/ev4.cbor"
got=$(req "$V" GET /v1/health)
h=$(jq -c '[.status, .tpm, .ak]' "$WORK/body" 2>&1)
[ "$h" = '["ok",true,true]' ] && pass unprivileged-health-ok || fail unprivileged-health-ok "$h $(cat "$WORK/u.err")"
kill -TERM "$APID"
wait "$APID"
rc=$?
[ "$rc" = 0 ] && pass unprivileged-stops-cleanly || fail unprivileged-stops-cleanly "exit $rc"
APIDS=("$A1")
APID=$A1 PORT=$P1

# --- a hung TPM: the client is cut at the deadline (4 x 1 s), domains are
# still served meanwhile, and once the TPM answers again so is evidence ---
A1=$APID P1=$PORT
start_agent h --timeout 1 --connect test:///default
kill -STOP "$SWTPM_PID"
t0=$(date +%s%N)
got=$(evidence "{\"nonce\": \"$N1\"}")
ms=$((($(date +%s%N) - t0) / 1000000))
[[ $got =~ ^000 ]] && [ "$ms" -ge 3000 ] && [ "$ms" -lt 9000 ] && pass hung-tpm-client-cut-at-deadline ||
	fail hung-tpm-client-cut-at-deadline "got \"$got\" after $ms ms"
got=$(req "$V" GET /v1/domains)
want hung-tpm-domains-served '200 application/json'
kill -CONT "$SWTPM_PID"
sleep 0.5
got=$(evidence "{\"nonce\": \"$N1\"}")
want after-hung-tpm-evidence '200 application/cbor'
cp "$WORK/body" "$WORK/ev3.cbor"
expect_exit 0 after-hung-tpm-trusted check $N1 "$WORK/ev3.cbor"
kill -TERM "$APID"
wait "$APID"
rc=$?
[ "$rc" = 0 ] && pass hung-tpm-agent-stops-cleanly || fail hung-tpm-agent-stops-cleanly "exit $rc: $(tail -3 "$WORK/h.err")"
APIDS=("$A1")
APID=$A1 PORT=$P1

# --- SIGTERM ---------------------------------------------------------------
kill -TERM "$APID"
wait "$APID"
rc=$?
APIDS=()
[ "$rc" = 0 ] && pass sigterm-exit-0 || fail sigterm-exit-0 "exit $rc: $(tail -3 "$WORK/a.err")"
grep -q 'agent: Terminated: stopping' "$WORK/a.err" && pass sigterm-says-stopping ||
	fail sigterm-says-stopping "$(tail -3 "$WORK/a.err")"

# --- libvirt unreachable: 503 with the reason; TPM gone --------------------
start_agent b --connect 'qemu+unix:///system?socket=/nonexistent/hostgate-test.sock'
got=$(req "$V" GET /v1/domains)
want domains-unreachable-503 '503 application/json' 'cannot connect'
"$ROOT/swtpm-fixtures/swtpm-stop.sh" "${_TPMS[0]}" >/dev/null 2>&1
got=$(req "$V" GET /v1/health)
want health-tpm-down-200 '200 application/json'
h=$(jq -c '[.status, .tpm, (.tpm_error | length > 0)]' "$WORK/body" 2>&1)
[ "$h" = '["degraded",false,true]' ] && pass health-tpm-down-degraded || fail health-tpm-down-degraded "$h"
got=$(evidence "{\"nonce\": \"$N1\"}")
want evidence-tpm-down-500 '500 application/json' '"error":"TPM: '
kill -INT "$APID"
wait "$APID"
rc=$?
APIDS=()
[ "$rc" = 0 ] && pass sigint-exit-0 || fail sigint-exit-0 "exit $rc"

# --- start-up errors -------------------------------------------------------
expect_exit 2 max-conns-0-refused "$HG_ATTEST" agent --max-conns 0 --listen 127.0.0.1:0
expect_err "--max-conns: not an integer in 1..1024" max-conns-0-message
expect_exit 1 key-mismatch-refused "$HG_ATTEST" agent --listen 127.0.0.1:0 --cert "$CA/agent.pem" \
	--key "$CA/verifier.key" --client-ca "$CA/ca.pem"
expect_err "agent: $CA/verifier.key: the key does not match the certificate $CA/agent.pem" key-mismatch-message
[ "$(wc -l <"$WORK/last.err")" = 1 ] && pass key-mismatch-one-line || fail key-mismatch-one-line "$(cat "$WORK/last.err")"
expect_exit 1 missing-client-ca-refused "$HG_ATTEST" agent --listen 127.0.0.1:0 --cert "$CA/agent.pem" \
	--key "$CA/agent.key" --client-ca "$WORK/none.pem"
expect_err "$WORK/none.pem: cannot load the client CA" missing-client-ca-message
expect_exit 1 bad-listen-refused "$HG_ATTEST" agent --listen localhost:8443 --cert "$CA/agent.pem" \
	--key "$CA/agent.key" --client-ca "$CA/ca.pem"
expect_err "localhost:8443: not a HOST:PORT with a numeric host" bad-listen-message
