#!/bin/bash
# t_httpsd.sh: lib/httpsd.c, the HTTPS server the agent and the verifier
# service share, alone (tests/tools/httpsd_echo) with real TLS, curl as
# the client: mutual TLS refuses a client without a certificate, with one
# from another CA, and with a server-only certificate (no clientAuth);
# serves a good one and names it; 413 for an oversized body; 404 JSON off
# the routes; the connection cap closes the one beyond it at accept and
# serves again once connections go; a silent client (no TLS byte, or
# after the handshake) is dropped after the timeout while others are
# served; a client trickling its request is cut off at the deadline; a
# key that does not match its certificate stops the start with one line.
. "$(dirname "$0")/lib.sh"
ECHO=$BUILD/tests/tools/httpsd_echo
[ -x "$ECHO" ] || { fail setup "no $ECHO (make all)"; exit 1; }
cp "$ECHO" "$WORK/bin/" && ECHO=$WORK/bin/httpsd_echo
CA=$WORK/ca OTHER=$WORK/other
"$ROOT/tools/mkca.sh" "$CA" ca && "$ROOT/tools/mkca.sh" "$CA" server srv &&
	"$ROOT/tools/mkca.sh" "$CA" client good && "$ROOT/tools/mkca.sh" "$CA" server notclient &&
	"$ROOT/tools/mkca.sh" "$OTHER" ca && "$ROOT/tools/mkca.sh" "$OTHER" client evil ||
	{ fail setup "mkca.sh failed"; exit 1; }

PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=()
}
trap 'stop_all; cleanup' EXIT

# start_echo MAX_BODY TIMEOUT MAX_CONNS [DEADLINE]: sets PORT, SPID.
start_echo() {
	local i
	: >"$WORK/echo.err"
	"$ECHO" 127.0.0.1:0 "$CA/srv.pem" "$CA/srv.key" "$CA/ca.pem" "$1" 8192 "$2" "$3" ${4:+"$4"} 2>"$WORK/echo.err" &
	SPID=$!
	PIDS+=("$SPID")
	for i in $(seq 50); do
		PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/echo.err")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	fail start "httpsd_echo did not start: $(cat "$WORK/echo.err")"
	exit 1
}

# req CERT PATH [curl args]: body on stdout, then the status line "HTTP NNN"
# (000 when no HTTP answer came); curl's exit code in $WORK/curl.rc.
req() {
	local who=$1 path=$2 rc
	shift 2
	local cert=()
	case $who in
	none) ;;
	*) cert=(--cert "$who.pem" --key "$who.key") ;;
	esac
	curl -sS --max-time 10 --cacert "$CA/ca.pem" "${cert[@]}" -w '\nHTTP %{http_code}\n' \
		"$@" "https://127.0.0.1:$PORT$path" 2>"$WORK/curl.err"
	rc=$?
	echo "$rc" >"$WORK/curl.rc"
}

check() { # NAME WANT_REGEX OUTPUT
	if printf '%s' "$3" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "got: $(printf '%s' "$3" | head -c 300) $(head -c 200 "$WORK/curl.err")"; fi
}

# --- mutual TLS -------------------------------------------------------------
start_echo 1000 2 4
out=$(req "$CA/good" /echo -d hello)
check good-client-served '^\{"bytes":5,"peer":"good"\}' "$out"
check good-client-200 'HTTP 200' "$out"
out=$(req none /echo -d hello)
check no-cert-refused 'HTTP 000' "$out"
[ "$(cat "$WORK/curl.rc")" != 0 ] && pass no-cert-curl-fails || fail no-cert-curl-fails "curl exit 0"
out=$(req "$OTHER/evil" /echo -d hello)
check other-ca-refused 'HTTP 000' "$out"
out=$(req "$CA/notclient" /echo -d hello)
check server-cert-as-client-refused 'HTTP 000' "$out"

# --- bounds -----------------------------------------------------------------
out=$(head -c 1001 /dev/zero | req "$CA/good" /echo --data-binary @-)
check body-over-max-413 'HTTP 413' "$out"
out=$(head -c 1000 /dev/zero | req "$CA/good" /echo --data-binary @-)
check body-at-max-served '"bytes":1000' "$out"
out=$(req "$CA/good" /echo -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" -d x)
check headers-over-max-400 'HTTP 400' "$out"
out=$(req "$CA/good" /nowhere)
check unknown-path-404 '^\{"error":"no such resource"\}' "$out"
check unknown-path-404-status 'HTTP 404' "$out"
out=$(req "$CA/good" /echo)
check handler-405 'HTTP 405' "$out"

# silent_conn FD: a TCP connection that sends nothing, on file descriptor FD.
closed_within() { # FD SECONDS: the server closed FD within SECONDS
	local t0 t1
	t0=$(date +%s%N)
	if timeout "$2" cat <&"$1" >/dev/null 2>&1; then
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000))
		return 0
	fi
	return 1
}

