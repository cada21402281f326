#include <criterion/criterion.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/policy/spfcache.h"

static const char zone[] =
    "plain.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bylocal.example. 300 IN TXT \"v=spf1 exists:%{l}.ok.bylocal.example -all\"\n"
    "alice.ok.bylocal.example. 300 IN A 127.0.0.2\n"
    "byhelo.example. 300 IN TXT \"v=spf1 exists:%{h}.ok.byhelo.example -all\"\n"
    "mx1.ok.byhelo.example. 300 IN A 127.0.0.2\n";

static struct dns_resolver *r;
static struct spfcache *c;
static struct arena *a;

static void setup(void)
{
    char err[256];
    r = snapshot_load_mem(slice_make(zone, strlen(zone)), "t.zone", err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    c = spfcache_new();
    a = arena_new(0);
}

static void teardown(void)
{
    spfcache_free(c);
    dns_resolver_free(r);
    arena_free(a);
}

static enum auth_verdict check(const char *ip, const char *from, const char *helo)
{
    struct spf_request req = { .mailfrom = slice_make(from, strlen(from)),
                               .helo = slice_make(helo, strlen(helo)) };
    cr_assert(spf_ip_parse(slice_make(ip, strlen(ip)), &req.ip));
    struct spf_result res;
    spfcache_check_mailfrom(c, a, r, &req, &res);
    struct spf_result direct;
    spf_check_mailfrom(a, r, &req, &direct);
    cr_assert_eq(res.result, direct.result, "cached result equals a fresh evaluation");
    return res.result;
}

TestSuite(spfcache, .init = setup, .fini = teardown);

Test(spfcache, same_address_and_domain_is_evaluated_once)
{
    cr_assert_eq(check("192.0.2.7", "a@plain.example", "h1"), AV_PASS);
    cr_assert_eq(check("192.0.2.7", "bounce-123@PLAIN.example", "h2"), AV_PASS);
    cr_assert_eq(check("198.51.100.1", "a@plain.example", "h1"), AV_FAIL);
    uint64_t hits, evals;
    spfcache_stats(c, &hits, &evals);
    cr_assert_eq(evals, 2);
    cr_assert_eq(hits, 1);
}

Test(spfcache, local_part_macro_keeps_results_apart)
{
    cr_assert_eq(check("192.0.2.7", "alice@bylocal.example", "h"), AV_PASS);
    cr_assert_eq(check("192.0.2.7", "mallory@bylocal.example", "h"), AV_FAIL);
    cr_assert_eq(check("192.0.2.7", "alice@bylocal.example", "other"), AV_PASS);
}

Test(spfcache, helo_macro_keeps_results_apart)
{
    cr_assert_eq(check("192.0.2.7", "x@byhelo.example", "mx1"), AV_PASS);
    cr_assert_eq(check("192.0.2.7", "x@byhelo.example", "mx2"), AV_FAIL);
    cr_assert_eq(check("192.0.2.7", "y@byhelo.example", "MX1"), AV_PASS);
}

Test(spfcache, none_is_kept_per_domain_for_every_address)
{
    /* No SPF record: RFC 7208 §2.6.1 "none" is decided before any address is looked at. */
    cr_assert_eq(check("192.0.2.7", "a@norecord.example", "h"), AV_NONE);
    cr_assert_eq(check("198.51.100.9", "b@norecord.example", "h"), AV_NONE);
    cr_assert_eq(check("2001:db8::1", "c@norecord.example", "h"), AV_NONE);
    uint64_t hits, evals;
    spfcache_stats(c, &hits, &evals);
    cr_assert_eq(evals, 1);
    cr_assert_eq(hits, 2);
    /* A domain with a record is still judged per address. */
    cr_assert_eq(check("192.0.2.7", "a@plain.example", "h"), AV_PASS);
    cr_assert_eq(check("198.51.100.9", "a@plain.example", "h"), AV_FAIL);
}

Test(spfcache, helo_none_is_reused_and_other_helo_results_are_not_kept)
{
    struct spf_request req = { .mailfrom = SLICE_LIT(""), .helo = SLICE_LIT("mx9.nowhere.example") };
    cr_assert(spf_ip_parse(SLICE_LIT("192.0.2.7"), &req.ip));
    struct spf_result res, direct;
    spfcache_check_helo(c, a, r, &req, &res);
    cr_assert_eq(res.result, AV_NONE);
    cr_assert(spf_ip_parse(SLICE_LIT("203.0.113.5"), &req.ip));
    spfcache_check_helo(c, a, r, &req, &res);
    spf_check_helo(a, r, &req, &direct);
    cr_assert_eq(res.result, direct.result);
    cr_assert(slice_eq(res.domain, direct.domain));
    uint64_t hits, evals;
    spfcache_stats(c, &hits, &evals);
    cr_assert_eq(hits, 1);
    /* plain.example as a HELO name has a record: judged afresh for each address. */
    req.helo = SLICE_LIT("plain.example");
    spfcache_check_helo(c, a, r, &req, &res);
    cr_assert_eq(res.result, AV_FAIL);
    cr_assert(spf_ip_parse(SLICE_LIT("192.0.2.8"), &req.ip));
    spfcache_check_helo(c, a, r, &req, &res);
    cr_assert_eq(res.result, AV_PASS);
    spfcache_stats(c, &hits, &evals);
    cr_assert_eq(hits, 1);
}
