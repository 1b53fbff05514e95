#!/bin/bash
# t_serve.sh: hostgate-verify serve, push mode and the API (issue 14 item
# 2), on two swtpm hosts hv1 and hv2 enrolled as enrollment does it,
# certificates from tools/mkca.sh, curl as the client.
#
#  - push end to end: GET /v1/nonce, quote, POST /v1/attest -> trusted
#    with an EAR; a file measured outside the policy -> untrusted, the
#    state and history say so;
#  - nonces: reused (409 nonce-used), stale (410 nonce-expired), foreign
#    (403 nonce-foreign, and its host can still use it), never issued
#    (403 nonce-unknown), a quote for another nonce (untrusted, nonce);
#  - auth: no client certificate and another CA's certificate fail the
#    handshake; a CN that is neither operator nor host is 403; a host
#    may not read the API nor push as another; an operator token works,
#    a wrong one is 401;
#  - bounded: malformed JSON (400), an oversized body (413), a bad
#    policy (400 with the parser's line); the service keeps serving;
#    the history keeps --history verdicts;
#  - policy add/assign/list (CLI) and PUT/GET /v1/policies (API);
#  - /metrics parses as Prometheus text and its counts match;
#  - SIGTERM: exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svc.sh"
cd "$WORK" || exit 1

svc_ca
svc_host hv1
svc_host hv2
N0=0badc0ffee0ddf00d15ea5e5c0ffee01
"$HG_ATTEST" quote "${H_hv1[@]}" --nonce $N0 -o ev0.cbor >/dev/null || { fail setup "quote failed"; exit 1; }
"$HG_VERIFY" learn --ak "$WORK/st-hv1/ak.pub" ev0.cbor >pol.json || { fail setup "learn failed"; exit 1; }

# --- policy CLI -----------------------------------------------------------------
expect_exit 0 policy-add "$HG_VERIFY" policy add base pol.json
grep -qx "policy base version 1" last.out && pass policy-add-says-version || fail policy-add-says-version "$(cat last.out)"
expect_exit 0 policy-add-same "$HG_VERIFY" policy add base pol.json
grep -qx "policy base unchanged (version 1)" last.out && pass policy-add-same-unchanged || fail policy-add-same-unchanged "$(cat last.out)"
printf '{"version": 1, "version": 2}' >dup.json
expect_exit 2 policy-add-bad "$HG_VERIFY" policy add bad dup.json
expect_err "dup.json:1:" policy-add-bad-names-place
expect_exit 1 policy-assign-unknown "$HG_VERIFY" policy assign nope --host hv1
expect_err "nope: no such policy" policy-assign-unknown-why
expect_exit 1 policy-assign-no-host "$HG_VERIFY" policy assign base --host ghost
expect_err "ghost: no such host enrolled" policy-assign-no-host-why
expect_exit 2 policy-assign-both "$HG_VERIFY" policy assign base --host hv1 --group g
expect_exit 0 hosts-set-group "$HG_VERIFY" hosts set-group hv1 fleet
expect_exit 0 hosts-set-group-2 "$HG_VERIFY" hosts set-group hv2 fleet
expect_exit 0 policy-assign-group "$HG_VERIFY" policy assign base --group fleet
expect_exit 0 policy-list-json "$HG_VERIFY" policy list --json
[ "$(jq -c '[.policies[0].name, .policies[0].version, .assignments[0].group]' last.out)" = '["base",1,"fleet"]' ] &&
	pass policy-list-json-content || fail policy-list-json-content "$(cat last.out)"
expect_exit 0 policy-show "$HG_VERIFY" policy show base --version 1
cmp -s last.out pol.json && pass policy-show-exact || fail policy-show-exact "$(head -c 200 last.out)"
expect_exit 1 policy-show-unknown "$HG_VERIFY" policy show nope
expect_exit 2 policy-no-subcommand "$HG_VERIFY" policy
expect_exit 2 policy-unknown-subcommand "$HG_VERIFY" policy frob
expect_err "unknown subcommand \"frob\"" policy-unknown-subcommand-why
expect_exit 2 policy-bad-name "$HG_VERIFY" policy add ../x pol.json
expect_exit 2 hosts-set-group-bad "$HG_VERIFY" hosts set-group hv1 'a b'
expect_exit 2 hosts-set-agent-http "$HG_VERIFY" hosts set-agent hv1 http://x
expect_exit 1 hosts-set-agent-unknown "$HG_VERIFY" hosts set-agent ghost https://x

