/* Tests for engine/canon/mbsha256.c: every digest is compared with OpenSSL's one-shot
 * EVP_Digest, through both backends (the default one, which is libipsec-mb when built
 * with HAVE_IPSEC_MB, and the forced OpenSSL one). */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/canon/mbsha256.h"
#include "tests/support/guard.h"

enum { N_BACKENDS = 2 };

static struct mbsha *backend_new(int i)
{
    return i == 0 ? mbsha_new() : mbsha_new_openssl();
}

static void ref_sha256(const uint8_t *p, size_t len, uint8_t out[MBSHA_DIGEST_LEN])
{
    unsigned int n = 0;
    cr_assert_eq(EVP_Digest(p, len, out, &n, EVP_sha256(), NULL), 1);
    cr_assert_eq(n, MBSHA_DIGEST_LEN);
}

/* xorshift64*: reproducible pseudo-random numbers for lengths, offsets and contents. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static uint8_t *random_bytes(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    cr_assert_not_null(p);
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(rnd(&seed) >> 56);
    }
    return p;
}

/* check_batch queues all n buffers on m, flushes once, and compares every digest with
 * OpenSSL's. Each digest sits between two canaries, so a write beyond 32 bytes shows. */
static void check_batch(struct mbsha *m, const uint8_t *const *ptrs, const size_t *lens,
                        size_t n)
{
    enum { SLOT = 64, AT = 16 };
    uint8_t *outs = malloc(n * SLOT + 1);
    cr_assert_not_null(outs);
    memset(outs, 0xA5, n * SLOT + 1);
    for (size_t i = 0; i < n; i++) {
        mbsha_add(m, ptrs[i], lens[i], outs + i * SLOT + AT);
    }
    mbsha_flush(m);
    for (size_t i = 0; i < n; i++) {
        uint8_t want[MBSHA_DIGEST_LEN];
        const uint8_t *slot = outs + i * SLOT;
        ref_sha256(ptrs[i], lens[i], want);
        cr_assert_arr_eq(slot + AT, want, MBSHA_DIGEST_LEN, "%s: job %zu (len %zu) differs",
                         mbsha_backend_name(m), i, lens[i]);
        for (size_t k = 0; k < SLOT; k++) {
            if (k < AT || k >= AT + MBSHA_DIGEST_LEN) {
                cr_assert_eq(slot[k], 0xA5, "%s: job %zu wrote outside its digest",
                             mbsha_backend_name(m), i);
            }
        }
    }
    free(outs);
}

static void check_lengths_on_both(const uint8_t *buf, const size_t *lens, size_t n)
{
    const uint8_t **ptrs = malloc(n * sizeof(*ptrs));
    cr_assert_not_null(ptrs);
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = buf;
    }
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        check_batch(m, ptrs, lens, n);
        mbsha_free(m);
    }
    free(ptrs);
}

static bool is_lib(const struct mbsha *m)
{
    return strncmp(mbsha_backend_name(m), "ipsec-mb-", 9) == 0;
}

Test(mbsha, every_length_0_to_300_matches_openssl_against_a_guard_page)
{
    /* Each input ends flush against a PROT_NONE page: an over-read by the library's
     * assembly (which ASan cannot see) crashes the test. */
    enum { N = 301 };
    uint8_t *src = random_bytes(N, 1);
    const uint8_t *ptrs[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        ptrs[i] = guard_bytes(src, i).ptr;
        lens[i] = i;
    }
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        check_batch(m, ptrs, lens, N);
        mbsha_free(m);
    }
    free(src);
}

Test(mbsha, block_boundary_lengths_match_openssl)
{
    /* 55/56: the last length that fits the padding in one block; 64-byte blocks; and the
     * library's own length limit, on both sides. */
    static const size_t lens[] = {
        55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192, 4095, 4096, 4097,
        MBSHA_LIB_MAX_LEN - 1, MBSHA_LIB_MAX_LEN, MBSHA_LIB_MAX_LEN + 1, 65536,
    };
    size_t n = sizeof(lens) / sizeof(lens[0]);
    uint8_t *buf = random_bytes(65536, 2);
    check_lengths_on_both(buf, lens, n);
    free(buf);
}

