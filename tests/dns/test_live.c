/* Live DNS against a real authoritative server on loopback: NSD, started for make check by
 * tests/dns/live/live.mk (instances main, count, tcp, spf; see live-dns.sh). Nothing here
 * touches the internet: every query goes to 127.0.0.1 / ::1.
 *
 * The server serves the same zone files the snapshot resolver loads, so every answer must be
 * the same through both; the SPF conformance scenarios are served one after the other and
 * must give the snapshot's results; authsweep verify over the sample archive must write the
 * same records live, from a snapshot, and from its own --dns-record recording. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/cache.h"
#include "dns/live.h"
#include "dns/record.h"
#include "dns/snapshot.h"
#include "engine/policy/spf.h"
#include "tests/support/guard.h"

/* ---- the server ------------------------------------------------------------------------ */

static const char *live_dir(void)
{
    static char dir[4096];
    const char *e = getenv("AUTHSWEEP_LIVE_DNS");
    if (e && *e) {
        return e;
    }
    snprintf(dir, sizeof dir, "%s/build/live-dns", test_root_dir());
    return dir;
}

/* live_port returns the port of NSD instance `inst`, or fails the test saying how to start
 * the server. */
static unsigned live_port(const char *inst)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/port", live_dir(), inst);
    size_t len;
    char *t = test_read_file(path, &len);
    if (t == NULL) {
        cr_assert_fail("live DNS server not running: %s is missing. The live-DNS tests need NSD on "
                 "loopback: run them through 'make check' (or 'make live-dns-up' first; "
                 "AUTHSWEEP_LIVE_DNS=DIR if it was started with another LIVE_DNS_DIR).",
                 path);
    }
    unsigned port = (unsigned)atoi(t);
    free(t);
    cr_assert(port > 0 && port < 65536, "bad port in %s", path);
    return port;
}

static char *nsd_conf(const char *inst)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s/nsd.conf", live_dir(), inst);
    return path;
}

/* nsd_stat reads one counter of `nsd-control stats_noreset`. */
static unsigned long nsd_stat(const char *inst, const char *key)
{
    char cmd[4400], *out = NULL;
    size_t len;
    snprintf(cmd, sizeof cmd, "/usr/sbin/nsd-control -c '%s' stats_noreset", nsd_conf(inst));
    cr_assert_eq(test_run(cmd, &out, &len), 0, "nsd-control failed");
    unsigned long v = 0;
    size_t klen = strlen(key);
    for (char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            v = strtoul(p + klen + 1, NULL, 10);
        }
    }
    free(out);
    return v;
}

struct live_opts {
    unsigned timeout_ms, retries;
    uint16_t edns;
    bool v6;
};

