/* rsa_ifma: RFC 8017 §5.2.2 RSAVP1 (s^e mod n) computed with AVX-512 IFMA must equal OpenSSL's
 * BN_mod_exp for every modulus size it accepts (1024..4096 bits, odd sizes included), for
 * random and edge-case representatives and several exponents, must refuse out-of-range
 * representatives without touching the output, and must open a real PKCS#1 v1.5 signature.
 * Every test is skipped on CPUs without IFMA (the module then only ever returns NULL keys). */
#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/verify/rsa_ifma.h"

#define MAX_BYTES 512

/* Deterministic generator (splitmix64) so that a failure reproduces. */
struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *g)
{
    uint64_t z = (g->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void rng_bytes(struct rng *g, uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)rng_next(g);
    }
}

static void skip_without_ifma(void)
{
    if (!rsa_ifma_available()) {
        cr_skip_test("CPU lacks AVX512F/VL/IFMA: rsa_ifma is unused here");
    }
}

static size_t bytes_of(unsigned bits)
{
    return (bits + 7) / 8;
}

/* random_modulus fills n (bytes_of(bits) bytes) with a random odd number of exactly `bits`
 * bits. It need not be an RSA modulus for the s^e mod n comparison. */
static void random_modulus(struct rng *g, unsigned bits, uint8_t *n)
{
    size_t len = bytes_of(bits);
    rng_bytes(g, n, len);
    unsigned top = (bits - 1) % 8; /* the highest bit's position in n[0] */
    n[0] = (uint8_t)((n[0] & ((1u << top) - 1)) | (1u << top));
    n[len - 1] |= 1;
}

/* ref_modexp writes s^e mod n (OpenSSL) as out_len big-endian bytes. */
static void ref_modexp(const uint8_t *s, size_t s_len, uint64_t e, const uint8_t *n,
                       size_t n_len, uint8_t *out, size_t out_len)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *bs = BN_bin2bn(s, (int)s_len, NULL);
    BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL);
    BIGNUM *be = BN_new();
    BIGNUM *r = BN_new();
    cr_assert(ctx && bs && bn && be && r);
    cr_assert(BN_set_word(be, e) == 1);
    cr_assert(BN_mod_exp(r, bs, be, bn, ctx) == 1);
    cr_assert(BN_bn2binpad(r, out, (int)out_len) == (int)out_len);
    BN_free(r);
    BN_free(be);
    BN_free(bn);
    BN_free(bs);
    BN_CTX_free(ctx);
}

/* check_one compares rsa_ifma_public with OpenSSL for one s (which must be < n). */
static void check_one(const struct rsa_ifma_key *k, const uint8_t *s, size_t s_len, uint64_t e,
                      const uint8_t *n, size_t n_len, const char *what)
{
    uint8_t got[MAX_BYTES + 1], want[MAX_BYTES];
    size_t kb = rsa_ifma_key_bytes(k);
    memset(got, 0xa5, sizeof(got));
    ref_modexp(s, s_len, e, n, n_len, want, kb);
    cr_assert(rsa_ifma_public(k, s, s_len, got), "%s: refused an in-range s", what);
    cr_assert(memcmp(got, want, kb) == 0, "%s: s^%llu mod n differs from OpenSSL (%zu bytes)",
              what, (unsigned long long)e, kb);
    cr_assert(got[kb] == 0xa5, "%s: wrote past the key length (%zu bytes)", what, kb);
}

/* random_below writes a random s < n (n_len bytes) into s. */
static void random_below(struct rng *g, const uint8_t *n, size_t n_len, uint8_t *s)
{
    do {
        rng_bytes(g, s, n_len);
        s[0] &= n[0];
    } while (memcmp(s, n, n_len) >= 0);
}

/* add_small / sub_small: p (len big-endian bytes) += d / -= d, carrying through the bytes. */
static void add_small(uint8_t *p, size_t len, unsigned d)
{
    for (size_t i = len; i-- > 0 && d != 0;) {
        unsigned v = p[i] + d;
        p[i] = (uint8_t)v;
        d = v >> 8;
    }
}

