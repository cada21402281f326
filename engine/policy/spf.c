/* spf.c: RFC 7208 check_host() as a small interpreter.
 *
 * A record is first parsed whole into a term array (RFC 7208 §4.6: a syntax error anywhere is
 * permerror before anything is evaluated), then the mechanisms run in order through a
 * dispatch table, then redirect= (§6.1), then exp= (§6.2). The macro language (§7) lives in
 * spf_macro.c; both files share struct spf_ctx through the internal section of spf.h.
 *
 * Limits (§4.6.4) are counters in the context shared by the whole evaluation, including the
 * records reached through include and redirect, so recursion is bounded by the 10-term limit;
 * SPF_MAX_DEPTH is a second, explicit guard. */
#include "engine/policy/spf.h"

#include <string.h>

/* -------------------------------------------------------------------------------------- */
/* Context and errors                                                                      */

/* spf_abort records the first error of the evaluation; later ones are ignored. */
void spf_abort(struct spf_ctx *c, enum auth_verdict v, const char *reason, slice where)
{
    if (c->err != AV_NONE || c->pending || c->quiet) {
        return; /* quiet: inside exp= (§6.2), where errors only drop the explanation */
    }
    c->err = v;
    c->out->reason = reason;
    c->out->reason_where = where;
}

bool spf_stopped(const struct spf_ctx *c)
{
    return c->err != AV_NONE || c->pending;
}

/* spf_count_term counts one DNS-querying term (RFC 7208 §4.6.4: at most 10). */
bool spf_count_term(struct spf_ctx *c, slice where)
{
    if (c->lookups >= SPF_MAX_LOOKUPS) {
        spf_abort(c, AV_PERMERROR, "dns_lookup_limit", where);
        return false;
    }
    c->lookups++;
    return true;
}

/* spf_query asks the resolver and classifies the answer. Q_DATA hands *out to the caller,
 * who releases it; on Q_EMPTY and Q_STOP nothing is held. A void answer (NXDOMAIN, NODATA,
 * or a name that cannot be asked) counts against the void limit with SPF_Q_VOID (RFC 7208
 * §4.6.4: at most 2); with SPF_Q_TEMP_EMPTY a temporary error is taken as no answer. */
enum spf_q spf_query(struct spf_ctx *c, slice name, uint16_t qtype, unsigned flags, slice where,
                     const struct dns_answer **out)
{
    const struct dns_answer *ans = NULL;
    enum dns_status st = dns_lookup(c->r, name, qtype, &ans);
    *out = NULL;
    switch (st) {
    case DNS_PENDING:
        c->pending = true;
        return Q_STOP;
    case DNS_TIMEOUT:
    case DNS_SERVFAIL:
        dns_release(c->r, ans);
        if (flags & SPF_Q_TEMP_EMPTY) {
            return Q_EMPTY;
        }
        spf_abort(c, AV_TEMPERROR, "dns_temperror", where);
        return Q_STOP;
    case DNS_OK:
        if (ans != NULL && ans->n_rr > 0) {
            *out = ans;
            return Q_DATA;
        }
        break;
    case DNS_NODATA:
    case DNS_NXDOMAIN:
    case DNS_BADNAME:
    case DNS__STATUS_COUNT:
        break;
    }
    dns_release(c->r, ans);
    if ((flags & SPF_Q_VOID) && !spf_count_void(c, where)) {
        return Q_STOP;
    }
    return Q_EMPTY;
}

bool spf_count_void(struct spf_ctx *c, slice where)
{
    if (c->voids >= SPF_MAX_VOID) {
        spf_abort(c, AV_PERMERROR, "void_lookup_limit", where);
        return false;
    }
    c->voids++;
    return true;
}

/* -------------------------------------------------------------------------------------- */
/* Addresses                                                                               */

static int hexval(uint8_t ch)
{
    if (slice_is(ch, CC_DIGIT)) {
        return ch - '0';
    }
    ch = slice_lower(ch);
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1;
}

