#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/core/limits.h"
#include "tests/support/guard.h"

/* ---- helpers -------------------------------------------------------------------------- */

static struct dns_resolver *load(const char *text)
{
    char err[256];
    struct dns_resolver *r = snapshot_load_mem(guard_slice(text), "t.zone", err, sizeof(err));
    cr_assert_not_null(r, "load failed: %s", err);
    return r;
}

/* load_fails asserts the text is rejected with a message starting "t.zone:LINE:" and
 * containing `what`. */
static void load_fails(const char *text, unsigned line, const char *what)
{
    char err[256], prefix[32];
    struct dns_resolver *r = snapshot_load_mem(guard_slice(text), "t.zone", err, sizeof(err));
    cr_assert_null(r, "loaded but should fail: %s", text);
    snprintf(prefix, sizeof(prefix), "t.zone:%u: ", line);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "want %s, got '%s'", prefix, err);
    cr_assert_not_null(strstr(err, what), "want '%s' in '%s'", what, err);
}

static enum dns_status q(struct dns_resolver *r, const char *name, uint16_t type)
{
    const struct dns_answer *a;
    enum dns_status st = dns_lookup(r, guard_slice(name), type, &a);
    if (st != DNS_BADNAME) {
        cr_assert_not_null(a);
        cr_assert_eq(a->status, st);
    }
    dns_release(r, a);
    return st;
}

/* txt returns the joined TXT strings of the only record (static buffer). */
static const char *txt(struct dns_resolver *r, const char *name)
{
    static char buf[70000];
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice(name), DNS_T_TXT, &a), DNS_OK, "%s", name);
    cr_assert_eq(a->n_rr, 1);
    struct arena *ar = arena_new(0);
    slice s;
    cr_assert(dns_txt_join(&a->rr[0], ar, &s));
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    arena_free(ar);
    dns_release(r, a);
    return buf;
}

static void rdata_is(struct dns_resolver *r, const char *name, uint16_t type, const void *want,
                     size_t n)
{
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice(name), type, &a), DNS_OK, "%s", name);
    cr_assert_eq(a->n_rr, 1);
    cr_assert_eq(a->rr[0].rdlen, n, "rdlen %u want %zu", a->rr[0].rdlen, n);
    cr_assert(memcmp(a->rr[0].rdata, want, n) == 0);
    dns_release(r, a);
}

/* ---- master-file syntax --------------------------------------------------------------- */

Test(snapshot, absolute_and_relative_names_with_origin)
{
    struct dns_resolver *r = load("$ORIGIN example.com.\n"
                                  "www IN A 192.0.2.1\n"
                                  "mail.example.org. IN A 192.0.2.2\n"
                                  "@ IN A 192.0.2.3\n");
    cr_assert_eq(q(r, "www.example.com", DNS_T_A), DNS_OK);
    cr_assert_eq(q(r, "mail.example.org", DNS_T_A), DNS_OK);
    cr_assert_eq(q(r, "example.com", DNS_T_A), DNS_OK);
    cr_assert_eq(q(r, "www", DNS_T_A), DNS_NXDOMAIN);
    dns_resolver_free(r);
}

Test(snapshot, origin_can_be_relative_to_previous_origin)
{
    struct dns_resolver *r = load("$ORIGIN example.com.\n$ORIGIN sub\nhost A 192.0.2.1\n");
    cr_assert_eq(q(r, "host.sub.example.com", DNS_T_A), DNS_OK);
    dns_resolver_free(r);
}

Test(snapshot, blank_owner_repeats_previous_owner)
{
    struct dns_resolver *r = load("a.example. IN A 192.0.2.1\n"
                                  "           IN TXT \"hello\"\n"
                                  "\tMX 10 mx.example.\n");
    cr_assert_str_eq(txt(r, "a.example"), "hello");
    cr_assert_eq(q(r, "a.example", DNS_T_MX), DNS_OK);
    dns_resolver_free(r);
}

Test(snapshot, blank_owner_without_previous_is_error)
{
    load_fails("; first\n   IN A 192.0.2.1\n", 2, "no previous owner");
}

Test(snapshot, ttl_and_class_in_either_order_or_absent)
{
    struct dns_resolver *r = load("$TTL 100\n"
                                  "a.example. 300 IN A 192.0.2.1\n"
                                  "b.example. IN 400 A 192.0.2.1\n"
                                  "c.example. A 192.0.2.1\n"
                                  "d.example. 1h30m A 192.0.2.1\n"
                                  "e.example. in a 192.0.2.1\n");
    const struct dns_answer *a;
    uint32_t want[] = { 300, 400, 100, 5400, 100 };
    const char *names[] = { "a.example", "b.example", "c.example", "d.example", "e.example" };
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(dns_lookup(r, guard_slice(names[i]), DNS_T_A, &a), DNS_OK);
        cr_assert_eq(a->ttl, want[i], "%s ttl %u", names[i], a->ttl);
        dns_release(r, a);
    }
    dns_resolver_free(r);
}

