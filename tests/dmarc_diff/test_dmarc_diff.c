/* dmarc_diff: differential test of the DMARC engine against OpenDMARC 1.4 (Debian
 * libopendmarc-dev / libopendmarc2).
 *
 * tests/dmarc_diff/gen_cases.py (seed DIFF_SEED) writes DIFF_COUNT cases: p/sp/np, adkim/aspf,
 * subdomains 0-3 labels deep, Organizational Domains under multi-label, wildcard, exception
 * and PRIVATE-section suffixes of the bundled Public Suffix List, DKIM and SPF results with
 * aligned, unaligned, public-suffix, child and look-alike identifiers, malformed records, pct
 * with the message inside or outside the sample, and records at public suffixes (psd=y).
 * $(BUILD)/opendmarc_driver (tests/dmarc_diff/opendmarc_driver.c, linked with libopendmarc
 * only) gives OpenDMARC's verdicts, with OpenDMARC's own policy discovery over its fake DNS and
 * the same PSL file. Here each case's zone goes into a snapshot resolver and dmarc_evaluate
 * runs in DMARC_MODE_RFC7489 with that PSL file.
 *
 * Compared per case: the result (pass/fail/none; permerror and temperror are ours only), DKIM
 * and SPF alignment and the domain whose record applied (when both found a record), the
 * published policy and the policy after pct (when both say fail). Any difference fails the
 * test unless KNOWN lists it (a kind the generator gave the case, the field, both values)
 * with the reason. Each case also runs in RFC 9989 mode; how many outcomes change against RFC
 * 7489 is printed, not asserted.
 *
 * The suite skips only when the peer is not installed (libopendmarc-dev); the driver is then
 * not built either (dmarc_diff.mk). Driver: $AUTHSWEEP_OPENDMARC_DRIVER, else beside this
 * test binary (the same BUILD directory), else beside $AUTHSWEEP_BIN. DMARC_DIFF_VERBOSE=1
 * prints every explained difference too. */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/snapshot.h"
#include "engine/policy/dmarc.h"
#include "tests/support/guard.h"

#define DIFF_SEED "20250611"
#define DIFF_COUNT "400"
#define DIFF_MAX_SIGS 8

struct known {
    const char *kind;  /* a word of the case's kinds */
    const char *field; /* result, dkim_align, spf_align, policy_domain, policy, disposition */
    const char *theirs, *ours; /* "*" matches anything */
    const char *why;
};

