/* json: writing JSON into an sbuf. Strings from untrusted bytes come out as valid UTF-8:
 * valid UTF-8 sequences are kept, control characters escaped, and every byte that is not
 * part of a valid sequence becomes U+FFFD. Appends report failure (buffer limit) as false. */
#ifndef AUTHSWEEP_JSON_H
#define AUTHSWEEP_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/sbuf.h"
#include "engine/core/slice.h"

MUSTCHECK bool json_str(struct sbuf *b, slice s);      /* "..." or null if s.ptr == NULL */
MUSTCHECK bool json_cstr(struct sbuf *b, const char *s); /* trusted C string, or null */
MUSTCHECK bool json_key_slow(struct sbuf *b, bool *first, const char *key);
/* json_key writes ,"key": (no comma for the first). Keys are the program's own ASCII
 * constants, never message data: inline, so that a literal key's length is known when
 * compiling and the common case is one bounds check and a few stores. */
static inline MUSTCHECK bool json_key(struct sbuf *b, bool *first, const char *key)
{
    size_t n = __builtin_strlen(key); /* a trusted constant: see above */
    if (b->cap > b->len && n + 5 < b->cap - b->len) {
        uint8_t *p = b->ptr + b->len;
        if (!*first) {
            *p++ = ',';
        }
        *p++ = '"';
        memcpy(p, key, n);
        p += n;
        *p++ = '"';
        *p++ = ':';
        *p = 0;
        b->len = (size_t)(p - b->ptr);
        *first = false;
        return true;
    }
    return json_key_slow(b, first, key);
} /* ,"key": */
MUSTCHECK bool json_u64(struct sbuf *b, uint64_t v);
MUSTCHECK bool json_i64(struct sbuf *b, int64_t v);
MUSTCHECK bool json_bool(struct sbuf *b, bool v);
MUSTCHECK bool json_null(struct sbuf *b);
/* json_utf8_len returns the length (1-4) of the valid UTF-8 sequence starting at s.ptr[i],
 * or 0 when the byte there does not start one (or i is past the end). The rules are the
 * JSON writer's: RFC 3629, no overlongs, no surrogates, nothing above U+10FFFF. Other
 * writers use it to replace invalid bytes with U+FFFD exactly as json_str does. */
size_t json_utf8_len(slice s, size_t i);
/* json_valid_utf8 reports whether s is entirely valid UTF-8 (RFC 3629). */
bool json_valid_utf8(slice s);

#endif
