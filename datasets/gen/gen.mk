# datasets/gen: the synthetic corpus generator (standalone: OpenSSL and pthreads only, no
# engine code, so its ground truth is an independent implementation).
#   make corpus N=1000 SEED=1 OUT=datasets/corpus/n1000-s1
CORPUS_N ?= $(or $(N),1000)
CORPUS_SEED ?= $(or $(SEED),1)
CORPUS_OUT ?= $(or $(OUT),datasets/corpus/n$(CORPUS_N)-s$(CORPUS_SEED))

$(BUILD)/corpusgen: datasets/gen/corpusgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -o $@ $< $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto) -lpthread -lm

# The corpus test runs the generator that sits next to AUTHSWEEP_BIN.
$(BUILD)/authsweep-tests: $(BUILD)/corpusgen

.PHONY: corpus
corpus: $(BUILD)/corpusgen
	$(BUILD)/corpusgen --out $(CORPUS_OUT) --n $(CORPUS_N) --seed $(CORPUS_SEED)

-include $(BUILD)/corpusgen.d
