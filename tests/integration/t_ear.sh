#!/bin/bash
# t_ear.sh: signed attestation results (EAR, docs/ear.md) end to end: a
# real swtpm quote, 'check --measured' verdict, 'ear issue', 'ear verify';
# and every way a token must be refused, each pinned to its exit code and
# its reason. The COSE signature is also checked by openssl alone over a
# Sig_structure (RFC 9052 §4.4) this script builds, so the format is not
# only hostgate's own idea of it.
. "$(dirname "$0")/lib.sh"

N=00112233445566778899aabbccddeeff
N2=ffeeddccbbaa99887766554433221100
start_tpm sha1,sha256 --no-ek-certs
"$HG_ATTEST" init --ak-out "$WORK/ak.pub" >/dev/null || { fail setup "init failed"; exit 1; }
mkdir -p "$WORK/files"
printf '<domain type="kvm"><name>vm1</name></domain>\n' >"$WORK/files/vm1.xml"
TRUE=$(readlink -f /bin/true)
"$HG_ATTEST" measure --kind hypervisor "$TRUE" >/dev/null &&
	"$HG_ATTEST" measure --kind config "$WORK/files/vm1.xml" >/dev/null &&
	"$HG_ATTEST" quote --nonce "$N" -o "$WORK/ev.cbor" >/dev/null &&
	"$HG_VERIFY" learn "$WORK/ev.cbor" >"$WORK/pol.json" ||
	{ fail setup "measure, quote or learn failed"; exit 1; }

# The verifier's key, and someone else's.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$WORK/k.pem" &&
	openssl pkey -in "$WORK/k.pem" -pubout -out "$WORK/pub.pem" &&
	openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$WORK/k2.pem" &&
	openssl pkey -in "$WORK/k2.pem" -pubout -out "$WORK/pub2.pem" &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.pem" 2>/dev/null ||
	{ fail setup "openssl key generation failed"; exit 1; }

check() {   # check EVIDENCE NONCE OUT: the verdict with its measured records
	"$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce "$2" --policy "$WORK/pol.json" \
		--measured "$1" >"$3" 2>/dev/null
}

# --- a trusted host -------------------------------------------------------
check "$WORK/ev.cbor" "$N" "$WORK/v.json"
expect_exit 0 issue-trusted "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/v.json" \
	--verifier-id acme --policy-id pol-1 --submod host-a -o "$WORK/t.cbor"
expect_exit 0 verify-trusted "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" \
	--nonce "$N" --host host-a
cp "$WORK/last.out" "$WORK/claims.json"
if [ "$(jq -r '.submods["host-a"]["ear.status"]' "$WORK/claims.json")" = affirming ] &&
	[ "$(jq -r '.eat_nonce' "$WORK/claims.json")" = "$N" ] &&
	[ "$(jq -r '.["ear.verifier-id"].developer' "$WORK/claims.json")" = acme ] &&
	[ "$(jq -r '.submods["host-a"]["ear.appraisal-policy-id"]' "$WORK/claims.json")" = pol-1 ] &&
	[ "$(jq -r '.submods["host-a"]["ear.trustworthiness-vector"]["instance-identity"]' "$WORK/claims.json")" = 2 ]; then
	pass claims-trusted
else
	fail claims-trusted "$(head -c 400 "$WORK/claims.json")"
