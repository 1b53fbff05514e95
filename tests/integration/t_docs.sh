#!/bin/bash
# t_docs.sh: the man pages, --version and the bash completion agree with
# the programs, so that they cannot drift apart.
#
# Everything is driven by the programs' own --help: each command that
# 'PROG --help' lists must have its section in the man page (.SS COMMAND),
# and every option its --help names (usage lines and option lines, parsed
# by the completion's _hostgate_options) must appear in that section or,
# for hostgate-attest, in COMMON OPTIONS. Every environment variable the
# code reads (getenv) is in ENVIRONMENT, every exit code a --help lists in
# EXIT STATUS, every /etc, /var or /run path a --help names in FILES.
# A new option, command, variable or exit code fails here until the man
# page has it.
#
# No TPM, no root.
. "$(dirname "$0")/lib.sh"
MAN=$BUILD/man
for p in hostgate-attest.8 hostgate-verify.1 hostgate.conf.5 hostgate-policy.5; do
	[ -s "$MAN/$p" ] || { fail setup "$MAN/$p not built (make man; needs scdoc)"; exit 1; }
done
[ -f /usr/share/bash-completion/bash_completion ] ||
	{ fail setup "bash-completion is not installed (tools/install-deps.sh)"; exit 1; }
# shellcheck disable=SC1091
. /usr/share/bash-completion/bash_completion
# shellcheck source=../../contrib/bash-completion/hostgate
. "$ROOT/contrib/bash-completion/hostgate"
export PATH=$WORK/bin:$PATH

