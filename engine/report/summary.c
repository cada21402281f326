#include "engine/report/summary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/json.h"
#include "engine/core/shmap.h"
#include "engine/header/date.h"

#define N_RES (AV__COUNT + 1) /* the verdicts, then not_run */
#define RES_NOT_RUN AV__COUNT
#define N_DISP 4              /* none, quarantine, reject, no_policy */
#define N_CLASS 5             /* enum dmarc_class */

struct summ_counts {
    atomic_uint_fast64_t messages, errors;
    atomic_uint_fast64_t dkim[N_RES], spf[N_RES], dmarc[N_RES];
    atomic_uint_fast64_t disp[N_DISP], klass[N_CLASS];
};

struct summ_domain {
    slice name; /* heap */
    struct summ_counts c;
    struct summ_domain *next;
};

struct summ {
    struct shmap *map;
    _Atomic(struct summ_domain *) all;
    struct summ_counts total;
    atomic_uint_fast64_t sigs[AV__COUNT], unsigned_msgs, over_limit;
};

static void dom_free(void *p)
{
    struct summ_domain *d = p;
    xfree((void *)d->name.ptr);
    xfree(d);
}

struct summ *summ_new(void)
{
    struct summ *s = xcalloc(1, sizeof(*s));
    s->map = shmap_new(SUMM_MAX_DOMAINS, dom_free);
    return s;
}

void summ_free(struct summ *s)
{
    if (s == NULL) {
        return;
    }
    shmap_free(s->map);
    xfree(s);
}

static struct summ_domain *domain_get(struct summ *s, slice name)
{
    uint64_t h = shmap_hash(name);
    struct summ_domain *e = shmap_get(s->map, name, h);
    if (e != NULL) {
        return e;
    }
    struct summ_domain *ne = xcalloc(1, sizeof(*ne));
    ne->name = xdup(name);
    e = shmap_put(s->map, name, h, ne);
    if (e == ne) {
        struct summ_domain *head = atomic_load_explicit(&s->all, memory_order_relaxed);
        do {
            ne->next = head;
        } while (!atomic_compare_exchange_weak_explicit(&s->all, &head, ne, memory_order_release,
                                                        memory_order_relaxed));
    } else if (e == NULL) {
        dom_free(ne);
    }
    return e;
}

/* message_dkim: pass if any signature passed, else the first one's result. */
static unsigned message_dkim(const struct msg_result *r)
{
    if (!r->dkim_ran) {
        return RES_NOT_RUN;
    }
    if (r->dkim.n == 0) {
        return r->dkim.n_fields ? AV_NEUTRAL : AV_NONE; /* all beyond the listing limit */
    }
    for (size_t i = 0; i < r->dkim.n; i++) {
        if (r->dkim.sig[i].result == AV_PASS) {
            return AV_PASS;
        }
    }
    return r->dkim.sig[0].result;
}

static unsigned disposition(const struct msg_result *r)
{
    const struct dmarc_result *d = &r->dmarc;
    if (!r->dmarc_ran || d->record == NULL || d->policy == DMARC_TAG_NONE) {
        return 3;
    }
    switch (d->disposition) {
    case DMARC_P_QUARANTINE:
        return 1;
    case DMARC_P_REJECT:
        return 2;
    case DMARC_P_UNSET:
    case DMARC_P_NONE:
    case DMARC_P_INVALID:
        break;
    }
    return 0;
}

