#!/bin/bash
# t_poller.sh: the verifier service's outbound side (verifier/service/
# poller.c, webhook.c) through tests/tools/polltool against a test-only
# python HTTPS server (tests/tools/https_test_server.py) with mutual TLS
# and certificates from tools/mkca.sh: keep-alive proven by the count of
# connections opened, an untrusted server refused, the client
# certificate required and accepted, timeouts and body bounds enforced
# without holding up other requests, webhooks signed (HMAC checked by the
# receiver), retried after failures, never blocking, queue bounded.
. "$(dirname "$0")/lib.sh"
POLLTOOL=$BUILD/tests/tools/polltool
SERVER=$ROOT/tests/tools/https_test_server.py
command -v python3 >/dev/null || { skip all "python3 is not installed"; exit 0; }
[ -x "$POLLTOOL" ] || { fail all "$POLLTOOL not built"; exit 1; }

_SRV=()
stop_servers() {
	local p
	for p in "${_SRV[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	_SRV=()
}
trap 'stop_servers; cleanup' EXIT

CA=$WORK/ca
OTHER=$WORK/other
"$ROOT/tools/mkca.sh" "$CA" ca && "$ROOT/tools/mkca.sh" "$CA" server srv &&
	"$ROOT/tools/mkca.sh" "$CA" client verifier &&
	"$ROOT/tools/mkca.sh" "$OTHER" ca && "$ROOT/tools/mkca.sh" "$OTHER" server srv ||
	{ fail mkca "tools/mkca.sh failed"; exit 1; }
TLS=(--cert "$CA/verifier.pem" --key "$CA/verifier.key" --ca "$CA/ca.pem")

# serve NAME ARGS...: start a server, set PORT and LOG (NAME's).
serve() {
	local name=$1 i
	shift
	rm -f "$WORK/$name.port"
	: >"$WORK/$name.log"
	python3 "$SERVER" --port-file "$WORK/$name.port" --log "$WORK/$name.log" "$@" \
		>"$WORK/$name.out" 2>&1 &
	_SRV+=($!)
	for i in $(seq 200); do [ -s "$WORK/$name.port" ] && break; sleep 0.05; done
	PORT=$(cat "$WORK/$name.port" 2>/dev/null) || { fail "$name-start" "$(cat "$WORK/$name.out")"; exit 1; }
	LOG=$WORK/$name.log
}
MTLS=(--cert "$CA/srv.pem" --key "$CA/srv.key" --ca "$CA/ca.pem")

# --- the poller ------------------------------------------------------------
serve good "${MTLS[@]}"
GOOD=$PORT GOODLOG=$LOG
expect_exit 0 keepalive-10-requests "$POLLTOOL" post "${TLS[@]}" --count 10 "https://localhost:$GOOD/v1/evidence"
n=$(grep -c ' status=200 ' "$WORK/last.out")
grep -q '^connections=1 requests=10 errors=0 ' "$WORK/last.out" && [ "$n" = 10 ] &&
	[ "$(grep -c '^conn$' "$GOODLOG")" = 1 ] &&
	pass keepalive-one-connection ||
	fail keepalive-one-connection "$n answers, $(tail -1 "$WORK/last.out"), server saw $(grep -c '^conn$' "$GOODLOG") connections"

# The server requires a client certificate chaining to the CA: without one
# the handshake fails.
expect_exit 1 no-client-cert-refused "$POLLTOOL" post --ca "$CA/ca.pem" "https://localhost:$GOOD/"
grep -q 'error=' "$WORK/last.out" && grep -q 'handshake-refused' "$GOODLOG" &&
	pass no-client-cert-reason || fail no-client-cert-reason "$(head -2 "$WORK/last.out")"

# A server whose certificate chains to another CA is refused.
serve untrusted --cert "$OTHER/srv.pem" --key "$OTHER/srv.key" --ca "$CA/ca.pem"
expect_exit 1 untrusted-server-refused "$POLLTOOL" post "${TLS[@]}" "https://localhost:$PORT/"
grep -q 'error=SSL certificate problem' "$WORK/last.out" && ! grep -q '^req ' "$LOG" &&
	pass untrusted-server-reason || fail untrusted-server-reason "$(head -2 "$WORK/last.out")"