static void sub_small(uint8_t *p, size_t len, unsigned d)
{
    for (size_t i = len; i-- > 0 && d != 0;) {
        unsigned borrow = p[i] < d;
        p[i] = (uint8_t)(p[i] - d);
        d = borrow;
    }
}

static const uint64_t exponents[] = {
    3, 17, 65537, (UINT64_C(1) << 32) + 1, UINT64_C(0xd1b54a32d192ed03), UINT64_MAX,
};
#define N_EXPONENTS (sizeof(exponents) / sizeof(exponents[0]))

/* check_modulus runs rounds random values per exponent against OpenSSL, some of them passed
 * without their leading zero bytes. */
static void check_modulus(struct rng *g, const uint8_t *n, size_t n_len, unsigned rounds)
{
    uint8_t s[MAX_BYTES];
    char what[96];
    for (size_t ei = 0; ei < N_EXPONENTS; ei++) {
        uint64_t e = exponents[ei];
        struct rsa_ifma_key *k = rsa_ifma_key_new(n, n_len, e);
        cr_assert_not_null(k, "key_new refused a %zu-byte modulus, e=%llu", n_len,
                           (unsigned long long)e);
        cr_assert_eq(rsa_ifma_key_bytes(k), n_len);
        /* The big exponents cost OpenSSL 4x more; fewer rounds keep the suite quick. */
        unsigned todo = e > UINT32_MAX ? rounds / 4 + 1 : rounds;
        for (unsigned i = 0; i < todo; i++) {
            random_below(g, n, n_len, s);
            size_t off = 0;
            if (i % 4 == 1) { /* a short s: drop a random number of leading bytes */
                off = (size_t)(rng_next(g) % n_len);
                memset(s, 0, off);
            }
            snprintf(what, sizeof(what), "%zu-byte n, e=%llu, round %u", n_len,
                     (unsigned long long)e, i);
            check_one(k, s + off, n_len - off, e, n, n_len, what);
        }
        rsa_ifma_key_free(k);
    }
}

TestSuite(rsa_ifma, .timeout = 60);

Test(rsa_ifma, random_moduli_of_every_size_class_match_openssl)
{
    skip_without_ifma();
    /* Standard sizes, odd sizes, and the edges of the limb and register counts:
     * ceil((bits + 2) / 52) changes after 1038, 2078, 2080 (1038 = 20 * 52 - 2), and the
     * register count after 1662 (32 limbs) and 2494 (48 limbs). */
    static const unsigned sizes[] = {1024, 1025, 1031, 1038, 1039, 1536, 1662, 1663, 2047,
                                     2048, 2049, 2078, 2079, 2080, 2494, 2495, 3072, 3327,
                                     3328, 4095, 4096};
    struct rng g = {1};
    uint8_t n[MAX_BYTES];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (int rep = 0; rep < 2; rep++) {
            random_modulus(&g, sizes[i], n);
            check_modulus(&g, n, bytes_of(sizes[i]), sizes[i] > 3000 ? 12 : 24);
        }
    }
}

/* Real RSA moduli: e = 65537 and e = 3 (which OpenSSL's keygen accepts). */
Test(rsa_ifma, real_rsa_keys_match_openssl)
{
    skip_without_ifma();
    static const unsigned sizes[] = {1024, 2048, 3072};
    struct rng g = {2};
    uint8_t n[MAX_BYTES], s[MAX_BYTES];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)sizes[i]);
        cr_assert_not_null(pkey);
        BIGNUM *bn = NULL;
        cr_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn) == 1);
        size_t n_len = (size_t)BN_num_bytes(bn);
        cr_assert(BN_bn2binpad(bn, n, (int)n_len) == (int)n_len);
        static const uint64_t es[] = {65537, 3};
        for (size_t ei = 0; ei < 2; ei++) {
            struct rsa_ifma_key *k = rsa_ifma_key_new(n, n_len, es[ei]);
            cr_assert_not_null(k);
            for (int r = 0; r < 100; r++) {
                random_below(&g, n, n_len, s);
                check_one(k, s, n_len, es[ei], n, n_len, "real RSA key");
            }
            rsa_ifma_key_free(k);
        }
        BN_free(bn);
        EVP_PKEY_free(pkey);
    }
}

