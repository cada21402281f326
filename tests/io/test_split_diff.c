/* Differential tests for the mbox splitter of io/input.c: the production splitter, with its
 * SSE2 scan and with its portable one, against the previous splitter kept verbatim in
 * tests/io/ref_splitter.c. Generated mboxes (From_ lines, ">From " and ">>From " lines,
 * "From" without a space, LF, CRLF and lone CR, empty messages, lines longer than a chunk,
 * content before the first From_ line) are fed in chunks of many sizes, so every pattern
 * straddles chunk boundaries somewhere; every field of every message must be the same.
 * Each chunk sits flush against a PROT_NONE page, and the chunk before it is scribbled over
 * once it is left (as the mbox reader's read-ahead overwrites it), so an over-read or a
 * pointer kept into an old chunk shows. The last test goes end to end through input_open
 * with both io backends. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/core/limits.h"
#include "io/input.h"
#include "tests/io/ref_splitter.h"
#include "tests/support/guard.h"

/* ---- bytes and randomness ----------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t rng_below(struct rng *r, size_t n)
{
    return n == 0 ? 0 : (size_t)(rng_next(r) % n);
}

struct bytes {
    uint8_t *p;
    size_t len, cap;
};

static void b_put(struct bytes *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    if (n > 0) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
}

static void b_str(struct bytes *b, const char *s)
{
    b_put(b, s, strlen(s));
}

static void b_rep(struct bytes *b, uint8_t c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b_put(b, &c, 1);
    }
}

/* ---- generated mboxes ---------------------------------------------------------------- */

/* gen_text appends n bytes of line content: mostly letters, now and then 'F', '>', a CR,
 * a NUL or a high byte (never '\n'). */
static void gen_text(struct rng *r, struct bytes *b, size_t n)
{
    static const char odd[] = "F>\r \t:\x00\xff";
    for (size_t i = 0; i < n; i++) {
        size_t k = rng_below(r, 40);
        uint8_t c = k < 4 ? (uint8_t)odd[rng_below(r, sizeof(odd) - 1)]
                          : (uint8_t)('a' + rng_below(r, 26));
        b_put(b, &c, 1);
    }
}

struct gen {
    size_t long_len; /* length of the occasional long line */
    int crlf;        /* percent of lines ended with CRLF */
};

static void gen_eol(struct rng *r, struct bytes *b, const struct gen *g)
{
    size_t k = rng_below(r, 100);
    if (k < 3) {
        return; /* no end: runs into the next line */
    }
    if (k < 6) {
        b_str(b, "\r"); /* a lone CR does not end a line */
        return;
    }
    b_str(b, (int)rng_below(r, 100) < g->crlf ? "\r\n" : "\n");
}

/* gen_line appends one line of a kind that matters to an mbox splitter, or plain text. */
static void gen_line(struct rng *r, struct bytes *b, const struct gen *g)
{
    size_t kind = rng_below(r, 30);
    switch (kind) {
    case 0:
    case 1:
    case 2:
        b_str(b, "From ");
        gen_text(r, b, rng_below(r, 50));
        break;
    case 3: /* around INPUT_FROM_LINE_MAX, with a CR where the kept part ends */
        b_str(b, "From ");
        gen_text(r, b, 4090 + rng_below(r, 10));
        if (rng_below(r, 2) == 0) {
            b->p[b->len - 1 - rng_below(r, 6)] = '\r';
        }
        break;
    case 4:
        b_str(b, rng_below(r, 2) ? "From" : "From\r");
        gen_text(r, b, rng_below(r, 10));
        break;
    case 5:
        b_str(b, "From: ");
        gen_text(r, b, rng_below(r, 30));
        break;
    case 6:
    case 7:
        b_rep(b, '>', 1 + rng_below(r, 3));
        b_str(b, "From ");
        gen_text(r, b, rng_below(r, 20));
        break;
    case 8:
        b_rep(b, '>', 1 + rng_below(r, 200));
        b_str(b, rng_below(r, 2) ? "From " : "From");
        break;
    case 9:
        b_rep(b, '>', rng_below(r, 4));
        b_str(b, (const char *[]){ "Fro", "F", "Frm ", "FROM ", " From ", ">" }[rng_below(r, 6)]);
        break;
    case 10:
    case 11:
    case 12:
        break; /* empty line */
    case 13:
        gen_text(r, b, g->long_len / 2 + rng_below(r, g->long_len + 1));
        break;
    default:
        gen_text(r, b, rng_below(r, 90));
        break;
    }
    gen_eol(r, b, g);
}