static struct dns_resolver *live_resolver_at(unsigned port, const struct live_opts *o)
{
    char spec[64], err[256];
    struct dnslive_config cfg = { .n_servers = 1, .timeout_ms = o ? o->timeout_ms : 2000,
                                  .retries = o ? o->retries : 1, .edns_size = o ? o->edns : 0 };
    snprintf(spec, sizeof spec, "%s#%u", o && o->v6 ? "::1" : "127.0.0.1", port);
    cr_assert(dnslive_server_parse(spec, &cfg.servers[0]));
    struct dnscache_backend *b = dnslive_new(&cfg, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    return dnscache_new(NULL, b);
}

static struct dns_resolver *live_resolver(const char *inst, const struct live_opts *o)
{
    return live_resolver_at(live_port(inst), o);
}

static char *read_rel(const char *rel)
{
    char path[4200];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", test_root_dir(), rel);
    char *t = test_read_file(path, &len);
    cr_assert_not_null(t, "cannot read %s", path);
    return t;
}

/* The zone data of the main instance as one snapshot. */
static struct dns_resolver *main_snapshot(void)
{
    char *a = read_rel("datasets/sample/sample.zone"), *b = read_rel("tests/dns/live/live.zone");
    size_t la = strlen(a), lb = strlen(b);
    char *all = malloc(la + lb + 2);
    memcpy(all, a, la);
    all[la] = '\n';
    memcpy(all + la + 1, b, lb + 1);
    char err[512];
    struct dns_resolver *r = snapshot_load_mem(slice_make(all, la + lb + 1), "main", err,
                                               sizeof err);
    cr_assert_not_null(r, "%s", err);
    free(a);
    free(b);
    /* The snapshot's records point into its own tables, not into `all`. */
    free(all);
    return r;
}

/* ---- comparing answers ------------------------------------------------------------------ */

static int rr_cmp(const void *pa, const void *pb)
{
    const struct dns_rr *a = pa, *b = pb;
    size_t n = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
    int c = memcmp(a->rdata, b->rdata, n);
    return c ? c : (int)a->rdlen - (int)b->rdlen;
}

/* same_answer: status, owner, CNAME hops and the records as a set (a server may rotate an
 * RRset; the snapshot keeps file order). TTLs are not compared: a cache's are its own. */
static void same_answer(const char *what, const struct dns_answer *x, const struct dns_answer *y)
{
    cr_assert_eq(x->status, y->status, "%s: %s vs %s", what, dns_status_name(x->status),
                 dns_status_name(y->status));
    cr_assert(slice_eq(x->qname, y->qname), "%s: qname", what);
    cr_assert(slice_eq(x->owner, y->owner), "%s: owner '%.*s' vs '%.*s'", what,
              SLICE_FMT(x->owner), SLICE_FMT(y->owner));
    cr_assert_eq(x->n_cname, y->n_cname, "%s: CNAME hops %u vs %u", what, x->n_cname, y->n_cname);
    cr_assert_eq(x->n_rr, y->n_rr, "%s: %zu vs %zu records", what, x->n_rr, y->n_rr);
    struct dns_rr *a = calloc(x->n_rr + 1, sizeof(*a)), *b = calloc(y->n_rr + 1, sizeof(*b));
    if (x->n_rr > 0) {
        memcpy(a, x->rr, x->n_rr * sizeof(*a));
        memcpy(b, y->rr, y->n_rr * sizeof(*b));
    }
    qsort(a, x->n_rr, sizeof(*a), rr_cmp);
    qsort(b, y->n_rr, sizeof(*b), rr_cmp);
    for (size_t i = 0; i < x->n_rr; i++) {
        cr_assert_eq(a[i].type, b[i].type, "%s: type", what);
        cr_assert(a[i].rdlen == b[i].rdlen && memcmp(a[i].rdata, b[i].rdata, a[i].rdlen) == 0,
                  "%s: record %zu differs", what, i);
    }
    free(a);
    free(b);
}

struct q {
    const char *name;
    uint16_t type;
};

static const struct q main_queries[] = {
    { "k4096._domainkey.live.test", DNS_T_TXT },
    { "big.live.test", DNS_T_TXT },
    { "a.chain.live.test", DNS_T_TXT },
    { "b.chain.live.test", DNS_T_TXT },
    { "a.chain.live.test", DNS_T_CNAME },
    { "a.chain.live.test", DNS_T_A },
    { "dangling.live.test", DNS_T_TXT },
    { "host.live.test", DNS_T_A },
    { "HOST.Live.Test.", DNS_T_AAAA },
    { "host.live.test", DNS_T_TXT },
    { "live.test", DNS_T_MX },
    { "live.test", DNS_T_TXT },
    { "ent.live.test", DNS_T_TXT },
    { "x.ent.live.test", DNS_T_TXT },
    { "nope.live.test", DNS_T_TXT },
    { "deep.nope.live.test", DNS_T_A },
    { "anything.wild.live.test", DNS_T_TXT },
    { "anything.wild.live.test", DNS_T_A },
    { "odd.live.test", DNS_T_TXT },
    { "20161025._domainkey.gmail.com", DNS_T_TXT },
    { "s2048._domainkey.yahoo.com", DNS_T_TXT },
    { "selector1._domainkey.lin.gl", DNS_T_TXT },
    { "nonexistent._domainkey.gmail.com", DNS_T_TXT },
    { "gmail.com", DNS_T_TXT },
};

Test(livedns, answers_equal_the_snapshot_of_the_same_zone)
{
    struct dns_resolver *snap = main_snapshot();
    for (int v6 = 0; v6 < 2; v6++) {
        struct live_opts o = { 2000, 1, 0, v6 == 1 };
        struct dns_resolver *live = live_resolver("main", &o);
        for (size_t i = 0; i < sizeof main_queries / sizeof main_queries[0]; i++) {
            const struct q *q = &main_queries[i];
            const struct dns_answer *x, *y;
            slice name = slice_make(q->name, strlen(q->name));
            enum dns_status sl = dns_lookup_sync(live, name, q->type, &x, 10000);
            enum dns_status ss = dns_lookup(snap, name, q->type, &y);
            char what[300];
            snprintf(what, sizeof what, "%s %s/%u", v6 ? "::1" : "127.0.0.1", q->name, q->type);
            cr_assert_eq(sl, ss, "%s: live %s, snapshot %s", what, dns_status_name(sl),
                         dns_status_name(ss));
            same_answer(what, x, y);
            dns_release(live, x);
            dns_release(snap, y);
        }
        dns_resolver_free(live);
    }
    dns_resolver_free(snap);
}

Test(livedns, large_txt_arrives_over_tcp_when_udp_is_too_small)
{
    /* EDNS 512: the 754-byte key record does not fit, the server truncates, getdns asks again
     * over TCP. big.live.test (3000+ bytes) needs TCP at any EDNS size. */
    unsigned long tcp0 = nsd_stat("tcp", "num.tcp") + nsd_stat("tcp", "num.tcp6");
    struct live_opts o = { 2000, 1, 512, false };
    struct dns_resolver *live = live_resolver("tcp", &o);
    struct dns_resolver *snap = main_snapshot();
    const char *names[] = { "k4096._domainkey.live.test", "big.live.test" };
    for (size_t i = 0; i < 2; i++) {
        const struct dns_answer *x, *y;
        slice n = slice_make(names[i], strlen(names[i]));
        cr_assert_eq(dns_lookup_sync(live, n, DNS_T_TXT, &x, 10000), DNS_OK, "%s", names[i]);
        cr_assert_eq(dns_lookup(snap, n, DNS_T_TXT, &y), DNS_OK);
        same_answer(names[i], x, y);
        size_t bytes = 0;
        for (size_t k = 0; k < x->n_rr; k++) {
            bytes += x->rr[k].rdlen;
        }
        cr_assert_gt(bytes, 512, "%s: %zu bytes", names[i], bytes);
        dns_release(live, x);
        dns_release(snap, y);
    }
    unsigned long tcp1 = nsd_stat("tcp", "num.tcp") + nsd_stat("tcp", "num.tcp6");
    fprintf(stderr, "dnstest: TCP queries at the server: %lu\n", tcp1 - tcp0);
    cr_assert_geq(tcp1 - tcp0, 2, "both answers came over TCP (server saw %lu)", tcp1 - tcp0);
    dns_resolver_free(live);
    dns_resolver_free(snap);
}

struct hammer {
    struct dns_resolver *r;
    int n, ok;
};

static void *hammer_main(void *p)
{
    struct hammer *h = p;
    for (int i = 0; i < h->n; i++) {
        const struct dns_answer *a;
        if (dns_lookup_sync(h->r, SLICE_LIT("sel._domainkey.coalesce.live.test"), DNS_T_TXT, &a,
                            10000) == DNS_OK) {
            h->ok++;
        }
        dns_release(h->r, a);
    }
    return NULL;
}

Test(livedns, thousands_of_concurrent_lookups_of_one_selector_send_one_query)
{
    enum { THREADS = 8, PER = 500 };
    unsigned long q0 = nsd_stat("count", "num.queries");
    struct dns_resolver *live = live_resolver("count", NULL);
    pthread_t th[THREADS];
    struct hammer h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (struct hammer){ live, PER, 0 };
        pthread_create(&th[i], NULL, hammer_main, &h[i]);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += h[i].ok;
    }
    unsigned long q1 = nsd_stat("count", "num.queries");
    struct dnscache_stats st;
    dnscache_stats(dnscache_of(live), &st);
    uint64_t sent, retried;
    dnslive_counts(dnscache_backend_of(dnscache_of(live)), &sent, &retried);
    fprintf(stderr,
            "livedns coalescing: %d lookups from %d threads: server saw %lu queries; cache: "
            "%lu queries sent, %lu hits, %lu coalesced waits\n",
            THREADS * PER, THREADS, q1 - q0, (unsigned long)st.queries, (unsigned long)st.hits,
            (unsigned long)st.coalesced);
    cr_assert_eq(ok, THREADS * PER);
    cr_assert_eq(st.queries, 1);
    cr_assert_eq(sent, 1);
    cr_assert_eq(q1 - q0, 1, "NSD counted %lu queries", q1 - q0);
    dns_resolver_free(live);
}

