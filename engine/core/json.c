#include "engine/core/json.h"

#include <inttypes.h>
#include <stdio.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* utf8_seq_len returns the length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629 §4:
 * no overlongs, no surrogates, nothing above U+10FFFF). Exposed as json_utf8_len for the
 * other writers (CSV, XML, Authentication-Results) so that every output judges bytes alike. */
static size_t utf8_seq_len(slice s, size_t i)
{
    uint8_t c = s.ptr[i];
    size_t n;
    uint32_t min, cp;
    if (c < 0x80) {
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (s.len - i < n) {
        return 0;
    }
    for (size_t k = 1; k < n; k++) {
        uint8_t cc = s.ptr[i + k];
        if ((cc & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

size_t json_utf8_len(slice s, size_t i)
{
    return i < s.len ? utf8_seq_len(s, i) : 0;
}

bool json_valid_utf8(slice s)
{
    for (size_t i = 0; i < s.len;) {
        size_t n = utf8_seq_len(s, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

bool json_str(struct sbuf *b, slice s)
{
    if (s.ptr == NULL) {
        return json_null(b);
    }
    if (!sbuf_putc(b, '"')) {
        return false;
    }
    size_t run = 0; /* start of a run of bytes copied as they are */
    for (size_t i = 0; i < s.len;) {
#if defined(__SSE2__)
        /* Sixteen plain bytes at a time (0x20..0x7F but '"' and '\\'): as signed bytes
         * those are exactly the ones greater than 0x1F (0x80 and up are negative). */
        while (s.len - i >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s.ptr + i));
            __m128i plain = _mm_cmpgt_epi8(x, _mm_set1_epi8(0x1F));
            __m128i special = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                           _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
            unsigned ok = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(special, plain));
            if (ok != 0xFFFF) {
                break;
            }
            i += 16;
        }
        if (i >= s.len) {
            break;
        }
#endif
        uint8_t c = s.ptr[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t n = c >= 0x80 ? utf8_seq_len(s, i) : 0;
        if (n > 1) {
            i += n;
            continue;
        }
        if (!sbuf_append(b, s.ptr + run, i - run)) {
            return false;
        }
        bool ok;
        if (c == '"') {
            ok = sbuf_append(b, "\\\"", 2);
        } else if (c == '\\') {
            ok = sbuf_append(b, "\\\\", 2);
        } else if (c == '\n') {
            ok = sbuf_append(b, "\\n", 2);
        } else if (c == '\r') {
            ok = sbuf_append(b, "\\r", 2);
        } else if (c == '\t') {
            ok = sbuf_append(b, "\\t", 2);
        } else if (c < 0x20 || c == 0x7F) {
            ok = sbuf_printf(b, "\\u%04x", c);
        } else {
            ok = sbuf_append(b, "\xEF\xBF\xBD", 3); /* U+FFFD for an invalid byte */
        }
        if (!ok) {
            return false;
        }
        i++;
        run = i;
    }
    return sbuf_append(b, s.ptr + run, s.len - run) && sbuf_putc(b, '"');
}

bool json_cstr(struct sbuf *b, const char *s)
{
    if (s == NULL) {
        return json_null(b);
    }
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return json_str(b, slice_make(s, n));
}

/* json_key: keys are the program's own ASCII names (never message data), so they are
 * copied without the escaping scan. */
bool json_key_slow(struct sbuf *b, bool *first, const char *key)
{
    uint8_t tmp[80];
    size_t n = 0;
    bool comma = !*first;
    if (comma) {
        tmp[n++] = ',';
    }
    *first = false;
    tmp[n++] = '"';
    size_t k = 0;
    while (key[k] != 0 && n < sizeof(tmp) - 2) {
        tmp[n++] = (uint8_t)key[k++];
    }
    if (key[k] != 0) { /* a longer key than any we write: the general path */
        return sbuf_append(b, tmp, comma ? 1 : 0) && json_cstr(b, key) && sbuf_putc(b, ':');
    }
    tmp[n++] = '"';
    tmp[n++] = ':';
    return sbuf_append(b, tmp, n);
}

/* Decimal digits by hand: sbuf_printf's vsnprintf (run twice) cost more than the record's
 * strings. */
bool json_u64(struct sbuf *b, uint64_t v)
{
    uint8_t tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (uint8_t)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return sbuf_append(b, tmp + i, sizeof(tmp) - i);
}

bool json_i64(struct sbuf *b, int64_t v)
{
    if (v >= 0) {
        return json_u64(b, (uint64_t)v);
    }
    uint64_t mag = (uint64_t)(-(v + 1)) + 1; /* INT64_MIN too */
    return sbuf_putc(b, '-') && json_u64(b, mag);
}

bool json_bool(struct sbuf *b, bool v)
{
    return v ? sbuf_append(b, "true", 4) : sbuf_append(b, "false", 5);
}

bool json_null(struct sbuf *b)
{
    return sbuf_append(b, "null", 4);
}
