/* Unit tests for DMARC (RFC 9989, RFC 7489 mode): record parsing (suite dmarc_record),
 * evaluation, alignment and dispositions (dmarc), the DNS Tree Walk (dmarc_walk) and the
 * Organizational Domain helpers (orgdomain). DNS comes from a snapshot zone in memory,
 * wrapped by a fake that counts queries, logs names and can answer DNS_PENDING. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/policy/dmarc.h"
#include "engine/policy/orgdomain.h"
#include "tests/support/guard.h"

/* ---- fake resolver ----------------------------------------------------------------------- */

struct fake_dns {
    struct dns_resolver base;
    struct dns_resolver *inner;
    slice pending_name;
    unsigned queries;
    char log[4096]; /* queried names, one per line */
};

static enum dns_status fake_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                   const struct dns_answer **out)
{
    struct fake_dns *f = (struct fake_dns *)r;
    f->queries++;
    size_t l = strlen(f->log);
    snprintf(f->log + l, sizeof(f->log) - l, "%.*s/%u\n", SLICE_FMT(name), qtype);
    if (f->pending_name.len > 0 && slice_eq_ci(name, f->pending_name)) {
        return DNS_PENDING;
    }
    return dns_lookup(f->inner, name, qtype, out);
}
static void fake_release(struct dns_resolver *r, const struct dns_answer *a)
{
    dns_release(((struct fake_dns *)r)->inner, a);
}
static void fake_free(struct dns_resolver *r)
{
    (void)r;
}
static const struct dns_resolver_ops fake_ops = { "fake", fake_lookup, fake_release, fake_free,
                                                  NULL, false };

static struct fake_dns fake;
static struct arena *arena;
static struct dmarc_ctx *ctx;
static struct dkim_sig sigs[8];
static struct dmarc_input in;
static struct dmarc_result res, other;

static void zone(const char *text)
{
    char err[256];
    dns_resolver_free(fake.inner);
    fake.inner = snapshot_load_mem(slice_make(text, strlen(text)), "test", err, sizeof(err));
    cr_assert_not_null(fake.inner, "%s", err);
    fake.base.ops = &fake_ops;
    fake.queries = 0;
    fake.log[0] = '\0';
}

static void mode(enum dmarc_mode m, bool apply_reject)
{
    dmarc_ctx_free(ctx);
    struct dmarc_config cfg = { .mode = m, .apply_reject = apply_reject };
    char err[256];
    ctx = dmarc_ctx_new(&cfg, err, sizeof(err));
    cr_assert_not_null(ctx, "%s", err);
}

static void setup(void)
{
    arena = arena_new(0);
    memset(&in, 0, sizeof(in));
    memset(&fake, 0, sizeof(fake));
    in.sigs = sigs;
    mode(DMARC_MODE_RFC9989, false);
}

static void teardown(void)
{
    dmarc_ctx_free(ctx);
    ctx = NULL;
    dns_resolver_free(fake.inner);
    fake.inner = NULL;
    arena_free(arena);
}

static slice S(const char *s)
{
    return s ? slice_make(s, strlen(s)) : SLICE_NULL;
}

static void from(const char *d)
{
    in.from_domain = S(d);
}
static void spf(const char *d, enum auth_verdict v)
{
    in.spf_ran = true;
    in.spf_domain = S(d);
    in.spf_result = v;
}
static void dkim(const char *d, enum auth_verdict v)
{
    sigs[in.n_sigs] = (struct dkim_sig){ .d = S(d), .result = v };
    in.n_sigs++;
}

static void run(void)
{
    dmarc_evaluate(ctx, arena, &fake.base, &in, &res, &other);
}

static bool eqs(slice s, const char *want)
{
    if (want == NULL) {
        return s.ptr == NULL;
    }
    return s.ptr != NULL && slice_eq(s, S(want));
}

#define EXPECT(res_, reason_, pol_, pdisp_, disp_)                                              \
    do {                                                                                        \
        cr_assert_eq(res.result, res_, "result %s", auth_verdict_name(res.result));             \
        cr_assert_eq(res.reason, reason_, "reason %s", dmarc_reason_name(res.reason));          \
        cr_assert_eq(res.policy, pol_, "policy %d", (int)res.policy);                           \
        cr_assert_eq(res.policy_disposition, pdisp_, "policy_disposition %d",                   \
                     (int)res.policy_disposition);                                              \
        cr_assert_eq(res.disposition, disp_, "disposition %d", (int)res.disposition);           \
    } while (0)

static unsigned count_lines(const char *s, const char *suffix)
{
    unsigned n = 0;
    for (const char *p = s; (p = strstr(p, suffix)) != NULL; p++) {
        n++;
    }
    return n;
}

/* ---- record parsing ---------------------------------------------------------------------- */

static struct dmarc_record rec;
static bool parse(const char *text)
{
    return dmarc_record_parse(arena, guard_slice(text), &rec);
}

