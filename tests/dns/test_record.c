/* dns/record.c: every kind of answer (records, CNAME chains, NXDOMAIN, NODATA, timeout,
 * SERVFAIL, hostile bytes in names and TXT) is recorded so that the snapshot loader accepts
 * the file and answers exactly the same; contradictions are dropped, counted, and the file
 * still loads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/cache.h"
#include "dns/live.h"
#include "dns/record.h"
#include "dns/snapshot.h"
#include "engine/core/arena.h"
#include "tests/dns/fake_backend.h"
#include "tests/support/guard.h"

static bool eq(const struct dnscache_query *q, const char *s)
{
    return q->name.len == strlen(s) && memcmp(q->name.ptr, s, q->name.len) == 0;
}

static slice wire(const char *text, uint8_t *buf)
{
    return slice_make(buf, dnscache_text_wire(slice_make(text, strlen(text)), buf));
}

static struct dnscache_answer *answer_of(enum dns_status st, const struct dnscache_query *q,
                                         const struct dns_rr *rr, size_t n)
{
    return dnscache_answer_new(st, q->qtype, q->name, NULL, NULL, 0, rr, n, 120);
}

/* The zone the fake backend serves. */
static struct dnscache_answer *table(const struct dnscache_query *q, void *ctx)
{
    (void)ctx;
    static const uint8_t a4[4] = { 192, 0, 2, 1 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const uint8_t mx[] = { 0, 10, 4, 'm', 'a', 'i', 'l', 3, 'r', 'e', 'c', 4, 't', 'e',
                                  's', 't', 0 };
    static const uint8_t odd_txt[] = { 5, 0, '"', '\\', 255, ';', 3, '(', ' ', ')' };
    static const uint8_t chained[] = { 7, 'c', 'h', 'a', 'i', 'n', 'e', 'd' };
    if (eq(q, "c1.rec.test") || eq(q, "c2.rec.test")) {
        uint8_t w0[256], w1[256], w2[256];
        bool first = eq(q, "c1.rec.test");
        slice chain[3] = { wire(first ? "c1.rec.test" : "c2.rec.test", w0),
                           wire(first ? "c2.rec.test" : "t.rec.test", w1),
                           wire("t.rec.test", w2) };
        uint32_t ttl[3] = { 100, 200, 0 };
        if (q->qtype == DNS_T_TXT) {
            struct dns_rr rr = { DNS_T_TXT, sizeof chained, 50, chained };
            return dnscache_answer_new(DNS_OK, q->qtype, q->name, chain, ttl, first ? 2 : 1, &rr,
                                       1, 50);
        }
        return dnscache_answer_new(DNS_NODATA, q->qtype, q->name, chain, ttl, first ? 2 : 1, NULL,
                                   0, 50);
    }
    if (eq(q, "a.rec.test") && q->qtype == DNS_T_A) {
        struct dns_rr rr[2] = { { DNS_T_A, 4, 60, a4 }, { DNS_T_A, 4, 60, a4 } };
        rr[1].rdata = (const uint8_t *)"\xc0\x00\x02\x02";
        return answer_of(DNS_OK, q, rr, 2);
    }
    if (eq(q, "a.rec.test") && q->qtype == DNS_T_AAAA) {
        struct dns_rr rr = { DNS_T_AAAA, 16, 60, a6 };
        return answer_of(DNS_OK, q, &rr, 1);
    }
    if (eq(q, "rec.test") && q->qtype == DNS_T_MX) {
        struct dns_rr rr = { DNS_T_MX, sizeof mx, 60, mx };
        return answer_of(DNS_OK, q, &rr, 1);
    }
    if (eq(q, "rec.test") && q->qtype == 257) { /* CAA: generic form */
        struct dns_rr rr = { 257, 3, 60, (const uint8_t *)"\x00\x01x" };
        return answer_of(DNS_OK, q, &rr, 1);
    }
    if (q->name.len > 9 && memcmp(q->name.ptr, "we;i\"rd(", 8) == 0) {
        struct dns_rr rr = { DNS_T_TXT, sizeof odd_txt, 60, odd_txt };
        return answer_of(DNS_OK, q, &rr, 1);
    }
    if (eq(q, "x.gone.rec.test") || eq(q, "t.rec.test")) {
        struct dns_rr rr = { DNS_T_TXT, sizeof chained, 50, chained };
        return answer_of(q->qtype == DNS_T_TXT ? DNS_OK : DNS_NODATA, q, &rr, 1);
    }
    if (eq(q, "to.rec.test")) {
        return answer_of(DNS_TIMEOUT, q, NULL, 0);
    }
    if (eq(q, "sf.rec.test")) {
        return answer_of(DNS_SERVFAIL, q, NULL, 0);
    }
    if (eq(q, "nodata.rec.test") || eq(q, "rec.test")) {
        return answer_of(DNS_NODATA, q, NULL, 0);
    }
    return answer_of(DNS_NXDOMAIN, q, NULL, 0); /* gone.rec.test, nx.rec.test, ... */
}

struct q {
    const char *name;
    uint16_t type;
};

static const struct q queries[] = {
    { "c1.rec.test", DNS_T_TXT },      { "c2.rec.test", DNS_T_TXT },
    { "c1.rec.test", DNS_T_A },        { "t.rec.test", DNS_T_TXT },
    { "a.rec.test", DNS_T_A },         { "a.rec.test", DNS_T_AAAA },
    { "rec.test", DNS_T_MX },          { "rec.test", 257 },
    { "rec.test", DNS_T_TXT },         { "nodata.rec.test", DNS_T_TXT },
    { "nx.rec.test", DNS_T_TXT },      { "nx.rec.test", DNS_T_A },
    { "to.rec.test", DNS_T_TXT },      { "sf.rec.test", DNS_T_SPF },
    { "we;i\"rd(x) \\.rec.test", DNS_T_TXT },
};

static struct dns_resolver *recorder(void)
{
    struct fake_backend *f = fake_backend_new(true, 0, table, NULL);
    struct dns_resolver *c = dnscache_new(NULL, fake_backend_base(f));
    struct dns_resolver *r = dnsrec_new(c, "stub to test#53", 1700000000);
    cr_assert_not_null(r);
    return r;
}

static void same(const char *what, const struct dns_answer *x, const struct dns_answer *y)
{
    cr_assert_eq(x->status, y->status, "%s: %s vs %s", what, dns_status_name(x->status),
                 dns_status_name(y->status));
    cr_assert(slice_eq(x->owner, y->owner), "%s: owner %.*s vs %.*s", what, SLICE_FMT(x->owner),
              SLICE_FMT(y->owner));
    cr_assert_eq(x->n_cname, y->n_cname, "%s: hops", what);
    cr_assert_eq(x->n_rr, y->n_rr, "%s: records", what);
    for (size_t i = 0; i < x->n_rr; i++) {
        cr_assert_eq(x->rr[i].rdlen, y->rr[i].rdlen, "%s", what);
        cr_assert_eq(memcmp(x->rr[i].rdata, y->rr[i].rdata, x->rr[i].rdlen), 0, "%s", what);
        cr_assert_eq(x->rr[i].ttl, y->rr[i].ttl, "%s: ttl", what);
    }
}

static struct dns_resolver *render_and_load(struct dns_resolver *r, size_t *conflicts,
                                            char **text)
{
    uint8_t *out;
    size_t len;
    char err[512];
    struct dnsrec_result res;
    bool ok = dnsrec_render(r, &out, &len, &res, err, sizeof err);
    cr_assert(ok, "the recording does not load: %s\n%.*s", err, (int)len, (const char *)out);
    struct dns_resolver *s = snapshot_load_mem(slice_make(out, len), "rec", err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    *conflicts = res.conflicts;
    *text = malloc(len + 1);
    memcpy(*text, out, len);
    (*text)[len] = '\0';
    xfree(out);
    return s;
}

Test(dnsrec, every_kind_of_answer_replays_the_same)
{
    struct dns_resolver *r = recorder();
    const struct dns_answer *live[sizeof queries / sizeof queries[0]];
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        slice n = slice_make(queries[i].name, strlen(queries[i].name));
        (void)dns_lookup_sync(r, n, queries[i].type, &live[i], 5000);
        cr_assert_not_null(live[i], "%s", queries[i].name);
    }
    size_t conflicts;
    char *text;
    struct dns_resolver *s = render_and_load(r, &conflicts, &text);
    cr_assert_eq(conflicts, 0, "%s", text);
    cr_assert_not_null(strstr(text, DNSREC_HEADER_TIME "2023-11-14T22:13:20Z\n"), "%s", text);
    cr_assert_not_null(strstr(text, DNSREC_HEADER_RESOLVERS "stub to test#53\n"));
    cr_assert_not_null(strstr(text, "c1.rec.test. 100 IN CNAME c2.rec.test.\n"), "%s", text);
    cr_assert_not_null(strstr(text, ";! nxdomain nx.rec.test.\n"), "%s", text);
    cr_assert_not_null(strstr(text, ";! timeout to.rec.test. TXT\n"), "%s", text);
    cr_assert_not_null(strstr(text, ";! servfail sf.rec.test. SPF\n"), "%s", text);
    cr_assert_not_null(strstr(text, ";! nodata t.rec.test. A\n"), "%s", text);
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        const struct dns_answer *y;
        slice n = slice_make(queries[i].name, strlen(queries[i].name));
        (void)dns_lookup(s, n, queries[i].type, &y);
        same(queries[i].name, live[i], y);
        dns_release(s, y);
        dns_release(r, live[i]);
    }
    free(text);
    dns_resolver_free(s);
    dns_resolver_free(r);
}

