#!/bin/bash
# t_serve_fleet.sh: several `hostgate-verify serve` instances sharing one
# registry (issue 15 part 2, docs/fleet.md). Three instances, 30 hosts
# simulated by tests/bench/simhosts.c (software AKs signing quotes of a
# real swtpm's template evidence, over real mutual TLS), a webhook
# receiver (tests/tools/hook_receiver.py):
#
#  (a) no host is attested twice in one interval, counted from the
#      verdict history (each row names the instance that recorded it),
#      and every instance takes a share;
#  (c) a tampered host's transition (trusted -> untrusted) reaches the
#      receiver exactly once, and so does every host's first judgement,
#      whichever instance recorded it;
#  (b) kill -9 one instance: each of its hosts is attested by another
#      within one interval;
#  (d) a push nonce issued by one instance is redeemed at another once,
#      then refused at a third (and at the second);
#  (e) the registry stops taking writes: /v1/health says the database is
#      unavailable (503), no host ever reads trusted on a verdict older
#      than --stale-after (they read unknown, "stale"), and once the
#      registry is back every instance resumes without a restart.
#
# The database: HG_TEST_DB=sqlite (default: one registry file, the
# instances' own locking) or HG_TEST_DB=postgresql (a private cluster from
# tests/tools/pgcluster.sh; needs the PostgreSQL backend). For (e)
# SQLite's writes are blocked by a process holding its write lock;
# PostgreSQL's server is stopped and started again (f).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svc.sh"
cd "$WORK" || exit 1

SIM=$BUILD/bench/simhosts
DBKIND=${HG_TEST_DB:-sqlite}
N=30
INTERVAL=6 JITTER=1 TIMEOUT=2 STALE=10
for t in python3 jq curl openssl; do
	command -v $t >/dev/null || { skip all "$t not found (tools/install-deps.sh)"; exit 0; }
done
[ -x "$SIM" ] || { skip all "$SIM not built (make all)"; exit 0; }
cp "$SIM" "$WORK/bin/simhosts" && SIM=$WORK/bin/simhosts

PIDS=() IDS=() URLS=()
SIM_PID='' HOOK_PID='' LOCK_PID='' PGDIR=''
_fleet_cleanup() {
	local p
	for p in "${PIDS[@]}" "$SIM_PID" "$HOOK_PID" "$LOCK_PID"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -n "$PGDIR" ] && "$ROOT/tests/tools/pgcluster.sh" stop "$PGDIR" >/dev/null 2>&1
	_svc_cleanup
}
trap _fleet_cleanup EXIT

# --- the database --------------------------------------------------------
case $DBKIND in
sqlite)
	mkdir -p vstate
	DB=$WORK/vstate/registry.sqlite
	# dbq SQL: the rows, columns separated by '|'.
	dbq() {
		python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=10)
for r in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))' "$DB" "$1"
	}
	;;
postgresql)
	[ -x "$ROOT/tests/tools/pgcluster.sh" ] ||
		{ skip all "tests/tools/pgcluster.sh missing (the PostgreSQL backend's branch)"; exit 0; }
	PGDIR=$WORK/pg
	DB=$("$ROOT/tests/tools/pgcluster.sh" start "$PGDIR" 2>pg.err) ||
		{ skip all "no PostgreSQL cluster: $(tail -1 pg.err)"; exit 0; }
	# From /: psql runs as postgres, who may not enter $WORK.
	dbq() { (cd / && "$ROOT/tests/tools/pgcluster.sh" psql "$PGDIR" -qAt -F'|' \
		-c "SET search_path = hostgate" -c "$1"); }
	# The CLI (policy add) finds the registry there too.
	export HOSTGATE_VERIFY_DB=$DB
	;;
*) fail db "HG_TEST_DB=$DBKIND: sqlite or postgresql"; exit 1 ;;
esac

# --- the template evidence and its policy (a real quote on a swtpm) ------
svc_ca
start_tpm sha256 --no-ek-certs
"$HG_ATTEST" init --ak-out tpl-ak.pub >/dev/null &&
	N0=$(openssl rand -hex 32) &&
	"$HG_ATTEST" quote --nonce "$N0" -o template.cbor >/dev/null &&
	"$HG_VERIFY" learn --ak tpl-ak.pub --nonce "$N0" template.cbor >pol.json ||
	{ fail setup "template quote or learn failed"; exit 1; }

for _ in $(seq 50); do
	PORT=$((20000 + RANDOM % 30000))
	ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . || break
