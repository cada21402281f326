LIB_SRCS += io/input.c io/pread.c io/uring.c
TEST_SRCS += tests/io/test_input.c
