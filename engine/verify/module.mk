LIB_SRCS += engine/verify/sig.c engine/verify/keyrec.c engine/verify/keycache.c \
            engine/verify/dkim.c engine/verify/prehash.c
TEST_SRCS += tests/engine/verify/test_dkim.c tests/engine/verify/test_prehash.c \
             tests/engine/verify/test_sig_rsa.c
