LIB_SRCS += engine/canon/canon.c engine/canon/mbsha256.c
TEST_SRCS += tests/engine/canon/test_canon.c tests/engine/canon/test_mbsha256.c
