/* DKIM verification: every reason of enum dkim_reason, produced by messages signed here
 * with keys made here (tests/support/dkim_sign.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/header/hdr.h"
#include "engine/verify/dkim.h"
#include "tests/support/dkim_sign.h"
#include "tests/support/guard.h"

static const char base_msg[] =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Lunch  on\r\n"
    "\tFriday\r\n"
    "Date: Mon, 4 Mar 2024 10:00:00 +0000\r\n"
    "\r\n"
    "Hello Bob,  \r\n"
    "see you\tthere.\r\n"
    "\r\n"
    "\r\n";

#define NOW 1709546400LL /* 2024-03-04T10:00:00Z */

struct fixture {
    struct sig_privkey *rsa, *ed;
    char zone[16384];
};

static struct fixture fx;

static void zone_add(const char *name, const char *txt)
{
    size_t n = strlen(fx.zone);
    snprintf(fx.zone + n, sizeof fx.zone - n, "%s. 3600 IN TXT %s\n", name, txt);
}

static void setup(void)
{
    fx.rsa = sig_privkey_generate(SIG_KEY_RSA, 1024);
    fx.ed = sig_privkey_generate(SIG_KEY_ED25519, 0);
    cr_assert(fx.rsa && fx.ed);
    fx.zone[0] = 0;
    char *t = tsign_key_txt(fx.rsa, "v=DKIM1; k=rsa; ");
    zone_add("sel._domainkey.example.com", t);
    free(t);
    t = tsign_key_txt(fx.ed, "v=DKIM1; k=ed25519; ");
    zone_add("ed._domainkey.example.com", t);
    free(t);
}

static void teardown(void)
{
    sig_privkey_free(fx.rsa);
    sig_privkey_free(fx.ed);
}

struct outcome {
    struct dkim_report rep;
    struct arena *a;
};

static struct outcome verify_opts(const char *msg, const struct dkim_opts *o)
{
    char err[256];
    struct dns_resolver *r =
        snapshot_load_mem(slice_make(fx.zone, strlen(fx.zone)), "test.zone", err, sizeof err);
    cr_assert_not_null(r, "zone: %s", err);
    struct outcome oc = { .a = arena_new(0) };
    struct hdr_index h;
    (void)hdr_parse(oc.a, &h, guard_bytes(msg, strlen(msg)));
    struct keycache *kc = keycache_new();
    struct dkim_thread *t = dkim_thread_new();
    dkim_verify_message(t, oc.a, r, kc, o, &h, &oc.rep);
    dkim_thread_free(t);
    keycache_free(kc); /* the report holds no key pointers */
    dns_resolver_free(r);
    return oc;
}

static struct outcome verify(const char *msg)
{
    struct dkim_opts o = { .max_sigs = 10, .now = NOW, .clock_skew = 300 };
    return verify_opts(msg, &o);
}

static void expect(const char *msg, enum auth_verdict v, enum dkim_reason why)
{
    struct outcome oc = verify(msg);
    cr_assert_eq(oc.rep.n, 1);
    cr_assert_eq(oc.rep.sig[0].reason, why, "reason %s, wanted %s (%s)",
                 dkim_reason_name(oc.rep.sig[0].reason), dkim_reason_name(why),
                 oc.rep.sig[0].detail ? oc.rep.sig[0].detail : "");
    cr_assert_eq(oc.rep.sig[0].result, v, "result %s", auth_verdict_name(oc.rep.sig[0].result));
    arena_free(oc.a);
}

static char *sign(struct tsign p)
{
    return tsign_message(p.a && strncmp(p.a, "ed25519", 7) == 0 ? fx.ed : fx.rsa, &p, base_msg);
}

TestSuite(dkim, .init = setup, .fini = teardown);

