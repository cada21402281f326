/* ARC chain validation (engine/verify/arc.c): each structural rule of RFC 8617 §5.2 with the
 * reason it gives, instance-number edge cases (0, 51, malformed, duplicates, gaps, more than
 * 50 sets), DNS outcomes, the JSON object, and arc_trusted_dmarc_pass.
 *
 * Structural checks come before any signature check, so those messages need no valid
 * signature: their fields carry placeholder b=/bh= values and the zone is empty. A passing
 * chain comes from the ValiMail suite (tests/vectors/arc/validation/cv_pass_i2_1.eml, sealed
 * by example.org with key dummy, zone 01). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/header/hdr.h"
#include "engine/verify/arc.h"
#include "engine/verify/dkim_internal.h"
#include "tests/support/guard.h"

#define NOW 1500000000LL
#define MSG_CAP 65536

static const char body_part[] =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "Hello.\r\n";

struct set_spec {
    const char *as_i, *ams_i, *aar_i; /* i= values as written; NULL: leave the field out */
    const char *cv;
};

/* add_set prepends nothing: sets are appended in the order given (top first). */
static void add_set(char *m, const struct set_spec *s)
{
    size_t n = strlen(m);
    if (s->as_i) {
        n += (size_t)snprintf(m + n, MSG_CAP - n,
                              "ARC-Seal: i=%s; a=rsa-sha256; cv=%s; d=example.org; s=sel;\r\n"
                              "\tb=AAAA\r\n",
                              s->as_i, s->cv ? s->cv : "none");
    }
    if (s->ams_i) {
        n += (size_t)snprintf(m + n, MSG_CAP - n,
                              "ARC-Message-Signature: i=%s; a=rsa-sha256; c=relaxed/relaxed;\r\n"
                              "\td=example.org; s=sel; h=from:to:subject; bh=AAAA; b=AAAA\r\n",
                              s->ams_i);
    }
    if (s->aar_i) {
        snprintf(m + n, MSG_CAP - n,
                 "ARC-Authentication-Results: i=%s; mx.example.org; dmarc=pass\r\n", s->aar_i);
    }
}

static char *build(const struct set_spec *sets, size_t n_sets)
{
    char *m = calloc(1, MSG_CAP);
    for (size_t k = 0; k < n_sets; k++) {
        add_set(m, &sets[k]);
    }
    strncat(m, body_part, MSG_CAP - strlen(m) - 1);
    return m;
}

struct run {
    struct arc_result res;
    char reason[ARC_REASON_MAX];
    char json[8192];
    struct arena *a;
};

static void verify_with_zone(struct run *out, const char *msg, const char *zone)
{
    char err[256];
    struct dns_resolver *r =
        snapshot_load_mem(slice_make(zone, strlen(zone)), "test.zone", err, sizeof err);
    cr_assert_not_null(r, "zone: %s", err);
    out->a = arena_new(0);
    struct hdr_index h;
    (void)hdr_parse(out->a, &h, guard_bytes(msg, strlen(msg)));
    struct keycache *kc = keycache_new();
    struct dkim_thread *t = dkim_thread_new();
    struct dkim_opts o = { .max_sigs = 10, .now = NOW, .clock_skew = 300 };
    arc_verify_message(t, out->a, r, kc, &o, &h, NULL, &out->res);
    char buf[ARC_REASON_MAX];
    const char *why = arc_reason_text(&out->res, buf);
    snprintf(out->reason, sizeof out->reason, "%s", why ? why : "");
    struct sbuf sb;
    sbuf_init(&sb, sizeof out->json - 1);
    cr_assert(arc_result_json(&sb, &out->res));
    snprintf(out->json, sizeof out->json, "%.*s", (int)sb.len, (const char *)sb.ptr);
    sbuf_cleanup(&sb);
    dkim_thread_free(t);
    keycache_free(kc);
    dns_resolver_free(r);
}

static void expect_fail(const struct set_spec *sets, size_t n, const char *reason)
{
    char *m = build(sets, n);
    struct run r;
    verify_with_zone(&r, m, "\n");
    cr_expect_eq(r.res.result, AV_FAIL, "result %s", auth_verdict_name(r.res.result));
    cr_expect_str_eq(r.reason, reason);
    cr_expect(!r.res.pending);
    arena_free(r.a);
    free(m);
}

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

Test(arc, no_arc_fields_is_none)
{
    struct run r;
    verify_with_zone(&r, body_part, "\n");
    cr_expect_eq(r.res.result, AV_NONE);
    cr_expect_eq(r.res.instances, 0);
    cr_expect_str_eq(r.json, "{\"result\":\"none\",\"instances\":0,\"reason\":null,"
                             "\"oldest_pass\":null,\"sealers\":[],\"first_results\":null}");
    arena_free(r.a);
}

