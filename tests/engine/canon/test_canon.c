#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/canon/canon.h"
#include "tests/support/guard.h"

struct collect {
    uint8_t buf[1 << 16];
    size_t n;
};

static void collect_flush(void *ctx, const uint8_t *p, size_t n)
{
    struct collect *c = ctx;
    cr_assert(c->n + n <= sizeof c->buf);
    memcpy(c->buf + c->n, p, n);
    c->n += n;
}

static struct collect *body(enum canon_alg alg, slice in)
{
    struct collect *c = calloc(1, sizeof(*c));
    struct canon_sink *s = malloc(sizeof(*s));
    canon_sink_init(s, collect_flush, c);
    uint64_t n = canon_body(s, alg, in);
    canon_sink_finish(s);
    cr_assert_eq(n, c->n);
    free(s);
    return test_keep(c);
}

static struct collect *header(enum canon_alg alg, slice in, bool crlf)
{
    struct collect *c = calloc(1, sizeof(*c));
    struct canon_sink *s = malloc(sizeof(*s));
    canon_sink_init(s, collect_flush, c);
    canon_header(s, alg, in, crlf);
    canon_sink_finish(s);
    free(s);
    return test_keep(c);
}

#define ASSERT_BYTES(c, lit)                                                                       \
    cr_assert((c)->n == sizeof(lit) - 1 && memcmp((c)->buf, lit, sizeof(lit) - 1) == 0,           \
              "got [%.*s]", (int)(c)->n, (c)->buf)

/* RFC 6376 §3.4.5 examples. */
Test(canon, rfc6376_example_relaxed_headers)
{
    ASSERT_BYTES(header(CANON_RELAXED, guard_slice("A: X\r\n"), true), "a:X\r\n");
    ASSERT_BYTES(header(CANON_RELAXED, guard_slice("B : Y\t\r\n\tZ  \r\n"), true), "b:Y Z\r\n");
}

Test(canon, rfc6376_example_bodies)
{
    slice in = guard_slice(" C \r\nD \t E\r\n\r\n\r\n");
    ASSERT_BYTES(body(CANON_RELAXED, in), " C\r\nD E\r\n");
    ASSERT_BYTES(body(CANON_SIMPLE, in), " C \r\nD \t E\r\n");
}

Test(canon, simple_header_is_unchanged_but_lf_becomes_crlf)
{
    ASSERT_BYTES(header(CANON_SIMPLE, guard_slice("Subject: a \n\tb\n"), true),
                 "Subject: a \r\n\tb\r\n");
    ASSERT_BYTES(header(CANON_SIMPLE, guard_slice("X: y\r\n"), false), "X: y");
}

Test(canon, empty_body_is_crlf_in_simple_and_nothing_in_relaxed)
{
    ASSERT_BYTES(body(CANON_SIMPLE, guard_slice("")), "\r\n");
    ASSERT_BYTES(body(CANON_RELAXED, guard_slice("")), "");
    ASSERT_BYTES(body(CANON_SIMPLE, guard_slice("\r\n\r\n")), "\r\n");
    ASSERT_BYTES(body(CANON_RELAXED, guard_slice("  \r\n\t\r\n")), "");
}

Test(canon, last_line_without_newline_gets_crlf)
{
    ASSERT_BYTES(body(CANON_SIMPLE, guard_slice("abc")), "abc\r\n");
    ASSERT_BYTES(body(CANON_RELAXED, guard_slice("abc  ")), "abc\r\n");
}

Test(canon, bare_cr_is_an_ordinary_byte)
{
    ASSERT_BYTES(body(CANON_SIMPLE, guard_slice("a\rb\r\n")), "a\rb\r\n");
}

Test(canon, whitespace_only_lines_count_as_empty_only_in_relaxed)
{
    ASSERT_BYTES(body(CANON_SIMPLE, guard_slice("a\r\n \r\n")), "a\r\n \r\n");
    ASSERT_BYTES(body(CANON_RELAXED, guard_slice("a\r\n \r\n")), "a\r\n");
}

Test(canon, fast_path_equals_reference_on_generated_bodies)
{
    static const char alphabet[] = { 'a', ' ', '\t', '\r', '\n', 'b', '\n', ' ' };
    unsigned seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = (size_t)(iter % 97);
        char buf[128];
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % sizeof alphabet];
        }
        slice in = guard_bytes(buf, len);
        for (int alg = 0; alg < 2; alg++) {
            size_t rn;
            uint8_t *ref = canon_body_ref((enum canon_alg)alg, in, &rn);
            struct collect *c = body((enum canon_alg)alg, in);
            cr_assert(c->n == rn && memcmp(c->buf, ref, rn) == 0,
                      "alg %d input %d differs: fast [%.*s] ref [%.*s]", alg, iter, (int)c->n,
                      c->buf, (int)rn, ref);
            free(ref);
        }
    }
}

