#include "engine/report/ar.h"

#include <inttypes.h>

#include "engine/core/verdict.h"

/* ---- values ---------------------------------------------------------------------------- */

/* MIME token characters (RFC 2045 §5.1): printable ASCII except SPACE and tspecials. */
static bool is_token_char(uint8_t c)
{
    if (c <= 0x20 || c >= 0x7F) {
        return false;
    }
    static const char tspecials[] = "()<>@,;:\\\"/[]?=";
    for (size_t i = 0; i + 1 < sizeof tspecials; i++) {
        if ((uint8_t)tspecials[i] == c) {
            return false;
        }
    }
    return true;
}

static bool is_token(slice v)
{
    if (v.len == 0) {
        return false;
    }
    for (size_t i = 0; i < v.len; i++) {
        if (!is_token_char(v.ptr[i])) {
            return false;
        }
    }
    return true;
}

/* RFC 5322 atext. */
static bool is_atext(uint8_t c)
{
    if (slice_is(c, CC_ALPHA | CC_DIGIT)) {
        return true;
    }
    static const char extra[] = "!#$%&'*+-/=?^_`{|}~";
    for (size_t i = 0; i + 1 < sizeof extra; i++) {
        if ((uint8_t)extra[i] == c) {
            return true;
        }
    }
    return false;
}

/* RFC 5322 dot-atom-text (empty allowed: "@example.com"). */
static bool is_dot_atom_or_empty(slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '.') {
            if (i == 0 || i + 1 == s.len || s.ptr[i - 1] == '.') {
                return false;
            }
        } else if (!is_atext(s.ptr[i])) {
            return false;
        }
    }
    return true;
}

/* is_address_form: [ [ local-part ] "@" ] domain-name, the unquoted pvalue form. */
static bool is_address_form(slice v)
{
    ptrdiff_t at = -1;
    for (size_t i = v.len; i-- > 0;) {
        if (v.ptr[i] == '@') {
            at = (ptrdiff_t)i;
            break;
        }
    }
    if (at < 0) {
        return slice_is_ldh_domain(v);
    }
    return is_dot_atom_or_empty(slice_make(v.ptr, (size_t)at)) &&
           slice_is_ldh_domain(slice_make(v.ptr + at + 1, v.len - (size_t)at - 1));
}

/* quoted appends v as an RFC 5322 quoted-string (see ar.h for the encoding rules), cut at
 * max bytes. */
static bool quoted(struct sbuf *b, slice v, size_t max)
{
    bool cut = v.len > max;
    if (cut) {
        v.len = max;
    }
    bool encode = false;
    for (size_t i = 0; i < v.len && !encode; i++) {
        encode = v.ptr[i] < 0x20 || v.ptr[i] >= 0x7F;
    }
    static const char hex[] = "0123456789ABCDEF";
    bool ok = sbuf_putc(b, '"');
    for (size_t i = 0; ok && i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (encode && (c < 0x20 || c >= 0x7F || c == '%')) {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            ok = sbuf_append(b, e, 3);
        } else if (c == '"' || c == '\\') {
            ok = sbuf_putc(b, '\\') && sbuf_putc(b, c);
        } else {
            ok = sbuf_putc(b, c);
        }
    }
    if (ok && cut) {
        ok = sbuf_append(b, "...", 3);
    }
    return ok && sbuf_putc(b, '"');
}

bool ar_value(struct sbuf *b, slice v, bool pvalue)
{
    if (v.len <= AR_VALUE_MAX && (is_token(v) || (pvalue && is_address_form(v)))) {
        return sbuf_append_slice(b, v);
    }
    return quoted(b, v, AR_VALUE_MAX);
}

bool ar_authserv_id_ok(slice id)
{
    if (id.len == 0 || id.len > 255) {
        return false;
    }
    for (size_t i = 0; i < id.len; i++) {
        if (id.ptr[i] <= 0x20 || id.ptr[i] >= 0x7F) {
            return false;
        }
    }
    return true;
}

/* ---- folding --------------------------------------------------------------------------- */

/* A field under construction: words are added whole; a word that would pass the fold
 * column starts a continuation line indented by `indent` spaces. */
struct fold {
    struct sbuf *b;
    struct sbuf word; /* the word being built */
    size_t col;
    bool ok;
};

static void fold_put(struct fold *f, size_t indent, bool first_on_line)
{
    if (!f->ok) {
        return;
    }
    size_t n = f->word.len;
    /* + 1: room for the ';' that may end the line */
    if (first_on_line || (f->col + 1 + n + 1 > AR_FOLD_COLUMN && f->col > indent)) {
        f->ok = sbuf_putc(f->b, '\n');
        for (size_t i = 0; f->ok && i < indent; i++) {
            f->ok = sbuf_putc(f->b, ' ');
        }
        f->col = indent;
    } else {
        f->ok = sbuf_putc(f->b, ' ');
        f->col++;
    }
    f->ok = f->ok && sbuf_append(f->b, f->word.ptr, n);
    f->col += n;
    sbuf_reset(&f->word);
}

#define RES_INDENT 2u  /* a resinfo starts here */
#define PROP_INDENT 4u /* its continuation lines */

/* method_word starts a resinfo: ";" ends the previous line, "method=result" opens a line. */
static void method_word(struct fold *f, const char *method, enum auth_verdict v)
{
    f->ok = f->ok && sbuf_putc(f->b, ';');
    f->col++;
    f->ok = f->ok && sbuf_printf(&f->word, "%s=%s", method, auth_verdict_name(v));
    fold_put(f, RES_INDENT, true);
}

