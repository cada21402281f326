/* Command lines and paths are built with snprintf into buffers sized well past any use. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/report/fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/support/dkim_sign.h"
#include "tests/support/guard.h"

static char fx_dir[256];

#define D1 "Mon, 1 Jan 2024 10:00:00 +0000"
#define D2 "Tue, 2 Jan 2024 12:00:00 +0000"
#define BODY "Hello.\nFrom the start of a line.\n>From a quoted line.\nBye.\n"

struct spec {
    const char *from, *rp, *ip, *date;
    const char *sign_d; /* NULL: unsigned */
    const char *alg;
};

static const struct spec specs[FX_MESSAGES] = {
    { "good.example", "a@good.example", "192.0.2.10", D1, "good.example", NULL },
    { "good.example", "a@good.example", "192.0.2.10", D2, "good.example", NULL },
    { "good.example", "a@good.example", "203.0.113.5", D1, NULL, NULL },
    { "good.example", "a@good.example", "192.0.2.10", D1, "good.example", NULL },
    { "quar.example", "a@quar.example", "203.0.113.5", D1, NULL, NULL },
    { "sub.quar.example", "a@sub.quar.example", "203.0.113.5", D2, NULL, NULL },
    { "none.example", "a@none.example", "203.0.113.7", D1, "none.example", "rsa-sha1" },
    { "none.example", "a@none.example", "192.0.2.20", D1, "none.example", NULL },
    { "tmp.example", "a@tmp.example", "192.0.2.30", D1, "tmp.example", NULL },
    { "nopolicy.example", "a@nopolicy.example", "203.0.113.9", D1, NULL, NULL },
    { "good.example", "a@good.example", NULL, D1, "good.example", NULL },
    { "nopolicy.example", "a@nopolicy.example", "203.0.113.9", D2, NULL, NULL },
};

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    cr_assert_neq(vasprintf(&s, fmt, ap), -1);
    va_end(ap);
    return s;
}

/* to_lf drops every CR before an LF (the signer writes its field with CRLF). */
static void to_lf(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (!(p[0] == '\r' && p[1] == '\n')) {
            *o++ = *p;
        }
    }
    *o = 0;
}

static char *to_crlf(const char *s)
{
    size_t n = strlen(s), k = 0;
    char *o = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            o[k++] = '\r';
        }
        o[k++] = s[i];
    }
    o[k] = 0;
    return o;
}

static char *make_message(const struct sig_privkey *key, int i)
{
    const struct spec *sp = &specs[i];
    const char *msgid = i == 11 ? "=cmd|' /C calc'!A0,\"x\"\xff\x01" : NULL;
    char *rest = msgid ? xasprintf("From: Sender <a@%s>\nTo: b@report.example\nSubject: "
                                   "\xff\xfe odd\nMessage-ID: %s\nDate: %s\n\n%s",
                                   sp->from, msgid, sp->date, BODY)
                       : xasprintf("From: Sender <a@%s>\nTo: b@report.example\nSubject: test "
                                   "%d\nMessage-ID: <m%d@%s>\nDate: %s\n\n%s",
                                   sp->from, i, i, sp->from, sp->date, BODY);
    if (sp->sign_d) {
        struct tsign p = tsign_defaults();
        p.d = sp->sign_d;
        if (sp->alg) {
            p.a = sp->alg;
        }
        char *s = tsign_message(key, &p, rest);
        free(rest);
        rest = s;
    }
    if (i == 3) {
        char *bye = strstr(rest, "Bye.");
        bye[3] = '!'; /* the body changes after signing */
    }
    if (i == 7) {
        char *s = xasprintf("DKIM-Signature: v=1; a=rsa-sha256; d=ev\"il<x>&y.example;\n"
                            "\ts=s\"el\xff; h=from; bh=AAAA; b=QUJD/+==\n%s", rest);
        free(rest);
        rest = s;
    }
    char *rcv = sp->ip ? xasprintf("Received: from mail%d.%s (mail%d.%s [%s])\n\tby %s with "
                                   "ESMTP id q%d; %s\n",
                                   i, sp->from, i, sp->from, sp->ip, FX_AUTHSERV, i, sp->date)
                       : xasprintf("%s", "");
    char *m = xasprintf("%sReturn-Path: <%s>\n%s", rcv, sp->rp, rest);
    free(rcv);
    free(rest);
    to_lf(m);
    return m;
}

/* mboxrd: every line matching ^>*From gains one '>'. */
static void put_mboxrd(FILE *f, const char *m)
{
    fputs("From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n", f);
    const char *line = m;
    while (*line) {
        const char *e = strchr(line, '\n');
        size_t n = e ? (size_t)(e - line) + 1 : strlen(line);
        const char *q = line;
        while (*q == '>') {
            q++;
        }
        if (strncmp(q, "From ", 5) == 0) {
            fputc('>', f);
        }
        fwrite(line, 1, n, f);
        line += n;
    }
    fputc('\n', f);
}

