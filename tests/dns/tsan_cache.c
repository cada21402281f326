/* tsan_cache: the cache's concurrency scenarios as a plain program, for ThreadSanitizer
 * (`make tsan`). Criterion cannot run under TSan (Snaipe/Criterion#274: "Could not initialize
 * inheritable arena"), so the scenarios of tests/dns/test_cache.c that use threads are
 * repeated here without it: coalescing, many threads over many names with eviction and
 * shutdown, per-thread wake-ups, and the live getdns backend when NSD is up. Exit 0 if all
 * hold; TSan itself fails the run on a race (halt_on_error=1). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/cache.h"
#include "dns/live.h"
#include "tests/dns/fake_backend.h"

#define CHECK(c)                                                                           \
    do {                                                                                   \
        if (!(c)) {                                                                        \
            fprintf(stderr, "tsan_cache: %s:%d: %s\n", __FILE__, __LINE__, #c);           \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

struct arg {
    struct dns_resolver *r;
    int id, n;
    const char *fixed;
};

static void *worker(void *p)
{
    struct arg *a = p;
    char name[64];
    for (int i = 0; i < a->n; i++) {
        if (a->fixed) {
            snprintf(name, sizeof name, "%s", a->fixed);
        } else {
            snprintf(name, sizeof name, "%s%d.example", (i % 5) ? "n" : "nx", (i * 7 + a->id) % 300);
        }
        const struct dns_answer *ans;
        enum dns_status st =
            dns_lookup_sync(a->r, slice_make(name, strlen(name)), DNS_T_TXT, &ans, 20000);
        CHECK(st == DNS_OK || st == DNS_NXDOMAIN);
        CHECK(ans->qname.len == strlen(name));
        dns_release(a->r, ans);
    }
    return NULL;
}

static void run(struct dns_resolver *r, int threads, int n, const char *fixed)
{
    pthread_t th[16];
    struct arg a[16];
    for (int i = 0; i < threads; i++) {
        a[i] = (struct arg){ r, i, n, fixed };
        pthread_create(&th[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
    }
}

static struct dnscache_answer *big(const struct dnscache_query *q, void *ctx)
{
    (void)ctx;
    return fake_txt_answer(q, 6000, 3600);
}

int main(int argc, char **argv)
{
    struct dnscache_stats st;
    /* 1. Coalescing: one query for 8 x 500 lookups. */
    struct fake_backend *f = fake_backend_new(true, 20, NULL, NULL);
    struct dns_resolver *r = dnscache_new(NULL, fake_backend_base(f));
    run(r, 8, 500, "sel._domainkey.example");
    dnscache_stats(dnscache_of(r), &st);
    CHECK(st.queries == 1 && fake_backend_submits(f) == 1);
    dns_resolver_free(r);
    /* 2. Many names, a 1 MiB cache: eviction, hits, coalescing, all at once. */
    f = fake_backend_new(true, 0, big, NULL);
    struct dnscache_config cfg = { .max_bytes = DNSCACHE_MIN_BYTES };
    r = dnscache_new(&cfg, fake_backend_base(f));
    run(r, 8, 1500, NULL);
    dnscache_stats(dnscache_of(r), &st);
    CHECK(st.evictions > 0);
    dns_resolver_free(r);
    /* 3. The live backend against NSD, if a port is given. */
    if (argc > 1) {
        struct dnslive_config lc = { .n_servers = 1, .timeout_ms = 2000, .retries = 1 };
        char err[256];
        CHECK(dnslive_server_parse(argv[1], &lc.servers[0]));
        struct dnscache_backend *b = dnslive_new(&lc, err, sizeof err);
        CHECK(b != NULL);
        r = dnscache_new(NULL, b);
        run(r, 8, 500, "sel._domainkey.coalesce.live.test");
        dnscache_stats(dnscache_of(r), &st);
        CHECK(st.queries == 1);
        run(r, 8, 200, NULL); /* NXDOMAIN names: 300 distinct queries in flight */
        dns_resolver_free(r);
    }
    printf("tsan_cache: all scenarios passed%s\n", argc > 1 ? " (with live getdns)" : "");
    return 0;
}