/* ip4_parse: exactly four decimal octets 0..255 without leading zeros. */
static bool ip4_parse(slice s, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (s.len == 0 || s.ptr[0] != '.') {
                return false;
            }
            s.ptr++, s.len--;
        }
        size_t n = 0;
        unsigned v = 0;
        while (n < s.len && n < 4 && slice_is(s.ptr[n], CC_DIGIT)) {
            v = v * 10 + (unsigned)(s.ptr[n] - '0');
            n++;
        }
        if (n == 0 || n > 3 || v > 255 || (n > 1 && s.ptr[0] == '0')) {
            return false;
        }
        out[i] = (uint8_t)v;
        s.ptr += n, s.len -= n;
    }
    return s.len == 0;
}

/* ip6_parse: RFC 4291 §2.2 text forms, including "::" and a trailing dotted quad. */
static bool ip6_parse(slice s, uint8_t out[16])
{
    uint8_t w[16] = {0};
    size_t n = 0;       /* bytes written */
    ptrdiff_t gap = -1; /* where "::" was */
    size_t i = 0;
    if (s.len >= 2 && s.ptr[0] == ':' && s.ptr[1] == ':') {
        gap = 0;
        i = 2;
    } else if (s.len >= 1 && s.ptr[0] == ':') {
        return false;
    }
    while (i < s.len) {
        size_t j = i;
        unsigned v = 0;
        while (j < s.len && j - i < 5 && hexval(s.ptr[j]) >= 0) {
            v = (v << 4) | (unsigned)hexval(s.ptr[j]);
            j++;
        }
        if (j < s.len && s.ptr[j] == '.') { /* embedded IPv4 at the end */
            if (n > 12 || !ip4_parse(slice_sub(s, i, s.len - i), w + n)) {
                return false;
            }
            n += 4;
            i = s.len;
            break;
        }
        if (j == i || j - i > 4 || n > 14) {
            return false;
        }
        w[n++] = (uint8_t)(v >> 8);
        w[n++] = (uint8_t)v;
        i = j;
        if (i == s.len) {
            break;
        }
        if (s.ptr[i] != ':') {
            return false;
        }
        i++;
        if (i < s.len && s.ptr[i] == ':') {
            if (gap >= 0) {
                return false;
            }
            gap = (ptrdiff_t)n;
            i++;
        } else if (i == s.len) {
            return false; /* a single trailing ':' */
        }
    }
    if (gap < 0 && n != 16) {
        return false;
    }
    if (gap >= 0) {
        if (n > 14) {
            return false;
        }
        size_t tail = n - (size_t)gap;
        memset(out, 0, 16);
        memcpy(out, w, (size_t)gap);
        memcpy(out + 16 - tail, w + gap, tail);
        return true;
    }
    memcpy(out, w, 16);
    return true;
}

bool spf_ip_parse(slice text, struct spf_ip *out)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(out, 0, sizeof(*out));
    if (ip4_parse(text, out->addr)) {
        out->family = 4;
        return true;
    }
    if (!ip6_parse(text, out->addr)) {
        return false;
    }
    out->family = 6;
    if (memcmp(out->addr, mapped, 12) == 0) { /* RFC 7208 §5: IPv4-mapped is IPv4 */
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = 4;
    }
    return true;
}

bool spf_cidr_match(const struct spf_ip *ip, const uint8_t *net, unsigned bits)
{
    unsigned max = ip->family == 4 ? 32u : 128u;
    if (bits > max) {
        return false;
    }
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(ip->addr, net, whole) != 0) {
        return false;
    }
    if (rest == 0) {
        return true;
    }
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (ip->addr[whole] & mask) == (net[whole] & mask);
}

/* -------------------------------------------------------------------------------------- */
/* Record parsing (RFC 7208 §4.6.1, §12 ABNF)                                              */

enum spf_arg {
    ARG_NONE,        /* all: nothing may follow */
    ARG_DOMAIN,      /* include, exists: ":" domain-spec required */
    ARG_DOMAIN_OPT,  /* ptr: optional ":" domain-spec */
    ARG_DOMAIN_CIDR, /* a, mx: optional domain-spec, then dual-cidr-length */
    ARG_IP4,
    ARG_IP6,
};