Test(arc, instance_zero_is_invalid)
{
    const struct set_spec s[] = { { "0", "1", "1", "none" } };
    expect_fail(s, 1, "as_instance_invalid i=0");
}

Test(arc, instance_51_is_invalid)
{
    const struct set_spec s[] = { { "1", "51", "1", "none" } };
    expect_fail(s, 1, "ams_instance_invalid i=51");
}

Test(arc, instance_three_digits_is_invalid)
{
    const struct set_spec s[] = { { "001", "1", "1", "none" } };
    expect_fail(s, 1, "as_instance_invalid i=1");
}

Test(arc, instance_not_a_number_is_invalid)
{
    const struct set_spec s[] = { { "1", "1", "x1", "none" } };
    expect_fail(s, 1, "aar_instance_invalid");
}

Test(arc, aar_without_leading_instance_is_invalid)
{
    char *m = calloc(1, MSG_CAP);
    const struct set_spec s[] = { { "1", "1", NULL, "none" } };
    add_set(m, &s[0]);
    strcat(m, "ARC-Authentication-Results: mx.example.org; i=1; dmarc=pass\r\n");
    strcat(m, body_part);
    struct run r;
    verify_with_zone(&r, m, "\n");
    cr_expect_str_eq(r.reason, "aar_instance_invalid");
    arena_free(r.a);
    free(m);
}

Test(arc, as_without_instance_is_invalid)
{
    char *m = calloc(1, MSG_CAP);
    strcat(m, "ARC-Seal: a=rsa-sha256; cv=none; d=example.org; s=sel; b=AAAA\r\n");
    const struct set_spec s[] = { { NULL, "1", "1", "none" } };
    add_set(m, &s[0]);
    strcat(m, body_part);
    struct run r;
    verify_with_zone(&r, m, "\n");
    cr_expect_str_eq(r.reason, "as_instance_invalid");
    arena_free(r.a);
    free(m);
}

Test(arc, duplicate_instance_fails)
{
    const struct set_spec s[] = { { "1", "1", "1", "none" }, { "1", NULL, NULL, "none" } };
    expect_fail(s, N_OF(s), "as_duplicate i=1");
}

Test(arc, duplicate_aar_fails)
{
    const struct set_spec s[] = { { "1", "1", "1", "none" }, { NULL, NULL, "1", NULL } };
    expect_fail(s, N_OF(s), "aar_duplicate i=1");
}

Test(arc, gap_fails)
{
    const struct set_spec s[] = { { "3", "3", "3", "pass" }, { "1", "1", "1", "none" } };
    expect_fail(s, N_OF(s), "instance_gap i=2");
}

Test(arc, set_without_ams_fails)
{
    const struct set_spec s[] = { { "2", "2", "2", "pass" }, { "1", NULL, "1", "none" } };
    expect_fail(s, N_OF(s), "ams_missing i=1");
}

Test(arc, set_without_seal_fails)
{
    const struct set_spec s[] = { { NULL, "1", "1", NULL } };
    expect_fail(s, 1, "as_missing i=1");
}

Test(arc, cv_fail_in_newest_seal_ends_the_chain)
{
    const struct set_spec s[] = { { "2", "2", "2", "fail" }, { "1", "1", "1", "none" } };
    expect_fail(s, N_OF(s), "cv_fail i=2");
}

Test(arc, cv_fail_in_an_older_seal_ends_the_chain)
{
    const struct set_spec s[] = { { "2", "2", "2", "pass" }, { "1", "1", "1", "fail" } };
    expect_fail(s, N_OF(s), "cv_fail i=1");
}

Test(arc, cv_fail_wins_over_a_gap)
{
    /* §5.2 step 2 comes before the structure check of step 3. */
    const struct set_spec s[] = { { "3", "3", "3", "fail" }, { "1", "1", "1", "none" } };
    expect_fail(s, N_OF(s), "cv_fail i=3");
}

Test(arc, first_seal_must_say_none)
{
    const struct set_spec s[] = { { "1", "1", "1", "pass" } };
    expect_fail(s, 1, "cv_not_none i=1");
}

Test(arc, later_seal_must_say_pass)
{
    const struct set_spec s[] = { { "2", "2", "2", "none" }, { "1", "1", "1", "none" } };
    expect_fail(s, N_OF(s), "cv_not_pass i=2");
}