Test(dmarc_record, every_tag_is_read, .init = setup, .fini = teardown)
{
    cr_assert(parse("v=DMARC1; p=quarantine; sp=reject; np=none; psd=n; t=y; adkim=s; "
                    "aspf=s; rua=mailto:a@example.com,mailto:b@example.net!10m; "
                    "ruf=mailto:f@example.com; fo=1:d:s; pct=50; rf=afrf; ri=3600"));
    cr_assert_eq(rec.p, DMARC_P_QUARANTINE);
    cr_assert_eq(rec.sp, DMARC_P_REJECT);
    cr_assert_eq(rec.np, DMARC_P_NONE);
    cr_assert_eq(rec.psd, DMARC_PSD_N);
    cr_assert(rec.testing && rec.adkim_strict && rec.aspf_strict);
    cr_assert_eq(rec.n_rua, 2);
    cr_assert(eqs(rec.rua[0].uri, "mailto:a@example.com"));
    cr_assert(eqs(rec.rua[1].uri, "mailto:b@example.net"));
    cr_assert_eq(rec.rua[1].max_size, 10ull << 20);
    cr_assert_eq(rec.n_ruf, 1);
    cr_assert_eq(rec.fo, DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S);
    cr_assert(rec.has_pct && rec.pct == 50 && rec.has_rf && rec.has_ri && rec.ri == 3600);
    cr_assert(eqs(rec.rf, "afrf"));
    cr_assert_eq(rec.notes, 0);
}

Test(dmarc_record, defaults, .init = setup, .fini = teardown)
{
    cr_assert(parse("v=DMARC1"));
    cr_assert_eq(rec.p, DMARC_P_UNSET);
    cr_assert_eq(rec.sp, DMARC_P_UNSET);
    cr_assert_eq(rec.np, DMARC_P_UNSET);
    cr_assert_eq(rec.psd, DMARC_PSD_U);
    cr_assert(!rec.testing && !rec.adkim_strict && !rec.aspf_strict);
    cr_assert_eq(rec.fo, DMARC_FO_0);
    cr_assert(!rec.has_pct && rec.pct == 100 && rec.ri == 86400);
}

Test(dmarc_record, v_must_be_first_and_exactly_DMARC1, .init = setup, .fini = teardown)
{
    cr_assert(!parse("p=reject; v=DMARC1"));
    cr_assert(!parse("v=dmarc1; p=reject"));   /* value case-sensitive (%s"DMARC1") */
    cr_assert(!parse("v=DMARC10; p=reject"));
    cr_assert(!parse("v=DMARC1 p=reject"));    /* missing ';': v's value is not DMARC1 */
    cr_assert(!parse(""));
    cr_assert(!parse("; v=DMARC1"));
    cr_assert(!parse("v=spf1 -all"));
    cr_assert(parse("V=DMARC1; p=reject"));    /* "v" is an RFC 5234 case-insensitive string */
    cr_assert(parse("v = DMARC1 ;p = reject;"));
    cr_assert_eq(rec.p, DMARC_P_REJECT);
}

Test(dmarc_record, values_and_tag_names_are_case_insensitive, .init = setup, .fini = teardown)
{
    cr_assert(parse("v=DMARC1; P=Reject; SP=QUARANTINE; ADKIM=S; np=None"));
    cr_assert_eq(rec.p, DMARC_P_REJECT);
    cr_assert_eq(rec.sp, DMARC_P_QUARANTINE);
    cr_assert_eq(rec.np, DMARC_P_NONE);
    cr_assert(rec.adkim_strict);
}

Test(dmarc_record, syntax_errors_keep_defaults_and_note, .init = setup, .fini = teardown)
{
    cr_assert(parse("v=DMARC1; p=reject; adkim=x; fo=0:1; pct=101; garbage; t=maybe; "
                    "psd=q"));
    cr_assert_eq(rec.p, DMARC_P_REJECT);
    cr_assert(!rec.adkim_strict && !rec.testing);
    cr_assert_eq(rec.fo, DMARC_FO_0);
    cr_assert_eq(rec.pct, 100);
    cr_assert_eq(rec.psd, DMARC_PSD_U);
    cr_assert(rec.notes & DMARC_N_BAD_VALUE);
    cr_assert(rec.notes & DMARC_N_TAG_SYNTAX);
    cr_assert(parse("v=DMARC1; p=bogus; sp=; x-custom=1; foo=bar"));
    cr_assert_eq(rec.p, DMARC_P_INVALID);
    cr_assert_eq(rec.sp, DMARC_P_INVALID); /* "sp=": an sp tag that is not valid (§4.10.1) */
    cr_assert(rec.notes & DMARC_N_UNKNOWN_TAG);
}

Test(dmarc_record, duplicate_tag_keeps_the_first, .init = setup, .fini = teardown)
{
    cr_assert(parse("v=DMARC1; p=none; p=reject"));
    cr_assert_eq(rec.p, DMARC_P_NONE);
    cr_assert(rec.notes & DMARC_N_DUPLICATE_TAG);
}

