/* RSA verification through sig.c with the AVX-512 IFMA public operation (rsa_ifma.c)
 * against the same keys verified by OpenSSL (sig_fast_rsa(false)): every verdict must be the
 * same, for good signatures and for every kind of bad one (RFC 8017 §8.2.2). Skipped where
 * the CPU has no IFMA (both sides would be OpenSSL). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/slice.h"
#include "engine/verify/rsa_ifma.h"
#include "engine/verify/sig.h"

struct pair {
    struct sig_key *fast, *ossl;
    unsigned bits;
};

static struct pair key_pair(const struct sig_privkey *pk)
{
    uint8_t der[2048];
    size_t n = sig_privkey_public_der(pk, der, sizeof der);
    cr_assert_gt(n, 0);
    struct pair p;
    unsigned bits2 = 0;
    sig_fast_rsa(false);
    cr_assert_eq(sig_key_parse(SIG_KEY_RSA, slice_make(der, n), &p.ossl, &bits2), SIG_KEY_OK);
    sig_fast_rsa(true);
    cr_assert_eq(sig_key_parse(SIG_KEY_RSA, slice_make(der, n), &p.fast, &p.bits), SIG_KEY_OK);
    cr_assert_eq(p.bits, bits2);
    return p;
}

/* check verifies (digest, sig) with both keys, plain and through a verifier, and wants the
 * same answer from all four, equal to `want` when want >= 0. */
static void check(const struct pair *p, struct sig_verifier *v, enum sig_hash_alg alg,
                  const uint8_t *dg, size_t dl, const uint8_t *sg, size_t sl, int want,
                  const char *what)
{
    slice s = slice_make(sg, sl);
    bool a = sig_verify(p->fast, alg, dg, dl, s);
    bool b = sig_verify(p->ossl, alg, dg, dl, s);
    bool c = sig_verifier_verify(v, p->fast, alg, dg, dl, s);
    bool d = sig_verifier_verify(v, p->ossl, alg, dg, dl, s);
    cr_assert(a == b && b == c && c == d, "%u bits, %s: ifma %d/%d, openssl %d/%d", p->bits,
              what, a, c, b, d);
    if (want >= 0) {
        cr_assert_eq(a, want == 1, "%u bits, %s: %d", p->bits, what, a);
    }
}

static void run_sizes(enum sig_hash_alg alg)
{
    static const unsigned sizes[] = { 1024, 2048, 3072, 4096 };
    struct sig_verifier *v = sig_verifier_new();
    uint8_t dg[32], sg[1024];
    size_t dl = alg == SIG_SHA1 ? 20 : 32;
    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
        struct sig_privkey *pk = sig_privkey_generate(SIG_KEY_RSA, sizes[z]);
        cr_assert_not_null(pk);
        struct pair p = key_pair(pk);
        for (unsigned t = 0; t < 24; t++) {
            for (size_t i = 0; i < dl; i++) {
                dg[i] = (uint8_t)(t * 131 + i * 7 + z);
            }
            size_t sl = sig_sign(pk, alg, dg, dl, sg, sizeof sg);
            cr_assert_eq(sl, sizes[z] / 8);
            check(&p, v, alg, dg, dl, sg, sl, 1, "good");
            uint8_t bad[1024];
            memcpy(bad, sg, sl);
            bad[t % sl] ^= (uint8_t)(1u << (t % 8));
            check(&p, v, alg, dg, dl, bad, sl, 0, "a bit of the signature flipped");
            uint8_t dg2[32];
            memcpy(dg2, dg, dl);
            dg2[t % dl] ^= 0x80;
            check(&p, v, alg, dg2, dl, sg, sl, 0, "another digest");
            check(&p, v, alg, dg, dl, sg, sl - 1, 0, "one byte short");
            memcpy(bad + 1, sg, sl);
            bad[0] = 0;
            check(&p, v, alg, dg, dl, bad, sl + 1, 0, "a zero byte in front");
            memset(bad, 0xff, sl);
            check(&p, v, alg, dg, dl, bad, sl, 0, "all ones (>= n)");
            memset(bad, 0, sl);
            check(&p, v, alg, dg, dl, bad, sl, 0, "zero");
            bad[sl - 1] = 1;
            check(&p, v, alg, dg, dl, bad, sl, 0, "one");
            check(&p, v, alg == SIG_SHA1 ? SIG_SHA256 : SIG_SHA1, dg, alg == SIG_SHA1 ? 32 : 20,
                  sg, sl, 0, "the other hash algorithm");
        }
        sig_key_free(p.fast);
        sig_key_free(p.ossl);
        sig_privkey_free(pk);
    }
    sig_verifier_free(v);
}

