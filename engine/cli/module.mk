BIN_SRCS += engine/cli/main.c
