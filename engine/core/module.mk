LIB_SRCS += engine/core/slice.c engine/core/arena.c engine/core/sbuf.c engine/core/b64.c \
            engine/core/json.c engine/core/shmap.c engine/core/counter.c
TEST_SRCS += tests/engine/core/test_slice.c tests/engine/core/test_core.c