Test(dmarc_record, uri_list_drops_bad_uris, .init = setup, .fini = teardown)
{
    cr_assert(parse("v=DMARC1; p=none; rua=mailto:ok@example.com , not a uri,"
                    "https://r.example/x%20y, mailto:x@y!bad, :nope"));
    cr_assert_eq(rec.n_rua, 2);
    cr_assert(eqs(rec.rua[0].uri, "mailto:ok@example.com"));
    cr_assert(eqs(rec.rua[1].uri, "https://r.example/x%20y"));
    cr_assert(rec.notes & DMARC_N_BAD_URI);
}

Test(dmarc_record, fo_grammar, .init = setup, .fini = teardown)
{
    cr_assert(parse("v=DMARC1; fo=d:0"));
    cr_assert_eq(rec.fo, DMARC_FO_0 | DMARC_FO_D);
    cr_assert(parse("v=DMARC1; fo=s"));
    cr_assert_eq(rec.fo, DMARC_FO_S);
    cr_assert(parse("v=DMARC1; fo=d:d"));
    cr_assert_eq(rec.fo, DMARC_FO_0);
    cr_assert(parse("v=DMARC1; fo=1:"));
    cr_assert_eq(rec.fo, DMARC_FO_0);
}

/* ---- evaluation ------------------------------------------------------------------------- */

#define Z_EXAMPLE                                                                               \
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"\n"                 \
    "example.com. A 192.0.2.1\n"                                                                \
    "mail.example.com. A 192.0.2.2\n"

Test(dmarc, aligned_dkim_pass_is_pass, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("example.com");
    dkim("other.net", AV_PASS);
    dkim("mail.example.com", AV_PASS);
    spf("bounce.other.net", AV_PASS);
    run();
    EXPECT(AV_PASS, DMARC_R_NONE, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
    cr_assert_eq(res.published, DMARC_P_REJECT, "the published value is kept");
    cr_assert(eqs(res.dkim_aligned, "mail.example.com"));
    cr_assert(!res.spf_aligned);
    cr_assert(eqs(res.policy_domain, "example.com") && eqs(res.org_domain, "example.com"));
    cr_assert_eq(dmarc_class(&res), DMARC_C_AUTHENTICATED);
}

Test(dmarc, failing_or_unaligned_identifiers_fail, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("example.com");
    dkim("example.com", AV_FAIL);
    dkim("evil.net", AV_PASS);
    spf("example.com", AV_SOFTFAIL);
    run();
    /* RFC 9989 §7.4: p=reject alone gives quarantine */
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_REJECT, DMARC_P_QUARANTINE);
    cr_assert(res.auth_pass);
    cr_assert_eq(dmarc_class(&res), DMARC_C_SPOOFED);
}

Test(dmarc, apply_reject_and_rfc7489_mode_reject, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("example.com");
    mode(DMARC_MODE_RFC9989, true);
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_REJECT, DMARC_P_REJECT);
    mode(DMARC_MODE_RFC7489, false);
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_REJECT, DMARC_P_REJECT);
    cr_assert_eq(res.mode, DMARC_MODE_RFC7489);
}

Test(dmarc, strict_alignment_needs_identical_domains, .init = setup, .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; adkim=s; aspf=s\"\n"
         "example.com. A 192.0.2.1\n");
    from("example.com");
    dkim("mail.example.com", AV_PASS);
    spf("bounce.example.com", AV_PASS);
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
    in.n_sigs = 0;
    dkim("EXAMPLE.com.", AV_PASS); /* case and a trailing dot do not matter (RFC 4343) */
    run();
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(!res.spf_aligned);
    in.n_sigs = 0;
    spf("example.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(res.spf_aligned && res.dkim_aligned.ptr == NULL);
}

