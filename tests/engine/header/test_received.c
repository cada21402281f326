#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/header/authres.h"
#include "engine/header/hdr.h"
#include "engine/header/received.h"
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

TestSuite(received, .init = setup, .fini = teardown);

/* eq: NULL wants an absent slice (ptr NULL), anything else the exact bytes. */
static void eq(const char *what, slice s, const char *want)
{
    if (want == NULL) {
        cr_assert_null(s.ptr, "%s: got \"%.*s\", want absent", what, SLICE_FMT(s));
        return;
    }
    cr_assert(s.ptr != NULL && slice_eq(s, slice_make(want, strlen(want))),
              "%s: got \"%.*s\", want \"%s\"", what, SLICE_FMT(s), want);
}

static struct rcv_field parse(const char *v)
{
    struct rcv_field f;
    rcv_parse(&f, guard_slice(v));
    return f;
}

struct want {
    const char *from, *helo, *rdns, *ip, *by, *with, *id, *for_;
    enum rcv_ip_src src;
};

static void check(const char *v, struct want w)
{
    struct rcv_field f = parse(v);
    cr_assert(f.has_from || f.has_by, "%s: no clause", v);
    eq("from", f.from, w.from);
    eq("helo", f.helo, w.helo);
    eq("rdns", f.rdns, w.rdns);
    eq("ip", f.ip_text, w.ip);
    eq("by", f.by, w.by);
    if (w.with != NULL) {
        eq("with", f.with, w.with);
    }
    if (w.id != NULL) {
        eq("id", f.id, w.id);
    }
    if (w.for_ != NULL) {
        eq("for", f.for_, w.for_);
    }
    cr_assert_eq(f.ip_src, w.src, "%s: ip_src %d", v, (int)f.ip_src);
    if (w.ip != NULL) {
        struct spf_ip ip;
        cr_assert(spf_ip_parse(slice_make(w.ip, strlen(w.ip)), &ip));
        cr_assert_eq(f.ip.family, ip.family);
        cr_assert_eq(memcmp(f.ip.addr, ip.addr, 16), 0);
    }
}

/* Real shapes, MTA by MTA -------------------------------------------------------------- */

Test(received, postfix)
{
    const char *v = " from mail.example.com (mail.example.com [192.0.2.1])\r\n"
                    "\tby mx.example.org (Postfix) with ESMTPS id 4Wf1x23abcz1\r\n"
                    "\tfor <user@example.org>; Thu, 25 Jul 2024 22:18:47 -0700 (PDT)";
    check(v, (struct want){ "mail.example.com", "mail.example.com", "mail.example.com",
                            "192.0.2.1", "mx.example.org", "ESMTPS", "4Wf1x23abcz1",
                            "<user@example.org>", RCV_IP_TCPINFO });
    struct rcv_field f = parse(v);
    cr_assert(f.has_date);
    cr_assert_eq(f.date, 1721971127);
    eq("by_comment", f.by_comment, "Postfix");
    cr_assert(!f.may_be_forged);
}

Test(received, postfix_unknown_rdns_and_ipv6_literal)
{
    check(" from helo.example ([192.0.2.9]) by x.example.org (Postfix) with ESMTP id 1; "
          "Mon, 1 Jan 2024 00:00:00 +0000",
          (struct want){ "helo.example", "helo.example", NULL, "192.0.2.9", "x.example.org",
                         "ESMTP", "1", NULL, RCV_IP_TCPINFO });
    check(" from mail.example.com (unknown [192.0.2.1]) by mx.example.org (Postfix) with "
          "ESMTP id 4C; Fri, 13 Nov 2020 09:48:34 +0900 (JST)",
          (struct want){ "mail.example.com", "mail.example.com", NULL, "192.0.2.1",
                         "mx.example.org", "ESMTP", "4C", NULL, RCV_IP_TCPINFO });
    check(" from mail.example.com (mail.example.com [IPv6:2001:db8::1]) by mx.example.org "
          "(Postfix) with ESMTPS id X; Fri, 13 Nov 2020 09:48:34 +0900",
          (struct want){ "mail.example.com", "mail.example.com", "mail.example.com",
                         "2001:db8::1", "mx.example.org", "ESMTPS", "X", NULL,
                         RCV_IP_TCPINFO });
    /* Postfix with no EHLO domain: the FROM value is the literal itself. */
    check(" from [192.0.2.7] (unknown [192.0.2.7]) by mx.example.org (Postfix) with SMTP "
          "id Y; Fri, 13 Nov 2020 09:48:34 +0900",
          (struct want){ "[192.0.2.7]", NULL, NULL, "192.0.2.7", "mx.example.org", "SMTP", "Y",
                         NULL, RCV_IP_TCPINFO });
}

