#include <criterion/criterion.h>
#include <string.h>

#include "engine/core/arena.h"
#include "engine/core/b64.h"
#include "engine/core/json.h"
#include "engine/core/sbuf.h"
#include "tests/support/guard.h"

Test(arena, reset_keeps_first_chunk_and_runs_defers)
{
    struct arena *a = arena_new(1024);
    static int ran;
    ran = 0;
    void *p = arena_alloc(a, 100);
    (void)arena_alloc(a, 100000); /* big block on the side list */
    arena_defer(a, free, malloc(1));
    cr_assert(arena_bytes_used(a) > 100000);
    arena_reset(a);
    cr_assert_eq(arena_bytes_used(a), 0);
    void *q = arena_alloc(a, 100);
    cr_assert_eq(p, q, "first chunk reused after reset");
    arena_free(a);
    (void)ran;
}

Test(arena, cstr_refuses_embedded_nul)
{
    struct arena *a = arena_new(0);
    cr_assert_null(arena_cstr(a, guard_bytes("a\0b", 3)));
    cr_assert_str_eq(arena_cstr(a, guard_slice("ab")), "ab");
    arena_free(a);
}

Test(sbuf, append_fails_past_max_without_changing_buffer)
{
    struct sbuf b;
    sbuf_init(&b, 8);
    cr_assert(sbuf_append(&b, "12345678", 8));
    cr_assert_not(sbuf_append(&b, "9", 1));
    cr_assert_eq(b.len, 8);
    sbuf_cleanup(&b);
}

Test(b64, decodes_with_folding_whitespace_and_rejects_junk)
{
    uint8_t out[16];
    size_t n;
    cr_assert(b64_decode(out, sizeof out, &n, guard_slice("aGVs\r\n bG8=")));
    cr_assert_eq(n, 5);
    cr_assert(memcmp(out, "hello", 5) == 0);
    cr_assert_not(b64_decode(out, sizeof out, &n, guard_slice("aGVs*bG8=")));
    cr_assert_not(b64_decode(out, sizeof out, &n, guard_slice("aGVsbG8=a")));
    cr_assert_not(b64_decode(out, sizeof out, &n, guard_slice("aGVsbG8===")));
}

Test(b64, encode_round_trips)
{
    char enc[16];
    b64_encode(enc, SLICE_LIT("hello"));
    cr_assert_str_eq(enc, "aGVsbG8=");
}

Test(json, invalid_utf8_becomes_replacement_and_controls_are_escaped)
{
    struct sbuf b;
    sbuf_init(&b, 1024);
    cr_assert(json_str(&b, guard_bytes("a\xff\"\x01\xc3\xa4", 6)));
    cr_assert_str_eq((char *)b.ptr, "\"a\xEF\xBF\xBD\\\"\\u0001\xc3\xa4\"");
    cr_assert(json_valid_utf8(sbuf_slice(&b)));
    sbuf_cleanup(&b);
}

Test(json, overlong_and_surrogate_sequences_are_replaced)
{
    struct sbuf b;
    sbuf_init(&b, 1024);
    cr_assert(json_str(&b, guard_bytes("\xc0\xaf\xed\xa0\x80", 5)));
    cr_assert(json_valid_utf8(sbuf_slice(&b)));
    cr_assert_null(strstr((char *)b.ptr, "\xc0"));
    sbuf_cleanup(&b);
}

Test(json, integers_are_written_like_printf_at_the_edges)
{
    static const int64_t iv[] = { 0, 1, -1, 9, 10, -10, 1753054510, INT64_MAX, INT64_MIN };
    static const uint64_t uv[] = { 0, 7, 10, 99, 100, 18446744073709551615ull };
    struct sbuf b, want;
    sbuf_init(&b, 4096);
    sbuf_init(&want, 4096);
    for (size_t i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
        cr_assert(json_i64(&b, iv[i]) && sbuf_putc(&b, ' '));
        cr_assert(sbuf_printf(&want, "%lld ", (long long)iv[i]));
    }
    for (size_t i = 0; i < sizeof(uv) / sizeof(uv[0]); i++) {
        cr_assert(json_u64(&b, uv[i]) && sbuf_putc(&b, ' '));
        cr_assert(sbuf_printf(&want, "%llu ", (unsigned long long)uv[i]));
    }
    cr_assert_str_eq((const char *)b.ptr, (const char *)want.ptr);
    sbuf_cleanup(&b);
    sbuf_cleanup(&want);
}

Test(json, keys_are_written_with_commas_and_refuse_past_max)
{
    struct sbuf b;
    sbuf_init(&b, 12);
    bool first = true;
    cr_assert(json_key(&b, &first, "ab"));
    cr_assert(json_u64(&b, 1));
    cr_assert(json_key(&b, &first, "c"));
    cr_assert_str_eq((const char *)b.ptr, "\"ab\":1,\"c\":");
    size_t len = b.len;
    cr_assert_not(json_key(&b, &first, "d"), "the buffer's maximum is 12 bytes");
    cr_assert_eq(b.len, len);
    sbuf_cleanup(&b);
}

