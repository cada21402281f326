#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/limits.h"
#include "engine/header/authres.h"
#include "tests/support/guard.h"

static struct arena *A;

static void setup(void)
{
    A = arena_new(0);
}

static void teardown(void)
{
    arena_free(A);
    A = NULL;
}

TestSuite(authres, .init = setup, .fini = teardown);

static void eq(const char *what, slice s, const char *want)
{
    if (want == NULL) {
        cr_assert_null(s.ptr, "%s: got \"%.*s\", want absent", what, SLICE_FMT(s));
        return;
    }
    cr_assert(s.ptr != NULL && slice_eq(s, slice_make(want, strlen(want))),
              "%s: got \"%.*s\", want \"%s\"", what, SLICE_FMT(s), want);
}

static struct authres_field parse_ok(const char *v)
{
    struct authres_field f;
    enum authres_status st = authres_parse(A, &f, guard_slice(v));
    cr_assert_eq(st, AUTHRES_OK, "%s: %s", v, authres_status_name(st));
    return f;
}

/* ri checks resinfo k: method and result as written, and verdict. */
static void ri(const struct authres_field *f, size_t k, const char *method, const char *result,
               enum auth_verdict v)
{
    cr_assert_lt(k, f->n_ri, "resinfo %zu of %zu", k, f->n_ri);
    eq("method", f->ri[k].method, method);
    eq("result", f->ri[k].result.text, result);
    cr_assert(f->ri[k].result.known);
    cr_assert_eq(f->ri[k].result.verdict, v);
}

static void prop(const struct authres_field *f, size_t k, const char *ptype, const char *name,
                 const char *want)
{
    slice v;
    slice pt = ptype ? slice_make(ptype, strlen(ptype)) : SLICE_NULL;
    bool found = authres_prop_get(&f->ri[k], pt, slice_make(name, strlen(name)), &v);
    if (want == NULL) {
        cr_assert(!found, "%s.%s present", ptype, name);
        return;
    }
    cr_assert(found, "%s.%s absent", ptype ? ptype : "", name);
    eq(name, v, want);
}

/* RFC 8601 Appendix B ------------------------------------------------------------------ */

Test(authres, rfc8601_b2_none)
{
    struct authres_field f = parse_ok(" example.org 1; none");
    eq("id", f.authserv_id, "example.org");
    eq("version", f.version, "1");
    cr_assert(f.none);
    cr_assert_eq(f.n_ri, 0);
    cr_assert_eq(f.deviations, 0);
}

Test(authres, rfc8601_b3_spf)
{
    struct authres_field f = parse_ok(" example.com;\r\n          spf=pass smtp.mailfrom=example.net");
    eq("id", f.authserv_id, "example.com");
    eq("version", f.version, NULL);
    cr_assert_eq(f.n_ri, 1);
    ri(&f, 0, "spf", "pass", AV_PASS);
    prop(&f, 0, "smtp", "mailfrom", "example.net");
    cr_assert_eq(f.deviations, 0);
}

Test(authres, rfc8601_b4_two_fields_one_mta)
{
    struct authres_field f = parse_ok(" example.com;\r\n"
                                      "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
                                      "          spf=pass smtp.mailfrom=example.net");
    cr_assert_eq(f.n_ri, 2);
    ri(&f, 0, "auth", "pass", AV_PASS);
    eq("comment", f.ri[0].comment, "cram-md5");
    prop(&f, 0, "smtp", "auth", "sender@example.net");
    ri(&f, 1, "spf", "pass", AV_PASS);
    f = parse_ok(" example.com; iprev=pass\r\n          policy.iprev=192.0.2.200");
    ri(&f, 0, "iprev", "pass", AV_PASS);
    prop(&f, 0, "policy", "iprev", "192.0.2.200");
    cr_assert_eq(f.deviations, 0);
}

Test(authres, rfc8601_b5_different_mtas)
{
    struct authres_field f =
        parse_ok(" example.com;\r\n          dkim=pass (good signature) header.d=example.com");
    ri(&f, 0, "dkim", "pass", AV_PASS);
    eq("comment", f.ri[0].comment, "good signature");
    prop(&f, 0, "header", "d", "example.com");
    f = parse_ok(" example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
                 "          spf=fail smtp.mailfrom=example.com");
    ri(&f, 1, "spf", "fail", AV_FAIL);
}

