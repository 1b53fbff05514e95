#!/bin/bash
# t_deb.sh: the Debian packages build, install, work from the installed
# paths, and purge without leaving anything behind.
#
# Builds hostgate and hostgate-verifier with tools/build-deb.sh (a copy
# of the tree, DEB_BUILD_OPTIONS="nocheck parallel=2": the clone stays
# clean), runs lintian on them (no error, no warning: what remains is
# overridden with a reason in debian/*.lintian-overrides), installs both
# with apt-get install ./*.deb, then from /usr/bin: --version, --help,
# man -w, the completion, the unit's paths, the conffile, the state
# directories' modes, dpkg -L, and a quick measure/quote/learn/check
# against a swtpm. Then apt-get purge, and every file the packages had,
# their state directories and /etc/hostgate must be gone. The packages
# are purged on any exit; state directories that existed before the test
# (another run of hostgate on this machine) are put back as they were.
#
# Needs root and dpkg-buildpackage (tools/install-deps.sh); skips,
# saying why, when either is missing or when the packages were already
# installed by someone else.
. "$(dirname "$0")/lib.sh"
PKGS="hostgate hostgate-verifier"
APT=(apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if [ "$(id -u)" != 0 ]; then
	skip packages "needs root to install packages"
	exit 0
fi
for t in dpkg-buildpackage dh lintian scdoc; do
	command -v "$t" >/dev/null || { skip packages "$t is not installed (tools/install-deps.sh)"; exit 0; }
done
for p in $PKGS; do
	if installed "$p"; then
		skip packages "$p is already installed on this machine; not touching it"
		exit 0
	fi
done

# State that exists before the test is not the packages': save it, and
# put it back after the purge.
SAVED=()
for d in /etc/hostgate /var/lib/hostgate /var/lib/hostgate-verify /run/hostgate; do
	[ -e "$d" ] && SAVED+=("$d")
done
[ ${#SAVED[@]} -eq 0 ] || tar -C / -cpf "$WORK/saved.tar" "${SAVED[@]#/}"
# The package makes the agent's system user (debian/hostgate.postinst);
# Debian leaves such users on purge, so the test removes the one it made.
HAD_USER=0
getent passwd hostgate >/dev/null && HAD_USER=1
restore() {
	[ ${#SAVED[@]} -eq 0 ] || tar -C / -xpf "$WORK/saved.tar"
	if [ "$HAD_USER" = 0 ] && getent passwd hostgate >/dev/null; then
		userdel hostgate 2>/dev/null
		getent group hostgate >/dev/null && groupdel hostgate 2>/dev/null
	fi
	return 0
}
done_cleanup=0
purge_all() {
	[ "$done_cleanup" = 1 ] && return
	done_cleanup=1
	local p any=
	for p in $PKGS; do installed "$p" && any="$any $p"; done
	# shellcheck disable=SC2086
	[ -z "$any" ] || "${APT[@]}" purge $any >/dev/null 2>&1
	restore
}
trap 'purge_all; cleanup' EXIT

# --- build ------------------------------------------------------------------
DEBS=$WORK/debs
# tree_state: what git sees (ignored files too) and the parent's packages.
tree_state() {
	git -C "$ROOT" status --porcelain --ignored 2>/dev/null
	find "$ROOT/.." -maxdepth 1 -name 'hostgate*' \( -name '*.deb' -o -name '*.changes' -o -name '*.buildinfo' \)
}
tree_before=$(tree_state)
start=$(date +%s)
if ! "$ROOT/tools/build-deb.sh" "$DEBS" --lintian >"$WORK/build.out" 2>&1; then
	fail build "$(tail -c 600 "$WORK/build.out")"
	exit 1
fi
pass "build ($(($(date +%s) - start)) s)"
tree_after=$(tree_state)
if [ "$tree_before" != "$tree_after" ]; then
	fail build-leaves-tree-clean "the tree or its parent changed: $(diff <(echo "$tree_before") <(echo "$tree_after") | head -c 300)"
else
	pass build-leaves-tree-clean
fi
tags=$(grep -E '^[EW]: ' "$DEBS/lintian.txt")
if [ -z "$tags" ]; then
	pass lintian-no-errors-or-warnings
else
	fail lintian-no-errors-or-warnings "$(head -c 600 <<<"$tags")"
fi
echo "  lintian: $(grep -cE '^[EWIP]: ' "$DEBS/lintian.txt") tags ($(grep -oE '^[EWIP]: [^ ]+ [^ ]+' "$DEBS/lintian.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"

# --- install ------------------------------------------------------------------
chmod 0755 "$WORK" "$DEBS"      # apt's _apt user reads the .debs
if ! "${APT[@]}" install "$DEBS"/hostgate-verifier_*_*.deb "$DEBS"/hostgate_*_*.deb >"$WORK/apt.out" 2>&1; then
	fail install "$(tail -c 600 "$WORK/apt.out")"
	exit 1
fi
if installed hostgate && installed hostgate-verifier; then pass install; else fail install "not installed"; fi

version=$(cat "$ROOT/VERSION")
for p in hostgate-attest hostgate-verify; do
	expect_exit 0 "$p-installed-version" "/usr/bin/$p" --version
	head -1 "$WORK/last.out" | grep -qx "$p $version" ||
		fail "$p-installed-version-text" "$(head -1 "$WORK/last.out")"
	expect_exit 0 "$p-installed-help" "/usr/bin/$p" --help
done
for page in hostgate-verify hostgate-attest hostgate.conf hostgate-policy; do
	if f=$(man -w "$page" 2>&1) && [ -f "$f" ] && [[ $f == /usr/share/man/* ]] &&
		MANPAGER=cat MANWIDTH=80 man "$page" 2>/dev/null | grep -q "$page"; then
		pass "man-$page"
	else
		fail "man-$page" "man -w: $f"
	fi
done
if bash -c '. /usr/share/bash-completion/bash_completion;
	. /usr/share/bash-completion/completions/hostgate-verify;
	complete -p hostgate-verify hostgate-attest' >/dev/null 2>&1; then
	pass completion-installed
else
	fail completion-installed "the completion does not load"
fi
unit=/lib/systemd/system/hostgate-measure-host.service
if grep -qx 'ExecStart=/usr/bin/hostgate-attest measure-host' "$unit" 2>/dev/null; then
	pass unit-execstart-usr-bin
else
	fail unit-execstart-usr-bin "$(grep ExecStart "$unit" 2>&1)"
fi
unit=/lib/systemd/system/hostgate-verify.service
if grep -q '^ExecStart=/usr/bin/hostgate-verify serve --state /var/lib/hostgate-verify \$HOSTGATE_SERVE_ARGS$' "$unit" 2>/dev/null &&
	grep -qx 'EnvironmentFile=/etc/default/hostgate-verify' "$unit"; then
	pass verify-unit-installed
else
	fail verify-unit-installed "$(grep -E '^(ExecStart|EnvironmentFile)=' "$unit" 2>&1)"
fi
# The agent's user: system, no login, in tss when the group exists.
if [ "$(getent passwd hostgate | cut -d: -f7)" = /usr/sbin/nologin ] &&
	{ ! getent group tss >/dev/null || id -nG hostgate | grep -qw tss; }; then
	pass agent-user-made
else
	fail agent-user-made "$(getent passwd hostgate; id hostgate 2>&1)"
fi
if [ "$(systemctl is-enabled hostgate-measure-host.service 2>/dev/null)" != enabled ]; then
	pass unit-not-enabled
else
	fail unit-not-enabled "installing the package enabled the unit"
fi
if dpkg-query -W -f='${Conffiles}\n' hostgate | grep -q '^ /etc/hostgate/hostgate.conf '; then
	pass conffile-gate-conf
else
	fail conffile-gate-conf "$(dpkg-query -W -f='${Conffiles}' hostgate)"
fi
if [ "$(stat -c %a /var/lib/hostgate-verify)" = 700 ] && [ "$(stat -c %a /var/lib/hostgate)" = 700 ]; then
	pass state-dirs-0700
else
	fail state-dirs-0700 "$(stat -c '%n %a' /var/lib/hostgate /var/lib/hostgate-verify)"
fi
dpkg -L hostgate >"$WORK/hostgate.list"
dpkg -L hostgate-verifier >"$WORK/verifier.list"
echo "  dpkg -L hostgate: $(grep -vxE '/[^/]*|/usr/[^/]*|/usr/share/[^/]*' "$WORK/hostgate.list" | tr '\n' ' ')"
echo "  dpkg -L hostgate-verifier: $(grep -vxE '/[^/]*|/usr/[^/]*|/usr/share/[^/]*' "$WORK/verifier.list" | tr '\n' ' ')"
want="/usr/bin/hostgate-attest /usr/share/man/man8/hostgate-attest.8.gz /usr/share/man/man5/hostgate.conf.5.gz
/etc/hostgate/hostgate.conf /usr/share/bash-completion/completions/hostgate-attest /var/lib/hostgate
/usr/share/doc/hostgate/examples/debian12-kvm-host.json /usr/share/doc/hostgate/copyright"
missing=
for f in $want; do grep -qx "$f" "$WORK/hostgate.list" || missing="$missing $f"; done
if [ -z "$missing" ]; then pass dpkg-L-hostgate; else fail dpkg-L-hostgate "missing:$missing"; fi
want="/usr/bin/hostgate-verify /usr/share/man/man1/hostgate-verify.1.gz /usr/share/man/man5/hostgate-policy.5.gz
/usr/share/bash-completion/completions/hostgate-verify /var/lib/hostgate-verify
/usr/share/doc/hostgate-verifier/copyright /usr/share/doc/hostgate-verifier/examples/debian12-kvm-host.json"
missing=
for f in $want; do grep -qx "$f" "$WORK/verifier.list" || missing="$missing $f"; done
if [ -z "$missing" ]; then pass dpkg-L-hostgate-verifier; else fail dpkg-L-hostgate-verifier "missing:$missing"; fi
if grep -q hostgate-attest "$WORK/verifier.list" || grep -q hostgate-verify "$WORK/hostgate.list"; then
	fail packages-split "a binary is in the other package"
else
	pass packages-split
fi

# --- the installed binaries against a swtpm ------------------------------------
start_tpm sha256
N=$(openssl rand -hex 16)
if /usr/bin/hostgate-attest init --ak-out "$WORK/ak.pub" >/dev/null 2>"$WORK/smoke.err" &&
	/usr/bin/hostgate-attest measure --kind hypervisor /usr/bin/hostgate-verify >/dev/null 2>>"$WORK/smoke.err" &&
	/usr/bin/hostgate-attest quote --nonce "$N" -o "$WORK/ev.cbor" 2>>"$WORK/smoke.err" &&
	/usr/bin/hostgate-verify learn --ak "$WORK/ak.pub" --nonce "$N" "$WORK/ev.cbor" >"$WORK/policy.json" 2>>"$WORK/smoke.err"; then
	expect_exit 0 installed-check-trusted /usr/bin/hostgate-verify check --quiet --ak "$WORK/ak.pub" \
		--nonce "$N" --policy "$WORK/policy.json" "$WORK/ev.cbor"
	expect_exit 3 installed-check-old-nonce /usr/bin/hostgate-verify check --quiet --ak "$WORK/ak.pub" \
		--nonce "$(openssl rand -hex 16)" --policy "$WORK/policy.json" "$WORK/ev.cbor"
	# As the README shows: --quiet prints nothing, on either stream.
	if [ ! -s "$WORK/last.out" ] && [ ! -s "$WORK/last.err" ]; then
		pass installed-check-quiet-prints-nothing
	else
		fail installed-check-quiet-prints-nothing "$(head -c 300 "$WORK/last.out" "$WORK/last.err")"
	fi
else
	fail installed-smoke "$(head -c 300 "$WORK/smoke.err")"
fi

# --- purge -------------------------------------------------------------------------
# The verifier's registry and the host state, as a real host would have them.
touch /var/lib/hostgate-verify/registry.sqlite /var/lib/hostgate/logkey.pem
# shellcheck disable=SC2086
if ! "${APT[@]}" purge $PKGS >"$WORK/purge.out" 2>&1; then
	fail purge "$(tail -c 600 "$WORK/purge.out")"
	exit 1
fi
left=
for p in $PKGS; do installed "$p" && left="$left $p"; done
dpkg-query -W -f='${Status}' hostgate 2>/dev/null | grep -q 'config-files' && left="$left hostgate(config-files)"
while read -r f; do
	[ -d "$f" ] && [[ $f != *hostgate* ]] && continue   # /usr/bin etc.
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done < <(cat "$WORK/hostgate.list" "$WORK/verifier.list")
for d in /etc/hostgate /var/lib/hostgate /var/lib/hostgate-verify /run/hostgate; do
	[ -e "$d" ] && left="$left $d"
done
if [ -z "$left" ]; then pass purge-leaves-nothing; else fail purge-leaves-nothing "left:$left"; fi
done_cleanup=1
restore
