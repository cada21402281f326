#include "engine/report/aggregate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/json.h"
#include "engine/core/shmap.h"
#include "engine/policy/spf.h"

/* ---- the tables --------------------------------------------------------------------------
 * Lock protocol: none of our own. The two shmaps lock one shard per get/put; an entry, once
 * stored, is immutable except for its atomics (count, begin, end, messages) and its list
 * link, which is written before the entry is published with a release CAS on the list head.
 * agg_write reads after the workers have been joined. */

struct agg_row {
    struct agg_domain *dom;
    uint8_t *xml;   /* the <record> text: pre + count + post */
    size_t xml_len, pre_len;
    atomic_uint_fast64_t count;
    struct agg_row *next; /* the domain's list */
};

struct agg_domain {
    slice name;       /* heap; lower case */
    char p[16], sp[16], np[16], fo[8];
    char adkim, aspf, testing; /* 0: not written */
    const char *discovery;
    char error[256];  /* the record's syntax notes, "" if none */
    _Atomic int_fast64_t begin, end;
    atomic_uint_fast64_t messages;
    _Atomic(struct agg_row *) rows;
    struct agg_domain *next; /* the run's list */
};

struct agg {
    struct agg_opts o;
    struct shmap *domains, *rows;
    _Atomic(struct agg_domain *) all;
    atomic_uint_fast64_t messages, no_policy, no_ip, dropped;
};

static void row_free(void *p)
{
    struct agg_row *r = p;
    xfree(r->xml);
    xfree(r);
}

static void domain_free(void *p)
{
    struct agg_domain *d = p;
    xfree((void *)d->name.ptr);
    xfree(d);
}

struct agg *agg_new(const struct agg_opts *o)
{
    struct agg *g = xcalloc(1, sizeof(*g));
    g->o.receiver = xdup(o->receiver);
    g->o.org_name = xdup(o->org_name);
    g->o.email = xdup(o->email);
    g->o.generator = xdup(o->generator);
    g->domains = shmap_new(AGG_MAX_DOMAINS, domain_free);
    g->rows = shmap_new(AGG_MAX_ROWS, row_free);
    return g;
}

void agg_free(struct agg *g)
{
    if (g == NULL) {
        return;
    }
    shmap_free(g->rows);
    shmap_free(g->domains);
    xfree((void *)g->o.receiver.ptr);
    xfree((void *)g->o.org_name.ptr);
    xfree((void *)g->o.email.ptr);
    xfree((void *)g->o.generator.ptr);
    xfree(g);
}

bool agg_receiver_ok(slice s)
{
    return slice_is_ldh_domain(s);
}

/* ---- XML text ------------------------------------------------------------------------------ */

/* xml_text appends s as XML character data: markup characters as entities; bytes that are
 * not valid UTF-8, and characters XML 1.0 §2.2 does not allow (C0 controls but TAB/LF/CR,
 * U+FFFE, U+FFFF), as U+FFFD; cut after max bytes. */
static bool xml_text(struct sbuf *b, slice s, size_t max)
{
    if (s.len > max) {
        s.len = max;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < s.len;) {
        uint8_t c = s.ptr[i];
        size_t n = c >= 0x80 ? json_utf8_len(s, i) : 1;
        if (c >= 0x80) {
            bool bad = n <= 1 || (n == 3 && c == 0xEF && s.ptr[i + 1] == 0xBF &&
                                  (s.ptr[i + 2] == 0xBE || s.ptr[i + 2] == 0xBF));
            ok = bad ? sbuf_append(b, "\xEF\xBF\xBD", 3) : sbuf_append(b, s.ptr + i, n);
            i += n > 1 ? n : 1; /* an invalid byte alone; U+FFFE/U+FFFF whole */
            continue;
        }
        switch (c) {
        case '&':
            ok = sbuf_append(b, "&amp;", 5);
            break;
        case '<':
            ok = sbuf_append(b, "&lt;", 4);
            break;
        case '>':
            ok = sbuf_append(b, "&gt;", 4);
            break;
        case '"':
            ok = sbuf_append(b, "&quot;", 6);
            break;
        case '\'':
            ok = sbuf_append(b, "&apos;", 6);
            break;
        default:
            ok = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F
                     ? sbuf_append(b, "\xEF\xBF\xBD", 3)
                     : sbuf_putc(b, c);
            break;
        }
        i++;
    }
    return ok;
}

