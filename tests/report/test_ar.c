/* report_ar: the Authentication-Results field (engine/report/ar.c): values, quoting of
 * hostile bytes, folding, every result kind, header.b uniqueness, and --format ar end to end. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/arena.h"
#include "engine/report/ar.h"
#include "tests/report/fixture.h"
#include "tests/support/guard.h"

static const struct ar_opts opts = { .authserv_id = SLICE_INIT("mx.example.org") };

static char *value(const char *v, size_t n, bool pvalue)
{
    static char out[4096];
    struct sbuf b;
    sbuf_init(&b, 4000);
    cr_assert(ar_value(&b, guard_bytes(v, n), pvalue));
    memcpy(out, b.ptr, b.len);
    out[b.len] = 0;
    sbuf_cleanup(&b);
    return out;
}

/* assert_safe: only printable ASCII, spaces and LF; lines at most 78 columns unless the
 * line holds a single word after its indentation. */
static void assert_safe(const char *s, size_t n)
{
    size_t col = 0, line_start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        cr_assert(c == '\n' || (c >= 0x20 && c < 0x7F), "unsafe byte 0x%02x at %zu", c, i);
        if (c == '\n') {
            if (col > 78) {
                const char *l = s + line_start;
                size_t k = 0;
                while (l[k] == ' ') {
                    k++;
                }
                cr_assert_null(memchr(l + k, ' ', col - k), "long line with a fold point: %.*s",
                               (int)col, l);
            }
            col = 0;
            line_start = i + 1;
        } else {
            col++;
        }
    }
}

Test(report_ar, values_are_tokens_addresses_or_quoted_strings)
{
    cr_assert_str_eq(value("example.com", 11, true), "example.com");
    cr_assert_str_eq(value("@example.com", 12, true), "@example.com");
    cr_assert_str_eq(value("user.name@example.com", 21, true), "user.name@example.com");
    cr_assert_str_eq(value("@example.com", 12, false), "\"@example.com\"");
    cr_assert_str_eq(value("ab/cd=", 6, true), "\"ab/cd=\"");
    cr_assert_str_eq(value("abc+def", 7, true), "abc+def");
    cr_assert_str_eq(value("", 0, true), "\"\"");
    cr_assert_str_eq(value("a b", 3, true), "\"a b\"");
    cr_assert_str_eq(value("say \"hi\" \\o/", 12, true), "\"say \\\"hi\\\" \\\\o/\"");
    cr_assert_str_eq(value("a;b=c", 5, true), "\"a;b=c\"");
    cr_assert_str_eq(value("x@-bad-.example", 15, true), "\"x@-bad-.example\"");
}

Test(report_ar, bytes_outside_printable_ascii_are_percent_encoded_never_raw)
{
    cr_assert_str_eq(value("caf\xc3\xa9.example", 13, true), "\"caf%C3%A9.example\"");
    cr_assert_str_eq(value("a\r\nb: x", 7, true), "\"a%0D%0Ab: x\"");
    cr_assert_str_eq(value("50%\x01", 4, true), "\"50%25%01\"");
    cr_assert_str_eq(value("nul\0x", 5, true), "\"nul%00x\"");
    cr_assert_str_eq(value("50%", 3, true), "50%"); /* plain: % is a token character */
}

Test(report_ar, long_values_are_cut_and_marked)
{
    char big[1000];
    memset(big, 'a', sizeof big);
    const char *v = value(big, sizeof big, true);
    cr_assert_eq(strlen(v), AR_VALUE_MAX + 5); /* quotes and "..." */
    cr_assert_eq(v[0], '"');
    cr_assert_str_eq(v + AR_VALUE_MAX + 1, "...\"");
}

Test(report_ar, authserv_id_rules)
{
    cr_assert(ar_authserv_id_ok(SLICE_LIT("mx.example.org")));
    cr_assert(ar_authserv_id_ok(SLICE_LIT("host/1")));
    cr_assert_not(ar_authserv_id_ok(SLICE_LIT("")));
    cr_assert_not(ar_authserv_id_ok(SLICE_LIT("a b")));
    cr_assert_not(ar_authserv_id_ok(SLICE_LIT("a\nb")));
    cr_assert_not(ar_authserv_id_ok(SLICE_LIT("caf\xc3\xa9")));
}

static struct dkim_sig sig(const char *d, const char *b, enum auth_verdict v, enum dkim_reason r)
{
    struct dkim_sig s = { 0 };
    s.d = slice_make(d, strlen(d));
    s.s = SLICE_LIT("sel");
    s.i = slice_make("@", 1);
    s.a = SLICE_LIT("rsa-sha256");
    s.b = slice_make(b, strlen(b));
    s.result = v;
    s.reason = r;
    return s;
}

