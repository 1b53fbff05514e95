# hostgate: measured-boot host attestation. See README.md.
#
#   make            build bin/hostgate-attest and bin/hostgate-verify
#   make check      install missing Debian packages, build, run all tests
#   make demo       install missing packages, build, run the demo
#   make asan       the whole test suite under ASan + UBSan
#   make fuzz       build and run the libFuzzer targets (clang)
#   make fuzz-smoke every fuzz target for 10 s, two at once (what CI runs,
#                   through tests/integration/t_fuzz_smoke.sh in make check)
#   make valgrind   every unit test under valgrind's memcheck (also in
#                   make check: tests/integration/t_valgrind.sh)
#   make bench      every benchmark below, one after the other, ending
#                   with one table: each goal, its peer, the ratio measured
#                   in the same run, the target, met or missed
#                   (tools/bench-all.sh; the table also in
#                   build/bench-table.txt, the whole output in
#                   build/bench-run.log). 44 minutes in one run on a
#                   loaded 2-core machine; BENCH_QUICK=1 runs each
#                   briefly (4 minutes: the table's format, not the goals)
#   make bench-measure  measure vs openssl dgst and sha256sum
#   make bench-verify   the verifier vs openssl speed and tpm2_checkquote,
#                   1,000- and 100,000-record logs
#   make bench-gate     the gate's added VM start latency (real libvirtd)
#                   and the TPM commands and TPM time of one decision
#   make bench-uefi     UEFI firmware log parse + replay rate
#   make bench-incr     incremental re-attestation of a 1,000-record host
#                   vs a full check
#   make bench-service  one `hostgate-verify serve` on one core against a
#                   ramp of simulated hosts (tests/bench/simhosts.c): the
#                   most hosts held at a 10 s interval with p99 < 100 ms,
#                   vs tpm2_checkquote (about 8 minutes; docs/service.md)
#                   SERVICE_PG=1 make bench-service adds issue 15's
#                   PostgreSQL rows: one and two `serve` instances on a
#                   private cluster (PG_STEPS, default 1k 2k 4k 8k hosts;
#                   about 6 minutes more)
#                   Each prints BENCH-RESULT lines (tools/bench-result.sh);
#                   tools/bench-table.sh LOG makes the table from any log
#   make bench-registry  not in `make bench`: the registry's most used
#                   operations (status_get, host_judged) on SQLite and on a
#                   private PostgreSQL cluster, and their ratio
#   make man        the man pages (scdoc), build/man/
#   make install    PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc
#   make uninstall  the same variables: removes what install put there
#   make deb        the Debian packages, hostgate and hostgate-verifier
#                   (built in a copy of the tree; the .debs go to build/deb)
#   make docs/trust-flow.svg   the README's picture, from its .dot (graphviz)
#   make clean

# The version's one source: VERSION (debian/changelog must agree:
# tests/integration/t_docs.sh); it reaches the code as $(BUILD)/gen/hg_version.h.
VERSION := $(shell cat VERSION)

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
# The programs read /etc/hostgate/... whatever PREFIX is: SYSCONFDIR is
# where install puts the example configuration and the unit's
# EnvironmentFile, /etc unless packaging for somewhere else.
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/hostgate
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
SCDOC ?= scdoc
DOT ?= dot
PKG_CONFIG ?= pkg-config
BUILD ?= build
V ?= 0

# libvirt's headers only: attest/measuredom.c dlopen()s it (start-up cost).
# libevent (evhttp + bufferevent_openssl): the agent's and the service's
# HTTPS servers; libcurl: the service's clients (poller, webhooks) and the
# gate's in remote mode (attest/gateremote.c).
ATTEST_PKGS := tss2-esys tss2-tctildr tss2-mu tss2-rc libcrypto libssl libcbor libxml-2.0 json-c libevent libevent_openssl libcurl
ATTEST_CFLAGS_PKGS := libvirt
# jansson parses the policy strictly (verifier/jsonstrict.h); libunistring
# (no .pc in Debian 12) checks its UTF-8 and normalises its names.
VERIFY_PKGS := tss2-mu libcrypto libssl libcbor json-c jansson sqlite3 libpq libevent libevent_openssl libcurl
TEST_PKGS := cmocka tss2-mu libcrypto libssl libcbor json-c jansson libxml-2.0 sqlite3 libpq libevent libevent_openssl libcurl
UNISTRING_LIBS := -lunistring

HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now

