/* Command lines are built with snprintf into fixed buffers sized well past any path used. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
/* End to end: the built program on archives made here. Checks the invariants every run must
 * keep: one record per message read, every record valid JSON, output independent of the
 * thread count, and the documented exit statuses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/guard.h"

static char dir[256];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/authsweep-e2e-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

static void write_file(const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

/* run runs authsweep verify with args (inside dir) and returns the exit status. */
static int run(const char *args, char **out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' verify -q --no-progress %s 2>stderr.txt", dir,
             test_bin(), args);
    int rc = test_run(cmd, out, NULL);
    test_keep(*out);
    return rc;
}

static void assert_valid_jsonl(const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import json,sys\n"
             "for l in open(sys.argv[1], encoding=\"utf-8\", errors=\"strict\"): json.loads(l)' "
             "'%s/%s'",
             dir, name);
    cr_assert_eq(test_run(cmd, NULL, NULL), 0, "%s holds a line that is not UTF-8 JSON", name);
}

static const char *zone(void)
{
    static char z[1024];
    snprintf(z, sizeof z, "--dns-snapshot '%s/datasets/sample/sample.zone'", test_root_dir());
    return z;
}

TestSuite(cli, .init = mkdir_tmp, .fini = rm_tmp);

Test(cli, sample_gives_one_record_per_message_identically_at_any_thread_count)
{
    char args[2048], *o1, *o4;
    snprintf(args, sizeof args, "%s --threads 1 '%s/datasets/sample/sample.mbox' -o one.jsonl",
             zone(), test_root_dir());
    cr_assert_eq(run(args, &o1), 0);
    snprintf(args, sizeof args, "%s --threads 4 '%s/datasets/sample/sample.mbox' -o four.jsonl",
             zone(), test_root_dir());
    cr_assert_eq(run(args, &o4), 0);
    char p1[512], p4[512];
    snprintf(p1, sizeof p1, "%s/one.jsonl", dir);
    snprintf(p4, sizeof p4, "%s/four.jsonl", dir);
    char *a = test_keep(test_read_file(p1, NULL)), *b = test_keep(test_read_file(p4, NULL));
    cr_assert_eq(count_lines(a), 11);
    cr_assert_str_eq(a, b);
    assert_valid_jsonl("one.jsonl");
    cr_assert_not_null(strstr(a, "\"result\":\"pass\""));
}

Test(cli, many_messages_keep_input_order_across_batches_and_threads)
{
    /* 1000 small messages: more than one batch per worker. */
    size_t cap = 1000 * 120, n = 0;
    char *mbox = malloc(cap);
    for (int i = 0; i < 1000; i++) {
        n += (size_t)snprintf(mbox + n, cap - n,
                              "From a@b Mon Jan  1 00:00:00 2024\nMessage-ID: <m%d@x>\n"
                              "From: a@example.com\n\nbody %d\n\n", i, i);
    }
    write_file("many.mbox", mbox, n);
    char *o1, *o3;
    char args[1024];
    snprintf(args, sizeof args, "%s --threads 1 many.mbox", zone());
    cr_assert_eq(run(args, &o1), 0);
    snprintf(args, sizeof args, "%s --threads 3 many.mbox", zone());
    cr_assert_eq(run(args, &o3), 0);
    cr_assert_eq(count_lines(o1), 1000);
    cr_assert_str_eq(o1, o3);
    /* Whichever worker holds the read token reads the next batch: from a file and from a
     * pipe (whose reads are short), with fewer and with many more workers than batches. */
    static const char *const variants[] = { "--threads 2 many.mbox", "--threads 40 many.mbox",
                                            "--threads 1 - < many.mbox",
                                            "--threads 2 - < many.mbox" };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        char *ov;
        snprintf(args, sizeof args, "%s %s", zone(), variants[v]);
        cr_assert_eq(run(args, &ov), 0, "%s", variants[v]);
        cr_assert_eq(count_lines(ov), 1000, "%s", variants[v]);
        if (strstr(variants[v], " - <") != NULL) {
            /* the records name the source "-"; the rest is the same */
            cr_assert_not_null(strstr(ov, "\"source\":\"-\""), "%s", variants[v]);
        } else {
            cr_assert_str_eq(o1, ov, "%s", variants[v]);
        }
    }
    char *p = o1;
    for (int i = 0; i < 1000; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"index\":%d,", i);
        p = strstr(p, want);
        cr_assert_not_null(p, "record %d out of order or missing", i);
    }
    free(mbox);
}

