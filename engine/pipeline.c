#include "engine/pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/core/shmap.h"
#include <stdatomic.h>
#include "engine/header/addr.h"
#include "engine/header/date.h"
#include "engine/header/hdr.h"
#include "engine/report/csv.h"
#include "engine/report/record.h"
#include "engine/verify/prehash.h"

/* ---- one message: stages 3-8 ------------------------------------------------------------ */

struct pipe_worker {
    const struct pipe_config *cfg;
    struct arena *arena;
    struct dkim_thread *dkim;
    struct prehash *pre; /* the batch's body hashes, computed together */
};

struct pipe_worker *pipe_worker_new(const struct pipe_config *cfg)
{
    struct pipe_worker *w = xcalloc(1, sizeof(*w));
    w->cfg = cfg;
    w->arena = arena_new(256 * 1024);
    w->dkim = dkim_thread_new();
    w->pre = prehash_new();
    return w;
}

void pipe_worker_free(struct pipe_worker *w)
{
    if (w == NULL) {
        return;
    }
    arena_free(w->arena);
    dkim_thread_free(w->dkim);
    prehash_free(w->pre);
    xfree(w);
}

static void find_message_id(struct arena *a, const struct hdr_index *h, struct msg_result *r)
{
    ptrdiff_t k = hdr_find(h, SLICE_LIT("Message-ID"), 0);
    if (k >= 0) {
        slice v = hdr_unfold(a, h->f[k].value);
        if (v.len > LIM_FIELD_ECHO_BYTES) {
            v.len = LIM_FIELD_ECHO_BYTES;
        }
        r->has_message_id = true;
        r->message_id = v;
    }
}

/* RFC 9989 §4.4 / RFC 7489 §6.6.1: the author domain comes from a single From field; a
 * message with several From fields, or several addresses in different domains, has no
 * single author domain and says so. */
static void find_from_domain(struct arena *a, const struct hdr_index *h, struct msg_result *r)
{
    size_t n = hdr_count(h, SLICE_LIT("From"));
    if (n == 0) {
        r->from_error = "no_from";
        return;
    }
    if (n > 1) {
        r->from_error = "multiple_from_fields";
        return;
    }
    ptrdiff_t k = hdr_find(h, SLICE_LIT("From"), 0);
    struct addr_list al;
    enum addr_status st = addr_parse_list(a, &al, hdr_unfold(a, h->f[k].value));
    if (st == ADDR_EMPTY || (st == ADDR_OK && al.n == 0)) {
        r->from_error = "no_from_address";
        return;
    }
    if (st != ADDR_OK) {
        r->from_error = st == ADDR_TOO_MANY ? "too_many_from_addresses" : "from_syntax";
        return;
    }
    for (size_t i = 1; i < al.n; i++) {
        if (!slice_eq_ci(al.v[i].domain, al.v[0].domain)) {
            r->from_error = "multiple_from_domains";
            return;
        }
    }
    if (al.v[0].domain.len == 0) {
        r->from_error = "from_syntax";
        return;
    }
    r->has_from_domain = true;
    r->from_domain = al.v[0].domain;
}

/* The evaluation time for x= and t= (see --as-of). Received fields are prepended by each
 * hop (RFC 5321 §4.4), so the topmost one with a date is the newest: the archive owner's
 * receipt. */
static void choose_as_of(const struct pipe_config *cfg, const struct input_msg *m,
                         const struct hdr_index *h, struct msg_result *r, struct rcv_memo *memo)
{
    memo->field = -1;
    r->has_as_of = true;
    if (cfg->as_of == AS_OF_FIXED) {
        r->as_of = cfg->as_of_fixed;
        r->as_of_source = "fixed";
        return;
    }
    if (cfg->as_of == AS_OF_RECEIVED) {
        for (ptrdiff_t k = hdr_find(h, SLICE_LIT("Received"), 0); k >= 0;
             k = hdr_find(h, SLICE_LIT("Received"), (size_t)k + 1)) {
            /* The date after the last ';' outside comments (RFC 5321 §4.4 Stamp). */
            struct rcv_field rf;
            (void)rcv_parse(&rf, h->f[k].value);
            if (memo->field < 0) { /* the topmost: SPF's selection starts there too */
                memo->field = k;
                memo->parsed = rf;
            }
            if (rf.has_date) {
                r->as_of = rf.date;
                r->as_of_source = "received";
                return;
            }
        }
        int64_t t;
        if (m->from_line.len > 0 && date_parse_from_line(m->from_line, &t)) {
            r->as_of = t;
            r->as_of_source = "mbox_from_line";
            return;
        }
    }
    r->as_of = cfg->run_started;
    r->as_of_source = "now";
}

/* ---- SPF (RFC 7208) for the boundary MTA's connection ----------------------------------- */

/* run_spf: the client address and HELO from the chosen Received field, MAIL FROM from the
 * topmost Return-Path (written at final delivery, RFC 5321 §4.4). False if pending. */
