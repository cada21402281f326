#include "engine/header/hdr.h"

#include <string.h>

#include "engine/core/limits.h"

const char *hdr_status_name(enum hdr_status s)
{
    switch (s) {
    case HDR_OK:
        return "ok";
    case HDR_TOO_MANY_FIELDS:
        return "too_many_header_fields";
    case HDR_FIELD_TOO_LONG:
        return "header_field_too_long";
    case HDR_NO_BODY_SEPARATOR:
        return "no_body_separator";
    }
    return "?";
}

/* line_end finds the end of the line starting at p: returns the index just past the LF (or
 * the end of input), and sets *content_end to the index before CR LF / LF. */
static size_t line_end(slice s, size_t p, size_t *content_end)
{
    const uint8_t *lf = memchr(s.ptr + p, '\n', s.len - p);
    if (lf == NULL) {
        *content_end = s.len;
        return s.len;
    }
    size_t e = (size_t)(lf - s.ptr);
    *content_end = (e > p && s.ptr[e - 1] == '\r') ? e - 1 : e;
    return e + 1;
}

static void field_fill(struct hdr_field *f, slice msg, size_t start, size_t content_end,
                       size_t end)
{
    f->raw = slice_make(msg.ptr + start, end - start);
    slice line = slice_make(msg.ptr + start, content_end - start);
    ptrdiff_t colon = slice_find(line, ':');
    /* RFC 5322 §2.2: field-name = 1*ftext; no WSP inside, though obsolete syntax
     * (§4.5) allows WSP before the colon: accept and trim it. */
    if (colon <= 0) {
        f->name_ok = false;
        f->name = SLICE_NULL;
        f->value = line;
        return;
    }
    slice name = slice_trim_right_fws(slice_make(line.ptr, (size_t)colon));
    bool ok = name.len > 0;
    for (size_t i = 0; i < name.len && ok; i++) {
        ok = slice_is(name.ptr[i], CC_FTEXT);
    }
    f->name_ok = ok;
    f->name = name;
    f->value = slice_make(line.ptr + colon + 1, content_end - start - (size_t)colon - 1);
}

enum hdr_status hdr_parse(struct arena *a, struct hdr_index *out, slice msg)
{
    size_t cap = 64, n = 0, p = 0;
    struct hdr_field *f = arena_alloc(a, cap * sizeof(*f));
    enum hdr_status st = HDR_OK;
    memset(out, 0, sizeof(*out));
    while (p < msg.len) {
        size_t ce;
        size_t e = line_end(msg, p, &ce);
        if (ce == p) { /* empty line: end of the header section (RFC 5322 §2.1) */
            out->has_separator = true;
            out->head = slice_make(msg.ptr, p);
            out->body = slice_make(msg.ptr + e, msg.len - e);
            break;
        }
        size_t start = p, content_end = ce;
        p = e;
        /* Continuation lines start with WSP (RFC 5322 §2.2.3). */
        while (p < msg.len && (msg.ptr[p] == ' ' || msg.ptr[p] == '\t')) {
            p = line_end(msg, p, &content_end);
        }
        if (p - start > LIM_HEADER_FIELD_BYTES && st == HDR_OK) {
            st = HDR_FIELD_TOO_LONG;
        }
        if (n == LIM_HEADER_FIELDS) {
            st = HDR_TOO_MANY_FIELDS;
            out->head = slice_make(msg.ptr, start);
            out->body = slice_make(msg.ptr + start, msg.len - start);
            out->has_separator = true;
            break;
        }
        if (n == cap) {
            struct hdr_field *nf = arena_alloc(a, 2 * cap * sizeof(*f));
            memcpy(nf, f, n * sizeof(*f));
            f = nf;
            cap *= 2;
        }
        field_fill(&f[n++], msg, start, content_end, p);
    }
    if (!out->has_separator && st != HDR_TOO_MANY_FIELDS) {
        out->head = msg;
        out->body = slice_make(msg.ptr + msg.len, 0);
        if (st == HDR_OK) {
            st = HDR_NO_BODY_SEPARATOR;
        }
    }
    out->f = f;
    out->n = n;
    return st;
}

ptrdiff_t hdr_find(const struct hdr_index *h, slice name, size_t start)
{
    for (size_t i = start; i < h->n; i++) {
        if (h->f[i].name_ok && slice_eq_ci(h->f[i].name, name)) {
            return (ptrdiff_t)i;
        }
    }
    return -1;
}

size_t hdr_count(const struct hdr_index *h, slice name)
{
    size_t c = 0;
    for (size_t i = 0; i < h->n; i++) {
        c += h->f[i].name_ok && slice_eq_ci(h->f[i].name, name);
    }
    return c;
}

slice hdr_unfold(struct arena *a, slice value)
{
    value = slice_trim_fws(value);
    if (!slice_contains_byte(value, '\n')) {
        return value;
    }
    uint8_t *d = arena_alloc(a, value.len);
    size_t o = 0;
    for (size_t i = 0; i < value.len; i++) {
        uint8_t c = value.ptr[i];
        if (c == '\r' && i + 1 < value.len && value.ptr[i + 1] == '\n') {
            continue;
        }
        if (c == '\n') {
            continue;
        }
        d[o++] = c;
    }
    return slice_make(d, o);
}