Test(mbsha, random_lengths_up_to_2mb_match_openssl)
{
    /* Half the lengths uniform up to 2 MB (mostly past the library's limit), half up to
     * 64 KiB; the starting offsets are random too. */
    enum { N = 48, MAX = 2 << 20 };
    uint64_t s = 3;
    uint8_t *buf = random_bytes(2 * (size_t)MAX, 4);
    const uint8_t *ptrs[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        lens[i] = (size_t)(rnd(&s) % (i % 2 ? (uint64_t)MAX + 1 : 65537));
        ptrs[i] = buf + rnd(&s) % MAX;
    }
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        check_batch(m, ptrs, lens, N);
        mbsha_free(m);
    }
    free(buf);
}

Test(mbsha, odd_alignments_match_openssl)
{
    static const size_t sizes[] = {1, 31, 63, 64, 100, 1000, 4097};
    enum { N_SIZES = sizeof(sizes) / sizeof(sizes[0]), N_OFF = 64 };
    uint8_t *buf = random_bytes(N_OFF + 4097, 5);
    const uint8_t *ptrs[N_SIZES * N_OFF];
    size_t lens[N_SIZES * N_OFF];
    size_t n = 0;
    for (size_t off = 0; off < N_OFF; off++) {
        for (size_t k = 0; k < N_SIZES; k++) {
            ptrs[n] = buf + off;
            lens[n] = sizes[k];
            n++;
        }
    }
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        check_batch(m, ptrs, lens, n);
        mbsha_free(m);
    }
    free(buf);
}

Test(mbsha, many_short_and_few_long_jobs_in_one_flush)
{
    enum { N = 503 };
    uint64_t s = 6;
    uint8_t *buf = random_bytes(1 << 20, 7);
    const uint8_t *ptrs[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        ptrs[i] = buf + i;
        lens[i] = (size_t)(rnd(&s) % 201);
    }
    /* A few long ones among them: near the library's limit, and past it. */
    lens[10] = 60000;
    lens[250] = MBSHA_LIB_MAX_LEN;
    ptrs[400] = buf;
    lens[400] = 1 << 20;
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        check_batch(m, ptrs, lens, N);
        mbsha_free(m);
    }
    free(buf);
}

Test(mbsha, more_jobs_than_lanes_and_job_slots)
{
    /* 1000 jobs: more than the 16 AVX-512 lanes and the manager's 256 job slots, so a
     * full ring must complete old jobs while new ones arrive. */
    enum { N = 1000, LEN = 4096 };
    uint8_t *buf = random_bytes(N + LEN, 8);
    const uint8_t *ptrs[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        ptrs[i] = buf + i;
        lens[i] = LEN;
    }
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        check_batch(m, ptrs, lens, N);
        struct mbsha_stats st;
        mbsha_get_stats(m, &st);
        cr_assert_eq(st.n_lib + st.n_openssl, N);
        cr_assert_eq(st.n_lib, is_lib(m) ? N : 0);
        mbsha_free(m);
    }
    free(buf);
}

Test(mbsha, hasher_is_reusable_after_flush)
{
    uint8_t *buf = random_bytes(10000, 9);
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        mbsha_flush(m); /* nothing queued: a no-op */
        for (size_t round = 0; round < 5; round++) {
            const uint8_t *ptrs[37];
            size_t lens[37];
            for (size_t i = 0; i < 37; i++) {
                ptrs[i] = buf + round * 7 + i;
                lens[i] = (round * 1000 + i * 211) % 9000;
            }
            check_batch(m, ptrs, lens, 37);
            mbsha_flush(m); /* a second flush changes nothing */
        }
        /* One job alone, then flush. */
        const uint8_t *one = buf;
        size_t one_len = 5000;
        check_batch(m, &one, &one_len, 1);
        mbsha_free(m);
    }
    free(buf);
}

Test(mbsha, forced_openssl_backend)
{
    struct mbsha *m = mbsha_new_openssl();
    cr_assert_str_eq(mbsha_backend_name(m), "openssl");
    uint8_t *buf = random_bytes(70000, 10);
    const uint8_t *ptrs[4] = {buf, buf + 1, buf + 2, buf + 3};
    size_t lens[4] = {0, 3, 4096, 69990};
    check_batch(m, ptrs, lens, 4);
    struct mbsha_stats st;
    mbsha_get_stats(m, &st);
    cr_assert_eq(st.n_lib, 0);
    cr_assert_eq(st.n_openssl, 4);
    cr_assert_eq(st.n_rejected, 0);
    mbsha_free(m);
    free(buf);
}