/* gen_mbox appends an mbox of about n_lines lines: what comes before the first From_ line,
 * the lines, and how it ends, all vary. */
static void gen_mbox(struct rng *r, struct bytes *b, size_t n_lines, const struct gen *g)
{
    switch (rng_below(r, 8)) {
    case 0:
        b_rep(b, '\n', rng_below(r, 4));
        b_rep(b, '\r', rng_below(r, 3));
        break;
    case 1:
        gen_line(r, b, g); /* anything, even content before the first From_ line */
        break;
    case 2:
        b_rep(b, '\n', rng_below(r, 3));
        gen_text(r, b, 1 + rng_below(r, 20));
        b_str(b, "\n");
        break;
    default:
        break;
    }
    if (rng_below(r, 4) != 0) {
        b_str(b, "From first@example.org Mon Jan  1 00:00:00 2024");
        b_str(b, g->crlf > 50 ? "\r\n" : "\n");
    }
    for (size_t i = 0; i < n_lines; i++) {
        gen_line(r, b, g);
    }
    static const char *const tails[] = { "", "\n", "\n\n", "\r\n\r\n", "\n>Fr", "\nFrom", "\nFrom ",
                                         "\n>>", "\r", "\nF" };
    b_str(b, tails[rng_below(r, sizeof(tails) / sizeof(tails[0]))]);
}

/* ---- feeding a splitter --------------------------------------------------------------- */

enum impl { IMPL_REF, IMPL_SIMD, IMPL_SCALAR };
static const char *const impl_name[] = { "ref", "simd", "scalar" };

struct msgs {
    struct input_msg *m;
    size_t n, cap;
};

static void msgs_push(struct msgs *ms, const struct input_msg *m)
{
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 16;
        ms->m = realloc(ms->m, ms->cap * sizeof(*ms->m));
        cr_assert_not_null(ms->m);
    }
    ms->m[ms->n++] = *m;
}

static void msgs_free(struct msgs *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        input_msg_free(&ms->m[i]);
    }
    free(ms->m);
    memset(ms, 0, sizeof(*ms));
}

/* A chunk buffer whose end touches a PROT_NONE page. */
struct gbuf {
    uint8_t *base;
    size_t cap, map_len;
};

static void gbuf_init(struct gbuf *g, size_t cap)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g->cap = (cap + page - 1) / page * page;
    if (g->cap == 0) {
        g->cap = page;
    }
    g->map_len = g->cap + page;
    g->base = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(g->base, MAP_FAILED);
    cr_assert_eq(mprotect(g->base + g->cap, page, PROT_NONE), 0);
}

static void gbuf_cleanup(struct gbuf *g)
{
    munmap(g->base, g->map_len);
}

/* How a stream is cut into chunks. */
struct cut {
    size_t chunk;  /* chunk size (the whole input if 0) */
    bool ragged;   /* sizes drawn from 1..chunk instead, as a pipe may deliver */
    size_t at;     /* if non-zero: exactly two chunks, cut at this offset */
    uint64_t seed; /* for the ragged sizes: the same for every implementation */
};

static size_t next_chunk(const struct cut *c, struct rng *r, size_t off, size_t n)
{
    size_t left = n - off, k;
    if (c->at > 0) {
        k = off < c->at ? c->at - off : left;
    } else if (c->chunk == 0) {
        k = left;
    } else {
        k = c->ragged ? 1 + rng_below(r, c->chunk) : c->chunk;
    }
    return k < left ? k : left;
}

struct any_splitter {
    enum impl which;
    struct ref_splitter *ref;
    struct input_splitter *sp;
};

