/* cache: the run's one DNS cache, shared by every thread, in front of an asynchronous
 * backend (dns/getdns.c in production, a fake in tests). It is itself a struct dns_resolver.
 *
 * A lookup hashes (name, type) to one of DNSCACHE_SHARDS shards. A fresh entry is a hit: the
 * caller gets the answer with its reference count raised. A miss creates a pending entry,
 * hands the query to the backend and answers DNS_PENDING; further lookups of the same
 * (name, type) while it is pending coalesce onto it (DNS_PENDING, no new query). The backend
 * later calls dnscache_complete from its own thread; the entry becomes ready and every
 * thread blocked in the wait op wakes up. Negative answers (NXDOMAIN, NODATA) are cached for
 * their RFC 2308 TTL, temporary failures briefly (RFC 2308 §7); an expired entry is
 * re-queried on the next lookup. Memory is bounded: each shard owns max_bytes / SHARDS and
 * evicts its least recently used ready entries. Pending entries are never evicted.
 *
 * Lock protocol (after unbound's util/storage/lruhash.h):
 *   - shard->lock protects the shard's hash table, LRU list and byte count, and every
 *     mutable field of its entries (state, answer pointer, expiry). Entry keys (name, type,
 *     hash) are immutable from creation to destruction.
 *   - Answers are immutable once dnscache_complete has published them. They carry an atomic
 *     reference count: the cache holds one reference while the entry points at it, every
 *     caller of lookup holds one until dns_release. A caller never keeps a pointer to an
 *     entry after unlocking, only a referenced answer; eviction only drops the cache's
 *     reference, so an answer a caller still holds is never freed under it.
 *   - cache->wait_lock guards only the condition variable that wait sleeps on; the
 *     completion counter itself is atomic.
 *   - At most one lock is held at any time: no shard lock is held while taking another shard
 *     lock, the wait lock, or calling into the backend (submit may block on the backend's
 *     queue, and the backend's thread takes shard locks in dnscache_complete).
 *   - Counters are relaxed atomics, read at the end for the statistics.
 * The shard count is a power of two; the shard is chosen by the top bits of a keyed 64-bit
 * hash (SipHash-2-4 with a per-cache random key: names come from hostile mail). */
#ifndef AUTHSWEEP_DNS_CACHE_H
#define AUTHSWEEP_DNS_CACHE_H

#include "engine/core/limits.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

#define DNSCACHE_SHARDS 64u
#define DNSCACHE_DEFAULT_BYTES (64u * 1024 * 1024)
#define DNSCACHE_MIN_BYTES (1u * 1024 * 1024)
#define DNSCACHE_MIN_TTL 30u     /* an answer is kept at least this long, even with TTL 0, so
                                  * that the message waiting for it can use it */
#define DNSCACHE_MAX_TTL LIM_DNS_MAX_TTL
#define DNSCACHE_NEG_TTL 300u    /* negative answer without an SOA in the reply */
#define DNSCACHE_FAIL_TTL 30u    /* timeout / servfail (RFC 2308 §7.1: at most 5 minutes) */

/* A cached answer: one heap block. `pub` is what callers see (dns.h). The CNAME chain is
 * kept for the recorder, in uncompressed lower-case wire form: chain[0] is the qname,
 * chain[i] the target of the i-th CNAME, so chain[n_cname] is pub.owner; chain_ttl[i] is the
 * TTL of the CNAME whose owner is chain[i] (i < n_cname). */
struct dnscache_answer {
    struct dns_answer pub; /* first */
    atomic_uint refs;
    size_t bytes;
    const slice *chain;
    const uint32_t *chain_ttl;
};

/* dnscache_answer_of returns the block of an answer produced by a cache. */
static inline const struct dnscache_answer *dnscache_answer_of(const struct dns_answer *a)
{
    return (const struct dnscache_answer *)a;
}

