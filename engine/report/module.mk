LIB_SRCS += engine/report/record.c engine/pipeline.c