static char *header_of(struct msg_result *r)
{
    static char out[65536];
    struct arena *a = arena_new(0);
    struct sbuf b;
    sbuf_init(&b, AR_HEADER_MAX);
    cr_assert(ar_header(&b, a, &opts, r));
    memcpy(out, b.ptr, b.len);
    out[b.len] = 0;
    assert_safe(out, b.len);
    sbuf_cleanup(&b);
    arena_free(a);
    return out;
}

Test(report_ar, every_dkim_result_kind_with_its_reason)
{
    struct dkim_sig s[] = {
        sig("a.example", "AAAAAAAA1", AV_PASS, DKIM_R_NONE),
        sig("b.example", "AAAAAAAA2", AV_FAIL, DKIM_R_BODY_HASH_MISMATCH),
        sig("c.example", "BBBBBBBBBB", AV_POLICY, DKIM_R_SHA1_REJECTED),
        sig("d.example", "CCCCCCCCCC", AV_NEUTRAL, DKIM_R_SKIPPED_LIMIT),
        sig("e.example", "DDDDDDDDDD", AV_TEMPERROR, DKIM_R_DNS_TEMPERROR),
        sig("f.example", "EEEE EEEE\r\n\tEE", AV_PERMERROR, DKIM_R_KEY_NOT_FOUND),
    };
    struct msg_result r = { .dkim_ran = true };
    r.dkim.sig = s;
    r.dkim.n = r.dkim.n_fields = sizeof s / sizeof s[0];
    const char *h = header_of(&r);
    cr_assert(strncmp(h, "Authentication-Results: mx.example.org;\n  dkim=pass ", 51) == 0, "%s", h);
    cr_assert_not_null(strstr(h, "dkim=fail reason=\"body_hash_mismatch\" header.d=b.example"));
    cr_assert_not_null(strstr(h, "dkim=policy reason=\"sha1_rejected\""));
    cr_assert_not_null(strstr(h, "dkim=neutral reason=\"skipped_limit\""));
    cr_assert_not_null(strstr(h, "dkim=temperror reason=\"dns_temperror\""));
    cr_assert_not_null(strstr(h, "dkim=permerror reason=\"key_not_found\""));
    /* header.b: 9 characters where the first 8 are shared, folding white space removed */
    cr_assert_not_null(strstr(h, "header.b=AAAAAAAA1;"), "%s", h);
    cr_assert_not_null(strstr(h, "header.b=AAAAAAAA2;"), "%s", h);
    cr_assert_not_null(strstr(h, "header.b=BBBBBBBB;"), "%s", h);
    cr_assert_not_null(strstr(h, "header.b=EEEEEEEE\n"), "%s", h);
    cr_assert_not_null(strstr(h, "header.i=\"@\" "), "%s", h); /* "@" alone: quoted */
}

Test(report_ar, unsigned_message_and_no_checks)
{
    struct msg_result r = { .dkim_ran = true };
    cr_assert_str_eq(header_of(&r), "Authentication-Results: mx.example.org;\n  dkim=none\n");
    struct msg_result e = { 0 };
    cr_assert_str_eq(header_of(&e), "Authentication-Results: mx.example.org; none\n");
}

Test(report_ar, spf_and_dmarc_resinfos_and_every_spf_result)
{
    static const enum auth_verdict v[] = { AV_NONE, AV_PASS, AV_FAIL, AV_SOFTFAIL, AV_NEUTRAL,
                                           AV_TEMPERROR, AV_PERMERROR };
    static const char *const names[] = { "none", "pass", "fail", "softfail", "neutral",
                                         "temperror", "permerror" };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct dmarc_record rec = { .p = DMARC_P_REJECT };
        struct msg_result r = { .spf_ran = true, .spf_has_mailfrom = true, .dmarc_ran = true };
        r.spf.result = v[i];
        r.spf_mailfrom = SLICE_LIT("bounce+x=y@mail.example.com");
        r.spf_helo_name = SLICE_LIT("mx1.example.com");
        r.dmarc.result = AV_FAIL;
        r.dmarc.reason = DMARC_R_NO_ALIGNED_PASS;
        r.dmarc.domain = SLICE_LIT("example.com");
        r.dmarc.record = &rec;
        r.dmarc.policy = DMARC_TAG_P;
        r.dmarc.published = DMARC_P_REJECT;
        r.dmarc.disposition = DMARC_P_QUARANTINE;
        const char *h = header_of(&r);
        char want[128];
        snprintf(want, sizeof want, "  spf=%s", names[i]);
        cr_assert_not_null(strstr(h, want), "%s", h);
        cr_assert_not_null(strstr(h, "smtp.mailfrom=bounce+x=y@mail.example.com"), "%s", h);
        cr_assert_not_null(strstr(h, "smtp.helo=mx1.example.com"), "%s", h);
        cr_assert_not_null(strstr(h, "dmarc=fail reason=\"no_aligned_pass\" "
                                     "header.from=example.com"), "%s", h);
        cr_assert_not_null(strstr(h, "policy.dmarc=quarantine\n"), "%s", h);
    }
}