/* A server that drops everything: a UDP socket nobody reads and a TCP listener that never
 * answers (the kernel completes the handshake; no byte ever comes back). */
static unsigned sink_open(int *udp, int *tcp)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    *udp = socket(AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(bind(*udp, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(getsockname(*udp, (struct sockaddr *)&sa, &sl), 0);
    *tcp = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(*tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(*tcp, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(*tcp, 16) != 0) {
        close(*tcp);
        *tcp = -1; /* the UDP sink alone still proves the timeout */
    }
    return ntohs(sa.sin_port);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

Test(livedns, server_that_drops_queries_gives_timeout_within_the_configured_time)
{
    int udp, tcp;
    unsigned port = sink_open(&udp, &tcp);
    struct live_opts o = { 300, 1, 0, false }; /* 300 ms x 2 attempts */
    struct dns_resolver *live = live_resolver_at(port, &o);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup_sync(live, SLICE_LIT("sel._domainkey.example.com"), DNS_T_TXT, &a,
                                 20000),
                 DNS_TIMEOUT);
    double el = ms_since(&t0);
    cr_assert_not_null(a, "a timeout is an answer from the resolver, not the sync deadline");
    cr_assert_eq(a->status, DNS_TIMEOUT);
    dns_release(live, a);
    fprintf(stderr, "livedns timeout: DNS_TIMEOUT after %.0f ms (2 attempts of 300 ms)\n", el);
    cr_assert(el >= 550 && el < 2000, "timed out after %.0f ms", el);
    /* Cached briefly (RFC 2308 §7): the same check asking again is not another 600 ms. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(dns_lookup(live, SLICE_LIT("sel._domainkey.example.com"), DNS_T_TXT, &a),
                 DNS_TIMEOUT);
    dns_release(live, a);
    cr_assert_lt(ms_since(&t0), 50);
    /* Many at once: all time out, none hangs. */
    char name[64];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "n%d.example.com", i);
        (void)dns_lookup(live, slice_make(name, strlen(name)), DNS_T_TXT, &a);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "n%d.example.com", i);
        cr_assert_eq(dns_lookup_sync(live, slice_make(name, strlen(name)), DNS_T_TXT, &a, 20000),
                     DNS_TIMEOUT);
        dns_release(live, a);
    }
    fprintf(stderr, "livedns timeout: 200 parallel queries all timed out after %.0f ms\n",
            ms_since(&t0));
    cr_assert_lt(ms_since(&t0), 5000);
    dns_resolver_free(live);
    close(udp);
    if (tcp >= 0) {
        close(tcp);
    }
}

