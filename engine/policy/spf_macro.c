/* spf_macro.c: the RFC 7208 §7 macro language, domain-spec checks (§4.8) and the validated
 * PTR names that both %{p} and the ptr mechanism use (§5.5).
 *
 * Expansion writes into one fixed-size arena buffer (SPF_EXPAND_MAX): a hostile record can
 * make an expansion fail, never grow without bound. Letter values come from a table of small
 * functions; the transformers (digits, "r") and delimiters work on a list of part slices. */
#include <string.h>

#include "engine/policy/spf.h"

struct xbuf {
    uint8_t *p;
    size_t len, cap;
};

static bool xput(struct xbuf *b, const void *p, size_t n)
{
    if (n > b->cap - b->len) {
        return false;
    }
    if (n > 0) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
    return true;
}

static bool xputc(struct xbuf *b, uint8_t ch)
{
    return xput(b, &ch, 1);
}

/* -------------------------------------------------------------------------------------- */
/* Syntax (RFC 7208 §7.1)                                                                  */

static bool is_macro_letter(uint8_t ch, bool exp)
{
    switch (slice_lower(ch)) {
    case 's':
    case 'l':
    case 'o':
    case 'd':
    case 'i':
    case 'p':
    case 'v':
    case 'h':
        return true;
    case 'c':
    case 'r':
    case 't':
        return exp; /* §7.3: c, r and t only in exp text */
    default:
        return false;
    }
}

static bool is_delimiter(uint8_t ch)
{
    switch (ch) {
    case '.':
    case '-':
    case '+':
    case ',':
    case '/':
    case '_':
    case '=':
        return true;
    default:
        return false;
    }
}

/* macro_take reads one "%..." at the start of s: "%%", "%_", "%-" or "%{" letter
 * transformers *delimiter "}". On success *n is its length. */
static bool macro_take(slice s, bool exp, size_t *n)
{
    if (s.len < 2) {
        return false;
    }
    uint8_t c1 = s.ptr[1];
    if (c1 == '%' || c1 == '_' || c1 == '-') {
        *n = 2;
        return true;
    }
    if (c1 != '{' || s.len < 4 || !is_macro_letter(s.ptr[2], exp)) {
        return false;
    }
    size_t k = 3;
    while (k < s.len && slice_is(s.ptr[k], CC_DIGIT)) {
        k++;
    }
    if (k < s.len && slice_lower(s.ptr[k]) == 'r') {
        k++;
    }
    while (k < s.len && is_delimiter(s.ptr[k])) {
        k++;
    }
    if (k >= s.len || s.ptr[k] != '}') {
        return false;
    }
    *n = k + 1;
    return true;
}

bool spf_macro_string_ok(slice s, bool exp)
{
    size_t k = 0;
    while (k < s.len) {
        uint8_t ch = s.ptr[k];
        if (ch == '%') {
            size_t n;
            if (!macro_take(slice_sub(s, k, s.len - k), exp, &n)) {
                return false;
            }
            k += n;
            continue;
        }
        /* macro-literal = %x21-24 / %x26-7E; explain-string adds SP */
        if (!((ch >= 0x21 && ch <= 0x7e) || (exp && ch == ' '))) {
            return false;
        }
        k++;
    }
    return true;
}

/* toplabel_ok: §7.1 toplabel = ( *alphanum ALPHA *alphanum ) /
 * ( 1*alphanum "-" *( alphanum / "-" ) alphanum ). */
static bool toplabel_ok(slice l)
{
    bool alpha = false, dash = false;
    if (l.len == 0 || l.ptr[0] == '-' || l.ptr[l.len - 1] == '-') {
        return false;
    }
    for (size_t k = 0; k < l.len; k++) {
        uint8_t ch = l.ptr[k];
        if (ch == '-') {
            dash = true;
        } else if (slice_is(ch, CC_ALPHA)) {
            alpha = true;
        } else if (!slice_is(ch, CC_DIGIT)) {
            return false;
        }
    }
    return alpha || dash;
}

bool spf_domain_spec_ok(slice s)
{
    if (s.len == 0 || !spf_macro_string_ok(s, false)) {
        return false;
    }
    /* domain-end = ( "." toplabel [ "." ] ) / macro-expand */
    if (s.ptr[s.len - 1] == '}') {
        return true;
    }
    if (s.len >= 2 && s.ptr[s.len - 2] == '%') {
        return true; /* "%%", "%_", "%-" (checked by the macro-string pass) */
    }
    if (s.ptr[s.len - 1] == '.') {
        s.len--;
    }
    ptrdiff_t dot = -1;
    for (size_t k = s.len; k-- > 0;) {
        if (s.ptr[k] == '.') {
            dot = (ptrdiff_t)k;
            break;
        }
    }
    if (dot < 0) {
        return false;
    }
    return toplabel_ok(slice_sub(s, (size_t)dot + 1, s.len - (size_t)dot - 1));
}

