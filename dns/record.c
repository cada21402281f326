/* record.c: --dns-record (record.h).
 *
 * Lookups only take rec->lock when the answer is final and its (name, type) may be new; the
 * table keeps a reference to the cache's answer, so eviction from the cache cannot take it
 * away. Rendering builds an owner-name model (what a zone file can say about each name),
 * applies the snapshot loader's consistency rules, and prints it sorted, so that two runs
 * with the same answers give byte-identical files apart from the header time. */
#include "dns/record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/cache.h"
#include "dns/snapshot.h"
#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/core/sbuf.h"
#include "engine/header/date.h"

struct rec_item {
    struct rec_item *next;
    uint64_t hash;
    const struct dnscache_answer *ans; /* one reference */
};

struct recorder {
    struct dns_resolver base; /* first */
    struct dns_resolver *inner;
    char resolvers[512];
    int64_t started;
    pthread_mutex_t lock; /* protects the table */
    struct rec_item **buckets;
    size_t n_buckets, n_items;
};

static uint64_t rec_hash(slice name, uint16_t qtype)
{
    uint64_t h = 1469598103934665603ull ^ qtype; /* FNV-1a: names here were answered already */
    for (size_t i = 0; i < name.len; i++) {
        h = (h ^ name.ptr[i]) * 1099511628211ull;
    }
    return h;
}

static void rec_keep(struct recorder *rec, const struct dns_answer *a)
{
    uint64_t h = rec_hash(a->qname, a->qtype);
    pthread_mutex_lock(&rec->lock);
    struct rec_item *it = rec->buckets[h & (rec->n_buckets - 1)];
    for (; it; it = it->next) {
        if (it->hash == h && it->ans->pub.qtype == a->qtype && slice_eq(it->ans->pub.qname, a->qname)) {
            break;
        }
    }
    if (it == NULL) {
        if (rec->n_items + 1 > rec->n_buckets) {
            size_t nb = rec->n_buckets * 2;
            struct rec_item **b = xcalloc(nb, sizeof(*b));
            for (size_t i = 0; i < rec->n_buckets; i++) {
                struct rec_item *x = rec->buckets[i], *next;
                for (; x; x = next) {
                    next = x->next;
                    x->next = b[x->hash & (nb - 1)];
                    b[x->hash & (nb - 1)] = x;
                }
            }
            xfree(rec->buckets);
            rec->buckets = b;
            rec->n_buckets = nb;
        }
        it = xmalloc(sizeof(*it));
        it->hash = h;
        it->ans = dnscache_answer_of(a);
        dnscache_answer_ref(it->ans);
        it->next = rec->buckets[h & (rec->n_buckets - 1)];
        rec->buckets[h & (rec->n_buckets - 1)] = it;
        rec->n_items++;
    }
    pthread_mutex_unlock(&rec->lock);
}

static enum dns_status rec_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                  const struct dns_answer **out)
{
    struct recorder *rec = (struct recorder *)r;
    enum dns_status st = dns_lookup(rec->inner, name, qtype, out);
    if (st != DNS_PENDING && st != DNS_BADNAME && *out != NULL) {
        rec_keep(rec, *out);
    }
    return st;
}

static void rec_release(struct dns_resolver *r, const struct dns_answer *a)
{
    dns_release(((struct recorder *)r)->inner, a);
}

static int rec_wait(struct dns_resolver *r, int timeout_ms)
{
    return dns_wait(((struct recorder *)r)->inner, timeout_ms);
}

static void rec_free(struct dns_resolver *r)
{
    struct recorder *rec = (struct recorder *)r;
    for (size_t i = 0; i < rec->n_buckets; i++) {
        struct rec_item *x = rec->buckets[i], *next;
        for (; x; x = next) {
            next = x->next;
            dnscache_answer_unref(x->ans);
            xfree(x);
        }
    }
    xfree(rec->buckets);
    pthread_mutex_destroy(&rec->lock);
    dns_resolver_free(rec->inner);
    xfree(rec);
}

static const struct dns_resolver_ops rec_ops = {
    .name = "record",
    .lookup = rec_lookup,
    .release = rec_release,
    .free = rec_free,
    .wait = rec_wait,
};

struct dns_resolver *dnsrec_new(struct dns_resolver *inner, const char *resolvers,
                                int64_t started)
{
    if (dnscache_of(inner) == NULL) {
        return NULL;
    }
    struct recorder *rec = xcalloc(1, sizeof(*rec));
    rec->base.ops = &rec_ops;
    rec->inner = inner;
    snprintf(rec->resolvers, sizeof rec->resolvers, "%s", resolvers ? resolvers : "unknown");
    rec->started = started;
    pthread_mutex_init(&rec->lock, NULL);
    rec->n_buckets = 64;
    rec->buckets = xcalloc(rec->n_buckets, sizeof(*rec->buckets));
    return &rec->base;
}

