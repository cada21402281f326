/* getdns.c: the live DNS backend of the cache (live.h), and the wire-reply parser. The only
 * file that includes getdns.
 *
 * Threads: workers call submit (through the cache), which appends the query to b->queue
 * under b->qlock and writes the eventfd. The DNS thread, the only user of the getdns context
 * after dnslive_new returns, sleeps in the event loop; the eventfd's read callback moves
 * queued queries into getdns (at most max_inflight at once), and getdns's callbacks parse the
 * replies and call dnscache_complete. Shutdown is a flag plus a wake-up; the thread cancels
 * what is outstanding (completing it as DNS_TIMEOUT), and the context is destroyed after the
 * join, so it never has two users. */
#include "dns/live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/core/sbuf.h"

/* =======================================================================================
 * Reply parsing (RFC 1035 §4.1), bounded: every read is checked against the message length.
 * ======================================================================================= */

#define PR_MAX_HOPS 64u /* compression pointers followed in one name */

/* pr_name reads the (possibly compressed) name at msg[*off] into out as uncompressed,
 * lower-case wire form, and moves *off past it. RFC 1035 §4.1.4: a pointer's target must lie
 * strictly before the previous target (so the walk always ends); extended label types
 * (RFC 6891 §5) are refused. */
static bool pr_name(slice msg, size_t *off, uint8_t *out, size_t *out_len)
{
    size_t pos = *off, len = 0, after = SIZE_MAX, limit = *off;
    unsigned hops = 0;
    for (;;) {
        if (pos >= msg.len) {
            return false;
        }
        uint8_t c = msg.ptr[pos];
        if ((c & 0xC0) == 0xC0) {
            if (pos + 1 >= msg.len || ++hops > PR_MAX_HOPS) {
                return false;
            }
            size_t target = (size_t)(c & 0x3F) << 8 | msg.ptr[pos + 1];
            if (target >= limit) {
                return false;
            }
            after = after == SIZE_MAX ? pos + 2 : after;
            limit = pos = target;
            continue;
        }
        if ((c & 0xC0) != 0 || pos + 1 + (size_t)c > msg.len ||
            len + 1 + (size_t)c > LIM_DNS_NAME_BYTES) {
            return false;
        }
        out[len++] = c;
        for (size_t i = 1; i <= c; i++) {
            out[len++] = slice_lower(msg.ptr[pos + i]);
        }
        pos += 1 + (size_t)c;
        if (c == 0) {
            break;
        }
    }
    *off = after == SIZE_MAX ? pos : after;
    *out_len = len;
    return true;
}

static bool pr_u16(slice msg, size_t *off, uint16_t *v)
{
    if (*off + 2 > msg.len) {
        return false;
    }
    *v = (uint16_t)(msg.ptr[*off] << 8 | msg.ptr[*off + 1]);
    *off += 2;
    return true;
}

static bool pr_u32(slice msg, size_t *off, uint32_t *v)
{
    if (*off + 4 > msg.len) {
        return false;
    }
    const uint8_t *p = msg.ptr + *off;
    *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    *off += 4;
    return true;
}

struct pr_rr {
    size_t owner_at, rd_at; /* offsets into the scratch buffer */
    uint8_t owner_len;
    uint16_t type, cls, rdlen;
    uint32_t ttl;
};

struct pr_state {
    slice msg;
    struct sbuf scratch; /* owners and expanded rdata */
    struct pr_rr *rr;
    size_t n_rr, cap_rr;
};

/* pr_rdata copies the rdata of one record into the scratch buffer, expanding compressed
 * names in the types RFC 3597 §4 allows to be compressed, so that stored rdata is always
 * uncompressed (dns.h). Names in rdata are lower-cased, as the snapshot loader stores them. */
