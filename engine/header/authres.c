#include "engine/header/authres.h"

#include <string.h>

#include "engine/core/json.h"

/* Lexing ------------------------------------------------------------------------------- */

/* skip_cfws skips FWS and comments (RFC 5322 §3.2.2; nesting is a counter, a quoted-pair
 * escapes one byte, an unterminated comment runs to the end). When comment is not NULL and
 * still unset, it receives the first comment's inner bytes. */
static void skip_cfws(slice *s, slice *comment)
{
    for (;;) {
        while (s->len > 0 && slice_is(s->ptr[0], CC_FWS)) {
            slice_skip(s, 1);
        }
        if (s->len == 0 || s->ptr[0] != '(') {
            return;
        }
        size_t depth = 0, i = 0;
        for (; i < s->len; i++) {
            uint8_t c = s->ptr[i];
            if (c == '\\') {
                i++;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                break;
            }
        }
        size_t end = i < s->len ? i + 1 : s->len;
        if (comment != NULL && comment->ptr == NULL) {
            *comment = slice_sub(*s, 1, (i < s->len ? i : s->len) - 1);
        }
        slice_skip(s, end);
    }
}

static bool is_kw_byte(uint8_t c)
{
    return slice_is(c, CC_ALPHA | CC_DIGIT) || c == '-' || c == '_';
}

/* take_kw takes a keyword (RFC 8601 Keyword, plus '_'), false (no move) if there is none. */
static bool take_kw(slice *s, slice *out)
{
    size_t n = 0;
    while (n < s->len && is_kw_byte(s->ptr[n])) {
        n++;
    }
    return n > 0 && slice_take(s, n, out);
}

static bool peek(const slice *s, uint8_t c)
{
    return s->len > 0 && s->ptr[0] == c;
}

/* take_value takes a quoted-string (content returned, unterminated runs to the end) or a
 * run of bytes other than FWS, ';', '(', ')' and '"' (possibly empty). */
static void take_value(slice *s, slice *out)
{
    if (peek(s, '"')) {
        size_t i = 1;
        for (; i < s->len && s->ptr[i] != '"'; i++) {
            if (s->ptr[i] == '\\') {
                i++;
            }
        }
        size_t end = i < s->len ? i : s->len;
        *out = slice_sub(*s, 1, end - 1);
        slice_skip(s, i < s->len ? i + 1 : s->len);
        return;
    }
    size_t n = 0;
    while (n < s->len) {
        uint8_t c = s->ptr[n];
        if (slice_is(c, CC_FWS) || c == ';' || c == '(' || c == ')' || c == '"') {
            break;
        }
        n++;
    }
    slice_take(s, n, out);
}

/* skip_junk makes progress over bytes that fit nowhere: a value run, or else one byte. */
static void skip_junk(slice *s)
{
    slice v;
    take_value(s, &v);
    if (v.len == 0 && !peek(s, '"') && s->len > 0 && !peek(s, ';')) {
        slice_skip(s, 1);
    }
}

/* Result words ------------------------------------------------------------------------- */

static struct authres_word word_of(slice text)
{
    static const struct {
        slice name;
        enum auth_verdict v;
    } words[] = {
        { SLICE_INIT("none"), AV_NONE },           { SLICE_INIT("pass"), AV_PASS },
        { SLICE_INIT("fail"), AV_FAIL },           { SLICE_INIT("softfail"), AV_SOFTFAIL },
        { SLICE_INIT("neutral"), AV_NEUTRAL },     { SLICE_INIT("policy"), AV_POLICY },
        { SLICE_INIT("temperror"), AV_TEMPERROR }, { SLICE_INIT("permerror"), AV_PERMERROR },
        { SLICE_INIT("hardfail"), AV_FAIL }, /* RFC 5451 registry, same as fail */
    };
    struct authres_word w = { text, AV_NONE, false };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (slice_eq_ci(text, words[i].name)) {
            w.verdict = words[i].v;
            w.known = true;
        }
    }
    return w;
}