/* dnscache_answer_new builds an answer in one heap block, copying everything given. status
 * is the final status; qname the canonical text name asked; rr are the records of qtype at
 * the owner (ignored unless DNS_OK); chain holds n_cname + 1 wire names, well formed
 * (chain[0] = qname in wire form); chain_ttl may be NULL. ttl is the answer's TTL (positive:
 * the minimum of the records and CNAMEs; negative: the RFC 2308 TTL). pub.owner is the text
 * of chain[n_cname], escaped as the snapshot writes owners (\. \\ \DDD). The answer has
 * one reference (the caller's). Never fails (aborts on OOM). */
struct dnscache_answer *dnscache_answer_new(enum dns_status status, uint16_t qtype, slice qname,
                                            const slice *chain, const uint32_t *chain_ttl,
                                            uint32_t n_cname, const struct dns_rr *rr,
                                            size_t n_rr, uint32_t ttl);
/* dnscache_text_wire turns a canonical text name (dns_name_canon output) into wire form in
 * w (>= LIM_DNS_NAME_BYTES bytes) and returns its length. */
size_t dnscache_text_wire(slice text, uint8_t *w);
void dnscache_answer_ref(const struct dnscache_answer *a);
/* dnscache_answer_unref drops one reference; the last one frees the block. NULL is ok. */
void dnscache_answer_unref(const struct dnscache_answer *a);

/* What the backend gets: a pending query. name is canonical text (lower case, no trailing
 * dot; dns_name_canon), valid until the query is completed. */
struct dnscache_query {
    slice name;
    uint16_t qtype;
};

struct dnscache;
struct dnscache_backend;

struct dnscache_backend_ops {
    const char *name;
    /* submit starts resolving q and returns at once. The backend must later call
     * dnscache_complete(c, q, ...) exactly once for q, from any thread (possibly before
     * submit returns). */
    void (*submit)(struct dnscache_backend *b, struct dnscache *c, struct dnscache_query *q);
    /* shutdown completes every outstanding query (as DNS_TIMEOUT) and stops the backend's
     * threads; after it, submit is never called again. */
    void (*shutdown)(struct dnscache_backend *b);
    void (*free)(struct dnscache_backend *b);
};

struct dnscache_backend {
    const struct dnscache_backend_ops *ops;
};

struct dnscache_config {
    size_t max_bytes;          /* 0: DNSCACHE_DEFAULT_BYTES; less than the minimum: minimum */
    /* now returns seconds on a monotonic clock; NULL: CLOCK_MONOTONIC. Tests pass a fake. */
    int64_t (*now)(void *ctx);
    void *now_ctx;
};

struct dnscache_stats {
    uint64_t lookups;   /* lookups with a valid name */
    uint64_t hits;      /* answered from the cache */
    uint64_t queries;   /* queries sent to the backend (misses and expiries) */
    uint64_t coalesced; /* lookups that found the same query in flight */
    uint64_t expired;   /* queries sent because an entry had expired */
    uint64_t failures;  /* completed queries that timed out or failed */
    uint64_t evictions; /* ready entries dropped for space */
    uint64_t entries;   /* entries now */
    uint64_t bytes;     /* bytes accounted now */
};

/* dnscache_new makes a cache over backend, which it takes (freed by dns_resolver_free on the
 * cache). The result is the cache's struct dns_resolver. */
struct dns_resolver *dnscache_new(const struct dnscache_config *cfg,
                                  struct dnscache_backend *backend);
/* dnscache_of returns the cache behind r, or NULL if r is not a cache. */
struct dnscache *dnscache_of(struct dns_resolver *r);
/* dnscache_complete publishes the answer to q (taking the caller's reference to ans) and
 * wakes waiters. Called by backends, from any thread. */
void dnscache_complete(struct dnscache *c, struct dnscache_query *q,
                       struct dnscache_answer *ans);
void dnscache_stats(struct dnscache *c, struct dnscache_stats *out);
/* dnscache_backend returns the backend the cache was made with (for its description). */
struct dnscache_backend *dnscache_backend_of(struct dnscache *c);

#endif
