#include "engine/core/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/arena.h"

void sbuf_init(struct sbuf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void sbuf_cleanup(struct sbuf *b)
{
    xfree(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void sbuf_reset(struct sbuf *b)
{
    b->len = 0;
    if (b->ptr) {
        b->ptr[0] = 0;
    }
}

bool sbuf_reserve(struct sbuf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n) {
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    b->ptr = xrealloc(b->ptr, cap);
    b->cap = cap;
    return true;
}

bool sbuf_append_slow(struct sbuf *b, const void *p, size_t n)
{
    if (!sbuf_reserve(b, n)) {
        return false;
    }
    if (n) {
        memcpy(b->ptr + b->len, p, n);
    }
    b->len += n;
    b->ptr[b->len] = 0;
    return true;
}

bool sbuf_append_slice(struct sbuf *b, slice s)
{
    return sbuf_append(b, s.ptr, s.len);
}


bool sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return false;
    }
    if ((size_t)n < sizeof(tmp)) {
        return sbuf_append(b, tmp, (size_t)n);
    }
    if (!sbuf_reserve(b, (size_t)n)) {
        return false;
    }
    va_start(ap, fmt);
    vsnprintf((char *)b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

uint8_t *sbuf_take(struct sbuf *b, size_t *out_len)
{
    uint8_t *p = b->ptr;
    *out_len = b->len;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}
