/* cache.c: the sharded shared DNS cache. The lock protocol is at the top of cache.h.
 *
 * Each shard is a chained hash table plus an LRU list of its ready entries (most recent at
 * the head). An entry is PENDING from the miss that creates it (or the lookup that finds it
 * expired) until dnscache_complete, then READY with one reference on its answer. Pending
 * entries are not on the LRU list, so eviction cannot free a query the backend still holds. */
#include "dns/cache.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/core/arena.h"
#include "engine/core/limits.h"

enum dc_state { DC_PENDING, DC_READY };

struct dc_entry {
    struct dnscache_query q;   /* first: the backend's handle is the entry */
    struct dc_entry *hnext;    /* hash chain */
    struct dc_entry *prev, *next; /* LRU list (READY only) */
    uint64_t hash;
    enum dc_state state;
    struct dnscache_answer *ans; /* READY: the cache's reference */
    int64_t expires;
    size_t bytes;
    char name[]; /* q.name points here */
};

struct dc_shard {
    pthread_mutex_t lock;
    struct dc_entry **buckets;
    size_t n_buckets, n_entries, bytes, max_bytes;
    struct dc_entry *lru_head, *lru_tail;
};

struct dnscache {
    struct dns_resolver base; /* first: dns.h */
    struct dnscache_backend *backend;
    struct dnscache_config cfg;
    uint64_t key[2]; /* SipHash key */
    struct dc_shard shards[DNSCACHE_SHARDS];
    pthread_mutex_t wait_lock;
    pthread_cond_t wait_cond;
    atomic_uint_fast64_t completed;
    atomic_uint_fast64_t n_lookups, n_hits, n_queries, n_coalesced, n_expired, n_failures,
        n_evictions;
};

/* ---------------------------------------------------------------------------------------
 * Answers */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

size_t dnscache_text_wire(slice t, uint8_t *w)
{
    size_t out = 0, start = 0;
    for (size_t i = 0; i <= t.len; i++) {
        if (i == t.len || t.ptr[i] == '.') {
            if (i > start) {
                w[out++] = (uint8_t)(i - start);
                memcpy(w + out, t.ptr + start, i - start);
                out += i - start;
            }
            start = i + 1;
        }
    }
    w[out++] = 0;
    return out;
}

/* wire_text_len / wire_text: the snapshot's owner text (snapshot.c snap_wire_text): labels
 * joined by '.', with '.' and '\\' escaped and bytes outside 33..126 as \DDD. */
static size_t wire_text(slice w, char *buf)
{
    size_t len = 0;
    for (size_t off = 0; off < w.len && w.ptr[off] != 0; off += (size_t)w.ptr[off] + 1) {
        if (off > 0) {
            buf[len++] = '.';
        }
        for (size_t i = 1; i <= w.ptr[off] && off + i < w.len; i++) {
            uint8_t c = w.ptr[off + i];
            if (c == '.' || c == '\\') {
                buf[len++] = '\\';
                buf[len++] = (char)c;
            } else if (c < 33 || c > 126) {
                buf[len++] = '\\';
                buf[len++] = (char)('0' + c / 100);
                buf[len++] = (char)('0' + c / 10 % 10);
                buf[len++] = (char)('0' + c % 10);
            } else {
                buf[len++] = (char)c;
            }
        }
    }
    buf[len] = '\0';
    return len;
}