static void write_file(const char *name, const char *data)
{
    FILE *f = fopen(fx_path(name), "wb");
    cr_assert_not_null(f, "cannot write %s", name);
    fputs(data, f);
    fclose(f);
}

static void write_zone(const struct sig_privkey *key)
{
    char *txt = tsign_key_txt(key, "v=DKIM1; k=rsa; ");
    char *z = xasprintf(
        "$TTL 300\n"
        "sel._domainkey.good.example. IN TXT %s\n"
        "good.example. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
        "_dmarc.good.example. IN TXT \"v=DMARC1; p=reject; rua=mailto:d@good.example\"\n"
        "quar.example. IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"
        "_dmarc.quar.example. IN TXT \"v=DMARC1; p=quarantine; t=y; bogus=1\"\n"
        "sub.quar.example. IN A 192.0.2.99\n"
        "sel._domainkey.none.example. IN TXT %s\n"
        "none.example. IN TXT \"v=spf1 ip4:192.0.2.0/24 ~all\"\n"
        "_dmarc.none.example. IN TXT \"v=DMARC1; p=none; adkim=s\"\n"
        ";! timeout sel._domainkey.tmp.example. TXT\n"
        "_dmarc.tmp.example. IN TXT \"v=DMARC1; p=none\"\n"
        "nopolicy.example. IN TXT \"v=spf1 ?all\"\n",
        txt, txt);
    write_file("report.zone", z);
    free(z);
    free(txt);
}

const char *fx_make(void)
{
    snprintf(fx_dir, sizeof fx_dir, "/tmp/authsweep-report-XXXXXX");
    cr_assert_not_null(mkdtemp(fx_dir));
    struct sig_privkey *key = sig_privkey_generate(SIG_KEY_RSA, 1024);
    cr_assert_not_null(key);
    write_zone(key);
    FILE *lf = fopen(fx_path("corpus.mbox"), "wb");
    FILE *crlf = fopen(fx_path("corpus-crlf.mbox"), "wb");
    cr_assert(lf && crlf);
    static const char *const dirs[] = { "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp",
                                        "Maildir/.Sub", "Maildir/.Sub/cur", "Maildir/.Sub/new",
                                        "Maildir/.Sub/tmp" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        cr_assert_eq(mkdir(fx_path(dirs[i]), 0700), 0);
    }
    for (int i = 0; i < FX_MESSAGES; i++) {
        char *m = make_message(key, i);
        char *c = to_crlf(m);
        put_mboxrd(lf, m);
        /* the CRLF mbox: From_ line, quoting and separator all with CRLF */
        char *rd = NULL;
        size_t rdl = 0;
        FILE *mem = open_memstream(&rd, &rdl);
        put_mboxrd(mem, m);
        fclose(mem);
        char *rdc = to_crlf(rd);
        fputs(rdc, crlf);
        free(rdc);
        free(rd);
        char name[128];
        if (i < 4) {
            snprintf(name, sizeof name, "Maildir/cur/100%d.host:2,S", i);
        } else if (i < 8) {
            snprintf(name, sizeof name, "Maildir/new/200%d.host", i);
        } else {
            snprintf(name, sizeof name, "Maildir/.Sub/cur/30%02d.host:2,", i);
        }
        write_file(name, i == 5 ? c : m);
        free(c);
        free(m);
    }
    fclose(lf);
    fclose(crlf);
    sig_privkey_free(key);
    return fx_dir;
}

void fx_cleanup(void)
{
    if (getenv("AUTHSWEEP_KEEP_REPORT_FIXTURE")) {
        fprintf(stderr, "fixture kept in %s\n", fx_dir); /* for debugging a failure */
        return;
    }
    if (fx_dir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
        (void)system(cmd);
    }
}

const char *fx_path(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 1024, "%s/%s", fx_dir, name);
    return b;
}

int fx_sh(const char *cmd, char **out)
{
    char full[8192];
    snprintf(full, sizeof full, "cd '%s' && %s", fx_dir, cmd);
    char *o = NULL;
    int rc = test_run(full, &o, NULL);
    test_keep(o);
    if (out) {
        *out = o;
    }
    return rc;
}

int fx_run(const char *args, char **out)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' verify -q --no-progress --dns-snapshot report.zone %s 2>stderr.txt",
             test_bin(), args);
    return fx_sh(cmd, out);
}

char *fx_read(const char *name, size_t *out_len)
{
    return test_keep(test_read_file(fx_path(name), out_len));
}
