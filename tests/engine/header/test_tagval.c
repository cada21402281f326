#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/header/tagval.h"
#include "tests/support/guard.h"

Test(tagval, parses_values_with_fws_and_trailing_semicolon)
{
    struct arena *a = arena_new(0);
    struct tv_list l;
    slice bad, v;
    cr_assert_eq(tv_parse(a, &l, guard_slice(" v=1;\r\n a = rsa-sha256 ; b=ab\r\n cd;"), &bad), TV_OK);
    cr_assert_eq(l.n, 3);
    cr_assert(tv_get(&l, SLICE_LIT("a"), &v) && slice_eq(v, SLICE_LIT("rsa-sha256")));
    cr_assert(tv_get(&l, SLICE_LIT("b"), &v) && slice_eq(v, SLICE_LIT("ab\r\n cd")));
    cr_assert_not(tv_get(&l, SLICE_LIT("V"), &v), "tag names are case-sensitive");
    arena_free(a);
}

Test(tagval, duplicate_tag_is_an_error)
{
    struct arena *a = arena_new(0);
    struct tv_list l;
    slice bad;
    cr_assert_eq(tv_parse(a, &l, guard_slice("a=1; a=2"), &bad), TV_E_DUPLICATE);
    arena_free(a);
}

Test(tagval, malformed_specs_are_syntax_errors)
{
    struct arena *a = arena_new(0);
    struct tv_list l;
    slice bad;
    cr_assert_eq(tv_parse(a, &l, guard_slice("a=1; novalue"), &bad), TV_E_SYNTAX);
    cr_assert(slice_eq(bad, SLICE_LIT("novalue")));
    cr_assert_eq(tv_parse(a, &l, guard_slice("1a=x"), &bad), TV_E_SYNTAX);
    cr_assert_eq(tv_parse(a, &l, guard_bytes("a=x\0y", 5), &bad), TV_E_SYNTAX);
    cr_assert_eq(tv_parse(a, &l, guard_slice("a=\xc3\xa4"), &bad), TV_E_SYNTAX);
    arena_free(a);
}

Test(tagval, empty_value_is_allowed)
{
    struct arena *a = arena_new(0);
    struct tv_list l;
    slice bad, v;
    cr_assert_eq(tv_parse(a, &l, guard_slice("p=; k=rsa"), &bad), TV_OK);
    cr_assert(tv_get(&l, SLICE_LIT("p"), &v) && v.len == 0);
    arena_free(a);
}

Test(tagval, too_many_tags_is_an_error)
{
    char buf[2048];
    size_t o = 0;
    for (int i = 0; i < 70; i++) {
        o += (size_t)snprintf(buf + o, sizeof buf - o, "t%d=1;", i);
    }
    struct arena *a = arena_new(0);
    struct tv_list l;
    slice bad;
    cr_assert_eq(tv_parse(a, &l, guard_bytes(buf, o), &bad), TV_E_TOO_MANY);
    arena_free(a);
}

Test(tagval, a_bad_byte_anywhere_in_a_long_value_is_found)
{
    /* The value check skips 16 valid bytes at a time (SSE2): a bad byte at any offset, in
     * or after such a block, must still be caught, and FWS inside stays allowed. */
    static const uint8_t bad[] = { 0x00, 0x7F, 0x80, 0xFF, 0x1F, '\r' };
    struct arena *a = arena_new(0);
    char buf[80];
    for (size_t pos = 0; pos < 48; pos++) {
        for (size_t k = 0; k < sizeof bad; k++) {
            memcpy(buf, "b=", 2);
            for (size_t i = 0; i < 48; i++) {
                buf[2 + i] = (char)('A' + i % 26);
            }
            buf[2 + pos] = (char)bad[k];
            if ((pos == 0 || pos == 47) && bad[k] == '\r') {
                continue; /* a CR at either end is trimmed as FWS, not judged */
            }
            struct tv_list l;
            slice b;
            cr_assert_eq(tv_parse(a, &l, slice_make((const uint8_t *)buf, 50), &b), TV_E_SYNTAX,
                         "byte 0x%02x at %zu", bad[k], pos);
        }
    }
    static const char good[] =
        "b=ABCDEFGHIJKLMNOP QRSTUVWXYZ\r\n\tabcdefghijklmnopqrstuvwxyz0123456789+/=";
    struct tv_list l;
    slice b;
    cr_assert_eq(tv_parse(a, &l, slice_make((const uint8_t *)good, sizeof good - 1), &b), TV_OK);
    arena_free(a);
}
