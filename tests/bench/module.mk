# The generated-corpus end-to-end test (datasets/gen/corpusgen + bench/check_truth.py).
TEST_SRCS += tests/bench/test_corpus.c