struct dns_resolver *dnsrec_inner(struct dns_resolver *r)
{
    return ((struct recorder *)r)->inner;
}

bool dnsrec_is(const struct dns_resolver *r)
{
    return r != NULL && r->ops == &rec_ops;
}

/* ---------------------------------------------------------------------------------------
 * The owner-name model */

enum rec_dir { RD_NODATA, RD_TIMEOUT, RD_SERVFAIL };

struct rec_set {
    uint16_t type;
    size_t n;
    const struct dns_rr *rr; /* into a held answer */
};

struct rec_dirent {
    uint16_t type;
    enum rec_dir kind;
};

#define REC_TYPES 16 /* types recorded per name */

struct rec_node {
    slice wire; /* into a held answer */
    bool nxdomain, exists;
    slice cname; /* target, or len 0 */
    uint32_t cname_ttl;
    size_t n_sets, n_dirs;
    struct rec_set sets[REC_TYPES];
    struct rec_dirent dirs[REC_TYPES];
};

struct rec_model {
    struct rec_node *nodes;
    size_t n, cap;
    size_t *slots; /* open addressing: node index + 1, 0 = empty; 2 * cap slots */
    size_t conflicts;
};

static size_t model_slot(const struct rec_model *m, slice wire)
{
    size_t mask = 2 * m->cap - 1, i = (size_t)rec_hash(wire, 0) & mask;
    while (m->slots[i] != 0 && !slice_eq(m->nodes[m->slots[i] - 1].wire, wire)) {
        i = (i + 1) & mask;
    }
    return i;
}

static struct rec_node *model_node(struct rec_model *m, slice wire)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->nodes = xrealloc(m->nodes, m->cap * sizeof(*m->nodes));
        xfree(m->slots);
        m->slots = xcalloc(2 * m->cap, sizeof(*m->slots));
        for (size_t k = 0; k < m->n; k++) {
            m->slots[model_slot(m, m->nodes[k].wire)] = k + 1;
        }
    }
    size_t i = model_slot(m, wire);
    if (m->slots[i] != 0) {
        return &m->nodes[m->slots[i] - 1];
    }
    struct rec_node *x = &m->nodes[m->n++];
    *x = (struct rec_node){ .wire = wire };
    m->slots[i] = m->n;
    return x;
}

static bool node_has_type(const struct rec_node *x, uint16_t type)
{
    for (size_t i = 0; i < x->n_sets; i++) {
        if (x->sets[i].type == type) {
            return true;
        }
    }
    for (size_t i = 0; i < x->n_dirs; i++) {
        if (x->dirs[i].type == type) {
            return true;
        }
    }
    return false;
}

/* same_set: the node already holds exactly these records of this type (the same RRset
 * reached through another name's CNAME chain): not a contradiction. */
static bool same_set(const struct rec_node *x, const struct dns_answer *p)
{
    for (size_t i = 0; i < x->n_sets; i++) {
        const struct rec_set *s = &x->sets[i];
        if (s->type != p->qtype || s->n != p->n_rr) {
            continue;
        }
        for (size_t k = 0; k < s->n; k++) {
            if (s->rr[k].rdlen != p->rr[k].rdlen ||
                memcmp(s->rr[k].rdata, p->rr[k].rdata, s->rr[k].rdlen) != 0) {
                return false;
            }
        }
        return true;
    }
    return false;
}

static bool same_dir(const struct rec_node *x, uint16_t type, enum rec_dir k)
{
    for (size_t i = 0; i < x->n_dirs; i++) {
        if (x->dirs[i].type == type && x->dirs[i].kind == k) {
            return true;
        }
    }
    return false;
}

static bool node_has_data(const struct rec_node *x)
{
    return x->n_sets > 0 || x->cname.len > 0;
}

static void model_cname(struct rec_model *m, slice owner, slice target, uint32_t ttl)
{
    struct rec_node *x = model_node(m, owner);
    if (x->cname.len > 0) {
        m->conflicts += slice_eq(x->cname, target) ? 0 : 1;
        return;
    }
    if (x->n_sets > 0 || x->nxdomain) { /* RFC 2181 §10.1: CNAME and other data */
        m->conflicts++;
        return;
    }
    x->cname = target;
    x->cname_ttl = ttl;
}

