LIB_SRCS += io/input.c io/pread.c io/uring.c
TEST_SRCS += tests/io/test_input.c
TEST_SRCS += tests/io/test_split_diff.c
# The splitter as it was, the reference for test_split_diff.c and tests/fuzz/fuzz_mbox.c.
TEST_SUPPORT_SRCS += tests/io/ref_splitter.c