Test(authres, rfc8601_b6_reason)
{
    struct authres_field f = parse_ok(" example.com;\r\n"
                                      "      dkim=pass reason=\"good signature\"\r\n"
                                      "        header.i=@mail-router.example.net;\r\n"
                                      "      dkim=fail reason=\"bad signature\"\r\n"
                                      "        header.i=@newyork.example.com");
    cr_assert_eq(f.n_ri, 2);
    eq("reason", f.ri[0].reason, "good signature");
    prop(&f, 0, "header", "i", "@mail-router.example.net");
    ri(&f, 1, "dkim", "fail", AV_FAIL);
    eq("reason", f.ri[1].reason, "bad signature");
    prop(&f, 1, "header", "i", "@newyork.example.com");
    f = parse_ok(" example.net;\r\n      dkim=pass (good signature) header.i=@newyork.example.com");
    prop(&f, 0, "header", "i", "@newyork.example.com");
    cr_assert_eq(f.deviations, 0);
}

Test(authres, rfc8601_b7_comment_heavy)
{
    struct authres_field f =
        parse_ok(" foo.example.net (foobar) 1 (baz);\r\n"
                 "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
                 "      policy (A dot can go here) . (like that) expired\r\n"
                 "      (this surprised me) = (as I wasn't expecting it) 1362471462");
    eq("id", f.authserv_id, "foo.example.net");
    eq("version", f.version, "1");
    cr_assert_eq(f.n_ri, 1);
    ri(&f, 0, "dkim", "fail", AV_FAIL);
    eq("method_version", f.ri[0].method_version, "1");
    prop(&f, 0, "policy", "expired", "1362471462");
    cr_assert_eq(f.deviations, 0);
}

/* Real shapes -------------------------------------------------------------------------- */

Test(authres, gmail)
{
    struct authres_field f = parse_ok(
        " mx.google.com;\r\n       dkim=pass header.i=@gmail.com header.s=20230601 "
        "header.b=RHBgQbCx;\r\n       spf=pass (google.com: domain of suegamisora@gmail.com "
        "designates 209.85.220.41 as permitted sender) smtp.mailfrom=suegamisora@gmail.com;\r\n"
        "       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com");
    cr_assert_eq(f.n_ri, 3);
    ri(&f, 0, "dkim", "pass", AV_PASS);
    prop(&f, 0, "header", "b", "RHBgQbCx");
    prop(&f, 0, "header", "s", "20230601");
    ri(&f, 1, "spf", "pass", AV_PASS);
    prop(&f, 1, "smtp", "mailfrom", "suegamisora@gmail.com");
    ri(&f, 2, "dmarc", "pass", AV_PASS);
    eq("comment", f.ri[2].comment, "p=NONE sp=QUARANTINE dis=NONE");
    prop(&f, 2, "header", "from", "gmail.com");
    cr_assert_eq(f.deviations, 0);
}

Test(authres, arc_instance_and_microsoft_version)
{
    struct authres_field f = parse_ok(
        " i=2; mx.microsoft.com 1; spf=pass (sender ip is 63.35.35.123)\r\n"
        " smtp.rcpttodomain=vger.kernel.org smtp.mailfrom=arm.com; dmarc=pass (p=none sp=none\r\n"
        " pct=100) action=none header.from=arm.com; dkim=pass (signature was verified)\r\n"
        " header.d=arm.com; arc=pass (0 oda=1 ltdi=1 spf=[1,1,smtp.mailfrom=arm.com]\r\n"
        " dkim=[1,1,header.d=arm.com] dmarc=[1,1,header.from=arm.com])");
    cr_assert(f.has_instance);
    cr_assert_eq(f.instance, 2);
    eq("id", f.authserv_id, "mx.microsoft.com");
    eq("version", f.version, "1");
    cr_assert_eq(f.n_ri, 4);
    ri(&f, 1, "dmarc", "pass", AV_PASS);
    prop(&f, 1, NULL, "action", "none");
    prop(&f, 1, "header", "from", "arm.com");
    ri(&f, 3, "arc", "pass", AV_PASS);
    cr_assert_eq(f.ri[3].n_props, 0);
}

