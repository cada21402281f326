# Live-DNS tests: make check starts NSD on loopback before the suites (plain and SAN runs)
# and stops it afterwards, even when a suite failed (the Makefile's CHECK_TEARDOWN). The
# tests read the server addresses from $(LIVE_DNS_DIR) (AUTHSWEEP_LIVE_DNS overrides it), a
# fixed path so that the SAN run (BUILD=build-san) finds the server the setup started.
LIVE_DNS_DIR ?= $(abspath build/live-dns)
CHECK_SETUP += live-dns-up
CHECK_TEARDOWN += live-dns-down
CHECK_EXTRA += tsan
.PHONY: live-dns-up live-dns-down tsan

live-dns-up:
	sh tests/dns/live/live-dns.sh up $(LIVE_DNS_DIR) $(abspath .)

live-dns-down:
	sh tests/dns/live/live-dns.sh down $(LIVE_DNS_DIR) $(abspath .)

# tsan: the cache and the live backend's threads under ThreadSanitizer. Criterion cannot run
# under TSan (Snaipe/Criterion#274), so tests/dns/tsan_cache.c repeats the threaded scenarios
# of tests/dns/test_cache.c as a plain program; with NSD up it also drives getdns.
TSAN_BUILD ?= build-tsan
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
# Only the objects the driver needs, so that unrelated work in progress cannot break it;
# tests/dns/tsan_alloc.c replaces mimalloc (uninstrumented: TSan would see false races).
TSAN_OBJS := $(addprefix $(TSAN_BUILD)/obj/,dns/cache.o dns/getdns.o dns/dns.o dns/record.o \
    dns/snapshot.o engine/core/slice.o engine/core/sbuf.o engine/core/counter.o \
    engine/header/date.o \
    tests/dns/tsan_alloc.o tests/dns/fake_backend.o tests/dns/tsan_cache.o)
tsan:
	$(MAKE) BUILD=$(TSAN_BUILD) OPT=-O1 CFLAGS="$(TSAN_FLAGS)" $(TSAN_OBJS)
	$(CC) $(TSAN_FLAGS) -o $(TSAN_BUILD)/tsan_cache $(TSAN_OBJS) \
	    $(shell pkg-config --libs getdns 2>/dev/null || echo -lgetdns) -lpthread -lm
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(TSAN_BUILD)/tsan_cache \
	    $$(test -f $(LIVE_DNS_DIR)/main/port && echo 127.0.0.1#$$(cat $(LIVE_DNS_DIR)/main/port))
