/* rsa_ifma: RFC 8017 §5.2.2 RSAVP1 with AVX-512 IFMA (design notes in rsa_ifma.h). */
#include "engine/verify/rsa_ifma.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <stdatomic.h>
#include <string.h>

#include "engine/core/arena.h"

/* Functions that use the IFMA intrinsics are compiled for that ISA only; the rest of the
 * build stays baseline x86-64 and reaches them only when rsa_ifma_available() said yes. */
#define IFMA_TARGET __attribute__((target("avx512f,avx512vl,avx512ifma")))
#define IFMA_INLINE static inline __attribute__((always_inline)) IFMA_TARGET

#define LIMB_BITS 52u
#define MASK52 ((UINT64_C(1) << LIMB_BITS) - 1)
#define MIN_BITS 1024u
#define MAX_BITS 4096u
/* 4096 bits need ceil((4096 + 2) / 52) = 79 limbs: 10 registers of 8. */
#define MAX_REGS 10
#define MAX_LIMBS (MAX_REGS * 8)
#define MAX_WORDS (MAX_BITS / 64)
/* 64-bit words needed to hold MAX_LIMBS limbs of 52 bits, plus one for the conversions. */
#define MAX_LIMB_WORDS ((MAX_LIMBS * LIMB_BITS) / 64 + 2)

struct rsa_ifma_key;
/* amm_fn: out = a * b / R mod n, almost reduced (see amm_body). out may alias a or b. */
typedef void (*amm_fn)(const struct rsa_ifma_key *k, uint64_t *out, const uint64_t *a,
                       const uint64_t *b);

struct rsa_ifma_key {
    /* The modulus in 52-bit limbs, least significant first, zero-padded: the multiplication
     * also loads it from limbs 1 and 2 on (n / 2^52, n / 2^104), hence the spare limbs. */
    uint64_t n[MAX_LIMBS + 8];
    uint64_t rr[MAX_LIMBS];  /* R^2 mod n, R = 2^(52 * iters), 52-bit limbs */
    uint64_t n64[MAX_WORDS]; /* modulus in 64-bit words, for the RFC 8017 range check */
    uint64_t k0;             /* -n^-1 mod 2^52 */
    uint64_t e;
    amm_fn amm;              /* the multiplication specialised for this register count */
    size_t n_bytes;
    unsigned bits;
    unsigned iters;   /* limbs in use, ceil((bits + 2) / 52); the Montgomery loop count */
    unsigned n_regs;  /* zmm registers per number, ceil(iters / 8) */
    unsigned n_words; /* 64-bit words of n, ceil(n_bytes / 8) */
};

/* ---- scalar helpers (baseline ISA) ---- */

/* be_to_words reads len big-endian bytes into n_words little-endian 64-bit words
 * (len <= 8 * n_words), zero-filling the rest. */
static void be_to_words(const uint8_t *be, size_t len, uint64_t *w, size_t n_words)
{
    memset(w, 0, n_words * sizeof(*w));
    for (size_t i = 0; i < len; i++) {
        size_t j = len - 1 - i; /* byte position from the least significant end */
        w[j / 8] |= (uint64_t)be[i] << (8 * (j % 8));
    }
}

/* words_cmp compares two numbers of n_words words: -1, 0 or 1. */
static int words_cmp(const uint64_t *a, const uint64_t *b, size_t n_words)
{
    for (size_t i = n_words; i-- > 0;) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return 0;
}

/* words_to_limbs splits n_words 64-bit words into n_limbs 52-bit limbs (the high ones zero
 * when the number is shorter). */
static void words_to_limbs(const uint64_t *w, size_t n_words, uint64_t *limbs, size_t n_limbs)
{
    for (size_t j = 0; j < n_limbs; j++) {
        size_t bit = j * LIMB_BITS, wi = bit / 64;
        unsigned off = (unsigned)(bit % 64);
        uint64_t v = 0;
        if (wi < n_words) {
            v = w[wi] >> off;
            if (off > 64 - LIMB_BITS && wi + 1 < n_words) {
                v |= w[wi + 1] << (64 - off);
            }
        }
        limbs[j] = v & MASK52;
    }
}

/* limbs_to_be writes the first n_limbs normalised limbs as out_len big-endian bytes; the
 * number must fit in out_len bytes. */
