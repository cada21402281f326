#include "engine/policy/spfcache.h"

#include "engine/core/counter.h"

#include <stdatomic.h>
#include <string.h>

#include "engine/core/shmap.h"

struct spfcache {
    struct shmap *map;
    struct shmap *none; /* "none" results per domain: few, small, looked up for every message */
    struct counter hits, evals;
};

struct spfc_val {
    struct spf_result res; /* slices point into `buf` */
    uint8_t buf[];
};

static void val_free(void *p)
{
    xfree(p);
}

struct spfcache *spfcache_new(void)
{
    struct spfcache *c = xcalloc(1, sizeof(*c));
    c->map = shmap_new(SPFCACHE_MAX_ENTRIES, val_free);
    c->none = shmap_new(SPFCACHE_MAX_ENTRIES, val_free);
    return c;
}

void spfcache_free(struct spfcache *c)
{
    if (c == NULL) {
        return;
    }
    shmap_free(c->map);
    shmap_free(c->none);
    xfree(c);
}

void spfcache_stats(const struct spfcache *c, uint64_t *out_hits, uint64_t *out_evals)
{
    *out_hits = counter_get(&c->hits);
    *out_evals = counter_get(&c->evals);
}

/* The slices a result carries, for copying. */
#define N_SLICES 4
static slice *result_slices(struct spf_result *r, slice *v[N_SLICES])
{
    v[0] = &r->domain;
    v[1] = &r->mechanism;
    v[2] = &r->explanation;
    v[3] = &r->reason_where;
    return v[0];
}

static struct spfc_val *val_make(const struct spf_result *r)
{
    struct spf_result tmp = *r;
    slice *v[N_SLICES];
    result_slices(&tmp, v);
    size_t total = 0;
    for (int i = 0; i < N_SLICES; i++) {
        total += v[i]->len;
    }
    struct spfc_val *sv = xmalloc(sizeof(*sv) + total + 1);
    sv->res = tmp;
    result_slices(&sv->res, v);
    size_t o = 0;
    for (int i = 0; i < N_SLICES; i++) {
        if (v[i]->ptr == NULL) {
            continue;
        }
        if (v[i]->len) {
            memcpy(sv->buf + o, v[i]->ptr, v[i]->len);
        }
        v[i]->ptr = sv->buf + o;
        o += v[i]->len;
    }
    return sv;
}

static void val_copy_out(struct arena *a, const struct spfc_val *sv, struct spf_result *out)
{
    *out = sv->res;
    slice *v[N_SLICES];
    result_slices(out, v);
    for (int i = 0; i < N_SLICES; i++) {
        if (v[i]->ptr != NULL) {
            *v[i] = arena_dup(a, *v[i]);
        }
    }
}

/* sender_parts: the MAIL FROM's local-part and domain (split at the last '@'; without one
 * the whole path is the domain), or postmaster and the HELO name for a null sender. */
static void sender_parts(const struct spf_request *req, slice *local, slice *domain)
{
    slice mf = req->mailfrom;
    *local = SLICE_LIT("postmaster");
    *domain = req->helo;
    if (mf.len == 0) {
        return;
    }
    *local = SLICE_NULL;
    *domain = mf;
    for (size_t i = mf.len; i-- > 0;) {
        if (mf.ptr[i] == '@') {
            *local = slice_make(mf.ptr, i);
            *domain = slice_make(mf.ptr + i + 1, mf.len - i - 1);
            return;
        }
    }
}