/* is_method: the IANA "Email Authentication Methods" names, used only to see a resinfo that
 * follows another without its ';'. */
static bool is_method(slice k)
{
    static const slice m[] = {
        SLICE_INIT("auth"),     SLICE_INIT("dkim"),      SLICE_INIT("domainkeys"),
        SLICE_INIT("iprev"),    SLICE_INIT("sender-id"), SLICE_INIT("spf"),
        SLICE_INIT("dmarc"),    SLICE_INIT("arc"),       SLICE_INIT("bimi"),
        SLICE_INIT("dkim-adsp"), SLICE_INIT("dkim-atps"), SLICE_INIT("vbr"),
        SLICE_INIT("rrvs"),     SLICE_INIT("smime"),     SLICE_INIT("dnswl"),
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (slice_eq_ci(k, m[i])) {
            return true;
        }
    }
    return false;
}

/* Arrays ------------------------------------------------------------------------------- */

/* grow makes room for one more element in an arena array, doubling its capacity. */
static void *grow(struct arena *a, void *arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap) {
        return arr;
    }
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = arena_array(a, ncap, sz);
    if (n > 0) {
        memcpy(p, arr, n * sz);
    }
    *cap = ncap;
    return p;
}

struct ar_state {
    struct arena *a;
    struct authres_field *f;
    size_t cap_ri, cap_props, n_props;
    struct authres_prop *props; /* flat; each resinfo's props are contiguous */
    bool full;
};

static bool add_prop(struct ar_state *st, slice ptype, slice property, slice value)
{
    if (st->f->n_ri == 0) {
        return false;
    }
    if (st->n_props >= AUTHRES_MAX_PROPS) {
        st->full = true;
        return false;
    }
    st->props = grow(st->a, st->props, &st->cap_props, st->n_props, sizeof *st->props);
    st->props[st->n_props++] = (struct authres_prop){ ptype, property, value };
    st->f->ri[st->f->n_ri - 1].n_props++;
    return true;
}

/* Authentication-Results --------------------------------------------------------------- */

/* read_prop reads "[ptype CFWS "." CFWS] property CFWS "=" CFWS value" after key was taken.
 * Returns false (s unchanged) when no '=' follows. */
static bool read_prop(slice *s, slice key, slice *ptype, slice *property, slice *value,
                      slice *comment)
{
    slice save = *s;
    *ptype = SLICE_NULL;
    *property = key;
    skip_cfws(s, comment);
    if (peek(s, '.')) {
        slice_skip(s, 1);
        skip_cfws(s, comment);
        *ptype = key;
        if (!take_kw(s, property)) {
            *property = slice_sub(*s, 0, 0);
        }
        skip_cfws(s, comment);
    }
    if (!peek(s, '=')) {
        *s = save;
        return false;
    }
    slice_skip(s, 1);
    skip_cfws(s, comment);
    take_value(s, value);
    return true;
}

/* read_props reads reasonspec and propspecs up to ';' or the end. A dot-less key naming a
 * registered method starts the next resinfo (its ';' was left out): s is left before it. */
static void read_props(struct ar_state *st, slice *s)
{
    struct authres_resinfo *r = &st->f->ri[st->f->n_ri - 1];
    while (!st->full) {
        skip_cfws(s, &r->comment);
        if (s->len == 0 || peek(s, ';')) {
            return;
        }
        slice save = *s, key, ptype, prop, value;
        if (!take_kw(s, &key)) {
            skip_junk(s);
            st->f->deviations++;
            continue;
        }
        if (!read_prop(s, key, &ptype, &prop, &value, &r->comment)) {
            st->f->deviations++; /* a bare word where a property belongs */
            continue;
        }
        if (ptype.ptr == NULL && slice_eq_ci(key, SLICE_LIT("reason"))) {
            r->reason = value;
        } else if (ptype.ptr == NULL && is_method(key)) {
            *s = save;
            st->f->deviations++;
            return;
        } else {
            if (ptype.ptr == NULL) {
                st->f->deviations++; /* Microsoft "action=none" */
            }
            add_prop(st, ptype, prop, value);
        }
    }
}

