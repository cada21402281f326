# tsan-pipeline: the whole program under ThreadSanitizer (Criterion cannot run under TSan,
# Snaipe/Criterion#274, so the program itself is the test): worker threads taking turns
# at reading (the read token), the ordered writer, the shared key, SPF, DMARC and DNS
# caches, with --threads 4 over a
# multi-batch archive, from the snapshot and from live DNS (which parks messages and re-runs
# them across threads). mimalloc is not instrumented, so the arena and xmalloc family come
# from tests/fuzz/arena_asan.c (libc malloc) in this build. Both runs must equal the plain
# build's records. The progress line is on (--progress): the writer thread reads the input's
# byte count while a worker reads the input.
TSANP_BUILD ?= build-tsanp
TSANP_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
TSANP_SRCS = $(filter-out engine/core/arena.c,$(LIB_SRCS)) tests/fuzz/arena_asan.c $(BIN_SRCS)
TSANP_OBJS = $(TSANP_SRCS:%.c=$(TSANP_BUILD)/obj/%.o)
CHECK_EXTRA += tsan-pipeline
.PHONY: tsan-pipeline

tsan-pipeline: $(BUILD)/authsweep
	$(MAKE) BUILD=$(TSANP_BUILD) OPT=-O1 CFLAGS="$(TSANP_FLAGS)" $(TSANP_OBJS)
	$(CC) $(TSANP_FLAGS) -o $(TSANP_BUILD)/authsweep $(TSANP_OBJS) \
	    $(filter-out -lmimalloc,$(LDLIBS_ALL))
	@mkdir -p $(TSANP_BUILD)/run
	@for i in $$(seq 40); do cat datasets/sample/sample.mbox; done > $(TSANP_BUILD)/run/many.mbox
	$(BUILD)/authsweep verify -q --threads 1 --as-of 1700000000 \
	    --dns-snapshot datasets/sample/sample.zone $(TSANP_BUILD)/run/many.mbox \
	    > $(TSANP_BUILD)/run/plain.jsonl
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(TSANP_BUILD)/authsweep verify -q --threads 4 \
	    --progress --as-of 1700000000 --dns-snapshot datasets/sample/sample.zone \
	    $(TSANP_BUILD)/run/many.mbox > $(TSANP_BUILD)/run/tsan.jsonl 2> $(TSANP_BUILD)/run/tsan.err \
	    || { cat $(TSANP_BUILD)/run/tsan.err; exit 1; }
	cmp $(TSANP_BUILD)/run/plain.jsonl $(TSANP_BUILD)/run/tsan.jsonl
	@# SIGINT mid-run: the handler's flag is read by whichever worker reads (exit 3, and the
	@# records written are the first ones of a whole run, in order).
	@for i in $$(seq 10); do cat $(TSANP_BUILD)/run/many.mbox; done > $(TSANP_BUILD)/run/more.mbox
	@$(BUILD)/authsweep verify -q --threads 1 --as-of 1700000000 \
	    --dns-snapshot datasets/sample/sample.zone $(TSANP_BUILD)/run/more.mbox \
	    > $(TSANP_BUILD)/run/more-plain.jsonl
	@TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(TSANP_BUILD)/authsweep verify -q --threads 4 \
	    --as-of 1700000000 --dns-snapshot datasets/sample/sample.zone \
	    $(TSANP_BUILD)/run/more.mbox > $(TSANP_BUILD)/run/int.jsonl 2> $(TSANP_BUILD)/run/int.err & \
	pid=$$!; sleep 1; kill -INT $$pid; wait $$pid; rc=$$?; \
	n=$$(wc -l < $(TSANP_BUILD)/run/int.jsonl); \
	if [ $$rc != 3 ] && [ $$rc != 0 ]; then cat $(TSANP_BUILD)/run/int.err; \
	    echo "tsan-pipeline: SIGINT run exited $$rc"; exit 1; fi; \
	head -n $$n $(TSANP_BUILD)/run/more-plain.jsonl | cmp - $(TSANP_BUILD)/run/int.jsonl && \
	echo "tsan-pipeline: SIGINT after 1 s: exit $$rc, $$n records, in order"
	@if test -f $(LIVE_DNS_DIR)/main/port && \
	    kill -0 "$$(cat $(LIVE_DNS_DIR)/main/nsd.pid 2>/dev/null)" 2>/dev/null; then \
	    echo "tsan-pipeline: live DNS on 127.0.0.1#$$(cat $(LIVE_DNS_DIR)/main/port)"; \
	    TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(TSANP_BUILD)/authsweep verify -q \
	        --threads 4 --as-of 1700000000 \
	        --resolver 127.0.0.1#$$(cat $(LIVE_DNS_DIR)/main/port) \
	        $(TSANP_BUILD)/run/many.mbox > $(TSANP_BUILD)/run/tsan-live.jsonl && \
	    cmp $(TSANP_BUILD)/run/plain.jsonl $(TSANP_BUILD)/run/tsan-live.jsonl; \
	else echo "tsan-pipeline: no live DNS server (run through make check for the live part)"; fi
	@echo "tsan-pipeline: clean ($$(wc -l < $(TSANP_BUILD)/run/tsan.jsonl) records, 4 threads)"
