/* slice: a bounded, read-only view of bytes. The only way untrusted bytes travel.
 *
 * Design (after BoringSSL's CBS): a slice never owns memory and is never NUL-terminated.
 * Every take_* function either succeeds and advances the input, or fails and leaves the
 * input exactly as it was, so callers can try another branch without saving positions.
 * Nothing here reads past ptr+len, and nothing uses C-string functions. */
#ifndef AUTHSWEEP_SLICE_H
#define AUTHSWEEP_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct slice {
    const uint8_t *ptr;
    size_t len;
} slice;

/* SLICE_INIT is for static initializers; SLICE_LIT is an expression. Both take literals. */
#define SLICE_INIT(lit) { (const uint8_t *)(lit), sizeof(lit) - 1 }
#define SLICE_LIT(lit) ((slice){ (const uint8_t *)(lit), sizeof(lit) - 1 })
#define SLICE_NULL ((slice){ NULL, 0 })
/* For printf("%.*s", SLICE_FMT(s)) in diagnostics only. */
#define SLICE_FMT(s) (int)(s).len, (const char *)(s).ptr

static inline slice slice_make(const void *p, size_t n)
{
    return (slice){ (const uint8_t *)p, n };
}

/* slice_take sets *out to the first n bytes of *in and advances *in. False if len < n. */
bool slice_take(slice *in, size_t n, slice *out);
/* slice_skip advances *in by n bytes. False (and no move) if len < n. */
bool slice_skip(slice *in, size_t n);
/* slice_take_until sets *out to the bytes before the first `c` and moves *in past that `c`.
 * If `c` is absent it returns false and leaves *in unchanged. */
bool slice_take_until(slice *in, uint8_t c, slice *out);
/* slice_take_line sets *out to the bytes before the next LF (a CR before it is dropped) and
 * moves *in past the LF. With no LF, *out is the rest and *in becomes empty. False only on
 * empty input. */
bool slice_take_line(slice *in, slice *out);
/* slice_u64_dec parses 1..20 ASCII digits at the start of *in (no sign, no overflow, no
 * leading '+'), advancing *in past them. Leading zeros are accepted. */
bool slice_u64_dec(slice *in, uint64_t *out);
/* slice_u64_all parses the whole slice as decimal digits; false on anything else. */
bool slice_u64_all(slice s, uint64_t *out);

/* RFC 5322 §3.2.2 folding white space: SP, HTAB, CR, LF. */
slice slice_trim_fws(slice s);
slice slice_trim_left_fws(slice s);
slice slice_trim_right_fws(slice s);
/* slice_strip_all_fws drops nothing; see canon for whitespace removal into buffers. */

/* slice_eq: inline with a first-byte test, since most calls compare short tag and field
 * names that differ at once. */
static inline bool slice_eq(slice a, slice b)
{
    return a.len == b.len &&
           (a.len == 0 || (a.ptr[0] == b.ptr[0] && memcmp(a.ptr, b.ptr, a.len) == 0));
}
bool slice_eq_ci(slice a, slice b); /* ASCII case-insensitive, no locale */
bool slice_has_prefix(slice s, slice prefix);
bool slice_has_prefix_ci(slice s, slice prefix);
bool slice_has_suffix_ci(slice s, slice suffix);
/* slice_find returns the index of the first `c` in s, or -1. */
ptrdiff_t slice_find(slice s, uint8_t c);
/* slice_find_sub returns the index of the first occurrence of needle in s, or -1. */
ptrdiff_t slice_find_sub(slice s, slice needle);
/* slice_sub returns bytes [off, off+n) clamped to s. */
slice slice_sub(slice s, size_t off, size_t n);
bool slice_contains_byte(slice s, uint8_t c);
/* slice_is_ldh_domain: at least two labels of letters, digits and inner hyphens (RFC 1123
 * §2.1 host names; RFC 6376 §3.5 domain-name), labels of 1..63 bytes, 253 bytes at most,
 * no trailing dot. */
bool slice_is_ldh_domain(slice s);

/* Byte classes: one table, no <ctype.h>, no locale. */
enum slice_cc {
    CC_ALPHA = 1 << 0,
    CC_DIGIT = 1 << 1,
    CC_WSP = 1 << 2,   /* SP HTAB */
    CC_FWS = 1 << 3,   /* SP HTAB CR LF */
    CC_HEX = 1 << 4,
    CC_B64 = 1 << 5,   /* A-Z a-z 0-9 + / */
    CC_LDH = 1 << 6,   /* letters, digits, hyphen */
    CC_FTEXT = 1 << 7, /* RFC 5322 ftext: 33..126 except ':' */
};
extern const uint8_t slice_cc[256];
static inline bool slice_is(uint8_t c, unsigned cls)
{
    return (slice_cc[c] & cls) != 0;
}
static inline uint8_t slice_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

#endif