Test(dkim, rsa_relaxed_relaxed_passes)
{
    char *m = sign(tsign_defaults());
    struct outcome oc = verify(m);
    cr_assert_eq(oc.rep.n, 1);
    cr_assert_eq(oc.rep.sig[0].result, AV_PASS, "%s", dkim_reason_name(oc.rep.sig[0].reason));
    cr_assert_eq(oc.rep.sig[0].bits, 1024);
    cr_assert(slice_eq(oc.rep.sig[0].i, SLICE_LIT("@example.com")));
    free(m);
}

Test(dkim, simple_simple_passes_and_survives_lf_only_storage)
{
    struct tsign p = tsign_defaults();
    p.c = "simple/simple";
    char *m = sign(p);
    expect(m, AV_PASS, DKIM_R_NONE);
    /* The same message stored with LF line ends verifies the same (canon.h). */
    char *lf = malloc(strlen(m) + 1);
    size_t o = 0;
    for (size_t i = 0; m[i]; i++) {
        if (!(m[i] == '\r' && m[i + 1] == '\n')) {
            lf[o++] = m[i];
        }
    }
    lf[o] = 0;
    expect(lf, AV_PASS, DKIM_R_NONE);
    free(lf);
    free(m);
}

Test(dkim, missing_c_tag_means_simple_simple)
{
    struct tsign p = tsign_defaults();
    p.c = NULL;
    char *m = sign(p);
    expect(m, AV_PASS, DKIM_R_NONE);
    free(m);
}

Test(dkim, ed25519_passes)
{
    struct tsign p = tsign_defaults();
    p.a = "ed25519-sha256";
    p.s = "ed";
    char *m = sign(p);
    struct outcome oc = verify(m);
    cr_assert_eq(oc.rep.sig[0].result, AV_PASS, "%s", dkim_reason_name(oc.rep.sig[0].reason));
    cr_assert_eq(oc.rep.sig[0].bits, 256);
    free(m);
}

Test(dkim, tampered_body_is_body_hash_mismatch)
{
    char *m = sign(tsign_defaults());
    char *p = strstr(m, "see you");
    p[0] = 'S';
    expect(m, AV_FAIL, DKIM_R_BODY_HASH_MISMATCH);
    free(m);
}

Test(dkim, relaxed_body_ignores_whitespace_changes)
{
    char *m = sign(tsign_defaults());
    char *p = strstr(m, "see you\tthere.");
    memcpy(p, "see you there.", 14); /* tab -> space: same relaxed form */
    expect(m, AV_PASS, DKIM_R_NONE);
    free(m);
}

Test(dkim, tampered_signed_header_is_signature_mismatch)
{
    char *m = sign(tsign_defaults());
    char *p = strstr(m, "Lunch");
    p[0] = 'l';
    expect(m, AV_FAIL, DKIM_R_SIGNATURE_MISMATCH);
    free(m);
}

Test(dkim, unknown_selector_is_key_not_found)
{
    struct tsign p = tsign_defaults();
    p.s = "nosuch";
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_NOT_FOUND);
    free(m);
}

Test(dkim, empty_p_is_key_revoked)
{
    zone_add("rev._domainkey.example.com", "\"v=DKIM1; p=\"");
    struct tsign p = tsign_defaults();
    p.s = "rev";
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_REVOKED);
    free(m);
}

Test(dkim, garbage_key_is_key_syntax)
{
    zone_add("bad._domainkey.example.com", "\"v=DKIM1; p=AAAAB3NzaC1yc2E\"");
    zone_add("v2._domainkey.example.com", "\"v=DKIM2; p=AAAA\"");
    struct tsign p = tsign_defaults();
    p.s = "bad";
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_SYNTAX);
    free(m);
    p.s = "v2";
    m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_SYNTAX);
    free(m);
}

Test(dkim, rsa_512_is_key_too_small)
{
    struct sig_privkey *k = sig_privkey_generate(SIG_KEY_RSA, 512);
    char *t = tsign_key_txt(k, "v=DKIM1; ");
    zone_add("small._domainkey.example.com", t);
    struct tsign p = tsign_defaults();
    p.s = "small";
    char *m = tsign_message(k, &p, base_msg);
    expect(m, AV_POLICY, DKIM_R_KEY_TOO_SMALL);
    free(m);
    free(t);
    sig_privkey_free(k);
}

