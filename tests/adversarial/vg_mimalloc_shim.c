/* vg_mimalloc_shim: LD_PRELOAD'ed under valgrind only (make valgrind-e2e). The program calls
 * mimalloc's mi_* functions; Debian's libmimalloc has no valgrind annotations, and its
 * mi_malloc_aligned blocks come from its own mmap'd pages, which memcheck neither tracks
 * (no leak or overrun reports) nor can free (mi_free is the same symbol as free, which
 * memcheck intercepts: "Invalid free" on every aligned block). This shim routes the mi_*
 * functions the program uses to the C allocator, which memcheck replaces, so every block is
 * tracked. Not linked into any product or test binary. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#define SHIM_EXPORT __attribute__((visibility("default")))

SHIM_EXPORT void *mi_malloc(size_t n);
SHIM_EXPORT void *mi_calloc(size_t n, size_t sz);
SHIM_EXPORT void *mi_realloc(void *p, size_t n);
SHIM_EXPORT void *mi_malloc_aligned(size_t n, size_t align);
SHIM_EXPORT void *mi_zalloc(size_t n);
SHIM_EXPORT void mi_free(void *p);

void *mi_malloc(size_t n)
{
    return malloc(n);
}

void *mi_calloc(size_t n, size_t sz)
{
    return calloc(n, sz);
}

void *mi_realloc(void *p, size_t n)
{
    return realloc(p, n);
}

void *mi_zalloc(size_t n)
{
    return calloc(1, n);
}

void *mi_malloc_aligned(size_t n, size_t align)
{
    void *p = NULL;
    if (align < sizeof(void *)) {
        align = sizeof(void *);
    }
    return posix_memalign(&p, align, n) == 0 ? p : NULL;
}

void mi_free(void *p)
{
    free(p);
}
