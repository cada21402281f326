#include "engine/core/shmap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "engine/core/arena.h"

struct shmap_node {
    struct shmap_node *next;
    uint64_t hash;
    void *val;
    size_t key_len;
    uint8_t key[]; /* the key's bytes, in the node: a look-up touches one block, not two */
};

struct shmap_shard {
    pthread_mutex_t lock;
    struct shmap_node **buckets;
    size_t n_buckets, n;
};

struct shmap {
    struct shmap_shard shard[SHMAP_SHARDS];
    size_t max_entries;
    atomic_size_t entries;
    void (*free_val)(void *);
};

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* shmap_hash: eight bytes a step (keys are DKIM key records of a few hundred bytes, hashed
 * once per signature), each word mixed in with a multiply, then a final avalanche
 * (MurmurHash3's fmix64). Not for untrusted-collision resistance beyond what a per-shard
 * chain needs: keys are compared in full on every hit. */
uint64_t shmap_hash(slice key)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (key.len * 0xff51afd7ed558ccdull);
    size_t i = 0;
    for (; i + 8 <= key.len; i += 8) {
        uint64_t w;
        memcpy(&w, key.ptr + i, 8);
        h = (h ^ mix64(w)) * 0x9e3779b97f4a7c15ull;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i + k < key.len; k++) {
        tail |= (uint64_t)key.ptr[i + k] << (8 * k);
    }
    return mix64(h ^ mix64(tail ^ 0x5bd1e995u));
}

struct shmap *shmap_new(size_t max_entries, void (*free_val)(void *))
{
    struct shmap *m = xcalloc(1, sizeof(*m));
    m->max_entries = max_entries;
    m->free_val = free_val;
    for (size_t i = 0; i < SHMAP_SHARDS; i++) {
        pthread_mutex_init(&m->shard[i].lock, NULL);
        m->shard[i].n_buckets = 16;
        m->shard[i].buckets = xcalloc(16, sizeof(struct shmap_node *));
    }
    return m;
}

void shmap_free(struct shmap *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < SHMAP_SHARDS; i++) {
        struct shmap_shard *sh = &m->shard[i];
        for (size_t b = 0; b < sh->n_buckets; b++) {
            for (struct shmap_node *n = sh->buckets[b], *nx; n; n = nx) {
                nx = n->next;
                m->free_val(n->val);
                xfree(n);
            }
        }
        xfree(sh->buckets);
        pthread_mutex_destroy(&sh->lock);
    }
    xfree(m);
}

static struct shmap_node *find(struct shmap_shard *sh, slice key, uint64_t hash)
{
    for (struct shmap_node *n = sh->buckets[(hash >> 6) % sh->n_buckets]; n; n = n->next) {
        if (n->hash == hash && slice_eq(slice_make(n->key, n->key_len), key)) {
            return n;
        }
    }
    return NULL;
}

void *shmap_get(struct shmap *m, slice key, uint64_t hash)
{
    struct shmap_shard *sh = &m->shard[hash % SHMAP_SHARDS];
    pthread_mutex_lock(&sh->lock);
    struct shmap_node *n = find(sh, key, hash);
    void *v = n ? n->val : NULL;
    pthread_mutex_unlock(&sh->lock);
    return v;
}

static void grow(struct shmap_shard *sh)
{
    size_t nb = sh->n_buckets * 4;
    struct shmap_node **b = xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < sh->n_buckets; i++) {
        for (struct shmap_node *n = sh->buckets[i], *nx; n; n = nx) {
            nx = n->next;
            n->next = b[(n->hash >> 6) % nb];
            b[(n->hash >> 6) % nb] = n;
        }
    }
    xfree(sh->buckets);
    sh->buckets = b;
    sh->n_buckets = nb;
}

void *shmap_put(struct shmap *m, slice key, uint64_t hash, void *val)
{
    struct shmap_shard *sh = &m->shard[hash % SHMAP_SHARDS];
    pthread_mutex_lock(&sh->lock);
    struct shmap_node *n = find(sh, key, hash);
    if (n != NULL) {
        pthread_mutex_unlock(&sh->lock);
        m->free_val(val);
        return n->val;
    }
    if (atomic_fetch_add_explicit(&m->entries, 1, memory_order_relaxed) >= m->max_entries) {
        atomic_fetch_sub_explicit(&m->entries, 1, memory_order_relaxed);
        pthread_mutex_unlock(&sh->lock);
        return NULL;
    }
    n = xmalloc(sizeof(*n) + key.len);
    n->next = NULL;
    n->hash = hash;
    n->key_len = key.len;
    if (key.len > 0) {
        memcpy(n->key, key.ptr, key.len);
    }
    n->val = val;
    size_t b = (hash >> 6) % sh->n_buckets;
    n->next = sh->buckets[b];
    sh->buckets[b] = n;
    if (++sh->n > sh->n_buckets) { /* load factor at most 1: chains are cache misses */
        grow(sh);
    }
    pthread_mutex_unlock(&sh->lock);
    return val;
}

size_t shmap_count(const struct shmap *m)
{
    return atomic_load_explicit(&((struct shmap *)m)->entries, memory_order_relaxed);
}