Test(dkim, ed25519_key_for_rsa_signature_is_key_type_mismatch)
{
    struct tsign p = tsign_defaults();
    p.s = "ed"; /* an ed25519 key record, an rsa-sha256 signature */
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_TYPE_MISMATCH);
    free(m);
}

Test(dkim, key_h_without_sha256_is_key_hash_not_allowed)
{
    char *t = tsign_key_txt(fx.rsa, "v=DKIM1; h=sha1; ");
    zone_add("h1._domainkey.example.com", t);
    struct tsign p = tsign_defaults();
    p.s = "h1";
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_HASH_NOT_ALLOWED);
    free(m);
    free(t);
}

Test(dkim, key_service_other_than_email_is_key_service)
{
    char *t = tsign_key_txt(fx.rsa, "v=DKIM1; s=tlsrpt; ");
    zone_add("svc._domainkey.example.com", t);
    struct tsign p = tsign_defaults();
    p.s = "svc";
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_SERVICE);
    free(m);
    free(t);
}

Test(dkim, strict_key_with_subdomain_identity_is_forbidden)
{
    char *t = tsign_key_txt(fx.rsa, "v=DKIM1; t=s; ");
    zone_add("strict._domainkey.example.com", t);
    struct tsign p = tsign_defaults();
    p.s = "strict";
    p.i = "alice@mail.example.com";
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_KEY_SUBDOMAIN_FORBIDDEN);
    free(m);
    p.i = "alice@example.com";
    m = sign(p);
    expect(m, AV_PASS, DKIM_R_NONE);
    free(m);
    free(t);
}

Test(dkim, testing_key_keeps_the_crypto_result_and_is_flagged)
{
    char *t = tsign_key_txt(fx.rsa, "v=DKIM1; t=y; ");
    zone_add("tst._domainkey.example.com", t);
    struct tsign p = tsign_defaults();
    p.s = "tst";
    char *m = sign(p);
    struct outcome oc = verify(m);
    cr_assert_eq(oc.rep.sig[0].result, AV_PASS);
    cr_assert_eq(oc.rep.sig[0].reason, DKIM_R_TESTING_KEY);
    cr_assert(oc.rep.sig[0].testing);
    strstr(m, "see you")[0] = 'X';
    oc = verify(m);
    cr_assert_eq(oc.rep.sig[0].result, AV_FAIL);
    cr_assert(oc.rep.sig[0].testing);
    free(m);
    free(t);
}

Test(dkim, x_before_evaluation_time_is_expired)
{
    struct tsign p = tsign_defaults();
    p.t = NOW - 7200;
    p.x = NOW - 3600;
    char *m = sign(p);
    expect(m, AV_POLICY, DKIM_R_EXPIRED);
    free(m);
}

Test(dkim, t_after_evaluation_time_is_future_beyond_clock_skew)
{
    struct tsign p = tsign_defaults();
    p.t = NOW + 100; /* within the 300 s allowance */
    char *m = sign(p);
    expect(m, AV_PASS, DKIM_R_NONE);
    free(m);
    p.t = NOW + 3600;
    m = sign(p);
    expect(m, AV_POLICY, DKIM_R_FUTURE);
    free(m);
}

