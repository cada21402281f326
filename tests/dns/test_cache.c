/* dns/cache.c against a fake backend: hits, coalescing, TTLs, negative caching, the memory
 * bound and LRU eviction, references that outlive eviction, wait and shutdown. The threaded
 * scenarios are repeated under ThreadSanitizer by `make tsan` (tests/dns/tsan_cache.c).
 * No .timeout on these tests (nor in test_live.c): with parallel jobs Criterion 2.4 leaks a
 * timer allocation in its runner, which LeakSanitizer reports; every wait here has its own
 * deadline instead. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dns/cache.h"
#include "dns/live.h"
#include "tests/dns/fake_backend.h"
#include "tests/support/guard.h"

static struct dns_resolver *cache_with(struct fake_backend *f, size_t max_bytes,
                                       int64_t (*now)(void *), void *now_ctx)
{
    struct dnscache_config cfg = { .max_bytes = max_bytes, .now = now, .now_ctx = now_ctx };
    return dnscache_new(&cfg, fake_backend_base(f));
}

static struct dnscache_stats stats(struct dns_resolver *r)
{
    struct dnscache_stats st;
    dnscache_stats(dnscache_of(r), &st);
    return st;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

Test(dnscache, miss_is_pending_then_hit_after_completion)
{
    struct fake_backend *f = fake_backend_new(false, 0, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("Sel._DomainKey.Example.COM."), DNS_T_TXT, &a),
                 DNS_PENDING);
    cr_assert_null(a);
    cr_assert_eq(fake_backend_submits(f), 1);
    cr_assert_eq(fake_backend_flush(f), 1);
    cr_assert_eq(dns_wait(r, 1000), 1, "wait reports the completion");
    cr_assert_eq(dns_lookup(r, guard_slice("sel._domainkey.example.com"), DNS_T_TXT, &a), DNS_OK);
    cr_assert_eq(a->n_rr, 1);
    cr_assert(slice_eq(a->qname, SLICE_LIT("sel._domainkey.example.com")));
    cr_assert(slice_eq(a->owner, SLICE_LIT("sel._domainkey.example.com")));
    dns_release(r, a);
    struct dnscache_stats st = stats(r);
    cr_assert_eq(st.queries, 1);
    cr_assert_eq(st.hits, 1);
    cr_assert_eq(st.lookups, 2);
    cr_assert_eq(fake_backend_submits(f), 1, "same name, other case: no second query");
    dns_resolver_free(r);
}

Test(dnscache, bad_name_makes_no_query)
{
    struct fake_backend *f = fake_backend_new(false, 0, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("a..b"), DNS_T_TXT, &a), DNS_BADNAME);
    cr_assert_eq(dns_lookup(r, guard_bytes("a\0b", 3), DNS_T_TXT, &a), DNS_BADNAME);
    cr_assert_eq(fake_backend_submits(f), 0);
    dns_resolver_free(r);
}

Test(dnscache, types_are_separate_entries)
{
    struct fake_backend *f = fake_backend_new(false, 0, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("x.example"), DNS_T_TXT, &a), DNS_PENDING);
    cr_assert_eq(dns_lookup(r, guard_slice("x.example"), DNS_T_A, &a), DNS_PENDING);
    cr_assert_eq(fake_backend_submits(f), 2);
    fake_backend_flush(f);
    dns_resolver_free(r);
}

Test(dnscache, negative_answers_are_cached)
{
    struct fake_backend *f = fake_backend_new(false, 0, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("nx.example"), DNS_T_TXT, &a), DNS_PENDING);
    cr_assert_eq(dns_lookup(r, guard_slice("nodata.example"), DNS_T_TXT, &a), DNS_PENDING);
    fake_backend_flush(f);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(dns_lookup(r, guard_slice("nx.example"), DNS_T_TXT, &a), DNS_NXDOMAIN);
        cr_assert_eq(a->status, DNS_NXDOMAIN);
        cr_assert_eq(a->n_rr, 0);
        dns_release(r, a);
        cr_assert_eq(dns_lookup(r, guard_slice("nodata.example"), DNS_T_TXT, &a), DNS_NODATA);
        dns_release(r, a);
    }
    cr_assert_eq(fake_backend_submits(f), 2);
    cr_assert_eq(stats(r).hits, 6);
    dns_resolver_free(r);
}

static int64_t fake_clock(void *ctx)
{
    return *(int64_t *)ctx;
}

Test(dnscache, expired_entry_is_queried_again_and_holders_keep_the_old_answer)
{
    int64_t now = 1000;
    struct fake_backend *f = fake_backend_new(false, 0, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, fake_clock, &now);
    const struct dns_answer *a, *old;
    cr_assert_eq(dns_lookup(r, guard_slice("ttl.example"), DNS_T_TXT, &a), DNS_PENDING);
    fake_backend_flush(f);
    cr_assert_eq(dns_lookup(r, guard_slice("ttl.example"), DNS_T_TXT, &old), DNS_OK);
    now += 299; /* TTL 300: still fresh */
    cr_assert_eq(dns_lookup(r, guard_slice("ttl.example"), DNS_T_TXT, &a), DNS_OK);
    dns_release(r, a);
    now += 2; /* expired: a run lasting hours asks again */
    cr_assert_eq(dns_lookup(r, guard_slice("ttl.example"), DNS_T_TXT, &a), DNS_PENDING);
    cr_assert_eq(dns_lookup(r, guard_slice("ttl.example"), DNS_T_TXT, &a), DNS_PENDING);
    cr_assert_eq(fake_backend_submits(f), 2);
    struct dnscache_stats st = stats(r);
    cr_assert_eq(st.expired, 1);
    cr_assert_eq(st.coalesced, 1);
    cr_assert_eq(old->n_rr, 1, "the old answer is still readable");
    cr_assert_eq(old->rr[0].rdata[1], 't');
    dns_release(r, old);
    fake_backend_flush(f);
    cr_assert_eq(dns_lookup(r, guard_slice("ttl.example"), DNS_T_TXT, &a), DNS_OK);
    dns_release(r, a);
    dns_resolver_free(r);
}

