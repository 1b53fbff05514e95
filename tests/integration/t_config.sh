#!/bin/bash
# t_config.sh: one configuration (docs/configuration.md). Each key's value
# comes from the command-line option, else the environment, else the
# file, else the default, and 'hostgate-attest config' names which; the
# file is chosen by --config, HOSTGATE_CONFIG, the deprecated
# HOSTGATE_GATE_CONF or /etc/hostgate/hostgate.conf (the old
# /etc/hostgate/gate.conf still read, with one deprecation line); it is
# parsed strictly (unknown key, duplicate key, bad value: an error naming
# FILE:LINE); every command reads it. No TPM needed.
. "$(dirname "$0")/lib.sh"
unset HOSTGATE_CONFIG HOSTGATE_GATE_CONF HOSTGATE_TCTI TPM2TOOLS_TCTI HOSTGATE_STATE \
	HOSTGATE_LOG HOSTGATE_PCR HOSTGATE_MANIFEST HOSTGATE_POLICY HOSTGATE_VERIFIER \
	HOSTGATE_IMAGE_DIRS HOSTGATE_GOLDEN_DIRS HOSTGATE_BREAK_GLASS HOSTGATE_MODE

# src KEY: the source column of KEY in the last 'config' output.
src() { sed -n "s/^$1 *= .*  # //p" "$WORK/last.out"; }
val() { sed -n "s/^$1 *= \(.*[^ ]\) *  # .*/\1/p" "$WORK/last.out"; }
# expect_src KEY VALUE SOURCE NAME
expect_src() {
	if [ "$(val "$1")" = "$2" ] && [ "$(src "$1")" = "$3" ]; then
		pass "$4"
	else
		fail "$4" "$1: got '$(val "$1")' from '$(src "$1")', want '$2' from '$3'"
	fi
}

C=$WORK/hostgate.conf
: >"$WORK/empty.conf"
expect_exit 0 "empty-file" "$HG_ATTEST" config --config "$WORK/empty.conf"
n=$(grep -c '  # default$' "$WORK/last.out")
[ "$n" = 25 ] && pass "empty-file-all-defaults" || fail "empty-file-all-defaults" "$n of 25 keys from default: $(cat "$WORK/last.out")"
expect_src tcti device:/dev/tpmrm0 default "default-tcti"
expect_src pcr 13 default "default-pcr"
expect_src nvram overlay default "default-nvram"
grep -qxF "# file: $WORK/empty.conf (option --config)" "$WORK/last.out" &&
	pass "file-source-named" || fail "file-source-named" "$(head -1 "$WORK/last.out")"

cat >"$C" <<CONF
# a comment
tcti = swtpm:port=2321
state = /srv/hg/state

pcr = 7
manifest = /srv/hg/host.manifest
CONF
expect_exit 0 "file" "$HG_ATTEST" config --config "$C"
expect_src tcti swtpm:port=2321 "$C:2" "file-tcti"
expect_src state /srv/hg/state "$C:3" "file-state"
expect_src pcr 7 "$C:5" "file-pcr"
expect_src log /run/hostgate/measurements.cel default "file-unset-key-default"

# The environment over the file; TPM2TOOLS_TCTI after HOSTGATE_TCTI.
HOSTGATE_CONFIG=$C TPM2TOOLS_TCTI=mssim:port=9 expect_exit 0 "env-config" "$HG_ATTEST" config
grep -qxF "# file: $C (env HOSTGATE_CONFIG)" "$WORK/last.out" &&
	pass "env-config-chooses-file" || fail "env-config-chooses-file" "$(head -1 "$WORK/last.out")"
expect_src tcti mssim:port=9 "env TPM2TOOLS_TCTI" "tpm2tools-tcti-over-file"
HOSTGATE_CONFIG=$C HOSTGATE_TCTI=swtpm:port=5 TPM2TOOLS_TCTI=mssim:port=9 HOSTGATE_PCR=3 \
	HOSTGATE_MANIFEST=/m expect_exit 0 "env" "$HG_ATTEST" config
expect_src tcti swtpm:port=5 "env HOSTGATE_TCTI" "env-tcti-over-tpm2tools-and-file"
expect_src pcr 3 "env HOSTGATE_PCR" "env-pcr-over-file"
expect_src manifest /m "env HOSTGATE_MANIFEST" "env-manifest-over-file"
expect_src state /srv/hg/state "$C:3" "env-unset-file-stays"
HOSTGATE_GOLDEN_DIRS=/g1:/g2 HOSTGATE_POLICY=/p.json expect_exit 0 "env-gate-keys" "$HG_ATTEST" config --config "$C"
expect_src golden-dirs /g1:/g2 "env HOSTGATE_GOLDEN_DIRS" "env-golden-dirs"
expect_src policy /p.json "env HOSTGATE_POLICY" "env-policy"

