# Conformance and differential suites: run the built program (AUTHSWEEP_BIN) over the shared
# conformance data and over messages signed by dkimpy (tests/diff/dkimpy_diff.py).
TEST_SRCS += tests/conformance/test_realworld.c tests/conformance/test_vectors.c \
             tests/conformance/test_dkimpy_diff.c
TEST_SUPPORT_SRCS += tests/support/jsonl.c tests/conformance/conf_util.c