# --- the service -----------------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ear.pem 2>/dev/null
TOK_OP=op-$(openssl rand -hex 16)
TOK_H2=h2-$(openssl rand -hex 16)
printf 'operator %s\nhost hv2 %s\n' "$TOK_OP" "$TOK_H2" >tokens
chmod 600 tokens
svc_start --client-ca pki/ca.pem --token-file tokens --ear-key ear.pem \
	--history 3 --nonce-ttl 4 --interval 3600 && pass serve-starts ||
	{ fail serve-starts "$(cat serve.err)"; exit 1; }

# push NAME CERT NONCE-FILE OUT: quote for the nonce and POST it as CERT.
push() {
	local name=$1 who=$2 n
	n=$(cat "$3")
	local -n h="H_$name"
	"$HG_ATTEST" quote "${h[@]}" --nonce "$n" -o "push-$name.cbor" >/dev/null 2>&1
	api "$who" "/v1/attest?nonce=$n" -X POST -H 'Content-Type: application/cbor' \
		--data-binary @"push-$name.cbor" >"$4"
}
nonce_of() { sed '$d' "$1" | jq -r .nonce; }

api hv1 /v1/nonce >r
[ "$(st)" = 200 ] && pass nonce-issued || fail nonce-issued "$(cat r)"
nonce_of r >n1
[ "$(wc -c <n1)" = 65 ] && pass nonce-32-bytes || fail nonce-32-bytes "$(cat n1)"
push hv1 hv1 n1 r
[ "$(st)" = 200 ] && [ "$(body | jq -r .state)" = trusted ] && pass push-trusted || fail push-trusted "$(cat r)"
[ "$(body | jq -r .verdict.policy)" = base@1 ] && pass push-verdict-names-policy || fail push-verdict-names-policy "$(body | jq -c .verdict.policy)"
EAR=$(body | jq -r '.ear // empty')
[ -n "$EAR" ] && printf '%s' "$EAR" | grep -Eq '^[A-Za-z0-9_-]+$' && pass push-ear || fail push-ear "$(body | head -c 300)"
# The EAR is a COSE_Sign1 (CBOR tag 18 = 0xd2) whose payload names the host.
printf '%s' "$EAR" | tr '_-' '/+' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d >ear.cbor 2>/dev/null
[ "$(head -c 1 ear.cbor | xxd -p)" = d2 ] && grep -aq hv1 ear.cbor && pass ear-cose-sign1 || fail ear-cose-sign1 "$(xxd ear.cbor | head -2)"
# Checked as a relying party would (lib/ear.h, signature first): the
# service's key, the push nonce, hv1 affirming; a byte changed: invalid.
openssl pkey -in ear.pem -pubout -out ear.pub 2>/dev/null
EARCHECK=$BUILD/tests/tools/earcheck
"$EARCHECK" ear.cbor ear.pub >ear.json 2>ear.err &&
	[ "$(jq -r .eat_nonce ear.json)" = "$(cat n1)" ] &&
	[ "$(jq -r '.submods.hv1["ear.status"]' ear.json)" = affirming ] && pass ear-verifies || fail ear-verifies "$(cat ear.json ear.err)"
cp ear.cbor ear-bad.cbor
printf '\x00' | dd of=ear-bad.cbor bs=1 seek=$(($(wc -c <ear.cbor) - 5)) conv=notrunc 2>/dev/null
expect_exit 3 ear-forged-refused "$EARCHECK" ear-bad.cbor ear.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout -out other.pub 2>/dev/null
expect_exit 3 ear-other-key-refused "$EARCHECK" ear.cbor other.pub

# Reused.
push hv1 hv1 n1 r
[ "$(st)" = 409 ] && [ "$(body | jq -r .code)" = nonce-used ] && pass nonce-reused-refused || fail nonce-reused-refused "$(cat r)"
body | jq -r .error | grep -q "already used" && pass nonce-reused-says || fail nonce-reused-says "$(cat r)"
# Never issued.
openssl rand -hex 32 >nx
push hv1 hv1 nx r
[ "$(st)" = 403 ] && [ "$(body | jq -r .code)" = nonce-unknown ] && pass nonce-unknown-refused || fail nonce-unknown-refused "$(cat r)"
# Foreign: issued to hv2 (token), pushed by hv1; not spent: hv2 uses it.
curl -sS --cacert pki/ca.pem --cert pki/stranger.pem --key pki/stranger.key \
	-H "Authorization: Bearer $TOK_H2" -w '\n%{http_code}' "$SVC_URL/v1/nonce" >r