# The option over the environment; --config over HOSTGATE_CONFIG.
HOSTGATE_CONFIG=/nonexistent/hostgate.conf HOSTGATE_TCTI=swtpm:port=5 HOSTGATE_PCR=3 \
	expect_exit 0 "option" "$HG_ATTEST" config --config "$C" --tcti mssim:port=1 --pcr 9 --manifest /o
expect_src tcti mssim:port=1 "option --tcti" "option-tcti-over-env"
expect_src pcr 9 "option --pcr" "option-pcr-over-env"
expect_src manifest /o "option --manifest" "option-manifest-over-env"
HOSTGATE_TCTI=swtpm:port=5 expect_exit 0 "short-T" "$HG_ATTEST" config --config "$C" -T mssim:port=4
expect_src tcti mssim:port=4 "option -T" "short-T-is-tcti"

# A file named by option or environment must exist.
expect_exit 2 "missing-named-file" "$HG_ATTEST" config --config "$WORK/nope.conf"
expect_err "$WORK/nope.conf: No such file or directory" "missing-named-file-message"
HOSTGATE_CONFIG=$WORK/nope.conf expect_exit 2 "missing-env-file" "$HG_ATTEST" config
expect_err "$WORK/nope.conf: No such file or directory" "missing-env-file-message"
expect_exit 2 "directory-as-config" "$HG_ATTEST" config --config "$WORK"
expect_err "$WORK: is a directory" "directory-as-config-message"

# Strict parsing: each error names FILE:LINE (or the variable, or the
# option) and the command stops (exit 2).
bad() { # NAME TEXT WANT
	printf '%b' "$2" >"$WORK/bad.conf"
	expect_exit 2 "strict-$1" "$HG_ATTEST" config --config "$WORK/bad.conf"
	expect_err "hostgate-attest: $WORK/bad.conf:$3" "strict-$1-message"
}
bad unknown-key '# x\npolcy = /etc/hostgate/policy.json\n' '2: polcy: unknown key'
bad duplicate-key 'pcr = 1\nstate = /a\npcr = 1\n' '3: pcr: given twice'
bad bad-pcr 'pcr = 16\n' '1: pcr: not a PCR number 0..15'
bad relative-path 'state = var/lib/hostgate\n' '1: state: not an absolute path'
bad empty-value 'policy =\n' '1: policy: empty value'
bad not-key-value 'tcti\n' '1: not "key = value"'
bad bad-mode 'mode = remote-ish\n' '1: mode: not "local" or "remote"'
bad verifier-url-http 'verifier-url = http://v.example:8443\n' '1: verifier-url: not an https:// URL'
bad verifier-url-nohost 'verifier-url = https:///v1\n' '1: verifier-url: names no host'
bad verifier-url-userinfo 'verifier-url = https://u:p@v.example\n' '1: verifier-url: holds userinfo, a query or a fragment'
bad verifier-timeout-0 'verifier-timeout = 0\n' '1: verifier-timeout: not an integer in 1..120'
bad verifier-timeout-big 'verifier-timeout = 121\n' '1: verifier-timeout: not an integer in 1..120'
bad verifier-ca-relative 'verifier-ca = ca.pem\n' '1: verifier-ca: not an absolute path'
bad verifier-ear-key-empty 'verifier-ear-key =\n' '1: verifier-ear-key: empty value'
# mode = remote needs a verifier: the error names the missing key and
# where the mode came from.
printf 'mode = remote\n' >"$WORK/remote.conf"
expect_exit 2 "strict-remote-without-url" "$HG_ATTEST" config --config "$WORK/remote.conf"
expect_err "hostgate-attest: verifier-url: not set, and mode = remote ($WORK/remote.conf:1) needs it" "strict-remote-without-url-message"
HOSTGATE_VERIFIER_URL=https://127.0.0.1:8443 expect_exit 0 "remote-url-from-env" "$HG_ATTEST" config --config "$WORK/remote.conf"
expect_src mode remote "$WORK/remote.conf:1" "remote-mode-from-file"
expect_src verifier-url https://127.0.0.1:8443 "env HOSTGATE_VERIFIER_URL" "verifier-url-from-env"
expect_src verifier-timeout 10 default "verifier-timeout-default"
HOSTGATE_VERIFIER_TIMEOUT=abc expect_exit 2 "strict-env-verifier-timeout" "$HG_ATTEST" config --config "$WORK/empty.conf"
expect_err "HOSTGATE_VERIFIER_TIMEOUT: not an integer in 1..120" "strict-env-verifier-timeout-message"
bad bad-nvram 'nvram = template\n' '1: nvram: not "overlay" or "hashed"'
bad agent-max-conns-0 'agent-max-conns = 0\n' '1: agent-max-conns: not an integer in 1..1024'
bad agent-max-conns-big 'agent-max-conns = 1025\n' '1: agent-max-conns: not an integer in 1..1024'
bad agent-timeout-word 'agent-timeout = 10s\n' '1: agent-timeout: not an integer in 1..600'
bad agent-cert-relative 'agent-cert = agent.pem\n' '1: agent-cert: not an absolute path'
# (the last bad file: the init and gate cases below reuse it)
bad relative-dir 'image-dirs = /a:b\n' '1: image-dirs: not an absolute directory'
HOSTGATE_AGENT_TIMEOUT=0 expect_exit 2 "strict-env-agent-timeout" "$HG_ATTEST" config --config "$WORK/empty.conf"
expect_err "HOSTGATE_AGENT_TIMEOUT: not an integer in 1..600" "strict-env-agent-timeout-message"
printf 'agent-max-conns = 32\nagent-listen = 127.0.0.1:9443\n' >"$WORK/agent.conf"
HOSTGATE_AGENT_MAX_CONNS=8 expect_exit 0 "agent-keys" "$HG_ATTEST" config --config "$WORK/agent.conf" --pcr 13
expect_src agent-max-conns 8 "env HOSTGATE_AGENT_MAX_CONNS" "agent-max-conns-env-over-file"
expect_src agent-listen 127.0.0.1:9443 "$WORK/agent.conf:2" "agent-listen-from-file"
expect_src agent-timeout 10 default "agent-timeout-default"
HOSTGATE_PCR=16 expect_exit 2 "strict-env-pcr" "$HG_ATTEST" config --config "$C"
expect_err 'HOSTGATE_PCR: "16" is not a PCR in 0..15' "strict-env-pcr-message"
HOSTGATE_IMAGE_DIRS=images expect_exit 2 "strict-env-dirs" "$HG_ATTEST" config --config "$C"
expect_err 'HOSTGATE_IMAGE_DIRS: not an absolute directory' "strict-env-dirs-message"
HOSTGATE_MODE=remotely expect_exit 2 "strict-env-mode" "$HG_ATTEST" config --config "$C"
expect_err 'HOSTGATE_MODE: not "local" or "remote"' "strict-env-mode-message"
expect_exit 2 "strict-option-pcr" "$HG_ATTEST" config --config "$C" --pcr 23
expect_err '--pcr: "23" is not a PCR in 0..15' "strict-option-pcr-message"