struct spf_mech_spec {
    slice name;
    enum spf_mech mech;
    enum spf_arg arg;
};

static const struct spf_mech_spec spf_mechs[] = {
    {SLICE_INIT("all"), SPF_M_ALL, ARG_NONE},
    {SLICE_INIT("include"), SPF_M_INCLUDE, ARG_DOMAIN},
    {SLICE_INIT("a"), SPF_M_A, ARG_DOMAIN_CIDR},
    {SLICE_INIT("mx"), SPF_M_MX, ARG_DOMAIN_CIDR},
    {SLICE_INIT("ptr"), SPF_M_PTR, ARG_DOMAIN_OPT},
    {SLICE_INIT("ip4"), SPF_M_IP4, ARG_IP4},
    {SLICE_INIT("ip6"), SPF_M_IP6, ARG_IP6},
    {SLICE_INIT("exists"), SPF_M_EXISTS, ARG_DOMAIN},
};

static bool qualifier(uint8_t ch, enum auth_verdict *out)
{
    switch (ch) {
    case '+':
        *out = AV_PASS;
        return true;
    case '-':
        *out = AV_FAIL;
        return true;
    case '~':
        *out = AV_SOFTFAIL;
        return true;
    case '?':
        *out = AV_NEUTRAL;
        return true;
    default:
        return false;
    }
}

/* take_cidr strips a trailing "/" cidr-length (no leading zeros, at most max) from *s.
 * Returns false only on a length over max; absent leaves *s alone and *out untouched. */
static bool take_cidr(slice *s, bool dual, unsigned max, unsigned *out)
{
    size_t n = 0;
    while (n < s->len && n < 4 && slice_is(s->ptr[s->len - 1 - n], CC_DIGIT)) {
        n++;
    }
    size_t slashes = dual ? 2 : 1;
    if (n == 0 || n > 3 || s->len < n + slashes) {
        return true;
    }
    const uint8_t *d = s->ptr + s->len - n;
    for (size_t k = 1; k <= slashes; k++) {
        if (s->ptr[s->len - n - k] != '/') {
            return true;
        }
    }
    if (!dual && s->len > n + 1 && s->ptr[s->len - n - 2] == '/') {
        return true; /* "//n" is the ip6 part, not ours */
    }
    if (n > 1 && d[0] == '0') {
        return true; /* RFC 7208 §12: no leading zeros; stays part of the argument */
    }
    unsigned v = 0;
    for (size_t k = 0; k < n; k++) {
        v = v * 10 + (unsigned)(d[k] - '0');
    }
    if (v > max) {
        return false;
    }
    *out = v;
    s->len -= n + slashes;
    return true;
}

/* parse_mech_arg fills t from what follows the mechanism name. */
static bool parse_mech_arg(struct spf_term *t, const struct spf_mech_spec *m, slice rest)
{
    t->cidr4 = 32;
    t->cidr6 = 128;
    switch (m->arg) {
    case ARG_NONE:
        return rest.len == 0;
    case ARG_DOMAIN:
    case ARG_DOMAIN_OPT:
        if (rest.len == 0) {
            return m->arg == ARG_DOMAIN_OPT;
        }
        if (rest.ptr[0] != ':' || rest.len < 2) {
            return false;
        }
        t->arg = slice_sub(rest, 1, rest.len - 1);
        t->has_arg = true;
        return spf_domain_spec_ok(t->arg);
    case ARG_DOMAIN_CIDR:
        if (!take_cidr(&rest, true, 128, &t->cidr6) || !take_cidr(&rest, false, 32, &t->cidr4)) {
            return false;
        }
        if (rest.len == 0) {
            return true;
        }
        if (rest.ptr[0] != ':' || rest.len < 2) {
            return false;
        }
        t->arg = slice_sub(rest, 1, rest.len - 1);
        t->has_arg = true;
        return spf_domain_spec_ok(t->arg);
    case ARG_IP4:
    case ARG_IP6: {
        bool v4 = m->arg == ARG_IP4;
        unsigned *len = v4 ? &t->cidr4 : &t->cidr6;
        if (!take_cidr(&rest, false, v4 ? 32 : 128, len)) {
            return false;
        }
        if (rest.len < 2 || rest.ptr[0] != ':') {
            return false;
        }
        t->arg = slice_sub(rest, 1, rest.len - 1);
        t->has_arg = true;
        t->net_family = v4 ? 4 : 6;
        return v4 ? ip4_parse(t->arg, t->net) : ip6_parse(t->arg, t->net);
    }
    }
    return false;
}