Test(received, postfix_tls_comments_and_port_suffix)
{
    check(" from mail.example.com (mail.example.com [192.0.2.1]:41234)\r\n"
          "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n"
          "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n"
          "\t(No client certificate requested)\r\n"
          "\tby mx.example.org (Postfix) with ESMTPS id 4XYZ\r\n"
          "\tfor <a@example.org>; Tue, 28 Jan 2025 18:57:41 +0000 (UTC)",
          (struct want){ "mail.example.com", "mail.example.com", "mail.example.com",
                         "192.0.2.1", "mx.example.org", "ESMTPS", "4XYZ", "<a@example.org>",
                         RCV_IP_TCPINFO });
}

Test(received, exim_literal_from_with_helo)
{
    const char *v = " from [192.0.2.1] (helo=mail.example.com)\r\n"
                    "\tby mx.example.org with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\r\n"
                    "\t(Exim 4.96)\r\n"
                    "\t(envelope-from <bounce@example.com>)\r\n"
                    "\tid 1sXk2b-000Abc-2Q\r\n"
                    "\tfor user@example.org; Mon, 29 Jul 2024 16:02:03 +0000";
    check(v, (struct want){ "[192.0.2.1]", "mail.example.com", NULL, "192.0.2.1",
                            "mx.example.org", "esmtps", "1sXk2b-000Abc-2Q", "user@example.org",
                            RCV_IP_FROM_LITERAL });
    check(" from host.example.com ([192.0.2.1] helo=mail.example.com) by mx.example.org with "
          "esmtp (Exim 4.96) id 1r; Mon, 29 Jul 2024 16:02:03 +0000",
          (struct want){ "host.example.com", "mail.example.com", NULL, "192.0.2.1",
                         "mx.example.org", "esmtp", "1r", NULL, RCV_IP_TCPINFO });
    check(" from host.example.com ([192.0.2.1]:51234 helo=mail.example.com) by mx.example.org "
          "with esmtp (Exim 4.96) id 1r; Mon, 29 Jul 2024 16:02:03 +0000",
          (struct want){ "host.example.com", "mail.example.com", NULL, "192.0.2.1",
                         "mx.example.org", "esmtp", "1r", NULL, RCV_IP_TCPINFO });
    /* Local submission: no TCP-info, no address. */
    struct rcv_field f = parse(" from mta2.example.org by neko.example.com with local (Exim "
                               "4.86) id neko222-nyaaan-22 for sironeko-nyaan@neko.example.com; "
                               "Thu, 22 Apr 2016 23:34:45 +0900");
    cr_assert_eq(f.ip_src, RCV_IP_NONE);
    eq("with", f.with, "local");
    eq("helo", f.helo, "mta2.example.org");
}

Test(received, sendmail_and_may_be_forged)
{
    check(" from mail.example.com (mail.example.com [192.0.2.1])\r\n"
          "\tby mx.example.org (8.15.2/8.15.2) with ESMTP id 2ABCDEF012345\r\n"
          "\tfor <u@example.org>; Thu, 1 Oct 2015 22:48:59 +0900",
          (struct want){ "mail.example.com", "mail.example.com", "mail.example.com",
                         "192.0.2.1", "mx.example.org", "ESMTP", "2ABCDEF012345",
                         "<u@example.org>", RCV_IP_TCPINFO });
    struct rcv_field f = parse(" from spoof.example (host-192-0-2-1.isp.example [192.0.2.1] "
                               "(may be forged)) by mx.example.org (8.15.2/8.15.2) with ESMTP "
                               "id 3; Thu, 1 Oct 2015 22:48:59 +0900");
    cr_assert(f.may_be_forged);
    eq("rdns", f.rdns, "host-192-0-2-1.isp.example");
    eq("ip", f.ip_text, "192.0.2.1");
    eq("by_comment", f.by_comment, "8.15.2/8.15.2");
    /* ident@rdns, and a local delivery with "(localhost)" only. */
    f = parse(" from box (root@localhost [127.0.0.1]) by box (8.14.4/8.14.4) with ESMTP id q; "
              "Thu, 1 Oct 2015 22:48:59 +0900");
    eq("rdns", f.rdns, "localhost");
    eq("ip", f.ip_text, "127.0.0.1");
    f = parse(" from localhost (localhost) by aneyakoji.example.jp (V8/cf) id t5EKkFJv020295; "
              "Mon, 15 Jun 2015 05:46:15 +0900");
    eq("rdns", f.rdns, "localhost");
    cr_assert_eq(f.ip_src, RCV_IP_NONE);
    eq("id", f.id, "t5EKkFJv020295");
}