done
"$SIM" enroll "$DB" keys "$N" "https://127.0.0.1:$PORT" 10 >/dev/null 2>sim-enroll.err ||
	{ fail setup "simhosts enroll: $(tail -1 sim-enroll.err)"; exit 1; }
"$HG_VERIFY" policy add fleet pol.json >/dev/null || { fail setup "policy add failed"; exit 1; }
for g in b0 b1 b2; do
	"$HG_VERIFY" policy assign fleet --group $g >/dev/null || { fail setup "policy assign failed"; exit 1; }
done
: >tamper
SIMHOSTS_TAMPER=$WORK/tamper "$SIM" serve keys template.cbor "127.0.0.1:$PORT" \
	pki/agent.pem pki/agent.key pki/ca.pem >sim.out 2>sim.err &
SIM_PID=$!
wait_for 10 grep -q '^listening on ' sim.out || { fail setup "simhosts did not start: $(cat sim.err)"; exit 1; }

# --- the webhook receiver, the tokens ----------------------------------
python3 "$ROOT/tests/tools/hook_receiver.py" --cert pki/hooks.pem --key pki/hooks.key \
	--out hooks.jsonl --portfile hooks.port 2>hooks.err &
HOOK_PID=$!
wait_for 10 test -s hooks.port || { fail setup "hook receiver did not start"; exit 1; }
printf 'whsec-%s\n' "$(openssl rand -hex 16)" >hook.secret
chmod 600 hook.secret
# sim00000 pushes too: its client certificate (CN = its name).
"$ROOT/tools/mkca.sh" "$WORK/pki" client sim00000 >/dev/null || { fail setup "mkca.sh failed"; exit 1; }