/* modifier_name: RFC 7208 §12 name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ). */
static bool modifier_name(slice term, slice *name, slice *value)
{
    ptrdiff_t eq = slice_find(term, '=');
    if (eq <= 0 || !slice_is(term.ptr[0], CC_ALPHA)) {
        return false;
    }
    for (ptrdiff_t k = 1; k < eq; k++) {
        uint8_t ch = term.ptr[k];
        if (!slice_is(ch, CC_ALPHA | CC_DIGIT) && ch != '-' && ch != '_' && ch != '.') {
            return false;
        }
    }
    *name = slice_sub(term, 0, (size_t)eq);
    *value = slice_sub(term, (size_t)eq + 1, term.len - (size_t)eq - 1);
    return true;
}

/* parse_modifier handles redirect=, exp= and unknown modifiers (§6, §4.6.1). */
static bool parse_modifier(struct spf_record *rec, slice term, slice name, slice value,
                           const char **why)
{
    bool is_redirect = slice_eq_ci(name, SLICE_LIT("redirect"));
    bool is_exp = slice_eq_ci(name, SLICE_LIT("exp"));
    if (!is_redirect && !is_exp) {
        *why = "syntax";
        return spf_macro_string_ok(value, false); /* §6: unknown modifiers are ignored */
    }
    slice *slot = is_redirect ? &rec->redirect_term : &rec->exp_term;
    if (slot->ptr != NULL) {
        *why = "duplicate_modifier"; /* §6: redirect and exp at most once each */
        return false;
    }
    *slot = term;
    *(is_redirect ? &rec->redirect : &rec->exp) = value;
    *why = "syntax";
    return value.len > 0 && spf_domain_spec_ok(value);
}

static bool parse_directive(struct spf_term *t, slice term)
{
    t->text = term;
    t->qual = AV_PASS;
    slice body = term;
    if (body.len > 0 && qualifier(body.ptr[0], &t->qual)) {
        body = slice_sub(body, 1, body.len - 1);
    }
    size_t n = 0;
    while (n < body.len && body.ptr[n] != ':' && body.ptr[n] != '/') {
        n++;
    }
    slice name = slice_sub(body, 0, n);
    for (size_t k = 0; k < sizeof(spf_mechs) / sizeof(spf_mechs[0]); k++) {
        if (slice_eq_ci(name, spf_mechs[k].name)) {
            t->mech = spf_mechs[k].mech;
            return parse_mech_arg(t, &spf_mechs[k], slice_sub(body, n, body.len - n));
        }
    }
    return false;
}

/* spf_record_parse parses the terms after "v=spf1". Terms are separated by one or more SP
 * (§4.6.1); any other byte outside 0x21..0x7e makes a term invalid. */
bool spf_record_parse(struct arena *a, slice text, struct spf_record *rec, const char **why,
                      slice *where)
{
    memset(rec, 0, sizeof(*rec));
    if (text.len < 6) { /* callers pass a selected "v=spf1 ..." record */
        *why = "syntax";
        *where = text;
        return false;
    }
    slice rest = slice_sub(text, 6, text.len - 6);
    size_t cap = rest.len / 2 + 1;
    rec->terms = ARENA_ARRAY(a, struct spf_term, cap);
    while (rest.len > 0) {
        slice term;
        if (rest.ptr[0] == ' ') {
            rest = slice_sub(rest, 1, rest.len - 1);
            continue;
        }
        if (!slice_take_until(&rest, ' ', &term)) {
            term = rest;
            rest = SLICE_NULL;
        }
        *where = term;
        *why = "syntax";
        slice name, value;
        if (modifier_name(term, &name, &value)) {
            if (!parse_modifier(rec, term, name, value, why)) {
                return false;
            }
            continue;
        }
        struct spf_term *t = &rec->terms[rec->n_terms];
        if (!parse_directive(t, term)) {
            return false;
        }
        rec->n_terms++;
    }
    *where = SLICE_NULL;
    return true;
}

