#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/limits.h"
#include "engine/header/addr.h"
#include "tests/support/guard.h"

static struct arena *A;

static void setup(void)
{
    A = arena_new(0);
}

static void teardown(void)
{
    arena_free(A);
    A = NULL;
}

TestSuite(addr, .init = setup, .fini = teardown);

/* parse parses a C-string From: value placed against a guard page. */
static enum addr_status parse(const char *v, struct addr_list *l)
{
    return addr_parse_list(A, l, guard_slice(v));
}

static void assert_slice(slice s, const char *want)
{
    cr_assert(slice_eq(s, slice_make(want, strlen(want))), "got \"%.*s\", want \"%s\"",
              SLICE_FMT(s), want);
}

/* assert_one: v parses to exactly one address with this local part and domain. */
static void assert_one(const char *v, const char *local, const char *domain)
{
    struct addr_list l;
    enum addr_status st = parse(v, &l);
    cr_assert_eq(st, ADDR_OK, "%s: status %s", v, addr_status_name(st));
    cr_assert_eq(l.n, 1, "%s: %zu addresses", v, l.n);
    assert_slice(l.v[0].local, local);
    assert_slice(l.v[0].domain, domain);
}

static void assert_status(const char *v, enum addr_status want)
{
    struct addr_list l;
    enum addr_status st = parse(v, &l);
    cr_assert_eq(st, want, "%s: status %s, want %s", v, addr_status_name(st),
                 addr_status_name(want));
}

/* Plain shapes ------------------------------------------------------------------------- */

Test(addr, bare_addr_spec)
{
    assert_one("user@example.com", "user", "example.com");
}

Test(addr, angle_addr_with_display_name)
{
    assert_one("Alice Example <alice@example.com>", "alice", "example.com");
}

Test(addr, angle_addr_without_display_name)
{
    assert_one("<alice@example.com>", "alice", "example.com");
}

Test(addr, domain_is_lowercased_but_local_part_is_not)
{
    assert_one("Bob <Bob.Smith@Mail.EXAMPLE.Com>", "Bob.Smith", "mail.example.com");
}

Test(addr, domain_trailing_dot_is_dropped)
{
    assert_one("a@example.com.", "a", "example.com");
    assert_one("<a@example.com.>", "a", "example.com");
}

Test(addr, domain_with_double_dot_is_syntax)
{
    assert_status("a@example..com", ADDR_SYNTAX);
    assert_status("a@example.com..", ADDR_SYNTAX);
    assert_status("a@.example.com", ADDR_SYNTAX);
}

Test(addr, surrounding_whitespace_and_folding_are_ignored)
{
    assert_one("  \t Alice\r\n <alice@example.com>  \r\n", "alice", "example.com");
}

/* Display names ------------------------------------------------------------------------ */

Test(addr, quoted_display_name_with_specials)
{
    assert_one("\"Doe, John <boss@evil.com>\" <john@example.com>", "john", "example.com");
}

Test(addr, quoted_display_name_with_quoted_pairs)
{
    assert_one("\"Alice \\\"The Admin\\\" \\\\ Smith\" <alice@example.com>", "alice",
               "example.com");
}

Test(addr, mailing_list_rewritten_from)
{
    assert_one("'Alice via List' <list@lists.example.org>", "list", "lists.example.org");
    assert_one("\"Alice via List\" <list@lists.example.org>", "list", "lists.example.org");
}

Test(addr, encoded_word_display_name_is_left_as_is)
{
    assert_one("=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>", "jm", "example.de");
    assert_one("=?UTF-8?B?5bGx55Sw5aSq6YOO?= <yamada@example.jp>", "yamada", "example.jp");
}

Test(addr, encoded_word_with_unencoded_specials_stays_one_word)
{
    /* Q-encoded text that (wrongly) carries ':' and '@' must not start a group or an
     * address. */
    assert_one("=?utf-8?q?Support:_help@example.com?= <noreply@example.net>", "noreply",
               "example.net");
}

Test(addr, utf8_display_name_and_smtputf8_domain)
{
    assert_one("J\xc3\xbcrgen <j@b\xc3\xbc"
               "cher.Example>",
               "j", "b\xc3\xbc"
                    "cher.example");
}

Test(addr, nul_bytes_in_display_name_are_tolerated)
{
    static const char v[] = "Al\0ice <alice@example.com>";
    struct addr_list l;
    cr_assert_eq(addr_parse_list(A, &l, guard_bytes(v, sizeof(v) - 1)), ADDR_OK);
    cr_assert_eq(l.n, 1);
    assert_slice(l.v[0].domain, "example.com");
}