static void limbs_to_be(const uint64_t *limbs, size_t n_limbs, uint8_t *out, size_t out_len)
{
    uint64_t w[MAX_LIMB_WORDS];
    memset(w, 0, sizeof(w));
    for (size_t j = 0; j < n_limbs; j++) {
        size_t bit = j * LIMB_BITS, wi = bit / 64;
        unsigned off = (unsigned)(bit % 64);
        w[wi] |= limbs[j] << off;
        if (off > 64 - LIMB_BITS) {
            w[wi + 1] |= limbs[j] >> (64 - off);
        }
    }
    for (size_t i = 0; i < out_len; i++) {
        size_t j = out_len - 1 - i;
        out[i] = (uint8_t)(w[j / 8] >> (8 * (j % 8)));
    }
}

/* limbs_reduce_once subtracts n from the normalised a (n_limbs limbs) when a >= n. */
static void limbs_reduce_once(uint64_t *a, const uint64_t *n, size_t n_limbs)
{
    for (size_t i = n_limbs; i-- > 0;) {
        if (a[i] != n[i]) {
            if (a[i] < n[i]) {
                return;
            }
            break;
        }
    }
    uint64_t borrow = 0;
    for (size_t i = 0; i < n_limbs; i++) {
        uint64_t d = a[i] - n[i] - borrow; /* limbs < 2^52: a wrap sets bit 63 */
        borrow = d >> 63;
        a[i] = d & MASK52;
    }
}

/* neg_inv52 returns -n^-1 mod 2^52 for odd n (Newton's iteration doubles the correct bits:
 * n is its own inverse mod 8, so five steps give 96 >= 64 bits). */
static uint64_t neg_inv52(uint64_t n)
{
    uint64_t x = n;
    for (int i = 0; i < 5; i++) {
        x *= 2 - n * x;
    }
    return (0 - x) & MASK52;
}

/* ---- the vector Montgomery multiplication ---- */

/* normalise carries each 64-bit lane down to 52 bits, into the next lane. The value must fit
 * in the nr registers. The first pass moves each lane's bits above 52 up one lane; lanes are
 * then at most 2^52 - 1 + 2^12, so what is left is a carry of 0 or 1 that may ripple through
 * lanes equal to 2^52 - 1. Those ripples are found with one integer addition over the lane
 * masks (g: lane > 2^52 - 1 generates a carry, p: lane == 2^52 - 1 propagates one): the lanes
 * that receive a carry are ((g << 1) + p) ^ p. */
IFMA_INLINE void normalise(__m512i *acc, const int nr)
{
    const __m512i mask = _mm512_set1_epi64((long long)MASK52);
    const __m512i zero = _mm512_setzero_si512();
    __m512i c[MAX_REGS];
    _Pragma("GCC unroll 16")
    for (int r = 0; r < nr; r++) {
        c[r] = _mm512_srli_epi64(acc[r], LIMB_BITS);
        acc[r] = _mm512_and_si512(acc[r], mask);
    }
    acc[0] = _mm512_add_epi64(acc[0], _mm512_alignr_epi64(c[0], zero, 7));
    _Pragma("GCC unroll 16")
    for (int r = 1; r < nr; r++) {
        acc[r] = _mm512_add_epi64(acc[r], _mm512_alignr_epi64(c[r], c[r - 1], 7));
    }
    unsigned __int128 g = 0, p = 0;
    _Pragma("GCC unroll 16")
    for (int r = 0; r < nr; r++) {
        g |= (unsigned __int128)_mm512_cmpgt_epu64_mask(acc[r], mask) << (8 * r);
        p |= (unsigned __int128)_mm512_cmpeq_epu64_mask(acc[r], mask) << (8 * r);
    }
    if (g == 0) {
        return; /* the usual case: nothing left to carry */
    }
    unsigned __int128 cin = ((g << 1) + p) ^ p;
    const __m512i one = _mm512_set1_epi64(1);
    _Pragma("GCC unroll 16")
    for (int r = 0; r < nr; r++) {
        __mmask8 m = (__mmask8)(cin >> (8 * r));
        acc[r] = _mm512_and_si512(_mm512_mask_add_epi64(acc[r], m, acc[r], one), mask);
    }
}