/* A server that answers every query with SERVFAIL. */
struct sf_server {
    int fd;
    volatile int stop;
};

static void *sf_main(void *p)
{
    struct sf_server *s = p;
    uint8_t buf[1500];
    while (!s->stop) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 12) {
            continue;
        }
        buf[2] = (uint8_t)(buf[2] | 0x80); /* QR */
        buf[3] = (uint8_t)((buf[3] & 0xF0) | 2); /* RCODE SERVFAIL */
        memset(buf + 6, 0, 6); /* no answer, authority, additional (drops any OPT) */
        /* keep the header and question only */
        size_t off = 12;
        while (off < (size_t)n && buf[off] != 0) {
            off += (size_t)buf[off] + 1;
        }
        off += 5;
        if (off <= (size_t)n) {
            sendto(s->fd, buf, off, 0, (struct sockaddr *)&from, fl);
        }
    }
    return NULL;
}

Test(livedns, servfail_from_the_server_is_servfail)
{
    struct sf_server s = { .fd = socket(AF_INET, SOCK_DGRAM, 0) };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    struct timeval tv = { 0, 100000 };
    setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    cr_assert_eq(bind(s.fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(s.fd, (struct sockaddr *)&sa, &sl);
    pthread_t th;
    pthread_create(&th, NULL, sf_main, &s);
    struct live_opts o = { 1000, 0, 0, false };
    struct dns_resolver *live = live_resolver_at(ntohs(sa.sin_port), &o);
    const struct dns_answer *a;
    enum dns_status st = dns_lookup_sync(live, SLICE_LIT("x.example.com"), DNS_T_TXT, &a, 20000);
    cr_assert(st == DNS_SERVFAIL, "got %s", dns_status_name(st));
    cr_assert(dns_status_is_temp(st));
    dns_release(live, a);
    dns_resolver_free(live);
    s.stop = 1;
    pthread_join(th, NULL);
    close(s.fd);
}

Test(livedns, bad_names_never_reach_the_network)
{
    struct dns_resolver *live = live_resolver("main", NULL);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup_sync(live, SLICE_LIT("a..b"), DNS_T_TXT, &a, 1000), DNS_BADNAME);
    struct dnscache_stats st;
    dnscache_stats(dnscache_of(live), &st);
    cr_assert_eq(st.queries, 0);
    /* Odd but valid bytes are escaped for getdns, not read as syntax: NXDOMAIN, not an error. */
    cr_assert_eq(dns_lookup_sync(live, SLICE_LIT("we\\ird;(name)\".live.test"), DNS_T_TXT, &a,
                                 10000),
                 DNS_NXDOMAIN);
    dns_release(live, a);
    dns_resolver_free(live);
}

/* ---- authsweep verify: live, snapshot and recording give the same records ------------- */

static char *run_out(const char *cmd)
{
    char *out = NULL;
    size_t len;
    int rc = test_run(cmd, &out, &len);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, cmd);
    return out;
}