static bool run_spf(struct pipe_worker *w, const struct hdr_index *h, struct msg_result *r,
                    const struct rcv_memo *memo)
{
    struct arena *a = w->arena;
    const struct pipe_config *cfg = w->cfg;
    r->spf_ran = true;
    struct rcv_selection sel;
    rcv_select_spf_memo(a, &sel, h, &cfg->spf_select, memo);
    ptrdiff_t rp = hdr_find(h, SLICE_LIT("Return-Path"), 0);
    struct addr path = { 0 };
    enum addr_status ps = ADDR_SYNTAX;
    if (rp >= 0) {
        ps = addr_parse_path(a, &path, hdr_unfold(a, h->f[rp].value));
        r->spf_has_mailfrom = ps == ADDR_OK || ps == ADDR_EMPTY;
        if (ps == ADDR_OK) {
            size_t n = path.local.len + 1 + path.domain.len;
            uint8_t *p = arena_alloc(a, n);
            memcpy(p, path.local.ptr, path.local.len);
            p[path.local.len] = '@';
            memcpy(p + path.local.len + 1, path.domain.ptr, path.domain.len);
            r->spf_mailfrom = slice_make(p, n);
        } else if (ps == ADDR_EMPTY) {
            r->spf_mailfrom = SLICE_LIT("");
        }
    }
    if (sel.status != RCV_SEL_OK) {
        r->spf.result = AV_NONE; /* no guess: RFC 7208 needs the connecting address */
        r->spf_reason = sel.reason;
        return true;
    }
    r->spf_has_ip = true;
    r->spf_ip = sel.ip_text;
    r->spf_helo_name = sel.helo;
    r->spf_source = sel.source;
    struct spf_request req = { .ip = sel.ip, .helo = sel.helo, .mailfrom = r->spf_mailfrom,
                               .receiver = sel.parsed.by, .now = r->as_of };
    if (sel.helo.len > 0) {
        struct spf_result hr;
        spfcache_check_helo(cfg->spf_cache, a, cfg->resolver, &req, &hr);
        if (hr.pending) {
            return false;
        }
        r->spf_helo = hr.result;
    }
    if (!r->spf_has_mailfrom) {
        r->spf.result = AV_NONE;
        r->spf_reason = rp < 0 ? "no_return_path" : "return_path_syntax";
        return true;
    }
    if (r->spf_mailfrom.len == 0 && sel.helo.len == 0) {
        r->spf.result = AV_NONE; /* §2.4 needs the HELO name for a null reverse-path */
        r->spf_reason = "null_sender_without_helo";
        return true;
    }
    spfcache_check_mailfrom(cfg->spf_cache, a, cfg->resolver, &req, &r->spf);
    return !r->spf.pending;
}

static bool word_is(const struct authres_word *w, enum auth_verdict v)
{
    return slice_eq_ci(w->text, record_cstr(auth_verdict_name(v)));
}

/* compare_recorded marks where the receiver's recorded results and ours differ: SPF by
 * result word; DKIM per recorded signature, matched by header.b (a prefix of b=) or else by
 * d=, comparing pass with not-pass. */
static void compare_recorded(struct msg_result *r)
{
    const struct authres_recorded *rec = &r->recorded;
    if (rec->has_spf && r->spf_ran && r->spf_has_ip) {
        r->disagree_spf = !word_is(&rec->spf_result, r->spf.result);
    }
    for (size_t i = 0; i < rec->n_dkim && r->dkim_ran; i++) {
        const struct authres_recorded_dkim *rd = &rec->dkim[i];
        const struct dkim_sig *match = NULL;
        for (size_t k = 0; k < r->dkim.n && match == NULL; k++) {
            const struct dkim_sig *s = &r->dkim.sig[k];
            if (rd->b.len >= 8 ? slice_has_prefix(s->b, rd->b)
                               : (rd->d.len > 0 && slice_eq_ci(rd->d, s->d))) {
                match = s;
            }
        }
        if (match == NULL) {
            continue;
        }
        bool they = word_is(&rd->result, AV_PASS), we = match->result == AV_PASS;
        if (they != we) {
            r->disagree_dkim = true;
        }
    }
}

static void count_spf(const struct msg_result *r, struct pipe_stats *st)
{
    static const enum pipe_counter by_verdict[AV__COUNT] = {
        [AV_NONE] = PC_SPF_NONE,         [AV_PASS] = PC_SPF_PASS,
        [AV_FAIL] = PC_SPF_FAIL,         [AV_SOFTFAIL] = PC_SPF_SOFTFAIL,
        [AV_NEUTRAL] = PC_SPF_NEUTRAL,   [AV_TEMPERROR] = PC_SPF_TEMPERROR,
        [AV_PERMERROR] = PC_SPF_PERMERROR, [AV_POLICY] = PC_SPF_NEUTRAL,
    };
    if (r->spf_ran && (unsigned)r->spf.result < AV__COUNT) {
        st->c[by_verdict[r->spf.result]]++;
    }
    if (r->recorded_ran && r->recorded.found) {
        st->c[PC_RECORDED]++;
        st->c[PC_RECORDED_DISAGREE] += r->disagree_spf || r->disagree_dkim;
    }
}

