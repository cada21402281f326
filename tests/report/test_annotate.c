/* report_annotate: --annotate OUT (engine/report/annotate.c). The copy, with the inserted
 * fields taken out again, must equal the input byte for byte (mboxrd quoting, CRLF, Maildir
 * trees); each field sits right after the From_ line (mbox) or first (files), with the
 * message's line ends; the fields read back as trusted recorded results that agree with a
 * fresh verification; requests that cannot work are usage errors. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/report/fixture.h"
#include "tests/support/guard.h"

#define FIELD "Authentication-Results: " FX_AUTHSERV

TestSuite(report_annotate, .init = (void (*)(void))fx_make, .fini = fx_cleanup);

/* strip removes every inserted field from buf (in place) and returns how many there were.
 * mbox: each must follow a From_ line; else it must be at the start. crlf: the line ends the
 * fields must have. */
static size_t strip(char *buf, size_t *len, bool mbox, bool crlf)
{
    size_t n = 0, o = 0;
    const char *eol = crlf ? "\r\n" : "\n";
    size_t el = crlf ? 2 : 1;
    size_t i = 0;
    while (i < *len) {
        bool at_line = i == 0 || buf[i - 1] == '\n';
        if (at_line && *len - i > strlen(FIELD) && memcmp(buf + i, FIELD, strlen(FIELD)) == 0) {
            if (mbox) {
                /* the line before (already copied) is a From_ line */
                size_t k = o >= el ? o - el : 0;
                while (k > 0 && buf[k - 1] != '\n') {
                    k--;
                }
                cr_assert(strncmp(buf + k, "From ", 5) == 0, "field not after a From_ line");
            } else {
                cr_assert_eq(i, 0, "field not at the start of the file");
            }
            /* skip the field: its first line and every continuation line */
            do {
                char *e = memchr(buf + i, '\n', *len - i);
                cr_assert_not_null(e);
                size_t end = (size_t)(e - buf) + 1;
                cr_assert(end >= el && memcmp(buf + end - el, eol, el) == 0,
                          "field line end is not %s", crlf ? "CRLF" : "LF");
                if (!crlf) {
                    cr_assert(end < 2 || buf[end - 2] != '\r', "CRLF in an LF message");
                }
                i = end;
            } while (i < *len && buf[i] == ' ');
            n++;
            continue;
        }
        buf[o++] = buf[i++];
    }
    *len = o;
    return n;
}

static void assert_copy(const char *orig, const char *copy, bool mbox, bool crlf, size_t want)
{
    size_t ol, cl;
    char *a = fx_read(orig, &ol), *b = fx_read(copy, &cl);
    cr_assert_not_null(a, "%s missing", orig);
    cr_assert_not_null(b, "%s missing", copy);
    cr_assert_eq(strip(b, &cl, mbox, crlf), want, "%s: wrong number of fields", copy);
    cr_assert_eq(cl, ol, "%s: length differs once the fields are removed", copy);
    cr_assert(memcmp(a, b, ol) == 0, "%s: bytes differ once the fields are removed", copy);
}

Test(report_annotate, mboxrd_with_lf_is_copied_byte_for_byte_plus_the_fields)
{
    char *out;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --threads 3 --annotate out.mbox "
                        "corpus.mbox", &out), 0);
    char *c = fx_read("out.mbox", NULL);
    cr_assert_not_null(strstr(c, "\n>From the start of a line.\n>>From a quoted line.\n"));
    assert_copy("corpus.mbox", "out.mbox", true, false, FX_MESSAGES);
    struct stat st;
    cr_assert_eq(stat(fx_path("out.mbox"), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(report_annotate, mbox_with_crlf_gets_crlf_fields)
{
    char *out;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --annotate out.mbox corpus-crlf.mbox",
                        &out), 0);
    assert_copy("corpus-crlf.mbox", "out.mbox", true, true, FX_MESSAGES);
}

static const char *const maildir_files[8] = {
    "cur/1000.host:2,S", "cur/1001.host:2,S", "cur/1002.host:2,S", "cur/1003.host:2,S",
    "new/2004.host", "new/2005.host", "new/2006.host", "new/2007.host",
};