/* edge_values checks s = 0, 1, 2, n-1, n-2, runs of all-one and all-zero bits crossing limb
 * boundaries, and s given with fewer bytes than the key. */
static void check_edges(const uint8_t *n, size_t n_len, uint64_t e)
{
    uint8_t s[MAX_BYTES];
    struct rsa_ifma_key *k = rsa_ifma_key_new(n, n_len, e);
    cr_assert_not_null(k);
    for (unsigned v = 0; v <= 2; v++) {
        memset(s, 0, n_len);
        s[n_len - 1] = (uint8_t)v;
        check_one(k, s, n_len, e, n, n_len, "small s, full length");
        check_one(k, s + n_len - 1, 1, e, n, n_len, "small s, one byte");
    }
    check_one(k, s, 0, e, n, n_len, "empty s (zero)");
    for (unsigned d = 1; d <= 2; d++) { /* n - 1, n - 2: n is odd, so no borrow */
        memcpy(s, n, n_len);
        sub_small(s, n_len, d);
        check_one(k, s, n_len, e, n, n_len, "n - d");
    }
    /* All ones below the top byte of n: every limb 2^52 - 1. */
    memset(s, 0xff, n_len);
    s[0] = (uint8_t)(n[0] - 1 > 0 ? n[0] - 1 : 0);
    check_one(k, s, n_len, e, n, n_len, "all ones");
    check_one(k, s + 1, n_len - 1, e, n, n_len, "all ones, short");
    /* Alternating blocks of 13 one bytes and 13 zero bytes (a 52-bit limb is 6.5 bytes). */
    for (size_t phase = 0; phase < 26; phase += 5) {
        for (size_t i = 0; i < n_len; i++) {
            s[i] = ((i + phase) / 13) % 2 ? 0xff : 0x00;
        }
        s[0] = 0;
        check_one(k, s, n_len, e, n, n_len, "one/zero blocks");
    }
    /* Powers of two at limb boundaries: 2^(52j), 2^(52j) - 1. */
    for (size_t bit = 52; bit + 8 < n_len * 8; bit += 52 * 7) {
        memset(s, 0, n_len);
        s[n_len - 1 - bit / 8] = (uint8_t)(1u << (bit % 8));
        check_one(k, s, n_len, e, n, n_len, "2^(52j)");
        memset(s, 0, n_len);
        for (size_t b = 0; b < bit; b++) {
            s[n_len - 1 - b / 8] |= (uint8_t)(1u << (b % 8));
        }
        check_one(k, s, n_len, e, n, n_len, "2^(52j) - 1");
    }
    rsa_ifma_key_free(k);
}

Test(rsa_ifma, edge_values_match_openssl)
{
    skip_without_ifma();
    static const unsigned sizes[] = {1024, 1025, 2047, 2048, 2049, 3072, 4095, 4096};
    struct rng g = {3};
    uint8_t n[MAX_BYTES];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        random_modulus(&g, sizes[i], n);
        for (size_t ei = 0; ei < N_EXPONENTS; ei++) {
            check_edges(n, bytes_of(sizes[i]), exponents[ei]);
        }
        /* n = 2^bits - 1: every limb of n is all ones. */
        size_t len = bytes_of(sizes[i]);
        memset(n, 0xff, len);
        n[0] = (uint8_t)(0xffu >> ((8 - sizes[i] % 8) % 8));
        check_edges(n, len, 65537);
        /* n = 2^(bits-1) + 1: every middle limb zero. */
        memset(n, 0, len);
        n[0] = (uint8_t)(1u << ((sizes[i] - 1) % 8));
        n[len - 1] = 1;
        check_edges(n, len, 3);
        check_edges(n, len, 65537);
    }
}

