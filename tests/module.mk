TEST_SUPPORT_SRCS += tests/support/guard.c
