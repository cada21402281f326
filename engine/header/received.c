#include "engine/header/received.h"

#include <stdio.h>
#include <string.h>

#include "engine/header/date.h"

/* Lexing ------------------------------------------------------------------------------- */

static bool is_fws(uint8_t c)
{
    return slice_is(c, CC_FWS);
}

/* skip_comment: s starts with '('. Moves s past the matching ')' (or to the end when the
 * comment is unterminated) and sets *inner to the bytes between the outer parentheses.
 * Nesting is a counter; a quoted-pair (RFC 5322 §3.2.1) escapes one byte. */
static void skip_comment(slice *s, slice *inner)
{
    size_t depth = 0, i = 0, end;
    for (; i < s->len; i++) {
        uint8_t c = s->ptr[i];
        if (c == '\\') {
            i++;
            continue;
        }
        if (c == '(') {
            depth++;
        } else if (c == ')') {
            depth--;
            if (depth == 0) {
                break;
            }
        }
    }
    if (i >= s->len) { /* unterminated: the rest is the comment */
        end = s->len;
        *inner = slice_sub(*s, 1, s->len - 1);
    } else {
        end = i + 1;
        *inner = slice_sub(*s, 1, i - 1);
    }
    slice_skip(s, end);
}

/* next_special returns the index of the first byte of p[i..n) that last_semi must look at
 * ('\\', '(', ')' or ';'), or n. Sixteen bytes a step with SSE2 where the target has it:
 * Received fields are scanned twice per message and are mostly plain text. */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
static size_t next_special(const uint8_t *p, size_t i, size_t n)
{
#if defined(__SSE2__)
    const __m128i bs = _mm_set1_epi8('\\'), op = _mm_set1_epi8('('), cp = _mm_set1_epi8(')'),
                  sc = _mm_set1_epi8(';');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, bs), _mm_cmpeq_epi8(x, op)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, cp), _mm_cmpeq_epi8(x, sc)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0) {
            return i + (size_t)__builtin_ctz(bits);
        }
    }
#endif
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\\' || c == '(' || c == ')' || c == ';') {
            return i;
        }
    }
    return n;
}

/* last_semi returns the offset of the last ';' outside comments, or -1. */
static ptrdiff_t last_semi(slice v)
{
    ptrdiff_t last = -1;
    size_t depth = 0;
    for (size_t i = next_special(v.ptr, 0, v.len); i < v.len;
         i = next_special(v.ptr, i + 1, v.len)) {
        uint8_t c = v.ptr[i];
        if (c == '\\') {
            if (depth > 0) {
                i++; /* a quoted-pair inside a comment: the next byte is taken literally */
            }
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (depth > 0) {
                depth--;
            }
        } else if (depth == 0) { /* ';' */
            last = (ptrdiff_t)i;
        }
    }
    return last;
}

enum tok_kind { TOK_END, TOK_WORD, TOK_COMMENT, TOK_SEMI };

/* next_tok reads one word (a run of bytes other than FWS, '(', ')' and ';'), comment or
 * ';' from *s. A stray ')' is skipped as white space. */
static enum tok_kind next_tok(slice *s, slice *tok)
{
    while (s->len > 0 && (is_fws(s->ptr[0]) || s->ptr[0] == ')')) {
        slice_skip(s, 1);
    }
    if (s->len == 0) {
        return TOK_END;
    }
    if (s->ptr[0] == ';') {
        *tok = slice_sub(*s, 0, 1);
        slice_skip(s, 1);
        return TOK_SEMI;
    }
    if (s->ptr[0] == '(') {
        skip_comment(s, tok);
        return TOK_COMMENT;
    }
    size_t n = 0;
    while (n < s->len) {
        uint8_t c = s->ptr[n];
        if (is_fws(c) || c == '(' || c == ')' || c == ';') {
            break;
        }
        n++;
    }
    slice_take(s, n, tok);
    return TOK_WORD;
}

/* next_word splits comment text into words at FWS; nested comments come back whole as
 * TOK_COMMENT so that "(may be forged)" can be recognised. */