Test(cli, hostile_messages_each_get_a_record_and_valid_json)
{
    /* binary garbage, a 100,000-field header, a 10 MB header line, no body, 8-bit bytes */
    char garbage[4096];
    for (size_t i = 0; i < sizeof garbage; i++) {
        garbage[i] = (char)((i * 7919u) & 0xff);
    }
    write_file("a-garbage.eml", garbage, sizeof garbage);
    size_t n = 100000, o = 0;
    char *many = malloc(n * 10 + 64);
    for (size_t i = 0; i < n; i++) {
        memcpy(many + o, "X-Hdr: 1\n", 9);
        o += 9;
    }
    o += (size_t)sprintf(many + o, "From: a@example.com\n\nbody\n");
    write_file("b-many-headers.eml", many, o);
    size_t big = 10u << 20;
    char *line = malloc(big + 64);
    memcpy(line, "Subject: ", 9);
    memset(line + 9, 'x', big);
    memcpy(line + 9 + big, "\nFrom: \xff\xfe <a@example.com>\n\nbody\n", 33);
    write_file("c-long-line.eml", line, big + 42);
    write_file("d-no-body.eml", "From: a@example.com\nSubject: s", 30);
    write_file("e-empty.eml", "", 0);
    char *out;
    char args[1024];
    snprintf(args, sizeof args, "%s a-garbage.eml b-many-headers.eml c-long-line.eml "
             "d-no-body.eml e-empty.eml -o out.jsonl", zone());
    cr_assert_eq(run(args, &out), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    char *recs = test_keep(test_read_file(path, NULL));
    /* An empty file outside a Maildir is an empty mbox: no message, so no record. */
    cr_assert_eq(count_lines(recs), 4, "one record per message file:\n%s", recs);
    assert_valid_jsonl("out.jsonl");
    free(many);
    free(line);
}

Test(cli, oversize_message_gets_an_error_record_between_intact_neighbours)
{
    char mbox[8192];
    int n = snprintf(mbox, sizeof mbox,
                     "From a@b Mon Jan  1 00:00:00 2024\nFrom: a@example.com\n\none\n\n"
                     "From a@b Mon Jan  1 00:00:00 2024\nFrom: a@example.com\n\n%0*d\n\n"
                     "From a@b Mon Jan  1 00:00:00 2024\nFrom: a@example.com\n\nthree\n",
                     5000, 7);
    write_file("big.mbox", mbox, (size_t)n);
    char *out;
    char args[1024];
    snprintf(args, sizeof args, "%s --max-message-size 1K big.mbox", zone());
    cr_assert_eq(run(args, &out), 0);
    cr_assert_eq(count_lines(out), 3);
    char *second = strchr(out, '\n') + 1;
    cr_assert(strncmp(strstr(second, "\"index\":"), "\"index\":1", 9) == 0);
    cr_assert_not_null(strstr(second, "\"code\":\"message_too_big\""));
    cr_assert_not_null(strstr(strchr(second, '\n') + 1, "\"index\":2"));
}

Test(cli, unreadable_input_is_named_exit_1_and_others_still_processed)
{
    write_file("ok.eml", "From: a@example.com\n\nhi\n", 24);
    write_file("x.mbox.gz", "\x1f\x8b\x08\x00rest", 8);
    char *out;
    char args[1024];
    snprintf(args, sizeof args, "%s missing.mbox x.mbox.gz ok.eml", zone());
    cr_assert_eq(run(args, &out), 1);
    cr_assert_eq(count_lines(out), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    char *err = test_keep(test_read_file(path, NULL));
    cr_assert_not_null(strstr(err, "missing.mbox"), "stderr: %s", err);
    cr_assert_not_null(strstr(err, "x.mbox.gz"), "stderr: %s", err);
}

Test(cli, usage_errors_exit_2)
{
    char *out;
    cr_assert_eq(run("", &out), 2);
    cr_assert_eq(run("--threads 0 x", &out), 2);
    cr_assert_eq(run("--as-of yesterday x", &out), 2);
    cr_assert_eq(run("--no-such-option x", &out), 2);
}

Test(cli, bad_snapshot_line_is_reported_with_file_and_line)
{
    write_file("bad.zone", "ok.example. 300 IN TXT \"x\"\nbroken line here\n", 44);
    write_file("m.eml", "From: a@example.com\n\nhi\n", 24);
    char *out;
    cr_assert_eq(run("--dns-snapshot bad.zone m.eml", &out), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    char *err = test_keep(test_read_file(path, NULL));
    cr_assert_not_null(strstr(err, "bad.zone:2"), "stderr: %s", err);
}

Test(cli, stdin_message_is_read)
{
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd,
             "printf 'From: a@example.com\\nMessage-ID: <x@y>\\n\\nhi\\n' | '%s' verify -q %s -",
             test_bin(), zone());
    cr_assert_eq(test_run(cmd, &out, NULL), 0);
    test_keep(out);
    cr_assert_eq(count_lines(out), 1);
    cr_assert_not_null(strstr(out, "\"source\":\"-\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"from_domain\":\"example.com\""), "%s", out);
}

/* A live feed (a fifo kept open after its messages): the records of the messages that are
 * complete come out while the feed waits, with one worker too (it must not sit in a read
 * holding them back); the last one, which only the end of the feed completes, after it. */
Test(cli, a_paused_feed_gets_its_complete_messages_verified_at_once)
{
    for (int threads = 1; threads <= 2; threads++) {
        char cmd[4096], *out;
        snprintf(cmd, sizeof cmd,
                 "cd '%s' || exit 1; rm -f feed rc out.jsonl; mkfifo feed || exit 1; "
                 "{ timeout 60 '%s' verify -q --no-progress --threads %d %s feed > out.jsonl "
                 "2>err.txt; echo $? > rc; } & "
                 "exec 3> '%s/feed'; cat '%s/datasets/sample/sample.mbox' >&3; n=0; "
                 "for i in $(seq 300); do n=$(wc -l < out.jsonl); [ $n -ge 10 ] && break; "
                 "sleep 0.1; done; echo early $n; exec 3>&-; wait; "
                 "echo final $(wc -l < out.jsonl) rc $(cat rc)",
                 dir, test_bin(), threads, zone(), dir, test_root_dir());
        cr_assert_eq(test_run(cmd, &out, NULL), 0);
        test_keep(out);
        cr_assert_str_eq(out, "early 10\nfinal 11 rc 0\n", "--threads %d: %s", threads, out);
    }
}

Test(cli, help_documents_every_option)
{
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "'%s' verify --help", test_bin());
    cr_assert_eq(test_run(cmd, &out, NULL), 0);
    test_keep(out);
    static const char *const opts[] = { "--dns-snapshot", "--max-signatures", "--allow-sha1",
                                        "--as-of", "--max-message-size", "--no-uring",
                                        "--output", "--threads", "--progress", "--no-progress",
                                        "--quiet", "--verbose", "Exit status" };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        cr_assert_not_null(strstr(out, opts[i]), "--help lacks %s", opts[i]);
    }
}

