/* fuzz_hdr: header indexing (hdr_parse), lookups (hdr_find, hdr_count) and unfolding
 * (hdr_unfold) over any bytes. Checks that the index tiles the header section exactly. */
#include <string.h>

#include "engine/header/hdr.h"
#include "tests/fuzz/fuzz.h"

static bool inside(slice outer, slice in)
{
    if (in.ptr == NULL) {
        return in.len == 0;
    }
    return in.ptr >= outer.ptr && in.len <= outer.len &&
           (size_t)(in.ptr - outer.ptr) <= outer.len - in.len;
}

int fuzz_hdr_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    slice msg = slice_make(data, size);
    struct hdr_index h;
    enum hdr_status st = hdr_parse(a, &h, msg);
    FUZZ_CHECK(hdr_status_name(st) != NULL);
    const uint8_t *next = data;
    for (size_t i = 0; i < h.n; i++) {
        const struct hdr_field *f = &h.f[i];
        FUZZ_CHECK(f->raw.ptr == next); /* fields are contiguous, in order */
        FUZZ_CHECK(inside(msg, f->raw));
        next = f->raw.ptr + f->raw.len;
        FUZZ_CHECK(inside(f->raw, f->value));
        if (f->name_ok) {
            FUZZ_CHECK(f->name.len > 0 && inside(f->raw, f->name));
            FUZZ_CHECK(f->name.ptr == f->raw.ptr);
            ptrdiff_t k = hdr_find(&h, f->name, 0);
            FUZZ_CHECK(k >= 0 && (size_t)k <= i);
            FUZZ_CHECK(hdr_find(&h, f->name, i) == (ptrdiff_t)i);
            FUZZ_CHECK(hdr_count(&h, f->name) >= 1);
        }
        slice u = hdr_unfold(a, f->value);
        FUZZ_CHECK(u.len <= f->value.len);
        FUZZ_CHECK(memchr(u.ptr == NULL ? (const uint8_t *)"" : u.ptr, '\n', u.len) == NULL);
        if (u.len > 0) {
            /* surrounding FWS trimmed */
            FUZZ_CHECK(u.ptr[0] != ' ' && u.ptr[0] != '\t');
            FUZZ_CHECK(u.ptr[u.len - 1] != ' ' && u.ptr[u.len - 1] != '\t');
        }
    }
    if (h.has_separator) {
        FUZZ_CHECK(h.head.ptr == data && h.head.len == (size_t)(next - data));
        FUZZ_CHECK(inside(msg, h.body));
        FUZZ_CHECK(h.body.ptr + h.body.len == data + size);
        FUZZ_CHECK(st == HDR_OK);
    } else if (st == HDR_OK || st == HDR_NO_BODY_SEPARATOR) {
        FUZZ_CHECK(next == data + size); /* all header */
        FUZZ_CHECK(h.body.len == 0);
    }
    static const slice names[] = { SLICE_INIT("From"), SLICE_INIT("DKIM-Signature"),
                                   SLICE_INIT("Received"), SLICE_INIT("") };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = 0;
        for (ptrdiff_t k = hdr_find(&h, names[i], 0); k >= 0;
             k = hdr_find(&h, names[i], (size_t)k + 1)) {
            FUZZ_CHECK((size_t)k < h.n && h.f[k].name_ok);
            n++;
        }
        FUZZ_CHECK(n == hdr_count(&h, names[i]));
    }
    return 0;
}

FUZZ_ENTRY(fuzz_hdr_one)
