#include "engine/verify/dkim.h"

#include <stdio.h>
#include <string.h>

#include "engine/core/b64.h"
#include "engine/core/limits.h"
#include "engine/core/shmap.h"
#include "engine/header/tagval.h"
#include "engine/verify/dkim_internal.h"
#include "engine/verify/sig.h"

static const char *const reason_names[DKIM_R__COUNT] = {
    [DKIM_R_NONE] = NULL,
    [DKIM_R_BODY_HASH_MISMATCH] = "body_hash_mismatch",
    [DKIM_R_SIGNATURE_MISMATCH] = "signature_mismatch",
    [DKIM_R_KEY_NOT_FOUND] = "key_not_found",
    [DKIM_R_KEY_REVOKED] = "key_revoked",
    [DKIM_R_KEY_SYNTAX] = "key_syntax",
    [DKIM_R_KEY_TOO_SMALL] = "key_too_small",
    [DKIM_R_KEY_TOO_LARGE] = "key_too_large",
    [DKIM_R_KEY_TYPE_MISMATCH] = "key_type_mismatch",
    [DKIM_R_KEY_HASH_NOT_ALLOWED] = "key_hash_not_allowed",
    [DKIM_R_KEY_SERVICE] = "key_service",
    [DKIM_R_KEY_SUBDOMAIN_FORBIDDEN] = "key_subdomain_forbidden",
    [DKIM_R_TESTING_KEY] = "testing_key",
    [DKIM_R_EXPIRED] = "expired",
    [DKIM_R_FUTURE] = "future",
    [DKIM_R_SIG_SYNTAX] = "sig_syntax",
    [DKIM_R_UNSUPPORTED_ALGORITHM] = "unsupported_algorithm",
    [DKIM_R_SHA1_REJECTED] = "sha1_rejected",
    [DKIM_R_DNS_TEMPERROR] = "dns_temperror",
    [DKIM_R_BODY_LENGTH_EXCEEDS] = "body_length_exceeds",
    [DKIM_R_SKIPPED_LIMIT] = "skipped_limit",
};

const char *dkim_reason_name(enum dkim_reason r)
{
    return (unsigned)r < DKIM_R__COUNT ? reason_names[r] : "?";
}

enum auth_verdict dkim_reason_verdict(enum dkim_reason r)
{
    switch (r) {
    case DKIM_R_NONE:
    case DKIM_R_TESTING_KEY:
        return AV_PASS;
    case DKIM_R_BODY_HASH_MISMATCH:
    case DKIM_R_SIGNATURE_MISMATCH:
        return AV_FAIL;
    case DKIM_R_KEY_TOO_SMALL:
    case DKIM_R_KEY_TOO_LARGE:
    case DKIM_R_SHA1_REJECTED:
    case DKIM_R_EXPIRED:
    case DKIM_R_FUTURE:
        return AV_POLICY;
    case DKIM_R_DNS_TEMPERROR:
        return AV_TEMPERROR;
    case DKIM_R_SKIPPED_LIMIT:
        return AV_NEUTRAL;
    case DKIM_R_KEY_NOT_FOUND:
    case DKIM_R_KEY_REVOKED:
    case DKIM_R_KEY_SYNTAX:
    case DKIM_R_KEY_TYPE_MISMATCH:
    case DKIM_R_KEY_HASH_NOT_ALLOWED:
    case DKIM_R_KEY_SERVICE:
    case DKIM_R_KEY_SUBDOMAIN_FORBIDDEN:
    case DKIM_R_SIG_SYNTAX:
    case DKIM_R_UNSUPPORTED_ALGORITHM:
    case DKIM_R_BODY_LENGTH_EXCEEDS:
    case DKIM_R__COUNT:
        break;
    }
    return AV_PERMERROR;
}

const char *dkim_alg_name(enum dkim_alg a)
{
    switch (a) {
    case DKIM_A_RSA_SHA256:
        return "rsa-sha256";
    case DKIM_A_ED25519_SHA256:
        return "ed25519-sha256";
    case DKIM_A_RSA_SHA1:
        return "rsa-sha1";
    case DKIM_A_UNKNOWN:
        break;
    }
    return NULL;
}

/* ---- per-thread state and per-message body hash memo ---------------------------------- */

/* The key memo: with a resolver whose answers never change (a snapshot), the usable key
 * found for a selector name is remembered per thread, skipping the look-up, the TXT join
 * and the key cache for every later signature with that selector. Only usable keys that
 * the shared key cache holds for the run are remembered. */
#define KEY_MEMO_SLOTS LIM_KEY_MEMO_SLOTS
struct key_memo_slot {
    uint64_t hash;
    const struct keycache_entry *e; /* NULL: empty */
    size_t len;
    uint8_t name[LIM_DNS_NAME_BYTES]; /* lower case */
};

struct dkim_thread {
    struct sig_hash *hdr;
    struct sig_hash *body[LIM_BODY_HASHES];
    struct sig_verifier *ver; /* prepared RSA contexts, reused across messages */
    struct key_memo_slot *memo;
};

struct dkim_thread *dkim_thread_new(void)
{
    sig_global_init();
    struct dkim_thread *t = xcalloc(1, sizeof(*t));
    t->hdr = sig_hash_new();
    t->ver = sig_verifier_new();
    t->memo = xcalloc(KEY_MEMO_SLOTS, sizeof(struct key_memo_slot));
    for (size_t i = 0; i < LIM_BODY_HASHES; i++) {
        t->body[i] = sig_hash_new();
    }
    return t;
}