[ "$(st)" = 200 ] && pass nonce-by-host-token || fail nonce-by-host-token "$(cat r)"
nonce_of r >n2
push hv1 hv1 n2 r
[ "$(st)" = 403 ] && [ "$(body | jq -r .code)" = nonce-foreign ] && pass nonce-foreign-refused || fail nonce-foreign-refused "$(cat r)"
push hv2 hv2 n2 r
[ "$(st)" = 200 ] && [ "$(body | jq -r .state)" = trusted ] && pass nonce-foreign-not-spent || fail nonce-foreign-not-spent "$(cat r)"
# Stale.
api hv1 /v1/nonce >r
nonce_of r >n3
sleep 5
push hv1 hv1 n3 r
[ "$(st)" = 410 ] && [ "$(body | jq -r .code)" = nonce-expired ] && pass nonce-stale-refused || fail nonce-stale-refused "$(cat r)"
# A quote made for another nonce than the one presented: spent, untrusted.
api hv1 /v1/nonce >r
nonce_of r >n4
"$HG_ATTEST" quote "${H_hv1[@]}" --nonce "$(openssl rand -hex 32)" -o other.cbor >/dev/null 2>&1
api hv1 "/v1/attest?nonce=$(cat n4)" -X POST --data-binary @other.cbor >r
[ "$(st)" = 200 ] && [ "$(body | jq -r .state)" = untrusted ] &&
	[ "$(body | jq -r '.verdict.failures[0].check')" = nonce ] && pass quote-other-nonce-untrusted || fail quote-other-nonce-untrusted "$(cat r)"
# hv2 relays hv1's evidence, quoted for hv2's nonce: judged with hv2's
# enrolled AK, it fails the ak check (another AK than the enrolled one).
api hv2 /v1/nonce >r
nonce_of r >n7
"$HG_ATTEST" quote "${H_hv1[@]}" --nonce "$(cat n7)" -o relay.cbor >/dev/null 2>&1
api hv2 "/v1/attest?nonce=$(cat n7)" -X POST --data-binary @relay.cbor >r
[ "$(st)" = 200 ] && [ "$(body | jq -r .state)" = untrusted ] &&
	[ "$(body | jq -r '.verdict.failures[0].check')" = ak ] && pass relayed-evidence-untrusted || fail relayed-evidence-untrusted "$(cat r)"
# Bad nonce parameter.
api hv1 "/v1/attest?nonce=zz" -X POST --data-binary @other.cbor >r
[ "$(st)" = 400 ] && [ "$(body | jq -r .code)" = bad-nonce ] && pass nonce-malformed-400 || fail nonce-malformed-400 "$(cat r)"
# An issued nonce followed by an encoded NUL: evhttp would decode it to
# the nonce alone (a prefix standing for the whole); refused, not spent.
api hv1 /v1/nonce >r; nonce_of r >n8
api hv1 "/v1/attest?nonce=$(cat n8)%00zz" -X POST --data-binary @other.cbor >r
[ "$(st)" = 400 ] && [ "$(body | jq -r .code)" = bad-query ] && pass nonce-encoded-nul-400 || fail nonce-encoded-nul-400 "$(cat r)"
push hv1 hv1 n8 r
[ "$(st)" = 200 ] && pass nonce-encoded-nul-not-spent || fail nonce-encoded-nul-not-spent "$(cat r)"

