#include "engine/core/b64.h"

static const int8_t b64_val[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
    ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
    ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
    ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
    ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
    ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
    ['/'] = 64,
}; /* value + 1; 0 means "not base64" */

bool b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, slice in)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0, pad = 0;
    for (size_t i = 0; i < in.len; i++) {
        /* Four alphabet bytes on a group boundary make three output bytes at once (b= and
         * p= are long runs of them between folds); anything else takes the byte path. */
        while (bits == 0 && pad == 0 && in.len - i >= 4 && out_cap - n >= 3) {
            uint32_t a = (uint8_t)b64_val[in.ptr[i]], b = (uint8_t)b64_val[in.ptr[i + 1]];
            uint32_t c4 = (uint8_t)b64_val[in.ptr[i + 2]], d = (uint8_t)b64_val[in.ptr[i + 3]];
            if (a == 0 || b == 0 || c4 == 0 || d == 0) {
                break;
            }
            uint32_t v = (a - 1) << 18 | (b - 1) << 12 | (c4 - 1) << 6 | (d - 1);
            out[n] = (uint8_t)(v >> 16);
            out[n + 1] = (uint8_t)(v >> 8);
            out[n + 2] = (uint8_t)v;
            n += 3;
            i += 4;
        }
        if (i == in.len) {
            break;
        }
        uint8_t c = in.ptr[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad > 0 || b64_val[c] == 0) {
            return false; /* data after padding, or not an alphabet byte */
        }
        acc = (acc << 6) | (uint32_t)(b64_val[c] - 1);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= out_cap) {
                return false;
            }
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    /* Leftover bits: 0 (aligned), 2 (one '=' due), 4 (two '=' due). They must be zero-free
     * of data in strict base64, but real keys sometimes omit padding: accept missing '='
     * only when the leftover is consistent, never extra '='. */
    if (bits >= 6 || pad > 2) {
        return false;
    }
    if (pad != 0 && pad != bits / 2) {
        return false;
    }
    *out_len = n;
    return true;
}

size_t b64_encode(char *out, slice in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 2 < in.len; i += 3) {
        uint32_t v = (uint32_t)in.ptr[i] << 16 | (uint32_t)in.ptr[i + 1] << 8 | in.ptr[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < in.len) {
        uint32_t v = (uint32_t)in.ptr[i] << 16;
        if (i + 1 < in.len) {
            v |= (uint32_t)in.ptr[i + 1] << 8;
        }
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = (i + 1 < in.len) ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return o;
}