# start_instance ID: a serve instance on the shared registry.
start_instance() {
	local id=$1 i=${#PIDS[@]}
	rm -f "serve-$id.out"
	"$HG_VERIFY" serve --db "$DB" --listen 127.0.0.1:0 --instance-id "$id" \
		--cert pki/verifier.pem --key pki/verifier.key --client-ca pki/ca.pem \
		--agent-cert pki/verifier-agent.pem \
		--agent-key pki/verifier-agent.key --agent-ca pki/ca.pem \
		--interval $INTERVAL --jitter $JITTER --timeout $TIMEOUT --stale-after $STALE \
		--webhook "https://127.0.0.1:$(cat hooks.port)/hook" \
		--webhook-secret-file hook.secret --webhook-ca pki/ca.pem \
		>"serve-$id.out" 2>"serve-$id.err" &
	PIDS[i]=$!
	IDS[i]=$id
	wait_for 10 grep -qs '^listening on ' "serve-$id.out" ||
		{ fail "start-$id" "$(tail -3 "serve-$id.err")"; exit 1; }
	URLS[i]=https://$(sed -n 's/^listening on //p' "serve-$id.out")
}
# on I: the api helper against instance I.
on() { SVC_URL=${URLS[$1]}; }
count_state() { # count_state STATE: hosts reading STATE at the current instance
	api operator /v1/hosts >r && [ "$(st)" = 200 ] &&
		body | jq --arg s "$1" '[.[] | select(.state == $s)] | length'
}
all_trusted() { [ "$(count_state trusted)" = "$N" ]; }

T0=$(date +%s)
start_instance v1
start_instance v2
start_instance v3
on 0
wait_for 40 all_trusted && pass fleet-all-trusted ||
	fail fleet-all-trusted "$(count_state trusted) of $N trusted; $(tail -3 serve-v1.err)"
health3() {
	api operator /v1/health >r && [ "$(st)" = 200 ] &&
		[ "$(body | jq -r '.instance, .instances_live, .database' | tr '\n' ' ')" = "v1 3 ok " ]
}
wait_for 5 health3 && pass fleet-health-instances || fail fleet-health-instances "$(cat r)"

# (a) Run three intervals, then read the history.
sleep $((3 * INTERVAL))
# gaps SINCE: per host, its verdicts' times in order -> the least gap, and
# how many gaps are shorter than one interval (less a second: "at" is in
# whole seconds, the lease runs from the claim, the verdict from the end).
gaps() {
	dbq "SELECT host, at FROM verdicts WHERE at >= $1 AND host <> 'sim00000' ORDER BY host, id" |
		awk -F'|' -v min=$((INTERVAL - 1)) '
			$1 == h { g = $2 - t; if (g < least || least == "") least = g; if (g < min) bad++; n++ }
			{ h = $1; t = $2 }
			END { printf "%d %d %s\n", n, bad, least }'
}
read -r ngaps bad least < <(gaps "$T0")
[ "$ngaps" -ge $((2 * N)) ] && [ "$bad" = 0 ] &&
	pass fleet-once-per-interval ||
	fail fleet-once-per-interval "$bad of $ngaps successive verdicts closer than $((INTERVAL - 1)) s (least $least s)"
echo "  ($ngaps successive verdicts, least gap $least s, interval $INTERVAL s)"
share=$(dbq "SELECT instance, count(*) FROM verdicts WHERE at >= $T0 GROUP BY instance ORDER BY instance" | tr '\n' ' ')
echo "  (verdicts by instance: $share)"
[ "$(dbq "SELECT count(DISTINCT instance) FROM verdicts WHERE at >= $((T0 + 2 * INTERVAL)) AND instance IS NOT NULL")" = 3 ] &&
	pass fleet-shared || fail fleet-shared "verdicts by instance: $share"

# (c) Tamper with one host: its trusted -> untrusted reaches the receiver
# once, as each host's first judgement did.
echo sim00005 >tamper
hooks_for() { # hooks_for HOST TO: events delivered for HOST's move to TO
	jq -r .body hooks.jsonl 2>/dev/null | jq -r --arg h "$1" --arg t "$2" \
		'select(.host == $h and .to == $t) | .at' | wc -l
}
tamper_seen() { [ "$(hooks_for sim00005 untrusted)" -ge 1 ]; }
wait_for 30 tamper_seen && pass fleet-tamper-hook ||
	fail fleet-tamper-hook "no event; sim00005: $(api operator /v1/hosts/sim00005 | sed '$d' | jq -c '{state, failures}')"
sleep $((2 * INTERVAL))
n=$(hooks_for sim00005 untrusted)
jq -c 'select(.body | fromjson | .host == "sim00005" and .to == "untrusted") |
	{delivered: (.timestamp | tonumber), at: (.body | fromjson | .at | fromdateiso8601)}' hooks.jsonl |
	sed 's/^/  (tamper event: /; s/$/)/'
grep -h -i 'webhook\|outbox\|registry' serve-v*.err | head -5
[ "$n" = 1 ] && pass fleet-tamper-hook-once || fail fleet-tamper-hook-once "$n deliveries"
first=$(jq -r .body hooks.jsonl | jq -r 'select(.from == "unknown" and .to == "trusted") | .host' | sort)
[ "$(echo "$first" | wc -l)" = "$N" ] && [ "$(echo "$first" | uniq | wc -l)" = "$N" ] &&
	pass fleet-first-hooks-once ||
	fail fleet-first-hooks-once "$(echo "$first" | wc -l) events for $(echo "$first" | uniq | wc -l) hosts"
dup=$(jq -r .body hooks.jsonl | jq -r '[.host, .from, .to, .at] | join(" ")' | sort | uniq -d | head -3)
[ -z "$dup" ] && pass fleet-no-duplicate-hook || fail fleet-no-duplicate-hook "$dup"
secret=$(head -c -1 hook.secret)
bad=0
while read -r line; do
	ts=$(jq -r .timestamp <<<"$line")
	want="sha256=$(jq -j .body <<<"$line" | (printf '%s.' "$ts"; cat) |
		openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)"
	[ "$want" = "$(jq -r .signature <<<"$line")" ] || bad=$((bad + 1))
done <hooks.jsonl
[ "$bad" = 0 ] && pass fleet-hooks-signed || fail fleet-hooks-signed "$bad bad signatures"
: >tamper
[ "$(dbq "SELECT count(*) FROM outbox")" -le 2 ] && pass fleet-outbox-drained ||
	fail fleet-outbox-drained "$(dbq "SELECT count(*) FROM outbox") rows left"

# (b) kill -9 v2: the hosts it attested last go to v1 and v3 within one
# interval.
sleep 2
K=$(date +%s)
mapfile -t gone < <(dbq "SELECT v.host FROM verdicts v WHERE v.id = (SELECT max(id)
	FROM verdicts w WHERE w.host = v.host) AND v.instance = 'v2' ORDER BY v.host")
kill -9 "${PIDS[1]}"
wait "${PIDS[1]}" 2>/dev/null
PIDS[1]=''
taken() { # every host of GONE has a verdict by another instance after K
	local h
	for h in "${gone[@]}"; do
		[ -n "$(dbq "SELECT 1 FROM verdicts WHERE host = '$h' AND at > $K AND instance <> 'v2' LIMIT 1")" ] || return 1
	done
}
if [ "${#gone[@]}" -ge 1 ] && wait_for $((INTERVAL + JITTER + 2)) taken; then
	pass fleet-takeover
