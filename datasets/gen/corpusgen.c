/* corpusgen: a deterministic synthetic mail corpus with ground truth, for authsweep's
 * throughput bench and its end-to-end corpus test. See datasets/gen/README.md for the mix.
 *
 * Independence: this program shares no code with the engine. Its canonicalization (RFC 6376
 * §3.4), header selection (§5.4.2) and the expected verdicts are written again here, so a bug
 * in the engine shows up as a mismatch against the ground truth instead of being copied
 * into it. The truth for each signature is computed from the final bytes (after tampering):
 * the body hash from the final body (its canonical form and hash are reused only while the
 * body bytes are unchanged, see struct gen), and the header digest is recomputed and
 * compared with the digest that was signed.
 *
 * Determinism: every message draws from its own PRNG stream (splitmix64 of seed and index,
 * feeding xoshiro256**), and RSA keys are built from PRNG-chosen primes, so the output is a
 * function of (N, seed, options) only, whatever the thread count.
 *
 * Speed: generator threads make chunks of messages in parallel and the main thread writes
 * them in order (see "driver"); RSA signatures use a CRT over the key's primes without
 * blinding, and RSA-4096 keys have four primes (see "keys"). RSA-2048 signing is still
 * about half of the CPU time.
 *
 * Output (in --out DIR): corpus.mbox (mboxrd), Maildir/cur/ (one file per message),
 * keys.zone (DKIM keys, SPF, DMARC, MX, ;! directives), truth.tsv, and meta.json. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* CORPUSGEN_VERSION: bumped whenever the bytes written for a given (N, seed, options) change;
 * meta.json records it and bench/bench.py regenerates a cached corpus of another version.
 * 1: the first. 2: RSA-4096 keys with four primes (so other RSA-4096 keys and signatures),
 * ordered writer (the bytes of everything else are those of version 1). */
#define CORPUSGEN_VERSION 2
/* CORPUSGEN_KEYS_VERSION: in the key cache's name (--key-cache DIR), so that versions with
 * different keys for the same seed do not share a cache. */
#define CORPUSGEN_KEYS_VERSION 2

/* ---------- small utilities ---------- */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("corpusgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        die("out of memory");
    }
    return p;
}

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) {
        return;
    }
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + extra + 1) {
        nc *= 2;
    }
    char *np = realloc(b->p, nc);
    if (np == NULL) {
        die("out of memory");
    }
    b->p = np;
    b->cap = nc;
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_addc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

/* buf_addf: formats straight into the spare room, and again after growing only if it
 * did not fit (one vsnprintf in the usual case). */
__attribute__((format(printf, 2, 3))) static void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    buf_reserve(b, 256);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->p + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        die("internal: vsnprintf");
    }
    if ((size_t)n >= room) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

/* ---------- PRNG: splitmix64 seeding xoshiro256** ---------- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull) ^ (index * 0xA0761D6478BD642Full);
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&x);
    }
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* rng_below: uniform in [0, n) (n > 0); the tiny modulo bias is irrelevant here. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static bool rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

static double rng_normal(struct rng *r)
{
    double u1 = rng_unit(r), u2 = rng_unit(r);
    if (u1 < 1e-300) {
        u1 = 1e-300;
    }
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void rng_bytes(struct rng *r, uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t v = rng_next(r);
        memcpy(p, &v, 8);
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = rng_next(r);
        memcpy(p, &v, n);
    }
}

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
    return list[rng_below(r, n)];
}
#define PICK(r, arr) pick((r), (arr), sizeof(arr) / sizeof((arr)[0]))

/* ---------- base64 ---------- */

static const char b64tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* b64_raw: base64 of n bytes (padded) at dst; returns the characters written (no NUL). */
static size_t b64_raw(char *dst, const uint8_t *p, size_t n)
{
    char *o = dst;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        o[0] = b64tab[v >> 18];
        o[1] = b64tab[(v >> 12) & 63];
        o[2] = b64tab[(v >> 6) & 63];
        o[3] = b64tab[v & 63];
        o += 4;
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        o[0] = b64tab[v >> 18];
        o[1] = b64tab[(v >> 12) & 63];
        o[2] = i + 1 < n ? b64tab[(v >> 6) & 63] : '=';
        o[3] = '=';
        o += 4;
    }
    return (size_t)(o - dst);
}

/* b64_append: base64 of n bytes, with nl between lines of line_len characters (a multiple
 * of 4; 0: one line). */
static void b64_append(struct buf *b, const uint8_t *p, size_t n, size_t line_len,
                       const char *nl)
{
    size_t nll = nl ? strlen(nl) : 0;
    size_t chars = (n + 2) / 3 * 4;
    size_t per_line = line_len ? line_len / 4 * 3 : n; /* input bytes per line */
    if (per_line == 0) {
        die("internal: base64 line length");
    }
    buf_reserve(b, chars + (line_len ? (chars / line_len + 1) * nll : 0));
    for (size_t i = 0; i < n; i += per_line) {
        if (i) {
            memcpy(b->p + b->len, nl, nll);
            b->len += nll;
        }
        b->len += b64_raw(b->p + b->len, p + i, n - i < per_line ? n - i : per_line);
    }
    b->p[b->len] = 0;
}

/* ---------- canonicalization (RFC 6376 §3.4), independent of the engine ---------- */

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* canon_body: body is stored with LF line ends; the wire form has CRLF. Appends the
 * canonical body to out. Simple (§3.4.3): trailing empty lines removed, an empty body is
 * CRLF. Relaxed (§3.4.4): WSP runs to one SP, WSP at line end removed, then trailing empty
 * lines removed; an empty body stays empty. */
static void canon_body(struct buf *out, bool relaxed, const char *body, size_t len)
{
    out->len = 0;
    buf_reserve(out, len + len / 16 + 8);
    size_t pending = 0;
    size_t i = 0;
    while (i < len) {
        const char *nlp = memchr(body + i, '\n', len - i);
        size_t e = nlp ? (size_t)(nlp - body) : len;
        const char *line = body + i;
        size_t ll = e - i;
        /* a CR before the LF is part of the line end */
        if (ll && line[ll - 1] == '\r') {
            ll--;
        }
        if (!relaxed) {
            if (ll == 0) {
                pending++;
            } else {
                buf_reserve(out, pending * 2 + ll + 2);
                for (; pending; pending--) {
                    out->p[out->len++] = '\r';
                    out->p[out->len++] = '\n';
                }
                memcpy(out->p + out->len, line, ll);
                out->len += ll;
                out->p[out->len++] = '\r';
                out->p[out->len++] = '\n';
            }
        } else {
            /* strip trailing WSP first */
            while (ll && is_wsp(line[ll - 1])) {
                ll--;
            }
            if (ll == 0) {
                pending++;
            } else {
                buf_reserve(out, pending * 2 + ll + 2);
                for (; pending; pending--) {
                    out->p[out->len++] = '\r';
                    out->p[out->len++] = '\n';
                }
                /* each WSP run becomes one SP; the line ends in a non-WSP byte, so a run
                 * always stops inside it */
                char *o = out->p + out->len;
                const char *p = line, *pe = line + ll;
                while (p < pe) {
                    char c = *p++;
                    if (is_wsp(c)) {
                        while (is_wsp(*p)) {
                            p++;
                        }
                        c = ' ';
                    }
                    *o++ = c;
                }
                *o++ = '\r';
                *o++ = '\n';
                out->len = (size_t)(o - out->p);
            }
        }
        i = nlp ? e + 1 : len;
    }
    if (!relaxed && out->len == 0) {
        buf_add(out, "\r\n", 2);
    }
}

/* canon_header: one field (raw, LF folds, no final line end) to out. */
static void canon_header(struct buf *out, bool relaxed, const char *raw, size_t len, bool crlf)
{
    if (!relaxed) {
        for (size_t i = 0; i < len; i++) {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) {
                buf_addc(out, '\r');
            }
            buf_addc(out, raw[i]);
        }
    } else {
        const char *colon = memchr(raw, ':', len);
        if (colon == NULL) {
            die("internal: header without colon");
        }
        size_t nl = (size_t)(colon - raw);
        while (nl && is_wsp(raw[nl - 1])) {
            nl--;
        }
        for (size_t i = 0; i < nl; i++) {
            char c = raw[i];
            buf_addc(out, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c);
        }
        buf_addc(out, ':');
        bool in_wsp = false, any = false;
        for (size_t i = (size_t)(colon - raw) + 1; i < len; i++) {
            char c = raw[i];
            if (c == '\r' || c == '\n') {
                continue; /* unfold */
            }
            if (is_wsp(c)) {
                in_wsp = true;
                continue;
            }
            if (in_wsp && any) {
                buf_addc(out, ' ');
            }
            in_wsp = false;
            any = true;
            buf_addc(out, c);
        }
    }
    if (crlf) {
        buf_add(out, "\r\n", 2);
    }
}

/* ---------- keys ---------- */

enum ktype { K_RSA = 0, K_ED25519 = 1 };

/* RSA private keys are used through our own CRT (rsa_crt_sign), not EVP_PKEY_sign: OpenSSL
 * re-creates the key's blinding every 32 signatures and blinds each one (a modular inverse
 * and two multiplications, about 20% of an RSA-2048 signature here), and it needs a fresh
 * EVP_PKEY_CTX (a provider fetch) per signature. The keys are synthetic, so there is no
 * secret to protect from timing. RSASSA-PKCS1-v1_5 is deterministic (m^d mod n is the same
 * whatever the number of primes or the CRT), so the signatures are exactly OpenSSL's; every
 * key is checked once against EVP_PKEY_verify before use (rsa_crt_init). */
#define RSA_MAX_PRIMES 4

/* struct rsa_crt: derived once per key from its primes, then read-only: every generator
 * thread shares it (BN_mod_exp_mont_consttime* only read the Montgomery contexts). */
struct rsa_crt {
    int n_primes;
    size_t n_bytes;               /* modulus size, the signature length */
    BIGNUM *p[RSA_MAX_PRIMES];    /* the primes */
    BIGNUM *d[RSA_MAX_PRIMES];    /* e^-1 mod (p_i - 1) */
    BIGNUM *prod[RSA_MAX_PRIMES]; /* p_0 ... p_{i-1} (i >= 1), for Garner's recombination */
    BIGNUM *inv[RSA_MAX_PRIMES];  /* prod[i]^-1 mod p_i (i >= 1) */
    BN_MONT_CTX *mont[RSA_MAX_PRIMES];
};

struct key {
    char sel[40];
    enum ktype type;
    int bits;     /* 256 for ed25519 (what the engine's EVP_PKEY_get_bits reports) */
    bool testing; /* t=y */
    EVP_PKEY *pk;
    char *pub_b64;
    struct rsa_crt crt; /* K_RSA: the signing form of pk */
};

/* rsa_primes_for: the number of primes of a generated RSA key. RSA-4096 keys have four
 * 1024-bit primes (RFC 8017 §3.2 multi-prime; OpenSSL generates up to 4 for 4096 bits):
 * a signature is then two paired 1024-bit exponentiations instead of two 2048-bit ones, 8x
 * cheaper, and RSA-4096 signing no longer costs as much as all the RSA-2048 signing of the
 * corpus. A verifier sees only n and e, so the keys are RSA-4096 keys like any other. The
 * 1024- and 2048-bit keys keep two primes. */
static int rsa_primes_for(int bits)
{
    return bits >= 4096 ? 4 : 2;
}

/* gen_prime: the first prime p >= a PRNG-chosen odd start (top bits `top` set) with
 * gcd(p - 1, e) = 1. */
static BIGNUM *gen_prime(struct rng *r, int bits, uint8_t top, const BIGNUM *e, BN_CTX *ctx)
{
    size_t nb = (size_t)bits / 8;
    uint8_t *raw = xmalloc(nb);
    rng_bytes(r, raw, nb);
    raw[0] |= top;
    raw[nb - 1] |= 1;
    BIGNUM *p = BN_bin2bn(raw, (int)nb, NULL);
    free(raw);
    BIGNUM *pm1 = BN_new(), *g = BN_new();
    for (;;) {
        if (BN_check_prime(p, ctx, NULL) == 1) {
            BN_copy(pm1, p);
            BN_sub_word(pm1, 1);
            BN_gcd(g, pm1, e, ctx);
            if (BN_is_one(g)) {
                break;
            }
        }
        BN_add_word(p, 2);
    }
    BN_free(pm1);
    BN_free(g);
    return p;
}

static void bld_push(OSSL_PARAM_BLD *bld, const char *name, const BIGNUM *v)
{
    if (OSSL_PARAM_BLD_push_BN(bld, name, v) != 1) {
        die("internal: OSSL_PARAM_BLD_push_BN %s", name);
    }
}

static const char *const rsa_factor_names[RSA_MAX_PRIMES] = {
    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_FACTOR3,
    OSSL_PKEY_PARAM_RSA_FACTOR4
};
static const char *const rsa_exponent_names[RSA_MAX_PRIMES] = {
    OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
    OSSL_PKEY_PARAM_RSA_EXPONENT3, OSSL_PKEY_PARAM_RSA_EXPONENT4
};
static const char *const rsa_coefficient_names[RSA_MAX_PRIMES - 1] = {
    OSSL_PKEY_PARAM_RSA_COEFFICIENT1, OSSL_PKEY_PARAM_RSA_COEFFICIENT2,
    OSSL_PKEY_PARAM_RSA_COEFFICIENT3
};

