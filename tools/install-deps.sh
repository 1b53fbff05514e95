#!/bin/sh
# install-deps.sh: install every Debian package hostgate's build, tests and
# demo need. Idempotent: exits at once when everything is present.
#
# Usage: tools/install-deps.sh [--check]
#   --check  only report whether something is missing (exit 1 if so)
#
# libvirt-daemon-system creates the libvirt-qemu user and /etc/libvirt/
# qemu.conf (without them libvirtd fails "Failed to parse user
# 'libvirt-qemu'"); socat catches syslog on a host without a syslogd
# (tests/integration/libvirt.sh). libsqlite3-dev: the verifier's host
# registry (verifier/registry.c); sqlite3, its shell: the quote tamper
# suite swaps a registry's AK (tests/integration/t_tamper_quote.sh).
# libjansson-dev, libunistring-dev: the
# strict policy parser (verifier/jsonstrict.h). libevent-dev,
# curl: the agent's tests' client (t_agent.sh, t_httpsd.sh).
# valgrind: memcheck over the unit tests (tests/integration/t_valgrind.sh).
# libcurl4-openssl-dev: the agent and the service (HTTPS servers on
# evhttp + bufferevent_openssl, clients on libcurl multi).
# debhelper, dpkg-dev, lintian, scdoc:
# the Debian packages and the man pages (make deb, make man,
# tests/integration/t_deb.sh); bash-completion, man-db and groff-base:
# the completion and man page tests (t_docs.sh). graphviz only for
# `make docs/trust-flow.svg` (the SVG is committed), so not here.
# postgresql, libpq-dev: the registry's PostgreSQL backend (libpq) and
# the private clusters its tests start (tests/tools/pgcluster.sh).
#
# Exit codes: 0 all present (or installed), 1 missing (--check), 2 failure.
set -eu

PKGS="
build-essential pkg-config
libtss2-dev libssl-dev libcbor-dev libjson-c-dev libvirt-dev libxml2-dev libsqlite3-dev
libjansson-dev libunistring-dev libevent-dev libcurl4-openssl-dev
libcmocka-dev
clang libclang-rt-14-dev valgrind
swtpm swtpm-tools tpm2-tools openssl xxd jq time procps bc iproute2
libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
qemu-utils
libvirt-daemon-system socat
sqlite3 python3 curl
postgresql libpq-dev
debhelper dpkg-dev lintian scdoc bash-completion man-db groff-base
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "install-deps: missing:$missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run as root to install them" >&2
	exit 2
fi

echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent on a fresh machine: update once, quietly.
apt-get update -qq || { echo "install-deps: apt-get update failed" >&2; exit 2; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "install-deps: apt-get install failed for:$missing" >&2; exit 2; }
exit 0