/* spf_record_select picks the one record that is "v=spf1" followed by SP or the end
 * (RFC 7208 §4.5). SPF-type (99) records are never asked for (§3.1). */
static enum auth_verdict select_record(struct spf_ctx *c, slice domain, slice *out)
{
    const struct dns_answer *ans;
    enum spf_q q = spf_query(c, domain, DNS_T_TXT, 0, domain, &ans);
    if (q == Q_STOP) {
        return c->pending ? AV_NONE : c->err;
    }
    if (q == Q_EMPTY) {
        return AV_NONE;
    }
    size_t found = 0;
    for (size_t k = 0; k < ans->n_rr; k++) {
        slice txt;
        if (!dns_txt_join(&ans->rr[k], c->a, &txt)) {
            continue;
        }
        if (txt.len >= 6 && slice_has_prefix_ci(txt, SLICE_LIT("v=spf1")) &&
            (txt.len == 6 || txt.ptr[6] == ' ')) {
            *out = txt;
            found++;
        }
    }
    dns_release(c->r, ans);
    if (found > 1) {
        spf_abort(c, AV_PERMERROR, "multiple_records", domain);
        return AV_PERMERROR;
    }
    return found == 1 ? AV_PASS : AV_NONE; /* AV_PASS here only means "found one" */
}

/* -------------------------------------------------------------------------------------- */
/* Mechanisms (RFC 7208 §5)                                                                */

enum spf_match { SM_NO, SM_YES, SM_STOP };

/* target_name expands the mechanism's domain-spec, or uses the current domain (§4.8). */
static bool target_name(struct spf_ctx *c, const struct spf_scope *sc, const struct spf_term *t,
                        slice *out)
{
    if (!t->has_arg) {
        *out = sc->domain;
        return true;
    }
    return spf_expand_domain(c, sc, t->arg, t->text, out);
}

static bool addr_in_answer(const struct spf_ip *ip, const struct dns_answer *ans, unsigned bits)
{
    size_t want = ip->family == 4 ? 4 : 16;
    for (size_t k = 0; k < ans->n_rr; k++) {
        if (ans->rr[k].rdlen == want && spf_cidr_match(ip, ans->rr[k].rdata, bits)) {
            return true;
        }
    }
    return false;
}

/* addr_match looks up name's A or AAAA (by the client's family) and compares (§5.3). */
static enum spf_match addr_match(struct spf_ctx *c, slice name, unsigned bits, unsigned flags,
                                 slice where)
{
    const struct spf_ip *ip = &c->req->ip;
    const struct dns_answer *ans;
    uint16_t qt = ip->family == 4 ? DNS_T_A : DNS_T_AAAA;
    enum spf_q q = spf_query(c, name, qt, flags, where, &ans);
    if (q != Q_DATA) {
        return q == Q_STOP ? SM_STOP : SM_NO;
    }
    bool hit = addr_in_answer(ip, ans, bits);
    dns_release(c->r, ans);
    return hit ? SM_YES : SM_NO;
}

static unsigned cidr_for(const struct spf_ctx *c, const struct spf_term *t)
{
    return c->req->ip.family == 4 ? t->cidr4 : t->cidr6;
}

static enum spf_match mech_all(struct spf_ctx *c, const struct spf_scope *sc,
                               const struct spf_term *t)
{
    (void)c, (void)sc, (void)t;
    return SM_YES;
}

static enum spf_match mech_ip(struct spf_ctx *c, const struct spf_scope *sc,
                              const struct spf_term *t)
{
    (void)sc;
    if (c->req->ip.family != t->net_family) {
        return SM_NO; /* §5.6: only the client's own family matches */
    }
    return spf_cidr_match(&c->req->ip, t->net, cidr_for(c, t)) ? SM_YES : SM_NO;
}

