/* Command lines are built with snprintf into fixed buffers sized well past any path used. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
/* adversarial: the built program against hostile archives and a hostile DNS snapshot.
 *
 * The corpus is written by tests/adversarial/gen_adversarial.py (deterministic; see its
 * header for what it holds) into a temporary folder, one group per test so that Criterion
 * runs the groups in parallel. For every line of its manifest, `authsweep verify` runs twice
 * (--threads 1 and --threads 4) under timeout(1), and each run must keep the invariants:
 *   - no crash (exit by a signal, or a sanitizer report) and no hang (the time bound);
 *   - the documented exit status;
 *   - one record per message read: as many lines as the manifest says, and the summary on
 *     standard error says "N messages, N records" with the same N;
 *   - every record one JSON object on one line, valid UTF-8 (no lone surrogates either),
 *     indexes 0, 1, 2, ... per source;
 *   - the same output at both thread counts (only as_of times taken from the clock differ);
 *   - the manifest's expected reasons (and absent ones).
 * Then races that only a running program shows: a Maildir entry that vanishes after its
 * folder was listed, an mbox that shrinks while it is streamed (both made deterministic by
 * stalling the program on a full output pipe), and a Maildir churned by a second thread. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/limits.h"
#include "tests/support/guard.h"

#define ADV_TIME_LIMIT_S 60 /* per run; generous for ASan on 2 cores */

static char dir[256];

static void adv_setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/authsweep-adv-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void adv_teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
    (void)system(cmd);
}

TestSuite(adversarial, .init = adv_setup, .fini = adv_teardown, .timeout = 600);

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *path_in(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static char *slurp(const char *name, size_t *len)
{
    char *s = test_read_file(path_in(name), len);
    if (s == NULL) {
        s = calloc(1, 1);
        if (len) {
            *len = 0;
        }
    }
    return s;
}

static size_t count_lines(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += s[i] == '\n';
    }
    return n;
}

static void generate(const char *group)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/adversarial/gen_adversarial.py' '%s' %s",
             test_root_dir(), dir, group);
    cr_assert_eq(test_run(cmd, NULL, NULL), 0, "the generator failed: %s", cmd);
}

/* ---------------------------------------------------------------------------------------
 * One run of the program and its verdict. */

struct run {
    int status;    /* exit status; 128+N for a signal; 124/137 for a timeout */
    double secs;
    char *out, *err;
    size_t out_len, err_len;
};

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

/* run_verify runs `authsweep verify` from dir with args; tag names the output files. */
static struct run run_verify(const char *args, int threads, const char *tag)
{
    char cmd[4096];
    bool own_zone = strstr(args, "--dns-snapshot") != NULL;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && timeout -k 5 %d '%s' verify --no-progress %s --threads %d %s "
             "> out.%s 2> err.%s; echo $? > rc.%s",
             dir, ADV_TIME_LIMIT_S, test_bin(), own_zone ? "" : "--dns-snapshot adv.zone",
             threads, args, tag, tag, tag);
    struct run r = { 0 };
    double t0 = now_s();
    (void)test_run(cmd, NULL, NULL);
    r.secs = now_s() - t0;
    char name[64];
    snprintf(name, sizeof name, "rc.%s", tag);
    char *rc = slurp(name, NULL);
    r.status = rc[0] ? atoi(rc) : -1;
    free(rc);
    snprintf(name, sizeof name, "out.%s", tag);
    r.out = slurp(name, &r.out_len);
    snprintf(name, sizeof name, "err.%s", tag);
    r.err = slurp(name, &r.err_len);
    return r;
}

/* summary_counts finds "authsweep: N messages, M records" on standard error. */
static bool summary_counts(const char *err, unsigned long long *msgs, unsigned long long *recs)
{
    for (const char *p = err; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (sscanf(p, "authsweep: %llu messages, %llu records", msgs, recs) == 2) {
            return true;
        }
    }
    return false;
}

