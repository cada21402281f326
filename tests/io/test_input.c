/* Tests for io/input.c: reading and splitting mbox files, Maildirs, folders and stdin.
 * Every test builds its inputs under its own mkdtemp folder. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/limits.h"
#include "io/input.h"
#include "tests/support/guard.h"

/* ---- helpers ------------------------------------------------------------------------- */

struct rec {
    char *raw;
    size_t raw_len;
    char *from;
    size_t from_len;
    char *source;
    uint64_t index;
    int64_t offset;
    uint64_t size;
    enum input_kind kind;
    enum input_err err;
    char detail[160];
    bool data_null;
};

struct got {
    struct rec *r;
    size_t n, cap;
    size_t n_errs;
    char errs[32][1024];
    char err_paths[32][512];
    size_t path_errors;
    char backend[16];
    uint64_t total, read;
};

static char tmp_root[256];

static void make_tmp(void)
{
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/authsweep-io-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_root));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static void rm_tmp(void)
{
    if (tmp_root[0] != '\0') {
        nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

/* tpath returns tmp_root/rel in a static ring of buffers. */
static const char *tpath(const char *rel)
{
    static char bufs[16][1024];
    static int k;
    char *b = bufs[k++ % 16];
    snprintf(b, 1024, "%s/%s", tmp_root, rel);
    return b;
}

static void mkdirs_for(const char *path, bool include_last)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    if (include_last) {
        mkdir(tmp, 0755);
    }
}

static void put_bytes(const char *rel, const void *p, size_t n)
{
    const char *path = tpath(rel);
    mkdirs_for(path, false);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "fopen %s", path);
    if (n > 0) {
        cr_assert_eq(fwrite(p, 1, n, f), n);
    }
    fclose(f);
}

static void put(const char *rel, const char *s)
{
    put_bytes(rel, s, strlen(s));
}

static void mkd(const char *rel)
{
    mkdirs_for(tpath(rel), true);
}

static void on_err(void *ctx, const char *path, const char *detail)
{
    struct got *g = ctx;
    if (g->n_errs < 32) {
        snprintf(g->errs[g->n_errs], sizeof(g->errs[0]), "%s", detail);
        snprintf(g->err_paths[g->n_errs], sizeof(g->err_paths[0]), "%s", path);
        g->n_errs++;
    }
}

static void run_opts(struct got *g, const char *const *paths, size_t n, bool force_pread,
                     size_t max)
{
    memset(g, 0, sizeof(*g));
    struct input_opts o = { .max_message_bytes = max, .force_pread = force_pread,
                            .on_path_error = on_err, .ctx = g };
    struct input_set *s = input_open(paths, n, &o);
    cr_assert_not_null(s);
    snprintf(g->backend, sizeof(g->backend), "%s", input_backend_name(s));
    g->total = input_bytes_total(s);
    struct input_msg m;
    while (input_next(s, &m)) {
        if (g->n == g->cap) {
            g->cap = g->cap ? g->cap * 2 : 16;
            g->r = realloc(g->r, g->cap * sizeof(*g->r));
        }
        struct rec *r = &g->r[g->n++];
        memset(r, 0, sizeof(*r));
        r->raw = malloc(m.raw.len + 1);
        if (m.raw.len) {
            memcpy(r->raw, m.raw.ptr, m.raw.len);
        }
        r->raw[m.raw.len] = '\0';
        r->raw_len = m.raw.len;
        r->from = malloc(m.from_line.len + 1);
        if (m.from_line.len) {
            memcpy(r->from, m.from_line.ptr, m.from_line.len);
        }
        r->from[m.from_line.len] = '\0';
        r->from_len = m.from_line.len;
        r->source = strdup(m.source);
        r->index = m.index;
        r->offset = m.offset;
        r->size = m.size;
        r->kind = m.kind;
        r->err = m.err;
        r->data_null = m.data == NULL;
        memcpy(r->detail, m.err_detail, sizeof(r->detail));
        input_msg_free(&m);
        cr_assert_null(m.data);
    }
    g->path_errors = input_path_errors(s);
    g->read = input_bytes_read(s);
    input_close(s);
}

static void run(struct got *g, const char *const *paths, size_t n)
{
    run_opts(g, paths, n, true, 0);
}

static void run1(struct got *g, const char *path)
{
    const char *p[1] = { path };
    run(g, p, 1);
}

static void free_got(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->r[i].raw);
        free(g->r[i].from);
        free(g->r[i].source);
    }
    free(g->r);
    g->r = NULL;
}

static void expect_raw(const struct rec *r, const char *want)
{
    cr_assert_eq(r->raw_len, strlen(want), "raw length %zu, want %zu: [%s]", r->raw_len,
                 strlen(want), r->raw);
    cr_assert(memcmp(r->raw, want, r->raw_len) == 0, "raw [%s], want [%s]", r->raw, want);
}

/* ---- mbox ---------------------------------------------------------------------------- */

TestSuite(mbox, .init = make_tmp, .fini = rm_tmp);
TestSuite(maildir, .init = make_tmp, .fini = rm_tmp);
TestSuite(input, .init = make_tmp, .fini = rm_tmp);