static bool pr_rdata(struct pr_state *st, uint16_t type, size_t off, size_t rdlen,
                     struct pr_rr *out)
{
    slice rd = slice_make(st->msg.ptr, off + rdlen); /* names may point back, not forward */
    size_t end = off + rdlen, at = off;
    uint8_t name[LIM_DNS_NAME_BYTES];
    size_t n, start = st->scratch.len;
    bool ok = true;
    switch (type) {
    case DNS_T_CNAME:
    case DNS_T_NS:
    case DNS_T_PTR:
        ok = pr_name(rd, &at, name, &n) && at == end && sbuf_append(&st->scratch, name, n);
        break;
    case DNS_T_MX:
        ok = rdlen >= 3 && sbuf_append(&st->scratch, st->msg.ptr + off, 2);
        at += 2;
        ok = ok && pr_name(rd, &at, name, &n) && at == end && sbuf_append(&st->scratch, name, n);
        break;
    case DNS_T_SOA:
        ok = pr_name(rd, &at, name, &n) && sbuf_append(&st->scratch, name, n) &&
             pr_name(rd, &at, name, &n) && sbuf_append(&st->scratch, name, n) &&
             at + 20 == end && sbuf_append(&st->scratch, st->msg.ptr + at, 20);
        break;
    default:
        ok = sbuf_append(&st->scratch, st->msg.ptr + off, rdlen);
        break;
    }
    size_t len = st->scratch.len - start;
    if (!ok || len > UINT16_MAX) {
        return false;
    }
    out->rd_at = start;
    out->rdlen = (uint16_t)len;
    return true;
}

/* pr_section reads count records at *off; keep says whether to store them. */
static bool pr_section(struct pr_state *st, size_t *off, uint16_t count, bool keep)
{
    for (uint16_t i = 0; i < count; i++) {
        uint8_t owner[LIM_DNS_NAME_BYTES];
        size_t olen;
        struct pr_rr r = { 0 };
        uint16_t rdlen;
        if (!pr_name(st->msg, off, owner, &olen) || !pr_u16(st->msg, off, &r.type) ||
            !pr_u16(st->msg, off, &r.cls) || !pr_u32(st->msg, off, &r.ttl) ||
            !pr_u16(st->msg, off, &rdlen) || *off + rdlen > st->msg.len) {
            return false;
        }
        r.ttl = (r.ttl & 0x80000000u) ? 0 : r.ttl; /* RFC 2181 §8 */
        r.owner_at = st->scratch.len;
        r.owner_len = (uint8_t)olen;
        if (keep && r.type != 41 /* OPT */) {
            if (!sbuf_append(&st->scratch, owner, olen) || !pr_rdata(st, r.type, *off, rdlen, &r)) {
                return false;
            }
            if (st->n_rr == st->cap_rr) {
                st->cap_rr = st->cap_rr ? st->cap_rr * 2 : 16;
                st->rr = xrealloc(st->rr, st->cap_rr * sizeof(*st->rr));
            }
            st->rr[st->n_rr++] = r;
        }
        *off += rdlen;
    }
    return true;
}

static slice pr_owner(const struct pr_state *st, const struct pr_rr *r)
{
    return slice_make(st->scratch.ptr + r->owner_at, r->owner_len);
}

static slice pr_rd(const struct pr_state *st, const struct pr_rr *r)
{
    return slice_make(st->scratch.ptr + r->rd_at, r->rdlen);
}

/* pr_shape_ok: the record of a type checks read is well formed (what the snapshot loader
 * would accept), so that checks and recordings only ever see sound rdata. */