Test(dnsrec, contradictions_are_dropped_and_the_file_still_loads)
{
    /* gone.rec.test was NXDOMAIN, yet x.gone.rec.test has a record: a zone file cannot say
     * both (RFC 8020), the loader refuses it; the nxdomain line is left out and counted. */
    struct dns_resolver *r = recorder();
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup_sync(r, SLICE_LIT("gone.rec.test"), DNS_T_TXT, &a, 5000),
                 DNS_NXDOMAIN);
    dns_release(r, a);
    cr_assert_eq(dns_lookup_sync(r, SLICE_LIT("x.gone.rec.test"), DNS_T_TXT, &a, 5000), DNS_OK);
    dns_release(r, a);
    size_t conflicts;
    char *text;
    struct dns_resolver *s = render_and_load(r, &conflicts, &text);
    cr_assert_eq(conflicts, 1);
    cr_assert_null(strstr(text, "nxdomain gone"), "%s", text);
    cr_assert_eq(dns_lookup(s, SLICE_LIT("x.gone.rec.test"), DNS_T_TXT, &a), DNS_OK);
    dns_release(s, a);
    free(text);
    dns_resolver_free(s);
    dns_resolver_free(r);
}

Test(dnsrec, only_final_answers_are_kept_and_the_first_one_wins)
{
    struct dns_resolver *r = recorder();
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, SLICE_LIT("a.rec.test"), DNS_T_A, &a), DNS_PENDING);
    cr_assert_eq(dns_lookup(r, SLICE_LIT("a..rec.test"), DNS_T_A, &a), DNS_BADNAME);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(dns_lookup_sync(r, SLICE_LIT("A.Rec.Test."), DNS_T_A, &a, 5000), DNS_OK);
        dns_release(r, a);
    }
    uint8_t *out;
    size_t len;
    char err[256];
    struct dnsrec_result res;
    cr_assert(dnsrec_render(r, &out, &len, &res, err, sizeof err), "%s", err);
    cr_assert_eq(res.answers, 1);
    xfree(out);
    dns_resolver_free(r);
}