/* elem appends <name>text</name> on its own line at depth. */
static bool elem(struct sbuf *b, unsigned depth, const char *name, slice text)
{
    return sbuf_printf(b, "%*s<%s>", (int)(2 * depth), "", name) &&
           xml_text(b, text, AGG_TEXT_MAX) && sbuf_printf(b, "</%s>\n", name);
}

static bool elem_c(struct sbuf *b, unsigned depth, const char *name, const char *text)
{
    return elem(b, depth, name, record_cstr(text));
}

static bool open_tag(struct sbuf *b, unsigned depth, const char *name)
{
    return sbuf_printf(b, "%*s<%s>\n", (int)(2 * depth), "", name);
}

static bool close_tag(struct sbuf *b, unsigned depth, const char *name)
{
    return sbuf_printf(b, "%*s</%s>\n", (int)(2 * depth), "", name);
}

/* ---- one message's record ------------------------------------------------------------------ */

/* Policy override reasons (RFC 9990 §"Policy Override Reason"): why the disposition is not
 * the published policy, for mail that failed. */
struct agg_reason {
    const char *type;    /* PolicyOverrideType */
    const char *comment; /* or NULL */
};

static size_t policy_reasons(const struct dmarc_result *d, struct agg_reason out[4])
{
    size_t n = 0;
    if (d->result != AV_FAIL || d->disposition == d->published) {
        return 0;
    }
    if (d->mode == DMARC_MODE_RFC9989 && d->testing && d->policy_disposition != d->published) {
        out[n++] = (struct agg_reason){ "policy_test_mode",
                                        "t=y: one level below the published policy" };
    }
    if (d->mode == DMARC_MODE_RFC7489 && (d->notes & DMARC_N_PCT_NOT_SAMPLED)) {
        out[n++] = (struct agg_reason){ "other",
                                        "outside the pct sample (RFC 7489 section 6.6.4)" };
    }
    if (d->policy_disposition == DMARC_P_REJECT && d->disposition == DMARC_P_QUARANTINE) {
        out[n++] = (struct agg_reason){ "local_policy",
                                        "not rejected on p=reject alone (RFC 9989 section 7.4)" };
    }
    if (d->override != NULL) {
        /* RFC 9990 policy_override_reason: a trusted forwarder's ARC chain vouched. */
        out[n++] = (struct agg_reason){ "trusted_forwarder", "ARC chain sealed by a trusted "
                                                             "forwarder recorded dmarc=pass" };
    }
    return n;
}

static const char *action_disposition(const struct dmarc_result *d)
{
    if (d->result == AV_PASS) {
        /* "pass": no action, passing DMARC with an enforcing policy (schema comment). */
        return d->published == DMARC_P_QUARANTINE || d->published == DMARC_P_REJECT ? "pass"
                                                                                       : "none";
    }
    if (d->result == AV_FAIL) {
        const char *n = dmarc_policy_name(d->disposition);
        return n ? n : "none";
    }
    return "none"; /* temperror, permerror: nothing applied (RFC 9989 §5.3.6) */
}

/* dkim_rank: RFC 9990 §"DKIM Signatures in Aggregate Reports" preference, 0 best. */
static unsigned dkim_rank(const struct dmarc_result *d, const struct dkim_sig *s)
{
    if (s->result != AV_PASS) {
        return 3;
    }
    if (d->domain.ptr && slice_eq_ci(s->d, d->domain)) {
        return 0;
    }
    slice org = d->org_domain;
    bool relaxed = (d->dkim_aligned.ptr && slice_eq_ci(s->d, d->dkim_aligned)) ||
                   (org.len > 0 && (slice_eq_ci(s->d, org) ||
                                    (s->d.len > org.len &&
                                     slice_has_suffix_ci(s->d, org) &&
                                     s->d.ptr[s->d.len - org.len - 1] == '.')));
    return relaxed ? 1 : 2;
}

