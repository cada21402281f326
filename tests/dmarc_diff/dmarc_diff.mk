# Differential DMARC test against OpenDMARC (Debian libopendmarc-dev, libopendmarc2).
# tests/dmarc_diff/gen_cases.py writes seeded cases; $(BUILD)/opendmarc_driver (linked with
# libopendmarc only, never with authsweep's objects: both export dmarc_* names) gives
# OpenDMARC's verdicts; test_dmarc_diff.c compares them with dmarc_evaluate (RFC 7489 mode).
# Without the package the driver is not built and the suite skips itself, saying why.
TEST_SRCS += tests/dmarc_diff/test_dmarc_diff.c

DMARC_DIFF_HAVE_OPENDMARC := $(shell test -r /usr/include/opendmarc/dmarc.h && echo 1)
ifeq ($(DMARC_DIFF_HAVE_OPENDMARC),1)
# Test code over trusted generated input: the C-string rules of engine/ do not apply; the
# header's u_char API needs -Wno-pointer-sign.
$(BUILD)/opendmarc_driver: tests/dmarc_diff/opendmarc_driver.c tests/dmarc_diff/dmarc_diff.mk
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(OPT) -g $(WARN) -Wno-pointer-sign $(SANFLAGS) \
	    -o $@ $< -lopendmarc

$(BUILD)/authsweep-tests: $(BUILD)/opendmarc_driver
endif