Test(livedns, verify_sample_live_equals_snapshot_and_its_recording_replays_identically)
{
    char tmpl[] = "/tmp/authsweep-live-XXXXXX", cmd[16384];
    cr_assert_not_null(mkdtemp(tmpl));
    const char *bin = test_bin(), *root = test_root_dir();
    unsigned port = live_port("main");
    snprintf(cmd, sizeof cmd,
             "'%s' verify -q --threads 4 --resolver 127.0.0.1#%u --resolver '::1#%u' "
             "--dns-record '%s/rec.zone' '%s/datasets/sample/sample.mbox'",
             bin, port, port, tmpl, root);
    char *live = run_out(cmd);
    snprintf(cmd, sizeof cmd,
             "'%s' verify -q --dns-snapshot '%s/datasets/sample/sample.zone' "
             "'%s/datasets/sample/sample.mbox'",
             bin, root, root);
    char *snap = run_out(cmd);
    cr_assert_str_eq(live, snap, "live DNS and the snapshot give different records");
    for (int threads = 1; threads <= 8; threads *= 8) {
        snprintf(cmd, sizeof cmd,
                 "'%s' verify -q --threads %d --dns-snapshot '%s/rec.zone' "
                 "'%s/datasets/sample/sample.mbox'",
                 bin, threads, tmpl, root);
        char *replay = run_out(cmd);
        cr_assert_str_eq(live, replay, "the recording replays differently (%d threads)",
                         threads);
        free(replay);
    }
    /* The recording says when and against what, and was written atomically. */
    snprintf(cmd, sizeof cmd, "%s/rec.zone", tmpl);
    size_t len;
    char *rec = test_read_file(cmd, &len);
    cr_assert_not_null(rec);
    cr_assert_not_null(strstr(rec, DNSREC_HEADER_TIME "20"), "%.300s", rec);
    cr_assert_not_null(strstr(rec, DNSREC_HEADER_RESOLVERS "stub to 127.0.0.1#"));
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c tmp; rm -rf '%s'", tmpl, tmpl);
    char *out = NULL;
    test_run(cmd, &out, &len);
    cr_assert_str_eq(out, "0\n", "a temporary file was left behind");
    free(out);
    free(rec);
    free(live);
    free(snap);
}

