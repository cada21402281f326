/* realworld: every message of shared conformance/realworld-dkim, verified against
 * realworld.zone with the default --as-of (received), must give the result that
 * expected.tsv records for each DKIM-Signature (column expected_at_signing_time):
 *   pass                          -> pass (reason none or testing_key)
 *   fail                          -> fail; the TSV reason picks the kind: "body hash
 *                                    mismatch" -> body_hash_mismatch, "signature (b=) did not
 *                                    verify" -> signature_mismatch
 *   permerror, permerror(nokey)   -> permerror/key_not_found (the zone has no key)
 * except rsa-sha1 rows: dkimpy reports them as pass because the crypto verifies, but RFC 8301
 * §3.1 says verifiers MUST NOT consider rsa-sha1 signatures valid, so authsweep must say
 * policy/sha1_rejected (and pass with --allow-sha1, which the second test checks).
 * ARC rows ("arc") are not DKIM and are skipped here.
 *
 * Also checked: one record per file with error null, as many dkim[] entries as the TSV has
 * dkim[i] rows, and d=/s=/a= of each entry as the TSV gives them. Every mismatch is listed
 * before the test fails. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/conformance/conf_util.h"
#include "tests/support/guard.h"

#define RW_MAX_ROWS 256

struct rw_row {
    char file[128];
    unsigned idx;
    char d[256], s[256], a[64];
    char expected[64];
    char reason[1024];
};

static size_t rw_load(struct rw_row *rows, size_t max, char *dir, size_t dir_len)
{
    snprintf(dir, dir_len, "%s/conformance/realworld-dkim", test_shared_dir());
    char path[4200];
    snprintf(path, sizeof path, "%s/expected.tsv", dir);
    size_t len = 0;
    char *tsv = test_read_file(path, &len);
    cr_assert_not_null(tsv, "cannot read %s", path);
    size_t n = 0;
    char *save = NULL;
    bool header = true;
    for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (header) {
            static const char want[] = "file\tcheck\td\ts\ta\tc\texpected_at_signing_time\t"
                                       "expected_now\treason\t";
            cr_assert(strncmp(line, want, sizeof want - 1) == 0,
                      "expected.tsv header changed: %s", line);
            header = false;
            continue;
        }
        char *col[10] = { 0 };
        size_t nc = 0;
        char *p = line;
        while (nc < 10) {
            col[nc++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        cr_assert(nc >= 9, "expected.tsv: short row for %s", col[0]);
        if (strncmp(col[1], "dkim[", 5) != 0) {
            cr_assert_str_eq(col[1], "arc", "expected.tsv: unknown check %s", col[1]);
            continue; /* ARC is a later issue */
        }
        cr_assert(n < max, "expected.tsv: too many rows");
        struct rw_row *r = &rows[n++];
        snprintf(r->file, sizeof r->file, "%s", col[0]);
        r->idx = (unsigned)strtoul(col[1] + 5, NULL, 10);
        snprintf(r->d, sizeof r->d, "%s", col[2]);
        snprintf(r->s, sizeof r->s, "%s", col[3]);
        snprintf(r->a, sizeof r->a, "%s", col[4]);
        snprintf(r->expected, sizeof r->expected, "%s", col[6]);
        snprintf(r->reason, sizeof r->reason, "%s", col[8]);
    }
    free(tsv);
    return n;
}

/* rw_want: the result/reason authsweep must give for a row. reason NULL: any reason of that
 * result. Returns false for an expectation this test does not know (a failure by itself). */
static bool rw_want(const struct rw_row *r, bool allow_sha1, const char **res, const char **why,
                    const char **alt_why)
{
    *alt_why = NULL;
    if (strcmp(r->expected, "pass") == 0) {
        if (strcmp(r->a, "rsa-sha1") == 0 && !allow_sha1) {
            *res = "policy";
            *why = "sha1_rejected"; /* RFC 8301 §3.1 */
            return true;
        }
        *res = "pass";
        *why = "null";
        *alt_why = "testing_key"; /* key t=y (github pf2014): still a pass */
        return true;
    }
    if (strcmp(r->expected, "fail") == 0) {
        *res = "fail";
        if (strstr(r->reason, "body hash mismatch")) {
            *why = "body_hash_mismatch";
        } else if (strstr(r->reason, "did not verify")) {
            *why = "signature_mismatch";
        } else {
            *why = NULL;
        }
        return true;
    }
    if (strcmp(r->expected, "permerror") == 0 || strcmp(r->expected, "permerror(nokey)") == 0) {
        *res = "permerror";
        *why = "key_not_found";
        return true;
    }
    return false;
}