/* Every expected difference, with its reason. RFC 7489 section numbers unless said. */
static const struct known KNOWN[] = {
    /* -- records OpenDMARC reads differently ------------------------------------------ */
    { "m_p_prefix", "result", "fail", "permerror",
      "p= not one of none/quarantine/reject (\"p=rej\", \"p=q\"): OpenDMARC accepts any "
      "left substring of a policy name (\"be generous\"); §6.4 dmarc-request allows only the "
      "three words, so the record has no valid p and without rua §6.6.3 applies no DMARC "
      "processing (permerror: §11.2, a syntactically incorrect record)." },
    { "m_p_prefix", "result", "pass", "permerror", "as above (p prefix), for a passing message" },
    { "m_p_bogus", "result", "none", "permerror",
      "invalid p without rua: OpenDMARC returns DMARC_PARSE_ERROR_BAD_VALUE (a library user "
      "treats it as no record); §6.6.3 applies no DMARC processing and §11.2 names it "
      "permerror. No policy is applied either way." },
    { "m_no_p", "result", "none", "permerror",
      "no p and no rua: DMARC_PARSE_ERROR_NO_REQUIRED_P in OpenDMARC; permerror here (§6.6.3, "
      "§11.2). No policy is applied either way." },
    { "m_p_bogus_rua", "result", "none", "*",
      "invalid p with a valid rua: §6.6.3 says act as if p=none was published and continue; "
      "OpenDMARC ignores the record (BAD_VALUE) so it reports none." },
    { "m_no_p_rua", "result", "none", "*",
      "no p with a valid rua: §6.6.3 acts as p=none; OpenDMARC rejects the record "
      "(NO_REQUIRED_P)." },
    { "m_sp_bad_rua", "result", "none", "*",
      "invalid sp with a valid rua: §6.6.3 acts as p=none; OpenDMARC rejects the whole record "
      "(BAD_VALUE)." },
    { "m_sp_bad", "result", "none", "permerror",
      "invalid sp without rua: §6.6.3 step: no DMARC processing (permerror, §11.2); OpenDMARC "
      "rejects the record (BAD_VALUE): none. No policy is applied either way." },
    { "m_no_v", "result", "*", "none",
      "no v= tag: §6.3 says v MUST be present and first, else the record MUST be ignored; "
      "OpenDMARC's fake/live lookup keeps any TXT containing \"v=DMARC\"... and its parser does "
      "not require v at all, so \"p=reject\" alone is a policy to it." },
    { "m_v_not_first", "result", "*", "none",
      "v= not the first tag: §6.3 \"It MUST be the first tag in the list\"; OpenDMARC's parser "
      "comments \"why reject it if it is not first?\" and accepts it." },
    { "m_v_lower", "result", "*", "none",
      "v=dmarc1: §6.4 dmarc-version is the case-sensitive %x44.4d.41.52.43.31 (\"DMARC1\"); "
      "OpenDMARC compares with strcasecmp (and its DNS layer keeps only TXT containing "
      "\"v=DMARC\", so it sees no record here anyway)." },
    { "m_adkim_bad", "result", "none", "*",
      "adkim=x: §6.3 \"syntax errors in the remainder of the record SHOULD be discarded in "
      "favor of default values\" (relaxed); OpenDMARC rejects the whole record (BAD_VALUE)." },
    { "m_aspf_bad", "result", "none", "*",
      "aspf=loose: as adkim=x (§6.3 default relaxed; OpenDMARC BAD_VALUE)." },
    { "m_pct_big", "result", "none", "*",
      "pct=150: §6.3 falls back to the default 100; OpenDMARC rejects the record." },
    { "m_pct_text", "result", "none", "*",
      "pct=abc: §6.3 default 100; OpenDMARC rejects the record (strtoul gives 0 and no "
      "EINVAL on glibc, so it may also read pct=0; either way not our §6.3 reading)." },
    { "m_tag_case", "result", "*", "*",
      "\"P=reject\": §6.4 tag names are ABNF strings, case-insensitive (RFC 5234 §2.3); both "
      "accept the tag; listed in case OpenDMARC 1.4 differs." },
    { "m_dup_p", "policy", "none", "*",
      "p given twice: OpenDMARC keeps the last value, authsweep the first; RFC 7489 does not "
      "say (RFC 6376 §3.2, whose tag-list DMARC reuses, makes a duplicate tag invalid)." },
    { "m_dup_p", "disposition", "none", "*", "as above (p given twice)" },
    /* -- discovery ----------------------------------------------------------------------- */
    { "psd_at_suffix", "result", "*", "*",
      "the only record is at the public suffix (psd=y, an RFC 9989 §4.10 PSD record): RFC 7489 "
      "§6.6.3 looks only at the author domain and its PSL Organizational Domain, so authsweep "
      "finds none. OpenDMARC agrees except under wildcard rules, where its mistaken "
      "Organizational Domain (see psl_wildcard) is the suffix itself and it applies the PSD "
      "record." },
    { "psl_wildcard", "result", "*", "*",
      "Organizational Domain under a wildcard rule (\"*.kawasaki.jp\", \"*.nom.br\"): "
      "OpenDMARC's opendmarc_tld_read_file(.., \"*.\", \"!\") drops the \"*.\" and keeps "
      "\"kawasaki.jp\" as a plain rule, so its Organizational Domain of "
      "a.b.acme.x.kawasaki.jp is x.kawasaki.jp (itself a public suffix) and it queries "
      "_dmarc.x.kawasaki.jp. §3.2 with the PSL's wildcard semantics gives acme.x.kawasaki.jp. "
      "Discovery (§6.6.3) and relaxed alignment (§3.1) then differ." },
    { "psl_wildcard", "dkim_align", "pass", "fail",
      "as above (wildcard PSL rule): OpenDMARC relaxed-aligns xacme.x.kawasaki.jp with "
      "acme.x.kawasaki.jp because it takes x.kawasaki.jp as both Organizational Domains" },
    { "psl_wildcard", "spf_align", "pass", "fail", "as above (wildcard PSL rule), for SPF" },
    /* -- alignment ------------------------------------------------------------------------ */
    { "strict_d_nonexact", "dkim_align", "pass", "fail",
      "adkim=s with d= other than the From domain: §3.1.1 strict mode needs the two FQDNs to "
      "be identical. OpenDMARC 1.4.2's opendmarc_policy_check_alignment does not (probed "
      "with the same PSL: From a.example.com / d=b.example.com, From example.com / "
      "d=sub.example.com and From a.alice.github.io / d=alice.github.io all align under 's'; "
      "only a d= that is a parent under an ICANN suffix is refused)." },
    { "strict_d_nonexact", "result", "pass", "fail", "as above (strict DKIM alignment)" },
    { "strict_d_nonexact", "result", "pass", "temperror",
      "as above, and an aligned check had a temperror (see temperror)" },
    { "strict_spf_nonexact", "spf_align", "pass", "fail",
      "aspf=s with an SPF domain other than the From domain: §3.1.2 strict needs an exact "
      "match; same OpenDMARC check_alignment behaviour as for adkim=s." },
    { "strict_spf_nonexact", "result", "pass", "fail", "as above (strict SPF alignment)" },
    { "strict_spf_nonexact", "result", "pass", "temperror",
      "as above, and an aligned check had a temperror (see temperror)" },
    { "d_suffix", "dkim_align", "pass", "fail",
      "d= is a public suffix (\"co.uk\", \"github.io\"): OpenDMARC's "
      "opendmarc_policy_check_alignment treats any parent of the From domain as relaxed-"
      "aligned by string suffix; §3.1.1 compares Organizational Domains, and a public suffix "
      "has none (§3.2), so it cannot align." },
    { "d_suffix", "result", "pass", "fail", "as above (d= a public suffix), deciding the result" },
    { "spf_suffix", "spf_align", "pass", "fail",
      "SPF domain a public suffix: same OpenDMARC suffix-matching quirk as for d= (§3.1.2)." },
    { "spf_suffix", "result", "pass", "fail", "as above (SPF domain a public suffix)" },
    { "multi_dkim", "dkim_align", "fail", "pass",
      "several signatures: OpenDMARC keeps one \"best\" DKIM domain while storing results; a "
      "later aligned signature that fails frees the remembered aligned pass (store_dkim), "
      "losing it. §6.6.2/§4.2: any one aligned passing signature is a DMARC pass." },
    { "multi_dkim", "result", "fail", "pass", "as above (a lost aligned DKIM pass)" },
    /* -- results OpenDMARC does not have ---------------------------------------------- */
    { "temperror", "result", "fail", "temperror",
      "an aligned DKIM/SPF temperror and no pass: OpenDMARC only counts passes and says fail; "
      "RFC 7489 §6.6.2 lets a receiver report temperror when a check that could pass failed "
      "temporarily (RFC 9989 §5.3.6 makes it explicit). No policy is applied on temperror." },
    /* -- pct ------------------------------------------------------------------------------ */
    { "sampled_out", "disposition", "*", "*",
      "pct sampling, §6.6.4: a message outside the pct sample gets the next lower policy "
      "(reject->quarantine, quarantine->none). OpenDMARC's library never samples "
      "(opendmarc_get_policy_to_enforce returns p/sp; pct is only fetchable with "
      "opendmarc_policy_fetch_pct, for the caller to apply)." },
};
#define NKNOWN (sizeof KNOWN / sizeof KNOWN[0])