Test(mbox, mboxo_and_mboxrd_quoting_is_undone)
{
    put("a.mbox", "From alice@example.org Mon Jan  1 00:00:00 2024\n"
                  "Subject: one\n"
                  "\n"
                  ">From the start\n"
                  ">>From deeper\n"
                  ">>>From deepest\n"
                  "> From not quoted (space)\n"
                  ">Fromage is not a From_ line\n"
                  "\n"
                  "From bob@example.org Tue Jan  2 00:00:00 2024\n"
                  "Subject: two\n"
                  "\n"
                  "body\n");
    struct got g;
    run1(&g, tpath("a.mbox"));
    cr_assert_eq(g.n, 2);
    expect_raw(&g.r[0], "Subject: one\n\nFrom the start\n>From deeper\n>>From deepest\n"
                        "> From not quoted (space)\n>Fromage is not a From_ line\n");
    expect_raw(&g.r[1], "Subject: two\n\nbody\n");
    cr_assert_str_eq(g.r[0].from, "alice@example.org Mon Jan  1 00:00:00 2024");
    cr_assert_str_eq(g.r[1].from, "bob@example.org Tue Jan  2 00:00:00 2024");
    cr_assert_eq(g.r[0].kind, INPUT_KIND_MBOX);
    cr_assert_eq(g.r[0].index, 0);
    cr_assert_eq(g.r[1].index, 1);
    cr_assert_str_eq(g.r[0].source, tpath("a.mbox"));
    cr_assert_eq(g.path_errors, 0);
    free_got(&g);
}

Test(mbox, crlf_lines_are_kept_and_separator_dropped)
{
    put("crlf.mbox", "From a@b Mon Jan 1 00:00:00 2024\r\n"
                     "Subject: x\r\n\r\n>From body\r\n\r\n"
                     "From c@d Mon Jan 1 00:00:00 2024\r\n"
                     "Subject: y\r\n\r\nend\r\n");
    struct got g;
    run1(&g, tpath("crlf.mbox"));
    cr_assert_eq(g.n, 2);
    cr_assert_str_eq(g.r[0].from, "a@b Mon Jan 1 00:00:00 2024");
    expect_raw(&g.r[0], "Subject: x\r\n\r\nFrom body\r\n");
    expect_raw(&g.r[1], "Subject: y\r\n\r\nend\r\n");
    free_got(&g);
}

Test(mbox, last_message_without_final_newline_is_kept)
{
    put("nonl.mbox", "From a Mon\nSubject: 1\n\nx\n\nFrom b Tue\nSubject: 2\n\nno newline");
    struct got g;
    run1(&g, tpath("nonl.mbox"));
    cr_assert_eq(g.n, 2);
    expect_raw(&g.r[1], "Subject: 2\n\nno newline");
    free_got(&g);
}

Test(mbox, empty_file_gives_no_messages)
{
    put("empty.mbox", "");
    put("blank.mbox", "\n\n\r\n");
    const char *p[] = { tpath("empty.mbox"), tpath("blank.mbox") };
    struct got g;
    run(&g, p, 2);
    cr_assert_eq(g.n, 0);
    cr_assert_eq(g.path_errors, 0);
    free_got(&g);
}

Test(mbox, message_without_body_and_empty_message)
{
    put("nobody.mbox", "From a Mon\nSubject: only headers\n"
                       "From b Tue\n\n"
                       "From c Wed\n"
                       "From d Thu\nSubject: last\n");
    struct got g;
    run1(&g, tpath("nobody.mbox"));
    cr_assert_eq(g.n, 4);
    expect_raw(&g.r[0], "Subject: only headers\n");
    expect_raw(&g.r[1], "");
    expect_raw(&g.r[2], "");
    expect_raw(&g.r[3], "Subject: last\n");
    cr_assert_str_eq(g.r[2].from, "c Wed");
    for (size_t i = 0; i < g.n; i++) {
        cr_assert_eq(g.r[i].err, INPUT_OK);
        cr_assert_eq(g.r[i].index, i);
    }
    free_got(&g);
}

Test(mbox, from_inside_a_line_does_not_split)
{
    put("inline.mbox", "From a Mon\nSubject: s\n\nsaid From here\n From indented\nxFrom x\n"
                       "From\n\tFrom tab\nFrom:x\n");
    struct got g;
    run1(&g, tpath("inline.mbox"));
    cr_assert_eq(g.n, 1);
    expect_raw(&g.r[0], "Subject: s\n\nsaid From here\n From indented\nxFrom x\nFrom\n"
                        "\tFrom tab\nFrom:x\n");
    free_got(&g);
}

Test(mbox, offsets_and_sizes_follow_the_from_lines)
{
    const char *a = "From a Mon\nS: 1\n\n";
    const char *b = "From bb Tue\nS: 22\n\n";
    const char *c = "From ccc Wed\nS: 333\n";
    char all[256];
    snprintf(all, sizeof(all), "%s%s%s", a, b, c);
    put("off.mbox", all);
    struct got g;
    run1(&g, tpath("off.mbox"));
    cr_assert_eq(g.n, 3);
    cr_assert_eq(g.r[0].offset, 0);
    cr_assert_eq(g.r[1].offset, (int64_t)strlen(a));
    cr_assert_eq(g.r[2].offset, (int64_t)(strlen(a) + strlen(b)));
    cr_assert_eq(g.r[0].size, strlen(a));
    cr_assert_eq(g.r[1].size, strlen(b));
    cr_assert_eq(g.r[2].size, strlen(c));
    cr_assert_eq(g.total, strlen(all));
    cr_assert_eq(g.read, strlen(all));
    free_got(&g);
}