/* rsa_from_rng: a deterministic RSA key (e = 65537) from n_primes primes chosen by the PRNG,
 * in OpenSSL's form: factor1 > factor2 > ..., coefficient1 = factor2^-1 mod factor1, and
 * coefficient(i-1) = (factor1 ... factor(i-1))^-1 mod factor(i) for the others. With two
 * primes the draws are those of corpusgen 1 (the same keys). */
static EVP_PKEY *rsa_from_rng(struct rng *r, int bits, int n_primes)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *e = BN_new();
    BN_set_word(e, 65537);
    /* top bits: the product has exactly `bits` bits (2 primes: 0.75^2 >= 1/2; 4 primes:
     * 0.875^4 >= 1/2) */
    uint8_t top = n_primes == 2 ? 0xC0 : 0xE0;
    BIGNUM *p[RSA_MAX_PRIMES] = { 0 };
    for (int i = 0; i < n_primes; i++) {
        bool dup;
        do {
            p[i] = gen_prime(r, bits / n_primes, top, e, ctx);
            dup = false;
            for (int k = 0; k < i; k++) {
                dup |= BN_cmp(p[i], p[k]) == 0;
            }
            if (dup) {
                BN_free(p[i]);
            }
        } while (dup);
    }
    for (int i = 1; i < n_primes; i++) { /* descending */
        for (int k = i; k > 0 && BN_cmp(p[k - 1], p[k]) < 0; k--) {
            BIGNUM *t = p[k];
            p[k] = p[k - 1];
            p[k - 1] = t;
        }
    }
    BIGNUM *n = BN_new(), *d = BN_new(), *phi = BN_new(), *pm1 = BN_new(), *prod = BN_new();
    BN_one(n);
    BN_one(phi);
    for (int i = 0; i < n_primes; i++) {
        BN_mul(n, n, p[i], ctx);
        BN_sub(pm1, p[i], BN_value_one());
        BN_mul(phi, phi, pm1, ctx);
    }
    if (BN_num_bits(n) != bits || BN_mod_inverse(d, e, phi, ctx) == NULL) {
        die("internal: RSA key construction");
    }
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bld_push(bld, OSSL_PKEY_PARAM_RSA_N, n);
    bld_push(bld, OSSL_PKEY_PARAM_RSA_E, e);
    bld_push(bld, OSSL_PKEY_PARAM_RSA_D, d);
    BIGNUM *keep[3 * RSA_MAX_PRIMES] = { 0 }; /* the builder references, not copies */
    int n_keep = 0;
    for (int i = 0; i < n_primes; i++) {
        bld_push(bld, rsa_factor_names[i], p[i]);
        BIGNUM *di = keep[n_keep++] = BN_new();
        BN_sub(pm1, p[i], BN_value_one());
        BN_mod(di, d, pm1, ctx);
        bld_push(bld, rsa_exponent_names[i], di);
    }
    BN_copy(prod, p[0]);
    for (int i = 1; i < n_primes; i++) {
        BIGNUM *ci = keep[n_keep++] = BN_new();
        /* two primes: q^-1 mod p, i.e. p[1]^-1 mod p[0]; more: prod^-1 mod p[i] */
        if (BN_mod_inverse(ci, i == 1 ? p[1] : prod, i == 1 ? p[0] : p[i], ctx) == NULL) {
            die("internal: RSA coefficient");
        }
        bld_push(bld, rsa_coefficient_names[i - 1], ci);
        BN_mul(prod, prod, p[i], ctx);
    }
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    if (params == NULL || pc == NULL || EVP_PKEY_fromdata_init(pc) <= 0 ||
        EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_KEYPAIR, params) <= 0) {
        die("internal: EVP_PKEY_fromdata RSA");
    }
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    for (int i = 0; i < n_keep; i++) {
        BN_free(keep[i]);
    }
    for (int i = 0; i < n_primes; i++) {
        BN_free(p[i]);
    }
    BN_free(e);
    BN_free(n);
    BN_free(d);
    BN_free(phi);
    BN_free(pm1);
    BN_free(prod);
    BN_CTX_free(ctx);
    return pk;
}

/* rsa_n_primes: how many primes an RSA EVP_PKEY carries (0 if it has no private factors). */
static int rsa_n_primes(const EVP_PKEY *pk)
{
    int n = 0;
    for (; n < RSA_MAX_PRIMES; n++) {
        BIGNUM *b = NULL;
        if (EVP_PKEY_get_bn_param(pk, rsa_factor_names[n], &b) != 1 || b == NULL) {
            break;
        }
        BN_free(b);
    }
    return n;
}

/* EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1): the DER DigestInfo prefix for SHA-256. */
static const uint8_t sha256_digest_info[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                0x01, 0x05, 0x00, 0x04, 0x20 };

/* rsa_crt_sign: RSASSA-PKCS1-v1_5 with SHA-256 over digest dg into out (n_bytes, at most cap).
 * Each prime's exponentiation, two 1024-bit ones paired (OpenSSL's AVX-512 IFMA path when the
 * CPU has it), then Garner's recombination. ctx is the calling thread's. */
static size_t rsa_crt_sign(const struct rsa_crt *k, BN_CTX *ctx, const uint8_t dg[32],
                           uint8_t *out, size_t cap)
{
    uint8_t em[1024];
    size_t nb = k->n_bytes;
    if (nb > sizeof em || nb > cap || nb < 3 + 8 + sizeof sha256_digest_info + 32) {
        die("internal: RSA size %zu", nb);
    }
    size_t ps = nb - 3 - sizeof sha256_digest_info - 32;
    em[0] = 0;
    em[1] = 1;
    memset(em + 2, 0xff, ps);
    em[2 + ps] = 0;
    memcpy(em + 3 + ps, sha256_digest_info, sizeof sha256_digest_info);
    memcpy(em + nb - 32, dg, 32);
    BN_CTX_start(ctx);
    BIGNUM *m = BN_CTX_get(ctx), *x = BN_CTX_get(ctx), *h = BN_CTX_get(ctx);
    BIGNUM *mi[RSA_MAX_PRIMES], *ri[RSA_MAX_PRIMES];
    for (int i = 0; i < k->n_primes; i++) {
        mi[i] = BN_CTX_get(ctx);
        ri[i] = BN_CTX_get(ctx);
    }
    bool ok = ri[k->n_primes - 1] != NULL && BN_bin2bn(em, (int)nb, m) != NULL;
    for (int i = 0; ok && i < k->n_primes; i++) {
        ok = BN_mod(mi[i], m, k->p[i], ctx) == 1;
    }
    for (int i = 0; ok && i < k->n_primes;) {
        if (i + 1 < k->n_primes && BN_num_bits(k->p[i]) == 1024 &&
            BN_num_bits(k->p[i + 1]) == 1024) {
            ok = BN_mod_exp_mont_consttime_x2(ri[i], mi[i], k->d[i], k->p[i], k->mont[i],
                                              ri[i + 1], mi[i + 1], k->d[i + 1], k->p[i + 1],
                                              k->mont[i + 1], ctx) == 1;
            i += 2;
        } else {
            ok = BN_mod_exp_mont_consttime(ri[i], mi[i], k->d[i], k->p[i], ctx, k->mont[i]) == 1;
            i++;
        }
    }
    /* Garner: x = r_0; x += prod_i * ((r_i - x) * inv_i mod p_i) */
    ok = ok && BN_copy(x, ri[0]) != NULL;
    for (int i = 1; ok && i < k->n_primes; i++) {
        ok = BN_mod_sub(h, ri[i], x, k->p[i], ctx) == 1 &&
             BN_mod_mul(h, h, k->inv[i], k->p[i], ctx) == 1 && BN_mul(h, h, k->prod[i], ctx) == 1 &&
             BN_add(x, x, h) == 1;
    }
    ok = ok && BN_bn2binpad(x, out, (int)nb) == (int)nb;
    BN_CTX_end(ctx);
    if (!ok) {
        die("internal: RSA sign");
    }
    return nb;
}

/* rsa_crt_init: the signing form of an RSA key (its primes from the EVP_PKEY), checked by
 * signing a test digest and verifying it with OpenSSL. */
static void rsa_crt_init(struct rsa_crt *k, EVP_PKEY *pk)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *e = NULL, *pm1 = BN_new();
    memset(k, 0, sizeof *k);
    k->n_primes = rsa_n_primes(pk);
    k->n_bytes = (size_t)EVP_PKEY_get_size(pk);
    if (ctx == NULL || pm1 == NULL || k->n_primes < 2 ||
        EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
        die("internal: RSA key without its factors");
    }
    for (int i = 0; i < k->n_primes; i++) {
        k->d[i] = BN_new();
        k->mont[i] = BN_MONT_CTX_new();
        if (EVP_PKEY_get_bn_param(pk, rsa_factor_names[i], &k->p[i]) != 1 || k->d[i] == NULL ||
            BN_sub(pm1, k->p[i], BN_value_one()) != 1 ||
            BN_mod_inverse(k->d[i], e, pm1, ctx) == NULL || k->mont[i] == NULL ||
            BN_MONT_CTX_set(k->mont[i], k->p[i], ctx) != 1) {
            die("internal: RSA CRT parameters");
        }
        if (i == 0) {
            continue;
        }
        k->prod[i] = BN_new();
        k->inv[i] = BN_new();
        if (k->prod[i] == NULL || k->inv[i] == NULL ||
            (i == 1 ? BN_copy(k->prod[i], k->p[0]) == NULL
                    : BN_mul(k->prod[i], k->prod[i - 1], k->p[i - 1], ctx) != 1) ||
            BN_mod_inverse(k->inv[i], k->prod[i], k->p[i], ctx) == NULL) {
            die("internal: RSA CRT coefficients");
        }
    }
    uint8_t dg[32], sig[1024];
    for (int i = 0; i < 32; i++) {
        dg[i] = (uint8_t)(i * 37 + 1);
    }
    size_t sl = rsa_crt_sign(k, ctx, dg, sig, sizeof sig);
    EVP_PKEY_CTX *vc = EVP_PKEY_CTX_new(pk, NULL);
    if (vc == NULL || EVP_PKEY_verify_init(vc) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(vc, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(vc, EVP_sha256()) != 1 ||
        EVP_PKEY_verify(vc, sig, sl, dg, 32) != 1) {
        die("internal: RSA CRT self-test failed (%d primes, %zu bytes)", k->n_primes, k->n_bytes);
    }
    EVP_PKEY_CTX_free(vc);
    BN_free(e);
    BN_free(pm1);
    BN_CTX_free(ctx);
}

static void rsa_crt_cleanup(struct rsa_crt *k)
{
    for (int i = 0; i < RSA_MAX_PRIMES; i++) {
        BN_free(k->p[i]);
        BN_free(k->d[i]);
        BN_free(k->prod[i]);
        BN_free(k->inv[i]);
        BN_MONT_CTX_free(k->mont[i]);
    }
    memset(k, 0, sizeof *k);
}

static void key_set_pub(struct key *k);

static void key_make(struct key *k, struct rng *r)
{
    if (k->type == K_ED25519) {
        uint8_t priv[32];
        rng_bytes(r, priv, 32);
        k->pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
        if (k->pk == NULL) {
            die("internal: ed25519 key");
        }
    } else {
        k->pk = rsa_from_rng(r, k->bits, rsa_primes_for(k->bits));
    }
    key_set_pub(k);
}

/* struct crypto: one thread's OpenSSL state (thread lifetime): SHA-256 fetched once (an
 * EVP_sha256() digest fetches the implementation again on every init), the digest and
 * Ed25519 contexts, and the BN_CTX of RSA signing. */
struct crypto {
    EVP_MD *sha256;
    EVP_MD_CTX *md, *ed;
    BN_CTX *bn;
};

static void crypto_init(struct crypto *c)
{
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->md = EVP_MD_CTX_new();
    c->ed = EVP_MD_CTX_new();
    c->bn = BN_CTX_new();
    if (c->sha256 == NULL || c->md == NULL || c->ed == NULL || c->bn == NULL) {
        die("internal: OpenSSL contexts");
    }
}

static void crypto_cleanup(struct crypto *c)
{
    EVP_MD_free(c->sha256);
    EVP_MD_CTX_free(c->md);
    EVP_MD_CTX_free(c->ed);
    BN_CTX_free(c->bn);
}

static void sha256(struct crypto *c, const void *p, size_t n, uint8_t out[32])
{
    if (EVP_DigestInit_ex2(c->md, c->sha256, NULL) != 1 || EVP_DigestUpdate(c->md, p, n) != 1 ||
        EVP_DigestFinal_ex(c->md, out, NULL) != 1) {
        die("internal: SHA-256");
    }
}

/* sign_digest: RSASSA-PKCS1-v1_5 over the SHA-256 digest, or PureEdDSA over the 32-byte
 * digest (RFC 8463 §3). Returns the signature length. */
static size_t sign_digest(struct crypto *c, const struct key *k, const uint8_t *dg, uint8_t *out,
                          size_t cap)
{
    if (k->type == K_RSA) {
        return rsa_crt_sign(&k->crt, c->bn, dg, out, cap);
    }
    size_t sl = cap;
    if (EVP_MD_CTX_reset(c->ed) != 1 || EVP_DigestSignInit(c->ed, NULL, NULL, NULL, k->pk) != 1 ||
        EVP_DigestSign(c->ed, out, &sl, dg, 32) != 1) {
        die("internal: ed25519 sign");
    }
    return sl;
}