# --- tamper: a file outside the policy -> untrusted --------------------------------
echo "not in the policy" >rogue.bin
"$HG_ATTEST" measure "${H_hv1[@]}" --kind hypervisor "$WORK/rogue.bin" >/dev/null 2>&1
api hv1 /v1/nonce >r; nonce_of r >n5
push hv1 hv1 n5 r
[ "$(body | jq -r .state)" = untrusted ] && pass tamper-untrusted || fail tamper-untrusted "$(cat r)"
body | jq -r '.verdict.failures[].name' | grep -q rogue.bin && pass tamper-names-file || fail tamper-names-file "$(body | jq -c .verdict.failures)"
body | jq -r .ear | tr '_-' '/+' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d >ear2.cbor 2>/dev/null
"$EARCHECK" ear2.cbor ear.pub >ear2.json 2>&1 &&
	[ "$(jq -r '.submods.hv1["ear.status"]' ear2.json)" = contraindicated ] && pass tamper-ear-contraindicated || fail tamper-ear-contraindicated "$(cat ear2.json)"
api operator /v1/hosts/hv1 >r
[ "$(body | jq -r .state)" = untrusted ] && [ "$(body | jq -r .verdict.verdict)" = untrusted ] && pass host-state-untrusted || fail host-state-untrusted "$(cat r)"
grep -q "host hv1: trusted -> untrusted" serve.err && pass transition-logged || fail transition-logged "$(tail -3 serve.err)"
api hv1 /v1/nonce >r; nonce_of r >n6
push hv1 hv1 n6 r
# History: 4 verdicts for hv1 so far, 3 kept, newest first.
api operator /v1/hosts/hv1/history >r
[ "$(body | jq '.history | length')" = 3 ] && [ "$(body | jq -r '.history[0].state')" = untrusted ] && pass history-bounded || fail history-bounded "$(body | jq -c '[.history[].state]')"
api operator "/v1/hosts/hv1/history?limit=1" >r
[ "$(body | jq '.history | length')" = 1 ] && pass history-limit || fail history-limit "$(cat r)"
api operator "/v1/hosts/hv1/history?limit=x" >r
[ "$(st)" = 400 ] && pass history-bad-limit || fail history-bad-limit "$(cat r)"

# --- authentication -------------------------------------------------------------
api none /v1/health >r 2>err; rc=$?
[ $rc -ne 0 ] && ! grep -q '"ok"' r && pass no-client-cert-refused || fail no-client-cert-refused "curl $rc: $(cat r)"
api other-hv1 /v1/health >r 2>err; rc=$?
[ $rc -ne 0 ] && ! grep -q '"ok"' r && pass other-ca-refused || fail other-ca-refused "curl $rc: $(cat r)"
api stranger /v1/hosts >r
[ "$(st)" = 403 ] && pass stranger-cn-403 || fail stranger-cn-403 "$(cat r)"
api hv1 /v1/hosts >r
[ "$(st)" = 403 ] && pass host-cannot-list || fail host-cannot-list "$(cat r)"
api operator /v1/nonce >r
[ "$(st)" = 403 ] && pass operator-cannot-push || fail operator-cannot-push "$(cat r)"
api operator /v1/hosts >r
[ "$(st)" = 200 ] && [ "$(body | jq -r '[.[].host] | join(",")')" = hv1,hv2 ] && pass operator-lists || fail operator-lists "$(cat r)"
api stranger /v1/hosts -H "Authorization: Bearer $TOK_OP" >r
[ "$(st)" = 200 ] && pass bearer-token-works || fail bearer-token-works "$(cat r)"
api stranger /v1/hosts -H "Authorization: Bearer ${TOK_OP}x" >r
[ "$(st)" = 401 ] && [ "$(body | jq -r .code)" = bad-token ] && pass wrong-token-401 || fail wrong-token-401 "$(cat r)"
api operator /v1/hosts -H "Authorization: Basic Zm9vOmJhcg==" >r
[ "$(st)" = 401 ] && pass basic-auth-401 || fail basic-auth-401 "$(cat r)"
# hv2's token cannot get hv1's history either.
api stranger /v1/hosts/hv1 -H "Authorization: Bearer $TOK_H2" >r
[ "$(st)" = 403 ] && pass host-token-no-api || fail host-token-no-api "$(cat r)"

