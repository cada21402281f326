/* fuzz_spf: RFC 7208 check_host() over records the fuzzer writes (tests/fuzz/fzdns.h serves
 * its lines as the TXT answers of every name), plus the record parser and spf_ip_parse on
 * each line. The first byte picks the request: bit 0 IPv6 client, bit 1 empty MAIL FROM,
 * bit 2 the HELO identity. */
#include <string.h>

#include "engine/policy/spf.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fzdns.h"

static bool valid_verdict(enum auth_verdict v)
{
    switch (v) {
    case AV_NONE:
    case AV_NEUTRAL:
    case AV_PASS:
    case AV_FAIL:
    case AV_SOFTFAIL:
    case AV_TEMPERROR:
    case AV_PERMERROR:
        return true;
    case AV_POLICY:
    case AV__COUNT:
        return false;
    }
    return false;
}

static void touch(slice s)
{
    for (size_t k = 0; k < s.len; k++) {
        (void)*(volatile const uint8_t *)(s.ptr + k);
    }
}

int fuzz_spf_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    if (size < 1) {
        return 0;
    }
    uint8_t flags = data[0];
    slice lines[64];
    size_t n = fzdns_split_lines(slice_make(data + 1, size - 1), lines, 64);

    for (size_t i = 0; i < n; i++) {
        struct spf_ip ip;
        if (spf_ip_parse(lines[i], &ip)) {
            FUZZ_CHECK(ip.family == 4 || ip.family == 6);
        }
        struct spf_record rec;
        const char *why = NULL;
        slice where = SLICE_NULL;
        if (spf_record_parse(a, lines[i], &rec, &why, &where)) {
            for (size_t k = 0; k < rec.n_terms; k++) {
                FUZZ_CHECK(rec.terms[k].mech < SPF_M__COUNT);
                touch(rec.terms[k].text);
                touch(rec.terms[k].arg);
                if (rec.terms[k].mech == SPF_M_IP4 || rec.terms[k].mech == SPF_M_IP6) {
                    FUZZ_CHECK(rec.terms[k].cidr4 <= 32 && rec.terms[k].cidr6 <= 128);
                }
            }
        } else {
            FUZZ_CHECK(why != NULL);
            touch(where);
        }
    }

    struct fzdns dns;
    fzdns_init(&dns, lines, n);
    struct spf_request req;
    memset(&req, 0, sizeof(req));
    FUZZ_CHECK(spf_ip_parse((flags & 1) ? SLICE_LIT("2001:db8::1") : SLICE_LIT("192.0.2.1"),
                            &req.ip));
    req.mailfrom = (flags & 2) ? SLICE_LIT("") : SLICE_LIT("strong-bad@email.example.com");
    req.helo = SLICE_LIT("mx.example.org");
    req.receiver = SLICE_LIT("receiver.example.net");
    req.now = 1700000000;
    struct spf_result res;
    memset(&res, 0, sizeof(res));
    if (flags & 4) {
        spf_check_helo(a, &dns.base, &req, &res);
    } else {
        spf_check_mailfrom(a, &dns.base, &req, &res);
    }
    FUZZ_CHECK(valid_verdict(res.result));
    FUZZ_CHECK(!res.pending); /* the fake never answers DNS_PENDING */
    FUZZ_CHECK(res.lookups <= SPF_MAX_LOOKUPS);
    FUZZ_CHECK(res.void_lookups <= SPF_MAX_VOID + 1);
    if (res.result == AV_PERMERROR || res.result == AV_TEMPERROR) {
        FUZZ_CHECK(res.reason != NULL);
    }
    if (res.explanation.ptr != NULL) {
        FUZZ_CHECK(res.result == AV_FAIL);
        FUZZ_CHECK(res.explanation.len <= SPF_EXPAND_MAX);
    }
    touch(res.domain);
    touch(res.mechanism);
    touch(res.explanation);
    touch(res.reason_where);
    return 0;
}

FUZZ_ENTRY(fuzz_spf_one)
