/* report_xml: DMARC aggregate reports (engine/report/aggregate.c): valid against the RFC 9990
 * schema (xmllint), named as RFC 9990 says, rows grouped with the right counts, override
 * reasons, both DMARC modes, hostile strings escaped, identical at any thread count and for
 * the same messages in any archive format. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/arena.h"
#include "engine/report/aggregate.h"
#include "tests/report/fixture.h"
#include "tests/support/guard.h"

#define GOOD "rep/" FX_AUTHSERV "!good.example!1704103200!1704196800.xml"
#define QUAR "rep/" FX_AUTHSERV "!quar.example!1704103200!1704196800.xml"
#define NONE "rep/" FX_AUTHSERV "!none.example!1704103200!1704103200.xml"
#define TMP "rep/" FX_AUTHSERV "!tmp.example!1704103200!1704103200.xml"

static void assert_schema_valid(const char *dir)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "for f in %s/*.xml; do xmllint --noout --schema '%s/specs/dmarc-aggregate-report-0.2.xsd'"
             " \"$f\" 2>&1 || exit 1; done",
             dir, test_shared_dir());
    char *out;
    cr_assert_eq(fx_sh(cmd, &out), 0, "schema validation failed:\n%s", out);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(fx_path(dir));
    cr_assert_not_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

static void run_reports(const char *extra, const char *input)
{
    char args[1024], *out;
    snprintf(args, sizeof args, "--authserv-id %s --dmarc-reports rep %s %s", FX_AUTHSERV, extra,
             input);
    cr_assert_eq(fx_run(args, &out), 0);
}

TestSuite(report_xml, .init = (void (*)(void))fx_make, .fini = fx_cleanup);

Test(report_xml, one_schema_valid_report_per_policy_domain_named_per_rfc9990)
{
    run_reports("", "corpus.mbox");
    cr_assert_eq(count_files("rep"), 4); /* good, quar (with sub.quar), none, tmp */
    cr_assert_not_null(fx_read(GOOD, NULL));
    cr_assert_not_null(fx_read(QUAR, NULL));
    cr_assert_not_null(fx_read(NONE, NULL));
    cr_assert_not_null(fx_read(TMP, NULL));
    assert_schema_valid("rep");
    char *g = fx_read(GOOD, NULL);
    cr_assert_not_null(strstr(g, "<report_id>1704103200.1704196800.good.example@" FX_AUTHSERV
                                 "</report_id>"));
    cr_assert_not_null(strstr(g, "<org_name>" FX_AUTHSERV "</org_name>"));
    cr_assert_not_null(strstr(g, "<email>postmaster@" FX_AUTHSERV "</email>"));
    cr_assert_not_null(strstr(g, "<begin>1704103200</begin>"));
    cr_assert_not_null(strstr(g, "<end>1704196800</end>"));
    cr_assert_not_null(strstr(g, "<p>reject</p>"));
    cr_assert_not_null(strstr(g, "<discovery_method>treewalk</discovery_method>"));
}

/* record_at: the <record> whose row has ip and count, or NULL. */
static const char *record_at(const char *xml, const char *ip, int count)
{
    char want[256];
    snprintf(want, sizeof want, "<source_ip>%s</source_ip>\n      <count>%d</count>", ip, count);
    return strstr(xml, want);
}

static long total_count(const char *xml)
{
    long n = 0;
    for (const char *p = xml; (p = strstr(p, "<count>")); p++) {
        n += strtol(p + 7, NULL, 10);
    }
    return n;
}

