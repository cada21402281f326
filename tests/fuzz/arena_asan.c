/* arena_asan: the fuzz build's stand-in for engine/core/arena.c (same API, engine/core/arena.h).
 *
 * The real arena bumps small allocations out of mimalloc chunks, so AddressSanitizer sees
 * neither an over-read past one allocation into the next nor mimalloc's heap at all. Here
 * every arena allocation is its own malloc (exact size, so ASan puts a redzone right after
 * it) on a list that reset frees, and the x* family is plain malloc. Behaviour otherwise
 * matches arena.c: never NULL (abort on OOM), defers run newest first at reset and free,
 * bytes_used counts 16-byte-rounded sizes. Only tests/fuzz/fuzz.mk links this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/arena.h"

#define ARENA_ALIGN 16

struct blk {
    struct blk *next;
    void *p;
};

struct defer_rec {
    struct defer_rec *next;
    void (*fn)(void *);
    void *p;
};

struct arena {
    struct blk *blocks;
    struct defer_rec *defers;
    size_t used;
};

static void oom(size_t n)
{
    fprintf(stderr, "authsweep: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        oom(n);
    }
    return p;
}

void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (p == NULL) {
        oom(n * sz);
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        oom(n);
    }
    return q;
}

void xalloc_tune(void)
{
    /* libc malloc here: nothing to tune */
}

void xfree(void *p)
{
    free(p);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = xmalloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

slice xdup(slice s)
{
    uint8_t *d = xmalloc(s.len + 1);
    if (s.len) {
        memcpy(d, s.ptr, s.len);
    }
    d[s.len] = 0;
    return slice_make(d, s.len);
}

struct arena *arena_new(size_t chunk_size)
{
    (void)chunk_size;
    return xcalloc(1, sizeof(struct arena));
}

static void run_defers(struct arena *a)
{
    while (a->defers) {
        struct defer_rec *d = a->defers;
        a->defers = d->next;
        d->fn(d->p);
        free(d);
    }
}

static void free_blocks(struct arena *a)
{
    while (a->blocks) {
        struct blk *b = a->blocks;
        a->blocks = b->next;
        free(b->p);
        free(b);
    }
}

void arena_reset(struct arena *a)
{
    run_defers(a);
    free_blocks(a);
    a->used = 0;
}

void arena_free(struct arena *a)
{
    if (a == NULL) {
        return;
    }
    arena_reset(a);
    free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n) {
        oom(n);
    }
    void *p = NULL;
    if (posix_memalign(&p, ARENA_ALIGN, n ? n : 1) != 0 || p == NULL) {
        oom(n);
    }
    struct blk *b = xmalloc(sizeof(*b));
    b->p = p;
    b->next = a->blocks;
    a->blocks = b;
    a->used += need;
    return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

void *arena_array(struct arena *a, size_t n, size_t sz)
{
    if (sz != 0 && n > SIZE_MAX / sz) {
        oom(SIZE_MAX);
    }
    return arena_zalloc(a, n * sz);
}

slice arena_dup(struct arena *a, slice s)
{
    uint8_t *d = arena_alloc(a, s.len + 1);
    if (s.len) {
        memcpy(d, s.ptr, s.len);
    }
    d[s.len] = 0;
    return slice_make(d, s.len);
}

char *arena_cstr(struct arena *a, slice s)
{
    if (s.len > 0 && memchr(s.ptr, 0, s.len) != NULL) {
        return NULL;
    }
    return (char *)arena_dup(a, s).ptr;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
    struct defer_rec *d = xmalloc(sizeof(*d));
    d->fn = fn;
    d->p = p;
    d->next = a->defers;
    a->defers = d;
}

size_t arena_bytes_used(const struct arena *a)
{
    return a->used;
}