static bool auth_results(struct sbuf *x, struct arena *a, const struct msg_result *r)
{
    const struct dmarc_result *d = &r->dmarc;
    bool ok = open_tag(x, 2, "auth_results");
    size_t n = r->dkim_ran ? r->dkim.n : 0;
    const struct dkim_sig **v = ARENA_ARRAY(a, const struct dkim_sig *, n ? n : 1);
    size_t k = 0;
    for (unsigned rank = 0; rank < 4; rank++) { /* stable: header order within a rank */
        for (size_t i = 0; i < n; i++) {
            if (dkim_rank(d, &r->dkim.sig[i]) == rank) {
                v[k++] = &r->dkim.sig[i];
            }
        }
    }
    for (size_t i = 0; ok && i < k && i < AGG_SIGS_PER_ROW; i++) {
        const struct dkim_sig *s = v[i];
        ok = open_tag(x, 3, "dkim") && elem(x, 4, "domain", s->d) &&
             elem(x, 4, "selector", s->s) &&
             elem_c(x, 4, "result", auth_verdict_name(s->result)) &&
             (s->reason == DKIM_R_NONE ||
              elem_c(x, 4, "human_result", dkim_reason_name(s->reason))) &&
             close_tag(x, 3, "dkim");
    }
    if (ok && r->spf_ran && r->spf.domain.ptr != NULL) {
        const char *why = r->spf_reason ? r->spf_reason : r->spf.reason;
        ok = open_tag(x, 3, "spf") && elem(x, 4, "domain", r->spf.domain) &&
             (!(r->spf_has_mailfrom && r->spf_mailfrom.len > 0) ||
              elem_c(x, 4, "scope", "mfrom")) &&
             elem_c(x, 4, "result", auth_verdict_name(r->spf.result)) &&
             (why == NULL || elem_c(x, 4, "human_result", why)) && close_tag(x, 3, "spf");
    }
    return ok && close_tag(x, 2, "auth_results");
}

static slice mailfrom_domain(const struct msg_result *r)
{
    slice m = r->spf_mailfrom;
    for (size_t i = m.len; i-- > 0;) {
        if (m.ptr[i] == '@') {
            return slice_make(m.ptr + i + 1, m.len - i - 1);
        }
    }
    return m;
}

/* record_xml writes the <record> of r into x; *pre_len is where the count goes. */
static bool record_xml(struct sbuf *x, struct arena *a, const struct msg_result *r,
                       const char *ip, size_t *pre_len)
{
    const struct dmarc_result *d = &r->dmarc;
    bool ok = open_tag(x, 1, "record") && open_tag(x, 2, "row") &&
              elem_c(x, 3, "source_ip", ip) && sbuf_printf(x, "      <count>");
    *pre_len = x->len;
    ok = ok && sbuf_printf(x, "</count>\n") && open_tag(x, 3, "policy_evaluated") &&
         elem_c(x, 4, "disposition", action_disposition(d)) &&
         elem_c(x, 4, "dkim", d->dkim_aligned.ptr ? "pass" : "fail") &&
         elem_c(x, 4, "spf", d->spf_aligned ? "pass" : "fail");
    struct agg_reason why[4];
    size_t nr = policy_reasons(d, why);
    for (size_t i = 0; ok && i < nr; i++) {
        ok = open_tag(x, 4, "reason") && elem_c(x, 5, "type", why[i].type) &&
             (why[i].comment == NULL || elem_c(x, 5, "comment", why[i].comment)) &&
             close_tag(x, 4, "reason");
    }
    ok = ok && close_tag(x, 3, "policy_evaluated") && close_tag(x, 2, "row") &&
         open_tag(x, 2, "identifiers") && elem(x, 3, "header_from", d->domain);
    if (ok && r->spf_has_mailfrom) {
        ok = elem(x, 3, "envelope_from", mailfrom_domain(r)); /* empty for a null path */
    }
    ok = ok && close_tag(x, 2, "identifiers") && auth_results(x, a, r);
    return ok && close_tag(x, 1, "record");
}

/* ---- counting ---------------------------------------------------------------------------- */

static void fo_text(unsigned fo, char out[8])
{
    static const char letters[4] = { '0', '1', 'd', 's' };
    size_t n = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (fo & (1u << i)) {
            if (n > 0) {
                out[n++] = ':';
            }
            out[n++] = letters[i];
        }
    }
    out[n] = 0;
}

