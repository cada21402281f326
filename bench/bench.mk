# bench: authsweep throughput on a generated corpus (bench/bench.py; see bench/README.md).
#   make bench                 200,000 messages, seed 1 (corpus cached in bench/out/)
#   make bench N=50000 SEED=2
BENCH_N ?= $(or $(N),200000)
BENCH_SEED ?= $(or $(SEED),1)
BENCH_ARGS ?=

# A separate program: libopendkim's dkim_* symbols clash with the engine's.
$(BUILD)/opendkim_driver: bench/peers/opendkim_driver.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(OPT) -g $(WARN) -o $@ $< -lopendkim

# Measures each run from a small process (see the comment in bench/runner.c).
$(BUILD)/bench_runner: bench/runner.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(OPT) -g $(WARN) -o $@ $<

# The reading floor of the peers' ratio ceilings (see the source's comment).
$(BUILD)/readfloor: bench/readfloor.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(OPT) -g $(WARN) -o $@ $<

# authsweep's own verify costs per operation (see the source's comment).
$(BUILD)/primitives: bench/primitives.c $(BUILD)/libauthsweep.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libauthsweep.a $(LDLIBS_ALL)

bench: $(BUILD)/authsweep $(BUILD)/corpusgen $(BUILD)/opendkim_driver $(BUILD)/bench_runner \
       $(BUILD)/readfloor $(BUILD)/primitives
	/usr/bin/python3 bench/bench.py --bin $(BUILD)/authsweep --corpusgen $(BUILD)/corpusgen \
	    --opendkim $(BUILD)/opendkim_driver --runner $(BUILD)/bench_runner \
	    --readfloor $(BUILD)/readfloor --primitives $(BUILD)/primitives \
	    --n $(BENCH_N) --seed $(BENCH_SEED) \
	    --out bench/out $(BENCH_ARGS)

# bench-sha: multi-buffer SHA-256 against OpenSSL's single stream (see the source's comment).
$(BUILD)/sha_multibuffer: bench/sha_multibuffer.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -o $@ $< -lIPSec_MB -lcrypto
.PHONY: bench-sha
bench-sha: $(BUILD)/sha_multibuffer
	$(BUILD)/sha_multibuffer
