/* snapshot.c: the closed-world resolver over an RFC 1035 §5.1 master file.
 *
 * Loading: a lexer cuts the text into entries (one line, or several joined by parentheses,
 * RFC 1035 §5.1) of tokens; each entry is a $-control, a ";!" directive or a record. Names
 * are kept in wire form (RFC 1035 §3.1), lower-cased, and are the hash key of the nodes.
 * Every ancestor of an owner is marked as existing, which gives empty non-terminals their
 * NODATA answer (RFC 8020) and the closest encloser of RFC 4592.
 *
 * Lifetime: everything is heap memory owned by the resolver and freed by its free op. After
 * snapshot_load returns the tables are never written again, so lookups from any number of
 * threads only read them; the one shared counter is atomic (relaxed). An answer is one small
 * heap block (its qname differs per query) whose records point into the immutable tables. */
#include "dns/snapshot.h"

#include "engine/core/counter.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/limits.h"
#include "engine/core/sbuf.h"

#define SNAP_DEFAULT_TTL 3600u
#define SNAP_TTL_MAX 0x7fffffffu /* RFC 2181 §8 */
#define SNAP_OWNER_TEXT 1024u    /* 255 wire bytes, escaped as \DDD at worst */

enum snap_dir_kind { SNAP_D_NONE = 0, SNAP_D_TIMEOUT, SNAP_D_SERVFAIL, SNAP_D_NODATA };

struct snap_rrset {
    uint16_t type;
    size_t n, cap;
    struct dns_rr *rr;
};

struct snap_dir {
    uint16_t type;
    enum snap_dir_kind kind;
    uint32_t line;
};

struct snap_node {
    struct snap_node *next; /* hash chain */
    uint32_t hash;
    uint8_t wlen;
    uint8_t wire[LIM_DNS_NAME_BYTES];
    bool exists;            /* has records or a nodata line, or a descendant that does */
    bool nxdomain;          /* ";! nxdomain" */
    uint32_t nx_line;
    enum snap_dir_kind all; /* untyped timeout/servfail */
    uint32_t all_line;
    size_t n_sets, cap_sets;
    struct snap_rrset *sets;
    size_t n_dirs, cap_dirs;
    struct snap_dir *dirs;
};

struct snapshot {
    struct dns_resolver base; /* first: dns.h */
    struct snap_node **buckets;
    size_t n_buckets, n_nodes, n_records;
    uint32_t neg_ttl;
    struct counter n_lookups;
};

/* ---------------------------------------------------------------------------------------
 * Names in wire form */

static uint32_t snap_hash(const uint8_t *w, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ w[i]) * 16777619u;
    }
    return h;
}

/* snap_wire_parent returns the offset of the parent name in w, or 0 at the root. */
static size_t snap_wire_parent(const uint8_t *w)
{
    return w[0] == 0 ? 0 : (size_t)w[0] + 1;
}

/* snap_wire_text writes w as text (no trailing dot, "" for the root), escaping what the
 * plain form cannot hold (RFC 1035 §5.1 \DDD). buf holds SNAP_OWNER_TEXT bytes. */
static size_t snap_wire_text(const uint8_t *w, char *buf)
{
    size_t len = 0;
    for (size_t off = 0; w[off] != 0; off += (size_t)w[off] + 1) {
        if (off > 0) {
            buf[len++] = '.';
        }
        for (size_t i = 1; i <= w[off]; i++) {
            uint8_t c = w[off + i];
            if (c == '.' || c == '\\') {
                buf[len++] = '\\';
                buf[len++] = (char)c;
            } else if (c < 33 || c > 126) {
                len += (size_t)snprintf(buf + len, 5, "\\%03u", (unsigned)c);
            } else {
                buf[len++] = (char)c;
            }
        }
    }
    buf[len] = '\0';
    return len;
}

/* snap_text_wire turns a canonical text name (dns_name_canon output) into wire form. */
static size_t snap_text_wire(const char *t, size_t n, uint8_t *w)
{
    size_t out = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || t[i] == '.') {
            if (i > start) {
                w[out++] = (uint8_t)(i - start);
                memcpy(w + out, t + start, i - start);
                out += i - start;
            }
            start = i + 1;
        }
    }
    w[out++] = 0;
    return out;
}

/* ---------------------------------------------------------------------------------------
 * The node table */

static struct snap_node *snap_find(const struct snapshot *s, const uint8_t *w, size_t n)
{
    uint32_t h = snap_hash(w, n);
    for (struct snap_node *x = s->buckets[h & (s->n_buckets - 1)]; x; x = x->next) {
        if (x->hash == h && x->wlen == n && memcmp(x->wire, w, n) == 0) {
            return x;
        }
    }
    return NULL;
}

static void snap_grow(struct snapshot *s)
{
    size_t nb = s->n_buckets * 2;
    struct snap_node **b = xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < s->n_buckets; i++) {
        struct snap_node *x = s->buckets[i], *next;
        for (; x; x = next) {
            next = x->next;
            x->next = b[x->hash & (nb - 1)];
            b[x->hash & (nb - 1)] = x;
        }
    }
    xfree(s->buckets);
    s->buckets = b;
    s->n_buckets = nb;
}

static struct snap_node *snap_get(struct snapshot *s, const uint8_t *w, size_t n)
{
    struct snap_node *x = snap_find(s, w, n);
    if (x) {
        return x;
    }
    if (s->n_nodes + 1 > s->n_buckets) {
        snap_grow(s);
    }
    x = xcalloc(1, sizeof(*x));
    x->hash = snap_hash(w, n);
    x->wlen = (uint8_t)n;
    memcpy(x->wire, w, n);
    x->next = s->buckets[x->hash & (s->n_buckets - 1)];
    s->buckets[x->hash & (s->n_buckets - 1)] = x;
    s->n_nodes++;
    return x;
}

/* snap_mark_exists makes the name and all its ancestors exist (RFC 4592 §2.2.2: empty
 * non-terminals exist). */
static struct snap_node *snap_mark_exists(struct snapshot *s, const uint8_t *w, size_t n)
{
    struct snap_node *first = NULL;
    for (size_t off = 0;; off += snap_wire_parent(w + off)) {
        struct snap_node *x = snap_get(s, w + off, n - off);
        first = first ? first : x;
        if (x->exists && off > 0) {
            break; /* its ancestors are marked already */
        }
        x->exists = true;
        if (w[off] == 0) {
            break;
        }
    }
    return first;
}