Test(received, office365_outbound_and_internal)
{
    check(" from EUR05-DB8-obe.outbound.protection.outlook.com\r\n"
          " (mail-db8eur05on2101.outbound.protection.outlook.com [40.107.20.101])\r\n"
          "        by mx.google.com with ESMTPS id a640c23a62f3a-a7acab4de15si812345166b.123.2024.07.29.09.02.04\r\n"
          "        for <x@gmail.com>\r\n"
          "        (version=TLS1_2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256 bits=128/128);\r\n"
          "        Mon, 29 Jul 2024 09:02:04 -0700 (PDT)",
          (struct want){ "EUR05-DB8-obe.outbound.protection.outlook.com",
                         "EUR05-DB8-obe.outbound.protection.outlook.com",
                         "mail-db8eur05on2101.outbound.protection.outlook.com", "40.107.20.101",
                         "mx.google.com", "ESMTPS", NULL, "<x@gmail.com>", RCV_IP_TCPINFO });
    /* Real internal hop (realworld-dkim): the address in parentheses without brackets. */
    const char *v = " from AS2PR08MB8288.eurprd08.prod.outlook.com (2603:10a6:20b:557::8) by "
                    "DU0PR08MB8302.eurprd08.prod.outlook.com (2603:10a6:10:40e::14) with "
                    "Microsoft SMTP Server (version=TLS1_2, "
                    "cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7807.27; Mon, 29 "
                    "Jul 2024 16:01:55 +0000";
    check(v, (struct want){ "AS2PR08MB8288.eurprd08.prod.outlook.com",
                            "AS2PR08MB8288.eurprd08.prod.outlook.com", NULL,
                            "2603:10a6:20b:557::8", "DU0PR08MB8302.eurprd08.prod.outlook.com",
                            "Microsoft SMTP Server", "15.20.7807.27", NULL, RCV_IP_TCPINFO });
    struct rcv_field f = parse(v);
    eq("by_comment", f.by_comment, "2603:10a6:10:40e::14");
    cr_assert(f.has_date);
    /* Frontend transport (real): "via" clause. */
    f = parse(" from 64aa7808-outbound-1.mta.getcheckrecipient.com (63.35.35.123) by "
              "AM4PEPF00025F95.mail.protection.outlook.com (10.167.16.4) with Microsoft SMTP "
              "Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7918.0 via "
              "Frontend Transport; Mon, 19 Aug 2024 14:26:00 +0000");
    eq("ip", f.ip_text, "63.35.35.123");
    eq("via", f.via, "Frontend");
    /* Old Exchange SMTPSVC (real): "with Microsoft SMTPSVC(7.5...)". */
    f = parse(" from BAY004-OMC1S18.hotmail.com ([65.54.190.29]) by BAY004-MC4F56.hotmail.com "
              "over TLS secured channel with Microsoft SMTPSVC(7.5.7601.22751); Fri, 30 Jan "
              "2015 21:29:41 -0800");
    eq("ip", f.ip_text, "65.54.190.29");
    eq("with", f.with, "Microsoft SMTPSVC");
}