static struct dnscache_answer *zero_ttl(const struct dnscache_query *q, void *ctx)
{
    (void)ctx;
    return fake_txt_answer(q, 10, 0);
}

Test(dnscache, ttl_zero_answer_is_kept_long_enough_to_be_used)
{
    int64_t now = 5;
    struct fake_backend *f = fake_backend_new(false, 0, zero_ttl, NULL);
    struct dns_resolver *r = cache_with(f, 0, fake_clock, &now);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("zero.example"), DNS_T_TXT, &a), DNS_PENDING);
    fake_backend_flush(f);
    now += DNSCACHE_MIN_TTL - 1;
    cr_assert_eq(dns_lookup(r, guard_slice("zero.example"), DNS_T_TXT, &a), DNS_OK,
                 "the parked message must find its answer, or it would loop");
    dns_release(r, a);
    dns_resolver_free(r);
}

static struct dnscache_answer *big_answer(const struct dnscache_query *q, void *ctx)
{
    (void)ctx;
    return fake_txt_answer(q, 6000, 3600);
}

Test(dnscache, memory_is_bounded_and_eviction_never_frees_a_held_answer)
{
    struct fake_backend *f = fake_backend_new(false, 0, big_answer, NULL);
    struct dns_resolver *r = cache_with(f, DNSCACHE_MIN_BYTES, NULL, NULL);
    const struct dns_answer *held, *a;
    cr_assert_eq(dns_lookup(r, guard_slice("held.example"), DNS_T_TXT, &held), DNS_PENDING);
    fake_backend_flush(f);
    cr_assert_eq(dns_lookup(r, guard_slice("held.example"), DNS_T_TXT, &held), DNS_OK);
    char name[64];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "n%d.example", i);
        cr_assert_eq(dns_lookup(r, slice_make(name, strlen(name)), DNS_T_TXT, &a), DNS_PENDING);
        fake_backend_flush(f);
    }
    struct dnscache_stats st = stats(r);
    fprintf(stderr, "dnstest: 2000 x 6 KB answers in a 1 MiB cache: %lu evictions, %lu "
                    "entries, %lu bytes\n",
                (unsigned long)st.evictions, (unsigned long)st.entries,
                (unsigned long)st.bytes);
    cr_assert_gt(st.evictions, 1000);
    /* Each shard may overshoot by the one entry it must keep. */
    cr_assert_leq(st.bytes, DNSCACHE_MIN_BYTES + DNSCACHE_SHARDS * 7000);
    /* held.example was evicted long ago (LRU), but its answer is still ours to read. */
    cr_assert_eq(held->n_rr, 1);
    cr_assert_eq(held->rr[0].rdlen, 6000 + 24);
    cr_assert_eq(memcmp(held->rr[0].rdata + 1, "held.example", 12), 0);
    dns_release(r, held);
    dns_resolver_free(r);
}

