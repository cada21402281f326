#include "dns/merge.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/record.h"
#include "dns/snapshot.h"
#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/core/sbuf.h"
#include "engine/header/date.h"

/* One fact: a line, under a key (lower-case name + a type word: the type mnemonic, or
 * "*NX" for nxdomain). */
struct fact {
    slice name; /* lower case, in the owning file's copy */
    slice type; /* upper case mnemonic, or "*NX" */
    slice line; /* the whole line, without its newline */
    size_t file;
};

struct mfile {
    const char *path;
    uint8_t *text;
    size_t len;
    int64_t when; /* INT64_MIN when undated */
    size_t order;
    struct fact *facts;
    size_t n_facts;
};

static bool read_all(const char *path, uint8_t **out, size_t *out_len, char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, n, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    struct sbuf b;
    sbuf_init(&b, (size_t)1 << 32);
    uint8_t buf[1 << 16];
    size_t k;
    bool ok = true;
    while (ok && (k = fread(buf, 1, sizeof buf, f)) > 0) {
        ok = sbuf_append(&b, buf, k);
    }
    fclose(f);
    if (!ok) {
        snprintf(err, n, "%s is too large", path);
        sbuf_cleanup(&b);
        return false;
    }
    *out = sbuf_take(&b, out_len);
    return true;
}

/* next_word splits s at runs of blanks. */
static bool next_word(slice *s, slice *w)
{
    *s = slice_trim_left_fws(*s);
    if (s->len == 0) {
        return false;
    }
    size_t i = 0;
    while (i < s->len && s->ptr[i] != ' ' && s->ptr[i] != '\t') {
        i++;
    }
    *w = slice_make(s->ptr, i);
    s->ptr += i;
    s->len -= i;
    return true;
}

static void lower_in_place(slice s)
{
    uint8_t *p = (uint8_t *)s.ptr;
    for (size_t i = 0; i < s.len; i++) {
        p[i] = slice_lower(p[i]);
    }
}

static void upper_in_place(slice s)
{
    uint8_t *p = (uint8_t *)s.ptr;
    for (size_t i = 0; i < s.len; i++) {
        if (p[i] >= 'a' && p[i] <= 'z') {
            p[i] = (uint8_t)(p[i] - 32);
        }
    }
}

/* parse_line turns one line into a fact; false on a line of another shape. Blank and plain
 * comment lines give *skip. */
static bool parse_line(struct mfile *mf, slice line, bool *skip, struct fact *out)
{
    *skip = false;
    slice s = line, w, name, type;
    if (!next_word(&s, &w) || (w.ptr[0] == ';' && !slice_eq(w, SLICE_LIT(";!")))) {
        *skip = true;
        if (slice_has_prefix(line, SLICE_LIT(DNSREC_HEADER_TIME))) {
            slice t = slice_trim_fws(slice_sub(line, sizeof(DNSREC_HEADER_TIME) - 1, line.len));
            int64_t when;
            if (date_parse_rfc3339(t, &when)) {
                mf->when = when;
            }
        }
        return true;
    }
    if (slice_eq(w, SLICE_LIT(";!"))) {
        slice kind;
        if (!next_word(&s, &kind) || !next_word(&s, &name)) {
            return false;
        }
        if (slice_eq_ci(kind, SLICE_LIT("nxdomain"))) {
            type = SLICE_LIT("*NX");
        } else if (!next_word(&s, &type)) {
            return false;
        }
    } else {
        slice ttl, cls;
        name = w;
        if (!next_word(&s, &ttl) || !next_word(&s, &cls) || !next_word(&s, &type) ||
            !slice_eq_ci(cls, SLICE_LIT("IN"))) {
            return false;
        }
    }
    if (name.len == 0 || name.ptr[name.len - 1] != '.') {
        return false; /* relative names need $ORIGIN: not a recording */
    }
    lower_in_place(name);
    if (type.ptr[0] != '*') {
        upper_in_place(type);
    }
    *out = (struct fact){ name, type, line, 0 };
    return true;
}

static bool load_file(struct mfile *mf, char *err, size_t n)
{
    if (!read_all(mf->path, &mf->text, &mf->len, err, n)) {
        return false;
    }
    slice rest = slice_make(mf->text, mf->len), line;
    size_t cap = 64, lineno = 0;
    mf->facts = xmalloc(cap * sizeof(*mf->facts));
    while (slice_take_line(&rest, &line)) {
        lineno++;
        bool skip;
        struct fact f;
        if (!parse_line(mf, line, &skip, &f)) {
            snprintf(err, n,
                     "%s:%zu: dns-merge reads snapshots written by --dns-record (absolute "
                     "names, one record or directive per line)",
                     mf->path, lineno);
            return false;
        }
        if (skip) {
            continue;
        }
        if (mf->n_facts == cap) {
            cap *= 2;
            mf->facts = xrealloc(mf->facts, cap * sizeof(*mf->facts));
        }
        mf->facts[mf->n_facts++] = f;
    }
    return true;
}

static int file_age_cmp(const void *pa, const void *pb)
{
    const struct mfile *a = pa, *b = pb;
    if (a->when != b->when) {
        return a->when < b->when ? -1 : 1;
    }
    return a->order < b->order ? -1 : (a->order > b->order);
}

/* The merged table: facts kept, marked dead when a newer file replaces them. */
struct table {
    struct fact *v;
    bool *dead;
    size_t n, cap;
};

static bool same_name(const struct fact *a, const struct fact *b)
{
    return slice_eq(a->name, b->name);
}