void dkim_thread_free(struct dkim_thread *t)
{
    if (t == NULL) {
        return;
    }
    sig_hash_free(t->hdr);
    sig_verifier_free(t->ver);
    xfree(t->memo);
    for (size_t i = 0; i < LIM_BODY_HASHES; i++) {
        sig_hash_free(t->body[i]);
    }
    xfree(t);
}

/* One body hash per distinct (hash, canonicalization, l=): §3.7 computes the body hash
 * independently of the signature, so signatures that agree on these share it (DKIM and
 * ARC-Message-Signature alike). */
struct dkim_body_memo {
    size_t n;
    slice seed_body; /* the body that the seeded entries are of (SLICE_NULL: no seeds) */
    struct dkim_body_hash h[LIM_BODY_HASHES];
    struct dkim_body_hash spill; /* past LIM_BODY_HASHES: the last one asked, not kept */
};

struct dkim_body_memo *dkim_body_memo_new(struct arena *a)
{
    return arena_zalloc(a, sizeof(struct dkim_body_memo));
}

void dkim_body_memo_seed(struct dkim_body_memo *m, const struct dkim_body_seeds *seeds)
{
    if (seeds == NULL || seeds->body.ptr == NULL || m->n != 0) {
        return;
    }
    size_t n = seeds->n < LIM_BODY_HASHES ? seeds->n : LIM_BODY_HASHES;
    for (size_t i = 0; i < n; i++) {
        m->h[i] = seeds->h[i];
    }
    m->n = n;
    m->seed_body = seeds->body;
}

struct body_target {
    struct sig_hash *h;
    uint64_t limit, fed;
};

struct body_fanout {
    size_t n;
    struct body_target t[LIM_BODY_HASHES];
};

static void fanout_flush(void *ctx, const uint8_t *p, size_t n)
{
    struct body_fanout *f = ctx;
    for (size_t i = 0; i < f->n; i++) {
        struct body_target *t = &f->t[i];
        uint64_t room = t->limit - t->fed;
        size_t k = room < n ? (size_t)room : n;
        sig_hash_update(t->h, p, k);
        t->fed += k;
    }
}

/* body_hash_get returns the memoised hash, computing it when first asked. Past
 * LIM_BODY_HASHES distinct specs the hash is still computed, into m->spill, valid until the
 * next call, and not kept: the memo saves work, it must never decide a result (nine valid
 * signatures with nine l= values all pass). The signature count per message
 * (--max-signatures) bounds how many passes a message can cost. */
static const struct dkim_body_hash *body_hash_get(struct dkim_thread *t,
                                                  struct dkim_body_memo *m, slice body,
                                                  enum sig_hash_alg halg, enum canon_alg canon,
                                                  bool has_l, uint64_t l)
{
    if (m->seed_body.ptr != NULL) {
        if (m->seed_body.ptr != body.ptr || m->seed_body.len != body.len) {
            m->n = 0; /* seeds of another body (cannot happen in the pipeline): unused */
        }
        m->seed_body = SLICE_NULL;
    }
    for (size_t i = 0; i < m->n; i++) {
        struct dkim_body_hash *b = &m->h[i];
        if (b->halg == halg && b->canon == canon && b->has_l == has_l && (!has_l || b->l == l)) {
            return b;
        }
    }
    bool keep = m->n < LIM_BODY_HASHES;
    struct dkim_body_hash *b = keep ? &m->h[m->n] : &m->spill;
    /* The hash contexts are scratch: every finished digest is copied out. */
    struct sig_hash *hc = t->body[keep ? m->n : 0];
    *b = (struct dkim_body_hash){ .halg = halg, .canon = canon, .has_l = has_l, .l = l };
    struct body_fanout f = { .n = 1 };
    f.t[0] = (struct body_target){ hc, has_l ? l : UINT64_MAX, 0 };
    sig_hash_init(hc, halg);
    struct canon_sink *s = xmalloc(sizeof(*s));
    canon_sink_init(s, fanout_flush, &f);
    b->canon_len = canon_body(s, canon, body);
    canon_sink_finish(s);
    xfree(s);
    b->digest_len = sig_hash_final(hc, b->digest);
    if (keep) {
        m->n++;
    }
    return b;
}

/* ---- signature field parsing ----------------------------------------------------------- */

/* domain_labels_ok: no label of d is empty (leading, trailing or doubled dots). */
static bool domain_labels_ok(slice d)
{
    if (d.len == 0 || d.ptr[0] == '.' || d.ptr[d.len - 1] == '.') {
        return false;
    }
    for (size_t i = 1; i < d.len; i++) {
        if (d.ptr[i] == '.' && d.ptr[i - 1] == '.') {
            return false;
        }
    }
    return true;
}

static bool domain_equal_or_parent(slice sub, slice parent)
{
    if (slice_eq_ci(sub, parent)) {
        return true;
    }
    if (sub.len <= parent.len + 1) {
        return false;
    }
    return sub.ptr[sub.len - parent.len - 1] == '.' && slice_has_suffix_ci(sub, parent);
}

