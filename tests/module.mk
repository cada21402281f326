TEST_SUPPORT_SRCS += tests/support/guard.c
TEST_SUPPORT_SRCS += tests/support/dkim_sign.c