# --- bounds, malformed input -----------------------------------------------------
api operator /v1/policies/x -X PUT --data-binary '{"version": 1,' >r
[ "$(st)" = 400 ] && [ "$(body | jq -r .code)" = bad-policy ] && body | jq -r .error | grep -q "policy x:1:" && pass put-malformed-policy-400 || fail put-malformed-policy-400 "$(cat r)"
api operator /v1/policies/base/assign -X POST --data-binary '{"host": ' >r
[ "$(st)" = 400 ] && [ "$(body | jq -r .code)" = bad-json ] && pass assign-malformed-400 || fail assign-malformed-400 "$(cat r)"
api operator /v1/policies/base/assign -X POST --data-binary '{"host": "hv1", "x": 1}' >r
[ "$(st)" = 400 ] && pass assign-extra-key-400 || fail assign-extra-key-400 "$(cat r)"
head -c $((5 * 1024 * 1024)) /dev/zero >big.bin
api hv1 "/v1/attest?nonce=$(cat n1)" -X POST --data-binary @big.bin >r 2>/dev/null
[ "$(st)" = 413 ] && pass oversized-413 || fail oversized-413 "$(tail -c 200 r)"
api hv1 "/v1/attest?nonce=$(openssl rand -hex 32)" -X POST >r
[ "$(st)" = 400 ] && [ "$(body | jq -r .code)" = empty-body ] && pass empty-body-400 || fail empty-body-400 "$(cat r)"
api operator /v1/nope >r
[ "$(st)" = 404 ] && pass unknown-path-404 || fail unknown-path-404 "$(cat r)"
api operator /v1/hosts/ghost >r
[ "$(st)" = 404 ] && pass unknown-host-404 || fail unknown-host-404 "$(cat r)"
api operator "/v1/hosts/..%2f" >r
[ "$(st)" = 404 ] && pass bad-host-name-404 || fail bad-host-name-404 "$(cat r)"
api operator /v1/hosts -X DELETE >r
[ "$(st)" = 405 ] && pass wrong-method-405 || fail wrong-method-405 "$(cat r)"
api hv1 /v1/health >r
[ "$(st)" = 200 ] && [ "$(body | jq -r .status)" = ok ] && pass still-serving || fail still-serving "$(cat r)"

# --- policies over the API ---------------------------------------------------------
api operator /v1/policies/base -X PUT --data-binary @pol.json >r
[ "$(st)" = 200 ] && [ "$(body | jq -r .unchanged)" = true ] && pass put-same-unchanged || fail put-same-unchanged "$(cat r)"
jq '.comment = "v2"' pol.json >pol2.json
api operator /v1/policies/base -X PUT --data-binary @pol2.json >r
[ "$(st)" = 201 ] && [ "$(body | jq -r .version)" = 2 ] && pass put-new-version || fail put-new-version "$(cat r)"
api operator "/v1/policies/base?version=1" >r
cmp -s <(head -c "$(wc -c <pol.json)" r) pol.json && pass get-policy-version-1 || fail get-policy-version-1 "$(head -c 200 r)"
api operator /v1/policies >r
[ "$(body | jq -c '[.policies[0].version, .assignments[0].group]')" = '[2,"fleet"]' ] && pass get-policies || fail get-policies "$(cat r)"
api operator /v1/policies/base/assign -X POST --data-binary '{"host": "hv2"}' >r
[ "$(st)" = 200 ] && pass api-assign || fail api-assign "$(cat r)"
api operator /v1/hosts/hv1 >r
[ "$(body | jq -r .policy)" = base@2 ] && [ "$(body | jq -r .judged_policy)" = base@1 ] && pass host-shows-new-policy || fail host-shows-new-policy "$(body | jq -c '{policy, judged_policy}')"
# On-demand attest needs an agent: hv1 has none.
api operator /v1/hosts/hv1/attest -X POST >r
[ "$(st)" = 409 ] || [ "$(st)" = 404 ] && pass attest-no-agent || fail attest-no-agent "$(cat r)"

# --- metrics -------------------------------------------------------------------------
api operator /metrics >r
body | sed '/^$/d' >metrics.txt
bad=$(grep -v '^#' metrics.txt | grep -Evc '^[a-z_]+(\{[a-z_]+="[^"]*"\})? [0-9.e+-]+$')
[ "$bad" = 0 ] && pass metrics-parse || fail metrics-parse "$(grep -v '^#' metrics.txt | grep -Ev '^[a-z_]+(\{[a-z_]+="[^"]*"\})? [0-9.e+-]+$' | head -3)"
m() { awk -v k="$1" '$1 == k { print $2 }' metrics.txt; }
# Judged: hv1 trusted, hv2 trusted, hv1 untrusted (other nonce), hv2
# untrusted (relayed), hv1 trusted (the nonce refused with %00 after it),
# hv1 untrusted (tamper, twice).
[ "$(m 'hostgate_attestations_total{result="trusted"}')" = 3 ] &&
	[ "$(m 'hostgate_attestations_total{result="untrusted"}')" = 4 ] && pass metrics-attestations || fail metrics-attestations "$(grep attestations_total metrics.txt)"
