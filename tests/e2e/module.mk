TEST_SRCS += tests/e2e/test_cli.c