static enum tok_kind next_word(slice *s, slice *tok)
{
    while (s->len > 0 && is_fws(s->ptr[0])) {
        slice_skip(s, 1);
    }
    if (s->len == 0) {
        return TOK_END;
    }
    if (s->ptr[0] == '(') {
        skip_comment(s, tok);
        return TOK_COMMENT;
    }
    size_t n = 0;
    while (n < s->len && !is_fws(s->ptr[n]) && s->ptr[n] != '(') {
        n++;
    }
    slice_take(s, n, tok);
    return TOK_WORD;
}

/* Addresses ---------------------------------------------------------------------------- */

/* literal_ip reads an address literal "[192.0.2.1]", "[IPv6:2001:db8::1]", optionally
 * followed by ":port" (Exim, some Postfix logs), into *text and *ip. */
static bool literal_ip(slice w, slice *text, struct spf_ip *ip)
{
    if (w.len < 2 || w.ptr[0] != '[') {
        return false;
    }
    ptrdiff_t close = slice_find(w, ']');
    if (close < 0) {
        return false;
    }
    slice rest = slice_sub(w, (size_t)close + 1, w.len);
    if (rest.len > 0) {
        uint64_t port;
        if (rest.ptr[0] != ':' || !slice_u64_all(slice_sub(rest, 1, rest.len), &port)) {
            return false;
        }
    }
    slice in = slice_sub(w, 1, (size_t)close - 1);
    if (slice_has_prefix_ci(in, SLICE_LIT("IPv6:"))) {
        slice_skip(&in, 5);
    }
    if (!spf_ip_parse(in, ip)) {
        return false;
    }
    *text = in;
    return true;
}

/* bare_ip reads "192.0.2.1" or "2001:db8::1" (a trailing ',' tolerated). */
static bool bare_ip(slice w, slice *text, struct spf_ip *ip)
{
    if (w.len > 0 && w.ptr[w.len - 1] == ',') {
        w.len--;
    }
    if (w.len == 0 || !spf_ip_parse(w, ip)) {
        return false;
    }
    *text = w;
    return true;
}

static bool domain_like(slice w)
{
    if (w.len == 0) {
        return false;
    }
    for (size_t i = 0; i < w.len; i++) {
        uint8_t c = w.ptr[i];
        if (!slice_is(c, CC_LDH) && c != '.' && c != '_') {
            return false;
        }
    }
    return true;
}

/* TCP-info ----------------------------------------------------------------------------- */

struct tcpinfo {
    slice ip_text;
    struct spf_ip ip;
    bool has_ip;
    slice rdns, helo;
    bool forged;
};

/* tcpinfo_word interprets one word of a TCP-info comment; true when it was an address. */
static bool tcpinfo_word(struct tcpinfo *t, slice w, size_t k, slice *first, bool *expect_helo)
{
    slice text;
    struct spf_ip ip;
    if (*expect_helo) {
        *expect_helo = false;
        t->helo = w;
        return false;
    }
    if (slice_eq_ci(w, SLICE_LIT("HELO")) || slice_eq_ci(w, SLICE_LIT("EHLO"))) {
        *expect_helo = true; /* qmail, qpsmtpd, Yahoo: "(HELO name)" */
        return false;
    }
    if (slice_has_prefix_ci(w, SLICE_LIT("helo="))) { /* Exim */
        t->helo = slice_sub(w, 5, w.len);
        return false;
    }
    if (literal_ip(w, &text, &ip) || bare_ip(w, &text, &ip)) {
        if (!t->has_ip) {
            t->has_ip = true;
            t->ip = ip;
            t->ip_text = text;
        }
        return true;
    }
    if (k == 0) {
        *first = w;
    }
    return false;
}

static bool says_forged(slice s)
{
    return slice_find_sub(s, SLICE_LIT("may be forged")) >= 0 ||
           slice_find_sub(s, SLICE_LIT("MAY BE FORGED")) >= 0;
}