/* Many batches over live DNS: messages parked on lookups while the same worker also takes
 * its turns at reading (the read token), with one thread and with two. */
Test(livedns, many_batches_live_with_one_and_two_threads_equal_the_snapshot)
{
    char tmpl[] = "/tmp/authsweep-live-XXXXXX", cmd[16384];
    cr_assert_not_null(mkdtemp(tmpl));
    const char *bin = test_bin(), *root = test_root_dir();
    unsigned port = live_port("main");
    snprintf(cmd, sizeof cmd,
             "for i in $(seq 30); do cat '%s/datasets/sample/sample.mbox'; done > '%s/many.mbox'",
             root, tmpl);
    char *none = run_out(cmd);
    free(none);
    snprintf(cmd, sizeof cmd,
             "'%s' verify -q --as-of 1700000000 --dns-snapshot '%s/datasets/sample/sample.zone' "
             "'%s/many.mbox'",
             bin, root, tmpl);
    char *snap = run_out(cmd);
    for (int threads = 1; threads <= 2; threads++) {
        snprintf(cmd, sizeof cmd,
                 "'%s' verify -q --as-of 1700000000 --threads %d --resolver 127.0.0.1#%u "
                 "'%s/many.mbox'",
                 bin, threads, port, tmpl);
        char *live = run_out(cmd);
        cr_assert_str_eq(live, snap, "live DNS with %d thread(s) differs from the snapshot",
                         threads);
        free(live);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    char *out = run_out(cmd);
    free(out);
    free(snap);
}

/* ---- the RFC 7208 / 4408 SPF suites, each scenario served by NSD in turn --------------- */

struct flag_resolver {
    struct dns_resolver base;
    struct dns_resolver *inner;
    bool temp; /* a lookup hit ";! timeout" / ";! servfail": not servable by NSD */
};

static enum dns_status flag_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                   const struct dns_answer **out)
{
    struct flag_resolver *f = (struct flag_resolver *)r;
    enum dns_status st = dns_lookup(f->inner, name, qtype, out);
    f->temp = f->temp || dns_status_is_temp(st);
    return st;
}

static void flag_release(struct dns_resolver *r, const struct dns_answer *a)
{
    dns_release(((struct flag_resolver *)r)->inner, a);
}

static void flag_free(struct dns_resolver *r)
{
    (void)r;
}

static const struct dns_resolver_ops flag_ops = { "flag", flag_lookup, flag_release, flag_free,
                                                  NULL, false };

/* spf_until_done evaluates, waiting for DNS while the result is pending, as the pipeline
 * does with a parked message. */
static void spf_until_done(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                           struct spf_result *res)
{
    for (int i = 0; i < 1000; i++) {
        arena_reset(a);
        spf_check_mailfrom(a, r, req, res);
        if (!res->pending) {
            return;
        }
        (void)dns_wait(r, 1000);
    }
    cr_assert_fail("SPF evaluation still pending after 1000 waits");
}

