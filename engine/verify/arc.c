#include "engine/verify/arc.h"

#include <stdio.h>
#include <string.h>

#include "engine/core/json.h"
#include "engine/verify/dkim_internal.h"

static const char *const reason_names[ARC_R__COUNT] = {
    [ARC_R_NONE] = NULL,
    [ARC_R_TOO_MANY_SETS] = "too_many_sets",
    [ARC_R_AS_INSTANCE_INVALID] = "as_instance_invalid",
    [ARC_R_AMS_INSTANCE_INVALID] = "ams_instance_invalid",
    [ARC_R_AAR_INSTANCE_INVALID] = "aar_instance_invalid",
    [ARC_R_CV_FAIL] = "cv_fail",
    [ARC_R_INSTANCE_GAP] = "instance_gap",
    [ARC_R_AS_MISSING] = "as_missing",
    [ARC_R_AMS_MISSING] = "ams_missing",
    [ARC_R_AAR_MISSING] = "aar_missing",
    [ARC_R_AS_DUPLICATE] = "as_duplicate",
    [ARC_R_AMS_DUPLICATE] = "ams_duplicate",
    [ARC_R_AAR_DUPLICATE] = "aar_duplicate",
    [ARC_R_AS_CV_INVALID] = "as_cv_invalid",
    [ARC_R_CV_NOT_NONE] = "cv_not_none",
    [ARC_R_CV_NOT_PASS] = "cv_not_pass",
    [ARC_R_AMS] = "ams",
    [ARC_R_AS] = "as",
};

const char *arc_reason_name(enum arc_reason r)
{
    return (unsigned)r < ARC_R__COUNT ? reason_names[r] : "?";
}

const char *arc_reason_text(const struct arc_result *r, char buf[ARC_REASON_MAX])
{
    if (r->reason == ARC_R_NONE) {
        return NULL;
    }
    int n;
    if (r->reason == ARC_R_AMS || r->reason == ARC_R_AS) {
        n = snprintf(buf, ARC_REASON_MAX, "%s_%s", arc_reason_name(r->reason),
                     dkim_reason_name(r->sig_reason));
    } else {
        n = snprintf(buf, ARC_REASON_MAX, "%s", arc_reason_name(r->reason));
    }
    if (r->reason_i >= 0 && n > 0 && n < ARC_REASON_MAX) {
        snprintf(buf + n, ARC_REASON_MAX - (size_t)n, " i=%ld", r->reason_i);
    }
    return buf;
}

/* ---- collecting the ARC Sets (RFC 8617 §5.2 step 1) ------------------------------------ */

/* The three fields of a set, in the order §5.1.1 feeds them to the seal's hash. */
enum arc_kind { K_AAR = 0, K_AMS, K_AS, K__N };

static const slice kind_names[K__N] = {
    [K_AAR] = SLICE_INIT("ARC-Authentication-Results"),
    [K_AMS] = SLICE_INIT("ARC-Message-Signature"),
    [K_AS] = SLICE_INIT("ARC-Seal"),
};
static const enum arc_reason kind_invalid[K__N] = {
    [K_AAR] = ARC_R_AAR_INSTANCE_INVALID,
    [K_AMS] = ARC_R_AMS_INSTANCE_INVALID,
    [K_AS] = ARC_R_AS_INSTANCE_INVALID,
};
static const enum arc_reason kind_missing[K__N] = {
    [K_AAR] = ARC_R_AAR_MISSING, [K_AMS] = ARC_R_AMS_MISSING, [K_AS] = ARC_R_AS_MISSING,
};
static const enum arc_reason kind_duplicate[K__N] = {
    [K_AAR] = ARC_R_AAR_DUPLICATE, [K_AMS] = ARC_R_AMS_DUPLICATE, [K_AS] = ARC_R_AS_DUPLICATE,
};

/* One ARC field of one instance: the first field seen, and how many there were. */
struct arc_member {
    size_t n;
    size_t field;
    enum dkim_reason parse; /* AMS, AS: dkim_sig_parse's result */
    struct dkim_sig sig;
    struct dkim_parsed ps;
    enum authres_status ar_status; /* AAR */
    struct authres_field aar;
};

struct arc_chain {
    unsigned n; /* N */
    struct arc_member m[DKIM_ARC_MAX_INSTANCE + 1][K__N];
};

static void fail(struct arc_result *out, enum arc_reason why, long i)
{
    out->result = AV_FAIL;
    out->reason = why;
    out->reason_i = i;
}

