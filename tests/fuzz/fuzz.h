/* fuzz: libFuzzer harnesses for every parser that reads untrusted bytes (STYLE.md "Tests
 * mirror the modules"; knot tests-fuzz, boringssl fuzz/).
 *
 * Each tests/fuzz/fuzz_<name>.c defines fuzz_<name>_one(data, size): the whole harness,
 * which aborts on a broken invariant. Built with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
 * (the fuzz build, tests/fuzz/fuzz.mk) the file also defines LLVMFuzzerTestOneInput calling
 * it; in the normal test binary only the entry point exists, so tests/fuzz/test_regress.c
 * replays crash reproducers through exactly the code the fuzzer ran. */
#ifndef AUTHSWEEP_FUZZ_H
#define AUTHSWEEP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int fuzz_mbox_one(const uint8_t *data, size_t size);
int fuzz_maildir_one(const uint8_t *data, size_t size);
int fuzz_hdr_one(const uint8_t *data, size_t size);
int fuzz_addr_one(const uint8_t *data, size_t size);
int fuzz_date_one(const uint8_t *data, size_t size);
int fuzz_tagval_one(const uint8_t *data, size_t size);
int fuzz_keyrec_one(const uint8_t *data, size_t size);
int fuzz_canon_one(const uint8_t *data, size_t size);
int fuzz_spf_one(const uint8_t *data, size_t size);
int fuzz_spf_macro_one(const uint8_t *data, size_t size);
int fuzz_snapshot_one(const uint8_t *data, size_t size);
int fuzz_message_one(const uint8_t *data, size_t size);
int fuzz_received_one(const uint8_t *data, size_t size);
int fuzz_authres_one(const uint8_t *data, size_t size);
int fuzz_dmarc_one(const uint8_t *data, size_t size);
int fuzz_rsa_one(const uint8_t *data, size_t size);
int fuzz_keyder_one(const uint8_t *data, size_t size);

/* FUZZ_CHECK aborts with the location when an invariant does not hold: the fuzzer reports
 * it as a crash, the regression test as a failed (crashed) test. */
#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define FUZZ_ENTRY(fn)                                                \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);     \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)      \
    {                                                                 \
        return fn(data, size);                                        \
    }
#else
#define FUZZ_ENTRY(fn)
#endif

#endif