/* tcpinfo_read interprets one comment after the FROM value. An rDNS name is taken only from
 * the first word, and only when the comment also holds an address or is that word alone:
 * "(Oracle Communications Messaging Server ...)" names software, not a host. */
static void tcpinfo_read(struct tcpinfo *t, slice inner)
{
    slice w, first = SLICE_NULL;
    size_t words = 0;
    bool expect_helo = false, ip_here = false;
    enum tok_kind kind;
    if (says_forged(inner)) { /* Sendmail: "(rdns [ip] (may be forged))" */
        t->forged = true;
    }
    while ((kind = next_word(&inner, &w)) != TOK_END) {
        if (kind == TOK_COMMENT) {
            continue;
        }
        ip_here |= tcpinfo_word(t, w, words, &first, &expect_helo);
        words++;
    }
    if (t->rdns.ptr != NULL || first.len == 0 || !(ip_here || words == 1)) {
        return;
    }
    ptrdiff_t at = slice_find(first, '@'); /* Sendmail "ident@rdns", "IDENT:u@rdns" */
    if (at >= 0) {
        first = slice_sub(first, (size_t)at + 1, first.len);
    }
    if (domain_like(first)) {
        t->rdns = first;
    }
}

/* Clauses ------------------------------------------------------------------------------ */

enum rcv_kw { KW_NONE, KW_FROM, KW_BY, KW_VIA, KW_WITH, KW_ID, KW_FOR, KW__COUNT };

static enum rcv_kw keyword(slice w)
{
    static const slice names[KW__COUNT] = {
        [KW_FROM] = SLICE_INIT("from"), [KW_BY] = SLICE_INIT("by"),
        [KW_VIA] = SLICE_INIT("via"),   [KW_WITH] = SLICE_INIT("with"),
        [KW_ID] = SLICE_INIT("id"),     [KW_FOR] = SLICE_INIT("for"),
    };
    for (int k = KW_FROM; k < KW__COUNT; k++) {
        if (slice_eq_ci(w, names[k])) {
            return (enum rcv_kw)k;
        }
    }
    return KW_NONE;
}

static slice *clause_slot(struct rcv_field *f, enum rcv_kw k)
{
    switch (k) {
    case KW_FROM: return &f->from;
    case KW_BY: return &f->by;
    case KW_VIA: return &f->via;
    case KW_WITH: return &f->with;
    case KW_ID: return &f->id;
    case KW_FOR: return &f->for_;
    case KW_NONE:
    case KW__COUNT:
        break;
    }
    return NULL;
}

/* span returns the bytes from the start of a to the end of b (b follows a in one buffer). */
static slice span(slice a, slice b)
{
    return slice_make(a.ptr, (size_t)(b.ptr - a.ptr) + b.len);
}

static void read_clauses(struct rcv_field *f, slice clauses, struct tcpinfo *t)
{
    enum rcv_kw cur = KW_NONE;
    bool seen[KW__COUNT] = { false };
    bool value_taken = true, with_open = false;
    slice tok;
    enum tok_kind kind;
    while ((kind = next_tok(&clauses, &tok)) != TOK_END) {
        if (kind == TOK_SEMI) {
            continue; /* OpenSMTPD writes ';' between clauses; only the last one counts */
        }
        if (kind == TOK_COMMENT) {
            with_open = false;
            if (!value_taken) { /* "from (unknown [192.0.2.4]) by": an empty value */
                slice *slot = clause_slot(f, cur);
                if (slot != NULL) {
                    *slot = slice_sub(tok, 0, 0);
                }
                value_taken = true;
            }
            if (cur == KW_FROM) {
                tcpinfo_read(t, tok);
            } else if (cur == KW_BY && f->by_comment.ptr == NULL) {
                f->by_comment = tok;
            }
            continue;
        }
        enum rcv_kw k = value_taken ? keyword(tok) : KW_NONE;
        if (k != KW_NONE && !seen[k]) {
            seen[k] = true;
            cur = k;
            value_taken = false;
            with_open = false;
            if (k == KW_FROM) {
                f->has_from = true;
            } else if (k == KW_BY) {
                f->has_by = true;
            }
            continue;
        }
        slice *slot = clause_slot(f, cur);
        if (!value_taken && slot != NULL) {
            *slot = tok;
            value_taken = true;
            with_open = (cur == KW_WITH);
        } else if (with_open) {
            f->with = span(f->with, tok); /* "with Microsoft SMTP Server" */
        }
    }
}

