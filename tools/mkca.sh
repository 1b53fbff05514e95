#!/bin/sh
# mkca.sh: a small test certificate authority for the agent and the
# verifier service's mutual TLS (CI, tests, demos). Production CAs follow
# the same steps by hand; docs/api.md shows them.
#
# Usage:
#   tools/mkca.sh DIR ca                      DIR/ca.pem, DIR/ca.key
#   tools/mkca.sh DIR server NAME [SAN...]    DIR/NAME.pem, DIR/NAME.key
#   tools/mkca.sh DIR client NAME             DIR/NAME.pem, DIR/NAME.key
#
# Keys are ECDSA P-256. A server certificate carries serverAuth and the
# SANs given (DNS:x or IP:x; default DNS:NAME, DNS:localhost and
# IP:127.0.0.1); a client certificate carries clientAuth and CN=NAME.
# Certificates last 30 days: long enough for a test, short enough not to
# be mistaken for a deployment's. Keys are written 0600.
#
# Exit codes: 0 done, 2 usage or openssl failure.
set -eu

usage() {
	echo "usage: mkca.sh DIR ca | DIR server NAME [SAN...] | DIR client NAME" >&2
	exit 2
}

[ $# -ge 2 ] || usage
dir=$1 what=$2
shift 2
mkdir -p "$dir"
umask 077

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null ||
		{ echo "mkca.sh: $1: openssl genpkey failed" >&2; exit 2; }
}

case $what in
ca)
	[ $# -eq 0 ] || usage
	key "$dir/ca.key"
	openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 30 \
		-subj "/CN=hostgate test CA" \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$dir/ca.pem" 2>/dev/null ||
		{ echo "mkca.sh: $dir/ca.pem: openssl req failed" >&2; exit 2; }
	;;
server | client)
	[ $# -ge 1 ] || usage
	name=$1
	shift
	[ -r "$dir/ca.key" ] || { echo "mkca.sh: $dir/ca.key: no CA here (run: mkca.sh $dir ca)" >&2; exit 2; }
	case $name in
	*[!A-Za-z0-9._-]* | "") echo "mkca.sh: $name: a name is letters, digits, '.', '_' or '-'" >&2; exit 2 ;;
	esac
	key "$dir/$name.key"
	ext=$(mktemp)
	trap 'rm -f "$ext" "$dir/$name.csr"' EXIT
	if [ "$what" = server ]; then
		if [ $# -eq 0 ]; then
			san="DNS:$name,DNS:localhost,IP:127.0.0.1"
		else
			san=$(printf '%s,' "$@")
			san=${san%,}
		fi
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" >"$ext"
	else
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$ext"
	fi
	openssl req -new -key "$dir/$name.key" -subj "/CN=$name" -out "$dir/$name.csr" 2>/dev/null &&
		openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-CAcreateserial -days 30 -sha256 -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null ||
		{ echo "mkca.sh: $dir/$name.pem: openssl x509 failed" >&2; exit 2; }
	;;
*)
	usage
	;;
esac