Test(dkim, syntax_errors_are_sig_syntax)
{
    struct tsign p = tsign_defaults();
    p.v = "2";
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_SIG_SYNTAX);
    free(m);
    p = tsign_defaults();
    p.i = "alice@evil.example.net";
    m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_SIG_SYNTAX);
    free(m);
    p = tsign_defaults();
    p.h = "to:subject";
    m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_SIG_SYNTAX);
    free(m);
    p = tsign_defaults();
    p.t = NOW;
    p.x = NOW - 10;
    m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_SIG_SYNTAX);
    free(m);
    p = tsign_defaults();
    p.extra = "q=http/well-known; ";
    m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_SIG_SYNTAX);
    free(m);
    expect("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=AAAA\r\n"
           "From: a@example.com\r\n\r\nbody\r\n",
           AV_PERMERROR, DKIM_R_SIG_SYNTAX); /* no bh= */
    expect("DKIM-Signature: v=1; v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AA==; "
           "b=AAAA\r\nFrom: a@example.com\r\n\r\nbody\r\n",
           AV_PERMERROR, DKIM_R_SIG_SYNTAX); /* duplicate tag */
}

Test(dkim, unknown_algorithm_is_unsupported_algorithm)
{
    struct tsign p = tsign_defaults();
    p.a = "rsa-sha512";
    struct tsign q = p;
    q.a = "rsa-sha256";
    char *m = tsign_message(fx.rsa, &q, base_msg);
    char *a = strstr(m, "a=rsa-sha256");
    char *fixed = malloc(strlen(m) + 2);
    size_t off = (size_t)(a - m);
    memcpy(fixed, m, off);
    strcpy(fixed + off, "a=rsa-sha512");
    strcpy(fixed + off + 12, a + 12);
    expect(fixed, AV_PERMERROR, DKIM_R_UNSUPPORTED_ALGORITHM);
    free(fixed);
    free(m);
}

Test(dkim, rsa_sha1_is_rejected_unless_allowed)
{
    struct tsign p = tsign_defaults();
    p.a = "rsa-sha1";
    char *m = sign(p);
    expect(m, AV_POLICY, DKIM_R_SHA1_REJECTED);
    struct dkim_opts o = { .max_sigs = 10, .now = NOW, .clock_skew = 300, .allow_sha1 = true };
    struct outcome oc = verify_opts(m, &o);
    cr_assert_eq(oc.rep.sig[0].result, AV_PASS);
    cr_assert_not_null(oc.rep.sig[0].detail, "an allowed sha1 pass is flagged");
    free(m);
}

Test(dkim, dns_timeout_is_temperror)
{
    size_t n = strlen(fx.zone);
    snprintf(fx.zone + n, sizeof fx.zone - n, ";! timeout slow._domainkey.example.com. TXT\n");
    struct tsign p = tsign_defaults();
    p.s = "slow";
    char *m = sign(p);
    expect(m, AV_TEMPERROR, DKIM_R_DNS_TEMPERROR);
    free(m);
}

Test(dkim, body_length_limits_hashing_and_counts_unsigned_bytes)
{
    struct tsign p = tsign_defaults();
    p.l = 10;
    char *m = sign(p);
    size_t n = strlen(m);
    char *m2 = malloc(n + 64);
    snprintf(m2, n + 64, "%sAPPENDED BY A LIST\r\n", m);
    struct outcome oc = verify(m2);
    cr_assert_eq(oc.rep.sig[0].result, AV_PASS, "%s", dkim_reason_name(oc.rep.sig[0].reason));
    cr_assert(oc.rep.sig[0].has_l && oc.rep.sig[0].l == 10);
    /* relaxed body: "Hello Bob,\r\n" (12) "see you there.\r\n" (16), two empty lines that
     * are no longer trailing (4), "APPENDED BY A LIST\r\n" (20): 52 bytes, 10 signed. */
    cr_assert_eq(oc.rep.sig[0].unsigned_body_bytes, 42);
    free(m2);
    free(m);
}

Test(dkim, body_length_past_the_body_is_permerror)
{
    struct tsign p = tsign_defaults();
    p.l = 100000;
    char *m = sign(p);
    expect(m, AV_PERMERROR, DKIM_R_BODY_LENGTH_EXCEEDS);
    free(m);
}