# The name is checked too: 127.0.0.2 is not among the certificate's SANs.
serve other-name "${MTLS[@]}"
expect_exit 1 wrong-host-name-refused "$POLLTOOL" post "${TLS[@]}" "https://127.0.0.2:$PORT/"

# Plain http is never spoken.
expect_exit 1 http-refused "$POLLTOOL" post "${TLS[@]}" "http://localhost:$GOOD/"
grep -q refused "$WORK/last.out" && pass http-refused-reason || fail http-refused-reason "$(cat "$WORK/last.out")"

# A server that never answers times out at the bound while requests to a
# good server complete meanwhile, one by one, on the same loop.
serve hang "${MTLS[@]}" --mode hang
start=$(date +%s%N)
expect_exit 1 timeout-enforced "$POLLTOOL" post "${TLS[@]}" --timeout 1500 --count 5 \
	"https://localhost:$PORT/v1/evidence" "https://localhost:$GOOD/v1/evidence"
el=$(( ($(date +%s%N) - start) / 1000000 ))
hang_lines=$(grep -c '^post 0 .* error=.*[Tt]imed out' "$WORK/last.out")
good_lines=$(awk '$2 == 1 && $4 == "status=200" { sub("ms=", "", $6); if ($6 + 0 < 1500) n++ } END { print n + 0 }' "$WORK/last.out")
[ "$hang_lines" = 5 ] && [ "$good_lines" = 5 ] && [ "$el" -lt 15000 ] &&
	pass timeout-does-not-block-others ||
	fail timeout-does-not-block-others "hang timeouts $hang_lines, good answers $good_lines, ${el} ms: $(cat "$WORK/last.out")"

# An oversized answer is aborted at the bound, announced or not.
serve big "${MTLS[@]}" --mode big --size 2000000
expect_exit 1 oversized-aborted "$POLLTOOL" post "${TLS[@]}" --max-body 65536 "https://localhost:$PORT/"
grep -q 'error=response larger than 65536 bytes' "$WORK/last.out" && grep -q 'too_big=1' "$WORK/last.out" &&
	pass oversized-reason || fail oversized-reason "$(cat "$WORK/last.out")"
serve bigchunk "${MTLS[@]}" --mode big --size 2000000 --chunked
expect_exit 1 oversized-chunked-aborted "$POLLTOOL" post "${TLS[@]}" --max-body 65536 "https://localhost:$PORT/"
grep -q 'error=response larger than 65536 bytes' "$WORK/last.out" &&
	pass oversized-chunked-reason || fail oversized-chunked-reason "$(cat "$WORK/last.out")"
expect_exit 0 under-bound-accepted "$POLLTOOL" post "${TLS[@]}" --max-body 2000000 "https://localhost:$PORT/"

# --- webhooks --------------------------------------------------------------
head -c 32 /dev/urandom >"$WORK/secret"
head -c 32 /dev/urandom >"$WORK/wrong-secret"
EV='{"host":"h1","state":"untrusted","since":1733400000}'
WH=(--ca "$CA/ca.pem" --secret-file "$WORK/secret")

serve hook "${MTLS[@]}" --mode webhook --secret-file "$WORK/secret"
expect_exit 0 webhook-delivered "$POLLTOOL" webhook "${TLS[@]}" "${WH[@]}" --event "$EV" "https://localhost:$PORT/hook"
grep -qxF "event ok $EV" "$LOG" && grep -q '^event 1 delivered attempts=1$' "$WORK/last.out" &&
	pass webhook-valid-signature || fail webhook-valid-signature "$(cat "$LOG" "$WORK/last.out")"

# The receiver refuses a signature made with another secret: the sender
# retries to its bound and drops the event, counted.
serve hookbad "${MTLS[@]}" --mode webhook --secret-file "$WORK/wrong-secret"
expect_exit 1 webhook-bad-secret-refused "$POLLTOOL" webhook "${TLS[@]}" "${WH[@]}" --attempts 2 --backoff 100 \
	--event "$EV" "https://localhost:$PORT/hook"
[ "$(grep -c '^event bad-signature$' "$LOG")" = 2 ] && ! grep -q '^event ok' "$LOG" &&
	grep -q '^event 1 dropped attempts=2 why=HTTP 401 after 2 attempts$' "$WORK/last.out" &&
	grep -q 'dropped=1' "$WORK/last.out" &&
	pass webhook-bad-secret-dropped || fail webhook-bad-secret-dropped "$(cat "$LOG" "$WORK/last.out")"

