#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/header/date.h"
#include "tests/support/guard.h"

/* Expected values were computed with Python's calendar.timegm and are cross-checked against
 * libc timegm in civil_conversion_matches_libc_timegm. */

static void ok5322(const char *s, int64_t want)
{
    int64_t t = -1;
    cr_assert(date_parse_rfc5322(guard_slice(s), &t), "rejected: %s", s);
    cr_assert_eq(t, want, "%s: got %lld, want %lld", s, (long long)t, (long long)want);
}

static void bad5322(const char *s)
{
    int64_t t = 12345;
    cr_assert_not(date_parse_rfc5322(guard_slice(s), &t), "accepted: %s", s);
    cr_assert_eq(t, 12345, "output written on failure: %s", s);
}

static void okctime(const char *s, int64_t want)
{
    int64_t t = -1;
    cr_assert(date_parse_ctime(guard_slice(s), &t), "rejected: %s", s);
    cr_assert_eq(t, want, "%s: got %lld, want %lld", s, (long long)t, (long long)want);
}

static void okfrom(const char *s, int64_t want)
{
    int64_t t = -1;
    cr_assert(date_parse_from_line(guard_slice(s), &t), "rejected: %s", s);
    cr_assert_eq(t, want, "%s: got %lld, want %lld", s, (long long)t, (long long)want);
}

static void ok3339(const char *s, int64_t want)
{
    int64_t t = -1;
    cr_assert(date_parse_rfc3339(guard_slice(s), &t), "rejected: %s", s);
    cr_assert_eq(t, want, "%s: got %lld, want %lld", s, (long long)t, (long long)want);
}

static void bad3339(const char *s)
{
    int64_t t;
    cr_assert_not(date_parse_rfc3339(guard_slice(s), &t), "accepted: %s", s);
}

/* RFC 5322 dates as real MTAs and clients write them ----------------------------------- */

Test(date, gmail_date_with_zone_comment)
{
    ok5322("Tue, 28 Mar 2023 09:05:36 -0700 (PDT)", 1680019536);
}

Test(date, outlook_exchange_date)
{
    ok5322("Tue, 28 Mar 2023 16:05:36 +0000", 1680019536);
    ok5322("Tue, 28 Mar 2023 16:05:36 -0000", 1680019536);
}

Test(date, exim_and_postfix_dates)
{
    ok5322("Tue, 28 Mar 2023 17:05:36 +0100", 1680019536);
    ok5322("Tue, 28 Mar 2023 18:05:36 +0200 (CEST)", 1680019536);
    ok5322("Tue, 28 Mar 2023 16:05:36 +0000 (UTC)", 1680019536);
}

Test(date, day_name_is_optional)
{
    ok5322("28 Mar 2023 16:05:36 +0000", 1680019536);
}

Test(date, day_name_comma_may_be_missing_and_names_may_be_full)
{
    ok5322("Tue 28 Mar 2023 16:05:36 +0000", 1680019536);
    ok5322("Tuesday, 28 March 2023 16:05:36 +0000", 1680019536);
}

Test(date, day_name_is_not_checked_against_the_date)
{
    ok5322("Mon, 28 Mar 2023 16:05:36 +0000", 1680019536);
}

Test(date, one_digit_day_and_case_insensitive_names)
{
    ok5322("Mon, 3 Jan 2022 10:00:00 +0000", 1641204000);
    ok5322("mon, 03 JAN 2022 10:00:00 +0000", 1641204000);
}

Test(date, seconds_are_optional)
{
    ok5322("Mon, 3 Jan 2022 10:00 +0000", 1641204000);
}