/* ---- small helpers ------------------------------------------------------------------------ */

static bool word_in(const char *list, char sep, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, sep);
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == wl && strncmp(p, word, l) == 0) {
            return true;
        }
        p = e ? e + 1 : NULL;
    }
    return false;
}

static bool wild_eq(const char *pat, const char *s)
{
    return strcmp(pat, "*") == 0 || strcmp(pat, s) == 0;
}

static const struct known *known_for(const char *kinds, const char *field, const char *theirs,
                                     const char *ours)
{
    for (size_t i = 0; i < NKNOWN; i++) {
        if (word_in(kinds, '+', KNOWN[i].kind) && strcmp(KNOWN[i].field, field) == 0 &&
            wild_eq(KNOWN[i].theirs, theirs) && wild_eq(KNOWN[i].ours, ours)) {
            return &KNOWN[i];
        }
    }
    return NULL;
}

static size_t split(char *line, char sep, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *t = strchr(p, sep);
        if (t == NULL) {
            break;
        }
        *t = '\0';
        p = t + 1;
    }
    return n;
}

static slice S(const char *s)
{
    return slice_make(s, strlen(s));
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

static const char *result_word(enum auth_verdict v)
{
    switch (v) {
    case AV_PASS:
        return "pass";
    case AV_FAIL:
        return "fail";
    case AV_NONE:
        return "none";
    case AV_TEMPERROR:
        return "temperror";
    case AV_PERMERROR:
        return "permerror";
    case AV_NEUTRAL:
    case AV_SOFTFAIL:
    case AV_POLICY:
    case AV__COUNT:
        break;
    }
    return "other";
}

static const char *policy_word(enum dmarc_policy p)
{
    const char *n = dmarc_policy_name(p);
    return n ? n : "-";
}

/* The engine's pct sample (dmarc.h, struct dmarc_input.msg_key): FNV-1a-64 % 100 < pct. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    }
    return h;
}

/* record_pct: the pct the record sets when it is a valid 0..100, else 100 (§6.3 default). */
static unsigned record_pct(const char *rec)
{
    const char *p = strstr(rec, "pct=");
    if (p == NULL || (p != rec && p[-1] != ' ' && p[-1] != ';')) {
        return 100;
    }
    p += 4;
    unsigned v = 0;
    size_t n = 0;
    for (; p[n] >= '0' && p[n] <= '9' && n < 4; n++) {
        v = v * 10 + (unsigned)(p[n] - '0');
    }
    bool end = p[n] == '\0' || p[n] == ';' || p[n] == ' ';
    return (n == 0 || !end || v > 100) ? 100 : v;
}

/* pick_key finds a message key that the engine's sampling puts inside (or outside) pct. */
static void pick_key(const char *id, unsigned pct, bool inside, char *out, size_t out_len)
{
    for (unsigned k = 0; k < 10000; k++) {
        snprintf(out, out_len, "<%s.%u@dmarc-diff.test>", id, k);
        bool in = fnv1a(out) % 100 < pct;
        if (in == inside || pct == 0 || pct >= 100) {
            return;
        }
    }
}

static bool find_driver(char *out, size_t out_len)
{
    const char *e = getenv("AUTHSWEEP_OPENDMARC_DRIVER");
    if (e && *e) {
        snprintf(out, out_len, "%s", e);
        return access(out, X_OK) == 0;
    }
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        snprintf(out, out_len, "%s/opendmarc_driver", dirname(self));
        if (access(out, X_OK) == 0) {
            return true;
        }
    }
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s", test_bin());
    snprintf(out, out_len, "%s/opendmarc_driver", dirname(bin));
    return access(out, X_OK) == 0;
}

