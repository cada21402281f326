/* addr: RFC 5322 §3.4 address-list parsing.
 *
 * Two layers, both iterative:
 *   - a lexer that turns the field value into tokens (atoms, quoted strings, domain
 *     literals, single specials) and skips CFWS. Comments nest, so it counts depth and
 *     gives up past LIM_FROM_NESTING instead of recursing;
 *   - a parser that reads one list element at a time. It first scans ahead to the byte that
 *     decides the element's shape ('<' angle-addr, ':' group, or ','/';'/end for a bare
 *     addr-spec) and then re-reads the element with the right rule. Each element is read at
 *     most twice, so the whole parse is linear in the input.
 *
 * Leniency is deliberate and bounded: display names may hold 8-bit bytes, NULs, '@' and '.'
 * (obs-phrase, and the common "alice@x.com <alice@x.com>"), encoded words are single atoms
 * even when they carry specials, empty list elements are skipped (obs-addr-list) and a group
 * may lack its final ';'. Anything that makes the author address ambiguous (two '@', words
 * without dots in a local-part, junk after '>', unterminated quotes/comments/brackets) is
 * ADDR_SYNTAX. */
#include "engine/header/addr.h"

#include <string.h>

#include "engine/core/limits.h"

enum addr_tok {
    TK_END = 0,
    TK_ERR,   /* unterminated quote, comment, literal; too deep; stray ')' */
    TK_ATOM,  /* run of atext (plus 8-bit, NUL, CTL bytes), or one encoded word */
    TK_QSTR,  /* "..." including the quotes */
    TK_DLIT,  /* [...] including the brackets */
    TK_SPEC,  /* one of < > : ; @ , . ] */
};

struct addr_token {
    enum addr_tok kind;
    uint8_t spec; /* the special byte when kind == TK_SPEC */
    size_t off;   /* offset of the token in the input */
    size_t len;
};

struct addr_lexer {
    slice in;
    size_t pos;
};

/* RFC 5322 §3.2.3 specials, less '"', '(' , '[' and '\\' which the lexer handles itself. */
static bool is_special(uint8_t c)
{
    switch (c) {
    case '<': case '>': case ':': case ';': case '@': case ',': case '.': case ']':
    case '(': case ')': case '[': case '"':
        return true;
    default:
        return false;
    }
}

/* Atom bytes: everything that is neither special nor folding white space. This admits
 * 8-bit bytes (RFC 6532 UTF-8, or raw legacy charsets), NUL and other controls, which only
 * ever end up in display names or in a domain that then fails to match anything. */
static bool is_atom_byte(uint8_t c)
{
    return !is_special(c) && !slice_is(c, CC_FWS);
}

/* skip_comment moves *pos past a comment starting at '(' (RFC 5322 §3.2.2). Nesting is
 * counted, not recursed; deeper than LIM_FROM_NESTING or unterminated fails. */
static bool skip_comment(slice in, size_t *pos)
{
    size_t i = *pos + 1;
    unsigned depth = 1;
    while (i < in.len) {
        uint8_t c = in.ptr[i];
        if (c == '\\') {
            /* RFC 5322 §3.2.1 quoted-pair: the next byte is literal, whatever it is. */
            if (i + 1 >= in.len) {
                return false;
            }
            i += 2;
            continue;
        }
        if (c == '(') {
            if (++depth > LIM_FROM_NESTING) {
                return false;
            }
        } else if (c == ')') {
            if (--depth == 0) {
                *pos = i + 1;
                return true;
            }
        }
        i++;
    }
    return false;
}

/* skip_quoted moves *pos past a quoted string or domain literal opened at *pos and closed
 * by `close`, honouring quoted-pairs (RFC 5322 §3.2.4, §3.4.1 obs-dtext). */
static bool skip_quoted(slice in, size_t *pos, uint8_t close)
{
    size_t i = *pos + 1;
    while (i < in.len) {
        uint8_t c = in.ptr[i];
        if (c == '\\') {
            if (i + 1 >= in.len) {
                return false;
            }
            i += 2;
            continue;
        }
        if (c == close) {
            *pos = i + 1;
            return true;
        }
        i++;
    }
    return false;
}

/* encoded_word_len returns the length of an RFC 2047 §2 encoded word at in[pos], or 0. The
 * encoded text may hold specials that real senders fail to encode ("=?utf-8?q?Re:_x?="), so
 * an encoded word is lexed whole rather than split at them. */