static bool any_feed(struct any_splitter *a, struct input_msg *out, const uint8_t *p, size_t len,
                     size_t *pos, uint64_t base)
{
    if (a->which == IMPL_REF) {
        return ref_splitter_feed(a->ref, out, p, len, pos, base);
    }
    return input_splitter_feed(a->sp, out, p, len, pos, base);
}

static bool any_finish(struct any_splitter *a, struct input_msg *out, uint64_t end)
{
    if (a->which == IMPL_REF) {
        return ref_splitter_finish(a->ref, out, end);
    }
    return input_splitter_finish(a->sp, out, end);
}

static const char test_source[] = "generated.mbox";

/* split runs one implementation over in[0..n), fed as mbox_next feeds it, into *out. */
static void split(enum impl which, const uint8_t *in, size_t n, size_t max, const struct cut *c,
                  struct msgs *out)
{
    struct any_splitter a = { .which = which };
    if (which == IMPL_REF) {
        a.ref = ref_splitter_new(max, test_source);
    } else {
        a.sp = input_splitter_new(max, test_source, which == IMPL_SCALAR);
    }
    size_t biggest = c->at > 0 ? (c->at > n - c->at ? c->at : n - c->at)
                               : (c->chunk == 0 || c->chunk > n ? n : c->chunk);
    struct gbuf g[2];
    gbuf_init(&g[0], biggest);
    gbuf_init(&g[1], biggest);
    struct rng r = { c->seed };
    memset(out, 0, sizeof(*out));
    uint8_t *p = NULL;
    size_t off = 0, len = 0, pos = 0;
    uint64_t base = 0;
    int k = 0;
    struct input_msg m;
    for (;;) {
        if (pos == len) {
            if (off == n) {
                if (any_finish(&a, &m, n)) {
                    msgs_push(out, &m);
                }
                break;
            }
            if (p != NULL) {
                memset(p, 0xa5, len); /* the chunk left: the read-ahead reuses its buffer */
            }
            len = next_chunk(c, &r, off, n);
            uint8_t *dst = g[k].base + g[k].cap - len;
            memcpy(dst, in + off, len);
            p = dst;
            base = off;
            off += len;
            pos = 0;
            k ^= 1;
        }
        if (any_feed(&a, &m, p, len, &pos, base)) {
            msgs_push(out, &m);
        }
    }
    if (which == IMPL_REF) {
        ref_splitter_free(a.ref);
    } else {
        input_splitter_free(a.sp);
    }
    gbuf_cleanup(&g[0]);
    gbuf_cleanup(&g[1]);
}

/* expect_same compares every field of every message. */
static void expect_same(const struct msgs *want, const struct msgs *got, const char *what)
{
    cr_assert_eq(got->n, want->n, "%s: %zu messages, want %zu", what, got->n, want->n);
    for (size_t i = 0; i < want->n; i++) {
        const struct input_msg *w = &want->m[i], *g = &got->m[i];
        if (g->chunk != NULL) {
            /* Handed on without a copy: the slices point into the reader's chunk. */
            cr_assert_null(g->data, "%s: message %zu: data and chunk both set", what, i);
            cr_assert_not_null(g->raw.ptr, "%s: message %zu", what, i);
            cr_assert_not_null(g->from_line.ptr, "%s: message %zu", what, i);
        } else {
            cr_assert_not_null(g->data, "%s: message %zu: no data", what, i);
            cr_assert_eq(g->from_line.ptr, g->data, "%s: message %zu", what, i);
            cr_assert_eq(g->raw.ptr, g->data + g->from_line.len, "%s: message %zu", what, i);
        }
        cr_assert_eq(g->index, w->index, "%s: message %zu: index", what, i);
        cr_assert_eq(g->offset, w->offset, "%s: message %zu: offset %lld, want %lld", what, i,
                     (long long)g->offset, (long long)w->offset);
        cr_assert_eq(g->size, w->size, "%s: message %zu: size %llu, want %llu", what, i,
                     (unsigned long long)g->size, (unsigned long long)w->size);
        cr_assert_eq(g->kind, w->kind, "%s: message %zu: kind", what, i);
        cr_assert_eq(g->err, w->err, "%s: message %zu: err %d, want %d", what, i, (int)g->err,
                     (int)w->err);
        cr_assert_str_eq(g->err_detail, w->err_detail, "%s: message %zu: detail", what, i);
        cr_assert_eq(g->source, w->source, "%s: message %zu: source", what, i);
        cr_assert_eq(g->from_line.len, w->from_line.len,
                     "%s: message %zu: From_ line %zu, want %zu", what, i, g->from_line.len,
                     w->from_line.len);
        cr_assert(memcmp(g->from_line.ptr, w->from_line.ptr, w->from_line.len) == 0,
                  "%s: message %zu: From_ line bytes", what, i);
        cr_assert_eq(g->raw.len, w->raw.len, "%s: message %zu: raw %zu bytes, want %zu", what, i,
                     g->raw.len, w->raw.len);
        cr_assert(w->raw.len == 0 || memcmp(g->raw.ptr, w->raw.ptr, w->raw.len) == 0,
                  "%s: message %zu: raw bytes", what, i);
    }
}