Test(date, comments_and_extra_whitespace)
{
    ok5322("  (sent) Mon,\r\n  3  (day) Jan\t2022 (yr)  10 : 00 : 00   +0000  ", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 +0000 (a (nested) comment)", 1641204000);
}

Test(date, trailing_junk_after_zone_is_tolerated)
{
    ok5322("Mon, 3 Jan 2022 10:00:00 +0000 garbage here", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 GMT+0200", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 +0000 (unterminated", 1641204000);
}

Test(date, missing_zone_is_minus_zero)
{
    ok5322("Mon, 3 Jan 2022 10:00:00", 1641204000);
}

Test(date, numeric_zone_shifts_time)
{
    ok5322("Mon, 3 Jan 2022 15:30:00 +0530", 1641204000);
    ok5322("Mon, 3 Jan 2022 00:00:00 -1000", 1641204000);
    ok5322("Mon, 3 Jan 2022 12:00:00 +02:00", 1641204000);
}

Test(date, obsolete_north_american_zones)
{
    ok5322("Mon, 3 Jan 2022 05:00:00 EST", 1641204000);
    ok5322("Mon, 3 Jan 2022 06:00:00 EDT", 1641204000);
    ok5322("Mon, 3 Jan 2022 04:00:00 CST", 1641204000);
    ok5322("Mon, 3 Jan 2022 05:00:00 CDT", 1641204000);
    ok5322("Mon, 3 Jan 2022 03:00:00 MST", 1641204000);
    ok5322("Mon, 3 Jan 2022 04:00:00 MDT", 1641204000);
    ok5322("Mon, 3 Jan 2022 02:00:00 PST", 1641204000);
    ok5322("Mon, 3 Jan 2022 03:00:00 pdt", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 UT", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 GMT", 1641204000);
}

Test(date, military_and_unknown_zones_are_minus_zero)
{
    ok5322("Mon, 3 Jan 2022 10:00:00 Z", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 A", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 Y", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 CEST", 1641204000);
    ok5322("Mon, 3 Jan 2022 10:00:00 UTC", 1641204000);
}

Test(date, two_digit_years_follow_rfc5322_4_3)
{
    ok5322("Fri, 31 Dec 99 23:59:59 +0000", 946684799);
    ok5322("Tue, 1 Jun 49 00:00:00 +0000", 2506118400);
    ok5322("Thu, 1 Jun 50 00:00:00 +0000", -618105600);
    ok5322("Thu, 1 Jan 70 00:00:00 +0000", 0);
}

Test(date, three_digit_years_add_1900)
{
    ok5322("Fri, 31 Dec 099 23:59:59 +0000", 946684799);
    ok5322("Mon, 3 Jan 122 10:00:00 +0000", 1641204000);
}

Test(date, unix_epoch)
{
    ok5322("Thu, 1 Jan 1970 00:00:00 +0000", 0);
    ok5322("Thu, 1 Jan 1970 01:00:00 +0100", 0);
    ok5322("Wed, 31 Dec 1969 23:59:59 +0000", -1);
}

Test(date, leap_years)
{
    ok5322("Tue, 29 Feb 2000 00:00:00 +0000", 951782400); /* divisible by 400 */
    ok5322("Thu, 29 Feb 2024 12:00:00 +0000", 1709208000);
    bad5322("Mon, 29 Feb 2100 00:00:00 +0000"); /* divisible by 100, not 400 */
    bad5322("Sun, 29 Feb 1900 00:00:00 +0000");
    bad5322("Wed, 29 Feb 2023 00:00:00 +0000");
    ok5322("Mon, 1 Mar 2100 00:00:00 +0000", 4107542400);
}

Test(date, dates_past_2038)
{
    ok5322("Tue, 19 Jan 2038 03:14:08 +0000", 2147483648);
    ok5322("Fri, 31 Dec 9999 23:59:59 +0000", 253402300799);
}

Test(date, year_range_is_1900_to_9999)
{
    ok5322("Mon, 1 Jan 1900 00:00:00 +0000", -2208988800);
    bad5322("Sun, 31 Dec 1899 23:59:59 +0000");
    bad5322("Sat, 1 Jan 10000 00:00:00 +0000");
    bad5322("Sat, 1 Jan 0099 00:00:00 +0000");
}

Test(date, leap_second_is_accepted)
{
    ok5322("Sat, 31 Dec 2016 23:59:60 +0000", 1483228800);
}

Test(date, bad_months_and_days)
{
    bad5322("Mon, 3 Foo 2022 10:00:00 +0000");
    bad5322("Mon, 3 Ja 2022 10:00:00 +0000");
    bad5322("Mon, 3 Janu 2022 10:00:00 +0000");
    bad5322("Mon, 3 13 2022 10:00:00 +0000");
    bad5322("Mon, 0 Jan 2022 10:00:00 +0000");
    bad5322("Mon, 32 Jan 2022 10:00:00 +0000");
    bad5322("Mon, 31 Apr 2022 10:00:00 +0000");
    bad5322("Mon, 123 Jan 2022 10:00:00 +0000");
}

Test(date, bad_times)
{
    bad5322("Mon, 3 Jan 2022 24:00:00 +0000");
    bad5322("Mon, 3 Jan 2022 10:60:00 +0000");
    bad5322("Mon, 3 Jan 2022 10:00:61 +0000");
    bad5322("Mon, 3 Jan 2022 10 +0000");
    bad5322("Mon, 3 Jan 2022 +0000");
    bad5322("Mon, 3 Jan 2022 100:00:00 +0000");
}

Test(date, malformed_numeric_zone_fails)
{
    bad5322("Mon, 3 Jan 2022 10:00:00 +05");
    bad5322("Mon, 3 Jan 2022 10:00:00 +050");
    bad5322("Mon, 3 Jan 2022 10:00:00 +05000");
    bad5322("Mon, 3 Jan 2022 10:00:00 +0560");
    bad5322("Mon, 3 Jan 2022 10:00:00 +2400");
    bad5322("Mon, 3 Jan 2022 10:00:00 -");
}

Test(date, junk_and_empty_input)
{
    bad5322("");
    bad5322("   ");
    bad5322("yesterday");
    bad5322("Funday, 3 Jan 2022 10:00:00 +0000");
    bad5322("2022-01-03T10:00:00Z");
    bad5322("Mon, 3 Jan 1 10:00:00 +0000");
    bad5322("Mon, 3 Jan 2022 10:00:00 (unterminated +0000");
    bad5322("(unterminated Mon, 3 Jan 2022 10:00:00 +0000");
    bad5322("\xff\xfe\x00");
}

Test(date, nul_bytes_do_not_cut_input_short)
{
    int64_t t;
    static const char s[] = "Mon, 3 Jan 2022\0 10:00:00 +0000";
    cr_assert_not(date_parse_rfc5322(guard_bytes(s, sizeof(s) - 1), &t));
}

Test(date, deeply_nested_comment_fails_without_recursion)
{
    size_t n = 100000;
    char *s = malloc(2 * n + 64);
    memset(s, '(', n);
    memset(s + n, ')', n);
    memcpy(s + 2 * n, "Mon, 3 Jan 2022 10:00:00 +0000", 31);
    int64_t t;
    cr_assert_not(date_parse_rfc5322(guard_slice(s), &t));
    free(s);
}

Test(date, every_prefix_is_safe)
{
    const char *s = "Tue, 28 Mar 2023 09:05:36 -0700 (PDT (x) \\) y)";
    size_t n = strlen(s);
    for (size_t i = 0; i <= n; i++) {
        int64_t t;
        (void)date_parse_rfc5322(guard_bytes(s, i), &t);
        (void)date_parse_ctime(guard_bytes(s, i), &t);
        (void)date_parse_from_line(guard_bytes(s, i), &t);
        (void)date_parse_rfc3339(guard_bytes(s, i), &t);
    }
    const char *c = "MAILER-DAEMON Sat Jan  3 01:05:34 PST 1996";
    n = strlen(c);
    for (size_t i = 0; i <= n; i++) {
        int64_t t;
        (void)date_parse_from_line(guard_bytes(c, i), &t);
    }
}

/* mbox From_ line dates (RFC 4155) ---------------------------------------------------- */

Test(date, ctime_classic)
{
    okctime("Sat Jan  3 01:05:34 1996", 820631134);
    okctime("Sat Jan 03 01:05:34 1996", 820631134);
    okctime("Sat Jan 3 01:05:34 1996", 820631134);
}

Test(date, ctime_with_zone_after_year)
{
    okctime("Thu Oct 12 08:00:00 2023 +0200", 1697090400);
    okctime("Thu Oct 12 02:00:00 2023 EDT", 1697090400);
}

Test(date, ctime_with_zone_before_year)
{
    okctime("Fri Jan  2 17:05:34 PST 1996", 820631134);
    okctime("Sat Jan 03 21:13:07 +0000 2015", 1420319587); /* Google Takeout */
}

Test(date, ctime_without_day_name_or_seconds)
{
    okctime("Jan  3 01:05:34 1996", 820631134);
    okctime("Sat Jan  3 01:05 1996", 820631134 - 34);
}

Test(date, ctime_trailing_uucp_remote_from)
{
    okctime("Sat Jan  3 01:05:34 1996 remote from ucbvax", 820631134);
}

Test(date, ctime_accepts_rfc5322_dates)
{
    okctime("Mon, 3 Jan 2022 10:00:00 +0000", 1641204000);
    okctime("Mon, 3 Jan 2022 12:00:00 +0200", 1641204000);
}

Test(date, ctime_rejects_junk)
{
    int64_t t;
    cr_assert_not(date_parse_ctime(guard_slice("Sat Foo  3 01:05:34 1996"), &t));
    cr_assert_not(date_parse_ctime(guard_slice("Sat Feb 30 01:05:34 1996"), &t));
    cr_assert_not(date_parse_ctime(guard_slice("Sat Jan  3 01:05:34"), &t));
    cr_assert_not(date_parse_ctime(guard_slice("Sat Jan  3 1996"), &t));
    cr_assert_not(date_parse_ctime(guard_slice(""), &t));
}

Test(date, from_line_with_plain_sender)
{
    okfrom("alice@example.com Sat Jan  3 01:05:34 1996", 820631134);
    okfrom("MAILER-DAEMON Thu Oct 12 08:00:00 2023 +0200", 1697090400);
    okfrom("1779223456432173613@xxx Sat Jan 03 21:13:07 +0000 2015", 1420319587);
}

Test(date, from_line_with_rfc5322_date)
{
    okfrom("bounce@lists.example.org Mon, 3 Jan 2022 10:00:00 +0000", 1641204000);
}

Test(date, from_line_with_empty_sender)
{
    okfrom(" Sat Jan  3 01:05:34 1996", 820631134);
}

Test(date, from_line_with_odd_senders)
{
    okfrom("\"john smith\"@example.com Sat Jan  3 01:05:34 1996", 820631134);
    okfrom("\"a \\\" b\"@example.com Sat Jan  3 01:05:34 1996", 820631134);
    okfrom("<> Sat Jan  3 01:05:34 1996", 820631134);
    okfrom("john smith@example.com Sat Jan  3 01:05:34 1996", 820631134);
    okfrom("\"unterminated Sat Jan  3 01:05:34 1996", 820631134);
}

Test(date, from_line_sender_that_looks_like_a_day_is_skipped)
{
    /* The first word is always the sender, even when it is a day or month name. */
    okfrom("Jan Sat Jan  3 01:05:34 1996", 820631134);
}

Test(date, from_line_without_date_fails)
{
    int64_t t = 7;
    cr_assert_not(date_parse_from_line(guard_slice("alice@example.com"), &t));
    cr_assert_not(date_parse_from_line(guard_slice("alice@example.com no date here"), &t));
    cr_assert_not(date_parse_from_line(guard_slice(""), &t));
    cr_assert_eq(t, 7);
}

Test(date, from_line_hostile_length_is_bounded)
{
    size_t n = 1u << 20;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        s[i] = (i % 2) ? ' ' : '(';
    }
    s[n] = '\0';
    int64_t t;
    cr_assert_not(date_parse_from_line(guard_bytes(s, n), &t));
    free(s);
}

/* RFC 3339 and epoch ------------------------------------------------------------------ */

Test(date, rfc3339_utc_and_offsets)
{
    ok3339("2022-01-03T10:00:00Z", 1641204000);
    ok3339("2022-01-03t10:00:00z", 1641204000);
    ok3339("2022-01-03 10:00:00Z", 1641204000);
    ok3339("2022-01-03T12:00:00+02:00", 1641204000);
    ok3339("2022-01-03T05:30:00-04:30", 1641204000);
    ok3339("2022-01-03T10:00:00.123456Z", 1641204000);
}

Test(date, rfc3339_date_only_is_midnight_utc)
{
    ok3339("2022-01-03", 1641168000);
}

Test(date, rfc3339_epoch_digits)
{
    ok3339("0", 0);
    ok3339("1641204000", 1641204000);
    ok3339("9223372036854775807", INT64_MAX);
    bad3339("9223372036854775808");
    bad3339("-1");
}

Test(date, rfc3339_rejects_malformed)
{
    bad3339("");
    bad3339("2022-01-03T10:00:00");     /* offset required */
    bad3339("2022-01-03T10:00Z");       /* seconds required */
    bad3339("2022-1-3T10:00:00Z");
    bad3339("2022-02-30T10:00:00Z");
    bad3339("2022-01-03T10:00:00+0200"); /* RFC 3339 needs the colon */
    bad3339("2022-01-03T10:00:00.Z");
    bad3339("2022-01-03T10:00:00Z junk");
    bad3339("2022-13-03T10:00:00Z");
    bad3339("1899-12-31T23:59:59Z");
}

Test(date, format_rfc3339)
{
    char buf[32];
    date_format_rfc3339(0, buf);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    date_format_rfc3339(-1, buf);
    cr_assert_str_eq(buf, "1969-12-31T23:59:59Z");
    date_format_rfc3339(951782400, buf);
    cr_assert_str_eq(buf, "2000-02-29T00:00:00Z");
    date_format_rfc3339(2147483648, buf);
    cr_assert_str_eq(buf, "2038-01-19T03:14:08Z");
    date_format_rfc3339(253402300799, buf);
    cr_assert_str_eq(buf, "9999-12-31T23:59:59Z");
    date_format_rfc3339(-2208988800, buf);
    cr_assert_str_eq(buf, "1900-01-01T00:00:00Z");
}

Test(date, format_extreme_values_does_not_overflow)
{
    char buf[32];
    date_format_rfc3339(INT64_MAX, buf);
    cr_assert(strlen(buf) < sizeof(buf));
    cr_assert_eq(buf[strlen(buf) - 1], 'Z');
    date_format_rfc3339(INT64_MIN, buf);
    cr_assert(strlen(buf) < sizeof(buf));
    cr_assert_eq(buf[0], '-');
}

Test(date, civil_conversion_matches_libc_timegm)
{
    /* Every day from 1900 to 2400, at a time that exercises all fields: format, parse back,
     * and compare with libc (which the engine itself must not use). */
    for (int64_t day = -25567; day <= 157054; day++) {
        int64_t t = day * 86400 + 13 * 3600 + 37 * 60 + 59, back;
        char buf[32];
        date_format_rfc3339(t, buf);
        cr_assert(date_parse_rfc3339(slice_make(buf, strlen(buf)), &back), "%s", buf);
        cr_assert_eq(back, t, "%s", buf);
        struct tm tm = { 0 };
        tm.tm_year = atoi(buf) - 1900;
        tm.tm_mon = atoi(buf + 5) - 1;
        tm.tm_mday = atoi(buf + 8);
        tm.tm_hour = 13;
        tm.tm_min = 37;
        tm.tm_sec = 59;
        cr_assert_eq((int64_t)timegm(&tm), t, "%s", buf);
    }
}
