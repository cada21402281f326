/* primitives: the public-key verify costs authsweep itself pays (engine/verify/sig.c: the
 * IFMA RSA operation where the CPU has it, libsodium's Ed25519), per operation, on this
 * machine, as JSON:
 *
 *     primitives [SECONDS]      {"backend": "...", "rsa1024": s, ..., "ed25519": s}
 *
 * bench.py prices the corpus's verifications with these beside `openssl speed`'s, for the
 * ceiling a verifier paying authsweep's own prices could reach against each peer. Each
 * figure is the time of sig_verify on a good signature (the whole check: the public
 * operation and the encode-and-compare), the best of three windows that together last
 * SECONDS (default 1) per key size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/slice.h"
#include "engine/verify/sig.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* per_op returns the seconds one sig_verify takes with a fresh key of the type and size. */
static double per_op(enum sig_key_type type, unsigned bits, double seconds)
{
    struct sig_privkey *pk = sig_privkey_generate(type, bits);
    uint8_t der[1024], dg[32], sg[1024];
    size_t dn = pk ? sig_privkey_public_der(pk, der, sizeof der) : 0;
    memset(dg, 0xa5, sizeof dg);
    size_t sl = dn ? sig_sign(pk, SIG_SHA256, dg, sizeof dg, sg, sizeof sg) : 0;
    struct sig_key *k = NULL;
    unsigned kb = 0;
    if (sl == 0 || sig_key_parse(type, slice_make(der, dn), &k, &kb) != SIG_KEY_OK ||
        !sig_verify(k, SIG_SHA256, dg, sizeof dg, slice_make(sg, sl))) {
        fprintf(stderr, "primitives: %u-bit key failed\n", bits);
        exit(1);
    }
    /* The best of three windows: on a shared machine another job only ever adds time. */
    double best = 0;
    for (int w = 0; w < 3; w++) {
        unsigned long n = 0;
        double t0 = now(), t1;
        do {
            for (int i = 0; i < 64; i++) {
                if (!sig_verify(k, SIG_SHA256, dg, sizeof dg, slice_make(sg, sl))) {
                    exit(1);
                }
            }
            n += 64;
            t1 = now();
        } while (t1 - t0 < seconds / 3);
        double per = (t1 - t0) / (double)n;
        if (w == 0 || per < best) {
            best = per;
        }
    }
    sig_key_free(k);
    sig_privkey_free(pk);
    return best;
}

int main(int argc, char **argv)
{
    double s = argc > 1 ? atof(argv[1]) : 1.0;
    printf("{\"backend\": \"%s\", \"rsa1024\": %.4g, \"rsa2048\": %.4g, \"rsa4096\": %.4g, "
           "\"ed25519\": %.4g}\n",
           sig_rsa_backend(), per_op(SIG_KEY_RSA, 1024, s), per_op(SIG_KEY_RSA, 2048, s),
           per_op(SIG_KEY_RSA, 4096, s), per_op(SIG_KEY_ED25519, 256, s));
    return 0;
}