[ "$(m 'hostgate_hosts{state="untrusted"}')" = 2 ] && [ "$(m 'hostgate_hosts{state="trusted"}')" = 0 ] && pass metrics-hosts-by-state || fail metrics-hosts-by-state "$(grep hostgate_hosts metrics.txt)"
[ "$(m 'hostgate_check_seconds_count')" = 7 ] && [ "$(m 'hostgate_check_seconds_bucket{le="+Inf"}')" = 7 ] && pass metrics-histogram || fail metrics-histogram "$(grep check_seconds metrics.txt)"
[ "$(m 'hostgate_failures_total{check="nonce"}')" = 1 ] && [ "$(m 'hostgate_failures_total{check="ak"}')" = 1 ] && pass metrics-failures-by-check || fail metrics-failures-by-check "$(grep failures_total metrics.txt)"
[ "$(m 'hostgate_nonces_refused_total{reason="used"}')" = 1 ] && [ "$(m 'hostgate_nonces_refused_total{reason="expired"}')" = 1 ] &&
	[ "$(m 'hostgate_nonces_refused_total{reason="foreign"}')" = 1 ] && pass metrics-nonces || fail metrics-nonces "$(grep nonces_refused metrics.txt)"
# The registry's time: six verdicts recorded are at least a begin, a
# statement and a commit each, and took some wall time.
rc=$(m hostgate_registry_calls_total) rs=$(m hostgate_registry_seconds_total)
[ "${rc:-0}" -ge 18 ] && awk -v s="${rs:-0}" 'BEGIN { exit !(s > 0 && s < 600) }' &&
	pass metrics-registry-time || fail metrics-registry-time "$(grep registry_ metrics.txt)"

# --- the workload scope (the gate's remote mode; docs/api.md) ---------------------
# A bad scope is refused before the nonce is spent; a scope naming a
# workload the log never measured is untrusted. (That a scope keeps other
# domains' files out of the EAR is t_gate_remote's fresh-ear-started: its
# log holds two domains, and the gate wants exactly one's digests.)
api hv1 /v1/nonce >r; nonce_of r >n9
"$HG_ATTEST" quote "${H_hv1[@]}" --nonce "$(cat n9)" -o scope.cbor >/dev/null 2>&1
scope_push() { api hv1 "/v1/attest?nonce=$(cat n9)$1" -X POST -H 'Content-Type: application/cbor' --data-binary @scope.cbor >r; }
scope_push "&workload=disk:/x.img"
[ "$(st)" = 400 ] && [ "$(body | jq -r .code)" = bad-workload ] && body | jq -r .error | grep -q 'workload "disk:/x.img": not KIND:NAME' &&
	pass scope-bad-kind-400 || fail scope-bad-kind-400 "$(cat r)"
scope_push "&workload=image:x.img"
[ "$(st)" = 400 ] && body | jq -r .error | grep -q 'NAME is not an absolute path' && pass scope-relative-name-400 || fail scope-relative-name-400 "$(cat r)"
# A refused value is shown escaped: the error stays one line.
scope_push "&workload=image:x%0Ainjected"
[ "$(st)" = 400 ] && [ "$(body | jq -r .error | wc -l)" = 1 ] && body | jq -r .error | grep -q 'image:x.*injected' &&
	pass scope-bad-name-shown-escaped || fail scope-bad-name-shown-escaped "$(cat r)"
scope_push "&workload=config"
[ "$(st)" = 400 ] && [ "$(body | jq -r .code)" = bad-workload ] && pass scope-no-name-400 || fail scope-no-name-400 "$(cat r)"
many=$(for i in $(seq 65); do printf '&workload=image:/i%d' "$i"; done)
scope_push "$many"
[ "$(st)" = 400 ] && body | jq -r .error | grep -q 'more than 64 workload' && pass scope-65-400 || fail scope-65-400 "$(cat r)"
scope_push "&workload=config:%2Fetc%2Flibvirt%2Fqemu%2Fnope.xml"
[ "$(st)" = 200 ] && [ "$(body | jq -r .state)" = untrusted ] && body | jq -c .verdict | grep -q /etc/libvirt/qemu/nope.xml &&
	pass scope-unmeasured-untrusted-nonce-unspent || fail scope-unmeasured-untrusted-nonce-unspent "$(head -c 600 r)"

