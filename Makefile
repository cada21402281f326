# authsweep: non-recursive build. Each folder adds its sources in its own module.mk:
#   LIB_SRCS   sources of the engine library (everything but main)
#   BIN_SRCS   sources of the authsweep program itself
#   TEST_SRCS  Criterion test files (one test binary for all)
# Targets: all, deps, check (tests twice: plain, then ASan+UBSan), test, sample, lint, bench,
# fuzz, clean. SAN=1 builds into build-san/ with AddressSanitizer + UndefinedBehaviorSanitizer.

SHELL := /bin/bash
CC ?= cc
SAN ?= 0
BUILD ?= build
SANFLAGS :=
ifeq ($(SAN),1)
override BUILD := $(BUILD)-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

PKG_LIBS := liburing libcrypto getdns libpsl libsodium
WARN := -Wall -Wextra -Wshadow -Wswitch-enum -Wvla -Wformat=2 -Wno-format-nonliteral \
        -Wstrict-prototypes -Wmissing-prototypes -Werror
OPT ?= -O2
# libipsec-mb (x86_64 only, no pkg-config file): multi-buffer SHA-256 in engine/canon/mbsha256.c;
# without it that module hashes with OpenSSL alone.
IPSEC_MB_CFLAGS :=
IPSEC_MB_LIBS :=
ifneq ($(wildcard /usr/include/intel-ipsec-mb.h),)
ifeq ($(shell uname -m),x86_64)
IPSEC_MB_CFLAGS := -DHAVE_IPSEC_MB
IPSEC_MB_LIBS := -lIPSec_MB
endif
endif
CFLAGS_ALL := -std=c17 -D_GNU_SOURCE -DHAVE_LIBSODIUM $(IPSEC_MB_CFLAGS) $(OPT) -g $(WARN) -fvisibility=hidden -I. \
              $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null) $(SANFLAGS) $(CFLAGS)
LDLIBS_ALL := $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) $(IPSEC_MB_LIBS) -lmimalloc -lpthread -lm $(LDLIBS)
TEST_LDLIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

LIB_SRCS :=
BIN_SRCS :=
# Hooks for make check, appended by module files: CHECK_SETUP targets run first (e.g. start a
# DNS server on loopback), CHECK_EXTRA after the suites (e.g. a fuzz smoke run), and
# CHECK_TEARDOWN always runs last, even when something failed.
CHECK_SETUP :=
CHECK_EXTRA :=
CHECK_TEARDOWN :=
TEST_SRCS :=
TEST_SUPPORT_SRCS :=
include $(sort $(wildcard */*.mk */*/*.mk))
# A module file may name a source that is still being written; a missing file shows up as an
# undefined symbol at link time instead of stopping every other build.
LIB_SRCS := $(wildcard $(LIB_SRCS))
TEST_SRCS := $(wildcard $(TEST_SRCS))
BIN_SRCS := $(wildcard $(BIN_SRCS))
TEST_SUPPORT_SRCS := $(wildcard $(TEST_SUPPORT_SRCS))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
BIN_OBJS := $(BIN_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o) $(TEST_SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o)
DEPS += $(LIB_OBJS:.o=.d) $(BIN_OBJS:.o=.d) $(TEST_OBJS:.o=.d)

.PHONY: all deps check test test-run sample lint bench fuzz clean
all: $(BUILD)/authsweep

deps:
	bash ./setup.sh --all

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libauthsweep.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/authsweep: $(BIN_OBJS) $(BUILD)/libauthsweep.a
	$(CC) $(CFLAGS_ALL) -o $@ $(BIN_OBJS) $(BUILD)/libauthsweep.a $(LDLIBS_ALL)

$(BUILD)/authsweep-tests: $(TEST_OBJS) $(BUILD)/libauthsweep.a
	$(CC) $(CFLAGS_ALL) -o $@ $(TEST_OBJS) $(BUILD)/libauthsweep.a $(TEST_LDLIBS) $(LDLIBS_ALL)

# The tests find the shared conformance data at ../shared (CI lays it beside the clone) and
# the freshly built program through AUTHSWEEP_BIN.
SHARED ?= $(abspath ../shared)
TEST_ENV = AUTHSWEEP_BIN=$(abspath $(BUILD)/authsweep) AUTHSWEEP_SHARED=$(SHARED) \
           AUTHSWEEP_ROOT=$(abspath .) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
CRITERION_JOBS ?= 2

# Criterion only warns when LeakSanitizer fires as a test process exits, so the log is
# searched too: any sanitizer report fails the run.
test-run: $(BUILD)/authsweep $(BUILD)/authsweep-tests
	@set -o pipefail; $(TEST_ENV) $(BUILD)/authsweep-tests --jobs $(CRITERION_JOBS) \
	    $(CRITERION_ARGS) 2>&1 | tee $(BUILD)/test.log
	@if grep -qE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' $(BUILD)/test.log; then \
	    echo "sanitizer reports in $(BUILD)/test.log (above)"; exit 1; fi

test: test-run

# check: everything the test command runs: the suites plain, then under ASan+UBSan.
check:
	@rc=0; \
	if [ -n "$(strip $(CHECK_SETUP))" ]; then $(MAKE) $(CHECK_SETUP) || rc=1; fi; \
	if [ $$rc = 0 ]; then $(MAKE) test-run || rc=1; fi; \
	if [ $$rc = 0 ]; then $(MAKE) SAN=1 test-run || rc=1; fi; \
	if [ $$rc = 0 ] && [ -n "$(strip $(CHECK_EXTRA))" ]; then $(MAKE) $(CHECK_EXTRA) || rc=1; fi; \
	if [ -n "$(strip $(CHECK_TEARDOWN))" ]; then $(MAKE) $(CHECK_TEARDOWN) || true; fi; \
	exit $$rc

sample: $(BUILD)/authsweep
	$(BUILD)/authsweep verify --dns-snapshot datasets/sample/sample.zone datasets/sample/sample.mbox

lint:
	@echo "banned C-string and ctype functions on message data (engine/ dns/ io/):"
	@! grep -nE '\b(strlen|strchr|strrchr|strstr|strcpy|strncpy|strcat|strncat|sprintf|sscanf|atoi|atol|strtol|strtoul|strtoll|strtoull|strtok|strtok_r|isalpha|isdigit|isspace|isalnum|isupper|islower|isxdigit|isprint|tolower|toupper)\s*\(' \
	    $$(git ls-files 'engine/*.c' 'dns/*.c' 'io/*.c' | grep -v '^engine/cli/' | grep -v '^engine/core/arena.c')
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
	    --suppress=missingIncludeSystem -I. engine dns io
	$(MAKE) lint-tidy

clean:
	rm -rf build build-san build-*

-include $(DEPS)
