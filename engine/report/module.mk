LIB_SRCS += engine/report/record.c engine/pipeline.c
LIB_SRCS += engine/report/ar.c engine/report/csv.c engine/report/aggregate.c \
            engine/report/annotate.c engine/report/summary.c