Test(snapshot, default_ttl_is_3600_without_dollar_ttl)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.1\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("a.example"), DNS_T_A, &a), DNS_OK);
    cr_assert_eq(a->ttl, 3600);
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, parentheses_span_lines)
{
    struct dns_resolver *r = load("$ORIGIN example.\n"
                                  "@ IN SOA ns1 hostmaster ( 2024010101 ; serial\n"
                                  "      7200   ; refresh\n"
                                  "      3600 1209600\n"
                                  "      300 )  ; minimum\n"
                                  "k IN TXT ( \"part one \"\n"
                                  "           \"part two\" )\n"
                                  "after IN A 192.0.2.9\n");
    cr_assert_str_eq(txt(r, "k.example"), "part one part two");
    cr_assert_eq(q(r, "after.example", DNS_T_A), DNS_OK);
    cr_assert_eq(q(r, "example", DNS_T_SOA), DNS_OK);
    dns_resolver_free(r);
}

Test(snapshot, unbalanced_parentheses_are_errors)
{
    load_fails("a.example. TXT ( \"x\"\n\nb.example. A 192.0.2.1\n", 1, "'(' without ')'");
    load_fails("a.example. A 192.0.2.1\na.example. TXT \"x\" )\n", 2, "')' without '('");
}

Test(snapshot, comments_and_blank_lines_are_ignored)
{
    struct dns_resolver *r = load("; a comment\n\n   ; indented comment\r\n"
                                  "a.example. A 192.0.2.1 ; trailing\r\n");
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_OK);
    size_t rec, lk;
    snapshot_stats(r, &rec, &lk);
    cr_assert_eq(rec, 1);
    cr_assert_eq(lk, 1);
    dns_resolver_free(r);
}

Test(snapshot, escaped_names)
{
    struct dns_resolver *r = load("a\\.b.example. TXT \"dot\"\n"
                                  "\\065bc.example. TXT \"ddd\"\n");
    /* "a\.b" is one label; the text name "a.b.example" is three labels. */
    cr_assert_eq(q(r, "a.b.example", DNS_T_TXT), DNS_NXDOMAIN);
    cr_assert_str_eq(txt(r, "abc.example"), "ddd");
    dns_resolver_free(r);
}

Test(snapshot, escaped_strings)
{
    struct dns_resolver *r = load("a.example. TXT \"say \\\"hi\\\"; \\059 \\\\ ok\"\n");
    cr_assert_str_eq(txt(r, "a.example"), "say \"hi\"; ; \\ ok");
    dns_resolver_free(r);
}

Test(snapshot, bad_escape_is_error)
{
    load_fails("a.example. A 192.0.2.1\na.example. TXT \"\\25x\"\n", 2, "bad escape");
    load_fails("a.example. TXT \"\\256\"\n", 1, "bad escape");
    load_fails("a\\999.example. TXT \"x\"\n", 1, "bad escape");
}

Test(snapshot, multi_string_txt_keeps_each_string)
{
    struct dns_resolver *r = load("a.example. TXT \"v=spf1 \" \"-all\" \"\"\n");
    static const uint8_t want[] = { 7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l', 0 };
    rdata_is(r, "a.example", DNS_T_TXT, want, sizeof(want));
    cr_assert_str_eq(txt(r, "a.example"), "v=spf1 -all");
    dns_resolver_free(r);
}

Test(snapshot, unquoted_txt_words_are_strings)
{
    struct dns_resolver *r = load("a.example. TXT v=spf1 -all\n");
    static const uint8_t want[] = { 6, 'v', '=', 's', 'p', 'f', '1', 4, '-', 'a', 'l', 'l' };
    rdata_is(r, "a.example", DNS_T_TXT, want, sizeof(want));
    dns_resolver_free(r);
}

Test(snapshot, txt_string_of_255_bytes_loads)
{
    char z[400];
    snprintf(z, sizeof(z), "a.example. TXT \"%0255d\"\n", 0);
    struct dns_resolver *r = load(z);
    cr_assert_eq(strlen(txt(r, "a.example")), 255);
    dns_resolver_free(r);
}

Test(snapshot, txt_string_of_256_bytes_is_error_naming_line)
{
    char z[400];
    snprintf(z, sizeof(z), "; c\na.example. A 192.0.2.1\na.example. TXT \"ok\" \"%0256d\"\n", 0);
    load_fails(z, 3, "longer than 255");
    snprintf(z, sizeof(z), "a.example. TXT %0256d\n", 0);
    load_fails(z, 1, "longer than 255");
}

Test(snapshot, txt_string_over_255_after_escapes_is_error)
{
    /* 250 plain bytes + two \DDD escapes = 252 bytes: fine; 254 + 2 = 256: error. */
    char z[400];
    snprintf(z, sizeof(z), "a.example. TXT \"%0250d\\065\\066\"\n", 0);
    struct dns_resolver *r = load(z);
    cr_assert_eq(strlen(txt(r, "a.example")), 252);
    dns_resolver_free(r);
    snprintf(z, sizeof(z), "a.example. TXT \"%0254d\\065\\066\"\n", 0);
    load_fails(z, 1, "longer than 255");
}

Test(snapshot, txt_record_longer_than_limit_is_error)
{
    /* 258 strings of 255 bytes = 66048 rdata bytes > LIM_DNS_TXT_BYTES. */
    size_t cap = 300 * 260 + 64, at = 0;
    char *z = malloc(cap);
    at += (size_t)snprintf(z, cap, "a.example. TXT");
    for (int i = 0; i < 258; i++) {
        at += (size_t)snprintf(z + at, cap - at, " \"%0255d\"", i);
    }
    snprintf(z + at, cap - at, "\n");
    load_fails(z, 1, "rdata longer than 65535");
    free(z);
}

Test(snapshot, unterminated_string_is_error)
{
    load_fails("a.example. A 192.0.2.1\nb.example. TXT \"abc\n", 2, "unterminated");
}

Test(snapshot, txt_without_string_is_error)
{
    load_fails("a.example. TXT\n", 1, "without a string");
}

Test(snapshot, entry_longer_than_limit_is_error)
{
    size_t n = LIM_ZONE_LINE_BYTES + 100;
    char *z = malloc(n + 64);
    memcpy(z, "a.example. TXT ( ", 17);
    memset(z + 17, ' ', n);
    memcpy(z + 17 + n, "\"x\" )\n", 7);
    load_fails(z, 1, "entry longer than");
    free(z);
}

/* ---- rdata ---------------------------------------------------------------------------- */

Test(snapshot, a_rdata_and_errors)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.33\n");
    rdata_is(r, "a.example", DNS_T_A, "\xc0\x00\x02\x21", 4);
    dns_resolver_free(r);
    load_fails("a.example. A 192.0.2\n", 1, "bad IPv4");
    load_fails("a.example. A 192.0.2.256\n", 1, "bad IPv4");
    load_fails("a.example. A 192.0.2.1.5\n", 1, "bad IPv4");
    load_fails("a.example. A 192.0.2.1 extra\n", 1, "unexpected rdata");
    load_fails("a.example. A\n", 1, "missing IPv4");
}