/* ---------- the world: domains, services, recipients ---------- */

struct cidr4 {
    uint32_t net;
    int plen;
};
struct cidr6 {
    uint8_t net[16];
    int plen;
};

struct spf {
    bool present;
    char all; /* '-', '~', '?' */
    struct cidr4 v4[2];
    int n4;
    struct cidr6 v6[1];
    int n6;
    int include_esp; /* index of a service whose _spf record is included, or -1 */
};

#define MAX_SEL 3
struct domain {
    char name[64];
    size_t name_len;
    bool is_esp;
    struct key keys[MAX_SEL];
    int n_keys;
    struct spf spf;
    /* DMARC at _dmarc.<name> */
    bool has_dmarc;
    int p, sp, np; /* 0 none, 1 quarantine, 2 reject; sp/np -1: absent */
    int esp;       /* the sending service this domain uses, -1: none */
    int em_id;     /* em<id>.<name> CNAME to the service (SPF of the bounce host) */
    bool sub_exists[4];
    double weight;
};

static const char *const sub_names[4] = { "news", "mail", "info", "e" };
static const char *const pol_names[3] = { "none", "quarantine", "reject" };

struct world {
    uint64_t seed;
    int n_dom, n_esp;
    struct domain *dom; /* authors first, then services */
    double *cum;        /* cumulative author weights */
    /* per-service range for clients: esp SPF via _spf.<esp> */
};

static const char *const w1[] = { "amber", "blue", "cedar", "delta", "ember", "fern", "granite",
                                  "harbor", "iris", "juniper", "kestrel", "lumen", "maple",
                                  "north", "onyx", "pine", "quartz", "river", "silver", "tidal",
                                  "umber", "violet", "willow", "yarrow", "zephyr", "copper",
                                  "falcon", "orbit", "summit", "meadow" };
static const char *const w2[] = { "fox", "works", "labs", "media", "bank", "shop", "cloud",
                                  "health", "travel", "foods", "energy", "systems", "press",
                                  "games", "legal", "motors", "studio", "group", "logic",
                                  "market" };
static const char *const tlds[] = { "com", "com", "com", "com", "net", "org", "io", "de", "nl",
                                    "fr", "co.uk", "com.au", "org.uk", "co.jp", "se", "es" };
static const char *const espw[] = { "sendwave", "mailrelay", "postbeam", "inboxly", "dispatchr",
                                    "courierhq", "bulkpost", "notifyd", "mailforge", "sparkmta",
                                    "relayon", "outpost" };

static uint32_t public_v4_24(struct rng *r)
{
    for (;;) {
        uint32_t a = (uint32_t)rng_below(r, 223) + 1, b = (uint32_t)rng_below(r, 256),
                 c = (uint32_t)rng_below(r, 256);
        if (a == 10 || a == 127 || a == 0 || (a == 172 && b >= 16 && b < 32) ||
            (a == 192 && b == 168) || (a == 100 && b >= 64 && b < 128) ||
            (a == 169 && b == 254) || (a == 192 && b == 0) || (a == 198 && b == 18) ||
            (a == 198 && b == 51) || (a == 203 && b == 0)) {
            continue;
        }
        return (a << 24) | (b << 16) | (c << 8);
    }
}

static void public_v6_48(struct rng *r, uint8_t net[16])
{
    memset(net, 0, 16);
    net[0] = 0x2a;
    net[1] = (uint8_t)(rng_below(r, 15) + 1);
    rng_bytes(r, net + 2, 4);
}

static void fmt_v4(char *out, size_t cap, uint32_t a)
{
    snprintf(out, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void fmt_v6(char *out, size_t cap, const uint8_t a[16])
{
    /* compress the longest zero run (RFC 5952 enough for our shapes) */
    uint16_t w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (uint16_t)((a[2 * i] << 8) | a[2 * i + 1]);
    }
    int best = -1, bl = 0;
    for (int i = 0; i < 8;) {
        if (w[i] == 0) {
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bl && j - i >= 2) {
                best = i;
                bl = j - i;
            }
            i = j;
        } else {
            i++;
        }
    }
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            o += (size_t)snprintf(out + o, cap - o, "::");
            i += bl - 1;
            continue;
        }
        bool need_colon = i > 0 && !(best >= 0 && i == best + bl);
        o += (size_t)snprintf(out + o, cap - o, "%s%x", need_colon ? ":" : "", w[i]);
    }
}

static int key_bits_draw(struct rng *r, enum ktype *t)
{
    double u = rng_unit(r);
    *t = K_RSA;
    if (u < 0.78) {
        return 2048;
    }
    if (u < 0.89) {
        return 1024;
    }
    if (u < 0.92) {
        return 4096;
    }
    *t = K_ED25519;
    return 256;
}

struct keyjob {
    struct world *w;
    bool make; /* generate the keys (else they were loaded from the cache) */
    int next;
    pthread_mutex_t mu;
};

/* keygen_thread: takes domains one at a time, makes their keys if asked, and prepares the
 * RSA signing form of each (rsa_crt_init, which also checks it). */
static void *keygen_thread(void *arg)
{
    struct keyjob *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int d = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (d >= j->w->n_dom + j->w->n_esp) {
            return NULL;
        }
        struct domain *dm = &j->w->dom[d];
        for (int k = 0; k < dm->n_keys; k++) {
            if (j->make) {
                struct rng r;
                rng_init(&r, j->w->seed, 2, (uint64_t)d * 16 + (uint64_t)k);
                key_make(&dm->keys[k], &r);
            }
            if (dm->keys[k].type == K_RSA) {
                rsa_crt_init(&dm->keys[k].crt, dm->keys[k].pk);
            }
        }
    }
}

static void keys_run(struct world *w, bool make, int threads)
{
    struct keyjob j = { .w = w, .make = make, .next = 0 };
    pthread_mutex_init(&j.mu, NULL);
    pthread_t th[64];
    if (threads > 64) {
        threads = 64;
    }
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&th[t], NULL, keygen_thread, &j) != 0) {
            die("pthread_create failed");
        }
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
    }
    pthread_mutex_destroy(&j.mu);
}

static void key_set_pub(struct key *k)
{
    struct buf b = { 0 };
    if (k->type == K_ED25519) {
        uint8_t pub[32];
        size_t pl = sizeof pub;
        if (EVP_PKEY_get_raw_public_key(k->pk, pub, &pl) != 1) {
            die("internal: ed25519 public key");
        }
        b64_append(&b, pub, pl, 0, NULL);
    } else {
        uint8_t *der = NULL;
        int dl = i2d_PUBKEY(k->pk, &der);
        if (dl <= 0) {
            die("internal: i2d_PUBKEY");
        }
        b64_append(&b, der, (size_t)dl, 0, NULL);
        OPENSSL_free(der);
    }
    k->pub_b64 = b.p;
}

/* keys_load: the key cache (PEM private keys in world order) if it exists and matches the
 * plan (count, types, sizes and RSA prime counts); true when every key was loaded. */
static bool keys_load(struct world *w, const char *path)
{
    BIO *f = BIO_new_file(path, "r");
    if (f == NULL) {
        return false;
    }
    /* one decoder for every key: PEM_read_PrivateKey sets up a new one per key, which took
     * ten times as long as decoding them */
    EVP_PKEY *pk = NULL;
    OSSL_DECODER_CTX *dc = OSSL_DECODER_CTX_new_for_pkey(&pk, "PEM", NULL, NULL,
                                                         EVP_PKEY_KEYPAIR, NULL, NULL);
    if (dc == NULL) {
        die("internal: OSSL_DECODER_CTX_new_for_pkey");
    }
    bool ok = true;
    for (int i = 0; ok && i < w->n_dom + w->n_esp; i++) {
        for (int k = 0; ok && k < w->dom[i].n_keys; k++) {
            struct key *ky = &w->dom[i].keys[k];
            pk = NULL;
            if (OSSL_DECODER_from_bio(dc, f) == 1) {
                ky->pk = pk;
            }
            if (ky->pk == NULL ||
                (ky->type == K_ED25519) != (EVP_PKEY_get_id(ky->pk) == EVP_PKEY_ED25519) ||
                (ky->type == K_RSA && (EVP_PKEY_get_bits(ky->pk) != ky->bits ||
                                       rsa_n_primes(ky->pk) != rsa_primes_for(ky->bits)))) {
                ok = false;
            } else {
                key_set_pub(ky);
            }
        }
    }
    OSSL_DECODER_CTX_free(dc);
    BIO_free(f);
    if (!ok) {
        fprintf(stderr, "corpusgen: key cache %s does not match; regenerating\n", path);
        for (int i = 0; i < w->n_dom + w->n_esp; i++) {
            for (int k = 0; k < w->dom[i].n_keys; k++) {
                EVP_PKEY_free(w->dom[i].keys[k].pk);
                w->dom[i].keys[k].pk = NULL;
                free(w->dom[i].keys[k].pub_b64);
                w->dom[i].keys[k].pub_b64 = NULL;
            }
        }
    }
    return ok;
}

static void keys_save(const struct world *w, const char *path)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%.4200s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "corpusgen: cannot write key cache %s: %s\n", tmp, strerror(errno));
        return;
    }
    for (int i = 0; i < w->n_dom + w->n_esp; i++) {
        for (int k = 0; k < w->dom[i].n_keys; k++) {
            if (PEM_write_PrivateKey(f, w->dom[i].keys[k].pk, NULL, NULL, 0, NULL, NULL) != 1) {
                die("%s: PEM write failed", tmp);
            }
        }
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        die("%s: write failed", path);
    }
}

static void world_build(struct world *w, uint64_t seed, int n_dom, int n_esp, int threads,
                        const char *key_cache)
{
    w->seed = seed;
    w->n_dom = n_dom;
    w->n_esp = n_esp;
    w->dom = calloc((size_t)(n_dom + n_esp), sizeof(struct domain));
    w->cum = xmalloc(sizeof(double) * (size_t)n_dom);
    struct rng r;
    rng_init(&r, seed, 1, 0);
    for (int i = 0; i < n_dom + n_esp; i++) {
        struct domain *d = &w->dom[i];
        d->is_esp = i >= n_dom;
        if (d->is_esp) {
            int e = i - n_dom;
            snprintf(d->name, sizeof d->name, "%s%s.%s", espw[e % 12],
                     e >= 12 ? "-mail" : "", e % 3 ? "net" : "com");
        } else {
            snprintf(d->name, sizeof d->name, "%s-%s%d.%s", PICK(&r, w1), PICK(&r, w2), i,
                     PICK(&r, tlds));
        }
        d->name_len = strlen(d->name);
        d->n_keys = d->is_esp ? 2 : 1 + (int)rng_below(&r, 3);
        bool testing = !d->is_esp && rng_chance(&r, 0.05);
        for (int k = 0; k < d->n_keys; k++) {
            struct key *ky = &d->keys[k];
            ky->bits = d->is_esp ? 2048 : key_bits_draw(&r, &ky->type);
            if (d->is_esp) {
                ky->type = K_RSA;
            }
            ky->testing = testing;
            static const char *const selfmt[] = { "s%d", "selector%d", "k%d", "dkim%d",
                                                  "mail%d", "%d" };
            int style = (int)rng_below(&r, 6);
            char tmp[24];
            if (style == 5) {
                snprintf(tmp, sizeof tmp, "%d%02d", 2019 + (int)rng_below(&r, 6),
                         1 + (int)rng_below(&r, 12));
            } else {
                snprintf(tmp, sizeof tmp, selfmt[style], k + 1);
            }
            if (ky->type == K_ED25519) {
                snprintf(ky->sel, sizeof ky->sel, "ed%s", tmp);
            } else {
                snprintf(ky->sel, sizeof ky->sel, "%s", tmp);
            }
            for (int q = 0; q < k; q++) { /* keep selectors distinct */
                if (strcmp(d->keys[q].sel, ky->sel) == 0) {
                    snprintf(ky->sel + strlen(ky->sel), sizeof ky->sel - strlen(ky->sel), "x%d",
                             k);
                }
            }
        }
        /* SPF */
        struct spf *s = &d->spf;
        s->present = d->is_esp || rng_chance(&r, 0.87);
        double u = rng_unit(&r);
        s->all = d->is_esp ? '-' : u < 0.6 ? '-' : u < 0.95 ? '~' : '?';
        s->v4[0].net = public_v4_24(&r);
        s->v4[0].plen = 24;
        s->n4 = 1;
        if (d->is_esp) {
            s->v4[1].net = public_v4_24(&r) & 0xFFFFF000u;
            s->v4[1].plen = 20;
            s->n4 = 2;
        }
        public_v6_48(&r, s->v6[0].net);
        s->v6[0].plen = 48;
        s->n6 = d->is_esp || rng_chance(&r, 0.5) ? 1 : 0;
        d->esp = (!d->is_esp && rng_chance(&r, 0.55)) ? (int)rng_below(&r, (uint64_t)n_esp) : -1;
        s->include_esp = d->esp;
        d->em_id = 1000 + (int)rng_below(&r, 9000);
        /* DMARC */
        d->has_dmarc = !d->is_esp && rng_chance(&r, 0.75);
        u = rng_unit(&r);
        d->p = u < 0.4 ? 0 : u < 0.7 ? 1 : 2;
        d->sp = rng_chance(&r, 0.2) ? (int)rng_below(&r, 3) : -1;
        d->np = rng_chance(&r, 0.12) ? (int)rng_below(&r, 3) : -1;
        for (int k = 0; k < 4; k++) {
            d->sub_exists[k] = rng_chance(&r, 0.6);
        }
        d->weight = d->is_esp ? 0 : exp(1.2 * rng_normal(&r)); /* a few big senders */
    }
    double acc = 0;
    for (int i = 0; i < n_dom; i++) {
        acc += w->dom[i].weight;
        w->cum[i] = acc;
    }
    if (key_cache && keys_load(w, key_cache)) {
        keys_run(w, false, threads);
        return;
    }
    keys_run(w, true, threads);
    if (key_cache) {
        keys_save(w, key_cache);
    }
}

