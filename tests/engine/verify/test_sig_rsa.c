/* RSA verification through sig.c with the AVX-512 IFMA public operation (rsa_ifma.c)
 * against the same keys verified by OpenSSL (sig_fast_rsa(false)): every verdict must be the
 * same, for good signatures and for every kind of bad one (RFC 8017 §8.2.2). Skipped where
 * the CPU has no IFMA (both sides would be OpenSSL). */
#include <criterion/criterion.h>
#include <stdint.h>
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
