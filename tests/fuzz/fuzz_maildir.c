/* fuzz_maildir: reading a Maildir entry (io/input.c): a tiny Maildir (cur/, new/, tmp/) is
 * made once per process and the fuzzer's bytes are its one message file. A Maildir entry is a
 * message whatever it starts with, so the result must be exactly one message holding exactly
 * the file's bytes, or (compressed data) one path error. The last byte picks options as in
 * fuzz_mbox.c. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io/input.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_tmp.h"

static void path_error(void *ctx, const char *path, const char *detail)
{
    (void)path;
    (void)detail;
    (*(size_t *)ctx)++;
}

int fuzz_maildir_one(const uint8_t *data, size_t size)
{
    static char root[300], file[340];
    if (root[0] == 0) {
        snprintf(root, sizeof(root), "%s/Maildir", fuzz_tmp_dir());
        FUZZ_CHECK(mkdir(root, 0700) == 0);
        fuzz_tmp_remember(root);
        static const char *const sub[] = { "cur", "new", "tmp" };
        for (size_t i = 0; i < 3; i++) {
            char p[320];
            snprintf(p, sizeof(p), "%s/%s", root, sub[i]);
            FUZZ_CHECK(mkdir(p, 0700) == 0);
            fuzz_tmp_remember(p);
        }
        snprintf(file, sizeof(file), "%s/cur/1700000000.M1P1.fuzz:2,S", root);
        fuzz_tmp_remember(file);
    }
    fuzz_tmp_write(file, data, size);
    uint8_t opt = size > 0 ? data[size - 1] : 0;
    size_t path_errors = 0;
    struct input_opts o = { .max_message_bytes = (opt & 2) ? 300 : 0,
                            .force_pread = (opt & 1) != 0,
                            .on_path_error = path_error,
                            .ctx = &path_errors };
    const char *paths[1] = { root };
    struct input_set *s = input_open(paths, 1, &o);
    FUZZ_CHECK(s != NULL);
    size_t n = 0;
    struct input_msg m;
    while (input_next(s, &m)) {
        FUZZ_CHECK(n == 0 && m.index == 0);
        FUZZ_CHECK(m.kind == INPUT_KIND_FILE && m.offset == -1);
        FUZZ_CHECK(m.size == size);
        if (m.err == INPUT_OK) {
            FUZZ_CHECK(m.raw.len == size && (size == 0 || memcmp(m.raw.ptr, data, size) == 0));
            FUZZ_CHECK(size <= 300 || !(opt & 2));
        } else {
            FUZZ_CHECK(m.err == INPUT_E_TOO_BIG && (opt & 2) && size > 300 && m.raw.len == 0);
        }
        input_msg_free(&m);
        n++;
    }
    FUZZ_CHECK(input_path_errors(s) == path_errors);
    FUZZ_CHECK(n + path_errors == 1);
    input_close(s);
    return 0;
}

FUZZ_ENTRY(fuzz_maildir_one)