Test(report_xml, rows_group_messages_with_the_same_record_and_count_them)
{
    run_reports("", "corpus.mbox");
    char *g = fx_read(GOOD, NULL);
    /* messages 0 and 1: same IP, results and identifiers -> one row of 2 */
    const char *two = record_at(g, "192.0.2.10", 2);
    cr_assert_not_null(two, "%s", g);
    cr_assert(strstr(two, "<disposition>pass</disposition>") < strstr(two, "</record>"));
    /* message 3: same IP, but its DKIM result differs -> its own row */
    const char *one = record_at(g, "192.0.2.10", 1);
    cr_assert_not_null(one);
    cr_assert_not_null(strstr(one, "<human_result>body_hash_mismatch</human_result>"));
    /* message 2: quarantine instead of reject, with the reason */
    const char *q = record_at(g, "203.0.113.5", 1);
    cr_assert_not_null(q);
    cr_assert_not_null(strstr(q, "<disposition>quarantine</disposition>"));
    cr_assert_not_null(strstr(q, "<type>local_policy</type>"));
    cr_assert_eq(total_count(g), 4); /* message 10 has no client address: left out */
    char *qu = fx_read(QUAR, NULL);
    cr_assert_eq(total_count(qu), 2);
    cr_assert_not_null(strstr(qu, "<header_from>sub.quar.example</header_from>"));
    cr_assert_not_null(strstr(qu, "<type>policy_test_mode</type>"));
    cr_assert_not_null(strstr(qu, "<testing>y</testing>"));
    cr_assert_not_null(strstr(qu, "<error>DMARC Policy Record: unknown_tag</error>"));
    cr_assert_eq(total_count(fx_read(NONE, NULL)), 2);
    char *t = fx_read(TMP, NULL);
    cr_assert_eq(total_count(t), 1);
    cr_assert_not_null(strstr(t, "<result>temperror</result>"));
    /* what was left out is said (without -q) */
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd, "'%s' verify --no-progress --dns-snapshot report.zone "
             "--authserv-id " FX_AUTHSERV " --dmarc-reports rep corpus.mbox 2>err.txt >/dev/null",
             test_bin());
    cr_assert_eq(fx_sh(cmd, &out), 0);
    char *err = fx_read("err.txt", NULL);
    cr_assert_not_null(strstr(err, "4 files in rep, 8 rows, 9 messages; left out: 2 without a "
                                    "DMARC policy record, 1 without a known connecting address, "
                                    "0 over the limits"), "%s", err);
}

Test(report_xml, dkim_signatures_are_listed_passing_aligned_first)
{
    run_reports("", "corpus.mbox");
    char *n = fx_read(NONE, NULL);
    const char *r = record_at(n, "192.0.2.20", 1); /* message 7: hostile first, good second */
    cr_assert_not_null(r);
    const char *pass = strstr(r, "<result>pass</result>");
    const char *perm = strstr(r, "<result>permerror</result>");
    cr_assert(pass && perm && pass < perm, "%s", r);
}

Test(report_xml, apply_reject_and_rfc7489_mode_stay_valid)
{
    run_reports("--apply-reject", "corpus.mbox");
    char *g = fx_read(GOOD, NULL);
    const char *q = record_at(g, "203.0.113.5", 1);
    cr_assert_not_null(q);
    cr_assert_not_null(strstr(q, "<disposition>reject</disposition>"));
    cr_assert(strstr(q, "<reason>") == NULL || strstr(q, "<reason>") > strstr(q, "</record>"));
    assert_schema_valid("rep");
    char *out;
    cr_assert_eq(fx_sh("rm -rf rep", &out), 0);
    run_reports("--dmarc-mode rfc7489", "corpus.mbox");
    assert_schema_valid("rep");
    g = fx_read(GOOD, NULL);
    cr_assert_not_null(strstr(g, "<discovery_method>psl</discovery_method>"));
    cr_assert_null(strstr(g, "<np>"));
    cr_assert_null(strstr(g, "<testing>"));
    cr_assert_not_null(strstr(record_at(g, "203.0.113.5", 1), "<disposition>reject</disposition>"));
}

Test(report_xml, same_reports_at_any_thread_count_and_from_any_archive_format)
{
    char *out;
    run_reports("--threads 1", "corpus.mbox");
    cr_assert_eq(fx_sh("mv rep rep1", &out), 0);
    run_reports("--threads 4", "corpus-crlf.mbox");
    cr_assert_eq(fx_sh("mv rep rep4", &out), 0);
    run_reports("--threads 3", "Maildir");
    cr_assert_eq(fx_sh("diff -r rep1 rep4 && diff -r rep1 rep", &out), 0, "%s", out);
}