Test(dnsrec, write_is_atomic_and_replaces_the_old_file)
{
    char dir[] = "/tmp/authsweep-rec-XXXXXX", path[256], err[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/rec.zone", dir);
    FILE *f = fopen(path, "w");
    fputs("old\n", f);
    fclose(f);
    struct dns_resolver *r = recorder();
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup_sync(r, SLICE_LIT("rec.test"), DNS_T_MX, &a, 5000), DNS_OK);
    dns_release(r, a);
    struct dnsrec_result res;
    cr_assert(dnsrec_write(r, path, &res, err, sizeof err), "%s", err);
    struct dns_resolver *s = snapshot_load(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(dns_lookup(s, SLICE_LIT("rec.test"), DNS_T_MX, &a), DNS_OK);
    dns_release(s, a);
    dns_resolver_free(s);
    /* A folder that does not exist: an error, and nothing half-written. */
    snprintf(path, sizeof path, "%s/missing/rec.zone", dir);
    cr_assert_not(dnsrec_write(r, path, &res, err, sizeof err));
    cr_assert_not_null(strstr(err, "cannot create"), "%s", err);
    dns_resolver_free(r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) = 1 && rm -rf %s", dir, dir);
    cr_assert_eq(system(cmd), 0, "leftover files in %s", dir);
}

Test(dnsrec, only_a_cache_can_be_recorded)
{
    char err[128];
    struct dns_resolver *s = snapshot_load_mem(guard_slice("a. 1 IN A 192.0.2.1\n"), "z", err,
                                               sizeof err);
    cr_assert_null(dnsrec_new(s, "x", 0));
    dns_resolver_free(s);
}
