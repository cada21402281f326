/* dkimpy_diff: differential test against dkimpy (Debian python3-dkim).
 *
 * tests/diff/dkimpy_diff.py (run with /usr/bin/python3 into a temporary directory) makes a
 * seeded corpus of 360 generated messages signed by dkimpy (RSA 1024/2048/768, Ed25519; both
 * canonicalizations; l=; over-signed names; 1-3 signatures) and then mutated, plus six
 * messages signed under dkimpy's own key-record test files. It writes an mboxrd file, the
 * zone with the keys, and dkimpy's verdict for every signature (expected.tsv), with dkimpy's
 * clock fixed at DIFF_NOW. This test runs authsweep on the mbox with --as-of DIFF_NOW and the
 * same zone, and compares per message and per signature:
 *   - the number of records and of dkim[] entries, and d=/s= of each entry;
 *   - the result class (pass, fail, permerror, policy, temperror) always;
 *   - the reason where dkimpy's message pins one down (body_hash_mismatch,
 *     signature_mismatch, key_not_found, key_too_small, expired, future, dns_temperror).
 * Every disagreement fails the test unless KNOWN below lists its mutation and the pair of
 * results, with the reason authsweep differs on purpose. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/conformance/conf_util.h"
#include "tests/support/guard.h"

#define DIFF_NOW "1700000000"
#define DIFF_SEED "20240611"
#define DIFF_COUNT "360"

struct known {
    const char *mutation; /* in the case's "+"-joined mutation list */
    const char *dkimpy;   /* dkimpy's result */
    const char *ours;     /* authsweep's results allowed, "|"-separated */
    const char *why;
};

static const struct known KNOWN[] = {
    { "add_from_top", "fail", "pass|policy",
      "a second From added above the signed one: dkimpy appends an extra 'from' to every h= "
      "when verifying (its fix for Debian bug 644046), so the added field breaks its hash. "
      "RFC 6376 §5.4.2 takes signed fields from the bottom up, so a From that h= does not name "
      "twice is outside the signature: authsweep passes it (policy when the key is under 1024 "
      "bits). Catching From injection is DMARC's job (RFC 7489 §6.6.1: multiple From)." },
    { "x_before_t", "pass", "permerror",
      "x= earlier than t=: RFC 6376 §3.5 says x= MUST be greater than t=; authsweep rejects "
      "the signature (permerror sig_syntax). dkimpy 1.1.4 has that check after a raise in "
      "validate_signature_fields, so it never runs." },
};
#define NKNOWN (sizeof KNOWN / sizeof KNOWN[0])

static bool word_in(const char *list, char sep, const char *word)
{
    size_t wl = strlen(word);
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, sep);
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == wl && strncmp(p, word, l) == 0) {
            return true;
        }
        p = e ? e + 1 : NULL;
    }
    return false;
}

static const struct known *known_for(const char *muts, const char *theirs, const char *ours)
{
    for (size_t i = 0; i < NKNOWN; i++) {
        if (word_in(muts, '+', KNOWN[i].mutation) && strcmp(theirs, KNOWN[i].dkimpy) == 0 &&
            word_in(KNOWN[i].ours, '|', ours)) {
            return &KNOWN[i];
        }
    }
    return NULL;
}

struct row {
    long cas, sig;
    char *d, *s, *res, *why, *muts, *note;
};

Test(dkimpy_diff, authsweep_agrees_with_dkimpy)
{
    char *dir = conf_mktemp("dkimpy-diff");
    cr_assert_not_null(dir);
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "timeout 120 /usr/bin/python3 '%s/tests/diff/dkimpy_diff.py' --seed " DIFF_SEED
             " --count " DIFF_COUNT " --shared '%s' '%s' 2>&1",
             test_root_dir(), test_shared_dir(), dir);
    char *gen = NULL;
    int rc = test_run(cmd, &gen, NULL);
    cr_assert_eq(rc, 0, "dkimpy_diff.py failed (%d): %s", rc, gen ? gen : "");
    free(gen);

    char path[4200];
    snprintf(path, sizeof path, "%s/expected.tsv", dir);
    char *tsv = test_read_file(path, NULL);
    cr_assert_not_null(tsv, "no %s", path);
    struct row *rows = NULL;
    size_t nrows = 0, cap = 0;
    long ncases = 0;
    char *save = NULL;
    for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            continue;
        }
        char *col[8];
        size_t nc = 0;
        for (char *p = line; nc < 8;) {
            col[nc++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        cr_assert_eq(nc, 8, "expected.tsv: bad line");
        if (nrows == cap) {
            cap = cap ? cap * 2 : 512;
            rows = realloc(rows, cap * sizeof *rows);
            cr_assert_not_null(rows);
        }
        struct row *r = &rows[nrows++];
        r->cas = strtol(col[0], NULL, 10);
        r->sig = strtol(col[1], NULL, 10);
        r->d = col[2];
        r->s = col[3];
        r->res = col[4];
        r->why = col[5];
        r->muts = col[6];
        r->note = col[7];
        if (r->cas + 1 > ncases) {
            ncases = r->cas + 1;
        }
    }
    cr_assert_geq(ncases, 300, "only %ld messages generated", ncases);

    struct conf_run run;
    cr_assert(conf_verify(&run, "--as-of " DIFF_NOW " --dns-snapshot '%s/keys.zone' '%s/corpus.mbox'",
                          dir, dir),
              "authsweep did not run");
    cr_assert_eq(run.status, 0, "authsweep exited %d: %s", run.status, run.err);
    cr_assert_eq((long)run.n, ncases, "%zu records for %ld messages; stderr: %s", run.n, ncases,
                 run.err);

    struct conf_list bad = { 0 };
    size_t agree = 0, known = 0, known_by[NKNOWN] = { 0 };
    for (size_t i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        const struct jv *rec = NULL;
        for (size_t k = 0; k < run.n && !rec; k++) {
            double idx;
            if (jv_num(jv_get(run.rec[k], "index"), &idx) && (long)idx == r->cas) {
                rec = run.rec[k];
            }
        }
        if (!rec) {
            conf_add(&bad, "message %ld: no record", r->cas);
            continue;
        }
        if (r->sig == 0) {
            size_t want = 0;
            for (size_t k = i; k < nrows && rows[k].cas == r->cas; k++) {
                want++;
            }
            if (conf_nsigs(rec) != want || !jv_is_null(jv_get(rec, "error"))) {
                conf_add(&bad, "message %ld [%s]: %zu dkim entries (dkimpy: %zu), error %s",
                         r->cas, r->muts, conf_nsigs(rec), want, conf_field(rec, "error"));
            }
        }
        const struct jv *sig = conf_sig(rec, (size_t)r->sig);
        if (!sig) {
            continue; /* reported above */
        }
        const char *d = conf_field(sig, "d"), *s = conf_field(sig, "s");
        const char *res = conf_field(sig, "result"), *why = conf_field(sig, "reason");
        if (strcmp(why, "null") == 0) {
            why = "none";
        }
        bool ok = strcmp(d, r->d) == 0 && strcmp(s, r->s) == 0 && strcmp(res, r->res) == 0 &&
                  (strcmp(r->why, "*") == 0 || strcmp(r->why, why) == 0 ||
                   (strcmp(r->why, "none") == 0 && strcmp(why, "testing_key") == 0));
        if (ok) {
            agree++;
            continue;
        }
        const struct known *kn = strcmp(d, r->d) == 0 && strcmp(s, r->s) == 0
                                     ? known_for(r->muts, r->res, res)
                                     : NULL;
        if (kn) {
            known++;
            known_by[kn - KNOWN]++;
            continue;
        }
        conf_add(&bad,
                 "message %ld dkim[%ld] d=%s s=%s [%s]: authsweep %s/%s (%s), dkimpy %s/%s (%s)",
                 r->cas, r->sig, d, s, r->muts, res, why, conf_field(sig, "detail"), r->res,
                 r->why, r->note);
    }
    cr_log_info("dkimpy_diff: %ld messages, %zu signatures: %zu agree, %zu known "
                "disagreements, %zu unexplained",
                ncases, nrows, agree, known, bad.count);
    for (size_t k = 0; k < NKNOWN; k++) {
        if (known_by[k]) {
            cr_log_info("  known: %zu x %s (dkimpy %s, authsweep %s)", known_by[k],
                        KNOWN[k].mutation, KNOWN[k].dkimpy, KNOWN[k].ours);
        }
    }
    size_t nbad = conf_report(&bad, "dkimpy_diff");
    conf_run_free(&run);
    free(rows);
    free(tsv);
    if (nbad == 0) {
        conf_rmrf(dir); /* kept on failure, for a look */
    } else {
        cr_log_error("dkimpy_diff: corpus kept in %s", dir);
    }
    free(dir);
    cr_assert_eq(nbad, 0, "%zu signature(s) where authsweep and dkimpy disagree (listed above)",
                 nbad);
}