struct dnscache_answer *dnscache_answer_new(enum dns_status status, uint16_t qtype, slice qname,
                                            const slice *chain, const uint32_t *chain_ttl,
                                            uint32_t n_cname, const struct dns_rr *rr,
                                            size_t n_rr, uint32_t ttl)
{
    uint8_t qwire[LIM_DNS_NAME_BYTES + 1];
    slice qw = slice_make(qwire, dnscache_text_wire(qname, qwire));
    char owner[4 * LIM_DNS_NAME_BYTES + 1];
    if (status != DNS_OK) {
        n_rr = 0;
    }
    if (chain == NULL) {
        n_cname = 0;
    }
    size_t n_names = (size_t)n_cname + 1;
    size_t olen = wire_text(chain ? chain[n_cname] : qw, owner);
    size_t text = qname.len + 1 + olen + 1;
    for (size_t i = 0; i < n_names; i++) {
        text += chain ? chain[i].len : qw.len;
    }
    for (size_t i = 0; i < n_rr; i++) {
        text += rr[i].rdlen;
    }
    size_t head = align8(sizeof(struct dnscache_answer)) + align8(n_rr * sizeof(struct dns_rr)) +
                  align8(n_names * sizeof(slice)) + align8(n_names * sizeof(uint32_t));
    uint8_t *blk = xmalloc(head + text);
    struct dnscache_answer *a = (struct dnscache_answer *)blk;
    uint8_t *at = blk + align8(sizeof(*a));
    struct dns_rr *rrs = (struct dns_rr *)at;
    at += align8(n_rr * sizeof(struct dns_rr));
    slice *ch = (slice *)at;
    at += align8(n_names * sizeof(slice));
    uint32_t *cht = (uint32_t *)at;
    at = blk + head;

    memcpy(at, qname.ptr, qname.len);
    at[qname.len] = '\0';
    slice q = slice_make(at, qname.len);
    at += qname.len + 1;
    memcpy(at, owner, olen + 1);
    slice o = slice_make(at, olen);
    at += olen + 1;
    for (size_t i = 0; i < n_names; i++) {
        slice src = chain ? chain[i] : qw;
        memcpy(at, src.ptr, src.len);
        ch[i] = slice_make(at, src.len);
        cht[i] = chain_ttl ? chain_ttl[i] : 0;
        at += src.len;
    }
    for (size_t i = 0; i < n_rr; i++) {
        rrs[i] = rr[i];
        if (rr[i].rdlen > 0) {
            memcpy(at, rr[i].rdata, rr[i].rdlen);
        }
        rrs[i].rdata = at;
        at += rr[i].rdlen;
    }
    *a = (struct dnscache_answer){
        .pub = { .status = status, .qtype = qtype, .ttl = ttl, .qname = q, .owner = o,
                 .n_cname = n_cname, .n_rr = n_rr, .rr = n_rr ? rrs : NULL },
        .bytes = head + text,
        .chain = ch,
        .chain_ttl = cht,
    };
    atomic_init(&a->refs, 1);
    return a;
}

void dnscache_answer_ref(const struct dnscache_answer *a)
{
    atomic_fetch_add_explicit(&((struct dnscache_answer *)a)->refs, 1, memory_order_relaxed);
}

void dnscache_answer_unref(const struct dnscache_answer *a)
{
    if (a == NULL) {
        return;
    }
    /* acq_rel: the thread freeing must see every other holder's reads finished. */
    if (atomic_fetch_sub_explicit(&((struct dnscache_answer *)a)->refs, 1,
                                  memory_order_acq_rel) == 1) {
        xfree((void *)a);
    }
}

/* ---------------------------------------------------------------------------------------
 * SipHash-2-4 (Aumasson, Bernstein), keyed per cache */

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                  \
    do {                                                                                          \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                                 \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                                    \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                                    \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                                 \
    } while (0)

