/* report_summary: --summary FILE (engine/report/summary.c): valid JSON with the run's
 * metadata, totals and per-domain counts that agree with the records of the same run. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/report/fixture.h"
#include "tests/support/guard.h"
#include "tests/support/jsonl.h"

TestSuite(report_summary, .init = (void (*)(void))fx_make, .fini = fx_cleanup);

static double num(const struct jv *v, const char *path)
{
    double d = -1;
    cr_assert(jv_num(jv_path(v, path), &d), "no number at %s", path);
    return d;
}

static const struct jv *domain_entry(const struct jv *sum, const char *name)
{
    const struct jv *ds = jv_get(sum, "domains");
    for (size_t i = 0; i < ds->n; i++) {
        if (strcmp(jv_str_or(jv_at(ds, i), "domain", ""), name) == 0) {
            return jv_at(ds, i);
        }
    }
    return NULL;
}

/* message_dkim: the summary's per-message DKIM word for a record. */
static const char *message_dkim(const struct jv *rec)
{
    const struct jv *d = jv_get(rec, "dkim");
    if (d == NULL) {
        return "not_run";
    }
    if (d->n == 0) {
        return "none";
    }
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(jv_str_or(jv_at(d, i), "result", ""), "pass") == 0) {
            return "pass";
        }
    }
    return jv_str_or(jv_at(d, 0), "result", "?");
}

Test(report_summary, counts_agree_with_the_records_of_the_same_run)
{
    char *out;
    cr_assert_eq(fx_run("--threads 3 --summary sum.json corpus.mbox Maildir", &out), 0);
    size_t n;
    char *text = fx_read("sum.json", &n);
    char err[256];
    struct jv *sum = jsonl_parse(text, n, err, sizeof err);
    cr_assert_not_null(sum, "summary is not JSON: %s", err);
    struct jv **recs;
    size_t nrec;
    cr_assert(jsonl_split(out, strlen(out), &recs, &nrec, err, sizeof err), "%s", err);
    cr_assert_eq(nrec, 2 * FX_MESSAGES);
    cr_assert_eq(num(sum, "totals.messages"), (double)nrec);
    cr_assert_eq(num(sum, "totals.errors"), 0);
    /* recount every (domain, check, word) from the records and compare */
    size_t checked = 0;
    for (size_t i = 0; i < nrec; i++) {
        const struct jv *r = recs[i];
        const char *dom = jv_str(jv_path(r, "dmarc.domain"));
        if (dom == NULL) {
            dom = jv_str_or(r, "from_domain", "(none)");
        }
        const struct jv *d = domain_entry(sum, dom);
        cr_assert_not_null(d, "no summary entry for %s", dom);
        const char *words[4][2] = {
            { "dkim", message_dkim(r) },
            { "spf", jv_str_or(jv_get(r, "spf"), "result", "not_run") },
            { "dmarc", jv_str_or(jv_get(r, "dmarc"), "result", "not_run") },
            { "class", jv_str_or(r, "class", "?") },
        };
        for (int k = 0; k < 4; k++) {
            char path[64];
            snprintf(path, sizeof path, "%s.%s", words[k][0], words[k][1]);
            double want = 0;
            for (size_t j = 0; j < nrec; j++) {
                const char *dj = jv_str(jv_path(recs[j], "dmarc.domain"));
                if (dj == NULL) {
                    dj = jv_str_or(recs[j], "from_domain", "(none)");
                }
                const char *wj = k == 0   ? message_dkim(recs[j])
                                 : k == 1 ? jv_str_or(jv_get(recs[j], "spf"), "result", "not_run")
                                 : k == 2 ? jv_str_or(jv_get(recs[j], "dmarc"), "result", "not_run")
                                          : jv_str_or(recs[j], "class", "?");
                want += strcmp(dj, dom) == 0 && strcmp(wj, words[k][1]) == 0;
            }
            cr_assert_eq(num(d, path), want, "%s %s: summary %g, records %g", dom, path,
                         num(d, path), want);
            checked++;
        }
    }
    cr_assert_eq(checked, 4 * nrec);
    /* dispositions of the corpus (twice: mbox and Maildir) */
    cr_assert_eq(num(domain_entry(sum, "good.example"), "disposition.quarantine"), 2);
    cr_assert_eq(num(domain_entry(sum, "nopolicy.example"), "disposition.no_policy"), 4);
    cr_assert_eq(num(sum, "totals.class.spoofed"), 2);
    cr_assert_eq(num(sum, "totals.dkim_signatures.pass"), 2 * 4); /* 0, 1, 7, 10 */
    cr_assert_eq(num(sum, "totals.unsigned"), 2 * 5);
    cr_assert_eq(num(sum, "domains_over_limit"), 0);
    /* the busiest domain first */
    cr_assert_str_eq(jv_str_or(jv_at(jv_get(sum, "domains"), 0), "domain", ""), "good.example");
    jsonl_free_all(recs, nrec);
    jsonl_free(sum);
}

Test(report_summary, run_metadata_is_present)
{
    char *out;
    cr_assert_eq(fx_run("--format csv --summary sum.json corpus.mbox", &out), 0);
    size_t n;
    char *text = fx_read("sum.json", &n);
    char err[256];
    struct jv *sum = jsonl_parse(text, n, err, sizeof err);
    cr_assert_not_null(sum, "%s", err);
    cr_assert_str_eq(jv_str(jv_path(sum, "run.version")), "0.1.0");
    cr_assert_str_eq(jv_str(jv_path(sum, "run.format")), "csv");
    cr_assert_str_eq(jv_str(jv_path(sum, "run.dmarc_mode")), "rfc9989");
    const struct jv *opts = jv_path(sum, "run.options");
    cr_assert(opts && opts->type == JV_ARR && opts->n > 3);
    cr_assert_str_eq(jv_str(jv_at(jv_path(sum, "run.inputs"), 0)), "corpus.mbox");
    const char *started = jv_str(jv_path(sum, "run.started"));
    cr_assert(started && strlen(started) == 20 && started[19] == 'Z', "%s", started);
    cr_assert(num(sum, "run.elapsed_seconds") >= 0);
    cr_assert(jv_path(sum, "run.interrupted")->type == JV_BOOL);
    /* every key is there even at zero */
    cr_assert_eq(num(sum, "totals.dkim.not_run"), 0);
    cr_assert_eq(num(sum, "totals.disposition.reject"), 0);
    /* the stderr summary is still written without -q */
    jsonl_free(sum);
}

Test(report_summary, stderr_summary_stays_and_resume_is_refused)
{
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd, "'%s' verify --no-progress --dns-snapshot report.zone --summary "
             "s.json corpus.mbox 2>err.txt >/dev/null", test_bin());
    cr_assert_eq(fx_sh(cmd, &out), 0);
    cr_assert_not_null(strstr(fx_read("err.txt", NULL), "authsweep: 12 messages, 12 records"));
    cr_assert_eq(fx_run("--summary s2.json --resume -o r.jsonl corpus.mbox", &out), 2);
    cr_assert_eq(fx_run("--format csv --resume -o r.csv corpus.mbox", &out), 2);
}