bool dkim_parse_canon(slice c, enum canon_alg *hc, enum canon_alg *bc)
{
    slice head = c, body = SLICE_LIT("simple");
    ptrdiff_t slash = slice_find(c, '/');
    if (slash >= 0) {
        head = slice_make(c.ptr, (size_t)slash);
        body = slice_make(c.ptr + slash + 1, c.len - (size_t)slash - 1);
    }
    bool ok = true;
    slice parts[2] = { head, body };
    enum canon_alg *outs[2] = { hc, bc };
    for (int k = 0; k < 2; k++) {
        if (slice_eq(parts[k], SLICE_LIT("simple"))) {
            *outs[k] = CANON_SIMPLE;
        } else if (slice_eq(parts[k], SLICE_LIT("relaxed"))) {
            *outs[k] = CANON_RELAXED;
        } else {
            ok = false;
        }
    }
    return ok;
}

/* qp_decode decodes dkim-quoted-printable (RFC 6376 §2.11: "=" followed by two hex
 * digits; FWS is ignored). False on a malformed escape. */
static bool qp_decode(struct arena *a, slice in, slice *out)
{
    if (!slice_contains_byte(in, '=')) {
        *out = in;
        return true;
    }
    uint8_t *d = arena_alloc(a, in.len);
    size_t n = 0;
    for (size_t k = 0; k < in.len; k++) {
        uint8_t c = in.ptr[k];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (c != '=') {
            d[n++] = c;
            continue;
        }
        if (k + 2 >= in.len || !slice_is(in.ptr[k + 1], CC_HEX) || !slice_is(in.ptr[k + 2], CC_HEX)) {
            return false;
        }
        uint8_t hi = in.ptr[k + 1], lo = in.ptr[k + 2];
        hi = (uint8_t)(hi <= '9' ? hi - '0' : (slice_lower(hi) - 'a' + 10));
        lo = (uint8_t)(lo <= '9' ? lo - '0' : (slice_lower(lo) - 'a' + 10));
        d[n++] = (uint8_t)(hi << 4 | lo);
        k += 2;
    }
    *out = slice_make(d, n);
    return true;
}

/* identity_domain returns the domain part of a decoded i= value (after its last '@'). */
static bool identity_domain(slice i, slice *out)
{
    for (size_t k = i.len; k-- > 0;) {
        if (i.ptr[k] == '@') {
            *out = slice_make(i.ptr + k + 1, i.len - k - 1);
            return true;
        }
    }
    return false;
}

/* The per-profile rules of dkim_internal.h as data. */
struct tag_req {
    slice name;
    const char *missing;
};

static const struct tag_req dkim_required[] = {
    { SLICE_INIT("v"), "missing v=" },   { SLICE_INIT("a"), "missing a=" },
    { SLICE_INIT("b"), "missing b=" },   { SLICE_INIT("bh"), "missing bh=" },
    { SLICE_INIT("d"), "missing d=" },   { SLICE_INIT("h"), "missing h=" },
    { SLICE_INIT("s"), "missing s=" },
};
static const struct tag_req ams_required[] = {
    { SLICE_INIT("i"), "missing i=" },   { SLICE_INIT("a"), "missing a=" },
    { SLICE_INIT("b"), "missing b=" },   { SLICE_INIT("bh"), "missing bh=" },
    { SLICE_INIT("d"), "missing d=" },   { SLICE_INIT("h"), "missing h=" },
    { SLICE_INIT("s"), "missing s=" },
};
static const struct tag_req as_required[] = {
    { SLICE_INIT("i"), "missing i=" },   { SLICE_INIT("a"), "missing a=" },
    { SLICE_INIT("b"), "missing b=" },   { SLICE_INIT("d"), "missing d=" },
    { SLICE_INIT("s"), "missing s=" },   { SLICE_INIT("cv"), "missing cv=" },
};

struct profile_spec {
    const struct tag_req *required;
    size_t n_required;
    bool version;   /* v= must be 1 (DKIM); ARC ignores v= */
    bool instance;  /* i= is the ARC instance, not the AUID */
    bool body;      /* bh=, l=, c= (body part), q=, x= are read */
    bool headers;   /* h= names the signed fields; false: h= is forbidden */
    bool need_from; /* §6.1.1: From must be signed */
    bool strict_list; /* an empty tag-spec (";;") is a syntax error */
    slice default_c;  /* c= when absent */
};

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))
static const struct profile_spec profiles[] = {
    [DKIM_PROFILE_DKIM] = { dkim_required, N_OF(dkim_required), true, false, true, true, true,
                            false, SLICE_INIT("simple/simple") },
    [DKIM_PROFILE_AMS] = { ams_required, N_OF(ams_required), false, true, true, true, false,
                           true, SLICE_INIT("relaxed/relaxed") },
    [DKIM_PROFILE_AS] = { as_required, N_OF(as_required), false, true, false, false, false,
                          true, SLICE_INIT("relaxed") },
};

/* has_empty_spec: true if a tag-spec other than the optional last one is empty (RFC 6376
 * §3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ]). tv_parse tolerates ";;" (DKIM keeps
 * that tolerance); the ARC profiles do not (ValiMail suite as_format_tags_sc,
 * ams_format_tags_sc). Values cannot hold ';', so splitting on it is exact. */
static bool has_empty_spec(slice value)
{
    slice rest = value, item;
    while (slice_take_until(&rest, ';', &item)) {
        if (slice_trim_fws(item).len == 0) {
            return true;
        }
    }
    return false;
}

