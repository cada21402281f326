#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/header/hdr.h"
#include "tests/support/guard.h"

Test(hdr, fields_are_indexed_in_order_with_folding_and_duplicates)
{
    struct arena *a = arena_new(0);
    struct hdr_index h;
    slice m = guard_slice("Received: a\r\n\tb\r\nFrom: x@y\r\nReceived: c\r\n\r\nbody\r\n");
    cr_assert_eq(hdr_parse(a, &h, m), HDR_OK);
    cr_assert_eq(h.n, 3);
    cr_assert(slice_eq(h.f[0].raw, SLICE_LIT("Received: a\r\n\tb\r\n")));
    cr_assert(slice_eq(h.f[0].value, SLICE_LIT(" a\r\n\tb")));
    cr_assert_eq(hdr_count(&h, SLICE_LIT("received")), 2);
    cr_assert_eq(hdr_find(&h, SLICE_LIT("RECEIVED"), 1), 2);
    cr_assert(slice_eq(h.body, SLICE_LIT("body\r\n")));
    cr_assert(slice_eq(hdr_unfold(a, h.f[0].value), SLICE_LIT("a\tb")));
    arena_free(a);
}

Test(hdr, lf_only_messages_and_nul_bytes_are_fine)
{
    struct arena *a = arena_new(0);
    struct hdr_index h;
    slice m = guard_bytes("Subject: a\0b\nX: 1\n\nbo\0dy", 24);
    cr_assert_eq(hdr_parse(a, &h, m), HDR_OK);
    cr_assert_eq(h.n, 2);
    cr_assert_eq(h.f[0].value.len, 4);
    cr_assert_eq(h.body.len, 5);
    arena_free(a);
}

Test(hdr, message_without_body_separator_is_all_header)
{
    struct arena *a = arena_new(0);
    struct hdr_index h;
    cr_assert_eq(hdr_parse(a, &h, guard_slice("From: a@b\r\nTo: c@d")), HDR_NO_BODY_SEPARATOR);
    cr_assert_eq(h.n, 2);
    cr_assert_eq(h.body.len, 0);
    arena_free(a);
}

Test(hdr, line_without_colon_is_kept_but_not_named)
{
    struct arena *a = arena_new(0);
    struct hdr_index h;
    cr_assert_eq(hdr_parse(a, &h, guard_slice("garbage line\r\nFrom: a@b\r\n\r\n")), HDR_OK);
    cr_assert_eq(h.n, 2);
    cr_assert_not(h.f[0].name_ok);
    cr_assert_eq(hdr_find(&h, SLICE_LIT("From"), 0), 1);
    arena_free(a);
}

Test(hdr, hundred_thousand_fields_are_indexed)
{
    size_t n = 100000;
    char *m = malloc(n * 8 + 16);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(m + o, "X-A: 1\r\n", 8);
        o += 8;
    }
    memcpy(m + o, "\r\nbody", 6);
    struct arena *a = arena_new(0);
    struct hdr_index h;
    cr_assert_eq(hdr_parse(a, &h, guard_bytes(m, o + 6)), HDR_OK);
    cr_assert_eq(h.n, n);
    arena_free(a);
    free(m);
}
