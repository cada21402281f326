#include "engine/verify/prehash.h"

#include <stdint.h>
#include <string.h>

#include "engine/canon/canon.h"
#include "engine/canon/mbsha256.h"
#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/header/hdr.h"
#include "engine/verify/dkim_internal.h"

/* Canonical bodies of at most this many input bytes go to mbsha: its library takes jobs
 * of up to MBSHA_LIB_MAX_LEN bytes and a canonical body is at most twice its input (every
 * bare LF becomes CRLF) plus a CRLF. */
#define PREHASH_MAX_BODY ((size_t)MBSHA_LIB_MAX_LEN)

struct prehash {
    struct mbsha *mb;
    uint8_t *scratch;    /* canonical bodies waiting for their digests */
    size_t used;
    struct canon_sink sink;
};

struct prehash *prehash_new(void)
{
    struct prehash *p = xcalloc(1, sizeof(*p));
    p->mb = mbsha_new();
    p->scratch = xmalloc(PREHASH_SCRATCH_BYTES);
    return p;
}

void prehash_free(struct prehash *p)
{
    if (p == NULL) {
        return;
    }
    mbsha_free(p->mb);
    xfree(p->scratch);
    xfree(p);
}

const char *prehash_backend_name(const struct prehash *p)
{
    return mbsha_backend_name(p->mb);
}

const char *prehash_backend_default(void)
{
    struct mbsha *m = mbsha_new();
    const char *name = mbsha_backend_name(m); /* a static string */
    mbsha_free(m);
    return name;
}

/* ---- the canonical body, in place or in the scratch --------------------------------------- */

/* collect receives the canonicalizer's output. A body already in canonical form arrives as
 * one span of the message itself (canon.c's simple_crlf_body) and stays there; anything
 * else is copied into the scratch. */
struct collect {
    slice body;           /* the input body: a span inside it needs no copy */
    const uint8_t *inplace;
    size_t inplace_len;
    uint8_t *buf;         /* the scratch from p->used on */
    size_t len, room;
    bool copied, overflow;
};

static void collect_append(struct collect *c, const uint8_t *p, size_t n)
{
    if (n > c->room - c->len) {
        c->overflow = true; /* cannot happen: room is the canonical form's bound */
        return;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
}

static void collect_flush(void *ctx, const uint8_t *p, size_t n)
{
    struct collect *c = ctx;
    if (p == c->buf + c->len && (c->copied || c->inplace == NULL)) {
        c->copied = true; /* a direct sink wrote it into the scratch already */
        c->len += n;
        return;
    }
    uintptr_t b0 = (uintptr_t)c->body.ptr, at = (uintptr_t)p;
    bool in_body = at >= b0 && n <= c->body.len && at - b0 <= c->body.len - n;
    if (!c->copied && c->inplace == NULL && in_body) {
        c->inplace = p;
        c->inplace_len = n;
        return;
    }
    if (!c->copied) {
        c->copied = true;
        if (c->inplace != NULL) {
            collect_append(c, c->inplace, c->inplace_len);
            c->inplace = NULL;
        }
    }
    collect_append(c, p, n);
}

/* ---- which body hashes a message will ask for ---------------------------------------------- */

static bool spec_add(struct dkim_body_seeds *s, enum canon_alg canon, bool has_l, uint64_t l)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct dkim_body_hash *h = &s->h[i];
        if (h->canon == canon && h->has_l == has_l && (!has_l || h->l == l)) {
            return true;
        }
    }
    if (s->n == DKIM_BODY_SEEDS) {
        return false;
    }
    s->h[s->n++] = (struct dkim_body_hash){
        .halg = SIG_SHA256, .canon = canon, .has_l = has_l, .l = l
    };
    return true;
}

/* next_tag splits the next tag-spec off *rest: name and value with FWS trimmed. A light
 * reading of RFC 6376 §3.2 (no validation): the verifier parses the field properly. */
static bool next_tag(slice *rest, slice *name, slice *value)
{
    while (rest->len > 0) {
        slice spec;
        if (!slice_take_until(rest, ';', &spec)) {
            spec = *rest;
            rest->len = 0;
        }
        ptrdiff_t eq = slice_find(spec, '=');
        if (eq < 0) {
            continue;
        }
        *name = slice_trim_fws(slice_sub(spec, 0, (size_t)eq));
        *value = slice_trim_fws(slice_sub(spec, (size_t)eq + 1, spec.len - (size_t)eq - 1));
        return true;
    }
    return false;
}

/* plan reads a=, c= and l= of every DKIM-Signature and ARC-Message-Signature field; the
 * defaults follow dkim.c (c= simple/simple for DKIM, relaxed/relaxed for an AMS). */