static enum spf_match mech_a(struct spf_ctx *c, const struct spf_scope *sc,
                             const struct spf_term *t)
{
    slice name;
    if (!spf_count_term(c, t->text) || !target_name(c, sc, t, &name)) {
        return SM_STOP;
    }
    return addr_match(c, name, cidr_for(c, t), SPF_Q_VOID, t->text);
}

/* mech_mx: §5.4; more than 10 MX names is permerror (§4.6.4). */
static enum spf_match mech_mx(struct spf_ctx *c, const struct spf_scope *sc,
                              const struct spf_term *t)
{
    slice name;
    if (!spf_count_term(c, t->text) || !target_name(c, sc, t, &name)) {
        return SM_STOP;
    }
    const struct dns_answer *ans;
    enum spf_q q = spf_query(c, name, DNS_T_MX, SPF_Q_VOID, t->text, &ans);
    if (q != Q_DATA) {
        return q == Q_STOP ? SM_STOP : SM_NO;
    }
    enum spf_match m = SM_NO;
    if (ans->n_rr > SPF_MAX_MX) {
        spf_abort(c, AV_PERMERROR, "mx_limit", t->text);
        m = SM_STOP;
    }
    for (size_t k = 0; m == SM_NO && k < ans->n_rr; k++) {
        slice host;
        if (!dns_rdata_name(&ans->rr[k], 2, c->a, &host) || host.len == 0) {
            continue; /* malformed, or a null MX (RFC 7505) */
        }
        m = addr_match(c, host, cidr_for(c, t), 0, t->text);
    }
    dns_release(c->r, ans);
    return m;
}

/* name_under: name equals domain or ends in "." domain, ASCII case-insensitively. */
bool spf_name_under(slice name, slice domain)
{
    if (!slice_has_suffix_ci(name, domain)) {
        return false;
    }
    return name.len == domain.len ||
           (name.len > domain.len && name.ptr[name.len - domain.len - 1] == '.');
}

static enum spf_match mech_ptr(struct spf_ctx *c, const struct spf_scope *sc,
                               const struct spf_term *t)
{
    slice name;
    if (!spf_count_term(c, t->text) || !target_name(c, sc, t, &name)) {
        return SM_STOP;
    }
    struct spf_names v;
    if (!spf_validated_names(c, t->text, true, &v)) {
        return SM_STOP;
    }
    for (size_t k = 0; k < v.n; k++) {
        if (spf_name_under(v.name[k], name)) {
            return SM_YES;
        }
    }
    return SM_NO;
}

static enum spf_match mech_exists(struct spf_ctx *c, const struct spf_scope *sc,
                                  const struct spf_term *t)
{
    slice name;
    if (!spf_count_term(c, t->text) || !target_name(c, sc, t, &name)) {
        return SM_STOP;
    }
    const struct dns_answer *ans;
    enum spf_q q = spf_query(c, name, DNS_T_A, SPF_Q_VOID, t->text, &ans); /* §5.7: always A */
    if (q != Q_DATA) {
        return q == Q_STOP ? SM_STOP : SM_NO;
    }
    dns_release(c->r, ans);
    return SM_YES;
}

static enum auth_verdict check_host_at(struct spf_ctx *c, slice domain, slice sender,
                                       unsigned depth, bool in_include);

/* mech_include: §5.2's table: pass matches; fail, softfail, neutral do not; temperror and
 * permerror propagate; none is permerror. */
static enum spf_match mech_include(struct spf_ctx *c, const struct spf_scope *sc,
                                   const struct spf_term *t)
{
    slice name;
    if (!spf_count_term(c, t->text) || !target_name(c, sc, t, &name)) {
        return SM_STOP;
    }
    enum auth_verdict v = check_host_at(c, name, sc->sender, sc->depth + 1, true);
    switch (v) {
    case AV_PASS:
        return SM_YES;
    case AV_FAIL:
    case AV_SOFTFAIL:
    case AV_NEUTRAL:
        return SM_NO;
    case AV_NONE:
        if (!spf_stopped(c)) {
            spf_abort(c, AV_PERMERROR, "include_none", t->text);
        }
        return SM_STOP;
    case AV_TEMPERROR:
    case AV_PERMERROR:
    case AV_POLICY:
    case AV__COUNT:
        break;
    }
    return SM_STOP;
}

