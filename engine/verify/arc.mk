# engine/verify/arc: RFC 8617 ARC chain validation (the rest of the folder is in module.mk).
LIB_SRCS += engine/verify/arc.c
TEST_SRCS += tests/engine/verify/test_arc.c tests/engine/verify/test_arc_suite.c \
             tests/engine/verify/test_arc_realworld.c