/* ---- DMARC and the class label -------------------------------------------------------- */

struct pipe_domains {
    struct shmap *map;
    pthread_mutex_t list_lock; /* guards the list of entries (for pipe_domains_list) */
    struct dom_entry *all;
};

struct dom_entry {
    struct dom_entry *next;
    slice domain;
    _Atomic uint64_t n[PIPE_N_CLASSES];
};

static void dom_free(void *p)
{
    struct dom_entry *e = p;
    xfree((void *)e->domain.ptr);
    xfree(e);
}

struct pipe_domains *pipe_domains_new(void)
{
    struct pipe_domains *d = xcalloc(1, sizeof(*d));
    d->map = shmap_new(1000000, dom_free);
    pthread_mutex_init(&d->list_lock, NULL);
    return d;
}

void pipe_domains_free(struct pipe_domains *d)
{
    if (d == NULL) {
        return;
    }
    shmap_free(d->map);
    pthread_mutex_destroy(&d->list_lock);
    xfree(d);
}

static void domains_count(struct pipe_domains *d, slice domain, enum dmarc_class c)
{
    if (d == NULL) {
        return;
    }
    if (domain.ptr == NULL) {
        domain = SLICE_LIT("(none)");
    }
    uint64_t h = shmap_hash(domain);
    struct dom_entry *e = shmap_get(d->map, domain, h);
    if (e == NULL) {
        struct dom_entry *ne = xcalloc(1, sizeof(*ne));
        ne->domain = xdup(domain);
        e = shmap_put(d->map, domain, h, ne);
        if (e == NULL) { /* full: counted overall only */
            dom_free(ne);
            return;
        }
        if (e == ne) {
            pthread_mutex_lock(&d->list_lock);
            ne->next = d->all;
            d->all = ne;
            pthread_mutex_unlock(&d->list_lock);
        }
    }
    atomic_fetch_add_explicit(&e->n[c], 1, memory_order_relaxed);
}

static int dom_cmp(const void *pa, const void *pb)
{
    const struct pipe_domain_count *a = pa, *b = pb;
    if (a->total != b->total) {
        return a->total < b->total ? 1 : -1;
    }
    size_t n = a->domain.len < b->domain.len ? a->domain.len : b->domain.len;
    int c = memcmp(a->domain.ptr, b->domain.ptr, n);
    return c ? c : (a->domain.len > b->domain.len) - (a->domain.len < b->domain.len);
}

struct pipe_domain_count *pipe_domains_list(struct pipe_domains *d, size_t *out_n)
{
    size_t n = 0;
    pthread_mutex_lock(&d->list_lock);
    for (struct dom_entry *e = d->all; e; e = e->next) {
        n++;
    }
    struct pipe_domain_count *v = xcalloc(n ? n : 1, sizeof(*v));
    size_t i = 0;
    for (struct dom_entry *e = d->all; e; e = e->next, i++) {
        v[i].domain = e->domain;
        for (int k = 0; k < PIPE_N_CLASSES; k++) {
            v[i].n[k] = atomic_load_explicit(&e->n[k], memory_order_relaxed);
            v[i].total += v[i].n[k];
        }
    }
    pthread_mutex_unlock(&d->list_lock);
    qsort(v, n, sizeof(*v), dom_cmp);
    *out_n = n;
    return v;
}

/* run_dmarc evaluates DMARC from the results already in r (no second evaluation). The
 * message key for RFC 7489 pct sampling is the Message-ID, else source and index. */
static bool run_dmarc(struct pipe_worker *w, struct msg_result *r)
{
    struct arena *a = w->arena;
    slice key = r->message_id;
    if (!r->has_message_id || key.len == 0) {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "#%llu", (unsigned long long)r->in->index);
        size_t sl = 0;
        while (r->in->source[sl]) {
            sl++;
        }
        uint8_t *k = arena_alloc(a, sl + (size_t)n);
        memcpy(k, r->in->source, sl);
        memcpy(k + sl, buf, (size_t)n);
        key = slice_make(k, sl + (size_t)n);
    }
    struct dmarc_input in = {
        .from_domain = r->has_from_domain ? r->from_domain : SLICE_NULL,
        .from_error = r->from_error,
        .sigs = r->dkim.sig,
        .n_sigs = r->dkim.n,
        .spf_ran = r->spf_ran && r->spf_has_ip && r->spf_has_mailfrom,
        .spf_result = r->spf.result,
        .spf_domain = r->spf.domain,
        .msg_key = key,
    };
    dmarc_evaluate(w->cfg->dmarc, a, w->cfg->resolver, &in, &r->dmarc, &r->dmarc_other);
    if (r->dmarc.pending) {
        return false;
    }
    r->dmarc_ran = true;
    /* Local policy (RFC 9989 §7.3, RFC 8617 §7.2.1): a failing message whose intact ARC
     * chain carries a trusted forwarder's dmarc=pass is delivered; the result stays fail. */
    slice by;
    if (r->dmarc.result == AV_FAIL && r->arc_ran && w->cfg->n_arc_trusted > 0 &&
        arc_trusted_dmarc_pass(&r->arc, w->cfg->arc_trusted, w->cfg->n_arc_trusted, &by)) {
        dmarc_apply_override(&r->dmarc, by);
    }
    return true;
}