static void model_final(struct rec_model *m, const struct dnscache_answer *a)
{
    const struct dns_answer *p = &a->pub;
    slice name = a->chain[p->n_cname];
    struct rec_node *x = model_node(m, name);
    bool full = false;
    switch (p->status) {
    case DNS_OK:
        if (same_set(x, p)) {
            return;
        }
        full = x->n_sets == REC_TYPES || x->nxdomain || node_has_type(x, p->qtype) ||
               (p->qtype == DNS_T_CNAME ? x->n_sets > 0 : x->cname.len > 0);
        if (!full) {
            x->sets[x->n_sets++] = (struct rec_set){ p->qtype, p->n_rr, p->rr };
        }
        break;
    case DNS_NODATA:
    case DNS_TIMEOUT:
    case DNS_SERVFAIL: {
        enum rec_dir k = p->status == DNS_NODATA   ? RD_NODATA
                         : p->status == DNS_TIMEOUT ? RD_TIMEOUT
                                                    : RD_SERVFAIL;
        if (same_dir(x, p->qtype, k)) {
            return;
        }
        full = x->n_dirs == REC_TYPES || x->nxdomain || node_has_type(x, p->qtype);
        if (!full) {
            x->dirs[x->n_dirs++] = (struct rec_dirent){ p->qtype, k };
        }
        break;
    }
    case DNS_NXDOMAIN:
        if (x->nxdomain) {
            return;
        }
        full = node_has_data(x) || x->n_dirs > 0;
        x->nxdomain = !full;
        break;
    case DNS_BADNAME:
    case DNS_PENDING:
    case DNS__STATUS_COUNT:
        return;
    }
    m->conflicts += full ? 1 : 0;
}

static int item_cmp(const void *pa, const void *pb)
{
    const struct dns_answer *a = &(*(const struct rec_item *const *)pa)->ans->pub;
    const struct dns_answer *b = &(*(const struct rec_item *const *)pb)->ans->pub;
    size_t n = a->qname.len < b->qname.len ? a->qname.len : b->qname.len;
    int c = n ? memcmp(a->qname.ptr, b->qname.ptr, n) : 0;
    if (c != 0) {
        return c;
    }
    if (a->qname.len != b->qname.len) {
        return a->qname.len < b->qname.len ? -1 : 1;
    }
    return (int)a->qtype - (int)b->qtype;
}

/* wire_cmp orders names by their labels from the root down (RFC 4034 §6.1 style), so that
 * a zone's names come out together. */
static int wire_cmp(slice a, slice b)
{
    const uint8_t *la[LIM_DNS_NAME_BYTES] = { NULL }, *lb[LIM_DNS_NAME_BYTES] = { NULL };
    size_t na = 0, nb = 0;
    for (size_t o = 0; o < a.len && a.ptr[o] != 0; o += (size_t)a.ptr[o] + 1) {
        la[na++] = a.ptr + o;
    }
    for (size_t o = 0; o < b.len && b.ptr[o] != 0; o += (size_t)b.ptr[o] + 1) {
        lb[nb++] = b.ptr + o;
    }
    while (na > 0 && nb > 0) {
        const uint8_t *x = la[--na], *y = lb[--nb];
        size_t n = x[0] < y[0] ? x[0] : y[0];
        int c = memcmp(x + 1, y + 1, n);
        if (c != 0 || x[0] != y[0]) {
            return c != 0 ? c : (x[0] < y[0] ? -1 : 1);
        }
    }
    return na == nb ? 0 : (na < nb ? -1 : 1);
}

static int node_cmp(const void *pa, const void *pb)
{
    return wire_cmp(((const struct rec_node *)pa)->wire, ((const struct rec_node *)pb)->wire);
}

/* model_existence: a name with data, a nodata line, or a name below it exists, so it cannot
 * be NXDOMAIN (RFC 8020; the loader refuses it). Nodes are sorted: descendants found by
 * suffix. */