static bool pr_shape_ok(uint16_t type, slice rd)
{
    switch (type) {
    case DNS_T_A:
        return rd.len == 4;
    case DNS_T_AAAA:
        return rd.len == 16;
    case DNS_T_TXT:
    case DNS_T_SPF: {
        size_t off = 0;
        if (rd.len == 0) {
            return false;
        }
        while (off < rd.len) {
            off += (size_t)rd.ptr[off] + 1;
        }
        return off == rd.len;
    }
    default:
        return true;
    }
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* pr_soa_ttl: RFC 2308 §5, the negative TTL is min(SOA TTL, SOA MINIMUM). */
static uint32_t pr_soa_ttl(const struct pr_state *st, size_t from)
{
    for (size_t i = from; i < st->n_rr; i++) {
        if (st->rr[i].type == DNS_T_SOA && st->rr[i].rdlen >= 4) {
            slice rd = pr_rd(st, &st->rr[i]);
            size_t m = rd.len - 4;
            uint32_t min = (uint32_t)rd.ptr[m] << 24 | (uint32_t)rd.ptr[m + 1] << 16 |
                           (uint32_t)rd.ptr[m + 2] << 8 | rd.ptr[m + 3];
            return min_u32(st->rr[i].ttl, min);
        }
    }
    return DNSCACHE_NEG_TTL;
}

static struct dnscache_answer *pr_fail(slice qname, uint16_t qtype)
{
    return dnscache_answer_new(DNS_SERVFAIL, qtype, qname, NULL, NULL, 0, NULL, 0, 0);
}

/* pr_follow walks the answer section from the qname (RFC 1034 §3.6.2, RFC 2308 §2.1: the
 * rcode is about the last name of the chain) and builds the answer. */
static struct dnscache_answer *pr_follow(struct pr_state *st, size_t n_answer, unsigned rcode,
                                         slice qname, const uint8_t *qwire, size_t qwlen,
                                         uint16_t qtype)
{
    slice chain[LIM_DNS_CNAME_CHAIN + 1];
    uint32_t chain_ttl[LIM_DNS_CNAME_CHAIN + 1] = { 0 };
    struct dns_rr rr[LIM_DNS_RRS_PER_ANSWER];
    size_t n = 0;
    uint32_t n_cname = 0, ttl = UINT32_MAX;
    chain[0] = slice_make(qwire, qwlen);
    for (;;) {
        slice cur = chain[n_cname];
        const struct pr_rr *cname = NULL;
        for (size_t i = 0; i < n_answer; i++) {
            const struct pr_rr *r = &st->rr[i];
            if (r->cls != 1 || !slice_eq(pr_owner(st, r), cur)) {
                continue;
            }
            if (r->type == qtype) {
                slice rd = pr_rd(st, r);
                bool dup = false; /* RFC 2181 §5: an RRset has no duplicates */
                for (size_t k = 0; k < n && !dup; k++) {
                    dup = rr[k].rdlen == rd.len && memcmp(rr[k].rdata, rd.ptr, rd.len) == 0;
                }
                if (!pr_shape_ok(qtype, rd) || (!dup && n == LIM_DNS_RRS_PER_ANSWER)) {
                    return pr_fail(qname, qtype);
                }
                if (!dup) {
                    rr[n++] = (struct dns_rr){ qtype, r->rdlen, r->ttl, rd.ptr };
                    ttl = min_u32(ttl, r->ttl);
                }
            } else if (r->type == DNS_T_CNAME && cname == NULL) {
                cname = r;
            }
        }
        if (n > 0 || cname == NULL || qtype == DNS_T_CNAME) {
            break;
        }
        if (n_cname == LIM_DNS_CNAME_CHAIN) {
            return pr_fail(qname, qtype); /* too long, or a loop */
        }
        chain_ttl[n_cname] = cname->ttl;
        ttl = min_u32(ttl, cname->ttl);
        chain[++n_cname] = pr_rd(st, cname);
    }
    enum dns_status status = DNS_OK;
    if (n == 0) {
        if (rcode != 0 && rcode != 3) {
            return pr_fail(qname, qtype);
        }
        status = rcode == 3 ? DNS_NXDOMAIN : DNS_NODATA;
        ttl = min_u32(ttl, pr_soa_ttl(st, n_answer));
    }
    return dnscache_answer_new(status, qtype, qname, chain, chain_ttl, n_cname, rr, n, ttl);
}

struct dnscache_answer *dnslive_parse_reply(slice msg, slice qname, uint16_t qtype)
{
    struct pr_state st = { .msg = msg };
    uint8_t qwire[LIM_DNS_NAME_BYTES + 1], name[LIM_DNS_NAME_BYTES];
    size_t qwlen = dnscache_text_wire(qname, qwire), nlen, off = 4;
    uint16_t flags, qd, an, ns, ar, t, cls;
    struct dnscache_answer *ans = NULL;
    sbuf_init(&st.scratch, (size_t)4 << 20);
    /* RFC 1035 §4.1.1: ID, flags (QR opcode AA TC RD RA Z RCODE), four counts. */
    if (msg.len < 12 || !pr_u16(msg, &off, &qd) || !pr_u16(msg, &off, &an) ||
        !pr_u16(msg, &off, &ns) || !pr_u16(msg, &off, &ar)) {
        goto fail;
    }
    flags = (uint16_t)(msg.ptr[2] << 8 | msg.ptr[3]);
    if (!(flags & 0x8000) || (flags & 0x7800) != 0 || (flags & 0x0200) || qd != 1) {
        goto fail; /* not a response, not a standard query, truncated, or no question */
    }
    if (!pr_name(msg, &off, name, &nlen) || !pr_u16(msg, &off, &t) ||
        !pr_u16(msg, &off, &cls) || nlen != qwlen || memcmp(name, qwire, nlen) != 0 ||
        t != qtype || cls != 1) {
        goto fail;
    }
    if (!pr_section(&st, &off, an, true)) {
        goto fail;
    }
    size_t n_answer = st.n_rr;
    /* The authority section only matters for the negative TTL: a bad one is ignored. */
    (void)pr_section(&st, &off, ns, true);
    ans = pr_follow(&st, n_answer, flags & 0x000F, qname, qwire, qwlen, qtype);
    goto out;
fail:
    ans = pr_fail(qname, qtype);
out:
    xfree(st.rr);
    sbuf_cleanup(&st.scratch);
    return ans;
}

/* =======================================================================================
 * Servers
 * ======================================================================================= */

bool dnslive_server_parse(const char *text, struct dnslive_server *out)
{
    char addr[64];
    const char *hash = text;
    size_t n = 0;
    while (hash[n] != '\0' && hash[n] != '#') {
        n++;
    }
    if (n == 0 || n >= sizeof(addr)) {
        return false;
    }
    memcpy(addr, text, n);
    addr[n] = '\0';
    *out = (struct dnslive_server){ .port = 53 };
    if (text[n] == '#') {
        const char *p = text + n + 1;
        size_t plen = 0;
        while (p[plen] != '\0') {
            plen++;
        }
        uint64_t port;
        if (!slice_u64_all(slice_make(p, plen), &port) || port == 0 || port > 65535) {
            return false;
        }
        out->port = (uint16_t)port;
    }
    if (inet_pton(AF_INET, addr, out->addr) == 1) {
        out->family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        out->family = 6;
        return true;
    }
    return false;
}

const char *dnslive_server_text(const struct dnslive_server *s, char buf[64])
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->addr, a, sizeof a);
    snprintf(buf, 64, "%s#%u", a, (unsigned)s->port);
    return buf;
}