Test(canon, large_body_crosses_the_sink_buffer)
{
    size_t n = 3 * CANON_SINK_BUF + 17;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++) {
        big[i] = (i % 50 == 49) ? '\n' : (i % 7 == 0 ? ' ' : 'x');
    }
    slice in = guard_bytes(big, n);
    size_t rn;
    uint8_t *ref = canon_body_ref(CANON_RELAXED, in, &rn);
    struct collect *c = body(CANON_RELAXED, in);
    cr_assert(c->n == rn && memcmp(c->buf, ref, rn) == 0);
    free(big);
    free(ref);
}

Test(canon, simd_event_scan_equals_the_byte_loop)
{
    static const uint8_t alphabet[] = { 'a', ' ', '\t', 'b', ' ', 'c', '\r', 'x', '\n', ' ' };
    unsigned seed = 777;
    for (int iter = 0; iter < 6000; iter++) {
        uint8_t buf[256];
        size_t len = (size_t)(iter % 250) + 1;
        size_t spread = 3 + (size_t)(iter % 40); /* sparse events too: long plain runs */
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % (unsigned)(sizeof alphabet * spread);
            buf[i] = r < sizeof alphabet ? alphabet[r] : (uint8_t)('d' + r % 20);
        }
        slice g = guard_bytes(buf, len);
        for (size_t i = 0; i <= len; i += 1 + (size_t)(iter % 7)) {
            for (int relaxed = 0; relaxed < 2; relaxed++) {
                cr_assert_eq(canon_next_event(g.ptr, i, len, relaxed),
                             canon_next_event_plain(g.ptr, i, len, relaxed),
                             "iter %d at %zu relaxed %d", iter, i, relaxed);
            }
        }
    }
}

Test(canon, long_lines_and_crlf_bodies_equal_the_reference)
{
    /* Long lines exercise the 16-byte scan; CRLF-only bodies take the simple fast path;
     * LF and mixed bodies the general one. */
    static const char alphabet[] = { 'a', ' ', '\t', 'b', '\n', 'c', ' ', 'd', 'e', 'f' };
    unsigned seed = 4242;
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = (size_t)(iter * 37 % 3000);
        char *buf = malloc(len * 2 + 8);
        size_t n = 0;
        int mode = iter % 3; /* 0: CRLF only, 1: LF only, 2: mixed */
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            char c = alphabet[(seed >> 16) % sizeof alphabet];
            if (c == '\n' && (mode == 0 || (mode == 2 && (seed & 1)))) {
                buf[n++] = '\r';
            }
            buf[n++] = c;
        }
        if (iter % 5 == 0) {
            memcpy(buf + n, "\r\n\r\n", 4);
            n += 4;
        }
        slice in = guard_bytes(buf, n);
        for (int alg = 0; alg < 2; alg++) {
            size_t rn;
            uint8_t *ref = canon_body_ref((enum canon_alg)alg, in, &rn);
            struct collect *c = body((enum canon_alg)alg, in);
            cr_assert(c->n == rn && memcmp(c->buf, ref, rn) == 0, "alg %d iter %d", alg, iter);
            free(ref);
        }
        free(buf);
    }
}

Test(canon, one_pass_canonicalizer_equals_reference_on_long_sparse_bodies)
{
    /* Long plain runs between events (the SIMD steps), events of every kind at any
     * offset, bodies up to 20 KB (past the sink buffer), LF, CRLF and mixed line ends. */
    static const char events[] = { ' ', '\t', '\r', '\n', '\n', ' ', '\r', '\n' };
    unsigned seed = 4242;
    for (int iter = 0; iter < 600; iter++) {
        size_t len = (size_t)((iter * 37) % 20000);
        unsigned spread = 2 + (unsigned)(iter % 90);
        char *buf = malloc(len + 1);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % (spread * sizeof events);
            buf[i] = r < sizeof events ? events[r] : (char)('A' + r % 26);
            if (iter % 3 == 0 && buf[i] == '\n' && i > 0 && buf[i - 1] != '\r') {
                buf[i - 1] = '\r'; /* mostly CRLF bodies in a third of the cases */
            }
        }
        slice in = guard_bytes(buf, len);
        for (int alg = 0; alg < 2; alg++) {
            size_t rn;
            uint8_t *ref = canon_body_ref((enum canon_alg)alg, in, &rn);
            struct collect *c = body((enum canon_alg)alg, in);
            cr_assert(c->n == rn && memcmp(c->buf, ref, rn) == 0,
                      "alg %d input %d (len %zu) differs", alg, iter, len);
            free(ref);
        }
        free(buf);
    }
}