static const struct snap_rrset *snap_set(const struct snap_node *x, uint16_t type)
{
    for (size_t i = 0; i < x->n_sets; i++) {
        if (x->sets[i].type == type) {
            return &x->sets[i];
        }
    }
    return NULL;
}

static const struct snap_dir *snap_dir(const struct snap_node *x, uint16_t type)
{
    for (size_t i = 0; i < x->n_dirs; i++) {
        if (x->dirs[i].type == type) {
            return &x->dirs[i];
        }
    }
    return NULL;
}

/* snap_add_rr adds one record; NULL or a message saying why it cannot be added. */
static const char *snap_add_rr(struct snapshot *s, struct snap_node *x, uint16_t type,
                               uint32_t ttl, slice rdata)
{
    /* RFC 2181 §10.1: a CNAME owner has no other data, and only one CNAME. */
    const struct snap_rrset *cn = snap_set(x, DNS_T_CNAME);
    if (type == DNS_T_CNAME && cn) {
        return "a second CNAME at the same name";
    }
    if ((type == DNS_T_CNAME && x->n_sets > 0) || (type != DNS_T_CNAME && cn)) {
        return "CNAME and other data at the same name";
    }
    struct snap_rrset *set = (struct snap_rrset *)snap_set(x, type);
    if (set == NULL) {
        if (x->n_sets == x->cap_sets) {
            x->cap_sets = x->cap_sets ? x->cap_sets * 2 : 2;
            x->sets = xrealloc(x->sets, x->cap_sets * sizeof(*x->sets));
        }
        set = &x->sets[x->n_sets++];
        *set = (struct snap_rrset){ .type = type };
    }
    for (size_t i = 0; i < set->n; i++) { /* RFC 2181 §5: an RRset has no duplicates */
        if (set->rr[i].rdlen == rdata.len && memcmp(set->rr[i].rdata, rdata.ptr, rdata.len) == 0) {
            set->rr[i].ttl = ttl < set->rr[i].ttl ? ttl : set->rr[i].ttl;
            return NULL;
        }
    }
    if (set->n >= LIM_DNS_RRS_PER_ANSWER) {
        return "too many records of one type at one name (limit LIM_DNS_RRS_PER_ANSWER)";
    }
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 2;
        set->rr = xrealloc(set->rr, set->cap * sizeof(*set->rr));
    }
    uint8_t *copy = xmalloc(rdata.len ? rdata.len : 1);
    if (rdata.len) {
        memcpy(copy, rdata.ptr, rdata.len);
    }
    set->rr[set->n++] = (struct dns_rr){ type, (uint16_t)rdata.len, ttl, copy };
    s->n_records++;
    return NULL;
}

static void snap_node_free(struct snap_node *x)
{
    for (size_t i = 0; i < x->n_sets; i++) {
        for (size_t j = 0; j < x->sets[i].n; j++) {
            xfree((void *)x->sets[i].rr[j].rdata);
        }
        xfree(x->sets[i].rr);
    }
    xfree(x->sets);
    xfree(x->dirs);
    xfree(x);
}

/* ---------------------------------------------------------------------------------------
 * Lookup */

struct snap_result {
    enum dns_status status;
    const struct snap_rrset *set;
    uint8_t owner[LIM_DNS_NAME_BYTES];
    size_t owner_len;
    uint32_t n_cname;
};

/* snap_directive gives the status a ";!" line forces for (x, type), or DNS_OK for none. */
static enum dns_status snap_directive(const struct snap_node *x, uint16_t type)
{
    if (x->nxdomain) {
        return DNS_NXDOMAIN;
    }
    const struct snap_dir *d = snap_dir(x, type);
    enum snap_dir_kind k = d ? d->kind : SNAP_D_NONE;
    if (k == SNAP_D_NONE && snap_set(x, type) == NULL) {
        k = x->all; /* snapshot.h: only types with neither records nor a nodata line */
    }
    switch (k) {
    case SNAP_D_TIMEOUT:
        return DNS_TIMEOUT;
    case SNAP_D_SERVFAIL:
        return DNS_SERVFAIL;
    case SNAP_D_NODATA:
        return DNS_NODATA;
    case SNAP_D_NONE:
        break;
    }
    return DNS_OK;
}

/* snap_wildcard finds the source of synthesis for a name that does not exist (RFC 4592
 * §3.3.1): "*" under the closest encloser, the nearest existing ancestor. */
static const struct snap_node *snap_wildcard(const struct snapshot *s, const uint8_t *w,
                                             size_t n)
{
    uint8_t star[LIM_DNS_NAME_BYTES + 2];
    for (size_t off = snap_wire_parent(w); off < n && w[0] != 0;
         off += snap_wire_parent(w + off)) {
        const struct snap_node *ce = snap_find(s, w + off, n - off);
        if (ce && ce->exists) {
            if (n - off + 2 > LIM_DNS_NAME_BYTES) {
                return NULL;
            }
            star[0] = 1;
            star[1] = '*';
            memcpy(star + 2, w + off, n - off);
            const struct snap_node *src = snap_find(s, star, n - off + 2);
            return src && src->exists ? src : NULL;
        }
        if (w[off] == 0) {
            break;
        }
    }
    return NULL;
}

static void snap_resolve(const struct snapshot *s, const uint8_t *w, size_t n, uint16_t qtype,
                         struct snap_result *res)
{
    *res = (struct snap_result){ .status = DNS_NXDOMAIN };
    memcpy(res->owner, w, n);
    res->owner_len = n;
    for (;;) {
        const struct snap_node *x = snap_find(s, res->owner, res->owner_len);
        enum dns_status st = x ? snap_directive(x, qtype) : DNS_OK;
        if (st != DNS_OK) {
            res->status = st;
            return;
        }
        if (x == NULL || !x->exists) {
            x = snap_wildcard(s, res->owner, res->owner_len);
            st = x ? snap_directive(x, qtype) : DNS_NXDOMAIN;
            if (st != DNS_OK) {
                res->status = st;
                return;
            }
        }
        res->set = snap_set(x, qtype);
        const struct snap_rrset *cn = snap_set(x, DNS_T_CNAME);
        if (res->set || cn == NULL) {
            res->status = res->set ? DNS_OK : DNS_NODATA;
            return;
        }
        /* RFC 1034 §3.6.2: restart at the canonical name; bounded, so loops end too. */
        if (++res->n_cname > LIM_DNS_CNAME_CHAIN) {
            res->status = DNS_SERVFAIL;
            return;
        }
        res->owner_len = cn->rr[0].rdlen;
        memcpy(res->owner, cn->rr[0].rdata, res->owner_len);
    }
}

