/* fuzz_canon: RFC 6376 §3.4 canonicalization, both algorithms.
 *
 * Body: canon_body (the streaming fast path) must equal canon_body_ref byte for byte, return
 * the count it wrote, be idempotent, and have the canonical shape (CRLF line ends only, no
 * trailing empty lines; relaxed: no HTAB, no WSP runs, no WSP before a line end).
 * Header fields (those hdr_parse finds in the input): canonical shape, and
 * canon_header_without(raw, cut) equals canon_header of raw with the cut bytes removed (the
 * b= value, as DKIM uses it). */
#include <stdlib.h>
#include <string.h>

#include "engine/canon/canon.h"
#include "engine/header/hdr.h"
#include "tests/fuzz/fuzz.h"

struct grow {
    uint8_t *p;
    size_t len, cap;
};

static void grow_flush(void *ctx, const uint8_t *p, size_t n)
{
    struct grow *g = ctx;
    if (n > g->cap - g->len) {
        size_t cap = g->cap ? g->cap : 256;
        while (cap - g->len < n) {
            cap *= 2;
        }
        g->p = realloc(g->p, cap);
        FUZZ_CHECK(g->p != NULL);
        g->cap = cap;
    }
    if (n > 0) {
        memcpy(g->p + g->len, p, n);
    }
    g->len += n;
}

static struct canon_sink sink; /* 8 KiB buffer: keep it off the stack */

static void run_body(struct grow *g, enum canon_alg alg, slice body, uint64_t *out_n)
{
    g->len = 0;
    canon_sink_init(&sink, grow_flush, g);
    *out_n = canon_body(&sink, alg, body);
    canon_sink_finish(&sink);
}

static void run_header(struct grow *g, enum canon_alg alg, slice raw, slice cut, bool crlf)
{
    g->len = 0;
    canon_sink_init(&sink, grow_flush, g);
    if (cut.ptr == NULL) {
        canon_header(&sink, alg, raw, crlf);
    } else {
        canon_header_without(&sink, alg, raw, cut, crlf);
    }
    canon_sink_finish(&sink);
}

static bool ends_with(const struct grow *g, const char *s, size_t n)
{
    return g->len >= n && memcmp(g->p + g->len - n, s, n) == 0;
}

static void check_line_ends(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            FUZZ_CHECK(i > 0 && p[i - 1] == '\r'); /* no bare LF comes out */
        }
    }
}

static void check_body(enum canon_alg alg, slice body)
{
    static struct grow g, g2;
    uint64_t n = 0, n2 = 0;
    run_body(&g, alg, body, &n);
    FUZZ_CHECK(n == g.len);
    size_t ref_len = 0;
    uint8_t *ref = canon_body_ref(alg, body, &ref_len);
    FUZZ_CHECK(ref_len == g.len);
    FUZZ_CHECK(g.len == 0 || memcmp(ref, g.p, g.len) == 0);
    free(ref);

    check_line_ends(g.p, g.len);
    if (alg == CANON_SIMPLE) {
        FUZZ_CHECK(g.len >= 2 && ends_with(&g, "\r\n", 2)); /* empty body: one CRLF */
        FUZZ_CHECK(g.len == 2 || !ends_with(&g, "\r\n\r\n", 4));
    } else {
        FUZZ_CHECK(g.len == 0 || (ends_with(&g, "\r\n", 2) && !ends_with(&g, "\r\n\r\n", 4)));
        FUZZ_CHECK(g.len != 2); /* an empty line alone is removed */
        for (size_t i = 0; i < g.len; i++) {
            FUZZ_CHECK(g.p[i] != '\t');
            if (g.p[i] == ' ') {
                FUZZ_CHECK(i + 1 < g.len && g.p[i + 1] != ' ');
                FUZZ_CHECK(!(g.p[i + 1] == '\r' && i + 2 < g.len && g.p[i + 2] == '\n'));
            }
        }
    }
    /* Canonical output is a fixed point. */
    run_body(&g2, alg, slice_make(g.p, g.len), &n2);
    FUZZ_CHECK(g2.len == g.len && (g.len == 0 || memcmp(g2.p, g.p, g.len) == 0));
}

static void check_header(enum canon_alg alg, const struct hdr_field *f, bool crlf)
{
    static struct grow g, g2;
    run_header(&g, alg, f->raw, SLICE_NULL, crlf);
    if (crlf) {
        FUZZ_CHECK(ends_with(&g, "\r\n", 2));
    }
    if (f->name_ok || alg == CANON_SIMPLE) {
        /* A line without a colon (name_ok false) is never signed: no name finds it. */
        check_line_ends(g.p, g.len);
    }
    if (alg == CANON_RELAXED && f->name_ok) {
        FUZZ_CHECK(g.len > f->name.len && g.p[f->name.len] == ':');
        for (size_t k = 0; k < f->name.len; k++) {
            uint8_t c = g.p[k];
            FUZZ_CHECK(!(c >= 'A' && c <= 'Z') && c == slice_lower(f->name.ptr[k]));
        }
        size_t end = g.len - (crlf ? 2 : 0);
        for (size_t i = f->name.len + 1; i < end; i++) {
            uint8_t c = g.p[i];
            FUZZ_CHECK(c != '\t' && c != '\n');
            if (c == ' ') {
                FUZZ_CHECK(i > f->name.len + 1);     /* none right after the colon */
                FUZZ_CHECK(i + 1 < end && g.p[i + 1] != ' '); /* no runs, none at the end */
            }
        }
    }

    /* canon_header_without: cut the b= value, as DKIM does. */
    if (!f->name_ok) {
        return;
    }
    ptrdiff_t at = slice_find_sub(f->value, SLICE_LIT("b="));
    if (at < 0) {
        return;
    }
    slice rest = slice_make(f->value.ptr + at + 2, f->value.len - (size_t)at - 2);
    ptrdiff_t semi = slice_find(rest, ';');
    slice cut = slice_make(rest.ptr, semi < 0 ? rest.len : (size_t)semi);
    /* Keep CR LF pairs whole on both sides of the cut (a b= value never splits one). */
    if (cut.len == 0 || cut.ptr[cut.len - 1] == '\r' || cut.ptr[-1] == '\r' ||
        cut.ptr[0] == '\n') {
        return;
    }
    run_header(&g, alg, f->raw, cut, crlf);
    size_t pre = (size_t)(cut.ptr - f->raw.ptr);
    size_t cut_raw_len = f->raw.len - cut.len;
    uint8_t *joined = malloc(cut_raw_len ? cut_raw_len : 1);
    FUZZ_CHECK(joined != NULL);
    memcpy(joined, f->raw.ptr, pre);
    memcpy(joined + pre, cut.ptr + cut.len, f->raw.len - pre - cut.len);
    run_header(&g2, alg, slice_make(joined, cut_raw_len), SLICE_NULL, crlf);
    free(joined);
    FUZZ_CHECK(g.len == g2.len && (g.len == 0 || memcmp(g.p, g2.p, g.len) == 0));
}

int fuzz_canon_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    slice in = slice_make(data, size);
    check_body(CANON_SIMPLE, in);
    check_body(CANON_RELAXED, in);

    struct hdr_index h;
    (void)hdr_parse(a, &h, in);
    for (size_t i = 0; i < h.n && i < 64; i++) {
        check_header(CANON_SIMPLE, &h.f[i], true);
        check_header(CANON_RELAXED, &h.f[i], true);
        check_header(CANON_RELAXED, &h.f[i], false);
    }
    if (h.has_separator) {
        check_body(CANON_RELAXED, h.body);
    }
    return 0;
}

FUZZ_ENTRY(fuzz_canon_one)