static void plan(const struct hdr_index *h, struct dkim_body_seeds *s)
{
    static const slice dkim_name = SLICE_INIT("DKIM-Signature");
    static const slice ams_name = SLICE_INIT("ARC-Message-Signature");
    for (size_t i = 0; i < h->n; i++) {
        const struct hdr_field *f = &h->f[i];
        if (!f->name_ok || f->name.len < dkim_name.len) {
            continue;
        }
        bool is_dkim = slice_eq_ci(f->name, dkim_name);
        if (!is_dkim && !slice_eq_ci(f->name, ams_name)) {
            continue;
        }
        slice rest = f->value, name, v;
        bool sha256 = false, has_l = false, ok = true;
        enum canon_alg hc, bc = is_dkim ? CANON_SIMPLE : CANON_RELAXED;
        uint64_t l = 0;
        while (ok && next_tag(&rest, &name, &v)) {
            if (name.len != 1) {
                continue;
            }
            switch (name.ptr[0]) {
            case 'a':
                sha256 = slice_eq_ci(v, SLICE_LIT("rsa-sha256")) ||
                         slice_eq_ci(v, SLICE_LIT("ed25519-sha256"));
                break;
            case 'c':
                ok = dkim_parse_canon(v, &hc, &bc);
                break;
            case 'l':
                has_l = true;
                ok = slice_u64_all(v, &l); /* else the verifier's own rules decide */
                break;
            default:
                break;
            }
        }
        if (ok && sha256 && !spec_add(s, bc, has_l, l)) {
            return;
        }
    }
}

/* ---- the batch ------------------------------------------------------------------------------ */

/* first_line_crlf: the body's first LF follows a CR (or it has no LF). */
static bool first_line_crlf(slice body)
{
    if (body.len == 0) {
        return true;
    }
    const uint8_t *lf = memchr(body.ptr, '\n', body.len);
    return lf == NULL || (lf > body.ptr && lf[-1] == '\r');
}

/* hash_canon canonicalizes body once for `canon` and queues every seed of that
 * canonicalization. */
static void hash_canon(struct prehash *p, struct dkim_body_seeds *s, enum canon_alg canon)
{
    size_t need = 2 * s->body.len + 2;
    if (PREHASH_SCRATCH_BYTES - p->used < need) {
        mbsha_flush(p->mb); /* every queued job is done: the scratch can be used again */
        p->used = 0;
    }
    struct collect c = { .body = s->body, .buf = p->scratch + p->used, .room = need };
    if (canon == CANON_SIMPLE && first_line_crlf(s->body)) {
        /* Likely stored with CRLF: the simple form may be a span of the message, which the
         * ordinary sink hands over uncopied (see collect). Only a guess: either sink gives
         * the same bytes, and canon_body checks every line itself. */
        canon_sink_init(&p->sink, collect_flush, &c);
    } else {
        /* Canonicalized straight into the scratch, not through the sink's buffer. */
        canon_sink_init_direct(&p->sink, collect_flush, &c, c.buf, need);
    }
    uint64_t total = canon_body(&p->sink, canon, s->body);
    canon_sink_finish(&p->sink);
    const uint8_t *ptr = c.copied ? c.buf : c.inplace;
    size_t len = c.copied ? c.len : c.inplace_len;
    bool ok = !c.overflow && !p->sink.overflow && total == len && (ptr != NULL || len == 0);
    if (c.copied) {
        p->used += c.len;
    }
    for (size_t i = 0; i < s->n; i++) {
        struct dkim_body_hash *h = &s->h[i];
        if (h->canon != canon) {
            continue;
        }
        if (!ok) {
            h->digest_len = 0; /* dropped below */
            continue;
        }
        h->canon_len = len;
        h->digest_len = MBSHA_DIGEST_LEN;
        size_t n = h->has_l && h->l < len ? (size_t)h->l : len;
        mbsha_add(p->mb, ptr, n, h->digest);
    }
}

void prehash_batch(struct prehash *p, struct arena *a, const struct input_msg *msgs, size_t n,
                   struct prehash_msg *out)
{
    p->used = 0;
    for (size_t i = 0; i < n; i++) {
        struct prehash_msg *pm = &out[i];
        memset(pm, 0, sizeof(*pm));
        struct dkim_body_seeds *s = &pm->seeds;
        s->body = SLICE_NULL;
        if (msgs[i].err != INPUT_OK) {
            continue;
        }
        pm->status = hdr_parse(a, &pm->h, msgs[i].raw);
        pm->parsed = true;
        if (pm->status != HDR_OK || pm->h.body.len > PREHASH_MAX_BODY) {
            continue;
        }
        plan(&pm->h, s);
        if (s->n == 0) {
            continue;
        }
        s->body = pm->h.body;
        bool done[2] = { false, false };
        for (size_t k = 0; k < s->n; k++) {
            enum canon_alg c = s->h[k].canon;
            if (!done[c]) {
                done[c] = true;
                hash_canon(p, s, c);
            }
        }
    }
    mbsha_flush(p->mb);
    /* Drop what could not be hashed (none in practice), keeping the rest in order. */
    for (size_t i = 0; i < n; i++) {
        struct dkim_body_seeds *s = &out[i].seeds;
        size_t k = 0;
        for (size_t j = 0; j < s->n; j++) {
            if (s->h[j].digest_len != 0) {
                s->h[k++] = s->h[j];
            }
        }
        s->n = k;
    }
}
