# SPF (RFC 7208): evaluation, macro language, and its tests. See tests/vectors/spf/README.md
# for the conformance vectors and tests/spf/ for the converter and the pyspf differential.
LIB_SRCS += engine/policy/spf.c engine/policy/spf_macro.c engine/policy/spfcache.c
TEST_SRCS += tests/engine/policy/test_spf.c tests/engine/policy/test_spf_suite.c \
             tests/engine/policy/test_spf_diff.c tests/engine/policy/test_spfcache.c