/* as_written_number gives the i= value for a reason when it is a plain number, else -1. */
static long as_written_number(bool has, uint64_t v)
{
    return has && v <= 999999 ? (long)v : -1;
}

/* parse_field reads one ARC field into a member-shaped scratch and returns its instance (0
 * when i= is missing or not 1..50; *shown is then what to print for it). */
static unsigned parse_field(struct arena *a, enum arc_kind k, const struct hdr_field *f,
                            struct arc_member *m, long *shown)
{
    if (k == K_AAR) {
        m->ar_status = authres_parse(a, &m->aar, f->value);
        bool ok = m->aar.has_instance && m->aar.instance >= 1 &&
                  m->aar.instance <= DKIM_ARC_MAX_INSTANCE;
        *shown = as_written_number(m->aar.has_instance, m->aar.instance);
        return ok ? (unsigned)m->aar.instance : 0;
    }
    m->parse = dkim_sig_parse(a, k == K_AS ? DKIM_PROFILE_AS : DKIM_PROFILE_AMS, f->value,
                              &m->sig, &m->ps);
    uint64_t v = 0;
    bool num = m->ps.has_instance && slice_u64_all(m->sig.i, &v);
    *shown = as_written_number(num, v);
    return m->ps.instance;
}

/* collect groups every ARC field by instance. Fields with an unusable i= are not kept; the
 * first of them is reported. False (and *out failed) on the first structural error. */
static bool collect(struct arena *a, const struct hdr_index *h, struct arc_chain *c,
                    struct arc_result *out)
{
    bool ok = true;
    for (enum arc_kind k = 0; k < K__N; k++) {
        if (hdr_count(h, kind_names[k]) > DKIM_ARC_MAX_INSTANCE) {
            fail(out, ARC_R_TOO_MANY_SETS, -1); /* §5.2 step 1: more than 50 sets */
            out->detail = "more than 50 ARC fields of one kind";
            return false;
        }
    }
    struct arc_member *scratch = arena_zalloc(a, sizeof(*scratch));
    for (size_t fi = 0; fi < h->n; fi++) {
        const struct hdr_field *f = &h->f[fi];
        enum arc_kind k = K__N;
        for (enum arc_kind j = 0; j < K__N && f->name_ok; j++) {
            if (slice_eq_ci(f->name, kind_names[j])) {
                k = j;
            }
        }
        if (k == K__N) {
            continue;
        }
        memset(scratch, 0, sizeof(*scratch));
        long shown;
        unsigned i = parse_field(a, k, f, scratch, &shown);
        if (i == 0) {
            if (ok) {
                fail(out, kind_invalid[k], shown);
                out->detail = "i= is missing or not an instance number 1..50 (RFC 8617 §4.2.1)";
                ok = false;
            }
            continue;
        }
        struct arc_member *m = &c->m[i][k];
        if (m->n++ == 0) {
            size_t n = m->n;
            *m = *scratch;
            m->n = n;
            m->field = fi;
        }
        c->n = i > c->n ? i : c->n;
    }
    out->instances = c->n;
    return ok;
}

/* ---- structure (§5.2 steps 2 and 3) ------------------------------------------------------- */

static bool check_structure(const struct arc_chain *c, struct arc_result *out)
{
    for (unsigned i = c->n; i >= 1; i--) {
        const struct arc_member *as = &c->m[i][K_AS];
        if (as->n > 0 && as->ps.cv == DKIM_CV_FAIL) {
            fail(out, ARC_R_CV_FAIL, i); /* step 2, 3C: a chain marked failed stays failed */
            return false;
        }
    }
    for (unsigned i = 1; i <= c->n; i++) {
        const struct arc_member *m = c->m[i];
        if (m[K_AAR].n == 0 && m[K_AMS].n == 0 && m[K_AS].n == 0) {
            fail(out, ARC_R_INSTANCE_GAP, i); /* 3B: 1..N with no gaps */
            return false;
        }
        for (enum arc_kind k = 0; k < K__N; k++) {
            if (m[k].n != 1) { /* 3A, 3B: exactly one of each, no repetition */
                fail(out, m[k].n == 0 ? kind_missing[k] : kind_duplicate[k], i);
                return false;
            }
        }
    }
    for (unsigned i = 1; i <= c->n; i++) {
        enum dkim_cv cv = c->m[i][K_AS].ps.cv;
        if (cv == DKIM_CV_ABSENT || cv == DKIM_CV_INVALID) {
            fail(out, ARC_R_AS_CV_INVALID, i);
            return false;
        }
        if (i == 1 && cv != DKIM_CV_NONE) {
            fail(out, ARC_R_CV_NOT_NONE, i); /* 3C */
            return false;
        }
        if (i > 1 && cv != DKIM_CV_PASS) {
            fail(out, ARC_R_CV_NOT_PASS, i); /* 3C */
            return false;
        }
    }
    return true;
}