Test(dmarc, relaxed_alignment_uses_the_org_domain_both_identifiers, .init = setup,
     .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("mail.example.com");
    spf("bounce.example.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(res.spf_aligned);
    in.spf_ran = false;
    dkim("x.y.example.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(eqs(res.dkim_aligned, "x.y.example.com"));
    cr_assert(res.notes & DMARC_N_SPF_NOT_RUN);
    in.n_sigs = 0;
    dkim("example.com.evil.net", AV_PASS);
    dkim("xexample.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_FAIL);
}

Test(dmarc, null_mail_from_aligns_through_the_helo_domain, .init = setup, .fini = teardown)
{
    /* RFC 9989 §3.2.4 / RFC 7208 §2.4: with MAIL FROM <>, the SPF result is for
     * postmaster@HELO, and spf_result.domain is the HELO name: it is what aligns. */
    zone(Z_EXAMPLE);
    from("example.com");
    spf("mx1.example.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(res.spf_aligned);
}

Test(dmarc, no_record_is_none_unprotected, .init = setup, .fini = teardown)
{
    zone("example.org. A 192.0.2.1\n");
    from("example.org");
    dkim("example.org", AV_PASS);
    run();
    EXPECT(AV_NONE, DMARC_R_NO_POLICY, DMARC_TAG_NONE, DMARC_P_UNSET, DMARC_P_UNSET);
    cr_assert(res.auth_pass);
    cr_assert_eq(dmarc_class(&res), DMARC_C_UNPROTECTED);
    cr_assert(eqs(res.org_domain, "example.org"));
}

Test(dmarc, no_author_domain_stops, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    in.from_error = "multiple_from_domains";
    run();
    EXPECT(AV_NONE, DMARC_R_NO_AUTHOR_DOMAIN, DMARC_TAG_NONE, DMARC_P_UNSET, DMARC_P_UNSET);
    cr_assert_str_eq(res.detail, "multiple_from_domains");
    cr_assert_eq(fake.queries, 0);
    cr_assert_eq(dmarc_class(&res), DMARC_C_UNDETERMINED);
    from("bad..name");
    run();
    cr_assert_eq(res.reason, DMARC_R_BAD_AUTHOR_DOMAIN);
}

Test(dmarc, p_none_fail_is_suspicious, .init = setup, .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n");
    from("example.com");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
    cr_assert_eq(dmarc_class(&res), DMARC_C_SUSPICIOUS);
}

Test(dmarc, t_y_lowers_the_policy_one_level, .init = setup, .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=y\"\n"
         "_dmarc.example.net. TXT \"v=DMARC1; p=quarantine; t=y\"\n"
         "_dmarc.example.org. TXT \"v=DMARC1; p=none; t=y\"\n");
    from("example.com");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
    cr_assert(res.testing);
    cr_assert_eq(res.published, DMARC_P_REJECT);
    mode(DMARC_MODE_RFC9989, true);
    run();
    cr_assert_eq(res.disposition, DMARC_P_QUARANTINE); /* t=y, not §7.4, lowered it */
    from("example.net");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
    cr_assert_eq(dmarc_class(&res), DMARC_C_SUSPICIOUS);
    from("example.org");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
    /* RFC 7489 does not know t: p applies */
    mode(DMARC_MODE_RFC7489, false);
    from("example.com");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_REJECT, DMARC_P_REJECT);
    cr_assert(!res.testing);
}

Test(dmarc, sp_for_existing_np_for_nonexistent_subdomains, .init = setup, .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n"
         "example.com. A 192.0.2.1\n"
         "real.example.com. MX 10 mx.example.com.\n"
         "deep.ent.example.com. A 192.0.2.3\n");
    from("example.com");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
    from("real.example.com"); /* exists: NODATA for A */
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_SP, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
    from("ent.example.com"); /* an empty non-terminal exists (RFC 8020) */
    run();
    cr_assert_eq(res.policy, DMARC_TAG_SP);
    from("ghost.example.com"); /* NXDOMAIN (§3.2.13) */
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_NP, DMARC_P_REJECT, DMARC_P_QUARANTINE);
    cr_assert(strstr(fake.log, "ghost.example.com/1\n") != NULL);
    /* RFC 7489 has no np: sp */
    mode(DMARC_MODE_RFC7489, false);
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_SP, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
}

Test(dmarc, np_absent_falls_back_to_sp_then_p_without_a_lookup, .init = setup,
     .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=none\"\n"
         "_dmarc.example.net. TXT \"v=DMARC1; p=quarantine\"\n");
    from("ghost.example.com");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_SP, DMARC_P_NONE, DMARC_P_NONE);
    cr_assert_eq(count_lines(fake.log, "/1\n"), 0); /* no existence query */
    from("ghost.example.net");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
}

Test(dmarc, existence_check_temperror, .init = setup, .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=none; np=reject\"\n"
         ";! timeout ghost.example.com.\n");
    from("ghost.example.com");
    run();
    cr_assert_eq(res.result, AV_TEMPERROR);
    cr_assert_eq(res.reason, DMARC_R_DNS_TEMPERROR);
    dkim("example.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(res.notes & DMARC_N_EXISTENCE_UNKNOWN);
}

Test(dmarc, missing_or_bad_p_with_rua_is_p_none, .init = setup, .fini = teardown)
{
    zone("_dmarc.a.example. TXT \"v=DMARC1; rua=mailto:d@a.example\"\n"
         "_dmarc.b.example. TXT \"v=DMARC1; p=reject; sp=bogus; rua=mailto:d@b.example\"\n"
         "_dmarc.c.example. TXT \"v=DMARC1; p=reject; np=bogus\"\n"
         "_dmarc.d.example. TXT \"v=DMARC1; sp=reject; np=reject\"\n"
         "_dmarc.e.example. TXT \"v=DMARC1; p=bogus; rua=bad uri\"\n");
    from("a.example");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
    cr_assert(res.notes & DMARC_N_P_NONE_BY_RUA);
    from("b.example");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
    from("c.example");
    run();
    EXPECT(AV_PERMERROR, DMARC_R_INVALID_POLICY, DMARC_TAG_NONE, DMARC_P_UNSET, DMARC_P_UNSET);
    cr_assert_eq(dmarc_class(&res), DMARC_C_UNDETERMINED);
    mode(DMARC_MODE_RFC7489, false); /* np is no tag of RFC 7489's */
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_REJECT, DMARC_P_REJECT);
    mode(DMARC_MODE_RFC9989, false);
    from("d.example");
    run();
    cr_assert_eq(res.result, AV_PERMERROR);
    from("e.example");
    run();
    cr_assert_eq(res.result, AV_PERMERROR);
}

