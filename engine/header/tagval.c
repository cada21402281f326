#include "engine/header/tagval.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/core/limits.h"

const char *tv_status_name(enum tv_status s)
{
    switch (s) {
    case TV_OK:
        return "ok";
    case TV_E_SYNTAX:
        return "syntax";
    case TV_E_DUPLICATE:
        return "duplicate_tag";
    case TV_E_TOO_MANY:
        return "too_many_tags";
    }
    return "?";
}

static bool tag_name_ok(slice n)
{
    if (n.len == 0 || !slice_is(n.ptr[0], CC_ALPHA)) {
        return false;
    }
    for (size_t i = 1; i < n.len; i++) {
        if (!slice_is(n.ptr[i], CC_ALPHA | CC_DIGIT) && n.ptr[i] != '_') {
            return false;
        }
    }
    return true;
}

/* RFC 6376 §3.2: tval = 1*VALCHAR, VALCHAR = %x21-3A / %x3C-7E, separated by FWS. Bytes
 * above 0x7E are not allowed either; NUL, controls and bare CR are rejected. */
static bool tag_value_ok(slice v)
{
    size_t i = 0;
#if defined(__SSE2__)
    /* Sixteen bytes a step while all are VALCHAR or SP (b= and bh= are long runs of them):
     * x + 0x5F maps 0x21..0x7E onto -128..-35 as signed bytes, and nothing else there. */
    const __m128i shift = _mm_set1_epi8(0x5F), lim = _mm_set1_epi8(-34), sp = _mm_set1_epi8(' ');
    for (; i + 16 <= v.len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v.ptr + i));
        __m128i ok = _mm_or_si128(_mm_cmplt_epi8(_mm_add_epi8(x, shift), lim),
                                  _mm_cmpeq_epi8(x, sp));
        if (_mm_movemask_epi8(ok) != 0xFFFF) {
            break; /* the byte loop judges this block */
        }
    }
#endif
    for (; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if ((c >= 0x21 && c <= 0x7E) || c == ' ' || c == '\t') {
            continue;
        }
        if (c == '\r' && i + 1 < v.len && v.ptr[i + 1] == '\n') {
            continue;
        }
        if (c == '\n') {
            continue;
        }
        return false;
    }
    return true;
}

enum tv_status tv_parse(struct arena *a, struct tv_list *out, slice s, slice *bad)
{
    size_t cap = 16;
    out->n = 0;
    out->v = arena_alloc(a, cap * sizeof(*out->v));
    slice rest = s;
    while (rest.len > 0) {
        slice item;
        if (!slice_take_until(&rest, ';', &item)) {
            item = rest;
            rest.len = 0;
        }
        slice spec = slice_trim_fws(item);
        if (spec.len == 0) {
            /* Only a trailing ";" is legal; an empty spec in the middle is accepted too, as
             * every deployed verifier does. */
            continue;
        }
        slice name, value = spec;
        if (!slice_take_until(&value, '=', &name)) {
            *bad = spec;
            return TV_E_SYNTAX;
        }
        name = slice_trim_fws(name);
        slice raw_value = slice_make(value.ptr, (size_t)(item.ptr + item.len - value.ptr));
        value = slice_trim_fws(value);
        if (!tag_name_ok(name) || !tag_value_ok(value)) {
            *bad = spec;
            return TV_E_SYNTAX;
        }
        for (size_t i = 0; i < out->n; i++) {
            if (slice_eq(out->v[i].name, name)) {
                *bad = spec;
                return TV_E_DUPLICATE;
            }
        }
        if (out->n == LIM_DKIM_TAGS) {
            *bad = spec;
            return TV_E_TOO_MANY;
        }
        if (out->n == cap) {
            struct tv_pair *nv = arena_alloc(a, 2 * cap * sizeof(*nv));
            for (size_t i = 0; i < out->n; i++) {
                nv[i] = out->v[i];
            }
            out->v = nv;
            cap *= 2;
        }
        out->v[out->n++] = (struct tv_pair){ name, value, raw_value };
    }
    return TV_OK;
}

const struct tv_pair *tv_find(const struct tv_list *l, slice name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (slice_eq(l->v[i].name, name)) {
            return &l->v[i];
        }
    }
    return NULL;
}

bool tv_get(const struct tv_list *l, slice name, slice *out)
{
    const struct tv_pair *p = tv_find(l, name);
    if (p == NULL) {
        return false;
    }
    *out = p->value;
    return true;
}

bool tv_list_has(slice list, slice want)
{
    slice rest = list, item;
    while (rest.len > 0) {
        if (!slice_take_until(&rest, ':', &item)) {
            item = rest;
            rest.len = 0;
        }
        if (slice_eq_ci(slice_trim_fws(item), want)) {
            return true;
        }
    }
    return false;
}
