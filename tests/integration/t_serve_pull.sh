#!/bin/bash
# t_serve_pull.sh: hostgate-verify serve's continuous attestation (issue
# 14 item 2), pulling from agents over mutual TLS. The agents are the
# real `hostgate-attest agent`, each on its own swtpm: real quotes, real
# mTLS, the service's own libcurl client.
#
#  - both hosts turn trusted at the first pull, each verdict bound to a
#    fresh nonce of the service's;
#  - a file measured outside the policy on hv1: untrusted within one
#    interval, naming the file; the webhook receiver (a test HTTPS
#    server) gets every transition, each with a valid HMAC;
#  - hv2's agent stopped: unreachable within one interval (+ timeout),
#    while hv1 goes on being judged;
#  - POST /v1/hosts/NAME/attest: an attestation now (202);
#  - a new policy version (CLI, another process) re-judges the hosts it
#    applies to at once, long before their interval.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svc.sh"
cd "$WORK" || exit 1

svc_ca
svc_host hv1
svc_host hv2
N0=0badc0ffee0ddf00d15ea5e5c0ffee01
"$HG_ATTEST" quote "${H_hv1[@]}" --nonce $N0 -o ev0.cbor >/dev/null || { fail setup "quote failed"; exit 1; }
"$HG_VERIFY" learn --ak "$WORK/st-hv1/ak.pub" ev0.cbor >pol.json || { fail setup "learn failed"; exit 1; }
"$HG_VERIFY" policy add base pol.json >/dev/null && "$HG_VERIFY" policy assign base --group fleet >/dev/null &&
	"$HG_VERIFY" hosts set-group hv1 fleet >/dev/null && "$HG_VERIFY" hosts set-group hv2 fleet >/dev/null ||
	{ fail setup "policy setup failed"; exit 1; }

# start_agent NAME: start NAME's agent; sets AGENT_<NAME> (pid), its URL set
# in the registry.
AGENTS=()
start_agent() {
	local name=$1 i
	local -n h="H_$name"
	rm -f "agent-$name.port" "agent-$name.err"
	"$HG_ATTEST" agent "${h[@]}" --listen 127.0.0.1:0 --cert pki/agent.pem \
		--key pki/agent.key --client-ca pki/ca.pem 2>"agent-$name.err" &
	eval "AGENT_$name=$!"
	AGENTS+=($!)
	for i in $(seq 100); do
		sed -n 's/.*agent: listening on [^:]*:\([0-9]*\).*/\1/p' \
			"agent-$name.err" 2>/dev/null | grep . >"agent-$name.port"
		[ -s "agent-$name.port" ] && break
		sleep 0.1
	done
	"$HG_VERIFY" hosts set-agent "$name" "https://127.0.0.1:$(cat "agent-$name.port")" >/dev/null
}
_pull_cleanup() {
	local p
	for p in "${AGENTS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	_svc_cleanup
}
trap _pull_cleanup EXIT
start_agent hv1
start_agent hv2
expect_exit 0 set-agent-shown "$HG_VERIFY" hosts set-agent hv1 "https://127.0.0.1:$(cat agent-hv1.port)"

# The webhook receiver.
python3 "$ROOT/tests/tools/hook_receiver.py" --cert pki/hooks.pem --key pki/hooks.key \
	--out hooks.jsonl --portfile hooks.port 2>hooks.err &
AGENTS+=($!)
for i in $(seq 100); do [ -s hooks.port ] && break; sleep 0.1; done
SECRET=whsec-$(openssl rand -hex 16)
printf '%s\n' "$SECRET" >hook.secret
chmod 600 hook.secret
HOOK=(--webhook "https://127.0.0.1:$(cat hooks.port)/hook" --webhook-secret-file hook.secret --webhook-ca pki/ca.pem)

