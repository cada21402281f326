/* fuzz_keyder: sig_key_parse on DER key bytes (the p= value once base64-decoded), with the
 * direct RSAPublicKey parse that feeds the IFMA operation (sig.c's rsa_inner_fast) and with
 * OpenSSL's parser alone (sig_fast_rsa(false)): both must give the same status and, for a
 * usable key, the same size, whatever the bytes (SPKI or bare RSAPublicKey, odd INTEGER
 * encodings, trailing bytes). For a key both take, a signature block made from the input
 * must get the same verdict from both (in practice: both refuse it). Where the CPU has no
 * IFMA both runs are OpenSSL's. */
#include <string.h>

#include "engine/verify/sig.h"
#include "tests/fuzz/fuzz.h"

int fuzz_keyder_one(const uint8_t *data, size_t size)
{
    struct sig_key *f = NULL, *o = NULL;
    unsigned bf = 0, bo = 0;
    slice der = slice_make(data, size);
    sig_fast_rsa(false);
    enum sig_key_status so = sig_key_parse(SIG_KEY_RSA, der, &o, &bo);
    sig_fast_rsa(true);
    enum sig_key_status sf = sig_key_parse(SIG_KEY_RSA, der, &f, &bf);
    FUZZ_CHECK(sf == so);
    FUZZ_CHECK((f != NULL) == (sf == SIG_KEY_OK) && (o != NULL) == (so == SIG_KEY_OK));
    if (so == SIG_KEY_OK || so == SIG_KEY_BAD_EXPONENT) {
        FUZZ_CHECK(bf == bo);
    }
    if (f != NULL && o != NULL) {
        uint8_t dg[32], sg[512];
        size_t sl = (bf + 7) / 8 <= sizeof sg ? (bf + 7) / 8 : sizeof sg;
        memset(dg, 0x42, sizeof dg);
        for (size_t i = 0; i < sl; i++) {
            sg[i] = size ? data[i % size] : 0;
        }
        slice s = slice_make(sg, sl);
        FUZZ_CHECK(sig_verify(f, SIG_SHA256, dg, sizeof dg, s) ==
                   sig_verify(o, SIG_SHA256, dg, sizeof dg, s));
    }
    sig_key_free(f);
    sig_key_free(o);
    return 0;
}

FUZZ_ENTRY(fuzz_keyder_one)
