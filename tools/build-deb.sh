#!/bin/bash
# build-deb.sh: build the Debian packages (hostgate, hostgate-verifier)
# out of a copy of this tree, so the tree stays clean: dpkg-buildpackage
# writes ../*.deb and debian/ build files beside the source.
#
# Usage: tools/build-deb.sh OUTDIR [--lintian]
#   OUTDIR     receives the .deb, .buildinfo and .changes files
#   --lintian  also run lintian on the .changes; its output goes to
#              OUTDIR/lintian.txt (and stdout)
#
# The copy is the files git tracks or would track, as they are in the
# work tree (uncommitted edits included), or the whole tree less build output
# outside a git checkout. DEB_BUILD_OPTIONS defaults to
# "nocheck noddebs parallel=2" (the suite is not run inside the build: it needs
# root, swtpm and libvirtd; no -dbgsym packages, which nothing installs).
#
# Exit codes: 0 built, 1 the build or lintian failed, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: tools/build-deb.sh OUTDIR [--lintian]" >&2; exit 2; }
out=$1
lint=${2:-}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(cat VERSION)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hostgate-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=$tmp/hostgate-$version
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked and new files, not ignored ones (build/); a tracked file
	# deleted in the work tree is skipped.
	git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude='./build-*' --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"nocheck noddebs parallel=2"}
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed" >&2
	exit 1
fi
cp "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes "$out"/
rm -f "$out"/lintian.txt
if [ "$lint" = --lintian ]; then
	# Exit status 2 is lintian's own failure; 1 means errors were found.
	lintian --info --display-info "$tmp"/*.changes >"$out/lintian.txt" 2>&1 || true
	cat "$out/lintian.txt"
fi
ls "$out"/*.deb