AGENT=(--agent-cert pki/verifier-agent.pem --agent-key pki/verifier-agent.key --agent-ca pki/ca.pem)
svc_start --client-ca pki/ca.pem --interval 3 --jitter 0 --timeout 3 "${AGENT[@]}" "${HOOK[@]}" &&
	pass serve-starts || { fail serve-starts "$(cat serve.err)"; exit 1; }

state_of() { api operator "/v1/hosts/$1" | sed '$d' | jq -r .state; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
wait_for 20 is_state hv1 trusted && pass pull-hv1-trusted || fail pull-hv1-trusted "$(state_of hv1); $(tail -3 serve.err)"
wait_for 20 is_state hv2 trusted && pass pull-hv2-trusted || fail pull-hv2-trusted "$(state_of hv2); $(tail -3 serve.err)"
api operator /v1/hosts/hv1 >r
N1=$(body | jq -r .verdict.nonce)
[ ${#N1} = 64 ] && [ "$N1" != "$N0" ] && pass pull-fresh-nonce || fail pull-fresh-nonce "$N1"
sleep 4
api operator /v1/hosts/hv1 >r
N2=$(body | jq -r .verdict.nonce)
[ ${#N2} = 64 ] && [ "$N2" != "$N1" ] && pass pull-nonce-per-attestation || fail pull-nonce-per-attestation "$N1 $N2"

# --- tamper: untrusted within one interval ---------------------------------------
echo "not in the policy" >rogue.bin
"$HG_ATTEST" measure "${H_hv1[@]}" --kind hypervisor "$WORK/rogue.bin" >/dev/null 2>&1
t0=$(date +%s)
wait_for 10 is_state hv1 untrusted && pass tamper-untrusted || fail tamper-untrusted "$(state_of hv1)"
[ $(($(date +%s) - t0)) -le 5 ] && pass tamper-within-interval || fail tamper-within-interval "$(($(date +%s) - t0)) s"
api operator /v1/hosts/hv1 >r
body | jq -r '.verdict.failures[].name' | grep -q rogue.bin && pass tamper-names-file || fail tamper-names-file "$(body | jq -c .verdict.failures)"
# The webhook: hv1's trusted -> untrusted, signed over "TIMESTAMP.BODY".
# hook_ok FROM TO: a delivered event for hv1 FROM -> TO with a valid HMAC.
hook_ok() {
	local line t sig body want
	while read -r line; do
		body=$(jq -r .body <<<"$line")
		[ "$(jq -r '.host + " " + .from + " " + .to' <<<"$body")" = "$1 $2 $3" ] || continue
		t=$(jq -r .timestamp <<<"$line")
		sig=$(jq -r .signature <<<"$line")
		want=sha256=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
		[ "$sig" = "$want" ] && return 0
	done <hooks.jsonl 2>/dev/null
	return 1
}
wait_for 10 hook_ok hv1 trusted untrusted && pass webhook-tamper-hmac || fail webhook-tamper-hmac "$(cat hooks.jsonl 2>/dev/null | head -c 600)"
hook_ok hv1 unknown trusted && pass webhook-first-judgement || fail webhook-first-judgement "$(head -c 300 hooks.jsonl)"
jq -r .body hooks.jsonl | jq -r 'select(.to == "untrusted") | .failures[].name' | grep -q rogue.bin &&
	pass webhook-names-failure || fail webhook-names-failure "$(tail -1 hooks.jsonl | head -c 400)"
# A signature under another secret does not match (the check is real).
SECRET_REAL=$SECRET; SECRET=wrong-secret-wrong-secret
hook_ok hv1 trusted untrusted && fail webhook-hmac-check-real "matched under a wrong secret" || pass webhook-hmac-check-real
SECRET=$SECRET_REAL

# --- unreachable ---------------------------------------------------------------------
kill "$AGENT_hv2"; wait "$AGENT_hv2" 2>/dev/null
t0=$(date +%s)
wait_for 15 is_state hv2 unreachable && pass agent-down-unreachable || fail agent-down-unreachable "$(state_of hv2)"
[ $(($(date +%s) - t0)) -le 8 ] && pass unreachable-within-interval || fail unreachable-within-interval "$(($(date +%s) - t0)) s"
grep -q "host hv2: trusted -> unreachable" serve.err && pass unreachable-logged || fail unreachable-logged "$(grep hv2 serve.err | tail -2)"
wait_for 10 hook_ok hv2 trusted unreachable && pass webhook-unreachable || fail webhook-unreachable "$(tail -2 hooks.jsonl | head -c 400)"
api operator /metrics >r
sent=$(body | awk '$1 == "hostgate_webhooks_total{result=\"sent\"}" { print $2 }')
[ "$sent" -ge 4 ] && [ "$sent" -le "$(wc -l <hooks.jsonl)" ] && pass metrics-webhooks-sent || fail metrics-webhooks-sent "sent=$sent lines=$(wc -l <hooks.jsonl)"
api operator /v1/hosts/hv2 >r
[ "$(body | jq -r .verdict.verdict)" = trusted ] && pass unreachable-keeps-last-verdict || fail unreachable-keeps-last-verdict "$(body | jq -c .verdict.verdict)"
# hv1 goes on being judged meanwhile.
c1=$(api operator /v1/hosts/hv1 | sed '$d' | jq -r .checked_at)
sleep 4
c2=$(api operator /v1/hosts/hv1 | sed '$d' | jq -r .checked_at)
[ "$c1" != "$c2" ] && pass others-still-judged || fail others-still-judged "$c1 $c2"

# --- on demand ------------------------------------------------------------------------
api operator /v1/hosts/hv1/attest -X POST >r
[ "$(st)" = 202 ] && [ "$(body | jq -r .host)" = hv1 ] && pass attest-on-demand || fail attest-on-demand "$(cat r)"
api operator /v1/hosts/ghost/attest -X POST >r
[ "$(st)" = 404 ] && pass attest-unknown-404 || fail attest-unknown-404 "$(cat r)"
api hv1 /v1/hosts/hv1/attest -X POST >r
[ "$(st)" = 403 ] && pass attest-host-403 || fail attest-host-403 "$(cat r)"
svc_stop
[ "$SVC_RC" = 0 ] && pass sigterm-with-pulls-exit-0 || fail sigterm-with-pulls-exit-0 "exit $SVC_RC"

# --- a policy change re-judges at once ------------------------------------------------
start_agent hv2
svc_start --client-ca pki/ca.pem --interval 600 --jitter 0 --timeout 3 "${AGENT[@]}" ||
	{ fail serve-restarts "$(tail -2 serve.err)"; exit 1; }
wait_for 20 is_state hv2 trusted && pass restart-hv2-trusted || fail restart-hv2-trusted "$(state_of hv2)"
judged() { [ "$(api operator /v1/hosts/hv2 | sed '$d' | jq -r .judged_policy)" = "$1" ]; }
jq '.comment = "v2"' pol.json >pol2.json
"$HG_VERIFY" policy add base pol2.json >/dev/null
t0=$(date +%s)
wait_for 10 judged base@2 && pass policy-change-rejudges || fail policy-change-rejudges "$(api operator /v1/hosts/hv2 | sed '$d' | jq -c '{policy, judged_policy}')"
[ $(($(date +%s) - t0)) -le 5 ] && pass policy-change-prompt || fail policy-change-prompt "$(($(date +%s) - t0)) s"
api operator /v1/hosts/hv2/history >r
[ "$(body | jq -r '.history[0].verdict.policy')" = base@2 ] && pass history-names-policy || fail history-names-policy "$(body | jq -c '[.history[].verdict.policy]')"
# Metrics: pulls counted; the unreachable ones too.
api operator /metrics >r
body | grep -Eq '^hostgate_attestations_by_mode_total\{mode="pull"\} [1-9]' && pass metrics-pulls || fail metrics-pulls "$(body | grep by_mode)"
svc_stop