static bool peer_installed(void)
{
    return access("/usr/include/opendmarc/dmarc.h", R_OK) == 0;
}

/* ---- one case ------------------------------------------------------------------------------ */

struct outcome {
    enum dmarc_mode mode;
    char result[16], dkim[8], spf[8], pdom[256], policy[16], disp[16];
};

static struct dmarc_ctx *new_ctx(enum dmarc_mode m, const char *psl)
{
    struct dmarc_config cfg = { .mode = m, .apply_reject = true, .psl_path = psl };
    char err[256];
    struct dmarc_ctx *c = dmarc_ctx_new(&cfg, err, sizeof(err));
    cr_assert_not_null(c, "dmarc_ctx_new: %s", err);
    return c;
}

/* evaluate runs one case through dmarc_evaluate in mode m with a fresh context (the run
 * cache is keyed by name, and the cases reuse names with different zones). */
static void evaluate(char **f, enum dmarc_mode m, const char *psl, struct outcome *o)
{
    const char *id = f[0], *from = f[2], *pdom = f[3], *rec = f[4];
    char zone[2048];
    int zl = 0;
    if (strcmp(pdom, "-") != 0) {
        zl += snprintf(zone + zl, sizeof(zone) - (size_t)zl, "_dmarc.%s. TXT \"%s\"\n", pdom,
                       rec);
    }
    if (strcmp(f[7], "y") == 0) {
        zl += snprintf(zone + zl, sizeof(zone) - (size_t)zl, "%s. A 192.0.2.1\n", from);
    }
    cr_assert_lt((size_t)zl, sizeof(zone));
    char err[256];
    struct dns_resolver *r = snapshot_load_mem(slice_make(zone, (size_t)zl), id, err,
                                               sizeof(err));
    cr_assert_not_null(r, "%s: zone: %s", id, err);
    struct dmarc_ctx *c = new_ctx(m, psl);
    struct arena *a = arena_new(0);

    char dkim[1024];
    snprintf(dkim, sizeof(dkim), "%s", f[5]);
    struct dkim_sig sigs[DIFF_MAX_SIGS];
    memset(sigs, 0, sizeof(sigs));
    size_t n_sigs = 0;
    if (strcmp(dkim, "-") != 0) {
        char *items[DIFF_MAX_SIGS];
        size_t n = split(dkim, ',', items, DIFF_MAX_SIGS);
        for (size_t i = 0; i < n; i++) {
            char *colon = strrchr(items[i], ':');
            cr_assert_not_null(colon, "%s: dkim item %s", id, items[i]);
            *colon = '\0';
            sigs[n_sigs++] = (struct dkim_sig){ .d = S(items[i]), .result = verdict(colon + 1) };
        }
    }
    struct dmarc_input in = { .from_domain = S(from), .sigs = sigs, .n_sigs = n_sigs };
    char spf[512];
    snprintf(spf, sizeof(spf), "%s", f[6]);
    if (strcmp(spf, "-") != 0) {
        char *colon = strrchr(spf, ':');
        cr_assert_not_null(colon, "%s: spf %s", id, spf);
        *colon = '\0';
        in.spf_ran = true;
        in.spf_domain = S(spf);
        in.spf_result = verdict(colon + 1);
    }
    char key[128];
    pick_key(id, record_pct(rec), strcmp(f[8], "in") == 0, key, sizeof(key));
    in.msg_key = S(key);

    struct dmarc_result res;
    dmarc_evaluate(c, a, r, &in, &res, NULL);
    cr_assert(!res.pending, "%s: pending from a snapshot", id);
    o->mode = m;
    snprintf(o->result, sizeof(o->result), "%s", result_word(res.result));
    snprintf(o->dkim, sizeof(o->dkim), "%s", res.dkim_aligned.ptr ? "pass" : "fail");
    snprintf(o->spf, sizeof(o->spf), "%s", res.spf_aligned ? "pass" : "fail");
    snprintf(o->pdom, sizeof(o->pdom), "%.*s", SLICE_FMT(res.policy_domain));
    snprintf(o->policy, sizeof(o->policy), "%s", policy_word(res.published));
    snprintf(o->disp, sizeof(o->disp), "%s", policy_word(res.policy_disposition));
    arena_free(a);
    dmarc_ctx_free(c);
    dns_resolver_free(r);
}

