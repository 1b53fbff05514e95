#!/bin/bash
# t_install.sh: `make install` and `make uninstall` honour PREFIX, DESTDIR
# and SYSCONFDIR, and uninstall removes everything install wrote.
#
# Into a temporary DESTDIR with PREFIX=/usr/local: the binaries, the man
# pages, the completions, the docs and examples, the example hostgate.conf,
# and the unit, whose ExecStart names /usr/local/bin (not a hardcoded
# /usr/bin). Then uninstall with the same variables leaves no file and
# none of hostgate's own directories; an edited hostgate.conf is neither
# overwritten by install nor removed by uninstall. No root, no TPM.
. "$(dirname "$0")/lib.sh"
D=$WORK/dest
# mk TARGET VARS...: make in the tree with the suite's build directory.
mk() { make -s -C "$ROOT" --no-print-directory BUILD="$BUILD" "$@" >"$WORK/make.out" 2>&1; }

if ! mk install DESTDIR="$D" PREFIX=/usr/local SYSCONFDIR=/etc; then
	fail install "make install failed: $(tail -c 300 "$WORK/make.out")"
	exit 1
fi
pass install
missing=
for f in usr/local/bin/hostgate-attest usr/local/bin/hostgate-verify \
	usr/local/share/man/man8/hostgate-attest.8 usr/local/share/man/man1/hostgate-verify.1 \
	usr/local/share/man/man5/hostgate.conf.5 usr/local/share/man/man5/hostgate-policy.5 \
	usr/local/share/bash-completion/completions/hostgate-attest \
	usr/local/share/bash-completion/completions/hostgate-verify \
	usr/local/share/doc/hostgate/README.md usr/local/share/doc/hostgate/trust-flow.svg \
	usr/local/share/doc/hostgate/examples/debian12-kvm-host.json \
	usr/local/lib/systemd/system/hostgate-measure-host.service \
	usr/local/lib/systemd/system/hostgate-agent.service \
	usr/local/lib/systemd/system/hostgate-verify.service etc/hostgate/hostgate.conf; do
	[ -e "$D/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass install-layout; else fail install-layout "missing:$missing"; fi

unit=$D/usr/local/lib/systemd/system/hostgate-measure-host.service
if grep -qx 'ExecStart=/usr/local/bin/hostgate-attest measure-host' "$unit" &&
	grep -qx 'Environment=HOSTGATE_CONFIG=/etc/hostgate/hostgate.conf' "$unit" && ! grep -q '@[A-Z]*@' "$unit"; then
	pass unit-paths-follow-prefix
else
	fail unit-paths-follow-prefix "$(grep -E '^(ExecStart|Environment)=' "$unit")"
fi
unit=$D/usr/local/lib/systemd/system/hostgate-agent.service
if grep -qx 'ExecStart=/usr/local/bin/hostgate-attest agent --uefi-log /run/hostgate-agent/uefi.log' "$unit" &&
	grep -qx 'Environment=HOSTGATE_CONFIG=/etc/hostgate/hostgate.conf' "$unit" && ! grep -q '@[A-Z]*@' "$unit"; then
	pass agent-unit-paths-follow-prefix
else
	fail agent-unit-paths-follow-prefix "$(grep -E '^(ExecStart|Environment)=' "$unit")"
fi
# The agent's unit is sandboxed and unprivileged (docs/agent.md).
miss=
for l in User=hostgate SupplementaryGroups=tss ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes \
	DevicePolicy=closed 'DeviceAllow=/dev/tpmrm0 rw' CapabilityBoundingSet=; do
	grep -qxF -- "$l" "$unit" || miss="$miss [$l]"
done
if [ -z "$miss" ] && command -v systemd-analyze >/dev/null; then
	sed -i "s|ExecStart=/usr/local/bin/|ExecStart=$D/usr/local/bin/|" "$unit"
	# It exits 0 on a directive it ignores: any line naming the file is one.
	if ! systemd-analyze verify --man=no "$unit" >"$WORK/verify.out" 2>&1 ||
		grep -qF "$unit:" "$WORK/verify.out"; then
		miss="systemd-analyze: $(head -c 300 "$WORK/verify.out")"
	fi
	sed -i "s|ExecStart=$D/usr/local/bin/|ExecStart=/usr/local/bin/|" "$unit"
fi
[ -z "$miss" ] && pass agent-unit-sandboxed || fail agent-unit-sandboxed "$miss"
if "$D/usr/local/bin/hostgate-verify" --version | head -1 | grep -qx "hostgate-verify $(cat "$ROOT/VERSION")"; then
	pass installed-binary-runs
else
	fail installed-binary-runs "$("$D/usr/local/bin/hostgate-verify" --version 2>&1 | head -c 200)"
fi
# The example config parses: the gate reads it (and then fails on the
# missing domain XML, not on the config).
"$D/usr/local/bin/hostgate-attest" gate --config "$D/etc/hostgate/hostgate.conf" \
	--domain-xml "$WORK/none.xml" >/dev/null 2>"$WORK/gate.err"
if grep -q 'none.xml' "$WORK/gate.err" && ! grep -q 'hostgate.conf' "$WORK/gate.err"; then
	pass example-conf-parses
else
	fail example-conf-parses "$(head -c 300 "$WORK/gate.err")"
fi

# Another SYSCONFDIR and PREFIX reach the unit too.
if mk install DESTDIR="$WORK/dest2" PREFIX=/opt/hg SYSCONFDIR=/opt/hg/etc &&
	grep -qx 'ExecStart=/opt/hg/bin/hostgate-attest measure-host' \
		"$WORK/dest2/opt/hg/lib/systemd/system/hostgate-measure-host.service" &&
	grep -qx 'Environment=HOSTGATE_CONFIG=/opt/hg/etc/hostgate/hostgate.conf' \
		"$WORK/dest2/opt/hg/lib/systemd/system/hostgate-measure-host.service" &&
	[ -f "$WORK/dest2/opt/hg/etc/hostgate/hostgate.conf" ]; then
	pass unit-paths-follow-sysconfdir
else
	fail unit-paths-follow-sysconfdir "$(tail -c 300 "$WORK/make.out")"
fi

# An edited hostgate.conf survives a reinstall and an uninstall.
echo "pcr = 14" >>"$D/etc/hostgate/hostgate.conf"
mk install DESTDIR="$D" PREFIX=/usr/local SYSCONFDIR=/etc
if grep -qx 'pcr = 14' "$D/etc/hostgate/hostgate.conf"; then
	pass install-keeps-edited-conf
else
	fail install-keeps-edited-conf "hostgate.conf was overwritten"
fi
mk uninstall DESTDIR="$D" PREFIX=/usr/local SYSCONFDIR=/etc
left=$(cd "$D" && find . -not -type d | sort)
if [ "$left" = "./etc/hostgate/hostgate.conf" ]; then
	pass uninstall-keeps-edited-conf
else
	fail uninstall-keeps-edited-conf "left: $(tr '\n' ' ' <<<"$left")"
fi

# A clean install, then uninstall: nothing left.
rm -rf "$D"
mk install DESTDIR="$D" PREFIX=/usr/local SYSCONFDIR=/etc
if ! mk uninstall DESTDIR="$D" PREFIX=/usr/local SYSCONFDIR=/etc; then
	fail uninstall "make uninstall failed: $(tail -c 300 "$WORK/make.out")"
	exit 1
fi
left=$(cd "$D" && find . -not -type d | sort)
dirs=$(cd "$D" && find . -type d \( -name 'hostgate*' -o -name examples \) | sort)
if [ -z "$left" ] && [ -z "$dirs" ]; then
	pass uninstall-leaves-nothing
else
	fail uninstall-leaves-nothing "left: $(tr '\n' ' ' <<<"$left$dirs")"
fi
