#include <criterion/criterion.h>
#include <string.h>

#include "dns/dns.h"
#include "tests/support/guard.h"

Test(dns, status_names_cover_every_status)
{
    for (int s = 0; s < DNS__STATUS_COUNT; s++) {
        cr_assert_str_neq(dns_status_name((enum dns_status)s), "unknown");
    }
    cr_assert_str_eq(dns_status_name(DNS_NXDOMAIN), "nxdomain");
    cr_assert_str_eq(dns_status_name(DNS__STATUS_COUNT), "unknown");
    cr_assert(dns_status_is_temp(DNS_TIMEOUT));
    cr_assert_not(dns_status_is_temp(DNS_NODATA));
}

Test(dns, type_mnemonics_are_case_insensitive)
{
    uint16_t t;
    cr_assert(dns_type_from_name(guard_slice("txt"), &t) && t == DNS_T_TXT);
    cr_assert(dns_type_from_name(guard_slice("AAAA"), &t) && t == DNS_T_AAAA);
    cr_assert(dns_type_from_name(guard_slice("Spf"), &t) && t == DNS_T_SPF);
    cr_assert(dns_type_from_name(guard_slice("CAA"), &t) && t == 257);
    cr_assert(dns_type_from_name(guard_slice("soa"), &t) && t == DNS_T_SOA);
}

Test(dns, rfc3597_type_numbers_parse)
{
    uint16_t t;
    cr_assert(dns_type_from_name(guard_slice("TYPE65534"), &t) && t == 65534);
    cr_assert(dns_type_from_name(guard_slice("type16"), &t) && t == DNS_T_TXT);
    cr_assert_not(dns_type_from_name(guard_slice("TYPE65536"), &t));
    cr_assert_not(dns_type_from_name(guard_slice("TYPE"), &t));
    cr_assert_not(dns_type_from_name(guard_slice("TYPE-1"), &t));
    cr_assert_not(dns_type_from_name(guard_slice("TYPE1x"), &t));
    cr_assert_not(dns_type_from_name(guard_slice("BOGUS"), &t));
    cr_assert_not(dns_type_from_name(guard_slice(""), &t));
}

Test(dns, type_names_round_trip)
{
    char buf[16];
    cr_assert_str_eq(dns_type_name(DNS_T_MX, buf), "MX");
    cr_assert_str_eq(dns_type_name(65280, buf), "TYPE65280");
    cr_assert_str_eq(dns_type_name(0, buf), "TYPE0");
    uint16_t t;
    cr_assert(dns_type_from_name(slice_make(buf, 5), &t) && t == 0);
}

Test(dns, txt_join_concatenates_strings)
{
    static const uint8_t rd[] = { 3, 'a', 'b', 'c', 0, 2, 'd', 'e' };
    struct dns_rr rr = { DNS_T_TXT, sizeof(rd), 60, guard_bytes(rd, sizeof(rd)).ptr };
    struct arena *a = arena_new(0);
    slice out;
    cr_assert(dns_txt_join(&rr, a, &out));
    cr_assert(slice_eq(out, SLICE_LIT("abcde")));
    arena_free(a);
}

Test(dns, txt_join_rejects_overlong_length_byte)
{
    static const uint8_t rd[] = { 3, 'a', 'b', 'c', 5, 'd' };
    struct dns_rr rr = { DNS_T_TXT, sizeof(rd), 60, guard_bytes(rd, sizeof(rd)).ptr };
    struct arena *a = arena_new(0);
    slice out;
    cr_assert_not(dns_txt_join(&rr, a, &out));
    rr.rdlen = 0;
    cr_assert_not(dns_txt_join(&rr, a, &out));
    arena_free(a);
}

Test(dns, rdata_name_reads_wire_name_at_offset)
{
    static const uint8_t rd[] = { 0, 10, 2, 'M', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
    struct dns_rr rr = { DNS_T_MX, sizeof(rd), 60, guard_bytes(rd, sizeof(rd)).ptr };
    struct arena *a = arena_new(0);
    slice out;
    cr_assert(dns_rdata_name(&rr, 2, a, &out));
    cr_assert(slice_eq(out, SLICE_LIT("mx.example")));
    arena_free(a);
}

Test(dns, rdata_name_root_is_empty)
{
    static const uint8_t rd[] = { 0, 0, 0 };
    struct dns_rr rr = { DNS_T_MX, sizeof(rd), 60, guard_bytes(rd, sizeof(rd)).ptr };
    struct arena *a = arena_new(0);
    slice out;
    cr_assert(dns_rdata_name(&rr, 2, a, &out));
    cr_assert_eq(out.len, 0);
    arena_free(a);
}

Test(dns, rdata_name_rejects_truncated_pointer_and_dotted_labels)
{
    static const uint8_t trunc[] = { 3, 'a', 'b' };
    static const uint8_t ptr[] = { 0xc0, 0x0c };
    static const uint8_t dot[] = { 3, 'a', '.', 'b', 0 };
    static const uint8_t noroot[] = { 1, 'a' };
    struct arena *a = arena_new(0);
    slice out;
    struct dns_rr rr = { DNS_T_PTR, sizeof(trunc), 60, guard_bytes(trunc, sizeof(trunc)).ptr };
    cr_assert_not(dns_rdata_name(&rr, 0, a, &out));
    rr = (struct dns_rr){ DNS_T_PTR, sizeof(ptr), 60, guard_bytes(ptr, sizeof(ptr)).ptr };
    cr_assert_not(dns_rdata_name(&rr, 0, a, &out));
    rr = (struct dns_rr){ DNS_T_PTR, sizeof(dot), 60, guard_bytes(dot, sizeof(dot)).ptr };
    cr_assert_not(dns_rdata_name(&rr, 0, a, &out));
    rr = (struct dns_rr){ DNS_T_PTR, sizeof(noroot), 60, guard_bytes(noroot, sizeof(noroot)).ptr };
    cr_assert_not(dns_rdata_name(&rr, 0, a, &out));
    cr_assert_not(dns_rdata_name(&rr, 5, a, &out));
    arena_free(a);
}

Test(dns, name_canon_lowercases_and_drops_trailing_dot)
{
    char buf[256];
    size_t n;
    cr_assert(dns_name_canon(guard_slice("Sel._DomainKey.Example.COM."), buf, &n));
    cr_assert_eq(n, 26);
    cr_assert_str_eq(buf, "sel._domainkey.example.com");
    cr_assert(dns_name_canon(guard_slice("."), buf, &n));
    cr_assert_eq(n, 0);
}

Test(dns, name_canon_rejects_bad_names)
{
    char buf[256];
    size_t n;
    char big[300];
    cr_assert_not(dns_name_canon(guard_slice(""), buf, &n));
    cr_assert_not(dns_name_canon(guard_slice("a..b"), buf, &n));
    cr_assert_not(dns_name_canon(guard_slice(".a"), buf, &n));
    cr_assert_not(dns_name_canon(guard_slice("a.."), buf, &n));
    cr_assert_not(dns_name_canon(guard_bytes("a\0b", 3), buf, &n));
    memset(big, 'a', 64);
    cr_assert_not(dns_name_canon(guard_bytes(big, 64), buf, &n));
    cr_assert(dns_name_canon(guard_bytes(big, 63), buf, &n));
    /* 253 text bytes is the most (255 in wire form); 254 is too long. */
    for (int i = 0; i < 300; i++) {
        big[i] = (i % 50 == 49) ? '.' : 'x';
    }
    cr_assert(dns_name_canon(guard_bytes(big, 253), buf, &n));
    cr_assert_not(dns_name_canon(guard_bytes(big, 254), buf, &n));
}