CFLAGS ?= -O2 -g
CFLAGS += -I$(BUILD)/gen -std=gnu11 -pthread -Wall -Wextra -Wshadow -Wformat=2 -MMD -MP $(HARDEN)
CFLAGS += $(shell $(PKG_CONFIG) --cflags $(sort $(ATTEST_PKGS) $(ATTEST_CFLAGS_PKGS) $(VERIFY_PKGS) cmocka) 2>/dev/null)
LDFLAGS += -pthread $(HARDEN_LD)
# Sanitizer builds add their flags here rather than overriding CFLAGS on
# the command line, which would drop every += above (pkg-config's -I too).
CFLAGS += $(SAN_CFLAGS)
LDFLAGS += $(SAN_LDFLAGS)

ATTEST_LIBS = $(shell $(PKG_CONFIG) --libs $(ATTEST_PKGS)) -lpthread -ldl
VERIFY_LIBS = $(shell $(PKG_CONFIG) --libs $(VERIFY_PKGS)) $(UNISTRING_LIBS)
TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS)) $(UNISTRING_LIBS)

LIB_SRC := $(wildcard lib/*.c)
ATTEST_SRC := $(wildcard attest/*.c attest/agent/*.c)
VERIFY_SRC := $(wildcard verifier/*.c verifier/registry/*.c verifier/service/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
BENCH_SRC := $(wildcard tests/bench/*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
ATTEST_OBJ := $(ATTEST_SRC:%.c=$(BUILD)/%.o)
VERIFY_OBJ := $(VERIFY_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
# The verifier's objects without main.o, for test tools and benchmarks.
VERIFY_LIB_OBJ := $(filter-out $(BUILD)/verifier/main.o,$(VERIFY_OBJ))

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n'
endif

BINS := $(BUILD)/bin/hostgate-attest $(BUILD)/bin/hostgate-verify
MAN_SRC := $(wildcard man/*.scd)
MANS := $(MAN_SRC:man/%.scd=$(BUILD)/man/%)
UNITS := $(BUILD)/contrib/hostgate-measure-host.service $(BUILD)/contrib/hostgate-agent.service \
	$(BUILD)/contrib/hostgate-verify.service

all: $(BINS) $(UNIT_BIN) $(TOOL_BIN) $(BENCH_BIN) $(MANS) $(UNITS)

man: $(MANS)

# What the packages ship (debian/rules): no tests, no benchmarks.
progs: $(BINS) $(MANS) $(UNITS)

# --- version, man pages, unit files ---------------------------------------
$(BUILD)/gen/hg_version.h: VERSION
	$(quiet) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q)printf '#define HG_VERSION "%s"\n' "$(VERSION)" >$@.tmp && mv $@.tmp $@
$(BUILD)/attest/main.o $(BUILD)/attest/agent/health.o $(BUILD)/verifier/main.o $(BUILD)/verifier/ear.o: $(BUILD)/gen/hg_version.h

# SOURCE_DATE_EPOCH (set by dpkg-buildpackage from debian/changelog)
# makes scdoc's date reproducible.
$(BUILD)/man/%: man/%.scd
	$(quiet) SCDOC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(SCDOC) <$< >$@.tmp && mv $@.tmp $@

# The paths a unit names are the install's (PREFIX=/usr/local runs
# /usr/local/bin/hostgate-attest). Regenerated when the paths change.
$(BUILD)/contrib/%.service: contrib/%.service.in $(BUILD)/gen/paths
	$(quiet) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@.tmp && mv $@.tmp $@
$(BUILD)/gen/paths: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(BINDIR) $(SYSCONFDIR)' | cmp -s - $@ || echo '$(BINDIR) $(SYSCONFDIR)' >$@

docs/trust-flow.svg: docs/trust-flow.dot
	$(DOT) -Tsvg -o $@.tmp $< && mv $@.tmp $@

$(BUILD)/%.o: %.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/bin/hostgate-attest: $(ATTEST_OBJ) $(LIB_OBJ)
	$(quiet) LD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ATTEST_LIBS)

$(BUILD)/bin/hostgate-verify: $(VERIFY_OBJ) $(LIB_OBJ)
	$(quiet) LD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VERIFY_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_OBJ) $(VERIFY_LIB_OBJ)
	$(quiet) LD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

# --- unit tests: per-test link flags -------------------------------------
# test_hglog_alloc injects allocation failures into hg_log_parse() through
# __wrap_realloc (tests/unit/test_hglog_alloc.c). TEST_LIBS, not LDFLAGS, so that
# `make asan` keeps the flag whatever it does to LDFLAGS.
$(BUILD)/tests/test_hglog_alloc: TEST_LIBS += -Wl,--wrap=realloc
# Both hglog tests mutate the log that hglog_fx.c builds.
$(BUILD)/tests/test_hglog $(BUILD)/tests/test_hglog_alloc: $(BUILD)/tests/unit/hglog_fx.o
# Both CEL tests share their hashing helpers (tests/unit/cel_fx.c).
$(BUILD)/tests/test_cel $(BUILD)/tests/test_cel_bad $(BUILD)/tests/test_launch: $(BUILD)/tests/unit/cel_fx.o
# Both uefifacts tests share the byte builders and the corpus loader
# (tests/unit/uefifacts_fx.c).
$(BUILD)/tests/test_uefifacts $(BUILD)/tests/test_uefifacts_logs: $(BUILD)/tests/unit/uefifacts_fx.o
# Both hand-made UEFI log tests build their logs with uefilog_fx.c.
$(BUILD)/tests/test_uefilog $(BUILD)/tests/test_uefilog_bad: $(BUILD)/tests/unit/uefilog_fx.o
# test_domxml tests a module of the host side (attest/domxml.c).
$(BUILD)/tests/test_domxml: $(BUILD)/attest/domxml.o $(BUILD)/attest/domxml_runtime.o
$(BUILD)/tests/test_idcache: $(BUILD)/attest/idcache.o
$(BUILD)/tests/test_manifest: $(BUILD)/attest/manifest.o $(BUILD)/attest/fwdesc.o
$(BUILD)/tests/test_imgchain $(BUILD)/tests/test_imgchain_resolve: $(BUILD)/attest/imgchain.o $(BUILD)/attest/qcow2hdr.o $(BUILD)/tests/unit/imgchain_fx.o
# The libvirt gate: gate.conf, the domain plan, the config explanation.
$(BUILD)/tests/test_gateconf: $(BUILD)/attest/gateconf.o
$(BUILD)/tests/test_domplan $(BUILD)/tests/test_domplan_os $(BUILD)/tests/test_domplan_files: $(BUILD)/tests/unit/domplan_fx.o $(BUILD)/attest/domplan.o $(BUILD)/attest/domfiles.o $(BUILD)/attest/fwdesc.o $(BUILD)/attest/domxml.o $(BUILD)/attest/domxml_runtime.o $(BUILD)/attest/imgchain.o $(BUILD)/attest/qcow2hdr.o $(BUILD)/attest/gateconf.o
$(BUILD)/tests/test_domexplain: $(BUILD)/attest/domexplain.o
# The fwjudge tests share their helpers (tests/unit/fwjudge_fx.c);
# test_fwjudge_bound also builds logs with the uefifacts byte builders.
$(BUILD)/tests/test_fwjudge $(BUILD)/tests/test_fwjudge_learn $(BUILD)/tests/test_fwjudge_bound: $(BUILD)/tests/unit/fwjudge_fx.o
$(BUILD)/tests/test_fwjudge_bound: $(BUILD)/tests/unit/uefifacts_fx.o
# The registry tests share the temporary registry, stderr capture and
# hand-made challenges (tests/unit/registry_fx.c).
$(BUILD)/tests/test_registry $(BUILD)/tests/test_registry_enroll $(BUILD)/tests/test_registry_tpm $(BUILD)/tests/test_registry_fleet $(BUILD)/tests/test_registry_pg $(BUILD)/tests/test_registry_share: $(BUILD)/tests/unit/registry_fx.o
# Both MakeCredential tests (RSA, ECC) share the L-1 EK and the inverse
# written from the spec (tests/unit/makecred_fx.c).
$(BUILD)/tests/test_makecred $(BUILD)/tests/test_makecred_ecc: $(BUILD)/tests/unit/makecred_fx.o
# Both EK certificate tests share the keys, certificates and CA
# directories their setup makes (tests/unit/ekverify_fx.c).
$(BUILD)/tests/test_ekverify $(BUILD)/tests/test_ekverify_ca: $(BUILD)/tests/unit/ekverify_fx.o
# Both enrollment message tests share the decoder driver and the hex
# pieces (tests/unit/enrollmsg_fx.c).
$(BUILD)/tests/test_enrollmsg $(BUILD)/tests/test_enrollmsg_bad: $(BUILD)/tests/unit/enrollmsg_fx.o
# Both EAR tests build their tokens by hand with tests/unit/ear_fx.c.
$(BUILD)/tests/test_ear $(BUILD)/tests/test_ear_bad: $(BUILD)/tests/unit/ear_fx.o
# --- end unit tests: per-test link flags ---------------------------------

# Test tools (evidence surgery for the tamper suite) and benchmark drivers
# link the shared code and the verifier's pipeline.
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(LIB_OBJ) $(VERIFY_LIB_OBJ)
	$(quiet) LD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VERIFY_LIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(LIB_OBJ) $(VERIFY_LIB_OBJ)
	$(quiet) LD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VERIFY_LIBS)

deps:
	@tools/install-deps.sh

check: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/demo.sh

# Sanitizers: a separate build tree, the same test driver.
# libtirpc is linked in, not left to libvirt's dlopen: ASan resolves its
# xdr_* interceptors' real functions once at start-up, and glibc no
# longer has them, so a libtirpc loaded later is called through NULL
# (a SEGV in virNetMessageEncodeHeader on the first libvirt RPC).
ASAN_TIRPC := -Wl,--no-as-needed -l:libtirpc.so.3 -Wl,--as-needed
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
		SAN_CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		SAN_LDFLAGS="-fsanitize=address,undefined $(ASAN_TIRPC)" HARDEN="-fPIE" all
	@BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

fuzz: deps
	@tests/fuzz/run.sh

fuzz-smoke: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-10} FUZZ_JOBS=$${FUZZ_JOBS:-2} tests/fuzz/run.sh

valgrind: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run.sh t_valgrind

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-all.sh

bench-measure: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-measure.sh

bench-verify: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-verify.sh

bench-gate: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-gate.sh

bench-registry: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-registry.sh

bench-uefi: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-uefi.sh

bench-incr: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-incr.sh

bench-service: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/bench-service.sh

# install/uninstall: every file install writes, uninstall removes, and
# the directories that are hostgate's alone (tests/integration/t_install.sh).
# The example hostgate.conf is never written over an existing one, nor
# removed when it was changed.
DOC_FILES := README.md docs/*.md docs/trust-flow.svg
EXAMPLES := policies/README.md policies/*.json
COMPLETIONS := hostgate-attest hostgate-verify

install: $(BINS) $(MANS) $(UNITS)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	for u in $(UNITS); do \
		install -D -m 0644 $$u $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	for m in $(MANS); do \
		s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; \
	done
	for c in $(COMPLETIONS); do \
		install -D -m 0644 contrib/bash-completion/hostgate $(DESTDIR)$(BASHCOMPDIR)/$$c || exit 1; \
	done
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/hostgate
	[ -e $(DESTDIR)$(SYSCONFDIR)/hostgate/hostgate.conf ] || \
		install -m 0644 contrib/hostgate.conf $(DESTDIR)$(SYSCONFDIR)/hostgate/hostgate.conf

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	for m in $(notdir $(MANS)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(COMPLETIONS))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(wildcard $(DOC_FILES))))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(wildcard $(EXAMPLES))))
	for d in $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR); do \
		! [ -d $$d ] || rmdir --ignore-fail-on-non-empty $$d; \
	done
	! cmp -s contrib/hostgate.conf $(DESTDIR)$(SYSCONFDIR)/hostgate/hostgate.conf || \
		rm -f $(DESTDIR)$(SYSCONFDIR)/hostgate/hostgate.conf
	! [ -d $(DESTDIR)$(SYSCONFDIR)/hostgate ] || \
		rmdir --ignore-fail-on-non-empty $(DESTDIR)$(SYSCONFDIR)/hostgate

# The packages, built as the suite's package test builds them: in a copy
# of the tree (dpkg-buildpackage writes ../*.deb), binary only, unsigned.
deb:
	@BUILD=$(BUILD) tools/build-deb.sh $(BUILD)/deb

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all man progs deps check demo asan fuzz fuzz-smoke valgrind bench bench-measure bench-verify bench-gate bench-uefi bench-incr bench-service bench-registry install uninstall deb clean FORCE

-include $(TOOL_BIN:%=%.d) $(BENCH_SRC:%.c=$(BUILD)/%.d)
-include $(LIB_OBJ:.o=.d) $(ATTEST_OBJ:.o=.d) $(VERIFY_OBJ:.o=.d) $(UNIT_BIN:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d)
# The unit tests' shared fixtures (tests/unit/*_fx.c) too: a changed header
# (struct hg_policy grew) must rebuild them, or a test smashes its stack.
-include $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%.d,$(wildcard tests/unit/*_fx.c))
.SECONDARY:
