/* vectors: the DKIM test vectors of the shared conformance folders that can run offline:
 *   dkim-rfc8463-example  RFC 8463 Appendix A (Ed25519 + RSA)
 *   dkim-go-msgauth       emersion/go-msgauth dkim/verify_test.go
 *   dkim-dkimpy           dkimpy dkim/tests/data (pre-signed messages and signing inputs)
 *   dkim-mail-dkim        Mail::DKIM t/corpus + t/FAKE_DNS.dat (verifier.t)
 *
 * DNS: each folder's records (dns-records.txt, or Mail::DKIM's FAKE_DNS.dat with its
 * timeout/SERVFAIL/NXDOMAIN entries) are converted to snapshot zones by
 * tests/conformance/records2zone.py; the zones are committed in tests/vectors/dkim/ (see the
 * README there) and the first test reruns the script with --check so they cannot drift.
 *
 * Expectations: the table below holds one row per vector (a file may appear twice with
 * different options). "upstream" is what the folder's expected-results.tsv says (the
 * upstream project's own verdict); "want" is what authsweep must print, one "result/reason"
 * per dkim[] entry in header order ("-" = no DKIM-Signature at all, reason "*" = any). Where
 * the two differ, "why" says why authsweep differs on purpose. A policy result must also
 * carry a detail starting "verifies": authsweep checks the crypto before the acceptability
 * rules (engine/verify/dkim.h), so policy/key_too_small on a vector upstream calls "pass"
 * still proves that we agree with upstream about the signature itself.
 *
 * --as-of: the messages carry old dates, and some carry Received dates copied from RFC
 * examples (1997, 2003) that are older than the signature. Rows pick the time at which the
 * upstream project judged them: the signature's t= where the Received date would put t= in
 * the future, "now" for the x= expiry vector, and the default (received) everywhere else
 * (none of those has an x= or a t= after its Received date).
 *
 * Also checked: every file named in a folder's expected-results.tsv has at least one row
 * here, so a new upstream vector cannot be silently ignored. The folders' key-record files
 * for sign->verify round trips (dkimpy data/badk.txt, badversion.txt, test_bad.txt,
 * test2.txt, test_tlsrpt.txt) need a signer; tests/diff/dkimpy_diff.py signs
 * data/test.message with data/test.private under each of them (test_dkimpy_diff.c). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/conformance/conf_util.h"
#include "tests/support/guard.h"

struct vec {
    const char *set;      /* folder under conformance/ (and tests/vectors/dkim/SET.zone) */
    const char *file;     /* path inside the folder */
    const char *opts;     /* extra authsweep options */
    const char *upstream; /* the folder's expected result */
    const char *want;     /* authsweep: "result/reason ..." per signature, or "-" */
    const char *why;      /* why authsweep differs from upstream, or why these options */
};

#define R8463 "dkim-rfc8463-example"
#define GOMA "dkim-go-msgauth"
#define PY "dkim-dkimpy"
#define MD "dkim-mail-dkim"

/* Mail::DKIM's corpus dates from 2006-2009: nearly all of it is rsa-sha1 and half of it
 * uses 512/768-bit keys. Without --allow-sha1 every such row would stop at sha1_rejected
 * and say nothing about the crypto, so the corpus runs with --allow-sha1 (the refusal itself
 * is checked by good_83176 without it, and by the realworld suite). */
#define SHA1 "--allow-sha1"

/* Reasons repeated below. */
#define WHY_NOV "no v= tag: a pre-RFC draft (ietf-00/01) signature; RFC 6376 §3.5 makes v= REQUIRED -> permerror"
#define WHY_V05 "v=0.5 (draft ietf-05); RFC 6376 §3.5/§6.1.1: v= must be 1 -> permerror, before any key lookup"
#define WHY_512 "RSA key under 1024 bits: RFC 8301 §3.2 -> policy/key_too_small (the crypto verifies)"
#define WHY_DK "DomainKeys (RFC 4870, historic) DomainKey-Signature only: not DKIM, nothing to verify"
#define WHY_G "key g= tag: RFC 6376 removed g= (RFC 4871 had it), unknown key tags are ignored (§3.6.1), so the signature verifies; 512-bit key -> key_too_small"