static const char *input_err_code(enum input_err e)
{
    switch (e) {
    case INPUT_OK:
        return NULL;
    case INPUT_E_TOO_BIG:
        return "message_too_big";
    case INPUT_E_READ:
        return "read_error";
    case INPUT__ERR_COUNT:
        break;
    }
    return "input_error";
}

static void count_dkim(const struct dkim_report *d, struct pipe_stats *st)
{
    bool any_pass = false;
    st->c[PC_SIGS] += d->n_fields;
    if (d->n_fields == 0) {
        st->c[PC_NO_DKIM]++;
    }
    for (size_t i = 0; i < d->n; i++) {
        enum pipe_counter c = PC_SIG_PERMERROR;
        switch (d->sig[i].result) {
        case AV_PASS:
            c = PC_SIG_PASS;
            any_pass = true;
            break;
        case AV_FAIL:
            c = PC_SIG_FAIL;
            break;
        case AV_POLICY:
            c = PC_SIG_POLICY;
            break;
        case AV_NEUTRAL:
            c = PC_SIG_NEUTRAL;
            break;
        case AV_TEMPERROR:
            c = PC_SIG_TEMPERROR;
            break;
        case AV_NONE:
        case AV_SOFTFAIL:
        case AV_PERMERROR:
        case AV__COUNT:
            break;
        }
        st->c[c]++;
    }
    st->c[PC_SIG_NEUTRAL] += d->n_fields - d->n; /* unlisted ones were skipped too */
    st->c[PC_MSG_DKIM_PASS] += any_pass;
}

/* write_output appends r in the configured format. False when the limit was hit. */
static bool write_output(struct pipe_worker *w, struct sbuf *out, const struct msg_result *r)
{
    /* One allocation for a typical record (about 1.3 KB of JSON) instead of growing from
     * 256 bytes by doubling. A failed reserve is the limit, reported by the writer below. */
    if (out->cap == 0 && !sbuf_reserve(out, 2048)) {
        return false;
    }
    switch (w->cfg->format) {
    case RECORD_FMT_AR:
        return ar_block(out, w->arena, w->cfg->ar, r);
    case RECORD_FMT_CSV:
        return csv_row(out, r);
    case RECORD_FMT_JSON:
        break;
    }
    return record_write(out, r);
}

bool pipe_message(struct pipe_worker *w, const struct input_msg *m, struct sbuf *out,
                  struct pipe_stats *st)
{
    return pipe_message_ex(w, m, out, NULL, st);
}

static bool pipe_message_pre(struct pipe_worker *w, const struct input_msg *m,
                             const struct prehash_msg *pre, struct sbuf *out,
                             struct sbuf *out_header, struct pipe_stats *st);

bool pipe_message_ex(struct pipe_worker *w, const struct input_msg *m, struct sbuf *out,
                     struct sbuf *out_header, struct pipe_stats *st)
{
    return pipe_message_pre(w, m, NULL, out, out_header, st);
}

/* pipe_message_pre: pre (may be NULL) is what the batch's prehash pass left for m: its
 * header index and body-hash seeds. */