static const char *valid_policy(enum dmarc_policy p, const char *dflt)
{
    const char *n = (p == DMARC_P_NONE || p == DMARC_P_QUARANTINE || p == DMARC_P_REJECT)
                        ? dmarc_policy_name(p)
                        : NULL;
    return n ? n : dflt;
}

static struct agg_domain *domain_make(const struct dmarc_result *d)
{
    const struct dmarc_record *rec = d->record;
    struct agg_domain *e = xcalloc(1, sizeof(*e));
    e->name = xdup(d->policy_domain);
    for (size_t i = 0; i < e->name.len; i++) {
        ((uint8_t *)e->name.ptr)[i] = slice_lower(e->name.ptr[i]);
    }
    /* §4.10.1: no valid p (with a rua) is p=none; sp defaults to p, np to sp. */
    snprintf(e->p, sizeof e->p, "%s", valid_policy(rec->p, "none"));
    snprintf(e->sp, sizeof e->sp, "%s", valid_policy(rec->sp, e->p));
    snprintf(e->np, sizeof e->np, "%s", valid_policy(rec->np, e->sp));
    fo_text(rec->fo ? rec->fo : DMARC_FO_0, e->fo);
    e->adkim = rec->adkim_strict ? 's' : 'r';
    e->aspf = rec->aspf_strict ? 's' : 'r';
    bool is9989 = d->mode == DMARC_MODE_RFC9989;
    e->testing = is9989 ? (rec->testing ? 'y' : 'n') : 0;
    e->discovery = is9989 ? "treewalk" : "psl";
    size_t n = 0;
    for (unsigned i = 0; i < DMARC_N__COUNT_BITS; i++) {
        if (rec->notes & (1u << i)) {
            int w = snprintf(e->error + n, sizeof e->error - n, "%s%s",
                             n ? ", " : "DMARC Policy Record: ", dmarc_note_name(i));
            if (w < 0 || (size_t)w >= sizeof e->error - n) {
                break;
            }
            n += (size_t)w;
        }
    }
    atomic_init(&e->begin, INT64_MAX);
    atomic_init(&e->end, INT64_MIN);
    return e;
}

static struct agg_domain *domain_get(struct agg *g, struct arena *a, const struct dmarc_result *d)
{
    size_t n = d->policy_domain.len;
    uint8_t *k = arena_alloc(a, n + 1);
    k[0] = 'D';
    for (size_t i = 0; i < n; i++) {
        k[i + 1] = slice_lower(d->policy_domain.ptr[i]);
    }
    slice key = slice_make(k, n + 1);
    uint64_t h = shmap_hash(key);
    struct agg_domain *e = shmap_get(g->domains, key, h);
    if (e != NULL) {
        return e;
    }
    struct agg_domain *ne = domain_make(d);
    e = shmap_put(g->domains, key, h, ne);
    if (e == ne) {
        struct agg_domain *head = atomic_load_explicit(&g->all, memory_order_relaxed);
        do {
            ne->next = head;
        } while (!atomic_compare_exchange_weak_explicit(&g->all, &head, ne, memory_order_release,
                                                        memory_order_relaxed));
    } else if (e == NULL) {
        domain_free(ne); /* full */
    }
    return e;
}

static struct agg_row *row_get(struct agg *g, struct agg_domain *dom, const struct sbuf *x,
                               size_t pre_len)
{
    struct sbuf k;
    sbuf_init(&k, dom->name.len + x->len + 2);
    if (!sbuf_putc(&k, 'R') || !sbuf_append_slice(&k, dom->name) || !sbuf_putc(&k, 0) ||
        !sbuf_append(&k, x->ptr, x->len)) {
        abort(); /* sized above */
    }
    uint64_t h = shmap_hash(sbuf_slice(&k));
    struct agg_row *e = shmap_get(g->rows, sbuf_slice(&k), h);
    if (e == NULL) {
        struct agg_row *ne = xcalloc(1, sizeof(*ne));
        ne->dom = dom;
        ne->xml = xmalloc(x->len);
        memcpy(ne->xml, x->ptr, x->len);
        ne->xml_len = x->len;
        ne->pre_len = pre_len;
        e = shmap_put(g->rows, sbuf_slice(&k), h, ne);
        if (e == ne) {
            struct agg_row *head = atomic_load_explicit(&dom->rows, memory_order_relaxed);
            do {
                ne->next = head;
            } while (!atomic_compare_exchange_weak_explicit(&dom->rows, &head, ne,
                                                            memory_order_release,
                                                            memory_order_relaxed));
        } else if (e == NULL) {
            row_free(ne);
        }
    }
    sbuf_cleanup(&k);
    return e;
}

