#include "tests/support/guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void **kept;
static size_t n_kept, cap_kept;

static void free_kept(void)
{
    for (size_t i = 0; i < n_kept; i++) {
        free(kept[i]);
    }
    free(kept);
    kept = NULL;
    n_kept = cap_kept = 0;
}

void *test_keep(void *p)
{
    if (cap_kept == 0) {
        atexit(free_kept);
    }
    if (n_kept == cap_kept) {
        cap_kept = cap_kept ? cap_kept * 2 : 64;
        kept = realloc(kept, cap_kept * sizeof(*kept));
    }
    kept[n_kept++] = p;
    return p;
}

slice guard_bytes(const void *p, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + page - 1) / page;
    size_t total = (data_pages + 1) * page;
    uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        abort();
    }
    uint8_t *guard = base + data_pages * page;
    if (mprotect(guard, page, PROT_NONE) != 0) {
        abort();
    }
    uint8_t *start = guard - n;
    if (n) {
        memcpy(start, p, n);
    }
    return slice_make(start, n);
}

slice guard_slice(const char *s)
{
    return guard_bytes(s, strlen(s));
}

const char *test_shared_dir(void)
{
    const char *s = getenv("AUTHSWEEP_SHARED");
    return s ? s : "../shared";
}

const char *test_root_dir(void)
{
    const char *s = getenv("AUTHSWEEP_ROOT");
    return s ? s : ".";
}

const char *test_bin(void)
{
    const char *s = getenv("AUTHSWEEP_BIN");
    return s ? s : "build/authsweep";
}

char *test_read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[len] = 0;
    if (out_len) {
        *out_len = len;
    }
    return buf;
}

int test_run(const char *cmd, char **out, size_t *out_len)
{
    FILE *p = popen(cmd, "r");
    if (!p) {
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, p)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    buf[len] = 0;
    int st = pclose(p);
    if (out) {
        *out = buf;
    } else {
        free(buf);
    }
    if (out_len) {
        *out_len = len;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