/* parse_instance reads an ARC instance value: 1*2DIGIT in 1..50 (RFC 8617 §4.2.1). */
static unsigned parse_instance(slice v)
{
    uint64_t n;
    if (v.len == 0 || v.len > 2 || !slice_u64_all(v, &n) || n < 1 || n > DKIM_ARC_MAX_INSTANCE) {
        return 0;
    }
    return (unsigned)n;
}

static enum dkim_cv parse_cv(slice v)
{
    if (slice_eq_ci(v, SLICE_LIT("none"))) {
        return DKIM_CV_NONE;
    }
    if (slice_eq_ci(v, SLICE_LIT("pass"))) {
        return DKIM_CV_PASS;
    }
    if (slice_eq_ci(v, SLICE_LIT("fail"))) {
        return DKIM_CV_FAIL;
    }
    return DKIM_CV_INVALID;
}

#define SYNTAX(msg)                                                                               \
    do {                                                                                          \
        out->detail = (msg);                                                                      \
        return DKIM_R_SIG_SYNTAX;                                                                 \
    } while (0)

/* parse_identity handles i=: the AUID for DKIM (default "@d", dkim-quoted-printable, its
 * domain d= or below, §3.5 and §6.1.1), the instance for ARC (RFC 8617 §4.2.1). */
static enum dkim_reason parse_identity(struct arena *a, const struct profile_spec *p,
                                       struct dkim_sig *out, struct dkim_parsed *ps)
{
    const struct tv_list *tl = &ps->tags;
    if (p->instance) {
        ps->i_domain = out->d;
        if (ps->instance == 0) {
            SYNTAX("i= is not an instance number 1..50");
        }
        return DKIM_R_NONE;
    }
    /* The record shows i= as written; checks use the decoded form. */
    if (tv_get(tl, SLICE_LIT("i"), &out->i)) {
        slice idec, idom;
        if (!qp_decode(a, out->i, &idec)) {
            SYNTAX("i= has a malformed quoted-printable escape");
        }
        if (!identity_domain(idec, &idom)) {
            SYNTAX("i= has no @");
        }
        ps->i_domain = idom;
        if (!domain_equal_or_parent(idom, out->d)) {
            SYNTAX("i= domain is not d= or a subdomain of it");
        }
    } else {
        size_t n = out->d.len + 1;
        uint8_t *q = arena_alloc(a, n);
        q[0] = '@';
        memcpy(q + 1, out->d.ptr, out->d.len);
        out->i = slice_make(q, n);
        ps->i_domain = out->d;
    }
    return DKIM_R_NONE;
}

/* parse_numbers reads l=, q=, t=, x= (t= only for ARC-Seal). */
static enum dkim_reason parse_numbers(const struct profile_spec *p, struct dkim_sig *out,
                                      struct dkim_parsed *ps)
{
    const struct tv_list *tl = &ps->tags;
    slice v;
    if (p->body && tv_get(tl, SLICE_LIT("l"), &v)) {
        out->has_l = true;
        if (!slice_u64_all(v, &out->l)) {
            /* 76 digits are allowed (§3.5); past 2^64 it is larger than any body. */
            bool digits = v.len > 0;
            for (size_t k = 0; k < v.len; k++) {
                digits = digits && v.ptr[k] >= '0' && v.ptr[k] <= '9';
            }
            if (!digits || v.len > 76) {
                SYNTAX("l= is not a number");
            }
            out->l = UINT64_MAX;
        }
    }
    if (p->body && tv_get(tl, SLICE_LIT("q"), &v) && !tv_list_has(v, SLICE_LIT("dns/txt"))) {
        SYNTAX("q= does not offer dns/txt");
    }
    ps->has_t = tv_get(tl, SLICE_LIT("t"), &v);
    if (ps->has_t && !slice_u64_all(v, &ps->t)) {
        SYNTAX("t= is not a number");
    }
    ps->has_x = p->body && tv_get(tl, SLICE_LIT("x"), &v);
    if (ps->has_x && !slice_u64_all(v, &ps->x)) {
        SYNTAX("x= is not a number");
    }
    if (ps->has_t && ps->has_x && ps->x <= ps->t) {
        SYNTAX("x= is not after t="); /* §3.5: x= MUST be greater than t= */
    }
    return DKIM_R_NONE;
}