/* read_resinfo reads one resinfo (after its ';'), or "none", or a property that a stray
 * ';' separated from its resinfo. */
static void read_resinfo(struct ar_state *st, slice *s)
{
    struct authres_field *f = st->f;
    slice save = *s, method, ver = SLICE_NULL, result;
    if (!take_kw(s, &method)) {
        skip_junk(s);
        f->deviations++;
        return;
    }
    skip_cfws(s, NULL);
    if (peek(s, '.') && f->n_ri > 0) { /* "...; header.i=@example.com" */
        slice ptype, prop, value;
        if (read_prop(s, method, &ptype, &prop, &value, NULL)) {
            add_prop(st, ptype, prop, value);
        }
        f->deviations++;
        return;
    }
    if (peek(s, '/')) {
        slice_skip(s, 1);
        skip_cfws(s, NULL);
        if (!take_kw(s, &ver)) {
            ver = slice_sub(*s, 0, 0);
        }
        skip_cfws(s, NULL);
    }
    if (!peek(s, '=')) {
        if (slice_eq_ci(method, SLICE_LIT("none")) && ver.ptr == NULL) {
            f->none = true;
            return;
        }
        *s = save;
        skip_junk(s);
        f->deviations++;
        return;
    }
    slice_skip(s, 1);
    skip_cfws(s, NULL);
    take_value(s, &result);
    if (f->n_ri >= AUTHRES_MAX_RESINFO) {
        st->full = true;
        return;
    }
    f->ri = grow(st->a, f->ri, &st->cap_ri, f->n_ri, sizeof *f->ri);
    struct authres_resinfo *r = &f->ri[f->n_ri++];
    memset(r, 0, sizeof *r);
    r->method = method;
    r->method_version = ver;
    r->result = word_of(result);
    r->reason = r->comment = SLICE_NULL;
    read_props(st, s);
}

/* read_head reads "[i=N;] [authserv-id [version]]". */
static void read_head(struct authres_field *f, slice *s)
{
    slice save = *s, k, v;
    skip_cfws(s, NULL);
    if (take_kw(s, &k) && slice_eq_ci(k, SLICE_LIT("i"))) {
        skip_cfws(s, NULL);
        uint64_t n;
        if (peek(s, '=') && slice_skip(s, 1)) {
            skip_cfws(s, NULL);
            if (slice_u64_dec(s, &n)) {
                skip_cfws(s, NULL);
                if (peek(s, ';') && slice_skip(s, 1)) {
                    f->has_instance = true;
                    f->instance = n;
                    save = *s;
                }
            }
        }
    }
    *s = save;
    skip_cfws(s, NULL);
    slice probe = *s;
    if (take_kw(&probe, &k)) {
        skip_cfws(&probe, NULL);
        if (peek(&probe, '=') || peek(&probe, '/')) {
            f->deviations++; /* no authserv-id: the first resinfo comes straight away */
            return;
        }
    }
    if (s->len == 0 || peek(s, ';')) {
        return;
    }
    size_t before = s->len;
    take_value(s, &v);
    if (s->len == before) {
        return; /* a byte no value starts with: the resinfo loop skips it */
    }
    f->authserv_id = v;
    skip_cfws(s, NULL);
    /* authres-version = 1*DIGIT: digits standing alone, not the start of a method name */
    probe = *s;
    uint64_t ver;
    if (slice_u64_dec(&probe, &ver) && !(probe.len > 0 && is_kw_byte(probe.ptr[0]))) {
        slice after = probe;
        skip_cfws(&after, NULL);
        if (!peek(&after, '=') && !peek(&after, '/')) {
            f->version = slice_make(s->ptr, (size_t)(probe.ptr - s->ptr));
            *s = after;
        }
    }
}

