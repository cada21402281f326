/* Unit tests for RFC 7208 SPF: the macro language (§7), address parsing and CIDR matching,
 * record syntax, and each processing limit (§4.6.4). DNS comes from a snapshot loaded from
 * a zone in memory, wrapped by a small fake that counts queries and can answer DNS_PENDING
 * (which the snapshot, being synchronous, never does). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/policy/spf.h"
#include "tests/support/guard.h"

/* ---- fake resolver: a snapshot plus a "pending" name and a query counter ------------- */

struct fake_dns {
    struct dns_resolver base;
    struct dns_resolver *inner;
    slice pending_name;
    unsigned queries;
};

static enum dns_status fake_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                   const struct dns_answer **out)
{
    struct fake_dns *f = (struct fake_dns *)r;
    f->queries++;
    if (f->pending_name.len > 0 && slice_eq_ci(name, f->pending_name)) {
        return DNS_PENDING;
    }
    return dns_lookup(f->inner, name, qtype, out);
}

static void fake_release(struct dns_resolver *r, const struct dns_answer *a)
{
    dns_release(((struct fake_dns *)r)->inner, a);
}

static void fake_free(struct dns_resolver *r)
{
    (void)r;
}

static const struct dns_resolver_ops fake_ops = { "fake", fake_lookup, fake_release, fake_free,
                                                  NULL, false };

static struct fake_dns fake;
static struct arena *arena;

static struct dns_resolver *zone(const char *text)
{
    char err[256];
    fake.inner = snapshot_load_mem(slice_make(text, strlen(text)), "test", err, sizeof(err));
    cr_assert_not_null(fake.inner, "%s", err);
    fake.base.ops = &fake_ops;
    fake.pending_name = SLICE_NULL;
    fake.queries = 0;
    return &fake.base;
}

static void setup(void)
{
    arena = arena_new(0);
}

static void teardown(void)
{
    dns_resolver_free(fake.inner);
    fake.inner = NULL;
    arena_free(arena);
}

static struct spf_request request(const char *ip, const char *mailfrom, const char *helo)
{
    struct spf_request req = {0};
    cr_assert(spf_ip_parse(slice_make(ip, strlen(ip)), &req.ip));
    req.mailfrom = slice_make(mailfrom, strlen(mailfrom));
    req.helo = slice_make(helo, strlen(helo));
    req.receiver = SLICE_LIT("mx.example.org");
    req.now = 1234567890;
    return req;
}

static struct spf_result check(struct dns_resolver *r, const char *ip, const char *mailfrom)
{
    struct spf_request req = request(ip, mailfrom, "helo.example.org");
    struct spf_result res;
    spf_check_mailfrom(arena, r, &req, &res);
    return res;
}

/* ---- macro expansion (RFC 7208 §7.4 examples) ---------------------------------------- */

static struct spf_request mreq;

static bool expand_as(const char *ip, const char *macro, bool exp, slice *out)
{
    static const char zone_text[] = "3.2.0.192.in-addr.arpa. IN PTR mx.example.org.\n"
                                    "mx.example.org. IN A 192.0.2.3\n";
    struct dns_resolver *r = zone(zone_text);
    mreq = request(ip, "strong-bad@email.example.com", "mx.example.org");
    struct spf_ctx c;
    struct spf_result res;
    spf_ctx_init(&c, arena, r, &mreq, &res);
    struct spf_scope sc = {
        .domain = SLICE_LIT("email.example.com"),
        .sender = mreq.mailfrom,
        .local = SLICE_LIT("strong-bad"),
        .sender_domain = SLICE_LIT("email.example.com"),
    };
    return spf_expand(&c, &sc, guard_slice(macro), exp ? SPF_EXPAND_EXP : SPF_EXPAND_DOMAIN, out);
}

static void expect_expand(const char *macro, const char *want)
{
    slice out;
    cr_assert(expand_as("192.0.2.3", macro, true, &out), "%s failed", macro);
    cr_assert(slice_eq(out, slice_make(want, strlen(want))), "%s -> '%.*s', want '%s'", macro,
              SLICE_FMT(out), want);
    dns_resolver_free(fake.inner);
    fake.inner = NULL;
}