Test(sig_rsa, ifma_and_openssl_agree_sha256)
{
    if (!rsa_ifma_available()) {
        cr_skip_test("no AVX-512 IFMA on this CPU");
    }
    cr_assert_str_eq(sig_rsa_backend(), "avx512-ifma");
    run_sizes(SIG_SHA256);
}

Test(sig_rsa, ifma_and_openssl_agree_sha1)
{
    if (!rsa_ifma_available()) {
        cr_skip_test("no AVX-512 IFMA on this CPU");
    }
    run_sizes(SIG_SHA1);
}

Test(sig_rsa, turned_off_means_openssl)
{
    sig_fast_rsa(false);
    cr_assert_str_eq(sig_rsa_backend(), "openssl");
    sig_fast_rsa(true);
}

/* ---- key parsing: the direct RSAPublicKey parse (IFMA keys) against OpenSSL's ---------- */

/* der_put writes tag, a DER length and the content; returns the new end. */
static uint8_t *der_put(uint8_t *o, uint8_t tag, const uint8_t *c, size_t n, bool long_len)
{
    *o++ = tag;
    if (n < 0x80 && !long_len) {
        *o++ = (uint8_t)n;
    } else if (n < 0x100) {
        *o++ = 0x81;
        *o++ = (uint8_t)n;
    } else {
        *o++ = 0x82;
        *o++ = (uint8_t)(n >> 8);
        *o++ = (uint8_t)n;
    }
    memmove(o, c, n);
    return o + n;
}

/* rsa_pub builds RSAPublicKey { n, e } from magnitudes, each INTEGER's content given whole
 * (the caller adds or leaves out sign bytes), optionally wrapped in a SubjectPublicKeyInfo. */
static size_t rsa_pub(uint8_t *out, const uint8_t *n, size_t nl, const uint8_t *e, size_t el,
                      bool spki, const uint8_t *tail, size_t tl)
{
    uint8_t ints[1200], *o = ints;
    o = der_put(o, 0x02, n, nl, false);
    o = der_put(o, 0x02, e, el, false);
    if (tl > 0) {
        memcpy(o, tail, tl);
    }
    o += tl;
    uint8_t seq[1300];
    size_t sl = (size_t)(der_put(seq, 0x30, ints, (size_t)(o - ints), false) - seq);
    if (!spki) {
        memcpy(out, seq, sl);
        return sl;
    }
    static const uint8_t alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                   0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
    uint8_t bits[1400], body[1500];
    bits[0] = 0;
    memcpy(bits + 1, seq, sl);
    uint8_t *b = body;
    memcpy(b, alg, sizeof alg);
    b += sizeof alg;
    b = der_put(b, 0x03, bits, sl + 1, false);
    return (size_t)(der_put(out, 0x30, body, (size_t)(b - body), false) - out);
}

/* parse_both parses der with the fast path on and off: same status, same bits, and when
 * both take the key, the same verdict on a good signature and on a flipped one. */
static void parse_both(const uint8_t *der, size_t n, const struct sig_privkey *pk,
                       const char *what)
{
    struct sig_key *f = NULL, *o = NULL;
    unsigned bf = 0, bo = 0;
    sig_fast_rsa(false);
    enum sig_key_status so = sig_key_parse(SIG_KEY_RSA, slice_make(der, n), &o, &bo);
    sig_fast_rsa(true);
    enum sig_key_status sf = sig_key_parse(SIG_KEY_RSA, slice_make(der, n), &f, &bf);
    cr_assert_eq(sf, so, "%s: fast %d, openssl %d", what, sf, so);
    if (so == SIG_KEY_OK || so == SIG_KEY_BAD_EXPONENT) {
        cr_assert_eq(bf, bo, "%s: %u bits against %u", what, bf, bo);
    }
    if (so == SIG_KEY_OK) {
        uint8_t dg[32], sg[512];
        memset(dg, 0x5a, sizeof dg);
        size_t sl = sig_sign(pk, SIG_SHA256, dg, sizeof dg, sg, sizeof sg);
        bool a = sig_verify(f, SIG_SHA256, dg, sizeof dg, slice_make(sg, sl));
        bool b = sig_verify(o, SIG_SHA256, dg, sizeof dg, slice_make(sg, sl));
        cr_assert_eq(a, b, "%s: good signature: fast %d, openssl %d", what, a, b);
        sg[7] ^= 1;
        a = sig_verify(f, SIG_SHA256, dg, sizeof dg, slice_make(sg, sl));
        b = sig_verify(o, SIG_SHA256, dg, sizeof dg, slice_make(sg, sl));
        cr_assert_eq(a, b, "%s: bad signature: fast %d, openssl %d", what, a, b);
    }
    sig_key_free(f);
    sig_key_free(o);
}