static void serve_scenario(const char *zone, const char *tag)
{
    char canary[] = "/tmp/authsweep-canary-XXXXXX", cmd[16384];
    int fd = mkstemp(canary);
    cr_assert_geq(fd, 0);
    char text[256];
    int n = snprintf(text, sizeof text, "_scenario.authsweep-test. 300 IN TXT \"%s\"\n", tag);
    cr_assert_eq(write(fd, text, (size_t)n), n);
    close(fd);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/dns/live/zone2nsd.py' '%s/spf/root.zone' '%s' '%s' && "
             "/usr/sbin/nsd-control -c '%s' reload . >/dev/null",
             test_root_dir(), live_dir(), zone, canary, nsd_conf("spf"));
    char *out = NULL;
    size_t len;
    cr_assert_eq(test_run(cmd, &out, &len), 0, "cannot serve %s", zone);
    free(out);
    unlink(canary);
    /* The reload is asynchronous, and NSD forks new server processes while the old ones
     * may still answer for a moment: wait until the canary says this scenario is served,
     * several times in a row, so that no old process is left answering. */
    int in_a_row = 0;
    for (int i = 0; i < 400; i++) {
        struct dns_resolver *r = live_resolver("spf", NULL);
        const struct dns_answer *a;
        bool ok = dns_lookup_sync(r, SLICE_LIT("_scenario.authsweep-test"), DNS_T_TXT, &a,
                                  5000) == DNS_OK &&
                  a->n_rr == 1 && a->rr[0].rdlen == strlen(tag) + 1 &&
                  memcmp(a->rr[0].rdata + 1, tag, strlen(tag)) == 0;
        dns_release(r, a);
        dns_resolver_free(r);
        in_a_row = ok ? in_a_row + 1 : 0;
        if (in_a_row == 8) {
            return;
        }
        usleep(ok ? 10000 : 20000);
    }
    cr_assert_fail("NSD did not load %s", zone);
}

static void live_spf_suite(const char *suite)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/tests/vectors/spf/%s.tsv", test_root_dir(), suite);
    size_t len;
    char *text = test_read_file(path, &len);
    cr_assert_not_null(text);
    struct arena *ar = arena_new(0);
    char loaded[16] = "";
    struct dns_resolver *snap = NULL, *live = NULL;
    struct flag_resolver flag = { { &flag_ops }, NULL, false };
    unsigned run = 0, same = 0, skipped = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            continue;
        }
        char *f[8] = { 0 }, *p = line;
        for (int k = 0; k < 8 && p; k++) {
            f[k] = p;
            p = strchr(p, '\t');
            if (p) {
                *p++ = '\0';
            }
        }
        cr_assert_not_null(f[4], "short line in %s", path);
        if (strchr(f[3], '\\') || strchr(f[4], '\\')) {
            skipped++; /* escaped test fields: the snapshot suite covers them */
            continue;
        }
        if (strcmp(loaded, f[0]) != 0) {
            char err[512], zone[4200], tag[64];
            dns_resolver_free(snap);
            dns_resolver_free(live);
            snprintf(zone, sizeof zone, "%s/tests/vectors/spf/%s/%s.zone", test_root_dir(), suite,
                     f[0]);
            snap = snapshot_load(zone, err, sizeof err);
            cr_assert_not_null(snap, "%s", err);
            snprintf(tag, sizeof tag, "%s-%s", suite, f[0]);
            serve_scenario(zone, tag);
            live = live_resolver("spf", NULL);
            snprintf(loaded, sizeof loaded, "%s", f[0]);
        }
        struct spf_request req = { 0 };
        cr_assert(spf_ip_parse(slice_make(f[2], strlen(f[2])), &req.ip));
        req.mailfrom = slice_make(f[3], strlen(f[3]));
        req.helo = slice_make(f[4], strlen(f[4]));
        req.receiver = SLICE_LIT("receiver.example.org");
        req.now = 1400000000;
        struct spf_result rs, rl;
        flag.inner = snap;
        flag.temp = false;
        arena_reset(ar);
        spf_check_mailfrom(ar, &flag.base, &req, &rs);
        enum auth_verdict vs = rs.result;
        char exp_s[1024];
        snprintf(exp_s, sizeof exp_s, "%.*s", SLICE_FMT(rs.explanation));
        if (flag.temp) {
            skipped++; /* reaches ";! timeout"/";! servfail", which a server cannot serve */
            fprintf(stderr, "dnstest: %s/%s skipped: a timeout/servfail directive is on "
                            "its path\n", f[0], f[1]);
            continue;
        }
        run++;
        spf_until_done(ar, live, &req, &rl);
        char exp_l[1024];
        snprintf(exp_l, sizeof exp_l, "%.*s", SLICE_FMT(rl.explanation));
        cr_expect(rl.result == vs && strcmp(exp_s, exp_l) == 0,
                  "%s %s/%s: live %s '%s', snapshot %s '%s'", suite, f[0], f[1],
                  auth_verdict_name(rl.result), exp_l, auth_verdict_name(vs), exp_s);
        same += rl.result == vs && strcmp(exp_s, exp_l) == 0;
    }
    fprintf(stderr, "livedns %s: %u cases live == snapshot of %u run, %u skipped\n", suite, same,
            run, skipped);
    cr_assert_gt(run, 100);
    dns_resolver_free(snap);
    dns_resolver_free(live);
    arena_free(ar);
    free(text);
}