Test(spf_macro, every_letter_expands_as_rfc7208_section_7_4_shows, .init = setup, .fini = teardown)
{
    expect_expand("%{s}", "strong-bad@email.example.com");
    expect_expand("%{o}", "email.example.com");
    expect_expand("%{d}", "email.example.com");
    expect_expand("%{l}", "strong-bad");
    expect_expand("%{i}", "192.0.2.3");
    expect_expand("%{p}", "mx.example.org");
    expect_expand("%{v}", "in-addr");
    expect_expand("%{h}", "mx.example.org");
    expect_expand("%{c}", "192.0.2.3");
    expect_expand("%{r}", "mx.example.org");
    expect_expand("%{t}", "1234567890");
}

Test(spf_macro, digit_and_reverse_transformers_keep_right_hand_parts, .init = setup,
     .fini = teardown)
{
    expect_expand("%{d4}", "email.example.com");
    expect_expand("%{d3}", "email.example.com");
    expect_expand("%{d2}", "example.com");
    expect_expand("%{d1}", "com");
    expect_expand("%{dr}", "com.example.email");
    expect_expand("%{d2r}", "example.email");
    expect_expand("%{d99999999999}", "email.example.com");
}

Test(spf_macro, delimiters_split_and_rejoin_with_dots, .init = setup, .fini = teardown)
{
    expect_expand("%{l-}", "strong.bad");
    expect_expand("%{lr}", "strong-bad");
    expect_expand("%{lr-}", "bad.strong");
    expect_expand("%{l1r-}", "strong");
    expect_expand("%{l+-}", "strong.bad");
    expect_expand("%{s=}", "strong-bad@email.example.com");
    expect_expand("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com");
    expect_expand("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com");
    expect_expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
                  "3.2.0.192.in-addr.strong.lp._spf.example.com");
}

Test(spf_macro, uppercase_letters_are_url_escaped, .init = setup, .fini = teardown)
{
    expect_expand("%{S}", "strong-bad%40email.example.com");
    expect_expand("%{L}", "strong-bad");
    expect_expand("%{H}", "mx.example.org");
}

Test(spf_macro, escapes_for_percent_space_and_url_space, .init = setup, .fini = teardown)
{
    expect_expand("%%%_%-", "% %20");
    expect_expand("a%%b", "a%b");
}

Test(spf_macro, ipv6_letters_use_nibbles_and_rfc5952_text, .init = setup, .fini = teardown)
{
    slice out;
    cr_assert(expand_as("2001:db8::cb01", "%{i}|%{v}|%{c}|%{ir}", true, &out));
    /* upper-case nibbles: the suite's v-macro-ip6 (see put_ip_dotted) */
    cr_assert(slice_eq(out, SLICE_LIT("2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                                      "C.B.0.1|ip6|2001:db8::cb01|1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0."
                                      "0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2")),
              "%.*s", SLICE_FMT(out));
}

Test(spf_macro, p_without_validated_name_is_unknown, .init = setup, .fini = teardown)
{
    slice out;
    cr_assert(expand_as("192.0.2.99", "%{p}", true, &out));
    cr_assert(slice_eq(out, SLICE_LIT("unknown")));
}

Test(spf_macro, syntax_errors_are_rejected, .init = setup, .fini = teardown)
{
    cr_assert_not(spf_macro_string_ok(guard_slice("%"), false));
    cr_assert_not(spf_macro_string_ok(guard_slice("a%b"), false));
    cr_assert_not(spf_macro_string_ok(guard_slice("%{x}"), false));
    cr_assert_not(spf_macro_string_ok(guard_slice("%{d"), false));
    cr_assert_not(spf_macro_string_ok(guard_slice("%{d2r+-x}"), false));
    cr_assert_not(spf_macro_string_ok(guard_slice("a b"), false));
    cr_assert(spf_macro_string_ok(guard_slice("a b"), true));
    cr_assert(spf_macro_string_ok(guard_slice("%{d2r+-.,/_=}"), false));
    slice out;
    cr_assert_not(expand_as("192.0.2.3", "%{d0}", true, &out), "a zero digit is an error");
}