static void rw_check(bool allow_sha1)
{
    static struct rw_row rows[RW_MAX_ROWS];
    char dir[4096];
    size_t n = rw_load(rows, RW_MAX_ROWS, dir, sizeof dir);
    cr_assert(n >= 50, "expected.tsv has only %zu dkim rows", n);

    /* Every distinct file of the TSV, as arguments. */
    char args[16384];
    size_t al = (size_t)snprintf(args, sizeof args, "%s--dns-snapshot '%s/realworld.zone'",
                                 allow_sha1 ? "--allow-sha1 " : "", dir);
    size_t files = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(rows[i].file, rows[i - 1].file) == 0) {
            continue;
        }
        files++;
        al += (size_t)snprintf(args + al, sizeof args - al, " '%s/%s'", dir, rows[i].file);
        cr_assert(al < sizeof args, "argument list too long");
    }
    struct conf_run run;
    cr_assert(conf_verify(&run, "%s", args), "authsweep did not run");
    cr_assert_eq(run.status, 0, "authsweep exited %d: %s", run.status, run.err);
    cr_assert_eq(run.n, files, "%zu records for %zu files", run.n, files);

    struct conf_list bad = { 0 };
    size_t matched = 0;
    for (size_t i = 0; i < n; i++) {
        const struct rw_row *r = &rows[i];
        const struct jv *rec = conf_find(&run, r->file, 0);
        if (!rec) {
            conf_add(&bad, "%s: no record in the output", r->file);
            continue;
        }
        if (r->idx == 0) {
            if (!jv_is_null(jv_get(rec, "error"))) {
                conf_add(&bad, "%s: error %s", r->file, conf_field(rec, "error"));
            }
            size_t want_n = 0;
            for (size_t k = i; k < n && strcmp(rows[k].file, r->file) == 0; k++) {
                want_n++;
            }
            if (conf_nsigs(rec) != want_n) {
                conf_add(&bad, "%s: %zu dkim entries, expected.tsv has %zu", r->file,
                         conf_nsigs(rec), want_n);
            }
        }
        const struct jv *sig = conf_sig(rec, r->idx);
        if (!sig) {
            conf_add(&bad, "%s dkim[%u]: missing", r->file, r->idx);
            continue;
        }
        const char *d = conf_field(sig, "d"), *s = conf_field(sig, "s"),
                   *a = conf_field(sig, "a");
        if (strcmp(d, r->d) != 0 || strcmp(s, r->s) != 0 || strcmp(a, r->a) != 0) {
            conf_add(&bad, "%s dkim[%u]: d=%s s=%s a=%s, expected.tsv says d=%s s=%s a=%s",
                     r->file, r->idx, d, s, a, r->d, r->s, r->a);
            continue;
        }
        const char *want, *why, *alt;
        if (!rw_want(r, allow_sha1, &want, &why, &alt)) {
            conf_add(&bad, "%s dkim[%u]: unknown expectation '%s'", r->file, r->idx,
                     r->expected);
            continue;
        }
        const char *got = conf_field(sig, "result"), *got_why = conf_field(sig, "reason");
        bool ok = strcmp(got, want) == 0 &&
                  (!why || strcmp(got_why, why) == 0 || (alt && strcmp(got_why, alt) == 0));
        if (!ok) {
            conf_add(&bad, "%s dkim[%u] d=%s s=%s a=%s: got %s/%s, want %s/%s (expected.tsv: %s; %s)",
                     r->file, r->idx, d, s, a, got, got_why, want, why ? why : "*",
                     r->expected, r->reason);
        } else {
            matched++;
        }
    }
    cr_log_info("realworld%s: %zu of %zu dkim rows matched over %zu files",
                allow_sha1 ? " --allow-sha1" : "", matched, n, files);
    size_t nbad = conf_report(&bad, allow_sha1 ? "realworld --allow-sha1" : "realworld");
    conf_run_free(&run);
    cr_assert_eq(nbad, 0, "%zu realworld DKIM row(s) do not match expected.tsv (listed above)",
                 nbad);
}

Test(realworld, default_as_of_matches_expected_at_signing_time)
{
    rw_check(false);
}

Test(realworld, allow_sha1_passes_rsa_sha1_rows)
{
    rw_check(true);
}