static void world_free(struct world *w)
{
    for (int i = 0; i < w->n_dom + w->n_esp; i++) {
        for (int k = 0; k < w->dom[i].n_keys; k++) {
            EVP_PKEY_free(w->dom[i].keys[k].pk);
            free(w->dom[i].keys[k].pub_b64);
            rsa_crt_cleanup(&w->dom[i].keys[k].crt);
        }
    }
    free(w->dom);
    free(w->cum);
}

static struct domain *world_author(const struct world *w, struct rng *r)
{
    double u = rng_unit(r) * w->cum[w->n_dom - 1];
    int lo = 0, hi = w->n_dom - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (w->cum[mid] < u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return &w->dom[lo];
}

static void txt_strings(struct buf *b, const char *txt)
{
    size_t n = strlen(txt);
    buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (i && i % 200 == 0) {
            buf_adds(b, "\" \"");
        }
        if (txt[i] == '"' || txt[i] == '\\') {
            buf_addc(b, '\\');
        }
        buf_addc(b, txt[i]);
    }
    buf_addc(b, '"');
}

static void spf_text(const struct world *w, const struct spf *s, struct buf *b)
{
    buf_adds(b, "v=spf1");
    char ip[64];
    for (int i = 0; i < s->n4; i++) {
        fmt_v4(ip, sizeof ip, s->v4[i].net);
        buf_addf(b, " ip4:%s/%d", ip, s->v4[i].plen);
    }
    for (int i = 0; i < s->n6; i++) {
        fmt_v6(ip, sizeof ip, s->v6[i].net);
        buf_addf(b, " ip6:%s/%d", ip, s->v6[i].plen);
    }
    if (s->include_esp >= 0) {
        buf_addf(b, " include:_spf.%s", w->dom[w->n_dom + s->include_esp].name);
    }
    buf_addf(b, " %call", s->all);
}

/* Selectors that exist only in the zone: "old" is revoked (p= empty) on every author
 * domain; "slow" times out (;! timeout); "gone" is absent (key_not_found). */
static void world_zone(const struct world *w, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        die("%s: %s", path, strerror(errno));
    }
    struct buf b = { 0 };
    buf_addf(&b, "; corpusgen keys and policies (seed %" PRIu64 ")\n$TTL 3600\n", w->seed);
    for (int i = 0; i < w->n_dom + w->n_esp; i++) {
        const struct domain *d = &w->dom[i];
        for (int k = 0; k < d->n_keys; k++) {
            const struct key *ky = &d->keys[k];
            char txt[2048];
            snprintf(txt, sizeof txt, "v=DKIM1; k=%s; %sp=%s",
                     ky->type == K_ED25519 ? "ed25519" : "rsa", ky->testing ? "t=y; " : "",
                     ky->pub_b64);
            buf_addf(&b, "%s._domainkey.%s. IN TXT ", ky->sel, d->name);
            txt_strings(&b, txt);
            buf_addc(&b, '\n');
        }
        if (!d->is_esp) {
            buf_addf(&b, "old._domainkey.%s. IN TXT \"v=DKIM1; k=rsa; p=\"\n", d->name);
            buf_addf(&b, ";! timeout slow._domainkey.%s. TXT\n", d->name);
        }
        if (d->is_esp) {
            buf_addf(&b, "_spf.%s. IN TXT ", d->name);
            struct buf t = { 0 };
            spf_text(w, &d->spf, &t);
            txt_strings(&b, t.p);
            free(t.p);
            buf_addc(&b, '\n');
            buf_addf(&b, "bounces.%s. IN TXT \"v=spf1 include:_spf.%s -all\"\n", d->name,
                     d->name);
            buf_addf(&b, "*.wl.%s. IN TXT \"v=spf1 include:_spf.%s -all\"\n", d->name, d->name);
            continue;
        }
        if (d->spf.present) {
            struct buf t = { 0 };
            spf_text(w, &d->spf, &t);
            buf_addf(&b, "%s. IN TXT ", d->name);
            txt_strings(&b, t.p);
            buf_addf(&b, "\nbounce.%s. IN TXT ", d->name);
            txt_strings(&b, t.p);
            buf_addc(&b, '\n');
            free(t.p);
        }
        buf_addf(&b, "%s. IN MX 10 mx.%s.\n", d->name, d->name);
        if (d->esp >= 0) {
            buf_addf(&b, "em%d.%s. IN CNAME u%d.wl.%s.\n", d->em_id, d->name, d->em_id,
                     w->dom[w->n_dom + d->esp].name);
        }
        for (int k = 0; k < 4; k++) {
            if (d->sub_exists[k]) {
                buf_addf(&b, "%s.%s. IN MX 10 mx.%s.\n", sub_names[k], d->name, d->name);
            }
        }
        if (d->has_dmarc) {
            char t[512];
            int n = snprintf(t, sizeof t, "v=DMARC1; p=%s", pol_names[d->p]);
            if (d->sp >= 0) {
                n += snprintf(t + n, sizeof t - (size_t)n, "; sp=%s", pol_names[d->sp]);
            }
            if (d->np >= 0) {
                n += snprintf(t + n, sizeof t - (size_t)n, "; np=%s", pol_names[d->np]);
            }
            snprintf(t + n, sizeof t - (size_t)n, "; adkim=r; aspf=r; rua=mailto:dmarc@%s",
                     d->name);
            buf_addf(&b, "_dmarc.%s. IN TXT ", d->name);
            txt_strings(&b, t);
            buf_addc(&b, '\n');
        }
    }
    fwrite(b.p, 1, b.len, f);
    free(b.p);
    if (fclose(f) != 0) {
        die("%s: write failed", path);
    }
}

/* ---------- SPF / DMARC expectations ---------- */

static bool in4(uint32_t ip, const struct cidr4 *c)
{
    uint32_t m = c->plen == 0 ? 0 : 0xFFFFFFFFu << (32 - c->plen);
    return (ip & m) == (c->net & m);
}

static bool in6(const uint8_t ip[16], const struct cidr6 *c)
{
    int full = c->plen / 8;
    return memcmp(ip, c->net, (size_t)full) == 0; /* our prefixes are whole bytes */
}

/* spf_eval: the result of check_host for our record shapes (RFC 7208 §4.6, §5.2). */
static const char *spf_eval(const struct world *w, const struct spf *s, bool v6, uint32_t ip4,
                            const uint8_t ip6[16])
{
    if (!s->present) {
        return "none";
    }
    for (int i = 0; i < s->n4; i++) {
        if (!v6 && in4(ip4, &s->v4[i])) {
            return "pass";
        }
    }
    for (int i = 0; i < s->n6; i++) {
        if (v6 && in6(ip6, &s->v6[i])) {
            return "pass";
        }
    }
    if (s->include_esp >= 0 &&
        strcmp(spf_eval(w, &w->dom[w->n_dom + s->include_esp].spf, v6, ip4, ip6), "pass") == 0) {
        return "pass";
    }
    return s->all == '-' ? "fail" : s->all == '~' ? "softfail" : "neutral";
}

/* org_of: the registered domain of a name we generated (or of a service host). */
static const char *org_of(const struct world *w, const char *name)
{
    size_t nl = strlen(name);
    for (int i = 0; i < w->n_dom + w->n_esp; i++) {
        size_t dl = w->dom[i].name_len;
        if (nl >= dl && memcmp(name + nl - dl, w->dom[i].name, dl) == 0 &&
            (nl == dl || name[nl - dl - 1] == '.')) {
            return w->dom[i].name;
        }
    }
    return name;
}

/* ---------- messages ---------- */

/* words: the vocabulary of bodies and subjects, with byte lengths (the hottest strings). */
struct word {
    const char *s;
    size_t len;
};
#define W(lit) { lit, sizeof(lit) - 1 }
static const struct word words[] = {
    W("the"), W("of"), W("and"), W("to"), W("in"), W("a"), W("is"), W("that"), W("for"),
    W("it"), W("as"), W("was"), W("with"), W("be"), W("by"), W("on"), W("not"), W("he"),
    W("this"), W("are"), W("or"), W("his"), W("from"), W("at"), W("which"), W("but"), W("have"),
    W("an"), W("had"), W("they"), W("you"), W("were"), W("their"), W("one"), W("all"), W("we"),
    W("can"), W("her"), W("has"), W("there"), W("been"), W("if"), W("more"), W("when"),
    W("will"), W("would"), W("who"), W("so"), W("no"), W("meeting"), W("invoice"), W("report"),
    W("project"), W("quarter"), W("update"), W("schedule"), W("please"), W("review"),
    W("attached"), W("thanks"), W("regards"), W("customer"), W("order"), W("shipment"),
    W("account"), W("payment"), W("budget"), W("design"), W("release"), W("server"),
    W("deadline"), W("contract"), W("team"), W("office"), W("tomorrow"), W("weekly"),
    W("summary"), W("proposal"), W("agenda"), W("draft"), W("feedback"), W("numbers"),
    W("delivery"), W("support"), W("ticket"), W("status"), W("pending"), W("approved"),
    W("Grüße"), W("café"), W("naïve"), W("résumé"), W("€100"), W("$250"), W("2024"), W("Q3"),
    W("FYI"), W("ASAP"), W("e.g."), W("i.e."),
};
#undef W
#define N_WORDS (sizeof words / sizeof words[0])
static const char *const firsts[] = { "Anna", "Ben", "Chloé", "David", "Eva", "Farid", "Grace",
                                      "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Marta", "Nils",
                                      "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq" };
static const char *const lasts[] = { "Meyer", "Okafor", "Dubois", "Schmidt", "Tanaka", "Rossi",
                                     "Novak", "Garcia", "Larsen", "Kowalski", "Silva", "Chen",
                                     "Haddad", "Ivanova", "Moreau", "Berg" };
static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static void sentence(struct buf *b, struct rng *r)
{
    int n = 5 + (int)rng_below(r, 14);
    for (int i = 0; i < n; i++) {
        const struct word *wd = &words[rng_below(r, N_WORDS)];
        if (i) {
            buf_addc(b, ' ');
        }
        size_t at = b->len;
        buf_add(b, wd->s, wd->len);
        if (i == 0 && b->p[at] >= 'a' && b->p[at] <= 'z') {
            b->p[at] = (char)(b->p[at] - 32);
        }
    }
    buf_add(b, rng_chance(r, 0.15) ? "? " : ". ", 2);
}

/* text_body: paragraphs wrapped at ~72 columns until at least target bytes; some lines
 * start with "From " or ">From " (mboxrd quoting), some carry trailing spaces. */
static void text_body(struct buf *b, struct buf *para, struct rng *r, size_t target,
                      bool quirks)
{
    size_t start = b->len;
    while (b->len - start < target) {
        para->len = 0;
        int ns = 1 + (int)rng_below(r, 5);
        if (quirks && rng_chance(r, 0.02)) {
            buf_adds(para, rng_chance(r, 0.5) ? "From the desk of the editor: "
                                              : ">From an earlier message: ");
        }
        for (int i = 0; i < ns; i++) {
            sentence(para, r);
        }
        /* wrap: a space may become a line end after two trailing spaces, so a word (with
         * its space, at least 2 bytes) grows by 2 bytes at most: 3x the paragraph, plus the
         * blank line, is room enough */
        buf_reserve(b, para->len * 3 + 2);
        char *o = b->p + b->len;
        const char *p = para->p, *end = para->p + para->len;
        size_t col = 0;
        while (p < end) {
            const char *sp = memchr(p, ' ', (size_t)(end - p));
            const char *e = sp ? sp : end;
            size_t wl = (size_t)(e - p);
            if (col && col + 1 + wl > 72) {
                if (quirks && rng_chance(r, 0.01)) {
                    *o++ = ' '; /* trailing whitespace, as some clients leave */
                    *o++ = ' ';
                }
                *o++ = '\n';
                col = 0;
            } else if (col) {
                *o++ = ' ';
                col++;
            }
            memcpy(o, p, wl);
            o += wl;
            col += wl;
            p = sp ? sp + 1 : end;
        }
        *o++ = '\n';
        *o++ = '\n';
        b->len = (size_t)(o - b->p);
        b->p[b->len] = 0;
    }
}

static void fmt_date(char *out, size_t cap, int64_t t, int tz_min, const char *comment)
{
    time_t lt = (time_t)(t + tz_min * 60);
    struct tm tm;
    gmtime_r(&lt, &tm);
    int a = tz_min < 0 ? -tz_min : tz_min;
    snprintf(out, cap, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d%s%s", wdays[tm.tm_wday],
             tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
             tz_min < 0 ? '-' : '+', a / 60, a % 60, comment ? " " : "", comment ? comment : "");
}