/* -------------------------------------------------------------------------------------- */
/* Address text                                                                            */

static const char hexdig[] = "0123456789abcdef";

static bool put_dec(struct xbuf *b, uint64_t v)
{
    uint8_t tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (uint8_t)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    return xput(b, tmp + sizeof(tmp) - n, n);
}

/* put_ip_dotted: %{i} (§7.3): IPv4 dotted quad; IPv6 32 nibbles separated by dots. */
static bool put_ip_dotted(struct xbuf *b, const struct spf_ip *ip)
{
    bool ok = true;
    if (ip->family == 4) {
        for (int k = 0; k < 4; k++) {
            ok = ok && (k == 0 || xputc(b, '.')) && put_dec(b, ip->addr[k]);
        }
        return ok;
    }
    /* The RFC's §7.4 example writes the nibbles in lower case, the conformance suite
     * (v-macro-ip6, after pyspf) in upper case; "dot-format" allows both, names compare
     * case-insensitively, and only explanation text can tell, so we follow the suite. */
    for (int k = 0; k < 32; k++) {
        uint8_t nib = (uint8_t)((ip->addr[k / 2] >> (k % 2 ? 0 : 4)) & 15);
        ok = ok && (k == 0 || xputc(b, '.')) && xputc(b, (uint8_t) "0123456789ABCDEF"[nib]);
    }
    return ok;
}

/* put_ip_text: %{c} (§7.3): IPv4 dotted, IPv6 in RFC 5952 compressed form. */
static bool put_ip_text(struct xbuf *b, const struct spf_ip *ip)
{
    if (ip->family == 4) {
        return put_ip_dotted(b, ip);
    }
    unsigned w[8];
    int best = -1, best_len = 1;
    for (int k = 0; k < 8; k++) {
        w[k] = (unsigned)(ip->addr[2 * k] << 8 | ip->addr[2 * k + 1]);
    }
    for (int k = 0; k < 8;) {
        int run = 0;
        while (k + run < 8 && w[k + run] == 0) {
            run++;
        }
        if (run > best_len) {
            best = k;
            best_len = run;
        }
        k += run > 0 ? run : 1;
    }
    bool ok = true;
    for (int k = 0; k < 8 && ok; k++) {
        if (k == best) {
            ok = xput(b, "::", 2);
            k += best_len - 1;
            continue;
        }
        if (k > 0 && k != best + best_len) {
            ok = xputc(b, ':');
        }
        bool lead = true;
        for (int s = 12; s >= 0 && ok; s -= 4) {
            unsigned nib = (w[k] >> s) & 15;
            if (nib == 0 && lead && s > 0) {
                continue;
            }
            lead = false;
            ok = xputc(b, (uint8_t)hexdig[nib]);
        }
    }
    return ok;
}

/* reverse_name: the in-addr.arpa / ip6.arpa name of ip (§5.5). */
static bool reverse_name(struct xbuf *b, const struct spf_ip *ip)
{
    bool ok = true;
    if (ip->family == 4) {
        for (int k = 3; k >= 0; k--) {
            ok = ok && put_dec(b, ip->addr[k]) && xputc(b, '.');
        }
        return ok && xput(b, "in-addr.arpa", 12);
    }
    for (int k = 31; k >= 0; k--) {
        uint8_t nib = (uint8_t)((ip->addr[k / 2] >> (k % 2 ? 0 : 4)) & 15);
        ok = ok && xputc(b, (uint8_t)hexdig[nib]) && xputc(b, '.');
    }
    return ok && xput(b, "ip6.arpa", 8);
}

/* -------------------------------------------------------------------------------------- */
/* Validated PTR names (§5.5)                                                              */

static bool name_has_ip(struct spf_ctx *c, slice name)
{
    const struct spf_ip *ip = &c->req->ip;
    const struct dns_answer *ans;
    uint16_t qt = ip->family == 4 ? DNS_T_A : DNS_T_AAAA;
    /* §5.5: a DNS error on one name skips that name */
    if (spf_query(c, name, qt, SPF_Q_TEMP_EMPTY, name, &ans) != Q_DATA) {
        return false;
    }
    size_t want = ip->family == 4 ? 4 : 16;
    bool hit = false;
    for (size_t k = 0; k < ans->n_rr && !hit; k++) {
        hit = ans->rr[k].rdlen == want && memcmp(ans->rr[k].rdata, ip->addr, want) == 0;
    }
    dns_release(c->r, ans);
    return hit;
}