static void atomic_min_max(_Atomic int_fast64_t *lo, _Atomic int_fast64_t *hi, int64_t t)
{
    int_fast64_t cur = atomic_load_explicit(lo, memory_order_relaxed);
    while (t < cur && !atomic_compare_exchange_weak_explicit(lo, &cur, t, memory_order_relaxed,
                                                             memory_order_relaxed)) {
    }
    cur = atomic_load_explicit(hi, memory_order_relaxed);
    while (t > cur && !atomic_compare_exchange_weak_explicit(hi, &cur, t, memory_order_relaxed,
                                                             memory_order_relaxed)) {
    }
}

void agg_add(struct agg *g, struct arena *a, const struct msg_result *r)
{
    const struct dmarc_result *d = &r->dmarc;
    if (!r->dmarc_ran || d->record == NULL || d->policy_domain.len == 0 || !r->has_as_of) {
        atomic_fetch_add_explicit(&g->no_policy, 1, memory_order_relaxed);
        return;
    }
    struct spf_ip ip;
    char text[INET6_ADDRSTRLEN];
    if (!r->spf_has_ip || !spf_ip_parse(r->spf_ip, &ip) ||
        inet_ntop(ip.family == 4 ? AF_INET : AF_INET6, ip.addr, text, sizeof text) == NULL) {
        atomic_fetch_add_explicit(&g->no_ip, 1, memory_order_relaxed);
        return;
    }
    struct agg_domain *dom = domain_get(g, a, d);
    struct sbuf x;
    sbuf_init(&x, AGG_ROW_MAX);
    size_t pre = 0;
    struct agg_row *row = NULL;
    if (dom != NULL && record_xml(&x, a, r, text, &pre)) {
        row = row_get(g, dom, &x, pre);
    }
    sbuf_cleanup(&x);
    if (row == NULL) {
        atomic_fetch_add_explicit(&g->dropped, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&row->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&dom->messages, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g->messages, 1, memory_order_relaxed);
    atomic_min_max(&dom->begin, &dom->end, r->as_of);
}

/* ---- writing ------------------------------------------------------------------------------ */

static int row_cmp(const void *pa, const void *pb)
{
    const struct agg_row *a = *(struct agg_row *const *)pa, *b = *(struct agg_row *const *)pb;
    size_t n = a->xml_len < b->xml_len ? a->xml_len : b->xml_len;
    int c = memcmp(a->xml, b->xml, n);
    return c ? c : (a->xml_len > b->xml_len) - (a->xml_len < b->xml_len);
}

/* file_name_ok: the policy domain is safe in a file name (it came from DNS answers). */
static bool file_name_ok(slice s)
{
    if (s.len == 0 || s.ptr[0] == '.') {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (!slice_is(s.ptr[i], CC_LDH) && s.ptr[i] != '.' && s.ptr[i] != '_') {
            return false;
        }
    }
    return true;
}

static bool report_head(struct sbuf *b, const struct agg *g, const struct agg_domain *d,
                        int64_t begin, int64_t end)
{
    bool ok = sbuf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
                             "  <version>1.0</version>\n") &&
              open_tag(b, 1, "report_metadata") && elem(b, 2, "org_name", g->o.org_name) &&
              elem(b, 2, "email", g->o.email) &&
              sbuf_printf(b, "    <report_id>%" PRId64 ".%" PRId64 ".%.*s@%.*s</report_id>\n",
                          begin, end, SLICE_FMT(d->name), SLICE_FMT(g->o.receiver)) &&
              open_tag(b, 2, "date_range") &&
              sbuf_printf(b, "      <begin>%" PRId64 "</begin>\n      <end>%" PRId64 "</end>\n",
                          begin, end) &&
              close_tag(b, 2, "date_range") &&
              (d->error[0] == 0 || elem_c(b, 2, "error", d->error)) &&
              elem(b, 2, "generator", g->o.generator) && close_tag(b, 1, "report_metadata");
    ok = ok && open_tag(b, 1, "policy_published") && elem(b, 2, "domain", d->name) &&
         elem_c(b, 2, "discovery_method", d->discovery) && elem_c(b, 2, "p", d->p) &&
         elem_c(b, 2, "sp", d->sp) &&
         (d->testing == 0 || elem_c(b, 2, "np", d->np)) && /* np: RFC 9989 only */
         elem_c(b, 2, "fo", d->fo) && elem(b, 2, "adkim", slice_make(&d->adkim, 1)) &&
         elem(b, 2, "aspf", slice_make(&d->aspf, 1)) &&
         (d->testing == 0 || elem(b, 2, "testing", slice_make(&d->testing, 1))) &&
         close_tag(b, 1, "policy_published");
    return ok;
}