Test(report_xml, report_metadata_options_and_usage_errors)
{
    char *out;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --dmarc-reports rep --report-org "
                        "'Example & <Co>' --report-email 'dmarc@example.org' corpus.mbox",
                        &out), 0);
    char *g = fx_read(GOOD, NULL);
    cr_assert_not_null(strstr(g, "<org_name>Example &amp; &lt;Co&gt;</org_name>"));
    cr_assert_not_null(strstr(g, "<email>dmarc@example.org</email>"));
    assert_schema_valid("rep");
    cr_assert_eq(fx_run("--authserv-id localhost --dmarc-reports rep2 corpus.mbox", &out), 2);
    cr_assert_eq(fx_run("--authserv-id 'a/b.example' --dmarc-reports rep2 corpus.mbox", &out), 2);
    cr_assert_eq(count_files("."), count_files(".")); /* nothing half-made */
}

Test(report_xml, hostile_strings_are_escaped_and_the_report_stays_valid)
{
    struct agg_opts o = { .receiver = SLICE_LIT("mx.report.example"),
                          .org_name = SLICE_LIT("org"), .email = SLICE_LIT("a@b.example"),
                          .generator = SLICE_LIT("test") };
    struct agg *g = agg_new(&o);
    struct arena *a = arena_new(0);
    struct dmarc_record rec = { .p = DMARC_P_QUARANTINE, .fo = DMARC_FO_0 };
    struct dkim_sig s[2] = { 0 };
    s[0].d = guard_bytes("ev<il>&\"'\xff\x01\xef\xbf\xbe.example", 22);
    s[0].s = SLICE_LIT("]]><x/>");
    s[0].result = AV_PERMERROR;
    s[0].reason = DKIM_R_SIG_SYNTAX;
    s[1].d = SLICE_LIT("good.example");
    s[1].s = SLICE_LIT("sel");
    s[1].result = AV_PASS;
    struct input_msg m = { .source = "x", .offset = -1 };
    struct msg_result r = { .in = &m, .dkim_ran = true, .spf_ran = true, .spf_has_ip = true,
                            .spf_has_mailfrom = true, .dmarc_ran = true, .has_as_of = true };
    r.as_of = 1704103200;
    r.dkim.sig = s;
    r.dkim.n = r.dkim.n_fields = 2;
    r.spf_ip = SLICE_LIT("2001:DB8::0:1");
    r.spf_mailfrom = SLICE_LIT("x@good.example");
    r.spf.result = AV_PASS;
    r.spf.domain = SLICE_LIT("good.example");
    r.dmarc.mode = DMARC_MODE_RFC9989;
    r.dmarc.result = AV_PASS;
    r.dmarc.domain = SLICE_LIT("good.example");
    r.dmarc.policy_domain = SLICE_LIT("Good.Example");
    r.dmarc.record = &rec;
    r.dmarc.policy = DMARC_TAG_P;
    r.dmarc.published = DMARC_P_QUARANTINE;
    r.dmarc.dkim_aligned = SLICE_LIT("good.example");
    r.dmarc.spf_aligned = true;
    for (int i = 0; i < 3; i++) {
        agg_add(g, a, &r);
    }
    struct agg_stats st;
    char err[512];
    cr_assert(agg_write(g, fx_path("rep"), &st, err, sizeof err), "%s", err);
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.rows, 1);
    cr_assert_eq(st.messages, 3);
    char *x = fx_read("rep/mx.report.example!good.example!1704103200!1704103200.xml", NULL);
    cr_assert_not_null(x);
    cr_assert_not_null(strstr(x, "<source_ip>2001:db8::1</source_ip>\n      <count>3</count>"));
    cr_assert_not_null(strstr(x, "<domain>ev&lt;il&gt;&amp;&quot;&apos;\xef\xbf\xbd\xef\xbf\xbd"
                                 "\xef\xbf\xbd.example</domain>"), "%s", x);
    cr_assert_not_null(strstr(x, "<selector>]]&gt;&lt;x/&gt;</selector>"));
    cr_assert_not_null(strstr(x, "<disposition>pass</disposition>"));
    assert_schema_valid("rep");
    agg_free(g);
    arena_free(a);
}