Test(arc, unknown_cv_value_fails)
{
    const struct set_spec s[] = { { "1", "1", "1", "maybe" } };
    expect_fail(s, 1, "as_cv_invalid i=1");
}

Test(arc, fifty_sets_are_allowed_and_51_are_not)
{
    struct set_spec s[51];
    char nums[51][4];
    for (int k = 0; k < 51; k++) {
        snprintf(nums[k], sizeof nums[k], "%d", 51 - k);
        s[k] = (struct set_spec){ nums[k], nums[k], nums[k], k == 50 ? "none" : "pass" };
    }
    /* 50 sets: the structure holds; the AMS of i=50 has no key. */
    expect_fail(s + 1, 50, "ams_key_not_found i=50");
    /* 51 sets: too many (§5.2 step 1), before the i=51 syntax error. */
    expect_fail(s, 51, "too_many_sets");
}

Test(arc, missing_key_names_the_instance)
{
    const struct set_spec s[] = { { "2", "2", "2", "pass" }, { "1", "1", "1", "none" } };
    expect_fail(s, N_OF(s), "ams_key_not_found i=2");
}

Test(arc, dns_timeout_is_a_failure_with_the_dns_reason)
{
    const struct set_spec s[] = { { "1", "1", "1", "none" } };
    char *m = build(s, 1);
    struct run r;
    verify_with_zone(&r, m, ";! timeout sel._domainkey.example.org. TXT\n");
    cr_expect_eq(r.res.result, AV_FAIL); /* RFC 8617 §5.2.1: all failures are permanent */
    cr_expect_str_eq(r.reason, "ams_dns_temperror i=1");
    arena_free(r.a);
    free(m);
}

static enum dkim_reason parse_as(enum dkim_profile p, const char *value)
{
    struct arena *a = arena_new(0);
    struct dkim_sig sig;
    struct dkim_parsed ps;
    memset(&sig, 0, sizeof sig);
    memset(&ps, 0, sizeof ps);
    enum dkim_reason r = dkim_sig_parse(a, p, guard_slice(value), &sig, &ps);
    arena_free(a);
    return r;
}

Test(arc, profile_rules_of_the_shared_parser)
{
    /* RFC 8617 §4.1.3: h= is not allowed in a seal; the seal needs cv=. */
    cr_expect_eq(parse_as(DKIM_PROFILE_AS, "i=1; a=rsa-sha256; cv=none; d=e.org; s=s; b=AAAA"),
                 DKIM_R_NONE);
    cr_expect_eq(parse_as(DKIM_PROFILE_AS,
                          "i=1; a=rsa-sha256; cv=none; d=e.org; s=s; h=from; b=AAAA"),
                 DKIM_R_SIG_SYNTAX);
    cr_expect_eq(parse_as(DKIM_PROFILE_AS, "i=1; a=rsa-sha256; d=e.org; s=s; b=AAAA"),
                 DKIM_R_SIG_SYNTAX);
    /* An empty tag-spec is a syntax error for ARC (suite as_format_tags_sc). */
    cr_expect_eq(parse_as(DKIM_PROFILE_AS, "i=1; a=rsa-sha256; cv=none; d=e.org; s=s;; b=AAAA"),
                 DKIM_R_SIG_SYNTAX);
    /* §4.1.2: no v= needed for the AMS, i= is the instance, h= must not name ARC-Seal. */
    cr_expect_eq(parse_as(DKIM_PROFILE_AMS,
                          "i=2; a=rsa-sha256; d=e.org; s=s; h=to:subject; bh=AAAA; b=AAAA"),
                 DKIM_R_NONE);
    cr_expect_eq(parse_as(DKIM_PROFILE_AMS,
                          "i=2; a=rsa-sha256; d=e.org; s=s; h=to:ARC-Seal; bh=AAAA; b=AAAA"),
                 DKIM_R_SIG_SYNTAX);
    cr_expect_eq(parse_as(DKIM_PROFILE_AMS,
                          "i=2; a=foo-sha256; d=e.org; s=s; h=to; bh=AAAA; b=AAAA"),
                 DKIM_R_UNSUPPORTED_ALGORITHM);
    /* The same value as a DKIM-Signature: v= and From are required there. */
    cr_expect_eq(parse_as(DKIM_PROFILE_DKIM,
                          "i=2; a=rsa-sha256; d=e.org; s=s; h=to; bh=AAAA; b=AAAA"),
                 DKIM_R_SIG_SYNTAX);
}

/* ---- a passing chain from the suite ---------------------------------------------------- */

static char *suite_file(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/vectors/arc/%s", test_root_dir(), rel);
    size_t len;
    char *text = test_read_file(path, &len);
    cr_assert_not_null(text, "cannot read %s", path);
    return text;
}