/* s^e = 0 mod n with s != 0 (n = 3^k * m, s a multiple of 3 * m): the conversion out of
 * Montgomery form can give exactly n, which must come out as 0. */
Test(rsa_ifma, multiple_of_a_factor_reduces_to_zero)
{
    skip_without_ifma();
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *n = BN_new(), *m = BN_new(), *s = BN_new();
    cr_assert(ctx && n && m && s);
    /* n = 3^1292 (2048 bits) and s = 3^1000: s^3 = 0 mod n. */
    cr_assert(BN_set_word(m, 3) == 1);
    BIGNUM *pw = BN_new();
    cr_assert(BN_set_word(pw, 1292) == 1);
    cr_assert(BN_exp(n, m, pw, ctx) == 1);
    cr_assert(BN_set_word(pw, 1000) == 1);
    cr_assert(BN_exp(s, m, pw, ctx) == 1);
    uint8_t nb[MAX_BYTES], sb[MAX_BYTES], out[MAX_BYTES];
    size_t n_len = (size_t)BN_num_bytes(n);
    cr_assert_geq(BN_num_bits(n), 1024);
    BN_bn2binpad(n, nb, (int)n_len);
    BN_bn2binpad(s, sb, (int)n_len);
    struct rsa_ifma_key *k = rsa_ifma_key_new(nb, n_len, 3);
    cr_assert_not_null(k);
    memset(out, 0xee, sizeof(out));
    cr_assert(rsa_ifma_public(k, sb, n_len, out));
    for (size_t i = 0; i < n_len; i++) {
        cr_assert_eq(out[i], 0, "byte %zu of s^3 mod n is not zero", i);
    }
    check_one(k, sb, n_len, 3, nb, n_len, "3^1000 mod 3^1292");
    rsa_ifma_key_free(k);
    BN_free(pw);
    BN_free(s);
    BN_free(m);
    BN_free(n);
    BN_CTX_free(ctx);
}

Test(rsa_ifma, out_of_range_representative_is_refused_and_out_untouched)
{
    skip_without_ifma();
    static const unsigned sizes[] = {1024, 2047, 2048, 4096};
    struct rng g = {4};
    uint8_t n[MAX_BYTES], s[MAX_BYTES + 8], out[MAX_BYTES];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = bytes_of(sizes[i]);
        random_modulus(&g, sizes[i], n);
        struct rsa_ifma_key *k = rsa_ifma_key_new(n, len, 65537);
        cr_assert_not_null(k);
        memset(out, 0x5c, sizeof(out));
        /* s = n */
        cr_assert_not(rsa_ifma_public(k, n, len, out), "s = n accepted");
        /* s = n + 1 (n is odd: no carry) */
        memcpy(s, n, len);
        add_small(s, len, 1);
        cr_assert_not(rsa_ifma_public(k, s, len, out), "s = n + 1 accepted");
        /* s > n in the top byte */
        memcpy(s, n, len);
        if (s[0] < 0xff) {
            s[0]++;
            cr_assert_not(rsa_ifma_public(k, s, len, out), "s > n accepted");
        }
        /* s = all ones of key length */
        memset(s, 0xff, len);
        cr_assert_not(rsa_ifma_public(k, s, len, out), "s = 2^(8k) - 1 accepted");
        /* s longer than the key, even when its value is small */
        memset(s, 0, len + 1);
        s[len] = 2;
        cr_assert_not(rsa_ifma_public(k, s, len + 1, out), "s_len > k accepted");
        for (size_t j = 0; j < sizeof(out); j++) {
            cr_assert_eq(out[j], 0x5c, "out touched at %zu by a refused call", j);
        }
        /* ... and the key still works: n - 1 = -1, and (-1)^65537 = n - 1. */
        memcpy(s, n, len);
        sub_small(s, len, 1);
        cr_assert(rsa_ifma_public(k, s, len, out));
        cr_assert(memcmp(out, s, len) == 0, "(n-1)^65537 != n-1");
        rsa_ifma_key_free(k);
    }
}