static void inc(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void count(struct summ_counts *c, const struct msg_result *r, unsigned dkim,
                  unsigned disp, unsigned cls)
{
    inc(&c->messages);
    if (r->error_code) {
        inc(&c->errors);
    }
    inc(&c->dkim[dkim]);
    inc(&c->spf[r->spf_ran ? (unsigned)r->spf.result : RES_NOT_RUN]);
    inc(&c->dmarc[r->dmarc_ran ? (unsigned)r->dmarc.result : RES_NOT_RUN]);
    inc(&c->disp[disp]);
    inc(&c->klass[cls]);
}

static unsigned class_of(const struct msg_result *r)
{
    return (unsigned)r->cls < N_CLASS ? (unsigned)r->cls : DMARC_C_UNDETERMINED;
}

void summ_add(struct summ *s, const struct msg_result *r)
{
    unsigned dkim = message_dkim(r), disp = disposition(r), cls = class_of(r);
    count(&s->total, r, dkim, disp, cls);
    if (r->dkim_ran) {
        for (size_t i = 0; i < r->dkim.n; i++) {
            inc(&s->sigs[r->dkim.sig[i].result]);
        }
        atomic_fetch_add_explicit(&s->sigs[AV_NEUTRAL], r->dkim.n_fields - r->dkim.n,
                                  memory_order_relaxed);
        if (r->dkim.n_fields == 0) {
            inc(&s->unsigned_msgs);
        }
    }
    slice name = r->dmarc_ran && r->dmarc.domain.ptr ? r->dmarc.domain
                 : r->has_from_domain                ? r->from_domain
                                                     : SLICE_LIT("(none)");
    struct summ_domain *d = domain_get(s, name);
    if (d == NULL) {
        inc(&s->over_limit);
        return;
    }
    count(&d->c, r, dkim, disp, cls);
}

/* ---- writing -------------------------------------------------------------------------------- */

static uint64_t ld(const atomic_uint_fast64_t *c)
{
    return atomic_load_explicit((atomic_uint_fast64_t *)c, memory_order_relaxed);
}

static bool verdicts(struct sbuf *b, bool *first, const char *key, const atomic_uint_fast64_t *v,
                     const enum auth_verdict *which, size_t n, bool not_run)
{
    bool f2 = true;
    bool ok = json_key(b, first, key) && sbuf_putc(b, '{');
    for (size_t i = 0; ok && i < n; i++) {
        ok = json_key(b, &f2, auth_verdict_name(which[i])) && json_u64(b, ld(&v[which[i]]));
    }
    if (ok && not_run) {
        ok = json_key(b, &f2, "not_run") && json_u64(b, ld(&v[RES_NOT_RUN]));
    }
    return ok && sbuf_putc(b, '}');
}

static const enum auth_verdict dkim_words[] = { AV_PASS, AV_FAIL, AV_POLICY, AV_NEUTRAL,
                                                AV_TEMPERROR, AV_PERMERROR, AV_NONE };
static const enum auth_verdict spf_words[] = { AV_PASS, AV_FAIL, AV_SOFTFAIL, AV_NEUTRAL,
                                               AV_NONE, AV_TEMPERROR, AV_PERMERROR };
static const enum auth_verdict dmarc_words[] = { AV_PASS, AV_FAIL, AV_NONE, AV_TEMPERROR,
                                                 AV_PERMERROR };
#define NW(a) (sizeof(a) / sizeof((a)[0]))

/* counts_body writes the members of COUNTS (see summary.h) after *first. */
static bool counts_body(struct sbuf *b, bool *first, const struct summ_counts *c)
{
    static const char *const disp_names[N_DISP] = { "none", "quarantine", "reject", "no_policy" };
    bool ok = json_key(b, first, "messages") && json_u64(b, ld(&c->messages)) &&
              json_key(b, first, "errors") && json_u64(b, ld(&c->errors)) &&
              verdicts(b, first, "dkim", c->dkim, dkim_words, NW(dkim_words), true) &&
              verdicts(b, first, "spf", c->spf, spf_words, NW(spf_words), true) &&
              verdicts(b, first, "dmarc", c->dmarc, dmarc_words, NW(dmarc_words), true) &&
              json_key(b, first, "disposition") && sbuf_putc(b, '{');
    bool f2 = true;
    for (unsigned i = 0; ok && i < N_DISP; i++) {
        ok = json_key(b, &f2, disp_names[i]) && json_u64(b, ld(&c->disp[i]));
    }
    ok = ok && sbuf_putc(b, '}') && json_key(b, first, "class") && sbuf_putc(b, '{');
    f2 = true;
    for (unsigned i = 0; ok && i < N_CLASS; i++) {
        ok = json_key(b, &f2, dmarc_class_name((enum dmarc_class)i)) &&
             json_u64(b, ld(&c->klass[i]));
    }
    return ok && sbuf_putc(b, '}');
}

static bool str_array(struct sbuf *b, const char *const *v, size_t n)
{
    bool ok = sbuf_putc(b, '[');
    for (size_t i = 0; ok && i < n; i++) {
        ok = (i == 0 || sbuf_putc(b, ',')) && json_cstr(b, v[i]);
    }
    return ok && sbuf_putc(b, ']');
}

static bool run_meta(struct sbuf *b, const struct summ_meta *m)
{
    char t[32];
    date_format_rfc3339(m->started, t);
    bool f = true;
    return sbuf_putc(b, '{') && json_key(b, &f, "version") && json_cstr(b, m->version) &&
           json_key(b, &f, "options") && str_array(b, m->argv, m->argc) &&
           json_key(b, &f, "started") && json_cstr(b, t) && json_key(b, &f, "started_epoch") &&
           json_i64(b, m->started) && json_key(b, &f, "elapsed_seconds") &&
           sbuf_printf(b, "%.3f", m->elapsed) && json_key(b, &f, "threads") &&
           json_u64(b, m->threads) && json_key(b, &f, "format") && json_cstr(b, m->format) &&
           json_key(b, &f, "dmarc_mode") && json_cstr(b, m->dmarc_mode) &&
           json_key(b, &f, "inputs") && str_array(b, m->inputs, m->n_inputs) &&
           json_key(b, &f, "unreadable_inputs") && json_u64(b, m->unreadable_inputs) &&
           json_key(b, &f, "interrupted") && json_bool(b, m->interrupted) && sbuf_putc(b, '}');
}

static int dom_cmp(const void *pa, const void *pb)
{
    const struct summ_domain *a = *(struct summ_domain *const *)pa;
    const struct summ_domain *b = *(struct summ_domain *const *)pb;
    uint64_t na = ld(&a->c.messages), nb = ld(&b->c.messages);
    if (na != nb) {
        return na < nb ? 1 : -1;
    }
    size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
    int c = memcmp(a->name.ptr, b->name.ptr, n);
    return c ? c : (a->name.len > b->name.len) - (a->name.len < b->name.len);
}

/* flush writes and empties b. */
static bool flush(FILE *f, struct sbuf *b)
{
    bool ok = fwrite(b->ptr, 1, b->len, f) == b->len;
    sbuf_reset(b);
    return ok;
}

static bool write_all(FILE *f, struct summ *s, const struct summ_meta *m)
{
    struct sbuf b;
    sbuf_init(&b, 16u << 20);
    bool first = true;
    bool ok = sbuf_putc(&b, '{') && json_key(&b, &first, "run") && run_meta(&b, m) &&
              json_key(&b, &first, "totals") && sbuf_putc(&b, '{');
    bool f2 = true;
    ok = ok && counts_body(&b, &f2, &s->total) &&
         verdicts(&b, &f2, "dkim_signatures", s->sigs, dkim_words, NW(dkim_words) - 1, false) &&
         json_key(&b, &f2, "unsigned") && json_u64(&b, ld(&s->unsigned_msgs)) &&
         sbuf_putc(&b, '}') && json_key(&b, &first, "domains") && sbuf_putc(&b, '[');
    size_t n = 0;
    for (struct summ_domain *d = atomic_load(&s->all); d; d = d->next) {
        n++;
    }
    struct summ_domain **v = xcalloc(n ? n : 1, sizeof(*v));
    size_t i = 0;
    for (struct summ_domain *d = atomic_load(&s->all); d; d = d->next) {
        v[i++] = d;
    }
    qsort(v, n, sizeof(*v), dom_cmp);
    for (i = 0; ok && i < n; i++) {
        bool f3 = true;
        ok = (i == 0 || sbuf_putc(&b, ',')) && sbuf_append(&b, "\n  {", 4) &&
             json_key(&b, &f3, "domain") && json_str(&b, v[i]->name) &&
             counts_body(&b, &f3, &v[i]->c) && sbuf_putc(&b, '}') && flush(f, &b);
    }
    xfree(v);
    ok = ok && sbuf_append(&b, "\n]", 2) && json_key(&b, &first, "domains_over_limit") &&
         json_u64(&b, ld(&s->over_limit)) && sbuf_append(&b, "}\n", 2) && flush(f, &b);
    sbuf_cleanup(&b);
    return ok;
}

bool summ_write(struct summ *s, const char *path, const struct summ_meta *m, char *err,
                size_t err_len)
{
    struct sbuf tmp;
    sbuf_init(&tmp, 8192);
    if (!sbuf_printf(&tmp, "%s.partial", path)) {
        snprintf(err, err_len, "%s: path too long", path);
        return false;
    }
    const char *tp = (const char *)tmp.ptr;
    FILE *f = fopen(tp, "wb");
    bool ok = f != NULL && write_all(f, s, m);
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    if (!ok || rename(tp, path) != 0) {
        snprintf(err, err_len, "cannot write the summary %s: %s", path, strerror(errno));
        remove(tp);
        ok = false;
    }
    sbuf_cleanup(&tmp);
    return ok;
}