static void choose_ip_and_helo(struct rcv_field *f, const struct tcpinfo *t)
{
    slice text;
    struct spf_ip ip;
    bool from_literal = literal_ip(f->from, &text, &ip);
    bool from_bare = !from_literal && bare_ip(f->from, &text, &ip);
    if (t->has_ip) {
        f->ip = t->ip;
        f->ip_text = t->ip_text;
        f->ip_src = RCV_IP_TCPINFO;
    } else if (from_literal || from_bare) {
        f->ip = ip;
        f->ip_text = text;
        f->ip_src = from_literal ? RCV_IP_FROM_LITERAL : RCV_IP_FROM_BARE;
    }
    if (t->helo.len > 0) {
        f->helo = t->helo;
    } else if (f->from.len > 0 && !from_literal && !from_bare && f->from.ptr[0] != '[') {
        f->helo = f->from;
    }
    f->rdns = t->rdns;
    if (slice_eq_ci(f->rdns, SLICE_LIT("unknown"))) {
        f->rdns = SLICE_NULL;
    }
    f->may_be_forged = t->forged;
}

bool rcv_parse(struct rcv_field *out, slice value)
{
    memset(out, 0, sizeof *out);
    out->from = out->helo = out->rdns = out->ip_text = SLICE_NULL;
    ptrdiff_t semi = last_semi(value);
    slice clauses = value;
    if (semi >= 0) {
        clauses = slice_sub(value, 0, (size_t)semi);
        out->date_text = slice_trim_fws(slice_sub(value, (size_t)semi + 1, value.len));
        out->has_date = date_parse_rfc5322(out->date_text, &out->date);
    }
    struct tcpinfo t;
    memset(&t, 0, sizeof t);
    read_clauses(out, clauses, &t);
    choose_ip_and_helo(out, &t);
    return out->has_from || out->has_by;
}

/* Selection ---------------------------------------------------------------------------- */

bool rcv_ip_is_internal(const struct spf_ip *ip)
{
    const uint8_t *b = ip->addr;
    if (ip->family == 4) {
        return b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 169 && b[1] == 254) ||
               (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xC0) == 64);
    }
    static const uint8_t zero[15] = { 0 };
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) {
        return true; /* :: and ::1 */
    }
    return (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) || (b[0] & 0xFE) == 0xFC;
}

static const char *const sel_names[] = {
    [RCV_SEL_OK] = "ok",
    [RCV_SEL_NO_RECEIVED] = "no_received",
    [RCV_SEL_NO_CLIENT_IP] = "no_client_ip",
    [RCV_SEL_OUT_OF_RANGE] = "received_out_of_range",
    [RCV_SEL_TRUST_BY_NOT_FOUND] = "trust_by_not_found",
};

const char *rcv_select_status_name(enum rcv_select_status s)
{
    return (unsigned)s < sizeof sel_names / sizeof sel_names[0] ? sel_names[s] : "?";
}

static slice drop_final_dot(slice s)
{
    if (s.len > 0 && s.ptr[s.len - 1] == '.') {
        s.len--;
    }
    return s;
}

static bool trust_by_match(slice by, const slice *list, size_t n)
{
    by = drop_final_dot(by);
    for (size_t i = 0; i < n; i++) {
        slice want = drop_final_dot(list[i]);
        if (want.len > 1 && want.ptr[0] == '.') {
            if (by.len > want.len && slice_has_suffix_ci(by, want)) {
                return true;
            }
        } else if (want.len > 0 && slice_eq_ci(by, want)) {
            return true;
        }
    }
    return false;
}