# The cap: 4 silent connections hold every slot; the fifth is closed at
# accept (long before the 2 s timeout); once the silent ones are gone (the
# timeout), a client is served again.
exec 5<>/dev/tcp/127.0.0.1/"$PORT" 6<>/dev/tcp/127.0.0.1/"$PORT" 7<>/dev/tcp/127.0.0.1/"$PORT" 8<>/dev/tcp/127.0.0.1/"$PORT"
sleep 0.3
exec 9<>/dev/tcp/127.0.0.1/"$PORT"
if ms=$(closed_within 9 1); then pass "cap-closes-at-accept"; else fail cap-closes-at-accept "the connection beyond max_conns stayed open"; fi
out=$(req "$CA/good" /echo -d x)
check cap-refuses-while-full 'HTTP 000' "$out"
exec 9<&-
# The silent ones: dropped at the timeout (2 s), not before 1.5 s.
if ms=$(closed_within 5 5) && [ "$ms" -ge 1200 ]; then pass silent-tcp-dropped-after-timeout; else fail silent-tcp-dropped-after-timeout "closed after ${ms:-never} ms"; fi
exec 5<&- 6<&- 7<&- 8<&-
sleep 0.3
out=$(req "$CA/good" /conns)
check served-after-cap '"conns":1' "$out"

# A silent client after a full TLS handshake (TLS 1.2 and 1.3), while
# another is served: dropped at the 2 s timeout, not the 8 s deadline.
python3 - "$PORT" "$CA" >"$WORK/silent.out" 2>&1 <<'EOF2' &
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
    ctx = ssl.create_default_context(cafile=ca + "/ca.pem")
    ctx.load_cert_chain(ca + "/good.pem", ca + "/good.key")
    ctx.minimum_version = ctx.maximum_version = v
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.settimeout(10)
    t0 = time.time()
    try:
        d = s.recv(10)
        print("%s closed %d ms" % (v.name, (time.time() - t0) * 1000))
    except OSError as e:
        print("%s error %s %d ms" % (v.name, e, (time.time() - t0) * 1000))
EOF2
SC=$!
PIDS+=("$SC")
sleep 0.5
out=$(req "$CA/good" /echo -d x)
check served-beside-silent-tls '"peer":"good"' "$out"
wait "$SC"
for v in TLSv1_2 TLSv1_3; do
	ms=$(sed -n "s/^$v closed \([0-9]*\) ms/\1/p" "$WORK/silent.out")
	[ -n "$ms" ] && [ "$ms" -ge 1500 ] && [ "$ms" -lt 5000 ] && pass "silent-$v-dropped-after-timeout" ||
		fail "silent-$v-dropped-after-timeout" "$(cat "$WORK/silent.out")"
done
# SIGTERM with connections still open: exit 0, nothing on stderr but the
# start line (a sanitizer build reports leaks and errors there).
exec 5<>/dev/tcp/127.0.0.1/"$PORT"
kill -TERM "$SPID"
wait "$SPID"
rc=$?
exec 5<&-
PIDS=()
[ "$rc" = 0 ] && [ "$(wc -l <"$WORK/echo.err")" = 1 ] && pass sigterm-clean ||
	fail sigterm-clean "exit $rc: $(head -c 300 "$WORK/echo.err")"

# The deadline: a client sending one header byte a second never meets the
# 2 s idle timeout, yet is cut off at the 4 s deadline.
start_echo 1000 2 4 4
python3 - "$PORT" "$CA" >"$WORK/trickle.out" 2>&1 <<'EOF' &
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca + "/ca.pem")
ctx.load_cert_chain(ca + "/good.pem", ca + "/good.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
t0 = time.time()
try:
    for b in b"GET /conns HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 30:
        s.send(bytes([b]))
        time.sleep(1)
    print("never cut")
except OSError:
    print("cut %.1f" % (time.time() - t0))
EOF
TP=$!
PIDS+=("$TP")
sleep 1
out=$(req "$CA/good" /echo -d x)
check served-beside-trickle '"peer":"good"' "$out"
wait "$TP"
cut=$(sed -n 's/^cut \([0-9]*\).*/\1/p' "$WORK/trickle.out")
[ -n "$cut" ] && [ "$cut" -ge 3 ] && [ "$cut" -le 7 ] && pass trickle-cut-at-deadline ||
	fail trickle-cut-at-deadline "$(cat "$WORK/trickle.out")"
stop_all

# --- start-up errors: one line naming the file ------------------------------
expect_exit 2 key-mismatch-refused "$ECHO" 127.0.0.1:0 "$CA/srv.pem" "$CA/good.key" "$CA/ca.pem" 1000 8192 2 4
expect_err "$CA/good.key: the key does not match the certificate $CA/srv.pem" key-mismatch-message
[ "$(wc -l <"$WORK/last.err")" -eq 1 ] && pass key-mismatch-one-line || fail key-mismatch-one-line "$(cat "$WORK/last.err")"
expect_exit 2 missing-cert-refused "$ECHO" 127.0.0.1:0 "$WORK/nope.pem" "$CA/srv.key" "$CA/ca.pem" 1000 8192 2 4
expect_err "$WORK/nope.pem: cannot load the certificate chain" missing-cert-message
expect_exit 2 bad-listen-refused "$ECHO" localhost:0 "$CA/srv.pem" "$CA/srv.key" "$CA/ca.pem" 1000 8192 2 4
expect_err "localhost:0: not a HOST:PORT with a numeric host" bad-listen-message
