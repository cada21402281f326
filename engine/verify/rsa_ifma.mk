LIB_SRCS += engine/verify/rsa_ifma.c
TEST_SRCS += tests/engine/verify/test_rsa_ifma.c