Test(addr, nul_bytes_in_quoted_display_name_are_tolerated)
{
    static const char v[] = "\"A\0B\" <a@example.com>";
    struct addr_list l;
    cr_assert_eq(addr_parse_list(A, &l, guard_bytes(v, sizeof(v) - 1)), ADDR_OK);
    assert_slice(l.v[0].domain, "example.com");
}

Test(addr, address_shaped_display_name)
{
    /* Common in the wild; the author is the angle address, not the display name. */
    assert_one("paypal.com@service.example <phish@evil.example>", "phish", "evil.example");
    assert_one("alice@example.com <alice@example.com>", "alice", "example.com");
}

Test(addr, display_name_with_dots)
{
    /* RFC 5322 §4.1 obs-phrase allows '.'. */
    assert_one("John Q. Public <jqp@example.com>", "jqp", "example.com");
}

/* Comments ----------------------------------------------------------------------------- */

Test(addr, trailing_comment_is_ignored)
{
    assert_one("a@x.com (Alice)", "a", "x.com");
}

Test(addr, comments_anywhere)
{
    assert_one("(c1) Alice (c2) <(c3) a (c4) @ (c5) x.com (c6)> (c7)", "a", "x.com");
    assert_one("a@(comment)x.com", "a", "x.com");
}

Test(addr, comment_inside_domain_is_dropped_from_copy)
{
    assert_one("a@Mail (x) . Example . com", "a", "mail.example.com");
}

Test(addr, nested_comments_within_limit)
{
    assert_one("a@x.com (one (two (three \\) still) back) out)", "a", "x.com");
}

Test(addr, comment_with_specials_is_not_an_address)
{
    assert_one("(evil@attacker.com) <good@example.com>", "good", "example.com");
}

static char *nested(size_t depth, const char *tail)
{
    size_t tl = strlen(tail);
    char *s = malloc(2 * depth + tl + 16);
    size_t p = 0;
    memcpy(s + p, "a@x.com ", 8);
    p += 8;
    for (size_t i = 0; i < depth; i++) {
        s[p++] = '(';
    }
    for (size_t i = 0; i < depth; i++) {
        s[p++] = ')';
    }
    memcpy(s + p, tail, tl + 1);
    return s;
}

Test(addr, nesting_at_limit_is_accepted)
{
    char *s = nested(LIM_FROM_NESTING, "");
    struct addr_list l;
    cr_assert_eq(parse(s, &l), ADDR_OK);
    free(s);
}

Test(addr, nesting_past_limit_is_syntax)
{
    char *s = nested(LIM_FROM_NESTING + 1, "");
    struct addr_list l;
    cr_assert_eq(parse(s, &l), ADDR_SYNTAX);
    free(s);
}

Test(addr, thousand_nested_parentheses_is_syntax_without_stack_overflow)
{
    char *s = nested(1000, "");
    struct addr_list l;
    cr_assert_eq(parse(s, &l), ADDR_SYNTAX);
    free(s);
    /* Unbalanced too: 1000 opens and nothing else. */
    char open[1001];
    memset(open, '(', 1000);
    open[1000] = '\0';
    cr_assert_eq(parse(open, &l), ADDR_SYNTAX);
}

/* Unusual but valid addresses ---------------------------------------------------------- */

Test(addr, quoted_local_part)
{
    assert_one("\"a b\"@x.com", "\"a b\"", "x.com");
    assert_one("<\"weird@local\"@x.com>", "\"weird@local\"", "x.com");
}

Test(addr, domain_literal_keeps_brackets)
{
    assert_one("user@[192.0.2.1]", "user", "[192.0.2.1]");
    assert_one("Admin <root@[IPv6:2001:DB8::1]>", "root", "[ipv6:2001:db8::1]");
}

Test(addr, obs_route_is_skipped)
{
    assert_one("<@relay:user@x.com>", "user", "x.com");
    assert_one("Bob <@r1.example,@r2.example:bob@x.com>", "bob", "x.com");
}

Test(addr, obs_local_part_with_dots_and_cfws)
{
    assert_one("john..doe@x.com", "john..doe", "x.com");
    assert_one("a . b@x.com", "a . b", "x.com");
}

Test(addr, empty_local_part_is_kept_empty)
{
    assert_one("@x.com", "", "x.com");
}

/* Lists and groups --------------------------------------------------------------------- */

Test(addr, two_from_addresses)
{
    struct addr_list l;
    cr_assert_eq(parse("Alice <a@x.com>, \"Bob, B.\" <b@Y.com>", &l), ADDR_OK);
    cr_assert_eq(l.n, 2);
    assert_slice(l.v[0].domain, "x.com");
    assert_slice(l.v[1].domain, "y.com");
}