static enum dns_status snap_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                   const struct dns_answer **out)
{
    struct snapshot *s = (struct snapshot *)r;
    char qtext[256];
    size_t qlen;
    uint8_t w[LIM_DNS_NAME_BYTES + 1];
    if (!dns_name_canon(name, qtext, &qlen)) {
        return DNS_BADNAME;
    }
    counter_add(&s->n_lookups, 1);
    size_t wlen = snap_text_wire(qtext, qlen, w);
    struct snap_result res;
    snap_resolve(s, w, wlen, qtype, &res);

    struct dns_answer *a = xmalloc(sizeof(*a) + 256 + SNAP_OWNER_TEXT);
    char *qcopy = (char *)(a + 1), *otext = qcopy + 256;
    memcpy(qcopy, qtext, qlen + 1);
    size_t olen = snap_wire_text(res.owner, otext);
    *a = (struct dns_answer){
        .status = res.status,
        .qtype = qtype,
        .qname = slice_make(qcopy, qlen),
        .owner = slice_make(otext, olen),
        .n_cname = res.n_cname,
    };
    if (res.status == DNS_OK) {
        a->n_rr = res.set->n;
        a->rr = res.set->rr;
        a->ttl = UINT32_MAX;
        for (size_t i = 0; i < res.set->n; i++) {
            a->ttl = res.set->rr[i].ttl < a->ttl ? res.set->rr[i].ttl : a->ttl;
        }
    } else if (res.status == DNS_NODATA || res.status == DNS_NXDOMAIN) {
        a->ttl = s->neg_ttl; /* RFC 2308 §5 */
    }
    *out = a;
    return res.status;
}

static void snap_release(struct dns_resolver *r, const struct dns_answer *a)
{
    (void)r;
    xfree((void *)a);
}

static void snap_free(struct dns_resolver *r)
{
    struct snapshot *s = (struct snapshot *)r;
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_buckets; i++) {
        struct snap_node *x = s->buckets[i], *next;
        for (; x; x = next) {
            next = x->next;
            snap_node_free(x);
        }
    }
    xfree(s->buckets);
    xfree(s);
}

static const struct dns_resolver_ops snap_ops = {
    .name = "snapshot",
    .lookup = snap_lookup,
    .release = snap_release,
    .free = snap_free,
    .immutable = true,
};

void snapshot_stats(const struct dns_resolver *r, size_t *out_records, size_t *out_lookups)
{
    const struct snapshot *s = (const struct snapshot *)r;
    *out_records = s->n_records;
    *out_lookups = (size_t)counter_get(&s->n_lookups);
}

/* ---------------------------------------------------------------------------------------
 * Lexer: RFC 1035 §5.1 entries */

struct snap_tok {
    slice raw; /* with escapes; without the quotes */
    bool quoted;
    uint32_t line;
};

struct snap_entry {
    struct snap_tok *v;
    size_t n, cap;
    bool blank_owner; /* the entry's first line starts with white space */
    bool directive;   /* ";!": raw of v[0] is the rest of the line */
    uint32_t line;
};

struct snap_loader {
    struct snapshot *s;
    const char *fname;
    char *err;
    size_t err_len;
    slice in;
    size_t pos;
    uint32_t line;
    uint8_t origin[LIM_DNS_NAME_BYTES];
    size_t origin_len; /* 0: no $ORIGIN */
    uint8_t prev[LIM_DNS_NAME_BYTES];
    size_t prev_len; /* 0: no previous owner */
    uint32_t default_ttl;
    bool have_soa;
    uint32_t soa_min;
    struct sbuf rd;
};

__attribute__((format(printf, 3, 4))) static bool ld_fail(struct snap_loader *ld, uint32_t line,
                                                          const char *fmt, ...)
{
    if (ld->err == NULL || ld->err_len == 0) {
        return false;
    }
    int n = snprintf(ld->err, ld->err_len, "%s:%u: ", ld->fname, (unsigned)line);
    if (n >= 0 && (size_t)n < ld->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->err + n, ld->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Token text in messages: at most 40 bytes. */
#define TOK_FMT(t) (int)((t).raw.len > 40 ? 40 : (t).raw.len), (const char *)(t).raw.ptr

static void ld_push(struct snap_entry *e, slice raw, bool quoted, uint32_t line)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
    }
    e->v[e->n++] = (struct snap_tok){ raw, quoted, line };
}

static bool lx_is_delim(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == ')' ||
           c == ';' || c == '"';
}

/* lx_word scans an unquoted word or (quoted) a string body starting at ld->pos. */
static bool lx_word(struct snap_loader *ld, struct snap_entry *e, bool quoted)
{
    size_t start = ld->pos;
    const uint8_t *p = ld->in.ptr;
    while (ld->pos < ld->in.len) {
        uint8_t c = p[ld->pos];
        if (c == '\\') {
            if (ld->pos + 1 >= ld->in.len || p[ld->pos + 1] == '\n') {
                return ld_fail(ld, ld->line, "escape at end of line");
            }
            ld->pos += 2;
            continue;
        }
        if (quoted ? (c == '"' || c == '\n') : lx_is_delim(c)) {
            break;
        }
        ld->pos++;
    }
    if (quoted && (ld->pos >= ld->in.len || p[ld->pos] != '"')) {
        return ld_fail(ld, ld->line, "unterminated quoted string");
    }
    ld_push(e, slice_make(p + start, ld->pos - start), quoted, ld->line);
    ld->pos += quoted ? 1 : 0;
    return true;
}

/* lx_directive takes a ";!" line whole. */
static void lx_directive(struct snap_loader *ld, struct snap_entry *e)
{
    size_t start = ld->pos + 2, end = start;
    while (end < ld->in.len && ld->in.ptr[end] != '\n') {
        end++;
    }
    e->directive = true;
    ld_push(e, slice_make(ld->in.ptr + start, end - start), false, ld->line);
    ld->pos = end;
}

