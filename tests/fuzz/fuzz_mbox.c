/* fuzz_mbox: mbox splitting (io/input.c) through the public API: the input is written to a
 * file on tmpfs and read with input_open/input_next, as the program reads archives.
 * The last byte picks options: bit 0 forces the pread backend, bit 1 a 300-byte message
 * limit (the too-big path).
 *
 * Invariants: messages tile the file from the first From_ line to the end (offsets and sizes
 * contiguous, each offset at a "From " line), there is one message per From_ line, indexes
 * count from 0, a too-big message has no bytes, and a file that is not an mbox is one message
 * whose bytes are the file's. */
#include <stdio.h>
#include <string.h>

#include "io/input.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_tmp.h"

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
    return 0;
}

FUZZ_ENTRY(fuzz_mbox_one)