/* A real Gmail message whose DKIM key is left out of the zone: DKIM, hence DMARC, fails,
 * while Google's ARC seal still verifies and its AAR says dmarc=pass. */
static void override_zone(void)
{
    char src[512];
    snprintf(src, sizeof src, "%s/conformance/realworld-dkim/realworld.zone", test_shared_dir());
    char *z = test_keep(test_read_file(src, NULL));
    cr_assert_not_null(z);
    char *cut = strstr(z, "20230601._domainkey.gmail.com.");
    cr_assert_not_null(cut);
    char *eol = strchr(cut, '\n');
    memmove(cut, eol + 1, strlen(eol + 1) + 1);
    char zone[65536];
    int n = snprintf(zone, sizeof zone, "%s_dmarc.gmail.com. 300 IN TXT \"v=DMARC1; p=reject\"\n",
                     z);
    write_file("ov.zone", zone, (size_t)n);
}

Test(cli, trusted_arc_sealer_overrides_a_dmarc_fail_and_reports_say_so)
{
    override_zone();
    char args[2048], *out;
    snprintf(args, sizeof args,
             "--dns-snapshot ov.zone '%s/conformance/realworld-dkim/013-gmail.com.eml'",
             test_shared_dir());
    cr_assert_eq(run(args, &out), 0);
    cr_assert_not_null(strstr(out, "\"arc\":{\"result\":\"pass\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"disposition\":\"quarantine\""), "%s", out);
    cr_assert_null(strstr(out, "\"override\""), "no override without a trusted sealer");
    snprintf(args, sizeof args,
             "--dns-snapshot ov.zone --arc-trusted-sealer GOOGLE.com --dmarc-reports rep "
             "--authserv-id mx.example.org '%s/conformance/realworld-dkim/013-gmail.com.eml'",
             test_shared_dir());
    cr_assert_eq(run(args, &out), 0);
    cr_assert_not_null(strstr(out, "\"result\":\"fail\""), "the DMARC result stays fail");
    cr_assert_not_null(strstr(out, "\"disposition\":\"none\""), "%s", out);
    cr_assert_not_null(strstr(out, "\"override\":\"trusted_forwarder\",\"override_by\":"
                                   "\"google.com\""), "%s", out);
    char cmd[1024], *xml;
    snprintf(cmd, sizeof cmd, "cat '%s'/rep/*.xml", dir);
    cr_assert_eq(test_run(cmd, &xml, NULL), 0);
    test_keep(xml);
    cr_assert_not_null(strstr(xml, "<type>trusted_forwarder</type>"), "%s", xml);
}

Test(cli, dns_merge_joins_recordings_newest_first)
{
    static const char a[] = "; authsweep-recorded: 2024-01-01T00:00:00Z\n"
                            "x.example. 300 IN TXT \"old\"\n";
    static const char b[] = "; authsweep-recorded: 2025-01-01T00:00:00Z\n"
                            "x.example. 300 IN TXT \"new\"\n";
    write_file("a.zone", a, sizeof a - 1);
    write_file("b.zone", b, sizeof b - 1);
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' dns-merge -o m.zone a.zone b.zone 2>/dev/null && "
             "grep -c \\\"new\\\" m.zone", dir, test_bin());
    cr_assert_eq(test_run(cmd, &out, NULL), 0);
    test_keep(out);
    cr_assert_str_eq(out, "1\n");
}