Test(authres, microsoft_without_authserv_id)
{
    /* Real (corpus): no authserv-id, ';' straight after a value. */
    struct authres_field f = parse_ok(" dkim=none (message not signed)\r\n header.d=none;"
                                      "dmarc=none action=none header.from=mediatek.com;");
    eq("id", f.authserv_id, NULL);
    cr_assert_eq(f.n_ri, 2);
    ri(&f, 0, "dkim", "none", AV_NONE);
    prop(&f, 0, "header", "d", "none");
    ri(&f, 1, "dmarc", "none", AV_NONE);
    prop(&f, 1, "header", "from", "mediatek.com");
    cr_assert_gt(f.deviations, 0);
    f = parse_ok(" spf=none (sender IP is ) smtp.mailfrom=<>;");
    prop(&f, 0, "smtp", "mailfrom", "<>");
    f = parse_ok(" i=1; mx.microsoft.com 1; spf=none; dmarc=none; dkim=none; arc=none");
    cr_assert_eq(f.n_ri, 4);
}

Test(authres, yahoo_missing_semicolon_and_stray_semicolon)
{
    struct authres_field f = parse_ok(" mta1271.mail.bf1.yahoo.com  from=yahoo.com; "
                                      "domainkeys=pass (ok);  from=yahoo.com; dkim=pass (ok)");
    eq("id", f.authserv_id, "mta1271.mail.bf1.yahoo.com");
    cr_assert_eq(f.n_ri, 4);
    eq("method", f.ri[0].method, "from");
    eq("result", f.ri[0].result.text, "yahoo.com");
    cr_assert(!f.ri[0].result.known);
    ri(&f, 3, "dkim", "pass", AV_PASS);
    f = parse_ok(" mta776.mail.djm.yahoo.co.jp  from=yahoo.co.jp; domainkeys=pass (ok); "
                 "dkim=permerror (bad sig); header.i=@yahoo.co.jp");
    cr_assert_eq(f.n_ri, 3);
    ri(&f, 2, "dkim", "permerror", AV_PERMERROR);
    prop(&f, 2, "header", "i", "@yahoo.co.jp");
}

Test(authres, fastmail_and_exchange_shapes)
{
    /* Fastmail's shape (as its MX writes it; not in the shared corpora). */
    struct authres_field f = parse_ok(
        " mx3.messagingengine.com;\r\n    dkim=pass (2048-bit rsa key sha256) header.d=example.com\r\n"
        "      header.i=@example.com header.b=AbCdEf12 header.a=rsa-sha256 header.s=fm1\r\n"
        "      x-bits=2048;\r\n    dmarc=pass policy.published-domain-policy=none\r\n"
        "      policy.applied-disposition=none policy.evaluated-disposition=none\r\n"
        "      (p=none,d=none,d.eval=none) policy.policy-from=p header.from=example.com;\r\n"
        "    iprev=pass smtp.remote-ip=192.0.2.1 (mail.example.com);\r\n"
        "    spf=pass smtp.mailfrom=a@example.com smtp.helo=mail.example.com");
    cr_assert_eq(f.n_ri, 4);
    prop(&f, 0, "header", "b", "AbCdEf12");
    prop(&f, 0, NULL, "x-bits", "2048");
    prop(&f, 1, "policy", "published-domain-policy", "none");
    prop(&f, 1, "header", "from", "example.com");
    prop(&f, 3, "smtp", "helo", "mail.example.com");
    /* Hotmail/Exchange (real, sisimai): unknown method kept, upper-case result word. */
    f = parse_ok(" outlook.example.com; spf=none (sender IP is 65.55.116.81; identity alignment "
                 "result is pass and alignment mode is relaxed) smtp.helo=BLU004-OMC3S6.outlook."
                 "example.com; dkim=NONE (identity alignment result is pass and alignment mode "
                 "is relaxed) header.d=mail.outlook.example.com; x-hmca=none "
                 "header.id=postmaster@mail.outlook.example.com");
    cr_assert_eq(f.n_ri, 3);
    ri(&f, 1, "dkim", "NONE", AV_NONE);
    eq("method", f.ri[2].method, "x-hmca");
    prop(&f, 2, "header", "id", "postmaster@mail.outlook.example.com");
}