fi
# The digests it vouches for are the files' own (sha256sum, not hostgate).
want=$(sha256sum "$WORK/files/vm1.xml" | cut -d' ' -f1)
got=$(jq -r --arg n "$WORK/files/vm1.xml" '.submods["host-a"]["hostgate.measured"][]
	| select(.kind == "config" and .name == $n and .alg == "sha256") | .digest' "$WORK/claims.json")
[ -n "$want" ] && [ "$got" = "$want" ] && pass digest-config || fail digest-config "got '$got' want '$want'"
want=$(sha256sum "$TRUE" | cut -d' ' -f1)
got=$(jq -r '.submods["host-a"]["hostgate.measured"][] | select(.kind == "hypervisor" and .alg == "sha256") | .digest' "$WORK/claims.json")
[ "$got" = "$want" ] && pass digest-hypervisor || fail digest-hypervisor "got '$got' want '$want'"
# Without --measured, the result vouches for no digest.
"$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce "$N" --policy "$WORK/pol.json" "$WORK/ev.cbor" \
	>"$WORK/v0.json" 2>/dev/null
"$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/v0.json" -o "$WORK/t0.cbor" 2>/dev/null
"$HG_VERIFY" ear verify "$WORK/t0.cbor" --key "$WORK/pub.pem" >"$WORK/c0.json" 2>/dev/null
[ "$(jq -r '.submods.host["hostgate.measured"] // "none"' "$WORK/c0.json")" = none ] &&
	pass no-measured-no-digests || fail no-measured-no-digests "$(head -c 300 "$WORK/c0.json")"

# A VM's result (check --workload): its own config only, never another
# VM's, with the host's records beside it.
printf '<domain type="kvm"><name>vm2</name></domain>\n' >"$WORK/files/vm2.xml"
"$HG_ATTEST" measure --kind config "$WORK/files/vm2.xml" >/dev/null &&
	"$HG_ATTEST" quote --nonce "$N" -o "$WORK/evs.cbor" >/dev/null || fail setup-scope "quote failed"
"$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce "$N" --policy "$WORK/pol.json" --measured \
	--workload "config:$WORK/files/vm1.xml" "$WORK/evs.cbor" >"$WORK/vs.json" 2>/dev/null
"$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/vs.json" \
	--submod vm:6f9c8e2a-0000-4000-8000-000000000001 -o "$WORK/ts.cbor" 2>/dev/null
expect_exit 0 verify-vm-scoped "$HG_VERIFY" ear verify "$WORK/ts.cbor" --key "$WORK/pub.pem" \
	--host vm:6f9c8e2a-0000-4000-8000-000000000001
names=$(jq -r '.submods[]["hostgate.measured"][] | select(.alg == "sha256") | "\(.kind) \(.name)"' \
	"$WORK/last.out" | sort | tr '\n' ';')
want="config $WORK/files/vm1.xml;hypervisor $TRUE;"
[ "$names" = "$want" ] && pass vm-scoped-digests || fail vm-scoped-digests "got '$names' want '$want'"

# --- expiry: valid until exp, refused at exp ------------------------------
exp=$(jq -r .exp "$WORK/claims.json")
iat=$(jq -r .iat "$WORK/claims.json")
[ $((exp - iat)) -eq 300 ] && pass default-ttl-300 || fail default-ttl-300 "exp-iat=$((exp - iat))"
expect_exit 0 verify-before-exp "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" --now $((exp - 1))
expect_exit 3 verify-expired "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" --now "$exp"
expect_err "t.cbor: expired (exp $exp, now $exp)" verify-expired-reason
expect_exit 3 verify-future "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" --now $((iat - 61))
expect_err "issued in the future" verify-future-reason
"$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/v.json" --ttl 5 -o "$WORK/t5.cbor" 2>/dev/null
e5=$("$HG_VERIFY" ear verify "$WORK/t5.cbor" --key "$WORK/pub.pem" 2>/dev/null | jq -r .exp)
expect_exit 3 verify-ttl5-expired "$HG_VERIFY" ear verify "$WORK/t5.cbor" --key "$WORK/pub.pem" --now "$e5"

# --- refusals -------------------------------------------------------------
expect_exit 3 verify-other-key "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub2.pem"
expect_err "signature does not verify with this key" verify-other-key-reason
if [ ! -s "$WORK/last.out" ]; then pass other-key-no-stdout; else fail other-key-no-stdout "printed claims"; fi
expect_exit 3 verify-wrong-nonce "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" --nonce "$N2"
expect_err "eat_nonce is not the --nonce given" verify-wrong-nonce-reason
expect_exit 3 verify-other-host "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" --host host-b
expect_err "no submodule for host \"host-b\"" verify-other-host-reason
# A token signed by another verifier's key, for the same verdict.
"$HG_VERIFY" ear issue --key "$WORK/k2.pem" --verdict "$WORK/v.json" -o "$WORK/t2.cbor" 2>/dev/null
expect_exit 3 verify-forged "$HG_VERIFY" ear verify "$WORK/t2.cbor" --key "$WORK/pub.pem"
# One byte of the payload changed (the submodule's status region).
size=$(stat -c %s "$WORK/t.cbor")
cp "$WORK/t.cbor" "$WORK/tamper.cbor"
printf '\x01' | dd of="$WORK/tamper.cbor" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_exit 3 verify-tampered "$HG_VERIFY" ear verify "$WORK/tamper.cbor" --key "$WORK/pub.pem"
expect_err "signature does not verify" verify-tampered-reason
head -c $((size - 1)) "$WORK/t.cbor" >"$WORK/trunc.cbor"
expect_exit 3 verify-truncated "$HG_VERIFY" ear verify "$WORK/trunc.cbor" --key "$WORK/pub.pem"
{ cat "$WORK/t.cbor"; printf '\x00'; } >"$WORK/trail.cbor"
expect_exit 3 verify-trailing "$HG_VERIFY" ear verify "$WORK/trail.cbor" --key "$WORK/pub.pem"
expect_err "1 trailing bytes after the COSE_Sign1" verify-trailing-reason
head -c $((1024 * 1024 + 1)) /dev/zero >"$WORK/big.cbor"
expect_exit 3 verify-oversize "$HG_VERIFY" ear verify "$WORK/big.cbor" --key "$WORK/pub.pem"
expect_err "more than 1048576" verify-oversize-reason

# --- usage and unreadable inputs: 2 ---------------------------------------
expect_exit 2 verify-no-key "$HG_VERIFY" ear verify "$WORK/t.cbor"
expect_exit 2 verify-missing-token "$HG_VERIFY" ear verify "$WORK/nope.cbor" --key "$WORK/pub.pem"
expect_exit 2 verify-rsa-key "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/rsa.pem"
expect_exit 2 verify-private-as-public "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/k.pem"
expect_exit 2 verify-bad-nonce "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" --nonce 12
expect_exit 2 verify-bad-now "$HG_VERIFY" ear verify "$WORK/t.cbor" --key "$WORK/pub.pem" --now -5
expect_exit 2 ear-no-subcommand "$HG_VERIFY" ear
expect_exit 2 issue-no-verdict "$HG_VERIFY" ear issue --key "$WORK/k.pem"
expect_exit 2 issue-ttl-zero "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/v.json" --ttl 0
expect_exit 2 issue-ttl-too-long "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/v.json" --ttl 86401
expect_exit 2 issue-public-key "$HG_VERIFY" ear issue --key "$WORK/pub.pem" --verdict "$WORK/v.json"
printf '{"version":1,"verdict":"trusted"}\n' >"$WORK/short.json"
expect_exit 2 issue-not-a-verdict "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/short.json"
expect_err "short.json: verdict has no \"checks\" array" issue-not-a-verdict-reason
jq '.failures = [{"check":"policy","reason":"forged"}]' "$WORK/v.json" >"$WORK/liar.json"
expect_exit 2 issue-inconsistent-verdict "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/liar.json"
expect_err "verdict says trusted but not every check passed" issue-inconsistent-verdict-reason
{ cat "$WORK/v.json"; echo '{}'; } >"$WORK/two.json"
expect_exit 2 issue-two-json-values "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/two.json"

# --- an untrusted host: valid token, contraindicated, exit 1 --------------
printf '<domain type="kvm"><name>vm1</name><evil/></domain>\n' >"$WORK/files/vm1.xml"
"$HG_ATTEST" measure --kind config "$WORK/files/vm1.xml" >/dev/null &&
	"$HG_ATTEST" quote --nonce "$N2" -o "$WORK/ev2.cbor" >/dev/null || fail setup-untrusted "quote failed"
check "$WORK/ev2.cbor" "$N2" "$WORK/v2.json"
[ "$(jq -r .verdict "$WORK/v2.json")" = untrusted ] && pass verdict-untrusted ||
	fail verdict-untrusted "$(jq -r .verdict "$WORK/v2.json")"
expect_exit 0 issue-untrusted "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/v2.json" \
	--submod host-a -o "$WORK/tu.cbor"
expect_exit 1 verify-untrusted "$HG_VERIFY" ear verify "$WORK/tu.cbor" --key "$WORK/pub.pem" --nonce "$N2" --host host-a
expect_err "submodule \"host-a\" is contraindicated" verify-untrusted-reason
cp "$WORK/last.out" "$WORK/cu.json"
if [ "$(jq -r '.submods["host-a"]["ear.status"]' "$WORK/cu.json")" = contraindicated ] &&
	[ "$(jq -r '.submods["host-a"]["ear.trustworthiness-vector"].configuration' "$WORK/cu.json")" = 96 ] &&
	[ "$(jq -r '.submods["host-a"]["ear.trustworthiness-vector"].executables' "$WORK/cu.json")" = 2 ]; then
	pass claims-untrusted
else
	fail claims-untrusted "$(head -c 400 "$WORK/cu.json")"
fi
# The config out of policy (the latest record) is not vouched for.
bad=$(sha256sum "$WORK/files/vm1.xml" | cut -d' ' -f1)
if jq -r '.submods["host-a"]["hostgate.measured"][]?.digest' "$WORK/cu.json" | grep -qx "$bad"; then
	fail untrusted-digest-not-vouched "the refused config's digest is in the result"
else
	pass untrusted-digest-not-vouched
fi

# --- invalid evidence (a replayed quote): contraindicated, exit 1 ---------
"$HG_VERIFY" check --ak "$WORK/ak.pub" --nonce "$N2" --policy "$WORK/pol.json" --measured \
	"$WORK/ev.cbor" >"$WORK/v3.json" 2>/dev/null
expect_exit 0 issue-invalid "$HG_VERIFY" ear issue --key "$WORK/k.pem" --verdict "$WORK/v3.json" -o "$WORK/ti.cbor"
expect_exit 1 verify-invalid-evidence "$HG_VERIFY" ear verify "$WORK/ti.cbor" --key "$WORK/pub.pem"
if [ "$(jq -r '.submods.host["ear.trustworthiness-vector"]["instance-identity"]' "$WORK/last.out")" = 99 ] &&
	[ "$(jq -r '.submods.host["hostgate.measured"] // "none"' "$WORK/last.out")" = none ]; then
	pass claims-invalid
else
	fail claims-invalid "$(head -c 400 "$WORK/last.out")"
fi

# --- interop: openssl alone checks the COSE_Sign1 signature ----------------
# The token is 18([h'a10126', {}, payload, sig]): cut the payload and the
# r||s signature out by their CBOR heads, build
# Sig_structure = ["Signature1", h'a10126', h'', payload] and let openssl
# verify ECDSA-SHA256 over it (the signature re-encoded as DER by
# openssl asn1parse, from r and s).
hex=$(bin2hex <"$WORK/t.cbor")
if [ "${hex:0:14}" != d28443a10126a0 ]; then
	fail interop-openssl "unexpected envelope head ${hex:0:14}"
else
	rest=${hex:14}
	case ${rest:0:2} in
	58) plen=$((16#${rest:2:2})); phead=${rest:0:4} ;;
	59) plen=$((16#${rest:2:4})); phead=${rest:0:6} ;;
	*) plen=-1 ;;
	esac
	if [ "$plen" -lt 0 ]; then
		fail interop-openssl "unexpected payload head ${rest:0:6}"
	else
		payload=${rest:${#phead}:$((plen * 2))}
		sigpart=${rest:$((${#phead} + plen * 2))}
		r=${sigpart:4:64} s=${sigpart:68:64}
		printf '846a5369676e61747572653143a1012640%s%s' "$phead" "$payload" | hex2bin >"$WORK/tbs.bin"
		printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "$r" "$s" >"$WORK/sig.cnf"
		openssl asn1parse -genconf "$WORK/sig.cnf" -out "$WORK/sig.der" >/dev/null 2>&1
		if [ "${sigpart:0:4}" = 5840 ] && [ ${#sigpart} -eq 132 ] &&
			openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig.der" "$WORK/tbs.bin" >/dev/null 2>&1 &&
			! openssl dgst -sha256 -verify "$WORK/pub2.pem" -signature "$WORK/sig.der" "$WORK/tbs.bin" >/dev/null 2>&1; then
			pass interop-openssl
		else
			fail interop-openssl "openssl did not verify the Sig_structure"
		fi
	fi
fi
