/* The open-spf.org conformance suites, run whole through spf_check_mailfrom against the
 * snapshot resolver. Vectors: tests/vectors/spf/ (generated from the YAML by
 * tests/spf/yaml2zone.py and committed; spf_vectors.generated_files_are_up_to_date checks
 * they still match the converter and the suite in shared/).
 *
 * Driver semantics are the suite's own (pyspf test/testspf.py): MAIL FROM check, which is
 * the HELO identity when mailfrom is empty (RFC 7208 §2.4); any of the listed results
 * counts; an explanation of "DEFAULT" means the implementation's own, which for us is
 * none. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/policy/spf.h"
#include "tests/support/guard.h"

#define SUITE_MAX_CASES 512
#define SUITE_MAX_FAIL_TEXT 16384

struct suite_case {
    char *f[8]; /* scenario test host mailfrom helo results explanation spec */
};

struct suite_skip {
    const char *test;
    const char *why;
};

/* RFC 4408 tests whose expectations RFC 7208 changed would be listed here by name with the
 * reason, and skipped. The list is empty: every such test in rfc4408-tests.yml already
 * allows the RFC 7208 outcome as an alternative result (e.g. spfoverride, spfonly, multispf1/2,
 * txttimeout, nospftxttimeout for the dropped SPF RR type, §3.1; mx-limit for §4.6.4's
 * permerror; include-none for §5.2), so all 191 run and pass. A 4408 test that starts to
 * fail must be fixed or added here with its RFC 7208 section. */
static const struct suite_skip rfc4408_skips[] = {
    {NULL, NULL},
};

static char *unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r != '\0'; r++) {
        if (*r == '\\' && r[1] != '\0') {
            r++;
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return s;
}

static size_t load_cases(char *text, struct suite_case *cases)
{
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            continue;
        }
        cr_assert_lt(n, SUITE_MAX_CASES);
        struct suite_case *c = &cases[n++];
        char *p = line;
        for (int k = 0; k < 8; k++) {
            c->f[k] = p;
            char *tab = strchr(p, '\t');
            cr_assert(k == 7 || tab != NULL, "short TSV line: %s", line);
            if (tab != NULL) {
                *tab = '\0';
                p = tab + 1;
            }
            unescape(c->f[k]);
        }
    }
    return n;
}

static bool result_allowed(const char *results, enum auth_verdict v)
{
    const char *name = auth_verdict_name(v);
    size_t len = strlen(name);
    for (const char *p = results; *p != '\0';) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && memcmp(p, name, n) == 0) {
            return true;
        }
        p += n + (bar ? 1 : 0);
    }
    return false;
}

static const char *skip_reason(const struct suite_skip *skips, size_t n_skips, const char *test)
{
    for (size_t k = 0; k < n_skips; k++) {
        if (skips[k].test != NULL && strcmp(skips[k].test, test) == 0) {
            return skips[k].why;
        }
    }
    return NULL;
}

/* run_case: true if the case passes; a description of the difference goes into why. */
static bool run_case(struct dns_resolver *r, struct arena *a, const struct suite_case *c, char *why,
                     size_t why_len)
{
    struct spf_request req = {0};
    cr_assert(spf_ip_parse(slice_make(c->f[2], strlen(c->f[2])), &req.ip), "bad host %s", c->f[2]);
    req.mailfrom = slice_make(c->f[3], strlen(c->f[3]));
    req.helo = slice_make(c->f[4], strlen(c->f[4]));
    req.receiver = SLICE_LIT("receiver.example.org");
    req.now = 1400000000;
    struct spf_result res;
    spf_check_mailfrom(a, r, &req, &res);
    const char *exp = c->f[6];
    bool ok = result_allowed(c->f[5], res.result);
    if (ok && exp[0] != '\0' && res.result == AV_FAIL) {
        bool want_none = strcmp(exp, "DEFAULT") == 0;
        ok = want_none ? res.explanation.len == 0
                       : slice_eq(res.explanation, slice_make(exp, strlen(exp)));
    }
    snprintf(why, why_len, "%s/%s: got %s (%s at '%.*s') exp='%.*s'; want %s exp='%s'", c->f[0],
             c->f[1], auth_verdict_name(res.result), res.reason ? res.reason : "-",
             SLICE_FMT(res.reason_where), SLICE_FMT(res.explanation), c->f[5], exp);
    return ok;
}

static void run_suite(const char *suite, const struct suite_skip *skips, size_t n_skips)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/vectors/spf/%s.tsv", test_root_dir(), suite);
    size_t len;
    char *text = test_read_file(path, &len);
    cr_assert_not_null(text, "cannot read %s", path);
    static struct suite_case cases[SUITE_MAX_CASES];
    size_t n = load_cases(text, cases);
    struct arena *a = arena_new(0);
    struct dns_resolver *r = NULL;
    const char *loaded = "";
    size_t run = 0, passed = 0, skipped = 0;
    char *fails = calloc(1, SUITE_MAX_FAIL_TEXT);
    for (size_t k = 0; k < n; k++) {
        const struct suite_case *c = &cases[k];
        if (strcmp(loaded, c->f[0]) != 0) {
            char err[512];
            dns_resolver_free(r);
            snprintf(path, sizeof(path), "%s/tests/vectors/spf/%s/%s.zone", test_root_dir(), suite,
                     c->f[0]);
            r = snapshot_load(path, err, sizeof(err));
            cr_assert_not_null(r, "%s", err);
            loaded = c->f[0];
        }
        const char *skip = skip_reason(skips, n_skips, c->f[1]);
        char why[1024];
        arena_reset(a);
        run++;
        bool ok = run_case(r, a, c, why, sizeof(why));
        if (skip != NULL) {
            skipped++;
            cr_log_info("%s: skipped %s (%s): %s", suite, c->f[1], skip,
                        ok ? "passes anyway" : why);
            continue;
        }
        if (ok) {
            passed++;
        } else {
            size_t used = strlen(fails);
            snprintf(fails + used, SUITE_MAX_FAIL_TEXT - used, "\n  %s", why);
        }
    }
    cr_log_info("%s: %zu run, %zu passed, %zu skipped, %zu failed", suite, run, passed, skipped,
                run - passed - skipped);
    fprintf(stderr, "%s: %zu run, %zu passed, %zu skipped, %zu failed\n", suite, run, passed,
            skipped, run - passed - skipped);
    cr_expect_eq(passed + skipped, run, "%s failures:%s", suite, fails);
    free(fails);
    dns_resolver_free(r);
    arena_free(a);
    free(text);
}

Test(spf_suite, rfc7208_every_test_passes, .timeout = 60)
{
    run_suite("rfc7208-tests", NULL, 0);
}

Test(spf_suite, rfc4408_passes_except_what_rfc7208_changed, .timeout = 60)
{
    run_suite("rfc4408-tests", rfc4408_skips, sizeof(rfc4408_skips) / sizeof(rfc4408_skips[0]));
}

Test(spf_vectors, generated_files_are_up_to_date, .timeout = 60)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 '%s/tests/spf/yaml2zone.py' --check '%s' '%s/tests/vectors/spf'",
             test_root_dir(), test_shared_dir(), test_root_dir());
    char *out = NULL;
    size_t out_len = 0;
    int rc = test_run(cmd, &out, &out_len);
    cr_expect_eq(rc, 0, "%s: %s", cmd, out ? out : "");
    free(out);
}