/* amm_body: out = a * b * 2^(-52 * iters) mod n, "almost" reduced: for a, b < 2n and
 * 4n <= R it is < 2n (the sum a*b + m*n < 4n^2 + R*n is divided by R). a, b and n are
 * normalised 52-bit limbs, zero above iters; n is readable up to lane 8 * nr + 1.
 *
 * CIOS step i: T <- (T + a*b[i] + n*y[i]) / 2^52 with y[i] = T[0] * (-n^-1) mod 2^52.
 * Two changes from the textbook loop keep the 4-cycle IFMA latency off the critical path:
 *  - The terms of n*y[i] go into the vector accumulator v one step late (with n shifted down
 *    one more limb): v = T minus those terms minus the scalar carry out of limb 0. The limb-0
 *    value y[i+1] needs is rebuilt in scalar code from lane 0 of v, the two pending terms that
 *    land there (lo(n1*y) and hi(n0*y)), lo(a0*b[i+1]) and the carry. The vector side only
 *    has to catch up two steps later.
 *  - The products are made from a and n already shifted down one limb (lo halves) and added
 *    to the shifted accumulator, so the loop-carried chain on v is one lane shift and one
 *    addition; the four multiplications of a step form a chain that no later step waits on.
 * Lanes are not carried inside the loop: each lane receives at most four values below 2^52
 * per step, and 79 steps * 2^54 < 2^61. The result is normalised once at the end. */
IFMA_INLINE void amm_body(uint64_t *out, const uint64_t *a, const uint64_t *b,
                          const uint64_t *n, uint64_t k0, unsigned iters, const int nr)
{
    const __m512i zero = _mm512_setzero_si512();
    __m512i va[MAX_REGS], vad[MAX_REGS], v[MAX_REGS];
    _Pragma("GCC unroll 16")
    for (int r = 0; r < nr; r++) {
        va[r] = _mm512_loadu_si512((const void *)(a + 8 * r));
        v[r] = zero;
    }
    _Pragma("GCC unroll 16")
    for (int r = 0; r < nr; r++) {
        vad[r] = _mm512_alignr_epi64(r + 1 < nr ? va[r + 1] : zero, va[r], 1); /* a / 2^52 */
    }
    const uint64_t a0 = a[0], n0 = n[0], n1 = n[1];
    uint64_t carry = 0, yp = 0; /* yp: y of the previous step, not yet in v */
    for (unsigned i = 0; i < iters; i++) {
        const uint64_t bi = b[i];
        const __m512i vb = _mm512_set1_epi64((long long)bi);
        const __m512i vyp = _mm512_set1_epi64((long long)yp);
        uint64_t t0 = (uint64_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(v[0])) +
                      ((a0 * bi) & MASK52) + ((n1 * yp) & MASK52) +
                      (uint64_t)(((unsigned __int128)n0 * yp) >> LIMB_BITS) + carry;
        uint64_t y = (t0 * k0) & MASK52;
        carry = (t0 + ((n0 * y) & MASK52)) >> LIMB_BITS; /* t0 + lo(n0*y) = 0 mod 2^52 */
        _Pragma("GCC unroll 16")
        for (int r = 0; r < nr; r++) {
            __m512i p = _mm512_madd52lo_epu64(zero, vad[r], vb);
            p = _mm512_madd52hi_epu64(p, va[r], vb);
            p = _mm512_madd52lo_epu64(p, _mm512_loadu_si512(n + 2 + 8 * r), vyp);
            p = _mm512_madd52hi_epu64(p, _mm512_loadu_si512(n + 1 + 8 * r), vyp);
            __m512i sh = _mm512_alignr_epi64(r + 1 < nr ? v[r + 1] : zero, v[r], 1);
            v[r] = _mm512_add_epi64(sh, p);
        }
        yp = y;
    }
    /* The last step's n*y terms and carry, in the final frame. */
    const __m512i vy = _mm512_set1_epi64((long long)yp);
    _Pragma("GCC unroll 16")
    for (int r = 0; r < nr; r++) {
        v[r] = _mm512_madd52lo_epu64(v[r], _mm512_loadu_si512(n + 1 + 8 * r), vy);
        v[r] = _mm512_madd52hi_epu64(v[r], _mm512_loadu_si512(n + 8 * r), vy);
    }
    v[0] = _mm512_mask_add_epi64(v[0], 1, v[0], _mm512_set1_epi64((long long)carry));
    normalise(v, nr);
    _Pragma("GCC unroll 16")
    for (int r = 0; r < nr; r++) {
        _mm512_storeu_si512((void *)(out + 8 * r), v[r]);
    }
}