# Every command reads it: init's TPM, measure-host's manifest, the gate's
# policy; a bad file stops each before any work.
printf 'tcti = swtpm:port=1\n' >"$WORK/tcti.conf"
expect_exit 1 "init-reads-file" "$HG_ATTEST" init --config "$WORK/tcti.conf" --state "$WORK/st"
expect_err 'TCTI "swtpm:port=1"' "init-reads-file-tcti"
HOSTGATE_CONFIG=$WORK/bad.conf expect_exit 2 "init-strict" "$HG_ATTEST" init --state "$WORK/st"
expect_err "$WORK/bad.conf:1: image-dirs: not an absolute directory" "init-strict-message"
printf 'manifest = %s/m\n' "$WORK" >"$WORK/man.conf"
printf 'hypervisor relative\n' >"$WORK/m"
HOSTGATE_TCTI=swtpm:port=1 expect_exit 1 "measure-host-reads-file" "$HG_ATTEST" measure-host --config "$WORK/man.conf"
expect_err "$WORK/m:1: path is not absolute" "measure-host-reads-file-manifest"
printf '<domain/>\n' >"$WORK/d.xml"
expect_exit 1 "gate-strict" "$HG_ATTEST" gate --config "$WORK/bad.conf" --domain-xml "$WORK/d.xml"
expect_err "$WORK/bad.conf:1: image-dirs: not an absolute directory" "gate-strict-message"