/* ---- the comparison ------------------------------------------------------------------------ */

struct tally {
    unsigned cases, compared, agree_cases, explained, unexplained;
    unsigned per_known[NKNOWN];
    char fails[8192];
    size_t fails_len;
};

static void differ(struct tally *t, const char *id, const char *kinds, const char *field,
                   const char *theirs, const char *ours, bool *case_ok)
{
    *case_ok = false;
    const struct known *k = known_for(kinds, field, theirs, ours);
    if (k != NULL) {
        t->explained++;
        t->per_known[k - KNOWN]++;
        if (getenv("DMARC_DIFF_VERBOSE") != NULL) {
            fprintf(stderr, "  explained %s [%s] %s: opendmarc=%s authsweep=%s (%s)\n", id,
                    kinds, field, theirs, ours, k->kind);
        }
        return;
    }
    t->unexplained++;
    if (t->fails_len < sizeof(t->fails) - 256) {
        t->fails_len += (size_t)snprintf(t->fails + t->fails_len,
                                         sizeof(t->fails) - t->fails_len,
                                         "  %s [%s] %s: opendmarc=%s authsweep=%s\n", id, kinds,
                                         field, theirs, ours);
    }
}

static void check(struct tally *t, const char *id, const char *kinds, const char *field,
                  const char *theirs, const char *ours, bool *case_ok)
{
    t->compared++;
    if (strcmp(theirs, ours) != 0) {
        differ(t, id, kinds, field, theirs, ours, case_ok);
    }
}

