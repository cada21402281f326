/* fuzz_authres: Authentication-Results / ARC-Authentication-Results (authres_parse) and
 * Received-SPF (authres_spf_parse) on the input as one field value, then the input as a whole
 * header: authres_recorded_get with trusted ids, and authres_recorded_json, which must be
 * valid UTF-8 JSON. */
#include "engine/core/json.h"
#include "engine/header/authres.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_json.h"

static void touch(slice s)
{
    for (size_t k = 0; k < s.len; k++) {
        (void)*(volatile const uint8_t *)(s.ptr + k);
    }
}

int fuzz_authres_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    slice value = slice_make(data, size);
    struct authres_field f;
    enum authres_status st = authres_parse(a, &f, value);
    FUZZ_CHECK(authres_status_name(st) != NULL);
    FUZZ_CHECK(f.n_ri <= AUTHRES_MAX_RESINFO);
    size_t props = 0;
    for (size_t i = 0; i < f.n_ri; i++) {
        const struct authres_resinfo *r = &f.ri[i];
        touch(r->method);
        touch(r->result.text);
        touch(r->reason);
        touch(r->comment);
        for (size_t k = 0; k < r->n_props; k++) {
            touch(r->props[k].ptype);
            touch(r->props[k].property);
            touch(r->props[k].value);
        }
        props += r->n_props;
        slice out;
        (void)authres_prop_get(r, SLICE_LIT("header"), SLICE_LIT("d"), &out);
        (void)authres_prop_get(r, SLICE_NULL, SLICE_LIT("action"), &out);
    }
    FUZZ_CHECK(props <= AUTHRES_MAX_PROPS);
    touch(f.authserv_id);

    struct authres_spf_field sf;
    (void)authres_spf_parse(a, &sf, value);
    FUZZ_CHECK(sf.n_kv <= AUTHRES_MAX_KV);
    for (size_t k = 0; k < sf.n_kv; k++) {
        touch(sf.kv[k].key);
        touch(sf.kv[k].value);
    }
    touch(sf.envelope_from);

    struct hdr_index h;
    (void)hdr_parse(a, &h, value);
    static const slice ids[] = { SLICE_INIT("mx.example.org"), SLICE_INIT("example.com") };
    struct authres_recorded rec;
    authres_recorded_get(a, &rec, &h, ids, 2);
    FUZZ_CHECK(!rec.found || (rec.field >= 0 && (size_t)rec.field < h.n));
    struct sbuf b;
    sbuf_init(&b, 1u << 20);
    if (authres_recorded_json(&b, &rec)) {
        FUZZ_CHECK(json_valid_utf8(sbuf_slice(&b)));
        FUZZ_CHECK(fuzz_json_ok(sbuf_slice(&b)));
    }
    sbuf_cleanup(&b);
    return 0;
}

FUZZ_ENTRY(fuzz_authres_one)