static slice make_source(struct arena *a, size_t ordinal, slice by)
{
    char head[48];
    int n = snprintf(head, sizeof head, "received[%zu]", ordinal);
    size_t hl = n > 0 ? (size_t)n : 0;
    size_t total = hl + (by.ptr != NULL ? 4 + by.len : 0);
    uint8_t *p = arena_alloc(a, total + 1);
    memcpy(p, head, hl);
    if (by.ptr != NULL) {
        memcpy(p + hl, " by ", 4);
        if (by.len > 0) {
            memcpy(p + hl + 4, by.ptr, by.len);
        }
    }
    p[total] = 0;
    return slice_make(p, total);
}

static enum rcv_select_status finish(struct arena *a, struct rcv_selection *out,
                                     enum rcv_select_status st, bool with_by)
{
    out->status = st;
    out->reason = st == RCV_SEL_OK ? NULL : rcv_select_status_name(st);
    if (out->field >= 0) {
        out->source = make_source(a, out->ordinal, with_by ? out->parsed.by : SLICE_NULL);
        if (st == RCV_SEL_OK) {
            out->ip = out->parsed.ip;
            out->ip_text = out->parsed.ip_text;
            out->helo = out->parsed.helo;
        }
    }
    return st;
}

/* pick records field i (the k-th Received) as the choice. */
static void pick(struct rcv_selection *out, size_t i, size_t k, const struct rcv_field *f)
{
    out->field = (ptrdiff_t)i;
    out->ordinal = k;
    out->parsed = *f;
}

enum rcv_select_status rcv_select_spf(struct arena *a, struct rcv_selection *out,
                                      const struct hdr_index *h,
                                      const struct rcv_select_opts *opts)
{
    return rcv_select_spf_memo(a, out, h, opts, NULL);
}

enum rcv_select_status rcv_select_spf_memo(struct arena *a, struct rcv_selection *out,
                                           const struct hdr_index *h,
                                           const struct rcv_select_opts *opts,
                                           const struct rcv_memo *memo)
{
    static const struct rcv_select_opts none = { 0, NULL, 0 };
    if (opts == NULL) {
        opts = &none;
    }
    memset(out, 0, sizeof *out);
    out->field = -1;
    out->source = out->ip_text = out->helo = SLICE_NULL;
    const slice name = SLICE_LIT("Received");
    bool by_mode = opts->nth <= 0 && opts->n_trust_by > 0;
    bool any = false, fallback = false;
    size_t ordinal = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (!h->f[i].name_ok || !slice_eq_ci(h->f[i].name, name)) {
            continue;
        }
        any = true;
        size_t k = ordinal++;
        if (opts->nth > 0 && k + 1 != (size_t)opts->nth) {
            continue;
        }
        struct rcv_field f;
        if (memo != NULL && memo->field == (ptrdiff_t)i) {
            f = memo->parsed;
        } else {
            rcv_parse(&f, h->f[i].value);
        }
        bool usable = f.ip_src != RCV_IP_NONE && !rcv_ip_is_internal(&f.ip);
        if (opts->nth > 0) {
            pick(out, i, k, &f);
            break;
        }
        if (by_mode) {
            if (!f.has_by || !trust_by_match(f.by, opts->trust_by, opts->n_trust_by)) {
                continue;
            }
            if (!usable && !fallback) { /* the host talking to its own filters: keep looking */
                fallback = true;
                pick(out, i, k, &f);
                continue;
            }
        }
        if (usable) {
            pick(out, i, k, &f);
            break;
        }
    }
    if (out->field >= 0) {
        return finish(a, out, out->parsed.ip_src != RCV_IP_NONE ? RCV_SEL_OK : RCV_SEL_NO_CLIENT_IP,
                      by_mode);
    }
    if (!any) {
        return finish(a, out, RCV_SEL_NO_RECEIVED, false);
    }
    if (opts->nth > 0) {
        return finish(a, out, RCV_SEL_OUT_OF_RANGE, false);
    }
    if (by_mode) {
        return finish(a, out, RCV_SEL_TRUST_BY_NOT_FOUND, false);
    }
    return finish(a, out, RCV_SEL_NO_CLIENT_IP, false);
}