static void model_existence(struct rec_model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        struct rec_node *x = &m->nodes[i];
        bool nodata = false;
        for (size_t k = 0; k < x->n_dirs; k++) {
            nodata = nodata || x->dirs[k].kind == RD_NODATA;
        }
        if (!node_has_data(x) && !nodata) {
            continue;
        }
        /* Mark every ancestor that is in the model. */
        for (size_t off = 0; off < x->wire.len && x->wire.ptr[off] != 0;
             off += (size_t)x->wire.ptr[off] + 1) {
            slice anc = slice_sub(x->wire, off, x->wire.len - off);
            struct rec_node key = { .wire = anc };
            struct rec_node *y = bsearch(&key, m->nodes, m->n, sizeof(*m->nodes), node_cmp);
            if (y) {
                y->exists = true;
            }
        }
    }
    for (size_t i = 0; i < m->n; i++) {
        if (m->nodes[i].nxdomain && m->nodes[i].exists) {
            m->nodes[i].nxdomain = false;
            m->conflicts++;
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Text */

size_t dnsrec_name_text(slice w, char *buf)
{
    size_t len = 0;
    if (w.len == 0 || w.ptr[0] == 0) {
        buf[0] = '.';
        buf[1] = '\0';
        return 1;
    }
    for (size_t off = 0; off < w.len && w.ptr[off] != 0; off += (size_t)w.ptr[off] + 1) {
        for (size_t i = 1; i <= w.ptr[off] && off + i < w.len; i++) {
            uint8_t c = w.ptr[off + i];
            if (c == '-' || c == '_' || c == '*' || slice_is(c, CC_ALPHA | CC_DIGIT)) {
                buf[len++] = (char)c;
            } else {
                buf[len++] = '\\';
                buf[len++] = (char)('0' + c / 100);
                buf[len++] = (char)('0' + c / 10 % 10);
                buf[len++] = (char)('0' + c % 10);
            }
        }
        buf[len++] = '.';
    }
    buf[len] = '\0';
    return len;
}

#define NAME_TEXT (4 * LIM_DNS_NAME_BYTES + 2)

static bool put_name(struct sbuf *o, slice wire)
{
    char t[NAME_TEXT];
    size_t n = dnsrec_name_text(wire, t);
    return sbuf_append(o, t, n);
}

static bool put_txt(struct sbuf *o, slice rd)
{
    for (size_t off = 0; off < rd.len;) {
        size_t n = rd.ptr[off];
        bool ok = sbuf_append(o, off ? " \"" : "\"", off ? 2 : 1);
        for (size_t i = 1; ok && i <= n && off + i < rd.len; i++) {
            uint8_t c = rd.ptr[off + i];
            if (c == '"' || c == '\\') {
                ok = sbuf_putc(o, '\\') && sbuf_putc(o, c);
            } else if (c < 32 || c > 126) {
                ok = sbuf_printf(o, "\\%03u", (unsigned)c);
            } else {
                ok = sbuf_putc(o, c);
            }
        }
        if (!ok || !sbuf_putc(o, '"')) {
            return false;
        }
        off += n + 1;
    }
    return true;
}

static bool put_rdata(struct sbuf *o, uint16_t type, slice rd)
{
    char a[INET6_ADDRSTRLEN];
    switch (type) {
    case DNS_T_A:
    case DNS_T_AAAA:
        inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, rd.ptr, a, sizeof a);
        return sbuf_printf(o, "%s", a);
    case DNS_T_TXT:
    case DNS_T_SPF:
        return put_txt(o, rd);
    case DNS_T_MX:
        return sbuf_printf(o, "%u ", (unsigned)(rd.ptr[0] << 8 | rd.ptr[1])) &&
               put_name(o, slice_sub(rd, 2, rd.len - 2));
    case DNS_T_CNAME:
    case DNS_T_NS:
    case DNS_T_PTR:
        return put_name(o, rd);
    default: /* RFC 3597 §5 */
        if (!sbuf_printf(o, "\\# %zu", rd.len)) {
            return false;
        }
        for (size_t i = 0; i < rd.len; i++) {
            if ((i % 32 == 0 && !sbuf_putc(o, ' ')) || !sbuf_printf(o, "%02x", rd.ptr[i])) {
                return false;
            }
        }
        return true;
    }
}

static bool put_node(struct sbuf *o, const struct rec_node *x)
{
    static const char *const dir_word[] = {
        [RD_NODATA] = "nodata", [RD_TIMEOUT] = "timeout", [RD_SERVFAIL] = "servfail"
    };
    char tn[16];
    bool ok = true;
    if (x->nxdomain) {
        ok = sbuf_printf(o, ";! nxdomain ") && put_name(o, x->wire) && sbuf_putc(o, '\n');
    }
    if (ok && x->cname.len > 0) {
        ok = put_name(o, x->wire) && sbuf_printf(o, " %u IN CNAME ", (unsigned)x->cname_ttl) &&
             put_name(o, x->cname) && sbuf_putc(o, '\n');
    }
    for (size_t i = 0; ok && i < x->n_sets; i++) {
        const struct rec_set *s = &x->sets[i];
        for (size_t k = 0; ok && k < s->n; k++) {
            ok = put_name(o, x->wire) &&
                 sbuf_printf(o, " %u IN %s ", (unsigned)s->rr[k].ttl, dns_type_name(s->type, tn)) &&
                 put_rdata(o, s->type, slice_make(s->rr[k].rdata, s->rr[k].rdlen)) &&
                 sbuf_putc(o, '\n');
        }
    }
    for (size_t i = 0; ok && i < x->n_dirs; i++) {
        ok = sbuf_printf(o, ";! %s ", dir_word[x->dirs[i].kind]) && put_name(o, x->wire) &&
             sbuf_printf(o, " %s\n", dns_type_name(x->dirs[i].type, tn));
    }
    return ok;
}

static int set_cmp(const void *a, const void *b)
{
    return (int)((const struct rec_set *)a)->type - (int)((const struct rec_set *)b)->type;
}

static int dir_cmp(const void *a, const void *b)
{
    return (int)((const struct rec_dirent *)a)->type - (int)((const struct rec_dirent *)b)->type;
}

bool dnsrec_render(struct dns_resolver *r, uint8_t **out, size_t *out_len,
                   struct dnsrec_result *res, char *err, size_t err_len)
{
    struct recorder *rec = (struct recorder *)r;
    struct rec_model m = { 0 };
    struct sbuf o;
    bool ok = true;
    sbuf_init(&o, (size_t)1 << 34);

    pthread_mutex_lock(&rec->lock);
    struct rec_item **items = xmalloc((rec->n_items + 1) * sizeof(*items));
    size_t n = 0;
    for (size_t i = 0; i < rec->n_buckets; i++) {
        for (struct rec_item *x = rec->buckets[i]; x; x = x->next) {
            items[n++] = x;
        }
    }
    pthread_mutex_unlock(&rec->lock);
    qsort(items, n, sizeof(*items), item_cmp);
    /* CNAMEs first (from every answer), then each answer's final fact: a chain's CNAME
     * must win over a stale fact about the same name. */
    for (size_t i = 0; i < n; i++) {
        const struct dnscache_answer *a = items[i]->ans;
        for (uint32_t k = 0; k < a->pub.n_cname; k++) {
            model_cname(&m, a->chain[k], a->chain[k + 1], a->chain_ttl[k]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        model_final(&m, items[i]->ans);
    }
    if (m.n > 0) {
        qsort(m.nodes, m.n, sizeof(*m.nodes), node_cmp);
    }
    model_existence(&m);

    char when[32];
    date_format_rfc3339(rec->started, when);
    ok = sbuf_printf(&o,
                     "; authsweep DNS recording (--dns-record): every answer the run used.\n"
                     "; Replay it with --dns-snapshot FILE.\n"
                     DNSREC_HEADER_TIME "%s\n" DNSREC_HEADER_RESOLVERS "%s\n"
                     "; answers: %zu\n",
                     when, rec->resolvers, n);
    for (size_t i = 0; ok && i < m.n; i++) {
        struct rec_node *x = &m.nodes[i];
        qsort(x->sets, x->n_sets, sizeof(*x->sets), set_cmp);
        qsort(x->dirs, x->n_dirs, sizeof(*x->dirs), dir_cmp);
        ok = put_node(&o, x);
    }
    if (!ok) {
        snprintf(err, err_len, "recording too large");
    }
    if (res) {
        *res = (struct dnsrec_result){ n, m.conflicts };
    }
    xfree(items);
    xfree(m.nodes);
    xfree(m.slots);
    if (ok) {
        struct dns_resolver *check = snapshot_load_mem(sbuf_slice(&o), "recording", err, err_len);
        ok = check != NULL;
        dns_resolver_free(check);
    }
    *out = sbuf_take(&o, out_len);
    sbuf_cleanup(&o);
    return ok;
}

bool dnsrec_write(struct dns_resolver *r, const char *path, struct dnsrec_result *res, char *err,
                  size_t err_len)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char tmp[4096] = "";
    int fd = -1;
    bool created = false;
    bool ok = dnsrec_render(r, &text, &len, res, err, err_len);
    if (!ok) {
        goto out;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= sizeof tmp) {
        snprintf(err, err_len, "%s: path too long", path);
        ok = false;
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, err_len, "cannot create %s: %s", tmp, strerror(errno));
        ok = false;
        goto out;
    }
    created = true;
    for (size_t at = 0; at < len;) {
        ssize_t w = write(fd, text + at, len - at);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            snprintf(err, err_len, "writing %s: %s", tmp, strerror(errno));
            ok = false;
            goto out;
        }
        at += (size_t)w;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        snprintf(err, err_len, "writing %s: %s", tmp, strerror(errno));
        ok = false;
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(err, err_len, "writing %s: %s", tmp, strerror(errno));
        ok = false;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(err, err_len, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        ok = false;
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    if (!ok && created) {
        (void)unlink(tmp);
    }
    xfree(text);
    return ok;
}