Test(received, gmail_shapes)
{
    const char *v = " from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n"
                    "        by mx.google.com with SMTPS id "
                    "d75a77b69052e-44f9a2d3a0fsor1234567cf.5.2024.07.25.22.18.47\r\n"
                    "        for <user@gmail.com>\r\n"
                    "        (Google Transport Security);\r\n"
                    "        Thu, 25 Jul 2024 22:18:47 -0700 (PDT)";
    check(v, (struct want){ "mail-sor-f41.google.com", "mail-sor-f41.google.com",
                            "mail-sor-f41.google.com.", "209.85.220.41", "mx.google.com",
                            "SMTPS", NULL, "<user@gmail.com>", RCV_IP_TCPINFO });
    /* by-only (real, realworld-dkim 007-outlook.com.eml). */
    struct rcv_field f = parse(" by 2002:a05:6a20:3211:b0:1c3:edfb:6113 with SMTP id "
                               "hl17csp180962pzc;\r\n        Thu, 25 Jul 2024 22:18:47 -0700 "
                               "(PDT)");
    cr_assert(!f.has_from);
    cr_assert(f.has_by);
    eq("by", f.by, "2002:a05:6a20:3211:b0:1c3:edfb:6113");
    eq("id", f.id, "hl17csp180962pzc");
    cr_assert_eq(f.ip_src, RCV_IP_NONE);
    cr_assert(f.has_date);
    /* IPv6 Gmail client (real, sisimai rhost-gsuite-03). */
    check(" from mail-qk0-x247.google.com (mail-qk0-x247.google.com. "
          "[2607:f8b0:400d:c09::247]) by mx.google.com with ESMTPS id "
          "u56si5766081qtu.57.2017.04.30.04.22.44 for <kijitora@gmail.example.com> "
          "(version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128); Sun, 30 Apr 2017 "
          "04:22:44 -0700 (PDT)",
          (struct want){ "mail-qk0-x247.google.com", "mail-qk0-x247.google.com",
                         "mail-qk0-x247.google.com.", "2607:f8b0:400d:c09::247",
                         "mx.google.com", "ESMTPS", NULL, "<kijitora@gmail.example.com>",
                         RCV_IP_TCPINFO });
}

Test(received, qmail_yahoo_qpsmtpd_haraka_opensmtpd)
{
    /* Yahoo (real, sisimai lhost-yahoo-03): EHLO and address in separate comments. */
    check(" from 127.0.0.1  (EHLO nm39-vm5.bullet.mail.ne1.yahoo.com) (98.138.229.165)\r\n"
          "  by mta1465.mail.ne1.yahoo.com with SMTPS; Sat, 06 Dec 2014 13:45:31 +0000",
          (struct want){ "127.0.0.1", "nm39-vm5.bullet.mail.ne1.yahoo.com", NULL,
                         "98.138.229.165", "mta1465.mail.ne1.yahoo.com", "SMTPS", NULL, NULL,
                         RCV_IP_TCPINFO });
    /* qpsmtpd (real, sisimai lhost-trendmicro-02). */
    check(" from email@one.example.com (HELO smtpd.mx.example.com) (192.0.2.225) by "
          "onion.neko.example.jp (qpsmtpd/0.26) with SMTP; Thu, 29 Apr 2010 23:34:45 -0700",
          (struct want){ "email@one.example.com", "smtpd.mx.example.com", NULL, "192.0.2.225",
                         "onion.neko.example.jp", "SMTP", NULL, NULL, RCV_IP_TCPINFO });
    /* qmail's own line: no clause outside the comment, only a date. */
    struct rcv_field f = parse(" (qmail 2022 invoked by alias); 29 Apr 2005 23:34:45 -0000");
    cr_assert(!f.has_from && !f.has_by);
    cr_assert(f.has_date);
    /* Haraka (real, sisimai arf-25). */
    check(" from localhost ([1.2.3.4]) by mrd.us-east-1a.returnpath.net (Haraka/2.8.21) with "
          "ESMTP id zzz.1 envelope-from <fbl@bounce.mailstream.senderscore.net>; Sat, 31 Oct "
          "2020 18:32:53 +0000",
          (struct want){ "localhost", "localhost", NULL, "1.2.3.4",
                         "mrd.us-east-1a.returnpath.net", "ESMTP", "zzz.1", NULL,
                         RCV_IP_TCPINFO });
    /* OpenSMTPD (real, sisimai lhost-opensmtpd-01): ';' between clauses, "[local]". */
    f = parse(" from localhost (localhost [local]); by localhost (OpenSMTPD) with ESMTPA id "
              "1e2a9eaa; for <kijitora@example.jp>; Thu, 17 Jul 2014 11:20:14 +0000 (UTC)");
    eq("by", f.by, "localhost");
    eq("for", f.for_, "<kijitora@example.jp>");
    cr_assert_eq(f.ip_src, RCV_IP_NONE);
    cr_assert(f.has_date);
    /* Oracle Messaging Server: a software comment is not an rDNS name. */
    f = parse(" from mr21p30im-asmtp002.me.com (Oracle Communications Messaging Server "
              "8.0.1.2.20170607 64bit (built Jun  7 2017)) id <0P96@mr21p30im-asmtp002.me.com>; "
              "Wed, 23 May 2018 08:17:18 +0000 (GMT)");
    eq("rdns", f.rdns, NULL);
    eq("id", f.id, "<0P96@mr21p30im-asmtp002.me.com>");
    /* Bare address as FROM value and in TCP-info (real, sisimai lhost-mfilter-04). */
    check(" from 127.0.0.1 (127.0.0.1) by m-FILTER with ESMTP; Thu, 22 Apr 2019 23:34:45 +0900",
          (struct want){ "127.0.0.1", NULL, NULL, "127.0.0.1", "m-FILTER", "ESMTP", NULL, NULL,
                         RCV_IP_TCPINFO });
    /* An empty FROM value (real, sisimai lhost-x5-01): the comment is still TCP-info. */
    f = parse(" from (unknown [192.0.2.4]) by mpps-022.int.example.co.jp with smtp id ffff_0; "
              "Thu, 15 Oct 2015 15:22:22 +0900");
    eq("from", f.from, "");
    eq("by", f.by, "mpps-022.int.example.co.jp");
    eq("ip", f.ip_text, "192.0.2.4");
    eq("helo", f.helo, NULL);
    f = parse(" from 192.0.2.3 by mx.example.org; Thu, 22 Apr 2019 23:34:45 +0900");
    cr_assert_eq(f.ip_src, RCV_IP_FROM_BARE);
}