Test(dmarc, multiple_records_are_discarded, .init = setup, .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
         "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
         "_dmarc.example.com. TXT \"some other text\"\n"
         "_dmarc.one.example. TXT \"v=DMARC1; p=reject\"\n"
         "_dmarc.one.example. TXT \"v=spf1 -all\"\n");
    from("example.com");
    run();
    EXPECT(AV_NONE, DMARC_R_MULTIPLE_RECORDS, DMARC_TAG_NONE, DMARC_P_UNSET, DMARC_P_UNSET);
    cr_assert(res.notes & DMARC_N_MULTIPLE_RECORDS);
    from("one.example"); /* non-DMARC TXT records do not count */
    run();
    cr_assert_eq(res.result, AV_FAIL);
}

Test(dmarc, temperrors, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE ";! timeout _dmarc.slow.example. TXT\n"
                   ";! servfail _dmarc.sub.example.com. TXT\n");
    from("slow.example");
    dkim("slow.example", AV_PASS);
    run();
    EXPECT(AV_TEMPERROR, DMARC_R_DNS_TEMPERROR, DMARC_TAG_NONE, DMARC_P_UNSET, DMARC_P_UNSET);
    cr_assert_eq(dmarc_class(&res), DMARC_C_UNDETERMINED);
    /* an aligned identifier with a temperror and nothing passing: temperror (§5.3.6) */
    in.n_sigs = 0;
    from("example.com");
    dkim("example.com", AV_TEMPERROR);
    spf("other.net", AV_FAIL);
    run();
    cr_assert_eq(res.result, AV_TEMPERROR);
    cr_assert_eq(res.reason, DMARC_R_AUTH_TEMPERROR);
    cr_assert_eq(res.disposition, DMARC_P_NONE);
    /* ... but a pass elsewhere wins, and unaligned temperrors do not matter */
    spf("example.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_PASS);
    in.n_sigs = 0;
    dkim("other.net", AV_TEMPERROR);
    spf("other.net", AV_TEMPERROR);
    run();
    cr_assert_eq(res.result, AV_FAIL);
    /* a tree walk for an identifier that fails: the alignment is unknown */
    in.n_sigs = 0;
    spf("x.sub.example.com", AV_PASS);
    run();
    cr_assert_eq(res.result, AV_TEMPERROR);
    cr_assert_eq(res.reason, DMARC_R_DNS_TEMPERROR);
}

Test(dmarc, pending_stops_and_reruns, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("example.com");
    fake.pending_name = S("_dmarc.example.com");
    run();
    cr_assert(res.pending);
    fake.pending_name = SLICE_NULL;
    run();
    cr_assert(!res.pending);
    cr_assert_eq(res.result, AV_FAIL);
}

Test(dmarc, pct_in_rfc7489_is_deterministic_and_ignored_in_rfc9989, .init = setup,
     .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50; rf=afrf; ri=60\"\n");
    from("example.com");
    mode(DMARC_MODE_RFC7489, false);
    unsigned in_pct = 0;
    for (unsigned i = 0; i < 200; i++) {
        char key[32];
        snprintf(key, sizeof(key), "<%u@example.com>", i);
        in.msg_key = S(key);
        run();
        enum dmarc_policy first = res.disposition;
        run();
        cr_assert_eq(res.disposition, first, "two runs agree");
        cr_assert(res.testing);
        if (first == DMARC_P_REJECT) {
            in_pct++;
        } else {
            cr_assert_eq(first, DMARC_P_QUARANTINE); /* §6.6.4: reject -> quarantine */
            cr_assert(res.notes & DMARC_N_PCT_NOT_SAMPLED);
        }
    }
    cr_assert(in_pct > 70 && in_pct < 130, "%u of 200 sampled", in_pct);
    mode(DMARC_MODE_RFC9989, false);
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_REJECT, DMARC_P_QUARANTINE);
    cr_assert(res.notes & DMARC_N_PCT_IGNORED);
    cr_assert(res.notes & DMARC_N_RF_IGNORED);
    cr_assert(res.notes & DMARC_N_RI_IGNORED);
    cr_assert(!res.testing);
}

Test(dmarc, pct_zero_never_applies_in_rfc7489, .init = setup, .fini = teardown)
{
    zone("_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; pct=0\"\n");
    from("example.com");
    mode(DMARC_MODE_RFC7489, false);
    in.msg_key = S("<any@example.com>");
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
}