Test(dnscache, recently_used_entries_survive_eviction)
{
    struct fake_backend *f = fake_backend_new(false, 0, big_answer, NULL);
    struct dns_resolver *r = cache_with(f, DNSCACHE_MIN_BYTES, NULL, NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("hot.example"), DNS_T_TXT, &a), DNS_PENDING);
    fake_backend_flush(f);
    char name[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "c%d.example", i);
        (void)dns_lookup(r, slice_make(name, strlen(name)), DNS_T_TXT, &a);
        fake_backend_flush(f);
        cr_assert_eq(dns_lookup(r, guard_slice("hot.example"), DNS_T_TXT, &a), DNS_OK,
                     "hot entry evicted after %d inserts", i);
        dns_release(r, a);
    }
    cr_assert_eq(fake_backend_submits(f), 3001);
    dns_resolver_free(r);
}

Test(dnscache, wait_times_out_when_nothing_completes)
{
    struct fake_backend *f = fake_backend_new(false, 0, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("slow.example"), DNS_T_TXT, &a), DNS_PENDING);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(dns_wait(r, 100), 0);
    double el = ms_since(&t0);
    cr_assert(el >= 95 && el < 1000, "waited %.0f ms", el);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(dns_lookup_sync(r, guard_slice("slow.example"), DNS_T_TXT, &a, 150),
                 DNS_TIMEOUT);
    cr_assert_null(a);
    el = ms_since(&t0);
    cr_assert(el >= 145 && el < 1000, "sync lookup gave up after %.0f ms", el);
    dns_resolver_free(r); /* shutdown completes the pending query: no leak, no hang */
}

Test(dnscache, sync_lookup_waits_for_the_answer)
{
    struct fake_backend *f = fake_backend_new(true, 20, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup_sync(r, guard_slice("sync.example"), DNS_T_TXT, &a, 5000), DNS_OK);
    cr_assert_eq(a->n_rr, 1);
    dns_release(r, a);
    cr_assert_eq(dns_lookup_sync(r, guard_slice("nxsync.example"), DNS_T_TXT, &a, 5000),
                 DNS_NXDOMAIN);
    dns_release(r, a);
    dns_resolver_free(r);
}

struct hammer {
    struct dns_resolver *r;
    int n;
    unsigned ok, pending;
};

static void *hammer_main(void *p)
{
    struct hammer *h = p;
    for (int i = 0; i < h->n; i++) {
        const struct dns_answer *a;
        enum dns_status st;
        while ((st = dns_lookup(h->r, SLICE_LIT("sel._domainkey.coalesce.example"), DNS_T_TXT,
                                &a)) == DNS_PENDING) {
            h->pending++;
            (void)dns_wait(h->r, 1000);
        }
        if (st == DNS_OK && a->n_rr == 1) {
            h->ok++;
        }
        dns_release(h->r, a);
    }
    return NULL;
}