static const struct vec VECS[] = {
    /* RFC 8463 Appendix A.3: both signatures must pass. t=1528637909, no Received. */
    { R8463, "rfc8463-A3-signed.eml", "--as-of 1528637909", "pass (both)", "pass/none pass/none",
      "as-of = the signatures' t= (the message has no Received and no x=)" },
    { R8463, "rfc8463-unsigned.eml", "", "(unsigned input)", "-", NULL },

    /* go-msgauth */
    { GOMA, "rfc6376-A2-brisbane-example.com.eml", "", "pass", "pass/none", NULL },
    { GOMA, "raw-rsapublickey-newengland.eml", "--as-of 1615825284", "pass", "pass/none",
      "as-of = t=1615825284: the Received date (2003, from RFC 6376's example) is older than t=" },
    { GOMA, "raw-rsapublickey-newengland.eml", "", "pass", "policy/future",
      "default as-of = Received 2003-07-12, before t= (2021): the signature claims to come from "
      "the future; the crypto still verifies (p= is a bare PKCS#1 RSAPublicKey)" },

    /* dkimpy */
    { PY, "data/rfc6376.signed.msg", "--as-of 1527915362", "pass (both)", "pass/none pass/none",
      "no Received: as-of = the later t= of the two signatures" },
    { PY, "data/ed25519test2.msg", "", "pass", "pass/none", NULL },
    { PY, "data/test2.message", "", "pass", "pass/none", NULL },
    { PY, "data/test_nofrom.message", "", "fail/refuse", "-",
      "unsigned: dkimpy refuses to sign without From; the rule (From must be in h=, RFC 6376 "
      "§5.4) is covered by the differential suite" },
    { PY, "data/test.message", "", "(signing input)", "-", NULL },
    { PY, "data/test_extra.message", "", "(signing input)", "-", NULL },
    { PY, "data/ed25519test.msg", "", "(signing input)", "-", NULL },
    { PY, "data/rfc6376.msg", "", "(signing input)", "-", NULL },
    { PY, "data/message.mbox", "", "(signing input)", "permerror/key_not_found",
      "carries Scott Kitterman's real kitterman.com signature; dkimpy's DNS tables have no key" },

    /* Mail::DKIM t/verifier.t */
    { MD, "corpus/good_ietf00_1.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/good_ietf00_2.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/good_ietf00_3.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/good_ietf00_4.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/good_ietf00_5.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/mine_ietf01_1.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/mine_ietf01_2.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/mine_ietf01_3.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/mine_ietf01_4.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/mine_ietf05_1.txt", SHA1, "pass", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/good_ietf01_1.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/good_ietf01_2.txt", SHA1, "pass", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/good_rfc4871_3.txt", SHA1, "pass", "policy/key_too_small", WHY_512 },
    { MD, "corpus/good_rfc4871_4.txt", SHA1, "pass", "policy/key_too_small", WHY_512 },
    { MD, "corpus/good_1878523.txt", SHA1, "pass", "policy/key_too_small", WHY_512 },
    { MD, "corpus/good_83176.txt", SHA1, "pass", "pass/none", NULL },
    { MD, "corpus/good_83176.txt", "", "pass", "policy/sha1_rejected",
      "without --allow-sha1: RFC 8301 §3.1, rsa-sha1 MUST NOT be considered valid" },
    { MD, "corpus/multiple_1.txt", SHA1, "pass",
      "permerror/sig_syntax permerror/sig_syntax permerror/sig_syntax permerror/sig_syntax",
      WHY_NOV " (all four)" },
    { MD, "corpus/multiple_2.txt", SHA1, "pass",
      "permerror/sig_syntax pass/none fail/signature_mismatch permerror/sig_syntax",
      "upstream reports the best of four: c=foobar, a good one, a broken b=, 'synerr'" },
    { MD, "corpus/good_qp_1.txt", SHA1, "pass", "policy/key_too_small", WHY_512 },
    { MD, "corpus/good_qp_2.txt", SHA1, "pass", "policy/key_too_small",
      "i=jlong@messiah=2Eedu is dkim-quoted-printable (RFC 6376 §3.5 i=) for jlong@messiah.edu; "
      WHY_512 },
    { MD, "corpus/good_qp_3.txt", SHA1, "pass", "policy/key_too_small",
      "i=jlong=40messiah.edu is dkim-quoted-printable (RFC 6376 §3.5 i=) for jlong@messiah.edu; "
      WHY_512 },
    { MD, "corpus/bad_ietf01_1.txt", SHA1, "fail", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/bad_ietf01_2.txt", SHA1, "fail", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/bad_ietf01_3.txt", SHA1, "fail", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/bad_1.txt", SHA1, "fail", "permerror/sig_syntax", WHY_NOV },
    { MD, "corpus/bad_1878954.txt", SHA1, "fail", "fail/body_hash_mismatch",
      "LF-only file; no Received, as-of now (no t=/x=)" },
    { MD, "corpus/good_dk_gmail.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_yahoo.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_1.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_2.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_3.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_4.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_5.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_6.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/good_dk_7.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/dk_headers_1.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/dk_headers_2.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/bad_dk_1.txt", SHA1, "invalid", "-", WHY_DK },
    { MD, "corpus/bad_dk_2.txt", SHA1, "invalid", "-", WHY_DK },
    { MD, "corpus/bad_dk_3.txt", SHA1, "invalid", "-", WHY_DK },
    { MD, "corpus/bad_dk_4.txt", SHA1, "invalid", "-", WHY_DK },
    { MD, "corpus/bad_dk_5.txt", SHA1, "invalid", "-", WHY_DK },
    { MD, "corpus/dk_multiple_1.txt", SHA1, "pass", "-", WHY_DK },
    { MD, "corpus/no_body_1.txt", SHA1, "pass", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/no_body_2.txt", SHA1, "pass", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/no_body_3.txt", SHA1, "pass", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/ignore_1.txt", SHA1, "invalid", "permerror/sig_syntax", "v=5" },
    { MD, "corpus/ignore_2.txt", SHA1, "invalid", "permerror/sig_syntax",
      "a=rsa-md5, but v=0.5 is refused first" },
    { MD, "corpus/ignore_3.txt", SHA1, "invalid", "permerror/sig_syntax",
      "a=dsa-sha1, but v=0.5 is refused first" },
    { MD, "corpus/ignore_4.txt", SHA1, "invalid", "permerror/sig_syntax",
      "c=future, but v=0.5 is refused first" },
    { MD, "corpus/ignore_5.txt", SHA1, "invalid", "permerror/sig_syntax",
      "q=http: no query method we know (RFC 6376 §3.5 q=)" },
    { MD, "corpus/ignore_6.txt", SHA1, "invalid", "permerror/sig_syntax",
      "q=dns/special: no query method we know" },
    { MD, "corpus/ignore_7.txt", SHA1 " --as-of now", "invalid", "policy/expired",
      "x=1193229946 (2007) checked against now, as upstream does; the Received date (1997, an "
      "RFC example date) is older than the signature, so as-of received would hide the expiry" },
    { MD, "corpus/ignore_8.txt", SHA1, "invalid", "permerror/sig_syntax", NULL },
    { MD, "corpus/goodkey_1.txt", SHA1, "pass", "policy/key_too_small", WHY_512 },
    { MD, "corpus/goodkey_2.txt", SHA1, "pass", "policy/key_too_small", WHY_512 },
    { MD, "corpus/goodkey_3.txt", SHA1, "pass", "policy/key_too_small", WHY_G },
    { MD, "corpus/goodkey_4.txt", SHA1, "pass", "policy/key_too_small", WHY_512 },
    { MD, "corpus/badkey_1.txt", SHA1, "invalid", "permerror/sig_syntax",
      WHY_V05 " (so the NXDOMAIN key is never asked for)" },
    { MD, "corpus/badkey_2.txt", SHA1, "invalid", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/badkey_3.txt", SHA1, "invalid", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/badkey_4.txt", SHA1, "invalid", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/badkey_5.txt", SHA1, "invalid", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/badkey_6.txt", SHA1, "invalid", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/badkey_7.txt", SHA1, "invalid", "permerror/sig_syntax", WHY_V05 },
    { MD, "corpus/badkey_8.txt", SHA1, "invalid", "policy/key_too_small", WHY_G },
    { MD, "corpus/badkey_9.txt", SHA1, "invalid", "policy/key_too_small", WHY_G },
    { MD, "corpus/badkey_10.txt", SHA1, "invalid", "permerror/key_subdomain_forbidden", NULL },
    { MD, "corpus/badkey_11.txt", SHA1, "invalid", "permerror/key_hash_not_allowed", NULL },
    { MD, "corpus/badkey_12.txt", SHA1, "invalid", "policy/key_too_small", WHY_G },
    { MD, "corpus/badkey_13.txt", SHA1, "invalid", "policy/key_too_small", WHY_G },
    { MD, "corpus/badkey_14.txt", SHA1, "invalid", "temperror/dns_temperror",
      "FAKE_DNS timeout -> ';! timeout'" },
    { MD, "corpus/badkey_15.txt", SHA1, "invalid", "temperror/dns_temperror",
      "FAKE_DNS SERVFAIL -> ';! servfail'" },
    { MD, "corpus/goodkey_ed25519.txt", SHA1, "pass", "pass/none", NULL },
    { MD, "corpus/badkey1_ed25519.txt", SHA1, "invalid", "permerror/key_syntax",
      "p= is a 44-byte SubjectPublicKeyInfo; RFC 8463 §4 wants the bare 32-byte key" },
    { MD, "corpus/badkey2_ed25519.txt", SHA1, "fail", "fail/signature_mismatch", NULL },
    { MD, "corpus/badkey3_ed25519.txt", SHA1, "fail", "fail/body_hash_mismatch", NULL },
    { MD, "corpus/badkey4_ed25519.txt", SHA1, "invalid", "permerror/key_not_found", NULL },
    { MD, "corpus/badkey5_ed25519.txt", SHA1, "invalid", "permerror/key_syntax",
      "FAKE_DNS serves the two characters '\"\"' (see records2zone.py)" },
};
#define NVECS (sizeof VECS / sizeof VECS[0])

static bool vec_match_one(const struct jv *sig, const char *want, char *got, size_t got_len)
{
    const char *res = conf_field(sig, "result"), *why = conf_field(sig, "reason");
    const char *detail = conf_field(sig, "detail");
    snprintf(got, got_len, "%s/%s", res, strcmp(why, "null") == 0 ? "none" : why);
    const char *slash = strchr(want, '/');
    size_t rl = (size_t)(slash - want);
    if (strlen(res) != rl || strncmp(res, want, rl) != 0) {
        return false;
    }
    const char *wr = slash + 1;
    if (strcmp(wr, "*") != 0 && strcmp(wr, strcmp(why, "null") == 0 ? "none" : why) != 0) {
        return false;
    }
    if (strcmp(res, "policy") == 0 && strncmp(detail, "verifies", 8) != 0) {
        snprintf(got + strlen(got), got_len - strlen(got), " (detail '%s': crypto not verified)",
                 detail);
        return false;
    }
    return true;
}

/* vec_check: run one vector; returns NULL when it matches, else a description in buf. */
static const char *vec_check(const struct vec *v, char *buf, size_t len)
{
    struct conf_run run;
    char zone[4096], msg[4096];
    snprintf(zone, sizeof zone, "%s/tests/vectors/dkim/%s.zone", test_root_dir(), v->set);
    snprintf(msg, sizeof msg, "%s/conformance/%s/%s", test_shared_dir(), v->set, v->file);
    if (!conf_verify(&run, "%s --dns-snapshot '%s' '%s'", v->opts, zone, msg)) {
        snprintf(buf, len, "authsweep did not run or printed bad JSON");
        return buf;
    }
    const char *fail = NULL;
    if (run.status != 0 || run.n != 1) {
        snprintf(buf, len, "exit %d, %zu records, stderr: %s", run.status, run.n, run.err);
        fail = buf;
        goto out;
    }
    const struct jv *rec = run.rec[0];
    if (!jv_is_null(jv_get(rec, "error"))) {
        snprintf(buf, len, "record error %s", conf_field(rec, "error"));
        fail = buf;
        goto out;
    }
    char want[512];
    snprintf(want, sizeof want, "%s", v->want);
    size_t ns = conf_nsigs(rec), i = 0;
    char gotall[1024] = "";
    bool ok = true;
    char *save = NULL;
    for (char *w = strtok_r(want, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (strcmp(w, "-") == 0) {
            continue;
        }
        char got[512];
        const struct jv *sig = conf_sig(rec, i++);
        if (!sig) {
            ok = false;
            break;
        }
        if (!vec_match_one(sig, w, got, sizeof got)) {
            ok = false;
        }
    }
    if (i != ns) {
        ok = false;
    }
    if (!ok) {
        size_t gl = 0;
        for (size_t k = 0; k < ns; k++) {
            char got[512];
            vec_match_one(conf_sig(rec, k), "x/x", got, sizeof got);
            gl += (size_t)snprintf(gotall + gl, sizeof gotall - gl, "%s%s", k ? " " : "", got);
            if (gl >= sizeof gotall) {
                break;
            }
        }
        snprintf(buf, len, "got [%s], want [%s] (upstream %s)", ns ? gotall : "-", v->want,
                 v->upstream);
        fail = buf;
    }
out:
    conf_run_free(&run);
    return fail;
}

Test(dkim_vectors, zones_are_up_to_date)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "timeout 60 /usr/bin/python3 '%s/tests/conformance/records2zone.py' --check '%s' "
             "'%s/tests/vectors/dkim' 2>&1",
             test_root_dir(), test_shared_dir(), test_root_dir());
    char *out = NULL;
    int rc = test_run(cmd, &out, NULL);
    cr_assert_eq(rc, 0, "records2zone.py --check: %s (rerun it without --check and commit)",
                 out ? out : "");
    free(out);
}

Test(dkim_vectors, every_upstream_vector_has_a_row)
{
    static const char *sets[] = { GOMA, PY, MD };
    struct conf_list bad = { 0 };
    size_t seen = 0;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/conformance/%s/expected-results.tsv", test_shared_dir(),
                 sets[s]);
        char *tsv = test_read_file(path, NULL);
        cr_assert_not_null(tsv, "cannot read %s", path);
        char *save = NULL;
        for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (line[0] == '#' || line[0] == '\0') {
                continue;
            }
            char *tab = strchr(line, '\t');
            if (tab) {
                *tab = '\0';
            }
            seen++;
            bool found = false;
            for (size_t i = 0; i < NVECS && !found; i++) {
                const char *f = VECS[i].file;
                const char *b = conf_base(f);
                found = strcmp(VECS[i].set, sets[s]) == 0 && strcmp(b, line) == 0;
            }
            if (!found) {
                conf_add(&bad, "%s: %s has no row in test_vectors.c", sets[s], line);
            }
        }
        free(tsv);
    }
    cr_assert_gt(seen, 80, "only %zu upstream vectors read", seen);
    size_t n = conf_report(&bad, "dkim_vectors");
    cr_assert_eq(n, 0, "%zu upstream vector(s) without an expectation", n);
}

Test(dkim_vectors, every_vector_gives_its_expected_result)
{
    struct conf_list bad = { 0 };
    size_t passed = 0;
    for (size_t i = 0; i < NVECS; i++) {
        char buf[2048];
        const char *fail = vec_check(&VECS[i], buf, sizeof buf);
        if (fail) {
            conf_add(&bad, "%s/%s [%s]: %s%s%s", VECS[i].set, VECS[i].file, VECS[i].opts, fail,
                     VECS[i].why ? " -- note: " : "", VECS[i].why ? VECS[i].why : "");
        } else {
            passed++;
        }
    }
    cr_log_info("dkim_vectors: %zu of %zu vectors as expected", passed, NVECS);
    size_t n = conf_report(&bad, "dkim_vectors");
    cr_assert_eq(n, 0, "%zu DKIM vector(s) differ from the table in test_vectors.c (listed above)",
                 n);
}

/* The RFC 8463 example on its own, so that its failure is visible by name. */
Test(dkim_vectors, rfc8463_example_passes_ed25519_and_rsa)
{
    char buf[2048];
    const char *fail = vec_check(&VECS[0], buf, sizeof buf);
    cr_assert_null(fail, "RFC 8463 A.3: %s", fail ? fail : "");
}