Test(received, rfc8601_example_with_two_comments)
{
    /* RFC 8601 B.4: a software comment before the TCP-info, "for" before "with". */
    check(" from dialup-1-2-3-4.example.net (8.11.6/8.11.6)\r\n"
          "              (dialup-1-2-3-4.example.net [192.0.2.200])\r\n"
          "          by mail-router.example.com (8.11.6/8.11.6)\r\n"
          "              for <recipient@chicago.example.com>\r\n"
          "              with ESMTPA id g1G0r1kA003489;\r\n"
          "          Fri, Feb 15 2002 17:19:07 -0800",
          (struct want){ "dialup-1-2-3-4.example.net", "dialup-1-2-3-4.example.net",
                         "dialup-1-2-3-4.example.net", "192.0.2.200", "mail-router.example.com",
                         "ESMTPA", "g1G0r1kA003489", "<recipient@chicago.example.com>",
                         RCV_IP_TCPINFO });
}

Test(received, keywords_any_case_and_value_that_looks_like_a_keyword)
{
    struct rcv_field f = parse(" FROM by (x [192.0.2.5]) BY id WITH smtp ID for; Thu, 1 Jan 2015 "
                               "00:00:00 +0000");
    eq("from", f.from, "by");
    eq("by", f.by, "id");
    eq("with", f.with, "smtp");
    eq("id", f.id, "for");
    eq("ip", f.ip_text, "192.0.2.5");
}

/* Hostile input ------------------------------------------------------------------------ */

Test(received, hostile_inputs_are_total)
{
    const char *cases[] = {
        "", " ", ";", "(", ")", "[", "from", "from ", "from (", "from [", "from [1.2.3.4",
        "from x (unterminated [192.0.2.1]", "from x (\\", "from x (a\\)", "by", "by ;",
        "from x (HELO", "from x (helo=", "from [IPv6:", "from [IPv6:::1]:", "from [1.2.3.4]:x",
        ";;;;", "from x by y; ", "((((((", "))))))", "from x (y [192.0.2.1]) by", "\r\n\t",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rcv_field f;
        rcv_parse(&f, guard_slice(cases[i]));
        if (f.ip_src != RCV_IP_NONE) {
            cr_assert(f.ip_text.len > 0);
        }
    }
    struct rcv_field f = parse("from x (unterminated [192.0.2.1]");
    eq("ip", f.ip_text, "192.0.2.1"); /* the rest of an unterminated comment is the comment */
}