enum authres_status authres_parse(struct arena *a, struct authres_field *out, slice value)
{
    memset(out, 0, sizeof *out);
    out->authserv_id = out->version = SLICE_NULL;
    struct ar_state st = { .a = a, .f = out };
    slice s = value;
    skip_cfws(&s, NULL);
    if (s.len == 0) {
        return AUTHRES_EMPTY;
    }
    read_head(out, &s);
    bool first = true;
    while (!st.full) {
        skip_cfws(&s, NULL);
        if (s.len == 0) {
            break;
        }
        if (peek(&s, ';')) {
            slice_skip(&s, 1);
            first = false;
            continue;
        }
        if (first && out->authserv_id.ptr != NULL) {
            out->deviations++; /* no ';' between the authserv-id and the first resinfo */
        }
        first = false;
        read_resinfo(&st, &s);
    }
    size_t off = 0;
    for (size_t i = 0; i < out->n_ri; i++) {
        out->ri[i].props = out->ri[i].n_props ? st.props + off : NULL;
        off += out->ri[i].n_props;
    }
    if (st.full) {
        return AUTHRES_TOO_MANY;
    }
    if (out->authserv_id.ptr == NULL && !out->none && out->n_ri == 0) {
        return AUTHRES_SYNTAX;
    }
    return AUTHRES_OK;
}