/* check_all splits in[0..n) with the reference and both scans of the new splitter and
 * compares them. Returns the number of messages. */
static size_t check_all(const uint8_t *in, size_t n, size_t max, const struct cut *c,
                        const char *label)
{
    struct msgs want, got;
    split(IMPL_REF, in, n, max, c, &want);
    for (enum impl w = IMPL_SIMD; w <= IMPL_SCALAR; w++) {
        char what[256];
        snprintf(what, sizeof(what), "%s, %s scan, max %zu, chunk %zu%s, cut at %zu", label,
                 impl_name[w], max, c->chunk, c->ragged ? " ragged" : "", c->at);
        split(w, in, n, max, c, &got);
        expect_same(&want, &got, what);
        msgs_free(&got);
    }
    size_t count = want.n;
    msgs_free(&want);
    return count;
}

static const size_t limits[] = { 0, 1, 2, 3, 7, 40, 100, 300, 1000, 5000, 100000, SIZE_MAX / 4 };
#define N_LIMITS (sizeof(limits) / sizeof(limits[0]))

/* ---- tests ---------------------------------------------------------------------------- */

TestSuite(mbox_split);

Test(mbox_split, generated_mboxes_match_the_reference_at_every_chunk_size)
{
    static const struct cut cuts[] = {
        { .chunk = 1 },  { .chunk = 2 },   { .chunk = 3 },   { .chunk = 5 },
        { .chunk = 7 },  { .chunk = 16 },  { .chunk = 17 },  { .chunk = 64 },
        { .chunk = 65 }, { .chunk = 129 }, { .chunk = 1000 }, { .chunk = 0 },
        { .chunk = 40, .ragged = true },   { .chunk = 3000, .ragged = true },
    };
    size_t total = 0;
    for (uint64_t seed = 1; seed <= 150; seed++) {
        struct rng r = { seed * 7919 };
        struct gen g = { .long_len = 200, .crlf = (int)rng_below(&r, 3) * 50 };
        struct bytes b = { 0 };
        gen_mbox(&r, &b, 20 + rng_below(&r, 120), &g);
        char label[64];
        snprintf(label, sizeof(label), "seed %llu", (unsigned long long)seed);
        for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
            struct cut cut = cuts[c];
            cut.seed = seed;
            size_t max = limits[rng_below(&r, N_LIMITS)];
            total += check_all(b.p, b.len, max, &cut, label);
        }
        free(b.p);
    }
    cr_log_info("%zu messages compared", total);
    cr_assert_gt(total, 1000);
}