struct hfield {
    char *raw; /* "Name: value" with LF folds, no final LF */
};

struct sigplan {
    struct domain *dom;
    struct key *key;
    const char *sel; /* may be a fault selector */
    const char *fault; /* NULL, "missing", "revoked", "timeout", "expired" */
    bool relaxed_h, relaxed_b;
    const char *c_tag; /* as written, or NULL */
    int l_mode;        /* 0 none, 1 full, 2 partial */
    uint64_t l;
    int64_t t, x; /* x = -1: none */
    char *prefix; /* the field up to and including "b=" */
    const char *hlist;
    uint8_t hdigest[32];
    char bh[48];
    int oversign;
};

struct outfile {
    char name[128]; /* in Maildir/cur */
    size_t off, len; /* in out.files */
};

/* struct out: a chunk of messages made by one generator thread and written by the main
 * thread (see "driver"). */
struct out {
    struct buf files; /* the Maildir files' bytes, back to back */
    struct buf mbox, truth;
    struct outfile *fv; /* one per message */
    size_t n_fv, cap_fv;
    uint64_t bytes;
};

/* struct gen: one generator thread's state (thread lifetime); buffers are reused from
 * message to message. body_ver changes whenever the body does: the canonical bodies in
 * canon[] are kept while canon_ver[] matches it, and body hashes in bh_memo[] while their
 * ver does, so a body canonicalized and hashed for signing is not done again for each
 * signature and for the truth unless the bytes changed (tampering: body_changed). */
struct gen {
    const struct world *w;
    struct crypto crypto;
    struct buf body, hbuf, tmp, para;
    struct buf canon[2]; /* [relaxed] */
    uint64_t body_ver, canon_ver[2];
    struct bh_memo {     /* body hashes of this body_ver: (canonicalization, length) */
        uint64_t ver;
        size_t len;
        bool relaxed;
        char b64[48];
    } bh_memo[4];
    unsigned bh_next;
    struct hfield *hf;
    size_t n_hf, cap_hf;
    double tail_share;
    size_t max_attach;
    bool want_mbox;  /* make the mbox entries (the Maildir bytes are always made) */
    struct out *out; /* the chunk being made */
};

static void hf_insert(struct gen *g, size_t at, char *raw)
{
    if (g->n_hf == g->cap_hf) {
        g->cap_hf = g->cap_hf ? g->cap_hf * 2 : 32;
        g->hf = realloc(g->hf, g->cap_hf * sizeof(*g->hf));
    }
    memmove(&g->hf[at + 1], &g->hf[at], (g->n_hf - at) * sizeof(*g->hf));
    g->hf[at].raw = raw;
    g->n_hf++;
}

__attribute__((format(printf, 3, 4))) static void hf_add(struct gen *g, size_t at,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        die("out of memory");
    }
    va_end(ap);
    hf_insert(g, at, s);
}

static bool name_is(const char *raw, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(raw, name, n) == 0 && raw[n] == ':';
}

/* header_digest: RFC 6376 §5.4.2 selection (each h= name takes the last unused instance,
 * bottom-up; a name with no instance left contributes nothing) plus the signature field's
 * prefix (b= empty, no final CRLF), hashed. */
static void header_digest(struct gen *g, const char *hlist, const char *prefix, bool relaxed,
                          uint8_t out[32])
{
    bool used[512] = { 0 };
    if (g->n_hf > 512) {
        die("internal: too many fields");
    }
    g->hbuf.len = 0;
    char names[512];
    snprintf(names, sizeof names, "%s", hlist);
    char *save = NULL;
    for (char *nm = strtok_r(names, ":", &save); nm; nm = strtok_r(NULL, ":", &save)) {
        for (size_t j = g->n_hf; j-- > 0;) {
            if (!used[j] && name_is(g->hf[j].raw, nm)) {
                used[j] = true;
                canon_header(&g->hbuf, relaxed, g->hf[j].raw, strlen(g->hf[j].raw), true);
                break;
            }
        }
    }
    canon_header(&g->hbuf, relaxed, prefix, strlen(prefix), false);
    sha256(&g->crypto, g->hbuf.p, g->hbuf.len, out);
}

/* body_changed: call after every change to g->body (it drops the canonical forms). */
static void body_changed(struct gen *g)
{
    g->body_ver++;
}

/* canon_of: the canonical form of the current body (RFC 6376 §3.4.3/§3.4.4). */
static const struct buf *canon_of(struct gen *g, bool relaxed)
{
    struct buf *c = &g->canon[relaxed];
    if (g->canon_ver[relaxed] != g->body_ver) {
        canon_body(c, relaxed, g->body.p, g->body.len);
        g->canon_ver[relaxed] = g->body_ver;
    }
    return c;
}

static void body_hash(struct gen *g, bool relaxed, int l_mode, uint64_t l, char out[48],
                      uint64_t *canon_len)
{
    const struct buf *c = canon_of(g, relaxed);
    *canon_len = c->len;
    size_t n = c->len;
    if (l_mode && l < n) {
        n = (size_t)l;
    }
    for (size_t i = 0; i < sizeof g->bh_memo / sizeof g->bh_memo[0]; i++) {
        const struct bh_memo *m = &g->bh_memo[i];
        if (m->ver == g->body_ver && m->relaxed == relaxed && m->len == n) {
            memcpy(out, m->b64, 48);
            return;
        }
    }
    uint8_t d[32];
    sha256(&g->crypto, c->p, n, d);
    out[b64_raw(out, d, 32)] = 0;
    struct bh_memo *m = &g->bh_memo[g->bh_next++ % (sizeof g->bh_memo / sizeof g->bh_memo[0])];
    m->ver = g->body_ver;
    m->relaxed = relaxed;
    m->len = n;
    memcpy(m->b64, out, 48);
}

static const char *hlist_for(struct sigplan *sp, bool esp, bool has_list)
{
    if (esp) {
        return has_list ? "from:to:subject:date:message-id:list-unsubscribe:feedback-id:"
                          "mime-version:content-type"
                        : "from:to:subject:date:message-id:mime-version:content-type";
    }
    switch (sp->oversign) {
    case 1:
        return "from:from:to:to:subject:subject:date:date:message-id:message-id:reply-to:cc:"
               "mime-version:content-type";
    case 2:
        return "date:from:to:subject:message-id:mime-version";
    default:
        return "from:to:subject:date:message-id:mime-version:content-type";
    }
}

/* make_sig signs the current header list and body with plan sp and inserts the field at
 * position `at`. */
static void make_sig(struct gen *g, struct rng *r, struct sigplan *sp, const char *hlist,
                     size_t at, const char *ident)
{
    uint64_t clen;
    char bh[48];
    /* l=: full canonical length, or a prefix */
    clen = canon_of(g, sp->relaxed_b)->len;
    if (sp->l_mode == 1) {
        sp->l = clen;
    } else if (sp->l_mode == 2) {
        sp->l = clen / 2;
    }
    body_hash(g, sp->relaxed_b, sp->l_mode, sp->l, bh, &clen);
    snprintf(sp->bh, sizeof sp->bh, "%s", bh);
    const bool gstyle = rng_chance(r, 0.4);
    const char *fold = gstyle ? "\n        " : "\n\t";
    struct buf p = { 0 };
    buf_addf(&p, "DKIM-Signature: v=1; a=%s;", sp->key->type == K_ED25519 ? "ed25519-sha256"
                                                                           : "rsa-sha256");
    if (sp->c_tag) {
        buf_addf(&p, " c=%s;", sp->c_tag);
    }
    buf_addf(&p, "%sd=%s; s=%s;", gstyle ? fold : " ", sp->dom->name, sp->sel);
    if (ident) {
        buf_addf(&p, " i=%s;", ident);
    }
    if (rng_chance(r, 0.1)) {
        buf_adds(&p, " q=dns/txt;");
    }
    buf_addf(&p, "%st=%" PRId64 ";", gstyle ? " " : fold, sp->t);
    if (sp->x >= 0) {
        buf_addf(&p, " x=%" PRId64 ";", sp->x);
    }
    if (sp->l_mode) {
        buf_addf(&p, " l=%" PRIu64 ";", sp->l);
    }
    buf_addf(&p, "%sh=%s;%sbh=%s;%sb=", fold, hlist, fold, bh, fold);
    sp->prefix = p.p;
    /* the field is not yet in the list: it is hashed last, from its own text */
    header_digest(g, hlist, sp->prefix, sp->relaxed_h, sp->hdigest);
    uint8_t sig[1024];
    size_t sl = sign_digest(&g->crypto, sp->key, sp->hdigest, sig, sizeof sig);
    struct buf f = { 0 };
    buf_adds(&f, sp->prefix);
    char nl[16];
    snprintf(nl, sizeof nl, "%s", fold);
    /* fold the base64 like real signers: first chunk on the b= line */
    struct buf b64 = { 0 };
    b64_append(&b64, sig, sl, 0, NULL);
    for (size_t i = 0; i < b64.len; i += 70) {
        if (i) {
            buf_adds(&f, nl);
        }
        buf_add(&f, b64.p + i, b64.len - i < 70 ? b64.len - i : 70);
    }
    free(b64.p);
    hf_insert(g, at, f.p);
}

struct sigtruth {
    const char *result, *reason;
    int bits;
    bool verify_op, hash_body;
    int64_t unsigned_bytes; /* -1: no l= */
};

static void gen_boundary(char *out, size_t cap, struct rng *r)
{
    snprintf(out, cap, "----=_Part_%" PRIu64 "_%" PRIu64, rng_below(r, 1000000),
             (uint64_t)(rng_next(r) & 0xFFFFFFFFFFu));
}

static size_t draw_body_size(struct rng *r)
{
    /* log-normal, median 4 KiB */
    double v = exp(log(4096.0) + 0.85 * rng_normal(r));
    if (v < 120) {
        v = 120;
    }
    if (v > 96000) {
        v = 96000;
    }
    return (size_t)v;
}

static size_t draw_attach_size(struct rng *r, size_t cap)
{
    /* Pareto, alpha 1.3, from 75 KiB (100 KB after base64), capped */
    double u = rng_unit(r);
    double v = 75000.0 / pow(1.0 - u, 1.0 / 1.3);
    if (v > (double)cap) {
        v = (double)cap;
    }
    return (size_t)v;
}

static const char *const tz_choices_names[] = { "(UTC)", "(PST)", "(CET)", NULL };

/* gen_message builds message idx and appends it to g->out: its Maildir file (bytes and
 * name), its mbox entry and its truth row. */