static uint64_t siphash(const uint64_t key[2], const uint8_t *in, size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ull ^ key[0], v1 = 0x646f72616e646f6dull ^ key[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ key[0], v3 = 0x7465646279746573ull ^ key[1];
    uint64_t b = (uint64_t)len << 56;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t m = 0;
        for (int k = 0; k < 8; k++) {
            m |= (uint64_t)in[i + (size_t)k] << (8 * k);
        }
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    for (int k = 0; i + (size_t)k < len; k++) {
        b |= (uint64_t)in[i + (size_t)k] << (8 * k);
    }
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t dc_hash(const struct dnscache *c, const char *name, size_t len, uint16_t qtype)
{
    uint8_t buf[LIM_DNS_NAME_BYTES + 2];
    memcpy(buf, name, len);
    buf[len] = (uint8_t)(qtype >> 8);
    buf[len + 1] = (uint8_t)qtype;
    return siphash(c->key, buf, len + 2);
}

static struct dc_shard *dc_shard_of(struct dnscache *c, uint64_t hash)
{
    return &c->shards[hash >> 58]; /* top 6 bits: DNSCACHE_SHARDS == 64 */
}
_Static_assert(DNSCACHE_SHARDS == 64, "dc_shard_of takes the top 6 hash bits");

/* ---------------------------------------------------------------------------------------
 * Shard internals: every function here runs with shard->lock held. */

static void lru_unlink(struct dc_shard *s, struct dc_entry *e)
{
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        s->lru_head = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        s->lru_tail = e->prev;
    }
    e->prev = e->next = NULL;
}

static void lru_push_front(struct dc_shard *s, struct dc_entry *e)
{
    e->prev = NULL;
    e->next = s->lru_head;
    if (s->lru_head) {
        s->lru_head->prev = e;
    } else {
        s->lru_tail = e;
    }
    s->lru_head = e;
}

static struct dc_entry *shard_find(struct dc_shard *s, uint64_t hash, const char *name,
                                   size_t len, uint16_t qtype)
{
    for (struct dc_entry *e = s->buckets[hash & (s->n_buckets - 1)]; e; e = e->hnext) {
        if (e->hash == hash && e->q.qtype == qtype && e->q.name.len == len &&
            memcmp(e->name, name, len) == 0) {
            return e;
        }
    }
    return NULL;
}

static void shard_grow(struct dc_shard *s)
{
    size_t nb = s->n_buckets * 2;
    struct dc_entry **b = xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < s->n_buckets; i++) {
        struct dc_entry *e = s->buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    xfree(s->buckets);
    s->buckets = b;
    s->n_buckets = nb;
}

static void shard_remove(struct dc_shard *s, struct dc_entry *e)
{
    struct dc_entry **pp = &s->buckets[e->hash & (s->n_buckets - 1)];
    while (*pp != e) {
        pp = &(*pp)->hnext;
    }
    *pp = e->hnext;
    s->n_entries--;
    s->bytes -= e->bytes;
}

/* shard_evict drops least recently used ready entries until the shard fits, keeping `keep`
 * (the entry just completed: the message waiting for it must find it). */
static void shard_evict(struct dnscache *c, struct dc_shard *s, const struct dc_entry *keep)
{
    struct dc_entry *e = s->lru_tail;
    while (s->bytes > s->max_bytes && e != NULL) {
        struct dc_entry *prev = e->prev;
        if (e != keep) {
            lru_unlink(s, e);
            shard_remove(s, e);
            dnscache_answer_unref(e->ans);
            xfree(e);
            atomic_fetch_add_explicit(&c->n_evictions, 1, memory_order_relaxed);
        }
        e = prev;
    }
}

/* ---------------------------------------------------------------------------------------
 * The resolver ops */

static int64_t dc_now(const struct dnscache *c)
{
    if (c->cfg.now) {
        return c->cfg.now(c->cfg.now_ctx);
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static enum dns_status dc_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                 const struct dns_answer **out)
{
    struct dnscache *c = (struct dnscache *)r;
    char canon[256];
    size_t len;
    if (!dns_name_canon(name, canon, &len)) {
        return DNS_BADNAME;
    }
    atomic_fetch_add_explicit(&c->n_lookups, 1, memory_order_relaxed);
    uint64_t hash = dc_hash(c, canon, len, qtype);
    struct dc_shard *s = dc_shard_of(c, hash);
    int64_t now = dc_now(c);
    struct dc_entry *e, *submit = NULL;
    enum dns_status st = DNS_PENDING;

    pthread_mutex_lock(&s->lock);
    e = shard_find(s, hash, canon, len, qtype);
    if (e != NULL && e->state == DC_PENDING) {
        atomic_fetch_add_explicit(&c->n_coalesced, 1, memory_order_relaxed);
    } else if (e != NULL && now < e->expires) {
        dnscache_answer_ref(e->ans);
        *out = &e->ans->pub;
        st = e->ans->pub.status;
        lru_unlink(s, e);
        lru_push_front(s, e);
        atomic_fetch_add_explicit(&c->n_hits, 1, memory_order_relaxed);
    } else if (e != NULL) {
        /* Expired (a long run outlives TTLs): query again; holders keep the old answer. */
        lru_unlink(s, e);
        s->bytes -= e->ans->bytes;
        e->bytes -= e->ans->bytes;
        dnscache_answer_unref(e->ans);
        e->ans = NULL;
        e->state = DC_PENDING;
        submit = e;
        atomic_fetch_add_explicit(&c->n_expired, 1, memory_order_relaxed);
    } else {
        e = xmalloc(sizeof(*e) + len + 1);
        *e = (struct dc_entry){ .q = { slice_make(e->name, len), qtype }, .hash = hash,
                                .state = DC_PENDING, .bytes = sizeof(*e) + len + 1 };
        memcpy(e->name, canon, len);
        e->name[len] = '\0';
        if (s->n_entries + 1 > s->n_buckets) {
            shard_grow(s);
        }
        e->hnext = s->buckets[hash & (s->n_buckets - 1)];
        s->buckets[hash & (s->n_buckets - 1)] = e;
        s->n_entries++;
        s->bytes += e->bytes;
        submit = e;
    }
    pthread_mutex_unlock(&s->lock);

    if (submit != NULL) {
        /* No lock held: the backend may complete before submit returns. */
        atomic_fetch_add_explicit(&c->n_queries, 1, memory_order_relaxed);
        c->backend->ops->submit(c->backend, c, &submit->q);
    }
    return st;
}

void dnscache_complete(struct dnscache *c, struct dnscache_query *q, struct dnscache_answer *ans)
{
    struct dc_entry *e = (struct dc_entry *)q;
    struct dc_shard *s = dc_shard_of(c, e->hash);
    uint32_t ttl = ans->pub.ttl;
    if (dns_status_is_temp(ans->pub.status)) {
        ttl = DNSCACHE_FAIL_TTL;
        atomic_fetch_add_explicit(&c->n_failures, 1, memory_order_relaxed);
    }
    ttl = ttl < DNSCACHE_MIN_TTL ? DNSCACHE_MIN_TTL : ttl;
    ttl = ttl > DNSCACHE_MAX_TTL ? DNSCACHE_MAX_TTL : ttl;

    pthread_mutex_lock(&s->lock);
    e->state = DC_READY;
    e->ans = ans;
    e->expires = dc_now(c) + (int64_t)ttl;
    s->bytes += ans->bytes;
    e->bytes += ans->bytes;
    lru_push_front(s, e);
    shard_evict(c, s, e);
    pthread_mutex_unlock(&s->lock);

    pthread_mutex_lock(&c->wait_lock);
    atomic_fetch_add_explicit(&c->completed, 1, memory_order_relaxed);
    pthread_cond_broadcast(&c->wait_cond);
    pthread_mutex_unlock(&c->wait_lock);
}

static void dc_release(struct dns_resolver *r, const struct dns_answer *a)
{
    (void)r;
    dnscache_answer_unref(dnscache_answer_of(a));
}

/* What this thread had seen of the completion counter when its last wait returned. It is
 * per thread on purpose: "completed since the last call" must be per caller, or one worker
 * would consume the wake-up that another is waiting for. Keyed by the cache so that a
 * thread moving to another cache (tests) starts afresh. */
static _Thread_local struct {
    const struct dnscache *cache;
    uint64_t seen;
} dc_tl;

static int dc_wait(struct dns_resolver *r, int timeout_ms)
{
    struct dnscache *c = (struct dnscache *)r;
    uint64_t seen = dc_tl.cache == c ? dc_tl.seen : 0;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    int64_t ns = (int64_t)dl.tv_nsec + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
    dl.tv_sec += (time_t)(ns / 1000000000);
    dl.tv_nsec = (long)(ns % 1000000000);

    pthread_mutex_lock(&c->wait_lock);
    uint64_t now = atomic_load_explicit(&c->completed, memory_order_relaxed);
    while (now == seen && timeout_ms > 0) {
        if (pthread_cond_timedwait(&c->wait_cond, &c->wait_lock, &dl) != 0) {
            now = atomic_load_explicit(&c->completed, memory_order_relaxed);
            break;
        }
        now = atomic_load_explicit(&c->completed, memory_order_relaxed);
    }
    pthread_mutex_unlock(&c->wait_lock);
    dc_tl.cache = c;
    dc_tl.seen = now;
    uint64_t d = now - seen;
    return d > (uint64_t)INT32_MAX ? INT32_MAX : (int)d;
}

static void dc_free(struct dns_resolver *r)
{
    struct dnscache *c = (struct dnscache *)r;
    /* The backend completes everything outstanding first, so no entry is pending below. */
    c->backend->ops->shutdown(c->backend);
    c->backend->ops->free(c->backend);
    for (size_t i = 0; i < DNSCACHE_SHARDS; i++) {
        struct dc_shard *s = &c->shards[i];
        for (size_t b = 0; b < s->n_buckets; b++) {
            struct dc_entry *e = s->buckets[b], *next;
            for (; e; e = next) {
                next = e->hnext;
                dnscache_answer_unref(e->ans);
                xfree(e);
            }
        }
        xfree(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    pthread_mutex_destroy(&c->wait_lock);
    pthread_cond_destroy(&c->wait_cond);
    xfree(c);
}

static const struct dns_resolver_ops dc_ops = {
    .name = "cache",
    .lookup = dc_lookup,
    .release = dc_release,
    .free = dc_free,
    .wait = dc_wait,
};

struct dns_resolver *dnscache_new(const struct dnscache_config *cfg,
                                  struct dnscache_backend *backend)
{
    struct dnscache *c = xcalloc(1, sizeof(*c));
    c->base.ops = &dc_ops;
    c->backend = backend;
    c->cfg = cfg ? *cfg : (struct dnscache_config){ 0 };
    if (c->cfg.max_bytes == 0) {
        c->cfg.max_bytes = DNSCACHE_DEFAULT_BYTES;
    }
    if (c->cfg.max_bytes < DNSCACHE_MIN_BYTES) {
        c->cfg.max_bytes = DNSCACHE_MIN_BYTES;
    }
    if (getrandom(c->key, sizeof(c->key), 0) != (ssize_t)sizeof(c->key)) {
        struct timespec ts; /* no entropy: still a keyed hash, just a weaker key */
        clock_gettime(CLOCK_REALTIME, &ts);
        c->key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull;
        c->key[1] = (uint64_t)(uintptr_t)c ^ (uint64_t)ts.tv_sec;
    }
    for (size_t i = 0; i < DNSCACHE_SHARDS; i++) {
        struct dc_shard *s = &c->shards[i];
        pthread_mutex_init(&s->lock, NULL);
        s->n_buckets = 16;
        s->buckets = xcalloc(s->n_buckets, sizeof(*s->buckets));
        s->max_bytes = c->cfg.max_bytes / DNSCACHE_SHARDS;
    }
    pthread_mutex_init(&c->wait_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wait_cond, &ca);
    pthread_condattr_destroy(&ca);
    return &c->base;
}

struct dnscache *dnscache_of(struct dns_resolver *r)
{
    return r != NULL && r->ops == &dc_ops ? (struct dnscache *)r : NULL;
}

struct dnscache_backend *dnscache_backend_of(struct dnscache *c)
{
    return c->backend;
}

void dnscache_stats(struct dnscache *c, struct dnscache_stats *out)
{
    *out = (struct dnscache_stats){
        .lookups = atomic_load_explicit(&c->n_lookups, memory_order_relaxed),
        .hits = atomic_load_explicit(&c->n_hits, memory_order_relaxed),
        .queries = atomic_load_explicit(&c->n_queries, memory_order_relaxed),
        .coalesced = atomic_load_explicit(&c->n_coalesced, memory_order_relaxed),
        .expired = atomic_load_explicit(&c->n_expired, memory_order_relaxed),
        .failures = atomic_load_explicit(&c->n_failures, memory_order_relaxed),
        .evictions = atomic_load_explicit(&c->n_evictions, memory_order_relaxed),
    };
    for (size_t i = 0; i < DNSCACHE_SHARDS; i++) {
        struct dc_shard *s = &c->shards[i];
        pthread_mutex_lock(&s->lock);
        out->entries += s->n_entries;
        out->bytes += s->bytes;
        pthread_mutex_unlock(&s->lock);
    }
}
