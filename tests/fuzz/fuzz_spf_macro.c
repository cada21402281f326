/* fuzz_spf_macro: the RFC 7208 §7 macro expander through spf.h's internal API: syntax checks
 * (spf_macro_string_ok, spf_domain_spec_ok), spf_expand in both modes and spf_expand_domain,
 * with %{p} served by tests/fuzz/fzdns.h. The first byte picks the client (bit 0: IPv6) and
 * the sender (bit 1: the second line, "local@domain", instead of a fixed one); the macro text
 * is the first line. */
#include <string.h>

#include "engine/policy/spf.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fzdns.h"

int fuzz_spf_macro_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    if (size < 1) {
        return 0;
    }
    uint8_t flags = data[0];
    slice lines[2];
    size_t n = fzdns_split_lines(slice_make(data + 1, size - 1), lines, 2);
    slice macro = n > 0 ? lines[0] : SLICE_LIT("");

    struct spf_scope sc = {
        .domain = SLICE_LIT("email.example.com"),
        .sender = SLICE_LIT("strong-bad@email.example.com"),
        .local = SLICE_LIT("strong-bad"),
        .sender_domain = SLICE_LIT("email.example.com"),
    };
    if ((flags & 2) && n > 1) {
        slice s = lines[1];
        ptrdiff_t at = -1;
        for (size_t i = s.len; i-- > 0;) {
            if (s.ptr[i] == '@') {
                at = (ptrdiff_t)i;
                break;
            }
        }
        sc.sender = s;
        sc.local = at >= 0 ? slice_make(s.ptr, (size_t)at) : SLICE_LIT("postmaster");
        sc.sender_domain = at >= 0 ? slice_make(s.ptr + at + 1, s.len - (size_t)at - 1) : s;
        sc.domain = sc.sender_domain;
    }

    struct fzdns dns;
    fzdns_init(&dns, NULL, 0);
    struct spf_request req;
    memset(&req, 0, sizeof(req));
    FUZZ_CHECK(spf_ip_parse((flags & 1) ? SLICE_LIT("2001:db8::1") : SLICE_LIT("192.0.2.1"),
                            &req.ip));
    req.mailfrom = sc.sender;
    req.helo = SLICE_LIT("mx.example.org");
    req.receiver = SLICE_LIT("receiver.example.net");
    req.now = 1700000000;

    (void)spf_macro_string_ok(macro, false);
    (void)spf_macro_string_ok(macro, true);
    (void)spf_domain_spec_ok(macro);

    for (int mode = 0; mode < 2; mode++) {
        struct spf_result res;
        memset(&res, 0, sizeof(res));
        struct spf_ctx c;
        spf_ctx_init(&c, a, &dns.base, &req, &res);
        slice out = SLICE_NULL;
        if (spf_expand(&c, &sc, macro, mode ? SPF_EXPAND_EXP : SPF_EXPAND_DOMAIN, &out)) {
            FUZZ_CHECK(out.len <= SPF_EXPAND_MAX);
            for (size_t k = 0; k < out.len; k++) {
                (void)*(volatile const uint8_t *)(out.ptr + k);
            }
        }
    }
    struct spf_result res;
    memset(&res, 0, sizeof(res));
    struct spf_ctx c;
    spf_ctx_init(&c, a, &dns.base, &req, &res);
    slice name = SLICE_NULL;
    if (spf_expand_domain(&c, &sc, macro, macro, &name)) {
        FUZZ_CHECK(name.len <= 253);
        /* Only one trailing dot is dropped: a macro value may itself end in dots (the
         * sender is the client's to choose), and DNS then rejects the name (BADNAME). */
    }
    return 0;
}

FUZZ_ENTRY(fuzz_spf_macro_one)