/* lx_entry reads the next entry into e; false on a syntax error, or with e->n == 0 at end. */
static bool lx_entry(struct snap_loader *ld, struct snap_entry *e)
{
    unsigned depth = 0;
    uint32_t open_line = 0;
    size_t start = ld->pos;
    bool line_start = true;
    e->n = 0;
    e->directive = false;
    e->blank_owner = false;
    e->line = ld->line;
    while (ld->pos < ld->in.len) {
        uint8_t c = ld->in.ptr[ld->pos];
        if (ld->pos - start > LIM_ZONE_LINE_BYTES) {
            return ld_fail(ld, e->line, "entry longer than %u bytes", LIM_ZONE_LINE_BYTES);
        }
        if (line_start && e->n == 0 && depth == 0) {
            e->blank_owner = (c == ' ' || c == '\t');
            e->line = ld->line;
            start = ld->pos;
        }
        line_start = false;
        if (c == '\n') {
            ld->line++;
            ld->pos++;
            line_start = true;
            if (depth == 0 && e->n > 0) {
                return true;
            }
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ld->pos++;
        } else if (c == ';') {
            if (e->n == 0 && depth == 0 && ld->pos + 1 < ld->in.len &&
                ld->in.ptr[ld->pos + 1] == '!') {
                lx_directive(ld, e);
                return true;
            }
            while (ld->pos < ld->in.len && ld->in.ptr[ld->pos] != '\n') {
                ld->pos++;
            }
        } else if (c == '(') {
            open_line = depth++ == 0 ? ld->line : open_line;
            ld->pos++;
        } else if (c == ')') {
            if (depth == 0) {
                return ld_fail(ld, ld->line, "')' without '('");
            }
            depth--;
            ld->pos++;
        } else if (c == '"') {
            ld->pos++;
            if (!lx_word(ld, e, true)) {
                return false;
            }
        } else if (!lx_word(ld, e, false)) {
            return false;
        }
    }
    if (depth > 0) {
        return ld_fail(ld, open_line, "'(' without ')'");
    }
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Fields */

/* ld_unescape decodes one byte of RFC 1035 §5.1 text at raw[*i] (\X, \DDD or a plain byte). */
static bool ld_unescape(slice raw, size_t *i, uint8_t *out)
{
    uint8_t c = raw.ptr[*i];
    if (c != '\\') {
        *out = c;
        *i += 1;
        return true;
    }
    if (*i + 1 >= raw.len) {
        return false;
    }
    if (!slice_is(raw.ptr[*i + 1], CC_DIGIT)) {
        *out = raw.ptr[*i + 1];
        *i += 2;
        return true;
    }
    uint64_t v;
    if (*i + 4 > raw.len || !slice_u64_all(slice_sub(raw, *i + 1, 3), &v) || v > 255) {
        return false;
    }
    *out = (uint8_t)v;
    *i += 4;
    return true;
}

/* ld_name parses a domain name token (RFC 1035 §5.1: "@", relative, absolute, escapes) into
 * lower-case wire form. relative_ok=false takes a name without the final dot as absolute. */
static bool ld_name(struct snap_loader *ld, const struct snap_tok *t, bool use_origin,
                    uint8_t *w, size_t *out_len)
{
    slice r = t->raw;
    size_t n = 0, label_at = 0, i = 0;
    bool absolute = false;
    if (t->quoted) {
        return ld_fail(ld, t->line, "a name cannot be quoted: \"%.*s\"", TOK_FMT(*t));
    }
    if (use_origin && r.len == 1 && r.ptr[0] == '@') {
        if (ld->origin_len == 0) {
            return ld_fail(ld, t->line, "'@' without $ORIGIN");
        }
        memcpy(w, ld->origin, ld->origin_len);
        *out_len = ld->origin_len;
        return true;
    }
    if (r.len == 1 && r.ptr[0] == '.') {
        w[0] = 0;
        *out_len = 1;
        return true;
    }
    w[0] = 0;
    while (i < r.len) {
        uint8_t c;
        bool plain_dot = r.ptr[i] == '.';
        if (!ld_unescape(r, &i, &c)) {
            return ld_fail(ld, t->line, "bad escape in name '%.*s'", TOK_FMT(*t));
        }
        if (plain_dot) {
            if (w[label_at] == 0) {
                return ld_fail(ld, t->line, "empty label in name '%.*s'", TOK_FMT(*t));
            }
            absolute = i == r.len;
            label_at = n = label_at + 1 + w[label_at];
            w[n] = 0;
            continue;
        }
        if (n == label_at) {
            w[n++] = 0; /* open a label */
        }
        if (w[label_at] == LIM_DNS_LABEL_BYTES || n + 2 > LIM_DNS_NAME_BYTES) {
            return ld_fail(ld, t->line, "label or name too long in '%.*s'", TOK_FMT(*t));
        }
        w[n++] = slice_lower(c);
        w[label_at]++;
    }
    if (!absolute && use_origin) {
        if (ld->origin_len == 0) {
            return ld_fail(ld, t->line, "relative name '%.*s' without $ORIGIN", TOK_FMT(*t));
        }
        if (n + ld->origin_len > LIM_DNS_NAME_BYTES) {
            return ld_fail(ld, t->line, "name too long: '%.*s'", TOK_FMT(*t));
        }
        memcpy(w + n, ld->origin, ld->origin_len);
        *out_len = n + ld->origin_len;
        return true;
    }
    w[n] = 0;
    *out_len = n + 1;
    return true;
}

/* ld_ttl parses a TTL: decimal seconds, or BIND units ("1h30m", "2W"). */
static bool ld_ttl(slice s, uint32_t *out)
{
    uint64_t total = 0, v;
    if (s.len == 0) {
        return false;
    }
    if (slice_u64_all(s, &v)) {
        *out = (uint32_t)v;
        return v <= SNAP_TTL_MAX;
    }
    while (s.len > 0) {
        if (!slice_u64_dec(&s, &v) || s.len == 0 || v > SNAP_TTL_MAX) {
            return false;
        }
        static const uint8_t units[] = { 's', 'm', 'h', 'd', 'w' };
        static const uint32_t secs[] = { 1, 60, 3600, 86400, 604800 };
        size_t u = 0;
        while (u < sizeof(units) && slice_lower(s.ptr[0]) != units[u]) {
            u++;
        }
        if (u == sizeof(units)) {
            return false;
        }
        total += v * secs[u];
        if (total > SNAP_TTL_MAX) {
            return false;
        }
        (void)slice_skip(&s, 1);
    }
    *out = (uint32_t)total;
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Rdata (RFC 1035 §3.3, RFC 3596, RFC 3597) */

struct snap_rd {
    struct snap_loader *ld;
    const struct snap_tok *t; /* rdata tokens */
    size_t n, i;
    uint32_t line;
};

static const struct snap_tok *rd_next(struct snap_rd *rd, const char *what)
{
    if (rd->i >= rd->n) {
        ld_fail(rd->ld, rd->line, "missing %s", what);
        return NULL;
    }
    return &rd->t[rd->i++];
}

static bool rd_put(struct snap_rd *rd, const void *p, size_t n)
{
    if (!sbuf_append(&rd->ld->rd, p, n)) {
        return ld_fail(rd->ld, rd->line, "rdata longer than %u bytes", LIM_DNS_TXT_BYTES);
    }
    return true;
}

static bool rd_u16(struct snap_rd *rd, const char *what)
{
    const struct snap_tok *t = rd_next(rd, what);
    uint64_t v;
    if (t == NULL) {
        return false;
    }
    if (t->quoted || !slice_u64_all(t->raw, &v) || v > UINT16_MAX) {
        return ld_fail(rd->ld, t->line, "bad %s '%.*s'", what, TOK_FMT(*t));
    }
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    return rd_put(rd, b, 2);
}

static bool rd_u32(struct snap_rd *rd, const char *what, bool ttl_units, uint32_t *out)
{
    const struct snap_tok *t = rd_next(rd, what);
    uint64_t v = 0;
    uint32_t u = 0;
    if (t == NULL) {
        return false;
    }
    bool ok = !t->quoted && (ttl_units ? ld_ttl(t->raw, &u)
                                       : slice_u64_all(t->raw, &v) && v <= UINT32_MAX);
    if (!ok) {
        return ld_fail(rd->ld, t->line, "bad %s '%.*s'", what, TOK_FMT(*t));
    }
    u = ttl_units ? u : (uint32_t)v;
    uint8_t b[4] = { (uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u };
    *out = u;
    return rd_put(rd, b, 4);
}

static bool rd_name(struct snap_rd *rd, const char *what)
{
    const struct snap_tok *t = rd_next(rd, what);
    uint8_t w[LIM_DNS_NAME_BYTES];
    size_t n;
    return t && ld_name(rd->ld, t, true, w, &n) && rd_put(rd, w, n);
}

static bool ip4_parse(slice s, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        uint64_t v;
        slice start = s;
        if (!slice_u64_dec(&s, &v) || v > 255 || start.len - s.len > 3) {
            return false;
        }
        out[i] = (uint8_t)v;
        if (i < 3 && !(s.len > 0 && s.ptr[0] == '.' && slice_skip(&s, 1))) {
            return false;
        }
    }
    return s.len == 0;
}

static bool ip6_group(slice *s, uint16_t *out)
{
    size_t i = 0;
    unsigned v = 0;
    while (i < s->len && i < 5 && slice_is(s->ptr[i], CC_HEX)) {
        uint8_t c = slice_lower(s->ptr[i]);
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        i++;
    }
    if (i == 0 || i > 4) {
        return false;
    }
    *out = (uint16_t)v;
    return slice_skip(s, i);
}

/* ip6_parse: RFC 4291 §2.2, all three forms: full, "::" compressed, and a trailing IPv4. */
static bool ip6_parse(slice s, uint8_t out[16])
{
    uint16_t g[8];
    size_t n = 0, gap = SIZE_MAX;
    if (slice_has_prefix(s, SLICE_LIT("::"))) {
        gap = 0;
        (void)slice_skip(&s, 2);
    }
    while (s.len > 0) {
        ptrdiff_t colon = slice_find(s, ':');
        slice group = colon < 0 ? s : slice_sub(s, 0, (size_t)colon);
        if (colon < 0 && slice_contains_byte(group, '.')) {
            uint8_t v4[4];
            if (n > 6 || !ip4_parse(group, v4)) {
                return false;
            }
            g[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
            g[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
            break;
        }
        if (n == 8 || !ip6_group(&s, &g[n])) {
            return false;
        }
        n++;
        if (s.len == 0) {
            break;
        }
        if (s.ptr[0] != ':') {
            return false;
        }
        (void)slice_skip(&s, 1);
        if (s.len > 0 && s.ptr[0] == ':') {
            if (gap != SIZE_MAX) {
                return false; /* a second "::" */
            }
            gap = n;
            (void)slice_skip(&s, 1);
        } else if (s.len == 0) {
            return false; /* trailing single ':' */
        }
    }
    if (gap == SIZE_MAX ? n != 8 : n > 7) {
        return false;
    }
    memset(out, 0, 16);
    size_t tail = gap == SIZE_MAX ? 0 : n - gap;
    for (size_t i = 0; i < n; i++) {
        size_t at = (gap != SIZE_MAX && i >= gap) ? 8 - tail + (i - gap) : i;
        out[2 * at] = (uint8_t)(g[i] >> 8);
        out[2 * at + 1] = (uint8_t)g[i];
    }
    return true;
}

static bool rd_a(struct snap_rd *rd)
{
    const struct snap_tok *t = rd_next(rd, "IPv4 address");
    uint8_t a[4];
    if (t == NULL) {
        return false;
    }
    if (t->quoted || !ip4_parse(t->raw, a)) {
        return ld_fail(rd->ld, t->line, "bad IPv4 address '%.*s'", TOK_FMT(*t));
    }
    return rd_put(rd, a, 4);
}

static bool rd_aaaa(struct snap_rd *rd)
{
    const struct snap_tok *t = rd_next(rd, "IPv6 address");
    uint8_t a[16];
    if (t == NULL) {
        return false;
    }
    if (t->quoted || !ip6_parse(t->raw, a)) {
        return ld_fail(rd->ld, t->line, "bad IPv6 address '%.*s'", TOK_FMT(*t));
    }
    return rd_put(rd, a, 16);
}

static bool rd_mx(struct snap_rd *rd)
{
    return rd_u16(rd, "MX preference") && rd_name(rd, "MX exchange");
}

static bool rd_dname(struct snap_rd *rd)
{
    return rd_name(rd, "target name");
}

static bool rd_soa(struct snap_rd *rd)
{
    /* RFC 1035 §3.3.13: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM. */
    uint32_t v = 0;
    if (!rd_name(rd, "SOA MNAME") || !rd_name(rd, "SOA RNAME") ||
        !rd_u32(rd, "SOA serial", false, &v) || !rd_u32(rd, "SOA refresh", true, &v) ||
        !rd_u32(rd, "SOA retry", true, &v) || !rd_u32(rd, "SOA expire", true, &v) ||
        !rd_u32(rd, "SOA minimum", true, &v)) {
        return false;
    }
    if (!rd->ld->have_soa) {
        rd->ld->have_soa = true;
        rd->ld->soa_min = v;
    }
    return true;
}

static bool rd_txt(struct snap_rd *rd)
{
    /* RFC 1035 §3.3.14: one or more <character-string>s, each at most 255 bytes. A longer
     * string is an error: splitting or cutting it would change what a check sees. */
    if (rd->i >= rd->n) {
        return ld_fail(rd->ld, rd->line, "TXT record without a string");
    }
    for (; rd->i < rd->n; rd->i++) {
        const struct snap_tok *t = &rd->t[rd->i];
        uint8_t buf[256];
        size_t len = 0, j = 0;
        while (j < t->raw.len) {
            if (len == 255) {
                return ld_fail(rd->ld, t->line,
                               "TXT character-string longer than 255 bytes (split it into "
                               "several \"...\" strings)");
            }
            if (!ld_unescape(t->raw, &j, &buf[1 + len])) {
                return ld_fail(rd->ld, t->line, "bad escape in string '%.*s'", TOK_FMT(*t));
            }
            len++;
        }
        buf[0] = (uint8_t)len;
        if (!rd_put(rd, buf, len + 1)) {
            return false;
        }
    }
    return true;
}

static bool hex_val(uint8_t c, uint8_t *out)
{
    if (!slice_is(c, CC_HEX)) {
        return false;
    }
    c = slice_lower(c);
    *out = (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    return true;
}

/* rd_generic reads RFC 3597 §5 "\# length hex..." after the "\#" token. */
static bool rd_generic(struct snap_rd *rd)
{
    const struct snap_tok *t = rd_next(rd, "\\# length");
    uint64_t len;
    if (t == NULL) {
        return false;
    }
    if (t->quoted || !slice_u64_all(t->raw, &len) || len > LIM_DNS_TXT_BYTES) {
        return ld_fail(rd->ld, t->line, "bad \\# length '%.*s'", TOK_FMT(*t));
    }
    uint8_t byte = 0, nib;
    size_t nibbles = 0;
    for (; rd->i < rd->n; rd->i++) {
        t = &rd->t[rd->i];
        for (size_t j = 0; j < t->raw.len; j++) {
            if (t->quoted || !hex_val(t->raw.ptr[j], &nib)) {
                return ld_fail(rd->ld, t->line, "bad hex in \\# rdata '%.*s'", TOK_FMT(*t));
            }
            byte = (uint8_t)(byte << 4 | nib);
            if (++nibbles % 2 == 0 && !rd_put(rd, &byte, 1)) {
                return false;
            }
        }
    }
    if (nibbles != 2 * len) {
        return ld_fail(rd->ld, rd->line, "\\# rdata has %zu hex digits, length %u says %u",
                       nibbles, (unsigned)len, (unsigned)(2 * len));
    }
    return true;
}

/* wire_name_ok checks an uncompressed wire name at s[*off], lower-casing it in place. */
static bool wire_name_ok(uint8_t *s, size_t len, size_t *off)
{
    size_t start = *off;
    for (;;) {
        if (*off >= len || s[*off] > LIM_DNS_LABEL_BYTES || *off + 1 + s[*off] > len) {
            return false;
        }
        size_t n = s[*off];
        for (size_t i = 1; i <= n; i++) {
            s[*off + i] = slice_lower(s[*off + i]);
        }
        *off += n + 1;
        if (*off - start > LIM_DNS_NAME_BYTES) {
            return false;
        }
        if (n == 0) {
            return true;
        }
    }
}

/* rd_generic_check: \# rdata of a type we know must still be well formed. */
static bool rd_generic_check(struct snap_rd *rd, uint16_t type)
{
    uint8_t *p = rd->ld->rd.ptr;
    size_t len = rd->ld->rd.len, off = 0;
    bool ok = true;
    switch (type) {
    case DNS_T_A:
        ok = len == 4;
        break;
    case DNS_T_AAAA:
        ok = len == 16;
        break;
    case DNS_T_CNAME:
    case DNS_T_NS:
    case DNS_T_PTR:
        ok = wire_name_ok(p, len, &off) && off == len;
        break;
    case DNS_T_MX:
        off = 2;
        ok = wire_name_ok(p, len, &off) && off == len;
        break;
    case DNS_T_SOA:
        ok = wire_name_ok(p, len, &off) && wire_name_ok(p, len, &off) && off + 20 == len;
        break;
    case DNS_T_TXT:
    case DNS_T_SPF:
        ok = len > 0;
        while (ok && off < len) {
            off += (size_t)p[off] + 1;
        }
        ok = ok && off == len;
        break;
    default:
        break;
    }
    return ok ? true : ld_fail(rd->ld, rd->line, "\\# rdata malformed for its type");
}

struct snap_rd_spec {
    uint16_t type;
    bool (*parse)(struct snap_rd *rd);
};

static const struct snap_rd_spec snap_rd_specs[] = {
    { DNS_T_A, rd_a },       { DNS_T_AAAA, rd_aaaa }, { DNS_T_MX, rd_mx },
    { DNS_T_CNAME, rd_dname }, { DNS_T_PTR, rd_dname }, { DNS_T_NS, rd_dname },
    { DNS_T_SOA, rd_soa },   { DNS_T_TXT, rd_txt },   { DNS_T_SPF, rd_txt },
};

static bool ld_rdata(struct snap_rd *rd, uint16_t type)
{
    sbuf_reset(&rd->ld->rd);
    if (rd->n > 0 && !rd->t[0].quoted && slice_eq(rd->t[0].raw, SLICE_LIT("\\#"))) {
        rd->i = 1;
        if (!rd_generic(rd) || !rd_generic_check(rd, type)) {
            return false;
        }
        if (type == DNS_T_SOA && !rd->ld->have_soa) {
            size_t m = rd->ld->rd.len - 4;
            const uint8_t *p = rd->ld->rd.ptr;
            rd->ld->have_soa = true;
            rd->ld->soa_min = (uint32_t)p[m] << 24 | (uint32_t)p[m + 1] << 16 |
                              (uint32_t)p[m + 2] << 8 | p[m + 3];
        }
        return true;
    }
    for (size_t k = 0; k < sizeof(snap_rd_specs) / sizeof(snap_rd_specs[0]); k++) {
        if (snap_rd_specs[k].type == type) {
            if (!snap_rd_specs[k].parse(rd)) {
                return false;
            }
            if (rd->i < rd->n) {
                return ld_fail(rd->ld, rd->t[rd->i].line, "unexpected rdata '%.*s'",
                               TOK_FMT(rd->t[rd->i]));
            }
            return true;
        }
    }
    char tn[16];
    return ld_fail(rd->ld, rd->line, "rdata of type %s must be given in RFC 3597 \\# form",
                   dns_type_name(type, tn));
}

/* ---------------------------------------------------------------------------------------
 * Entries */

static bool ld_control(struct snap_loader *ld, const struct snap_entry *e)
{
    const struct snap_tok *t = &e->v[0];
    if (slice_eq_ci(t->raw, SLICE_LIT("$ORIGIN")) && e->n == 2) {
        uint8_t w[LIM_DNS_NAME_BYTES]; /* relative to the old origin: not in place */
        size_t n = 0;
        if (!ld_name(ld, &e->v[1], true, w, &n)) {
            return false;
        }
        memcpy(ld->origin, w, n);
        ld->origin_len = n;
        return true;
    }
    if (slice_eq_ci(t->raw, SLICE_LIT("$TTL")) && e->n == 2) {
        if (e->v[1].quoted || !ld_ttl(e->v[1].raw, &ld->default_ttl)) {
            return ld_fail(ld, e->v[1].line, "bad $TTL '%.*s'", TOK_FMT(e->v[1]));
        }
        return true;
    }
    if (slice_eq_ci(t->raw, SLICE_LIT("$INCLUDE"))) {
        return ld_fail(ld, t->line, "$INCLUDE is not supported (the snapshot is one file)");
    }
    return ld_fail(ld, t->line, "bad control entry '%.*s'", TOK_FMT(*t));
}

static bool ld_record(struct snap_loader *ld, const struct snap_entry *e)
{
    uint8_t owner[LIM_DNS_NAME_BYTES];
    size_t olen = 0, i = 0;
    if (e->blank_owner) {
        if (ld->prev_len == 0) {
            return ld_fail(ld, e->line, "no previous owner name");
        }
        memcpy(owner, ld->prev, ld->prev_len);
        olen = ld->prev_len;
    } else if (!ld_name(ld, &e->v[i++], true, owner, &olen)) {
        return false;
    }
    /* RFC 1035 §5.1: [<TTL>] [<class>] or [<class>] [<TTL>], both optional. */
    uint32_t ttl = ld->default_ttl;
    bool have_ttl = false, have_class = false;
    for (; i < e->n && !e->v[i].quoted; i++) {
        const struct snap_tok *t = &e->v[i];
        if (!have_ttl && slice_is(t->raw.ptr[0], CC_DIGIT)) {
            if (!ld_ttl(t->raw, &ttl)) {
                return ld_fail(ld, t->line, "bad TTL '%.*s'", TOK_FMT(*t));
            }
            have_ttl = true;
        } else if (!have_class && slice_eq_ci(t->raw, SLICE_LIT("IN"))) {
            have_class = true;
        } else if (slice_eq_ci(t->raw, SLICE_LIT("CH")) || slice_eq_ci(t->raw, SLICE_LIT("HS")) ||
                   slice_eq_ci(t->raw, SLICE_LIT("CS"))) {
            return ld_fail(ld, t->line, "only class IN is supported");
        } else {
            break;
        }
    }
    uint16_t type;
    if (i >= e->n) {
        return ld_fail(ld, e->line, "missing type");
    }
    if (e->v[i].quoted || !dns_type_from_name(e->v[i].raw, &type)) {
        return ld_fail(ld, e->v[i].line, "unknown type '%.*s'", TOK_FMT(e->v[i]));
    }
    struct snap_rd rd = { ld, e->v + i + 1, e->n - i - 1, 0, e->v[i].line };
    if (!ld_rdata(&rd, type)) {
        return false;
    }
    struct snap_node *x = snap_mark_exists(ld->s, owner, olen);
    const char *why = snap_add_rr(ld->s, x, type, ttl, sbuf_slice(&ld->rd));
    if (why) {
        return ld_fail(ld, e->line, "%s", why);
    }
    memcpy(ld->prev, owner, olen);
    ld->prev_len = olen;
    return true;
}

/* ---------------------------------------------------------------------------------------
 * ";!" directives (snapshot.h) */

struct snap_dir_word {
    slice word;
    enum snap_dir_kind kind; /* SNAP_D_NONE: nxdomain */
    bool type_required, type_allowed;
};

static const struct snap_dir_word snap_dir_words[] = {
    { SLICE_INIT("timeout"), SNAP_D_TIMEOUT, false, true },
    { SLICE_INIT("servfail"), SNAP_D_SERVFAIL, false, true },
    { SLICE_INIT("nodata"), SNAP_D_NODATA, true, true },
    { SLICE_INIT("nxdomain"), SNAP_D_NONE, false, false },
};

/* dir_words splits a directive line at white space, stopping at a ';' comment. */
static size_t dir_words(slice s, slice *w, size_t max)
{
    size_t n = 0;
    for (;;) {
        while (s.len > 0 && slice_is(s.ptr[0], CC_FWS)) {
            (void)slice_skip(&s, 1);
        }
        if (s.len == 0 || s.ptr[0] == ';') {
            return n;
        }
        size_t k = 0;
        while (k < s.len && !slice_is(s.ptr[k], CC_FWS)) {
            k++;
        }
        if (n < max) {
            w[n] = slice_sub(s, 0, k);
        }
        n++;
        (void)slice_skip(&s, k);
    }
}

static bool ld_add_dir(struct snap_loader *ld, struct snap_node *x, enum snap_dir_kind kind,
                       bool typed, uint16_t type, uint32_t line)
{
    if (!typed) {
        if (x->all != SNAP_D_NONE) {
            return ld_fail(ld, line, "second untyped directive for this name");
        }
        x->all = kind;
        x->all_line = line;
        return true;
    }
    if (snap_dir(x, type)) {
        return ld_fail(ld, line, "second directive for this name and type");
    }
    if (x->n_dirs == x->cap_dirs) {
        x->cap_dirs = x->cap_dirs ? x->cap_dirs * 2 : 2;
        x->dirs = xrealloc(x->dirs, x->cap_dirs * sizeof(*x->dirs));
    }
    x->dirs[x->n_dirs++] = (struct snap_dir){ type, kind, line };
    return true;
}

static bool ld_directive(struct snap_loader *ld, const struct snap_entry *e)
{
    slice w[4];
    size_t n = dir_words(e->v[0].raw, w, 4);
    uint32_t line = e->v[0].line;
    const struct snap_dir_word *d = NULL;
    for (size_t k = 0; n > 0 && k < sizeof(snap_dir_words) / sizeof(snap_dir_words[0]); k++) {
        d = slice_eq_ci(w[0], snap_dir_words[k].word) ? &snap_dir_words[k] : d;
    }
    if (d == NULL) {
        return ld_fail(ld, line, "unknown ';!' directive");
    }
    size_t min = d->type_required ? 3 : 2, max = d->type_allowed ? 3 : 2;
    if (n < min || n > max) {
        return ld_fail(ld, line, "';! %.*s' takes NAME%s", SLICE_FMT(w[0]),
                       d->type_required ? " TYPE" : (d->type_allowed ? " [TYPE]" : ""));
    }
    struct snap_tok nt = { w[1], false, line };
    uint8_t name[LIM_DNS_NAME_BYTES];
    size_t nlen;
    uint16_t type = 0;
    if (!ld_name(ld, &nt, false, name, &nlen)) {
        return false;
    }
    if (n == 3 && !dns_type_from_name(w[2], &type)) {
        return ld_fail(ld, line, "unknown type '%.*s'", SLICE_FMT(w[2]));
    }
    if (d->kind == SNAP_D_NONE) {
        struct snap_node *x = snap_get(ld->s, name, nlen);
        if (x->nxdomain) {
            return ld_fail(ld, line, "second nxdomain directive for this name");
        }
        x->nxdomain = true;
        x->nx_line = line;
        return true;
    }
    /* nodata says NAME exists; timeout/servfail say nothing about existence. */
    struct snap_node *x = d->kind == SNAP_D_NODATA ? snap_mark_exists(ld->s, name, nlen)
                                                    : snap_get(ld->s, name, nlen);
    return ld_add_dir(ld, x, d->kind, n == 3, type, line);
}

/* ld_check_node: directives must not contradict the records (order in the file is free). */
static bool ld_check_node(struct snap_loader *ld, const struct snap_node *x)
{
    if (x->nxdomain && x->exists) {
        return ld_fail(ld, x->nx_line, "nxdomain directive for a name that has records, "
                                       "a nodata line or names below it");
    }
    if (x->nxdomain && (x->all != SNAP_D_NONE || x->n_dirs > 0)) {
        return ld_fail(ld, x->nx_line, "nxdomain directive together with other directives");
    }
    for (size_t i = 0; i < x->n_dirs; i++) {
        if (snap_set(x, x->dirs[i].type)) {
            return ld_fail(ld, x->dirs[i].line, "directive for a type that has records");
        }
    }
    return true;
}

static bool ld_check(struct snap_loader *ld)
{
    struct snapshot *s = ld->s;
    for (size_t i = 0; i < s->n_buckets; i++) {
        for (const struct snap_node *x = s->buckets[i]; x; x = x->next) {
            if (!ld_check_node(ld, x)) {
                return false;
            }
        }
    }
    return true;
}

static bool ld_run(struct snap_loader *ld)
{
    struct snap_entry e = { 0 };
    bool ok = true;
    while (ok) {
        ok = lx_entry(ld, &e);
        if (!ok || e.n == 0) {
            break;
        }
        if (e.directive) {
            ok = ld_directive(ld, &e);
        } else if (!e.blank_owner && !e.v[0].quoted && e.v[0].raw.ptr[0] == '$') {
            ok = ld_control(ld, &e);
        } else {
            ok = ld_record(ld, &e);
        }
    }
    xfree(e.v);
    return ok && ld_check(ld);
}

struct dns_resolver *snapshot_load_mem(slice text, const char *name, char *err, size_t err_len)
{
    struct snapshot *s = xcalloc(1, sizeof(*s));
    s->base.ops = &snap_ops;
    s->n_buckets = 64;
    s->buckets = xcalloc(s->n_buckets, sizeof(*s->buckets));
    struct snap_loader ld = {
        .s = s, .fname = name ? name : "(zone)", .err = err, .err_len = err_len,
        .in = text, .line = 1, .default_ttl = SNAP_DEFAULT_TTL,
    };
    sbuf_init(&ld.rd, LIM_DNS_TXT_BYTES);
    if (err && err_len) {
        err[0] = '\0';
    }
    bool ok = ld_run(&ld);
    sbuf_cleanup(&ld.rd);
    if (!ok) {
        snap_free(&s->base);
        return NULL;
    }
    s->neg_ttl = ld.have_soa ? ld.soa_min : ld.default_ttl;
    return &s->base;
}

struct dns_resolver *snapshot_load(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    struct sbuf b;
    uint8_t chunk[65536];
    size_t n;
    struct dns_resolver *r = NULL;
    sbuf_init(&b, (size_t)1 << 31);
    if (f == NULL) {
        if (err && err_len) {
            snprintf(err, err_len, "%s: cannot open", path);
        }
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (!sbuf_append(&b, chunk, n)) {
            if (err && err_len) {
                snprintf(err, err_len, "%s: file too large", path);
            }
            goto out;
        }
    }
    if (ferror(f)) {
        if (err && err_len) {
            snprintf(err, err_len, "%s: read error", path);
        }
        goto out;
    }
    r = snapshot_load_mem(sbuf_slice(&b), path, err, err_len);
out:
    fclose(f);
    sbuf_cleanup(&b);
    return r;
}
