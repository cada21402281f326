#include "engine/report/csv.h"

#include <inttypes.h>

#include "engine/core/json.h"

static const char csv_columns[] =
    "source,index,message_id,from_domain,dkim,spf,dmarc,disposition,class,error\r\n";

bool csv_header(struct sbuf *b)
{
    return sbuf_append(b, csv_columns, sizeof csv_columns - 1);
}

static bool needs_quotes(slice v)
{
    if (v.len > 0 && (slice_is(v.ptr[0], CC_WSP) || slice_is(v.ptr[v.len - 1], CC_WSP))) {
        return true;
    }
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (c == ',' || c == '"' || c == '\r' || c == '\n') {
            return true;
        }
    }
    return false;
}

bool csv_field(struct sbuf *b, slice v, bool guard)
{
    if (v.len > CSV_FIELD_MAX) {
        v.len = CSV_FIELD_MAX;
    }
    bool formula = guard && v.len > 0 &&
                   (v.ptr[0] == '=' || v.ptr[0] == '+' || v.ptr[0] == '-' || v.ptr[0] == '@');
    bool q = needs_quotes(v);
    bool ok = (!q || sbuf_putc(b, '"')) && (!formula || sbuf_putc(b, '\''));
    size_t run = 0; /* bytes copied as they are, in runs */
    for (size_t i = 0; ok && i < v.len;) {
        uint8_t c = v.ptr[i];
        size_t n = c >= 0x80 ? json_utf8_len(v, i) : 1;
        bool keep = c >= 0x80 ? n > 1 : (c >= 0x20 && c != 0x7F) || c == '\t' || c == '\r' ||
                                            c == '\n';
        if (keep && c != '"') {
            i += n;
            continue;
        }
        ok = sbuf_append(b, v.ptr + run, i - run);
        if (c == '"') {
            ok = ok && sbuf_append(b, "\"\"", 2);
        } else {
            ok = ok && sbuf_append(b, "\xEF\xBF\xBD", 3); /* U+FFFD, as json_str does */
        }
        i++;
        run = i;
    }
    ok = ok && sbuf_append(b, v.ptr + run, v.len - run);
    return ok && (!q || sbuf_putc(b, '"'));
}

/* dkim_cell: "result:d;result:d..." with d percent-encoded outside the safe set. */
static bool dkim_cell(struct sbuf *cell, const struct msg_result *r)
{
    static const char hex[] = "0123456789ABCDEF";
    bool ok = true;
    for (size_t k = 0; ok && r->dkim_ran && k < r->dkim.n; k++) {
        const struct dkim_sig *s = &r->dkim.sig[k];
        ok = (k == 0 || sbuf_putc(cell, ';')) &&
             sbuf_append_slice(cell, record_cstr(auth_verdict_name(s->result))) &&
             sbuf_putc(cell, ':');
        slice d = s->d;
        for (size_t i = 0; ok && i < d.len;) {
            uint8_t c = d.ptr[i];
            size_t n = c >= 0x80 ? json_utf8_len(d, i) : 0;
            if (n > 1) {
                ok = sbuf_append(cell, d.ptr + i, n);
                i += n;
                continue;
            }
            if (slice_is(c, CC_LDH) || c == '.' || c == '_') {
                ok = sbuf_putc(cell, c);
            } else {
                char e[3] = { '%', hex[c >> 4], hex[c & 15] };
                ok = sbuf_append(cell, e, 3);
            }
            i++;
        }
    }
    return ok;
}

static bool word(struct sbuf *b, const char *w)
{
    return sbuf_putc(b, ',') && (w == NULL || csv_field(b, record_cstr(w), false));
}

bool csv_row(struct sbuf *b, const struct msg_result *r)
{
    const struct input_msg *m = r->in;
    struct sbuf cell;
    sbuf_init(&cell, 64u * 1024);
    bool ok = csv_field(b, record_cstr(m->source), false) &&
              sbuf_printf(b, ",%" PRIu64 ",", m->index) &&
              (!r->has_message_id || csv_field(b, r->message_id, true)) && sbuf_putc(b, ',') &&
              (!r->has_from_domain || csv_field(b, r->from_domain, true)) &&
              sbuf_putc(b, ',') && dkim_cell(&cell, r) &&
              csv_field(b, sbuf_slice(&cell), false);
    sbuf_cleanup(&cell);
    ok = ok && word(b, r->spf_ran ? auth_verdict_name(r->spf.result) : NULL) &&
         word(b, r->dmarc_ran ? auth_verdict_name(r->dmarc.result) : NULL);
    const char *disp = NULL;
    if (r->dmarc_ran && r->dmarc.record != NULL && r->dmarc.policy != DMARC_TAG_NONE) {
        disp = dmarc_policy_name(r->dmarc.disposition);
    }
    ok = ok && word(b, disp) && word(b, r->klass ? r->klass : "undetermined") &&
         word(b, r->error_code);
    return ok && sbuf_append(b, "\r\n", 2);
}