static void aaaa_is(const char *text, const char *want16)
{
    char z[200];
    snprintf(z, sizeof(z), "a.example. AAAA %s\n", text);
    struct dns_resolver *r = load(z);
    rdata_is(r, "a.example", DNS_T_AAAA, want16, 16);
    dns_resolver_free(r);
}

Test(snapshot, aaaa_all_textual_forms)
{
    aaaa_is("2001:db8:0:0:1:0:0:1",
            "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01");
    aaaa_is("2001:DB8::1", "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01");
    aaaa_is("::1", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01");
    aaaa_is("::", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    aaaa_is("fe80::", "\xfe\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    aaaa_is("::ffff:192.0.2.1",
            "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xc0\x00\x02\x01");
    aaaa_is("0:0:0:0:0:ffff:192.0.2.1",
            "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xc0\x00\x02\x01");
    aaaa_is("::192.0.2.1", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x00\x02\x01");
    aaaa_is("1:2:3:4:5:6:7::", "\x00\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06\x00\x07\x00\x00");
    aaaa_is("1::2:3:4:5:6:7", "\x00\x01\x00\x00\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06\x00\x07");
}

Test(snapshot, aaaa_bad_forms_are_errors)
{
    const char *bad[] = { "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1:2:3:4:5:6:7",
                          "1:2:3:4:5:6:7:", "12345::", "g::1", "::1.2.3", "1.2.3.4::",
                          "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3.4:5", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char z[200];
        snprintf(z, sizeof(z), "a.example. AAAA %s\n", bad[i]);
        load_fails(z, 1, bad[i][0] ? "bad IPv6" : "missing IPv6");
    }
}

Test(snapshot, mx_cname_ptr_ns_names_are_wire_lowercase)
{
    struct dns_resolver *r = load("$ORIGIN Example.\n"
                                  "@ MX 10 Mail\n"
                                  "c CNAME Target.Example.\n"
                                  "p PTR host\n"
                                  "@ NS ns1.other.\n");
    rdata_is(r, "example", DNS_T_MX, "\x00\x0a\x04mail\x07" "example\x00", 16);
    rdata_is(r, "c.example", DNS_T_CNAME, "\x06target\x07" "example\x00", 16);
    rdata_is(r, "p.example", DNS_T_PTR, "\x04host\x07" "example\x00", 14);
    rdata_is(r, "example", DNS_T_NS, "\x03ns1\x05other\x00", 11);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("example"), DNS_T_MX, &a), DNS_OK);
    struct arena *ar = arena_new(0);
    slice s;
    cr_assert(dns_rdata_name(&a->rr[0], 2, ar, &s));
    cr_assert(slice_eq(s, SLICE_LIT("mail.example")));
    arena_free(ar);
    dns_release(r, a);
    dns_resolver_free(r);
    load_fails("a.example. MX 70000 mx.example.\n", 1, "bad MX preference");
    load_fails("a.example. MX 10\n", 1, "missing MX exchange");
}

Test(snapshot, spf_type_is_txt_like)
{
    struct dns_resolver *r = load("a.example. SPF \"v=spf1 -all\"\n");
    cr_assert_eq(q(r, "a.example", DNS_T_SPF), DNS_OK);
    cr_assert_eq(q(r, "a.example", DNS_T_TXT), DNS_NODATA);
    dns_resolver_free(r);
}

Test(snapshot, rfc3597_generic_rdata_for_unknown_type)
{
    struct dns_resolver *r = load("a.example. TYPE65280 \\# 4 0A00 00ff\n"
                                  "b.example. TYPE731 \\# 0\n");
    rdata_is(r, "a.example", 65280, "\x0a\x00\x00\xff", 4);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("b.example"), 731, &a), DNS_OK);
    cr_assert_eq(a->rr[0].rdlen, 0);
    dns_release(r, a);
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_NODATA);
    dns_resolver_free(r);
}