typedef enum spf_match (*spf_mech_fn)(struct spf_ctx *, const struct spf_scope *,
                                      const struct spf_term *);
static const spf_mech_fn spf_mech_fns[SPF_M__COUNT] = {
    [SPF_M_ALL] = mech_all, [SPF_M_INCLUDE] = mech_include, [SPF_M_A] = mech_a,
    [SPF_M_MX] = mech_mx,   [SPF_M_PTR] = mech_ptr,         [SPF_M_IP4] = mech_ip,
    [SPF_M_IP6] = mech_ip,  [SPF_M_EXISTS] = mech_exists,
};

/* -------------------------------------------------------------------------------------- */
/* check_host (RFC 7208 §4)                                                                */

/* domain_ok: §4.3: a malformed or single-label domain gives none. */
static bool domain_ok(slice d)
{
    if (d.len > 0 && d.ptr[d.len - 1] == '.') {
        d.len--;
    }
    if (d.len == 0 || d.len > 253) {
        return false;
    }
    size_t label = 0, labels = 1;
    for (size_t k = 0; k < d.len; k++) {
        if (d.ptr[k] == '.') {
            if (label == 0) {
                return false;
            }
            label = 0;
            labels++;
        } else if (++label > 63 || d.ptr[k] == 0) {
            return false;
        }
    }
    return label > 0 && labels >= 2;
}

/* explain: §6.2: errors of any kind mean "no explanation", never an error of the check. */
static void explain(struct spf_ctx *c, const struct spf_scope *sc, const struct spf_record *rec)
{
    slice name, text;
    if (!spf_expand_domain(c, sc, rec->exp, rec->exp_term, &name)) {
        return;
    }
    const struct dns_answer *ans;
    if (spf_query(c, name, DNS_T_TXT, 0, rec->exp_term, &ans) != Q_DATA) {
        return;
    }
    bool ok = ans->n_rr == 1 && dns_txt_join(&ans->rr[0], c->a, &text);
    dns_release(c->r, ans);
    if (ok && spf_expand(c, sc, text, SPF_EXPAND_EXP, &text)) {
        c->out->explanation = text;
    }
}

static enum auth_verdict run_record(struct spf_ctx *c, const struct spf_scope *sc,
                                    const struct spf_record *rec)
{
    for (size_t k = 0; k < rec->n_terms; k++) {
        const struct spf_term *t = &rec->terms[k];
        enum spf_match m = spf_mech_fns[t->mech](c, sc, t);
        if (m == SM_STOP) {
            return c->pending ? AV_NONE : c->err;
        }
        if (m == SM_YES) {
            if (!sc->in_include) {
                c->out->mechanism = t->text; /* the deciding term, also after redirect= */
            }
            if (t->qual == AV_FAIL && rec->exp_term.ptr != NULL && !sc->in_include) {
                c->quiet = true;
                explain(c, sc, rec);
                c->quiet = false;
                if (c->pending) {
                    return AV_NONE;
                }
            }
            return t->qual;
        }
    }
    if (rec->redirect_term.ptr == NULL) {
        return AV_NEUTRAL; /* §4.7 */
    }
    /* §6.1: redirect: counted, then check_host on the target; none is permerror. */
    slice target;
    if (!spf_count_term(c, rec->redirect_term) ||
        !spf_expand_domain(c, sc, rec->redirect, rec->redirect_term, &target)) {
        return c->pending ? AV_NONE : c->err;
    }
    enum auth_verdict v = check_host_at(c, target, sc->sender, sc->depth + 1, sc->in_include);
    if (v == AV_NONE && !spf_stopped(c)) {
        spf_abort(c, AV_PERMERROR, "redirect_none", rec->redirect_term);
        return AV_PERMERROR;
    }
    return v;
}

/* last_at: the index of the last '@' in s, or -1. */
static ptrdiff_t last_at(slice s)
{
    for (size_t k = s.len; k-- > 0;) {
        if (s.ptr[k] == '@') {
            return (ptrdiff_t)k;
        }
    }
    return -1;
}