# section PAGE NAME: the plain text of a man page's section (.SH NAME) or
# subsection (.SS NAME), up to the next heading, font escapes removed.
section() {
	awk -v want="$2" '
		/^\.S[HS] / { name = substr($0, 5); gsub(/"/, "", name); on = (name == want); next }
		on' "$1" | sed -e 's/\\f[BIR]//g' -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g'
}
# has TEXT WORD: WORD appears in TEXT as a whole token.
has() { grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" <<<"$1"; }

# --- every command and option of every --help is in the man page ---------
for prog in hostgate-attest:8 hostgate-verify:1; do
	p=${prog%:*} page=$MAN/$p.${prog#*:}
	cmds=$(_hostgate_commands "$p")
	[ -n "$cmds" ] || { fail "$p-commands" "'$p --help' lists no command"; continue; }
	common=$(section "$page" "COMMON OPTIONS")
	for c in $cmds; do
		text=$(section "$page" "$c")
		if [ -z "$text" ]; then
			fail "$p-$c-man-section" "$page has no section '.SS $c'"
			continue
		fi
		hopts=$(_hostgate_options "$p" "$c")
		# The parser finds at least the options every command has.
		if [ -z "$hopts" ]; then
			fail "$p-$c-man-options" "no option parsed from '$p $c --help'"
			continue
		fi
		missing=
		for o in $hopts; do
			case $o in -h | --help) continue ;; esac
			has "$text" "$o" || has "$common" "$o" || missing="$missing $o"
		done
		if [ -n "$missing" ]; then
			fail "$p-$c-man-options" "in '$p $c --help' but not in the man page's $c section:$missing"
		else
			pass "$p-$c-man-options"
		fi
	done
	# -h/--help once for the whole page (each command takes it).
	all=$(section "$page" "COMMON OPTIONS"; section "$page" "DESCRIPTION")
	if has "$all" --help; then pass "$p-man-help"; else fail "$p-man-help" "--help not described"; fi
	if has "$(section "$page" SYNOPSIS)" --version; then pass "$p-man-version"; else fail "$p-man-version" "--version not in SYNOPSIS"; fi

	# Exit codes every --help lists ("Exit codes: 0 ..., 1 ...").
	exits=$(section "$page" "EXIT STATUS")
	codes=$({ "$p" --help; for c in $cmds; do "$p" "$c" --help; done; } 2>&1 |
		awk '/^Exit codes:/ { on = 1 } on && /^$/ { on = 0 } on' |
		grep -oE '(^|[ ,:])[0-9]+ [a-z]' | grep -oE '[0-9]+' | sort -un)
	missing=
	for n in $codes; do has "$exits" "$n" || missing="$missing $n"; done
	if [ -z "$codes" ]; then
		fail "$p-man-exit-codes" "no exit code parsed from the --help texts"
	elif [ -n "$missing" ]; then
		fail "$p-man-exit-codes" "exit codes not in EXIT STATUS:$missing"
	else
		pass "$p-man-exit-codes"
	fi

	# Files hostgate itself reads or writes that the --help texts name
	# (not example paths, nor the names a log record gives a config).
	files=$(section "$page" FILES; section "$MAN/hostgate.conf.5" FILES)
	paths=$({ for c in $cmds; do "$p" "$c" --help; done; } 2>&1 |
		grep -oE '/(etc/hostgate|var/lib/hostgate[a-z-]*|run/hostgate|etc/libvirt/hooks)(/[A-Za-z0-9._-]*[A-Za-z0-9])*' |
		sort -u)
	missing=
	for f in $paths; do grep -qF -- "$f" <<<"$files" || missing="$missing $f"; done
	if [ -n "$missing" ]; then
		fail "$p-man-files" "paths in --help but not in FILES:$missing"
	else
		pass "$p-man-files"
	fi
done

# --- environment variables the code reads ----------------------------------
for pair in hostgate-attest.8:attest hostgate-verify.1:verifier; do
	page=$MAN/${pair%:*} dir=${pair#*:}
	env=$(section "$page" ENVIRONMENT)
	envvars=$(grep -ohE 'getenv\("[A-Z0-9_]+"\)' "$ROOT/$dir"/*.c "$ROOT"/lib/*.c |
		sed -E 's/getenv\("(.*)"\)/\1/' | sort -u)
	missing=
	for v in $envvars; do has "$env" "$v" || missing="$missing $v"; done
	if [ -z "$envvars" ]; then
		fail "${page##*/}-environment" "no getenv() found in $dir"
	elif [ -n "$missing" ]; then
		fail "${page##*/}-environment" "read by the code but not in ENVIRONMENT:$missing"
	else
		pass "${page##*/}-environment"
	fi
done

# --- the pages render cleanly ------------------------------------------------
for page in "$MAN"/*.[158]; do
	w=$(groff -man -ww -z "$page" 2>&1)
	if [ -z "$w" ]; then pass "render-${page##*/}"; else fail "render-${page##*/}" "$(head -c 300 <<<"$w")"; fi
done

# --- --version ---------------------------------------------------------------
version=$(cat "$ROOT/VERSION")
changelog=$(sed -nE '1s/^hostgate \(([^)]*)\).*/\1/p' "$ROOT/debian/changelog")
if [ "${changelog%%-*}" = "$version" ]; then
	pass version-changelog-agrees
else
	fail version-changelog-agrees "VERSION $version, debian/changelog $changelog"
fi
for p in hostgate-attest hostgate-verify; do
	expect_exit 0 "$p-version-exit" "$p" --version
	if [ "$(head -1 "$WORK/last.out")" = "$p $version" ] &&
		grep -qE '^  openssl: OpenSSL [0-9]' "$WORK/last.out" &&
		grep -qE '^  libcbor: [0-9]+\.[0-9]+\.[0-9]+' "$WORK/last.out"; then
		pass "$p-version-text"
	else
		fail "$p-version-text" "$(head -c 300 "$WORK/last.out")"
	fi
done
"$HG_VERIFY" --version >"$WORK/v.out"
if grep -qE '^  json-c: [0-9]' "$WORK/v.out" && grep -qE '^  sqlite3: 3\.' "$WORK/v.out"; then
	pass verify-version-libraries
else
	fail verify-version-libraries "$(cat "$WORK/v.out")"
fi
"$HG_ATTEST" --version >"$WORK/a.out"
if grep -qE '^  tss2: ' "$WORK/a.out" && grep -qE '^  libxml2: 2\.' "$WORK/a.out" &&
	grep -qE '^  libvirt: not loaded' "$WORK/a.out"; then
	pass attest-version-libraries
else
	fail attest-version-libraries "$(cat "$WORK/a.out")"
fi

# --- bash completion -----------------------------------------------------------
# complete LINE: COMPREPLY for the command line LINE (the cursor at its end).
complete_line() {
	COMP_LINE=$1
	COMP_POINT=${#1}
	read -ra COMP_WORDS <<<"$1"
	[[ $1 == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_hostgate "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
for p in hostgate-attest hostgate-verify; do
	got=$(complete_line "$p ")
	want=$({ _hostgate_commands "$p"; echo --help; echo --version; } | sort)
	if [ "$got" = "$want" ] && [ "$(wc -l <<<"$want")" -ge 7 ]; then
		pass "$p-complete-commands"
	else
		fail "$p-complete-commands" "got: $(tr '\n' ' ' <<<"$got")"
	fi
done
got=$(complete_line "hostgate-verify check --")
for o in --ak --host --state --nonce --policy --workload --uefi-ebs-workaround --quiet; do
	grep -qx -- "$o" <<<"$got" || { fail complete-check-options "no $o in: $(tr '\n' ' ' <<<"$got")"; got=; break; }
done
[ -n "$got" ] && pass complete-check-options
# Prose quoting another tool's options is not taken for ours.
got=$(complete_line "hostgate-verify show -")
if grep -qx -- --export <<<"$got" && ! grep -qxE -- '-u|-m|-s|-f|-g|-q' <<<"$got"; then
	pass complete-show-options-not-tpm2-tools
else
	fail complete-show-options-not-tpm2-tools "got: $(tr '\n' ' ' <<<"$got")"
fi
got=$(complete_line "hostgate-attest measure --kind i")
if [ "$got" = image ]; then pass complete-kind-values; else fail complete-kind-values "got: $got"; fi
got=$(complete_line "hostgate-attest hook ")
if [ "$(tr '\n' ' ' <<<"$got")" = "install run uninstall " ]; then
	pass complete-hook-subcommands
else
	fail complete-hook-subcommands "got: $got"
fi

# --- README ----------------------------------------------------------------------
# It starts with the two commands, in its first code block.
first=$(awk '/^```/ { if (on) exit; on = 1; next } on' "$ROOT/README.md")
if grep -q '^make demo' <<<"$first" && grep -q '^make check' <<<"$first"; then
	pass readme-starts-with-the-two-commands
else
	fail readme-starts-with-the-two-commands "first code block: $first"
fi