Test(canon, relaxed_header_event_scan_equals_the_byte_loop)
{
    static const char alphabet[] = { 'a', 'B', ' ', ' ', '\t', '\r', '\n', 'x', ';', '=' };
    unsigned seed = 99;
    for (int iter = 0; iter < 20000; iter++) {
        char buf[300];
        size_t len = 1 + (size_t)(iter % 280);
        unsigned spread = 1 + (unsigned)(iter % 9);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % (spread * sizeof alphabet);
            buf[i] = r < sizeof alphabet ? alphabet[r] : (char)('c' + r % 20);
        }
        if (iter % 4 != 0) {
            buf[(iter / 4) % len] = ':'; /* mostly a name and a value */
        }
        slice raw = guard_bytes(buf, len);
        slice cut = SLICE_NULL;
        if (iter % 3 != 0) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 16) % len;
            size_t cl = 1 + (seed >> 8) % 40;
            cut = slice_make(raw.ptr + at, cl < len - at ? cl : len - at);
        }
        for (int crlf = 0; crlf < 2; crlf++) {
            struct collect *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
            struct canon_sink *s = malloc(sizeof(*s));
            canon_sink_init(s, collect_flush, a);
            canon_header_without(s, CANON_RELAXED, raw, cut, crlf);
            canon_sink_finish(s);
            canon_sink_init(s, collect_flush, b);
            canon_header_relaxed_plain(s, raw, cut, crlf);
            canon_sink_finish(s);
            cr_assert(a->n == b->n && memcmp(a->buf, b->buf, a->n) == 0,
                      "iter %d: [%.*s] vs plain [%.*s]", iter, (int)a->n, a->buf, (int)b->n, b->buf);
            free(s);
            free(a);
            free(b);
        }
    }
}

/* A direct sink's flushes are spans of its own memory, each right after the last. */
struct direct_seen {
    const uint8_t *out;
    size_t n, calls;
    bool contiguous;
};

static void direct_flush(void *ctx, const uint8_t *p, size_t n)
{
    struct direct_seen *d = ctx;
    d->contiguous &= p == d->out + d->n;
    d->n += n;
    d->calls++;
}

Test(canon, direct_sink_writes_the_reference_into_the_callers_memory)
{
    /* LF, CRLF and mixed bodies, both algorithms, sizes across 8 KiB (the ordinary sink's
     * buffer): the bytes in the caller's memory must be the reference canonical form, with
     * nothing flushed from anywhere else; a cap one byte short must report overflow. */
    static const char alphabet[] = { 'a', ' ', '\t', '\r', '\n', 'b', '\n', ' ', 'c', 'd' };
    unsigned seed = 777;
    for (int iter = 0; iter < 600; iter++) {
        size_t len = iter < 500 ? (size_t)(iter * 37 % 20000) : (size_t)(iter % 7);
        char *buf = malloc(len + 1);
        bool crlf = iter % 3 == 0;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            char ch = alphabet[(seed >> 16) % sizeof alphabet];
            if (crlf && ch == '\n') {
                ch = 'x';
            }
            if (crlf && ch == '\r') {
                ch = i + 1 < len ? '\r' : 'y';
            }
            buf[i] = ch;
            if (crlf && ch == '\r') {
                buf[++i] = '\n';
            }
        }
        slice in = guard_bytes(buf, len);
        for (int alg = 0; alg < 2; alg++) {
            size_t rn;
            uint8_t *ref = canon_body_ref((enum canon_alg)alg, in, &rn);
            size_t cap = 2 * len + 2;
            uint8_t *out = malloc(cap);
            struct direct_seen d = { .out = out, .contiguous = true };
            struct canon_sink *s = malloc(sizeof(*s));
            canon_sink_init_direct(s, direct_flush, &d, out, cap);
            uint64_t n = canon_body(s, (enum canon_alg)alg, in);
            canon_sink_finish(s);
            cr_assert(!s->overflow);
            cr_assert(d.contiguous, "a flush from outside the caller's memory");
            cr_assert(n == rn && d.n == rn && memcmp(out, ref, rn) == 0,
                      "alg %d input %d (%zu bytes): direct differs from the reference", alg,
                      iter, len);
            if (rn > 0) {
                struct direct_seen d2 = { .out = out, .contiguous = true };
                canon_sink_init_direct(s, direct_flush, &d2, out, rn - 1);
                (void)canon_body(s, (enum canon_alg)alg, in);
                canon_sink_finish(s);
                cr_assert(s->overflow, "alg %d input %d: a short cap must overflow", alg, iter);
                cr_assert_leq(d2.n, rn - 1);
            }
            free(s);
            free(out);
            free(ref);
        }
        free(buf);
    }
}
