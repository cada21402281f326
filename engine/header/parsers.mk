# engine/header address and date parsers (engine/header/module.mk has the rest of the folder).
LIB_SRCS += engine/header/addr.c engine/header/date.c
TEST_SRCS += tests/engine/header/test_addr.c tests/engine/header/test_date.c