Test(snapshot, rfc3597_generic_rdata_for_known_types)
{
    struct dns_resolver *r = load("a.example. A \\# 4 C0000201\n"
                                  "t.example. TYPE16 \\# 4 03616263\n"
                                  "c.example. CNAME \\# 3 014100\n"
                                  "d.example. TYPE1 192.0.2.7\n");
    rdata_is(r, "a.example", DNS_T_A, "\xc0\x00\x02\x01", 4);
    cr_assert_str_eq(txt(r, "t.example"), "abc");
    rdata_is(r, "c.example", DNS_T_CNAME, "\x01" "a\x00", 3);
    rdata_is(r, "d.example", DNS_T_A, "\xc0\x00\x02\x07", 4);
    dns_resolver_free(r);
}

Test(snapshot, rfc3597_length_mismatch_and_bad_hex_are_errors)
{
    load_fails("a.example. TYPE999 \\# 3 0a0b\n", 1, "hex digits");
    load_fails("a.example. TYPE999 \\# 1 0a0b\n", 1, "hex digits");
    load_fails("a.example. TYPE999 \\# 1 0x\n", 1, "bad hex");
    load_fails("a.example. TYPE999 \\# x\n", 1, "bad \\# length");
    load_fails("a.example. A \\# 3 0a0b0c\n", 1, "malformed");
    load_fails("a.example. TXT \\# 2 0561\n", 1, "malformed");
}

Test(snapshot, unknown_type_mnemonic_is_error_naming_line)
{
    load_fails("a.example. A 192.0.2.1\n\nb.example. IN BOGUS foo\n", 3, "unknown type 'BOGUS'");
    load_fails("a.example. 300 IN\n", 1, "missing type");
}

Test(snapshot, unknown_type_needs_generic_form)
{
    load_fails("a.example. TYPE65280 abc\n", 1, "\\# form");
    load_fails("a.example. CAA 0 issue \"ca.example\"\n", 1, "\\# form");
}

Test(snapshot, other_class_is_error)
{
    load_fails("a.example. CH TXT \"x\"\n", 1, "class IN");
}

Test(snapshot, soa_minimum_is_negative_ttl)
{
    struct dns_resolver *r = load("$TTL 900\nexample. SOA ns. host. 1 2 3 4 77\n"
                                  "a.example. A 192.0.2.1\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("a.example"), DNS_T_TXT, &a), DNS_NODATA);
    cr_assert_eq(a->ttl, 77);
    dns_release(r, a);
    cr_assert_eq(dns_lookup(r, guard_slice("zz.example"), DNS_T_TXT, &a), DNS_NXDOMAIN);
    cr_assert_eq(a->ttl, 77);
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, negative_ttl_without_soa_is_dollar_ttl_or_3600)
{
    struct dns_resolver *r = load("$TTL 900\na.example. A 192.0.2.1\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("b.example"), DNS_T_A, &a), DNS_NXDOMAIN);
    cr_assert_eq(a->ttl, 900);
    dns_release(r, a);
    dns_resolver_free(r);
    r = load("a.example. A 192.0.2.1\n");
    cr_assert_eq(dns_lookup(r, guard_slice("a.example"), DNS_T_MX, &a), DNS_NODATA);
    cr_assert_eq(a->ttl, 3600);
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, include_is_error)
{
    load_fails("a.example. A 192.0.2.1\n$INCLUDE other.zone\n", 2, "$INCLUDE");
}

Test(snapshot, bad_control_entries_are_errors)
{
    load_fails("$TTL abc\n", 1, "bad $TTL");
    load_fails("$FOO bar\n", 1, "bad control");
    load_fails("$ORIGIN\n", 1, "bad control");
}

Test(snapshot, relative_name_without_origin_is_error)
{
    load_fails("a.example. A 192.0.2.1\nwww A 192.0.2.1\n", 2, "without $ORIGIN");
    load_fails("@ A 192.0.2.1\n", 1, "'@' without $ORIGIN");
}

Test(snapshot, bad_names_are_errors)
{
    load_fails("a..example. A 192.0.2.1\n", 1, "empty label");
    char z[400];
    snprintf(z, sizeof(z), "%064d.example. A 192.0.2.1\n", 0);
    load_fails(z, 1, "too long");
    snprintf(z, sizeof(z), "%063d.%063d.%063d.%063d. A 192.0.2.1\n", 0, 0, 0, 0);
    load_fails(z, 1, "too long");
    snprintf(z, sizeof(z), "%063d.%063d.%063d.%061d. A 192.0.2.1\n", 0, 0, 0, 0);
    struct dns_resolver *r = load(z); /* 255 bytes in wire form: the most */
    dns_resolver_free(r);
    load_fails("\"quoted\". A 192.0.2.1\n", 1, "cannot be quoted");
}

Test(snapshot, bad_ttl_is_error)
{
    load_fails("a.example. 1x A 192.0.2.1\n", 1, "bad TTL");
    load_fails("a.example. 4294967296 A 192.0.2.1\n", 1, "bad TTL");
}

Test(snapshot, error_without_buffer_does_not_crash)
{
    cr_assert_null(snapshot_load_mem(guard_slice("a.example. BOGUS x\n"), "t", NULL, 0));
    cr_assert_null(snapshot_load("/nonexistent/zone", NULL, 0));
}

Test(snapshot, missing_file_is_error)
{
    char err[256];
    cr_assert_null(snapshot_load("/nonexistent/zone", err, sizeof(err)));
    cr_assert_not_null(strstr(err, "/nonexistent/zone"));
}

Test(snapshot, cname_with_other_data_is_error)
{
    load_fails("a.example. CNAME b.example.\na.example. A 192.0.2.1\n", 2, "CNAME and other");
    load_fails("a.example. A 192.0.2.1\na.example. CNAME b.example.\n", 2, "CNAME and other");
    load_fails("a.example. CNAME b.example.\na.example. CNAME c.example.\n", 2, "second CNAME");
}

Test(snapshot, too_many_records_in_one_rrset_is_error)
{
    size_t cap = 40 * (LIM_DNS_RRS_PER_ANSWER + 1) + 16, at = 0;
    char *z = malloc(cap);
    for (unsigned i = 0; i <= LIM_DNS_RRS_PER_ANSWER; i++) {
        at += (size_t)snprintf(z + at, cap - at, "a.example. A 10.0.%u.%u\n", i / 256, i % 256);
    }
    load_fails(z, LIM_DNS_RRS_PER_ANSWER + 1, "too many records");
    free(z);
}

Test(snapshot, duplicate_records_are_merged)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.1\na.example. A 192.0.2.1\n"
                                  "a.example. A 192.0.2.2\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("a.example"), DNS_T_A, &a), DNS_OK);
    cr_assert_eq(a->n_rr, 2);
    dns_release(r, a);
    dns_resolver_free(r);
}

/* ---- lookup semantics ----------------------------------------------------------------- */

Test(snapshot, absent_name_is_nxdomain_and_other_type_is_nodata)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.1\n");
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_OK);
    cr_assert_eq(q(r, "a.example", DNS_T_TXT), DNS_NODATA);
    cr_assert_eq(q(r, "b.example", DNS_T_A), DNS_NXDOMAIN);
    cr_assert_eq(q(r, "x.a.example", DNS_T_A), DNS_NXDOMAIN);
    dns_resolver_free(r);
}

