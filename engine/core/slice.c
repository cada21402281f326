#include "engine/core/slice.h"

#include <string.h>

bool slice_take(slice *in, size_t n, slice *out)
{
    if (in->len < n) {
        return false;
    }
    *out = (slice){ in->ptr, n };
    in->ptr += n;
    in->len -= n;
    return true;
}

bool slice_skip(slice *in, size_t n)
{
    if (in->len < n) {
        return false;
    }
    in->ptr += n;
    in->len -= n;
    return true;
}

bool slice_take_until(slice *in, uint8_t c, slice *out)
{
    if (in->len == 0) {
        return false;
    }
    const uint8_t *p = memchr(in->ptr, c, in->len);
    if (p == NULL) {
        return false;
    }
    size_t n = (size_t)(p - in->ptr);
    *out = (slice){ in->ptr, n };
    in->ptr += n + 1;
    in->len -= n + 1;
    return true;
}

bool slice_take_line(slice *in, slice *out)
{
    if (in->len == 0) {
        return false;
    }
    slice line;
    if (!slice_take_until(in, '\n', &line)) {
        line = *in;
        in->ptr += in->len;
        in->len = 0;
    }
    if (line.len > 0 && line.ptr[line.len - 1] == '\r') {
        line.len--;
    }
    *out = line;
    return true;
}

bool slice_u64_dec(slice *in, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < in->len && in->ptr[i] >= '0' && in->ptr[i] <= '9') {
        uint64_t d = (uint64_t)(in->ptr[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
        i++;
    }
    if (i == 0) {
        return false;
    }
    *out = v;
    in->ptr += i;
    in->len -= i;
    return true;
}

bool slice_u64_all(slice s, uint64_t *out)
{
    slice t = s;
    uint64_t v;
    if (!slice_u64_dec(&t, &v) || t.len != 0) {
        return false;
    }
    *out = v;
    return true;
}

slice slice_trim_left_fws(slice s)
{
    while (s.len > 0 && slice_is(s.ptr[0], CC_FWS)) {
        s.ptr++;
        s.len--;
    }
    return s;
}

slice slice_trim_right_fws(slice s)
{
    while (s.len > 0 && slice_is(s.ptr[s.len - 1], CC_FWS)) {
        s.len--;
    }
    return s;
}

slice slice_trim_fws(slice s)
{
    return slice_trim_right_fws(slice_trim_left_fws(s));
}

bool slice_eq_ci(slice a, slice b)
{
    if (a.len != b.len) {
        return false;
    }
    for (size_t i = 0; i < a.len; i++) {
        if (slice_lower(a.ptr[i]) != slice_lower(b.ptr[i])) {
            return false;
        }
    }
    return true;
}

bool slice_has_prefix(slice s, slice prefix)
{
    return s.len >= prefix.len && slice_eq(slice_make(s.ptr, prefix.len), prefix);
}

bool slice_has_prefix_ci(slice s, slice prefix)
{
    return s.len >= prefix.len && slice_eq_ci(slice_make(s.ptr, prefix.len), prefix);
}

bool slice_has_suffix_ci(slice s, slice suffix)
{
    return s.len >= suffix.len &&
           slice_eq_ci(slice_make(s.ptr + s.len - suffix.len, suffix.len), suffix);
}

ptrdiff_t slice_find(slice s, uint8_t c)
{
    if (s.len == 0) {
        return -1;
    }
    const uint8_t *p = memchr(s.ptr, c, s.len);
    return p ? (ptrdiff_t)(p - s.ptr) : -1;
}

ptrdiff_t slice_find_sub(slice s, slice needle)
{
    if (needle.len == 0) {
        return 0;
    }
    if (s.len < needle.len) {
        return -1;
    }
    const uint8_t *p = memmem(s.ptr, s.len, needle.ptr, needle.len);
    return p ? (ptrdiff_t)(p - s.ptr) : -1;
}

slice slice_sub(slice s, size_t off, size_t n)
{
    if (off > s.len) {
        off = s.len;
    }
    if (n > s.len - off) {
        n = s.len - off;
    }
    return (slice){ s.ptr + off, n };
}

bool slice_contains_byte(slice s, uint8_t c)
{
    return slice_find(s, c) >= 0;
}

bool slice_is_ldh_domain(slice s)
{
    size_t labels = 0, start = 0;
    if (s.len == 0 || s.len > 253) {
        return false;
    }
    for (size_t i = 0; i <= s.len; i++) {
        if (i < s.len && s.ptr[i] != '.') {
            if (!slice_is(s.ptr[i], CC_LDH)) {
                return false;
            }
            continue;
        }
        size_t n = i - start;
        if (n == 0 || n > 63 || s.ptr[start] == '-' || s.ptr[i - 1] == '-') {
            return false;
        }
        labels++;
        start = i + 1;
    }
    return labels >= 2;
}

#define A CC_ALPHA | CC_LDH | CC_B64 | CC_FTEXT
#define AH CC_ALPHA | CC_LDH | CC_B64 | CC_HEX | CC_FTEXT
#define D CC_DIGIT | CC_LDH | CC_B64 | CC_HEX | CC_FTEXT
#define P CC_FTEXT
const uint8_t slice_cc[256] = {
    ['\t'] = CC_WSP | CC_FWS, ['\n'] = CC_FWS, ['\r'] = CC_FWS, [' '] = CC_WSP | CC_FWS,
    ['!'] = P, ['"'] = P, ['#'] = P, ['$'] = P, ['%'] = P, ['&'] = P, ['\''] = P,
    ['('] = P, [')'] = P, ['*'] = P, ['+'] = P | CC_B64, [','] = P, ['-'] = P | CC_LDH,
    ['.'] = P, ['/'] = P | CC_B64,
    ['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D, ['5'] = D, ['6'] = D, ['7'] = D,
    ['8'] = D, ['9'] = D,
    [';'] = P, ['<'] = P, ['='] = P, ['>'] = P, ['?'] = P, ['@'] = P,
    ['A'] = AH, ['B'] = AH, ['C'] = AH, ['D'] = AH, ['E'] = AH, ['F'] = AH, ['G'] = A,
    ['H'] = A, ['I'] = A, ['J'] = A, ['K'] = A, ['L'] = A, ['M'] = A, ['N'] = A, ['O'] = A,
    ['P'] = A, ['Q'] = A, ['R'] = A, ['S'] = A, ['T'] = A, ['U'] = A, ['V'] = A, ['W'] = A,
    ['X'] = A, ['Y'] = A, ['Z'] = A,
    ['['] = P, ['\\'] = P, [']'] = P, ['^'] = P, ['_'] = P, ['`'] = P,
    ['a'] = AH, ['b'] = AH, ['c'] = AH, ['d'] = AH, ['e'] = AH, ['f'] = AH, ['g'] = A,
    ['h'] = A, ['i'] = A, ['j'] = A, ['k'] = A, ['l'] = A, ['m'] = A, ['n'] = A, ['o'] = A,
    ['p'] = A, ['q'] = A, ['r'] = A, ['s'] = A, ['t'] = A, ['u'] = A, ['v'] = A, ['w'] = A,
    ['x'] = A, ['y'] = A, ['z'] = A,
    ['{'] = P, ['|'] = P, ['}'] = P, ['~'] = P,
};
#undef A
#undef AH
#undef D
#undef P