static bool pipe_message_pre(struct pipe_worker *w, const struct input_msg *m,
                             const struct prehash_msg *pre, struct sbuf *out,
                             struct sbuf *out_header, struct pipe_stats *st)
{
    struct arena *a = w->arena;
    arena_reset(a); /* the one reset per message */
    struct msg_result r;
    memset(&r, 0, sizeof(r));
    r.in = m;
    if (m->err != INPUT_OK) {
        r.error_code = input_err_code(m->err);
        r.error_detail = m->err_detail;
    } else {
        struct hdr_index h;
        enum hdr_status hs;
        if (pre != NULL && pre->parsed) {
            h = pre->h;
            hs = pre->status;
        } else {
            hs = hdr_parse(a, &h, m->raw);
        }
        find_message_id(a, &h, &r);
        if (hs == HDR_TOO_MANY_FIELDS || hs == HDR_FIELD_TOO_LONG) {
            r.error_code = hdr_status_name(hs);
            r.error_detail = hs == HDR_TOO_MANY_FIELDS ? "more header fields than the limit"
                                                       : "a header field over the size limit";
        } else {
            find_from_domain(a, &h, &r);
            struct rcv_memo rmemo;
            choose_as_of(w->cfg, m, &h, &r, &rmemo);
            struct dkim_opts o = w->cfg->dkim;
            o.now = r.as_of;
            /* DKIM and ARC share one body-hash memo: each body hash is computed once. */
            struct dkim_body_memo *memo = dkim_body_memo_new(a);
            dkim_body_memo_seed(memo, pre != NULL ? &pre->seeds : NULL);
            dkim_verify_message_memo(w->dkim, a, w->cfg->resolver, w->cfg->keys, &o, &h, memo,
                                     &r.dkim);
            if (r.dkim.pending) {
                return false;
            }
            r.dkim_ran = true;
            if (w->cfg->arc) {
                arc_verify_message(w->dkim, a, w->cfg->resolver, w->cfg->keys, &o, &h, memo,
                                   &r.arc);
                if (r.arc.pending) {
                    return false;
                }
                r.arc_ran = true;
            }
            if (w->cfg->spf && !run_spf(w, &h, &r, &rmemo)) {
                return false;
            }
            if (w->cfg->dmarc && !run_dmarc(w, &r)) {
                return false;
            }
            if (w->cfg->n_trusted_ids > 0) {
                r.recorded_ran = true;
                authres_recorded_get(a, &r.recorded, &h, w->cfg->trusted_ids,
                                     w->cfg->n_trusted_ids);
                compare_recorded(&r);
            }
        }
    }
    /* Done: count and write. */
    st->c[PC_MESSAGES]++;
    if (r.dkim_ran) {
        count_dkim(&r.dkim, st);
    }
    count_spf(&r, st);
    if (r.arc_ran && r.arc.result != AV_NONE) {
        st->c[r.arc.result == AV_PASS ? PC_ARC_PASS : PC_ARC_FAIL]++;
    }
    if (r.dmarc_ran && r.dmarc.override != NULL) {
        st->c[PC_DMARC_OVERRIDDEN]++;
    }
    enum dmarc_class cls = r.dmarc_ran ? dmarc_class(&r.dmarc) : DMARC_C_UNDETERMINED;
    r.klass = dmarc_class_name(cls);
    r.cls = cls;
    st->c[PC_CLASS_AUTHENTICATED + (int)cls]++;
    if (r.dmarc_ran && r.dmarc.differs) {
        st->c[PC_DMARC_MODES_DIFFER]++;
    }
    domains_count(w->cfg->domains, r.dmarc_ran ? r.dmarc.domain : r.from_domain, cls);
    if (r.error_code) {
        st->c[PC_ERRORS]++;
    }
    /* Side outputs: counted here, on the worker, while r's slices are valid. */
    if (w->cfg->agg) {
        agg_add(w->cfg->agg, a, &r);
    }
    if (w->cfg->summary) {
        summ_add(w->cfg->summary, &r);
    }
    if (out_header != NULL) {
        size_t hm = out_header->len;
        if (!ar_header(out_header, a, w->cfg->ar, &r)) {
            out_header->len = hm; /* past AR_HEADER_MAX (cannot happen): the bare field */
            struct msg_result e = { .in = m };
            if (!ar_header(out_header, a, w->cfg->ar, &e)) {
                abort();
            }
        }
    }
    size_t mark = out->len;
    if (!write_output(w, out, &r)) {
        /* The record would pass LIM_RECORD_BYTES: say so instead, never drop it. */
        out->len = mark;
        struct msg_result e = { .in = m,
                                .klass = dmarc_class_name(DMARC_C_UNDETERMINED),
                                .cls = DMARC_C_UNDETERMINED,
                                .error_code = "record_too_large",
                                .error_detail = "the record passed the output size limit" };
        if (!write_output(w, out, &e)) {
            abort(); /* a bare record always fits */
        }
    }
    st->c[PC_RECORDS]++;
    return true;
}

/* ---- threads ---------------------------------------------------------------------------- */

struct batch {
    uint64_t seq;
    size_t n;
    size_t bytes;
    size_t n_left;                     /* messages not yet finished (worker-private) */
    struct input_msg msgs[LIM_BATCH_MESSAGES];
    bool finished[LIM_BATCH_MESSAGES]; /* worker-private */
    struct sbuf rec[LIM_BATCH_MESSAGES];
    struct sbuf hdr[LIM_BATCH_MESSAGES]; /* --annotate: each message's A-R field */
    struct prehash_msg pre[LIM_BATCH_MESSAGES]; /* worker-private: prehash's results */
    struct arena *pre_arena;                    /* their header indexes (worker-private) */
    struct sbuf out;                   /* the records in order, once done */
    struct batch *next;                /* queue link; then the worker's held list */
    bool done;
};