Test(snapshot, empty_non_terminal_is_nodata)
{
    struct dns_resolver *r = load("sel._domainkey.example.com. TXT \"v=DKIM1; p=\"\n");
    cr_assert_eq(q(r, "_domainkey.example.com", DNS_T_TXT), DNS_NODATA);
    cr_assert_eq(q(r, "example.com", DNS_T_TXT), DNS_NODATA);
    cr_assert_eq(q(r, "other.example.com", DNS_T_TXT), DNS_NXDOMAIN);
    dns_resolver_free(r);
}

Test(snapshot, names_match_case_insensitively_with_optional_trailing_dot)
{
    struct dns_resolver *r = load("Sel._DomainKey.Example.COM. TXT \"k\"\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("SEL._domainkey.EXAMPLE.com."), DNS_T_TXT, &a),
                 DNS_OK);
    cr_assert(slice_eq(a->qname, SLICE_LIT("sel._domainkey.example.com")));
    cr_assert(slice_eq(a->owner, SLICE_LIT("sel._domainkey.example.com")));
    cr_assert_eq(a->qtype, DNS_T_TXT);
    cr_assert_eq(a->n_cname, 0);
    dns_release(r, a);
    cr_assert_eq(q(r, "sel._domainkey.example.com", DNS_T_TXT), DNS_OK);
    dns_resolver_free(r);
}

Test(snapshot, invalid_query_names_are_badname)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.1\n");
    const struct dns_answer *a = (const struct dns_answer *)1;
    cr_assert_eq(dns_lookup(r, guard_slice("a..example"), DNS_T_A, &a), DNS_BADNAME);
    cr_assert_null(a);
    cr_assert_eq(q(r, "", DNS_T_A), DNS_BADNAME);
    cr_assert_eq(dns_lookup(r, guard_bytes("a\0.example", 10), DNS_T_A, &a), DNS_BADNAME);
    dns_resolver_free(r);
}

Test(snapshot, cname_is_followed)
{
    struct dns_resolver *r = load("a.example. CNAME b.example.\n"
                                  "b.example. CNAME c.example.\n"
                                  "c.example. 60 TXT \"end\"\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("A.example"), DNS_T_TXT, &a), DNS_OK);
    cr_assert_eq(a->n_cname, 2);
    cr_assert(slice_eq(a->qname, SLICE_LIT("a.example")));
    cr_assert(slice_eq(a->owner, SLICE_LIT("c.example")));
    cr_assert_eq(a->n_rr, 1);
    cr_assert_eq(a->rr[0].type, DNS_T_TXT);
    cr_assert_eq(a->ttl, 60);
    dns_release(r, a);
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_NODATA);
    dns_resolver_free(r);
}