# A receiver that fails twice (503) gets the event on the third attempt.
serve hookflaky "${MTLS[@]}" --mode webhook --secret-file "$WORK/secret" --fail 2
expect_exit 0 webhook-retried "$POLLTOOL" webhook "${TLS[@]}" "${WH[@]}" --backoff 200 \
	--event "$EV" "https://localhost:$PORT/hook"
grep -q '^event 1 delivered attempts=3$' "$WORK/last.out" && grep -q '^delivered=1 retried=2 dropped=0' "$WORK/last.out" &&
	[ "$(grep -c ' 503$' "$LOG")" = 2 ] && grep -qxF "event ok $EV" "$LOG" &&
	pass webhook-after-retries || fail webhook-after-retries "$(cat "$LOG" "$WORK/last.out")"

# A receiver that hangs holds up nothing: polls on the same loop complete
# meanwhile, fast.
serve hookhang "${MTLS[@]}" --mode hang
HANG=$PORT
expect_exit 1 webhook-hang-undelivered "$POLLTOOL" webhook "${TLS[@]}" "${WH[@]}" --timeout 5000 --wait 2500 \
	--event "$EV" --poll "https://localhost:$GOOD/v1/evidence" --count 5 "https://localhost:$HANG/hook"
good_lines=$(awk '$1 == "post" && $4 == "status=200" { sub("ms=", "", $6); if ($6 + 0 < 1000) n++ } END { print n + 0 }' "$WORK/last.out")
[ "$good_lines" = 5 ] && grep -q '^delivered=0 retried=0 dropped=0 queued=1$' "$WORK/last.out" &&
	pass webhook-hang-blocks-nothing || fail webhook-hang-blocks-nothing "$(cat "$WORK/last.out")"

# The queue is bounded: with 2 places, all in flight to a hung receiver,
# 3 of 5 events are refused and counted.
expect_exit 1 webhook-queue-bound "$POLLTOOL" webhook "${TLS[@]}" "${WH[@]}" --queue 2 --wait 1000 \
	--event '{"n":1}' --event '{"n":2}' --event '{"n":3}' --event '{"n":4}' --event '{"n":5}' \
	"https://localhost:$HANG/hook"
[ "$(grep -c '^emit [0-9] refused$' "$WORK/last.out")" = 3 ] && grep -q '^delivered=0 retried=0 dropped=3 queued=2$' "$WORK/last.out" &&
	pass webhook-queue-drops-counted || fail webhook-queue-drops-counted "$(cat "$WORK/last.out")"

# An event in flight is never pushed out: with one place, taken by an
# event in flight, the next is refused.
serve hookflaky2 "${MTLS[@]}" --mode webhook --secret-file "$WORK/secret" --fail 1
expect_exit 1 webhook-queue-full-inflight "$POLLTOOL" webhook "${TLS[@]}" "${WH[@]}" --queue 1 --backoff 400 \
	--event '{"n":1}' --event '{"n":2}' "https://localhost:$PORT/hook"
grep -q '^emit 1 refused$' "$WORK/last.out" && grep -q '^event 1 delivered attempts=2$' "$WORK/last.out" && pass webhook-queue-inflight-kept ||
	fail webhook-queue-inflight-kept "$(cat "$WORK/last.out")"

# Not JSON, or not an object: refused at emit.
expect_exit 1 webhook-not-json-refused "$POLLTOOL" webhook "${TLS[@]}" "${WH[@]}" --event 'not json' \
	"https://localhost:$GOOD/hook"
grep -q '^emit 0 refused$' "$WORK/last.out" && pass webhook-not-json-reason || fail webhook-not-json-reason "$(cat "$WORK/last.out")"
head -c 8 /dev/urandom >"$WORK/short-secret"
expect_exit 2 webhook-short-secret-refused "$POLLTOOL" webhook "${TLS[@]}" --ca "$CA/ca.pem" --secret-file "$WORK/short-secret" \
	--event "$EV" "https://localhost:$GOOD/hook"
expect_err "fewer than 16" webhook-short-secret-reason
stop_servers