struct pipe_shared {
    const struct pipe_config *cfg;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    struct batch *queue_head, *queue_tail; /* waiting for a worker */
    size_t queue_len;
    struct batch **ring;                   /* in flight, by seq % cap */
    size_t cap, inflight;
    size_t read_ahead;                     /* a worker reads while fewer batches wait */
    bool reader_busy;                      /* the read token: one worker reads at a time */
    uint64_t next_write;
    bool reading_finished;
    uint64_t n_batches;
    struct pipe_stats *worker_stats;
    FILE *out;
    bool write_failed;
    int write_errno;
    struct input_set *in;
    const struct pipe_progress *progress;
    const struct pipe_control *ctl;
    uint64_t written_msgs;
    /* The reader's own state: touched only by the worker holding the read token. */
    uint64_t n_read;
    bool interrupted, mismatch;
};

struct worker_arg {
    struct pipe_shared *sh;
    size_t id;
};

/* run_batch_messages runs every unfinished message of b once; returns how many finished. */
static size_t run_batch_messages(struct pipe_worker *w, struct batch *b, struct pipe_stats *st)
{
    size_t done = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->finished[i]) {
            continue;
        }
        struct sbuf *hdr = w->cfg->annotate ? &b->hdr[i] : NULL;
        const struct prehash_msg *pre = b->pre_arena != NULL ? &b->pre[i] : NULL;
        if (pipe_message_pre(w, &b->msgs[i], pre, &b->rec[i], hdr, st)) {
            b->finished[i] = true;
            input_msg_free(&b->msgs[i]);
            b->n_left--;
            done++;
        }
    }
    return done;
}

static void batch_finish(struct pipe_shared *sh, struct batch *b)
{
    arena_free(b->pre_arena); /* every message is done with its header index */
    b->pre_arena = NULL;
    size_t total = 0;
    for (size_t i = 0; i < b->n; i++) {
        total += b->rec[i].len;
    }
    if (!sbuf_reserve(&b->out, total)) {
        abort(); /* cannot happen: out's limit is the sum of the records' limits */
    }
    for (size_t i = 0; i < b->n; i++) {
        if (!sbuf_append(&b->out, b->rec[i].ptr, b->rec[i].len)) {
            abort(); /* cannot happen: out's limit is the sum of the records' limits */
        }
        sbuf_cleanup(&b->rec[i]);
    }
    pthread_mutex_lock(&sh->lock);
    b->done = true;
    pthread_cond_broadcast(&sh->done);
    pthread_mutex_unlock(&sh->lock);
}

static void *writer_main(void *p)
{
    struct pipe_shared *sh = p;
    struct timespec last = { 0 };
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        struct batch *b;
        for (;;) {
            b = sh->inflight ? sh->ring[sh->next_write % sh->cap] : NULL;
            if (b && b->seq == sh->next_write && b->done) {
                break;
            }
            if (sh->reading_finished && sh->next_write == sh->n_batches) {
                b = NULL;
                break;
            }
            pthread_cond_wait(&sh->done, &sh->lock);
        }
        pthread_mutex_unlock(&sh->lock);
        if (b == NULL) {
            break;
        }
        if (!sh->write_failed && b->out.len &&
            (fwrite(b->out.ptr, 1, b->out.len, sh->out) != b->out.len || fflush(sh->out) != 0)) {
            int e = errno;
            pthread_mutex_lock(&sh->lock);
            sh->write_failed = true;
            sh->write_errno = e;
            pthread_mutex_unlock(&sh->lock);
        }
        /* --annotate: in input order, here on the writer; message bytes are read again
         * from the input files through one bounded buffer (engine/report/annotate.h). */
        for (size_t i = 0; i < b->n; i++) {
            if (sh->cfg->annotate) {
                annot_message(sh->cfg->annotate, &b->msgs[i], sbuf_slice(&b->hdr[i]));
            }
            sbuf_cleanup(&b->hdr[i]);
        }
        sh->written_msgs += b->n;
        sbuf_cleanup(&b->out);
        pthread_mutex_lock(&sh->lock);
        sh->ring[sh->next_write % sh->cap] = NULL;
        sh->next_write++;
        sh->inflight--;
        pthread_cond_broadcast(&sh->work); /* room to read again */
        pthread_mutex_unlock(&sh->lock);
        xfree(b);
        if (sh->progress && sh->progress->fn) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 >= 200) {
                last = now;
                sh->progress->fn(sh->progress->ctx, sh->written_msgs, input_bytes_read(sh->in),
                                 input_bytes_total(sh->in));
            }
        }
    }
    return NULL;
}

static struct batch *batch_new(void)
{
    struct batch *b = xcalloc(1, sizeof(*b));
    sbuf_init(&b->out, (size_t)LIM_RECORD_BYTES * LIM_BATCH_MESSAGES);
    for (size_t i = 0; i < LIM_BATCH_MESSAGES; i++) {
        sbuf_init(&b->rec[i], LIM_RECORD_BYTES);
        sbuf_init(&b->hdr[i], AR_HEADER_MAX);
    }
    return b;
}