# --- nonce bound per host ----------------------------------------------------------
for i in 1 2 3 4 5 6 7 8 9; do api hv2 /v1/nonce >r; done
[ "$(st)" = 429 ] && [ "$(body | jq -r .code)" = nonce-too-many ] && pass nonces-bounded || fail nonces-bounded "$(cat r)"

# --- silent clients: 40 connections that send nothing (and one that
# sends half a request) do not stop a host from pushing meanwhile --------------------
PORT=${SVC_URL##*:}
FDS=()
for i in $(seq 40); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && FDS+=("$fd"); done
exec {half}<>"/dev/tcp/127.0.0.1/$PORT"; printf '\x16\x03\x01\x00' >&$half
api hv1 /v1/nonce >r; nonce_of r >n8
push hv1 hv1 n8 r
[ "$(st)" = 200 ] && [ "${#FDS[@]}" = 40 ] && pass push-amid-silent-clients || fail push-amid-silent-clients "$(tail -c 200 r) (${#FDS[@]} fds)"
for fd in "${FDS[@]}" "$half"; do exec {fd}>&-; done

# --- a crash loses nothing; SIGTERM stops cleanly ------------------------------------
svc_stop
[ "$SVC_RC" = 0 ] && pass sigterm-exit-0 || fail sigterm-exit-0 "exit $SVC_RC"
expect_exit 0 state-survives "$HG_VERIFY" policy list
# A token-only service (no --client-ca): no token is 401.
svc_start --token-file tokens --interval 3600 || { fail serve-token-only "$(tail -2 serve.err)"; exit 1; }
api none /v1/hosts >r
[ "$(st)" = 401 ] && pass token-only-needs-token || fail token-only-needs-token "$(cat r)"
api none /v1/hosts -H "Authorization: Bearer $TOK_OP" >r
[ "$(st)" = 200 ] && [ "$(body | jq -r '.[] | select(.host == "hv1") | .state')" = untrusted ] && pass state-after-restart || fail state-after-restart "$(cat r)"
svc_stop
# Start-up refusals.
expect_exit 2 serve-needs-auth "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/verifier.pem --key pki/verifier.key
expect_err "needs --client-ca or --token-file" serve-needs-auth-why
chmod 644 tokens
expect_exit 2 serve-token-file-mode "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/verifier.pem --key pki/verifier.key --token-file tokens
expect_err "readable by group or others" serve-token-file-mode-why
printf 'operator short\n' >tokens-bad; chmod 600 tokens-bad
expect_exit 2 serve-token-too-short "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/verifier.pem --key pki/verifier.key --token-file tokens-bad
expect_err "tokens-bad:1: not \"operator TOKEN\" or \"host NAME TOKEN\"" serve-token-too-short-why
printf '# comment\nhost ../x %s\n' "$TOK_OP" >tokens-bad
expect_exit 2 serve-token-bad-host "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/verifier.pem --key pki/verifier.key --token-file tokens-bad
expect_err "tokens-bad:2:" serve-token-bad-host-why
expect_exit 2 serve-agent-half "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/verifier.pem --key pki/verifier.key --client-ca pki/ca.pem --agent-cert pki/verifier-agent.pem
expect_err "--agent-cert and --agent-key go together" serve-agent-half-why
expect_exit 2 serve-ear-key-not-key "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/verifier.pem --key pki/verifier.key --client-ca pki/ca.pem --ear-key pki/ca.pem
expect_exit 2 serve-bad-cert "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/ca.key --key pki/verifier.key --client-ca pki/ca.pem
expect_exit 2 serve-bad-interval "$HG_VERIFY" serve --listen 127.0.0.1:0 --cert pki/verifier.pem --key pki/verifier.key --client-ca pki/ca.pem --interval 0
expect_err "--interval \"0\": not 1..86400" serve-bad-interval-why