/* valid_jsonl: each line strict UTF-8, one JSON object, strings without lone surrogates;
 * for verify records (records true) also the keys every record has, and indexes 0, 1, 2, ...
 * per source in order. */
static bool valid_jsonl(const char *file, bool records, char **why)
{
    static const char check[] =
        "import json,sys\n"
        "def walk(v):\n"
        "    if isinstance(v,str): v.encode('utf-8')\n"
        "    elif isinstance(v,dict): [walk(k) or walk(x) for k,x in v.items()]\n"
        "    elif isinstance(v,list): [walk(x) for x in v]\n"
        "want={}\n"
        "for n,l in enumerate(open(sys.argv[1],'rb'),1):\n"
        "    try:\n"
        "        assert l.endswith(b'\\n') and l.count(b'\\n')==1, 'not one line'\n"
        "        r=json.loads(l.decode('utf-8','strict'))\n"
        "        assert isinstance(r,dict), 'not an object'\n"
        "        walk(r)\n"
        "        if sys.argv[2]=='plain': continue\n"
        "        for k in ('source','index','offset','message_id','from_domain','error'):\n"
        "            assert k in r, 'no '+k\n"
        "        assert r['error'] is not None or 'as_of' in r, 'no as_of'\n"
        "        i=want.get(r['source'],0)\n"
        "        assert r['index']==i, 'index %s, expected %d' % (r['index'],i)\n"
        "        want[r['source']]=i+1\n"
        "        assert ('dkim' in r) != (r['error'] is not None), 'dkim and error together'\n"
        "    except Exception as e:\n"
        "        print('line %d: %s: %r' % (n, e, l[:300])); sys.exit(1)\n";
    char script[64];
    snprintf(script, sizeof script, "check.py");
    FILE *f = fopen(path_in(script), "w");
    cr_assert_not_null(f);
    fputs(check, f);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' %s", path_in(script), path_in(file),
             records ? "records" : "plain");
    return test_run(cmd, why, NULL) == 0;
}

/* normalize drops the as_of times that come from the clock ("source":"now"), which may
 * differ between two runs a second apart. */
static void normalize(char *s)
{
    static const char src[] = "\",\"source\":\"now\"";
    char *w = s;
    for (char *p = s; *p;) {
        if (strncmp(p, "\"time\":\"", 8) == 0) {
            char *q = strchr(p + 8, '"');
            if (q && strncmp(q, src, sizeof src - 1) == 0) {
                p = q + 1;
                continue;
            }
        }
        *w++ = *p++;
    }
    *w = 0;
}

static bool crashed(const struct run *r)
{
    return r->status < 0 || r->status >= 124 || strstr(r->err, "Sanitizer") != NULL ||
           strstr(r->err, "runtime error:") != NULL;
}

/* check_case runs one manifest line and reports every broken invariant (cr_expect, so one
 * bad case does not hide the next). Returns false if anything failed. */