Test(received, deep_nesting_nul_bytes_and_huge_values)
{
    size_t n = 100000;
    char *buf = malloc(2 * n + 64);
    size_t k = 0;
    k += (size_t)snprintf(buf, 64, "from x ");
    memset(buf + k, '(', n);
    k += n;
    memset(buf + k, ')', n);
    k += n;
    struct rcv_field f;
    rcv_parse(&f, guard_bytes(buf, k));
    cr_assert(f.has_from);
    rcv_parse(&f, guard_bytes(buf, k - n / 2)); /* unterminated */
    cr_assert(f.has_from);
    memset(buf, '(', 2 * n);
    rcv_parse(&f, guard_bytes(buf, 2 * n));
    cr_assert(!f.has_from && !f.has_by);
    free(buf);

    static const char nul[] = "from a\0b (c [192.0.2.1]\0) by d\0e; Thu, 1 Jan 2015 00:00:00 +0000";
    rcv_parse(&f, guard_bytes(nul, sizeof nul - 1));
    cr_assert(f.has_from && f.has_by);
    cr_assert_eq(f.from.len, 3);

    size_t big = 4u << 20;
    char *h = malloc(big);
    memset(h, 'a', big);
    memcpy(h, "from ", 5);
    rcv_parse(&f, guard_bytes(h, big));
    cr_assert_eq(f.from.len, big - 5);
    memset(h, ';', big);
    rcv_parse(&f, guard_bytes(h, big));
    cr_assert(!f.has_date);
    free(h);
}

/* Selection ---------------------------------------------------------------------------- */

static const char SEL_MSG[] =
    "Received: from localhost (localhost [127.0.0.1])\r\n"
    "\tby mx.example.org (Postfix) with ESMTP id A1; Mon, 1 Jan 2024 00:00:05 +0000\r\n"
    "Received: from mail.sender.example (mail.sender.example [192.0.2.1])\r\n"
    "\tby mx.example.org (Postfix) with ESMTPS id A0; Mon, 1 Jan 2024 00:00:04 +0000\r\n"
    "Received: from internal.sender.example (internal [10.0.0.5])\r\n"
    "\tby mail.sender.example (Postfix) with ESMTP id B; Mon, 1 Jan 2024 00:00:03 +0000\r\n"
    "Received: from laptop ([198.51.100.7] helo=laptop.home)\r\n"
    "\tby internal.sender.example with esmtpa (Exim 4.96) id C; Mon, 1 Jan 2024 00:00:02 +0000\r\n"
    "From: a@sender.example\r\n"
    "\r\n"
    "body\r\n";

static void sel(const char *msg, const struct rcv_select_opts *o, struct rcv_selection *out)
{
    struct hdr_index h;
    hdr_parse(A, &h, guard_slice(msg));
    rcv_select_spf(A, out, &h, o);
}

Test(received, select_default_skips_internal_hops)
{
    struct rcv_selection s;
    sel(SEL_MSG, NULL, &s);
    cr_assert_eq(s.status, RCV_SEL_OK);
    cr_assert_null(s.reason);
    eq("ip", s.ip_text, "192.0.2.1");
    eq("helo", s.helo, "mail.sender.example");
    eq("source", s.source, "received[1]");
    cr_assert_eq(s.field, 1);
    cr_assert_eq(s.ordinal, 1);
    cr_assert_eq(s.ip.family, 4);
}

Test(received, select_nth_takes_any_address)
{
    struct rcv_selection s;
    struct rcv_select_opts o = { .nth = 1 };
    sel(SEL_MSG, &o, &s);
    cr_assert_eq(s.status, RCV_SEL_OK);
    eq("ip", s.ip_text, "127.0.0.1");
    eq("source", s.source, "received[0]");
    o.nth = 4;
    sel(SEL_MSG, &o, &s);
    eq("ip", s.ip_text, "198.51.100.7");
    eq("helo", s.helo, "laptop.home");
    eq("source", s.source, "received[3]");
    o.nth = 5;
    sel(SEL_MSG, &o, &s);
    cr_assert_eq(s.status, RCV_SEL_OUT_OF_RANGE);
    cr_assert_str_eq(s.reason, "received_out_of_range");
    cr_assert_eq(s.field, -1);
}