Test(mbox, blank_lines_before_first_from_line_are_ignored)
{
    put("lead.mbox", "\n\r\n\nFrom a Mon\nS: 1\n");
    struct got g;
    run1(&g, tpath("lead.mbox"));
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.r[0].offset, 4);
    expect_raw(&g.r[0], "S: 1\n");
    free_got(&g);
}

Test(mbox, oversize_message_in_the_middle_is_one_record)
{
    char big[4096];
    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    for (size_t i = 100; i < sizeof(big) - 1; i += 100) {
        big[i] = '\n';
    }
    char *all = NULL;
    size_t all_len = 0;
    FILE *f = open_memstream(&all, &all_len);
    fprintf(f, "From a Mon\nS: small1\n\nFrom big Tue\nS: big\n\n%s\n\nFrom c Wed\nS: small2\n", big);
    fclose(f);
    put_bytes("big.mbox", all, all_len);
    const char *p[] = { tpath("big.mbox") };
    struct got g;
    run_opts(&g, p, 1, true, 1000);
    cr_assert_eq(g.n, 3);
    expect_raw(&g.r[0], "S: small1\n");
    cr_assert_eq(g.r[1].err, INPUT_E_TOO_BIG);
    cr_assert_eq(g.r[1].raw_len, 0);
    cr_assert_str_eq(g.r[1].from, "big Tue");
    cr_assert_eq(g.r[1].size, strlen("From big Tue\nS: big\n\n") + strlen(big) + 2);
    cr_assert_neq(g.r[1].detail[0], '\0');
    expect_raw(&g.r[2], "S: small2\n");
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(g.r[i].index, i);
    }
    cr_assert_eq(g.r[2].offset, (int64_t)(all_len - strlen("From c Wed\nS: small2\n")));
    free(all);
    free_got(&g);
}

Test(mbox, oversize_message_spanning_chunks_is_skipped)
{
    size_t n = 3 * LIM_READ_CHUNK + 17;
    char *body = malloc(n);
    memset(body, 'y', n);
    FILE *f = fopen(tpath("huge.mbox"), "wb");
    cr_assert_not_null(f);
    fputs("From a Mon\nS: 1\n\nFrom huge Tue\nS: 2\n\n", f);
    fwrite(body, 1, n, f);
    fputs("\n\nFrom c Wed\nS: 3\n", f);
    fclose(f);
    free(body);
    const char *p[] = { tpath("huge.mbox") };
    for (int backend = 0; backend < 2; backend++) {
        struct got g;
        run_opts(&g, p, 1, backend == 0, LIM_READ_CHUNK);
        cr_assert_eq(g.n, 3);
        cr_assert_eq(g.r[1].err, INPUT_E_TOO_BIG);
        cr_assert_eq(g.r[1].size, strlen("From huge Tue\nS: 2\n\n") + n + 2);
        expect_raw(&g.r[2], "S: 3\n");
        cr_assert_eq(g.r[2].index, 2);
        free_got(&g);
    }
}

Test(mbox, ten_megabyte_header_line_is_kept_whole)
{
    size_t n = 10u << 20;
    char *line = malloc(n);
    memset(line, 'a', n);
    FILE *f = fopen(tpath("long.mbox"), "wb");
    cr_assert_not_null(f);
    fputs("From a Mon\nSubject: ", f);
    fwrite(line, 1, n, f);
    fputs("\n\nbody\n\nFrom ", f);
    fwrite(line, 1, n, f); /* a 10 MB From_ line too: kept up to 4096 bytes */
    fputs("\nS: 2\n", f);
    fclose(f);
    const char *p[] = { tpath("long.mbox") };
    struct got g;
    run_opts(&g, p, 1, false, 0);
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.r[0].err, INPUT_OK);
    cr_assert_eq(g.r[0].raw_len, strlen("Subject: ") + n + strlen("\n\nbody\n"));
    cr_assert(memcmp(g.r[0].raw + strlen("Subject: "), line, n) == 0);
    cr_assert_eq(g.r[1].from_len, 4096);
    expect_raw(&g.r[1], "S: 2\n");
    free(line);
    free_got(&g);
}

Test(mbox, many_messages_across_chunk_boundaries)
{
    /* Messages of varying sizes so that From_ lines, ">From " lines and CRLF pairs fall
     * on chunk boundaries; every message must come back byte for byte. */
    FILE *f = fopen(tpath("many.mbox"), "wb");
    cr_assert_not_null(f);
    size_t count = 0;
    uint64_t off = 0;
    size_t cap = (3 * (size_t)LIM_READ_CHUNK + 12345) / 40 + 1; /* a message is over 40 bytes */
    int64_t *offsets = malloc(cap * sizeof(*offsets));
    cr_assert_not_null(offsets);
    while (off < 3 * LIM_READ_CHUNK + 12345) {
        cr_assert_lt(count, cap);
        offsets[count] = (int64_t)off;
        int len = fprintf(f, "From m%zu Mon\r\nS: %zu\r\n\r\n>From q\r\n", count, count);
        for (size_t k = 0; k < (count * 7919) % 2000; k++) {
            fputc('a' + (int)(k % 26), f);
            len++;
        }
        len += fprintf(f, "\r\n\r\n");
        off += (uint64_t)len;
        count++;
    }
    fclose(f);
    const char *p[] = { tpath("many.mbox") };
    struct got g;
    run_opts(&g, p, 1, false, 0);
    cr_assert_eq(g.n, count);
    for (size_t i = 0; i < count; i++) {
        char head[64];
        snprintf(head, sizeof(head), "S: %zu\r\n\r\nFrom q\r\n", i);
        cr_assert(strncmp(g.r[i].raw, head, strlen(head)) == 0, "message %zu: %s", i, g.r[i].raw);
        cr_assert_eq(g.r[i].raw_len, strlen(head) + (i * 7919) % 2000 + 2);
        cr_assert_eq(g.r[i].offset, offsets[i]);
        cr_assert_eq(g.r[i].index, i);
    }
    cr_assert_eq(g.read, g.total);
    free_got(&g);
    free(offsets);
}