static bool stopping(const struct pipe_control *ctl, struct pipe_shared *sh)
{
    if (ctl && ctl->stop && atomic_load_explicit(ctl->stop, memory_order_relaxed)) {
        return true;
    }
    pthread_mutex_lock(&sh->lock);
    bool failed = sh->write_failed; /* no point reading on once the output is gone */
    pthread_mutex_unlock(&sh->lock);
    return failed;
}

/* ---- the read token ----------------------------------------------------------------------
 *
 * No thread is kept for reading alone: the input is sequential, so whichever worker finds
 * too few batches waiting takes the read token, reads and splits one batch, and goes back
 * to verifying. `--threads N` is thus N threads doing all of the work (stages 1-8), with no
 * reader competing with them for the cores; the writer thread only copies finished records
 * out. (A dedicated reader thread, measured: ~12% of the CPU time, on a core of its own in
 * a 1-thread run, and a third runnable thread on 2 cores in a 2-thread run, where it cost
 * ~7,000 involuntary context switches per 200,000 messages.) */

/* read_batch reads and splits the next batch; the caller holds the read token. *end is set
 * once the input is exhausted or reading stops; the batch may then be empty. */
static struct batch *read_batch(struct pipe_shared *sh, bool *end)
{
    const struct pipe_control *ctl = sh->ctl;
    struct batch *b = batch_new();
    struct input_msg m;
    *end = false;
    while (b->n < LIM_BATCH_MESSAGES && b->bytes < LIM_BATCH_BYTES) {
        if (stopping(ctl, sh)) {
            sh->interrupted = true;
            *end = true;
            break;
        }
        /* A live feed that pauses: what has come so far goes on at once. */
        bool would_block = false;
        if (!(b->n > 0 ? input_next_nowait(sh->in, &m, &would_block) : input_next(sh->in, &m))) {
            *end = !would_block;
            break;
        }
        if (ctl && sh->n_read < ctl->skip) {
            /* Resuming: this message's record is already in the output. */
            bool ok = ctl->skip_check == NULL || ctl->skip_check(ctl->ctx, sh->n_read, &m);
            sh->n_read++;
            input_msg_free(&m);
            if (!ok) {
                sh->mismatch = true;
                *end = true;
                break;
            }
            continue;
        }
        sh->n_read++;
        b->msgs[b->n++] = m;
        b->bytes += m.raw.len;
    }
    if (sh->interrupted || sh->mismatch) {
        input_stop_reading(sh->in); /* no read may outlive this thread */
    }
    return b;
}

/* submit_read queues what read_batch gave and hands the read token back (lock held). */
static void submit_read(struct pipe_shared *sh, struct batch *b, bool end)
{
    sh->reader_busy = false;
    if (b->n) {
        b->seq = sh->n_batches++;
        sh->ring[b->seq % sh->cap] = b; /* room: the token was taken with inflight < cap */
        sh->inflight++;
        if (sh->queue_tail) {
            sh->queue_tail->next = b;
        } else {
            sh->queue_head = b;
        }
        sh->queue_tail = b;
        sh->queue_len++;
    } else {
        sbuf_cleanup(&b->out);
        xfree(b);
    }
    if (end) {
        sh->reading_finished = true;
        pthread_cond_broadcast(&sh->done); /* the writer may be waiting for the end */
    }
    pthread_cond_broadcast(&sh->work);
}

enum worker_step { STEP_READ, STEP_BATCH, STEP_PARKED, STEP_EXIT };

/* next_step chooses a worker's next step, waiting if there is none (lock held). Reading
 * comes first while fewer than read_ahead batches wait, so a worker that finishes a batch
 * finds the next one ready; then new batches (unless the worker already holds its limit
 * of parked ones); then the parked batches. But a live feed that has nothing to give is
 * read only by a worker with nothing else to do: reading would wait there, holding up the
 * batches queued or parked. (input_would_block touches the input's state: safe here, as
 * nobody holds the read token and the lock orders this after the last reader.) */
static enum worker_step next_step(struct pipe_shared *sh, size_t n_held, struct batch **out)
{
    for (;;) {
        bool other_work = sh->queue_head != NULL || n_held > 0; /* a batch to run or re-run */
        if (!sh->reading_finished && !sh->reader_busy && sh->inflight < sh->cap &&
            sh->queue_len < sh->read_ahead && (!other_work || !input_would_block(sh->in))) {
            sh->reader_busy = true;
            return STEP_READ;
        }
        if (sh->queue_head != NULL && n_held < LIM_PARKED_BATCHES_PER_WORKER) {
            struct batch *b = sh->queue_head;
            sh->queue_head = b->next;
            if (sh->queue_head == NULL) {
                sh->queue_tail = NULL;
            }
            sh->queue_len--;
            b->next = NULL;
            *out = b;
            return STEP_BATCH;
        }
        if (n_held > 0) {
            return STEP_PARKED;
        }
        if (sh->reading_finished && sh->queue_head == NULL) {
            return STEP_EXIT;
        }
        pthread_cond_wait(&sh->work, &sh->lock);
    }
}

