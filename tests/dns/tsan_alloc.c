/* tsan_alloc: the xmalloc family over libc malloc, for the ThreadSanitizer driver only.
 * mimalloc is not instrumented, so TSan cannot see that memory freed by one thread and
 * reused by another was handed over safely, and reports the reuse as a race (a false
 * positive: an evicted cache entry's block reused for a new entry in another shard). libc's
 * malloc is intercepted by TSan, which then sees the real synchronization. The arena calls
 * the DNS code links against are given plain leaking versions: the driver never uses them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/arena.h"

static void *must(void *p)
{
    if (p == NULL) {
        abort();
    }
    return p;
}

void *xmalloc(size_t n)
{
    return must(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t sz)
{
    return must(calloc(n ? n : 1, sz ? sz : 1));
}

void *xrealloc(void *p, size_t n)
{
    return must(realloc(p, n ? n : 1));
}

void xfree(void *p)
{
    free(p);
}

char *xstrdup(const char *s)
{
    return must(strdup(s));
}

slice xdup(slice s)
{
    uint8_t *p = xmalloc(s.len + 1);
    if (s.len) {
        memcpy(p, s.ptr, s.len);
    }
    p[s.len] = 0;
    return slice_make(p, s.len);
}

void *arena_alloc(struct arena *a, size_t n)
{
    (void)a;
    return xmalloc(n);
}

slice arena_dup(struct arena *a, slice s)
{
    (void)a;
    return xdup(s);
}