Test(mbox, binary_bytes_with_nul_are_carried)
{
    uint8_t data[600];
    memcpy(data, "From x Mon\n", 11);
    for (size_t i = 11; i < sizeof(data); i++) {
        data[i] = (uint8_t)((i * 131) ^ (i >> 3));
        if (data[i] == '\n') {
            data[i] = 0;
        }
    }
    put_bytes("bin.mbox", data, sizeof(data));
    struct got g;
    run1(&g, tpath("bin.mbox"));
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.r[0].raw_len, sizeof(data) - 11);
    cr_assert(memcmp(g.r[0].raw, data + 11, sizeof(data) - 11) == 0);
    free_got(&g);
}

static size_t count_from_lines(const char *buf, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i + 5 <= len; i++) {
        if ((i == 0 || buf[i - 1] == '\n') && memcmp(buf + i, "From ", 5) == 0) {
            n++;
        }
    }
    return n;
}

Test(mbox, sisimai_mbox0_splits_into_its_from_lines)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/conformance/corpus-sisimai-set-of-emails/mailbox/mbox-0",
             test_shared_dir());
    size_t len = 0;
    char *buf = test_read_file(path, &len);
    cr_assert_not_null(buf, "cannot read %s", path);
    size_t want = count_from_lines(buf, len);
    cr_assert_gt(want, 1);
    for (int backend = 0; backend < 2; backend++) {
        struct got g;
        const char *p[] = { path };
        run_opts(&g, p, 1, backend == 0, 0);
        cr_assert_eq(g.n, want, "%zu messages, want %zu", g.n, want);
        for (size_t i = 0; i < g.n; i++) {
            cr_assert_eq(g.r[i].err, INPUT_OK);
            cr_assert(memcmp(buf + g.r[i].offset, "From ", 5) == 0);
        }
        cr_assert_eq(g.read, len);
        free_got(&g);
    }
    free(buf);
}

/* ---- Maildir ------------------------------------------------------------------------- */

static void make_maildir_tree(void)
{
    put("md/cur/1700000002.b:2,S", "Subject: cur b\n\nb\n");
    put("md/cur/1700000001.a:2,S", "Subject: cur a\n\na\n");
    put("md/cur/.hidden", "not a message\n");
    put("md/new/1700000003.c", "Subject: new c\n\nc\n");
    put("md/tmp/1700000009.t", "Subject: tmp\n\nmid-delivery\n");
    put("md/dovecot-uidlist", "3 V1 N4\n");
    put("md/dovecot.index.log", "\x01\x02");
    put("md/subscriptions", "Sub\n");
    put("md/maildirfolder", "");
    put("md/courierimapkeywords/x", "junk\n");
    put("md/.Sub/maildirfolder", "");
    put("md/.Sub/cur/1700000004.d", "Subject: sub d\n\nd\n");
    put("md/.Sub/new/1700000005.e", "From looks-like-mbox\nSubject: sub e\n");
    mkd("md/.Sub/tmp");
    put("md/.Sub.Deeper/cur/1700000006.f", "Subject: deeper f\n\nf\n");
    put("md/.Empty/maildirfolder", "");
}

Test(maildir, cur_new_then_subfolders_and_tmp_ignored)
{
    make_maildir_tree();
    struct got g;
    run1(&g, tpath("md"));
    const char *want[] = { "md/cur/1700000001.a:2,S", "md/cur/1700000002.b:2,S",
                           "md/new/1700000003.c", "md/.Sub/cur/1700000004.d",
                           "md/.Sub/new/1700000005.e", "md/.Sub.Deeper/cur/1700000006.f" };
    cr_assert_eq(g.n, 6);
    for (size_t i = 0; i < 6; i++) {
        cr_assert_str_eq(g.r[i].source, tpath(want[i]));
        cr_assert_eq(g.r[i].kind, INPUT_KIND_FILE);
        cr_assert_eq(g.r[i].index, 0);
        cr_assert_eq(g.r[i].offset, -1);
        cr_assert_eq(g.r[i].err, INPUT_OK);
    }
    expect_raw(&g.r[0], "Subject: cur a\n\na\n");
    expect_raw(&g.r[4], "From looks-like-mbox\nSubject: sub e\n"); /* Maildir: one message */
    cr_assert_eq(g.path_errors, 0);
    free_got(&g);
}

