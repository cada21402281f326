#include "engine/verify/keycache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "engine/core/arena.h"
#include "engine/core/b64.h"
#include "engine/core/limits.h"

struct keycache_shard {
    pthread_mutex_t lock;
    struct keycache_entry **buckets;
    size_t n_buckets;
    size_t n;
};

struct keycache {
    struct keycache_shard shard[KEYCACHE_SHARDS];
    atomic_size_t entries;
    atomic_uint_fast64_t hits, misses;
};

static uint64_t fnv1a(slice s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++) {
        h = (h ^ s.ptr[i]) * 1099511628211ull;
    }
    return h;
}

struct keycache *keycache_new(void)
{
    struct keycache *kc = xcalloc(1, sizeof(*kc));
    for (size_t i = 0; i < KEYCACHE_SHARDS; i++) {
        pthread_mutex_init(&kc->shard[i].lock, NULL);
        kc->shard[i].n_buckets = 64;
        kc->shard[i].buckets = xcalloc(64, sizeof(struct keycache_entry *));
    }
    return kc;
}

static void entry_free(struct keycache_entry *e)
{
    sig_key_free(e->key);
    xfree((void *)e->text.ptr);
    xfree(e);
}

void keycache_free(struct keycache *kc)
{
    if (kc == NULL) {
        return;
    }
    for (size_t i = 0; i < KEYCACHE_SHARDS; i++) {
        struct keycache_shard *sh = &kc->shard[i];
        for (size_t b = 0; b < sh->n_buckets; b++) {
            struct keycache_entry *e = sh->buckets[b];
            while (e) {
                struct keycache_entry *n = e->next;
                entry_free(e);
                e = n;
            }
        }
        xfree(sh->buckets);
        pthread_mutex_destroy(&sh->lock);
    }
    xfree(kc);
}

/* entry_build parses a record: the slow part, done outside any lock. */
static struct keycache_entry *entry_build(slice txt, uint64_t h)
{
    struct keycache_entry *e = xcalloc(1, sizeof(*e));
    e->text = xdup(txt);
    e->hash = h;
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
    }
out:
    arena_free(a);
    return e;
}

const struct keycache_entry *keycache_get(struct keycache *kc, slice txt)
{
    uint64_t h = fnv1a(txt);
    struct keycache_shard *sh = &kc->shard[h % KEYCACHE_SHARDS];
    pthread_mutex_lock(&sh->lock);
    for (struct keycache_entry *e = sh->buckets[(h >> 8) % sh->n_buckets]; e; e = e->next) {
        if (e->hash == h && slice_eq(e->text, txt)) {
            pthread_mutex_unlock(&sh->lock);
            atomic_fetch_add_explicit(&kc->hits, 1, memory_order_relaxed);
            return e;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    atomic_fetch_add_explicit(&kc->misses, 1, memory_order_relaxed);

    struct keycache_entry *ne = entry_build(txt, h);
    if (atomic_fetch_add_explicit(&kc->entries, 1, memory_order_relaxed) >= KEYCACHE_MAX_ENTRIES) {
        atomic_fetch_sub_explicit(&kc->entries, 1, memory_order_relaxed);
        ne->owned = true;
        return ne;
    }
    pthread_mutex_lock(&sh->lock);
    size_t b = (h >> 8) % sh->n_buckets;
    for (struct keycache_entry *e = sh->buckets[b]; e; e = e->next) {
        if (e->hash == h && slice_eq(e->text, txt)) { /* another thread won the race */
            pthread_mutex_unlock(&sh->lock);
            atomic_fetch_sub_explicit(&kc->entries, 1, memory_order_relaxed);
            entry_free(ne);
            return e;
        }
    }
    ne->next = sh->buckets[b];
    sh->buckets[b] = ne;
    sh->n++;
    if (sh->n > sh->n_buckets * 2) { /* grow: rehash under the shard lock */
        size_t nb = sh->n_buckets * 4;
        struct keycache_entry **nbk = xcalloc(nb, sizeof(*nbk));
        for (size_t i = 0; i < sh->n_buckets; i++) {
            struct keycache_entry *e = sh->buckets[i];
            while (e) {
                struct keycache_entry *n = e->next;
                e->next = nbk[(e->hash >> 8) % nb];
                nbk[(e->hash >> 8) % nb] = e;
                e = n;
            }
        }
        xfree(sh->buckets);
        sh->buckets = nbk;
        sh->n_buckets = nb;
    }
    pthread_mutex_unlock(&sh->lock);
    return ne;
}

void keycache_put(const struct keycache_entry *e)
{
    if (e != NULL && e->owned) {
        entry_free((struct keycache_entry *)e);
    }
}

void keycache_stats(const struct keycache *kc, uint64_t *out_hits, uint64_t *out_misses)
{
    *out_hits = atomic_load_explicit(&kc->hits, memory_order_relaxed);
    *out_misses = atomic_load_explicit(&kc->misses, memory_order_relaxed);
}
