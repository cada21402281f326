# Adversarial end-to-end suite (tests/adversarial/test_adversarial.c over the corpus that
# gen_adversarial.py writes), valgrind memcheck on one end-to-end run, and clang-tidy.
TEST_SRCS += tests/adversarial/test_adversarial.c

# valgrind-e2e: memcheck on `authsweep verify --threads 2` over the bundled sample and a slice
# of the adversarial corpus. --no-uring: memory that the kernel fills through io_uring is
# invisible to memcheck (it would report every read of it as uninitialised). mimalloc: the
# mi_* calls go to the C allocator through vg_mimalloc_shim.so (see that file), and the
# soname synonym makes memcheck replace malloc/free inside libmimalloc too (it overrides
# the process's malloc, so OpenSSL's and libc's blocks are tracked as well).
ADV_VG_DIR := $(BUILD)/adv-valgrind
ADV_VG_SHIM := $(BUILD)/vg_mimalloc_shim.so
VALGRIND := valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite --track-origins=yes --quiet \
            --soname-synonyms=somalloc=libmimalloc.so* \
            --suppressions=$(abspath tests/adversarial/valgrind.supp)
VG_ENV = LD_PRELOAD=$(abspath $(ADV_VG_SHIM))
.PHONY: valgrind-e2e lint-tidy
$(ADV_VG_SHIM): tests/adversarial/vg_mimalloc_shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 -g -Wall -Wextra -Werror -shared -fPIC -o $@ $<
valgrind-e2e: $(BUILD)/authsweep $(ADV_VG_SHIM)
	@rm -rf $(ADV_VG_DIR)
	/usr/bin/python3 tests/adversarial/gen_adversarial.py $(ADV_VG_DIR) dkim dns maildir
	@printf 'From MAILER-DAEMON Fri Mar  1 12:00:00 2024\nFrom: a@adv.example\n\nx\n' \
	    > $(ADV_VG_DIR)/tail.mbox
	$(VG_ENV) $(VALGRIND) $(BUILD)/authsweep verify --threads 2 --no-uring --no-progress \
	    --dns-snapshot datasets/sample/sample.zone datasets/sample/sample.mbox -o /dev/null
	cd $(ADV_VG_DIR) && $(VG_ENV) $(VALGRIND) $(abspath $(BUILD)/authsweep) verify --threads 2 \
	    --no-uring --no-progress --max-signatures 40 --dns-snapshot adv.zone \
	    dkim/keys.mbox dkim/tags.mbox dkim/l-tag.mbox dkim/b64-junk.mbox \
	    dkim/good-among-bad.eml dkim/5000-sigs.eml dns/dns.mbox tail.mbox -o /dev/null
	cd $(ADV_VG_DIR) && { $(VG_ENV) $(VALGRIND) $(abspath $(BUILD)/authsweep) verify --threads 2 \
	    --no-uring --no-progress --dns-snapshot adv.zone maildir/Maildir -o /dev/null; \
	    rc=$$?; [ $$rc -le 1 ] || exit $$rc; }
	@rm -rf $(ADV_VG_DIR)

# lint-tidy: clang-tidy (checks in .clang-tidy) over the engine, DNS and I/O sources.
CLANG_TIDY ?= clang-tidy
TIDY_SRCS = $(filter engine/% dns/% io/%,$(LIB_SRCS) $(BIN_SRCS))
lint-tidy:
	$(CLANG_TIDY) --quiet $(TIDY_SRCS) -- -std=c17 -D_GNU_SOURCE -I. \
	    $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)

# valgrind-e2e takes ~10 s (2 cores): part of make check.
CHECK_EXTRA += valgrind-e2e
