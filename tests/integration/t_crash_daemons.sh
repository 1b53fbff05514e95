#!/bin/bash
# t_crash_daemons.sh: kill -9 the host agent and the verifier service
# (`serve`) at random instants while they serve (tests/integration/crash.sh;
# issue 16 item 5).
#
# agent, HG_CRASH_AGENT trials (default 25): a POST /v1/evidence in
# flight, the agent killed within one request's time. A 200 the client
# received whole is evidence that check finds trusted; anything cut is a
# transfer error, never a 200 whose body check accepts; the agent
# restarted on the same TPM and log serves a trusted quote.
#
# serve, HG_CRASH_SERVE trials (default 25): an operator PUTs policy p
# (a new version, its "comment" the trial's) while host hv1 pushes (GET
# /v1/nonce, quote, POST /v1/attest); serve is killed within the time of
# that sequence. Then the registry passes SQLite's integrity check; a
# restarted serve holds p's latest version whole (one of the texts sent,
# the acknowledged one if the PUT was answered); the nonce of the killed
# push, posted again, is refused as used (409) or judged (200), never an
# error: a nonce acknowledged as judged is never judged twice, and the
# host's recorded state is what the acknowledged answer said. Every fifth
# trial and at the end a fresh push is trusted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svc.sh"
. "$(dirname "$0")/crash.sh"
cd "$WORK" || exit 1
svc_ca
svc_host hv1
N0=$(printf '%08x%024x' "$CRASH_SEED" 0)
"$HG_ATTEST" quote "${H_hv1[@]}" --nonce "$N0" -o ev0.cbor >/dev/null &&
	"$HG_VERIFY" learn --ak "$WORK/st-hv1/ak.pub" ev0.cbor >pol.json &&
	"$HG_VERIFY" policy add p pol.json >/dev/null &&
	"$HG_VERIFY" policy assign p --host hv1 >/dev/null ||
	{ fail setup "quote/learn/policy failed"; exit 1; }
crash_flush