Test(dkim, more_distinct_body_lengths_than_the_memo_holds_all_verify)
{
    /* Ten signatures with ten l= values: ten distinct body hashes, two more than the memo
     * keeps (LIM_BODY_HASHES). Every one must be verified on its merits: all pass, and once
     * the body's fifth byte changes, exactly those with l <= 4 still pass. (The memo used
     * to refuse the ninth as sig_syntax.) */
    static const long long ls[10] = { 1, 20, 9, 8, 7, 6, 5, 4, 3, 2 }; /* bottom to top */
    cr_assert_gt(10, LIM_BODY_HASHES);
    char *m = strdup(base_msg);
    for (size_t i = 0; i < 10; i++) {
        struct tsign p = tsign_defaults();
        p.c = "simple/simple";
        p.l = ls[i];
        char *next = tsign_message(fx.rsa, &p, m);
        free(m);
        m = next;
    }
    struct outcome oc = verify(m);
    cr_assert_eq(oc.rep.n, 10);
    for (size_t i = 0; i < 10; i++) {
        cr_assert_eq(oc.rep.sig[i].result, AV_PASS, "l=%llu: %s",
                     (unsigned long long)oc.rep.sig[i].l,
                     dkim_reason_name(oc.rep.sig[i].reason));
    }
    char *body = strstr(m, "\r\n\r\n");
    cr_assert_not_null(body);
    body[4 + 4] = 'X'; /* "Hello" -> "HellX": canonical body byte 4 */
    oc = verify(m);
    cr_assert_eq(oc.rep.n, 10);
    for (size_t i = 0; i < 10; i++) {
        bool want = oc.rep.sig[i].l <= 4;
        cr_assert_eq(oc.rep.sig[i].result == AV_PASS, want, "l=%llu: %s",
                     (unsigned long long)oc.rep.sig[i].l,
                     dkim_reason_name(oc.rep.sig[i].reason));
        if (!want) {
            cr_assert_eq(oc.rep.sig[i].reason, DKIM_R_BODY_HASH_MISMATCH);
        }
    }
    free(m);
}

Test(dkim, key_cache_past_its_limit_hands_out_owned_keys)
{
    /* LIM_KEYCACHE_ENTRIES distinct records (one key, a different n= note each) fill the
     * cache; the next is still parsed, handed out owned (keycache_put frees it), and a
     * cached one is still served from the cache. The limit is what bounds the run's key
     * memory (about 3 KiB a key). */
    char *rdata = tsign_key_txt(fx.rsa, "v=DKIM1; k=rsa; ");
    size_t n = strlen(rdata), j = 0;
    char *p = malloc(n + 1);
    cr_assert_not_null(p);
    for (size_t i = 0; i < n; i++) { /* zone rdata "a" "b" -> the joined text ab */
        if (rdata[i] == '"') {
            if (i + 2 < n && rdata[i + 1] == ' ' && rdata[i + 2] == '"') {
                i += 2;
            }
            continue;
        }
        p[j++] = rdata[i];
    }
    p[j] = '\0';
    const char *pv = strstr(p, "p=");
    cr_assert_not_null(pv);
    struct keycache *kc = keycache_new();
    char txt[2048];
    for (unsigned i = 0; i <= LIM_KEYCACHE_ENTRIES; i++) {
        int len = snprintf(txt, sizeof txt, "v=DKIM1; k=rsa; n=%u; %s", i, pv);
        cr_assert(len > 0 && (size_t)len < sizeof txt);
        const struct keycache_entry *e = keycache_get(kc, slice_make(txt, (size_t)len));
        cr_assert_eq(e->status, KC_KEY_OK, "record %u", i);
        cr_assert_not_null(e->key);
        cr_assert_eq(e->owned, i == LIM_KEYCACHE_ENTRIES, "record %u", i);
        keycache_put(e);
    }
    int len = snprintf(txt, sizeof txt, "v=DKIM1; k=rsa; n=%u; %s", 7u, pv);
    const struct keycache_entry *e = keycache_get(kc, slice_make(txt, (size_t)len));
    cr_assert(!e->owned);
    keycache_put(e);
    uint64_t hits = 0, misses = 0;
    keycache_stats(kc, &hits, &misses);
    cr_assert_eq(hits, 1);
    keycache_free(kc);
    free(p);
    free(rdata);
}