/* =======================================================================================
 * The backend
 * ======================================================================================= */

struct gd_req {
    struct gd_req *next;          /* queue, or the in-flight list */
    struct gd_req *prev;          /* in-flight list */
    struct gd_backend *b;
    struct dnscache *cache;
    struct dnscache_query *q;
    unsigned attempts;
    getdns_transaction_t txid;
};

struct gd_backend {
    struct dnscache_backend base; /* first */
    struct dnslive_config cfg;
    getdns_context *ctx;          /* DNS thread only, once started */
    getdns_eventloop *loop;
    getdns_eventloop_event wake_ev;
    int wake_fd;
    pthread_t thread;
    bool started;
    /* qlock protects queue_head/tail and stop. */
    pthread_mutex_t qlock;
    struct gd_req *queue_head, *queue_tail;
    bool stop;
    /* DNS thread only: */
    struct gd_req *backlog_head, *backlog_tail, *inflight;
    unsigned n_inflight;
    bool stopping;
    char desc[DNSLIVE_MAX_SERVERS * 64 + 64];
    atomic_uint_fast64_t n_sent, n_retried;
};

static void gd_issue(struct gd_backend *b, struct gd_req *r);

static void gd_complete(struct gd_backend *b, struct gd_req *r, struct dnscache_answer *ans)
{
    (void)b;
    dnscache_complete(r->cache, r->q, ans);
    xfree(r);
}

