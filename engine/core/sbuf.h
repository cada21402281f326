/* sbuf: a growable byte buffer with a hard maximum (after curl's dynbuf).
 * Appends fail (return false, buffer unchanged) once the maximum would be passed, so a
 * hostile input can never grow a buffer without bound. Memory is heap (mimalloc); the
 * buffer keeps a NUL after its bytes for convenience, never counted in len. */
#ifndef AUTHSWEEP_SBUF_H
#define AUTHSWEEP_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/core/slice.h"

#define MUSTCHECK __attribute__((warn_unused_result))

struct sbuf {
    uint8_t *ptr;
    size_t len;
    size_t cap;
    size_t max;
};

void sbuf_init(struct sbuf *b, size_t max);
void sbuf_cleanup(struct sbuf *b);
void sbuf_reset(struct sbuf *b); /* len = 0, memory kept */
MUSTCHECK bool sbuf_reserve(struct sbuf *b, size_t n); /* room for n more bytes */
MUSTCHECK bool sbuf_append_slow(struct sbuf *b, const void *p, size_t n);
/* sbuf_append: the common case (room already there; cap never passes max + 1) inline, since
 * a record is written as hundreds of small appends. */
static inline MUSTCHECK bool sbuf_append(struct sbuf *b, const void *p, size_t n)
{
    if (n < b->cap && b->len < b->cap - n) { /* len + n + 1 <= cap: room for the NUL too */
        if (n) {
            memcpy(b->ptr + b->len, p, n);
        }
        b->len += n;
        b->ptr[b->len] = 0;
        return true;
    }
    return sbuf_append_slow(b, p, n);
}
static inline MUSTCHECK bool sbuf_putc(struct sbuf *b, uint8_t c)
{
    if (b->len + 2 <= b->cap) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = 0;
        return true;
    }
    return sbuf_append_slow(b, &c, 1);
}
MUSTCHECK bool sbuf_append_slice(struct sbuf *b, slice s);
MUSTCHECK bool sbuf_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline slice sbuf_slice(const struct sbuf *b)
{
    return slice_make(b->ptr, b->len);
}
/* sbuf_take hands the bytes to the caller (free with xfree) and resets the buffer. */
uint8_t *sbuf_take(struct sbuf *b, size_t *out_len);

#endif
