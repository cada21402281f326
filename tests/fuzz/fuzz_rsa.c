/* fuzz_rsa: engine/verify/rsa_ifma.c, authsweep's own RSA public operation (RFC 8017
 * §5.2.2 RSAVP1), against OpenSSL's BN_mod_exp. The fuzzer picks the modulus (made odd,
 * with its top bit set: 1024 to 4096 bits), the exponent and the signature representative;
 * every result must equal OpenSSL's byte for byte, and an s >= n must be refused with the
 * output untouched. Limb patterns (runs of ones, carries across every lane) are what a
 * fuzzer finds and random tests miss. Where the CPU has no AVX-512 IFMA, key_new must
 * refuse every key. */
#include <openssl/bn.h>
#include <string.h>

#include "engine/verify/rsa_ifma.h"
#include "tests/fuzz/fuzz.h"

#define RSA_FUZZ_MAX 512 /* bytes: 4096 bits */

int fuzz_rsa_one(const uint8_t *data, size_t size)
{
    if (size < 4) {
        return 0;
    }
    /* data[0..1]: modulus length, 128..512 bytes; data[2]: exponent length, 1..8 bytes. */
    size_t nlen = 128 + (((size_t)data[0] << 8) | data[1]) % (RSA_FUZZ_MAX - 128 + 1);
    size_t elen = 1 + data[2] % 8;
    const uint8_t *p = data + 3;
    size_t left = size - 3;
    if (left <= elen) {
        return 0;
    }
    uint64_t e = 0;
    for (size_t i = 0; i < elen; i++) {
        e = e << 8 | p[i];
    }
    p += elen;
    left -= elen;
    /* The modulus: the next nlen bytes, the input repeated if it is shorter. */
    uint8_t n[RSA_FUZZ_MAX], s[RSA_FUZZ_MAX + 1], out[RSA_FUZZ_MAX], ref[RSA_FUZZ_MAX];
    for (size_t i = 0; i < nlen; i++) {
        n[i] = p[i % left];
    }
    n[0] |= 0x80;
    n[nlen - 1] |= 1;
    size_t used = left < nlen ? left : nlen;
    p += used;
    left -= used;
    size_t slen = left < nlen ? left : nlen; /* the rest: s, at most nlen bytes */
    if (slen > 0) {
        memcpy(s, p, slen);
    }

    struct rsa_ifma_key *k = rsa_ifma_key_new(n, nlen, e);
    if (!rsa_ifma_available() || e < 3 || e % 2 == 0) {
        FUZZ_CHECK(k == NULL);
        return 0;
    }
    FUZZ_CHECK(k != NULL);
    FUZZ_CHECK(rsa_ifma_key_bytes(k) == nlen);

    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *bs = BN_bin2bn(s, (int)slen, NULL);
    BIGNUM *be = BN_new(), *br = BN_new();
    FUZZ_CHECK(ctx && bn && bs && be && br && BN_set_word(be, e) == 1);
    memset(out, 0xa5, sizeof(out));
    bool ok = rsa_ifma_public(k, s, slen, out);
    bool in_range = BN_cmp(bs, bn) < 0;
    FUZZ_CHECK(ok == in_range);
    if (ok) {
        FUZZ_CHECK(BN_mod_exp(br, bs, be, bn, ctx) == 1);
        FUZZ_CHECK(BN_bn2binpad(br, ref, (int)nlen) == (int)nlen);
        FUZZ_CHECK(memcmp(out, ref, nlen) == 0);
    } else {
        for (size_t i = 0; i < sizeof(out); i++) {
            FUZZ_CHECK(out[i] == 0xa5);
        }
    }
    /* One byte longer than the key: refused, whatever its value (RFC 8017 §8.2.2 step 1). */
    memmove(s + 1, s, slen);
    s[0] = 0;
    if (slen + 1 > nlen) {
        FUZZ_CHECK(!rsa_ifma_public(k, s, slen + 1, out));
    }
    BN_free(br);
    BN_free(be);
    BN_free(bs);
    BN_free(bn);
    BN_CTX_free(ctx);
    rsa_ifma_key_free(k);
    return 0;
}

FUZZ_ENTRY(fuzz_rsa_one)