static bool check_case(char *line)
{
    char *f[32];
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(line, "\t", &save); t && n < 32;
         t = strtok_r(NULL, "\t", &save)) {
        f[n++] = t;
    }
    cr_assert_geq(n, 5, "bad manifest line");
    const char *name = f[0], *args = f[1], *flags = f[4];
    unsigned long long want_msgs = strtoull(f[2], NULL, 10);
    int want_exit = atoi(f[3]);
    bool summary = strstr(flags, "nosummary") == NULL;
    double tight = 0;
    const char *tp = strstr(flags, "tight=");
    if (tp) {
        tight = atof(tp + 6);
    }
    bool ok = true;
    struct run r[2];
    static const int threads[2] = { 1, 4 };
    for (int k = 0; k < 2; k++) {
        char tag[16];
        snprintf(tag, sizeof tag, "t%d", threads[k]);
        r[k] = run_verify(args, threads[k], tag);
        const struct run *x = &r[k];
        const char *err_tail = x->err_len > 2000 ? x->err + x->err_len - 2000 : x->err;
#define EXPECT(cond, ...)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            ok = false;                                                                        \
            cr_expect(cond, __VA_ARGS__);                                                      \
        }                                                                                      \
    } while (0)
        EXPECT(!crashed(x),
               "[%s] --threads %d: crash or hang (status %d after %.1f s; 124/137 = timeout "
               "of %d s, 128+N = signal N)\nstderr: %s",
               name, threads[k], x->status, x->secs, ADV_TIME_LIMIT_S, err_tail);
        if (crashed(x)) {
            continue;
        }
        EXPECT(x->status == want_exit, "[%s] --threads %d: exit %d, expected %d\nstderr: %s",
               name, threads[k], x->status, want_exit, err_tail);
        EXPECT(tight == 0 || x->secs <= tight, "[%s] --threads %d: %.1f s, bound %.0f s", name,
               threads[k], x->secs, tight);
        size_t lines = count_lines(x->out, x->out_len);
        EXPECT(lines == want_msgs, "[%s] --threads %d: %zu records, expected %llu", name,
               threads[k], lines, want_msgs);
        if (summary) {
            unsigned long long m = 0, rc = 0;
            bool have = summary_counts(x->err, &m, &rc);
            EXPECT(have && m == want_msgs && rc == want_msgs,
                   "[%s] --threads %d: summary says %llu messages, %llu records; expected "
                   "%llu of each\nstderr: %s",
                   name, threads[k], m, rc, want_msgs, err_tail);
        }
        if (strstr(flags, "zone")) {
            EXPECT(strstr(x->err, ".zone:") != NULL,
                   "[%s] the zone error does not name FILE:LINE: %s", name, err_tail);
        }
    }
    if (!crashed(&r[0])) {
        char *why = NULL;
        bool valid = valid_jsonl("out.t1", true, &why);
        EXPECT(valid, "[%s] invalid record: %s", name, why ? why : "");
        free(why);
        for (size_t i = 5; i < n; i++) {
            bool neg = f[i][0] == '!';
            const char *s = f[i] + neg;
            bool found = strstr(r[0].out, s) != NULL;
            EXPECT(found != neg, "[%s] the records %s %s", name,
                   neg ? "hold, and must not," : "lack", s);
        }
    }
    if (!crashed(&r[0]) && !crashed(&r[1])) {
        normalize(r[0].out);
        normalize(r[1].out);
        EXPECT(strcmp(r[0].out, r[1].out) == 0,
               "[%s] output differs between --threads 1 and --threads 4", name);
    }
#undef EXPECT
    run_free(&r[0]);
    run_free(&r[1]);
    return ok;
}