Test(snapshot, cname_to_absent_name_is_nxdomain)
{
    struct dns_resolver *r = load("a.example. CNAME gone.example.\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("a.example"), DNS_T_TXT, &a), DNS_NXDOMAIN);
    cr_assert_eq(a->n_cname, 1);
    cr_assert(slice_eq(a->owner, SLICE_LIT("gone.example")));
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, query_for_cname_returns_the_cname)
{
    struct dns_resolver *r = load("a.example. CNAME b.example.\nb.example. A 192.0.2.1\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("a.example"), DNS_T_CNAME, &a), DNS_OK);
    cr_assert_eq(a->n_cname, 0);
    cr_assert_eq(a->rr[0].type, DNS_T_CNAME);
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, cname_loop_is_servfail)
{
    struct dns_resolver *r = load("a.example. CNAME b.example.\nb.example. CNAME a.example.\n"
                                  "self.example. CNAME self.example.\n");
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_SERVFAIL);
    cr_assert_eq(q(r, "self.example", DNS_T_TXT), DNS_SERVFAIL);
    dns_resolver_free(r);
}

static struct dns_resolver *chain(unsigned hops)
{
    /* c0 -> c1 -> ... -> c<hops>, which holds the A record. */
    static char z[4096];
    size_t at = 0;
    for (unsigned i = 0; i < hops; i++) {
        at += (size_t)snprintf(z + at, sizeof(z) - at, "c%u.example. CNAME c%u.example.\n", i,
                               i + 1);
    }
    snprintf(z + at, sizeof(z) - at, "c%u.example. A 192.0.2.1\n", hops);
    return load(z);
}

Test(snapshot, cname_chain_at_the_bound_resolves)
{
    struct dns_resolver *r = chain(LIM_DNS_CNAME_CHAIN);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("c0.example"), DNS_T_A, &a), DNS_OK);
    cr_assert_eq(a->n_cname, LIM_DNS_CNAME_CHAIN);
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, cname_chain_over_the_bound_is_servfail)
{
    struct dns_resolver *r = chain(LIM_DNS_CNAME_CHAIN + 1);
    cr_assert_eq(q(r, "c0.example", DNS_T_A), DNS_SERVFAIL);
    cr_assert_eq(q(r, "c1.example", DNS_T_A), DNS_OK);
    dns_resolver_free(r);
}

Test(snapshot, wildcard_synthesises_for_absent_names)
{
    struct dns_resolver *r = load("*.example. TXT \"wild\"\n"
                                  "host.example. A 192.0.2.1\n"
                                  "sub.host.example. A 192.0.2.2\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("Foo.example"), DNS_T_TXT, &a), DNS_OK);
    cr_assert(slice_eq(a->owner, SLICE_LIT("foo.example")));
    dns_release(r, a);
    /* RFC 4592 §2.2.1: deeper names match too. */
    cr_assert_eq(q(r, "a.b.example", DNS_T_TXT), DNS_OK);
    /* An existing name is not matched by the wildcard, even without the type. */
    cr_assert_eq(q(r, "host.example", DNS_T_TXT), DNS_NODATA);
    /* Below an existing name, the closest encloser is host.example: no *.host.example. */
    cr_assert_eq(q(r, "x.host.example", DNS_T_TXT), DNS_NXDOMAIN);
    /* The wildcard's other types are NODATA. */
    cr_assert_eq(q(r, "foo.example", DNS_T_A), DNS_NODATA);
    /* The apex itself is not matched. */
    cr_assert_eq(q(r, "example", DNS_T_TXT), DNS_NODATA);
    dns_resolver_free(r);
}

Test(snapshot, wildcard_blocked_by_empty_non_terminal)
{
    /* RFC 4592 §2.2.2: an empty non-terminal exists and blocks the wildcard. */
    struct dns_resolver *r = load("*.example. TXT \"wild\"\nx.ent.example. TXT \"deep\"\n");
    cr_assert_eq(q(r, "ent.example", DNS_T_TXT), DNS_NODATA);
    cr_assert_eq(q(r, "y.ent.example", DNS_T_TXT), DNS_NXDOMAIN);
    cr_assert_eq(q(r, "other.example", DNS_T_TXT), DNS_OK);
    dns_resolver_free(r);
}

Test(snapshot, wildcard_cname_is_followed)
{
    struct dns_resolver *r = load("*.example. CNAME target.example.\n"
                                  "target.example. TXT \"t\"\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("any.example"), DNS_T_TXT, &a), DNS_OK);
    cr_assert_eq(a->n_cname, 1);
    cr_assert(slice_eq(a->owner, SLICE_LIT("target.example")));
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, answer_ttl_is_minimum_of_records)
{
    struct dns_resolver *r = load("a.example. 300 A 192.0.2.1\na.example. 100 A 192.0.2.2\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("a.example"), DNS_T_A, &a), DNS_OK);
    cr_assert_eq(a->ttl, 100);
    cr_assert_eq(a->n_rr, 2);
    dns_release(r, a);
    dns_resolver_free(r);
}

/* ---- ";!" directives ------------------------------------------------------------------ */

Test(snapshot, timeout_without_type_applies_to_types_without_records)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.1\n"
                                  ";! nodata a.example. MX\n"
                                  ";! timeout a.example.\n");
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_OK);
    cr_assert_eq(q(r, "a.example", DNS_T_MX), DNS_NODATA);
    cr_assert_eq(q(r, "a.example", DNS_T_TXT), DNS_TIMEOUT);
    cr_assert_eq(q(r, "a.example", DNS_T_AAAA), DNS_TIMEOUT);
    dns_resolver_free(r);
}