static size_t encoded_word_len(slice in, size_t pos)
{
    size_t i = pos;
    if (in.len - i < 2 || in.ptr[i] != '=' || in.ptr[i + 1] != '?') {
        return 0;
    }
    i += 2;
    unsigned qmarks = 0;
    while (i < in.len) {
        uint8_t c = in.ptr[i];
        if (slice_is(c, CC_FWS) || c < 0x20 || c >= 0x7f) {
            return 0;
        }
        if (c == '?') {
            /* charset '?' encoding '?' text '?=': a fourth '?' ends the attempt, which also
             * keeps the scan from each "=?" short, so lexing stays linear. */
            if (++qmarks > 3) {
                return 0;
            }
            if (qmarks == 3 && i + 1 < in.len && in.ptr[i + 1] == '=') {
                return i + 2 - pos;
            }
        }
        i++;
    }
    return 0;
}

static void lex_next(struct addr_lexer *lx, struct addr_token *t)
{
    slice in = lx->in;
    size_t i = lx->pos;
    for (;;) {
        while (i < in.len && slice_is(in.ptr[i], CC_FWS)) {
            i++;
        }
        if (i < in.len && in.ptr[i] == '(') {
            if (!skip_comment(in, &i)) {
                *t = (struct addr_token){ .kind = TK_ERR, .off = i };
                lx->pos = in.len;
                return;
            }
            continue;
        }
        break;
    }
    *t = (struct addr_token){ .kind = TK_END, .off = i };
    if (i >= in.len) {
        lx->pos = i;
        return;
    }
    uint8_t c = in.ptr[i];
    size_t start = i;
    if (c == '"' || c == '[') {
        if (!skip_quoted(in, &i, c == '"' ? '"' : ']')) {
            t->kind = TK_ERR;
            lx->pos = in.len;
            return;
        }
        t->kind = c == '"' ? TK_QSTR : TK_DLIT;
    } else if (c == ')') {
        t->kind = TK_ERR; /* a ')' that closes nothing */
        lx->pos = in.len;
        return;
    } else if (is_special(c)) {
        t->kind = TK_SPEC;
        t->spec = c;
        i++;
    } else {
        t->kind = TK_ATOM;
        while (i < in.len) {
            size_t ew = encoded_word_len(in, i);
            if (ew > 0) {
                i += ew;
            } else if (is_atom_byte(in.ptr[i])) {
                i++;
            } else {
                break;
            }
        }
    }
    t->len = i - start;
    lx->pos = i;
}

static void lex_peek(const struct addr_lexer *lx, struct addr_token *t)
{
    struct addr_lexer tmp = *lx;
    lex_next(&tmp, t);
}

static bool tok_is(const struct addr_token *t, uint8_t spec)
{
    return t->kind == TK_SPEC && t->spec == spec;
}

/* copy_domain makes the lower-cased arena copy of the domain tokens in in[from, to): the
 * atoms, dots and literal with any CFWS between them left out (RFC 5322 §3.4.1 obs-domain
 * allows CFWS around the dots). A single trailing dot has already been excluded. */
static slice copy_domain(struct arena *a, slice in, size_t from, size_t to)
{
    uint8_t *d = arena_alloc(a, to - from + 1);
    size_t n = 0;
    struct addr_lexer lx = { slice_make(in.ptr, to), from };
    struct addr_token t;
    for (lex_next(&lx, &t); t.kind != TK_END && t.kind != TK_ERR; lex_next(&lx, &t)) {
        for (size_t k = 0; k < t.len; k++) {
            uint8_t c = in.ptr[t.off + k];
            if (t.kind == TK_DLIT && slice_is(c, CC_FWS)) {
                continue; /* RFC 5322 §3.4.1: FWS inside a domain literal is not content */
            }
            d[n++] = slice_lower(c);
        }
    }
    d[n] = 0;
    return slice_make(d, n);
}

/* read_local reads an RFC 5322 §3.4.1 local-part (word *("." word), with obs-local-part's
 * empty words tolerated: "a..b", ".a") up to '@'. Two words without a dot between them
 * ("Alice alice@x.com") are a syntax error, not a guess. */