/* Both suites share the one "spf" server, so they run in one test, one after the other. */
/* live_dkim_set serves `zone` from NSD and requires `authsweep verify` over `inputs` (a
 * shell word list) to give the same records live as from the snapshot. The evaluation time
 * is fixed so that records do not depend on when each run started. */
static void live_dkim_set(const char *zone, const char *tag, const char *inputs)
{
    serve_scenario(zone, tag);
    char cmd[16384];
    const char *opts = "-q --no-progress --as-of 1700000000 --threads 2";
    snprintf(cmd, sizeof cmd, "'%s' verify %s --resolver 127.0.0.1#%u %s; true", test_bin(), opts,
             live_port("spf"), inputs);
    char *live = run_out(cmd);
    snprintf(cmd, sizeof cmd, "'%s' verify %s --dns-snapshot '%s' %s; true", test_bin(), opts,
             zone, inputs);
    char *snap = run_out(cmd);
    size_t n = 0;
    for (const char *p = snap; *p; p++) {
        n += *p == '\n';
    }
    cr_assert_gt(n, 0, "%s: no records", tag);
    cr_assert_str_eq(live, snap, "%s: live DNS and the snapshot give different records", tag);
    fprintf(stderr, "livedns %s: %zu records equal live and from the snapshot\n", tag, n);
    free(live);
    free(snap);
}

/* One test, because every case reloads the same NSD instance (tests run in parallel). */
Test(livedns, conformance_zones_give_the_same_results_live_as_from_the_snapshot)
{
    live_spf_suite("rfc7208-tests");
    live_spf_suite("rfc4408-tests");
    /* DKIM/ARC: the real-world messages with their real keys, and the vector sets whose zones
     * a server can serve (dkim-mail-dkim has ;! timeout lines, which it cannot). */
    const char *sh = test_shared_dir(), *root = test_root_dir();
    char zone[4200], inputs[8400];
    snprintf(zone, sizeof zone, "%s/conformance/realworld-dkim/realworld.zone", sh);
    snprintf(inputs, sizeof inputs, "'%s/conformance/realworld-dkim'", sh);
    live_dkim_set(zone, "realworld", inputs);
    static const char *const sets[][2] = {
        { "dkim-rfc8463-example", "dkim-rfc8463-example" },
        { "dkim-go-msgauth", "dkim-go-msgauth" },
        { "dkim-dkimpy", "dkim-dkimpy/data" },
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        snprintf(zone, sizeof zone, "%s/tests/vectors/dkim/%s.zone", root, sets[i][0]);
        snprintf(inputs, sizeof inputs, "'%s/conformance/%s'", sh, sets[i][1]);
        live_dkim_set(zone, sets[i][0], inputs);
    }
    /* DMARC: the RFC 9989 tree walk and every policy rule (p, sp, np, psd=y, multiple and
     * invalid records, t=y, a walk past eight labels), SPF pass and fail. */
    snprintf(zone, sizeof zone, "%s/tests/dns/live/dmarc.zone", root);
    snprintf(inputs, sizeof inputs, "'%s/tests/dns/live/dmarc.mbox'", root);
    live_dkim_set(zone, "dmarc", inputs);
}