Test(arc, suite_chain_passes_and_serializes)
{
    char *m = suite_file("validation/cv_pass_i2_1.eml");
    char *zone = suite_file("validation/01.zone");
    struct run r;
    verify_with_zone(&r, m, zone);
    cr_expect_eq(r.res.result, AV_PASS, "%s", r.reason);
    cr_expect_eq(r.res.instances, 2);
    cr_expect_eq(r.res.oldest_pass, 1);
    cr_expect_eq(r.res.n_sealers, 2);
    cr_expect(strstr(r.json, "\"result\":\"pass\",\"instances\":2,\"reason\":null,"
                             "\"oldest_pass\":1,\"sealers\":[{\"i\":1,\"d\":\"example.org\","
                             "\"s\":\"dummy\"},{\"i\":2,\"d\":\"example.org\",\"s\":\"dummy\"}]") !=
                  NULL,
              "%s", r.json);
    cr_expect(strstr(r.json, "\"first_results\":{\"authserv_id\":\"lists.example.org\","
                             "\"spf\":{\"result\":\"pass\"") != NULL,
              "%s", r.json);
    cr_expect(strstr(r.json, "\"source\":\"arc-authentication-results\"") != NULL, "%s",
              r.json);
    cr_expect(strstr(r.json, "\"dmarc\":{\"result\":\"pass\"") != NULL, "%s", r.json);
    arena_free(r.a);
    free(zone);
    free(m);
}

Test(arc, older_ams_failure_sets_oldest_pass_but_the_chain_passes)
{
    char *m = suite_file("validation/cv_pass_i2_1_ams1_invalid.eml");
    char *zone = suite_file("validation/01.zone");
    struct run r;
    verify_with_zone(&r, m, zone);
    cr_expect_eq(r.res.result, AV_PASS, "%s", r.reason);
    cr_expect_eq(r.res.oldest_pass, 2);
    arena_free(r.a);
    free(zone);
    free(m);
}

/* ---- arc_trusted_dmarc_pass -------------------------------------------------------------- */

static struct arc_result fake_result(enum auth_verdict v, struct arc_sealer *s, size_t n)
{
    struct arc_result r;
    memset(&r, 0, sizeof r);
    r.result = v;
    r.sealers = s;
    r.n_sealers = n;
    return r;
}

Test(arc, trusted_dmarc_pass_needs_a_trusted_sealer_whose_own_aar_says_pass)
{
    struct arc_sealer s[] = {
        { 1, SLICE_LIT("lists.example.org"), SLICE_LIT("a"), true },
        { 2, SLICE_LIT("relay.example.net"), SLICE_LIT("b"), false },
    };
    const slice trusted_list[] = { SLICE_LIT("LISTS.Example.ORG") };
    const slice trusted_relay[] = { SLICE_LIT("relay.example.net") };
    const slice trusted_parent[] = { SLICE_LIT("example.org") };
    struct arc_result r = fake_result(AV_PASS, s, 2);
    cr_expect(arc_trusted_dmarc_pass(&r, trusted_list, 1, NULL)); /* case-insensitive d= */
    /* The relay is trusted but its own AAR does not say dmarc=pass; the list's claim is
     * not made by a trusted sealer. */
    cr_expect(!arc_trusted_dmarc_pass(&r, trusted_relay, 1, NULL));
    cr_expect(!arc_trusted_dmarc_pass(&r, trusted_parent, 1, NULL)); /* exact domain only */
    cr_expect(!arc_trusted_dmarc_pass(&r, NULL, 0, NULL));
    r.result = AV_FAIL;
    cr_expect(!arc_trusted_dmarc_pass(&r, trusted_list, 1, NULL)); /* the chain must pass */
    r.result = AV_NONE;
    cr_expect(!arc_trusted_dmarc_pass(&r, trusted_list, 1, NULL));
}

Test(arc, trusted_dmarc_pass_on_a_real_chain)
{
    char *m = suite_file("validation/cv_pass_i2_1.eml");
    char *zone = suite_file("validation/01.zone");
    struct run r;
    verify_with_zone(&r, m, zone);
    const slice yes[] = { SLICE_LIT("example.net"), SLICE_LIT("Example.Org") };
    const slice no[] = { SLICE_LIT("example.net") };
    cr_expect(arc_trusted_dmarc_pass(&r.res, yes, 2, NULL));
    cr_expect(!arc_trusted_dmarc_pass(&r.res, no, 1, NULL));
    arena_free(r.a);
    free(zone);
    free(m);
}
