#!/bin/bash
# run.sh: build and run hostgate's libFuzzer targets (the 'make fuzz' driver).
#
# Builds each tests/fuzz/fuzz_*.c together with every lib/*.c source into
# build-fuzz/ (clang, libFuzzer + ASan + UBSan), builds and runs the seed
# generator tests/fuzz/make-seeds.c into build-fuzz/corpus/<target>/, then
# runs every target for FUZZ_SECONDS on its corpus, printing one line per
# target and a summary line
#   N passed, N failed
# A target passes when libFuzzer exits 0 and wrote no crash, leak, timeout
# or OOM artefact. Artefacts go to build-fuzz/artifacts/<target>-*; their
# paths are printed. Exit status: 0 all passed, 1 a target failed, 2 the
# build or the seed generation failed.
#
# Usage: tests/fuzz/run.sh [--build-only | --coverage] [TARGET...]
#   TARGET        fuzz_log, fuzz_cel, fuzz_cose, fuzz_cbor, fuzz_evidence,
#                 fuzz_policy, fuzz_imgchain, fuzz_domxml, fuzz_uefilog,
#                 fuzz_enrollmsg, fuzz_text, fuzz_incrstate, fuzz_ear,
#                 fuzz_agentreq, fuzz_svcreq, fuzz_running, fuzz_conf,
#                 fuzz_policystore (default: all)
#   --build-only  build the targets and the seeds, run nothing
#   --coverage    fuzz nothing: build source-coverage variants of the
#                 targets into build-fuzz/cov/, run each once over its
#                 corpus and print line and branch coverage of lib/
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60; 10 is a smoke run)
#   FUZZ_JOBS     targets run at the same time (default 1)
#   FUZZ_FLAGS    extra libFuzzer flags, e.g. "-workers=2 -jobs=2"
#   FUZZ_OUT      build, corpus, artefact and log directory (default
#                 build-fuzz; 'make clean' removes only that one)
#   FUZZ_PKGS     pkg-config packages to link (default libcrypto libcbor,
#                 plus tss2-mu / json-c when lib/ includes their headers;
#                 fuzz_domxml adds libxml-2.0 for itself)
#   CLANG         compiler (default clang)
# Logs: build-fuzz/logs/<target>.log (the whole libFuzzer output).
set -u
cd "$(dirname "$0")/../.." || exit 2

OUT=${FUZZ_OUT:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_FLAGS=${FUZZ_FLAGS:-}
CLANG=${CLANG:-clang}
ALL_TARGETS="fuzz_log fuzz_cel fuzz_cose fuzz_cbor fuzz_evidence fuzz_policy fuzz_imgchain fuzz_domxml fuzz_uefilog fuzz_enrollmsg fuzz_text fuzz_incrstate fuzz_ear fuzz_agentreq fuzz_svcreq fuzz_running fuzz_conf fuzz_policystore"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS_FUZZ="-Wall -Wextra -Werror=implicit-function-declaration -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ilib"

build_only=0
coverage=0
targets=""
for a in "$@"; do
	case $a in
	--build-only) build_only=1 ;;
	--coverage) coverage=1 ;;
	fuzz_*) targets="$targets $a" ;;
	*) echo "usage: $0 [--build-only | --coverage] [TARGET...]" >&2; exit 2 ;;
	esac
done
targets=${targets:-$ALL_TARGETS}
for t in $targets; do
	[ -f "tests/fuzz/$t.c" ] || { echo "run.sh: no target $t" >&2; exit 2; }
done
case $FUZZ_SECONDS in ''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a number" >&2; exit 2 ;; esac
case $FUZZ_JOBS in ''|*[!0-9]*|0) echo "run.sh: FUZZ_JOBS must be >= 1" >&2; exit 2 ;; esac

if ! command -v "$CLANG" >/dev/null; then
	echo "run.sh: $CLANG not found (make deps installs clang)" >&2
	exit 2