Test(dmarc, both_mode_marks_differences, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("example.com");
    mode(DMARC_MODE_BOTH, false);
    run();
    cr_assert_eq(res.mode, DMARC_MODE_RFC9989);
    cr_assert_eq(other.mode, DMARC_MODE_RFC7489);
    cr_assert(res.other == &other);
    cr_assert(res.differs); /* quarantine (§7.4) vs reject */
    dkim("example.com", AV_PASS);
    run();
    cr_assert(!res.differs);
}

Test(dmarc, json_object_keys_in_order, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("Example.COM");
    dkim("example.com", AV_PASS);
    run();
    struct sbuf b;
    sbuf_init(&b, 1 << 16);
    cr_assert(dmarc_result_json(&b, &res));
    cr_assert_str_eq((const char *)b.ptr,
                     "{\"result\":\"pass\",\"domain\":\"example.com\","
                     "\"policy_domain\":\"example.com\",\"org_domain\":\"example.com\","
                     "\"policy\":\"p\",\"policy_disposition\":\"none\","
                     "\"disposition\":\"none\",\"dkim_aligned\":\"example.com\","
                     "\"spf_aligned\":false,\"testing\":false,\"reason\":null,"
                     "\"mode\":\"rfc9989\",\"class\":\"authenticated\",\"auth_pass\":true,"
                     "\"published\":\"reject\","
                     "\"adkim\":\"r\",\"aspf\":\"r\",\"fo\":\"0\",\"notes\":[\"spf_not_run\"]}");
    sbuf_reset(&b);
    in.n_sigs = 0;
    from(NULL);
    in.from_error = "no_from";
    mode(DMARC_MODE_BOTH, false);
    run();
    cr_assert(dmarc_result_json(&b, &res));
    cr_assert_str_eq((const char *)b.ptr,
                     "{\"result\":\"none\",\"domain\":null,\"policy_domain\":null,"
                     "\"org_domain\":null,\"policy\":null,\"policy_disposition\":null,"
                     "\"disposition\":null,\"dkim_aligned\":null,\"spf_aligned\":false,"
                     "\"testing\":false,\"reason\":\"no_author_domain\",\"mode\":\"rfc9989\","
                     "\"class\":\"undetermined\",\"auth_pass\":false,\"published\":null,"
                     "\"detail\":\"no_from\","
                     "\"notes\":[\"spf_not_run\"],\"differs\":false,\"other\":"
                     "{\"result\":\"none\",\"domain\":null,\"policy_domain\":null,"
                     "\"org_domain\":null,\"policy\":null,\"policy_disposition\":null,"
                     "\"disposition\":null,\"dkim_aligned\":null,\"spf_aligned\":false,"
                     "\"testing\":false,\"reason\":\"no_author_domain\",\"mode\":\"rfc7489\","
                     "\"class\":\"undetermined\",\"auth_pass\":false,\"published\":null,"
                     "\"detail\":\"no_from\","
                     "\"notes\":[\"spf_not_run\"]}}");
    sbuf_cleanup(&b);
}

/* ---- the DNS Tree Walk ------------------------------------------------------------------- */


Test(dmarc_walk, rfc9989_4_10_eight_queries_for_a_long_name, .init = setup, .fini = teardown)
{
    zone("example.com. A 192.0.2.1\n");
    from("a.b.c.d.e.f.g.h.i.j.mail.example.com");
    run();
    cr_assert_str_eq(fake.log, "_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com/16\n"
                               "_dmarc.g.h.i.j.mail.example.com/16\n"
                               "_dmarc.h.i.j.mail.example.com/16\n"
                               "_dmarc.i.j.mail.example.com/16\n"
                               "_dmarc.j.mail.example.com/16\n"
                               "_dmarc.mail.example.com/16\n"
                               "_dmarc.example.com/16\n"
                               "_dmarc.com/16\n");
    cr_assert_eq(res.reason, DMARC_R_NO_POLICY);
}

Test(dmarc_walk, label_counts_around_the_bound, .init = setup, .fini = teardown)
{
    slice t[ORGDOM_WALK_MAX];
    cr_assert_eq(orgdom_walk_targets(S("a.b.c.d.e.f.g.h"), t), 8); /* 8 labels: 8,7,...,1 */
    cr_assert(eqs(t[1], "b.c.d.e.f.g.h"));
    cr_assert_eq(orgdom_walk_targets(S("z.a.b.c.d.e.f.g.h"), t), 8); /* 9: 9,7,...,1 */
    cr_assert(eqs(t[1], "b.c.d.e.f.g.h"));
    cr_assert(eqs(t[7], "h"));
    cr_assert_eq(orgdom_walk_targets(S("b.c.d.e.f.g.h"), t), 7);
    cr_assert_eq(orgdom_walk_targets(S("com"), t), 1);
    cr_assert_eq(orgdom_walk_targets(S(""), t), 0);
}