static void split_sender(slice sender, struct spf_scope *sc)
{
    ptrdiff_t at = last_at(sender);
    sc->sender = sender;
    if (at < 0) {
        sc->local = SLICE_LIT("postmaster");
        sc->sender_domain = sender;
        return;
    }
    sc->local = slice_sub(sender, 0, (size_t)at);
    sc->sender_domain = slice_sub(sender, (size_t)at + 1, sender.len - (size_t)at - 1);
    if (sc->local.len == 0) {
        sc->local = SLICE_LIT("postmaster"); /* §4.3 */
    }
}

static enum auth_verdict check_host_at(struct spf_ctx *c, slice domain, slice sender,
                                       unsigned depth, bool in_include)
{
    if (depth > SPF_MAX_DEPTH) {
        spf_abort(c, AV_PERMERROR, "recursion_depth", domain);
        return AV_PERMERROR;
    }
    if (!domain_ok(domain)) {
        return AV_NONE; /* §4.3 */
    }
    if (domain.ptr[domain.len - 1] == '.') {
        domain.len--;
    }
    slice text = SLICE_NULL;
    enum auth_verdict sel = select_record(c, domain, &text);
    if (sel != AV_PASS) {
        return sel;
    }
    struct spf_record rec;
    const char *why = "syntax";
    slice where = SLICE_NULL;
    if (!spf_record_parse(c->a, text, &rec, &why, &where)) {
        spf_abort(c, AV_PERMERROR, why, where);
        return AV_PERMERROR;
    }
    struct spf_scope sc = {.domain = domain, .depth = depth, .in_include = in_include};
    split_sender(sender, &sc);
    return run_record(c, &sc, &rec);
}

void spf_ctx_init(struct spf_ctx *c, struct arena *a, struct dns_resolver *r,
                  const struct spf_request *req, struct spf_result *out)
{
    memset(c, 0, sizeof(*c));
    memset(out, 0, sizeof(*out));
    c->a = a;
    c->r = r;
    c->req = req;
    c->out = out;
}

void spf_check_host(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                    slice domain, slice sender, struct spf_result *out)
{
    struct spf_ctx c;
    spf_ctx_init(&c, a, r, req, out);
    out->domain = domain;
    enum auth_verdict v = check_host_at(&c, domain, sender, 0, false);
    if (c.err != AV_NONE) {
        v = c.err;
    }
    out->result = v;
    out->pending = c.pending;
    out->lookups = c.lookups;
    out->void_lookups = c.voids;
    if (v != AV_FAIL) {
        out->explanation = SLICE_NULL;
    }
    if (v != AV_PERMERROR && v != AV_TEMPERROR) {
        out->reason = NULL;
        out->reason_where = SLICE_NULL;
    }
    if (v == AV_NONE && !c.pending) {
        out->reason = "no_record";
        out->reason_where = domain;
    }
}

/* helo_sender builds "postmaster@helo" in arena memory (RFC 7208 §2.3, §2.4). */
static slice helo_sender(struct arena *a, slice helo)
{
    static const char pm[] = "postmaster@";
    size_t n = sizeof(pm) - 1;
    uint8_t *p = arena_alloc(a, n + helo.len + 1);
    memcpy(p, pm, n);
    if (helo.len > 0) {
        memcpy(p + n, helo.ptr, helo.len);
    }
    return slice_make(p, n + helo.len);
}

void spf_check_helo(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                    struct spf_result *out)
{
    spf_check_host(a, r, req, req->helo, helo_sender(a, req->helo), out);
}

void spf_check_mailfrom(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                        struct spf_result *out)
{
    if (req->mailfrom.len == 0) {
        spf_check_helo(a, r, req, out); /* §2.4: empty reverse-path */
        return;
    }
    ptrdiff_t at = last_at(req->mailfrom);
    slice domain =
        at < 0 ? req->mailfrom
               : slice_sub(req->mailfrom, (size_t)at + 1, req->mailfrom.len - (size_t)at - 1);
    spf_check_host(a, r, req, domain, req->mailfrom, out);
}
