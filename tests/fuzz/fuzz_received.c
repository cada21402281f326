/* fuzz_received: Received trace fields (engine/header/received.h): rcv_parse on the input as
 * one field value, then the input as a whole header through hdr_parse and rcv_select_spf
 * under the default rule, --spf-received N and --spf-trust-by. */
#include "engine/header/received.h"
#include "tests/fuzz/fuzz.h"

static bool inside(slice outer, slice in)
{
    if (in.ptr == NULL) {
        return in.len == 0;
    }
    return in.ptr >= outer.ptr && in.len <= outer.len &&
           (size_t)(in.ptr - outer.ptr) <= outer.len - in.len;
}

static void check_field(const struct rcv_field *f, slice value)
{
    const slice parts[] = { f->from, f->helo,    f->rdns, f->ip_text, f->by,  f->by_comment,
                            f->via,  f->with,    f->id,   f->for_,    f->date_text };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        FUZZ_CHECK(inside(value, parts[i])); /* nothing is allocated: all point into value */
    }
    if (f->ip_src != RCV_IP_NONE) {
        FUZZ_CHECK(f->ip.family == 4 || f->ip.family == 6);
        (void)rcv_ip_is_internal(&f->ip);
    }
}

static void check_selection(const struct rcv_selection *s, const struct hdr_index *h)
{
    FUZZ_CHECK(rcv_select_status_name(s->status) != NULL);
    FUZZ_CHECK((s->status == RCV_SEL_OK) == (s->reason == NULL));
    FUZZ_CHECK(s->field >= -1 && (s->field < 0 || (size_t)s->field < h->n));
    if (s->status == RCV_SEL_OK) {
        FUZZ_CHECK(s->field >= 0);
        FUZZ_CHECK(s->ip.family == 4 || s->ip.family == 6);
    }
    if (s->field >= 0) {
        check_field(&s->parsed, h->f[s->field].raw);
    }
    for (size_t k = 0; k < s->source.len; k++) {
        (void)*(volatile const uint8_t *)(s->source.ptr + k);
    }
}

int fuzz_received_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    slice value = slice_make(data, size);
    struct rcv_field f;
    (void)rcv_parse(&f, value);
    check_field(&f, value);

    struct hdr_index h;
    (void)hdr_parse(a, &h, value);
    struct rcv_selection s;
    rcv_select_spf(a, &s, &h, NULL);
    check_selection(&s, &h);
    struct rcv_select_opts o = { .nth = 2 };
    rcv_select_spf(a, &s, &h, &o);
    check_selection(&s, &h);
    static const slice trust[] = { SLICE_INIT("mx.example.org"), SLICE_INIT(".example.net") };
    o = (struct rcv_select_opts){ .trust_by = trust, .n_trust_by = 2 };
    rcv_select_spf(a, &s, &h, &o);
    check_selection(&s, &h);
    return 0;
}

FUZZ_ENTRY(fuzz_received_one)
