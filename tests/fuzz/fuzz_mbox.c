/* fuzz_mbox: mbox splitting (io/input.c) through the public API: the input is written to a
 * file on tmpfs and read with input_open/input_next, as the program reads archives.
 * The last byte picks options: bit 0 forces the pread backend, bit 1 a 300-byte message
 * limit (the too-big path), bits 2-5 the chunk size of the differential run below.
 *
 * Invariants: messages tile the file from the first From_ line to the end (offsets and sizes
 * contiguous, each offset at a "From " line), there is one message per From_ line, indexes
 * count from 0, a too-big message has no bytes, and a file that is not an mbox is one message
 * whose bytes are the file's.
 *
 * Differential: the same bytes, cut into chunks, go through the splitter alone
 * (input_splitter_*, with its SIMD and its portable scan) and through the previous splitter
 * kept in tests/io/ref_splitter.c; every field of every message must agree. Each chunk is a
 * malloc of its own, freed once left, so ASan sees over-reads and pointers kept into it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/input.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_tmp.h"
#include "tests/io/ref_splitter.h"

static size_t count_from_lines(const uint8_t *d, size_t n, size_t *first)
{
    size_t count = 0;
    bool leading = true; /* only CR/LF bytes so far */
    *first = n;
    for (size_t p = 0; p < n; p++) {
        bool at_start = p == 0 || d[p - 1] == '\n' || leading;
        if (at_start && n - p >= 5 && memcmp(d + p, "From ", 5) == 0) {
            if (count == 0) {
                *first = p;
            }
            count++;
        }
        if (d[p] != '\r' && d[p] != '\n') {
            leading = false;
        }
    }
    return count;
}

static void path_error(void *ctx, const char *path, const char *detail)
{
    (void)path;
    (void)detail;
    (*(size_t *)ctx)++;
}

/* Chunk sizes for the differential run; 0 is the whole input, a size with 1000000 added is
 * ragged (each chunk 1 to size bytes, as a pipe may deliver). */
static const size_t diff_chunks[16] = { 0, 1, 2, 3, 5, 7, 16, 17, 31, 64, 100, 257, 4096,
                                        1000004, 1000040, 1000999 };

struct diff_msgs {
    struct input_msg *m;
    size_t n, cap;
};

static void diff_push(struct diff_msgs *d, const struct input_msg *m)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->m = realloc(d->m, d->cap * sizeof(*d->m));
        FUZZ_CHECK(d->m != NULL);
    }
    d->m[d->n++] = *m;
}

/* diff_split feeds data to one splitter (ref, or input_splitter with scalar or not) as
 * mbox_next does and collects its messages in *out. */
static void diff_split(const uint8_t *data, size_t size, size_t max, size_t chunk, int which,
                       struct diff_msgs *out)
{
    struct ref_splitter *ref = which == 0 ? ref_splitter_new(max, "fuzz") : NULL;
    struct input_splitter *sp = which != 0 ? input_splitter_new(max, "fuzz", which == 2) : NULL;
    bool ragged = chunk > 1000000;
    size_t c = ragged ? chunk - 1000000 : chunk;
    uint64_t r = 0x243f6a8885a308d3ull;
    uint8_t *p = NULL;
    size_t off = 0, len = 0, pos = 0;
    struct input_msg m;
    out->n = 0;
    for (;;) {
        bool got;
        if (pos == len) {
            free(p);
            p = NULL;
            if (off == size) {
                got = ref ? ref_splitter_finish(ref, &m, size)
                          : input_splitter_finish(sp, &m, size);
                if (got) {
                    diff_push(out, &m);
                }
                break;
            }
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            len = c == 0 ? size - off : ragged ? 1 + (size_t)(r >> 33) % c : c;
            if (len > size - off) {
                len = size - off;
            }
            p = malloc(len);
            FUZZ_CHECK(p != NULL);
            memcpy(p, data + off, len);
            pos = 0;
            off += len;
        }
        uint64_t base = off - len;
        got = ref ? ref_splitter_feed(ref, &m, p, len, &pos, base)
                  : input_splitter_feed(sp, &m, p, len, &pos, base);
        if (got) {
            diff_push(out, &m);
        }
    }
    free(p);
    ref_splitter_free(ref);
    input_splitter_free(sp);
}

static void diff_free(struct diff_msgs *d)
{
    for (size_t i = 0; i < d->n; i++) {
        input_msg_free(&d->m[i]);
    }
    free(d->m);
    *d = (struct diff_msgs){ 0 };
}