static void gen_message(struct gen *g, uint64_t seed, uint64_t idx)
{
    const struct world *w = g->w;
    struct rng rr, *r = &rr;
    rng_init(r, seed, 3, idx);
    for (size_t i = 0; i < g->n_hf; i++) {
        free(g->hf[i].raw);
    }
    g->n_hf = 0;
    g->body.len = 0;
    body_changed(g);

    struct domain *ad = world_author(w, r);
    struct domain *esp = ad->esp >= 0 && rng_chance(r, 0.7) ? &w->dom[w->n_dom + ad->esp] : NULL;
    char from_dom[96];
    int sub = -1;
    if (rng_chance(r, 0.3)) {
        sub = (int)rng_below(r, 4);
        snprintf(from_dom, sizeof from_dom, "%s.%s", sub_names[sub], ad->name);
    } else {
        snprintf(from_dom, sizeof from_dom, "%s", ad->name);
    }
    const char *fn = PICK(r, firsts), *ln = PICK(r, lasts);
    char local[64];
    snprintf(local, sizeof local, "%s.%s", fn, ln);
    for (char *c = local; *c; c++) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char)(*c + 32);
        } else if ((unsigned char)*c >= 0x80) {
            *c = 'e'; /* keep local parts ASCII */
            if ((unsigned char)c[1] >= 0x80) {
                memmove(c + 1, c + 2, strlen(c + 2) + 1);
            }
        }
    }
    static const char *const rcpt_doms[] = { "archive-corp.example", "lists.example.org",
                                             "gmail.com" };
    int rk = (int)rng_below(r, 3);
    const char *rcpt = rcpt_doms[rk];
    /* times: 2023-01-01 .. 2025-12-31 */
    int64_t t0 = 1672531200 + (int64_t)rng_below(r, 1767139200 - 1672531200 - 86400);
    static const int tzs[] = { 0, 60, 120, -300, -420, -480, 330, 540, 0, 0 };
    int tz = tzs[rng_below(r, 10)];
    char date[80];
    fmt_date(date, sizeof date, t0, tz, NULL);

    /* ---- body ---- */
    char ctype[256];
    bool tail = rng_chance(r, g->tail_share);
    size_t target = draw_body_size(r);
    bool quirks = true;
    char bnd[80];
    double shape = rng_unit(r);
    if (tail) {
        gen_boundary(bnd, sizeof bnd, r);
        snprintf(ctype, sizeof ctype, "Content-Type: multipart/mixed;\n\tboundary=\"%s\"", bnd);
        buf_addf(&g->body, "This is a multi-part message in MIME format.\n\n--%s\n"
                           "Content-Type: text/plain; charset=UTF-8\n"
                           "Content-Transfer-Encoding: 8bit\n\n",
                 bnd);
        text_body(&g->body, &g->para, r, target / 2, quirks);
        static const char *const att[][2] = { { "application/pdf", "report.pdf" },
                                              { "image/jpeg", "photo.jpg" },
                                              { "application/zip", "archive.zip" },
                                              { "application/vnd.openxmlformats-officedocument."
                                                "spreadsheetml.sheet",
                                                "figures.xlsx" } };
        size_t ai = rng_below(r, 4);
        buf_addf(&g->body, "\n--%s\nContent-Type: %s; name=\"%s\"\n"
                           "Content-Disposition: attachment; filename=\"%s\"\n"
                           "Content-Transfer-Encoding: base64\n\n",
                 bnd, att[ai][0], att[ai][1], att[ai][1]);
        size_t an = draw_attach_size(r, g->max_attach);
        g->tmp.len = 0;
        buf_reserve(&g->tmp, an);
        rng_bytes(r, (uint8_t *)g->tmp.p, an);
        b64_append(&g->body, (uint8_t *)g->tmp.p, an, 76, "\n");
        buf_addf(&g->body, "\n\n--%s--\n", bnd);
    } else if (shape < 0.35) {
        gen_boundary(bnd, sizeof bnd, r);
        snprintf(ctype, sizeof ctype, "Content-Type: multipart/alternative;\n boundary=\"%s\"",
                 bnd);
        buf_addf(&g->body, "--%s\nContent-Type: text/plain; charset=\"UTF-8\"\n"
                           "Content-Transfer-Encoding: 8bit\n\n",
                 bnd);
        size_t s0 = g->body.len;
        text_body(&g->body, &g->para, r, target / 3, quirks);
        buf_addf(&g->body, "--%s\nContent-Type: text/html; charset=\"UTF-8\"\n"
                           "Content-Transfer-Encoding: 8bit\n\n<html><body>\n",
                 bnd);
        while (g->body.len - s0 < target) {
            buf_adds(&g->body, "<p style=\"margin:0 0 12px 0;font-family:Arial\">");
            text_body(&g->body, &g->para, r, 200, false);
            g->body.len -= 2; /* drop the paragraph's blank line */
            buf_adds(&g->body, "</p>\n");
        }
        buf_addf(&g->body, "</body></html>\n\n--%s--\n", bnd);
    } else {
        snprintf(ctype, sizeof ctype, "Content-Type: text/plain; charset=%s%s",
                 rng_chance(r, 0.5) ? "\"UTF-8\"" : "utf-8",
                 rng_chance(r, 0.3) ? "; format=flowed" : "");
        text_body(&g->body, &g->para, r, target, quirks);
        if (rng_chance(r, 0.3)) {
            buf_addf(&g->body, "-- \n%s %s\n%s\n", fn, ln, ad->name);
        }
    }

    /* ---- base header fields (top to bottom) ---- */
    char msgid[160];
    snprintf(msgid, sizeof msgid, "<%016" PRIx64 ".%" PRIu64 "@%s>", rng_next(r), idx,
             esp ? esp->name : from_dom);
    hf_add(g, g->n_hf, "From: \"%s %s\" <%s@%s>", fn, ln, local, from_dom);
    hf_add(g, g->n_hf, "To: %s <user%u@%s>", rng_chance(r, 0.5) ? "\"Archive User\"" : "",
           (unsigned)rng_below(r, 50), rcpt);
    struct buf subj = { 0 };
    buf_adds(&subj, "Subject: ");
    if (rng_chance(r, 0.1)) {
        buf_adds(&subj, "=?UTF-8?B?R3LDvMOfZSBhdXMgQmVybGlu?= ");
    }
    int nsw = 3 + (int)rng_below(r, 8);
    for (int i = 0; i < nsw; i++) {
        buf_addf(&subj, "%s%s", i ? " " : "", words[rng_below(r, N_WORDS)].s);
    }
    hf_insert(g, g->n_hf, subj.p);
    hf_add(g, g->n_hf, "Date: %s", date);
    hf_add(g, g->n_hf, "Message-ID: %s", msgid);
    hf_add(g, g->n_hf, "MIME-Version: 1.0");
    hf_insert(g, g->n_hf, xstrdup(ctype));
    bool has_list = esp != NULL;
    if (has_list) {
        hf_add(g, g->n_hf, "List-Unsubscribe: <https://%s/u/%016" PRIx64 ">", esp->name,
               rng_next(r));
        hf_add(g, g->n_hf, "Feedback-ID: %u:%u:%s", (unsigned)rng_below(r, 99999),
               (unsigned)rng_below(r, 999), esp->name);
    }
    if (rng_chance(r, 0.5)) {
        hf_add(g, g->n_hf, "X-Mailer: %s",
               rng_chance(r, 0.5) ? "Microsoft Outlook 16.0" : "Apple Mail (2.3731.700.6)");
    }

    /* ---- signatures ---- */
    struct sigplan plans[2];
    int n_sig = 0;
    bool unsigned_msg = rng_chance(r, 0.05);
    int64_t ts = t0 + 1 + (int64_t)rng_below(r, 30);
    bool any_expired = false;
    for (int which = 0; which < 2 && !unsigned_msg; which++) {
        struct domain *sd = which == 0 ? ad : esp;
        if (sd == NULL) {
            continue;
        }
        if (which == 0 && esp && rng_chance(r, 0.15)) {
            continue; /* the author lets only the service sign */
        }
        if (which == 1 && !rng_chance(r, 0.8)) {
            continue;
        }
        struct sigplan *sp = &plans[n_sig];
        memset(sp, 0, sizeof *sp);
        sp->dom = sd;
        sp->key = &sd->keys[rng_below(r, (uint64_t)sd->n_keys)];
        sp->sel = sp->key->sel;
        double u = rng_unit(r);
        if (!sd->is_esp) {
            if (u < 0.015) {
                sp->fault = "missing";
                sp->sel = "gone";
            } else if (u < 0.025) {
                sp->fault = "revoked";
                sp->sel = "old";
            } else if (u < 0.028) {
                sp->fault = "timeout";
                sp->sel = "slow";
            } else if (u < 0.043) {
                sp->fault = "expired";
            }
        } else if (u < 0.01) {
            sp->fault = "expired";
        }
        double cu = rng_unit(r);
        if (cu < 0.70) {
            sp->c_tag = "relaxed/relaxed";
            sp->relaxed_h = sp->relaxed_b = true;
        } else if (cu < 0.80) {
            sp->c_tag = "relaxed/simple";
            sp->relaxed_h = true;
        } else if (cu < 0.92) {
            sp->c_tag = "simple/simple";
        } else if (cu < 0.95) {
            sp->c_tag = "simple/relaxed";
            sp->relaxed_b = true;
        } else if (cu < 0.97) {
            sp->c_tag = "relaxed"; /* body defaults to simple */
            sp->relaxed_h = true;
        } else {
            sp->c_tag = NULL; /* simple/simple */
        }
        double lu = rng_unit(r);
        sp->l_mode = lu < 0.03 ? 1 : lu < 0.04 ? 2 : 0;
        sp->oversign = sd->is_esp ? 0 : rng_chance(r, 0.25) ? 1 : rng_chance(r, 0.1) ? 2 : 0;
        sp->t = ts + which;
        if (sp->fault && strcmp(sp->fault, "expired") == 0) {
            sp->x = sp->t + 60 + (int64_t)rng_below(r, 120);
            any_expired = true;
        } else if (rng_chance(r, 0.3)) {
            sp->x = sp->t + 7 * 86400;
        } else {
            sp->x = -1;
        }
        char ident[200];
        const char *id = NULL;
        if (!sd->is_esp && rng_chance(r, 0.2)) {
            snprintf(ident, sizeof ident, "%s@%s", local, from_dom);
            id = ident;
        } else if (rng_chance(r, 0.1)) {
            snprintf(ident, sizeof ident, "@%s", sd->name);
            id = ident;
        }
        sp->hlist = hlist_for(sp, sd->is_esp, has_list);
        make_sig(g, r, sp, sp->hlist, 0, id);
        n_sig++;
    }

    /* ---- route: Received chain (2-4 hops) and client IP ---- */
    int hops = 2 + (int)rng_below(r, 3);
    bool via_esp = esp != NULL;
    bool forwarded = rng_chance(r, 0.04);
    const struct spf *src_spf = via_esp ? &esp->spf : &ad->spf;
    bool v6 = rng_chance(r, 0.2) && src_spf->n6 > 0;
    uint32_t ip4 = 0;
    uint8_t ip6[16] = { 0 };
    if (forwarded) {
        v6 = false;
        ip4 = public_v4_24(r) | (uint32_t)(1 + rng_below(r, 254));
    } else if (v6) {
        memcpy(ip6, src_spf->v6[0].net, 16);
        rng_bytes(r, ip6 + 8, 8);
    } else {
        const struct cidr4 *c = &src_spf->v4[rng_below(r, (uint64_t)src_spf->n4)];
        uint32_t host = (uint32_t)rng_below(r, (1u << (32 - c->plen)) - 2) + 1;
        ip4 = c->net | host;
    }
    char ipstr[64];
    if (v6) {
        fmt_v6(ipstr, sizeof ipstr, ip6);
    } else {
        fmt_v4(ipstr, sizeof ipstr, ip4);
    }
    char mfrom_dom[128], mfrom[256];
    if (via_esp) {
        if (rng_chance(r, 0.5)) {
            snprintf(mfrom_dom, sizeof mfrom_dom, "em%d.%s", ad->em_id, ad->name);
        } else {
            snprintf(mfrom_dom, sizeof mfrom_dom, "bounces.%s", esp->name);
        }
        snprintf(mfrom, sizeof mfrom, "bounce-%u-%" PRIu64 "@%s", (unsigned)rng_below(r, 99999),
                 idx, mfrom_dom);
    } else {
        snprintf(mfrom_dom, sizeof mfrom_dom, "%s", rng_chance(r, 0.4) ? "bounce." : "");
        snprintf(mfrom_dom + strlen(mfrom_dom), sizeof mfrom_dom - strlen(mfrom_dom), "%s",
                 ad->name);
        snprintf(mfrom, sizeof mfrom, "%s@%s", local, mfrom_dom);
    }
    const char *sender_host = via_esp ? esp->name : ad->name;
    /* hop times: each later than the last; the MX's is the evaluation time */
    int64_t ht = ts + 1 + (int64_t)rng_below(r, 5);
    /* sender-side hops (oldest first); the first sits below the signatures */
    size_t sig_block_end = (size_t)n_sig;
    for (int h = 0; h < hops - 1; h++) {
        char d2[80];
        int64_t when = h == 0 ? t0 : ht + h;
        fmt_date(d2, sizeof d2, when, tz, NULL);
        char *rcv = NULL;
        if (h == 0) {
            int ok = asprintf(&rcv, "Received: from [10.%u.%u.%u] (helo=workstation)\n"
                                    "\tby smtp-submit.%s with ESMTPSA id %08" PRIx64 "\n"
                                    "\tfor <user@%s>; %s",
                              (unsigned)rng_below(r, 256), (unsigned)rng_below(r, 256),
                              (unsigned)rng_below(r, 254) + 1, sender_host,
                              (uint64_t)(rng_next(r) & 0xFFFFFFFFu), rcpt, d2);
            if (ok < 0) {
                die("oom");
            }
            hf_insert(g, sig_block_end, rcv);
        } else {
            int ok = asprintf(&rcv, "Received: from smtp-submit.%s (smtp-submit.%s [10.0.%u.%u])\n"
                                    "\tby out%u.%s (Postfix) with ESMTP id %010" PRIX64 ";\n"
                                    "\t%s",
                              sender_host, sender_host, (unsigned)rng_below(r, 256),
                              (unsigned)rng_below(r, 254) + 1, (unsigned)rng_below(r, 20),
                              sender_host, (uint64_t)(rng_next(r) & 0xFFFFFFFFFFu), d2);
            if (ok < 0) {
                die("oom");
            }
            hf_insert(g, 0, rcv);
        }
    }
    int64_t as_of = ht + hops + (int64_t)rng_below(r, 90);
    if (any_expired) {
        as_of = ts + 400 + (int64_t)rng_below(r, 3 * 86400); /* delivered late */
    }
    {
        char helo[128];
        snprintf(helo, sizeof helo, "%s%u.%s", forwarded ? "fwd" : "out",
                 (unsigned)rng_below(r, 20), forwarded ? "forwarder.example.net" : sender_host);
        char *rcv = NULL;
        int ok;
        if (rk == 2) { /* Gmail */
            char d3[80];
            fmt_date(d3, sizeof d3, as_of, -480, tz_choices_names[1]);
            ok = asprintf(&rcv, "Received: from %s (%s. [%s])\n"
                                "        by mx.google.com with ESMTPS id %s%" PRIx64 ".%u.2024."
                                "%02u.%02u.%02u\n"
                                "        for <user@gmail.com>\n"
                                "        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\n"
                                "        %s",
                          helo, helo, ipstr, "a640c23a62f3a-", (uint64_t)(rng_next(r) & 0xFFFFFFFFFFFu),
                          (unsigned)rng_below(r, 99), (unsigned)rng_below(r, 99),
                          (unsigned)rng_below(r, 99), (unsigned)rng_below(r, 99), d3);
        } else if (rk == 1) { /* Exim */
            char d3[80];
            fmt_date(d3, sizeof d3, as_of, 60, NULL);
            ok = asprintf(&rcv, "Received: from %s ([%s] helo=%s)\n"
                                "\tby mx1.%s with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n"
                                "\t(Exim 4.96)\n\t(envelope-from <%s>)\n"
                                "\tid 1r%05" PRIX64 "-000%03u-2A\n\tfor user@%s;\n\t%s",
                          helo, ipstr, helo, rcpt, mfrom, (uint64_t)(rng_next(r) & 0xFFFFFu),
                          (unsigned)rng_below(r, 999), rcpt, d3);
        } else { /* Postfix */
            char d3[80];
            fmt_date(d3, sizeof d3, as_of, 0, tz_choices_names[0]);
            ok = asprintf(&rcv, "Received: from %s (%s [%s%s])\n"
                                "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n"
                                "\t(No client certificate requested)\n"
                                "\tby mx.%s (Postfix) with ESMTPS id 4T%08" PRIX64 "\n"
                                "\tfor <user@%s>; %s",
                          helo, helo, v6 ? "IPv6:" : "", ipstr, rcpt,
                          (uint64_t)(rng_next(r) & 0xFFFFFFFFu), rcpt, d3);
        }
        if (ok < 0) {
            die("oom");
        }
        hf_insert(g, 0, rcv);
    }
    hf_add(g, 0, "Return-Path: <%s>", mfrom);

    /* ---- tampering after signing ---- */
    const char *tamper = "-";
    double tu = rng_unit(r);
    if (n_sig > 0 && tu < 0.075) {
        /* find positions */
        ptrdiff_t subj_i = -1;
        for (size_t j = 0; j < g->n_hf; j++) {
            if (name_is(g->hf[j].raw, "Subject")) {
                subj_i = (ptrdiff_t)j;
            }
        }
        if (tu < 0.015) {
            tamper = "body_edit";
            /* replace one lowercase letter in the first half, keeping the length */
            size_t lim = g->body.len / 2 + 1;
            size_t pos = rng_below(r, lim);
            for (size_t k = 0; k < g->body.len; k++) {
                size_t q = (pos + k) % g->body.len;
                char c = g->body.p[q];
                if (c >= 'a' && c <= 'y') {
                    g->body.p[q] = (char)(c + 1);
                    break;
                }
            }
            body_changed(g);
        } else if (tu < 0.025) {
            tamper = "footer_append";
            buf_adds(&g->body, "_______________________________________________\n"
                               "Mailing list: archive-list@lists.example.org\n"
                               "Unsubscribe: https://lists.example.org/unsubscribe\n");
            body_changed(g);
        } else if (tu < 0.035) {
            tamper = "subject_edit";
            char *o = g->hf[subj_i].raw;
            char *nw = NULL;
            if (asprintf(&nw, "Subject: [EXTERNAL] %s", o + 9) < 0) {
                die("oom");
            }
            free(o);
            g->hf[subj_i].raw = nw;
        } else if (tu < 0.042) {
            tamper = "subject_added";
            /* a second Subject on top: only signatures that over-sign Subject notice */
            hf_add(g, 1, "Subject: Re: urgent wire transfer");
        } else if (tu < 0.052) {
            tamper = "body_whitespace";
            /* trailing spaces and a doubled space: relaxed body is unchanged */
            char *nlp = memchr(g->body.p, '\n', g->body.len);
            if (nlp) {
                size_t at = (size_t)(nlp - g->body.p);
                buf_reserve(&g->body, 3);
                memmove(g->body.p + at + 3, g->body.p + at, g->body.len - at + 1);
                memcpy(g->body.p + at, " \t ", 3);
                g->body.len += 3;
            }
            char *sp = memchr(g->body.p, ' ', g->body.len);
            if (sp && sp[1] != ' ' && sp[1] != '\t' && sp[1] != '\n') {
                size_t at = (size_t)(sp - g->body.p);
                buf_reserve(&g->body, 1);
                memmove(g->body.p + at + 1, g->body.p + at, g->body.len - at + 1);
                g->body.len += 1;
            }
            body_changed(g);
        } else if (tu < 0.062) {
            tamper = "header_refold";
            /* refold Subject: relaxed header canonicalization is unchanged */
            char *o = g->hf[subj_i].raw;
            char *sp = strchr(o + 9, ' ');
            if (sp) {
                size_t at = (size_t)(sp - o);
                size_t ol = strlen(o);
                char *nw = xmalloc(ol + 3);
                memcpy(nw, o, at);
                memcpy(nw + at, "\n\t", 2);
                memcpy(nw + at + 2, o + at + 1, ol - at);
                nw[ol + 1] = 0;
                free(o);
                g->hf[subj_i].raw = nw;
            } else {
                tamper = "header_refold_noop";
            }
        } else {
            tamper = "unsigned_header_added";
            hf_add(g, 1, "X-Spam-Status: No, score=-0.1 required=5.0");
        }
    }

    /* ---- truth: recompute from the final bytes ---- */
    struct sigtruth st[2];
    uint64_t cost_body = 0, cost_hdr = 0;
    struct {
        bool rb;
        int lm;
        uint64_t l;
    } seen[4];
    int n_seen = 0;
    bool dkim_aligned_pass = false, dkim_aligned_temp = false;
    const char *from_org = org_of(w, from_dom);
    for (int s = 0; s < n_sig; s++) {
        struct sigplan *sp = &plans[n_sig - 1 - s]; /* header order: last signed is on top */
        struct sigtruth *t = &st[s];
        memset(t, 0, sizeof *t);
        t->unsigned_bytes = -1;
        t->bits = sp->key->type == K_ED25519 ? 256 : sp->key->bits;
        if (sp->fault && strcmp(sp->fault, "missing") == 0) {
            t->result = "permerror";
            t->reason = "key_not_found";
            t->bits = 0;
            continue;
        }
        if (sp->fault && strcmp(sp->fault, "revoked") == 0) {
            t->result = "permerror";
            t->reason = "key_revoked";
            t->bits = 0;
            continue;
        }
        if (sp->fault && strcmp(sp->fault, "timeout") == 0) {
            t->result = "temperror";
            t->reason = "dns_temperror";
            t->bits = 0;
            if (strcmp(org_of(w, sp->dom->name), from_org) == 0) {
                dkim_aligned_temp = true; /* it might have passed */
            }
            continue;
        }
        t->hash_body = true;
        uint64_t clen;
        char bh[48];
        body_hash(g, sp->relaxed_b, sp->l_mode, sp->l, bh, &clen);
        bool dup = false;
        for (int q = 0; q < n_seen; q++) {
            dup |= seen[q].rb == sp->relaxed_b && seen[q].lm == (sp->l_mode != 0) &&
                   seen[q].l == (sp->l_mode ? sp->l : 0);
        }
        if (!dup && n_seen < 4) {
            seen[n_seen].rb = sp->relaxed_b;
            seen[n_seen].lm = sp->l_mode != 0;
            seen[n_seen].l = sp->l_mode ? sp->l : 0;
            n_seen++;
            cost_body += sp->l_mode && sp->l < clen ? sp->l : clen;
        }
        if (sp->l_mode) {
            if (sp->l > clen) {
                t->result = "permerror";
                t->reason = "body_length_exceeds";
                continue;
            }
            t->unsigned_bytes = (int64_t)(clen - sp->l);
        }
        if (strcmp(bh, sp->bh) != 0) {
            t->result = "fail";
            t->reason = "body_hash_mismatch";
            continue;
        }
        uint8_t hd[32];
        header_digest(g, sp->hlist, sp->prefix, sp->relaxed_h, hd);
        cost_hdr += g->hbuf.len;
        t->verify_op = true;
        if (memcmp(hd, sp->hdigest, 32) != 0) {
            t->result = "fail";
            t->reason = "signature_mismatch";
            continue;
        }
        if (sp->x >= 0 && as_of > sp->x) {
            t->result = "policy";
            t->reason = "expired";
            continue;
        }
        t->result = "pass";
        t->reason = sp->key->testing ? "testing_key" : NULL;
        if (strcmp(org_of(w, sp->dom->name), from_org) == 0) {
            dkim_aligned_pass = true;
        }
    }
    const char *spf = "none";
    {
        /* the SPF record of the MAIL FROM domain (CNAMEs followed) */
        const struct spf *rec = NULL;
        struct spf none = { 0 };
        if (via_esp) {
            rec = &esp->spf; /* bounces.<esp> and u<id>.wl.<esp> include _spf.<esp> -all */
        } else {
            rec = &ad->spf;
        }
        if (!via_esp && !ad->spf.present) {
            rec = &none;
        }
        if (via_esp) {
            /* "v=spf1 include:_spf.<esp> -all" */
            const char *inner = spf_eval(w, rec, v6, ip4, ip6);
            spf = strcmp(inner, "pass") == 0 ? "pass" : "fail";
        } else {
            spf = spf_eval(w, rec, v6, ip4, ip6);
        }
    }
    bool spf_aligned_pass = strcmp(spf, "pass") == 0 &&
                            strcmp(org_of(w, mfrom_dom), from_org) == 0;
    const char *dmarc = "none", *dpol = "-";
    if (ad->has_dmarc) {
        /* RFC 9989: no aligned pass, but an aligned check failed temporarily: temperror */
        dmarc = (dkim_aligned_pass || spf_aligned_pass) ? "pass"
                : dkim_aligned_temp                     ? "temperror"
                                                        : "fail";
        int pol = ad->p;
        if (sub >= 0) {
            if (!ad->sub_exists[sub] && ad->np >= 0) {
                pol = ad->np;
            } else if (ad->sp >= 0) {
                pol = ad->sp;
            }
        }
        dpol = pol_names[pol];
    }

    /* ---- serialize: Maildir bytes (LF), straight into the chunk ---- */
    struct out *o = g->out;
    struct buf *fb = &o->files;
    size_t off = fb->len;
    for (size_t j = 0; j < g->n_hf; j++) {
        buf_adds(fb, g->hf[j].raw);
        buf_addc(fb, '\n');
    }
    buf_addc(fb, '\n');
    size_t hdr_len = fb->len - off;
    buf_add(fb, g->body.p, g->body.len);
    size_t msg_len = fb->len - off;
    o->bytes += msg_len;

    /* mboxrd: From_ line, ">*From " lines get one more '>', blank line after */
    if (g->want_mbox) {
        time_t tt = (time_t)as_of;
        struct tm tm;
        gmtime_r(&tt, &tm);
        buf_addf(&o->mbox, "From %s %s %s %2d %02d:%02d:%02d %04d\n", mfrom, wdays[tm.tm_wday],
                 mons[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 tm.tm_year + 1900);
        buf_reserve(&o->mbox, msg_len + 64);
        const char *p = fb->p + off, *end = fb->p + fb->len;
        while (p < end) {
            const char *nlp = memchr(p, '\n', (size_t)(end - p));
            const char *e = nlp ? nlp + 1 : end;
            const char *q = p;
            while (q < e && *q == '>') {
                q++;
            }
            if (e - q >= 5 && memcmp(q, "From ", 5) == 0) {
                buf_addc(&o->mbox, '>');
            }
            buf_add(&o->mbox, p, (size_t)(e - p));
            p = e;
        }
        if (msg_len && fb->p[fb->len - 1] != '\n') {
            buf_addc(&o->mbox, '\n');
        }
        buf_addc(&o->mbox, '\n');
    }
    if (o->n_fv == o->cap_fv) {
        o->cap_fv = o->cap_fv ? o->cap_fv * 2 : 64;
        o->fv = realloc(o->fv, o->cap_fv * sizeof *o->fv);
        if (o->fv == NULL) {
            die("out of memory");
        }
    }
    struct outfile *of = &o->fv[o->n_fv++];
    of->off = off;
    of->len = msg_len;
    char *fname = of->name;
    snprintf(fname, sizeof of->name, "%" PRId64 ".M%06uP%uQ%" PRIu64 ".archive01,S=%zu:2,S",
             as_of, (unsigned)rng_below(r, 1000000), 1000 + (unsigned)rng_below(r, 60000),
             idx + 1, msg_len);

    /* truth row */
    char asof[40];
    {
        time_t tt = (time_t)as_of;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(asof, sizeof asof, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    buf_addf(&o->truth, "%" PRIu64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t", idx,
             msgid, fname, from_dom, asof, mfrom_dom, ipstr, spf, dmarc, dpol, tamper,
             sub >= 0 && !ad->sub_exists[sub] ? "nx_sub" : "-");
    if (n_sig == 0) {
        buf_addc(&o->truth, '-');
    }
    for (int s = 0; s < n_sig; s++) {
        struct sigplan *sp = &plans[n_sig - 1 - s];
        struct sigtruth *t = &st[s];
        char lbuf[32] = "-", ubuf[32] = "-";
        if (sp->l_mode) {
            snprintf(lbuf, sizeof lbuf, "%" PRIu64, sp->l);
        }
        if (t->unsigned_bytes >= 0) {
            snprintf(ubuf, sizeof ubuf, "%" PRId64, t->unsigned_bytes);
        }
        buf_addf(&o->truth, "%s%s,%s,%s,%d,%s,%s,%s,%s,%s,%d", s ? ";" : "", sp->dom->name,
                 sp->sel, sp->key->type == K_ED25519 ? "ed25519-sha256" : "rsa-sha256", t->bits,
                 sp->c_tag ? sp->c_tag : "simple/simple", lbuf, ubuf, t->result,
                 t->reason ? t->reason : "-", t->verify_op ? 1 : 0);
    }
    buf_addf(&o->truth, "\t%" PRIu64 "\t%" PRIu64 "\t%zu\t%zu\n", cost_body, cost_hdr, hdr_len,
             msg_len);
    for (int s = 0; s < n_sig; s++) {
        free(plans[s].prefix);
    }
}

/* ---------- driver ---------- */

/* Messages are made in chunks of CHUNK_MSGS by the generator threads, a chunk at a time in
 * index order, and written in index order by the main thread (Maildir files, mbox, truth).
 * Every byte of a message depends only on (seed, index), so the output is the same whatever
 * the number of threads, and the mbox and the truth are written once, in order (no per-thread
 * parts to concatenate). One writer also means one thread creating files in Maildir/cur: the
 * directory's lock is not fought over, and a generator thread never waits for the disk.
 *
 * Chunk c lives in slot c % n_slots. Lock protocol: queue.mu protects next, written and every
 * slot's ready flag. A slot's buffers belong to the generator thread that claimed its chunk
 * until it sets ready, then to the writer until it advances written. A generator thread that
 * claims chunk c waits until written > c - n_slots (the slot's previous chunk is on disk), so
 * memory stays bounded by n_slots chunks. */
#define CHUNK_MSGS 16

struct slot {
    struct out out;
    bool ready;
};

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t slot_free; /* written advanced */
    pthread_cond_t slot_full; /* a slot became ready */
    uint64_t n, n_chunks;
    uint64_t next;    /* the next chunk to claim */
    uint64_t written; /* chunks [0, written) are written */
    unsigned n_slots;
    struct slot *slots;
};

struct genjob {
    struct queue *q;
    const struct world *w;
    uint64_t seed;
    double tail_share;
    size_t max_attach;
    bool mbox;
};

static void out_reset(struct out *o)
{
    o->files.len = 0;
    o->mbox.len = 0;
    o->truth.len = 0;
    o->n_fv = 0;
    o->bytes = 0;
}

static void out_cleanup(struct out *o)
{
    free(o->files.p);
    free(o->mbox.p);
    free(o->truth.p);
    free(o->fv);
}

static void *gen_thread(void *arg)
{
    struct genjob *j = arg;
    struct queue *q = j->q;
    struct gen g;
    memset(&g, 0, sizeof g);
    g.w = j->w;
    g.tail_share = j->tail_share;
    g.max_attach = j->max_attach;
    g.want_mbox = j->mbox;
    crypto_init(&g.crypto);
    for (;;) {
        pthread_mutex_lock(&q->mu);
        uint64_t c = q->next;
        if (c >= q->n_chunks) {
            pthread_mutex_unlock(&q->mu);
            break;
        }
        q->next++;
        while (c >= q->written + q->n_slots) {
            pthread_cond_wait(&q->slot_free, &q->mu);
        }
        pthread_mutex_unlock(&q->mu);
        struct slot *s = &q->slots[c % q->n_slots];
        out_reset(&s->out);
        g.out = &s->out;
        uint64_t end = (c + 1) * CHUNK_MSGS < q->n ? (c + 1) * CHUNK_MSGS : q->n;
        for (uint64_t i = c * CHUNK_MSGS; i < end; i++) {
            gen_message(&g, j->seed, i);
        }
        pthread_mutex_lock(&q->mu);
        s->ready = true;
        pthread_cond_broadcast(&q->slot_full);
        pthread_mutex_unlock(&q->mu);
    }
    crypto_cleanup(&g.crypto);
    for (size_t i = 0; i < g.n_hf; i++) {
        free(g.hf[i].raw);
    }
    free(g.hf);
    free(g.body.p);
    free(g.canon[0].p);
    free(g.canon[1].p);
    free(g.hbuf.p);
    free(g.tmp.p);
    free(g.para.p);
    return NULL;
}

static void write_all(int fd, const char *p, size_t n, const char *what)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("%s: %s", what, strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
}

struct sinks {
    int cur_fd;   /* Maildir/cur, or -1 */
    int mbox_fd;  /* or -1 */
    int truth_fd;
};

/* write_chunk: one chunk's Maildir files (open, write, close: no fsync, no tmp/ + rename,
 * as nothing reads the Maildir while it is being made), then its mbox and truth bytes. */
static void write_chunk(const struct sinks *k, const struct out *o)
{
    if (k->cur_fd >= 0) {
        for (size_t i = 0; i < o->n_fv; i++) {
            const struct outfile *f = &o->fv[i];
            int fd = openat(k->cur_fd, f->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) {
                die("Maildir/cur/%s: %s", f->name, strerror(errno));
            }
            write_all(fd, o->files.p + f->off, f->len, f->name);
            if (close(fd) != 0) {
                die("Maildir/cur/%s: %s", f->name, strerror(errno));
            }
        }
    }
    if (k->mbox_fd >= 0) {
        write_all(k->mbox_fd, o->mbox.p, o->mbox.len, "corpus.mbox");
    }
    write_all(k->truth_fd, o->truth.p, o->truth.len, "truth.tsv");
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* generate: all messages, on `threads` generator threads, written by the calling thread;
 * returns the message bytes, and in *out_write_s the time the writer spent writing (the
 * rest it waited for the generators). */
static uint64_t generate(const struct genjob *proto, int threads, uint64_t n,
                         const struct sinks *k, double *out_write_s)
{
    struct queue q = { .n = n, .n_chunks = (n + CHUNK_MSGS - 1) / CHUNK_MSGS };
    q.n_slots = 4 * (unsigned)threads;
    q.slots = calloc(q.n_slots, sizeof *q.slots);
    if (q.slots == NULL) {
        die("out of memory");
    }
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.slot_free, NULL);
    pthread_cond_init(&q.slot_full, NULL);
    struct genjob job = *proto;
    job.q = &q;
    pthread_t th[64];
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&th[t], NULL, gen_thread, &job) != 0) {
            die("pthread_create failed");
        }
    }
    uint64_t bytes = 0;
    for (uint64_t c = 0; c < q.n_chunks; c++) {
        struct slot *s = &q.slots[c % q.n_slots];
        pthread_mutex_lock(&q.mu);
        while (!s->ready) {
            pthread_cond_wait(&q.slot_full, &q.mu);
        }
        pthread_mutex_unlock(&q.mu);
        struct timespec tw;
        clock_gettime(CLOCK_MONOTONIC, &tw);
        write_chunk(k, &s->out);
        *out_write_s += seconds_since(&tw);
        bytes += s->out.bytes;
        pthread_mutex_lock(&q.mu);
        s->ready = false;
        q.written = c + 1;
        pthread_cond_broadcast(&q.slot_free);
        pthread_mutex_unlock(&q.mu);
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
    }
    for (unsigned i = 0; i < q.n_slots; i++) {
        out_cleanup(&q.slots[i].out);
    }
    free(q.slots);
    pthread_cond_destroy(&q.slot_free);
    pthread_cond_destroy(&q.slot_full);
    pthread_mutex_destroy(&q.mu);
    return bytes;
}

