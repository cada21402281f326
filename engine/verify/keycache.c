#include "engine/verify/keycache.h"

#include "engine/core/counter.h"

#include <stdatomic.h>
#include <string.h>

#include "engine/core/arena.h"
#include "engine/core/b64.h"
#include "engine/core/shmap.h"
#include "engine/core/limits.h"

struct keycache {
    struct shmap *map;
    struct counter hits, misses, memo_hits;
};

static void entry_free(struct keycache_entry *e)
{
    sig_key_free(e->key);
    xfree((void *)e->text.ptr);
    xfree(e);
}

static void entry_free_v(void *p)
{
    entry_free(p);
}

struct keycache *keycache_new(void)
{
    struct keycache *kc = xcalloc(1, sizeof(*kc));
    kc->map = shmap_new(KEYCACHE_MAX_ENTRIES, entry_free_v);
    return kc;
}

void keycache_free(struct keycache *kc)
{
    if (kc == NULL) {
        return;
    }
    shmap_free(kc->map);
    xfree(kc);
}

/* entry_build parses a record: the slow part, done outside any lock. */
static struct keycache_entry *entry_build(slice txt)
{
    struct keycache_entry *e = xcalloc(1, sizeof(*e));
    e->text = xdup(txt);
    struct arena *a = arena_new(4096);
    struct keyrec rec;
    keyrec_parse(a, &rec, e->text);
    /* rec's slices point into e->text (tag values are sub-slices), except for static
     * detail strings: both outlive the arena. */
    e->rec = rec;
    switch (rec.status) {
    case KEYREC_OK:
        break;
    case KEYREC_SYNTAX:
        e->status = KC_KEY_SYNTAX;
        goto out;
    case KEYREC_REVOKED:
        e->status = KC_KEY_REVOKED;
        goto out;
    case KEYREC_UNKNOWN_TYPE:
        e->status = KC_KEY_UNKNOWN_TYPE;
        goto out;
    }
    size_t cap = b64_decoded_max(rec.p.len);
    uint8_t *der = arena_alloc(a, cap);
    size_t der_len;
    if (!b64_decode(der, cap, &der_len, rec.p)) {
        e->status = KC_KEY_SYNTAX;
        e->rec.detail = SLICE_LIT("p= is not valid base64");
        goto out;
    }
    switch (sig_key_parse(rec.type, slice_make(der, der_len), &e->key, &e->bits)) {
    case SIG_KEY_OK:
        e->status = KC_KEY_OK;
        break;
    case SIG_KEY_BAD:
        e->status = KC_KEY_SYNTAX;
        e->rec.detail = SLICE_LIT("p= does not hold a public key of the k= type");
        break;
    case SIG_KEY_WRONG_TYPE:
        e->status = KC_KEY_WRONG_TYPE;
        break;
    case SIG_KEY_BAD_EXPONENT:
        e->status = KC_KEY_SYNTAX;
        e->rec.detail = SLICE_LIT("RSA public exponent over 64 bits: refused unverified");
        break;
    }
out:
    arena_free(a);
    return e;
}

const struct keycache_entry *keycache_get(struct keycache *kc, slice txt)
{
    uint64_t h = shmap_hash(txt);
    struct keycache_entry *e = shmap_get(kc->map, txt, h);
    if (e != NULL) {
        counter_add(&kc->hits, 1);
        return e;
    }
    counter_add(&kc->misses, 1);
    struct keycache_entry *ne = entry_build(txt);
    e = shmap_put(kc->map, txt, h, ne);
    if (e == NULL) { /* the cache is full: the caller frees this one */
        ne->owned = true;
        return ne;
    }
    return e;
}

void keycache_put(const struct keycache_entry *e)
{
    if (e != NULL && e->owned) {
        entry_free((struct keycache_entry *)e);
    }
}

void keycache_memo_hit(struct keycache *kc)
{
    counter_add(&kc->memo_hits, 1);
}

void keycache_stats(const struct keycache *kc, uint64_t *out_hits, uint64_t *out_misses)
{
    *out_hits = counter_get(&kc->hits) + counter_get(&kc->memo_hits);
    *out_misses = counter_get(&kc->misses);
}
