#include "engine/report/record.h"

#include <string.h>

#include "engine/core/json.h"
#include "engine/header/date.h"

static bool write_sig(struct sbuf *b, const struct dkim_sig *s)
{
    bool first = true;
    bool ok = sbuf_putc(b, '{');
    ok = ok && json_key(b, &first, "d") && json_str(b, s->d);
    ok = ok && json_key(b, &first, "s") && json_str(b, s->s);
    ok = ok && json_key(b, &first, "i") && json_str(b, s->i);
    ok = ok && json_key(b, &first, "a") && json_str(b, s->a);
    ok = ok && json_key(b, &first, "c") && json_str(b, s->c);
    ok = ok && json_key(b, &first, "bits") && (s->bits ? json_u64(b, s->bits) : json_null(b));
    ok = ok && json_key(b, &first, "l") && (s->has_l ? json_u64(b, s->l) : json_null(b));
    ok = ok && json_key(b, &first, "unsigned_body_bytes") &&
         (s->has_unsigned ? json_u64(b, s->unsigned_body_bytes) : json_null(b));
    ok = ok && json_key(b, &first, "result") && json_cstr(b, auth_verdict_name(s->result));
    ok = ok && json_key(b, &first, "reason") && json_cstr(b, dkim_reason_name(s->reason));
    ok = ok && json_key(b, &first, "testing") && json_bool(b, s->testing);
    ok = ok && json_key(b, &first, "detail") && json_cstr(b, s->detail);
    return ok && sbuf_putc(b, '}');
}

static bool write_spf(struct sbuf *b, const struct msg_result *r)
{
    const struct spf_result *s = &r->spf;
    bool first = true;
    bool ok = sbuf_putc(b, '{');
    ok = ok && json_key(b, &first, "result") && json_cstr(b, auth_verdict_name(s->result));
    ok = ok && json_key(b, &first, "domain") && json_str(b, s->domain);
    ok = ok && json_key(b, &first, "ip") && (r->spf_has_ip ? json_str(b, r->spf_ip) : json_null(b));
    ok = ok && json_key(b, &first, "helo") && json_str(b, r->spf_helo_name);
    ok = ok && json_key(b, &first, "mailfrom") &&
         (r->spf_has_mailfrom ? json_str(b, r->spf_mailfrom) : json_null(b));
    ok = ok && json_key(b, &first, "mechanism") && json_str(b, s->mechanism);
    ok = ok && json_key(b, &first, "explanation") && json_str(b, s->explanation);
    ok = ok && json_key(b, &first, "reason") &&
         json_cstr(b, r->spf_reason ? r->spf_reason : s->reason);
    ok = ok && json_key(b, &first, "source") && json_str(b, r->spf_source);
    ok = ok && json_key(b, &first, "helo_result") &&
         (r->spf_helo_name.ptr ? json_cstr(b, auth_verdict_name(r->spf_helo)) : json_null(b));
    return ok && sbuf_putc(b, '}');
}

bool record_write(struct sbuf *b, const struct msg_result *r)
{
    const struct input_msg *m = r->in;
    bool first = true;
    bool ok = sbuf_putc(b, '{');
    ok = ok && json_key(b, &first, "source") && json_cstr(b, m->source);
    ok = ok && json_key(b, &first, "index") && json_u64(b, m->index);
    ok = ok && json_key(b, &first, "offset") && (m->offset >= 0 ? json_i64(b, m->offset) : json_null(b));
    ok = ok && json_key(b, &first, "message_id") &&
         (r->has_message_id ? json_str(b, r->message_id) : json_null(b));
    ok = ok && json_key(b, &first, "from_domain") &&
         (r->has_from_domain ? json_str(b, r->from_domain) : json_null(b));
    if (r->from_error) {
        ok = ok && json_key(b, &first, "from_error") && json_cstr(b, r->from_error);
    }
    if (r->has_as_of) {
        char t[32];
        date_format_rfc3339(r->as_of, t);
        bool f2 = true;
        ok = ok && json_key(b, &first, "as_of") && sbuf_putc(b, '{') &&
             json_key(b, &f2, "time") && json_cstr(b, t) && json_key(b, &f2, "source") &&
             json_cstr(b, r->as_of_source) && sbuf_putc(b, '}');
    }
    if (r->dkim_ran) {
        ok = ok && json_key(b, &first, "dkim") && sbuf_putc(b, '[');
        for (size_t i = 0; ok && i < r->dkim.n; i++) {
            ok = (i == 0 || sbuf_putc(b, ',')) && write_sig(b, &r->dkim.sig[i]);
        }
        ok = ok && sbuf_putc(b, ']');
        if (r->dkim.n_fields > r->dkim.n) {
            ok = ok && json_key(b, &first, "dkim_unlisted") &&
                 json_u64(b, r->dkim.n_fields - r->dkim.n);
        }
    }
    if (r->arc_ran) {
        ok = ok && json_key(b, &first, "arc") && arc_result_json(b, &r->arc);
    }
    if (r->spf_ran) {
        ok = ok && json_key(b, &first, "spf") && write_spf(b, r);
    }
    if (r->dmarc_ran) {
        ok = ok && json_key(b, &first, "dmarc") && dmarc_result_json(b, &r->dmarc);
    }
    if (r->recorded_ran) {
        ok = ok && json_key(b, &first, "recorded") && authres_recorded_json(b, &r->recorded);
        if (r->recorded.found) {
            bool f2 = true;
            ok = ok && json_key(b, &first, "recorded_disagrees") && sbuf_putc(b, '[');
            if (r->disagree_spf) {
                ok = ok && (f2 || sbuf_putc(b, ',')) && json_cstr(b, "spf");
                f2 = false;
            }
            if (r->disagree_dkim) {
                ok = ok && (f2 || sbuf_putc(b, ',')) && json_cstr(b, "dkim");
                f2 = false;
            }
            ok = ok && sbuf_putc(b, ']');
        }
    }
    ok = ok && json_key(b, &first, "error");
    if (r->error_code) {
        bool f2 = true;
        ok = ok && sbuf_putc(b, '{') && json_key(b, &f2, "code") && json_cstr(b, r->error_code) &&
             json_key(b, &f2, "detail") && json_cstr(b, r->error_detail) && sbuf_putc(b, '}');
    } else {
        ok = ok && json_null(b);
    }
    /* The label a corpus needs comes last (README "class"). */
    ok = ok && json_key(b, &first, "class") &&
         json_cstr(b, r->klass ? r->klass : "undetermined");
    return ok && sbuf_append(b, "}\n", 2);
}