bool spf_validated_names(struct spf_ctx *c, slice where, bool count_void, struct spf_names *out)
{
    count_void = count_void && !c->quiet;
    if (c->ptr_done) {
        /* The answer is cached, but each term that asks counts its void answer again
         * (§4.6.4 counts terms), as a resolver without our cache would see it. */
        if (count_void && c->ptr.n_ptr == 0 && !spf_count_void(c, where)) {
            return false;
        }
        *out = c->ptr;
        return true;
    }
    uint8_t tmp[80];
    struct xbuf b = {tmp, 0, sizeof(tmp)};
    (void)reverse_name(&b, &c->req->ip);
    const struct dns_answer *ans;
    unsigned flags = SPF_Q_TEMP_EMPTY | (count_void ? SPF_Q_VOID : 0u);
    /* §5.5: a DNS error on the PTR query means no match, not an error */
    enum spf_q q = spf_query(c, slice_make(tmp, b.len), DNS_T_PTR, flags, where, &ans);
    memset(&c->ptr, 0, sizeof(c->ptr));
    if (q == Q_STOP) {
        return false;
    }
    if (q == Q_DATA) {
        /* §4.6.4: at most 10 PTR names are looked at; the rest are ignored */
        size_t n = ans->n_rr < SPF_MAX_PTR ? ans->n_rr : SPF_MAX_PTR;
        c->ptr.n_ptr = ans->n_rr;
        for (size_t k = 0; k < n; k++) {
            slice name;
            if (!dns_rdata_name(&ans->rr[k], 0, c->a, &name) || name.len == 0) {
                continue;
            }
            if (name_has_ip(c, name)) {
                c->ptr.name[c->ptr.n++] = name;
            } else if (c->pending) {
                break;
            }
        }
        dns_release(c->r, ans);
        if (c->pending) {
            return false;
        }
    }
    c->ptr_done = true;
    *out = c->ptr;
    return true;
}

/* value_p: %{p} (§7.3): the current domain if validated, else a validated subdomain of it,
 * else any validated name, else "unknown". */
static bool value_p(struct spf_ctx *c, const struct spf_scope *sc, slice *out)
{
    struct spf_names v;
    bool fresh = !c->ptr_done;
    if (fresh && !c->quiet) {
        /* §4.6.4: the PTR query of %{p} counts like a DNS-querying term */
        if (!spf_count_term(c, sc->domain)) {
            return false;
        }
    }
    if (!spf_validated_names(c, sc->domain, fresh, &v)) {
        return false;
    }
    *out = SLICE_LIT("unknown");
    for (size_t k = 0; k < v.n; k++) {
        if (slice_eq_ci(v.name[k], sc->domain)) {
            *out = v.name[k];
            return true;
        }
    }
    for (size_t k = 0; k < v.n; k++) {
        if (spf_name_under(v.name[k], sc->domain)) {
            *out = v.name[k];
            return true;
        }
    }
    if (v.n > 0) {
        *out = v.name[0];
    }
    return true;
}

/* -------------------------------------------------------------------------------------- */
/* Expansion (§7.3)                                                                        */

/* letter_value writes the raw value of a macro letter into b. */
static bool letter_value(struct spf_ctx *c, const struct spf_scope *sc, uint8_t letter,
                         struct xbuf *b)
{
    const struct spf_request *rq = c->req;
    slice v = SLICE_NULL;
    switch (letter) {
    case 's':
        c->out->uses |= SPF_USES_LOCAL;
        v = sc->sender;
        break;
    case 'l':
        c->out->uses |= SPF_USES_LOCAL;
        v = sc->local;
        break;
    case 'o':
        v = sc->sender_domain;
        break;
    case 'd':
        v = sc->domain;
        break;
    case 'h':
        c->out->uses |= SPF_USES_HELO;
        v = rq->helo;
        break;
    case 'i':
        return put_ip_dotted(b, &rq->ip);
    case 'c':
        return put_ip_text(b, &rq->ip);
    case 'v':
        v = rq->ip.family == 4 ? SLICE_LIT("in-addr") : SLICE_LIT("ip6");
        break;
    case 'r':
        v = rq->receiver.len > 0 ? rq->receiver : SLICE_LIT("unknown");
        break;
    case 't':
        c->out->uses |= SPF_USES_TIME;
        return put_dec(b, (uint64_t)(rq->now < 0 ? 0 : rq->now));
    case 'p':
        if (!value_p(c, sc, &v)) {
            return false;
        }
        break;
    default:
        return false;
    }
    return xput(b, v.ptr, v.len);
}