Test(snapshot, timeout_without_type_on_absent_name_covers_all_types)
{
    struct dns_resolver *r = load(";! timeout slow.example.\na.example. A 192.0.2.1\n");
    cr_assert_eq(q(r, "slow.example", DNS_T_TXT), DNS_TIMEOUT);
    cr_assert_eq(q(r, "SLOW.example.", DNS_T_A), DNS_TIMEOUT);
    cr_assert_eq(q(r, "x.slow.example", DNS_T_A), DNS_NXDOMAIN);
    dns_resolver_free(r);
}

Test(snapshot, timeout_with_type_applies_to_that_type_only)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.1\n;! timeout a.example. TXT\n"
                                  ";! timeout b.example. TXT\n");
    cr_assert_eq(q(r, "a.example", DNS_T_TXT), DNS_TIMEOUT);
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_OK);
    cr_assert_eq(q(r, "a.example", DNS_T_MX), DNS_NODATA);
    cr_assert_eq(q(r, "b.example", DNS_T_TXT), DNS_TIMEOUT);
    cr_assert_eq(q(r, "b.example", DNS_T_A), DNS_NXDOMAIN);
    dns_resolver_free(r);
}

Test(snapshot, servfail_without_and_with_type)
{
    struct dns_resolver *r = load("a.example. TXT \"x\"\n;! servfail a.example.\n"
                                  ";! servfail b.example. MX\n");
    cr_assert_eq(q(r, "a.example", DNS_T_TXT), DNS_OK);
    cr_assert_eq(q(r, "a.example", DNS_T_A), DNS_SERVFAIL);
    cr_assert_eq(q(r, "b.example", DNS_T_MX), DNS_SERVFAIL);
    cr_assert_eq(q(r, "b.example", DNS_T_TXT), DNS_NXDOMAIN);
    dns_resolver_free(r);
}

Test(snapshot, nodata_makes_name_exist)
{
    struct dns_resolver *r = load(";! nodata _dmarc.example.com. TXT\n");
    cr_assert_eq(q(r, "_dmarc.example.com", DNS_T_TXT), DNS_NODATA);
    cr_assert_eq(q(r, "_dmarc.example.com", DNS_T_A), DNS_NODATA);
    cr_assert_eq(q(r, "example.com", DNS_T_A), DNS_NODATA);
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("_dmarc.example.com"), DNS_T_TXT, &a), DNS_NODATA);
    cr_assert_eq(a->ttl, 3600);
    dns_release(r, a);
    dns_resolver_free(r);
}

Test(snapshot, nxdomain_blocks_wildcard)
{
    struct dns_resolver *r = load("*.example. TXT \"wild\"\n;! nxdomain gone.example.\n");
    cr_assert_eq(q(r, "gone.example", DNS_T_TXT), DNS_NXDOMAIN);
    cr_assert_eq(q(r, "kept.example", DNS_T_TXT), DNS_OK);
    dns_resolver_free(r);
}

Test(snapshot, directive_on_cname_target_applies_through_chain)
{
    struct dns_resolver *r = load("a.example. CNAME b.example.\n;! timeout b.example.\n");
    cr_assert_eq(q(r, "a.example", DNS_T_TXT), DNS_TIMEOUT);
    dns_resolver_free(r);
}

Test(snapshot, directive_names_are_absolute_and_case_insensitive)
{
    struct dns_resolver *r = load("$ORIGIN example.\n;! timeout Slow.Example TXT ; note\n"
                                  "a A 192.0.2.1\n");
    cr_assert_eq(q(r, "slow.example", DNS_T_TXT), DNS_TIMEOUT);
    dns_resolver_free(r);
}

Test(snapshot, directive_errors_name_the_line)
{
    load_fails("a.example. A 192.0.2.1\n;! sometimes a.example.\n", 2, "unknown ';!' directive");
    load_fails(";! nodata a.example.\n", 1, "takes NAME TYPE");
    load_fails(";! nxdomain a.example. TXT\n", 1, "takes NAME");
    load_fails(";! timeout a.example. TXT extra\n", 1, "takes NAME [TYPE]");
    load_fails(";! timeout a.example. BOGUS\n", 1, "unknown type");
    load_fails(";! timeout a..example.\n", 1, "empty label");
}

Test(snapshot, contradicting_directives_are_errors)
{
    load_fails(";! nxdomain a.example.\na.example. A 192.0.2.1\n", 1, "has records");
    load_fails(";! nxdomain example.\na.example. A 192.0.2.1\n", 1, "names below it");
    load_fails("a.example. TXT \"x\"\n;! nodata a.example. TXT\n", 2, "type that has records");
    load_fails(";! timeout a.example. TXT\n;! nodata a.example. TXT\n", 2, "second directive");
    load_fails(";! timeout a.example.\n;! servfail a.example.\n", 2, "second untyped");
    load_fails(";! nxdomain a.example.\n;! nxdomain a.example.\n", 2, "second nxdomain");
    load_fails(";! nxdomain a.example.\n;! timeout a.example.\n", 1, "other directives");
}

Test(snapshot, ordinary_comment_with_bang_later_in_line_is_comment)
{
    struct dns_resolver *r = load("a.example. A 192.0.2.1 ;! timeout a.example.\n");
    cr_assert_eq(q(r, "a.example", DNS_T_TXT), DNS_NODATA);
    dns_resolver_free(r);
}