Test(mbox_split, lines_longer_than_a_chunk_match_the_reference)
{
    for (uint64_t seed = 1; seed <= 12; seed++) {
        struct rng r = { seed * 104729 };
        struct gen g = { .long_len = 150000, .crlf = (int)(seed % 2) * 100 };
        struct bytes b = { 0 };
        gen_mbox(&r, &b, 60, &g);
        /* a From_ line and a quoted line both longer than a chunk */
        b_str(&b, "\nFrom ");
        b_rep(&b, 'f', 70000);
        b_str(&b, "\r\n");
        b_rep(&b, '>', 70000);
        b_str(&b, "From x\n");
        char label[64];
        snprintf(label, sizeof(label), "long lines, seed %llu", (unsigned long long)seed);
        struct cut cut = { .chunk = 65536, .seed = seed };
        check_all(b.p, b.len, limits[seed % N_LIMITS], &cut, label);
        cut = (struct cut){ .chunk = 20000, .ragged = true, .seed = seed };
        check_all(b.p, b.len, 200000, &cut, label);
        cut = (struct cut){ .chunk = 4093, .seed = seed };
        check_all(b.p, b.len, SIZE_MAX / 4, &cut, label);
        free(b.p);
    }
}

/* Hand-made: every kind of line the splitter must tell apart, cut in two at every offset
 * and fed in chunks of every size from 1 to 70. */
Test(mbox_split, every_cut_through_tricky_lines_matches_the_reference)
{
    static const char tricky[] =
        "\n\r\n\rFrom a@b Mon Jan  1 00:00:00 2024\r\n"
        "From: x\nSubject: From here\n\n>From q\n>>From qq\n>>>From\n>Fro\n> From\nFrom\n"
        "F\n>\n\nFrom \nFrom b\n\r\nFrom c\r\n\r\n>From \r\n\r\nFrom d\n\n\nFrom e\nFrom:x\n"
        ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>From deep\nxFrom y\n\n\r\n";
    static const char before[] = "junk before\n>From z\nFrom x\nbody\n";
    /* more quoted lines in one message than a span holds (SP_DROPS in io/input.c) */
    static const char quoted[] =
        "From q\n>From 1\n>From 2\n>From 3\n>From 4\n>From 5\n>From 6\n>From 7\n>From 8\n"
        ">From 9\n>From 10\n>From 11\n>From 12\n>From 13\n>From 14\n>From 15\n>From 16\n"
        ">From 17\n>From 18\n>From 19\n>From 20\n>From 21\n>From 22\n\nFrom end\n";
    const char *inputs[] = { tricky, before, quoted };
    static const char *const names[] = { "tricky", "content first", "many quoted" };
    for (size_t t = 0; t < 3; t++) {
        const uint8_t *in = (const uint8_t *)inputs[t];
        size_t n = strlen(inputs[t]);
        for (size_t l = 0; l < N_LIMITS; l++) {
            for (size_t at = 1; at < n; at++) {
                struct cut cut = { .at = at };
                check_all(in, n, limits[l], &cut, names[t]);
            }
            for (size_t ch = 1; ch <= 70; ch++) {
                struct cut cut = { .chunk = ch };
                check_all(in, n, limits[l], &cut, names[t]);
            }
        }
    }
}

/* The limit test around each message's exact size: held bytes, the +2 for the separator,
 * and quoted lines that shrink a message under the limit. */
Test(mbox_split, limits_around_the_message_size_match_the_reference)
{
    static const char box[] = "From a\nabc\n\nFrom b\r\n0123456789\r\n\r\n"
                              "From c\n>From 1\n>From 2\n>From 3\n\n"
                              "From d\nxyz\nFrom e\n\n";
    const uint8_t *in = (const uint8_t *)box;
    size_t n = strlen(box);
    for (size_t max = 0; max <= 40; max++) {
        for (size_t ch = 1; ch <= 9; ch++) {
            struct cut cut = { .chunk = ch };
            check_all(in, n, max, &cut, "limits");
        }
        struct cut whole = { .chunk = 0 };
        check_all(in, n, max, &whole, "limits");
    }
}