Test(dmarc_walk, fewest_labels_record_is_the_org_domain_and_its_policy, .init = setup,
     .fini = teardown)
{
    /* §4.10.2 example: records at mail.example.com and example.com, none at com */
    zone("_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n"
         "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
         "a.mail.example.com. A 192.0.2.1\n");
    from("a.mail.example.com");
    run();
    cr_assert(eqs(res.org_domain, "example.com"));
    cr_assert(eqs(res.policy_domain, "example.com")); /* §4.10.1: the org domain's record */
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_SP, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
    from("mail.example.com"); /* its own record applies, p; org domain still example.com */
    run();
    cr_assert(eqs(res.policy_domain, "mail.example.com"));
    cr_assert(eqs(res.org_domain, "example.com"));
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
}

Test(dmarc_walk, psd_n_stops_and_is_the_org_domain, .init = setup, .fini = teardown)
{
    zone("_dmarc.mail.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n"
         "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
         "a.mail.example.com. A 192.0.2.1\n");
    from("a.mail.example.com");
    spf("b.mail.example.com", AV_PASS);
    run();
    cr_assert(eqs(res.org_domain, "mail.example.com"));
    cr_assert(strstr(fake.log, "_dmarc.example.com/16") == NULL, "psd=n stops the walk");
    cr_assert_eq(res.result, AV_PASS);
    spf("other.example.com", AV_PASS); /* org example.com: not aligned */
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_REJECT, DMARC_P_QUARANTINE);
}

Test(dmarc_walk, rfc9989_b_4_3_psd_y, .init = setup, .fini = teardown)
{
    zone("_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
         "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=quarantine\"\n"
         "giant.bank.example. A 192.0.2.1\n");
    from("giant.bank.example");
    spf("mail.giant.bank.example", AV_PASS);
    dkim("mail.mega.bank.example", AV_PASS);
    run();
    cr_assert(eqs(res.org_domain, "giant.bank.example"));
    cr_assert(eqs(res.policy_domain, "giant.bank.example"));
    cr_assert_eq(res.result, AV_PASS);
    cr_assert(res.spf_aligned && res.dkim_aligned.ptr == NULL);
    in.spf_ran = false;
    run();
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
}

Test(dmarc_walk, psd_record_applies_when_the_org_domain_has_none, .init = setup,
     .fini = teardown)
{
    zone("_dmarc.bank.example. TXT \"v=DMARC1; p=none; sp=quarantine; np=reject; psd=y\"\n"
         "_dmarc.b.c.bank.example. TXT \"v=DMARC1; p=none\"\n"
         "x.c.bank.example. A 192.0.2.1\n");
    from("x.c.bank.example");
    run();
    /* walk: x.c (none), c (none), bank.example psd=y: stop; org = c.bank.example, which
     * has no record, so the PSD's record applies (§4.10.1), sp: the name exists */
    cr_assert(eqs(res.org_domain, "c.bank.example"));
    cr_assert(eqs(res.policy_domain, "bank.example"));
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_SP, DMARC_P_QUARANTINE,
           DMARC_P_QUARANTINE);
    from("a.b.c.bank.example"); /* the record at b.c.bank.example is neither author, org
                                  domain (c.bank.example) nor PSD: §4.10.1 skips it */
    run();
    cr_assert(eqs(res.org_domain, "c.bank.example"));
    cr_assert(eqs(res.policy_domain, "bank.example"));
    cr_assert_eq(res.policy, DMARC_TAG_NP);
    from("bank.example"); /* psd=y at the starting domain: its own org domain, p */
    run();
    cr_assert(eqs(res.org_domain, "bank.example"));
    EXPECT(AV_FAIL, DMARC_R_NO_ALIGNED_PASS, DMARC_TAG_P, DMARC_P_NONE, DMARC_P_NONE);
}

Test(dmarc_walk, psd_u_does_not_stop, .init = setup, .fini = teardown)
{
    zone("_dmarc.a.example.com. TXT \"v=DMARC1; p=none; psd=u\"\n"
         "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n");
    from("a.example.com");
    run();
    cr_assert(eqs(res.org_domain, "example.com"));
    cr_assert(eqs(res.policy_domain, "a.example.com"));
    cr_assert_eq(count_lines(fake.log, "/16\n"), 3);
}

Test(dmarc_walk, one_walk_per_domain_for_the_run, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    from("mail.example.com");
    dkim("example.com", AV_PASS);
    run();
    unsigned q = fake.queries;
    for (int i = 0; i < 1000; i++) {
        run();
    }
    cr_assert_eq(fake.queries, q, "no more queries after the first message");
    uint64_t walks, hits;
    dmarc_ctx_stats(ctx, &walks, &hits);
    cr_assert_eq(walks, 2); /* author + d= */
    cr_assert_eq(hits, 2000);
}

/* ---- orgdomain ------------------------------------------------------------------------- */

