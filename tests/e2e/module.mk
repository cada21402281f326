TEST_SRCS += tests/e2e/test_cli.c tests/e2e/test_resume.c