static void gd_complete_status(struct gd_backend *b, struct gd_req *r, enum dns_status st)
{
    gd_complete(b, r, dnscache_answer_new(st, r->q->qtype, r->q->name, NULL, NULL, 0, NULL, 0,
                                          0));
}

static void inflight_add(struct gd_backend *b, struct gd_req *r)
{
    r->prev = NULL;
    r->next = b->inflight;
    if (b->inflight) {
        b->inflight->prev = r;
    }
    b->inflight = r;
    b->n_inflight++;
}

static void inflight_del(struct gd_backend *b, struct gd_req *r)
{
    if (r->prev) {
        r->prev->next = r->next;
    } else {
        b->inflight = r->next;
    }
    if (r->next) {
        r->next->prev = r->prev;
    }
    b->n_inflight--;
}

/* gd_fill moves backlog into getdns while there is room. */
static void gd_fill(struct gd_backend *b)
{
    while (b->backlog_head && b->n_inflight < b->cfg.max_inflight && !b->stopping) {
        struct gd_req *r = b->backlog_head;
        b->backlog_head = r->next;
        if (b->backlog_head == NULL) {
            b->backlog_tail = NULL;
        }
        gd_issue(b, r);
    }
}

/* gd_reply: getdns's callback. Runs on the DNS thread, inside the event loop. */
static void gd_reply(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp,
                     void *userarg, getdns_transaction_t txid)
{
    struct gd_req *r = userarg;
    struct gd_backend *b = r->b;
    (void)ctx;
    (void)txid;
    inflight_del(b, r);
    getdns_list *replies = NULL;
    getdns_bindata *wire = NULL;
    uint32_t status = 0;
    bool timed_out = type == GETDNS_CALLBACK_TIMEOUT;
    if (type == GETDNS_CALLBACK_COMPLETE && resp != NULL) {
        (void)getdns_dict_get_int(resp, "status", &status);
        if (getdns_dict_get_list(resp, "replies_full", &replies) == GETDNS_RETURN_GOOD) {
            (void)getdns_list_get_bindata(replies, 0, &wire);
        }
        timed_out = wire == NULL && status == GETDNS_RESPSTATUS_ALL_TIMEOUT;
    }
    if (timed_out && r->attempts <= b->cfg.retries && !b->stopping) {
        atomic_fetch_add_explicit(&b->n_retried, 1, memory_order_relaxed);
        gd_issue(b, r);
    } else if (type == GETDNS_CALLBACK_COMPLETE && wire != NULL) {
        gd_complete(b, r, dnslive_parse_reply(slice_make(wire->data, wire->size), r->q->name,
                                              r->q->qtype));
    } else {
        gd_complete_status(b, r, (timed_out || type == GETDNS_CALLBACK_CANCEL) ? DNS_TIMEOUT
                                                                               : DNS_SERVFAIL);
    }
    if (resp != NULL) {
        getdns_dict_destroy(resp);
    }
    gd_fill(b);
}

/* gd_qname writes name as getdns text: absolute, every byte that is not a letter, digit,
 * '-' or '_' as \DDD (RFC 1035 §5.1), so that no byte of a hostile name is read as syntax. */
static void gd_qname(slice name, char *buf)
{
    size_t at = 0;
    for (size_t i = 0; i < name.len; i++) {
        uint8_t c = name.ptr[i];
        if (c == '.' || c == '-' || c == '_' || slice_is(c, CC_ALPHA | CC_DIGIT)) {
            buf[at++] = (char)c;
        } else {
            buf[at++] = '\\';
            buf[at++] = (char)('0' + c / 100);
            buf[at++] = (char)('0' + c / 10 % 10);
            buf[at++] = (char)('0' + c % 10);
        }
    }
    buf[at++] = '.';
    buf[at] = '\0';
}