Test(rsa_ifma, unsupported_keys_are_refused)
{
    uint8_t n[MAX_BYTES + 2];
    struct rng g = {5};
    if (!rsa_ifma_available()) {
        random_modulus(&g, 2048, n);
        cr_assert_null(rsa_ifma_key_new(n, 256, 65537), "a key without IFMA");
        cr_skip_test("CPU lacks AVX512F/VL/IFMA: only the NULL contract is checked");
    }
    random_modulus(&g, 2048, n);
    struct rsa_ifma_key *k = rsa_ifma_key_new(n, 256, 65537);
    cr_assert_not_null(k, "a plain 2048-bit key");
    rsa_ifma_key_free(k);
    cr_assert_null(rsa_ifma_key_new(n, 256, 65536), "even e");
    cr_assert_null(rsa_ifma_key_new(n, 256, 1), "e = 1");
    cr_assert_null(rsa_ifma_key_new(n, 256, 0), "e = 0");
    n[255] &= 0xfe;
    cr_assert_null(rsa_ifma_key_new(n, 256, 65537), "even n");
    random_modulus(&g, 1023, n);
    cr_assert_null(rsa_ifma_key_new(n, 128, 65537), "1023 bits");
    random_modulus(&g, 4097, n);
    cr_assert_null(rsa_ifma_key_new(n, 513, 65537), "4097 bits");
    memset(n, 0, sizeof(n));
    cr_assert_null(rsa_ifma_key_new(n, 256, 65537), "n = 0");
    cr_assert_null(rsa_ifma_key_new(n, 0, 65537), "empty n");
    rsa_ifma_key_free(NULL);
}

Test(rsa_ifma, leading_zero_bytes_of_n_are_ignored)
{
    skip_without_ifma();
    struct rng g = {6};
    uint8_t n[MAX_BYTES + 3], s[MAX_BYTES], a[MAX_BYTES], b[MAX_BYTES];
    memset(n, 0, 3);
    random_modulus(&g, 2047, n + 3);
    struct rsa_ifma_key *k1 = rsa_ifma_key_new(n, 256 + 3, 65537);
    struct rsa_ifma_key *k2 = rsa_ifma_key_new(n + 3, 256, 65537);
    cr_assert(k1 && k2);
    cr_assert_eq(rsa_ifma_key_bytes(k1), 256);
    random_below(&g, n + 3, 256, s);
    cr_assert(rsa_ifma_public(k1, s, 256, a));
    cr_assert(rsa_ifma_public(k2, s, 256, b));
    cr_assert(memcmp(a, b, 256) == 0);
    check_one(k1, s, 256, 65537, n + 3, 256, "n with leading zeros");
    /* A 4096-bit modulus written in 513 bytes is still accepted. */
    n[0] = 0;
    random_modulus(&g, 4096, n + 1);
    struct rsa_ifma_key *k3 = rsa_ifma_key_new(n, 513, 65537);
    cr_assert_not_null(k3);
    cr_assert_eq(rsa_ifma_key_bytes(k3), 512);
    rsa_ifma_key_free(k3);
    rsa_ifma_key_free(k2);
    rsa_ifma_key_free(k1);
}

/* RFC 8017 §8.2.2 + §9.2: a real RSASSA-PKCS1-v1_5 SHA-256 signature opens to
 * 0x00 0x01 PS(0xff...) 0x00 DigestInfo(SHA-256) || H. */