static void *worker_main(void *p)
{
    struct worker_arg *wa = p;
    struct pipe_shared *sh = wa->sh;
    struct pipe_worker *w = pipe_worker_new(sh->cfg);
    struct pipe_stats *st = &sh->worker_stats[wa->id];
    struct batch *held = NULL; /* batches with messages waiting on DNS */
    size_t n_held = 0;
    for (;;) {
        struct batch *b = NULL;
        pthread_mutex_lock(&sh->lock);
        enum worker_step step = next_step(sh, n_held, &b);
        pthread_mutex_unlock(&sh->lock);
        if (step == STEP_EXIT) {
            break;
        }
        if (step == STEP_READ) {
            bool end;
            b = read_batch(sh, &end);
            pthread_mutex_lock(&sh->lock);
            submit_read(sh, b, end);
            pthread_mutex_unlock(&sh->lock);
            continue;
        }
        if (step == STEP_BATCH) {
            b->n_left = b->n;
            if (!sh->cfg->stream_body_hash) {
                b->pre_arena = arena_new(0);
                prehash_batch(w->pre, b->pre_arena, b->msgs, b->n, b->pre);
            }
            run_batch_messages(w, b, st);
            if (b->n_left == 0) {
                batch_finish(sh, b);
            } else {
                b->next = held;
                held = b;
                n_held++;
            }
            continue;
        }
        /* Something waits on DNS: wait for progress, then re-run what is parked. */
        (void)dns_wait(sh->cfg->resolver, (int)LIM_DNS_WAIT_MS);
        struct batch **pp = &held;
        while (*pp) {
            b = *pp;
            run_batch_messages(w, b, st);
            if (b->n_left == 0) {
                *pp = b->next;
                n_held--;
                batch_finish(sh, b);
            } else {
                pp = &b->next;
            }
        }
    }
    pipe_worker_free(w);
    return NULL;
}

enum pipe_outcome pipe_run(const struct pipe_config *cfg, struct input_set *in, FILE *out,
                           const struct pipe_progress *progress, const struct pipe_control *ctl,
                           struct pipe_stats *st)
{
    unsigned n = cfg->threads ? cfg->threads : 1;
    struct pipe_shared sh = { .cfg = cfg, .out = out, .in = in, .progress = progress, .ctl = ctl };
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.work, NULL);
    pthread_cond_init(&sh.done, NULL);
    sh.cap = (size_t)n * LIM_INFLIGHT_BATCHES_PER_THREAD;
    sh.read_ahead = (size_t)n + 1 < sh.cap ? (size_t)n + 1 : sh.cap;
    sh.ring = xcalloc(sh.cap, sizeof(*sh.ring));
    sh.worker_stats = xcalloc(n, sizeof(*sh.worker_stats));
    pthread_t *tids = xcalloc(n, sizeof(*tids));
    struct worker_arg *args = xcalloc(n, sizeof(*args));
    for (unsigned i = 0; i < n; i++) {
        args[i] = (struct worker_arg){ &sh, i };
        pthread_create(&tids[i], NULL, worker_main, &args[i]);
    }
    pthread_t wt;
    pthread_create(&wt, NULL, writer_main, &sh);
    for (unsigned i = 0; i < n; i++) {
        pthread_join(tids[i], NULL);
    }
    pthread_join(wt, NULL);
    bool interrupted = sh.interrupted, mismatch = sh.mismatch;
    uint64_t n_read = sh.n_read;
    if (progress && progress->fn) {
        progress->fn(progress->ctx, sh.written_msgs, input_bytes_read(in), input_bytes_total(in));
    }
    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < n; i++) {
        for (size_t k = 0; k < PC__COUNT; k++) {
            st->c[k] += sh.worker_stats[i].c[k];
        }
    }
    xfree(tids);
    xfree(args);
    xfree(sh.ring);
    xfree(sh.worker_stats);
    pthread_mutex_destroy(&sh.lock);
    pthread_cond_destroy(&sh.work);
    pthread_cond_destroy(&sh.done);
    if (fflush(out) != 0 && !sh.write_failed) {
        sh.write_failed = true;
        sh.write_errno = errno;
    }
    if (sh.write_failed) {
        errno = sh.write_errno;
        return PIPE_WRITE_FAILED;
    }
    if (mismatch) {
        return PIPE_SKIP_MISMATCH;
    }
    if (ctl && n_read < ctl->skip && !interrupted) {
        return PIPE_SKIP_MISMATCH; /* the output holds more records than the inputs give */
    }
    return interrupted ? PIPE_INTERRUPTED : PIPE_DONE;
}