enum dkim_reason dkim_sig_parse(struct arena *a, enum dkim_profile prof, slice value,
                                struct dkim_sig *out, struct dkim_parsed *ps)
{
    const struct profile_spec *p = &profiles[prof];
    slice bad, v;
    enum tv_status st = tv_parse(a, &ps->tags, value, &bad);
    if (st != TV_OK) {
        SYNTAX(st == TV_E_DUPLICATE ? "duplicate tag" : "malformed tag-list");
    }
    if (p->strict_list && has_empty_spec(value)) {
        SYNTAX("empty tag-spec (\";;\")");
    }
    const struct tv_list *tl = &ps->tags;
    tv_get(tl, SLICE_LIT("d"), &out->d);
    tv_get(tl, SLICE_LIT("s"), &out->s);
    tv_get(tl, SLICE_LIT("a"), &out->a);
    ps->b_pair = tv_find(tl, SLICE_LIT("b"));
    if (ps->b_pair) {
        out->b = ps->b_pair->value;
    }
    if (p->instance) {
        /* Read before any rule can fail: the chain's structure needs them (RFC 8617 §5.2). */
        ps->has_instance = tv_get(tl, SLICE_LIT("i"), &out->i);
        ps->instance = ps->has_instance ? parse_instance(out->i) : 0;
        if (prof == DKIM_PROFILE_AS && tv_get(tl, SLICE_LIT("cv"), &v)) {
            ps->cv = parse_cv(v);
        }
    }
    for (size_t k = 0; k < p->n_required; k++) {
        if (!tv_get(tl, p->required[k].name, &v)) {
            SYNTAX(p->required[k].missing);
        }
    }
    if (p->version) {
        tv_get(tl, SLICE_LIT("v"), &v);
        if (!slice_eq(v, SLICE_LIT("1"))) {
            SYNTAX("v= is not 1"); /* §6.1.1: incompatible version */
        }
    }
    if (ps->cv == DKIM_CV_INVALID) {
        SYNTAX("cv= is not none, pass or fail");
    }
    if (out->d.len == 0 || out->s.len == 0) {
        SYNTAX("empty d= or s=");
    }
    if (!domain_labels_ok(out->d)) {
        /* §3.5: d= is a domain-name (RFC 5321 sub-domain *("." sub-domain)): no empty
         * label, so no leading or trailing dot. dkimpy and OpenDKIM fail "example.com."
         * too (their key query has an empty label). */
        SYNTAX("d= is not a domain name (empty label)");
    }
    /* c= (default simple/simple for DKIM, §3.5). RFC 8617 §4.1.3: the seal is always
     * relaxed. An AMS without c= is relaxed/relaxed: dkimpy's ARC verifier does so and the
     * ValiMail suite (ams_fields_c_na, 2018 revision) expects it; §4.1.2's "same semantics
     * as DKIM-Signature" would say simple/simple, and no deployed sealer omits c=. */
    out->c = p->default_c;
    out->hc = out->bc = CANON_SIMPLE;
    if (!p->body) {
        out->hc = CANON_RELAXED;
    } else {
        if (tv_get(tl, SLICE_LIT("c"), &v)) {
            out->c = v;
        }
        if (!dkim_parse_canon(out->c, &out->hc, &out->bc)) {
            SYNTAX("unknown canonicalization in c=");
        }
    }
    enum dkim_reason r = parse_identity(a, p, out, ps);
    if (r != DKIM_R_NONE) {
        return r;
    }
    bool has_h = tv_get(tl, SLICE_LIT("h"), &ps->h);
    if (!p->headers && has_h) {
        SYNTAX("h= is not allowed in ARC-Seal (RFC 8617 §4.1.3)");
    }
    if (p->need_from && !tv_list_has(ps->h, SLICE_LIT("from"))) {
        SYNTAX("From is not in h="); /* §6.1.1: From field not signed */
    }
    if (prof == DKIM_PROFILE_AMS && tv_list_has(ps->h, SLICE_LIT("arc-seal"))) {
        SYNTAX("h= includes ARC-Seal (RFC 8617 §4.1.2)");
    }
    r = parse_numbers(p, out, ps);
    if (r != DKIM_R_NONE) {
        return r;
    }
    /* b= and bh= are base64 (FWS allowed inside, §2.4). */
    size_t cap = b64_decoded_max(out->b.len);
    if (cap > LIM_DKIM_SIG_BYTES) {
        cap = LIM_DKIM_SIG_BYTES;
    }
    ps->bsig = arena_alloc(a, cap);
    if (!b64_decode(ps->bsig, cap, &ps->bsig_len, out->b) || ps->bsig_len == 0) {
        SYNTAX("b= is not valid base64");
    }
    if (p->body) {
        tv_get(tl, SLICE_LIT("bh"), &v);
        if (!b64_decode(ps->bh, sizeof(ps->bh), &ps->bh_len, v) || ps->bh_len == 0) {
            SYNTAX("bh= is not valid base64");
        }
    }
    /* a= (§3.5, RFC 8463 §3) */
    if (slice_eq_ci(out->a, SLICE_LIT("rsa-sha256"))) {
        out->alg = DKIM_A_RSA_SHA256;
    } else if (slice_eq_ci(out->a, SLICE_LIT("ed25519-sha256"))) {
        out->alg = DKIM_A_ED25519_SHA256;
    } else if (slice_eq_ci(out->a, SLICE_LIT("rsa-sha1"))) {
        out->alg = DKIM_A_RSA_SHA1;
    } else {
        out->detail = "unknown a=";
        return DKIM_R_UNSUPPORTED_ALGORITHM;
    }
    return DKIM_R_NONE;
}
#undef SYNTAX

/* ---- key retrieval (§6.1.2) -------------------------------------------------------------- */

struct key_pick {
    const struct keycache_entry *e;
    enum dkim_reason reason;
    bool pending;
};

/* key_syntax_detail says what is wrong with a key record, for people: the parser's note
 * (which may quote record bytes; cut short and only when free of NUL). */
static const char *key_syntax_detail(struct arena *a, slice why)
{
    static const char pre[] = "key record is malformed: ";
    if (why.len == 0 || slice_contains_byte(why, 0)) {
        return "key record is malformed";
    }
    if (why.len > 200) {
        why.len = 200;
    }
    char *d = arena_alloc(a, sizeof(pre) + why.len);
    memcpy(d, pre, sizeof(pre) - 1);
    memcpy(d + sizeof(pre) - 1, why.ptr, why.len);
    d[sizeof(pre) - 1 + why.len] = 0;
    return d;
}