Test(rsa_ifma, pkcs1_v15_sha256_signature_opens_to_its_encoding)
{
    skip_without_ifma();
    static const uint8_t digest_info[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                            0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                            0x01, 0x05, 0x00, 0x04, 0x20};
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    cr_assert_not_null(pkey);
    uint8_t hash[32], sig[256], em[256], nb[256];
    for (size_t i = 0; i < sizeof(hash); i++) {
        hash[i] = (uint8_t)(i * 7 + 1);
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
    cr_assert_not_null(ctx);
    cr_assert(EVP_PKEY_sign_init(ctx) == 1);
    cr_assert(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1);
    cr_assert(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1);
    size_t sig_len = sizeof(sig);
    cr_assert(EVP_PKEY_sign(ctx, sig, &sig_len, hash, sizeof(hash)) == 1);
    cr_assert_eq(sig_len, 256);
    BIGNUM *bn = NULL, *be = NULL;
    cr_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn) == 1);
    cr_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &be) == 1);
    cr_assert(BN_bn2binpad(bn, nb, 256) == 256);
    struct rsa_ifma_key *k = rsa_ifma_key_new(nb, 256, BN_get_word(be));
    cr_assert_not_null(k);
    cr_assert(rsa_ifma_public(k, sig, sig_len, em));
    cr_assert_eq(em[0], 0x00);
    cr_assert_eq(em[1], 0x01);
    size_t ps_end = 256 - 32 - sizeof(digest_info) - 1;
    for (size_t i = 2; i < ps_end; i++) {
        cr_assert_eq(em[i], 0xff, "PS byte %zu", i);
    }
    cr_assert_eq(em[ps_end], 0x00);
    cr_assert(memcmp(em + ps_end + 1, digest_info, sizeof(digest_info)) == 0);
    cr_assert(memcmp(em + 256 - 32, hash, 32) == 0);
    /* A corrupted signature must not open to the same encoding. */
    sig[100] ^= 0x01;
    uint8_t em2[256];
    if (rsa_ifma_public(k, sig, sig_len, em2)) {
        cr_assert(memcmp(em, em2, 256) != 0);
    }
    rsa_ifma_key_free(k);
    BN_free(be);
    BN_free(bn);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
}

/* Concurrent calls with one key: each thread checks its own results. */
struct par_job {
    const struct rsa_ifma_key *k;
    const uint8_t *s;    /* 64 values of 256 bytes */
    const uint8_t *want; /* their results */
    int bad;
};

static void *par_run(void *arg)
{
    struct par_job *j = arg;
    uint8_t out[256];
    for (int rep = 0; rep < 20; rep++) {
        for (size_t i = 0; i < 64; i++) {
            if (!rsa_ifma_public(j->k, j->s + 256 * i, 256, out) ||
                memcmp(out, j->want + 256 * i, 256) != 0) {
                j->bad++;
            }
        }
    }
    return NULL;
}

Test(rsa_ifma, concurrent_calls_with_one_key_agree)
{
    skip_without_ifma();
    struct rng g = {7};
    uint8_t n[256];
    static uint8_t s[64 * 256], want[64 * 256];
    random_modulus(&g, 2048, n);
    for (size_t i = 0; i < 64; i++) {
        random_below(&g, n, 256, s + 256 * i);
        ref_modexp(s + 256 * i, 256, 65537, n, 256, want + 256 * i, 256);
    }
    struct rsa_ifma_key *k = rsa_ifma_key_new(n, 256, 65537);
    cr_assert_not_null(k);
    pthread_t th[4];
    struct par_job jobs[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (struct par_job){.k = k, .s = s, .want = want, .bad = 0};
        cr_assert(pthread_create(&th[t], NULL, par_run, &jobs[t]) == 0);
    }
    for (int t = 0; t < 4; t++) {
        cr_assert(pthread_join(th[t], NULL) == 0);
        cr_assert_eq(jobs[t].bad, 0, "thread %d got %d wrong results", t, jobs[t].bad);
    }
    rsa_ifma_key_free(k);
}
