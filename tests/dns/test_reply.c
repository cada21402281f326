/* dnslive_parse_reply over hand-built wire replies: compression (and pointer loops), CNAME
 * chains, negative answers with the RFC 2308 TTL, and replies that must be SERVFAIL. Every
 * reply sits against a guard page. */
#include <criterion/criterion.h>
#include <string.h>

#include "dns/live.h"
#include "tests/support/guard.h"

static struct dnscache_answer *parse(const uint8_t *m, size_t n, const char *q, uint16_t t)
{
    return dnslive_parse_reply(guard_bytes(m, n), slice_make(q, strlen(q)), t);
}

/* Header: id 1, QR|RD|RA + rcode, QD 1, AN an, NS ns. Question "a.b" TXT IN at offset 12. */
#define HDR(rc, an, ns) 0, 1, 0x81, (0x80 | (rc)), 0, 1, 0, (an), 0, (ns), 0, 0
#define QAB 1, 'a', 1, 'b', 0, 0, 16, 0, 1

Test(dnsreply, compressed_cname_chain_is_followed)
{
    static const uint8_t m[] = {
        HDR(0, 2, 0), QAB,
        /* a.b CNAME c.b (c + pointer to "b" at 14) */
        0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 100, 0, 4, 1, 'c', 0xC0, 14,
        /* c.b TXT "hi" (owner: pointer to the CNAME's rdata at 33) */
        0xC0, 33, 0, 16, 0, 1, 0, 0, 0, 50, 0, 3, 2, 'h', 'i',
    };
    struct dnscache_answer *a = parse(m, sizeof m, "a.b", 16);
    cr_assert_eq(a->pub.status, DNS_OK);
    cr_assert_eq(a->pub.n_cname, 1);
    cr_assert(slice_eq(a->pub.owner, SLICE_LIT("c.b")));
    cr_assert_eq(a->pub.n_rr, 1);
    cr_assert_eq(a->pub.ttl, 50);
    cr_assert_eq(memcmp(a->pub.rr[0].rdata, "\2hi", 3), 0);
    dnscache_answer_unref(a);
}

Test(dnsreply, nxdomain_takes_the_soa_minimum)
{
    static const uint8_t m[] = {
        HDR(3, 0, 1), QAB,
        /* b SOA ns.b. h.b. serial refresh retry expire minimum=60, TTL 300 */
        0xC0, 14, 0, 6, 0, 1, 0, 0, 1, 44, 0, 29, 2, 'n', 's', 0xC0, 14, 1, 'h', 0xC0, 14,
        0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 60,
    };
    struct dnscache_answer *a = parse(m, sizeof m, "a.b", 16);
    cr_assert_eq(a->pub.status, DNS_NXDOMAIN);
    cr_assert_eq(a->pub.ttl, 60);
    dnscache_answer_unref(a);
}

Test(dnsreply, nodata_without_soa_uses_the_default)
{
    static const uint8_t m[] = { HDR(0, 0, 0), QAB };
    struct dnscache_answer *a = parse(m, sizeof m, "a.b", 16);
    cr_assert_eq(a->pub.status, DNS_NODATA);
    cr_assert_eq(a->pub.ttl, DNSCACHE_NEG_TTL);
    dnscache_answer_unref(a);
}

Test(dnsreply, hostile_replies_are_servfail)
{
    static const uint8_t loop[] = { HDR(0, 1, 0), QAB,
                                    /* owner is a pointer to itself */
                                    0xC0, 21, 0, 16, 0, 1, 0, 0, 0, 1, 0, 2, 1, 'x' };
    static const uint8_t fwd[] = { HDR(0, 1, 0), QAB, 0xC0, 40, 0, 16, 0, 1, 0, 0, 0, 1, 0, 2,
                                   1, 'x' };
    static const uint8_t shortrd[] = { HDR(0, 1, 0), QAB, 0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 1,
                                       0, 9, 1, 'x' };
    static const uint8_t badtxt[] = { HDR(0, 1, 0), QAB, 0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 1,
                                      0, 2, 5, 'x' };
    static const uint8_t tc[] = { 0, 1, 0x83, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, QAB };
    static const uint8_t otherq[] = { HDR(0, 0, 0), 1, 'z', 1, 'b', 0, 0, 16, 0, 1 };
    static const uint8_t refused[] = { HDR(5, 0, 0), QAB };
    static const uint8_t trunc[] = { HDR(0, 1, 0), QAB, 0xC0 };
    const struct { const uint8_t *m; size_t n; const char *what; } cases[] = {
        { loop, sizeof loop, "pointer loop" },     { fwd, sizeof fwd, "forward pointer" },
        { shortrd, sizeof shortrd, "rdlen past end" }, { badtxt, sizeof badtxt, "bad TXT" },
        { tc, sizeof tc, "truncated flag" },       { otherq, sizeof otherq, "other question" },
        { refused, sizeof refused, "REFUSED" },    { trunc, sizeof trunc, "cut short" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dnscache_answer *a = parse(cases[i].m, cases[i].n, "a.b", 16);
        cr_assert_eq(a->pub.status, DNS_SERVFAIL, "%s", cases[i].what);
        dnscache_answer_unref(a);
    }
    for (size_t n = 0; n < sizeof loop; n++) { /* every prefix: no over-read */
        dnscache_answer_unref(parse(loop, n, "a.b", 16));
    }
}

Test(dnsreply, server_parse_accepts_v4_v6_and_ports)
{
    struct dnslive_server s;
    char buf[64];
    cr_assert(dnslive_server_parse("127.0.0.1", &s));
    cr_assert_eq(s.port, 53);
    cr_assert(dnslive_server_parse("::1#5353", &s));
    cr_assert_eq(s.family, 6);
    cr_assert_str_eq(dnslive_server_text(&s, buf), "::1#5353");
    cr_assert_not(dnslive_server_parse("127.0.0.1#0", &s));
    cr_assert_not(dnslive_server_parse("127.0.0.1#70000", &s));
    cr_assert_not(dnslive_server_parse("example.com", &s));
    cr_assert_not(dnslive_server_parse("#53", &s));
}