/* key_memo_find returns the memo slot for name (lower-cased into low), and whether it
 * holds that name. */
static struct key_memo_slot *key_memo_find(struct dkim_thread *t, const uint8_t *name, size_t n,
                                           uint8_t *low, bool *hit)
{
    for (size_t i = 0; i < n; i++) {
        low[i] = slice_lower(name[i]);
    }
    uint64_t h = shmap_hash(slice_make(low, n));
    struct key_memo_slot *m = &t->memo[h % KEY_MEMO_SLOTS];
    *hit = m->e != NULL && m->hash == h && m->len == n && memcmp(m->name, low, n) == 0;
    if (!*hit) {
        m->hash = h; /* the caller fills the rest if it finds a key to keep */
    }
    return m;
}

static struct key_pick fetch_key(struct dkim_thread *t, struct arena *a, struct dns_resolver *r,
                                 struct keycache *kc, const struct dkim_sig *s,
                                 const char **detail)
{
    struct key_pick kp = { 0 };
    size_t n = s->s.len + 12 + s->d.len;
    uint8_t *name = arena_alloc(a, n);
    memcpy(name, s->s.ptr, s->s.len);
    memcpy(name + s->s.len, "._domainkey.", 12);
    memcpy(name + s->s.len + 12, s->d.ptr, s->d.len);
    struct key_memo_slot *memo = NULL;
    uint8_t low[LIM_DNS_NAME_BYTES];
    if (r->ops->immutable && n <= sizeof(low)) {
        bool hit;
        memo = key_memo_find(t, name, n, low, &hit);
        if (hit) {
            keycache_memo_hit(kc);
            kp.e = memo->e;
            return kp;
        }
    }
    const struct dns_answer *ans = NULL;
    enum dns_status st = dns_lookup(r, slice_make(name, n), DNS_T_TXT, &ans);
    switch (st) {
    case DNS_OK:
        break;
    case DNS_PENDING:
        kp.pending = true;
        return kp;
    case DNS_BADNAME:
        *detail = "s=/d= do not make a valid DNS name";
        kp.reason = DKIM_R_SIG_SYNTAX;
        return kp;
    case DNS_NXDOMAIN:
    case DNS_NODATA:
        *detail = st == DNS_NXDOMAIN ? "no key record (NXDOMAIN)" : "no key record (no TXT)";
        kp.reason = DKIM_R_KEY_NOT_FOUND;
        dns_release(r, ans);
        return kp;
    case DNS_TIMEOUT:
    case DNS_SERVFAIL:
    case DNS__STATUS_COUNT:
        *detail = st == DNS_TIMEOUT ? "key lookup timed out" : "key lookup failed (SERVFAIL)";
        kp.reason = DKIM_R_DNS_TEMPERROR;
        dns_release(r, ans);
        return kp;
    }
    /* Several TXT records: use the first that is a usable key, else report the first
     * record's problem (§6.1.2 lets the verifier choose). */
    const struct keycache_entry *first = NULL;
    for (size_t k = 0; k < ans->n_rr; k++) {
        slice txt;
        if (!dns_txt_join(&ans->rr[k], a, &txt)) {
            continue;
        }
        const struct keycache_entry *e = keycache_get(kc, txt);
        if (e->status == KC_KEY_OK) {
            keycache_put(first);
            first = e;
            break;
        }
        if (first == NULL) {
            first = e;
        } else {
            keycache_put(e);
        }
    }
    dns_release(r, ans);
    if (first == NULL) {
        *detail = "no usable TXT record";
        kp.reason = DKIM_R_KEY_SYNTAX;
        return kp;
    }
    kp.e = first;
    switch (first->status) {
    case KC_KEY_OK:
        if (memo != NULL && !first->owned) {
            memo->e = first;
            memo->len = n;
            memcpy(memo->name, low, n);
        }
        break;
    case KC_KEY_SYNTAX:
    case KC_KEY_UNKNOWN_TYPE:
        *detail = first->status == KC_KEY_UNKNOWN_TYPE ? "key record k= names an unknown type"
                                                       : key_syntax_detail(a, first->rec.detail);
        kp.reason = DKIM_R_KEY_SYNTAX;
        break;
    case KC_KEY_REVOKED:
        *detail = "key record has an empty p= (revoked)";
        kp.reason = DKIM_R_KEY_REVOKED;
        break;
    case KC_KEY_WRONG_TYPE:
        *detail = "p= holds a key of another type";
        kp.reason = DKIM_R_KEY_TYPE_MISMATCH;
        break;
    }
    return kp;
}

/* key_rules applies §3.6.1's key record rules to the signature (step 4). */
static enum dkim_reason key_rules(const struct keycache_entry *e, struct dkim_sig *s,
                                  slice i_domain)
{
    const struct keyrec *k = &e->rec;
    enum sig_key_type want = s->alg == DKIM_A_ED25519_SHA256 ? SIG_KEY_ED25519 : SIG_KEY_RSA;
    if (k->type != want) {
        s->detail = "a= and the key record's k= disagree";
        return DKIM_R_KEY_TYPE_MISMATCH;
    }
    bool sha1 = s->alg == DKIM_A_RSA_SHA1;
    if ((sha1 && !k->h_sha1) || (!sha1 && !k->h_sha256)) {
        s->detail = "the key record's h= does not allow this hash";
        return DKIM_R_KEY_HASH_NOT_ALLOWED;
    }
    if (!k->service_email) {
        s->detail = "the key record's s= does not include email";
        return DKIM_R_KEY_SERVICE;
    }
    if (k->strict) {
        if (!slice_eq_ci(i_domain, s->d)) {
            s->detail = "key has t=s but i= is a subdomain of d=";
            return DKIM_R_KEY_SUBDOMAIN_FORBIDDEN;
        }
    }
    return DKIM_R_NONE;
}