Test(received, select_trust_by)
{
    struct rcv_selection s;
    slice hosts[] = { SLICE_LIT("relay.other.example"), SLICE_LIT("MAIL.SENDER.EXAMPLE.") };
    struct rcv_select_opts o = { .trust_by = hosts, .n_trust_by = 2 };
    sel(SEL_MSG, &o, &s);
    cr_assert_eq(s.status, RCV_SEL_OK);
    eq("ip", s.ip_text, "10.0.0.5"); /* the only field by that host: used as is */
    eq("source", s.source, "received[2] by mail.sender.example");
    slice sub[] = { SLICE_LIT(".example.org") };
    o = (struct rcv_select_opts){ .trust_by = sub, .n_trust_by = 1 };
    sel(SEL_MSG, &o, &s);
    /* received[0] is mx.example.org re-injecting from its filter on 127.0.0.1: passed
     * over for the newest field where it received from outside. */
    eq("ip", s.ip_text, "192.0.2.1");
    eq("helo", s.helo, "mail.sender.example");
    eq("source", s.source, "received[1] by mx.example.org");
    slice none[] = { SLICE_LIT("nowhere.example") };
    o = (struct rcv_select_opts){ .trust_by = none, .n_trust_by = 1 };
    sel(SEL_MSG, &o, &s);
    cr_assert_eq(s.status, RCV_SEL_TRUST_BY_NOT_FOUND);
    cr_assert_str_eq(s.reason, "trust_by_not_found");
    o.nth = 2; /* nth wins over trust_by */
    sel(SEL_MSG, &o, &s);
    cr_assert_eq(s.status, RCV_SEL_OK);
    eq("source", s.source, "received[1]");
}

Test(received, select_nothing_usable)
{
    struct rcv_selection s;
    sel("From: a@b\r\n\r\n", NULL, &s);
    cr_assert_eq(s.status, RCV_SEL_NO_RECEIVED);
    cr_assert_str_eq(s.reason, "no_received");
    sel("Received: by mx.example.org with SMTP id 1; Mon, 1 Jan 2024 00:00:05 +0000\r\n"
        "Received: from localhost (localhost [127.0.0.1]) by mx.example.org; Mon, 1 Jan 2024 "
        "00:00:05 +0000\r\n"
        "Received: from x (y [fe80::1]) by mx.example.org; Mon, 1 Jan 2024 00:00:05 +0000\r\n"
        "\r\n",
        NULL, &s);
    cr_assert_eq(s.status, RCV_SEL_NO_CLIENT_IP);
    cr_assert_str_eq(s.reason, "no_client_ip");
    cr_assert_eq(s.field, -1);
    struct rcv_select_opts o = { .nth = 1 };
    sel("Received: by mx.example.org with SMTP id 1; Mon, 1 Jan 2024 00:00:05 +0000\r\n\r\n", &o,
        &s);
    cr_assert_eq(s.status, RCV_SEL_NO_CLIENT_IP);
    cr_assert_eq(s.field, 0);
    eq("source", s.source, "received[0]");
    slice hosts[] = { SLICE_LIT("mx.example.org") };
    o = (struct rcv_select_opts){ .trust_by = hosts, .n_trust_by = 1 };
    sel("Received: by mx.example.org with SMTP id 1; Mon, 1 Jan 2024 00:00:05 +0000\r\n\r\n", &o,
        &s);
    cr_assert_eq(s.status, RCV_SEL_NO_CLIENT_IP);
}

Test(received, internal_address_classes)
{
    const char *internal[] = { "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                               "192.168.1.1", "169.254.1.1", "100.64.0.1", "0.0.0.0", "::1",
                               "::", "fe80::1", "fd00::1", "::ffff:10.0.0.1" };
    const char *external[] = { "192.0.2.1", "172.32.0.1", "100.128.0.1", "8.8.8.8",
                               "2001:db8::1", "2603:10a6:20b:557::8", "fec0::1" };
    struct spf_ip ip;
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
        cr_assert(spf_ip_parse(slice_make(internal[i], strlen(internal[i])), &ip));
        cr_assert(rcv_ip_is_internal(&ip), "%s", internal[i]);
    }
    for (size_t i = 0; i < sizeof external / sizeof external[0]; i++) {
        cr_assert(spf_ip_parse(slice_make(external[i], strlen(external[i])), &ip));
        cr_assert(!rcv_ip_is_internal(&ip), "%s", external[i]);
    }
}