# --- the agent ----------------------------------------------------------------
APID=
stop_agent() { [ -n "$APID" ] && kill "$APID" 2>/dev/null && wait "$APID" 2>/dev/null; APID=; }
trap 'stop_agent; _svc_cleanup' EXIT
start_agent() {
	local i
	: >agent.err
	"$HG_ATTEST" agent "${H_hv1[@]}" --listen 127.0.0.1:0 --cert pki/agent.pem \
		--key pki/agent.key --client-ca pki/ca.pem 2>agent.err &
	APID=$!
	for i in $(seq 200); do
		PORT=$(sed -n 's/.*agent: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' agent.err)
		[ -n "$PORT" ] && return 0
		kill -0 "$APID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}
evidence() { # NONCE OUT: prints the HTTP status; curl's exit code in CURL_RC
	curl -sS --max-time 20 --cacert pki/ca.pem --cert pki/verifier-agent.pem \
		--key pki/verifier-agent.key -o "$2" -w '%{http_code}' \
		--data-binary "{\"nonce\": \"$1\"}" "https://127.0.0.1:$PORT/v1/evidence" 2>/dev/null
}
trusted() { "$HG_VERIFY" check --quiet --ak "$WORK/st-hv1/ak.pub" --policy pol.json --nonce "$1" "$2" 2>/dev/null; }

start_agent || { fail agent-start "$(cat agent.err)"; exit 1; }
t0=$(date +%s%N)
evidence "$N0" span.cbor >/dev/null
SPAN=$((($(date +%s%N) - t0) / 1000))
echo "  agent: one evidence request takes ~$SPAN us"
TRIALS=${HG_CRASH_AGENT:-25}
bad=0
for t in $(seq 1 "$TRIALS"); do
	if [ -z "$APID" ] && ! start_agent; then
		bad=$((bad + 1)); echo "  trial $t: the agent did not start again: $(head -c 300 agent.err)"
		continue
	fi
	N=$(printf '%08x%08x%016x' "$CRASH_SEED" 1 "$t")
	rm -f got.cbor
	evidence "$N" got.cbor >status &
	cpid=$!
	us=$(((RANDOM * 32768 + RANDOM) % (SPAN + SPAN / 5 + 1)))
	sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
	kill -9 "$APID" 2>/dev/null
	wait "$APID" 2>/dev/null
	[ $? = 137 ] && CRASH_LANDED=$((CRASH_LANDED + 1))
	APID=
	wait "$cpid"
	crc=$?
	crash_flush
	if [ "$crc" = 0 ] && [ "$(cat status)" = 200 ]; then
		if trusted "$N" got.cbor; then
			crash_tally served
		else
			crash_tally bad; bad=$((bad + 1)); echo "  trial $t: a 200 whose evidence is not trusted"
		fi
	elif [ -s got.cbor ] && [ "$(cat status)" = 200 ] && trusted "$N" got.cbor; then
		crash_tally "bad"; bad=$((bad + 1)); echo "  trial $t: a cut transfer (curl $crc) check accepts"
	else
		crash_tally cut
	fi
done
crash_summary agent "$TRIALS"
[ "$bad" -eq 0 ] && pass "agent-kill-9-x$TRIALS-whole-or-cut" || fail "agent-kill-9-x$TRIALS-whole-or-cut" "$bad bad trials"
N=$(printf '%08x%08x%016x' "$CRASH_SEED" 1 999)
if start_agent && [ "$(evidence "$N" got.cbor)" = 200 ] && trusted "$N" got.cbor; then
	pass agent-after-kills-trusted
else
	fail agent-after-kills-trusted "$(head -c 300 agent.err)"
fi
stop_agent
crash_flush

# --- serve ----------------------------------------------------------------------
SARGS=(--client-ca pki/ca.pem --interval 3600)
integrity() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("PRAGMA integrity_check").fetchone()[0])' "$WORK/vstate/registry.sqlite" 2>&1
}
# client T: the trial's requests, each answer kept (c-T.*): the policy
# PUT, the nonce, the quote, the push.
client() {
	local t=$1 n
	api operator /v1/policies/p -X PUT --data-binary @"put-$t.json" >"c-$t.put" 2>/dev/null
	api hv1 /v1/nonce >"c-$t.nonce" 2>/dev/null
	n=$(sed '$d' "c-$t.nonce" | jq -r .nonce 2>/dev/null)
	[ -n "$n" ] && [ "$n" != null ] || return 0
	echo "$n" >"c-$t.n"
	"$HG_ATTEST" quote "${H_hv1[@]}" --nonce "$n" -o "c-$t.cbor" >/dev/null 2>&1 || return 0
	api hv1 "/v1/attest?nonce=$n" -X POST -H 'Content-Type: application/cbor' \
		--data-binary @"c-$t.cbor" >"c-$t.push" 2>/dev/null
}
push_fresh() { # OUT: a fresh push's answer
	local n
	api hv1 /v1/nonce >"$1.nonce" 2>/dev/null
	n=$(sed '$d' "$1.nonce" | jq -r .nonce 2>/dev/null)
	"$HG_ATTEST" quote "${H_hv1[@]}" --nonce "$n" -o "$1.cbor" >/dev/null 2>&1
	api hv1 "/v1/attest?nonce=$n" -X POST -H 'Content-Type: application/cbor' \
		--data-binary @"$1.cbor" >"$1"
}
code() { tail -n 1 "$1" 2>/dev/null; }
sha256_of() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }
jq '.comment = "trial 0"' pol.json >put-0.json
svc_start "${SARGS[@]}" || { fail serve-start "$(cat serve.err)"; exit 1; }
t0=$(date +%s%N)
client 0
SPAN=$((($(date +%s%N) - t0) / 1000))
echo "  serve: one trial's requests take ~$SPAN us"
TRIALS=${HG_CRASH_SERVE:-25}
bad=0
for t in $(seq 1 "$TRIALS"); do
	jq --arg c "trial $t" '.comment = $c' pol.json >"put-$t.json"
	if [ -z "$SVC_PID" ] && ! svc_start "${SARGS[@]}"; then
		bad=$((bad + 1)); echo "  trial $t: serve did not start again: $(tail -c 300 serve.err)"
		continue
	fi
	client "$t" &
	cpid=$!
	us=$(((RANDOM * 32768 + RANDOM) % (SPAN + SPAN / 5 + 1)))
	sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
	kill -9 "$SVC_PID" 2>/dev/null
	wait "$SVC_PID" 2>/dev/null
	[ $? = 137 ] && CRASH_LANDED=$((CRASH_LANDED + 1))
	SVC_PID=
	wait "$cpid"
	crash_flush
	ic=$(integrity)
	if [ "$ic" != ok ]; then
		crash_tally corrupt; bad=$((bad + 1)); echo "  trial $t: registry: $ic"
		continue
	fi
	if ! svc_start "${SARGS[@]}"; then
		crash_tally no-restart; bad=$((bad + 1)); echo "  trial $t: serve did not restart: $(tail -c 300 serve.err)"
		continue
	fi
	o=""
	# The policy: the latest version is a text that was sent, whole; the
	# acknowledged one if the PUT was answered.
	api operator /v1/policies >pol.r
	body() { sed '$d' "$1"; }
	latest=$(body pol.r | jq -r '[.policies[] | select(.name == "p")] | max_by(.version) | .sha256' 2>/dev/null)
	if [ "$(code pol.r)" != 200 ] || [ -z "$latest" ] || [ "$latest" = null ]; then
		bad=$((bad + 1)); o=policy-lost; echo "  trial $t: GET /v1/policies: $(head -c 200 pol.r)"
	elif [ "$(code "c-$t.put")" = 201 ] || [ "$(code "c-$t.put")" = 200 ]; then
		o=put-acked
		[ "$latest" = "$(sha256_of "put-$t.json")" ] ||
			{ bad=$((bad + 1)); o=policy-ack-lost; echo "  trial $t: the acknowledged PUT is not the latest version"; }
	else
		o=put-cut
		k=""
		for f in put-*.json; do [ "$latest" = "$(sha256_of "$f")" ] && k=$f; done
		[ -n "$k" ] || { bad=$((bad + 1)); o=policy-torn; echo "  trial $t: the latest version is no text sent"; }
		# The version stored is whole: the service serves it, and it parses.
		api operator /v1/policies/p >pol1.r
		[ "$(code pol1.r)" = 200 ] || { bad=$((bad + 1)); echo "  trial $t: GET /v1/policies/p: $(tail -n 1 pol1.r)"; }
	fi
	# The push.
	if [ -s "c-$t.n" ] && [ -s "c-$t.cbor" ]; then
		n=$(cat "c-$t.n")
		api hv1 "/v1/attest?nonce=$n" -X POST -H 'Content-Type: application/cbor' \
			--data-binary @"c-$t.cbor" >again.r
		if [ "$(code "c-$t.push")" = 200 ]; then
			o=$o,push-acked
			[ "$(code again.r)" = 409 ] || { bad=$((bad + 1)); echo "  trial $t: an acknowledged push's nonce again: $(tail -n 1 again.r)"; }
			st_acked=$(body "c-$t.push" | jq -r .state)
			api operator /v1/hosts/hv1 >host.r
			[ "$(body host.r | jq -r .state)" = "$st_acked" ] ||
				{ bad=$((bad + 1)); echo "  trial $t: host state $(body host.r | jq -c .state), acknowledged $st_acked"; }
		else
			case $(code again.r) in
			409) o=$o,push-taken ;;
			200) o=$o,push-not-taken ;;
			*) bad=$((bad + 1)); o=$o,push-bad; echo "  trial $t: the killed push's nonce again: $(tr '\n' ' ' <again.r | head -c 200)" ;;
			esac
		fi
	else
		o=$o,no-push
	fi
	crash_tally "$o"
	if [ $((t % 5)) = 0 ]; then
		push_fresh fresh.r
		[ "$(code fresh.r)" = 200 ] && [ "$(body fresh.r | jq -r .state)" = trusted ] ||
			{ bad=$((bad + 1)); echo "  trial $t: a fresh push: $(tr '\n' ' ' <fresh.r | head -c 200)"; }
		crash_flush
	fi
done
crash_summary serve "$TRIALS"
[ "$bad" -eq 0 ] && pass "serve-kill-9-x$TRIALS-registry-whole-nothing-acked-lost" ||
	fail "serve-kill-9-x$TRIALS-registry-whole-nothing-acked-lost" "$bad bad trials"
[ -n "$SVC_PID" ] || svc_start "${SARGS[@]}"
push_fresh fresh.r
[ "$(code fresh.r)" = 200 ] && [ "$(body fresh.r | jq -r .state)" = trusted ] &&
	pass serve-after-kills-push-trusted || fail serve-after-kills-push-trusted "$(tr '\n' ' ' <fresh.r | head -c 300)"
svc_stop
