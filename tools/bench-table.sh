#!/bin/bash
# bench-table.sh: the one table of a `make bench` run, from the result
# lines its benchmarks printed (tools/bench-result.sh gives the format).
#
#   tools/bench-table.sh [-o FILE] LOG...
#
# Reads every LOG (the output of tools/bench-*.sh, as tools/bench-all.sh
# records it; - or no LOG: stdin) and prints one row per goal, in the
# order below, then any goal it does not know, in the order met:
#
#   goal | hostgate | peer | peer's | ratio | target | met or MISSED
#
# A goal whose benchmark said it cannot run here is "skipped (reason)";
# one with no line is "failed (...)" when its benchmark exited non-zero
# (bench-all.sh's BENCH-RUN line says so), "not run" when the logs do not
# show its benchmark running, and "missing" when the benchmark ran, ended
# well and printed nothing for it. The notes a line carries follow the
# table, numbered. The same text goes to FILE with -o.
#
# BENCH-RUN lines (bench-all.sh) give the header and the durations:
#   BENCH-RUN date=ISO code=REV cores=N quick=0|1
#   BENCH-RUN bench=NAME rc=N secs=N [why=TEXT]
#
# Exit: 0 the table is complete (rows may be missed or skipped); 1 a
# result line is malformed (stderr names the file, the line and why) or a
# goal is missing; 2 usage, or a LOG cannot be read.
set -uo pipefail

# The goals, in the table's order: ID, the benchmark that owns it, and
# what to call it when no line came. service-pg and service-pg-2 are the
# PostgreSQL rows (issue 15), measured by bench-service.sh with
# SERVICE_PG=1 and skipped without it.
GOALS='measure-openssl	measure	measure, one 2 GiB file, vs openssl
measure-sha256sum	measure	measure, one 2 GiB file, vs sha256sum
measure-two-files	measure	measure, two 1 GiB files at once
measure-rss	measure	measure, peak RSS
verify-quote	verify	check, quote-only evidence, in process
verify-checkquote	verify	check --quiet, one process per check
verify-1k	verify	check, 1,000-record log, in process
verify-1k-process	verify	check --quiet process, 1,000-record log
verify-100k	verify	check --quiet, 100,000-record log, peak RSS
verify-64m	verify	check --quiet, log at the 64 MiB cap, peak RSS
gate-start	gate	gate: added to virsh start, unchanged image
gate-new-image	gate	gate: first virsh start on a new 1 GiB image
uefi-replay	uefi	UEFI log parse + replay
incr	incr	incremental re-attestation, 1,000-record host
service-hosts	service	serve, hosts held at 10 s with p99 < 100 ms
service-capacity	service	serve, attestations per CPU-second
service-pg	service	serve on PostgreSQL, one instance, hosts held
service-pg-2	service	serve on PostgreSQL, two instances, hosts held'

usage() {
	echo "Usage: tools/bench-table.sh [-o FILE] LOG..." >&2
	exit 2
}
OUT=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	--) shift; break ;;
	-?*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- -
for f; do
	[ "$f" = - ] || [ -r "$f" ] || { echo "bench-table: $f: cannot read it" >&2; exit 2; }
done

TMP=$(mktemp "${TMPDIR:-/tmp}/hostgate-bench-table.XXXXXX") || exit 2
trap 'rm -f "$TMP"' EXIT

# One awk program does it all: parse, validate, lay out. Rows are built
# first, then the column widths are taken from them.
awk -v goals="$GOALS" -v errf=/dev/stderr '
function err(msg) { printf "bench-table: %s:%d: %s\n", FILENAME == "" ? "-" : FILENAME, FNR, msg > errf; bad = 1 }
# parse(s): the KEY=VALUE fields of s into kv[]; "" or the reason it is malformed.
function parse(s,    k, v, e) {
	split("", kv)
	while (s != "") {
		if (!match(s, /^[a-z_]+=/)) return "expected KEY=VALUE at \"" substr(s, 1, 20) "\""
		k = substr(s, 1, RLENGTH - 1); s = substr(s, RLENGTH + 1)
		if (substr(s, 1, 1) == "\"") {
			e = index(substr(s, 2), "\"")
			if (!e) return k ": unterminated quote"
			v = substr(s, 2, e - 1); s = substr(s, e + 2)
		} else {
			match(s, /^[^ "]*/); v = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
		}
		if (s != "" && substr(s, 1, 1) != " ") return k ": junk after the value"
		sub(/^ /, "", s)
		if (k in kv) return k ": given twice"
		kv[k] = v
	}
	return ""
}
function isnum(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?$/ }
function check(    r, k, n, req) {
	if (!("goal" in kv) || kv["goal"] !~ /^[a-z0-9-]+$/) return "no goal=ID ([a-z0-9-]+)"
	if (kv["what"] == "") return kv["goal"] ": no what="
	if ("skipped" in kv) return kv["skipped"] == "" ? kv["goal"] ": skipped= without a reason" : ""
	n = split("value unit peer peer_value ratio target met", req, " ")
	for (k = 1; k <= n; k++) if (!(req[k] in kv) || kv[req[k]] == "") return kv["goal"] ": no " req[k] "="
	if (!isnum(kv["value"])) return kv["goal"] ": value \"" kv["value"] "\" is not a number"
	if (!isnum(kv["peer_value"])) return kv["goal"] ": peer_value \"" kv["peer_value"] "\" is not a number"
	if (!isnum(kv["ratio"])) return kv["goal"] ": ratio \"" kv["ratio"] "\" is not a number"
	if (kv["met"] != "yes" && kv["met"] != "no") return kv["goal"] ": met must be yes or no, not \"" kv["met"] "\""
	return ""
}
BEGIN {
	ng = split(goals, gl, "\n")
	for (i = 1; i <= ng; i++) {
		split(gl[i], f, "\t")
		order[i] = f[1]; owner[f[1]] = f[2]; label[f[1]] = f[3]; known[f[1]] = 1
	}
	nextra = 0
}
/^BENCH-RUN / {
	if ((r = parse(substr($0, 11))) != "") { err("BENCH-RUN: " r); next }
	if ("date" in kv) {
		hdate = kv["date"]; hcode = kv["code"]; hcores = kv["cores"]; quick = kv["quick"]
	}
	if ("bench" in kv) {
		b = kv["bench"]
		if (!(b in ran)) runorder[++nrun] = b
		ran[b] = 1; rc[b] = kv["rc"]; secs[b] = kv["secs"]; why[b] = kv["why"]
	}
	next
}
/^BENCH-RESULT( |$)/ {
	if ((r = parse(substr($0, 14))) == "") r = check()
	g = kv["goal"]
	if (r != "") {
		err(r)
		if (g ~ /^[a-z0-9-]+$/) {
			if (!(g in known) && !(g in seen)) extra[++nextra] = g
			seen[g] = 1; row_text[g] = "invalid result line (" r ")"; row_kind[g] = "text"
			if (!(g in label)) label[g] = g
		}
		next
	}
	if (!(g in known) && !(g in seen)) extra[++nextra] = g
	seen[g] = 1; label[g] = kv["what"]
	if ("skipped" in kv) { row_kind[g] = "text"; row_text[g] = "skipped (" kv["skipped"] ")"; next }
	row_kind[g] = "full"
	pu = ("peer_unit" in kv) ? kv["peer_unit"] : kv["unit"]
	c_val[g] = kv["value"] " " kv["unit"]; c_peer[g] = kv["peer"]
	c_pval[g] = kv["peer_value"] " " pu; c_ratio[g] = kv["ratio"] "x"
	c_tgt[g] = kv["target"]; c_met[g] = kv["met"] == "yes" ? "met" : "MISSED"
	c_note[g] = kv["note"]
	next
}
END {
	# The rows: the known goals, then the others.
	n = 0
	for (i = 1; i <= ng; i++) rows[++n] = order[i]
	for (i = 1; i <= nextra; i++) rows[++n] = extra[i]
	nmet = nmiss = nskip = nfail = 0
	for (i = 1; i <= n; i++) {
		g = rows[i]
		if (!(g in seen)) {
			b = owner[g]
			row_kind[g] = "text"
			if (!(b in ran)) { row_text[g] = "not run (bench-" b " is not in these logs)"; nskip++ }
			else if (rc[b] != 0) {
				row_text[g] = "failed (bench-" b " exited " rc[b] (why[b] != "" ? ": " why[b] : "") ")"; nfail++
			} else {
				row_text[g] = "missing (bench-" b " ended well but printed no line for " g ")"; nfail++
				printf "bench-table: goal %s: bench-%s printed no result line for it\n", g, b > errf
				bad = 1
			}
		} else if (row_kind[g] == "text") {
			if (row_text[g] ~ /^skipped/) nskip++; else nfail++
		} else if (c_met[g] == "met") nmet++; else nmiss++
	}
	w[1] = length("goal"); w[2] = length("hostgate"); w[3] = length("peer")
	w[4] = length("peer'"'"'s"); w[5] = length("ratio"); w[6] = length("target")
	for (i = 1; i <= n; i++) {
		g = rows[i]
		if (length(label[g]) > w[1]) w[1] = length(label[g])
		if (row_kind[g] != "full") continue
		if (length(c_val[g]) > w[2]) w[2] = length(c_val[g])
		if (length(c_peer[g]) > w[3]) w[3] = length(c_peer[g])
		if (length(c_pval[g]) > w[4]) w[4] = length(c_pval[g])
		if (length(c_ratio[g]) > w[5]) w[5] = length(c_ratio[g])
		if (length(c_tgt[g]) > w[6]) w[6] = length(c_tgt[g])
	}
	printf "hostgate benchmarks: one run of make bench"
	if (hdate != "") printf ", %s", hdate
	if (hcode != "") printf ", code %s", hcode
	if (hcores != "") printf ", %s cores", hcores
	printf "\n"
	if (quick == 1)
		printf "QUICK RUN (BENCH_QUICK=1): every benchmark ran briefly; the figures show the table works, they do not measure the goals\n"
	printf "ratio: hostgate / peer, both measured in this run (rates: > 1 is faster; times and sizes: < 1 is smaller)\n\n"
	fmt = "%-" w[1] "s  %" w[2] "s  %-" w[3] "s  %" w[4] "s  %" w[5] "s  %-" w[6] "s  %s\n"
	printf fmt, "goal", "hostgate", "peer", "peer'"'"'s", "ratio", "target", "result"
	line = ""; for (k = 1; k <= 6; k++) { line = line sprintf("%" w[k] "s  ", ""); }
	gsub(/ /, "-", line); printf "%s------\n", line
	nn = 0
	for (i = 1; i <= n; i++) {
		g = rows[i]
		if (row_kind[g] != "full") { printf "%-" w[1] "s  %s\n", label[g], row_text[g]; continue }
		res = c_met[g]
		if (c_note[g] != "") { notes[++nn] = c_note[g]; res = res " [" nn "]" }
		printf fmt, label[g], c_val[g], c_peer[g], c_pval[g], c_ratio[g], c_tgt[g], res
	}
	printf "\n%d met, %d missed, %d skipped or not run, %d failed\n", nmet, nmiss, nskip, nfail
	for (i = 1; i <= nn; i++) printf "[%d] %s\n", i, notes[i]
	if (nrun) {
		printf "durations:"; tot = 0
		for (i = 1; i <= nrun; i++) { b = runorder[i]; printf " %s %s s%s", b, secs[b], i < nrun ? "," : ""; tot += secs[b] }
		printf "; total %d s (%d min)\n", tot, int((tot + 30) / 60)
	}
	exit bad
}' "$@" >"$TMP"
rc=$?
cat "$TMP"
if [ -n "$OUT" ]; then
	cp "$TMP" "$OUT" || { echo "bench-table: $OUT: cannot write it" >&2; exit 2; }
fi
[ "$rc" -le 1 ] || rc=2
exit "$rc"