static bool url_unreserved(uint8_t ch)
{
    return slice_is(ch, CC_ALPHA | CC_DIGIT) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* transform splits raw on the delimiters, reverses and keeps the rightmost keep parts
 * (0: all), joins them with "." and appends to b, URL-escaping when asked (§7.3). */
static bool transform(struct arena *a, struct xbuf *b, slice raw, slice delims, bool reverse,
                      uint64_t keep, bool escape)
{
    size_t n_parts = 1;
    for (size_t k = 0; k < raw.len; k++) {
        n_parts += slice_contains_byte(delims, raw.ptr[k]) ? 1 : 0;
    }
    slice *part = ARENA_ARRAY(a, slice, n_parts);
    size_t idx = 0, start = 0;
    for (size_t k = 0; k <= raw.len; k++) {
        if (k == raw.len || slice_contains_byte(delims, raw.ptr[k])) {
            part[idx++] = slice_sub(raw, start, k - start);
            start = k + 1;
        }
    }
    size_t first = (keep > 0 && keep < n_parts) ? n_parts - (size_t)keep : 0;
    bool ok = true;
    for (size_t p = first; p < n_parts && ok; p++) {
        slice s = part[reverse ? n_parts - 1 - p : p];
        if (p > first) {
            ok = xputc(b, '.');
        }
        for (size_t k = 0; k < s.len && ok; k++) {
            uint8_t ch = s.ptr[k];
            if (escape && !url_unreserved(ch)) {
                uint8_t e[3] = {'%', (uint8_t) "0123456789ABCDEF"[ch >> 4],
                                (uint8_t) "0123456789ABCDEF"[ch & 15]};
                ok = xput(b, e, 3);
            } else {
                ok = xputc(b, ch);
            }
        }
    }
    return ok;
}

/* expand_one expands "%{...}" (already syntax-checked) into b. */
static bool expand_one(struct spf_ctx *c, const struct spf_scope *sc, slice m, struct xbuf *b)
{
    uint8_t letter = m.ptr[2];
    size_t k = 3;
    uint64_t keep = 0;
    bool digits = false, reverse = false;
    while (slice_is(m.ptr[k], CC_DIGIT)) {
        keep = keep > 100000 ? keep : keep * 10 + (uint64_t)(m.ptr[k] - '0');
        digits = true;
        k++;
    }
    if (digits && keep == 0) {
        return false; /* §7.3: a DIGIT transformer must be nonzero */
    }
    if (slice_lower(m.ptr[k]) == 'r') {
        reverse = true;
        k++;
    }
    slice delims = slice_sub(m, k, m.len - 1 - k);
    if (delims.len == 0) {
        delims = SLICE_LIT(".");
    }
    uint8_t tmp[SPF_EXPAND_MAX];
    struct xbuf raw = {tmp, 0, sizeof(tmp)};
    if (!letter_value(c, sc, slice_lower(letter), &raw)) {
        return false;
    }
    bool escape = letter >= 'A' && letter <= 'Z';
    return transform(c->a, b, slice_make(tmp, raw.len), delims, reverse, keep, escape);
}

bool spf_expand(struct spf_ctx *c, const struct spf_scope *sc, slice s, enum spf_expand_mode mode,
                slice *out)
{
    bool exp = mode == SPF_EXPAND_EXP;
    if (!spf_macro_string_ok(s, exp)) {
        return false;
    }
    struct xbuf b = {arena_alloc(c->a, SPF_EXPAND_MAX), 0, SPF_EXPAND_MAX};
    size_t k = 0;
    while (k < s.len) {
        if (s.ptr[k] != '%') {
            if (!xputc(&b, s.ptr[k])) {
                return false;
            }
            k++;
            continue;
        }
        size_t n = 0;
        (void)macro_take(slice_sub(s, k, s.len - k), exp, &n);
        uint8_t c1 = s.ptr[k + 1];
        bool ok = c1 == '%'   ? xputc(&b, '%')
                  : c1 == '_' ? xputc(&b, ' ')
                  : c1 == '-' ? xput(&b, "%20", 3)
                              : expand_one(c, sc, slice_sub(s, k, n), &b);
        if (!ok) {
            return false;
        }
        k += n;
    }
    *out = slice_make(b.p, b.len);
    return true;
}

/* cut_left: §7.3: over 253 bytes, drop whole labels from the left until it fits. */
static slice cut_left(slice s)
{
    while (s.len > 253) {
        ptrdiff_t dot = slice_find(s, '.');
        if (dot < 0) {
            return SLICE_NULL;
        }
        s = slice_sub(s, (size_t)dot + 1, s.len - (size_t)dot - 1);
    }
    return s;
}

bool spf_expand_domain(struct spf_ctx *c, const struct spf_scope *sc, slice spec, slice where,
                       slice *out)
{
    slice name;
    if (!spf_expand(c, sc, spec, SPF_EXPAND_DOMAIN, &name)) {
        if (!spf_stopped(c)) {
            spf_abort(c, AV_PERMERROR, "macro", where);
        }
        return false;
    }
    if (name.len > 0 && name.ptr[name.len - 1] == '.') {
        name.len--;
    }
    name = cut_left(name);
    if (name.len == 0) {
        spf_abort(c, AV_PERMERROR, "bad_domain", where);
        return false;
    }
    *out = name;
    return true;
}