static void gd_issue(struct gd_backend *b, struct gd_req *r)
{
    char name[4 * LIM_DNS_NAME_BYTES + 2];
    gd_qname(r->q->name, name);
    r->attempts++;
    atomic_fetch_add_explicit(&b->n_sent, 1, memory_order_relaxed);
    inflight_add(b, r);
    if (getdns_general(b->ctx, name, r->q->qtype, NULL, r, &r->txid, gd_reply) !=
        GETDNS_RETURN_GOOD) {
        inflight_del(b, r);
        gd_complete_status(b, r, DNS_SERVFAIL);
    }
}

/* gd_wake: the eventfd is readable: take the queue. */
static void gd_wake(void *arg)
{
    struct gd_backend *b = arg;
    uint64_t v;
    if (read(b->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN) {
        return;
    }
    pthread_mutex_lock(&b->qlock);
    struct gd_req *head = b->queue_head, *tail = b->queue_tail;
    b->queue_head = b->queue_tail = NULL;
    b->stopping = b->stop;
    pthread_mutex_unlock(&b->qlock);
    if (head != NULL) {
        if (b->backlog_tail) {
            b->backlog_tail->next = head;
        } else {
            b->backlog_head = head;
        }
        b->backlog_tail = tail;
    }
    gd_fill(b);
}

static void *gd_thread(void *arg)
{
    struct gd_backend *b = arg;
    while (!b->stopping) {
        b->loop->vmt->run_once(b->loop, 1);
    }
    /* Shut down: everything outstanding completes as a timeout, so no entry stays pending. */
    while (b->inflight) {
        struct gd_req *r = b->inflight;
        (void)getdns_cancel_callback(b->ctx, r->txid); /* runs gd_reply with CANCEL */
        if (b->inflight == r) { /* it did not: finish the query here */
            inflight_del(b, r);
            gd_complete_status(b, r, DNS_TIMEOUT);
        }
    }
    while (b->backlog_head) {
        struct gd_req *r = b->backlog_head;
        b->backlog_head = r->next;
        gd_complete_status(b, r, DNS_TIMEOUT);
    }
    b->backlog_tail = NULL;
    b->loop->vmt->clear(b->loop, &b->wake_ev);
    return NULL;
}

static void gd_submit(struct dnscache_backend *base, struct dnscache *c, struct dnscache_query *q)
{
    struct gd_backend *b = (struct gd_backend *)base;
    struct gd_req *r = xcalloc(1, sizeof(*r));
    r->b = b;
    r->cache = c;
    r->q = q;
    pthread_mutex_lock(&b->qlock);
    bool stopped = b->stop;
    if (!stopped) {
        if (b->queue_tail) {
            b->queue_tail->next = r;
        } else {
            b->queue_head = r;
        }
        b->queue_tail = r;
    }
    pthread_mutex_unlock(&b->qlock);
    if (stopped) {
        dnscache_complete(c, q, dnscache_answer_new(DNS_TIMEOUT, q->qtype, q->name, NULL, NULL,
                                                    0, NULL, 0, 0));
        xfree(r);
        return;
    }
    uint64_t one = 1;
    while (write(b->wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

static void gd_shutdown(struct dnscache_backend *base)
{
    struct gd_backend *b = (struct gd_backend *)base;
    if (!b->started) {
        return;
    }
    pthread_mutex_lock(&b->qlock);
    b->stop = true;
    pthread_mutex_unlock(&b->qlock);
    uint64_t one = 1;
    while (write(b->wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
    pthread_join(b->thread, NULL);
    b->started = false;
}

static void gd_free(struct dnscache_backend *base)
{
    struct gd_backend *b = (struct gd_backend *)base;
    if (b == NULL) {
        return;
    }
    gd_shutdown(base);
    if (b->ctx) {
        getdns_context_destroy(b->ctx);
    }
    if (b->wake_fd >= 0) {
        close(b->wake_fd);
    }
    pthread_mutex_destroy(&b->qlock);
    xfree(b);
}

static const struct dnscache_backend_ops gd_ops = {
    .name = "getdns",
    .submit = gd_submit,
    .shutdown = gd_shutdown,
    .free = gd_free,
};

static bool gd_set_upstreams(struct gd_backend *b, char *err, size_t err_len)
{
    getdns_list *list = getdns_list_create();
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < b->cfg.n_servers; i++) {
        const struct dnslive_server *s = &b->cfg.servers[i];
        getdns_dict *d = getdns_dict_create();
        getdns_bindata type = { 4, (uint8_t *)(s->family == 4 ? "IPv4" : "IPv6") };
        getdns_bindata data = { s->family == 4 ? 4u : 16u, (uint8_t *)s->addr };
        ok = d && getdns_dict_set_bindata(d, "address_type", &type) == GETDNS_RETURN_GOOD &&
             getdns_dict_set_bindata(d, "address_data", &data) == GETDNS_RETURN_GOOD &&
             getdns_dict_set_int(d, "port", s->port) == GETDNS_RETURN_GOOD &&
             getdns_list_set_dict(list, i, d) == GETDNS_RETURN_GOOD;
        getdns_dict_destroy(d);
    }
    ok = ok && getdns_context_set_upstream_recursive_servers(b->ctx, list) == GETDNS_RETURN_GOOD;
    getdns_list_destroy(list);
    if (!ok) {
        snprintf(err, err_len, "getdns: cannot set the --resolver servers");
    }
    return ok;
}

static bool gd_setup(struct gd_backend *b, char *err, size_t err_len)
{
    getdns_transport_list_t tl[2] = { GETDNS_TRANSPORT_UDP, GETDNS_TRANSPORT_TCP };
    getdns_return_t rc = getdns_context_create(&b->ctx, 1);
    if (rc != GETDNS_RETURN_GOOD) {
        snprintf(err, err_len, "getdns: cannot create a context (%s)",
                 getdns_get_errorstr_by_id(rc));
        return false;
    }
    bool ok =
        getdns_context_set_resolution_type(b->ctx, b->cfg.recursive ? GETDNS_RESOLUTION_RECURSING
                                                                    : GETDNS_RESOLUTION_STUB) ==
            GETDNS_RETURN_GOOD &&
        getdns_context_set_timeout(b->ctx, b->cfg.timeout_ms) == GETDNS_RETURN_GOOD &&
        getdns_context_set_dns_transport_list(b->ctx, 2, tl) == GETDNS_RETURN_GOOD &&
        getdns_context_set_append_name(b->ctx, GETDNS_APPEND_NAME_NEVER) == GETDNS_RETURN_GOOD &&
        (b->cfg.edns_size == 0 || getdns_context_set_edns_maximum_udp_payload_size(
                                      b->ctx, b->cfg.edns_size) == GETDNS_RETURN_GOOD);
    if (!ok) {
        snprintf(err, err_len, "getdns: cannot configure the context");
        return false;
    }
    if (!b->cfg.recursive && b->cfg.n_servers > 0 && !gd_set_upstreams(b, err, err_len)) {
        return false;
    }
    if (getdns_context_get_eventloop(b->ctx, &b->loop) != GETDNS_RETURN_GOOD) {
        snprintf(err, err_len, "getdns: no event loop");
        return false;
    }
    b->wake_ev = (getdns_eventloop_event){ .userarg = b, .read_cb = gd_wake };
    if (b->loop->vmt->schedule(b->loop, b->wake_fd, UINT64_MAX, &b->wake_ev) !=
        GETDNS_RETURN_GOOD) {
        snprintf(err, err_len, "getdns: cannot watch the wake-up descriptor");
        return false;
    }
    return true;
}

static void gd_describe_upstreams(struct gd_backend *b)
{
    size_t at = 0;
    if (b->cfg.recursive) {
        snprintf(b->desc, sizeof b->desc, "full recursion (getdns/libunbound)");
        return;
    }
    if (b->cfg.n_servers == 0) {
        at += (size_t)snprintf(b->desc, sizeof b->desc, "stub to /etc/resolv.conf");
        getdns_list *up = NULL;
        size_t n = 0;
        if (getdns_context_get_upstream_recursive_servers(b->ctx, &up) == GETDNS_RETURN_GOOD &&
            getdns_list_get_length(up, &n) == GETDNS_RETURN_GOOD) {
            for (size_t i = 0; i < n && at + 80 < sizeof b->desc; i++) {
                getdns_dict *d = NULL;
                getdns_bindata *ad = NULL;
                char a[INET6_ADDRSTRLEN];
                if (getdns_list_get_dict(up, i, &d) == GETDNS_RETURN_GOOD &&
                    getdns_dict_get_bindata(d, "address_data", &ad) == GETDNS_RETURN_GOOD &&
                    (ad->size == 4 || ad->size == 16) &&
                    inet_ntop(ad->size == 4 ? AF_INET : AF_INET6, ad->data, a, sizeof a)) {
                    at += (size_t)snprintf(b->desc + at, sizeof b->desc - at, "%s%s",
                                           i == 0 ? " (" : ", ", a);
                }
            }
            if (n > 0 && at + 2 < sizeof b->desc) {
                snprintf(b->desc + at, sizeof b->desc - at, ")");
            }
        }
        getdns_list_destroy(up);
        return;
    }
    at += (size_t)snprintf(b->desc, sizeof b->desc, "stub to");
    for (size_t i = 0; i < b->cfg.n_servers; i++) {
        char s[64];
        at += (size_t)snprintf(b->desc + at, sizeof b->desc - at, "%s%s", i ? ", " : " ",
                               dnslive_server_text(&b->cfg.servers[i], s));
    }
}

struct dnscache_backend *dnslive_new(const struct dnslive_config *cfg, char *err, size_t err_len)
{
    struct gd_backend *b = xcalloc(1, sizeof(*b));
    b->base.ops = &gd_ops;
    b->cfg = *cfg;
    b->cfg.timeout_ms = b->cfg.timeout_ms ? b->cfg.timeout_ms : DNSLIVE_TIMEOUT_MS_DEFAULT;
    b->cfg.max_inflight = b->cfg.max_inflight ? b->cfg.max_inflight : DNSLIVE_MAX_INFLIGHT;
    b->cfg.n_servers = b->cfg.n_servers > DNSLIVE_MAX_SERVERS ? DNSLIVE_MAX_SERVERS
                                                              : b->cfg.n_servers;
    pthread_mutex_init(&b->qlock, NULL);
    b->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (b->wake_fd < 0) {
        snprintf(err, err_len, "eventfd: %s", strerror(errno));
        goto fail;
    }
    if (!gd_setup(b, err, err_len)) {
        goto fail;
    }
    gd_describe_upstreams(b);
    if (pthread_create(&b->thread, NULL, gd_thread, b) != 0) {
        snprintf(err, err_len, "cannot start the DNS thread");
        goto fail;
    }
    b->started = true;
    return &b->base;
fail:
    if (b->loop && b->wake_ev.ev) {
        b->loop->vmt->clear(b->loop, &b->wake_ev);
    }
    gd_free(&b->base);
    return NULL;
}

void dnslive_describe(struct dnscache_backend *base, char *buf, size_t len)
{
    struct gd_backend *b = (struct gd_backend *)base;
    snprintf(buf, len, "%s", b->desc);
}

void dnslive_counts(struct dnscache_backend *base, uint64_t *out_sent, uint64_t *out_retried)
{
    struct gd_backend *b = (struct gd_backend *)base;
    *out_sent = atomic_load_explicit(&b->n_sent, memory_order_relaxed);
    *out_retried = atomic_load_explicit(&b->n_retried, memory_order_relaxed);
}
