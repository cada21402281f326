/* report_csv: RFC 4180 rows (engine/report/csv.c): quoting, CR/LF inside quotes, invalid
 * UTF-8 and control bytes replaced as the JSON writer does, the formula guard, and --format
 * csv end to end read back by Python's csv module. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/report/csv.h"
#include "tests/report/fixture.h"
#include "tests/support/guard.h"

static const char *field(const char *v, size_t n, bool guard)
{
    static char out[4096];
    struct sbuf b;
    sbuf_init(&b, 4000);
    cr_assert(csv_field(&b, guard_bytes(v, n), guard));
    memcpy(out, b.ptr, b.len);
    out[b.len] = 0;
    sbuf_cleanup(&b);
    return out;
}

Test(report_csv, fields_are_quoted_only_when_needed_and_quotes_doubled)
{
    cr_assert_str_eq(field("plain", 5, false), "plain");
    cr_assert_str_eq(field("a,b", 3, false), "\"a,b\"");
    cr_assert_str_eq(field("say \"hi\"", 8, false), "\"say \"\"hi\"\"\"");
    cr_assert_str_eq(field("two\r\nlines\n", 11, false), "\"two\r\nlines\n\"");
    cr_assert_str_eq(field(" lead", 5, false), "\" lead\"");
    cr_assert_str_eq(field("", 0, false), "");
}

Test(report_csv, invalid_utf8_and_control_bytes_become_replacement_characters)
{
    cr_assert_str_eq(field("caf\xc3\xa9", 5, false), "caf\xc3\xa9");       /* valid: kept */
    cr_assert_str_eq(field("a\xff" "b", 3, false), "a\xef\xbf\xbd" "b");  /* invalid byte */
    cr_assert_str_eq(field("\xc0\xaf", 2, false), "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
    cr_assert_str_eq(field("\xed\xa0\x80", 3, false),
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    cr_assert_str_eq(field("n\0l\x1b[2J", 7, false), "n\xef\xbf\xbdl\xef\xbf\xbd[2J");
    cr_assert_str_eq(field("tab\there", 8, false), "tab\there");
}

Test(report_csv, formula_guard_for_message_derived_fields)
{
    cr_assert_str_eq(field("=1+1", 4, true), "'=1+1");
    cr_assert_str_eq(field("@SUM(A1)", 8, true), "'@SUM(A1)");
    cr_assert_str_eq(field("-2,3", 4, true), "\"'-2,3\"");
    cr_assert_str_eq(field("<id@x>", 6, true), "<id@x>");
    cr_assert_str_eq(field("=1+1", 4, false), "=1+1");
}

Test(report_csv, dkim_column_percent_encodes_separators_in_d)
{
    struct dkim_sig s[2] = { 0 };
    s[0].d = SLICE_LIT("a;pass:b.example");
    s[0].result = AV_FAIL;
    s[1].d = SLICE_LIT("caf\xc3\xa9.example");
    s[1].result = AV_PASS;
    struct input_msg m = { .source = "box,1.mbox", .index = 7, .offset = 0 };
    struct msg_result r = { .in = &m, .dkim_ran = true, .spf_ran = true, .klass = "spoofed" };
    r.dkim.sig = s;
    r.dkim.n = r.dkim.n_fields = 2;
    r.spf.result = AV_SOFTFAIL;
    struct sbuf b;
    sbuf_init(&b, 65536);
    cr_assert(csv_row(&b, &r));
    cr_assert_eq(b.len, strlen("\"box,1.mbox\",7,,,fail:a%3Bpass%3Ab.example;pass:caf\xc3\xa9"
                               ".example,softfail,,,spoofed,\r\n"));
    cr_assert(memcmp(b.ptr, "\"box,1.mbox\",7,,,fail:a%3Bpass%3Ab.example;pass:caf\xc3\xa9"
                            ".example,softfail,,,spoofed,\r\n", b.len) == 0, "%.*s",
              (int)b.len, b.ptr);
    sbuf_cleanup(&b);
}



Test(report_csv, format_csv_end_to_end_reads_back_with_python_csv)
{
    fx_make();
    char *out;
    cr_assert_eq(fx_run("--format csv corpus.mbox -o out.csv", &out), 0);
    size_t n;
    char *csv = fx_read("out.csv", &n);
    static const char head[] =
        "source,index,message_id,from_domain,dkim,spf,dmarc,disposition,class,error\r\n";
    cr_assert(strncmp(csv, head, sizeof head - 1) == 0, "%s", csv);
    cr_assert_not_null(strstr(csv, "corpus.mbox,2,<m2@good.example>,good.example,,fail,fail,"
                                   "quarantine,spoofed,\r\n"));
    cr_assert_not_null(strstr(csv, ",permerror:;pass:none.example,pass,pass,none,"
                                   "authenticated,\r\n"));
    cr_assert_not_null(strstr(csv, "corpus.mbox,9,<m9@nopolicy.example>,nopolicy.example,,"
                                   "neutral,none,,unprotected,\r\n"));
    /* the hostile Message-ID: formula guard, quotes doubled, bad bytes replaced */
    cr_assert_not_null(strstr(csv, "\"'=cmd|' /C calc'!A0,\"\"x\"\"\xef\xbf\xbd\xef\xbf\xbd\""),
                       "%s", csv);
    const char *py =
        "/usr/bin/python3 -c 'import csv,sys\n"
        "rows=list(csv.reader(open(sys.argv[1],newline=\"\",encoding=\"utf-8\",errors=\"strict\")))\n"
        "assert len(rows)==13, len(rows)\n"
        "assert all(len(r)==10 for r in rows), [len(r) for r in rows]\n"
        "assert [r[1] for r in rows[1:]]==[str(i) for i in range(12)]\n"
        "assert rows[12][2].startswith(\"\\x27=cmd\"), rows[12][2]\n"
        "print(\"ok\")' out.csv";
    cr_assert_eq(fx_sh(py, &out), 0, "%s", out);
    fx_cleanup();
}
