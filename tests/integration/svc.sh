# svc.sh: what the verifier service's tests share (sourced after lib.sh):
# certificates from tools/mkca.sh, enrolled swtpm hosts, a `serve` started
# in the background and stopped on exit, and curl as the client.
#
#   svc_ca                       $WORK/pki: CA, server "verifier", clients
#                                "operator", "stranger" and "verifier-agent";
#                                $WORK/pki-other: another CA and its "hv1"
#   svc_host NAME BANKS          a swtpm, init, enrolled as NAME; sets
#                                H_<NAME> (the hostgate-attest options)
#   svc_start ARGS...            serve on 127.0.0.1:0 with the registry
#                                $WORK/vstate/registry.sqlite (or the
#                                cluster's, HG_TEST_PG=1); sets SVC_PID,
#                                SVC_URL; its stderr in $WORK/serve.err
#   svc_stop                     SIGTERM, wait; sets SVC_RC
#   api CERT PATH [curl args]    curl with client certificate CERT (a name in
#                                $WORK/pki, or "none"); prints the body, then
#                                the status on the last line

#
# HG_TEST_PG=1: the registry is a private PostgreSQL cluster
# (tests/tools/pgcluster.sh, stopped on exit) instead of
# $WORK/vstate/registry.sqlite: every hostgate-verify command of the test
# (enroll, hosts, policy, serve) reaches it through HOSTGATE_VERIFY_DB.

export HOSTGATE_VERIFY_STATE=$WORK/vstate
unset HOSTGATE_VERIFY_DB
if [ "${HG_TEST_PG:-}" = 1 ]; then
	start_pg "$WORK/pg" || { fail svc-pg "no PostgreSQL cluster (tests/tools/pgcluster.sh)"; exit 1; }
	export HOSTGATE_VERIFY_DB=$PG_URI
	echo "  (registry: PostgreSQL, $(sed 's|://[^:]*:[^@]*@|://***@|' <<<"$PG_URI"))"
fi
SVC_PID=
_svc_cleanup() {
	[ -n "$SVC_PID" ] && kill "$SVC_PID" 2>/dev/null && wait "$SVC_PID" 2>/dev/null
	[ -n "${STUB_PID:-}" ] && kill "$STUB_PID" 2>/dev/null && wait "$STUB_PID" 2>/dev/null
	cleanup
}
trap _svc_cleanup EXIT

svc_ca() {
	local t=$ROOT/tools/mkca.sh
	"$t" "$WORK/pki" ca && "$t" "$WORK/pki" server verifier &&
		"$t" "$WORK/pki" server agent && "$t" "$WORK/pki" server hooks &&
		"$t" "$WORK/pki" client operator && "$t" "$WORK/pki" client stranger &&
		"$t" "$WORK/pki" client verifier-agent &&
		"$t" "$WORK/pki-other" ca && "$t" "$WORK/pki-other" client hv1 ||
		{ fail svc-ca "mkca.sh failed"; exit 1; }
}

# svc_host NAME: a host on its own swtpm, enrolled (t_enroll_tpm.sh's
# steps) with a client certificate of its own name.
svc_host() {
	local name=$1 st
	start_tpm sha256
	st=$WORK/st-$name
	eval "H_${name//-/_}=(--tcti \"$TCTI\" --state \"$st\" --log \"$WORK/$name.cel\")"
	local -n h="H_${name//-/_}"
	mkdir -p "$WORK/tpmca"
	cp "$SWTPM_DIR/ca/issuercert.pem" "$WORK/tpmca/$name-int.pem"
	cp "$SWTPM_DIR/ca/swtpm-localca-rootca-cert.pem" "$WORK/tpmca/$name-root.pem"
	"$HG_ATTEST" init "${h[@]}" >/dev/null &&
		"$HG_ATTEST" enroll-request "${h[@]}" -o "$WORK/req-$name.cbor" >/dev/null &&
		"$HG_VERIFY" enroll --host "$name" --ca "$WORK/tpmca" --ek rsa "$WORK/req-$name.cbor" \
			-o "$WORK/ch-$name.cbor" >/dev/null &&
		"$HG_ATTEST" activate "${h[@]}" "$WORK/ch-$name.cbor" -o "$WORK/resp-$name.cbor" >/dev/null &&
		"$HG_VERIFY" enroll --finish "$WORK/resp-$name.cbor" >/dev/null &&
		"$ROOT/tools/mkca.sh" "$WORK/pki" client "$name" ||
		{ fail "svc-host-$name" "enrollment failed"; exit 1; }
	tpm2_flushcontext -T "$TCTI" -t >/dev/null 2>&1
	tpm2_flushcontext -T "$TCTI" -s >/dev/null 2>&1
}

svc_start() {
	local i
	rm -f "$WORK/serve.out"
	"$HG_VERIFY" serve --db "${HOSTGATE_VERIFY_DB:-$WORK/vstate/registry.sqlite}" --listen 127.0.0.1:0 \
		--cert "$WORK/pki/verifier.pem" --key "$WORK/pki/verifier.key" "$@" \
		>"$WORK/serve.out" 2>>"$WORK/serve.err" &
	SVC_PID=$!
	for i in $(seq 100); do
		grep -q '^listening on ' "$WORK/serve.out" 2>/dev/null && break
		kill -0 "$SVC_PID" 2>/dev/null || break
		sleep 0.1
	done
	SVC_URL=https://$(sed -n 's/^listening on //p' "$WORK/serve.out")
	[ "$SVC_URL" != https:// ]
}

svc_stop() {
	kill -TERM "$SVC_PID" 2>/dev/null
	wait "$SVC_PID"
	SVC_RC=$?
	SVC_PID=
}

api() {
	local who=$1 path=$2
	shift 2
	local cert=()
	[ "$who" != none ] && cert=(--cert "$WORK/pki/$who.pem" --key "$WORK/pki/$who.key")
	case $who in other-*) cert=(--cert "$WORK/pki-other/${who#other-}.pem" --key "$WORK/pki-other/${who#other-}.key") ;; esac
	curl -sS --max-time 20 --cacert "$WORK/pki/ca.pem" "${cert[@]}" -w '\n%{http_code}' "$@" "$SVC_URL$path"
}

# body / status of the last api call saved with: api ... >"$WORK/r"
st() { tail -n 1 "$WORK/r"; }
body() { sed '$d' "$WORK/r"; }

# wait_for SECONDS CMD...: until CMD succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