Test(sbuf, inline_append_and_putc_keep_the_nul_and_the_maximum)
{
    struct sbuf b;
    sbuf_init(&b, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert(sbuf_putc(&b, (uint8_t)('a' + i)));
        cr_assert_eq(b.ptr[b.len], 0);
    }
    cr_assert_not(sbuf_putc(&b, 'z'));
    cr_assert_not(sbuf_append(&b, "z", 1));
    cr_assert(sbuf_append(&b, "", 0));
    cr_assert_eq(b.len, 5);
    cr_assert_str_eq((const char *)b.ptr, "abcde");
    sbuf_cleanup(&b);
}

/* The byte-at-a-time decoder b64_decode had before its four-byte fast path: the reference. */
static bool b64_ref(uint8_t *out, size_t cap, size_t *out_len, slice in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0, pad = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (c == '=') {
            pad++;
            continue;
        }
        const char *p = c ? memchr(tab, c, 64) : NULL;
        if (pad > 0 || p == NULL) {
            return false;
        }
        acc = (acc << 6) | (uint32_t)(p - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap) {
                return false;
            }
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits >= 6 || pad > 2 || (pad != 0 && pad != bits / 2)) {
        return false;
    }
    *out_len = n;
    return true;
}

Test(b64, fast_path_equals_the_byte_loop_on_generated_text)
{
    static const char alpha[] = "ABCxyz019+/ \t\r\n=";
    unsigned seed = 5;
    for (int iter = 0; iter < 20000; iter++) {
        char buf[120];
        size_t len = (size_t)(iter % 110);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 100;
            unsigned specials = iter % 4 == 0 ? 5 : 4; /* "=" in a quarter of the cases */
            buf[i] = r < 85 ? alpha[r % 11] : alpha[11 + r % specials]; /* mostly alphabet */
        }
        slice in = slice_make((const uint8_t *)buf, len);
        for (size_t cap = 0; cap <= 90; cap += (iter % 2) ? 90 : 7) {
            uint8_t a[100], b[100];
            size_t na = 0, nb = 0;
            bool ra = b64_decode(a, cap, &na, in), rb = b64_ref(b, cap, &nb, in);
            cr_assert_eq(ra, rb, "iter %d cap %zu: [%.*s]", iter, cap, (int)len, buf);
            if (ra) {
                cr_assert_eq(na, nb);
                cr_assert_arr_eq(a, b, na, "iter %d", iter);
            }
        }
    }
}

/* json_str as a plain byte loop (before its SSE2 skip over plain runs): the reference. */
static void json_str_ref(struct sbuf *b, slice s)
{
    cr_assert(sbuf_putc(b, '"'));
    for (size_t i = 0; i < s.len;) {
        uint8_t c = s.ptr[i];
        size_t n = c >= 0x80 ? json_utf8_len(s, i) : 1;
        if (c >= 0x80 && n > 1) {
            cr_assert(sbuf_append(b, s.ptr + i, n));
            i += n;
            continue;
        }
        if (c == '"') {
            cr_assert(sbuf_append(b, "\\\"", 2));
        } else if (c == '\\') {
            cr_assert(sbuf_append(b, "\\\\", 2));
        } else if (c == '\n') {
            cr_assert(sbuf_append(b, "\\n", 2));
        } else if (c == '\r') {
            cr_assert(sbuf_append(b, "\\r", 2));
        } else if (c == '\t') {
            cr_assert(sbuf_append(b, "\\t", 2));
        } else if (c < 0x20) {
            cr_assert(sbuf_printf(b, "\\u%04x", c));
        } else if (c >= 0x80) {
            cr_assert(sbuf_append(b, "\xEF\xBF\xBD", 3));
        } else {
            cr_assert(sbuf_putc(b, c));
        }
        i++;
    }
    cr_assert(sbuf_putc(b, '"'));
}

Test(json, strings_equal_the_byte_loop_on_generated_bytes)
{
    static const uint8_t odd[] = { '"', '\\', '\n', 0x01, 0x7F, 0x80, 0xC3, 0xA9, 0xE2, 0x82,
                                   0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF, '\t', ' ' };
    unsigned seed = 11;
    for (int iter = 0; iter < 5000; iter++) {
        uint8_t buf[200];
        size_t len = (size_t)(iter % 190);
        unsigned spread = 1 + (unsigned)(iter % 60);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % (spread * sizeof odd);
            buf[i] = r < sizeof odd ? odd[r] : (uint8_t)('a' + r % 26);
        }
        struct sbuf a, b;
        sbuf_init(&a, 8192);
        sbuf_init(&b, 8192);
        cr_assert(json_str(&a, slice_make(buf, len)));
        json_str_ref(&b, slice_make(buf, len));
        cr_assert(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0, "iter %d: %s vs %s", iter,
                  (const char *)a.ptr, (const char *)b.ptr);
        sbuf_cleanup(&a);
        sbuf_cleanup(&b);
    }
}