/* ---- files and threads ---------------------------------------------------------------- */

Test(snapshot, realworld_zone_loads_and_joins_2048_bit_key)
{
    char path[1024], err[256];
    snprintf(path, sizeof(path), "%s/conformance/realworld-dkim/realworld.zone",
             test_shared_dir());
    struct dns_resolver *r = snapshot_load(path, err, sizeof(err));
    cr_assert_not_null(r, "%s", err);
    const char *k = txt(r, "20230601._domainkey.gmail.com");
    cr_assert(strncmp(k, "v=DKIM1; k=rsa; p=MIIB", 22) == 0, "%s", k);
    cr_assert(strstr(k, "\" \"") == NULL);
    /* The two strings join with nothing between them. */
    cr_assert_not_null(strstr(k, "T4HZb2PY2bQtEP6Qe"));
    size_t n = strlen(k);
    cr_assert_eq(n, 18 + 392, "len %zu", n); /* "v=DKIM1; k=rsa; p=" + a 2048-bit SPKI */
    cr_assert_str_eq(k + n - 7, "wIDAQAB");
    cr_assert_eq(q(r, "nosuch._domainkey.gmail.com", DNS_T_TXT), DNS_NXDOMAIN);
    cr_assert_eq(q(r, "_domainkey.gmail.com", DNS_T_TXT), DNS_NODATA);
    size_t rec, lk;
    snapshot_stats(r, &rec, &lk);
    cr_assert_eq(rec, 19);
    dns_resolver_free(r);
}

Test(snapshot, text_without_final_newline_loads)
{
    struct dns_resolver *r = load("a.example. TXT \"last\"");
    cr_assert_str_eq(txt(r, "a.example"), "last");
    dns_resolver_free(r);
}

Test(snapshot, escape_at_end_of_input_or_line_is_error)
{
    load_fails("a.example. TXT abc\\", 1, "escape at end");
    load_fails("a.example. A 192.0.2.1\na.example. TXT \"abc\\\n\"\n", 2, "escape at end");
}

Test(snapshot, generic_soa_sets_negative_ttl)
{
    /* SOA . . 1 2 3 4 42 in RFC 3597 form. */
    struct dns_resolver *r = load("example. SOA \\# 22 0000 00000001 00000002 00000003 "
                                  "00000004 0000002a\n");
    const struct dns_answer *a;
    cr_assert_eq(dns_lookup(r, guard_slice("example"), DNS_T_TXT, &a), DNS_NODATA);
    cr_assert_eq(a->ttl, 42);
    dns_release(r, a);
    dns_resolver_free(r);
}

static const char rich_zone[] =
    "$TTL 300\n$ORIGIN example.\n"
    "@ IN SOA ns1 host ( 1 2 3 4 5 ) ; soa\n"
    "a 60 IN A 192.0.2.1\n  AAAA ::ffff:192.0.2.1\n"
    "t TXT \"x\\\"y\" z \"\\065\"\n"
    "c CNAME a\n*.w MX 10 a\n"
    "g TYPE300 \\# 2 abcd\n"
    ";! timeout slow.example. TXT\n;! nxdomain gone.example.\n";

Test(snapshot, every_prefix_of_a_zone_loads_or_fails_cleanly)
{
    /* Each prefix sits against a guard page: any over-read crashes. */
    for (size_t n = 0; n <= sizeof(rich_zone) - 1; n++) {
        char err[256] = "";
        struct dns_resolver *r =
            snapshot_load_mem(guard_bytes(rich_zone, n), "t.zone", err, sizeof(err));
        if (r == NULL) {
            cr_assert(strncmp(err, "t.zone:", 7) == 0, "prefix %zu: '%s'", n, err);
        }
        dns_resolver_free(r);
    }
}

#include <pthread.h>

struct lookup_job {
    struct dns_resolver *r;
    int ok;
};

static void *lookup_worker(void *p)
{
    struct lookup_job *j = p;
    static const char *const names[] = { "a.example", "c.example", "q.w.example", "nope.example",
                                         "slow.example", "gone.example" };
    static const uint16_t types[] = { DNS_T_A, DNS_T_A, DNS_T_MX, DNS_T_A, DNS_T_TXT, DNS_T_A };
    static const enum dns_status want[] = { DNS_OK,       DNS_OK,      DNS_OK,
                                            DNS_NXDOMAIN, DNS_TIMEOUT, DNS_NXDOMAIN };
    for (int i = 0; i < 2000; i++) {
        const struct dns_answer *a;
        size_t k = (size_t)i % 6;
        enum dns_status st = dns_lookup(j->r, slice_make(names[k], strlen(names[k])), types[k], &a);
        j->ok += st == want[k];
        dns_release(j->r, a);
    }
    return NULL;
}

Test(snapshot, concurrent_lookups_share_one_resolver)
{
    struct dns_resolver *r = load(rich_zone);
    pthread_t th[4];
    struct lookup_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct lookup_job){ r, 0 };
        cr_assert_eq(pthread_create(&th[i], NULL, lookup_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(jobs[i].ok, 2000);
    }
    size_t rec, lk;
    snapshot_stats(r, &rec, &lk);
    cr_assert_eq(lk, 8000);
    cr_assert_eq(rec, 7);
    dns_resolver_free(r);
}