/* ---- signatures (§5.2 steps 4 to 6) ------------------------------------------------------- */

static enum dkim_reason verify_ams(const struct dkim_env *e, struct arc_member *m)
{
    if (m->parse != DKIM_R_NONE) {
        return m->parse;
    }
    return dkim_sig_verify(e, DKIM_PROFILE_AMS, &e->h->f[m->field], NULL, 0, &m->sig, &m->ps);
}

/* verify_as checks the seal of instance i over §5.1.1's scope: for each instance 1..i its
 * AAR, AMS and AS, in that order, the AS of i last with b= emptied (dkim_header_hash). */
static enum dkim_reason verify_as(const struct dkim_env *e, struct arc_chain *c, unsigned i)
{
    struct arc_member *m = &c->m[i][K_AS];
    if (m->parse != DKIM_R_NONE) {
        return m->parse;
    }
    const struct hdr_field **fields = arena_array(e->a, (size_t)i * K__N, sizeof(*fields));
    size_t n = 0;
    for (unsigned j = 1; j <= i; j++) {
        for (enum arc_kind k = 0; k < K__N; k++) {
            if (j < i || k != K_AS) {
                fields[n++] = &e->h->f[c->m[j][k].field];
            }
        }
    }
    return dkim_sig_verify(e, DKIM_PROFILE_AS, &e->h->f[m->field], fields, n, &m->sig, &m->ps);
}

static bool passes(enum dkim_reason r)
{
    return dkim_reason_verdict(r) == AV_PASS;
}

static void check_signatures(const struct dkim_env *e, struct arc_chain *c,
                             struct arc_result *out)
{
    unsigned n = c->n;
    struct arc_member *ams = &c->m[n][K_AMS];
    enum dkim_reason r = verify_ams(e, ams);
    if (*e->pending) {
        return;
    }
    if (!passes(r)) { /* step 4 */
        fail(out, ARC_R_AMS, n);
        out->sig_reason = r;
        out->detail = ams->sig.detail;
        return;
    }
    unsigned oldest = n; /* step 5: informational, does not decide the result */
    while (oldest > 1 && passes(verify_ams(e, &c->m[oldest - 1][K_AMS])) && !*e->pending) {
        oldest--;
    }
    if (*e->pending) {
        return;
    }
    for (unsigned i = n; i >= 1; i--) { /* step 6 */
        r = verify_as(e, c, i);
        if (*e->pending) {
            return;
        }
        if (!passes(r)) {
            fail(out, ARC_R_AS, i);
            out->sig_reason = r;
            out->detail = c->m[i][K_AS].sig.detail;
            return;
        }
    }
    out->result = AV_PASS; /* step 7 */
    out->oldest_pass = oldest;
}

/* ---- what the sets say -------------------------------------------------------------------- */

static bool aar_dmarc_pass(const struct authres_field *f)
{
    for (size_t k = 0; k < f->n_ri; k++) {
        if (slice_eq_ci(f->ri[k].method, SLICE_LIT("dmarc"))) {
            return f->ri[k].result.known && f->ri[k].result.verdict == AV_PASS;
        }
    }
    return false;
}

static void list_sealers(struct arena *a, const struct arc_chain *c, struct arc_result *out)
{
    out->sealers = ARENA_ARRAY(a, struct arc_sealer, c->n + 1);
    for (unsigned i = 1; i <= c->n; i++) {
        const struct arc_member *as = &c->m[i][K_AS], *aar = &c->m[i][K_AAR];
        if (as->n == 0) {
            continue;
        }
        out->sealers[out->n_sealers++] = (struct arc_sealer){
            .i = i, .d = as->sig.d, .s = as->sig.s,
            .aar_dmarc_pass = aar->n > 0 && aar_dmarc_pass(&aar->aar),
        };
    }
}

/* first_results reads the AAR of instance 1 with authres.h's rules for one trusted field: the
 * AAR is given to authres_recorded_get as the only field of an index, trusted by its own
 * authserv-id (the AAR is the sealer's testimony whatever id it names). */
