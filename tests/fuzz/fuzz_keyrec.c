/* fuzz_keyrec: DKIM key records (keyrec_parse), then the key cache (keycache_get), so the
 * base64 decoding and OpenSSL's DER/raw key parsing run on the p= bytes too. */
#include "engine/verify/keycache.h"
#include "engine/verify/keyrec.h"
#include "tests/fuzz/fuzz.h"

int fuzz_keyrec_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    slice txt = slice_make(data, size);
    struct keyrec rec;
    keyrec_parse(a, &rec, txt);
    switch (rec.status) {
    case KEYREC_OK:
    case KEYREC_SYNTAX:
    case KEYREC_REVOKED:
    case KEYREC_UNKNOWN_TYPE:
        break;
    default:
        FUZZ_CHECK(!"keyrec status out of range");
    }
    for (size_t k = 0; k < rec.detail.len; k++) {
        (void)*(volatile const uint8_t *)(rec.detail.ptr + k);
    }

    /* A cache per input: parse, hit, release, and free every run (leaks show up at once). */
    struct keycache *kc = keycache_new();
    const struct keycache_entry *e = keycache_get(kc, txt);
    FUZZ_CHECK(e != NULL);
    FUZZ_CHECK((e->key != NULL) == (e->status == KC_KEY_OK));
    if (e->status == KC_KEY_OK) {
        FUZZ_CHECK(e->bits > 0);
        FUZZ_CHECK(rec.status == KEYREC_OK);
    }
    if (rec.status == KEYREC_REVOKED) {
        FUZZ_CHECK(e->status == KC_KEY_REVOKED);
    }
    if (rec.status == KEYREC_SYNTAX) {
        FUZZ_CHECK(e->status == KC_KEY_SYNTAX);
    }
    if (rec.status == KEYREC_UNKNOWN_TYPE) {
        FUZZ_CHECK(e->status == KC_KEY_UNKNOWN_TYPE);
    }
    const struct keycache_entry *e2 = keycache_get(kc, txt);
    FUZZ_CHECK(e2 != NULL && e2->status == e->status && e2->bits == e->bits);
    if (!e->owned) {
        FUZZ_CHECK(e2 == e); /* the second lookup is a hit */
    }
    uint64_t hits = 0, misses = 0;
    keycache_stats(kc, &hits, &misses);
    FUZZ_CHECK(hits + misses == 2);
    keycache_put(e2);
    keycache_put(e);
    keycache_free(kc);
    return 0;
}

FUZZ_ENTRY(fuzz_keyrec_one)