/* The seeds of the mbox fuzz harness: real mbox shapes (tests/fuzz/corpus/mbox). */
Test(mbox_split, fuzz_seeds_match_the_reference)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/mbox", test_root_dir());
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent *e;
    size_t files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        size_t n = 0;
        char *bytes = test_read_file(path, &n);
        cr_assert_not_null(bytes, "%s", path);
        static const size_t chunks[] = { 1, 3, 8, 31, 256, 0 };
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            for (size_t l = 0; l < N_LIMITS; l += 3) {
                struct cut cut = { .chunk = chunks[c] };
                check_all((const uint8_t *)bytes, n, limits[l], &cut, e->d_name);
            }
        }
        free(bytes);
        files++;
    }
    closedir(d);
    cr_assert_gt(files, 0);
}

/* pad_to appends filler lines so that b ends exactly at off (off - b->len >= 2). */
static void pad_to(struct bytes *b, size_t off)
{
    while (off - b->len > 100) {
        b_rep(b, 'p', 79);
        b_str(b, "\n");
    }
    b_rep(b, 'q', off - b->len - 1);
    b_str(b, "\n");
}

/* End to end: a file of a few chunks whose chunk boundaries fall inside From_ lines,
 * quoted lines and CRLF pairs, read by input_open with each backend, against the reference
 * fed LIM_READ_CHUNK chunks as the reader reads them. */
Test(mbox_split, files_read_by_both_backends_match_the_reference)
{
    struct rng r = { 42 };
    struct gen g = { .long_len = 3000, .crlf = 30 };
    struct bytes b = { 0 };
    b_str(&b, "From start@example.org Mon Jan  1 00:00:00 2024\n");
    static const char *const straddle[] = { "\nFrom x@y Tue\n", "\n>From quoted\n",
                                            "\n>>>From q\n", "\r\nFrom crlf\r\n", "\nFrom:x\n",
                                            "\n\nFrom sep\n" };
    for (size_t k = 1; k <= 6; k++) {
        while (b.len < k * LIM_READ_CHUNK - 20000) {
            gen_line(&r, &b, &g);
        }
        const char *s = straddle[k - 1];
        size_t into = 1 + k % (strlen(s) - 1); /* how much of it precedes the boundary */
        b_str(&b, "\n");
        pad_to(&b, k * LIM_READ_CHUNK - into);
        b_str(&b, s);
    }
    for (size_t i = 0; i < 300; i++) {
        gen_line(&r, &b, &g);
    }
    char path[] = "/tmp/authsweep-split-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, b.p, b.len), (ssize_t)b.len);
    close(fd);
    static const size_t maxes[] = { 0, 3000 };
    for (size_t mi = 0; mi < 2; mi++) {
        size_t max = maxes[mi] ? maxes[mi] : LIM_MSG_BYTES_DEFAULT;
        struct msgs want;
        struct ref_splitter *ref = ref_splitter_new(max, path);
        memset(&want, 0, sizeof(want));
        struct input_msg m;
        for (size_t off = 0; off < b.len; off += LIM_READ_CHUNK) {
            size_t len = b.len - off < LIM_READ_CHUNK ? b.len - off : LIM_READ_CHUNK;
            size_t pos = 0;
            while (pos < len) {
                if (ref_splitter_feed(ref, &m, b.p + off, len, &pos, off)) {
                    msgs_push(&want, &m);
                }
            }
        }
        if (ref_splitter_finish(ref, &m, b.len)) {
            msgs_push(&want, &m);
        }
        ref_splitter_free(ref);
        for (int force_pread = 0; force_pread < 2; force_pread++) {
            struct input_opts o = { .max_message_bytes = maxes[mi], .force_pread = force_pread };
            const char *paths[1] = { path };
            struct input_set *s = input_open(paths, 1, &o);
            struct msgs got = { 0 };
            while (input_next(s, &m)) {
                cr_assert_str_eq(m.source, path);
                m.source = path; /* input_open keeps its own copy of the path */
                msgs_push(&got, &m);
            }
            char what[128];
            snprintf(what, sizeof(what), "file, %s, max %zu", input_backend_name(s), max);
            input_close(s);
            for (size_t i = 0; i < want.n; i++) {
                want.m[i].source = path;
            }
            expect_same(&want, &got, what);
            msgs_free(&got);
        }
        msgs_free(&want);
    }
    unlink(path);
    free(b.p);
}