/* compare: f = the case fields, d = the driver's fields for it, o = our RFC 7489 outcome. */
static void compare(struct tally *t, char **f, char **d, const struct outcome *o)
{
    const char *id = f[0], *kinds = f[1];
    bool ok = true;
    /* permerror/temperror/none all mean "no policy applied" to OpenDMARC's "none" only when
     * KNOWN says why; the words are compared as they are. */
    check(t, id, kinds, "result", d[1], o->result, &ok);
    bool both_record = strcmp(d[1], "none") != 0 && (strcmp(o->result, "pass") == 0 ||
                                                      strcmp(o->result, "fail") == 0);
    if (both_record) {
        check(t, id, kinds, "dkim_align", d[2], o->dkim, &ok);
        check(t, id, kinds, "spf_align", d[3], o->spf, &ok);
        check(t, id, kinds, "policy_domain", d[5], o->pdom, &ok);
    }
    if (strcmp(d[1], "fail") == 0 && strcmp(o->result, "fail") == 0) {
        check(t, id, kinds, "policy", d[4], o->policy, &ok);
        /* OpenDMARC applies no pct: its policy is also its disposition. */
        check(t, id, kinds, "disposition", d[4], o->disp, &ok);
    }
    t->cases++;
    t->agree_cases += ok;
}

static char *run_driver(const char *driver, const char *psl, const char *cases)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "'%s' '%s' < '%s'", driver, psl, cases);
    char *out = NULL;
    size_t len = 0;
    int st = test_run(cmd, &out, &len);
    cr_assert_eq(st, 0, "driver failed (%d): %s", st, cmd);
    return out;
}