Test(authres, quoted_empty_and_uppercase)
{
    struct authres_field f = parse_ok(" \"quoted id\"; DKIM=Pass header.d=\"exa mple.com\" "
                                      "header.b=abc+/==; SPF=SoftFail smtp.mail=; dkim=HardFail");
    eq("id", f.authserv_id, "quoted id");
    ri(&f, 0, "DKIM", "Pass", AV_PASS);
    prop(&f, 0, "header", "d", "exa mple.com");
    prop(&f, 0, "header", "b", "abc+/==");
    ri(&f, 1, "SPF", "SoftFail", AV_SOFTFAIL);
    prop(&f, 1, "smtp", "mail", "");
    ri(&f, 2, "dkim", "HardFail", AV_FAIL);
    f = parse_ok(" mail-tester.com; dkim=fail reason=\"signature verification failed\" "
                 "(2048-bit key; unprotected) header.d=outlook.com header.i=@outlook.com "
                 "header.b=nuEwbtEV; dkim-atps=neutral");
    eq("reason", f.ri[0].reason, "signature verification failed");
    eq("comment", f.ri[0].comment, "2048-bit key; unprotected");
    ri(&f, 1, "dkim-atps", "neutral", AV_NEUTRAL);
    f = parse_ok(" x.example; spf=pass smtp.mailfrom=a@b dkim=pass header.d=b");
    cr_assert_eq(f.n_ri, 2); /* a missing ';' between two resinfos */
    ri(&f, 1, "dkim", "pass", AV_PASS);
}

Test(authres, hostile_inputs_are_total)
{
    const char *cases[] = {
        "", " ", ";", "(", ")", "\"", "=", "a=", "a.b=", "x; (", "x; dkim", "x; dkim=",
        "x; dkim=(", "x; dkim=\"", "x; dkim=pass header.", "x; dkim=pass header.d",
        "x; dkim=pass header.d=", "x; dkim=pass header.d=\"abc", "x; dkim/=pass", "i=",
        "i=1", "i=1;", "i=99999999999999999999999; x", "x 1", "x 1;", "x; none extra",
        "x; ;;;; ;", "x; \\", "x; dkim=pass (\\", ")))", "x; ===", "x; dkim=pass ..=..",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct authres_field f;
        (void)authres_parse(A, &f, guard_slice(cases[i]));
        struct authres_spf_field sf;
        (void)authres_spf_parse(A, &sf, guard_slice(cases[i]));
    }
    struct authres_field f;
    cr_assert_eq(authres_parse(A, &f, guard_slice(" (only a comment) ")), AUTHRES_EMPTY);
    cr_assert_eq(authres_parse(A, &f, guard_slice(" ;;; ")), AUTHRES_SYNTAX);
}

Test(authres, deep_nesting_nul_and_huge)
{
    size_t n = 100000;
    char *buf = malloc(2 * n + 64);
    size_t k = (size_t)snprintf(buf, 64, "x; dkim=pass ");
    memset(buf + k, '(', n);
    k += n;
    memset(buf + k, ')', n);
    k += n;
    k += (size_t)snprintf(buf + k, 64, " header.d=a");
    struct authres_field f;
    cr_assert_eq(authres_parse(A, &f, guard_bytes(buf, k)), AUTHRES_OK);
    cr_assert_eq(f.n_ri, 1);
    prop(&f, 0, "header", "d", "a");
    (void)authres_parse(A, &f, guard_bytes(buf, k - n)); /* unterminated */
    struct authres_spf_field sf;
    (void)authres_spf_parse(A, &sf, guard_bytes(buf, k - n));
    free(buf);

    static const char nul[] = "x\0y; dkim=pa\0ss header.d=a\0b";
    (void)authres_parse(A, &f, guard_bytes(nul, sizeof nul - 1));

    /* Many resinfos: capped, still usable. */
    size_t big = 64u << 10;
    char *h = malloc(big * 11 + 16);
    size_t m = (size_t)snprintf(h, 16, "x");
    for (size_t i = 0; i < big; i++) {
        memcpy(h + m, "; a=b c.d=e", 11);
        m += 11;
    }
    cr_assert_eq(authres_parse(A, &f, guard_bytes(h, m)), AUTHRES_TOO_MANY);
    cr_assert_eq(f.n_ri, AUTHRES_MAX_RESINFO);
    /* A huge value. */
    memset(h, 'v', m);
    memcpy(h, "x; dkim=pass header.b=", 22);
    cr_assert_eq(authres_parse(A, &f, guard_bytes(h, m)), AUTHRES_OK);
    cr_assert_eq(f.ri[0].props[0].value.len, m - 22);
    free(h);
}

