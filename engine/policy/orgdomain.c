#include "engine/policy/orgdomain.h"

#include <libpsl.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/arena.h"

struct orgdom_psl {
    psl_ctx_t *ctx;
};

struct orgdom_psl *orgdom_psl_new(const char *path, char *err, size_t err_len)
{
    psl_ctx_t *ctx = path != NULL ? psl_load_file(path) : psl_latest(NULL);
    if (ctx == NULL) {
        if (err_len > 0) {
            snprintf(err, err_len, "%s: cannot load the Public Suffix List",
                     path != NULL ? path : "libpsl (psl_latest)");
        }
        return NULL;
    }
    struct orgdom_psl *p = xcalloc(1, sizeof(*p));
    p->ctx = ctx;
    return p;
}

void orgdom_psl_free(struct orgdom_psl *p)
{
    if (p == NULL) {
        return;
    }
    psl_free(p->ctx);
    xfree(p);
}

bool orgdom_psl_lookup(const struct orgdom_psl *p, slice name, slice *out)
{
    /* libpsl wants a lower-case C string; the domain is at most 253 bytes here. */
    char buf[256];
    if (name.len == 0 || name.len >= sizeof(buf) || name.ptr[0] == '.') {
        return false;
    }
    for (size_t i = 0; i < name.len; i++) {
        uint8_t c = name.ptr[i];
        if (c == 0 || (c == '.' && (i + 1 == name.len || name.ptr[i + 1] == '.'))) {
            return false;
        }
        buf[i] = (char)slice_lower(c);
    }
    buf[name.len] = '\0';
    const char *reg = psl_registrable_domain(p->ctx, buf);
    if (reg == NULL) {
        return false;
    }
    /* reg points into buf: a suffix of the name. */
    size_t off = (size_t)(reg - buf);
    if (off > name.len) {
        return false;
    }
    *out = slice_make(name.ptr + off, name.len - off);
    return true;
}

size_t orgdom_label_count(slice name)
{
    if (name.len == 0) {
        return 0;
    }
    size_t n = 1;
    for (size_t i = 0; i < name.len; i++) {
        n += name.ptr[i] == '.';
    }
    return n;
}

slice orgdom_suffix(slice name, size_t n)
{
    if (n == 0) {
        return slice_make(name.ptr + name.len, 0);
    }
    size_t seen = 0;
    for (size_t i = name.len; i > 0; i--) {
        if (name.ptr[i - 1] == '.' && ++seen == n) {
            return slice_make(name.ptr + i, name.len - i);
        }
    }
    return name;
}

bool orgdom_is_under(slice name, slice ancestor)
{
    if (ancestor.len == 0 || name.len < ancestor.len) {
        return false;
    }
    slice tail = slice_make(name.ptr + name.len - ancestor.len, ancestor.len);
    if (!slice_eq_ci(tail, ancestor)) {
        return false;
    }
    return name.len == ancestor.len || name.ptr[name.len - ancestor.len - 1] == '.';
}

size_t orgdom_walk_targets(slice start, slice out[ORGDOM_WALK_MAX])
{
    size_t x = orgdom_label_count(start);
    size_t n = 0;
    if (x == 0) {
        return 0;
    }
    out[n++] = start;
    /* §4.10 step 4: with 8 or more labels, drop labels until 7 remain; else drop one. */
    size_t next = x >= 8 ? ORGDOM_WALK_SHORTEN : x - 1;
    for (; next >= 1 && n < ORGDOM_WALK_MAX; next--) {
        out[n++] = orgdom_suffix(start, next);
    }
    return n;
}

slice orgdom_walk_select(slice start, const struct orgdom_found *found, size_t n_found)
{
    const struct orgdom_found *fewest = NULL;
    for (size_t i = 0; i < n_found; i++) {
        const struct orgdom_found *f = &found[i];
        if (!f->has_record) {
            continue;
        }
        if (f->psd == ORGDOM_PSD_N) {
            return f->name;
        }
        if (f->psd == ORGDOM_PSD_Y && f->name.len != start.len) {
            return orgdom_suffix(start, orgdom_label_count(f->name) + 1);
        }
        fewest = f; /* names come longest first: the last one seen has the fewest labels */
    }
    return fewest != NULL ? fewest->name : start;
}