Test(addr, bare_addresses_separated_by_comma)
{
    struct addr_list l;
    cr_assert_eq(parse("a@x.com,b@y.com , c@z.com", &l), ADDR_OK);
    cr_assert_eq(l.n, 3);
    assert_slice(l.v[2].domain, "z.com");
}

Test(addr, semicolon_outside_group_separates_like_comma)
{
    /* Outlook-style "a; b": both authors are reported, so a multi-author From: is not hidden. */
    struct addr_list l;
    cr_assert_eq(parse("a@x.com; b@y.com", &l), ADDR_OK);
    cr_assert_eq(l.n, 2);
    assert_slice(l.v[1].domain, "y.com");
}

Test(addr, empty_list_elements_are_skipped)
{
    struct addr_list l;
    cr_assert_eq(parse(", a@x.com,,  , b@y.com,", &l), ADDR_OK);
    cr_assert_eq(l.n, 2);
}

Test(addr, undisclosed_recipients_group_is_empty)
{
    assert_status("undisclosed-recipients:;", ADDR_EMPTY);
    assert_status("undisclosed-recipients: ;", ADDR_EMPTY);
    assert_status("undisclosed-recipients:", ADDR_EMPTY);
}

Test(addr, group_gives_its_members)
{
    struct addr_list l;
    cr_assert_eq(parse("G: a@x.com, b@y.com;", &l), ADDR_OK);
    cr_assert_eq(l.n, 2);
    assert_slice(l.v[0].domain, "x.com");
    assert_slice(l.v[1].domain, "y.com");
}

Test(addr, group_followed_by_mailbox)
{
    struct addr_list l;
    cr_assert_eq(parse("Team: Ann <a@x.com>;, c@z.com", &l), ADDR_OK);
    cr_assert_eq(l.n, 2);
    assert_slice(l.v[1].domain, "z.com");
}

Test(addr, nested_group_is_syntax)
{
    assert_status("G: H: a@x.com;;", ADDR_SYNTAX);
}

Test(addr, too_many_addresses)
{
    char buf[LIM_FROM_ADDRESSES * 12 + 16];
    size_t p = 0;
    for (unsigned i = 0; i < LIM_FROM_ADDRESSES; i++) {
        p += (size_t)snprintf(buf + p, sizeof(buf) - p, "a%u@x.com,", i);
    }
    struct addr_list l;
    cr_assert_eq(parse(buf, &l), ADDR_OK);
    cr_assert_eq(l.n, LIM_FROM_ADDRESSES);
    snprintf(buf + p, sizeof(buf) - p, "z@y.com");
    cr_assert_eq(parse(buf, &l), ADDR_TOO_MANY);
    cr_assert_eq(l.n, LIM_FROM_ADDRESSES);
}

/* Errors ------------------------------------------------------------------------------- */

Test(addr, empty_value_is_empty)
{
    assert_status("", ADDR_EMPTY);
    assert_status("   \r\n ", ADDR_EMPTY);
    assert_status("(just a comment)", ADDR_EMPTY);
}

Test(addr, missing_at_is_syntax)
{
    assert_status("alice", ADDR_SYNTAX);
    assert_status("Alice <alice>", ADDR_SYNTAX);
    assert_status("alice.example.com", ADDR_SYNTAX);
}

Test(addr, two_at_signs_is_syntax)
{
    assert_status("a@b@x.com", ADDR_SYNTAX);
    assert_status("<a@evil.com@good.com>", ADDR_SYNTAX);
}

Test(addr, display_name_without_angle_brackets_is_syntax)
{
    assert_status("Alice alice@x.com", ADDR_SYNTAX);
}

Test(addr, missing_domain_is_syntax)
{
    assert_status("a@", ADDR_SYNTAX);
    assert_status("<a@>", ADDR_SYNTAX);
}

Test(addr, empty_angle_in_from_is_syntax)
{
    assert_status("<>", ADDR_SYNTAX);
}

Test(addr, unterminated_quote_is_syntax)
{
    assert_status("\"Alice <a@x.com>", ADDR_SYNTAX);
    assert_status("\"a\\", ADDR_SYNTAX);
}

Test(addr, unterminated_comment_is_syntax)
{
    assert_status("a@x.com (Alice", ADDR_SYNTAX);
    assert_status("a@x.com (Alice\\)", ADDR_SYNTAX);
    assert_status("a@x.com (x\\", ADDR_SYNTAX);
}