/* The shared corpora ------------------------------------------------------------------- */

struct corpus_stats {
    size_t files, rcv, rcv_clause, rcv_ip, rcv_date, ar, ar_ok, ar_ri, rspf, rspf_ok;
    size_t sel_ok;
};

static void corpus_file(const char *path, struct corpus_stats *st)
{
    size_t len;
    char *data = test_read_file(path, &len);
    if (data == NULL) {
        return;
    }
    struct arena *a = arena_new(0);
    struct hdr_index h;
    (void)hdr_parse(a, &h, guard_bytes(data, len));
    st->files++;
    for (size_t i = 0; i < h.n; i++) {
        const struct hdr_field *f = &h.f[i];
        if (!f->name_ok) {
            continue;
        }
        if (slice_eq_ci(f->name, SLICE_LIT("Received"))) {
            struct rcv_field r;
            st->rcv++;
            st->rcv_clause += rcv_parse(&r, f->value);
            st->rcv_ip += r.ip_src != RCV_IP_NONE;
            st->rcv_date += r.has_date;
        } else if (slice_eq_ci(f->name, SLICE_LIT("Authentication-Results")) ||
                   slice_eq_ci(f->name, SLICE_LIT("ARC-Authentication-Results"))) {
            struct authres_field ar;
            st->ar++;
            st->ar_ok += authres_parse(a, &ar, f->value) == AUTHRES_OK;
            st->ar_ri += ar.n_ri > 0 || ar.none;
        } else if (slice_eq_ci(f->name, SLICE_LIT("Received-SPF"))) {
            struct authres_spf_field sf;
            st->rspf++;
            st->rspf_ok += authres_spf_parse(a, &sf, f->value) && sf.result.known;
        }
    }
    struct rcv_selection s;
    st->sel_ok += rcv_select_spf(a, &s, &h, NULL) == RCV_SEL_OK;
    struct authres_recorded rec;
    slice ids[] = { SLICE_LIT("mx.google.com"), SLICE_LIT("mail-tester.com") };
    authres_recorded_get(a, &rec, &h, ids, 2);
    arena_free(a);
    free(data);
}

static void corpus_walk(const char *dir, struct corpus_stats *st)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0) {
            continue;
        }
        size_t n = strlen(e->d_name);
        if (S_ISDIR(sb.st_mode)) {
            corpus_walk(path, st);
        } else if (n > 4 && strcmp(e->d_name + n - 4, ".eml") == 0) {
            corpus_file(path, st);
        }
    }
    closedir(d);
}

Test(received, shared_corpora_parse_without_crashing, .timeout = 120)
{
    struct corpus_stats st = { 0 };
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/conformance/realworld-dkim", test_shared_dir());
    corpus_walk(dir, &st);
    snprintf(dir, sizeof dir, "%s/conformance/corpus-sisimai-set-of-emails", test_shared_dir());
    corpus_walk(dir, &st);
    cr_assert_gt(st.files, 0, "no .eml found under %s", test_shared_dir());
    fprintf(stderr,
            "corpus: %zu files; Received %zu: clause %zu (%.1f%%), client ip %zu, date %zu; "
            "SPF client selected in %zu files; A-R/AAR %zu: ok %zu, with results %zu "
            "(%.1f%%); Received-SPF %zu: known result %zu\n",
            st.files, st.rcv, st.rcv_clause, 100.0 * (double)st.rcv_clause / (double)st.rcv,
            st.rcv_ip, st.rcv_date, st.sel_ok, st.ar, st.ar_ok, st.ar_ri,
            100.0 * (double)st.ar_ri / (double)st.ar, st.rspf, st.rspf_ok);
    cr_assert_geq(st.rcv_clause * 100, st.rcv * 95, "Received with a clause: %zu of %zu",
                  st.rcv_clause, st.rcv);
    cr_assert_geq(st.ar_ri * 100, st.ar * 95, "A-R with results: %zu of %zu", st.ar_ri, st.ar);
    cr_assert_geq(st.rspf_ok * 100, st.rspf * 95, "Received-SPF: %zu of %zu", st.rspf_ok,
                  st.rspf);
}