static void hex_digest(const uint8_t d[MBSHA_DIGEST_LEN], char out[2 * MBSHA_DIGEST_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < MBSHA_DIGEST_LEN; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * MBSHA_DIGEST_LEN] = '\0';
}

Test(mbsha, fips_180_2_known_answers)
{
    /* FIPS 180-2 appendix B: one block, two blocks, and a million 'a'. */
    static const char abc[] = "abc";
    static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    size_t million = 1000000;
    uint8_t *as = malloc(million);
    cr_assert_not_null(as);
    memset(as, 'a', million);
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        uint8_t d[3][MBSHA_DIGEST_LEN];
        char h[2 * MBSHA_DIGEST_LEN + 1];
        mbsha_add(m, (const uint8_t *)abc, sizeof(abc) - 1, d[0]);
        mbsha_add(m, (const uint8_t *)two, sizeof(two) - 1, d[1]);
        mbsha_add(m, as, million, d[2]);
        mbsha_flush(m);
        hex_digest(d[0], h);
        cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        hex_digest(d[1], h);
        cr_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        hex_digest(d[2], h);
        cr_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        mbsha_free(m);
    }
    free(as);
}

Test(mbsha, empty_input_may_have_a_null_pointer)
{
    for (int b = 0; b < N_BACKENDS; b++) {
        struct mbsha *m = backend_new(b);
        uint8_t d[MBSHA_DIGEST_LEN];
        char h[2 * MBSHA_DIGEST_LEN + 1];
        mbsha_add(m, NULL, 0, d);
        mbsha_flush(m);
        hex_digest(d, h);
        cr_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        mbsha_free(m);
    }
}

Test(mbsha, default_backend_is_ipsec_mb_when_built_with_it)
{
    struct mbsha *m = mbsha_new();
#ifdef HAVE_IPSEC_MB
    cr_assert(is_lib(m), "backend is %s", mbsha_backend_name(m));
    /* And the jobs really go through the library. */
    uint8_t *buf = random_bytes(4096, 11);
    const uint8_t *ptrs[40];
    size_t lens[40];
    for (size_t i = 0; i < 40; i++) {
        ptrs[i] = buf;
        lens[i] = 100 * i;
    }
    check_batch(m, ptrs, lens, 40);
    struct mbsha_stats st;
    mbsha_get_stats(m, &st);
    cr_assert_eq(st.n_lib, 40);
    cr_assert_eq(st.n_openssl, 0);
    free(buf);
#else
    cr_assert_str_eq(mbsha_backend_name(m), "openssl");
#endif
    mbsha_free(m);
}

Test(mbsha, jobs_the_library_rejects_are_hashed_by_openssl)
{
    /* With the length cut-off lifted, the library refuses every job over its limit
     * (IMB_STATUS_INVALID_ARGS); 300 of them in a row, more than its job slots, among
     * short jobs it accepts. Each must still get the right digest. */
    enum { N = 600, LONG = MBSHA_LIB_MAX_LEN + 1000 };
    struct mbsha *m = mbsha_new();
    mbsha_set_lib_max_len(m, SIZE_MAX);
    uint8_t *buf = random_bytes(LONG + N, 12);
    const uint8_t *ptrs[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        ptrs[i] = buf + i;
        lens[i] = (i >= 100 && i < 400) || i % 7 == 0 ? LONG : i;
    }
    size_t n_long = 0;
    for (size_t i = 0; i < N; i++) {
        n_long += lens[i] == LONG;
    }
    check_batch(m, ptrs, lens, N);
    struct mbsha_stats st;
    mbsha_get_stats(m, &st);
    cr_assert_eq(st.n_lib + st.n_openssl, N);
    if (is_lib(m)) {
        cr_assert_eq(st.n_rejected, n_long);
        cr_assert_eq(st.n_openssl, n_long);
    } else {
        cr_assert_eq(st.n_rejected, 0);
    }
    mbsha_free(m);
    free(buf);
}

Test(mbsha, free_null_does_nothing)
{
    mbsha_free(NULL);
}