Test(addr, unmatched_close_paren_is_syntax)
{
    assert_status("a@x.com )", ADDR_SYNTAX);
}

Test(addr, unterminated_angle_is_syntax)
{
    assert_status("Alice <a@x.com", ADDR_SYNTAX);
    assert_status("Alice <", ADDR_SYNTAX);
    assert_status("Alice a@x.com>", ADDR_SYNTAX);
}

Test(addr, unterminated_domain_literal_is_syntax)
{
    assert_status("a@[192.0.2.1", ADDR_SYNTAX);
}

Test(addr, junk_after_angle_addr_is_syntax)
{
    assert_status("<a@x.com> <b@y.com>", ADDR_SYNTAX);
    assert_status("<a@x.com> junk", ADDR_SYNTAX);
}

Test(addr, syntax_error_keeps_addresses_before_it)
{
    struct addr_list l;
    cr_assert_eq(parse("a@x.com, b@y.com, broken", &l), ADDR_SYNTAX);
    cr_assert_eq(l.n, 2);
    assert_slice(l.v[1].domain, "y.com");
}

Test(addr, every_prefix_of_a_complex_value_is_safe)
{
    /* Each prefix sits against the guard page, so an over-read at any cut point crashes. */
    const char *v = "\"A \\\" B\" (c (d)) <@r:x.y@[1.2.3.4]>, G: =?a?q?b?= <p@q.r>;";
    size_t n = strlen(v);
    for (size_t i = 0; i <= n; i++) {
        struct addr_list l;
        enum addr_status st = addr_parse_list(A, &l, guard_bytes(v, i));
        cr_assert(st == ADDR_OK || st == ADDR_EMPTY || st == ADDR_SYNTAX);
    }
}

Test(addr, long_hostile_encoded_word_run_is_linear)
{
    /* "=?x" repeated: every "=?" starts an encoded-word attempt that must end quickly. */
    size_t n = 3u << 20;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        s[i] = "=?x"[i % 3];
    }
    s[n] = '\0';
    struct addr_list l;
    cr_assert_eq(addr_parse_list(A, &l, guard_bytes(s, n)), ADDR_SYNTAX);
    free(s);
}

/* Return-Path -------------------------------------------------------------------------- */

static enum addr_status path(const char *v, struct addr *out)
{
    return addr_parse_path(A, out, guard_slice(v));
}

Test(addr, path_null_sender_is_empty)
{
    struct addr a;
    cr_assert_eq(path("<>", &a), ADDR_EMPTY);
    cr_assert_eq(path(" < > (bounce)", &a), ADDR_EMPTY);
    cr_assert_eq(path("", &a), ADDR_EMPTY);
}

Test(addr, path_angle_and_bare)
{
    struct addr a;
    cr_assert_eq(path("<user@X.com>", &a), ADDR_OK);
    assert_slice(a.local, "user");
    assert_slice(a.domain, "x.com");
    cr_assert_eq(path("user@x.com", &a), ADDR_OK);
    assert_slice(a.domain, "x.com");
}

Test(addr, path_with_comments_and_whitespace)
{
    struct addr a;
    cr_assert_eq(path("  (via relay) <bounce+123@mail.Example.net> (x) \r\n", &a), ADDR_OK);
    assert_slice(a.local, "bounce+123");
    assert_slice(a.domain, "mail.example.net");
}

Test(addr, path_with_route)
{
    struct addr a;
    cr_assert_eq(path("<@relay.example:user@x.com>", &a), ADDR_OK);
    assert_slice(a.domain, "x.com");
}

Test(addr, path_errors)
{
    struct addr a;
    cr_assert_eq(path("<user@x.com", &a), ADDR_SYNTAX);
    cr_assert_eq(path("<user>", &a), ADDR_SYNTAX);
    cr_assert_eq(path("<a@x.com>, <b@y.com>", &a), ADDR_SYNTAX);
    cr_assert_eq(path("<> junk", &a), ADDR_SYNTAX);
    cr_assert_eq(path("g: a@x.com;", &a), ADDR_SYNTAX);
    cr_assert_eq(path(",", &a), ADDR_SYNTAX);
}

Test(addr, status_names)
{
    cr_assert_str_eq(addr_status_name(ADDR_OK), "ok");
    cr_assert_str_eq(addr_status_name(ADDR_EMPTY), "empty");
    cr_assert_str_eq(addr_status_name(ADDR_SYNTAX), "syntax");
    cr_assert_str_eq(addr_status_name(ADDR_TOO_MANY), "too_many");
    cr_assert_str_eq(addr_status_name((enum addr_status)99), "unknown");
}
