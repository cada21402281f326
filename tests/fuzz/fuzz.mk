# tests/fuzz: libFuzzer harnesses, one per parser of untrusted bytes (see tests/fuzz/README.md).
#
#   make fuzz          each harness for FUZZ_SECONDS (default 60), FUZZ_JOBS at a time, under
#                      ASan+UBSan; new inputs go to $(FUZZ_BUILD)/corpus/<name>/, crashes to
#                      $(FUZZ_BUILD)/artifacts/<name>/ (the seed corpus is never written)
#   make fuzz-smoke    each harness briefly over its seeds and tests/fuzz/regress/<name>/ (crash
#                      reproducers, replayed every time); part of `make check` (CHECK_EXTRA)
#   make fuzz-build    only build the harnesses ($(FUZZ_BUILD)/fuzz_<name>)
#
# The library is compiled again with clang into $(FUZZ_BUILD) with
# -fsanitize=fuzzer-no-link,address,undefined, from LIB_SRCS, so new sources are picked up;
# engine/core/arena.c is replaced there by tests/fuzz/arena_asan.c (one malloc per arena
# allocation, so ASan sees over-reads between arena objects) and mimalloc is not linked.
# In the normal test binary the harnesses are plain functions replayed by
# tests/fuzz/test_regress.c (suite fuzz_regress).

FUZZ_CC ?= clang
FUZZ_BUILD ?= $(BUILD)-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_JOBS ?= 2
FUZZ_ARGS ?=

FUZZ_SUPPORT_SRCS := tests/fuzz/fzdns.c tests/fuzz/fuzz_tmp.c tests/fuzz/fuzz_json.c
FUZZ_NAMES := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,\
              $(filter-out $(FUZZ_SUPPORT_SRCS),$(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_HARNESS_SRCS := $(FUZZ_NAMES:%=tests/fuzz/fuzz_%.c)

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -O1 -g $(WARN) -fvisibility=hidden -I. \
               $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null) \
               -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LDLIBS := $(filter-out -lmimalloc,$(LDLIBS_ALL))

FUZZ_LIB_SRCS := $(filter-out engine/core/arena.c,$(LIB_SRCS)) tests/fuzz/arena_asan.c
# fuzz_mbox compares the splitter with the previous one, kept for tests (see io/module.mk).
FUZZ_LIB_SRCS += tests/io/ref_splitter.c
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SUPPORT_OBJS := $(FUZZ_SUPPORT_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
DEPS += $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_SUPPORT_OBJS:.o=.d) $(FUZZ_HARNESS_SRCS:%.c=$(FUZZ_BUILD)/obj/%.d)

# The normal test binary: the harnesses as plain functions, and the regression suite.
TEST_SRCS += tests/fuzz/test_regress.c
TEST_SUPPORT_SRCS += $(FUZZ_HARNESS_SRCS) $(FUZZ_SUPPORT_SRCS)
CHECK_EXTRA += fuzz-smoke

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/libauthsweep-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_SUPPORT_OBJS) \
                      $(FUZZ_BUILD)/libauthsweep-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_SUPPORT_OBJS) \
	    $(FUZZ_BUILD)/libauthsweep-fuzz.a $(FUZZ_LDLIBS)

# Objects reached only through the pattern rule above would count as intermediate and be
# deleted after each link (then rebuilt every time): keep them.
.SECONDARY: $(FUZZ_SUPPORT_OBJS) $(FUZZ_HARNESS_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-smoke-run
fuzz-build: $(FUZZ_BINS)

# One harness: options shared by fuzz and fuzz-smoke. $(1) = name. The first corpus folder
# is the writable one (libFuzzer adds new inputs there); the seeds and reproducers follow.
FUZZ_OPTS = $(if $(wildcard tests/fuzz/dict/$(1).dict),-dict=tests/fuzz/dict/$(1).dict) \
            -artifact_prefix=$(FUZZ_BUILD)/artifacts/$(1)/ -max_len=65536 -timeout=20 \
            -rss_limit_mb=2048 -print_final_stats=1
FUZZ_DIRS = $(wildcard tests/fuzz/corpus/$(1) tests/fuzz/regress/$(1))
FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

fuzz: $(FUZZ_NAMES:%=fuzz-run-%)
fuzz-run-%: $(FUZZ_BUILD)/fuzz_%
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/artifacts/$* $(FUZZ_BUILD)/logs
	@echo "fuzz $*: $(FUZZ_SECONDS) s, log $(FUZZ_BUILD)/logs/$*.log"
	@$(FUZZ_ENV) $< $(call FUZZ_OPTS,$*) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS) \
	    $(FUZZ_BUILD)/corpus/$* $(call FUZZ_DIRS,$*) >$(FUZZ_BUILD)/logs/$*.log 2>&1; \
	rc=$$?; grep -E '^stat::(number_of_executed_units|new_units_added)|^#[0-9]+.*DONE' \
	    $(FUZZ_BUILD)/logs/$*.log | sed 's/^/  $*: /'; \
	if [ $$rc != 0 ]; then tail -n 60 $(FUZZ_BUILD)/logs/$*.log; \
	    echo "fuzz $*: FAILED (rc $$rc), reproducer in $(FUZZ_BUILD)/artifacts/$*/"; exit 1; fi

# fuzz-smoke builds with FUZZ_JOBS jobs and runs FUZZ_JOBS harnesses at a time.
fuzz-smoke:
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) fuzz-build
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory -j$(FUZZ_JOBS) -k fuzz-smoke-run; rc=$$?; \
	echo "fuzz-smoke: $$(( $$(date +%s) - start )) s of fuzzing, $(words $(FUZZ_NAMES)) harnesses"; \
	exit $$rc
fuzz-smoke-run: $(FUZZ_NAMES:%=fuzz-smoke-%)
fuzz-smoke-%: $(FUZZ_BUILD)/fuzz_%
	@rm -rf $(FUZZ_BUILD)/smoke/$*
	@mkdir -p $(FUZZ_BUILD)/smoke/$* $(FUZZ_BUILD)/artifacts/$* $(FUZZ_BUILD)/logs
	@$(FUZZ_ENV) $< $(call FUZZ_OPTS,$*) -max_total_time=$(FUZZ_SMOKE_SECONDS) \
	    $(FUZZ_BUILD)/smoke/$* $(call FUZZ_DIRS,$*) >$(FUZZ_BUILD)/logs/smoke-$*.log 2>&1; \
	rc=$$?; \
	if [ $$rc != 0 ]; then tail -n 60 $(FUZZ_BUILD)/logs/smoke-$*.log; \
	    echo "fuzz-smoke $*: FAILED (rc $$rc), reproducer in $(FUZZ_BUILD)/artifacts/$*/"; exit 1; \
	else echo "fuzz-smoke $*: ok ($$(grep -E '^stat::number_of_executed_units' \
	    $(FUZZ_BUILD)/logs/smoke-$*.log | awk '{print $$2}') runs)"; fi