static void reason_word(struct fold *f, const char *reason)
{
    if (reason == NULL) {
        return;
    }
    f->ok = f->ok && sbuf_append(&f->word, "reason=", 7) &&
            quoted(&f->word, record_cstr(reason), AR_VALUE_MAX);
    fold_put(f, PROP_INDENT, false);
}

static void prop_word(struct fold *f, const char *prop, slice v)
{
    if (v.ptr == NULL) {
        return;
    }
    f->ok = f->ok && sbuf_append_slice(&f->word, record_cstr(prop)) && sbuf_putc(&f->word, '=') &&
            ar_value(&f->word, v, true);
    fold_put(f, PROP_INDENT, false);
}

/* ---- header.b (RFC 6008) ---------------------------------------------------------------- */

/* strip_fws copies b= without folding white space (it may be folded inside the field). */
static slice strip_fws(struct arena *a, slice b)
{
    uint8_t *p = arena_alloc(a, b.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < b.len; i++) {
        if (!slice_is(b.ptr[i], CC_FWS)) {
            p[n++] = b.ptr[i];
        }
    }
    return slice_make(p, n);
}

/* b_prefix: the shortest prefix of bs[k] of at least 8 characters that no other signature's
 * b= starts with (RFC 6008 §4: enough to identify the signature); all of it if none is. */
static slice b_prefix(const slice *bs, size_t n, size_t k)
{
    slice mine = bs[k];
    size_t len = mine.len < 8 ? mine.len : 8;
    for (; len < mine.len; len++) {
        slice p = slice_make(mine.ptr, len);
        bool clash = false;
        for (size_t j = 0; j < n && !clash; j++) {
            clash = j != k && slice_has_prefix(bs[j], p);
        }
        if (!clash) {
            break;
        }
    }
    return slice_make(mine.ptr, len);
}

/* ---- the field ---------------------------------------------------------------------------- */

static void dkim_resinfos(struct fold *f, struct arena *a, const struct msg_result *r)
{
    const struct dkim_report *d = &r->dkim;
    if (d->n_fields == 0) {
        method_word(f, "dkim", AV_NONE);
        return;
    }
    slice *bs = ARENA_ARRAY(a, slice, d->n ? d->n : 1);
    for (size_t i = 0; i < d->n; i++) {
        bs[i] = d->sig[i].b.ptr ? strip_fws(a, d->sig[i].b) : SLICE_NULL;
    }
    for (size_t i = 0; i < d->n; i++) {
        const struct dkim_sig *s = &d->sig[i];
        method_word(f, "dkim", s->result);
        reason_word(f, s->reason != DKIM_R_NONE ? dkim_reason_name(s->reason) : NULL);
        prop_word(f, "header.d", s->d);
        prop_word(f, "header.s", s->s);
        prop_word(f, "header.i", s->i);
        prop_word(f, "header.a", s->a);
        if (bs[i].len > 0) {
            prop_word(f, "header.b", b_prefix(bs, d->n, i));
        }
    }
}

static void spf_resinfo(struct fold *f, const struct msg_result *r)
{
    method_word(f, "spf", r->spf.result);
    reason_word(f, r->spf_reason ? r->spf_reason : r->spf.reason);
    if (r->spf_has_mailfrom && r->spf_mailfrom.len > 0) {
        prop_word(f, "smtp.mailfrom", r->spf_mailfrom);
    }
    if (r->spf_helo_name.len > 0) {
        prop_word(f, "smtp.helo", r->spf_helo_name);
    }
}

static void dmarc_resinfo(struct fold *f, const struct msg_result *r)
{
    const struct dmarc_result *d = &r->dmarc;
    method_word(f, "dmarc", d->result);
    reason_word(f, d->reason != DMARC_R_NONE ? dmarc_reason_name(d->reason) : NULL);
    prop_word(f, "header.from", d->domain);
    if (d->record != NULL && d->policy != DMARC_TAG_NONE) {
        const char *disp = dmarc_policy_name(d->disposition);
        if (disp != NULL) {
            prop_word(f, "policy.dmarc", record_cstr(disp));
        }
    }
}

bool ar_header(struct sbuf *b, struct arena *a, const struct ar_opts *o,
               const struct msg_result *r)
{
    struct fold f = { .b = b, .ok = true };
    sbuf_init(&f.word, 4 * AR_VALUE_MAX + 64);
    size_t mark = b->len;
    f.ok = sbuf_append(b, "Authentication-Results: ", 24) &&
           ar_value(b, o->authserv_id, false);
    f.col = b->len - mark;
    bool any = false;
    if (r->dkim_ran) {
        dkim_resinfos(&f, a, r);
        any = true;
    }
    if (r->spf_ran) {
        spf_resinfo(&f, r);
        any = true;
    }
    if (r->dmarc_ran) {
        dmarc_resinfo(&f, r);
        any = true;
    }
    if (!any) {
        f.ok = f.ok && sbuf_append(b, "; none", 6); /* RFC 8601 no-result */
    }
    sbuf_cleanup(&f.word);
    return f.ok && sbuf_putc(b, '\n');
}

bool ar_block(struct sbuf *b, struct arena *a, const struct ar_opts *o,
              const struct msg_result *r)
{
    const struct input_msg *m = r->in;
    bool ok = sbuf_append(b, "X-Authsweep-Source: ", 20) &&
              quoted(b, record_cstr(m->source), AR_SOURCE_MAX) &&
              sbuf_printf(b, "; index=%" PRIu64, m->index);
    if (ok && m->offset >= 0) {
        ok = sbuf_printf(b, "; offset=%" PRId64, m->offset);
    }
    return ok && sbuf_putc(b, '\n') && ar_header(b, a, o, r) && sbuf_putc(b, '\n');
}
