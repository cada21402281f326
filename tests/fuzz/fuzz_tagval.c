/* fuzz_tagval: RFC 6376 §3.2 tag=value lists (DKIM-Signature, key records, ARC, DMARC). */
#include "engine/core/limits.h"
#include "engine/header/tagval.h"
#include "tests/fuzz/fuzz.h"

static bool inside(slice outer, slice in)
{
    if (in.ptr == NULL) {
        return in.len == 0;
    }
    return in.ptr >= outer.ptr && in.len <= outer.len &&
           (size_t)(in.ptr - outer.ptr) <= outer.len - in.len;
}

static bool is_fws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int fuzz_tagval_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    slice s = slice_make(data, size);
    struct tv_list l = { 0, NULL };
    slice bad = SLICE_NULL;
    enum tv_status st = tv_parse(a, &l, s, &bad);
    FUZZ_CHECK(tv_status_name(st) != NULL);
    if (st != TV_OK) {
        FUZZ_CHECK(inside(s, bad));
        return 0;
    }
    FUZZ_CHECK(l.n <= LIM_DKIM_TAGS);
    for (size_t i = 0; i < l.n; i++) {
        const struct tv_pair *p = &l.v[i];
        FUZZ_CHECK(p->name.len > 0 && inside(s, p->name));
        FUZZ_CHECK(inside(s, p->value) && inside(s, p->raw_value));
        if (p->value.len > 0) {
            FUZZ_CHECK(inside(p->raw_value, p->value));
            FUZZ_CHECK(!is_fws(p->value.ptr[0]) && !is_fws(p->value.ptr[p->value.len - 1]));
        }
        for (size_t k = 0; k < p->name.len; k++) {
            uint8_t c = p->name.ptr[k];
            FUZZ_CHECK(c != ';' && c != '=' && !is_fws(c));
        }
        for (size_t k = 0; k < p->value.len; k++) {
            FUZZ_CHECK(p->value.ptr[k] != ';');
        }
        /* names are unique, so lookups find this very pair */
        FUZZ_CHECK(tv_find(&l, p->name) == p);
        slice v;
        FUZZ_CHECK(tv_get(&l, p->name, &v) && v.ptr == p->value.ptr && v.len == p->value.len);
    }
    return 0;
}

FUZZ_ENTRY(fuzz_tagval_one)
