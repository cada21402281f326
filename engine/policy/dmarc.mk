# DMARC (RFC 9989, and RFC 7489 on request): record parsing, policy discovery (DNS Tree Walk
# or Public Suffix List), alignment, disposition. libpsl comes from the Makefile's PKG_LIBS.
# Conformance data: tests/vectors/dmarc/README.md.
LIB_SRCS += engine/policy/dmarc.c engine/policy/orgdomain.c
TEST_SRCS += tests/engine/policy/test_dmarc.c\
             tests/engine/policy/test_dmarc_vectors.c