Test(spf_macro, c_r_t_only_in_explanations, .init = setup, .fini = teardown)
{
    for (const char *const *m = (const char *const[]){"%{c}", "%{r}", "%{t}", NULL}; *m; m++) {
        cr_assert_not(spf_macro_string_ok(guard_slice(*m), false), "%s", *m);
        cr_assert(spf_macro_string_ok(guard_slice(*m), true), "%s", *m);
    }
}

Test(spf_macro, domain_spec_needs_a_toplabel_or_a_macro_at_the_end)
{
    cr_assert(spf_domain_spec_ok(guard_slice("example.com")));
    cr_assert(spf_domain_spec_ok(guard_slice("example.com.")));
    cr_assert(spf_domain_spec_ok(guard_slice("%{d}")));
    cr_assert(spf_domain_spec_ok(guard_slice("_spf.%{d2}")));
    cr_assert(spf_domain_spec_ok(guard_slice("ex.x-1")));
    cr_assert_not(spf_domain_spec_ok(guard_slice("example")));
    cr_assert_not(spf_domain_spec_ok(guard_slice("example.123")));
    cr_assert_not(spf_domain_spec_ok(guard_slice("example.com-")));
    cr_assert_not(spf_domain_spec_ok(guard_slice("")));
}

Test(spf_macro, long_expansion_is_cut_from_the_left_to_253, .init = setup, .fini = teardown)
{
    static const char z[] = "x.example.com. IN TXT \"v=spf1 -all\"\n";
    struct dns_resolver *r = zone(z);
    struct spf_request req = request("192.0.2.3", "a@x.example.com", "h.example");
    struct spf_ctx c;
    struct spf_result res;
    spf_ctx_init(&c, arena, r, &req, &res);
    struct spf_scope sc = {.domain = SLICE_LIT("x.example.com")};
    char spec[600];
    size_t n = 0;
    for (int k = 0; k < 40; k++) {
        n += (size_t)snprintf(spec + n, sizeof(spec) - n, "label%02d.", k);
    }
    snprintf(spec + n, sizeof(spec) - n, "%%{d}");
    slice out;
    cr_assert(spf_expand_domain(&c, &sc, guard_slice(spec), SLICE_NULL, &out));
    cr_assert_leq(out.len, 253);
    cr_assert(slice_has_suffix_ci(out, SLICE_LIT(".x.example.com")));
    cr_assert(slice_has_prefix(out, SLICE_LIT("label")), "cut at a label boundary");
}

/* ---- addresses ----------------------------------------------------------------------- */