Test(dkim, d_with_an_empty_label_is_sig_syntax)
{
    /* §3.5: d= is a domain-name; "example.com." has an empty last label (dkimpy and
     * OpenDKIM fail it as well). */
    static const char *const bad[] = { "example.com.", ".example.com", "example..com" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tsign p = tsign_defaults();
        p.d = bad[i];
        p.i = NULL;
        char *m = sign(p);
        struct outcome oc = verify(m);
        cr_assert_eq(oc.rep.n, 1);
        cr_assert_eq(oc.rep.sig[0].reason, DKIM_R_SIG_SYNTAX, "d=%s: %s", bad[i],
                     dkim_reason_name(oc.rep.sig[0].reason));
        cr_assert_eq(oc.rep.sig[0].result, AV_PERMERROR);
        arena_free(oc.a);
        free(m);
    }
}

Test(dkim, oversigned_headers_block_added_fields)
{
    struct tsign p = tsign_defaults();
    p.h = "from:from:to:subject:subject:reply-to";
    char *m = sign(p);
    expect(m, AV_PASS, DKIM_R_NONE);
    /* A Subject or Reply-To added after signing breaks the signature (§5.4.2 / §8.15). */
    size_t n = strlen(m);
    char *m2 = malloc(n + 64);
    char *body = strstr(m, "\r\n\r\n");
    size_t off = (size_t)(body - m) + 2;
    memcpy(m2, m, off);
    snprintf(m2 + off, n + 64 - off, "Subject: injected\r\n%s", m + off);
    expect(m2, AV_FAIL, DKIM_R_SIGNATURE_MISMATCH);
    free(m2);
    free(m);
}

Test(dkim, several_signatures_get_one_entry_each)
{
    char *m1 = sign(tsign_defaults());
    struct tsign p = tsign_defaults();
    p.a = "ed25519-sha256";
    p.s = "ed";
    char *m2 = tsign_message(fx.ed, &p, m1);
    struct tsign q = tsign_defaults();
    q.s = "nosuch";
    char *m3 = tsign_message(fx.rsa, &q, m2);
    struct outcome oc = verify(m3);
    cr_assert_eq(oc.rep.n, 3);
    cr_assert_eq(oc.rep.sig[0].reason, DKIM_R_KEY_NOT_FOUND);
    cr_assert_eq(oc.rep.sig[1].result, AV_PASS);
    cr_assert_eq(oc.rep.sig[2].result, AV_PASS);
    free(m1);
    free(m2);
    free(m3);
}

Test(dkim, signatures_over_the_limit_are_reported_as_skipped)
{
    char *m1 = sign(tsign_defaults());
    char *m2 = sign(tsign_defaults());
    struct tsign p = tsign_defaults();
    char *m3 = tsign_message(fx.rsa, &p, m1);
    struct dkim_opts o = { .max_sigs = 1, .now = NOW, .clock_skew = 300 };
    struct outcome oc = verify_opts(m3, &o);
    cr_assert_eq(oc.rep.n, 2);
    cr_assert_eq(oc.rep.sig[0].result, AV_PASS);
    cr_assert_eq(oc.rep.sig[1].result, AV_NEUTRAL);
    cr_assert_eq(oc.rep.sig[1].reason, DKIM_R_SKIPPED_LIMIT);
    cr_assert(slice_eq(oc.rep.sig[1].d, SLICE_LIT("example.com")), "tags still shown");
    free(m1);
    free(m2);
    free(m3);
}

Test(dkim, unsigned_message_has_no_entries)
{
    struct outcome oc = verify(base_msg);
    cr_assert_eq(oc.rep.n, 0);
    cr_assert_eq(oc.rep.n_fields, 0);
}