static void diff_run(const uint8_t *data, size_t size, uint8_t opt)
{
    size_t max = (opt & 2) ? 300 : 64u << 20;
    size_t chunk = diff_chunks[(opt >> 2) & 15];
    struct diff_msgs want = { 0 }, got = { 0 };
    diff_split(data, size, max, chunk, 0, &want);
    for (int which = 1; which <= 2; which++) {
        diff_split(data, size, max, chunk, which, &got);
        FUZZ_CHECK(got.n == want.n);
        for (size_t i = 0; i < want.n; i++) {
            const struct input_msg *w = &want.m[i], *g = &got.m[i];
            FUZZ_CHECK(g->data != NULL && g->from_line.ptr == g->data);
            FUZZ_CHECK(g->raw.ptr == g->data + g->from_line.len);
            FUZZ_CHECK(g->index == w->index && g->offset == w->offset && g->size == w->size);
            FUZZ_CHECK(g->kind == w->kind && g->err == w->err);
            FUZZ_CHECK(strcmp(g->err_detail, w->err_detail) == 0);
            FUZZ_CHECK(g->from_line.len == w->from_line.len);
            FUZZ_CHECK(memcmp(g->from_line.ptr, w->from_line.ptr, w->from_line.len) == 0);
            FUZZ_CHECK(g->raw.len == w->raw.len);
            FUZZ_CHECK(w->raw.len == 0 || memcmp(g->raw.ptr, w->raw.ptr, w->raw.len) == 0);
        }
        diff_free(&got);
    }
    diff_free(&want);
}

int fuzz_mbox_one(const uint8_t *data, size_t size)
{
    static char path[300];
    if (path[0] == 0) {
        snprintf(path, sizeof(path), "%s/in.mbox", fuzz_tmp_dir());
        fuzz_tmp_remember(path);
    }
    fuzz_tmp_write(path, data, size);
    uint8_t opt = size > 0 ? data[size - 1] : 0;
    size_t path_errors = 0;
    struct input_opts o = { .max_message_bytes = (opt & 2) ? 300 : 0,
                            .force_pread = (opt & 1) != 0,
                            .on_path_error = path_error,
                            .ctx = &path_errors };
    const char *paths[1] = { path };
    struct input_set *s = input_open(paths, 1, &o);
    FUZZ_CHECK(s != NULL);

    size_t first = 0;
    size_t n_from = count_from_lines(data, size, &first);
    size_t n = 0;
    uint64_t next_off = first;
    bool mbox = false;
    struct input_msg m;
    while (input_next(s, &m)) {
        FUZZ_CHECK(m.index == n);
        FUZZ_CHECK(m.raw.len <= m.size);
        FUZZ_CHECK(m.from_line.len <= 4096);
        FUZZ_CHECK(m.err == INPUT_OK || m.err == INPUT_E_TOO_BIG);
        if (m.err == INPUT_E_TOO_BIG) {
            FUZZ_CHECK(m.raw.len == 0 && (opt & 2));
            FUZZ_CHECK(memchr(m.err_detail, 0, sizeof(m.err_detail)) != NULL);
        }
        if (m.kind == INPUT_KIND_MBOX) {
            mbox = true;
            FUZZ_CHECK(m.offset >= 0 && (uint64_t)m.offset == next_off);
            FUZZ_CHECK(m.size >= 5 && (uint64_t)m.offset + m.size <= size);
            FUZZ_CHECK(memcmp(data + m.offset, "From ", 5) == 0);
            next_off = (uint64_t)m.offset + m.size;
        } else {
            FUZZ_CHECK(m.kind == INPUT_KIND_FILE && n == 0 && m.offset == -1);
            if (m.err == INPUT_OK) {
                FUZZ_CHECK(m.raw.len == size && (size == 0 || memcmp(m.raw.ptr, data, size) == 0));
            }
        }
        input_msg_free(&m);
        n++;
    }
    FUZZ_CHECK(input_path_errors(s) == path_errors);
    input_close(s);
    if (mbox) {
        FUZZ_CHECK(next_off == size); /* the last message runs to the end */
        FUZZ_CHECK(n == n_from);      /* one message per From_ line */
    } else {
        FUZZ_CHECK(n <= 1);
    }
    diff_run(data, size, opt);
    return 0;
}

FUZZ_ENTRY(fuzz_mbox_one)