const char *authres_status_name(enum authres_status s)
{
    static const char *const names[] = {
        [AUTHRES_OK] = "ok",
        [AUTHRES_EMPTY] = "empty",
        [AUTHRES_SYNTAX] = "syntax",
        [AUTHRES_TOO_MANY] = "too_many",
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

bool authres_prop_get(const struct authres_resinfo *r, slice ptype, slice property,
                      slice *out)
{
    for (size_t i = 0; i < r->n_props; i++) {
        const struct authres_prop *p = &r->props[i];
        bool type_ok = ptype.ptr == NULL ? p->ptype.ptr == NULL
                                         : p->ptype.ptr != NULL && slice_eq_ci(p->ptype, ptype);
        if (type_ok && slice_eq_ci(p->property, property)) {
            *out = p->value;
            return true;
        }
    }
    return false;
}

/* Received-SPF ------------------------------------------------------------------------- */

static void spf_named(struct authres_spf_field *out, slice key, slice value)
{
    static const struct {
        slice key;
        size_t off;
    } names[] = {
        { SLICE_INIT("client-ip"), offsetof(struct authres_spf_field, client_ip) },
        { SLICE_INIT("envelope-from"), offsetof(struct authres_spf_field, envelope_from) },
        { SLICE_INIT("helo"), offsetof(struct authres_spf_field, helo) },
        { SLICE_INIT("receiver"), offsetof(struct authres_spf_field, receiver) },
        { SLICE_INIT("identity"), offsetof(struct authres_spf_field, identity) },
        { SLICE_INIT("mechanism"), offsetof(struct authres_spf_field, mechanism) },
        { SLICE_INIT("problem"), offsetof(struct authres_spf_field, problem) },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        slice *slot = (slice *)((char *)out + names[i].off);
        if (slot->ptr == NULL && slice_eq_ci(key, names[i].key)) {
            bool is_from = names[i].off == offsetof(struct authres_spf_field, envelope_from);
            if (is_from && value.len >= 2 && value.ptr[0] == '<' &&
                value.ptr[value.len - 1] == '>') {
                value = slice_sub(value, 1, value.len - 2);
            }
            *slot = value;
        }
    }
}

bool authres_spf_parse(struct arena *a, struct authres_spf_field *out, slice value)
{
    memset(out, 0, sizeof *out);
    out->comment = out->client_ip = out->envelope_from = out->helo = SLICE_NULL;
    out->receiver = out->identity = out->mechanism = out->problem = SLICE_NULL;
    out->result.text = SLICE_NULL;
    slice s = value, w, k, v;
    size_t cap = 0;
    skip_cfws(&s, NULL);
    if (!take_kw(&s, &w)) {
        return false;
    }
    out->result = word_of(w);
    skip_cfws(&s, &out->comment);
    while (s.len > 0 && out->n_kv < AUTHRES_MAX_KV) {
        skip_cfws(&s, NULL);
        if (peek(&s, ';')) {
            slice_skip(&s, 1);
            continue;
        }
        if (s.len == 0) {
            break;
        }
        if (!take_kw(&s, &k)) {
            skip_junk(&s);
            continue;
        }
        skip_cfws(&s, NULL);
        if (!peek(&s, '=')) {
            continue;
        }
        slice_skip(&s, 1);
        skip_cfws(&s, NULL);
        take_value(&s, &v);
        out->kv = grow(a, out->kv, &cap, out->n_kv, sizeof *out->kv);
        out->kv[out->n_kv++] = (struct authres_kv){ k, v };
        spf_named(out, k, v);
    }
    return true;
}

/* Recorded results --------------------------------------------------------------------- */

static bool is_name(const struct hdr_field *f, slice name)
{
    return f->name_ok && slice_eq_ci(f->name, name);
}

static bool trusted(slice id, const slice *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (id.ptr != NULL && slice_eq_ci(id, ids[i])) {
            return true;
        }
    }
    return false;
}

static slice prop_or_null(const struct authres_resinfo *r, const char *ptype, size_t plen,
                          const char *prop, size_t len)
{
    slice v;
    if (authres_prop_get(r, slice_make(ptype, plen), slice_make(prop, len), &v)) {
        return v;
    }
    return SLICE_NULL;
}
#define PROP(r, t, p) prop_or_null((r), t, sizeof(t) - 1, p, sizeof(p) - 1)

/* take_results merges the resinfos of one trusted field into out. */
static void take_results(struct arena *a, struct authres_recorded *out, size_t *cap,
                         const struct authres_field *f, ptrdiff_t idx)
{
    for (size_t i = 0; i < f->n_ri; i++) {
        const struct authres_resinfo *r = &f->ri[i];
        if (slice_eq_ci(r->method, SLICE_LIT("spf")) && !out->has_spf) {
            out->has_spf = true;
            out->spf_source = "authentication-results";
            out->spf_field = idx;
            out->spf_result = r->result;
            out->spf_mailfrom = PROP(r, "smtp", "mailfrom");
            out->spf_helo = PROP(r, "smtp", "helo");
        } else if (slice_eq_ci(r->method, SLICE_LIT("dkim"))) {
            out->dkim = grow(a, out->dkim, cap, out->n_dkim, sizeof *out->dkim);
            out->dkim[out->n_dkim++] = (struct authres_recorded_dkim){
                r->result, PROP(r, "header", "d"), PROP(r, "header", "i"),
                PROP(r, "header", "b"),
            };
        } else if (slice_eq_ci(r->method, SLICE_LIT("dmarc")) && !out->has_dmarc) {
            out->has_dmarc = true;
            out->dmarc_result = r->result;
            out->dmarc_header_from = PROP(r, "header", "from");
            out->dmarc_policy = PROP(r, "policy", "dmarc");
        }
    }
}

/* spf_from_received_spf applies the Received-SPF trust rule: topmost field above the anchor
 * or in its hop (lo..hi is the hop, as header indexes). */
static void spf_from_received_spf(struct arena *a, struct authres_recorded *out,
                                  const struct hdr_index *h, size_t hop_end)
{
    const slice name = SLICE_LIT("Received-SPF");
    for (size_t i = 0; i < hop_end; i++) {
        struct authres_spf_field sf;
        if (!is_name(&h->f[i], name) || !authres_spf_parse(a, &sf, h->f[i].value)) {
            continue;
        }
        out->has_spf = true;
        out->spf_source = "received-spf";
        out->spf_field = (ptrdiff_t)i;
        out->spf_result = sf.result;
        out->spf_mailfrom = sf.envelope_from;
        out->spf_helo = sf.helo;
        return;
    }
}

void authres_recorded_get(struct arena *a, struct authres_recorded *out,
                          const struct hdr_index *h, const slice *trusted_ids,
                          size_t n_trusted_ids)
{
    const slice ar = SLICE_LIT("Authentication-Results");
    const slice rcv = SLICE_LIT("Received");
    memset(out, 0, sizeof *out);
    out->field = out->spf_field = -1;
    out->authserv_id = out->spf_mailfrom = out->spf_helo = SLICE_NULL;
    out->dmarc_header_from = out->dmarc_policy = SLICE_NULL;
    size_t cap = 0, hop_end = h->n;
    bool in_hop = false;
    for (size_t i = 0; i < h->n; i++) {
        const struct hdr_field *f = &h->f[i];
        if (is_name(f, rcv)) {
            if (in_hop) {
                hop_end = i; /* the first Received below the anchor closes its hop */
                break;
            }
            continue;
        }
        if (!is_name(f, ar)) {
            continue;
        }
        struct authres_field af;
        (void)authres_parse(a, &af, f->value);
        if (!trusted(af.authserv_id, trusted_ids, n_trusted_ids)) {
            continue;
        }
        if (!in_hop) {
            in_hop = true;
            out->found = true;
            out->authserv_id = af.authserv_id;
            out->field = (ptrdiff_t)i;
        }
        take_results(a, out, &cap, &af, (ptrdiff_t)i);
    }
    if (out->found && !out->has_spf) {
        spf_from_received_spf(a, out, h, hop_end);
    }
}

/* JSON --------------------------------------------------------------------------------- */

static bool json_word(struct sbuf *b, const struct authres_word *w)
{
    if (w->known) {
        return json_cstr(b, auth_verdict_name(w->verdict));
    }
    return json_str(b, w->text);
}

static bool json_spf(struct sbuf *b, const struct authres_recorded *r)
{
    bool first = true;
    if (!r->has_spf) {
        return json_null(b);
    }
    return sbuf_putc(b, '{') && json_key(b, &first, "result") && json_word(b, &r->spf_result) &&
           json_key(b, &first, "smtp_mailfrom") && json_str(b, r->spf_mailfrom) &&
           json_key(b, &first, "smtp_helo") && json_str(b, r->spf_helo) &&
           json_key(b, &first, "source") && json_cstr(b, r->spf_source) && sbuf_putc(b, '}');
}

static bool json_dkim(struct sbuf *b, const struct authres_recorded *r)
{
    if (!sbuf_putc(b, '[')) {
        return false;
    }
    for (size_t i = 0; i < r->n_dkim; i++) {
        const struct authres_recorded_dkim *d = &r->dkim[i];
        bool first = true;
        if ((i > 0 && !sbuf_putc(b, ',')) || !sbuf_putc(b, '{') ||
            !json_key(b, &first, "result") || !json_word(b, &d->result) ||
            !json_key(b, &first, "d") || !json_str(b, d->d) || !json_key(b, &first, "i") ||
            !json_str(b, d->i) || !json_key(b, &first, "b") || !json_str(b, d->b) ||
            !sbuf_putc(b, '}')) {
            return false;
        }
    }
    return sbuf_putc(b, ']');
}

static bool json_dmarc(struct sbuf *b, const struct authres_recorded *r)
{
    bool first = true;
    if (!r->has_dmarc) {
        return json_null(b);
    }
    return sbuf_putc(b, '{') && json_key(b, &first, "result") &&
           json_word(b, &r->dmarc_result) && json_key(b, &first, "header_from") &&
           json_str(b, r->dmarc_header_from) && json_key(b, &first, "policy") &&
           json_str(b, r->dmarc_policy) && sbuf_putc(b, '}');
}

bool authres_recorded_json(struct sbuf *b, const struct authres_recorded *r)
{
    bool first = true;
    if (!r->found) {
        return json_null(b);
    }
    return sbuf_putc(b, '{') && json_key(b, &first, "authserv_id") &&
           json_str(b, r->authserv_id) && json_key(b, &first, "spf") && json_spf(b, r) &&
           json_key(b, &first, "dkim") && json_dkim(b, r) && json_key(b, &first, "dmarc") &&
           json_dmarc(b, r) && sbuf_putc(b, '}');
}