Test(maildir, with_trailing_slash_and_only_new)
{
    put("m2/new/x", "Subject: x\n\n");
    struct got g;
    run1(&g, tpath("m2/"));
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.r[0].source, tpath("m2/new/x"));
    free_got(&g);
}

Test(maildir, oversize_entry_is_too_big_with_its_size)
{
    char big[3000];
    memset(big, 'z', sizeof(big));
    put("m3/cur/a", "Subject: a\n\n");
    put_bytes("m3/cur/b", big, sizeof(big));
    put("m3/cur/c", "Subject: c\n\n");
    const char *p[] = { tpath("m3") };
    struct got g;
    run_opts(&g, p, 1, false, 1000);
    cr_assert_eq(g.n, 3);
    cr_assert_eq(g.r[1].err, INPUT_E_TOO_BIG);
    cr_assert_eq(g.r[1].size, sizeof(big));
    cr_assert_eq(g.r[1].raw_len, 0);
    expect_raw(&g.r[2], "Subject: c\n\n");
    cr_assert_eq(g.read, g.total);
    free_got(&g);
}

Test(maildir, many_entries_over_several_batches)
{
    for (int i = 0; i < 100; i++) {
        char rel[64], body[64];
        snprintf(rel, sizeof(rel), "m4/cur/%03d", i);
        snprintf(body, sizeof(body), "Subject: %d\n\n%d\n", i, i);
        put(rel, body);
    }
    const char *p[] = { tpath("m4") };
    for (int backend = 0; backend < 2; backend++) {
        struct got g;
        run_opts(&g, p, 1, backend == 0, 0);
        cr_assert_eq(g.n, 100);
        for (int i = 0; i < 100; i++) {
            char body[64];
            snprintf(body, sizeof(body), "Subject: %d\n\n%d\n", i, i);
            expect_raw(&g.r[i], body);
        }
        free_got(&g);
    }
}

/* ---- folders, files, mixed ------------------------------------------------------------ */

Test(input, folder_of_eml_files_is_sorted_bytewise_and_recursive)
{
    put("f/b.eml", "Subject: b\n\n");
    put("f/B.eml", "Subject: B\n\n");
    put("f/_x.eml", "Subject: _x\n\n");
    put("f/\xc3\xa9.eml", "Subject: e-acute\n\n");
    put("f/a/inner.eml", "Subject: inner\n\n");
    put("f/a.mbox", "From a Mon\nSubject: m0\n\nFrom b Tue\nSubject: m1\n");
    struct got g;
    run1(&g, tpath("f"));
    const char *src[] = { "f/B.eml", "f/_x.eml", "f/a/inner.eml", "f/a.mbox", "f/a.mbox",
                          "f/b.eml", "f/\xc3\xa9.eml" };
    cr_assert_eq(g.n, 7);
    for (size_t i = 0; i < 7; i++) {
        cr_assert_str_eq(g.r[i].source, tpath(src[i]));
    }
    cr_assert_eq(g.r[3].kind, INPUT_KIND_MBOX);
    cr_assert_eq(g.r[4].index, 1);
    expect_raw(&g.r[4], "Subject: m1\n");
    cr_assert_eq(g.r[5].kind, INPUT_KIND_FILE);
    expect_raw(&g.r[6], "Subject: e-acute\n\n");
    free_got(&g);
}

Test(input, mixed_inputs_come_in_command_order)
{
    put("x.mbox", "From a Mon\nS: mbox\n");
    put("one.eml", "S: eml\n");
    put("md/cur/1", "S: maildir\n");
    put("dir/z.eml", "S: dir\n");
    const char *p[] = { tpath("dir"), tpath("x.mbox"), tpath("md"), tpath("one.eml") };
    struct got g;
    run(&g, p, 4);
    cr_assert_eq(g.n, 4);
    expect_raw(&g.r[0], "S: dir\n");
    expect_raw(&g.r[1], "S: mbox\n");
    expect_raw(&g.r[2], "S: maildir\n");
    expect_raw(&g.r[3], "S: eml\n");
    cr_assert_str_eq(g.r[1].source, tpath("x.mbox"));
    cr_assert_eq(g.total, 7 + 7 + 11 + 19);
    free_got(&g);
}

Test(input, compressed_files_are_path_errors_and_others_go_on)
{
    static const struct {
        const char *name;
        const char *bytes;
        size_t len;
        const char *kind;
    } arc[] = {
        { "a.gz", "\x1f\x8b\x08\x00rest", 8, "gzip" },
        { "b.bz2", "BZh91AY&SY", 10, "bzip2" },
        { "c.xz", "\xfd" "7zXZ\x00\x00\x04", 8, "xz" },
        { "d.zst", "\x28\xb5\x2f\xfd\x00", 5, "zstd" },
        { "e.zip", "PK\x03\x04\x14\x00", 6, "zip" },
    };
    const char *p[7];
    for (size_t i = 0; i < 5; i++) {
        put_bytes(arc[i].name, arc[i].bytes, arc[i].len);
        p[i] = tpath(arc[i].name);
    }
    put("ok.eml", "Subject: fine\n\n");
    p[5] = tpath("ok.eml");
    put("dir/inside.gz", "\x1f\x8b\x08");
    p[6] = tpath("dir");
    struct got g;
    run(&g, p, 7);
    cr_assert_eq(g.path_errors, 6);
    cr_assert_eq(g.n_errs, 6);
    for (size_t i = 0; i < 5; i++) {
        cr_assert(strstr(g.errs[i], tpath(arc[i].name)) != NULL, "%s", g.errs[i]);
        cr_assert(strstr(g.errs[i], arc[i].kind) != NULL, "%s", g.errs[i]);
        cr_assert(strstr(g.errs[i], "decompress first") != NULL, "%s", g.errs[i]);
        cr_assert_str_eq(g.err_paths[i], tpath(arc[i].name));
    }
    cr_assert(strstr(g.errs[0], "zcat") != NULL);
    cr_assert(strstr(g.errs[5], "inside.gz") != NULL);
    cr_assert_eq(g.n, 1);
    expect_raw(&g.r[0], "Subject: fine\n\n");
    free_got(&g);
}