else
	fail fleet-takeover "${#gone[@]} hosts of v2; not all attested by others within $((INTERVAL + JITTER + 2)) s"
fi
late=$(for h in "${gone[@]}"; do dbq "SELECT min(at) FROM verdicts WHERE host = '$h' AND at > $K"; done |
	awk -v k="$K" 'BEGIN { m = 0 } { if ($1 - k > m) m = $1 - k } END { print m }')
# The gap each of them saw: its last verdict by v2 to its first by another.
gap=$(for h in "${gone[@]}"; do
	dbq "SELECT (SELECT min(at) FROM verdicts WHERE host = '$h' AND at > $K) -
		(SELECT max(at) FROM verdicts WHERE host = '$h' AND at <= $K AND instance = 'v2')"
done | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }')
echo "  (${#gone[@]} hosts of v2 taken over, the last $late s after the kill; the longest gap between two of a host's verdicts across it $gap s, interval $INTERVAL + jitter $JITTER s)"
# The others count v2 dead 5-6 s after its last heartbeat (lease.c): a
# host it attested just before dying waits that long beyond its interval.
[ "$gap" -le $((INTERVAL + JITTER + 7)) ] && pass fleet-takeover-gap ||
	fail fleet-takeover-gap "a host went $gap s without a verdict (interval $INTERVAL + jitter $JITTER + 7)"
on 0
wait_for 10 sh -c "curl -sS --cacert pki/ca.pem --cert pki/operator.pem --key pki/operator.key \
	${URLS[0]}/v1/health | jq -e '.instances_live == 2' >/dev/null" &&
	pass fleet-dead-not-live || fail fleet-dead-not-live "$(api operator /v1/health)"
read -r ngaps bad least < <(gaps "$T0")
[ "$bad" = 0 ] && pass fleet-once-per-interval-takeover ||
	fail fleet-once-per-interval-takeover "$bad of $ngaps gaps under $((INTERVAL - 1)) s (least $least s)"