static void usage(void)
{
    fputs("usage: corpusgen --out DIR [--n N] [--seed S] [--threads T] [--domains D]\n"
          "                 [--tail-share P] [--max-attach BYTES] [--key-cache DIR]\n"
          "                 [--no-maildir] [--no-mbox]\n"
          "       corpusgen --version   (the generator version that meta.json records)\n"
          "Keys are deterministic for (seed, domains) and cached as PEM\n"
          "(DIR/keys-sSEED-dD-vK.pem, default OUT/keys.cache.pem): a later run with other N\n"
          "reuses them. Writes OUT/corpus.mbox, OUT/Maildir/cur/, OUT/keys.zone, OUT/truth.tsv,\n"
          "OUT/meta.json. Deterministic for (N, seed, domains, tail-share, max-attach), whatever\n"
          "the number of threads.\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    uint64_t n = 1000, seed = 1;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN), n_dom = 300;
    double tail_share = 0.015;
    size_t max_attach = 6u << 20;
    bool maildir = true, mbox = true;
    const char *key_cache = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--out") == 0 && v) {
            out = v;
            i++;
        } else if (strcmp(a, "--n") == 0 && v) {
            n = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            seed = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--threads") == 0 && v) {
            threads = atoi(v);
            i++;
        } else if (strcmp(a, "--domains") == 0 && v) {
            n_dom = atoi(v);
            i++;
        } else if (strcmp(a, "--tail-share") == 0 && v) {
            tail_share = atof(v);
            i++;
        } else if (strcmp(a, "--max-attach") == 0 && v) {
            max_attach = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--key-cache") == 0 && v) {
            key_cache = v;
            i++;
        } else if (strcmp(a, "--no-maildir") == 0) {
            maildir = false;
        } else if (strcmp(a, "--no-mbox") == 0) {
            mbox = false;
        } else if (strcmp(a, "--version") == 0) {
            printf("corpusgen %d\n", CORPUSGEN_VERSION);
            return 0;
        } else {
            usage();
        }
    }
    if (out == NULL || n_dom < 4 || threads < 1 || max_attach < 1024) {
        usage();
    }
    if (threads > 64) {
        threads = 64;
    }
    char path[4096];
    mkdir(out, 0755);
    snprintf(path, sizeof path, "%s/Maildir", out);
    mkdir(path, 0755);
    const char *subs[] = { "cur", "new", "tmp" };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/Maildir/%s", out, subs[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            die("%s: %s", path, strerror(errno));
        }
    }
    /* meta.json is written last: a corpus without it is incomplete (bench.py regenerates) */
    snprintf(path, sizeof path, "%s/meta.json", out);
    if (unlink(path) != 0 && errno != ENOENT) {
        die("%s: %s", path, strerror(errno));
    }
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct world w;
    char kc[4200];
    if (key_cache == NULL) {
        snprintf(kc, sizeof kc, "%s/keys.cache.pem", out);
    } else {
        snprintf(kc, sizeof kc, "%s/keys-s%" PRIu64 "-d%d-v%d.pem", key_cache, seed, n_dom,
                 CORPUSGEN_KEYS_VERSION);
    }
    world_build(&w, seed, n_dom, 12, threads, kc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    snprintf(path, sizeof path, "%s/keys.zone", out);
    world_zone(&w, path);

    struct sinks sk = { .cur_fd = -1, .mbox_fd = -1, .truth_fd = -1 };
    if (maildir) {
        snprintf(path, sizeof path, "%s/Maildir/cur", out);
        sk.cur_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sk.cur_fd < 0) {
            die("%s: %s", path, strerror(errno));
        }
    }
    snprintf(path, sizeof path, "%s/corpus.mbox", out);
    if (mbox) {
        sk.mbox_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (sk.mbox_fd < 0) {
            die("%s: %s", path, strerror(errno));
        }
    } else if (unlink(path) != 0 && errno != ENOENT) {
        die("%s: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/truth.tsv", out);
    sk.truth_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (sk.truth_fd < 0) {
        die("%s: %s", path, strerror(errno));
    }
    static const char hdr[] =
        "#index\tmessage_id\tmaildir_file\tfrom_domain\tas_of\tmail_from_domain\tclient_ip\t"
        "spf\tdmarc\tdmarc_policy\ttamper\tnote\tdkim\tcost_body_bytes\tcost_header_bytes\t"
        "header_bytes\tmessage_bytes\n"
        "#dkim: ';'-separated signatures in header order, each "
        "d,s,a,bits,c,l,unsigned_body_bytes,result,reason,verify_op\n";
    write_all(sk.truth_fd, hdr, sizeof hdr - 1, "truth.tsv");
    struct genjob job = { .w = &w, .seed = seed, .tail_share = tail_share,
                          .max_attach = max_attach, .mbox = mbox };
    double write_s = 0;
    uint64_t bytes = generate(&job, threads, n, &sk, &write_s);
    if ((sk.cur_fd >= 0 && close(sk.cur_fd) != 0) || (sk.mbox_fd >= 0 && close(sk.mbox_fd) != 0) ||
        close(sk.truth_fd) != 0) {
        die("%s: closing the output: %s", out, strerror(errno));
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double kt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double mt = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
    snprintf(path, sizeof path, "%s/meta.json", out);
    FILE *mf = fopen(path, "w");
    if (mf == NULL) {
        die("%s: %s", path, strerror(errno));
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    fprintf(mf,
            "{\"generator_version\": %d, \"n\": %" PRIu64 ", \"seed\": %" PRIu64
            ", \"domains\": %d, \"services\": 12, \"tail_share\": %g, \"max_attach\": %zu, "
            "\"maildir\": %s, \"mbox\": %s, \"message_bytes\": %" PRIu64
            ", \"keygen_seconds\": %.2f, \"message_seconds\": %.2f, \"write_seconds\": %.2f, "
            "\"cpu_seconds\": %.2f, \"threads\": %d}\n",
            CORPUSGEN_VERSION, n, seed, n_dom, tail_share, max_attach, maildir ? "true" : "false",
            mbox ? "true" : "false", bytes, kt, mt, write_s, cpu, threads);
    if (fclose(mf) != 0) {
        die("%s: write failed", path);
    }
    world_free(&w);
    fprintf(stderr,
            "corpusgen %d: %" PRIu64 " messages, %.1f MB, keys %.1fs, messages %.1fs "
            "(%.0f messages/s; writing %.1fs of it), CPU %.1fs\n",
            CORPUSGEN_VERSION, n, (double)bytes / 1e6, kt, mt, mt > 0 ? (double)n / mt : 0.0,
            write_s, cpu);
    return 0;
}