# HOSTGATE_GATE_CONF: still read, with one deprecation line.
HOSTGATE_GATE_CONF=$C expect_exit 0 "gate-conf-env" "$HG_ATTEST" config
expect_src tcti swtpm:port=2321 "$C:2" "gate-conf-env-read"
n=$(grep -c 'warning: HOSTGATE_GATE_CONF is deprecated: use HOSTGATE_CONFIG' "$WORK/last.err")
[ "$n" = 1 ] && pass "gate-conf-env-deprecated-once" || fail "gate-conf-env-deprecated-once" "$n lines: $(cat "$WORK/last.err")"
HOSTGATE_CONFIG=$C HOSTGATE_GATE_CONF=$WORK/bad.conf expect_exit 0 "config-env-over-gate-conf-env" "$HG_ATTEST" config
[ -s "$WORK/last.err" ] && fail "config-env-no-deprecation" "$(cat "$WORK/last.err")" || pass "config-env-no-deprecation"

# The default files, in a private mount namespace with /etc overlaid on a
# tmpfs, so that nothing of this machine's /etc changes.
in_etc() { # SCRIPT: run it with a private, writable /etc
	unshare -m --propagation private bash -c '
		set -e; t=$1; shift
		mount -t tmpfs tmpfs "$t"; mkdir "$t/up" "$t/wk"
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$t/up,workdir=$t/wk" /etc
		rm -rf /etc/hostgate; mkdir /etc/hostgate
		eval "$1"' _ "$WORK/ns" "$1" >"$WORK/last.out" 2>"$WORK/last.err"
}
mkdir -p "$WORK/ns"
if ! in_etc 'true' || ! unshare -m --propagation private true 2>/dev/null; then
	skip "default-files" "no private mount namespace with an overlay /etc here: $(head -c 200 "$WORK/last.err")"
else
	in_etc "$HG_ATTEST config"
	grep -qxF "# file: none (/etc/hostgate/hostgate.conf absent)" "$WORK/last.out" &&
		pass "default-none" || fail "default-none" "$(head -1 "$WORK/last.out")"
	in_etc "printf 'pcr = 4\n' >/etc/hostgate/hostgate.conf; $HG_ATTEST config"
	expect_src pcr 4 /etc/hostgate/hostgate.conf:1 "default-hostgate-conf"
	[ -s "$WORK/last.err" ] && fail "default-hostgate-conf-quiet" "$(cat "$WORK/last.err")" || pass "default-hostgate-conf-quiet"
	in_etc "printf 'pcr = 5\n' >/etc/hostgate/gate.conf; $HG_ATTEST config"
	expect_src pcr 5 /etc/hostgate/gate.conf:1 "legacy-gate-conf-read"
	n=$(grep -c 'warning: /etc/hostgate/gate.conf is deprecated: move its keys into /etc/hostgate/hostgate.conf' "$WORK/last.err")
	[ "$n" = 1 ] && pass "legacy-gate-conf-deprecated-once" || fail "legacy-gate-conf-deprecated-once" "$n lines: $(cat "$WORK/last.err")"
	in_etc "printf 'pcr = 5\n' >/etc/hostgate/gate.conf; printf '# new\ntcti = mssim:port=3\n' >/etc/hostgate/hostgate.conf; $HG_ATTEST config"
	expect_src pcr 5 /etc/hostgate/gate.conf:1 "legacy-and-new-both-read-old"
	expect_src tcti mssim:port=3 /etc/hostgate/hostgate.conf:2 "legacy-and-new-both-read-new"
	in_etc "printf 'pcr = 5\n' >/etc/hostgate/gate.conf; printf 'pcr = 6\n' >/etc/hostgate/hostgate.conf; $HG_ATTEST config"
	rc=$?
	[ "$rc" = 2 ] && grep -qF '/etc/hostgate/hostgate.conf:1: pcr: given twice (first in /etc/hostgate/gate.conf:1)' "$WORK/last.err" &&
		pass "legacy-and-new-duplicate-refused" || fail "legacy-and-new-duplicate-refused" "exit $rc: $(cat "$WORK/last.err")"
	# The gate, through the hook's own path (no --config, empty env).
	in_etc "printf 'polcy = /x\n' >/etc/hostgate/hostgate.conf; env -i $HG_ATTEST hook run dom prepare begin - </dev/null"
	rc=$?
	[ "$rc" = 1 ] && grep -qF 'refused: gate config: /etc/hostgate/hostgate.conf:1: polcy: unknown key' "$WORK/last.err" &&
		pass "hook-reads-default-file" || fail "hook-reads-default-file" "exit $rc: $(cat "$WORK/last.err")"
fi
grep -q ' /etc/hostgate ' /proc/mounts && fail "namespace-contained" "/etc/hostgate mounted here" || pass "namespace-contained"

expect_exit 0 "help" "$HG_ATTEST" config --help
expect_exit 2 "stray-argument" "$HG_ATTEST" config --config "$C" extra