static bool is_type(const struct fact *f, slice t)
{
    return slice_eq(f->type, t);
}

/* conflicts: would an older fact `old` contradict a newer fact at the same name? */
static bool conflicts(const struct fact *old, const struct fact *nw)
{
    if (slice_eq(old->type, nw->type)) {
        return true; /* the same (name, type): replaced whole */
    }
    if (is_type(old, SLICE_LIT("*NX")) || is_type(nw, SLICE_LIT("*NX"))) {
        return true;
    }
    return is_type(old, SLICE_LIT("CNAME")) || is_type(nw, SLICE_LIT("CNAME"));
}

static int fact_cmp(const void *pa, const void *pb)
{
    const struct fact *a = pa, *b = pb;
    size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
    int c = memcmp(a->name.ptr, b->name.ptr, n);
    if (c == 0) {
        c = (a->name.len > b->name.len) - (a->name.len < b->name.len);
    }
    if (c == 0) {
        n = a->type.len < b->type.len ? a->type.len : b->type.len;
        c = memcmp(a->type.ptr, b->type.ptr, n);
        c = c ? c : (a->type.len > b->type.len) - (a->type.len < b->type.len);
    }
    return c;
}

static void apply_file(struct table *t, const struct mfile *mf, size_t fi,
                       const struct mfile *files, FILE *log, size_t *replaced)
{
    size_t before = t->n;
    for (size_t i = 0; i < mf->n_facts; i++) {
        const struct fact *nw = &mf->facts[i];
        for (size_t k = 0; k < before; k++) {
            if (!t->dead[k] && same_name(&t->v[k], nw) && conflicts(&t->v[k], nw)) {
                t->dead[k] = true;
                (*replaced)++;
                if (log && *replaced <= 20) {
                    fprintf(log, "dns-merge: %.*s %.*s from %s replaced by %s\n",
                            SLICE_FMT(t->v[k].name), SLICE_FMT(t->v[k].type),
                            files[t->v[k].file].path, mf->path);
                }
            }
        }
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 256;
            t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
            t->dead = xrealloc(t->dead, t->cap * sizeof(*t->dead));
        }
        t->v[t->n] = *nw;
        t->v[t->n].file = fi;
        t->dead[t->n++] = false;
    }
}

static bool write_out(const char *out_path, const struct sbuf *o, char *err, size_t n)
{
    size_t pl = (size_t)snprintf(NULL, 0, "%s.tmp", out_path) + 1;
    char *tmp = xmalloc(pl);
    snprintf(tmp, pl, "%s.tmp", out_path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL && fwrite(o->ptr, 1, o->len, f) == o->len && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    if (f != NULL && fclose(f) != 0) {
        ok = false;
    }
    if (!ok || rename(tmp, out_path) != 0) {
        snprintf(err, n, "cannot write %s: %s", out_path, strerror(errno));
        unlink(tmp);
        ok = false;
    }
    xfree(tmp);
    return ok;
}

bool dnsmerge_files(const char *const *paths, size_t n, const char *out_path, FILE *log,
                    char *err, size_t err_len)
{
    struct mfile *files = xcalloc(n ? n : 1, sizeof(*files));
    struct table t = { 0 };
    struct sbuf o;
    sbuf_init(&o, (size_t)1 << 32);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        files[i] = (struct mfile){ .path = paths[i], .when = INT64_MIN, .order = i };
        ok = load_file(&files[i], err, err_len);
    }
    if (ok) {
        qsort(files, n, sizeof(*files), file_age_cmp); /* oldest first */
        size_t replaced = 0;
        for (size_t i = 0; i < n; i++) {
            apply_file(&t, &files[i], i, files, log, &replaced);
        }
        size_t kept = 0;
        struct fact *live = xmalloc((t.n ? t.n : 1) * sizeof(*live));
        for (size_t k = 0; k < t.n; k++) {
            if (!t.dead[k]) {
                live[kept++] = t.v[k];
            }
        }
        qsort(live, kept, sizeof(*live), fact_cmp);
        int64_t newest = n ? files[n - 1].when : INT64_MIN;
        char when[32] = "unknown";
        if (newest != INT64_MIN) {
            date_format_rfc3339(newest, when);
        }
        ok = sbuf_printf(&o, "; authsweep dns-merge of %zu snapshots; the newest answer per "
                             "(name, type) is kept.\n" DNSREC_HEADER_TIME "%s\n",
                         n, when);
        for (size_t i = 0; ok && i < n; i++) {
            ok = sbuf_printf(&o, "; from: %s\n", files[i].path);
        }
        for (size_t k = 0; ok && k < kept; k++) {
            ok = sbuf_append_slice(&o, live[k].line) && sbuf_putc(&o, '\n');
        }
        xfree(live);
        if (log) {
            fprintf(log, "dns-merge: %zu facts kept, %zu replaced by newer snapshots\n", kept,
                    replaced);
        }
        if (!ok) {
            snprintf(err, err_len, "merged snapshot too large");
        }
    }
    if (ok) {
        /* Never write what the snapshot reader would refuse. */
        struct dns_resolver *r = snapshot_load_mem(sbuf_slice(&o), out_path, err, err_len);
        ok = r != NULL;
        dns_resolver_free(r);
    }
    if (ok) {
        ok = write_out(out_path, &o, err, err_len);
    }
    for (size_t i = 0; i < n; i++) {
        xfree(files[i].text);
        xfree(files[i].facts);
    }
    xfree(files);
    xfree(t.v);
    xfree(t.dead);
    sbuf_cleanup(&o);
    return ok;
}