Test(spf_ip, parses_ipv4_strictly)
{
    struct spf_ip ip;
    cr_assert(spf_ip_parse(guard_slice("192.0.2.1"), &ip));
    cr_assert_eq(ip.family, 4);
    cr_assert_eq(ip.addr[0], 192);
    cr_assert_eq(ip.addr[3], 1);
    cr_assert_not(spf_ip_parse(guard_slice("192.0.2"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice("192.0.2.256"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice("192.0.02.1"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice("192.0.2.1 "), &ip));
    cr_assert_not(spf_ip_parse(guard_slice(""), &ip));
}

Test(spf_ip, parses_ipv6_forms_and_maps_ipv4_mapped_to_ipv4)
{
    struct spf_ip ip;
    cr_assert(spf_ip_parse(guard_slice("2001:db8::1"), &ip));
    cr_assert_eq(ip.family, 6);
    cr_assert_eq(ip.addr[0], 0x20);
    cr_assert_eq(ip.addr[15], 1);
    cr_assert(spf_ip_parse(guard_slice("::"), &ip));
    cr_assert(spf_ip_parse(guard_slice("1:2:3:4:5:6:7:8"), &ip));
    cr_assert(spf_ip_parse(guard_slice("::1.2.3.4"), &ip));
    cr_assert_eq(ip.family, 6);
    cr_assert(spf_ip_parse(guard_slice("::ffff:192.0.2.9"), &ip));
    cr_assert_eq(ip.family, 4, "RFC 7208 §5: IPv4-mapped is IPv4");
    cr_assert_eq(ip.addr[3], 9);
    cr_assert_not(spf_ip_parse(guard_slice("1:2:3:4:5:6:7:8:9"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice("1::2::3"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice("12345::"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice(":1::"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice("1:"), &ip));
    cr_assert_not(spf_ip_parse(guard_slice("g::1"), &ip));
}

Test(spf_ip, cidr_match_compares_prefix_bits)
{
    struct spf_ip ip, net;
    cr_assert(spf_ip_parse(guard_slice("192.0.2.130"), &ip));
    cr_assert(spf_ip_parse(guard_slice("192.0.2.128"), &net));
    cr_assert(spf_cidr_match(&ip, net.addr, 25));
    cr_assert_not(spf_cidr_match(&ip, net.addr, 31));
    cr_assert(spf_cidr_match(&ip, net.addr, 0));
    cr_assert_not(spf_cidr_match(&ip, net.addr, 33));
    cr_assert(spf_ip_parse(guard_slice("2001:db8:1:2::5"), &ip));
    cr_assert(spf_ip_parse(guard_slice("2001:db8:1:3::"), &net));
    cr_assert(spf_cidr_match(&ip, net.addr, 47));
    cr_assert_not(spf_cidr_match(&ip, net.addr, 64));
    cr_assert(spf_cidr_match(&ip, ip.addr, 128));
}

/* ---- records and evaluation ---------------------------------------------------------- */

Test(spf_record, dual_cidr_applies_the_clients_family, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("e.example. IN TXT \"v=spf1 a:h.e.example/24//64 -all\"\n"
                                  "h.e.example. IN A 192.0.2.1\n"
                                  "h.e.example. IN AAAA 2001:db8::1\n");
    cr_assert_eq(check(r, "192.0.2.200", "x@e.example").result, AV_PASS);
    cr_assert_eq(check(r, "192.0.3.1", "x@e.example").result, AV_FAIL);
    cr_assert_eq(check(r, "2001:db8::ffff:1", "x@e.example").result, AV_PASS);
    cr_assert_eq(check(r, "2001:db9::1", "x@e.example").result, AV_FAIL);
}

Test(spf_record, syntax_errors_are_permerror, .init = setup, .fini = teardown)
{
    static const char *const bad[] = {
        "v=spf1 a/33",
        "v=spf1 ip4:1.2.3.4//64",
        "v=spf1 ip6:::1/129",
        "v=spf1 all:x",
        "v=spf1 foo",
        "v=spf1 include",
        "v=spf1 exists",
        "v=spf1 a:",
        "v=spf1 -redirect=x.example",
        "v=spf1 redirect=a.example redirect=b.example",
        "v=spf1 exp=a.example exp=b.example",
        "v=spf1 ptr/24",
        "v=spf1 a:%{x}.example",
        "v=spf1 ip4:1.2.3",
        "v=spf1 mx:example",
        "v=spf1 1x=y",
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct spf_record rec;
        const char *why = NULL;
        slice where;
        cr_assert_not(spf_record_parse(arena, guard_slice(bad[k]), &rec, &why, &where), "%s",
                      bad[k]);
        cr_assert_not_null(why);
    }
    struct spf_record rec;
    const char *why;
    slice where;
    cr_assert(
        spf_record_parse(arena, guard_slice("v=spf1  unknown-mod=%{d}  ?all "), &rec, &why, &where),
        "unknown modifiers are ignored");
    cr_assert_eq(rec.n_terms, 1);
}

Test(spf_record, several_records_is_permerror_and_spf_type_is_ignored, .init = setup,
     .fini = teardown)
{
    struct dns_resolver *r = zone("two.example. IN TXT \"v=spf1 +all\"\n"
                                  "two.example. IN TXT \"v=spf1 -all\"\n"
                                  "spf.example. IN SPF \"v=spf1 -all\"\n"
                                  "ver.example. IN TXT \"v=spf10 -all\"\n");
    struct spf_result res = check(r, "192.0.2.1", "a@two.example");
    cr_assert_eq(res.result, AV_PERMERROR);
    cr_assert_str_eq(res.reason, "multiple_records");
    cr_assert_eq(check(r, "192.0.2.1", "a@spf.example").result, AV_NONE);
    cr_assert_eq(check(r, "192.0.2.1", "a@ver.example").result, AV_NONE);
}

Test(spf_record, fail_explanation_is_macro_expanded, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("e.example. IN TXT \"v=spf1 -all exp=why.%{d}\"\n"
                                  "why.e.example. IN TXT \"%{i} is not \" \"%{l} of %{o}\"\n");
    struct spf_result res = check(r, "192.0.2.1", "joe@e.example");
    cr_assert_eq(res.result, AV_FAIL);
    cr_assert(slice_eq(res.explanation, SLICE_LIT("192.0.2.1 is not joe of e.example")));
    cr_assert(slice_eq(res.mechanism, SLICE_LIT("-all")));
}

Test(spf_record, broken_explanation_is_no_explanation_not_an_error, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("e.example. IN TXT \"v=spf1 -all exp=why.e.example\"\n"
                                  ";! timeout why.e.example.\n"
                                  "f.example. IN TXT \"v=spf1 -all exp=why.f.example\"\n"
                                  "why.f.example. IN TXT \"bad %{x}\"\n");
    struct spf_result res = check(r, "192.0.2.1", "joe@e.example");
    cr_assert_eq(res.result, AV_FAIL);
    cr_assert_eq(res.explanation.len, 0);
    res = check(r, "192.0.2.1", "joe@f.example");
    cr_assert_eq(res.result, AV_FAIL);
    cr_assert_eq(res.explanation.len, 0);
}

Test(spf_record, empty_mailfrom_checks_postmaster_at_helo, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("helo.example.org. IN TXT \"v=spf1 exists:%{l}.%{o} -all\"\n"
                                  "postmaster.helo.example.org. IN A 127.0.0.2\n");
    struct spf_result res = check(r, "192.0.2.1", "");
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(slice_eq(res.domain, SLICE_LIT("helo.example.org")));
}

Test(spf_record, include_maps_results_by_the_section_5_2_table, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("p.example. IN TXT \"v=spf1 include:ok.example -all\"\n"
                                  "ok.example. IN TXT \"v=spf1 +all\"\n"
                                  "f.example. IN TXT \"v=spf1 include:no.example ?all\"\n"
                                  "no.example. IN TXT \"v=spf1 -all\"\n"
                                  "n.example. IN TXT \"v=spf1 include:none.example -all\"\n"
                                  "t.example. IN TXT \"v=spf1 include:tmp.example -all\"\n"
                                  ";! timeout tmp.example.\n");
    cr_assert_eq(check(r, "192.0.2.1", "a@p.example").result, AV_PASS);
    cr_assert_eq(check(r, "192.0.2.1", "a@f.example").result, AV_NEUTRAL);
    cr_assert_eq(check(r, "192.0.2.1", "a@n.example").result, AV_PERMERROR);
    struct spf_result res = check(r, "192.0.2.1", "a@t.example");
    cr_assert_eq(res.result, AV_TEMPERROR);
    cr_assert_str_eq(res.reason, "dns_temperror");
}

Test(spf_record, ptr_matches_validated_names_only, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("p.example. IN TXT \"v=spf1 ptr -all\"\n"
                                  "1.2.0.192.in-addr.arpa. IN PTR mail.p.example.\n"
                                  "mail.p.example. IN A 192.0.2.1\n"
                                  "2.2.0.192.in-addr.arpa. IN PTR fake.p.example.\n"
                                  "fake.p.example. IN A 192.0.2.99\n");
    cr_assert_eq(check(r, "192.0.2.1", "a@p.example").result, AV_PASS);
    cr_assert_eq(check(r, "192.0.2.2", "a@p.example").result, AV_FAIL);
}

/* ---- limits (RFC 7208 §4.6.4) -------------------------------------------------------- */

Test(spf_limits, eleventh_dns_term_is_permerror, .init = setup, .fini = teardown)
{
    char z[2048];
    size_t n = (size_t)snprintf(z, sizeof(z), "l.example. IN TXT \"v=spf1");
    for (int k = 0; k < 11; k++) {
        n += (size_t)snprintf(z + n, sizeof(z) - n, " a:h%d.l.example", k);
    }
    n += (size_t)snprintf(z + n, sizeof(z) - n, " -all\"\n");
    for (int k = 0; k < 11; k++) {
        n += (size_t)snprintf(z + n, sizeof(z) - n, "h%d.l.example. IN A 198.51.100.1\n", k);
    }
    struct dns_resolver *r = zone(z);
    struct spf_result res = check(r, "192.0.2.1", "a@l.example");
    cr_assert_eq(res.result, AV_PERMERROR);
    cr_assert_str_eq(res.reason, "dns_lookup_limit");
    cr_assert(slice_eq(res.reason_where, SLICE_LIT("a:h10.l.example")));
    cr_assert_eq(res.lookups, 10);
    cr_assert_eq(check(r, "198.51.100.1", "a@l.example").result, AV_PASS,
                 "a match before the limit is not an error");
}

Test(spf_limits, third_void_lookup_is_permerror, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("v.example. IN TXT \"v=spf1 a:n1.v.example a:n2.v.example "
                                  "a:n3.v.example -all\"\n"
                                  "w.example. IN TXT \"v=spf1 a:n1.v.example a:n2.v.example "
                                  "-all\"\n");
    struct spf_result res = check(r, "192.0.2.1", "a@v.example");
    cr_assert_eq(res.result, AV_PERMERROR);
    cr_assert_str_eq(res.reason, "void_lookup_limit");
    cr_assert(slice_eq(res.reason_where, SLICE_LIT("a:n3.v.example")));
    cr_assert_eq(check(r, "192.0.2.1", "a@w.example").result, AV_FAIL);
}

Test(spf_limits, more_than_ten_mx_names_is_permerror, .init = setup, .fini = teardown)
{
    char z[4096];
    size_t n = (size_t)snprintf(z, sizeof(z), "m.example. IN TXT \"v=spf1 mx -all\"\n");
    for (int k = 0; k < 11; k++) {
        n += (size_t)snprintf(z + n, sizeof(z) - n, "m.example. IN MX %d mx%d.m.example.\n", k, k);
        n += (size_t)snprintf(z + n, sizeof(z) - n, "mx%d.m.example. IN A 198.51.100.%d\n", k, k);
    }
    struct dns_resolver *r = zone(z);
    struct spf_result res = check(r, "192.0.2.1", "a@m.example");
    cr_assert_eq(res.result, AV_PERMERROR);
    cr_assert_str_eq(res.reason, "mx_limit");
    cr_assert(slice_eq(res.reason_where, SLICE_LIT("mx")));
}

Test(spf_limits, ptr_names_past_the_tenth_are_ignored, .init = setup, .fini = teardown)
{
    char z[4096];
    size_t n = (size_t)snprintf(z, sizeof(z), "p.example. IN TXT \"v=spf1 ptr -all\"\n");
    for (int k = 0; k < 11; k++) {
        n += (size_t)snprintf(z + n, sizeof(z) - n,
                              "1.2.0.192.in-addr.arpa. IN PTR h%02d.p.example.\n", k);
    }
    n += (size_t)snprintf(z + n, sizeof(z) - n, "h10.p.example. IN A 192.0.2.1\n");
    struct dns_resolver *r = zone(z);
    cr_assert_eq(check(r, "192.0.2.1", "a@p.example").result, AV_FAIL);
}

Test(spf_limits, include_loop_stops_at_the_lookup_limit, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("loop.example. IN TXT \"v=spf1 include:loop.example -all\"\n"
                                  "r.example. IN TXT \"v=spf1 redirect=r.example\"\n");
    struct spf_result res = check(r, "192.0.2.1", "a@loop.example");
    cr_assert_eq(res.result, AV_PERMERROR);
    cr_assert_str_eq(res.reason, "dns_lookup_limit");
    res = check(r, "192.0.2.1", "a@r.example");
    cr_assert_eq(res.result, AV_PERMERROR);
    cr_assert_str_eq(res.reason, "dns_lookup_limit");
}

Test(spf_limits, timeout_is_temperror_and_pending_stops, .init = setup, .fini = teardown)
{
    struct dns_resolver *r = zone("t.example. IN TXT \"v=spf1 a:slow.t.example -all\"\n"
                                  ";! timeout slow.t.example.\n"
                                  "q.example. IN TXT \"v=spf1 a:later.q.example -all\"\n");
    struct spf_result res = check(r, "192.0.2.1", "a@t.example");
    cr_assert_eq(res.result, AV_TEMPERROR);
    cr_assert_str_eq(res.reason, "dns_temperror");
    fake.pending_name = SLICE_LIT("later.q.example");
    res = check(r, "192.0.2.1", "a@q.example");
    cr_assert(res.pending);
}