static void run_manifest(void)
{
    size_t len;
    char *m = slurp("manifest.tsv", &len);
    cr_assert_gt(len, 0, "empty manifest");
    size_t cases = 0, failed = 0;
    for (char *save = NULL, *line = strtok_r(m, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *copy = strdup(line);
        failed += !check_case(copy);
        free(copy);
        cases++;
    }
    free(m);
    cr_log_info("%zu cases, %zu failed", cases, failed);
}

/* ---------------------------------------------------------------------------------------
 * The corpus, group by group. */

Test(adversarial, headers_nul_8bit_bare_cr_huge_lines_many_fields_deep_from)
{
    generate("headers");
    run_manifest();
}

Test(adversarial, dkim_thousands_of_signatures_junk_base64_l_tags_hostile_keys)
{
    generate("dkim");
    run_manifest();
}

Test(adversarial, dns_wrong_types_cname_loops_huge_txt_temporary_errors)
{
    generate("dns");
    run_manifest();
}

Test(adversarial, mbox_truncated_only_from_lines_unquoted_from_chunk_edges)
{
    generate("mbox");
    run_manifest();
}

Test(adversarial, maildir_hostile_names_symlinks_special_files)
{
    generate("maildir");
    run_manifest();
}

Test(adversarial, zone_files_that_cannot_load_stop_the_run)
{
    generate("zone");
    run_manifest();
}

/* SPF through `authsweep spf`: loops, long chains and trees must end in a result (RFC 7208
 * §4.6.4 limits), as one JSON object, quickly. */
Test(adversarial, spf_include_loops_redirect_chains_wrong_types)
{
    generate("spf");
    size_t len;
    char *m = slurp("spf.tsv", &len);
    cr_assert_gt(len, 0);
    for (char *save = NULL, *line = strtok_r(m, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[8];
        size_t n = 0;
        for (char *s2 = NULL, *t = strtok_r(line, "\t", &s2); t && n < 8;
             t = strtok_r(NULL, "\t", &s2)) {
            f[n++] = t;
        }
        cr_assert_geq(n, 5);
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && timeout -k 5 %d '%s' spf --dns-snapshot adv.zone --ip '%s' "
                 "--sender '%s' --helo '%s' --time 1709294400 > out.spf 2> err.spf; "
                 "echo $? > rc.spf",
                 dir, ADV_TIME_LIMIT_S, test_bin(), f[1], f[2], f[3]);
        double t0 = now_s();
        (void)test_run(cmd, NULL, NULL);
        double secs = now_s() - t0;
        struct run r = { 0 };
        char *rc = slurp("rc.spf", NULL);
        r.status = rc[0] ? atoi(rc) : -1;
        free(rc);
        r.out = slurp("out.spf", &r.out_len);
        r.err = slurp("err.spf", &r.err_len);
        cr_expect(!crashed(&r), "[spf %s] crash or hang: status %d after %.1f s\n%s", f[0],
                  r.status, secs, r.err);
        cr_expect(r.status == 0, "[spf %s] exit %d\n%s", f[0], r.status, r.err);
        cr_expect(count_lines(r.out, r.out_len) == 1, "[spf %s] not one line: %s", f[0], r.out);
        char *why = NULL;
        bool valid = valid_jsonl("out.spf", false, &why);
        cr_expect(valid, "[spf %s] invalid JSON: %s", f[0], why ? why : "");
        free(why);
        cr_expect(strstr(r.out, f[4]) != NULL, "[spf %s] lacks %s: %s", f[0], f[4], r.out);
        run_free(&r);
    }
    free(m);
}

/* ---------------------------------------------------------------------------------------
 * Races. A program writing to a pipe that nobody reads stalls once its in-flight batches
 * are full (threads x 8 batches of 64 messages, plus the pipe's 64 KiB). A folder's names
 * are listed before its first file is read; so while the test holds the pipe, the program
 * has listed the folder, is stuck in its first mbox, and has not looked at later entries. */

static void write_file(const char *name, const void *p, size_t n)
{
    FILE *f = fopen(path_in(name), "wb");
    cr_assert_not_null(f, "%s: %s", name, strerror(errno));
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

static const char adv_from_line[] = "From MAILER-DAEMON Fri Mar  1 12:00:00 2024\n";

/* big_mbox writes n small messages; returns the offsets of their From_ lines (malloc'd). */
static size_t *big_mbox(const char *name, size_t n, size_t *out_size)
{
    size_t cap = n * 160, len = 0;
    char *b = malloc(cap);
    size_t *offs = malloc(n * sizeof *offs);
    for (size_t i = 0; i < n; i++) {
        offs[i] = len;
        len += (size_t)snprintf(b + len, cap - len,
                                "%sFrom: a@adv.example\nMessage-ID: <%zu@adv.example>\n\n"
                                "body %zu\n\n",
                                adv_from_line, i, i);
    }
    write_file(name, b, len);
    free(b);
    *out_size = len;
    return offs;
}

/* stalled_run starts the program on args with its output on a pipe, reads the first record
 * (so the program is past listing and stuck), runs act(), then reads everything. */
static struct run stalled_run(const char *args, void (*act)(void))
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && timeout -k 5 %d '%s' verify --no-progress --threads 1 "
             "--dns-snapshot adv.zone %s 2> err.stall; echo \"rc=$?\"",
             dir, ADV_TIME_LIMIT_S, test_bin(), args);
    write_file("adv.zone", "$TTL 300\n", 9);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    struct run r = { 0 };
    size_t cap = 1 << 20;
    r.out = malloc(cap);
    cr_assert_not_null(fgets(r.out, (int)cap, p), "no first record");
    r.out_len = strlen(r.out);
    act();
    size_t got;
    while ((got = fread(r.out + r.out_len, 1, cap - r.out_len - 1, p)) > 0) {
        r.out_len += got;
        if (cap - r.out_len < 4096) {
            cap *= 2;
            r.out = realloc(r.out, cap);
        }
    }
    r.out[r.out_len] = 0;
    pclose(p);
    /* the last line is "rc=N" from the shell */
    char *rc = strstr(r.out, "rc=");
    while (rc && strstr(rc + 1, "rc=")) {
        rc = strstr(rc + 1, "rc=");
    }
    cr_assert_not_null(rc);
    r.status = atoi(rc + 3);
    *rc = 0;
    r.out_len = (size_t)(rc - r.out);
    r.err = slurp("err.stall", &r.err_len);
    return r;
}