Test(orgdomain, select_rules, .init = setup, .fini = teardown)
{
    slice start = S("a.mail.example.com");
    struct orgdom_found f[4] = {
        { S("a.mail.example.com"), false, ORGDOM_PSD_U },
        { S("mail.example.com"), true, ORGDOM_PSD_U },
        { S("example.com"), true, ORGDOM_PSD_U },
        { S("com"), false, ORGDOM_PSD_U },
    };
    cr_assert(eqs(orgdom_walk_select(start, f, 4), "example.com"));
    f[1].psd = ORGDOM_PSD_N;
    cr_assert(eqs(orgdom_walk_select(start, f, 2), "mail.example.com"));
    f[1].has_record = false;
    f[2].has_record = false;
    f[3] = (struct orgdom_found){ S("com"), true, ORGDOM_PSD_Y };
    cr_assert(eqs(orgdom_walk_select(start, f, 4), "example.com"));
    f[3].has_record = false;
    cr_assert(eqs(orgdom_walk_select(start, f, 4), "a.mail.example.com"));
    f[0] = (struct orgdom_found){ start, true, ORGDOM_PSD_Y };
    cr_assert(eqs(orgdom_walk_select(start, f, 1), "a.mail.example.com"));
}

Test(orgdomain, psd_y_one_label_below_across_a_shortened_walk, .init = setup,
     .fini = teardown)
{
    slice start = S("q.w.e.r.t.y.u.i.example.com"); /* 10 labels */
    struct orgdom_found f[2] = {
        { start, false, ORGDOM_PSD_U },
        { S("com"), true, ORGDOM_PSD_Y },
    };
    cr_assert(eqs(orgdom_walk_select(start, f, 2), "example.com"));
    f[1] = (struct orgdom_found){ S("y.u.i.example.com"), true, ORGDOM_PSD_Y };
    /* one label below a 5-label PSD: t.y.u.i.example.com, never queried itself */
    cr_assert(eqs(orgdom_walk_select(start, f, 2), "t.y.u.i.example.com"));
}

Test(orgdomain, helpers, .init = setup, .fini = teardown)
{
    cr_assert_eq(orgdom_label_count(S("a.b.c")), 3);
    cr_assert(eqs(orgdom_suffix(S("a.b.c"), 2), "b.c"));
    cr_assert(eqs(orgdom_suffix(S("a.b.c"), 5), "a.b.c"));
    cr_assert(orgdom_is_under(S("x.Example.com"), S("example.com")));
    cr_assert(orgdom_is_under(S("example.com"), S("example.com")));
    cr_assert(!orgdom_is_under(S("xexample.com"), S("example.com")));
    cr_assert(!orgdom_is_under(S("com"), S("example.com")));
}

Test(orgdomain, psl_lookup, .init = setup, .fini = teardown)
{
    char err[256];
    char path[512];
    snprintf(path, sizeof(path), "%s/conformance/dmarc-psl/public_suffix_list.dat",
             test_shared_dir());
    struct orgdom_psl *p = orgdom_psl_new(path, err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    slice o;
    cr_assert(orgdom_psl_lookup(p, S("a.b.Example.CO.uk"), &o));
    cr_assert(eqs(o, "Example.CO.uk")); /* a view into the name */
    cr_assert(!orgdom_psl_lookup(p, S("co.uk"), &o));
    cr_assert(!orgdom_psl_lookup(p, S(".example.com"), &o));
    cr_assert(!orgdom_psl_lookup(p, S("a..example.com"), &o));
    cr_assert(!orgdom_psl_lookup(p, S(""), &o));
    orgdom_psl_free(p);
    cr_assert_null(orgdom_psl_new("/nonexistent/psl.dat", err, sizeof(err)));
}

/* ---- threads share the cache ------------------------------------------------------------ */

#include <pthread.h>

struct thread_arg {
    struct dns_resolver *r;
    unsigned passes;
};

static void *eval_thread(void *p)
{
    struct thread_arg *t = p;
    struct arena *a = arena_new(0);
    struct dkim_sig s = { .d = SLICE_LIT("mail.example.com"), .result = AV_PASS };
    for (int i = 0; i < 2000; i++) {
        arena_reset(a);
        char dom[64];
        snprintf(dom, sizeof(dom), "h%d.example.com", i % 50);
        struct dmarc_input min = { .from_domain = slice_make(dom, strlen(dom)), .sigs = &s,
                                   .n_sigs = 1 };
        struct dmarc_result mres;
        dmarc_evaluate(ctx, a, t->r, &min, &mres, NULL);
        t->passes += mres.result == AV_PASS && eqs(mres.policy_domain, "example.com");
    }
    arena_free(a);
    return NULL;
}

Test(dmarc_walk, threads_share_one_cache, .init = setup, .fini = teardown)
{
    zone(Z_EXAMPLE);
    struct thread_arg t[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        t[i] = (struct thread_arg){ .r = fake.inner };
        cr_assert_eq(pthread_create(&th[i], NULL, eval_thread, &t[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(t[i].passes, 2000);
    }
    uint64_t walks, hits;
    dmarc_ctx_stats(ctx, &walks, &hits);
    /* 51 distinct walks (50 authors + the d=), give or take races that build twice */
    cr_assert(walks >= 51 && walks <= 51 * 8, "%llu walks", (unsigned long long)walks);
    cr_assert_eq(walks + hits, 8 * 2000 * 2);
}