/* amm_NR: amm_body specialised for NR registers per number (the loops unroll fully). */
#define DEFINE_AMM(NR)                                                                         \
    static IFMA_TARGET void amm_##NR(const struct rsa_ifma_key *k, uint64_t *out,              \
                                     const uint64_t *a, const uint64_t *b)                     \
    {                                                                                          \
        amm_body(out, a, b, k->n, k->k0, k->iters, NR);                                        \
    }
DEFINE_AMM(3)
DEFINE_AMM(4)
DEFINE_AMM(5)
DEFINE_AMM(6)
DEFINE_AMM(7)
DEFINE_AMM(8)
DEFINE_AMM(9)
DEFINE_AMM(10)

static const amm_fn amm_by_regs[MAX_REGS + 1] = {
    [3] = amm_3, [4] = amm_4, [5] = amm_5, [6] = amm_6,
    [7] = amm_7, [8] = amm_8, [9] = amm_9, [10] = amm_10,
};

/* ---- API ---- */

bool rsa_ifma_available(void)
{
    /* 0: not asked yet, 1: no, 2: yes. Every thread computes the same answer, so a race
     * only repeats the query. */
    static _Atomic int cached;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v == 0) {
        __builtin_cpu_init();
        bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                  __builtin_cpu_supports("avx512ifma");
        v = ok ? 2 : 1;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v == 2;
}

/* limbs_double_mod sets x = 2x mod n for x < 2n (normalised limbs); 4n <= 2^(52 n_limbs). */
static void limbs_double_mod(uint64_t *x, const uint64_t *n, size_t n_limbs)
{
    limbs_reduce_once(x, n, n_limbs);
    uint64_t c = 0;
    for (size_t i = 0; i < n_limbs; i++) {
        uint64_t v = (x[i] << 1) | c;
        c = v >> LIMB_BITS;
        x[i] = v & MASK52;
    }
    limbs_reduce_once(x, n, n_limbs);
}

/* compute_rr sets k->rr = R^2 mod n, R = 2^(52 * iters), i.e. R * 2^u mod n for
 * u = 52 * iters. Doubling 2^(bits-1) < n modulo n gives R * 2 mod n; then, for each lower
 * bit of u, a Montgomery squaring turns R * 2^v into R * 2^(2v) and a doubling adds the bit:
 * about log2(u) multiplications instead of u doublings. */
static void compute_rr(struct rsa_ifma_key *k)
{
    unsigned total = LIMB_BITS * k->iters;
    int top = 31 - __builtin_clz(total);
    uint64_t x[MAX_WORDS];
    size_t nw = k->n_words;
    memset(x, 0, sizeof(x));
    x[(k->bits - 1) / 64] = UINT64_C(1) << ((k->bits - 1) % 64);
    for (unsigned d = 0; d < total + 1 - (k->bits - 1); d++) {
        uint64_t carry_out = x[nw - 1] >> 63;
        for (size_t i = nw - 1; i > 0; i--) {
            x[i] = (x[i] << 1) | (x[i - 1] >> 63);
        }
        x[0] <<= 1;
        if (carry_out != 0 || words_cmp(x, k->n64, nw) >= 0) {
            uint64_t borrow = 0; /* x < 2n: the wrap past 2^(64 nw) cancels carry_out */
            for (size_t i = 0; i < nw; i++) {
                uint64_t s = x[i] - k->n64[i];
                uint64_t b1 = x[i] < k->n64[i];
                x[i] = s - borrow;
                borrow = b1 | (s < borrow);
            }
        }
    }
    words_to_limbs(x, nw, k->rr, (size_t)k->n_regs * 8);
    for (int bit = top - 1; bit >= 0; bit--) {
        k->amm(k, k->rr, k->rr, k->rr);
        if ((total >> bit) & 1) {
            limbs_double_mod(k->rr, k->n, k->iters);
        }
    }
    limbs_reduce_once(k->rr, k->n, k->iters);
}