static bool read_local(struct addr_lexer *lx, slice *out_local)
{
    struct addr_token t;
    size_t first = 0, end = 0;
    bool any = false, after_word = false;
    for (;;) {
        lex_peek(lx, &t);
        if (t.kind == TK_ATOM || t.kind == TK_QSTR) {
            if (after_word) {
                return false;
            }
            after_word = true;
        } else if (tok_is(&t, '.')) {
            after_word = false;
        } else if (tok_is(&t, '@')) {
            break;
        } else {
            return false; /* missing '@', or a byte that cannot be in a local-part */
        }
        if (!any) {
            first = t.off;
            any = true;
        }
        end = t.off + t.len;
        lex_next(lx, &t);
    }
    lex_next(lx, &t); /* the '@' */
    *out_local = any ? slice_make(lx->in.ptr + first, end - first) : slice_make(lx->in.ptr, 0);
    return true;
}

/* read_domain reads dot-atom or a domain literal (RFC 5322 §3.4.1) and stops before the
 * next token, which the caller checks. A trailing dot (an FQDN written absolutely) is
 * dropped; empty labels elsewhere are a syntax error. */
static bool read_domain(struct arena *a, struct addr_lexer *lx, slice *out_domain)
{
    struct addr_token t;
    lex_peek(lx, &t);
    if (t.kind == TK_DLIT) {
        lex_next(lx, &t);
        *out_domain = copy_domain(a, lx->in, t.off, t.off + t.len);
        return true;
    }
    size_t first = t.off, end = t.off;
    bool want_label = true;
    for (;;) {
        lex_peek(lx, &t);
        if (t.kind == TK_ATOM && want_label) {
            end = t.off + t.len;
            want_label = false;
        } else if (tok_is(&t, '.') && !want_label) {
            want_label = true;
        } else {
            break;
        }
        lex_next(lx, &t);
    }
    if (end == first) {
        return false; /* empty domain, or it starts with '.' */
    }
    if (want_label) {
        /* A trailing '.', allowed if it is the last one: "x.com." but not "x.com..". */
        lex_peek(lx, &t);
        if (tok_is(&t, '.')) {
            return false;
        }
    }
    *out_domain = copy_domain(a, lx->in, first, end);
    return true;
}

static bool read_addr_spec(struct arena *a, struct addr_lexer *lx, struct addr *out)
{
    return read_local(lx, &out->local) && read_domain(a, lx, &out->domain);
}

/* read_angle reads the inside of an angle-addr after '<' up to and including '>'. An
 * obs-route ("<@relay1,@relay2:user@x.com>", RFC 5322 §4.4) is skipped. "<>" sets *empty. */
static bool read_angle(struct arena *a, struct addr_lexer *lx, struct addr *out, bool *empty)
{
    struct addr_token t;
    *empty = false;
    lex_peek(lx, &t);
    if (tok_is(&t, '>')) {
        lex_next(lx, &t);
        *empty = true;
        return true;
    }
    if (tok_is(&t, '@') || tok_is(&t, ',')) {
        for (;;) {
            lex_next(lx, &t);
            if (tok_is(&t, ':')) {
                break;
            }
            if (!(t.kind == TK_ATOM || t.kind == TK_DLIT || tok_is(&t, '@') ||
                  tok_is(&t, ',') || tok_is(&t, '.'))) {
                return false;
            }
        }
    }
    if (!read_addr_spec(a, lx, out)) {
        return false;
    }
    lex_next(lx, &t);
    return tok_is(&t, '>');
}

/* What ends a list element, found by scanning ahead over its leading words. */
enum elem_shape { SHAPE_ANGLE, SHAPE_GROUP, SHAPE_BARE, SHAPE_EMPTY, SHAPE_BAD };

static enum elem_shape scan_shape(const struct addr_lexer *lx)
{
    struct addr_lexer tmp = *lx;
    struct addr_token t;
    bool words = false;
    for (;;) {
        lex_next(&tmp, &t);
        switch (t.kind) {
        case TK_END:
            return words ? SHAPE_BARE : SHAPE_EMPTY;
        case TK_ERR:
            return SHAPE_BAD;
        case TK_ATOM:
        case TK_QSTR:
        case TK_DLIT:
            words = true;
            continue;
        case TK_SPEC:
            break;
        }
        switch (t.spec) {
        case '<':
            return SHAPE_ANGLE;
        case ':':
            return SHAPE_GROUP;
        case ',':
        case ';':
            return words ? SHAPE_BARE : SHAPE_EMPTY;
        case '@':
        case '.':
            words = true;
            continue;
        default:
            return SHAPE_BAD; /* stray '>' or ']' */
        }
    }
}