/* key_build: 'B' family addr domain [0 'L' local] [0 'H' helo], ASCII-lowered names. */
static slice key_build(struct arena *a, const struct spf_request *req, unsigned uses)
{
    slice local, domain;
    sender_parts(req, &local, &domain);
    size_t n = 2 + 16 + domain.len + 2 + local.len + 2 + req->helo.len;
    uint8_t *k = arena_alloc(a, n);
    size_t o = 0;
    k[o++] = 'B';
    k[o++] = req->ip.family;
    memcpy(k + o, req->ip.addr, 16);
    o += 16;
    for (size_t i = 0; i < domain.len; i++) {
        k[o++] = slice_lower(domain.ptr[i]);
    }
    if (uses & SPF_USES_LOCAL) {
        k[o++] = 0;
        k[o++] = 'L';
        if (local.len > 0) {
            memcpy(k + o, local.ptr, local.len); /* local-parts are case-sensitive */
        }
        o += local.len;
    }
    if (uses & SPF_USES_HELO) {
        k[o++] = 0;
        k[o++] = 'H';
        for (size_t i = 0; i < req->helo.len; i++) {
            k[o++] = slice_lower(req->helo.ptr[i]);
        }
    }
    return slice_make(k, o);
}

/* A "none" result (RFC 7208 §2.6.1: no SPF record at the domain, or no usable domain) is
 * decided before any mechanism runs, so it never depends on the client address: it is
 * kept once per domain (the bytes as written: the result echoes them) for every address.
 * kind: 'M' for MAIL FROM, 'H' for HELO. */
static slice none_key(struct arena *a, uint8_t kind, slice domain)
{
    uint8_t *k = arena_alloc(a, 2 + domain.len);
    k[0] = 'N';
    k[1] = kind;
    if (domain.len > 0) {
        memcpy(k + 2, domain.ptr, domain.len);
    }
    return slice_make(k, 2 + domain.len);
}

static bool none_get(struct spfcache *c, struct arena *a, slice key, struct spf_result *out)
{
    struct spfc_val *sv = shmap_get(c->none, key, shmap_hash(key));
    if (sv == NULL) {
        return false;
    }
    counter_add(&c->hits, 1);
    val_copy_out(a, sv, out);
    return true;
}

static void none_put(struct spfcache *c, slice key, const struct spf_result *res)
{
    struct spfc_val *nv = val_make(res);
    if (shmap_put(c->none, key, shmap_hash(key), nv) == NULL) {
        xfree(nv);
    }
}

static bool reusable_none(const struct spf_result *res)
{
    return !res->pending && res->result == AV_NONE && res->uses == 0;
}

void spfcache_check_helo(struct spfcache *c, struct arena *a, struct dns_resolver *r,
                         const struct spf_request *req, struct spf_result *out)
{
    slice nk = none_key(a, 'H', req->helo);
    if (none_get(c, a, nk, out)) {
        return;
    }
    spf_check_helo(a, r, req, out);
    if (reusable_none(out)) {
        none_put(c, nk, out);
    }
}

void spfcache_check_mailfrom(struct spfcache *c, struct arena *a, struct dns_resolver *r,
                             const struct spf_request *req, struct spf_result *out)
{
    slice local, dom;
    sender_parts(req, &local, &dom);
    slice nk = none_key(a, 'M', dom);
    if (none_get(c, a, nk, out)) {
        return;
    }
    slice base = key_build(a, req, 0);
    uint64_t hb = shmap_hash(base);
    struct spfc_val *sv = shmap_get(c->map, base, hb);
    if (sv != NULL && sv->res.uses != 0) {
        slice ext = key_build(a, req, sv->res.uses);
        sv = shmap_get(c->map, ext, shmap_hash(ext));
    }
    if (sv != NULL) {
        counter_add(&c->hits, 1);
        val_copy_out(a, sv, out);
        return;
    }
    spf_check_mailfrom(a, r, req, out);
    if (out->pending || (out->uses & SPF_USES_TIME)) {
        return;
    }
    counter_add(&c->evals, 1);
    if (reusable_none(out)) {
        none_put(c, nk, out);
        return;
    }
    struct spfc_val *nv = val_make(out);
    if (shmap_put(c->map, base, hb, nv) == NULL) {
        xfree(nv); /* full: nothing stored */
        return;
    }
    if (out->uses != 0) {
        slice ext = key_build(a, req, out->uses);
        struct spfc_val *ev = val_make(out);
        if (shmap_put(c->map, ext, shmap_hash(ext), ev) == NULL) {
            xfree(ev);
        }
    }
}