struct rsa_ifma_key *rsa_ifma_key_new(const uint8_t *n_be, size_t n_len, uint64_t e)
{
    if (!rsa_ifma_available() || e < 3 || e % 2 == 0) {
        return NULL;
    }
    while (n_len > 0 && n_be[0] == 0) {
        n_be++;
        n_len--;
    }
    if (n_len * 8 < MIN_BITS || n_len * 8 > MAX_BITS + 7 || n_be[n_len - 1] % 2 == 0) {
        return NULL;
    }
    unsigned bits = (unsigned)n_len * 8 - (unsigned)__builtin_clz(n_be[0]) + 24;
    if (bits < MIN_BITS || bits > MAX_BITS) {
        return NULL;
    }
    struct rsa_ifma_key *k = xcalloc(1, sizeof(*k));
    k->e = e;
    k->bits = bits;
    k->n_bytes = n_len;
    k->n_words = (unsigned)((n_len + 7) / 8);
    k->iters = (bits + 2 + LIMB_BITS - 1) / LIMB_BITS;
    k->n_regs = (k->iters + 7) / 8;
    k->amm = amm_by_regs[k->n_regs];
    be_to_words(n_be, n_len, k->n64, k->n_words);
    words_to_limbs(k->n64, k->n_words, k->n, MAX_LIMBS);
    k->k0 = neg_inv52(k->n64[0]);
    compute_rr(k);
    return k;
}

void rsa_ifma_key_free(struct rsa_ifma_key *k)
{
    xfree(k);
}

size_t rsa_ifma_key_bytes(const struct rsa_ifma_key *k)
{
    return k->n_bytes;
}

unsigned rsa_ifma_key_bits(const struct rsa_ifma_key *k)
{
    return k->bits;
}

bool rsa_ifma_public(const struct rsa_ifma_key *k, const uint8_t *s, size_t s_len, uint8_t *out)
{
    /* RFC 8017 §5.2.2 step 1: the signature representative must lie in [0, n - 1]. */
    if (s_len > k->n_bytes) {
        return false;
    }
    uint64_t sw[MAX_WORDS];
    be_to_words(s, s_len, sw, k->n_words);
    if (words_cmp(sw, k->n64, k->n_words) >= 0) {
        return false;
    }
    /* Step 2: m = s^e mod n, left-to-right square-and-multiply in Montgomery form. */
    uint64_t base[MAX_LIMBS], x[MAX_LIMBS], one[MAX_LIMBS];
    size_t n_limbs = (size_t)k->n_regs * 8;
    words_to_limbs(sw, k->n_words, x, n_limbs);
    k->amm(k, base, x, k->rr); /* s * R mod n (< 2n) */
    memcpy(x, base, n_limbs * sizeof(*x));
    for (int bit = 62 - __builtin_clzll(k->e); bit >= 0; bit--) {
        k->amm(k, x, x, x);
        if ((k->e >> bit) & 1) {
            k->amm(k, x, x, base);
        }
    }
    /* Leave Montgomery form: x * 1 / R is <= n (equal only when s^e = 0 mod n), so one
     * conditional subtraction gives the canonical value. */
    memset(one, 0, n_limbs * sizeof(*one));
    one[0] = 1;
    k->amm(k, x, x, one);
    limbs_reduce_once(x, k->n, k->iters);
    limbs_to_be(x, k->iters, out, k->n_bytes);
    return true;
}

#else /* !__x86_64__: no IFMA; callers take their generic path. */

bool rsa_ifma_available(void)
{
    return false;
}

struct rsa_ifma_key *rsa_ifma_key_new(const uint8_t *n_be, size_t n_len, uint64_t e)
{
    (void)n_be;
    (void)n_len;
    (void)e;
    return NULL;
}

void rsa_ifma_key_free(struct rsa_ifma_key *k)
{
    (void)k;
}

size_t rsa_ifma_key_bytes(const struct rsa_ifma_key *k)
{
    (void)k;
    return 0;
}

unsigned rsa_ifma_key_bits(const struct rsa_ifma_key *k)
{
    (void)k;
    return 0;
}

bool rsa_ifma_public(const struct rsa_ifma_key *k, const uint8_t *s, size_t s_len, uint8_t *out)
{
    (void)k;
    (void)s;
    (void)s_len;
    (void)out;
    return false;
}

#endif