/* at_element_end: after an address, only a separator, the end, or a group end may follow. */
static bool at_element_end(const struct addr_lexer *lx)
{
    struct addr_token t;
    lex_peek(lx, &t);
    return t.kind == TK_END || tok_is(&t, ',') || tok_is(&t, ';');
}

/* skip_to: consume tokens up to and including the first special `c` (display names). */
static void skip_to(struct addr_lexer *lx, uint8_t c)
{
    struct addr_token t;
    do {
        lex_next(lx, &t);
    } while (!tok_is(&t, c) && t.kind != TK_END && t.kind != TK_ERR);
}

enum addr_status addr_parse_list(struct arena *a, struct addr_list *out, slice value)
{
    out->n = 0;
    out->v = ARENA_ARRAY(a, struct addr, LIM_FROM_ADDRESSES);
    struct addr_lexer lx = { value, 0 };
    struct addr_token t;
    bool in_group = false;
    for (;;) {
        enum elem_shape shape = scan_shape(&lx);
        struct addr cur = { SLICE_NULL, SLICE_NULL };
        bool empty = false;
        switch (shape) {
        case SHAPE_BAD:
            return ADDR_SYNTAX;
        case SHAPE_EMPTY:
            break;
        case SHAPE_GROUP:
            /* RFC 5322 §3.4: groups do not nest. */
            if (in_group) {
                return ADDR_SYNTAX;
            }
            skip_to(&lx, ':');
            in_group = true;
            continue;
        case SHAPE_ANGLE:
            skip_to(&lx, '<');
            if (!read_angle(a, &lx, &cur, &empty) || empty || !at_element_end(&lx)) {
                return ADDR_SYNTAX;
            }
            break;
        case SHAPE_BARE:
            if (!read_addr_spec(a, &lx, &cur) || !at_element_end(&lx)) {
                return ADDR_SYNTAX;
            }
            break;
        }
        if (shape != SHAPE_EMPTY) {
            if (out->n == LIM_FROM_ADDRESSES) {
                return ADDR_TOO_MANY;
            }
            out->v[out->n++] = cur;
        }
        lex_next(&lx, &t);
        if (t.kind == TK_END) {
            break; /* a group missing its ';' is tolerated */
        }
        /* ';' closes a group; outside one it is taken as a separator (a common
         * Outlook-ism), which is as harmless as ',' for finding the authors. */
        if (tok_is(&t, ';')) {
            in_group = false;
        }
    }
    return out->n == 0 ? ADDR_EMPTY : ADDR_OK;
}

enum addr_status addr_parse_path(struct arena *a, struct addr *out, slice value)
{
    *out = (struct addr){ SLICE_NULL, SLICE_NULL };
    struct addr_lexer lx = { value, 0 };
    struct addr_token t;
    struct addr cur = { SLICE_NULL, SLICE_NULL };
    bool empty = false;
    enum elem_shape shape = scan_shape(&lx);
    switch (shape) {
    case SHAPE_EMPTY:
        lex_peek(&lx, &t);
        return t.kind == TK_END ? ADDR_EMPTY : ADDR_SYNTAX;
    case SHAPE_BAD:
    case SHAPE_GROUP:
        return ADDR_SYNTAX;
    case SHAPE_ANGLE:
        /* RFC 5322 §3.6.7 path = angle-addr / ([CFWS] "<" [CFWS] ">" [CFWS]); a display
         * name in front is not allowed, but costs nothing to skip. */
        skip_to(&lx, '<');
        if (!read_angle(a, &lx, &cur, &empty)) {
            return ADDR_SYNTAX;
        }
        break;
    case SHAPE_BARE:
        if (!read_addr_spec(a, &lx, &cur)) {
            return ADDR_SYNTAX;
        }
        break;
    }
    lex_next(&lx, &t);
    if (t.kind != TK_END) {
        return ADDR_SYNTAX;
    }
    if (empty) {
        return ADDR_EMPTY;
    }
    *out = cur;
    return ADDR_OK;
}

const char *addr_status_name(enum addr_status s)
{
    static const char *const names[] = {
        [ADDR_OK] = "ok",
        [ADDR_EMPTY] = "empty",
        [ADDR_SYNTAX] = "syntax",
        [ADDR_TOO_MANY] = "too_many",
    };
    if ((unsigned)s < sizeof(names) / sizeof(names[0]) && names[s] != NULL) {
        return names[s];
    }
    return "unknown";
}