static void unlink_victim(void)
{
    cr_assert_eq(unlink(path_in("folder/z-victim.eml")), 0);
}

Test(adversarial, folder_entry_vanishing_after_listing_gets_an_error_record)
{
    cr_assert_eq(mkdir(path_in("folder"), 0700), 0);
    size_t size;
    free(big_mbox("folder/a.mbox", 20000, &size));
    /* more files than one read batch (32), so z-victim.eml is not opened with a.mbox */
    for (int i = 0; i < 40; i++) {
        char name[64], m[128];
        snprintf(name, sizeof name, "folder/b%02d.eml", i);
        int n = snprintf(m, sizeof m, "From: a@adv.example\nMessage-ID: <b%d@x>\n\nb\n", i);
        write_file(name, m, (size_t)n);
    }
    write_file("folder/z-victim.eml", "From: v@adv.example\n\nv\n", 23);
    struct run r = stalled_run("folder", unlink_victim);
    cr_assert(!crashed(&r), "status %d\n%s", r.status, r.err);
    cr_expect_eq(count_lines(r.out, r.out_len), 20000 + 40 + 1, "%zu records",
                 count_lines(r.out, r.out_len));
    unsigned long long m = 0, rc = 0;
    cr_expect(summary_counts(r.err, &m, &rc) && m == 20041 && rc == 20041, "%s", r.err);
    const char *last = r.out_len > 1 ? r.out + r.out_len - 1 : r.out;
    while (last > r.out && last[-1] != '\n') {
        last--;
    }
    cr_expect_not_null(strstr(last, "z-victim.eml"), "last record: %s", last);
    cr_expect_not_null(strstr(last, "\"code\":\"read_error\""), "last record: %s", last);
    cr_expect_eq(r.status, 0, "a vanished message is a per-message error (exit %d)\n%s",
                 r.status, r.err);
    run_free(&r);
}

static size_t shrink_at;

static void shrink_mbox(void)
{
    cr_assert_eq(truncate(path_in("s.mbox"), (off_t)shrink_at), 0);
}