Test(input, missing_path_is_a_path_error)
{
    put("ok.eml", "S: ok\n");
    const char *p[] = { tpath("does-not-exist"), tpath("ok.eml") };
    struct got g;
    run(&g, p, 2);
    cr_assert_eq(g.path_errors, 1);
    cr_assert(strstr(g.errs[0], "does-not-exist") != NULL);
    cr_assert_eq(g.n, 1);
    free_got(&g);
}

Test(input, binary_garbage_file_is_one_message)
{
    uint8_t data[5000];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)((i * 2654435761u) >> 13);
        if (data[i] == '\n') {
            data[i] = 0; /* no newline at all, and NULs */
        }
    }
    data[0] = 0;
    put_bytes("garbage.bin", data, sizeof(data));
    struct got g;
    run1(&g, tpath("garbage.bin"));
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.r[0].raw_len, sizeof(data));
    cr_assert(memcmp(g.r[0].raw, data, sizeof(data)) == 0);
    cr_assert_eq(g.r[0].size, sizeof(data));
    free_got(&g);
}

Test(input, large_single_file_message_is_read_whole)
{
    size_t n = 2 * LIM_READ_CHUNK + 3; /* over the sniff threshold: head, then the rest */
    char *d = malloc(n);
    memset(d, 'q', n);
    memcpy(d, "Subject: big\n\n", 14);
    put_bytes("big.eml", d, n);
    put_bytes("bigger.eml", d, n);
    const char *p[] = { tpath("big.eml"), tpath("bigger.eml") };
    struct got g;
    run_opts(&g, p, 2, false, 0);
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.r[0].raw_len, n);
    cr_assert(memcmp(g.r[0].raw, d, n) == 0);
    free_got(&g);
    run_opts(&g, p, 2, false, n - 1);
    cr_assert_eq(g.r[0].err, INPUT_E_TOO_BIG);
    cr_assert_eq(g.r[0].size, n);
    cr_assert_eq(g.read, g.total);
    free_got(&g);
    free(d);
}

Test(input, symlinks_to_files_followed_and_loops_safe)
{
    put("s/real.eml", "S: real\n");
    cr_assert_eq(symlink("real.eml", tpath("s/link.eml")), 0);
    cr_assert_eq(symlink(".", tpath("s/loop")), 0);
    cr_assert_eq(symlink("nowhere", tpath("s/dangling")), 0);
    cr_assert_eq(symlink("self", tpath("s/self")), 0);
    struct got g;
    run1(&g, tpath("s"));
    cr_assert_eq(g.n, 2);
    cr_assert_str_eq(g.r[0].source, tpath("s/link.eml"));
    cr_assert_str_eq(g.r[1].source, tpath("s/real.eml"));
    cr_assert_eq(g.path_errors, 2); /* dangling and self */
    free_got(&g);
}

Test(input, special_file_in_folder_is_a_path_error)
{
    put("sp/a.eml", "S: a\n");
    cr_assert_eq(mkfifo(tpath("sp/fifo"), 0600), 0);
    struct got g;
    run1(&g, tpath("sp"));
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.path_errors, 1);
    cr_assert(strstr(g.errs[0], "special file") != NULL);
    free_got(&g);
}

static void stdin_from(const char *rel)
{
    int fd = open(tpath(rel), O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(dup2(fd, 0), 0);
    close(fd);
}

Test(input, stdin_single_message)
{
    put("in.eml", "Subject: stdin\n\nbody\n");
    stdin_from("in.eml");
    struct got g;
    run1(&g, "-");
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.r[0].kind, INPUT_KIND_STDIN_MESSAGE);
    cr_assert_str_eq(g.r[0].source, "-");
    expect_raw(&g.r[0], "Subject: stdin\n\nbody\n");
    free_got(&g);
}

Test(input, stdin_mbox_is_split)
{
    put("in.mbox", "From a Mon\nS: 1\n\n>From x\n\nFrom b Tue\nS: 2\n");
    stdin_from("in.mbox");
    struct got g;
    run1(&g, "-");
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.r[0].kind, INPUT_KIND_MBOX);
    expect_raw(&g.r[0], "S: 1\n\nFrom x\n");
    cr_assert_eq(g.r[1].offset, 26);
    free_got(&g);
}

/* A pipe on stdin fed by a writer thread: `pieces` writes of `piece` bytes, with a pause
 * after each when `pause_us`, so that the reader sees the stream a little at a time. */
struct pipe_feed {
    int fd;
    const char *data;
    size_t len, piece;
    unsigned pause_us;
};