Test(report_ar, hostile_values_are_quoted_and_folded_safely)
{
    char d[300];
    memset(d, 'x', sizeof d);
    memcpy(d, "ev\"il\r\n\xff;", 9);
    d[sizeof d - 1] = 0;
    struct dkim_sig s[] = { sig(d, "QUJD/+==", AV_PERMERROR, DKIM_R_SIG_SYNTAX),
                            sig("a.example", "QUJD/+==", AV_PERMERROR, DKIM_R_SIG_SYNTAX) };
    s[0].s = SLICE_LIT("s\"el\\");
    s[1].i = SLICE_LIT("Authentication-Results: fake; dkim=pass");
    struct msg_result r = { .dkim_ran = true, .dmarc_ran = true };
    r.dkim.sig = s;
    r.dkim.n = r.dkim.n_fields = 2;
    r.dmarc.domain = SLICE_LIT("a.example\n\tX-Injected: 1");
    const char *h = header_of(&r);
    cr_assert_not_null(strstr(h, "header.d=\"ev\\\"il%0D%0A%FF;xxx"), "%s", h);
    cr_assert_not_null(strstr(h, "header.s=\"s\\\"el\\\\\""), "%s", h);
    cr_assert_not_null(strstr(h, "header.b=\"QUJD/+==\""), "%s", h); /* identical: all of it */
    cr_assert_not_null(strstr(h, "header.i=\"Authentication-Results: fake; dkim=pass\""), "%s", h);
    cr_assert_not_null(strstr(h, "header.from=\"a.example%0A%09X-Injected: 1\""), "%s", h);
    /* every continuation line starts with white space: nothing can start a new field */
    for (const char *p = strchr(h, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        cr_assert(p[1] == ' ', "a line of the field starts without white space: %s", p + 1);
    }
}



Test(report_ar, format_ar_end_to_end_covers_the_corpus)
{
    fx_make();
    char *out;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --format ar --threads 3 corpus.mbox", &out),
                 0);
    assert_safe(out, strlen(out));
    size_t blocks = 0;
    for (const char *p = out; (p = strstr(p, "X-Authsweep-Source: \"corpus.mbox\"; index=")); p++) {
        blocks++;
    }
    cr_assert_eq(blocks, FX_MESSAGES, "%s", out);
    static const char *const want[] = {
        "dkim=pass",   "dkim=fail reason=\"body_hash_mismatch\"",
        "dkim=policy reason=\"sha1_rejected\"", "dkim=permerror", "dkim=temperror",
        "dkim=none",   "spf=pass", "spf=fail", "spf=softfail", "spf=neutral", "spf=none",
        "dmarc=pass",  "dmarc=fail", "dmarc=none", "dmarc=temperror",
        "policy.dmarc=quarantine", "policy.dmarc=none",
        "smtp.mailfrom=a@good.example", "header.from=good.example",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_not_null(strstr(out, want[i]), "no %s in:\n%s", want[i], out);
    }
    /* blocks are separated by exactly one empty line, and the output ends with one */
    cr_assert_eq(strstr(out, "\n\n\n"), NULL);
    size_t n = strlen(out);
    cr_assert(n > 2 && out[n - 1] == '\n' && out[n - 2] == '\n');
    /* the same at one thread */
    char *one;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --format ar --threads 1 corpus.mbox", &one),
                 0);
    cr_assert_str_eq(out, one);
    fx_cleanup();
}

Test(report_ar, default_authserv_id_is_the_host_name)
{
    fx_make();
    char host[256] = "";
    gethostname(host, sizeof host);
    char *out;
    cr_assert_eq(fx_run("--format ar corpus.mbox", &out), 0);
    char want[300];
    snprintf(want, sizeof want, "Authentication-Results: %s;", host);
    cr_assert_not_null(strstr(out, want), "%s", out);
    cr_assert_eq(fx_run("--format ar --authserv-id 'a b' corpus.mbox", &out), 2);
    cr_assert_eq(fx_run("--format xml corpus.mbox", &out), 2);
    fx_cleanup();
}

Test(report_ar, help_documents_the_output_options)
{
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "'%s' verify --help", test_bin());
    cr_assert_eq(test_run(cmd, &out, NULL), 0);
    test_keep(out);
    static const char *const want[] = { "--format", "--authserv-id", "--annotate",
                                        "--dmarc-reports", "--report-org", "--report-email",
                                        "--summary", "X-Authsweep-Source" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_not_null(strstr(out, want[i]), "--help lacks %s", want[i]);
    }
}
