/* fuzz_snapshot: the zone-file reader (snapshot_load_mem) over any bytes; when it loads, a few
 * lookups (the owner names the text starts lines with, and fixed names) of several types,
 * with the rdata helpers run on every answer (generic \# rdata may be malformed for its
 * type, so their results are not checked, only that they stay in bounds). */
#include <string.h>

#include "dns/snapshot.h"
#include "tests/fuzz/fuzz.h"

static void lookup_all(struct dns_resolver *r, struct arena *a, slice name)
{
    static const uint16_t types[] = { DNS_T_TXT, DNS_T_A, DNS_T_AAAA, DNS_T_MX,
                                      DNS_T_CNAME, DNS_T_PTR, DNS_T_NS, DNS_T_ANY };
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        const struct dns_answer *ans = NULL;
        enum dns_status st = dns_lookup(r, name, types[t], &ans);
        FUZZ_CHECK(st < DNS__STATUS_COUNT && st != DNS_PENDING);
        if (st == DNS_BADNAME) {
            FUZZ_CHECK(ans == NULL);
            continue;
        }
        FUZZ_CHECK(ans != NULL && ans->status == st);
        FUZZ_CHECK((st == DNS_OK) == (ans->n_rr > 0));
        for (size_t i = 0; i < ans->n_rr; i++) {
            const struct dns_rr *rr = &ans->rr[i];
            if (types[t] != DNS_T_ANY) {
                FUZZ_CHECK(rr->type == types[t]);
            }
            for (size_t k = 0; k < rr->rdlen; k++) {
                (void)*(volatile const uint8_t *)(rr->rdata + k);
            }
            slice out;
            switch (rr->type) {
            case DNS_T_TXT:
                (void)dns_txt_join(rr, a, &out);
                break;
            case DNS_T_MX:
                (void)dns_rdata_name(rr, 2, a, &out);
                break;
            case DNS_T_CNAME:
            case DNS_T_PTR:
            case DNS_T_NS:
                (void)dns_rdata_name(rr, 0, a, &out);
                break;
            default:
                (void)dns_txt_join(rr, a, &out);
                (void)dns_rdata_name(rr, 0, a, &out);
                break;
            }
        }
        dns_release(r, ans);
    }
}

int fuzz_snapshot_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    char err[256];
    memset(err, 'x', sizeof(err));
    struct dns_resolver *r = snapshot_load_mem(slice_make(data, size), "fuzz.zone", err,
                                               sizeof(err));
    if (r == NULL) {
        FUZZ_CHECK(memchr(err, 0, sizeof(err)) != NULL); /* a NUL-terminated message */
        return 0;
    }
    /* Owner names: the first token of the first lines that start with one. */
    slice rest = slice_make(data, size), line;
    unsigned tried = 0;
    while (tried < 8 && slice_take_line(&rest, &line)) {
        if (line.len == 0 || line.ptr[0] == ' ' || line.ptr[0] == '\t' || line.ptr[0] == ';' ||
            line.ptr[0] == '$') {
            continue;
        }
        size_t e = 0;
        while (e < line.len && line.ptr[e] != ' ' && line.ptr[e] != '\t') {
            e++;
        }
        lookup_all(r, a, slice_make(line.ptr, e));
        tried++;
    }
    static const slice fixed[] = { SLICE_INIT("example.com"), SLICE_INIT("a.b.example.com."),
                                   SLICE_INIT("sel._domainkey.example.com"),
                                   SLICE_INIT("x.wild.example.com") };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        lookup_all(r, a, fixed[i]);
    }
    size_t recs = 0, lookups = 0;
    snapshot_stats(r, &recs, &lookups);
    dns_resolver_free(r);
    return 0;
}

FUZZ_ENTRY(fuzz_snapshot_one)