static void *pipe_writer(void *arg)
{
    struct pipe_feed *f = arg;
    for (size_t off = 0; off < f->len;) {
        size_t n = f->len - off < f->piece ? f->len - off : f->piece;
        ssize_t w = write(f->fd, f->data + off, n);
        if (w <= 0) {
            break;
        }
        off += (size_t)w;
        if (f->pause_us) {
            usleep(f->pause_us);
        }
    }
    close(f->fd);
    return NULL;
}

static char *numbered_mbox(size_t count, size_t *len)
{
    size_t cap = count * 128 + 1, n = 0;
    char *m = malloc(cap);
    cr_assert_not_null(m);
    for (size_t i = 0; i < count; i++) {
        n += (size_t)snprintf(m + n, cap - n, "From m%zu Mon\nSubject: %zu\n\n>From body %zu\n\n",
                              i, i, i);
    }
    *len = n;
    return m;
}

static void run_stdin_pipe(struct got *g, const char *data, size_t len, size_t piece,
                           unsigned pause_us)
{
    int pfd[2];
    cr_assert_eq(pipe(pfd), 0);
    cr_assert_eq(dup2(pfd[0], 0), 0);
    close(pfd[0]);
    struct pipe_feed f = { .fd = pfd[1], .data = data, .len = len, .piece = piece,
                           .pause_us = pause_us };
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, pipe_writer, &f), 0);
    run1(g, "-");
    pthread_join(t, NULL);
}

static void expect_numbered(const struct got *g, size_t count)
{
    cr_assert_eq(g->n, count);
    for (size_t i = 0; i < count; i++) {
        char want[96];
        snprintf(want, sizeof(want), "Subject: %zu\n\nFrom body %zu\n", i, i);
        expect_raw(&g->r[i], want);
        cr_assert_eq(g->r[i].index, i);
    }
}

Test(input, stdin_pipe_trickle_copies_messages_out_of_thin_chunks)
{
    /* A pipe that gives a few hundred bytes a read: no message may point into (and so pin)
     * a 4 MiB read chunk holding that little; every one comes back in a buffer of its own.
     * Zero-copy here made RSS grow with the input (555 MB for 2.6 GB piped). */
    size_t len;
    char *m = numbered_mbox(300, &len);
    struct got g;
    run_stdin_pipe(&g, m, len, 700, 200);
    expect_numbered(&g, 300);
    for (size_t i = 0; i < g.n; i++) {
        cr_assert(!g.r[i].data_null, "message %zu points into a thin chunk", i);
    }
    free_got(&g);
    free(m);
}

Test(input, stdin_pipe_bulk_is_split_whole)
{
    /* The same kind of stream, large and written as fast as it can be read: chunks fill
     * over many reads; every message and its offset must be exact. */
    size_t len;
    char *m = numbered_mbox(250000, &len);
    cr_assert_gt(len, 2 * (size_t)LIM_READ_CHUNK);
    struct got g;
    run_stdin_pipe(&g, m, len, 1 << 20, 0);
    expect_numbered(&g, 250000);
    size_t off = 0;
    for (size_t i = 0; i < g.n; i++) {
        cr_assert_eq(g.r[i].offset, (int64_t)off, "message %zu", i);
        off += g.r[i].size;
    }
    cr_assert_eq(off, len);
    free_got(&g);
    free(m);
}

Test(input, stdin_compressed_is_a_path_error)
{
    put_bytes("in.gz", "\x1f\x8b\x08\x00", 4);
    stdin_from("in.gz");
    struct got g;
    run1(&g, "-");
    cr_assert_eq(g.n, 0);
    cr_assert_eq(g.path_errors, 1);
    cr_assert(strstr(g.errs[0], "zcat FILE | authsweep verify -") != NULL, "%s", g.errs[0]);
    free_got(&g);
}

Test(input, stdin_oversize_message_is_too_big)
{
    char big[5000];
    memset(big, 'k', sizeof(big));
    put_bytes("in.big", big, sizeof(big));
    stdin_from("in.big");
    const char *p[] = { "-" };
    struct got g;
    run_opts(&g, p, 1, true, 100);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.r[0].err, INPUT_E_TOO_BIG);
    cr_assert_eq(g.r[0].size, sizeof(big));
    free_got(&g);
}

Test(input, pread_and_io_uring_give_identical_streams)
{
    make_maildir_tree();
    put("f/one.eml", "S: one\n");
    put("f/two.mbox", "From a Mon\nS: 1\n\nFrom b Tue\nS: 2\n");
    put_bytes("f/three.gz", "\x1f\x8b", 2);
    FILE *f = fopen(tpath("big.mbox"), "wb");
    for (int i = 0; i < 5000; i++) {
        fprintf(f, "From m%d Mon\nSubject: %d\n\n>From %0*d\n\n", i, i, i % 900, i);
    }
    fclose(f);
    const char *p[] = { tpath("md"), tpath("f"), tpath("big.mbox"), tpath("nope") };
    struct got a, b;
    run_opts(&a, p, 4, true, 0);
    run_opts(&b, p, 4, false, 0);
    cr_assert_str_eq(a.backend, "read");
    cr_log_info("second backend: %s", b.backend);
    cr_assert_eq(a.n, b.n);
    cr_assert_eq(a.n, 6 + 1 + 2 + 5000);
    for (size_t i = 0; i < a.n; i++) {
        cr_assert_eq(a.r[i].raw_len, b.r[i].raw_len);
        cr_assert(memcmp(a.r[i].raw, b.r[i].raw, a.r[i].raw_len) == 0);
        cr_assert_str_eq(a.r[i].from, b.r[i].from);
        cr_assert_str_eq(a.r[i].source, b.r[i].source);
        cr_assert_eq(a.r[i].index, b.r[i].index);
        cr_assert_eq(a.r[i].offset, b.r[i].offset);
        cr_assert_eq(a.r[i].size, b.r[i].size);
        cr_assert_eq(a.r[i].err, b.r[i].err);
    }
    cr_assert_eq(a.path_errors, 2);
    cr_assert_eq(b.path_errors, 2);
    cr_assert_eq(a.total, b.total);
    cr_assert_eq(a.read, b.read);
    free_got(&a);
    free_got(&b);
}