Test(sig_rsa, direct_key_parse_agrees_with_openssl_on_every_encoding)
{
    if (!rsa_ifma_available()) {
        cr_skip_test("no AVX-512 IFMA on this CPU");
    }
    struct sig_privkey *pk = sig_privkey_generate(SIG_KEY_RSA, 2048);
    cr_assert_not_null(pk);
    uint8_t spki[1024];
    size_t sn = sig_privkey_public_der(pk, spki, sizeof spki);
    cr_assert_gt(sn, 0);
    parse_both(spki, sn, pk, "the key as generated");
    /* n's magnitude: the 256 bytes after the 0x00 sign byte, found by its INTEGER header
     * 02 82 01 01 00 in the generated SPKI. */
    const uint8_t *n = NULL;
    for (size_t i = 0; i + 5 < sn; i++) {
        if (spki[i] == 0x02 && spki[i + 1] == 0x82 && spki[i + 2] == 0x01 &&
            spki[i + 3] == 0x01 && spki[i + 4] == 0x00) {
            n = spki + i + 5;
            break;
        }
    }
    cr_assert_not_null(n);
    uint8_t nz[258] = { 0 }, nzz[258] = { 0 }, der[1600];
    memcpy(nz + 1, n, 256);  /* 00 || n: the minimal form */
    memcpy(nzz + 2, n, 256); /* 00 00 || n: a redundant zero */
    static const uint8_t e65537[] = { 0x01, 0x00, 0x01 }, e3[] = { 0x03 },
                         e0[] = { 0x00 }, e_even[] = { 0x01, 0x00, 0x00 },
                         e_neg[] = { 0x81, 0x00, 0x01 }, e_pad[] = { 0x00, 0x01, 0x00, 0x01 },
                         e_big[] = { 0x01, 0, 0, 0, 0, 0, 0, 0, 0x01 },
                         e_64[] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
                         junk[] = { 0x05, 0x00 };
    struct {
        const char *what;
        const uint8_t *n, *e;
        size_t nl, el;
        const uint8_t *tail;
        size_t tl;
    } cases[] = {
        { "e=65537", nz, e65537, 257, 3, NULL, 0 },
        { "e=3", nz, e3, 257, 1, NULL, 0 },
        { "e=0", nz, e0, 257, 1, NULL, 0 },
        { "even e", nz, e_even, 257, 3, NULL, 0 },
        { "negative e", nz, e_neg, 257, 3, NULL, 0 },
        { "e with a redundant zero", nz, e_pad, 257, 4, NULL, 0 },
        { "e over 64 bits", nz, e_big, 257, 9, NULL, 0 },
        { "e = 2^64 - 1", nz, e_64, 257, 9, NULL, 0 },
        { "n with a redundant zero", nzz, e65537, 258, 3, NULL, 0 },
        { "negative n (no sign byte)", nz + 1, e65537, 256, 3, NULL, 0 },
        { "n one byte short (even, 2040 bits)", nz, e65537, 256, 3, NULL, 0 },
        { "a third element", nz, e65537, 257, 3, junk, 2 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int wrap = 0; wrap < 2; wrap++) {
            char what[128];
            snprintf(what, sizeof what, "%s, %s", cases[c].what,
                     wrap ? "in a SubjectPublicKeyInfo" : "bare RSAPublicKey");
            size_t dn = rsa_pub(der, cases[c].n, cases[c].nl, cases[c].e, cases[c].el, wrap,
                                cases[c].tail, cases[c].tl);
            parse_both(der, dn, pk, what);
            /* trailing bytes after the whole key */
            der[dn] = 0;
            snprintf(what, sizeof what, "%s, %s, a byte after it", cases[c].what,
                     wrap ? "in a SubjectPublicKeyInfo" : "bare RSAPublicKey");
            parse_both(der, dn + 1, pk, what);
        }
    }
    sig_privkey_free(pk);
}
