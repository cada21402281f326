/* arena: per-thread bump allocator over mimalloc, reset once per message.
 *
 * Design (after unbound's regional.h and Knot's per-request mm): memory comes in chunks from
 * mi_malloc; small allocations are bumped out of the current chunk; large ones go on a side
 * list. arena_reset keeps the first chunk and frees everything else, and runs the deferred
 * destructors registered with arena_defer (newest first). Allocation never returns NULL: out
 * of memory aborts, as a batch verifier gains nothing from recovering half-way. An arena is
 * owned by one thread. */
#ifndef AUTHSWEEP_ARENA_H
#define AUTHSWEEP_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"

struct arena;

/* Allocation never returns NULL (out of memory aborts): said to the compiler and analyzers. */
#define ARENA_NONNULL __attribute__((returns_nonnull, malloc))

/* arena_new makes an arena whose first chunk holds chunk_size bytes (0: a default). */
ARENA_NONNULL struct arena *arena_new(size_t chunk_size);
/* arena_free releases everything, running deferred destructors. arena_free(NULL) is a no-op. */
void arena_free(struct arena *a);
/* arena_reset returns the arena to empty, keeping its first chunk. */
void arena_reset(struct arena *a);
/* arena_alloc returns n bytes aligned to 16, uninitialised. Never NULL. */
ARENA_NONNULL void *arena_alloc(struct arena *a, size_t n);
/* arena_zalloc is arena_alloc plus zeroing. */
ARENA_NONNULL void *arena_zalloc(struct arena *a, size_t n);
/* arena_array allocates n elements of size sz, zeroed, checking the multiplication. */
ARENA_NONNULL void *arena_array(struct arena *a, size_t n, size_t sz);
/* arena_dup copies s into the arena; the copy has a NUL after it (not counted in len). */
slice arena_dup(struct arena *a, slice s);
/* arena_cstr returns a NUL-terminated copy of s, or NULL if s contains a NUL byte. */
char *arena_cstr(struct arena *a, slice s);
/* arena_defer registers fn(p) to run at the next reset or free. */
void arena_defer(struct arena *a, void (*fn)(void *), void *p);
/* arena_bytes_used reports the bytes handed out since the last reset (for limits, tests). */
size_t arena_bytes_used(const struct arena *a);

#define ARENA_NEW(a, type) ((type *)arena_zalloc((a), sizeof(type)))
#define ARENA_ARRAY(a, type, n) ((type *)arena_array((a), (n), sizeof(type)))

/* xmalloc family: process- or thread-lifetime heap memory (mimalloc), aborting on OOM. */
ARENA_NONNULL void *xmalloc(size_t n);
ARENA_NONNULL void *xcalloc(size_t n, size_t sz);
__attribute__((returns_nonnull)) void *xrealloc(void *p, size_t n);
void xfree(void *p);
/* xalloc_tune sets the allocator up for the program (call once, first thing in main). */
void xalloc_tune(void);
char *xstrdup(const char *s); /* for trusted C strings only (argv, paths we made) */
slice xdup(slice s);          /* heap copy with a NUL after it */

#endif