static void first_results(struct arena *a, const struct hdr_index *h, const struct arc_chain *c,
                          struct arc_result *out)
{
    out->first = (struct authres_recorded){ .field = -1, .spf_field = -1 };
    const struct arc_member *m = &c->m[1][K_AAR];
    if (c->n < 1 || m->n == 0 || m->ar_status != AUTHRES_OK || m->aar.authserv_id.ptr == NULL) {
        return;
    }
    const struct hdr_field *src = &h->f[m->field];
    struct hdr_field one = { .raw = src->raw, .name = SLICE_LIT("Authentication-Results"),
                             .value = src->value, .name_ok = true };
    struct hdr_index idx = { .f = &one, .n = 1, .head = src->raw };
    slice id = m->aar.authserv_id;
    authres_recorded_get(a, &out->first, &idx, &id, 1);
    out->first.field = (ptrdiff_t)m->field;
    if (out->first.has_spf) {
        out->first.spf_source = "arc-authentication-results";
        out->first.spf_field = (ptrdiff_t)m->field;
    }
}

void arc_verify_message(struct dkim_thread *t, struct arena *a, struct dns_resolver *r,
                        struct keycache *kc, const struct dkim_opts *o,
                        const struct hdr_index *h, struct dkim_body_memo *memo,
                        struct arc_result *out)
{
    memset(out, 0, sizeof(*out));
    out->result = AV_NONE;
    out->reason_i = -1;
    out->first = (struct authres_recorded){ .field = -1, .spf_field = -1 };
    size_t n_fields = 0;
    for (enum arc_kind k = 0; k < K__N; k++) {
        n_fields += hdr_count(h, kind_names[k]);
    }
    if (n_fields == 0) {
        return; /* §5.2 step 1: no ARC Sets, status none */
    }
    struct arc_chain *c = arena_zalloc(a, sizeof(*c));
    bool ok = collect(a, h, c, out);
    list_sealers(a, c, out);
    first_results(a, h, c, out);
    if (!ok || !check_structure(c, out)) {
        return;
    }
    /* RFC 8301 applies to ARC whatever --allow-sha1 says for DKIM. */
    struct dkim_opts ao = *o;
    ao.allow_sha1 = false;
    struct dkim_env env = { t, a, r, kc, &ao, h, memo ? memo : dkim_body_memo_new(a),
                            &out->pending };
    check_signatures(&env, c, out);
    if (out->pending) {
        out->result = AV_FAIL;
        out->reason = ARC_R_NONE;
        out->reason_i = -1;
        out->detail = "key lookup pending";
    }
}

/* ---- JSON and the DMARC override ---------------------------------------------------------- */

static bool json_sealers(struct sbuf *b, const struct arc_result *r)
{
    if (!sbuf_putc(b, '[')) {
        return false;
    }
    for (size_t k = 0; k < r->n_sealers; k++) {
        const struct arc_sealer *s = &r->sealers[k];
        bool first = true;
        if ((k > 0 && !sbuf_putc(b, ',')) || !sbuf_putc(b, '{') || !json_key(b, &first, "i") ||
            !json_u64(b, s->i) || !json_key(b, &first, "d") || !json_str(b, s->d) ||
            !json_key(b, &first, "s") || !json_str(b, s->s) || !sbuf_putc(b, '}')) {
            return false;
        }
    }
    return sbuf_putc(b, ']');
}

bool arc_result_json(struct sbuf *b, const struct arc_result *r)
{
    char buf[ARC_REASON_MAX];
    bool first = true;
    return sbuf_putc(b, '{') && json_key(b, &first, "result") &&
           json_cstr(b, auth_verdict_name(r->result)) && json_key(b, &first, "instances") &&
           json_u64(b, r->instances) && json_key(b, &first, "reason") &&
           json_cstr(b, arc_reason_text(r, buf)) && json_key(b, &first, "oldest_pass") &&
           (r->oldest_pass ? json_u64(b, r->oldest_pass) : json_null(b)) &&
           json_key(b, &first, "sealers") && json_sealers(b, r) &&
           json_key(b, &first, "first_results") && authres_recorded_json(b, &r->first) &&
           sbuf_putc(b, '}');
}

bool arc_trusted_dmarc_pass(const struct arc_result *r, const slice *trusted_sealers, size_t n,
                            slice *out_sealer)
{
    if (r->result != AV_PASS) {
        return false;
    }
    for (size_t k = 0; k < r->n_sealers; k++) {
        if (!r->sealers[k].aar_dmarc_pass) {
            continue;
        }
        for (size_t j = 0; j < n; j++) {
            if (slice_eq_ci(r->sealers[k].d, trusted_sealers[j])) {
                if (out_sealer != NULL) {
                    *out_sealer = r->sealers[k].d;
                }
                return true;
            }
        }
    }
    return false;
}