# (d) A push nonce from v1, redeemed at v3 once, refused after at v3 and v1.
tapi() { # tapi INSTANCE PATH [curl args]: as host sim00000
	local i=$1
	shift
	on "$i"
	api sim00000 "$@"
}
tapi 0 /v1/nonce >r
nonce=$(body | jq -r .nonce)
if [ "$(st)" = 200 ] && [ ${#nonce} = 64 ]; then
	curl -sS --max-time 20 --cacert pki/ca.pem --cert pki/verifier-agent.pem \
		--key pki/verifier-agent.key -d "{\"nonce\": \"$nonce\"}" \
		"https://127.0.0.1:$PORT/h/sim00000/v1/evidence" -o push.cbor
	tapi 2 "/v1/attest?nonce=$nonce" -H 'Content-Type: application/cbor' --data-binary @push.cbor >r
	[ "$(st)" = 200 ] && [ "$(body | jq -r .state)" = trusted ] &&
		pass fleet-push-other-instance || fail fleet-push-other-instance "$(cat r)"
	tapi 2 "/v1/attest?nonce=$nonce" -H 'Content-Type: application/cbor' --data-binary @push.cbor >r
	[ "$(st)" = 409 ] && [ "$(body | jq -r .code)" = nonce-used ] &&
		pass fleet-push-replay-same || fail fleet-push-replay-same "$(cat r)"
	tapi 0 "/v1/attest?nonce=$nonce" -H 'Content-Type: application/cbor' --data-binary @push.cbor >r
	[ "$(st)" = 409 ] && [ "$(body | jq -r .code)" = nonce-used ] &&
		pass fleet-push-replay-issuer || fail fleet-push-replay-issuer "$(cat r)"
else
	fail fleet-push-nonce "$(cat r)"
fi

# (e) The registry stops taking writes.
db_block() {
	case $DBKIND in
	sqlite)
		# WAL: readers go on; every write waits for the lock, then fails.
		python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(600)' "$DB" >lock.out 2>lock.err &
		LOCK_PID=$!
		wait_for 10 grep -q locked lock.out ;;
	postgresql)
		local cl
		cl=$(cat "$PGDIR/cluster")
		(cd / && runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$cl/data" stop -m fast >/dev/null) ;;
	esac
}
db_unblock() {
	case $DBKIND in
	sqlite) kill "$LOCK_PID"; wait "$LOCK_PID" 2>/dev/null; LOCK_PID='' ;;
	postgresql)
		local cl
		cl=$(cat "$PGDIR/cluster")
		# As pgcluster.sh started it: its port and socket directory.
		(cd / && runuser -u postgres -- env HG_RUN_ID="$HG_RUN_ID" LC_ALL=C.UTF-8 \
			/usr/lib/postgresql/*/bin/pg_ctl -D "$cl/data" -l "$cl/log" -w -t 30 start \
			-o "-p $(cat "$PGDIR/port") -c listen_addresses=127.0.0.1 -c unix_socket_directories=$cl -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
			>/dev/null) ;;
	esac
}
health_down() {
	api operator /v1/health >r
	[ "$(st)" = 503 ] && [ "$(body | jq -r .database)" = unavailable ]
}
# trusted_stale: hosts reading trusted on a verdict older than --stale-after
# (with a second for the read itself), at the current instance.
trusted_stale() {
	api operator /v1/hosts >r || return 0
	[ "$(st)" = 200 ] || { echo 0; return 0; }
	body | jq --argjson now "$(date +%s)" --argjson s $((STALE + 1)) \
		'[.[] | select(.state == "trusted" and (.checked_at | fromdateiso8601) < $now - $s)] | length'
}
if db_block; then
	B=$(date +%s)
	on 0
	wait_for 15 health_down && pass fleet-health-db-down || fail fleet-health-db-down "$(cat r)"
	[ "$(body | jq -r .status)" = degraded ] && body | jq -e '.database_error | length > 0' >/dev/null &&
		pass fleet-health-db-reason || fail fleet-health-db-reason "$(cat r)"
	# Until every host has gone stale: never trusted on a stale verdict.
	viol=0
	while [ $(($(date +%s) - B)) -le $((STALE + INTERVAL + 4)) ]; do
		for i in 0 2; do
			on $i
			v=$(trusted_stale)
			[ "${v:-0}" = 0 ] || viol=$((viol + v))
		done
		sleep 1
	done
	[ "$viol" = 0 ] && pass fleet-never-trusted-stale || fail fleet-never-trusted-stale "$viol stale trusted reads"
	# Readable but stale (SQLite: readers go on): every host unknown,
	# stale. Not readable at all (PostgreSQL stopped): 503, no state.
	on 2
	api operator /v1/hosts >r
	if [ "$(st)" = 503 ]; then
		[ "$DBKIND" = postgresql ] && [ "$(body | jq -r .code)" = registry-unavailable ] &&
			pass fleet-stale-reads-unknown || fail fleet-stale-reads-unknown "$(cat r)"
	else
		[ "$(st)" = 200 ] &&
			[ "$(body | jq '[.[] | select(.state == "unknown" and .stale == true and .recorded_state == "trusted")] | length')" = "$N" ] &&
			pass fleet-stale-reads-unknown ||
			fail fleet-stale-reads-unknown "$(st): $(body | jq -c '[.[] | .state] | group_by(.) | map({(.[0]): length}) | add' 2>/dev/null)"
	fi
	api operator /metrics >r
	grep -q '^hostgate_registry_up 0$' r && ! grep -q '^hostgate_hosts{state="trusted"} [1-9]' r &&
		{ grep -q '^hostgate_hosts{state="trusted"} 0$' r || [ "$DBKIND" = postgresql ]; } &&
		pass fleet-metrics-stale || fail fleet-metrics-stale "$(grep -E '^hostgate_(registry_up|hosts)' r | tr '\n' ' ')"
	db_unblock
	ok_all() {
		for i in 0 2; do
			on $i
			api operator /v1/health >r && [ "$(st)" = 200 ] || return 1
		done
		on 0
		all_trusted
	}
	wait_for $((3 * INTERVAL + 10)) ok_all && pass fleet-resumes ||
		fail fleet-resumes "$(cat r | head -c 300); $(count_state trusted) trusted"
	grep -q 'registry available again' serve-v1.err && pass fleet-resume-logged ||
		fail fleet-resume-logged "$(tail -3 serve-v1.err)"
else
	fail fleet-db-block "could not block the database: $(cat lock.err 2>/dev/null)"
fi

# A clean stop releases the instance's leases at once.
kill -TERM "${PIDS[2]}"
wait "${PIDS[2]}"
rc=$?
PIDS[2]=''
[ "$rc" = 0 ] && [ "$(dbq "SELECT count(*) FROM hosts WHERE lease_owner = 'v3'")" = 0 ] &&
	[ "$(dbq "SELECT count(*) FROM instances WHERE id = 'v3'")" = 0 ] &&
	pass fleet-stop-releases || fail fleet-stop-releases "rc $rc; $(dbq "SELECT count(*) FROM hosts WHERE lease_owner = 'v3'") leases left"
exit 0
