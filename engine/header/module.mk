LIB_SRCS += engine/header/hdr.c engine/header/tagval.c
TEST_SRCS += tests/engine/header/test_hdr.c tests/engine/header/test_tagval.c
