# mod_ipcguard: build, test and demo.
#
#   make            the module (.libs/mod_ipcguard.so) and build/ipcguardctl
#   make test       install missing packages, build, run every test
#   make demo       a sandboxed httpd with the module on localhost, killed
#                   with kill -9 and started again: shows the cleanup
#   make demo-crash kill -9 the demo server and start it again
#   make demo-stop  stop the demo and remove its sandbox
#   make unit       the core's Check unit tests only
#   make integration  the integration tests only (root)
#
# APXS selects the apxs (and so the httpd and APR) to build against.

APXS     ?= apxs
APR_CONFIG ?= $(shell $(APXS) -q APR_CONFIG 2>/dev/null || echo apr-1-config)
CC       ?= cc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
APR_CFLAGS := $(shell $(APR_CONFIG) --cflags --cppflags --includes)
APR_LIBS   := $(shell $(APR_CONFIG) --link-ld --libs)
CORE_SRC := $(sort $(wildcard src/*.c))
CORE_HDR := $(wildcard include/ipcguard/*.h)
# the httpd glue: the module record and hooks, one file per concern
GLUE_SRC := mod_ipcguard.c $(sort $(wildcard mod_ipcguard_*.c))
GLUE_HDR := mod_ipcguard_private.h
BUILD    := build
CORE_OBJ := $(patsubst src/%.c,$(BUILD)/core/%.o,$(CORE_SRC))
UNIT_SRC := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN := $(patsubst t/unit/%.c,$(BUILD)/%,$(UNIT_SRC))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
ALL_CFLAGS = $(CFLAGS) $(WARN) $(APR_CFLAGS) -Iinclude $(EXTRA_CFLAGS)

.PHONY: all module tool testmodule unit integration test deps demo demo-crash demo-stop clean bench bench-start cppcheck tidy install valgrind fuzz check-rules test-asan deb test-system test-httpd-suite \
        guard-core guard-length

all: guard-core guard-length module tool testmodule $(BUILD)/ipcg_mkobj $(BUILD)/slowexit.so \
     $(BUILD)/mkstale

# The core must stay independent of httpd: it is shared with ipcguardctl
# and unit-tested without a server.
guard-core:
	@if grep -nE '#[[:space:]]*include[[:space:]]*[<"](httpd|http_[a-z_]+|ap_[a-z_]+|util_[a-z_]+|mpm_[a-z_]+|scoreboard)\.h' src/*.c include/ipcguard/*.h; then \
	  echo "error: the core (src/, include/ipcguard/) must not include httpd headers" >&2; exit 1; fi

# No function longer than FUNC_MAX lines in the core, the glue or the
# tool: a longer one does more than one thing. The guard first proves on
# made-up files that it catches one.
FUNC_MAX ?= 100
LENGTH_CHECKED = src/*.c tools/*.c $(GLUE_SRC)
guard-length:
	@sh t/fnlen_test.sh
	@sh t/fnlen.sh -l $(FUNC_MAX) $(LENGTH_CHECKED)

module: .libs/mod_ipcguard.so

# Only the module record is exported (mod_ipcguard.map); apxs hands the
# inner -Wl,... to libtool, which hands it to the compiler driver.
MODULE_LINK := -Wl,-Wl,--version-script=$(CURDIR)/mod_ipcguard.map

.libs/mod_ipcguard.so: $(GLUE_SRC) $(GLUE_HDR) $(CORE_SRC) $(CORE_HDR) mod_ipcguard.map | guard-core
	$(APXS) -c -o mod_ipcguard.la -I. -Iinclude \
	  $(foreach f,$(WARN) $(CFLAGS) $(EXTRA_CFLAGS),-Wc,$(f)) \
	  $(foreach f,$(EXTRA_LDFLAGS),-Wl,$(f)) $(MODULE_LINK) \
	  $(GLUE_SRC) $(CORE_SRC)

testmodule: t/.libs/mod_ipcg_test.so $(BUILD)/alt/.libs/mod_ipcguard.so

# The module again, built as a later release whose state carried across
# generations has another layout: the upgrade test swaps it in under a
# running server. Built from a copy, so that its objects stay apart.
$(BUILD)/alt/.libs/mod_ipcguard.so: $(GLUE_SRC) $(GLUE_HDR) $(CORE_SRC) $(CORE_HDR) mod_ipcguard.map
	rm -rf $(BUILD)/alt && mkdir -p $(BUILD)/alt
	cp -r $(GLUE_SRC) $(GLUE_HDR) src include $(BUILD)/alt/
	cd $(BUILD)/alt && $(APXS) -c -o mod_ipcguard.la -I. -Iinclude \
	  $(foreach f,$(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -DIPCG_CARRIED_TEST_LAYOUT,-Wc,$(f)) \
	  $(foreach f,$(EXTRA_LDFLAGS),-Wl,$(f)) $(MODULE_LINK) \
	  $(GLUE_SRC) $(CORE_SRC) >/dev/null

t/.libs/mod_ipcg_test.so: t/mod_ipcg_test.c
	$(APXS) -c -o t/mod_ipcg_test.la $(foreach f,$(WARN) $(CFLAGS),-Wc,$(f)) \
	  t/mod_ipcg_test.c

$(BUILD)/core/%.o: src/%.c $(CORE_HDR) | guard-core
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(BUILD)/libipcg.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

tool: $(BUILD)/ipcguardctl

$(BUILD)/ipcguardctl: tools/ipcguardctl.c $(BUILD)/libipcg.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libipcg.a $(APR_LIBS) $(EXTRA_LDFLAGS)

$(BUILD)/test_%: t/unit/test_%.c $(wildcard t/unit/*.h) $(BUILD)/libipcg.a
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(BUILD)/libipcg.a \
	  $(APR_LIBS) $(CHECK_LIBS) $(EXTRA_LDFLAGS)

unit: $(UNIT_BIN)
	@sh t/run-unit.sh $(UNIT_BIN)

integration: all
	@bash t/integration.sh

deps:
	@sh t/deps.sh

test: deps
	$(MAKE) all
	$(MAKE) cppcheck
	$(MAKE) tidy
	$(MAKE) unit
	$(MAKE) valgrind
	$(MAKE) fuzz
	$(MAKE) integration
	$(MAKE) deb

demo: deps
	$(MAKE) all
	@bash t/demo.sh start

demo-crash:
	@bash t/demo.sh crash

demo-stop:
	@bash t/demo.sh stop

clean:
	rm -rf $(BUILD) .libs *.la *.lo *.slo *.o src/.libs src/*.la src/*.lo \
	  src/*.slo src/*.o t/.libs t/*.la t/*.lo t/*.slo t/*.o

$(BUILD)/mkstale: bench/mkstale.c $(BUILD)/libipcg.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libipcg.a $(APR_LIBS) $(EXTRA_LDFLAGS)

$(BUILD)/refresh: bench/refresh.c $(BUILD)/libipcg.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libipcg.a $(APR_LIBS) $(EXTRA_LDFLAGS)

# make bench: every figure of docs/performance.md's summary, each as
# rounds (interleaved A/B, or both sides in the same window) with the
# medians and their spread, then the summary lines again together (as
# root; about eight minutes). BENCH_FULL=1 adds the other comparisons
# and the per-scan costs of bench/refresh.sh.
BENCH_FULL ?= 0
bench: all $(BUILD)/mkstale $(BUILD)/refresh
	@mkdir -p $(BUILD)
	@{ echo "== cleanup from the state file (bench/cleanup.sh)"; \
	   FULL=$(BENCH_FULL) bash bench/cleanup.sh; \
	   echo "== cleanup of orphans, no state file (bench/orphans.sh)"; \
	   bash bench/orphans.sh; \
	   echo "== /server-status?auto with and without the module (bench/status.sh)"; \
	   FULL=$(BENCH_FULL) bash bench/status.sh; \
	   echo "== the idle parent's CPU (bench/idle.sh)"; \
	   bash bench/idle.sh; \
	   echo "== start and graceful restart among foreign sets (bench/start.sh)"; \
	   bash bench/start.sh; \
	   if [ "$(BENCH_FULL)" = 1 ]; then echo "== per scan (bench/refresh.sh)"; \
	     bash bench/refresh.sh; fi; } 2>&1 | tee $(BUILD)/bench.log
	@echo "== summary"
	@grep -E '\(target ' $(BUILD)/bench.log
	@test $$(grep -cE '\(target ' $(BUILD)/bench.log) -ge 5 \
	  || { echo "make bench: a figure is missing (see $(BUILD)/bench.log)" >&2; exit 1; }

# Start and graceful restart with and without the module, with 0, 1,000
# and 10,000 foreign semaphore sets.
bench-start: all $(BUILD)/mkstale
	@bash bench/start.sh

$(BUILD)/ipcg_mkobj: t/ipcg_mkobj.c
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

$(BUILD)/slowexit.so: t/slowexit.c
	@mkdir -p $(BUILD)
	$(CC) $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -shared -fPIC -o $@ $<

# Static analysis. apr_pstrcat(..., NULL) is APR's sentinel idiom, which
# cppcheck's varFuncNullUB flags everywhere.
cppcheck: check-rules
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --std=c99 -Iinclude $(shell $(APR_CONFIG) --includes) \
	  --suppress=missingIncludeSystem --suppress=varFuncNullUB \
	  --suppress=toomanyconfigs --inline-suppr \
	  src/ $(GLUE_SRC) tools/ipcguardctl.c

# clang-tidy with the checks of .clang-tidy (clang-analyzer, bugprone,
# cert, misc); any finding fails. Left out there, and why:
# bugprone-easily-swappable-parameters (APR's and httpd's signatures are
# fixed), cert-err33-c (printf-style and cleanup results that change
# nothing) and the analyzer's DeprecatedOrUnsafeBufferHandling (it asks
# for Annex K functions that glibc lacks).
CLANG_TIDY ?= clang-tidy
TIDY_FLAGS = -Iinclude $(shell $(APR_CONFIG) --includes --cppflags) \
             -I$(shell $(APXS) -q INCLUDEDIR) -D_GNU_SOURCE
tidy:
	@mkdir -p $(BUILD)
	@{ $(CLANG_TIDY) --quiet $(CORE_SRC) $(GLUE_SRC) tools/ipcguardctl.c \
	    -- $(TIDY_FLAGS) 2>&1; echo $$? > $(BUILD)/tidy.rc; } \
	  | grep -v 'warnings\? generated\.$$'; \
	  rc=$$(cat $(BUILD)/tidy.rc); \
	  if [ "$$rc" = 0 ]; then echo "clang-tidy: no finding"; fi; exit $$rc

# make install [DESTDIR=...]: the module with apxs, and ipcguardctl.
LIBEXECDIR := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
SBINDIR ?= /usr/sbin
install: module tool
	mkdir -p $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SBINDIR)
	$(APXS) -i -S LIBEXECDIR=$(DESTDIR)$(LIBEXECDIR) -n ipcguard mod_ipcguard.la
	install -m 0755 $(BUILD)/ipcguardctl $(DESTDIR)$(SBINDIR)/ipcguardctl

# The unit tests under valgrind, in one process each (CK_FORK=no), each
# with a TMPDIR of its own that goes after it (as in t/run-unit.sh).
valgrind: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do \
	  echo "== valgrind $$t"; \
	  d=$$(mktemp -d "$${TMPDIR:-/tmp}/ipcg-unit-run.XXXXXX") || exit 1; \
	  TMPDIR=$$d CK_FORK=no valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
	    --error-exitcode=1 $$t >/dev/null; rc=$$?; rm -rf "$$d"; \
	  [ $$rc -eq 0 ] || exit 1; \
	done; echo "valgrind: no errors, no definite leaks"

# libFuzzer targets, each run for FUZZ_SECONDS (default 30) from its seed
# corpus in t/fuzz/corpus/<name>/, new inputs kept in build/fuzz-<name>/:
#   state    the state-file parser (round trip to the same bytes)
#   history  the history-file parser and the forecasts drawn from it
#   proc     every parser of /proc and /sys text, the numbers beneath, and
#            the readers of those files on a scratch tree
#   conf     the directive parsers
#   apps     the application record's parser (round trip to the same bytes)
FUZZ_SECONDS ?= 30
FUZZERS := state history proc conf apps
CLANG ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined $(APR_CFLAGS) -Iinclude
FUZZ_SRC_state := src/ipcg_state.c src/ipcg_util.c src/ipcg_obj.c
FUZZ_SRC_history := src/ipcg_history.c src/ipcg_state.c src/ipcg_util.c src/ipcg_units.c \
                    src/ipcg_obj.c
FUZZ_SRC_proc := src/ipcg_scan.c src/ipcg_proc.c src/ipcg_limits.c \
                 src/ipcg_util.c src/ipcg_obj.c src/ipcg_probe.c
FUZZ_SRC_conf := src/ipcg_conf.c src/ipcg_util.c
FUZZ_SRC_apps := src/ipcg_adopt.c src/ipcg_state.c src/ipcg_util.c src/ipcg_obj.c \
                 src/ipcg_registry.c src/ipcg_probe.c src/ipcg_scan.c \
                 src/ipcg_proc.c src/ipcg_limits.c

.SECONDEXPANSION:
$(BUILD)/fuzz_%: t/fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) $(CORE_HDR)
	@mkdir -p $(BUILD)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRC_$*) $(APR_LIBS)

fuzz: $(patsubst %,$(BUILD)/fuzz_%,$(FUZZERS))
	@for f in $(FUZZERS); do \
	  mkdir -p $(BUILD)/fuzz-$$f; \
	  $(BUILD)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(BUILD)/fuzz-$$f- $(BUILD)/fuzz-$$f t/fuzz/corpus/$$f \
	    > $(BUILD)/fuzz-$$f.log 2>&1; \
	  rc=$$?; echo "== fuzz $$f: $$(grep -E '^stat::number_of_executed_units' \
	    $(BUILD)/fuzz-$$f.log | sed 's/.*: *//') runs in $(FUZZ_SECONDS) s"; \
	  if [ $$rc -ne 0 ]; then tail -n 40 $(BUILD)/fuzz-$$f.log; exit $$rc; fi; \
	done

# The example alerting rules must stay valid.
check-rules:
	promtool check rules conf/ipcguard-alerts.yml

# Unit and integration tests against a build with ASan and UBSan.
test-asan: deps
	@bash t/asan.sh

# make deb: the libapache2-mod-ipcguard package (dh $@ --with apache2),
# built from a clean copy of the tree, then lintian.
DEB_VERSION := $(shell dpkg-parsechangelog -S Version 2>/dev/null)
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	git ls-files -z | xargs -0 cp --parents -t $(BUILD)/deb/src
	cd $(BUILD)/deb/src && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 \
	  || { tail -n 30 ../build.log; exit 1; }
	lintian --fail-on error,warning $(BUILD)/deb/*.changes
	@ls $(BUILD)/deb/*.deb

# The package in the machine's real apache2 (changes /etc/apache2: only
# where IPCGUARD_TEST_SYSTEM=1, as on CI's disposable machines).
test-system: deb
	@bash t/system/package.sh

# httpd's own test suite (httpd-tests) without and with the module, the
# results compared test by test (about twenty minutes; fetches the suite)
test-httpd-suite: deps all
	@bash t/system/httpd_suite.sh