fi
# Every lib/*.c is linked in, so link what lib/ includes.
PKGS="libcrypto libcbor"
grep -qs '<tss2/' lib/*.[ch] && PKGS="$PKGS tss2-mu"
# fuzz_policy includes verifier/policy.c, which needs json-c, jansson and
# libunistring (verifier/jsonstrict.c; the latter has no .pc file).
PKGS="$PKGS json-c jansson"
# lib/httpsd.c (the agent's and the service's HTTPS server) is libevent
# over OpenSSL.
grep -qs '<event2/' lib/*.[ch] && PKGS="$PKGS libevent libevent_openssl libssl"
# fuzz_svcreq parses the push query with evhttp; fuzz_policystore stores
# policies in a real (in-memory) SQLite registry.
PKGS="$PKGS libevent sqlite3 libpq"
PKGS=${FUZZ_PKGS:-$PKGS}
# shellcheck disable=SC2086
if ! PKG=$(pkg-config --cflags --libs $PKGS); then
	echo "run.sh: pkg-config $PKGS failed (make deps)" >&2
	exit 2
fi
PKG="$PKG -pthread -lunistring"
# fuzz_domxml alone needs libxml2: ask for it only when it is built.
XML_PKG=
case " $targets " in
*" fuzz_domxml "*)
	if ! XML_PKG=$(pkg-config --cflags --libs libxml-2.0); then
		echo "run.sh: pkg-config libxml-2.0 failed (make deps)" >&2
		exit 2
	fi ;;
esac
# Stacks with file:line in the logs.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
	for s in llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer; do
		if command -v "$s" >/dev/null; then
			ASAN_SYMBOLIZER_PATH=$(command -v "$s")
			export ASAN_SYMBOLIZER_PATH
			break
		fi
	done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=1}

mkdir -p "$OUT/corpus" "$OUT/artifacts" "$OUT/logs" || exit 2

# --- build ------------------------------------------------------------------
LIB_SRC=$(ls lib/*.c)
# lib/ is compiled once, instrumented for libFuzzer's coverage, into an
# archive every target (and make-seeds) links (FUZZ_BUILD_JOBS at once, default 2): what a
# target calls is in it, and building it per target made the smoke run
# mostly compiling.
rm -rf "$OUT/obj"
mkdir -p "$OUT/obj"
LIB_CFLAGS=${CFLAGS_FUZZ/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}
echo "  CLANG  $OUT/obj/libhg.a (lib/*.c)"
# shellcheck disable=SC2086
if ! printf '%s\n' $LIB_SRC | xargs -P "${FUZZ_BUILD_JOBS:-2}" -I{} sh -c \
	'"$0" -c $1 $2 -o "$3/obj/$(basename "{}" .c).o" "{}"' \
	"$CLANG" "$LIB_CFLAGS" "$(pkg-config --cflags $PKGS)" "$OUT" 2>"$OUT/logs/lib.build.log"; then
	cat "$OUT/logs/lib.build.log" >&2
	echo "run.sh: building lib/ failed" >&2
	exit 2
fi
rm -f "$OUT/obj/libhg.a"
ar rcs "$OUT/obj/libhg.a" "$OUT"/obj/*.o || exit 2
LIB_LINK=$OUT/obj/libhg.a
echo "  CLANG  $OUT/make-seeds"
# shellcheck disable=SC2086
if ! "$CLANG" -Wall -Wextra -g -O1 $SAN -Ilib -o "$OUT/make-seeds" tests/fuzz/make-seeds.c \
	$LIB_LINK $PKG 2>"$OUT/logs/make-seeds.build.log"; then
	cat "$OUT/logs/make-seeds.build.log" >&2
	echo "run.sh: building make-seeds failed" >&2
	exit 2
fi
echo "  SEEDS  $OUT/corpus/"
if ! "$OUT/make-seeds" "$OUT/corpus"; then
	echo "run.sh: make-seeds failed" >&2
	exit 2
fi
# Seeds only a TPM can make: real evidence from a private swtpm, so that
# fuzz_evidence starts from a quote that verifies. The policies shipped in
# policies/ seed fuzz_policy.
mkdir -p "$OUT/corpus/fuzz_evidence" "$OUT/corpus/fuzz_policy"
cp policies/*.json "$OUT/corpus/fuzz_policy/"
if [ -x build/bin/hostgate-attest ] &&
	swtpm_out=$(swtpm-fixtures/swtpm-start.sh --banks sha1,sha256 --no-ek-certs 2>/dev/null); then
	eval "$swtpm_out"
	seed=$(mktemp -d)
	if HOSTGATE_TCTI=$SWTPM_TCTI HOSTGATE_STATE=$seed/state HOSTGATE_LOG=$seed/log.cel \
		sh -c 'build/bin/hostgate-attest init >/dev/null &&
			build/bin/hostgate-attest measure --kind hypervisor /bin/true >/dev/null &&
			build/bin/hostgate-attest quote --nonce 00112233445566778899aabbccddeeff -o "$0"' \
		"$OUT/corpus/fuzz_evidence/real.cbor"; then
		cp "$seed/state/ak.pub" "$OUT/corpus/fuzz_evidence/ak.pub"
	else
		echo "         no real evidence seed (hostgate-attest failed)"
	fi
	swtpm-fixtures/swtpm-stop.sh "$SWTPM_DIR" >/dev/null 2>&1
	rm -rf "$seed"
else
	echo "         no real evidence seed (build first, and swtpm is needed)"
fi
# fuzz_imgchain (attest/qcow2hdr.c, included whole) starts from the
# headers qemu-img writes: v3 and v2, with and without a backing file,
# a raw backing format, an external data file.
mkdir -p "$OUT/corpus/fuzz_imgchain"
if command -v qemu-img >/dev/null && seed=$(mktemp -d); then
	(
		cd "$seed" || exit 1
		qemu-img create -q -f qcow2 base.qcow2 1M &&
			qemu-img create -q -f raw base.raw 1M &&
			qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 v3-backing.qcow2 &&
			qemu-img create -q -f qcow2 -o compat=0.10 -b base.qcow2 -F qcow2 v2-backing.qcow2 &&
			qemu-img create -q -f qcow2 -b base.raw -F raw raw-backing.qcow2 &&
			qemu-img create -q -f qcow2 -o cluster_size=512 -b base.qcow2 -F qcow2 c512.qcow2 &&
			qemu-img create -q -f qcow2 -o data_file=data.raw data-file.qcow2 1M
	) || echo "         qemu-img failed: fewer fuzz_imgchain seeds"
	for f in "$seed"/*.qcow2; do
		[ -f "$f" ] && head -c 8192 "$f" >"$OUT/corpus/fuzz_imgchain/seed-$(basename "$f" .qcow2)"
	done
	rm -rf "$seed"
else
	echo "         no fuzz_imgchain seeds (qemu-img is needed)"
fi
# fuzz_domxml starts from the domain XML fixtures of the unit tests:
# real libvirtd 9 output (inactive and the hook's prepare-begin) and
# hand-written persistent and live forms.
mkdir -p "$OUT/corpus/fuzz_domxml"
for f in tests/unit/domxml/*.xml; do
	cp "$f" "$OUT/corpus/fuzz_domxml/seed-$(basename "$f" .xml)"
done
# And small domains for hg_domplan's branches: <os> files that exist on
# any host (a plan that succeeds), one path as two kinds, a kernel outside
# the image directories, several disks of each type, an explicit chain.
domseed() { # NAME BODY: a domain named NAME around BODY
	printf '<domain type="kvm">\n<name>%s</name>\n<memory unit="MiB">64</memory>\n%s\n</domain>\n' \
		"$1" "$2" >"$OUT/corpus/fuzz_domxml/seed-$1"
}
domseed os-ok '<os><type arch="x86_64">hvm</type><loader readonly="yes" type="pflash">/bin/sh</loader><nvram template="/bin/true">/var/lib/libvirt/qemu/nvram/os-ok_VARS.fd</nvram></os>
<devices><disk type="file" device="cdrom"><target dev="sda" bus="sata"/><readonly/></disk><disk type="block" device="floppy"/></devices>'
domseed os-clash '<os><loader>/bin/sh</loader><nvram>/bin/sh</nvram></os>'
domseed os-kernel '<os><kernel>/bin/sh</kernel><initrd>/nonexistent</initrd><dtb>rel</dtb></os>'
domseed disks '<devices><disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="/var/lib/libvirt/images/a.qcow2" index="1"/><backingStore type="file" index="2"><format type="qcow2"/><source file="/var/lib/libvirt/images/b.qcow2"/><backingStore/></backingStore><target dev="vda" bus="virtio"/></disk>
<disk type="block" device="disk"><source dev="/dev/sdb"/><target dev="vdb"/></disk>
<disk type="network" device="disk"><source protocol="nbd" name="x"/><target dev="vdc"/></disk>
<disk type="file" device="cdrom"><target dev="sda"/></disk></devices>'
domseed disk-raw '<devices><disk type="file"><source file="/var/lib/libvirt/images/c.img"/><target dev="vda"/><readonly/></disk></devices>'
# Nested to HG_DOMXML_MAX_DEPTH exactly: one more level is refused.
domseed deep "$(for _ in $(seq 63); do printf '<e>'; done; printf '<e a="1"/>'; for _ in $(seq 63); do printf '</e>'; done)"

# fuzz_uefilog starts from the real firmware logs of the corpus
# (tests/data/uefi, or $HG_UEFI_CORPUS): every file but the JSON,
# YAML, text and base64 ones. libFuzzer reads the first -max_len bytes of
# the larger ones, a log cut short, which is a case of its own.
mkdir -p "$OUT/corpus/fuzz_uefilog"
UEFI_CORPUS=${HG_UEFI_CORPUS:-tests/data/uefi}
if [ -d "$UEFI_CORPUS" ]; then
	find "$UEFI_CORPUS" -type f ! -name '*.json' ! -name '*.yaml' ! -name '*.tsv' \
		! -name '*.md' ! -name '*.b64' ! -name '*.warn' ! -name '*.pem' -print |
		while IFS= read -r f; do
			rel=${f#"$UEFI_CORPUS"/}
			cp "$f" "$OUT/corpus/fuzz_uefilog/seed-${rel//\//_}"
		done
else
	echo "         no fuzz_uefilog seeds ($UEFI_CORPUS missing)"
fi

# fuzz_enrollmsg starts from one valid message of each type (lib/enrollmsg.h),
# written here from hex: a request with one EK and one with two (the
# shortest hostname), a challenge, a response, and the response again
# with non-shortest heads (0x18 0x00 for key 0), which decodes to the
# same fields but re-encodes to other bytes.
mkdir -p "$OUT/corpus/fuzz_enrollmsg"
hexseed() { # NAME HEX: write the bytes of HEX to the fuzz_enrollmsg seed NAME
	# shellcheck disable=SC2059
	printf "$(printf '%s' "$2" | sed 's/../\\x&/g')" >"$OUT/corpus/fuzz_enrollmsg/seed-$1"
}
hexseed request a6000101010281824c3082010a000102030405060746013a0001000b03440023000b\
045822000b202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\
056e686f73742d312e6578616d706c65
hexseed request-2eks a600010101028282453003020101440001000b82453003020102440023000b\
03440001000b045600040000000000000000000000000000000000000000056168
hexseed challenge a7000101020250000102030405060708090a0b0c0d0e0f\
035822000ba0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\
045822000bb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf\
055824002200000000000000000000000000000000000000000000000000000000000000000000\
0658220020000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
hexseed response a4000101030250000102030405060708090a0b0c0d0e0f\
035820404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f
hexseed response-long-heads a418000101030250000102030405060708090a0b0c0d0e0f\
1803590020404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f

# The JSON and text parsers added with the fleet (issue 16 item 5): seeds
# are valid inputs written here, each target's own.
seed() { # TARGET NAME TEXT
	mkdir -p "$OUT/corpus/$1"
	printf '%s' "$3" >"$OUT/corpus/$1/seed-$2"
}
N32=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
seed fuzz_agentreq nonce '{"nonce": "0011223344556677"}'
seed fuzz_agentreq since "{\"nonce\": \"$N32\", \"since\": {\"boot\": \"0000000100000000\", \"recnum\": 12}}"
seed fuzz_agentreq ws "$(printf ' {"since":{"recnum":4294967294,"boot":"ffffffffffffffff"},"nonce":"%s"}\r\n' "$N32")"
seed fuzz_svcreq assign-host '{"host": "hv1"}'
seed fuzz_svcreq assign-group '{"group":"fleet-a.b_c"}'
seed fuzz_svcreq query "nonce=$N32"
seed fuzz_svcreq query-scope "nonce=$N32&workload=image:/var/lib/libvirt/images/a.qcow2&workload=config%3A%2Fetc%2Flibvirt%2Fqemu%2Fvm.xml&workload=overlay:/v/o%20x.qcow2"
seed fuzz_running two '[{"name": "demo", "uuid": "6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e35", "id": 3}, {"name": "b", "uuid": "00000000-0000-0000-0000-000000000001", "id": null, "state": "running"}]'
seed fuzz_running empty '[]'
mkdir -p "$OUT/corpus/fuzz_conf" "$OUT/corpus/fuzz_policystore"
cp contrib/hostgate.conf "$OUT/corpus/fuzz_conf/seed-example"
seed fuzz_conf all "$(printf '%s\n' '# every key' 'tcti = swtpm:host=127.0.0.1,port=2321' \
	'state = /var/lib/hostgate' 'log = /run/hostgate/measurements.cel' 'pcr = 13' \
	'manifest = /etc/hostgate/host.manifest' 'policy = /etc/hostgate/policy.json' \
	'verifier = /usr/bin/hostgate-verify' 'image-dirs = /var/lib/libvirt/images:/srv/vm' \
	'golden-dirs = /var/lib/libvirt/images/golden' 'break-glass = /etc/hostgate/break-glass' \
	'mode = remote' 'nvram = hashed' 'qemu-commandline = -smbios type=1' \
	'agent-listen = 127.0.0.1:8443' 'agent-cert = /etc/a.pem' 'agent-key = /etc/a.key' \
	'agent-client-ca = /etc/ca.pem' 'agent-max-conns = 16' 'agent-timeout = 10' \
	'verifier-url = https://verifier.example:8443' 'verifier-ca = /etc/v.pem' \
	'verifier-cert = /etc/h.pem' 'verifier-key-file = /etc/h.key' \
	'verifier-ear-key = /etc/e.pem' 'verifier-timeout = 10')"
seed fuzz_conf manifest "$(printf '%s\n' '# host manifest' 'hypervisor /usr/bin/qemu-system-x86_64' \
	'hypervisor /usr/sbin/libvirtd' 'firmware /usr/share/OVMF/OVMF_CODE.fd' 'config /etc/libvirt/qemu.conf')"
cp policies/*.json "$OUT/corpus/fuzz_policystore/"

# What a target links besides itself and lib/*.c. fuzz_imgchain includes
# attest/qcow2hdr.c whole; fuzz_domxml cannot (domplan.c and imgchain.c
# share a static name), so it links the host-side sources it reaches.
extra_of() {
	case $1 in
	fuzz_policy) echo verifier/jsonstrict.c verifier/policynames.c verifier/policydom.c ;;
	fuzz_agentreq) echo attest/agent/evreq.c attest/since.c ;;
	fuzz_svcreq) echo verifier/service/reqparse.c ;;
	fuzz_running) echo verifier/running.c verifier/jsonstrict.c ;;
	fuzz_conf) echo attest/gateconf.c attest/manifest.c attest/fwdesc.c ;;
	# The registry's sources wherever they live (verifier/registry*.c, or
	# verifier/registry/ once it has its own directory).
	fuzz_policystore) echo verifier/policy.c verifier/policyquery.c verifier/jsonstrict.c \
		verifier/policynames.c verifier/policydom.c verifier/tpmid.c \
		$(ls verifier/registry*.c verifier/registry/*.c 2>/dev/null) ;;
	fuzz_domxml) echo attest/domxml.c attest/domxml_runtime.c attest/domplan.c attest/domfiles.c \
		attest/fwdesc.c attest/imgchain.c attest/qcow2hdr.c attest/gateconf.c "$XML_PKG" ;;
	esac
}

# The libFuzzer dictionary of a target.
dict_of() {
	case $1 in
	fuzz_domxml) echo tests/fuzz/xml.dict ;;
	fuzz_uefilog) echo tests/fuzz/uefilog.dict ;;
	fuzz_agentreq | fuzz_svcreq | fuzz_running | fuzz_policystore) echo tests/fuzz/json.dict ;;
	fuzz_conf) echo tests/fuzz/conf.dict ;;
	*) echo tests/fuzz/cbor.dict ;;
	esac
}

build() { # TARGET OUTPUT FLAGS...: 0 or exit 2
	local t=$1 bin=$2

	shift 2
	echo "  CLANG  $bin"
	# shellcheck disable=SC2086,SC2046
	if ! "$CLANG" "$@" -o "$bin" "tests/fuzz/$t.c" $(extra_of "$t") $LIB_LINK $PKG \
		2>"$OUT/logs/$t.build.log"; then
		cat "$OUT/logs/$t.build.log" >&2
		echo "run.sh: building $t failed" >&2
		exit 2
	fi
	if [ -s "$OUT/logs/$t.build.log" ]; then
		echo "         warnings: $OUT/logs/$t.build.log"
	fi
}

# --- coverage -----------------------------------------------------------------
# The lib/ files each target is about.
lib_files_of() {
	case $1 in
	fuzz_log) echo lib/hglog.c lib/cel.c lib/cose.c lib/cbor_r.c lib/digest.c ;;
	fuzz_cel) echo lib/cel.c lib/cbor_r.c lib/digest.c ;;
	fuzz_cose) echo lib/cose.c lib/cbor_r.c ;;
	fuzz_evidence) echo lib/evidence.c lib/tpmpub.c lib/quote.c lib/pcrs.c ;;
	fuzz_policy) echo verifier/policy.c verifier/policyquery.c ;;
	fuzz_imgchain) echo attest/imgchain.c ;;
	fuzz_domxml) echo attest/domxml.c attest/domxml_runtime.c attest/domplan.c attest/domfiles.c attest/imgchain.c ;;
	fuzz_uefilog) echo lib/uefilog.c ;;
	fuzz_enrollmsg) echo lib/enrollmsg.c lib/cbor_r.c ;;
	fuzz_text) echo lib/text.c ;;
	fuzz_agentreq) echo attest/agent/evreq.c attest/since.c ;;
	fuzz_svcreq) echo verifier/service/reqparse.c ;;
	fuzz_running) echo verifier/running.c ;;
	fuzz_conf) echo attest/gateconf.c attest/manifest.c ;;
	fuzz_policystore) echo verifier/registry/registry_policy.c verifier/policy.c ;;
	*) echo lib/cbor_r.c ;;
	esac
}

if [ "$coverage" = 1 ]; then
	LIB_LINK=$LIB_SRC
	PROFDATA=$(command -v llvm-profdata || command -v llvm-profdata-14)
	LLVMCOV=$(command -v llvm-cov || command -v llvm-cov-14)
	if [ -z "$PROFDATA" ] || [ -z "$LLVMCOV" ]; then
		echo "run.sh: llvm-profdata and llvm-cov are needed (package llvm-14)" >&2
		exit 2
	fi
	mkdir -p "$OUT/cov" || exit 2
	for t in $targets; do
		build "$t" "$OUT/cov/$t" -g -O1 -fsanitize=fuzzer \
			-fprofile-instr-generate -fcoverage-mapping -Ilib
		rm -f "$OUT/cov/$t.profraw"
		mkdir -p "$OUT/corpus/$t"
		LLVM_PROFILE_FILE="$OUT/cov/$t.profraw" "$OUT/cov/$t" -runs=0 \
			"$OUT/corpus/$t" >"$OUT/logs/$t.cov.log" 2>&1
		if ! "$PROFDATA" merge -o "$OUT/cov/$t.profdata" "$OUT/cov/$t.profraw"; then
			echo "run.sh: no profile for $t; see $OUT/logs/$t.cov.log" >&2
			exit 2
		fi
		n=$(find "$OUT/corpus/$t" -type f | wc -l)
		echo "$t over $n corpus inputs (lines, branches covered):"
		# shellcheck disable=SC2046
		"$LLVMCOV" report "$OUT/cov/$t" -instr-profile="$OUT/cov/$t.profdata" \
			$(lib_files_of "$t") |
			awk -v root="$PWD/" -v files="$(lib_files_of "$t")" '
			BEGIN { n = split(files, fl, " ") }
			$1 ~ /\.c$/ || $1 == "TOTAL" {
				f = $1; sub(root, "", f)
				# llvm-cov strips the common directory: put it back.
				for (i = 1; f != "TOTAL" && f !~ /\// && i <= n; i++)
					if (fl[i] ~ ("/" f "$")) f = fl[i]
				printf "  %-17s lines %7s (%s of %s missed)  branches %7s (%s of %s missed)\n",
					f, $10, $9, $8, $13, $12, $11 }'
	done
	echo "Per-line detail: $LLVMCOV show $OUT/cov/TARGET -instr-profile=$OUT/cov/TARGET.profdata FILE.c"
	exit 0
fi

for t in $targets; do
	# shellcheck disable=SC2086
	build "$t" "$OUT/$t" $CFLAGS_FUZZ
done
[ "$build_only" = 1 ] && exit 0

# --- run --------------------------------------------------------------------
RESULTS=$(mktemp "${TMPDIR:-/tmp}/hostgate-fuzz.XXXXXX") || exit 2
trap 'rm -f "$RESULTS"' EXIT

artefacts_of() { # TARGET: the artefact files of TARGET, one a line
	local f

	for f in "$OUT/artifacts/$1"-*; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done
}

stat_of() { # STAT LOG: value of libFuzzer's -print_final_stats line
	sed -n "s/^stat::$1: *//p" "$2" | tail -1
}