Test(dnscache, concurrent_lookups_of_one_name_send_one_query)
{
    enum { THREADS = 8, PER = 1000 };
    struct fake_backend *f = fake_backend_new(true, 50, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    pthread_t th[THREADS];
    struct hammer h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (struct hammer){ r, PER, 0, 0 };
        pthread_create(&th[i], NULL, hammer_main, &h[i]);
    }
    unsigned ok = 0, pending = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += h[i].ok;
        pending += h[i].pending;
    }
    struct dnscache_stats st = stats(r);
    fprintf(stderr, "dnstest: %d lookups from %d threads: %lu queries sent, %lu hits, "
                    "%lu coalesced\n",
                THREADS * PER, THREADS, (unsigned long)st.queries, (unsigned long)st.hits,
                (unsigned long)st.coalesced);
    cr_assert_eq(ok, THREADS * PER);
    cr_assert_eq(fake_backend_submits(f), 1);
    cr_assert_eq(st.queries, 1);
    cr_assert_eq(st.coalesced, pending - 1, "every PENDING but the first was a coalesced wait");
    cr_assert_eq(st.hits, THREADS * PER);
    dns_resolver_free(r);
}

struct many {
    struct dns_resolver *r;
    int id;
};

static void *many_main(void *p)
{
    struct many *m = p;
    char name[64];
    for (int i = 0; i < 2000; i++) {
        /* Overlapping name sets: coalescing, hits, eviction and expiry all at once. */
        snprintf(name, sizeof name, "%s%d.example", (i % 7) ? "n" : "nx", (i * 7 + m->id) % 600);
        const struct dns_answer *a;
        enum dns_status st = dns_lookup_sync(m->r, slice_make(name, strlen(name)), DNS_T_TXT, &a,
                                             10000);
        cr_assert(st == DNS_OK || st == DNS_NXDOMAIN, "%s: %s", name, dns_status_name(st));
        cr_assert(slice_eq(a->qname, slice_make(name, strlen(name))));
        dns_release(m->r, a);
    }
    return NULL;
}

Test(dnscache, many_threads_many_names_stay_consistent)
{
    enum { THREADS = 8 };
    struct fake_backend *f = fake_backend_new(true, 0, big_answer, NULL);
    struct dns_resolver *r = cache_with(f, DNSCACHE_MIN_BYTES, NULL, NULL);
    pthread_t th[THREADS];
    struct many m[THREADS];
    for (int i = 0; i < THREADS; i++) {
        m[i] = (struct many){ r, i };
        pthread_create(&th[i], NULL, many_main, &m[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    struct dnscache_stats st = stats(r);
    fprintf(stderr, "dnstest: 16000 lookups: %lu queries, %lu hits, %lu coalesced, "
                    "%lu evictions\n",
                (unsigned long)st.queries, (unsigned long)st.hits, (unsigned long)st.coalesced,
                (unsigned long)st.evictions);
    cr_assert_eq(st.queries, fake_backend_submits(f));
    dns_resolver_free(r);
}

struct waiter {
    struct dns_resolver *r;
    const char *name;
    double ms;
};

static void *waiter_main(void *p)
{
    struct waiter *w = p;
    const struct dns_answer *a;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(dns_lookup_sync(w->r, slice_make(w->name, strlen(w->name)), DNS_T_TXT, &a,
                                 10000),
                 DNS_OK);
    w->ms = ms_since(&t0);
    dns_release(w->r, a);
    return NULL;
}

Test(dnscache, one_threads_wait_does_not_swallow_anothers_wakeup)
{
    /* Two threads wait on different names answered 30 ms apart. If wait's "completed
     * since the last call" were global, one thread could consume the other's wake-up and
     * sleep until its timeout (here 10 s). */
    struct fake_backend *f = fake_backend_new(true, 30, NULL, NULL);
    struct dns_resolver *r = cache_with(f, 0, NULL, NULL);
    pthread_t th[2];
    struct waiter w[2] = { { r, "first.example", 0 }, { r, "second.example", 0 } };
    for (int i = 0; i < 2; i++) {
        pthread_create(&th[i], NULL, waiter_main, &w[i]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        cr_assert_lt(w[i].ms, 2000, "%s took %.0f ms", w[i].name, w[i].ms);
    }
    dns_resolver_free(r);
}