enum dkim_reason dkim_key_get(const struct dkim_env *e, struct dkim_sig *s,
                              const struct dkim_parsed *ps, const struct keycache_entry **out)
{
    *out = NULL;
    struct key_pick kp = fetch_key(e->t, e->a, e->r, e->kc, s, &s->detail);
    if (kp.pending) {
        *e->pending = true;
        return DKIM_R_DNS_TEMPERROR;
    }
    if (kp.reason != DKIM_R_NONE) {
        if (kp.e != NULL) {
            s->bits = kp.e->bits; /* a refused key still shows its size */
        }
        keycache_put(kp.e);
        return kp.reason;
    }
    s->testing = kp.e->rec.testing;
    s->bits = kp.e->bits;
    enum dkim_reason rs = key_rules(kp.e, s, ps->i_domain);
    if (rs == DKIM_R_NONE && s->alg != DKIM_A_ED25519_SHA256 && s->bits > LIM_RSA_MAX_BITS) {
        s->detail = "RSA key larger than 8192 bits: not verified";
        rs = DKIM_R_KEY_TOO_LARGE;
    }
    if (rs != DKIM_R_NONE) {
        keycache_put(kp.e);
        return rs;
    }
    *out = kp.e;
    return DKIM_R_NONE;
}

/* ---- body hash (§3.7) -------------------------------------------------------------------- */

static enum sig_hash_alg hash_of(enum dkim_alg alg)
{
    return alg == DKIM_A_RSA_SHA1 ? SIG_SHA1 : SIG_SHA256;
}

enum dkim_reason dkim_body_check(const struct dkim_env *e, struct dkim_sig *s,
                                 const struct dkim_parsed *ps)
{
    const struct dkim_body_hash *bh =
        body_hash_get(e->t, e->memo, e->h->body, hash_of(s->alg), s->bc, s->has_l, s->l);
    if (s->has_l) {
        s->has_unsigned = true;
        s->unsigned_body_bytes = bh->canon_len > s->l ? bh->canon_len - s->l : 0;
        if (s->l > bh->canon_len) {
            /* §3.5: l= MUST NOT be larger than the canonical body. */
            s->detail = "l= is larger than the canonicalized body";
            return DKIM_R_BODY_LENGTH_EXCEEDS;
        }
    }
    if (bh->digest_len != ps->bh_len || memcmp(bh->digest, ps->bh, bh->digest_len) != 0) {
        return DKIM_R_BODY_HASH_MISMATCH;
    }
    return DKIM_R_NONE;
}

/* ---- header hash (§3.7, §5.4.2) ---------------------------------------------------------- */

static void hdr_hash_flush(void *ctx, const uint8_t *p, size_t n)
{
    sig_hash_update(ctx, p, n);
}

void dkim_h_select(struct arena *a, const struct hdr_index *h, slice names,
                   const struct hdr_field ***out_fields, size_t *out_n)
{
    const struct hdr_field **fields = arena_array(a, LIM_DKIM_H_NAMES, sizeof(*fields));
    bool *used = arena_array(a, h->n, sizeof(bool));
    slice rest = names, name;
    size_t n_names = 0, n = 0;
    while (rest.len > 0 && n_names < LIM_DKIM_H_NAMES) {
        if (!slice_take_until(&rest, ':', &name)) {
            name = rest;
            rest.len = 0;
        }
        name = slice_trim_fws(name);
        n_names++;
        for (size_t k = h->n; k-- > 0;) {
            const struct hdr_field *f = &h->f[k];
            if (!used[k] && f->name_ok && f->name.len == name.len && slice_eq_ci(f->name, name)) {
                used[k] = true;
                fields[n++] = f;
                break;
            }
        }
    }
    *out_fields = fields;
    *out_n = n;
}

size_t dkim_header_hash(struct dkim_thread *t, struct arena *a,
                        const struct hdr_field *const *fields, size_t n,
                        const struct hdr_field *self, slice b_raw, enum canon_alg hc,
                        enum sig_hash_alg halg, uint8_t out[SIG_MAX_DIGEST])
{
    sig_hash_init(t->hdr, halg);
    struct canon_sink *s = arena_alloc(a, sizeof(*s));
    canon_sink_init(s, hdr_hash_flush, t->hdr);
    for (size_t k = 0; k < n; k++) {
        canon_header(s, hc, fields[k]->raw, true);
    }
    canon_header_without(s, hc, self->raw, b_raw, false);
    canon_sink_finish(s);
    return sig_hash_final(t->hdr, out);
}

/* ---- crypto and acceptability (step 6, 7) ----------------------------------------------- */