/* Received-SPF ------------------------------------------------------------------------- */

Test(authres, received_spf_rfc7208_example)
{
    struct authres_spf_field sf;
    cr_assert(authres_spf_parse(A, &sf, guard_slice(
        " pass (mybox.example.org: domain of\r\n myname@example.com designates 192.0.2.1 as "
        "permitted sender)\r\n receiver=mybox.example.org; client-ip=192.0.2.1;\r\n "
        "envelope-from=\"myname@example.com\"; helo=foo.example.com;")));
    cr_assert(sf.result.known);
    cr_assert_eq(sf.result.verdict, AV_PASS);
    eq("comment", sf.comment, "mybox.example.org: domain of\r\n myname@example.com designates "
                              "192.0.2.1 as permitted sender");
    eq("receiver", sf.receiver, "mybox.example.org");
    eq("client-ip", sf.client_ip, "192.0.2.1");
    eq("envelope-from", sf.envelope_from, "myname@example.com");
    eq("helo", sf.helo, "foo.example.com");
    cr_assert_eq(sf.n_kv, 4);
    cr_assert(authres_spf_parse(A, &sf, guard_slice(
        " fail (mybox.example.org: domain of myname@example.com does not designate 192.0.2.1 "
        "as permitted sender) identity=mailfrom; client-ip=192.0.2.1; "
        "envelope-from=<myname@example.com>; problem=\"x y\"; mechanism=-all")));
    cr_assert_eq(sf.result.verdict, AV_FAIL);
    eq("identity", sf.identity, "mailfrom");
    eq("envelope-from", sf.envelope_from, "myname@example.com");
    eq("problem", sf.problem, "x y");
    eq("mechanism", sf.mechanism, "-all");
}

Test(authres, received_spf_real_shapes)
{
    struct authres_spf_field sf;
    /* Real (corpus): missing ';' between pairs, <> around envelope-from, capitalised. */
    cr_assert(authres_spf_parse(A, &sf, guard_slice(
        " None (zonemx.eu: domain of mail-oi1-f179.google.com does not designate "
        "209.85.167.179 as permitted sender) receiver=zonemx.eu; identity=helo; "
        "client-ip=209.85.167.179 helo=mail-oi1-f179.google.com; "
        "envelope-from=<andris.reinman@gmail.com>")));
    cr_assert_eq(sf.result.verdict, AV_NONE);
    eq("client-ip", sf.client_ip, "209.85.167.179");
    eq("helo", sf.helo, "mail-oi1-f179.google.com");
    eq("envelope-from", sf.envelope_from, "andris.reinman@gmail.com");
    eq("identity", sf.identity, "helo");
    cr_assert(authres_spf_parse(A, &sf, guard_slice(
        " Pass (protection.outlook.com: domain of arm.com designates 63.35.35.123 as permitted "
        "sender) receiver=protection.outlook.com; client-ip=63.35.35.123; "
        "helo=64aa7808-outbound-1.mta.getcheckrecipient.com; pr=C")));
    cr_assert_eq(sf.result.verdict, AV_PASS);
    cr_assert_eq(sf.n_kv, 4);
    cr_assert(authres_spf_parse(A, &sf, guard_slice(" none")));
    cr_assert_eq(sf.n_kv, 0);
    cr_assert(!authres_spf_parse(A, &sf, guard_slice(" (no result)")));
}

/* Recorded results --------------------------------------------------------------------- */

static const slice TRUSTED[] = { SLICE_INIT("mx.example.org") };

static void recorded(const char *msg, struct authres_recorded *r, struct sbuf *b)
{
    struct hdr_index h;
    hdr_parse(A, &h, guard_slice(msg));
    authres_recorded_get(A, r, &h, TRUSTED, 1);
    sbuf_init(b, 1 << 20);
    cr_assert(authres_recorded_json(b, r));
}