Test(dmarc_diff, rfc7489_agrees_with_opendmarc, .timeout = 120)
{
    if (!peer_installed()) {
        cr_skip_test("OpenDMARC is not installed (Debian packages libopendmarc-dev "
                     "libopendmarc2, see setup.sh): the differential test needs it");
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char driver[1100];
    cr_assert(find_driver(driver, sizeof(driver)),
              "libopendmarc-dev is installed but opendmarc_driver was not built (looked at "
              "$AUTHSWEEP_OPENDMARC_DRIVER, beside the test binary and beside $AUTHSWEEP_BIN); "
              "build it with make $(BUILD)/opendmarc_driver");
    char psl[1024], gen[1024], dir[] = "/tmp/dmarc_diff.XXXXXX", cases[1100], cmd[4096];
    snprintf(psl, sizeof(psl), "%s/conformance/dmarc-psl/public_suffix_list.dat",
             test_shared_dir());
    cr_assert_eq(access(psl, R_OK), 0, "no PSL at %s (AUTHSWEEP_SHARED)", psl);
    snprintf(gen, sizeof(gen), "%s/tests/dmarc_diff/gen_cases.py", test_root_dir());
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cases, sizeof(cases), "%s/cases.tsv", dir);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' %s %s > '%s'", gen, DIFF_SEED, DIFF_COUNT,
             cases);
    cr_assert_eq(system(cmd), 0, "generator failed: %s", cmd);

    size_t clen = 0;
    char *ctext = test_read_file(cases, &clen);
    cr_assert_not_null(ctext);
    char *dtext = run_driver(driver, psl, cases);

    static struct tally t;
    memset(&t, 0, sizeof(t));
    unsigned changed9989 = 0, changed_result = 0, changed_disp = 0;
    char *csave = NULL, *dsave = NULL;
    char *cl = strtok_r(ctext, "\n", &csave), *dl = strtok_r(dtext, "\n", &dsave);
    for (; cl != NULL; cl = strtok_r(NULL, "\n", &csave), dl = strtok_r(NULL, "\n", &dsave)) {
        char *f[9], *d[8];
        cr_assert_eq(split(cl, '\t', f, 9), 9, "bad case line");
        cr_assert_not_null(dl, "%s: no driver line", f[0]);
        cr_assert_eq(split(dl, '\t', d, 8), 8, "%s: bad driver line", f[0]);
        cr_assert_str_eq(d[0], f[0], "driver out of step");
        struct outcome o7, o9;
        evaluate(f, DMARC_MODE_RFC7489, psl, &o7);
        evaluate(f, DMARC_MODE_RFC9989, NULL, &o9);
        compare(&t, f, d, &o7);
        bool rc = strcmp(o7.result, o9.result) != 0;
        bool dc = strcmp(o7.disp, o9.disp) != 0;
        changed_result += rc;
        changed_disp += dc;
        changed9989 += rc || dc || strcmp(o7.policy, o9.policy) != 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    fprintf(stderr,
            "dmarc_diff: %u cases (seed %s) against OpenDMARC: %u agree on every field, %u "
            "fields compared, %u differences explained, %u unexplained\n",
            t.cases, DIFF_SEED, t.agree_cases, t.compared, t.explained, t.unexplained);
    for (size_t i = 0; i < NKNOWN; i++) {
        if (t.per_known[i] > 0) {
            fprintf(stderr, "  %4u  %s/%s opendmarc=%s authsweep=%s\n", t.per_known[i],
                    KNOWN[i].kind, KNOWN[i].field, KNOWN[i].theirs, KNOWN[i].ours);
        }
    }
    fprintf(stderr,
            "dmarc_diff: RFC 9989 mode vs RFC 7489 mode: %u of %u outcomes change (result %u, "
            "policy after pct/t %u); %.2f s\n",
            changed9989, t.cases, changed_result, changed_disp, secs);
    free(ctext);
    free(dtext);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(t.unexplained, 0, "differences from OpenDMARC not in KNOWN:\n%s", t.fails);
    cr_assert_geq(t.cases, 300u);
}