enum dkim_reason dkim_crypto_check(struct dkim_thread *t, const struct dkim_opts *o,
                                   const struct keycache_entry *k, const uint8_t *digest,
                                   size_t digest_len, struct dkim_sig *s,
                                   const struct dkim_parsed *ps)
{
    if (!sig_verifier_verify(t->ver, k->key, hash_of(s->alg), digest, digest_len,
                             slice_make(ps->bsig, ps->bsig_len))) {
        return DKIM_R_SIGNATURE_MISMATCH;
    }
    if (s->alg == DKIM_A_RSA_SHA1 && !o->allow_sha1) {
        s->detail = "verifies, but rsa-sha1 is not acceptable (RFC 8301 §3.1)";
        return DKIM_R_SHA1_REJECTED;
    }
    if (s->alg != DKIM_A_ED25519_SHA256 && s->bits < LIM_RSA_MIN_BITS) {
        s->detail = "verifies, but RSA keys under 1024 bits are not acceptable (RFC 8301 §3.2)";
        return DKIM_R_KEY_TOO_SMALL;
    }
    if (ps->has_x && (int64_t)ps->x >= 0 && o->now > (int64_t)ps->x) {
        s->detail = "verifies, but x= is before the evaluation time";
        return DKIM_R_EXPIRED;
    }
    if (ps->has_t && ps->t > (uint64_t)INT64_MAX / 2) {
        s->detail = "verifies, but t= is absurdly far in the future";
        return DKIM_R_FUTURE;
    }
    if (ps->has_t && (int64_t)ps->t > o->now + o->clock_skew) {
        s->detail = "verifies, but t= is after the evaluation time";
        return DKIM_R_FUTURE;
    }
    if (s->alg == DKIM_A_RSA_SHA1) {
        s->detail = "verifies with rsa-sha1, accepted because of --allow-sha1";
    }
    return s->testing ? DKIM_R_TESTING_KEY : DKIM_R_NONE;
}

/* ---- one signature ------------------------------------------------------------------------ */

enum dkim_reason dkim_sig_verify(const struct dkim_env *e, enum dkim_profile p,
                                 const struct hdr_field *self,
                                 const struct hdr_field *const *fields, size_t n_fields,
                                 struct dkim_sig *s, const struct dkim_parsed *ps)
{
    const struct keycache_entry *key;
    enum dkim_reason rs = dkim_key_get(e, s, ps, &key);
    if (rs != DKIM_R_NONE) {
        return rs;
    }
    if (profiles[p].body) {
        rs = dkim_body_check(e, s, ps);
    }
    if (rs == DKIM_R_NONE) {
        const struct hdr_field **sel = NULL;
        if (fields == NULL) {
            dkim_h_select(e->a, e->h, ps->h, &sel, &n_fields);
            fields = sel;
        }
        uint8_t hd[SIG_MAX_DIGEST];
        size_t hd_len = dkim_header_hash(e->t, e->a, fields, n_fields, self, ps->b_pair->raw_value,
                                         s->hc, hash_of(s->alg), hd);
        rs = dkim_crypto_check(e->t, e->o, key, hd, hd_len, s, ps);
    }
    keycache_put(key);
    return rs;
}

static enum dkim_reason verify_one(const struct dkim_env *e, struct dkim_sig *s)
{
    const struct hdr_field *f = &e->h->f[s->field];
    struct dkim_parsed ps;
    memset(&ps, 0, sizeof(ps));
    enum dkim_reason rs = dkim_sig_parse(e->a, DKIM_PROFILE_DKIM, f->value, s, &ps);
    if (rs != DKIM_R_NONE) {
        return rs;
    }
    return dkim_sig_verify(e, DKIM_PROFILE_DKIM, f, NULL, 0, s, &ps);
}

void dkim_verify_message_memo(struct dkim_thread *t, struct arena *a, struct dns_resolver *r,
                              struct keycache *kc, const struct dkim_opts *o,
                              const struct hdr_index *h, struct dkim_body_memo *memo,
                              struct dkim_report *out)
{
    static const slice name = SLICE_INIT("DKIM-Signature");
    memset(out, 0, sizeof(*out));
    out->n_fields = hdr_count(h, name);
    size_t n_list = out->n_fields < o->max_sigs + LIM_DKIM_SIGS_REPORTED
                        ? out->n_fields
                        : o->max_sigs + LIM_DKIM_SIGS_REPORTED;
    if (n_list == 0) {
        return;
    }
    out->sig = ARENA_ARRAY(a, struct dkim_sig, n_list);
    struct dkim_env env = { t, a, r, kc, o, h, memo, &out->pending };
    ptrdiff_t k = -1;
    for (size_t n = 0; n < n_list; n++) {
        k = hdr_find(h, name, (size_t)(k + 1));
        struct dkim_sig *s = &out->sig[n];
        s->field = (size_t)k;
        if (n >= o->max_sigs) {
            /* Over the limit: reported, not verified. Show what the tags say. */
            struct dkim_parsed ps;
            memset(&ps, 0, sizeof(ps));
            (void)dkim_sig_parse(a, DKIM_PROFILE_DKIM, h->f[k].value, s, &ps);
            s->detail = "over --max-signatures: not verified";
            s->reason = DKIM_R_SKIPPED_LIMIT;
        } else {
            s->reason = verify_one(&env, s);
        }
        s->result = dkim_reason_verdict(s->reason);
    }
    out->n = n_list;
}

void dkim_verify_message(struct dkim_thread *t, struct arena *a, struct dns_resolver *r,
                         struct keycache *kc, const struct dkim_opts *o,
                         const struct hdr_index *h, struct dkim_report *out)
{
    dkim_verify_message_memo(t, a, r, kc, o, h, dkim_body_memo_new(a), out);
}
