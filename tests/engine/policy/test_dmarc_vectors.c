/* DMARC conformance data:
 *   dmarc_vectors  tests/vectors/dmarc/stalwart_verify.tsv: stalwart mail-auth's DMARC
 *                  verification cases and the RFC 9989 Appendix B.4 examples, in RFC 9989
 *                  mode, with every outcome written down (and every difference from stalwart
 *                  explained in the file's note column):
 *                    - align-idn-*: stalwart maps U-labels to A-labels itself; here that is
 *                      the From parser's job (RFC 9989 §5.3.1), so raw UTF-8 finds no record
 *                      / does not align.
 *                    - disc-no-p-no-rua: a record without a valid p and without rua gives
 *                      "no DMARC processing" (§4.10.1); stalwart says none, we say permerror
 *                      (§9.2: "improperly formatted DMARC Policy Record"), no policy applied.
 *   orgdomain_psl  the Public Suffix List's own test list (test_psl.txt) through
 *                  orgdom_psl_lookup with the list it was written for (RFC 7489 §3.2). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/policy/dmarc.h"
#include "engine/policy/orgdomain.h"
#include "tests/support/guard.h"

static char *read_rel(const char *base, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", base, rel);
    size_t len;
    char *t = test_read_file(path, &len);
    cr_assert_not_null(t, "cannot read %s", path);
    return t;
}

static enum auth_verdict verdict(const char *s)
{
    static const char *const names[] = { "none", "pass", "fail", "neutral", "softfail",
                                         "policy", "temperror", "permerror" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            return (enum auth_verdict)i;
        }
    }
    return AV_NONE;
}

static slice field(const char *s)
{
    return strcmp(s, "-") == 0 ? SLICE_NULL : slice_make(s, strlen(s));
}

/* run_case evaluates one TSV row; returns true when it matches the row's expectation. */
static bool run_case(char **f, char *why, size_t why_len)
{
    /* zone: records joined by " | " */
    char zone[4096];
    size_t zl = 0;
    for (const char *p = f[1]; *p && zl + 2 < sizeof(zone);) {
        if (strncmp(p, " | ", 3) == 0) {
            zone[zl++] = '\n';
            p += 3;
        } else {
            zone[zl++] = *p++;
        }
    }
    zone[zl++] = '\n';
    zone[zl] = '\0';
    char err[256];
    struct dns_resolver *r = snapshot_load_mem(slice_make(zone, zl), f[0], err, sizeof(err));
    cr_assert_not_null(r, "%s: %s", f[0], err);
    struct dmarc_config cfg = { .mode = DMARC_MODE_RFC9989 };
    struct dmarc_ctx *c = dmarc_ctx_new(&cfg, err, sizeof(err));
    struct arena *a = arena_new(0);
    struct dkim_sig sig = { .d = field(f[5]), .result = verdict(f[6]) };
    struct dmarc_input in = {
        .from_domain = field(f[2]),
        .spf_ran = true,
        .spf_domain = field(f[3]),
        .spf_result = verdict(f[4]),
        .sigs = &sig,
        .n_sigs = sig.d.ptr != NULL ? 1 : 0,
    };
    struct dmarc_result res;
    dmarc_evaluate(c, a, r, &in, &res, NULL);
    const char *pol = dmarc_policy_name(res.published);
    char al[3] = { 0 };
    size_t n = 0;
    if (res.spf_aligned) {
        al[n++] = 's';
    }
    if (res.dkim_aligned.ptr != NULL) {
        al[n++] = 'd';
    }
    bool ok = res.result == verdict(f[7]) && strcmp(pol ? pol : "-", f[8]) == 0 &&
              strcmp(n ? al : "-", f[9]) == 0;
    snprintf(why, why_len, "%s: got %s/%s/%s (%s), want %s/%s/%s", f[0],
             auth_verdict_name(res.result), pol ? pol : "-", n ? al : "-",
             dmarc_reason_name(res.reason) ? dmarc_reason_name(res.reason) : "-", f[7], f[8],
             f[9]);
    arena_free(a);
    dmarc_ctx_free(c);
    dns_resolver_free(r);
    return ok;
}

Test(dmarc_vectors, stalwart_and_rfc9989_appendix_b4)
{
    char *text = read_rel(test_root_dir(), "tests/vectors/dmarc/stalwart_verify.tsv");
    unsigned cases = 0, differ = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char *f[12] = { 0 };
        size_t nf = 0;
        for (char *p = line; nf < 12;) {
            f[nf++] = p;
            char *tab = strchr(p, '\t');
            if (tab == NULL) {
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        cr_assert(nf >= 11, "short row %s", f[0]);
        char why[512];
        cr_expect(run_case(f, why, sizeof(why)), "%s", why);
        cases++;
        differ += strstr(f[11] ? f[11] : "", "ours != upstream") != NULL;
    }
    free(text);
    cr_assert_eq(cases, 25);
    cr_assert_eq(differ, 3); /* the explained disagreements with stalwart */
}

Test(orgdomain_psl, test_psl_txt_with_its_list)
{
    char err[256], path[1024];
    snprintf(path, sizeof(path), "%s/conformance/dmarc-psl/public_suffix_list.dat",
             test_shared_dir());
    struct orgdom_psl *p = orgdom_psl_new(path, err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    char *text = read_rel(test_shared_dir(), "conformance/dmarc-psl/test_psl.txt");
    unsigned checked = 0, skipped = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "checkPublicSuffix(", 18) != 0) {
            continue; /* comments, including the commented-out .local cases */
        }
        char in[256] = "", want[256] = "";
        char *q = line + 18;
        if (strncmp(q, "null", 4) == 0) {
            skipped++; /* null input: no C equivalent */
            continue;
        }
        cr_assert_eq(sscanf(q, "'%255[^']', ", in), 1, "%s", line);
        char *second = strstr(q + strlen(in) + 2, ", ") + 2;
        bool want_null = strncmp(second, "null", 4) == 0;
        if (!want_null) {
            cr_assert_eq(sscanf(second, "'%255[^']'", want), 1, "%s", line);
        }
        slice out;
        bool got = orgdom_psl_lookup(p, slice_make(in, strlen(in)), &out);
        char gs[256] = "null";
        if (got) {
            snprintf(gs, sizeof(gs), "%.*s", SLICE_FMT(out));
        }
        if (want_null) {
            cr_expect(!got, "%s: got %s, want null", in, gs);
        } else {
            cr_expect(got && slice_eq_ci(out, slice_make(want, strlen(want))),
                      "%s: got %s, want %s", in, gs, want);
        }
        checked++;
    }
    free(text);
    orgdom_psl_free(p);
    cr_assert_eq(checked, 77); /* 78 active lines, one with a null input */
    cr_assert_eq(skipped, 1);
}
