#include "engine/core/arena.h"

#include <mimalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK (64 * 1024)

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* usable bytes in data */
    _Alignas(ARENA_ALIGN) uint8_t data[];
};

struct arena_defer_rec {
    struct arena_defer_rec *next;
    void (*fn)(void *);
    void *p;
};

struct arena {
    struct arena_chunk *first; /* kept across resets */
    struct arena_chunk *more;  /* further chunks and big blocks, freed on reset */
    uint8_t *cur;
    uint8_t *end;
    size_t chunk_size;
    size_t used;
    struct arena_defer_rec *defers;
};

static void oom(size_t n)
{
    fprintf(stderr, "authsweep: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = mi_malloc(n ? n : 1);
    if (p == NULL) {
        oom(n);
    }
    return p;
}

void *xcalloc(size_t n, size_t sz)
{
    void *p = mi_calloc(n ? n : 1, sz ? sz : 1);
    if (p == NULL) {
        oom(n * sz);
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = mi_realloc(p, n ? n : 1);
    if (q == NULL) {
        oom(n);
    }
    return q;
}

void xalloc_tune(void)
{
    /* Freed memory stays committed for a second (mimalloc's default is 25 ms): message
     * buffers, read chunks and per-batch arenas are freed and taken again all the time, and
     * memory handed back only to be faulted in again cost about 100,000 page faults per
     * 2.6 GB read. The peak is still what is in flight. */
    mi_option_set(mi_option_decommit_delay, 1000);
}

void xfree(void *p)
{
    mi_free(p);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s); /* trusted C strings only (argv, paths we built): see arena.h */
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

static struct arena_chunk *chunk_new(size_t size)
{
    struct arena_chunk *c = mi_malloc_aligned(sizeof(*c) + size, ARENA_ALIGN);
    if (c == NULL) {
        oom(size);
    }
    c->next = NULL;
    c->size = size;
    return c;
}

struct arena *arena_new(size_t chunk_size)
{
    if (chunk_size == 0) {
        chunk_size = ARENA_DEFAULT_CHUNK;
    }
    struct arena *a = xcalloc(1, sizeof(*a));
    a->chunk_size = chunk_size;
    a->first = chunk_new(chunk_size);
    a->cur = a->first->data;
    a->end = a->first->data + chunk_size;
    return a;
}

static void run_defers(struct arena *a)
{
    while (a->defers) {
        struct arena_defer_rec *d = a->defers;
        a->defers = d->next;
        d->fn(d->p); /* the record itself lives in the arena */
    }
}

static void free_more(struct arena *a)
{
    struct arena_chunk *c = a->more;
    while (c) {
        struct arena_chunk *n = c->next;
        mi_free(c);
        c = n;
    }
    a->more = NULL;
}

void arena_reset(struct arena *a)
{
    run_defers(a);
    free_more(a);
    a->cur = a->first->data;
    a->end = a->first->data + a->first->size;
    a->used = 0;
}

void arena_free(struct arena *a)
{
    if (a == NULL) {
        return;
    }
    run_defers(a);
    free_more(a);
    mi_free(a->first);
    mi_free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n) {
        oom(n);
    }
    a->used += need;
    if ((size_t)(a->end - a->cur) >= need) {
        void *p = a->cur;
        a->cur += need;
        return p;
    }
    if (need > a->chunk_size / 4) {
        /* Big block: its own chunk on the side list; the current chunk stays in use. */
        struct arena_chunk *c = chunk_new(need);
        c->next = a->more;
        a->more = c;
        return c->data;
    }
    struct arena_chunk *c = chunk_new(a->chunk_size);
    c->next = a->more;
    a->more = c;
    a->cur = c->data + need;
    a->end = c->data + a->chunk_size;
    return c->data;
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
    if (slice_contains_byte(s, 0)) {
        return NULL;
    }
    return (char *)arena_dup(a, s).ptr;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
    struct arena_defer_rec *d = arena_alloc(a, sizeof(*d));
    d->fn = fn;
    d->p = p;
    d->next = a->defers;
    a->defers = d;
}

size_t arena_bytes_used(const struct arena *a)
{
    return a->used;
}
