LIB_SRCS += engine/canon/canon.c
TEST_SRCS += tests/engine/canon/test_canon.c
