/* fuzz_regress: every crash the fuzzers found, replayed through the harness entry points
 * (tests/fuzz/fuzz_<name>.c) in the normal test binary. Reproducers live in
 * tests/fuzz/regress/<name>/, one file each, named after the bug; a test crashes (fails)
 * while its bug is unfixed. `make fuzz-smoke` replays the same files under the fuzz build. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "tests/support/guard.h"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay(const char *name, int (*one)(const uint8_t *, size_t))
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", test_root_dir(), name);
    DIR *d = opendir(dir);
    if (d == NULL) {
        return; /* no reproducers for this harness */
    }
    char *files[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 512) {
        if (e->d_name[0] != '.') {
            files[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(files, n, sizeof(files[0]), cmp_names);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        size_t len = 0;
        char *bytes = test_read_file(path, &len);
        cr_assert_not_null(bytes, "cannot read %s", path);
        fprintf(stderr, "fuzz_regress/%s: %s (%zu bytes)\n", name, files[i], len);
        /* A guard page right after the bytes: an over-read crashes even without ASan. */
        slice in = guard_bytes(bytes, len);
        cr_assert_eq(one(in.ptr, in.len), 0, "%s", path);
        free(bytes);
        free(files[i]);
    }
}

#define REGRESS(name)                               \
    Test(fuzz_regress, name)                        \
    {                                               \
        replay(#name, fuzz_##name##_one);           \
    }

REGRESS(mbox)
REGRESS(maildir)
REGRESS(hdr)
REGRESS(addr)
REGRESS(date)
REGRESS(tagval)
REGRESS(keyrec)
REGRESS(canon)
REGRESS(spf)
REGRESS(spf_macro)
REGRESS(snapshot)
REGRESS(message)
REGRESS(received)
REGRESS(authres)
REGRESS(dmarc)
REGRESS(rsa)
REGRESS(keyder)