Test(input, io_uring_is_used_unless_forced_off)
{
    put("x.eml", "S: x\n");
    const char *p[] = { tpath("x.eml") };
    struct got g;
    run_opts(&g, p, 1, false, 0);
    /* "read" is legitimate where the kernel or sandbox refuses io_uring. */
    cr_assert(strcmp(g.backend, "io_uring") == 0 || strcmp(g.backend, "read") == 0);
    free_got(&g);
    run_opts(&g, p, 1, true, 0);
    cr_assert_str_eq(g.backend, "read");
    free_got(&g);
}

Test(mbox, file_shrinking_while_read_flags_the_last_message)
{
    FILE *f = fopen(tpath("shrink.mbox"), "wb");
    cr_assert_not_null(f);
    size_t count = 0;
    for (long off = 0; off < 3L * LIM_READ_CHUNK; count++) {
        off += fprintf(f, "From m%zu Mon\nSubject: %zu\n\n%0900d\n\n", count, count, 0);
    }
    fclose(f);
    for (int backend = 0; backend < 2; backend++) {
        const char *p[] = { tpath("shrink.mbox") };
        struct input_opts o = { .force_pread = backend == 0 };
        struct input_set *s = input_open(p, 1, &o);
        struct input_msg m;
        cr_assert(input_next(s, &m));
        input_msg_free(&m);
        cr_assert_eq(truncate(tpath("shrink.mbox"), LIM_READ_CHUNK + LIM_READ_CHUNK / 2), 0);
        size_t n = 1, n_err = 0;
        while (input_next(s, &m)) {
            if (m.err == INPUT_E_READ) {
                n_err++;
                cr_assert(strstr(m.err_detail, "shrank") != NULL, "%s", m.err_detail);
            } else {
                cr_assert_eq(m.err, INPUT_OK);
                cr_assert_eq(n_err, 0, "messages after the error");
            }
            n++;
            input_msg_free(&m);
        }
        cr_assert_eq(n_err, 1);
        cr_assert_lt(n, count);
        cr_assert_eq(input_path_errors(s), 0);
        input_close(s);
        /* restore the file for the second backend */
        f = fopen(tpath("shrink.mbox"), "wb");
        for (size_t i = 0; i < count; i++) {
            fprintf(f, "From m%zu Mon\nSubject: %zu\n\n%0900d\n\n", i, i, 0);
        }
        fclose(f);
    }
}

Test(maildir, entry_vanishing_after_listing_is_a_read_error)
{
    for (int i = 0; i < 40; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "mv/cur/%03d", i);
        put(rel, "Subject: v\n\n");
    }
    const char *p[] = { tpath("mv") };
    struct input_opts o = { .force_pread = false };
    struct input_set *s = input_open(p, 1, &o);
    struct input_msg m;
    cr_assert(input_next(s, &m)); /* the first batch of 32 is read now; 035 is not yet */
    input_msg_free(&m);
    cr_assert_eq(unlink(tpath("mv/cur/035")), 0);
    size_t n = 1;
    while (input_next(s, &m)) {
        if (n == 35) {
            cr_assert_eq(m.err, INPUT_E_READ);
            cr_assert(strstr(m.err_detail, "vanished") != NULL, "%s", m.err_detail);
            cr_assert(strstr(m.source, "mv/cur/035") != NULL);
        } else {
            cr_assert_eq(m.err, INPUT_OK, "message %zu: %s", n, m.err_detail);
        }
        n++;
        input_msg_free(&m);
    }
    cr_assert_eq(n, 40);
    input_close(s);
}

Test(input, close_in_the_middle_of_an_mbox_releases_everything)
{
    FILE *f = fopen(tpath("mid.mbox"), "wb");
    for (int i = 0; i < 5000; i++) {
        fprintf(f, "From m%d Mon\nSubject: %d\n\n%0500d\n\n", i, i, 0);
    }
    fclose(f);
    put("after.eml", "S: after\n");
    for (int backend = 0; backend < 2; backend++) {
        const char *p[] = { tpath("mid.mbox"), tpath("after.eml") };
        struct input_opts o = { .force_pread = backend == 0 };
        struct input_set *s = input_open(p, 2, &o);
        struct input_msg m;
        for (int i = 0; i < 10; i++) {
            cr_assert(input_next(s, &m));
            input_msg_free(&m);
        }
        input_close(s); /* a read-ahead is in flight: must be drained, nothing leaked */
    }
    input_close(NULL);
    input_msg_free(NULL);
}