run_target() {
	local t=$1 log=$OUT/logs/$1.log corpus=$OUT/corpus/$1
	local before after new rc status cov ft corp runs eps line a start elapsed

	start=$SECONDS
	mkdir -p "$corpus"
	before=$(artefacts_of "$t" | sort)
	# shellcheck disable=SC2086
	"$OUT/$t" -max_total_time="$FUZZ_SECONDS" -max_len=8192 \
		-rss_limit_mb=512 -timeout=5 -dict="$(dict_of "$t")" \
		-artifact_prefix="$OUT/artifacts/$t-" -print_final_stats=1 \
		$FUZZ_FLAGS "$corpus" >"$log" 2>&1
	rc=$?
	after=$(artefacts_of "$t" | sort)
	# New files, and those libFuzzer names (an artefact that already
	# existed, same input again, is overwritten, not new).
	new=$( {
		comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after")
		sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log"
	} | grep -v '^$' | grep -v "/artifacts/\$" | sort -u)
	elapsed=$((SECONDS - start))

	# Coverage from the last status line ("#N DONE cov: X ft: Y corp: Z/..").
	line=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(printf '%s' "$line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s' "$line" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	runs=$(stat_of number_of_executed_units "$log")
	eps=$(stat_of average_exec_per_sec "$log")

	if [ "$rc" -eq 0 ] && [ -z "$new" ]; then
		status=PASS
	else
		status=FAIL
	fi
	printf '%s %-9s %ss, %s runs, %s exec/s, cov %s, ft %s, corpus %s (exit %s, log %s)\n' \
		"$status" "$t" "$elapsed" "${runs:-?}" "${eps:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$rc" "$log"
	if [ "$status" = FAIL ]; then
		grep -E '^(==[0-9]+== ?ERROR|SUMMARY|.*runtime error:|.*contract broken|ERROR: libFuzzer)' "$log" |
			head -5 | sed 's/^/    /'
		for a in $new; do
			echo "    artefact: $a"
		done
		[ -n "$new" ] || echo "    no artefact; see $log"
	fi
	echo "$status $t" >>"$RESULTS"
}

running=0
for t in $targets; do
	if [ "$FUZZ_JOBS" -le 1 ]; then
		run_target "$t"
		continue
	fi
	if [ "$running" -ge "$FUZZ_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_target "$t" &
	running=$((running + 1))
done
wait

passed=$(grep -c '^PASS ' "$RESULTS")
failed=$(grep -c '^FAIL ' "$RESULTS")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