Test(adversarial, mbox_shrinking_while_streamed_flags_the_cut_message)
{
    size_t size, n = (size_t)50000 * (LIM_READ_CHUNK >> 20); /* about 6 chunks of messages */
    size_t *offs = big_mbox("s.mbox", n, &size);
    /* Cut past the two chunks the reader may already hold, inside a message. */
    shrink_at = 3 * (size_t)LIM_READ_CHUNK + 77;
    cr_assert_gt(size, shrink_at + LIM_READ_CHUNK);
    size_t kept = 0;
    while (kept < n && offs[kept] < shrink_at) {
        kept++;
    }
    free(offs);
    struct run r = stalled_run("s.mbox", shrink_mbox);
    cr_assert(!crashed(&r), "status %d\n%s", r.status, r.err);
    size_t lines = count_lines(r.out, r.out_len);
    cr_expect_eq(lines, kept, "%zu records, expected %zu (messages before the cut)", lines, kept);
    unsigned long long m = 0, rc = 0;
    cr_expect(summary_counts(r.err, &m, &rc) && m == lines && rc == lines, "%s", r.err);
    const char *last = r.out_len > 1 ? r.out + r.out_len - 1 : r.out;
    while (last > r.out && last[-1] != '\n') {
        last--;
    }
    cr_expect_not_null(strstr(last, "\"code\":\"read_error\""), "the cut message: %s", last);
    run_free(&r);
}

/* A second thread deletes, truncates, grows and replaces Maildir entries while the program
 * reads them at 4 threads. What is read is timing-dependent; the invariants are not. */
struct churn {
    atomic_bool stop;
    size_t n;
};

static void *churn_main(void *arg)
{
    struct churn *c = arg;
    unsigned seed = 7;
    char big[8192];
    memset(big, 'x', sizeof big);
    memcpy(big, "From: a@adv.example\n\n", 21);
    while (!atomic_load(&c->stop)) {
        seed = seed * 1103515245u + 12345u;
        size_t i = (seed >> 8) % c->n;
        char p[600];
        snprintf(p, sizeof p, "%s/Maildir/cur/%05zu:2,S", dir, i);
        switch ((seed >> 4) % 5) {
        case 0:
            (void)unlink(p);
            break;
        case 1:
            (void)truncate(p, 0);
            break;
        case 2:
            (void)truncate(p, 7);
            break;
        case 3: {
            int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                (void)!write(fd, big, sizeof big);
                close(fd);
            }
            break;
        }
        default: {
            char t[640];
            snprintf(t, sizeof t, "%s/Maildir/tmp/%05zu", dir, i);
            int fd = open(t, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                (void)!write(fd, big, 100);
                close(fd);
                (void)rename(t, p);
            }
            break;
        }
        }
    }
    return NULL;
}

Test(adversarial, maildir_churned_during_the_run_keeps_the_invariants)
{
    static const char *const sub[] = { "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp" };
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(mkdir(path_in(sub[i]), 0700), 0);
    }
    struct churn c = { .n = 3000 };
    for (size_t i = 0; i < c.n; i++) {
        char name[64], m[160];
        snprintf(name, sizeof name, "Maildir/cur/%05zu:2,S", i);
        int n = snprintf(m, sizeof m,
                         "From: a@adv.example\nMessage-ID: <%zu@x>\nDKIM-Signature: v=1; "
                         "a=rsa-sha256; d=adv.example; s=s; h=from; bh=AAAA; b=AAAA\n\nb\n",
                         i);
        write_file(name, m, (size_t)n);
    }
    write_file("adv.zone", "$TTL 300\n", 9);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, churn_main, &c), 0);
    struct run r = run_verify("Maildir", 4, "churn");
    atomic_store(&c.stop, true);
    pthread_join(th, NULL);
    cr_assert(!crashed(&r), "status %d\n%s", r.status, r.err);
    cr_expect(r.status == 0 || r.status == 1, "exit %d\n%s", r.status, r.err);
    unsigned long long m = 0, rc = 0;
    size_t lines = count_lines(r.out, r.out_len);
    cr_expect(summary_counts(r.err, &m, &rc) && m == lines && rc == lines,
              "%zu records; summary: %s", lines, r.err);
    char *why = NULL;
    cr_expect(valid_jsonl("out.churn", true, &why), "%s", why ? why : "");
    free(why);
    run_free(&r);
}