Test(authres, recorded_merges_the_anchor_hop_only)
{
    struct authres_recorded r;
    struct sbuf b;
    recorded("Authentication-Results: MX.example.org; dmarc=pass policy.dmarc=reject "
             "header.from=example.com\r\n"
             "Authentication-Results: other.example; dkim=fail header.d=x\r\n"
             "Authentication-Results: mx.example.org; dkim=pass header.d=example.com "
             "header.i=@example.com header.b=AbC; dkim=FAIL header.d=list.example\r\n"
             "Received-SPF: pass (x) client-ip=192.0.2.1; envelope-from=<a@example.com>\r\n"
             "Received: from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.org "
             "(Postfix) with ESMTPS id A; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
             "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=forged.example\r\n"
             "From: a@example.com\r\n\r\n",
             &r, &b);
    cr_assert(r.found);
    eq("id", r.authserv_id, "MX.example.org");
    cr_assert_eq(r.field, 0);
    cr_assert_str_eq(r.spf_source, "received-spf");
    cr_assert_eq(r.spf_field, 3);
    cr_assert_eq(r.n_dkim, 2);
    cr_assert_str_eq((const char *)b.ptr,
                     "{\"authserv_id\":\"MX.example.org\",\"spf\":{\"result\":\"pass\","
                     "\"smtp_mailfrom\":\"a@example.com\",\"smtp_helo\":null,\"source\":"
                     "\"received-spf\"},\"dkim\":[{\"result\":\"pass\",\"d\":\"example.com\","
                     "\"i\":\"@example.com\",\"b\":\"AbC\"},{\"result\":\"fail\",\"d\":"
                     "\"list.example\",\"i\":null,\"b\":null}],\"dmarc\":{\"result\":\"pass\","
                     "\"header_from\":\"example.com\",\"policy\":\"reject\"}}");
    sbuf_cleanup(&b);
}

Test(authres, recorded_prefers_authres_spf_and_ignores_lower_received_spf)
{
    struct authres_recorded r;
    struct sbuf b;
    recorded("Received: from relay (relay [10.0.0.1]) by final.example.org; Mon, 1 Jan 2024 "
             "00:00:01 +0000\r\n"
             "Authentication-Results: mx.example.org; spf=softfail smtp.mailfrom=a@example.com "
             "smtp.helo=mail.example.com\r\n"
             "Received: from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.org; "
             "Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n",
             &r, &b);
    cr_assert_str_eq(r.spf_source, "authentication-results");
    cr_assert_eq(r.spf_result.verdict, AV_SOFTFAIL);
    cr_assert_str_eq((const char *)b.ptr,
                     "{\"authserv_id\":\"mx.example.org\",\"spf\":{\"result\":\"softfail\","
                     "\"smtp_mailfrom\":\"a@example.com\",\"smtp_helo\":\"mail.example.com\","
                     "\"source\":\"authentication-results\"},\"dkim\":[],\"dmarc\":null}");
    sbuf_cleanup(&b);
    /* A Received-SPF below the anchor's hop came with the message: not used. */
    recorded("Authentication-Results: mx.example.org; dkim=pass header.d=example.com\r\n"
             "Received: from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.org; "
             "Mon, 1 Jan 2024 00:00:00 +0000\r\n"
             "Received-SPF: pass (forged) client-ip=192.0.2.1; receiver=mx.example.org\r\n\r\n",
             &r, &b);
    cr_assert(!r.has_spf);
    sbuf_cleanup(&b);
    /* Received-SPF above the anchor is used. */
    recorded("Received-SPF: neutral (x) envelope-from=b@example.com\r\n"
             "Received: from relay (relay [10.0.0.1]) by final.example.org; Mon, 1 Jan 2024 "
             "00:00:01 +0000\r\n"
             "Authentication-Results: mx.example.org; dkim=pass header.d=example.com\r\n\r\n",
             &r, &b);
    cr_assert(r.has_spf);
    cr_assert_eq(r.spf_result.verdict, AV_NEUTRAL);
    sbuf_cleanup(&b);
}

Test(authres, recorded_nothing_trusted)
{
    struct authres_recorded r;
    struct sbuf b;
    recorded("Authentication-Results: mx.google.com; dkim=pass header.d=example.com\r\n"
             "Received-SPF: pass (x) client-ip=192.0.2.1; receiver=mx.example.org\r\n"
             "ARC-Authentication-Results: i=1; mx.example.org; dkim=pass\r\n\r\n",
             &r, &b);
    cr_assert(!r.found);
    cr_assert(!r.has_spf);
    cr_assert_str_eq((const char *)b.ptr, "null");
    sbuf_cleanup(&b);
}