Test(report_annotate, maildir_tree_keeps_relative_paths_and_each_files_line_ends)
{
    char *out;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --annotate Out Maildir/", &out), 0);
    for (int i = 0; i < FX_MESSAGES; i++) {
        char rel[128];
        if (i < 8) {
            snprintf(rel, sizeof rel, "%s", maildir_files[i]);
        } else {
            snprintf(rel, sizeof rel, ".Sub/cur/30%02d.host:2,", i);
        }
        char orig[256], copy[256];
        snprintf(orig, sizeof orig, "Maildir/%s", rel);
        snprintf(copy, sizeof copy, "Out/%s", rel);
        assert_copy(orig, copy, false, i == 5, 1);
    }
    struct stat st;
    cr_assert_eq(stat(fx_path("Out/tmp"), &st), 0, "empty tmp/ not made");
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(stat(fx_path("Out/.Sub/new"), &st), 0, "empty .Sub/new not made");
}

Test(report_annotate, several_inputs_get_one_entry_each)
{
    char *out;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --annotate All corpus.mbox Maildir "
                        "corpus-crlf.mbox", &out), 0);
    assert_copy("corpus.mbox", "All/corpus.mbox", true, false, FX_MESSAGES);
    assert_copy("corpus-crlf.mbox", "All/corpus-crlf.mbox", true, true, FX_MESSAGES);
    assert_copy("Maildir/new/2005.host", "All/Maildir/new/2005.host", false, true, 1);
    assert_copy("Maildir/cur/1000.host:2,S", "All/Maildir/cur/1000.host:2,S", false, false, 1);
}

Test(report_annotate, fields_read_back_as_recorded_results_that_agree)
{
    char *out;
    cr_assert_eq(fx_run("--authserv-id " FX_AUTHSERV " --annotate out.mbox corpus.mbox", &out), 0);
    /* the copy verifies as the original does (the field is above every signature) ... */
    char *orig, *copy;
    cr_assert_eq(fx_run("--format csv corpus.mbox", &orig), 0);
    cr_assert_eq(fx_run("--format csv out.mbox", &copy), 0);
    char *o = orig, *c = copy;
    for (int line = 0; *o && *c; line++) {
        /* compare each row from the index on (the source differs) */
        o = strchr(o, ',');
        c = strchr(c, ',');
        cr_assert(o && c);
        size_t ol = strcspn(o, "\n"), cl = strcspn(c, "\n");
        cr_assert(ol == cl && memcmp(o, c, ol) == 0, "row %d differs:\n%.*s\n%.*s", line,
                  (int)ol, o, (int)cl, c);
        o += ol + (o[ol] != 0);
        c += cl + (c[cl] != 0);
    }
    /* ... and the project's own RFC 8601 reader takes the fields as recorded results that
     * agree with ours for every message */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' verify --no-progress --dns-snapshot report.zone "
             "--trust-authserv-id " FX_AUTHSERV " out.mbox 2>err.txt >rec.jsonl", test_bin());
    cr_assert_eq(fx_sh(cmd, &out), 0);
    char *err = fx_read("err.txt", NULL);
    cr_assert_not_null(strstr(err, "recorded results: 12 messages, 0 disagree with ours"), "%s",
                       err);
}

Test(report_annotate, requests_that_cannot_work_are_usage_errors)
{
    char *out;
    cr_assert_eq(fx_run("--annotate x.mbox - < corpus.mbox", &out), 2);
    cr_assert_not_null(strstr(fx_read("stderr.txt", NULL), "standard input"));
    cr_assert_eq(fx_run("--annotate corpus.mbox Maildir", &out), 2); /* OUT exists */
    cr_assert_eq(fx_run("--annotate Maildir/new/copy Maildir", &out), 2); /* inside the input */
    cr_assert_eq(fx_sh("mkdir other && cp corpus.mbox other/", &out), 0);
    cr_assert_eq(fx_run("--annotate Both corpus.mbox other/corpus.mbox", &out), 2); /* names */
    cr_assert_eq(fx_run("--annotate y.mbox --resume -o r.jsonl corpus.mbox", &out), 2);
    struct stat st;
    cr_assert_neq(stat(fx_path("Both"), &st), 0, "OUT made despite a usage error");
    cr_assert_neq(stat(fx_path("x.mbox"), &st), 0);
    cr_assert_neq(stat(fx_path("Maildir/new/copy"), &st), 0);
}