static bool write_file(const char *path, const char *tmp, const struct sbuf *b, char *err,
                       size_t err_len)
{
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        snprintf(err, err_len, "cannot write %s: %s", tmp, strerror(errno));
        return false;
    }
    bool ok = fwrite(b->ptr, 1, b->len, f) == b->len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return false;
    }
    return true;
}

static bool write_domain(struct agg *g, struct agg_domain *d, const char *dir,
                         struct agg_stats *st, char *err, size_t err_len)
{
    size_t n = 0;
    for (struct agg_row *r = atomic_load(&d->rows); r; r = r->next) {
        n++;
    }
    if (n == 0 || !file_name_ok(d->name)) {
        if (n != 0) {
            snprintf(err, err_len, "policy domain '%.*s' cannot be a file name: not written",
                     SLICE_FMT(d->name));
        }
        return n == 0;
    }
    struct agg_row **v = xcalloc(n, sizeof(*v));
    size_t i = 0;
    for (struct agg_row *r = atomic_load(&d->rows); r; r = r->next) {
        v[i++] = r;
    }
    qsort(v, n, sizeof(*v), row_cmp);
    int64_t begin = atomic_load(&d->begin), end = atomic_load(&d->end);
    struct sbuf b;
    sbuf_init(&b, SIZE_MAX / 2);
    bool ok = report_head(&b, g, d, begin, end);
    for (i = 0; ok && i < n; i++) {
        ok = sbuf_append(&b, v[i]->xml, v[i]->pre_len) &&
             sbuf_printf(&b, "%" PRIuFAST64, atomic_load(&v[i]->count)) &&
             sbuf_append(&b, v[i]->xml + v[i]->pre_len, v[i]->xml_len - v[i]->pre_len);
    }
    ok = ok && sbuf_printf(&b, "</feedback>\n");
    struct sbuf path, tmp;
    sbuf_init(&path, 8192);
    sbuf_init(&tmp, 8192);
    if (ok && sbuf_printf(&path, "%s/%.*s!%.*s!%" PRId64 "!%" PRId64 ".xml", dir,
                          SLICE_FMT(g->o.receiver), SLICE_FMT(d->name), begin, end) &&
        sbuf_printf(&tmp, "%s/.%.*s!%.*s.tmp", dir, SLICE_FMT(g->o.receiver),
                    SLICE_FMT(d->name))) {
        ok = write_file((const char *)path.ptr, (const char *)tmp.ptr, &b, err, err_len);
    } else {
        ok = false;
        snprintf(err, err_len, "report for %.*s: path too long", SLICE_FMT(d->name));
    }
    sbuf_cleanup(&path);
    sbuf_cleanup(&tmp);
    sbuf_cleanup(&b);
    xfree(v);
    st->rows += n;
    st->files += ok;
    return ok;
}

bool agg_write(struct agg *g, const char *dir, struct agg_stats *st, char *err, size_t err_len)
{
    memset(st, 0, sizeof(*st));
    st->messages = atomic_load(&g->messages);
    st->no_policy = atomic_load(&g->no_policy);
    st->no_ip = atomic_load(&g->no_ip);
    st->dropped = atomic_load(&g->dropped);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "cannot make %s: %s", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    for (struct agg_domain *d = atomic_load(&g->all); d; d = d->next) {
        st->domains++;
        char e[512];
        if (!write_domain(g, d, dir, st, e, sizeof e)) {
            if (ok) {
                snprintf(err, err_len, "%s", e);
            }
            ok = false;
        }
    }
    return ok;
}
